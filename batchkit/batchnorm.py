"""Batch normalization (배치 정규화), lesson 05: forward and backward as functions, and a layer with PyTorch's conventions.

For a batch ``x`` of shape (N, D), every feature is normalized with its own batch statistics, then scaled and
shifted by learned parameters::

    μ = mean of x over the batch            (D,)     lesson 03's careful statistics
    σ² = biased variance over the batch      (D,)     (divides by N)
    x̂ = (x - μ) / √(σ² + ε)                (N, D)   each feature: batch mean 0, variance about 1
    out = γ x̂ + β                           (N, D)   γ, β of shape (D,)

Backward, with ``dx̂ = dout · γ`` (the simplified form derived in lesson 05)::

    dβ = Σ_i dout_i        dγ = Σ_i dout_i x̂_i
    dx = γ / (N √(σ² + ε)) · (N dout - dβ - x̂ dγ)

These are the readable formulas, one numpy line each. A version tuned for speed (cache-sized blocks, reused buffers)
computes the same numbers in ``benchmarks/tuned_batchnorm.py``, where ``bench_batchnorm.py`` measures what it buys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_array, check_positive_int, check_real
from .statistics import batch_mean_var

EPS = 1e-5  # PyTorch's default


@dataclass
class BatchNormCache:
    """What the backward pass needs from the forward pass.

    Attributes
    ----------
    x_hat : numpy.ndarray, shape (N, D)
        The normalized input ``(x - μ) / √(σ² + ε)``.
    inv_std : numpy.ndarray, shape (D,)
        ``1 / √(σ² + ε)``.
    gamma : numpy.ndarray, shape (D,)
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray


def check_bn_inputs(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                    eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a training-mode batch norm call; return ``x`` as floats and ``gamma``, ``beta`` in its dtype."""
    x = check_array("x", x, ndim=(2,))
    check_real("eps", eps, low=0.0)
    features = x.shape[1]
    for name, value in (("gamma", gamma), ("beta", beta)):
        if np.shape(value) != (features,):
            raise ValueError(f"{name} has shape {np.shape(value)} but x has {features} features: expected ({features},)")
    if x.shape[0] < 2:
        raise ValueError(
            f"batch normalization in training mode needs more than 1 sample per batch, got x of shape {x.shape}: "
            f"a batch of one has variance 0 and normalizes to all zeros (PyTorch raises here too)"
        )
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x, np.asarray(gamma, dtype=x.dtype), np.asarray(beta, dtype=x.dtype)


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      eps: float = EPS) -> tuple[np.ndarray, BatchNormCache, np.ndarray, np.ndarray]:
    """Training-mode batch normalization with the batch's own statistics.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D), N >= 2
    gamma, beta : numpy.ndarray, shape (D,)
    eps : float, > 0

    Returns
    -------
    out : numpy.ndarray, shape (N, D)
    cache : BatchNormCache
        For :func:`batchnorm_backward`.
    mean, var : numpy.ndarray, shape (D,)
        The batch mean and the *biased* batch variance used for normalizing.
    """
    x, gamma, beta = check_bn_inputs(x, gamma, beta, eps)
    mean, var = batch_mean_var(x)  # lesson 03: accurate even in float32 with a large offset
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma * x_hat + beta
    return out, BatchNormCache(x_hat, inv_std, gamma), mean, var


def batchnorm_backward(dout: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of training-mode batch normalization, by the simplified formula derived in lesson 05.

    Parameters
    ----------
    dout : numpy.ndarray, shape (N, D)
        Upstream gradient.
    cache : BatchNormCache
        From :func:`batchnorm_forward`.

    Returns
    -------
    dx : numpy.ndarray, shape (N, D)
    dgamma, dbeta : numpy.ndarray, shape (D,)
    """
    dout = check_dout(dout, cache)
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * cache.x_hat).sum(axis=0)
    # dx = γ/(Nσ) · (N dout - dβ - x̂ dγ), built up in one (N, D) array: written as one expression, numpy would
    # allocate five arrays of the batch's size, which costs more than the arithmetic for a large batch.
    dx = cache.x_hat * dgamma  # x̂ dγ
    dx += dbeta  # dβ + x̂ dγ
    dx /= -n  # -(dβ + x̂ dγ) / N
    dx += dout  # dout - (dβ + x̂ dγ) / N
    dx *= cache.gamma * cache.inv_std  # γ/σ · (dout - (dβ + x̂ dγ) / N)
    return dx, dgamma, dbeta


