"""Mutants of 04_backprop: plausible mistakes that must lose points, odd but right answers that must not."""
from mutants import Right, Wrong

ASSIGNMENT = "04_backprop"

WRONG = [
    # ---- affine_forward
    Wrong("affine_forward", "W.T @ x.T: the product transposed", '''
def affine_forward(x, W, b):
    x = np.asarray(x, dtype=float)
    return W.T @ x.T + b[:, None], (x, W)
'''),
    Wrong("affine_forward", "forgets the bias", '''
def affine_forward(x, W, b):
    x = np.asarray(x, dtype=float)
    return x @ W, (x, W)
'''),
    Wrong("affine_forward", "keeps the integer dtype", '''
def affine_forward(x, W, b):
    x, W, b = np.asarray(x), np.asarray(W), np.asarray(b)
    return x @ W + b, (x, W)
'''),
    # ---- affine_backward
    Wrong("affine_backward", "dW transposed", '''
def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)
'''),
    Wrong("affine_backward", "db averaged over the batch", '''
def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)
'''),
    Wrong("affine_backward", "db not summed (one row per sample)", '''
def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout
'''),
    Wrong("affine_backward", "reads x from a global instead of the cache", '''
_last_x = None

def affine_backward(dout, cache):
    x, W = cache
    if _last_x is None:
        globals()["_last_x"] = x
    return dout @ W.T, _last_x.T @ dout, dout.sum(axis=0)
'''),
    # ---- sigmoid_forward
    Wrong("sigmoid_forward", "exp(x) instead of exp(-x)", '''
def sigmoid_forward(x):
    x = np.asarray(x, dtype=float)
    out = 1 / (1 + np.exp(x))
    return out, out
'''),
    Wrong("sigmoid_forward", "tanh instead of the sigmoid", '''
def sigmoid_forward(x):
    out = np.tanh(np.asarray(x, dtype=float))
    return out, out
'''),
    # ---- sigmoid_backward
    Wrong("sigmoid_backward", "derivative without the upstream gradient", '''
def sigmoid_backward(dout, cache):
    out = cache
    return out * (1 - out)
'''),
    Wrong("sigmoid_backward", "sigma applied twice: treats the cached output as the input", '''
def sigmoid_backward(dout, cache):
    s = 1 / (1 + np.exp(-cache))
    return dout * s * (1 - s)
'''),
    # ---- relu_forward
    Wrong("relu_forward", "np.max instead of np.maximum", '''
def relu_forward(x):
    x = np.asarray(x, dtype=float)
    return np.max(x, 0) * np.ones_like(x), x
'''),
    Wrong("relu_forward", "absolute value", '''
def relu_forward(x):
    x = np.asarray(x, dtype=float)
    return np.abs(x), x
'''),
    # ---- relu_backward
    Wrong("relu_backward", "gradient 1 at x = 0 (x >= 0)", '''
def relu_backward(dout, cache):
    x = cache
    return dout * (x >= 0)
'''),
    Wrong("relu_backward", "returns the mask, ignores dout", '''
def relu_backward(dout, cache):
    x = cache
    return (x > 0).astype(float)
'''),
    # ---- softmax
    Wrong("softmax", "normalises columns (axis 0)", '''
def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''),
    Wrong("softmax", "no shift: overflows at 1000", '''
def softmax(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum(axis=1, keepdims=True)
'''),
    Wrong("softmax", "one global maximum for all rows", '''
def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)
'''),
    # ---- softmax_cross_entropy
    Wrong("softmax_cross_entropy", "gradient not divided by N", '''
def softmax_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=float)
    N = len(z)
    s = z - z.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    d = np.exp(log_p)
    d[np.arange(N), y] -= 1
    return -np.mean(log_p[np.arange(N), y]), d
'''),
    Wrong("softmax_cross_entropy", "Y - P instead of P - Y", '''
def softmax_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=float)
    N = len(z)
    s = z - z.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    d = -np.exp(log_p)
    d[np.arange(N), y] += 1
    return -np.mean(log_p[np.arange(N), y]), d / N
'''),
    Wrong("softmax_cross_entropy", "log of the softmax: -inf at 1000", '''
def softmax_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=float)
    N = len(z)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    d = p.copy()
    d[np.arange(N), y] -= 1
    return loss, d / N
'''),
    Wrong("softmax_cross_entropy", "sum over samples instead of the mean", '''
def softmax_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=float)
    N = len(z)
    s = z - z.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    d = np.exp(log_p)
    d[np.arange(N), y] -= 1
    return -np.sum(log_p[np.arange(N), y]), d
