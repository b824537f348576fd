"""Sharpness: the largest eigenvalue λ_max of the loss's Hessian, by power iteration on Hessian-vector products.

For a quadratic loss, gradient descent is stable for α < 2/λ_max (lesson 03). A network's loss is not quadratic:
its Hessian, and so the limit 2/λ_max, changes as training moves the parameters (Cohen et al., 2021; Gilmer et
al., 2021). Measuring λ_max along a run shows how.

The Hessian itself (p × p for p parameters) is never formed. A Hessian-vector product is a central difference of
two gradients,

    H v ≈ (g(θ + εv) - g(θ - εv)) / (2ε),

exact for a quadratic and accurate to O(ε²) otherwise. Power iteration repeats v ← Hv / |Hv|; v turns towards the
eigenvector of the eigenvalue of largest magnitude, and vᵀHv estimates that eigenvalue.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

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


def top_hessian_eigenvalue(gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, *,
                           iterations: int = 30, tolerance: float = 1e-4, seed: SeedLike = 0) -> float:
    """The Hessian eigenvalue of largest magnitude at θ, by power iteration on Hessian-vector products.

    Parameters
    ----------
    gradient : callable
        θ ↦ ∇L(θ), shape (p,) to (p,) (e.g. :func:`gradient_function`).
    theta : numpy.ndarray, shape (p,)
    iterations : int
        At most this many products (two gradients each).
    tolerance : float
        Stop once the estimate changes by less than this fraction between iterations.
    seed : int or numpy.random.Generator
        For the random starting vector.

    Returns
    -------
    float
        vᵀHv for the final unit vector v. Near a minimum this is λ_max, the sharpness.
    """
    iterations = check_positive_int("iterations", iterations)
    tolerance = check_real("tolerance", tolerance, low=0.0)
    theta = np.asarray(theta, dtype=float)
    vector = as_generator(seed).standard_normal(theta.shape)
    vector /= np.linalg.norm(vector)
    estimate = 0.0
    for _ in range(iterations):  # each iteration needs the previous vector
        product = hessian_vector_product(gradient, theta, vector)
        previous, estimate = estimate, float(vector @ product)
        vector = product / np.linalg.norm(product)
        if abs(estimate - previous) <= tolerance * abs(estimate):
            break
    return estimate
