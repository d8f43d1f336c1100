"""The explorer of assignment 03: batch size, learning rate, epochs and decay, run by the student's code.

Like every explorer (see course.widgets), it takes the student's functions as arguments, updates
its artists in place, and is inert under nbgrader. Nothing here implements a graded function: an
epoch is the student's ``sgd_epoch``, a learning rate the student's ``decayed_lr``, a loss the
student's ``mse_loss_and_grad``.
"""
import time

import numpy as np

from . import data
from .gradcheck import silenced
from .widgets import LearningRate, TrainingView, _few_ticks, axis_end, explorer, live_figure, widgets

FRAME_S = 0.02        # epochs trained per frame of a run: as many as fit in this many seconds (at least one)
MAX_EPOCHS = 100
EPOCH_AXIS = (10, 25, 50, MAX_EPOCHS)            # the right end of the loss history's epoch axis


def log_batch_sizes(n, count=40, include=(data.EPOCH_BATCH_SIZE,)):
    """Whole batch sizes from 1 to ``n``, about evenly spaced on a log scale.

    ``n`` itself (the full batch) and the sizes in ``include`` (the lecture's 10) are always
    among them, so a drop-down can set them exactly.
    """
    sizes = set(np.unique(np.round(np.logspace(0, np.log10(n), count)).astype(int)).tolist())
    sizes |= {1, n} | {s for s in include if 1 <= s <= n}
    return sorted(sizes)


