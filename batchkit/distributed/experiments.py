"""Lesson 08's experiments on linear regression, each a few seconds: data parallelism changes nothing but the step.

* :func:`single_vs_parallel_linreg`: lesson 04's linear regression on k real gloo processes against one process
  with the global batch k·b: the largest parameter difference over all steps (rounding, about 1e-14).
* :func:`linear_scaling_runs`: more workers at a fixed per-worker batch make the global batch k·b and the steps
  per epoch k times fewer; the learning rate scaled with k (Goyal et al., 2017) keeps the loss after a fixed number
  of epochs, a fixed rate does not.

Batch norm, the one layer that does change, is compared in :mod:`batchkit.distributed.bn_comparison`; the time of
a step (compute against communication) is measured in :mod:`batchkit.distributed.step_time`. The simulated runs
use :func:`~batchkit.distributed.launcher.run_simulated` (threads, the same arithmetic as gloo processes, see
``tests/test_distributed_training.py``) inside :func:`one_core`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .._validation import check_nonnegative_int, check_positive_int, check_real
from ..counting import batches_per_epoch
from ..datasets import diabetes_bmi
from ..linreg import least_squares, loss
from ..seeds import Replicates, over_seeds
from ..training import train
from .launcher import launch, run_simulated


@contextmanager
def one_core():
    """Run the threads started inside on one CPU core (Linux; elsewhere nothing changes).

    Why: simulated workers take turns anyway (one thread holds the GIL at a time) and hand over at every
    collective. On the 2-core machines of this course a hand-over to a thread waiting on the *other* core took
    about three times longer than on the same core, and lesson 05's network makes 19 collectives a step. New
    threads inherit the affinity of the thread that starts them; the caller's affinity is restored afterwards.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
    except OSError:  # not allowed here (a container's policy): run unpinned
        yield
        return
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def standardized_bmi() -> tuple[np.ndarray, np.ndarray]:
    """Lesson 04's data: body mass index of the 442 diabetes patients, centered and divided by its standard
    deviation (shape (442,)), and the disease progression (shape (442,))."""
    x, y = diabetes_bmi()
    return (x - x.mean()) / x.std(), y


@dataclass(frozen=True)
class LinregComparison:
    """Data parallel against one process, step by step.

    Attributes
    ----------
    theta_parallel, theta_single : numpy.ndarray, shape (steps + 1, 2)
        Rank 0's parameters, and the single process's, before the first step and after every step.
    max_difference : float
        ``max |θ_parallel - θ_single|`` over all steps and parameters.
    rank_difference : float
        ``max |θ of rank r - θ of rank 0|`` over ranks, steps and parameters: 0 when every worker holds the same
        parameters.
    global_batch : numpy.ndarray of int, shape (steps,)
    workers, per_worker_batch : int
    seconds : float
        Wall time of the launch, the processes' start-up included.
    """

    theta_parallel: np.ndarray
    theta_single: np.ndarray
    max_difference: float
    rank_difference: float
    global_batch: np.ndarray
    workers: int
    per_worker_batch: int
    seconds: float


def single_vs_parallel_linreg(*, workers: int = 2, per_worker_batch: int = 8, epochs: int = 3,
                              learning_rate: float = 0.1, seed: int = 0, simulated: bool = False,
                              timeout: float = 60.0) -> LinregComparison:
    """Lesson 04's mini-batch GD on :func:`standardized_bmi`, on ``workers`` gloo processes and in one process.

    The processes run :func:`~batchkit.distributed.data_parallel.train_linreg` with per-worker batch ``b``; the
    single process runs :func:`batchkit.training.train` with ``batch_size = k·b`` and the same shuffle seed. About
    3 s for 2 processes, almost all of it their start-up (importing torch). ``simulated=True``: threads instead
    (no torch needed).
    """
    workers, per_worker_batch = check_positive_int("workers", workers), check_positive_int("per_worker_batch",
                                                                                            per_worker_batch)
    settings = dict(per_worker_batch=per_worker_batch, epochs=check_positive_int("epochs", epochs),
                    learning_rate=check_real("learning_rate", learning_rate, low=0.0),
                    seed=check_nonnegative_int("seed", seed))  # checked here: a worker's error comes after start-up
    X, y = standardized_bmi()
    start = time.perf_counter()
    if simulated:
        with one_core():
            runs = run_simulated("batchkit.distributed.workers:linreg_worker", workers, args=dict(X=X, y=y, **settings),
                                 timeout=timeout)
    else:
        runs = launch("batchkit.distributed.workers:linreg_worker", workers, args=dict(X=X, y=y, **settings),
                      timeout=timeout)
    seconds = time.perf_counter() - start
    single = train(X, y, batch_size=workers * per_worker_batch, epochs=epochs, learning_rate=learning_rate, seed=seed)
    return LinregComparison(runs[0].theta, single.theta, float(np.max(np.abs(runs[0].theta - single.theta))),
                            max(float(np.max(np.abs(run.theta - runs[0].theta))) for run in runs),
                            runs[0].global_batch, workers, per_worker_batch, seconds)


