"""Lesson 08's homework checks: the solutions pass, each recognised mistake fails with its hint, batchkit.distributed
and in-place changes are refused, and the worker check runs a module file (on real processes when torch is here),
saying what to do when the file is missing or the workers hang."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import numpy as np
import pytest

import batchkit.distributed
from batchkit.checks import (CheckFailed, check_average_gradients, check_combine_statistics, check_prediction,
                             check_sync_bn_backward, check_worker)
from batchkit.checks import worker as worker_checks

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="needs torch: " + batchkit.distributed.INSTALL_HINT)


def average_gradients(local_sums, local_counts):
    return sum(local_sums) / sum(local_counts)


def combine_statistics(counts, means, variances, unbiased):
    count = sum(counts)
    mean = sum(n * m for n, m in zip(counts, means)) / count
    squares = sum(n * (v + (m - mean) ** 2) for n, m, v in zip(counts, means, variances))
    return mean, squares / (count - 1 if unbiased else count)


def sync_bn_backward(douts, x_hats, gamma, inv_std):
    dbeta = sum(d.sum(axis=0) for d in douts)
    dgamma = sum((d * x).sum(axis=0) for d, x in zip(douts, x_hats))
    count = sum(len(d) for d in douts)
    dxs = [gamma * inv_std * (d - (dbeta + x * dgamma) / count) for d, x in zip(douts, x_hats)]
    return dxs, dgamma, dbeta


def test_the_solutions_pass(capsys):
    check_average_gradients(average_gradients)
    check_combine_statistics(combine_statistics)
    check_sync_bn_backward(sync_bn_backward)
    check_prediction(lambda: "local BN")
    assert capsys.readouterr().out == "All checks passed.\n" * 4


def fails(check, student, *hint_words):
    with pytest.raises(CheckFailed) as failure:
        check(student)
    for words in hint_words:
        assert words in str(failure.value), str(failure.value)
    return str(failure.value)


def test_dividing_by_k_fails_with_its_hint():
    fails(check_average_gradients, lambda sums, counts: sum(sums) / len(sums), "number of workers k")
    fails(check_combine_statistics,
          lambda counts, means, variances, unbiased: (sum(n * m for n, m in zip(counts, means)) / len(counts),
                                                      combine_statistics(counts, means, variances, unbiased)[1]),
          "The mean", "number of workers k")


def test_the_mean_of_local_means_fails_with_its_hint():
    fails(check_average_gradients, lambda sums, counts: np.mean([s / n for s, n in zip(sums, counts)], axis=0),
          "mean of the workers' means", "[", "1]")
    fails(check_combine_statistics, lambda counts, means, variances, unbiased: (
        np.mean(means, axis=0), combine_statistics(counts, means, variances, unbiased)[1]),
        "The mean", "mean of the workers' means", "weight each mean by its count")


def one_pass(counts, means, variances, unbiased):
    """Σx² rebuilt from each worker's mean and variance, then Σx²/N - μ²: right near 0, wrong far from it."""
    count = sum(counts)
    mean = sum(n * m for n, m in zip(counts, means)) / count
    var = sum(n * (v + m**2) for n, m, v in zip(counts, means, variances)) / count - mean**2
    return mean, var * count / (count - 1) if unbiased else var


def test_the_one_pass_variance_fails_only_far_from_zero_with_its_hint():
    message = fails(check_combine_statistics, one_pass, "right for data near 0, wrong far from it")
    assert "around 1e+07" in message


def test_the_wrong_divisor_of_the_variance_fails_with_its_hint():
    def unbiased_always(counts, means, variances, unbiased):
        return combine_statistics(counts, means, variances, True)

    def biased_always(counts, means, variances, unbiased):
        return combine_statistics(counts, means, variances, False)

    fails(check_combine_statistics, unbiased_always, "unbiased=False", "divide by N - 1")
    fails(check_combine_statistics, biased_always, "unbiased=True", "biased variance")


def _variance(squares_of):
    """A combination with the right mean and the variance ``squares_of(counts, means, variances, mean)`` divided by
    N or N - 1."""
    def combine(counts, means, variances, unbiased):
        mean = combine_statistics(counts, means, variances, unbiased)[0]
        return mean, squares_of(counts, means, variances, mean) / (sum(counts) - unbiased)
    return combine


