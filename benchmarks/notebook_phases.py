"""Where grading one notebook spends its time: kernel start, imports, lesson cells, tests, transport.

Each assignment's instructor notebook is autograded as a submission (nbgrader's API, the course
pipeline, sandbox on) a few times, with the lesson cells nothing reads left out (the default) and
with every lesson cell run. Printed per assignment, the median seconds of: the sandboxed kernel's
start, the setup cell (the imports), lesson cells, solution cells, test cells (of which the calls
across the boundary to the student's functions, transport included) and what nbgrader does around
execution (copying, sanitising, the gradebook). Prints; asserts nothing.

    .venv/bin/python benchmarks/notebook_phases.py [--runs 3]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.grading import runner as runner_module  # noqa: E402
from course.grading import execute as execute_module  # noqa: E402
from course.grading.build import source_assignments  # noqa: E402
from course.grading.nbapi import nbgrader_api  # noqa: E402
from course.grading.runner import is_setup_cell, is_test_cell  # noqa: E402
from course.grading.timings import measure  # noqa: E402

PHASES = ("kernel start", "setup (imports)", "lesson cells", "solution cells", "test cells",
          "calls to the kernel", "nbgrader around execution", "whole autograde")


def _kind(cell):
    if is_test_cell(cell):
        return "test cells"
    if is_setup_cell(cell):
        return "setup (imports)"
    if cell.metadata.get("nbgrader", {}).get("solution"):
        return "solution cells"
    return "lesson cells"


def instrument(spent):
    """Wrap the Execute step and the runner so that they add their seconds to ``spent``."""
    execute = execute_module.SandboxedExecute
    run_cell, start, preprocess, call = (execute._run_cell, execute.async_start_new_kernel_client,
                                         execute.preprocess, runner_module.Runner.call)

    def timed(key, fn):
        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phase = key(*args) if callable(key) else key
                spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - began
        return wrapper

    async def timed_start(self):
        began = time.perf_counter()
        try:
            return await start(self)
        finally:
            spent["kernel start"] = spent.get("kernel start", 0.0) + time.perf_counter() - began

    execute._run_cell = timed(lambda self, cell, *rest: _kind(cell), run_cell)
    execute.async_start_new_kernel_client = timed_start
    execute.start_new_kernel_client = execute_module.run_sync(timed_start)
    execute.preprocess = timed("execute", preprocess)
    runner_module.Runner.call = timed("calls to the kernel", call)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    spent = {}
    instrument(spent)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores")
    for assignment in source_assignments(ROOT):
        with tempfile.TemporaryDirectory(prefix="bench-phases-") as tmp:
            course = Path(tmp)
            shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
            measure(course, [assignment], sandbox=True, log=lambda m: None)
            (name,) = [p.name for p in (course / "source" / assignment).glob("*.ipynb")]
            for skip in (True, False):
                api = nbgrader_api(course, SandboxedExecute={"sandbox": True, "skip_unused_lessons": skip})
                api.generate_assignment(assignment, force=True, create=True)
                samples = {phase: [] for phase in PHASES}
                for run in range(args.runs + 1):
                    student = f"s{run}-{skip}"
                    folder = course / "submitted" / student / assignment
                    folder.mkdir(parents=True)
                    shutil.copy(course / "source" / assignment / name, folder / name)
                    spent.clear()
                    began = time.perf_counter()
                    result = api.autograde(assignment, student, force=True, create=True)
                    assert result["success"], result.get("log", "")[-2000:]
                    spent["whole autograde"] = time.perf_counter() - began
                    spent["nbgrader around execution"] = spent["whole autograde"] - spent.pop("execute")
                    if run:  # the first run warms the caches
                        for phase in PHASES:
                            samples[phase].append(spent.get(phase, 0.0))
                label = "unused lesson cells left out" if skip else "every lesson cell run     "
                print(f"{assignment}, {label}: " + ", ".join(
                    f"{phase} {statistics.median(values):.2f}" for phase, values in samples.items()), flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min)")


if __name__ == "__main__":
    main()
