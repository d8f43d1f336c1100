"""Assignment 04's explorer: a two-layer network trained by the student's own functions.

``training_explorer(two_layer_loss, affine_forward, relu_forward, softmax, sigmoid_forward,
sigmoid_backward)`` trains on a 2-D toy set with gradient descent on *your* ``two_layer_loss`` and
draws *your* network's class probabilities and the loss as training proceeds. The sigmoid
activation is your ``two_layer_loss`` run with your sigmoid layer in place of your ReLU layer
(``course.gradcheck.with_references``): it works when ``two_layer_loss`` calls the layers by name.

Training is shown as it happens: a control change restarts it and draws the first frame at once;
the remaining frames are computed between messages on the kernel's event loop, so the next move
is not kept waiting, and a move cancels the run it interrupts. Each frame updates artists in place
over a cached background (``course.widgets.Explorer``); nothing implements a graded exercise.
"""
import math

import numpy as np

from . import data
from .gradcheck import silenced, with_references
from .widgets import TrainingView, axis_end, explorer, live_figure, log_slider, widgets

EXTENT = (-1.6, 1.6, -1.6, 1.6)


# ---- helpers shared with the lesson

def init_two_layer(D, H, C, seed=0, scale=None):
    """Seeded parameters ``W1 (D,H)``, ``b1 (H,)``, ``W2 (H,C)``, ``b2 (C,)``; weights scaled by
    ``sqrt(2 / fan_in)`` unless ``scale`` is given, biases 0."""
    rng = np.random.default_rng(seed)
    s1 = math.sqrt(2.0 / D) if scale is None else scale
    s2 = math.sqrt(2.0 / H) if scale is None else scale
    return {"W1": s1 * rng.standard_normal((D, H)), "b1": np.zeros(H),
            "W2": s2 * rng.standard_normal((H, C)), "b2": np.zeros(C)}


def descend(loss_and_grads, params, lr, epochs):
    """``epochs`` steps of full-batch gradient descent: ``params - lr * grads`` for every key.

    ``loss_and_grads(params) -> (loss, grads)``. Returns the new parameters and the loss before
    each step (an array of length ``epochs``). ``params`` is left as it was.
    """
    losses = np.empty(epochs)
    for k in range(epochs):
        loss, grads = loss_and_grads(params)
        losses[k] = float(loss)
        params = {name: value - lr * np.asarray(grads[name], dtype=np.float64) for name, value in params.items()}
    return params, losses


def class_probabilities(params, X, affine_forward, activation_forward, softmax):
    """The network's softmax probabilities ``(N, C)``, computed by the student's layers."""
    hidden, _ = activation_forward(affine_forward(X, params["W1"], params["b1"])[0])
    scores, _ = affine_forward(hidden, params["W2"], params["b2"])
    return np.asarray(softmax(scores), dtype=np.float64)


def grid_points(extent=EXTENT, resolution=60):
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


# ---- the explorer

