"""Lesson 08's batch norm experiment: data parallel with local or synchronized batch norm, against one process.

Local batch norm (each worker normalizes its own b samples, PyTorch DDP's default) trains a different network
from the single process with the global batch k·b; synchronized batch norm
(:class:`~batchkit.distributed.sync_batchnorm.SyncBatchNorm`) trains the same one.
:func:`batchnorm_sync_experiment` measures both on lesson 05's deep MLP and the digits, over seeds, on simulated
workers (threads: about 20 s with the defaults on 2 cores).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._validation import check_positive_int, check_real
from ..batch_size_study import digits_splits
from ..bn_experiments import SHIFT_SETTINGS, deep_mlp
from ..mlp import MLP
from ..sampling import iter_epochs
from ..seeds import Replicates, over_seeds
from .communicator import Communicator
from .data_parallel import model_state, train_mlp
from .experiments import one_core
from .launcher import run_simulated

#: The three networks of :func:`batchnorm_sync_experiment`'s comparison, in the order they are plotted.
BN_KINDS = ("local BN", "synchronized BN", "single process")
#: Lesson 05's batch-size sweep (``SHIFT_SETTINGS``: tanh units, α = 0.1 at every batch size), fewer epochs.
BN_SETTINGS = {"activation": SHIFT_SETTINGS["activation"], "learning_rate": SHIFT_SETTINGS["learning_rate"],
               "epochs": 2}


def digits_bn_worker(communicator: Communicator, *, per_worker_batch: int, sync_batchnorm: bool, seed: int,
                     epochs: int, learning_rate: float, activation: str, samples: int | None = None) -> dict:
    """One data-parallel run of lesson 05's :func:`~batchkit.bn_experiments.deep_mlp` (with BN) on the digits.

    Trains on the 1078 training samples of :func:`~batchkit.batch_size_study.digits_splits`, only full global
    batches (a last step of one sample per worker could not be normalized locally), or on the first ``samples`` of
    them (for quick tests). ``seed`` seeds the weights, ``seed + 1`` the shuffle, as in lesson 05.

    Returns
    -------
    dict
        ``"validation"``, ``"test"``: this rank's accuracy (eval mode: its running statistics, which with local BN
        are its own); ``"state"``: :func:`~batchkit.distributed.data_parallel.model_state`.
    """
    X_train, X_validation, X_test, y_train, y_validation, y_test = digits_splits()
    model = deep_mlp(True, activation, seed=seed)
    train_mlp(communicator, model, X_train[:samples], y_train[:samples], per_worker_batch=per_worker_batch,
              epochs=epochs, learning_rate=learning_rate, sync_batchnorm=sync_batchnorm, full_batches_only=True,
              seed=seed + 1)
    return {"validation": model.accuracy(X_validation, y_validation), "test": model.accuracy(X_test, y_test),
            "state": model_state(model)}


def single_process_bn(global_batch: int, *, seed: int, epochs: int, learning_rate: float, activation: str,
                      samples: int | None = None) -> MLP:
    """The reference: the same network trained by one process on the same global batches (lesson 05's loop)."""
    X_train, _, _, y_train, _, _ = digits_splits()
    X_train, y_train = X_train[:samples], y_train[:samples]
    model = deep_mlp(True, activation, seed=seed)
    for batches in iter_epochs(len(X_train), global_batch, epochs, seed=seed + 1, drop_last=True):
        for index in batches:  # one update per global batch
            _, dW, db = model.loss_and_gradients(X_train[index], y_train[index])
            model.sgd_step(dW, db, learning_rate)
    return model


@dataclass(frozen=True)
class BatchNormSync:
    """Accuracy of the three networks of :data:`BN_KINDS` at every per-worker batch, one row per seed.

    Attributes
    ----------
    per_worker_batches : tuple of int, length m
    workers, epochs : int
    learning_rate : float
    test, validation : dict of str to Replicates
        By kind; each seed's final accuracy (fraction) at every per-worker batch, shape (m,).
    sync_gap : Replicates
        ``max |synchronized - single process|`` over every parameter and running statistic after training, shape
        (m,) per seed: rounding (1e-13) where training is stable; where it is chaotic (global batch 4), rounding
        differences grow step by step until the two runs are as different as two seeds.
    seconds : float
        Wall time of the whole experiment.
    """

    per_worker_batches: tuple[int, ...]
    workers: int
    epochs: int
    learning_rate: float
    test: dict[str, Replicates]
    validation: dict[str, Replicates]
    sync_gap: Replicates
    seconds: float


def batchnorm_sync_experiment(per_worker_batches: tuple[int, ...] = (2, 4, 8), workers: int = 2, seeds: int = 5, *,
                              epochs: int = BN_SETTINGS["epochs"], learning_rate: float = BN_SETTINGS["learning_rate"],
                              activation: str = BN_SETTINGS["activation"], samples: int | None = None,
                              report: Callable[[int, dict[str, np.ndarray]], None] | None = None) -> BatchNormSync:
    """Local against synchronized batch norm, data parallel on simulated workers, and the single-process network.

    The learning rate is **fixed**, not tuned: lesson 05's batch-size sweep (:data:`BN_SETTINGS`, α = 0.1 at every
    batch size), so that the three networks differ only in how batch norm sees the batch. About 20 s with the
    defaults on 2 cores (5 seeds, 2 epochs).

    Parameters
    ----------
    per_worker_batches : tuple of int
        ``b``, each >= 2 (local batch norm needs 2 samples per worker).
    workers : int
        ``k``; the global batch is ``k·b``.
    seeds : int
        Seeds 0, 1, ...: seed s seeds the weights, s + 1 the shuffle.
    samples : int, optional
        Train on the first ``samples`` of the 1078 training samples only (for quick tests); all by default.
    report : callable, optional
        ``report(seed, {name: accuracies})`` after each seed.
    """
    per_worker_batches = tuple(check_positive_int(f"per_worker_batches[{j}]", b)
                               for j, b in enumerate(per_worker_batches))
    workers = check_positive_int("workers", workers)
    if not per_worker_batches or min(per_worker_batches) < 2:
        raise ValueError(f"per_worker_batches must hold batches of at least 2 samples (local batch norm normalizes "
                         f"each worker's b samples), got {per_worker_batches}")
    settings = dict(epochs=check_positive_int("epochs", epochs), activation=activation,
                    learning_rate=check_real("learning_rate", learning_rate, low=0.0),
                    samples=None if samples is None else check_positive_int("samples", samples))

    _, X_validation, X_test, _, y_validation, y_test = digits_splits()

    def data_parallel(b: int, synced: bool, seed: int) -> dict:
        """Rank 0's result (with local BN, the ranks' running statistics, and so accuracies, differ slightly)."""
        with one_core():
            return run_simulated(digits_bn_worker, workers, args=dict(per_worker_batch=b, sync_batchnorm=synced,
                                                                      seed=seed, **settings), timeout=600)[0]

    def experiment(seed: int) -> dict[str, np.ndarray]:
        rows: dict[str, list] = {f"{part} {kind}": [] for part in ("test", "validation") for kind in BN_KINDS}
        rows["gap"] = []
        for b in per_worker_batches:  # a loop over the few batch sizes of the figure
            local, sync = data_parallel(b, False, seed), data_parallel(b, True, seed)
            single = single_process_bn(workers * b, seed=seed, **settings)
            reference = {"validation": single.accuracy(X_validation, y_validation),
                         "test": single.accuracy(X_test, y_test)}
            for kind, result in zip(BN_KINDS, (local, sync, reference)):
                rows[f"test {kind}"].append(result["test"])
                rows[f"validation {kind}"].append(result["validation"])
            state = model_state(single)
            rows["gap"].append(max(float(np.max(np.abs(sync["state"][name] - state[name]))) for name in state))
        return {name: np.array(values) for name, values in rows.items()}

    start = time.perf_counter()
    runs = over_seeds(experiment, seeds, report=report)
    return BatchNormSync(per_worker_batches, workers, settings["epochs"], settings["learning_rate"],
                         {kind: runs[f"test {kind}"] for kind in BN_KINDS},
                         {kind: runs[f"validation {kind}"] for kind in BN_KINDS}, runs["gap"],
                         time.perf_counter() - start)
