"""Lesson 03's figures: true shapes for the contours, every seed and a slope-4 line for the condition number."""

import numpy as np
from matplotlib.figure import Figure

from batchkit.conditioning import centering_experiment, offset_regression_data
from batchkit.plotting.centering import (
    draw_loss_contours,
    plot_centering_contours,
    plot_condition_vs_offset,
    plot_errors_along_axes,
    plot_steps_vs_offset,
    plot_straightness,
    plot_weight_paths,
)
from batchkit.seeds import over_seeds


def test_contours_have_equal_scales_and_mark_even_and_odd_steps():
    x, y = offset_regression_data(10.0)
    experiment = centering_experiment(x, y, centered=False)
    (ax,) = plot_centering_contours(experiment).axes
    assert ax.get_aspect() == 1.0
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert np.isclose(x1 - x0, y1 - y0)  # a square window: ellipses keep their true shape
    even, odd = ax.get_lines()[1:3]
    np.testing.assert_array_equal(even.get_xdata(), experiment.path[0::2, 0])
    np.testing.assert_array_equal(odd.get_ydata(), experiment.path[1::2, 1])
    assert ax.get_title().startswith("raw x (mean 10.1): κ = 1.16e+04")


def test_errors_figure_shows_the_bounce_on_the_steep_axis():
    x, y = offset_regression_data(10.0)
    experiments = {"raw": centering_experiment(x, y, centered=False), "centered": centering_experiment(x, y, centered=True)}
    fig = plot_errors_along_axes(experiments)
    raw_ax, centered_ax = fig.axes
    steep, flat = (line.get_ydata() for line in raw_ax.get_lines()[:2])
    assert np.all(np.sign(steep[1:]) == -np.sign(steep[:-1])) and abs(steep[0]) == 1.0
    assert np.all(np.abs(flat) > 0.99)
    assert np.all(np.abs(centered_ax.get_lines()[0].get_ydata()[3:]) < 1e-3)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["along the steep axis", "along the flat axis"]


def test_draw_loss_contours_keeps_its_old_behaviour_by_default():
    fig = Figure()
    ax = fig.add_subplot()
    draw_loss_contours(ax, np.diag([1.0, 100.0]), np.zeros(2), np.array([[0.0, 0.0], [4.0, 1.0]]))
    assert ax.get_aspect() == "auto"


def test_condition_figure_is_log_log_with_every_seed_and_a_slope_4_line():
    offsets = [1.0, 10.0, 100.0]
    runs = over_seeds(lambda seed: np.array(offsets) ** 4 * (1 + 0.1 * seed), seeds=5)
    ax = plot_condition_vs_offset(offsets, {"raw x": runs}).axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    reference = ax.get_lines()[-1]
    assert "slope 4" in reference.get_label()
    xs, ys = reference.get_xdata(), reference.get_ydata()
    np.testing.assert_allclose(np.log(ys[-1] / ys[0]) / np.log(xs[-1] / xs[0]), 4.0)
    assert ys[-1] == float(runs.median[-1])
    steps_ax = plot_steps_vs_offset(offsets, {"raw x": runs}).axes[0]
    assert steps_ax.get_yscale() == "log" and len(steps_ax.get_lines()) == 6


def test_weight_paths_figure():
    path = np.array([[0.0, 0.0], [0.5, 0.4], [0.4, 0.1], [0.9, 0.3]])
    ax = plot_weight_paths({"raw inputs": path}, np.array([1.0, -0.5])).axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["raw inputs: 3 updates", "best weights w*", "start"]
    assert ax.get_xlabel().startswith("w1") and ax.get_ylabel().startswith("w2")


def test_straightness_figure_spans_0_to_1_with_every_seed():
    rates = [0.01, 0.1, 0.3]
    runs = over_seeds(lambda seed: np.array([0.6, 0.4, 0.2]) + 0.01 * seed, seeds=5)
    ax = plot_straightness(rates, {"raw": runs, "centered": over_seeds(lambda seed: np.full(3, 0.7), seeds=5)}).axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] > 1.0
    assert "learning rate" in ax.get_xlabel() and "straight" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 2
