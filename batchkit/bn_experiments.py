"""Lesson 05's experiments on the digits data: a deep MLP trained with and without batch normalization.

Every experiment is a plain function of its settings, cached, so that the notebook's static figures and its
widgets (which only browse the results) share one computation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from .datasets import digits_split
from .mlp import MLP, ClassifierHistory, train_classifier

HIDDEN_LAYERS = 6
WIDTH = 32
#: Settings under which the deep network learns with *and* without BN (tanh units, a moderate learning rate), so that
#: the drift of its layer inputs during training can be compared.
SHIFT_SETTINGS = {"activation": "tanh", "learning_rate": 0.1}


def deep_mlp(batchnorm: bool, activation: str = "sigmoid", init_scale: float | None = None, seed: int = 0) -> MLP:
    """64 inputs, :data:`HIDDEN_LAYERS` hidden layers of :data:`WIDTH` units, 10 classes."""
    return MLP([64] + [WIDTH] * HIDDEN_LAYERS + [10], activation=activation, batchnorm=batchnorm,
               init_scale=init_scale, seed=seed)


@lru_cache(maxsize=64)
def train_deep(batchnorm: bool, *, activation: str = "sigmoid", learning_rate: float = 0.5, batch_size: int = 32,
               epochs: int = 15, init_scale: float | None = None, seed: int = 0) -> ClassifierHistory:
    """Train :func:`deep_mlp` on the digits split with mini-batch SGD; the same settings give the same result."""
    X_train, X_test, y_train, y_test = digits_split()
    model = deep_mlp(batchnorm, activation, init_scale, seed)
    return train_classifier(model, X_train, y_train, batch_size=batch_size, epochs=epochs,
                            learning_rate=learning_rate, X_test=X_test, y_test=y_test, seed=seed + 1)


def with_and_without_bn(**settings) -> dict[str, ClassifierHistory]:
    """``{"without BN": ..., "with BN": ...}`` for the same settings of :func:`train_deep`."""
    return {"without BN": train_deep(False, **settings), "with BN": train_deep(True, **settings)}


def final_test_accuracy(values: list, setting: str, epochs: int = 10,
                        report: Callable[[object, dict[str, float]], None] | None = None,
                        **settings) -> dict[str, np.ndarray]:
    """Final test accuracy with and without BN while one setting of :func:`train_deep` runs over ``values``.

    Parameters
    ----------
    values : list
        The values of ``setting`` (for example learning rates), one pair of networks each.
    setting : str
        A keyword of :func:`train_deep`: ``"learning_rate"``, ``"init_scale"``, ``"batch_size"``, ...
    epochs : int
    report : callable, optional
        ``report(value, {"without BN": accuracy, "with BN": accuracy})`` after each value: a sweep trains several
        networks and takes seconds, so a notebook prints progress with it.
    **settings
        The other settings of :func:`train_deep`, the same for every run.

    Returns
    -------
    dict of str to numpy.ndarray, shape (len(values),)
        ``{"without BN": ..., "with BN": ...}``, accuracies between 0 and 1.
    """
    accuracy: dict[str, list[float]] = {"without BN": [], "with BN": []}
    for value in values:
        for name, batchnorm in [("without BN", False), ("with BN", True)]:
            run = train_deep(batchnorm, epochs=epochs, **{setting: value}, **settings)
            accuracy[name].append(run.test_accuracy[-1])
        if report is not None:
            report(value, {name: values_so_far[-1] for name, values_so_far in accuracy.items()})
    return {name: np.array(values_so_far) for name, values_so_far in accuracy.items()}
