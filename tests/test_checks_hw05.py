"""Homework 05's checks: right answers pass, each recognised mistake fails with its hint, and answers that call
batchkit, change an input in place, ignore eps or momentum, or lean on another exercise's function fail."""

from __future__ import annotations

import types

import numpy as np
import pytest

import batchkit
import batchkit.batchnorm
import batchkit.mlp
from batchkit import checks
from batchkit.losses import softmax_cross_entropy

# Right answers (the instructor notebook's solutions, written independently of batchkit) ----------------------------


def batchnorm_forward(x, gamma, beta, eps):
    n = x.shape[0]
    mean = x.sum(axis=0) / n
    centered = x - mean
    var = (centered**2).sum(axis=0) / n
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = centered * inv_std
    return gamma * x_hat + beta, (x_hat, centered, inv_std, gamma)


def batchnorm_backward_staged(dout, cache):
    x_hat, centered, inv_std, gamma = cache
    n = dout.shape[0]
    dx_hat = gamma * dout
    dvar = -0.5 * inv_std**3 * (dx_hat * centered).sum(axis=0)
    dcentered = dx_hat * inv_std + dvar * 2.0 * centered / n
    dx = dcentered - dcentered.sum(axis=0) / n
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward(dout, cache):
    x_hat, _, inv_std, gamma = cache
    n = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return gamma * inv_std / n * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta


class TwoLayerBNNet:
    def __init__(self, input_size, hidden_size, num_classes, eps=1e-5, momentum=0.1, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.standard_normal((hidden_size, input_size)) / np.sqrt(input_size),
                       "b1": np.zeros(hidden_size), "gamma": np.ones(hidden_size), "beta": np.zeros(hidden_size),
                       "W2": rng.standard_normal((num_classes, hidden_size)) / np.sqrt(hidden_size),
                       "b2": np.zeros(num_classes)}
        self.running_mean, self.running_var = np.zeros(hidden_size), np.ones(hidden_size)
        self.eps, self.momentum = eps, momentum
        self.training = True

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def loss(self, X, y):
        loss, dscores = softmax_cross_entropy(self.forward(X), y)
        return loss, self.backward(dscores)

    def hidden(self, X):
        return X @ self.params["W1"].T + self.params["b1"]

    def update(self, z, momentum=None, var=None):
        m = self.momentum if momentum is None else momentum
        var = z.var(axis=0, ddof=1) if var is None else var
        self.running_mean = (1 - m) * self.running_mean + m * z.mean(axis=0)
        self.running_var = (1 - m) * self.running_var + m * var

    def normalize_eval(self, z, eps=None):
        eps = self.eps if eps is None else eps
        return self.params["gamma"] * (z - self.running_mean) / np.sqrt(self.running_var + eps) + self.params["beta"]

    def forward(self, X):
        z = self.hidden(X)
        if self.training:
            a, self.bn_cache = batchnorm_forward(z, self.params["gamma"], self.params["beta"], self.eps)
            self.update(z)
        else:
            a = self.normalize_eval(z)
        return self.head(X, a)

    def head(self, X, a):
        h = np.maximum(a, 0.0)
        self.saved = (X, a, h)
        return h @ self.params["W2"].T + self.params["b2"]

    def backward(self, dscores):
        X, a, h = self.saved
        dz, dgamma, dbeta = batchnorm_backward((dscores @ self.params["W2"]) * (a > 0), self.bn_cache)
        return {"W1": dz.T @ X, "b1": dz.sum(axis=0), "gamma": dgamma, "beta": dbeta,
                "W2": dscores.T @ h, "b2": dscores.sum(axis=0)}


RIGHT = [(checks.check_batchnorm_forward_cache, batchnorm_forward),
         (checks.check_batchnorm_backward_staged, batchnorm_backward_staged),
         (checks.check_batchnorm_backward_compact, batchnorm_backward),
         (checks.check_batchnorm_network, TwoLayerBNNet)]


