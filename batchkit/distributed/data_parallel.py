"""Data-parallel SGD: every worker computes the gradient of its shard, one all-reduce makes it the global one.

One step with ``k`` workers, rank r holding ``m_r`` samples of a global batch of ``B = Σ_r m_r``::

    g_r = Σ_{i in rank r's samples} ∇ℓ_i          batchkit's numpy code (mean gradient times m_r)
    g   = all_reduce_sum(g_r) / B                 the same mean gradient as one process on all B samples
    θ  := θ - α g                                 every rank makes the same update: the copies stay equal

Sums, not means, are all-reduced: the mean of the ranks' means is the global mean only when every rank has the
same number of samples, and the sum of sums is right either way. All gradients of a step travel in one message
(what PyTorch's DistributedDataParallel does with its buckets), and the count ``m_r`` rides along with them.

Two models: lesson 04's linear regression (:func:`train_linreg`, which reproduces
:func:`batchkit.training.train` with ``batch_size = k·b``) and lesson 05's MLP (:func:`train_mlp`), whose batch norm
layers are synchronized (:class:`~batchkit.distributed.sync_batchnorm.SyncBatchNorm`: the same numbers as one
process) or local (each worker normalizes with its own shard's statistics: different numbers, see lesson 08).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._validation import check_bool, check_finite, check_real
from ..linreg import as_features, check_theta, loss_and_gradient
from ..losses import softmax_cross_entropy
from ..mlp import MLP
from .communicator import Communicator
from .sharding import local_batch_sizes, local_epochs
from .sync_batchnorm import convert_sync_batchnorm


def all_reduce_mean(communicator: Communicator, local_sums: list[np.ndarray],
                    local_count: int) -> tuple[list[np.ndarray], int]:
    """Global means from this rank's sums, in one all-reduce.

    Parameters
    ----------
    local_sums : list of numpy.ndarray (any shapes)
        Sums over this rank's samples.
    local_count : int
        How many samples they sum over.

    Returns
    -------
    means : list of numpy.ndarray of float64, the shapes of ``local_sums``
        ``Σ_r sums_r / Σ_r count_r``.
    count : int
        The global count.
    """
    flat = np.concatenate([np.ravel(s) for s in local_sums] + [[local_count]]).astype(np.float64)
    totals = communicator.all_reduce_sum(flat)
    count = int(totals[-1])  # a float64 holds any count up to 2⁵³ exactly
    ends = np.cumsum([np.size(s) for s in local_sums])
    return [part.reshape(np.shape(s)) / count for part, s in zip(np.split(totals[:-1], ends[:-1]), local_sums)], count


@dataclass
class DataParallelRun:
    """What a data-parallel training run did, seen from one rank (every rank holds the same parameters).

    Attributes
    ----------
    batch_loss : numpy.ndarray, shape (steps,)
        The loss on each step's global batch, before its update (the same on every rank).
    global_batch : numpy.ndarray of int, shape (steps,)
        Samples in each step's global batch (padded samples count).
    step_seconds, communication_seconds : numpy.ndarray, shape (steps,)
        Wall time of each step on this rank, and the part of it spent in collectives (waiting included).
    collectives : numpy.ndarray of int, shape (steps,)
        Collective calls (messages) in each step.
    theta : numpy.ndarray, shape (steps + 1, d + 1), or None
        Linear regression only: the parameters before the first step and after every step.
    """

    batch_loss: np.ndarray
    global_batch: np.ndarray
    step_seconds: np.ndarray
    communication_seconds: np.ndarray
    collectives: np.ndarray
    theta: np.ndarray | None = None

    @property
    def compute_seconds(self) -> np.ndarray:
        """Time of each step outside collectives, shape (steps,)."""
        return self.step_seconds - self.communication_seconds


class _StepClock:
    """Per-step wall time and the communicator's share of it, kept out of the training loops."""

    def __init__(self, communicator: Communicator) -> None:
        self.communicator, self.rows = communicator, []

    def start(self) -> None:
        communicator = self.communicator
        self.began, self.talked, self.calls = time.perf_counter(), communicator.seconds, communicator.calls

    def stop(self, loss: float, count: int) -> None:
        communicator = self.communicator
        self.rows.append((loss, count, time.perf_counter() - self.began, communicator.seconds - self.talked,
                          communicator.calls - self.calls))

    def run(self, theta: list[np.ndarray] | None = None) -> DataParallelRun:
        columns = [np.array(column) for column in zip(*self.rows)] if self.rows else [np.empty(0)] * 5
        loss, count, seconds, talking, calls = columns
        return DataParallelRun(loss, count.astype(int), seconds, talking, calls.astype(int),
                               None if theta is None else np.array(theta))


