"""Lesson 01's figure: which batch each sample falls into, epoch by epoch.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.figure import Figure

from ..sampling import BatchAssignment
from .common import UNUSED_GREY, axes_with_colorbar, new_figure


def plot_batch_assignment(assignment: BatchAssignment, fig: Figure | None = None) -> Figure:
    """Draw which batch each sample fell into, one row per epoch.

    Each cell is one sample in one epoch, coloured by the number of its batch (dark = early step, bright = late),
    counted from 1 like the epochs. Grey cells are samples not used in that epoch (dropped by ``drop_last``, or
    never drawn with replacement); a cross marks a sample drawn more than once in the epoch (only possible with
    replacement), coloured by the first batch that drew it.

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
                   label="drawn 2+ times (colour: its first batch)")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small",
                  borderaxespad=0.1)
    ax.set_xlabel(f"sample index i (0 to {assignment.n - 1})")
    ax.set_ylabel("epoch")
    ax.set_yticks(np.arange(1, assignment.epochs + 1))
    ticks = np.concatenate([[-1], _few_ticks(count)])
    colorbar = fig.colorbar(mesh, cax=cax, ticks=ticks)
    colorbar.ax.set_yticklabels(["unused"] + [str(t + 1) for t in ticks[1:]])  # batch 1 is the first, like epoch 1
    colorbar.set_label("batch (step) in epoch")
    order = "with replacement" if assignment.replacement else ("shuffled" if assignment.shuffle else "in order")
    drop = ", drop_last" if assignment.drop_last else ""
    ax.set_title(f"n = {assignment.n}, b = {assignment.batch_size}, {order}{drop}", fontsize="medium",
                 loc="left")
    return fig


def _viridis_samples(count: int) -> np.ndarray:
    return colormaps["viridis"](np.linspace(0.0, 0.95, max(count, 1)))


def _few_ticks(count: int) -> np.ndarray:
    """At most about eight integer ticks between 0 and count - 1 (0-based batch numbers; labelled from 1)."""
    step = max(1, int(np.ceil(count / 8)))
    return np.arange(0, count, step)
