"""A small class in a throwaway course folder, for the tests of `python -m course grade`."""
import contextlib
import io
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


ROSTER = """id,first_name,last_name,email,lms_user_id
ada,Ada,Lovelace,ada@example.org,101
bao,Bao,Nguyen,,102
chidi,Chidi,Anagonye,,103
dora,Dora,Márquez,,104
emil,Emil,Post,,105
"""


def course_command(*argv):
    """``(exit code, stdout, stderr)`` of ``python -m course ...`` called in this process."""
    from course.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def graded_term(course, db_url, assignments):
    """Grade a term's class in ``course`` (a scratch course folder) with the course's commands:
    its own course id ("term-2") and database, the roster of five (ROSTER), ada complete, bao
    blank, chidi partly done, dora's first notebook malformed (and no other), emil never
    submitted; then feedback, exports and the report. Returns ``(grade summary, {command:
    (exit code, stdout, stderr)})``."""
    from course.grading.grade import grade

    with open(course / "grader_config.py", "a") as fh:
        fh.write(f"\nc.CourseDirectory.course_id = 'term-2'\nc.CourseDirectory.db_url = {db_url!r}\n")
    small_class(course, assignments)
    submit(course, "dora", assignments[0], text="{ not a notebook")
    (course / "roster.csv").write_text(ROSTER)
    outputs = {"roster": course_command("roster", course / "roster.csv", "--root", course)}
    summary = grade(course, workers=2, sandbox=False, progress=False)
    outputs["feedback"] = course_command("feedback", "--root", course)
    outputs["export"] = course_command("export", "--canvas", "--exercises", "--root", course)
    outputs["report"] = course_command("report", "--root", course)
    return summary, outputs
