"""Interactive explorers that run the student's own functions.

Every explorer takes the student's functions as arguments, so students watch their own code
work (or fail) and nothing here implements a graded exercise. An explorer draws into an ipympl
canvas and, on every control change, updates the existing artists in place (``set_data``,
``set_ydata``...) instead of building a new figure: that keeps a slider move fast.

Under nbgrader (``NBGRADER_EXECUTION`` is set) explorers are inert: they build nothing and
return ``None``, so grading never waits on a widget.
"""
import html as _html
import math as _math
import os
from contextlib import contextmanager

import numpy as np

from .lazy import LazyModule

from .plots import unwritten_exercise as _unwritten

widgets = LazyModule("ipywidgets")  # a graded notebook builds no explorer

BACKGROUNDS_KEPT = 8  # rendered backgrounds an explorer keeps (about 1-5 MB each)


def grading():
    """True while nbgrader executes the notebook (autograde or validate)."""
    return "NBGRADER_EXECUTION" in os.environ


def _ipympl_classes():
    """ipympl's canvas and manager classes, imported without letting ipympl take over pyplot.

    The first ``import ipympl...`` runs ipympl's package ``__init__``, which calls
    ``matplotlib.use("module://ipympl.backend_nbagg")`` whenever matplotlib is loaded: pyplot
    switches to the widget backend and every later ``plt.subplots`` of the notebook becomes an
    ipympl widget (a "Figure N" caption, a toolbar over the axes, a fixed pixel width). The
    explorers only need the classes, so pyplot's backend from before the import is put back
    (switching backends keeps the open figures).
    """
    import matplotlib
    before = matplotlib.rcParams["backend"]
    from ipympl.backend_nbagg import Canvas, FigureManager
    if matplotlib.rcParams["backend"] != before:
        matplotlib.use(before)
    return Canvas, FigureManager


def live_figure(figsize=(6.5, 3.2), ncols=1):
    """A figure and its axes, drawn by ipympl as a widget that can be redrawn in place.

    The figure is not registered with pyplot: static lesson figures keep their inline backend.
    Keep ``figsize`` at most 8.8 inches wide: ipympl draws at 100 pixels per inch and a fixed
    width, and JupyterLab's output area is about 930 pixels wide in a 1366-pixel window.
    """
    from matplotlib.figure import Figure

    Canvas, FigureManager = _ipympl_classes()
    figure = Figure(figsize=figsize, layout="constrained")
    canvas = Canvas(figure)
    FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    axes = figure.subplots(1, ncols)
    return figure, axes


def axis_end(value, ends):
    """The first of ``ends`` at or above ``value``: the right end of an axis (epochs, steps) that
    grows in a few steps, so that a slider move within a step repaints only the moving artists; a
    new limit needs a full render."""
    return next((end for end in ends if end >= value), value)


def log_slider(description, value, low, high, **kwargs):
    """A slider over ``10**low .. 10**high`` on a log scale, for values that need not be exact
    (a regularisation strength); a learning rate the lessons quote exactly is a ``LearningRate``."""
    return widgets.FloatLogSlider(value=value, base=10, min=low, max=high, step=0.01,
                                  description=description, continuous_update=True,
                                  readout_format=".4g", style={"description_width": "initial"}, **kwargs)


def wrapping_row(children):
    """Controls side by side, wrapping onto a new line instead of running off the page."""
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap", align_items="center"))


