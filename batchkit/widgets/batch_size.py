"""Lesson 06's view: the memory of one training step against the batch size, for several widths."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..batch_size_study import memory_by_batch_size
from ..plotting import plot_memory
from .view import Drawing, LessonView


MEMORY_BATCH_SIZES = (16, 32, 64, 128, 256, 512)


def memory_widget(width: int = 256) -> LessonView:
    """Lesson 06: measured peak memory of a training step against batch size, for an MLP of a chosen width.

    The network is 784 → width → width → 10; six steps per width are measured with tracemalloc when the view is
    built, and each update draws :func:`batchkit.plotting.plot_memory`. The numbers are exact byte counts, the same
    on every machine.
    """
    widths = [64, 128, 256, 512, 1024]
    controls = {"width": widgets.SelectionSlider(options=widths, value=width, description="hidden units")}
    # Measured once per width when the view is built (about a second each): updates then only redraw.
    curves = {w: memory_by_batch_size(MEMORY_BATCH_SIZES, hidden=(w, w)) for w in widths}

    def draw(width: int) -> Drawing:
        peaks, parameter_bytes = curves[width]
        per_sample = np.polyfit(MEMORY_BATCH_SIZES, peaks, 1)[0]
        summary = (f"784-{width}-{width}-10: parameters {parameter_bytes / 2**20:.2f} MiB; each extra sample in the "
                   f"batch costs {per_sample / 1024:.1f} KiB during a step")
        title = f"MLP 784-{width}-{width}-10, float64"
        return plot_memory(np.array(MEMORY_BATCH_SIZES), peaks, parameter_bytes, title), summary, peaks

    return LessonView("memory", controls, draw)
