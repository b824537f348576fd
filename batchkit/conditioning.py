"""Why centering speeds up gradient descent: the shape of the loss surface.

For linear regression, ``J`` is a quadratic bowl whose Hessian is ``H = [1 x]ᵀ[1 x] / m``. With inputs around an
offset ``c`` (say ``x ≈ 100``), ``H ≈ [[1, c], [c, c² + σ²]]``: its eigenvalues differ by a factor of about
``(1 + c² + σ²)² / σ²``, roughly ``c⁴ / σ²``: the **condition number** ``κ = λmax / λmin``. Contours are long thin
ellipses, and the steps gradient descent needs grow in proportion to ``κ``. Centering the inputs (``c = 0``) makes
``H = diag(1, σ²)``: round contours and few steps when ``σ ≈ 1``.

Gradient descent on a quadratic can be followed exactly in the eigenbasis of ``H``: after ``t`` steps at learning
rate ``α`` the excess loss is ``½ Σ_i λ_i c_i² (1 - α λ_i)^{2t}``, where ``c_i`` are the coordinates of the
starting error. :func:`steps_to_tolerance` uses that to count the steps exactly, even when there are 10⁹ of them.

Centering fixes the offset only: after it ``H = diag(1, s²)`` with ``s`` the inputs' standard deviation, so
``κ = max(s², 1/s²)``; dividing by ``s`` as well (``scaled=True``) makes ``H`` the identity.

The network view (LeCun et al. 1998, §4.3): one sample changes the weights of a unit by ``-α δ x``, so with
all-positive inputs every weight moves in the same direction. :func:`zigzag_run` trains one linear unit by SGD
(b = 1) on such inputs and measures how often that happens and how crooked the path of the weights is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_generator, check_positive_int, check_real, check_symmetric_matrix
from .centering import batch_center
from .linreg import as_features, hessian, least_squares, loss
from .training import train

MAX_STEPS = 10**15


def condition_number(H: np.ndarray) -> float:
    """``λmax / λmin`` of a symmetric positive definite matrix."""
    eigenvalues = np.linalg.eigvalsh(check_symmetric_matrix("H", H))
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


def factor_per_step(H: np.ndarray, learning_rate: float) -> np.ndarray:
    """``1 - α λ_i`` for every eigenvalue of ``H``, smallest eigenvalue first: one gradient descent step multiplies
    the error along each axis of the bowl by this factor (a negative factor flips the error to the other side).

    At the best rate :func:`best_learning_rate` the flattest and the steepest axis shrink by the same amount,
    ``(κ - 1) / (κ + 1)``, the steepest with a sign flip.
    """
    return 1.0 - learning_rate * np.linalg.eigvalsh(H)


def steps_to_tolerance(H: np.ndarray, start_error: np.ndarray, learning_rate: float, tolerance: float) -> int:
    """Fewest gradient descent steps after which ``J(θ_t) - J(θ*) <= tolerance``.

    Exact for a quadratic loss: the excess loss falls monotonically with ``t`` for a stable learning rate, so a
    binary search over ``t`` with :func:`excess_loss_after` finds the count without running the steps.

    Raises
    ------
    ValueError
        If the learning rate is not stable (``>= 2 / λmax``): gradient descent would diverge.
    """
    eigenvalues = np.linalg.eigvalsh(check_symmetric_matrix("H", H))
    check_real("tolerance", tolerance, low=0.0)
    if not 0 < check_real("learning_rate", learning_rate, low=0.0) < 2.0 / eigenvalues[-1]:
        raise ValueError(f"learning_rate {learning_rate:.3g} diverges here: it must be between 0 and "
                         f"2/λmax = {2 / eigenvalues[-1]:.3g}")
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


def steps_at_best_rate(kappa: float, excess: float, tolerance: float) -> int:
    """Fewest gradient descent steps at the best constant rate ``2/(λmin + λmax)`` until ``J - J* <= tolerance``,
    from ``J - J* = excess``, on a quadratic whose Hessian has condition number ``kappa`` (homework 03 derives it).

    Exact, without running the steps: at that rate every eigen-direction of the error shrinks by ``(κ-1)/(κ+1)`` per
    step, so the excess loss after ``t`` steps is ``excess · ((κ-1)/(κ+1))^(2t)``.
    """
    kappa = check_real("kappa", kappa, low=1.0, low_inclusive=True)
    excess = check_real("excess", excess, low=0.0, low_inclusive=True)
    if excess <= check_real("tolerance", tolerance, low=0.0):  # 0 excluded: an excess of exactly 0 is never reached
        return 0
    if kappa == 1.0:  # one step at α = 1/λ reaches the minimum
        return 1
    return math.ceil(math.log(excess / tolerance) / (2.0 * math.log1p(2.0 / (kappa - 1.0))))


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
    min_loss : float
        ``J(θ*)``.
    scaled : bool
        Whether ``x`` was divided by its standard deviation.
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
    scaled: bool = False


def centering_experiment(x: np.ndarray, y: np.ndarray, *, centered: bool, scaled: bool = False,
                         tolerance: float = 1e-6, start: tuple[float, float] = (0.0, 0.0),
                         shown_steps: int = 30) -> CenteringExperiment:
    """Fit ``h = θ0 + θ1 x`` by gradient descent from ``start`` at the best stable learning rate.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (m,)
        One input feature and the targets.
    centered : bool
        Subtract the mean of ``x`` first (the fitted ``θ0`` then is the prediction at the mean).
    scaled : bool
        Divide ``x`` by its standard deviation (after centering, if ``centered``).
    tolerance : float
        Target for ``J(θ) - J(θ*)``.
    """
    x = as_features(x)[:, 0]
    offset = float(x.mean())
    inputs = x - offset if centered else x
    if scaled:
        inputs = inputs / x.std()
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
        scaled=scaled,
    )


def offset_regression_data(offset: float, n: int = 100, seed: int = 0,
                           spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03's data: ``x = offset + spread · N(0, 1)`` and ``y = 2 + 0.5 (x - offset) + N(0, 0.1²)``.

    The same seed gives the same noise for every offset and spread, so only they change between problems.
    """
    check_real("offset", offset, low=-np.inf)
    check_real("spread", spread, low=0.0)  # the standard deviation of x
    rng = as_generator(seed)
    noise_x, noise_y = rng.standard_normal(check_positive_int("n", n)), rng.standard_normal(n)
    x = offset + spread * noise_x
    return x, 2.0 + 0.5 * (x - offset) + 0.1 * noise_y


