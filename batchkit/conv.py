"""A 2-D convolution on a whole batch, as a linear layer applied to every patch (im2col), and global average pooling.

PyTorch's layout and conventions (``torch.nn.functional.conv2d``, which is a cross-correlation: no kernel flip)::

    x       (N, C_in, H, W)          a batch of N images with C_in channels
    weight  (C_out, C_in, kh, kw)    one kh×kw filter per (output channel, input channel)
    bias    (C_out,)                 one number per output channel, added at every pixel
    out     (N, C_out, H_out, W_out) with H_out = (H + 2·padding - kh) // stride + 1, and likewise W_out

**im2col** copies the (C_in, kh, kw) patch under every output pixel of every image into one row of a matrix
``cols``, shape (N·H_out·W_out, C_in·kh·kw). The convolution is then lesson 02's linear layer on those rows,
``cols @ weight.reshape(C_out, -1).T + bias``: every pixel of every image is one "sample" of the linear layer,
and the same filter weights are used at every pixel. Backward is the linear layer's backward, then **col2im**
(the adjoint of im2col) adds every patch's gradient back onto the pixels it was copied from; patches overlap,
so a pixel receives the sum of the gradients of every patch that contains it.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import check_array, check_bool, check_nonnegative_int, check_positive_int
from .linear import linear_backward, linear_forward


class ConvCache(NamedTuple):
    """What :func:`conv2d_backward` needs from the forward pass."""

    input_shape: tuple[int, int, int, int]  # (N, C_in, H, W)
    cols: np.ndarray  # (N·H_out·W_out, C_in·kh·kw), the im2col matrix of x
    weight: np.ndarray  # (C_out, C_in, kh, kw)
    stride: int
    padding: int


def _kernel_pair(kernel_size: object) -> tuple[int, int]:
    """``3`` or ``(3, 3)`` -> ``(3, 3)``, checked."""
    if isinstance(kernel_size, numbers.Integral) and not isinstance(kernel_size, bool):
        kernel_size = (kernel_size, kernel_size)
    if not isinstance(kernel_size, (tuple, list)) or len(kernel_size) != 2:
        raise TypeError(f"kernel_size must be a positive integer or a pair (kh, kw) of them, got {kernel_size!r}")
    return (check_positive_int("kernel_size[0]", kernel_size[0]), check_positive_int("kernel_size[1]", kernel_size[1]))


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length along one axis: ``(size + 2·padding - kernel) // stride + 1``."""
    return (size + 2 * padding - kernel) // stride + 1


def _check_geometry(x_shape: tuple[int, ...], kernel: tuple[int, int], stride: object,
                    padding: object) -> tuple[int, int]:
    """Check stride and padding, and that the kernel fits in the padded input; return them as ints."""
    stride = check_positive_int("stride", stride)
    padding = check_nonnegative_int("padding", padding)
    height, width = x_shape[2] + 2 * padding, x_shape[3] + 2 * padding
    if kernel[0] > height or kernel[1] > width:
        raise ValueError(f"the {kernel[0]}×{kernel[1]} kernel is larger than the padded input, {height}×{width} "
                         f"(x is {x_shape[2]}×{x_shape[3]} with padding={padding}): use a smaller kernel or more "
                         f"padding")
    return stride, padding


def im2col(x: np.ndarray, kernel_size: int | tuple[int, int], stride: int = 1, padding: int = 0) -> np.ndarray:
    """Every patch of every image as one row.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
    kernel_size : int or (kh, kw)
    stride : int
        Step between patches, >= 1.
    padding : int
        Zeros added on every side of every image, >= 0.

    Returns
    -------
    cols : numpy.ndarray, shape (N·H_out·W_out, C·kh·kw), with H_out = (H + 2·padding - kh) // stride + 1
        Row ``(n·H_out + oh)·W_out + ow`` is the patch of image n whose top-left corner is at (oh·stride,
        ow·stride) of the padded image, flattened in the order (c, i, j): the order of
        ``weight.reshape(C_out, -1)``'s columns.
    """
    x = check_array("x", x, ndim=(4,))
    kh, kw = _kernel_pair(kernel_size)
    stride, padding = _check_geometry(x.shape, (kh, kw), stride, padding)
    n, channels = x.shape[:2]
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    # A view, no copy: windows[n, c, r, s] is the kh×kw patch whose top-left corner is padded pixel (r, s).
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    h_out, w_out = windows.shape[2:4]  # = output_size(...) of each axis
    # (N, C, H_out, W_out, kh, kw) -> (N, H_out, W_out, C, kh, kw): one patch per row; reshape makes the copy.
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h_out * w_out, channels * kh * kw)


