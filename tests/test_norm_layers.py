"""Lesson 07's layers: BatchNorm2d, LayerNorm and GroupNorm against torch in float64, gradient checks, properties.

Properties from the issue: GroupNorm with G = 1 is LayerNorm over (C, H, W), G = C is InstanceNorm, only batch norm's
output for one sample depends on the other samples, and statistic_labels says which values share a statistic.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.gradcheck import check_gradients
from batchkit.normalization import EPS, normalize_forward, statistic_labels
from batchkit.norm_layers import BatchNorm2d, GroupNorm, LayerNorm

TORCH_REASON = ("torch is not installed: pip install torch --index-url https://download.pytorch.org/whl/cpu "
                "(the CPU-only build) to run the normalization-layer oracle")


def import_torch():
    """torch for the oracle tests only: without it they skip and the numpy-only tests still run."""
    return pytest.importorskip("torch", reason=TORCH_REASON)


def assert_close(actual, expected, tol=1e-10):
    """max|actual - expected| <= tol · max(1, max|expected|), the whole array's scale (see test_normalization)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    error = float(np.max(np.abs(actual - expected), initial=0.0))
    assert error <= tol * scale, f"max difference {error:.3g} > {tol:g} · {scale:.3g}"


def random_parameters(layer, rng):
    """Give the layer's γ and β random values (not the 1 and 0 they start at), so the oracle sees them used."""
    if layer.gamma is not None:
        layer.gamma = rng.uniform(0.5, 2.0, layer.gamma.shape)
        layer.beta = rng.standard_normal(layer.beta.shape)


def torch_copy(layer, module):
    """Give the torch module our layer's γ and β, in float64."""
    torch = import_torch()
    module.double()
    if layer.gamma is not None:
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(layer.gamma))
            module.bias.copy_(torch.from_numpy(layer.beta))
    return module


def compare_step(layer, module, x, dout):
    """One forward and backward through both; compare the output and every gradient to 1e-10."""
    torch = import_torch()
    x_torch = torch.from_numpy(x).requires_grad_(True)
    out_torch = module(x_torch)
    assert_close(layer(x), out_torch.detach().numpy())
    out_torch.backward(torch.from_numpy(dout))
    assert_close(layer.backward(dout), x_torch.grad.numpy())
    if layer.gamma is not None:
        assert_close(layer.dgamma, module.weight.grad.numpy())
        assert_close(layer.dbeta, module.bias.grad.numpy())
    module.zero_grad()  # torch accumulates gradients; each of our steps is a fresh one


# Torch oracles ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 3, 5, 7), (2, 1, 3, 3), (1, 3, 2, 3), (8, 2, 1, 1), (3, 4, 1, 5)])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batchnorm2d_matches_torch_in_train_and_eval_mode(shape, momentum):
    torch = import_torch()
    rng = np.random.default_rng(sum(shape))
    layer = BatchNorm2d(shape[1], momentum=momentum)
    random_parameters(layer, rng)
    module = torch_copy(layer, torch.nn.BatchNorm2d(shape[1], momentum=momentum))
    for step in range(3):  # the running statistics after several steps, each batch with its own offset and spread
        x = rng.uniform(-3, 3) + rng.uniform(0.5, 4) * rng.standard_normal(shape)
        compare_step(layer, module, x, rng.standard_normal(shape))
        assert_close(layer.running_mean, module.running_mean.numpy())
        assert_close(layer.running_var, module.running_var.numpy())
    layer.eval(), module.eval()
    x = 1.0 + 2.0 * rng.standard_normal((1,) + shape[1:])  # eval mode: any batch size, the running statistics
    assert_close(layer(x), module(torch.from_numpy(x)).detach().numpy())
    assert_close(layer.running_mean, module.running_mean.numpy())  # eval leaves them alone


