"""Lesson 03's figures: loss contours with and without centering, steps against the offset, batch means.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..conditioning import CenteringExperiment
from .common import OKABE_ITO, new_figure


def plot_centering_contours(experiment: CenteringExperiment, fig: Figure | None = None) -> Figure:
    """Contours of ``J(θ0, θ1)`` with the first gradient descent steps and the optimum.

    Parameters
    ----------
    experiment : CenteringExperiment
        From :func:`batchkit.conditioning.centering_experiment`.
    """
    fig = new_figure(6.0, 4.4) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.13, 0.12, 0.82, 0.76))
    path, optimum, H = experiment.path, experiment.optimum, experiment.H
    draw_loss_contours(ax, H, optimum, np.vstack([path, optimum]))
    ax.plot(path[:, 0], path[:, 1], "-o", color=OKABE_ITO[5], markersize=3, linewidth=1.2,
            label=f"gradient descent, first {len(path) - 1} steps")
    ax.plot(*optimum, marker="*", color="black", markersize=14, linestyle="none", label="optimum θ*")
    ax.set_xlabel("θ0, intercept (units of y)")
    ax.set_ylabel("θ1, slope (units of y per unit of x)")
    inputs = "centered x" if experiment.centered else f"x around {experiment.offset:.0f}"
    ax.set_title(f"{inputs}: condition number {experiment.condition:.3g}, "
                 f"{experiment.steps_needed:,} steps to tolerance", fontsize="medium")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return fig


def draw_loss_contours(ax, H: np.ndarray, optimum: np.ndarray, points: np.ndarray) -> None:
    """Contours of ``J(θ) - J(θ*) = ½ (θ - θ*)ᵀ H (θ - θ*)`` (exact for linear regression) around ``points``.

    Levels are spaced geometrically (each 10^0.5 apart) so that both the steep and the flat direction show. The grid
    is fine (300 x 300) because at large condition numbers the inner ellipses are only a few grid cells wide.
    """
    low, high = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(0.25 * (high - low), 0.5)
    theta0 = np.linspace(low[0] - margin[0], high[0] + margin[0], 300)
    theta1 = np.linspace(low[1] - margin[1], high[1] + margin[1], 300)
    grid = np.stack(np.meshgrid(theta0, theta1), axis=-1) - optimum  # (300, 300, 2) errors θ - θ*
    excess = 0.5 * np.einsum("...i,ij,...j->...", grid, H, grid)
    top = max(excess.max(), 1e-12)
    ax.contour(theta0, theta1, excess, levels=np.geomspace(top * 1e-6, top, 13), colors=OKABE_ITO[0],
               linewidths=0.8, alpha=0.7)


def plot_steps_vs_offset(offsets: np.ndarray, steps: dict[str, np.ndarray], conditions: dict[str, np.ndarray]) -> Figure:
    """Two panels against the input offset: steps to tolerance, and the condition number of the Hessian.

    Parameters
    ----------
    offsets : numpy.ndarray, shape (k,)
    steps, conditions : dict of str to numpy.ndarray, shape (k,)
        One line per setting (for example "raw x" and "centered x").
    """
    fig = new_figure(9.0, 3.6)
    axes = [fig.add_axes((0.08 + k * 0.5, 0.15, 0.4, 0.72)) for k in range(2)]
    for ax, values, label in [(axes[0], steps, "GD steps to reach J - J* ≤ tolerance"),
                              (axes[1], conditions, "condition number κ of the Hessian")]:
        for (name, series), colour, marker in zip(values.items(), OKABE_ITO, "os"):
            ax.plot(offsets, series, marker=marker, color=colour, label=name)
        ax.set_yscale("log")
        ax.set_xlabel("offset: mean of the input x (units of x)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False, fontsize="small")
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
    spread = max(theory_std, means.std(), 1e-9)
    ax.hist(means, bins=30, range=(population_mean - 4.5 * spread, population_mean + 4.5 * spread), density=True,
            color=OKABE_ITO[4], edgecolor="white", label=f"{len(means)} batch means (measured)")
    if theory_std > 0:
        grid = np.linspace(population_mean - 4.5 * spread, population_mean + 4.5 * spread, 200)
        density = np.exp(-0.5 * ((grid - population_mean) / theory_std) ** 2) / (theory_std * np.sqrt(2 * np.pi))
        ax.plot(grid, density, color=OKABE_ITO[5], linewidth=2, label="normal, std from theory")
    ax.axvline(population_mean, color="black", linestyle="--", linewidth=1, label="mean of all samples")
    ax.set_xlabel("batch mean (units of x)")
    ax.set_ylabel("density (1 / units of x)")
    ax.set_title(f"b = {batch_size}: measured std {means.std():.3f}, theory {theory_std:.3f}", fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig
