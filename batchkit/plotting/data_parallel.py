"""Lesson 08's figures: which worker gets which samples, what an all-reduce costs, local against synchronized batch
norm, where a step's time goes, and the learning rate as the number of workers grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from .._validation import check_bool, check_nonnegative_int, check_positive_int
from ..distributed.sharding import local_batch_sizes, pad_or_trim
from ..sampling import iter_epochs
from .common import OKABE_ITO, legend_below, new_figure, plain_log_ticks, plot_replicates

GAP = 0.6  # space between two workers' blocks of cells, in cells


@dataclass(frozen=True)
class EpochShards:
    """One epoch of data-parallel batches: the sample each worker takes at each step.

    Attributes
    ----------
    samples : numpy.ndarray of int, shape (steps, workers, per_worker_batch)
        ``samples[s, r, j]``: the j-th sample of worker (rank) r at step s; -1 where the last step is shorter.
    padded : numpy.ndarray of bool, same shape
        The sample is a repeat, added so that the epoch splits evenly over the workers (``drop_last=False``).
    dropped : numpy.ndarray of int, shape (d,)
        Samples left out of the epoch so that it splits evenly (``drop_last=True``).
    n, workers, per_worker_batch : int
    """

    samples: np.ndarray
    padded: np.ndarray
    dropped: np.ndarray
    n: int
    workers: int
    per_worker_batch: int

    @property
    def steps(self) -> int:
        """Steps (global batches) in the epoch."""
        return len(self.samples)

    @property
    def repeated(self) -> int:
        """Samples repeated to pad the epoch."""
        return int(self.padded.sum())


def epoch_shards(n: int, per_worker_batch: int, workers: int, *, epoch: int = 0, seed: int = 0,
                 drop_last: bool = False, shuffle: bool = True) -> EpochShards:
    """Epoch ``epoch`` (from 0) of :func:`batchkit.distributed.local_epochs` for every rank, as one table.

    The epoch's order (lesson 01's global batches of k·b) is padded or trimmed to a multiple of k; position p of it
    then goes to step ``p // (k·b)`` and, within that global batch, to rank ``p % k`` (strided, as
    DistributedSampler's ``order[rank::k]``). Positions at or past ``n`` are the repeats.
    """
    k, b = check_positive_int("workers", workers), check_positive_int("per_worker_batch", per_worker_batch)
    epoch = check_nonnegative_int("epoch", epoch)
    local_batch_sizes(n, b, k, drop_last=drop_last)  # validates n, drop_last; refuses an epoch with no step
    check_bool("shuffle", shuffle)
    *_, global_batches = iter_epochs(n, k * b, epoch + 1, shuffle=shuffle, seed=seed)  # the same draws as every rank
    order = np.concatenate(global_batches)
    used = pad_or_trim(order, k, drop_last=drop_last)
    steps = -(-len(used) // (k * b))  # ceiling division
    position = np.arange(len(used))
    within = position % (k * b)
    samples = np.full((steps, k, b), -1)
    padded = np.zeros((steps, k, b), dtype=bool)
    cell = (position // (k * b), within % k, within // k)  # (step, rank, slot) of every position
    samples[cell] = used
    padded[cell] = position >= n
    return EpochShards(samples, padded, order[len(used):], n, k, b)


def _cell_corners(steps: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Corners of unit cells at (column, step), shape (cells, 4, 2), with a small margin between cells."""
    left, top = columns + 0.06, steps + 0.06
    right, bottom = columns + 0.94, steps + 0.94
    return np.stack([np.stack([left, top], -1), np.stack([right, top], -1), np.stack([right, bottom], -1),
                     np.stack([left, bottom], -1)], axis=1)


