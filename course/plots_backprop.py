"""Static figures of assignment 04 (backpropagation): a computational graph, decision boundaries,
gradient sizes per layer. Functions that need the network take the student's layers as arguments.
"""
import numpy as np

from .plots import plt


def computational_graph(forward, backward, ax=None):
    """The graph of ``L = (w*x + b - t)**2``: forward values (green, above the edges) flow left to
    right, gradients dL/d(.) (red, below) flow right to left.

    ``forward`` and ``backward`` map the names ``x, w, b, t, u, z, L`` to numbers; u = w*x and
    z = u + b. A name missing from ``backward`` is drawn without a gradient.
    """
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2), layout="constrained")
    boxes = {"mul": ((2.0, 1.5), "×", 0.3), "add": ((4.0, 1.5), "+", 0.3), "sq": ((6.3, 1.5), "(z − t)²", 0.45)}
    inputs = {"x": (0.0, 2.3), "w": (0.0, 0.7), "b": (3.2, 0.1), "t": (5.6, 0.1)}
    # (value name, arrow from, arrow to, where its labels go, alignment)
    edges = [("x", (0.1, 2.3), (1.7, 1.6), (0.9, 2.0), "center"),
             ("w", (0.1, 0.7), (1.7, 1.4), (0.9, 1.05), "center"),
             ("u", (2.3, 1.5), (3.7, 1.5), (3.0, 1.5), "center"),
             ("b", (3.3, 0.25), (3.85, 1.3), (3.45, 0.8), "right"),
             ("z", (4.3, 1.5), (5.85, 1.5), (5.05, 1.5), "center"),
             ("t", (5.65, 0.25), (6.05, 1.3), (5.75, 0.8), "right"),
             ("L", (6.75, 1.5), (7.9, 1.5), (7.3, 1.5), "center")]
    for name, start, end, (mx, my), align in edges:
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="0.3", lw=1.2))
        ax.text(mx, my + 0.12, f"{name} = {forward[name]:.4g}", color="C2", ha=align, va="bottom", fontsize=9)
        if name in backward:
            ax.text(mx, my - 0.12, f"dL/d{name} = {backward[name]:.4g}", color="C3", ha=align, va="top", fontsize=9)
    for (x, y), label, half in boxes.values():
        ax.add_patch(FancyBboxPatch((x - half, y - 0.2), 2 * half, 0.4, boxstyle="round,pad=0.05", fc="0.93", ec="0.4"))
        ax.text(x, y, label, ha="center", va="center", fontsize=11)
    for name, (x, y) in inputs.items():
        ax.text(x - 0.05, y, name, ha="right", va="center", fontsize=12, weight="bold")
    ax.text(8.0, 1.5, "L", va="center", fontsize=12, weight="bold")
    ax.text(0.0, 2.75, "forward: values, left to right", color="C2", fontsize=9)
    ax.text(4.4, 2.75, "backward: gradients, right to left", color="C3", fontsize=9)
    ax.set(xlim=(-0.5, 8.4), ylim=(-0.2, 2.95))
    ax.axis("off")
    return ax


def decision_boundary(ax, probability, X, y, extent=(-1.6, 1.6, -1.6, 1.6), resolution=80, title=None):
    """Colour a rectangle by ``probability(points (n, 2)) -> P(class 1) (n,)`` and scatter the data.

    The boundary is where the colour crosses white (probability 0.5).
    """
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    p = np.asarray(probability(grid), dtype=np.float64).reshape(resolution, resolution)
    ax.imshow(p, extent=extent, origin="lower", cmap="RdBu_r", vmin=0, vmax=1, interpolation="bilinear",
              aspect="auto")
    ax.contour(xs, ys, p, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", vmin=0, vmax=1, edgecolors="w", linewidths=0.8, s=18)
    ax.set(xlim=extent[:2], ylim=extent[2:], title=title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def gradient_sizes(ax, sizes, ylabel="size of dL/dW (Frobenius norm)"):
    """One line per ``label -> sizes per layer`` (first layer first), on a log scale."""
    for label, values in sizes.items():
        values = np.asarray(values, dtype=np.float64)
        ax.semilogy(np.arange(1, len(values) + 1), values, "o-", label=label)
    ax.set(xlabel="layer (1 = next to the input)", ylabel=ylabel)
    ax.legend(frameon=False)
    return ax
