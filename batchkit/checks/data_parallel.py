"""Lesson 08's homework checks: averaging gradients and batch-norm statistics over k workers, then a real launch.

The simulated workers of the exercises are plain lists (one entry per worker); every check compares with the
single-batch result on the concatenated data, on unequal shards and on data far from 0 (``|μ|/σ ≈ 10⁷``, where the
one-pass ``Σx²/N - μ²`` loses every digit).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from ..batchnorm import batchnorm_backward, batchnorm_forward
from ..distributed import SimulatedGroup, TorchMissingError, WorkerError, launch, run_simulated
from ..distributed._torch import INSTALL_HINT
from ._core import CheckFailed, Mistake, Student, _compare, _fail, _own_work, _parts, _passed

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


def _statistics_mistakes(shards: list[np.ndarray], unbiased: bool) -> tuple[list[Mistake], list[Mistake]]:
    """Typical wrong means and variances for these shards."""
    x, k = np.concatenate(shards), len(shards)
    n, total = len(x), x.sum(axis=0)
    within = sum(((s - s.mean(axis=0)) ** 2).sum(axis=0) for s in shards)
    centered = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    mean_mistakes = [(total / k, "you divided by the number of workers k; divide by the global count N = Σ N_r"),
                     (np.mean([s.mean(axis=0) for s in shards], axis=0),
                      "that is the mean of the workers' means: with unequal shards it is not the batch mean")]
    other = (centered / n, "this is the biased variance (divide by N), but unbiased=True asks for N - 1") if unbiased \
        else (centered / (n - 1), "this is the unbiased variance (divide by N - 1), but unbiased=False asks for "
                                  "the biased one (divide by N), as batch norm normalizes with")
    var_mistakes = [other, (centered / k, "you divided by the number of workers k; divide by the global count N"),
                    (within / (n - unbiased), "round two subtracted each worker's own mean: the squared deviations "
                                              "must be from the global mean μ of round one")]
    return mean_mistakes, var_mistakes


def check_sync_bn_statistics(student: Callable[..., tuple]) -> None:
    """``student(shards, unbiased) -> (mean, var)`` of the global batch, each of shape (D,)."""
    student = Student(student, "shards, unbiased", BLOCKED)
    rng = np.random.default_rng(802)
    for number in range(6):
        shards, offset = _shards(rng, number, 6, int(rng.integers(1, 5)))
        unbiased = bool(number % 2)
        x = np.concatenate(shards)
        case = f"{_describe(shards, offset)}, unbiased={unbiased}"
        mean, var = _parts(student(case, shards, unbiased), "mean, var", case)
        mean_mistakes, var_mistakes = _statistics_mistakes(shards, unbiased)
        _compare("The mean", case, x.mean(axis=0), mean, f"the mean of every feature over all rows of all "
                 f"workers, shape (D,); {SECTION}", mean_mistakes, tolerance=1e-9)
        expected = x.var(axis=0, ddof=int(unbiased))
        got = np.asarray(var, dtype=np.float64) if np.shape(var) == expected.shape else var
        if offset == OFFSET and np.shape(got) == expected.shape and np.all(np.isfinite(got)) \
                and 1e-6 * expected.max() < np.max(np.abs(got - expected)) < 1e-9 * offset ** 2:
            _fail("The variance", case, expected, got,
                  "right for data near 0, wrong far from it: the one-pass Σx²/N - μ² subtracts two numbers near "
                  "μ² = 10¹⁴ and keeps no digit of a variance near 1. Use two rounds: first μ, then Σ(x - μ)²")
        _compare("The variance", case, expected, var, f"the variance of every feature over all rows of all "
                 f"workers, shape (D,), divided by N or N - 1 as `unbiased` says; {SECTION}", var_mistakes)
    _passed()


def check_sync_bn_backward_sums(student: Callable[..., tuple]) -> None:
    """``student(douts, x_hats) -> (dbeta, dgamma)``: lesson 05's two batch sums over all workers' rows."""
    student = Student(student, "douts, x_hats", BLOCKED)
    rng = np.random.default_rng(803)
    for number in range(5):
        shards, offset = _shards(rng, number, 5, int(rng.integers(1, 5)))
        x, d = np.concatenate(shards), shards[0].shape[1]
        cache = batchnorm_forward(x, rng.standard_normal(d), np.zeros(d), 1e-5)[1]
        dout = rng.standard_normal(x.shape)
        _, dgamma, dbeta = batchnorm_backward(dout, cache)
        ends = np.cumsum([len(s) for s in shards])[:-1]
        douts, x_hats = np.split(dout, ends), np.split(cache.x_hat, ends)
        case = f"{_describe(shards, offset)} and a random dout per worker"
        got = _parts(student(case, douts, x_hats), "dbeta, dgamma", case)
        n, k = len(x), len(shards)
        for name, want, have, local in (("dbeta", dbeta, got[0], douts[0].sum(axis=0)),
                                        ("dgamma", dgamma, got[1], (douts[0] * x_hats[0]).sum(axis=0))):
            mistakes = [(want / n, f"{name} is a sum over the global batch, not a mean"),
                        (want / k, f"{name} is the sum over all workers, not divided by k"),
                        (local, f"that is worker 0's share only: add up every worker's sum")]
            swapped = (dgamma if name == "dbeta" else dbeta, "dbeta and dgamma are swapped: return (dbeta, dgamma)")
            _compare(name, case, want, have, f"shape (D,), a sum over every row of every worker; {SECTION}",
                     [swapped, *mistakes])
    _passed()


def _import_worker(reference: str) -> Callable:
    """The worker named ``"module:function"``, re-read from its file (the notebook may have rewritten it)."""
    module_name, _, name = reference.partition(":")
    module = importlib.reload(importlib.import_module(module_name))
    if not callable(getattr(module, name, None)):
        raise CheckFailed(f"{module.__file__} defines no function {name}: write it in the %%writefile cell")
    return getattr(module, name)


def masked_worker(communicator, *, reference: str, x: np.ndarray, unbiased: bool):
    """Run the student's worker ``reference`` on ``x`` with every row that is not this rank's set to NaN.

    Why: a worker that reads the other ranks' rows (``x.mean(axis=0)``) instead of all-reducing its own sums would
    otherwise pass; with the other rows NaN it returns NaN. A rank's rows are ``np.array_split``'s, as the
    exercise says. Module-level, so that real processes can import it.
    """
    rows = np.array_split(np.arange(len(x)), communicator.world_size)[communicator.rank]
    masked = np.full_like(x, np.nan)
    masked[rows] = x[rows]
    return _import_worker(reference)(communicator, masked, unbiased)


def _compare_ranks(case: str, x: np.ndarray, unbiased: bool, results: list, mistakes: list[Mistake],
                   tolerance: float = 1e-10) -> None:
    expected = (x.mean(axis=0), x.var(axis=0, ddof=int(unbiased)))
    for rank, result in enumerate(results):  # a loop over the few ranks
        mean, var = _parts(result, "mean, var", f"{case}, rank {rank}")
        if "1 worker" not in case and np.isnan(np.asarray(mean, dtype=float)).any():
            _fail(f"Rank {rank}'s mean", case, expected[0], mean, "it is NaN: here every rank's x holds NaN outside "
                  "its own rows, so your worker read rows of other ranks. Take only np.array_split(x, world_size)"
                  "[rank] and all-reduce the sums")
        _compare(f"Rank {rank}'s mean", case, expected[0], mean, "every rank returns the global batch's mean, "
                 f"shape (D,); {SECTION}", mistakes[:1], tolerance=tolerance)
        _compare(f"Rank {rank}'s variance", case, expected[1], var, "every rank returns the global batch's "
                 f"variance, shape (D,), with two all-reduces; {SECTION}", mistakes[1:], tolerance=tolerance)


def check_worker(reference: str) -> None:
    """The worker ``"module:function"``, ``worker(communicator, x, unbiased) -> (mean, var)``: run on 1 worker,
    on 2 and 3 simulated workers, then on 2 real processes (needs torch); every rank must return the global
    batch's statistics to 1e-10."""
    worker = _import_worker(reference)
    rng = np.random.default_rng(804)
    x, unbiased = rng.normal(OFFSET, 2.0, (7, 3)), True
    local = x[:4]  # rank 0's rows with 2 workers (np.array_split)
    mistakes = [(local.mean(axis=0), "that is rank 0's own mean: all-reduce the sums and the counts"),
                (local.var(axis=0, ddof=1), "that is rank 0's own variance: all-reduce Σ(x - μ)² with the global μ")]
    with _own_work(worker, WORKER_BLOCKED):  # one worker, in this thread: its errors show as they are
        alone = worker(SimulatedGroup(1).communicators()[0], x.copy(), unbiased)
    _compare_ranks("1 worker", x, unbiased, [alone], mistakes)
    simulated = {}
    for k in (2, 3):
        case = f"{k} simulated workers, x of shape {x.shape} around {OFFSET:.3g}"
        try:
            with _own_work(worker, WORKER_BLOCKED):
                simulated[k] = run_simulated(masked_worker, k, args={"reference": reference, "x": x,
                                                                     "unbiased": unbiased}, timeout=30)
        except WorkerError as error:
            raise CheckFailed(f"{case}: a worker raised.\n{error.traceback}") from None
        _compare_ranks(case, x, unbiased, simulated[k], mistakes)
    try:
        launched = launch("batchkit.checks.data_parallel:masked_worker", 2,
                          args={"reference": reference, "x": x, "unbiased": unbiased}, timeout=120)
    except TorchMissingError:
        raise TorchMissingError(f"your worker passed on simulated workers; the run on real processes needs torch, "
                                f"which is not installed: {INSTALL_HINT}") from None
    except WorkerError as error:
        raise CheckFailed(f"2 processes: a worker raised.\n{error.traceback}") from None
    _compare_ranks("2 processes", x, unbiased, launched, mistakes)
    for rank, (got, want) in enumerate(zip(launched, simulated[2])):
        _compare(f"Rank {rank}'s variance", "2 processes against 2 simulated workers", np.asarray(want[1]), got[1],
                 "processes and simulated workers add the same numbers: the results should agree", tolerance=1e-10)
    _passed()


def check_prediction(student: Callable[[], str]) -> None:
    """``student() -> name``: a prediction, one of the three networks of lesson 08's batch-norm comparison. Only
    its form is checked: a prediction is worth making whether or not it turns out right."""
    from ..distributed.bn_comparison import BN_KINDS

    got = Student(student, "", BLOCKED)("your prediction")
    if got not in BN_KINDS:
        _fail("The prediction", "your prediction", f"one of {list(BN_KINDS)}", got,
              "return the name of one network, spelled as in the list")
    _passed()
