"""Hostile submissions, graded by the real grading command with the sandbox on.

One class of students is graded once (2 workers): an honest student and one student per attack.
Each attack has an expected, recorded outcome: the affected exercise (or the whole submission)
scores 0 with a reason, and every other exercise and every other student is graded as usual.

The ``ATTACKS`` implement nothing (the released notebook) and try to win points anyway by what
worked while the tests ran in the student's process: printing a score, reading the expected
values from the checker's frame, the cell's source or the garbage collector, profiling hooks,
rebinding the checkers' code, IPython's hooks, a ``str`` that equals everything, a link to the
solutions. Each must score exactly what implementing nothing scores: 0. The same class is graded
again with ``nbgrader autograde`` (what Formgrader's button runs): the scores are the same.
"""
import json
import os
import shutil
import subprocess
import sys
import socket
import sqlite3
import threading

import nbformat
import pytest

from course.grading.nbapi import ROOT, nbgrader_api
from nbgrade import notebook_name, replace_solution, source_notebook
from processes import command_lines

ASSIGNMENT = "01_derivatives"
TIMEOUT = 15  # seconds per cell for this class: the infinite loops stop after it
SLEEP_MARK = "97.25"  # argument of the `sleep` processes the process bomb starts


def _cell(nb, grade_id):
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index, cell
    raise KeyError(grade_id)


def _solution(nb, function):
    return _cell(nb, function)[1].source


def _with(function, code, nb=None):
    """The honest notebook whose solution cell ``function`` holds ``code`` instead."""
    return replace_solution(nb or source_notebook(ASSIGNMENT), function, code)


def _plus(function, extra):
    """The honest notebook with ``extra`` run at the end of the solution cell ``function``."""
    nb = source_notebook(ASSIGNMENT)
    return replace_solution(nb, function, _solution(nb, function) + "\n" + extra)


ATTACKS = {
    "displayhook_score": ("numerical_derivative", '''
def numerical_derivative(f, x, h=1e-5):
    get_ipython().displayhook(2.0)        # nbgrader reads a test cell's first result as its score
    print(2.0)
    raise NotImplementedError()
get_ipython().displayhook(27.0)
'''),
    "frame_walk": ("ssr", '''
import sys
class Oracle:
    """Becomes whatever the checker that looks at it expects."""
    def _expected(self):
        frame = sys._getframe(1)
        while frame is not None:
            for key in ("expected", "_want", "want", "_expected"):
                if key in frame.f_locals:
                    return frame.f_locals[key]
            frame = frame.f_back
        return 0.0
    def __float__(self):
        return float(self._expected())
    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._expected(), dtype=dtype)
def ssr(a, x, y):
    return Oracle()
'''),
    "linecache_expected": ("ssr_slope", '''
def ssr_slope(a, x, y):
    import linecache, re
    for name in list(linecache.cache):
        for line in linecache.getlines(name):
            found = re.search(r"assert_close\\(ssr_slope\\([^)]*\\),\\s*([^,]+),", line)
            if found:
                try:
                    return float(eval(found.group(1), {"a": a, "np": np}))
                except Exception:
                    pass
    return 0.0
'''),
    "gc_reference": ("best_slope", '''
def best_slope(x, y):
    import gc
    for thing in gc.get_objects():
        if callable(thing) and getattr(thing, "__name__", "").startswith("_reference"):
            try:
                return thing(x, y)
            except Exception:
                pass
    return 0.0
'''),
    "profile_hooks": ("sigmoid", '''
import sys, threading, ctypes
def _swap(frame, event, arg):
    if event == "call" and frame.f_code.co_name in ("assert_close", "check_gradient", "isclose", "allclose"):
        loc = frame.f_locals
        if "expected" in loc and "actual" in loc:
            loc["actual"] = loc["expected"]
            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))
    return None
sys.setprofile(_swap)
threading.setprofile(_swap)
sys.settrace(lambda frame, event, arg: _swap(frame, event, arg))
def sigmoid(z):
    return 0.0 * np.asarray(z, dtype=float)
'''),
    "rebind_code": ("mse_prime", '''
import course.gradcheck
course.gradcheck.assert_close.__code__ = (lambda actual, expected, what="result", *, rtol=1e-7, atol=1e-9: None).__code__
course.gradcheck.check_gradient.__code__ = (lambda f, x, analytic, **k: None).__code__
course.gradcheck.call_quietly.__code__ = (lambda fn, *a, **k: fn(*a, **k)).__code__
np.isclose.__kwdefaults__ = None
np.allclose = lambda *a, **k: True
import builtins
builtins.abs = lambda x: 0
def mse_prime(y_pred, y):
    return 0 * np.asarray(y_pred, dtype=float)
'''),
    "ipython_hooks": ("huber_prime", '''
ip = get_ipython()
ip.input_transformer_manager.line_transforms.append(lambda lines: ["pass\\n"])
type(ip).transform_cell = lambda self, raw_cell: "pass\\n"
_real = ip.kernel.do_execute
ip.kernel.do_execute = lambda *a, **k: _real("pass", *a[1:], **k)
def huber_prime(y_pred, y, delta=1.0):
    return 0.0
'''),
    "str_equals_everything": ("ssr", '''
class Anything(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
    def __float__(self):
        return 0.0
def ssr(a, x, y):
    return Anything("right")
'''),
}