def train_linreg(communicator: Communicator, X: np.ndarray, y: np.ndarray, *, per_worker_batch: int, epochs: int,
                 learning_rate: float, shuffle: bool = True, drop_last: bool = False, full_batches_only: bool = False,
                 seed: int = 0, theta0: np.ndarray | None = None) -> DataParallelRun:
    """Lesson 04's mini-batch GD on ``J(θ)``, data parallel: ``train(X, y, batch_size=k·b, ...)`` on k workers.

    Every rank passes the whole data set (each takes its own samples of every global batch, see
    :mod:`~batchkit.distributed.sharding`) and the same ``seed``; rank 0's ``theta0`` is broadcast to all.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d), or (n,) for one feature
    y : numpy.ndarray, shape (n,)
    per_worker_batch : int
        ``b``; the global batch is ``communicator.world_size · b``.
    epochs : int
    learning_rate : float
    shuffle, drop_last, full_batches_only, seed
        See :func:`~batchkit.distributed.sharding.local_epochs`.
    theta0 : numpy.ndarray, shape (d + 1,), optional
        Zeros by default.

    Returns
    -------
    DataParallelRun
        With ``theta`` of shape (steps + 1, d + 1).
    """
    X = check_finite("X", as_features(X))
    y = check_finite("y", np.asarray(y, dtype=np.float64))
    if y.shape != (len(X),):
        raise ValueError(f"y has shape {y.shape} but X has {len(X)} samples: expected y of shape ({len(X)},)")
    learning_rate = check_real("learning_rate", learning_rate, low=0.0)
    theta = np.zeros(X.shape[1] + 1) if theta0 is None else check_theta(np.array(theta0, dtype=np.float64), X)
    epoch_batches = local_epochs(len(X), per_worker_batch, epochs, world_size=communicator.world_size,
                                 rank=communicator.rank, shuffle=shuffle, drop_last=drop_last,
                                 full_batches_only=full_batches_only, seed=seed)
    theta = communicator.broadcast(theta, src=0)  # everyone starts from rank 0's parameters, as DDP does
    thetas, clock = [theta], _StepClock(communicator)
    for batches in epoch_batches:
        for index in batches:  # one update per global batch: each needs the θ of the one before
            clock.start()
            J, gradient = loss_and_gradient(theta, X[index], y[index])  # means over this rank's m samples
            m = len(index)
            (gradient, J), count = all_reduce_mean(communicator, [gradient * m, np.array(J * m)], m)
            theta = theta - learning_rate * gradient
            clock.stop(float(J), count)
            thetas.append(theta)
    return clock.run(thetas)


def mlp_gradients(communicator: Communicator, model: MLP, X: np.ndarray,
                  labels: np.ndarray) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """The global batch's mean cross-entropy and its gradients, from this rank's rows ``X`` (m, inputs), ``labels``.

    The backward starts from the gradient of the **sum** of this rank's losses (``dlogits · m``): then a
    synchronized batch norm's global sums are sums of one consistent quantity, whatever each rank's ``m``. After
    the call, every batch norm layer's ``dgamma`` and ``dbeta`` hold the global means too, ready for
    :meth:`MLP.sgd_step <batchkit.mlp.MLP.sgd_step>`.

    Returns
    -------
    loss : float
    dW, db : list of numpy.ndarray
        Global mean gradients of every layer's weights and biases.
    """
    loss, dlogits = softmax_cross_entropy(model.forward(X), labels)
    m = len(X)
    dW, db = model.backward(dlogits * m)
    norms = [norm for norm in model.norms if norm is not None]
    local = dW + db + [n.dgamma for n in norms] + [n.dbeta for n in norms] + [np.array(loss * m)]
    means, _ = all_reduce_mean(communicator, local, m)
    depth, count = model.depth, len(norms)
    for k, norm in enumerate(norms):
        norm.dgamma, norm.dbeta = means[2 * depth + k], means[2 * depth + count + k]
    return float(means[-1]), means[:depth], means[depth:2 * depth]


