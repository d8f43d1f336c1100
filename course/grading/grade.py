"""Autograde every submission in submitted/ in parallel (process pool or dask) into nbgrader's gradebook.

One (assignment, student) submission is the unit of work. The coordinator (this module) prepares
the gradebook once -- creates or opens the database, puts each source assignment in it, adds the
students -- and then hands submissions to a ``concurrent.futures.Executor``: a pool of long-lived
worker processes (``--workers``, default: the number of cores) or, with ``--scheduler``, the
executor of a ``dask.distributed`` client (same code path; the dask workers must see the course
folder and the gradebook at the same path). Workers run nbgrader's ``Autograde`` through its
Python API (``course.grading.worker``) and write the scores to nbgrader's gradebook themselves
(SQLite by default, with a busy timeout and retries; PostgreSQL through ``CourseDirectory.db_url``).

Files written by the coordinator, for ``python -m course report`` and for re-runs:

``autograded/failures.json``
    A JSON list, one object per submission that did not grade cleanly, sorted by assignment then
    student: ``{"assignment", "student", "kind", "reason", "score", "max_score", "status"}``.
    ``status`` is ``"failed"`` (nothing could be graded: the submission is recorded in the
    gradebook with every grade 0) or ``"graded"`` (graded, with a problem worth reviewing, e.g.
    ``kind == "timeout"``: a cell was interrupted after the time limit). ``kind`` is a key of
    ``course.grading.worker.KINDS``: missing, misnamed, malformed, unsafe-file, kernel-died,
    memory-limit, cpu-limit, timeout, kernel-unresponsive, worker-died, error; ``reason`` is a
    sentence for the instructor.
``autograded/grading_state.json``
    What was graded from which content: ``{"submissions": {"<assignment>/<student>":
    {"digest", "status", "kind", "reason", "score", "max_score", "seconds"}}, "assignments":
    {"<assignment>": {"digest"}}}``. A re-run grades only submissions whose files (or whose
    source assignment) changed since, unless ``--force``.

Both files are rewritten atomically after every finished submission, so an interrupted run
(Ctrl-C, a dead worker) loses only the submissions in flight; they are graded on the next run.
"""
import concurrent.futures as cf
import fnmatch
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

from .build import source_assignments
from .nbapi import ROOT

STATE_FILE = "grading_state.json"
COURSE_PACKAGE = Path(__file__).resolve().parents[1]  # course/: what the tests and the grader run on
FAILURES_FILE = "failures.json"


# Worker configuration under the sandbox's and the caller's overrides: python kernels are forked
# from a warm template process (course.grading.kernels) instead of started from scratch, and
# do not log to the terminal (ipykernel warns about its transport at every start).
WORKER_DEFAULTS = {
    "Execute": {"kernel_manager_class": "course.grading.kernels.ForkingKernelManager",
                "extra_arguments": ["--HistoryManager.hist_file=:memory:",
                                    "--IPKernelApp.log_level=ERROR"]},
}


class GradingError(RuntimeError):
    """The class cannot be graded at all (bad arguments, no sandbox, gradebook unusable)."""


# ---------------------------------------------------------------------------------------------
# what to grade


def _digest(folder, ignore=(".ipynb_checkpoints", "__pycache__")):
    """A hash of every file's relative path and content under ``folder``."""
    h = hashlib.sha256()
    folder = Path(folder)
    if not folder.is_dir():
        return "absent"
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(part in ignore for part in path.relative_to(folder).parts):
            continue
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _grading_inputs_digest(root, assignment):
    """A hash of everything that decides an assignment's grades besides the submissions: its
    source notebooks (solutions, visible and hidden tests), the ``course`` package that the tests
    and the grader run on, and the course folder's nbgrader configuration. A change of any of
    them regrades the assignment's submissions."""
    from .nbapi import config_file

    h = hashlib.sha256()
    h.update(_digest(Path(root) / "source" / assignment).encode())
    h.update(_digest(COURSE_PACKAGE).encode())
    config = config_file(root)
    for path in (config, config.with_name("nbgrader_config.py")):
        h.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"absent")
    return h.hexdigest()


