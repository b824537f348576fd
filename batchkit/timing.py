"""Measuring speed fairly: samples per second of step functions over a range of batch sizes.

Timing on a shared laptop is noisy. The protocol here keeps comparisons fair: every (method, batch size) pair is
warmed up first, then the repeats are *interleaved* in a fresh random order each round (so a slow moment of the
machine hits all contestants alike), and the median with the interquartile range is reported, never a single run.
Results depend on the machine: notebooks mark cells that print them so that nbval ignores them.
"""

from __future__ import annotations

import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import SeedLike, as_generator, check_nonnegative_int, check_positive_int


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
    blas_threads: int | None = 1,
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
    blas_threads : int or None
        Pin the BLAS thread pool to this many threads while measuring (with threadpoolctl, which scikit-learn
        installs; without it the setting is recorded as not applied). None leaves it alone.
    """
    repeats = check_positive_int("repeats", repeats)
    sizes = np.array([check_positive_int("batch_sizes[i]", b) for b in batch_sizes])
    if not methods:
        raise ValueError("methods is empty: give at least one function to time")
    batches = {b: make_batch(int(b)) for b in sizes}
    pairs = [(name, int(b)) for name in methods for b in sizes]
    calls = [(methods[name], batches[b]) for name, b in pairs]
    with blas_thread_limit(blas_threads) as pinned:
        times = interleaved_seconds(calls, repeats=repeats, warmup=warmup, seed=seed)
    seconds = dict(zip(pairs, times))
    rate = {(name, b): b / np.array(times) for (name, b), times in seconds.items()}
    quantiles = {name: np.array([np.percentile(rate[(name, int(b))], [25, 50, 75]) for b in sizes]) for name in methods}
    return Throughput(
        batch_sizes=sizes,
        median={name: q[:, 1] for name, q in quantiles.items()},
        q1={name: q[:, 0] for name, q in quantiles.items()},
        q3={name: q[:, 2] for name, q in quantiles.items()},
        settings={"repeats": repeats, "warmup": warmup, "blas_threads": blas_threads if pinned else "not pinned",
                  **machine_description()},
    )


def interleaved_seconds(calls: list[tuple[Callable[[Any], Any], Any]], *, repeats: int, warmup: int = 1,
                        seed: SeedLike = 0) -> np.ndarray:
    """Seconds of every call ``function(argument)``, each repeated ``repeats`` times in rounds.

    Every call is first made ``warmup`` times untimed. Then each round makes every call once, in a fresh random
    order, so that a slow moment of the machine hits all calls alike, and round r of one call can be compared
    with round r of another.

    Parameters
    ----------
    calls : list of (callable, argument), length c
    repeats : int
        Rounds.
    warmup : int
        Untimed calls first.
    seed : int or numpy.random.Generator
        For the random order within each round.

    Returns
    -------
    numpy.ndarray, shape (c, repeats)
    """
    repeats = check_positive_int("repeats", repeats)
    warmup = check_nonnegative_int("warmup", warmup)
    if not calls:
        raise ValueError("calls is empty: give at least one (function, argument) pair to time")
    rng = as_generator(seed)
    for function, argument in calls:
        for _ in range(warmup):
            function(argument)
    seconds = np.empty((len(calls), repeats))
    for round_ in range(repeats):
        for k in rng.permutation(len(calls)):  # a fresh interleaved order every round
            function, argument = calls[k]
            start = time.perf_counter()
            function(argument)
            seconds[k, round_] = time.perf_counter() - start
    return seconds


@dataclass(frozen=True)
class NeighbourComparison:
    """Throughput of batch size b against its neighbours b - 1 and b + 1, round by round, with a noise floor.

    Attributes
    ----------
    batch_sizes : numpy.ndarray of int, shape (k,)
        The sizes b compared with their neighbours.
    relative : numpy.ndarray, shape (k, rounds)
        Per round, ``rate(b) / mean(rate(b - 1), rate(b + 1)) - 1``: +0.10 means b was 10% faster.
    noise_floor : numpy.ndarray, shape (k, rounds)
        The same ratio with the neighbours replaced by two more timings of b itself, in the same rounds: what the
        comparison shows when there is no difference to find.
    settings : dict
        Rounds, warm-up, BLAS threads and the machine.
    """

    batch_sizes: np.ndarray
    relative: np.ndarray
    noise_floor: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)


def compare_with_neighbours(step: Callable[[np.ndarray], Any], make_batch: Callable[[int], np.ndarray],
                            batch_sizes: list[int], *, repeats: int = 15, seed: SeedLike = 0,
                            blas_threads: int | None = 1) -> NeighbourComparison:
    """Is b faster than b - 1 and b + 1? Time all three, and b twice more as a control, interleaved in rounds.

    Each round times, for every b, five calls in one random order: ``step`` on batches of b - 1, b, b + 1, and on
    two more batches of b (made separately, like the neighbours). The two extra timings of b stand in for the
    neighbours in :attr:`NeighbourComparison.noise_floor`: they measure how much the ratio moves when nothing
    but the machine changes.

    Parameters
    ----------
    step : callable
        ``step(batch)`` does the work to be timed.
    make_batch : callable
        ``make_batch(b)`` returns a batch of b samples; called outside the timing.
    batch_sizes : list of int, length k
        Each >= 2 (b - 1 must be a batch).
    repeats : int
        Rounds.
    seed : int or numpy.random.Generator
        For the order within each round.
    blas_threads : int or None
        BLAS threads while timing.
    """
    sizes = np.array([check_positive_int("batch_sizes[i]", b) for b in batch_sizes])
    if len(sizes) == 0 or sizes.min() < 2:
        raise ValueError(f"batch_sizes must be a non-empty list of sizes >= 2 (b - 1 is timed too), got {batch_sizes}")
    offsets = (-1, 0, 1, 0, 0)  # below, b, above, and b twice more for the noise floor
    calls = [(step, make_batch(int(b + offset))) for b in sizes for offset in offsets]
    with blas_thread_limit(blas_threads) as pinned:
        seconds = interleaved_seconds(calls, repeats=repeats, seed=seed)
    batch = (sizes[:, None] + np.array(offsets)[None, :]).reshape(-1, 1)
    rate = (batch / seconds).reshape(len(sizes), len(offsets), -1)  # (k, 5, rounds), samples per second
    relative = rate[:, 1] / ((rate[:, 0] + rate[:, 2]) / 2) - 1
    noise_floor = rate[:, 1] / ((rate[:, 3] + rate[:, 4]) / 2) - 1
    return NeighbourComparison(sizes, relative, noise_floor,
                               {"repeats": repeats, "blas_threads": blas_threads if pinned else "not pinned",
                                **machine_description()})


@contextmanager
def blas_thread_limit(threads: int | None):
    """Limit the BLAS thread pool inside the block, with threadpoolctl when it is installed.

    Yields True when the limit is in force, False when it could not be applied (threadpoolctl missing) or was
    not asked for.
    """
    if threads is None:
        yield False
        return
    check_positive_int("threads", threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield False
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield True


def machine_description() -> dict[str, Any]:
    """What a measurement ran on: processor, core count, numpy version and its BLAS library."""
    description: dict[str, Any] = {"machine": platform.machine(), "processor": _processor_name(),
                                   "cores": os.cpu_count(), "python": platform.python_version(),
                                   "numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        description["blas"] = "unknown (threadpoolctl not installed)"
    else:
        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture', '?')})"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        description["blas"] = ", ".join(blas) or "unknown"
    return description


def peak_memory(step: Callable[[np.ndarray], Any], batch: np.ndarray) -> int:
    """Peak bytes allocated while ``step(batch)`` runs, above what was allocated before (tracemalloc).

    numpy reports its array buffers to tracemalloc, so this counts every array the step creates: activations,
    gradients, temporaries. It does not count memory allocated outside Python's and numpy's allocators.
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        step(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(0, peak - before)


def _processor_name() -> str:
    """The CPU model: from /proc/cpuinfo on Linux, where ``platform.processor()`` is often empty."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
