"""The lectures' data sets and small seeded synthetic generators."""
import numpy as np

# Lecture "Neural Networks Part 2": a line through the origin fitted to four points.
SSR_X = np.array([0.0, 1.0, 2.0, 3.0])
SSR_Y = np.array([0.33, 2.66, 3.5, 4.5])
SSR_START = -1.0                                 # where gradient descent starts
SSR_LEARNING_RATES = (0.01, 0.025, 0.05, 0.075)  # the four tables of the lecture

# Lecture "Fundamentals of Neural Networks": one sigmoid neuron fitted to two points.
NEURON_X = np.array([0.5, 2.5])
NEURON_Y = np.array([0.2, 0.9])
NEURON_START = (-2.0, -2.0)                      # (w, b)
NEURON_LR = 1.0


def linear_data(n=1000, d=3, noise=0.1, seed=0):
    """``X (n, d)`` standard normal, ``y = X @ w_true + b_true + noise``; returns X, y, w_true, b_true."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w_true = rng.uniform(-2, 2, size=d)
    b_true = float(rng.uniform(-1, 1))
    y = X @ w_true + b_true + noise * rng.standard_normal(n)
    return X, y, w_true, b_true


# ---- 02 gradient descent

# The lecture's four tables: gradient descent on dSSR/da = 28a - 46.32 from a = -1, ten steps,
# learning rate -> (a after each step, difference old a - new a), rounded to 4 decimals.
SSR_CURVATURE = 28.0                             # d2 SSR / da2 = 2 * sum(x**2)
SSR_LECTURE_TABLES = {
    0.01: ((-0.2568, 0.2783, 0.6636, 0.941, 1.1407, 1.2845, 1.388, 1.4626, 1.5163, 1.5549),
           (-0.7432, -0.5351, -0.3853, -0.2774, -0.1997, -0.1438, -0.1035, -0.0745, -0.0537, -0.0386)),
    0.025: ((0.858, 1.4154, 1.5826, 1.6328, 1.6478, 1.6524, 1.6537, 1.6541, 1.6542, 1.6543),
            (-1.858, -0.5574, -0.1672, -0.0502, -0.015, -0.0045, -0.0014, -0.0004, -0.0001)),
    0.05: ((2.716, 1.2296, 1.8242, 1.5863, 1.6815, 1.6434, 1.6586, 1.6525, 1.655, 1.654),
           (-3.716, 1.4864, -0.5946, 0.2378, -0.0951, 0.0381, -0.0152, 0.0061, -0.0024, 0.001)),
    0.075: ((4.574, -1.5574, 5.1871, -2.2319, 5.929, -3.0479, 6.8267, -4.0354, 7.913, -5.2302),
            (-5.574, 6.1314, -6.7445, 7.419, -8.1609, 8.977, -9.8747, 10.8621, -11.9484, 13.1432)),
}

# The lecture's guess-and-check table for the sigmoid neuron: (w, b, loss as printed).
NEURON_GUESSES = ((0.50, 0.00, 0.0730), (-0.10, 0.00, 0.1481), (0.94, -0.94, 0.0214),
                  (1.42, -1.73, 0.0028), (1.65, -2.08, 0.0003), (1.78, -2.27, 0.0000))


# ---- 05 optimizers

# The lecture's betas: beta1 averages gradients over about 1/(1 - 0.9) = 10 steps, beta2 their
# squares over about 1/(1 - 0.999) = 1000 steps.
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999


def daily_temperatures(days=365, seed=5):
    """A synthetic year of noisy daily temperatures (°C), shape ``(days,)``: a seasonal swing
    plus day-to-day noise, the kind of series an exponentially weighted average smooths."""
    rng = np.random.default_rng(seed)
    day = np.arange(days)
    season = 11.0 - 8.0 * np.cos(2 * np.pi * (day - 15) / 365)
    return season + 3.0 * rng.standard_normal(days)


TEMPERATURES = daily_temperatures()

# The lecture's asymmetric bowl L(w) = 0.5 * (c1 * w1**2 + c2 * w2**2): flat along w1, steep
# across w2, so plain gradient descent zig-zags across the valley and crawls along it.
BOWL_CURVATURES = (0.2, 20.0)
BOWL_START = (-8.0, 1.5)
BOWL_RANGE = ((-9.0, 3.0), (-2.5, 2.5))         # (w1 range, w2 range) of the pictures


def bowl_loss(w):
    """The bowl's loss at ``w`` of shape ``(..., 2)`` (one point per row); shape ``(...)``."""
    w = np.asarray(w, dtype=np.float64)
    return 0.5 * (BOWL_CURVATURES[0] * w[..., 0] ** 2 + BOWL_CURVATURES[1] * w[..., 1] ** 2)


