"""Interactive explorers that run the student's own functions.

Every explorer takes the student's functions as arguments, so students watch their own code
work (or fail) and nothing here implements a graded exercise. An explorer draws into an ipympl
canvas and, on every control change, updates the existing artists in place (``set_data``,
``set_ydata``...) instead of building a new figure: that keeps a slider move fast.

Under nbgrader (``NBGRADER_EXECUTION`` is set) explorers are inert: they build nothing and
return ``None``, so grading never waits on a widget.
"""
import os

import ipywidgets as widgets
from matplotlib.figure import Figure


def grading():
    """True while nbgrader executes the notebook (autograde or validate)."""
    return "NBGRADER_EXECUTION" in os.environ


def live_figure(figsize=(6.5, 3.2), ncols=1):
    """A figure and its axes, drawn by ipympl as a widget that can be redrawn in place."""
    from ipympl.backend_nbagg import Canvas, FigureManager

    figure = Figure(figsize=figsize, layout="constrained")
    canvas = Canvas(figure)
    FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    axes = figure.subplots(1, ncols)
    return figure, axes


def log_slider(description, value, low, high, **kwargs):
    """A slider over ``10**low .. 10**high`` on a log scale (learning rates)."""
    return widgets.FloatLogSlider(value=value, base=10, min=low, max=high, step=0.01,
                                  description=description, continuous_update=True,
                                  readout_format=".4g", **kwargs)


class Explorer:
    """Controls wired to a redraw function, shown above a live figure.

    ``redraw(**values)`` receives the controls' current values by name and updates the
    figure's artists in place; it may return a string (HTML) shown under the figure. When a
    student's function raises (not written yet, or broken), the explorer shows the error in
    plain words instead of crashing the cell.
    """

    def __init__(self, figure, controls, redraw):
        self.figure = figure
        self.controls = controls
        self._redraw = redraw
        self.message = widgets.HTML()
        for control in controls.values():
            control.observe(self.refresh, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values())), figure.canvas, self.message])
        self.refresh()

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self, _change=None):
        """Redraw with the controls' current values (called on every control change)."""
        try:
            note = self._redraw(**self.values())
        except NotImplementedError:
            note = "<b>Not implemented yet.</b> Write the exercise above, run its cell, then run this one again."
        except Exception as error:  # the student's code is under construction: explain, don't crash
            note = f"<b>Your function raised {type(error).__name__}:</b> {error}"
        self.message.value = note or ""
        self.figure.canvas.draw_idle()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def explorer(make):
    """Decorator for explorer factories: returns ``None`` under nbgrader instead of building."""
    def build(*args, **kwargs):
        return None if grading() else make(*args, **kwargs)
    build.__name__, build.__doc__, build.__wrapped__ = make.__name__, make.__doc__, make
    return build
