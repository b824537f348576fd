"""Homework 03's checks: right answers pass, each recognised mistake fails with its hint, and answers that call
batchkit, change an input in place or ignore an argument fail; the references agree with batchkit."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import batchkit.centering
import batchkit.conditioning
import batchkit.linreg
import batchkit.statistics
from batchkit import checks

# The modules that hold the checks (and their references), wherever the package keeps them.
CONDITIONING = sys.modules[checks.check_hessian_eigenvalues.__module__]
STREAMING = sys.modules[checks.check_merge_statistics.__module__]

# Right answers (the instructor notebook's solutions, written independently of batchkit) --------------------------


def hessian_eigenvalues(x):
    c = x.mean()
    variance = np.mean((x - c) ** 2)
    trace = 1.0 + c * c + variance
    lambda_max = (trace + np.sqrt(trace * trace - 4.0 * variance)) / 2
    return variance / lambda_max, lambda_max


def steps_at_best_rate(kappa, excess, tolerance):
    if excess <= tolerance:
        return 0
    if kappa == 1:
        return 1
    return math.ceil(math.log(excess / tolerance) / (2 * math.log1p(2 / (kappa - 1))))


def batch_statistics(X):
    shift = X[0]
    differences = X - shift
    mean_difference = differences.mean(axis=0)
    deviations = differences - mean_difference
    return len(X), shift + mean_difference, (deviations * deviations).sum(axis=0)


def merge_statistics(first, second):
    count_a, mean_a, m2_a = first
    count_b, mean_b, m2_b = second
    count = count_a + count_b
    delta = mean_b - mean_a
    return count, mean_a + delta * (count_b / count), m2_a + m2_b + delta * delta * (count_a * count_b / count)


class Standardizer:
    def fit(self, batches):
        statistics = None
        for batch in batches:
            current = batch_statistics(batch)
            statistics = current if statistics is None else merge_statistics(statistics, current)
        count, mean, m2 = statistics
        std = np.sqrt(m2 / count)
        self.mean_, self.scale_ = mean, np.where(std > 0, std, 1.0)
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


RIGHT = [(checks.check_hessian_eigenvalues, hessian_eigenvalues), (checks.check_steps_at_best_rate, steps_at_best_rate),
         (checks.check_batch_statistics, batch_statistics), (checks.check_merge_statistics, merge_statistics),
         (checks.check_standardizer, Standardizer)]


@pytest.mark.parametrize(("check", "right"), RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out == checks.PASSED + "\n"


def _variant(**methods):
    """The right Standardizer with some methods replaced."""
    return type("Standardizer", (Standardizer,), methods)


def _upcast_statistics(X):
    X = X.astype(np.float64)
    mean = X.mean(axis=0)
    return len(X), mean, ((X - mean) ** 2).sum(axis=0)


def _fit_by_concatenating_in_float64(self, batches):
    X = np.concatenate(list(batches)).astype(np.float64)
    std = X.std(axis=0)
    self.mean_, self.scale_ = X.mean(axis=0), np.where(std > 0, std, 1.0)
    return self


def _product_form(x):
    """λmax with the root written as a product of two sums, λmin = 2σ² / (T + R): no cancellation anywhere."""
    c, std = float(x.mean()), float(x.std())
    trace, root = 1 + c * c + std * std, math.sqrt((c * c + (1 - std) ** 2) * (c * c + (1 + std) ** 2))
    return 2 * std * std / (trace + root), (trace + root) / 2


@pytest.mark.parametrize(("check", "right"), [
    (checks.check_hessian_eigenvalues, _product_form),
    (checks.check_hessian_eigenvalues, lambda x: [float(v) for v in hessian_eigenvalues(x)]),
    (checks.check_steps_at_best_rate, lambda k, e, t: 0 if e <= t else 1 if k == 1 else math.ceil(
        math.log(e / t) / (2 * math.log((k + 1) / (k - 1))))),  # without log1p: off by a few steps in 10⁹
    (checks.check_steps_at_best_rate, lambda k, e, t: np.int64(steps_at_best_rate(k, e, t))),
    (checks.check_batch_statistics, _upcast_statistics),
    (checks.check_batch_statistics, lambda X: [np.int64(len(X)), *batch_statistics(X)[1:]]),
    (checks.check_merge_statistics, lambda a, b: (a[0] + b[0], (a[0] * a[1] + b[0] * b[1]) / (a[0] + b[0]),
                                                  merge_statistics(a, b)[2])),
    (checks.check_standardizer, _variant(fit=_fit_by_concatenating_in_float64)),
    (checks.check_standardizer, _variant(transform=lambda self, X: ((X - self.mean_) / self.scale_).astype(X.dtype))),
], ids=["eigenvalues, another stable form", "eigenvalues as a list", "steps with log", "steps as np.int64",
        "statistics upcast to float64", "statistics as a list", "merge with a weighted mean",
        "standardizer concatenating in float64", "standardizer keeping float32"])
def test_a_right_answer_in_another_form_is_accepted(check, right):
    assert check(right) is None


def _failure(check, wrong) -> str:
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    return str(failure.value)


# Recognised mistakes ---------------------------------------------------------------------------------------------


def _design_eigenvalues(x):
    A = np.stack([np.ones_like(x), x], axis=1)
    return tuple(np.linalg.eigvalsh(A.T @ A / len(x)))


def _root_formula(x):
    c, v = x.mean(), x.var()
    trace = 1 + c * c + v
    root = np.sqrt(trace * trace - 4 * v)
    return (trace - root) / 2, (trace + root) / 2


def _eigenvalues_with(variance):
    def eigenvalues(x):
        c, v = x.mean(), variance(x)
        trace = 1 + c * c + v
        lambda_max = (trace + np.sqrt(trace * trace - 4 * v)) / 2
        return v / lambda_max, lambda_max
    return eigenvalues


def _steps(per_step=lambda k: 2 * math.log1p(2 / (k - 1)), rounding=math.ceil, one=1, zero=0):
    def steps(kappa, excess, tolerance):
        if excess <= tolerance:
            return zero
        if kappa == 1:
            return one
        return rounding(math.log(excess / tolerance) / per_step(kappa))
    return steps


def _statistics_with(m2_of):
    def statistics(X):
        count, mean, m2 = batch_statistics(X)
        return count, mean, m2_of(X, count, m2)
    return statistics


def _merge_with(mean_of=None, m2_of=None):
    def merge(first, second):
        count, mean, m2 = merge_statistics(first, second)
        return (count, mean if mean_of is None else mean_of(first, second, count),
                m2 if m2_of is None else m2_of(first, second, count, m2))
    return merge


def _between(first, second):
    return (second[1] - first[1]) ** 2 * first[0] * second[0]


def _fit_with(scale_of=None, mean_of=None):
    def fit(self, batches):
        Standardizer.fit(self, batches)
        if scale_of is not None:
            self.scale_ = scale_of(self.scale_)
        return self
    return fit


def _fit_twice(self, batches):
    """A two-pass fit: the mean first, the squared deviations in a second loop over `batches`."""
    count, total = 0, 0.0
    for batch in batches:
        count, total = count + len(batch), total + batch.astype(np.float64).sum(axis=0)
    self.mean_ = total / count
    m2 = np.zeros_like(self.mean_)
    for batch in batches:
        m2 = m2 + ((batch - self.mean_) ** 2).sum(axis=0)
    std = np.sqrt(m2 / count)
    self.mean_, self.scale_ = self.mean_, np.where(std > 0, std, 1.0)
    return self


def _fit_with_equal_weights(self, batches):
    statistics = [batch_statistics(batch) for batch in batches]
    self.mean_ = np.mean([mean for _, mean, _ in statistics], axis=0)
    std = np.sqrt(sum(m2 for *_, m2 in statistics) / sum(count for count, *_ in statistics))
    self.scale_ = np.where(std > 0, std, 1.0)
    return self


def _fit_in_float32(self, batches):
    X = np.concatenate(list(batches))
    std = X.std(axis=0)
    self.mean_, self.scale_ = X.mean(axis=0, dtype=np.float64), np.where(std > 0, std, 1.0)
    return self


def _fit_accumulating(self, batches):
    statistics = getattr(self, "statistics", None)
    for batch in batches:
        current = batch_statistics(batch)
        statistics = current if statistics is None else merge_statistics(statistics, current)
    self.statistics = statistics
    count, mean, m2 = statistics
    std = np.sqrt(m2 / count)
    self.mean_, self.scale_ = mean, np.where(std > 0, std, 1.0)
    return self


def _own_statistics(self, X):
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def _mean_from_X(self, X):
    self.mean_ = X.mean(axis=0)
    return (X - self.mean_) / self.scale_


MISTAKES = [
    (checks.check_hessian_eigenvalues, _design_eigenvalues, "what is the product of the two eigenvalues?"),
    (checks.check_hessian_eigenvalues, _root_formula, "the root formula with the minus sign"),
    (checks.check_hessian_eigenvalues, _eigenvalues_with(lambda x: np.mean(x * x) - x.mean() ** 2),
     "digits of lambda_min"),
    (checks.check_hessian_eigenvalues, _eigenvalues_with(lambda x: x.var(ddof=1)), "unbiased variance"),
    (checks.check_hessian_eigenvalues, lambda x: (x.var() / (1 + x.mean() ** 2 + x.var()), 1 + x.mean() ** 2 + x.var()),
     "the lesson's approximations"),
    (checks.check_hessian_eigenvalues, lambda x: hessian_eigenvalues(x)[::-1], "the order is swapped"),
    (checks.check_hessian_eigenvalues, lambda x: hessian_eigenvalues(x)[1], "return the 2 values together"),
    (checks.check_hessian_eigenvalues, lambda x: (None, hessian_eigenvalues(x)[1]), "return two numbers"),
    (checks.check_steps_at_best_rate, _steps(per_step=lambda k: 4 / k), "large-κ approximation"),
    (checks.check_steps_at_best_rate, _steps(per_step=lambda k: math.log1p(2 / (k - 1))), "about twice the count"),
    (checks.check_steps_at_best_rate, _steps(rounding=math.floor), "above the tolerance"),
    (checks.check_steps_at_best_rate, _steps(rounding=lambda t: math.ceil(t) + 1), "already"),
    (checks.check_steps_at_best_rate, _steps(rounding=lambda t: float(math.ceil(t))), "return an int"),
    (checks.check_steps_at_best_rate, _steps(one=0), "with κ = 1"),
    (checks.check_steps_at_best_rate, _steps(zero=1), "needs no step"),
    (checks.check_batch_statistics, lambda X: (len(X), X.mean(axis=0), ((X - X.mean(axis=0)) ** 2).sum(axis=0)),
     "numpy's float32 mean down axis 0"),
    (checks.check_batch_statistics, _statistics_with(lambda X, n, m2: n * ((X * X).mean(axis=0) - X.mean(axis=0) ** 2)),
     "cancels catastrophically"),
    (checks.check_batch_statistics, _statistics_with(lambda X, n, m2: m2 / n), "not their mean"),
    (checks.check_batch_statistics, _statistics_with(lambda X, n, m2: m2 / (n - 1)), "unbiased variance"),
    (checks.check_batch_statistics, lambda X: (float(len(X)), *batch_statistics(X)[1:]), "return an int"),
    (checks.check_batch_statistics, lambda X: (X.shape[1], *batch_statistics(X)[1:]), "the number of samples"),
    (checks.check_batch_statistics, _statistics_with(lambda X, n, m2: ((X - X.mean(axis=0)) ** 2).sum(axis=0)),
     "numpy's float32 mean down axis 0"),
    (checks.check_batch_statistics, lambda X: (len(X), X.mean(axis=1), X.var(axis=1)), "check the shape first"),
    (checks.check_merge_statistics, _merge_with(m2_of=lambda a, b, n, m2: a[2] + b[2]), "how far apart the two means"),
    (checks.check_merge_statistics, _merge_with(m2_of=lambda a, b, n, m2: a[2] + b[2] + _between(a, b)),
     "too large by a factor"),
    (checks.check_merge_statistics, _merge_with(m2_of=lambda a, b, n, m2: a[2] + b[2] + _between(a, b) / n**2),
     "too small by a factor"),
    (checks.check_merge_statistics, _merge_with(m2_of=lambda a, b, n, m2: m2 / n), "that is the merged variance"),
    (checks.check_merge_statistics, _merge_with(mean_of=lambda a, b, n: (a[1] + b[1]) / 2), "weights each batch"),
    (checks.check_merge_statistics, _merge_with(mean_of=lambda a, b, n: (b[0] * a[1] + a[0] * b[1]) / n),
     "the weights are swapped"),
    (checks.check_merge_statistics, lambda a, b: (a[0] + b[0], (a[0] * a[1] + b[0] * b[1]) / (a[0] + b[0]),
                                                  a[2] + b[2] + (b[1] - a[1]) ** 2 / (1 / a[0] + 1 / b[0]))
     if a[0] else (b[0], b[1], np.full_like(b[2], np.nan)), "count 0"),
    (checks.check_merge_statistics, lambda a, b: (a[0] + b[0] + 1, *merge_statistics(a, b)[1:]), "both batches"),
    (checks.check_standardizer, _variant(fit=_fit_with(scale_of=lambda s: np.where(s == 1.0, 0.0, s))), "is constant"),
    (checks.check_standardizer, _variant(fit=_fit_with(scale_of=lambda s: s**2)), "scale_ holds the variance"),
    (checks.check_standardizer, _variant(fit=_fit_twice), "read `batches` a second time"),
    (checks.check_standardizer, _variant(fit=_fit_with_equal_weights), "weight each batch by its count"),
    (checks.check_standardizer, _variant(fit=_fit_in_float32), "numpy's float32 standard deviation"),
    (checks.check_standardizer, _variant(fit=_fit_accumulating), "a second fit must start afresh"),
    (checks.check_standardizer, _variant(fit=lambda self, batches: Standardizer.fit(self, batches) and None),
     "fit returns self"),
    (checks.check_standardizer, _variant(transform=_own_statistics), "statistics of X itself"),
    (checks.check_standardizer, _variant(transform=lambda self, X: X - self.mean_), "not divided by scale_"),
    (checks.check_standardizer, _variant(transform=lambda self, X: (X - self.mean_) / self.scale_**2),
     "divides by the variance"),
    (checks.check_standardizer, _variant(transform=_mean_from_X), "mean_ holds the mean of X"),
]


@pytest.mark.parametrize(("check", "wrong", "hint"), MISTAKES, ids=[f"{c.__name__}-{h}" for c, _, h in MISTAKES])
def test_a_recognised_mistake_fails_with_its_hint(check, wrong, hint):
    message = _failure(check, wrong)
    assert "Hint:" in message and hint in message, message


@pytest.mark.parametrize(("check", "wrong"), [
    (checks.check_hessian_eigenvalues, lambda x: (1.0, 2.0)),
    (checks.check_steps_at_best_rate, lambda k, e, t: 3),
    (checks.check_batch_statistics, lambda X: (len(X), np.median(X, axis=0), np.ptp(X, axis=0))),
    (checks.check_merge_statistics, lambda a, b: (a[0] + b[0], np.maximum(a[1], b[1]), a[2] * b[2])),
    (checks.check_standardizer, _variant(transform=lambda self, X: np.tanh(X - self.mean_))),
], ids=["eigenvalues", "steps", "statistics", "merge", "standardizer"])
def test_an_unrecognised_mistake_gets_a_generic_hint_without_solution_code(check, wrong):
    hint = _failure(check, wrong).split("Hint:", 1)[1]
    assert "lesson 03" in hint, hint
    solution_code = ("log1p", "sqrt(", "delta", "mean_a +", "X[0]", "(T + R)", "count_b / count")
    shown = [code for code in solution_code if code in hint]
    assert not shown, f"the hint shows {shown}: {hint}"


def test_the_random_cases_are_seeded_so_a_failure_reproduces():
    wrong = _merge_with(m2_of=lambda a, b, n, m2: a[2] + b[2])
    messages = {_failure(checks.check_merge_statistics, wrong) for _ in range(2)}
    assert len(messages) == 1


# Calling batchkit, changing an input in place, ignoring an argument ----------------------------------------------


def _fit_with_centerer(self, batches):
    X = np.concatenate(list(batches))
    self.mean_, self.scale_ = batchkit.centering.Centerer().fit(X).mean_, X.std(axis=0)
    return self


def _fit_with_batch_mean_var(self, batches):
    mean, var = batchkit.statistics.batch_mean_var(np.concatenate(list(batches)))
    self.mean_, self.scale_ = mean, np.where(var > 0, np.sqrt(var), 1.0)
    return self


BORROWED = [
    (checks.check_hessian_eigenvalues, lambda x: tuple(np.linalg.eigvalsh(batchkit.linreg.hessian(x))),
     "linreg.hessian"),
    (checks.check_hessian_eigenvalues, lambda x: (1.0, batchkit.conditioning.condition_number(np.eye(2))),
     "conditioning.condition_number"),
    (checks.check_steps_at_best_rate, lambda k, e, t: batchkit.conditioning.steps_to_tolerance(
        np.diag([1.0, k]), np.array([math.sqrt(2 * e), 0.0]), 2 / (1 + k), t), "conditioning.steps_to_tolerance"),
    (checks.check_batch_statistics, lambda X: (len(X), *(lambda m, v: (m, v * len(X)))(
        *batchkit.statistics.batch_mean_var(X))), "statistics.batch_mean_var"),
    (checks.check_batch_statistics, lambda X: (len(X), batchkit.statistics.pairwise_sum(X) / len(X), None),
     "statistics.pairwise_sum"),
    (checks.check_merge_statistics, lambda a, b: (a[0] + b[0], batchkit.statistics.batch_mean_var(
        np.stack([a[1], b[1]]))[0], a[2] + b[2]), "statistics.batch_mean_var"),
    (checks.check_standardizer, _variant(fit=_fit_with_centerer), "centering.Centerer"),
    (checks.check_standardizer, _variant(fit=_fit_with_batch_mean_var), "statistics.batch_mean_var"),
]


@pytest.mark.parametrize(("check", "borrowed", "name"), BORROWED, ids=[f"{c.__name__}-{n}" for c, _, n in BORROWED])
def test_calling_batchkit_for_the_exercise_fails_with_a_message_that_says_so(check, borrowed, name):
    assert f"asks you to write it yourself, without calling batchkit.{name}" in _failure(check, borrowed)


def _center_inputs_in_place(x):
    x -= x.mean()
    return hessian_eigenvalues(x)


def _shift_in_place(X):
    X -= X[0].copy()
    return batch_statistics(X)


def _merge_into_first(first, second):
    count, mean, m2 = merge_statistics(first, second)
    first[1][...] = mean
    return count, first[1], m2


def _merge_into_second(first, second):
    count, mean, m2 = merge_statistics(first, second)
    second[2][...] = m2
    return count, mean, second[2]


def _fit_shifting_batches(self, batches):
    def shifted():
        for batch in batches:
            batch -= batch[0].copy()  # changes the loader's data
            yield batch
    return Standardizer.fit(self, shifted())


def _transform_in_place(self, X):
    X -= self.mean_.astype(X.dtype)
    X /= self.scale_.astype(X.dtype)
    return X


IN_PLACE = [(checks.check_hessian_eigenvalues, _center_inputs_in_place, "x", "work on a copy (x = x.copy())"),
            (checks.check_batch_statistics, _shift_in_place, "X", "work on a copy (X = X.copy())"),
            (checks.check_merge_statistics, _merge_into_first, "first", "build new arrays"),
            (checks.check_merge_statistics, _merge_into_second, "second", "build new arrays"),
            (checks.check_standardizer, _variant(fit=_fit_shifting_batches), "batches", "views of the training data"),
            (checks.check_standardizer, _variant(transform=_transform_in_place), "X", "work on a copy (X = X.copy())")]


@pytest.mark.parametrize(("check", "wrong", "argument", "hint"), IN_PLACE,
                         ids=[f"{c.__name__}-{a}" for c, _, a, _ in IN_PLACE])
def test_a_function_that_changes_its_input_in_place_fails(check, wrong, argument, hint):
    message = _failure(check, wrong)
    assert f"The input `{argument}`" in message and "changed in place" in message and hint in message, message


IGNORED = [
    (checks.check_steps_at_best_rate, lambda k, e, t: steps_at_best_rate(100.0, e, t), "kappa"),
    (checks.check_steps_at_best_rate, lambda k, e, t: steps_at_best_rate(k, 1.0, t), "excess"),
    (checks.check_steps_at_best_rate, lambda k, e, t: steps_at_best_rate(k, e, 1e-6), "tolerance"),
    (checks.check_merge_statistics, lambda a, b: a, "second"),
    (checks.check_merge_statistics, lambda a, b: b, "first"),
    (checks.check_standardizer, _variant(transform=lambda self, X: np.zeros((3, len(self.mean_)))), "X"),
]


@pytest.mark.parametrize(("check", "wrong", "argument"), IGNORED, ids=[f"{c.__name__}-{a}" for c, _, a in IGNORED])
def test_a_function_that_ignores_an_argument_fails_naming_it(check, wrong, argument):
    message = _failure(check, wrong)
    assert f"ignores its `{argument}` argument" in message, message


# One mistake fails one check: the standardizer's check uses the reference statistics and merge -------------------


def test_a_wrong_batch_statistics_or_merge_does_not_fail_the_standardizer():
    namespace: dict = {"np": np}
    exec("def batch_statistics(X):\n    return len(X), X.mean(axis=0), X.var(axis=0)\n"  # noqa: S102 - our own code
         "def merge_statistics(first, second):\n    return first[0] + second[0], first[1], first[2] + second[2]\n",
         namespace)
    wrong_statistics, wrong_merge = namespace["batch_statistics"], namespace["merge_statistics"]
    exec("class Standardizer:\n"  # noqa: S102 - the notebook's class, using the notebook's (wrong) functions
         "    def fit(self, batches):\n"
         "        statistics = None\n"
         "        for batch in batches:\n"
         "            current = batch_statistics(batch)\n"
         "            statistics = current if statistics is None else merge_statistics(statistics, current)\n"
         "        count, self.mean_, m2 = statistics\n"
         "        std = np.sqrt(m2 / count)\n"
         "        self.scale_ = np.where(std > 0, std, 1.0)\n"
         "        return self\n"
         "    def transform(self, X):\n"
         "        return (X - self.mean_) / self.scale_\n", namespace)
    assert _failure(checks.check_batch_statistics, wrong_statistics)
    assert _failure(checks.check_merge_statistics, wrong_merge)
    checks.check_standardizer(namespace["Standardizer"])
    assert namespace["batch_statistics"] is wrong_statistics  # restored after the check
    assert namespace["merge_statistics"] is wrong_merge


def test_an_unfinished_exercise_raises_not_implemented_error():
    """The student version's functions raise NotImplementedError; the check lets it through (nbgrader's signal)."""
    def unfinished(*args):
        raise NotImplementedError()

    class Unfinished:  # as the student version gives it
        def fit(self, batches):
            raise NotImplementedError()

        def transform(self, X):
            raise NotImplementedError()

    for check in (checks.check_hessian_eigenvalues, checks.check_steps_at_best_rate, checks.check_batch_statistics,
                  checks.check_merge_statistics):
        with pytest.raises(NotImplementedError):
            check(unfinished)
    with pytest.raises(NotImplementedError):
        checks.check_standardizer(Unfinished)


# The references agree with batchkit -----------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0.0, 0.5, 3.0, -20.0, 100.0])
def test_the_eigenvalue_reference_agrees_with_batchkit_where_eigvalsh_is_accurate(offset):
    x = offset + np.random.default_rng(1).normal(0.0, 1.5, 50)
    smallest, largest = batchkit.linreg.hessian_eigenvalues(x)
    H = batchkit.linreg.hessian(x)
    np.testing.assert_allclose([smallest, largest], np.linalg.eigvalsh(H), rtol=1e-6)
    assert largest / smallest == pytest.approx(batchkit.conditioning.condition_number(H), rel=1e-6)


@pytest.mark.parametrize(("kappa", "excess", "tolerance"), [(1.0, 3.0, 1e-6), (1.7, 2.0, 1e-6), (12.0, 0.5, 1e-8),
                                                             (3e3, 40.0, 1e-4), (2e5, 2.5, 1e-6), (50.0, 1e-7, 1e-6)])
def test_the_steps_reference_agrees_with_batchkits_step_count(kappa, excess, tolerance):
    H = np.diag([1.0, kappa])
    for start_error in (np.array([math.sqrt(2 * excess), 0.0]), np.array([0.0, math.sqrt(2 * excess / kappa)])):
        rate = batchkit.conditioning.best_learning_rate(H)
        assert batchkit.conditioning.steps_at_best_rate(kappa, excess, tolerance) == batchkit.conditioning.steps_to_tolerance(
            H, start_error, rate, tolerance)


def test_the_merge_reference_gives_the_statistics_of_the_concatenated_batches():
    rng = np.random.default_rng(2)
    a, b = rng.normal(3.0, 2.0, (7, 3)), rng.normal(-1.0, 0.5, (19, 3))
    count, mean, m2 = batchkit.statistics.merge_statistics(batchkit.statistics.batch_statistics(a), batchkit.statistics.batch_statistics(b))
    both_mean, both_var = batchkit.statistics.batch_mean_var(np.concatenate([a, b]))
    assert count == 26
    np.testing.assert_allclose(mean, both_mean, rtol=1e-12)
    np.testing.assert_allclose(m2 / count, both_var, rtol=1e-12)


def test_a_negative_sum_of_squares_is_named():
    def one_pass_m2(X):
        mean = X.astype(np.float64).mean(axis=0)  # a right mean, then the one-pass sum of squares in X's dtype
        return len(X), mean, (X * X).sum(axis=0) - len(X) * mean.astype(X.dtype) ** 2
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_batch_statistics(one_pass_m2)
    message = str(failure.value)
    assert "cannot be negative" in message or "cancels catastrophically" in message, message
