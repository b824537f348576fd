"""Lesson 01's homework checks: steps per epoch and the fraction of distinct samples (warm-ups), and the expected
fraction of samples seen when every step draws its batch on its own (a derivation). The mini-batch loader the student
builds is checked in :mod:`batchkit.checks.minibatch_loader`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..counting import batches_per_epoch
from ..sampling import expected_fraction_seen
from ._core import Student, _as_number, _check_count, _fail, _passed, _recognise_number, _with_ignored

__all__ = ["check_steps_per_epoch", "check_distinct_fraction", "check_expected_fraction_seen"]  # what batchkit.checks exports

#: What lesson 01's exercises ask the student to write: batchkit's counting and sampling.
BLOCKED = ("counting.batches_per_epoch", "counting.total_steps", "counting.batch_sizes", "counting.describe_steps",
           "sampling.epoch_batch_indices", "sampling.iter_epochs", "sampling.batch_assignment", "loader.BatchLoader",
           "sampling.expected_distinct_fraction", "sampling.expected_fraction_seen")


def _alternatives(args: tuple, reference: Callable[..., int], changes: dict[int, Any]) -> dict[int, Any]:
    """The argument changes (position -> other value) that change the reference's count (and are valid for it)."""
    expected, changing = reference(*args), {}
    for index, other in changes.items():
        try:
            if reference(*[other if i == index else a for i, a in enumerate(args)]) != expected:
                changing[index] = other
        except ValueError:  # like drop_last=True with batch_size > n
            pass
    return changing