'''),
    # ---- mse
    Wrong("mse", "gradient missing the factor 2", '''
def mse(pred, target):
    d = np.asarray(pred, dtype=float) - target
    return np.mean(d ** 2), d / d.size
'''),
    Wrong("mse", "divides by the number of rows, not of elements", '''
def mse(pred, target):
    d = np.asarray(pred, dtype=float) - target
    return np.mean(d ** 2), 2 * d / len(d)
'''),
    Wrong("mse", "target - pred in the gradient", '''
def mse(pred, target):
    d = np.asarray(pred, dtype=float) - target
    return np.mean(d ** 2), -2 * d / d.size
'''),
    # ---- sigmoid_net_step
    Wrong("sigmoid_net_step", "hidden errors from the already updated W2", '''
def sigmoid_net_step(x, t, W1, b1, W2, b2, lr):
    x = np.asarray(x, dtype=float)
    h = 1 / (1 + np.exp(-(x @ W1 + b1)))
    o = 1 / (1 + np.exp(-(h @ W2 + b2)))
    do = (o - t) * o * (1 - o)
    W2 = W2 - lr * np.outer(h, do)
    b2 = b2 - lr * do
    dh = (W2 @ do) * h * (1 - h)
    return W1 - lr * np.outer(x, dh), b1 - lr * dh, W2, b2
'''),
    Wrong("sigmoid_net_step", "gradient ascent: the lecture's Err with the sign of the update flipped", '''
def sigmoid_net_step(x, t, W1, b1, W2, b2, lr):
    x = np.asarray(x, dtype=float)
    h = 1 / (1 + np.exp(-(x @ W1 + b1)))
    o = 1 / (1 + np.exp(-(h @ W2 + b2)))
    err_o = o * (1 - o) * (t - o)
    err_h = h * (1 - h) * (W2 @ err_o)
    return W1 - lr * np.outer(x, err_h), b1 - lr * err_h, W2 - lr * np.outer(h, err_o), b2 - lr * err_o
'''),
    Wrong("sigmoid_net_step", "output error without the sigmoid's derivative", '''
def sigmoid_net_step(x, t, W1, b1, W2, b2, lr):
    x = np.asarray(x, dtype=float)
    h = 1 / (1 + np.exp(-(x @ W1 + b1)))
    o = 1 / (1 + np.exp(-(h @ W2 + b2)))
    do = o - t
    dh = (W2 @ do) * h * (1 - h)
    return W1 - lr * np.outer(x, dh), b1 - lr * dh, W2 - lr * np.outer(h, do), b2 - lr * do
'''),
    Wrong("sigmoid_net_step", "updates the parameters in place", '''
def sigmoid_net_step(x, t, W1, b1, W2, b2, lr):
    x = np.asarray(x, dtype=float)
    h = 1 / (1 + np.exp(-(x @ W1 + b1)))
    o = 1 / (1 + np.exp(-(h @ W2 + b2)))
    do = (o - t) * o * (1 - o)
    dh = (W2 @ do) * h * (1 - h)
    W1 -= lr * np.outer(x, dh)
    b1 -= lr * dh
    W2 -= lr * np.outer(h, do)
    b2 -= lr * do
    return W1, b1, W2, b2
'''),
    # ---- two_layer_loss
    Wrong("two_layer_loss", "regularisation missing from the gradients", '''
def two_layer_loss(params, X, y, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a, c1 = affine_forward(X, W1, b1)
    h, cr = relu_forward(a)
    s, c2 = affine_forward(h, W2, b2)
    loss, ds = softmax_cross_entropy(s, y)
    loss += 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dh, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(dh, cr), c1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    Wrong("two_layer_loss", "regularisation without the 0.5", '''
def two_layer_loss(params, X, y, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a, c1 = affine_forward(X, W1, b1)
    h, cr = relu_forward(a)
    s, c2 = affine_forward(h, W2, b2)
    loss, ds = softmax_cross_entropy(s, y)
    loss += reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dh, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(dh, cr), c1)
    return loss, {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}
'''),
    Wrong("two_layer_loss", "ReLU backward skipped", '''
def two_layer_loss(params, X, y, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a, c1 = affine_forward(X, W1, b1)
    h, cr = relu_forward(a)
    s, c2 = affine_forward(h, W2, b2)
    loss, ds = softmax_cross_entropy(s, y)
    loss += 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dh, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(dh, c1)
    return loss, {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}
'''),
    Wrong("two_layer_loss", "regularises the biases too", '''
def two_layer_loss(params, X, y, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a, c1 = affine_forward(X, W1, b1)
    h, cr = relu_forward(a)
    s, c2 = affine_forward(h, W2, b2)
    loss, ds = softmax_cross_entropy(s, y)
    loss += 0.5 * reg * sum(np.sum(p ** 2) for p in (W1, b1, W2, b2))
    dh, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(dh, cr), c1)
    return loss, {"W1": dW1 + reg * W1, "b1": db1 + reg * b1, "W2": dW2 + reg * W2, "b2": db2 + reg * b2}
'''),
]

