"""Latency of every interactive view: each control swept through its range, every update timed.

An update is what a reader waits for after moving a control: the view recomputes, draws a new matplotlib figure
and renders it to PNG (its ``Image`` widget carries that PNG to the browser), all synchronously inside the
``control.value = ...`` assignment that is timed here. Sliders and bounded number boxes go through POINTS values
from min to max and back, selection controls through their options and back, checkboxes are toggled a few times;
each control is set back to its default afterwards. Every view in ``batchkit.widgets.REGISTRY`` is covered, so new
views are measured with no change here (a control of a new kind raises an error that says what to add).

Also reported: how many updates were settings the view rejects (it shows a message instead of a figure, a cheap
update), and how much of the time the cyclic garbage collector ran (``gc.callbacks``), since a full collection
can make a single update much slower than the others.

Goal (issue "Widgets that verifiably work"): median < 100 ms and p95 < 200 ms for every view.

Run: ``python benchmarks/bench_widgets.py [VIEW ...]`` (every view by default, or the views named).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy is imported, as in the notebooks' kernels under test

import gc  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import NamedTuple  # noqa: E402

import ipywidgets as widgets  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402

from batchkit.widgets import PNG_DPI, REGISTRY, LessonView  # noqa: E402

MEDIAN_GOAL_MS, P95_GOAL_MS = 100.0, 200.0
POINTS = 10  # values per slider sweep, up and back down


class Update(NamedTuple):
    control: str
    value: object
    ms: float
    gc_ms: float  # of which the garbage collector ran
    rejected: bool  # the view showed an error message instead of a figure


class GcClock:
    """Total milliseconds spent in the cyclic garbage collector since creation."""

    def __init__(self) -> None:
        self.ms = 0.0
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.ms += (time.perf_counter() - self._start) * 1e3


def sweep(control: widgets.ValueWidget) -> list[object]:
    """Values to drive a control through: across its range and back, or toggled a few times."""
    value = control.value
    if isinstance(value, bool):  # Checkbox, ToggleButton
        return [not value, value] * 3
    if hasattr(control, "options") and not isinstance(value, tuple):  # SelectionSlider, Dropdown, RadioButtons...
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]  # (label, value) pairs
        return options + options[::-1]
    if isinstance(value, (int, float)) and hasattr(control, "min"):  # sliders, bounded number boxes
        grid = np.linspace(control.min, control.max, POINTS)
        if isinstance(control, widgets.FloatLogSlider):
            grid = control.base ** grid
        values = [int(round(v)) if isinstance(value, int) else float(v) for v in grid]
        return values + values[::-1]
    raise TypeError(f"no sweep for control type {type(control).__name__} (value {value!r}): "
                    f"add one to bench_widgets.sweep")


def measure(view: LessonView, clock: GcClock) -> list[Update]:
    """Every update of a sweep over every control of ``view``, timed."""
    updates = []
    for name, control in view.controls.items():
        default = control.value
        for value in sweep(control):
            if value == control.value:
                continue  # no change, no update
            redraws, gc_before = len(view.update_seconds), clock.ms
            start = time.perf_counter()
            control.value = value  # observers run synchronously: recompute, draw, render PNG
            ms = (time.perf_counter() - start) * 1e3
            if len(view.update_seconds) != redraws + 1:
                raise AssertionError(f"{view.name}: setting {name}={value!r} did not redraw exactly once")
            updates.append(Update(name, value, ms, clock.ms - gc_before, view.error is not None))
        control.value = default
    return updates


def shown(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else repr(value)


def main() -> int:
    print(f"python {platform.python_version()}, numpy {np.__version__}, matplotlib {matplotlib.__version__} "
          f"(no pyplot: views render with Figure.savefig), ipywidgets "
          f"{widgets.__version__}; PNG at {PNG_DPI} dpi; load average {os.getloadavg()[0]:.2f}")
    print(f"goal per view: median < {MEDIAN_GOAL_MS:.0f} ms and p95 < {P95_GOAL_MS:.0f} ms")
    print(f"{'view':16} {'updates':>7} {'rejected':>8} {'median ms':>9} {'p95 ms':>7} {'med/goal':>8} "
          f"{'p95/goal':>8} {'gc %':>5}  {'verdict':7}  worst update (ms, of which gc)")
    views = sys.argv[1:] or list(REGISTRY)
    unknown = sorted(set(views) - set(REGISTRY))
    if unknown:
        raise SystemExit(f"unknown view(s) {unknown}; the views are {sorted(REGISTRY)}")
    clock, failures = GcClock(), []
    for name in views:
        build = REGISTRY[name]
        updates = measure(build(), clock)
        if not updates:
            print(f"{name:16} no control to sweep")
            continue
        ms = np.array([u.ms for u in updates])
        median, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
        gc_share = 100 * sum(u.gc_ms for u in updates) / ms.sum()
        worst = max(updates, key=lambda u: u.ms)
        ok = median < MEDIAN_GOAL_MS and p95 < P95_GOAL_MS
        failures += [] if ok else [name]
        print(f"{name:16} {len(updates):7d} {sum(u.rejected for u in updates):8d} {median:9.1f} {p95:7.1f} "
              f"{median / MEDIAN_GOAL_MS:8.2f} {p95 / P95_GOAL_MS:8.2f} {gc_share:5.0f}  {'PASS' if ok else 'FAIL':7}  "
              f"{worst.control}={shown(worst.value)}: {worst.ms:.0f} ({worst.gc_ms:.0f})")
    print(f"overall: {'PASS' if not failures else 'FAIL (' + ', '.join(failures) + ')'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