def bowl_grad(w):
    """Gradient of ``bowl_loss`` at ``w`` of shape ``(..., 2)``; same shape as ``w``."""
    w = np.asarray(w, dtype=np.float64)
    return np.stack([BOWL_CURVATURES[0] * w[..., 0], BOWL_CURVATURES[1] * w[..., 1]], axis=-1)


# Rosenbrock's banana valley (a = 1, b = 100): minimum 0 at (1, 1) at the end of a long curved
# valley whose floor is almost flat.
ROSENBROCK_START = (-1.5, 2.0)
ROSENBROCK_RANGE = ((-2.0, 2.0), (-1.0, 3.0))


def rosenbrock_loss(w):
    """``(1 - w1)**2 + 100 * (w2 - w1**2)**2`` at ``w`` of shape ``(..., 2)``; shape ``(...)``."""
    w = np.asarray(w, dtype=np.float64)
    return (1 - w[..., 0]) ** 2 + 100 * (w[..., 1] - w[..., 0] ** 2) ** 2


def rosenbrock_grad(w):
    """Gradient of ``rosenbrock_loss`` at ``w`` of shape ``(..., 2)``; same shape as ``w``."""
    w = np.asarray(w, dtype=np.float64)
    w1, w2 = w[..., 0], w[..., 1]
    return np.stack([-2 * (1 - w1) - 400 * w1 * (w2 - w1 ** 2), 200 * (w2 - w1 ** 2)], axis=-1)


# Name -> (loss, gradient, start, (w1 range, w2 range), log-scale contours?): the race tracks.
RACE_SURFACES = {
    "bowl": (bowl_loss, bowl_grad, BOWL_START, BOWL_RANGE, False),
    "Rosenbrock": (rosenbrock_loss, rosenbrock_grad, ROSENBROCK_START, ROSENBROCK_RANGE, True),
}


def three_blobs(n=600, seed=0):
    """A 2-D classification set: three overlapping Gaussian blobs, ``n`` points in all.

    Returns ``X (n, 2)`` float64 and ``y (n,)`` integer labels 0, 1, 2, shuffled. The features
    have different scales (the second is 10 times the first), which makes plain gradient
    descent on a linear classifier an ill-conditioned problem like the bowl.
    """
    rng = np.random.default_rng(seed)
    centres = np.array([[-1.0, -1.0], [1.0, -0.5], [0.0, 1.2]])
    y = rng.permutation(np.arange(n) % 3)
    X = centres[y] + 0.6 * rng.standard_normal((n, 2))
    X[:, 1] *= 10.0
    return X, y


# ---- 04 backprop

# Lecture "Fundamentals of Neural Networks": the worked backpropagation example (a 3-2-1 network
# of sigmoid units, after Han & Kamber). Units 1-3 are the inputs, 4 and 5 the hidden units, 6 the
# output; w_ij joins unit i to unit j and theta_j is unit j's bias. In the course's layout
# (x @ W + b) row i of W1 holds w_i4, w_i5.
BACKPROP_X = np.array([1.0, 0.0, 1.0])
BACKPROP_TARGET = np.array([1.0])
BACKPROP_LR = 0.9
BACKPROP_W1 = np.array([[0.2, -0.3],                # w14 w15
                        [0.4, 0.1],                 # w24 w25
                        [-0.5, 0.2]])               # w34 w35
BACKPROP_B1 = np.array([-0.4, 0.2])                 # theta4 theta5
BACKPROP_W2 = np.array([[-0.3],                     # w46
                        [-0.2]])                    # w56
BACKPROP_B2 = np.array([0.1])                       # theta6
# The lecture's tables, as printed (three or four decimals).
BACKPROP_OUTPUTS = {"O4": 0.332, "O5": 0.525, "O6": 0.474}
BACKPROP_ERRORS = {"Err6": 0.1311, "Err5": -0.0065, "Err4": -0.0087}
BACKPROP_UPDATED = {"w46": -0.261, "w56": -0.138, "w14": 0.192, "w15": -0.306, "w24": 0.4,
                    "w25": 0.1, "w34": -0.508, "w35": 0.194, "theta6": 0.218, "theta5": 0.194,
                    "theta4": -0.408}

