"""Measuring speed fairly: samples per second of step functions over a range of batch sizes.

Timing on a shared laptop is noisy. The protocol here keeps comparisons fair: every (method, batch size) pair is
warmed up first, then the repeats are *interleaved* in a fresh random order each round (so a slow moment of the
machine hits all contestants alike), and the median with the interquartile range is reported, never a single run.
Results depend on the machine: notebooks mark cells that print them so that nbval ignores them.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import SeedLike, as_generator, check_positive_int


@dataclass(frozen=True)
class Throughput:
    """Samples per second of each method at each batch size.

    Attributes
    ----------
    batch_sizes : numpy.ndarray of int, shape (k,)
    median, q1, q3 : dict of str to numpy.ndarray, shape (k,)
        Median and quartiles of samples per second, by method name.
    settings : dict
        How it was measured: repeats, warm-up, and the machine and numpy version.
    """

    batch_sizes: np.ndarray
    median: dict[str, np.ndarray]
    q1: dict[str, np.ndarray]
    q3: dict[str, np.ndarray]
    settings: dict[str, Any] = field(default_factory=dict)


def measure_throughput(
    methods: dict[str, Callable[[np.ndarray], Any]],
    make_batch: Callable[[int], np.ndarray],
    batch_sizes: list[int],
    *,
    repeats: int = 7,
    warmup: int = 1,
    seed: SeedLike = 0,
) -> Throughput:
    """Time ``method(batch)`` for every method and batch size, interleaved, and convert to samples per second.

    Parameters
    ----------
    methods : dict of str to callable
        Each takes one batch (made by ``make_batch``) and does the work to be timed.
    make_batch : callable
        ``make_batch(b)`` returns a batch of ``b`` samples. Made once per batch size, outside the timing.
    batch_sizes : list of int
    repeats, warmup : int
        Timed and untimed calls of each (method, batch size) pair.
    seed : int or numpy.random.Generator
        For the random order of the repeats.
    """
    repeats = check_positive_int("repeats", repeats)
    sizes = np.array([check_positive_int("batch size", b) for b in batch_sizes])
    if not methods:
        raise ValueError("methods is empty: give at least one function to time")
    rng = as_generator(seed)
    batches = {b: make_batch(int(b)) for b in sizes}
    pairs = [(name, int(b)) for name in methods for b in sizes]
    for name, b in pairs:
        for _ in range(warmup):
            methods[name](batches[b])
    seconds = {pair: [] for pair in pairs}
    for _ in range(repeats):
        for k in rng.permutation(len(pairs)):  # a fresh interleaved order every round
            name, b = pairs[k]
            start = time.perf_counter()
            methods[name](batches[b])
            seconds[(name, b)].append(time.perf_counter() - start)
    rate = {(name, b): b / np.array(times) for (name, b), times in seconds.items()}
    quantiles = {name: np.array([np.percentile(rate[(name, int(b))], [25, 50, 75]) for b in sizes]) for name in methods}
    return Throughput(
        batch_sizes=sizes,
        median={name: q[:, 1] for name, q in quantiles.items()},
        q1={name: q[:, 0] for name, q in quantiles.items()},
        q3={name: q[:, 2] for name, q in quantiles.items()},
        settings={"repeats": repeats, "warmup": warmup, "machine": platform.machine(),
                  "processor": platform.processor() or "unknown", "numpy": np.__version__},
    )
