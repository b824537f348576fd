"""Autograded checks for the homework notebooks: run a student's function on randomized cases against batchkit.

Every check takes the student's function, calls it on several random inputs (seeded, so a failure can be
reproduced), and compares with batchkit's reference. On failure it raises ``AssertionError`` with a message that
says which input failed, what was expected and what came back (shapes first, then the largest difference), and a
hint. The hint names a mistake only when the answer matches that typical mistake; otherwise it says what the result
means, its shape, and which lesson section explains it. Messages are built from values only: they never show the
reference code, and never the formula the exercise asks for.

Works in a notebook and in a plain script: ``from batchkit.checks import check_linear_forward``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import linreg
from .batchnorm import batchnorm_backward, batchnorm_forward
from .counting import batches_per_epoch
from .gradcheck import rel_error
from .linear import linear_backward, linear_forward
from .sampling import epoch_batch_indices, iter_epochs
from .statistics import batch_mean_var

PASSED = "All checks passed."

#: A typical mistake: the value it produces for the failing case, and the hint that names it.
Mistake = tuple[Any, str]


class CheckFailed(AssertionError):
    """A homework check failed; the message explains the failing case."""


# Building and raising the message ----------------------------------------------------------------------------------


def _fail(what: str, case: str, expected: Any, got: Any, hint: str = "") -> None:
    """Raise :class:`CheckFailed`: what was expected, what came back, their largest difference, and ``hint``."""
    lines = [f"{what}: not as expected for {case}.", f"  expected: {_describe(expected)}", f"  got:      {_describe(got)}"]
    difference = _largest_difference(expected, got)
    if difference is not None:
        lines.append(f"  largest absolute difference: {difference:.3g}")
    if hint:
        lines.append(f"Hint: {hint}")
    raise CheckFailed("\n".join(lines))


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}: {np.array2string(value, precision=4, threshold=12)}"
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
        shapes = [np.shape(v) for v in value]
        if all(len(shape) == 1 for shape in shapes):
            return f"{type(value).__name__} of {len(value)} arrays with lengths {[shape[0] for shape in shapes]}"
        return f"{type(value).__name__} of {len(value)} arrays with shapes {shapes}"
    return f"{value!r} ({type(value).__name__})"


def _largest_difference(expected: Any, got: Any) -> float | None:
    """``max|expected - got|`` when both are floating-point values of the same shape, else None."""
    if not np.issubdtype(np.asarray(expected).dtype, np.floating):
        return None
    got_array = _as_array(got)
    if got_array is None or got_array.shape != np.shape(expected) or got_array.size == 0:
        return None
    return float(np.max(np.abs(np.asarray(expected, dtype=np.float64) - got_array)))


# Converting and comparing what the student returned ----------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None if it is None or not numeric."""
    if value is None or isinstance(value, str):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _as_number(value: Any) -> float | None:
    """``value`` as a float if it is a single number (a 0-d or one-element array counts), else None."""
    array = _as_array(value)
    return float(array.reshape(())) if array is not None and array.size == 1 else None


def _matches(candidate: Any, got: np.ndarray | None, tolerance: float = 1e-9) -> bool:
    candidate = _as_array(candidate)
    if got is None or candidate is None or candidate.shape != got.shape:
        return False
    return rel_error(candidate, got) <= tolerance


def _recognise(got: np.ndarray | None, mistakes: Sequence[Mistake]) -> str:
    """The hint of the first mistake whose value ``got`` reproduces, or "" if none does."""
    return next((hint for value, hint in mistakes if _matches(value, got)), "")


def _recognise_number(number: float | None, mistakes: Sequence[Mistake], default: str) -> str:
    """The hint of the first mistake whose value ``number`` is close to, else ``default``."""
    return next((hint for value, hint in mistakes if number is not None and np.isclose(number, value)), default)


def _compare(what: str, case: str, expected: np.ndarray, got: Any, hint: str,
             mistakes: Sequence[Mistake] = (), tolerance: float = 1e-6) -> None:
    """Fail unless ``got`` is an array like ``expected``; hint at a recognised mistake, else give ``hint``."""
    array = _as_array(got)
    if array is not None and array.shape == np.shape(expected) and rel_error(expected, array) <= tolerance:
        return
    hint = _recognise(array, mistakes) or hint
    if array is None:
        _fail(what, case, expected, got, _sentences(f"return a numpy array of shape {np.shape(expected)}", hint))
    shown = got if isinstance(got, np.ndarray) else array
    if array.shape != np.shape(expected):
        _fail(what, case, expected, shown, _sentences("check the shape first", hint))
    _fail(what, case, expected, shown, hint)


