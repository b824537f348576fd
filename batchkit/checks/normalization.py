"""Lesson 07's homework checks: layer norm and group norm, forward and backward, and the channel-mean spread method.

The forward functions return ``(out, cache)`` and the backward functions take ``(dout, cache)``, as in cs231n: the
cache is whatever the student's forward returns, so a backward check calls the student's forward (found by name,
``layernorm_forward`` or ``groupnorm_forward``, next to the backward function) to get it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

import numpy as np

from ..norm_layers import GroupNorm, LayerNorm
from ..norm_statistics import batch_mean_spread
from ._core import CheckFailed, Mistake, Student, _compare, _parts, _passed

__all__ = ["check_layernorm_forward", "check_layernorm_backward", "check_groupnorm_forward", "check_groupnorm_backward",
           "check_channel_mean_spread"]  # what batchkit.checks exports

#: What lesson 07's exercises ask the student to write: batchkit's normalizations, their core and their layers.
BLOCKED = ("normalization.normalize_forward", "normalization.normalize_backward", "normalization.mean_and_variance",
           "norm_layers.LayerNorm", "norm_layers.GroupNorm", "norm_layers.BatchNorm2d",
           "batchnorm.batchnorm_forward", "batchnorm.batchnorm_backward", "batchnorm.BatchNorm1d",
           "statistics.batch_mean_var")
FORWARD_NAMES = "x, gamma, beta, eps"
GROUP_FORWARD_NAMES = "x, gamma, beta, num_groups, eps"
SECTION = "see lesson 07, section 1"


def _other_eps(eps: float) -> float:
    return eps * 1000 if eps < 1e-3 else eps / 1000


def _eps(rng: np.random.Generator) -> float:
    return float(10 ** rng.uniform(-5, -0.5))


def _layer_cases(seed: int, count: int = 5) -> Iterator[tuple]:
    """Shapes (N, D) with N != D (so a statistic over the wrong axis has another shape or value), eps; the last case
    has a small spread, where eps matters."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        n = int(rng.integers(2, 9))
        d = n + int(rng.integers(1, 6))
        spread = 0.03 if number == count - 1 else float(rng.uniform(0.5, 3.0))
        x = rng.normal(rng.normal(0.0, 3.0, (n, 1)), spread, (n, d))  # every sample its own offset
        yield rng, x, rng.standard_normal(d), rng.standard_normal(d), _eps(rng)


def _group_cases(seed: int, count: int = 5) -> Iterator[tuple]:
    """Shapes (N, C, H, W) with G dividing C (1 < G < C in all cases but the last two: G = 1 and G = C), eps."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        groups, per_group = int(rng.integers(2, 5)), int(rng.integers(2, 4))
        if number == count - 2:
            groups = 1
        elif number == count - 1:
            groups, per_group = groups * per_group, 1
        channels = groups * per_group
        shape = (int(rng.integers(2, 5)), channels, int(rng.integers(1, 4)), int(rng.integers(2, 4)))
        spread = 0.03 if number == count - 3 else float(rng.uniform(0.5, 3.0))
        x = rng.normal(rng.normal(0.0, 3.0, (shape[0], channels, 1, 1)), spread, shape)  # per-channel offsets
        yield rng, x, rng.standard_normal(channels), rng.standard_normal(channels), groups, _eps(rng)


def _layer(kind: str, gamma: np.ndarray, beta: np.ndarray, eps: float, groups: int = 1) -> LayerNorm | GroupNorm:
    """batchkit's reference layer with the given γ and β."""
    layer = LayerNorm(len(gamma), eps) if kind == "layer" else GroupNorm(groups, len(gamma), eps)
    layer.gamma, layer.beta = gamma.copy(), beta.copy()
    return layer


def _normalized(x: np.ndarray, axes: tuple[int, ...], eps: float, ddof: int = 0, eps_outside: bool = False
                ) -> np.ndarray:
    """x̂ over ``axes``, optionally with a typical mistake (the unbiased variance, eps outside the square root)."""
    centered = x - x.mean(axis=axes, keepdims=True)
    std = np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + (0.0 if eps_outside else eps))
    return centered / (std + (eps if eps_outside else 0.0))


def _statistic_mistakes(x: np.ndarray, scale: Callable[[np.ndarray], np.ndarray], axes: tuple[int, ...], eps: float,
                        wrong_axes: list[tuple[tuple[int, ...], str]]) -> list[Mistake]:
    """Outputs ``scale(x̂)`` with a typical mistake in the statistics of the view ``x``, reduced over ``axes``."""
    mistakes = [(scale(_normalized(x, other, eps)), hint) for other, hint in wrong_axes]
    return mistakes + [
        (scale(_normalized(x, axes, eps, ddof=1)), "this uses the unbiased variance (divide by M - 1); normalization "
                                                   "uses the biased one (divide by the M values of the statistic)"),
        (scale(_normalized(x, axes, eps, eps_outside=True)), "eps goes inside the square root")]


