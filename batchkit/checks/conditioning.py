"""Homework 03, exercises 1 and 2 (lesson 03, section 2): the eigenvalues of the Hessian of linear regression from
the inputs' mean and variance, accurate far from 0, and the step count of gradient descent at the best learning rate.

batchkit's conditioning computes eigenvalues with ``numpy.linalg.eigvalsh``, which loses λmin when κ exceeds about
10¹⁶, so the reference for exercise 1 is the closed form, :func:`batchkit.linreg.hessian_eigenvalues`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from ..conditioning import steps_at_best_rate
from ..linreg import hessian_eigenvalues
from ._core import Student, _as_number, _fail, _is_int, _parts, _passed, _with_ignored
from .centering import BLOCKED, CONDITIONING, PART_A

__all__ = ["check_hessian_eigenvalues", "check_steps_at_best_rate"]  # what batchkit.checks exports


# Exercise 1: the eigenvalues of the Hessian ---------------------------------------------------------------------


def _eigenvalues_of(mean: float, variance: float) -> tuple[float, float]:
    """(λmin, λmax) for inputs with this mean and (biased) variance: those of two samples mean ± std."""
    std = math.sqrt(variance)
    return hessian_eigenvalues(np.array([mean - std, mean + std]))


def _eigen_inputs(rng: np.random.Generator) -> Iterator[np.ndarray]:
    """From easy to hard: centered inputs, a small, a medium and a negative offset, two samples, then offsets of 10³
    to 10⁴ and about -10⁶, where λmin is 10¹² to 10²⁴ times smaller than λmax."""
    offsets = [0.0, rng.uniform(0.2, 2.0), rng.uniform(3.0, 30.0), -rng.uniform(10.0, 100.0), rng.uniform(1.0, 10.0),
               10 ** rng.uniform(3.0, 4.0), -(10 ** rng.uniform(5.5, 6.0))]
    for number, offset in enumerate(offsets):
        samples = 2 if number == 4 else int(rng.integers(20, 200))
        x = offset + 10 ** rng.uniform(-0.5, 0.5) * rng.standard_normal(samples)
        yield x - x.mean() if number == 0 else x


def _eigen_hint(x: np.ndarray, expected: tuple[float, float], numbers: list[float | None]) -> str:
    if None in numbers:
        return f"return two numbers, (lambda_min, lambda_max); {PART_A}"
    smallest, largest = expected

    def same(pair: tuple[float, float]) -> bool:
        return all(abs(g - e) <= 1e-6 * abs(e) for g, e in zip(numbers, pair))
    mean, variance, m = float(x.mean()), float(x.var()), len(x)
    trace = 1.0 + mean * mean + variance
    if same((largest, smallest)):
        return "the order is swapped: return the smaller eigenvalue first, (lambda_min, lambda_max)"
    if same(_eigenvalues_of(mean, variance * m / (m - 1))):
        return ("this uses the unbiased variance (divide by m - 1); the Hessian averages over the m samples, so it "
                "holds the biased variance (divide by m)")
    if same((variance / trace, trace)):
        return ("these are the lesson's approximations for inputs far from zero (section 2), and they are off for "
                "these inputs: return the exact eigenvalues of your part A")
    if abs(numbers[1] - largest) <= 1e-6 * largest and largest / smallest > 1e10:
        return (f"lambda_max is right, lambda_min is not: here lambda_min is {largest / smallest:.1e} times smaller "
                "than lambda_max, and float64 keeps about 16 significant digits, so subtracting two numbers of "
                "lambda_max's size (building H and calling np.linalg.eigvalsh, the root formula with the minus sign, "
                f"or E[x²] - E[x]² for the variance) loses about {math.log10(largest / smallest):.0f} of those "
                "digits of lambda_min. Find a form without such a subtraction: what is the product of the two "
                "eigenvalues?")
    return (f"the two eigenvalues of the 2×2 Hessian of J for these inputs, smaller first, to 1e-6 relative; "
            f"{PART_A}")


def check_hessian_eigenvalues(student: Callable[[np.ndarray], tuple]) -> None:
    """``student(x) -> (lambda_min, lambda_max)``: the eigenvalues of the Hessian of J(θ0, θ1) for inputs x (m,)."""
    student = Student(student, "x", BLOCKED + CONDITIONING)
    for x in _eigen_inputs(np.random.default_rng(3031)):
        case = f"x of shape {x.shape} with mean {x.mean():.3g} and standard deviation {x.std():.3g}"
        expected = hessian_eigenvalues(x)
        got = _parts(student(case, x), "lambda_min, lambda_max", case)
        numbers = [_as_number(value) for value in got]
        if None not in numbers and all(abs(g - e) <= 1e-6 * e for g, e in zip(numbers, expected)):
            continue
        _fail("(lambda_min, lambda_max)", case, expected, tuple(numbers) if None not in numbers else got,
              _eigen_hint(x, expected, numbers))
    _passed()


# Exercise 2: the number of steps at the best learning rate ------------------------------------------------------


def _log_factor(kappa: float) -> float:
    """ln((κ + 1)/(κ - 1)), accurate for large κ."""
    return math.log1p(2.0 / (kappa - 1.0))


def _excess_after(kappa: float, excess: float, steps: float) -> float:
    return excess if steps <= 0 else (0.0 if kappa == 1.0 else excess * math.exp(-2.0 * steps * _log_factor(kappa)))


def _steps_cases(rng: np.random.Generator) -> Iterator[tuple[float, float, float]]:
    """κ from about 1 to 10⁸ (kept away from counts that land within rounding of a whole number), κ = 1, and a start
    already within the tolerance."""
    for kappa in (rng.uniform(3.0, 30.0), rng.uniform(1.2, 3.0), 10 ** rng.uniform(1.5, 3.0),
                  10 ** rng.uniform(3.0, 5.0), 10 ** rng.uniform(6.0, 8.0)):
        while True:
            excess, tolerance = 10 ** rng.uniform(-1.0, 2.0), 10 ** rng.uniform(-10.0, -3.0)
            real = math.log(excess / tolerance) / (2.0 * _log_factor(kappa))
            if real * 1e-8 >= 1 or abs(real - round(real)) > 1e-6:  # the check allows real · 1e-8 steps of slack
                break
        yield float(kappa), float(excess), float(tolerance)
    yield 1.0, float(10 ** rng.uniform(-1.0, 2.0)), float(10 ** rng.uniform(-8.0, -3.0))
    tolerance = float(10 ** rng.uniform(-6.0, -3.0))
    yield float(10 ** rng.uniform(1.0, 3.0)), tolerance * float(rng.uniform(0.1, 1.0)), tolerance


def _steps_hint(kappa: float, excess: float, tolerance: float, number: float | None, expected: int) -> str:
    generic = ("the fewest full-batch steps at the best learning rate after which the excess loss J - J* is at most "
               f"the tolerance, an int; {PART_A}")
    if number is None:
        return generic
    if expected == 0:
        return "the excess loss starts at or below the tolerance: gradient descent needs no step"
    if kappa == 1.0:
        return ("with κ = 1 the best learning rate takes the error on both axes of the bowl to 0 in one step: when "
                "the excess loss starts above the tolerance, one step is needed")
    slack = 1 + expected * 1e-8
    if expected >= 5 and abs(number - 2 * expected) <= 2 * slack:
        return ("this is about twice the count: the excess loss is quadratic in θ - θ*, so one step multiplies it by "
                "the square of the factor it multiplies the error by")
    if abs(number - expected) <= slack and number == int(number):
        after = _excess_after(kappa, excess, number)
        if after > tolerance:
            return (f"after {number:g} steps the excess loss is still {after:.4g}, above the tolerance "
                    f"{tolerance:.4g}: count the steps until it is at most the tolerance")
        return (f"the excess loss is already {_excess_after(kappa, excess, number - 1):.4g}, at most the tolerance "
                f"{tolerance:.4g}, after {number - 1:g} steps: return the fewest steps that get there")
    approximation = kappa / 4.0 * math.log(excess / tolerance)
    if number in (math.floor(approximation), math.ceil(approximation), round(approximation)):
        return (f"this matches the large-κ approximation of the count; at κ = {kappa:.3g} it is off: return the "
                "exact count of your part A")
    return generic


def check_steps_at_best_rate(student: Callable[[float, float, float], int]) -> None:
    """``student(kappa, excess, tolerance) -> steps``: gradient descent's step count at the best learning rate."""
    student = Student(student, "kappa, excess, tolerance", BLOCKED + CONDITIONING)
    for kappa, excess, tolerance in _steps_cases(np.random.default_rng(3032)):
        args = (kappa, excess, tolerance)
        case = f"kappa={kappa:.6g}, excess={excess:.6g}, tolerance={tolerance:.6g}"
        expected, got = steps_at_best_rate(*args), student(case, *args)
        number = _as_number(got)
        slack = expected * 1e-8  # ln((κ + 1)/(κ - 1)) computed without log1p is off by up to a few steps in 10⁹
        if number is not None and abs(number - expected) <= slack:
            if _is_int(got):
                continue
            hint = f"the count is right, but it is a {type(got).__name__}: return an int"
        else:
            hint = _steps_hint(kappa, excess, tolerance, number, expected)
            if number is not None and expected >= 5 and kappa > 1.0:
                hint = _with_ignored(lambda: student.ignored_argument(
                    case, args, {0: kappa * 4.0, 1: excess * 1e3, 2: tolerance * 1e-3}), hint)
        _fail("The number of steps", case, expected, got, hint)
    _passed()