def test_batchnorm2d_rejects_exactly_the_batches_torch_rejects():
    """PyTorch raises in training only when a channel has one value (N·H·W = 1); a single image of several
    positions is a valid batch. The eval-mode forward takes any batch."""
    torch = import_torch()
    for shape in [(1, 3, 1, 1), (1, 3, 1, 2), (1, 3, 2, 1), (2, 3, 1, 1)]:
        x = np.random.default_rng(0).standard_normal(shape)
        torch_raises = False
        try:
            torch.nn.BatchNorm2d(3).double()(torch.from_numpy(x))
        except ValueError:
            torch_raises = True
        if torch_raises:
            with pytest.raises(ValueError, match=r"more than 1 value per channel.*N·H·W = 1"):
                BatchNorm2d(3)(x)
        else:
            assert BatchNorm2d(3)(x).shape == shape
        assert torch_raises == (shape[0] * shape[2] * shape[3] == 1)
        assert BatchNorm2d(3).eval()(x).shape == shape


@pytest.mark.parametrize("shape, normalized_shape", [
    ((1, 5), (5,)),  # one sample
    ((3, 4, 5), (5,)),  # a sequence: one statistic per (sample, position)
    ((3, 4, 5), (4, 5)),
    ((2, 3, 5, 7), (3, 5, 7)),  # images, odd H and W
    ((1, 3, 5, 7), (3, 5, 7)),
    ((2, 3, 4, 3), (4, 3)),
])
@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_matches_torch(shape, normalized_shape, affine):
    torch = import_torch()
    rng = np.random.default_rng(len(shape) + sum(normalized_shape))
    layer = LayerNorm(normalized_shape, elementwise_affine=affine)
    random_parameters(layer, rng)
    module = torch_copy(layer, torch.nn.LayerNorm(normalized_shape, elementwise_affine=affine))
    for _ in range(2):
        x = rng.uniform(-3, 3) + rng.uniform(0.5, 4) * rng.standard_normal(shape)
        compare_step(layer, module, x, rng.standard_normal(shape))
    layer.eval(), module.eval()  # the same computation in eval mode
    x = rng.standard_normal(shape)
    assert_close(layer(x), module(torch.from_numpy(x)).detach().numpy())


@pytest.mark.parametrize("shape", [(2, 6, 3, 5), (1, 6, 3, 3), (4, 6, 1, 2), (3, 6, 7)])
@pytest.mark.parametrize("groups", [1, 2, 3, 6])
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm_matches_torch(shape, groups, affine):
    torch = import_torch()
    rng = np.random.default_rng(groups + sum(shape))
    layer = GroupNorm(groups, shape[1], affine=affine)
    random_parameters(layer, rng)
    module = torch_copy(layer, torch.nn.GroupNorm(groups, shape[1], affine=affine))
    for _ in range(2):
        x = rng.uniform(-3, 3) + rng.uniform(0.5, 4) * rng.standard_normal(shape)
        compare_step(layer, module, x, rng.standard_normal(shape))


@pytest.mark.parametrize("shape", [(2, 4, 3, 5), (1, 3, 2, 2), (3, 2, 7)])
def test_groupnorm_with_one_group_per_channel_is_torchs_instance_norm(shape):
    torch = import_torch()
    x = 2.0 + np.random.default_rng(5).standard_normal(shape)
    expected = torch.nn.functional.instance_norm(torch.from_numpy(x), eps=EPS).numpy()
    assert_close(GroupNorm(shape[1], shape[1], affine=False)(x), expected)


@pytest.mark.parametrize("shape", [(2, 4, 3, 5), (1, 3, 2, 2), (3, 2, 7)])
def test_groupnorm_with_one_group_is_torchs_layernorm_over_c_h_w(shape):
    torch = import_torch()
    x = 2.0 + np.random.default_rng(6).standard_normal(shape)
    expected = torch.nn.LayerNorm(shape[1:], elementwise_affine=False).double()(torch.from_numpy(x)).numpy()
    assert_close(GroupNorm(1, shape[1], affine=False)(x), expected)


# Gradient checks ----------------------------------------------------------------------------------------------------

