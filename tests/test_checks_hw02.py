"""Homework 02's new checks (the loss, the two-layer network, the numerical gradient): right answers pass, each
recognised mistake fails with its hint, and answers that call batchkit, change an input in place, ignore an argument
or take their gradients by finite differences fail."""

from __future__ import annotations

import inspect
import textwrap

import numpy as np
import pytest

import batchkit as bk
import batchkit.activations
import batchkit.gradcheck
import batchkit.linear
import batchkit.mlp
from batchkit import checks

# Right answers (the instructor notebook's solutions, written independently of batchkit) --------------------------


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def mse_loss(Y_hat, Y):
    residual = Y_hat - Y
    return 0.5 * np.sum(residual**2) / len(Y), residual / len(Y)


def two_layer_loss_and_gradients(X, Y, W1, b1, W2, b2):
    H = linear_forward(X, W1, b1)
    A = np.maximum(H, 0)
    loss, dY_hat = mse_loss(linear_forward(A, W2, b2), Y)
    dA, dW2, db2 = linear_backward(dY_hat, A, W2)
    _, dW1, db1 = linear_backward(dA * (H > 0), X, W1)
    return loss, dW1, db1, dW2, db2


def numerical_gradient(f, x, h):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = f(x)
        x[index] = original - h
        minus = f(x)
        x[index] = original  # restored exactly
        gradient[index] = (plus - minus) / (2 * h)
    return gradient


def numerical_gradient_on_copies(f, x, h):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[index] = h
        gradient[index] = (f(x + step) - f(x - step)) / (2 * h)
    return gradient


RIGHT = [(checks.check_mse_loss, mse_loss), (checks.check_two_layer_network, two_layer_loss_and_gradients),
         (checks.check_numerical_gradient, numerical_gradient),
         (checks.check_numerical_gradient, numerical_gradient_on_copies),
         (checks.check_linear_forward, linear_forward), (checks.check_linear_backward, linear_backward)]


@pytest.mark.parametrize(("check", "right"), RIGHT, ids=[f"{c.__name__}-{r.__name__}" for c, r in RIGHT])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out == checks.PASSED + "\n"


def test_a_right_network_in_float32_arithmetic_passes():
    """The last case is float32; a network that keeps float32 throughout is right too."""
    def float32_network(X, Y, W1, b1, W2, b2):
        return tuple(np.asarray(v, dtype=X.dtype) for v in two_layer_loss_and_gradients(X, Y, W1, b1, W2, b2))
    checks.check_two_layer_network(float32_network)


def _failure(check, wrong) -> str:
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    return str(failure.value)


# Recognised mistakes ---------------------------------------------------------------------------------------------


def _mse(loss_scale=lambda n, m: 1 / n, gradient_scale=lambda n, m: 1 / n, half=True, sign=1):
    def loss(Y_hat, Y):
        residual = Y_hat - Y
        n, m = Y.shape
        factor = 0.5 if half else 1.0
        return (factor * np.sum(residual**2) * loss_scale(n, m),
                sign * (2 * factor) * residual * gradient_scale(n, m))
    return loss


def _network(relu=True, mask="relu", second_input="A", summed=False, order=(1, 2, 3, 4)):
    """A two-layer network written out, with one typical mistake."""
    def network(X, Y, W1, b1, W2, b2):
        H = X @ W1.T + b1
        A = np.maximum(H, 0) if relu else H
        residual = A @ W2.T + b2 - Y
        scale = 1.0 if summed else 1.0 / len(X)
        loss, dY_hat = 0.5 * np.sum(residual**2) * scale, residual * scale
        dA = dY_hat @ W2
        dH = {"relu": dA * (H > 0), "none": dA, "activation": dA * A}[mask] if relu else dA
        results = (loss, dH.T @ X, dH.sum(axis=0), dY_hat.T @ (A if second_input == "A" else H), dY_hat.sum(axis=0))
        return (loss, *(results[k] for k in order))
    return network


