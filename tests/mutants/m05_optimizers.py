"""Mutants of 05_optimizers: plausible mistakes that must lose points, odd but right answers that must not."""
from mutants import Right, Wrong

ASSIGNMENT = "05_optimizers"

WRONG = [
    # ---- ewma
    Wrong("ewma", "weights swapped: (1 - beta) on the old average", '''
def ewma(values, beta, bias_correction=False):
    x = np.asarray(values, dtype=float)
    out, v = np.empty(len(x)), 0.0
    for t in range(len(x)):
        v = (1 - beta) * v + beta * x[t]
        out[t] = v / (1 - beta ** (t + 1)) if bias_correction else v
    return out
'''),
    Wrong("ewma", "starts from v_1 = x_1 instead of v_0 = 0", '''
def ewma(values, beta, bias_correction=False):
    x = np.asarray(values, dtype=float)
    out, v = np.empty(len(x)), x[0]
    for t in range(len(x)):
        if t > 0:
            v = beta * v + (1 - beta) * x[t]
        out[t] = v / (1 - beta ** (t + 1)) if bias_correction else v
    return out
'''),
    Wrong("ewma", "bias correction with t counted from 0", '''
def ewma(values, beta, bias_correction=False):
    x = np.asarray(values, dtype=float)
    out, v = np.empty(len(x)), 0.0
    for t in range(len(x)):
        v = beta * v + (1 - beta) * x[t]
        out[t] = v / (1 - beta ** t) if bias_correction else v
    return out
'''),
    Wrong("ewma", "the corrected value is fed back into the recursion", '''
def ewma(values, beta, bias_correction=False):
    x = np.asarray(values, dtype=float)
    out, v = np.empty(len(x)), 0.0
    for t in range(len(x)):
        v = beta * v + (1 - beta) * x[t]
        if bias_correction:
            v = v / (1 - beta ** (t + 1))
        out[t] = v
    return out
'''),
    Wrong("ewma", "overwrites the values in place", '''
def ewma(values, beta, bias_correction=False):
    x = np.asarray(values, dtype=float)
    v = 0.0
    for t in range(len(x)):
        v = beta * v + (1 - beta) * x[t]
        x[t] = v / (1 - beta ** (t + 1)) if bias_correction else v
    return x
'''),
    # ---- sgd
    Wrong("sgd", "plus instead of minus (gradient ascent)", '''
def sgd(w, dw, state, lr=1e-2):
    return np.asarray(w, dtype=float) + lr * np.asarray(dw, dtype=float), state
'''),
    Wrong("sgd", "ignores the lr argument", '''
def sgd(w, dw, state, lr=1e-2):
    return np.asarray(w, dtype=float) - 1e-2 * np.asarray(dw, dtype=float), state
'''),
    Wrong("sgd", "updates w in place", '''
def sgd(w, dw, state, lr=1e-2):
    if isinstance(w, np.ndarray):
        w -= lr * dw
        return w, state
    return w - lr * dw, state
'''),
    # ---- optimize
    Wrong("optimize", "a fresh state (None) at every step", '''
def optimize(update, grad, w0, n_steps, **hyper):
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(n_steps):
        w, _ = update(w, grad(w), None, **hyper)
        path.append(np.asarray(w, dtype=float))
    return np.array(path)
'''),
    Wrong("optimize", "the hyper-parameters never reach update", '''
def optimize(update, grad, w0, n_steps, **hyper):
    w, state = np.array(w0, dtype=float), None
    path = [w]
    for _ in range(n_steps):
        w, state = update(w, grad(w), state)
        path.append(np.asarray(w, dtype=float))
    return np.array(path)
'''),
    Wrong("optimize", "the gradient always taken at w0", '''
def optimize(update, grad, w0, n_steps, **hyper):
    w, state = np.array(w0, dtype=float), None
    g = grad(w)
    path = [w]
    for _ in range(n_steps):
        w, state = update(w, g, state, **hyper)
        path.append(np.asarray(w, dtype=float))
    return np.array(path)
'''),
    Wrong("optimize", "row 0 is the first step, not w0", '''
def optimize(update, grad, w0, n_steps, **hyper):
    w, state, path = np.array(w0, dtype=float), None, []
    for _ in range(n_steps + 1):
        w, state = update(w, grad(w), state, **hyper)
        path.append(np.asarray(w, dtype=float))
    return np.array(path)
'''),
    # ---- momentum
    Wrong("momentum", "heavy ball without the factor (1 - beta)", '''
def momentum(w, dw, state, lr=1e-2, beta=0.9):
    v = 0.0 if state is None else state["v"]
    v = beta * v + np.asarray(dw, dtype=float)
    return np.asarray(w, dtype=float) - lr * v, {"v": v}
'''),
    Wrong("momentum", "the velocity starts at the first gradient", '''
def momentum(w, dw, state, lr=1e-2, beta=0.9):
    dw = np.asarray(dw, dtype=float)
    v = dw if state is None else beta * state["v"] + (1 - beta) * dw
    return np.asarray(w, dtype=float) - lr * v, {"v": v}
'''),
    Wrong("momentum", "writes the new velocity into the state it was given", '''
def momentum(w, dw, state, lr=1e-2, beta=0.9):
    if state is None:
        state = {"v": 0.0}
    state["v"] = beta * state["v"] + (1 - beta) * np.asarray(dw, dtype=float)
    return np.asarray(w, dtype=float) - lr * state["v"], state
'''),
    Wrong("momentum", "the velocity in a global variable", '''
_velocity = {}

def momentum(w, dw, state, lr=1e-2, beta=0.9):
    if state is None:
        _velocity["v"] = 0.0
    _velocity["v"] = beta * _velocity["v"] + (1 - beta) * np.asarray(dw, dtype=float)
    return np.asarray(w, dtype=float) - lr * _velocity["v"], {}
'''),
    # ---- rmsprop
    Wrong("rmsprop", "eps inside the square root", '''
def rmsprop(w, dw, state, lr=1e-2, beta=0.9, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    s = beta * (0.0 if state is None else state["s"]) + (1 - beta) * dw ** 2
    return np.asarray(w, dtype=float) - lr * dw / np.sqrt(s + eps), {"s": s}
'''),
    Wrong("rmsprop", "the lecture's form without eps", '''
def rmsprop(w, dw, state, lr=1e-2, beta=0.9, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    s = beta * (0.0 if state is None else state["s"]) + (1 - beta) * dw ** 2
    return np.asarray(w, dtype=float) - lr * dw / np.sqrt(s), {"s": s}
'''),
    Wrong("rmsprop", "eps hard-coded to 1e-8", '''
def rmsprop(w, dw, state, lr=1e-2, beta=0.9, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    s = beta * (0.0 if state is None else state["s"]) + (1 - beta) * dw ** 2
    return np.asarray(w, dtype=float) - lr * dw / (np.sqrt(s) + 1e-8), {"s": s}
'''),
    Wrong("rmsprop", "updates s in the state it was given", '''
def rmsprop(w, dw, state, lr=1e-2, beta=0.9, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    if state is None:
        state = {"s": np.zeros_like(dw)}
    state["s"] = beta * state["s"] + (1 - beta) * dw ** 2
    return np.asarray(w, dtype=float) - lr * dw / (np.sqrt(state["s"]) + eps), state
'''),
    # ---- adam
    Wrong("adam", "t incremented after the step (the first step is t = 0)", '''
def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    t, v, s = (0, 0.0, 0.0) if state is None else (state["t"], state["v"], state["s"])
    v = beta1 * v + (1 - beta1) * dw
    s = beta2 * s + (1 - beta2) * dw ** 2
    v_hat, s_hat = v / (1 - beta1 ** t), s / (1 - beta2 ** t)
    return np.asarray(w, dtype=float) - lr * v_hat / (np.sqrt(s_hat) + eps), {"t": t + 1, "v": v, "s": s}
'''),
    Wrong("adam", "no bias correction", '''
def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    v, s = (0.0, 0.0) if state is None else (state["v"], state["s"])
    v = beta1 * v + (1 - beta1) * dw
    s = beta2 * s + (1 - beta2) * dw ** 2
    return np.asarray(w, dtype=float) - lr * v / (np.sqrt(s) + eps), {"v": v, "s": s}
'''),
    Wrong("adam", "eps inside the square root (the lecture's slide)", '''
def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    t, v, s = (0, 0.0, 0.0) if state is None else (state["t"], state["v"], state["s"])
    t += 1
    v = beta1 * v + (1 - beta1) * dw
    s = beta2 * s + (1 - beta2) * dw ** 2
    v_hat, s_hat = v / (1 - beta1 ** t), s / (1 - beta2 ** t)
    return np.asarray(w, dtype=float) - lr * v_hat / np.sqrt(s_hat + eps), {"t": t, "v": v, "s": s}
'''),
    Wrong("adam", "keeps the corrected moments in the state", '''
def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    t, v, s = (0, 0.0, 0.0) if state is None else (state["t"], state["v"], state["s"])
    t += 1
    v = (beta1 * v + (1 - beta1) * dw) / (1 - beta1 ** t)
    s = (beta2 * s + (1 - beta2) * dw ** 2) / (1 - beta2 ** t)
    return np.asarray(w, dtype=float) - lr * v / (np.sqrt(s) + eps), {"t": t, "v": v, "s": s}
'''),
    Wrong("adam", "a global step counter", '''
_steps = [0]

def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dw = np.asarray(dw, dtype=float)
    if state is None:
        _steps[0] = 0
    v, s = (0.0, 0.0) if state is None else (state["v"], state["s"])
    _steps[0] += 1
    t = _steps[0]
    v = beta1 * v + (1 - beta1) * dw
    s = beta2 * s + (1 - beta2) * dw ** 2
    v_hat, s_hat = v / (1 - beta1 ** t), s / (1 - beta2 ** t)
    return np.asarray(w, dtype=float) - lr * v_hat / (np.sqrt(s_hat) + eps), {"v": v, "s": s}
'''),
]

