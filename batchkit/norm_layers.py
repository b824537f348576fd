"""Normalization layers for images and sequences, lesson 07: BatchNorm2d, LayerNorm and GroupNorm.

All three are :func:`batchkit.normalization.normalize_forward` and :func:`~batchkit.normalization.normalize_backward`
over different axes, followed by a learned scale γ and shift β. They follow PyTorch's conventions:

* ``BatchNorm2d(num_features, eps=1e-5, momentum=0.1)``: x (N, C, H, W), statistics per channel over (N, H, W),
  γ and β of shape (C,), running statistics for eval mode (the only layer here that has them).
* ``LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True)``: statistics per sample over the last
  ``len(normalized_shape)`` axes; γ and β have shape ``normalized_shape`` (one per element, not per channel).
* ``GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)``: x (N, C, ...), statistics per sample over each
  group of C/G channels and all positions; γ and β of shape (C,). G = 1 normalizes like LayerNorm over (C, H, W),
  and G = C is instance normalization.

LayerNorm and GroupNorm compute the same thing in train and eval mode; ``train()`` and ``eval()`` exist so a network
can switch all its layers alike.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_bool, check_finite, check_positive_int, check_real
from .normalization import EPS, NormalizeCache, check_groups, normalize_backward, normalize_forward


class _AffineNormalization:
    """Shared by the layers: ``out = γ x̂ + β``, train/eval mode, and the backward pass through γ, β and x̂.

    Subclasses set ``gamma``, ``beta`` (or None without affine) and implement ``_normalize(x) -> x̂`` (keeping what
    ``_normalize_backward(dx̂) -> dx`` needs) and ``_parameter_view(shape)``, the shape γ broadcasts as.
    """

    gamma: np.ndarray | None
    beta: np.ndarray | None

    def __init__(self, eps: float) -> None:
        self.eps = check_real("eps", eps, low=0.0)
        self.training = True
        self._cache: NormalizeCache | None = None
        self._input_shape: tuple[int, ...] | None = None

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalize ``x`` (shapes in the class docstring); the output has x's shape."""
        x = self._check_input(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        x_hat = self._normalize(x)
        self._input_shape = x.shape
        if self.gamma is None:
            return x_hat
        view = self._parameter_view(x.ndim)
        return self.gamma.reshape(view) * x_hat + self.beta.reshape(view)

    __call__ = forward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradient with respect to the input of the last forward pass; sets ``dgamma`` and ``dbeta``."""
        if self._cache is None:
            raise RuntimeError("backward needs a forward pass in train mode first")
        dout = check_array("dout", dout, ndim=(len(self._input_shape),))
        if dout.shape != self._input_shape:
            raise ValueError(f"dout has shape {dout.shape}: expected {self._input_shape}, the shape of the forward "
                             f"input")
        if self.gamma is None:
            return self._normalize_backward(dout)
        view = self._parameter_view(dout.ndim)
        x_hat = self._cache.x_hat.reshape(dout.shape)
        # γ and β are shared by every axis they do not have: their gradients sum over those axes.
        summed = tuple(axis for axis, size in enumerate(view) if size == 1)
        self.dgamma = (dout * x_hat).sum(axis=summed).reshape(self.gamma.shape)
        self.dbeta = dout.sum(axis=summed).reshape(self.beta.shape)
        return self._normalize_backward(dout * self.gamma.reshape(view))

    def _normalize_backward(self, dx_hat: np.ndarray) -> np.ndarray:
        return normalize_backward(dx_hat, self._cache)

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _normalize(self, x: np.ndarray) -> np.ndarray:
        x_hat, self._cache = normalize_forward(x, self.axes(x.ndim), self.eps)
        return x_hat

    def axes(self, ndim: int) -> tuple[int, ...]:
        """The axes this layer reduces over, for an input of ``ndim`` dimensions."""
        raise NotImplementedError

    def _parameter_view(self, ndim: int) -> tuple[int, ...]:
        raise NotImplementedError


def _affine_parameters(shape: tuple[int, ...], affine: bool,
                       name: str = "affine") -> tuple[np.ndarray | None, np.ndarray | None]:
    if not check_bool(name, affine):
        return None, None
    return np.ones(shape), np.zeros(shape)


class BatchNorm2d(_AffineNormalization):
    """Batch normalization for images: one mean and variance per channel, over the batch and every position.

    Parameters
    ----------
    num_features : int
        C, the number of channels of x (N, C, H, W).
    eps : float
    momentum : float
        Weight of the new batch in the running averages (PyTorch's convention, see :class:`BatchNorm1d`).

    Attributes
    ----------
    gamma, beta : numpy.ndarray, shape (C,)
    running_mean, running_var : numpy.ndarray, shape (C,)
        The running variance stores the **unbiased** variance of the N·H·W values of each channel, as PyTorch does.
    """

    def __init__(self, num_features: int, eps: float = EPS, momentum: float = 0.1) -> None:
        super().__init__(eps)
        self.num_features = check_positive_int("num_features", num_features)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0, low_inclusive=True)
        self.gamma, self.beta = _affine_parameters((self.num_features,), True)
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)

    def axes(self, ndim: int) -> tuple[int, ...]:
        return (0, 2, 3)

    def _parameter_view(self, ndim: int) -> tuple[int, ...]:
        return (1, self.num_features, 1, 1)

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = check_array("x", x, ndim=(4,))
        if x.shape[1] != self.num_features:
            raise ValueError(f"x has {x.shape[1]} channels (x.shape[1]) but this layer normalizes {self.num_features}")
        if self.training:
            values = x.shape[0] * x.shape[2] * x.shape[3]
            if values < 2:
                raise ValueError(f"BatchNorm2d in training mode needs more than 1 value per channel, got x of shape "
                                 f"{x.shape}: N·H·W = {values} (a single value has variance 0; PyTorch raises for "
                                 f"it too)")
            check_finite("x", x)  # before the running statistics are touched
        return x

    def _normalize(self, x: np.ndarray) -> np.ndarray:
        if not self.training:
            # Eval mode: fixed statistics, so each sample's output depends on that sample alone.
            view = self._parameter_view(4)
            self._cache = None
            return (x - self.running_mean.reshape(view)) / np.sqrt(self.running_var.reshape(view) + self.eps)
        x_hat = super()._normalize(x)
        values = x.size // self.num_features  # N·H·W per channel
        unbiased_var = self._cache.var.ravel() * values / (values - 1)
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * self._cache.mean.ravel()
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * unbiased_var
        return x_hat

    def __repr__(self) -> str:
        mode = "train" if self.training else "eval"
        return f"BatchNorm2d({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}, mode={mode})"


class LayerNorm(_AffineNormalization):
    """Layer normalization: one mean and variance per sample, over its last ``len(normalized_shape)`` axes.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape of x to normalize over: D for x (N, D), (C, H, W) for images x (N, C, H, W).
    eps : float
    elementwise_affine : bool
        Learn γ and β of shape ``normalized_shape`` (one per element, as PyTorch does).
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = EPS,
                 elementwise_affine: bool = True) -> None:
        super().__init__(eps)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        if isinstance(normalized_shape, (str, bytes)) or np.ndim(normalized_shape) != 1 or not len(normalized_shape):
            raise ValueError(f"normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}")
        self.normalized_shape = tuple(check_positive_int(f"normalized_shape[{k}]", size)
                                      for k, size in enumerate(normalized_shape))
        self.gamma, self.beta = _affine_parameters(self.normalized_shape, elementwise_affine, "elementwise_affine")

    def axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(ndim - len(self.normalized_shape), ndim))

    def _parameter_view(self, ndim: int) -> tuple[int, ...]:
        return (1,) * (ndim - len(self.normalized_shape)) + self.normalized_shape

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = check_array("x", x, ndim=tuple(range(len(self.normalized_shape) + 1, 9)))
        if x.shape[-len(self.normalized_shape):] != self.normalized_shape:
            raise ValueError(f"x has shape {x.shape}, whose last {len(self.normalized_shape)} axes are not "
                             f"normalized_shape={self.normalized_shape}: expected (N, *{self.normalized_shape})")
        return x

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps:g}, affine={self.gamma is not None})"


