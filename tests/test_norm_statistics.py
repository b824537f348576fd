"""Lesson 07's measurements: how much a sample's output depends on its batch, and how noisy a batch mean is.

batch_dependence: exactly 0 for the per-sample norms and eval-mode batch norm, the value an explicit formula gives
for train-mode batch norm. batch_mean_spread: against the sampling theory of a mean of b samples drawn without
replacement from n, with tolerances derived from the number of draws (see ``draw_tolerance``).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit.norm_layers import BatchNorm2d, GroupNorm, LayerNorm
from batchkit.norm_statistics import batch_dependence, batch_mean_spread
from batchkit.normalization import EPS

images = st.tuples(st.integers(2, 5), st.sampled_from([2, 4, 6]), st.integers(1, 3), st.integers(1, 3)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.floats(-10, 10)))


def per_sample_layers(x):
    """Every layer whose output for a sample is computed from that sample alone."""
    c = x.shape[1]
    trained = BatchNorm2d(c)
    trained(x + 1.0)  # running statistics away from (0, 1), so eval mode does real arithmetic
    return {"layer": LayerNorm(x.shape[1:]), "group": GroupNorm(2, c), "instance": GroupNorm(c, c),
            "batch, eval mode": trained.eval()}


@settings(max_examples=40, deadline=None)
@given(images, st.data())
def test_only_train_mode_batch_norm_depends_on_the_batch(x, data):
    sample, other = data.draw(st.lists(st.integers(0, len(x) - 1), min_size=2, max_size=2, unique=True))
    for name, layer in per_sample_layers(x).items():
        assert batch_dependence(layer, x, sample=sample, other=other) == 0.0, name
    # Train mode: the change moves every channel's mean by change / N, so sample's output moves.
    assert batch_dependence(BatchNorm2d(x.shape[1]), x, sample=sample, other=other) > 0.0


@settings(max_examples=30, deadline=None)
@given(images, st.floats(-5, 5).filter(lambda v: abs(v) > 0.1))
def test_train_mode_batch_norm_moves_by_what_the_formula_says(x, change):
    def normalized_first_sample(batch):
        mean, var = batch.mean(axis=(0, 2, 3), keepdims=True), batch.var(axis=(0, 2, 3), keepdims=True)
        return ((batch - mean) / np.sqrt(var + EPS))[0]

    changed = x.copy()
    changed[1] += change
    expected = np.max(np.abs(normalized_first_sample(x) - normalized_first_sample(changed)))
    measured = batch_dependence(BatchNorm2d(x.shape[1]), x, change=change)
    assert measured == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_a_centring_layer_moves_by_change_over_n():
    """``x - mean over the batch``: shifting one of N samples by c moves the mean, and every other output, by c/N."""
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2))
    def centre(batch):
        return batch - batch.mean(axis=0)
    assert batch_dependence(centre, x, change=3.0) == pytest.approx(0.75, rel=1e-12)
    assert batch_dependence(centre, x, sample=3, other=0, change=-2.0) == pytest.approx(0.5, rel=1e-12)
    assert batch_dependence(lambda batch: batch, x) == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_x_is_not_changed(dtype):
    x = (10 * np.random.default_rng(1).standard_normal((3, 2, 2, 2))).astype(dtype)
    saved = x.copy()
    batch_dependence(BatchNorm2d(2), x, sample=2, other=0)
    np.testing.assert_array_equal(x, saved)
    assert x.dtype == dtype


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(sample=1, other=1), ValueError, "sample=1 and other=1 must be distinct"),
    (dict(other=3), ValueError, "indices into a batch of 3"),
    (dict(sample=5), ValueError, "indices into a batch of 3"),
    (dict(sample=-1), ValueError, "sample must be a non-negative integer"),
    (dict(other=1.0), TypeError, "other must be a non-negative integer"),
    (dict(other=True), TypeError, "other must be a non-negative integer"),
    (dict(change=float("nan")), ValueError, "change must be"),
    (dict(x=np.ones(3)), ValueError, "x must be"),
    (dict(layer="GroupNorm"), TypeError, "layer must be callable"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    kwargs = dict(kwargs)
    layer, x = kwargs.pop("layer", GroupNorm(1, 2)), kwargs.pop("x", np.ones((3, 2, 2, 2)))
    with pytest.raises(error, match=match):
        batch_dependence(layer, x, **kwargs)


# --- batch_mean_spread ---------------------------------------------------------------------------------------------

DRAWS = 4000


def draw_tolerance(draws: int = DRAWS) -> float:
    """Relative tolerance for a standard deviation estimated from ``draws`` roughly normal batch means.

    The estimate's relative standard error is about 1/√(2·draws) (1.1 % for 4000 draws); five of them leave a
    failure for a correct function as unlikely as a 5σ event per comparison, while a missing finite-population
    factor (29 % at b = n/2) or a wrong count of values (√positions) is far outside.
    """
    return 5 / np.sqrt(2 * draws)


def correlated_values(rng, n, units, positions, rho):
    """Standard normal values whose positions within one sample have correlation ``rho``.

    Shape (n, units, positions). A sample's mean over its positions then has variance rho + (1 - rho)/positions.
    """
    shared = rng.standard_normal((n, units, 1))
    own = rng.standard_normal((n, units, positions))
    return np.sqrt(rho) * shared + np.sqrt(1 - rho) * own


def without_replacement_spread(values, b):
    """The exact spread over all b-subsets of these n samples: √(var of the per-sample means · (n-b)/(b(n-1))) / σ.

    Exact for the given values, so the only difference from the measured spread is the draws' randomness."""
    n = len(values)
    per_sample = values.mean(axis=2)
    return np.sqrt(per_sample.var(axis=0) * (n - b) / (b * (n - 1))) / values.std(axis=(0, 2))


