"""Autograded checks for the homework notebooks: run a student's function on randomized cases against batchkit.

Every check takes the student's function, calls it on several random inputs (seeded, so a failure can be
reproduced), and compares with batchkit's reference. On failure it raises ``AssertionError`` with a message that
says which input failed, what was expected and what came back (shapes first), and a hint for the usual mistake.
Messages are built from values only: they never show the reference code.

Works in a notebook and in a plain script: ``from batchkit.checks import check_linear_forward``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import linreg
from .batchnorm import batchnorm_backward, batchnorm_forward
from .counting import batches_per_epoch
from .gradcheck import rel_error
from .linear import linear_backward, linear_forward
from .statistics import batch_mean_var

PASSED = "All checks passed."


class CheckFailed(AssertionError):
    """A homework check failed; the message explains the failing case."""


def _fail(what: str, case: str, expected: Any, got: Any, hint: str = "") -> None:
    lines = [f"{what} is not right for {case}.", f"  expected: {_describe(expected)}", f"  got:      {_describe(got)}"]
    if hint:
        lines.append(f"Hint: {hint}")
    raise CheckFailed("\n".join(lines))


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}: {np.array2string(value, precision=4, threshold=12)}"
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
        return f"{type(value).__name__} of {len(value)} arrays with lengths {[len(v) for v in value]}"
    return f"{value!r} ({type(value).__name__})"


def _close_arrays(what: str, case: str, expected: np.ndarray, got: Any, hint: str, tolerance: float = 1e-6) -> None:
    got_array = np.asarray(got) if got is not None else None
    if got_array is None or got_array.shape != np.shape(expected):
        _fail(what, case, expected, got, f"check the shape first. {hint}")
    if rel_error(expected, got_array) > tolerance:
        _fail(what, case, expected, got_array, hint)


# Lesson 01 ---------------------------------------------------------------------------------------------------------


def check_steps_per_epoch(student: Callable[[int, int, bool], int]) -> str:
    """``student(n, batch_size, drop_last) -> int``: the number of batches in one epoch."""
    rng = np.random.default_rng(101)
    cases = [(60000, 100, False), (10, 3, False), (10, 3, True), (5, 8, False)]
    cases += [(int(rng.integers(1, 500)), int(rng.integers(1, 60)), bool(rng.integers(0, 2))) for _ in range(30)]
    for n, b, drop_last in cases:
        if drop_last and b > n:
            continue
        expected, got = batches_per_epoch(n, b, drop_last), student(n, b, drop_last)
        if isinstance(got, float) or got != expected:
            hint = ("n / b is a float and is not the count when b does not divide n: the last, smaller batch "
                    "is a step too (ceil), unless drop_last drops it (floor)")
            _fail("The number of steps per epoch", f"n={n}, batch_size={b}, drop_last={drop_last}", expected, got, hint)
    return PASSED


def check_epoch_indices(student: Callable[[int, int, np.random.Generator], list]) -> str:
    """``student(n, batch_size, rng) -> list of index arrays``: one shuffled epoch without replacement."""
    for n, b in [(10, 3), (12, 4), (50, 7), (7, 10)]:
        case = f"n={n}, batch_size={b}"
        batches = student(n, b, np.random.default_rng(0))
        sizes = [len(np.asarray(batch)) for batch in batches]
        expected_sizes = [b] * (n // b) + ([n % b] if n % b else [])
        if sizes != expected_sizes:
            _fail("The batch sizes of one epoch", case, expected_sizes, sizes,
                  "every batch has batch_size samples except the last, which holds the rest")
        seen = np.sort(np.concatenate([np.asarray(batch) for batch in batches]))
        if not np.array_equal(seen, np.arange(n)):
            repeated = int(np.sum(np.bincount(seen.astype(int), minlength=n) > 1)) if seen.size else 0
            _fail("The indices of one epoch", case, f"each of 0..{n - 1} exactly once",
                  f"{repeated} index(es) repeated, {n - len(np.unique(seen))} missing",
                  "sampling with replacement (np.random.choice(n, b) or rng.integers) is not an epoch: "
                  "shuffle a permutation of all n indices once, then cut it into batches")
    rng = np.random.default_rng(1)
    first, second = (np.concatenate([np.asarray(x) for x in student(40, 8, rng)]) for _ in range(2))
    if np.array_equal(first, second):
        _fail("Two successive epochs", "n=40, batch_size=8, the same Generator", "two different orders",
              "the same order twice", "draw a fresh permutation from the Generator in every epoch (do not re-seed)")
    if np.array_equal(first, np.arange(40)):
        _fail("The order of an epoch", "n=40, batch_size=8", "a shuffled order", "0, 1, 2, ... in order",
              "shuffle with rng.permutation(n)")
    return PASSED


def check_total_steps(student: Callable[[int, int, int, bool], int]) -> str:
    """``student(n, batch_size, epochs, drop_last) -> int``: parameter updates in a whole training run."""
    rng = np.random.default_rng(102)
    cases = [(60000, 100, 5, False), (50000, 128, 10, True), (10, 3, 0, False)]
    cases += [(int(rng.integers(5, 500)), int(rng.integers(1, 5)), int(rng.integers(1, 6)), bool(rng.integers(0, 2)))
              for _ in range(20)]
    for n, b, epochs, drop_last in cases:
        expected, got = epochs * batches_per_epoch(n, b, drop_last), student(n, b, epochs, drop_last)
        if isinstance(got, float) or got != expected:
            _fail("The number of steps", f"n={n}, batch_size={b}, epochs={epochs}, drop_last={drop_last}", expected,
                  got, "n * epochs / batch_size counts only when batch_size divides n: count the batches of one "
                       "epoch (with the last, smaller one unless drop_last) and multiply by the epochs")
    return PASSED


def check_distinct_fraction(student: Callable[[list, int], float]) -> str:
    """``student(batches, n) -> float``: the fraction of the n samples that appear at least once in ``batches``."""
    rng = np.random.default_rng(103)
    for n in [10, 100, 1000]:
        batches = [rng.integers(0, n, size=8) for _ in range(-(-n // 8))]
        expected = len(np.unique(np.concatenate(batches))) / n
        got = student([b.copy() for b in batches], n)
        if not np.isclose(got, expected):
            _fail("The fraction of distinct samples", f"n={n} and one 'epoch' of batches drawn with replacement",
                  expected, got, "count each sample once however often it was drawn (np.unique), divide by n")
    return PASSED


# Lesson 02 ---------------------------------------------------------------------------------------------------------


def _linear_cases(count: int = 5):
    rng = np.random.default_rng(202)
    for _ in range(count):
        batch, n_in, n_out = (int(v) for v in rng.integers(2, 6, size=3))
        if batch == n_out:  # a square case hides axis mistakes; keep them distinct
            batch += 1
        yield (f"X of shape ({batch}, {n_in}), W of shape ({n_out}, {n_in}), b of shape ({n_out},)",
               rng.standard_normal((batch, n_in)), rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out))


def check_linear_forward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> str:
    """``student(X, W, b) -> Z`` with ``Z = X Wᵀ + b``, rows are samples."""
    for case, X, W, b in _linear_cases():
        _close_arrays("Z", case, linear_forward(X, W, b), student(X.copy(), W.copy(), b.copy()),
                      "Z has one row per sample and one column per output: X @ W.T, then b added to every row")
    return PASSED


def check_linear_backward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]) -> str:
    """``student(dZ, X, W) -> (dX, dW, db)`` for ``Z = X Wᵀ + b``."""
    for case, X, W, b in _linear_cases():
        dZ = np.random.default_rng(len(case)).standard_normal((X.shape[0], W.shape[0]))
        expected = linear_backward(dZ, X, W)
        got = student(dZ.copy(), X.copy(), W.copy())
        if not isinstance(got, tuple) or len(got) != 3:
            _fail("The return value", case, "a tuple (dX, dW, db)", got)
        hints = ["dX = dZ @ W, shape (batch, inputs)",
                 "dW = dZ.T @ X sums one outer product per sample: shape (outputs, inputs)",
                 "db is the batch sum of dZ: sum over the batch axis (axis 0), not over the outputs, and not a mean"]
        for name, want, have, hint in zip(["dX", "dW", "db"], expected, got, hints):
            _close_arrays(name, f"{case} and a random dZ", want, have, hint)
    return PASSED


def check_batch_mean(student: Callable[..., np.ndarray]) -> str:
    """``student(Z, keepdims) -> per-feature batch mean``, rows are samples."""
    rng = np.random.default_rng(203)
    for shape in [(4, 3), (3, 4), (6, 1)]:
        Z = rng.standard_normal(shape)
        for keepdims in (False, True):
            _close_arrays("The batch mean", f"Z of shape {shape}, keepdims={keepdims}",
                          Z.mean(axis=0, keepdims=keepdims), student(Z.copy(), keepdims),
                          "the batch axis is axis 0 (one row per sample); keepdims keeps it with length 1, "
                          "shape (1, features)")
    return PASSED


# Lesson 03 ---------------------------------------------------------------------------------------------------------


def check_batch_center(student: Callable[[np.ndarray], np.ndarray]) -> str:
    """``student(X) -> X minus its per-feature batch mean`` (rows are samples)."""
    rng = np.random.default_rng(303)
    for shape in [(4, 3), (10, 2), (3, 5)]:
        X = rng.normal(5.0, 2.0, shape)
        _close_arrays("The centered batch", f"X of shape {shape}", X - X.mean(axis=0), student(X.copy()),
                      "subtract each feature's (column's) mean over the batch: X.mean(axis=0), not axis=1")
    return PASSED


def check_variance(student: Callable[[np.ndarray], np.ndarray]) -> str:
    """``student(X) -> per-feature variance`` (biased, ddof=0), accurate in float32 even for data far from 0."""
    rng = np.random.default_rng(304)
    X = rng.normal(2.0, 3.0, (20, 3))
    _close_arrays("The variance", "float64 data around 2", X.var(axis=0), student(X.copy()),
                  "the biased variance divides by N (ddof=0), per feature (axis 0)")
    X32 = (1e4 + rng.standard_normal((2000, 4))).astype(np.float32)
    expected = X32.astype(np.float64).var(axis=0)
    got = np.asarray(student(X32.copy()), dtype=np.float64)
    if got.shape != expected.shape or np.max(np.abs(got - expected) / expected) > 1e-3:
        _fail("The variance", "float32 data around 10000 with standard deviation 1", expected, got,
              "E[x²] - E[x]² cancels catastrophically in float32: subtract the mean (or one sample) first, "
              "then average the squares of the small differences")
    return PASSED


def check_center_with_training_mean(student: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> str:
    """``student(X_train, X_test) -> X_test centered with the training data's per-feature mean``."""
    rng = np.random.default_rng(305)
    X_train, X_test = rng.normal(10.0, 2.0, (30, 3)), rng.normal(12.0, 2.0, (5, 3))
    _close_arrays("The centered test data", "X_train of shape (30, 3) and X_test of shape (5, 3)",
                  X_test - X_train.mean(axis=0), student(X_train.copy(), X_test.copy()),
                  "test data is centered with the mean learned on the training data, not with its own mean")
    single = X_test[:1]
    _close_arrays("The centered test data", "a test batch of one sample", single - X_train.mean(axis=0),
                  student(X_train.copy(), single.copy()),
                  "a batch of one centered with its own mean is all zeros: use the training mean")
    return PASSED


