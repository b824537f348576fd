"""Lesson 02's worked example: the steps reveal the computation one sample at a time and end at ReLU(X Wᵀ + b)."""

import numpy as np

from batchkit.activations import relu
from batchkit.linear import linear_forward
from batchkit.worked_example import TABLES, example_tables, linear_relu_steps, worked_example
from batchkit.widgets import linear_steps_widget


def test_tables_are_the_layer_computed_in_one_call():
    X, W, b = worked_example()
    tables = example_tables(X, W, b)
    assert list(tables) == list(TABLES)
    np.testing.assert_array_equal(tables["ReLU(Z)"], relu(linear_forward(X, W, b)))
    assert X.dtype.kind == "i" and X.shape == (4, 3) and W.shape == (2, 3) and b.shape == (2,)


def test_steps_reveal_one_row_then_bias_then_relu():
    X, W, b = worked_example()
    steps = linear_relu_steps(X, W, b)
    assert len(steps) == len(X) + 3
    assert not steps[0].known["X Wᵀ"].any() and steps[0].known["X"].all()
    for i in range(1, len(X) + 1):
        assert steps[i].known["X Wᵀ"].sum(axis=1).tolist() == [2] * i + [0] * (len(X) - i)
        assert steps[i].computed["X Wᵀ"][i - 1].all() and steps[i].used["X"][i - 1].all()
        assert not steps[i].known["Z = X Wᵀ + b"].any()
    assert steps[-2].computed["Z = X Wᵀ + b"].all() and steps[-2].used["b"].all()
    assert all(mask.all() for mask in steps[-1].known.values())
    assert "2·1 + 1·(-1) + 0·2 = 1" in steps[1].title


def test_stepper_widget_follows_the_slider():
    view = linear_steps_widget()
    assert view.figure_data.title.startswith("The inputs")
    view.controls["step"].value = 3
    assert view.summary_text.startswith("Step 3 of 6. Sample 3")
    view.controls["step"].value = view.controls["step"].max
    assert "ReLU" in view.summary_text and all(m.all() for m in view.figure_data.known.values())