def plot_shards(n: int, per_worker_batch: int, workers: int, *, epoch: int = 0, seed: int = 0,
                drop_last: bool = False, shuffle: bool = True) -> Figure:
    """One epoch's global batches split across the workers: one row per step, one block of ``b`` cells per worker.

    Each cell holds the index of the sample that worker takes at that step, coloured by the worker; hatched cells
    are repeated samples (padding, ``drop_last=False``); an empty cell means the last step is shorter. See
    :func:`epoch_shards` for the rule.
    """
    shards = epoch_shards(n, per_worker_batch, workers, epoch=epoch, seed=seed, drop_last=drop_last, shuffle=shuffle)
    k, b, steps = shards.workers, shards.per_worker_batch, shards.steps
    columns_wide = k * b + (k - 1) * GAP
    cell = min(0.42, 5.0 / columns_wide, 4.4 / steps)  # inches: the grid fits 5 × 4.4 inches
    grid_width, grid_height = columns_wide * cell, steps * cell
    empty_step, empty_rank, empty_slot = np.nonzero(shards.samples < 0)
    handles = [Patch(facecolor=OKABE_ITO[r], alpha=0.8, label=f"worker (rank) {r}") for r in range(k)]
    if shards.repeated:
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="////", label="repeated to pad"))
    if len(empty_step):
        handles.append(Patch(facecolor="white", edgecolor="#999999", label="empty: the last step is shorter"))
    # room for the title, the labels and the legend (0.2 inch per entry) beside the grid
    width, height = max(7.0, grid_width + 3.2), max(grid_height, 0.2 * len(handles)) + 1.2
    fig = new_figure(width, height)
    bottom = height - 0.75 - grid_height  # the grid hangs 0.75 inch below the top
    ax = fig.add_axes((0.8 / width, bottom / height, grid_width / width, grid_height / height))
    step, rank, slot = np.nonzero(shards.samples >= 0)
    column = rank * (b + GAP) + slot
    ax.add_collection(PolyCollection(_cell_corners(step, column), facecolors=np.array(OKABE_ITO)[rank],
                                     edgecolors="none", alpha=0.8))
    repeat = shards.padded[step, rank, slot]
    if repeat.any():
        ax.add_collection(PolyCollection(_cell_corners(step[repeat], column[repeat]), facecolors="none",
                                         edgecolors="black", hatch="////", linewidths=0.8))
    if len(empty_step):
        ax.add_collection(PolyCollection(_cell_corners(empty_step, empty_rank * (b + GAP) + empty_slot),
                                         facecolors="none", edgecolors="#999999", linewidths=0.8))
    if cell >= 0.2:  # room for the sample's index; a loop over the cells, one text each
        box = {"facecolor": "white", "edgecolor": "none", "pad": 1.0}  # keeps a repeat's index readable
        for s, c, sample, again in zip(step, column, shards.samples[step, rank, slot], repeat):
            ax.text(c + 0.5, s + 0.5, str(sample), ha="center", va="center", fontsize=8 if cell >= 0.3 else 6,
                    bbox=box if again else None)
    ax.set_xlim(0, columns_wide)
    ax.set_ylim(steps, 0)  # step 1 on top, read like a table
    ax.set_xticks([r * (b + GAP) + b / 2 for r in range(k)], [f"worker {r}" for r in range(k)])
    shown = np.arange(0, steps, max(1, int(np.ceil(steps / 12))))
    ax.set_yticks(shown + 0.5, [str(s + 1) for s in shown])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_ylabel("step")
    # fig.text, not ax.set_title: the title may be wider than a narrow grid
    fig.text(0.15 / width, 1 - 0.12 / height, _shards_title(shards), ha="left", va="top", fontsize="medium")
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=((1.0 + grid_width) / width,
                                                                  (bottom + grid_height) / height),
               frameon=False, fontsize="small", borderaxespad=0.0)
    return fig


def _shards_title(shards: EpochShards) -> str:
    k, b = shards.workers, shards.per_worker_batch
    if shards.repeated:
        change = f"{shards.repeated} repeated to pad"
    elif len(shards.dropped):
        change = f"sample{'s' if len(shards.dropped) > 1 else ''} {', '.join(map(str, shards.dropped))} dropped"
    else:
        change = "nothing padded or dropped"
    return (f"n = {shards.n}: {k} worker{'s' if k > 1 else ''} × b = {b} → global batch {k * b},\n"
            f"{shards.steps} step{'s' if shards.steps > 1 else ''} per epoch, {change}")


def _ring_model(message_bytes: np.ndarray, k: int, latency: float, bandwidth: float) -> np.ndarray:
    """``2(k-1) α + 2(k-1)/k · S / β`` in seconds (:func:`~batchkit.distributed.ring_allreduce_seconds`), also for
    a fitted β of infinity (a flat fit: latency only)."""
    moving = 2 * (k - 1) / k * message_bytes / bandwidth if np.isfinite(bandwidth) else np.zeros_like(message_bytes)
    return 2 * (k - 1) * latency + moving


def _bytes_label(value: float, _position=None) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:g} {unit}"
    return f"{value:g} B"


