"""Lesson 05's homework checks: batch norm forward and backward, running statistics."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..batchnorm import batchnorm_backward, batchnorm_forward
from ..statistics import batch_mean_var
from ._core import Mistake, Student, _compare, _parts, _passed

#: What lesson 05's exercises ask the student to write: batchkit's batch normalization and its statistics.
BLOCKED = ("batchnorm.batchnorm_forward", "batchnorm.batchnorm_backward", "batchnorm.batchnorm_backward_from_graph",
           "batchnorm.BatchNorm1d", "norm_layers.BatchNorm2d", "normalization.normalize_forward",
           "normalization.normalize_backward", "normalization.mean_and_variance", "statistics.batch_mean_var")


def _cases(seed: int, count: int = 5):
    """Random shapes (N, D), spreads (a small one makes eps matter) and eps, from a seeded Generator."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        shape = (int(rng.integers(2, 20)), int(rng.integers(1, 6)))
        spread = 0.03 if number == count - 1 else float(rng.uniform(0.5, 3.0))
        yield rng, shape, rng.normal(3.0, spread, shape), float(10 ** rng.uniform(-5, -0.5))


def _other_eps(eps: float) -> float:
    return eps * 1000 if eps < 1e-3 else eps / 1000


def check_batchnorm_forward(student: Callable[..., np.ndarray]) -> None:
    """``student(x, gamma, beta, eps) -> out``, training mode, biased batch variance."""
    student = Student(student, "x, gamma, beta, eps", BLOCKED)
    for rng, shape, x, eps in _cases(505):
        gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
        centered = x - x.mean(axis=0)
        x_hat = centered / np.sqrt(x.var(axis=0) + eps)
        mistakes = [(gamma * centered / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta,
                     "this uses the unbiased variance (divide by N - 1); training mode uses the biased one "
                     "(divide by N)"),
                    (gamma * centered / (np.sqrt(x.var(axis=0)) + eps) + beta, "eps goes inside the square root"),
                    (x_hat, "gamma and beta are missing: the normalized x is then scaled by gamma and shifted by beta"),
                    (beta * x_hat + gamma, "gamma and beta are swapped: gamma scales, beta shifts")]
        case = f"x of shape {shape}, eps={eps:.3g}"
        args = (x, gamma, beta, eps)
        _compare("The output", case, batchnorm_forward(*args)[0], student(case, *args),
                 "the same shape as x: each feature (column) normalized with its own batch statistics as the "
                 "exercise describes, then scaled and shifted; see lesson 05, section 1", mistakes,
                 diagnose=lambda: student.ignored_argument(case, args, {3: _other_eps(eps)}))
    _passed()


def _batchnorm_backward_mistakes(dout: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: float, expected: tuple
                                 ) -> list[list[Mistake]]:
    dx, dgamma, dbeta = expected
    n = len(x)
    scale = gamma / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * scale / gamma
    constants = ("this treats μ and σ² as constants, but they depend on every sample of the batch, which adds terms "
                 "to dx")
    dx_mistakes = [(scale * dout, constants),
                   (dx + scale * dbeta / n, "the mean term is missing: μ depends on every sample of the batch"),
                   (dx + scale * x_hat * dgamma / n, "the variance term is missing: σ² depends on every sample of "
                                                     "the batch")]
    dgamma_mistakes = [(dgamma / n, "dgamma is the sum over the batch, not a mean"),
                       ((dout * x).sum(axis=0), "dgamma uses the normalized input x̂, not the raw x")]
    dbeta_mistakes = [(dbeta / n, "dbeta is the sum over the batch, not a mean"),
                      (dout.sum(axis=1), "this summed over the features (axis 1): dbeta sums over the batch")]
    return [dx_mistakes, dgamma_mistakes, dbeta_mistakes]


