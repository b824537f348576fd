"""Lesson 08's homework checks: averaging gradients, combining batch-norm statistics and the synchronized backward
over k workers (the worker run on threads and on real processes is checked in :mod:`batchkit.checks.worker`).

The simulated workers of the exercises are plain lists (one entry per worker), and they hold only what a worker
would send: sums and counts, or a count, a mean and a variance, never the rows (so the rows cannot be joined).
Every check compares with the single-batch result on the joined data, on unequal shards and on data far from 0
(``|μ|/σ ≈ 10⁷``, where the one-pass ``Σx²/N - μ²`` loses every digit).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..batchnorm import batchnorm_backward, batchnorm_forward
from ._core import Mistake, Student, _compare, _fail, _parts, _passed

__all__ = ["check_average_gradients", "check_combine_statistics", "check_sync_bn_backward", "check_prediction"]  # what batchkit.checks exports

#: What the worker may not call: batchkit's synchronized statistics and averages (the student writes them).
WORKER_BLOCKED = ("distributed.sync_batchnorm.global_mean_var", "distributed.all_reduce_mean",
                  "distributed.SyncBatchNorm", "statistics.batch_mean_var", "batchnorm.batchnorm_forward",
                  "batchnorm.batchnorm_backward", "normalization.mean_and_variance")
#: The simulated exercises use numpy only: no batchkit.distributed at all.
BLOCKED = WORKER_BLOCKED + ("distributed.run_simulated", "distributed.launch", "distributed.SimulatedGroup",
                            "distributed.local_epochs", "distributed.shard_epoch")
OFFSET = 1e7  # |μ|/σ of the last cases: Σx² ≈ N·10¹⁴ keeps no digit of a variance near 1 in float64
SECTION = "see lesson 08, sections 2 and 4"


def _shards(rng: np.random.Generator, number: int, count: int, d: int) -> tuple[list[np.ndarray], float]:
    """k shards of a (N, D) batch: equal ones first, then unequal (a short last one), then far from 0."""
    k = int(rng.integers(2, 5))
    sizes = [int(rng.integers(3, 7))] * k
    if number >= 1:
        sizes = [int(s) for s in rng.integers(2, 9, k)]
        sizes[-1] = 1  # the short last batch
    offset = OFFSET if number == count - 1 else float(rng.uniform(-3, 3))
    x = rng.normal(offset, float(rng.uniform(0.5, 3.0)), (sum(sizes), d))
    return np.split(x, np.cumsum(sizes)[:-1]), offset


def _describe(shards: list[np.ndarray], offset: float) -> str:
    return (f"k={len(shards)} workers with {[len(s) for s in shards]} rows of {shards[0].shape[1]} features, "
            f"values around {offset:.3g}")


def check_average_gradients(student: Callable[..., np.ndarray]) -> None:
    """``student(local_sums, local_counts) -> mean``: the global batch's mean gradient from the workers' sums."""
    student = Student(student, "local_sums, local_counts", BLOCKED)
    rng = np.random.default_rng(801)
    for number in range(5):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 4)))
        shards, _ = _shards(rng, number, 5, shape[0] * shape[1])
        gradients = [g.reshape(len(g), *shape) for g in shards]  # one gradient (shape `shape`) per sample
        sums, counts = [g.sum(axis=0) for g in gradients], [len(g) for g in gradients]
        case = f"k={len(sums)} workers with counts {counts}, gradients of shape {shape}"
        mistakes = [(sum(sums) / len(sums), "you divided by the number of workers k; divide by the global count "
                                            "N = Σ N_r (the samples of all workers)"),
                    (np.mean([s / n for s, n in zip(sums, counts)], axis=0),
                     "that is the mean of the workers' means: it weights a worker with 1 sample like one with 8; "
                     "sum the sums and divide by the total count")]
        _compare("The mean gradient", case, np.concatenate(gradients).mean(axis=0), student(case, sums, counts),
                 f"the mean gradient over all samples of all workers, the shape of one sum; {SECTION}", mistakes)
    _passed()


def _worker_statistics(shards: list[np.ndarray]) -> tuple[list[int], list[np.ndarray], list[np.ndarray]]:
    """What each worker sends in part 2b: its row count, and the mean and biased variance of its rows."""
    return [len(s) for s in shards], [s.mean(axis=0) for s in shards], [s.var(axis=0) for s in shards]


def _combination_mistakes(shards: list[np.ndarray], unbiased: bool) -> tuple[list[Mistake], list[Mistake]]:
    """Typical wrong means and variances from the workers' (count, mean, variance)."""
    x, k = np.concatenate(shards), len(shards)
    counts, means, variances = _worker_statistics(shards)
    n, weights, mu = len(x), np.array(counts, dtype=float)[:, None], x.mean(axis=0)
    within, between = (weights * np.array(variances)).sum(axis=0), (weights * (np.array(means) - mu) ** 2).sum(axis=0)
    unweighted = ((np.array(means) - mu) ** 2).sum(axis=0)
    divisor = n - int(unbiased)
    mean_mistakes = [(np.mean(means, axis=0), "that is the mean of the workers' means: it weights a worker with 1 "
                                              "row like one with 8; weight each mean by its count N_r"),
                     ((weights * np.array(means)).sum(axis=0) / k,
                      "you divided by the number of workers k; divide by the global count N = Σ N_r")]
    other = ((within + between) / n, "this is the biased variance (divide by N), but unbiased=True asks for "
                                     "N - 1") if unbiased else \
        ((within + between) / (n - 1), "this is the unbiased variance (divide by N - 1), but unbiased=False asks "
                                       "for the biased one (divide by N), as batch norm normalizes with")
    var_mistakes = [other,
                    (within / divisor, "the spread of the workers' means around the global μ is missing: a row's "
                                       "deviation from μ is its deviation from its worker's mean plus that mean's "
                                       "deviation from μ"),
                    (np.mean(variances, axis=0), "that is the average of the workers' variances: it misses the "
                                                 "spread of their means around μ and weights every worker alike"),
                    ((within + unweighted) / divisor, "each worker's (mean_r - μ)² stands for its N_r rows: weight "
                                                      "it by N_r, as the within-worker part is"),
                    ((within + between) / k, "you divided by the number of workers k; divide by the global count N"),
                    ((within - np.array(variances).sum(axis=0) + between) / divisor,
                     "the variances given are biased (divided by N_r): worker r's sum of squared deviations from its "
                     "own mean is N_r · variance_r, not (N_r - 1) · variance_r")]
    if min(counts) > 1:  # each worker's variance made unbiased first, then weighted by N_r
        unbiased_first = (weights**2 / (weights - 1) * np.array(variances)).sum(axis=0)
        var_mistakes.append(((unbiased_first + between) / divisor, "the variances given are biased, and that is what "
                             "you need: N_r · variance_r is worker r's sum of squared deviations; making them unbiased "
                             "first counts each worker's part N_r/(N_r - 1) times too large"))
    return mean_mistakes, var_mistakes


