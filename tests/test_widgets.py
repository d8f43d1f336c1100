"""The explorers' controls and their effect on the rest of the notebook (no browser, no kernel)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from course import widgets
from course.data import SSR_LEARNING_RATES, SSR_LECTURE_TABLES

INLINE = "module://matplotlib_inline.backend_inline"


def test_an_explorer_leaves_pyplot_on_the_inline_backend():
    """Importing ipympl switches pyplot to the widget backend unless the explorers undo it."""
    script = f"""
import matplotlib
matplotlib.use({INLINE!r})
import matplotlib.pyplot as plt
from course.widgets import live_figure
live_figure()
assert matplotlib.get_backend() == {INLINE!r}, matplotlib.get_backend()
figure = plt.figure()
assert not type(figure.canvas).__module__.startswith("ipympl"), type(figure.canvas)
"""
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "NBGRADER_EXECUTION")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]


def _gradient_descent(grad, x0, lr, n_steps):
    path = [float(x0)]
    for _ in range(n_steps):
        path.append(path[-1] - lr * grad(path[-1]))
    return np.array(path)


def _regime(lr, curvature):
    return "monotone" if lr * curvature < 1 else "other"


@pytest.fixture
def lr_view(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return widgets.learning_rate_explorer(_gradient_descent, _regime)


def _bar(view, kind):
    return [w for w in view.widget.children[0].children if type(w).__name__ == kind][0]


def test_lecture_rates_are_set_exactly(lr_view):
    dropdown = _bar(lr_view, "Dropdown")
    assert dropdown.value == 0.01, "the drop-down starts on the explorer's learning rate"
    for lr in SSR_LEARNING_RATES:
        dropdown.value = lr
        assert lr_view.controls["lr"].value == lr
        first = SSR_LECTURE_TABLES[lr][0][0]
        assert f">{first:.4f}<" in lr_view.message.value, f"the table at {lr} lacks the lecture's {first}"


def test_slider_and_typed_values(lr_view):
    rate, slider, dropdown = lr_view.controls["lr"], _bar(lr_view, "FloatLogSlider"), _bar(lr_view, "Dropdown")
    slider.value = 10 ** -1.6                       # 0.025118...: the box shows 3 digits
    assert rate.value == 0.0251 and dropdown.value == "other"
    rate.value = 0.0314159                          # typed: used exactly
    assert "learning rate 0.03142" in lr_view.message.value
    rate.value = 0.05
    assert dropdown.value == 0.05


def test_the_slider_echo_keeps_the_exact_value(lr_view):
    """The front-end snaps a value it is sent to the log slider's grid and sends it back."""
    rate, slider = lr_view.controls["lr"], _bar(lr_view, "FloatLogSlider")
    _bar(lr_view, "Dropdown").value = 0.025
    slider.value = 10 ** (round(np.log10(slider.value) / slider.step) * slider.step)  # the echo: 0.02512
    assert rate.value == 0.025, f"the echo of the slider overwrote the exact rate: {rate.value}"
    slider.value = 10 ** (np.log10(0.025) + slider.step)                           # one key press
    assert rate.value == 0.0256


def test_unsolved_tangent_explorer_draws_no_tangent(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)

    def numerical_derivative(f, x, h=1e-5):
        raise NotImplementedError()
    numerical_derivative.__module__ = "__main__"
    view = widgets.tangent_explorer(numerical_derivative)
    tangent = [line for line in view.figure.axes[0].lines if line.get_label() == "tangent from your slope"][0]
    assert len(tangent.get_xdata()) == 0, "a tangent is drawn before numerical_derivative works"
    assert "Waiting for" in view.message.value
