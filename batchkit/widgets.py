"""Interactive views of the lessons, thin over :mod:`batchkit.plotting`.

Every view is a :class:`LessonView`: an ipywidgets ``VBox`` of named controls, a summary line and the figure as a
PNG image. It is a plain Python object, so tests can drive it without a browser::

    view = batch_assignment_widget()
    view.controls["batch_size"].value = 7       # the view redraws at once
    view.summary_text, view.figure_data         # what it shows now

Why a PNG ``Image`` widget and not an ``Output`` widget or ``interact``: the figure lives in the widget's own state,
so a notebook stores nothing that differs between runs (nbval can compare the cell) and nothing is printed into a
hidden output area. Settings that batchkit rejects (for example ``drop_last`` with a batch larger than ``n``) show
batchkit's error message in the summary line instead of a traceback.

:data:`REGISTRY` lists every view builder, so that tests and benchmarks cover each view automatically.
"""

from __future__ import annotations

import gc
import io
import time
import warnings
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .conditioning import centering_experiment, offset_regression_data
from .counting import describe_steps
from .datasets import synthetic_line
from .linreg import hessian, least_squares
from .batch_size_study import memory_by_batch_size
from .bn_experiments import HIDDEN_LAYERS, KINDS, SHIFT_SETTINGS, WIDTH, runs_by_kind
from .plotting import (
    plot_activation_bands,
    plot_batch_assignment,
    plot_batch_mean_histogram,
    plot_centering_contours,
    plot_linear_steps,
    plot_memory,
    plot_training_paths,
)
from .sampling import batch_assignment
from .statistics import batch_mean_std, epoch_batch_means, spread_of_batch_means
from .training import train
from .worked_example import example_tables, linear_relu_steps, worked_example

#: What a view's ``draw`` function returns: the figure (or, pre-rendered, its PNG bytes and width in pixels), the
#: one-line summary, and the data the figure shows.
Drawing = tuple[Figure | tuple[bytes, int], str, Any]

PNG_DPI = 80  # enough for a lecture projector; higher DPI makes every redraw slower

# Why: a redraw allocates many short-lived matplotlib objects, which sets off the cyclic garbage collector, and a full
# collection walks every object alive. After numpy, matplotlib, ipywidgets and the kernel are imported that is
# hundreds of thousands of long-lived objects, and one collection took about 100 ms in the middle of a redraw
# (benchmarks/bench_widgets.py prints the share of time spent in gc). gc.freeze() moves the objects alive now out of
# the collector's sight; collections then walk only what was made later. The price: a reference cycle among those
# objects would never be freed, but they are the modules, classes and kernel state loaded so far, which live as long
# as the kernel anyway.
gc.freeze()


class LessonView(widgets.VBox):
    """Named controls, a summary line and a figure, redrawn whenever a control changes.

    Parameters
    ----------
    name : str
        Short identifier, also a CSS class (``bk-view-<name>``) for browser tests.
    controls : dict of str to ipywidgets.ValueWidget
        The controls, keyed by the keyword argument of ``draw`` they feed.
    draw : callable
        ``draw(**values) -> (figure, summary, data)``. A ``ValueError`` or ``TypeError`` it raises is shown as a
        message; any other exception is a bug and propagates.

    Attributes
    ----------
    summary_text : str
        The text of the summary line now (an error message after rejected settings).
    figure_data : object
        The data behind the figure drawn last (kept from the last valid settings when settings are rejected).
    error : str or None
        The message of the last rejected settings, None when the view is valid.
    update_seconds : list of float
        Wall time of every redraw (draw + PNG rendering), for the latency benchmark.
    """

    def __init__(self, name: str, controls: dict[str, widgets.ValueWidget], draw: Callable[..., Drawing]) -> None:
        self.name = name
        self.controls = dict(controls)
        self._draw = draw
        self.summary = widgets.HTML()
        self.summary.add_class("bk-summary")
        self.image = widgets.Image(format="png")
        self.image.add_class("bk-figure")
        self.summary_text = ""
        self.figure_data: Any = None
        self.error: str | None = None
        self.update_seconds: list[float] = []
        for control in self.controls.values():
            control.style.description_width = "initial"
        control_box = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([control_box, self.summary, self.image])
        self.add_class("bk-view")
        self.add_class(f"bk-view-{name}")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {key: control.value for key, control in self.controls.items()}

    def refresh(self) -> None:
        """Redraw from the current control values."""
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a warning is a bug in a view: fail loudly in tests
                figure, summary, data = self._draw(**self.values())
        except (ValueError, TypeError) as exc:
            self.error = str(exc)
            self.summary_text = f"Not possible: {exc}"
            self.summary.value = f'<span class="bk-error" style="color:#D55E00">{_escape(self.summary_text)}</span>'
            self.summary.add_class("bk-has-error")
        else:
            png, width = render_png(figure) if isinstance(figure, Figure) else figure
            self.error = None
            self.summary_text = summary
            self.figure_data = data
            self.summary.value = _escape(summary)
            self.summary.remove_class("bk-has-error")
            # Shown at its own pixel size: stretched to the cell's width it would be blurred.
            self.image.layout.width = f"{width}px"
            self.image.value = png
        self.update_seconds.append(time.perf_counter() - start)

    def _on_change(self, change: dict) -> None:
        self.refresh()

    def __repr__(self) -> str:
        # The text/plain output a notebook stores for this view: deterministic, so nbval can compare it.
        settings = ", ".join(f"{key}={value!r}" for key, value in self.values().items())
        return f"LessonView {self.name!r} ({settings})"


