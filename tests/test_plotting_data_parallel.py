"""Lesson 08's figures and view: each worker's samples (the table behind the picture agrees with the sharding the
training uses), the all-reduce cost, batch norm local against synchronized, step time and linear scaling.

The figures are plain matplotlib ``Figure`` objects, never registered with pyplot (``fig.canvas.manager is None``).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from batchkit.distributed import AllReduceTiming, local_epochs, ring_allreduce_seconds
from batchkit.distributed.bn_comparison import BN_KINDS, BatchNormSync
from batchkit.distributed.experiments import LinearScaling
from batchkit.distributed.step_time import StepTimes
from batchkit.plotting import OKABE_ITO
from batchkit.plotting.data_parallel import (epoch_shards, plot_allreduce_cost, plot_batchnorm_sync,
                                             plot_linear_scaling, plot_shards, plot_step_time)
from batchkit.seeds import Replicates
from batchkit.widgets import REGISTRY, render_png
from batchkit.widgets.data_parallel import data_parallel_shards_widget


def assert_plain_figure(fig):
    assert isinstance(fig, Figure) and fig.canvas.manager is None


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), b=st.integers(1, 8), k=st.integers(1, 4), epoch=st.integers(0, 2),
       seed=st.integers(0, 50), drop_last=st.booleans(), shuffle=st.booleans())
def test_the_table_is_what_every_rank_trains_on(n, b, k, epoch, seed, drop_last, shuffle):
    if drop_last and n < k:
        with pytest.raises(ValueError, match="no step"):
            epoch_shards(n, b, k, epoch=epoch, seed=seed, drop_last=drop_last, shuffle=shuffle)
        return
    shards = epoch_shards(n, b, k, epoch=epoch, seed=seed, drop_last=drop_last, shuffle=shuffle)
    for rank in range(k):
        *_, batches = local_epochs(n, b, epoch + 1, world_size=k, rank=rank, shuffle=shuffle, drop_last=drop_last,
                                   seed=seed)
        assert len(batches) == shards.steps
        for step, index in enumerate(batches):
            row = shards.samples[step, rank]
            np.testing.assert_array_equal(row[:len(index)], index)
            assert np.all(row[len(index):] == -1)
    used = shards.samples[(shards.samples >= 0) & ~shards.padded]
    assert shards.repeated == (0 if drop_last else -n % k)
    assert len(shards.dropped) == (n % k if drop_last else 0)
    # every sample once, apart from the repeats: none lost, none seen twice unless padded
    np.testing.assert_array_equal(np.sort(np.concatenate([used, shards.dropped])), np.arange(n))
    assert np.all(np.isin(shards.samples[shards.padded], used))


def cells(fig):
    """The grid's collections: worker cells, hatched repeats (if any), empty cells (if any)."""
    return [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


def test_shards_picture_colours_each_worker_and_labels_every_sample():
    fig = plot_shards(24, 3, 2)
    assert_plain_figure(fig)
    shards = epoch_shards(24, 3, 2)
    filled = cells(fig)[0]
    assert len(cells(fig)) == 1 and len(filled.get_paths()) == 24  # nothing padded, no empty cell
    colours = {tuple(np.round(c[:3], 3)) for c in filled.get_facecolors()}
    assert len(colours) == 2  # one colour per worker
    texts = sorted(int(t.get_text()) for t in fig.axes[0].texts)
    assert texts == list(range(24))
    title = fig.texts[0].get_text()
    assert "2 workers × b = 3 → global batch 6" in title and "4 steps per epoch" in title
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["worker 0", "worker 1"]
    assert fig.axes[0].get_ylabel() == "step" and shards.steps == 4
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["worker (rank) 0", "worker (rank) 1"]


def test_shards_picture_marks_repeats_and_empty_cells():
    fig = plot_shards(25, 3, 2)  # 25 = 4·6 + 1: one repeat pads the last step to 2, one per worker
    filled, repeats, empty = cells(fig)
    assert len(filled.get_paths()) == 26 and len(repeats.get_paths()) == 1 and len(empty.get_paths()) == 4
    assert repeats.get_hatch() == "////"
    assert "1 repeated to pad" in fig.texts[0].get_text()
    assert [t.get_text() for t in fig.legends[0].get_texts()][-2:] == ["repeated to pad",
                                                                        "empty: the last step is shorter"]
    dropped = plot_shards(25, 3, 4, drop_last=True)  # 25 = 6·4 + 1: one sample trimmed
    assert len(cells(dropped)) == 1 and "dropped" in dropped.texts[0].get_text()


def test_shards_picture_refuses_an_epoch_without_a_step():
    with pytest.raises(ValueError, match="no step"):
        plot_shards(3, 2, 4, drop_last=True)
    with pytest.raises(ValueError, match="workers"):
        plot_shards(10, 2, 0)


def test_the_view_starts_on_the_static_figure_and_follows_its_controls():
    view = data_parallel_shards_widget()
    assert view.summary_text == "2 workers × 3 = global batch 6; 4 steps per epoch; 0 samples repeated to pad"
    assert bytes(view.image.value) == render_png(plot_shards(24, 3, 2))[0]
    view.controls["n"].value = 25
    assert view.summary_text == "2 workers × 3 = global batch 6; 5 steps per epoch; 1 sample repeated to pad"
    view.controls["workers"].value = 4
    view.controls["drop_last"].value = True
    assert view.summary_text == "4 workers × 3 = global batch 12; 2 steps per epoch; 1 sample dropped (drop_last)"
    view.controls["n"].value = 3  # fewer samples than workers, trimmed: no step at all
    assert view.error is not None and view.summary_text.startswith("Not possible: ")
    assert "Traceback" not in view.summary.value and "no step" in view.summary_text
    view.controls["n"].value = 24
    assert view.error is None and view.figure_data.steps == 2
    assert "data_parallel_shards" in REGISTRY


def timing(seconds=(1e-4, 1.5e-4, 6e-4, 5e-3)):
    return AllReduceTiming(np.array([1_000, 10_000, 100_000, 1_000_000]), np.array(seconds), 2, "float64")


def test_allreduce_cost_draws_the_measurements_the_fit_and_the_predictions():
    measured = timing()
    latency, bandwidth = measured.fit_ring_model()
    fig = plot_allreduce_cost(measured, world_sizes=(4, 8, 64))
    assert_plain_figure(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert "bytes" in ax.get_xlabel() and "(ms)" in ax.get_ylabel()
    dots, fit, *predictions = ax.lines
    np.testing.assert_allclose(dots.get_ydata(), 1e3 * measured.seconds)
    assert [line.get_linestyle() for line in predictions] == ["--"] * 3
    x = predictions[-1].get_xdata()  # k = 64, the same α and β
    np.testing.assert_allclose(predictions[-1].get_ydata(), 1e3 * ring_allreduce_seconds(x, 64, bandwidth, latency))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 5 and labels[-1] == "model, k = 64"


def test_allreduce_cost_with_a_flat_fit():
    fig = plot_allreduce_cost(timing((2e-4, 2e-4, 2e-4, 2e-4)), fit=(1e-4, float("inf")), world_sizes=(4,))
    np.testing.assert_allclose(fig.axes[0].lines[2].get_ydata(), 1e3 * 6 * 1e-4)  # 2(k - 1) α for k = 4
    with pytest.raises(ValueError, match="world_sizes"):
        plot_allreduce_cost(timing(), world_sizes=())


def fake_bn(seeds=3):
    rng = np.random.default_rng(0)
    runs = {kind: Replicates(tuple(range(seeds)), rng.uniform(0.2, 0.9, (seeds, 3))) for kind in BN_KINDS}
    return BatchNormSync((2, 4, 8), 2, 2, 0.1, runs, runs, Replicates(tuple(range(seeds)), np.zeros((seeds, 3))), 1.0)


def test_batchnorm_sync_figure_shows_every_seed_and_dashes_the_single_process():
    fig = plot_batchnorm_sync(fake_bn())
    assert_plain_figure(fig)
    ax = fig.axes[0]
    assert len(ax.lines) == 3 * (3 + 1)  # three series: each seed, and the median
    assert [line.get_linestyle() for line in ax.lines[-4:]] == ["--"] * 4
    assert ax.lines[3].get_color() == OKABE_ITO[0] and ax.lines[7].get_color() == OKABE_ITO[1]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 3 and labels[0].startswith("local BN")
    assert "per-worker batch b" in ax.get_xlabel() and "test accuracy after 2 epochs" in ax.get_ylabel()
    assert "validation" in plot_batchnorm_sync(fake_bn(), which="validation").axes[0].get_ylabel()
    with pytest.raises(ValueError, match="which"):
        plot_batchnorm_sync(fake_bn(), which="train")


def test_step_time_figure_stacks_compute_and_communication():
    times = StepTimes((1, 2), 64, np.array([[1e-3, 2e-3], [1.2e-3, 2.1e-3], [1.1e-3, 1.9e-3]]),
                      np.array([[1e-3, 9e-3], [1.1e-3, 12e-3], [0.9e-3, 10e-3]]), 19, 5.0)
    fig = plot_step_time(times)
    assert_plain_figure(fig)
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 4
    np.testing.assert_allclose([bar.get_height() for bar in bars], [1.1, 2.0, 1.0, 10.0])
    np.testing.assert_allclose([bar.get_y() for bar in bars[2:]], [1.1, 2.0])  # communication sits on compute
    assert len([line for line in ax.lines if len(line.get_xdata())]) == 2 * 3  # each repeat: step and compute
    assert sum("samples/s" in text.get_text() for text in ax.texts) == 2
    assert ax.get_ylabel() == "time per step (ms)" and "19 collective calls" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["compute (median)", "communication (median)"]


def test_linear_scaling_figure():
    rng = np.random.default_rng(1)
    runs = {name: Replicates((0, 1, 2), rng.uniform(1, 100, (3, 4))) for name in ("α = k·α₁", "α = α₁")}
    fig = plot_linear_scaling(LinearScaling((1, 2, 4, 8), 4, 2, 0.02, runs, np.array([222, 112, 56, 28]), 1.0))
    assert_plain_figure(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log" and len(ax.lines) == 2 * (3 + 1)
    assert "workers k" in ax.get_xlabel() and "J(θ) − J*" in ax.get_ylabel()


def test_no_figure_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fig in (plot_shards(40, 8, 4), plot_shards(1, 1, 4), plot_shards(40, 1, 1)):
            render_png(fig)
