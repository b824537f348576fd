"""Lesson 05's experiments: noisy BN, the two measures of internal covariate shift, and the replicated sweeps."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.batchnorm import BatchNorm1d
from batchkit.bn_experiments import (KINDS, NoisyBatchNorm1d, deep_mlp, replicated, runs_by_kind, sweep, train_deep,
                                     train_mode_accuracy, train_over_seeds, trained_model, tune_learning_rate)
from batchkit.bn_shift import gradient_shift, quantile_drift, step_drift, unit_quantiles
from batchkit.batch_size_study import digits_splits
from batchkit.gradcheck import numerical_gradient, rel_error

quantile_records = arrays(np.float64, st.tuples(st.integers(2, 4), st.integers(1, 3), st.integers(1, 4)),
                          elements=st.floats(-50, 50))


def as_quantiles(centres: np.ndarray, width: float = 2.0) -> np.ndarray:
    """Five increasing quantiles around every centre, 5-95% width ``width``: shape centres.shape + (5,)."""
    return centres[..., None] + width * np.array([-0.5, -0.25, 0.0, 0.25, 0.5])


@given(quantile_records)
def test_drift_is_zero_without_change_and_one_for_a_shift_by_the_width(centres):
    q = as_quantiles(centres)
    assert np.all(quantile_drift(np.stack([q[0], q[0]])) == 0.0)
    shifted = np.stack([q[0], q[0] + 2.0])  # moved by the whole 5-95% width
    np.testing.assert_allclose(quantile_drift(shifted), 1.0)


@given(quantile_records, st.floats(0.01, 100.0))
def test_drift_does_not_depend_on_the_units_of_the_layer_input(centres, scale):
    q = as_quantiles(centres)
    np.testing.assert_allclose(quantile_drift(scale * q), quantile_drift(q), rtol=1e-9, atol=1e-12)
    assert quantile_drift(q).shape == (len(q) - 1, q.shape[1])


def test_drift_rejects_a_single_record_and_a_wrong_number_of_quantiles():
    with pytest.raises(ValueError, match="quantiles must have shape"):
        quantile_drift(np.zeros((1, 2, 3, 5)))
    with pytest.raises(ValueError, match="quantiles must have shape"):
        quantile_drift(np.zeros((2, 2, 3, 4)))
    with pytest.raises(ValueError, match="quantiles must be 4-D"):
        quantile_drift(np.zeros((2, 5)))


def test_unit_quantiles_are_per_column():
    z = np.random.default_rng(0).standard_normal((100, 3)) * [1.0, 10.0, 0.1]
    q = unit_quantiles(z)
    assert q.shape == (3, 5)
    np.testing.assert_allclose(q[1], np.percentile(z[:, 1], [5, 25, 50, 75, 95]))


def test_noisy_batchnorm_draws_new_noise_every_step_and_none_in_eval_mode():
    x = np.random.default_rng(1).standard_normal((20000, 3)) * 4.0 + 7.0
    layer = NoisyBatchNorm1d(3, seed=2)
    first, second = layer(x), layer(x)
    assert not np.allclose(first.mean(axis=0), second.mean(axis=0))  # a different distribution at every step
    # per unit: mean in [-0.6, 0.6] (μ ± r) and standard deviation from about 1 to 1.25 (scale σ ~ U(1, 1.25))
    assert np.all(np.abs(first.mean(axis=0)) < 0.6)
    assert np.all((first.std(axis=0) > 0.99) & (first.std(axis=0) < 1.27))
    plain = BatchNorm1d(3)
    plain.running_mean, plain.running_var = layer.running_mean.copy(), layer.running_var.copy()
    layer.eval(), plain.eval()
    np.testing.assert_array_equal(layer(x[:5]), plain(x[:5]))


def test_noisy_batchnorm_backward_passes_the_gradient_check():
    rng = np.random.default_rng(3)
    x, dout = 2.0 + rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    layer = NoisyBatchNorm1d(4, seed=5)
    layer.gamma, layer.beta = rng.uniform(0.5, 2.0, 4), rng.standard_normal(4)

    def loss():
        layer.rng = np.random.default_rng(9)  # the same noise at every evaluation
        layer.running_mean, layer.running_var = np.zeros(4), np.ones(4)
        return float(np.sum(layer(x) * dout))

    loss()
    dx = layer.backward(dout)
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-7
    loss()
    layer.backward(dout)
    assert rel_error(layer.dgamma, numerical_gradient(loss, layer.gamma)) < 1e-7
    loss()
    layer.backward(dout)
    assert rel_error(layer.dbeta, numerical_gradient(loss, layer.beta)) < 1e-7


def test_noisy_batchnorm_errors_name_the_argument():
    with pytest.raises(ValueError, match="scale must be in"):
        NoisyBatchNorm1d(3, scale=0.5)
    with pytest.raises(RuntimeError, match="backward needs a forward pass"):
        NoisyBatchNorm1d(3).backward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="noisy=True .* needs batchnorm=True"):
        deep_mlp(False, noisy=True)


def test_noisy_network_starts_from_the_weights_of_the_plain_bn_network():
    plain, noisy = deep_mlp(True, "tanh", seed=3), deep_mlp(True, "tanh", seed=3, noisy=True)
    for a, b in zip(plain.weights, noisy.weights):
        np.testing.assert_array_equal(a, b)
    assert all(isinstance(norm, NoisyBatchNorm1d) for norm in noisy.norms[:-1]) and noisy.norms[-1] is None


def small_batch(seed=0, n=64):
    rng = np.random.default_rng(seed)
    return rng.random((n, 64)), rng.integers(0, 10, n)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_gradient_shift_leaves_the_model_alone_and_vanishes_for_tiny_steps(batchnorm):
    model = deep_mlp(batchnorm, "tanh", seed=1)
    X, y = small_batch()
    before = copy.deepcopy(model)
    relative, cosine = gradient_shift(model, X, y, learning_rate=1e-9)
    assert relative.shape == cosine.shape == (model.depth - 1,)
    assert np.all(relative < 1e-6) and np.all(cosine > 1 - 1e-9)
    for a, b in zip(model.weights, before.weights):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.norms, before.norms):
        if a is not None:
            np.testing.assert_array_equal(a.running_mean, b.running_mean)


def test_gradient_shift_of_layer_2_steps_layer_1_only():
    model = deep_mlp(False, "tanh", seed=2)
    X, y = small_batch(1)
    relative, cosine = gradient_shift(model, X, y, learning_rate=0.5)
    _, dW, db = copy.deepcopy(model).loss_and_gradients(X, y)
    stepped = copy.deepcopy(model)
    stepped.weights[0] -= 0.5 * dW[0]
    stepped.biases[0] -= 0.5 * db[0]
    after = stepped.loss_and_gradients(X, y)[1][1]
    np.testing.assert_allclose(relative[0], np.linalg.norm(after - dW[1]) / np.linalg.norm(dW[1]))
    np.testing.assert_allclose(cosine[0], np.sum(after * dW[1]) / np.linalg.norm(after) / np.linalg.norm(dW[1]))


def test_step_drift_is_zero_for_a_step_of_size_zero():
    model = deep_mlp(True, "tanh", seed=0)
    X, y = small_batch()
    linear, activation = step_drift(model, X, y, learning_rate=0.0)
    assert linear.shape == activation.shape == (6,)
    assert np.all(linear == 0.0) and np.all(activation == 0.0)
    noisy = deep_mlp(True, "tanh", noisy=True)
    noisy_linear, noisy_activation = step_drift(noisy, X, y, learning_rate=0.0)
    assert np.all(noisy_linear == 0.0) and np.all(noisy_activation == 0.0)  # the same draw of the noise twice
    redrawn_linear, redrawn_activation = step_drift(noisy, X, y, learning_rate=0.0, redraw_noise=True)
    assert redrawn_linear[0] == 0.0  # the first noise comes after the first BN's input, and reaches the later ones
    assert np.all(redrawn_activation > 0.01)  # a new draw alone moves what the activation sees


def test_measured_runs_train_exactly_like_unmeasured_ones():
    settings_ = dict(activation="tanh", learning_rate=0.1, epochs=1, seed=7)
    plain = train_deep(True, **settings_)
    copy_of_model = trained_model(True, **settings_)
    measured = train_deep(True, measure=True, **settings_)
    np.testing.assert_array_equal(plain.test_accuracy, measured.test_accuracy)
    np.testing.assert_array_equal(plain.loss, measured.loss)
    assert plain.measurements == {} and measured.measurements["gradient_cosine"].shape == (2, 6)
    assert measured.measurements["linear_output"].shape == (2, 6, 32, 5)
    assert train_deep(True, **settings_) is measured  # the measured run now answers unmeasured calls too
    copy_of_model.weights[0][:] = 0.0  # a copy: the cached network is untouched
    assert np.any(trained_model(True, **settings_).weights[0] != 0.0)


def test_train_mode_accuracy_uses_batch_statistics_on_a_copy():
    model = trained_model(True, activation="tanh", learning_rate=0.1, epochs=1, seed=7)
    X, y = small_batch(2, n=65)
    running = model.norms[0].running_mean.copy()
    large = train_mode_accuracy(model, X, y, batch_size=64)
    copy_ = copy.deepcopy(model).train()
    expected = np.mean(copy_.forward(X[:64]).argmax(axis=1) == y[:64])  # the 65th sample fills no batch
    assert large == pytest.approx(expected)
    np.testing.assert_array_equal(model.norms[0].running_mean, running)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        train_mode_accuracy(model, X, y, batch_size=0)


def test_sweep_reports_each_seed_and_returns_what_train_deep_gives():
    reported = []
    result = sweep([0.1, 1.0], "learning_rate", kinds=("without BN", "with BN"), seeds=2, epochs=1,
                   activation="tanh", report=lambda seed, accuracy: reported.append(seed))
    assert reported == [0, 1] and set(result) == {"without BN", "with BN"}
    for kind, runs in result.items():
        assert runs.values.shape == (2, 2) and runs.seeds == (0, 1)
        expected = [[train_deep(**KINDS[kind], learning_rate=rate, epochs=1, activation="tanh", seed=seed)
                     .test_accuracy[-1] for rate in (0.1, 1.0)] for seed in (0, 1)]
        np.testing.assert_array_equal(runs.values, expected)


def test_train_over_seeds_and_replicated_pair_runs_by_seed():
    runs = train_over_seeds(("with BN",), seeds=2, activation="tanh", learning_rate=0.1, epochs=1)
    assert [run is runs_by_kind(seed, ("with BN",), activation="tanh", learning_rate=0.1, epochs=1)["with BN"]
            for seed, run in enumerate(runs["with BN"])] == [True, True]
    final = replicated(runs["with BN"], lambda run: run.test_accuracy[-1])
    assert final.seeds == (0, 1) and final.values.shape == (2,)
    with pytest.raises(ValueError, match="kinds must be one of"):
        runs_by_kind(0, ("with batch norm",))


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 5))
def test_two_samples_normalize_to_plus_and_minus_one(d):
    """Lesson 05's b = 2 argument: every feature of a batch of two becomes ±1 (up to ε)."""
    rng = np.random.default_rng(d)
    pair = rng.standard_normal((2, d)) * 10
    layer = BatchNorm1d(d)
    out = layer(pair)
    np.testing.assert_allclose(np.abs(out), 1.0, atol=1e-4)
    np.testing.assert_array_equal(np.sign(out[0]), np.sign(pair[0] - pair[1]))


