"""A linear layer on a whole batch: ``z = W x + b`` for every sample at once.

Two layouts, the same numbers:

* **rows** (PyTorch's ``nn.Linear``): ``X`` (batch, in), ``W`` (out, in), ``b`` (out,) and ``Z = X Wᵀ + b``,
  shape (batch, out). ``b`` is added to every row.
* **columns** (the posts and "AI by Hand"): ``X`` (in, batch) and ``Z = W X + b``, shape (out, batch). ``b`` is added
  to every column.

Backward, rows layout, for an upstream gradient ``dZ`` (batch, out)::

    dW = dZᵀ X                (out, in)   one outer product per sample, summed over the batch
    db = batch_sum(dZ)        (out,)      the bias was added to every sample, so its gradient is summed
    dX = dZ W                 (batch, in)
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_bool
from .batch_ops import batch_add, batch_sum


def check_linear_shapes(X: np.ndarray, W: np.ndarray, b: np.ndarray, *, layout: str = "rows") -> None:
    """Raise a ValueError that names the mismatch when ``X``, ``W`` and ``b`` cannot form a linear layer."""
    X = check_array("X", X, ndim=(2,))
    W = check_array("W", W, ndim=(2,))
    b = check_array("bias", b, ndim=(1,))
    outputs, inputs = W.shape
    features = X.shape[1] if layout == "rows" else X.shape[0]
    if features != inputs:
        where = "per sample (columns of X)" if layout == "rows" else "per sample (rows of X, layout='columns')"
        raise ValueError(
            f"X has {features} features {where} but W has shape {W.shape}, i.e. {inputs} inputs: "
            f"expected W of shape (outputs, {features})"
        )
    if b.shape != (outputs,):
        raise ValueError(
            f"bias has shape {b.shape} but the layer has {outputs} outputs: expected one value per output feature, "
            f"shape ({outputs},)"
        )


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Z = X Wᵀ + b`` for a batch stored as rows.

    Parameters
    ----------
    X : numpy.ndarray, shape (batch, in)
    W : numpy.ndarray, shape (out, in)
    b : numpy.ndarray, shape (out,)

    Returns
    -------
    numpy.ndarray, shape (batch, out)
    """
    check_linear_shapes(X, W, b)
    return batch_add(np.asarray(X) @ np.asarray(W).T, b, name="bias")


def linear_forward_columns(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Z = W X + b`` for a batch stored as columns, ``b`` added to every column.

    Parameters
    ----------
    X : numpy.ndarray, shape (in, batch)
    W : numpy.ndarray, shape (out, in)
    b : numpy.ndarray, shape (out,)

    Returns
    -------
    numpy.ndarray, shape (out, batch): the transpose of :func:`linear_forward` on ``X.T``.
    """
    check_linear_shapes(X, W, b, layout="columns")
    return batch_add(np.asarray(W) @ np.asarray(X), b, layout="columns", name="bias")


def linear_backward(dZ: np.ndarray, X: np.ndarray, W: np.ndarray, *,
                    input_gradient: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of a linear layer (rows layout) given the upstream gradient ``dZ``.

    Parameters
    ----------
    dZ : numpy.ndarray, shape (batch, out)
        Gradient of the loss with respect to the layer's output.
    X : numpy.ndarray, shape (batch, in)
        The layer's input in the forward pass.
    W : numpy.ndarray, shape (out, in)
    input_gradient : bool
        Compute ``dX``. A network's first layer passes False: nothing uses the gradient with respect to the data,
        and skipping it saves a (batch, out) x (out, in) product and a (batch, in) array (PyTorch skips it too,
        since data does not require grad).

    Returns
    -------
    dX : numpy.ndarray, shape (batch, in), or None if ``input_gradient`` is False
    dW : numpy.ndarray, shape (out, in)
    db : numpy.ndarray, shape (out,)
    """
    dZ = check_array("dZ", dZ, ndim=(2,))
    X = check_array("X", X, ndim=(2,))
    W = check_array("W", W, ndim=(2,))
    expected = (X.shape[0], W.shape[0])
    if dZ.shape != expected:
        raise ValueError(f"dZ has shape {dZ.shape}: expected (batch, outputs) = {expected}, the shape of Z")
    input_gradient = check_bool("input_gradient", input_gradient)
    return (dZ @ W if input_gradient else None), dZ.T @ X, batch_sum(dZ)


def linear_forward_per_sample_loop(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The same as :func:`linear_forward`, one sample at a time in a Python loop.

    Kept only for comparison: lesson 02 times it against the batched product. Never use it for real work.
    """
    check_linear_shapes(X, W, b)
    W = np.asarray(W)
    return np.stack([W @ x + b for x in np.asarray(X)])
