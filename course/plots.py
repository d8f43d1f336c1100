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


# ---- 02 gradient descent

import html as _html
from contextlib import contextmanager as _contextmanager


@_contextmanager
def using_your_code(what="This cell"):
    """Run a lesson block that calls your exercises; if one is unwritten or raises, say so.

    ``with using_your_code("The four tables"): ...`` prints a one-line note instead of a
    traceback and closes any half-drawn figure, so that an unsolved notebook runs top to bottom.
    """
    before = set(plt.get_fignums())
    try:
        yield
    except NotImplementedError:
        note = f"({what}: not yet, it needs an exercise you have not written. Solve it above, run its cell, then run this one again.)"
    except Exception as error:  # the student's code is under construction: explain, don't crash
        note = f"({what}: could not run, your code raised {type(error).__name__}: {error})"
    else:
        return
    for number in set(plt.get_fignums()) - before:
        plt.close(number)
    print(note)


def _cell(value, digits):
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}f}" if np.isfinite(value) and abs(value) < 1e6 else f"{value:.3g}"
    return str(value)


class Table:
    """A small table shown as HTML in a notebook and as aligned text elsewhere (no pandas)."""

    def __init__(self, header, rows, caption=None, digits=4):
        self.header = [str(h) for h in header]
        self.rows = [[_cell(v, digits) for v in row] for row in rows]
        self.caption = caption

    def __repr__(self):
        cols = [self.header] + self.rows
        widths = [max(len(r[i]) for r in cols) for i in range(len(self.header))]
        lines = [self.caption] if self.caption else []
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cols]
        return "\n".join(lines)

    def html(self):
        esc = _html.escape
        head = "".join(f"<th style='text-align:right'>{esc(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td style='text-align:right'>{esc(c)}</td>" for c in row) + "</tr>"
                       for row in self.rows)
        caption = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def _repr_html_(self):
        return self.html()


class SideBySide:
    """Several tables next to each other."""

    def __init__(self, *tables):
        self.tables = tables

    def __repr__(self):
        return "\n\n".join(map(repr, self.tables))

    def _repr_html_(self):
        cells = "".join(f"<div style='margin-right:1.5em'>{t.html()}</div>" for t in self.tables)
        return f"<div style='display:flex;flex-wrap:wrap;align-items:flex-start'>{cells}</div>"


def steps_table(path, caption=None, first=10):
    """The lecture's table of a 1-D descent: step, a, and the difference old a - new a."""
    path = np.asarray(path, dtype=np.float64)
    rows = [[k, path[k], path[k - 1] - path[k]] for k in range(1, min(first, len(path) - 1) + 1)]
    return Table(["step", "a", "difference"], rows, caption=caption)


def paths_on_curve(ax, loss, paths, x_range, xlabel="a", ylabel="SSR", ylim=None):
    """A 1-D loss curve and, per label, the iterates of a descent drawn on it."""
    xs = np.linspace(*x_range, 300)
    curve = np.array([loss(x) for x in xs])
    ax.plot(xs, curve, color="k", lw=1.5)
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        inside = (path >= x_range[0]) & (path <= x_range[1])
        ax.plot(path[inside], [loss(x) for x in path[inside]], "o-", ms=3.5, lw=0.8,
                color=f"C{i}", label=label)
    ax.set(xlim=x_range, ylim=ylim if ylim is not None else (0, float(curve.max())),
           xlabel=xlabel, ylabel=ylabel)
    ax.legend(frameon=False, fontsize=8)
    return ax


def paths_on_surface(ax, loss, paths, w_range, b_range, resolution=81, levels=25, log=False,
                     labels=("w", "b")):
    """Filled contours of ``loss(w, b)`` (scalars) with descent paths ``label -> array (n, 2)``."""
    ws = np.linspace(*w_range, resolution)
    bs = np.linspace(*b_range, resolution)
    grid = np.array([[loss(w, b) for w in ws] for b in bs])
    shown = np.log10(grid + 1e-12) if log else grid
    ax.contourf(ws, bs, shown, levels=levels, cmap="viridis")
    ax.contour(ws, bs, shown, levels=levels, colors="w", linewidths=0.3, alpha=0.5)
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=0.8, color=("C3", "C1", "w", "C0")[i % 4], label=label)
        ax.plot(*path[0], "o", color="w", mec="k")
    ax.set(xlim=w_range, ylim=b_range, xlabel=labels[0], ylabel=labels[1])
    if paths:
        ax.legend(frameon=True, fontsize=8, loc="upper right")
    return grid
