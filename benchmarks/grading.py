"""Grading speed: `python -m course grade` against plain serial `nbgrader autograde`.

A demo class (``python -m course demo``: 20 students x every assignment in source/, with its
broken submissions) is graded in a scratch copy of the course
1. by plain nbgrader, one `nbgrader autograde ASSIGNMENT` command per assignment, one after the
   other (the documented way);
2. by `python -m course grade` (a pool of --workers long-lived workers, default: the cores), with
   the sandbox when bubblewrap works here and with --no-sandbox;
and the scores of every submission are compared. It prints seconds per notebook for each, the
bare cost of executing the same notebooks with nbclient (serially, as nbgrader would run them:
same timeout, NBGRADER_EXECUTION set), time and coordinator peak memory for 10, 50 and 200
submissions, and last ``speedup X.XX`` (serial nbgrader time / `course grade` time, default
command, i.e. with the sandbox when it is available).

Both graders use the course's grader_config.py, except the per-cell time limit, lowered to 20 s
for both so that the demo's endless loop does not dominate the figures.

    .venv/bin/python benchmarks/grading.py [--students 20] [--workers N] [--scales 10,50,200]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
TIMEOUT = 20

from course.grading.build import source_assignments  # noqa: E402


class CpuMeter:
    """CPU seconds used by a command and all its descendants (kernels included), from a cgroup-v1
    cpuacct group of its own; ``None`` where no writable cpuacct hierarchy exists. Wall-clock
    figures on a shared machine depend on everyone else's load, CPU seconds much less."""

    BASE = Path("/sys/fs/cgroup/cpuacct")
    count = 0

    def __init__(self):
        CpuMeter.count += 1
        self.folder = self.BASE / f"course-bench-{os.getpid()}-{CpuMeter.count}"
        try:
            self.folder.mkdir()
        except OSError:
            self.folder = None

    def enter(self):
        """preexec_fn: move the child into the group before it runs anything."""
        if self.folder is not None:
            (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self):
        if self.folder is None:
            return None
        return int((self.folder / "cpuacct.usage").read_text()) / 1e9

    def close(self):
        if self.folder is not None:
            try:
                self.folder.rmdir()
            except OSError:
                pass


def env():
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")


def make_course(folder, students, seed=0):
    """A scratch course: source/, the course config, and a demo class in submitted/."""
    folder = Path(folder)
    shutil.copytree(ROOT / "source", folder / "source")
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    config = (ROOT / "grader_config.py").read_text()
    (folder / "grader_config.py").write_text(config + f"\nc.ExecutePreprocessor.timeout = {TIMEOUT}\n")
    run([sys.executable, "-m", "course", "demo", "--root", str(folder), "--students", str(students),
         "--seed", str(seed)])
    return folder


def run(command, cwd=None, check=True, meter=None):
    result = subprocess.run(command, cwd=cwd, env=env(), text=True, capture_output=True,
                            preexec_fn=meter.enter if meter else None)
    if check and result.returncode != 0 and "autograde" not in command:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def totals(course):
    """{"assignment/student": score} of every submission in the course's SQLite gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", "how-networks-learn") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                scores[f"{assignment.name}/{submission.student.id}"] = float(submission.score)
        gb.db.remove()
        gb.engine.dispose()
    return scores


def submissions(course):
    return [p for p in sorted((Path(course) / "submitted").glob("*/*")) if p.is_dir()]


def notebooks(course):
    return [nb for folder in submissions(course) for nb in sorted(folder.glob("*.ipynb"))]


def plain_nbgrader(course):
    """Serial `nbgrader autograde`, one command per assignment; returns seconds of autograde."""
    for assignment in source_assignments(course):  # the gradebook needs the assignment first
        run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force"], cwd=course)
    meter = CpuMeter()
    started = time.perf_counter()
    for assignment in source_assignments(course):
        run([str(BIN / "nbgrader"), "autograde", assignment, "--force"], cwd=course, check=False,
            meter=meter)
    wall, cpu = time.perf_counter() - started, meter.seconds()
    meter.close()
    return wall, cpu


CHILD = """
import json, resource, sys, time
started = time.perf_counter()
from course.grading.grade import grade
summary = grade(sys.argv[1], workers=int(sys.argv[2]) if sys.argv[2] != "0" else None,
                sandbox=sys.argv[3] == "1", progress=False, log=lambda m: None)
