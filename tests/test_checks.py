"""Every homework check passes a correct solution and fails realistic wrong ones, with a helpful message."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import batchkit as bk
from batchkit import batchnorm, checks, linear, statistics, training
from batchkit.batchnorm import batchnorm_backward_from_graph
from batchkit.linreg import gradient, loss

# Correct solutions, written as a student would (independently of batchkit where the exercise asks for code).


def steps_right(n, b, drop_last):
    return n // b if drop_last else math.ceil(n / b)


def epoch_right(n, b, rng):
    order = rng.permutation(n)
    return [order[i:i + b] for i in range(0, n, b)]


def linear_right(X, W, b):
    return X @ W.T + b


def linear_backward_right(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def center_right(X):
    return X - X.mean(axis=0)


def variance_right(X):
    centered = X - X.mean(axis=0)
    return (centered * centered).mean(axis=0)


def loss_gradient_right(theta, x, y):
    r = theta[0] + theta[1] * x - y
    return (r @ r) / (2 * len(x)), np.array([r.mean(), (r * x).mean()])


def gd_right(x, y, batch_size, epochs, learning_rate, seed):
    theta = np.zeros(2)
    for batches in bk.iter_epochs(len(x), batch_size, epochs, seed=seed):
        for index in batches:
            theta = theta - learning_rate * gradient(theta, x[index], y[index])
    return theta


def bn_forward_right(x, gamma, beta, eps):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta


def bn_backward_right(dout, x, gamma, eps):
    return batchnorm_backward_from_graph(dout, x, gamma, eps)


def running_right(mean, var, x, momentum):
    return (1 - momentum) * mean + momentum * x.mean(0), (1 - momentum) * var + momentum * x.var(0, ddof=1)


CASES = {
    checks.check_steps_per_epoch: (steps_right, {
        "float division": (lambda n, b, d: n / b, "float"),
        "always floor": (lambda n, b, d: n // b, "ceil"),
    }),
    checks.check_epoch_indices: (epoch_right, {
        "sampling with replacement": (lambda n, b, rng: [rng.integers(0, n, size=min(b, n - i)) for i in range(0, n, b)],
                                      "replacement"),
        "not reshuffling each epoch": (lambda n, b, rng: epoch_right(n, b, np.random.default_rng(0)), "fresh permutation"),
        "no shuffle at all": (lambda n, b, rng: [np.arange(n)[i:i + b] for i in range(0, n, b)], "fresh permutation"),
    }),
    checks.check_total_steps: (lambda n, b, e, d: e * steps_right(n, b, d), {
        "the posts' n * e / b": (lambda n, b, e, d: n * e // b, "divides n"),
    }),
    checks.check_distinct_fraction: (lambda batches, n: len(np.unique(np.concatenate(batches))) / n, {
        "counting draws, not samples": (lambda batches, n: sum(len(b) for b in batches) / n, "np.unique"),
    }),
    checks.check_batch_mean: (lambda Z, keepdims: Z.mean(axis=0, keepdims=keepdims), {
        "mean over the samples' features": (lambda Z, keepdims: Z.mean(axis=1, keepdims=keepdims), "axis 0"),
        "keepdims ignored": (lambda Z, keepdims: Z.mean(axis=0), "keepdims"),
    }),
    checks.check_linear_forward: (linear_right, {
        "W not transposed": (lambda X, W, b: (X @ W.T).T[:, :1] + b[:1], "shape"),
        "bias forgotten": (lambda X, W, b: X @ W.T, "b added to every row"),
    }),
    checks.check_linear_backward: (linear_backward_right, {
        "db summed over the wrong axis": (lambda dZ, X, W: (dZ @ W, dZ.T @ X, dZ.sum(axis=1)), "axis 0"),
        "db averaged": (lambda dZ, X, W: (dZ @ W, dZ.T @ X, dZ.mean(axis=0)), "not a mean"),
    }),
    checks.check_batch_center: (center_right, {
        "mean over the wrong axis": (lambda X: X - X.mean(axis=1, keepdims=True), "axis=0"),
    }),
    checks.check_variance: (variance_right, {
        "naive E[x²] - E[x]²": (lambda X: (X * X).mean(0) - X.mean(0) ** 2, "cancels catastrophically"),
        "unbiased instead of biased": (lambda X: X.var(axis=0, ddof=1), "divides by N"),
    }),
    checks.check_center_with_training_mean: (lambda X_train, X_test: X_test - X_train.mean(axis=0), {
        "centering test data with its own mean": (lambda X_train, X_test: X_test - X_test.mean(axis=0), "training"),
    }),
    checks.check_inverse_time_schedule: (lambda a, k, steps: a / (1 + k * np.arange(steps)), {
        "counting steps from 1": (lambda a, k, steps: a / (1 + k * np.arange(1, steps + 1)), "from 0"),
    }),
    checks.check_linreg_loss_and_gradient: (loss_gradient_right, {
        "forgetting the ½ in the loss": (lambda t, x, y: (2 * loss(t, x, y), gradient(t, x, y)), "left out the ½"),
    }),
    checks.check_minibatch_gd: (gd_right, {
        "dividing by batch_size, not by the batch's own size": (
            lambda x, y, b, e, lr, seed: _gd_fixed_divisor(x, y, b, e, lr, seed), "own size"),
        "not reshuffling each epoch": (
            lambda x, y, b, e, lr, seed: _gd_same_order(x, y, b, e, lr, seed), "iter_epochs"),
    }),
    checks.check_batchnorm_forward: (bn_forward_right, {
        "unbiased variance": (lambda x, g, b, eps: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + b, "biased"),
    }),
    checks.check_batchnorm_backward: (bn_backward_right, {
        "missing the mean term": (lambda dout, x, g, eps: _bn_backward_without_mean(dout, x, g, eps), "mean term"),
    }),
    checks.check_running_stats: (running_right, {
        "biased running variance": (lambda m, v, x, mo: ((1 - mo) * m + mo * x.mean(0), (1 - mo) * v + mo * x.var(0)),
                                    "unbiased"),
        "momentum as the weight of the old value": (lambda m, v, x, mo: (mo * m + (1 - mo) * x.mean(0), v), "NEW batch"),
    }),
}


def _gd_fixed_divisor(x, y, batch_size, epochs, learning_rate, seed):
    theta = np.zeros(2)
    for batches in bk.iter_epochs(len(x), batch_size, epochs, seed=seed):
        for index in batches:
            r = theta[0] + theta[1] * x[index] - y[index]
            theta = theta - learning_rate * np.array([r.sum(), r @ x[index]]) / batch_size
    return theta


def _gd_same_order(x, y, batch_size, epochs, learning_rate, seed):
    theta = np.zeros(2)
    batches = bk.epoch_batch_indices(len(x), batch_size, seed=seed)
    for _ in range(epochs):
        for index in batches:
            theta = theta - learning_rate * gradient(theta, x[index], y[index])
    return theta


def _bn_backward_without_mean(dout, x, gamma, eps):
    dx, dgamma, dbeta = batchnorm_backward_from_graph(dout, x, gamma, eps)
    return dx + gamma / np.sqrt(x.var(0) + eps) / len(x) * dbeta, dgamma, dbeta


@pytest.mark.parametrize("check", list(CASES), ids=lambda c: c.__name__)
def test_check_passes_a_correct_solution(check):
    assert check(CASES[check][0]) == checks.PASSED


@pytest.mark.parametrize(("check", "mistake"), [(c, m) for c in CASES for m in CASES[c][1]],
                         ids=lambda v: v.__name__ if callable(v) else v)
def test_check_fails_a_realistic_mistake_with_a_hint(check, mistake):
    wrong, hint_words = CASES[check][1][mistake]
    with pytest.raises(AssertionError) as failure:
        check(wrong)
    message = str(failure.value)
    assert "expected:" in message and "got:" in message, message
    assert hint_words in message, f"the hint for '{mistake}' should mention {hint_words!r}:\n{message}"


@pytest.mark.parametrize(("check", "mistake"), [(c, m) for c in CASES for m in CASES[c][1]],
                         ids=lambda v: v.__name__ if callable(v) else v)
def test_failure_messages_never_show_reference_code(check, mistake):
    with pytest.raises(AssertionError) as failure:
        check(CASES[check][1][mistake][0])
    message = str(failure.value)
    reference_lines = set()
    for function in (bk.batches_per_epoch, bk.epoch_batch_indices, linear.linear_forward, linear.linear_backward,
                     statistics.batch_mean_var, batchnorm.batchnorm_forward, batchnorm.batchnorm_backward,
                     training._run, gradient, loss):
        for line in inspect.getsource(function).splitlines():
            line = line.strip()
            if len(line) > 12 and not line.startswith(('"""', "#", "def ", "return ", ")")) and "=" in line:
                reference_lines.add(line)
    leaked = [line for line in reference_lines if line in message]
    assert not leaked, f"the message shows reference code: {leaked}"


def test_checks_work_in_a_plain_script(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "homework.py"
    script.write_text("from batchkit.checks import check_linear_forward\n"
                      "print(check_linear_forward(lambda X, W, b: X @ W.T + b))\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == checks.PASSED
