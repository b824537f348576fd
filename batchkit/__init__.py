"""batchkit: the vectorized numpy code behind the batching lessons, one concept per module.

``import batchkit`` loads numpy only; the names below (lesson 01's) are available at the top level. Every other
module is imported by name (``from batchkit.batchnorm import BatchNorm1d``). :mod:`batchkit.plotting` and
:mod:`batchkit.widgets` pull in matplotlib and ipywidgets when you import them; scikit-learn is needed only by
:mod:`batchkit.datasets` for its bundled data.

Where each lesson's ideas live, in lesson order:

* **01, batches, epochs and steps**: :mod:`~batchkit.counting` (steps per epoch and in all),
  :mod:`~batchkit.sampling` (which sample goes into which batch), :mod:`~batchkit.loader` (:class:`BatchLoader`).
* **02, batch sum and batch add**: :mod:`~batchkit.batch_ops` (batch sum, mean, add), :mod:`~batchkit.linear`
  (the linear layer forward and backward), :mod:`~batchkit.worked_example`, :mod:`~batchkit.gradcheck`
  (numerical gradients and ``rel_error``), :mod:`~batchkit.timing` (fair throughput measurements).
* **03, centering**: :mod:`~batchkit.statistics` (batch mean and variance, accurate in float32),
  :mod:`~batchkit.centering` (``batch_center``, :class:`~batchkit.centering.Centerer`),
  :mod:`~batchkit.conditioning` (condition number, steps to a tolerance, zig-zag paths).
* **04, GD vs SGD vs mini-batch GD**: :mod:`~batchkit.linreg` (the posts' J(θ) and its gradient),
  :mod:`~batchkit.training` (one loop for every batch size), :mod:`~batchkit.tuning` (learning rates, fairly),
  :mod:`~batchkit.datasets`.
* **05, batch normalization**: :mod:`~batchkit.batchnorm` (forward, backward, :class:`BatchNorm1d`),
  :mod:`~batchkit.activations`, :mod:`~batchkit.losses`, :mod:`~batchkit.mlp` (a small network),
  :mod:`~batchkit.bn_experiments` (with, without and noisy BN), :mod:`~batchkit.bn_shift` (internal covariate
  shift, measured where normalization cannot hide it).
* **06, choosing a batch size**: :mod:`~batchkit.batch_size_study` (memory, the digits runs),
  :mod:`~batchkit.steps_to_target` (Shallue et al.), :mod:`~batchkit.noise_scale` (McCandlish et al.),
  :mod:`~batchkit.sharpness` (the Hessian's top eigenvalue), :mod:`~batchkit.batch_size_choice` (the recipe:
  the best batch size under a cost model, the choice under a time budget).
* **07, normalizing without the batch**: :mod:`~batchkit.normalization` (one forward and one backward over any
  axes), :mod:`~batchkit.norm_layers` (BatchNorm2d, LayerNorm, GroupNorm), :mod:`~batchkit.norm_statistics`
  (batch dependence, the noise of batch statistics), :mod:`~batchkit.conv` (convolution by im2col),
  :mod:`~batchkit.convnet` (a small convolutional network), :mod:`~batchkit.norm_sweep` (accuracy against batch
  size for each normalization, Wu & He's Figure 1).
* **08, one batch, many workers**: :mod:`~batchkit.distributed` (data-parallel training on torch.distributed:
  sharding, a launcher, gradient all-reduce, synchronized batch norm; the ``distributed`` extra).
* **Every lesson**: :mod:`~batchkit.seeds` (an experiment over seeds: median and range),
  :mod:`~batchkit.plotting` (one module of figures per lesson), :mod:`~batchkit.widgets` (the interactive views),
  :mod:`~batchkit.source` (``source_of``: the lessons show this package's own code),
  :mod:`~batchkit.checks` (the homework's autograded checks, one module per lesson).
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
