"""Numerical gradients and checks that say *how* a gradient is wrong.

The grader's instrument, also offered to students. Every check raises ``CheckFailed``
(an ``AssertionError``) whose message names the worst entry, the two values, the relative
error and, when the numbers reveal it, the likely cause (a factor 2, a sign flip, 1/N, a
transposed shape, a zero gradient).

A failure message is one or two lines: what was checked and what came back, then, when the
result matches a known wrong variant, a last line ``Likely mistake: <mistake>: <how to fix it>``
(``LIKELY_MISTAKE``). The words before the first ": " of that line are the mistake's fingerprint:
``course report`` counts students by it (``course.grading.mistakes``). Hidden tests name the
mistakes they recognise by computing the wrong variants' results and passing them as
``assert_close(..., mistakes={"forward difference (f(x+h) - f(x)) / h: use ...": value})``, or by
``fail(what, text, mistake=...)`` where a result is not a number.

Relative error is ``|a - b| / max(eps, |a| + |b|)``, entrywise; the largest entry counts.
Checks return nothing: nbgrader reads a number a test cell displays as its partial score.
Checks forgive entries whose absolute difference is below ``atol``: where the true gradient is
zero, the central difference itself is only accurate to about ``h**2``.
"""
import copy
import os
import sys
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

EPS = 1e-12
COURSE_DIR = Path(__file__).resolve().parent


LIKELY_MISTAKE = "Likely mistake: "


class CheckFailed(AssertionError):
    """A check failed; the message is written for the student.

    IPython (JupyterLab, nbgrader's Validate) shows it as its message alone: the frames inside
    course/ say nothing to a student, and IPython always shows the innermost frame, even with
    ``__tracebackhide__``.
    """

    def _render_traceback_(self):
        return f"{type(self).__name__}: {self}".split("\n")


def fail(what, text, mistake=None):
    """Raise ``CheckFailed("<what>: <text>")``, with a last line naming ``mistake`` if given.

    ``mistake`` reads "<the mistake>: <how to fix it>", e.g. "sign flipped (y - y_pred): the
    gradient of (y_pred - y)**2 is 2*(y_pred - y)"; keep ": " out of the mistake's own words.
    """
    __tracebackhide__ = True
    message = f"{what}: {text}"
    if mistake:
        message += f"\n{LIKELY_MISTAKE}{mistake}"
    raise CheckFailed(message)


def _matches(got, wrong, rtol, atol):
    """``got`` equals the wrong variant's result ``wrong`` (numbers: within the tolerances)."""
    if isinstance(wrong, (str, bool)) or wrong is None:
        return type(got) is type(wrong) and got == wrong
    try:
        with np.errstate(all="ignore"):
            a = np.asarray(got, dtype=np.float64)
            b = np.asarray(wrong, dtype=np.float64)
            return a.shape == b.shape and bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)))
    except (TypeError, ValueError):
        return False


def which_mistake(got, mistakes, *, rtol=1e-7, atol=1e-9, expected=None):
    """The first label of ``mistakes`` (``{label: wrong result}``, in order) whose result ``got``
    equals, or ``None``. A wrong variant that gives the right answer here (``expected``) names nothing."""
    items = mistakes.items() if isinstance(mistakes, dict) else mistakes
    for label, wrong in items:
        if expected is not None and _matches(wrong, expected, rtol, atol):
            continue
        if _matches(got, wrong, rtol, atol):
            return label
    return None


# ---------------------------------------------------------------- numerical gradients

