"""The optimizer race (assignment 05): the student's optimizers side by side on one track.

Like every explorer (see course.widgets), it runs the student's own functions (``optimize`` and
the update functions ``sgd``, ``momentum``, ``rmsprop``, ``adam``), updates its artists in place
and is inert under nbgrader. Nothing here implements an optimizer.
"""
import numpy as np

from . import data
from .gradcheck import silenced
from .widgets import (Explorer, LearningRate, _few_ticks, axis_end, explorer, live_figure, widgets,
                      wrapping_row)

# Which explorer controls feed which hyper-parameter of each update function: plain descent and
# momentum take lr as a multiplier of the gradient, RMSProp and Adam as a step length, so the two
# pairs get learning rates of their own.
RACERS = {
    "sgd": (lambda c: {"lr": c["lr_plain"]}, "C3"),
    "momentum": (lambda c: {"lr": c["lr_plain"], "beta": c["beta1"]}, "C1"),
    "RMSProp": (lambda c: {"lr": c["lr_adaptive"], "beta": c["beta2"]}, "w"),
    "Adam": (lambda c: {"lr": c["lr_adaptive"], "beta1": c["beta1"], "beta2": c["beta2"]}, "C0"),
}
HISTORY_COLORS = {"sgd": "C3", "momentum": "C1", "RMSProp": "0.25", "Adam": "C0"}
LOSS_LIMITS = (1e-12, 1e4)
# Learning rates (sgd and momentum, RMSProp and Adam) a track starts with: Rosenbrock's steep walls
# make plain descent diverge above about 0.002.
TRACK_RATES = {"bowl": (0.09, 0.1), "Rosenbrock": (0.001, 0.03)}      # one fixed log scale for the loss histories of both tracks


def _grid(loss, ranges, resolution=121):
    """The track's loss on a grid (vectorised over the last axis), log10 for display."""
    w1 = np.linspace(*ranges[0], resolution)
    w2 = np.linspace(*ranges[1], resolution)
    points = np.stack(np.meshgrid(w1, w2), axis=-1)
    return w1, w2, np.log10(loss(points) + 1e-12)