@pytest.mark.parametrize(("wrong", "hint"), [
    (_variance(lambda c, m, v, mu: sum(n * s for n, s in zip(c, v))), "spread of the workers' means around the global"),
    (_variance(lambda c, m, v, mu: sum(n * s + (a - mu) ** 2 for n, a, s in zip(c, m, v))), "weight it by N_r"),
    (_variance(lambda c, m, v, mu: sum((n - 1) * s + n * (a - mu) ** 2 for n, a, s in zip(c, m, v))),
     "the variances given are biased"),
    (lambda counts, means, variances, unbiased: (combine_statistics(counts, means, variances, unbiased)[0],
                                                 np.mean(variances, axis=0)), "means around"),  # equal shards first
], ids=["no between-worker term", "unweighted between-worker term", "variances read as unbiased",
        "average of the variances"])
def test_a_wrong_combination_of_the_variances_fails_with_its_hint(wrong, hint):
    fails(check_combine_statistics, wrong, "The variance", hint)


def test_wrong_backward_sums_fail_with_their_hints():
    def returning(dgamma_of, dbeta_of):
        def backward(douts, x_hats, gamma, inv_std):
            dxs, dgamma, dbeta = sync_bn_backward(douts, x_hats, gamma, inv_std)
            return dxs, dgamma_of(dgamma, dbeta, douts), dbeta_of(dgamma, dbeta, douts)
        return backward

    fails(check_sync_bn_backward, returning(lambda g, b, d: b, lambda g, b, d: g), "swapped")
    fails(check_sync_bn_backward, returning(lambda g, b, d: g, lambda g, b, d: d[0].sum(axis=0)), "dbeta",
          "worker 0's share")
    fails(check_sync_bn_backward, returning(lambda g, b, d: g / sum(map(len, d)), lambda g, b, d: b), "dgamma",
          "not a mean")


def _dx_of(rule):
    """A backward with the right sums and each worker's dx from ``rule(dout_r, x_hat_r, dgamma, dbeta, N)``."""
    def backward(douts, x_hats, gamma, inv_std):
        _, dgamma, dbeta = sync_bn_backward(douts, x_hats, gamma, inv_std)
        count = sum(len(d) for d in douts)
        return [gamma * inv_std * rule(d, x, dgamma, dbeta, count) for d, x in zip(douts, x_hats)], dgamma, dbeta
    return backward


@pytest.mark.parametrize(("wrong", "hint"), [
    (_dx_of(lambda d, x, dg, db, n: d - (db + x * dg) / len(d)), "divides the global sums by worker"),
    (_dx_of(lambda d, x, dg, db, n: d - (d.sum(axis=0) + x * (d * x).sum(axis=0)) / len(d)),
     "local batch norm's backward"),
    (_dx_of(lambda d, x, dg, db, n: d - (d.sum(axis=0) + x * (d * x).sum(axis=0)) / n), "own sums of dout"),
], ids=["own count", "local backward", "own sums"])
def test_a_wrong_dx_fails_with_its_hint(wrong, hint):
    fails(check_sync_bn_backward, wrong, "dx", hint)


def test_a_dx_that_ignores_gamma_or_one_array_for_all_workers_fails():
    def no_gamma(douts, x_hats, gamma, inv_std):
        dxs, dgamma, dbeta = sync_bn_backward(douts, x_hats, np.ones_like(gamma), inv_std)
        return dxs, dgamma, dbeta

    def joined(douts, x_hats, gamma, inv_std):
        dxs, dgamma, dbeta = sync_bn_backward(douts, x_hats, gamma, inv_std)
        return np.concatenate(dxs), dgamma, dbeta

    fails(check_sync_bn_backward, no_gamma, "ignores its `gamma` argument", "Gamma is missing")
    fails(check_sync_bn_backward, joined, "return one dx per worker")


def test_calling_batchkit_fails():
    def simulated(local_sums, local_counts):
        batchkit.distributed.run_simulated(lambda communicator: None, 2)
        return average_gradients(local_sums, local_counts)

    def synchronized(counts, means, variances, unbiased):
        batchkit.distributed.SyncBatchNorm(len(means[0]), None)
        return combine_statistics(counts, means, variances, unbiased)

    def borrowed_backward(douts, x_hats, gamma, inv_std):
        batchkit.batchnorm.batchnorm_backward(douts[0], None)
        return sync_bn_backward(douts, x_hats, gamma, inv_std)

    fails(check_average_gradients, simulated, "without calling batchkit.distributed.run_simulated")
    fails(check_combine_statistics, synchronized, "without calling batchkit.distributed.SyncBatchNorm")
    fails(check_sync_bn_backward, borrowed_backward, "without calling batchkit.batchnorm.batchnorm_backward")
    assert batchkit.distributed.run_simulated([lambda c: c.rank][0], 2) == [0, 1]  # restored afterwards


