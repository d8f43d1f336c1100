"""Median update time of assignment 05's optimizer race, per control move, including the Agg render.

Drives the explorer's callback programmatically (no browser), as benchmarks/widgets_02.py does:
a control value is set, which runs the student's ``optimize`` with each chosen update function
and blits the moving artists (or asks for a full draw, rendered here as ipympl would). The
student's functions are stood in for by reference implementations written here (benchmarks/ is
not shipped to students). Target: at most 50 ms per move (median).

    .venv/bin/python benchmarks/widgets_05.py
"""
import os
import time

import numpy as np

from widgets_02 import describe_machine, report, timed_moves  # noqa: E402  (the same measurement as 02)

os.environ.pop("NBGRADER_EXECUTION", None)

from course.widgets_optimizers import optimizer_race_explorer  # noqa: E402


# ---- reference implementations of the graded functions (stand-ins for a student's work)

def sgd(w, dw, state, lr=1e-2):
    return np.asarray(w, dtype=np.float64) - lr * np.asarray(dw, dtype=np.float64), ({} if state is None else state)


def momentum(w, dw, state, lr=1e-2, beta=0.9):
    v = beta * (0.0 if state is None else state["v"]) + (1 - beta) * np.asarray(dw, dtype=np.float64)
    return np.asarray(w, dtype=np.float64) - lr * v, {"v": v}


def rmsprop(w, dw, state, lr=1e-2, beta=0.9, eps=1e-8):
    dw = np.asarray(dw, dtype=np.float64)
    s = beta * (0.0 if state is None else state["s"]) + (1 - beta) * dw ** 2
    return np.asarray(w, dtype=np.float64) - lr * dw / (np.sqrt(s) + eps), {"s": s}


def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dw = np.asarray(dw, dtype=np.float64)
    t, v, s = (0, 0.0, 0.0) if state is None else (state["t"], state["v"], state["s"])
    t, v, s = t + 1, beta1 * v + (1 - beta1) * dw, beta2 * s + (1 - beta2) * dw ** 2
    step = (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)
    return np.asarray(w, dtype=np.float64) - lr * step, {"t": t, "v": v, "s": s}


def optimize(update, grad, w0, n_steps, **hyper):
    w = np.array(w0, dtype=np.float64)
    path = np.empty((n_steps + 1,) + w.shape)
    path[0] = w
    state = None
    for k in range(n_steps):
        w, state = update(w, grad(w), state, **hyper)
        path[k + 1] = w
    return path


def main():
    describe_machine()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    view = optimizer_race_explorer.__wrapped__(optimize, sgd, momentum, rmsprop, adam)
    print(f"optimizer race: built in {1000 * (time.perf_counter() - start):.0f} ms")
    moves = ([{"lr_plain": float(10 ** rng.uniform(-3, -1))} for _ in range(8)]
             + [{"lr_adaptive": float(10 ** rng.uniform(-3, -0.5))} for _ in range(8)]
             + [{"beta1": float(rng.uniform(0, 0.99))} for _ in range(6)]
             + [{"beta2": float(rng.uniform(0.5, 0.999))} for _ in range(6)]
             + [{"w1": float(rng.uniform(-9, 3)), "w2": float(rng.uniform(-2.5, 2.5))} for _ in range(8)]
             + [{"show_sgd": bool(k % 2)} for k in range(4)])
    report("race, bowl, 200 steps", *timed_moves(view, moves))
    report("race, bowl, 500 steps", *timed_moves(view, [{"steps": 500}] + moves[:16]))
    report("race, track switches", *timed_moves(view, [{"surface": s} for s in ["Rosenbrock", "bowl"] * 4]))
    view.controls["surface"].value = "Rosenbrock"
    view.controls["steps"].value = 200
    moves = [{"lr_adaptive": float(10 ** rng.uniform(-3, -1))} for _ in range(15)]
    report("race, Rosenbrock, 200 steps", *timed_moves(view, moves))


if __name__ == "__main__":
    main()
