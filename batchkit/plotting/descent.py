"""Lesson 04's figures: GD, SGD and mini-batch GD paths, the fair comparison, the learning-rate grid, gradient noise.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ..training import History
from .centering import draw_loss_contours
from .common import OKABE_ITO, UNUSED_GREY, new_figure


def plot_training_paths(H: np.ndarray, optimum: np.ndarray, histories: dict[str, History],
                        fig: Figure | None = None) -> Figure:
    """Paths of θ = (θ0, θ1) during training, one per run, on the contours of ``J``.

    Parameters
    ----------
    H, optimum : numpy.ndarray
        Hessian (2, 2) and minimizer (2,) of ``J`` on all the data (:func:`batchkit.linreg.hessian`,
        :func:`batchkit.linreg.least_squares`).
    histories : dict of str to History
        One line per run, labelled by its key.
    """
    fig = new_figure(6.0, 4.6) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.13, 0.12, 0.82, 0.8))
    finite = [h.theta for h in histories.values()]
    draw_loss_contours(ax, H, optimum, np.vstack(finite + [optimum[None, :]]))
    for (name, history), colour, marker in zip(histories.items(), OKABE_ITO[5:] + OKABE_ITO, "o.s^"):
        theta = history.theta
        ax.plot(theta[:, 0], theta[:, 1], "-", marker=marker, color=colour, markersize=3, linewidth=1.0,
                alpha=0.85, label=f"{name}: {history.steps} updates")
    ax.plot(*optimum, marker="*", color="black", markersize=14, linestyle="none", label="optimum θ*")
    ax.set_xlabel("θ0, intercept (units of y)")
    ax.set_ylabel("θ1, slope (units of y per unit of x)")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return fig


def plot_fair_comparison(histories: dict[str, History], min_loss: float) -> Figure:
    """Three panels, shared y: ``J - J*`` against epochs, against parameter updates, and against seconds (log x).

    The loss is ``J`` on all the data, recorded every ``eval_every`` steps (:func:`batchkit.training.train`), so every
    run is judged on the same full-data loss however small its batches.
    """
    fig = new_figure(11.0, 3.8)
    axes = [fig.add_axes((0.06 + k * 0.32, 0.16, 0.27, 0.72)) for k in range(3)]
    for (name, h), colour in zip(histories.items(), OKABE_ITO):
        steps = np.concatenate([[0], h.eval_steps])
        excess = np.maximum(np.concatenate([[h.epoch_loss[0]], h.eval_loss]) - min_loss, 1e-12)
        seconds = np.concatenate([[np.nan], h.wall_time[h.eval_steps - 1]]) if len(h.eval_steps) else steps * np.nan
        axes[0].plot(steps / h.steps_per_epoch, excess, color=colour, label=name)
        axes[1].plot(np.maximum(steps, 1), excess, color=colour, label=name)
        axes[2].plot(seconds, excess, color=colour, label=name)
    labels = ["epochs (passes over the data)", "parameter updates (steps)", "wall-clock time (s)"]
    for ax, label in zip(axes, labels):
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.grid(True, alpha=0.3)
    axes[1].set_xscale("log")
    axes[2].set_xscale("log")
    axes[0].set_ylabel("J - J* on all data (units of y²)")
    axes[0].legend(frameon=False, fontsize="small")
    return fig


def plot_loss_grid(batch_sizes: list[int], learning_rates: list[float], final_loss: np.ndarray, min_loss: float,
                   start_loss: float) -> Figure:
    """Heat map of the final ``J - J*`` over batch size × learning rate.

    Runs that ended worse than they started (``final_loss >= start_loss``, including diverged ones) are grey with a
    cross, so that the colour scale shows the runs that learned.

    Parameters
    ----------
    final_loss : numpy.ndarray, shape (len(batch_sizes), len(learning_rates))
        From :func:`batchkit.training.final_losses` (``inf`` for diverged runs).
    min_loss, start_loss : float
        ``J*`` and ``J`` at the starting parameters.
    """
    fig = new_figure(7.0, 4.2)
    ax = fig.add_axes((0.12, 0.17, 0.7, 0.74))
    cax = fig.add_axes((0.85, 0.17, 0.03, 0.74))
    failed = ~(final_loss < start_loss)
    excess = np.log10(np.maximum(np.where(failed, 1.0, final_loss) - min_loss, 1e-12))
    cmap = colormaps["viridis"].with_extremes(bad=UNUSED_GREY)
    mesh = ax.pcolormesh(np.arange(len(learning_rates) + 1), np.arange(len(batch_sizes) + 1),
                         np.ma.masked_where(failed, excess), cmap=cmap)
    for i, j in zip(*np.nonzero(failed)):
        ax.text(j + 0.5, i + 0.5, "×", ha="center", va="center", color="black", fontsize="large")
    ax.set_xticks(np.arange(len(learning_rates)) + 0.5, [f"{r:g}" for r in learning_rates], rotation=45)
    ax.set_yticks(np.arange(len(batch_sizes)) + 0.5, [str(b) for b in batch_sizes])
    ax.set_xlabel("learning rate α")
    ax.set_ylabel("batch size b (samples)")
    ax.set_title("final J - J* after the same number of epochs (× = no better than the start, or diverged)",
                 fontsize="small")
    fig.colorbar(mesh, cax=cax).set_label("log10(J - J*), units of y²")
    return fig


def plot_gradient_noise(batch_sizes: np.ndarray, measured: np.ndarray, predicted: np.ndarray) -> Figure:
    """Measured mini-batch gradient noise against batch size, with the predicted ``1/√b`` law (log-log)."""
    fig = new_figure(6.0, 3.8)
    ax = fig.add_axes((0.13, 0.15, 0.82, 0.75))
    ax.plot(batch_sizes, measured, "o", color=OKABE_ITO[0], label="measured RMS |g_batch - g|")
    ax.plot(batch_sizes, predicted, "-", color=OKABE_ITO[1], label="σ/√b · √((n-b)/(n-1))")
    ax.set_xscale("log", base=2)
    ax.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_xlabel("batch size b (samples)")
    ax.set_ylabel("gradient noise (units of the gradient)")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return fig
