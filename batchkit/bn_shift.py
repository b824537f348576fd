"""Lesson 05's measures of internal covariate shift, on a copy of a network and one probe batch.

Two measures: how far each unit's input distribution moves in one training step (:func:`step_drift`, from the
quantiles of :func:`unit_quantiles` compared by :func:`quantile_drift`) and Santurkar et al.'s gradient-based measure
(:func:`gradient_shift`). A network with noisy BN draws new noise at every forward pass; both measures can hold that
noise fixed (the same draw before and after the step: what training moves) or redraw it (what the next layer sees
from one step to the next), so that what the noise does by construction can be told apart from what training does.
"""

from __future__ import annotations

import copy

import numpy as np

from ._validation import check_array
from .mlp import MLP, QUANTILES, Measure


def unit_quantiles(z: np.ndarray) -> np.ndarray:
    """The 5, 25, 50, 75 and 95% quantiles of every unit (column) of ``z`` over the batch.

    Parameters
    ----------
    z : numpy.ndarray, shape (N, D)

    Returns
    -------
    numpy.ndarray, shape (D, 5)
    """
    return np.percentile(z, QUANTILES, axis=0).T


def quantile_drift(quantiles: np.ndarray) -> np.ndarray:
    """How far each unit's distribution moves from one record to the next, in units of its own spread.

    For every unit: the mean absolute change of its five quantiles, divided by its 5-95% width in the earlier
    record; then the mean over the layer's units. A shift by the whole 5-95% width gives 1.

    Parameters
    ----------
    quantiles : numpy.ndarray, shape (records, layers, units, 5)
        From :func:`unit_quantiles`, for example before and after one training step.

    Returns
    -------
    numpy.ndarray, shape (records - 1, layers)
    """
    quantiles = check_array("quantiles", quantiles, ndim=(4,))
    if quantiles.shape[0] < 2 or quantiles.shape[-1] != len(QUANTILES):
        raise ValueError(f"quantiles must have shape (records >= 2, layers, units, 5), got {quantiles.shape}")
    before, after = quantiles[:-1], quantiles[1:]
    width = before[..., -1] - before[..., 0]
    return (np.abs(after - before).mean(axis=-1) / width).mean(axis=-1)


def noise_state(model: MLP) -> list[np.random.Generator | None]:
    """Copies of the noise generators of the model's noisy BN layers (None for every other layer)."""
    return [copy.deepcopy(getattr(norm, "rng", None)) for norm in model.norms]


def restore_noise(model: MLP, state: list[np.random.Generator | None]) -> None:
    """Put the noise generators back to ``state`` (from :func:`noise_state`): the next pass draws the same noise."""
    for norm, rng in zip(model.norms, state):
        if rng is not None:
            norm.rng = copy.deepcopy(rng)


def has_noise(model: MLP) -> bool:
    """Whether any layer of the model draws noise in train mode (noisy BN)."""
    return any(rng is not None for rng in noise_state(model))


