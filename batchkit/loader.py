"""Iterating over a dataset in mini-batches (미니배치): a small, numpy-only ``DataLoader``.

``BatchLoader`` yields ``(X_batch, y_batch)`` pairs. One pass of a ``for`` loop over it is one epoch, and every
pass draws a fresh shuffle from the loader's own Generator, as PyTorch's ``DataLoader(shuffle=True)`` does::

    loader = BatchLoader(X, y, batch_size=32, seed=0)
    for epoch in range(epochs):
        for X_batch, y_batch in loader:   # len(loader) steps
            ...

Two data layouts are accepted, and each batch comes back in the layout the data came in:

* ``layout="rows"`` (default; numpy, PyTorch, Keras, scikit-learn): ``X`` has shape (n, features), one row per sample.
* ``layout="columns"`` (Andrew Ng's and the "AI by Hand" notation): ``X`` has shape (features, n), one column per
  sample, so that a batch can go straight into ``Z = W X + b``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ._validation import SeedLike, as_generator, check_array, check_choice
from .counting import batches_per_epoch
from .sampling import _check_order, epoch_batch_indices

LAYOUTS = ("rows", "columns")


def sample_axis(layout: str) -> int:
    """The axis that indexes samples: 0 for ``"rows"``, 1 for ``"columns"``."""
    return LAYOUTS.index(check_choice("layout", layout, LAYOUTS))


class BatchLoader:
    """Mini-batches of ``(X, y)`` for one epoch per iteration.

    Parameters
    ----------
    X : array_like, shape (n, features) or (n,) with ``layout="rows"``; (features, n) with ``layout="columns"``
        The inputs. Not copied.
    y : array_like of shape (n, ...) or None
        The targets, always one entry per sample along axis 0 (a label vector is layout-free). With ``None``
        the loader yields ``(X_batch, None)``.
    batch_size : int
        Samples per batch (Keras's default, 32). Larger than ``n`` gives one batch.
    shuffle, replacement, drop_last, seed
        As in :func:`batchkit.epoch_batch_indices`. The loader keeps one Generator, so epochs differ but a whole run
        is reproducible from an int seed.
    layout : {"rows", "columns"}
        Where the samples of ``X`` are; batches keep the same layout.

    Notes
    -----
    Each batch is gathered with ``np.take`` into a new array, so a batch stays valid after the loop moves on, and
    no extra copy of the whole dataset is made per epoch (no ``X[permutation]`` up front).
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray | None = None,
        *,
        batch_size: int = 32,
        shuffle: bool = True,
        replacement: bool = False,
        drop_last: bool = False,
        seed: SeedLike = None,
        layout: str = "rows",
    ) -> None:
        axis = sample_axis(layout)
        X = check_array("X", X, ndim=(1, 2) if axis == 0 else (2,))
        n = X.shape[axis]
        if n == 0:
            raise ValueError(f"X is empty: it has shape {X.shape}, so there are no samples to batch")
        if y is not None:
            y = check_array("y", y, ndim=(1, 2))
            if y.shape[0] != n:
                where = "rows" if axis == 0 else "columns (layout='columns')"
                raise ValueError(
                    f"X and y have different numbers of samples: X has {n} {where} but y has {y.shape[0]} entries "
                    f"along axis 0. Expected one target per sample."
                )
        self.shuffle, self.replacement = _check_order(shuffle, replacement)
        self.steps_per_epoch = batches_per_epoch(n, batch_size, drop_last)  # checks batch_size, drop_last
        self.X, self.y, self.n = X, y, n
        self.batch_size, self.drop_last, self.layout = int(batch_size), bool(drop_last), layout
        self._axis = axis
        self._rng = as_generator(seed)

    def __len__(self) -> int:
        """Number of batches (steps) in one epoch."""
        return self.steps_per_epoch

    def epoch_indices(self) -> list[np.ndarray]:
        """Draw the batch indices of the next epoch (advances the loader's Generator)."""
        return epoch_batch_indices(
            self.n,
            self.batch_size,
            shuffle=self.shuffle,
            replacement=self.replacement,
            drop_last=self.drop_last,
            seed=self._rng,
        )

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        for index in self.epoch_indices():
            X_batch = np.take(self.X, index, axis=self._axis)
            y_batch = None if self.y is None else np.take(self.y, index, axis=0)
            yield X_batch, y_batch

    def __repr__(self) -> str:
        return (
            f"BatchLoader(n={self.n}, batch_size={self.batch_size}, steps_per_epoch={self.steps_per_epoch}, "
            f"shuffle={self.shuffle}, replacement={self.replacement}, drop_last={self.drop_last}, "
            f"layout={self.layout!r})"
        )
