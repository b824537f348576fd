"""Lesson 02: the linear layer on a batch, both layouts, its backward pass, and shape errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.gradcheck import check_gradients
from batchkit.linear import (
    linear_backward,
    linear_forward,
    linear_forward_columns,
    linear_forward_per_sample_loop,
)

finite = st.floats(-100, 100, allow_nan=False, width=64)


@st.composite
def layers(draw):
    batch, n_in, n_out = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    X = draw(arrays(np.float64, (batch, n_in), elements=finite))
    W = draw(arrays(np.float64, (n_out, n_in), elements=finite))
    b = draw(arrays(np.float64, (n_out,), elements=finite))
    return X, W, b


def test_small_integer_example_by_hand():
    X = np.array([[1, 2], [3, 4], [0, -1]])
    W = np.array([[1, 0], [2, -1], [0, 1]])
    b = np.array([1, 0, -2])
    expected = np.array([[1 + 1, 2 * 1 - 2 + 0, 2 - 2], [3 + 1, 6 - 4, 4 - 2], [0 + 1, 0 + 1, -1 - 2]])
    np.testing.assert_array_equal(linear_forward(X, W, b), expected)


@given(layers())
def test_row_and_column_layouts_agree(layer):
    X, W, b = layer
    np.testing.assert_allclose(linear_forward_columns(X.T, W, b), linear_forward(X, W, b).T, rtol=1e-12, atol=1e-9)


@given(layers())
def test_batched_equals_one_sample_at_a_time(layer):
    X, W, b = layer
    np.testing.assert_allclose(linear_forward(X, W, b), linear_forward_per_sample_loop(X, W, b), rtol=1e-12, atol=1e-9)


@given(layers())
def test_bias_gradient_is_the_batch_sum_of_dZ(layer):
    X, W, b = layer
    dZ = np.ones((X.shape[0], W.shape[0]))
    _, _, db = linear_backward(dZ, X, W)
    np.testing.assert_array_equal(db, np.full(W.shape[0], X.shape[0]))


@pytest.mark.parametrize("shape", [(4, 3, 2), (1, 5, 1), (7, 1, 3)])
def test_backward_passes_the_gradient_check(shape):
    batch, n_in, n_out = shape
    rng = np.random.default_rng(0)
    inputs = {"X": rng.standard_normal((batch, n_in)), "W": rng.standard_normal((n_out, n_in)),
              "b": rng.standard_normal(n_out)}

    def backward(dZ, X, W, b):
        dX, dW, db = linear_backward(dZ, X, W)
        return {"X": dX, "W": dW, "b": db}

    result = check_gradients(linear_forward, backward, inputs, seed=1)
    assert result.passed, str(result)


def test_bias_of_wrong_length_explains_itself():
    with pytest.raises(ValueError, match=r"bias has shape \(3,\) but the layer has 4 outputs: expected one value per output feature"):
        linear_forward(np.ones((2, 5)), np.ones((4, 5)), np.ones(3))


def test_bias_as_a_column_is_rejected_not_broadcast():
    with pytest.raises(ValueError, match=r"bias must be 1-D, got an array of shape \(4, 1\)"):
        linear_forward(np.ones((4, 5)), np.ones((4, 5)), np.ones((4, 1)))


def test_input_width_mismatch_names_the_expected_W():
    with pytest.raises(ValueError, match=r"X has 3 features per sample \(columns of X\) but W has shape \(2, 4\).*expected W of shape \(outputs, 3\)"):
        linear_forward(np.ones((5, 3)), np.ones((2, 4)), np.ones(2))
    with pytest.raises(ValueError, match=r"layout='columns'"):
        linear_forward_columns(np.ones((5, 3)), np.ones((2, 4)), np.ones(2))


def test_backward_rejects_dZ_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"dZ has shape \(2, 3\): expected \(batch, outputs\) = \(3, 2\)"):
        linear_backward(np.ones((2, 3)), np.ones((3, 4)), np.ones((2, 4)))


def test_first_layer_can_skip_the_input_gradient():
    rng = np.random.default_rng(2)
    dZ, X, W = rng.standard_normal((5, 2)), rng.standard_normal((5, 3)), rng.standard_normal((2, 3))
    full = linear_backward(dZ, X, W)
    dX, dW, db = linear_backward(dZ, X, W, input_gradient=False)
    assert dX is None
    np.testing.assert_array_equal(dW, full[1])
    np.testing.assert_array_equal(db, full[2])
    with pytest.raises(TypeError, match="input_gradient must be True or False"):
        linear_backward(dZ, X, W, input_gradient="no")


@settings(deadline=None, max_examples=30)  # the first example imports torch
@given(n=st.integers(1, 6), m=st.integers(1, 4), seed=st.integers(0, 1000))
def test_half_squared_error_matches_torch_mse_loss(n, m, seed):
    torch = pytest.importorskip("torch")
    from batchkit.losses import half_squared_error

    rng = np.random.default_rng(seed)
    predictions, targets = rng.standard_normal((n, m)), rng.standard_normal((n, m))
    tensor = torch.tensor(predictions, requires_grad=True)
    # torch's MSELoss(reduction="sum") is Σ (p - t)²: half of it per sample is this loss
    expected = torch.nn.functional.mse_loss(tensor, torch.tensor(targets), reduction="sum") / (2 * n)
    expected.backward()
    loss, gradient = half_squared_error(predictions, targets)
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(gradient, tensor.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_half_squared_error_names_a_shape_mismatch():
    from batchkit.losses import half_squared_error

    with pytest.raises(ValueError, match="targets has"):
        half_squared_error(np.zeros((3, 2)), np.zeros((3, 1)))
