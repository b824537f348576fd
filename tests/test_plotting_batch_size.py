"""Lesson 06's figures: they draw what they are given, with labelled axes and a legend."""

import numpy as np
import pytest

from batchkit.plotting.batch_size import (plot_accuracy_replicates, plot_neighbour_comparison, plot_sharpness,
                                          plot_steps_to_target, plot_tuned_rates)
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
