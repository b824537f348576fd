"""Batch sum, batch mean and batch add: the two reductions and the one broadcast that every layer uses.

With samples as rows (``layout="rows"``, shape (batch, features)) the **batch axis** is axis 0; with samples as
columns (``layout="columns"``, shape (features, batch), the "AI by Hand" notation) it is axis 1.

* **batch sum** (배치 합): add up over the batch axis, one number per feature. It is the bias gradient of a linear
  layer, and the numerator of the batch mean.
* **batch add**: add one per-feature vector to every sample, by broadcasting (브로드캐스팅). It is how the bias enters
  ``Z = X Wᵀ + b``.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array
from .loader import sample_axis


def batch_sum(Z: np.ndarray, *, layout: str = "rows", keepdims: bool = False) -> np.ndarray:
    """Sum over the batch axis: one value per feature.

    Parameters
    ----------
    Z : numpy.ndarray, shape (batch, features) or (batch,) for ``layout="rows"``, (features, batch) for ``"columns"``
        A 1-D array holds one value per sample (a per-sample loss, say); its batch sum is a scalar.
    layout : {"rows", "columns"}
    keepdims : bool
        Keep the batch axis with length 1: shape (1, features) or (features, 1), which broadcasts back against
        ``Z`` (for example ``Z - batch_mean(Z, keepdims=True)``).

    Returns
    -------
    numpy.ndarray, shape (features,), or (1, features) / (features, 1) with ``keepdims``
    """
    axis = sample_axis(layout)
    Z = check_array("Z", Z, ndim=(1, 2) if axis == 0 else (2,))
    return Z.sum(axis=axis, keepdims=keepdims)


def batch_mean(Z: np.ndarray, *, layout: str = "rows", keepdims: bool = False) -> np.ndarray:
    """Mean over the batch axis: :func:`batch_sum` divided by the batch size. Shapes as in :func:`batch_sum`."""
    axis = sample_axis(layout)
    Z = check_array("Z", Z, ndim=(1, 2) if axis == 0 else (2,))
    if Z.shape[axis] == 0:
        raise ValueError(f"Z has shape {Z.shape}: an empty batch has no mean")
    return batch_sum(Z, layout=layout, keepdims=keepdims) / Z.shape[axis]


def batch_add(Z: np.ndarray, v: np.ndarray, *, layout: str = "rows", name: str = "v") -> np.ndarray:
    """Add the per-feature vector ``v`` to every sample of ``Z``.

    Parameters
    ----------
    Z : numpy.ndarray, shape (batch, features) for ``layout="rows"``, (features, batch) for ``"columns"``
    v : numpy.ndarray, shape (features,)
        One value per feature. A (1, features) row or (features, 1) column matching the layout is accepted too.
    name : str
        What ``v`` is called in error messages (``"bias"`` for a linear layer).

    Returns
    -------
    numpy.ndarray, the shape of ``Z``

    Raises
    ------
    ValueError
        If ``v`` does not hold exactly one value per feature. numpy alone would broadcast some wrong shapes
        silently (a (batch, 1) column added to rows, say); this refuses them.
    """
    axis = sample_axis(layout)
    Z = check_array("Z", Z, ndim=(2,))
    features = Z.shape[1 - axis]
    v = np.asarray(v)
    per_feature_shape = (1, features) if axis == 0 else (features, 1)
    if v.shape not in ((features,), per_feature_shape):
        raise ValueError(
            f"{name} has shape {v.shape} but there are {features} features: expected one value per feature, "
            f"shape ({features},)"
        )
    # Broadcasting: a (features,) vector lines up with the last axis, which is the feature axis for rows only.
    return Z + (v.reshape(per_feature_shape))
