"""batchkit.tuning: learning rates tuned per budget of epochs, over seeds; the grid of final losses."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit import linreg
from batchkit.training import train
from batchkit.tuning import RateStudy, final_losses, largest_lowering_rate, rate_study, reported_per_budget


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    return x, 1.0 + 2.0 * x + 0.3 * rng.standard_normal(n)


RATES = [0.001, 0.03, 0.3, 100.0]  # 100 overflows on this data within a few epochs


def test_study_records_excess_loss_per_epoch_rate_and_seed():
    x, y = data()
    study = rate_study(x, y, batch_size=4, learning_rates_=RATES, epochs=12, seeds=3)
    assert study.learning_rates == tuple(RATES) and study.excess.seeds == (0, 1, 2)
    assert study.excess.values.shape == (3, 4, 13)
    min_loss = linreg.loss(linreg.least_squares(x, y), x, y)
    run = train(x, y, batch_size=4, epochs=12, learning_rate=0.03, seed=2)
    np.testing.assert_allclose(study.excess.values[2, 1], np.maximum(run.epoch_loss - min_loss, 0.0))
    assert np.all(study.excess.values >= 0)
    assert np.isinf(study.excess.values[:, 3, -1]).all()  # diverged: inf, never NaN
    np.testing.assert_array_equal(study.after(6, 0.03).values, study.excess.values[:, 1, 6])
    assert study.best_rate(12) != 100.0


def test_best_rate_is_the_lowest_median_for_each_budget():
    x, y = data()
    study = rate_study(x, y, batch_size=8, learning_rates_=RATES, epochs=10, seeds=3)
    for epochs in (1, 4, 10):
        medians = np.median(study.excess.values[:, :, epochs], axis=0)
        assert study.best_rate(epochs) == RATES[int(np.argmin(medians))]
        best = int(np.argmin(medians))
        np.testing.assert_array_equal(study.after(epochs).values, study.excess.values[:, best, epochs])
    budgets = study.best_per_budget([1, 4, 10])
    assert budgets.values.shape == (3, 3)
    np.testing.assert_array_equal(budgets.values[:, 1], study.after(4).values)


def test_reported_per_budget_uses_the_tuned_rate_on_other_seeds():
    x, y = data()
    tuning = rate_study(x, y, batch_size=8, learning_rates_=RATES, epochs=10, seeds=(0, 1, 2))
    picked = sorted({tuning.best_rate(e) for e in (1, 4, 10)})
    reporting = rate_study(x, y, batch_size=8, learning_rates_=picked, epochs=10, seeds=(3, 4, 5))
    reported = reported_per_budget(tuning, reporting, [1, 4, 10])
    assert reported.seeds == (3, 4, 5) and reported.values.shape == (3, 3)
    for k, e in enumerate((1, 4, 10)):
        np.testing.assert_array_equal(reported.values[:, k], reporting.after(e, tuning.best_rate(e)).values)
    with pytest.raises(ValueError, match="learning_rate"):  # a reporting study without the tuned rate
        reported_per_budget(tuning, rate_study(x, y, batch_size=8, learning_rates_=[100.0], epochs=10, seeds=1), [4])


def test_full_batch_runs_are_the_same_on_every_seed():
    x, y = data()
    study = rate_study(x, y, batch_size=40, learning_rates_=[0.1], epochs=5, seeds=4)
    np.testing.assert_allclose(study.excess.values, np.broadcast_to(study.excess.values[:1], (4, 1, 6)), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([1, 3, 8]), st.integers(1, 6), st.booleans(), st.integers(0, 1000))
def test_the_first_epochs_of_a_longer_run_are_a_shorter_run(batch_size, epochs, decaying, seed):
    """What lets one study serve every budget."""
    x, y = data(24)
    options = {"schedule": "inverse_time", "decay": 0.05} if decaying else {}
    short = train(x, y, batch_size=batch_size, epochs=epochs, learning_rate=0.05, seed=seed, **options)
    long = train(x, y, batch_size=batch_size, epochs=epochs + 3, learning_rate=0.05, seed=seed, **options)
    np.testing.assert_array_equal(long.epoch_loss[: epochs + 1], short.epoch_loss)
    np.testing.assert_array_equal(long.theta[: short.steps + 1], short.theta)


def test_largest_lowering_rate():
    rates = [0.01, 0.1, 1.0]
    final = np.array([[5.0, 8.0, np.inf], [5.0, 12.0, 9.0], [np.inf, np.inf, np.inf]])
    np.testing.assert_array_equal(largest_lowering_rate(rates, final, start_loss=10.0), [0.1, 1.0, 0.0])
    stacked = np.stack([final, final[::-1]])  # (seeds, batch sizes, rates)
    assert largest_lowering_rate(rates, stacked, 10.0).shape == (2, 3)
    with pytest.raises(ValueError, match="one column per learning rate"):
        largest_lowering_rate(rates, final[:, :2], 10.0)


def test_final_losses_grid():
    x, y = data()
    grid = final_losses(x, y, batch_sizes=[1, 40], learning_rates_=[0.01, 100.0], epochs=100, seed=1)
    assert grid.shape == (2, 2) and np.isinf(grid[:, 1]).all()
    assert grid[1, 0] == train(x, y, batch_size=40, epochs=100, learning_rate=0.01, seed=1).final_loss


def test_bad_arguments():
    x, y = data()
    with pytest.raises(ValueError, match="learning_rates_ must hold at least one"):
        rate_study(x, y, batch_size=4, learning_rates_=[], epochs=3)
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        rate_study(x, y, batch_size=4, learning_rates_=[0.1], epochs=-1)
    study = rate_study(x, y, batch_size=4, learning_rates_=[0.1], epochs=2, seeds=2)
    assert isinstance(study, RateStudy)
    with pytest.raises(ValueError, match="epochs must be at most 2"):
        study.best_rate(3)
    with pytest.raises(ValueError, match="learning_rate must be one of the candidates"):
        study.after(1, 0.5)
