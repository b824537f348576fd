"""Lesson 04's training loop: every batch size, schedules, divergence, Keras semantics."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import batchkit as bk
from batchkit import linreg
from batchkit.training import fit, learning_rates, train


def data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    return x, 1.0 + 2.0 * x + 0.1 * rng.standard_normal(n)


def test_full_batch_step_is_the_posts_update_rule():
    x, y = data()
    theta0 = np.array([0.5, -1.0])
    history = train(x, y, batch_size=len(x), epochs=1, learning_rate=0.1, theta0=theta0)
    np.testing.assert_allclose(history.theta[1], theta0 - 0.1 * linreg.gradient(theta0, x, y), rtol=1e-14)
    assert history.batch_loss[0] == pytest.approx(linreg.loss(theta0, x, y))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 70), st.integers(0, 3), st.booleans(), st.integers(0, 100))
def test_history_shapes_and_bookkeeping(batch_size, epochs, drop_last, seed):
    x, y = data()
    if drop_last and batch_size > len(x):
        return
    history = train(x, y, batch_size=batch_size, epochs=epochs, learning_rate=0.05, drop_last=drop_last, seed=seed,
                    eval_every=7)
    steps = bk.total_steps(len(x), batch_size, epochs, drop_last)
    assert history.steps == steps and history.theta.shape == (steps + 1, 2)
    assert history.epoch_loss.shape == (epochs + 1,)
    assert np.all(np.diff(history.wall_time) >= 0)
    per_epoch = int(bk.batch_sizes(len(x), batch_size, drop_last).sum())
    if steps:
        assert history.samples_seen[-1] == per_epoch * epochs
    np.testing.assert_array_equal(history.eval_steps, np.arange(7, steps + 1, 7))


def test_batches_follow_iter_epochs_with_the_same_seed():
    x, y = data()
    history = train(x, y, batch_size=8, epochs=2, learning_rate=0.1, seed=3)
    theta = np.zeros(2)
    for batches in bk.iter_epochs(len(x), 8, 2, seed=3):
        for index in batches:
            theta = theta - 0.1 * linreg.gradient(theta, x[index], y[index])
    np.testing.assert_allclose(history.theta[-1], theta, rtol=1e-13)


def test_all_batch_sizes_reach_the_optimum():
    x, y = data()
    optimum = linreg.least_squares(x, y)
    for batch_size, epochs in [(len(x), 300), (8, 100), (1, 60)]:
        history = train(x, y, batch_size=batch_size, epochs=epochs, learning_rate=0.1, schedule="inverse_time",
                        decay=0.01, seed=0)
        np.testing.assert_allclose(history.theta[-1], optimum, atol=0.02)


def test_inverse_time_schedule():
    np.testing.assert_allclose(learning_rates(1.0, 4, "inverse_time", decay=1.0), [1, 1 / 2, 1 / 3, 1 / 4])
    np.testing.assert_array_equal(learning_rates(0.5, 3), [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="schedule must be one of 'constant', 'inverse_time'"):
        learning_rates(0.1, 3, "cosine")
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        learning_rates(-0.1, 3)


def test_divergence_is_reported_not_raised_or_warned():
    x, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train(x, y, batch_size=1, epochs=50, learning_rate=5.0, seed=0)
    assert history.diverged_at is not None and history.diverged_at <= history.steps + 1
    assert "diverged at step" in history.describe()
    assert np.all(np.isfinite(history.theta))
    assert history.final_loss == float("inf")
    assert len(history.theta) == history.steps + 1


def test_keras_fit_semantics():
    x, y = data(n=100)
    history = fit(x, y, epochs=5, seed=0)  # batch_size defaults to 32, shuffle to True
    assert history.steps_per_epoch == 4 and history.steps == 20  # ceil(100 / 32) = 4
    same = train(x, y, batch_size=32, epochs=5, learning_rate=2 * 0.01, seed=0)
    np.testing.assert_array_equal(history.theta, same.theta)


def test_bad_arguments():
    x, y = data()
    with pytest.raises(ValueError, match=r"y has shape \(59,\) but X has 60 samples"):
        train(x, y[:-1], batch_size=4, epochs=1, learning_rate=0.1)
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        train(x, y, batch_size=4, epochs=-1, learning_rate=0.1)
    with pytest.raises(TypeError, match="batch_size must be a positive integer"):
        train(x, y, batch_size=4.0, epochs=1, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"theta has shape \(3,\)"):
        train(x, y, batch_size=4, epochs=1, learning_rate=0.1, theta0=np.zeros(3))


def test_wall_time_leaves_out_the_full_data_evaluations(monkeypatch):
    """Only training is clocked: a fake clock that advances only while the loss is evaluated shows zero seconds."""
    import types

    import batchkit.training as training

    now = [0.0]
    real_loss = training.loss

    def slow_loss(*args):  # every evaluation "takes" one second
        now[0] += 1.0
        return real_loss(*args)

    monkeypatch.setattr(training, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    monkeypatch.setattr(training, "loss", slow_loss)
    x, y = data(40)
    history = training.train(x, y, batch_size=4, epochs=3, learning_rate=0.1, seed=0, eval_every=2)
    assert now[0] == len(history.epoch_loss) + len(history.eval_loss)  # the evaluations did run
    np.testing.assert_array_equal(history.wall_time, 0.0)
