"""Median update time of assignment 03's batch-size explorer, per control move, including the Agg render.

A move restarts the training run and shows its first frame (the epochs that fit in
``course.widgets_sgd.FRAME_S``); the rest of the run follows frame by frame between messages. The
figures per move are that first frame; the slowest setting (batch size 1, 100 epochs) also prints
its frames and whole runs.

Drives the explorer's callback programmatically (no browser), as benchmarks/widgets_02.py does: a
control value is set, which runs the explorer's redraw on the student's functions and either blits
the moving artists or asks for a full draw, which is then rendered with ``figure.canvas.draw()`` as
ipympl would. The student's functions are stood in for by reference implementations written here
(benchmarks/ is not shipped to students). Target: at most 50 ms per move (median).

Also checks that the explorer's run with the constant schedule is exactly ``train_linear``'s.

    .venv/bin/python benchmarks/widgets_03.py
"""
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.pop("NBGRADER_EXECUTION", None)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from course.data import DECAY_K, LINE_X, LINE_Y  # noqa: E402
from course.widgets_sgd import batch_size_explorer  # noqa: E402
from widgets_02 import describe_machine, report, timed_moves  # noqa: E402

# ---- reference implementations of the graded functions (stand-ins for a student's work)


def mse_loss_and_grad(X, y, w, b):
    residual = X @ w + b - y
    return float(np.mean(residual ** 2)), 2.0 * (X.T @ residual) / len(residual), 2.0 * float(np.mean(residual))


def minibatch_indices(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def sgd_epoch(X, y, w, b, lr, batch_size, rng):
    w, b = np.array(w, dtype=np.float64), float(b)
    for batch in minibatch_indices(len(X), batch_size, rng):
        _, dw, db = mse_loss_and_grad(X[batch], y[batch], w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b


def train_linear(X, y, lr, batch_size, epochs, seed=0):
    w, b, rng = np.zeros(X.shape[1]), 0.0, np.random.default_rng(seed)
    history = np.empty(epochs)
    for k in range(epochs):
        w, b = sgd_epoch(X, y, w, b, lr, batch_size, rng)
        history[k] = mse_loss_and_grad(X, y, w, b)[0]
    return w, b, history


def decayed_lr(lr0, epoch, schedule, k):
    if schedule == "step":
        return lr0 * 0.5 ** (epoch // k)
    if schedule == "inverse":
        return lr0 / (1 + k * epoch)
    if schedule == "exponential":
        return lr0 * math.exp(-k * epoch)
    raise ValueError(schedule)


def matches_train_linear(view):
    """With the constant schedule the explorer's final (w, b) is train_linear's (same seed, same rng use)."""
    for size, lr, epochs in [(1, 0.1, 7), (10, 0.3, 12), (100, 0.05, 20)]:
        view.controls["schedule"].value = "constant"
        view.controls["batch_size"].value = size
        view.controls["lr"].value = lr
        view.controls["epochs"].value = epochs
        while view.step():
            pass
        w, b, _ = train_linear(LINE_X, LINE_Y, lr, size, epochs)
        shown = f"<b>w = {w[0]:.4f}, b = {b:.4f}</b>"
        if shown not in view.message.value:
            return f"batch size {size}, learning rate {lr}, {epochs} epochs: {shown} missing from {view.message.value!r}"
    return None


def main():
    describe_machine()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    view = batch_size_explorer.__wrapped__(sgd_epoch, mse_loss_and_grad, decayed_lr)
    print(f"batch-size explorer: built in {1000 * (time.perf_counter() - start):.0f} ms "
          "(the loss surface from mse_loss_and_grad computed once)")
    problem = matches_train_linear(view)
    print("batch-size explorer: constant schedule", "reproduces train_linear" if problem is None else f"WRONG: {problem}")
    sizes = view.controls["batch_size"].options
    view.controls["epochs"].value = 20
    moves = ([{"batch_size": int(rng.choice(sizes))} for _ in range(15)]
             + [{"lr": float(10 ** rng.uniform(-3, 0))} for _ in range(15)]
             + [{"epochs": int(rng.integers(1, 101))} for _ in range(10)]
             + [{"schedule": str(rng.choice(["constant", *DECAY_K]))} for _ in range(10)])
    report("batch-size explorer", *timed_moves(view, moves))
    view.controls["batch_size"].value = 1
    view.controls["epochs"].value = 100
    moves = [{"lr": float(10 ** rng.uniform(-3, -1))} for _ in range(10)]
    report("  (batch size 1, 100 epochs)", *timed_moves(view, moves))
    frames, runs = [], []
    for lr in (0.003, 0.01, 0.03):
        started = time.perf_counter()
        view.controls["lr"].value = lr
        more = True
        while more:
            frame_start = time.perf_counter()
            more = view.step()
            frames.append(1000 * (time.perf_counter() - frame_start))
        runs.append(1000 * (time.perf_counter() - started))
    print(f"  later frames: median {statistics.median(frames):.1f} ms; whole run of 100 epochs: median "
          f"{statistics.median(runs):.0f} ms (the kernel takes messages between frames)")


if __name__ == "__main__":
    main()