def _plan(root, assignments, students):
    """[(assignment, student)] present in submitted/, filtered by names and a student glob."""
    root = Path(root)
    known = source_assignments(root)
    if assignments:
        unknown = [a for a in assignments if a not in known]
        if unknown:
            raise GradingError(f"not an assignment in {root / 'source'}: {', '.join(unknown)} "
                               f"(known: {', '.join(known) or 'none'})")
    names = list(assignments or known)
    submitted = root / "submitted"
    people = sorted(p.name for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []
    people = [s for s in people if fnmatch.fnmatchcase(s, students or "*")]
    everyone = sorted(p.name for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []
    if students and students != "*" and not any(fnmatch.fnmatchcase(s, students) for s in everyone):
        raise GradingError(f"no student in {submitted} matches {students!r}")
    work = []
    for assignment in names:
        for student in people:
            # a student who submitted something for another assignment but not this one is not
            # a missing submission of this one: only folders that exist are graded
            if (submitted / student / assignment).exists():
                work.append((assignment, student))
    return names, work


# ---------------------------------------------------------------------------------------------
# the gradebook, prepared once by the coordinator


def _worker_db_url(db_url):
    """SQLite: wait (instead of failing) while another worker holds the write lock."""
    if db_url.startswith("sqlite") and "timeout=" not in db_url:
        return db_url + ("&" if "?" in db_url else "?") + "timeout=60"
    return db_url


def _prepare_gradebook(root, overrides, assignments, students, state, force):
    """Create/open the gradebook, (re)generate changed source assignments into it, add students.

    Returns the set of (assignment, student) submissions already in the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from .nbapi import nbgrader_api

    api = nbgrader_api(root, **overrides)
    db_url, course_id = api.coursedir.db_url, api.coursedir.course_id
    with Gradebook(db_url, course_id) as gb:  # creates the tables and alembic stamp once
        if gb.engine.dialect.name == "sqlite":
            with gb.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        for assignment in assignments:
            digest = _grading_inputs_digest(root, assignment)
            try:
                gb.find_assignment(assignment)
                in_db = True
            except MissingEntry:
                in_db = False
            if in_db and not force and state["assignments"].get(assignment, {}).get("digest") == digest:
                continue
            # Put the source assignment (its cells, points and checksums) in the gradebook without
            # touching the committed release/: nbgrader writes its release copy to a temp folder.
            with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
                saved = api.coursedir.release_directory
                api.coursedir.release_directory = tmp
                try:
                    outcome = api.generate_assignment(assignment, force=True, create=True)
                finally:
                    api.coursedir.release_directory = saved
            if not outcome["success"]:
                raise GradingError(f"nbgrader could not put {assignment} in the gradebook:\n"
                                   f"{outcome.get('log', '')}\n{outcome.get('error', '')}")
            state["assignments"][assignment] = {"digest": digest}
        existing = {s.id for s in gb.students}
        for student in sorted(set(students) - existing):
            gb.add_student(student)
        graded = set()
        for assignment in assignments:
            for submission in gb.find_assignment(assignment).submissions:
                graded.add((assignment, submission.student.id))
        gb.db.remove()
        gb.engine.dispose()
    return graded, db_url


def _expected_notebooks(root, assignment):
    return sorted(p.name for p in (Path(root) / "source" / assignment).glob("*.ipynb"))


# ---------------------------------------------------------------------------------------------
# state and failures files


def _load_state(root):
    path = Path(root) / "autograded" / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        state = {}
    state.setdefault("assignments", {})
    state.setdefault("submissions", {})
    return state


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _save(root, state):
    folder = Path(root) / "autograded"
    _write_json(folder / STATE_FILE, state)
    failures = []
    for key, entry in sorted(state["submissions"].items()):
        if entry.get("kind"):
            assignment, student = key.split("/", 1)
            failures.append({"assignment": assignment, "student": student, "status": entry["status"],
                             "kind": entry["kind"], "reason": entry["reason"],
                             "score": entry.get("score"), "max_score": entry.get("max_score")})
    _write_json(folder / FAILURES_FILE, failures)


def selected_failures(failures, assignments, students="*"):
    """The entries of ``failures`` about the given assignments and students matching the glob."""
    return [f for f in failures if f["assignment"] in assignments
            and fnmatch.fnmatchcase(f["student"], students or "*")]


def read_failures(root=ROOT):
    """The list written to autograded/failures.json ([] when nothing failed or nothing graded)."""
    try:
        return json.loads((Path(root) / "autograded" / FAILURES_FILE).read_text())
    except (OSError, ValueError):
        return []


# ---------------------------------------------------------------------------------------------
# executors


def _process_pool(workers):
    # fork: the workers inherit the coordinator's already imported nbgrader (about 5 s of
    # imports per process otherwise) and stay alive for the whole run.
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


class _DaskExecutor:
    """A dask.distributed client's executor, with the client closed on shutdown."""

    def __init__(self, address):
        from distributed import Client

        self.client = Client(address, timeout="30s")
        self.executor = self.client.get_executor(pure=False)
        self.capacity = max(1, sum(self.client.nthreads().values()))

    def submit(self, fn, *args):
        return self.executor.submit(fn, *args)

    def shutdown(self, wait=True, cancel_futures=False):
        try:
            self.executor.shutdown(wait=wait)
        finally:
            self.client.close()


# ---------------------------------------------------------------------------------------------
# the run


def _progress_bar(total, enabled):
    if not enabled:
        return None
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes may be forked later
    return tqdm(total=total, unit="nb", desc="grading", file=sys.stderr, dynamic_ncols=True,
                postfix={"failed": 0})


def grade(root=ROOT, assignments=None, students="*", workers=None, scheduler=None, force=False,
          sandbox=True, overrides=None, progress=True, log=None, on_result=None):
    """Autograde the submissions of ``root``/submitted into the gradebook; returns a summary dict:

    ``{"total", "graded", "failed", "skipped", "flagged", "seconds", "results": [worker results
    of this run], "failures": [entries of failures.json], "interrupted": bool}``.

    ``overrides`` (``{"Section": {"trait": value}}``) are merged into every worker's nbgrader
    configuration after the sandbox's (e.g. a shorter ``ExecutePreprocessor.timeout``).
    ``on_result(result)`` is called after each finished submission (progress, benchmarks).
    """
    from . import execute
    from . import sandbox as sandbox_module
    from . import worker as worker_module

    started = time.perf_counter()
    root = Path(root).resolve()
    log = log or (lambda message: print(message, file=sys.stderr))
    if sandbox:
        try:
            merged = execute.grading_overrides(sandbox=True)
        except sandbox_module.SandboxUnavailable as error:
            raise GradingError(f"cannot grade safely: {error}. Student code would run unconfined; "
                               "pass --no-sandbox to grade without a sandbox anyway.") from error
    else:
        log("\nWARNING: grading WITHOUT a sandbox (--no-sandbox): student code runs with your "
            "permissions and can read the solutions, the gradebook and the network.")
        merged = execute.grading_overrides(sandbox=False)  # tests still run in the trusted runner
    merged = _merge(_merge(dict(WORKER_DEFAULTS), merged), overrides or {})

    names, work = _plan(root, assignments, students)
    _compile_course_package()
    state = _load_state(root)
    graded_in_db, db_url = _prepare_gradebook(root, merged, names, {s for _, s in work}, state, force)
    _time_references(root, names, sandbox, log)
    worker_overrides = _merge(merged, {"CourseDirectory": {"db_url": _worker_db_url(db_url)}})

    tasks, skipped = deque(), 0
    notebooks = {a: _expected_notebooks(root, a) for a in names}
    for assignment, student in work:
        digest = hashlib.sha256((_digest(root / "submitted" / student / assignment) + ":" +
                                 state["assignments"].get(assignment, {}).get("digest", "")).encode()
                                ).hexdigest()
        previous = state["submissions"].get(f"{assignment}/{student}", {})
        # unchanged since it was graded (or failed for a reason of its own): nothing to do;
        # a submission that met an error of the grader itself is tried again
        if (not force and previous.get("digest") == digest and previous.get("kind") != "error"
                and (assignment, student) in graded_in_db):
            skipped += 1
            continue
        tasks.append({"root": str(root), "assignment": assignment, "student": student,
                      "notebooks": notebooks[assignment], "overrides": worker_overrides,
                      "digest": digest})
    _save(root, state)

    summary = {"total": len(work), "graded": 0, "failed": 0, "skipped": skipped, "flagged": 0,
               "results": [], "interrupted": False}
    if tasks:
        _run(tasks, workers, scheduler, state, root, summary, progress, worker_module, on_result)
    summary["failures"] = selected_failures(read_failures(root), names, students)
    summary["seconds"] = time.perf_counter() - started
    return summary


def _time_references(root, assignments, sandbox, log):
    """Time the instructor's notebooks that have no up-to-date reference timing (the time limits
    derive from them); `course build` normally did it already."""
    from .build import record_timings_in_child
    from .timings import stale

    missing = sorted({assignment for assignment, _ in stale(root, assignments)})
    if not missing:
        return
    log(f"timing the instructor's notebooks of {', '.join(missing)} once, for the time limits")
    try:
        record_timings_in_child(missing, root, sandbox)
    except RuntimeError as error:  # grading still works, with the fixed limits
        log(f"warning: {error}\nthose notebooks are graded with the fixed time limits")


def _compile_course_package():
    """Byte-compile course/ once, so that kernels (which may see it read-only, in the sandbox)
    do not compile it again for every notebook."""
    import compileall

    try:
        compileall.compile_dir(str(Path(__file__).resolve().parents[1]), quiet=2)
    except OSError:
        pass


def _merge(base, extra):
    out = {section: dict(values) for section, values in base.items()}
    for section, values in extra.items():
        out.setdefault(section, {}).update(values)
    return out


def _record(result, state, root, summary, bar, on_result=None):
    key = f"{result['assignment']}/{result['student']}"
    state["submissions"][key] = {k: result.get(k) for k in
                                 ("digest", "status", "kind", "reason", "score", "max_score", "seconds")}
    _save(root, state)
    summary["results"].append(result)
    summary["graded" if result["status"] == "graded" else "failed"] += 1
    if result["status"] == "graded" and result.get("kind"):
        summary["flagged"] += 1
    if bar is not None:
        bar.set_postfix(failed=summary["failed"] + summary["flagged"], refresh=False)
        bar.update(1)
    if on_result is not None:
        on_result(result)


def _run(tasks, workers, scheduler, state, root, summary, progress, worker_module, on_result=None):
    """Feed tasks to the executor, a bounded window at a time; survive dead worker processes."""
    from concurrent.futures.process import BrokenProcessPool

    local = scheduler is None
    workers = workers or os.cpu_count() or 1

    def new_executor():
        if local:
            return _process_pool(min(workers, len(tasks)) if tasks else workers), workers
        executor = _DaskExecutor(scheduler)
        return executor, executor.capacity

    executor, capacity = new_executor()
    window = 2 * capacity  # enough queued work to keep every worker busy, memory stays flat
    suspects = deque()  # tasks in flight when a worker died: retried alone to find the culprit
    in_flight = {}
    bar = _progress_bar(len(tasks), progress)
    try:
        while tasks or suspects or in_flight:
            if suspects:
                if not in_flight:
                    task = suspects.popleft()
                    in_flight[executor.submit(worker_module.grade_one, task)] = (task, True)
            else:
                while tasks and len(in_flight) < window:
                    task = tasks.popleft()
                    in_flight[executor.submit(worker_module.grade_one, task)] = (task, False)
            done, _ = cf.wait(list(in_flight), return_when=cf.FIRST_COMPLETED)
            broken = False
            for future in done:
                task, alone = in_flight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    if alone:  # it was the only submission being graded: it killed the worker
                        _record(_worker_died(task), state, root, summary, bar, on_result)
                    else:
                        suspects.append(task)
                    continue
                except Exception as error:  # dask: KilledWorker after repeated worker deaths, ...
                    _record(_worker_died(task, error), state, root, summary, bar, on_result)
                    continue
                if result["status"] == "grader-error":
                    # wait for the submissions already running: each leaves the gradebook as it was
                    # before the run ends (a worker cannot be stopped mid-call)
                    executor.shutdown(wait=True, cancel_futures=True)
                    raise GradingError(f"grading cannot run: {result['reason']}. Nothing was recorded "
                                       f"for {result['assignment']}/{result['student']} or later submissions.")
                _record(result, state, root, summary, bar, on_result)
            if broken:
                for future, (task, alone) in list(in_flight.items()):
                    suspects.append(task)
                in_flight.clear()
                executor.shutdown(wait=False, cancel_futures=True)
                executor, capacity = new_executor()
    except KeyboardInterrupt:
        summary["interrupted"] = True
        print("\ninterrupted: finished submissions are in the gradebook; the others are graded "
              "on the next run", file=sys.stderr)
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        if bar is not None:
            bar.close()
        if not summary["interrupted"]:
            executor.shutdown(wait=True)


def _worker_died(task, error=None):
    """The result of a submission whose worker did not return one (died, or raised)."""
    from .worker import KINDS

    kind = "worker-died" if error is None or type(error).__name__ == "KilledWorker" else "error"
    reason = KINDS[kind] + (f": {type(error).__name__}: {error}" if error else "")
    return {"assignment": task["assignment"], "student": task["student"], "digest": task["digest"],
            "status": "failed", "kind": kind, "reason": reason[:500], "score": 0.0,
            "max_score": None, "seconds": None}


# ---------------------------------------------------------------------------------------------
# command line


def add_arguments(parser):
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help="assignments to grade (default: every assignment in source/)")
    parser.add_argument("--students", default="*", metavar="GLOB",
                        help="only students whose id matches this shell pattern (default: all)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes of the local pool (default: number of cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="grade on a dask.distributed cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--force", action="store_true",
                        help="re-grade every submission, even unchanged ones")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                        help="run student code WITHOUT the bubblewrap sandbox (unsafe)")
    parser.add_argument("--root", default=str(ROOT), metavar="DIR",
                        help="the course folder (default: this repository)")


def run(args):
    try:
        summary = grade(root=args.root, assignments=args.assignments, students=args.students,
                        workers=args.workers, scheduler=args.scheduler, force=args.force,
                        sandbox=args.sandbox)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if not summary["total"]:
        chosen = ", ".join(args.assignments) or "any assignment"
        who = f" by a student matching {args.students!r}" if args.students not in ("*", None) else ""
        print(f"nothing to grade: no submission of {chosen}{who} in {Path(args.root) / 'submitted'}",
              file=sys.stderr)
        return 1
    print(f"graded {summary['graded']}, failed {summary['failed']}, unchanged {summary['skipped']} "
          f"of {summary['total']} submissions in {summary['seconds']:.1f} s")
    for entry in summary["failures"]:
        print(f"  {entry['assignment']}/{entry['student']}: {entry['status']}, {entry['reason']}")
    if summary["failures"]:
        print(f"details: {Path(args.root) / 'autograded' / FAILURES_FILE}")
    return 0
