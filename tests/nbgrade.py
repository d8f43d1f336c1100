"""Grade notebooks with the real nbgrader autograde, in a throwaway course, for the tests.

``grade_submissions("01_derivatives", {"alice": nb, ...})`` returns, per student, the score of
every autograded (test) cell: ``{"alice": {"test_ssr": (score, max_score), ...}}``. Written
answers (manually graded markdown cells) have no score until a person grades them: left out.
With ``errors=True`` it also returns what the failing test cells of each autograded notebook say:
``{"alice": {"test_ssr": (ename, evalue), ...}}``.
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


def test_cell_errors(path):
    """``{grade_id: (ename, evalue)}`` of the failing test cells of an autograded notebook."""
    nb = nbformat.read(path, as_version=4)
    errors = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    errors[meta["grade_id"]] = (output.get("ename", ""), output.get("evalue", ""))
    return errors


def _grade_chunk(assignment, course, students):
    api = nbgrader_api(course)
    scores, errors = {}, {}
    for student in students:
        result = api.autograde(assignment, student, force=True, create=True)
        if not result["success"]:
            scores[student] = errors[student] = None
            continue
        with api.gradebook as gb:
            nb = gb.find_submission(assignment, student).notebooks[0]
            scores[student] = {g.name: (g.score, g.max_score) for g in nb.grades
                               if g.cell.cell_type == "code"}
        errors[student] = test_cell_errors(Path(course) / "autograded" / student / assignment / notebook_name(assignment))
    return scores, errors


def grade_submissions(assignment, notebooks, workers=2, errors=False):
    """Autograde ``{student: notebook}`` for ``assignment``; ``None`` for a failed submission.

    ``errors=True``: returns ``(scores, errors)``, the second as ``test_cell_errors`` per student."""
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
        scores, messages = {}, {}
        with ProcessPoolExecutor(len(chunks)) as pool:
            for part, said in pool.map(_grade_chunk, [assignment] * len(chunks), [course] * len(chunks), chunks):
                scores.update(part)
                messages.update(said)
        return (scores, messages) if errors else scores
