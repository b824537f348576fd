"""Tuning the learning rate fairly: every candidate, on several seeds, judged on the loss on all the data.

A method with a badly chosen learning rate tells us nothing about the method, so lesson 04 gives each method the
candidate that does best *for the budget of epochs being compared*, and judges it on the median over seeds:

* :func:`rate_study` trains once per candidate and seed and records ``J - J*`` after every epoch; its
  :class:`RateStudy` gives the best rate for any budget and the spread over seeds at that rate;
* :func:`final_losses` is the grid of final losses over batch sizes and learning rates, and
  :func:`largest_lowering_rate` reads from it the largest learning rate that still lowers the loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_nonnegative_int
from .linreg import as_features, least_squares, loss
from .seeds import DEFAULT_SEEDS, Replicates, over_seeds
from .training import train


def final_losses(X: np.ndarray, y: np.ndarray, *, batch_sizes: list[int], learning_rates_: list[float],
                 epochs: int, seed: int = 0, **options) -> np.ndarray:
    """Final ``J`` on all the data for every (batch size, learning rate) pair; ``inf`` where training diverged.

    Returns
    -------
    numpy.ndarray, shape (len(batch_sizes), len(learning_rates_))
    """
    return np.array([[train(X, y, batch_size=b, epochs=epochs, learning_rate=rate, seed=seed, **options).final_loss
                      for rate in learning_rates_] for b in batch_sizes])


def largest_lowering_rate(learning_rates_: list[float], final_loss: np.ndarray, start_loss: float) -> np.ndarray:
    """The largest learning rate whose run ended below the starting loss, for every row of ``final_loss``.

    Parameters
    ----------
    learning_rates_ : list of float, length r
    final_loss : numpy.ndarray, shape (..., r)
        Final ``J`` of each run (:func:`final_losses`; ``inf`` where a run diverged).
    start_loss : float
        ``J`` at the starting parameters.

    Returns
    -------
    numpy.ndarray, shape (...)
        0 where no learning rate lowered the loss.
    """
    final_loss = np.asarray(final_loss, dtype=np.float64)
    if final_loss.ndim == 0 or final_loss.shape[-1] != len(learning_rates_):
        raise ValueError(f"final_loss must have one column per learning rate ({len(learning_rates_)}), "
                         f"got shape {final_loss.shape}")
    lowered = final_loss < start_loss  # NaN and inf compare False: a diverged run never lowered the loss
    return np.where(lowered, np.asarray(learning_rates_, dtype=np.float64), 0.0).max(axis=-1)


@dataclass(frozen=True)
class RateStudy:
    """``J - J*`` on all the data after every epoch, for each candidate learning rate and seed (:func:`rate_study`).

    Attributes
    ----------
    learning_rates : tuple of float, length r
    excess : Replicates
        Per seed, shape (r, epochs + 1): ``excess.values[s, j, e]`` is ``J - J*`` after ``e`` epochs at
        ``learning_rates[j]`` with the s-th seed; ``inf`` once that run has diverged.
    """

    learning_rates: tuple[float, ...]
    excess: Replicates

    def best_rate(self, epochs: int) -> float:
        """The candidate with the lowest median ``J - J*`` after ``epochs`` epochs: the rate tuned for that budget."""
        return self.learning_rates[self._best(epochs)]

    def after(self, epochs: int, learning_rate: float | None = None) -> Replicates:
        """``J - J*`` after ``epochs`` epochs on every seed, at ``learning_rate`` (default: the best for the budget)."""
        if learning_rate is None:
            return self.excess[self._best(epochs), epochs]
        if learning_rate not in self.learning_rates:
            raise ValueError(f"learning_rate must be one of the candidates {self.learning_rates}, "
                             f"got {learning_rate!r}")
        return self.excess[self.learning_rates.index(learning_rate), self._epochs(epochs)]

    def best_per_budget(self, budgets: list[int]) -> Replicates:
        """``after(e)`` for every budget ``e``, each at its own best rate: per seed, shape (len(budgets),)."""
        return Replicates(self.excess.seeds, np.stack([self.after(e).values for e in budgets], axis=1))

    def _best(self, epochs: int) -> int:
        return int(np.argmin(self.excess.median[:, self._epochs(epochs)]))  # ties: the smaller rate listed first

    def _epochs(self, epochs: int) -> int:
        last = self.excess.values.shape[-1] - 1
        if check_nonnegative_int("epochs", epochs) > last:
            raise ValueError(f"epochs must be at most {last}, the length of the study, got {epochs}")
        return epochs


def reported_per_budget(tuning: RateStudy, reporting: RateStudy, budgets: list[int]) -> Replicates:
    """``J - J*`` on the reporting seeds after each budget, at the rate that the *tuning* seeds chose for it.

    Choosing a rate and reporting its result on the same seeds flatters it (the lowest of several noisy medians
    is low partly by luck); fresh seeds give an honest report.

    Parameters
    ----------
    tuning, reporting : RateStudy
        The same method on different seeds; ``reporting`` must include every rate ``tuning`` picks for ``budgets``.
    budgets : list of int, length k

    Returns
    -------
    Replicates
        Per reporting seed, shape (k,).
    """
    return Replicates(reporting.excess.seeds,
                      np.stack([reporting.after(e, tuning.best_rate(e)).values for e in budgets], axis=1))


def rate_study(X: np.ndarray, y: np.ndarray, *, batch_size: int, learning_rates_: list[float], epochs: int,
               seeds: int | Sequence[int] = DEFAULT_SEEDS, report: Callable[[int, object], None] | None = None,
               **options) -> RateStudy:
    """Train once per candidate learning rate and seed, recording ``J - J*`` on all the data after every epoch.

    One set of runs serves every budget of epochs up to ``epochs``: the first e epochs of a longer run are an e-epoch
    run (the learning rate of step t does not depend on the length of the run).

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d), or (n,) for one feature
    y : numpy.ndarray, shape (n,)
    batch_size : int
    learning_rates_ : list of float, length r
        The candidates.
    epochs : int
        The longest budget.
    seeds, report
        As in :func:`batchkit.seeds.over_seeds`: the seeds (five by default), and a progress callback.
    **options
        More arguments of :func:`batchkit.training.train` (``schedule``, ``replacement``, ...).

    Returns
    -------
    RateStudy
        ``excess`` holds, per seed, an array of shape (r, epochs + 1). ``J*`` is the least-squares minimum; rounding
        can put ``J`` a hair below it, which is recorded as 0.
    """
    if len(learning_rates_) == 0:
        raise ValueError("learning_rates_ must hold at least one candidate learning rate, got none")
    epochs = check_nonnegative_int("epochs", epochs)
    X = as_features(X)
    min_loss = loss(least_squares(X, y), X, y)

    def experiment(seed: int) -> np.ndarray:
        curves = np.full((len(learning_rates_), epochs + 1), np.inf)  # inf: after the run diverged
        for j, rate in enumerate(learning_rates_):
            reached = train(X, y, batch_size=batch_size, epochs=epochs, learning_rate=rate, seed=seed,
                            **options).epoch_loss
            curves[j, : len(reached)] = np.where(np.isfinite(reached), reached, np.inf)
        return np.maximum(curves - min_loss, 0.0)

    return RateStudy(tuple(float(rate) for rate in learning_rates_), over_seeds(experiment, seeds, report=report))
