"""Static matplotlib figures for the lessons (the explorers in course.widgets are the live ones)."""
import matplotlib.pyplot as plt
import numpy as np


def curves(xs, functions, title=None, ax=None, **labels):
    """Plot several ``name -> f(xs)`` curves on one axes; ``labels`` sets xlabel/ylabel."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    for name, f in functions.items():
        ax.plot(xs, f(xs), label=name)
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.set(title=title, **labels)
    ax.legend(frameon=False)
    return ax


def loss_surface(ax, loss, w_range, b_range, levels=30, resolution=121):
    """Filled contours of ``loss(w, b)`` over a rectangle; ``loss`` takes scalars."""
    ws = np.linspace(*w_range, resolution)
    bs = np.linspace(*b_range, resolution)
    grid = np.array([[loss(w, b) for w in ws] for b in bs])
    ax.contourf(ws, bs, grid, levels=levels, cmap="viridis")
    ax.set(xlabel="w", ylabel="b")
    return grid