LAYERS = {
    "BatchNorm2d": (lambda: BatchNorm2d(2), (3, 2, 2, 3)),
    "BatchNorm2d, one image": (lambda: BatchNorm2d(2), (1, 2, 3, 2)),
    "LayerNorm (C, H, W)": (lambda: LayerNorm((2, 3, 2)), (2, 2, 3, 2)),
    "LayerNorm, last axis": (lambda: LayerNorm(4), (2, 3, 4)),
    "GroupNorm G=2": (lambda: GroupNorm(2, 4), (2, 4, 2, 2)),
    "GroupNorm G=1": (lambda: GroupNorm(1, 3), (2, 3, 3)),
    "GroupNorm G=C": (lambda: GroupNorm(3, 3), (2, 3, 2, 2)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_backward_passes_the_gradient_check(name):
    make, shape = LAYERS[name]
    layer = make()
    rng = np.random.default_rng(7)
    inputs = {"x": 1.0 + 2.0 * rng.standard_normal(shape), "gamma": rng.uniform(0.5, 2.0, layer.gamma.shape),
              "beta": rng.standard_normal(layer.beta.shape)}

    def forward(x, gamma, beta):
        layer.gamma, layer.beta = gamma, beta
        return layer(x)

    def backward(dout, x, gamma, beta):
        forward(x, gamma, beta)
        dx = layer.backward(dout)
        return {"x": dx, "gamma": layer.dgamma, "beta": layer.dbeta}

    result = check_gradients(forward, backward, inputs, seed=8)
    assert result.passed, str(result)


@pytest.mark.parametrize("make, shape", [(lambda: LayerNorm((3, 2), elementwise_affine=False), (2, 3, 2)),
                                         (lambda: GroupNorm(2, 4, affine=False), (2, 4, 3))])
def test_backward_without_affine_passes_the_gradient_check(make, shape):
    layer = make()
    x = np.random.default_rng(9).standard_normal(shape)
    result = check_gradients(layer, lambda dout, x: {"x": (layer(x), layer.backward(dout))[1]}, {"x": x}, seed=10)
    assert result.passed, str(result)


def test_a_gradient_that_ignores_the_statistics_fails_the_check():
    """The check can fail: γ/σ · dout alone (μ and σ² held constant) is wrong for every layer."""
    layer = GroupNorm(2, 4)
    x = np.random.default_rng(11).standard_normal((2, 4, 3))

    def wrong(dout, x):
        layer(x)
        return {"x": dout * layer._cache.inv_std.reshape(2, 2, 1, 1).repeat(2, axis=2).reshape(2, 4, 1)}

    assert not check_gradients(layer, wrong, {"x": x}, seed=12).passed


# Hypothesis properties ------------------------------------------------------------------------------------------------

images = st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 4), st.integers(1, 4)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.floats(-10, 10)))


@settings(max_examples=40, deadline=None)
@given(images, st.data())
def test_groupnorm_with_one_group_is_layernorm_over_c_h_w(x, data):
    c = x.shape[1]
    gamma = data.draw(arrays(np.float64, (c,), elements=st.floats(-3, 3)), label="gamma")
    beta = data.draw(arrays(np.float64, (c,), elements=st.floats(-3, 3)), label="beta")
    dout = data.draw(arrays(np.float64, x.shape, elements=st.floats(-3, 3)), label="dout")
    group, layer = GroupNorm(1, c), LayerNorm(x.shape[1:])
    group.gamma, group.beta = gamma, beta
    layer.gamma = np.broadcast_to(gamma[:, None, None], x.shape[1:]).copy()  # LN's γ is elementwise: broadcast it
    layer.beta = np.broadcast_to(beta[:, None, None], x.shape[1:]).copy()
    assert_close(group(x), layer(x), 1e-12)
    assert_close(group.backward(dout), layer.backward(dout), 1e-10)
    assert_close(group.dgamma, layer.dgamma.sum(axis=(1, 2)), 1e-10)  # per-channel γ: the sum of its elements'
    assert_close(GroupNorm(1, c, affine=False)(x), LayerNorm(x.shape[1:], elementwise_affine=False)(x), 1e-12)


