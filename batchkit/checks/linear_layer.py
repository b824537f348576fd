"""Lesson 02's homework checks: linear forward and backward; the half squared error of a batch, a
two-layer network's loss and gradients built from those pieces, and a numerical gradient by centred differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..activations import relu, relu_backward
from ..gradcheck import numerical_gradient
from ..linear import linear_backward, linear_forward
from ..losses import half_squared_error
from ._core import CheckFailed, Mistake, Student, _compare, _parts, _passed, _same

__all__ = ["check_linear_forward", "check_linear_backward", "check_mse_loss",
           "check_two_layer_network", "check_numerical_gradient"]  # what batchkit.checks exports

#: What lesson 02's exercises ask the student to write: batchkit's linear layer and batch mean.
BLOCKED = ("linear.linear_forward", "linear.linear_forward_columns", "linear.linear_forward_per_sample_loop",
           "linear.linear_backward", "batch_ops.batch_mean", "batch_ops.batch_sum", "statistics.batch_mean_var")


def _linear_cases(count: int = 5):
    """A case with as many inputs as outputs first (it lets W-not-transposed run), then random shapes, the last one
    in float32 (the expected values are computed in float64)."""
    rng = np.random.default_rng(202)
    shapes = [(4, 3, 3)] + [tuple(int(v) for v in rng.integers(2, 9, size=3)) for _ in range(count)]
    for number, (batch, n_in, n_out) in enumerate(shapes):
        if batch == n_out:  # a square case hides axis mistakes; keep them distinct
            batch += 1
        dtype = np.float32 if number == count else np.float64
        arrays = [rng.standard_normal(shape).astype(dtype) for shape in [(batch, n_in), (n_out, n_in), (n_out,)]]
        yield (f"X of shape ({batch}, {n_in}), W of shape ({n_out}, {n_in}), b of shape ({n_out},), {dtype.__name__}",
               *arrays)


def check_linear_forward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``student(X, W, b) -> Z`` with ``Z = X Wᵀ + b``, rows are samples."""
    student = Student(student, "X, W, b", BLOCKED)
    for case, X, W, b in _linear_cases():
        expected = linear_forward(*(a.astype(np.float64) for a in (X, W, b)))
        mistakes = [(expected - b, "the bias is missing: Z needs b added to every row (every sample)"),
                    (expected.T, "Z is transposed: one row per sample, one column per output")]
        if W.shape[0] == W.shape[1]:
            mistakes.append((X @ W + b, "W has shape (outputs, inputs), one row per output: the weights of an "
                                        "output are a row of W, not a column"))
        _compare("Z", case, expected, student(case, X, W, b),
                 "Z has one row per sample and one column per output, shape (batch, outputs), and every row "
                 "includes the bias; see lesson 02, sections 1 and 4", mistakes)
    _passed()


def _linear_backward_mistakes(dZ: np.ndarray, X: np.ndarray, W: np.ndarray, expected: tuple) -> list[list[Mistake]]:
    dX, dW, db = expected
    dX_mistakes = [(dX.T, "dX is transposed: it has the shape of X, (batch, inputs)")]
    if W.shape[0] == W.shape[1]:
        dX_mistakes.append((dZ @ W.T, "this multiplied by the transpose of W; Z = X Wᵀ + b, and going back from "
                                      "dZ to dX undoes that transpose"))
    dW_mistakes = [(dW.T, "dW is transposed: it has the shape of W, (outputs, inputs)"),
                   (dW / len(X), "dW is the sum of every sample's contribution over the batch, not their mean")]
    db_mistakes = [(dZ.sum(axis=1), "db was summed over the outputs (axis 1): it sums over the batch, axis 0, "
                                    "one value per output"),
                   (db / len(X), "db is the sum over the batch, not a mean"),
                   (db[None, :], "db has the shape of b, (outputs,), without the batch axis")]
    return [dX_mistakes, dW_mistakes, db_mistakes]


