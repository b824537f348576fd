"""Synchronized batch normalization: every worker normalizes with the statistics of the whole global batch.

With plain (local) :class:`~batchkit.batchnorm.BatchNorm1d`, each of ``k`` workers normalizes its ``b`` samples
with their own mean and variance: the network computes something else than on the global batch of ``k·b`` (and a
per-worker batch of 1 cannot be normalized at all). :class:`SyncBatchNorm` sums across workers instead, so its
forward and backward are exactly lesson 05's formulas over the global batch of ``N = Σ_r N_r`` samples::

    forward   all-reduce (Σx, N_r) → μ = Σx / N          then  all-reduce Σ(x - μ)² → σ² = Σ(x - μ)² / N
    backward  all-reduce (Σdout, Σdout·x̂) = (dβ, dγ)     then  dx = γ/σ · (dout - (dβ + x̂ dγ) / N)

**Why two all-reduces in the forward, and not one of (Σx, Σx², N)?** ``σ² = Σx²/N - μ²`` subtracts two large,
nearly equal numbers when ``|μ| ≫ σ``: lesson 03's catastrophic cancellation, which float64 only postpones (with
``|μ|/σ = 10⁴`` it already loses 8 of float64's 16 digits). Agreeing on ``μ`` first and then summing squared
deviations from it is the centered formula, accurate whatever the offset; the price is a second message of ``D``
numbers per layer. All sums are taken and sent in float64, whatever the dtype of ``x``.

The running statistics are updated with the global mean and the **unbiased** global variance ``σ² N / (N - 1)``,
as PyTorch's ``nn.SyncBatchNorm`` does; they are then the same on every rank. ``dgamma`` and ``dbeta`` are left
as this worker's share (``Σ`` over its own samples), because data-parallel training all-reduces every parameter's
gradient afterwards; storing the global sums would count them ``k`` times.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array
from ..batchnorm import EPS, BatchNorm1d, BatchNormCache, check_dout
from .communicator import Communicator


def global_mean_var(communicator: Communicator, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean and biased variance of every feature over all ranks' rows of ``x``, in float64 (two all-reduces).

    Parameters
    ----------
    communicator : Communicator
    x : numpy.ndarray, shape (N_r, D), finite; N_r may differ between ranks

    Returns
    -------
    mean, var : numpy.ndarray of float64, shape (D,)
    count : int
        ``N``, the rows of all ranks together.
    """
    local = np.asarray(x, dtype=np.float64)
    # One message: the sums, this rank's row count, and its count of non-finite values. A rank that found a NaN
    # must not raise alone: the others would wait in the next all-reduce forever. Summed, every rank knows.
    message = np.concatenate([local.sum(axis=0), [len(local), np.count_nonzero(~np.isfinite(local))]])
    totals = communicator.all_reduce_sum(message)
    count, nonfinite = int(totals[-2]), int(totals[-1])
    if nonfinite:
        raise ValueError(f"the global batch holds {nonfinite} NaN or infinite value(s) (on some rank): the batch "
                         f"statistics, and the running averages they update, would become NaN")
    if count < 2:
        raise ValueError(f"synchronized batch normalization needs more than 1 sample in the global batch, got {count}")
    mean = totals[:-2] / count
    var = communicator.all_reduce_sum(((local - mean) ** 2).sum(axis=0)) / count
    return mean, var, count


