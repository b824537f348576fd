"""Lesson 08's view: which samples each of k workers takes at every step of an epoch, for any n, k and b."""

from __future__ import annotations

import ipywidgets as widgets

from ..plotting.data_parallel import epoch_shards, plot_shards
from .view import Drawing, LessonView, int_slider


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def shards_summary(shards, drop_last: bool) -> str:
    """``"2 workers × 3 = global batch 6; 4 steps per epoch; 0 samples repeated to pad"`` (or dropped)."""
    k, b = shards.workers, shards.per_worker_batch
    change = (f"{_count(len(shards.dropped), 'sample')} dropped (drop_last)" if drop_last else
              f"{_count(shards.repeated, 'sample')} repeated to pad")
    return f"{_count(k, 'worker')} × {b} = global batch {k * b}; {_count(shards.steps, 'step')} per epoch; {change}"


def data_parallel_shards_widget(n: int = 24, per_worker_batch: int = 3, workers: int = 2, *, shuffle: bool = True,
                                drop_last: bool = False) -> LessonView:
    """Lesson 08: one epoch's global batches of k·b samples, split across k workers (DistributedSampler's way).

    Controls: ``workers`` k (1-4), ``per_worker_batch`` b (1-8), ``n`` (1-40), ``shuffle`` and ``drop_last``
    (trim the epoch to a multiple of k instead of padding it). Draws with
    :func:`batchkit.plotting.data_parallel.plot_shards` (epoch 0, seed 0), so its default view is the figure
    ``plot_shards(24, 3, 2)``. Settings that give no step (``drop_last`` with fewer samples than workers) show
    batchkit's message.
    """
    controls = {
        "workers": int_slider(workers, 1, 4, "workers k"),
        "per_worker_batch": int_slider(per_worker_batch, 1, 8, "per-worker batch b"),
        "n": int_slider(n, 1, 40, "n samples"),
        "shuffle": widgets.Checkbox(value=shuffle, description="shuffle"),
        "drop_last": widgets.Checkbox(value=drop_last, description="drop_last"),
    }

    def draw(workers: int, per_worker_batch: int, n: int, shuffle: bool, drop_last: bool) -> Drawing:
        shards = epoch_shards(n, per_worker_batch, workers, drop_last=drop_last, shuffle=shuffle)
        figure = plot_shards(n, per_worker_batch, workers, drop_last=drop_last, shuffle=shuffle)
        return figure, shards_summary(shards, drop_last), shards

    return LessonView("data_parallel_shards", controls, draw)
