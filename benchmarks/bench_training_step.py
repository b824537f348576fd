"""Per-step overhead of batchkit's training loop at batch size 1 (SGD), against a minimal hand-written numpy step.

Goal (lesson 04): ``batchkit.training.train`` within 1.5x of the minimal loop below, which does nothing but the
update. Both run the same number of SGD steps on the same data with the same batch order; they are timed
interleaved (ABAB...) with BLAS pinned to one thread, and the medians and their ratio are printed.

Run: ``python benchmarks/bench_training_step.py``
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy is imported

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import batchkit as bk  # noqa: E402
from batchkit.training import train  # noqa: E402

GOAL = 1.5
N, EPOCHS, RATE, SEED, REPEATS = 2000, 5, 0.01, 0, 9


def minimal_sgd(X: np.ndarray, y: np.ndarray, order: list[np.ndarray]) -> np.ndarray:
    """The least a Python SGD loop can do per step: gather, residual, gradient, update. Records nothing."""
    theta = np.zeros(X.shape[1] + 1)
    for batches in order:
        for index in batches:
            Xb = X[index]
            residual = theta[0] + Xb @ theta[1:] - y[index]
            theta = theta - RATE * np.concatenate(([residual.sum()], residual @ Xb)) / len(index)
    return theta


def main() -> None:
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((N, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(N)
    order = list(bk.iter_epochs(N, 1, EPOCHS, seed=SEED))
    steps = N * EPOCHS
    times = {"batchkit train": [], "minimal loop": []}
    for _ in range(REPEATS):  # interleaved, so both see the same machine state
        start = time.perf_counter()
        history = train(X, y, batch_size=1, epochs=EPOCHS, learning_rate=RATE, seed=SEED)
        times["batchkit train"].append(time.perf_counter() - start)
        start = time.perf_counter()
        theta = minimal_sgd(X, y, order)
        times["minimal loop"].append(time.perf_counter() - start)
    assert np.allclose(history.theta[-1], theta), "the two loops must compute the same thing"
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"SGD, {steps} steps of batch size 1, d = 3, numpy {np.__version__}, BLAS threads 1")
    for name, seconds in medians.items():
        print(f"  {name:15s} median {seconds * 1e3:8.1f} ms = {seconds / steps * 1e6:6.2f} µs per step")
    ratio = medians["batchkit train"] / medians["minimal loop"]
    print(f"ratio batchkit / minimal: {ratio:.2f} (goal <= {GOAL}): {'met' if ratio <= GOAL else 'NOT met'}")
    print("batchkit also records θ, the batch loss, the samples seen and the wall time of every step.")


if __name__ == "__main__":
    main()
