"""Lesson 02's view: a linear layer plus ReLU on a batch, one computation step at a time."""

from __future__ import annotations

from ..plotting import plot_linear_steps
from ..worked_example import example_tables, linear_relu_steps, worked_example
from .view import Drawing, LessonView, int_slider, render_png


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
    controls = {"step": int_slider(step, 0, len(steps) - 1, "step")}

    def draw(step: int) -> Drawing:
        return pictures[step], f"Step {step} of {len(steps) - 1}. {steps[step].title}", steps[step]

    return LessonView("linear_steps", controls, draw)
