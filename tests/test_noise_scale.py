"""The simple noise scale: per-sample gradient norms without a loop, checked against the loop they replace."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit.mlp import MLP
from batchkit.noise_scale import NoiseScale, per_sample_gradient_norms, simple_noise_scale


def loop_over_samples(model, X, labels):
    """The definition: each sample's own gradient, from a batch of one, as one flat vector per sample."""
    rows = []
    for i in range(len(X)):
        _, dW, db = model.loss_and_gradients(X[i:i + 1], labels[i:i + 1])
        rows.append(np.concatenate([part.ravel() for w, b in zip(dW, db) for part in (w, b)]))
    return np.array(rows)


def problem(seed, n=9, sizes=(5, 4, 3), activation="tanh"):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    labels = rng.integers(0, sizes[-1], n)
    return MLP(list(sizes), activation=activation, seed=seed), X, labels


def test_norms_match_a_loop_over_batches_of_one():
    model, X, labels = problem(0)
    per_sample = loop_over_samples(model, X, labels)
    np.testing.assert_allclose(per_sample_gradient_norms(model, X, labels), np.sum(per_sample**2, axis=1), rtol=1e-12)


def test_noise_scale_matches_the_covariance_of_the_loop():
    model, X, labels = problem(1, n=12, sizes=(6, 5, 5, 4), activation="relu")
    per_sample = loop_over_samples(model, X, labels)
    full = per_sample.mean(axis=0)
    trace = np.trace(np.cov(per_sample.T, bias=True))
    noise = simple_noise_scale(model, X, labels)
    assert isinstance(noise, NoiseScale)
    np.testing.assert_allclose(noise.gradient_norm_squared, full @ full, rtol=1e-12)
    np.testing.assert_allclose(noise.trace_covariance, trace, rtol=1e-10)
    np.testing.assert_allclose(noise.simple, trace / (full @ full), rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), hidden=st.integers(1, 6),
       activation=st.sampled_from(["tanh", "relu", "sigmoid"]))
def test_property_norms_equal_the_loop(seed, n, hidden, activation):
    model, X, labels = problem(seed, n=n, sizes=(3, hidden, 4), activation=activation)
    expected = np.sum(loop_over_samples(model, X, labels) ** 2, axis=1)
    np.testing.assert_allclose(per_sample_gradient_norms(model, X, labels), expected, rtol=1e-10, atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 10), copies=st.integers(2, 4))
def test_property_noise_is_nonnegative_and_unchanged_by_repeating_the_data(seed, n, copies):
    model, X, labels = problem(seed, n=n)
    once = simple_noise_scale(model, X, labels)
    repeated = simple_noise_scale(model, np.tile(X, (copies, 1)), np.tile(labels, copies))
    assert once.trace_covariance >= 0
    np.testing.assert_allclose(repeated.gradient_norm_squared, once.gradient_norm_squared, rtol=1e-10)
    np.testing.assert_allclose(repeated.trace_covariance, once.trace_covariance, rtol=1e-8, atol=1e-14)


def test_parameters_are_not_changed():
    model, X, labels = problem(2)
    before = [w.copy() for w in model.weights]
    simple_noise_scale(model, X, labels)
    for w, b in zip(model.weights, before):
        np.testing.assert_array_equal(w, b)


def test_bad_inputs_name_the_argument():
    model, X, labels = problem(3)
    with pytest.raises(ValueError, match="batch norm"):
        simple_noise_scale(MLP([5, 4, 3], batchnorm=True), X, labels)
    with pytest.raises(ValueError, match="labels"):
        simple_noise_scale(model, X, labels[:-1])
    with pytest.raises(ValueError, match="X"):
        per_sample_gradient_norms(model, X[:1], labels[:1])
    with pytest.raises(TypeError, match="model"):
        simple_noise_scale("not a model", X, labels)