def col2im(cols: np.ndarray, input_shape: tuple[int, int, int, int], kernel_size: int | tuple[int, int],
           stride: int = 1, padding: int = 0) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every row back onto the pixels its patch was copied from.

    Where patches overlap, their values are summed, so ``<im2col(x), cols> == <x, col2im(cols)>`` for all x, cols:
    applied to a gradient with respect to the patches, this gives the gradient with respect to x.

    Parameters
    ----------
    cols : numpy.ndarray, shape (N·H_out·W_out, C·kh·kw)
    input_shape : (N, C, H, W)
        Shape of the x that :func:`im2col` was applied to.
    kernel_size, stride, padding : as in :func:`im2col`

    Returns
    -------
    numpy.ndarray, shape (N, C, H, W)
        The padding's share is dropped: the padded zeros are not inputs.
    """
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, C, H, W), got {input_shape!r}")
    n, channels, height, width = (check_nonnegative_int("input_shape[i]", size) for size in input_shape)
    kh, kw = _kernel_pair(kernel_size)
    stride, padding = _check_geometry((n, channels, height, width), (kh, kw), stride, padding)
    h_out, w_out = output_size(height, kh, stride, padding), output_size(width, kw, stride, padding)
    cols = check_array("cols", cols, ndim=(2,))
    expected = (n * h_out * w_out, channels * kh * kw)
    if cols.shape != expected:
        raise ValueError(f"cols has shape {cols.shape}: for input_shape {tuple(input_shape)} and a {kh}×{kw} kernel "
                         f"expected (N·H_out·W_out, C·kh·kw) = {expected}")
    patches = cols.reshape(n, h_out, w_out, channels, kh, kw)
    padded = np.zeros((n, channels, height + 2 * padding, width + 2 * padding), dtype=cols.dtype)
    # A loop over the kh·kw kernel offsets (9 for a 3×3 kernel), not over samples or pixels: for one offset (i, j)
    # the output pixels touch distinct input pixels, so a plain += on a strided slice is exact. Overlaps come only
    # from different offsets, which the loop adds one after the other. (np.add.at could do it in one call, but
    # it is unbuffered and several times slower.)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += (
                patches[:, :, :, :, i, j].transpose(0, 3, 1, 2))
    return padded[:, :, padding:padding + height, padding:padding + width]


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1,
                   padding: int = 0) -> tuple[np.ndarray, ConvCache]:
    """A convolution with zero padding, as ``torch.nn.functional.conv2d(x, weight, bias, stride, padding)``.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C_in, H, W)
    weight : numpy.ndarray, shape (C_out, C_in, kh, kw)
    bias : numpy.ndarray, shape (C_out,)
    stride : int, >= 1
    padding : int, >= 0

    Returns
    -------
    out : numpy.ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H + 2·padding - kh) // stride + 1``, ``W_out = (W + 2·padding - kw) // stride + 1``.
    cache : ConvCache
        For :func:`conv2d_backward`.
    """
    x = check_array("x", x, ndim=(4,))
    weight = check_array("weight", weight, ndim=(4,))
    bias = check_array("bias", bias, ndim=(1,))
    out_channels, in_channels, kh, kw = weight.shape
    if x.shape[1] != in_channels:
        raise ValueError(f"x has {x.shape[1]} channels (x is (N, C_in, H, W) = {x.shape}) but weight has shape "
                         f"{weight.shape}, i.e. {in_channels} input channels: expected weight of shape "
                         f"(C_out, {x.shape[1]}, kh, kw)")
    if bias.shape != (out_channels,):
        raise ValueError(f"bias has shape {bias.shape} but weight has {out_channels} output channels: expected one "
                         f"value per output channel, shape ({out_channels},)")
    stride, padding = _check_geometry(x.shape, (kh, kw), stride, padding)
    cols = im2col(x, (kh, kw), stride, padding)
    rows = linear_forward(cols, weight.reshape(out_channels, -1), bias)  # (N·H_out·W_out, C_out)
    h_out, w_out = output_size(x.shape[2], kh, stride, padding), output_size(x.shape[3], kw, stride, padding)
    out = rows.reshape(x.shape[0], h_out, w_out, out_channels).transpose(0, 3, 1, 2)  # channels first, as PyTorch
    return out, ConvCache(x.shape, cols, weight, stride, padding)


def conv2d_backward(dout: np.ndarray, cache: ConvCache, *,
                    input_gradient: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d_forward` given the upstream gradient ``dout``.

    Parameters
    ----------
    dout : numpy.ndarray, shape (N, C_out, H_out, W_out)
        Gradient of the loss with respect to ``out``.
    cache : ConvCache
        From :func:`conv2d_forward`.
    input_gradient : bool
        Compute ``dx``. A network's first layer passes False (nothing uses the gradient with respect to the data),
        which skips a matrix product and :func:`col2im`.

    Returns
    -------
    dx : numpy.ndarray, shape (N, C_in, H, W), or None if ``input_gradient`` is False
    dweight : numpy.ndarray, shape (C_out, C_in, kh, kw)
        Summed over every pixel of every image: the same filter was used at all of them.
    dbias : numpy.ndarray, shape (C_out,)
    """
    if not isinstance(cache, ConvCache):
        raise TypeError(f"cache must be the ConvCache returned by conv2d_forward, got {type(cache).__name__}")
    input_gradient = check_bool("input_gradient", input_gradient)
    dout = check_array("dout", dout, ndim=(4,))
    n, _, height, width = cache.input_shape
    out_channels, _, kh, kw = cache.weight.shape
    expected = (n, out_channels, output_size(height, kh, cache.stride, cache.padding),
                output_size(width, kw, cache.stride, cache.padding))
    if dout.shape != expected:
        raise ValueError(f"dout has shape {dout.shape}: expected the shape of the forward output, {expected}")
    drows = dout.transpose(0, 2, 3, 1).reshape(-1, out_channels)  # one row per output pixel, as in the forward
    weight_matrix = cache.weight.reshape(out_channels, -1)
    dcols, dweight, dbias = linear_backward(drows, cache.cols, weight_matrix, input_gradient=input_gradient)
    dx = col2im(dcols, cache.input_shape, (kh, kw), cache.stride, cache.padding) if input_gradient else None
    return dx, dweight.reshape(cache.weight.shape), dbias


def global_average_pool_forward(x: np.ndarray) -> np.ndarray:
    """The mean of every channel over its pixels.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)

    Returns
    -------
    numpy.ndarray, shape (N, C)
    """
    x = check_array("x", x, ndim=(4,))
    return x.mean(axis=(2, 3))


def global_average_pool_backward(dout: np.ndarray, input_shape: tuple[int, int, int, int]) -> np.ndarray:
    """Gradient of :func:`global_average_pool_forward`: each pixel gets ``1 / (H·W)`` of its channel's gradient.

    Parameters
    ----------
    dout : numpy.ndarray, shape (N, C)
    input_shape : (N, C, H, W)
        Shape of the forward pass's input.

    Returns
    -------
    numpy.ndarray, shape (N, C, H, W)
    """
    dout = check_array("dout", dout, ndim=(2,))
    if len(input_shape) != 4 or tuple(input_shape[:2]) != dout.shape:
        raise ValueError(f"input_shape must be (N, C, H, W) with (N, C) = dout's shape {dout.shape}, "
                         f"got {input_shape!r}")
    height, width = input_shape[2], input_shape[3]
    return np.broadcast_to((dout / (height * width))[:, :, None, None], tuple(input_shape)).copy()