def _least_squares(X, y):
    """The best (w, b) and its loss: where the paths should end (a plot range, not an exercise)."""
    design = np.column_stack([X, np.ones(len(y))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1], float(solution[-1]), float(np.mean((design @ solution - y) ** 2))


def _finite_prefix(points):
    """The rows of ``points`` before the first one holding inf or nan (a diverged run)."""
    bad = ~np.all(np.isfinite(points), axis=1)
    return points[:int(np.argmax(bad))] if bad.any() else points


@explorer
def batch_size_explorer(sgd_epoch, mse_loss_and_grad, decayed_lr, X=data.LINE_X, y=data.LINE_Y,
                        decay_k=data.DECAY_K, batch_size=10, lr=0.1, epochs=20, seed=0, resolution=61):
    """Mini-batch gradient descent on a one-feature regression, run epoch by epoch by *your* code.

    ``X`` has shape ``(n, 1)``: the parameters are (w, b), a plane. Left: *your*
    ``mse_loss_and_grad`` over (w, b) (log scale, computed once) and the path of ``sgd_epoch``
    from (0, 0), one dot per epoch, with one ``rng = np.random.default_rng(seed)`` for the run
    (as ``train_linear`` does). Right: how far the full-data loss after each epoch is above the
    least-squares minimum. The learning rate of epoch e is ``lr`` (constant) or *your*
    ``decayed_lr(lr, e, schedule, decay_k[schedule])``.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(y)
    w_best, b_best, best_loss = _least_squares(X, y)
    w_range = (min(0.0, w_best[0]) - 1.0, max(0.0, w_best[0]) + 1.0)
    b_range = (min(0.0, b_best) - 1.0, max(0.0, b_best) + 1.0)

    figure, (surface, history) = live_figure(figsize=(8.8, 3.6), ncols=2)
    surface.set(xlim=w_range, ylim=b_range, xlabel="w", ylabel="b", title="(w, b) after each epoch")
    path_line, = surface.plot([], [], ".-", color="C3", ms=4, lw=0.8, zorder=3)
    end_dot, = surface.plot([], [], "o", color="C1", mec="k", ms=7, zorder=4)
    surface.plot([0.0], [0.0], "o", color="w", mec="k", ms=6, zorder=4)
    surface.plot([w_best[0]], [b_best], "*", color="w", mec="k", ms=11, zorder=4)
    curve, = history.plot([], [], ".-", color="C3", ms=3, lw=1.2)
    # One fixed log scale for every run, so runs compare at a glance and the background stays cached.
    history.set(yscale="log", xlabel="epoch", ylabel="loss above the minimum", xlim=(0, MAX_EPOCHS),
                ylim=(1e-6, 1e2), title="full-data loss after each epoch")
    _few_ticks(surface)
    _few_ticks(history, log_y=True)
    state = {"surface": False}
    run = {}

    def draw_surface():
        ws = np.linspace(*w_range, resolution)
        bs = np.linspace(*b_range, resolution)
        grid = np.array([[float(mse_loss_and_grad(X, y, np.array([w]), b)[0]) for w in ws] for b in bs])
        shown = np.log10(np.maximum(grid, 1e-12))
        # One image with a few contour lines: it costs the same to render at every move.
        surface.imshow(shown, extent=(*w_range, *b_range), origin="lower", aspect="auto",
                       cmap="viridis", interpolation="bilinear", zorder=1)
        surface.contour(ws, bs, shown, levels=10, colors="w", linewidths=0.4, alpha=0.6, zorder=2)
        state["surface"] = True

    def train_frame():
        """The run's next epochs, each by the student's ``sgd_epoch``, for about FRAME_S seconds."""
        started = time.perf_counter()
        with silenced():                               # a diverging run is meant to overflow
            while len(run["points"]) - 1 < run["epochs"] and not run["diverged"]:
                epoch = len(run["points"]) - 1
                lr, schedule = run["lr"], run["schedule"]
                rate = lr if schedule == "constant" else float(decayed_lr(lr, epoch, schedule, decay_k[schedule]))
                w, b = sgd_epoch(X, y, run["w"], run["b"], rate, run["batch_size"], run["rng"])
                run["w"], run["b"], run["rate"] = np.asarray(w, dtype=np.float64).reshape(-1), float(b), rate
                run["points"].append((run["w"][0], run["b"]))
                loss = float(mse_loss_and_grad(X, y, np.array([run["w"][0]]), run["b"])[0])
                run["losses"].append(loss)
                run["diverged"] = not (np.all(np.isfinite(run["w"])) and np.isfinite(run["b"]) and np.isfinite(loss))
                if time.perf_counter() - started > FRAME_S:
                    break

    def show():
        """The run so far in the artists; returns the note under the figure."""
        points = np.array(run["points"])
        finite = _finite_prefix(points)
        path_line.set_data(finite[:, 0], finite[:, 1])
        end_dot.set_data(finite[-1:, 0], finite[-1:, 1])
        above = np.array(run["losses"]) - best_loss
        shown = np.where(np.isfinite(above), np.maximum(above, 1e-6), np.nan)
        curve.set_data(np.arange(1, len(shown) + 1), shown)
        batch_size, lr, epochs, done = run["batch_size"], run["lr"], run["epochs"], len(points) - 1
        size = "full batch" if batch_size >= n else f"batch size {batch_size}"
        if run["diverged"]:
            return (f"{size} of {n} rows, learning rate {lr:.3g}: <b>diverged</b> in epoch {done} "
                    f"(the loss overflowed). Try a smaller learning rate or a larger batch.")
        if done < epochs:
            return f"{size} of {n} rows, learning rate {lr:.3g}: training, epoch <b>{done}</b> of {epochs} ..."
        w, b = points[-1]
        schedule_note = "" if run["schedule"] == "constant" else \
            f" ({run['schedule']} decay: {run['rate']:.3g} in the last epoch)"
        return (f"{size} of {n} rows, learning rate {lr:.3g}{schedule_note}: after {epochs} epochs "
                f"<b>w = {w:.4f}, b = {b:.4f}</b>, loss {run['losses'][-1]:.5f} (the minimum is "
                f"{best_loss:.5f} at w = {w_best[0]:.4f}, b = {b_best:.4f}).")

    def redraw(batch_size, lr, epochs, schedule):
        """A new run from (0, 0) with one ``rng`` (as ``train_linear``), its first frame shown."""
        if not state["surface"]:
            draw_surface()
        run.update(batch_size=batch_size, lr=lr, epochs=epochs, schedule=schedule, rate=lr, diverged=False,
                   w=np.zeros(X.shape[1]), b=0.0, rng=np.random.default_rng(seed), points=[(0.0, 0.0)], losses=[])
        history.set_xlim(0, axis_end(epochs, EPOCH_AXIS))
        train_frame()
        return show()

    def running():
        return not run["diverged"] and len(run["points"]) - 1 < run["epochs"]

    def advance():
        """Train the next frame; returns its note and whether epochs remain."""
        if not running():
            return None, False
        train_frame()
        return show(), running()

    sizes = log_batch_sizes(n)
    schedules = [("constant", "constant")] + [
        (f"{name} (k = {k:g})", name) for name, k in decay_k.items()]
    rate = LearningRate(lr, -3, 0)
    controls = {
        "batch_size": widgets.SelectionSlider(options=sizes, value=min(sizes, key=lambda s: abs(s - batch_size)),
                                              description="batch size", continuous_update=True,
                                              style={"description_width": "initial"}),
        "lr": rate.value,
        "epochs": widgets.IntSlider(value=epochs, min=1, max=MAX_EPOCHS, description="epochs", continuous_update=True),
        "schedule": widgets.Dropdown(options=schedules, value="constant", description="decay",
                                     layout=widgets.Layout(width="19em")),
    }
    bar = [controls["batch_size"], *rate.widgets, controls["epochs"], controls["schedule"]]
    view = TrainingView(figure, controls, redraw, advance, moving=[path_line, end_dot, curve], bar=bar)
    presets = widgets.Dropdown(
        options=[("batch sizes", None), ("1: stochastic", 1)]
        + [(f"{s}: the lecture's", s) for s in (data.EPOCH_BATCH_SIZE,) if s < n] + [(f"{n}: full batch", n)],
        value=None, layout=widgets.Layout(width="11em"))

    def pick(change):
        if change["new"] is not None:
            view.controls["batch_size"].value = change["new"]
    presets.observe(pick, names="value")
    bar = view.widget.children[0]
    bar.children = tuple(bar.children) + (presets,)
    return view