def test_in_place_changes_fail():
    def centers_in_place(counts, means, variances, unbiased):
        mean, var = combine_statistics(counts, means, variances, unbiased)
        means[0] -= mean
        return mean, var

    def adds_in_place(douts, x_hats, gamma, inv_std):
        result = sync_bn_backward(douts, x_hats, gamma, inv_std)
        douts[0] *= 2
        return result

    fails(check_combine_statistics, centers_in_place, "`means` changed in place")
    fails(check_sync_bn_backward, adds_in_place, "`douts` changed in place", "[a.copy() for a in douts]")


def test_a_prediction_must_name_a_network():
    fails(check_prediction, lambda: "BN", "one of ['local BN'")


WORKER = '''
import numpy as np


def sync_statistics_worker(communicator, x, unbiased):
    rows = np.array_split(x, communicator.world_size)[communicator.rank]
    first = communicator.all_reduce_sum(np.concatenate([rows.sum(axis=0), [len(rows)]]))
    mean = first[:-1] / first[-1]
    squares = communicator.all_reduce_sum(((rows - mean) ** 2).sum(axis=0))
    return mean, squares / (first[-1] - 1 if unbiased else first[-1])


def local_worker(communicator, x, unbiased):
    rows = np.array_split(x, communicator.world_size)[communicator.rank]
    return rows.mean(axis=0), rows.var(axis=0, ddof=int(unbiased))


def always_unbiased_worker(communicator, x, unbiased):
    mean, var = sync_statistics_worker(communicator, x, True)
    return mean, var


def ignoring_worker(communicator, x, unbiased):
    return x.mean(axis=0), x.var(axis=0, ddof=int(unbiased))  # the whole batch, no all-reduce at all


def gathering_worker(communicator, x, unbiased):
    """One all-reduce, as PyTorch's SyncBatchNorm: each rank's (N_r, mean_r, var_r) in its own row of a zero array
    (an all-gather), combined as in part 2b."""
    rows = np.array_split(x, communicator.world_size)[communicator.rank]
    table = np.zeros((communicator.world_size, 1 + 2 * x.shape[1]))
    table[communicator.rank] = np.concatenate([[len(rows)], rows.mean(axis=0), rows.var(axis=0)])
    table = communicator.all_reduce_sum(table)
    counts, means, variances = table[:, :1], table[:, 1:1 + x.shape[1]], table[:, 1 + x.shape[1]:]
    count = counts.sum()
    mean = (counts * means).sum(axis=0) / count
    squares = (counts * (variances + (means - mean) ** 2)).sum(axis=0)
    return mean, squares / (count - 1 if unbiased else count)


def rank_zero_asks_once_more(communicator, x, unbiased):
    """Rank 0 makes one all-reduce more than the others, at the end: it waits for them in vain."""
    result = sync_statistics_worker(communicator, x, unbiased)
    if communicator.rank == 0:
        communicator.all_reduce_sum(np.zeros(1))
    return result


def rank_zero_asks_first(communicator, x, unbiased):
    """Rank 0 makes an extra all-reduce first: the ranks' calls no longer pair up."""
    if communicator.rank == 0:
        communicator.all_reduce_sum(np.zeros(1))
    return sync_statistics_worker(communicator, x, unbiased)


def hangs_on_processes(communicator, x, unbiased):
    """Right on threads; on real processes rank 1 never arrives (as if it were stuck)."""
    import time
    if type(communicator).__name__ == "TorchCommunicator" and communicator.rank == 1:
        time.sleep(60)
    return sync_statistics_worker(communicator, x, unbiased)


def borrowing_worker(communicator, x, unbiased):
    from batchkit.distributed.sync_batchnorm import global_mean_var
    rows = np.array_split(x, communicator.world_size)[communicator.rank]
    mean, var, count = global_mean_var(communicator, rows)
    return mean, var * count / (count - 1)
'''


@pytest.fixture
def worker_module(tmp_path, monkeypatch):
    (tmp_path / "hw08_test_worker.py").write_text(WORKER)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "hw08_test_worker"
    sys.modules.pop("hw08_test_worker", None)


def test_a_worker_with_only_its_own_rows_fails_on_simulated_workers(worker_module):
    message = fails(check_worker, f"{worker_module}:local_worker", "2 simulated workers", "rank 0's own mean")
    assert "processes" not in message.splitlines()[0]


def test_a_worker_that_ignores_unbiased_fails(worker_module):
    fails(check_worker, f"{worker_module}:always_unbiased_worker", "1 worker, unbiased=False")


