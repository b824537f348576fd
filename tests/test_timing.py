"""The throughput helper: behaviour only (shapes, order, settings), never speed."""

import numpy as np
import pytest

from batchkit.timing import NeighbourComparison, compare_with_neighbours, interleaved_seconds, measure_throughput


def test_shapes_order_and_settings():
    calls = []
    methods = {"a": lambda batch: calls.append(("a", len(batch))), "b": lambda batch: calls.append(("b", len(batch)))}
    result = measure_throughput(methods, lambda b: np.zeros((b, 2)), [1, 4, 2], repeats=3, warmup=2, seed=0)
    np.testing.assert_array_equal(result.batch_sizes, [1, 4, 2])
    for name in methods:
        assert result.median[name].shape == (3,)
        assert np.all(result.q1[name] <= result.median[name]) and np.all(result.median[name] <= result.q3[name])
        assert np.all(result.median[name] > 0)
    assert len(calls) == 2 * 3 * (3 + 2)
    assert result.settings["repeats"] == 3 and result.settings["warmup"] == 2 and "numpy" in result.settings
    assert {"machine", "processor", "cores", "blas", "blas_threads"} <= set(result.settings)
    timed = calls[2 * 3 * 2:]
    assert timed[:6] != sorted(timed[:6]) or timed[6:12] != timed[:6], "repeats should be interleaved in random order"


def test_bad_arguments():
    with pytest.raises(ValueError, match="methods is empty"):
        measure_throughput({}, lambda b: np.zeros(b), [1])
    with pytest.raises(ValueError, match=r"batch_sizes\[i\] must be a positive integer"):
        measure_throughput({"a": len}, lambda b: np.zeros(b), [0])


def test_peak_memory_grows_with_the_batch():
    from batchkit.timing import peak_memory

    def step(batch):
        hidden = batch @ np.ones((batch.shape[1], 256))  # an activation of 256 float64 per sample
        return hidden.sum()

    small, large = (peak_memory(step, np.ones((b, 8))) for b in (100, 1000))
    assert small >= 100 * 256 * 8 and large >= 1000 * 256 * 8
    assert 8 < large / small < 12


def test_blas_limit_says_whether_it_applied():
    from batchkit.timing import blas_thread_limit

    with blas_thread_limit(None) as pinned:
        assert pinned is False
    with blas_thread_limit(1) as pinned:
        assert isinstance(pinned, bool)


def test_interleaved_seconds_times_every_call_once_per_round():
    calls = []
    timed = interleaved_seconds([(calls.append, "a"), (calls.append, "b")], repeats=4, warmup=1, seed=0)
    assert timed.shape == (2, 4) and np.all(timed >= 0)
    assert calls[:2] == ["a", "b"]  # warm-up first, in order
    rounds = [sorted(calls[2 + 2 * r: 4 + 2 * r]) for r in range(4)]
    assert rounds == [["a", "b"]] * 4  # then each round makes every call once
    with pytest.raises(ValueError, match="calls is empty"):
        interleaved_seconds([], repeats=1)
    with pytest.raises(ValueError, match="warmup"):
        interleaved_seconds([(len, "a")], repeats=1, warmup=-1)


def test_compare_with_neighbours_times_b_its_neighbours_and_b_again():
    sizes_seen = []
    result = compare_with_neighbours(lambda batch: sizes_seen.append(len(batch)), lambda b: np.zeros((b, 2)),
                                     [4, 8], repeats=3)
    assert isinstance(result, NeighbourComparison)
    assert result.relative.shape == result.noise_floor.shape == (2, 3)
    assert np.all(np.isfinite(result.relative)) and np.all(result.relative > -1)
    assert sorted(set(sizes_seen)) == [3, 4, 5, 7, 8, 9]
    assert sizes_seen.count(4) == 3 * sizes_seen.count(3)  # b is timed three times for each neighbour timing
    assert result.settings["repeats"] == 3
    with pytest.raises(ValueError, match="batch_sizes"):
        compare_with_neighbours(len, lambda b: np.zeros(b), [1])