N, UNITS, POSITIONS, SIZES = 1000, 6, 16, [2, 10, 100, 500]


@pytest.mark.parametrize("rho", [0.0, 0.3, 1.0])
def test_spread_matches_sampling_without_replacement_for_these_values(rho):
    values = correlated_values(np.random.default_rng(7), N, UNITS, POSITIONS, rho)
    spread = batch_mean_spread(values, SIZES, draws=DRAWS, seed=3)
    expected = np.stack([without_replacement_spread(values, b) for b in SIZES], axis=1)
    np.testing.assert_allclose(spread, expected, rtol=draw_tolerance())


@pytest.mark.parametrize("rho", [0.0, 0.3, 1.0])
def test_spread_matches_the_theory_for_independent_and_correlated_positions(rho):
    """1/√(b·positions) for independent values (rho = 0), 1/√b for repeated ones (rho = 1), with the
    finite-population factor √((n-b)/(n-1)). The values are themselves a random sample of n, which adds a
    relative error of about 1/√(2n) (2.2 %) to the spread of the per-sample means: the tolerance adds five of
    those to the draws' five. (A missing finite-population factor is caught by the exact test above.)"""
    values = correlated_values(np.random.default_rng(11), N, UNITS, POSITIONS, rho)
    spread = batch_mean_spread(values, SIZES, draws=DRAWS, seed=5)
    sizes = np.array(SIZES)
    theory = np.sqrt((rho + (1 - rho) / POSITIONS) / sizes * (N - sizes) / (N - 1))
    np.testing.assert_allclose(spread, np.broadcast_to(theory, spread.shape),
                               rtol=draw_tolerance() + 5 / np.sqrt(2 * N))


def test_repeating_every_value_over_positions_changes_nothing():
    """Repeated positions carry no more information than one: the same batches give the same spread."""
    one = np.random.default_rng(2).standard_normal((200, 3, 1))
    repeated = np.repeat(one, 9, axis=2)
    np.testing.assert_allclose(batch_mean_spread(repeated, [1, 5, 50], seed=4),
                               batch_mean_spread(one, [1, 5, 50], seed=4), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 100), st.floats(-1e3, 1e3))
def test_spread_ignores_the_scale_and_offset_of_the_values(seed, scale, offset):
    values = np.random.default_rng(seed).standard_normal((30, 2, 4))
    sizes = [1, 3, 29]
    np.testing.assert_allclose(batch_mean_spread(scale * values + offset, sizes, draws=200, seed=seed),
                               batch_mean_spread(values, sizes, draws=200, seed=seed), rtol=1e-8)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 40), st.integers(1, 5), st.integers(1, 5), st.lists(st.integers(1, 40), min_size=1, max_size=4),
       st.integers(0, 2**32 - 1))
def test_shape_and_the_whole_set_as_a_batch(n, units, positions, sizes, seed):
    sizes = [min(b, n) for b in sizes]
    values = np.random.default_rng(seed).standard_normal((n, units, positions))
    spread = batch_mean_spread(values, sizes, draws=50, seed=seed)
    assert spread.shape == (units, len(sizes))
    assert np.all(np.isfinite(spread)) and np.all(spread >= 0)
    # A batch of all n samples has the same mean every time: no spread (up to the order of summation).
    np.testing.assert_allclose(batch_mean_spread(values, [n], draws=20, seed=seed), 0.0, atol=1e-12)


def test_same_seed_same_result_and_a_generator_is_accepted():
    values = np.random.default_rng(0).standard_normal((50, 3, 4))
    first = batch_mean_spread(values, [2, 8], draws=300, seed=9)
    np.testing.assert_array_equal(batch_mean_spread(values, [2, 8], draws=300, seed=9), first)
    np.testing.assert_array_equal(
        batch_mean_spread(values, [2, 8], draws=300, seed=np.random.default_rng(9)), first)
    assert not np.array_equal(batch_mean_spread(values, [2, 8], draws=300, seed=10), first)


def test_values_are_not_changed():
    values = np.random.default_rng(0).standard_normal((20, 2, 3))
    saved = values.copy()
    batch_mean_spread(values, [4], draws=10)
    np.testing.assert_array_equal(values, saved)


VALUES = np.random.default_rng(0).standard_normal((10, 2, 3))


@pytest.mark.parametrize("values, sizes, draws, error, match", [
    (VALUES, [11], 10, ValueError, "batch_sizes must not exceed the 10 samples"),
    (VALUES, [0], 10, ValueError, "batch_sizes must be a positive integer"),
    (VALUES, [2.0], 10, TypeError, "batch_sizes must be a positive integer"),
    (VALUES, [], 10, ValueError, "batch_sizes must hold one or more"),
    (VALUES[:, :, 0], [2], 10, ValueError, "values must be 3-D"),
    (VALUES, [2], 0, ValueError, "draws must be a positive integer"),
    (np.where(np.arange(3) == 1, np.nan, VALUES), [2], 10, ValueError, "values holds 20 non-finite"),
    (np.concatenate([VALUES, np.ones((10, 1, 3))], axis=1), [2], 10, ValueError,
     r"values must vary within every unit: unit\(s\) \[2\] are constant"),
])
def test_bad_arguments_are_named_before_any_work(values, sizes, draws, error, match):
    with pytest.raises(error, match=match):
        batch_mean_spread(values, sizes, draws=draws)
