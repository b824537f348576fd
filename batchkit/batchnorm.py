"""Batch normalization (배치 정규화): forward and backward as functions, and a layer with PyTorch's conventions.

For a batch ``x`` of shape (N, D), every feature is normalized with its own batch statistics, then scaled and
shifted by learned parameters::

    μ = mean of x over the batch            (D,)     lesson 03's careful statistics
    σ² = biased variance over the batch      (D,)     (divides by N)
    x̂ = (x - μ) / √(σ² + ε)                (N, D)   each feature: batch mean 0, variance about 1
    out = γ x̂ + β                           (N, D)   γ, β of shape (D,)

Backward, with ``dx̂ = dout · γ`` (the simplified form derived in lesson 05)::

    dβ = Σ_i dout_i        dγ = Σ_i dout_i x̂_i
    dx = γ / (N √(σ² + ε)) · (N dout - dβ - x̂ dγ)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._validation import check_array

EPS = 1e-5  # PyTorch's default


#: Rows per block are chosen so that one block of an array is about this many bytes: small enough that a block just
#: written is read back from the processor's cache, not from main memory, and large enough that numpy's fixed cost
#: per call stays small. 512 kB was the fastest of 128 kB to 768 kB in benchmarks/bench_batchnorm.py (1 MB L2 here).
BLOCK_BYTES = 512 * 1024


class RowBlocks:
    """Consecutive row slices of an (N, D) array, each about :data:`BLOCK_BYTES` large, with block-sized helpers.

    Batch normalization's element-wise work runs block by block (a loop over blocks of rows for cache locality,
    not over samples): every block is reduced while it is still in cache.

    Parameters
    ----------
    shape : tuple of int
        (N, D) of the arrays to walk through.
    dtype : numpy.dtype
        Their floating dtype.
    block_bytes : int
        About how large one block is (:data:`BLOCK_BYTES`).
    """

    def __init__(self, shape: tuple[int, int], dtype: np.dtype, block_bytes: int) -> None:
        n, features = shape
        self.rows = min(n, max(1, block_bytes // max(1, features * np.dtype(dtype).itemsize)))
        self.slices = tuple(slice(start, min(start + self.rows, n)) for start in range(0, n, self.rows))
        self.features, self.dtype = features, dtype
        self._ones = np.ones(self.rows, dtype=dtype)
        self._ones.flags.writeable = False  # shared by every call with the same shape (see row_blocks)

    def column_sums(self, block: np.ndarray) -> np.ndarray:
        """Sums over the rows of ``block`` (M, D) -> (D,), as the matrix-vector product ``ones @ block`` (BLAS)."""
        return self._ones[: len(block)] @ block

    def tile(self, vector: np.ndarray) -> np.ndarray:
        """``vector`` (D,) written out on every row of a block: shape (rows, D), or (1, D) if there is one block.

        Why: numpy's loop over two arrays of the same shape runs about 1.5 times as fast as its broadcasting loop
        (``block * tile`` vs ``block * vector``; benchmarks/bench_batchnorm.py prints the ratio), and a tile is
        written once per call but used for every block.
        """
        if len(self.slices) == 1:  # used once: writing the tile would cost more than it saves
            return np.asarray(vector, dtype=self.dtype).reshape(1, self.features)
        tile = np.empty((self.rows, self.features), dtype=self.dtype)
        np.copyto(tile, vector, casting="same_kind")
        return tile


def row_blocks(shape: tuple[int, int], dtype: np.dtype) -> RowBlocks:
    """The :class:`RowBlocks` of ``shape`` for the current :data:`BLOCK_BYTES`, made once and shared (read-only).

    A training loop asks for the same blocks on every step, so they are cached per shape, dtype and block size.
    """
    return _cached_row_blocks(shape, np.dtype(dtype), BLOCK_BYTES)


@lru_cache(maxsize=32)
def _cached_row_blocks(shape: tuple[int, int], dtype: np.dtype, block_bytes: int) -> RowBlocks:
    return RowBlocks(shape, dtype, block_bytes)


@dataclass
class BatchNormCache:
    """What the backward pass needs from the forward pass.

    Attributes
    ----------
    centered : numpy.ndarray, shape (N, D)
        ``c = x - μ0``, the input shifted by a first estimate ``μ0`` of the mean; the exact mean is ``μ0 + mean(c)``.
    correction : numpy.ndarray, shape (D,)
        ``mean(c)``, small.
    inv_std : numpy.ndarray, shape (D,)
        ``1 / √(σ² + ε)``.
    gamma : numpy.ndarray, shape (D,)
    """

    centered: np.ndarray
    correction: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray

    @property
    def x_hat(self) -> np.ndarray:
        """The normalized input ``(x - μ) / √(σ² + ε)``, shape (N, D) (computed on request)."""
        return (self.centered - self.correction) * self.inv_std


def _check_bn_inputs(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = check_array("x", x, ndim=(2,))
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


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = EPS, *,
                      out: np.ndarray | None = None, centered: np.ndarray | None = None,
                      ) -> tuple[np.ndarray, BatchNormCache, np.ndarray, np.ndarray]:
    """Training-mode batch normalization with the batch's own statistics.

    The statistics are lesson 03's careful ones, arranged to read ``x`` once: shift by ``μ0``, the mean of the
    first block of rows, then the corrected two-pass formulas ``μ = μ0 + mean(c)`` and
    ``σ² = mean(c²) - mean(c)²`` with ``c = x - μ0``, the block sums accumulated in float64.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D), N >= 2
    gamma, beta : numpy.ndarray, shape (D,)
    eps : float
    out, centered : numpy.ndarray, shape (N, D), optional
        Buffers to write the output and the cached centered input into, instead of new arrays. Reusing them across
        calls saves allocating (and page-faulting) two large arrays per call; see :class:`BatchNorm1d`.

    Returns
    -------
    out : numpy.ndarray, shape (N, D)
    cache : BatchNormCache
        For :func:`batchnorm_backward`.
    mean, var : numpy.ndarray, shape (D,)
        The batch mean and the *biased* batch variance used for normalizing.
    """
    x, gamma, beta = _check_bn_inputs(x, gamma, beta)
    n, dtype = x.shape[0], x.dtype
    blocks = row_blocks(x.shape, dtype)
    first = x[blocks.slices[0]]
    first_mean = blocks.column_sums(first) / len(first)  # close enough to μ to make c = x - μ0 small
    centered = np.empty_like(x) if centered is None else centered
    sum_c = np.zeros(x.shape[1])  # float64 accumulators across blocks
    sum_c2 = np.zeros(x.shape[1])
    tile = blocks.tile(first_mean)
    for rows in blocks.slices:
        block = np.subtract(x[rows], tile[: rows.stop - rows.start], out=centered[rows])
        sum_c += blocks.column_sums(block)  # the block is still in cache
        sum_c2 += np.einsum("ij,ij->j", block, block)
    correction = sum_c / n
    var = np.maximum(sum_c2 / n - correction**2, 0.0)
    inv_std = 1.0 / np.sqrt(var + eps)
    # out = γ x̂ + β = c · γ/σ + (β - mean(c) · γ/σ): one multiply and one add per element
    scale, shift = blocks.tile(gamma * inv_std), blocks.tile(beta - correction * gamma * inv_std)
    out = np.empty_like(x) if out is None else out
    for rows in blocks.slices:
        block = np.multiply(centered[rows], scale[: rows.stop - rows.start], out=out[rows])
        block += shift[: len(block)]
    cache = BatchNormCache(centered=centered, correction=correction.astype(dtype), inv_std=inv_std.astype(dtype),
                           gamma=gamma)
    return out, cache, (first_mean + correction).astype(dtype), var.astype(dtype)


def batchnorm_backward(dout: np.ndarray, cache: BatchNormCache, *,
                       dx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of training-mode batch normalization.

    With ``x̂ = (c - mean(c)) / σ`` this is the simplified formula ``dx = γ/(Nσ) (N dout - dβ - x̂ dγ)``, expanded
    to ``dx = a·dout + b·c + k`` with per-feature vectors ``a, b, k``, so that no (N, D) temporary is needed
    beyond one cache-sized block.

    Parameters
    ----------
    dout : numpy.ndarray, shape (N, D)
        Upstream gradient.
    cache : BatchNormCache
        From :func:`batchnorm_forward`.
    dx : numpy.ndarray, shape (N, D), optional
        Buffer for the result (see :class:`BatchNorm1d`).

    Returns
    -------
    dx : numpy.ndarray, shape (N, D)
    dgamma, dbeta : numpy.ndarray, shape (D,)
    """
    dout = check_array("dout", dout, ndim=(2,))
    centered = cache.centered
    if dout.shape != centered.shape:
        raise ValueError(f"dout has shape {dout.shape}: expected {centered.shape}, the shape of the forward output")
    n, dtype = dout.shape[0], centered.dtype
    blocks = row_blocks(dout.shape, dtype)
    dbeta = np.zeros(dout.shape[1])  # float64 accumulators across blocks
    dout_dot_c = np.zeros(dout.shape[1])
    for rows in blocks.slices:
        dbeta += blocks.column_sums(dout[rows])
        dout_dot_c += np.einsum("ij,ij->j", dout[rows], centered[rows])
    inv_std, gamma, correction = cache.inv_std, cache.gamma, cache.correction
    dgamma = inv_std * (dout_dot_c - correction * dbeta)  # Σ dout · x̂
    a = gamma * inv_std
    b = -a * inv_std * dgamma / n
    k = -a / n * dbeta - b * correction
    a, b, k = blocks.tile(a), blocks.tile(b), blocks.tile(k)
    dx = np.empty_like(centered) if dx is None else dx
    scratch = np.empty((blocks.rows, dout.shape[1]), dtype=dtype)
    for rows in blocks.slices:
        m = rows.stop - rows.start
        block = np.multiply(dout[rows], a[:m], out=dx[rows])
        block += np.multiply(centered[rows], b[:m], out=scratch[:m])
        block += k[:m]
    return dx, dgamma.astype(dtype), dbeta.astype(dtype)


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
    reuse_buffers : bool
        Write the output, the cache and the input gradient into arrays kept from the previous call of the same
        shape, instead of allocating new ones (faster for large batches). The price: an output or gradient
        returned earlier is overwritten by the next call, so copy it if you keep it.

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

    def __init__(self, num_features: int, eps: float = EPS, momentum: float = 0.1, dtype=np.float64,
                 reuse_buffers: bool = False) -> None:
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be between 0 and 1 (the weight of the new batch), got {momentum}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        self.gamma = np.ones(num_features, dtype=dtype)
        self.beta = np.zeros(num_features, dtype=dtype)
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self.training = True
        self.reuse_buffers = bool(reuse_buffers)
        self._cache: BatchNormCache | None = None
        self._buffers: dict[str, np.ndarray] = {}

    def train(self) -> BatchNorm1d:
        self.training = True
        return self

    def eval(self) -> BatchNorm1d:
        self.training = False
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalize ``x`` of shape (N, D): with batch statistics in train mode, running ones in eval mode."""
        if not self.training:
            x = check_array("x", x, ndim=(2,))
            if x.shape[1] != self.num_features:
                raise ValueError(f"x has {x.shape[1]} features but this layer normalizes {self.num_features}")
            # Eval mode: fixed statistics, so each sample's output depends on that sample alone (any batch size).
            return (x - self.running_mean) / np.sqrt(self.running_var + self.eps) * self.gamma + self.beta
        out, self._cache, mean, var = batchnorm_forward(x, self.gamma, self.beta, self.eps,
                                                        out=self._buffer("out", x), centered=self._buffer("centered", x))
        n = x.shape[0]
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * (n / (n - 1))
        return out

    __call__ = forward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradient with respect to the input of the last training forward; sets ``dgamma`` and ``dbeta``."""
        if self._cache is None:
            raise RuntimeError("backward needs a forward pass in train mode first")
        dx, self.dgamma, self.dbeta = batchnorm_backward(dout, self._cache, dx=self._buffer("dx", dout))
        return dx

    def _buffer(self, name: str, like: np.ndarray) -> np.ndarray | None:
        """A kept array of ``like``'s shape and floating dtype, or None when buffers are not reused."""
        if not self.reuse_buffers:
            return None
        dtype = like.dtype if np.issubdtype(like.dtype, np.floating) else np.float64
        kept = self._buffers.get(name)
        if kept is None or kept.shape != like.shape or kept.dtype != dtype:
            kept = self._buffers[name] = np.empty(like.shape, dtype=dtype)
        return kept

    def __repr__(self) -> str:
        mode = "train" if self.training else "eval"
        return f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}, mode={mode})"
