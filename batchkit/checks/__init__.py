"""Autograded checks for the homework notebooks: run a student's function on randomized cases against batchkit.

Every check takes the student's function, calls it on several random inputs (seeded, so a failure can be
reproduced; every argument the function takes is varied, and one it ignores is named), and compares with batchkit's
reference; then it prints "All checks passed." and returns None. While the student's function runs, the batchkit
functions the exercise asks for raise (the student writes them), the student's other exercise functions it calls are
replaced by references (a mistake fails only its own check), and an input it changed in place fails the check. On failure it raises ``AssertionError`` with a message that
says which input failed, what was expected and what came back (shapes first, then the largest difference), and a
hint. The hint names a mistake only when the answer matches that typical mistake; otherwise it says what the result
means, its shape, and which lesson section explains it. Messages are built from values only: they never show the
reference code, and never the formula the exercise asks for.

One module per lesson's homework; :mod:`batchkit.checks._core` builds and compares. Works in a notebook and in a
plain script: ``from batchkit.checks import check_linear_forward``.

* lesson 01, :mod:`batchkit.checks.batches`: :func:`check_steps_per_epoch`, :func:`check_total_steps`, :func:`check_epoch_indices`, :func:`check_distinct_fraction`
* lesson 02, :mod:`batchkit.checks.linear_layer`: :func:`check_linear_forward`, :func:`check_linear_backward`, :func:`check_batch_mean`
* lesson 03, :mod:`batchkit.checks.centering`: :func:`check_batch_center`, :func:`check_variance`, :func:`check_center_with_training_mean`
* lesson 04, :mod:`batchkit.checks.descent`: :func:`check_linreg_loss_and_gradient`, :func:`check_inverse_time_schedule`, :func:`check_minibatch_gd`
* lesson 05, :mod:`batchkit.checks.batchnorm`: :func:`check_batchnorm_forward`, :func:`check_batchnorm_backward`, :func:`check_running_stats`
* lesson 07, :mod:`batchkit.checks.normalization`: :func:`check_layernorm_forward`, :func:`check_layernorm_backward`, :func:`check_groupnorm_forward`, :func:`check_groupnorm_backward`, :func:`check_channel_mean_spread`
* lesson 08, :mod:`batchkit.checks.data_parallel`: :func:`check_average_gradients`, :func:`check_sync_bn_statistics`, :func:`check_sync_bn_backward_sums`, :func:`check_worker`, :func:`check_prediction`
"""

from ._core import PASSED, CheckFailed
from .batches import check_distinct_fraction, check_epoch_indices, check_steps_per_epoch, check_total_steps
from .batchnorm import check_batchnorm_backward, check_batchnorm_forward, check_running_stats
from .centering import check_batch_center, check_center_with_training_mean, check_variance
from .data_parallel import (check_average_gradients, check_prediction, check_sync_bn_backward_sums,
                            check_sync_bn_statistics, check_worker)
from .descent import check_inverse_time_schedule, check_linreg_loss_and_gradient, check_minibatch_gd
from .linear_layer import check_batch_mean, check_linear_backward, check_linear_forward
from .normalization import (check_channel_mean_spread, check_groupnorm_backward, check_groupnorm_forward,
                            check_layernorm_backward, check_layernorm_forward)

__all__ = [
    "CheckFailed",
    "PASSED",
    "check_average_gradients",
    "check_batch_center",
    "check_batch_mean",
    "check_batchnorm_backward",
    "check_batchnorm_forward",
    "check_center_with_training_mean",
    "check_channel_mean_spread",
    "check_distinct_fraction",
    "check_epoch_indices",
    "check_groupnorm_backward",
    "check_groupnorm_forward",
    "check_inverse_time_schedule",
    "check_layernorm_backward",
    "check_layernorm_forward",
    "check_linear_backward",
    "check_linear_forward",
    "check_linreg_loss_and_gradient",
    "check_minibatch_gd",
    "check_prediction",
    "check_running_stats",
    "check_steps_per_epoch",
    "check_sync_bn_backward_sums",
    "check_sync_bn_statistics",
    "check_total_steps",
    "check_variance",
    "check_worker",
]
