"""Grading at scale: N generated submissions on a local dask.distributed cluster of 2 workers.

The class is made of demo classes of 8 students (`course demo` with different seeds, the students
renamed apart), so the broken submissions scale with it: per 16 submissions a kernel crash, an
endless loop, a malformed and a missing notebook. `course grade --scheduler` (sandbox on) grades
it on a LocalCluster of 2 worker processes started in a separate process, so the coordinator
measured here is only `course grade`'s.

Printed: after every tenth of the class, the submissions done, seconds, throughput of that tenth
and the coordinator's resident memory; at the end the total time, throughput and peak memory.
Time should grow linearly (a steady throughput per tenth) and memory stay flat.

    .venv/bin/python benchmarks/grading_scale.py [--submissions 1000] [--workers 2]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.grading.build import source_assignments  # noqa: E402

CLUSTER = """
import sys, time
from distributed import LocalCluster
cluster = LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, processes=True,
                       dashboard_address=None, silence_logs=40)
print(cluster.scheduler_address, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
cluster.close()
"""


def rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_class(folder, submissions, per_class=8):
    """submitted/ with about ``submissions`` submissions, from seeded demo classes."""
    from course.grading.demo import make_class as demo_class

    folder = Path(folder)
    shutil.copytree(ROOT / "source", folder / "source")
    shutil.copytree(ROOT / "release", folder / "release")
    scratch = folder / "scratch"
    shutil.copytree(ROOT / "source", scratch / "source")
    shutil.copytree(ROOT / "release", scratch / "release")
    per_student = len(source_assignments(ROOT))
    made, seed = 0, 0
    while made < submissions:
        students = min(per_class, -(-(submissions - made) // per_student))
        demo_class(scratch, students=students, seed=seed, force=True)
        for student in sorted(p for p in (scratch / "submitted").iterdir() if p.is_dir()):
            shutil.move(str(student), folder / "submitted" / f"{student.name}-{seed}")
            made += per_student
        seed += 1
    shutil.rmtree(scratch)
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000, help="class size in submissions (default: 1000)")
    parser.add_argument("--workers", type=int, default=2, help="dask workers (default: 2)")
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        course = make_class(Path(tmp) / "course", args.submissions)
        subprocess.run([sys.executable, "-m", "course", "build", "--timings-only", "--root", str(course)],
                       check=True, capture_output=True)
        count = sum(1 for p in (course / "submitted").glob("*/*") if p.is_dir())
        cluster = subprocess.Popen([sys.executable, "-c", CLUSTER, str(args.workers)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        try:
            address = cluster.stdout.readline().strip()
            print(f"{count} submissions on a dask LocalCluster of {args.workers} workers at {address}; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
            from course.grading.grade import grade

            step = max(1, count // 10)
            marks = {"done": 0, "last": time.perf_counter(), "started": time.perf_counter()}

            def checkpoint(result):
                marks["done"] += 1
                if marks["done"] % step and marks["done"] != count:
                    return
                now = time.perf_counter()
                rate = step / (now - marks["last"]) if marks["done"] % step == 0 else float("nan")
                marks["last"] = now
                print(f"  {marks['done']:5d} done {now - marks['started']:7.1f} s  {rate:5.2f} submissions/s "
                      f"in this tenth  coordinator RSS {rss_mib():6.1f} MiB  load {os.getloadavg()[0]:.1f}",
                      flush=True)

            started = time.perf_counter()
            summary = grade(course, scheduler=address, sandbox=True, progress=False, log=lambda m: None,
                            on_result=checkpoint)
            seconds = time.perf_counter() - started
        finally:
            cluster.stdin.close()
            cluster.wait(timeout=60)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"graded {summary['graded']}, failed {summary['failed']}, stopped by a limit {summary['flagged']} "
          f"of {count} in {seconds:.1f} s: {count / seconds:.2f} submissions/s; "
          f"coordinator peak memory {peak:.0f} MiB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
