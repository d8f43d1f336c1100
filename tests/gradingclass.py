"""A small class in a throwaway course folder, for the tests of `python -m course grade`."""
import shutil
import socket
from pathlib import Path

import nbformat

from course.grading.nbapi import ROOT, course_config
from course.grading.build import source_assignments
from nbgrade import notebook_name, release_notebook, replace_solution, source_notebook

ASSIGNMENTS = source_assignments()
# tests that do not need every assignment use the first one
FIRST = ASSIGNMENTS[0]


def grade_ids(nb, kind):
    """grade_ids of the solution cells (kind="solution") or graded test cells (kind="grade")."""
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get(kind)]


def new_course(folder):
    """A course folder with the repository's source/ and no submissions."""
    folder = Path(folder)
    shutil.copytree(ROOT / "source", folder / "source")
    return folder


def submit(course, student, assignment, nb=None, text=None, name=None):
    """Put a notebook (or raw text, for broken files) in submitted/<student>/<assignment>/."""
    folder = Path(course) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or notebook_name(assignment))
    if text is not None:
        path.write_text(text)
    elif nb is not None:
        nbformat.write(nb, path)
    return folder


def unfinished(assignment):
    """The source notebook with its first solution cell left raising: partly done."""
    nb = source_notebook(assignment)
    first = grade_ids(nb, "solution")[0]
    return replace_solution(nb, first, "raise RuntimeError('not done yet')")


def small_class(course, assignments=ASSIGNMENTS):
    """Three students per assignment: complete, blank (the release) and partly done."""
    for assignment in assignments:
        submit(course, "ada", assignment, source_notebook(assignment))
        submit(course, "bao", assignment, release_notebook(assignment))
        submit(course, "chidi", assignment, unfinished(assignment))
    return course


def gradebook_scores(course, db_url=None):
    """{(assignment, student, notebook, grade cell): (score, max_score)} of the autograded
    (code) cells in the gradebook; written answers wait for a person and are left out."""
    from nbgrader.api import Gradebook

    config = course_config(course)
    db_url = db_url or f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"
    scores = {}
    with Gradebook(db_url, config.CourseDirectory.course_id) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.cell.cell_type != "code":
                            continue
                        scores[assignment.name, submission.student.id, notebook.name, grade.name] = (
                            float(grade.score), float(grade.max_score))
        gb.db.remove()
        gb.engine.dispose()
    return scores


def submission_totals(scores):
    totals = {}
    for (assignment, student, _, _), (score, max_score) in scores.items():
        s, m = totals.get((assignment, student), (0.0, 0.0))
        totals[assignment, student] = (s + score, m + max_score)
    return totals


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
