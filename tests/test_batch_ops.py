"""Lesson 02: batch sum, batch mean and batch add in both layouts."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.batch_ops import batch_add, batch_mean, batch_sum

matrices = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(-1e3, 1e3))


def test_batch_sum_by_hand():
    Z = np.array([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(batch_sum(Z), [5, 7, 9])
    np.testing.assert_array_equal(batch_sum(Z, keepdims=True), [[5, 7, 9]])
    np.testing.assert_array_equal(batch_sum(Z.T, layout="columns", keepdims=True), [[5], [7], [9]])


@given(matrices)
def test_layouts_agree_and_keepdims_broadcasts_back(Z):
    np.testing.assert_allclose(batch_sum(Z), batch_sum(Z.T, layout="columns"))
    np.testing.assert_allclose(batch_mean(Z), batch_mean(Z.T, layout="columns"))
    centred = Z - batch_mean(Z, keepdims=True)
    np.testing.assert_allclose(batch_mean(centred), 0.0, atol=1e-9)


@given(matrices)
def test_batch_add_adds_the_vector_to_every_sample(Z):
    v = np.arange(Z.shape[1], dtype=np.float64)
    out = batch_add(Z, v)
    np.testing.assert_allclose(out - Z, np.broadcast_to(v, Z.shape))
    np.testing.assert_allclose(batch_add(Z.T, v, layout="columns"), out.T)


def test_batch_add_refuses_what_numpy_would_broadcast_wrongly():
    Z = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"bias has shape \(3, 1\) but there are 3 features"):
        batch_add(Z, np.zeros((3, 1)), name="bias")  # numpy would add it to every *column*
    with pytest.raises(ValueError, match=r"v has shape \(2,\) but there are 3 features: expected one value per feature"):
        batch_add(Z, np.zeros(2))


def test_batch_mean_of_empty_batch():
    with pytest.raises(ValueError, match="empty batch has no mean"):
        batch_mean(np.zeros((0, 3)))


def test_one_value_per_sample_sums_to_a_scalar():
    losses = np.array([1.0, 2.0, 4.5])
    assert batch_sum(losses) == 7.5
    assert batch_mean(losses) == 2.5
    with pytest.raises(ValueError, match="Z must be 2-D"):
        batch_sum(losses, layout="columns")
