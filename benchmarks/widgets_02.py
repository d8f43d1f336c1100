"""Median update time of assignment 02's explorers, per control move, including the Agg render.

Drives each explorer's callback programmatically (no browser): a control value is set, which
runs the explorer's redraw on the student's functions and either blits the moving artists or
asks for a full draw, which is then rendered with ``figure.canvas.draw()`` as ipympl would. The student's functions are stood in for by reference implementations
written here (benchmarks/ is not shipped to students). Target: at most 50 ms per move (median).

    .venv/bin/python benchmarks/widgets_02.py
"""
import math
import os
import statistics
import time

os.environ.pop("NBGRADER_EXECUTION", None)

import numpy as np  # noqa: E402

from course.data import SSR_LECTURE_TABLES  # noqa: E402
from course.widgets import error_surface_explorer, learning_rate_explorer  # noqa: E402

TARGET_MS = 50.0


# ---- reference implementations of the graded functions (stand-ins for a student's work)

def gradient_descent(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=np.float64)
    path = np.empty((n_steps + 1,) + x.shape)
    path[0] = x
    for t in range(n_steps):
        x = x - lr * np.asarray(grad(x), dtype=np.float64)
        path[t + 1] = x
    return path


def convergence_regime(lr, curvature):
    r = lr * curvature
    if math.isclose(r, 1.0):
        return "one-step"
    if math.isclose(r, 2.0):
        return "cycling"
    return "monotone" if r < 1 else "oscillating" if r < 2 else "diverging"


def neuron_loss(w, b, X, Y):
    f = 1.0 / (1.0 + np.exp(-(w * X + b)))
    return float(np.sum(0.5 * (f - Y) ** 2))


def neuron_grad(w, b, X, Y):
    f = 1.0 / (1.0 + np.exp(-(w * X + b)))
    common = (f - Y) * f * (1.0 - f)
    return float(np.sum(common * X)), float(np.sum(common))


def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b = float(w0), float(b0)
    losses = np.empty(epochs)
    for k in range(epochs):
        losses[k] = neuron_loss(w, b, X, Y)
        dw, db = neuron_grad(w, b, X, Y)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


# ---- driving the explorers

def shown(view):
    """What a live JupyterLab does when the cell is shown: the front-end says 'initialized'.

    From then on ipympl sends only a PNG diff per draw; without a front-end it would also
    re-encode a full PNG as a static fallback (nbconvert), which a student never waits for.
    """
    canvas = view.figure.canvas
    canvas._handle_message(canvas, {"type": "initialized"}, [])
    canvas.draw()                                   # the first render happens when the cell is shown
    return view


def timed_moves(view, moves):
    """Per move: set the controls (runs redraw), then render.

    Returns lists of milliseconds: wall-clock total, wall-clock redraw only, CPU total (the
    process's CPU time, which other jobs on a shared machine do not inflate).
    """
    canvas = shown(view).figure.canvas
    # A move either blits (inside the callback) or asks the front-end for a full draw, which
    # ipympl then renders: count that render as part of the move.
    asked = []
    canvas.draw_idle = lambda: asked.append(True)
    total, redraw_only, cpu = [], [], []
    for values in moves:
        asked.clear()
        start, cpu_start = time.perf_counter(), time.process_time()
        for name, value in values.items():
            view.controls[name].value = value
        middle = time.perf_counter()
        if asked:
            canvas.draw()
        end, cpu_end = time.perf_counter(), time.process_time()
        assert "raised" not in view.message.value, view.message.value
        total.append(1000 * (end - start))
        redraw_only.append(1000 * (middle - start))
        cpu.append(1000 * (cpu_end - cpu_start))
    return total, redraw_only, cpu


def lecture_tables_match(view):
    """At each lecture rate the explorer's table of the first ten steps shows the lecture's numbers."""
    for lr, (a_column, _) in SSR_LECTURE_TABLES.items():
        view.controls["steps"].value = 10
        view.controls["lr"].value = lr
        page = view.message.value
        for step, a in enumerate(a_column, start=1):
            if f">{a:.4f}</td>" not in page:
                return f"learning rate {lr}: step {step} (a = {a:.4f}) missing from the table"
    return None


def report(name, total, redraw_only, cpu):
    median = statistics.median(total)
    verdict = "OK" if median <= TARGET_MS else "ABOVE TARGET"
    print(f"{name:28s} median {median:6.1f} ms per move (redraw {statistics.median(redraw_only):5.1f} ms, "
          f"render {median - statistics.median(redraw_only):5.1f} ms), p90 {np.percentile(total, 90):6.1f} ms, "
          f"CPU median {statistics.median(cpu):6.1f} ms, {len(total)} moves  [{verdict}, target {TARGET_MS:.0f} ms]")
    return median


def describe_machine():
    start = time.process_time()
    sum(i * i for i in range(10 ** 6))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock figures grow with it); "
          f"machine speed: a 1e6-step Python loop takes {1000 * (time.process_time() - start):.0f} ms of CPU")


def main():
    describe_machine()
    rng = np.random.default_rng(0)
    lr_view = learning_rate_explorer.__wrapped__(gradient_descent, convergence_regime)
    problem = lecture_tables_match(lr_view)
    print("learning-rate explorer: lecture tables", "reproduced" if problem is None else f"WRONG: {problem}")
    moves = [{"lr": float(10 ** rng.uniform(-3, -1)), "steps": int(rng.integers(1, 51))} for _ in range(30)]
    report("learning-rate explorer", *timed_moves(lr_view, moves))

    start = time.perf_counter()
    surface_view = error_surface_explorer.__wrapped__(fit_neuron, neuron_loss)
    print(f"error-surface explorer: built in {1000 * (time.perf_counter() - start):.0f} ms "
          "(contours of neuron_loss computed once)")
    moves = ([{"lr": float(10 ** rng.uniform(-1, 0.7))} for _ in range(10)]
             + [{"w0": float(rng.uniform(-5, 5)), "b0": float(rng.uniform(-5, 5))} for _ in range(10)]
             + [{"epochs": int(rng.integers(1, 301)) * 10} for _ in range(10)])
    report("error-surface explorer", *timed_moves(surface_view, moves))
    surface_view.controls["epochs"].value = 1000
    moves = [{"lr": float(10 ** rng.uniform(-1, 0.7))} for _ in range(15)]
    report("  (1000 epochs, lr moves)", *timed_moves(surface_view, moves))


if __name__ == "__main__":
    main()
