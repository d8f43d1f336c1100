"""The worker side of `python -m course grade`: autograde one (assignment, student) submission.

``grade_one(task)`` runs in a long-lived worker process (a process-pool worker or a dask worker).
The first call in a process builds nbgrader's Python API object with the course configuration;
later calls reuse it, so nbgrader and its dependencies are imported once per worker, not once per
notebook. Nothing here is specific to the executor: the task and the result are plain dicts.

Task: ``{"root", "assignment", "student", "notebooks": [names expected from source/],
"overrides": {"Section": {"trait": value}}, "digest"}``.
Result: ``{"assignment", "student", "status": "graded"|"failed"|"grader-error", "kind", "reason",
"score", "max_score", "seconds", "digest", "worker"}``. ``kind`` is ``None`` for a clean grade,
else one of ``KINDS``; a failed submission has its grades set to 0 in the gradebook. A
"grader-error" (the sandboxed kernel cannot import the grader's agent) records nothing.
"""
import json
import os
import re
import socket
import stat
import threading
import time
from pathlib import Path

# What can go wrong with a submission, in the words the report shows.
KINDS = {
    "missing": "no submitted notebook",
    "misnamed": "notebook submitted under another name",
    "malformed": "the notebook file is not valid notebook JSON",
    "kernel-died": "the kernel died while running the notebook (crash, os._exit or out of memory)",
    "memory-limit": "the submission used more memory than the sandbox allows",
    "cpu-limit": "the submission used more CPU time than the sandbox allows",
    "timeout": "a cell ran past its time limit and was stopped (endless loop?); graded on what ran",
    "unsafe-file": "the submission holds a symbolic link or a special file (refused unread)",
    "kernel-unresponsive": "the kernel stopped responding and could not be interrupted",
    "worker-died": "the grading worker process died while grading this submission",
    "error": "nbgrader could not grade the submission",
}

_local = threading.local()  # one nbgrader API per worker thread (dask workers may run threads)
DB_RETRIES = 8


def _reuse_gradebook_engines():
    """In this worker, one SQLAlchemy engine per (database URL, course) for every ``Gradebook``.

    nbgrader opens the gradebook about ten times per submission, and each ``Gradebook()`` makes a
    new engine, inspects the schema, runs ``create_all`` and checks the course row (tens of ms of
    CPU each). The coordinator has created the schema already; the first ``Gradebook`` of a
    worker still runs nbgrader's full set-up, later ones reuse its engine and connection pool.
    """
    from nbgrader import api as nbgrader_api_module
    from sqlalchemy.orm import scoped_session, sessionmaker

    cls = nbgrader_api_module.Gradebook
    if getattr(cls, "_course_engines", None) is not None:
        return
    original_init, engines, lock = cls.__init__, {}, threading.Lock()

    def __init__(self, db_url, course_id="default_course", authenticator=None):
        with lock:
            engine = engines.get((db_url, course_id))
            if engine is None:
                original_init(self, db_url, course_id, authenticator)
                engines[db_url, course_id] = self.engine
                return
        self.engine = engine
        self.db = scoped_session(sessionmaker(autoflush=True, bind=engine, future=True))
        self.course_id = course_id
        self.authenticator = authenticator

    def close(self):
        self.db.remove()  # the engine and its pool stay for the next Gradebook of this worker

    cls.__init__, cls.close, cls._course_engines = __init__, close, engines


def _api(root, overrides):
    _reuse_gradebook_engines()
    key = (str(root), json.dumps(overrides, sort_keys=True))
    cache = getattr(_local, "apis", None)
    if cache is None:
        cache = _local.apis = {}
    if key not in cache:
        from .nbapi import nbgrader_api
        cache[key] = nbgrader_api(root, **overrides)
    return cache[key]


def warm_up(root, overrides):
    """Import nbgrader and build the API object ahead of the first submission."""
    _api(root, overrides)
    return os.getpid()


def _locked(text):
    text = text or ""
    return ("database is locked" in text or "could not serialize" in text
            or "deadlock detected" in text or "database table is locked" in text)


def _sandbox_reason(log):
    try:
        from .sandbox import failure_reason
    except ImportError:
        return None
    return failure_reason(log)


