"""Which samples each worker takes: lesson 01's global batches, each split across the ranks.

Data-parallel training with ``world_size = k`` workers and a per-worker batch ``b`` makes the same global batches
of ``k·b`` samples as one process would (lesson 01's :func:`~batchkit.sampling.iter_epochs`), then gives rank ``r``
the **strided** slice ``global_batch[r::k]`` of each. Strided, because then rank r's samples over an epoch are
exactly what ``torch.utils.data.DistributedSampler(dataset, num_replicas=k, rank=r)`` gives it, cut into batches of
``b`` by a ``DataLoader(batch_size=b)``::

    DistributedSampler:  the epoch's order ─pad or trim─▶ order[r::k]  ─DataLoader─▶ batches of b
    here:                the epoch's order ─pad or trim─▶ batches of k·b ─[r::k]─▶ batches of b   (the same samples)

Every rank must get the same number of samples at every step (the ranks step together), so an epoch's order whose
length is not a multiple of ``k`` is made one, as DistributedSampler does:

* ``drop_last=False`` (DistributedSampler's default): **pad** by repeating the epoch's first samples (they are
  seen twice in that epoch). Only the last global batch grows, by fewer than k samples.
* ``drop_last=True``: **trim** the last ``n mod k`` samples of the epoch. Only the last global batch shrinks.

``full_batches_only=True`` is lesson 01's ``drop_last`` for the global batches: the last, incomplete global batch
is dropped, so every step has exactly ``k·b`` samples and nothing is padded or trimmed (the same samples as
``DistributedSampler(drop_last=True)`` with ``DataLoader(batch_size=b, drop_last=True)``).

Shuffling is lesson 01's, from one numpy Generator seeded with ``seed`` and a fresh permutation every epoch.
DistributedSampler shuffles with ``torch.randperm`` seeded with ``seed + epoch`` instead (a different random
order, the same role). Either way **every rank must use the same seed**: each rank computes the global order on
its own, and ranks with different orders would train on overlapping samples and miss others.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_bool, check_nonnegative_int, check_positive_int
from ..sampling import epoch_batch_indices, iter_epochs


def check_rank(rank: int, world_size: int) -> tuple[int, int]:
    """Validate ``rank`` (0 to ``world_size - 1``) and ``world_size`` (>= 1); return them as ints."""
    world_size = check_positive_int("world_size", world_size)
    rank = check_nonnegative_int("rank", rank)
    if rank >= world_size:
        raise ValueError(f"rank must be from 0 to world_size - 1 = {world_size - 1}, got {rank}")
    return rank, world_size


def pad_or_trim(order: np.ndarray, world_size: int, *, drop_last: bool = False) -> np.ndarray:
    """An epoch's sample order made a multiple of ``world_size`` long, by DistributedSampler's rule.

    Parameters
    ----------
    order : numpy.ndarray of int, shape (n,)
        The epoch's samples in the order they are used.
    world_size : int
    drop_last : bool
        False: repeat samples from the start of ``order`` (wrapping around if ``n < world_size``); True: drop the
        last ``n mod world_size``.

    Returns
    -------
    numpy.ndarray of int, shape (world_size · ceil(n / world_size),) or (world_size · floor(n / world_size),)
    """
    world_size = check_positive_int("world_size", world_size)
    check_bool("drop_last", drop_last)
    order = np.asarray(order)
    if drop_last:
        return order[: len(order) // world_size * world_size]
    padding = -len(order) % world_size
    return np.concatenate([order, np.resize(order, padding)])  # np.resize repeats order cyclically


def shard_epoch(global_batches: list[np.ndarray], world_size: int, rank: int, *,
                drop_last: bool = False) -> list[np.ndarray]:
    """Rank ``rank``'s local batches of one epoch: the epoch padded or trimmed, then ``batch[rank::world_size]``.

    Parameters
    ----------
    global_batches : list of numpy.ndarray of int
        The epoch's global batches in order, every one but the last of the same size, a multiple of
        ``world_size`` (lesson 01's :func:`~batchkit.sampling.epoch_batch_indices` with ``batch_size = k·b``).
    world_size, rank : int
    drop_last : bool
        See :func:`pad_or_trim`; only the last global batch changes.

    Returns
    -------
    list of numpy.ndarray of int
        One array per step, shape ``(len(global_batch) // world_size,)`` after padding or trimming; the same
        number of steps and sizes on every rank.
    """
    rank, world_size = check_rank(rank, world_size)
    if not global_batches:
        return []
    *full, last = global_batches
    sizes = {len(batch) for batch in full}
    if len(sizes) > 1 or any(size % world_size or len(last) > size for size in sizes):
        raise ValueError(f"every global batch but the last must have the same size, a multiple of world_size = "
                         f"{world_size}, and the last no larger; got sizes {[len(batch) for batch in global_batches]}")
    # Pad or trim the whole epoch (padding repeats its *first* samples), then keep what follows the full batches.
    done = sum(len(batch) for batch in full)
    last = pad_or_trim(np.concatenate(global_batches), world_size, drop_last=drop_last)[done:]
    batches = full + ([last] if len(last) else [])  # trimming may leave nothing of the last batch
    return [batch[rank::world_size] for batch in batches]  # strided: DistributedSampler's order[rank::k]


def check_shared_seed(seed: object, shuffle: bool) -> int | None:
    """With ``shuffle``, the seed must be an int that every rank passes (None or a Generator cannot be shared)."""
    if not shuffle:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative int shared by every rank when shuffle=True, got {seed!r}: "
                        f"each rank shuffles on its own, and only the same seed gives every rank the same order")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    return int(seed)


def local_epochs(n: int, per_worker_batch: int, epochs: int, *, world_size: int, rank: int, shuffle: bool = True,
                 drop_last: bool = False, full_batches_only: bool = False, seed: int = 0):
    """Rank ``rank``'s local batches, epoch after epoch: lesson 01's global batches of ``world_size · b``, split.

    Parameters
    ----------
    n : int
        Samples in the data set, >= 1.
    per_worker_batch : int
        ``b``, samples per worker and step (the global batch is ``world_size · b``).
    epochs : int
    world_size, rank : int
    shuffle : bool
    drop_last : bool
        DistributedSampler's: pad (False) or trim (True) each epoch to a multiple of ``world_size`` samples.
    full_batches_only : bool
        Lesson 01's ``drop_last`` for the global batches: drop the last global batch if it is incomplete.
    seed : int
        Of the shuffle: the same on every rank (0 by default; None or a Generator is refused, since each rank
        would shuffle differently).

    Yields
    ------
    list of numpy.ndarray of int
        One epoch: one index array per step (see :func:`shard_epoch`).
    """
    rank, world_size = check_rank(rank, world_size)
    local_batch_sizes(n, per_worker_batch, world_size, drop_last=drop_last,
                      full_batches_only=full_batches_only)  # validates now, and refuses an empty epoch
    seed = check_shared_seed(seed, check_bool("shuffle", shuffle))
    global_epochs = iter_epochs(n, world_size * per_worker_batch, epochs, shuffle=shuffle,
                                drop_last=full_batches_only, seed=seed)
    return (shard_epoch(batches, world_size, rank, drop_last=drop_last) for batches in global_epochs)


def local_batch_sizes(n: int, per_worker_batch: int, world_size: int, *, drop_last: bool = False,
                      full_batches_only: bool = False) -> np.ndarray:
    """Samples per worker at each step of an epoch (the same on every rank, whatever the shuffle).

    Raises if an epoch would have no step (fewer samples than workers with ``drop_last``, or fewer than one
    global batch with ``full_batches_only``).

    Returns
    -------
    numpy.ndarray of int, shape (steps per epoch,)
    """
    n, world_size = check_positive_int("n", n), check_positive_int("world_size", world_size)
    per_worker_batch = check_positive_int("per_worker_batch", per_worker_batch)
    check_bool("drop_last", drop_last)
    check_bool("full_batches_only", full_batches_only)
    empty = (full_batches_only and n < world_size * per_worker_batch) or (drop_last and n < world_size)
    if empty:
        raise ValueError(f"n = {n} samples give no step to world_size = {world_size} workers with per_worker_batch "
                         f"= {per_worker_batch} (drop_last={drop_last}, full_batches_only={full_batches_only}): "
                         f"use fewer workers, a smaller batch, or keep the incomplete batch")
    unshuffled = epoch_batch_indices(n, world_size * per_worker_batch, shuffle=False, drop_last=full_batches_only)
    return np.array([len(batch) for batch in shard_epoch(unshuffled, world_size, 0, drop_last=drop_last)])