# Lecture "Neural Networks Part 2": a network with one input, two softplus hidden units and one
# output, fitted by its sum of squared residuals; backpropagation starts at the last bias b5.
# The lecture's figures (with the numbers) did not survive; these are the values of the widely
# used version of this example (three doses, the middle one effective).
SOFTPLUS_X = np.array([0.0, 0.5, 1.0])
SOFTPLUS_Y = np.array([0.0, 1.0, 0.0])
SOFTPLUS_PARAMS = {"w1": 3.34, "b1": -1.43, "w2": -3.53, "b2": 0.57, "w3": -1.22, "w4": -2.30, "b5": 0.0}

# The XOR truth table of the perceptron lecture.
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])

TOY_DATASETS = ("xor", "circles", "spirals")


def toy_2d(name="xor", n=200, noise=0.15, seed=0):
    """A seeded 2-D classification set: ``X (n, 2)`` float64 in about [-1.5, 1.5]², ``y (n,)`` in {0, 1}.

    ``"xor"``: four clouds at the corners, label = XOR of the signs; ``"circles"``: a disc inside
    a ring; ``"spirals"``: two interleaved spiral arms.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    if name == "xor":
        corner = rng.integers(0, 2, size=n)
        signs = np.stack([np.where(corner == 1, 1.0, -1.0),
                          np.where(corner != y, 1.0, -1.0)], axis=1)  # y = 1 where the signs differ
        X = 0.8 * signs + noise * 2 * rng.standard_normal((n, 2))
    elif name == "circles":
        radius = np.where(y == 0, 0.5, 1.2) + noise * rng.standard_normal(n)
        angle = rng.uniform(0, 2 * np.pi, n)
        X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    elif name == "spirals":
        s = rng.uniform(0.1, 1.0, n)
        angle = 3 * np.pi * s + np.pi * y
        X = 1.4 * s[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        X = X + noise * 0.5 * rng.standard_normal((n, 2))
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {TOY_DATASETS}")
    return X, y

# ---- 03 sgd
# (self-contained: uses only NumPy and linear_data above)

# Lecture "Neural Networks Part 2": what full-batch gradient descent costs on a bigger data set.
SGD_LECTURE_ROWS = 1000             # "imagine we have 1000 rows"
SGD_LECTURE_FEATURES = 20           # "20 columns": at least 20 derivatives per row
SGD_LECTURE_STEPS = 500             # "500 steps" of full-batch descent, i.e. 500 epochs
SGD_LECTURE_COUNT = 10_000_000      # "we might end up solving 10.000.000 equations per run"

# Lecture "Neural networks, backpropagation, optimizers": "1 epoch: we went through the data one
# time (M_full = 100, M = 10, then 1 epoch is 10 iterations)".
EPOCH_ROWS, EPOCH_BATCH_SIZE, EPOCH_ITERATIONS = 100, 10, 10

# The regression data of the assignment: 2000 rows, 5 standard-normal features,
# y = X @ w_true + b_true + noise (sd 0.5). Its least-squares loss is about 0.25.
SGD_X, SGD_Y, SGD_W_TRUE, SGD_B_TRUE = linear_data(n=2000, d=5, noise=0.5, seed=3)

# The decay constant k of each schedule of decayed_lr used by the lesson and the explorer:
# "step" halves every k epochs; "inverse" and "exponential" take k per epoch.
DECAY_K = {"step": 5, "inverse": 0.2, "exponential": 0.1}


def line_data(n=100, w=2.0, b=1.0, noise=0.8, seed=0):
    """One feature, so that the parameters (w, b) form a plane we can draw.

    Returns ``X`` of shape ``(n, 1)`` (standard normal) and ``y`` of shape ``(n,)`` with
    ``y = w * x + b + noise * N(0, 1)``. With n = 100 it is the lecture's data set of 100 rows.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 1))
    y = w * X[:, 0] + b + noise * rng.standard_normal(n)
    return X, y


LINE_X, LINE_Y = line_data()
