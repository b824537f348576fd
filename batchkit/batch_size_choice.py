"""Lesson 06's recipe as two functions (homework 06 derives and writes them): the batch size with the shortest time
to a target under a cost model, and the choice among measured batch sizes under a time budget.

The model: a step costs ``t(b) = t0 + c·b`` seconds (a fixed cost per step plus a cost per sample), and the steps to
a target follow ``s(b) = s_min (1 + b_crit / b)`` (:func:`batchkit.steps_to_target.fit_steps_model`). The time to
the target, ``T(b) = s(b) t(b)``, is smallest at ``b* = sqrt(b_crit · t0 / c)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_array, check_positive_int, check_real


def best_batch_size(b_crit: float, fixed_seconds: float, seconds_per_sample: float, largest_fitting: int) -> float:
    """The batch size in ``[1, largest_fitting]`` with the shortest time to the target under the model above.

    ``T`` has one minimum over the positive reals, so clipping ``b*`` to the allowed interval gives the best allowed
    batch size. With ``seconds_per_sample = 0`` a larger batch never costs more per step: the largest one fits best.
    """
    b_crit = check_real("b_crit", b_crit, low=0.0, low_inclusive=True)
    fixed_seconds = check_real("fixed_seconds", fixed_seconds, low=0.0, low_inclusive=True)
    seconds_per_sample = check_real("seconds_per_sample", seconds_per_sample, low=0.0, low_inclusive=True)
    largest_fitting = check_positive_int("largest_fitting", largest_fitting)
    if seconds_per_sample == 0:
        return float(largest_fitting)
    return float(min(max(np.sqrt(b_crit * fixed_seconds / seconds_per_sample), 1.0), largest_fitting))


def choose_batch_size(batch_sizes: Sequence[int], seconds_per_step: np.ndarray, steps_to_target: np.ndarray,
                      budget_seconds: float) -> int | None:
    """Among measured batch sizes, the one whose median time to target is smallest, of those within the budget.

    Parameters
    ----------
    batch_sizes : sequence of int, length k
    seconds_per_step : numpy.ndarray, shape (k,) or (seeds, k)
        The measured seconds of one step at each batch size.
    steps_to_target : numpy.ndarray, shape (seeds, k)
        Steps each seed needed to reach the target.
    budget_seconds : float
        A batch size fits if *every* seed's time to target (steps × seconds per step) is at most this (``inf``: no
        budget).

    Returns
    -------
    int or None
        The fitting batch size with the smallest median time (the smaller one on a tie: it needs less memory), or
        None when none fits.
    """
    sizes = [check_positive_int("batch_sizes entry", b) for b in batch_sizes]
    steps = check_array("steps_to_target", steps_to_target, ndim=(2,)).astype(float)
    seconds = check_array("seconds_per_step", seconds_per_step, ndim=(1, 2)).astype(float)
    if steps.shape[1] != len(sizes) or seconds.shape[-1] != len(sizes):
        raise ValueError(f"steps_to_target {steps.shape} and seconds_per_step {seconds.shape} need one column per "
                         f"batch size ({len(sizes)})")
    budget = float(budget_seconds)  # inf is allowed: no budget
    if isinstance(budget_seconds, bool) or not budget >= 0:
        raise ValueError(f"budget_seconds must be a number of seconds >= 0 (inf for no budget), got {budget_seconds!r}")
    times = steps * seconds  # (seeds, k): each seed's seconds to the target
    fits = times.max(axis=0) <= budget
    if not fits.any():
        return None
    median = np.where(fits, np.median(times, axis=0), np.inf)
    return sizes[int(np.flatnonzero(median == median.min())[0])]
