"""Lesson 01 counting: batches per epoch and total steps."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import batchkit as bk


def test_posts_example_60000_samples_batch_100():
    assert bk.batches_per_epoch(60000, 100) == 600
    assert bk.total_steps(60000, 100, epochs=5) == 3000  # s = n e / b, exact because 100 divides 60000


@pytest.mark.parametrize(
    ("n", "b", "drop_last", "expected"),
    [(10, 3, False, 4), (10, 3, True, 3), (10, 10, False, 1), (10, 10, True, 1), (10, 1, False, 10), (10, 11, False, 1)],
)
def test_batches_per_epoch(n, b, drop_last, expected):
    assert bk.batches_per_epoch(n, b, drop_last) == expected


def test_batch_larger_than_n_gives_one_batch_like_keras():
    np.testing.assert_array_equal(bk.batch_sizes(5, 32), [5])


@given(n=st.integers(1, 10_000), b=st.integers(1, 12_000), drop_last=st.booleans())
def test_counts_match_ceil_and_floor(n, b, drop_last):
    if drop_last and b > n:
        with pytest.raises(ValueError, match="zero batches"):
            bk.batches_per_epoch(n, b, drop_last)
        return
    expected = n // b if drop_last else math.ceil(n / b)
    assert bk.batches_per_epoch(n, b, drop_last) == expected
    sizes = bk.batch_sizes(n, b, drop_last)
    assert len(sizes) == expected
    assert sizes.min() >= 1 and sizes.max() <= b
    if drop_last:
        assert np.all(sizes == b)
    else:
        assert sizes.sum() == n


@given(n=st.integers(1, 5000), b=st.integers(1, 5000), e=st.integers(0, 50))
def test_naive_formula_holds_exactly_when_b_divides_n(n, b, e):
    steps = bk.total_steps(n, b, e)
    if n % b == 0:
        assert steps * b == n * e
    else:
        assert steps * b > n * e or e == 0


@pytest.mark.parametrize("bad", [0, -3])
def test_batch_size_must_be_positive(bad):
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer \(>= 1\), got"):
        bk.batches_per_epoch(10, bad)


@pytest.mark.parametrize("bad", [True, 2.0, 32.5, "32", None])
def test_batch_size_must_be_an_integer_not_bool_or_float(bad):
    with pytest.raises(TypeError, match="batch_size must be a positive integer"):
        bk.batches_per_epoch(10, bad)


def test_numpy_integers_are_accepted():
    assert bk.batches_per_epoch(np.int64(10), np.int32(3)) == 4


def test_negative_epochs_rejected():
    with pytest.raises(ValueError, match=r"epochs must be a non-negative integer \(>= 0\), got -1"):
        bk.total_steps(10, 3, -1)


def test_empty_data_rejected():
    with pytest.raises(ValueError, match=r"n must be a positive integer"):
        bk.batches_per_epoch(0, 3)


def test_drop_last_leaving_no_batch_says_why():
    with pytest.raises(ValueError, match=r"drop_last=True leaves zero batches: batch_size=8 is larger than n=5"):
        bk.batches_per_epoch(5, 8, drop_last=True)


def test_describe_steps_compares_with_the_naive_formula():
    assert bk.describe_steps(60000, 100, 1) == (
        "n=60000, b=100: 600 batches per epoch (all full), 600 steps in 1 epoch; "
        "n·e/b = 600 exactly, because 100 divides 60000"
    )
    assert "n·e/b = 19.2 is not the count" in bk.describe_steps(24, 5, 4)
    assert "the last 4 samples dropped" in bk.describe_steps(24, 5, 4, drop_last=True)