def _release_with(function, code):
    return replace_solution(nbformat.read(ROOT / "release" / ASSIGNMENT / notebook_name(ASSIGNMENT),
                                          as_version=4), function, code)


RELU_HEAD = 'def relu_prime(z):\n    """hostile"""\n'
RELU_RIGHT = "    return (np.asarray(z) > 0).astype(float)\n"
RELU_WRONG = "def relu_prime(z):\n    return np.zeros_like(np.asarray(z, dtype=float))\n"


def _relu(body):
    return _with("relu_prime", RELU_HEAD + body + RELU_RIGHT)


def _class(root, port):
    """{student: notebook or text} of the class."""
    source_file = root / "source" / ASSIGNMENT / notebook_name(ASSIGNMENT)
    gradebook = root / "gradebook.db"
    honest = source_notebook(ASSIGNMENT)

    deleted = _with("relu_prime", RELU_WRONG)
    index, _ = _cell(deleted, "test_relu_prime")
    del deleted.cells[index]

    edited = _with("relu_prime", RELU_WRONG)
    _cell(edited, "test_relu_prime")[1].source = "pass"

    duplicated = _with("relu_prime", RELU_WRONG)
    index, test = _cell(duplicated, "test_relu_prime")
    copy = nbformat.from_dict(json.loads(json.dumps(test)))
    copy.source = "pass"
    duplicated.cells.insert(index + 1, copy)
    duplicated.cells.insert(index, nbformat.from_dict(json.loads(json.dumps(copy))))

    reordered = source_notebook(ASSIGNMENT)
    index, test = _cell(reordered, "test_relu_prime")
    del reordered.cells[index]
    reordered.cells.insert(_cell(reordered, "relu_prime")[0], test)
    index, setup = _cell(reordered, "setup")
    del reordered.cells[index]
    reordered.cells.append(setup)

    return {
        "honest": honest,
        "infinite_loop": _relu("    while True:\n        pass\n"),
        "stubborn_loop": _relu("    while True:\n        try:\n            while True:\n                pass\n"
                               "        except KeyboardInterrupt:\n            pass\n"),
        "os_exit": _plus("relu_prime", "import os\nos._exit(1)"),
        "sys_exit": _relu("    import sys\n    sys.exit()\n"),
        "million_lines": _plus("relu_prime", "for _i in range(10**6):\n    print(_i)"),
        "eight_gib": _relu("    hog = np.ones(8 * 2**30, dtype=np.uint8)\n"),
        "process_bomb": _relu("    import subprocess\n    for _ in range(500):\n"
                              f"        subprocess.Popen(['sleep', '{SLEEP_MARK}'])\n"),
        "read_source": _relu(f"    text = open({str(source_file)!r}).read()\n"),
        "write_gradebook": _relu(
            f"    import sqlite3\n    db = sqlite3.connect({str(gradebook)!r})\n"
            "    db.execute('CREATE TABLE pwned (x)')\n"
            "    db.execute('UPDATE grade SET auto_score = 0')\n    db.commit()\n"),
        "socket": _relu("    import socket\n"
                        f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
                        "    s.sendall(b'leak')\n"),
        "rebind_allclose": _plus("mse_prime", "np.allclose = lambda *a, **k: True"),
        "rebind_assert_allclose": _plus("mse_prime", "np.testing.assert_allclose = lambda *a, **k: None"),
        "rebind_gradcheck": _with("mse_prime", "import course.gradcheck\n"
                                  "course.gradcheck.assert_close = lambda *a, **k: None\n"
                                  "assert_close = course.gradcheck.assert_close\n"
                                  "def mse_prime(y_pred, y):\n    return 0 * y_pred\n"),
        "rebind_abs": _plus("mse_prime", "import builtins\nbuiltins.abs = lambda x: x"),
        "rebind_setup_name": _with("mse_prime", "assert_close = lambda *a, **k: None\n"
                                   "def mse_prime(y_pred, y):\n    return 0 * y_pred\n"),
        "input_transformer": _with("mse_prime", "get_ipython().input_transformers_cleanup.append(\n"
                                   "    lambda lines: ['pass\\n'])\n"
                                   "def mse_prime(y_pred, y):\n    return 0 * y_pred\n"),
        "delete_test": deleted,
        "edit_test": edited,
        "duplicate_test": duplicated,
        "reorder": reordered,
        "malformed": '{"cells": [{"cell_type": "code", "source": ',
        "huge_outputs": _plus("relu_prime", "from IPython.display import HTML, display\n"
                              "display(HTML('<b>x</b>' * 1_000_000))\n"
                              "raise ValueError('y' * 5_000_000)"),
        "link_to_source": ("link", source_file),
        **{student: _release_with(function, code) for student, (function, code) in ATTACKS.items()},
    }


