"""Homework 03, exercises 3 to 5 (lesson 03, sections 3 and 5, for data that arrives in batches): a batch's
(count, mean, m2) accurate in float32, merging two batches' statistics, and a standardizer fitted in one pass over a
stream of batches. The references are :func:`batchkit.statistics.batch_statistics` and
:func:`batchkit.statistics.merge_statistics`; the standardizer's check replaces the student's functions of the same
names by them.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..statistics import batch_statistics, merge_statistics
from ._core import Mistake, Student, _as_array, _as_number, _fail, _is_int, _parts, _passed, _with_ignored
from .centering import STATISTICS, Stats, _check, _ignores, _in_place

__all__ = ["check_batch_statistics", "check_merge_statistics", "check_standardizer"]  # what batchkit.checks exports


# Exercise 3: one batch's statistics, accurate in float32 ---------------------------------------------------------


def _statistics_batches(rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Small float64 batches (one of a single sample), then float32 data of 50000 to 70000 rows around 5000 to
    20000, where numpy's float32 mean down axis 0 is off by several standard deviations."""
    for rows in (int(rng.integers(3, 40)), 1, int(rng.integers(3, 40))):
        features = int(rng.integers(2, 7))
        yield rng.normal(rng.normal(0.0, 5.0, features), rng.uniform(0.5, 3.0, features), (rows, features))
    features = int(rng.integers(2, 6))
    yield (rng.uniform(5e3, 2e4, features) + rng.uniform(0.5, 2.0, features)
           * rng.standard_normal((int(rng.integers(50000, 70000)), features))).astype(np.float32)


def _check_count(case: str, expected: int, got: Any, hint: str, diagnose: Callable[[], str] | None = None) -> None:
    number = _as_number(got)
    if _is_int(got) and got == expected:
        return
    _fail("count", case, expected, got, f"the count is right, but it is a {type(got).__name__}: return an int"
          if number == expected else _with_ignored(diagnose, hint))


def check_batch_statistics(student: Callable[[np.ndarray], tuple]) -> None:
    """``student(X) -> (count, mean, m2)`` of a batch X (rows are samples), accurate in float32 far from 0.

    Accumulating float32 data in float64 is accepted: batchkit's own statistics do it, and the homework discusses it.
    """
    student = Student(student, "X", STATISTICS)
    for X in _statistics_batches(np.random.default_rng(3033)):
        single = X.dtype == np.float32
        case = (f"float32 data of shape {X.shape} around {X[0].min():.0f} to {X[0].max():.0f}" if single else
                f"X of shape {X.shape}, float64")
        count, mean, m2 = _parts(student(case, X), "count, mean, m2", case)
        rows, expected_mean, expected_m2 = batch_statistics(X)
        _check_count(case, rows, count, "count is the number of samples in the batch (rows of X)")
        std = np.sqrt(expected_m2 / rows)
        shift = (X.astype(np.float64) - X.mean(axis=0)) if single else None  # numpy's float32 mean, off here
        numpy_mean = (f"this matches numpy's float32 mean down axis 0, which is off here: a running sum over {rows} "
                      "rows near 10⁹ is rounded at every step; see lesson 03, section 3")
        _check("mean", case, expected_mean, mean, "one mean per feature (column), shape (features,); see lesson 03, "
               "section 1", [(X.mean(axis=0), numpy_mean)] if single else (),
               atol=1e-2 * std if single else None)
        mistakes = [(expected_m2 / rows, "m2 is the sum of the squared deviations from the mean, not their mean "
                                         "(exercise 4 adds such sums)")]
        if rows > 1:
            mistakes.append((expected_m2 / (rows - 1), "that is the unbiased variance; m2 is the sum of the squared "
                                                       "deviations from the mean"))
        if single:
            mistakes += [((shift**2).sum(axis=0), numpy_mean),
                         (rows * ((X * X).mean(axis=0) - X.mean(axis=0) ** 2),
                          "E[x²] - E[x]² cancels catastrophically in float32: two nearly equal numbers near 10⁸ "
                          "are subtracted, and float32 keeps about 7 digits; see lesson 03, section 3")]
        m2_array = np.asarray(m2, dtype=float) if np.shape(m2) == expected_m2.shape else None
        negative = m2_array is not None and bool((m2_array < 0).any())
        _check("m2", case, expected_m2, m2, "a sum of squares cannot be negative: two large, nearly equal numbers "
               "were subtracted (lesson 03, section 3); sum the squared deviations from the mean instead" if negative
               else "one sum of squared deviations from the mean per feature, shape (features,), accurate to 1e-3 "
               "relative also in float32 far from 0; see lesson 03, section 3",
               mistakes, atol=1e-3 * expected_m2 if single else None)
    _passed()


