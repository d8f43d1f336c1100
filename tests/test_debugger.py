"""The gradient debugger names the first broken layer, coming down from the loss, and why."""
import numpy as np
import pytest

from course.debugger import debug_gradients


# ---- correct layers (the debugger takes the student's; these stand in for them)

def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return np.where(x > 0, dout, 0.0)


def softmax_cross_entropy(z, y):
    s = z - z.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    d = np.exp(log_p)
    d[np.arange(len(y)), y] -= 1
    return -np.mean(log_p[np.arange(len(y)), y]), d / len(y)


# ---- broken ones

def transposed_dW(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


def square_transposed_dW(dout, cache):
    x, W = cache
    return dout @ W.T, (x.T @ dout).T, dout.sum(axis=0)


def relu_doubled(dout, x):
    return 2 * np.where(x > 0, dout, 0.0)


def loss_without_mean(z, y):
    loss, d = softmax_cross_entropy(z, y)
    return loss, d * len(y)


@pytest.fixture
def net():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    params = {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(5),
              "W2": rng.standard_normal((5, 3)), "b2": rng.standard_normal(3)}
    return X, y, params


def chain(params, backward2=affine_backward, relu_back=relu_backward, W2=None):
    return [("affine 1", affine_forward, affine_backward, {"W": params["W1"], "b": params["b1"]}),
            ("relu", relu_forward, relu_back, {}),
            ("affine 2", affine_forward, backward2, {"W": params["W2"] if W2 is None else W2, "b": params["b2"]})]


def rows_of(report):
    return {(r.layer, r.what): r for r in report.rows}


def test_correct_network_passes(net):
    X, y, params = net
    report = debug_gradients(chain(params), X, lambda s: softmax_cross_entropy(s, y))
    assert report.ok and report.first_wrong is None
    assert [(r.layer, r.what) for r in report.rows] == [
        ("loss", "dout"), ("affine 2", "dW"), ("affine 2", "db"), ("affine 2", "dx"), ("relu", "dx"),
        ("affine 1", "dW"), ("affine 1", "db"), ("affine 1", "dx")]
    assert all(r.error < 1e-7 for r in report.rows)
    assert all(r.whole < 1e-7 for r in report.rows if r.whole is not None)
    assert "Every backward pass agrees" in report.summary


def test_transposed_dW_is_named_and_the_layers_above_cleared(net):
    X, y, params = net
    report = debug_gradients(chain(params, backward2=transposed_dW), X, lambda s: softmax_cross_entropy(s, y))
    wrong = report.first_wrong
    assert (wrong.layer, wrong.what) == ("affine 2", "dW")
    assert "transposed" in wrong.cause
    assert "'affine 2', dW" in report.summary and "Every layer above it (loss) is right" in report.summary
    rows = rows_of(report)
    assert rows["affine 1", "dW"].ok(report.tol)           # the layers below are judged on their own code


def test_square_transposed_gradient_is_recognised():
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    layers = [("affine", affine_forward, square_transposed_dW, {"W": rng.standard_normal((3, 3)), "b": np.zeros(3)})]
    report = debug_gradients(layers, X, lambda s: softmax_cross_entropy(s, y))
    assert (report.first_wrong.layer, report.first_wrong.what) == ("affine", "dW")
    assert report.first_wrong.cause == "the gradient is transposed"


def test_a_wrong_dx_in_the_middle_spreads_downward_but_is_pinned_on_its_layer(net):
    X, y, params = net
    report = debug_gradients(chain(params, relu_back=relu_doubled), X, lambda s: softmax_cross_entropy(s, y))
    assert (report.first_wrong.layer, report.first_wrong.what) == ("relu", "dx")
    assert "twice" in report.first_wrong.cause
    rows = rows_of(report)
    assert rows["affine 2", "dW"].ok(report.tol) and rows["affine 2", "dW"].whole < 1e-7
    assert rows["affine 1", "dW"].ok(report.tol)               # its own backward is right ...
    assert rows["affine 1", "dW"].whole > 1e-2                 # ... but it received a wrong gradient
    assert "Every layer above it (loss, affine 2) is right" in report.summary


def test_a_wrong_loss_gradient_is_found_first(net):
    X, y, params = net
    report = debug_gradients(chain(params), X, lambda s: loss_without_mean(s, y))
    assert (report.first_wrong.layer, report.first_wrong.what) == ("loss", "dout")
    assert "N = 6" in report.first_wrong.cause


def test_a_layer_that_raises_or_returns_too_little_is_reported(net):
    X, y, params = net

    def raising(dout, cache):
        raise NotImplementedError()

    report = debug_gradients(chain(params, backward2=raising), X, lambda s: softmax_cross_entropy(s, y))
    assert report.first_wrong.layer == "affine 2" and "raised NotImplementedError" in report.first_wrong.cause
    report = debug_gradients(chain(params, backward2=lambda dout, cache: affine_backward(dout, cache)[:2]),
                             X, lambda s: softmax_cross_entropy(s, y))
    assert "returned 2 value(s)" in report.first_wrong.cause


def test_report_shows_as_text_and_html(net):
    X, y, params = net
    report = debug_gradients(chain(params, backward2=transposed_dW), X, lambda s: softmax_cross_entropy(s, y))
    text, page = repr(report), report._repr_html_()
    assert "WRONG" in text and "affine 2" in text and report.summary in text
    assert "<table>" in page and "WRONG" in page


def test_inputs_are_left_alone(net):
    X, y, params = net
    before = {k: v.copy() for k, v in params.items()}, X.copy()
    debug_gradients(chain(params), X, lambda s: softmax_cross_entropy(s, y))
    assert all(np.array_equal(before[0][k], params[k]) for k in params) and np.array_equal(before[1], X)