def test_tune_learning_rate_chooses_on_validation_and_tests_only_the_chosen_rate():
    reported = []
    settings_ = dict(activation="tanh", epochs=1, batch_size=128)
    tuned = tune_learning_rate([0.1, 1.0], seeds=2, report=lambda seed, accuracy: reported.append(seed), **settings_)
    assert reported == [0, 1] and set(tuned) == {"without BN", "with BN"}
    X_train, X_validation, X_test, _, y_validation, y_test = digits_splits()
    for kind, result in tuned.items():
        assert result.validation.values.shape == (2, 2) and result.test.values.shape == (2,)
        best = int(np.argmax(result.validation.median))
        assert result.learning_rate == [0.1, 1.0][best]
        for seed in (0, 1):
            model = trained_model(**KINDS[kind], learning_rate=result.learning_rate, seed=seed, validation=True,
                                  **settings_)
            assert result.test.values[seed] == pytest.approx(model.accuracy(X_test, y_test))
            assert result.validation.values[seed, best] == pytest.approx(model.accuracy(X_validation, y_validation))
    assert len(X_train) == 1078  # trained without the 270 validation samples


def test_tune_learning_rate_rejects_a_fixed_learning_rate():
    with pytest.raises(ValueError, match="settings must not hold learning_rate"):
        tune_learning_rate([0.1, 1.0], learning_rate=0.1, epochs=1)