def numeric_grad(f, x, h=1e-5):
    """Central-difference gradient of a scalar function ``f`` at ``x`` (any shape).

    Works on a float64 copy, so ``x`` is never touched. Costs ``2 * x.size`` calls of ``f``.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        grad[idx] = _partial(f, x, idx, h)
    return grad


def _partial(f, x, idx, h):
    """One central-difference partial derivative; ``x`` is a float64 array we may write."""
    saved = x[idx]
    x[idx] = saved + h
    f_plus = float(f(x))
    x[idx] = saved - h
    f_minus = float(f(x))
    x[idx] = saved
    return (f_plus - f_minus) / (2 * h)


def numeric_directional(f, x, v, h=1e-5):
    """``(f(x + h v) - f(x - h v)) / 2h``: the slope of ``f`` at ``x`` along ``v``."""
    x = np.asarray(x, dtype=np.float64)
    return (float(f(x + h * v)) - float(f(x - h * v))) / (2 * h)


def numeric_elementwise_derivative(f, z, h=1e-5):
    """Derivative of an elementwise function at every entry of ``z``, in two calls of ``f``."""
    z = np.asarray(z, dtype=np.float64)
    return (np.asarray(f(z + h)) - np.asarray(f(z - h))) / (2 * h)


def rel_error(a, b, atol=0.0):
    """Largest entrywise ``|a - b| / max(EPS, |a| + |b|)``, ignoring entries within ``atol``."""
    return float(np.max(_entry_errors(a, b, atol), initial=0.0))


def _entry_errors(a, b, atol=0.0):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    diff = np.abs(a - b)
    err = diff / np.maximum(EPS, np.abs(a) + np.abs(b))
    return np.where(diff <= atol, 0.0, np.where(np.isnan(diff), np.inf, err))


# ---------------------------------------------------------------- diagnosis

def likely_cause(analytic, numeric):
    """A sentence naming the probable mistake behind ``analytic != numeric``, or ``None``."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        if a.ndim == 2 and a.shape == n.shape[::-1]:
            return f"the gradient is transposed: it has shape {a.shape}, the parameter has {n.shape}"
        return f"the gradient has shape {a.shape} but must have the parameter's shape {n.shape}"
    scale = float(np.sum(n * n))
    if scale == 0.0:
        return None
    if not np.all(np.isfinite(a)):
        return "the gradient contains nan or inf (an overflow, or a division by zero?)"
    if np.all(np.abs(a) <= 1e-12 * (1 + np.max(np.abs(n)))):
        return "the gradient is zero everywhere: is a term missing, or is the result never filled in?"
    ratio = float(np.sum(a * n)) / scale
    if rel_error(a, ratio * n) > 1e-4:
        return None  # not a constant multiple: no single-factor story to tell
    return _name_ratio(ratio)


def _name_ratio(ratio):
    if abs(ratio + 1) < 1e-3:
        return "the sign is flipped (gradient ascent instead of descent, or y - y_hat for y_hat - y?)"
    if abs(ratio - 2) < 1e-3:
        return "the gradient is twice the true one (an extra factor 2?)"
    if abs(ratio - 0.5) < 1e-3:
        return "the gradient is half the true one (a missing factor 2 from the square?)"
    if ratio < 0:
        return f"the gradient points the wrong way (it is {ratio:.3g} times the true one)"
    for k in range(3, 100_001):
        if abs(ratio * k - 1) < 1e-6:
            return f"the gradient is 1/{k} of the true one: divided by N = {k} where the loss is a sum?"
        if abs(ratio / k - 1) < 1e-6:
            return f"the gradient is {k} times the true one: a sum over N = {k} where the loss is a mean?"
        if k > max(ratio, 1 / ratio) + 1:
            break
    return f"the gradient is {ratio:.4g} times the true one"


def _worst(a, n, atol):
    """Index, analytic value and numeric value of the entry with the largest relative error."""
    err = _entry_errors(a, n, atol)
    idx = _index(np.argmax(err), err.shape)
    return idx, float(a[idx]), float(n[idx])


def _index(flat, shape):
    """A flat position as a tuple of plain ints (prints as (1, 2), not np.int64)."""
    return tuple(int(i) for i in np.unravel_index(int(flat), shape))


def _fail(what, text, cause):
    __tracebackhide__ = True
    fail(what, text, cause)


# ---------------------------------------------------------------- gradient checks

def check_gradient(f, x, analytic, *, h=1e-5, tol=1e-6, atol=1e-8, what="gradient"):
    """Compare ``analytic`` with the central-difference gradient of ``f`` at ``x``, entry by entry."""
    __tracebackhide__ = True
    numeric = numeric_grad(f, x, h)
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        _fail(what, f"wrong shape {analytic.shape}, expected {numeric.shape}",
              likely_cause(analytic, numeric))
    err = rel_error(analytic, numeric, atol)
    if not err <= tol:
        idx, a, n = _worst(analytic, numeric, atol)
        _fail(what, f"wrong at index {idx}: yours {a:.6g}, numerical {n:.6g}; "
                    f"max relative error {err:.2e} (allowed {tol:.0e})",
              likely_cause(analytic, numeric))


