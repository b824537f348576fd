"""Figures of the lessons, one module per lesson. Every widget in :mod:`batchkit.widgets` draws with these same
functions, so a widget's first view is the static figure printed above it.

=======================================  ====================================================================================
module                                   figures
=======================================  ====================================================================================
:mod:`batchkit.plotting.common`          palette, a quantity against a sweep (every seed), throughput, plain log ticks
:mod:`batchkit.plotting.batches`         lesson 01: which batch each sample falls into
:mod:`batchkit.plotting.linear_layer`    lesson 02: a linear layer on a batch, batch sum and batch add
:mod:`batchkit.plotting.centering`       lesson 03: loss contours, κ and steps against the offset, zig-zag paths, batch means
:mod:`batchkit.plotting.descent`         lesson 04: GD / SGD / mini-batch paths, fair comparison, budgets, gradient noise
:mod:`batchkit.plotting.batchnorm`       lesson 05: training curves, gradient norms, activation bands over seeds
:mod:`batchkit.plotting.batch_size`      lesson 06: powers of two, memory, steps to target, tuned rates, sharpness, warm-up
:mod:`batchkit.plotting.normalization`   lesson 07: which values share a statistic (cubes), spread of batch statistics
:mod:`batchkit.plotting.data_parallel`   lesson 08: each worker's samples, all-reduce cost, local vs synced BN, step time
=======================================  ====================================================================================

``from batchkit.plotting import plot_replicates`` (or any figure below) works for every lesson.
"""

from .batch_size import (
    plot_accuracy_replicates,
    plot_memory,
    plot_neighbour_comparison,
    plot_sharpness,
    plot_steps_to_target,
    plot_tuned_rates,
    plot_warmup_sharpness,
)
from .batches import plot_batch_assignment
from .batchnorm import plot_activation_bands, plot_classifier_curves, plot_drift, plot_gradient_norms
from .centering import (
    draw_loss_contours,
    plot_batch_mean_histogram,
    plot_centering_contours,
    plot_condition_vs_offset,
    plot_errors_along_axes,
    plot_steps_vs_offset,
    plot_straightness,
    plot_weight_paths,
)
from .common import (
    OKABE_ITO,
    UNUSED_GREY,
    axes_with_colorbar,
    legend_below,
    new_figure,
    plain_log_ticks,
    plot_replicates,
    plot_sweep,
    plot_throughput,
)
from .descent import (
    plot_budget_comparison,
    plot_fair_comparison,
    plot_gradient_noise,
    plot_loss_grid,
    plot_training_paths,
)
from .data_parallel import (
    plot_allreduce_cost,
    plot_batchnorm_sync,
    plot_linear_scaling,
    plot_shards,
    plot_step_time,
)
from .linear_layer import plot_batch_axes, plot_linear_steps
from .normalization import draw_statistic_cube, plot_statistic_cubes, plot_statistic_spread

__all__ = [
    "OKABE_ITO",
    "UNUSED_GREY",
    "axes_with_colorbar",
    "legend_below",
    "draw_loss_contours",
    "draw_statistic_cube",
    "new_figure",
    "plain_log_ticks",
    "plot_accuracy_replicates",
    "plot_activation_bands",
    "plot_allreduce_cost",
    "plot_batch_assignment",
    "plot_batch_axes",
    "plot_batch_mean_histogram",
    "plot_batchnorm_sync",
    "plot_budget_comparison",
    "plot_centering_contours",
    "plot_classifier_curves",
    "plot_condition_vs_offset",
    "plot_drift",
    "plot_errors_along_axes",
    "plot_fair_comparison",
    "plot_gradient_noise",
    "plot_gradient_norms",
    "plot_linear_scaling",
    "plot_linear_steps",
    "plot_loss_grid",
    "plot_memory",
    "plot_neighbour_comparison",
    "plot_replicates",
    "plot_shards",
    "plot_sharpness",
    "plot_statistic_cubes",
    "plot_statistic_spread",
    "plot_step_time",
    "plot_steps_to_target",
    "plot_steps_vs_offset",
    "plot_straightness",
    "plot_sweep",
    "plot_throughput",
    "plot_training_paths",
    "plot_tuned_rates",
    "plot_warmup_sharpness",
    "plot_weight_paths",
]
