"""Lesson 04's homework checks: the per-sample gradients of linear regression, the noise of a mini-batch gradient
(predicted from them and measured), and the mini-batch GD loop with a 1/t schedule that reports divergence.

Every check grades its own exercise: the loop's check replaces the student's ``per_sample_gradients`` by the
reference.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..sampling import epoch_batch_indices, iter_epochs
from ..statistics import batch_mean_std
from ._core import (Student, _as_array, _as_number, _compare, _fail, _is_int, _parts, _passed, _recognise,
                    _recognise_number, _with_ignored)

__all__ = ["check_per_sample_gradients", "check_minibatch_gradient_msd", "check_measured_gradient_msd",
           "check_minibatch_gd_schedule"]  # what batchkit.checks exports

#: What lesson 04's exercises ask the student to write: batchkit's loss, gradient, schedules and training loop
#: (``bk.iter_epochs`` stays available: the exercises ask for it).
BLOCKED = ("linreg.loss", "linreg.gradient", "linreg.loss_and_gradient", "training.train", "training.fit",
           "training._run", "training.learning_rates")
#: The new exercises also block the model itself and what gives away the noise of a batch: lesson 03's σ/√b with its
#: correction and lesson 04's measurement.
NOISE_BLOCKED = (*BLOCKED, "linreg.predict", "linreg.gradient_noise", "statistics.batch_mean_std")
PART_A = "see part A of the written answers"


def _per_sample(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row i: the gradient of sample i's own loss ½(h_θ(x⁽ⁱ⁾) - y⁽ⁱ⁾)², shape (m, d + 1)."""
    design = np.hstack([np.ones((len(X), 1)), X])
    return (design @ theta - y)[:, None] * design