# Lesson 04 ---------------------------------------------------------------------------------------------------------


def check_linreg_loss_and_gradient(student: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]) -> str:
    """``student(theta, x, y) -> (J, gradient)`` with ``J = 1/(2m) Σ (θ0 + θ1 x - y)²``."""
    rng = np.random.default_rng(404)
    for m in [1, 5, 20]:
        x, y, theta = rng.standard_normal(m), rng.standard_normal(m), rng.standard_normal(2)
        case = f"a batch of m={m} samples"
        J, grad = student(theta.copy(), x.copy(), y.copy())
        expected = linreg.loss(theta, x, y)
        if not np.isclose(J, expected, rtol=1e-8):
            ratio = J / expected if expected else float("nan")
            hint = ("J is 1/(2m) times the sum of squared errors: you may have left out the ½"
                    if np.isclose(ratio, 2.0) else "average over the m samples of the batch, with the ½")
            _fail("J", case, expected, J, hint)
        _close_arrays("The gradient (∂J/∂θ0, ∂J/∂θ1)", case, linreg.gradient(theta, x, y), grad,
                      "∂J/∂θ0 = mean(h - y) and ∂J/∂θ1 = mean((h - y) x)")
    return PASSED


def check_inverse_time_schedule(student: Callable[[float, float, int], np.ndarray]) -> str:
    """``student(initial, decay, steps) -> array``: ``α_t = α0 / (1 + decay · t)`` for ``t = 0 .. steps - 1``."""
    from .training import learning_rates

    for initial, decay, steps in [(0.1, 0.01, 5), (1.0, 1.0, 4), (0.5, 0.0, 3)]:
        _close_arrays("The learning rates", f"initial={initial}, decay={decay}, steps={steps}",
                      learning_rates(initial, steps, "inverse_time", decay), student(initial, decay, steps),
                      "t counts steps from 0, so the first rate is the initial one; use an array, no loop needed")
    return PASSED