def _forward_difference(f, x, h):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        moved = x.copy()
        moved[index] += h
        gradient[index] = (f(moved) - f(x)) / h
    return gradient


MISTAKES = [
    (checks.check_mse_loss, _mse(loss_scale=lambda n, m: 1, gradient_scale=lambda n, m: 1), "sum over the batch"),
    (checks.check_mse_loss, _mse(loss_scale=lambda n, m: 1 / (n * m), gradient_scale=lambda n, m: 1 / (n * m)),
     "this divides by N·M"),
    (checks.check_mse_loss, _mse(loss_scale=lambda n, m: 1 / m, gradient_scale=lambda n, m: 1 / m),
     "not by the batch size N"),
    (checks.check_mse_loss, _mse(half=False), "the ½ is missing"),
    (checks.check_mse_loss, _mse(gradient_scale=lambda n, m: 1), "carries its 1/N as well"),
    (checks.check_mse_loss, _mse(gradient_scale=lambda n, m: 2 / n), "cancels the 2"),
    (checks.check_mse_loss, lambda Y_hat, Y: (mse_loss(Y_hat, Y)[0], (Y - Y_hat) / len(Y)), "the sign is flipped"),
    (checks.check_two_layer_network, _network(relu=False), "the ReLU is missing"),
    (checks.check_two_layer_network, _network(mask="none"), "does not pass through the ReLU unchanged"),
    (checks.check_two_layer_network, _network(mask="activation"), "multiplied the gradient by ReLU(H) itself"),
    (checks.check_two_layer_network, _network(second_input="H"), "the second layer's input is A = ReLU(H), not H"),
    (checks.check_two_layer_network, _network(summed=True), "the loss summed over the batch"),
    (checks.check_two_layer_network, _network(order=(3, 4, 1, 2)), "is dW2: return the results in the order"),
    (checks.check_numerical_gradient, _forward_difference, "one-sided (forward) difference"),
    (checks.check_numerical_gradient, lambda f, x, h: 2 * numerical_gradient(f, x, h), "2h apart"),
    (checks.check_numerical_gradient, lambda f, x, h: np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h)),
     "moved every entry of x at once"),
    (checks.check_numerical_gradient, lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h),
     "moved every entry of x at once"),
]


@pytest.mark.parametrize(("check", "wrong", "hint"), MISTAKES, ids=[f"{c.__name__}-{h}" for c, _, h in MISTAKES])
def test_a_recognised_mistake_fails_with_its_hint(check, wrong, hint):
    message = _failure(check, wrong)
    assert "Hint:" in message and hint in message, message
    assert "expected:" in message and "got:" in message


def test_an_unrecognised_mistake_gets_the_general_hint_only():
    message = _failure(checks.check_two_layer_network,
                       lambda X, Y, W1, b1, W2, b2: tuple(0.5 * v for v in two_layer_loss_and_gradients(
                           X, Y, W1, b1, W2, b2)))
    assert message.endswith("Hint: the loss of exercise 3, of the network's output (linear, ReLU, linear)"), message
    message = _failure(checks.check_numerical_gradient, lambda f, x, h: np.zeros(x.shape))
    assert "Hint: one value per entry of x" in message, message


def test_the_hints_show_no_formula():
    for check, wrong in [(checks.check_mse_loss, lambda Y_hat, Y: (0.0, np.zeros_like(Y))),
                         (checks.check_two_layer_network, lambda X, Y, W1, b1, W2, b2: (
                             0.0, np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2))),
                         (checks.check_numerical_gradient, lambda f, x, h: np.zeros(x.shape))]:
        message = _failure(check, wrong)
        assert not any(code in message for code in ("@", ".T", "np.", "sum(", "/ (2")), message


def test_a_wrong_shape_is_reported_first():
    message = _failure(checks.check_numerical_gradient, lambda f, x, h: numerical_gradient(f, x, h).ravel())
    assert "check the shape first" in message and "in the shape of x" in message, message


