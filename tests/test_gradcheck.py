"""course.gradcheck: right gradients pass, wrong ones are rejected with the right diagnosis."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from course import gradcheck as gc

floats = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
points = shapes.flatmap(lambda s: arrays(np.float64, s, elements=floats))

# Scalar functions with known analytic gradients: (f, grad f).
KNOWN = {
    "sum of squares": (lambda x: np.sum(x ** 2), lambda x: 2 * x),
    "sum of sines": (lambda x: np.sum(np.sin(x)), np.cos),
    "mean of cubes": (lambda x: np.mean(x ** 3), lambda x: 3 * x ** 2 / x.size),
    "log-sum-exp": (lambda x: np.log(np.sum(np.exp(x))), lambda x: np.exp(x) / np.sum(np.exp(x))),
}
known = st.sampled_from(sorted(KNOWN))


@settings(max_examples=40, deadline=None)
@given(points, known)
def test_numeric_grad_matches_known_gradients(x, name):
    f, grad = KNOWN[name]
    before = x.copy()
    np.testing.assert_allclose(gc.numeric_grad(f, x), grad(x), rtol=1e-6, atol=1e-8)
    assert np.array_equal(x, before), "numeric_grad must not mutate its input"


@settings(max_examples=40, deadline=None)
@given(points, known)
def test_correct_gradients_pass_both_checks(x, name):
    f, grad = KNOWN[name]
    gc.check_gradient(f, x, grad(x))
    gc.check_gradient_sparse(f, x, grad(x), rng=np.random.default_rng(1))


def test_numeric_grad_of_integer_input_is_float():
    g = gc.numeric_grad(lambda x: np.sum(x ** 2), np.array([1, 2, 3]))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [2, 4, 6], rtol=1e-8)


def _nonzero_point(shape, seed):
    x = np.random.default_rng(seed).uniform(0.5, 2.0, size=shape)
    return x * np.where(np.arange(x.size).reshape(shape) % 2, 1, -1)


WRONG = [
    # (how the gradient is wrong, its factor, words the diagnosis must contain)
    ("missing factor 2", 0.5, "half"),
    ("extra factor 2", 2.0, "twice"),
    ("sign flipped", -1.0, "sign is flipped"),
]


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       seed=st.integers(0, 2**16), case=st.sampled_from(WRONG))
def test_scaled_gradients_are_rejected_with_their_cause(shape, seed, case):
    _, factor, words = case
    x = _nonzero_point(shape, seed)
    f = lambda x: np.sum(x ** 2)  # noqa: E731
    for check in (gc.check_gradient, gc.check_gradient_sparse):
        with pytest.raises(gc.CheckFailed, match=words):
            check(f, x, factor * 2 * x)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(3, 500), seed=st.integers(0, 2**16))
def test_averaging_a_sum_is_diagnosed_as_one_over_n(n, seed):
    x = _nonzero_point((4,), seed)
    with pytest.raises(gc.CheckFailed, match=f"1/{n} .*N = {n}"):
        gc.check_gradient(lambda x: np.sum(x ** 2), x, 2 * x / n)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(3, 500), seed=st.integers(0, 2**16))
def test_summing_a_mean_is_diagnosed_as_n_times(n, seed):
    x = _nonzero_point((5,), seed)
    with pytest.raises(gc.CheckFailed, match=f"{n} times .*N = {n}"):
        gc.check_gradient(lambda x: np.mean(x ** 2), x, 2 * x * 5 * n / 5 / 5)


def test_transposed_gradient_is_named():
    W = _nonzero_point((2, 3), 0)
    with pytest.raises(gc.CheckFailed, match="transposed"):
        gc.check_gradient(lambda W: np.sum(W ** 2), W, (2 * W).T)
    with pytest.raises(gc.CheckFailed, match="transposed"):
        gc.check_gradient_sparse(lambda W: np.sum(W ** 2), W, (2 * W).T)


def test_zero_gradient_is_named():
    x = _nonzero_point((3, 2), 1)
    with pytest.raises(gc.CheckFailed, match="zero everywhere"):
        gc.check_gradient(lambda x: np.sum(x ** 2), x, np.zeros_like(x))


def test_wrong_entry_is_located_with_both_values():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    grad = 2 * x
    grad[1, 2] += 1.0
    with pytest.raises(gc.CheckFailed) as failure:
        gc.check_gradient(lambda x: np.sum(x ** 2), x, grad)
    message = str(failure.value)
    assert "(1, 2)" in message and "13" in message and "12" in message


def test_sparse_check_finds_a_single_wrong_coordinate_along_random_directions():
    x = np.linspace(1, 2, 50).reshape(5, 10)
    grad = 2 * x
    grad[3, 7] = 0.0
    with pytest.raises(gc.CheckFailed):
        gc.check_gradient_sparse(lambda x: np.sum(x ** 2), x, grad, rng=np.random.default_rng(0))


def test_sparse_check_costs_a_fixed_number_of_evaluations():
    calls = []

    def f(x):
        calls.append(1)
        return np.sum(x ** 2)

    x = np.ones((100, 100))
    gc.check_gradient_sparse(f, x, 2 * x, directions=3, coordinates=4)
    assert len(calls) == 2 * (3 + 4)


def test_rel_error_definition():
    assert gc.rel_error(1.0, 1.0) == 0.0
    assert gc.rel_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)
    assert gc.rel_error(0.0, 0.0) == 0.0


def test_assert_close_reports_shape_and_worst_entry():
    with pytest.raises(gc.CheckFailed, match=r"expected shape \(3,\), got shape \(3, 1\)"):
        gc.assert_close(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(gc.CheckFailed, match=r"index \(1,\): got 5, expected 2"):
        gc.assert_close([1.0, 5.0, 3.5], [1.0, 2.0, 3.0], rtol=1e-9)
    with pytest.raises(gc.CheckFailed, match="expected numbers"):
        gc.assert_close(None, 1.0)
    gc.assert_close(np.float64(2.0), 2.0)


def test_call_unmutated_catches_in_place_changes():
    def scale_in_place(x, factor):
        x *= factor
        return x

    with pytest.raises(gc.CheckFailed, match="changed its argument 1 in place"):
        gc.call_unmutated(scale_in_place, np.ones(3), 2.0)

    def pop_key(state):
        state.pop("v")
        return state

    with pytest.raises(gc.CheckFailed, match="changed its argument 1"):
        gc.call_unmutated(pop_key, {"v": np.zeros(2)})
    assert gc.call_unmutated(lambda x: x * 2, np.ones(2)).tolist() == [2, 2]


def test_call_quietly_turns_warnings_into_failures_without_printing(capsys):
    with pytest.raises(gc.CheckFailed, match="overflow"):
        gc.call_quietly(np.exp, np.array([1000.0]))
    assert gc.call_quietly(np.exp, np.array([1.0]))[0] == pytest.approx(np.e)
    assert capsys.readouterr().err == ""


def test_silenced_hides_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with gc.silenced():
            assert np.isinf(np.exp(np.array([1000.0]))[0])


def test_assert_own_work_detects_calls_into_course():
    def borrowed(f, x):
        return gc.numeric_grad(f, x)

    def own(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / (2 * h)

    with pytest.raises(gc.CheckFailed, match="numeric_grad"):
        gc.assert_own_work(borrowed, lambda x: np.sum(np.sin(x)), np.array([1.0]))
    assert gc.assert_own_work(own, np.sin, 0.0) == pytest.approx(1.0)


@pytest.mark.parametrize("value,expected", [(None, False), ("validate", False), ("autograde", True)])
def test_autograding_only_while_nbgrader_autogrades(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    else:
        monkeypatch.setenv("NBGRADER_EXECUTION", value)
    assert gc.autograding() is expected


# ---------------------------------------------------------------- named mistakes

FORWARD = "forward difference (f(x+h) - f(x)) / h: use the central difference"


def test_assert_close_names_the_first_matching_mistake_on_its_last_line():
    with pytest.raises(gc.CheckFailed) as failure:
        gc.assert_close(4.75, 3.25, "slope with h = 0.5", mistakes={"ignores h: use h": 3.0, FORWARD: 4.75,
                                                                    "also 4.75: never reached": 4.75})
    lines = str(failure.value).splitlines()
    assert lines == ["slope with h = 0.5: wrong: got 4.75, expected 3.25", gc.LIKELY_MISTAKE + FORWARD]


def test_assert_close_names_no_mistake_it_does_not_match_or_that_is_right_here():
    with pytest.raises(gc.CheckFailed) as failure:
        gc.assert_close(5.0, 3.25, "slope", mistakes={FORWARD: 4.75, "right here anyway: x": 3.25})
    assert gc.LIKELY_MISTAKE not in str(failure.value)
    gc.assert_close(3.25, 3.25, "slope", mistakes={"the same as right: never named": 3.25})


def test_a_mistake_is_named_for_a_wrong_shape_and_for_nan():
    with pytest.raises(gc.CheckFailed, match="(?s)expected shape \\(2, 3\\).*Likely mistake: a flat gradient"):
        gc.assert_close(np.arange(6.0), np.arange(6.0).reshape(2, 3), "gradient",
                        mistakes={"a flat gradient: reshape it": np.arange(6.0)})
    with pytest.raises(gc.CheckFailed, match="Likely mistake: t from 0"):
        gc.assert_close(np.nan, 0.9, "first step", mistakes={"t from 0: start at 1": np.nan})


def test_assert_equal_and_fail_name_mistakes_of_exact_values():
    gc.assert_equal(np.int64(13), 13, "steps")
    gc.assert_equal("monotone", "monotone", "regime")
    with pytest.raises(gc.CheckFailed) as failure:
        gc.assert_equal(12, 13, "steps", mistakes={"counted from 0: count from 1": 12})
    assert str(failure.value) == "steps: got 12, expected 13\nLikely mistake: counted from 0: count from 1"
    with pytest.raises(gc.CheckFailed, match="got 'monotone', expected 'one-step'$"):
        gc.assert_equal("monotone", "one-step", "regime", mistakes={"lr / curvature: multiply": "diverging"})
    with pytest.raises(gc.CheckFailed, match="^f: returned a float\nLikely mistake: a number: return a function$"):
        gc.fail("f", "returned a float", "a number: return a function")


def test_which_mistake_and_warns():
    assert gc.which_mistake([1.0, 2.0], {"a: x": [1.0, 3.0], "b: y": [1.0, 2.0]}) == "b: y"
    assert gc.which_mistake("x", {"a: x": 1.0}) is None
    assert gc.warns(np.exp, np.array([1000.0])) and not gc.warns(np.exp, np.array([1.0]))


def test_checks_name_in_place_changes_and_warnings_as_mistakes():
    def scale_in_place(x):
        x *= 2
        return x

    with pytest.raises(gc.CheckFailed, match="Likely mistake: an input changed in place"):
        gc.call_unmutated(scale_in_place, np.ones(2))
    with pytest.raises(gc.CheckFailed, match="Likely mistake: a dict it was given changed in place"):
        gc.call_unmutated(lambda state: state.update(v=1), {"v": 0})
    with pytest.raises(gc.CheckFailed, match="Likely mistake: an unstable formula \\(overflow"):
        gc.call_quietly(np.exp, np.array([1000.0]))


def test_cases_keep_each_mistake_on_its_own_indented_line():
    cases = gc.Cases()
    with cases("h = 0.5"):
        gc.assert_close(4.75, 3.25, "slope", mistakes={FORWARD: 4.75})
    with cases("fine"):
        pass
    with pytest.raises(gc.PartialCredit) as failure:
        cases.verdict()
    assert failure.value.fraction == 0.5
    assert str(failure.value).splitlines() == ["1 of 2 cases failed:", "- h = 0.5: slope: wrong: got 4.75, expected 3.25",
                                               "  " + gc.LIKELY_MISTAKE + FORWARD]


def test_ipython_shows_a_failed_check_as_its_message_alone(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("from course.gradcheck import assert_close\n"
                   f"assert_close(4.75, 3.25, 'slope', mistakes={{{FORWARD!r}: 4.75}})")
    shown = capsys.readouterr().out
    assert "gradcheck.py" not in shown and "Traceback" not in shown
    assert shown.strip().splitlines() == ["CheckFailed: slope: wrong: got 4.75, expected 3.25",
                                          gc.LIKELY_MISTAKE + FORWARD]


def test_with_references_wraps_once_in_a_kernel():
    scope = {}
    exec("def helper(x):\n    return x + 1\n\ndef uses(x):\n    return helper(x) * 2\n", scope)
    once = gc.with_references(scope["uses"], helper=lambda x: x + 10)
    twice = gc.with_references(once, helper=lambda x: x + 100)
    assert once(1) == 22 and twice(1) == 202 and scope["uses"](1) == 4
