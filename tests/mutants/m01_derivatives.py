"""Mutants of 01_derivatives: plausible mistakes that must lose points, odd but right answers that must not."""
from mutants import Right, Wrong

ASSIGNMENT = "01_derivatives"

WRONG = [
    # ---- numerical_derivative
    Wrong("numerical_derivative", "forward difference", '''
def numerical_derivative(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h
'''),
    Wrong("numerical_derivative", "divides by h instead of 2h", '''
def numerical_derivative(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h
'''),
    Wrong("numerical_derivative", "ignores the h argument", '''
def numerical_derivative(f, x, h=1e-5):
    step = 1e-5
    return (f(x + step) - f(x - step)) / (2 * step)
'''),
    Wrong("numerical_derivative", "sign flipped", '''
def numerical_derivative(f, x, h=1e-5):
    return (f(x - h) - f(x + h)) / (2 * h)
'''),
    # ---- composite_derivative
    Wrong("composite_derivative", "outer derivative at x instead of at g(x)", '''
def composite_derivative(f_prime, g, g_prime):
    return lambda x: f_prime(x) * g_prime(x)
'''),
    Wrong("composite_derivative", "adds instead of multiplying", '''
def composite_derivative(f_prime, g, g_prime):
    return lambda x: f_prime(g(x)) + g_prime(x)
'''),
    Wrong("composite_derivative", "returns a number, not a function", '''
def composite_derivative(f_prime, g, g_prime):
    return f_prime(g(1.0)) * g_prime(1.0)
'''),
    Wrong("composite_derivative", "inner derivative at g(x)", '''
def composite_derivative(f_prime, g, g_prime):
    def derivative(x):
        u = g(x)
        return f_prime(u) * g_prime(u)
    return derivative
'''),
    # ---- numerical_gradient
    Wrong("numerical_gradient", "forward differences", '''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    base = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - base) / h
        x[i] = old
    return grad
'''),
    Wrong("numerical_gradient", "works on x itself and never restores it", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        down = f(x)
        grad[i] = (up - down) / (2 * h)
    return grad
'''),
    Wrong("numerical_gradient", "calls course.gradcheck instead of own code", '''
from course.gradcheck import numeric_grad

def numerical_gradient(f, x, h=1e-5):
    return numeric_grad(f, x, h)
'''),
    Wrong("numerical_gradient", "copies an integer array without converting to float", '''
def numerical_gradient(f, x, h=1e-5):
    x = np.copy(x)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad
'''),
    Wrong("numerical_gradient", "returns a flat gradient", '''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    flat = x.ravel()
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        e = np.zeros(flat.size)
        e[i] = h
        grad[i] = (f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * h)
    return grad
'''),
    Wrong("numerical_gradient", "ignores the h argument", '''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1e-5
        grad[i] = (f(x + e) - f(x - e)) / 2e-5
    return grad
'''),
    # ---- ssr
    Wrong("ssr", "mean instead of sum", '''
def ssr(a, x, y):
    return float(np.mean((a * x - y) ** 2))
'''),
    Wrong("ssr", "square of the sum", '''
def ssr(a, x, y):
    return float(np.sum(a * x - y) ** 2)
'''),
    Wrong("ssr", "absolute residuals", '''
def ssr(a, x, y):
    return float(np.sum(np.abs(a * x - y)))
'''),
    # ---- ssr_slope
    Wrong("ssr_slope", "missing factor 2", '''
def ssr_slope(a, x, y):
    return float(np.sum((a * x - y) * x))
'''),
    Wrong("ssr_slope", "sign flipped", '''
def ssr_slope(a, x, y):
    return float(np.sum(2 * (y - a * x) * x))
'''),
    Wrong("ssr_slope", "forgets the inner derivative x", '''
def ssr_slope(a, x, y):
    return float(np.sum(2 * (a * x - y)))
'''),
    Wrong("ssr_slope", "hard-coded lecture formula", '''
def ssr_slope(a, x, y):
    return 28 * a - 46.32
'''),
    # ---- best_slope
    Wrong("best_slope", "least squares with an intercept", '''
def best_slope(x, y):
    return float(np.polyfit(x, y, 1)[0])
'''),
    Wrong("best_slope", "ratio of means", '''
def best_slope(x, y):
    return float(np.mean(y) / np.mean(x))
'''),
    Wrong("best_slope", "hard-coded lecture answer", '''
def best_slope(x, y):
    return 1.654
'''),
    # ---- sigmoid
    Wrong("sigmoid", "naive formula overflows for z = -1000", '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
'''),
    Wrong("sigmoid", "exp(z) / (1 + exp(z)) gives nan for z = 1000", '''
def sigmoid(z):
    return np.exp(z) / (1 + np.exp(z))
'''),
    Wrong("sigmoid", "np.where still evaluates the overflowing branch", '''
def sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
'''),
    Wrong("sigmoid", "sign flipped", '''
def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1 + e), 1 / (1 + e))
'''),
    # ---- softplus
    Wrong("softplus", "naive log(1 + exp(z)) overflows", '''
def softplus(z):
    return np.log(1 + np.exp(z))
'''),
    Wrong("softplus", "stable form without the absolute value", '''
def softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-z))
'''),
    Wrong("softplus", "log1p(exp(z)) still overflows", '''
def softplus(z):
    return np.log1p(np.exp(z))
'''),
    # ---- sigmoid_prime
    Wrong("sigmoid_prime", "s * (1 + s)", '''
def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 + s)
'''),
    Wrong("sigmoid_prime", "tanh's derivative 1 - s**2", '''
def sigmoid_prime(z):
    return 1 - sigmoid(z) ** 2
'''),
    Wrong("sigmoid_prime", "exp(-z) / (1 + exp(-z))**2 overflows", '''
def sigmoid_prime(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2
'''),
    # ---- tanh_prime
    Wrong("tanh_prime", "forgets the square", '''
def tanh_prime(z):
    return 1 - np.tanh(z)
'''),
    Wrong("tanh_prime", "1 / cosh(z)**2 overflows for |z| = 1000", '''
def tanh_prime(z):
    return 1 / np.cosh(z) ** 2
'''),
    Wrong("tanh_prime", "plus instead of minus", '''
def tanh_prime(z):
    return 1 + np.tanh(z) ** 2
'''),
    # ---- softplus_prime
    Wrong("softplus_prime", "exp(z) / (1 + exp(z)) gives nan for z = 1000", '''
def softplus_prime(z):
    return np.exp(z) / (1 + np.exp(z))
'''),
    Wrong("softplus_prime", "sigmoid of -z", '''
def softplus_prime(z):
    return sigmoid(-np.asarray(z, dtype=float))
'''),
    Wrong("softplus_prime", "returns softplus itself", '''
def softplus_prime(z):
    return softplus(z)
'''),
    # ---- elu_prime
    Wrong("elu_prime", "ignores alpha", '''
def elu_prime(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))
'''),
    Wrong("elu_prime", "np.where overflows on exp(1000)", '''
def elu_prime(z, alpha=1.0):
    return np.where(z > 0, 1.0, alpha * np.exp(z))
'''),
    Wrong("elu_prime", "the ELU itself, not its derivative", '''
def elu_prime(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, alpha * (np.exp(np.minimum(z, 0)) - 1))
'''),
    Wrong("elu_prime", "1 at z = 0 (the z > 0 branch)", '''
def elu_prime(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1.0, alpha * np.exp(np.minimum(z, 0)))
'''),
    # ---- relu_prime
    Wrong("relu_prime", "1 at z = 0", '''
def relu_prime(z):
    return (np.asarray(z) >= 0).astype(float)
'''),
    Wrong("relu_prime", "returns ReLU itself", '''
def relu_prime(z):
    return np.maximum(0, z)
'''),
    Wrong("relu_prime", "overwrites z in place", '''
def relu_prime(z):
    z = np.asarray(z)
    z[z <= 0] = 0.0
    z[z > 0] = 1.0
    return z
'''),
    Wrong("relu_prime", "sign of z (-1 for negatives)", '''
def relu_prime(z):
    return np.sign(z)
'''),
    # ---- leaky_relu_prime
    Wrong("leaky_relu_prime", "ignores alpha", '''
def leaky_relu_prime(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, 1.0, 0.01)
'''),
    Wrong("leaky_relu_prime", "1 at z = 0", '''
def leaky_relu_prime(z, alpha=0.01):
    return np.where(np.asarray(z) >= 0, 1.0, alpha)
'''),
    Wrong("leaky_relu_prime", "0 for negative z, like ReLU", '''
def leaky_relu_prime(z, alpha=0.01):
    z = np.asarray(z)
    return np.where(z > 0, 1.0, np.where(z == 0, alpha, 0.0))
'''),
    # ---- mse_prime
    Wrong("mse_prime", "missing factor 2", '''
def mse_prime(y_pred, y):
    return (y_pred - y) / np.size(y_pred)
'''),
    Wrong("mse_prime", "sum instead of mean", '''
def mse_prime(y_pred, y):
    return 2 * (y_pred - y)
'''),
    Wrong("mse_prime", "divides by len (rows) instead of all entries", '''
def mse_prime(y_pred, y):
    y_pred = np.atleast_1d(y_pred)
    return 2 * (y_pred - y) / len(y_pred)
'''),
    Wrong("mse_prime", "subtracts y from y_pred in place", '''
def mse_prime(y_pred, y):
    y_pred -= y
    return 2 * y_pred / np.size(y_pred)
'''),
    Wrong("mse_prime", "sign flipped", '''
def mse_prime(y_pred, y):
    return 2 * (y - y_pred) / np.size(y_pred)
'''),
    # ---- bce_prime
    Wrong("bce_prime", "without the mean", '''
def bce_prime(p, y):
    return -y / p + (1 - y) / (1 - p)
'''),
    Wrong("bce_prime", "the sigmoid shortcut (p - y) / N", '''
def bce_prime(p, y):
    return (p - y) / np.size(p)
'''),
    Wrong("bce_prime", "forgets the (1 - y) term", '''
def bce_prime(p, y):
    return -y / p / np.size(p)
'''),
    Wrong("bce_prime", "sign flipped", '''
def bce_prime(p, y):
    return (y / p - (1 - y) / (1 - p)) / np.size(p)
'''),
    # ---- huber_prime
    Wrong("huber_prime", "ignores delta", '''
def huber_prime(y_pred, y, delta=1.0):
    r = y_pred - y
    return np.clip(r, -1.0, 1.0) / np.size(r)
'''),
    Wrong("huber_prime", "without the mean", '''
def huber_prime(y_pred, y, delta=1.0):
    r = y_pred - y
    return np.clip(r, -delta, delta)
'''),
    Wrong("huber_prime", "sign(r) beyond delta, without the factor delta", '''
def huber_prime(y_pred, y, delta=1.0):
    r = y_pred - y
    return np.where(np.abs(r) <= delta, r, np.sign(r)) / np.size(r)
'''),
    Wrong("huber_prime", "r <= delta without abs: large negative residuals unclipped", '''
def huber_prime(y_pred, y, delta=1.0):
    r = y_pred - y
    return np.where(r <= delta, r, delta) / np.size(r)
'''),
    Wrong("huber_prime", "2r in the quadratic part", '''
def huber_prime(y_pred, y, delta=1.0):
    r = y_pred - y
    return np.where(np.abs(r) <= delta, 2 * r, delta * np.sign(r)) / np.size(r)
'''),
]

