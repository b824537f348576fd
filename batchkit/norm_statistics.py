"""How much a sample's output depends on its batch, and how noisy batch statistics are, lesson 07.

Two measurements that the choice of reduction axes (:mod:`batchkit.normalization`) leads to:

* :func:`batch_dependence`: change one *other* sample of a batch and see how far a sample's output moves.
* :func:`batch_mean_spread`: the spread of a unit's batch mean over random batches, relative to the spread of one
  value. For a feature of an (N, D) layer this is lesson 03's σ/√b over σ, so about 1/√b. For a channel of a
  convolutional layer, batch norm pools N·H·W values, and the spread would be 1/√(b·H·W) if those values were
  independent; neighbouring positions of one image are not, which the measurement shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ._validation import (SeedLike, as_generator, check_array, check_finite, check_nonnegative_int,
                          check_positive_int, check_real)


def batch_dependence(layer: Callable[[np.ndarray], np.ndarray], x: np.ndarray, *, sample: int = 0, other: int = 1,
                     change: float = 3.0) -> float:
    """Largest change of ``sample``'s output when sample ``other`` of the same batch is shifted by ``change``.

    Parameters
    ----------
    layer : callable
        ``layer(x) -> out`` of x's shape, for example a :class:`~batchkit.norm_layers.GroupNorm` in train mode.
    x : numpy.ndarray, shape (N, ...), N >= 2
    sample, other : int
        Distinct indices into the batch.
    change : float
        Added to every value of sample ``other``.

    Returns
    -------
    float
        ``max |layer(x)[sample] - layer(x')[sample]|``, where x' is x with sample ``other`` changed.
    """
    if not callable(layer):
        raise TypeError(f"layer must be callable as layer(x) -> out, got {type(layer).__name__}")
    x = check_array("x", x, ndim=tuple(range(2, 9)))
    change = check_real("change", change, low=-np.inf)
    sample, other = check_nonnegative_int("sample", sample), check_nonnegative_int("other", other)
    if sample == other or max(sample, other) >= len(x):
        raise ValueError(f"sample={sample} and other={other} must be distinct indices into a batch of {len(x)}")
    changed = np.array(x, dtype=np.float64)
    changed[other] += change
    return float(np.max(np.abs(layer(x)[sample] - layer(changed)[sample])))


def batch_mean_spread(values: np.ndarray, batch_sizes: Sequence[int], *, draws: int = 2000,
                      seed: SeedLike = 0) -> np.ndarray:
    """Spread (standard deviation) of every unit's batch mean over random batches, divided by the spread of one value.

    Parameters
    ----------
    values : numpy.ndarray, shape (n, units, positions)
        What a normalization averages for each unit: positions = 1 for the features of an (n, D) layer,
        H·W for the channels of an (n, C, H, W) feature map.
    batch_sizes : sequence of int, each <= n
    draws : int
        Random batches per batch size, each drawn without replacement (as an epoch's batches are).
    seed : int or numpy.random.Generator

    Returns
    -------
    spread : numpy.ndarray, shape (units, len(batch_sizes))
        ``std(batch mean) / std(one value)``, per unit and batch size. 1/√(b · positions) if every value were
        independent; 1/√b if the positions of one sample were all equal.
    """
    values = check_finite("values", check_array("values", values, ndim=(3,)))
    n = len(values)
    draws = check_positive_int("draws", draws)
    sizes = [check_positive_int("batch_sizes", b) for b in batch_sizes]
    if not sizes:
        raise ValueError("batch_sizes must hold one or more batch sizes, got none")
    if max(sizes) > n:
        raise ValueError(f"batch_sizes must not exceed the {n} samples of values, got {max(sizes)}")
    rng = as_generator(seed)
    # A batch's mean over (samples, positions) is the mean of its samples' own means, because every sample
    # contributes the same number of positions: averaging per sample first makes each draw cost b, not b·positions.
    per_sample = values.mean(axis=2)  # (n, units)
    one_value = values.std(axis=(0, 2))  # (units,)
    if not np.all(one_value > 0):  # a constant unit (a dead channel, say) has no spread to divide by
        raise ValueError(f"values must vary within every unit: unit(s) {np.flatnonzero(one_value == 0).tolist()} "
                         "are constant, so their spread relative to one value is undefined")
    spread = np.empty((values.shape[1], len(sizes)))
    for k, b in enumerate(sizes):  # a handful of batch sizes; each is one vectorized draw of all batches
        # The b smallest of n uniform keys are a uniformly random b-subset: a batch without replacement.
        batches = np.argpartition(rng.random((draws, n)), b - 1, axis=1)[:, :b]
        spread[:, k] = per_sample[batches].mean(axis=1).std(axis=0) / one_value
    return spread
