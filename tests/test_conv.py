"""Lesson 07's convolution (im2col) and global average pooling: adjointness, torch oracles, numerical gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit.conv import (col2im, conv2d_backward, conv2d_forward, global_average_pool_backward,
                           global_average_pool_forward, im2col, output_size)
from batchkit.gradcheck import check_gradients

# (stride, padding, (kh, kw), C_in, C_out, H, W): square and non-square kernels, strides that do and do not tile
# the padded input exactly, a 1×1 kernel, and the lesson's own 3×3 with padding 1.
GEOMETRIES = [
    (1, 0, (3, 3), 1, 2, 5, 5),
    (1, 1, (3, 3), 3, 4, 8, 8),
    (2, 1, (3, 3), 2, 3, 7, 6),
    (3, 2, (2, 3), 2, 2, 9, 7),
    (2, 0, (1, 1), 3, 2, 5, 4),
    (1, 2, (5, 5), 2, 3, 3, 4),
]


def random_conv(geometry, seed=0):
    stride, padding, (kh, kw), c_in, c_out, height, width = geometry
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((2, c_in, height, width)), rng.standard_normal((c_out, c_in, kh, kw)),
            rng.standard_normal(c_out), stride, padding)


def test_im2col_small_example():
    x = np.arange(9.0).reshape(1, 1, 3, 3)  # 0 1 2 / 3 4 5 / 6 7 8
    expected = [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]  # the four 2×2 patches, row by row
    np.testing.assert_array_equal(im2col(x, 2), expected)
    np.testing.assert_array_equal(col2im(np.ones((4, 4)), x.shape, 2), [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])
    assert im2col(x, 3, padding=1).shape == (9, 9)  # 3×3 output pixels, 3×3 patch each


@st.composite
def geometries(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding, stride = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    height = draw(st.integers(max(1, kh - 2 * padding), 7))  # the kernel must fit in the padded image
    width = draw(st.integers(max(1, kw - 2 * padding), 7))
    return draw(st.integers(1, 2)), draw(st.integers(1, 3)), height, width, (kh, kw), stride, padding


@settings(max_examples=60, deadline=None)
@given(geometries(), st.integers(0, 2**32 - 1))
def test_col2im_is_the_adjoint_of_im2col(geometry, seed):
    n, channels, height, width, kernel, stride, padding = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, channels, height, width))
    cols = im2col(x, kernel, stride, padding)
    rows = n * output_size(height, kernel[0], stride, padding) * output_size(width, kernel[1], stride, padding)
    assert cols.shape == (rows, channels * kernel[0] * kernel[1])
    c = rng.standard_normal(cols.shape)
    back = col2im(c, x.shape, kernel, stride, padding)
    assert back.shape == x.shape
    left, right = np.sum(cols * c), np.sum(x * back)
    assert abs(left - right) <= 1e-12 * (1 + np.sum(np.abs(cols * c)))


@pytest.mark.parametrize("geometry", [GEOMETRIES[2], GEOMETRIES[3]])
def test_conv2d_passes_the_numerical_gradient_check(geometry):
    x, weight, bias, stride, padding = random_conv(geometry, seed=5)

    def forward(x, weight, bias):
        return conv2d_forward(x, weight, bias, stride, padding)[0]

    def backward(dout, x, weight, bias):
        dx, dweight, dbias = conv2d_backward(dout, conv2d_forward(x, weight, bias, stride, padding)[1])
        return {"x": dx, "weight": dweight, "bias": dbias}

    result = check_gradients(forward, backward, {"x": x, "weight": weight, "bias": bias})
    assert result.passed, str(result)
    pool = check_gradients(global_average_pool_forward,
                           lambda dout, x: {"x": global_average_pool_backward(dout, x.shape)}, {"x": x})
    assert pool.passed, str(pool)


X, W, B = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)


@pytest.mark.parametrize("name, call", [
    ("x must be 4-D", lambda: conv2d_forward(np.zeros((3, 5, 5)), W, B)),
    ("weight must be 4-D", lambda: conv2d_forward(X, np.zeros((4, 27)), B)),
    ("x has 2 channels", lambda: conv2d_forward(np.zeros((2, 2, 5, 5)), W, B)),
    ("bias has shape", lambda: conv2d_forward(X, W, np.zeros(3))),
    ("larger than the padded input", lambda: conv2d_forward(np.zeros((2, 3, 2, 2)), W, B)),
    ("stride must be a positive integer", lambda: conv2d_forward(X, W, B, stride=1.0)),
    ("stride must be a positive integer", lambda: conv2d_forward(X, W, B, stride=0)),
    ("padding must be a non-negative integer", lambda: conv2d_forward(X, W, B, padding=-1)),
    ("kernel_size", lambda: im2col(X, (3,))),
    ("kernel_size\\[1\\] must be a positive integer", lambda: im2col(X, (3, 0))),
    ("cols has shape", lambda: col2im(np.zeros((5, 27)), X.shape, 3)),
    ("input_shape must be", lambda: col2im(np.zeros((18, 27)), (3, 5, 5), 3)),
    ("dout has shape", lambda: conv2d_backward(np.zeros((2, 4, 5, 5)), conv2d_forward(X, W, B)[1])),
    ("cache must be the ConvCache", lambda: conv2d_backward(np.zeros((2, 4, 3, 3)), (X.shape,))),
    ("input_shape must be", lambda: global_average_pool_backward(np.zeros((2, 3)), (2, 4, 5, 5))),
])
def test_bad_inputs_name_the_argument(name, call):
    with pytest.raises((TypeError, ValueError), match=name):
        call()


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="torch is not installed: pip install torch --index-url "
        "https://download.pytorch.org/whl/cpu (the CPU-only build) to run the conv oracles")


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_im2col_and_col2im_match_torch_unfold_and_fold(torch, geometry):
    F = torch.nn.functional
    x, weight, _, stride, padding = random_conv(geometry)
    kernel = weight.shape[2:]
    unfolded = F.unfold(torch.tensor(x), kernel, padding=padding, stride=stride)  # (N, C·kh·kw, L)
    cols = im2col(x, kernel, stride, padding)
    np.testing.assert_array_equal(cols, unfolded.transpose(1, 2).reshape(cols.shape).numpy())
    c = np.random.default_rng(1).standard_normal(cols.shape)
    folded = F.fold(torch.tensor(c).reshape(x.shape[0], -1, cols.shape[1]).transpose(1, 2), x.shape[2:], kernel,
                    padding=padding, stride=stride)
    np.testing.assert_allclose(col2im(c, x.shape, kernel, stride, padding), folded.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv2d_forward_and_gradients_match_torch(torch, geometry):
    F = torch.nn.functional
    x, weight, bias, stride, padding = random_conv(geometry)
    out, cache = conv2d_forward(x, weight, bias, stride, padding)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    expected = F.conv2d(tx, tw, tb, stride=stride, padding=padding)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    expected.backward(torch.tensor(dout))
    dx, dweight, dbias = conv2d_backward(dout, cache)
    for ours, theirs in ((dx, tx), (dweight, tw), (dbias, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-10)
    no_dx, dweight_again, _ = conv2d_backward(dout, cache, input_gradient=False)
    assert no_dx is None
    np.testing.assert_array_equal(dweight_again, dweight)


def test_global_average_pool_matches_torch(torch):
    F = torch.nn.functional
    x = np.random.default_rng(3).standard_normal((3, 4, 5, 6))
    tx = torch.tensor(x, requires_grad=True)
    expected = F.adaptive_avg_pool2d(tx, 1).flatten(1)
    np.testing.assert_allclose(global_average_pool_forward(x), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    dout = np.random.default_rng(4).standard_normal((3, 4))
    expected.backward(torch.tensor(dout))
    np.testing.assert_allclose(global_average_pool_backward(dout, x.shape), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