class LearningRate:
    """A learning rate that is exactly what the student picks or types.

    ``value`` is a text box (the value the explorer uses, exactly as typed); a log slider sweeps
    ``10**low .. 10**high`` and writes a 3-digit rounded value into the box; ``presets`` (such
    as the lecture's rates) are offered in a drop-down that sets the box exactly. A log slider
    alone cannot hold 0.025: its positions are powers of ten in steps of 0.01 (0.02512).
    """

    OTHER = "other"

    def __init__(self, value, low, high, presets=(), description="learning rate"):
        self.value = widgets.BoundedFloatText(value=value, min=10.0 ** low, max=10.0 ** high,
                                              description=description, style={"description_width": "initial"},
                                              layout=widgets.Layout(width="15em"))
        self.slider = widgets.FloatLogSlider(value=value, base=10, min=low, max=high, step=0.01,
                                             readout=False, continuous_update=True,
                                             layout=widgets.Layout(width="15em"))
        self.widgets = [self.value, self.slider]
        self.presets, self._preset_values = None, tuple(presets)
        if presets:
            self.presets = widgets.Dropdown(options=[(f"{p:g}", p) for p in presets] + [(self.OTHER, self.OTHER)],
                                            value=self._preset_of(value), description="lecture",
                                            layout=widgets.Layout(width="11em"),
                                            style={"description_width": "initial"})
            self.presets.observe(self._from_presets, names="value")
            self.widgets.append(self.presets)
        self._syncing = False
        self.slider.observe(self._from_slider, names="value")
        self.value.observe(self._to_others, names="value")

    def _preset_of(self, value):
        """The drop-down entry that shows ``value``: its preset, or "other"."""
        return next((p for p in self._preset_values if _math.isclose(p, value)), self.OTHER)

    def _from_slider(self, change):
        # The front-end snaps a value it is given to the slider's grid and sends the snapped
        # value back (0.025 returns as 0.02512): a change within half a grid step of the box's
        # value is that echo, not a move, and must not overwrite the exact value.
        echo = abs(_math.log10(change["new"]) - _math.log10(self.value.value)) <= 0.6 * self.slider.step
        if not self._syncing and not echo:
            self.value.value = float(f"{change['new']:.3g}")

    def _from_presets(self, change):
        if not self._syncing and change["new"] != self.OTHER:
            self.value.value = change["new"]

    def _to_others(self, change):
        self._syncing = True
        try:
            # the slider cannot hold every value: move it only when it is off by more than its
            # own rounding (not while the student drags it)
            if abs(_math.log10(self.slider.value) - _math.log10(change["new"])) > 0.6 * self.slider.step:
                self.slider.value = change["new"]
            if self.presets is not None:
                self.presets.value = self._preset_of(change["new"])
        finally:
            self._syncing = False


