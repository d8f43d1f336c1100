"""Time limits derived from the instructor's notebook, on a small course of their own.

Three students loop forever: in a lesson cell they edited, in a graded function the tests call,
and in a graded function that swallows the interrupt. Each is stopped at the limit the rule gives
(``time_multiple`` x the reference + ``time_floor``; the floor alone for a cell the reference does
not have), graded on what ran, and the reason is in the autograded notebook and in failures.json.
No timing is asserted: only which limit was applied and what happened.
"""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.grading import timings
from course.grading.grade import grade, read_failures
from course.grading.sandbox import SandboxUnavailable, check_sandbox
from gradingclass import gradebook_scores

ASSIGNMENT = "98_limits"
NAME = "limits.ipynb"
FLOOR = 2.0
MULTIPLE = 10.0

SETUP = "import numpy as np\nfrom course.gradcheck import assert_close\n"
LESSON = "print('double(3) is', 3.0 * 2)"
DOUBLE = "def double(x):\n    return 2 * x"
SPIN = "def spin(n):\n    return n + 1"
TESTS = {
    "test_double": ("assert_close(double(2.0), 4.0, 'double(2)')", 2),
    "test_spin": ("assert spin(3) == 4, 'spin(3) is 4'", 3),
    "test_after": ("assert_close(double(5.0), 10.0, 'double(5)')", 5),
}


def _meta(grade_id, **flags):
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "task": False, "grade": False,
                         "solution": False, "locked": False, **flags}}


def _notebook(lesson=LESSON, spin=SPIN):
    cells = [new_code_cell(SETUP, metadata=_meta("setup", locked=True)),
             new_code_cell(lesson),
             new_code_cell(f"### BEGIN SOLUTION\n{DOUBLE}\n### END SOLUTION", metadata=_meta("double", solution=True))]
    for grade_id, (code, points) in TESTS.items():
        if grade_id == "test_spin":
            cells.append(new_code_cell(f"### BEGIN SOLUTION\n{spin}\n### END SOLUTION",
                                       metadata=_meta("spin", solution=True)))
        cells.append(new_code_cell(code, metadata=_meta(grade_id, grade=True, locked=True, points=points)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


STUDENTS = {
    "honest": _notebook(),
    # an experiment left in a lesson cell: the cell is no longer the instructor's, so its limit is the floor
    "lesson_loop": _notebook(lesson=LESSON + "\nwhile True:\n    pass"),
    # the loop is in the graded function: the test that calls it is stopped at its derived limit
    "function_loop": _notebook(spin="def spin(n):\n    while True:\n        n = n + 1"),
    # a loop that swallows the interrupt: the kernel is stopped, what ran before keeps its grade
    "stubborn": _notebook(spin="import time\n\ndef spin(n):\n    while True:\n        try:\n"
                               "            time.sleep(0.05)\n        except KeyboardInterrupt:\n"
                               "            pass"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    try:
        check_sandbox()
    except SandboxUnavailable as error:
        pytest.skip(f"no sandbox here: {error}")
    root = tmp_path_factory.mktemp("limits-course")
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(_notebook(), root / "source" / ASSIGNMENT / NAME)
    for student, nb in STUDENTS.items():
        (root / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / student / ASSIGNMENT / NAME)
    overrides = {"SandboxedExecute": {"time_floor": FLOOR, "time_multiple": MULTIPLE}}
    # no reference timing yet: `course grade` records it on first use
    summary = grade(root, workers=2, sandbox=True, progress=False, overrides=overrides, log=lambda m: None)
    autograded = {s: nbformat.read(root / "autograded" / s / ASSIGNMENT / NAME, as_version=4) for s in STUDENTS}
    scores = {s: {cell: score for (_, student, _, cell), (score, _) in gradebook_scores(root).items()
                  if student == s} for s in STUDENTS}
    return root, summary, autograded, scores, {f["student"]: f for f in read_failures(root)}


def _errors(nb, grade_id=None, index=None):
    cell = nb.cells[index] if index is not None else next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return [(o.ename, o.evalue) for o in cell.get("outputs", []) if o.output_type == "error"]


def test_the_reference_is_recorded_on_first_use(graded):
    root = graded[0]
    entry = json.loads(timings.timings_path(root).read_text())[f"{ASSIGNMENT}/{NAME}"]
    source = nbformat.read(root / "source" / ASSIGNMENT / NAME, as_version=4)
    lesson = timings.cell_key(source.cells[1])  # it prints, and nothing reads it: left out while grading
    assert set(entry["cells"]) == {timings.cell_key(c) for c in source.cells} - {lesson}
    assert entry["total"] >= sum(entry["cells"].values()) - 1e-3
    assert timings.reference(root, ASSIGNMENT, "limits") == entry


def test_the_honest_student_is_not_limited(graded):
    _, summary, _, scores, failures = graded
    assert scores["honest"] == {name: points for name, (_, points) in TESTS.items()}
    assert "honest" not in failures
    assert summary["graded"] == len(STUDENTS) and summary["failed"] == 0


def test_a_loop_in_a_lesson_cell_stops_at_the_floor(graded):
    _, _, autograded, scores, failures = graded
    (ename, reason), = [e for e in _errors(autograded["lesson_loop"], index=1) if e[0] == "CellTimeoutError"]
    assert f"{FLOOR:.1f} s" in reason and "does not have" in reason, reason
    assert scores["lesson_loop"] == scores["honest"], "the cells after the loop did not run"
    assert failures["lesson_loop"]["kind"] == "timeout" and "cell 2" in failures["lesson_loop"]["reason"]


def test_a_loop_in_a_graded_function_stops_at_its_tests_limit(graded):
    root, _, autograded, scores, failures = graded
    reference = timings.reference(root, ASSIGNMENT, "limits")["cells"]["test_spin"]
    limit = timings.cell_limit(reference, MULTIPLE, FLOOR)
    (ename, message), = _errors(autograded["function_loop"], "test_spin")
    assert ename == "CellTimeoutError" and f"{limit:.1f} s for this test" in message, message
    assert scores["function_loop"] == {"test_double": 2, "test_spin": 0, "test_after": 5}
    assert failures["function_loop"]["status"] == "graded" and "test_spin" in failures["function_loop"]["reason"]


def test_a_loop_that_will_not_stop_is_graded_on_what_ran(graded):
    _, _, autograded, scores, failures = graded
    nb = autograded["stubborn"]
    (ename, reason), = _errors(nb, "test_spin")
    assert ename == "CellTimeoutError" and "did not stop when interrupted" in reason, reason
    assert [e for e, _ in _errors(nb, "test_after")] == ["NotRun"]
    assert scores["stubborn"] == {"test_double": 2, "test_spin": 0, "test_after": 0}
    failure = failures["stubborn"]
    assert failure["status"] == "graded" and failure["kind"] == "timeout"
    assert "test_spin" in failure["reason"] and "later cells not run" in failure["reason"]
