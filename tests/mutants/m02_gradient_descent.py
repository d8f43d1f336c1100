"""Mutants of 02_gradient_descent: plausible mistakes that must lose points, odd but right answers that must not."""
from mutants import Right, Wrong

ASSIGNMENT = "02_gradient_descent"

WRONG = [
    # ---- gradient_descent
    Wrong("gradient_descent", "plus instead of minus (gradient ascent)", '''
def gradient_descent(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(n_steps):
        x = x + lr * grad(x)
        path.append(x)
    return np.array(path)
'''),
    Wrong("gradient_descent", "row 0 is the first step, not x0", '''
def gradient_descent(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=float)
    path = []
    for _ in range(n_steps):
        x = x - lr * grad(x)
        path.append(x)
    return np.array(path)
'''),
    Wrong("gradient_descent", "off by one: n_steps - 1 steps, last row left at zero", '''
def gradient_descent(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=float)
    path = np.zeros((n_steps + 1,) + x.shape)
    path[0] = x
    for t in range(1, n_steps):
        x = x - lr * grad(x)
        path[t] = x
    return path
'''),
    Wrong("gradient_descent", "updates x0 in place", '''
def gradient_descent(grad, x0, lr, n_steps):
    x = x0 if isinstance(x0, np.ndarray) else np.array(x0, dtype=float)
    path = np.empty((n_steps + 1,) + np.shape(x))
    path[0] = x
    for t in range(n_steps):
        x -= lr * grad(x)
        path[t + 1] = x
    return path
'''),
    Wrong("gradient_descent", "every row is the same array, updated in place", '''
def gradient_descent(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(n_steps):
        x -= lr * grad(x)
        path.append(x)
    return np.array(path)
'''),
    Wrong("gradient_descent", "keeps the integer dtype of x0", '''
def gradient_descent(grad, x0, lr, n_steps):
    path = np.zeros((n_steps + 1,) + np.shape(x0), dtype=np.asarray(x0).dtype)
    path[0] = x0
    for t in range(n_steps):
        path[t + 1] = path[t] - lr * grad(path[t])
    return path
'''),
    Wrong("gradient_descent", "returns a list, not an array", '''
def gradient_descent(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(n_steps):
        x = x - lr * grad(x)
        path.append(x)
    return path
'''),
    # ---- gd_until_converged
    Wrong("gd_until_converged", "<= instead of < in the stop rule", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.array(x0, dtype=float)
    for n in range(1, max_steps + 1):
        new = x - lr * grad(x)
        change = np.max(np.abs(new - x))
        x = new
        if change <= tol:
            return x, n
    return x, max_steps
'''),
    Wrong("gd_until_converged", "counts from 0: one step too few", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.array(x0, dtype=float)
    for n in range(max_steps):
        new = x - lr * grad(x)
        change = np.max(np.abs(new - x))
        x = new
        if change < tol:
            return x, n
    return x, max_steps
'''),
    Wrong("gd_until_converged", "returns the point before the last step", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.array(x0, dtype=float)
    for n in range(1, max_steps + 1):
        new = x - lr * grad(x)
        if np.max(np.abs(new - x)) < tol:
            return x, n
        x = new
    return x, max_steps
'''),
    Wrong("gd_until_converged", "length of the change vector instead of its largest entry", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.array(x0, dtype=float)
    for n in range(1, max_steps + 1):
        new = x - lr * grad(x)
        change = np.linalg.norm(new - x)
        x = new
        if change < tol:
            return x, n
    return x, max_steps
'''),
    Wrong("gd_until_converged", "mean absolute change instead of the largest", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.array(x0, dtype=float)
    for n in range(1, max_steps + 1):
        new = x - lr * grad(x)
        change = np.mean(np.abs(new - x))
        x = new
        if change < tol:
            return x, n
    return x, max_steps
'''),
    Wrong("gd_until_converged", "stops on a small gradient instead of a small change", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.array(x0, dtype=float)
    for n in range(1, max_steps + 1):
        g = grad(x)
        x = x - lr * g
        if np.max(np.abs(g)) < tol:
            return x, n
    return x, max_steps
'''),
    Wrong("gd_until_converged", "ignores max_steps", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.array(x0, dtype=float)
    for n in range(1, 10_001):
        new = x - lr * grad(x)
        change = np.max(np.abs(new - x))
        x = new
        if change < tol:
            return x, n
    return x, 10_000
'''),
    Wrong("gd_until_converged", "updates x0 in place", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = x0 if isinstance(x0, np.ndarray) else np.array(x0, dtype=float)
    for n in range(1, max_steps + 1):
        step = lr * grad(x)
        x -= step
        if np.max(np.abs(step)) < tol:
            return x, n
    return x, max_steps
'''),
    # ---- convergence_regime
    Wrong("convergence_regime", "exact == at the boundaries instead of math.isclose", '''
def convergence_regime(lr, curvature):
    r = lr * curvature
    if r == 1:
        return "one-step"
    if r == 2:
        return "cycling"
    if r < 1:
        return "monotone"
    if r < 2:
        return "oscillating"
    return "diverging"
'''),
    Wrong("convergence_regime", "r <= 1 counted as monotone", '''
def convergence_regime(lr, curvature):
    r = lr * curvature
    if r <= 1:
        return "monotone"
    if math.isclose(r, 2.0):
        return "cycling"
    if r < 2:
        return "oscillating"
    return "diverging"
'''),
    Wrong("convergence_regime", "lr / curvature instead of lr * curvature", '''
def convergence_regime(lr, curvature):
    r = lr / curvature
    if math.isclose(r, 1.0):
        return "one-step"
    if math.isclose(r, 2.0):
        return "cycling"
    if r < 1:
        return "monotone"
    if r < 2:
        return "oscillating"
    return "diverging"
'''),
    Wrong("convergence_regime", "forgets the cycling case", '''
def convergence_regime(lr, curvature):
    r = lr * curvature
    if math.isclose(r, 1.0):
        return "one-step"
    if r < 1:
        return "monotone"
    if r < 2:
        return "oscillating"
    return "diverging"
'''),
    Wrong("convergence_regime", "boundaries with a tolerance far too loose", '''
def convergence_regime(lr, curvature):
    r = lr * curvature
    if abs(r - 1) < 0.05:
        return "one-step"
    if abs(r - 2) < 0.05:
        return "cycling"
    if r < 1:
        return "monotone"
    if r < 2:
        return "oscillating"
    return "diverging"
'''),
    # ---- neuron_loss
    Wrong("neuron_loss", "mean instead of sum", '''
def neuron_loss(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * X + b)))
    return np.mean(0.5 * (f - Y) ** 2)
'''),
    Wrong("neuron_loss", "missing the factor 1/2", '''
def neuron_loss(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * X + b)))
    return np.sum((f - Y) ** 2)
'''),
    Wrong("neuron_loss", "sigmoid with exp(+z)", '''
def neuron_loss(w, b, X, Y):
    f = 1 / (1 + np.exp(w * X + b))
    return np.sum(0.5 * (f - Y) ** 2)
'''),
    Wrong("neuron_loss", "uses the lecture's data instead of X and Y", '''
def neuron_loss(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * NEURON_X + b)))
    return np.sum(0.5 * (f - NEURON_Y) ** 2)
'''),
    # ---- neuron_grad
    Wrong("neuron_grad", "missing the sigmoid derivative f(1 - f)", '''
def neuron_grad(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * X + b)))
    return np.sum((f - Y) * X), np.sum(f - Y)
'''),
    Wrong("neuron_grad", "dw without the factor x", '''
def neuron_grad(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * X + b)))
    c = (f - Y) * f * (1 - f)
    return np.sum(c), np.sum(c)
'''),
    Wrong("neuron_grad", "returns (db, dw)", '''
def neuron_grad(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * X + b)))
    c = (f - Y) * f * (1 - f)
    return np.sum(c), np.sum(c * X)
'''),
    Wrong("neuron_grad", "sign flipped (y - f)", '''
def neuron_grad(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * X + b)))
    c = (Y - f) * f * (1 - f)
    return np.sum(c * X), np.sum(c)
'''),
    Wrong("neuron_grad", "mean over samples where the loss is a sum", '''
def neuron_grad(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * X + b)))
    c = (f - Y) * f * (1 - f)
    return np.mean(c * X), np.mean(c)
'''),
    Wrong("neuron_grad", "uses the lecture's data instead of X and Y", '''
def neuron_grad(w, b, X, Y):
    f = 1 / (1 + np.exp(-(w * NEURON_X + b)))
    c = (f - NEURON_Y) * f * (1 - f)
    return np.sum(c * NEURON_X), np.sum(c)
'''),
    # ---- fit_neuron
    Wrong("fit_neuron", "sequential update: b from the gradient at the new w", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b = w0, b0
    losses = []
    for _ in range(epochs):
        losses.append(neuron_loss(w, b, X, Y))
        dw, _ = neuron_grad(w, b, X, Y)
        w = w - lr * dw
        _, db = neuron_grad(w, b, X, Y)
        b = b - lr * db
    return w, b, np.array(losses)
'''),
    Wrong("fit_neuron", "records the loss after the update", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b = w0, b0
    losses = []
    for _ in range(epochs):
        dw, db = neuron_grad(w, b, X, Y)
        w, b = w - lr * dw, b - lr * db
        losses.append(neuron_loss(w, b, X, Y))
    return w, b, np.array(losses)
'''),
    Wrong("fit_neuron", "epochs + 1 losses (also the final one)", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b = w0, b0
    losses = []
    for _ in range(epochs):
        losses.append(neuron_loss(w, b, X, Y))
        dw, db = neuron_grad(w, b, X, Y)
        w, b = w - lr * dw, b - lr * db
    losses.append(neuron_loss(w, b, X, Y))
    return w, b, np.array(losses)
'''),
    Wrong("fit_neuron", "ignores the learning rate", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b = w0, b0
    losses = []
    for _ in range(epochs):
        losses.append(neuron_loss(w, b, X, Y))
        dw, db = neuron_grad(w, b, X, Y)
        w, b = w - dw, b - db
    return w, b, np.array(losses)
'''),
    Wrong("fit_neuron", "always starts at the lecture's (-2, -2)", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b = -2.0, -2.0
    losses = []
    for _ in range(epochs):
        losses.append(neuron_loss(w, b, X, Y))
        dw, db = neuron_grad(w, b, X, Y)
        w, b = w - lr * dw, b - lr * db
    return w, b, np.array(losses)
'''),
    Wrong("fit_neuron", "returns the losses as a list", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b = w0, b0
    losses = []
    for _ in range(epochs):
        losses.append(neuron_loss(w, b, X, Y))
        dw, db = neuron_grad(w, b, X, Y)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses
'''),
]

