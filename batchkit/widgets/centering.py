"""Lesson 03's views: gradient descent on raw and centered data, and the spread of batch means."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..conditioning import centering_experiment, offset_regression_data
from ..plotting import plot_batch_mean_histogram, plot_centering_contours
from ..statistics import batch_mean_std, epoch_batch_means, spread_of_batch_means
from .view import Drawing, LessonView, int_slider


def centering_widget(offset: float = 10.0, centered: bool = False, spread: float = 1.0,
                     scaled: bool = False) -> LessonView:
    """Lesson 03: gradient descent on ``J(θ0, θ1)`` with inputs around ``offset``, raw, centered and/or scaled.

    Draws :func:`batchkit.plotting.plot_centering_contours` of
    ``centering_experiment(*offset_regression_data(offset, spread=spread), centered=centered, scaled=scaled)``.
    """
    controls = {
        "offset": widgets.FloatSlider(value=offset, min=0.0, max=100.0, step=1.0, description="input offset"),
        "spread": widgets.FloatLogSlider(value=spread, base=10, min=-1, max=1, step=0.1, description="spread σ of x",
                                         readout_format=".2g"),
        "centered": widgets.Checkbox(value=centered, description="center x"),
        "scaled": widgets.Checkbox(value=scaled, description="divide x by its std"),
    }

    def draw(offset: float, spread: float, centered: bool, scaled: bool) -> Drawing:
        x, y = offset_regression_data(offset, spread=spread)
        experiment = centering_experiment(x, y, centered=centered, scaled=scaled)
        inputs = " and ".join([word for word, on in (("centered", centered), ("scaled", scaled)) if on]) or "raw"
        summary = (f"offset {offset:g}, σ {spread:.2g}, {inputs} x: condition number {experiment.condition:.3g}, "
                   f"best stable learning rate {experiment.learning_rate:.3g}, "
                   f"{experiment.steps_needed:,} steps to J - J* ≤ 1e-6")
        return plot_centering_contours(experiment), summary, experiment

    return LessonView("centering", controls, draw)


def batch_means_widget(batch_size: int = 10, *, n: int = 1200, epochs: int = 50, seed: int = 0) -> LessonView:
    """Lesson 03: the spread of batch means over ``epochs`` epochs against ``σ/√b · √((n-b)/(n-1))``.

    The data (skewed, exponential with mean 2) is made once; a change of the batch size reshuffles and redraws.
    Draws :func:`batchkit.plotting.plot_batch_mean_histogram`.
    """
    x = batch_means_data(n, seed)
    controls = {"batch_size": int_slider(batch_size, 1, n, "batch size b")}

    def draw(batch_size: int) -> Drawing:
        means = epoch_batch_means(x, batch_size, epochs, seed=seed + 1)
        measured, error = spread_of_batch_means(means, float(x.mean()))
        theory = batch_mean_std(float(x.std()), n, batch_size)
        summary = (f"b = {batch_size}: {means.size} batch means from {epochs} epochs; measured std "
                   f"{measured:.4f} ± {error:.4f} (standard error), theory σ/√b·√((n-b)/(n-1)) = {theory:.4f}")
        return plot_batch_mean_histogram(means, float(x.mean()), theory, batch_size), summary, means

    return LessonView("batch_means", controls, draw)


def batch_means_data(n: int = 1200, seed: int = 0) -> np.ndarray:
    """The skewed data of :func:`batch_means_widget`: ``n`` draws from an exponential distribution with mean 2."""
    return np.random.default_rng(seed).exponential(2.0, n)
