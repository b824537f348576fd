"""Lesson 03's homework checks: batch centering, variance (float32 too), centering with the training mean."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._core import Student, _as_array, _compare, _matches, _passed

#: What lesson 03's exercises ask the student to write: batchkit's centering and batch statistics.
BLOCKED = ("centering.batch_center", "centering.Centerer", "batch_ops.batch_mean", "batch_ops.batch_sum",
           "statistics.batch_mean_var", "normalization.mean_and_variance")


def check_batch_center(student: Callable[[np.ndarray], np.ndarray]) -> None:
    """``student(X) -> X minus its per-feature batch mean`` (rows are samples)."""
    student = Student(student, "X", BLOCKED)
    rng = np.random.default_rng(303)
    shapes = [(4, 3), (10, 2), (3, 5)] + [tuple(int(v) for v in rng.integers(2, 12, size=2)) for _ in range(3)]
    for number, shape in enumerate(shapes):
        dtype = np.float32 if number == len(shapes) - 1 else np.float64
        X = rng.normal(5.0, 2.0, shape).astype(dtype)
        case = f"X of shape {shape}, {dtype.__name__}"
        mean = X.mean(axis=0, dtype=np.float64)
        mistakes = [(X - X.mean(axis=1, keepdims=True), "this subtracted each sample's own mean (over axis 1, its "
                                                        "features); centering subtracts each feature's mean over "
                                                        "the batch (axis 0)"),
                    (X - X.mean(), "this subtracted one mean of all the entries: every feature (column) gets its "
                                   "own batch mean"),
                    (mean, "that is the batch mean itself: return the centered batch, the same shape as X")]
        _compare("The centered batch", case, X - mean, student(case, X),
                 "X minus each feature's batch mean: the same shape as X, and every column of the result has mean "
                 "0; see lesson 03, section 1", mistakes)
    _passed()


def check_variance(student: Callable[[np.ndarray], np.ndarray]) -> None:
    """``student(X) -> per-feature variance`` (biased, ddof=0), accurate in float32 even for data far from 0.

    Accumulating float32 data in float64 is accepted: batchkit's own statistics do it (the homework's written
    question compares it with a float32-only method).
    """
    student = Student(student, "X", BLOCKED)
    rng = np.random.default_rng(304)
    shape = tuple(int(v) for v in rng.integers(5, 30, size=2))
    X = rng.normal(2.0, 3.0, shape)
    mistakes = [(X.var(axis=0, ddof=1), "this divides by N - 1 (the unbiased variance); the biased variance "
                                        "divides by N"),
                (X.std(axis=0), "that is the standard deviation, the square root of the variance"),
                (X.var(axis=1), "this is one variance per sample (over axis 1): one per feature, over the batch")]
    case = f"float64 data of shape {shape} around 2"
    _compare("The variance", case, X.var(axis=0), student(case, X),
             "one biased variance per feature (column), shape (features,); see lesson 03, section 3", mistakes)
    features = int(rng.integers(2, 6))
    _check_float32_variance(student, (1e4 + rng.standard_normal((60000, features))).astype(np.float32))
    _passed()


def _check_float32_variance(student: Student, X32: np.ndarray) -> None:
    """The lesson's example: 60000 float32 rows around 1e4 with standard deviation 1, where numpy.var fails."""
    case = f"float32 data of shape {X32.shape} around 10000 with standard deviation 1"
    expected = X32.astype(np.float64).var(axis=0)
    got = student(case, X32)
    array = _as_array(got)
    if array is not None and array.shape == expected.shape and np.max(np.abs(array - expected) / expected) <= 1e-3:
        return
    naive = (X32 * X32).mean(axis=0) - X32.mean(axis=0) ** 2
    if array is not None and array.shape == expected.shape and np.allclose(array, naive, rtol=1e-2):
        hint = ("E[x²] - E[x]² cancels catastrophically in float32: two nearly equal numbers around 10⁸ are "
                "subtracted and float32 keeps about 7 digits, fewer than the variance (about 1) needs; see lesson 03, "
                "section 3")
    elif _matches(X32.var(axis=0), array, 1e-2):
        hint = ("this matches numpy.var's result here: a mean summed in float32 over 60000 rows is too inaccurate to "
                "center with; lesson 03, section 3 shows numpy.var failing and what batch_mean_var does instead")
    else:
        hint = ("one variance per feature, accurate to 1e-3 relative in float32: with data around 10000, "
                "computations on the raw values lose the digits the variance needs; see lesson 03, section 3")
    _compare("The variance", case, expected, got, hint, tolerance=0.0)


def check_center_with_training_mean(student: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``student(X_train, X_test) -> X_test centered with the training data's per-feature mean``."""
    student = Student(student, "X_train, X_test", BLOCKED)
    rng = np.random.default_rng(305)
    n_train, n_test, features = (int(v) for v in rng.integers([20, 3, 2], [60, 12, 6]))
    X_train, X_test = rng.normal(10.0, 2.0, (n_train, features)), rng.normal(12.0, 2.0, (n_test, features))
    shapes = f"X_train of shape {X_train.shape} and X_test of shape {X_test.shape}"
    generic = ("X_test minus a per-feature mean learned from the training data, the same shape as X_test; see lesson "
               "03, section 5")
    own = "test data is centered with the mean learned on the training data, not with its own mean"
    train_mean = X_train.mean(axis=0)
    mistakes = [(X_test - X_test.mean(axis=0), own),
                (X_train - train_mean, "that is the centered training data: return the centered test data")]
    _compare("The centered test data", shapes, X_test - train_mean, student(shapes, X_train, X_test), generic, mistakes)
    single = X_test[:1]
    case = "a test batch of one sample"
    _compare("The centered test data", case, single - train_mean, student(case, X_train, single), generic,
             [(np.zeros_like(single), "a batch of one centered with its own mean is all zeros: " + own)])
    _passed()
