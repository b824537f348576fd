"""Lesson 06's measurements: what the batch size does to speed, memory and accuracy, on this machine.

The step whose cost is measured is the forward and backward pass of an MLP (lesson 05) on MNIST-sized inputs
(784 features, 10 classes), made of random numbers: speed and memory do not depend on the values.

The accuracy experiments (:mod:`batchkit.steps_to_target`) train on lesson 05's digits. The learning rate is chosen
on a **validation set** cut from the training part (:func:`digits_splits`), so the test set is used only to measure
generalization.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from ._validation import check_nonnegative_int, check_positive_int, check_real
from .datasets import digits_split
from .mlp import MLP
from .timing import peak_memory

INPUTS, CLASSES = 784, 10

#: Fraction of the digits' training part held out as the validation set.
VALIDATION_FRACTION = 0.2


def mlp_step(hidden: tuple[int, ...] = (256, 256), seed: int = 0) -> tuple[Callable[[np.ndarray], None], int]:
    """A training step's work (forward, loss, backward) of a 784-hidden-10 MLP, and its parameter count.

    Returns
    -------
    step : callable
        ``step(X_batch)`` with ``X_batch`` of shape (b, 784); labels are made inside from the batch size.
    parameters : int
    """
    model = MLP([INPUTS, *hidden, CLASSES], activation="relu", seed=seed)
    parameters = sum(W.size + b.size for W, b in zip(model.weights, model.biases))

    def step(batch: np.ndarray) -> None:
        model.loss_and_gradients(batch, np.arange(len(batch)) % CLASSES)

    return step, parameters


def random_batch(size: int) -> np.ndarray:
    """A (size, 784) float64 batch of random inputs (seeded by ``size``, so the same on every run)."""
    size = check_positive_int("size", size)
    return np.random.default_rng(size).random((size, INPUTS))


def memory_by_batch_size(batch_sizes: Sequence[int], hidden: Sequence[int] = (256, 256)) -> tuple[np.ndarray, int]:
    """Peak bytes allocated by one training step, input batch included, at each batch size; and the parameters' bytes.

    The step receives its own copy of the input batch, made inside the measurement (as a data loader hands every
    step a freshly loaded batch), so the batch is counted with the step. Results are cached, so a notebook figure
    and a widget share one measurement; the returned array is read-only for that reason.

    Parameters
    ----------
    batch_sizes : sequence of int, length k
        Batch sizes, each >= 1.
    hidden : sequence of int
        Widths of the hidden layers of the 784-hidden-10 MLP.

    Returns
    -------
    peaks : numpy.ndarray of int, shape (k,)
        Everything the step allocates: the input batch (784 float64 per sample), the activations kept for the
        backward pass, their gradients, temporaries, and the weight gradients (which, like the parameters, do not
        grow with the batch).
    parameter_bytes : int
        Bytes of the weights and biases (float64), held whatever the batch size.
    """
    if len(batch_sizes) == 0:
        raise ValueError("batch_sizes is empty: give at least one batch size")
    sizes = tuple(check_positive_int("batch_sizes[i]", size) for size in batch_sizes)
    widths = tuple(check_positive_int("hidden width", width) for width in hidden)
    return _memory_by_batch_size(sizes, widths)


@lru_cache(maxsize=16)
def _memory_by_batch_size(batch_sizes: tuple[int, ...], hidden: tuple[int, ...]) -> tuple[np.ndarray, int]:
    step, parameters = mlp_step(hidden)
    peaks = []
    for size in batch_sizes:  # one measurement per batch size
        batch = random_batch(size)
        peaks.append(peak_memory(lambda loaded: step(loaded.copy()), batch))
    peaks = np.array(peaks)
    peaks.flags.writeable = False  # shared by every caller through the cache
    return peaks, parameters * 8


@lru_cache(maxsize=4)
def _splits(validation_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    X_rest, X_test, y_rest, y_test = digits_split()
    order = np.random.default_rng(seed).permutation(len(X_rest))
    held_out = int(round(len(X_rest) * validation_fraction))
    train, validation = order[held_out:], order[:held_out]
    arrays = (X_rest[train], X_rest[validation], X_test, y_rest[train], y_rest[validation], y_test)
    for array in arrays:
        array.flags.writeable = False  # shared by every caller through the cache
    return arrays


def digits_splits(validation_fraction: float = VALIDATION_FRACTION,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lesson 05's digits split (:func:`batchkit.datasets.digits_split`), with a validation set cut from its training part.

    The test part is unchanged. The validation set is a seeded random subset of the training part, the same on
    every run, and disjoint from the samples that remain for training. The arrays are read-only.

    Parameters
    ----------
    validation_fraction : float
        Share of the 1348 training samples held out for validation, strictly between 0 and 1.
    seed : int
        Seed of the permutation that picks the validation samples.

    Returns
    -------
    X_train, X_validation, X_test : numpy.ndarray, shape (m, 64)
        With the default fraction m = 1078, 270 and 449.
    y_train, y_validation, y_test : numpy.ndarray of int, shape (m,)
    """
    validation_fraction = check_real("validation_fraction", validation_fraction, low=0.0, high=1.0)
    if validation_fraction == 1.0:
        raise ValueError("validation_fraction must be below 1: some samples must remain for training")
    seed = check_nonnegative_int("seed", seed)
    return _splits(float(validation_fraction), seed)
