"""Sharpness: the largest eigenvalue λ_max of the loss's Hessian, by power iteration on Hessian-vector products.

For a quadratic loss, gradient descent is stable for α < 2/λ_max (lesson 03). A network's loss is not quadratic:
its Hessian, and so the limit 2/λ_max, changes as training moves the parameters (Cohen et al., 2021; Gilmer et
al., 2021). Measuring λ_max along a run shows how.

The Hessian itself (p × p for p parameters) is never formed. A Hessian-vector product is a central difference of
two gradients,

    H v ≈ (g(θ + εv) - g(θ - εv)) / (2ε),

exact for a quadratic and accurate to O(ε²) otherwise. Power iteration repeats v ← Hv / |Hv|; v turns towards the
eigenvector of the eigenvalue of largest magnitude, and vᵀHv estimates that eigenvalue. When that one is negative
(away from a minimum), a second power iteration on the shifted H - μI finds the largest. :func:`dense_hessian`
builds the whole matrix, to check the estimate on a small network.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import SeedLike, as_generator, check_positive_int, check_real
from .mlp import MLP


def flat_parameters(model: MLP) -> np.ndarray:
    """Every weight and bias of ``model`` in one vector θ, layer by layer (W_0, b_0, W_1, b_1, ...)."""
    return np.concatenate([part.ravel() for W, b in zip(model.weights, model.biases) for part in (W, b)])


def gradient_function(model: MLP, X: np.ndarray, labels: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """θ ↦ gradient of the mean loss over (X, labels) at θ, flattened like :func:`flat_parameters`.

    Works on a private copy of ``model``, which is left unchanged. Models with batch norm are refused (their
    γ and β are not part of θ).
    """
    if model.batchnorm:
        raise ValueError("model has batch norm, whose parameters are not in the flat θ; use a model without it")
    work = copy.deepcopy(model)
    shapes = [part.shape for W, b in zip(work.weights, work.biases) for part in (W, b)]
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes])

    def gradient(theta: np.ndarray) -> np.ndarray:
        if np.shape(theta) != (ends[-1],):
            raise ValueError(f"theta must have shape ({ends[-1]},), one entry per parameter, got {np.shape(theta)}")
        parts = [theta[end - int(np.prod(shape)):end].reshape(shape) for shape, end in zip(shapes, ends)]
        work.weights, work.biases = list(parts[0::2]), list(parts[1::2])
        _, dW, db = work.loss_and_gradients(X, labels)
        return np.concatenate([part.ravel() for w, b in zip(dW, db) for part in (w, b)])

    return gradient


def hessian_vector_product(gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, vector: np.ndarray,
                           epsilon: float = 1e-4) -> np.ndarray:
    """H(θ) v by a central difference of gradients: ``(g(θ + εv) - g(θ - εv)) / (2ε)``.

    Parameters
    ----------
    gradient : callable
        θ ↦ ∇L(θ), shape (p,) to (p,).
    theta, vector : numpy.ndarray, shape (p,)
    epsilon : float
        Step along ``vector``, > 0.
    """
    epsilon = check_real("epsilon", epsilon, low=0.0)
    theta, vector = np.asarray(theta, dtype=float), np.asarray(vector, dtype=float)
    if theta.shape != vector.shape or theta.ndim != 1:
        raise ValueError(f"theta and vector must be 1-D of the same shape, got {theta.shape} and {vector.shape}")
    return (gradient(theta + epsilon * vector) - gradient(theta - epsilon * vector)) / (2.0 * epsilon)


@dataclass(frozen=True)
class TopEigenvalue:
    """Result of :func:`top_hessian_eigenvalue`.

    Attributes
    ----------
    value : float
        The estimate of λ_max, the largest eigenvalue of the Hessian.
    products : int
        Hessian-vector products used (two gradients each).
    converged : bool
        The last power iteration stopped because its estimate changed by less than ``tolerance``; False when it
        ran out of iterations (then ``value`` is only the last estimate, and may be far off).
    """

    value: float
    products: int
    converged: bool


def power_iteration(product: Callable[[np.ndarray], np.ndarray], vector: np.ndarray, *, iterations: int,
                    tolerance: float) -> tuple[float, int, bool]:
    """The eigenvalue of largest magnitude of a symmetric matrix known only through ``product(v) = A v``.

    Repeats v ← Av / |Av|; the Rayleigh quotient vᵀAv estimates the eigenvalue.

    Parameters
    ----------
    product : callable
        v ↦ A v, shape (p,) to (p,), for a symmetric A.
    vector : numpy.ndarray, shape (p,)
        Starting vector, not orthogonal to the eigenvector sought (a random one almost surely is not).
    iterations : int
        At most this many products.
    tolerance : float
        Stop once the estimate changes by less than this fraction between iterations.

    Returns
    -------
    estimate, products, converged : float, int, bool
    """
    vector = vector / np.linalg.norm(vector)
    estimate = 0.0
    for used in range(1, iterations + 1):  # each iteration needs the previous vector
        image = product(vector)
        previous, estimate = estimate, float(vector @ image)
        length = float(np.linalg.norm(image))
        if length == 0.0:  # v lies in the null space: A v = 0, eigenvalue 0
            return 0.0, used, True
        vector = image / length
        if abs(estimate - previous) <= tolerance * abs(estimate):
            return estimate, used, True
    return estimate, iterations, False


def top_hessian_eigenvalue(gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, *,
                           iterations: int = 100, tolerance: float = 1e-4, seed: SeedLike = 0) -> TopEigenvalue:
    """λ_max, the largest eigenvalue of the Hessian at θ, by power iteration on Hessian-vector products.

    Power iteration finds the eigenvalue of largest *magnitude*. Away from a minimum the Hessian has negative
    eigenvalues too, and the most negative one, μ, can win. Then a second power iteration runs on H - μI, whose
    eigenvalues λ - μ are all ≥ 0 with λ_max - μ the largest, and returns that plus μ.

    Parameters
    ----------
    gradient : callable
        θ ↦ ∇L(θ), shape (p,) to (p,) (e.g. :func:`gradient_function`).
    theta : numpy.ndarray, shape (p,)
    iterations : int
        At most this many products per power iteration.
    tolerance : float
        Stop once the estimate changes by less than this fraction between iterations.
    seed : int or numpy.random.Generator
        For the random starting vector.

    Returns
    -------
    TopEigenvalue
        The estimate, the products used, and whether the power iteration converged.
    """
    iterations = check_positive_int("iterations", iterations)
    tolerance = check_real("tolerance", tolerance, low=0.0)
    theta = np.asarray(theta, dtype=float)
    start = as_generator(seed).standard_normal(theta.shape)

    def product(vector: np.ndarray) -> np.ndarray:
        return hessian_vector_product(gradient, theta, vector)

    value, used, converged = power_iteration(product, start, iterations=iterations, tolerance=tolerance)
    if value < 0:  # the most negative eigenvalue won: shift the spectrum to [0, λ_max - value]
        shift = value
        top, more, converged = power_iteration(lambda vector: product(vector) - shift * vector, start,
                                               iterations=iterations, tolerance=tolerance)
        value, used = top + shift, used + more
    return TopEigenvalue(value, used, converged)


def dense_hessian(gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
    """The full Hessian at θ, one column H e_j per parameter from :func:`hessian_vector_product`, symmetrized.

    Costs 2p gradients and p² numbers: for checking :func:`top_hessian_eigenvalue` on small networks only.

    Returns
    -------
    numpy.ndarray, shape (p, p)
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 1:
        raise ValueError(f"theta must be 1-D, one entry per parameter, got shape {theta.shape}")
    columns = np.array([hessian_vector_product(gradient, theta, unit) for unit in np.eye(len(theta))])
    return (columns + columns.T) / 2
