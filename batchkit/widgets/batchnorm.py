"""Lesson 05's view: how a unit's input distribution moves during training, with and without BN."""

from __future__ import annotations

import ipywidgets as widgets

from ..bn_experiments import HIDDEN_LAYERS, KINDS, SHIFT_SETTINGS, WIDTH, runs_by_kind
from ..plotting import plot_activation_bands
from .view import Drawing, LessonView, int_slider


def activation_shift_widget(kind: str = "without BN", after_bn: bool = False, layer: int = 6, unit: int = 1,
                            epoch: int = 0) -> LessonView:
    """Lesson 05: one hidden unit's input distribution over training, before or after batch norm.

    Browses the seed-0 runs of :func:`batchkit.bn_experiments.runs_by_kind` with ``SHIFT_SETTINGS`` (tanh units,
    α = 0.1, measured): without BN, with BN and with noisy BN. They are trained once, when the view is built, and
    every update only redraws :func:`batchkit.plotting.plot_activation_bands`. ``after_bn``: the activation's input
    (after BN and its noise) instead of the linear layer's output (BN's input); the same without BN. The drift per
    step in the summary holds noisy BN's noise fixed; for the activation's input it also gives the drift with a new
    draw of the noise (:func:`batchkit.bn_shift.shift_measure`).
    """
    runs = runs_by_kind(0, measure=True, **SHIFT_SETTINGS)
    epochs = len(runs["with BN"].loss) - 1
    controls = {
        "kind": widgets.SelectionSlider(options=list(KINDS), value=kind, description="network"),
        "after_bn": widgets.Checkbox(value=after_bn, description="after batch norm"),
        "layer": int_slider(layer, 1, HIDDEN_LAYERS, "hidden layer"),
        "unit": int_slider(unit, 1, WIDTH, "unit"),
        "epoch": int_slider(epoch, 0, epochs, "epoch"),
    }

    def draw(kind: str, after_bn: bool, layer: int, unit: int, epoch: int) -> Drawing:
        history = runs[kind]
        where = "activation_input" if after_bn else "linear_output"
        q = history.measurements[where][:, layer - 1, unit - 1]
        step = history.measurements[f"step_drift_{'activation' if after_bn else 'linear'}"][epoch, layer - 1]
        place = ("input of the activation" if after_bn or kind == "without BN"
                 else "output of the linear layer (input of BN)")
        summary = (f"{kind}, hidden layer {layer}, unit {unit}, {place}, epoch {epoch}: median {q[epoch, 2]:.2f}, "
                   f"90% from {q[epoch, 0]:.2f} to {q[epoch, 4]:.2f}; one step moves this layer's units by "
                   f"{step:.3f} of their 5-95% width")
        if after_bn and kind == "noisy BN":
            redrawn = history.measurements["redrawn_drift_activation"][epoch, layer - 1]
            summary += f" with the noise held fixed, {redrawn:.3f} with a new draw of the noise"
        figure = plot_activation_bands(q, epoch, f"{kind}, hidden layer {layer}, unit {unit}", place)
        return figure, summary, q

    return LessonView("activation_shift", controls, draw)
