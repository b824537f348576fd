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
    out, _, _, _ = batchnorm_forward(x, gamma, beta, eps=0.0)
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


def test_reused_buffers_give_the_same_numbers():
    rng = np.random.default_rng(4)
    plain, reusing = BatchNorm1d(5, dtype=np.float32), BatchNorm1d(5, dtype=np.float32, reuse_buffers=True)
    for _ in range(3):
        x = rng.normal(2.0, 3.0, (16, 5)).astype(np.float32)
        dout = rng.standard_normal((16, 5)).astype(np.float32)
        np.testing.assert_array_equal(plain(x), reusing(x))
        np.testing.assert_array_equal(plain.backward(dout), reusing.backward(dout))
    first = reusing(x)
    second = reusing(x + 1.0)
    assert first is second  # documented: the next call overwrites the kept output
    x_odd = rng.standard_normal((7, 5)).astype(np.float32)
    np.testing.assert_array_equal(plain(x_odd), reusing(x_odd))  # a new shape gets new buffers


@settings(max_examples=30)
@given(batches, st.integers(1, 7))
def test_blockwise_passes_equal_the_whole_batch_formulas(x, rows_per_block):
    """Small blocks (several, the last one shorter) give what the textbook formulas give on the whole batch."""
    import batchkit.batchnorm as bn

    rng = np.random.default_rng(0)
    gamma, beta, dout = rng.standard_normal(x.shape[1]), rng.standard_normal(x.shape[1]), rng.standard_normal(x.shape)
    saved = bn.BLOCK_BYTES
    bn.BLOCK_BYTES = rows_per_block * x.shape[1] * x.itemsize
    try:
        assert len(bn.row_blocks(x.shape, x.dtype).slices) == -(-len(x) // rows_per_block)
        out, cache, mean, var = batchnorm_forward(x, gamma, beta)
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    finally:
        bn.BLOCK_BYTES = saved
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, x.var(0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out, gamma * x_hat + beta, rtol=1e-9, atol=1e-9)
    for got, want in zip((dx, dgamma, dbeta), batchnorm_backward_from_graph(dout, x, gamma)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_blockwise_float32_matches_a_float64_reference():
    """Many blocks in float32: the per-feature tiles are cast to float32, the sums still add up in float64."""
    import batchkit.batchnorm as bn

    rng = np.random.default_rng(5)
    x = (50.0 + 3.0 * rng.standard_normal((1000, 24))).astype(np.float32)
    gamma, beta = rng.standard_normal(24).astype(np.float32), rng.standard_normal(24).astype(np.float32)
    dout = rng.standard_normal((1000, 24)).astype(np.float32)
    saved, bn.BLOCK_BYTES = bn.BLOCK_BYTES, 96 * 24 * 4  # 96 rows per block: 11 blocks, the last one shorter
    try:
        assert len(bn.row_blocks(x.shape, x.dtype).slices) == 11
        out, cache, mean, var = batchnorm_forward(x, gamma, beta)
        grads = batchnorm_backward(dout, cache)
    finally:
        bn.BLOCK_BYTES = saved
    x64, g64 = x.astype(np.float64), gamma.astype(np.float64)
    x_hat = (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + 1e-5)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    np.testing.assert_allclose(var, x64.var(0), rtol=1e-5)
    np.testing.assert_allclose(out, g64 * x_hat + beta, atol=2e-5)
    for got, want in zip(grads, batchnorm_backward_from_graph(dout.astype(np.float64), x64, g64)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_reused_buffers_give_the_same_results_as_new_arrays():
    rng = np.random.default_rng(3)
    x, dout = rng.normal(2.0, 3.0, (300, 40)), rng.standard_normal((300, 40))
    fresh, reusing = BatchNorm1d(40), BatchNorm1d(40, reuse_buffers=True)
    for _ in range(2):  # the second call writes into the buffers of the first
        np.testing.assert_array_equal(fresh(x), reusing(x))
        np.testing.assert_array_equal(fresh.backward(dout), reusing.backward(dout))
    np.testing.assert_array_equal(fresh.running_var, reusing.running_var)
