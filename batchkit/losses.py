"""Losses averaged over the batch, with their gradients: softmax cross-entropy (classification) and half squared
error (regression)."""

from __future__ import annotations

import numpy as np

from ._validation import check_array


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (N, K) scores; the row maximum is subtracted first so that ``exp`` cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of a batch and its gradient.

    Parameters
    ----------
    logits : numpy.ndarray, shape (N, K)
        Scores, one row per sample.
    labels : numpy.ndarray of int, shape (N,)
        Class of every sample, 0 to K - 1.

    Returns
    -------
    loss : float
        ``-1/N Σ_i log softmax(logits_i)[labels_i]``.
    dlogits : numpy.ndarray, shape (N, K)
        ``(softmax(logits) - onehot(labels)) / N``: the 1/N is the batch mean's, so gradients are batch averages.
    """
    logits = check_array("logits", logits, ndim=(2,))
    labels = check_array("labels", labels, ndim=(1,))
    if labels.shape[0] != logits.shape[0]:
        raise ValueError(f"logits have {logits.shape[0]} rows but labels has {labels.shape[0]}: one label per sample")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1] or not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"labels must be integers from 0 to {logits.shape[1] - 1}, got {labels.min()} to {labels.max()}")
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), labels].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), labels] -= 1.0
    return float(loss), dlogits / n


def half_squared_error(predictions: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over the batch of each sample's half squared error, and its gradient (homework 02).

    Parameters
    ----------
    predictions, targets : numpy.ndarray, shape (N, M)
        One row per sample, M outputs each.

    Returns
    -------
    loss : float
        ``1/N Σ_i ½ Σ_m (predictions_im - targets_im)²``: summed over a sample's outputs, averaged over samples.
    dpredictions : numpy.ndarray, shape (N, M), float64
        ``(predictions - targets) / N``: the ½ cancels the square's 2, and the 1/N is the batch mean's.
    """
    predictions = check_array("predictions", predictions, ndim=(2,))
    targets = check_array("targets", targets, ndim=(2,))
    if predictions.shape != targets.shape:
        raise ValueError(f"predictions has shape {predictions.shape} but targets has {targets.shape}: one target per "
                         "output of every sample")
    # float64 so that a float32 batch's loss keeps its digits
    residual = predictions.astype(np.float64) - targets.astype(np.float64)
    n = residual.shape[0]
    return 0.5 * float(np.sum(residual * residual)) / n, residual / n
