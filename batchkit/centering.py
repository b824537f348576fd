"""Centering a batch at zero (중심화): subtract each feature's mean, so that every feature has mean 0.

* :func:`batch_center` centers a batch with its own mean (the posts' "batch minus").
* :class:`Centerer` learns the mean on training data and subtracts *that* mean from any later data, as
  scikit-learn's ``StandardScaler(with_std=False)`` does: test data must be centered with training statistics.
"""

from __future__ import annotations

import numpy as np

from ._validation import NotFittedError, check_array
from .statistics import batch_mean_var


def batch_center(X: np.ndarray, *, layout: str = "rows") -> np.ndarray:
    """Subtract the batch mean of every feature: the result has batch mean 0 per feature.

    Parameters
    ----------
    X : numpy.ndarray, shape (batch, features) for ``layout="rows"``, (features, batch) for ``"columns"``

    Returns
    -------
    numpy.ndarray, the shape of ``X``
    """
    X = np.asarray(X)
    mean, _ = batch_mean_var(X, layout=layout)  # one mean per feature, accurate even in float32 (lesson 03, §3)
    if layout == "rows":
        return X - mean  # broadcasting subtracts the mean from every row: a batch add of -mean (lesson 02)
    return X - mean[:, None]  # "columns": features are rows, so the means form a column


class Centerer:
    """Learn per-feature means with :meth:`fit`, subtract them with :meth:`transform`.

    Attributes (set by :meth:`fit` only; the trailing underscore marks learned state, as in scikit-learn)
    ----------
    mean_ : numpy.ndarray, shape (features,)
        The training data's mean.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.

    Examples
    --------
    >>> centerer = Centerer().fit(X_train)
    >>> X_test_centered = centerer.transform(X_test)   # uses the *training* mean
    """

    def fit(self, X: np.ndarray) -> Centerer:
        """Learn the mean of ``X`` (shape (samples, features)). Returns ``self``."""
        X = check_array("X", X, ndim=(2,))
        if X.shape[0] == 0:
            raise ValueError(f"X has shape {X.shape}: fit needs at least one sample")
        self.mean_, _ = batch_mean_var(X)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``X - mean_``: shape (samples, features) in, same shape out."""
        return self._checked(X) - self.mean_

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X_centered: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`: ``X_centered + mean_``."""
        return self._checked(X_centered) + self.mean_

    def _checked(self, X: np.ndarray) -> np.ndarray:
        if not hasattr(self, "mean_"):
            raise NotFittedError("this Centerer is not fitted yet: call fit(X_train) before transform")
        X = check_array("X", X, ndim=(2,))
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but this Centerer was fitted on {self.n_features_in_} feature(s)"
            )
        return X

    def __repr__(self) -> str:
        if hasattr(self, "mean_"):
            state = f"fitted on {self.n_features_in_} feature{'s' if self.n_features_in_ != 1 else ''}"
        else:
            state = "not fitted"
        return f"Centerer({state})"
