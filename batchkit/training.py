"""One training loop for every batch size: full-batch GD, SGD and mini-batch GD on linear regression.

The loop is the posts' update rule applied batch after batch::

    for each epoch:                      # batches from lesson 01's iter_epochs (shuffle, replacement, drop_last)
        for each batch of m samples:     # m = n: GD, m = 1: SGD, in between: mini-batch GD
            θj := θj - α_t ∂J/∂θj        # J and its gradient over this batch only (batchkit.linreg)

:func:`train` records a :class:`History`. A run whose loss becomes infinite or NaN stops at once and says at which
step (``History.diverged_at``), without a wall of RuntimeWarnings.

:func:`fit` is the Keras-style entry point, ``fit(X, y, epochs=..., batch_size=32, shuffle=True)``. Keras's mean
squared error has no ½, so its gradient is twice ours: Keras's learning rate α corresponds to ``learning_rate=2α``
here, and ``fit`` does that conversion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._validation import SeedLike, check_bool, check_choice, check_nonnegative_int, check_positive_int
from .counting import batches_per_epoch
from .linreg import as_features, check_theta, loss
from .sampling import iter_epochs

SCHEDULES = ("constant", "inverse_time")


@dataclass
class History:
    """What a training run did, step by step.

    Attributes
    ----------
    theta : numpy.ndarray, shape (steps + 1, d + 1)
        Parameters before the first step and after every step.
    batch_loss : numpy.ndarray, shape (steps,)
        ``J`` on each step's batch, before its update.
    learning_rate : numpy.ndarray, shape (steps,)
        The learning rate used at each step.
    samples_seen : numpy.ndarray of int, shape (steps,)
        Samples used so far, after each step.
    wall_time : numpy.ndarray, shape (steps,)
        Seconds of training since the start, after each step (machine dependent). The full-data evaluations
        (``epoch_loss``, ``eval_loss``) are not counted: they are measurement, not training.
    epoch_loss : numpy.ndarray, shape (epochs + 1,)
        ``J`` on all the data at the start and at the end of every epoch.
    eval_steps, eval_loss : numpy.ndarray, shape (k,)
        ``J`` on all the data every ``eval_every`` steps (empty when ``eval_every`` is None).
    steps_per_epoch : int
    diverged_at : int or None
        The step (1-based) whose loss was not finite; the arrays stop there. None if the run finished.
    """

    theta: np.ndarray
    batch_loss: np.ndarray
    learning_rate: np.ndarray
    samples_seen: np.ndarray
    wall_time: np.ndarray
    epoch_loss: np.ndarray
    eval_steps: np.ndarray
    eval_loss: np.ndarray
    steps_per_epoch: int
    diverged_at: int | None = None

    @property
    def steps(self) -> int:
        """Parameter updates made."""
        return len(self.batch_loss)

    @property
    def final_loss(self) -> float:
        """``J`` on all the data at the end (infinite after divergence)."""
        return float(self.epoch_loss[-1]) if self.diverged_at is None else float("inf")

    def describe(self) -> str:
        """One line: steps, final loss, or where the run diverged."""
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}: the loss became infinite (learning rate too large)"
        return f"{self.steps} steps ({self.steps_per_epoch} per epoch), final loss J = {self.final_loss:.4g}"


def learning_rates(initial: float, steps: int, schedule: str = "constant", decay: float = 0.0) -> np.ndarray:
    """The learning rate of every step: constant, or ``α0 / (1 + decay · t)`` for ``t = 0, 1, ...`` ("inverse_time").

    Returns
    -------
    numpy.ndarray, shape (steps,)
    """
    schedule = check_choice("schedule", schedule, SCHEDULES)
    if not (np.isfinite(initial) and initial > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {initial!r}")
    if not (np.isfinite(decay) and decay >= 0):
        raise ValueError(f"decay must be a non-negative finite number, got {decay!r}")
    t = np.arange(steps, dtype=np.float64)
    return np.full(steps, float(initial)) if schedule == "constant" else initial / (1.0 + decay * t)


def train(
    X: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    epochs: int,
    learning_rate: float,
    schedule: str = "constant",
    decay: float = 0.0,
    shuffle: bool = True,
    replacement: bool = False,
    drop_last: bool = False,
    theta0: np.ndarray | None = None,
    seed: SeedLike = None,
    eval_every: int | None = None,
) -> History:
    """Train ``h_θ(x) = θ0 + θ1 x1 + ... + θd xd`` by (mini-batch) gradient descent on ``J``.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d), or (n,) for one feature
    y : numpy.ndarray, shape (n,)
    batch_size : int
        ``n`` (or more) for full-batch GD, 1 for SGD.
    epochs : int
    learning_rate : float
        α, or α0 with a schedule.
    schedule : {"constant", "inverse_time"}
        "inverse_time": ``α_t = α0 / (1 + decay · t)``, t counting steps from 0.
    shuffle, replacement, drop_last, seed
        The batching of :func:`batchkit.iter_epochs`, which this loop uses: the same arguments reproduce the same
        batches.
    theta0 : numpy.ndarray, shape (d + 1,), optional
        Starting parameters (zeros by default).
    eval_every : int, optional
        Also record ``J`` on all the data every this many steps.

    Returns
    -------
    History
    """
    X = as_features(X)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X),):
        raise ValueError(f"y has shape {y.shape} but X has {len(X)} samples: expected y of shape ({len(X)},)")
    epochs = check_nonnegative_int("epochs", epochs)
    check_bool("shuffle", shuffle)
    eval_every = None if eval_every is None else check_positive_int("eval_every", eval_every)
    theta = np.zeros(X.shape[1] + 1) if theta0 is None else check_theta(np.array(theta0, dtype=np.float64), X)
    per_epoch = batches_per_epoch(len(X), batch_size, drop_last)
    rates = learning_rates(learning_rate, per_epoch * epochs, schedule, decay)
    epoch_batches = iter_epochs(len(X), batch_size, epochs, shuffle=shuffle, replacement=replacement,
                                drop_last=drop_last, seed=seed)
    return _run(X, y, theta, rates, epoch_batches, per_epoch, eval_every)


def _run(X, y, theta, rates, epoch_batches, per_epoch, eval_every) -> History:
    """The loop itself, arguments already checked. Kept lean: at batch size 1 its overhead is what is measured."""
    total = len(rates)
    thetas = np.empty((total + 1, len(theta)))
    thetas[0] = theta
    batch_loss = np.empty(total)
    seen = np.empty(total, dtype=np.int64)
    wall = np.empty(total)
    epoch_loss = [loss(theta, X, y)]
    eval_steps, eval_loss = [], []
    step, count, diverged = 0, 0, None
    start, measuring = time.perf_counter(), 0.0  # measuring: seconds spent on full-data evaluations, left out
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, not warned about
        for batches in epoch_batches:  # loops over epochs and steps: each step needs the previous θ
            for index in batches:
                Xb, yb = X[index], y[index]
                residual = theta[0] + Xb @ theta[1:] - yb
                m = len(index)
                batch_loss[step] = residual @ residual / (2 * m)
                if not np.isfinite(batch_loss[step]):
                    diverged = step + 1
                    break
                rate = rates[step]
                theta = theta - rate * np.concatenate(([residual.sum()], residual @ Xb)) / m
                thetas[step + 1] = theta
                count += m
                seen[step] = count
                step += 1
                wall[step - 1] = time.perf_counter() - start - measuring
                if eval_every is not None and step % eval_every == 0:
                    before = time.perf_counter()
                    eval_steps.append(step)
                    eval_loss.append(loss(theta, X, y))
                    measuring += time.perf_counter() - before
            if diverged is not None:
                break
            before = time.perf_counter()
            epoch_loss.append(loss(theta, X, y))
            measuring += time.perf_counter() - before
            if not np.isfinite(epoch_loss[-1]):
                diverged = step
                break
    kept = step
    return History(
        theta=thetas[: kept + 1],
        batch_loss=batch_loss[:kept],  # completed steps only: the non-finite loss is in diverged_at
        learning_rate=rates[:kept],
        samples_seen=seen[:kept],
        wall_time=wall[:kept],
        epoch_loss=np.array(epoch_loss),
        eval_steps=np.array(eval_steps, dtype=np.int64),
        eval_loss=np.array(eval_loss),
        steps_per_epoch=per_epoch,
        diverged_at=diverged,
    )


def fit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    learning_rate: float = 0.01,
    shuffle: bool = True,
    seed: SeedLike = None,
) -> History:
    """Keras-style training: ``model.fit(X, y, epochs=5, batch_size=16)`` for linear regression.

    Keras semantics: ``batch_size`` defaults to 32, ``shuffle`` to True (a fresh permutation every epoch, without
    replacement), and an epoch has ``ceil(n / batch_size)`` steps, the last batch smaller. ``learning_rate`` is in
    Keras's convention, for the mean squared error ``1/m Σ (h - y)²`` without the ½: it equals
    ``train(..., learning_rate=2 * learning_rate)`` on this package's ``J``.
    """
    return train(X, y, batch_size=batch_size, epochs=epochs, learning_rate=2.0 * learning_rate, shuffle=shuffle,
                 seed=seed)


def final_losses(X: np.ndarray, y: np.ndarray, *, batch_sizes: list[int], learning_rates_: list[float],
                 epochs: int, seed: int = 0, **options) -> np.ndarray:
    """Final ``J`` on all the data for every (batch size, learning rate) pair; ``inf`` where training diverged.

    Returns
    -------
    numpy.ndarray, shape (len(batch_sizes), len(learning_rates_))
    """
    return np.array([[train(X, y, batch_size=b, epochs=epochs, learning_rate=rate, seed=seed, **options).final_loss
                      for rate in learning_rates_] for b in batch_sizes])


def tune_learning_rate(X: np.ndarray, y: np.ndarray, *, batch_size: int, epochs: int, candidates: list[float],
                       seed: int = 0, **options) -> float:
    """The candidate learning rate with the lowest final loss after ``epochs`` epochs (diverged runs lose).

    The same budget of epochs for every batch size, as in a fair comparison per epoch.
    """
    losses = final_losses(X, y, batch_sizes=[batch_size], learning_rates_=candidates, epochs=epochs, seed=seed,
                          **options)[0]
    return float(candidates[int(np.argmin(losses))])


def gradient_noise(X: np.ndarray, y: np.ndarray, theta: np.ndarray, batch_sizes: list[int], *,
                   epochs: int = 20, seed: SeedLike = 0) -> np.ndarray:
    """How far mini-batch gradients stray from the full gradient: the root mean square of ``|g_batch - g_full|``.

    Measured over ``epochs`` shuffled epochs without replacement (full batches only) at a fixed ``theta``.
    Theory: it falls like ``1/√b``, times the finite-population correction ``√((n - b)/(n - 1))``.

    Returns
    -------
    numpy.ndarray, shape (len(batch_sizes),)
    """
    X = as_features(X)
    y = np.asarray(y, dtype=np.float64)
    theta = check_theta(np.asarray(theta, dtype=np.float64), X)
    design = np.hstack([np.ones((len(X), 1)), X])
    per_sample = (design @ theta - y)[:, None] * design  # each sample's own gradient, shape (n, d + 1)
    full = per_sample.mean(axis=0)
    noise = []
    for b in batch_sizes:  # a loop over the few batch sizes asked for
        deviations = [per_sample[np.concatenate(batches)].reshape(len(batches), b, -1).mean(axis=1) - full
                      for batches in iter_epochs(len(X), b, epochs, drop_last=True, seed=seed)]
        noise.append(np.sqrt(np.mean(np.sum(np.concatenate(deviations) ** 2, axis=1))))
    return np.array(noise)
