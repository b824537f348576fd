"""Lesson 07's homework checks: right answers pass, each recognised mistake fails with its hint, and answers that call
batchkit, change an input in place or ignore eps fail."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import batchkit.normalization
from batchkit import checks
from batchkit.checks import normalization as norm_checks
from batchkit.norm_statistics import batch_mean_spread

# Right answers (the instructor notebook's solutions, written independently of batchkit) --------------------------


def layernorm_forward(x, gamma, beta, eps):
    mean = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=1, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    dx_hat = gamma * dout
    dx = (dx_hat - dx_hat.mean(axis=1, keepdims=True)
          - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True)) * inv_std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def groupnorm_forward(x, gamma, beta, num_groups, eps):
    n, c, h, w = x.shape
    grouped = x.reshape(n, num_groups, c // num_groups, h, w)
    mean = grouped.mean(axis=(2, 3, 4), keepdims=True)
    inv_std = 1.0 / np.sqrt(((grouped - mean) ** 2).mean(axis=(2, 3, 4), keepdims=True) + eps)
    x_hat = ((grouped - mean) * inv_std).reshape(x.shape)
    return gamma.reshape(1, c, 1, 1) * x_hat + beta.reshape(1, c, 1, 1), (x_hat, inv_std, gamma, num_groups)


def groupnorm_backward(dout, cache):
    x_hat, inv_std, gamma, num_groups = cache
    n, c, h, w = dout.shape
    dgamma, dbeta = (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
    view = (n, num_groups, c // num_groups, h, w)
    dx_hat, x_hat = (gamma.reshape(1, c, 1, 1) * dout).reshape(view), x_hat.reshape(view)
    dx = (dx_hat - dx_hat.mean(axis=(2, 3, 4), keepdims=True)
          - x_hat * (dx_hat * x_hat).mean(axis=(2, 3, 4), keepdims=True)) * inv_std
    return dx.reshape(dout.shape), dgamma, dbeta


def channel_mean_spread(net, X, layer, batch_sizes, seed):
    net.forward(X)
    maps = net.conv_outputs[layer]
    n, c, h, w = maps.shape
    return batch_mean_spread(maps.reshape(n, c, h * w), batch_sizes, draws=1000, seed=seed)


RIGHT = [(checks.check_layernorm_forward, layernorm_forward), (checks.check_layernorm_backward, layernorm_backward),
         (checks.check_groupnorm_forward, groupnorm_forward), (checks.check_groupnorm_backward, groupnorm_backward),
         (checks.check_channel_mean_spread, channel_mean_spread)]


@pytest.mark.parametrize(("check", "right"), RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out == checks.PASSED + "\n"


def _failure(check, wrong) -> str:
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    return str(failure.value)


# Recognised mistakes ---------------------------------------------------------------------------------------------


def _ln(axis=1, ddof=0, eps_outside=False, affine=True):
    def forward(x, gamma, beta, eps):
        centered = x - x.mean(axis=axis, keepdims=True)
        std = np.sqrt(x.var(axis=axis, keepdims=True, ddof=ddof) + (0 if eps_outside else eps))
        x_hat = centered / (std + (eps if eps_outside else 0))
        return (gamma * x_hat + beta if affine else x_hat), None
    return forward


def _gn(reduce=(2, 3, 4), ddof=0, eps_outside=False, gamma_of=lambda gamma, groups: gamma, interleave=False):
    def forward(x, gamma, beta, num_groups, eps):
        n, c, h, w = x.shape
        view = (n, c // num_groups, num_groups, h, w) if interleave else (n, num_groups, c // num_groups, h, w)
        axes = (1, 3, 4) if interleave else reduce
        grouped = x.reshape(view)
        centered = grouped - grouped.mean(axis=axes, keepdims=True)
        std = np.sqrt(grouped.var(axis=axes, keepdims=True, ddof=ddof) + (0 if eps_outside else eps))
        x_hat = (centered / (std + (eps if eps_outside else 0))).reshape(x.shape)
        g, b = gamma_of(gamma, num_groups), gamma_of(beta, num_groups)
        return g.reshape(1, c, 1, 1) * x_hat + b.reshape(1, c, 1, 1), None
    return forward


def _backward_without(term, forward=layernorm_forward):
    """A layer-norm backward that drops ``term`` ("mean", "variance", "both") or averages over the batch axis."""
    def backward(dout, cache):
        x_hat, inv_std, gamma = cache
        dx_hat = gamma * dout
        axis = 0 if term == "batch axis" else 1
        mean_term = 0 if term in ("mean", "both") else dx_hat.mean(axis=axis, keepdims=True)
        variance_term = 0 if term in ("variance", "both") else x_hat * (dx_hat * x_hat).mean(axis=axis, keepdims=True)
        dx = (dx_hat - mean_term - variance_term) * inv_std
        dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
        if term == "mean dbeta":
            dbeta = dbeta / len(dout)
        return dx, dgamma, dbeta
    return backward


def _gn_backward_over(axes):
    """A group-norm backward whose two means are over ``axes`` of the (N, G, C/G, H, W) view: (3, 4) per channel
    (instance norm's axes), (1, 2, 3, 4) over every channel (layer norm's), (0, 3, 4) over the batch."""
    def backward(dout, cache):
        x_hat, inv_std, gamma, num_groups = cache
        n, c, h, w = dout.shape
        view = (n, num_groups, c // num_groups, h, w)
        dx_hat, x_hat_view = (gamma.reshape(1, c, 1, 1) * dout).reshape(view), x_hat.reshape(view)
        dx = (dx_hat - dx_hat.mean(axis=axes, keepdims=True)
              - x_hat_view * (dx_hat * x_hat_view).mean(axis=axes, keepdims=True)) * inv_std
        return dx.reshape(dout.shape), (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
    return backward


def _gn_backward_per_channel_image(dout, cache):
    """The instance-axes mistake as a student writes it: means over the H·W positions of the (N, C, H, W) arrays."""
    x_hat, inv_std, gamma, num_groups = cache
    n, c, h, w = dout.shape
    dx_hat = gamma.reshape(1, c, 1, 1) * dout
    dx = (dx_hat - dx_hat.mean(axis=(2, 3), keepdims=True)
          - x_hat * (dx_hat * x_hat).mean(axis=(2, 3), keepdims=True))
    dx = (dx.reshape(n, num_groups, c // num_groups, h, w) * inv_std).reshape(dout.shape)
    return dx, (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def _gn_backward_without_mean(dout, cache):
    x_hat, inv_std, gamma, num_groups = cache
    n, c, h, w = dout.shape
    view = (n, num_groups, c // num_groups, h, w)
    dx_hat, x_hat_view = (gamma.reshape(1, c, 1, 1) * dout).reshape(view), x_hat.reshape(view)
    dx = (dx_hat - x_hat_view * (dx_hat * x_hat_view).mean(axis=(2, 3, 4), keepdims=True)) * inv_std
    return dx.reshape(dout.shape), (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


MISTAKES = [
    (checks.check_layernorm_forward, _ln(axis=0), "which is batch norm"),
    (checks.check_layernorm_forward, _ln(ddof=1), "unbiased variance"),
    (checks.check_layernorm_forward, _ln(eps_outside=True), "eps goes inside the square root"),
    (checks.check_layernorm_forward, _ln(affine=False), "gamma and beta are missing"),
    (checks.check_layernorm_backward, _backward_without("mean"), "the mean term is missing"),
    (checks.check_layernorm_backward, _backward_without("variance"), "the variance term is missing"),
    (checks.check_layernorm_backward, _backward_without("both"), "treats μ and σ² as constants"),
    (checks.check_layernorm_backward, _backward_without("batch axis"), "these means are over the batch"),
    (checks.check_layernorm_backward, _backward_without("mean dbeta"), "dbeta is a sum"),
    (checks.check_groupnorm_forward, _gn(reduce=(1, 2, 3, 4)), "layer norm, G = 1"),
    (checks.check_groupnorm_forward, _gn(reduce=(3, 4)), "instance norm, G = C"),
    (checks.check_groupnorm_forward, _gn(reduce=(0, 2, 3, 4)), "over the batch, as in batch norm"),
    (checks.check_groupnorm_forward, _gn(ddof=1), "unbiased variance"),
    (checks.check_groupnorm_forward, _gn(eps_outside=True), "eps goes inside the square root"),
    (checks.check_groupnorm_forward, _gn(interleave=True), "C/G consecutive channels"),
    (checks.check_groupnorm_forward, _gn(gamma_of=lambda p, g: np.repeat(p[:g], len(p) // g)), "not one per group"),
    (checks.check_groupnorm_backward, _gn_backward_without_mean, "the mean term is missing"),
    (checks.check_groupnorm_backward, _gn_backward_over((3, 4)), "instance norm's axes, as if G = C"),
    (checks.check_groupnorm_backward, _gn_backward_per_channel_image, "instance norm's axes, as if G = C"),
    (checks.check_groupnorm_backward, _gn_backward_over((1, 2, 3, 4)), "layer norm's axes, as if G = 1"),
    (checks.check_groupnorm_backward, _gn_backward_over((0, 3, 4)), "these means are over the batch"),
    (checks.check_channel_mean_spread, lambda net, X, layer, sizes, seed: channel_mean_spread(net, X, layer - 1, sizes,
                                                                                              seed) if layer else
     channel_mean_spread(net, X, 1, sizes, seed), "`layer` indexes net.conv_outputs"),
    (checks.check_channel_mean_spread, lambda net, X, layer, sizes, seed: channel_mean_spread(net, X, layer, sizes, 0),
     "ignores its `seed` argument"),
]


@pytest.mark.parametrize(("check", "wrong", "hint"), MISTAKES, ids=[f"{c.__name__}-{h}" for c, _, h in MISTAKES])
def test_a_recognised_mistake_fails_with_its_hint(check, wrong, hint):
    message = _failure(check, wrong)
    assert "Hint:" in message and hint in message, message


def test_the_backward_check_uses_the_students_own_forward():
    namespace = {"np": np, "layernorm_forward": lambda x, gamma, beta, eps: (None, "not a cache")}
    exec("def layernorm_backward(dout, cache):\n    return cache[0], cache[1], cache[2]\n", namespace)  # noqa: S102
    with pytest.raises(checks.CheckFailed):
        checks.check_layernorm_backward(namespace["layernorm_backward"])
    del namespace["layernorm_forward"]
    assert "define it in the notebook first" in _failure(checks.check_layernorm_backward,
                                                         namespace["layernorm_backward"])


def test_a_wrong_forward_is_blamed_on_the_forward_not_on_a_right_backward():
    """The backward check runs the student's forward for its cache; a wrong forward (variance over the batch axis)
    must be reported as such, not as a wrong dx."""
    namespace = {"np": np}
    exec(inspect.getsource(layernorm_backward), namespace)  # noqa: S102 - the right backward of this file

    def wrong_forward(x, gamma, beta, eps):
        out, cache = layernorm_forward(x, gamma, beta, eps)
        return out + 0.5, cache  # a wrong output with a usable cache

    namespace["layernorm_forward"] = wrong_forward
    assert "layernorm_forward does not give the right output yet" in _failure(
        checks.check_layernorm_backward, namespace["layernorm_backward"])


def test_gamma_outside_the_means_is_named():
    """Lesson 05's shortcut γ·(dout - mean(dout) - x̂ mean(dout x̂))/σ is wrong when γ varies along the reduced axes."""
    def shortcut_backward(dout, cache):
        x_hat, inv_std, gamma = _shortcut_parts(cache)
        dx = gamma * (dout - dout.mean(axis=1, keepdims=True)
                      - x_hat * (dout * x_hat).mean(axis=1, keepdims=True)) * inv_std
        return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)

    namespace = {"layernorm_forward": _shortcut_forward}
    shortcut = type(shortcut_backward)(shortcut_backward.__code__, {**shortcut_backward.__globals__, **namespace})
    assert "take the means of dx̂ = gamma · dout" in _failure(checks.check_layernorm_backward, shortcut)


