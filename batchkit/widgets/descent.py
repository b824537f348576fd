"""Lesson 04's view: the path of θ under GD, SGD and mini-batch GD on the contours of J."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..datasets import synthetic_line
from ..linreg import hessian, least_squares
from ..plotting import plot_training_paths
from ..training import train
from .view import Drawing, LessonView, int_slider


def training_paths_widget(batch_size: int = 8, learning_rate: float = 0.1, epochs: int = 5, *,
                          shuffle: bool = True, seed: int = 0) -> LessonView:
    """Lesson 04: the path of θ during mini-batch gradient descent on 64 synthetic samples, on the contours of J.

    Batch size runs over powers of two from 1 (SGD) to 64 (full-batch GD); the learning rate on a log scale.
    Draws with :func:`batchkit.plotting.plot_training_paths`; a learning rate that makes the loss blow up shows a
    message instead of a figure.
    """
    x, y = synthetic_line(64, seed=0)
    H, optimum = hessian(x), least_squares(x, y)
    controls = {
        "batch_size": widgets.SelectionSlider(options=[1, 2, 4, 8, 16, 32, 64], value=batch_size,
                                              description="batch size b"),
        "learning_rate": widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=0.5, step=0.125,
                                                description="learning rate α", readout_format=".3g"),
        "epochs": int_slider(epochs, 1, 20, "epochs"),
        "shuffle": widgets.Checkbox(value=shuffle, description="shuffle"),
        "seed": widgets.BoundedIntText(value=seed, min=0, max=9999, description="seed", layout={"width": "9em"}),
    }

    def draw(batch_size: int, learning_rate: float, epochs: int, shuffle: bool, seed: int) -> Drawing:
        history = train(x, y, batch_size=batch_size, epochs=epochs, learning_rate=learning_rate, shuffle=shuffle,
                        seed=seed)
        start, end = history.epoch_loss[0], history.epoch_loss[-1]
        if history.diverged_at is not None or not end < 1e3 * start:
            limit = 2 / np.linalg.eigvalsh(H)[-1]
            raise ValueError(f"with α = {learning_rate:.3g} the loss blows up ({history.describe()}); full-batch GD "
                             f"is stable only below 2/λmax = {limit:.3g}, and smaller batches need smaller α")
        name = ("full-batch GD" if batch_size >= len(x) else "SGD (b=1)" if batch_size == 1
                else f"mini-batch GD, b={batch_size}")
        summary = (f"{name}, α = {learning_rate:.3g}: {history.describe()}; θ = ({history.theta[-1][0]:.3f}, "
                   f"{history.theta[-1][1]:.3f}), optimum ({optimum[0]:.3f}, {optimum[1]:.3f})")
        return plot_training_paths(H, optimum, {name: history}), summary, history

    return LessonView("training_paths", controls, draw)
