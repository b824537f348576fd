"""Lesson 04's homework checks: linear regression loss and gradient, the 1/t schedule, mini-batch GD."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import linreg
from ..sampling import epoch_batch_indices, iter_epochs
from ..training import learning_rates, train
from ._core import Student, _as_number, _compare, _fail, _parts, _passed, _recognise_number

#: What lesson 04's exercises ask the student to write: batchkit's loss, gradient, schedules and training loop
#: (``bk.iter_epochs`` stays available: exercise 2 asks for it).
BLOCKED = ("linreg.loss", "linreg.gradient", "linreg.loss_and_gradient", "training.train", "training.fit",
           "training._run", "training.learning_rates")


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


def check_linreg_loss_and_gradient(student: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]) -> None:
    """``student(theta, x, y) -> (J, gradient)`` with ``J = 1/(2m) Σ (θ0 + θ1 x - y)²``."""
    student = Student(student, "theta, x, y", BLOCKED)
    rng = np.random.default_rng(404)
    for m in [1, 5, 20, *rng.integers(2, 50, size=2).tolist()]:
        x, y, theta = rng.standard_normal(m), rng.standard_normal(m), rng.normal(0.0, 2.0, 2)
        case = f"a batch of m={m} samples"
        J, grad = _parts(student(case, theta, x, y), "J, gradient", case)
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
    _passed()


def check_inverse_time_schedule(student: Callable[[float, float, int], np.ndarray]) -> None:
    """``student(initial, decay, steps) -> array``: ``α_t = α0 / (1 + decay · t)`` for ``t = 0 .. steps - 1``."""
    student = Student(student, "initial, decay, steps", BLOCKED)
    rng = np.random.default_rng(406)
    cases = [(0.1, 0.01, 5), (1.0, 1.0, 4), (0.5, 0.0, 3)]
    cases += [(float(10 ** rng.uniform(-3, 0)), float(rng.uniform(0.01, 2.0)), int(rng.integers(2, 20)))
              for _ in range(4)]
    for initial, decay, steps in cases:
        t = np.arange(steps)
        mistakes = [(initial / (1 + decay * (t + 1)), "t counts steps from 0, so the first rate is the initial one"),
                    (initial * (1 - decay * t), "this decays linearly; the inverse-time schedule divides the "
                                                "initial rate, so it never reaches 0"),
                    (initial * np.exp(-decay * t), "this decays exponentially; the inverse-time schedule decays "
                                                   "more slowly, as 1/t for large t"),
                    (initial / (1 + decay) ** t, "this decays exponentially; the inverse-time schedule decays more "
                                                 "slowly, as 1/t for large t")]
        case = f"initial={initial:.3g}, decay={decay:.3g}, steps={steps}"
        args = (initial, decay, steps)
        _compare("The learning rates", case, learning_rates(initial, steps, "inverse_time", decay),
                 student(case, *args),
                 "an array of `steps` learning rates, one for each step t = 0 .. steps - 1, the first one equal to "
                 "initial, following the exercise's formula; see lesson 04, section 4", mistakes,
                 diagnose=lambda: student.ignored_argument(case, args, {0: 2 * initial, 1: decay + 0.5}))
    _passed()


def _gd_mistake(x: np.ndarray, y: np.ndarray, batch_size: int, epochs: int, learning_rate: float, seed: int, *,
                fixed_divisor: bool = False, same_order: bool = False) -> np.ndarray:
    """θ after a typical wrong training loop: dividing by batch_size, or the same batches every epoch (neither: the
    right one)."""
    theta = np.zeros(2)
    epoch_batches = ([epoch_batch_indices(len(x), batch_size, seed=seed)] * epochs if same_order else
                     iter_epochs(len(x), batch_size, epochs, seed=seed))
    for batches in epoch_batches:
        for index in batches:
            divisor = batch_size if fixed_divisor else len(index)
            gradient = linreg.gradient(theta, x[index], y[index]) * len(index) / divisor
            theta = theta - learning_rate * gradient
    return theta


def _reference_loss_and_gradient(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    return linreg.loss(theta, x, y), linreg.gradient(theta, x, y)


def _gd_cases(rng: np.random.Generator):
    """(x, y, batch_size, epochs, learning_rate, seed): fixed batch sizes first (the whole batch, 1, 7), then random."""
    for number in range(6):
        n = int(rng.integers(20, 40))
        x = rng.uniform(-2, 2, n)
        y = 1 + 2 * x + 0.1 * rng.standard_normal(n)
        batch_size = [n, 1, 7][number] if number < 3 else int(rng.integers(2, n))
        yield x, y, batch_size, int(rng.integers(1, 4)), float(rng.uniform(0.02, 0.2)), int(rng.integers(0, 1000))


def _changes(args: tuple) -> dict[int, Any]:
    """The other values of batch_size, epochs, learning_rate and seed that change the reference θ."""
    x, y, batch_size, epochs, learning_rate, seed = args
    expected = _gd_mistake(*args)
    changes = {2: batch_size + 1 if batch_size < len(x) else 1, 3: epochs + 1, 4: 2 * learning_rate, 5: seed + 1}
    return {index: other for index, other in changes.items()
            if not np.allclose(_gd_mistake(*[other if i == index else a for i, a in enumerate(args)]), expected,
                               rtol=1e-9, atol=1e-12)}


def check_minibatch_gd(student: Callable[..., np.ndarray]) -> None:
    """``student(x, y, batch_size, epochs, learning_rate, seed) -> theta`` after mini-batch GD from θ = 0.

    The batches must come from ``batchkit.iter_epochs(len(x), batch_size, epochs, seed=seed)``. While it runs, a
    ``loss_and_gradient`` it calls is the reference: a mistake there fails only its own check.
    """
    student = Student(student, "x, y, batch_size, epochs, learning_rate, seed", BLOCKED,
                      {"loss_and_gradient": _reference_loss_and_gradient})
    for args in _gd_cases(np.random.default_rng(405)):
        x, y, batch_size, epochs, learning_rate, seed = args
        case = (f"x of {len(x)} samples, batch_size={batch_size}, epochs={epochs}, "
                f"learning_rate={learning_rate:.3g}, seed={seed}")
        expected = train(x, y, batch_size=batch_size, epochs=epochs, learning_rate=learning_rate, seed=seed).theta[-1]
        mistakes = [(_gd_mistake(*args, fixed_divisor=True),
                     "the last batch of an epoch can be smaller: its gradient divides by its own size m, "
                     "not by batch_size"),
                    (_gd_mistake(*args, same_order=True),
                     "every epoch must take its batches from bk.iter_epochs with the given seed: the same batches "
                     "in every epoch are not a fresh shuffle")]
        _compare("θ after training", case, expected, student(case, *args),
                 "θ = (θ0, θ1) after one update per batch, each with the gradient of that batch only, the batches "
                 "of every epoch coming from bk.iter_epochs with the given seed; see lesson 04, section 1",
                 mistakes, tolerance=1e-8, diagnose=lambda: student.ignored_argument(case, args, _changes(args)))
    _passed()
