"""The benchmark's tuned numpy batch norm (benchmarks/tuned_batchnorm.py) computes what batchkit's readable one does."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.batchnorm import batchnorm_backward, batchnorm_backward_from_graph, batchnorm_forward
from benchmarks import tuned_batchnorm as tuned

batches = arrays(np.float64, st.tuples(st.integers(4, 30), st.integers(1, 6)),
                 elements=st.floats(-100, 100)).filter(lambda x: np.all(x.std(axis=0) > 0.1))


@pytest.fixture
def block_bytes():
    """Set tuned.BLOCK_BYTES for one test, and put it back afterwards."""
    saved = tuned.BLOCK_BYTES
    yield lambda size: setattr(tuned, "BLOCK_BYTES", size)
    tuned.BLOCK_BYTES = saved


@settings(max_examples=30, deadline=None)
@given(batches, st.integers(1, 7))
def test_blockwise_passes_equal_the_readable_functions(x, rows_per_block):
    """Small blocks (several, the last one shorter) give what batchkit gives on the whole batch."""
    rng = np.random.default_rng(0)
    gamma, beta, dout = rng.standard_normal(x.shape[1]), rng.standard_normal(x.shape[1]), rng.standard_normal(x.shape)
    saved, tuned.BLOCK_BYTES = tuned.BLOCK_BYTES, rows_per_block * x.shape[1] * x.itemsize
    try:
        assert len(tuned.row_blocks(x.shape, x.dtype).slices) == -(-len(x) // rows_per_block)
        out, cache, mean, var = tuned.tuned_forward(x, gamma, beta)
        dx, dgamma, dbeta = tuned.tuned_backward(dout, cache)
    finally:
        tuned.BLOCK_BYTES = saved
    want_out, want_cache, want_mean, want_var = batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, want_var, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out, want_out, rtol=1e-9, atol=1e-9)
    for got, want in zip((dx, dgamma, dbeta), batchnorm_backward(dout, want_cache)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_blockwise_float32_matches_a_float64_reference(block_bytes):
    """Many blocks in float32: the per-feature tiles are cast to float32, the sums still add up in float64."""
    rng = np.random.default_rng(5)
    x = (50.0 + 3.0 * rng.standard_normal((1000, 24))).astype(np.float32)
    gamma, beta = rng.standard_normal(24).astype(np.float32), rng.standard_normal(24).astype(np.float32)
    dout = rng.standard_normal((1000, 24)).astype(np.float32)
    block_bytes(96 * 24 * 4)  # 96 rows per block: 11 blocks, the last one shorter
    assert len(tuned.row_blocks(x.shape, x.dtype).slices) == 11
    out, cache, mean, var = tuned.tuned_forward(x, gamma, beta)
    grads = tuned.tuned_backward(dout, cache)
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
    gamma, beta = np.ones(40), np.zeros(40)
    fresh = tuned.tuned_forward(x, gamma, beta)
    buffers = {"out": np.empty_like(x), "centered": np.empty_like(x)}
    for _ in range(2):  # the second call writes into the buffers of the first
        kept = tuned.tuned_forward(x, gamma, beta, **buffers)
        np.testing.assert_array_equal(kept[0], fresh[0])
        np.testing.assert_array_equal(tuned.tuned_backward(dout, kept[1], dx=np.empty_like(x))[0],
                                      tuned.tuned_backward(dout, fresh[1])[0])