def check_linear_backward(student: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple]) -> None:
    """``student(dZ, X, W) -> (dX, dW, db)`` for ``Z = X Wᵀ + b``."""
    student = Student(student, "dZ, X, W", BLOCKED)
    hints = ["dX is the gradient of the loss with respect to X: the same shape as X, (batch, inputs); "
             "see lesson 02, section 6",
             "dW has the shape of W, (outputs, inputs), and adds up the contributions of every sample; "
             "see lesson 02, section 6",
             "db has the shape of b, (outputs,): one value per output, collecting every sample of the batch; "
             "see lesson 02, section 6"]
    for case, X, W, b in _linear_cases():
        case = case.rsplit(", ", 1)[0]  # without the dtype
        X, W = X.astype(np.float64), W.astype(np.float64)  # the backward pass is checked in float64 only
        dZ = np.random.default_rng(len(case)).standard_normal((X.shape[0], W.shape[0]))
        expected = linear_backward(dZ, X, W)
        got = _parts(student(case, dZ, X, W), "dX, dW, db", case)
        mistakes = _linear_backward_mistakes(dZ, X, W, expected)
        for name, want, have, hint, wrong in zip(["dX", "dW", "db"], expected, got, hints, mistakes):
            _compare(name, f"{case} and a random dZ", want, have, hint, wrong)
    _passed()


# Homework 02, exercises 3 to 5: the loss, a two-layer network, a numerical gradient ----------------------------

#: Besides the linear layer: batchkit's ReLU, network, losses and gradient checker (exercises 3 to 5 ask for them).
NETWORK_BLOCKED = (*BLOCKED, "activations.relu", "activations.relu_backward", "mlp.MLP", "linreg.loss_and_gradient",
                   "gradcheck.numerical_gradient", "gradcheck.check_gradients", "losses.half_squared_error")
NETWORK_NAMES = "X, Y, W1, b1, W2, b2"
NETWORK_RESULTS = ["loss", "dW1", "db1", "dW2", "db2"]


def _regression_cases(seed: int = 206, count: int = 5):
    """(Ŷ, Y) of shape (N, M) with N != M, the last case in float32."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        n, m = int(rng.integers(2, 9)), int(rng.integers(2, 6))
        n += n == m  # a mean over the wrong axis then gives another value
        dtype = np.float32 if number == count - 1 else np.float64
        Y = rng.standard_normal((n, m))
        Y_hat = Y + rng.uniform(0.3, 2.0) * rng.standard_normal((n, m))
        yield f"Y_hat and Y of shape ({n}, {m}), {dtype.__name__}", Y_hat.astype(dtype), Y.astype(dtype)


def check_mse_loss(student: Callable[[np.ndarray, np.ndarray], tuple]) -> None:
    """``student(Y_hat, Y) -> (loss, dY_hat)``: the batch mean of every sample's half squared error, and its
    gradient."""
    student = Student(student, "Y_hat, Y", NETWORK_BLOCKED)
    for case, Y_hat, Y in _regression_cases():
        loss, dY_hat = half_squared_error(Y_hat, Y)
        n, m = Y.shape
        over_n = "average over the N samples: each sample's error is summed over its M outputs"
        loss_mistakes = [(loss * n, "this is the sum over the batch: the loss is the mean over the N samples"),
                         (loss / m, f"this divides by N·M, the number of entries; {over_n}"),
                         (loss * n / m, f"this divides by the number of outputs M, not by the batch size N; {over_n}"),
                         (loss * 2, "the ½ is missing")]
        gradient_mistakes = [(dY_hat * n, "the gradient of a mean over the batch carries its 1/N as well"),
                             (dY_hat / m, f"this divides by N·M, the number of entries; {over_n}"),
                             (dY_hat * n / m, f"this divides by M, not by the batch size N; {over_n}"),
                             (dY_hat * 2, "the ½ of the loss cancels the 2 of the derivative of a square"),
                             (-dY_hat, "the sign is flipped: the loss grows where Y_hat moves further above Y")]
        got = _parts(student(case, Y_hat, Y), "loss, dY_hat", case)

        def diagnose() -> str:
            return _ignored(student, case, (Y_hat, Y), {0: Y_hat + 0.5, 1: Y + 0.5})
        _compare("loss", case, loss, got[0], "a single number: the mean over the batch of every sample's "
                 "half squared error, summed over its outputs; see lesson 02, section 3 (a)", loss_mistakes,
                 diagnose=diagnose)
        _compare("dY_hat", case, dY_hat, got[1], "dY_hat has the shape of Y_hat, (N, M): the derivative of the loss "
                 "with respect to every entry of Y_hat; part A.2", gradient_mistakes, diagnose=diagnose)
    _passed()


def _ignored(student: Student, case: str, args: tuple, changes: dict[int, object]) -> str:
    """A hint naming the first argument (by position in ``changes``) whose changed value leaves the result unchanged,
    provided another change does change it (a result that never changes is not blamed on one argument), or ""."""
    first = student(case, *args)
    unchanged = []
    for index, value in changes.items():
        changed = list(args)
        changed[index] = value
        unchanged.append(_same(first, student(case, *changed)))
    if all(unchanged) or not any(unchanged):
        return ""
    index = list(changes)[unchanged.index(True)]
    name, value = student.names.split(", ")[index], changes[index]
    how = (f"for {name}={args[index]:.3g} and {name}={value:.3g}" if isinstance(value, float)
           else f"when every entry of `{name}` is 0.5 larger")
    return f"your function gives the same result {how}: it ignores its `{name}` argument; use the value it is given"


def _two_layer(X, Y, W1, b1, W2, b2, *, activation: bool = True, mask: str = "relu",
               second_input: str = "A") -> tuple:
    """Exercise 4's (loss, dW1, db1, dW2, db2) in float64, or with one typical mistake: no ReLU at all
    (``activation=False``), the gradient through the ReLU not masked (``mask="none"``) or multiplied by ReLU(H)
    (``"activation"``), the second layer's weight gradient taken with H (``second_input="H"``)."""
    X, Y, W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (X, Y, W1, b1, W2, b2))
    H = linear_forward(X, W1, b1)
    A = relu(H) if activation else H
    loss, dY_hat = half_squared_error(linear_forward(A, W2, b2), Y)
    dA, dW2, db2 = linear_backward(dY_hat, A if second_input == "A" else H, W2)
    dH = {"relu": relu_backward(dA, H), "none": dA, "activation": dA * A}[mask] if activation else dA
    _, dW1, db1 = linear_backward(dH, X, W1, input_gradient=False)
    return loss, dW1, db1, dW2, db2


