"""Steps to a target (Shallue et al., 2019): how many updates each batch size needs to reach a validation accuracy.

A training run is scored by the number of steps s it takes until the validation accuracy first reaches a target,
with the learning rate tuned for every batch size b. Plotted on log-log axes against b, the steps first fall like
1/b (doubling b halves s: *perfect scaling*), then fall more slowly (*diminishing returns*). McCandlish et al.
(2018) model the curve as

    s(b) = s_min · (1 + b_crit / b),

with s_min the fewest steps any batch size needs and b_crit the **critical batch size**, where the bend is
(:func:`fit_steps_model`).

The task is lesson 05's digits with the validation split of :func:`batchkit.batch_size_study.digits_splits`,
and a small tanh MLP trained with plain mini-batch SGD.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_array, check_choice, check_nonnegative_int, check_positive_int, check_real
from .batch_size_study import digits_splits
from .losses import softmax_cross_entropy
from .mlp import DIVERGENCE_FACTOR, MLP
from .sampling import iter_epochs

#: Hidden layer of the MLP 64-32-10 that the step counts are measured on.
HIDDEN = (32,)
#: Relative spacing of the steps at which the validation accuracy is checked: 1, 2, 3, ..., then 5% apart.
CHECK_SPACING = 0.05


def checkpoint_steps(max_steps: int, spacing: float = CHECK_SPACING) -> np.ndarray:
    """The steps after which a run checks its validation accuracy: every step at first, then ``spacing`` apart.

    A step count read on this grid is at most ``spacing`` (5%) above the exact first step that reached the target,
    a constant error on a logarithmic axis.

    Returns
    -------
    numpy.ndarray of int, shape (k,)
        Increasing, from 1 to ``max_steps`` (included).
    """
    max_steps = check_positive_int("max_steps", max_steps)
    spacing = check_real("spacing", spacing, low=0.0)
    count = int(np.ceil(np.log(max_steps) / np.log1p(spacing))) + 1
    grid = np.ceil((1.0 + spacing) ** np.arange(count)).astype(int)
    return np.unique(np.append(grid[grid < max_steps], max_steps))


#: What a run can aim for: a validation accuracy to reach (at least), or a training loss to get down to (at most).
CRITERIA = ("validation_accuracy", "training_loss")


@dataclass(frozen=True)
class TargetRun:
    """One run of :func:`train_to_target`.

    Attributes
    ----------
    steps_to_target : float
        First checked step that met the target; ``inf`` if none did.
    steps : int
        Steps actually made (fewer than ``max_steps`` when the run stopped at the target or diverged).
    diverged : bool
        The validation loss became non-finite or exceeded ``DIVERGENCE_FACTOR`` times its starting value.
    train_accuracy, validation_accuracy, test_accuracy, test_loss : float
        Of the model at the end of the run. The test set is evaluated here only, once.
    """

    steps_to_target: float
    steps: int
    diverged: bool
    train_accuracy: float
    validation_accuracy: float
    test_accuracy: float
    test_loss: float


def train_to_target(batch_size: int, learning_rate: float, *, target: float, max_steps: int, seed: int = 0,
                    criterion: str = "validation_accuracy", warmup_steps: int = 0, stop_at_target: bool = True,
                    hidden: tuple[int, ...] = HIDDEN,
                    on_check: Callable[[int, MLP, float], None] | None = None) -> TargetRun:
    """Mini-batch SGD on the digits until a target is met (or ``max_steps``), checked on :func:`checkpoint_steps`.

    Parameters
    ----------
    batch_size : int
        b, samples per step; every step has exactly b samples (the incomplete batch at the end of an epoch is
        dropped, and the next epoch is a fresh permutation).
    learning_rate : float
        α, > 0.
    target : float
        A validation accuracy in (0, 1] to reach, or a training loss > 0 to get down to (see ``criterion``).
    max_steps : int
        Give up after this many steps.
    seed : int
        Seeds the initial weights and (``seed + 1``) the shuffling.
    criterion : {"validation_accuracy", "training_loss"}
        What ``target`` applies to: accuracy on the validation set (at least), or mean cross-entropy on the
        training samples (at most).
    warmup_steps : int
        The rate rises linearly from α / warmup_steps to α over the first steps (0: no warm-up).
    stop_at_target : bool
        Stop at the first check that meets the target (True), or train on to ``max_steps``.
    on_check : callable, optional
        ``on_check(step, model, value)`` before the first step (step 0) and at every check, with the value of the
        criterion, to measure the model along the way. It must not change the model.
    """
    learning_rate = check_real("learning_rate", learning_rate, low=0.0)
    criterion = check_choice("criterion", criterion, CRITERIA)
    target = check_real("target", target, low=0.0, high=1.0 if criterion == "validation_accuracy" else float("inf"))
    warmup_steps = check_nonnegative_int("warmup_steps", warmup_steps)
    X_train, X_validation, X_test, y_train, y_validation, y_test = digits_splits()
    model = MLP([X_train.shape[1], *hidden, 10], activation="tanh", seed=seed)
    checks = set(checkpoint_steps(max_steps).tolist())
    per_epoch = len(X_train) // check_positive_int("batch_size", batch_size)
    epochs = iter_epochs(len(X_train), batch_size, -(-max_steps // max(per_epoch, 1)), drop_last=True, seed=seed + 1)
    if criterion == "validation_accuracy":
        value, met = (lambda: model.accuracy(X_validation, y_validation)), (lambda v: v >= target)
    else:
        value, met = (lambda: _mean_loss(model, X_train, y_train)), (lambda v: v <= target)
    start_loss = _mean_loss(model, X_validation, y_validation)
    if on_check is not None:
        on_check(0, model, value())
    reached, step, diverged = float("inf"), 0, False
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for index in (batch for epoch in epochs for batch in epoch):
            step += 1
            rate = learning_rate * min(1.0, step / warmup_steps) if warmup_steps else learning_rate
            _, dW, db = model.loss_and_gradients(X_train[index], y_train[index])
            model.sgd_step(dW, db, rate)
            if step in checks:
                current = value()
                if on_check is not None:
                    on_check(step, model, current)
                if met(current) and reached == float("inf"):
                    reached = float(step)
                diverged = not _mean_loss(model, X_validation, y_validation) < DIVERGENCE_FACTOR * start_loss
                if diverged or (stop_at_target and reached < float("inf")) or step >= max_steps:
                    break
        test = (model.accuracy(X_test, y_test), _mean_loss(model, X_test, y_test))
        return TargetRun(reached, step, diverged, model.accuracy(X_train, y_train),
                         model.accuracy(X_validation, y_validation), *test)


def _mean_loss(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy over (X, y), or inf when the logits are no longer finite."""
    logits = model.forward(X)
    return softmax_cross_entropy(logits, y)[0] if np.all(np.isfinite(logits)) else float("inf")


