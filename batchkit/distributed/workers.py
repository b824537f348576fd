"""Worker functions for lesson 08, to run by qualified name: ``launch("batchkit.distributed.workers:linreg_worker",
2, args={...})``, under torchrun (``python -m batchkit.distributed.run ...``) or with :func:`run_simulated`.

Every worker has the signature ``worker(communicator, **kwargs)`` and returns plain, picklable values. The data
arguments are optional: without ``X``, every rank makes the same synthetic data from ``data_seed`` (handy under
torchrun, whose ``--kwargs`` are JSON and cannot carry arrays).

* :func:`hello_worker`: who am I, and one all-reduce;
* :func:`linreg_worker`, :func:`mlp_worker`: data-parallel training (:mod:`~batchkit.distributed.data_parallel`);
* :func:`allreduce_timing_worker`: seconds per all-reduce as the message grows;
* :func:`sequence_worker`: several of these in one launch;
* :func:`raising_worker`, :func:`sleeping_worker`: what the launcher does when a worker fails or hangs.
"""

from __future__ import annotations

import os
import time

import numpy as np

from ..datasets import synthetic_line
from ..mlp import MLP
from ._names import import_worker
from .communicator import Communicator
from .data_parallel import model_state, train_linreg, train_mlp


def hello_worker(communicator: Communicator) -> dict:
    """This process's rank, world size and process id, and the all-reduced sum of the ranks (``k(k-1)/2``)."""
    total = communicator.all_reduce_sum(np.array([float(communicator.rank)]))
    return {"rank": communicator.rank, "world_size": communicator.world_size, "pid": os.getpid(),
            "sum_of_ranks": float(total[0])}


def synthetic_classes(n: int, features: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` Gaussian clouds in ``features`` dimensions: X of shape (n, features), labels of shape (n,)."""
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((classes, features))
    labels = rng.integers(0, classes, size=n)
    return centers[labels] + rng.standard_normal((n, features)), labels


def linreg_worker(communicator: Communicator, *, X: np.ndarray | None = None, y: np.ndarray | None = None,
                  n: int = 1024, data_seed: int = 0, per_worker_batch: int, epochs: int, learning_rate: float,
                  **settings):
    """:func:`~batchkit.distributed.data_parallel.train_linreg` on ``X, y`` (or ``synthetic_line(n, seed=data_seed)``).

    ``settings``: ``shuffle``, ``drop_last``, ``full_batches_only``, ``seed``, ``theta0``.

    Returns
    -------
    DataParallelRun
    """
    if X is None:
        X, y = synthetic_line(n, seed=data_seed)
    return train_linreg(communicator, X, y, per_worker_batch=per_worker_batch, epochs=epochs,
                        learning_rate=learning_rate, **settings)


def mlp_worker(communicator: Communicator, *, X: np.ndarray | None = None, labels: np.ndarray | None = None,
               n: int = 1024, data_seed: int = 0, sizes: list[int], activation: str = "relu", batchnorm: bool = True,
               model_seed: int = 0, per_worker_batch: int, epochs: int, learning_rate: float, **settings) -> dict:
    """:func:`~batchkit.distributed.data_parallel.train_mlp` on ``MLP(sizes, activation, batchnorm, seed=model_seed)``.

    Without ``X``: ``n`` samples of ``sizes[-1]`` Gaussian classes in ``sizes[0]`` dimensions (:func:`synthetic_classes`).
    ``settings``: ``sync_batchnorm`` (default True), ``shuffle``, ``drop_last``, ``full_batches_only``, ``seed``.

    Returns
    -------
    dict
        ``"run"``: the DataParallelRun; ``"state"``: :func:`~batchkit.distributed.data_parallel.model_state` of the
        trained model; ``"rank"``.
    """
    if X is None:
        X, labels = synthetic_classes(n, sizes[0], sizes[-1], data_seed)
    model = MLP(list(sizes), activation, batchnorm=batchnorm, seed=model_seed)
    run = train_mlp(communicator, model, X, labels, per_worker_batch=per_worker_batch, epochs=epochs,
                    learning_rate=learning_rate, **settings)
    return {"run": run, "state": model_state(model), "rank": communicator.rank}


def allreduce_timing_worker(communicator: Communicator, *, sizes: list[int], dtype: str = "float64",
                            repeats: int = 5, warmup: int = 2) -> np.ndarray:
    """Median seconds of one all-reduce of ``sizes[j]`` elements of ``dtype``, measured on this rank.

    A barrier before every call starts the ranks together, so a late rank's start-up is not counted as transfer.
    Twenty small all-reduces first warm up the connections (the first calls of a fresh group are slow).

    Returns
    -------
    numpy.ndarray, shape (len(sizes),)
    """
    for _ in range(20):  # a loop of warm-up calls
        communicator.all_reduce_sum(np.zeros(1))
    seconds = []
    for size in sizes:  # a loop over the few message sizes
        message = np.ones(int(size), dtype=dtype)
        times = []
        for attempt in range(warmup + repeats):  # a loop over repetitions of one measurement
            communicator.barrier()
            start = time.perf_counter()
            communicator.all_reduce_sum(message)
            if attempt >= warmup:
                times.append(time.perf_counter() - start)
        seconds.append(float(np.median(times)))
    return np.array(seconds)


def sequence_worker(communicator: Communicator, *, runs: list[tuple[str, dict]]) -> list:
    """Several workers one after the other in the same processes, to pay the start-up (a few seconds) once.

    ``runs``: ``[("package.module:function", kwargs), ...]``. Returns their results in that order.
    """
    return [import_worker(reference)(communicator, **kwargs) for reference, kwargs in runs]


def raising_worker(communicator: Communicator, *, failing_rank: int = 1, crash: bool = False) -> int:
    """All ranks all-reduce once; then ``failing_rank`` raises ValueError while the others wait in a second
    all-reduce for it, in vain: the launcher must stop them and report the failing rank's traceback.

    ``crash=True``: the rank prints a line and exits at once with status 3 instead, leaving no traceback (as a
    fault in C code or the out-of-memory killer would); the launcher then shows the end of its output.
    """
    communicator.all_reduce_sum(np.zeros(1))
    if communicator.rank == failing_rank and crash:
        print(f"rank {failing_rank} is about to crash", flush=True)
        os._exit(3)
    if communicator.rank == failing_rank:
        raise ValueError(f"rank {failing_rank} fails on purpose (a bug in the worker would look like this)")
    communicator.all_reduce_sum(np.zeros(1))
    return communicator.rank


def sleeping_worker(communicator: Communicator, *, seconds: float = 60.0) -> int:
    """Sleep for ``seconds``: longer than the launcher's timeout, to show that the launcher stops it."""
    time.sleep(seconds)
    return communicator.rank