def _classify(log):
    """The kind of failure from nbgrader's captured log and traceback."""
    stopped = _sandbox_reason(log)
    if stopped:
        if "memory limit" in stopped:
            return "memory-limit"
        if "CPU time limit" in stopped:
            return "cpu-limit"
        if "did not stop when interrupted" in stopped:
            return "kernel-unresponsive"
        return "kernel-died"
    if "DeadKernelError" in log or "Kernel died" in log:
        return "kernel-died"
    if "UnresponsiveKernelError" in log or "kernel became unresponsive" in log:
        return "kernel-unresponsive"
    if "NotJSONError" in log or "does not appear to be JSON" in log or "JSONDecodeError" in log:
        return "malformed"
    if "No notebooks found" in log or "No notebooks were matched" in log:
        return "missing"
    return "error"


def _last_error_line(log):
    lines = [l.strip() for l in (log or "").splitlines() if l.strip()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception|Interrupt)\b", line):
            return line[:300]
    return lines[-1][:300] if lines else ""


def _precheck(folder, notebooks):
    """(kind, reason) when the submitted files cannot be graded at all, else None."""
    import nbformat

    if not folder.is_dir():
        return "missing", f"no folder {folder.parent.name}/{folder.name} in submitted/"
    unsafe = _unsafe_entry(folder)
    if unsafe:
        return "unsafe-file", unsafe
    present = sorted(p.name for p in folder.glob("*.ipynb"))
    expected = [n for n in notebooks if n in present]
    if not expected:
        if present:
            return "misnamed", (f"expected {', '.join(notebooks)}, found {', '.join(present)}")
        return "missing", f"no notebook in the submission (expected {', '.join(notebooks)})"
    for name in expected:
        try:
            with open(folder / name, encoding="utf-8") as f:
                nbformat.read(f, as_version=4)
        except Exception as error:  # not JSON, not a notebook, bad encoding
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            return "malformed", f"{name} is not a readable notebook: {first[:200]}"
    return None


def _unsafe_entry(folder):
    """A sentence about the first symbolic link or special file under ``folder``, else ``None``.

    nbgrader copies what a link points to (``source/``, another student's work), and a FIFO or
    device would hang or leak the copy: a submission is plain files and folders only.
    """
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = os.lstat(path)
        name = path.relative_to(folder.parent)
        if stat.S_ISLNK(info.st_mode):
            return f"{name} is a symbolic link (to {os.readlink(path)}); submissions are refused with links"
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            return f"{name} is not a plain file or folder (a FIFO, socket or device)"
    return None


def _with_retries(action):
    delay = 0.05
    for attempt in range(DB_RETRIES):
        try:
            return action()
        except Exception as error:  # sqlalchemy OperationalError / nbgrader InvalidEntry
            if not _locked(str(error)) or attempt == DB_RETRIES - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _record_zero(api, assignment, student):
    """Make sure the submission is in the gradebook, with the timestamp of what was submitted,
    and every automatic grade of it 0. A score an instructor gave by hand is kept (as nbgrader
    keeps it when it regrades)."""
    from nbgrader.api import Gradebook, MissingEntry

    timestamp = api.get_submitted_timestamp(assignment, student)

    def write():
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            try:
                gb.find_student(student)
            except MissingEntry:
                gb.add_student(student)
            submission = gb.update_or_create_submission(assignment, student, timestamp=timestamp)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = grade.manual_score is not None
            gb.db.commit()
            return submission.score, submission.max_score
    return _with_retries(write)


def _explain_failure(api, assignment, student, notebooks, kind, reason):
    """The autograded notebook of a submission that could not be graded: what was submitted
    (outputs cleared; nothing is read through a link or from an unreadable file), under a first
    cell that says why it scored 0. Formgrader then lists it for manual grading, and the
    student's feedback explains the 0."""
    import shutil

    import nbformat

    submitted = Path(api.coursedir.format_path(api.coursedir.submitted_directory, student, assignment))
    autograded = Path(api.coursedir.format_path(api.coursedir.autograded_directory, student, assignment))
    shutil.rmtree(autograded, ignore_errors=True)
    autograded.mkdir(parents=True)
    sentence = reason.strip().rstrip(".")
    note = nbformat.v4.new_markdown_cell(
        f"**This submission scored 0: it could not be graded.** {sentence[:1].upper() + sentence[1:]}.\n\n"
        "Every exercise below got 0 points automatically; your instructor can still review it and "
        "grade it by hand.", metadata={"course": {"failure": kind}})
    for name in notebooks:
        nb = nbformat.v4.new_notebook()
        path = submitted / name
        if kind not in ("unsafe-file", "malformed") and path.is_file() and not path.is_symlink():
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception:  # noqa: BLE001 -- unreadable: the note alone says why
                pass
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.cells.insert(0, note)
        nbformat.write(nb, autograded / name)
    stamp = submitted / "timestamp.txt"
    if stamp.is_file() and not stamp.is_symlink():
        shutil.copyfile(stamp, autograded / "timestamp.txt")


