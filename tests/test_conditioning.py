"""Lesson 03: why centering speeds up gradient descent, computed exactly."""

import numpy as np
import pytest

from batchkit import linreg
from batchkit.conditioning import (
    best_learning_rate,
    centering_experiment,
    condition_number,
    excess_loss_after,
    gradient_descent_path,
    offset_regression_data,
    steps_to_tolerance,
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