def _shortcut_forward(x, gamma, beta, eps):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def _shortcut_parts(cache):
    return cache


# Answers that must not pass ----------------------------------------------------------------------------------------


def _via_batchkit(x, gamma, beta, eps):
    x_hat, cache = batchkit.normalization.normalize_forward(x, (1,), eps)
    return gamma * x_hat + beta, cache


def _layer_class(x, gamma, beta, num_groups, eps):
    layer = batchkit.norm_layers.GroupNorm(num_groups, x.shape[1], eps)
    layer.gamma, layer.beta = gamma, beta
    return layer(x), layer


@pytest.mark.parametrize(("check", "borrowed", "name"), [
    (checks.check_layernorm_forward, _via_batchkit, "normalization.normalize_forward"),
    (checks.check_groupnorm_forward, _layer_class, "norm_layers.GroupNorm")])
def test_calling_batchkit_fails(check, borrowed, name):
    assert f"without calling batchkit.{name}" in _failure(check, borrowed)


def test_calling_batchkits_backward_fails():
    def layernorm_backward(dout, cache):
        x_hat, inv_std, gamma = cache
        return batchkit.normalization.normalize_backward(gamma * dout, None), None, None
    # the check finds this module's layernorm_forward in the backward's globals, as it finds a notebook's
    assert "without calling batchkit.normalization.normalize_backward" in _failure(checks.check_layernorm_backward,
                                                                                   layernorm_backward)


