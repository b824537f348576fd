"""Lesson 06's recipe as functions: the best batch size under the cost model, and the choice under a budget."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchkit.batch_size_choice import best_batch_size, choose_batch_size


@given(b_crit=st.floats(1, 500), fixed=st.floats(1e-5, 1e-2), per_sample=st.floats(1e-8, 1e-4),
       largest=st.integers(1, 4096))
def test_best_batch_size_minimizes_the_time_to_target_over_the_allowed_range(b_crit, fixed, per_sample, largest):
    def time_to_target(b):  # s(b)·t(b) with s_min = 1
        return (1 + b_crit / b) * (fixed + per_sample * b)
    grid = np.geomspace(1, largest, 2000) if largest > 1 else np.array([1.0])
    best = best_batch_size(b_crit, fixed, per_sample, largest)
    assert 1 <= best <= largest
    assert time_to_target(best) <= time_to_target(grid).min() * (1 + 1e-9)


def test_best_batch_size_without_a_cost_per_sample_is_the_largest_that_fits():
    assert best_batch_size(30.0, 1e-4, 0.0, 512) == 512.0
    with pytest.raises(ValueError, match="largest_fitting"):
        best_batch_size(30.0, 1e-4, 1e-6, 0)


def test_choose_batch_size_needs_every_seed_within_the_budget_and_takes_the_smallest_median():
    sizes = [8, 16, 32]
    seconds = np.array([1.0, 1.0, 1.0])
    steps = np.array([[10.0, 6.0, 5.0], [10.0, 6.0, 5.0], [10.0, 30.0, 5.0]])  # b = 16 has one slow seed
    assert choose_batch_size(sizes, seconds, steps, budget_seconds=10.0) == 32
    assert choose_batch_size(sizes, seconds, steps, budget_seconds=4.0) is None
    tie = np.array([[5.0, 5.0, 9.0]])
    assert choose_batch_size(sizes, seconds, tie, budget_seconds=np.inf) == 8  # a tie goes to the smaller batch


def test_choose_batch_size_names_a_shape_mismatch():
    with pytest.raises(ValueError, match="one column per batch size"):
        choose_batch_size([8, 16], np.ones(3), np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match="budget_seconds"):
        choose_batch_size([8], np.ones(1), np.ones((1, 1)), -1.0)
