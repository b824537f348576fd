"""Lesson 04's figures: GD, SGD and mini-batch GD paths, the fair comparison (every seed), the comparison per budget
of epochs, the learning-rate grid, gradient noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ..seeds import Replicates
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
    ax = fig.add_axes((0.11, 0.11, 0.85, 0.84))
    points = np.vstack([h.theta for h in histories.values()] + [optimum[None, :]])
    width, height = fig.get_size_inches() * (0.85, 0.84)
    draw_loss_contours(ax, H, optimum, _widened(points, width / height))
    colours = (OKABE_ITO[5], OKABE_ITO[2], OKABE_ITO[7], OKABE_ITO[3])  # none close to the blue contours
    for (name, history), colour, marker in zip(histories.items(), colours, "o.s^"):
        theta = history.theta
        ax.plot(theta[:, 0], theta[:, 1], "-", marker=marker, color=colour, markersize=3, linewidth=1.0,
                alpha=0.85, label=f"{name}: {history.steps} updates")
    ax.plot(*optimum, marker="*", color="black", markersize=14, linestyle="none", label="optimum θ*")
    ax.set_xlabel("θ0, intercept (units of y)")
    ax.set_ylabel("θ1, slope (units of y per unit of x)")
    ax.set_aspect("equal", adjustable="datalim")  # equal units on both axes: the contours show the bowl's true shape
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return fig


def _widened(points: np.ndarray, aspect: float) -> np.ndarray:
    """``points`` (k, 2) plus two corners that stretch their bounding box to width / height = ``aspect``, so that
    contours drawn around them fill axes of that shape at equal scales."""
    low, high = points.min(axis=0), points.max(axis=0)
    centre, span = (low + high) / 2, np.maximum(high - low, 1e-9)
    span = np.maximum(span, (span[1] * aspect, span[0] / aspect))
    return np.vstack([points, centre - span / 2, centre + span / 2])


def plot_fair_comparison(runs: dict[str, History | Sequence[History]], min_loss: float) -> Figure:
    """Three panels, shared y: ``J - J*`` against epochs, against parameter updates, and against seconds (log x).

    The loss is ``J`` on all the data, recorded every ``eval_every`` steps (:func:`batchkit.training.train`), so every
    run is judged on the same full-data loss however small its batches.

    Parameters
    ----------
    runs : dict of str to History, or to a sequence of Histories
        One method per entry: one run, or one run per seed (every seed a thin line, the median bold). The runs of
        one method must share their ``eval_steps``.
    min_loss : float
        ``J*``, the minimum of ``J``.
    """
    fig = new_figure(11.0, 4.1)
    axes = [fig.add_axes((0.06 + k * 0.32, 0.15, 0.27, 0.72)) for k in range(3)]
    for (name, group), colour in zip(runs.items(), OKABE_ITO):
        group = [group] if isinstance(group, History) else list(group)
        if any(not np.array_equal(h.eval_steps, group[0].eval_steps) for h in group):
            raise ValueError(f"the runs of {name!r} must share their eval_steps (same data, batch size and eval_every)")
        steps = np.concatenate([[0], group[0].eval_steps])
        excess = np.array([np.concatenate([[h.epoch_loss[0]], h.eval_loss]) for h in group]) - min_loss
        seconds = np.array([np.concatenate([[np.nan], h.wall_time[h.eval_steps - 1]]) for h in group])
        label = name if len(group) == 1 else f"{name}: median, each of {len(group)} seeds"
        clocks = (steps / group[0].steps_per_epoch, np.maximum(steps, 1), seconds)
        for ax, x in zip(axes, clocks):
            _draw_seeds(ax, x, np.maximum(excess, 1e-12), colour, label)
    labels = ["epochs (passes over the data)", "parameter updates (steps)", "wall-clock time (s)"]
    for ax, label in zip(axes, labels):
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.grid(True, alpha=0.3)
    for ax in axes[1:]:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # short ranges would label minor ticks on top of each other
    axes[0].set_ylabel("J - J* on all data (units of y²)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=len(runs),
               frameon=False, fontsize="small")
    return fig


def plot_budget_comparison(budgets: list[int], panels: dict[str, dict[str, Replicates]], *,
                           floor: float = 1e-5) -> Figure:
    """Side-by-side panels of ``J - J*`` against the budget of epochs, each method at its best rate for each budget.

    Parameters
    ----------
    budgets : list of int, length k
    panels : dict of str to dict of str to Replicates
        Panel title to {method: per-seed results of shape (k,)} (:func:`batchkit.tuning.reported_per_budget`).
        Every seed is a thin line, the median bold, the range shaded.
    floor : float
        Values below it (exact solutions, up to rounding) are drawn at it, on a dotted line, so that the log axis can
        show them.
    """
    fig = new_figure(11.0, 4.0)
    axes = [fig.add_axes((0.07 + k * 0.47, 0.14, 0.42, 0.76)) for k in range(len(panels))]
    x = np.asarray(budgets, dtype=float)
    for ax, (title, series) in zip(axes, panels.items()):
        for (name, runs), colour, marker in zip(series.items(), OKABE_ITO, "osD^v"):
            if runs.values.shape[1:] != (len(budgets),):
                raise ValueError(f"{name!r} in panel {title!r} has results of shape {runs.values.shape[1:]} per seed, "
                                 f"expected ({len(budgets)},), one per budget")
            _draw_seeds(ax, x, np.maximum(runs.values, floor), colour,
                        f"{name}: median, range, each of {len(runs.seeds)} seeds", marker=marker, band=True)
        ax.axhline(floor, color="grey", linestyle=":", linewidth=1.0,
                   label=f"J - J* below {floor:g}: drawn on this line")
        ax.set_yscale("log")
        ax.set_xticks([b for b in budgets if b == 1 or b % 5 == 0])
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("budget: epochs of training")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("J - J* at the α tuned for the budget (units of y²)")
    low, high = min(ax.get_ylim()[0] for ax in axes), max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(low, high)
    axes[-1].legend(frameon=False, fontsize="small", loc="upper right")
    return fig


def _draw_seeds(ax, x: np.ndarray, values: np.ndarray, colour: str, label: str, *, marker: str | None = None,
                band: bool = False) -> None:
    """Every row of ``values`` (one per seed) as a thin line, the median over seeds bold; ``x`` is shared, (k,), or
    one row per seed, (seeds, k). ``band`` shades the range (for a shared ``x`` only)."""
    xs = np.broadcast_to(x, values.shape)
    if len(values) > 1:
        for row_x, row in zip(xs, values):
            ax.plot(row_x, row, color=colour, alpha=0.35, linewidth=0.8)
        if band:
            ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=colour, alpha=0.15, linewidth=0)
    ax.plot(np.median(xs, axis=0), np.median(values, axis=0), color=colour, marker=marker, markersize=4,
            linewidth=1.8 if len(values) > 1 else 1.4, label=label)


def plot_loss_grid(batch_sizes: list[int], learning_rates: list[float], final_loss: np.ndarray, min_loss: float,
                   start_loss: float, title: str = "final J - J* after the same number of epochs") -> Figure:
    """Heat map of the final ``J - J*`` over batch size × learning rate.

    Runs that ended worse than they started (``final_loss >= start_loss``, including diverged ones) are grey with a
    cross, so that the colour scale shows the runs that learned.

    Parameters
    ----------
    final_loss : numpy.ndarray, shape (len(batch_sizes), len(learning_rates))
        From :func:`batchkit.tuning.final_losses` (``inf`` for diverged runs), or their median over seeds.
    min_loss, start_loss : float
        ``J*`` and ``J`` at the starting parameters.
    title : str
        What the colours show; "(× = no better than the start, or diverged)" is appended.
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
    ax.set_title(f"{title} (× = no better than the start, or diverged)", fontsize="small")
    fig.colorbar(mesh, cax=cax).set_label("log10(J - J*), units of y²")
    return fig


