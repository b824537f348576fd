"""One shuffled epoch over 60000 x 784 float32 samples (MNIST-sized): batchkit's BatchLoader against two peers.

What is timed, per batch size b in (32, 100, 256):

* ``BatchLoader(X, y, batch_size=b, shuffle=True, seed=0)`` iterated once: a fresh permutation, then every batch
  gathered into a new array (each batch is kept alive until the next one, as a training step would).
* one plain copy of the data, ``X.copy()``: about the least any epoch that touches every sample can cost.
  Goal: batchkit's epoch within 2x of it.
* PyTorch's ``DataLoader(TensorDataset(X, y), batch_size=b, shuffle=True)`` iterated once, when torch is
  installed. Goal: batchkit at least 8x faster.

The contestants are timed interleaved (round robin, REPEATS rounds) with BLAS, OpenMP and torch pinned to one
thread; the medians and their ratios are printed. The data is random (seeded), nothing is downloaded.

Run: ``python benchmarks/bench_epoch.py``
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy (and torch) are imported

import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402

import numpy as np  # noqa: E402

import batchkit as bk  # noqa: E402

try:
    import torch
    from torch.utils.data import DataLoader, TensorDataset
except ImportError:
    torch = None

N, FEATURES, BATCH_SIZES, REPEATS, SEED = 60_000, 784, (32, 100, 256), 7, 0
COPY_GOAL, TORCH_GOAL = 2.0, 8.0  # batchkit / copy <= 2; torch / batchkit >= 8


def one_epoch(loader: Iterable) -> Callable[[], int]:
    """A function that iterates ``loader`` once, keeping a reference to each batch, and returns the sample count."""

    def run() -> int:
        seen = 0
        for X_batch, y_batch in loader:
            seen += len(y_batch)  # the trivial touch: the work is the gather itself
        return seen
    return run


def contestants(X: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, Callable[[], object]]:
    """The epochs to time at one batch size, by name, each checked once (untimed) to visit all N samples."""
    runs: dict[str, Callable[[], object]] = {
        "batchkit": one_epoch(bk.BatchLoader(X, y, batch_size=batch_size, shuffle=True, seed=SEED)),
        "copy": X.copy,
    }
    if torch is not None:
        dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))  # shares memory with X and y
        runs["torch"] = one_epoch(DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                             generator=torch.Generator().manual_seed(SEED)))
    for name in ("batchkit", "torch"):
        if name in runs and runs[name]() != N:  # also a warm-up
            raise AssertionError(f"{name} did not visit all {N} samples in one epoch")
    return runs


def interleaved_medians(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median wall time in seconds of each contestant, timed round robin."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']} (numpy build config; threadpoolctl not installed)"
    pools = ([p["internal_api"], p.get("version"), p.get("architecture"), f"threads={p['num_threads']}"]
             for p in threadpool_info())
    return "; ".join(" ".join(part for part in pool if part) for pool in pools)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> int:
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((N, FEATURES), dtype=np.float32)
    y = rng.integers(0, 10, N)
    if torch is not None:
        torch.set_num_threads(1)
    print(f"one shuffled epoch over {N} x {FEATURES} float32 ({X.nbytes / 1e6:.0f} MB), median of {REPEATS} "
          f"interleaved rounds")
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}; "
          f"thread pools: {blas_description()}; load average {os.getloadavg()[0]:.2f}")
    print(f"goals: batchkit/copy <= {COPY_GOAL:g}, torch/batchkit >= {TORCH_GOAL:g}")
    print(f"{'b':>5} {'batchkit ms':>12} {'copy ms':>8} {'bk/copy':>8} {'goal':>8} {'torch ms':>9} {'torch/bk':>9} "
          f"{'goal':>8}")
    all_met = True
    for b in BATCH_SIZES:
        ms = {name: 1e3 * t for name, t in interleaved_medians(contestants(X, y, b)).items()}
        copy_ratio = ms["batchkit"] / ms["copy"]
        row = f"{b:5d} {ms['batchkit']:12.1f} {ms['copy']:8.1f} {copy_ratio:8.2f} {verdict(copy_ratio <= COPY_GOAL):>8}"
        all_met &= copy_ratio <= COPY_GOAL
        if "torch" in ms:
            torch_ratio = ms["torch"] / ms["batchkit"]
            row += f" {ms['torch']:9.1f} {torch_ratio:9.1f} {verdict(torch_ratio >= TORCH_GOAL):>8}"
            all_met &= torch_ratio >= TORCH_GOAL
        print(row)
    if torch is None:
        print("torch is not installed: the DataLoader comparison was skipped")
    print(f"all goals {verdict(all_met)}")
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