@dataclass(frozen=True)
class LinearScaling:
    """Excess loss ``J(θ) - J*`` on all the data after a fixed number of epochs, for each number of workers.

    Attributes
    ----------
    workers : tuple of int, length m
    per_worker_batch, epochs : int
    base_rate : float
        ``α₁``, the rate of one worker.
    excess_loss : dict of str to Replicates
        ``"α = k·α₁"`` and ``"α = α₁"``: each seed's excess loss at every number of workers, shape (m,).
    steps : numpy.ndarray of int, shape (m,)
        Updates made in the run (fewer with more workers: the same epochs in bigger steps).
    seconds : float
    """

    workers: tuple[int, ...]
    per_worker_batch: int
    epochs: int
    base_rate: float
    excess_loss: dict[str, Replicates]
    steps: np.ndarray
    seconds: float


def linear_scaling_runs(workers: tuple[int, ...] = (1, 2, 4, 8), *, per_worker_batch: int = 4, epochs: int = 2,
                        base_rate: float = 0.02, seeds: int = 5,
                        report: Callable[[int, dict[str, np.ndarray]], None] | None = None) -> LinearScaling:
    """Lesson 04's linear regression (:func:`standardized_bmi`), data parallel on k simulated workers, per-worker
    batch ``b`` fixed, for a fixed number of epochs, with ``α = k·α₁`` and with ``α = α₁``.

    With k workers an epoch has k times fewer steps of a k times larger batch; each step's gradient is less noisy,
    not larger. Scaling α with k makes each step go k times further, which holds the loss after the epochs (while
    ``k·α₁`` stays well under the stability limit ``2/λ_max``, which is 2 here: the Hessian of standardized data
    is the identity). About 1 s with the defaults. ``report(seed, {rule: excess losses})`` after each seed.
    """
    workers = tuple(check_positive_int(f"workers[{j}]", k) for j, k in enumerate(workers))
    per_worker_batch = check_positive_int("per_worker_batch", per_worker_batch)
    epochs, base_rate = check_positive_int("epochs", epochs), check_real("base_rate", base_rate, low=0.0)
    rules = {"α = k·α₁": True, "α = α₁": False}
    X, y = standardized_bmi()
    minimum = loss(least_squares(X, y), X, y)

    def final_excess(k: int, scaled: bool, seed: int) -> float:
        with one_core():
            run = run_simulated("batchkit.distributed.workers:linreg_worker", k, args=dict(
                X=X, y=y, per_worker_batch=per_worker_batch, epochs=epochs, seed=seed,
                learning_rate=base_rate * k if scaled else base_rate))[0]
        return loss(run.theta[-1], X, y) - minimum

    def experiment(seed: int) -> dict[str, np.ndarray]:
        return {name: np.array([final_excess(k, scaled, seed) for k in workers]) for name, scaled in rules.items()}

    start = time.perf_counter()
    runs = over_seeds(experiment, seeds, report=report)
    steps = np.array([epochs * batches_per_epoch(len(X), k * per_worker_batch) for k in workers])
    return LinearScaling(workers, per_worker_batch, epochs, base_rate, runs, steps, time.perf_counter() - start)