@pytest.mark.parametrize(("check", "right"), RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out == checks.PASSED + "\n"


def test_the_network_check_passes_without_the_students_batchnorm():
    """The network check replaces the student's batch norm functions by references: a network whose batch norm
    functions are unfinished (as in the student version) still passes."""
    namespace = {"np": np, "softmax_cross_entropy": softmax_cross_entropy}

    def unfinished(*args):
        raise NotImplementedError()
    namespace.update(batchnorm_forward=unfinished, batchnorm_backward=unfinished)
    network = _in_namespace(TwoLayerBNNet, namespace)
    assert checks.check_batchnorm_network(network) is None


def _in_namespace(cls, namespace, **methods):
    """A subclass of ``cls`` whose methods (its own and ``methods``) look up globals in ``namespace``, as if the
    class had been defined in a notebook with those globals."""
    functions = {name: value for name, value in vars(cls).items() if isinstance(value, types.FunctionType)}
    functions.update(methods)
    rebound = {name: types.FunctionType(f.__code__, namespace, name, f.__defaults__, f.__closure__)
               for name, f in functions.items()}
    return type(cls.__name__, (cls,), rebound)


def _failure(check, wrong) -> str:
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    return str(failure.value)


# Wrong forward passes ----------------------------------------------------------------------------------------------


def _forward(ddof=0, eps_outside=False, affine=True, swapped=False, axis=0, fixed_eps=None, dtype=None, tuple_=True):
    def forward(x, gamma, beta, eps):
        if dtype is not None:
            x, gamma, beta = (a.astype(dtype) for a in (x, gamma, beta))
        eps = eps if fixed_eps is None else fixed_eps
        centered = x - x.mean(axis=axis, keepdims=True)
        std = np.sqrt(x.var(axis=axis, keepdims=True, ddof=ddof) + (0 if eps_outside else eps))
        x_hat = centered / (std + (eps if eps_outside else 0))
        out = (beta * x_hat + gamma if swapped else gamma * x_hat + beta) if affine else x_hat
        return (out, (x_hat, centered, 1 / std, gamma)) if tuple_ else out
    return forward


FORWARD_MISTAKES = [
    (_forward(ddof=1), "unbiased variance"),
    (_forward(eps_outside=True), "eps goes inside the square root"),
    (_forward(affine=False), "gamma and beta are missing"),
    (_forward(swapped=True), "gamma and beta are swapped"),
    (_forward(axis=1), "these statistics are per sample"),
    (_forward(tuple_=False), "return the 2 values together, in this order: out, cache"),
    (_forward(dtype=np.float64), "float32 in should give float32 out"),
    (_forward(fixed_eps=1e-5), "ignores its `eps` argument"),
]


@pytest.mark.parametrize(("wrong", "hint"), FORWARD_MISTAKES, ids=[h for _, h in FORWARD_MISTAKES])
def test_a_wrong_forward_fails_with_its_hint(wrong, hint):
    message = _failure(checks.check_batchnorm_forward_cache, wrong)
    assert "Hint:" in message and hint in message, message


# Wrong backward passes ---------------------------------------------------------------------------------------------


def _staged(mean_share=True, var_share="N", power=3, sign=-1, half=0.5, var_path=True):
    def backward(dout, cache):
        x_hat, centered, inv_std, gamma = cache
        n = dout.shape[0]
        dx_hat = gamma * dout
        dvar = sign * half * inv_std**power * (dx_hat * centered).sum(axis=0)
        per_var = {"N": 1 / n, "N-1": 1 / (n - 1), "none": 1.0}[var_share]
        dcentered = dx_hat * inv_std + (dvar * 2.0 * centered * per_var if var_path else 0)
        dmean = -dcentered.sum(axis=0)
        dx = dcentered + (dmean / n if mean_share else dmean)
        return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    return backward


def _compact(mean_term=True, variance_term=True, dgamma_mean=False, dbeta_axis=0, fixed_eps=None, dtype=None):
    def backward(dout, cache):
        x_hat, centered, inv_std, gamma = cache
        if fixed_eps is not None:  # recomputes the statistics from the cache, with its own eps
            inv_std = 1.0 / np.sqrt((centered**2).mean(axis=0) + fixed_eps)
            x_hat = centered * inv_std
        if dtype is not None:
            dout = dout.astype(dtype)
        n = dout.shape[0]
        dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
        dx = gamma * inv_std / n * (n * dout - (dbeta if mean_term else 0) - (x_hat * dgamma if variance_term else 0))
        return dx, dgamma / n if dgamma_mean else dgamma, dout.sum(axis=dbeta_axis)
    return backward


STAGED_MISTAKES = [
    (_staged(mean_share=False), "the mean node"),
    (_staged(var_share="none"), "the var node: σ² is a mean over the N samples"),
    (_staged(var_share="N-1"), "the var node divides by N - 1 here"),
    (_staged(power=1), "has the power -3/2"),
    (_staged(sign=1), "the sign of the inv_std node"),
    (_staged(half=1.0), "carries a factor 1/2"),
    (_staged(var_path=False), "the variance term is missing"),
]
COMPACT_MISTAKES = [
    (_compact(mean_term=False), "the mean term is missing"),
    (_compact(mean_term=False, variance_term=False), "treats μ and σ² as constants"),
    (_compact(dgamma_mean=True), "dgamma is the sum over the batch"),
    (_compact(dbeta_axis=1), "summed over the features"),
    (_compact(fixed_eps=1e-5), "this dx is what eps=1e-05 gives"),
    (_compact(dtype=np.float64), "float32 in should give float32 out"),
]
BACKWARD_MISTAKES = ([(checks.check_batchnorm_backward_staged, *m) for m in STAGED_MISTAKES]
                     + [(checks.check_batchnorm_backward_compact, *m) for m in COMPACT_MISTAKES])


@pytest.mark.parametrize(("check", "wrong", "hint"), BACKWARD_MISTAKES,
                         ids=[f"{c.__name__}-{h}" for c, _, h in BACKWARD_MISTAKES])
def test_a_wrong_backward_fails_with_its_hint(check, wrong, hint):
    message = _failure(check, wrong)
    assert "Hint:" in message and hint in message, message


def _with_globals(function, **names):
    """``function`` as if defined in a notebook whose globals are this module's plus ``names``."""
    return types.FunctionType(function.__code__, {**globals(), **names}, function.__name__)


def test_a_wrong_forward_is_blamed_on_the_forward_not_on_a_right_backward():
    def shifted(x, gamma, beta, eps):
        out, cache = batchnorm_forward(x, gamma, beta, eps)
        return out + 0.5, cache  # a wrong output with a usable cache
    for check, right in RIGHT[1:3]:
        message = _failure(check, _with_globals(right, batchnorm_forward=shifted))
        assert "batchnorm_forward does not give the right output yet" in message, message


def test_a_backward_check_needs_the_students_forward():
    namespace = {"np": np}
    exec("def batchnorm_backward(dout, cache):\n    return cache\n", namespace)  # noqa: S102
    assert "define it in the notebook first" in _failure(checks.check_batchnorm_backward_compact,
                                                         namespace["batchnorm_backward"])


def test_each_backward_is_written_out_not_borrowed_from_the_other():
    def compact_via_staged(dout, cache):
        return batchnorm_backward_staged(dout, cache)

    def staged_via_compact(dout, cache):
        return batchnorm_backward(dout, cache)
    assert "calls your batchnorm_backward_staged" in _failure(checks.check_batchnorm_backward_compact,
                                                              compact_via_staged)
    assert "calls your batchnorm_backward:" in _failure(checks.check_batchnorm_backward_staged, staged_via_compact)


def test_calling_batchkit_fails():
    def forward(x, gamma, beta, eps):
        out, cache, _, _ = batchkit.batchnorm.batchnorm_forward(x, gamma, beta, eps)
        return out, cache

    def backward(dout, cache):
        return batchkit.batchnorm.batchnorm_backward_from_graph(dout, cache[1] + 0, cache[3], 1e-5)

    def network_forward(self, X):
        layer = batchkit.batchnorm.BatchNorm1d(len(self.params["gamma"]), self.eps, self.momentum)
        return TwoLayerBNNet.head(self, X, layer(self.hidden(X)))
    assert "without calling batchkit.batchnorm.batchnorm_forward" in _failure(
        checks.check_batchnorm_forward_cache, forward)
    assert "without calling batchkit.batchnorm.batchnorm_backward_from_graph" in _failure(
        checks.check_batchnorm_backward_staged, backward)
    assert "without calling batchkit.batchnorm.BatchNorm1d" in _failure(
        checks.check_batchnorm_network, type("Net", (TwoLayerBNNet,), {"forward": network_forward}))


def test_changing_an_input_in_place_fails():
    def forward(x, gamma, beta, eps):
        x -= x.mean(axis=0)
        return batchnorm_forward(x, gamma, beta, eps)

    def backward(dout, cache):
        result = batchnorm_backward(dout, cache)
        dout *= 0
        return result

    def network_forward(self, X):
        X -= 0.5
        return TwoLayerBNNet.forward(self, X + 0.5)
    assert "changed its input `x` in place" in _failure(checks.check_batchnorm_forward_cache, forward)
    assert "changed its input `dout` in place" in _failure(checks.check_batchnorm_backward_compact, backward)
    assert "changed its input `X` in place" in _failure(
        checks.check_batchnorm_network, type("Net", (TwoLayerBNNet,), {"forward": network_forward}))


# Wrong networks ----------------------------------------------------------------------------------------------------


def _net(**methods):
    return type("Net", (TwoLayerBNNet,), methods)


def _train_forward(self, X, normalize):
    """A forward pass whose train mode computes batch norm's output with ``normalize(self, z)``."""
    z = self.hidden(X)
    if not self.training:
        return self.head(X, self.normalize_eval(z))
    a = normalize(self, z)
    self.update(z)
    return self.head(X, a)


def _eval_forward(normalize=None, update=None):
    """A forward pass whose eval mode normalizes with ``normalize(self, z)``, after updating the running statistics
    (``update="before"``) or after normalizing with the old ones (``update="after"``)."""
    def forward(self, X):
        if self.training:
            return TwoLayerBNNet.forward(self, X)
        z = self.hidden(X)
        if update == "before":
            self.update(z)
        a = (normalize or TwoLayerBNNet.normalize_eval)(self, z)
        if update == "after":
            self.update(z)
        return self.head(X, a)
    return forward


def _batch_norm(self, z, eps=None):
    return batchnorm_forward(z, self.params["gamma"], self.params["beta"], self.eps if eps is None else eps)[0]


def _update_forward(**update):
    def forward(self, X):
        z = self.hidden(X)
        if not self.training:
            return self.head(X, self.normalize_eval(z))
        a, self.bn_cache = batchnorm_forward(z, self.params["gamma"], self.params["beta"], self.eps)
        self.update(update.get("z", lambda self, z, a: z)(self, z, a), **{k: v(self, z, a) if callable(v) else v
                                                                          for k, v in update.items() if k != "z"})
        return self.head(X, a)
    return forward


def _backward_with(da_of=None, dz_of=None, transform=None):
    def backward(self, dscores):
        X, a, h = self.saved
        dh = dscores @ self.params["W2"]
        da = dh * (a > 0) if da_of is None else da_of(self, dh, X)
        dz, dgamma, dbeta = batchnorm_backward(da, self.bn_cache) if dz_of is None else (da, 0 * a[0], 0 * a[0])
        grads = {"W1": dz.T @ X, "b1": dz.sum(axis=0), "gamma": dgamma, "beta": dbeta,
                 "W2": dscores.T @ h, "b2": dscores.sum(axis=0)}
        return grads if transform is None else transform(grads, dscores, a)
    return backward


def _bn_after_relu_forward(self, X):
    if not self.training:
        return TwoLayerBNNet.forward(self, X)
    z = self.hidden(X)
    a, self.bn_cache = batchnorm_forward(np.maximum(z, 0.0), self.params["gamma"], self.params["beta"], self.eps)
    self.update(z)
    self.saved = (X, a, a)
    return a @ self.params["W2"].T + self.params["b2"]


NETWORK_MISTAKES = [
    (_net(forward=lambda self, X: self.head(X, self.hidden(X)) if self.training else TwoLayerBNNet.forward(self, X)),
     "the hidden layer skips batch norm"),
    (_net(forward=lambda self, X: _bn_after_relu_forward(self, X)), "batch norm comes before the ReLU here"),
    (_net(forward=lambda self, X: _train_forward(self, X, TwoLayerBNNet.normalize_eval)),
     "in train mode batch norm normalizes with the batch's own statistics"),
    (_net(forward=lambda self, X: _train_forward(self, X, lambda s, z: _batch_norm(s, z, 1e-5))),
     "ignores net.eps"),
    (_net(forward=_eval_forward(normalize=lambda self, z: self.params["gamma"] * (z - z.mean(axis=0)) / np.sqrt(
        z.var(axis=0) + self.eps) + self.params["beta"])), "not with the batch's own statistics"),
    (_net(forward=_eval_forward(normalize=lambda self, z: self.normalize_eval(z, eps=0.0))),
     "eps goes inside the square root in eval mode too"),
    (_net(forward=_eval_forward(normalize=lambda self, z: self.normalize_eval(z, eps=1e-5))),
     "ignores net.eps in eval mode"),
    (_net(forward=_eval_forward(update="before")), "eval mode must not update the running statistics"),
    (_net(forward=_eval_forward(update="after")), "eval mode must leave running_mean and running_var unchanged"),
    (_net(forward=_update_forward(var=lambda self, z, a: z.var(axis=0))), "unbiased batch variance"),
    (_net(forward=_update_forward(momentum=lambda self, z, a: 1 - self.momentum)), "weight of the NEW batch"),
    (_net(forward=_update_forward(momentum=0.1)), "ignores its momentum"),
    (_net(forward=_update_forward(momentum=0.0)), "these are unchanged"),
    (_net(forward=_update_forward(z=lambda self, z, a: a)), "statistics of batch norm's output"),
    (_net(forward=_update_forward(z=lambda self, z, a: z - self.params["b1"])), "with b1"),
    (_net(backward=_backward_with(dz_of=True)), "must go back through batch norm"),
    (_net(backward=_backward_with(da_of=lambda self, dh, X: dh * (self.hidden(X) > 0))),
     "the ReLU's mask comes from its own input"),
    (_net(backward=_backward_with(transform=lambda g, dscores, a: {**g, "W2": dscores.T @ a})),
     "dW2 uses the input of the second affine layer"),
    (_net(backward=_backward_with(transform=lambda g, dscores, a: {**g, "b2": dscores.mean(axis=0)})),
     "db2 is a sum over the batch"),
    (_net(backward=_backward_with(transform=lambda g, dscores, a: {k: -v for k, v in g.items()})),
     "these are minus the gradients"),
    (_net(backward=_backward_with(transform=lambda g, dscores, a: {k: v for k, v in g.items() if k != "b1"})),
     "return one gradient per parameter"),
]


@pytest.mark.parametrize(("wrong", "hint"), NETWORK_MISTAKES, ids=[h for _, h in NETWORK_MISTAKES])
def test_a_wrong_network_fails_with_its_hint(wrong, hint):
    message = _failure(checks.check_batchnorm_network, wrong)
    assert "Hint:" in message and hint in message, message


def test_a_network_that_calls_batchnorm_forward_in_eval_mode_is_named():
    def forward(self, X):
        z = self.hidden(X)
        a, self.bn_cache = batchnorm_forward(z, self.params["gamma"], self.params["beta"], self.eps)
        if self.training:
            self.update(z)
        return self.head(X, a)
    message = _failure(checks.check_batchnorm_network, _net(forward=forward))
    assert "a call of batchnorm_forward" in message and "Hint: in eval mode" in message, message


def test_a_network_that_opens_the_cache_is_told_to_pass_it_on():
    def forward(self, X):
        out = TwoLayerBNNet.forward(self, X)
        if self.training:
            _, centered, _, _ = self.bn_cache  # the student's own cache layout
        return out
    assert "looked inside the cache" in _failure(checks.check_batchnorm_network,
                                                 _in_namespace(_net(forward=forward), globals()))


def test_the_network_check_wants_the_class():
    assert "Pass the class itself" in _failure(checks.check_batchnorm_network, TwoLayerBNNet(3, 2, 2))


def test_checks_do_not_leave_batchkit_or_the_notebook_patched():
    originals = (batchkit.batchnorm.batchnorm_forward, batchkit.batchnorm.BatchNorm1d, batchkit.mlp.MLP)
    mine = (batchnorm_forward, batchnorm_backward, batchnorm_backward_staged)
    for check, right in RIGHT:
        check(right)
    with pytest.raises(checks.CheckFailed):
        checks.check_batchnorm_network(NETWORK_MISTAKES[0][0])
    assert (batchkit.batchnorm.batchnorm_forward, batchkit.batchnorm.BatchNorm1d, batchkit.mlp.MLP) == originals
    assert (globals()["batchnorm_forward"], globals()["batchnorm_backward"],
            globals()["batchnorm_backward_staged"]) == mine


# Messages ----------------------------------------------------------------------------------------------------------


def test_ignoring_eps_or_momentum_fails_naming_it():
    """Every function that takes eps or momentum (directly, or on the network) is run with random values of it."""
    def fixed_eps_forward(x, gamma, beta, eps):
        return batchnorm_forward(x, gamma, beta, 1e-5)
    assert "ignores its `eps` argument" in _failure(checks.check_batchnorm_forward_cache, fixed_eps_forward)
    assert "eps=1e-05 gives" in _failure(checks.check_batchnorm_backward_compact, _compact(fixed_eps=1e-5))
    assert "ignores net.eps" in _failure(checks.check_batchnorm_network, _net(
        forward=lambda self, X: _train_forward(self, X, lambda s, z: _batch_norm(s, z, 1e-5))))
    assert "ignores its momentum" in _failure(checks.check_batchnorm_network, _net(forward=_update_forward(
        momentum=0.1)))


def _source_lines(*functions) -> set[str]:
    import inspect

    lines = set()
    for function in functions:
        for line in inspect.getsource(function).splitlines():
            line = line.strip()
            if len(line) > 12 and "=" in line and not line.startswith(('"""', "#", "def ", ")")):
                lines.add(line.removeprefix("return ").split("  #")[0])
    return lines


def test_failure_messages_never_show_reference_code():
    reference = _source_lines(batchkit.batchnorm.batchnorm_forward, batchkit.batchnorm.batchnorm_backward,
                              batchkit.batchnorm.batchnorm_backward_from_graph, batchnorm_forward,
                              batchnorm_backward_staged, batchnorm_backward, TwoLayerBNNet.forward,
                              TwoLayerBNNet.backward, TwoLayerBNNet.update, TwoLayerBNNet.normalize_eval)
    cases = ([(checks.check_batchnorm_forward_cache, wrong) for wrong, _ in FORWARD_MISTAKES]
             + [(check, wrong) for check, wrong, _ in BACKWARD_MISTAKES]
             + [(checks.check_batchnorm_network, wrong) for wrong, _ in NETWORK_MISTAKES])
    for check, wrong in cases:
        message = _failure(check, wrong)
        leaked = [line for line in reference if line in message]
        assert not leaked, f"the message shows reference code: {leaked}\n{message}"