def check_per_sample_gradients(student: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``student(theta, X, y) -> (m, d + 1)``: every sample's own gradient, one row each; their mean is J's gradient."""
    student = Student(student, "theta, X, y", NOISE_BLOCKED)
    rng = np.random.default_rng(414)
    for m, d in [(6, 1), (1, 3), *zip(rng.integers(2, 12, 3).tolist(), rng.integers(2, 6, 3).tolist())]:
        X, theta = rng.normal(rng.normal(0, 2, d), 1.5, (m, d)), rng.normal(0.0, 2.0, d + 1)
        y = X @ rng.normal(0, 2, d) + rng.normal(0, 3) + rng.standard_normal(m)
        case, expected = f"m={m} samples of d={d} features", _per_sample(theta, X, y)
        mistakes = [(expected / m, "each row is the gradient of one sample's own loss, not its share of the batch "
                                   "mean: do not divide by m"),
                    (-expected, "the gradient has the wrong sign: the residual is the prediction minus the target"),
                    (2 * expected, "this is twice the gradient: the ½ in the loss cancels the 2 from the square"),
                    (expected[:, 1:], "the first column is the derivative with respect to θ0, the intercept: d + 1 "
                                      "columns"),
                    (expected.T, "one row per sample: this is the transpose"),
                    (expected.mean(axis=0), "this is the batch gradient, the mean of the rows: return every sample's "
                                            "own gradient, one row each")]
        _compare("The per-sample gradients", case, expected, student(case, theta, X, y),
                 f"an array of shape (m, d + 1): row i holds (∂ℓi/∂θ0, ..., ∂ℓi/∂θd) for sample i's own loss "
                 f"ℓi = ½(h_θ(x⁽ⁱ⁾) - y⁽ⁱ⁾)²; {PART_A}", mistakes, tolerance=1e-9,
                 diagnose=lambda: student.ignored_argument(case, (theta, X, y), {0: theta + 1.0}))
    _passed()


def _msd(per_sample: np.ndarray, batch_size: int) -> float:
    """E|g_B - ḡ|² for b distinct rows drawn at random: lesson 03's σ²/b with its correction, summed over columns."""
    return sum(batch_mean_std(sigma, len(per_sample), batch_size) ** 2 for sigma in per_sample.std(axis=0))


_NOT_CENTRED = ("the deviations are measured from the full gradient ḡ, the mean of all rows: the raw second moment "
                "counts |ḡ|² as noise")
_ROOT = "this is the root of the mean squared deviation: return the mean square itself"
_PER_COMPONENT = "this averages over the p components: the squared length sums them"


def check_minibatch_gradient_msd(student: Callable[[np.ndarray, int], float]) -> None:
    """``student(per_sample, batch_size) -> float``: E|g_B - ḡ|² for a batch of distinct rows of ``per_sample``."""
    student = Student(student, "per_sample, batch_size", NOISE_BLOCKED)
    rng = np.random.default_rng(415)
    for number in range(6):
        n, p = int(rng.integers(4, 30)), int(rng.integers(1, 5))
        b = [1, n, n - 1][number] if number < 3 else int(rng.integers(2, n - 1))
        G = rng.normal(rng.normal(0, 3, p), rng.uniform(0.5, 3, p), (n, p))  # per-sample gradients, mean not 0
        case, expected = f"per_sample of shape ({n}, {p}), batch_size={b}", _msd(G, b)
        trace, raw = float(G.var(axis=0).sum()), float((G ** 2).sum(axis=1).mean())
        mistakes = [(trace / b, "this is the value for batches drawn with replacement: without replacement the rows "
                                "of a batch are not independent, and the full batch (b = n) has no noise"),
                    (trace / b * np.sqrt((n - b) / (n - 1)), "lesson 03's √((n - b)/(n - 1)) corrects a standard "
                                                             "deviation; a mean square needs its square"),
                    (trace / b * (n - b) / n, "check your correction factor at b = 1, where the batch is one random "
                                              "row and the mean squared deviation is the per-sample variance"),
                    (expected * n / (n - 1), "a factor n/(n - 1) too large: your per-sample variance and your "
                                             "correction factor both divide by n - 1; only one of them should"),
                    (raw / b * (n - b) / (n - 1), _NOT_CENTRED), (np.sqrt(expected), _ROOT),
                    (expected / p, _PER_COMPONENT)]
        mistakes = [(value, hint) for value, hint in mistakes if not np.isclose(value, expected)]  # wrong here
        got = student(case, G, b)
        if np.shape(got) == (p,) and p > 1 and np.isclose(np.sum(got), expected):
            _fail("The mean squared deviation", case, expected, got, "one number: the squared length sums the "
                  "p components")
        number_got = _as_number(got)
        if number_got is None or not np.isclose(number_got, expected, rtol=1e-9, atol=1e-12):
            hint = _recognise_number(number_got, mistakes, f"one number: the expected squared length of g_B - ḡ, "
                                     f"for a batch of batch_size distinct rows drawn at random; {PART_A}")
            _fail("The mean squared deviation", case, expected, got, _with_ignored(
                None if number_got is None else
                lambda: student.ignored_argument(case, (G, b), {1: b - 1 if b > 1 else 2}), hint))
    _passed()


def _measured(G: np.ndarray, batch_size: int, epochs: int, replacement: bool, seed: int, *,
              drop_last: bool = True, centre: bool = True) -> float:
    """The mean of |g_B - ḡ|² over every batch of ``epochs`` epochs of ``iter_epochs`` (ḡ = 0 if not ``centre``)."""
    batches = [index for epoch in iter_epochs(len(G), batch_size, epochs, replacement=replacement,
                                              drop_last=drop_last, seed=seed) for index in epoch]
    deviations = np.array([G[index].mean(axis=0) for index in batches]) - (G.mean(axis=0) if centre else 0.0)
    return float(np.mean(np.sum(deviations ** 2, axis=1)))


def check_measured_gradient_msd(student: Callable[..., float]) -> None:
    """``student(per_sample, batch_size, epochs, replacement, seed) -> float``: the measured mean of |g_B - ḡ|²."""
    student = Student(student, "per_sample, batch_size, epochs, replacement, seed", NOISE_BLOCKED)
    rng = np.random.default_rng(416)
    for number in range(5):
        n, p = int(rng.integers(10, 40)), int(rng.integers(1, 4))
        b = int(rng.choice([k for k in range(2, n // 2) if n % k]))  # a smaller last batch, which drop_last drops
        G = rng.normal(rng.normal(0, 3, p), rng.uniform(0.5, 3, p), (n, p))
        args = (G, b, int(rng.integers(1, 4)), bool(number % 2), int(rng.integers(0, 1000)))
        case = (f"per_sample of shape ({n}, {p}), batch_size={b}, epochs={args[2]}, replacement={args[3]}, "
                f"seed={args[4]}")
        expected = _measured(*args)
        mistakes = [(_measured(*args, drop_last=False), "the last, smaller batch of each epoch is included: use only "
                     "full batches (drop_last=True), whose noise part A predicts"),
                    (_measured(G, b, 1, args[3], args[4]), "every epoch drew the same batches (one bk.iter_epochs "
                     "call of one epoch per epoch, with the same seed): take all the epochs from one call, "
                     "bk.iter_epochs(n, batch_size, epochs, ..., seed=seed)"),
                    (_measured(*args, centre=False), _NOT_CENTRED), (np.sqrt(expected), _ROOT),
                    (expected / p, _PER_COMPONENT)]
        mistakes = [(value, hint) for value, hint in mistakes if not np.isclose(value, expected)]  # wrong here
        got = student(case, *args)
        number_got = _as_number(got)
        if number_got is None or not np.isclose(number_got, expected, rtol=1e-9, atol=1e-12):
            changes = {1: b + 1, 2: args[2] + 1, 3: not args[3], 4: args[4] + 1}
            hint = _recognise_number(number_got, mistakes, "one number: the mean, over every batch that "
                                     "bk.iter_epochs(n, batch_size, epochs, replacement=replacement, drop_last=True, "
                                     "seed=seed) draws, of the squared length of (mean of the batch's rows) - (mean "
                                     "of all rows)")
            _fail("The measured mean squared deviation", case, expected, got, _with_ignored(
                None if number_got is None else lambda: student.ignored_argument(case, args, changes), hint))
    _passed()


def _loop(X: np.ndarray, y: np.ndarray, batch_size: int, epochs: int, learning_rate: float, decay: float, seed: int,
          mistake: str = "") -> tuple[np.ndarray, int | None]:
    """(θ, diverged_at) after mini-batch GD from θ = 0 with α_t = α0 / (1 + decay · t), or after a typical wrong loop.

    A step whose new θ is not finite ends the run: θ stays the one before it, and its number (from 1) is returned.
    """
    theta, t = np.zeros(X.shape[1] + 1), 0
    epoch_batches = ([epoch_batch_indices(len(X), batch_size, seed=seed)] * epochs if mistake == "same batches" else
                     iter_epochs(len(X), batch_size, epochs, seed=seed))
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch, batches in enumerate(epoch_batches):
            for step, index in enumerate(batches):
                per_sample = _per_sample(theta, X[index], y[index])
                gradient = per_sample.sum(axis=0) / {"fixed divisor": batch_size, "sum": 1}.get(mistake, len(index))
                clock = {"per epoch": epoch, "restart": step, "from 1": t + 1}.get(mistake, t)
                new, t = theta - learning_rate / (1 + decay * clock) * gradient, t + 1
                if mistake == "stop on loss" and not np.isfinite(np.mean(per_sample[:, 0] ** 2) / 2):
                    return theta, t
                if not np.all(np.isfinite(new)):
                    return theta, t
                theta = new
    return theta, None


_LOOP_MISTAKES = {
    "fixed divisor": "the last batch of an epoch can be smaller: its gradient is the mean over its own rows, not the "
                     "sum divided by batch_size",
    "sum": "the step uses the sum of the batch's per-sample gradients: J's gradient is their mean",
    "same batches": "every epoch must take its batches from bk.iter_epochs with the given seed: the same batches in "
                    "every epoch are not a fresh shuffle",
    "restart": "the rate's clock t restarts every epoch: t counts the steps of the whole run",
    "from 1": "t counts steps from 0, so the first step uses learning_rate itself",
    "per epoch": "the rate decays with every step, not with every epoch: t counts updates",
    "stop on loss": "the run stopped when the batch loss overflowed; this exercise stops at the first update whose "
                    "new θ is not finite (inf or NaN)"}


def _loop_cases(rng: np.random.Generator):
    """(X, y, batch_size, epochs, learning_rate, decay, seed): batch sizes 7, 1 (at a constant rate), n, then random;
    the last two diverge. With b = n a clock that restarts every epoch would look like an ignored decay: not first."""
    for number in range(7):
        n, d = int(rng.integers(15, 40)), int(rng.integers(1, 4))
        X = rng.normal(0.0, 1.0 if number < 5 else 3.0, (n, d))
        y = X @ rng.normal(0, 2, d) + rng.normal(1.0, 1.0) + 0.3 * rng.standard_normal(n)
        batch_size = [7, 1, n][number] if number < 3 else int(rng.integers(2, n))
        rate = float(rng.uniform(0.02, 0.1) if number < 5 else 10 ** rng.uniform(2, 3))  # the last two far too large
        decay = 0.0 if number == 1 else float(rng.uniform(0.01, 0.5 if number < 5 else 0.05))
        yield X, y, batch_size, int(rng.integers(2, 5)) + 16 * (number >= 5), rate, decay, int(rng.integers(0, 1000))


def _loop_changes(args: tuple) -> dict[int, Any]:
    """Other values of batch_size, epochs, learning_rate, decay and seed that change the reference result."""
    X, y, batch_size, epochs, rate, decay, seed = args
    first = _loop(*args)
    changes = {2: batch_size + 1 if batch_size < len(X) else 1, 3: epochs + 1, 4: 2 * rate, 5: decay + 0.3,
               6: seed + 1}

    def differs(index: int, other: Any) -> bool:
        theta, step = _loop(*[other if i == index else a for i, a in enumerate(args)])
        return step != first[1] or not np.allclose(theta, first[0], rtol=1e-9, atol=1e-12)
    return {index: other for index, other in changes.items() if differs(index, other)}


def _step_hint(step: int | None, got: Any) -> str:
    """The hint for a wrong ``diverged_at`` that no typical wrong loop explains."""
    if step is None:
        return "this run finished without θ becoming inf or NaN: diverged_at is None"
    if _as_number(got) == step:
        return "the step is right, but return it as an int"
    if _as_number(got) == step - 1:
        return "number the steps from 1: the first update is step 1"
    return ("this run diverged: stop at the first update whose new θ is not finite and return that step's number "
            "(from 1)")


def _step_as_number(student: Student) -> Student:
    """The student's loop with a diverged_at of None given as -1 (None never compares equal), for naming an ignored
    argument. It keeps the student's globals, so that its ``per_sample_gradients`` is still the reference."""
    loop = student.function

    def step_as_number(*args: Any) -> tuple:
        theta, step = loop(*args)
        return theta, -1 if step is None else step
    return Student(types.FunctionType(step_as_number.__code__, getattr(loop, "__globals__", {}),
                                      closure=step_as_number.__closure__), student.names, student.blocked,
                   student.collaborators)


def check_minibatch_gd_schedule(student: Callable[..., tuple]) -> None:
    """``student(X, y, batch_size, epochs, learning_rate, decay, seed) -> (theta, diverged_at)``.

    Mini-batch GD from θ = 0, batches from ``bk.iter_epochs(len(X), batch_size, epochs, seed=seed)``, rate
    α_t = learning_rate / (1 + decay · t); ``diverged_at`` is None, or the number (from 1) of the first step whose new
    θ was not finite, θ then being the one before it. A ``per_sample_gradients`` it calls is the reference.
    """
    student = Student(student, "X, y, batch_size, epochs, learning_rate, decay, seed", NOISE_BLOCKED,
                      {"per_sample_gradients": _per_sample})
    for args in _loop_cases(np.random.default_rng(417)):
        X, y, batch_size, epochs, rate, decay, seed = args
        case = (f"X of shape {X.shape}, batch_size={batch_size}, epochs={epochs}, learning_rate={rate:.3g}, "
                f"decay={decay:.3g}, seed={seed}")
        (theta, step) = _loop(*args)
        variants = {hint: _loop(*args, mistake) for mistake, hint in _LOOP_MISTAKES.items()}
        variants = {hint: (other, other_step) for hint, (other, other_step) in variants.items()  # mistakes that differ
                    if other_step != step or not np.allclose(other, theta, rtol=1e-9, atol=1e-12)}  # here
        with np.errstate(over="ignore", invalid="ignore"):
            got_theta, got_step = _parts(student(case, *args), "theta, diverged_at", case)
        known = next((hint for hint, (other, other_step) in variants.items() if other_step == got_step and
                      _recognise(got_theta, [(other, hint)])), "")
        array = _as_array(got_theta)
        finite = array is not None and bool(np.all(np.isfinite(array)))
        diagnose = None if known or not finite else (  # a known mistake or a NaN θ is not an ignored argument
            lambda: _step_as_number(student).ignored_argument(case, args, _loop_changes(args)))
        if not (got_step is None if step is None else _is_int(got_step) and got_step == step):
            _fail("diverged_at", case, step, got_step, _with_ignored(diagnose, known or _step_hint(step, got_step)))
        if step is not None and array is not None and not finite:
            _fail("θ after training", case, theta, got_theta, "return the last finite θ, from before the update "
                  "that broke it")
        _compare("θ after training", case, theta, got_theta, known or
                 "θ after one update per batch, each with the mean gradient of that batch and the rate α_t of step t "
                 "(t = 0, 1, ... over the whole run), the batches of every epoch from bk.iter_epochs with the given "
                 "seed", tolerance=1e-8, diagnose=diagnose)
    _passed()
