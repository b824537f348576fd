"""Lesson 05's figures: training curves, per-layer gradient norms and activation bands with and without BN.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..mlp import ClassifierHistory
from .common import OKABE_ITO, new_figure


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