def check_layernorm_forward(student: Callable[..., tuple]) -> None:
    """``student(x, gamma, beta, eps) -> (out, cache)`` for layer norm on x (N, D)."""
    student = Student(student, FORWARD_NAMES, BLOCKED)
    for _, x, gamma, beta, eps in _layer_cases(707):
        case = f"x of shape {x.shape}, eps={eps:.3g}"
        args = (x, gamma, beta, eps)
        out = _parts(student(case, *args), "out, cache", case)[0]
        mistakes = _statistic_mistakes(x, lambda x_hat: gamma * x_hat + beta, (1,), eps, [
            ((0,), "this normalized every feature over the batch (axis 0), which is batch norm; layer norm takes one "
                   "mean and variance per sample, over its D features")])
        mistakes.append((_normalized(x, (1,), eps), "gamma and beta are missing: scale by gamma, shift by beta"))
        _compare("out", case, _layer("layer", gamma, beta, eps)(x), out,
                 f"out has the shape of x: every sample (row) normalized with its own statistics, then scaled and "
                 f"shifted per feature; {SECTION}", mistakes,
                 diagnose=lambda: _out_only(student).ignored_argument(case, args, {3: _other_eps(eps)}))
    _passed()


def _out_only(student: Student) -> Student:
    """The student's forward as a function of the same arguments that returns ``out`` alone (not the cache, which
    may hold eps itself), for naming an ignored argument."""
    forward = student.function

    def out_of(*args):
        result = forward(*args)
        return result[0] if isinstance(result, (tuple, list)) and result else result
    return Student(out_of, student.names, student.blocked)


def _forward_of(backward: Callable, name: str, exercise: str) -> Callable:
    """The student's forward function ``name``, defined next to ``backward``, or fail."""
    forward = getattr(backward, "__globals__", {}).get(name)
    if not callable(forward):
        raise CheckFailed(f"The backward check needs your `{name}` ({exercise}) for the cache: define it in the "
                          "notebook first (run its cell), then run this check again.")
    return forward


def _backward_mistakes(dx: np.ndarray, gamma: np.ndarray, dout: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                       axes: tuple[int, ...], wrong_axes: list[tuple[tuple[int, ...], str]]) -> list[Mistake]:
    """Typical wrong dx, in the view where the statistics are taken over ``axes`` (``gamma`` broadcasts there)."""
    dx_hat = gamma * dout

    def simplified(upstream: np.ndarray, over: tuple[int, ...]) -> np.ndarray:
        return (upstream - upstream.mean(axis=over, keepdims=True)
                - x_hat * (upstream * x_hat).mean(axis=over, keepdims=True)) * inv_std
    return [(dx_hat * inv_std, "this treats μ and σ² as constants, but they depend on every value they are computed "
                               "from, which adds two terms to dx"),
            (dx + dx_hat.mean(axis=axes, keepdims=True) * inv_std,
             "the mean term is missing: μ depends on every value of its statistic"),
            (dx + x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True) * inv_std,
             "the variance term is missing: σ² depends on every value of its statistic"),
            (gamma * simplified(dout, axes),  # lesson 05's shortcut, right only when gamma is constant over axes
             "take the means of dx̂ = gamma · dout, not of dout: gamma varies along the reduced axes here, so lesson "
             "05's shortcut (gamma outside the brackets) does not carry over"),
            *[(simplified(dx_hat, other), hint) for other, hint in wrong_axes]]


def _parameter_mistakes(dgamma: np.ndarray, dbeta: np.ndarray, count: int) -> tuple[list[Mistake], list[Mistake]]:
    return ([(dgamma / count, "dgamma is a sum over every value gamma scales, not a mean")],
            [(dbeta / count, "dbeta is a sum over every value beta shifts, not a mean")])


