"""Mutants of 03_sgd: plausible mistakes that must lose points, odd but right answers that must not."""
from mutants import Right, Wrong

ASSIGNMENT = "03_sgd"

WRONG = [
    # ---- updates_per_epoch
    Wrong("updates_per_epoch", "n // batch_size: forgets the last, smaller batch", '''
def updates_per_epoch(n, batch_size):
    return n // batch_size
'''),
    Wrong("updates_per_epoch", "n // batch_size + 1: an extra batch when batch_size divides n", '''
def updates_per_epoch(n, batch_size):
    return n // batch_size + 1
'''),
    Wrong("updates_per_epoch", "np.ceil: a float, not an int", '''
def updates_per_epoch(n, batch_size):
    return np.ceil(n / batch_size)
'''),
    # ---- sample_gradients
    Wrong("sample_gradients", "counts steps (epochs), not per-sample gradients", '''
def sample_gradients(n, epochs):
    return epochs
'''),
    Wrong("sample_gradients", "one epoch too many", '''
def sample_gradients(n, epochs):
    return n * (epochs + 1)
'''),
    Wrong("sample_gradients", "a float count", '''
def sample_gradients(n, epochs):
    return float(n) * epochs
'''),
    # ---- mse_loss_and_grad
    Wrong("mse_loss_and_grad", "the lecture's 1/2-loss gradient: dw and db without the 2", '''
def mse_loss_and_grad(X, y, w, b):
    r = X @ w + b - y
    return np.mean(r ** 2), X.T @ r / len(y), np.mean(r)
'''),
    Wrong("mse_loss_and_grad", "sums instead of means", '''
def mse_loss_and_grad(X, y, w, b):
    r = X @ w + b - y
    return np.sum(r ** 2), 2 * X.T @ r, 2 * np.sum(r)
'''),
    Wrong("mse_loss_and_grad", "residual y - y_hat in the gradient (sign flipped)", '''
def mse_loss_and_grad(X, y, w, b):
    r = y - (X @ w + b)
    return np.mean(r ** 2), 2 * X.T @ r / len(y), 2 * np.mean(r)
'''),
    Wrong("mse_loss_and_grad", "dw averaged over every entry: one number instead of shape (D,)", '''
def mse_loss_and_grad(X, y, w, b):
    r = X @ w + b - y
    return np.mean(r ** 2), 2 * np.mean(X * r[:, None]), 2 * np.mean(r)
'''),
    Wrong("mse_loss_and_grad", "integer inputs: floor division by N", '''
def mse_loss_and_grad(X, y, w, b):
    r = X @ w + b - y
    return np.sum(r ** 2) / len(y), 2 * (X.T @ r) // len(y), 2 * np.sum(r) / len(y)
'''),
    # ---- minibatch_indices
    Wrong("minibatch_indices", "np.array_split: batches of nearly equal size", '''
def minibatch_indices(n, batch_size, rng):
    order = rng.permutation(n)
    return np.array_split(order, -(-n // batch_size))
'''),
    Wrong("minibatch_indices", "drops the remainder", '''
def minibatch_indices(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
'''),
    Wrong("minibatch_indices", "n // batch_size + 1 batches: an empty one when batch_size divides n", '''
def minibatch_indices(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size + 1)]
'''),
    Wrong("minibatch_indices", "a generator of its own, not the rng passed in", '''
def minibatch_indices(n, batch_size, rng):
    order = np.random.default_rng(0).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
'''),
    Wrong("minibatch_indices", "draws with replacement (rng.choice)", '''
def minibatch_indices(n, batch_size, rng):
    order = rng.choice(n, size=n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
'''),
    # ---- sgd_epoch
    Wrong("sgd_epoch", "one update for the whole data set", '''
def sgd_epoch(X, y, w, b, lr, batch_size, rng):
    minibatch_indices(len(X), batch_size, rng)
    _, dw, db = mse_loss_and_grad(X, y, w, b)
    return w - lr * dw, b - lr * db
'''),
    Wrong("sgd_epoch", "X and y not indexed by the same batch", '''
def sgd_epoch(X, y, w, b, lr, batch_size, rng):
    start = 0
    for batch in minibatch_indices(len(X), batch_size, rng):
        _, dw, db = mse_loss_and_grad(X[batch], y[start:start + len(batch)], w, b)
        w, b = w - lr * dw, b - lr * db
        start += len(batch)
    return w, b
'''),
    Wrong("sgd_epoch", "every batch's gradient at the starting parameters", '''
def sgd_epoch(X, y, w, b, lr, batch_size, rng):
    w_new, b_new = np.array(w, dtype=float), float(b)
    for batch in minibatch_indices(len(X), batch_size, rng):
        _, dw, db = mse_loss_and_grad(X[batch], y[batch], w, b)
        w_new, b_new = w_new - lr * dw, b_new - lr * db
    return w_new, b_new
'''),
    Wrong("sgd_epoch", "updates the caller's w in place", '''
def sgd_epoch(X, y, w, b, lr, batch_size, rng):
    for batch in minibatch_indices(len(X), batch_size, rng):
        _, dw, db = mse_loss_and_grad(X[batch], y[batch], w, b)
        w -= lr * dw
        b = b - lr * db
    return w, b
'''),
    Wrong("sgd_epoch", "batches in the data's order (no shuffle)", '''
def sgd_epoch(X, y, w, b, lr, batch_size, rng):
    w = np.array(w, dtype=float)
    for start in range(0, len(X), batch_size):
        rows = slice(start, start + batch_size)
        _, dw, db = mse_loss_and_grad(X[rows], y[rows], w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b
'''),
    # ---- train_linear
    Wrong("train_linear", "a new rng in every epoch (every epoch shuffles the same way)", '''
def train_linear(X, y, lr, batch_size, epochs, seed=0):
    w, b, history = np.zeros(np.shape(X)[1]), 0.0, np.zeros(epochs)
    for k in range(epochs):
        w, b = sgd_epoch(X, y, w, b, lr, batch_size, np.random.default_rng(seed))
        history[k] = mse_loss_and_grad(X, y, w, b)[0]
    return w, b, history
'''),
    Wrong("train_linear", "records the loss before each epoch", '''
def train_linear(X, y, lr, batch_size, epochs, seed=0):
    w, b, history = np.zeros(np.shape(X)[1]), 0.0, np.zeros(epochs)
    rng = np.random.default_rng(seed)
    for k in range(epochs):
        history[k] = mse_loss_and_grad(X, y, w, b)[0]
        w, b = sgd_epoch(X, y, w, b, lr, batch_size, rng)
    return w, b, history
'''),
    Wrong("train_linear", "ignores seed", '''
def train_linear(X, y, lr, batch_size, epochs, seed=0):
    w, b, history = np.zeros(np.shape(X)[1]), 0.0, np.zeros(epochs)
    rng = np.random.default_rng(0)
    for k in range(epochs):
        w, b = sgd_epoch(X, y, w, b, lr, batch_size, rng)
        history[k] = mse_loss_and_grad(X, y, w, b)[0]
    return w, b, history
'''),
    Wrong("train_linear", "history as a list, with the start loss too", '''
def train_linear(X, y, lr, batch_size, epochs, seed=0):
    w, b = np.zeros(np.shape(X)[1]), 0.0
    rng = np.random.default_rng(seed)
    history = [mse_loss_and_grad(X, y, w, b)[0]]
    for k in range(epochs):
        w, b = sgd_epoch(X, y, w, b, lr, batch_size, rng)
        history.append(mse_loss_and_grad(X, y, w, b)[0])
    return w, b, history
'''),
    # ---- decayed_lr
    Wrong("decayed_lr", "step: epoch / k instead of epoch // k", '''
def decayed_lr(lr0, epoch, schedule, k):
    if schedule == "step":
        return lr0 * 0.5 ** (epoch / k)
    if schedule == "inverse":
        return lr0 / (1 + k * epoch)
    if schedule == "exponential":
        return lr0 * math.exp(-k * epoch)
    raise ValueError(schedule)
'''),
    Wrong("decayed_lr", "exponential grows: exp(k * epoch)", '''
def decayed_lr(lr0, epoch, schedule, k):
    if schedule == "step":
        return lr0 * 0.5 ** (epoch // k)
    if schedule == "inverse":
        return lr0 / (1 + k * epoch)
    if schedule == "exponential":
        return lr0 * math.exp(k * epoch)
    raise ValueError(schedule)
'''),
    Wrong("decayed_lr", "an unknown schedule keeps lr0 instead of raising", '''
def decayed_lr(lr0, epoch, schedule, k):
    if schedule == "step":
        return lr0 * 0.5 ** (epoch // k)
    if schedule == "inverse":
        return lr0 / (1 + k * epoch)
    if schedule == "exponential":
        return lr0 * math.exp(-k * epoch)
    return lr0
'''),
    Wrong("decayed_lr", "epochs counted from 1", '''
def decayed_lr(lr0, epoch, schedule, k):
    epoch = epoch + 1
    if schedule == "step":
        return lr0 * 0.5 ** (epoch // k)
    if schedule == "inverse":
        return lr0 / (1 + k * epoch)
    if schedule == "exponential":
        return lr0 * math.exp(-k * epoch)
    raise ValueError(schedule)
'''),
]

