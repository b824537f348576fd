"""Lesson 03's careful batch statistics: exact on easy data, accurate in float32 with a large offset."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.statistics import (
    batch_mean_std,
    batch_mean_var,
    epoch_batch_means,
    naive_variance,
    pairwise_sum,
    running_sum,
    samples_as_rows,
    skewness,
    spread_of_batch_means,
)

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


def offset_float32(n: int, features: int = 4, seed: int = 7) -> np.ndarray:
    return (1e4 + np.random.default_rng(seed).standard_normal((n, features))).astype(np.float32)


@given(arrays(np.float32, st.tuples(st.integers(1, 300), st.integers(2, 4)), elements=st.floats(-1e4, 1e4, width=32)))
def test_numpy_sums_down_axis_0_of_c_order_row_by_row(X):
    """The claim of lesson 03: numpy's axis-0 sum of a C-ordered array is the plain running sum, bit for bit.

    (With a single column, axis 0 is the contiguous axis and numpy sums it pairwise instead.)"""
    np.testing.assert_array_equal(running_sum(np.ascontiguousarray(X)), np.ascontiguousarray(X).sum(axis=0))


def test_running_sum_drifts_and_pairwise_sum_does_not_in_float32():
    X = offset_float32(60000)
    exact = X.astype(np.float64).sum(axis=0)
    np.testing.assert_array_equal(running_sum(X), X.sum(axis=0))  # numpy on C order: the running sum
    assert np.min(np.abs(running_sum(X) - exact)) > 6e4  # the mean is off by more than 1
    assert np.max(np.abs(pairwise_sum(X) - exact)) < 200  # the mean is off by less than 0.004
    assert np.max(np.abs(np.asfortranarray(X).sum(axis=0) - exact)) < 200  # numpy along the contiguous axis
    assert np.max(np.abs(np.asfortranarray(X).var(axis=0) / X.astype(np.float64).var(axis=0) - 1)) < 1e-4
    assert np.min(X.var(axis=0) / X.astype(np.float64).var(axis=0)) > 3  # numpy.var down axis 0 of C order


@given(arrays(np.float64, st.tuples(st.integers(0, 70), st.integers(1, 3)), elements=st.floats(-1e3, 1e3)))
def test_both_sums_agree_with_numpy_in_float64(X):
    expected = X.sum(axis=0)
    np.testing.assert_allclose(running_sum(X), expected, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(pairwise_sum(X), expected, rtol=1e-9, atol=1e-6)
    assert pairwise_sum(X).shape == running_sum(X).shape == (X.shape[1],)


def test_sums_refuse_one_dimensional_input():
    with pytest.raises(ValueError, match="X must be 2-D"):
        running_sum(np.ones(3))
    with pytest.raises(ValueError, match="X must be 2-D"):
        pairwise_sum(np.ones(3))


def test_batch_mean_var_is_accurate_in_either_memory_order():
    X = offset_float32(60000)
    reference = X.astype(np.float64).var(axis=0)
    for layout_copy in (X, np.asfortranarray(X)):
        assert np.max(np.abs(batch_mean_var(layout_copy)[1] / reference - 1)) < 1e-4


def test_samples_as_rows_views_and_checks():
    X = np.arange(6.0).reshape(2, 3)
    assert samples_as_rows(X) is X and np.shares_memory(samples_as_rows(X, "columns"), X)
    assert samples_as_rows(X, "columns").shape == (3, 2) and samples_as_rows(np.arange(3.0)).shape == (3, 1)
    assert samples_as_rows(np.arange(4)).dtype == np.float64
    with pytest.raises(ValueError, match="layout must be one of"):
        samples_as_rows(X, "diagonal")
    with pytest.raises(ValueError, match="X must be 2-D"):
        samples_as_rows(np.ones(3), "columns")


def test_standard_error_of_the_spread_covers_the_theory():
    x = np.random.default_rng(0).exponential(2.0, 1200)
    for b in (10, 100, 600):
        theory = batch_mean_std(x.std(), 1200, b)
        measured, error = spread_of_batch_means(epoch_batch_means(x, b, 400, seed=3), x.mean())
        assert 0 < error < 0.1 * theory
        assert abs(measured - theory) < 4 * error


def test_spread_is_exact_at_the_ends():
    x = np.random.default_rng(1).standard_normal(30)
    assert spread_of_batch_means(epoch_batch_means(x, 1, 5, seed=0), x.mean()) == pytest.approx((x.std(), 0.0))
    std, error = spread_of_batch_means(epoch_batch_means(x, 30, 5, seed=0), x.mean())
    assert std < 1e-12 and error < 1e-12
    with pytest.raises(ValueError, match="at least 2 independent epochs"):
        spread_of_batch_means(np.ones((1, 4)), 1.0)


@given(arrays(np.float64, st.integers(3, 50), elements=st.floats(-100, 100)))
def test_skewness_changes_sign_with_the_data_and_ignores_shift_and_scale(x):
    if np.ptp(x) < 1e-6:
        return
    assert skewness(-x) == pytest.approx(-skewness(x), abs=1e-9)
    assert skewness(3.0 * x + 7.0) == pytest.approx(skewness(x), rel=1e-6, abs=1e-9)


def test_skewness_of_known_distributions():
    rng = np.random.default_rng(0)
    assert skewness(rng.exponential(1.0, 200_000)) == pytest.approx(2.0, abs=0.05)
    assert skewness(np.array([-1.0, 0.0, 1.0])) == 0.0
    with pytest.raises(ValueError, match="skewness of constant data is undefined"):
        skewness(np.ones(5))


@given(sizes=st.lists(st.integers(0, 30), min_size=1, max_size=6), seed=st.integers(0, 10_000))
def test_merging_batch_statistics_gives_the_statistics_of_the_joined_batches(sizes, seed):
    from batchkit.statistics import batch_statistics, merge_statistics

    rng = np.random.default_rng(seed)
    batches = [rng.normal(rng.uniform(-5, 5), 2.0, (size, 3)) for size in sizes]
    merged = (0, np.zeros(3), np.zeros(3))
    for batch in batches:
        merged = merge_statistics(merged, batch_statistics(batch))
    count, mean, m2 = batch_statistics(np.concatenate(batches))
    assert merged[0] == count == sum(sizes)
    np.testing.assert_allclose(merged[1], mean, atol=1e-10)
    np.testing.assert_allclose(merged[2], m2, rtol=1e-9, atol=1e-9)


def test_batch_statistics_of_float32_data_far_from_zero_keep_their_digits():
    from batchkit.statistics import batch_statistics

    X = (10_000 + np.random.default_rng(1).standard_normal((60_000, 2))).astype(np.float32)
    _, _, m2 = batch_statistics(X)
    np.testing.assert_allclose(m2 / len(X), X.astype(np.float64).var(axis=0), rtol=1e-9)