def check_combine_statistics(student: Callable[..., tuple]) -> None:
    """``student(counts, means, variances, unbiased) -> (mean, var)`` of the global batch, each of shape (D,), from
    every worker's row count, mean and biased variance (what PyTorch's SyncBatchNorm gathers)."""
    student = Student(student, "counts, means, variances, unbiased", BLOCKED)
    rng = np.random.default_rng(802)
    for number in range(6):
        shards, offset = _shards(rng, number, 6, int(rng.integers(1, 5)))
        unbiased = bool(number % 2)
        x, (counts, means, variances) = np.concatenate(shards), _worker_statistics(shards)
        case = f"{_describe(shards, offset)}, unbiased={unbiased}"
        mean, var = _parts(student(case, list(counts), means, variances, unbiased), "mean, var", case)
        mean_mistakes, var_mistakes = _combination_mistakes(shards, unbiased)
        if np.shape(mean) == np.shape(var) == (x.shape[1],) and np.allclose(mean, x.var(axis=0, ddof=int(unbiased))) \
                and np.allclose(var, x.mean(axis=0)):
            _fail("The mean", case, x.mean(axis=0), mean, "this is the variance, and your var is the mean: return "
                  "them in the order (mean, var)")
        _compare("The mean", case, x.mean(axis=0), mean, f"the mean of every feature over all N = Σ N_r rows, "
                 f"shape (D,); {SECTION}", mean_mistakes, tolerance=1e-9)
        expected = x.var(axis=0, ddof=int(unbiased))
        got = np.asarray(var, dtype=np.float64) if np.shape(var) == expected.shape else var
        if offset == OFFSET and np.shape(got) == expected.shape and np.all(np.isfinite(got)) \
                and 1e-6 * expected.max() < np.max(np.abs(got - expected)) < 1e-9 * offset ** 2:
            _fail("The variance", case, expected, got,
                  "right for data near 0, wrong far from it: a sum of squares Σx² (rebuilt from the means) minus "
                  "N·μ² subtracts two numbers near N·10¹⁴ and loses most digits of a variance near 1. Combine the "
                  "deviations instead: each worker's from its own mean, and each mean's from μ")
        _compare("The variance", case, expected, var, f"the variance of every feature over all rows of all "
                 f"workers, shape (D,), divided by N or N - 1 as `unbiased` says; {SECTION}", var_mistakes)
    _passed()


