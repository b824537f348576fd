"""Lesson 06's figures: memory of a training step against the batch size.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .common import OKABE_ITO, new_figure


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