def _sentences(first: str, then: str) -> str:
    return f"{first}. {then[:1].upper()}{then[1:]}"


def _parts(got: Any, names: str, case: str) -> Sequence[Any]:
    """``got`` if it is a tuple (or list) of as many values as ``names`` lists, else fail."""
    count = len(names.split(","))
    if not isinstance(got, (tuple, list)) or len(got) != count:
        _fail("The return value", case, f"a tuple ({names})", got,
              f"return the {count} values together, in this order: {names}")
    return got


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_count(what: str, case: str, expected: int, got: Any, hint: str, mistakes: Sequence[Mistake]) -> None:
    """Fail unless ``got`` is the int ``expected``; a right value of another type gets a hint about the type."""
    if _is_int(got) and got == expected:
        return
    number = _as_number(got)
    if number == expected and not isinstance(got, (bool, np.bool_)):
        hint = f"the count is right, but it is a {type(got).__name__}: return an int, not a float"
    else:
        hint = _recognise_number(number, mistakes, hint)
    _fail(what, case, expected, got, hint)


# Lesson 01 ---------------------------------------------------------------------------------------------------------


def check_steps_per_epoch(student: Callable[[int, int, bool], int]) -> str:
    """``student(n, batch_size, drop_last) -> int``: the number of batches in one epoch."""
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
        _check_count("The number of steps per epoch", f"n={n}, batch_size={b}, drop_last={drop_last}",
                     batches_per_epoch(n, b, drop_last), student(n, b, drop_last),
                     "the number of batches (steps) in one epoch, an int; see lesson 01, section 3 (Counting steps)",
                     mistakes)
    return PASSED


def check_total_steps(student: Callable[[int, int, int, bool], int]) -> str:
    """``student(n, batch_size, epochs, drop_last) -> int``: parameter updates in a whole training run."""
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
        _check_count("The number of steps", f"n={n}, batch_size={b}, epochs={epochs}, drop_last={drop_last}",
                     epochs * batches_per_epoch(n, b, drop_last), student(n, b, epochs, drop_last),
                     "the number of parameter updates (one per batch) in the whole run, an int; see lesson 01, "
                     "section 3 (Counting steps)", mistakes)
    return PASSED


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


def _flat_epoch(student: Callable, rng: np.random.Generator) -> np.ndarray:
    case = "n=40, batch_size=8"
    return np.concatenate(_epoch(student(40, 8, rng), case))


def check_epoch_indices(student: Callable[[int, int, np.random.Generator], list]) -> str:
    """``student(n, batch_size, rng) -> list of index arrays``: one shuffled epoch without replacement."""
    for n, b in [(10, 3), (12, 4), (50, 7), (7, 10)]:
        case = f"n={n}, batch_size={b}"
        _check_one_epoch(_epoch(student(n, b, np.random.default_rng(0)), case), n, b, case)
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
    return PASSED


def _check_uses_rng(student: Callable) -> None:
    """Two fresh Generators with the same seed give the same epoch; another seed gives another epoch."""
    hint = "draw from the rng argument, not from np.random (or a Generator of your own)"
    once, again = (_flat_epoch(student, np.random.default_rng(7)) for _ in range(2))
    if not np.array_equal(once, again):
        _fail("The epoch", "n=40, batch_size=8 and two Generators made with the same seed",
              "the same order from both", "two different orders", hint)
    if np.array_equal(once, _flat_epoch(student, np.random.default_rng(8))):
        _fail("The epoch", "n=40, batch_size=8 and Generators made with two different seeds",
              "two different orders", "the same order from both", hint)


