"""Static matplotlib figures for the lessons (the explorers in course.widgets are the live ones)."""
import html as _html
import os as _os
import textwrap
from contextlib import contextmanager as _contextmanager

import numpy as np

from .lazy import LazyModule

plt = LazyModule("matplotlib.pyplot")  # the setup cells' plt: a graded notebook may never draw


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


# ---- 01 derivatives

def no_figures_when_grading():
    """Under nbgrader (``NBGRADER_EXECUTION`` set) figures are built but never rendered.

    Rendering is most of a lesson notebook's run time and nobody looks at the pictures of a
    graded copy; in a live kernel this does nothing.
    """
    if "NBGRADER_EXECUTION" not in _os.environ:
        return
    import sys
    if "matplotlib.pyplot" not in sys.modules:
        # pyplot, if a cell that runs under grading uses it, starts on Agg (not interactive)
        _os.environ["MPLBACKEND"] = "agg"
        return
    plt.switch_backend("agg")
    plt.ioff()  # in interactive mode Agg would still render on every change
    plt.rcParams["figure.max_open_warning"] = 0


def unwritten_exercise(error):
    """The exercise a ``NotImplementedError`` comes from, in words: "your gradient_descent()".

    The innermost frame of the traceback that runs code defined in the notebook (``__main__``)
    is the student's function whose body still says ``raise NotImplementedError()``.
    """
    name, tb = None, error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_globals.get("__name__") == "__main__" and not frame.f_code.co_name.startswith("<"):
            name = frame.f_code.co_name
        tb = tb.tb_next
    return f"your {name}()" if name else "an exercise above"


def when_solved(draw, *args, what="This cell", **kwargs):
    """Run ``draw`` (a cell's picture or printout that uses the student's functions).

    If an exercise it needs is not written yet, or raises, print a short note that names it
    instead of a traceback and drop any half-drawn figure, so that an unsolved notebook still runs.
    """
    with using_your_code(what):
        return draw(*args, **kwargs)
    return None


def tangent(ax, f, x0, slope, xs, label="tangent", color="C3"):
    """Draw ``f`` over ``xs`` and its tangent line at ``x0`` with the given slope."""
    ax.plot(xs, f(xs), lw=2, label="f(x)" if label == "tangent" else None)
    fx = float(f(np.float64(x0)))
    ax.plot(xs, fx + slope * (xs - x0), color=color, lw=1.3, label=label)
    ax.plot([x0], [fx], "o", color=color)
    return fx


def secants(f, x0, hs=(1.5, 0.8, 0.3), xs=None, title=None, tangent_slope=None):
    """The picture of the derivative: secants through x0 - h and x0 + h turn into the tangent.

    ``tangent_slope`` (the exact f'(x0)), when given, adds the tangent they approach, dashed.
    """
    xs = np.linspace(x0 - 2.5, x0 + 2.5, 200) if xs is None else xs
    _, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
    ax.plot(xs, f(xs), lw=2.2, color="k", label="f(x)")
    for i, h in enumerate(hs):
        slope = (f(x0 + h) - f(x0 - h)) / (2 * h)
        ax.plot(xs, f(x0) + slope * (xs - x0), lw=1, color=f"C{i}",
                label=f"h = {h:g}: slope {slope:.3f}")
        ax.plot([x0 - h, x0 + h], [f(x0 - h), f(x0 + h)], "o", color=f"C{i}", ms=4)
    if tangent_slope is not None:
        ax.plot(xs, f(x0) + tangent_slope * (xs - x0), "--", lw=1.6, color="C3",
                label=f"tangent: slope {tangent_slope:.3f}")
        ax.plot([x0], [f(x0)], "o", color="C3", ms=5)
    ax.set(xlim=(xs[0], xs[-1]), ylim=(float(np.min(f(xs))) - 1, float(np.max(f(xs))) + 1),
           xlabel="x", title=title)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return ax


def chain_rule_picture(y_of_x, z_of_y, xs, titles=("y(x)", "z(y)", "z(y(x))")):
    """Three panels: x -> y, y -> z and the composition x -> z."""
    _, axes = plt.subplots(1, 3, figsize=(9, 2.8), layout="constrained")
    ys = y_of_x(xs)
    for ax, (u, v), title in zip(axes, [(xs, ys), (np.sort(ys), z_of_y(np.sort(ys))), (xs, z_of_y(ys))], titles):
        ax.plot(u, v, lw=2)
        ax.axhline(0, color="0.85", lw=0.8, zorder=0)
        ax.set_title(title)
    axes[0].set_xlabel("x"); axes[1].set_xlabel("y"); axes[2].set_xlabel("x")
    return axes


