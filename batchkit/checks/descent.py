"""Lesson 04's homework checks: linear regression loss and gradient, the 1/t schedule, mini-batch GD."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import linreg
from ..sampling import epoch_batch_indices, iter_epochs
from ._core import PASSED, _as_number, _compare, _fail, _parts, _recognise_number


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
    from ..training import learning_rates

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
    from ..training import train

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
