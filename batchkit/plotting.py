"""Figures of the lessons. Every widget in :mod:`batchkit.widgets` draws with these same functions.

Figures are plain :class:`matplotlib.figure.Figure` objects, not pyplot figures: they never pile up in pyplot's
list of open figures, and in a notebook a figure returned as the cell's last value is shown once.
Colours: viridis for ordered quantities and the Okabe-Ito palette for categories, both safe for colour-blind readers.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from .conditioning import CenteringExperiment
from .mlp import ClassifierHistory
from .sampling import BatchAssignment
from .training import History
from .worked_example import ComputationStep

#: Okabe & Ito (2008) colour-blind-safe palette, for categorical lines.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
UNUSED_GREY = "#DDDDDD"


def new_figure(width: float = 8.0, height: float = 3.2) -> Figure:
    """A figure not registered with pyplot (see the module docstring)."""
    return Figure(figsize=(width, height))


def axes_with_colorbar(fig: Figure, *, top: float = 0.35, bottom: float = 0.5) -> tuple:
    """Main axes and a slim colour-bar axes at fixed positions; margins are in inches.

    A fixed layout, not ``layout="constrained"``: the layout engine would add about 30 ms to every widget redraw.
    """
    width, height = fig.get_size_inches()
    y0, y1 = bottom / height, 1.0 - top / height
    ax = fig.add_axes((0.7 / width, y0, 1.0 - 2.05 / width, y1 - y0))
    cax = fig.add_axes((1.0 - 1.25 / width, y0, 0.15 / width, y1 - y0))
    return ax, cax


def plot_batch_assignment(assignment: BatchAssignment, fig: Figure | None = None) -> Figure:
    """Draw which batch each sample fell into, one row per epoch.

    Each cell is one sample in one epoch, coloured by the number of its batch (dark = early step, bright = late).
    Grey cells are samples not used in that epoch (dropped by ``drop_last``, or never drawn with replacement);
    a cross marks a sample drawn more than once in the epoch (only possible with replacement).

    Parameters
    ----------
    assignment : BatchAssignment
        From :func:`batchkit.batch_assignment`; arrays of shape (epochs, n).
    fig : Figure, optional
        Figure to draw into (it is cleared). A new one is made by default.

    Returns
    -------
    Figure
    """
    fig = new_figure(8.0, 1.1 + 0.4 * assignment.epochs) if fig is None else fig
    fig.clear()
    ax, cax = axes_with_colorbar(fig)
    count = assignment.batches_per_epoch
    # One colour per batch number plus grey for -1 ("not used"), so the colour bar doubles as the legend.
    cmap = ListedColormap(np.vstack([to_rgba(UNUSED_GREY), _viridis_samples(count)]))
    edges_x = np.arange(assignment.n + 1) - 0.5
    edges_y = np.arange(assignment.epochs + 1) + 0.5
    mesh = ax.pcolormesh(edges_x, edges_y, assignment.batch_of, cmap=cmap, vmin=-1.5, vmax=count - 0.5,
                         edgecolors="white", linewidth=0.5 if assignment.n <= 64 else 0.0)
    ax.invert_yaxis()  # epoch 1 on top, read like a table
    epoch_row, sample = np.nonzero(assignment.times_drawn > 1)
    if len(sample):
        ax.scatter(sample, epoch_row + 1, marker="x", color="white", linewidths=2.5, s=36)
        ax.scatter(sample, epoch_row + 1, marker="x", color="black", linewidths=1.0, s=28,
                   label="drawn 2+ times in the epoch")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small",
                  borderaxespad=0.1)
    ax.set_xlabel(f"sample index i (0 to {assignment.n - 1})")
    ax.set_ylabel("epoch")
    ax.set_yticks(np.arange(1, assignment.epochs + 1))
    ticks = np.concatenate([[-1], _few_ticks(count)])
    colorbar = fig.colorbar(mesh, cax=cax, ticks=ticks)
    colorbar.ax.set_yticklabels(["unused"] + [str(t) for t in ticks[1:]])
    colorbar.set_label("batch (step) in epoch")
    order = "with replacement" if assignment.replacement else ("shuffled" if assignment.shuffle else "in order")
    drop = ", drop_last" if assignment.drop_last else ""
    ax.set_title(f"n = {assignment.n}, batch size = {assignment.batch_size}, {order}{drop}", fontsize="medium",
                 loc="left")
    return fig


def _viridis_samples(count: int) -> np.ndarray:
    return colormaps["viridis"](np.linspace(0.0, 0.95, max(count, 1)))


def _few_ticks(count: int) -> np.ndarray:
    """At most about eight integer ticks between 0 and count - 1."""
    step = max(1, int(np.ceil(count / 8)))
    return np.arange(0, count, step)


# Lesson 02 ---------------------------------------------------------------------------------------------------------

USED_BLUE = "#56B4E9"  # Okabe-Ito sky blue: cells a step reads
COMPUTED_ORANGE = "#E69F00"  # Okabe-Ito orange: cells a step computes


def plot_linear_steps(step: ComputationStep, tables: dict[str, np.ndarray], fig: Figure | None = None) -> Figure:
    """Draw the tables of ``ReLU(X Wᵀ + b)`` side by side, as known after ``step``.

    Cells the step reads are blue, cells it computes orange, cells not computed yet show "?".

    Parameters
    ----------
    step : ComputationStep
        From :func:`batchkit.worked_example.linear_relu_steps`.
    tables : dict of str to numpy.ndarray
        From :func:`batchkit.worked_example.example_tables`, 2-D arrays keyed by table name.
    """
    fig = new_figure(9.0, 2.6) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.8))
    operators = {"Wᵀ": "·", "X Wᵀ": "=", "b": "+", "Z = X Wᵀ + b": "=", "ReLU(Z)": "ReLU →"}
    left, rows = 0.0, max(table.shape[0] for table in tables.values())
    for name, table in tables.items():
        if name in operators:
            gap = 1.6 if len(operators[name]) > 1 else 1.0
            ax.text(left + gap / 2 - 0.5, rows / 2, operators[name], ha="center", va="center", fontsize="large")
            left += gap
        _draw_table(ax, table, left, rows, step.known[name], step.used[name], step.computed[name])
        ax.text(left + table.shape[1] / 2 - 0.5, -0.9, name, ha="center", va="bottom", fontsize="medium",
                fontweight="bold")
        left += table.shape[1] + 0.4
    ax.set_xlim(-0.7, left - 0.6)
    ax.set_ylim(rows, -1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=USED_BLUE, label="read in this step"),
               Patch(facecolor=COMPUTED_ORANGE, label="computed in this step")]
    fig.legend(handles=handles, loc="upper right", ncol=2, frameon=False, fontsize="small")
    fig.text(0.01, 0.97, "A linear layer with ReLU on a batch of 4 samples (rows = samples)", va="top",
             fontsize="medium")
    return fig


def _draw_table(ax, table, left, rows, known, used, computed) -> None:
    for (i, j), value in np.ndenumerate(table):
        colour = COMPUTED_ORANGE if computed[i, j] else USED_BLUE if used[i, j] else "white"
        ax.add_patch(Rectangle((left + j - 0.5, i - 0.5), 1, 1, facecolor=colour, edgecolor="0.3", linewidth=0.8))
        ax.text(left + j, i, f"{value:g}" if known[i, j] else "?", ha="center", va="center",
                color="black" if known[i, j] else "0.6", fontsize="medium")


def plot_batch_axes(Z: np.ndarray, b: np.ndarray) -> Figure:
    """Three panels: the batch sum down axis 0, the per-sample sum along axis 1, and the bias broadcast to every row.

    Parameters
    ----------
    Z : numpy.ndarray, shape (batch, features), rows layout
    b : numpy.ndarray, shape (features,)
    """
    fig = new_figure(9.0, 3.0)
    axes = [fig.add_axes((0.02 + k * 0.33, 0.02, 0.29, 0.78)) for k in range(3)]
    batch, features = Z.shape
    panels = [
        ("batch sum: Z.sum(axis=0)", "down the batch axis", Z.sum(axis=0, keepdims=True), "below"),
        ("per-sample sum: Z.sum(axis=1)", "along the feature axis", Z.sum(axis=1, keepdims=True), "right"),
    ]
    for ax, (title, subtitle, result, where) in zip(axes, panels):
        everything = np.ones(Z.shape, dtype=bool)
        _draw_table(ax, Z, 0, batch, everything, everything, ~everything)
        if where == "below":
            _axis_arrow(ax, (-0.9, -0.4), (-0.9, batch - 0.6), "axis 0")
            _draw_table(ax, result, 0, 1, everything[:1], everything[:1] & False, everything[:1])
            _shift_last_row(ax, batch + 0.3, features)
            ax.set_xlim(-1.6, features + 0.2)
            ax.set_ylim(batch + 1.6, -1.4)
            shape_text = f"shape ({features},), keepdims: (1, {features})"
        else:
            _axis_arrow(ax, (-0.4, -0.9), (features - 0.6, -0.9), "axis 1")
            _draw_table(ax, result, features + 0.4, batch, np.ones((batch, 1), bool), np.zeros((batch, 1), bool),
                        np.ones((batch, 1), bool))
            ax.set_xlim(-1.6, features + 1.2)
            ax.set_ylim(batch + 1.6, -1.4)
            shape_text = f"shape ({batch},), keepdims: ({batch}, 1)"
        ax.set_title(f"{title}\n{subtitle}", fontsize="small")
        ax.text(-0.5, batch + 1.3, shape_text, fontsize="small", va="center")
        ax.set_aspect("equal")
        ax.axis("off")
    ax = axes[2]
    everything = np.ones((batch, features), dtype=bool)
    stretched = np.broadcast_to(b, (batch, features))
    first_row = np.zeros((batch, features), dtype=bool)
    first_row[0] = True
    _draw_table(ax, stretched, 0, batch, everything, ~first_row, first_row)
    ax.set_xlim(-1.6, features + 0.2)
    ax.set_ylim(batch + 1.6, -1.4)
    ax.set_title("batch add: Z + b\nb (top row) is repeated for every row", fontsize="small")
    ax.text(-0.5, batch + 1.3, f"b ({features},) broadcasts to ({batch}, {features})", fontsize="small",
            va="center")
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=USED_BLUE, label="input, or a broadcast copy"),
               Patch(facecolor=COMPUTED_ORANGE, label="result, or b as stored")]
    fig.legend(handles=handles, loc="upper center", ncol=2, frameon=False, fontsize="small")
    return fig


def _axis_arrow(ax, start: tuple[float, float], end: tuple[float, float], label: str) -> None:
    """A labelled arrow beside a table, showing the direction a reduction runs in."""
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "#D55E00", "lw": 2})
    vertical = start[0] == end[0]
    ax.text((start[0] + end[0]) / 2 - (0.25 if vertical else 0), (start[1] + end[1]) / 2 - (0 if vertical else 0.3),
            label, color="#D55E00", fontsize="small", ha="right" if vertical else "center",
            va="center" if vertical else "bottom", rotation=90 if vertical else 0)


def _shift_last_row(ax, y: float, width: int) -> None:
    """Move the artists of the one-row table just drawn (the last ``width`` cells) down to row ``y``."""
    for patch in ax.patches[-width:]:
        patch.set_y(y - 0.5)
    for text in ax.texts[-width:]:
        text.set_y(y)


def plot_throughput(batch_sizes: np.ndarray, rates: dict[str, np.ndarray], spread: dict[str, np.ndarray] | None = None,
                    title: str = "") -> Figure:
    """Samples per second against batch size, one line per method, log-log.

    Parameters
    ----------
    batch_sizes : numpy.ndarray, shape (k,)
    rates : dict of str to numpy.ndarray, shape (k,)
        Median samples per second for each method.
    spread : dict of str to numpy.ndarray, shape (2, k), optional
        Lower and upper quartiles of the rate, drawn as a band.
    """
    fig = new_figure(6.5, 3.8)
    ax = fig.add_axes((0.13, 0.14, 0.83, 0.76))
    for (name, rate), colour, marker in zip(rates.items(), OKABE_ITO, "os^Dv"):
        ax.plot(batch_sizes, rate, marker=marker, color=colour, label=name)
        if spread is not None and name in spread:
            ax.fill_between(batch_sizes, spread[name][0], spread[name][1], color=colour, alpha=0.2, linewidth=0)
    ax.set_xscale("log", base=2)
    # Plain numbers, not 2^k; with many sizes (127, 128, 129...) only the powers of two are labelled.
    ticks = [b for b in batch_sizes if len(batch_sizes) <= 10 or (b & (b - 1)) == 0]
    ax.set_xticks(ticks, [str(b) for b in ticks])
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_xlabel("batch size b (samples)")
    ax.set_ylabel("throughput (samples / s)")
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if spread:
        handles.append(Patch(facecolor="grey", alpha=0.3, linewidth=0))
        labels.append("shaded: quartiles over the repeats")
    ax.legend(handles, labels, frameon=False)
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


# Lesson 03 ---------------------------------------------------------------------------------------------------------


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


# Lesson 04 ---------------------------------------------------------------------------------------------------------


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


# Lesson 05 ---------------------------------------------------------------------------------------------------------


def plot_classifier_curves(histories: dict[str, ClassifierHistory]) -> Figure:
    """Two panels against epochs: training loss (log y) and test accuracy, one line per run."""
    fig = new_figure(10.0, 3.6)
    axes = [fig.add_axes((0.07 + k * 0.5, 0.15, 0.4, 0.72)) for k in range(2)]
    for (name, h), colour in zip(histories.items(), OKABE_ITO):
        epochs = np.arange(len(h.loss))
        axes[0].plot(epochs, h.loss, color=colour, marker="o", markersize=3, label=name)
        axes[1].plot(epochs, h.test_accuracy, color=colour, marker="o", markersize=3, label=name)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("training loss (cross-entropy, nats)")
    axes[1].set_ylabel("test accuracy (fraction correct)")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False, fontsize="small")
    return fig


def plot_gradient_norms(histories: dict[str, ClassifierHistory], epochs: tuple[int, ...] = (0,)) -> Figure:
    """Gradient norm of every layer's weights (log y), per run and per chosen epoch."""
    fig = new_figure(6.5, 3.8)
    ax = fig.add_axes((0.13, 0.15, 0.82, 0.75))
    styles = ["-", "--", ":"]
    for (name, h), colour in zip(histories.items(), OKABE_ITO):
        for epoch, style in zip(epochs, styles):
            layers = np.arange(1, h.gradient_norms.shape[1] + 1)
            ax.plot(layers, h.gradient_norms[epoch], style, color=colour, marker="o", label=f"{name}, epoch {epoch}")
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("‖∂L/∂W‖ (gradient norm)")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_activation_bands(history: ClassifierHistory, layer: int, epoch: int, title: str,
                          fig: Figure | None = None) -> Figure:
    """Quantile bands (5-95% and 25-75%, and the median) of one hidden layer's activation input over training.

    Parameters
    ----------
    history : ClassifierHistory
        ``activation_quantiles`` of shape (epochs + 1, hidden layers, 5).
    layer : int
        Hidden layer, 1-based.
    epoch : int
        Marked with a vertical line.
    """
    fig = new_figure(6.5, 3.8) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.13, 0.15, 0.82, 0.72))
    q = history.activation_quantiles[:, layer - 1, :]
    epochs = np.arange(len(q))
    ax.fill_between(epochs, q[:, 0], q[:, 4], color=OKABE_ITO[4], alpha=0.35, linewidth=0, label="5% to 95%")
    ax.fill_between(epochs, q[:, 1], q[:, 3], color=OKABE_ITO[0], alpha=0.45, linewidth=0, label="25% to 75%")
    ax.plot(epochs, q[:, 2], color="black", linewidth=1.5, label="median")
    ax.axvline(epoch, color=OKABE_ITO[5], linestyle="--", linewidth=1.2, label=f"epoch {epoch}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("input of the activation (pre-activation z)")
    ax.set_title(title, fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="upper right")
    return fig


def plot_sweep(values: list, series: dict[str, np.ndarray], xlabel: str, ylabel: str, logx: bool = True) -> Figure:
    """One line per setting (with / without BN, ...) against a swept quantity: up to 8 series, each its own colour."""
    if not 1 <= len(series) <= len(OKABE_ITO):
        raise ValueError(f"plot_sweep draws 1 to {len(OKABE_ITO)} series (one colour each), got {len(series)}")
    fig = new_figure(6.5, 3.8)
    ax = fig.add_axes((0.13, 0.15, 0.82, 0.75))
    for (name, ys), colour, marker in zip(series.items(), OKABE_ITO, "osD^v<>p"):
        ax.plot(values, ys, marker=marker, color=colour, label=name)
    if logx:
        ax.set_xscale("log")
        ax.set_xticks(values, [f"{v:g}" for v in values])
        ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return fig


# Lesson 06 ---------------------------------------------------------------------------------------------------------


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