@explorer
def training_explorer(two_layer_loss, affine_forward, relu_forward, softmax, sigmoid_forward=None,
                      sigmoid_backward=None, dataset="xor", hidden=8, lr=0.5, reg=1e-4, epochs=600,
                      activation="ReLU", n=200, frames=20, resolution=48):
    """Train a two-layer network on a 2-D toy set with *your* ``two_layer_loss`` and watch it learn.

    Left: the probability of class 1 that *your* layers compute over the plane (red: 1, blue: 0;
    the boundary is white) and the data. Right: the loss before each step. Controls: the data set,
    the activation, the hidden width, the learning rate, the regularisation strength and the
    number of epochs. Each run starts from the same seeded parameters and is drawn in ``frames``
    frames.
    """
    activations = {"ReLU": (relu_forward, None)}
    if sigmoid_forward is not None and sigmoid_backward is not None:
        activations["sigmoid"] = (sigmoid_forward, sigmoid_backward)
    grid = grid_points(EXTENT, resolution)
    figure, (plane, history) = live_figure(figsize=(9.0, 3.8), ncols=2)
    image = plane.imshow(np.full((resolution, resolution), 0.5), extent=EXTENT, origin="lower", cmap="RdBu_r",
                         vmin=0, vmax=1, interpolation="nearest", aspect="auto")
    points = plane.scatter(np.zeros(n), np.zeros(n), c=np.zeros(n), cmap="RdBu_r", vmin=0, vmax=1,
                           edgecolors="w", linewidths=0.8, s=16)
    plane.set(xlim=EXTENT[:2], ylim=EXTENT[2:], xticks=[], yticks=[])
    curve, = history.plot([], [], color="C3", lw=1.5)
    history.set(yscale="log", ylim=(1e-3, 3), xlim=(0, epochs), xlabel="epoch", ylabel="loss before the step")
    run = {}

    def redraw(dataset, activation, hidden, lr, reg, epochs):
        X, y = data.toy_2d(dataset, n=n, seed=0)
        if run.get("dataset") != dataset:
            points.set_offsets(X)
            points.set_array(y.astype(float))
        forward, backward = activations[activation]
        loss_fn = two_layer_loss if backward is None else \
            with_references(two_layer_loss, relu_forward=forward, relu_backward=backward)
        run.update(dataset=dataset, X=X, y=y, forward=forward, lr=lr, reg=reg, epochs=epochs,
                   loss_fn=loss_fn, params=init_two_layer(2, hidden, 2, seed=0), losses=[], done=0,
                   chunk=max(1, math.ceil(epochs / frames)), label=f"{activation}, {hidden} hidden units")
        history.set_xlim(0, axis_end(epochs, (200, 600, 1000, 2000)))
        run["setting"] = (f"{dataset}, {n} points; {activation}, width {hidden}, learning rate {lr:.3g}, "
                          f"reg {reg:.2g}: your two_layer_loss, ")
        return show()

    def show():
        """Put the current state of the run into the artists; returns the line shown under the figure
        (HTML text: cheaper than a text artist repainted every frame)."""
        probs = class_probabilities(run["params"], grid, affine_forward, run["forward"], softmax)
        image.set_data(probs[:, 1].reshape(resolution, resolution))
        losses = np.concatenate(run["losses"]) if run["losses"] else np.zeros(0)
        curve.set_data(np.arange(len(losses)), losses)
        train = class_probabilities(run["params"], run["X"], affine_forward, run["forward"], softmax)
        accuracy = float(np.mean(np.argmax(train, axis=1) == run["y"]))
        last = f", loss {losses[-1]:.3f}" if len(losses) else ""
        return f"{run['setting']}epoch <b>{run['done']}</b> of {run['epochs']}{last}, accuracy <b>{accuracy:.0%}</b>"

    def advance():
        """Train the next chunk of epochs; returns its note and whether epochs remain."""
        if run["done"] >= run["epochs"]:
            return None, False
        k = min(run["chunk"], run["epochs"] - run["done"])

        def loss_and_grads(params):
            return run["loss_fn"](params, run["X"], run["y"], reg=run["reg"])
        with silenced():                    # a learning rate that diverges is a lesson, not an error
            run["params"], losses = descend(loss_and_grads, run["params"], run["lr"], k)
        run["losses"].append(losses)
        run["done"] += k
        return show(), run["done"] < run["epochs"]

    dropdown = dict(layout=widgets.Layout(width="13em"), style={"description_width": "initial"})
    controls = {
        "dataset": widgets.Dropdown(options=list(data.TOY_DATASETS), value=dataset, description="data", **dropdown),
        "activation": widgets.Dropdown(options=list(activations), value=activation, description="activation",
                                       **dropdown),
        "hidden": widgets.IntSlider(value=hidden, min=1, max=32, description="hidden width",
                                    continuous_update=False, style={"description_width": "initial"}),
        "lr": _log_slider_final("learning rate", lr, -2, 1),
        "reg": _log_slider_final("reg", reg, -5, -1),
        "epochs": widgets.IntSlider(value=epochs, min=50, max=2000, step=50, description="epochs",
                                    continuous_update=False),
    }
    view = TrainingView(figure, controls, redraw, advance, moving=[image, points, curve])
    bar = view.widget.children[0]       # two rows of controls: the figure keeps its width
    values = list(controls.values())
    bar.children = (widgets.VBox([widgets.HBox(values[:3]), widgets.HBox(values[3:])]),)
    return view


def _log_slider_final(description, value, low, high):
    """A log slider that reports its value when released (a move restarts a training run)."""
    slider = log_slider(description, value, low, high)
    slider.continuous_update = False
    return slider