# Exercise 4: merging two batches' statistics -------------------------------------------------------------------


def _merge_cases(rng: np.random.Generator) -> Iterator[tuple[Stats, Stats]]:
    """Pairs of statistics of real batches whose means differ by 1 to 4 standard deviations: any sizes, one sample
    and many, float32 batches around 5000 to 20000, and the empty start state (count 0) with a batch."""
    sizes = [rng.integers(2, 40, 2), (1, rng.integers(20, 60)), (rng.integers(30, 80), rng.integers(2, 6)),
             (rng.integers(200, 800), rng.integers(1500, 3000)), (0, rng.integers(5, 30))]
    for number, (count_a, count_b) in enumerate(sizes):
        features, single = int(rng.integers(2, 6)), number == 3
        offset = rng.uniform(5e3, 2e4, features) if single else rng.normal(0.0, 5.0, features)
        spread = rng.uniform(0.5, 2.0, features)
        gap = rng.uniform(1.0, 4.0, features) * rng.choice([-1.0, 1.0], features) * spread

        def statistics(rows: int, center: np.ndarray) -> Stats:
            if rows == 0:
                return 0, np.zeros(features, dtype=np.float32 if single else np.float64), np.zeros(features)
            data = (center + spread * rng.standard_normal((int(rows), features))).astype(
                np.float32 if single else np.float64)
            count, mean, m2 = batch_statistics(data)
            return int(count), mean.astype(data.dtype), m2.astype(data.dtype)
        yield statistics(count_a, offset), statistics(count_b, offset + gap)


def _copy_stats(stats: Stats) -> Stats:
    return tuple(np.array(value) if isinstance(value, np.ndarray) else value for value in stats)


def _merge_mistakes(first: Stats, second: Stats, merged: Stats) -> tuple[list[Mistake], list[Mistake]]:
    (count_a, mean_a, m2_a), (count_b, mean_b, m2_b) = [tuple(np.asarray(v, dtype=np.float64) for v in s)
                                                          for s in (first, second)]
    count, _, m2 = merged
    between = (mean_b - mean_a) ** 2 * (count_a * count_b / count)
    means = [((mean_a + mean_b) / 2, f"the merged mean weights each batch by its count (here {count_a:g} and "
                                     f"{count_b:g} samples)"),
             ((count_b * mean_a + count_a * mean_b) / count, "the weights are swapped: the merged mean lies closer "
                                                             "to the mean of the batch with more samples")]
    sums = [(m2_a + m2_b, "this leaves out how far apart the two means are: about the merged mean, the values of "
                          "each batch spread more than about their own batch's mean"),
            (m2_a + m2_b + between * count, f"the term for the distance between the two means is too large by a "
                                            f"factor count_a + count_b = {count:g}"),
            (m2_a + m2_b + between / count, f"the term for the distance between the two means is too small by a "
                                            f"factor count_a + count_b = {count:g}"),
            (m2 / count, "that is the merged variance: return m2, the sum of squared deviations, as "
                         "batch_statistics does")]
    return means, sums


def check_merge_statistics(student: Callable[[tuple, tuple], tuple]) -> None:
    """``student(first, second) -> (count, mean, m2)`` of two batches together, from each batch's (count, mean, m2)."""
    student = Student(student, "first, second", STATISTICS)
    rng = np.random.default_rng(3034)
    for first, second in _merge_cases(rng):
        single = first[1].dtype == np.float32
        case = (f"first with count {first[0]}, second with count {second[0]}, {len(second[1])} features, "
                f"{first[1].dtype}")
        given = (_copy_stats(first), _copy_stats(second))
        got = _parts(student(case, *given), "count, mean, m2", case)
        for name, before, after in zip(("first", "second"), (first, second), given):
            if not all(np.array_equal(a, b) for a, b in zip(before[1:], after[1:])):
                _in_place(name, case)
        merged = merge_statistics(first, second)
        means, sums = _merge_mistakes(first, second, merged)
        other = batch_statistics(rng.normal(size=(3, len(second[1]))))

        def ignored() -> str:  # the first argument whose change leaves the result unchanged, if any
            return "" if first[0] == 0 else (_ignores("first", got, lambda: student(case, other, second))
                                             or _ignores("second", got, lambda: student(case, first, other)))
        _check_count(case, merged[0], got[0], f"the merged statistics describe the samples of both batches, "
                                              f"{merged[0]} in all", ignored)
        if first[0] == 0 and not all(np.all(np.isfinite(v)) for v in map(_as_array, got[1:]) if v is not None):
            _fail("mean, m2", case, merged[1:], got[1:], "merging the empty statistics (count 0) with a batch must "
                  "give that batch's statistics: avoid dividing by a count that can be 0")
        for what, expected, value, mistakes, tolerance, hint in (
                ("mean", merged[1], got[1], means, 1e-6, "the mean of all the samples of both batches"),
                ("m2", merged[2], got[2], sums, 1e-5, "the sum of the squared deviations of all the samples of both "
                                                      "batches from the merged mean")):
            _check(what, case, expected, value, f"{hint}, shape (features,); see lesson 03, section 3", mistakes,
                   rtol=tolerance if single else 1e-10, diagnose=ignored)
    _passed()