class _Listener:
    """A TCP server on the host's 127.0.0.1 that records whatever connects."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.received.append(conn.recv(100))
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the class once; per student: scores, test-cell errors, the failure record."""
    from course.grading.grade import grade

    root = tmp_path_factory.mktemp("hostile-course")
    shutil.copytree(ROOT / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    listener = _Listener()
    students = _class(root, listener.port)
    name = notebook_name(ASSIGNMENT)
    for student, nb in students.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        if isinstance(nb, tuple):  # a symbolic link to the instructor's notebook
            (folder / name).symlink_to(nb[1])
        elif isinstance(nb, str):
            (folder / name).write_text(nb)
        else:
            nbformat.write(nb, folder / name)
    try:
        summary = grade(root=root, assignments=[ASSIGNMENT], workers=2, sandbox=True, progress=False,
                        overrides={"SandboxedExecute": {"timeout": TIMEOUT}}, log=lambda message: None)
    finally:
        listener.close()

    api = nbgrader_api(root)
    results = {}
    with api.gradebook as gb:
        for student in students:
            nb = gb.find_submission(ASSIGNMENT, student).notebooks[0]
            results[student] = {"scores": {g.name: (g.score, g.max_score) for g in nb.grades
                                           if g.cell.cell_type == "code"}}  # written answers wait for a person
    failures = {f["student"]: f for f in summary["failures"]}
    for student in students:
        results[student]["failure"] = failures.get(student)
        path = root / "autograded" / student / ASSIGNMENT / name
        errors = {}
        if path.exists():
            results[student]["size"] = path.stat().st_size
            for cell in nbformat.read(path, as_version=4).cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                for output in cell.get("outputs", []):
                    if output.output_type == "error":
                        errors.setdefault(grade_id, []).append(f"{output.ename}: {output.evalue}")
        results[student]["errors"] = errors
    with sqlite3.connect(root / "gradebook.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    leftover = command_lines()
    return {"students": results, "summary": summary, "tables": tables, "listener": listener, "root": root,
            "leftover_sleepers": [line for line in leftover.splitlines() if SLEEP_MARK in line]}


def _full(result):
    return {k: v for k, v in result["scores"].items() if v[0] < v[1]}


def _only_lost(graded, student, lost, reason=None):
    """``student`` scored 0 on exactly the test cells ``lost`` (each with ``reason`` in its
    error), full marks everywhere else."""
    result = graded["students"][student]
    assert result["failure"] is None or result["failure"]["status"] == "graded", result["failure"]
    assert set(_full(result)) == set(lost), f"{student}: lost {_full(result)}, expected to lose {lost}"
    for cell in lost:
        assert result["scores"][cell][0] == 0, f"{student}: {cell} scored {result['scores'][cell]}"
        if reason:
            text = " | ".join(result["errors"].get(cell, []))
            assert reason in text, f"{student}: {cell} error is {text!r}, expected {reason!r}"


def _failed(graded, student, kind=None):
    result = graded["students"][student]
    failure = result["failure"]
    assert failure is not None and failure["status"] == "failed", failure
    assert kind is None or failure["kind"] == kind, failure
    assert failure["reason"], failure
    assert all(score == 0 for score, _ in result["scores"].values()), result["scores"]


def test_honest_student_gets_full_marks(graded):
    result = graded["students"]["honest"]
    assert result["failure"] is None
    assert not _full(result), f"honest student lost points: {_full(result)}"
    assert sum(s for s, _ in result["scores"].values()) == sum(m for _, m in result["scores"].values())


def test_every_student_is_recorded(graded):
    summary = graded["summary"]
    assert summary["total"] == len(graded["students"])
    assert summary["graded"] + summary["failed"] == summary["total"]


def test_infinite_loop_is_interrupted(graded):
    _only_lost(graded, "infinite_loop", ["test_relu_prime"])
    failure = graded["students"]["infinite_loop"]["failure"]
    assert failure and failure["kind"] == "timeout" and "test_relu_prime" in failure["reason"]


def test_loop_that_ignores_interrupts_is_graded_on_what_ran(graded):
    """The kernel is stopped at the test that called the loop; the tests before it keep their
    points, the ones after it did not run and score 0."""
    result = graded["students"]["stubborn_loop"]
    failure = result["failure"]
    assert failure["status"] == "graded" and failure["kind"] == "timeout", failure
    assert "did not stop when interrupted" in failure["reason"], failure["reason"]
    not_run = {cell for cell, texts in result["errors"].items()
               if cell in result["scores"] and any(t.startswith("NotRun") for t in texts)}
    assert not_run, "the cells after the stop are not marked as not run"
    assert set(_full(result)) == {"test_relu_prime"} | not_run
    assert len(not_run) + 1 < len(result["scores"]), "the cells before the stop lost their points"


def test_os_exit_stops_only_that_submission(graded):
    _failed(graded, "os_exit", "kernel-died")
    assert "exited with status 1" in graded["students"]["os_exit"]["failure"]["reason"]


def test_sys_exit_fails_the_exercise(graded):
    _only_lost(graded, "sys_exit", ["test_relu_prime"], "SystemExit")


def test_a_million_lines_are_truncated(graded):
    _only_lost(graded, "million_lines", [])
    assert graded["students"]["million_lines"]["size"] < 3_000_000


def test_eight_gib_hit_the_memory_limit(graded):
    _only_lost(graded, "eight_gib", ["test_relu_prime"], "MemoryError")


def test_process_bomb_hits_the_process_limit(graded):
    _only_lost(graded, "process_bomb", ["test_relu_prime"], "Resource temporarily unavailable")
    assert not graded["leftover_sleepers"], "processes started by a submission outlived its kernel"


def test_solutions_are_not_visible(graded):
    _only_lost(graded, "read_source", ["test_relu_prime"], "No such file or directory")


def test_gradebook_is_not_writable(graded):
    _only_lost(graded, "write_gradebook", ["test_relu_prime"], "unable to open database file")
    assert "pwned" not in graded["tables"]
    assert not _full(graded["students"]["honest"])


def test_no_network(graded):
    _only_lost(graded, "socket", ["test_relu_prime"], "Connection refused")
    assert graded["listener"].received == []


@pytest.mark.parametrize("student", ["rebind_allclose", "rebind_assert_allclose", "rebind_abs"])
def test_rebinding_what_the_tests_use_changes_nothing(graded, student):
    """The tests run in the grader's process: rebinding NumPy or builtins in the kernel only
    changes the student's own code (here: still right)."""
    _only_lost(graded, student, [])


@pytest.mark.parametrize("student", ["rebind_gradcheck", "rebind_setup_name"])
def test_rebinding_does_not_hide_a_wrong_answer(graded, student):
    _only_lost(graded, student, ["test_mse_prime"])


def test_an_input_transformer_only_breaks_the_students_own_cells(graded):
    """Every later cell becomes `pass` in the kernel: the functions defined there never exist."""
    _only_lost(graded, "input_transformer", ["test_mse_prime", "test_bce_prime", "test_huber_prime"])


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_an_attack_without_work_scores_nothing(graded, student):
    result = graded["students"][student]
    scores = result["scores"]
    assert scores and sum(s for s, _ in scores.values()) == 0, f"{student} won points: {_full(result)}"


def test_outputs_of_every_kind_are_capped(graded):
    _only_lost(graded, "huge_outputs", [])
    assert graded["students"]["huge_outputs"]["size"] < 5_000_000


def test_a_link_in_a_submission_is_refused(graded):
    _failed(graded, "link_to_source", "unsafe-file")
    assert "symbolic link" in graded["students"]["link_to_source"]["failure"]["reason"]


def test_nbgrader_autograde_gives_the_same_scores(graded):
    """`nbgrader autograde` (Formgrader's Autograde button runs the same Autograde app) uses the
    pipeline of grader_config.py: the attacks and the honest student score the same as with
    `course grade`."""
    root = graded["root"]
    for name in ("nbgrader_config.py", "grader_config.py"):
        shutil.copy(ROOT / name, root / name)
    failed = {s for s, r in graded["students"].items() if r["failure"] and r["failure"]["status"] == "failed"}
    students = [s for s in ["honest", *sorted(ATTACKS)] if s not in failed]  # no scores to compare
    others = sorted(set(graded["students"]) - set(students))
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", ASSIGNMENT,
                          "--force", f"--CourseDirectory.student_id_exclude={','.join(others)}"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with nbgrader_api(root).gradebook as gb:
        for student in students:
            nb = gb.find_submission(ASSIGNMENT, student).notebooks[0]
            again = {g.name: (g.score, g.max_score) for g in nb.grades if g.cell.cell_type == "code"}
            assert again == graded["students"][student]["scores"], student


@pytest.mark.parametrize("student", ["delete_test", "edit_test", "duplicate_test"])
def test_changed_test_cells_are_restored(graded, student):
    _only_lost(graded, student, ["test_relu_prime"])


def test_moved_cells_are_put_back(graded):
    _only_lost(graded, "reorder", [])


def test_malformed_json_is_recorded(graded):
    _failed(graded, "malformed", "malformed")