def check_batchnorm_backward(student: Callable[..., tuple]) -> None:
    """``student(dout, x, gamma, eps) -> (dx, dgamma, dbeta)`` for training-mode batch normalization."""
    student = Student(student, "dout, x, gamma, eps", BLOCKED)
    hints = ["dx has the shape of x; μ and σ² depend on every sample of the batch, so every input affects every "
             "output of its feature; see lesson 05, section 2",
             "dgamma has the shape of gamma, (D,), collecting every sample's contribution; see lesson 05, section 2",
             "dbeta has the shape of beta, (D,), collecting every sample's contribution; see lesson 05, section 2"]
    for rng, shape, x, eps in _cases(506):
        gamma, dout = rng.standard_normal(shape[1]), rng.standard_normal(shape)
        expected = batchnorm_backward(dout, batchnorm_forward(x, gamma, np.zeros(shape[1]), eps)[1])
        case = f"x of shape {shape}, eps={eps:.3g} and a random dout"
        args = (dout, x, gamma, eps)
        got = _parts(student(case, *args), "dx, dgamma, dbeta", case)
        mistakes = _batchnorm_backward_mistakes(dout, x, gamma, eps, expected)
        for name, want, have, hint, wrong in zip(["dx", "dgamma", "dbeta"], expected, got, hints, mistakes):
            _compare(name, case, want, have, hint, wrong,
                     diagnose=lambda: student.ignored_argument(case, args, {3: _other_eps(eps)}))
    _passed()


def _running_mistakes(old: np.ndarray, batch: np.ndarray, momentum: float, quantity: str) -> list[Mistake]:
    """Typical wrong updates of a running statistic from ``old`` and this batch's ``batch`` value."""
    return [(momentum * old + (1 - momentum) * batch,
             "in PyTorch momentum is the weight of the NEW batch; you used it as the weight of the old value "
             "(the convention of Keras and cs231n)"),
            (momentum * batch, f"the old {quantity} is missing: the new value mixes it with the batch's"),
            (old + momentum * batch, "the weights of the old value and of the batch must add up to 1"),
            (0.9 * old + 0.1 * batch, "use the momentum argument, not a fixed 0.1"),
            (batch, f"that is the batch's value alone: the running value also keeps the old {quantity}")]


def _running_cases():
    """Fixed cases (momentum 0.1 and 0.3, batch sizes 8 and 5), then random momenta and shapes."""
    rng = np.random.default_rng(507)
    cases = [(0.1, 8, 3), (0.3, 5, 4), (0.1, 5, 2), (0.3, 8, 3)]
    cases += [(float(rng.uniform(0.01, 0.9)), int(rng.integers(2, 20)), int(rng.integers(1, 6))) for _ in range(4)]
    for momentum, n, d in cases:
        x = rng.normal(4.0, 2.0, (n, d))
        running_mean, running_var = rng.normal(0.0, 2.0, d), rng.uniform(0.5, 3.0, d)
        case = f"random running statistics, momentum={momentum:.3g}, x of shape ({n}, {d})"
        yield case, running_mean, running_var, x, momentum


def check_running_stats(student: Callable[..., tuple]) -> None:
    """``student(running_mean, running_var, x, momentum) -> (new_mean, new_var)`` with PyTorch's conventions."""
    student = Student(student, "running_mean, running_var, x, momentum", BLOCKED)
    for case, running_mean, running_var, x, momentum in _running_cases():
        n = len(x)
        mean, var = batch_mean_var(x)
        unbiased = var * n / (n - 1)
        args = (running_mean, running_var, x, momentum)
        got = _parts(student(case, *args), "new_mean, new_var", case)

        def diagnose() -> str:
            return student.ignored_argument(case, args, {3: 0.5 if momentum != 0.5 else 0.2})
        _compare("The new running mean", case, (1 - momentum) * running_mean + momentum * mean, got[0],
                 "a weighted average of the old running_mean and this batch's mean, with PyTorch's meaning of "
                 "momentum; see lesson 05, section 3", _running_mistakes(running_mean, mean, momentum, "running_mean"),
                 diagnose=diagnose)
        var_mistakes = [((1 - momentum) * running_var + momentum * var,
                         "PyTorch stores the unbiased batch variance (divide by N - 1) in running_var")]
        var_mistakes += [((1 - momentum) * running_var + momentum * var * 8 / 7,
                          f"use the batch size of x (here {n}), not a fixed 8")] if n != 8 else []
        _compare("The new running variance", case, (1 - momentum) * running_var + momentum * unbiased, got[1],
                 "like the running mean, a weighted average of the old running_var and this batch's variance, with "
                 "PyTorch's conventions; see lesson 05, section 3",
                 var_mistakes + _running_mistakes(running_var, unbiased, momentum, "running_var"), diagnose=diagnose)
    _passed()
