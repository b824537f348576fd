"""Lesson 05's shift measures with noisy BN: the noise held fixed or redrawn, weight sizes, tuning on a grid."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit.bn_experiments import best_of_grid, deep_mlp, train_deep
from batchkit.bn_shift import gradient_shift, has_noise, noise_state, restore_noise, step_drift, weight_sizes
from batchkit.plotting.batchnorm import DRIFT_STYLES, plot_drift
from batchkit.seeds import Replicates


def small_batch(seed=0, n=64):
    rng = np.random.default_rng(seed)
    return rng.random((n, 64)), rng.integers(0, 10, n)


def test_restoring_the_noise_state_repeats_the_draw_and_leaves_other_layers_alone():
    X, _ = small_batch()
    noisy, plain = deep_mlp(True, "tanh", seed=4, noisy=True), deep_mlp(True, "tanh", seed=4)
    assert has_noise(noisy) and not has_noise(plain) and not has_noise(deep_mlp(False, "tanh"))
    state = noise_state(noisy)
    first = noisy.forward(X)
    assert not np.allclose(noisy.forward(X), first)  # a new draw
    restore_noise(noisy, state)
    np.testing.assert_array_equal(noisy.forward(X), first)
    restore_noise(plain, noise_state(plain))  # nothing to restore
    assert all(getattr(norm, "rng", None) is None for norm in plain.norms)


def test_gradient_shift_sees_the_noise_only_when_it_is_redrawn():
    X, y = small_batch(2)
    noisy = deep_mlp(True, "tanh", seed=1, noisy=True)
    same = gradient_shift(noisy, X, y, learning_rate=1e-12)
    redrawn = gradient_shift(noisy, X, y, learning_rate=1e-12, redraw_noise=True)
    assert np.all(same[1] > 1 - 1e-9)
    assert np.all(redrawn[1] < 0.99)  # a new draw of the noise alone turns the gradient
    plain = deep_mlp(True, "tanh", seed=1)
    for a, b in zip(gradient_shift(plain, X, y, 0.1), gradient_shift(plain, X, y, 0.1, redraw_noise=True)):
        np.testing.assert_array_equal(a, b)  # without noise there is nothing to redraw


def test_step_drift_with_the_noise_held_fixed_is_smaller_than_the_noise_alone():
    X, y = small_batch(3)
    noisy = deep_mlp(True, "tanh", seed=2, noisy=True)
    fixed = step_drift(noisy, X, y, learning_rate=0.1)[1]
    noise_only = step_drift(noisy, X, y, learning_rate=0.0, redraw_noise=True)[1]
    assert np.all(np.isfinite(fixed)) and np.all(fixed < noise_only)


@settings(max_examples=10, deadline=None)
@given(st.one_of(st.just(0.0), st.floats(1e-6, 1.0)), st.integers(0, 3))  # learning rates, not subnormals
def test_weight_sizes_are_norms_and_relative_steps(rate, seed):
    X, y = small_batch(seed)
    model = deep_mlp(seed % 2 == 0, "tanh", seed=seed)
    before = copy.deepcopy(model)
    norms, relative = weight_sizes(model, X, y, rate)
    assert norms.shape == relative.shape == (model.depth,)
    np.testing.assert_allclose(norms, [np.linalg.norm(W) for W in model.weights])
    _, dW, _ = copy.deepcopy(model).loss_and_gradients(X, y)
    np.testing.assert_allclose(relative * norms, rate * np.array([np.linalg.norm(g) for g in dW]))
    for a, b in zip(model.weights, before.weights):
        np.testing.assert_array_equal(a, b)


def test_measured_runs_record_the_noise_and_the_weight_sizes():
    settings_ = dict(activation="tanh", learning_rate=0.1, epochs=1, seed=8)
    noisy = train_deep(True, noisy=True, measure=True, **settings_).measurements
    plain = train_deep(True, measure=True, **settings_).measurements
    assert noisy["weight_norm"].shape == (2, 7) and noisy["relative_step"].shape == (2, 7)
    assert np.all(noisy["noise_drift_activation"] > 0.01) and np.all(plain["noise_drift_activation"] == 0.0)
    np.testing.assert_array_equal(plain["redrawn_drift_activation"], plain["step_drift_activation"])
    np.testing.assert_array_equal(plain["gradient_cosine_redrawn"], plain["gradient_cosine"])
    assert np.all(noisy["step_drift_activation"] < noisy["redrawn_drift_activation"])


@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3), st.integers(1, 4))
def test_best_of_grid_takes_the_highest_median(row, seeds):
    values = np.array([row] * seeds) + np.arange(seeds)[:, None] * 1e-3
    runs = Replicates(tuple(range(seeds)), values)
    value, best = best_of_grid([0.1, 0.3, 1.0], runs)
    k = int(np.argmax(np.median(values, axis=0)))
    assert value == [0.1, 0.3, 1.0][k]
    np.testing.assert_array_equal(best.values, values[:, k])


def test_best_of_grid_rejects_a_grid_of_the_wrong_length():
    with pytest.raises(ValueError, match="runs must hold one result per value"):
        best_of_grid([0.1, 0.3], Replicates((0,), np.zeros((1, 3))))


def test_plot_drift_gives_every_series_its_fixed_colour_whatever_the_order():
    runs = Replicates((0, 1), np.array([[0.1, 0.01, 0.02], [0.2, 0.02, 0.03]]))
    for names in (["without BN", "with BN, output of BN"], ["with BN, output of BN", "noisy BN, same draw of the noise"]):
        ax = plot_drift({name: runs for name in names}).axes[0]
        legend = {text.get_text().split(":")[0]: line.get_color()
                  for text, line in zip(ax.get_legend().get_texts(), ax.get_legend().get_lines())}
        assert legend == {name: DRIFT_STYLES[name][0] for name in names}
        assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx((1e-4, 1.0))


def test_plot_drift_rejects_an_unknown_series():
    with pytest.raises(ValueError, match="series must be named from DRIFT_STYLES"):
        plot_drift({"with BN": Replicates((0,), np.ones((1, 3)))})
