"""Lesson 08's homework checks: the solutions pass, each recognised mistake fails with its hint, batchkit.distributed
and in-place changes are refused, and the worker check runs a module file (on real processes when torch is here)."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

import batchkit.distributed
from batchkit.checks import (CheckFailed, check_average_gradients, check_prediction, check_sync_bn_backward_sums,
                             check_sync_bn_statistics, check_worker)


def average_gradients(local_sums, local_counts):
    return sum(local_sums) / sum(local_counts)


def sync_bn_statistics(shards, unbiased):
    count = sum(len(rows) for rows in shards)
    mean = sum(rows.sum(axis=0) for rows in shards) / count
    squares = sum(((rows - mean) ** 2).sum(axis=0) for rows in shards)
    return mean, squares / (count - 1 if unbiased else count)


def sync_bn_backward_sums(douts, x_hats):
    return sum(d.sum(axis=0) for d in douts), sum((d * x).sum(axis=0) for d, x in zip(douts, x_hats))


def test_the_solutions_pass(capsys):
    check_average_gradients(average_gradients)
    check_sync_bn_statistics(sync_bn_statistics)
    check_sync_bn_backward_sums(sync_bn_backward_sums)
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
    fails(check_sync_bn_statistics, lambda shards, unbiased: (sum(s.sum(axis=0) for s in shards) / len(shards),
                                                             sync_bn_statistics(shards, unbiased)[1]),
          "The mean", "number of workers k")


def test_the_mean_of_local_means_fails_with_its_hint():
    fails(check_average_gradients, lambda sums, counts: np.mean([s / n for s, n in zip(sums, counts)], axis=0),
          "mean of the workers' means", "[", "1]")


def one_pass(shards, unbiased):
    count = sum(len(rows) for rows in shards)
    mean = sum(rows.sum(axis=0) for rows in shards) / count
    var = sum((rows**2).sum(axis=0) for rows in shards) / count - mean**2
    return mean, var * count / (count - 1) if unbiased else var


def test_the_one_pass_variance_fails_only_far_from_zero_with_its_hint():
    message = fails(check_sync_bn_statistics, one_pass, "one-pass", "two rounds")
    assert "around 1e+07" in message


def test_the_wrong_divisor_of_the_variance_fails_with_its_hint():
    def unbiased_always(shards, unbiased):
        return sync_bn_statistics(shards, True)

    def biased_always(shards, unbiased):
        return sync_bn_statistics(shards, False)

    fails(check_sync_bn_statistics, unbiased_always, "unbiased=False", "divide by N - 1")
    fails(check_sync_bn_statistics, biased_always, "unbiased=True", "biased variance")


def test_deviations_from_each_workers_own_mean_fail_with_their_hint():
    def local_means(shards, unbiased):
        count = sum(len(rows) for rows in shards)
        squares = sum(((rows - rows.mean(axis=0)) ** 2).sum(axis=0) for rows in shards)
        return sync_bn_statistics(shards, unbiased)[0], squares / (count - unbiased)

    fails(check_sync_bn_statistics, local_means, "global mean")


def test_wrong_backward_sums_fail_with_their_hints():
    fails(check_sync_bn_backward_sums, lambda douts, x_hats: sync_bn_backward_sums(douts, x_hats)[::-1], "swapped")
    fails(check_sync_bn_backward_sums, lambda douts, x_hats: sync_bn_backward_sums(douts[:1], x_hats[:1]),
          "worker 0's share")
    fails(check_sync_bn_backward_sums,
          lambda douts, x_hats: tuple(s / sum(map(len, douts)) for s in sync_bn_backward_sums(douts, x_hats)),
          "not a mean")


def test_calling_batchkit_distributed_fails():
    def simulated(local_sums, local_counts):
        batchkit.distributed.run_simulated(lambda communicator: None, 2)
        return average_gradients(local_sums, local_counts)

    def synchronized(shards, unbiased):
        batchkit.distributed.SyncBatchNorm(shards[0].shape[1], None)
        return sync_bn_statistics(shards, unbiased)

    fails(check_average_gradients, simulated, "without calling batchkit.distributed.run_simulated")
    fails(check_sync_bn_statistics, synchronized, "without calling batchkit.distributed.SyncBatchNorm")
    assert batchkit.distributed.run_simulated([lambda c: c.rank][0], 2) == [0, 1]  # restored afterwards


def test_in_place_changes_fail():
    def centers_in_place(shards, unbiased):
        mean, var = sync_bn_statistics(shards, unbiased)
        shards[0] -= mean
        return mean, var

    def adds_in_place(douts, x_hats):
        for dout in douts[1:]:
            douts[0] += dout
        return sync_bn_backward_sums([douts[0] - sum(douts[1:])] + douts[1:], x_hats)

    fails(check_sync_bn_statistics, centers_in_place, "`shards` changed in place")
    fails(check_sync_bn_backward_sums, adds_in_place, "`douts` changed in place", "[a.copy() for a in douts]")


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
    return rows.mean(axis=0), rows.var(axis=0, ddof=1)


def ignoring_worker(communicator, x, unbiased):
    return x.mean(axis=0), x.var(axis=0, ddof=int(unbiased))  # the whole batch, no all-reduce at all


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


def test_a_worker_that_reads_every_row_instead_of_all_reducing_fails(worker_module):
    """Each simulated rank sees only its own rows (the others are NaN), so reading them all gives NaN, not the
    answer."""
    fails(check_worker, f"{worker_module}:ignoring_worker", "2 simulated workers", "read rows of other ranks")


def test_a_worker_calling_batchkits_statistics_fails(worker_module):
    fails(check_worker, f"{worker_module}:borrowing_worker", "without calling batchkit.distributed.sync_batchnorm")


def test_a_missing_worker_function_is_named(worker_module):
    fails(check_worker, f"{worker_module}:no_such_worker", "defines no function no_such_worker")


def test_the_worker_passes_on_processes_or_asks_for_torch(worker_module, capsys):
    if importlib.util.find_spec("torch") is None:
        with pytest.raises(batchkit.distributed.TorchMissingError, match="passed on simulated workers.*pip install"):
            check_worker(f"{worker_module}:sync_statistics_worker")
    else:
        check_worker(f"{worker_module}:sync_statistics_worker")
        assert capsys.readouterr().out == "All checks passed.\n"


def test_without_torch_the_worker_check_asks_for_it(worker_module, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # how batchkit's tests hide an installed torch
    with pytest.raises(batchkit.distributed.TorchMissingError, match="passed on simulated workers.*pip install"):
        check_worker(f"{worker_module}:sync_statistics_worker")