def gradient_shift(model: MLP, X: np.ndarray, y: np.ndarray, learning_rate: float,
                   redraw_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Santurkar et al.'s internal covariate shift: how a layer's gradient changes when the layers before it step.

    ``G_k`` is the gradient of layer k's weights; ``G'_k`` the same gradient, on the same batch, after one step
    (``learning_rate``, the gradients of this batch) has updated layers 1 to k - 1 and nothing else. Works on copies.
    With noisy BN, ``G'_k`` sees the same draw of the noise as ``G_k``, or with ``redraw_noise`` the next draw.

    Returns
    -------
    relative_change : numpy.ndarray, shape (depth - 1,)
        ``‖G'_k - G_k‖ / ‖G_k‖`` for layers k = 2 ... depth (0 would mean no shift).
    cosine : numpy.ndarray, shape (depth - 1,)
        Cosine of the angle between ``G_k`` and ``G'_k`` (1 would mean no change of direction).
    """
    reference = copy.deepcopy(model)  # every copy starts from the same state, noise generators included
    _, dW, db = reference.loss_and_gradients(X, y)
    next_draw = noise_state(reference)  # the generators after G_k's draw
    relative, cosine = [], []
    for k in range(1, model.depth):
        stepped = copy.deepcopy(model)
        if redraw_noise:
            restore_noise(stepped, next_draw)
        for j in range(k):  # layers before k take their step; layer k and later do not
            stepped.weights[j] -= learning_rate * dW[j]
            if stepped.norms[j] is None:
                stepped.biases[j] -= learning_rate * db[j]
            else:
                stepped.norms[j].gamma -= learning_rate * reference.norms[j].dgamma
                stepped.norms[j].beta -= learning_rate * reference.norms[j].dbeta
        after = stepped.loss_and_gradients(X, y)[1][k].ravel()
        before = dW[k].ravel()
        relative.append(np.linalg.norm(after - before) / np.linalg.norm(before))
        cosine.append(before @ after / (np.linalg.norm(before) * np.linalg.norm(after)))
    return np.array(relative), np.array(cosine)


def layer_quantiles(model: MLP, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`unit_quantiles` of every hidden layer's linear output (BN's input) and activation input (after BN),
    in the model's current mode; each of shape (hidden layers, units, 5)."""
    model.forward(X)
    return (np.array([unit_quantiles(z) for z in model.linear_outputs]),
            np.array([unit_quantiles(z) for z in model.activation_inputs]))


def step_drift(model: MLP, X: np.ndarray, y: np.ndarray, learning_rate: float,
               redraw_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`quantile_drift` over one gradient step of every layer (gradients of this batch), on a copy of the model.

    With noisy BN the step's gradient and both records use the same draw of the noise, so only the step moves the
    distributions; with ``redraw_noise`` the record after the step uses the next draw, as the next training step
    would (then even ``learning_rate = 0`` moves what the activation sees: that is the noise alone).

    Returns
    -------
    linear_output, activation_input : numpy.ndarray, shape (hidden layers,)
    """
    stepped = copy.deepcopy(model)
    draw = noise_state(stepped)
    before = layer_quantiles(stepped, X)
    restore_noise(stepped, draw)
    _, dW, db = stepped.loss_and_gradients(X, y)
    stepped.sgd_step(dW, db, learning_rate)
    if not redraw_noise:
        restore_noise(stepped, draw)
    after = layer_quantiles(stepped, X)
    return tuple(quantile_drift(np.stack([b, a]))[0] for b, a in zip(before, after))


def weight_sizes(model: MLP, X: np.ndarray, y: np.ndarray, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Every layer's ``‖W_k‖`` and the relative size ``α ‖∂L/∂W_k‖ / ‖W_k‖`` of one step on this batch (a copy).

    Returns
    -------
    weight_norm, relative_step : numpy.ndarray, shape (depth,)
    """
    _, dW, _ = copy.deepcopy(model).loss_and_gradients(X, y)
    weight_norm = np.array([np.linalg.norm(W) for W in model.weights])
    return weight_norm, learning_rate * np.array([np.linalg.norm(g) for g in dW]) / weight_norm


def shift_measure(learning_rate: float) -> Measure:
    """A ``measure`` for :func:`batchkit.mlp.train_classifier`, on the probe batch in train mode.

    Records every hidden unit's quantiles before and after BN (:func:`layer_quantiles`), :func:`step_drift` and
    :func:`gradient_shift` with any noise held fixed, :func:`weight_sizes`, and for noisy BN three more: the drift
    after BN with a new draw of the noise after the step (``redrawn_drift_activation``) and with no step at all
    (``noise_drift_activation``, α = 0: the noise alone), and the gradient cosine with a new draw
    (``gradient_cosine_redrawn``). Without noise these equal the fixed-noise drift, 0 and the fixed-noise cosine.
    """

    def measure(model: MLP, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        linear_output, activation_input = layer_quantiles(copy.deepcopy(model), X)
        step_linear, step_activation = step_drift(model, X, y, learning_rate)
        relative, cosine = gradient_shift(model, X, y, learning_rate)
        weight_norm, relative_step = weight_sizes(model, X, y, learning_rate)
        noisy = has_noise(model)
        return {"linear_output": linear_output, "activation_input": activation_input,
                "step_drift_linear": step_linear, "step_drift_activation": step_activation,
                "redrawn_drift_activation": step_drift(model, X, y, learning_rate, True)[1] if noisy
                else step_activation,
                "noise_drift_activation": step_drift(model, X, y, 0.0, True)[1] if noisy
                else np.zeros_like(step_activation),
                "gradient_change": relative, "gradient_cosine": cosine,
                "gradient_cosine_redrawn": gradient_shift(model, X, y, learning_rate, True)[1] if noisy else cosine,
                "weight_norm": weight_norm, "relative_step": relative_step}

    return measure