class GroupNorm(_AffineNormalization):
    """Group normalization (Wu & He, 2018): per sample, one mean and variance for each group of C/G channels.

    Parameters
    ----------
    num_groups : int
        G; it must divide ``num_channels``. G = 1 normalizes like LayerNorm over (C, H, W); G = C is instance
        normalization.
    num_channels : int
        C, for x of shape (N, C, ...).
    eps : float
    affine : bool
        Learn γ and β of shape (C,), one per channel.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = EPS, affine: bool = True) -> None:
        super().__init__(eps)
        self.num_channels = check_positive_int("num_channels", num_channels)
        self.num_groups = check_groups(num_groups, self.num_channels)
        self.gamma, self.beta = _affine_parameters((self.num_channels,), affine)

    def axes(self, ndim: int) -> tuple[int, ...]:
        # Of the grouped view (N, G, C/G, ...): everything but the sample and the group.
        return tuple(range(2, ndim + 1))

    def _parameter_view(self, ndim: int) -> tuple[int, ...]:
        return (1, self.num_channels) + (1,) * (ndim - 2)

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = check_array("x", x, ndim=tuple(range(2, 8)))  # the grouped view has one axis more, at most 8
        if x.shape[1] != self.num_channels:
            raise ValueError(f"x has {x.shape[1]} channels (x.shape[1]) but this layer has num_channels="
                             f"{self.num_channels}")
        return x

    def _grouped(self, x: np.ndarray) -> np.ndarray:
        """View x (N, C, ...) as (N, G, C/G, ...): a group's values then sit on axes 2 and after."""
        n, c = x.shape[:2]
        return x.reshape((n, self.num_groups, c // self.num_groups) + x.shape[2:])

    def _normalize(self, x: np.ndarray) -> np.ndarray:
        x_hat, self._cache = normalize_forward(self._grouped(x), self.axes(x.ndim), self.eps)
        return x_hat.reshape(x.shape)

    def _normalize_backward(self, dx_hat: np.ndarray) -> np.ndarray:
        return super()._normalize_backward(self._grouped(dx_hat)).reshape(dx_hat.shape)

    def __repr__(self) -> str:
        return f"GroupNorm({self.num_groups}, {self.num_channels}, eps={self.eps:g}, affine={self.gamma is not None})"