def steps_grid(batch_sizes: Sequence[int], learning_rates: Sequence[float], seed: int, *, target: float,
               max_steps: int) -> np.ndarray:
    """Steps to target of every (batch size, learning rate) pair for one seed: the experiment of one replicate.

    Returns
    -------
    numpy.ndarray, shape (len(batch_sizes), len(learning_rates))
        ``inf`` where the target was not reached within ``max_steps`` (too slow, or diverged).
    """
    return np.array([[train_to_target(b, rate, target=target, max_steps=max_steps, seed=seed).steps_to_target
                      for rate in learning_rates] for b in batch_sizes])


def tuned_rate_index(steps: np.ndarray) -> np.ndarray:
    """For every batch size, the learning rate whose median steps to target over the seeds is smallest.

    Parameters
    ----------
    steps : numpy.ndarray, shape (seeds, batch sizes, learning rates)
        From :func:`steps_grid`, one row per seed. Ties go to the smaller learning rate.

    Returns
    -------
    numpy.ndarray of int, shape (batch sizes,)
        Index of the chosen learning rate.
    """
    steps = check_array("steps", steps, ndim=(3,))
    return np.argmin(np.median(steps, axis=0), axis=1)


def fit_steps_model(batch_sizes: np.ndarray, steps: np.ndarray,
                    candidates: np.ndarray | None = None) -> tuple[float, float]:
    """Fit ``s(b) = s_min · (1 + b_crit / b)`` (McCandlish et al., 2018) to measured steps, on log axes.

    For every candidate ``b_crit`` the best ``s_min`` is explicit (the mean of ``log s - log(1 + b_crit / b)``);
    the candidate with the smallest squared error in ``log s`` wins.

    Parameters
    ----------
    batch_sizes : numpy.ndarray, shape (k,)
    steps : numpy.ndarray, shape (k,)
        Finite, positive step counts (one seed, or the medians).
    candidates : numpy.ndarray, optional
        Values of ``b_crit`` to try; by default 2000 values from 0.01 to 100 000, evenly spaced on a log axis.

    Returns
    -------
    s_min, b_crit : float
    """
    b = check_array("batch_sizes", batch_sizes, ndim=(1,)).astype(float)
    s = check_array("steps", steps, ndim=(1,)).astype(float)
    if b.shape != s.shape or len(b) < 2:
        raise ValueError(f"batch_sizes and steps must have the same length >= 2, got {b.shape} and {s.shape}")
    if not (np.all(np.isfinite(s)) and np.all(s > 0) and np.all(b > 0)):
        raise ValueError("steps and batch_sizes must be finite and positive: leave out runs that never reached it")
    candidates = np.logspace(-2, 5, 2000) if candidates is None else np.asarray(candidates, dtype=float)
    shape = np.log1p(candidates[:, None] / b[None, :])  # (candidates, k)
    log_s_min = np.mean(np.log(s)[None, :] - shape, axis=1)
    errors = np.sum((np.log(s)[None, :] - log_s_min[:, None] - shape) ** 2, axis=1)
    best = int(np.argmin(errors))
    return float(np.exp(log_s_min[best])), float(candidates[best])


def training_step(hidden: tuple[int, ...] = HIDDEN, seed: int = 0) -> Callable[[np.ndarray], None]:
    """The work of one step of :func:`train_to_target`, for timing: ``step(index)`` trains on those training samples.

    ``index`` is an int array of b sample positions (``numpy.arange(b)`` will do); the step gathers the batch,
    computes the loss and gradients and updates the weights, as a training step does.
    """
    X_train, _, _, y_train, _, _ = digits_splits()
    model = MLP([X_train.shape[1], *hidden, 10], activation="tanh", seed=seed)

    def step(index: np.ndarray) -> None:
        _, dW, db = model.loss_and_gradients(X_train[index], y_train[index])
        model.sgd_step(dW, db, 0.01)

    return step