class SyncBatchNorm(BatchNorm1d):
    """:class:`~batchkit.batchnorm.BatchNorm1d` whose training-mode statistics come from all ranks.

    Eval mode is inherited unchanged (running statistics, no communication). Every rank must call ``forward`` and
    ``backward`` in the same order, as with any collective.

    Parameters
    ----------
    num_features : int
    communicator : Communicator
        :class:`~batchkit.distributed.communicator.TorchCommunicator` between processes, or a
        :class:`~batchkit.distributed.communicator.SimulatedCommunicator` between threads.
    eps, momentum, dtype
        As for :class:`~batchkit.batchnorm.BatchNorm1d`.
    """

    def __init__(self, num_features: int, communicator: Communicator, eps: float = EPS, momentum: float = 0.1,
                 dtype=np.float64) -> None:
        super().__init__(num_features, eps=eps, momentum=momentum, dtype=dtype)
        if not isinstance(communicator, Communicator):
            raise TypeError(f"communicator must be a batchkit.distributed Communicator, got {type(communicator).__name__}")
        self.communicator = communicator
        self.global_count: int | None = None

    @classmethod
    def from_batchnorm(cls, layer: BatchNorm1d, communicator: Communicator) -> SyncBatchNorm:
        """A synchronized copy of ``layer``: the same γ, β, running statistics, eps, momentum and mode."""
        sync = cls(layer.num_features, communicator, eps=layer.eps, momentum=layer.momentum, dtype=layer.gamma.dtype)
        for name in ("gamma", "beta", "running_mean", "running_var"):
            setattr(sync, name, getattr(layer, name).copy())
        sync.training = layer.training
        return sync

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalize this rank's ``x`` of shape (N_r, D) with the global batch's statistics (train mode)."""
        if not self.training:
            return super().forward(x)
        x = check_array("x", x, ndim=(2,))
        if x.shape[1] != self.num_features:
            raise ValueError(f"x has {x.shape[1]} features but this layer normalizes {self.num_features}")
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
        mean, var, count = global_mean_var(self.communicator, x)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = ((x - mean) * inv_std).astype(dtype, copy=False)
        out = self.gamma * x_hat + self.beta
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean.astype(dtype)
        unbiased = var * (count / (count - 1))  # PyTorch's SyncBatchNorm: the global count minus 1
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * unbiased.astype(dtype)
        self._cache, self.global_count = BatchNormCache(x_hat, inv_std.astype(dtype), self.gamma), count
        return out

    __call__ = forward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """This rank's ``dx``, from the global ``dβ = Σdout`` and ``dγ = Σdout·x̂``; sets this rank's shares of
        ``dgamma`` and ``dbeta`` (see the module docstring)."""
        if self._cache is None:
            raise RuntimeError("backward needs a forward pass in train mode first")
        cache, dout = self._cache, check_dout(dout, self._cache)
        local_dbeta, local_dgamma = dout.sum(axis=0), (dout * cache.x_hat).sum(axis=0)
        totals = self.communicator.all_reduce_sum(np.concatenate([local_dbeta, local_dgamma]).astype(np.float64))
        dbeta, dgamma = totals[: self.num_features], totals[self.num_features:]
        # lesson 05's dx = γ/σ · (dout - (dβ + x̂ dγ) / N), built in one array as batchkit.batchnorm does
        dx = cache.x_hat * dgamma
        dx += dbeta
        dx /= -self.global_count
        dx += dout
        dx *= cache.gamma * cache.inv_std
        self.dgamma, self.dbeta = local_dgamma, local_dbeta
        return dx.astype(dout.dtype, copy=False)

    def __repr__(self) -> str:
        mode = "train" if self.training else "eval"
        return (f"SyncBatchNorm({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}, mode={mode}, "
                f"rank={self.communicator.rank} of {self.communicator.world_size})")


def convert_sync_batchnorm(model, communicator: Communicator):
    """Replace every :class:`~batchkit.batchnorm.BatchNorm1d` of a :class:`~batchkit.mlp.MLP` by a
    :class:`SyncBatchNorm` with the same state, in place (PyTorch's ``nn.SyncBatchNorm.convert_sync_batchnorm``).

    Returns
    -------
    MLP
        ``model`` itself.
    """
    model.norms = [norm if norm is None or isinstance(norm, SyncBatchNorm) else
                   SyncBatchNorm.from_batchnorm(norm, communicator) for norm in model.norms]
    return model
