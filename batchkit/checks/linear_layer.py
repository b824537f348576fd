"""Lesson 02's homework checks: linear forward and backward, batch mean."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..linear import linear_backward, linear_forward
from ._core import Mistake, Student, _compare, _parts, _passed

#: What lesson 02's exercises ask the student to write: batchkit's linear layer and batch mean.
BLOCKED = ("linear.linear_forward", "linear.linear_forward_columns", "linear.linear_forward_per_sample_loop",
           "linear.linear_backward", "batch_ops.batch_mean", "batch_ops.batch_sum", "statistics.batch_mean_var")


def _linear_cases(count: int = 5):
    """A case with as many inputs as outputs first (it lets W-not-transposed run), then random shapes, the last one
    in float32 (the expected values are computed in float64)."""
    rng = np.random.default_rng(202)
    shapes = [(4, 3, 3)] + [tuple(int(v) for v in rng.integers(2, 9, size=3)) for _ in range(count)]
    for number, (batch, n_in, n_out) in enumerate(shapes):
        if batch == n_out:  # a square case hides axis mistakes; keep them distinct
            batch += 1
        dtype = np.float32 if number == count else np.float64
        arrays = [rng.standard_normal(shape).astype(dtype) for shape in [(batch, n_in), (n_out, n_in), (n_out,)]]
        yield (f"X of shape ({batch}, {n_in}), W of shape ({n_out}, {n_in}), b of shape ({n_out},), {dtype.__name__}",
               *arrays)


def check_linear_forward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``student(X, W, b) -> Z`` with ``Z = X Wᵀ + b``, rows are samples."""
    student = Student(student, "X, W, b", BLOCKED)
    for case, X, W, b in _linear_cases():
        expected = linear_forward(*(a.astype(np.float64) for a in (X, W, b)))
        mistakes = [(expected - b, "the bias is missing: Z needs b added to every row (every sample)"),
                    (expected.T, "Z is transposed: one row per sample, one column per output")]
        if W.shape[0] == W.shape[1]:
            mistakes.append((X @ W + b, "W has shape (outputs, inputs), one row per output: the weights of an "
                                        "output are a row of W, not a column"))
        _compare("Z", case, expected, student(case, X, W, b),
                 "Z has one row per sample and one column per output, shape (batch, outputs), and every row "
                 "includes the bias; see lesson 02, sections 1 and 4", mistakes)
    _passed()


def _linear_backward_mistakes(dZ: np.ndarray, X: np.ndarray, W: np.ndarray, expected: tuple) -> list[list[Mistake]]:
    dX, dW, db = expected
    dX_mistakes = [(dX.T, "dX is transposed: it has the shape of X, (batch, inputs)")]
    if W.shape[0] == W.shape[1]:
        dX_mistakes.append((dZ @ W.T, "this multiplied by the transpose of W; Z = X Wᵀ + b, and going back from "
                                      "dZ to dX undoes that transpose"))
    dW_mistakes = [(dW.T, "dW is transposed: it has the shape of W, (outputs, inputs)"),
                   (dW / len(X), "dW is the sum of every sample's contribution over the batch, not their mean")]
    db_mistakes = [(dZ.sum(axis=1), "db was summed over the outputs (axis 1): it sums over the batch, axis 0, "
                                    "one value per output"),
                   (db / len(X), "db is the sum over the batch, not a mean"),
                   (db[None, :], "db has the shape of b, (outputs,), without the batch axis")]
    return [dX_mistakes, dW_mistakes, db_mistakes]


def check_linear_backward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]) -> None:
    """``student(dZ, X, W) -> (dX, dW, db)`` for ``Z = X Wᵀ + b``."""
    student = Student(student, "dZ, X, W", BLOCKED)
    hints = ["dX is the gradient of the loss with respect to X: the same shape as X, (batch, inputs); "
             "see lesson 02, section 6",
             "dW has the shape of W, (outputs, inputs), and adds up the contributions of every sample; "
             "see lesson 02, section 6",
             "db has the shape of b, (outputs,): one value per output, collecting every sample of the batch; "
             "see lesson 02, section 6"]
    for case, X, W, b in _linear_cases():
        case = case.rsplit(", ", 1)[0]  # without the dtype
        X, W = X.astype(np.float64), W.astype(np.float64)  # the backward pass is checked in float64 only
        dZ = np.random.default_rng(len(case)).standard_normal((X.shape[0], W.shape[0]))
        expected = linear_backward(dZ, X, W)
        got = _parts(student(case, dZ, X, W), "dX, dW, db", case)
        mistakes = _linear_backward_mistakes(dZ, X, W, expected)
        for name, want, have, hint, wrong in zip(["dX", "dW", "db"], expected, got, hints, mistakes):
            _compare(name, f"{case} and a random dZ", want, have, hint, wrong)
    _passed()


def check_batch_mean(student: Callable[..., np.ndarray]) -> None:
    """``student(Z, keepdims) -> per-feature batch mean``, rows are samples."""
    student = Student(student, "Z, keepdims", BLOCKED)
    rng = np.random.default_rng(203)
    shapes = [(4, 3), (3, 4), (6, 1)] + [tuple(int(v) for v in rng.integers(1, 9, size=2)) for _ in range(3)]
    for number, shape in enumerate(shapes):
        dtype = np.float32 if number == len(shapes) - 1 else np.float64
        Z = rng.standard_normal(shape).astype(dtype)
        for keepdims in (False, True):
            case = f"Z of shape {shape}, {dtype.__name__}, keepdims={keepdims}"
            expected = Z.mean(axis=0, keepdims=keepdims, dtype=np.float64)
            mistakes = [(Z.mean(axis=1, keepdims=keepdims), "this averaged each sample's features (axis 1): the "
                                                            "batch mean averages over the samples, axis 0"),
                        (expected * len(Z), "that is the batch sum: a mean also divides by the number of samples"),
                        (Z.mean(axis=0, keepdims=not keepdims),
                         "keepdims=True keeps the batch axis with length 1, shape (1, features); "
                         "keepdims=False drops it, shape (features,)")]
            _compare("The batch mean", case, expected, student(case, Z, keepdims),
                     "one mean per feature (column), shape (features,), or (1, features) with keepdims=True; "
                     "see lesson 02, section 3", mistakes,
                     diagnose=lambda: student.ignored_argument(case, (Z, keepdims), {1: not keepdims}))
    _passed()
