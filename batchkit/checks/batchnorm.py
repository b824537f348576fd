"""Lesson 05's homework checks: batch norm forward and backward.

Homework 05's forward returns ``(out, cache)`` and its two backward passes (staged, then compact) take
``(dout, cache)``, as in cs231n, so their checks call the student's ``batchnorm_forward`` for the cache. The network check is in
:mod:`batchkit.checks.batchnorm_network`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..batchnorm import batchnorm_backward, batchnorm_forward
from ..gradcheck import rel_error
from ._core import CheckFailed, Mistake, Student, _compare, _fail, _parts, _passed

__all__ = ["check_batchnorm_forward_cache", "check_batchnorm_backward_staged", "check_batchnorm_backward_compact"]

#: What lesson 05's exercises ask the student to write: batchkit's batch normalization and its statistics.
BLOCKED = ("batchnorm.batchnorm_forward", "batchnorm.batchnorm_backward", "batchnorm.batchnorm_backward_from_graph",
           "batchnorm.BatchNorm1d", "norm_layers.BatchNorm2d", "normalization.normalize_forward",
           "normalization.normalize_backward", "normalization.mean_and_variance", "statistics.batch_mean_var")


def _other_eps(eps: float) -> float:
    return eps * 1000 if eps < 1e-3 else eps / 1000


def _forward_mistakes(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> list[Mistake]:
    """Typical wrong outputs of the forward pass in train mode."""
    centered = x - x.mean(axis=0)
    x_hat = centered / np.sqrt(x.var(axis=0) + eps)
    per_sample = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return [(gamma * centered / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta,
             "this uses the unbiased variance (divide by N - 1); training mode normalizes with the biased one "
             "(divide by N)"),
            (gamma * centered / (x.std(axis=0) + eps) + beta, "eps goes inside the square root"),
            (x_hat, "gamma and beta are missing: the normalized x is then scaled by gamma and shifted by beta"),
            (beta * x_hat + gamma, "gamma and beta are swapped: gamma scales, beta shifts"),
            (gamma * per_sample + beta, "these statistics are per sample (over axis 1, the features); batch norm "
                                        "takes one mean and variance per feature, over the batch (axis 0)")]


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
                                                     "the batch"),
                   (dx / gamma, "gamma is missing: the gradient reaches x̂ through out = γ·x̂ + β"),
                   (dx * n, "the 1/N is missing: the means over the batch carry it into dx")]
    dgamma_mistakes = [(dgamma / n, "dgamma is the sum over the batch, not a mean"),
                       ((dout * x).sum(axis=0), "dgamma uses the normalized input x̂, not the raw x")]
    dbeta_mistakes = [(dbeta / n, "dbeta is the sum over the batch, not a mean"),
                      (dout.sum(axis=1), "this summed over the features (axis 1): dbeta sums over the batch")]
    return [dx_mistakes, dgamma_mistakes, dbeta_mistakes]


# Homework 05: forward -> (out, cache); backward(dout, cache), staged and compact -----------------------------------

FORWARD_NAMES = "x, gamma, beta, eps"
STAGED, COMPACT = "batchnorm_backward_staged", "batchnorm_backward"
SECTION = "see lesson 05, section 2"


def _tolerance(dtype: np.dtype) -> float:
    """How close a result must be: float32 rounding (about 1e-7 relative) grows through the batch statistics."""
    return 1e-6 if dtype == np.float64 else 2e-4


def _typed_cases(seed: int, count: int = 6) -> Iterator[tuple]:
    """Random shapes (N, D) with N != D, a random offset per feature, float64 or float32 (cases 2 and 4), random eps;
    the last case is float64 with a small spread and an eps of 0.003 to 0.1, where eps matters."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        n, d = int(rng.integers(2, 17)), int(rng.integers(1, 7))
        d += d == n
        dtype = np.float32 if number in (1, 3) else np.float64
        last = number == count - 1
        x = rng.normal(rng.normal(0.0, 3.0, d), 0.03 if last else float(rng.uniform(0.5, 3.0)), (n, d))
        gamma, beta = rng.standard_normal(d), rng.standard_normal(d)
        eps = float(10 ** (rng.uniform(-2.5, -1.0) if last else rng.uniform(-5, -0.5)))
        yield (rng, *(array.astype(dtype) for array in (x, gamma, beta)), eps)