RIGHT = [
    Right("updates_per_epoch", "math.ceil of a true division", '''
def updates_per_epoch(n, batch_size):
    return math.ceil(n / batch_size)
'''),
    Right("updates_per_epoch", "the length of the range of batch starts", '''
def updates_per_epoch(n, batch_size):
    return len(range(0, n, batch_size))
'''),
    Right("sample_gradients", "a loop over epochs and batches of one", '''
def sample_gradients(n, epochs):
    total = 0
    for _ in range(epochs):
        total += sum(1 for _ in range(n))
    return total
'''),
    Right("mse_loss_and_grad", "a loop over the rows, summing per-sample gradients", '''
def mse_loss_and_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    loss, dw, db = 0.0, np.zeros(X.shape[1]), 0.0
    for x_i, y_i in zip(X, y):
        r = float(x_i @ w + b - y_i)
        loss += r * r
        dw += 2 * r * x_i
        db += 2 * r
    n = len(X)
    return loss / n, dw / n, db / n
'''),
    Right("mse_loss_and_grad", "einsum and the residual on the left", '''
def mse_loss_and_grad(X, y, w, b):
    r = np.einsum("nd,d->n", np.asarray(X, dtype=np.float64), np.asarray(w, dtype=np.float64)) + b - y
    n = r.shape[0]
    return r @ r / n, (2.0 / n) * (r @ X), (2.0 / n) * r.sum()
'''),
    Right("minibatch_indices", "shuffle an arange (what permutation does) and np.split", '''
def minibatch_indices(n, batch_size, rng):
    order = np.arange(n)
    rng.shuffle(order)
    return list(np.split(order, np.arange(batch_size, n, batch_size)))
'''),
    Right("minibatch_indices", "a while loop popping batches off the front", '''
def minibatch_indices(n, batch_size, rng):
    rest, batches = rng.permutation(n), []
    while len(rest):
        batches.append(rest[:batch_size])
        rest = rest[batch_size:]
    return batches
'''),
    Right("sgd_epoch", "parameters as one vector, a column of ones, the shuffle inlined", '''
def sgd_epoch(X, y, w, b, lr, batch_size, rng):
    A = np.column_stack([np.asarray(X, dtype=float), np.ones(len(X))])
    theta = np.append(np.asarray(w, dtype=float), float(b))
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        r = A[rows] @ theta - y[rows]
        theta = theta - lr * 2 * A[rows].T @ r / len(rows)
    return theta[:-1], theta[-1]
'''),
    Right("train_linear", "history list converted at the end, loss computed in place", '''
def train_linear(X, y, lr, batch_size, epochs, seed=0):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    while len(history) < epochs:
        w, b = sgd_epoch(X, y, w, b, lr, batch_size, rng)
        history.append(float(np.mean((X @ w + b - y) ** 2)))
    return w, b, np.array(history)
'''),
    Right("decayed_lr", "a table of formulas, KeyError turned into ValueError", '''
def decayed_lr(lr0, epoch, schedule, k):
    formulas = {
        "step": lambda: lr0 * math.pow(0.5, math.floor(epoch / k)),
        "inverse": lambda: lr0 * (1 + k * epoch) ** -1,
        "exponential": lambda: lr0 * float(np.exp(-k * epoch)),
    }
    try:
        return formulas[schedule]()
    except KeyError:
        raise ValueError(f"no schedule called {schedule!r}") from None
'''),
]