@settings(max_examples=40, deadline=None)
@given(images)
def test_groupnorm_with_one_channel_per_group_is_instance_norm(x):
    mean, var = x.mean(axis=(2, 3), keepdims=True), x.var(axis=(2, 3), keepdims=True)
    assert_close(GroupNorm(x.shape[1], x.shape[1], affine=False)(x), (x - mean) / np.sqrt(var + EPS), 1e-10)


def other_sample_changed(x, rng):
    """x with one sample j ≠ 0 shifted by a constant of size at least 1: that moves every channel's batch mean."""
    j = rng.integers(1, len(x))
    changed = x.copy()
    changed[j] += rng.choice([-1, 1]) * rng.uniform(1, 5)
    return changed


batches_of_images = st.tuples(st.integers(2, 5), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.floats(-10, 10)))


@settings(max_examples=40, deadline=None)
@given(batches_of_images, st.integers(0, 2**32 - 1))
def test_only_batch_norm_couples_the_samples_of_a_batch(x, seed):
    rng = np.random.default_rng(seed)
    changed = other_sample_changed(x, rng)
    c = x.shape[1]
    for layer in (LayerNorm(x.shape[1:]), LayerNorm(x.shape[-1]), GroupNorm(1, c), GroupNorm(c, c),
                  BatchNorm2d(c).eval()):
        assert_close(layer(changed)[0], layer(x)[0], 1e-12)
    # Batch norm in training: sample 0 is normalized with the changed batch's statistics, which moved.
    train = BatchNorm2d(c)
    before, after = train(x)[0], train(changed)[0]
    mean, var = changed.mean(axis=(0, 2, 3), keepdims=True), changed.var(axis=(0, 2, 3), keepdims=True)
    assert_close(after, ((x[:1] - mean) / np.sqrt(var + EPS))[0], 1e-10)
    assert not np.allclose(mean, x.mean(axis=(0, 2, 3), keepdims=True), rtol=0, atol=0.1)
    # Tiny when a channel has only two values (x̂ is then ±1 whatever they are), but never nothing.
    assert not np.array_equal(after, before)


@settings(max_examples=40, deadline=None)
@given(batches_of_images, st.integers(0, 2**32 - 1))
def test_batch_norm_ignores_changes_that_keep_the_channel_statistics(x, seed):
    """Shuffling another sample's values within each channel keeps every channel's mean and variance: the
    coupling is through the statistics only."""
    rng = np.random.default_rng(seed)
    n, c, h, w = x.shape
    j = rng.integers(1, n)
    shuffled = x.copy()
    shuffled[j] = rng.permutation(x[j].reshape(c, h * w), axis=1).reshape(c, h, w)
    layer = BatchNorm2d(c)
    assert_close(layer(shuffled)[0], layer(x)[0], 1e-10)


METHOD_LAYERS = {
    "batch": lambda c, g, shape: BatchNorm2d(c),
    "layer": lambda c, g, shape: LayerNorm(shape[1:]),
    "instance": lambda c, g, shape: GroupNorm(c, c),
    "group": lambda c, g, shape: GroupNorm(g, c),
}


@settings(max_examples=40, deadline=None)
@given(images.filter(lambda x: x.shape[0] * x.shape[2] * x.shape[3] > 1), st.data())
def test_statistic_labels_say_which_values_each_layer_normalizes_together(x, data):
    """Normalizing each label's values with their own mean and variance gives the layer's x̂."""
    n, c, h, w = x.shape
    groups = data.draw(st.sampled_from([g for g in range(1, c + 1) if c % g == 0]), label="groups")
    for method, make in METHOD_LAYERS.items():
        labels = statistic_labels(method, (n, c, h * w), groups).reshape(x.shape)
        count = np.bincount(labels.ravel())
        mean = np.bincount(labels.ravel(), x.ravel()) / count  # one mean per label
        var = np.bincount(labels.ravel(), (x - mean[labels]).ravel() ** 2) / count
        expected = (x - mean[labels]) / np.sqrt(var[labels] + EPS)
        assert_close(make(c, groups, x.shape)(x), expected, 1e-10)


