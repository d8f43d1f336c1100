"""The trusted runner on a small course of its own, through nbgrader's real autograde.

Each test cell exercises one thing the runner promises: callbacks into the grader's functions,
a callable the student returns, arguments changed in place, warnings, reference dependencies,
partial credit per case, the student's own exception types, a time-out that stops one call,
and output the student prints that never sets a score.
"""
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.grading.nbapi import ROOT, nbgrader_api

ASSIGNMENT = "99_runner"
TIMEOUT = 4

SETUP = """import math
import numpy as np
from course.gradcheck import Cases, assert_close, call_quietly, call_unmutated, with_references
"""

RIGHT = """
def apply_twice(f, x):
    return f(f(x))

def make_adder(k):
    return lambda x: x + k

def scale(x, k):
    return np.asarray(x, dtype=float) * k

def stable_exp(z):
    return math.exp(min(z, 700.0))

def part(v):
    return 2.0 * v

def total(values):
    return float(sum(part(v) for v in values))

def square(x):
    return x * x

def pick(name):
    if name not in ("a", "b"):
        raise ValueError(f"unknown name {name!r}")
    return name

def slow(n):
    return n
"""

WRONG = """
def apply_twice(f, x):
    return f(x)

def make_adder(k):
    return lambda x: x - k

def scale(x, k):
    x *= k
    return x

def stable_exp(z):
    return float(np.exp(np.float64(z)))

def part(v):
    return 0.0

def total(values):
    return float(sum(part(v) for v in values))

def square(x):
    return x * x if x < 3 else x

def pick(name):
    return name

def slow(n):
    while True:
        pass
"""

TESTS = {
    "test_callback": "assert_close(apply_twice(lambda v: v * 3, 2.0), 18.0, 'apply_twice')",
    "test_returned_callable": "add = make_adder(2)\nassert_close(add(3.0), 5.0, 'make_adder(2)(3)')",
    "test_mutation": "x = np.ones(3)\nassert_close(call_unmutated(scale, x, 2.0), [2.0, 2.0, 2.0], 'scale')",
    "test_warning": "assert_close(call_quietly(stable_exp, 1000.0), math.exp(700.0), 'stable_exp(1000)')",
    "test_references": ("### BEGIN HIDDEN TESTS\n"
                        "def _part(v):\n    return 2.0 * v\n"
                        "assert_close(with_references(total, part=_part)([1.0, 2.0]), 6.0, 'total')\n"
                        "### END HIDDEN TESTS"),
    "test_partial": ("cases = Cases()\nfor x in (1.0, 2.0, 3.0, 4.0):\n"
                     "    with cases(f'square({x})'):\n        assert_close(square(x), x * x, f'square({x})')\n"
                     "cases.verdict()"),
    "test_raises": ("try:\n    pick('zzz')\nexcept ValueError:\n    pass\n"
                    "else:\n    raise AssertionError('pick of an unknown name must raise ValueError')"),
    "test_timeout": "assert slow(3) == 3",
    "test_after_timeout": "assert_close(square(2.0), 4.0, 'square')",
}


# The kernel answers the grader's first request late, as a busy machine would (longer than GRACE
# and than the cell's limit): the cell's verdict stands, the rest of the notebook is graded.
SLOW_TO_ANSWER = """
import sys, time
_answered_late = []
def _answer_late(*_):
    if "course.grading.agent" in sys.modules and not _answered_late:
        _answered_late.append(True)
        time.sleep(7)
get_ipython().events.register("post_execute", _answer_late)"""


def _notebook(solution, extra=""):
    setup = new_code_cell(SETUP, metadata={"nbgrader": {"grade": False, "grade_id": "setup", "locked": True,
                                                        "schema_version": 3, "solution": False, "task": False}})
    answer = new_code_cell("### BEGIN SOLUTION\n" + solution + "\n### END SOLUTION" + extra, metadata={
        "nbgrader": {"grade": False, "grade_id": "answer", "locked": False, "schema_version": 3,
                     "solution": True, "task": False}})
    tests = [new_code_cell(code, metadata={"nbgrader": {"grade": True, "grade_id": name, "locked": True,
                                                        "points": 4, "schema_version": 3, "solution": False,
                                                        "task": False}})
             for name, code in TESTS.items()]
    nb = new_notebook(cells=[setup, answer, *tests])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("runner-course")
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(_notebook(RIGHT), root / "source" / ASSIGNMENT / "runner.ipynb")
    api = nbgrader_api(root, SandboxedExecute={"sandbox": False, "timeout": TIMEOUT})
    api.generate_assignment(ASSIGNMENT, force=True, create=True)
    noisy = "\nprint(99.0)\nget_ipython().displayhook(4.0)\nimport sys\nprint('oops', file=sys.stderr)"
    students = {"right": _notebook(RIGHT), "wrong": _notebook(WRONG), "noisy": _notebook(WRONG, noisy),
                "slow_kernel": _notebook(RIGHT, SLOW_TO_ANSWER)}
    scores, outputs = {}, {}
    for student, nb in students.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "runner.ipynb")
        result = api.autograde(ASSIGNMENT, student, force=True, create=True)
        assert result["success"], result.get("log", "")[-3000:]
        with api.gradebook as gb:
            scores[student] = {g.name: g.score for g in gb.find_submission(ASSIGNMENT, student).notebooks[0].grades}
        done = nbformat.read(root / "autograded" / student / ASSIGNMENT / "runner.ipynb", as_version=4)
        outputs[student] = {c.metadata.nbgrader["grade_id"]: c.outputs for c in done.cells
                            if c.metadata.get("nbgrader", {}).get("grade")}
    yield {"scores": scores, "outputs": outputs}
    shutil.rmtree(root, ignore_errors=True)


def _message(graded, student, cell):
    return " ".join(o.get("evalue", "") for o in graded["outputs"][student][cell] if o.output_type == "error")


def test_right_answers_get_every_point(graded):
    assert graded["scores"]["right"] == {name: 4.0 for name in TESTS}


def test_a_kernel_slow_to_answer_loses_nothing(graded):
    assert graded["scores"]["slow_kernel"] == {name: 4.0 for name in TESTS}


@pytest.mark.parametrize("cell,words", [
    ("test_callback", "apply_twice"),
    ("test_returned_callable", "make_adder(2)(3)"),
    ("test_mutation", "changed its argument 1 in place"),
    ("test_warning", "RuntimeWarning"),
    ("test_raises", "must raise ValueError"),
    ("test_timeout", "did not finish within the time limit"),
])
def test_each_wrong_answer_fails_its_own_test_with_a_message(graded, cell, words):
    assert graded["scores"]["wrong"][cell] == 0
    assert words in _message(graded, "wrong", cell)


def test_a_wrong_helper_costs_points_once(graded):
    assert graded["scores"]["wrong"]["test_references"] == 4.0


def test_independent_cases_earn_partial_credit(graded):
    assert graded["scores"]["wrong"]["test_partial"] == 2.0
    message = _message(graded, "wrong", "test_partial")
    assert "2 of 4 cases failed" in message and "square(3.0)" in message and "square(4.0)" in message


def test_a_time_out_stops_one_call_not_the_notebook(graded):
    assert graded["scores"]["wrong"]["test_after_timeout"] == 4.0
    assert [o.ename for o in graded["outputs"]["wrong"]["test_timeout"]] == ["CellTimeoutError"]


def test_what_the_student_prints_sets_no_score(graded):
    assert graded["scores"]["noisy"] == graded["scores"]["wrong"]
    for outputs in graded["outputs"]["noisy"].values():
        assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
