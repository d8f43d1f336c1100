"""Static figures of assignment 04 (backpropagation): a computational graph, decision boundaries,
gradient sizes per layer. Functions that need the network take the student's layers as arguments.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch


def computational_graph(forward, backward, ax=None):
    """The graph of ``L = (w*x + b - t)**2``: forward values (green, above the edges) flow left to
    right, gradients dL/d(.) (red, below) flow right to left.

    ``forward`` and ``backward`` map the names ``x, w, b, t, u, z, L`` to numbers; u = w*x and
    z = u + b. A name missing from ``backward`` is drawn without a gradient.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.0), layout="constrained")
    nodes = {"x": (0.0, 2.0), "w": (0.0, 1.0), "mul": (1.6, 1.5), "b": (1.6, 0.2), "add": (3.2, 1.5),
             "t": (3.2, 0.2), "sq": (4.9, 1.5), "L": (6.4, 1.5)}
    labels = {"mul": "×", "add": "+", "sq": "(z − t)²"}
    edges = [("x", "mul", "x"), ("w", "mul", "w"), ("mul", "add", "u"), ("b", "add", "b"),
             ("add", "sq", "z"), ("t", "sq", "t"), ("sq", "L", "L")]
    for start, end, name in edges:
        (x0, y0), (x1, y1) = nodes[start], nodes[end]
        ax.annotate("", xy=(x1 - 0.28, y1 + (y0 - y1) * 0.18 / max(abs(x1 - x0), 0.3)), xytext=(x0 + 0.2, y0),
                    arrowprops=dict(arrowstyle="-|>", color="0.3", lw=1.2))
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        ax.text(mx, my + 0.17, f"{name} = {forward[name]:.4g}", color="C2", ha="center", fontsize=9)
        if name in backward:
            ax.text(mx, my - 0.27, f"dL/d{name} = {backward[name]:.4g}", color="C3", ha="center", fontsize=9)
    for name, (x, y) in nodes.items():
        if name in labels:
            ax.add_patch(FancyBboxPatch((x - 0.25, y - 0.2), 0.5 if name != "sq" else 0.8, 0.4,
                                        boxstyle="round,pad=0.05", fc="0.93", ec="0.4"))
            ax.text(x + (0.15 if name == "sq" else 0), y, labels[name], ha="center", va="center", fontsize=11)
        elif name != "L":
            ax.text(x - 0.05, y, name, ha="right", va="center", fontsize=12, weight="bold")
    ax.text(nodes["L"][0] + 0.1, nodes["L"][1], "L", va="center", fontsize=12, weight="bold")
    ax.text(0.0, 2.55, "forward: values, left to right", color="C2", fontsize=9)
    ax.text(3.6, 2.55, "backward: gradients, right to left", color="C3", fontsize=9)
    ax.set(xlim=(-0.6, 7.0), ylim=(-0.3, 2.8))
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
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", vmin=0, vmax=1, edgecolors="k", linewidths=0.5, s=18)
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
