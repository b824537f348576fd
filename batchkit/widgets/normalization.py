"""Lesson 07's view: which values share a mean and variance, for each normalization, the number of groups and the
batch size."""

from __future__ import annotations

import ipywidgets as widgets

from ..normalization import METHODS
from ..plotting.normalization import METHOD_TITLES, plot_statistic_cubes
from .view import Drawing, LessonView, int_slider

CHANNELS, POSITIONS = 6, 4  # small enough to see every value
ALL = "all four"
PER = {"batch": "channel, over the whole batch", "layer": "sample", "instance": "sample and channel",
       "group": "sample and group of channels"}


def normalization_axes_widget(method: str = ALL, groups: int = 2, batch_size: int = 4) -> LessonView:
    """Lesson 07: the cube picture of :func:`batchkit.plotting.plot_statistic_cubes`, for one method or all four.

    Controls: the method, G (a divisor of C = 6; used by group norm) and the batch size N. The summary says how
    many values each statistic pools and whether a sample's output depends on its batch-mates.
    """
    controls = {
        "method": widgets.ToggleButtons(options=[ALL, *METHODS], value=method, description="method"),
        "groups": widgets.SelectionSlider(options=[1, 2, 3, 6], value=groups, description="groups G"),
        "batch_size": int_slider(batch_size, 1, 6, "batch size N"),
    }

    def draw(method: str, groups: int, batch_size: int) -> Drawing:
        shape = (batch_size, CHANNELS, POSITIONS)
        methods = METHODS if method == ALL else (method,)
        counts = {
            "batch": batch_size * POSITIONS,
            "layer": CHANNELS * POSITIONS,
            "instance": POSITIONS,
            "group": CHANNELS // groups * POSITIONS,
        }
        parts = [f"{METHOD_TITLES[m]}{f' (G = {groups})' if m == 'group' else ''}: one mean and variance per "
                 f"{PER[m]}, from {counts[m]} values" for m in methods]
        summary = "; ".join(parts) + ". Only batch norm's statistics change when another sample of the batch changes."
        return plot_statistic_cubes(methods, shape, groups), summary, {m: counts[m] for m in methods}

    return LessonView("normalization_axes", controls, draw)
