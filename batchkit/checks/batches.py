"""Lesson 01's homework checks: steps per epoch, total steps, epoch indices, distinct fraction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..counting import batches_per_epoch
from ._core import Student, _as_number, _check_count, _fail, _passed, _recognise_number

#: What lesson 01's exercises ask the student to write: batchkit's counting and sampling.
BLOCKED = ("counting.batches_per_epoch", "counting.total_steps", "counting.batch_sizes", "counting.describe_steps",
           "sampling.epoch_batch_indices", "sampling.iter_epochs", "sampling.batch_assignment", "loader.BatchLoader")


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


def _reference_total(n: int, b: int, epochs: int, drop_last: bool) -> int:
    return epochs * batches_per_epoch(n, b, drop_last)


def check_total_steps(student: Callable[[int, int, int, bool], int]) -> None:
    """``student(n, batch_size, epochs, drop_last) -> int``: parameter updates in a whole training run.

    While it runs, a ``steps_per_epoch`` it calls is the reference: a mistake there fails only its own check.
    """
    student = Student(student, "n, batch_size, epochs, drop_last", BLOCKED, {"steps_per_epoch": batches_per_epoch})
    rng = np.random.default_rng(102)
    cases = [(60000, 100, 5, False), (50000, 128, 10, True), (10, 3, 0, False)]
    cases += [(int(rng.integers(5, 500)), int(rng.integers(1, 5)), int(rng.integers(1, 6)), bool(rng.integers(0, 2)))
              for _ in range(20)]
    for n, b, epochs, drop_last in cases:
        whole = ("n * epochs / batch_size counts only when batch_size divides n: every epoch ends with its own "
                 "last, smaller batch (unless drop_last drops it)")
        mistakes = [(n * epochs / b, whole), (n * epochs // b, whole), (-(-n * epochs // b), whole)]
        if epochs > 1:
            mistakes.append((batches_per_epoch(n, b, drop_last), "that is the count of one epoch; the run has "
                                                                   f"{epochs} epochs"))
        case = f"n={n}, batch_size={b}, epochs={epochs}, drop_last={drop_last}"
        args = (n, b, epochs, drop_last)
        changes = {2: epochs + 1, 3: not drop_last}
        _check_count("The number of steps", case, _reference_total(*args), student(case, *args),
                     "the number of parameter updates (one per batch) in the whole run, an int; see lesson 01, "
                     "section 3 (Counting steps)", mistakes,
                     lambda: student.ignored_argument(case, args, _alternatives(args, _reference_total, changes)))
    _passed()


def _epoch(got: Any, case: str) -> list[np.ndarray]:
    """The batches of one epoch as 1-D arrays; fail if ``got`` is not a list of 1-D arrays."""
    expected = "a list of 1-D arrays of sample indices, one per batch"
    if not isinstance(got, (list, tuple, np.ndarray)) or isinstance(got, np.ndarray) and got.ndim != 2:
        _fail("The return value", case, expected, got, "return a list with one array of indices per batch")
    batches = [np.asarray(batch) for batch in got]
    if any(batch.ndim != 1 for batch in batches):
        _fail("The batches", case, expected, [np.shape(batch) for batch in batches],
              "each batch is a 1-D array of the indices (0 .. n-1) of its samples")
    return batches


def _check_one_epoch(batches: list[np.ndarray], n: int, b: int, case: str) -> None:
    sizes = [len(batch) for batch in batches]
    expected_sizes = [b] * (n // b) + ([n % b] if n % b else [])
    if sizes != expected_sizes:
        _fail("The batch sizes of one epoch", case, expected_sizes, sizes,
              "every batch has batch_size samples except the last, which holds the rest")
    seen = np.concatenate(batches)
    if not np.issubdtype(seen.dtype, np.integer):
        _fail("The indices of one epoch", case, "integer sample indices", f"dtype {seen.dtype}",
              "a batch holds the indices of its samples, integers from 0 to n - 1")
    if not np.array_equal(np.sort(seen), np.arange(n)):
        repeated = len(seen) - len(np.unique(seen))
        missing = n - len(np.intersect1d(seen, np.arange(n)))
        hint = ("some indices repeat and others are missing: that is sampling with replacement, not an epoch. "
                "In one epoch every sample is used exactly once (lesson 01, section 5)" if repeated else
                "an epoch uses every index 0 .. n-1 exactly once (lesson 01, section 4)")
        _fail("The indices of one epoch", case, f"each of 0..{n - 1} exactly once",
              f"{repeated} index(es) repeated, {missing} missing", hint)


def _flat_epoch(student: Student, rng: np.random.Generator) -> np.ndarray:
    case = "n=40, batch_size=8"
    return np.concatenate(_epoch(student(case, 40, 8, rng), case))


def check_epoch_indices(student: Callable[[int, int, np.random.Generator], list]) -> None:
    """``student(n, batch_size, rng) -> list of index arrays``: one shuffled epoch without replacement."""
    student = Student(student, "n, batch_size, rng", BLOCKED)
    draw = np.random.default_rng(104)
    cases = [(10, 3), (12, 4), (50, 7), (7, 10)]
    cases += [(int(draw.integers(1, 200)), int(draw.integers(1, 40))) for _ in range(6)]
    for n, b in cases:
        case = f"n={n}, batch_size={b}"
        _check_one_epoch(_epoch(student(case, n, b, np.random.default_rng(n)), case), n, b, case)
    rng = np.random.default_rng(1)
    first, second = _flat_epoch(student, rng), _flat_epoch(student, rng)
    fresh = "an epoch visits the samples in a random order drawn from rng, a fresh permutation every epoch"
    if np.array_equal(first, np.arange(40)):
        _fail("The order of an epoch", "n=40, batch_size=8", "a shuffled order", "0, 1, 2, ... in order",
              f"the samples come in their stored order: {fresh} (lesson 01, section 4)")
    if np.array_equal(first, second):
        _fail("Two successive epochs", "n=40, batch_size=8, the same Generator", "two different orders",
              "the same order twice", f"{fresh}; do not re-seed or create a new Generator inside the function")
    _check_uses_rng(student)
    _passed()


def _check_uses_rng(student: Student) -> None:
    """Two fresh Generators with the same seed give the same epoch; another seed gives another epoch."""
    hint = "draw from the rng argument, not from np.random (or a Generator of your own)"
    once, again = (_flat_epoch(student, np.random.default_rng(7)) for _ in range(2))
    if not np.array_equal(once, again):
        _fail("The epoch", "n=40, batch_size=8 and two Generators made with the same seed",
              "the same order from both", "two different orders", hint)
    if np.array_equal(once, _flat_epoch(student, np.random.default_rng(8))):
        _fail("The epoch", "n=40, batch_size=8 and Generators made with two different seeds",
              "two different orders", "the same order from both", hint)


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
