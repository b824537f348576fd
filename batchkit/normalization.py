"""Normalizing over chosen axes, lesson 07: one forward and one backward for batch, layer, group and instance norm.

Every normalization of lesson 07 does the same three things to the values that share a statistic::

    μ  = mean over the reduced axes                 x̂ = (x - μ) / √(σ² + ε)
    σ² = biased variance over the reduced axes      out = γ x̂ + β

They differ only in **which axes they reduce over**. For images, x of shape (N, C, H, W):

    ============  ===========================  ====================================  ======================
    method        reduced axes                 one (μ, σ²) for                       values per statistic
    ============  ===========================  ====================================  ======================
    BatchNorm2d   N, H, W                      each channel, over the whole batch    N·H·W
    LayerNorm     C, H, W                      each sample                           C·H·W
    GroupNorm     C/G, H, W of (N, G, C/G, …)  each sample and group of C/G channels (C/G)·H·W
    InstanceNorm  H, W                         each sample and channel (GroupNorm G = C)  H·W
    ============  ===========================  ====================================  ======================

Only BatchNorm2d reduces over N, so only its output for one sample depends on the other samples in the batch.

The backward pass is lesson 05's simplified formula with its sums taken over the reduced axes (M values each)::

    dx = (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) / √(σ² + ε)        means over the reduced axes, dx̂ = γ · dout

For batch norm on (N, D) features, where γ has one entry per reduced column, ``mean(dx̂) = γ dβ / N`` and
``mean(dx̂ x̂) = γ dγ / N``, which gives back :func:`batchkit.batchnorm.batchnorm_backward` exactly.
The layers built on this core are in :mod:`batchkit.norm_layers`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_array, check_choice, check_positive_int, check_real

EPS = 1e-5  # PyTorch's default
METHODS = ("batch", "layer", "instance", "group")


@dataclass
class NormalizeCache:
    """What :func:`normalize_backward` needs from :func:`normalize_forward`.

    Attributes
    ----------
    x_hat : numpy.ndarray, the shape of x
    mean, var : numpy.ndarray
        μ and the biased σ², with size 1 on the reduced axes (they broadcast against x).
    inv_std : numpy.ndarray
        ``1 / √(σ² + ε)``, the shape of ``var``.
    axes : tuple of int
        The reduced axes.
    """

    x_hat: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    axes: tuple[int, ...]


def check_axes(axes: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    """Validate reduction axes for an array of ``ndim`` dimensions; return them as non-negative ints, sorted."""
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        axes = (int(axes),)
    if not isinstance(axes, (tuple, list)) or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"axes must be a tuple of ints, got {axes!r}")
    if not all(-ndim <= a < ndim for a in axes):
        raise ValueError(f"axes={axes!r} names an axis that x (ndim {ndim}) does not have: each must be in "
                         f"[{-ndim}, {ndim - 1}]")
    normalized = tuple(sorted(int(a) % ndim for a in axes))
    if not axes or len(set(normalized)) != len(normalized):
        raise ValueError(f"axes must name one or more distinct axes of x (ndim {ndim}), got {axes!r}")
    return normalized


def mean_and_variance(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance over ``axes``, kept as size-1 axes so they broadcast against x.

    Two passes (subtract the mean, then average the squares) with float64 accumulators: lesson 03's accurate
    statistics, in float32 too. Returned in x's dtype (float64 for integer x).
    """
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float64)
    var = np.square(x - mean).mean(axis=axes, keepdims=True)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64  # integer data has a fractional mean
    return mean.astype(dtype, copy=False), var.astype(dtype, copy=False)


def normalize_forward(x: np.ndarray, axes: tuple[int, ...], eps: float = EPS) -> tuple[np.ndarray, NormalizeCache]:
    """``x̂ = (x - μ) / √(σ² + ε)`` with μ, σ² taken over ``axes``: the core of every normalization layer.

    Parameters
    ----------
    x : numpy.ndarray, any shape
    axes : tuple of int
        The axes to reduce over: (0,) for batch norm on (N, D); (0, 2, 3) for BatchNorm2d on (N, C, H, W);
        (1, 2, 3) for LayerNorm on (N, C, H, W).
    eps : float, > 0

    Returns
    -------
    x_hat : numpy.ndarray, the shape of x
    cache : NormalizeCache
    """
    x = check_array("x", x, ndim=tuple(range(1, 9)))
    axes = check_axes(axes, x.ndim)
    check_real("eps", eps, low=0.0)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    mean, var = mean_and_variance(x, axes)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return x_hat, NormalizeCache(x_hat, mean, var, inv_std, axes)


def normalize_backward(dx_hat: np.ndarray, cache: NormalizeCache) -> np.ndarray:
    """Gradient through ``x̂ = (x - μ) / √(σ² + ε)``: lesson 05's simplified backward, over any axes.

    Parameters
    ----------
    dx_hat : numpy.ndarray, the shape of x
        ∂L/∂x̂ (for a layer with scale γ, ``γ · dout``).
    cache : NormalizeCache
        From :func:`normalize_forward`.

    Returns
    -------
    dx : numpy.ndarray, the shape of x
    """
    dx_hat = check_array("dx_hat", dx_hat, ndim=(cache.x_hat.ndim,))
    if dx_hat.shape != cache.x_hat.shape:
        raise ValueError(f"dx_hat has shape {dx_hat.shape}: expected {cache.x_hat.shape}, the shape of x")
    x_hat, axes = cache.x_hat, cache.axes
    # μ and σ² depend on every value they were computed from, hence the two mean terms: the first removes the part of
    # the gradient that would shift the mean, the second the part that would change the spread.
    mean_dx_hat = dx_hat.mean(axis=axes, keepdims=True)
    mean_dx_hat_x_hat = (dx_hat * x_hat).mean(axis=axes, keepdims=True)
    return (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat) * cache.inv_std


def statistic_labels(method: str, shape: tuple[int, int, int], groups: int = 1) -> np.ndarray:
    """Which values share a mean and variance: an integer label for every entry of an (N, C, H·W) array.

    Two entries have the same label exactly when ``method`` normalizes them with the same μ and σ². This is the
    cube picture of Wu & He (2018, Figure 2) as an array; lesson 07 draws it.

    Parameters
    ----------
    method : {"batch", "layer", "instance", "group"}
    shape : (N, C, HW)
    groups : int
        G for "group"; C must be divisible by G.

    Returns
    -------
    labels : numpy.ndarray of int, shape (N, C, HW)
    """
    check_choice("method", method, METHODS)
    if np.shape(shape) != (3,):
        raise ValueError(f"shape must be (N, C, HW), got {shape!r}")
    n, c, hw = (check_positive_int(f"shape[{k}]", v) for k, v in enumerate(shape))
    sample = np.arange(n)[:, None, None]
    channel = np.arange(c)[None, :, None]
    if method == "batch":
        labels = channel  # one statistic per channel, shared by all samples
    elif method == "layer":
        labels = sample  # one per sample
    elif method == "instance":
        labels = sample * c + channel  # one per sample and channel
    else:
        groups = check_groups(groups, c)
        labels = sample * groups + channel // (c // groups)  # one per sample and group of C/G channels
    return np.broadcast_to(labels, (n, c, hw)).copy()


def check_groups(num_groups: int, num_channels: int) -> int:
    """Validate GroupNorm's G against C: a positive int that divides C."""
    num_groups = check_positive_int("num_groups", num_groups)
    if num_channels % num_groups:
        raise ValueError(f"num_groups={num_groups} does not divide num_channels={num_channels}: every group must "
                         f"hold the same number of channels (try a divisor of {num_channels})")
    return num_groups
