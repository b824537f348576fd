"""Activation functions y = activation(z), applied element by element, with their derivatives.

Each ``*_backward(dy, ...)`` returns ``dz = dy * activation'(z)``, the gradient flowing back through the activation.
"""

from __future__ import annotations

import numpy as np


def relu(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)``, element-wise. Any shape."""
    return np.maximum(z, 0)


def relu_backward(dy: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Gradient through ReLU: ``dy`` where ``z > 0``, else 0 (the subgradient 0 is used at ``z = 0``, as PyTorch)."""
    return dy * (z > 0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, computed without overflow for large negative ``z``. Any shape."""
    z = np.asarray(z, dtype=np.result_type(z, np.float32))
    # exp(-|z|) never overflows; the two branches are the same function rearranged.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient through the sigmoid, from its *output* ``y``: ``dy * y * (1 - y)``."""
    return dy * y * (1.0 - y)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, element-wise. Any shape."""
    return np.tanh(z)


def tanh_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient through tanh, from its *output* ``y``: ``dy * (1 - y**2)``."""
    return dy * (1.0 - y * y)
