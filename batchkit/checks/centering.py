"""Lesson 03's homework checks: batch centering, variance (float32 too), centering with the training mean."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._core import PASSED, _as_array, _compare, _matches


def check_batch_center(student: Callable[[np.ndarray], np.ndarray]) -> str:
    """``student(X) -> X minus its per-feature batch mean`` (rows are samples)."""
    rng = np.random.default_rng(303)
    for shape in [(4, 3), (10, 2), (3, 5)]:
        X = rng.normal(5.0, 2.0, shape)
        mean = X.mean(axis=0)
        mistakes = [(X - X.mean(axis=1, keepdims=True), "this subtracted each sample's own mean (over axis 1, its "
                                                        "features); centering subtracts each feature's mean over "
                                                        "the batch (axis 0)"),
                    (X - X.mean(), "this subtracted one mean of all the entries: every feature (column) gets its "
                                   "own batch mean"),
                    (mean, "that is the batch mean itself: return the centered batch, the same shape as X")]
        _compare("The centered batch", f"X of shape {shape}", X - mean, student(X.copy()),
                 "X minus each feature's batch mean: the same shape as X, and every column of the result has mean "
                 "0; see lesson 03, section 1", mistakes)
    return PASSED


def check_variance(student: Callable[[np.ndarray], np.ndarray]) -> str:
    """``student(X) -> per-feature variance`` (biased, ddof=0), accurate in float32 even for data far from 0."""
    rng = np.random.default_rng(304)
    X = rng.normal(2.0, 3.0, (20, 3))
    mistakes = [(X.var(axis=0, ddof=1), "this divides by N - 1 (the unbiased variance); the biased variance "
                                        "divides by N"),
                (X.std(axis=0), "that is the standard deviation, the square root of the variance"),
                (X.var(axis=1), "this is one variance per sample (over axis 1): one per feature, over the batch")]
    _compare("The variance", "float64 data around 2", X.var(axis=0), student(X.copy()),
             "one biased variance per feature (column), shape (features,); see lesson 03, section 3", mistakes)
    _check_float32_variance(student, (1e4 + rng.standard_normal((60000, 4))).astype(np.float32))
    return PASSED


def _check_float32_variance(student: Callable[[np.ndarray], np.ndarray], X32: np.ndarray) -> None:
    """The lesson's example: 60000 float32 rows around 1e4 with standard deviation 1, where numpy.var fails."""
    case = "float32 data of shape (60000, 4) around 10000 with standard deviation 1"
    expected = X32.astype(np.float64).var(axis=0)
    got = student(X32.copy())
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


def check_center_with_training_mean(student: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> str:
    """``student(X_train, X_test) -> X_test centered with the training data's per-feature mean``."""
    rng = np.random.default_rng(305)
    X_train, X_test = rng.normal(10.0, 2.0, (30, 3)), rng.normal(12.0, 2.0, (5, 3))
    generic = ("X_test minus a per-feature mean learned from the training data, the same shape as X_test; see lesson "
               "03, section 5")
    own = "test data is centered with the mean learned on the training data, not with its own mean"
    train_mean = X_train.mean(axis=0)
    mistakes = [(X_test - X_test.mean(axis=0), own),
                (X_train - train_mean, "that is the centered training data: return the centered test data")]
    _compare("The centered test data", "X_train of shape (30, 3) and X_test of shape (5, 3)", X_test - train_mean,
             student(X_train.copy(), X_test.copy()), generic, mistakes)
    single = X_test[:1]
    _compare("The centered test data", "a test batch of one sample", single - train_mean,
             student(X_train.copy(), single.copy()), generic,
             [(np.zeros_like(single), "a batch of one centered with its own mean is all zeros: " + own)])
    return PASSED
