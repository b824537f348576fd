"""Lesson 08's experiments on tiny settings: data parallel equals one process (linear regression, and the MLP with
synchronized batch norm), local batch norm does not, every experiment is deterministic, and bad settings are
refused before any work.

Most runs use simulated workers (threads, no torch); one launches real gloo processes.
"""

import os

import numpy as np
import pytest

from batchkit.distributed import model_state, run_simulated
from batchkit.distributed.bn_comparison import (BN_KINDS, BN_SETTINGS, batchnorm_sync_experiment, digits_bn_worker,
                                                single_process_bn)
from batchkit.distributed.experiments import (linear_scaling_runs, one_core, single_vs_parallel_linreg,
                                              standardized_bmi)
from batchkit.distributed.step_time import StepTimes, step_time_split, timed_steps_worker

TORCH_REASON = ('torch is not installed: pip install "batchkit-lessons[distributed]" (CPU build: pip install torch '
                "--index-url https://download.pytorch.org/whl/cpu) to run the real multi-process tests")
TINY_BN = dict(samples=24, epochs=1, seeds=2)  # 24 training digits: 6 steps of 4, 3 of 8
SETTINGS = dict(BN_SETTINGS, epochs=1, samples=48)


def test_standardized_bmi_is_centered_with_unit_spread():
    z, y = standardized_bmi()
    assert z.shape == y.shape == (442,)
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12


def test_simulated_linreg_is_the_single_process_run_at_every_step():
    result = single_vs_parallel_linreg(per_worker_batch=8, epochs=2, simulated=True)
    assert result.max_difference < 1e-10 and result.rank_difference == 0.0
    assert result.theta_parallel.shape == result.theta_single.shape == (2 * 28 + 1, 2)  # ceil(442 / 16) = 28 steps
    assert result.global_batch.sum() == 2 * 442 and result.global_batch[-1] == 442 - 27 * 16
    assert not np.allclose(result.theta_single[0], result.theta_single[-1])  # it did train


def test_real_linreg_is_the_single_process_run_at_every_step():
    pytest.importorskip("torch", reason=TORCH_REASON)
    result = single_vs_parallel_linreg(per_worker_batch=4, epochs=1, workers=2)
    assert result.max_difference < 1e-10 and result.rank_difference == 0.0
    assert len(result.global_batch) == 56 and result.seconds > 0  # ceil(442 / 8)


def test_synchronized_bn_is_the_single_process_network_and_local_bn_is_not():
    runs = {synced: run_simulated(digits_bn_worker, 2, args=dict(per_worker_batch=4, sync_batchnorm=synced, seed=3,
                                                                  **SETTINGS)) for synced in (False, True)}
    reference = model_state(single_process_bn(8, seed=3, **SETTINGS))
    for rank in range(2):  # every rank holds the single process's weights, biases, γ, β and running statistics
        state = runs[True][rank]["state"]
        assert state.keys() == reference.keys()
        assert max(np.max(np.abs(state[name] - value)) for name, value in reference.items()) < 1e-10
    local = runs[False][0]["state"]  # each worker normalized its 4 samples, not the global 8
    assert max(np.max(np.abs(local[name] - value)) for name, value in reference.items()) > 1e-4


@pytest.fixture(scope="module")
def tiny_bn():
    return batchnorm_sync_experiment((2, 4), **TINY_BN)


def test_bn_experiment_shapes_and_the_synchronized_run(tiny_bn):
    assert tiny_bn.per_worker_batches == (2, 4) and tiny_bn.workers == 2 and tiny_bn.epochs == 1
    for part in (tiny_bn.test, tiny_bn.validation):
        assert list(part) == list(BN_KINDS)
        for runs in part.values():
            assert runs.seeds == (0, 1) and runs.values.shape == (2, 2)
            assert np.all((runs.values >= 0) & (runs.values <= 1))
    # 6 and 3 steps: too few for the chaos of global batch 4 to grow rounding (see BatchNormSync.sync_gap)
    assert np.all(tiny_bn.sync_gap.values < 1e-10)
    np.testing.assert_array_equal(tiny_bn.test["synchronized BN"].values, tiny_bn.test["single process"].values)
    np.testing.assert_array_equal(tiny_bn.validation["synchronized BN"].values,
                                  tiny_bn.validation["single process"].values)
    assert tiny_bn.seconds > 0


def test_bn_experiment_is_deterministic_and_reports_each_seed(tiny_bn):
    reported = []
    again = batchnorm_sync_experiment((2, 4), report=lambda seed, result: reported.append((seed, sorted(result))),
                                      **TINY_BN)
    for kind in BN_KINDS:
        np.testing.assert_array_equal(again.test[kind].values, tiny_bn.test[kind].values)
        np.testing.assert_array_equal(again.validation[kind].values, tiny_bn.validation[kind].values)
    assert [seed for seed, _ in reported] == [0, 1] and "gap" in reported[0][1]


