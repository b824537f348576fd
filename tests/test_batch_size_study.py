"""Lesson 06's study helpers: the validation split, the memory measurement (input included), the training runs."""

import numpy as np
import pytest

from batchkit.batch_size_study import digits_splits, memory_by_batch_size, mlp_step, random_batch
from batchkit.datasets import digits_split
from batchkit.timing import peak_memory


def test_validation_set_is_cut_from_the_training_part_and_the_test_set_is_untouched():
    X_train, X_val, X_test, y_train, y_val, y_test = digits_splits()
    X_rest, X_test_original, y_rest, y_test_original = digits_split()
    assert X_train.shape == (1078, 64) and X_val.shape == (270, 64) and X_test.shape == (449, 64)
    assert y_train.shape == (1078,) and y_val.shape == (270,) and y_test.shape == (449,)
    np.testing.assert_array_equal(X_test, X_test_original)
    np.testing.assert_array_equal(y_test, y_test_original)
    # training + validation is exactly the original training part, each sample once
    joined = np.concatenate([np.column_stack([X_train, y_train]), np.column_stack([X_val, y_val])])
    original = np.column_stack([X_rest, y_rest])
    assert sorted(map(tuple, joined)) == sorted(map(tuple, original))


def test_validation_split_is_seeded_and_read_only():
    first, again, other = digits_splits(seed=0), digits_splits(seed=0), digits_splits(seed=1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])
    assert not first[0].flags.writeable
    assert len(digits_splits(validation_fraction=0.5)[1]) == 674


@pytest.mark.parametrize("fraction, error", [(0, ValueError), (1, ValueError), (-0.1, ValueError), (1.5, ValueError),
                                             (float("nan"), ValueError), (True, TypeError), ("0.2", TypeError)])
def test_validation_split_rejects_bad_fractions(fraction, error):
    with pytest.raises(error, match="validation_fraction"):
        digits_splits(validation_fraction=fraction)


def test_memory_measurement_includes_the_input_batch():
    sizes = (64, 128)
    peaks, parameter_bytes = memory_by_batch_size(sizes, hidden=(16,))
    assert parameter_bytes == 8 * (784 * 16 + 16 + 16 * 10 + 10)
    step, _ = mlp_step((16,))
    without_input = [peak_memory(step, random_batch(size)) for size in sizes]
    # per extra sample, the measurement holds one more input row (784 float64) than the step alone
    extra = (peaks[1] - peaks[0]) - (without_input[1] - without_input[0])
    input_bytes = (sizes[1] - sizes[0]) * 784 * 8
    assert abs(extra - input_bytes) <= 0.02 * input_bytes, (extra, input_bytes)


def test_memory_grows_linearly_by_at_least_input_and_kept_activations():
    sizes = (16, 32, 64, 128)
    peaks, _ = memory_by_batch_size(sizes, hidden=(256, 256))
    per_sample = np.diff(peaks) / np.diff(sizes)
    assert np.ptp(per_sample) < 0.01 * per_sample.min(), per_sample  # a straight line
    # the input (784) and the hidden layers' inputs and outputs kept for the backward pass (4 × 256), float64
    assert per_sample.min() >= 8 * (784 + 4 * 256)


@pytest.mark.parametrize("sizes", [(), (0,), (4, -1)])
def test_memory_rejects_bad_batch_sizes(sizes):
    with pytest.raises(ValueError):
        memory_by_batch_size(sizes)


def test_memory_measurement_is_shared_read_only_and_accepts_lists():
    peaks, parameter_bytes = memory_by_batch_size([4, 8])
    again, _ = memory_by_batch_size((4, 8))
    assert again is peaks  # one measurement, cached
    assert not peaks.flags.writeable
    with pytest.raises(ValueError):
        peaks[0] = 0
    with pytest.raises(ValueError, match=r"batch_sizes\[i\]"):
        memory_by_batch_size([4, 0])
