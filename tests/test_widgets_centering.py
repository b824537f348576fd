"""Lesson 03's two views: their default views are the lesson's static figures, and their new controls work."""

import numpy as np
import pytest

from batchkit.conditioning import centering_experiment, offset_regression_data
from batchkit.statistics import epoch_batch_means
from batchkit.widgets import REGISTRY, batch_means_data


def test_centering_view_default_is_the_static_figure_and_spread_and_scale_act():
    view = REGISTRY["centering"](offset=10.0, centered=True)
    static = centering_experiment(*offset_regression_data(10.0), centered=True)
    assert view.figure_data.condition == static.condition and view.figure_data.steps_needed == static.steps_needed
    view.controls["spread"].value = 10.0
    x, _ = offset_regression_data(10.0, spread=10.0)
    assert view.figure_data.condition == pytest.approx(x.var(), rel=1e-9)  # κ = max(s², 1/s²) after centering
    assert "σ 10, centered x" in view.summary_text
    view.controls["scaled"].value = True
    assert view.figure_data.steps_needed == 1 and "centered and scaled x" in view.summary_text


def test_batch_means_view_reports_a_standard_error():
    view = REGISTRY["batch_means"](batch_size=600)
    np.testing.assert_array_equal(view.figure_data, epoch_batch_means(batch_means_data(), 600, 50, seed=1))
    assert "measured std 0.0661 ± 0.0058 (standard error)" in view.summary_text and "0.0582" in view.summary_text
