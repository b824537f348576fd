"""The simple noise scale (McCandlish et al., 2018): at which batch size the gradient noise is as large as the gradient.

Sample i of n has its own gradient g_i of its own loss; the full gradient is their mean G = (1/n) Σ_i g_i. A batch of
b samples drawn at random estimates G with a noise whose expected squared length is tr(Σ)/b (for draws with
replacement), where Σ is the covariance of the per-sample gradients and

    tr(Σ) = (1/n) Σ_i |g_i - G|² = (1/n) Σ_i |g_i|² - |G|².

The **simple noise scale** B_simple = tr(Σ) / |G|² is the batch size at which that noise equals the signal |G|²:
below it, a larger batch removes noise that was dominating the step; above it, the step was already mostly signal.
McCandlish et al. relate it to the critical batch size where the steps-to-target curve bends.

Per-sample gradients without a loop: for a linear layer with input h_i and output gradient δ_i (for the batch-mean
loss, δ_i = (1/n) ∂ℓ_i/∂z), sample i's own weight gradient is the outer product n·δ_i h_iᵀ, whose squared length is
n²|δ_i|²·|h_i|²; its bias gradient is n·δ_i. This needs samples that do not interact (no batch norm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mlp import MLP


@dataclass(frozen=True)
class NoiseScale:
    """Signal and noise of the gradient at one point of training.

    Attributes
    ----------
    gradient_norm_squared : float
        |G|², the squared length of the full gradient (all parameters of all layers).
    trace_covariance : float
        tr(Σ), the summed variance of the per-sample gradients.
    """

    gradient_norm_squared: float
    trace_covariance: float

    @property
    def simple(self) -> float:
        """B_simple = tr(Σ) / |G|², in samples."""
        return self.trace_covariance / self.gradient_norm_squared


def _check_inputs(model: MLP, X: np.ndarray, labels: np.ndarray) -> None:
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a batchkit MLP, got {type(model).__name__}")
    if model.batchnorm:
        raise ValueError("model has batch norm: its samples interact, so per-sample gradients are not defined")
    if np.ndim(X) != 2 or len(X) < 2:
        raise ValueError(f"X must be a 2-D batch of at least 2 samples, got shape {np.shape(X)}")
    if np.shape(labels) != (len(X),):
        raise ValueError(f"labels must have shape ({len(X)},), one per sample of X, got {np.shape(labels)}")


def per_sample_gradient_norms(model: MLP, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Squared length |g_i|² of every sample's own gradient (all weights and biases), without a loop over samples.

    Parameters
    ----------
    model : MLP
        Without batch norm. Its parameters are not changed.
    X : numpy.ndarray, shape (n, inputs)
    labels : numpy.ndarray of int, shape (n,)

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    _check_inputs(model, X, labels)
    model.loss_and_gradients(X, labels, keep_output_gradients=True)
    return _norms_from_backward(model, len(X))


def _norms_from_backward(model: MLP, n: int) -> np.ndarray:
    """|g_i|² from what the last backward pass kept: Σ_layers n²|δ_i|²(|h_i|² + 1)."""
    norms = np.zeros(n)
    for inputs, output_gradients in zip(model.layer_inputs, model.output_gradients):
        own = n * output_gradients  # sample i's own ∂ℓ_i/∂z, shape (n, outputs)
        norms += np.sum(own**2, axis=1) * (np.sum(inputs**2, axis=1) + 1.0)  # weights + bias
    return norms


def simple_noise_scale(model: MLP, X: np.ndarray, labels: np.ndarray) -> NoiseScale:
    """|G|² and tr(Σ) of the per-sample gradients over the samples ``X``, in one forward and backward pass.

    Parameters
    ----------
    model : MLP
        Without batch norm. Its parameters are not changed.
    X : numpy.ndarray, shape (n, inputs)
        All the samples the gradient is defined over (the whole training set, for SGD on it).
    labels : numpy.ndarray of int, shape (n,)

    Returns
    -------
    NoiseScale
        ``.simple`` is B_simple = tr(Σ) / |G|².
    """
    _check_inputs(model, X, labels)
    _, dW, db = model.loss_and_gradients(X, labels, keep_output_gradients=True)
    signal = float(sum(np.sum(w**2) + np.sum(b**2) for w, b in zip(dW, db)))
    mean_square = float(np.mean(_norms_from_backward(model, len(X))))
    return NoiseScale(signal, max(mean_square - signal, 0.0))
