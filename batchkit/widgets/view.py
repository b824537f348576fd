"""The frame every interactive view shares: named controls, a summary line and the figure as a PNG."""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure


#: What a view's ``draw`` function returns: the figure (or, pre-rendered, its PNG bytes and width in pixels), the
#: one-line summary, and the data the figure shows.
Drawing = tuple[Figure | tuple[bytes, int], str, Any]

PNG_DPI = 80  # enough for a lecture projector; higher DPI makes every redraw slower



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


def int_slider(value: int, low: int, high: int, description: str) -> widgets.IntSlider:
    return widgets.IntSlider(value=value, min=low, max=high, description=description, continuous_update=True)
