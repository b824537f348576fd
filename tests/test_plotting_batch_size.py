"""Lesson 06's figures: they draw what they are given, with labelled axes and a legend."""

import numpy as np
import pytest

from batchkit.plotting.batch_size import (plot_accuracy_replicates, plot_neighbour_comparison, plot_sharpness,
                                          plot_steps_to_target, plot_tuned_rates, plot_warmup_sharpness)
from batchkit.seeds import Replicates
from batchkit.timing import NeighbourComparison


def replicates(values):
    return Replicates((0, 1, 2), np.asarray(values, dtype=float))


def labelled(fig):
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    legend = ax.get_legend() or (fig.legends[0] if fig.legends else None)
    assert legend is not None and len(legend.get_texts()) >= 2
    return ax


def test_neighbour_comparison_spaces_sizes_evenly():
    comparison = NeighbourComparison(np.array([32, 48, 64]), np.zeros((3, 5)), np.ones((3, 5)) * 0.1)
    ax = labelled(plot_neighbour_comparison(comparison, title="t"))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["32", "48", "64"]
    assert "%" in ax.get_ylabel()


def test_steps_to_target_draws_the_fit_and_the_noise_band():
    steps = replicates([[100, 50, 30, 25], [110, 55, 28, 24], [90, 45, 33, 26]])
    noise = replicates([[10, 20], [15, 30], [12, np.inf]])
    ax = labelled(plot_steps_to_target([1, 2, 4, 8], steps, "steps", fit=(20.0, 4.0), noise_scales=noise))
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    assert any("b_crit = 4" in t.get_text() for t in ax.get_legend().get_texts())
    assert any("steps twice s_min" in t.get_text() for t in ax.get_legend().get_texts())  # the vertical line
    assert any("10 to 30" in t.get_text() for t in ax.get_legend().get_texts())


def test_tuned_rates_and_sharpness_and_accuracies():
    rates = replicates([[0.1, 0.2, 0.4], [0.1, 0.2, 0.2], [0.05, 0.2, 0.4]])
    labelled(plot_tuned_rates([1, 2, 4], rates, 2, 0.2, replicates([0.7, 0.8, 0.9])))
    ax = labelled(plot_sharpness([0, 10, 20], replicates([[2, 3, 2], [2, 2.5, 1.5], [2.2, 2.8, 1.8]]),
                                 {"a": 0.8, "b": 3.2}))
    assert ax.get_ylim()[1] > 3
    ax = labelled(plot_accuracy_replicates([1, 4], {"train": replicates([[0.99, 0.98]] * 3),
                                                    "test": replicates([[0.97, 0.96]] * 3)}, "accuracy"))
    assert ax.get_ylim() == pytest.approx((0.9, 1.0))


def test_warmup_sharpness_draws_the_limit_of_the_rising_rate_and_the_accuracy():
    steps = [1, 10, 100, 1000]
    sharpness = replicates([[2, 3, -0.001, 0.5], [2, 4, 1, 0.6], [2.5, 3, 2, 0.4]])  # one value at about 0
    accuracy = replicates([[0.1, 0.8, 0.1, 0.9], [0.1, 0.7, 0.2, 0.93], [0.2, 0.8, 0.1, 0.9]])
    rates = 3.2 * np.minimum(1.0, np.array(steps) / 100)
    fig = plot_warmup_sharpness(steps, sharpness, rates, accuracy, warmup_steps=100, target=0.93)
    top, bottom = fig.axes
    assert top.get_yscale() == "log" and bottom.get_xscale() == "log"
    assert top.get_ylabel() and bottom.get_xlabel() and bottom.get_ylabel()
    assert len(top.get_legend().get_texts()) == 3 and len(bottom.get_legend().get_texts()) == 2
    limit = next(line for line in top.get_lines() if line.get_linestyle() == "--")
    np.testing.assert_allclose(limit.get_ydata(), 2 / rates)
    assert min(np.min(line.get_ydata()) for line in top.get_lines()[:3]) == 0.01  # floored for the log axis