print(json.dumps({"seconds": time.perf_counter() - started, "graded": summary["graded"],
                  "failed": summary["failed"], "flagged": summary["flagged"],
                  "task_seconds": sum(r["seconds"] or 0 for r in summary["results"]),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def course_grade(course, workers, sandbox):
    """`course grade` in a fresh process (imports included); the coordinator's figures."""
    meter = CpuMeter()
    result = run([sys.executable, "-c", CHILD, str(course), str(workers or 0), "1" if sandbox else "0"],
                 meter=meter)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["cpu"] = meter.seconds()
    meter.close()
    return figures


def bare_nbclient(course):
    """(wall, cpu) seconds per notebook and count of executing the notebooks with nbclient."""
    meter = CpuMeter()
    result = run([sys.executable, __file__, "--bare", str(course)], meter=meter)
    per, count = json.loads(result.stdout.strip().splitlines()[-1])
    cpu = meter.seconds()
    meter.close()
    return per, (cpu / max(count, 1) if cpu is not None else None), count


def _bare_nbclient(course, limit=None):
    """Seconds per notebook of executing the submitted notebooks with nbclient, one by one."""
    import nbformat
    from nbclient import NotebookClient

    os.environ["NBGRADER_EXECUTION"] = "autograde"  # what grading sets: figures are skipped
    count, started = 0, time.perf_counter()
    for path in notebooks(course)[:limit]:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            continue  # malformed: nbgrader does not execute it either
        client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=True,
                                shutdown_kernel="immediate", interrupt_on_timeout=True,
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        except Exception:
            pass  # a crashing kernel costs what it costs
        count += 1
    del os.environ["NBGRADER_EXECUTION"]
    return (time.perf_counter() - started) / max(count, 1), count


def sandbox_works():
    try:
        from course.grading.sandbox import grading_overrides

        grading_overrides(sandbox=True)
        return True
    except Exception:
        return False


def reset(course):
    for name in ("gradebook.db", "gradebook.db-wal", "gradebook.db-shm"):
        (Path(course) / name).unlink(missing_ok=True)
    shutil.rmtree(Path(course) / "autograded", ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scales", default="10,50,200")
    parser.add_argument("--bare", metavar="COURSE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        print(json.dumps(_bare_nbclient(args.bare)))
        return
    workers = args.workers or os.cpu_count()
    assignments = source_assignments(ROOT)
    sandbox = sandbox_works()
    print(f"{os.cpu_count()} cores, {workers} workers; assignments {', '.join(assignments)}; "
          f"per-cell time limit {TIMEOUT} s; sandbox {'available' if sandbox else 'NOT available'}")

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = make_course(Path(tmp) / "course", args.students)
        n = len(submissions(course))
        print(f"demo class: {args.students} students x {len(assignments)} assignments = {n} submissions",
              flush=True)

        serial, serial_cpu = plain_nbgrader(course)
        reference = totals(course)
        print(f"plain nbgrader autograde, serial: {serial:7.1f} s  {serial / n:6.2f} s/notebook"
              + (f", {serial_cpu / n:5.2f} CPU-s/notebook" if serial_cpu else ""), flush=True)

        modes = [("--no-sandbox", False)] + ([("sandbox", True)] if sandbox else [])
        figures = {}
        for label, with_sandbox in modes:
            reset(course)
            figures[label] = result = course_grade(course, workers, with_sandbox)
            ours = totals(course)
            differ = sorted(k for k in set(reference) | set(ours)
                            if reference.get(k, 0.0) != ours.get(k, 0.0))
            print(f"course grade ({label}): {result['seconds']:7.1f} s  {result['seconds'] / n:6.2f} s/notebook"
                  f" wall, {result['task_seconds'] / n:5.2f} worker-s/notebook; graded {result['graded']},"
                  f" failed {result['failed']}, flagged {result['flagged']}; scores "
                  + ("identical" if not differ else f"DIFFER for {len(differ)}: {differ[:5]}"))
            if result["cpu"] and serial_cpu:
                print(f"  CPU: {result['cpu'] / n:5.2f} CPU-s/notebook (serial nbgrader {serial_cpu / n:5.2f});"
                      f" on {workers} idle cores that would be a speedup of about "
                      f"{serial_cpu / (result['cpu'] / workers):.2f} (estimate, not measured)")
            print(f"  speedup over serial nbgrader ({label}): {serial / result['seconds']:.2f}", flush=True)

        bare, bare_cpu, executed = bare_nbclient(course)
        print(f"bare nbclient execution, serial: {bare:6.2f} s/notebook"
              + (f", {bare_cpu:5.2f} CPU-s/notebook" if bare_cpu else "") + f" ({executed} notebooks)")
        for label, result in figures.items():
            per = result["seconds"] * workers / n
            print(f"course grade ({label}) cost per notebook (wall x workers / notebooks): {per:5.2f} s"
                  f" = {per / bare:4.2f} x bare execution"
                  + (f"; CPU {result['cpu'] / n:5.2f} s = {result['cpu'] / n / bare_cpu:4.2f} x bare CPU"
                     if result["cpu"] and bare_cpu else ""), flush=True)

    print("scale (course grade --no-sandbox, fresh gradebook each):")
    for size in [int(s) for s in args.scales.split(",") if s.strip()]:
        students = max(1, round(size / len(assignments)))
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            course = make_course(Path(tmp) / "course", students, seed=1)
            count = len(submissions(course))
            result = course_grade(course, workers, False)
            print(f"  {count:4d} submissions: {result['seconds']:7.1f} s  {result['seconds'] / count:5.2f} s each,"
                  + (f" {result['cpu'] / count:5.2f} CPU-s each," if result["cpu"] else "")
                  + f" coordinator peak memory {result['peak_mib']:6.1f} MiB", flush=True)

    default = figures["sandbox" if sandbox else "--no-sandbox"]
    print(f"speedup {serial / default['seconds']:.2f}")


if __name__ == "__main__":
    main()
