"""Lesson 05's experiments on the digits data: a deep MLP trained without BN, with BN, and with "noisy" BN.

Every training run is a plain function of its settings, cached, so that the notebook's figures, its sweeps and its
widget (which only browses the results) share one computation. Two measures of internal covariate shift: how far
each unit's input distribution moves in one step (:func:`step_drift`) and Santurkar et al.'s gradient-based measure
(:func:`gradient_shift`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from ._validation import SeedLike, as_generator, check_array, check_choice, check_positive_int, check_real
from .batchnorm import BatchNorm1d
from .datasets import digits_split
from .mlp import MLP, QUANTILES, ClassifierHistory, Measure, train_classifier
from .seeds import Replicates, over_seeds

HIDDEN_LAYERS = 6
WIDTH = 32
#: Settings under which the deep network learns with *and* without BN (tanh units, a moderate learning rate), so that
#: the drift of its layer inputs during training can be compared.
SHIFT_SETTINGS = {"activation": "tanh", "learning_rate": 0.1, "epochs": 5}
#: The deep sigmoid network of the vanishing-gradient experiment: without BN it does not learn at all.
SIGMOID_SETTINGS = {"activation": "sigmoid", "learning_rate": 0.5, "epochs": 10}
#: The kinds of network compared, with their :func:`train_deep` arguments: noisy BN injects noise after every BN layer.
KINDS = {"without BN": {"batchnorm": False, "noisy": False}, "with BN": {"batchnorm": True, "noisy": False},
         "noisy BN": {"batchnorm": True, "noisy": True}}
#: Santurkar et al.'s (2018, Algorithm 1 and Appendix A.2.1) noise constants: n_μ, n_σ and r_μ = r_σ.
NOISE_MEAN, NOISE_SCALE, NOISE_SPREAD = 0.5, 1.25, 0.1


class NoisyBatchNorm1d(BatchNorm1d):
    """Batch normalization followed by time-varying noise, Santurkar et al.'s "noisy" BatchNorm (their Algorithm 1).

    In train mode, at every call (every step), each unit j draws a mean ``μ_j ~ U(-n_μ, n_μ)`` and a scale
    ``σ_j ~ U(1, n_σ)``; then every sample i gets its own ``m_ij ~ U(μ_j - r, μ_j + r)`` and
    ``s_ij ~ N(σ_j, r²)``, and the normalized output ``a`` becomes ``s ⊙ a + m``. Eval mode is plain batch norm
    with running averages.

    Parameters
    ----------
    num_features : int
    seed : int or numpy.random.Generator
        Seeds the noise.
    mean, scale, spread : float
        ``n_μ``, ``n_σ`` (>= 1) and ``r``; Santurkar et al.'s values by default.
    """

    def __init__(self, num_features: int, seed: SeedLike = 0, mean: float = NOISE_MEAN,
                 scale: float = NOISE_SCALE, spread: float = NOISE_SPREAD) -> None:
        super().__init__(num_features)
        self.mean = check_real("mean", mean, low=0.0, low_inclusive=True)
        self.scale = check_real("scale", scale, low=1.0, low_inclusive=True)
        self.spread = check_real("spread", spread, low=0.0, low_inclusive=True)
        self.rng = as_generator(seed)
        self.noise_scale: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Batch norm, then (train mode only) ``s ⊙ a + m`` with fresh noise, shape (N, D)."""
        a = super().forward(x)
        if not self.training:
            return a
        unit_mean = self.rng.uniform(-self.mean, self.mean, a.shape[1])  # (D,): this step's distribution per unit
        unit_scale = self.rng.uniform(1.0, self.scale, a.shape[1])
        shift = self.rng.uniform(unit_mean - self.spread, unit_mean + self.spread, a.shape)  # (N, D), per sample
        self.noise_scale = self.rng.normal(unit_scale, self.spread, a.shape)
        return self.noise_scale * a + shift

    __call__ = forward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Through the noise (``d a = s ⊙ dout``), then through batch norm; sets ``dgamma`` and ``dbeta``."""
        if self.noise_scale is None or np.shape(dout) != self.noise_scale.shape:
            raise RuntimeError("backward needs a forward pass in train mode first, on a batch of the same shape")
        return super().backward(self.noise_scale * dout)


def deep_mlp(batchnorm: bool, activation: str = "sigmoid", init_scale: float | None = None, seed: int = 0,
             noisy: bool = False) -> MLP:
    """64 inputs, :data:`HIDDEN_LAYERS` hidden layers of :data:`WIDTH` units, 10 classes; ``noisy``: noisy BN."""
    if noisy and not batchnorm:
        raise ValueError("noisy=True puts noise after the batch norm layers, so it needs batchnorm=True")
    model = MLP([64] + [WIDTH] * HIDDEN_LAYERS + [10], activation=activation, batchnorm=batchnorm,
                init_scale=init_scale, seed=seed)
    if noisy:  # the same weights as the plain BN network of this seed; the noise has its own seeds
        model.norms = [None if norm is None else NoisyBatchNorm1d(WIDTH, seed=np.random.default_rng([seed, k]))
                       for k, norm in enumerate(model.norms)]
    return model


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


def gradient_shift(model: MLP, X: np.ndarray, y: np.ndarray, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Santurkar et al.'s internal covariate shift: how a layer's gradient changes when the layers before it step.

    ``G_k`` is the gradient of layer k's weights; ``G'_k`` the same gradient, on the same batch, after one step
    (``learning_rate``, the gradients of this batch) has updated layers 1 to k - 1 and nothing else. Works on copies.

    Returns
    -------
    relative_change : numpy.ndarray, shape (depth - 1,)
        ``‖G'_k - G_k‖ / ‖G_k‖`` for layers k = 2 ... depth (0 would mean no shift).
    cosine : numpy.ndarray, shape (depth - 1,)
        Cosine of the angle between ``G_k`` and ``G'_k`` (1 would mean no change of direction).
    """
    reference = copy.deepcopy(model)  # every copy starts from the same state, noise generators included
    _, dW, db = reference.loss_and_gradients(X, y)
    relative, cosine = [], []
    for k in range(1, model.depth):
        stepped = copy.deepcopy(model)
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