def errors_along_axes(experiment: CenteringExperiment) -> np.ndarray:
    """``θ - θ*`` along the flat and the steep axis of the bowl (the eigenvectors of ``H``), for every shown step.

    Returns
    -------
    numpy.ndarray, shape (shown_steps + 1, 2)
        Column 0 along the flat axis (smallest eigenvalue), column 1 along the steep axis.
    """
    _, axes = np.linalg.eigh(experiment.H)  # columns: eigenvectors, smallest eigenvalue first
    return (experiment.path - experiment.optimum) @ axes


def positive_inputs_data(n: int = 200, *, low: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two all-positive inputs, uniform on ``[low, low + 1]``, and ``y = 0.3 + x1 - 0.5 x2 + N(0, 0.1²)``.

    From zero weights, ``w1`` must grow and ``w2`` must shrink: the weights must move in opposite directions.
    """
    if not low >= 0:
        raise ValueError(f"low must be >= 0 so that every input is positive, got {low!r}")
    rng = np.random.default_rng(seed)
    X = low + rng.uniform(0.0, 1.0, (n, 2))
    return X, 0.3 + X[:, 0] - 0.5 * X[:, 1] + 0.1 * rng.standard_normal(n)


def same_sign_fraction(updates: np.ndarray) -> float:
    """Fraction of the update vectors (rows of ``updates``, shape (steps, d)) whose d components share one sign."""
    updates = np.asarray(updates)
    return float(np.mean(np.all(updates > 0, axis=1) | np.all(updates < 0, axis=1)))


def path_straightness(path: np.ndarray) -> float:
    """Distance from the first to the last point of ``path`` (shape (points, d)), over the length walked.

    1 for a straight walk; a zig-zag that goes back and forth walks far and gets little closer.
    """
    walked = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
    return float(np.linalg.norm(path[-1] - path[0]) / walked) if walked > 0 else 1.0


@dataclass(frozen=True)
class ZigzagRun:
    """SGD (b = 1) on one linear unit ``h = b0 + w · x``; see :func:`zigzag_run`.

    Attributes
    ----------
    learning_rate : float
        The best of the candidates for this run.
    weights : numpy.ndarray, shape (steps + 1, d)
        ``w`` (without the bias) before the first update and after each one.
    same_sign : float
        Fraction of the updates whose weight components all share one sign.
    straightness : float
        :func:`path_straightness` of ``weights`` over the first epoch.
    excess_loss : float
        ``J - J*`` on all the data after the last epoch.
    """

    learning_rate: float
    weights: np.ndarray
    same_sign: float
    straightness: float
    excess_loss: float


def zigzag_run(X: np.ndarray, y: np.ndarray, *, centered: bool, epochs: int, candidates: list[float],
               seed: int = 0) -> ZigzagRun:
    """Train ``h = b0 + w · x`` by SGD (b = 1) from zero at the best of ``candidates``, on ``X`` raw or centered.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
    y : numpy.ndarray, shape (n,)
    centered : bool
        Subtract the mean of every input first (:func:`batchkit.centering.batch_center`).
    epochs : int
    candidates : list of float
        Learning rates to try; the run with the lowest final ``J`` on all the data is kept.
    seed : int
        Shuffles of the epochs.
    """
    inputs = batch_center(X) if centered else as_features(X)
    runs = [train(inputs, y, batch_size=1, epochs=epochs, learning_rate=rate, seed=seed) for rate in candidates]
    best = int(np.argmin([run.final_loss for run in runs]))  # a run that diverged has an infinite loss
    rate, history = float(candidates[best]), runs[best]
    weights = history.theta[:, 1:]
    first_epoch = weights[: history.steps_per_epoch + 1]
    return ZigzagRun(rate, weights, same_sign_fraction(np.diff(weights, axis=0)), path_straightness(first_epoch),
                     history.final_loss - loss(least_squares(inputs, y), inputs, y))