def check_gradient_sparse(f, x, analytic, *, rng=None, directions=3, coordinates=4,
                          h=1e-5, tol=1e-6, atol=1e-8, what="gradient"):
    """Check a gradient cheaply: along a few random unit directions and at a few coordinates.

    Costs ``2 * (directions + coordinates)`` calls of ``f`` whatever the size of ``x``, so a
    large weight matrix is checked as fast as a scalar.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(0) if rng is None else rng
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != x.shape:
        _fail(what, f"wrong shape {analytic.shape}, expected {x.shape}",
              likely_cause(analytic, np.zeros(x.shape)))
    ours, theirs = [], []
    for _ in range(directions):
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v) or 1.0
        ours.append(numeric_directional(f, x, v, h))
        theirs.append(float(np.sum(analytic * v)))
    err = rel_error(theirs, ours, atol)
    if not err <= tol:
        _fail(what, f"the slope along a random direction is {theirs[0]:.6g} from your gradient "
                    f"but {ours[0]:.6g} numerically; max relative error {err:.2e} (allowed {tol:.0e})",
              likely_cause(theirs, ours))
    flat = rng.choice(x.size, size=min(coordinates, x.size), replace=False)
    for i in flat:
        idx = _index(i, x.shape)
        n = _partial(f, x, idx, h)
        a = float(analytic[idx])
        if not rel_error(a, n, atol) <= tol:
            _fail(what, f"wrong at index {idx}: yours {a:.6g}, numerical {n:.6g}; "
                        f"relative error {rel_error(a, n):.2e} (allowed {tol:.0e})", None)


# ---------------------------------------------------------------- value checks

def assert_close(actual, expected, what="result", *, rtol=1e-7, atol=1e-9, mistakes=None):
    """``actual`` matches ``expected`` in shape and value; the message names the worst entry.

    ``mistakes``: ``{"<mistake>: <how to fix it>": what that wrong variant returns here}``, checked
    in order when ``actual`` is wrong; the first one ``actual`` equals is named on a last line.
    """
    __tracebackhide__ = True
    expected = np.asarray(expected, dtype=np.float64)
    mistake = None
    if mistakes and not _matches(actual, expected, rtol, atol):
        mistake = which_mistake(actual, mistakes, rtol=rtol, atol=atol, expected=expected)
    try:
        got = np.asarray(actual)
        if got.dtype.kind not in "biuf":
            raise TypeError
        got = got.astype(np.float64)
    except (TypeError, ValueError):
        fail(what, f"expected numbers, got {type(actual).__name__} {str(actual)[:80]}", mistake)
    if got.shape != expected.shape:
        hint = " (a scalar?)" if expected.ndim == 0 else ""
        fail(what, f"expected shape {expected.shape}{hint}, got shape {got.shape}", mistake)
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=False)
    if np.any(bad):
        worst = _index(np.argmax(np.where(bad, np.abs(got - expected), -1)), got.shape)
        where = f" at index {worst}" if got.ndim else ""
        fail(what, f"wrong{where}: got {float(got[worst]):.6g}, expected {float(expected[worst]):.6g}"
                   + (f" ({int(bad.sum())} of {bad.size} entries wrong)" if got.ndim else ""), mistake)


def assert_equal(actual, expected, what="result", *, mistakes=None):
    """``actual == expected`` exactly (a string, a count, a bool); ``mistakes`` as in ``assert_close``."""
    __tracebackhide__ = True
    if type(actual) is type(expected) and actual == expected or (
            isinstance(expected, int) and isinstance(actual, (int, np.integer)) and not isinstance(actual, bool)
            and int(actual) == expected):
        return
    mistake = which_mistake(actual, mistakes, expected=expected) if mistakes else None
    fail(what, f"got {actual!r:.80}, expected {expected!r}", mistake)


def _snapshot(value):
    return copy.deepcopy(value)


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a is b or a == b


def call_unmutated(fn, *args, **kwargs):
    """Call ``fn`` and fail if it changed any of its arguments in place; returns its result."""
    __tracebackhide__ = True
    before = [_snapshot(a) for a in args], {k: _snapshot(v) for k, v in kwargs.items()}
    result = fn(*args, **kwargs)
    names = [f"argument {i + 1}" for i in range(len(args))] + [f"argument `{k}`" for k in kwargs]
    values = list(args) + list(kwargs.values())
    for name, old, new in zip(names, before[0] + list(before[1].values()), values):
        if not _same(old, new):
            fail(f"{getattr(fn, '__name__', 'your function')}", f"changed its {name} in place",
                 "a dict it was given changed in place: return a new dict and leave the one you were given alone"
                 if isinstance(old, dict) else
                 "an input changed in place: work on a copy (x = np.array(x, dtype=float)) or build new arrays")
    return result


def call_quietly(fn, *args, **kwargs):
    """Call ``fn`` and fail if it raises a warning (overflow, divide by zero, ...).

    Nothing reaches stderr: nbgrader scores a test cell that writes to stderr as 0.
    """
    __tracebackhide__ = True
    # Underflow to 0 is what a stable formula does (exp(-1000) in a sigmoid): not a mistake.
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ResourceWarning)  # unclosed files: not a numerical mistake
        result = fn(*args, **kwargs)
    if caught:
        w = caught[0]
        fail(getattr(fn, '__name__', 'your function'), f"raised a warning: {w.category.__name__}: {w.message}",
             f"an unstable formula ({w.message}): a correct answer computes this without overflow or "
             "division by zero")
    return result


def warns(fn, *args, **kwargs):
    """Whether calling ``fn`` raises a warning (silently; for telling unstable variants apart)."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    return bool(caught)


