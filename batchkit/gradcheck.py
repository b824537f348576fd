"""Numerical gradient checking: does a hand-written backward pass agree with centred finite differences?

Recipe (as in cs231n): in float64, pick a random upstream gradient ``dout``, define the scalar
``L(x) = sum(forward(x) * dout)``, so that ``dL/dx`` is exactly what ``backward(dout)`` should return, and
estimate it by centred differences ``(L(x + h) - L(x - h)) / 2h`` for every entry of every input. Compare with
:func:`rel_error`: below about 1e-7 is right; a wrong backward is typically above 1e-2. (``h = 1e-5`` balances
the truncation error of the difference, about h², against rounding, about 1e-16 / h.)

:func:`rel_error` scales the largest difference by the largest entries of the two arrays. cs231n scales entry by
entry instead (:func:`rel_error_per_entry`): its assignments divide by ``|a| + |b|``, its course notes by
``max(|a|, |b|)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._validation import SeedLike, as_generator, check_real

#: Largest relative error that counts as a correct gradient in float64.
DEFAULT_TOLERANCE = 1e-7


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference relative to the arrays' scale: ``max|a - b| / max(1e-8, max|a| + max|b|)``.

    Scaled by the largest entries rather than entry by entry: a gradient entry that is almost 0 (batch
    normalization's input gradients sum to 0 over the batch, so some always are) would otherwise turn a harmless
    1e-10 rounding difference into a large "relative" error. NaN or infinite entries give ``inf``, so that a
    comparison ``rel_error(a, b) <= tolerance`` never passes them.

    Parameters
    ----------
    a, b : numpy.ndarray, the same shape
        Typically the analytic and the numerical gradient.

    Returns
    -------
    float
        0 for equal arrays, at most 1; ``inf`` for NaN or infinite entries.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, reported as inf below
        error = float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a)) + np.max(np.abs(b))))
    return error if np.isfinite(error) else float("inf")  # NaN or inf entries never count as close


def rel_error_per_entry(a: np.ndarray, b: np.ndarray, *, denominator: str = "sum") -> float:
    """cs231n's relative error: each entry's difference relative to that entry's own size, then the largest.

    Parameters
    ----------
    a, b : numpy.ndarray, the same shape
    denominator : {"sum", "max"}
        ``"sum"``: ``max |a - b| / max(1e-8, |a| + |b|)`` entry by entry, the ``rel_error`` of cs231n's
        assignments. ``"max"``: ``|a - b| / max(|a|, |b|)`` entry by entry (floored at 1e-8 as well), the formula of
        cs231n's notes on gradient checks.

    Returns
    -------
    float
        0 for equal arrays, at most 1 (``"sum"``) or 2 (``"max"``); ``inf`` for NaN or infinite entries.
    """
    if denominator not in ("sum", "max"):
        raise ValueError(f"denominator must be 'sum' or 'max', got {denominator!r}")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = np.abs(a) + np.abs(b) if denominator == "sum" else np.maximum(np.abs(a), np.abs(b))
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and overflow are reported as inf below
        error = float(np.max(np.abs(a - b) / np.maximum(1e-8, scale)))
    return error if np.isfinite(error) else float("inf")


def numerical_gradient(
    loss: Callable[[], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of the scalar ``loss()`` with respect to the array ``x``, changed in place.

    The loop over entries of ``x`` is the method itself: each entry needs its own two evaluations of the loss.
    ``h`` > 0 is the step; 1e-5 balances the formula's error (∝ h²) against rounding (∝ 1/h) in float64.
    ``x`` is restored exactly after each entry.
    """
    h = check_real("h", h, low=0.0)
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = loss()
        x[index] = original - h
        minus = loss()
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


@dataclass(frozen=True)
class GradientCheck:
    """Result of :func:`check_gradients`: the relative error of every input's gradient.

    Attributes
    ----------
    errors : dict of str to float
        :func:`rel_error` of the analytic against the numerical gradient, by input name.
    tolerance : float
    analytic, numerical : dict of str to numpy.ndarray
        The two gradients that were compared, by input name, each of that input's shape.
    """

    errors: dict[str, float]
    tolerance: float
    analytic: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    numerical: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return all(error <= self.tolerance for error in self.errors.values())

    def __str__(self) -> str:
        lines = [f"{name}: rel_error {error:.1e} {'ok' if error <= self.tolerance else 'WRONG'}"
                 for name, error in self.errors.items()]
        return "\n".join(lines)


def check_gradients(
    forward: Callable[..., np.ndarray],
    backward: Callable[..., dict[str, np.ndarray]],
    inputs: dict[str, np.ndarray],
    *,
    seed: SeedLike = 0,
    tolerance: float = DEFAULT_TOLERANCE,
) -> GradientCheck:
    """Compare ``backward`` with numerical gradients of ``forward`` for every array in ``inputs``.

    Parameters
    ----------
    forward : callable
        ``forward(**inputs) -> out``, any output shape.
    backward : callable
        ``backward(dout, **inputs) -> {name: gradient}``, one gradient per name in ``inputs``, each of that
        input's shape.
    inputs : dict of str to numpy.ndarray
        Where to check. Copied to float64; the originals are not changed.
    seed : int or numpy.random.Generator
        For the random upstream gradient ``dout``.

    Returns
    -------
    GradientCheck
        ``.errors`` by input name, ``.passed``, and the compared ``.analytic`` and ``.numerical`` gradients;
        ``str()`` gives a readable table.
    """
    values = {name: np.array(value, dtype=np.float64) for name, value in inputs.items()}
    out = np.asarray(forward(**values))
    dout = as_generator(seed).standard_normal(out.shape)
    analytic = backward(dout, **values)
    missing = set(values) - set(analytic)
    if missing:
        raise ValueError(f"backward returned no gradient for {sorted(missing)}")

    def loss() -> float:
        return float(np.sum(np.asarray(forward(**values)) * dout))

    numerical = {}
    for name, value in values.items():
        if np.shape(analytic[name]) != value.shape:
            raise ValueError(f"gradient of {name} has shape {np.shape(analytic[name])}, expected {value.shape}")
        numerical[name] = numerical_gradient(loss, value)
    errors = {name: rel_error(analytic[name], numerical[name]) for name in values}
    return GradientCheck(errors=errors, tolerance=tolerance, numerical=numerical,
                         analytic={name: np.asarray(analytic[name], dtype=np.float64) for name in values})
