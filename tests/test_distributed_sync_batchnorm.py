"""SyncBatchNorm between simulated ranks equals lesson 05's BatchNorm1d on the concatenated global batch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit.batchnorm import BatchNorm1d
from batchkit.distributed import SimulatedGroup, SyncBatchNorm, WorkerError, convert_sync_batchnorm, run_simulated
from batchkit.distributed.sync_batchnorm import global_mean_var
from batchkit.mlp import MLP


def sync_layer_worker(communicator, *, shards, douts, gamma, beta, steps=1):
    """Forward and backward of one SyncBatchNorm on this rank's shard; returns what the test compares."""
    layer = SyncBatchNorm(shards[0].shape[1], communicator)
    layer.gamma, layer.beta = gamma.copy(), beta.copy()
    for _ in range(steps):
        out = layer(shards[communicator.rank])
        dx = layer.backward(douts[communicator.rank])
    return {"out": out, "dx": dx, "dgamma": layer.dgamma, "dbeta": layer.dbeta,
            "running_mean": layer.running_mean, "running_var": layer.running_var}


def split(array, counts):
    return np.split(array, np.cumsum(counts)[:-1])


@settings(max_examples=25, deadline=None)
@given(counts=st.lists(st.integers(1, 6), min_size=1, max_size=4).filter(lambda c: sum(c) >= 2),
       features=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_sync_layer_is_batchnorm_of_the_global_batch(counts, features, seed):
    """Ranks with different sample counts (even 1 each): outputs, dx, summed dγ and dβ, running statistics."""
    rng = np.random.default_rng(seed)
    x = 3.0 + 2.0 * rng.standard_normal((sum(counts), features))
    dout = rng.standard_normal(x.shape)
    gamma, beta = 1 + rng.random(features), rng.standard_normal(features)
    single = BatchNorm1d(features)
    single.gamma, single.beta = gamma.copy(), beta.copy()
    out, dx = single(x), single.backward(dout)
    results = run_simulated(sync_layer_worker, len(counts), args=dict(shards=split(x, counts),
                            douts=split(dout, counts), gamma=gamma, beta=beta))
    np.testing.assert_allclose(np.concatenate([r["out"] for r in results]), out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([r["dx"] for r in results]), dx, rtol=0, atol=1e-12)
    # Each rank keeps its own share of dγ and dβ: data parallelism sums them with the other gradients.
    np.testing.assert_allclose(sum(r["dgamma"] for r in results), single.dgamma, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sum(r["dbeta"] for r in results), single.dbeta, rtol=0, atol=1e-12)
    for r in results:  # unbiased global variance (count - 1) in the running average, the same on every rank
        np.testing.assert_allclose(r["running_mean"], single.running_mean, rtol=0, atol=1e-12)
        np.testing.assert_allclose(r["running_var"], single.running_var, rtol=0, atol=1e-12)


def test_one_sample_per_rank_is_fine_when_synchronized():
    """Local BN cannot normalize one sample; two ranks with one sample each form a global batch of two."""
    x = np.array([[1.0, 4.0], [3.0, 8.0]])
    results = run_simulated(sync_layer_worker, 2, args=dict(shards=split(x, [1, 1]), douts=split(np.ones_like(x),
                            [1, 1]), gamma=np.ones(2), beta=np.zeros(2)))
    np.testing.assert_allclose(np.concatenate([r["out"] for r in results]), [[-1, -1], [1, 1]], atol=1e-5)
    with pytest.raises(ValueError, match="more than 1 sample"):
        BatchNorm1d(2)(x[:1])


def variance_worker(communicator, *, shards):
    return global_mean_var(communicator, shards[communicator.rank])


def test_global_variance_stays_accurate_far_from_zero():
    """Σx² - (Σx)²/N would lose every digit here (|μ|/σ = 10⁸); the two-pass statistics keep them."""
    rng = np.random.default_rng(0)
    x = 1e8 + rng.standard_normal((200, 3))
    mean, var, count = run_simulated(variance_worker, 2, args=dict(shards=split(x, [120, 80])))[0]
    assert count == 200
    np.testing.assert_allclose(var, x.var(axis=0), rtol=1e-7)
    naive = (x**2).mean(axis=0) - x.mean(axis=0) ** 2
    assert np.max(np.abs(naive / x.var(axis=0) - 1)) > 1e-2  # the formula that was not used fails


def test_float32_input_gets_float64_statistics():
    rng = np.random.default_rng(1)
    x = (1e4 + rng.standard_normal((64, 2))).astype(np.float32)
    mean, var, _ = run_simulated(variance_worker, 2, args=dict(shards=split(x, [32, 32])))[0]
    assert mean.dtype == var.dtype == np.float64
    np.testing.assert_allclose(var, x.astype(np.float64).var(axis=0), rtol=1e-10)


def test_a_nan_on_one_rank_stops_every_rank():
    """The NaN check is agreed on in the all-reduce: every rank raises, none waits for the others forever."""
    x = np.ones((4, 2))
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(WorkerError, match="NaN or infinite"):
        run_simulated(variance_worker, 2, args=dict(shards=[x, bad]), timeout=10)


def test_a_global_batch_of_one_is_refused():
    with pytest.raises(WorkerError, match="more than 1 sample in the global batch"):
        run_simulated(variance_worker, 1, args=dict(shards=[np.ones((1, 3))]))


def convert_worker(communicator):
    model = MLP([3, 4, 4, 2], "relu", batchnorm=True, seed=0)
    model.norms[0].gamma[:] = 2.0
    convert_sync_batchnorm(model, communicator)
    return model.norms


def test_convert_keeps_the_state_and_eval_mode_needs_no_communication():
    norms = run_simulated(convert_worker, 2)[0]
    assert isinstance(norms[0], SyncBatchNorm) and isinstance(norms[1], SyncBatchNorm) and norms[2] is None
    assert np.all(norms[0].gamma == 2.0) and "rank=0 of 2" in repr(norms[0])
    layer = norms[0].eval()
    x = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(layer(x), BatchNorm1d(4).eval()(x) * 2.0)  # running stats 0 and 1: only γ differs


def test_bad_arguments():
    with pytest.raises(TypeError, match="communicator"):
        SyncBatchNorm(3, communicator="gloo")
    layer = SyncBatchNorm(3, SimulatedGroup(1).communicators()[0])
    with pytest.raises(ValueError, match="x has 2 features but this layer normalizes 3"):
        layer(np.ones((4, 2)))  # checked before any collective: every rank would raise alike
    with pytest.raises(RuntimeError, match="forward pass in train mode first"):
        layer.backward(np.ones((4, 3)))
