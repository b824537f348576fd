"""Lesson 07's figures: which values share a statistic (the cube picture of Wu & He, 2018, Figure 2), how noisy
the batch statistics are, and accuracy against batch size for each normalization (their Figure 1, at small scale).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from ..normalization import METHODS, statistic_labels
from .common import OKABE_ITO, UNUSED_GREY, new_figure

#: How each method is named in the figures.
METHOD_TITLES = {"batch": "Batch norm", "layer": "Layer norm", "instance": "Instance norm", "group": "Group norm"}
DEPTH = 0.45  # one position along H·W, drawn receding up and to the right, in units of a cell
SHARED, OTHER = OKABE_ITO[0], UNUSED_GREY
FACE_SHADE = {"front": 1.0, "top": 0.85, "side": 0.7}  # brightness of each face, for the 3-D look


def _shade(colour: str, factor: float) -> tuple[float, float, float]:
    rgb = np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)]) / 255
    return tuple(rgb * factor)


def _cube_faces(labels: np.ndarray, shared: int) -> tuple[list[np.ndarray], list[tuple[float, float, float]]]:
    """Quadrilaterals and colours of the three visible faces of an (N, C, HW) block of cells.

    N runs to the right, C up and H·W into the page (drawn up and to the right). Only the front (h = 0), top
    (c = C - 1) and right (n = N - 1) faces are visible, so only their cells are drawn.
    """
    n_samples, channels, positions = labels.shape
    depth = np.array([DEPTH, 0.6 * DEPTH])  # one step into the page
    quads, colours = [], []

    def add(corners: list[tuple[float, float, float]], label: int, face: str) -> None:
        quads.append(np.array([(n + h * depth[0], c + h * depth[1]) for n, c, h in corners]))
        colours.append(_shade(SHARED if label == shared else OTHER, FACE_SHADE[face]))

    for n in range(n_samples):
        for c in range(channels):
            add([(n, c, 0), (n + 1, c, 0), (n + 1, c + 1, 0), (n, c + 1, 0)], labels[n, c, 0], "front")
        for h in range(positions):
            add([(n, channels, h), (n + 1, channels, h), (n + 1, channels, h + 1), (n, channels, h + 1)],
                labels[n, channels - 1, h], "top")
    for h in range(positions):
        for c in range(channels):
            add([(n_samples, c, h), (n_samples, c + 1, h), (n_samples, c + 1, h + 1), (n_samples, c, h + 1)],
                labels[n_samples - 1, c, h], "side")
    return quads, colours


def draw_statistic_cube(ax: Axes, method: str, shape: tuple[int, int, int], groups: int = 1, *,
                        axis_labels: bool = True) -> int:
    """Draw one method's cube on ``ax``: the values that share a mean and variance with the front top-left value
    are coloured. Returns how many values share that statistic.

    Parameters
    ----------
    method : {"batch", "layer", "instance", "group"}
    shape : (N, C, HW)
    groups : int
        G, for "group".
    axis_labels : bool
        Name the three axes next to the cube.
    """
    labels = statistic_labels(method, shape, groups)
    shared = labels[0, -1, 0]
    quads, colours = _cube_faces(labels, shared)
    # The drawing loops over the visible cells: a few dozen quadrilaterals, drawn once per figure.
    ax.add_collection(PolyCollection(quads, facecolors=colours, edgecolors="#555555", linewidths=0.6))
    n_samples, channels, positions = shape
    ax.set_xlim(-1.2, n_samples + positions * DEPTH + 0.4)
    ax.set_ylim(-1.4, channels + positions * 0.6 * DEPTH + 0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    if not axis_labels:
        return int(np.count_nonzero(labels == shared))
    ax.text(n_samples / 2, -0.5, "N (samples)", ha="center", va="top", fontsize="small")
    ax.text(-0.3, channels / 2, "C (channels)", ha="right", va="center", rotation=90, fontsize="small")
    ax.text(n_samples + positions * DEPTH / 2 + 0.25, positions * 0.3 * DEPTH - 0.2, "H·W", ha="left", va="top",
            fontsize="small")
    return int(np.count_nonzero(labels == shared))


def plot_statistic_cubes(methods: tuple[str, ...] = METHODS, shape: tuple[int, int, int] = (4, 6, 4),
                         groups: int = 2) -> Figure:
    """One cube per method: the values normalized with the same mean and variance as the front top-left value.

    Parameters
    ----------
    methods : tuple of {"batch", "layer", "instance", "group"}
    shape : (N, C, HW)
        Kept small so every cell can be seen.
    groups : int
        G for group norm; it must divide C.
    """
    if not methods or any(m not in METHODS for m in methods):
        raise ValueError(f"methods must be one or more of {METHODS}, got {methods!r}")
    fig = new_figure(max(2.6 * len(methods), 4.5), 3.2)
    for k, method in enumerate(methods):
        ax = fig.add_axes((k / len(methods), 0.02, 1 / len(methods), 0.72))
        count = draw_statistic_cube(ax, method, shape, groups, axis_labels=k == 0)  # one set of labels is enough
        name = METHOD_TITLES[method] + (f", G = {groups}" if method == "group" else "")
        # fig.text, not ax.set_title: placing a title measures the (hidden) axes, which doubled the redraw time.
        fig.text((k + 0.5) / len(methods), 0.8, f"{name}\n{count} values per statistic", ha="center", va="bottom",
                 fontsize="medium")
    n, c, hw = shape
    fig.suptitle(f"Blue: the values normalized with one mean and variance\n(N = {n}, C = {c}, H·W = {hw})"
                 if len(methods) == 1 else
                 f"Blue: the values normalized with one mean and variance (N = {n}, C = {c}, H·W = {hw})",
                 fontsize="medium", y=0.99)
    return fig


def plot_statistic_spread(batch_sizes: list[int], spreads: dict[str, np.ndarray], predictions: dict[str, np.ndarray],
                          ylabel: str = "spread of the batch mean / spread of one value") -> Figure:
    """Measured spread of a batch statistic against the batch size, with the 1/√(values) predictions as dashed lines.

    Parameters
    ----------
    batch_sizes : list of int, length k
    spreads : dict of str to numpy.ndarray, shape (units, k)
        Per measured unit (feature or channel): one thin line each, the median bold.
    predictions : dict of str to numpy.ndarray, shape (k,)
        Drawn dashed, in black, on top of the measured lines.
    """
    x = np.asarray(batch_sizes, dtype=float)
    if not 1 <= len(spreads) <= 4:  # one marker each of "osD^"; zip would silently drop a fifth series
        raise ValueError(f"spreads must hold 1 to 4 series, got {len(spreads)}")
    for argument, series, ndim in (("spreads", spreads, 2), ("predictions", predictions, 1)):
        for name, values in series.items():
            if np.ndim(values) != ndim or np.shape(values)[-1] != len(x):
                raise ValueError(f"{argument}[{name!r}] must be {ndim}-D with one value per batch size "
                                 f"({len(x)}) on its last axis, got shape {np.shape(values)}")
    fig = new_figure(9.5, 3.8)
    ax = fig.add_axes((0.09, 0.15, 0.5, 0.75))  # the legend goes to the right, clear of the lines
    for (name, values), colour, marker in zip(spreads.items(), OKABE_ITO, "osD^"):
        values = np.asarray(values, dtype=float)
        for row in values:
            ax.plot(x, row, color=colour, alpha=0.25, linewidth=0.7)
        ax.plot(x, np.median(values, axis=0), marker=marker, color=colour, linewidth=2.0,
                label=f"{name}: median and each of {len(values)} units")
    for name, line in predictions.items():
        ax.plot(x, line, "--", color="black", linewidth=1.2, label=name, zorder=3)  # on top of the medians
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{v:g}" for v in batch_sizes])
    ax.minorticks_off()
    ax.set_xlabel("batch size b (samples)")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig
