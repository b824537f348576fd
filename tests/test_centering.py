"""Centering: batch_center and the scikit-learn-style Centerer."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from batchkit._validation import NotFittedError
from batchkit.centering import Centerer, batch_center

data = arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 5)), elements=st.floats(-1e4, 1e4))


@given(data)
def test_centered_batch_has_mean_zero(X):
    centered = batch_center(X)
    np.testing.assert_allclose(centered.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(batch_center(X.T, layout="columns"), centered.T, atol=1e-9)


@given(data)
def test_centerer_round_trip_and_training_mean(X):
    centerer = Centerer().fit(X)
    np.testing.assert_allclose(centerer.inverse_transform(centerer.transform(X)), X, atol=1e-9)
    other = X[::-1] + 5.0
    np.testing.assert_allclose(centerer.transform(other), other - X.mean(axis=0), atol=1e-7)


def test_state_is_set_only_by_fit():
    centerer = Centerer()
    assert repr(centerer) == "Centerer(not fitted)"
    with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
        centerer.transform(np.ones((2, 2)))
    centerer.fit(np.ones((3, 2)))
    assert repr(centerer) == "Centerer(fitted on 2 features)"
    assert repr(Centerer().fit(np.ones((3, 1)))) == "Centerer(fitted on 1 feature)"
    with pytest.raises(ValueError, match="X has 3 features, but this Centerer was fitted on 2 feature\\(s\\)"):
        centerer.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="fit needs at least one sample"):
        Centerer().fit(np.ones((0, 2)))


def test_matches_scikit_learn_standard_scaler_without_std():
    preprocessing = pytest.importorskip("sklearn.preprocessing", reason="scikit-learn not installed")
    rng = np.random.default_rng(0)
    X_train, X_test = rng.normal(100, 3, (50, 4)), rng.normal(100, 3, (20, 4))
    scaler = preprocessing.StandardScaler(with_std=False).fit(X_train)
    centerer = Centerer().fit(X_train)
    np.testing.assert_allclose(centerer.mean_, scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(centerer.transform(X_test), scaler.transform(X_test), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(centerer.inverse_transform(X_test), scaler.inverse_transform(X_test), rtol=1e-12)
