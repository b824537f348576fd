"""batchkit.linreg: the posts' J and its gradient, vectorized over a batch, and the noise of mini-batch gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit import linreg
from batchkit.statistics import batch_mean_std


def problem(m=30, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, d))
    return X, X @ rng.normal(size=d) + 1.5 + 0.3 * rng.standard_normal(m), rng.normal(size=d + 1)


def test_loss_and_gradient_by_hand():
    theta, x, y = np.array([1.0, 2.0]), np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 2.0, 7.0])
    J, grad = linreg.loss_and_gradient(theta, x, y)  # residuals h - y = (0, 1, -2)
    assert J == pytest.approx((0 + 1 + 4) / (2 * 3))
    np.testing.assert_allclose(grad, [(0 + 1 - 2) / 3, (0 * 0 + 1 * 1 - 2 * 2) / 3])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(1, 4), st.integers(0, 10_000))
def test_checked_functions_agree_with_the_unchecked_formula(m, d, seed):
    X, y, theta = problem(m, d, seed)
    J, grad = linreg.loss_and_gradient(theta, X, y)
    assert linreg.loss(theta, X, y) == J
    np.testing.assert_array_equal(linreg.gradient(theta, X, y), grad)
    residual = linreg.predict(theta, X) - y
    assert J == pytest.approx(residual @ residual / (2 * m))


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 40), st.integers(1, 3), st.integers(0, 10_000))
def test_gradient_matches_central_differences(m, d, seed):
    X, y, theta = problem(m, d, seed)
    step = 1e-6
    numeric = [(linreg.loss(theta + step * e, X, y) - linreg.loss(theta - step * e, X, y)) / (2 * step)
               for e in np.eye(d + 1)]
    np.testing.assert_allclose(linreg.gradient(theta, X, y), numeric, rtol=1e-5, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 40), st.integers(0, 10_000))
def test_the_loss_of_a_batch_ignores_the_order_of_its_samples(m, seed):
    X, y, theta = problem(m, 2, seed)
    order = np.random.default_rng(seed).permutation(m)
    J, grad = linreg.loss_and_gradient(theta, X, y)
    J_shuffled, grad_shuffled = linreg.loss_and_gradient(theta, X[order], y[order])
    assert J_shuffled == pytest.approx(J)
    np.testing.assert_allclose(grad_shuffled, grad, rtol=1e-10, atol=1e-12)


def test_gradient_vanishes_at_the_least_squares_optimum_and_hessian_is_constant():
    X, y, _ = problem(50, 3)
    optimum = linreg.least_squares(X, y)
    np.testing.assert_allclose(linreg.gradient(optimum, X, y), 0.0, atol=1e-12)
    theta = optimum + np.array([0.5, -1.0, 2.0, 0.25])  # the gradient of a quadratic is H (θ - θ*)
    np.testing.assert_allclose(linreg.gradient(theta, X, y), linreg.hessian(X) @ (theta - optimum), atol=1e-12)


def test_gradient_noise_at_batch_size_one_is_the_spread_of_per_sample_gradients():
    """Without replacement, b = 1 visits every sample once per epoch: the RMS deviation is exact, whatever the seed."""
    X, y, theta = problem(40, 1)
    design = np.hstack([np.ones((40, 1)), X])
    per_sample = (design @ theta - y)[:, None] * design
    expected = np.sqrt(np.mean(np.sum((per_sample - per_sample.mean(axis=0)) ** 2, axis=1)))
    np.testing.assert_allclose(linreg.gradient_noise(X, y, theta, [1], epochs=3, seed=5), [expected], rtol=1e-12)


def test_gradient_noise_is_zero_for_the_full_batch_and_follows_lesson_03_between():
    x = np.linspace(-1, 1, 64)
    y = 2 * x + np.random.default_rng(1).standard_normal(64)
    theta = np.array([0.3, 1.0])
    noise = linreg.gradient_noise(x, y, theta, [1, 4, 16, 64], epochs=200, seed=0)
    assert noise[-1] == pytest.approx(0.0, abs=1e-12)
    predicted = [batch_mean_std(noise[0], 64, b) for b in (4, 16)]
    np.testing.assert_allclose(noise[1:3], predicted, rtol=0.1)


def test_bad_arguments_name_the_argument():
    X, y, theta = problem(10, 2)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        linreg.loss(theta, X, y[:-1])
    with pytest.raises(ValueError, match=r"theta has shape \(2,\)"):
        linreg.gradient(theta[:2], X, y)
    with pytest.raises(ValueError, match="X must be 1-D or 2-D"):
        linreg.gradient_noise(np.zeros((2, 2, 2)), y, theta, [1])
    with pytest.raises(ValueError, match="y must be 1-D"):
        linreg.gradient_noise(X, y[:, None], theta, [1])


@given(offset=st.floats(-50, 50), scale=st.floats(0.1, 10), seed=st.integers(0, 10_000))
def test_hessian_eigenvalues_in_closed_form_match_eigvalsh_where_it_is_accurate(offset, scale, seed):
    x = offset + scale * np.random.default_rng(seed).standard_normal(20)
    smallest, largest = linreg.hessian_eigenvalues(x)
    np.testing.assert_allclose([smallest, largest], np.linalg.eigvalsh(linreg.hessian(x)), rtol=1e-8)


def test_hessian_eigenvalues_keep_the_smallest_far_from_zero():
    """At offset 10⁹ (κ ≈ 10¹⁸) eigvalsh returns λmin ≈ 0 or negative; the product λmin·λmax must still be det = σ²."""
    x = 1e9 + np.random.default_rng(0).standard_normal(50)
    smallest, largest = linreg.hessian_eigenvalues(x)
    assert smallest > 0 and smallest * largest == pytest.approx(x.var(), rel=1e-6)
    with pytest.raises(ValueError, match="no samples"):
        linreg.hessian_eigenvalues(np.array([]))