def render_png(figure: Figure) -> tuple[bytes, int]:
    """The figure as PNG bytes at :data:`PNG_DPI`, and its width in pixels."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI)
    return buffer.getvalue(), round(figure.get_figwidth() * PNG_DPI)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _int_slider(value: int, low: int, high: int, description: str) -> widgets.IntSlider:
    return widgets.IntSlider(value=value, min=low, max=high, description=description, continuous_update=True)


def batch_assignment_widget(
    n: int = 24,
    batch_size: int = 5,
    epochs: int = 4,
    *,
    shuffle: bool = True,
    replacement: bool = False,
    drop_last: bool = False,
    seed: int = 0,
) -> LessonView:
    """Lesson 01: which sample falls into which batch, epoch by epoch.

    Controls: ``n`` (1-60), ``batch_size`` (1-64), ``epochs`` (1-6), ``shuffle``, ``replacement``, ``drop_last`` and
    ``seed``. Draws with :func:`batchkit.plotting.plot_batch_assignment`, so its default view is the figure that
    ``plot_batch_assignment(batch_assignment(n, batch_size, epochs, ...))`` gives.
    """
    controls = {
        "n": _int_slider(n, 1, 60, "n samples"),
        "batch_size": _int_slider(batch_size, 1, 64, "batch size b"),
        "epochs": _int_slider(epochs, 1, 6, "epochs"),
        "shuffle": widgets.Checkbox(value=shuffle, description="shuffle"),
        "replacement": widgets.Checkbox(value=replacement, description="with replacement"),
        "drop_last": widgets.Checkbox(value=drop_last, description="drop_last"),
        "seed": widgets.BoundedIntText(value=seed, min=0, max=9999, description="seed", layout={"width": "9em"}),
    }

    def draw(n, batch_size, epochs, shuffle, replacement, drop_last, seed) -> Drawing:
        assignment = batch_assignment(
            n, batch_size, epochs, shuffle=shuffle, replacement=replacement, drop_last=drop_last, seed=seed
        )
        summary = describe_steps(n, batch_size, epochs, drop_last)
        if replacement:
            seen = assignment.distinct_fraction()
            summary += f"; distinct samples seen per epoch: {', '.join(f'{s:.0%}' for s in seen)}"
        return plot_batch_assignment(assignment), summary, assignment

    return LessonView("batch_assignment", controls, draw)


def linear_steps_widget(step: int = 0) -> LessonView:
    """Lesson 02: step through ``ReLU(X Wᵀ + b)`` on the worked example, one sample per step.

    The tables and steps are computed once; a change of the ``step`` slider only redraws. Draws with
    :func:`batchkit.plotting.plot_linear_steps`, so step ``k`` looks exactly like
    ``plot_linear_steps(linear_relu_steps(*worked_example())[k], example_tables(*worked_example()))``.
    """
    tables = example_tables(*worked_example())
    steps = linear_relu_steps(*worked_example())
    # Seven fixed pictures: render them once, so that moving the slider only swaps images.
    pictures = [render_png(plot_linear_steps(s, tables)) for s in steps]
    controls = {"step": _int_slider(step, 0, len(steps) - 1, "step")}

    def draw(step: int) -> Drawing:
        return pictures[step], f"Step {step} of {len(steps) - 1}. {steps[step].title}", steps[step]

    return LessonView("linear_steps", controls, draw)


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
    controls = {"batch_size": _int_slider(batch_size, 1, n, "batch size b")}

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
        "epochs": _int_slider(epochs, 1, 20, "epochs"),
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


def activation_shift_widget(kind: str = "without BN", after_bn: bool = False, layer: int = 6, unit: int = 1,
                            epoch: int = 0) -> LessonView:
    """Lesson 05: one hidden unit's input distribution over training, before or after batch norm.

    Browses the seed-0 runs of :func:`batchkit.bn_experiments.runs_by_kind` with ``SHIFT_SETTINGS`` (tanh units,
    α = 0.1, measured): without BN, with BN and with noisy BN. They are trained once, when the view is built, and
    every update only redraws :func:`batchkit.plotting.plot_activation_bands`. ``after_bn``: the activation's input
    (after BN and its noise) instead of the linear layer's output (BN's input); the same without BN.
    """
    runs = runs_by_kind(0, measure=True, **SHIFT_SETTINGS)
    epochs = len(runs["with BN"].loss) - 1
    controls = {
        "kind": widgets.SelectionSlider(options=list(KINDS), value=kind, description="network"),
        "after_bn": widgets.Checkbox(value=after_bn, description="after batch norm"),
        "layer": _int_slider(layer, 1, HIDDEN_LAYERS, "hidden layer"),
        "unit": _int_slider(unit, 1, WIDTH, "unit"),
        "epoch": _int_slider(epoch, 0, epochs, "epoch"),
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
        figure = plot_activation_bands(q, epoch, f"{kind}, hidden layer {layer}, unit {unit}", place)
        return figure, summary, q

    return LessonView("activation_shift", controls, draw)


MEMORY_BATCH_SIZES = (16, 32, 64, 128, 256, 512)


def memory_widget(width: int = 256) -> LessonView:
    """Lesson 06: measured peak memory of a training step against batch size, for an MLP of a chosen width.

    The network is 784 → width → width → 10; six steps per width are measured with tracemalloc when the view is
    built, and each update draws :func:`batchkit.plotting.plot_memory`. The numbers are exact byte counts, the same
    on every machine.
    """
    widths = [64, 128, 256, 512, 1024]
    controls = {"width": widgets.SelectionSlider(options=widths, value=width, description="hidden units")}
    # Measured once per width when the view is built (about a second each): updates then only redraw.
    curves = {w: memory_by_batch_size(MEMORY_BATCH_SIZES, hidden=(w, w)) for w in widths}

    def draw(width: int) -> Drawing:
        peaks, parameter_bytes = curves[width]
        per_sample = np.polyfit(MEMORY_BATCH_SIZES, peaks, 1)[0]
        summary = (f"784-{width}-{width}-10: parameters {parameter_bytes / 2**20:.2f} MiB; each extra sample in the "
                   f"batch costs {per_sample / 1024:.1f} KiB during a step")
        title = f"MLP 784-{width}-{width}-10, float64"
        return plot_memory(np.array(MEMORY_BATCH_SIZES), peaks, parameter_bytes, title), summary, peaks

    return LessonView("memory", controls, draw)


#: Every view builder in the series, by name. Tests and benchmarks iterate over this.
REGISTRY: dict[str, Callable[[], LessonView]] = {
    "batch_assignment": batch_assignment_widget,
    "linear_steps": linear_steps_widget,
    "centering": centering_widget,
    "batch_means": batch_means_widget,
    "training_paths": training_paths_widget,
    "activation_shift": activation_shift_widget,
    "memory": memory_widget,
}
