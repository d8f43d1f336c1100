"""The class view of mistakes: fingerprints read from failing test cells, counted per exercise."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course.grading import mistakes


def test_fingerprint_is_the_mistake_before_its_fix():
    message = ("slope with h = 0.5: wrong: got 4.75, expected 3.25\n"
               "Likely mistake: forward difference (f(x+h) - f(x)) / h: use the central difference")
    assert mistakes.mistakes_in("CheckFailed", message) == ["forward difference (f(x+h) - f(x)) / h"]


def test_every_failed_case_counts_once():
    message = ("3 of 5 cases failed:\n- a: x: wrong\n  Likely mistake: eps is missing: add it\n"
               "- b: y: wrong\n  Likely mistake: eps is missing: add it\n- c: z: wrong\n"
               "  Likely mistake: a dict it was given changed in place: return a new dict")
    assert mistakes.mistakes_in("PartialCredit", message) == ["eps is missing", "a dict it was given changed in place"]


def test_failures_that_name_no_mistake():
    assert mistakes.mistakes_in("NotImplementedError", "sigmoid raised NotImplementedError: ") == [mistakes.NOT_ATTEMPTED]
    assert mistakes.mistakes_in("TypeError", "sgd raised TypeError: bad operand") == ["raised TypeError"]
    assert mistakes.mistakes_in("PartialCredit", "1 of 2 cases failed:\n- a: ValueError: no") == [mistakes.OTHER]
    assert mistakes.mistakes_in("CellTimeoutError", "fit did not finish") == ["did not finish within the time limit"]
    assert mistakes.mistakes_in("AssertionError", "3 epochs give 3 losses") == [mistakes.OTHER]


def _autograded(root, student, assignment, errors):
    cells = []
    for grade_id, evalue in errors.items():
        cell = new_code_cell("assert_close(...)", metadata={"nbgrader": {"grade": True, "solution": False,
                                                                          "grade_id": grade_id, "points": 1}})
        if evalue is not None:
            cell.outputs = [new_output("error", ename="CheckFailed", evalue=evalue, traceback=[])]
        cells.append(cell)
    folder = root / "autograded" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(new_notebook(cells=cells), folder / "nb.ipynb")


def test_mistake_table_counts_students_per_exercise_and_mistake(tmp_path):
    forward = "got 4.75\nLikely mistake: forward difference: use central"
    _autograded(tmp_path, "ada", "01_x", {"test_nd": forward, "test_ssr": None})
    _autograded(tmp_path, "bao", "01_x", {"test_nd": forward, "test_ssr": "ssr raised NotImplementedError: "})
    _autograded(tmp_path, "chidi", "01_x", {"test_nd": "got 5\nLikely mistake: sign flipped: swap", "test_ssr": None})
    table = mistakes.mistake_table(tmp_path)
    assert table == {"01_x": {"test_nd": {"forward difference": ["ada", "bao"], "sign flipped": ["chidi"]},
                              "test_ssr": {mistakes.NOT_ATTEMPTED: ["bao"]}}}
    assert mistakes.rows(table, {"01_x": ["test_ssr", "test_nd"]}) == [
        ["01_x", "test_ssr", mistakes.NOT_ATTEMPTED, 1, "bao"],
        ["01_x", "test_nd", "forward difference", 2, "ada, bao"],
        ["01_x", "test_nd", "sign flipped", 1, "chidi"]]
    page = mistakes.html_section(tmp_path)
    assert "<td>forward difference</td><td>2</td><td>ada, bao</td>" in page
    assert "No failed test" in mistakes.html_section(tmp_path / "empty")
