"""Lesson 05's figures: every seed drawn, labelled axes, a legend entry per kind of network."""

import numpy as np
import pytest

from batchkit.mlp import ClassifierHistory
from batchkit.plotting import plot_activation_bands, plot_classifier_curves, plot_gradient_norms


def fake_history(seed: int, epochs: int = 3, layers: int = 4) -> ClassifierHistory:
    rng = np.random.default_rng(seed)
    return ClassifierHistory(loss=rng.uniform(0.1, 2.0, epochs + 1), train_accuracy=rng.random(epochs + 1),
                             test_accuracy=rng.random(epochs + 1),
                             gradient_norms=rng.uniform(1e-4, 1, (epochs + 1, layers)),
                             activation_quantiles=np.zeros((epochs + 1, layers - 1, 5)))


def runs():
    return {"without BN": [fake_history(s) for s in range(5)], "with BN": [fake_history(10 + s) for s in range(5)]}


def test_classifier_curves_draw_every_seed_and_the_median():
    fig = plot_classifier_curves(runs())
    loss_axes, accuracy_axes = fig.axes
    assert loss_axes.get_yscale() == "log" and "nats" in loss_axes.get_ylabel()
    assert accuracy_axes.get_xlabel() == "epoch"
    assert len(accuracy_axes.lines) == 2 * (5 + 1)  # five thin lines and one median per kind
    labels = [text.get_text() for text in accuracy_axes.get_legend().get_texts()]
    assert labels == ["without BN: median and each of 5 seeds", "with BN: median and each of 5 seeds"]
    np.testing.assert_allclose(accuracy_axes.lines[5].get_ydata(),
                               np.median([h.test_accuracy for h in runs()["without BN"]], axis=0))


def test_gradient_norms_one_median_per_kind_and_epoch():
    fig = plot_gradient_norms(runs(), epochs=(0, 3))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel().startswith("layer")
    assert len(ax.get_legend().get_texts()) == 4


def test_activation_bands_mark_the_epoch_and_check_their_input():
    q = np.sort(np.random.default_rng(0).standard_normal((6, 5)), axis=1)
    fig = plot_activation_bands(q, 2, "a title", "input of the activation")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "input of the activation" and ax.get_title() == "a title"
    assert "epoch 2" in [text.get_text() for text in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="quantiles must have shape"):
        plot_activation_bands(np.zeros((6, 3)), 0, "t", "y")
