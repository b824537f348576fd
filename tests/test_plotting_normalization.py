"""Lesson 07's figures and view: the cube picture of which values share a statistic, and the spread of batch means.

The figures are plain matplotlib ``Figure`` objects, never registered with pyplot, so there is nothing to close:
each test checks that instead (``fig.canvas.manager is None``), and the view test checks pyplot's list of figures.
"""

import re
import warnings

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from batchkit.normalization import METHODS, statistic_labels
from batchkit.plotting.normalization import (FACE_SHADE, SHARED, draw_statistic_cube, plot_statistic_cubes,
                                             plot_statistic_spread)

SHAPES = [(4, 6, 4), (2, 4, 3), (3, 8, 2), (5, 6, 1)]


def values_per_statistic(method: str, shape: tuple[int, int, int], groups: int) -> int:
    """The table of the normalization module: N·HW, C·HW, HW and (C/G)·HW."""
    n, c, hw = shape
    return {"batch": n * hw, "layer": c * hw, "instance": hw, "group": c // groups * hw}[method]


def visible_highlighted(method: str, shape: tuple[int, int, int], groups: int) -> int:
    """Highlighted cells on the three visible faces for N >= 2, from the picture: the front face (N × C cells, h = 0),
    the top (N × HW, the last channel) and the right side (C × HW, the last sample), for the value at the front top
    left (sample 0, the last channel, position 0)."""
    n, c, hw = shape
    return {"batch": n + n * hw + hw,  # the last channel's row on the front, all of the top, its row on the side
            "layer": c + hw,  # sample 0's column on the front and on the top; the side is sample N - 1
            "instance": 1 + hw,
            "group": c // groups + hw}[method]


def highlighted_faces(ax) -> int:
    """How many drawn cells have one of the shades of the highlight colour."""
    (collection,) = ax.collections
    colours = collection.get_facecolor()[:, :3]
    shades = np.array([np.array(to_rgb(SHARED)) * factor for factor in FACE_SHADE.values()])
    return int(np.sum(np.any(np.all(np.isclose(colours[:, None, :], shades[None]), axis=2), axis=1)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("method", METHODS)
def test_a_cube_highlights_the_values_of_one_statistic(method, shape):
    groups = 2
    fig = Figure()
    ax = fig.add_subplot()
    count = draw_statistic_cube(ax, method, shape, groups)
    assert count == values_per_statistic(method, shape, groups)
    labels = statistic_labels(method, shape, groups)
    assert count == np.count_nonzero(labels == labels[0, -1, 0])
    n, c, hw = shape
    assert len(ax.collections[0].get_paths()) == n * c + n * hw + c * hw  # the three visible faces, every cell once
    assert highlighted_faces(ax) == visible_highlighted(method, shape, groups)
    assert {"N (samples)", "C (channels)", "H·W"} <= {text.get_text() for text in ax.texts}


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_the_group_cube_follows_the_number_of_groups(groups):
    fig = Figure()
    count = draw_statistic_cube(fig.add_subplot(), "group", (3, 6, 4), groups)
    assert count == 6 // groups * 4
    assert highlighted_faces(fig.axes[0]) == 6 // groups + 4


def test_the_cubes_figure_titles_every_method_with_its_count():
    fig = plot_statistic_cubes(shape=(4, 6, 4), groups=3)
    assert isinstance(fig, Figure) and fig.canvas.manager is None
    assert len(fig.axes) == 4
    assert cube_titles(fig) == ["Batch norm\n16 values per statistic", "Layer norm\n24 values per statistic",
                                "Instance norm\n4 values per statistic", "Group norm, G = 3\n8 values per statistic"]
    assert "(N = 4, C = 6, H·W = 4)" in fig._suptitle.get_text()
    assert [len(ax.texts) for ax in fig.axes] == [3, 0, 0, 0]  # the axes are named once, next to the first cube
    one = plot_statistic_cubes(("layer",), shape=(2, 4, 3))
    assert len(one.axes) == 1 and cube_titles(one) == ["Layer norm\n12 values per statistic"]


def cube_titles(fig: Figure) -> list[str]:
    """The title above each cube, left to right (figure texts, not axes titles)."""
    titles = [text for text in fig.texts if "values per statistic" in text.get_text()]
    return [text.get_text() for text in sorted(titles, key=lambda text: text.get_position()[0])]


def test_a_cube_can_be_drawn_without_axis_names():
    fig = Figure()
    assert draw_statistic_cube(fig.add_subplot(), "instance", (2, 4, 3), axis_labels=False) == 3
    assert len(fig.axes[0].texts) == 0 and highlighted_faces(fig.axes[0]) == 1 + 3


@pytest.mark.parametrize("call, error, match", [
    (lambda: plot_statistic_cubes(("batch", "weight")), ValueError, "methods must be one or more of"),
    (lambda: plot_statistic_cubes(()), ValueError, "methods must be one or more of"),
    (lambda: plot_statistic_cubes("batch"), ValueError, "methods must be one or more of"),
    (lambda: plot_statistic_cubes(shape=(4, 6, 4), groups=4), ValueError, "num_groups=4 does not divide"),
    (lambda: plot_statistic_cubes(shape=(4, 6, 4), groups=0), ValueError, "num_groups must be a positive integer"),
    (lambda: draw_statistic_cube(Figure().add_subplot(), "group", (2, 5, 3), 2), ValueError, "num_groups=2"),
    (lambda: draw_statistic_cube(Figure().add_subplot(), "weight", (2, 4, 3)), ValueError, "method must be one of"),
    (lambda: draw_statistic_cube(Figure().add_subplot(), "batch", (2, 4)), ValueError, "shape must be"),
])
def test_bad_cube_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


SIZES = [2, 8, 32, 128]


def spread_figure():
    rng = np.random.default_rng(0)
    sizes = np.array(SIZES)
    spreads = {"features": rng.uniform(0.9, 1.1, (5, 4)) / np.sqrt(sizes),
               "channels": rng.uniform(0.9, 1.1, (3, 4)) / np.sqrt(sizes * 4)}
    predictions = {"1/√b": 1 / np.sqrt(sizes), "1/√(b·H·W)": 1 / np.sqrt(sizes * 4)}
    return plot_statistic_spread(SIZES, spreads, predictions), spreads, predictions


def test_the_spread_figure_draws_every_unit_the_median_and_the_predictions():
    fig, spreads, predictions = spread_figure()
    assert isinstance(fig, Figure) and fig.canvas.manager is None
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "batch size b (samples)" and "spread" in ax.get_ylabel()
    lines = ax.get_lines()
    assert len(lines) == (5 + 1) + (3 + 1) + 2  # each unit, the median per series, and the predictions
    np.testing.assert_allclose(lines[5].get_ydata(), np.median(spreads["features"], axis=0))
    np.testing.assert_allclose(lines[9].get_ydata(), np.median(spreads["channels"], axis=0))
    assert [line.get_linestyle() for line in lines[-2:]] == ["--", "--"]
    np.testing.assert_allclose(lines[-1].get_ydata(), predictions["1/√(b·H·W)"])
    assert lines[-2].get_color() == lines[-1].get_color() == "black"  # predictions stand out from every series
    assert min(line.get_zorder() for line in lines[-2:]) > max(line.get_zorder() for line in lines[:-2])
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "features: median and each of 5 units", "channels: median and each of 3 units", "1/√b", "1/√(b·H·W)"]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["2", "8", "32", "128"]


def test_the_spread_figure_takes_a_ylabel():
    fig = plot_statistic_spread([1, 2], {"a": np.ones((1, 2))}, {}, ylabel="spread of the batch variance")
    assert fig.axes[0].get_ylabel() == "spread of the batch variance"


@pytest.mark.parametrize("spreads, predictions, match", [
    ({}, {}, "spreads must hold 1 to 4 series, got 0"),
    ({k: np.ones((1, 4)) for k in "abcde"}, {}, "spreads must hold 1 to 4 series, got 5"),
    ({"a": np.ones((2, 3))}, {}, r"spreads\['a'\] must be 2-D with one value per batch size \(4\)"),
    ({"a": np.ones(4)}, {}, r"spreads\['a'\] must be 2-D"),
    ({"a": np.ones((2, 4))}, {"p": np.ones(3)}, r"predictions\['p'\] must be 1-D"),
])
def test_bad_spread_arguments_are_named(spreads, predictions, match):
    with pytest.raises(ValueError, match=match):
        plot_statistic_spread(SIZES, spreads, predictions)


# --- the view ------------------------------------------------------------------------------------------------------

def summary_counts(summary: str) -> dict[str, int]:
    """{method: values per statistic} read from the view's summary line."""
    names = {"Batch norm": "batch", "Layer norm": "layer", "Instance norm": "instance", "Group norm": "group"}
    found = re.findall(r"(Batch norm|Layer norm|Instance norm|Group norm)[^:;]*:[^;]*?from (\d+) values", summary)
    return {names[name]: int(count) for name, count in found}


def label_counts(methods, batch_size: int, groups: int) -> dict[str, int]:
    """Values per statistic from statistic_labels, for the view's C = 6 channels and H·W = 4 positions."""
    shape = (batch_size, 6, 4)
    counts = {}
    for method in methods:
        labels = statistic_labels(method, shape, groups)
        counts[method] = int(np.count_nonzero(labels == labels[0, -1, 0]))
    return counts


@pytest.fixture
def view():
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed: pip install ipywidgets to test the view")
    import matplotlib.pyplot as plt

    from batchkit.widgets.normalization import normalization_axes_widget
    figures_before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = normalization_axes_widget()
    yield built
    assert plt.get_fignums() == figures_before, "the view left matplotlib figures open"


def test_the_default_view_shows_all_four_methods(view):
    assert view.error is None, view.error
    for name in ("Batch norm", "Layer norm", "Instance norm", "Group norm (G = 2)"):
        assert name in view.summary_text
    assert "Only batch norm's statistics change" in view.summary_text
    assert summary_counts(view.summary_text) == view.figure_data == {"batch": 16, "layer": 24, "instance": 4,
                                                                     "group": 12}
    assert view.figure_data == label_counts(METHODS, 4, 2)
    image = bytes(view.image.value)
    assert len(image) > 1000 and image.startswith(b"\x89PNG\r\n\x1a\n")


def test_group_norm_with_three_groups_pools_eight_values(view):
    view.controls["method"].value = "group"
    view.controls["groups"].value = 3
    assert view.error is None, view.error
    assert "Group norm (G = 3)" in view.summary_text and "from 8 values" in view.summary_text  # 6/3 · 4
    assert "Batch norm" not in view.summary_text
    assert summary_counts(view.summary_text) == view.figure_data == {"group": 8} == label_counts(("group",), 4, 3)


def test_the_batch_size_changes_only_batch_norms_count(view):
    before = dict(view.figure_data)
    first_image = bytes(view.image.value)
    view.controls["batch_size"].value = 6
    assert view.figure_data == before | {"batch": 24} == label_counts(METHODS, 6, 2)
    assert summary_counts(view.summary_text) == view.figure_data
    assert bytes(view.image.value) != first_image
    view.controls["method"].value = "batch"
    view.controls["batch_size"].value = 1
    assert summary_counts(view.summary_text) == view.figure_data == {"batch": 4}  # one sample: H·W values