RIGHT = [
    Right("numerical_gradient", "flat loop over a raveled float copy", '''
def numerical_gradient(f, x, h=1e-5):
    shape = np.shape(x)
    flat = np.array(x, dtype=np.float64).reshape(-1)
    grad = np.empty(flat.size)
    for i in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus.reshape(shape)) - f(minus.reshape(shape))) / (2 * h)
    return grad.reshape(shape)
'''),
    Right("sigmoid", "0.5 * (1 + tanh(z / 2))", '''
def sigmoid(z):
    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))
'''),
    Right("sigmoid", "boolean masks filling an empty array", '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out
'''),
    Right("sigmoid", "clip z before the naive formula", '''
def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))
'''),
    Right("softplus", "np.logaddexp(0, z)", '''
def softplus(z):
    return np.logaddexp(0, z)
'''),
    Right("softplus", "loop with math for every entry", '''
def softplus(z):
    z = np.asarray(z, dtype=float)
    out = np.empty(z.shape)
    for i in np.ndindex(z.shape):
        v = float(z[i])
        out[i] = v + math.log1p(math.exp(-v)) if v > 0 else math.log1p(math.exp(v))
    return out
'''),
    Right("ssr", "loop with Python floats", '''
def ssr(a, x, y):
    total = 0.0
    for xi, yi in zip(x, y):
        total += (a * xi - yi) ** 2
    return total
