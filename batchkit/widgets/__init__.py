"""Interactive views of the lessons, thin over :mod:`batchkit.plotting`.

Every view is a :class:`LessonView`: an ipywidgets ``VBox`` of named controls, a summary line and the figure as a
PNG image. It is a plain Python object, so tests can drive it without a browser::

    view = batch_assignment_widget()
    view.controls["batch_size"].value = 7       # the view redraws at once
    view.summary_text, view.figure_data         # what it shows now

Why a PNG ``Image`` widget and not an ``Output`` widget or ``interact``: the figure lives in the widget's own state,
so a notebook stores nothing that differs between runs (nbval can compare the cell) and nothing is printed into a
hidden output area. Settings that batchkit rejects (for example ``drop_last`` with a batch larger than ``n``) show
batchkit's error message in the summary line instead of a traceback.

:data:`REGISTRY` lists every view builder, so that tests and benchmarks cover each view automatically.

One module per lesson, as in :mod:`batchkit.plotting`: :mod:`~batchkit.widgets.view` (the shared frame),
:mod:`~batchkit.widgets.batches` (01), :mod:`~batchkit.widgets.linear_layer` (02), :mod:`~batchkit.widgets.centering`
(03), :mod:`~batchkit.widgets.descent` (04), :mod:`~batchkit.widgets.batchnorm` (05),
:mod:`~batchkit.widgets.batch_size` (06), :mod:`~batchkit.widgets.normalization` (07) and
:mod:`~batchkit.widgets.data_parallel` (08). ``from batchkit.widgets import memory_widget`` works for every view.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from .view import PNG_DPI, LessonView, render_png
from .batches import batch_assignment_widget
from .linear_layer import linear_steps_widget
from .centering import batch_means_data, batch_means_widget, centering_widget
from .descent import training_paths_widget
from .batchnorm import activation_shift_widget
from .batch_size import MEMORY_BATCH_SIZES, memory_widget
from .normalization import normalization_axes_widget
from .data_parallel import data_parallel_shards_widget

# Why: a redraw allocates many short-lived matplotlib objects, which sets off the cyclic garbage collector, and a full
# collection walks every object alive. After numpy, matplotlib, ipywidgets and the kernel are imported that is
# hundreds of thousands of long-lived objects, and one collection took about 100 ms in the middle of a redraw
# (benchmarks/bench_widgets.py prints the share of time spent in gc). gc.freeze() moves the objects alive now out of
# the collector's sight; collections then walk only what was made later. The price: a reference cycle among those
# objects would never be freed, but they are the modules, classes and kernel state loaded so far, which live as long
# as the kernel anyway.
gc.freeze()  # after every import above

#: Every view builder in the series, by name. Tests and benchmarks iterate over this.
REGISTRY: dict[str, Callable[[], LessonView]] = {
    "batch_assignment": batch_assignment_widget,
    "linear_steps": linear_steps_widget,
    "centering": centering_widget,
    "batch_means": batch_means_widget,
    "training_paths": training_paths_widget,
    "activation_shift": activation_shift_widget,
    "memory": memory_widget,
    "normalization_axes": normalization_axes_widget,
    "data_parallel_shards": data_parallel_shards_widget,
}

__all__ = [
    "LessonView",
    "MEMORY_BATCH_SIZES",
    "PNG_DPI",
    "REGISTRY",
    "activation_shift_widget",
    "batch_assignment_widget",
    "batch_means_data",
    "batch_means_widget",
    "centering_widget",
    "data_parallel_shards_widget",
    "linear_steps_widget",
    "memory_widget",
    "normalization_axes_widget",
    "render_png",
    "training_paths_widget",
]
