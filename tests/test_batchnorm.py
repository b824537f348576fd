"""Lesson 05: batch normalization forward/backward and the BatchNorm1d layer."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.batchnorm import BatchNorm1d, batchnorm_backward, batchnorm_backward_from_graph, batchnorm_forward
from batchkit.gradcheck import check_gradients

batches = arrays(np.float64, st.tuples(st.integers(4, 30), st.integers(1, 6)),
                 elements=st.floats(-100, 100)).filter(lambda x: np.all(x.std(axis=0) > 0.1))  # variance well above eps


@given(batches)
def test_unit_gamma_zero_beta_gives_mean_0_std_1(x):
    out, _, _, _ = batchnorm_forward(x, np.ones(x.shape[1]), np.zeros(x.shape[1]))
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(out.std(axis=0), np.sqrt(x.var(axis=0) / (x.var(axis=0) + 1e-5)), rtol=1e-9)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-3)


@given(batches, st.data())
def test_gamma_and_beta_set_std_and_mean(x, data):
    d = x.shape[1]
    gamma = data.draw(arrays(np.float64, (d,), elements=st.floats(0.1, 5)))
    beta = data.draw(arrays(np.float64, (d,), elements=st.floats(-5, 5)))
    out, _, _, _ = batchnorm_forward(x, gamma, beta, eps=1e-12)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-8)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-8)


@pytest.mark.parametrize("shape", [(4, 5), (10, 3), (6, 1)])
def test_backward_passes_the_gradient_check(shape):
    rng = np.random.default_rng(0)
    inputs = {"x": 3.0 + 2.0 * rng.standard_normal(shape), "gamma": rng.standard_normal(shape[1]),
              "beta": rng.standard_normal(shape[1])}

    def forward(x, gamma, beta):
        return batchnorm_forward(x, gamma, beta)[0]

    def backward(dout, x, gamma, beta):
        dx, dgamma, dbeta = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta)[1])
        return {"x": dx, "gamma": dgamma, "beta": dbeta}

    result = check_gradients(forward, backward, inputs, seed=1)
    assert result.passed, str(result)


def test_backward_missing_the_mean_term_fails_the_check():
    rng = np.random.default_rng(1)
    inputs = {"x": rng.standard_normal((5, 3)), "gamma": np.ones(3), "beta": np.zeros(3)}

    def wrong(dout, x, gamma, beta):  # treats μ as a constant: drops the -dβ term
        cache = batchnorm_forward(x, gamma, beta)[1]
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        return {"x": dx + (gamma * cache.inv_std / len(x)) * dbeta, "gamma": dgamma, "beta": dbeta}

    assert not check_gradients(lambda x, gamma, beta: batchnorm_forward(x, gamma, beta)[0], wrong, inputs).passed


@settings(max_examples=30)
@given(batches)
def test_simplified_backward_equals_the_graph_backward(x):
    rng = np.random.default_rng(0)
    gamma, dout = rng.standard_normal(x.shape[1]), rng.standard_normal(x.shape)
    fast = batchnorm_backward(dout, batchnorm_forward(x, gamma, np.zeros(x.shape[1]))[1])
    slow = batchnorm_backward_from_graph(dout, x, gamma)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_float32_with_a_large_offset_stays_accurate():
    x = (1e4 + np.random.default_rng(2).standard_normal((4096, 64))).astype(np.float32)
    out, _, mean, var = batchnorm_forward(x, np.ones(64, np.float32), np.zeros(64, np.float32))
    reference = (x.astype(np.float64) - x.astype(np.float64).mean(0)) / np.sqrt(x.astype(np.float64).var(0) + 1e-5)
    assert out.dtype == np.float32
    assert np.max(np.abs(out - reference)) < 1e-2
    np.testing.assert_allclose(var, x.astype(np.float64).var(0), rtol=1e-4)


def test_layer_conventions():
    layer = BatchNorm1d(3)
    np.testing.assert_array_equal(layer.running_mean, 0.0)
    np.testing.assert_array_equal(layer.running_var, 1.0)
    x = np.random.default_rng(3).normal(5.0, 2.0, (8, 3))
    layer(x)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0))  # momentum = weight of the new batch
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1))  # unbiased
    with pytest.raises(ValueError, match="needs more than 1 sample per batch"):
        layer(x[:1])
    layer.eval()
    single = layer(x[:1])  # eval mode: a batch of one is fine, and depends only on that sample
    np.testing.assert_allclose(single, layer(x)[:1])
    assert repr(layer) == "BatchNorm1d(3, eps=1e-05, momentum=0.1, mode=eval)"


def test_shape_errors():
    with pytest.raises(ValueError, match=r"gamma has shape \(2,\) but x has 3 features"):
        batchnorm_forward(np.ones((4, 3)), np.ones(2), np.zeros(3))
    with pytest.raises(RuntimeError, match="backward needs a forward pass in train mode first"):
        BatchNorm1d(2).backward(np.ones((3, 2)))


def test_float32_large_batch_statistics_match_float64():
    """60000 rows in float32: lesson 03's careful statistics keep the mean and variance accurate."""
    rng = np.random.default_rng(6)
    x = (100.0 + 2.0 * rng.standard_normal((60000, 3))).astype(np.float32)
    _, _, mean, var = batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32))
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(0), rtol=1e-6)
    np.testing.assert_allclose(var, x.astype(np.float64).var(0), rtol=1e-4)


@pytest.mark.parametrize("eps", [0.0, -1e-5, float("nan"), float("inf"), "1e-5", True])
def test_bad_eps_is_rejected_by_the_function_and_the_layer(eps):
    with pytest.raises((TypeError, ValueError), match="eps"):
        batchnorm_forward(np.ones((4, 2)), np.ones(2), np.zeros(2), eps)
    with pytest.raises((TypeError, ValueError), match="eps"):
        BatchNorm1d(2, eps=eps)


@pytest.mark.parametrize("num_features, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("4", TypeError),
                                                  (True, TypeError)])
def test_bad_num_features_names_the_argument(num_features, error):
    with pytest.raises(error, match="num_features"):
        BatchNorm1d(num_features)


def test_bad_momentum_and_dtype_are_rejected():
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(2, momentum=1.5)
    with pytest.raises(TypeError, match="dtype"):
        BatchNorm1d(2, dtype=np.int64)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_training_batch_is_rejected_and_changes_no_state(bad):
    layer = BatchNorm1d(3)
    x = np.random.default_rng(7).standard_normal((8, 3))
    layer(x)
    saved = (layer.running_mean.copy(), layer.running_var.copy())
    x[2, 1] = bad
    with pytest.raises(ValueError, match="non-finite"):
        layer(x)
    np.testing.assert_array_equal(layer.running_mean, saved[0])
    np.testing.assert_array_equal(layer.running_var, saved[1])


def test_a_wrong_width_is_rejected_in_both_modes_before_any_state_changes():
    layer = BatchNorm1d(3)
    for mode in (layer.train, layer.eval):
        mode()
        with pytest.raises(ValueError, match="x has 4 features but this layer normalizes 3"):
            layer(np.ones((5, 4)))
    np.testing.assert_array_equal(layer.running_mean, 0.0)
    np.testing.assert_array_equal(layer.running_var, 1.0)
