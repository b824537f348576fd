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