@contextmanager
def silenced():
    """Run a block with every warning suppressed (for code that is *meant* to overflow)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def assert_own_work(fn, *args, forbidden=COURSE_DIR, **kwargs):
    """Call ``fn`` and fail if any function defined under ``forbidden`` runs during the call.

    Used where students must write something course/ also provides (numerical gradients).
    """
    __tracebackhide__ = True
    remote = getattr(fn, "__course_watched_call__", None)
    if remote is not None:  # the trusted runner watches inside the student's kernel
        result, called = remote(args, kwargs)
    else:
        result, called = _watched_call(fn, args, kwargs, str(forbidden))
    if called:
        fail(getattr(fn, '__name__', 'your function'), f"calls course code ({called[0]})",
             "course code called instead of your own: this exercise asks you to write it yourself")
    return result


def _watched_call(fn, args, kwargs, forbidden):
    called = []

    def profiler(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(forbidden):
            called.append(frame.f_code.co_name)

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    return result, called


# ---------------------------------------------------------------- one mistake, charged once

def with_references(fn, **references):
    """``fn`` run with some of the graded functions it calls replaced by ``references``.

    ``with_references(fit_neuron, neuron_grad=_reference_grad)(X, Y)`` judges ``fit_neuron`` on
    its own loop: a wrong ``neuron_grad`` already lost its own test's points. Under the trusted
    runner ``fn`` is a proxy of the student's function and the references stay in the grader's
    process (the student's process sees stubs that call back); in a notebook's own kernel the
    function's global names are swapped for the duration of the call.
    """
    fn = getattr(fn, "__course_unwrapped__", fn)  # a test cell run twice in a kernel wraps once
    remote = getattr(fn, "__course_with_references__", None)
    if remote is not None:
        return remote(references)
    scope = fn.__globals__

    def call(*args, **kwargs):
        missing = object()
        saved = {name: scope.get(name, missing) for name in references}
        scope.update(references)
        try:
            return fn(*args, **kwargs)
        finally:
            for name, value in saved.items():
                if value is missing:
                    scope.pop(name, None)
                else:
                    scope[name] = value

    call.__name__ = getattr(fn, "__name__", "your function")
    call.__course_unwrapped__ = fn
    return call


def autograding():
    """True while nbgrader autogrades a submission (not while a student runs or validates it).

    The visible part of a test cell of a function that builds on other graded functions checks
    those first; when one is wrong it fails the cell in the student's kernel ("fix that one
    first") but, while autograding, leaves the verdict to the hidden tests, which run the
    function with reference versions of its helpers (``with_references``): one mistake, one charge.

    The trusted runner says so for the thread that runs the test cell (``GRADING.active``): a
    grading worker may run several submissions in threads, and nbgrader's environment variable
    is one per process, set and restored by each of them.
    """
    return getattr(GRADING, "active", False) or os.environ.get("NBGRADER_EXECUTION") == "autograde"


GRADING = threading.local()


# ---------------------------------------------------------------- partial credit

class PartialCredit(CheckFailed):
    """Some independent cases of an exercise failed: the cell earns ``fraction`` of its points."""

    def __init__(self, fraction, message):
        super().__init__(message)
        self.fraction = fraction


class Cases:
    """Independent cases of one exercise; each failure is listed, the cell earns the share passed.

    ::

        cases = Cases()
        with cases("elu_prime at z = 0"):
            assert_close(elu_prime(0.0), 1.0, "elu_prime(0)")
        ...
        cases.verdict()   # raises PartialCredit listing what failed, if anything did

    Under the trusted runner the cell scores ``fraction * points``; in a notebook's own kernel
    (and nbgrader's Validate) a failed case fails the cell with the same list.
    """

    def __init__(self):
        self.passed, self.failed = 0, []

    @contextmanager
    def __call__(self, label):
        try:
            yield
        except Exception as error:  # noqa: BLE001 -- a student's function may raise anything
            text = str(error) if isinstance(error, AssertionError) else f"{type(error).__name__}: {error}"
            self.failed.append(f"{label}: {text}".replace("\n", "\n  "))
        else:
            self.passed += 1

    def verdict(self):
        __tracebackhide__ = True
        if self.failed:
            total = self.passed + len(self.failed)
            raise PartialCredit(self.passed / total,
                                f"{len(self.failed)} of {total} cases failed:\n- " + "\n- ".join(self.failed))