def check_minibatch_gd(student: Callable[..., np.ndarray]) -> str:
    """``student(x, y, batch_size, epochs, learning_rate, seed) -> theta`` after mini-batch GD from θ = 0.

    The batches must come from ``batchkit.iter_epochs(len(x), batch_size, epochs, seed=seed)``.
    """
    from .training import train

    rng = np.random.default_rng(405)
    x = rng.uniform(-2, 2, 30)
    y = 1 + 2 * x + 0.1 * rng.standard_normal(30)
    for batch_size, epochs in [(30, 3), (1, 2), (7, 2)]:
        case = f"batch_size={batch_size}, epochs={epochs}, learning_rate=0.1, seed=5"
        expected = train(x, y, batch_size=batch_size, epochs=epochs, learning_rate=0.1, seed=5).theta[-1]
        _close_arrays("θ after training", case, expected, student(x.copy(), y.copy(), batch_size, epochs, 0.1, 5),
                      "one update per batch, with the gradient of that batch only (divide by its own size m, "
                      "which is smaller for the last batch); every epoch takes its batches from "
                      "bk.iter_epochs with the given seed", tolerance=1e-8)
    return PASSED


# Lesson 05 ---------------------------------------------------------------------------------------------------------


def check_batchnorm_forward(student: Callable[..., np.ndarray]) -> str:
    """``student(x, gamma, beta, eps) -> out``, training mode, biased batch variance."""
    rng = np.random.default_rng(505)
    for shape in [(4, 3), (8, 2), (16, 5)]:
        x = rng.normal(3.0, 2.0, shape)
        gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
        _close_arrays("The output", f"x of shape {shape}", batchnorm_forward(x, gamma, beta, 1e-5)[0],
                      student(x.copy(), gamma.copy(), beta.copy(), 1e-5),
                      "normalize each feature with its own batch mean and biased variance (divide by N), "
                      "eps inside the square root, then gamma * x_hat + beta")
    return PASSED


