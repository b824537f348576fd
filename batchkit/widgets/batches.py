"""Lesson 01's view: which batch each sample falls into, for any n, b, shuffling and replacement."""

from __future__ import annotations

import ipywidgets as widgets

from ..counting import describe_steps
from ..plotting import plot_batch_assignment
from ..sampling import batch_assignment
from .view import Drawing, LessonView, int_slider


def batch_assignment_widget(
    n: int = 24,
    batch_size: int = 5,
    epochs: int = 4,
    *,
    shuffle: bool = True,
    replacement: bool = False,
    drop_last: bool = False,
    seed: int = 0,
) -> LessonView:
    """Lesson 01: which sample falls into which batch, epoch by epoch.

    Controls: ``n`` (1-60), ``batch_size`` (1-64), ``epochs`` (1-6), ``shuffle``, ``replacement``, ``drop_last`` and
    ``seed``. Draws with :func:`batchkit.plotting.plot_batch_assignment`, so its default view is the figure that
    ``plot_batch_assignment(batch_assignment(n, batch_size, epochs, ...))`` gives.
    """
    controls = {
        "n": int_slider(n, 1, 60, "n samples"),
        "batch_size": int_slider(batch_size, 1, 64, "batch size b"),
        "epochs": int_slider(epochs, 1, 6, "epochs"),
        "shuffle": widgets.Checkbox(value=shuffle, description="shuffle"),
        "replacement": widgets.Checkbox(value=replacement, description="with replacement"),
        "drop_last": widgets.Checkbox(value=drop_last, description="drop_last"),
        "seed": widgets.BoundedIntText(value=seed, min=0, max=9999, description="seed", layout={"width": "9em"}),
    }

    def draw(n, batch_size, epochs, shuffle, replacement, drop_last, seed) -> Drawing:
        assignment = batch_assignment(
            n, batch_size, epochs, shuffle=shuffle, replacement=replacement, drop_last=drop_last, seed=seed
        )
        summary = describe_steps(n, batch_size, epochs, drop_last)
        if replacement:
            seen = assignment.distinct_fraction()
            summary += f"; distinct samples seen per epoch: {', '.join(f'{s:.0%}' for s in seen)}"
        return plot_batch_assignment(assignment), summary, assignment

    return LessonView("batch_assignment", controls, draw)
