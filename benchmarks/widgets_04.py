"""Update time of assignment 04's training explorer, in the kernel, including the Agg render.

Drives the explorer programmatically (no browser): a control value is set, which restarts the
training run and draws its first frame; then the run's remaining frames are stepped as the
kernel's event loop would step them. Each frame trains a chunk of epochs with the student's
``two_layer_loss``, recomputes the decision boundary with the student's layers and repaints
the moving artists (blit) or, after a change of limits, renders and sends the whole figure. The student's
functions are stood in for by reference implementations written here (benchmarks/ is not shipped
to students). Target: at most 50 ms per update (median); a frame is an update.

    .venv/bin/python benchmarks/widgets_04.py
"""
import os
import statistics
import time

os.environ.pop("NBGRADER_EXECUTION", None)

import numpy as np  # noqa: E402

from course.widgets_backprop import training_explorer  # noqa: E402

TARGET_MS = 50.0


# ---- reference implementations of the graded functions (stand-ins for a student's work)

def affine_forward(x, W, b):
    x = np.asarray(x, dtype=np.float64)
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, y):
    n = len(y)
    s = logits - logits.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    d = np.exp(log_p)
    d[np.arange(n), y] -= 1
    return -np.mean(log_p[np.arange(n), y]), d / n


def two_layer_loss(params, X, y, reg=0.0):
    a, c1 = affine_forward(X, params["W1"], params["b1"])
    h, cr = relu_forward(a)
    s, c2 = affine_forward(h, params["W2"], params["b2"])
    loss, ds = softmax_cross_entropy(s, y)
    loss += 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    dh, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(dh, cr), c1)
    return loss, {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}


# ---- driving the explorer

def shown(view):
    """What a live JupyterLab does when the cell is shown: the front-end says 'initialized'."""
    canvas = view.figure.canvas
    canvas._handle_message(canvas, {"type": "initialized"}, [])
    canvas.draw()
    return view


def timed(view, moves):
    """Per move: set the control (restart + first frame), then step the run to its end.

    Returns milliseconds: first frames (the move itself), later frames, whole runs, and CPU
    time per frame (which other jobs on a shared machine do not inflate).
    """
    shown(view)

    def frame(action):
        # a frame blits, or renders the whole figure when limits changed: both inside the action
        start, cpu = time.perf_counter(), time.process_time()
        result = action()
        return result, 1000 * (time.perf_counter() - start), 1000 * (time.process_time() - cpu)

    first, later, runs, cpu = [], [], [], []
    for name, value in moves:
        run_start = time.perf_counter()
        _, ms, cpu_ms = frame(lambda: setattr(view.controls[name], "value", value))
        first.append(ms)
        cpu.append(cpu_ms)
        more = True
        while more:
            more, ms, cpu_ms = frame(view.step)
            later.append(ms)
            cpu.append(cpu_ms)
        assert "raised" not in view.message.value, view.message.value
        runs.append(1000 * (time.perf_counter() - run_start))
    return first, later, runs, cpu


def main():
    start = time.process_time()
    sum(i * i for i in range(10 ** 6))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock figures grow with it); "
          f"machine speed: a 1e6-step Python loop takes {1000 * (time.process_time() - start):.0f} ms of CPU")
    started = time.perf_counter()
    view = training_explorer.__wrapped__(two_layer_loss, affine_forward, relu_forward, softmax,
                                         sigmoid_forward, sigmoid_backward)
    while view.step():
        pass
    print(f"training explorer: built and first run trained in {1000 * (time.perf_counter() - started):.0f} ms")
    rng = np.random.default_rng(0)
    moves = ([("hidden", int(h)) for h in rng.integers(1, 33, 6)]
             + [("lr", float(10 ** rng.uniform(-1, 0.5))) for _ in range(6)]
             + [("reg", float(10 ** rng.uniform(-5, -1))) for _ in range(4)]
             + [("dataset", d) for d in ("circles", "spirals", "xor")]
             + [("activation", a) for a in ("sigmoid", "ReLU")]
             + [("epochs", int(e)) for e in (300, 1200, 600)])
    first, later, runs, cpu = timed(view, moves)
    every = first + later
    median = statistics.median(every)
    verdict = "OK" if median <= TARGET_MS else "ABOVE TARGET"
    print(f"{'training explorer':24s} median {median:6.1f} ms per update (frame), p90 {np.percentile(every, 90):6.1f} ms, "
          f"CPU median {statistics.median(cpu):6.1f} ms, {len(every)} frames  [{verdict}, target {TARGET_MS:.0f} ms]")
    print(f"{'  first frame of a move':24s} median {statistics.median(first):6.1f} ms (the move itself: restart, "
          f"first chunk, repaint), p90 {np.percentile(first, 90):6.1f} ms, {len(first)} moves")
    print(f"{'  whole training run':24s} median {statistics.median(runs):6.0f} ms for {view.controls['epochs'].value} "
          f"epochs in 20 frames (the kernel takes messages between frames)")


if __name__ == "__main__":
    main()