def _backward_case(rng: np.random.Generator, number: int) -> tuple:
    """Shards of x, with one random γ, the global batch's x̂ and 1/σ, a random dout, and the single-process
    backward pass (every row of the global batch in one process)."""
    shards, offset = _shards(rng, number, 5, int(rng.integers(1, 5)))
    x, d = np.concatenate(shards), shards[0].shape[1]
    gamma, eps = rng.standard_normal(d), float(10 ** rng.uniform(-5, -1))
    cache = batchnorm_forward(x, gamma, np.zeros(d), eps)[1]
    dout = rng.standard_normal(x.shape)
    ends = np.cumsum([len(s) for s in shards])[:-1]
    return shards, offset, gamma, cache, np.split(dout, ends), np.split(cache.x_hat, ends), \
        batchnorm_backward(dout, cache), ends


def check_sync_bn_backward(student: Callable[..., tuple]) -> None:
    """``student(douts, x_hats, gamma, inv_std) -> (dxs, dgamma, dbeta)``: every worker's ``dx_r`` (N_r, D) and
    the global sums dγ and dβ (D,); ``dx_r`` must be the single-process ``dx`` restricted to worker r's rows."""
    student = Student(student, "douts, x_hats, gamma, inv_std", BLOCKED)
    # the same function returning its dx list alone, to name an argument it ignores (its dx is right otherwise)
    dxs_only = Student(lambda *args: list(student.function(*args)[0]), student.names, student.blocked)
    rng = np.random.default_rng(803)
    for number in range(5):
        shards, offset, gamma, cache, douts, x_hats, (dx, dgamma, dbeta), ends = _backward_case(rng, number)
        n, k, inv_std = sum(map(len, shards)), len(shards), cache.inv_std
        case = f"{_describe(shards, offset)}, a random gamma and dout"
        args = (douts, x_hats, gamma, inv_std)
        dxs, got_dgamma, got_dbeta = _parts(student(case, *args), "dxs, dgamma, dbeta", case)
        for name, want, have, local in (("dgamma", dgamma, got_dgamma, (douts[0] * x_hats[0]).sum(axis=0)),
                                        ("dbeta", dbeta, got_dbeta, douts[0].sum(axis=0))):
            mistakes = [(dbeta if name == "dgamma" else dgamma, "dgamma and dbeta are swapped"),
                        (want / n, f"{name} is a sum over the global batch, not a mean"),
                        (want / k, f"{name} is the sum over all workers, not divided by k"),
                        (local, "that is worker 0's share only: add up every worker's sum")]
            _compare(name, case, want, have, f"shape (D,), a sum over every row of every worker; {SECTION}", mistakes)
        if not isinstance(dxs, (list, tuple)) or len(dxs) != k:
            _fail("dxs", case, f"a list of {k} arrays, one per worker, shapes {[s.shape for s in shards]}", dxs,
                  "return one dx per worker, in worker order, each of the shape of that worker's dout")
        for rank, (want, have, d_r, x_r) in enumerate(zip(np.split(dx, ends), dxs, douts, x_hats)):
            own = len(d_r)
            mistakes = [(gamma * inv_std * (d_r - (dbeta + x_r * dgamma) / own),
                         f"this divides the global sums by worker {rank}'s own count N_r = {own}: they are sums over "
                         f"all N = {n} rows, so divide by N"),
                        (gamma * inv_std * (d_r - (d_r.sum(axis=0) + x_r * (d_r * x_r).sum(axis=0)) / own),
                         f"that is worker {rank}'s dx from its own sums and count only, local batch norm's backward: "
                         "use the sums over every worker's rows (the all-reduced dβ and dγ) and N"),
                        (gamma * inv_std * (d_r - (d_r.sum(axis=0) + x_r * (d_r * x_r).sum(axis=0)) / n),
                         f"this uses worker {rank}'s own sums of dout and dout·x̂: use the sums over every "
                         "worker's rows (the all-reduced dβ and dγ)"),
                        (inv_std * (d_r - (dbeta + x_r * dgamma) / n), "gamma is missing: x̂ is scaled by gamma, "
                                                                        "so dx̂ = gamma · dout")]
            _compare(f"Worker {rank}'s dx", case, want, have, f"worker {rank}'s rows of the single-process dx, "
                     f"shape {want.shape}: lesson 05's backward with the global sums and N; {SECTION}", mistakes,
                     diagnose=lambda: dxs_only.ignored_argument(case, args, {2: 2 * gamma, 3: 2 * inv_std}))
    _passed()


def check_prediction(student: Callable[[], str]) -> None:
    """``student() -> name``: a prediction, one of the three networks of lesson 08's batch-norm comparison. Only
    its form is checked: a prediction is worth making whether or not it turns out right."""
    from ..distributed.bn_comparison import BN_KINDS

    got = Student(student, "", BLOCKED)("your prediction")
    if not isinstance(got, str) or got not in BN_KINDS:
        _fail("The prediction", "your prediction", f"one of {list(BN_KINDS)}", got,
              "return the name of one network, spelled as in the list")
    _passed()
