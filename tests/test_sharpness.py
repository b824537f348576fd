"""Sharpness by power iteration on Hessian-vector products, against Hessians known exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit.mlp import MLP
from batchkit.batch_size_study import digits_splits
from batchkit.sharpness import (dense_hessian, flat_parameters, gradient_function, hessian_vector_product,
                               power_iteration, top_hessian_eigenvalue)
from batchkit.steps_to_target import HIDDEN


def logistic_problem(seed, n=30, d=4):
    """Logistic regression: a non-quadratic loss whose Hessian is exact, (1/n) Xᵀ diag(p(1 - p)) X."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, 2, n)

    def gradient(theta):
        p = 1 / (1 + np.exp(-X @ theta))
        return X.T @ (p - y) / n

    def hessian(theta):
        p = 1 / (1 + np.exp(-X @ theta))
        return (X * (p * (1 - p))[:, None]).T @ X / n

    return gradient, hessian, rng.normal(size=d)


def test_hessian_vector_product_is_exact_for_a_quadratic():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    v = np.array([0.3, -0.7])
    np.testing.assert_allclose(hessian_vector_product(lambda t: A @ t, np.array([1.0, 2.0]), v), A @ v, rtol=1e-9)


def test_hessian_vector_product_matches_the_exact_hessian_of_logistic_regression():
    gradient, hessian, theta = logistic_problem(0)
    v = np.random.default_rng(1).normal(size=theta.shape)
    np.testing.assert_allclose(hessian_vector_product(gradient, theta, v), hessian(theta) @ v, rtol=1e-6)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_property_top_eigenvalue_of_logistic_regression(seed):
    gradient, hessian, theta = logistic_problem(seed)
    exact = np.linalg.eigvalsh(hessian(theta))[-1]  # positive semi-definite: the top one is the largest magnitude
    estimate = top_hessian_eigenvalue(gradient, theta, iterations=500, tolerance=1e-12, seed=seed)
    np.testing.assert_allclose(estimate.value, exact, rtol=1e-4)


def test_top_eigenvalue_of_a_small_network_matches_its_full_hessian():
    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(12, 3)), rng.integers(0, 2, 12)
    model = MLP([3, 2, 2], activation="tanh", seed=0)
    gradient, theta = gradient_function(model, X, labels), flat_parameters(model)
    columns = [hessian_vector_product(gradient, theta, e) for e in np.eye(len(theta))]
    full = (np.array(columns) + np.array(columns).T) / 2
    np.testing.assert_allclose(dense_hessian(gradient, theta), full)
    estimate = top_hessian_eigenvalue(gradient, theta, iterations=2000, tolerance=1e-12)
    assert estimate.converged
    np.testing.assert_allclose(estimate.value, np.linalg.eigvalsh(full)[-1], rtol=1e-3)


def test_top_eigenvalue_of_the_lesson_network_matches_its_dense_hessian():
    """The 64-32-10 digits network of lesson 06 (2410 parameters) at its start, with the default settings."""
    X_train, y_train = digits_splits()[0], digits_splits()[3]
    model = MLP([64, *HIDDEN, 10], activation="tanh", seed=0)
    gradient, theta = gradient_function(model, X_train, y_train), flat_parameters(model)
    assert theta.shape == (2410,)
    estimate = top_hessian_eigenvalue(gradient, theta)
    assert estimate.converged and estimate.products <= 100
    np.testing.assert_allclose(estimate.value, np.linalg.eigvalsh(dense_hessian(gradient, theta))[-1], rtol=1e-3)


def test_top_eigenvalue_is_the_largest_even_when_a_negative_one_is_larger_in_magnitude():
    A = np.diag([1.0, 0.5, -5.0, -2.0])
    estimate = top_hessian_eigenvalue(lambda t: A @ t, np.zeros(4), iterations=2000, tolerance=1e-12)
    assert estimate.converged
    np.testing.assert_allclose(estimate.value, 1.0, rtol=1e-6)


def test_an_iteration_that_runs_out_says_so():
    A = np.diag([1.0, 0.99, 0.5])  # eigenvalues close together: power iteration converges slowly
    estimate = top_hessian_eigenvalue(lambda t: A @ t, np.zeros(3), iterations=2, tolerance=1e-12)
    assert not estimate.converged and estimate.products == 2


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_property_power_iteration_finds_the_eigenvalue_of_largest_magnitude(seed):
    rng = np.random.default_rng(seed)
    eigenvalues = rng.uniform(-1, 1, 6)
    eigenvalues[0] = 2.0 * rng.choice([-1.0, 1.0])  # a clear gap: |λ_2 / λ_1| <= 0.5
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    A = Q @ np.diag(eigenvalues) @ Q.T
    estimate, products, converged = power_iteration(lambda v: A @ v, rng.normal(size=6), iterations=500,
                                                    tolerance=1e-12)
    assert converged and products <= 500
    np.testing.assert_allclose(estimate, eigenvalues[0], rtol=1e-6)


def test_gradient_function_matches_the_model_and_leaves_it_unchanged():
    rng = np.random.default_rng(2)
    X, labels = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    model = MLP([3, 4, 2], activation="relu", seed=1)
    before = flat_parameters(model).copy()
    theta = flat_parameters(model)
    assert theta.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    _, dW, db = model.loss_and_gradients(X, labels)
    expected = np.concatenate([part.ravel() for w, b in zip(dW, db) for part in (w, b)])
    gradient = gradient_function(model, X, labels)
    np.testing.assert_allclose(gradient(theta), expected)
    gradient(theta + 1.0)
    np.testing.assert_array_equal(flat_parameters(model), before)


def test_bad_inputs_name_the_argument():
    gradient, _, theta = logistic_problem(3)
    with pytest.raises(ValueError, match="theta and vector"):
        hessian_vector_product(gradient, theta, theta[:-1])
    with pytest.raises(ValueError, match="epsilon"):
        hessian_vector_product(gradient, theta, theta, epsilon=0.0)
    with pytest.raises(ValueError, match="iterations"):
        top_hessian_eigenvalue(gradient, theta, iterations=0)
    with pytest.raises(ValueError, match="theta"):
        dense_hessian(gradient, theta[None, :])
    model = MLP([3, 2, 2], seed=0)
    with pytest.raises(ValueError, match="theta"):
        gradient_function(model, np.zeros((2, 3)), np.zeros(2, dtype=int))(np.zeros(3))
    with pytest.raises(ValueError, match="batch norm"):
        gradient_function(MLP([3, 2, 2], batchnorm=True), np.zeros((2, 3)), np.zeros(2, dtype=int))