@explorer
def optimizer_race_explorer(optimize, sgd, momentum, rmsprop, adam, surface="bowl", steps=200,
                            lr_plain=0.09, lr_adaptive=0.1, beta1=data.ADAM_BETA1, beta2=data.ADAM_BETA2):
    """Race *your* optimizers on the bowl or the Rosenbrock function, with *your* ``optimize``.

    Left: the paths of the chosen optimizers on the track's contours (log10 of the loss) from the
    start point; right: their losses after each step. ``lr_plain`` drives sgd and momentum,
    ``lr_adaptive`` RMSProp and Adam; ``beta1`` is momentum's beta and Adam's beta1, ``beta2``
    RMSProp's beta and Adam's beta2. The tracks are ``course.data.RACE_SURFACES``.
    """
    updates = {"sgd": sgd, "momentum": momentum, "RMSProp": rmsprop, "Adam": adam}
    figure, (track, history) = live_figure(figsize=(9.0, 3.8), ncols=2)
    paths, curves = {}, {}
    for name, (_, color) in RACERS.items():
        paths[name], = track.plot([], [], ".-", ms=2.5, lw=1.0, color=color, label=name, zorder=3)
        curves[name], = history.plot([], [], lw=1.5, color=HISTORY_COLORS[name], label=name)
    start_dot, = track.plot([], [], "o", color="w", mec="k", ms=7, zorder=4)
    track.legend(loc="upper right", fontsize=8, facecolor="0.3", labelcolor="w", framealpha=0.8)
    history.set(yscale="log", xlabel="step", ylabel="loss", ylim=LOSS_LIMITS, xlim=(0, steps))
    history.legend(loc="upper right", fontsize=8, frameon=False)
    track.set_title(" ", fontsize=10)            # room for the track's title when the layout is frozen
    history.set_title("loss after each step", fontsize=10)
    _few_ticks(history, log_y=True)
    _few_ticks(track)
    drawn = {"surface": None, "artists": {}}

    def draw_track(name):
        """Show a track's map and set its limits (a full draw follows); each map is computed once."""
        loss, _, _, ranges, _ = data.RACE_SURFACES[name]
        if name not in drawn["artists"]:
            w1, w2, shown = _grid(loss, ranges)
            image = track.imshow(shown, extent=(*ranges[0], *ranges[1]), origin="lower", aspect="auto",
                                 cmap="viridis", interpolation="bilinear", zorder=1)
            lines = track.contour(w1, w2, shown, levels=12, colors="w", linewidths=0.4, alpha=0.6, zorder=2)
            optimum = (0.0, 0.0) if name == "bowl" else (1.0, 1.0)
            star, = track.plot(*optimum, "*", color="k", ms=10, zorder=2)
            drawn["artists"][name] = [image, lines, star]
        for other, artists in drawn["artists"].items():
            for artist in artists:
                artist.set_visible(other == name)
        track.set(xlim=ranges[0], ylim=ranges[1], xlabel="w1", ylabel="w2")
        track.set_title(f"{name} (log10 of the loss)", fontsize=10)
        drawn["surface"] = name

    def redraw(surface, lr_plain, lr_adaptive, beta1, beta2, steps, w1, w2, **shown):
        if drawn["surface"] != surface:
            draw_track(surface)
        loss, grad, _, _, _ = data.RACE_SURFACES[surface]
        start = np.array([w1, w2])
        start_dot.set_data([w1], [w2])
        history.set_xlim(0, axis_end(steps, (50, 100, 200, 500)))
        values = dict(lr_plain=lr_plain, lr_adaptive=lr_adaptive, beta1=beta1, beta2=beta2)
        finals = []
        for name, (hyper_of, _) in RACERS.items():
            visible = shown[f"show_{name}"]
            paths[name].set_visible(visible)
            curves[name].set_visible(visible)
            if not visible:
                continue
            with silenced():                   # a learning rate too large is meant to blow up
                path = np.asarray(optimize(updates[name], grad, start, steps, **hyper_of(values)), dtype=np.float64)
                if path.shape != (steps + 1, 2):
                    raise ValueError(f"your optimize returned shape {path.shape} for {steps} steps from a start "
                                     f"of shape (2,); expected ({steps + 1}, 2)")
                shown_path = np.clip(path, -1e6, 1e6)      # keep a diverging run drawable
                losses = loss(path)
            paths[name].set_data(shown_path[:, 0], shown_path[:, 1])
            curves[name].set_data(np.arange(steps + 1), losses)
            finals.append(f"{name} <b>{losses[-1]:.3g}</b>" if np.isfinite(losses[-1]) else f"{name} <b>diverged</b>")
        title = (f"{steps} steps from ({w1:.2f}, {w2:.2f}), learning rate {lr_plain:.4g} "
                 f"(sgd, momentum) and {lr_adaptive:.4g} (RMSProp, Adam)")
        return f"{title}: final loss " + (", ".join(finals) if finals else "(no optimizer chosen)")

    first_loss, first_grad, first_start, first_ranges, _ = data.RACE_SURFACES[surface]
    slider = dict(step=0.05, continuous_update=True, readout_format=".2f", style={"description_width": "initial"})
    rates = {"lr_plain": LearningRate(lr_plain, -4, 0.5, description="lr sgd, momentum"),
             "lr_adaptive": LearningRate(lr_adaptive, -4, 0, description="lr RMSProp, Adam")}
    controls = {
        "surface": widgets.Dropdown(options=list(data.RACE_SURFACES), value=surface, description="track",
                                    layout=widgets.Layout(width="14em")),
        "lr_plain": rates["lr_plain"].value,
        "lr_adaptive": rates["lr_adaptive"].value,
        "beta1": widgets.FloatSlider(value=beta1, min=0.0, max=0.99, description="β1", **dict(slider, step=0.01)),
        "beta2": widgets.FloatSlider(value=beta2, min=0.5, max=0.999, description="β2",
                                     **dict(slider, step=0.001, readout_format=".3f")),
        "steps": widgets.IntSlider(value=steps, min=10, max=500, step=10, description="steps",
                                   continuous_update=True),
        "w1": widgets.FloatSlider(value=first_start[0], min=first_ranges[0][0], max=first_ranges[0][1],
                                  description="start w1", **slider),
        "w2": widgets.FloatSlider(value=first_start[1], min=first_ranges[1][0], max=first_ranges[1][1],
                                  description="start w2", **slider),
    }
    for name in RACERS:
        controls[f"show_{name}"] = widgets.Checkbox(value=True, description=name, indent=False,
                                                    layout=widgets.Layout(width="8em"))

    def new_track(change):
        """A new track brings its own start point, slider ranges and learning rates (one redraw, after this)."""
        _, _, start, ranges, _ = data.RACE_SURFACES[change["new"]]
        with view.held():
            controls["lr_plain"].value, controls["lr_adaptive"].value = TRACK_RATES.get(
                change["new"], (controls["lr_plain"].value, controls["lr_adaptive"].value))
            for key, (low, high), value in (("w1", ranges[0], start[0]), ("w2", ranges[1], start[1])):
                s = controls[key]
                with s.hold_sync():                 # one message: the front end never sees a half-set slider
                    s.min, s.max = min(s.min, low), max(s.max, high)   # never clamp on the way
                    s.value = value
                    s.min, s.max = low, high
    # Registered before the Explorer's own observer, so the sliders are set when it redraws.
    controls["surface"].observe(new_track, names="value")

    moving = list(paths.values()) + list(curves.values()) + [start_dot]
    view = Explorer(figure, controls, redraw, moving=moving)
    rows = [["surface", "lr_plain", "lr_adaptive"], ["beta1", "beta2", "steps"], ["w1", "w2"],
            [f"show_{name}" for name in RACERS]]
    shown = {name: rates[name].widgets if name in rates else [control] for name, control in controls.items()}
    view.widget = widgets.VBox([wrapping_row([w for k in row for w in shown[k]]) for row in rows]
                               + [figure.canvas, view.message])
    return view