def _has_submission(api, assignment, student):
    from nbgrader.api import Gradebook, MissingEntry

    def read():
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            try:
                gb.find_submission(assignment, student)
                return True
            except MissingEntry:
                return False
    return _with_retries(read)


def _forget_submission(api, assignment, student):
    from nbgrader.api import Gradebook, MissingEntry

    def write():
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass
    _with_retries(write)


def _scores(api, assignment, student):
    from nbgrader.api import Gradebook

    def read():
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            submission = gb.find_submission(assignment, student)
            return submission.score, submission.max_score
    return _with_retries(read)


def _timed_out_cells(api, assignment, student, notebooks):
    """``(cells stopped at a time limit, count of cells not run after a stop, why the notebook
    was stopped or None)`` from the autograded notebooks."""
    import nbformat

    folder = Path(api.coursedir.format_path(api.coursedir.autograded_directory, student, assignment))
    found, not_run, why = [], 0, None
    for name in notebooks:
        path = folder / name
        if not path.exists():
            continue
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            stopped = [o.get("evalue", "") for o in errors if o.get("ename") == "CellTimeoutError"]
            if stopped and label not in found:
                found.append(label)
            if any(o.get("ename") == "NotRun" for o in errors):
                not_run += 1
            elif stopped and not_run == 0:
                why = f"{label}: {stopped[-1]}"  # the last stop before the cells that did not run
    return found, not_run, (why if not_run else None)


def grade_one(task):
    """Autograde one submission; never raises for a problem of the submission itself."""
    start = time.perf_counter()
    root = Path(task["root"])
    assignment, student = task["assignment"], task["student"]
    api = _api(root, task["overrides"])
    result = {"assignment": assignment, "student": student, "digest": task.get("digest"),
              "kind": None, "reason": None, "worker": f"{socket.gethostname()}:{os.getpid()}"}

    folder = Path(api.coursedir.format_path(api.coursedir.submitted_directory, student, assignment))
    problem = _precheck(folder, task["notebooks"])
    log = ""
    if problem is None:
        existed = _has_submission(api, assignment, student)
        for attempt in range(DB_RETRIES):
            outcome = api.autograde(assignment, student, force=True, create=False)
            log = (outcome.get("log") or "") + "\n" + (outcome.get("error") or "")
            if outcome["success"] or not _locked(log) or attempt == DB_RETRIES - 1:
                break
            time.sleep(min(0.1 * 2 ** attempt, 2.0))  # another worker holds the SQLite write lock
        if outcome["success"]:
            result["status"] = "graded"
            result["score"], result["max_score"] = _scores(api, assignment, student)
            timed_out, not_run, why = _timed_out_cells(api, assignment, student, task["notebooks"])
            if timed_out:
                result["kind"], result["reason"] = "timeout", f"{KINDS['timeout']}: {', '.join(timed_out)}" + (
                    f"; the notebook was stopped at {why}; {not_run} later cells not run" if not_run else "")
            result["seconds"] = time.perf_counter() - start
            return result
        broken = re.search(r"GraderBroken: ([^\n]*)", log)
        if broken:  # the grader cannot run at all: no student's 0, the coordinator stops
            if not existed:
                _forget_submission(api, assignment, student)  # nbgrader made an empty one
            result.update(status="grader-error", reason=broken.group(1).strip(),
                          seconds=time.perf_counter() - start)
            return result
        kind = _classify(log)
        detail = _sandbox_reason(log) or (_last_error_line(log) if kind == "error" else None)
        problem = kind, f"{KINDS[kind]}: {detail}" if detail else KINDS[kind]
    result["status"] = "failed"
    result["kind"], result["reason"] = problem
    result["score"], result["max_score"] = _record_zero(api, assignment, student)
    _explain_failure(api, assignment, student, task["notebooks"], *problem)
    result["score"] = 0.0
    if log and result["kind"] == "error":
        result["log"] = log[-4000:]
    result["seconds"] = time.perf_counter() - start
    return result
