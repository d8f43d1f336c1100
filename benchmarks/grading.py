"""Grading speed: `python -m course grade` (sandbox on) against STOCK `nbgrader autograde`.

A demo class (`python -m course demo`: --students x every assignment in source/, with its broken
submissions: a kernel crash, an endless loop, a malformed and a missing notebook) is graded twice,
each in its own scratch copy of the course:

1. stock nbgrader: its default configuration (a nbgrader_config.py with only the course id; no
   grader_config.py, so no sandbox, no trusted runner, nbgrader's own 30 s cell timeout), one
   `nbgrader autograde ASSIGNMENT` command per assignment, one after the other;
2. `python -m course grade --workers N` (sandbox on), in a fresh process, imports included. The
   instructor's `course build` ran before (it puts the assignments in the gradebook and records
   the reference timings the limits derive from), as stock's `nbgrader generate_assignment` did:
   neither is timed.

Printed: seconds for each, the speedup (target: at least 4x), whether the scores are identical, test
cell by test cell, for every submission that hit no time limit (partial credit, which stock
nbgrader does not give, is listed apart), and the per-notebook cost against bare kernel execution
of the same notebooks (nbclient, a fresh kernel each, every cell in the kernel, serially; target:
within 1.3x), in wall seconds and, where a cpuacct cgroup can be made, in CPU seconds. The
machine's load average is printed beside the figures: on a shared machine they move with it.

    .venv/bin/python benchmarks/grading.py [--students 8] [--workers 2]
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

from course.grading.build import source_assignments  # noqa: E402

STOCK_CONFIG = """c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "how-networks-learn"
"""


class CpuMeter:
    """CPU seconds used by a command and all its descendants (kernels included), from a cgroup-v1
    cpuacct group of its own; ``None`` where no writable cpuacct hierarchy exists."""

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
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def run(command, cwd=None, check=True, meter=None):
    result = subprocess.run(command, cwd=cwd, env=env(), text=True, capture_output=True,
                            preexec_fn=meter.enter if meter else None)
    if check and result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def load():
    return f"load average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores"


def make_class(folder, students, seed=0):
    """A course folder with source/, release/ and a demo class in submitted/."""
    folder = Path(folder)
    shutil.copytree(ROOT / "source", folder / "source")
    shutil.copytree(ROOT / "release", folder / "release")
    run([sys.executable, "-m", "course", "demo", "--root", str(folder), "--students", str(students),
         "--seed", str(seed)])
    return folder


def stock_copy(course, folder):
    """The same class for stock nbgrader: its own folder and a default configuration."""
    folder = Path(folder)
    for name in ("source", "submitted"):
        shutil.copytree(Path(course) / name, folder / name)
    (folder / "nbgrader_config.py").write_text(STOCK_CONFIG)
    return folder


def cell_scores(course):
    """{"assignment/student": {grade cell: (score, max score)}} of the autograded (code) cells in
    the course's SQLite gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", "how-networks-learn") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                cells = scores.setdefault(f"{assignment.name}/{submission.student.id}", {})
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.cell.cell_type == "code":
                            cells[grade.name] = (float(grade.score), float(grade.max_score))
        gb.db.remove()
        gb.engine.dispose()
    return scores


def compare(theirs, mine):
    """Submissions whose scores differ cell by cell, and those whose only differences are partial
    credit (a test cell stock nbgrader scores 0, all or nothing, that ours scores in part)."""
    differ, partial = [], []
    for key in sorted(set(theirs) | set(mine)):
        stock, ours = theirs.get(key, {}), mine.get(key, {})
        changed = [cell for cell in set(stock) | set(ours) if stock.get(cell, (0.0, 0))[0] != ours.get(cell, (0.0, 0))[0]]
        if not changed:
            continue
        if all(stock.get(cell, (0.0, 0))[0] == 0.0 and 0.0 < ours.get(cell, (0.0, 0))[0] < ours[cell][1]
               for cell in changed):
            partial.append(f"{key} ({', '.join(f'{cell} {ours[cell][0]:g}/{ours[cell][1]:g}' for cell in sorted(changed))})")
        else:
            differ.append(f"{key} ({', '.join(f'{cell} stock {stock.get(cell, (0.0,))[0]:g} ours {ours.get(cell, (0.0,))[0]:g}' for cell in sorted(changed))})")
    return differ, partial


def submissions(course):
    return [p for p in sorted((Path(course) / "submitted").glob("*/*")) if p.is_dir()]


def timed_out_in_stock(stock):
    """Submissions whose autograded notebook holds nbgrader's timeout error."""
    hit = set()
    for path in (Path(stock) / "autograded").glob("*/*/*.ipynb"):
        if '"CellTimeoutError"' in path.read_text(errors="replace"):
            hit.add(f"{path.parent.name}/{path.parent.parent.name}")
    return hit


def stock_nbgrader(stock):
    """Serial `nbgrader autograde`, one command per assignment: (wall, CPU) seconds."""
    for assignment in source_assignments(stock):  # the gradebook needs the assignment first
        run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force"], cwd=stock)
    meter = CpuMeter()
    started = time.perf_counter()
    for assignment in source_assignments(stock):
        # exit status 1 when a submission's kernel died: the others are graded
        run([str(BIN / "nbgrader"), "autograde", assignment], cwd=stock, check=False, meter=meter)
    wall, cpu = time.perf_counter() - started, meter.seconds()
    meter.close()
    return wall, cpu


