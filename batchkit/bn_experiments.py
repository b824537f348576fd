"""Lesson 05's experiments on the digits data: a deep MLP trained without BN, with BN, and with "noisy" BN.

Every training run is a plain function of its settings, cached, so that the notebook's figures, its sweeps and its
widget (which only browses the results) share one computation. The measures of internal covariate shift recorded
during the measured runs live in :mod:`batchkit.bn_shift`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import SeedLike, as_generator, check_choice, check_positive_int, check_real
from .batch_size_study import digits_splits
from .batchnorm import BatchNorm1d
from .datasets import digits_split
from .bn_shift import shift_measure
from .mlp import MLP, ClassifierHistory, train_classifier
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


#: Every trained network, by its settings (measured or not, the training is the same): (model, history, measured).
_RUNS: dict[tuple, tuple[MLP, ClassifierHistory, bool]] = {}


def _trained(batchnorm: bool, activation: str = "sigmoid", learning_rate: float = 0.5, batch_size: int = 32,
             epochs: int = 15, init_scale: float | None = None, seed: int = 0, noisy: bool = False,
             measure: bool = False, validation: bool = False) -> tuple[MLP, ClassifierHistory]:
    """``validation``: train on the 1078 training samples of :func:`digits_splits` and follow the accuracy on its
    270 validation samples (in ``history.test_accuracy``) instead of the test set."""
    key = (batchnorm, activation, learning_rate, batch_size, epochs, init_scale, seed, noisy, validation)
    if key not in _RUNS or (measure and not _RUNS[key][2]):
        if validation:
            X_train, X_test, _, y_train, y_test, _ = digits_splits()
        else:
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

    ``model``: an :class:`~batchkit.mlp.MLP`, or any model with ``train()`` and ``forward(X) -> logits`` (lesson
    07 passes a :class:`~batchkit.convnet.ConvNet`).

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


def best_of_grid(values: list, runs: Replicates) -> tuple[object, Replicates]:
    """The value of a :func:`sweep` grid with the highest median over the seeds, and the results at that value.

    ``runs`` is one kind's entry of :func:`sweep` (each seed's result of shape (len(values),)).
    """
    if np.shape(runs.values)[1:] != (len(values),):
        raise ValueError(f"runs must hold one result per value of the grid ({len(values)}), got shape "
                         f"{np.shape(runs.values)}")
    best = int(np.argmax(runs.median))
    return values[best], runs[best]


@dataclass(frozen=True)
class TunedRate:
    """One kind of network's learning rate, chosen on the validation set, and its test accuracy at that rate.

    Attributes
    ----------
    learning_rate : float
        The rate of the grid with the highest median validation accuracy over the seeds.
    validation : Replicates
        Each seed's final validation accuracy at every rate of the grid, shape (len(grid),).
    test : Replicates
        Each seed's final test accuracy at the chosen rate (the only rate at which the test set is used).
    """

    learning_rate: float
    validation: Replicates
    test: Replicates


def tune_learning_rate(rates: list[float], kinds: tuple[str, ...] = ("without BN", "with BN"), seeds: int = 5,
                       report: Callable[[int, dict[str, np.ndarray]], None] | None = None,
                       **settings) -> dict[str, TunedRate]:
    """Choose each kind's learning rate on a validation set, then measure the test accuracy at that rate only.

    Every network is trained with :func:`train_deep`'s ``settings`` on the 1078 training samples of
    :func:`batchkit.batch_size_study.digits_splits` (lesson 05's training set minus 270 validation samples), once per
    rate and seed; each kind keeps the rate with the highest median final validation accuracy (:func:`best_of_grid`).
    ``report(seed, {kind: validation accuracies})`` after each seed, to print progress.
    """
    if "learning_rate" in settings:
        raise ValueError("settings must not hold learning_rate: the rates to try are given by rates")

    def trained(kind: str, rate: float, seed: int) -> tuple[MLP, ClassifierHistory]:
        return _trained(**KINDS[check_choice("kinds", kind, tuple(KINDS))], learning_rate=rate, seed=seed,
                        validation=True, **settings)

    def experiment(seed: int) -> dict[str, np.ndarray]:
        return {kind: np.array([trained(kind, rate, seed)[1].test_accuracy[-1] for rate in rates]) for kind in kinds}

    validation = over_seeds(experiment, seeds, report=report)
    _, _, X_test, _, _, y_test = digits_splits()
    tuned = {}
    for kind in kinds:
        rate = best_of_grid(rates, validation[kind])[0]
        test = over_seeds(lambda seed: trained(kind, rate, seed)[0].accuracy(X_test, y_test), seeds)
        tuned[kind] = TunedRate(rate, validation[kind], test)
    return tuned