def _network_cases(seed: int = 204, count: int = 5):
    """N, D, K, M all different (an operand mixed up then has the wrong shape, or gives another value), biases that
    put the hidden units on both sides of 0 (the ReLU switches some off), the last case in float32."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        n, d, k, m = (int(v) for v in rng.choice(np.arange(2, 10), size=4, replace=False))
        dtype = np.float32 if number == count - 1 else np.float64
        arrays = [rng.standard_normal((n, d)), rng.standard_normal((n, m)), rng.standard_normal((k, d)) / np.sqrt(d),
                  0.5 * rng.standard_normal(k), rng.standard_normal((m, k)) / np.sqrt(k), 0.5 * rng.standard_normal(m)]
        yield (f"X of shape ({n}, {d}), Y of shape ({n}, {m}), {k} hidden units, {dtype.__name__}",
               *(a.astype(dtype) for a in arrays))


def _by_differences(*args, **kwargs):
    raise CheckFailed("Exercise 4 asks for the gradients by backpropagation (part A), not by finite differences: "
                      "your numerical_gradient is there to check them.")


def check_two_layer_network(student: Callable[..., tuple]) -> None:
    """``student(X, Y, W1, b1, W2, b2) -> (loss, dW1, db1, dW2, db2)`` for linear → ReLU → linear and exercise 3's
    loss. The student's ``linear_forward``, ``linear_backward`` and ``mse_loss`` are replaced by references."""
    student = Student(student, NETWORK_NAMES, NETWORK_BLOCKED, collaborators={
        "linear_forward": linear_forward, "linear_backward": linear_backward, "mse_loss": half_squared_error,
        "numerical_gradient": _by_differences})
    for case, *args in _network_cases():
        expected = _two_layer(*args)
        variants = [
            (_two_layer(*args, activation=False), "the ReLU is missing: the second layer's input is A = ReLU(H), and "
                                                  "the gradient flows back through it"),
            (_two_layer(*args, mask="none"), "the gradient does not pass through the ReLU unchanged: it is 0 for "
                                             "every sample and unit where H ≤ 0 (that unit was switched off)"),
            (_two_layer(*args, mask="activation"), "this multiplied the gradient by ReLU(H) itself; the derivative of "
                                                   "ReLU is 1 where H > 0 and 0 elsewhere"),
            (_two_layer(*args, second_input="H"), "the second layer's input is A = ReLU(H), not H: its weight "
                                                  "gradient pairs dŶ with A"),
            (tuple(len(args[0]) * value for value in expected), "this is the loss summed over the batch (and its "
                                                                "gradient): the loss is the mean over the N samples")]
        shapes = [(), *(a.shape for a in args[2:])]
        layers = {"1": "the first layer: back through the second layer's W2 and the ReLU's mask, then exercise 2's "
                       "backward on X", "2": "the second layer: exercise 2's backward of dŶ on its input A"}
        hints = ["the loss of exercise 3, of the network's output (linear, ReLU, linear)",
                 *(f"d{name} has the shape of {name}, {shape}, and comes from {layers[name[-1]]}; part "
                   f"A.{3 if name.endswith('1') else 1}. Compare it with your numerical gradient (exercise 5)"
                   for name, shape in zip(["W1", "b1", "W2", "b2"], shapes[1:]))]
        got = _parts(student(case, *args), ", ".join(NETWORK_RESULTS), case)
        for j, (name, want, have) in enumerate(zip(NETWORK_RESULTS, expected, got)):
            mistakes = [(variant[j], hint) for variant, hint in variants]
            mistakes += [(expected[other], f"this is d{NETWORK_RESULTS[other][1:]}: return the results in the order "
                                           f"{', '.join(NETWORK_RESULTS)}") for other in range(1, 5) if other != j]
            _compare(name, case, want, have, hints[j], mistakes,
                     diagnose=lambda: _ignored(student, case, args, {k: a + 0.5 for k, a in enumerate(args)}))
    _passed()