'''),
    Right("ssr_slope", "the expanded form 2a*sum(x**2) - 2*sum(x*y)", '''
def ssr_slope(a, x, y):
    return 2 * a * np.dot(x, x) - 2 * np.dot(x, y)
'''),
    Right("best_slope", "np.linalg.lstsq on one column", '''
def best_slope(x, y):
    return float(np.linalg.lstsq(np.reshape(x, (-1, 1)), y, rcond=None)[0][0])
'''),
    Right("best_slope", "root of the linear ssr_slope from two of its values", '''
def best_slope(x, y):
    s0, s1 = ssr_slope(0.0, x, y), ssr_slope(1.0, x, y)
    return -s0 / (s1 - s0)
'''),
    Right("tanh_prime", "from the sigmoid: 4 s (1 - s) at 2z", '''
def tanh_prime(z):
    s = sigmoid(2 * np.asarray(z, dtype=float))
    return 4 * s * (1 - s)
'''),
    Right("elu_prime", "boolean masks", '''
def elu_prime(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    out = np.ones_like(z)
    neg = z <= 0
    out[neg] = alpha * np.exp(z[neg])
    return out
'''),
    Right("relu_prime", "np.heaviside with 0 at 0", '''
def relu_prime(z):
    return np.heaviside(z, 0.0)
'''),
    Right("leaky_relu_prime", "arithmetic on a boolean mask", '''
def leaky_relu_prime(z, alpha=0.01):
    pos = np.asarray(z) > 0
    return pos * 1.0 + (~pos) * alpha
'''),
    Right("huber_prime", "np.where with sign and a float mean", '''
def huber_prime(y_pred, y, delta=1.0):
    r = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)
    small = np.abs(r) <= delta
    return np.where(small, r, delta * np.sign(r)) * (1.0 / r.size)
'''),
    Right("bce_prime", "the combined fraction (p - y) / (p (1 - p) N)", '''
def bce_prime(p, y):
    p = np.asarray(p, dtype=float)
    return (p - y) / (p * (1 - p)) / p.size
'''),
    Right("composite_derivative", "a lambda", '''
def composite_derivative(f_prime, g, g_prime):
    return lambda x: g_prime(x) * f_prime(g(x))
'''),
]
