"""Batch mean and variance that stay accurate in float32, and the textbook formula that does not.

The variance can be written two ways that are equal in exact arithmetic:

* the **naive** one, ``E[x²] - E[x]²``: two large, nearly equal numbers subtracted. With data around 10⁴ and a
  standard deviation of 1, ``E[x²] ≈ 10⁸`` and float32 keeps only about 7 significant digits, so the difference
  (about 1) is pure rounding noise: catastrophic cancellation.
* the **centered** one, ``E[(x - mean)²]``: subtract first, then square small numbers. It is only as good as the
  mean it subtracts, and the mean is a sum: :func:`running_sum` adds one row after the other, as numpy does down
  axis 0 of a C-ordered array, and in float32 a sum that grows to 6·10⁸ is rounded to multiples of 32 or 64 at
  every step. :func:`pairwise_sum` adds neighbours in pairs, as numpy does along the contiguous axis, and stays
  accurate.

:func:`batch_mean_var` first subtracts one sample of the batch (a *shift*): the differences are small and exact,
so even a plain running sum of them is accurate, whatever the memory layout; the variance of shifted data equals
the variance of the data.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_generator, check_array, check_nonnegative_int, check_positive_int, check_real
from .loader import sample_axis


def batch_mean_var(X: np.ndarray, *, layout: str = "rows", ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and variance over the batch axis, accurate in float32 even with a large offset.

    Parameters
    ----------
    X : numpy.ndarray, shape (batch, features) or (batch,) for ``layout="rows"``; (features, batch) for ``"columns"``
    layout : {"rows", "columns"}
    ddof : int
        Delta degrees of freedom: 0 gives the biased (population) variance that batch normalization divides by,
        1 the unbiased estimate that PyTorch stores in ``running_var``.

    Returns
    -------
    mean, var : numpy.ndarray, shape (features,) (0-D for 1-D input), in ``X``'s floating dtype
    """
    rows = samples_as_rows(X, layout, ddof)  # shape (batch, features), samples as rows
    shift = rows[0]  # one sample of the batch: close to the mean
    differences = rows - shift  # small numbers, exact in float32 (Sterbenz)
    mean_difference = differences.mean(axis=0)
    deviations = differences - mean_difference  # x - mean, without ever summing large numbers
    mean = shift + mean_difference
    var = (deviations**2).sum(axis=0) / (len(rows) - ddof)
    if np.ndim(X) == 1:
        return mean[0], var[0]
    return mean, var


def samples_as_rows(X: np.ndarray, layout: str = "rows", ddof: int = 0) -> np.ndarray:
    """``X`` checked and seen with one sample per row, shape (batch, features): a view, no copy of floats.

    Integer input becomes float64. Raises if there are not more than ``ddof`` samples.
    """
    axis = sample_axis(layout)
    X = check_array("X", X, ndim=(1, 2) if axis == 0 else (2,))
    ddof = check_nonnegative_int("ddof", ddof)
    count = X.shape[axis]
    if count <= ddof:
        raise ValueError(f"X has {count} samples along the batch axis: the variance with ddof={ddof} needs more than {ddof}")
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    return X.reshape(count, -1) if X.ndim == 1 else (X if axis == 0 else X.T)


def naive_variance(X: np.ndarray, *, layout: str = "rows") -> np.ndarray:
    """The textbook ``E[x²] - E[x]²``, per feature. Kept only so that lesson 03 can show it failing.

    Numerically unsafe: with a large mean it loses every significant digit in float32 (and can even be negative).
    Use :func:`batch_mean_var`.
    """
    axis = sample_axis(layout)
    X = check_array("X", X, ndim=(1, 2) if axis == 0 else (2,))
    return (X * X).mean(axis=axis) - X.mean(axis=axis) ** 2


def running_sum(X: np.ndarray) -> np.ndarray:
    """Sum of the rows of ``X`` (shape (n, features)), added one after the other: the naive way.

    Each addition is rounded to ``X``'s dtype, and the rounding step grows with the total. numpy sums down axis 0
    of a C-ordered array with more than one column exactly this way (it walks the rows, adding each to the totals).

    Returns
    -------
    numpy.ndarray, shape (features,), in ``X``'s dtype
    """
    X = check_array("X", X, ndim=(2,))
    total = np.zeros(X.shape[1], dtype=X.dtype)
    for row in X:  # the loop is the algorithm: each addition needs the one before
        total += row
    return total


def pairwise_sum(X: np.ndarray) -> np.ndarray:
    """Sum of the rows of ``X`` (shape (n, features)) by adding neighbours in pairs, then pairs of pairs, ...

    After ``log₂ n`` rounds one row is left. Every number takes part in only about ``log₂ n`` additions, each
    between partial sums of similar size, so the bound on the rounding error grows like ``log n`` instead of ``n``.
    numpy uses this idea (in blocks) when the sum runs along its innermost loop: the fast axis in memory.

    Returns
    -------
    numpy.ndarray, shape (features,), in ``X``'s dtype
    """
    X = check_array("X", X, ndim=(2,))
    if len(X) == 0:
        return np.zeros(X.shape[1], dtype=X.dtype)
    while len(X) > 1:
        if len(X) % 2 == 1:  # an odd row out waits for the next round
            X = np.concatenate([X, np.zeros_like(X[:1])])
        X = X[0::2] + X[1::2]
    return X[0]


