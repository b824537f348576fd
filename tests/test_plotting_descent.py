"""Lesson 04's figures: every seed of a replicated comparison, and the comparison per budget of epochs."""

import numpy as np
import pytest

from batchkit.plotting.descent import (plot_budget_comparison, plot_fair_comparison, plot_gradient_noise,
                                       plot_loss_grid)
from batchkit.seeds import Replicates
from batchkit.training import train


def data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 30)
    return x, 1 + 2 * x + 0.2 * rng.standard_normal(30)


def test_fair_comparison_draws_one_run_or_every_seed():
    x, y = data()
    runs = {"one": train(x, y, batch_size=30, epochs=3, learning_rate=0.1, eval_every=1),
            "seeds": [train(x, y, batch_size=3, epochs=3, learning_rate=0.05, seed=s, eval_every=5) for s in range(3)]}
    fig = plot_fair_comparison(runs, min_loss=0.0)
    assert len(fig.axes) == 3
    assert len(fig.axes[0].lines) == 1 + 3 + 1  # one run; three seeds and their median
    assert fig.legends and "median, each of 3 seeds" in fig.legends[0].texts[1].get_text()
    assert fig.axes[2].get_xscale() == "log"


def test_fair_comparison_refuses_seeds_with_different_checks():
    x, y = data()
    group = [train(x, y, batch_size=3, epochs=2, learning_rate=0.05, eval_every=k) for k in (2, 5)]
    with pytest.raises(ValueError, match="must share their eval_steps"):
        plot_fair_comparison({"mixed": group}, 0.0)


def test_budget_comparison_panels_and_floor():
    budgets = [1, 2, 5, 10]
    exact = Replicates((0, 1), np.zeros((2, 4)))
    noisy = Replicates((0, 1), np.array([[5.0, 2.0, 1.0, 0.5], [7.0, 3.0, 0.8, 0.4]]))
    fig = plot_budget_comparison(budgets, {"left": {"a": noisy}, "right": {"a": noisy, "b": exact}}, floor=1e-3)
    assert [ax.get_title() for ax in fig.axes] == ["left", "right"]
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    floored = [line for line in fig.axes[1].lines if line.get_label().startswith("b:")][0]
    np.testing.assert_array_equal(floored.get_ydata(), 1e-3)
    with pytest.raises(ValueError, match="one per budget"):
        plot_budget_comparison([1, 2], {"left": {"a": noisy}})


def test_loss_grid_title():
    fig = plot_loss_grid([1, 4], [0.1, 1.0], np.array([[1.0, np.inf], [2.0, 3.0]]), 0.5, 10.0, title="median of 5")
    assert fig.axes[0].get_title().startswith("median of 5 (")


def test_gradient_noise_figure_draws_every_seed_and_the_prediction():
    sizes = np.array([1, 4, 16])
    predicted = 8.0 / np.sqrt(sizes)
    measured = Replicates((0, 1, 2), predicted * np.array([[0.9], [1.0], [1.1]]))
    ax = plot_gradient_noise(sizes, measured, predicted).axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum(label.startswith("_") for label in labels) == 3  # one thin line per seed
    assert any("median" in label for label in labels) and any("predicted" in label for label in labels)
    assert "mixed units" in ax.get_ylabel()
