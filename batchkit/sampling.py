"""Which samples go into which batch: index generation for one epoch.

Two ways to build the batches of an epoch:

* **without replacement** (비복원 추출, the default, and what PyTorch's ``DataLoader(shuffle=True)`` and Keras
  ``fit`` do): shuffle the ``n`` indices with a fresh permutation, then cut them into consecutive batches. Every
  sample is seen exactly once per epoch.
* **with replacement** (복원 추출): draw every index independently and uniformly. An "epoch" is then only a count
  of steps (the same count as above); about ``1 - 1/e`` (63.2%) of the samples are seen in it, some several times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import SeedLike, as_generator, check_bool, check_nonnegative_int, check_positive_int
from .counting import batch_sizes


def _check_order(shuffle: object, replacement: object) -> tuple[bool, bool]:
    shuffle = check_bool("shuffle", shuffle)
    replacement = check_bool("replacement", replacement)
    if replacement and not shuffle:
        raise ValueError("replacement=True draws random batches, so it needs shuffle=True (got shuffle=False)")
    return shuffle, replacement


def epoch_batch_indices(
    n: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    replacement: bool = False,
    drop_last: bool = False,
    seed: SeedLike = None,
) -> list[np.ndarray]:
    """Sample indices of every batch of one epoch.

    Parameters
    ----------
    n : int
        Number of samples, >= 1.
    batch_size : int
        Samples per batch, >= 1 (larger than ``n`` gives one batch of ``n``).
    shuffle : bool
        Visit the samples in a random order. ``False`` gives ``0, 1, ..., n-1`` in order.
    replacement : bool
        Draw every index independently (needs ``shuffle=True``). The epoch keeps the same number of batches and
        the same batch sizes as without replacement.
    drop_last : bool
        Drop the last, incomplete batch.
    seed : int, numpy.random.Generator or None
        Source of randomness. An int gives the same epoch on every call; pass one ``Generator`` to successive
        calls to get a fresh shuffle each epoch (or use :func:`iter_epochs`).

    Returns
    -------
    list of numpy.ndarray of int64
        One 1-D array of indices per batch, shapes ``(batch_size,)`` except possibly the last.
    """
    shuffle, replacement = _check_order(shuffle, replacement)
    sizes = batch_sizes(n, batch_size, drop_last)  # validates n, batch_size, drop_last
    rng = as_generator(seed) if shuffle else None
    used = int(sizes.sum())
    if replacement:
        order = rng.integers(0, n, size=used, dtype=np.int64)
    elif shuffle:
        # Permute all n, then keep the first `used`: with drop_last the dropped samples change every epoch,
        # exactly as in PyTorch's DataLoader.
        order = rng.permutation(n)[:used]
    else:
        order = np.arange(used, dtype=np.int64)
    # Slices are views into `order`: no copy per batch (and cheaper than np.split's bookkeeping).
    step = int(sizes[0])
    return [order[start:start + step] for start in range(0, used, step)]


def iter_epochs(
    n: int,
    batch_size: int,
    epochs: int,
    *,
    shuffle: bool = True,
    replacement: bool = False,
    drop_last: bool = False,
    seed: SeedLike = None,
):
    """Yield the batch indices of ``epochs`` successive epochs, each freshly shuffled from one Generator.

    Arguments are checked when this function is called, before the first epoch is produced.

    Yields
    ------
    list of numpy.ndarray
        The batches of one epoch, as returned by :func:`epoch_batch_indices`.
    """
    epochs = check_nonnegative_int("epochs", epochs)
    # Validate everything now: a generator body would only run at the first next().
    batch_sizes(n, batch_size, drop_last)
    _check_order(shuffle, replacement)
    rng = as_generator(seed)

    def generate():
        for _ in range(epochs):
            yield epoch_batch_indices(
                n, batch_size, shuffle=shuffle, replacement=replacement, drop_last=drop_last, seed=rng
            )

    return generate()


@dataclass(frozen=True)
class BatchAssignment:
    """Which batch every sample fell into, epoch by epoch (the data behind lesson 01's picture).

    Attributes
    ----------
    batch_of : numpy.ndarray of int, shape (epochs, n)
        Number (0-based) of the first batch of that epoch that holds the sample; -1 if the sample was not used
        in that epoch (dropped by ``drop_last``, or never drawn with replacement).
    times_drawn : numpy.ndarray of int, shape (epochs, n)
        How often the sample was used in that epoch: always 0 or 1 without replacement.
    batch_size, drop_last, shuffle, replacement : settings that produced it.
    """

    batch_of: np.ndarray
    times_drawn: np.ndarray
    batch_size: int
    shuffle: bool
    replacement: bool
    drop_last: bool

    @property
    def epochs(self) -> int:
        return self.batch_of.shape[0]

    @property
    def n(self) -> int:
        return self.batch_of.shape[1]

    @property
    def batches_per_epoch(self) -> int:
        return int(self.batch_of.max()) + 1 if self.batch_of.size else 0

    def distinct_fraction(self) -> np.ndarray:
        """Fraction of the ``n`` samples seen at least once, per epoch, shape (epochs,)."""
        return (self.times_drawn > 0).mean(axis=1)


def batch_assignment(
    n: int,
    batch_size: int,
    epochs: int,
    *,
    shuffle: bool = True,
    replacement: bool = False,
    drop_last: bool = False,
    seed: SeedLike = None,
) -> BatchAssignment:
    """Run the batching of ``epochs`` epochs and record which batch each sample fell into.

    Parameters are those of :func:`iter_epochs`; ``epochs`` must be >= 1 here.

    Returns
    -------
    BatchAssignment
        Arrays of shape (epochs, n).
    """
    check_positive_int("epochs", epochs)
    epoch_iter = iter_epochs(
        n, batch_size, epochs, shuffle=shuffle, replacement=replacement, drop_last=drop_last, seed=seed
    )
    batch_of = np.full((epochs, n), np.iinfo(np.int64).max, dtype=np.int64)
    times_drawn = np.zeros((epochs, n), dtype=np.int64)
    for epoch, batches in enumerate(epoch_iter):  # a loop over epochs, not over samples
        order = np.concatenate(batches)
        batch_number = np.repeat(np.arange(len(batches)), [len(b) for b in batches])
        # minimum.at handles repeated indices (with replacement): the earliest batch wins.
        np.minimum.at(batch_of[epoch], order, batch_number)
        times_drawn[epoch] = np.bincount(order, minlength=n)
    batch_of[times_drawn == 0] = -1
    return BatchAssignment(
        batch_of=batch_of,
        times_drawn=times_drawn,
        batch_size=int(batch_size),
        shuffle=bool(shuffle),
        replacement=bool(replacement),
        drop_last=bool(drop_last),
    )


def expected_distinct_fraction(n: int, draws: int | None = None) -> float:
    """Expected fraction of ``n`` samples seen at least once in ``draws`` uniform draws with replacement.

    ``1 - (1 - 1/n) ** draws``; with ``draws = n`` (one "epoch") it tends to ``1 - 1/e ~ 0.632`` as ``n`` grows.
    """
    n = check_positive_int("n", n)
    draws = n if draws is None else check_nonnegative_int("draws", draws)
    # log1p/expm1 keep precision for large n, where 1 - 1/n rounds badly.
    return float(-np.expm1(draws * np.log1p(-1.0 / n))) if n > 1 else float(draws > 0)


def expected_fraction_seen(n: int, batch_size: int, steps: int, replace: bool) -> float:
    """Expected fraction of ``n`` samples in at least one of ``steps`` batches, each drawn on its own as
    ``rng.choice(n, batch_size, replace=replace)``: the reference for homework 01's derivation, which the student
    writes (so this docstring does not spell it out).
    """
    n = check_positive_int("n", n)
    batch_size = check_positive_int("batch_size", batch_size)
    steps = check_nonnegative_int("steps", steps)
    replace = check_bool("replace", replace)
    if replace:
        return expected_distinct_fraction(n, draws=batch_size * steps)
    if batch_size > n:
        raise ValueError(f"batch_size must be at most n = {n} without replacement (got {batch_size})")
    return float(-np.expm1(steps * np.log1p(-batch_size / n))) if batch_size < n else float(steps > 0)
