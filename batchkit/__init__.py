"""batchkit: the vectorized numpy code behind the batching lessons.

``import batchkit`` loads numpy only. Plotting (:mod:`batchkit.plotting`) and widgets (:mod:`batchkit.widgets`)
are separate modules that pull in matplotlib and ipywidgets when you import them.

Every lesson: :mod:`batchkit.seeds` runs an experiment over several seeds and summarizes the spread
(:func:`~batchkit.seeds.over_seeds`); :mod:`batchkit.plotting` holds one module of figures per lesson.

Lesson 01, batches, epochs and steps:

* :mod:`batchkit.counting`: :func:`batches_per_epoch`, :func:`total_steps`, :func:`batch_sizes`
* :mod:`batchkit.sampling`: :func:`epoch_batch_indices`, :func:`iter_epochs`, :func:`batch_assignment`,
  :func:`expected_distinct_fraction`
* :mod:`batchkit.loader`: :class:`BatchLoader`
"""

from .counting import batch_sizes, batches_per_epoch, describe_steps, total_steps
from .loader import BatchLoader
from .sampling import (
    BatchAssignment,
    batch_assignment,
    epoch_batch_indices,
    expected_distinct_fraction,
    iter_epochs,
)
from .source import source_of

__version__ = "0.1.0"

__all__ = [
    "BatchAssignment",
    "BatchLoader",
    "batch_assignment",
    "batch_sizes",
    "batches_per_epoch",
    "describe_steps",
    "epoch_batch_indices",
    "expected_distinct_fraction",
    "iter_epochs",
    "source_of",
    "total_steps",
]
