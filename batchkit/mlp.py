"""A small multilayer perceptron with optional batch normalization, built from the lessons' layers.

Each hidden layer is ``linear (lesson 02) → [batch norm (lesson 05)] → activation``; the output layer is linear,
followed by softmax cross-entropy. The network records what lesson 05's experiments look at: every hidden linear
layer's output (the input of batch norm, when there is one), the inputs of every hidden layer's activation (their
distribution over training) and the gradient norm of every layer's weights.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import activations
from ._validation import (SeedLike, as_generator, check_array, check_bool, check_choice, check_finite,
                          check_positive_int, check_real)
from .batchnorm import BatchNorm1d
from .linear import linear_backward, linear_forward
from .losses import softmax_cross_entropy

ACTIVATIONS = {
    "sigmoid": (activations.sigmoid, lambda dy, z, y: activations.sigmoid_backward(dy, y)),
    "tanh": (activations.tanh, lambda dy, z, y: activations.tanh_backward(dy, y)),
    "relu": (activations.relu, lambda dy, z, y: activations.relu_backward(dy, z)),
}


@dataclass
class MLP:
    """``sizes = [inputs, hidden..., classes]``, e.g. ``[64, 32, 32, 10]``.

    Parameters
    ----------
    sizes : list of int
    activation : {"sigmoid", "tanh", "relu"}
    batchnorm : bool
        Insert a :class:`BatchNorm1d` after every hidden linear layer (its bias is then redundant and kept at 0).
    init_scale : float or None
        Standard deviation of the initial weights; None gives Xavier/Glorot scaling ``1/√fan_in``.
    seed : int or numpy.random.Generator
    """

    sizes: list[int]
    activation: str = "sigmoid"
    batchnorm: bool = False
    init_scale: float | None = None
    seed: SeedLike = 0
    weights: list[np.ndarray] = field(init=False)
    biases: list[np.ndarray] = field(init=False)
    norms: list[BatchNorm1d | None] = field(init=False)

    def __post_init__(self) -> None:
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        if isinstance(self.sizes, (str, bytes)) or np.ndim(self.sizes) != 1 or len(self.sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size, got {self.sizes!r}")
        self.sizes = [check_positive_int(f"sizes[{k}]", size) for k, size in enumerate(self.sizes)]
        check_bool("batchnorm", self.batchnorm)
        if self.init_scale is not None:
            check_real("init_scale", self.init_scale, low=0.0)  # a standard deviation
        rng = as_generator(self.seed)
        self.weights, self.biases, self.norms = [], [], []
        for k, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            scale = 1.0 / np.sqrt(fan_in) if self.init_scale is None else self.init_scale
            self.weights.append(scale * rng.standard_normal((fan_out, fan_in)))
            self.biases.append(np.zeros(fan_out))
            hidden = k < len(self.sizes) - 2
            self.norms.append(BatchNorm1d(fan_out) if (self.batchnorm and hidden) else None)
        self.training = True

    @property
    def depth(self) -> int:
        """Number of linear layers."""
        return len(self.weights)

    def train(self) -> MLP:
        """Train mode: batch norm layers use batch statistics and update their running averages."""
        return self._set_mode(True)

    def eval(self) -> MLP:
        """Eval mode: batch norm layers use their running averages."""
        return self._set_mode(False)

    def _set_mode(self, training: bool) -> MLP:
        self.training = training
        for norm in self.norms:
            if norm is not None:
                norm.training = training
        return self

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits, shape (N, classes). Keeps what :meth:`backward` needs, and for every hidden layer k its linear
        output ``linear_outputs[k]`` (the input of batch norm) and its activation's input ``activation_inputs[k]``
        (the output of batch norm; the same array without it), each of shape (N, sizes[k + 1])."""
        act, act_backward = ACTIVATIONS[self.activation]
        self._cache, self.activation_inputs, self.linear_outputs = [], [], []
        h = np.asarray(X, dtype=np.float64)
        for k in range(self.depth):
            z = linear_forward(h, self.weights[k], self.biases[k])
            if k == self.depth - 1:
                self._cache.append((h, None, None))
                return z
            self.linear_outputs.append(z)
            if self.norms[k] is not None:
                z = self.norms[k](z)
            self.activation_inputs.append(z)
            y = act(z)
            self._cache.append((h, z, y))
            h = y
        raise AssertionError("unreachable")

    def backward(self, dlogits: np.ndarray, *,
                 keep_output_gradients: bool = False) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of every weight and bias (BN's dγ, dβ are stored on the BN layers).

        With ``keep_output_gradients``, also keeps for lesson 06's per-sample gradients ``layer_inputs[k]`` (shape
        (N, sizes[k])) and ``output_gradients[k]`` (∂L/∂z_k of linear layer k, shape (N, sizes[k + 1])): sample i's
        share of ``dW[k]`` is the outer product of row i of each. Off by default: keeping them would hold every
        layer's gradient in memory until the next step, which lesson 06's memory measurement would count.
        """
        _, act_backward = ACTIVATIONS[self.activation]
        dW, db = [None] * self.depth, [None] * self.depth
        self.layer_inputs, self.output_gradients = [None] * self.depth, [None] * self.depth
        grad = dlogits
        for k in reversed(range(self.depth)):
            h, z, y = self._cache[k]
            if k < self.depth - 1:
                grad = act_backward(grad, z, y)
                if self.norms[k] is not None:
                    grad = self.norms[k].backward(grad)
            if keep_output_gradients:
                self.layer_inputs[k], self.output_gradients[k] = h, grad
            grad, dW[k], db[k] = linear_backward(grad, h, self.weights[k], input_gradient=k > 0)  # no d(data)
        return dW, db

    def loss_and_gradients(self, X: np.ndarray, labels: np.ndarray, *, keep_output_gradients: bool = False,
                           ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Mean cross-entropy of the batch, and the gradients of the weights and biases (see :meth:`backward`)."""
        loss, dlogits = softmax_cross_entropy(self.forward(X), labels)
        dW, db = self.backward(dlogits, keep_output_gradients=keep_output_gradients)
        return loss, dW, db

    def sgd_step(self, dW: list[np.ndarray], db: list[np.ndarray], learning_rate: float) -> None:
        """``θ := θ - α ∂L/∂θ`` for every weight, bias, and BN γ and β. Every shape is checked before any change."""
        learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_inclusive=True)
        for name, gradients, parameters in (("dW", dW, self.weights), ("db", db, self.biases)):
            if len(gradients) != self.depth or any(np.shape(g) != p.shape for g, p in zip(gradients, parameters)):
                raise ValueError(f"{name} must hold {self.depth} arrays of shapes {[p.shape for p in parameters]}, "
                                 f"got shapes {[np.shape(g) for g in gradients]}")
        for k in range(self.depth):
            self.weights[k] -= learning_rate * dW[k]
            if self.norms[k] is None:
                self.biases[k] -= learning_rate * db[k]
            else:  # the bias before BN is cancelled by BN's centering: β does its job
                self.norms[k].gamma -= learning_rate * self.norms[k].dgamma
                self.norms[k].beta -= learning_rate * self.norms[k].dbeta

    def accuracy(self, X: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of correct predictions, in eval mode (restores the previous mode)."""
        was_training = self.training
        self.eval()
        predictions = self.forward(X).argmax(axis=1)
        if was_training:
            self.train()
        return float(np.mean(predictions == labels))


@dataclass
class ClassifierHistory:
    """Per-epoch record of :func:`train_classifier` (index 0 = before training).

    Attributes
    ----------
    loss : numpy.ndarray, shape (epochs + 1,)
        Mean cross-entropy on the training data (eval mode).
    train_accuracy, test_accuracy : numpy.ndarray, shape (epochs + 1,)
    gradient_norms : numpy.ndarray, shape (epochs + 1, layers)
        ``‖∂L/∂W_k‖`` of every linear layer on a fixed probe batch.
    activation_quantiles : numpy.ndarray, shape (epochs + 1, hidden layers, 5)
        5%, 25%, 50%, 75% and 95% quantiles of every hidden activation's input on the probe batch.
    diverged_at : int or None
        Epoch after which the loss was not finite or above :data:`DIVERGENCE_FACTOR` times its starting value;
        training stopped there.
    measurements : dict of str to numpy.ndarray, shape (epochs + 1, ...)
        What the ``measure`` function of :func:`train_classifier` returned after every epoch, stacked by name
        (empty without one).
    """

    loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    gradient_norms: np.ndarray
    activation_quantiles: np.ndarray
    diverged_at: int | None = None
    measurements: dict[str, np.ndarray] = field(default_factory=dict)


#: ``measure(model, X_probe, y_probe) -> {name: array}``: called on a copy of the model, so it may change it freely.
Measure = Callable[[MLP, np.ndarray, np.ndarray], dict[str, np.ndarray]]


QUANTILES = (5, 25, 50, 75, 95)
#: Training counts as diverged when the loss is not finite or exceeds this many times the loss before training.
DIVERGENCE_FACTOR = 100.0


def _probe(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient norms and activation-input quantiles on one batch, without changing the model's BN statistics."""
    saved = [(n.running_mean.copy(), n.running_var.copy()) for n in model.norms if n is not None]
    _, dW, _ = model.loss_and_gradients(X, y)
    quantiles = np.array([np.percentile(z, QUANTILES) for z in model.activation_inputs])
    for norm, (mean, var) in zip([n for n in model.norms if n is not None], saved):
        norm.running_mean, norm.running_var = mean, var
    return np.array([np.linalg.norm(g) for g in dW]), quantiles


def train_classifier(model: MLP, X: np.ndarray, y: np.ndarray, *, batch_size: int, epochs: int,
                     learning_rate: float, X_test: np.ndarray, y_test: np.ndarray, seed: SeedLike = 0,
                     probe_size: int = 256, warmup_steps: int = 0, measure: Measure | None = None,
                     ) -> ClassifierHistory:
    """Mini-batch SGD on softmax cross-entropy with lesson 01's batching (shuffled, without replacement).

    ``warmup_steps``: the learning rate rises linearly from ``learning_rate / warmup_steps`` to ``learning_rate``
    over the first steps (Goyal et al., 2017), then stays constant.

    ``measure``: called before training and after every epoch, in train mode, on a deep copy of the model and the
    fixed probe batch (``probe_size`` training samples); whatever it does to the copy leaves training unchanged.

    Returns
    -------
    ClassifierHistory
        Stops early, with ``diverged_at`` set, if the loss blows up (see :data:`DIVERGENCE_FACTOR`).
    """
    from .sampling import iter_epochs  # the batching of lesson 01

    check_real("learning_rate", learning_rate, low=0.0)
    for name, data, targets in (("X", X, y), ("X_test", X_test, y_test)):
        check_finite(name, check_array(name, data, ndim=(2,)))
        if np.shape(targets) != (len(data),):
            raise ValueError(f"{'y' if name == 'X' else 'y_test'} must hold one label per sample of {name}: expected "
                             f"shape ({len(data)},), got {np.shape(targets)}")
    rng = as_generator(seed)
    probe = rng.choice(len(X), size=min(probe_size, len(X)), replace=False)
    records, measured = [], []

    def record() -> bool:
        model.eval()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logits = model.forward(X)
            loss = softmax_cross_entropy(logits, y)[0] if np.all(np.isfinite(logits)) else float("inf")
        train_acc = float(np.mean(logits.argmax(axis=1) == y))  # what model.accuracy(X, y) gives, one pass fewer
        test_acc = model.accuracy(X_test, y_test)
        model.train()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            norms, quantiles = _probe(model, X[probe], y[probe])
            if measure is not None:
                measured.append(measure(copy.deepcopy(model), X[probe], y[probe]))
        records.append((loss, train_acc, test_acc, norms, quantiles))
        return bool(np.isfinite(loss)) and loss < DIVERGENCE_FACTOR * records[0][0]

    record()
    diverged, step = None, 0
    for epoch, batches in enumerate(iter_epochs(len(X), batch_size, epochs, seed=rng, drop_last=model.batchnorm), 1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for index in batches:
                step += 1
                rate = learning_rate * min(1.0, step / warmup_steps) if warmup_steps else learning_rate
                _, dW, db = model.loss_and_gradients(X[index], y[index])
                model.sgd_step(dW, db, rate)
        if not record():
            diverged = epoch
            break
    loss, train_acc, test_acc, norms, quantiles = (np.array(column) for column in zip(*records))
    measurements = {name: np.array([m[name] for m in measured]) for name in (measured[0] if measured else {})}
    return ClassifierHistory(loss, train_acc, test_acc, norms, quantiles, diverged, measurements)
