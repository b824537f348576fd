"""A small convolutional network for the 8×8 digits, with a choice of normalization (lesson 07).

Every block is ``conv 3×3, padding 1 → [normalization] → ReLU``; then global average pooling, a linear layer to
the 10 classes and softmax cross-entropy. The normalization (:mod:`batchkit.norm_layers`) is the lesson's variable:
``"batch"`` (BatchNorm2d: per channel, over N, H, W), ``"layer"`` (LayerNorm((C, size, size)): per sample, over C, H, W,
with a scale and shift per element as in PyTorch), ``"group"`` (GroupNorm: per sample and group of channels),
``"instance"`` (GroupNorm with one channel per group: per sample and channel, over H, W) or ``"none"``.
Only batch norm mixes the samples of a batch; the others treat every sample alone, in training as in evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (SeedLike, as_generator, check_array, check_choice, check_finite, check_positive_int,
                          check_real)
from .activations import relu, relu_backward
from .conv import conv2d_backward, conv2d_forward, global_average_pool_backward, global_average_pool_forward
from .linear import linear_backward, linear_forward
from .losses import softmax_cross_entropy
from .mlp import DIVERGENCE_FACTOR
from .norm_layers import BatchNorm2d, GroupNorm, LayerNorm
from .sampling import iter_epochs

NORMALIZATIONS = ("none", "batch", "layer", "group", "instance")
IMAGE_SIZE, CLASSES, KERNEL = 8, 10, 3
#: Samples per forward pass when evaluating: eval mode treats samples independently, so chunks change nothing
#: but the memory (the second layer's im2col matrix is 9·C·64 numbers per sample).
EVAL_CHUNK = 256


def make_normalization(kind: str, channels: int, groups: int,
                       size: int = IMAGE_SIZE) -> BatchNorm2d | LayerNorm | GroupNorm | None:
    """The normalization layer ``kind`` for ``channels`` channels of size×size pixels, or None for ``"none"``."""
    layers = {"none": lambda: None, "batch": lambda: BatchNorm2d(channels),
              "layer": lambda: LayerNorm((channels, size, size)),
              "group": lambda: GroupNorm(groups, channels),
              "instance": lambda: GroupNorm(channels, channels)}  # instance norm: one channel per group
    return layers[kind]()


class ConvNet:
    """``(N, 1, 8, 8) → [conv 3×3 → norm → ReLU] per entry of channels → global average pool → linear (10)``.

    Parameters
    ----------
    channels : tuple of int
        Output channels of each convolution, e.g. (16, 16): two blocks.
    normalization : {"none", "batch", "layer", "group", "instance"}
    groups : int
        Groups of GroupNorm (``normalization="group"``); must divide every entry of ``channels``.
    seed : int or numpy.random.Generator
        For the initial weights: He normal for the convolutions, ``1/√fan_in`` for the linear layer (as
        :class:`~batchkit.mlp.MLP`), zero biases; γ = 1 and β = 0 in the norm layers.
    strides : tuple of int or None
        Stride of each convolution (all 1 by default). Stride 2 halves the image: lesson 07 uses
        ``channels=(16, 32, 32), strides=(1, 2, 2)`` (8×8, 4×4, 2×2), so that the last layer sees the whole digit.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 16), normalization: str = "none", groups: int = 4,
                 seed: SeedLike = 0, strides: tuple[int, ...] | None = None) -> None:
        if isinstance(channels, (str, bytes)) or np.ndim(channels) != 1 or len(channels) == 0:
            raise ValueError(f"channels must be a non-empty tuple of positive integers, e.g. (16, 16): {channels!r}")
        self.channels = tuple(check_positive_int(f"channels[{k}]", c) for k, c in enumerate(channels))
        self.normalization = check_choice("normalization", normalization, NORMALIZATIONS)
        self.groups = check_positive_int("groups", groups)
        if normalization == "group" and any(c % self.groups for c in self.channels):
            raise ValueError(f"groups={self.groups} must divide the channels of every layer, got {self.channels}")
        if strides is not None and (isinstance(strides, (str, bytes)) or np.ndim(strides) != 1):
            raise TypeError(f"strides must be a tuple of ints, one per layer of channels={self.channels}, "
                            f"got {strides!r}")
        self.strides = (1,) * len(self.channels) if strides is None else tuple(
            check_positive_int(f"strides[{k}]", v) for k, v in enumerate(strides))
        if len(self.strides) != len(self.channels):
            raise ValueError(f"strides must give one stride per layer of channels={self.channels}, got {strides!r}")
        sizes, size = [], IMAGE_SIZE
        for stride in self.strides:
            size = (size + 2 - KERNEL) // stride + 1  # padding 1
            sizes.append(size)
        self.sizes = tuple(sizes)
        rng = as_generator(seed)
        shapes = [(c_out, c_in, KERNEL, KERNEL) for c_in, c_out in zip((1, *self.channels), self.channels)]
        # He (Kaiming) normal: std √(2 / fan_in) with fan_in = C_in·3·3, the inputs of one output pixel.
        self.conv_weights = [np.sqrt(2.0 / np.prod(shape[1:])) * rng.standard_normal(shape) for shape in shapes]
        # The conv biases are kept and trained even with a norm after them, as PyTorch's Conv2d does by default.
        # A norm subtracts a mean that the bias shifts: batch and instance norm remove a per-channel constant
        # entirely, so these biases get a zero gradient (up to rounding); layer and group norm subtract a mean over
        # several channels, which cancels part of it.
        self.conv_biases = [np.zeros(c) for c in self.channels]
        self.norms = [make_normalization(self.normalization, c, self.groups, size)
                      for c, size in zip(self.channels, self.sizes)]
        self.linear_weight = rng.standard_normal((CLASSES, self.channels[-1])) / np.sqrt(self.channels[-1])
        self.linear_bias = np.zeros(CLASSES)
        self.training, self._cache = True, None

    def parameters(self) -> dict[str, np.ndarray]:
        """Every trained array by name (the arrays themselves, not copies): ``conv1.weight``, ``conv1.bias``,
        ``norm1.gamma``, ``norm1.beta`` (with a norm), ..., ``linear.weight``, ``linear.bias``."""
        params = {}
        for k, (weight, bias, norm) in enumerate(zip(self.conv_weights, self.conv_biases, self.norms), 1):
            params[f"conv{k}.weight"], params[f"conv{k}.bias"] = weight, bias
            if norm is not None:
                params[f"norm{k}.gamma"], params[f"norm{k}.beta"] = norm.gamma, norm.beta
        params["linear.weight"], params["linear.bias"] = self.linear_weight, self.linear_bias
        return params

    def train(self) -> ConvNet:
        """Train mode: batch norm uses the batch's statistics and updates its running averages."""
        return self._set_mode(True)

    def eval(self) -> ConvNet:
        """Eval mode: batch norm uses its running averages (the other norms compute the same in both modes)."""
        return self._set_mode(False)

    def _set_mode(self, training: bool) -> ConvNet:
        self.training = training
        for norm in self.norms:
            if norm is not None:
                norm.train() if training else norm.eval()
        return self

    @staticmethod
    def _as_images(X: np.ndarray) -> np.ndarray:
        """(N, 64) rows or (N, 1, 8, 8) images -> float64 images (N, 1, 8, 8)."""
        X = check_array("X", X, ndim=(2, 4))
        pixels = IMAGE_SIZE * IMAGE_SIZE
        if (X.ndim == 2 and X.shape[1] != pixels) or (X.ndim == 4 and X.shape[1:] != (1, IMAGE_SIZE, IMAGE_SIZE)):
            raise ValueError(f"X must hold 8×8 grey images, as rows of shape (N, {pixels}) or as (N, 1, 8, 8), "
                             f"got shape {X.shape}")
        return X.reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE).astype(np.float64, copy=False)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits (N, 10) for X (N, 64) or (N, 1, 8, 8). In train mode, keeps what :meth:`backward` needs.

        Keeps every convolution's output, the input of its normalization, in ``conv_outputs[k]``
        (shape (N, channels[k], size, size)), for lesson 07's measurements.
        """
        h = self._as_images(X)
        cache, self.conv_outputs = [], []
        for weight, bias, norm, stride in zip(self.conv_weights, self.conv_biases, self.norms, self.strides):
            z, conv_cache = conv2d_forward(h, weight, bias, stride=stride, padding=1)  # stride 1 keeps the size
            self.conv_outputs.append(z)  # the normalization's input
            if norm is not None:
                z = norm(z)
            cache.append((conv_cache, z))
            h = relu(z)
        pooled = global_average_pool_forward(h)  # (N, channels[-1])
        self._cache = (cache, h.shape, pooled) if self.training else None  # eval mode: nothing to keep
        return linear_forward(pooled, self.linear_weight, self.linear_bias)

    def backward(self, dlogits: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of every parameter, by the names of :meth:`parameters`, given ∂L/∂logits (N, 10)."""
        if self._cache is None:
            raise RuntimeError("backward needs a forward pass in train mode first (call model.train())")
        cache, last_shape, pooled = self._cache
        dpooled, dweight, dbias = linear_backward(dlogits, pooled, self.linear_weight)
        grads = {"linear.weight": dweight, "linear.bias": dbias}
        grad = global_average_pool_backward(dpooled, last_shape)
        for k in reversed(range(len(self.channels))):  # a loop over layers, last first
            conv_cache, z = cache[k]
            grad = relu_backward(grad, z)
            if self.norms[k] is not None:
                grad = self.norms[k].backward(grad)
                grads[f"norm{k + 1}.gamma"], grads[f"norm{k + 1}.beta"] = self.norms[k].dgamma, self.norms[k].dbeta
            grad, grads[f"conv{k + 1}.weight"], grads[f"conv{k + 1}.bias"] = conv2d_backward(
                grad, conv_cache, input_gradient=k > 0)  # the first layer's input is data: no gradient needed
        return {name: grads[name] for name in self.parameters()}

    def loss_and_gradients(self, X: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy of the batch and the gradients of every parameter (see :meth:`backward`)."""
        loss, dlogits = softmax_cross_entropy(self.forward(X), labels)
        return loss, self.backward(dlogits)

    def sgd_step(self, grads: dict[str, np.ndarray], learning_rate: float) -> None:
        """``θ := θ - α ∂L/∂θ`` for every parameter, norms' γ and β included. Everything is checked first."""
        learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_inclusive=True)
        params = self.parameters()
        expected = {name: p.shape for name, p in params.items()}
        got = {name: np.shape(g) for name, g in grads.items()} if isinstance(grads, dict) else type(grads).__name__
        if got != expected:
            raise ValueError(f"grads must map every parameter name to its gradient, shapes {expected}; got {got}")
        for name, param in params.items():
            param -= learning_rate * grads[name]  # in place: the arrays are the model's own

    def eval_logits(self, X: np.ndarray) -> np.ndarray:
        """Logits (N, 10) in eval mode, computed :data:`EVAL_CHUNK` samples at a time; the mode is restored."""
        images, was_training = self._as_images(X), self.training
        self.eval()
        try:
            chunks = [self.forward(images[start:start + EVAL_CHUNK]) for start in range(0, len(images), EVAL_CHUNK)]
        finally:
            self._set_mode(was_training)
        return np.concatenate(chunks) if chunks else np.zeros((0, CLASSES))

    def accuracy(self, X: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of correct predictions, in eval mode (restores the previous mode)."""
        labels = check_array("labels", labels, ndim=(1,))
        if len(labels) != len(X):
            raise ValueError(f"labels must hold one label per sample: X has {len(X)} samples, labels {len(labels)}")
        return float(np.mean(self.eval_logits(X).argmax(axis=1) == labels))


@dataclass
class ConvHistory:
    """Per-epoch record of :func:`train_convnet`, index 0 before training; arrays of shape (epochs + 1,).

    ``loss`` is the mean cross-entropy on the training data in eval mode (``inf`` if the forward pass overflowed;
    the accuracies are NaN then). ``diverged_at``: the epoch in which the loss blew up (see :func:`train_convnet`),
    or None; the arrays end there, ``diverged_at + 1`` long.
    """

    loss: np.ndarray
    train_accuracy: np.ndarray
    eval_accuracy: np.ndarray
    diverged_at: int | None = None


def _evaluate(model: ConvNet, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Eval-mode mean cross-entropy and accuracy; (inf, NaN) when the forward pass overflows."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            logits = model.eval_logits(X)
    except FloatingPointError:
        return float("inf"), float("nan")
    return softmax_cross_entropy(logits, y)[0], float(np.mean(logits.argmax(axis=1) == y))


def _train_epoch(model: ConvNet, X: np.ndarray, y: np.ndarray, batches: list[np.ndarray], learning_rate: float,
                 limit: float) -> bool:
    """One epoch of SGD steps; False as soon as a batch's loss is not below ``limit`` or a number overflows."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            for index in batches:
                loss, grads = model.loss_and_gradients(X[index], y[index])
                if not loss < limit:  # NaN too
                    return False
                model.sgd_step(grads, learning_rate)
    except FloatingPointError:
        return False
    return True


def train_convnet(model: ConvNet, X: np.ndarray, y: np.ndarray, *, batch_size: int, epochs: int,
                  learning_rate: float, X_eval: np.ndarray, y_eval: np.ndarray, seed: SeedLike = 0) -> ConvHistory:
    """Mini-batch SGD with lesson 01's batching: shuffled, without replacement, and for batch norm without the
    last, smaller batch (every batch the same size). ``seed`` sets the order of the samples.

    Training stops, with ``diverged_at`` set, when a batch's loss or the training loss after an epoch is not
    finite or exceeds :data:`~batchkit.mlp.DIVERGENCE_FACTOR` times the loss before training, or when a number
    overflows (numpy raises then, so no infinity or NaN reaches the norm layers or the weights). Divergence is
    reported, never raised.

    X, X_eval : (m, 64) or (m, 1, 8, 8); y, y_eval : int labels, shape (m,); learning_rate > 0.
    """
    if not isinstance(model, ConvNet):
        raise TypeError(f"model must be a ConvNet, got {type(model).__name__}")
    learning_rate = check_real("learning_rate", learning_rate, low=0.0)
    X, X_eval = (check_finite(name, model._as_images(data)) for name, data in (("X", X), ("X_eval", X_eval)))
    y, y_eval = np.asarray(y), np.asarray(y_eval)
    for name, data, targets in (("y", X, y), ("y_eval", X_eval, y_eval)):
        if targets.shape != (len(data),):
            raise ValueError(f"{name} must hold one label per sample: expected shape ({len(data)},), "
                             f"got {targets.shape}")
        if not np.issubdtype(targets.dtype, np.integer) or targets.min() < 0 or targets.max() >= CLASSES:
            raise ValueError(f"{name} must hold integer class labels 0 to {CLASSES - 1}, got values from "
                             f"{targets.min()} to {targets.max()} of dtype {targets.dtype}")
    batches_of_epochs = iter_epochs(len(X), batch_size, epochs, seed=as_generator(seed),
                                    drop_last=model.normalization == "batch")  # checks batch_size and epochs
    records = []  # (training loss, training accuracy, eval accuracy) per epoch

    def record() -> bool:
        records.append((*_evaluate(model, X, y), _evaluate(model, X_eval, y_eval)[1]))
        return records[-1][0] < DIVERGENCE_FACTOR * records[0][0]  # False for inf and NaN too

    record()
    diverged = None
    model.train()  # record() restores the mode it found, so train mode once is enough
    for epoch, batches in enumerate(batches_of_epochs, 1):
        stable = _train_epoch(model, X, y, batches, learning_rate, DIVERGENCE_FACTOR * records[0][0])
        if not record() or not stable:
            diverged = epoch
            break
    loss, train_accuracy, eval_accuracy = (np.array(column) for column in zip(*records))
    return ConvHistory(loss, train_accuracy, eval_accuracy, diverged)