def plot_allreduce_cost(timing, fit: tuple[float, float] | None = None,
                        world_sizes: tuple[int, ...] = (4, 8, 64)) -> Figure:
    """Measured seconds per all-reduce against message size (log-log), the fitted ring model, and its prediction
    for more workers at the same α and β (dashed).

    Parameters
    ----------
    timing : batchkit.distributed.AllReduceTiming
        From :func:`~batchkit.distributed.measure_allreduce` (k >= 2 workers, two sizes or more).
    fit : (latency, bandwidth), optional
        α in seconds and β in bytes per second; ``timing.fit_ring_model()`` by default.
    world_sizes : tuple of int
        Numbers of workers to predict, up to 7.
    """
    latency, bandwidth = timing.fit_ring_model() if fit is None else fit
    if not 1 <= len(world_sizes) <= len(OKABE_ITO) - 1:
        raise ValueError(f"world_sizes must hold 1 to {len(OKABE_ITO) - 1} numbers of workers, got {world_sizes}")
    measured = np.asarray(timing.message_bytes, dtype=float)
    sizes = np.geomspace(measured.min() / 3, measured.max() * 10, 60)
    fig = new_figure(7.0, 3.8)
    ax = fig.add_axes((0.11, 0.15, 0.52, 0.75))
    k = timing.world_size
    ax.plot(measured, 1e3 * np.asarray(timing.seconds), "o", color=OKABE_ITO[0],
            label=f"measured, k = {k}\n(median of the repeats)")
    speed = f"{bandwidth / 1e9:.3g} GB/s" if np.isfinite(bandwidth) else "∞ (flat)"
    ax.plot(sizes, 1e3 * _ring_model(sizes, k, latency, bandwidth), color=OKABE_ITO[0],
            label=f"ring model fit, k = {k}:\nα = {latency * 1e6:.3g} µs, β = {speed}")
    for other, colour in zip(world_sizes, OKABE_ITO[1:]):
        ax.plot(sizes, 1e3 * _ring_model(sizes, check_positive_int("world_sizes", other), latency, bandwidth), "--",
                color=colour, label=f"model, k = {other}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(_bytes_label))
    plain_log_ticks(ax.yaxis)
    ax.set_xlabel("message size S (bytes per worker)")
    ax.set_ylabel("time per all-reduce (ms)")
    ax.set_title("t = 2(k−1)·α + 2(k−1)/k · S/β", fontsize="medium")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def plot_batchnorm_sync(result, which: str = "test") -> Figure:
    """Accuracy against the per-worker batch for local BN, synchronized BN and the single process (dashed), from
    :func:`batchkit.distributed.bn_comparison.batchnorm_sync_experiment`: every seed thin, median bold, range shaded.

    ``which``: "test" or "validation".
    """
    if which not in ("test", "validation"):
        raise ValueError(f"which must be 'test' or 'validation', got {which!r}")
    series = getattr(result, which)
    fig = plot_replicates(list(result.per_worker_batches), series,
                          f"per-worker batch b (samples); global batch {result.workers}·b",
                          f"{which} accuracy after {result.epochs} epochs (fraction)", logx=True,
                          title=f"{result.workers} workers, lesson 05's network, α = {result.learning_rate:g}")
    ax = fig.axes[0]
    single = list(series)[-1]  # drawn last: dashed, so that the synchronized run shows through where they agree
    for line in ax.lines[-(len(series[single].seeds) + 1):]:
        line.set_linestyle("--")
    legend_below(ax)
    return fig


def plot_step_time(times) -> Figure:
    """Milliseconds per training step, compute (bottom) and communication (top), for each number of workers.

    Bars are the medians over the repeats; each repeat's step time is a dot, its compute time a cross. Above each
    bar: the samples per second of that many workers (global batch k·b over the step time).

    Parameters
    ----------
    times : batchkit.distributed.step_time.StepTimes
    """
    compute, talk = 1e3 * np.asarray(times.compute), 1e3 * np.asarray(times.communication)
    x = np.arange(len(times.world_sizes))
    fig = new_figure(6.5, 3.8)
    ax = fig.add_axes((0.13, 0.17, 0.52, 0.72))
    low, high = np.median(compute, axis=0), np.median(talk, axis=0)
    ax.bar(x, low, width=0.5, color=OKABE_ITO[0], label="compute (median)")
    ax.bar(x, high, width=0.5, bottom=low, color=OKABE_ITO[1], label="communication (median)")
    spread = np.linspace(-0.12, 0.12, len(compute))  # each repeat a little to the side, so none hides another
    for offset, row_compute, row_step in zip(spread, compute, compute + talk):
        ax.plot(x + offset, row_step, "o", color="black", markersize=3)
        ax.plot(x + offset, row_compute, "x", color="black", markersize=4)
    ax.plot([], [], "o", color="black", markersize=3, label=f"each of {len(compute)} repeats: step")
    ax.plot([], [], "x", color="black", markersize=4, label="each repeat: compute")
    rates = np.median(times.samples_per_second, axis=0)
    for position, top, rate in zip(x, (compute + talk).max(axis=0), rates):
        ax.text(position, top * 1.03, f"{rate:,.0f} samples/s", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(x, [f"k = {k}\nbatch {k * times.per_worker_batch}" for k in times.world_sizes])
    ax.set_xlabel("workers k and global batch k·b")
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_ylim(0, (compute + talk).max() * 1.18)
    ax.set_ylabel("time per step (ms)")
    ax.set_title(f"per-worker batch b = {times.per_worker_batch}; {times.collectives_per_step} collective "
                 f"call{'s' if times.collectives_per_step > 1 else ''} per step", fontsize="medium")
    ax.grid(True, axis="y", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    order = [2, 3, 0, 1]  # the bars first, then the repeats
    ax.legend([handles[j] for j in order], [labels[j] for j in order], frameon=False, fontsize="small",
              loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def plot_linear_scaling(result) -> Figure:
    """Excess loss after a fixed number of epochs against the number of workers, with α = k·α₁ and α = α₁, from
    :func:`batchkit.distributed.experiments.linear_scaling_runs` (log-log; every seed thin, median bold)."""
    return plot_replicates(list(result.workers), result.excess_loss,
                           f"workers k (per-worker batch b = {result.per_worker_batch}, global batch k·b)",
                           f"J(θ) − J* after {result.epochs} epochs", logx=True, logy=True,
                           title=f"the same epochs in k times fewer steps; α₁ = {result.base_rate:g}")