def check_steps_per_epoch(student: Callable[[int, int, bool], int]) -> None:
    """``student(n, batch_size, drop_last) -> int``: the number of batches in one epoch."""
    student = Student(student, "n, batch_size, drop_last", BLOCKED)
    rng = np.random.default_rng(101)
    cases = [(10, 3, False), (10, 3, True), (60000, 100, False), (5, 8, False)]
    cases += [(int(rng.integers(1, 500)), int(rng.integers(1, 60)), bool(rng.integers(0, 2))) for _ in range(30)]
    for n, b, drop_last in cases:
        if drop_last and b > n:
            continue
        mistakes = [(n / b, "n / b is a float, and not the number of batches when batch_size does not divide n")]
        if n % b == 0:
            mistakes.append((n // b + 1, "when batch_size divides n there is no smaller last batch: adding 1 to n // "
                                         "batch_size counts a batch that is empty"))
        if drop_last:
            mistakes.append((-(-n // b), "drop_last=True drops the last, smaller batch: round down, not up"))
        else:
            mistakes.append((n // b, "with drop_last=False the last, smaller batch is a step too: round up, not down"))
        case = f"n={n}, batch_size={b}, drop_last={drop_last}"
        changes = {1: b + 1, 2: not drop_last}
        _check_count("The number of steps per epoch", case, batches_per_epoch(n, b, drop_last),
                     student(case, n, b, drop_last),
                     "the number of batches (steps) in one epoch, an int; see lesson 01, section 3 (Counting steps)",
                     mistakes, lambda: student.ignored_argument(
                         case, (n, b, drop_last), _alternatives((n, b, drop_last), batches_per_epoch, changes)))
    _passed()


def check_distinct_fraction(student: Callable[[list, int], float]) -> None:
    """``student(batches, n) -> float``: the fraction of the n samples that appear at least once in ``batches``."""
    student = Student(student, "batches, n", BLOCKED)
    rng = np.random.default_rng(103)
    for n in [10, 100, 1000, *rng.integers(20, 500, size=3).tolist()]:
        size = int(rng.integers(2, 12))
        batches = [rng.integers(0, n, size=size) for _ in range(-(-n // size))]
        distinct = len(np.unique(np.concatenate(batches)))
        case = f"n={n} and one 'epoch' of batches of {size} drawn with replacement"
        got = student(case, batches, n)
        number = _as_number(got)
        if number is not None and np.isclose(number, distinct / n):
            continue
        mistakes = [(size * len(batches) / n, "that counts draws: a sample drawn twice or more still counts once"),
                    (distinct, "that is a number of samples: return it as a fraction of n, between 0 and 1"),
                    (1 - distinct / n, "that is the fraction of samples that were never drawn")]
        hint = _recognise_number(number, mistakes, "the fraction (a float between 0 and 1) of the n samples that "
                                 "appear in at least one batch; see lesson 01, section 5 (With or without replacement)")
        _fail("The fraction of distinct samples", case, distinct / n, got, hint)
    _passed()


# The derivation: the expected fraction of samples seen when every step draws its own batch ---------------------------


def _fraction_cases(seed: int) -> list[tuple[int, int, int, bool]]:
    """(n, batch_size, steps, replace): small n, where a large-n approximation is visibly off, up to n = 20000."""
    rng = np.random.default_rng(seed)
    cases = [(10, 1, 10, True), (10, 5, 2, False), (600, 300, 2, False), (600, 300, 2, True), (8, 8, 1, False)]
    for _ in range(25):
        n = int(np.exp(rng.uniform(np.log(3), np.log(20000))))
        b = int(rng.integers(1, n + 1)) if rng.random() < 0.5 else int(rng.integers(1, max(2, n // 10)))
        cases.append((n, b, int(rng.integers(1, 4 * -(-n // b) + 1)), bool(rng.integers(0, 2))))
    return cases + [(50, 4, 0, True)]


def check_expected_fraction_seen(student: Callable[[int, int, int, bool], float]) -> None:
    """``student(n, batch_size, steps, replace) -> float``: the expected fraction of the n samples drawn at least
    once in ``steps`` batches, each drawn on its own as ``rng.choice(n, batch_size, replace=replace)``."""
    student = Student(student, "n, batch_size, steps, replace", BLOCKED)
    for n, b, steps, replace in _fraction_cases(105):
        args = (n, b, steps, replace)
        case = f"n={n}, batch_size={b}, steps={steps}, replace={replace}"
        expected = expected_fraction_seen(*args)
        got = student(case, *args)
        number = None if isinstance(got, (bool, np.bool_)) else _as_number(got)
        if number is not None and np.isclose(number, expected, rtol=1e-9, atol=1e-12):
            continue
        if number is None:
            _fail("The expected fraction seen", case, expected, got, "return one float between 0 and 1")
        mistakes = [(1 - expected, "this is the probability that a given sample is never drawn: the expected "
                                   "fraction *not* seen"),
                    (100 * expected, "this is a percentage: return a fraction between 0 and 1"),
                    (min(1.0, b * steps / n), "this counts every draw as a new sample, but the batches are drawn "
                                              "independently: a later batch can draw a sample again"),
                    (-np.expm1(-b * steps / n), "this is the large-n approximation (the limit), not the exact value "
                                                "for this n")]
        if b > 1:
            mistakes.insert(0, (expected_fraction_seen(n, b, steps, not replace),
                                f"this is the expected fraction for replace={not replace}, not replace={replace}"))
            if replace:
                mistakes.append((expected_fraction_seen(n, 1, steps, True), "this counts one draw per step: a step draws "
                                                                    "batch_size indices"))
        changes = {0: 2 * n, 1: b + 1 if b < n else b - 1, 2: steps + 1, 3: not replace}
        alternatives = {i: v for i, v in changes.items() if not np.isclose(
            expected_fraction_seen(*[v if j == i else a for j, a in enumerate(args)]), expected, rtol=1e-12, atol=0)}
        hint = _with_ignored(lambda: student.ignored_argument(case, args, alternatives), next(
            (text for value, text in mistakes if np.isclose(number, value, rtol=1e-9, atol=1e-12)),
            "the expected fraction (a float between 0 and 1) of the n samples drawn at least once; see your "
            "derivation in part A"))
        _fail("The expected fraction seen", case, expected, got, hint)
    _passed()
