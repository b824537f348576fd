"""Activations and their backward passes."""

import numpy as np
import pytest

from batchkit import activations as act
from batchkit.gradcheck import check_gradients


def test_relu_by_hand():
    np.testing.assert_array_equal(act.relu(np.array([-2, 0, 3])), [0, 0, 3])


def test_sigmoid_is_stable_at_extremes():
    with np.errstate(over="raise"):
        y = act.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("forward", "backward", "from_output"),
    [(act.relu, act.relu_backward, False), (act.sigmoid, act.sigmoid_backward, True), (act.tanh, act.tanh_backward, True)],
)
def test_backward_passes_the_gradient_check(forward, backward, from_output):
    z = np.random.default_rng(0).standard_normal((4, 5)) + 0.05  # away from ReLU's kink at 0
    z[np.abs(z) < 1e-3] = 0.5

    def grad(dy, z):
        return {"z": backward(dy, forward(z) if from_output else z)}

    assert check_gradients(lambda z: forward(z), grad, {"z": z}).passed
