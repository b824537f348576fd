"""Lesson 06's measurements: what the batch size does to speed, memory and accuracy, on this machine.

The step whose cost is measured is the forward and backward pass of an MLP (lesson 05) on MNIST-sized inputs
(784 features, 10 classes), made of random numbers: speed and memory do not depend on the values.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from .datasets import digits_split
from .mlp import MLP, ClassifierHistory, train_classifier
from .timing import peak_memory

INPUTS, CLASSES = 784, 10


def mlp_step(hidden: tuple[int, ...] = (256, 256), seed: int = 0) -> tuple[Callable[[np.ndarray], None], int]:
    """A training step's work (forward, loss, backward) of a 784-hidden-10 MLP, and its parameter count.

    Returns
    -------
    step : callable
        ``step(X_batch)``; labels are made inside from the batch size.
    parameters : int
    """
    model = MLP([INPUTS, *hidden, CLASSES], activation="relu", seed=seed)
    parameters = sum(W.size + b.size for W, b in zip(model.weights, model.biases))

    def step(batch: np.ndarray) -> None:
        model.loss_and_gradients(batch, np.arange(len(batch)) % CLASSES)

    return step, parameters


def random_batch(size: int) -> np.ndarray:
    """A (size, 784) float64 batch of random inputs."""
    return np.random.default_rng(size).random((size, INPUTS))


@lru_cache(maxsize=16)
def memory_by_batch_size(batch_sizes: tuple[int, ...], hidden: tuple[int, ...] = (256, 256)) -> tuple[np.ndarray, int]:
    """Peak bytes allocated by one training step at each batch size, and the bytes of the parameters.

    Results are cached (pass tuples), so a notebook figure and a widget share one measurement.

    Returns
    -------
    peaks : numpy.ndarray of int, shape (len(batch_sizes),)
        Everything the step allocates: the batch's activations, their gradients, temporaries, and the weight
        gradients (which, like the parameters, do not grow with the batch).
    parameter_bytes : int
        Bytes of the weights and biases (float64), held whatever the batch size.
    """
    step, parameters = mlp_step(hidden)
    peaks = []
    for size in batch_sizes:  # one measurement per batch size
        batch = random_batch(size)
        peaks.append(peak_memory(step, batch))
    return np.array(peaks), parameters * 8


def train_digits(batch_size: int, learning_rate: float, *, epochs: int, warmup_steps: int = 0,
                 hidden: tuple[int, ...] = (64, 64), seed: int = 0) -> ClassifierHistory:
    """Train a small tanh MLP on the digits split (lesson 05's data) with plain mini-batch SGD."""
    X_train, X_test, y_train, y_test = digits_split()
    model = MLP([64, *hidden, 10], activation="tanh", seed=seed)
    return train_classifier(model, X_train, y_train, batch_size=batch_size, epochs=epochs,
                            learning_rate=learning_rate, X_test=X_test, y_test=y_test, seed=seed + 1,
                            warmup_steps=warmup_steps)


def epochs_to_target(history: ClassifierHistory, target: float) -> int | None:
    """First epoch whose test accuracy reaches ``target``, or None."""
    reached = np.nonzero(history.test_accuracy >= target)[0]
    return int(reached[0]) if len(reached) else None
