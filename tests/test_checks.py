"""Every homework check passes a correct solution and fails realistic wrong ones, with a helpful message."""

from __future__ import annotations

import inspect
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import batchkit as bk
import conftest
from batchkit import batchnorm, checks, linear, linreg, statistics, training

# Correct solutions, written as a student would (independently of batchkit where the exercise asks for code: the
# checks make batchkit's own functions for the exercise raise while the student's function runs).


def loss(theta, x, y):
    r = theta[0] + theta[1] * x - y
    return (r @ r) / (2 * len(x))


def gradient(theta, x, y):
    r = theta[0] + theta[1] * x - y
    return np.array([r.mean(), (r * x).mean()])


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
    shifted = X - X[0]  # small differences: the float32 sums stay exact enough
    centered = shifted - shifted.mean(axis=0)
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
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    dbeta, dgamma = dout.sum(0), (dout * x_hat).sum(0)
    return gamma / np.sqrt(x.var(0) + eps) / len(x) * (len(x) * dout - dbeta - x_hat * dgamma), dgamma, dbeta


def running_right(mean, var, x, momentum):
    return (1 - momentum) * mean + momentum * x.mean(0), (1 - momentum) * var + momentum * x.var(0, ddof=1)


CASES = {
    checks.check_steps_per_epoch: (steps_right, {
        "float division": (lambda n, b, d: n / b, "float"),
        "always floor": (lambda n, b, d: n // b, "round up"),
        "always ceil": (lambda n, b, d: -(-n // b), "round down"),
        "the right count as a float (np.ceil)": (lambda n, b, d: n // b if d else np.ceil(n / b), "return an int"),
    }),
    checks.check_epoch_indices: (epoch_right, {
        "sampling with replacement": (lambda n, b, rng: [rng.integers(0, n, size=min(b, n - i)) for i in range(0, n, b)],
                                      "replacement"),
        "not reshuffling each epoch": (lambda n, b, rng: epoch_right(n, b, np.random.default_rng(0)), "fresh permutation"),
        "no shuffle at all": (lambda n, b, rng: [np.arange(n)[i:i + b] for i in range(0, n, b)], "fresh permutation"),
        "np.random instead of the rng argument": (lambda n, b, rng: epoch_right(n, b, np.random), "rng argument"),
        "a Generator of its own": (lambda n, b, rng: epoch_right(n, b, np.random.default_rng()), "rng argument"),
        "no return value": (lambda n, b, rng: None, "a list"),
    }),
    checks.check_total_steps: (lambda n, b, e, d: e * steps_right(n, b, d), {
        "the posts' n * e / b": (lambda n, b, e, d: n * e // b, "divides n"),
    }),
    checks.check_distinct_fraction: (lambda batches, n: len(np.unique(np.concatenate(batches))) / n, {
        "counting draws, not samples": (lambda batches, n: sum(len(b) for b in batches) / n, "counts once"),
        "a count, not a fraction": (lambda batches, n: len(np.unique(np.concatenate(batches))), "fraction of n"),
        "no return value": (lambda batches, n: None, "between 0 and 1"),
    }),
    checks.check_batch_mean: (lambda Z, keepdims: Z.mean(axis=0, keepdims=keepdims), {
        "mean over the samples' features": (lambda Z, keepdims: Z.mean(axis=1, keepdims=keepdims), "axis 0"),
        "keepdims ignored": (lambda Z, keepdims: Z.mean(axis=0), "ignores its `keepdims` argument"),
        "the batch sum": (lambda Z, keepdims: Z.sum(axis=0, keepdims=keepdims), "batch sum"),
    }),
    checks.check_linear_forward: (linear_right, {
        "W not transposed": (lambda X, W, b: (X @ W.T).T[:, :1] + b[:1], "shape"),
        "bias forgotten": (lambda X, W, b: X @ W.T, "b added to every row"),
        "W used as (inputs, outputs)": (lambda X, W, b: X @ W + b, "(outputs, inputs)"),
        "NaN everywhere": (lambda X, W, b: np.full((len(X), len(W)), np.nan), "one row per sample"),
    }),
    checks.check_linear_backward: (linear_backward_right, {
        "db summed over the wrong axis": (lambda dZ, X, W: (dZ @ W, dZ.T @ X, dZ.sum(axis=1)), "axis 0"),
        "db averaged": (lambda dZ, X, W: (dZ @ W, dZ.T @ X, dZ.mean(axis=0)), "not a mean"),
        "dW transposed": (lambda dZ, X, W: (dZ @ W, X.T @ dZ, dZ.sum(axis=0)), "dW is transposed"),
        "dW averaged": (lambda dZ, X, W: (dZ @ W, dZ.T @ X / len(X), dZ.sum(axis=0)), "not their mean"),
        "dX through W transposed": (lambda dZ, X, W: (dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)), "transpose of W"),
        "two values returned": (lambda dZ, X, W: (dZ @ W, dZ.T @ X), "a tuple (dX, dW, db)"),
    }),
    checks.check_batch_center: (center_right, {
        "mean over the wrong axis": (lambda X: X - X.mean(axis=1, keepdims=True), "axis 0"),
        "one mean for all entries": (lambda X: X - X.mean(), "its own batch mean"),
    }),
    checks.check_variance: (variance_right, {
        "naive E[x²] - E[x]²": (lambda X: (X * X).mean(0) - X.mean(0) ** 2, "cancels catastrophically"),
        "unbiased instead of biased": (lambda X: X.var(axis=0, ddof=1), "divides by N"),
        "numpy.var in float32": (lambda X: X.var(axis=0), "numpy.var"),
        "two-pass formula in float32": (lambda X: ((X - X.mean(axis=0)) ** 2).mean(axis=0), "numpy.var"),
        "the standard deviation": (lambda X: X.std(axis=0), "standard deviation"),
    }),
    checks.check_center_with_training_mean: (lambda X_train, X_test: X_test - X_train.mean(axis=0), {
        "centering test data with its own mean": (lambda X_train, X_test: X_test - X_test.mean(axis=0), "training"),
    }),
    checks.check_inverse_time_schedule: (lambda a, k, steps: a / (1 + k * np.arange(steps)), {
        "counting steps from 1": (lambda a, k, steps: a / (1 + k * np.arange(1, steps + 1)), "from 0"),
        "linear decay": (lambda a, k, steps: a * (1 - k * np.arange(steps)), "linearly"),
    }),
    checks.check_linreg_loss_and_gradient: (loss_gradient_right, {
        "forgetting the ½ in the loss": (lambda t, x, y: (2 * loss(t, x, y), gradient(t, x, y)), "left out the ½"),
        "summing the loss": (lambda t, x, y: (len(x) * loss(t, x, y), gradient(t, x, y)), "averages over"),
        "gradient without the ½": (lambda t, x, y: (loss(t, x, y), 2 * gradient(t, x, y)), "cancels the 2"),
        "gradient of the wrong sign": (lambda t, x, y: (loss(t, x, y), -gradient(t, x, y)), "wrong sign"),
        "no return value": (lambda t, x, y: None, "a tuple (J, gradient)"),
    }),
    checks.check_minibatch_gd: (gd_right, {
        "dividing by batch_size, not by the batch's own size": (
            lambda x, y, b, e, lr, seed: _gd_fixed_divisor(x, y, b, e, lr, seed), "own size"),
        "not reshuffling each epoch": (
            lambda x, y, b, e, lr, seed: _gd_same_order(x, y, b, e, lr, seed), "iter_epochs"),
    }),
    checks.check_batchnorm_forward: (bn_forward_right, {
        "unbiased variance": (lambda x, g, b, eps: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + b, "biased"),
        "eps outside the square root": (lambda x, g, b, eps: g * (x - x.mean(0)) / (x.std(0) + eps) + b,
                                        "inside the square root"),
        "no gamma and beta": (lambda x, g, b, eps: (x - x.mean(0)) / np.sqrt(x.var(0) + eps),
                              "gamma and beta are missing"),
    }),
    checks.check_batchnorm_backward: (bn_backward_right, {
        "missing the mean term": (lambda dout, x, g, eps: _bn_backward_without_mean(dout, x, g, eps), "mean term"),
        "dgamma with the raw x": (lambda dout, x, g, eps: _bn_backward_raw_x(dout, x, g, eps), "not the raw x"),
        "a list instead of a tuple, dbeta averaged": (
            lambda dout, x, g, eps: [*bn_backward_right(dout, x, g, eps)[:2], dout.mean(0)], "not a mean"),
    }),
    checks.check_running_stats: (running_right, {
        "biased running variance": (lambda m, v, x, mo: ((1 - mo) * m + mo * x.mean(0), (1 - mo) * v + mo * x.var(0)),
                                    "unbiased"),
        "momentum as the weight of the old value": (lambda m, v, x, mo: (mo * m + (1 - mo) * x.mean(0), v), "NEW batch"),
        "old running mean ignored": (lambda m, v, x, mo: (mo * x.mean(0), (1 - mo) * v + mo * x.var(0, ddof=1)),
                                     "old running_mean is missing"),
        "weights not adding up to 1": (lambda m, v, x, mo: (m + mo * x.mean(0), (1 - mo) * v + mo * x.var(0, ddof=1)),
                                       "add up to 1"),
        "momentum fixed at 0.1": (lambda m, v, x, mo: (0.9 * m + 0.1 * x.mean(0), 0.9 * v + 0.1 * x.var(0, ddof=1)),
                                  "ignores its `momentum` argument"),
        "batch size fixed at 8": (lambda m, v, x, mo: ((1 - mo) * m + mo * x.mean(0),
                                                       (1 - mo) * v + mo * x.var(0) * 8 / 7), "not a fixed 8"),
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
    dx, dgamma, dbeta = bn_backward_right(dout, x, gamma, eps)
    return dx + gamma / np.sqrt(x.var(0) + eps) / len(x) * dbeta, dgamma, dbeta


def _bn_backward_raw_x(dout, x, gamma, eps):
    dx, _, dbeta = bn_backward_right(dout, x, gamma, eps)
    return dx, (dout * x).sum(axis=0), dbeta


@pytest.mark.parametrize("check", list(CASES), ids=lambda c: c.__name__)
def test_check_passes_a_correct_solution(check, capsys):
    assert check(CASES[check][0]) is None  # a returned string would be a notebook cell's output, read by nbgrader
    assert capsys.readouterr().out == checks.PASSED + "\n"


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
                     training._run, linreg.gradient, linreg.loss, linreg.loss_and_gradient):
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
                      "check_linear_forward(lambda X, W, b: X @ W.T + b)\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == checks.PASSED


# No answer given away: an unfinished or unrecognised answer gets a generic hint ----------------------------------

SOLUTION_CODE = ["@", ".T", "mean(", "sum(", "var(", "axis=", "np.", "rng.", "permutation(", "ceil", "//", "sqrt("]


@pytest.mark.parametrize("check", list(CASES), ids=lambda c: c.__name__)
@pytest.mark.parametrize("returned", [None, "not done", 0], ids=["None", "a string", "zero"])
def test_an_unfinished_function_gets_a_normal_failure_without_solution_code(check, returned):
    with pytest.raises(checks.CheckFailed) as failure:  # not a TypeError from inside the check
        check(lambda *args: returned)
    message = str(failure.value)
    assert "Hint:" in message and "expected:" in message, message
    shown = [code for code in SOLUTION_CODE if code in message.split("Hint:", 1)[1]]
    assert not shown, f"{check.__name__}: the hint shows {shown}:\n{message}"


@pytest.mark.parametrize(("check", "wrong"), [
    (checks.check_linear_forward, lambda X, W, b: np.zeros((len(X), len(W)))),
    (checks.check_linear_forward, lambda X, W, b: X @ W.T + 1.0),
    (checks.check_linear_backward, lambda dZ, X, W: (np.zeros_like(X), np.zeros_like(W), np.zeros(len(W)))),
    (checks.check_linear_backward, lambda dZ, X, W: (dZ @ W, np.ones_like(W), dZ.sum(axis=0))),
    (checks.check_batch_center, lambda X: X - np.median(X, axis=0)),
    (checks.check_batch_mean, lambda Z, keepdims: np.median(Z, axis=0, keepdims=keepdims)),
    (checks.check_linreg_loss_and_gradient, lambda t, x, y: (loss(t, x, y), np.zeros(2))),
    (checks.check_linreg_loss_and_gradient, lambda t, x, y: (0.0, np.zeros(2))),
    (checks.check_running_stats, lambda m, v, x, mo: (m, v)),
    (checks.check_batchnorm_forward, lambda x, g, b, eps: x),
    (checks.check_inverse_time_schedule, lambda a, k, steps: np.full(steps, a)),
], ids=lambda v: v.__name__ if inspect.isfunction(v) and v.__name__.startswith("check") else "")
def test_an_unrecognised_mistake_gets_a_generic_hint_without_solution_code(check, wrong):
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    hint = str(failure.value).split("Hint:", 1)[1]
    assert "lesson 0" in hint, f"the generic hint should point to the lesson section:\n{failure.value}"
    shown = [code for code in SOLUTION_CODE + ["h - y", "(h - y) x"] if code in hint]
    assert not shown, f"the hint shows {shown}:\n{failure.value}"


def test_the_linear_hints_for_an_empty_function_show_no_formula():
    for check in (checks.check_linear_forward, checks.check_linear_backward):
        with pytest.raises(AssertionError) as failure:
            check(lambda *args: None)
        for code in ("@", ".T", "mean("):
            assert code not in str(failure.value), f"{check.__name__} shows {code!r}:\n{failure.value}"


def test_hints_name_only_the_mistake_that_was_made():
    with pytest.raises(AssertionError) as failure:
        checks.check_inverse_time_schedule(lambda a, k, steps: a * (1 - k * np.arange(steps)))
    assert "from 0" not in str(failure.value)
    with pytest.raises(AssertionError) as failure:
        checks.check_linear_backward(lambda dZ, X, W: (dZ @ W, X.T @ dZ, dZ.sum(axis=0)))
    assert "not a mean" not in str(failure.value) and "db" not in str(failure.value).split("Hint:")[1]


def test_a_failure_shows_the_largest_difference():
    eps_outside = CASES[checks.check_batchnorm_forward][1]["eps outside the square root"][0]
    with pytest.raises(AssertionError) as failure:
        checks.check_batchnorm_forward(eps_outside)
    line = next(line for line in str(failure.value).splitlines() if "largest absolute difference" in line)
    assert float(line.split(":")[1]) > 1e-6


def test_nan_is_not_accepted():
    with pytest.raises(AssertionError):
        checks.check_batch_mean(lambda Z, keepdims: np.full_like(Z.mean(axis=0, keepdims=keepdims), np.nan))


# Right answers in another form are accepted ------------------------------------------------------------------------


@pytest.mark.parametrize(("check", "right"), [
    (checks.check_linear_backward, lambda dZ, X, W: [dZ @ W, dZ.T @ X, dZ.sum(axis=0)]),
    (checks.check_linreg_loss_and_gradient, lambda t, x, y: list(loss_gradient_right(t, x, y))),
    (checks.check_linreg_loss_and_gradient, lambda t, x, y: (np.float64(loss(t, x, y)), list(gradient(t, x, y)))),
    (checks.check_batchnorm_backward, lambda dout, x, g, eps: list(bn_backward_right(dout, x, g, eps))),
    (checks.check_running_stats, lambda m, v, x, mo: list(running_right(m, v, x, mo))),
    (checks.check_steps_per_epoch, lambda n, b, d: np.int64(steps_right(n, b, d))),
    (checks.check_steps_per_epoch, lambda n, b, d: int(np.floor(n / b) if d else np.ceil(n / b))),
    (checks.check_total_steps, lambda n, b, e, d: np.int64(e) * steps_right(n, b, d)),
    (checks.check_epoch_indices, lambda n, b, rng: tuple(np.array_split(rng.permutation(n), range(b, n, b)))),
    (checks.check_distinct_fraction, lambda batches, n: np.float32(len(set(np.concatenate(batches).tolist())) / n)),
    (checks.check_inverse_time_schedule, lambda a, k, steps: [a / (1 + k * t) for t in range(steps)]),
    (checks.check_batch_mean, lambda Z, keepdims: Z.astype(np.float32).mean(axis=0, keepdims=keepdims)),
    (checks.check_variance, lambda X: variance_right(X.astype(np.float64))),
    (checks.check_variance, lambda X: variance_right(X).astype(np.float32)),
], ids=lambda v: v.__name__ if inspect.isfunction(v) and v.__name__.startswith("check") else "")
def test_a_right_answer_in_another_form_is_accepted(check, right):
    assert check(right) is None


def test_a_right_count_as_a_float_gets_a_hint_about_the_type():
    with pytest.raises(AssertionError) as failure:
        checks.check_steps_per_epoch(lambda n, b, d: np.floor(n / b) if d else np.ceil(n / b))
    message = str(failure.value)
    assert "return an int" in message and "n / b is a float" not in message, message


# Cases that used to let wrong answers through -----------------------------------------------------------------------


@pytest.mark.parametrize("wrong", [
    lambda m, v, x, mo: (mo * x.mean(0), (1 - mo) * v + mo * x.var(0, ddof=1)),
    lambda m, v, x, mo: (m + mo * x.mean(0), (1 - mo) * v + mo * x.var(0, ddof=1)),
    lambda m, v, x, mo: (0.9 * m + 0.1 * x.mean(0), 0.9 * v + 0.1 * x.var(0, ddof=1)),
    lambda m, v, x, mo: ((1 - mo) * m + mo * x.mean(0), (1 - mo) * v + mo * x.var(0) * 8 / 7),
    lambda m, v, x, mo: ((1 - mo) * m + mo * x.mean(0), 0.9 + mo * x.var(0, ddof=1)),
], ids=["running mean ignored", "weights not adding to 1", "momentum hard-coded", "N hard-coded", "running_var=1"])
def test_running_stats_rejects_answers_that_fit_only_one_case(wrong):
    with pytest.raises(AssertionError):
        checks.check_running_stats(wrong)


@pytest.mark.parametrize("wrong", [lambda X: X.var(axis=0), lambda X: (X * X).mean(0) - X.mean(0) ** 2,
                                   lambda X: ((X - X.mean(axis=0)) ** 2).mean(axis=0)],
                         ids=["numpy.var", "E[x²] - E[x]²", "two-pass in float32"])
def test_variance_rejects_what_lesson_03_shows_failing_in_float32(wrong):
    with pytest.raises(AssertionError) as failure:
        checks.check_variance(wrong)
    message = str(failure.value)
    assert "float32" in message and "lesson 03, section 3" in message, message


@pytest.mark.parametrize("wrong", [
    lambda n, b, rng: epoch_right(n, b, np.random),
    lambda n, b, rng: epoch_right(n, b, np.random.default_rng()),
    lambda n, b, rng, _shared=np.random.default_rng(3): epoch_right(n, b, _shared),
], ids=["np.random.permutation", "a fresh unseeded Generator", "a Generator of its own"])
def test_epoch_indices_must_draw_from_the_given_generator(wrong):
    with pytest.raises(AssertionError) as failure:
        checks.check_epoch_indices(wrong)
    assert "rng argument" in str(failure.value)


# The instructor solutions pass every check -------------------------------------------------------------------------


INSTRUCTOR_NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "homework" / "instructor").glob("*.ipynb"))


@pytest.mark.parametrize("path", INSTRUCTOR_NOTEBOOKS, ids=lambda p: p.name)
def test_instructor_solutions_pass_their_checks(path, capsys, tmp_path, monkeypatch):
    """Every check of a solved homework passes when its cells run as plain Python (a ``%%writefile name`` cell, which
    homework 08 uses for its worker module, writes its file to a temporary folder on the import path)."""
    if conftest.missing_requirement(path):
        pytest.skip(conftest.missing_requirement(path))
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict = {}
    results, written = [], []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        code = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        if code.startswith("%%writefile "):
            first, _, body = code.partition("\n")
            target = tmp_path / first.split()[1]
            target.write_text(body, encoding="utf-8")
            written.append(target.stem)
        elif code.strip().startswith("check_"):
            capsys.readouterr()
            results.append((eval(code, namespace), capsys.readouterr().out))  # noqa: S307 - our own notebooks
        elif code:
            exec(code, namespace)  # noqa: S102
    for module in written:  # a later test must import its own version
        sys.modules.pop(module, None)
    assert results and results == [(None, checks.PASSED + "\n")] * len(results)