def step_drift(model: MLP, X: np.ndarray, y: np.ndarray, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`quantile_drift` over one gradient step of every layer (gradients of this batch), on a copy of the model.

    Returns
    -------
    linear_output, activation_input : numpy.ndarray, shape (hidden layers,)
    """
    stepped = copy.deepcopy(model)
    before = layer_quantiles(stepped, X)
    _, dW, db = stepped.loss_and_gradients(X, y)
    stepped.sgd_step(dW, db, learning_rate)
    after = layer_quantiles(stepped, X)
    return tuple(quantile_drift(np.stack([b, a]))[0] for b, a in zip(before, after))


def shift_measure(learning_rate: float) -> Measure:
    """A ``measure`` for :func:`batchkit.mlp.train_classifier`, on the probe batch in train mode: every hidden
    unit's quantiles before and after BN (:func:`layer_quantiles`), :func:`step_drift` and :func:`gradient_shift`."""

    def measure(model: MLP, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        linear_output, activation_input = layer_quantiles(copy.deepcopy(model), X)
        step_linear, step_activation = step_drift(model, X, y, learning_rate)
        relative, cosine = gradient_shift(model, X, y, learning_rate)
        return {"linear_output": linear_output, "activation_input": activation_input,
                "step_drift_linear": step_linear, "step_drift_activation": step_activation,
                "gradient_change": relative, "gradient_cosine": cosine}

    return measure


#: Every trained network, by its settings (measured or not, the training is the same): (model, history, measured).
_RUNS: dict[tuple, tuple[MLP, ClassifierHistory, bool]] = {}


def _trained(batchnorm: bool, activation: str = "sigmoid", learning_rate: float = 0.5, batch_size: int = 32,
             epochs: int = 15, init_scale: float | None = None, seed: int = 0, noisy: bool = False,
             measure: bool = False) -> tuple[MLP, ClassifierHistory]:
    key = (batchnorm, activation, learning_rate, batch_size, epochs, init_scale, seed, noisy)
    if key not in _RUNS or (measure and not _RUNS[key][2]):
        X_train, X_test, y_train, y_test = digits_split()
        model = deep_mlp(batchnorm, activation, init_scale, seed, noisy)
        history = train_classifier(model, X_train, y_train, batch_size=batch_size, epochs=epochs,
                                   learning_rate=learning_rate, X_test=X_test, y_test=y_test, seed=seed + 1,
                                   measure=shift_measure(learning_rate) if measure else None)
        _RUNS[key] = (model, history, measure)
    return _RUNS[key][:2]


def train_deep(batchnorm: bool, *, activation: str = "sigmoid", learning_rate: float = 0.5, batch_size: int = 32,
               epochs: int = 15, init_scale: float | None = None, seed: int = 0, noisy: bool = False,
               measure: bool = False) -> ClassifierHistory:
    """Train :func:`deep_mlp` on the digits split with mini-batch SGD; the same settings give the same result.

    ``seed`` seeds the initial weights (and the noise of noisy BN), ``seed + 1`` the shuffling. ``measure``
    records :func:`shift_measure` every epoch in ``history.measurements``; the training is the same either way,
    so a measured run also answers later calls without ``measure``. Runs are cached: do not change the result.
    """
    return _trained(batchnorm, activation, learning_rate, batch_size, epochs, init_scale, seed, noisy, measure)[1]


def trained_model(batchnorm: bool, **settings) -> MLP:
    """A copy of the network that :func:`train_deep` trained with these settings (changing it changes no cached
    run)."""
    return copy.deepcopy(_trained(batchnorm, **settings)[0])


def runs_by_kind(seed: int, kinds: tuple[str, ...] = tuple(KINDS), **settings) -> dict[str, ClassifierHistory]:
    """``{kind: history}`` for the same seed and settings of :func:`train_deep`; ``kinds`` from :data:`KINDS`."""
    return {kind: train_deep(**KINDS[check_choice("kinds", kind, tuple(KINDS))], seed=seed, **settings)
            for kind in kinds}


def train_over_seeds(kinds: tuple[str, ...] = tuple(KINDS), seeds: int = 5,
                     report: Callable[[int, dict[str, ClassifierHistory]], None] | None = None,
                     **settings) -> dict[str, list[ClassifierHistory]]:
    """``{kind: [history of seed 0, seed 1, ...]}``: :func:`runs_by_kind` for seeds 0, 1, ..., ``seeds - 1``.

    ``report(seed, {kind: history})`` after each seed, to print progress.
    """
    runs: dict[str, list[ClassifierHistory]] = {kind: [] for kind in kinds}
    for seed in range(check_positive_int("seeds", seeds)):
        for kind, history in runs_by_kind(seed, kinds, **settings).items():
            runs[kind].append(history)
        if report is not None:
            report(seed, {kind: histories[-1] for kind, histories in runs.items()})
    return runs


def replicated(histories: list[ClassifierHistory], quantity: Callable[[ClassifierHistory], object]) -> Replicates:
    """``quantity(history)`` of every seed's run (from :func:`train_over_seeds`), as :class:`Replicates`."""
    return over_seeds(lambda seed: quantity(histories[seed]), seeds=len(histories))


def train_mode_accuracy(model: MLP, X: np.ndarray, labels: np.ndarray, batch_size: int) -> float:
    """Accuracy when the model is (wrongly) left in train mode and sees ``X`` in consecutive batches of this size.

    Works on a copy: the batch statistics of these batches do not reach the model's running averages. Samples
    that do not fill a last batch are left out.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    model = copy.deepcopy(model).train()
    usable = len(X) - len(X) % batch_size
    logits = np.concatenate([model.forward(X[i:i + batch_size]) for i in range(0, usable, batch_size)])
    return float(np.mean(logits.argmax(axis=1) == labels[:usable]))


def sweep(values: list, setting: str, kinds: tuple[str, ...] = tuple(KINDS), seeds: int = 5,
          report: Callable[[int, dict[str, np.ndarray]], None] | None = None,
          **settings) -> dict[str, Replicates]:
    """Final test accuracy of every kind of network while one setting of :func:`train_deep` runs over ``values``.

    ``setting`` is a keyword of :func:`train_deep` (``"learning_rate"``, ``"batch_size"``, ...), ``settings`` the
    others, the same for every run; every (kind, value) pair is trained once for each of the seeds 0, 1, ...
    ``report(seed, {kind: accuracies})`` is called after each seed, to print progress.

    Returns
    -------
    dict of str to Replicates
        One entry per kind; each seed's result has shape (len(values),), accuracies between 0 and 1.
    """
    def experiment(seed: int) -> dict[str, np.ndarray]:
        runs = {value: runs_by_kind(seed, kinds, **{setting: value}, **settings) for value in values}
        return {kind: np.array([runs[value][kind].test_accuracy[-1] for value in values]) for kind in kinds}

    return over_seeds(experiment, seeds, report=report)