RIGHT = [
    Right("gradient_descent", "list of copies, stacked at the end", '''
def gradient_descent(grad, x0, lr, n_steps):
    points = [np.asarray(x0, dtype=np.float64).copy()]
    for _ in range(n_steps):
        points.append(points[-1] - lr * np.asarray(grad(points[-1])))
    return np.stack(points)
'''),
    Right("gradient_descent", "recursive", '''
def gradient_descent(grad, x0, lr, n_steps):
    x0 = np.asarray(x0, dtype=np.float64)
    if n_steps == 0:
        return x0[None].copy()
    earlier = gradient_descent(grad, x0, lr, n_steps - 1)
    last = earlier[-1] - lr * grad(earlier[-1].copy())
    return np.concatenate([earlier, np.asarray(last, dtype=np.float64)[None]])
'''),
    Right("gradient_descent", "preallocated, each row from the previous one", '''
def gradient_descent(grad, x0, lr, n_steps):
    out = np.zeros((n_steps + 1,) + np.shape(x0), dtype=np.float64)
    out[0] = x0
    for t in range(n_steps):
        out[t + 1] = out[t] - lr * grad(out[t].copy())
    return out
'''),
    Right("gd_until_converged", "one step at a time through gradient_descent", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x, steps = np.array(x0, dtype=np.float64), 0
    while steps < max_steps:
        old, x = x, gradient_descent(grad, x, lr, 1)[1]
        steps += 1
        if not np.abs(x - old).max() >= tol and np.abs(x - old).max() < tol:
            break
    return x, steps
'''),
    Right("gd_until_converged", "while True with an explicit counter", '''
def gd_until_converged(grad, x0, lr, tol=1e-6, max_steps=10_000):
    x = np.asarray(x0, dtype=float) * 1.0
    n = 0
    while True:
        if n == max_steps:
            return x, n
        step = lr * np.asarray(grad(x), dtype=float)
        x = x - step
        n += 1
        if np.all(np.abs(step) < tol) and np.max(np.abs(step)) < tol:
            return x, n
'''),
    Right("convergence_regime", "the factor 1 - r, boundaries first via isclose", '''
def convergence_regime(lr, curvature):
    r = lr * curvature
    names = {1.0: "one-step", 2.0: "cycling"}
    for boundary, name in names.items():
        if math.isclose(r, boundary):
            return name
    factor = 1 - r
    if factor > 0:
        return "monotone"
    if factor > -1:
        return "oscillating"
    return "diverging"
'''),
    Right("convergence_regime", "bisect over sorted thresholds", '''
import bisect

def convergence_regime(lr, curvature):
    r = lr * curvature
    if math.isclose(r, 1):
        return "one-step"
    if math.isclose(r, 2):
        return "cycling"
    return ["monotone", "oscillating", "diverging"][bisect.bisect([1.0, 2.0], r)]
'''),
    Right("neuron_loss", "the lecture's loop with math.exp", '''
def neuron_loss(w, b, X, Y):
    total = 0.0
    for x, y in zip(X, Y):
        fx = 1.0 / (1.0 + math.exp(-(w * x + b)))
        total += 0.5 * (fx - y) ** 2
    return total
'''),
    Right("neuron_loss", "sigmoid through tanh, dot product", '''
def neuron_loss(w, b, X, Y):
    r = 0.5 * (1 + np.tanh((w * np.asarray(X) + b) / 2)) - np.asarray(Y)
    return 0.5 * r @ r
'''),
    Right("neuron_grad", "the lecture's per-sample loop", '''
def neuron_grad(w, b, X, Y):
    dw = db = 0.0
    for x, y in zip(X, Y):
        fx = 1.0 / (1.0 + math.exp(-(w * x + b)))
        dw += (fx - y) * fx * (1 - fx) * x
        db += (fx - y) * fx * (1 - fx)
    return dw, db
'''),
    Right("neuron_grad", "chain rule through a design matrix [x, 1]", '''
def neuron_grad(w, b, X, Y):
    A = np.column_stack([X, np.ones_like(X)])
    f = 0.5 * (1 + np.tanh((A @ np.array([w, b])) / 2))
    g = A.T @ ((f - Y) * f * (1 - f))
    return tuple(g)
'''),
    Right("fit_neuron", "parameters as one vector", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    p = np.array([w0, b0], dtype=float)
    losses = np.zeros(epochs)
    k = 0
    while k < epochs:
        losses[k] = neuron_loss(p[0], p[1], X, Y)
        p = p - lr * np.array(neuron_grad(p[0], p[1], X, Y))
        k += 1
    return p[0], p[1], losses
'''),
    Right("fit_neuron", "history list converted at the end, np.float64 results", '''
def fit_neuron(X, Y, w0=-2.0, b0=-2.0, lr=1.0, epochs=1000):
    w, b, history = np.float64(w0), np.float64(b0), []
    for _ in range(epochs):
        history += [neuron_loss(w, b, X, Y)]
        grads = neuron_grad(w, b, X, Y)
        w, b = (v - lr * g for v, g in zip((w, b), grads))
    return w, b, np.asarray(history, dtype=float)
'''),
]