RIGHT = [
    Right("affine_forward", "einsum, the cache a list", '''
def affine_forward(x, W, b):
    x = np.array(x, dtype=np.float64)
    W = np.array(W, dtype=np.float64)
    return np.einsum("nd,dm->nm", x, W) + np.asarray(b, dtype=np.float64), [x, W]
'''),
    Right("affine_backward", "uses a dict cache written by an unusual forward", '''
def affine_backward(dout, cache):
    x, W = cache["inputs"], cache["weights"]
    return np.einsum("nm,dm->nd", dout, W), np.einsum("nd,nm->dm", x, dout), np.einsum("nm->m", dout)
''' + '''

def affine_forward(x, W, b):
    x = np.array(x, dtype=np.float64)
    W = np.array(W, dtype=np.float64)
    return x @ W + b, {"inputs": x, "weights": W}
'''),
    Right("sigmoid_forward", "tanh identity", '''
def sigmoid_forward(x):
    out = 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
    return out, out
'''),
    Right("sigmoid_backward", "caches the input, recomputes sigma (pair rewritten together)", '''
def sigmoid_forward(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1 + np.tanh(0.5 * x)), ("x", x)
''' + '''

def sigmoid_backward(dout, cache):
    s = 0.5 * (1 + np.tanh(0.5 * cache[1]))
    return dout * s * (1 - s)
'''),
    Right("relu_backward", "mask in the cache, output-based", '''
def relu_forward(x):
    x = np.asarray(x, dtype=np.float64)
    out = x * (x > 0)
    return out, out > 0
''' + '''

def relu_backward(dout, cache):
    dx = np.zeros(np.shape(dout))
    dx[cache] = np.asarray(dout, dtype=float)[cache]
    return dx
'''),
    Right("softmax", "logsumexp per row in a loop", '''
def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    rows = []
    for row in z:
        m = row.max()
        rows.append(np.exp(row - m - np.log(np.sum(np.exp(row - m)))))
    return np.array(rows)
'''),
    Right("softmax_cross_entropy", "one-hot matrix and the student's own softmax", '''
def softmax_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=int)
    N, C = z.shape
    Y = np.eye(C)[y]
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    loss = -np.sum(Y * log_p) / N
    return loss, (softmax(z) - Y) / N
'''),
    Right("mse", "flattened dot product", '''
def mse(pred, target):
    d = (np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)).ravel()
    n = d.size
    return d @ d / n, (2.0 / n * d).reshape(np.shape(pred))
'''),
    Right("sigmoid_net_step", "built from the student's own layers", '''
def sigmoid_net_step(x, t, W1, b1, W2, b2, lr):
    a1, c1 = affine_forward(np.asarray(x, dtype=float)[None, :], W1, b1)
    h, ch = sigmoid_forward(a1)
    a2, c2 = affine_forward(h, W2, b2)
    o, co = sigmoid_forward(a2)
    da2 = sigmoid_backward(o - np.asarray(t, dtype=float)[None, :], co)
    dh, dW2, db2 = affine_backward(da2, c2)
    _, dW1, db1 = affine_backward(sigmoid_backward(dh, ch), c1)
    return W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
'''),
    Right("two_layer_loss", "inline layers, copies of the parameters, no calls to the layer functions", '''
def two_layer_loss(params, X, y, reg=0.0):
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    X = np.asarray(X, dtype=float)
    N = X.shape[0]
    a = X @ p["W1"] + p["b1"]
    h = np.maximum(a, 0)
    s = h @ p["W2"] + p["b2"]
    s = s - s.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(N), y].mean() + reg / 2 * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    ds = np.exp(log_p)
    ds[np.arange(N), y] -= 1
    ds /= N
    dh = ds @ p["W2"].T
    da = dh * (a > 0)
    return loss, {"W2": h.T @ ds + reg * p["W2"], "b2": ds.sum(0), "W1": X.T @ da + reg * p["W1"], "b1": da.sum(0)}
'''),
]