def _in_place_forward(x, gamma, beta, eps):
    x -= x.mean(axis=1, keepdims=True)
    x /= np.sqrt((x ** 2).mean(axis=1, keepdims=True) + eps)
    return gamma * x + beta, None


def _in_place_backward(dout, cache):
    x_hat, inv_std, gamma, num_groups = cache
    dx, dgamma, dbeta = groupnorm_backward(dout, cache)
    dout *= 0
    return dx, dgamma, dbeta


@pytest.mark.parametrize(("check", "wrong", "name"), [(checks.check_layernorm_forward, _in_place_forward, "x"),
                                                      (checks.check_groupnorm_backward, _in_place_backward, "dout")])
def test_changing_an_input_in_place_fails(check, wrong, name):
    assert f"changed its input `{name}` in place" in _failure(check, wrong)


@pytest.mark.parametrize(("check", "right", "eps_at"), [(checks.check_layernorm_forward, layernorm_forward, 3),
                                                        (checks.check_groupnorm_forward, groupnorm_forward, 4)])
def test_ignoring_eps_fails_naming_it(check, right, eps_at):
    def fixed_eps(*args):
        return right(*args[:eps_at], 1e-5)
    assert "ignores its `eps` argument" in _failure(check, fixed_eps)


def test_a_backward_with_a_fixed_eps_fails():
    def forward(x, gamma, beta, eps):
        return layernorm_forward(x, gamma, beta, eps)[0], (x, gamma)

    def backward(dout, cache):
        x, gamma = cache
        return layernorm_backward(dout, layernorm_forward(x, gamma, 0 * gamma, 1e-5)[1])
    backward.__globals__["layernorm_forward"] = layernorm_forward  # module-level forward, as in a notebook
    namespace = {"layernorm_forward": forward, "layernorm_backward": backward}
    exec("def wrapped(dout, cache):\n    return layernorm_backward(dout, cache)\n", namespace)  # noqa: S102
    assert "dx: not as expected" in _failure(checks.check_layernorm_backward, namespace["wrapped"])


def test_checks_do_not_leave_batchkit_blocked():
    x = np.random.default_rng(0).standard_normal((3, 4))
    checks.check_layernorm_forward(layernorm_forward)
    assert batchkit.normalization.normalize_forward(x, (1,))[0].shape == (3, 4)
    assert norm_checks.BLOCKED and "normalization.normalize_forward" in norm_checks.BLOCKED
