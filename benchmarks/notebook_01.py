"""How long assignment 01 takes: the whole source notebook, its hidden tests, a slider move.

Targets: whole notebook < 15 s, hidden tests < 2 s, tangent explorer update well under 50 ms.
Prints figures; asserts nothing (timings depend on the machine and its load: the kernel's CPU
time is printed too, as the figure least disturbed by other work on a shared machine).
"""
import os
import re
import statistics
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source" / "01_derivatives" / "derivatives.ipynb"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _cell_seconds(cell):
    """Kernel-side execution time of one executed cell, from nbclient's timing metadata."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (parse(end) - parse(start)).total_seconds()


def run(nb, grading):
    """Execute ``nb`` in a fresh kernel; returns (wall seconds incl. kernel start, executed nb)."""
    saved = os.environ.pop("NBGRADER_EXECUTION", None)
    if grading:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(SOURCE.parent)}}).execute()
        return time.perf_counter() - start, nb
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
        if saved is not None:
            os.environ["NBGRADER_EXECUTION"] = saved


def errors(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells if c.cell_type == "code"
            and any(o.output_type == "error" for o in c.get("outputs", []))]


CPU_PROBE = ("import resource as _r; _u = _r.getrusage(_r.RUSAGE_SELF); "
             "print('cpu', _u.ru_utime + _u.ru_stime)")


def whole_notebook(grading):
    nb = nbformat.read(SOURCE, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CPU_PROBE))  # the kernel's own CPU time, start-up included
    wall, nb = run(nb, grading)
    probe = nb.cells.pop()
    cpu = float(next(o.text.split()[1] for o in probe.outputs if o.output_type == "stream"))
    cells = sum(_cell_seconds(c) for c in nb.cells if c.cell_type == "code")
    label = "NBGRADER_EXECUTION set  " if grading else "NBGRADER_EXECUTION unset"
    print(f"whole notebook, {label}: {wall:6.2f} s wall (kernel start included), "
          f"{cells:6.2f} s in cells, kernel CPU {cpu:5.2f} s; errors: {errors(nb) or 'none'}")
    return wall


def hidden_tests_alone():
    """Setup and solution cells, then one cell per hidden-test block: time the hidden blocks."""
    source = nbformat.read(SOURCE, as_version=4)
    cells, hidden = [], []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("grade"):
            match = HIDDEN.search(cell.source)
            if match:
                cells.append(nbformat.v4.new_code_cell(cell.source[:match.start()]))  # visible part, untimed
                hidden.append(nbformat.v4.new_code_cell(match.group(1), metadata={"hidden_of": meta["grade_id"]}))
                cells.append(hidden[-1])
        elif meta.get("solution") or meta.get("grade_id") == "setup":
            cells.append(nbformat.v4.new_code_cell(cell.source))
    nb = nbformat.v4.new_notebook(cells=cells, metadata=source.metadata)
    _, nb = run(nb, grading=True)
    per_cell = {c.metadata["hidden_of"]: _cell_seconds(c) for c in nb.cells if "hidden_of" in c.metadata}
    slowest = sorted(per_cell.items(), key=lambda kv: -kv[1])[:3]
    total = sum(per_cell.values())
    print(f"hidden tests alone ({len(per_cell)} blocks): {total:6.3f} s; slowest: "
          + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in slowest) + f"; errors: {errors(nb) or 'none'}")
    return total


def slider_update(moves=30):
    """Median time of one tangent-explorer slider move: artists updated in place, then the Agg render."""
    os.environ.pop("NBGRADER_EXECUTION", None)
    import matplotlib
    matplotlib.use("Agg")
    from course.widgets import tangent_explorer

    def numerical_derivative(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / (2 * h)

    explorer = tangent_explorer(numerical_derivative)
    update, render = [], []
    for i in range(moves):
        start = time.perf_counter()
        explorer.controls["x"].value = -2.5 + 5.0 * i / moves
        middle = time.perf_counter()
        explorer.figure.canvas.draw()
        update.append(middle - start)
        render.append(time.perf_counter() - middle)
    print(f"tangent explorer, one slider move: update {statistics.median(update) * 1000:.2f} ms "
          f"(median of {moves}), full Agg render {statistics.median(render) * 1000:.0f} ms")


if __name__ == "__main__":
    print(f"machine load (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    live = whole_notebook(grading=False)
    graded = whole_notebook(grading=True)
    hidden = hidden_tests_alone()
    slider_update()
    print(f"targets: whole notebook < 15 s ({'met' if live < 15 else 'MISSED'}), "
          f"hidden tests < 2 s ({'met' if hidden < 2 else 'MISSED'})")
