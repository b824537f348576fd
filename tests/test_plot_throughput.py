"""plot_throughput: array rates (lesson 06) and replicated rates, every repeat drawn (lesson 02)."""

import numpy as np

from batchkit.plotting import plot_throughput
from batchkit.seeds import over_seeds


def tick_labels(ax):
    return [label.get_text() for label in ax.get_xticklabels()]


def test_replicated_rates_draw_every_repeat_and_the_median_with_the_legend_below_the_axes():
    sizes = [1, 2, 4, 8, 16]
    rates = over_seeds(lambda seed: {"loop": 1e4 + seed + np.zeros(5), "batched": 1e3 * np.arange(1.0, 6.0) + seed},
                       seeds=5)
    fig = plot_throughput(sizes, rates, title="t")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 * (5 + 1)  # per method: one thin line per repeat, then the median
    np.testing.assert_allclose(ax.get_lines()[5].get_ydata(), 1e4 + 2.0)  # the median of seeds 0..4
    assert ax.get_legend() is None and len(fig.legends) == 1
    texts = [text.get_text() for text in fig.legends[0].get_texts()]
    assert texts == ["loop: median of 5 repeats", "batched: median of 5 repeats",
                     "shaded: range over the repeats; thin lines: each repeat"]
    assert tick_labels(ax) == ["1", "2", "4", "8", "16"]
    assert ax.get_xlabel() == "batch size b (samples)" and ax.get_ylabel() == "throughput (samples / s)"


def test_array_rates_keep_the_legend_inside_and_label_only_powers_of_two_where_sizes_crowd():
    sizes = np.array([31, 32, 33, 63, 64, 65, 127, 128, 129])
    rate = 1e3 * np.log(sizes)
    fig = plot_throughput(sizes, {"step": rate}, {"step": np.stack([0.9 * rate, 1.1 * rate])})
    ax = fig.axes[0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["step", "shaded: quartiles over the repeats"]
    assert tick_labels(ax) == ["32", "64", "128"]
    assert fig.get_size_inches().tolist() == [6.5, 3.8]


def test_sizes_with_room_between_them_are_all_labelled():
    sizes = [1, 2, 3, 4, 5, 6, 8, 16, 32, 64, 128, 256]
    ax = plot_throughput(sizes, {"batched": np.arange(1.0, 13.0)}).axes[0]
    assert tick_labels(ax) == [str(b) for b in sizes]


def test_the_batch_size_axis_can_be_labelled_without_a_letter():
    ax = plot_throughput([1, 2, 4], {"batched": np.ones(3)}, xlabel="batch size (samples)").axes[0]
    assert ax.get_xlabel() == "batch size (samples)"


def test_rates_in_thousands_are_divided_and_the_throughput_axis_has_plain_labels():
    sizes = [1, 2, 4, 8]
    rates = over_seeds(lambda seed: 4e4 * np.arange(1.0, 5.0) + seed, seeds=5)
    fig = plot_throughput(sizes, {"batched": rates}, in_thousands=True)
    fig.canvas.draw()
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.get_lines()[5].get_ydata(), 40 * np.arange(1.0, 5.0) + 2e-3)
    assert ax.get_ylabel() == "throughput (1000 samples / s)"
    labels = [label.get_text() for label in ax.get_yticklabels() + ax.get_yticklabels(minor=True) if label.get_text()]
    assert labels and all("×" not in text and "^" not in text for text in labels)
    assert "100" in labels