RIGHT = [
    Right("ewma", "a lower-triangular matrix of weights", '''
def ewma(values, beta, bias_correction=False):
    x = np.asarray(values, dtype=np.float64)
    t = np.arange(len(x))
    with np.errstate(under="ignore"):
        weights = np.tril((1 - beta) * beta ** np.clip(np.subtract.outer(t, t), 0, None))
    v = weights @ x
    return v / (1 - beta ** (t + 1)) if bias_correction else v
'''),
    Right("ewma", "a Python list with math, converted at the end", '''
def ewma(values, beta, bias_correction=False):
    result, v = [], 0.0
    for t, x in enumerate(list(values), start=1):
        v = beta * v + (1 - beta) * float(x)
        result.append(v / (1 - math.pow(beta, t)) if bias_correction else v)
    return np.array(result, dtype=np.float64)
'''),
    Right("sgd", "np.subtract, a fresh empty dict", '''
def sgd(w, dw, state, lr=1e-2):
    new_w = np.subtract(w, np.multiply(lr, dw), dtype=np.float64)
    return new_w, dict() if state is None else state
'''),
    Right("optimize", "a while loop collecting copies, stacked at the end", '''
def optimize(update, grad, w0, n_steps, **hyper):
    points = [np.asarray(w0, dtype=np.float64).copy()]
    memory = None
    while len(points) <= n_steps:
        step, memory = update(points[-1], grad(points[-1]), memory, **hyper)
        points.append(np.asarray(step, dtype=np.float64))
    return np.stack(points)
'''),
    Right("momentum", "the state keeps a step count too; the velocity as the heavy-ball form rescaled", '''
def momentum(w, dw, state, lr=1e-2, beta=0.9):
    old = {"velocity": np.zeros(np.shape(dw)), "count": 0} if state is None else state
    velocity = np.multiply(beta, old["velocity"]) + np.multiply(1 - beta, dw)
    return np.asarray(w, dtype=np.float64) - lr * velocity, {"velocity": velocity, "count": old["count"] + 1}
'''),
    Right("rmsprop", "dict(state, ...) and np.divide", '''
def rmsprop(w, dw, state, lr=1e-2, beta=0.9, eps=1e-8):
    g = np.asarray(dw, dtype=np.float64)
    previous = dict(square=0.0) if state is None else state
    square = beta * previous["square"] + (1 - beta) * g * g
    step = np.divide(g, np.sqrt(square) + eps)
    return np.asarray(w, dtype=np.float64) - lr * step, dict(previous, square=square)
'''),
    Right("adam", "running powers of the betas instead of t", '''
def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    g = np.asarray(dw, dtype=np.float64)
    if state is None:
        state = {"m": np.zeros_like(g), "u": np.zeros_like(g), "p1": 1.0, "p2": 1.0}
    p1, p2 = state["p1"] * beta1, state["p2"] * beta2
    m = beta1 * state["m"] + (1 - beta1) * g
    u = beta2 * state["u"] + (1 - beta2) * g ** 2
    step = (m / (1 - p1)) / (np.sqrt(u / (1 - p2)) + eps)
    return np.asarray(w, dtype=np.float64) - lr * step, {"m": m, "u": u, "p1": p1, "p2": p2}
'''),
    Right("adam", "the state as a list inside a dict, moments via ewma-style updates", '''
def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t, v, s = [0, 0.0, 0.0] if state is None else state["tvs"]
    g = np.asarray(dw, dtype=np.float64)
    t = t + 1
    v = v + (1 - beta1) * (g - v)
    s = s + (1 - beta2) * (g * g - s)
    w_new = np.asarray(w, dtype=np.float64) - lr * (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)
    return w_new, {"tvs": [t, v, s]}
'''),
]