def check_dout(dout: np.ndarray, cache: BatchNormCache) -> np.ndarray:
    """Validate the upstream gradient of :func:`batchnorm_backward`: same shape as the forward output."""
    dout = check_array("dout", dout, ndim=(2,))
    if dout.shape != cache.x_hat.shape:
        raise ValueError(f"dout has shape {dout.shape}: expected {cache.x_hat.shape}, the shape of the forward output")
    return dout


def batchnorm_backward_from_graph(dout: np.ndarray, x: np.ndarray, gamma: np.ndarray,
                                  eps: float = EPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same gradients by the chain rule, one node of the computation graph at a time (the derivation's route).

    Slower and kept for lesson 05, which derives the simplified formula of :func:`batchnorm_backward` from it.
    """
    n = x.shape[0]
    mu = x.mean(axis=0)
    xmu = x - mu
    var = (xmu**2).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xmu * inv_std
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xmu, axis=0) * -0.5 * inv_std**3
    dmu = np.sum(-dx_hat * inv_std, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dx_hat * inv_std + dvar * 2.0 * xmu / n + dmu / n
    return dx, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


class BatchNorm1d:
    """A batch normalization layer with PyTorch's ``nn.BatchNorm1d`` conventions.

    Parameters
    ----------
    num_features : int
        D, the number of features (columns of the input).
    eps : float
        Added to the variance, 1e-5 as in PyTorch.
    momentum : float
        Weight of the **new** batch in the running averages, 0.1 as in PyTorch:
        ``running = (1 - momentum) · running + momentum · batch``. (cs231n and "Deep Learning from Scratch" call
        0.9, the weight of the *old* value, the momentum; the update is the same.)
    dtype : numpy dtype
        Floating dtype of the parameters and running statistics (float64 by default).

    Attributes
    ----------
    gamma, beta : numpy.ndarray, shape (D,)
        Learned scale (ones) and shift (zeros).
    running_mean : numpy.ndarray, shape (D,)
        Starts at zeros.
    running_var : numpy.ndarray, shape (D,)
        Starts at ones. Stores the **unbiased** batch variance (divided by N - 1), as PyTorch does, while training
        normalizes with the biased one.
    training : bool
        Train mode (batch statistics, running averages updated) or eval mode (running averages used).
    """

    def __init__(self, num_features: int, eps: float = EPS, momentum: float = 0.1, dtype=np.float64) -> None:
        num_features = check_positive_int("num_features", num_features)
        eps = check_real("eps", eps, low=0.0)
        momentum = check_real("momentum", momentum, low=0.0, high=1.0, low_inclusive=True)
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"dtype must be a floating dtype such as numpy.float32 or numpy.float64, got {dtype!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = np.ones(num_features, dtype=dtype)
        self.beta = np.zeros(num_features, dtype=dtype)
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self.training = True
        self._cache: BatchNormCache | None = None

    def train(self) -> BatchNorm1d:
        self.training = True
        return self

    def eval(self) -> BatchNorm1d:
        self.training = False
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalize ``x`` of shape (N, D): with batch statistics in train mode, running ones in eval mode."""
        x = check_array("x", x, ndim=(2,))
        if x.shape[1] != self.num_features:
            raise ValueError(f"x has {x.shape[1]} features but this layer normalizes {self.num_features}")
        if not self.training:
            # Eval mode: fixed statistics, so each sample's output depends on that sample alone (any batch size).
            return (x - self.running_mean) / np.sqrt(self.running_var + self.eps) * self.gamma + self.beta
        if not np.all(np.isfinite(x)):  # checked before the running statistics are touched
            raise ValueError("x holds NaN or infinite values: the batch statistics, and the running averages they "
                             "update, would become NaN; check the data (or the layer before) for non-finite values")
        out, cache, mean, var = batchnorm_forward(x, self.gamma, self.beta, self.eps)
        n = x.shape[0]
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * (n / (n - 1))
        self._cache = cache
        return out

    __call__ = forward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradient with respect to the input of the last training forward; sets ``dgamma`` and ``dbeta``."""
        if self._cache is None:
            raise RuntimeError("backward needs a forward pass in train mode first")
        dx, self.dgamma, self.dbeta = batchnorm_backward(dout, self._cache)
        return dx

    def __repr__(self) -> str:
        mode = "train" if self.training else "eval"
        return f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}, mode={mode})"