def _case(x: np.ndarray, eps: float) -> str:
    return f"x of shape {x.shape}, dtype {x.dtype}, eps={eps:.3g}"


def _out_only(student: Student) -> Student:
    """The student's forward as a function of the same arguments returning ``out`` alone (the cache may hold eps)."""
    def out_of(*args):
        result = student.function(*args)
        return result[0] if isinstance(result, (tuple, list)) and result else result
    return Student(out_of, student.names, student.blocked)


def _same_dtype(what: str, case: str, x: np.ndarray, got: object) -> None:
    """Fail if ``got`` (right in value) does not have the dtype of ``x``."""
    dtype = np.asarray(got).dtype
    if dtype != x.dtype:
        _fail(what, case, f"dtype {x.dtype}", f"dtype {dtype}",
              f"the values are right, but {x.dtype} in should give {x.dtype} out, as in PyTorch: something in your "
              f"code turned it into {dtype} (an array of another dtype, or astype); compute in the dtype of x")


def check_batchnorm_forward_cache(student: Callable[..., tuple]) -> None:
    """``student(x, gamma, beta, eps) -> (out, cache)``, training mode, ``out`` in the dtype of ``x``."""
    student = Student(student, FORWARD_NAMES, BLOCKED)
    for _, x, gamma, beta, eps in _typed_cases(511):
        case = _case(x, eps)
        args = (x, gamma, beta, eps)
        out = _parts(student(case, *args), "out, cache", case)[0]
        wide = [array.astype(np.float64) for array in (x, gamma, beta)]  # the reference, more exactly
        _compare("out", case, batchnorm_forward(*wide, eps)[0], out,
                 "out has the shape of x: each feature (column) normalized with its own batch statistics, then "
                 "scaled and shifted; see lesson 05, section 1", _forward_mistakes(*wide, eps),
                 tolerance=_tolerance(x.dtype),
                 diagnose=lambda: _out_only(student).ignored_argument(case, args, {3: _other_eps(eps)}))
        _same_dtype("out", case, x, out)
    _passed()


def _staged_mistakes(dout: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: float) -> list[Mistake]:
    """Wrong dx from one wrong local gradient in the graph mean -> centered -> var -> inv_std -> x_hat -> out."""
    n = len(x)
    centered = x - x.mean(axis=0)
    inv_std = 1.0 / np.sqrt((centered**2).mean(axis=0) + eps)
    dx_hat = gamma * dout
    to_inv_std = (dx_hat * centered).sum(axis=0)
    dvar = -0.5 * inv_std**3 * to_inv_std
    dmean = -(dx_hat * inv_std).sum(axis=0)  # its term through var is zero: the deviations sum to zero

    def dx(dvar=dvar, per_var=1.0 / n, per_mean=1.0 / n, dmean=dmean):
        return dx_hat * inv_std + dvar * 2.0 * centered * per_var + dmean * per_mean
    return [(dx(dmean=-dmean), "the sign at the mean node: centered = x - μ, so μ receives minus the sum of the "
                               "gradients that reach centered"),
            (dx(per_mean=1.0), "the mean node: μ averages N samples, so each x_i gets only its share of dμ; this "
                               "gave every sample the whole dμ"),
            (dx(per_var=1.0), "the var node: σ² is a mean over the N samples, and that 1/N is missing from your "
                              "step from dσ² back to the centered x"),
            (dx(per_var=1.0 / (n - 1)), "the var node divides by N - 1 here, but your forward (rightly) divides by N: the backward pass "
             "differentiates the forward pass as it is"),
            (dx(dvar=-0.5 * inv_std * to_inv_std), "the inv_std node: the derivative of (σ² + ε)^(-1/2) with "
                                                   "respect to σ² has the power -3/2"),
            (dx(dvar=-dvar), "the sign of the inv_std node's local gradient: 1/√(σ² + ε) decreases as σ² grows"),
            (dx(dvar=-inv_std**3 * to_inv_std), "the inv_std node: the derivative of (σ² + ε)^(-1/2) carries a "
                                                "factor 1/2, which is missing here")]


