"""Figure helpers shared by every lesson: the colour-blind-safe palette, figures outside pyplot, and the two
generic plots (a quantity against a swept setting, with every seed where it was replicated; throughput against
batch size).

Figures are plain :class:`matplotlib.figure.Figure` objects, not pyplot figures: they never pile up in pyplot's
list of open figures, and in a notebook a figure returned as the cell's last value is shown once.
Colours: viridis for ordered quantities and the Okabe-Ito palette for categories, both safe for colour-blind readers.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..seeds import Replicates

#: Okabe & Ito (2008) colour-blind-safe palette, for categorical lines.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
UNUSED_GREY = "#DDDDDD"


def plain_log_ticks(axis) -> None:
    """Label a logarithmic axis with plain numbers (20, 50, 100, 200), not 2×10¹: students read them at a glance."""
    def minor(value: float, _position) -> str:
        low, high = sorted(axis.get_view_interval())
        few_decades = low > 0 and high / low <= 300  # over more decades, labels at 2s and 5s would crowd
        return f"{value:g}" if few_decades and f"{value:.0e}"[0] in "25" else ""

    axis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


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


def plot_throughput(batch_sizes: np.ndarray, rates: dict[str, np.ndarray | Replicates],
                    spread: dict[str, np.ndarray] | None = None, title: str = "", *,
                    xlabel: str = "batch size b (samples)", in_thousands: bool = False) -> Figure:
    """Samples per second against batch size, one line per method, log-log.

    Parameters
    ----------
    batch_sizes : numpy.ndarray of int, shape (k,)
    rates : dict of str to numpy.ndarray of shape (k,), or to Replicates
        Median samples per second for each method; or one row of shape (k,) per independent repeat
        (:class:`~batchkit.seeds.Replicates`), drawn as every repeat thin, the median bold and the range shaded.
    spread : dict of str to numpy.ndarray, shape (2, k), optional
        Lower and upper quartiles of an array rate, drawn as a band.
    title, xlabel : str
        Title above the axes; label of the batch-size axis.
    in_thousands : bool
        Draw the rates divided by 1000, in thousands of samples per second. Either way the throughput axis is
        labelled with plain numbers (50, 100, 200), not 5×10⁴.
    """
    if in_thousands:
        rates = {name: Replicates(rate.seeds, rate.values / 1e3) if isinstance(rate, Replicates)
                 else np.asarray(rate) / 1e3 for name, rate in rates.items()}
        spread = None if spread is None else {name: np.asarray(band) / 1e3 for name, band in spread.items()}
    repeated = any(isinstance(rate, Replicates) for rate in rates.values())
    fig = new_figure(6.5, 3.8)
    # With every repeat drawn no corner of the axes stays free, so their legend goes below the axes.
    ax = fig.add_axes((0.13, 0.34, 0.83, 0.58) if repeated else (0.13, 0.14, 0.83, 0.76))
    x = np.asarray(batch_sizes)
    for (name, rate), colour, marker in zip(rates.items(), OKABE_ITO, "os^Dv"):
        if isinstance(rate, Replicates):
            _draw_repeats(ax, x, rate, colour, marker, name)
            continue
        ax.plot(x, rate, marker=marker, color=colour, label=name)
        if spread is not None and name in spread:
            ax.fill_between(x, spread[name][0], spread[name][1], color=colour, alpha=0.2, linewidth=0)
    _throughput_axes(ax, x, width_inches=0.83 * 6.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("throughput (1000 samples / s)" if in_thousands else "throughput (samples / s)")
    handles, labels = ax.get_legend_handles_labels()
    if spread:
        handles.append(Patch(facecolor="grey", alpha=0.3, linewidth=0))
        labels.append("shaded: quartiles over the repeats")
    if repeated:
        handles.append(Patch(facecolor="grey", alpha=0.3, linewidth=0))
        labels.append("shaded: range over the repeats; thin lines: each repeat")
        fig.legend(handles, labels, frameon=False, fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 0.0))
    else:
        ax.legend(handles, labels, frameon=False)
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def _draw_repeats(ax, x: np.ndarray, runs: Replicates, colour: str, marker: str, name: str) -> None:
    """Every repeat as a thin line, the range as a band, the median bold with markers."""
    for row in runs.values:
        ax.plot(x, row, color=colour, alpha=0.35, linewidth=0.8)
    ax.fill_between(x, runs.low, runs.high, color=colour, alpha=0.2, linewidth=0)
    ax.plot(x, runs.median, marker=marker, color=colour, linewidth=2.0,
            label=f"{name}: median of {len(runs.seeds)} repeats")


def _throughput_axes(ax, x: np.ndarray, width_inches: float) -> None:
    """Log-log axes labelled with plain batch sizes: all of them, or only the powers of two where they would crowd."""
    ax.set_xscale("log", base=2)
    positions = np.log2(np.sort(x).astype(float))
    span = positions[-1] - positions[0]
    crowded = span > 0 and np.min(np.diff(positions)) / span * width_inches < 0.15  # closer than 0.15 inch
    ticks = [b for b in x if not crowded or (b & (b - 1)) == 0]
    ax.set_xticks(ticks, [str(b) for b in ticks])
    ax.minorticks_off()
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    ax.grid(True, which="major", alpha=0.3)


def plot_replicates(values: list, series: dict[str, Replicates], xlabel: str, ylabel: str, *, logx: bool = True,
                    logy: bool = False, title: str = "", fig: Figure | None = None) -> Figure:
    """Replicated results against a swept setting: every seed as a thin line, the median bold, the range shaded.

    Parameters
    ----------
    values : list, length k
        The swept setting (batch sizes, learning rates, ...).
    series : dict of str to Replicates
        Up to 8 series, each with results of shape (k,) per seed (:func:`batchkit.seeds.over_seeds`). Infinite
        values ("never reached") are left out of the lines and the band.
    xlabel, ylabel : str
        Axis labels, with units.
    logx, logy : bool
        Logarithmic axes.
    fig : Figure, optional
        Drawn into (cleared and resized) instead of a new figure, for example ``plt.figure()`` in a notebook.
    """
    if not 1 <= len(series) <= len(OKABE_ITO):
        raise ValueError(f"plot_replicates draws 1 to {len(OKABE_ITO)} series (one colour each), got {len(series)}")
    for name, runs in series.items():
        if runs.values.shape[1:] != (len(values),):
            raise ValueError(f"series {name!r} has results of shape {runs.values.shape[1:]} per seed, "
                             f"expected ({len(values)},), one per value")
    # The legend goes below the axes, one row per series: inside, it hid the lines whenever the series overlapped.
    legend_height = 0.25 * len(series) + 0.1  # inches
    height = 3.8 + legend_height
    fig = new_figure(6.5, height) if fig is None else fig
    fig.set_size_inches(6.5, height)  # a figure handed in gets the size too: the legend's room depends on it
    fig.clear()
    bottom = (0.6 + legend_height) / height
    ax = fig.add_axes((0.13, bottom, 0.82, 1.0 - bottom - 0.38 / height))
    x = np.asarray(values, dtype=float)
    for (name, runs), colour, marker in zip(series.items(), OKABE_ITO, "osD^v<>p"):
        finite = np.where(np.isfinite(runs.values), runs.values, np.nan)
        for row in finite:
            ax.plot(x, row, color=colour, alpha=0.35, linewidth=0.8)
        masked = np.ma.masked_invalid(runs.values)  # the band spans the seeds that reached a finite value
        low, high = masked.min(axis=0).filled(np.nan), masked.max(axis=0).filled(np.nan)
        shown = np.isfinite(low)
        ax.fill_between(x[shown], low[shown], high[shown], color=colour, alpha=0.15, linewidth=0)
        median = np.where(np.isfinite(runs.median), runs.median, np.nan)
        ax.plot(x, median, marker=marker, color=colour, linewidth=2.0,
                label=f"{name}: median, range and each of {len(runs.seeds)} seeds")
    if logx:
        ax.set_xscale("log")
        ax.set_xticks(x, [f"{v:g}" for v in values])
        ax.minorticks_off()
    if logy:
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize="medium")
    ax.grid(True, alpha=0.3)
    legend_below(ax)
    return fig


def legend_below(ax: Axes) -> None:
    """The legend under the axes and their x label, one entry per row (the space :func:`plot_replicates` keeps)."""
    axes_height = ax.get_position().height * ax.figure.get_size_inches()[1]
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(0.0, -0.6 / axes_height),
              borderaxespad=0.0)
