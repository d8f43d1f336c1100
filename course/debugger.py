"""A gradient debugger: which layer of a network has the wrong backward pass?

``debug_gradients(layers, x, loss)`` runs a chain of *your* layers forward and backward, then
checks every backward pass on its own against central differences of its own forward pass, and
every parameter's gradient through the whole network. It reports layer by layer, in the order
backpropagation visits them (the loss first), where the analytic and numerical gradients first
disagree, and what the numbers suggest (a transposed gradient, a missing sum, a factor N...).

A layer is ``(name, forward, backward, params)``:

- ``forward(x, *params.values()) -> (out, cache)``;
- ``backward(dout, cache)`` returns ``dx`` for a layer without parameters, else
  ``(dx, dparam1, dparam2, ...)`` in the order of ``params``;
- ``params`` is a dict of arrays (``{}`` for an activation).

``loss(out) -> (loss, dout)`` closes the chain (``lambda s: softmax_cross_entropy(s, y)``).

Why each layer is checked on its own: a wrong ``dx`` in one layer hands every layer below it a
wrong upstream gradient, so through the whole network they all look wrong. Checked locally, with
the upstream gradient it actually received, each layer is judged on its own code, and the first
local disagreement is the bug. The whole-network column shows how far the damage spreads.
"""
import html

import numpy as np

from .gradcheck import likely_cause, numeric_directional, numeric_grad, rel_error

TOL = 1e-6
ATOL = 1e-8


def debug_gradients(layers, x, loss, *, h=1e-5, tol=TOL, seed=0):
    """Check a chain of layers and its loss; returns a ``GradientReport`` (shown as a table)."""
    x = np.asarray(x, dtype=np.float64)
    layers = [(name, forward, backward, {k: np.asarray(v, dtype=np.float64) for k, v in params.items()})
              for name, forward, backward, params in layers]
    inputs, caches, out = [], [], x
    for name, forward, _, params in layers:
        inputs.append(out)
        out, cache = forward(out, *params.values())
        out = np.asarray(out, dtype=np.float64)
        caches.append(cache)
    rows = [_loss_row(loss, out, h, tol)]
    _, dout = loss(out)
    analytic = {}                       # (layer index, parameter name) -> gradient from the chain
    for i in reversed(range(len(layers))):
        name, forward, backward, params = layers[i]
        dout = np.asarray(dout, dtype=np.float64)
        try:
            result = backward(dout, caches[i])
        except Exception as error:  # a student's layer may raise anything: report it, carry on
            rows.append(_Row(name, "backward", None, None, f"raised {type(error).__name__}: {error}"))
            break
        parts = (result,) if not params else tuple(result)
        if len(parts) != 1 + len(params):
            rows.append(_Row(name, "backward", None, None,
                             f"returned {len(parts)} value(s); expected dx and one gradient per parameter "
                             f"({', '.join(params) or 'none'})"))
            break
        dx, *dparams = (np.asarray(p, dtype=np.float64) for p in parts)
        for pname, grad in zip(params, dparams):
            rows.append(_local_row(name, f"d{pname}", grad,
                                   _local_fn(forward, inputs[i], params, pname, dout), params[pname], h, tol))
            analytic[i, pname] = grad
        rows.append(_local_row(name, "dx", dx, _local_fn(forward, inputs[i], params, None, dout), inputs[i], h, tol))
        dout = dx
    _whole_network(rows, layers, x, loss, analytic, h, tol, seed)
    return GradientReport(rows, tol)


def _local_fn(forward, x, params, which, dout):
    """``v -> sum(forward(...)[0] * dout)`` with ``v`` in place of the input (``which=None``) or a parameter:
    its gradient is what the layer's backward pass should return for this upstream gradient."""
    def f(v):
        args = dict(params)
        if which is None:
            out, _ = forward(v, *args.values())
        else:
            args[which] = v
            out, _ = forward(x, *args.values())
        return float(np.sum(np.asarray(out, dtype=np.float64) * dout))
    return f


class _Row:
    def __init__(self, layer, what, error, whole, cause):
        self.layer, self.what, self.error, self.whole, self.cause = layer, what, error, whole, cause

    def ok(self, tol):
        return self.error is not None and self.error <= tol


def _compare(analytic, numeric, tol):
    """(relative error, likely cause or None) of an analytic gradient against a numerical one."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        return np.inf, likely_cause(analytic, numeric)
    err = rel_error(analytic, numeric, ATOL)
    if err <= tol:
        return err, None
    if analytic.ndim == 2 and analytic.shape[0] == analytic.shape[1] and rel_error(analytic.T, numeric, ATOL) <= tol:
        return err, "the gradient is transposed"
    return err, likely_cause(analytic, numeric)


def _local_row(layer, what, analytic, f, at, h, tol):
    err, cause = _compare(analytic, numeric_grad(f, at, h), tol)
    return _Row(layer, what, err, None, cause)


def _loss_row(loss, out, h, tol):
    try:
        _, dout = loss(out)
    except Exception as error:  # noqa: BLE001
        return _Row("loss", "dout", None, None, f"raised {type(error).__name__}: {error}")
    err, cause = _compare(dout, numeric_grad(lambda s: float(loss(s)[0]), out, h), tol)
    return _Row("loss", "dout", err, None, cause)


def _whole_network(rows, layers, x, loss, analytic, h, tol, seed):
    """Fill each parameter row's whole-network error: the slope of the loss along random directions."""
    rng = np.random.default_rng(seed)

    def total(i, pname, value):
        out = x
        for j, (_, forward, _, params) in enumerate(layers):
            args = dict(params)
            if j == i:
                args[pname] = value
            out, _ = forward(out, *args.values())
        return float(loss(np.asarray(out, dtype=np.float64))[0])

    by_name = {(layers[i][0], f"d{p}"): (i, p) for i, p in analytic}
    for row in rows:
        if (row.layer, row.what) not in by_name:
            continue
        i, pname = by_name[row.layer, row.what]
        grad, value = analytic[i, pname], layers[i][3][pname]
        if grad.shape != value.shape:
            row.whole = np.inf
            continue
        ours, theirs = [], []
        for _ in range(3):
            v = rng.standard_normal(value.shape)
            v /= np.linalg.norm(v) or 1.0
            ours.append(numeric_directional(lambda p: total(i, pname, p), value, v, h))
            theirs.append(float(np.sum(grad * v)))
        row.whole = rel_error(theirs, ours, ATOL)


class GradientReport:
    """The debugger's findings; shows as a table in a notebook. ``first_wrong`` is the first row
    (in backpropagation order) whose local check failed, or ``None``; ``ok`` is True if none did."""

    def __init__(self, rows, tol):
        self.rows, self.tol = rows, tol
        wrong = [r for r in rows if not r.ok(tol)]
        self.first_wrong = wrong[0] if wrong else None
        self.ok = not wrong
        self.summary = self._summary()

    def _summary(self):
        if self.ok:
            return ("Every backward pass agrees with the numerical gradient of its own forward pass, "
                    "and so does every parameter's gradient through the whole network.")
        row = self.first_wrong
        above = sorted({r.layer for r in self.rows[:self.rows.index(row)]} - {row.layer}, key=self._order)
        where = f"{row.layer!r}, {row.what}"
        text = f"The first disagreement, coming down from the loss: {where}"
        text += f": {row.cause}." if row.cause else " does not match its numerical gradient."
        if above:
            text += f" Every layer above it ({', '.join(above)}) is right."
        elif row.layer != "loss":
            text += " It is the first layer the gradient reaches."
        return text

    def _order(self, layer):
        return [r.layer for r in self.rows].index(layer)

    def _cells(self, row):
        def fmt(e):
            return "-" if e is None else ("wrong shape" if not np.isfinite(e) else f"{e:.1e}")
        verdict = "ok" if row.ok(self.tol) else "WRONG"
        return [row.layer, row.what, fmt(row.error), fmt(row.whole), verdict, row.cause or ""]

    HEADER = ["layer", "gradient", "its own check", "whole network", "verdict", "likely cause"]

    def __repr__(self):
        table = [self.HEADER] + [self._cells(r) for r in self.rows]
        widths = [max(len(line[k]) for line in table) for k in range(len(self.HEADER))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in table]
        return "\n".join(lines + ["", self.summary])

    def _repr_html_(self):
        esc = html.escape
        head = "".join(f"<th style='text-align:left'>{esc(h)}</th>" for h in self.HEADER)
        body = ""
        for row in self.rows:
            colour = "" if row.ok(self.tol) else " style='color:#b00'"
            body += f"<tr{colour}>" + "".join(f"<td style='text-align:left'>{esc(c)}</td>"
                                               for c in self._cells(row)) + "</tr>"
        caption = ("relative errors: each backward pass against its own forward pass, and each "
                   "parameter through the whole network (allowed %.0e)" % self.tol)
        return (f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                f"</table><p><b>{esc(self.summary)}</b></p>")