def check_distinct_fraction(student: Callable[[list, int], float]) -> str:
    """``student(batches, n) -> float``: the fraction of the n samples that appear at least once in ``batches``."""
    rng = np.random.default_rng(103)
    for n in [10, 100, 1000]:
        batches = [rng.integers(0, n, size=8) for _ in range(-(-n // 8))]
        distinct = len(np.unique(np.concatenate(batches)))
        got = student([b.copy() for b in batches], n)
        number = _as_number(got)
        if number is not None and np.isclose(number, distinct / n):
            continue
        mistakes = [(8 * len(batches) / n, "that counts draws: a sample drawn twice or more still counts once"),
                    (distinct, "that is a number of samples: return it as a fraction of n, between 0 and 1"),
                    (1 - distinct / n, "that is the fraction of samples that were never drawn")]
        hint = _recognise_number(number, mistakes, "the fraction (a float between 0 and 1) of the n samples that "
                                 "appear in at least one batch; see lesson 01, section 5 (With or without replacement)")
        _fail("The fraction of distinct samples", f"n={n} and one 'epoch' of batches drawn with replacement",
              distinct / n, got, hint)
    return PASSED


# Lesson 02 ---------------------------------------------------------------------------------------------------------


def _linear_cases(count: int = 5):
    """A case with as many inputs as outputs first (it lets W-not-transposed run), then random shapes."""
    rng = np.random.default_rng(202)
    shapes = [(4, 3, 3)] + [tuple(int(v) for v in rng.integers(2, 6, size=3)) for _ in range(count)]
    for batch, n_in, n_out in shapes:
        if batch == n_out:  # a square case hides axis mistakes; keep them distinct
            batch += 1
        yield (f"X of shape ({batch}, {n_in}), W of shape ({n_out}, {n_in}), b of shape ({n_out},)",
               rng.standard_normal((batch, n_in)), rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out))


def check_linear_forward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> str:
    """``student(X, W, b) -> Z`` with ``Z = X Wᵀ + b``, rows are samples."""
    for case, X, W, b in _linear_cases():
        expected = linear_forward(X, W, b)
        mistakes = [(expected - b, "the bias is missing: Z needs b added to every row (every sample)"),
                    (expected.T, "Z is transposed: one row per sample, one column per output")]
        if W.shape[0] == W.shape[1]:
            mistakes.append((X @ W + b, "W has shape (outputs, inputs), one row per output: the weights of an "
                                        "output are a row of W, not a column"))
        _compare("Z", case, expected, student(X.copy(), W.copy(), b.copy()),
                 "Z has one row per sample and one column per output, shape (batch, outputs), and every row "
                 "includes the bias; see lesson 02, sections 1 and 4", mistakes)
    return PASSED


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


def check_linear_backward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]) -> str:
    """``student(dZ, X, W) -> (dX, dW, db)`` for ``Z = X Wᵀ + b``."""
    hints = ["dX is the gradient of the loss with respect to X: the same shape as X, (batch, inputs); "
             "see lesson 02, section 6",
             "dW has the shape of W, (outputs, inputs), and adds up the contributions of every sample; "
             "see lesson 02, section 6",
             "db has the shape of b, (outputs,): one value per output, collecting every sample of the batch; "
             "see lesson 02, section 6"]
    for case, X, W, b in _linear_cases():
        dZ = np.random.default_rng(len(case)).standard_normal((X.shape[0], W.shape[0]))
        expected = linear_backward(dZ, X, W)
        got = _parts(student(dZ.copy(), X.copy(), W.copy()), "dX, dW, db", case)
        mistakes = _linear_backward_mistakes(dZ, X, W, expected)
        for name, want, have, hint, wrong in zip(["dX", "dW", "db"], expected, got, hints, mistakes):
            _compare(name, f"{case} and a random dZ", want, have, hint, wrong)
    return PASSED


def check_batch_mean(student: Callable[..., np.ndarray]) -> str:
    """``student(Z, keepdims) -> per-feature batch mean``, rows are samples."""
    rng = np.random.default_rng(203)
    for shape in [(4, 3), (3, 4), (6, 1)]:
        Z = rng.standard_normal(shape)
        for keepdims in (False, True):
            expected = Z.mean(axis=0, keepdims=keepdims)
            mistakes = [(Z.mean(axis=1, keepdims=keepdims), "this averaged each sample's features (axis 1): the "
                                                            "batch mean averages over the samples, axis 0"),
                        (expected * len(Z), "that is the batch sum: a mean also divides by the number of samples"),
                        (Z.mean(axis=0, keepdims=not keepdims),
                         "keepdims=True keeps the batch axis with length 1, shape (1, features); "
                         "keepdims=False drops it, shape (features,)")]
            _compare("The batch mean", f"Z of shape {shape}, keepdims={keepdims}", expected,
                     student(Z.copy(), keepdims),
                     "one mean per feature (column), shape (features,), or (1, features) with keepdims=True; "
                     "see lesson 02, section 3", mistakes)
    return PASSED


# Lesson 03 ---------------------------------------------------------------------------------------------------------


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


# Lesson 04 ---------------------------------------------------------------------------------------------------------


def _check_linreg_loss(J: Any, expected: float, m: int, case: str) -> None:
    number = _as_number(J)
    if number is not None and np.isclose(number, expected, rtol=1e-8):
        return
    mistakes = [(2 * expected, "J is 1/(2m) times the sum of squared errors: you may have left out the ½")]
    if m > 1:
        mistakes += [(m * expected, "this sums over the batch: J averages over its m samples"),
                     (2 * m * expected, "this sums over the batch and leaves out the ½: J averages over its m "
                                        "samples, with the ½")]
    hint = _recognise_number(number, mistakes, "J is one number for the whole batch: half the average squared "
                             "error over its m samples; see lesson 04, section 1")
    _fail("J", case, expected, J, hint)


def check_linreg_loss_and_gradient(student: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]) -> str:
    """``student(theta, x, y) -> (J, gradient)`` with ``J = 1/(2m) Σ (θ0 + θ1 x - y)²``."""
    rng = np.random.default_rng(404)
    for m in [1, 5, 20]:
        x, y, theta = rng.standard_normal(m), rng.standard_normal(m), rng.standard_normal(2)
        case = f"a batch of m={m} samples"
        J, grad = _parts(student(theta.copy(), x.copy(), y.copy()), "J, gradient", case)
        _check_linreg_loss(J, linreg.loss(theta, x, y), m, case)
        expected = linreg.gradient(theta, x, y)
        mistakes = [(-expected, "the gradient has the wrong sign: the residual is the prediction minus the "
                                "target"),
                    (2 * expected, "this is twice the gradient: the ½ in J cancels the 2 from the square")]
        if m > 1:
            mistakes.append((m * expected, "this sums over the batch: the gradient of an average is an average"))
        _compare("The gradient (∂J/∂θ0, ∂J/∂θ1)", case, expected, grad,
                 "the gradient is an array of two numbers (∂J/∂θ0, ∂J/∂θ1), each an average of one term per sample "
                 "of the batch; see lesson 04, section 1", mistakes)
    return PASSED


def check_inverse_time_schedule(student: Callable[[float, float, int], np.ndarray]) -> str:
    """``student(initial, decay, steps) -> array``: ``α_t = α0 / (1 + decay · t)`` for ``t = 0 .. steps - 1``."""
    from .training import learning_rates

    for initial, decay, steps in [(0.1, 0.01, 5), (1.0, 1.0, 4), (0.5, 0.0, 3)]:
        t = np.arange(steps)
        mistakes = [(initial / (1 + decay * (t + 1)), "t counts steps from 0, so the first rate is the initial one"),
                    (initial * (1 - decay * t), "this decays linearly; the inverse-time schedule divides the "
                                                "initial rate, so it never reaches 0"),
                    (initial * np.exp(-decay * t), "this decays exponentially; the inverse-time schedule decays "
                                                   "more slowly, as 1/t for large t"),
                    (initial / (1 + decay) ** t, "this decays exponentially; the inverse-time schedule decays more "
                                                 "slowly, as 1/t for large t")]
        _compare("The learning rates", f"initial={initial}, decay={decay}, steps={steps}",
                 learning_rates(initial, steps, "inverse_time", decay), student(initial, decay, steps),
                 "an array of `steps` learning rates, one for each step t = 0 .. steps - 1, the first one equal to "
                 "initial, following the exercise's formula; see lesson 04, section 4", mistakes)
    return PASSED


def _gd_mistake(x: np.ndarray, y: np.ndarray, batch_size: int, epochs: int, learning_rate: float, seed: int, *,
                fixed_divisor: bool = False, same_order: bool = False) -> np.ndarray:
    """θ after a typical wrong training loop: dividing by batch_size, or the same batches every epoch."""
    theta = np.zeros(2)
    epoch_batches = ([epoch_batch_indices(len(x), batch_size, seed=seed)] * epochs if same_order else
                     iter_epochs(len(x), batch_size, epochs, seed=seed))
    for batches in epoch_batches:
        for index in batches:
            divisor = batch_size if fixed_divisor else len(index)
            gradient = linreg.gradient(theta, x[index], y[index]) * len(index) / divisor
            theta = theta - learning_rate * gradient
    return theta


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
        mistakes = [(_gd_mistake(x, y, batch_size, epochs, 0.1, 5, fixed_divisor=True),
                     "the last batch of an epoch can be smaller: its gradient divides by its own size m, "
                     "not by batch_size"),
                    (_gd_mistake(x, y, batch_size, epochs, 0.1, 5, same_order=True),
                     "every epoch must take its batches from bk.iter_epochs with the given seed: the same batches "
                     "in every epoch are not a fresh shuffle")]
        _compare("θ after training", case, expected, student(x.copy(), y.copy(), batch_size, epochs, 0.1, 5),
                 "θ = (θ0, θ1) after one update per batch, each with the gradient of that batch only, the batches "
                 "of every epoch coming from bk.iter_epochs with the given seed; see lesson 04, section 1",
                 mistakes, tolerance=1e-8)
    return PASSED


# Lesson 05 ---------------------------------------------------------------------------------------------------------


def check_batchnorm_forward(student: Callable[..., np.ndarray]) -> str:
    """``student(x, gamma, beta, eps) -> out``, training mode, biased batch variance."""
    rng = np.random.default_rng(505)
    shapes = [((4, 3), 2.0), ((8, 2), 2.0), ((16, 5), 2.0), ((6, 3), 0.01)]  # the last: eps matters
    for shape, spread in shapes:
        x = rng.normal(3.0, spread, shape)
        gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
        centered = x - x.mean(axis=0)
        x_hat = centered / np.sqrt(x.var(axis=0) + 1e-5)
        mistakes = [(gamma * centered / np.sqrt(x.var(axis=0, ddof=1) + 1e-5) + beta,
                     "this uses the unbiased variance (divide by N - 1); training mode uses the biased one "
                     "(divide by N)"),
                    (gamma * centered / (np.sqrt(x.var(axis=0)) + 1e-5) + beta, "eps goes inside the square root"),
                    (x_hat, "gamma and beta are missing: the normalized x is then scaled by gamma and shifted by beta"),
                    (beta * x_hat + gamma, "gamma and beta are swapped: gamma scales, beta shifts")]
        _compare("The output", f"x of shape {shape}", batchnorm_forward(x, gamma, beta, 1e-5)[0],
                 student(x.copy(), gamma.copy(), beta.copy(), 1e-5),
                 "the same shape as x: each feature (column) normalized with its own batch statistics as the "
                 "exercise describes, then scaled and shifted; see lesson 05, section 1", mistakes)
    return PASSED


def _batchnorm_backward_mistakes(dout: np.ndarray, x: np.ndarray, gamma: np.ndarray, expected: tuple
                                 ) -> list[list[Mistake]]:
    dx, dgamma, dbeta = expected
    n = len(x)
    scale = gamma / np.sqrt(x.var(axis=0) + 1e-5)
    x_hat = (x - x.mean(axis=0)) * scale / gamma
    constants = ("this treats μ and σ² as constants, but they depend on every sample of the batch, which adds terms "
                 "to dx")
    dx_mistakes = [(scale * dout, constants),
                   (dx + scale * dbeta / n, "the mean term is missing: μ depends on every sample of the batch"),
                   (dx + scale * x_hat * dgamma / n, "the variance term is missing: σ² depends on every sample of "
                                                     "the batch")]
    dgamma_mistakes = [(dgamma / n, "dgamma is the sum over the batch, not a mean"),
                       ((dout * x).sum(axis=0), "dgamma uses the normalized input x̂, not the raw x")]
    dbeta_mistakes = [(dbeta / n, "dbeta is the sum over the batch, not a mean"),
                      (dout.sum(axis=1), "this summed over the features (axis 1): dbeta sums over the batch")]
    return [dx_mistakes, dgamma_mistakes, dbeta_mistakes]


