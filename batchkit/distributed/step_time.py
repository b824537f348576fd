"""Where a data-parallel step's time goes: computing the gradient, and communicating (all-reduce, waiting included).

:func:`step_time_split` launches lesson 05's deep MLP on 1 and on 2 real gloo processes with the same per-worker
batch: each worker has the same arithmetic to do per step whatever k, and a step with more workers processes k
times more samples but adds the communication. (Measured compute per step also grew with k on a 2-core machine:
processes that share caches and memory bandwidth run slower; the measurement shows it rather than assuming it away.) The numbers depend on the machine (and on what else runs
on it); the lesson shows them as measured, never as expected output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._validation import check_bool, check_positive_int
from ..batch_size_study import digits_splits
from ..bn_experiments import HIDDEN_LAYERS, SHIFT_SETTINGS, deep_mlp
from .communicator import Communicator
from .data_parallel import train_mlp
from .launcher import launch, run_simulated


def timed_steps_worker(communicator: Communicator, *, per_worker_batch: int, steps: int, repeats: int,
                       warmup: int = 3, batchnorm: bool = True, sync_batchnorm: bool = True) -> dict[str, np.ndarray]:
    """``repeats`` short trainings of :func:`~batchkit.bn_experiments.deep_mlp` (lesson 05's tanh network, with or
    without batch norm, synchronized or local) on the digits; each one's median compute and communication seconds
    per step.

    Every repeat trains a fresh network for ``warmup + steps`` steps and keeps the last ``steps`` (the first
    steps of a fresh process are slower: caches, the connections' first messages).

    Returns
    -------
    dict
        ``"compute"``, ``"communication"``: numpy.ndarray of shape (repeats,), seconds per step on this rank.
    """
    X_train, _, _, y_train, _, _ = digits_splits()
    # Exactly warmup + steps global batches: the training samples in order, wrapping around if there are too few.
    index = np.resize(np.arange(len(X_train)), (warmup + steps) * communicator.world_size * per_worker_batch)
    compute, communication = [], []
    for repeat in range(repeats):  # a loop over the few repetitions of one measurement
        model = deep_mlp(batchnorm, SHIFT_SETTINGS["activation"], seed=repeat)
        run = train_mlp(communicator, model, X_train[index], y_train[index], per_worker_batch=per_worker_batch,
                        epochs=1, learning_rate=SHIFT_SETTINGS["learning_rate"], sync_batchnorm=sync_batchnorm,
                        seed=repeat)
        kept = slice(warmup, warmup + steps)
        compute.append(np.median(run.compute_seconds[kept]))
        communication.append(np.median(run.communication_seconds[kept]))
    return {"compute": np.array(compute), "communication": np.array(communication)}


@dataclass(frozen=True)
class StepTimes:
    """Seconds per training step, split, for each number of workers (rank 0's clock).

    Attributes
    ----------
    world_sizes : tuple of int, length m
    per_worker_batch : int
    compute, communication : numpy.ndarray, shape (repeats, m)
        Each repeat's median seconds per step outside and inside collectives.
    collectives_per_step : int
        Collective calls per step (1 for the gradients, plus 3 per synchronized batch norm layer), whatever k.
    seconds : float
        Wall time of the measurement, the processes' start-up included.
    """

    world_sizes: tuple[int, ...]
    per_worker_batch: int
    compute: np.ndarray
    communication: np.ndarray
    collectives_per_step: int
    seconds: float

    @property
    def step(self) -> np.ndarray:
        """Seconds per step, shape (repeats, m)."""
        return self.compute + self.communication

    @property
    def samples_per_second(self) -> np.ndarray:
        """Global batch ``k·b`` over the step time, shape (repeats, m)."""
        return np.asarray(self.world_sizes) * self.per_worker_batch / self.step

    def describe(self) -> str:
        """One line per number of workers: median milliseconds per step, split, and samples per second."""
        compute, talk, rate = (np.median(values, axis=0)
                               for values in (self.compute, self.communication, self.samples_per_second))
        low, high = self.samples_per_second.min(axis=0), self.samples_per_second.max(axis=0)
        return "\n".join(f"{k} worker{'s' if k > 1 else ''} × b = {self.per_worker_batch}: {1e3 * c:.2f} ms compute + "
                         f"{1e3 * t:.2f} ms communication per step, {r:,.0f} samples/s (median of "
                         f"{len(self.compute)} repeats, range {lo:,.0f} to {hi:,.0f})"
                         for k, c, t, r, lo, hi in zip(self.world_sizes, compute, talk, rate, low, high))


def step_time_split(world_sizes: tuple[int, ...] = (1, 2), *, per_worker_batch: int = 64, steps: int = 20,
                    repeats: int = 3, batchnorm: bool = True, sync_batchnorm: bool = True, simulated: bool = False,
                    timeout: float = 120.0, report: Callable[[int, dict[str, np.ndarray]], None] | None = None) -> StepTimes:
    """Time lesson 05's MLP per step, compute against communication, on each number of gloo processes.

    One launch per world size (about 3 s each, mostly the processes' start-up), ``repeats`` measurements of
    ``steps`` steps in each. ``batchnorm``: the network has batch norm layers; ``sync_batchnorm``: they are
    synchronized (3 more messages per layer and step) or local (the gradients' one message). ``report(world_size,
    {"compute": ..., "communication": ...})`` after each launch. ``simulated=True`` times the threads of
    :func:`~batchkit.distributed.launcher.run_simulated` instead (no torch needed; for tests).
    """
    world_sizes = tuple(check_positive_int(f"world_sizes[{j}]", k) for j, k in enumerate(world_sizes))
    args = dict(per_worker_batch=check_positive_int("per_worker_batch", per_worker_batch),
                steps=check_positive_int("steps", steps), repeats=check_positive_int("repeats", repeats),
                batchnorm=check_bool("batchnorm", batchnorm),
                sync_batchnorm=check_bool("sync_batchnorm", sync_batchnorm))
    if not world_sizes:
        raise ValueError("world_sizes must name at least one number of workers, got ()")
    smallest = per_worker_batch * (min(world_sizes) if sync_batchnorm else 1)  # what one batch norm layer sees
    if batchnorm and smallest < 2:
        raise ValueError(f"batch norm needs at least 2 samples per batch, but per_worker_batch = {per_worker_batch} "
                         f"gives {smallest}{' with 1 worker' if sync_batchnorm else ' per worker (local BN)'}")
    start, compute, communication = time.perf_counter(), [], []
    for k in world_sizes:  # one launch per world size: a process group has a fixed size
        start_workers = run_simulated if check_bool("simulated", simulated) else launch
        rank0 = start_workers("batchkit.distributed.step_time:timed_steps_worker", k, args=args, timeout=timeout)[0]
        compute.append(rank0["compute"])
        communication.append(rank0["communication"])
        if report is not None:
            report(k, rank0)
    return StepTimes(world_sizes, per_worker_batch, np.column_stack(compute), np.column_stack(communication),
                     1 + (3 * HIDDEN_LAYERS if batchnorm and sync_batchnorm else 0), time.perf_counter() - start)
