"""Steps to a target: the checking grid, the training run, tuning over seeds and the McCandlish fit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit.steps_to_target import (TargetRun, checkpoint_steps, fit_steps_model, steps_grid, train_to_target,
                                      training_step, tuned_rate_index)


@settings(max_examples=50, deadline=None)
@given(max_steps=st.integers(1, 50_000), data=st.data())
def test_property_every_step_is_checked_within_five_percent(max_steps, data):
    grid = checkpoint_steps(max_steps)
    assert grid[0] == 1 and grid[-1] == max_steps and np.all(np.diff(grid) > 0)
    step = data.draw(st.integers(1, max_steps))
    first_check = grid[grid >= step][0]
    assert first_check <= 1.05 * step + 1


def test_first_twenty_steps_are_all_checked():
    np.testing.assert_array_equal(checkpoint_steps(1500)[:20], np.arange(1, 21))


def test_run_reaches_an_easy_target_and_is_reproducible():
    run = train_to_target(64, 0.8, target=0.5, max_steps=300, seed=0)
    assert isinstance(run, TargetRun)
    assert run.steps_to_target == run.steps < 300 and not run.diverged
    assert run.validation_accuracy >= 0.5
    assert abs(run.test_accuracy * 449 - round(run.test_accuracy * 449)) < 1e-9  # one evaluation of 449 images
    assert train_to_target(64, 0.8, target=0.5, max_steps=300, seed=0) == run


def test_unreachable_target_gives_inf_and_stops_at_max_steps():
    run = train_to_target(16, 0.025, target=0.99, max_steps=30, seed=1)
    assert run.steps_to_target == float("inf") and run.steps == 30


def test_a_huge_rate_diverges_and_stops_early():
    run = train_to_target(64, 500.0, target=0.93, max_steps=1000, seed=0)
    assert run.diverged and run.steps < 1000 and run.steps_to_target == float("inf")


def test_on_check_sees_step_zero_and_every_check_and_training_loss_criterion():
    seen = []
    run = train_to_target(32, 0.8, target=0.5, max_steps=200, seed=2, criterion="training_loss",
                          on_check=lambda step, model, value: seen.append((step, value)))
    steps = [step for step, _ in seen]
    assert steps[0] == 0 and steps[1:] == list(checkpoint_steps(200)[:len(steps) - 1])
    assert seen[0][1] > 2.0  # cross-entropy of 10 classes at the start, about log 10
    assert seen[-1][1] <= 0.5 and run.steps_to_target == steps[-1]


def test_continuing_past_the_target_keeps_the_first_step_that_met_it():
    stopped = train_to_target(64, 0.8, target=0.5, max_steps=100, seed=0)
    continued = train_to_target(64, 0.8, target=0.5, max_steps=100, seed=0, stop_at_target=False)
    assert continued.steps == 100 and continued.steps_to_target == stopped.steps_to_target


def test_warmup_changes_the_run():
    plain = train_to_target(64, 0.8, target=0.9, max_steps=300, seed=0)
    warm = train_to_target(64, 0.8, target=0.9, max_steps=300, seed=0, warmup_steps=100)
    assert warm.steps_to_target > plain.steps_to_target


@pytest.mark.parametrize("arguments, error, name", [
    ({"learning_rate": 0.0}, ValueError, "learning_rate"), ({"target": 1.5}, ValueError, "target"),
    ({"criterion": "test_accuracy"}, ValueError, "criterion"), ({"batch_size": 0}, ValueError, "batch_size"),
    ({"max_steps": 0}, ValueError, "max_steps"), ({"warmup_steps": -1}, ValueError, "warmup_steps")])
def test_bad_arguments_name_themselves(arguments, error, name):
    settings_ = {"batch_size": 8, "learning_rate": 0.1, "target": 0.9, "max_steps": 10, **arguments}
    with pytest.raises(error, match=name):
        train_to_target(settings_.pop("batch_size"), settings_.pop("learning_rate"), **settings_)


def test_steps_grid_shape_and_tuning_picks_the_smallest_median():
    grid = steps_grid([32, 64], [0.4, 0.8], 0, target=0.8, max_steps=200)
    assert grid.shape == (2, 2)
    steps = np.array([[[10, 5, np.inf]], [[12, 5, 3]], [[11, 6, np.inf]]], dtype=float)  # 3 seeds, 1 size, 3 rates
    np.testing.assert_array_equal(tuned_rate_index(steps), [1])
    tie = np.array([[[4.0, 4.0]], [[4.0, 4.0]]])
    np.testing.assert_array_equal(tuned_rate_index(tie), [0])  # ties go to the smaller rate
    with pytest.raises(ValueError, match="steps"):
        tuned_rate_index(steps[0])


@settings(max_examples=30, deadline=None)
@given(s_min=st.floats(5, 500), b_crit=st.floats(2, 500))
def test_property_fit_recovers_an_exact_curve(s_min, b_crit):
    b = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], dtype=float)
    fitted_s_min, fitted_b_crit = fit_steps_model(b, s_min * (1 + b_crit / b))
    np.testing.assert_allclose([fitted_s_min, fitted_b_crit], [s_min, b_crit], rtol=0.01)


def test_fit_rejects_unreached_targets_and_mismatched_lengths():
    with pytest.raises(ValueError, match="finite"):
        fit_steps_model(np.array([1, 2]), np.array([10.0, np.inf]))
    with pytest.raises(ValueError, match="same length"):
        fit_steps_model(np.array([1, 2, 3]), np.array([10.0, 5.0]))


def test_training_step_trains_on_the_given_samples():
    step = training_step()
    step(np.arange(16))  # runs, and returns nothing
    with pytest.raises(IndexError):
        step(np.array([10_000]))