def test_calling_f_with_another_shape_says_so():
    message = _failure(checks.check_numerical_gradient,
                       lambda f, x, h: np.full(x.shape, f(x.reshape(1, -1))))
    assert "f was called with an array of shape" in message, message


def test_the_failures_reproduce():
    messages = {_failure(checks.check_two_layer_network, _network(mask="none")) for _ in range(2)}
    assert len(messages) == 1


# An argument ignored, batchkit called, an input changed in place -------------------------------------------------


def _network_without(bias):
    def network(X, Y, W1, b1, W2, b2):
        zeros = {"b1": (np.zeros_like(b1), b2), "b2": (b1, np.zeros_like(b2))}[bias]
        return two_layer_loss_and_gradients(X, Y, W1, zeros[0], W2, zeros[1])
    return network


IGNORED = [
    (checks.check_mse_loss, lambda Y_hat, Y: mse_loss(Y_hat, np.zeros_like(Y_hat)), "Y"),
    (checks.check_two_layer_network, _network_without("b1"), "b1"),
    (checks.check_two_layer_network, _network_without("b2"), "b2"),
    (checks.check_numerical_gradient, lambda f, x, h: numerical_gradient(f, x, 1e-5), "h"),
]


@pytest.mark.parametrize(("check", "wrong", "argument"), IGNORED, ids=[f"{c.__name__}-{a}" for c, _, a in IGNORED])
def test_a_function_that_ignores_an_argument_fails_naming_it(check, wrong, argument):
    message = _failure(check, wrong)
    assert f"ignores its `{argument}` argument" in message, message


def _network_with_batchkit(function):
    def network(X, Y, W1, b1, W2, b2):
        if function == "MLP":
            bk.mlp.MLP([X.shape[1], len(W1), len(W2)], activation="relu")
        H = bk.linear.linear_forward(X, W1, b1) if function == "linear_forward" else X @ W1.T + b1
        A = bk.activations.relu(H) if function == "relu" else np.maximum(H, 0)
        loss, dY_hat = mse_loss(A @ W2.T + b2, Y)
        dA, dW2, db2 = linear_backward(dY_hat, A, W2)
        dH = bk.activations.relu_backward(dA, H) if function == "relu_backward" else dA * (H > 0)
        return (loss, *linear_backward(dH, X, W1)[1:], dW2, db2)
    return network


BORROWED = [
    (checks.check_two_layer_network, _network_with_batchkit("linear_forward"), "linear.linear_forward"),
    (checks.check_two_layer_network, _network_with_batchkit("relu"), "activations.relu"),
    (checks.check_two_layer_network, _network_with_batchkit("relu_backward"), "activations.relu_backward"),
    (checks.check_two_layer_network, _network_with_batchkit("MLP"), "mlp.MLP"),
    (checks.check_mse_loss, lambda Y_hat, Y: (0.5 * bk.batch_ops.batch_mean(((Y_hat - Y) ** 2).sum(axis=1)),
                                              (Y_hat - Y) / len(Y)), "batch_ops.batch_mean"),
    (checks.check_numerical_gradient, lambda f, x, h: bk.gradcheck.numerical_gradient(lambda: f(x), x, h),
     "gradcheck.numerical_gradient"),
    (checks.check_numerical_gradient, bk.gradcheck.numerical_gradient, "gradcheck.numerical_gradient"),
]
import batchkit.batch_ops  # noqa: E402  (for BORROWED)


@pytest.mark.parametrize(("check", "borrowed", "name"), BORROWED, ids=[f"{c.__name__}-{n}" for c, _, n in BORROWED])
def test_calling_batchkit_for_the_exercise_fails_with_a_message_that_says_so(check, borrowed, name):
    message = _failure(check, borrowed)
    assert "asks you to write it yourself, without calling batchkit." + name in message, message
    assert bk.linear.linear_forward is batchkit.linear.linear_forward  # restored afterwards