def check_batchnorm_backward(student: Callable[..., tuple]) -> str:
    """``student(dout, x, gamma, eps) -> (dx, dgamma, dbeta)`` for training-mode batch normalization."""
    rng = np.random.default_rng(506)
    hints = ["dx has the shape of x; μ and σ² depend on every sample of the batch, so every input affects every "
             "output of its feature; see lesson 05, section 2",
             "dgamma has the shape of gamma, (D,), collecting every sample's contribution; see lesson 05, section 2",
             "dbeta has the shape of beta, (D,), collecting every sample's contribution; see lesson 05, section 2"]
    for shape in [(4, 5), (10, 3)]:
        x, gamma = rng.normal(3.0, 2.0, shape), rng.standard_normal(shape[1])
        dout = rng.standard_normal(shape)
        expected = batchnorm_backward(dout, batchnorm_forward(x, gamma, np.zeros(shape[1]), 1e-5)[1])
        got = _parts(student(dout.copy(), x.copy(), gamma.copy(), 1e-5), "dx, dgamma, dbeta", f"x of shape {shape}")
        mistakes = _batchnorm_backward_mistakes(dout, x, gamma, expected)
        for name, want, have, hint, wrong in zip(["dx", "dgamma", "dbeta"], expected, got, hints, mistakes):
            _compare(name, f"x of shape {shape} and a random dout", want, have, hint, wrong)
    return PASSED


def _running_mistakes(old: np.ndarray, batch: np.ndarray, momentum: float, quantity: str) -> list[Mistake]:
    """Typical wrong updates of a running statistic from ``old`` and this batch's ``batch`` value."""
    return [(momentum * old + (1 - momentum) * batch,
             "in PyTorch momentum is the weight of the NEW batch; you used it as the weight of the old value "
             "(the convention of Keras and cs231n)"),
            (momentum * batch, f"the old {quantity} is missing: the new value mixes it with the batch's"),
            (old + momentum * batch, "the weights of the old value and of the batch must add up to 1"),
            (0.9 * old + 0.1 * batch, "use the momentum argument, not a fixed 0.1"),
            (batch, f"that is the batch's value alone: the running value also keeps the old {quantity}")]


def _running_cases():
    rng = np.random.default_rng(507)
    for momentum, n, d in [(0.1, 8, 3), (0.3, 5, 4), (0.1, 5, 2), (0.3, 8, 3)]:
        x = rng.normal(4.0, 2.0, (n, d))
        running_mean, running_var = rng.normal(0.0, 2.0, d), rng.uniform(0.5, 3.0, d)
        case = f"random running statistics, momentum={momentum}, x of shape ({n}, {d})"
        yield case, running_mean, running_var, x, momentum


def check_running_stats(student: Callable[..., tuple]) -> str:
    """``student(running_mean, running_var, x, momentum) -> (new_mean, new_var)`` with PyTorch's conventions."""
    for case, running_mean, running_var, x, momentum in _running_cases():
        n = len(x)
        mean, var = batch_mean_var(x)
        unbiased = var * n / (n - 1)
        got = _parts(student(running_mean.copy(), running_var.copy(), x.copy(), momentum), "new_mean, new_var", case)
        _compare("The new running mean", case, (1 - momentum) * running_mean + momentum * mean, got[0],
                 "a weighted average of the old running_mean and this batch's mean, with PyTorch's meaning of "
                 "momentum; see lesson 05, section 3", _running_mistakes(running_mean, mean, momentum, "running_mean"))
        var_mistakes = [((1 - momentum) * running_var + momentum * var,
                         "PyTorch stores the unbiased batch variance (divide by N - 1) in running_var")]
        var_mistakes += [((1 - momentum) * running_var + momentum * var * 8 / 7,
                          f"use the batch size of x (here {n}), not a fixed 8")] if n != 8 else []
        _compare("The new running variance", case, (1 - momentum) * running_var + momentum * unbiased, got[1],
                 "like the running mean, a weighted average of the old running_var and this batch's variance, with "
                 "PyTorch's conventions; see lesson 05, section 3",
                 var_mistakes + _running_mistakes(running_var, unbiased, momentum, "running_var"))
    return PASSED