CHILD = """
import json, resource, sys, time
started = time.perf_counter()
from course.grading.grade import grade
summary = grade(sys.argv[1], workers=int(sys.argv[2]), sandbox=True, progress=False, log=lambda m: None)
print(json.dumps({"seconds": time.perf_counter() - started, "graded": summary["graded"],
                  "failed": summary["failed"], "flagged": summary["flagged"],
                  "results": [{k: r.get(k) for k in ("assignment", "student", "kind", "seconds")}
                              for r in summary["results"]],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def course_grade(course, workers):
    """`course grade` (sandbox on) in a fresh process, imports included."""
    meter = CpuMeter()
    result = run([sys.executable, "-c", CHILD, str(course), str(workers)], meter=meter)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["cpu"] = meter.seconds()
    meter.close()
    return figures


def bare(paths):
    """(wall, CPU) seconds of executing ``paths`` with nbclient, a fresh kernel each, serially."""
    meter = CpuMeter()
    listing = json.dumps([str(p) for p in paths])
    result = run([sys.executable, __file__, "--bare", listing], meter=meter)
    wall = json.loads(result.stdout.strip().splitlines()[-1])
    cpu = meter.seconds()
    meter.close()
    return wall, cpu


def _bare(paths):
    import nbformat
    from nbclient import NotebookClient

    os.environ["NBGRADER_EXECUTION"] = "autograde"  # what grading sets: explorers are inert
    started = time.perf_counter()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                                shutdown_kernel="immediate", resources={"metadata": {"path": str(Path(path).parent)}})
        try:
            client.execute()
        except Exception:
            pass  # a crashing kernel costs what it costs
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8, help="class size (default: 8)")
    parser.add_argument("--workers", type=int, default=2, help="workers of course grade (default: 2)")
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        print(json.dumps(_bare(json.loads(args.bare))))
        return
    from course.grading.sandbox import SandboxUnavailable, check_sandbox

    try:
        check_sandbox()
    except SandboxUnavailable as error:
        sys.exit(f"the sandbox does not work here ({error}): this benchmark measures grading with it")
    assignments = source_assignments(ROOT)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = make_class(Path(tmp) / "course", args.students)
        stock = stock_copy(course, Path(tmp) / "stock")
        # the instructor's step before grading, untimed as stock's generate_assignment: the
        # assignments go into the gradebook and the reference timings are recorded
        run([sys.executable, "-m", "course", "build", "--root", str(course)])
        n = len(submissions(course))
        print(f"demo class: {args.students} students x {len(assignments)} assignments = {n} submissions "
              f"(with a kernel crash, an endless loop, a malformed and a missing notebook)", flush=True)

        print(f"[{load()}]", flush=True)
        stock_wall, stock_cpu = stock_nbgrader(stock)
        print(f"stock nbgrader autograde, serial: {stock_wall:7.1f} s  {stock_wall / n:5.2f} s/submission"
              + (f", {stock_cpu:6.1f} CPU-s" if stock_cpu else ""), flush=True)
        print(f"[{load()}]", flush=True)
        ours = course_grade(course, args.workers)
        print(f"course grade --workers {args.workers} (sandbox): {ours['seconds']:7.1f} s  "
              f"{ours['seconds'] / n:5.2f} s/submission" + (f", {ours['cpu']:6.1f} CPU-s" if ours["cpu"] else "")
              + f"; graded {ours['graded']}, failed {ours['failed']}, stopped by a limit {ours['flagged']}"
              + f"; coordinator peak memory {ours['peak_mib']:.0f} MiB", flush=True)
        print(f"[{load()}]", flush=True)

        limited = {f"{r['assignment']}/{r['student']}" for r in ours["results"] if r["kind"] == "timeout"}
        limited |= timed_out_in_stock(stock)
        theirs, mine = cell_scores(stock), cell_scores(course)
        for key in limited:
            theirs.pop(key, None), mine.pop(key, None)
        differ, partial = compare(theirs, mine)
        print(f"scores of {len(set(theirs) | set(mine))} submissions that hit no time limit, test cell by test cell: "
              + ("identical" if not differ else f"DIFFER for {len(differ)}: " + "; ".join(differ[:6]))
              + (f"; besides, partial credit where stock gives 0 (all or nothing): {'; '.join(partial)}"
                 if partial else ""))
        print(f"stopped by a time limit (left out of the comparison): {', '.join(sorted(limited)) or 'none'}")

        # per-notebook cost: the notebooks graded cleanly, against executing them bare
        clean = [r for r in ours["results"] if r["kind"] is None]
        paths = [p for r in clean for p in (Path(course) / "submitted" / r["student"] / r["assignment"]).glob("*.ipynb")]
        bare_wall, bare_cpu = bare(paths)
        worker_seconds = sum(r["seconds"] for r in clean)
        print(f"per notebook, {len(paths)} notebooks graded cleanly: course grade {worker_seconds / len(paths):5.2f} "
              f"worker-s, bare nbclient execution {bare_wall / len(paths):5.2f} s: "
              f"{worker_seconds / bare_wall:4.2f} x bare (target <= 1.3)")
        if ours["cpu"] and bare_cpu:
            print(f"  CPU, whole run of course grade / notebooks graded: {ours['cpu'] / n:5.2f} CPU-s per submission; "
                  f"bare {bare_cpu / len(paths):5.2f} CPU-s per notebook")
        print(f"[{load()}]")
    speedup = stock_wall / ours["seconds"]
    print(f"speedup {speedup:.2f} over stock nbgrader (target >= 4)")


if __name__ == "__main__":
    main()