def ssr_picture(ssr, ssr_slope, x, y, a0=-1.0, a_best=None, grid=np.arange(-1.0, 4.01, 0.5)):
    """Left: the data and lines y = a x. Right: SSR(a), the brute-force grid and the tangent at a0."""
    _, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.4), layout="constrained")
    left.plot(x, y, "o", color="k", label="data")
    xs = np.linspace(0, float(np.max(x)), 50)
    left.plot(xs, a0 * xs, color="C3", lw=1, label=f"a = {a0:g}")
    if a_best is not None:
        left.plot(xs, a_best * xs, color="C2", lw=1.5, label=f"a = {a_best:.3f}")
    left.set(xlabel="x", ylabel="y", title="lines through the origin")
    left.legend(frameon=False, fontsize=8)
    a_values = np.linspace(-1.5, 4.5, 200)
    right.plot(a_values, [ssr(a, x, y) for a in a_values], lw=2, label="SSR(a)")
    right.plot(grid, [ssr(a, x, y) for a in grid], "o", ms=4, color="0.5", label="every 0.5")
    s0, d0 = float(ssr(a0, x, y)), float(ssr_slope(a0, x, y))
    near = np.linspace(a0 - 0.9, a0 + 0.9, 2)
    right.plot(near, s0 + d0 * (near - a0), color="C3", lw=1.5, label=f"slope {d0:.2f} at a = {a0:g}")
    right.plot([a0], [s0], "o", color="C3")
    if a_best is not None:
        right.plot([a_best], [ssr(a_best, x, y)], "*", ms=12, color="C2", label=f"minimum a = {a_best:.3f}")
    right.set(xlabel="a", ylabel="SSR", title="sum of squared residuals")
    right.legend(frameon=False, fontsize=8)
    return left, right


def derivative_grid(pairs, zs=np.linspace(-4, 4, 161), check=None, ncols=3):
    """One panel per ``name -> (g, g_prime)``: g, g' and, if ``check`` is given, dots of
    ``check(g, z)`` (a numerical derivative) at a few z to compare with g'."""
    n = len(pairs)
    nrows = -(-n // ncols)
    _, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.5 * nrows), layout="constrained",
                           squeeze=False, sharex=True, sharey=True)
    few = zs[::10]
    for ax, (name, (g, g_prime)) in zip(axes.flat, pairs.items()):
        ax.plot(zs, g(zs), lw=2, label=name)
        ax.plot(zs, g_prime(zs), lw=1.5, label="derivative")
        if check is not None:
            ax.plot(few, [check(g, float(z)) for z in few], ".", color="k", ms=4, label="numerical")
        ax.axhline(0, color="0.85", lw=0.8, zorder=0)
        ax.set_title(name, fontsize=10)
        ax.set_ylim(-1.5, 3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(frameon=False, fontsize=7)
    return axes


# ---- 02 gradient descent


@_contextmanager
def using_your_code(what="This cell"):
    """Run a lesson block that calls your exercises; if one is unwritten or raises, say so.

    ``with using_your_code("The four tables"): ...`` prints a one-line note that names the
    exercise it waits for instead of a traceback, and closes any half-drawn figure, so that an
    unsolved notebook runs top to bottom.
    """
    before = set(plt.get_fignums())
    try:
        yield
    except NotImplementedError as error:
        note = (f"({what}: waiting for {unwritten_exercise(error)}, not written yet. Write it above, "
                f"run its cell, then run this one again.)")
    except Exception as error:  # the student's code is under construction: explain, don't crash
        note = f"({what}: could not run, your code raised {type(error).__name__}: {error})"
    else:
        return
    for number in set(plt.get_fignums()) - before:
        plt.close(number)
    print(textwrap.fill(note, 100))  # a line the notebook's width holds


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

    # Inline styles: the same table shows in JupyterLab's HTML output (which styles tables) and
    # in an explorer's HTML widget (which does not): room between columns, a one-line caption.
    CELL = "text-align:right;padding:0.1em 0.8em;white-space:nowrap"

    def html(self):
        esc = _html.escape
        head = "".join(f"<th style='{self.CELL}'>{esc(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td style='{self.CELL}'>{esc(c)}</td>" for c in row) + "</tr>"
                       for row in self.rows)
        caption = (f"<caption style='caption-side:top;text-align:left;white-space:nowrap;padding:0.2em 0.8em'>"
                   f"{esc(self.caption)}</caption>" if self.caption else "")
        return (f"<table style='table-layout:auto;border-collapse:collapse;margin:0.3em 0;line-height:1.4'>{caption}"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

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
