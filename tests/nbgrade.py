"""Grade notebooks with the real nbgrader autograde, in a throwaway course, for the tests.

``grade_submissions("01_derivatives", {"alice": nb, ...})`` returns, per student, the score of
every autograded (test) cell: ``{"alice": {"test_ssr": (score, max_score), ...}}``. Written
answers (manually graded markdown cells) have no score until a person grades them: left out.
"""
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from course.grading.nbapi import ROOT, nbgrader_api


def notebook_name(assignment):
    (path,) = (ROOT / "source" / assignment).glob("*.ipynb")
    return path.name


def source_notebook(assignment):
    return nbformat.read(ROOT / "source" / assignment / notebook_name(assignment), as_version=4)


def release_notebook(assignment):
    return nbformat.read(ROOT / "release" / assignment / notebook_name(assignment), as_version=4)


def replace_solution(nb, grade_id, code):
    """A copy of ``nb`` whose solution cell ``grade_id`` holds ``code`` instead."""
    nb = nbformat.from_dict(nb)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert cells, f"no cell with grade_id {grade_id!r}"
    cells[0].source = code
    return nb


def _grade_chunk(assignment, course, students):
    api = nbgrader_api(course)
    scores = {}
    for student in students:
        result = api.autograde(assignment, student, force=True, create=True)
        if not result["success"]:
            scores[student] = None
            continue
        with api.gradebook as gb:
            nb = gb.find_submission(assignment, student).notebooks[0]
            scores[student] = {g.name: (g.score, g.max_score) for g in nb.grades
                               if g.cell.cell_type == "code"}
    return scores


def grade_submissions(assignment, notebooks, workers=2):
    """Autograde ``{student: notebook}`` for ``assignment``; ``None`` for a failed submission."""
    name = notebook_name(assignment)
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        course = Path(tmp)
        shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
        nbgrader_api(course).generate_assignment(assignment, force=True, create=True)
        for student, nb in notebooks.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            if isinstance(nb, (str, bytes)):
                (folder / name).write_text(nb if isinstance(nb, str) else nb.decode())
            else:
                nbformat.write(nb, folder / name)
        students = sorted(notebooks)
        chunks = [students[i::workers] for i in range(workers) if students[i::workers]]
        scores = {}
        with ProcessPoolExecutor(len(chunks)) as pool:
            for part in pool.map(_grade_chunk, [assignment] * len(chunks), [course] * len(chunks), chunks):
                scores.update(part)
        return scores
