"""batchkit.seeds: replicates over seeds, their summary and their comparison."""

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import batchkit.seeds
from batchkit.seeds import DEFAULT_SEEDS, Replicates, over_seeds

finite = st.floats(-1e6, 1e6, allow_nan=False)


def test_the_module_example_runs():
    assert doctest.testmod(batchkit.seeds).failed == 0


def test_runs_once_per_seed_in_order_and_reports_each():
    seen = []
    runs = over_seeds(lambda seed: 10.0 * seed, seeds=[3, 1, 4], report=lambda seed, value: seen.append((seed, value)))
    assert runs.seeds == (3, 1, 4)
    np.testing.assert_array_equal(runs.values, [30.0, 10.0, 40.0])
    assert seen == [(3, 30.0), (1, 10.0), (4, 40.0)]


def test_a_count_means_seeds_from_zero_and_the_default_is_five():
    assert over_seeds(float, seeds=3).seeds == (0, 1, 2)
    assert over_seeds(float).seeds == DEFAULT_SEEDS == (0, 1, 2, 3, 4)


@settings(max_examples=50, deadline=None)
@given(st.lists(finite, min_size=1, max_size=9))
def test_summary_is_median_min_and_max(values):
    runs = over_seeds(lambda seed: values[seed], seeds=len(values))
    assert runs.median == pytest.approx(np.median(values))
    assert runs.low == min(values) and runs.high == max(values)
    assert runs.low <= runs.median <= runs.high


def test_curves_are_summarized_pointwise_and_can_be_indexed():
    runs = over_seeds(lambda seed: np.array([seed, 2.0 * seed, 3.0]), seeds=5)
    np.testing.assert_array_equal(runs.median, [2.0, 4.0, 3.0])
    np.testing.assert_array_equal(runs.low, [0.0, 0.0, 3.0])
    assert runs[1].describe("{:g}") == "median 4 (range 0 to 8, 5 seeds)"
    with pytest.raises(ValueError, match="one number per seed"):
        runs.describe()


def test_dict_results_become_one_replicates_per_key():
    runs = over_seeds(lambda seed: {"train": 1.0 + seed, "test": float(seed)}, seeds=5)
    assert set(runs) == {"train", "test"}
    assert runs["train"].wins_over(runs["test"]) == 5
    assert runs["test"].wins_over(runs["train"]) == 0


def test_overlap_follows_the_ranges():
    a = Replicates((0, 1), np.array([1.0, 2.0]))
    assert a.overlaps(Replicates((0, 1), np.array([2.0, 3.0])))
    assert not a.overlaps(Replicates((0, 1), np.array([2.5, 3.0])))
    curves = Replicates((0, 1), np.array([[0.0, 5.0], [1.0, 6.0]]))
    np.testing.assert_array_equal(curves.overlaps(Replicates((0, 1), np.array([[1.0, 9.0], [2.0, 9.0]]))),
                                  [True, False])


def test_inf_stands_for_never_reached():
    runs = over_seeds(lambda seed: [3.0, 5.0, np.inf, 4.0, np.inf][seed])
    assert runs.median == 5.0 and runs.high == np.inf


def test_results_are_read_only():
    runs = over_seeds(float, seeds=2)
    with pytest.raises(ValueError):
        runs.values[0] = 1.0


@pytest.mark.parametrize("seeds, error, match", [
    (0, ValueError, "seeds must be a positive integer"),
    (True, TypeError, "seeds must be a number of seeds"),
    ("abc", TypeError, "seeds must be a number of seeds"),
    ([], ValueError, "non-empty"),
    ([1, -2], ValueError, "non-negative"),
    ([1.5], ValueError, "int seeds"),
    ([1, 1], ValueError, "must not repeat"),
])
def test_bad_seeds_are_rejected_before_any_run(seeds, error, match):
    calls = []
    with pytest.raises(error, match=match):
        over_seeds(calls.append, seeds=seeds)
    assert calls == []


def test_nan_shape_and_key_mismatches_name_the_problem():
    with pytest.raises(ValueError, match=r"NaN for seeds \[1\]"):
        over_seeds(lambda seed: [1.0, np.nan][seed], seeds=2)
    with pytest.raises(ValueError, match="same shape"):
        over_seeds(lambda seed: np.zeros(seed + 1), seeds=2)
    with pytest.raises(ValueError, match="same keys"):
        over_seeds(lambda seed: {f"k{seed}": 1.0}, seeds=2)


def test_wins_over_needs_the_same_seeds():
    with pytest.raises(ValueError, match="seeds differ"):
        Replicates((0, 1), np.zeros(2)).wins_over(Replicates((2, 3), np.zeros(2)))
