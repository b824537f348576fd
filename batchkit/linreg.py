"""Linear regression in the posts' notation, vectorized over a batch.

For one feature, ``h_θ(x) = θ0 + θ1 x``; for ``d`` features, ``h_θ(x) = θ0 + θ1 x1 + ... + θd xd``. The loss of a
batch of ``m`` samples and its gradient are::

    J(θ) = 1/(2m) Σ_i (h_θ(x⁽ⁱ⁾) - y⁽ⁱ⁾)²
    ∂J/∂θ0 = 1/m Σ_i (h - y)          ∂J/∂θj = 1/m Σ_i (h - y) x_j⁽ⁱ⁾

``m`` is the posts' letter for the number of samples in the batch, the batch size ``b`` of the lessons: all ``n``
samples for full-batch gradient descent, 1 for SGD, in between for mini-batch GD. The ½ makes the gradient free of a
factor 2 (Keras's mean squared error has no ½; see lesson 04).

The formula lives in :func:`loss_and_gradient`; :func:`loss` and :func:`gradient` check their arguments and call it.
:func:`gradient_noise` measures how far mini-batch gradients stray from the full gradient.
"""

from __future__ import annotations

import numpy as np

from ._validation import SeedLike, check_array
from .sampling import iter_epochs


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
    X = as_features(X)
    return float(loss_and_gradient(check_theta(theta, X), X, _targets(y, X))[0])


def gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(∂J/∂θ0, ∂J/∂θ1, ..., ∂J/∂θd)`` over the batch: shape (d + 1,)."""
    X = as_features(X)
    return loss_and_gradient(check_theta(theta, X), X, _targets(y, X))[1]


def loss_and_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """``J`` and its gradient on a batch of m samples, vectorized: no loop over the samples.

    Parameters
    ----------
    theta : numpy.ndarray, shape (d + 1,)
    X : numpy.ndarray of float, shape (m, d)
    y : numpy.ndarray, shape (m,)

    Returns
    -------
    J : float
    gradient : numpy.ndarray, shape (d + 1,)
        ``(∂J/∂θ0, ∂J/∂θ1, ..., ∂J/∂θd)``.

    Notes
    -----
    Arguments are not checked: the training loop calls this once per step, on arrays it has checked once.
    """
    residual = theta[0] + X @ theta[1:] - y  # h_θ(x⁽ⁱ⁾) - y⁽ⁱ⁾ for each of the m samples
    m = len(residual)
    J = residual @ residual / (2 * m)
    return J, np.concatenate(([residual.sum()], residual @ X)) / m


def hessian(X: np.ndarray) -> np.ndarray:
    """The Hessian of ``J``, ``[1 x]ᵀ[1 x] / m``: shape (d + 1, d + 1). Constant, because ``J`` is quadratic."""
    X = as_features(X)
    if len(X) == 0:
        raise ValueError("X holds no samples: the Hessian averages over at least one")
    design = np.hstack([np.ones((len(X), 1)), X])
    return design.T @ design / len(X)


def hessian_eigenvalues(x: np.ndarray) -> tuple[float, float]:
    """(λmin, λmax) of the Hessian of ``J`` for one feature ``x`` (m,), in closed form (homework 03 derives it).

    With the inputs' mean ``c`` and biased variance ``σ²`` the Hessian is ``[[1, c], [c, c² + σ²]]``. λmax comes from
    its trace and a root written as a product (no difference of nearly equal numbers), and λmin = det / λmax = σ² /
    λmax: accurate for any offset, where ``numpy.linalg.eigvalsh`` of the matrix loses λmin once κ passes ~10¹⁶.
    """
    x = check_array("x", x, ndim=(1,)).astype(np.float64)
    if len(x) == 0:
        raise ValueError("x holds no samples: the Hessian averages over at least one")
    mean = float(x.mean())
    variance = float(np.mean((x - mean) ** 2))
    std = np.sqrt(variance)
    root = np.sqrt((mean * mean + (1.0 - std) ** 2) * (mean * mean + (1.0 + std) ** 2))
    largest = float((1.0 + mean * mean + variance + root) / 2)
    return variance / largest, largest


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The θ that minimizes ``J`` (solved directly, for drawing the optimum): shape (d + 1,)."""
    X = as_features(X)
    if len(X) == 0:
        raise ValueError("X holds no samples: least squares needs at least one")
    design = np.hstack([np.ones((len(X), 1)), X])
    return np.linalg.lstsq(design, _targets(y, X), rcond=None)[0]


def _targets(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    y = check_array("y", y, ndim=(1,))
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}: expected one target per sample")
    return y


def gradient_noise(X: np.ndarray, y: np.ndarray, theta: np.ndarray, batch_sizes: list[int], *,
                   epochs: int = 20, seed: SeedLike = 0) -> np.ndarray:
    """How far mini-batch gradients stray from the full gradient: the root mean square of ``|g_batch - g_full|``.

    Measured over ``epochs`` shuffled epochs without replacement (full batches only) at a fixed ``theta``.
    Theory: it falls like ``1/√b``, times the finite-population correction ``√((n - b)/(n - 1))``.

    Returns
    -------
    numpy.ndarray, shape (len(batch_sizes),)
    """
    X = as_features(X)
    y = _targets(np.asarray(y, dtype=np.float64), X)
    theta = check_theta(np.asarray(theta, dtype=np.float64), X)
    design = np.hstack([np.ones((len(X), 1)), X])
    per_sample = (design @ theta - y)[:, None] * design  # each sample's own gradient, shape (n, d + 1)
    full = per_sample.mean(axis=0)
    noise = []
    for b in batch_sizes:  # a loop over the few batch sizes asked for
        deviations = [per_sample[np.concatenate(batches)].reshape(len(batches), b, -1).mean(axis=1) - full
                      for batches in iter_epochs(len(X), b, epochs, drop_last=True, seed=seed)]
        noise.append(np.sqrt(np.mean(np.sum(np.concatenate(deviations) ** 2, axis=1))))
    return np.array(noise)
