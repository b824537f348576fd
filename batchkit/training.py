"""One training loop for every batch size: full-batch GD, SGD and mini-batch GD on linear regression.

The loop is the posts' update rule applied batch after batch::

    for each epoch:                      # batches from lesson 01's iter_epochs (shuffle, replacement, drop_last)
        for each batch of m = b samples: # b = n: full-batch GD, b = 1: SGD, in between: mini-batch GD
            θj := θj - α_t ∂J/∂θj        # J and its gradient over this batch only (linreg.loss_and_gradient)

:func:`train` records a :class:`History`; the recording is done by a helper (``_Recorder``), so that the loop
(``_run``, shown in lesson 04) holds only the update. A run whose loss becomes infinite or NaN stops at once and says
at which step (``History.diverged_at``), without a wall of RuntimeWarnings. Tuning the learning rate over seeds is in
:mod:`batchkit.tuning`.

:func:`fit` is the Keras-style entry point, ``fit(X, y, epochs=..., batch_size=32, shuffle=True)``. Keras's mean
squared error has no ½, so its gradient is twice ours: Keras's learning rate α corresponds to ``learning_rate=2α``
here, and ``fit`` does that conversion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._validation import SeedLike, check_bool, check_choice, check_finite, check_nonnegative_int, check_positive_int
from .counting import batches_per_epoch
from .linreg import as_features, check_theta, loss, loss_and_gradient
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

    With ``decay > 0``, the infinite inverse-time schedule meets the Robbins–Monro conditions ``Σ α_t = ∞`` and
    ``Σ α_t² < ∞``; a constant rate meets only the first.

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
    X = check_finite("X", as_features(X))
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X),):
        raise ValueError(f"y has shape {y.shape} but X has {len(X)} samples: expected y of shape ({len(X)},)")
    check_finite("y", y)
    epochs = check_nonnegative_int("epochs", epochs)
    check_bool("shuffle", shuffle)
    eval_every = None if eval_every is None else check_positive_int("eval_every", eval_every)
    theta = np.zeros(X.shape[1] + 1) if theta0 is None else check_theta(np.array(theta0, dtype=np.float64), X)
    per_epoch = batches_per_epoch(len(X), batch_size, drop_last)
    rates = learning_rates(learning_rate, per_epoch * epochs, schedule, decay)
    epoch_batches = iter_epochs(len(X), batch_size, epochs, shuffle=shuffle, replacement=replacement,
                                drop_last=drop_last, seed=seed)
    record = _Recorder(X, y, theta, len(rates), eval_every)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported in the history, not warned about
        _run(X, y, theta, rates, epoch_batches, record)
    return record.history(rates, per_epoch)


def _run(X, y, theta, rates, epoch_batches, record: _Recorder) -> None:
    """The posts' update rule, batch after batch. ``record`` keeps the history and stops a run that diverges."""
    t = 0  # steps so far
    for batches in epoch_batches:  # one epoch: a list of batches, each an array of sample indices
        for index in batches:  # one update per batch: each update needs the θ of the one before
            J_batch, gradient = loss_and_gradient(theta, X[index], y[index])
            theta = theta - rates[t] * gradient  # θj := θj - α_t ∂J/∂θj, for every j at once
            t += 1
            if not record.step(theta, J_batch, len(index)):
                return
        if not record.epoch_end(theta):
            return


class _Recorder:
    """What :func:`train` writes down while the loop runs, kept out of the loop so that the loop reads like the posts.

    Per step: θ after the update, the batch loss before it, the samples seen, and the training time (the full-data
    evaluations are measurement, so their time is left out). Per epoch, and every ``eval_every`` steps: ``J`` on all
    the data. A non-finite loss ends the run and is reported as ``diverged_at``.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, total_steps: int, eval_every: int | None):
        self.X, self.y, self.eval_every = X, y, eval_every
        self.theta = np.empty((total_steps + 1, len(theta)))
        self.theta[0] = theta
        self.batch_loss, self.wall = np.empty(total_steps), np.empty(total_steps)
        self.seen = np.empty(total_steps, dtype=np.int64)
        self.steps, self.samples, self.diverged_at = 0, 0, None
        self.eval_steps, self.eval_loss = [], []
        self.evaluating, self.start = 0.0, time.perf_counter()  # evaluating: seconds of full-data evaluations
        self.epoch_loss = [self._full_loss(theta)]

    def step(self, theta: np.ndarray, batch_loss: float, samples: int) -> bool:
        """Record one update; False (and ``diverged_at`` set) if its batch loss was not finite."""
        if not np.isfinite(batch_loss):
            self.diverged_at = self.steps + 1
            return False
        k = self.steps
        self.theta[k + 1], self.batch_loss[k] = theta, batch_loss
        self.samples += samples
        self.seen[k], self.steps = self.samples, k + 1
        self.wall[k] = time.perf_counter() - self.start - self.evaluating
        if self.eval_every is not None and self.steps % self.eval_every == 0:
            self.eval_steps.append(self.steps)
            self.eval_loss.append(self._full_loss(theta))
        return True

    def epoch_end(self, theta: np.ndarray) -> bool:
        """Record ``J`` on all the data; False (and ``diverged_at`` set) if it is not finite."""
        self.epoch_loss.append(self._full_loss(theta))
        if not np.isfinite(self.epoch_loss[-1]):
            self.diverged_at = self.steps
            return False
        return True

    def _full_loss(self, theta: np.ndarray) -> float:
        before = time.perf_counter()
        value = loss(theta, self.X, self.y)
        self.evaluating += time.perf_counter() - before
        return value

    def history(self, rates: np.ndarray, steps_per_epoch: int) -> History:
        kept = self.steps  # completed steps only: the non-finite loss is in diverged_at
        return History(theta=self.theta[: kept + 1], batch_loss=self.batch_loss[:kept], learning_rate=rates[:kept],
                       samples_seen=self.seen[:kept], wall_time=self.wall[:kept], epoch_loss=np.array(self.epoch_loss),
                       eval_steps=np.array(self.eval_steps, dtype=np.int64), eval_loss=np.array(self.eval_loss),
                       steps_per_epoch=steps_per_epoch, diverged_at=self.diverged_at)


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
