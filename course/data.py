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
