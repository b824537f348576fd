"""Lesson 07's core: normalize_forward/normalize_backward over any axes, mean_and_variance, statistic_labels.

The lesson's main claim is that batch norm is this core over axis 0: it must equal lesson 05's batchnorm_forward and
batchnorm_backward (with dx̂ = γ · dout) to rounding.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.batchnorm import batchnorm_backward, batchnorm_forward
from batchkit.gradcheck import check_gradients
from batchkit.normalization import (EPS, check_axes, check_groups, mean_and_variance, normalize_backward,
                                    normalize_forward, statistic_labels)


def assert_close(actual, expected, tol, scale=None):
    """max|actual - expected| <= tol · max(1, scale): relative to the array's scale, not entry by entry (a gradient
    that sums to 0 has entries near 0, where a per-entry relative error means nothing). ``scale`` defaults to
    max|expected|; pass the size of the terms that were summed when they cancel."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)) if scale is None else scale)
    error = float(np.max(np.abs(actual - expected), initial=0.0))
    assert error <= tol * scale, f"max difference {error:.3g} > {tol:g} · {scale:.3g}"


# Batches whose every column has a spread well above √ε, as in lesson 05's tests.
batches = arrays(np.float64, st.tuples(st.integers(2, 24), st.integers(1, 6)),
                 elements=st.floats(-100, 100)).filter(lambda x: np.all(x.std(axis=0) > 0.1))


@settings(max_examples=60, deadline=None)
@given(batches, st.data())
def test_the_core_over_axis_0_is_lesson_05s_batch_norm(x, data):
    d = x.shape[1]
    gamma = data.draw(arrays(np.float64, (d,), elements=st.floats(-5, 5)), label="gamma")
    beta = data.draw(arrays(np.float64, (d,), elements=st.floats(-5, 5)), label="beta")
    dout = data.draw(arrays(np.float64, x.shape, elements=st.floats(-10, 10)), label="dout")
    out, bn_cache, bn_mean, bn_var = batchnorm_forward(x, gamma, beta)
    x_hat, cache = normalize_forward(x, (0,))
    assert_close(gamma * x_hat + beta, out, 1e-12)
    assert_close(cache.mean.ravel(), bn_mean, 1e-12)
    assert_close(cache.var.ravel(), bn_var, 1e-12)
    dx_bn, _, _ = batchnorm_backward(dout, bn_cache)
    # Relative to the terms of dx = (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)) / σ: dx itself is 0 when dout is constant.
    terms = np.max(np.abs(gamma * dout * cache.inv_std)) * np.max(np.abs(x_hat), initial=1.0)
    assert_close(normalize_backward(gamma * dout, cache), dx_bn, 1e-12, scale=terms)


def test_the_comparison_with_lesson_05_can_fail():
    """Reducing over the wrong axis, or passing dout instead of γ·dout, is caught by the same tolerance."""
    rng = np.random.default_rng(0)
    x, gamma, dout = rng.standard_normal((6, 3)), rng.uniform(0.5, 2, 3), rng.standard_normal((6, 3))
    out, bn_cache, _, _ = batchnorm_forward(x, gamma, np.zeros(3))
    with pytest.raises(AssertionError):
        assert_close(gamma * normalize_forward(x, (1,))[0], out, 1e-12)
    with pytest.raises(AssertionError):
        assert_close(normalize_backward(dout, normalize_forward(x, (0,))[1]), batchnorm_backward(dout, bn_cache)[0],
                     1e-12)


# x of 2 to 4 dimensions with sizes 1 to 5, and a non-empty set of its axes.
@st.composite
def arrays_and_axes(draw):
    shape = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4).map(tuple))
    x = draw(arrays(np.float64, shape, elements=st.floats(-50, 50)))
    axes = draw(st.lists(st.sampled_from(range(x.ndim)), min_size=1, max_size=x.ndim, unique=True).map(tuple))
    return x, axes