def epoch_batch_means(x: np.ndarray, batch_size: int, epochs: int, *, seed=None) -> np.ndarray:
    """The mean of every full batch of ``x`` over ``epochs`` shuffled epochs without replacement.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        One value per sample.
    batch_size : int
        The incomplete last batch of each epoch is dropped, so every mean is over exactly ``batch_size`` samples.

    Returns
    -------
    numpy.ndarray, shape (epochs, n // batch_size)
    """
    x = check_array("x", x, ndim=(1,))
    batch_size, epochs = check_positive_int("batch_size", batch_size), check_positive_int("epochs", epochs)
    if batch_size > len(x):
        raise ValueError(f"batch_size={batch_size} is larger than n={len(x)}: no full batch to average")
    rng = as_generator(seed)
    steps = len(x) // batch_size
    # The same draws as iter_epochs(..., drop_last=True): one permutation per epoch, cut into full batches.
    orders = np.stack([rng.permutation(len(x))[: steps * batch_size] for _ in range(epochs)])
    return x[orders].reshape(epochs, steps, batch_size).mean(axis=2)


def spread_of_batch_means(means: np.ndarray, population_mean: float) -> tuple[float, float]:
    """Standard deviation of batch means around the mean of all samples, and its standard error.

    Parameters
    ----------
    means : numpy.ndarray, shape (epochs, batches)
        From :func:`epoch_batch_means`. The epochs are independent shuffles; the batches of one epoch are not
        independent (they share out the same samples), so the standard error comes from the epoch-to-epoch
        variation of each epoch's mean squared deviation.
    population_mean : float

    Returns
    -------
    std : float
        ``√(mean of (means - population_mean)²)``, the quantity :func:`batch_mean_std` predicts.
    standard_error : float
        Of ``std``: the standard error of the mean squared deviation over epochs, ``s / √epochs``, divided by
        ``2 · std`` (the derivative of the square root). 0 when every batch mean equals ``population_mean``.
    """
    means = check_array("means", means, ndim=(2,))
    if len(means) < 2:
        raise ValueError(f"means has {len(means)} epoch(s): a standard error needs at least 2 independent epochs")
    per_epoch = ((means - population_mean) ** 2).mean(axis=1)  # shape (epochs,)
    std = float(np.sqrt(per_epoch.mean()))
    error_of_variance = per_epoch.std(ddof=1) / np.sqrt(len(per_epoch))
    return std, float(error_of_variance / (2 * std)) if std > 0 else 0.0


def batch_mean_std(sigma: float, n: int, batch_size: int) -> float:
    """Standard deviation of the mean of ``batch_size`` samples drawn without replacement from ``n`` values.

    ``σ / √b · √((n - b) / (n - 1))``, with ``σ`` the population standard deviation (ddof=0). The second factor,
    the finite-population correction, is 1 for ``b = 1`` and 0 for ``b = n`` (the full batch has no noise).
    """
    sigma = check_real("sigma", sigma, low=0.0, low_inclusive=True)
    n, batch_size = check_positive_int("n", n), check_positive_int("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(f"batch_size must be between 1 and n={n}, got {batch_size}")
    correction = np.sqrt((n - batch_size) / (n - 1)) if n > 1 else 0.0
    return float(sigma / np.sqrt(batch_size) * correction)


def skewness(x: np.ndarray) -> float:
    """``E[(x - mean)³] / std³`` of the values in ``x`` (any shape): 0 for symmetric data, 2 for an exponential."""
    x = np.ravel(check_array("x", x, ndim=(1, 2, 3)))
    deviations = x - x.mean()
    if not np.any(deviations):
        raise ValueError(f"x holds {x.size} equal value(s): the skewness of constant data is undefined")
    return float(np.mean(deviations**3) / np.mean(deviations**2) ** 1.5)


def batch_statistics(X: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``(count, mean, m2)`` of a batch ``X`` (N, D), rows are samples: m2 is the per-feature sum of squared
    deviations from the mean, shape (D,). Computed in float64, two passes, so float32 data far from 0 keeps its
    digits (homework 03)."""
    X = check_array("X", X, ndim=(2,)).astype(np.float64)
    mean = X.mean(axis=0) if len(X) else np.zeros(X.shape[1])
    return len(X), mean, ((X - mean) ** 2).sum(axis=0)


def merge_statistics(first: tuple, second: tuple) -> tuple[int, np.ndarray, np.ndarray]:
    """The ``(count, mean, m2)`` of two batches together, from each batch's own (homework 03 derives it).

    The merged mean moves toward the second batch by its share of the samples, and m2 gains the spread between the
    two means: ``m2_a + m2_b + δ² · n_a n_b / n`` with ``δ = mean_b - mean_a``. Either batch may be empty (count 0).
    """
    (count_a, mean_a, m2_a), (count_b, mean_b, m2_b) = first, second
    count_a, count_b = check_nonnegative_int("count of first", count_a), check_nonnegative_int("count of second", count_b)
    count = count_a + count_b
    mean_a, mean_b = np.asarray(mean_a, dtype=np.float64), np.asarray(mean_b, dtype=np.float64)
    if count == 0:
        return 0, mean_a, np.asarray(m2_a, dtype=np.float64)
    delta = mean_b - mean_a
    return count, mean_a + delta * (count_b / count), m2_a + m2_b + delta**2 * (count_a * count_b / count)
