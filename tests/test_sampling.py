"""Lesson 01 index generation: every sample once per epoch, reproducible shuffles, sampling with replacement."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import batchkit as bk

sizes = st.tuples(st.integers(1, 300), st.integers(1, 320))


@given(sizes, st.integers(0, 2**32 - 1))
def test_without_replacement_every_index_exactly_once(n_b, seed):
    n, b = n_b
    batches = bk.epoch_batch_indices(n, b, seed=seed)
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    assert [len(x) for x in batches] == list(bk.batch_sizes(n, b))


@given(sizes, st.integers(0, 2**32 - 1))
def test_drop_last_uses_only_full_batches_of_distinct_samples(n_b, seed):
    n, b = n_b
    if b > n:
        return
    batches = bk.epoch_batch_indices(n, b, drop_last=True, seed=seed)
    used = np.concatenate(batches)
    assert len(np.unique(used)) == len(used) == (n // b) * b
    assert all(len(x) == b for x in batches)


@given(sizes, st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_same_seed_gives_same_batches(n_b, seed, replacement, drop_last):
    n, b = n_b
    if drop_last and b > n:
        return
    kwargs = dict(replacement=replacement, drop_last=drop_last)
    first = bk.epoch_batch_indices(n, b, seed=seed, **kwargs)
    second = bk.epoch_batch_indices(n, b, seed=seed, **kwargs)
    assert all(np.array_equal(x, y) for x, y in zip(first, second, strict=True))


@settings(max_examples=50)
@given(st.integers(8, 500), st.integers(1, 64), st.integers(0, 2**32 - 1))
def test_shuffled_epochs_differ(n, b, seed):
    # With n >= 8 two independent permutations coincide with probability 1/n! < 3e-5: a match means no reshuffle.
    epochs = list(bk.iter_epochs(n, b, 2, seed=seed))
    assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))


def test_shuffle_false_is_in_order():
    batches = bk.epoch_batch_indices(7, 3, shuffle=False)
    assert [x.tolist() for x in batches] == [[0, 1, 2], [3, 4, 5], [6]]


def test_a_generator_is_drawn_from_not_copied():
    rng = np.random.default_rng(5)
    first = bk.epoch_batch_indices(50, 10, seed=rng)
    second = bk.epoch_batch_indices(50, 10, seed=rng)
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))


def test_with_replacement_keeps_the_step_count_and_repeats_samples():
    batches = bk.epoch_batch_indices(1000, 32, replacement=True, seed=0)
    assert [len(x) for x in batches] == list(bk.batch_sizes(1000, 32))
    drawn = np.concatenate(batches)
    assert drawn.min() >= 0 and drawn.max() < 1000
    assert len(np.unique(drawn)) < 1000  # P(no repeat in 1000 draws) is astronomically small


def test_with_replacement_sees_about_63_percent():
    n = 20_000
    seen = np.mean([bk.batch_assignment(n, 100, 1, replacement=True, seed=s).distinct_fraction()[0] for s in range(5)])
    assert seen == pytest.approx(bk.expected_distinct_fraction(n), abs=0.005)
    assert bk.expected_distinct_fraction(n) == pytest.approx(1 - np.exp(-1), abs=1e-4)


def test_expected_distinct_fraction_small_cases():
    assert bk.expected_distinct_fraction(1) == 1.0
    assert bk.expected_distinct_fraction(2) == pytest.approx(0.75)
    assert bk.expected_distinct_fraction(10, draws=0) == 0.0


def test_replacement_needs_shuffle():
    with pytest.raises(ValueError, match="replacement=True draws random batches, so it needs shuffle=True"):
        bk.epoch_batch_indices(10, 3, shuffle=False, replacement=True)


@pytest.mark.parametrize("bad_seed", [-1, 1.5, "0", True])
def test_bad_seed(bad_seed):
    with pytest.raises(TypeError, match="seed must be a non-negative integer, a numpy.random.Generator or None"):
        bk.epoch_batch_indices(10, 3, seed=bad_seed)


def test_iter_epochs_validates_before_the_first_epoch():
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        bk.iter_epochs(10, 3, -2)  # raised at the call, not at the first next()
    with pytest.raises(ValueError, match="zero batches"):
        bk.iter_epochs(10, 30, 1, drop_last=True)


def test_batch_assignment_records_batches_and_unused():
    a = bk.batch_assignment(10, 4, 2, shuffle=False, drop_last=True)
    assert a.batch_of.shape == (2, 10)
    np.testing.assert_array_equal(a.batch_of[0], [0, 0, 0, 0, 1, 1, 1, 1, -1, -1])
    np.testing.assert_array_equal(a.times_drawn[1], [1] * 8 + [0, 0])
    assert a.batches_per_epoch == 2


def test_batch_assignment_with_replacement_marks_first_batch():
    a = bk.batch_assignment(30, 4, 3, replacement=True, seed=3)
    for epoch, batches in enumerate(bk.iter_epochs(30, 4, 3, replacement=True, seed=3)):
        for sample in range(30):
            holding = [k for k, batch in enumerate(batches) if sample in batch]
            assert a.batch_of[epoch, sample] == (holding[0] if holding else -1)
            assert a.times_drawn[epoch, sample] == sum(int(np.sum(batch == sample)) for batch in batches)


@given(n=st.integers(1, 5000), batch_size=st.integers(1, 50), steps=st.integers(0, 200))
def test_expected_fraction_seen_with_replacement_counts_every_draw(n, batch_size, steps):
    assert bk.sampling.expected_fraction_seen(n, batch_size, steps, True) == pytest.approx(
        bk.expected_distinct_fraction(n, draws=batch_size * steps), rel=1e-12)


@pytest.mark.parametrize(("n", "batch_size", "steps", "replace"), [(40, 8, 6, False), (40, 8, 6, True), (9, 9, 1, False)])
def test_expected_fraction_seen_matches_a_simulation(n, batch_size, steps, replace):
    rng = np.random.default_rng(3)
    runs = 4000
    seen = np.zeros((runs, n), dtype=bool)
    for _ in range(steps):  # the loop is the experiment: independent batches, one per step
        picks = np.stack([rng.choice(n, batch_size, replace=replace) for _ in range(runs)])
        np.put_along_axis(seen, picks, True, axis=1)
    assert seen.mean() == pytest.approx(bk.sampling.expected_fraction_seen(n, batch_size, steps, replace), abs=0.01)


def test_expected_fraction_seen_rejects_a_batch_larger_than_n_without_replacement():
    with pytest.raises(ValueError, match="batch_size must be at most n"):
        bk.sampling.expected_fraction_seen(5, 6, 1, False)
    assert bk.sampling.expected_fraction_seen(5, 6, 1, True) > 0