@settings(max_examples=60, deadline=None)
@given(arrays_and_axes())
def test_normalized_values_have_mean_0_and_the_predicted_variance_over_the_axes(x_and_axes):
    x, axes = x_and_axes
    x_hat, cache = normalize_forward(x, axes)
    np.testing.assert_allclose(cache.mean, x.mean(axis=axes, keepdims=True), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cache.var, x.var(axis=axes, keepdims=True), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(x_hat.mean(axis=axes), 0.0, atol=1e-9)
    variance = x.var(axis=axes)
    np.testing.assert_allclose(x_hat.var(axis=axes), variance / (variance + EPS), rtol=1e-8, atol=1e-9)
    assert cache.axes == tuple(sorted(axes))


@settings(max_examples=60, deadline=None)
@given(arrays_and_axes(), st.integers(0, 2**32 - 1))
def test_dx_sums_to_0_over_the_reduced_axes(x_and_axes, seed):
    """Shifting every value that shares a mean by the same amount changes no x̂: the gradient has no such part."""
    x, axes = x_and_axes
    x_hat, cache = normalize_forward(x, axes)
    dx = normalize_backward(np.random.default_rng(seed).standard_normal(x.shape), cache)
    scale = np.max(np.abs(dx), initial=1.0)
    np.testing.assert_allclose(dx.sum(axis=axes), 0.0, atol=1e-10 * scale * x.size)


@pytest.mark.parametrize("shape, axes", [((5, 3), (0,)), ((3, 5), (1,)), ((3, 2, 4), (0, 2)), ((2, 3, 2, 3), (1, 2, 3)),
                                         ((3, 2, 2, 3), (0, 2, 3)), ((2, 3, 4), (-1,)), ((2, 2, 3, 1, 2), (2, 3, 4))])
def test_normalize_backward_passes_the_gradient_check(shape, axes):
    x = 2.0 + 3.0 * np.random.default_rng(1).standard_normal(shape)
    result = check_gradients(lambda x: normalize_forward(x, axes)[0],
                             lambda dout, x: {"x": normalize_backward(dout, normalize_forward(x, axes)[1])},
                             {"x": x}, seed=2)
    assert result.passed, str(result)


def test_integer_input_is_normalized_as_float64():
    x = np.arange(12).reshape(3, 4)
    x_hat, cache = normalize_forward(x, (1,))
    assert x_hat.dtype == np.float64
    np.testing.assert_allclose(cache.mean.ravel(), [1.5, 5.5, 9.5])
    mean, var = mean_and_variance(x, (1,))  # integer data has fractional statistics
    assert mean.dtype == var.dtype == np.float64
    np.testing.assert_allclose(var.ravel(), 1.25)


def test_mean_and_variance_keep_the_reduced_axes_and_the_dtype():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5)).astype(np.float32)
    mean, var = mean_and_variance(x, (0, 2, 3))
    assert mean.shape == var.shape == (1, 3, 1, 1)
    assert mean.dtype == var.dtype == np.float32


@settings(max_examples=25, deadline=None)
@given(offset=st.floats(1e3, 1e5), spread=st.floats(0.5, 10), seed=st.integers(0, 2**32 - 1),
       axes=st.sampled_from([(0,), (1, 2), (0, 2)]))
def test_float32_with_a_large_offset_keeps_accurate_statistics(offset, spread, seed, axes):
    """x = offset + noise in float32: the float64 accumulators keep x̂ within a few float32 spacings of the
    float64 result. The spacing of float32 near the offset limits how well the rounded mean can be stored."""
    noise = spread * np.random.default_rng(seed).standard_normal((512, 4, 2))
    x = (offset + noise).astype(np.float32)
    exact = x.astype(np.float64)
    x_hat, cache = normalize_forward(x, axes)
    x_hat64, cache64 = normalize_forward(exact, axes)
    assert x_hat.dtype == np.float32
    np.testing.assert_allclose(cache.var, cache64.var, rtol=1e-5)
    std = np.sqrt(cache64.var.min())
    assert np.max(np.abs(x_hat - x_hat64)) <= 2 * np.spacing(np.float32(offset)) / std + 1e-5


def test_a_one_pass_float32_variance_fails_where_mean_and_variance_does_not():
    """Why the accumulators matter (and that the test above could fail): E[x²] - E[x]² in float32 is ruined."""
    x = (1e4 + np.random.default_rng(4).standard_normal((4096, 8))).astype(np.float32)
    exact = x.astype(np.float64).var(axis=0)
    one_pass = (x * x).mean(axis=0, dtype=np.float32) - np.square(x.mean(axis=0, dtype=np.float32))
    assert np.max(np.abs(one_pass - exact)) > 0.5  # a variance of 1 that is off by more than half
    _, var = mean_and_variance(x, (0,))
    np.testing.assert_allclose(var.ravel(), exact, rtol=1e-5)


# statistic_labels ----------------------------------------------------------------------------------------------------

shapes = st.tuples(st.integers(1, 5), st.integers(1, 8), st.integers(1, 6))