def test_float32_input_with_a_large_offset_normalizes_like_float64():
    rng = np.random.default_rng(13)
    x = (1e4 + rng.standard_normal((16, 4, 8, 8))).astype(np.float32)
    for layer in (BatchNorm2d(4), LayerNorm((4, 8, 8)), GroupNorm(2, 4)):
        exact = layer(x.astype(np.float64))
        assert np.max(np.abs(layer(x) - exact)) < 2e-3, layer  # float32's spacing at 1e4 is 1e-3
    x_hat, _ = normalize_forward(x, (0, 2, 3))
    assert x_hat.dtype == np.float32


# Bad inputs and state -----------------------------------------------------------------------------------------------

def test_layers_follow_pytorchs_conventions():
    bn, ln, gn = BatchNorm2d(3), LayerNorm((3, 4)), GroupNorm(2, 4)
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)
    assert bn.gamma.shape == bn.beta.shape == (3,)
    assert ln.gamma.shape == ln.beta.shape == (3, 4)
    assert gn.gamma.shape == gn.beta.shape == (4,)
    assert LayerNorm(5).normalized_shape == (5,)
    assert LayerNorm([2, 3]).normalized_shape == (2, 3)
    assert LayerNorm(5, elementwise_affine=False).gamma is None and GroupNorm(1, 2, affine=False).beta is None
    assert bn.eval() is bn and not bn.training and bn.train() is bn and bn.training
    assert repr(bn) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, mode=train)"
    assert repr(ln) == "LayerNorm((3, 4), eps=1e-05, affine=True)"
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert GroupNorm(2, 4)(np.arange(16).reshape(2, 4, 2)).dtype == np.float64  # integers are normalized as floats


def test_channels_not_divisible_by_groups_are_rejected():
    with pytest.raises(ValueError, match="num_groups=4 does not divide num_channels=6"):
        GroupNorm(4, 6)
    with pytest.raises(TypeError, match="num_groups"):
        GroupNorm(2.0, 6)
    with pytest.raises(ValueError, match="num_groups"):
        GroupNorm(0, 6)


def test_a_wrong_normalized_shape_is_rejected_and_changes_no_state():
    layer = LayerNorm((3, 4))
    x = np.random.default_rng(14).standard_normal((2, 3, 4))
    dout = np.ones_like(x)
    layer(x)
    dx = layer.backward(dout)
    for bad in (np.ones((2, 4, 3)), np.ones((3, 4)), np.ones(4)):
        with pytest.raises(ValueError, match="normalized_shape|x must be"):
            layer(bad)
    np.testing.assert_array_equal(layer.backward(dout), dx)  # the cache of the last good forward is intact
    for bad in [(), (3, 0), "ab", 2.5, (2, -1)]:
        with pytest.raises((TypeError, ValueError), match="normalized_shape"):
            LayerNorm(bad)


@pytest.mark.parametrize("shape", [(1, 3, 1, 1), (0, 3, 2, 2)])
def test_batchnorm2d_in_training_needs_two_values_per_channel(shape):
    layer = BatchNorm2d(3)
    layer(np.random.default_rng(15).standard_normal((4, 3, 2, 2)))
    saved = layer.running_mean.copy(), layer.running_var.copy()
    with pytest.raises(ValueError, match=rf"more than 1 value per channel.*N·H·W = {shape[0]}"):
        layer(np.ones(shape))
    np.testing.assert_array_equal(layer.running_mean, saved[0])
    np.testing.assert_array_equal(layer.running_var, saved[1])
    assert layer(np.ones((1, 3, 1, 2))).shape == (1, 3, 1, 2)  # one image of two positions is fine


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_in_training_is_rejected_before_the_running_statistics_change(bad):
    layer = BatchNorm2d(2, momentum=0.5)
    x = np.random.default_rng(16).standard_normal((3, 2, 2, 2))
    layer(x)
    saved = layer.running_mean.copy(), layer.running_var.copy()
    x[1, 0, 1, 1] = bad
    with pytest.raises(ValueError, match="x holds 1 non-finite value"):
        layer(x)
    np.testing.assert_array_equal(layer.running_mean, saved[0])
    np.testing.assert_array_equal(layer.running_var, saved[1])


