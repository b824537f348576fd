"""Lesson 05's figures: training curves and per-layer gradient norms over seeds, and one unit's input distribution
over training (quantile bands).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..mlp import ClassifierHistory
from ..seeds import Replicates
from .common import OKABE_ITO, new_figure, plain_log_ticks

#: One colour and marker per drift series, the same in every figure of the lesson.
DRIFT_STYLES = {"without BN": (OKABE_ITO[0], "o"), "with BN, input of BN": (OKABE_ITO[1], "s"),
                "with BN, output of BN": (OKABE_ITO[2], "D"), "noisy BN, same draw of the noise": (OKABE_ITO[3], "^"),
                "noisy BN, new draw after the step": (OKABE_ITO[4], "v"),
                "noisy BN, new draw, no step (α = 0)": (OKABE_ITO[5], "<")}


def _draw_seeds(ax: Axes, x: np.ndarray, values: np.ndarray, colour: str, label: str, style: str = "-",
                marker: str = "o") -> None:
    """Every row of ``values`` (shape (seeds, len(x))) thin, their median bold, their range shaded."""
    for row in values:
        ax.plot(x, row, style, color=colour, alpha=0.35, linewidth=0.8)
    ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=colour, alpha=0.15, linewidth=0)
    ax.plot(x, np.median(values, axis=0), style, color=colour, linewidth=2.0, marker=marker, markersize=4,
            label=label)


def plot_drift(series: dict[str, Replicates], ylim: tuple[float, float] = (1e-4, 1.0)) -> Figure:
    """Drift per step against the epoch (log y), each series in its fixed colour of :data:`DRIFT_STYLES`.

    Parameters
    ----------
    series : dict of str to Replicates
        Keys from :data:`DRIFT_STYLES`; each seed's result has shape (epochs + 1,), index 0 = before training.
    ylim : (float, float)
        The y range, with room for the legend below the lines.
    """
    unknown = [name for name in series if name not in DRIFT_STYLES]
    if unknown:
        raise ValueError(f"series must be named from DRIFT_STYLES {list(DRIFT_STYLES)}, got {unknown}")
    fig = new_figure(6.5, 3.8)
    ax = fig.add_axes((0.13, 0.15, 0.82, 0.75))
    for name, runs in series.items():
        colour, marker = DRIFT_STYLES[name]
        values = np.asarray(runs.values, dtype=float)
        label = f"{name}: median, range and each of {len(values)} seeds"
        _draw_seeds(ax, np.arange(values.shape[1]), values, colour, label, marker=marker)
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    ax.set_ylim(*ylim)
    ax.set_xlabel("epoch (0 = before training)")
    ax.set_ylabel("drift per step (fraction of the 5-95% width)")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_classifier_curves(runs: dict[str, list[ClassifierHistory]]) -> Figure:
    """Two panels against epochs, training loss (log y) and test accuracy: every seed thin, the median bold.

    Parameters
    ----------
    runs : dict of str to list of ClassifierHistory
        One list of runs (one per seed, same number of epochs) per kind of network.
    """
    fig = new_figure(10.0, 3.6)
    axes = [fig.add_axes((0.07 + k * 0.5, 0.15, 0.4, 0.72)) for k in range(2)]
    for (name, histories), colour in zip(runs.items(), OKABE_ITO):
        epochs = np.arange(len(histories[0].loss))
        label = f"{name}: median and each of {len(histories)} seeds"
        _draw_seeds(axes[0], epochs, np.array([h.loss for h in histories]), colour, label)
        _draw_seeds(axes[1], epochs, np.array([h.test_accuracy for h in histories]), colour, label)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("training loss (cross-entropy, nats)")
    axes[1].set_ylabel("test accuracy (fraction correct)")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False, fontsize="small")
    return fig


def plot_gradient_norms(runs: dict[str, list[ClassifierHistory]], epochs: tuple[int, ...] = (0,)) -> Figure:
    """Gradient norm of every layer's weights (log y) at the chosen epochs: every seed thin, the median bold, the
    range over seeds shaded."""
    fig = new_figure(6.5, 3.8)
    ax = fig.add_axes((0.13, 0.15, 0.82, 0.75))
    for (name, histories), colour in zip(runs.items(), OKABE_ITO):
        for epoch, style in zip(epochs, ["-", "--", ":"]):
            norms = np.array([h.gradient_norms[epoch] for h in histories])
            _draw_seeds(ax, np.arange(1, norms.shape[1] + 1), norms, colour, f"{name}, epoch {epoch}", style)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("‖∂L/∂W‖ (gradient norm)")
    ax.set_title("median bold, each seed thin, range over seeds shaded", fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_activation_bands(quantiles: np.ndarray, epoch: int, title: str, ylabel: str,
                          fig: Figure | None = None) -> Figure:
    """One unit's input distribution over training: 5-95% and 25-75% bands and the median, one epoch marked.

    Parameters
    ----------
    quantiles : numpy.ndarray, shape (epochs + 1, 5)
        The 5, 25, 50, 75 and 95% quantiles after every epoch (index 0 = before training).
    epoch : int
        Marked with a vertical line.
    title, ylabel : str
    """
    quantiles = np.asarray(quantiles)
    if quantiles.ndim != 2 or quantiles.shape[1] != 5:
        raise ValueError(f"quantiles must have shape (epochs + 1, 5), got {quantiles.shape}")
    fig = new_figure(6.5, 3.8) if fig is None else fig
    fig.clear()
    ax = fig.add_axes((0.12, 0.15, 0.6, 0.72))
    epochs = np.arange(len(quantiles))
    ax.fill_between(epochs, quantiles[:, 0], quantiles[:, 4], color=OKABE_ITO[4], alpha=0.35, linewidth=0,
                    label="5% to 95%")
    ax.fill_between(epochs, quantiles[:, 1], quantiles[:, 3], color=OKABE_ITO[0], alpha=0.45, linewidth=0,
                    label="25% to 75%")
    ax.plot(epochs, quantiles[:, 2], color="black", linewidth=1.5, label="median")
    ax.axvline(epoch, color=OKABE_ITO[5], linestyle="--", linewidth=1.2, label=f"epoch {epoch}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