@given(shapes, st.data())
def test_statistic_labels_count_one_label_per_statistic(shape, data):
    n, c, hw = shape
    groups = data.draw(st.sampled_from([g for g in range(1, c + 1) if c % g == 0]), label="groups")
    expected = {"batch": c, "layer": n, "instance": n * c, "group": n * groups}
    for method, count in expected.items():
        labels = statistic_labels(method, shape, groups)
        assert labels.shape == shape
        assert np.issubdtype(labels.dtype, np.integer)
        assert np.array_equal(np.unique(labels), np.arange(count)), method
        # Every statistic covers the same number of values: N·HW, C·HW, HW, (C/G)·HW.
        assert np.all(np.bincount(labels.ravel()) == labels.size // count), method


def test_statistic_labels_follow_the_cube_picture():
    labels = {method: statistic_labels(method, (2, 4, 3), groups=2) for method in ("batch", "layer", "instance", "group")}
    np.testing.assert_array_equal(labels["batch"][:, :, 0], [[0, 1, 2, 3], [0, 1, 2, 3]])
    np.testing.assert_array_equal(labels["layer"][:, :, 0], [[0, 0, 0, 0], [1, 1, 1, 1]])
    np.testing.assert_array_equal(labels["instance"][:, :, 0], [[0, 1, 2, 3], [4, 5, 6, 7]])
    np.testing.assert_array_equal(labels["group"][:, :, 0], [[0, 0, 1, 1], [2, 2, 3, 3]])
    for method, array in labels.items():  # every position of a (sample, channel) shares its statistic
        assert np.all(array == array[:, :, :1]), method
    np.testing.assert_array_equal(statistic_labels("group", (2, 4, 3), groups=4), labels["instance"])
    np.testing.assert_array_equal(statistic_labels("group", (2, 4, 3), groups=1), labels["layer"])
    labels["batch"][0, 0, 0] = 99  # a writable copy, not a broadcast view
    assert statistic_labels("batch", (2, 4, 3))[0, 0, 0] == 0


# Bad inputs ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axes, error, match", [
    ((3,), ValueError, r"axes=\(3,\) names an axis that x \(ndim 3\) does not have"),
    ((0, -4), ValueError, "does not have"),
    (7, ValueError, "does not have"),
    ((), ValueError, "one or more distinct axes"),
    ((1, -2), ValueError, "one or more distinct axes"),
    ((1.0,), TypeError, "axes must be a tuple of ints"),
    ((True,), TypeError, "axes must be a tuple of ints"),
    ("ab", TypeError, "axes must be a tuple of ints"),
    (None, TypeError, "axes must be a tuple of ints"),
])
def test_bad_axes_are_rejected_by_name(axes, error, match):
    with pytest.raises(error, match=match):
        normalize_forward(np.ones((2, 3, 4)), axes)


def test_check_axes_accepts_negative_axes_and_returns_them_sorted():
    assert check_axes((-1, 0), 3) == (0, 2)
    assert check_axes(np.int64(1), 3) == (1,)
    assert check_axes([2, 1], 4) == (1, 2)


@pytest.mark.parametrize("eps", [0.0, -1e-5, float("nan"), float("inf"), "1e-5", True])
def test_bad_eps_is_rejected(eps):
    with pytest.raises((TypeError, ValueError), match="eps"):
        normalize_forward(np.ones((3, 2)), (0,), eps)


def test_bad_x_and_dx_hat_are_rejected():
    with pytest.raises(ValueError, match="x must be"):
        normalize_forward(np.float64(3.0), (0,))
    _, cache = normalize_forward(np.ones((3, 4)), (0,))
    with pytest.raises(ValueError, match=r"dx_hat has shape \(4, 3\): expected \(3, 4\)"):
        normalize_backward(np.ones((4, 3)), cache)
    with pytest.raises(ValueError, match="dx_hat must be 2-D"):
        normalize_backward(np.ones(12), cache)


@pytest.mark.parametrize("method, shape, groups, error, match", [
    ("weight", (2, 3, 4), 1, ValueError, "method must be one of"),
    ("batch", (2, 3), 1, ValueError, r"shape must be \(N, C, HW\)"),
    ("batch", (2, 0, 4), 1, ValueError, r"shape\[1\]"),
    ("layer", (2, 3, 4.0), 1, TypeError, r"shape\[2\]"),
    ("group", (2, 6, 4), 4, ValueError, "num_groups=4 does not divide num_channels=6"),
    ("group", (2, 6, 4), 0, ValueError, "num_groups"),
    ("group", (2, 6, 4), 2.0, TypeError, "num_groups"),
])
def test_bad_statistic_labels_arguments_are_rejected(method, shape, groups, error, match):
    with pytest.raises(error, match=match):
        statistic_labels(method, shape, groups)


def test_check_groups_suggests_a_divisor():
    assert check_groups(3, 6) == 3
    with pytest.raises(ValueError, match="try a divisor of 6"):
        check_groups(4, 6)
    with pytest.raises(TypeError, match="num_groups"):
        check_groups(True, 6)