def check_batchnorm_backward(student: Callable[..., tuple]) -> str:
    """``student(dout, x, gamma, eps) -> (dx, dgamma, dbeta)`` for training-mode batch normalization."""
    rng = np.random.default_rng(506)
    for shape in [(4, 5), (10, 3)]:
        x, gamma = rng.normal(3.0, 2.0, shape), rng.standard_normal(shape[1])
        dout = rng.standard_normal(shape)
        expected = batchnorm_backward(dout, batchnorm_forward(x, gamma, np.zeros(shape[1]), 1e-5)[1])
        got = student(dout.copy(), x.copy(), gamma.copy(), 1e-5)
        if not isinstance(got, tuple) or len(got) != 3:
            _fail("The return value", f"x of shape {shape}", "a tuple (dx, dgamma, dbeta)", got)
        hints = ["μ and σ² depend on every sample: dx must subtract the batch mean of dx̂ (the mean term) and "
                 "x̂ times the batch mean of dx̂·x̂",
                 "dgamma = Σ_i dout_i · x̂_i over the batch", "dbeta = Σ_i dout_i over the batch"]
        for name, want, have, hint in zip(["dx", "dgamma", "dbeta"], expected, got, hints):
            _close_arrays(name, f"x of shape {shape} and a random dout", want, have, hint)
    return PASSED


def check_running_stats(student: Callable[..., tuple]) -> str:
    """``student(running_mean, running_var, x, momentum) -> (new_mean, new_var)`` with PyTorch's conventions."""
    rng = np.random.default_rng(507)
    x = rng.normal(4.0, 2.0, (8, 3))
    mean, var = batch_mean_var(x)
    expected_mean = 0.9 * np.zeros(3) + 0.1 * mean
    expected_var = 0.9 * np.ones(3) + 0.1 * var * 8 / 7
    got = student(np.zeros(3), np.ones(3), x.copy(), 0.1)
    if not isinstance(got, tuple) or len(got) != 2:
        _fail("The return value", "running_mean=0, running_var=1, momentum=0.1", "a tuple (new_mean, new_var)", got)
    _close_arrays("The new running mean", "running_mean=0, momentum=0.1", expected_mean, got[0],
                  "momentum is the weight of the NEW batch: (1 - momentum) * running + momentum * batch")
    _close_arrays("The new running variance", "running_var=1, momentum=0.1, a batch of 8", expected_var, got[1],
                  "PyTorch stores the unbiased batch variance (divide by N - 1) in running_var")
    return PASSED
