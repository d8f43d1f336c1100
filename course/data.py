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