def _eps_mistakes(dout: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: float) -> list[Mistake]:
    """dx computed with another eps than the forward pass's: the backward pass did not take eps from the cache."""
    def dx(eps: float) -> np.ndarray:  # batchkit's validation refuses eps = 0
        x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
        return gamma / np.sqrt(x.var(axis=0) + eps) * (dout - dout.mean(axis=0)
                                                       - x_hat * (dout * x_hat).mean(axis=0))
    return [(dx(other),
             f"this dx is what eps={other:g} gives, not the forward pass's eps={eps:.3g}: keep what the backward "
             "pass needs (eps, or 1/√(σ² + ε)) in the cache") for other in (1e-5, 0.0) if abs(other - eps) > 1e-9]


def _forward_of(backward: Callable, exercise: str) -> Callable:
    """The student's ``batchnorm_forward`` from the backward function's notebook, or fail."""
    forward = getattr(backward, "__globals__", {}).get("batchnorm_forward")
    if not callable(forward):
        raise CheckFailed(f"The backward check needs your `batchnorm_forward` ({exercise}) for the cache: define it "
                          "in the notebook first (run its cell), then run this check again.")
    return forward


def _refuse(name: str, other: str) -> Callable:
    """A stand-in for the student's other backward function: exercises 2 and 3 each compute the gradient."""
    def refuse(*args, **kwargs):
        raise CheckFailed(f"Your {name} calls your {other}: exercises 2 and 3 ask for the same gradients along "
                          "two routes, the staged one node by node and the compact formula, each written out on "
                          "its own (that they agree is the point).")
    return refuse


def _check_backward(function: Callable, name: str, other: str, seed: int) -> None:
    """Compare the student's (dx, dgamma, dbeta) for the cache of their own forward pass with the reference."""
    forward = Student(_forward_of(function, "exercise 1"), FORWARD_NAMES, BLOCKED)
    student = Student(function, "dout, cache", BLOCKED, {other: _refuse(name, other)})
    hints = [f"dx has the shape of x; μ and σ² depend on every sample of the batch, so every input affects every "
             f"output of its feature; {SECTION}",
             f"dgamma has the shape of gamma, (D,), collecting every sample's contribution; {SECTION}",
             f"dbeta has the shape of beta, (D,), collecting every sample's contribution; {SECTION}"]
    for rng, x, gamma, beta, eps in _typed_cases(seed):
        case = f"{_case(x, eps)} and a random dout"
        out, cache = _parts(forward(case, x, gamma, beta, eps), "out, cache", case)
        x64, gamma64, beta64 = (array.astype(np.float64) for array in (x, gamma, beta))
        expected_out, reference_cache, _, _ = batchnorm_forward(x64, gamma64, beta64, eps)
        # This check uses the cache of the student's own forward pass: if that pass is wrong, say so here, rather
        # than blame the backward pass for it.
        if (np.shape(out) != x.shape or np.asarray(out).dtype != x.dtype
                or rel_error(expected_out, np.asarray(out, dtype=np.float64)) > _tolerance(x.dtype)):
            raise CheckFailed(f"{case}: your batchnorm_forward does not give the right output yet, and this check "
                              "uses its cache. Make its own check (exercise 1) pass first.")
        dout = rng.standard_normal(x.shape).astype(x.dtype)
        dout64 = dout.astype(np.float64)
        expected = batchnorm_backward(dout64, reference_cache)
        got = _parts(student(case, dout, cache), "dx, dgamma, dbeta", case)
        dx_mistakes, dgamma_mistakes, dbeta_mistakes = _batchnorm_backward_mistakes(dout64, x64, gamma64, eps,
                                                                                    expected)
        dx_mistakes += _staged_mistakes(dout64, x64, gamma64, eps) + _eps_mistakes(dout64, x64, gamma64, eps)
        for part, want, have, hint, wrong in zip(["dx", "dgamma", "dbeta"], expected, got, hints,
                                                 [dx_mistakes, dgamma_mistakes, dbeta_mistakes]):
            _compare(part, case, want, have, hint, wrong, tolerance=_tolerance(x.dtype))
            _same_dtype(part, case, x, have)
    _passed()


def check_batchnorm_backward_staged(student: Callable[..., tuple]) -> None:
    """``student(dout, cache) -> (dx, dgamma, dbeta)``, node by node; ``cache`` from the student's forward."""
    _check_backward(student, STAGED, COMPACT, 512)


def check_batchnorm_backward_compact(student: Callable[..., tuple]) -> None:
    """``student(dout, cache) -> (dx, dgamma, dbeta)`` by the simplified formula; ``cache`` from the student's
    forward."""
    _check_backward(student, COMPACT, STAGED, 513)
