"""Batch normalization tuned for speed with numpy alone: the "tuned numpy" contestant of bench_batchnorm.py.

This was batchkit's implementation until the package switched to the readable formulas that lesson 05 teaches
(``batchkit.batchnorm``). It computes the same numbers (tests/test_tuned_batchnorm.py checks it against batchkit), but
arranged for speed:

* the statistics read ``x`` once: shift by ``μ0``, the mean of the first block of rows, then the corrected two-pass
  formulas ``μ = μ0 + mean(c)``, ``σ² = mean(c²) - mean(c)²`` with ``c = x - μ0``, block sums added in float64;
* the element-wise work runs block by block (about :data:`BLOCK_BYTES` each), while each block is still in cache;
* per-feature vectors are written out as block-sized tiles (numpy's same-shape loop beats its broadcasting loop);
* output, cache and gradient can be written into buffers kept across calls (``out=``, ``centered=``, ``dx=``).

None of this belongs in code that teaches: it lives here, next to the benchmark that measures what it buys.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from batchkit.batchnorm import EPS, check_bn_inputs


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
class TunedCache:
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


def tuned_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = EPS, *,
                      out: np.ndarray | None = None, centered: np.ndarray | None = None,
                      ) -> tuple[np.ndarray, TunedCache, np.ndarray, np.ndarray]:
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
        calls saves allocating (and page-faulting) two large arrays per call; reused across calls by a training loop.

    Returns
    -------
    out : numpy.ndarray, shape (N, D)
    cache : TunedCache
        For :func:`tuned_backward`.
    mean, var : numpy.ndarray, shape (D,)
        The batch mean and the *biased* batch variance used for normalizing.
    """
    x, gamma, beta = check_bn_inputs(x, gamma, beta, eps)
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
    cache = TunedCache(centered=centered, correction=correction.astype(dtype), inv_std=inv_std.astype(dtype),
                           gamma=gamma)
    return out, cache, (first_mean + correction).astype(dtype), var.astype(dtype)


def tuned_backward(dout: np.ndarray, cache: TunedCache, *,
                       dx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of training-mode batch normalization.

    With ``x̂ = (c - mean(c)) / σ`` this is the simplified formula ``dx = γ/(Nσ) (N dout - dβ - x̂ dγ)``, expanded
    to ``dx = a·dout + b·c + k`` with per-feature vectors ``a, b, k``, so that no (N, D) temporary is needed
    beyond one cache-sized block.

    Parameters
    ----------
    dout : numpy.ndarray, shape (N, D)
        Upstream gradient.
    cache : TunedCache
        From :func:`tuned_forward`.
    dx : numpy.ndarray, shape (N, D), optional
        Buffer for the result (reused across calls by a training loop).

    Returns
    -------
    dx : numpy.ndarray, shape (N, D)
    dgamma, dbeta : numpy.ndarray, shape (D,)
    """
    centered = cache.centered
    if np.shape(dout) != centered.shape:
        raise ValueError(f"dout has shape {np.shape(dout)}: expected {centered.shape}, the shape of the forward output")
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