@pytest.mark.parametrize("make, shape", [(lambda: BatchNorm2d(2), (2, 2, 2, 2)), (lambda: LayerNorm(3), (2, 3)),
                                         (lambda: GroupNorm(1, 2), (2, 2, 3))])
def test_backward_needs_a_forward_and_a_dout_of_its_shape(make, shape):
    layer = make()
    with pytest.raises(RuntimeError, match="backward needs a forward pass"):
        layer.backward(np.ones(shape))
    x = np.random.default_rng(17).standard_normal(shape)
    layer(x)
    dout = np.random.default_rng(18).standard_normal(shape)
    dx = layer.backward(dout)
    dgamma = layer.dgamma.copy()
    wrong = np.ones(shape[:-1] + (shape[-1] + 1,))
    with pytest.raises(ValueError, match=r"dout has shape .*: expected"):
        layer.backward(wrong)
    with pytest.raises(ValueError, match="dout must be"):
        layer.backward(np.ones(shape[:-1]))
    np.testing.assert_array_equal(layer.dgamma, dgamma)
    np.testing.assert_array_equal(layer.backward(dout), dx)


def test_batchnorm2d_backward_after_an_eval_forward_is_refused():
    """Eval mode keeps no cache: a backward must not reuse the statistics of an earlier training batch."""
    layer = BatchNorm2d(2)
    layer(np.random.default_rng(19).standard_normal((3, 2, 2, 2)))
    layer.eval()(np.ones((1, 2, 2, 2)))
    with pytest.raises(RuntimeError, match="train mode"):
        layer.backward(np.ones((1, 2, 2, 2)))


@pytest.mark.parametrize("make, argument, error", [
    (lambda: BatchNorm2d(3, eps=0.0), "eps", ValueError),
    (lambda: BatchNorm2d(3, eps="1e-5"), "eps", TypeError),
    (lambda: BatchNorm2d(3, momentum=1.5), "momentum", ValueError),
    (lambda: BatchNorm2d(3, momentum=-0.1), "momentum", ValueError),
    (lambda: BatchNorm2d(3, momentum=None), "momentum", TypeError),
    (lambda: BatchNorm2d(3.0), "num_features", TypeError),
    (lambda: BatchNorm2d(0), "num_features", ValueError),
    (lambda: LayerNorm(3, eps=float("nan")), "eps", ValueError),
    (lambda: LayerNorm(3, elementwise_affine=1), "elementwise_affine", TypeError),
    (lambda: GroupNorm(2, 4, eps=-1.0), "eps", ValueError),
    (lambda: GroupNorm(2, 4, affine="yes"), "affine", TypeError),
    (lambda: GroupNorm(True, 4), "num_groups", TypeError),
    (lambda: GroupNorm(2, 4.0), "num_channels", TypeError),
])
def test_bad_constructor_arguments_are_named(make, argument, error):
    with pytest.raises(error, match=argument):
        make()


@pytest.mark.parametrize("layer, x, match", [
    (BatchNorm2d(3), np.ones((2, 4, 2, 2)), r"x has 4 channels \(x.shape\[1\]\) but this layer normalizes 3"),
    (BatchNorm2d(3), np.ones((2, 3, 4)), "x must be 4-D"),
    (BatchNorm2d(3).eval(), np.ones((2, 4, 2, 2)), "x has 4 channels"),
    (GroupNorm(2, 4), np.ones((2, 6, 3)), "x has 6 channels"),
    (GroupNorm(2, 4), np.ones(4), "x must be"),
    (GroupNorm(2, 4), np.ones((1, 4) + (1,) * 6), "x must be"),  # 8-D: its grouped view would be 9-D
])
def test_inputs_of_the_wrong_shape_are_rejected(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer(x)
