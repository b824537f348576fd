"""Homework 05's network check: affine → batch norm → ReLU → affine, its forward and backward passes and its switch
between train and eval mode, against a reference built from batchkit's batch norm.

The network calls the student's ``batchnorm_forward`` and ``batchnorm_backward`` (exercises 1 to 3); while this
check runs they are references (one mistake costs one exercise), whose cache the network must pass on unopened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..batchnorm import batchnorm_backward, batchnorm_forward
from ._core import CheckFailed, Mistake, Student, _compare, _fail, _passed

__all__ = ["check_batchnorm_network"]  # what batchkit.checks exports

#: What the network exercise asks the student to build, with the batch norm of the exercises before it.
BLOCKED = ("batchnorm.batchnorm_forward", "batchnorm.batchnorm_backward", "batchnorm.batchnorm_backward_from_graph",
           "batchnorm.BatchNorm1d", "norm_layers.BatchNorm2d", "normalization.normalize_forward",
           "normalization.normalize_backward", "normalization.mean_and_variance", "statistics.batch_mean_var",
           "mlp.MLP")
PARAMETERS = ("W1", "b1", "gamma", "beta", "W2", "b2")
SECTION = "see lesson 05, section 3"


class _ReferenceCache:
    """The cache of the reference ``batchnorm_forward``: only the reference ``batchnorm_backward`` reads it."""

    __slots__ = ("cache",)

    def __init__(self, cache) -> None:
        self.cache = cache

    def _opened(self, *args, **kwargs):
        raise CheckFailed("Your network looked inside the cache of batchnorm_forward. This check runs your network "
                          "with reference versions of your batch norm functions, whose cache differs from yours: "
                          "pass the cache to batchnorm_backward unopened, and compute what the network needs (the "
                          "batch mean and variance of z for the running statistics) from z itself.")

    __getitem__ = __iter__ = __len__ = _opened

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy, pickle and friends ask for optional dunders
            raise AttributeError(name)
        self._opened()


def _collaborators(mode: dict[str, str]) -> dict[str, Callable]:
    """References for the student's batch norm functions; ``mode["now"]`` is the mode of the pass being checked."""
    def forward(x, gamma, beta, eps):
        if mode["now"] == "eval":
            _fail("Eval mode", mode["case"], "normalizing with running_mean and running_var",
                  "a call of batchnorm_forward, which normalizes with the batch's own statistics",
                  f"in eval mode every sample is normalized with the running statistics, whatever batch it comes "
                  f"in (and they stay unchanged); {SECTION}")
        out, cache, _, _ = batchnorm_forward(x, gamma, beta, eps)
        return out, _ReferenceCache(cache)

    def backward(dout, cache):
        if not isinstance(cache, _ReferenceCache):
            raise CheckFailed("Your network passed batchnorm_backward something other than the cache that "
                              "batchnorm_forward returned in the last train-mode forward pass.")
        return batchnorm_backward(dout, cache.cache)
    return {"batchnorm_forward": forward, "batchnorm_backward": backward, "batchnorm_backward_staged": backward}


def _cases(seed: int = 514, count: int = 4) -> Iterator[tuple]:
    """Random sizes (hidden size != input size), eps and momentum, parameters, running statistics and batches; the
    last eval batch holds one sample."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        inputs, hidden, classes = int(rng.integers(3, 9)), int(rng.integers(2, 8)), int(rng.integers(2, 6))
        hidden += hidden == inputs
        eps, momentum = float(10 ** rng.uniform(-3, -0.5)), float(rng.choice([rng.uniform(0.02, 0.08),
                                                                             rng.uniform(0.15, 0.45)]))
        params = {"W1": rng.normal(0.0, 1.0, (hidden, inputs)), "b1": rng.normal(0.0, 1.0, hidden),
                  "gamma": rng.normal(1.0, 0.5, hidden), "beta": rng.normal(0.0, 0.5, hidden),
                  "W2": rng.normal(0.0, 1.0, (classes, hidden)), "b2": rng.normal(0.0, 1.0, classes)}
        running = (rng.normal(0.0, 1.0, hidden), rng.uniform(0.5, 2.0, hidden))
        sizes = (int(rng.integers(3, 11)), 1 if number == count - 1 else int(rng.integers(2, 9)),
                 int(rng.integers(3, 11)))
        batches = [rng.normal(0.5, 1.0, (size, inputs)) for size in sizes]
        yield (inputs, hidden, classes), eps, momentum, params, running, batches, rng.standard_normal((sizes[0],
                                                                                                       classes))


def _normalized(z: np.ndarray, params: dict, mean: np.ndarray, var: np.ndarray, eps: float) -> np.ndarray:
    return params["gamma"] * (z - mean) / np.sqrt(var + eps) + params["beta"]


def _head(params: dict, a: np.ndarray, relu: bool = True) -> np.ndarray:
    """The scores from batch norm's output ``a``: ReLU, then the second affine layer."""
    return (np.maximum(a, 0.0) if relu else a) @ params["W2"].T + params["b2"]


