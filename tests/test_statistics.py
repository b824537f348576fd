"""Lesson 03's careful batch statistics: exact on easy data, accurate in float32 with a large offset."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.statistics import batch_mean_var, naive_variance

data = arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 5)), elements=st.floats(-1e6, 1e6))


@given(data, st.integers(0, 1))
def test_matches_numpy_in_float64(X, ddof):
    mean, var = batch_mean_var(X, ddof=ddof)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(var, X.var(axis=0, ddof=ddof), rtol=1e-7, atol=1e-6)


@given(data)
def test_columns_layout_agrees(X):
    for ours, theirs in zip(batch_mean_var(X), batch_mean_var(X.T, layout="columns")):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("n", [1000, 60000])
def test_float32_with_large_offset_agrees_with_float64(n):
    X = (1e4 + np.random.default_rng(0).standard_normal((n, 16))).astype(np.float32)
    reference = X.astype(np.float64).var(axis=0)
    mean, var = batch_mean_var(X)
    assert var.dtype == np.float32 and mean.dtype == np.float32
    assert np.max(np.abs(var - reference) / reference) < 1e-4
    np.testing.assert_allclose(mean, X.astype(np.float64).mean(axis=0), rtol=1e-7)


def test_naive_formula_fails_that_test():
    X = (1e4 + np.random.default_rng(0).standard_normal((1000, 16))).astype(np.float32)
    reference = X.astype(np.float64).var(axis=0)
    assert np.max(np.abs(naive_variance(X) - reference) / reference) > 1.0


def test_naive_formula_is_fine_without_offset():
    X = np.random.default_rng(1).standard_normal((100, 3))
    np.testing.assert_allclose(naive_variance(X), X.var(axis=0), rtol=1e-10)


def test_one_dimensional_input_and_errors():
    mean, var = batch_mean_var(np.array([1.0, 2.0, 3.0, 4.0]))
    assert float(mean) == 2.5 and float(var) == 1.25
    with pytest.raises(ValueError, match="needs more than 1"):
        batch_mean_var(np.ones((1, 3)), ddof=1)
    assert batch_mean_var(np.arange(4).reshape(2, 2))[1].dtype == np.float64


def test_spread_of_batch_means_follows_the_finite_population_formula():
    from batchkit.statistics import batch_mean_std, epoch_batch_means

    x = np.random.default_rng(0).exponential(2.0, 600)
    for b in (1, 5, 60, 300):
        means = epoch_batch_means(x, b, 200, seed=1)
        assert means.shape == (200, 600 // b)
        np.testing.assert_allclose(means.mean(), x.mean(), rtol=1e-12 if b in (1,) else 0.02)
        assert means.std() == pytest.approx(batch_mean_std(x.std(), 600, b), rel=0.1)
    assert batch_mean_std(2.0, 600, 600) == 0.0 and batch_mean_std(2.0, 600, 1) == 2.0
    with pytest.raises(ValueError, match="between 1 and n=600"):
        batch_mean_std(2.0, 600, 601)


def test_batch_means_use_the_batches_of_iter_epochs():
    import batchkit as bk
    from batchkit.statistics import epoch_batch_means

    x = np.random.default_rng(5).standard_normal(50)
    expected = [[x[batch].mean() for batch in batches] for batches in bk.iter_epochs(50, 7, 3, drop_last=True, seed=9)]
    np.testing.assert_allclose(epoch_batch_means(x, 7, 3, seed=9), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="larger than n=50"):
        epoch_batch_means(x, 51, 1)