@pytest.mark.parametrize("change, error, match", [
    (dict(per_worker_batches=(1, 4)), ValueError, "at least 2 samples"),
    (dict(per_worker_batches=()), ValueError, "at least 2 samples"),
    (dict(per_worker_batches=(2.0,)), TypeError, r"per_worker_batches\[0\]"),
    (dict(workers=0), ValueError, "workers"),
    (dict(epochs=0), ValueError, "epochs"),
    (dict(learning_rate=-1.0), ValueError, "learning_rate"),
    (dict(samples=0), ValueError, "samples"),
    (dict(seeds=0), ValueError, "seeds"),
])
def test_bad_bn_experiment_settings(change, error, match):
    with pytest.raises(error, match=match):
        batchnorm_sync_experiment(**dict(dict(per_worker_batches=(2,), **TINY_BN), **change))


def test_linear_scaling_runs_are_deterministic_and_scaling_helps():
    first = linear_scaling_runs((1, 2), epochs=1, seeds=2)
    second = linear_scaling_runs((1, 2), epochs=1, seeds=2)
    scaled, fixed = first.excess_loss["α = k·α₁"], first.excess_loss["α = α₁"]
    for name, runs in first.excess_loss.items():
        np.testing.assert_array_equal(runs.values, second.excess_loss[name].values)
        assert runs.values.shape == (2, 2) and np.all(runs.values >= 0)
    np.testing.assert_array_equal(scaled.values[:, 0], fixed.values[:, 0])  # one worker: the same rate, same run
    assert np.all(fixed.values[:, 1] > scaled.values[:, 1])  # two workers: half the steps at the same rate
    np.testing.assert_array_equal(first.steps, [111, 56])  # ceil(442 / 4), ceil(442 / 8)


@pytest.mark.parametrize("change, error, match", [
    (dict(workers=(1, 0)), ValueError, r"workers\[1\]"),
    (dict(per_worker_batch=0), ValueError, "per_worker_batch"),
    (dict(base_rate=0.0), ValueError, "base_rate"),
    (dict(epochs=1.5), TypeError, "epochs"),
])
def test_bad_linear_scaling_settings(change, error, match):
    with pytest.raises(error, match=match):
        linear_scaling_runs(**dict(dict(seeds=1), **change))


@pytest.mark.parametrize("change, error, match", [
    (dict(workers=0), ValueError, "workers"),
    (dict(epochs=0), ValueError, "epochs"),
    (dict(learning_rate=float("nan")), ValueError, "learning_rate"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_bad_linreg_comparison_settings_are_refused_before_any_process_starts(change, error, match):
    with pytest.raises(error, match=match):
        single_vs_parallel_linreg(**change)


def test_one_core_pins_the_threads_started_inside_and_restores_the_affinity():
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("thread affinity is a Linux feature")
    before = os.sched_getaffinity(0)
    with one_core():
        inside = run_simulated(lambda communicator: os.sched_getaffinity(0), 2)
    assert all(len(cores) == 1 and cores <= before for cores in inside)
    assert os.sched_getaffinity(0) == before


def test_timed_steps_worker_splits_each_repeat():
    results = run_simulated(timed_steps_worker, 2, args=dict(per_worker_batch=8, steps=3, repeats=2, warmup=1))
    for result in results:
        assert result["compute"].shape == result["communication"].shape == (2,)
        assert np.all(result["compute"] > 0) and np.all(result["communication"] > 0)


def test_step_times_arithmetic():
    times = StepTimes((1, 2), 8, np.array([[1e-3, 1e-3], [2e-3, 3e-3]]), np.array([[0.0, 1e-3], [0.0, 1e-3]]), 19, 1.0)
    np.testing.assert_allclose(times.step, [[1e-3, 2e-3], [2e-3, 4e-3]])
    np.testing.assert_allclose(times.samples_per_second, [[8000, 8000], [4000, 4000]])
    assert "2 workers × b = 8: 2.00 ms compute + 1.00 ms communication per step, 6,000 samples/s" in times.describe()


def test_step_time_split_on_simulated_workers():
    seen = []
    times = step_time_split((1, 2), per_worker_batch=8, steps=2, repeats=2, simulated=True,
                            report=lambda k, result: seen.append(k))
    assert times.compute.shape == times.communication.shape == (2, 2) and seen == [1, 2]
    assert np.all(times.compute > 0) and np.all(times.communication > 0) and times.collectives_per_step == 19
    local = step_time_split((2,), per_worker_batch=8, steps=2, repeats=1, sync_batchnorm=False, simulated=True)
    assert local.collectives_per_step == 1 and local.step.shape == (1, 1)


@pytest.mark.parametrize("change, match", [
    (dict(world_sizes=()), "at least one"),
    (dict(world_sizes=(0,)), r"world_sizes\[0\]"),
    (dict(repeats=0), "repeats"),
    (dict(world_sizes=(1, 2), per_worker_batch=1), "at least 2 samples"),
    (dict(per_worker_batch=1, sync_batchnorm=False), "at least 2 samples"),
])
def test_bad_step_time_settings(change, match):
    with pytest.raises(ValueError, match=match):
        step_time_split(**change)