def test_batchkit_is_restored_after_the_checks():
    originals = (bk.linear.linear_forward, bk.activations.relu, bk.gradcheck.numerical_gradient)
    _failure(checks.check_two_layer_network, BORROWED[0][1])
    _failure(checks.check_numerical_gradient, BORROWED[5][1])
    assert (bk.linear.linear_forward, bk.activations.relu, bk.gradcheck.numerical_gradient) == originals


def _loss_in_place(Y_hat, Y):
    Y_hat -= Y  # the residual, in the caller's array
    return 0.5 * np.sum(Y_hat**2) / len(Y), Y_hat / len(Y)


def _gradient_not_restored(f, x, h):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += h
        plus = f(x)
        x[index] -= 2 * h
        minus = f(x)  # x[index] is left at x - h
        gradient[index] = (plus - minus) / (2 * h)
    return gradient


def _network_in_place(X, Y, W1, b1, W2, b2):
    results = two_layer_loss_and_gradients(X, Y, W1, b1, W2, b2)
    W1 -= 0.1 * results[1]  # an update step inside the function
    return results


IN_PLACE = [(checks.check_mse_loss, _loss_in_place, "Y_hat"),
            (checks.check_numerical_gradient, _gradient_not_restored, "x"),
            (checks.check_two_layer_network, _network_in_place, "W1")]


@pytest.mark.parametrize(("check", "wrong", "argument"), IN_PLACE, ids=[f"{c.__name__}-{a}" for c, _, a in IN_PLACE])
def test_a_function_that_changes_its_input_in_place_fails(check, wrong, argument):
    message = _failure(check, wrong)
    assert f"your function changed its input `{argument}` in place; work on a copy ({argument} = {argument}.copy())" \
        in message, message


# The network check grades the network alone ------------------------------------------------------------------


def _notebook(*functions, extra: dict | None = None) -> dict:
    """The namespace of a notebook in which the student defined ``functions`` (their source) and ``extra``."""
    namespace: dict = {"np": np, **(extra or {})}
    for function in functions:
        exec(textwrap.dedent(inspect.getsource(function)), namespace)  # noqa: S102 - our own test code
    return namespace


def _wrong_linear_backward(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ.mean(axis=0)  # db averaged: exercise 2's mistake


def test_a_mistake_in_the_linear_layer_or_the_loss_costs_only_its_own_exercise():
    namespace = _notebook(two_layer_loss_and_gradients, linear_forward, mse_loss,
                          extra={"linear_backward": _wrong_linear_backward})
    checks.check_two_layer_network(namespace["two_layer_loss_and_gradients"])  # passes with the reference
    namespace = _notebook(two_layer_loss_and_gradients, linear_forward, linear_backward,
                          extra={"mse_loss": _mse(loss_scale=lambda n, m: 1, gradient_scale=lambda n, m: 1)})
    checks.check_two_layer_network(namespace["two_layer_loss_and_gradients"])
    assert namespace["mse_loss"](np.ones((2, 1)), np.zeros((2, 1)))[0] == 1.0  # the student's own, restored


def test_gradients_by_finite_differences_fail():
    def two_layer_by_differences(X, Y, W1, b1, W2, b2):
        params = [W1, b1, W2, b2]

        def loss_with(k):
            def loss(value):
                changed = list(params)
                changed[k] = value
                H = X @ changed[0].T + changed[1]
                return mse_loss(np.maximum(H, 0) @ changed[2].T + changed[3], Y)[0]
            return loss
        return (loss_with(0)(W1), *(numerical_gradient(loss_with(k), p.astype(np.float64), 1e-6)
                                    for k, p in enumerate(params)))

    namespace = _notebook(two_layer_by_differences, mse_loss, numerical_gradient)
    assert "by backpropagation" in _failure(checks.check_two_layer_network, namespace["two_layer_by_differences"])
