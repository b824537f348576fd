"""Lesson 02's figures: a linear layer on a batch, step by step, and the axes of batch sum and batch add.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..worked_example import ComputationStep
from .common import new_figure

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
    """Three panels: the batch sum down axis 0, the per-sample sum along axis 1, and the bias broadcast to every row
    (what ``Z + b`` adds to ``Z``; the sum itself is not drawn).

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
    ax.set_title("batch add: b broadcast for Z + b\nb (top row) copied to every row", fontsize="small")
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