def _check_backward(student: Student, forward: Student, cases: Iterator[tuple], kind: str) -> None:
    """Compare the student's (dx, dgamma, dbeta) for the cache of their own forward pass with the reference."""
    for rng, x, gamma, beta, *groups, eps in cases:
        groups = groups[0] if groups else 1
        case = f"x of shape {x.shape}{f', num_groups={groups}' if kind == 'group' else ''}, eps={eps:.3g}, random dout"
        args = (x, gamma, beta, *([groups] if kind == "group" else []), eps)
        out, cache = _parts(forward(case, *args), "out, cache", case)
        dout = rng.standard_normal(x.shape)
        layer = _layer(kind, gamma, beta, eps, groups)
        expected_out = layer(x)
        dx = layer.backward(dout)
        # This check uses the cache of the student's own forward pass: if that pass is wrong, say so here, rather
        # than blame the backward pass for it.
        if np.shape(out) != expected_out.shape or not np.allclose(out, expected_out, rtol=1e-6, atol=1e-9):
            raise CheckFailed(f"{case}: your {kind}norm_forward does not give the right output yet, and this check "
                              f"uses its cache. Make its own check pass first.")
        got = _parts(student(case, dout, cache), "dx, dgamma, dbeta", case)
        n, c = x.shape[:2]
        if kind == "layer":  # statistics per row, over axis 1; gamma per feature
            view, axes, view_gamma = x, (1,), gamma
            wrong = [((0,), "these means are over the batch (axis 0), as in batch norm; layer norm's statistics, and "
                            "so the means of its backward pass, are over the features of one sample")]
        else:  # statistics over (C/G, H, W) of the (N, G, C/G, H, W) view; gamma per channel
            view, axes, view_gamma = x.reshape(n, groups, c // groups, *x.shape[2:]), (2, 3, 4), gamma.reshape(
                1, groups, c // groups, 1, 1)
            wrong = [((0, 3, 4), "these means are over the batch, as in batch norm; group norm's are over one "
                                 "sample's group of channels"),
                     ((3, 4), "these means are per channel, over its H·W positions (instance norm's axes, as if "
                              "G = C); group norm's statistics, and so the means of its backward pass, pool a "
                              "sample's group of C/G channels"),
                     ((1, 2, 3, 4), "these means are over all C channels of a sample (layer norm's axes, as if "
                                    "G = 1); group norm's statistics, and so the means of its backward pass, pool "
                                    "only the sample's group of C/G channels")]
        x_hat = _normalized(view, axes, eps)
        inv_std = 1.0 / np.sqrt(view.var(axis=axes, keepdims=True) + eps)
        dx_mistakes = [(value.reshape(x.shape), hint) for value, hint in _backward_mistakes(
            dx.reshape(view.shape), view_gamma, dout.reshape(view.shape), x_hat, inv_std, axes, wrong)]
        dgamma_mistakes, dbeta_mistakes = _parameter_mistakes(layer.dgamma, layer.dbeta, x.size // c)
        hints = [f"dx has the shape of x; μ and σ² depend on every value of their statistic, so each of those values "
                 f"gets part of every output's gradient; {SECTION}",
                 f"dgamma has the shape of gamma, {gamma.shape}: each entry collects every value its gamma scaled",
                 f"dbeta has the shape of beta, {beta.shape}: each entry collects every value its beta shifted"]
        for name, want, have, hint, wrong_values in zip(["dx", "dgamma", "dbeta"], [dx, layer.dgamma, layer.dbeta],
                                                        got, hints, [dx_mistakes, dgamma_mistakes, dbeta_mistakes]):
            _compare(name, case, want, have, hint, wrong_values)
    _passed()


def check_layernorm_backward(student: Callable[..., tuple]) -> None:
    """``student(dout, cache) -> (dx, dgamma, dbeta)``, with ``cache`` from the student's ``layernorm_forward``."""
    forward = Student(_forward_of(student, "layernorm_forward", "exercise 1"), FORWARD_NAMES, BLOCKED)
    _check_backward(Student(student, "dout, cache", BLOCKED), forward, _layer_cases(708), "layer")


def check_groupnorm_forward(student: Callable[..., tuple]) -> None:
    """``student(x, gamma, beta, num_groups, eps) -> (out, cache)`` for group norm on x (N, C, H, W)."""
    student = Student(student, GROUP_FORWARD_NAMES, BLOCKED)
    for _, x, gamma, beta, groups, eps in _group_cases(709):
        n, c = x.shape[:2]
        case = f"x of shape {x.shape}, num_groups={groups}, eps={eps:.3g}"
        args = (x, gamma, beta, groups, eps)
        out = _parts(student(case, *args), "out, cache", case)[0]
        grouped = x.reshape(n, groups, c // groups, *x.shape[2:])

        def scaled(x_hat: np.ndarray, gamma: np.ndarray = gamma, beta: np.ndarray = beta) -> np.ndarray:
            return gamma.reshape(1, c, 1, 1) * x_hat.reshape(x.shape) + beta.reshape(1, c, 1, 1)
        interleaved = x.reshape(n, c // groups, groups, *x.shape[2:])  # channel c in group c % G
        x_hat = _normalized(grouped, (2, 3, 4), eps)
        mistakes = _statistic_mistakes(grouped, scaled, (2, 3, 4), eps, [
            ((1, 2, 3, 4), "these statistics are over all channels of a sample (layer norm, G = 1); group norm takes "
                           "one mean and variance per sample and group of C/G channels"),
            ((3, 4), "these statistics are per channel (instance norm, G = C); group norm pools each group of C/G "
                     "channels"),
            ((0, 2, 3, 4), "these statistics are over the batch, as in batch norm; group norm's are per sample")])
        mistakes += [(scaled(_normalized(interleaved, (1, 3, 4), eps).reshape(x.shape)),
                      "a group is C/G consecutive channels (channels 0 to C/G - 1 are group 0); this grouped every "
                      "G-th channel together: check the order of the axes in your reshape")]
        mistakes += [(scaled(x_hat, np.repeat(gamma[:groups], c // groups), np.repeat(beta[:groups], c // groups)),
                      "gamma and beta have one entry per channel, shape (C,), not one "
                                                   "per group: channel k is scaled by gamma[k]"),
                     (scaled(x_hat, gamma.reshape(c // groups, groups).T.ravel(),
                             beta.reshape(c // groups, groups).T.ravel()),
                      "gamma and beta have one entry per channel, but this gave channel k another channel's gamma: "
                      "apply them per channel of the (N, C, H, W) result, or reshape them like x's channels"),
                     (x_hat.reshape(x.shape), "gamma and beta are missing: scale by gamma, shift by beta")]
        _compare("out", case, _layer("group", gamma, beta, eps, groups)(x), out,
                 f"out has the shape of x: each sample's group of C/G channels normalized with its own statistics, "
                 f"then scaled and shifted per channel; {SECTION}", mistakes,
                 diagnose=lambda: _out_only(student).ignored_argument(case, args, {4: _other_eps(eps)}))
    _passed()


def check_groupnorm_backward(student: Callable[..., tuple]) -> None:
    """``student(dout, cache) -> (dx, dgamma, dbeta)``, with ``cache`` from the student's ``groupnorm_forward``."""
    forward = Student(_forward_of(student, "groupnorm_forward", "exercise 3"), GROUP_FORWARD_NAMES, BLOCKED)
    _check_backward(Student(student, "dout, cache", BLOCKED), forward, _group_cases(710), "group")


def reference_channel_mean_spread(net, X: np.ndarray, layer: int, batch_sizes: list[int], seed: int) -> np.ndarray:
    """What exercise 5 asks for, on a copy of ``net``: ``batch_mean_spread`` of ``net.conv_outputs[layer]``."""
    net = copy.deepcopy(net)  # the forward pass in train mode updates batch norm's running statistics
    net.forward(X)
    maps = net.conv_outputs[layer]
    n, channels, height, width = maps.shape
    return batch_mean_spread(maps.reshape(n, channels, height * width), batch_sizes, draws=1000, seed=seed)


def check_channel_mean_spread(student: Callable[..., np.ndarray]) -> None:
    """``student(net, X, layer, batch_sizes, seed) -> spread (C, len(batch_sizes))``: the method, on small networks."""
    from ..convnet import ConvNet  # the tool of the exercise, not the exercise

    student = Student(student, "net, X, layer, batch_sizes, seed", ())
    rng = np.random.default_rng(711)
    for _ in range(3):
        channels = (int(rng.integers(2, 5)), int(rng.integers(3, 7)), int(rng.integers(3, 7)))
        net = ConvNet(channels, normalization="batch", strides=(1, 2, 2), seed=int(rng.integers(1000)))
        X = rng.uniform(0.0, 16.0, (int(rng.integers(20, 40)), 64))
        layer, seed = int(rng.integers(0, 3)), int(rng.integers(1000))
        batch_sizes = sorted(int(b) for b in rng.choice(np.arange(2, 17), size=int(rng.integers(1, 4)), replace=False))
        case = (f"a ConvNet with channels {channels}, X of shape {X.shape}, layer={layer}, batch_sizes={batch_sizes}, "
                f"seed={seed}")
        args = (net, X, layer, batch_sizes, seed)
        mistakes = [(reference_channel_mean_spread(net, X, other, batch_sizes, seed),
                     f"that is the spread of convolution {other}'s channels: `layer` indexes net.conv_outputs, where "
                     "0 is the first convolution") for other in (layer - 1, layer + 1) if 0 <= other < 3]
        got = student(case, copy.deepcopy(net), *args[1:])
        _compare("spread", case, reference_channel_mean_spread(*args), got,
                 "one row per channel of that convolution, one column per batch size: lesson 07's batch_mean_spread "
                 "of its output, with positions = H·W, 1000 draws and the given seed; see lesson 07, section 2",
                 mistakes, tolerance=1e-9,
                 diagnose=lambda: student.ignored_argument(case, (copy.deepcopy(net), *args[1:]),
                                                           {4: seed + 1, 2: (layer + 1) % 3}))
    _passed()
