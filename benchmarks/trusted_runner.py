"""What the trusted runner costs: the test cells of each source notebook, calls across the boundary included.

For every assignment the instructor's notebook is autograded once through the course pipeline
(sandbox on; test cells in the grader's process, the student's functions in the kernel) and
once by executing the same notebook with the tests inside the kernel, as stock nbgrader runs
them. Printed per notebook: seconds in test cells both ways, calls across the boundary and the
cost of one call. Target: the test cells of one notebook under 1 s. Prints; asserts nothing.
"""
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.grading import runner as runner_module  # noqa: E402
from course.grading.build import source_assignments  # noqa: E402
from course.grading.nbapi import nbgrader_api  # noqa: E402
from course.grading.runner import is_test_cell  # noqa: E402
from notebook_01 import _cell_seconds  # noqa: E402  (nbclient's timing of one cell)


def _instrument():
    """Wrap the runner so that it records the seconds of every test cell and every call."""
    record = {"cells": [], "calls": []}
    run_cell, call = runner_module.Runner.run_cell, runner_module.Runner.call

    def timed_cell(self, cell, *args, **kwargs):
        start = time.perf_counter()
        try:
            return run_cell(self, cell, *args, **kwargs)
        finally:
            record["cells"].append(time.perf_counter() - start)

    def timed_call(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return call(self, *args, **kwargs)
        finally:
            record["calls"].append(time.perf_counter() - start)

    runner_module.Runner.run_cell, runner_module.Runner.call = timed_cell, timed_call
    return record


def trusted(assignment, record):
    """Autograde the source notebook through the pipeline; seconds in test cells, calls."""
    record["cells"].clear()
    record["calls"].clear()
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        course = Path(tmp)
        shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
        api = nbgrader_api(course)
        api.generate_assignment(assignment, force=True, create=True)
        (name,) = [p.name for p in (course / "source" / assignment).glob("*.ipynb")]
        folder = course / "submitted" / "bench" / assignment
        folder.mkdir(parents=True)
        shutil.copy(course / "source" / assignment / name, folder / name)
        start = time.perf_counter()
        result = api.autograde(assignment, "bench", force=True, create=True)
        wall = time.perf_counter() - start
        assert result["success"], result.get("log", "")[-2000:]
    return sum(record["cells"]), list(record["calls"]), wall


def in_kernel(assignment):
    """The same notebook executed with its tests in the kernel (stock nbgrader's way)."""
    (path,) = (ROOT / "source" / assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True, record_timing=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
    return sum(_cell_seconds(c) for c in nb.cells if is_test_cell(c))


if __name__ == "__main__":
    print(f"machine load (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    record = _instrument()
    worst = 0.0
    for assignment in source_assignments():
        seconds, calls, wall = trusted(assignment, record)
        kernel = in_kernel(assignment)
        worst = max(worst, seconds)
        per_call = statistics.median(calls) * 1000 if calls else 0.0
        print(f"{assignment}: test cells {seconds:5.2f} s in the trusted runner ({len(calls)} calls across "
              f"the boundary, median {per_call:.2f} ms each; whole autograde {wall:5.2f} s) | "
              f"{kernel:5.2f} s with the tests in the kernel (stock nbgrader)")
    print(f"target: the test cells of one notebook under 1 s: {'met' if worst < 1 else 'MISSED'} "
          f"(slowest {worst:.2f} s)")
