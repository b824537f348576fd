"""One shuffled epoch over 60000 x 784 float32 samples (MNIST-sized): batchkit's BatchLoader against two peers.

* one plain copy of the data (``X.copy()``): the least any epoch that touches every sample can cost.
  Goal: batchkit within 2x of it.
* PyTorch's ``DataLoader(TensorDataset(X, y), batch_size=b, shuffle=True)``, when torch is installed.
  Goal: batchkit at least 8x faster.

All contestants are timed interleaved (round robin, REPEATS rounds) with BLAS and torch pinned to one thread, and
the medians and their ratios are printed. Run: ``python benchmarks/bench_epoch.py``
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy (and torch) are imported

import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import batchkit as bk  # noqa: E402

N, FEATURES, BATCH_SIZES, REPEATS = 60_000, 784, (32, 100, 256), 5
COPY_GOAL, TORCH_GOAL = 2.0, 8.0


def epoch_batchkit(X: np.ndarray, y: np.ndarray, batch_size: int) -> Callable[[], int]:
    loader = bk.BatchLoader(X, y, batch_size=batch_size, shuffle=True, seed=0)

    def run() -> int:
        return sum(len(yb) for _, yb in loader)  # every batch is gathered; touching len keeps it honest
    return run


def epoch_torch(X: np.ndarray, y: np.ndarray, batch_size: int) -> Callable[[], int] | None:
    try:
        import torch
        from torch.utils.data import DataLoader, TensorDataset
    except ImportError:
        return None
    torch.set_num_threads(1)
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(0))

    def run() -> int:
        return sum(len(yb) for _, yb in loader)
    return run


def interleaved_medians(contestants: dict[str, Callable[[], object]]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(REPEATS):
        for name, run in contestants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, FEATURES), dtype=np.float32)
    y = rng.integers(0, 10, N)
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    print(f"one shuffled epoch over {N} x {FEATURES} float32; numpy {np.__version__}, torch {torch_version or 'absent'}")
    print(f"{'b':>5s} {'batchkit ms':>12s} {'copy ms':>8s} {'bk/copy':>8s} {'torch ms':>9s} {'torch/bk':>9s}  goals")
    for b in BATCH_SIZES:
        contestants = {"batchkit": epoch_batchkit(X, y, b), "copy": X.copy}
        torch_run = epoch_torch(X, y, b)
        if torch_run is not None:
            contestants["torch"] = torch_run
        medians = interleaved_medians(contestants)
        copy_ratio = medians["batchkit"] / medians["copy"]
        goals = f"copy ratio <= {COPY_GOAL}: {'met' if copy_ratio <= COPY_GOAL else 'NOT met'}"
        torch_text = f"{'-':>9s} {'-':>9s}"
        if "torch" in medians:
            torch_ratio = medians["torch"] / medians["batchkit"]
            torch_text = f"{medians['torch'] * 1e3:9.0f} {torch_ratio:9.1f}"
            goals += f"; torch ratio >= {TORCH_GOAL}: {'met' if torch_ratio >= TORCH_GOAL else 'NOT met'}"
        print(f"{b:5d} {medians['batchkit'] * 1e3:12.1f} {medians['copy'] * 1e3:8.1f} {copy_ratio:8.2f} {torch_text}  {goals}")
    if torch_version is None:
        print("torch is not installed: the DataLoader comparison was skipped (pip install torch to run it)")


if __name__ == "__main__":
    main()
