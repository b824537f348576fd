"""Batch mean and variance that stay accurate in float32, and the textbook formula that does not.

The variance can be written two ways that are equal in exact arithmetic:

* the **naive** one, ``E[x²] - E[x]²``: two large, nearly equal numbers subtracted. With data around 10⁴ and a
  standard deviation of 1, ``E[x²] ≈ 10⁸`` and float32 keeps only about 7 significant digits, so the difference
  (about 1) is pure rounding noise: catastrophic cancellation.
* the **centered** one, ``E[(x - mean)²]``: subtract first, then square small numbers.

:func:`batch_mean_var` goes one step further and first subtracts one sample of the batch (a *shift*): the
differences are small and exact, so even the mean of the shifted values is accurate, and the variance of shifted
data equals the variance of the data. ``numpy.var`` in float32 is a plain two-pass formula, and for 60000 samples
around 10⁴ its error can exceed 100%; this function stays within about 1e-5.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_generator, check_array, check_nonnegative_int, check_positive_int
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
    axis = sample_axis(layout)
    X = check_array("X", X, ndim=(1, 2) if axis == 0 else (2,))
    ddof = check_nonnegative_int("ddof", ddof)
    count = X.shape[axis]
    if count <= ddof:
        raise ValueError(f"X has {count} samples along the batch axis: the variance with ddof={ddof} needs more than {ddof}")
    rows = X.reshape(count, -1) if X.ndim == 1 else (X if axis == 0 else X.T)  # views: samples as rows
    mean, centered = center_rows(rows)
    var = column_sum_of_squares(centered) / (count - ddof)
    if X.ndim == 1:
        return mean[0], var[0]
    return mean, var


def center_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of every column of ``X`` (batch, features) and ``X`` minus it, both accurate in float32.

    Shift by the first sample, average the (small) differences, subtract: a shifted two-pass algorithm. Returns
    a new array for the centered data, which callers (batch normalization) may overwrite.

    Returns
    -------
    mean : numpy.ndarray, shape (features,)
    centered : numpy.ndarray, shape (batch, features)
    """
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    shift = X[0].copy()
    centered = X - shift  # small, exactly representable differences (Sterbenz), even for a large offset
    shifted_mean = centered.mean(axis=0)
    centered -= shifted_mean  # in place: no second temporary array
    return shift + shifted_mean, centered


def column_sum_of_squares(centered: np.ndarray) -> np.ndarray:
    """``Σ_i centered[i, j]²`` for every column j, without forming the squared array (einsum)."""
    return np.einsum("ij,ij->j", centered, centered)


def naive_variance(X: np.ndarray, *, layout: str = "rows") -> np.ndarray:
    """The textbook ``E[x²] - E[x]²``, per feature. Kept only so that lesson 03 can show it failing.

    Numerically unsafe: with a large mean it loses every significant digit in float32 (and can even be negative).
    Use :func:`batch_mean_var`.
    """
    axis = sample_axis(layout)
    X = check_array("X", X, ndim=(1, 2) if axis == 0 else (2,))
    return (X * X).mean(axis=axis) - X.mean(axis=axis) ** 2


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


def batch_mean_std(sigma: float, n: int, batch_size: int) -> float:
    """Standard deviation of the mean of ``batch_size`` samples drawn without replacement from ``n`` values.

    ``σ / √b · √((n - b) / (n - 1))``, with ``σ`` the population standard deviation (ddof=0). The second factor,
    the finite-population correction, is 1 for ``b = 1`` and 0 for ``b = n`` (the full batch has no noise).
    """
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be between 1 and n={n}, got {batch_size}")
    correction = np.sqrt((n - batch_size) / (n - 1)) if n > 1 else 0.0
    return float(sigma / np.sqrt(batch_size) * correction)
