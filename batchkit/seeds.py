"""Replicates (반복 실험): run one experiment once per seed and summarize the spread. Used by every lesson.

A single training run is one draw from a random process: its initial weights, its shuffles and its batches all
come from a seed. A sentence that ranks two settings, or says "X helps", must survive a change of seed. So the
lessons run each comparison over at least five seeds (:data:`DEFAULT_SEEDS`), report the **median** and the
**range** (smallest to largest), and say "no difference was measured" where the ranges overlap.

>>> import numpy as np
>>> runs = over_seeds(lambda seed: np.random.default_rng(seed).normal(), seeds=5)
>>> runs.describe("{:.2f}")
'median 0.19 (range -0.65 to 2.04, 5 seeds)'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_positive_int

#: Seeds of every replicated experiment in the lessons: five, the fewest the series accepts for a comparison.
DEFAULT_SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Replicates:
    """One experiment's results, one row per seed.

    Attributes
    ----------
    seeds : tuple of int, length s
    values : numpy.ndarray, shape (s, ...)
        ``values[i]`` is the result for ``seeds[i]``: a number, or an array of the same shape for every seed (a
        curve, say). ``inf`` may stand for "never reached"; NaN is not allowed.
    """

    seeds: tuple[int, ...]
    values: np.ndarray

    @property
    def median(self) -> np.ndarray:
        """Median over seeds, shape ``values.shape[1:]`` (a 0-d array for numbers)."""
        return np.median(self.values, axis=0)

    @property
    def low(self) -> np.ndarray:
        """Smallest value over seeds, shape ``values.shape[1:]``."""
        return self.values.min(axis=0)

    @property
    def high(self) -> np.ndarray:
        """Largest value over seeds, shape ``values.shape[1:]``."""
        return self.values.max(axis=0)

    def __getitem__(self, index) -> Replicates:
        """The same seeds, one part of each result: for curves, ``runs[-1]`` holds every seed's last point."""
        return Replicates(self.seeds, self.values[(slice(None),) + (index if isinstance(index, tuple) else (index,))])

    def describe(self, number_format: str = "{:.3g}") -> str:
        """``'median 0.95 (range 0.91 to 0.96, 5 seeds)'`` for a result that is one number per seed."""
        if self.values.ndim != 1:
            raise ValueError(f"describe needs one number per seed, but each result has shape {self.values.shape[1:]}; "
                             "select one with runs[index] first")
        text = number_format.format
        return (f"median {text(float(self.median))} (range {text(float(self.low))} to {text(float(self.high))}, "
                f"{len(self.seeds)} seeds)")

    def overlaps(self, other: Replicates) -> np.ndarray | bool:
        """Whether the ranges [low, high] of ``self`` and ``other`` overlap (elementwise for array results).

        Overlapping ranges mean that these seeds measured no difference: no sentence may rank the two.
        """
        overlap = (self.low <= other.high) & (other.low <= self.high)
        return bool(overlap) if np.ndim(overlap) == 0 else overlap

    def wins_over(self, other: Replicates) -> int:
        """On how many seeds ``self`` is larger than ``other``: a paired comparison, seed by seed.

        Both must come from the same seeds, so that seed ``i`` of each shared its data, initialization and
        shuffles; "higher on 5 of 5 seeds" is then a stronger statement than overlapping ranges can make.
        """
        if self.seeds != other.seeds:
            raise ValueError(f"wins_over pairs results seed by seed, but the seeds differ: {self.seeds} and {other.seeds}")
        if self.values.ndim != 1 or other.values.ndim != 1:
            raise ValueError("wins_over compares one number per seed; select one with runs[index] first")
        return int(np.sum(self.values > other.values))


def over_seeds(experiment: Callable[[int], object], seeds: int | Sequence[int] = DEFAULT_SEEDS, *,
               report: Callable[[int, object], None] | None = None) -> Replicates | dict[str, Replicates]:
    """Run ``experiment(seed)`` for every seed and collect the results.

    Parameters
    ----------
    experiment : callable
        ``experiment(seed) -> result``. The result is a number, an array (the same shape for every seed), or a
        dict of names to numbers or arrays, so that one run can give several measurements (training and test
        accuracy, say) without training twice.
    seeds : int or sequence of int
        The seeds, or how many: ``5`` means ``(0, 1, 2, 3, 4)``.
    report : callable, optional
        ``report(seed, result)`` after each run, to print progress in a notebook.

    Returns
    -------
    Replicates, or dict of str to Replicates
        One row per seed; a dict when ``experiment`` returns dicts.

    Raises
    ------
    ValueError
        If a result holds NaN (use ``inf`` for "never reached"), or the results differ in shape or keys.
    """
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = tuple(range(check_positive_int("seeds", seeds)))
    elif isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError(f"seeds must be a number of seeds or a sequence of int seeds, got {seeds!r}")
    seeds = tuple(seeds)
    if not seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of non-negative int seeds, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must not repeat (a repeated seed is not a replicate), got {seeds!r}")
    results = []
    for seed in seeds:
        results.append(experiment(int(seed)))
        if report is not None:
            report(int(seed), results[-1])
    if isinstance(results[0], dict):
        keys = list(results[0])
        if any(not isinstance(r, dict) or list(r) != keys for r in results):
            raise ValueError(f"experiment must return dicts with the same keys {keys} for every seed")
        return {key: _stack(seeds, [r[key] for r in results], key) for key in keys}
    return _stack(seeds, results, "the result")


def _stack(seeds: tuple[int, ...], results: list, name: str) -> Replicates:
    shapes = {np.shape(r) for r in results}
    if len(shapes) != 1:
        raise ValueError(f"{name} must have the same shape for every seed, got shapes {sorted(shapes)}")
    values = np.asarray(results, dtype=float)
    if np.isnan(values).any():
        bad = [seed for seed, row in zip(seeds, values.reshape(len(seeds), -1)) if np.isnan(row).any()]
        raise ValueError(f"{name} holds NaN for seeds {bad}; return inf for 'never reached', and report a diverged "
                         "run as such rather than as a number")
    values.setflags(write=False)
    return Replicates(seeds, values)