def _z(params: dict, X: np.ndarray) -> np.ndarray:
    return X @ params["W1"].T + params["b1"]


def _batch(z: np.ndarray, ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return z.mean(axis=0), z.var(axis=0, ddof=ddof)


def _updated(running: tuple, z: np.ndarray, momentum: float) -> tuple[np.ndarray, np.ndarray]:
    mean, var = _batch(z, ddof=1)
    return tuple((1 - momentum) * old + momentum * new for old, new in zip(running, (mean, var)))


def _train_scores(params: dict, X: np.ndarray, running: tuple, eps: float, momentum: float
                  ) -> tuple[np.ndarray, list[Mistake]]:
    """The scores in train mode, and typical wrong ones."""
    z = _z(params, X)
    right = _head(params, _normalized(z, params, *_batch(z), eps))
    relu_first = np.maximum(z, 0.0)
    batch_stats = ("in train mode batch norm normalizes with the batch's own statistics; the running statistics "
                   "are only updated there, for eval mode")
    return right, [
        (_head(params, z), "the hidden layer skips batch norm: z = x W1ᵀ + b1 goes through batch norm, then ReLU"),
        (_head(params, _normalized(relu_first, params, *_batch(relu_first), eps), relu=False),
         "batch norm comes before the ReLU here: affine → batch norm → ReLU → affine"),
        (_head(params, _normalized(z, params, *_batch(z), eps), relu=False), "the ReLU is missing"),
        (_head(params, _normalized(z, params, *running, eps)), batch_stats),
        (_head(params, _normalized(z, params, *_updated(running, z, momentum), eps)), batch_stats),
        *([(_head(params, _normalized(z, params, *_batch(z), 1e-5)),
            "this is what eps=1e-05 gives: your network ignores net.eps; use the value it was built with")]
          if abs(eps - 1e-5) > 1e-4 else [])]


def _eval_scores(params: dict, X: np.ndarray, running: tuple, eps: float, momentum: float
                 ) -> tuple[np.ndarray, list[Mistake]]:
    """The scores in eval mode, and typical wrong ones."""
    z = _z(params, X)
    mean, var = running
    mistakes = [(_head(params, _normalized(z, params, mean, var, 0.0)), "eps goes inside the square root in eval "
                                                                          "mode too"),
                (_head(params, params["gamma"] * (z - mean) / (var + eps) + params["beta"]),
                 "running_var is a variance: divide by the square root of running_var + eps"),
                (_head(params, (z - mean) / np.sqrt(var + eps)), "gamma and beta are missing in eval mode"),
                (_head(params, _normalized(z, params, *_updated(running, z, momentum), eps)) if len(X) > 1 else None,
                 "eval mode must not update the running statistics: this normalized with statistics that this batch "
                 "updated"),
                (_head(params, _normalized(z, params, *_batch(z), eps)), "in eval mode batch norm normalizes with "
                 "running_mean and running_var, not with the batch's own statistics")]
    if abs(eps - 1e-5) > 1e-4:
        mistakes.append((_head(params, _normalized(z, params, mean, var, 1e-5)),
                         "this is what eps=1e-05 gives: your network ignores net.eps in eval mode"))
    return _head(params, _normalized(z, params, mean, var, eps)), [(v, h) for v, h in mistakes if v is not None]


def _running_mistakes(params: dict, X: np.ndarray, running: tuple, eps: float, momentum: float
                      ) -> list[list[Mistake]]:
    """Typical wrong running (mean, var) after a train-mode pass on ``X``, one list for each."""
    z = _z(params, X)
    mean, unbiased = _batch(z, ddof=1)
    a = _normalized(z, params, *_batch(z), eps)
    weights = [(momentum, 1 - momentum, "in PyTorch momentum is the weight of the NEW batch; you used it as the "
                                        "weight of the old value (the convention of Keras and cs231n)"),
               (0.9, 0.1, "use net.momentum, not a fixed 0.1: your network ignores its momentum"),
               (1.0, 0.0, "train mode updates the running statistics at every forward pass; these are unchanged"),
               (0.0, 1.0, "that is this batch's value alone: the running value also keeps its old value, weighted")]

    def mixed(old: np.ndarray, new: np.ndarray, others: list[Mistake]) -> list[Mistake]:
        return ([(w_old * old + w_new * new, hint) for w_old, w_new, hint in weights]
                + [((1 - momentum) * old + momentum * other, hint) for other, hint in others])
    output = "these are the statistics of batch norm's output; the running statistics are of its input, z = x W1ᵀ + b1"
    return [mixed(running[0], mean, [(mean - params["b1"], "the running mean is of z = x W1ᵀ + b1, with b1"),
                                     (a.mean(axis=0), output)]),
            mixed(running[1], unbiased, [
                (z.var(axis=0), "PyTorch stores the unbiased batch variance (divide by N - 1) in running_var"),
                (np.sqrt(unbiased), "running_var holds a variance, not a standard deviation"),
                (a.var(axis=0, ddof=1), output)])]


def _eval_running_mistakes(params: dict, X: np.ndarray, running: tuple, momentum: float) -> list[list[Mistake]]:
    """Running statistics that an eval-mode pass on ``X`` changed (updated as in train mode)."""
    z = _z(params, X)
    hint = "eval mode must leave running_mean and running_var unchanged; this updated them with the batch"
    mean = ((1 - momentum) * running[0] + momentum * z.mean(axis=0), hint)
    return [[mean], [(_updated(running, z, momentum)[1], hint)] if len(X) > 1 else []]


def _compare_running(net, expected: tuple, mistakes: list[list[Mistake]], case: str, step: str) -> None:
    rule = ("a weighted average of its old value and the batch's statistics of z, with PyTorch's conventions"
            if step == "train" else "unchanged by an eval-mode pass")
    for name, want, wrong in zip(("running_mean", "running_var"), expected, mistakes):
        _compare(f"net.{name} after {'an' if step == 'eval' else 'a'} {step}-mode forward pass", case, want, getattr(net, name, None),
                 f"{name} is {rule}; {SECTION}", wrong)


def _gradient_mistakes(params: dict, X: np.ndarray, dscores: np.ndarray, eps: float) -> dict[str, list[Mistake]]:
    """Typical wrong gradients, by parameter."""
    z = _z(params, X)
    a, cache, _, _ = batchnorm_forward(z, params["gamma"], params["beta"], eps)
    dh = dscores @ params["W2"]
    skipped = dh * (a > 0)  # straight past batch norm
    dz_mask, dgamma_mask, dbeta_mask = batchnorm_backward(dh * (z > 0), cache)
    past_bn = "the gradient must go back through batch norm (your batchnorm_backward) between the ReLU and the first "
    past_bn += "affine layer"
    mask = "the ReLU's mask comes from its own input, batch norm's output, not from z"
    return {"W1": [(skipped.T @ X, past_bn), (dz_mask.T @ X, mask)], "b1": [(skipped.sum(axis=0), past_bn)],
            "gamma": [(dgamma_mask, mask)], "beta": [(dbeta_mask, mask)],
            "W2": [(dscores.T @ a, "dW2 uses the input of the second affine layer, the ReLU's output, not batch "
                                   "norm's output")],
            "b2": [(dscores.mean(axis=0), "db2 is a sum over the batch: the 1/N of the mean loss is already in "
                                         "dscores")]}


def _check_gradients(grads: object, expected: dict, mistakes: dict, case: str) -> None:
    if not isinstance(grads, dict) or set(grads) != set(PARAMETERS):
        keys = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        _fail("grads", case, f"a dict with the keys {', '.join(PARAMETERS)}", keys,
              "return one gradient per parameter, under the parameter's name in net.params")
    for name in PARAMETERS:
        wrong = [*mistakes[name], (-expected[name], "these are minus the gradients: return the gradients; the "
                                                    "training loop subtracts them")]
        _compare(f"grads[{name!r}]", case, expected[name], grads[name],
                 f"grads[{name!r}] has the shape of net.params[{name!r}], {expected[name].shape}, and is the "
                 f"derivative of the loss whose gradient with respect to the scores is dscores", wrong)


def check_batchnorm_network(student: type) -> None:
    """``student(input_size, hidden_size, num_classes, eps=..., momentum=..., seed=...)``: a class with ``params``,
    ``running_mean``, ``running_var``, ``train()``, ``eval()``, ``forward(X) -> scores`` and
    ``backward(dscores) -> grads``, for affine → batch norm → ReLU → affine."""
    mode = {"now": "train", "case": ""}
    missing = [name for name in ("forward", "backward", "train", "eval") if not callable(getattr(student, name, None))]
    if not isinstance(student, type) or missing:
        raise CheckFailed(f"Pass the class itself (TwoLayerBNNet), with the methods forward, backward, train and eval "
                          f"of the exercise{f'; missing: {missing}' if missing else ''}.")
    forward = Student(student.forward, "self, X", BLOCKED, _collaborators(mode))
    backward = Student(student.backward, "self, dscores", BLOCKED, _collaborators(mode))
    for sizes, eps, momentum, params, running, (X, X_eval, X_again), dscores in _cases():
        case = (f"a network of sizes {sizes}, eps={eps:.3g}, momentum={momentum:.3g}, random parameters and running "
                f"statistics")
        net = student(*sizes, eps=eps, momentum=momentum, seed=0)
        net.params = {name: value.copy() for name, value in params.items()}
        net.running_mean, net.running_var = running[0].copy(), running[1].copy()
        for step, batch in (("train", X), ("eval", X_eval), ("train", X_again)):
            mode["now"] = step
            mode["case"] = here = f"{case}, X of shape {batch.shape} in {step} mode"
            net.train() if step == "train" else net.eval()
            expected, wrong = (_train_scores if step == "train" else _eval_scores)(params, batch, running, eps,
                                                                                   momentum)
            _compare(f"scores in {step} mode", here, expected, forward(here, net, batch),
                     f"scores have shape (N, num_classes): affine, batch norm, ReLU, affine; {SECTION}", wrong)
            if step == "train":
                after = _updated(running, _z(params, batch), momentum)
                wrong_running = _running_mistakes(params, batch, running, eps, momentum)
            else:
                after, wrong_running = running, _eval_running_mistakes(params, batch, running, momentum)
            _compare_running(net, after, wrong_running, here, step)
            if step == "train" and batch is X:
                mode["now"] = "backward"
                z = _z(params, X)
                a, cache, _, _ = batchnorm_forward(z, params["gamma"], params["beta"], eps)
                dz, dgamma, dbeta = batchnorm_backward((dscores @ params["W2"]) * (a > 0), cache)
                h = np.maximum(a, 0.0)
                expected_grads = {"W1": dz.T @ X, "b1": dz.sum(axis=0), "gamma": dgamma, "beta": dbeta,
                                  "W2": dscores.T @ h, "b2": dscores.sum(axis=0)}
                _check_gradients(backward(f"{here}, then backward with a random dscores", net, dscores),
                                 expected_grads, _gradient_mistakes(params, X, dscores, eps),
                                 f"{here}, then backward with a random dscores")
            running = after
    _passed()
