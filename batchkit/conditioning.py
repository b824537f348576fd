"""Why centering speeds up gradient descent: the shape of the loss surface.

For linear regression, ``J`` is a quadratic bowl whose Hessian is ``H = [1 x]ᵀ[1 x] / m``. With inputs around an
offset ``c`` (say ``x ≈ 100``), ``H ≈ [[1, c], [c, c² + σ²]]``: its eigenvalues differ by a factor of about
``(1 + c² + σ²)² / σ²``, roughly ``c⁴`` — the **condition number** ``κ = λmax / λmin``. Contours are long thin ellipses, and gradient descent
needs about ``κ`` steps. Centering the inputs (``c = 0``) makes ``H = diag(1, σ²)``: round contours, few steps.

Gradient descent on a quadratic can be followed exactly in the eigenbasis of ``H``: after ``t`` steps at learning
rate ``α`` the excess loss is ``½ Σ_i λ_i c_i² (1 - α λ_i)^{2t}``, where ``c_i`` are the coordinates of the
starting error. :func:`steps_to_tolerance` uses that to count the steps exactly, even when there are 10⁹ of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .linreg import as_features, hessian, least_squares, loss

MAX_STEPS = 10**15


def condition_number(H: np.ndarray) -> float:
    """``λmax / λmin`` of a symmetric positive definite matrix."""
    eigenvalues = np.linalg.eigvalsh(H)
    return float(eigenvalues[-1] / eigenvalues[0])


def best_learning_rate(H: np.ndarray) -> float:
    """The constant learning rate that makes gradient descent on ``½ eᵀ H e`` fastest: ``2 / (λmin + λmax)``.

    Every learning rate below ``2 / λmax`` converges; this one balances the slowest and the fastest direction.
    """
    eigenvalues = np.linalg.eigvalsh(H)
    return float(2.0 / (eigenvalues[0] + eigenvalues[-1]))


def excess_loss_after(H: np.ndarray, start_error: np.ndarray, learning_rate: float, steps: np.ndarray) -> np.ndarray:
    """``J(θ_t) - J(θ*)`` after each number of steps in ``steps`` (any shape), computed in closed form."""
    eigenvalues, vectors = np.linalg.eigh(H)
    coordinates = vectors.T @ start_error
    factors = np.abs(1.0 - learning_rate * eigenvalues)
    steps = np.asarray(steps, dtype=np.float64)[..., None]
    return 0.5 * np.sum(eigenvalues * coordinates**2 * factors ** (2 * steps), axis=-1)


def steps_to_tolerance(H: np.ndarray, start_error: np.ndarray, learning_rate: float, tolerance: float) -> int:
    """Fewest gradient descent steps after which ``J(θ_t) - J(θ*) <= tolerance``.

    Exact for a quadratic loss: the excess loss falls monotonically with ``t`` for a stable learning rate, so a
    binary search over ``t`` with :func:`excess_loss_after` finds the count without running the steps.

    Raises
    ------
    ValueError
        If the learning rate is not stable (``>= 2 / λmax``): gradient descent would diverge.
    """
    eigenvalues = np.linalg.eigvalsh(H)
    if not 0 < learning_rate < 2.0 / eigenvalues[-1]:
        raise ValueError(
            f"learning rate {learning_rate:.3g} diverges here: it must be between 0 and 2/λmax = {2 / eigenvalues[-1]:.3g}"
        )
    low, high = 0, 1
    while excess_loss_after(H, start_error, learning_rate, high) > tolerance:
        low, high = high, high * 2
        if high > MAX_STEPS:
            raise ValueError(f"more than {MAX_STEPS} steps needed")
    while high - low > 1:  # invariant: excess(low) > tolerance >= excess(high), or low = 0
        middle = (low + high) // 2
        if excess_loss_after(H, start_error, learning_rate, middle) > tolerance:
            low = middle
        else:
            high = middle
    return high if excess_loss_after(H, start_error, learning_rate, 0) > tolerance else 0


def gradient_descent_path(H: np.ndarray, optimum: np.ndarray, start: np.ndarray, learning_rate: float,
                          steps: int) -> np.ndarray:
    """θ after 0, 1, ..., ``steps`` full-batch steps on the quadratic with Hessian ``H`` and minimum ``optimum``.

    For linear regression the gradient is ``H (θ - θ*)``, so this is exactly full-batch gradient descent on ``J``.
    The loop over steps is gradient descent itself: each step needs the one before.

    Returns
    -------
    numpy.ndarray, shape (steps + 1, d + 1)
    """
    path = np.empty((steps + 1, len(start)))
    path[0] = start
    for t in range(steps):
        path[t + 1] = path[t] - learning_rate * (H @ (path[t] - optimum))
    return path


@dataclass(frozen=True)
class CenteringExperiment:
    """Gradient descent on one regression problem, with the inputs as given or centered.

    Attributes
    ----------
    offset : float
        How far the inputs' mean is from 0.
    centered : bool
    H : numpy.ndarray, shape (2, 2)
        Hessian of ``J(θ0, θ1)``.
    optimum : numpy.ndarray, shape (2,)
    start : numpy.ndarray, shape (2,)
    learning_rate : float
        The best stable constant rate, :func:`best_learning_rate`.
    condition : float
    steps_needed : int
        Steps until ``J - J* <= tolerance``.
    path : numpy.ndarray, shape (shown_steps + 1, 2)
        The first steps of gradient descent, for drawing.
    """

    offset: float
    centered: bool
    H: np.ndarray
    optimum: np.ndarray
    start: np.ndarray
    learning_rate: float
    condition: float
    steps_needed: int
    path: np.ndarray
    min_loss: float


def centering_experiment(x: np.ndarray, y: np.ndarray, *, centered: bool, tolerance: float = 1e-6,
                         start: tuple[float, float] = (0.0, 0.0), shown_steps: int = 30) -> CenteringExperiment:
    """Fit ``h = θ0 + θ1 x`` by gradient descent from ``start`` at the best stable learning rate.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (m,)
        One input feature and the targets.
    centered : bool
        Subtract the mean of ``x`` first (the fitted ``θ0`` then is the prediction at the mean).
    tolerance : float
        Target for ``J(θ) - J(θ*)``.
    """
    x = as_features(x)[:, 0]
    offset = float(x.mean())
    inputs = x - offset if centered else x
    H = hessian(inputs)
    optimum = least_squares(inputs, y)
    start = np.asarray(start, dtype=np.float64)
    rate = best_learning_rate(H)
    return CenteringExperiment(
        offset=offset,
        centered=centered,
        H=H,
        optimum=optimum,
        start=start,
        learning_rate=rate,
        condition=condition_number(H),
        steps_needed=steps_to_tolerance(H, start - optimum, rate, tolerance),
        path=gradient_descent_path(H, optimum, start, rate, shown_steps),
        min_loss=loss(optimum, inputs, y),
    )


def offset_regression_data(offset: float, n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03's data: ``x = offset + N(0, 1)`` and ``y = 2 + 0.5 (x - offset) + N(0, 0.1²)``.

    The same seed gives the same noise for every offset, so only the offset changes between problems.
    """
    rng = np.random.default_rng(seed)
    noise_x, noise_y = rng.standard_normal(n), rng.standard_normal(n)
    return offset + noise_x, 2.0 + 0.5 * noise_x + 0.1 * noise_y