def plot_gradient_noise(batch_sizes: np.ndarray, measured: Replicates, predicted: np.ndarray) -> Figure:
    """Measured mini-batch gradient noise against batch size, every seed shown, with the predicted ``1/√b`` law.

    Parameters
    ----------
    batch_sizes : numpy.ndarray of int, shape (k,)
    measured : Replicates
        :func:`batchkit.linreg.gradient_noise` per seed, shape (k,) each: thin lines, the median bold, the range shaded.
    predicted : numpy.ndarray, shape (k,)
    """
    fig = new_figure(6.0, 3.8)
    ax = fig.add_axes((0.15, 0.15, 0.8, 0.75))
    _draw_seeds(ax, np.asarray(batch_sizes), measured.values, OKABE_ITO[0], marker="o", band=True,
                label=f"measured RMS |g_batch - g|: median, range, each of {len(measured.seeds)} seeds")
    ax.plot(batch_sizes, predicted, "--", color=OKABE_ITO[1], label="predicted σ/√b · √((n-b)/(n-1))")
    ax.set_xscale("log", base=2)
    ax.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    ax.minorticks_off()
    ax.set_yscale("log")
    values = np.concatenate([measured.values.ravel(), predicted])
    decades = 10.0 ** np.arange(np.floor(np.log10(values.min())), np.ceil(np.log10(values.max())) + 1)
    ticks = [t for t in np.outer(decades, [1, 2, 5]).ravel() if values.min() / 1.2 <= t <= values.max() * 1.2]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("batch size b (samples)")
    ax.set_ylabel("RMS |g_batch - g|: norm over ∂J/∂θ0 (units of y)\nand ∂J/∂θ1 (units of y·x), mixed units")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return fig