class Explorer:
    """Controls wired to a redraw function, shown above a live figure.

    ``redraw(**values)`` receives the controls' current values by name and updates the
    figure's artists in place; it may return a string (HTML) shown under the figure. When a
    student's function raises (not written yet, or broken), the explorer shows the error in
    plain words instead of crashing the cell. ``bar`` lists the widgets shown above the figure
    when they are not just the controls (a learning rate's slider and drop-down, say).
    """

    def __init__(self, figure, controls, redraw, moving=(), bar=None):
        # Lay the figure out once and keep the positions: constrained layout on every draw
        # would cost more than the rest of a slider move.
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
        self.figure = figure
        self.controls = controls
        self._redraw = redraw
        # Artists that change on every move are blitted over a cached background of the rest
        # (matplotlib's blitting recipe): a move repaints a few lines instead of the whole figure.
        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)
        # One rendered background per frame (axis limits, titles): a move back to a frame seen
        # before (an epoch axis's step, a track of 05) blits too.
        self._backgrounds = {}
        self._holding = 0
        figure.canvas.mpl_connect("draw_event", self._keep_background)
        self.message = widgets.HTML()
        for control in controls.values():
            control.observe(self.refresh, names="value")
        self.widget = widgets.VBox([wrapping_row(list(controls.values()) if bar is None else bar),
                                    figure.canvas, self.message])
        self.refresh()
        self._first_picture_in_state()

    def _first_picture_in_state(self):
        """Put the canvas's size and first picture into the widget's state.

        ipympl's front-end otherwise asks the kernel for both once the widget is on the page.
        During a Run All that request queues behind every cell still to run, and on the released
        notebook (whose test cells fail) it was seen to get no answer: a 0 x 0 canvas until the
        cell was run again. With the state the picture shows at once; moves work as before.
        """
        canvas = self.figure.canvas
        if not hasattr(canvas, "_data_url"):
            return
        import base64
        import io

        from PIL import Image
        canvas.draw()                        # a full draw, then the moving artists on top
        width, height = canvas.get_width_height()
        png = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(png, format="png")
        canvas._size = (width, height)
        canvas._data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    @contextmanager
    def held(self):
        """Change several controls in the block without a redraw for each (the caller redraws)."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1

    def refresh(self, _change=None):
        """Redraw with the controls' current values (called on every control change)."""
        if self._holding:
            return
        self._show()
        self.repaint()

    def _show(self):
        """Redraw and put the note under the figure; when the student's code is unwritten or
        raises, say so in plain words instead of crashing the cell. True when it ran."""
        try:
            self.message.value = self._redraw(**self.values()) or ""
            return True
        except Exception as error:  # the student's code is under construction: explain, don't crash
            self.message.value = _explain(error)
            return False

    def repaint(self):
        """Show the moving artists' new state: a blit over the cached background, or a full draw
        when limits, titles or the static artists changed."""
        canvas = self.figure.canvas
        background = self._backgrounds.get(self._frame_now()) if self.moving else None
        if background is not None:
            canvas.restore_region(background)
            self._paint_moving()
            canvas.blit(self.figure.bbox)
        else:
            self._draw_full()

    def _draw_full(self):
        # Rendered and sent at once: draw_idle would ask the front-end to ask for the render, a
        # round trip through the server that costs more than the render itself.
        self.figure.canvas.draw()

    def _frame_now(self):
        """What the cached background depends on besides the static artists' data."""
        return (self.figure.dpi,) + tuple((ax.get_xlim(), ax.get_ylim(),
                                           None if ax.title.get_animated() else ax.get_title())
                                          for ax in self.figure.axes)

    def _keep_background(self, _event):
        """After every full draw (ours, a resize, a new pixel ratio): cache it, then paint the
        moving artists, which a full draw leaves out."""
        if len(self._backgrounds) >= BACKGROUNDS_KEPT:
            del self._backgrounds[next(iter(self._backgrounds))]  # the oldest
        self._backgrounds[self._frame_now()] = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        self._paint_moving()

    def _paint_moving(self):
        for artist in self.moving:
            self.figure.draw_artist(artist)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


class TrainingView(Explorer):
    """An explorer whose redraw starts a training run that continues frame by frame.

    ``redraw(**values)`` sets up a run, trains its first frame and returns the note to show;
    ``advance()`` trains the next frame and returns ``(note, more)``: the note to show (``None``
    keeps the one shown) and whether frames remain. The frames after the
    first are computed between messages on the kernel's event loop, so a slider move is not kept
    waiting behind a long run, and a move cancels the run it interrupts.
    """

    def __init__(self, figure, controls, redraw, advance, moving=(), bar=None):
        self._advance = advance
        self._generation = 0
        super().__init__(figure, controls, redraw, moving=moving, bar=bar)

    def refresh(self, _change=None):
        """Restart the run with the controls' values, show its first frame, schedule the rest."""
        if self._holding:
            return
        self._generation += 1          # any run still going belongs to the old values: stop it
        started = self._show()
        self.repaint()
        if started:
            self._continue(self._generation)

    def step(self):
        """Train one more frame and show it; False once the run is complete (or has failed)."""
        try:
            note, more = self._advance()
        except Exception as error:  # the student's code is under construction: explain, don't crash
            self.message.value = _explain(error)
            return False
        if note is not None:
            self.message.value = note
        if not more:
            # The front-end draws only the newest of the images that arrive while it decodes one,
            # so a diff image can be lost in a fast run; the last frame goes out whole.
            self.figure.canvas._force_full = True
        self.repaint()
        return more

    def _continue(self, generation):
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return                      # no event loop (a script, the benchmark): call step() yourself

        def tick():
            if generation == self._generation and self.step():
                loop.call_later(0.001, tick)   # let waiting messages (a slider move) in first
        loop.call_soon(tick)


def _explain(error):
    """What an explorer says instead of a traceback when the student's code raised ``error``."""
    if isinstance(error, NotImplementedError):
        return (f"<b>Waiting for {_html.escape(_unwritten(error))}</b>, not written yet. Write it above, "
                "run its cell, then run this one again.")
    return f"<b>Your function raised {type(error).__name__}:</b> {error}"


def explorer(make):
    """Decorator for explorer factories: returns ``None`` under nbgrader instead of building."""
    def build(*args, **kwargs):
        return None if grading() else make(*args, **kwargs)
    build.__name__, build.__doc__, build.__wrapped__ = make.__name__, make.__doc__, make
    return build


# ---- 01 derivatives



def _lecture_z(x):
    """The lecture's x -> y -> z example: y = -x, z = 0.125 y**2 + 0.125 y + 0.25."""
    y = -x
    return 0.125 * y ** 2 + 0.125 * y + 0.25


TANGENT_FUNCTIONS = {
    "z(x) of the lecture": _lecture_z,
    "x**2": lambda x: x ** 2,
    "sin(x)": np.sin,
    "x**3 - 3x": lambda x: x ** 3 - 3 * x,
    "|x|": np.abs,
}


@explorer
def tangent_explorer(numerical_derivative, f=None, x_range=(-3.0, 3.0), x0=1.0, points=201):
    """Slide x along a curve and watch the tangent whose slope *your* ``numerical_derivative`` gives.

    ``f`` is one function of x (NumPy-vectorised) or a dict ``name -> function`` to choose from;
    by default a few curves, starting with the lecture's z(x) (slope 0.25x - 0.125).
    """
    functions = dict(TANGENT_FUNCTIONS) if f is None else (dict(f) if isinstance(f, dict) else {getattr(f, "__name__", "f"): f})
    xs = np.linspace(*x_range, points)
    figure, ax = live_figure(figsize=(6.5, 3.4))
    curve, = ax.plot(xs, np.zeros_like(xs), lw=2, label="f(x)")
    # No tangent until the student's numerical_derivative has given a slope: a line drawn
    # before that (along y = 0, say) would look like a result.
    line, = ax.plot([], [], color="C3", lw=1.5, label="tangent from your slope")
    dot, = ax.plot([], [], "o", color="C3")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.set(xlim=x_range, xlabel="x")
    ax.legend(loc="upper left", frameon=False)
    ax.set_title(next(iter(functions)))  # room for the title when the layout is frozen
    state = {"name": None}

    def redraw(x, function=next(iter(functions))):
        fn = functions[function]
        ys = np.asarray(fn(xs), dtype=float)
        if state["name"] != function:           # a new curve: new data and limits, same artists
            curve.set_ydata(ys)
            span = float(np.ptp(ys)) or 1.0
            ax.set_ylim(float(ys.min()) - 0.25 * span, float(ys.max()) + 0.25 * span)
            ax.set_title(function)
            state["name"] = function
        fx = float(fn(np.float64(x)))
        dot.set_data([x], [fx])
        line.set_data([], [])                   # until this x has a slope (the call may raise)
        slope = float(numerical_derivative(fn, float(x)))
        if not np.isfinite(slope):
            line.set_data([], [])
            return f"Your numerical_derivative returned {slope} at x = {x:.3g}."
        line.set_data(np.array(x_range), fx + slope * (np.array(x_range) - x))
        return f"x = {x:.3f} &nbsp; f(x) = {fx:.4f} &nbsp; slope from your numerical_derivative: <b>{slope:.4f}</b>"

    controls = {"x": widgets.FloatSlider(value=x0, min=x_range[0], max=x_range[1], step=0.01,
                                         description="x", continuous_update=True, readout_format=".2f")}
    if len(functions) > 1:
        controls["function"] = widgets.Dropdown(options=list(functions), value=next(iter(functions)),
                                                description="f", layout=widgets.Layout(width="17em"),
                                                style={"description_width": "initial"})
    return Explorer(figure, controls, redraw, moving=[line, dot])


# ---- 02 gradient descent

import numpy as _np

from . import data as _data
from .gradcheck import silenced as _silenced
from .plots import steps_table as _steps_table


def _lecture_ssr(a):
    """SSR(a) of the lecture's line fit, expanded: 14a**2 - 46.32a + 39.6845 (vectorised)."""
    return 14.0 * a ** 2 - 46.32 * a + 39.6845


def _lecture_ssr_slope(a):
    """dSSR/da = 28a - 46.32, the lecture's derivative."""
    return 28.0 * a - 46.32


def _few_ticks(ax, log_y=False):
    """Fewer tick labels: text is most of what a redraw renders."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator
    ax.xaxis.set_major_locator(MaxNLocator(5))
    if log_y:
        ax.yaxis.set_major_locator(LogLocator(numticks=5))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_minor_formatter(NullFormatter())
        # plain "1e-4" labels: the default 10^k labels go through mathtext, slow to render
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{round(_math.log10(v))}" if v > 0 else ""))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(5))


@explorer
def learning_rate_explorer(gradient_descent, convergence_regime, loss=None, grad=None,
                           curvature=_data.SSR_CURVATURE, start=_data.SSR_START,
                           lr=0.01, steps=10, a_range=(-6.0, 9.0)):
    """Pick a learning rate and watch *your* ``gradient_descent`` walk down the SSR parabola.

    Shows the iterates on the curve, the first ten steps as the lecture's table (step, a,
    difference) and the regime that *your* ``convergence_regime(lr, curvature)`` names. By
    default the lecture's line fit: SSR(a) = 14a² - 46.32a + 39.6845, dSSR/da = 28a - 46.32,
    start a = -1, curvature 28.
    """
    loss = _lecture_ssr if loss is None else loss
    grad = _lecture_ssr_slope if grad is None else grad
    xs = _np.linspace(*a_range, 301)
    curve = _np.array([float(loss(x)) for x in xs])
    figure, ax = live_figure(figsize=(6.5, 3.2))
    ax.plot(xs, curve, color="k", lw=1.5)
    trail, = ax.plot([], [], "o-", color="C3", ms=4, lw=0.8)
    first, = ax.plot([start], [float(loss(start))], "o", color="w", mec="k", ms=7)
    top = min(float(curve.max()), 4 * float(loss(start)) if float(loss(start)) > 0 else float(curve.max()))
    ax.set(xlim=a_range, ylim=(min(0.0, float(curve.min())), top), xlabel="a", ylabel="SSR(a)")
    title = ax.set_title(" ", fontsize=9)       # moving: it names the learning rate
    _few_ticks(ax)

    def redraw(lr, steps):
        with _silenced():                      # a diverging run is meant to blow up: no warnings
            path = _np.asarray(gradient_descent(grad, start, lr, max(steps, 10)), dtype=_np.float64)
        if path.shape != (max(steps, 10) + 1,):
            trail.set_data([], [])
            return (f"<b>Your gradient_descent returned shape {path.shape};</b> "
                    f"{max(steps, 10)} steps from a scalar start give shape ({max(steps, 10) + 1},).")
        shown = path[:steps + 1]
        with _silenced():
            trail.set_data(shown, [float(loss(a)) for a in shown])
        regime = convergence_regime(lr, curvature)
        r = lr * curvature
        title.set_text(f"learning rate {lr:.4g}:  r = lr × {curvature:g} = {r:.3g}  →  {regime}")
        table = _steps_table(path, caption=f"the first ten steps at learning rate {lr:.4g}")
        return (f"Your convergence_regime says <b>{regime}</b> (critical learning rate "
                f"2/{curvature:g} = {2 / curvature:.4g}); after {steps} steps a = {shown[-1]:.6g}."
                + table.html())

    rate = LearningRate(lr, -3, -1, presets=_data.SSR_LEARNING_RATES)
    steps_slider = widgets.IntSlider(value=steps, min=1, max=50, description="steps", continuous_update=True)
    controls = {"lr": rate.value, "steps": steps_slider}
    return Explorer(figure, controls, redraw, moving=[trail, first, title], bar=rate.widgets + [steps_slider])


@explorer
def error_surface_explorer(fit_neuron, neuron_loss, X=_data.NEURON_X, Y=_data.NEURON_Y,
                           start=_data.NEURON_START, lr=_data.NEURON_LR, epochs=1000,
                           w_range=(-6.0, 6.0), b_range=(-6.0, 6.0), resolution=61, points=100):
    """Gradient descent of the sigmoid neuron on its error surface, run by *your* ``fit_neuron``.

    Left: *your* ``neuron_loss`` over (w, b) (log scale, computed once) and the path of
    ``fit_neuron`` from the start point, one dot every ``epochs / points`` epochs (dots crowd
    where the steps are slow). Right: the loss history that ``fit_neuron`` returns.
    """
    figure, (surface, history) = live_figure(figsize=(8.8, 3.5), ncols=2)
    surface.set(xlim=w_range, ylim=b_range, xlabel="w", ylabel="b")
    path_line, = surface.plot([], [], ".-", color="C3", ms=4, lw=0.8, zorder=3)
    start_dot, = surface.plot([], [], "o", color="w", mec="k", ms=7, zorder=4)
    end_dot, = surface.plot([], [], "*", color="C1", mec="k", ms=11, zorder=4)
    curve, = history.plot([], [], color="C3", lw=1.5)
    # One fixed log scale: runs compare at a glance, and the cached background stays valid.
    history.set(yscale="log", xlabel="epoch", ylabel="loss before the update", xlim=(0, epochs), ylim=(1e-12, 1))
    _few_ticks(surface)
    _few_ticks(history, log_y=True)
    state = {"contours": False}

    def draw_surface():
        ws = _np.linspace(*w_range, resolution)
        bs = _np.linspace(*b_range, resolution)
        grid = _np.array([[float(neuron_loss(w, b, X, Y)) for w in ws] for b in bs])
        # One image, not filled contours: an image costs the same to render at every move.
        shown = _np.log10(grid + 1e-12)
        surface.imshow(shown, extent=(*w_range, *b_range), origin="lower", aspect="auto",
                       cmap="viridis", interpolation="bilinear", zorder=1)
        surface.contour(ws, bs, shown, levels=8, colors="w", linewidths=0.4, alpha=0.6, zorder=2)
        state["contours"] = True

    def redraw(lr, epochs, w0, b0):
        if not state["contours"]:
            draw_surface()
        chunk = max(1, _math.ceil(epochs / points))
        ws, bs, losses = [w0], [b0], []
        w, b, done = w0, b0, 0
        with _silenced():
            while done < epochs:
                k = min(chunk, epochs - done)
                w, b, part = fit_neuron(X, Y, w0=w, b0=b, lr=lr, epochs=k)
                w, b = float(w), float(b)
                ws.append(w)
                bs.append(b)
                losses.append(_np.asarray(part, dtype=_np.float64).ravel())
                done += k
        losses = _np.concatenate(losses) if losses else _np.zeros(0)
        path_line.set_data(ws, bs)
        start_dot.set_data([w0], [b0])
        end_dot.set_data([w], [b])
        curve.set_data(_np.arange(len(losses)), losses)
        history.set_xlim(0, axis_end(epochs, (100, 300, 1000, 3000)))
        final = float(neuron_loss(w, b, X, Y))
        return (f"start (w, b) = ({w0:.2f}, {b0:.2f}), learning rate {lr:.3g}: after {epochs} epochs "
                f"<b>w = {w:.4f}, b = {b:.4f}</b>, loss {final:.3g}. One dot every {chunk} epoch(s).")

    slider = dict(min=-6.0, max=6.0, step=0.1, continuous_update=True, readout_format=".1f")
    rate = LearningRate(lr, -2, 1)
    controls = {"lr": rate.value,
                "epochs": widgets.IntSlider(value=epochs, min=10, max=3000, step=10, description="epochs"),
                "w0": widgets.FloatSlider(value=start[0], description="start w", **slider),
                "b0": widgets.FloatSlider(value=start[1], description="start b", **slider)}
    bar = rate.widgets + [controls[name] for name in ("epochs", "w0", "b0")]
    return Explorer(figure, controls, redraw, moving=[path_line, start_dot, end_dot, curve], bar=bar)
