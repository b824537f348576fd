"""BatchLoader: (X, y) mini-batches in the row and the column layout."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import batchkit as bk


def make_data(n=23, features=3):
    X = np.arange(n * features, dtype=np.float64).reshape(n, features)
    y = np.arange(n) * 10
    return X, y


def test_batches_pair_rows_with_their_targets():
    X, y = make_data()
    loader = bk.BatchLoader(X, y, batch_size=5, seed=0)
    seen = []
    for X_batch, y_batch in loader:
        rows = (X_batch[:, 0] / 3).astype(int)
        np.testing.assert_array_equal(y_batch, rows * 10)
        seen.extend(rows)
    assert sorted(seen) == list(range(23))
    assert len(loader) == 5


@given(st.integers(1, 60), st.integers(1, 70), st.booleans(), st.integers(0, 1000))
def test_column_layout_gives_the_transposed_batches(n, b, drop_last, seed):
    if drop_last and b > n:
        return
    X, y = make_data(n)
    rows = bk.BatchLoader(X, y, batch_size=b, drop_last=drop_last, seed=seed)
    columns = bk.BatchLoader(X.T, y, batch_size=b, drop_last=drop_last, seed=seed, layout="columns")
    for (Xr, yr), (Xc, yc) in zip(rows, columns, strict=True):
        assert Xc.shape == (3, len(yr))
        np.testing.assert_array_equal(Xr, Xc.T)
        np.testing.assert_array_equal(yr, yc)


def test_each_pass_is_a_fresh_epoch_but_the_run_is_reproducible():
    X, y = make_data(40)
    def run(seed):
        loader = bk.BatchLoader(X, y, batch_size=8, seed=seed)
        return [np.concatenate([yb for _, yb in loader]) for _ in range(3)]
    first, again = run(1), run(1)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], first[1])


def test_without_targets_yields_none():
    X, _ = make_data(7)
    batches = list(bk.BatchLoader(X, batch_size=3, shuffle=False))
    assert [yb for _, yb in batches] == [None, None, None]
    np.testing.assert_array_equal(batches[-1][0], X[6:])


def test_batches_are_independent_arrays_not_views_of_a_reused_buffer():
    X, y = make_data(9)
    batches = [xb for xb, _ in bk.BatchLoader(X, y, batch_size=3, seed=0)]
    assert len({id(b) for b in batches}) == 3
    assert not any(np.shares_memory(b, X) for b in batches)
    assert len(np.unique(np.concatenate(batches)[:, 0])) == 9


def test_one_dimensional_X_is_one_feature_per_sample():
    batches = list(bk.BatchLoader(np.arange(5.0), np.arange(5), batch_size=2, shuffle=False))
    np.testing.assert_array_equal(batches[0][0], [0.0, 1.0])


def test_sample_count_mismatch_names_both_counts():
    X, y = make_data(10)
    with pytest.raises(ValueError, match=r"X has 10 rows but y has 9 entries"):
        bk.BatchLoader(X, y[:9])
    with pytest.raises(ValueError, match=r"X has 3 columns \(layout='columns'\) but y has 10 entries"):
        bk.BatchLoader(X[:3].T, y, layout="columns")


def test_empty_data_rejected():
    with pytest.raises(ValueError, match=r"X is empty: it has shape \(0, 3\)"):
        bk.BatchLoader(np.empty((0, 3)))


def test_bad_layout_and_shape():
    X, y = make_data()
    with pytest.raises(ValueError, match="layout must be one of 'rows', 'columns', got 'cols'"):
        bk.BatchLoader(X, y, layout="cols")
    with pytest.raises(ValueError, match=r"X must be 1-D or 2-D, got an array of shape \(2, 3, 4\)"):
        bk.BatchLoader(np.zeros((2, 3, 4)))
    with pytest.raises(TypeError, match="batch_size must be a positive integer"):
        bk.BatchLoader(X, y, batch_size=4.0)
    with pytest.raises(ValueError, match="zero batches"):
        bk.BatchLoader(X, y, batch_size=100, drop_last=True)


def test_repr_states_the_settings():
    X, y = make_data()
    assert repr(bk.BatchLoader(X, y, batch_size=5, seed=0)).startswith("BatchLoader(n=23, batch_size=5, steps_per_epoch=5")
