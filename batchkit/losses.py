"""Softmax cross-entropy for classification, averaged over the batch."""

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
