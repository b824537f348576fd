"""Lesson 03's figures: loss contours with and without centering, the condition number and the steps against the
offset, the zig-zag of the weights, batch means.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..conditioning import CenteringExperiment, errors_along_axes
from ..seeds import Replicates
from .common import OKABE_ITO, legend_below, new_figure, plot_replicates


def plot_centering_contours(experiment: CenteringExperiment, fig: Figure | None = None) -> Figure:
    """Contours of ``J(θ0, θ1)``, with equal scales on both axes, the first gradient descent steps and the optimum.

    Even and odd steps get different markers, so that a path that bounces between the walls of a narrow valley
    shows as two groups of points.

    Parameters
    ----------
    experiment : CenteringExperiment
        From :func:`batchkit.conditioning.centering_experiment`.
    """
    fig = new_figure(6.0, 5.0) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.14, 0.11, 0.8, 0.78))
    path, optimum, H = experiment.path, experiment.optimum, experiment.H
    draw_loss_contours(ax, H, optimum, np.vstack([path, optimum]), equal_aspect=True)
    ax.plot(path[:, 0], path[:, 1], "-", color=OKABE_ITO[5], linewidth=0.8, alpha=0.6)
    shown = len(path) - 1
    ax.plot(path[0::2, 0], path[0::2, 1], "o", color=OKABE_ITO[5], markersize=4,
            label=f"start and even steps (of the first {shown})")
    ax.plot(path[1::2, 0], path[1::2, 1], "s", color=OKABE_ITO[2], markersize=4, label="odd steps")
    ax.plot(*optimum, marker="*", color="black", markersize=14, linestyle="none", label="optimum θ*")
    ax.set_xlabel("θ0, intercept (units of y)")
    ax.set_ylabel("θ1, slope (units of y per unit of x)")
    inputs = {(False, False): f"raw x (mean {experiment.offset:.3g})", (True, False): "centered x",
              (True, True): "centered and scaled x", (False, True): "x divided by its std"}[
        (experiment.centered, experiment.scaled)]
    ax.set_title(f"{inputs}: κ = {experiment.condition:.3g}, α = {experiment.learning_rate:.3g},\n"
                 f"{experiment.steps_needed:,} steps to tolerance", fontsize="medium")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return fig


def plot_errors_along_axes(experiments: dict[str, CenteringExperiment]) -> Figure:
    """One panel per experiment: the error ``θ - θ*`` along the steep and the flat axis of the bowl at every shown
    step, divided by its absolute value at step 0 so that it keeps its sign
    (:func:`batchkit.conditioning.errors_along_axes`).

    Parameters
    ----------
    experiments : dict of str to CenteringExperiment
        Panel titles and experiments, drawn left to right with a shared y axis.
    """
    fig = new_figure(10.0, 3.8)
    width = 0.86 / len(experiments)
    for k, (title, experiment) in enumerate(experiments.items()):
        ax = fig.add_axes((0.09 + k * width, 0.14, width - 0.04, 0.66))
        errors = errors_along_axes(experiment)
        start = np.where(errors[0] != 0, np.abs(errors[0]), 1.0)
        steps = np.arange(len(errors))
        for column, name, colour, marker in [(1, "steep", OKABE_ITO[5], "o"), (0, "flat", OKABE_ITO[0], "s")]:
            ax.plot(steps, errors[:, column] / start[column], "-", marker=marker, color=colour, markersize=3,
                    linewidth=1.0, label=f"along the {name} axis")
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_ylim(-1.15, 1.15)
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("gradient descent step t")
        ax.grid(True, alpha=0.3)
        if k == 0:
            ax.set_ylabel("error θ - θ* along one axis,\ndivided by |error at t = 0|")
        else:
            ax.tick_params(labelleft=False)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, frameon=False, fontsize="small")
    return fig


def draw_loss_contours(ax, H: np.ndarray, optimum: np.ndarray, points: np.ndarray, *,
                       equal_aspect: bool = False) -> None:
    """Contours of ``J(θ) - J(θ*) = ½ (θ - θ*)ᵀ H (θ - θ*)`` (exact for linear regression) around ``points``.

    Levels are spaced geometrically (each 10^0.5 apart) so that both the steep and the flat direction show. The grid
    is fine (300 x 300) because at large condition numbers the inner ellipses are only a few grid cells wide.

    Parameters
    ----------
    ax : matplotlib Axes
    H : numpy.ndarray, shape (2, 2)
    optimum : numpy.ndarray, shape (2,)
    points : numpy.ndarray, shape (k, 2)
        The window covers these, with a margin.
    equal_aspect : bool
        One unit of θ0 as long as one unit of θ1, in a square window: the ellipses then have their true shape.
    """
    low, high = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(0.25 * (high - low), 0.5)
    low, high = low - margin, high + margin
    if equal_aspect:
        middle, half = (low + high) / 2, (high - low).max() / 2
        low, high = middle - half, middle + half
    theta0 = np.linspace(low[0], high[0], 300)
    theta1 = np.linspace(low[1], high[1], 300)
    grid = np.stack(np.meshgrid(theta0, theta1), axis=-1) - optimum  # (300, 300, 2) errors θ - θ*
    excess = 0.5 * np.einsum("...i,ij,...j->...", grid, H, grid)
    top = max(excess.max(), 1e-12)
    ax.contour(theta0, theta1, excess, levels=np.geomspace(top * 1e-6, top, 13), colors=OKABE_ITO[0],
               linewidths=0.8, alpha=0.7)
    if equal_aspect:
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_aspect("equal", adjustable="box")


def plot_steps_vs_offset(offsets: list, steps: dict[str, Replicates]) -> Figure:
    """Gradient descent steps to tolerance against the input offset, log-log, every seed shown.

    Parameters
    ----------
    offsets : list of float, length k
    steps : dict of str to Replicates
        One series per setting ("raw x", "centered x"), results of shape (k,) per seed.
    """
    return plot_replicates(offsets, steps, "offset c: mean of the input x (units of x)",
                           "full-batch GD steps until J - J* ≤ 1e-6", logx=True, logy=True)


def plot_condition_vs_offset(offsets: list, conditions: dict[str, Replicates]) -> Figure:
    """Condition number of the Hessian against the input offset, log-log, every seed shown, with a slope-4 line.

    The reference line ``κ ∝ c⁴`` passes through the first series' median at the largest offset.
    """
    fig = plot_replicates(offsets, conditions, "offset c: mean of the input x (units of x)",
                          "condition number κ of the Hessian", logx=True, logy=True)
    ax = fig.axes[0]
    c = np.geomspace(min(offsets), max(offsets), 50)
    anchor = float(next(iter(conditions.values())).median[-1])
    ax.plot(c, anchor * (c / max(offsets)) ** 4, "--", color=OKABE_ITO[7], linewidth=1.0,
            label="slope 4: κ ∝ c⁴")
    legend_below(ax)
    return fig


def plot_straightness(learning_rates: list[float], straightness: dict[str, Replicates]) -> Figure:
    """Straightness of the weights' path (:func:`batchkit.conditioning.path_straightness`) against a learning rate
    shared by the settings compared, every seed shown; the y axis spans 0 to 1, the legend sits below the axes.

    Parameters
    ----------
    learning_rates : list of float, length k
    straightness : dict of str to Replicates
        One series per setting, results of shape (k,) per seed.
    """
    fig = plot_replicates(learning_rates, straightness, "learning rate α (the same for every setting)",
                          "straightness of the 1st epoch's path (1 = straight)", logx=True)
    ax = fig.axes[0]
    ax.set_ylim(0.0, 1.05)  # straightness lies in [0, 1]
    ax.set_yticks(np.linspace(0.0, 1.0, 6))
    return fig


def plot_weight_paths(paths: dict[str, np.ndarray], target: np.ndarray) -> Figure:
    """Paths of two weights ``(w1, w2)`` during training, one per setting, on equal scales.

    Parameters
    ----------
    paths : dict of str to numpy.ndarray, shape (steps + 1, 2)
    target : numpy.ndarray, shape (2,)
        The weights that minimize the loss.
    """
    fig = new_figure(6.0, 5.0)
    ax = fig.add_axes((0.12, 0.11, 0.84, 0.7))
    for (name, path), colour in zip(paths.items(), (OKABE_ITO[5], OKABE_ITO[0], OKABE_ITO[2])):
        ax.plot(path[:, 0], path[:, 1], "-o", color=colour, markersize=2, linewidth=0.8, alpha=0.85,
                label=f"{name}: {len(path) - 1} updates")
    ax.plot(*target, marker="*", color="black", markersize=14, linestyle="none", label="best weights w*")
    ax.plot(0, 0, marker="x", color="black", markersize=8, linestyle="none", label="start")
    ax.set_aspect("equal", adjustable="datalim")
    ax.axhline(0.0, color="grey", linewidth=0.5)
    ax.axvline(0.0, color="grey", linewidth=0.5)
    ax.set_xlabel("w1, weight of input 1 (units of y per unit of x1)")
    ax.set_ylabel("w2, weight of input 2 (units of y per unit of x2)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), ncol=2, fontsize="small", frameon=False)
    return fig


def plot_batch_mean_histogram(means: np.ndarray, population_mean: float, theory_std: float, batch_size: int,
                              fig: Figure | None = None) -> Figure:
    """Histogram of batch means with the normal curve that the theory predicts.

    Parameters
    ----------
    means : numpy.ndarray
        Batch means, any shape (flattened).
    population_mean, theory_std : float
        Centre and predicted spread, :func:`batchkit.statistics.batch_mean_std`.
    """
    fig = new_figure(6.5, 3.6) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.1, 0.15, 0.86, 0.72))
    means = np.ravel(means)
    measured = float(np.sqrt(np.mean((means - population_mean) ** 2)))  # around the mean of all samples
    spread = max(theory_std, measured, 1e-9)
    ax.hist(means, bins=30, range=(population_mean - 4.5 * spread, population_mean + 4.5 * spread), density=True,
            color=OKABE_ITO[4], edgecolor="white", label=f"{len(means)} batch means (measured)")
    if theory_std > 0:
        grid = np.linspace(population_mean - 4.5 * spread, population_mean + 4.5 * spread, 200)
        density = np.exp(-0.5 * ((grid - population_mean) / theory_std) ** 2) / (theory_std * np.sqrt(2 * np.pi))
        ax.plot(grid, density, color=OKABE_ITO[5], linewidth=2, label="normal, std from theory")
    ax.axvline(population_mean, color="black", linestyle="--", linewidth=1, label="mean of all samples")
    ax.set_xlabel("batch mean (units of x)")
    ax.set_ylabel("density (1 / units of x)")
    ax.set_title(f"b = {batch_size}: measured std {measured:.3f}, theory {theory_std:.3f}", fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig
