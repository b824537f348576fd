"""Lesson 03: why centering speeds up gradient descent, computed exactly."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit import linreg
from batchkit.conditioning import (
    best_learning_rate,
    centering_experiment,
    condition_number,
    errors_along_axes,
    excess_loss_after,
    gradient_descent_path,
    offset_regression_data,
    path_straightness,
    positive_inputs_data,
    same_sign_fraction,
    factor_per_step,
    steps_to_tolerance,
    zigzag_run,
)
from batchkit.gradcheck import check_gradients


def test_linreg_gradient_passes_the_gradient_check():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    result = check_gradients(lambda theta: linreg.loss(theta, X, y), lambda d, theta: {"theta": d * linreg.gradient(theta, X, y)},
                             {"theta": rng.standard_normal(4)})
    assert result.passed, str(result)


def test_posts_one_feature_formulas_by_hand():
    x, y, theta = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0]), np.array([0.5, 1.0])
    residual = (0.5 + x) - y  # (-0.5, 0.5, -1.5)
    assert linreg.loss(theta, x, y) == pytest.approx((0.25 + 0.25 + 2.25) / 6)
    np.testing.assert_allclose(linreg.gradient(theta, x, y), [residual.mean(), (residual * x).mean()])


def test_closed_form_step_count_matches_running_gradient_descent():
    x, y = offset_regression_data(3.0, n=50)
    experiment = centering_experiment(x, y, centered=False, tolerance=1e-6)
    path = gradient_descent_path(experiment.H, experiment.optimum, experiment.start, experiment.learning_rate,
                                 experiment.steps_needed)
    losses = np.array([linreg.loss(theta, x, y) for theta in path[-2:]]) - experiment.min_loss
    assert losses[1] <= 1e-6 < losses[0]


def test_closed_form_excess_loss_matches_the_path():
    x, y = offset_regression_data(5.0, n=40)
    e = centering_experiment(x, y, centered=False, shown_steps=20)
    closed = excess_loss_after(e.H, e.start - e.optimum, e.learning_rate, np.arange(21))
    measured = np.array([linreg.loss(theta, x, y) for theta in e.path]) - e.min_loss
    np.testing.assert_allclose(closed, measured, rtol=1e-6, atol=1e-12)


def test_centering_makes_the_problem_well_conditioned_and_fast():
    x, y = offset_regression_data(100.0)
    raw, centered = (centering_experiment(x, y, centered=c) for c in (False, True))
    assert raw.condition > 1e7 and centered.condition < 2
    assert raw.steps_needed > 1e8 and centered.steps_needed < 10
    # Same model: the centered intercept is the raw prediction at the mean input.
    assert centered.optimum[1] == pytest.approx(raw.optimum[1])
    assert centered.optimum[0] == pytest.approx(raw.optimum[0] + raw.optimum[1] * x.mean())


def test_unstable_learning_rate_is_refused():
    H = np.diag([1.0, 4.0])
    assert condition_number(H) == 4.0 and best_learning_rate(H) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="diverges here: it must be between 0 and 2/λmax = 0.5"):
        steps_to_tolerance(H, np.ones(2), 0.5, 1e-6)


def test_theta_shape_error():
    with pytest.raises(ValueError, match=r"theta has shape \(3,\) but X has 1 feature\(s\): expected .* shape \(2,\)"):
        linreg.predict(np.zeros(3), np.ones(4))


def test_spread_one_keeps_the_original_data():
    rng = np.random.default_rng(4)
    noise_x, noise_y = rng.standard_normal(30), rng.standard_normal(30)
    x, y = offset_regression_data(7.0, n=30, seed=4)
    np.testing.assert_allclose(x, 7.0 + noise_x, rtol=1e-15)
    np.testing.assert_allclose(y, 2.0 + 0.5 * noise_x + 0.1 * noise_y, rtol=1e-12)
    with pytest.raises(ValueError, match=r"spread must be in \(0, inf\]"):
        offset_regression_data(1.0, spread=0.0)


@given(st.floats(0.05, 20.0), st.floats(0.0, 100.0), st.integers(0, 50))
def test_after_centering_kappa_is_max_of_s_squared_and_its_inverse(spread, offset, seed):
    x, y = offset_regression_data(offset, n=40, seed=seed, spread=spread)
    s2 = x.var()
    centered = centering_experiment(x, y, centered=True)
    assert centered.condition == pytest.approx(max(s2, 1 / s2), rel=1e-6)
    standardized = centering_experiment(x, y, centered=True, scaled=True)
    assert standardized.condition == pytest.approx(1.0, abs=1e-9) and standardized.steps_needed <= 1


def test_scaled_experiment_is_the_same_model():
    x, y = offset_regression_data(3.0, spread=4.0, seed=2)
    centered, standardized = (centering_experiment(x, y, centered=True, scaled=s) for s in (False, True))
    assert standardized.scaled and not centered.scaled
    assert standardized.optimum[1] == pytest.approx(centered.optimum[1] * x.std())
    assert standardized.optimum[0] == pytest.approx(centered.optimum[0])


def test_errors_along_axes_bounce_on_the_steep_axis_and_crawl_on_the_flat_one():
    x, y = offset_regression_data(10.0)
    errors = errors_along_axes(centering_experiment(x, y, centered=False))
    steep, flat = errors[:, 1], errors[:, 0]
    assert np.all(np.sign(steep[1:]) == -np.sign(steep[:-1]))  # the sign flips at every step
    assert np.all(np.abs(flat[1:]) < np.abs(flat[:-1])) and abs(flat[-1] / flat[0]) > 0.99
    e = centering_experiment(x, y, centered=False)
    _, axes = np.linalg.eigh(e.H)
    np.testing.assert_allclose(errors @ axes.T + e.optimum, e.path, atol=1e-12)


@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 4)), elements=st.floats(0.01, 10.0)),
       st.floats(1e-3, 5.0), st.sampled_from([-1.0, 1.0]))
def test_with_positive_inputs_one_sample_moves_every_weight_the_same_way(X, size, sign):
    """LeCun et al. (1998), §4.3: the update of sample i is -α δ_i x_i, all of one sign when x_i > 0."""
    updates = -0.1 * sign * size * X  # δ = sign · size for every sample
    assert same_sign_fraction(updates) == 1.0
    assert same_sign_fraction(np.zeros_like(X)) == 0.0


def test_same_sign_fraction_and_straightness_by_hand():
    assert same_sign_fraction(np.array([[1.0, 2.0], [-1.0, -3.0], [1.0, -1.0], [0.0, 1.0]])) == 0.5
    assert path_straightness(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])) == pytest.approx(1.0)
    assert path_straightness(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [2.0, 1.0]])) == pytest.approx(
        np.sqrt(5) / (2 * np.sqrt(2) + 1))
    assert path_straightness(np.zeros((3, 2))) == 1.0


def test_zigzag_run_on_positive_inputs():
    X, y = positive_inputs_data(60, low=1.0, seed=1)
    assert X.min() >= 1.0 and X.max() <= 2.0
    raw = zigzag_run(X, y, centered=False, epochs=2, candidates=[0.03, 0.1], seed=1)
    centered = zigzag_run(X, y, centered=True, epochs=2, candidates=[0.03, 0.1], seed=1)
    assert raw.same_sign == 1.0 and centered.same_sign < 0.8
    assert raw.weights.shape == (121, 2) and raw.learning_rate in (0.03, 0.1)
    assert raw.excess_loss >= 0 and centered.excess_loss >= 0
    assert raw.straightness < centered.straightness
    with pytest.raises(ValueError, match="low must be >= 0"):
        positive_inputs_data(low=-1.0)


@given(st.floats(0.0, 50.0), st.floats(0.2, 5.0))
def test_at_the_best_rate_both_axes_shrink_by_kappa_minus_one_over_kappa_plus_one(offset, spread):
    x, _ = offset_regression_data(offset, n=30, spread=spread)
    H = linreg.hessian(x)
    kappa = condition_number(H)
    flat, steep = factor_per_step(H, best_learning_rate(H))
    np.testing.assert_allclose([flat, -steep], (kappa - 1) / (kappa + 1), rtol=1e-6, atol=1e-9)
    assert np.all(np.abs(factor_per_step(H, 0.5 * best_learning_rate(H))) < 1)


@given(kappa=st.floats(1.0, 1e4), excess=st.floats(1e-3, 1e3), tolerance=st.floats(1e-8, 1.0))
def test_steps_at_best_rate_counts_what_gradient_descent_needs(kappa, excess, tolerance):
    """At α = 2/(1 + κ) on H = diag(1, κ) with the error on the flat axis, the count is steps_to_tolerance's."""
    from batchkit.conditioning import steps_at_best_rate, steps_to_tolerance

    H = np.diag([1.0, kappa])
    error = np.array([np.sqrt(2 * excess), 0.0])  # J - J* = ½ eᵀHe = excess
    expected = 0 if excess <= tolerance else steps_to_tolerance(H, error, 2 / (1 + kappa), tolerance)
    assert steps_at_best_rate(kappa, excess, tolerance) == expected


def test_steps_at_best_rate_names_a_bad_argument():
    from batchkit.conditioning import steps_at_best_rate

    with pytest.raises(ValueError, match="kappa"):
        steps_at_best_rate(0.5, 1.0, 1e-3)
    with pytest.raises(ValueError, match="tolerance"):
        steps_at_best_rate(10.0, 1.0, 0.0)
    assert steps_at_best_rate(1.0, 1.0, 1e-3) == 1 and steps_at_best_rate(10.0, 1e-4, 1e-3) == 0
