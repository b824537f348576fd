"""Linear regression in the posts' notation, vectorized over a batch.

For one feature, ``h_θ(x) = θ0 + θ1 x``; for ``d`` features, ``h_θ(x) = θ0 + θ1 x1 + ... + θd xd``. The loss of a
batch of ``m`` samples and its gradient are::

    J(θ) = 1/(2m) Σ_i (h_θ(x⁽ⁱ⁾) - y⁽ⁱ⁾)²
    ∂J/∂θ0 = 1/m Σ_i (h - y)          ∂J/∂θj = 1/m Σ_i (h - y) x_j⁽ⁱ⁾

``m`` is the batch size: all samples for gradient descent, 1 for SGD, in between for mini-batch GD. The ½ makes the
gradient free of a factor 2 (Keras's mean squared error has no ½; see lesson 04).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array


def as_features(X: np.ndarray) -> np.ndarray:
    """Inputs as a (m, d) float array; a 1-D ``x`` of shape (m,) is one feature."""
    X = check_array("X", X, ndim=(1, 2))
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    return X.astype(np.float64) if not np.issubdtype(X.dtype, np.floating) else X


def check_theta(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    theta = check_array("theta", theta, ndim=(1,))
    if theta.shape != (X.shape[1] + 1,):
        raise ValueError(
            f"theta has shape {theta.shape} but X has {X.shape[1]} feature(s): expected (θ0, θ1, ..., θd), "
            f"shape ({X.shape[1] + 1},)"
        )
    return theta


def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``h_θ(x)`` for every sample: shape (m,). ``X`` is (m, d) or (m,) for one feature; ``theta`` is (d + 1,)."""
    X = as_features(X)
    theta = check_theta(theta, X)
    return theta[0] + X @ theta[1:]


def loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """``J(θ) = 1/(2m) Σ (h_θ(x) - y)²`` over the batch."""
    residual = predict(theta, X) - _targets(y, X)
    return float(residual @ residual) / (2 * len(residual))


def gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(∂J/∂θ0, ∂J/∂θ1, ..., ∂J/∂θd)`` over the batch: shape (d + 1,)."""
    X = as_features(X)
    residual = predict(theta, X) - _targets(y, X)
    m = len(residual)
    return np.concatenate([[residual.sum() / m], residual @ X / m])


def hessian(X: np.ndarray) -> np.ndarray:
    """The Hessian of ``J``, ``[1 x]ᵀ[1 x] / m``: shape (d + 1, d + 1). Constant, because ``J`` is quadratic."""
    X = as_features(X)
    design = np.hstack([np.ones((len(X), 1)), X])
    return design.T @ design / len(X)


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The θ that minimizes ``J`` (solved directly, for drawing the optimum): shape (d + 1,)."""
    X = as_features(X)
    design = np.hstack([np.ones((len(X), 1)), X])
    return np.linalg.lstsq(design, _targets(y, X), rcond=None)[0]


def _targets(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    y = check_array("y", y, ndim=(1,))
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}: expected one target per sample")
    return y