# Exercise 5: a standardizer fitted in one pass over a stream of batches ----------------------------------------


class _Stream:
    """Training batches as a data loader hands them out: views of one array, in order, readable once."""

    def __init__(self, data: np.ndarray, sizes: list[int]) -> None:
        self.data, self.sizes, self.reads = data, sizes, 0

    def __iter__(self) -> Iterator[np.ndarray]:
        self.reads += 1
        ends = np.cumsum(self.sizes)
        return iter(()) if self.reads > 1 else (self.data[end - size:end] for size, end in zip(self.sizes, ends))


def _training_data(rng: np.random.Generator, dtype: type, offsets: tuple[float, float], features: int
                   ) -> tuple[np.ndarray, list[int], int]:
    """Data recorded over time (its mean drifts by four standard deviations from start to end), one feature of it
    constant (a whole number); cut into 10 to 30 batches of 500 to 2000 rows and a smaller last one. Returns the data,
    the batch sizes and the constant feature."""
    batch = int(rng.integers(500, 2000))
    rows = batch * int(rng.integers(10, 30)) + int(rng.integers(1, batch // 3))
    spread = rng.uniform(0.3, 3.0, features)
    drift = np.linspace(-2.0, 2.0, rows)[:, None] * spread
    data = (rng.uniform(*offsets, features) + drift + spread * rng.standard_normal((rows, features))).astype(dtype)
    constant = int(rng.integers(features))
    data[:, constant] = np.round(data[0, constant])  # a whole number: every sum of it is exact, so its variance is 0
    return data, [batch] * (rows // batch) + [rows % batch], constant


def _standardized(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mean_ and scale_ (the biased standard deviation, 1 for a constant feature) of the training data."""
    _, mean, m2 = batch_statistics(data)
    std = np.sqrt(m2 / len(data))
    return mean, np.where(std > 0, std, 1.0)


def _runner(cls: type) -> Callable[..., tuple]:
    """A function of (batches, X[, earlier]) that fits a new ``cls`` (first on ``earlier``, if given), transforms X,
    and returns (out, mean_, scale_, what fit returned or "self"). It runs with the globals of the student's class,
    so that the student's other exercise functions it calls can be replaced by the references."""
    def run(batches, X, earlier=None):
        scaler = cls()
        if earlier is not None:
            scaler.fit(earlier)
        returned = scaler.fit(batches)
        with quiet(divide="ignore", invalid="ignore"):  # a scale of 0 is reported by the check, with a hint
            out = scaler.transform(X)
        return out, getattr(scaler, "mean_", None), getattr(scaler, "scale_", None), (
            "self" if returned is scaler else returned)
    quiet = np.errstate
    home = getattr(getattr(cls, "fit", None), "__globals__", None)
    return run if home is None else types.FunctionType(run.__code__, home, "run", run.__defaults__, run.__closure__)


def check_standardizer(student: type) -> None:
    """``student`` is a class: ``student().fit(batches)`` learns mean_ and scale_ in one pass over a stream of
    batches and returns itself; ``transform(X)`` returns ``(X - mean_) / scale_``, with scale 1 for a constant
    feature."""
    if not (isinstance(student, type) and callable(getattr(student, "fit", None))
            and callable(getattr(student, "transform", None))):
        _fail("The argument of check_standardizer", "your Standardizer", "the class Standardizer, with methods fit "
              "and transform", student, "pass the class itself, check_standardizer(Standardizer), not an instance "
              "or a function")
    run = Student(_runner(student), "batches, X", STATISTICS, {"batch_statistics": batch_statistics,
                                                               "merge_statistics": merge_statistics})
    rng = np.random.default_rng(3035)
    features = int(rng.integers(3, 6))
    data, sizes, constant = _training_data(rng, np.float32, (5e3, 2e4), features)
    mean, scale = _standardized(data)
    X = (mean + scale * rng.normal(0.5, 1.0, (int(rng.integers(4, 12)), features))).astype(np.float32)
    case = (f"float32 training data of shape {data.shape} around {mean.min():.0f} to {mean.max():.0f} in "
            f"{len(sizes)} batches (feature {constant} constant), X of shape {X.shape}")
    stream, saved = _Stream(data, sizes), data.copy()
    out, got_mean, got_scale, returned = run(case, stream, X)
    if not np.array_equal(data, saved):
        _in_place("batches", case, "your fit changed the batches in place; they are views of the training data, "
                                   "which a loader hands out again in the next epoch: build new arrays")
    again = ("fit read `batches` a second time and got nothing more: batches is a stream that can be read once (as "
             "from a loader over data too large for memory), so merge each batch's statistics as it arrives. One "
             if stream.reads > 1 else "one ")
    if not (isinstance(returned, str) and returned == "self"):
        _fail("fit(batches)", case, "the Standardizer itself (self)", returned, "fit returns self, so that "
              "Standardizer().fit(batches).transform(X) works, as in scikit-learn")
    X64 = X.astype(np.float64)
    equal_weights = np.mean([batch_statistics(batch)[1] for batch in _Stream(data, sizes)], axis=0)
    _check("mean_", case, mean, got_mean, again + "mean per feature, of all the training samples; see lesson 03, "
           "sections 3 and 5", [(X64.mean(axis=0), "mean_ holds the mean of X: fit learns the statistics from the "
                                                   "training batches, and transform only applies them"),
                                (equal_weights, f"the batches have different sizes (the last has {sizes[-1]} rows, "
                                                f"the others {sizes[0]}): weight each batch by its count"),
                                (np.concatenate(list(_Stream(data, sizes))).mean(axis=0),
                                 "this matches numpy's float32 mean of the data, which is off here (lesson 03, section "
                                 "3): fit with your batch_statistics and merge_statistics")],
           atol=1e-2 * scale)
    without_constant = np.where(np.arange(features) == constant, 0.0, scale)
    float32_std = np.concatenate(list(_Stream(data, sizes))).std(axis=0)
    _check("scale_", case, scale, got_scale, again + "scale per feature: the training data's (biased) standard "
           "deviation, and 1 for a feature that is constant in the training data; see lesson 03, sections 3 and 5",
           [(without_constant, f"feature {constant} is constant in the training data (variance 0): its scale_ must "
                               "be 1, as in scikit-learn's StandardScaler, so that transform returns x - mean there "
                               "instead of dividing by 0"),
            (np.where(np.arange(features) == constant, 1.0, scale**2), "scale_ holds the variance: it is the "
                                                                         "standard deviation"),
            (float32_std, "this matches numpy's float32 standard deviation of the data, which is off here (lesson "
                          "03, section 3): fit with your batch_statistics and merge_statistics")],
           atol=1e-3 * scale)
    _check_transform(case, X, mean, scale, out, lambda: run(case, _Stream(data, sizes), X + scale)[0])

    # A second fit forgets the first data; transform works on any data (here one float64 row).
    first, first_sizes, _ = _training_data(rng, np.float64, (-50.0, 50.0), features)
    data, sizes, constant = _training_data(rng, np.float64, (-50.0, 50.0), features)
    mean, scale = _standardized(data)
    X = rng.normal(mean, scale, (1, features))
    case = f"fit on {first.shape[0]} rows, then fit again on {data.shape[0]} rows (float64), X of shape {X.shape}"
    out, got_mean, got_scale, _ = run(case, _Stream(data, sizes), X, _Stream(first, first_sizes))
    both = np.concatenate([first, data])
    refit = "a second fit must start afresh: these are the statistics of both data sets it was fitted on"
    _check("mean_", case, mean, got_mean, "the mean of the data of the last fit; see lesson 03, section 5",
           [(both.mean(axis=0), refit)], atol=1e-6 * scale)
    _check("scale_", case, scale, got_scale, "the scale of the data of the last fit; see lesson 03, section 5",
           [(both.std(axis=0), refit)], atol=1e-6 * scale)
    _check_transform(case, X, mean, scale, out)
    _passed()


def _check_transform(case: str, X: np.ndarray, mean: np.ndarray, scale: np.ndarray, out: Any,
                     other: Callable[[], Any] | None = None) -> None:
    """transform(X) against the training statistics applied to X; ``other()`` is the output for another X."""
    X = X.astype(np.float64)
    mistakes = [(X - mean, "the data is centered but not divided by scale_"),
                ((X - mean) / scale**2, "this divides by the variance: divide by the standard deviation, scale_")]
    if len(X) > 1:
        own = X.std(axis=0)
        mistakes.insert(0, ((X - X.mean(axis=0)) / np.where(own > 0, own, 1.0), "transform used the statistics of X "
                            "itself: apply the ones fit learned from the training data (lesson 03, section 5)"))
    _check("transform(X)", case, (X - mean) / scale, out, "X minus mean_, divided by scale_, feature by feature: the "
           "shape of X; see lesson 03, section 5", mistakes, atol=1e-2,
           diagnose=other and (lambda: _ignores("X", out, other)))