def test_a_worker_that_reads_every_row_instead_of_all_reducing_fails(worker_module):
    """Each simulated rank sees only its own rows (the others are NaN), so reading them all gives NaN, not the
    answer."""
    fails(check_worker, f"{worker_module}:ignoring_worker", "2 simulated workers", "read rows of other ranks")


def test_a_worker_calling_batchkits_statistics_fails(worker_module):
    fails(check_worker, f"{worker_module}:borrowing_worker", "without calling batchkit.distributed.sync_batchnorm")


def test_a_missing_worker_file_says_to_run_the_writefile_cell():
    message = fails(check_worker, "hw08_no_such_file:sync_statistics_worker", "no worker file hw08_no_such_file.py",
                    "Run the %%writefile cell above first")
    assert "Traceback" not in message


def test_a_worker_file_deleted_after_its_import_says_to_run_the_writefile_cell(tmp_path, monkeypatch):
    """The notebook's first cell deletes the file, but the kernel may still hold the module of an earlier run."""
    (tmp_path / "hw08_deleted_worker.py").write_text(WORKER)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module("hw08_deleted_worker")
        (tmp_path / "hw08_deleted_worker.py").unlink()
        fails(check_worker, "hw08_deleted_worker:sync_statistics_worker", "Run the %%writefile cell above first")
    finally:
        sys.modules.pop("hw08_deleted_worker", None)


def test_a_worker_file_importing_a_missing_package_is_named(tmp_path, monkeypatch):
    (tmp_path / "hw08_importing_worker.py").write_text("import no_such_package_hw08\n" + WORKER)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        fails(check_worker, "hw08_importing_worker:sync_statistics_worker", "imports 'no_such_package_hw08'",
              "import only numpy")
    finally:
        sys.modules.pop("hw08_importing_worker", None)


def test_a_rank_waiting_in_an_all_reduce_the_others_never_reach_is_named(worker_module, monkeypatch):
    monkeypatch.setattr(worker_checks, "SIMULATED_TIMEOUT", 2.0)
    message = fails(check_worker, f"{worker_module}:rank_zero_asks_once_more", "2 simulated workers",
                    "did not finish within 2 s", "an all-reduce that the other ranks never reach")
    assert "Traceback" not in message


def test_all_reduce_calls_that_do_not_pair_up_are_named(worker_module):
    message = fails(check_worker, f"{worker_module}:rank_zero_asks_first", "2 simulated workers",
                    "arrays of different shapes", "every rank must make the same all_reduce_sum calls")
    assert "Traceback" not in message


@needs_torch
def test_workers_that_hang_on_processes_are_named(worker_module, monkeypatch):
    monkeypatch.setattr(worker_checks, "PROCESS_TIMEOUT", 12.0)
    message = fails(check_worker, f"{worker_module}:hangs_on_processes", "2 processes", "did not finish within 12 s",
                    "never reach")
    assert "Traceback" not in message


def test_a_missing_worker_function_is_named(worker_module):
    fails(check_worker, f"{worker_module}:no_such_worker", "defines no function no_such_worker")


@pytest.mark.parametrize("name", ["sync_statistics_worker", "gathering_worker"])
def test_the_worker_passes_on_processes_or_asks_for_torch(worker_module, capsys, name):
    if not HAS_TORCH:
        with pytest.raises(batchkit.distributed.TorchMissingError, match="passed on simulated workers.*pip install"):
            check_worker(f"{worker_module}:{name}")
    else:
        check_worker(f"{worker_module}:{name}")
        assert capsys.readouterr().out == "All checks passed.\n"


def test_without_torch_the_worker_check_asks_for_it(worker_module, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # how batchkit's tests hide an installed torch
    with pytest.raises(batchkit.distributed.TorchMissingError, match="passed on simulated workers.*pip install"):
        check_worker(f"{worker_module}:sync_statistics_worker")


def test_the_statistics_in_the_wrong_order_are_named():
    fails(check_combine_statistics, lambda counts, means, variances, unbiased: tuple(
        reversed(combine_statistics(counts, means, variances, unbiased))), "order (mean, var)")


def test_variances_made_unbiased_before_pooling_are_named():
    def unbiased_first(counts, means, variances, unbiased):
        mean = combine_statistics(counts, means, variances, unbiased)[0]
        squares = sum(n * (n / (n - 1) * v + (m - mean) ** 2) for n, m, v in zip(counts, means, variances))
        return mean, squares / (sum(counts) - 1 if unbiased else sum(counts))
    fails(check_combine_statistics, unbiased_first, "making them unbiased first")
