"""batchkit.distributed.sharding: lesson 01's global batches split across ranks give DistributedSampler's samples."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchkit.distributed.sharding import local_batch_sizes, local_epochs, pad_or_trim, shard_epoch
from batchkit.sampling import epoch_batch_indices

TORCH_REASON = ('torch is not installed: pip install "batchkit-lessons[distributed]" (CPU build: pip install torch '
                "--index-url https://download.pytorch.org/whl/cpu) to compare with DistributedSampler")


def sampler_batches(order, world_size, rank, per_worker_batch, drop_last, full_batches_only=False):
    """What DistributedSampler + DataLoader(batch_size=b) give rank ``rank`` for the epoch order ``order``."""
    pytest.importorskip("torch", reason=TORCH_REASON)
    from torch.utils.data import DataLoader, DistributedSampler

    class Fixed(DistributedSampler):  # DistributedSampler's padding, trimming and striding, on a given order
        def __init__(self):
            super().__init__(range(len(order)), num_replicas=world_size, rank=rank, shuffle=False,
                             drop_last=drop_last)

        def __iter__(self):
            return (int(order[i]) for i in super().__iter__())

    loader = DataLoader(range(len(order)), batch_size=per_worker_batch, sampler=Fixed(), drop_last=full_batches_only)
    return [batch.numpy() for batch in loader]


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 40), world_size=st.integers(1, 4), per_worker_batch=st.integers(1, 5),
       drop_last=st.booleans())
def test_unshuffled_shards_are_distributed_samplers(n, world_size, per_worker_batch, drop_last):
    if drop_last and n < world_size:
        with pytest.raises(ValueError, match="no step"):
            local_batch_sizes(n, per_worker_batch, world_size, drop_last=True)
        return
    for rank in range(world_size):
        ours = next(local_epochs(n, per_worker_batch, 1, world_size=world_size, rank=rank, shuffle=False,
                                 drop_last=drop_last))
        theirs = sampler_batches(np.arange(n), world_size, rank, per_worker_batch, drop_last)
        assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), world_size=st.integers(1, 4), per_worker_batch=st.integers(1, 5),
       drop_last=st.booleans(), seed=st.integers(0, 2**16))
def test_a_shuffled_order_is_split_as_distributed_sampler_splits_it(n, world_size, per_worker_batch, drop_last, seed):
    """Shuffled: DistributedSampler's own permutation (torch.randperm seeded with seed + epoch), cut into global
    batches of k·b and split, gives exactly its samples and batches."""
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    if drop_last and n < world_size:
        return
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    global_batches = [order[i:i + world_size * per_worker_batch] for i in range(0, n, world_size * per_worker_batch)]
    for rank in range(world_size):
        ours = shard_epoch(global_batches, world_size, rank, drop_last=drop_last)
        theirs = sampler_batches(order, world_size, rank, per_worker_batch, drop_last)
        assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 33])
def test_full_batches_only_is_sampler_and_loader_dropping(n):
    """full_batches_only: DistributedSampler(drop_last=True) + DataLoader(drop_last=True)."""
    world_size, per_worker_batch = 2, 4
    if n < world_size * per_worker_batch:
        with pytest.raises(ValueError, match="no step"):
            local_batch_sizes(n, per_worker_batch, world_size, full_batches_only=True)
        return
    for rank in range(world_size):
        ours = next(local_epochs(n, per_worker_batch, 1, world_size=world_size, rank=rank, shuffle=False,
                                 full_batches_only=True))
        theirs = sampler_batches(np.arange(n), world_size, rank, per_worker_batch, True, full_batches_only=True)
        assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), world_size=st.integers(1, 5), per_worker_batch=st.integers(1, 6),
       seed=st.integers(0, 1000))
def test_the_ranks_together_cover_each_global_batch_of_lesson_01(n, world_size, per_worker_batch, seed):
    """Without padding (n a multiple of k) the ranks' batches, interleaved, are lesson 01's global batches."""
    n = n * world_size
    ranks = [list(local_epochs(n, per_worker_batch, 2, world_size=world_size, rank=r, seed=seed))
             for r in range(world_size)]
    rng = np.random.default_rng(seed)
    expected = [epoch_batch_indices(n, world_size * per_worker_batch, seed=rng) for _ in range(2)]
    for epoch in range(2):
        for step, global_batch in enumerate(expected[epoch]):
            parts = [ranks[r][epoch][step] for r in range(world_size)]
            assert np.array_equal(np.stack(parts, axis=1).ravel(), global_batch)  # strided: rank r takes [r::k]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 60), world_size=st.integers(1, 5), per_worker_batch=st.integers(1, 6),
       drop_last=st.booleans(), seed=st.integers(0, 1000))
def test_every_rank_steps_together_and_padding_repeats_only_the_first_samples(n, world_size, per_worker_batch,
                                                                            drop_last, seed):
    if drop_last and n < world_size:
        return
    sizes = local_batch_sizes(n, per_worker_batch, world_size, drop_last=drop_last)
    epochs = [next(local_epochs(n, per_worker_batch, 1, world_size=world_size, rank=r, seed=seed,
                                drop_last=drop_last)) for r in range(world_size)]
    for batches in epochs:
        assert [len(b) for b in batches] == sizes.tolist()
    used = np.concatenate([b for batches in epochs for b in batches])
    counts = np.bincount(used, minlength=n)
    if drop_last:
        assert len(used) == n // world_size * world_size and counts.max() <= 1
    else:
        assert len(used) == -(-n // world_size) * world_size and counts.min() >= 1


def test_pad_or_trim_follows_distributed_sampler_rules():
    order = np.array([5, 3, 9, 1, 7])
    assert pad_or_trim(order, 3).tolist() == [5, 3, 9, 1, 7, 5]
    assert pad_or_trim(order, 3, drop_last=True).tolist() == [5, 3, 9]
    assert pad_or_trim(order[:2], 5).tolist() == [5, 3, 5, 3, 5]  # fewer samples than ranks: wraps around


def test_shuffling_needs_one_shared_int_seed():
    for seed in (None, np.random.default_rng(0), 1.5):
        with pytest.raises(TypeError, match="same seed"):
            local_epochs(10, 2, 1, world_size=2, rank=0, shuffle=True, seed=seed)
    with pytest.raises(ValueError, match="non-negative"):
        local_epochs(10, 2, 1, world_size=2, rank=0, seed=-1)
    next(local_epochs(10, 2, 1, world_size=2, rank=0, shuffle=False, seed=None))  # no shuffle: no seed needed


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(world_size=0, rank=0), ValueError, "world_size"),
    (dict(world_size=2, rank=2), ValueError, "rank must be from 0 to"),
    (dict(world_size=2, rank=-1), ValueError, "rank"),
    (dict(world_size=2.0, rank=0), TypeError, "world_size"),
])
def test_bad_ranks_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        local_epochs(10, 2, 1, seed=0, **kwargs)


@pytest.mark.parametrize("per_worker_batch, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError)])
def test_bad_per_worker_batches_are_refused(per_worker_batch, error):
    with pytest.raises(error, match="per_worker_batch"):
        local_epochs(10, per_worker_batch, 1, world_size=2, rank=0, seed=0)


def test_uneven_global_batches_are_refused():
    with pytest.raises(ValueError, match="multiple of world_size"):
        shard_epoch([np.arange(3), np.arange(3, 5)], 2, 0)