def broadcast_parameters(communicator: Communicator, model: MLP) -> None:
    """Give every rank rank 0's weights, biases, γ, β and running statistics (in place)."""
    model.weights = [communicator.broadcast(w) for w in model.weights]
    model.biases = [communicator.broadcast(b) for b in model.biases]
    for norm in (n for n in model.norms if n is not None):  # a loop over layers
        for name in ("gamma", "beta", "running_mean", "running_var"):
            setattr(norm, name, communicator.broadcast(getattr(norm, name)))


def model_state(model: MLP) -> dict[str, np.ndarray]:
    """Copies of every parameter and running statistic, by name: ``W0, b0, ...``, and for the batch norm after
    linear layer k ``gamma{k}, beta{k}, running_mean{k}, running_var{k}``."""
    state = {f"{name}{k}": array.copy() for name, arrays in (("W", model.weights), ("b", model.biases))
             for k, array in enumerate(arrays)}
    for k, norm in enumerate(model.norms):  # a loop over layers
        if norm is not None:
            state.update({f"{name}{k}": getattr(norm, name).copy()
                          for name in ("gamma", "beta", "running_mean", "running_var")})
    return state


def train_mlp(communicator: Communicator, model: MLP, X: np.ndarray, labels: np.ndarray, *, per_worker_batch: int,
              epochs: int, learning_rate: float, sync_batchnorm: bool = True, shuffle: bool = True,
              drop_last: bool = False, full_batches_only: bool = False, seed: int = 0) -> DataParallelRun:
    """Mini-batch SGD on lesson 05's MLP, data parallel over the communicator's ranks (``model`` changes in place).

    Parameters
    ----------
    model : MLP
        Rank 0's parameters are broadcast to all ranks first.
    X : numpy.ndarray, shape (n, inputs); labels : numpy.ndarray of int, shape (n,)
        The whole data set, on every rank.
    per_worker_batch, epochs, learning_rate, shuffle, drop_last, full_batches_only, seed
        As for :func:`train_linreg`.
    sync_batchnorm : bool
        Replace the model's batch norm layers by synchronized ones (global statistics: the single-process
        result). False keeps them local: each rank normalizes with its own samples' statistics, and its running
        statistics stay its own (DDP's default instead copies rank 0's running statistics to all, each forward).

    Returns
    -------
    DataParallelRun
    """
    check_finite("X", np.asarray(X, dtype=np.float64))
    if np.shape(labels) != (len(X),):
        raise ValueError(f"labels must hold one class per sample of X: expected shape ({len(X)},), "
                         f"got {np.shape(labels)}")
    learning_rate = check_real("learning_rate", learning_rate, low=0.0)
    sizes = local_batch_sizes(len(X), per_worker_batch, communicator.world_size, drop_last=drop_last,
                              full_batches_only=full_batches_only)
    _check_batchnorm_batches(model, check_bool("sync_batchnorm", sync_batchnorm), sizes, communicator.world_size)
    epoch_batches = local_epochs(len(X), per_worker_batch, epochs, world_size=communicator.world_size,
                                 rank=communicator.rank, shuffle=shuffle, drop_last=drop_last,
                                 full_batches_only=full_batches_only, seed=seed)
    if sync_batchnorm:
        convert_sync_batchnorm(model, communicator)
    broadcast_parameters(communicator, model)
    model.train()
    clock = _StepClock(communicator)
    for batches in epoch_batches:
        for index in batches:
            clock.start()
            loss, dW, db = mlp_gradients(communicator, model, X[index], labels[index])
            model.sgd_step(dW, db, learning_rate)
            clock.stop(loss, communicator.world_size * len(index))
    return clock.run()


def _check_batchnorm_batches(model: MLP, sync: bool, sizes: np.ndarray, world_size: int) -> None:
    """Refuse, before any work, a step whose batch norm would see a single sample."""
    if not any(norm is not None for norm in model.norms):
        return
    smallest = int(sizes.min())
    if not sync and smallest < 2:
        raise ValueError(f"local batch norm needs at least 2 samples per worker and step, but some step gives each "
                         f"worker {smallest} (per_worker_batch={sizes.max()}): use per_worker_batch >= 2, "
                         f"full_batches_only=True, or sync_batchnorm=True (which normalizes over all workers)")
    if sync and smallest * world_size < 2:
        raise ValueError("synchronized batch norm needs at least 2 samples in the global batch, but some step has "
                         f"{smallest * world_size}: use a larger per_worker_batch or more workers")
