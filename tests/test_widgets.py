"""Every view in the widget registry, driven from Python: each control to its minimum, middle and maximum.

For every change the view must redraw consistently (summary and figure data follow the controls), or show a clear
message for settings batchkit rejects; never raise, warn or leave a matplotlib figure open.
"""

from __future__ import annotations

import warnings

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

import batchkit as bk
from batchkit.widgets import REGISTRY, LessonView


def extremes(control: widgets.ValueWidget) -> list:
    """The minimum, a middle value and the maximum a control allows (both states of a checkbox, every named choice)."""
    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value]
    if isinstance(control, widgets.ToggleButtons):  # a handful of named choices: every one of them
        return list(control.options)
    if isinstance(control, widgets.SelectionSlider):
        options = list(control.options)
        return [options[0], options[len(options) // 2], options[-1]]
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base**control.min, control.base ** ((control.min + control.max) / 2), control.base**control.max]
    low, high = control.min, control.max
    middle = (low + high) // 2 if isinstance(low, int) else (low + high) / 2
    return [low, middle, high]


@pytest.fixture(params=sorted(REGISTRY), ids=sorted(REGISTRY))
def view(request) -> LessonView:
    figures_before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = REGISTRY[request.param]()
    yield built
    assert plt.get_fignums() == figures_before, "the view left matplotlib figures open"


def test_default_view_draws(view):
    assert view.error is None, view.error
    assert bytes(view.image.value).startswith(b"\x89PNG"), "no PNG figure"
    assert view.summary_text and view.figure_data is not None
    assert repr(view).startswith(f"LessonView {view.name!r}")


def test_every_control_at_min_middle_max(view):
    defaults = view.values()
    for name, control in view.controls.items():
        for value in extremes(control):
            before = len(view.update_seconds)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                control.value = value
            if control.value == defaults[name] and value == defaults[name] and before == len(view.update_seconds):
                continue  # setting the value it already had triggers no redraw
            assert len(view.update_seconds) == before + 1, f"{name}={value!r}: no redraw"
            if view.error is None:
                assert view.values()[name] == pytest.approx(value)
                assert "Not possible" not in view.summary_text
            else:
                assert view.summary_text.startswith("Not possible: "), view.summary_text
                assert "Traceback" not in view.summary.value
        control.value = defaults[name]
        assert view.error is None, f"back at the defaults the view still shows an error: {view.error}"


def test_batch_assignment_view_follows_its_controls():
    view = REGISTRY["batch_assignment"]()
    first_image, first_summary = view.image.value, view.summary_text
    view.controls["batch_size"].value = 6
    assert view.summary_text != first_summary and view.image.value != first_image
    assert "n=24, b=6: 4 batches per epoch (all full)" in view.summary_text
    expected = bk.batch_assignment(24, 6, 4, seed=0)
    np.testing.assert_array_equal(view.figure_data.batch_of, expected.batch_of)

    view.controls["replacement"].value = True
    assert "distinct samples seen per epoch" in view.summary_text
    assert view.figure_data.times_drawn.max() >= 1 and view.figure_data.replacement


def test_batch_assignment_view_explains_rejected_settings():
    view = REGISTRY["batch_assignment"]()
    good_image = view.image.value
    view.controls["drop_last"].value = True
    view.controls["batch_size"].value = 64  # larger than n = 24: drop_last leaves no batch
    assert view.error is not None and "drop_last=True leaves zero batches" in view.summary_text
    assert "bk-error" in view.summary.value
    assert view.image.value != b"" and view.figure_data.batch_size == 5  # last valid figure stays
    view.controls["drop_last"].value = False
    assert view.error is None and "since b > n" in view.summary_text
    assert view.image.value != good_image


def test_default_view_is_the_static_figure_of_the_same_settings():
    view = REGISTRY["batch_assignment"](n=24, batch_size=5, epochs=4, seed=0)
    static = bk.batch_assignment(24, 5, 4, seed=0)
    np.testing.assert_array_equal(view.figure_data.batch_of, static.batch_of)


def test_training_view_reports_divergence_instead_of_drawing():
    view = REGISTRY["training_paths"]()
    assert view.error is None and "mini-batch GD, b=8" in view.summary_text
    view.controls["learning_rate"].value = view.controls["learning_rate"].base ** view.controls["learning_rate"].max
    assert view.error is not None and "the loss blows up" in view.summary_text and "2/λmax" in view.summary_text
    view.controls["learning_rate"].value = 0.01
    assert view.error is None
    view.controls["batch_size"].value = 64
    assert view.summary_text.startswith("full-batch GD") and view.figure_data.steps == 5
