"""Lesson 06's figures: throughput against neighbouring batch sizes, memory of a training step, steps to a target,
tuned learning rates, and sharpness along training (with and without warm-up).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..seeds import Replicates
from ..timing import NeighbourComparison
from .common import OKABE_ITO, legend_below, new_figure, plain_log_ticks, plot_replicates


def plot_memory(batch_sizes: np.ndarray, peaks: np.ndarray, parameter_bytes: int, title: str = "",
                fig: Figure | None = None) -> Figure:
    """Peak memory of a training step against batch size, with the part that does not depend on it.

    Parameters
    ----------
    batch_sizes : numpy.ndarray, shape (k,)
    peaks : numpy.ndarray, shape (k,)
        Bytes allocated by one step (:func:`batchkit.batch_size_study.memory_by_batch_size`).
    parameter_bytes : int
        Bytes of the parameters (held in addition, whatever the batch size).
    """
    fig = new_figure(6.5, 3.8) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.13, 0.15, 0.82, 0.72))
    mib = 2.0**20
    total = (np.asarray(peaks) + parameter_bytes) / mib
    ax.plot(batch_sizes, total, "o-", color=OKABE_ITO[0], label="parameters + one training step (measured)")
    ax.axhline(2 * parameter_bytes / mib, color=OKABE_ITO[1], linestyle="--",
               label="parameters + their gradients (fixed)")
    ax.set_xlabel("batch size b (samples)")
    ax.set_ylabel("memory (MiB)")
    ax.set_ylim(0, None)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="upper left")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def plot_neighbour_comparison(comparison: NeighbourComparison, title: str = "") -> Figure:
    """Each b's throughput relative to the mean of b - 1 and b + 1, beside the noise floor (b against itself).

    Medians over the rounds, with bars from the lower to the upper quartile. One position per b, evenly spaced,
    so that neighbouring sizes do not crowd each other.

    Parameters
    ----------
    comparison : NeighbourComparison
        From :func:`batchkit.timing.compare_with_neighbours`.
    """
    fig = new_figure(6.5, 4.2)
    ax = fig.add_axes((0.13, 0.27, 0.82, 0.64))
    position = np.arange(len(comparison.batch_sizes))
    series = (("b against b - 1 and b + 1", comparison.relative, OKABE_ITO[0], "o", -0.12),
              ("noise floor: b against two more timings of b", comparison.noise_floor, OKABE_ITO[7], "s", 0.12))
    for label, ratios, colour, marker, shift in series:
        q1, median, q3 = 100 * np.percentile(ratios, [25, 50, 75], axis=1)
        ax.errorbar(position + shift, median, yerr=[median - q1, q3 - median], fmt=marker, color=colour,
                    capsize=4, label=f"{label} (median, quartiles)")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(position, [str(b) for b in comparison.batch_sizes])
    ax.set_xlabel("batch size b (samples)")
    ax.set_ylabel("throughput relative to neighbours (%)")
    ax.grid(True, axis="y", alpha=0.3)
    fig.legend(frameon=False, fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 0.0))
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def plot_steps_to_target(batch_sizes: list, steps: Replicates, ylabel: str, *, fit: tuple[float, float] | None = None,
                         noise_scales: Replicates | None = None) -> Figure:
    """Steps (or seconds) to a target against the batch size, log-log, every seed, with a perfect-scaling line.

    Parameters
    ----------
    batch_sizes : list, length k
    steps : Replicates
        Results of shape (k,) per seed (``inf`` for runs that never reached the target).
    ylabel : str
    fit : (s_min, b_crit), optional
        Draw ``s_min (1 + b_crit / b)`` and mark b_crit (:func:`batchkit.steps_to_target.fit_steps_model`).
    noise_scales : Replicates, optional
        Values of B_simple (one number per seed and point of training), shown as a shaded span of b.
    """
    fig = plot_replicates(batch_sizes, {"tuned runs": steps}, "batch size b (samples)", ylabel, logy=True)
    ax = fig.axes[0]
    b = np.asarray(batch_sizes, dtype=float)
    first = float(steps.median[0])
    ax.plot(b, first * b[0] / b, linestyle=":", color="grey", label="perfect scaling: steps × 1/b")
    if fit is not None:
        s_min, b_crit = fit
        ax.plot(b, s_min * (1 + b_crit / b), linestyle="--", color=OKABE_ITO[5],
                label=f"fit s_min (1 + b_crit / b), b_crit = {b_crit:.0f}")
        ax.axvline(b_crit, color=OKABE_ITO[5], linewidth=0.8, label=f"b_crit = {b_crit:.0f}: steps twice s_min")
    if noise_scales is not None:
        values = noise_scales.values[np.isfinite(noise_scales.values)]
        ax.axvspan(values.min(), values.max(), color=OKABE_ITO[2], alpha=0.15, linewidth=0,
                   label=f"B_simple measured in training ({values.min():.0f} to {values.max():.0f})")
    ax.set_ylim(top=2.0 * np.nanmax(np.where(np.isfinite(steps.values), steps.values, np.nan)))
    legend_below(ax)
    return fig


def plot_tuned_rates(batch_sizes: list, rates: Replicates, base_size: int, base_rate: float,
                     stable_limit: Replicates) -> Figure:
    """Each seed's best learning rate against b, log-log, with the linear scaling rule and the limit 2/λ_max.

    Parameters
    ----------
    batch_sizes : list, length k
    rates : Replicates
        Best learning rate per seed, shape (k,) per seed.
    base_size, base_rate : int, float
        The rule's starting point: α grows like ``base_rate · b / base_size``.
    stable_limit : Replicates
        2/λ_max per seed (one number each), shown as a shaded band.
    """
    fig = plot_replicates(batch_sizes, {"best α per seed": rates}, "batch size b (samples)",
                          "learning rate α", logy=True)
    ax = fig.axes[0]
    b = np.asarray(batch_sizes, dtype=float)
    ax.plot(b, base_rate * b / base_size, linestyle=":", color="grey",
            label=f"linear scaling from b = {base_size}: α = {base_rate:g} · b / {base_size}")
    ax.axhspan(float(stable_limit.low), float(stable_limit.high), color=OKABE_ITO[5], alpha=0.2, linewidth=0,
               label="2 / λ_max at the start of training (range over seeds)")
    ax.set_ylim(0.5 * float(np.min(rates.values)), 4.0 * float(np.max(rates.values)))
    legend_below(ax)
    return fig


def plot_sharpness(steps: list, sharpness: Replicates, learning_rates: dict[str, float]) -> Figure:
    """λ_max along training (every seed), with the level 2/α above which a step of rate α is unstable.

    Parameters
    ----------
    steps : list, length k
        Steps at which λ_max was measured.
    sharpness : Replicates
        λ_max per seed, shape (k,) per seed.
    learning_rates : dict of str to float
        Rates whose limit 2/α to draw, by label.
    """
    fig = plot_replicates(steps, {"λ_max": sharpness}, "step s", "top Hessian eigenvalue λ_max", logx=False)
    ax = fig.axes[0]
    for (label, rate), colour in zip(learning_rates.items(), (OKABE_ITO[5], OKABE_ITO[7], OKABE_ITO[3])):
        ax.axhline(2.0 / rate, color=colour, linestyle="--", label=f"2 / α for {label} (α = {rate:g})")
    ax.set_ylim(0, 1.3 * max(float(np.max(sharpness.values)), *(2.0 / r for r in learning_rates.values())))
    legend_below(ax)
    return fig


def _draw_seeds(ax, x: np.ndarray, runs: Replicates, colour: str, label: str, floor: float | None = None) -> None:
    """Every seed thin, the median bold, the range shaded, as :func:`batchkit.plotting.plot_replicates` draws them.

    With ``floor``, values below it are drawn at it (for a logarithmic axis, which cannot show 0).
    """
    values = runs.values if floor is None else np.maximum(runs.values, floor)
    for row in values:
        ax.plot(x, row, color=colour, alpha=0.35, linewidth=0.8)
    ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=colour, alpha=0.15, linewidth=0)
    ax.plot(x, np.median(values, axis=0), marker="o", markersize=3, color=colour, linewidth=2.0,
            label=label)


def plot_warmup_sharpness(steps: list, sharpness: Replicates, rates: np.ndarray, accuracy: Replicates, *,
                          warmup_steps: int, target: float, floor: float = 0.01) -> Figure:
    """λ_max along a run with warm-up against the limit 2/α(s) of its rising rate, and its validation accuracy.

    Parameters
    ----------
    steps : list, length k
        Steps s at which the run was measured (all > 0: the step axis is logarithmic).
    sharpness : Replicates
        λ_max per seed, shape (k,) per seed. Values below ``floor`` are drawn at ``floor``.
    rates : numpy.ndarray, shape (k,)
        The learning rate α(s) of the schedule at those steps.
    accuracy : Replicates
        Validation accuracy per seed, shape (k,) per seed.
    warmup_steps : int
        Where the warm-up ends (a vertical line).
    target : float
        The target accuracy (a horizontal line).
    """
    fig = new_figure(6.5, 6.0)
    top = fig.add_axes((0.13, 0.55, 0.82, 0.42))
    bottom = fig.add_axes((0.13, 0.08, 0.82, 0.36), sharex=top)
    x = np.asarray(steps, dtype=float)
    _draw_seeds(top, x, sharpness, OKABE_ITO[0], f"λ_max: median, range and each of {len(sharpness.seeds)} seeds",
                floor=floor)
    top.plot(x, 2.0 / np.asarray(rates, dtype=float), linestyle="--", color=OKABE_ITO[5],
             label="2 / α(s): the stability limit of the rate at step s")
    top.set_yscale("log")
    plain_log_ticks(top.yaxis)
    top.set_ylabel("top Hessian eigenvalue λ_max")
    _draw_seeds(bottom, x, accuracy, OKABE_ITO[2], "validation accuracy (median, range, seeds)")
    bottom.axhline(target, color=OKABE_ITO[7], linestyle=":", label=f"target {target:.0%}")
    bottom.set_ylim(0, 1)
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    bottom.set_ylabel("validation accuracy")
    bottom.set_xlabel("step s (log scale)")
    bottom.set_xscale("log")
    plain_log_ticks(bottom.xaxis)
    top.tick_params(which="both", labelbottom=False)
    top.axvline(warmup_steps, color="grey", linewidth=0.8, label=f"end of warm-up (step {warmup_steps})")
    bottom.axvline(warmup_steps, color="grey", linewidth=0.8)
    top.legend(frameon=False, fontsize="small", loc="lower left")
    bottom.legend(frameon=False, fontsize="small", loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2)  # above it
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    return fig


def plot_accuracy_replicates(values: list, series: dict[str, Replicates], ylabel: str, *,
                             floor: float = 0.9) -> Figure:
    """Accuracies of every seed against the batch size, on an axis from ``floor`` to 100%.

    A fixed axis keeps differences of a point or two at their true size next to the whole range; the seeds'
    spread shows which of them are noise.
    """
    fig = plot_replicates(values, series, "batch size b (samples)", ylabel)
    ax = fig.axes[0]
    ax.set_ylim(floor, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    legend_below(ax)
    return fig
