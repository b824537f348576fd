"""Plotting functions that no widget test drives with every kind of input."""

import numpy as np
import pytest

from batchkit.plotting import plot_sweep


def test_plot_sweep_draws_every_series_with_a_legend_entry():
    values = [4, 16, 64, 256]
    series = {f"setting {k}": np.arange(4.0) + k for k in range(4)}
    ax = plot_sweep(values, series, "batch size b (samples)", "test accuracy (%)").axes[0]
    assert [line.get_label() for line in ax.get_lines()] == list(series)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == list(series)
    assert len({line.get_color() for line in ax.get_lines()}) == 4
    assert len({line.get_marker() for line in ax.get_lines()}) == 4


def test_plot_sweep_refuses_more_series_than_colours():
    with pytest.raises(ValueError, match="1 to 8 series"):
        plot_sweep([1, 2], {f"s{k}": np.zeros(2) for k in range(9)}, "x", "y")


def test_plot_replicates_draws_every_seed_the_median_and_skips_never_reached():
    from batchkit.plotting import plot_replicates
    from batchkit.seeds import over_seeds

    values = [4, 16, 64]
    steps = over_seeds(lambda seed: np.array([100.0 + seed, 30.0, np.inf if seed == 0 else 20.0]), seeds=5)
    ax = plot_replicates(values, {"steps to target": steps}, "batch size b (samples)", "steps", logy=True).axes[0]
    lines = ax.get_lines()
    assert len(lines) == 5 + 1  # one thin line per seed, then the median
    assert "median, range and each of 5 seeds" in ax.get_legend().get_texts()[0].get_text()
    np.testing.assert_allclose(lines[-1].get_ydata(), [102.0, 30.0, 20.0])
    assert np.isnan(lines[0].get_ydata()[2])  # seed 0 never reached the target at b = 64


def test_plot_replicates_refuses_results_of_the_wrong_length():
    from batchkit.plotting import plot_replicates
    from batchkit.seeds import over_seeds

    with pytest.raises(ValueError, match=r"expected \(3,\)"):
        plot_replicates([1, 2, 3], {"a": over_seeds(lambda seed: np.zeros(2))}, "x", "y")
