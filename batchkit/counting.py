"""Counting batches and steps: how many updates does training make?

Vocabulary (lesson 01):

* an **epoch** (에포크) is one pass over all ``n`` samples;
* a **step** (스텝, also iteration) is one update of the weights, made from one batch;
* the **batch size** ``b`` (배치 크기) is the number of samples in one step.

The posts' relation ``s = n * e / b`` holds only when ``b`` divides ``n``. In general an epoch has
``ceil(n / b)`` batches, the last one smaller, or ``floor(n / b)`` when the incomplete last batch is dropped
(``drop_last=True``). These are exactly the counts of PyTorch's ``DataLoader``; like Keras, a batch size larger than
``n`` gives one batch holding all samples.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_bool, check_nonnegative_int, check_positive_int


def batches_per_epoch(n: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches (steps) in one epoch over ``n`` samples.

    Parameters
    ----------
    n : int
        Number of samples, >= 1.
    batch_size : int
        Samples per batch, >= 1. May exceed ``n`` (then there is one batch of ``n``, as in Keras).
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.

    Returns
    -------
    int
        ``ceil(n / batch_size)``, or ``floor(n / batch_size)`` with ``drop_last``.

    Raises
    ------
    ValueError
        If ``drop_last`` would leave no batch at all (``batch_size > n``).
    """
    n = check_positive_int("n", n)
    batch_size = check_positive_int("batch_size", batch_size)
    drop_last = check_bool("drop_last", drop_last)
    if drop_last:
        count = n // batch_size
        if count == 0:
            raise ValueError(
                f"drop_last=True leaves zero batches: batch_size={batch_size} is larger than n={n}, so the only "
                f"batch is incomplete and is dropped. Use batch_size <= {n} or drop_last=False."
            )
        return count
    # Integer ceil without floats: -(-n // b). Floats would lose exactness for huge n.
    return -(-n // batch_size)


def total_steps(n: int, batch_size: int, epochs: int, drop_last: bool = False) -> int:
    """Number of optimizer steps in ``epochs`` epochs: ``epochs * batches_per_epoch(n, batch_size, drop_last)``.

    Equals the posts' ``n * e / b`` exactly when ``batch_size`` divides ``n``.
    """
    epochs = check_nonnegative_int("epochs", epochs)
    return epochs * batches_per_epoch(n, batch_size, drop_last)


def batch_sizes(n: int, batch_size: int, drop_last: bool = False) -> np.ndarray:
    """Size of every batch in one epoch, in order.

    Returns
    -------
    numpy.ndarray of int, shape (batches_per_epoch,)
        All entries equal ``batch_size`` except possibly the last one, which holds the remainder
        ``n - (count - 1) * batch_size`` (never present with ``drop_last``). Their sum is ``n`` without
        ``drop_last``.
    """
    count = batches_per_epoch(n, batch_size, drop_last)
    sizes = np.full(count, min(batch_size, n), dtype=np.int64)
    if not drop_last:
        sizes[-1] = n - (count - 1) * sizes[0]
    return sizes


def describe_steps(n: int, batch_size: int, epochs: int, drop_last: bool = False) -> str:
    """One-sentence account of the counting, comparing it with the posts' ``s = n * e / b``.

    Example: ``describe_steps(24, 5, 4)`` gives
    ``"n=24, b=5: 5 batches per epoch (last one has 4 samples), 20 steps in 4 epochs; n·e/b = 19.2 is not whole
    because 5 does not divide 24"``.
    """
    sizes = batch_sizes(n, batch_size, drop_last)
    steps = total_steps(n, batch_size, epochs, drop_last)
    count = len(sizes)
    if n % batch_size == 0:
        last = "all full"
    elif drop_last:
        last = f"the last {n - int(sizes.sum())} samples dropped"
    elif count == 1:
        last = f"one batch of all {n} samples, since b > n"
    else:
        last = f"last one has {int(sizes[-1])} samples"
    naive = n * epochs / batch_size
    if n % batch_size == 0:
        formula = f"n·e/b = {naive:g} exactly, because {batch_size} divides {n}"
    else:
        formula = f"n·e/b = {naive:.4g} is not the count, because {batch_size} does not divide {n}"
    per_epoch = "batch" if count == 1 else "batches"
    step_word = "step" if steps == 1 else "steps"
    epoch_word = "epoch" if epochs == 1 else "epochs"
    return f"n={n}, b={batch_size}: {count} {per_epoch} per epoch ({last}), {steps} {step_word} in {epochs} {epoch_word}; {formula}"
