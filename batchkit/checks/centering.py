"""Lesson 03's homework, the part its two check modules share: what the exercises block, a comparison with a
tolerance, and the messages about an input changed in place or an argument ignored.

Homework 03's checks are in :mod:`batchkit.checks.conditioning` (exercises 1 and 2: the Hessian's eigenvalues and the
step count of gradient descent) and :mod:`batchkit.checks.streaming` (exercises 3 to 5: batch statistics, merging
them, a standardizer fitted in one pass).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..gradcheck import rel_error
from ._core import Mistake, _as_array, _compare, _fail, _same, _with_ignored

__all__: list[str] = []  # the checks are in conditioning and streaming

#: What lesson 03's exercises ask the student to write: batchkit's centering and batch statistics.
BLOCKED = ("centering.batch_center", "centering.Centerer", "batch_ops.batch_mean", "batch_ops.batch_sum",
           "statistics.batch_mean_var", "normalization.mean_and_variance")
#: Homework 03 also blocks the sums of lesson 03, section 3 (the careful one is the exercise) and section 2's
#: conditioning (the eigenvalues and the step count are the exercise).
STATISTICS = BLOCKED + ("statistics.pairwise_sum", "statistics.running_sum", "statistics.naive_variance",
                        "statistics.batch_statistics", "statistics.merge_statistics")
CONDITIONING = ("conditioning.condition_number", "conditioning.best_learning_rate", "conditioning.factor_per_step",
                "conditioning.excess_loss_after", "conditioning.steps_to_tolerance",
                "conditioning.centering_experiment", "conditioning.steps_at_best_rate", "linreg.hessian",
                "linreg.hessian_eigenvalues")
PART_A = "see your part A and lesson 03, section 2"
Stats = tuple[int, np.ndarray, np.ndarray]  # (count, mean, m2) of a batch, as exercises 3 and 4 pass them


def _check(what: str, case: str, expected: np.ndarray, got: Any, hint: str, mistakes: Sequence[Mistake] = (), *,
           atol: np.ndarray | float | None = None, rtol: float = 1e-9, diagnose: Callable[[], str] | None = None
           ) -> None:
    """Fail unless ``got`` has the shape of ``expected`` and is within ``atol`` of it entry by entry (when given) or
    within ``rtol`` by :func:`rel_error`. A mistake is recognised within the same tolerance; ``diagnose()`` may name
    an ignored argument."""
    expected = np.asarray(expected, dtype=np.float64)

    def near(value: Any, array: np.ndarray | None) -> bool:
        value = _as_array(value)
        if array is None or value is None or value.shape != array.shape:
            return False
        return bool(np.all(np.abs(array - value) <= atol)) if atol is not None else rel_error(value, array) <= rtol

    array = _as_array(got)
    if near(expected, array):
        return
    hint = next((h for value, h in mistakes if near(value, array)), hint)
    _compare(what, case, expected, got, _with_ignored(diagnose if array is not None else None, hint), tolerance=-1.0)


def _in_place(name: str, case: str, hint: str = "") -> None:
    _fail(f"The input `{name}`", case, f"`{name}` unchanged by the call", f"`{name}` changed in place",
          hint or f"your function changed the arrays of its input `{name}` in place; build new arrays")


def _ignores(name: str, first: Any, second: Callable[[], Any]) -> str:
    """A hint naming the argument ``name`` if ``second()``, the result for another value of it, equals ``first``."""
    return (f"your function gives the same result for another `{name}`: it ignores its `{name}` argument; use the "
            "value it is given" if _same(first, second()) else "")
