"""Latency of every interactive view: each control swept through its range, every update timed.

An update is what a reader waits for after moving a control: recompute, redraw the figure and render it to PNG
(the view's ``Image`` widget carries that PNG to the browser). Every view in ``batchkit.widgets.REGISTRY`` is
covered, so new views are measured with no change here.

Goal (issue "Widgets that verifiably work"): median < 100 ms and p95 < 200 ms for every view.

Run: ``python benchmarks/bench_widgets.py``
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy is imported, as in the notebooks' kernels under test

import time  # noqa: E402

import ipywidgets as widgets  # noqa: E402
import numpy as np  # noqa: E402

from batchkit.widgets import REGISTRY, LessonView  # noqa: E402

MEDIAN_GOAL_MS, P95_GOAL_MS = 100.0, 200.0
POINTS = 10  # values per slider sweep, up and back down


def sweep(control: widgets.ValueWidget) -> list:
    """Values to drive a control through: across its range and back, or toggled a few times."""
    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value] * 3
    if isinstance(control, widgets.SelectionSlider):
        options = list(control.options)
        return options + options[::-1]
    if isinstance(control, widgets.FloatLogSlider):
        values = [float(v) for v in control.base ** np.linspace(control.min, control.max, POINTS)]
    else:
        values = [float(v) for v in np.linspace(control.min, control.max, POINTS)]
        if isinstance(control.min, int):
            values = [int(round(v)) for v in values]
    return values + values[::-1]


def measure(view: LessonView) -> list[tuple[str, object, float]]:
    """(control, value, milliseconds) for every update of a sweep over every control."""
    timings = []
    for name, control in view.controls.items():
        default = control.value
        for value in sweep(control):
            if value == control.value:
                continue  # no change, no update
            start = time.perf_counter()
            control.value = value  # observers run synchronously: recompute, draw, render PNG
            timings.append((name, value, (time.perf_counter() - start) * 1e3))
        control.value = default
    return timings


def main() -> int:
    print(f"{'view':16s} {'updates':>7s} {'median ms':>10s} {'p95 ms':>8s}  worst update")
    failures = []
    for name, build in REGISTRY.items():
        timings = measure(build())
        ms = np.array([t[2] for t in timings])
        worst = max(timings, key=lambda t: t[2])
        median, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
        ok = median < MEDIAN_GOAL_MS and p95 < P95_GOAL_MS
        failures += [] if ok else [name]
        print(f"{name:16s} {len(ms):7d} {median:10.1f} {p95:8.1f}  {worst[0]}={worst[1]!r}: {worst[2]:.0f} ms"
              f"  {'PASS' if ok else 'FAIL'}")
    print(f"goal: median < {MEDIAN_GOAL_MS:.0f} ms and p95 < {P95_GOAL_MS:.0f} ms per view: "
          f"{'all views meet it' if not failures else 'NOT met by ' + ', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