def _smooth_function(rng: np.random.Generator, shape: tuple) -> Callable[[np.ndarray], float]:
    """A smooth scalar function of an array of ``shape``: not a sum of one function per entry (moving every entry at
    once gives another slope), and with large third derivatives (another step h gives another answer)."""
    weights, frequencies = rng.standard_normal(shape), rng.uniform(1.5, 3.0, shape)
    direction = rng.standard_normal(shape)

    def f(x: np.ndarray) -> float:
        if np.shape(x) != shape:
            raise CheckFailed(f"f was called with an array of shape {np.shape(x)}: call it with an array of the shape "
                              f"of x, {shape}")
        x = np.asarray(x, dtype=np.float64)
        return float(np.sum(weights * np.sin(frequencies * x)) + 0.5 * np.sum(direction * x) ** 2)
    return f


def _one_sided(f: Callable, x: np.ndarray, h: float) -> np.ndarray:
    """The forward difference ``(f(x + h e_j) - f(x)) / h`` for every entry j."""
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        moved = x.copy()
        moved[index] += h
        gradient[index] = (f(moved) - f(x)) / h
    return gradient


def check_numerical_gradient(student: Callable[[Callable, np.ndarray, float], np.ndarray]) -> None:
    """``student(f, x, h) -> gradient``: the centred difference of the scalar ``f`` for every entry of ``x``."""
    student = Student(student, "f, x, h", ("gradcheck.numerical_gradient", "gradcheck.check_gradients"))
    rng = np.random.default_rng(205)
    shapes = [(5,), (3, 4), (2, 3, 2)] + [tuple(int(v) for v in rng.integers(1, 6, size=2)) for _ in range(2)]
    for shape in shapes:
        f, x, h = _smooth_function(rng, shape), rng.standard_normal(shape), float(10 ** rng.uniform(-3, -1))
        case = f"x of shape {shape}, h={h:.3g}, a smooth f"
        reference = x.copy()
        expected = numerical_gradient(lambda: f(reference), reference, h)
        everywhere = (f(x + h) - f(x - h)) / (2 * h)
        one_sided = _one_sided(f, x, h)
        mistakes = [(one_sided, "this is the one-sided (forward) difference: step h to both sides of x"),
                    (one_sided / 2, "the second point is x itself, not x - h: after stepping +h, step -2h (or set "
                                    "x - h) before the second call"),
                    (2 * expected, "the two points are 2h apart: divide their difference by 2h"),
                    *((value, "this moved every entry of x at once: move one entry at a time, the others stay as "
                               "they are") for value in (np.full(shape, everywhere), everywhere))]
        _compare("The numerical gradient", case, expected, student(case, f, x, h),
                 "one value per entry of x, in the shape of x: the slope of f along that entry alone, from the two "
                 "points h on either side of it; see lesson 02, section 6", mistakes, tolerance=1e-8,
                 diagnose=lambda: _ignored(student, case, (f, x, h), {1: x + 0.5, 2: h / 10}))
    _passed()
