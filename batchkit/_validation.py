"""Argument checks shared by every batchkit function.

Each check raises *before* any work is done, and its message names the argument, what was received and what is
expected, so that a student can fix the call without reading batchkit's source.
"""

from __future__ import annotations

import numbers

import numpy as np

from typing import Union

#: What every random function in batchkit accepts: an int seed, a Generator to draw from, or None (fresh entropy).
SeedLike = Union[int, np.random.Generator, None]


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1, else raise.

    ``bool`` is rejected on purpose: ``batch_size=True`` is almost always a bug, even though ``True == 1``.
    Floats such as ``32.0`` are rejected too, because ``n / b`` style code silently produces them.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r} of type {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}")
    return int(value)


def check_nonnegative_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r} of type {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer (>= 0), got {value}")
    return int(value)


def check_real(name: str, value: object, *, low: float, high: float = float("inf"),
               low_inclusive: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a real number in the range (``low``, ``high``), else raise.

    ``low`` is excluded unless ``low_inclusive``; ``high`` is always included. ``bool`` is rejected, as in
    :func:`check_positive_int`; so are NaN and, when ``high`` is infinite, infinity.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}")
    above = value >= low if low_inclusive else value > low
    if not (above and value <= high and np.isfinite(value)):
        lower = "[" if low_inclusive else "("
        raise ValueError(f"{name} must be in {lower}{low:g}, {high:g}], got {value!r}")
    return float(value)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool`` (or numpy bool), else raise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} of type {type(value).__name__}")
    return bool(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return str(value)


def as_generator(seed: object) -> np.random.Generator:
    """Turn ``seed`` (an int, a Generator or None) into a ``numpy.random.Generator``.

    A Generator is used as it is (not copied), so successive calls that share it draw fresh numbers: that is how
    successive epochs get different shuffles. ``None`` asks the operating system for entropy (not reproducible).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(
            f"seed must be a non-negative integer, a numpy.random.Generator or None, got {seed!r} "
            f"of type {type(seed).__name__}"
        )
    return np.random.default_rng(int(seed))


def check_array(name: str, value: object, *, ndim: tuple[int, ...]) -> np.ndarray:
    """Return ``value`` as a numpy array with one of the allowed numbers of dimensions, else raise.

    Lists are accepted and converted; object arrays (ragged lists) are rejected with a message.
    """
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got an object array (ragged nested lists?)")
    if array.ndim not in ndim:
        expected = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {expected}, got an array of shape {array.shape} ({array.ndim}-D)")
    return array


def check_finite(name: str, array: np.ndarray) -> np.ndarray:
    """Return ``array`` if every value is finite, else raise: NaN or infinity in data is a data problem, and must
    be reported as one before any work (not later, as a diverged loss that looks like a learning-rate problem)."""
    finite = np.isfinite(array)
    if not np.all(finite):
        bad = int(np.size(finite) - np.count_nonzero(finite))
        raise ValueError(f"{name} holds {bad} non-finite value(s) (NaN or infinity): check the data before training")
    return array


def check_symmetric_matrix(name: str, value: object) -> np.ndarray:
    """Return ``value`` as a square 2-D float array, else raise (a Hessian, for example)."""
    matrix = check_array(name, value, ndim=(2,))
    if matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {matrix.shape}")
    return check_finite(name, matrix.astype(float))


class NotFittedError(ValueError, AttributeError):
    """A method that needs learned state was called before ``fit`` (scikit-learn's convention and class bases)."""
