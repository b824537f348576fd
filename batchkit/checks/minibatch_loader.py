"""Lesson 01's homework build: the check of the mini-batch loader the student writes (a class over ``(X, y)`` that
yields one shuffled epoch of batches per iteration from a given Generator)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

import numpy as np

from ..counting import batch_sizes, batches_per_epoch
from ..loader import BatchLoader
from ..sampling import epoch_batch_indices
from ._core import CheckFailed, Student, _blocked_message, _check_count, _fail, _passed, _with_ignored
from .batches import BLOCKED

__all__ = ["check_minibatch_loader"]  # what batchkit.checks exports

LOADER_NAMES = "X, y, batch_size, rng, drop_last"
EPOCHS = 3  # epochs the check runs on one loader


class _Seed(int):
    """A seed the check turns into a fresh Generator for each run of a loader (so that a run can be repeated), shown
    as that Generator."""

    def __repr__(self) -> str:
        return f"default_rng({int(self)})"


def _student_globals(loader_class: Any) -> dict:
    """The namespace the student's methods run in (their notebook), where Student also blocks batchkit's names."""
    for name in ("__init__", "__iter__", "__len__"):
        namespace = getattr(getattr(loader_class, name, None), "__globals__", None)
        if namespace is not None:
            return namespace
    return {}


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class _LoaderRun:
    """The student's loader class as a function for :class:`Student`: build a loader from the arguments (a fresh
    Generator from the seed given for ``rng``), run :data:`EPOCHS` epochs, and return ``(len(loader), steps before,
    steps after, the sample indices of every batch, per epoch)``. What needs the data (the batches are rows of X
    with their own targets, X and y unchanged) is checked here, while the batches are at hand."""

    def __init__(self, loader_class: Any) -> None:
        self.loader_class, self.case = loader_class, ""
        self.__globals__ = _student_globals(loader_class)

    def __call__(self, X: np.ndarray, y: np.ndarray, batch_size: int, seed: _Seed, drop_last: bool) -> tuple:
        original = X.copy(), y.copy()
        loader = self.loader_class(X, y, batch_size, np.random.default_rng(int(seed)), drop_last)
        self._unchanged(X, y, original, "when the loader was built")
        try:
            length = len(loader)
        except TypeError as error:
            _fail("len(loader)", self.case, "the number of batches in one epoch, an int", repr(error),
                  "give the class a __len__ method that returns an int")
        before = getattr(loader, "steps", None)
        epochs = tuple(self._epoch(loader, X, y, original, number) for number in range(1, EPOCHS + 1))
        return length, before, getattr(loader, "steps", None), epochs

    def _unchanged(self, X: np.ndarray, y: np.ndarray, original: tuple, when: str) -> None:
        for name, now, before in zip("Xy", (X, y), original):
            if not np.array_equal(now, before):
                _fail(f"The data `{name}`", self.case, f"`{name}` as the caller gave it", f"`{name}` changed {when}",
                      f"the loader changed `{name}` in place (shuffled it?); the caller's data must stay as it is: "
                      "shuffle an array of indices and gather each batch with them")

    def _epoch(self, loader: Any, X: np.ndarray, y: np.ndarray, original: tuple, number: int) -> tuple:
        try:
            items = list(islice(iter(loader), len(X) + 1))
        except TypeError as error:
            _fail("iter(loader)", self.case, "an epoch of (X_batch, y_batch) pairs", repr(error),
                  "give the class an __iter__ method that yields the batches of one epoch")
        self._unchanged(X, y, original, f"in epoch {number}")
        if len(items) > len(X):
            _fail(f"Epoch {number}", self.case, f"at most {len(X)} batches", "more batches than samples",
                  "an epoch ends after its last batch: every sample is used at most once")
        rows = {value: i for i, value in enumerate(original[0][:, 0].tolist())}
        return tuple(self._indices(item, original, rows) for item in items)

    def _indices(self, item: Any, original: tuple, rows: dict) -> np.ndarray:
        """The sample indices of one batch, after checking it is (rows of X, their targets) gathered from X."""
        X, y = original
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            _fail("A batch", self.case, "a tuple (X_batch, y_batch)", item, "yield X_batch, y_batch together")
        X_batch, y_batch = item
        if not isinstance(X_batch, np.ndarray) or X_batch.ndim != 2 or X_batch.shape[1] != X.shape[1]:
            _fail("X_batch", self.case, f"an array of shape (batch size, {X.shape[1]})", X_batch,
                  "a batch of X holds whole rows (samples) of X")
        index = np.array([rows.get(value, -1) for value in X_batch[:, 0].tolist()], dtype=np.int64)
        if (index < 0).any() or not np.array_equal(X_batch, X[index]):
            _fail("X_batch", self.case, "rows of X", X_batch, "every row of X_batch is one whole row of X")
        if X_batch.dtype != X.dtype:
            _fail("X_batch", self.case, f"dtype {X.dtype}, as X", f"dtype {X_batch.dtype}",
                  "gather the rows of X as they are, without converting them")
        if not isinstance(y_batch, np.ndarray) or y_batch.shape != (len(index),):
            _fail("y_batch", self.case, f"an array of shape ({len(index)},), as X_batch has rows", y_batch,
                  "y_batch holds the targets of the samples of X_batch, one per row")
        if not np.array_equal(y_batch, y[index]):
            _fail("y_batch", self.case, "the targets of the samples in X_batch", y_batch,
                  "y_batch[k] must be the target of X_batch[k]: index X and y with the same indices")
        for batch, data in ((X_batch, X), (y_batch, y)):
            root = _root(batch)
            if root is not batch and root.size >= data.size > batch.size:
                _fail("A batch", self.case, "a batch gathered from the data", "a view into an array as large as the "
                      "whole data set", "the loader copied the whole data set (a shuffled copy?); gather each batch "
                      "from X and y with its indices instead")
        return index


def _loader_cases(seed: int) -> list[tuple[np.ndarray, np.ndarray, int, int, bool]]:
    """(X, y, batch_size, seed, drop_last): X of shape (n, d), float32 or float64, with distinct rows; y distinct
    labels or floats."""
    rng = np.random.default_rng(seed)
    settings = [(10, 3, False), (10, 3, True), (12, 4, False), (7, 10, False), (9, 1, False), (16, 16, True)]
    for _ in range(4):
        n = int(rng.integers(6, 50))
        drop_last = bool(rng.integers(0, 2))
        settings.append((n, int(rng.integers(1, n + 1 if drop_last else n + 6)), drop_last))
    cases = []
    for n, b, drop_last in settings:
        X = rng.standard_normal((n, int(rng.integers(1, 5)))).astype(rng.choice([np.float32, np.float64]))
        y = rng.permutation(n) if rng.random() < 0.5 else rng.standard_normal(n)
        cases.append((X, y, b, int(rng.integers(0, 1000)), drop_last))
    return cases


def _reference_epochs(n: int, b: int, seed: int, drop_last: bool) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [epoch_batch_indices(n, b, drop_last=drop_last, seed=rng) for _ in range(EPOCHS)]


def _same_epochs(first: Any, second: Any) -> bool:
    """Whether two runs gave the same batches in every epoch."""
    return all(len(a) == len(b) and all(np.array_equal(x, z) for x, z in zip(a, b)) for a, b in zip(first, second))


def _loader_alternatives(n: int, b: int, seed: int, drop_last: bool) -> dict[int, Any]:
    """Other values of batch_size, rng and drop_last that change the reference's epochs (position -> value)."""
    expected = _reference_epochs(n, b, seed, drop_last)
    changes = {2: (b // 2 or 2, seed, drop_last), 3: (b, seed + 1, drop_last)}
    if b <= n and n % b:
        changes[4] = (b, seed, not drop_last)
    alternatives = {}
    for position, (other_b, other_seed, other_drop) in changes.items():
        other = _reference_epochs(n, other_b, other_seed, other_drop)
        if not _same_epochs(expected, other):
            alternatives[position] = (other_b, _Seed(other_seed), other_drop)[position - 2]
    return alternatives


def check_minibatch_loader(student: type) -> None:
    """``student(X, y, batch_size, rng, drop_last)``: a loader class. ``len(loader)`` is the number of batches of one
    epoch; every ``for X_batch, y_batch in loader`` is one epoch, cut from one fresh ``rng.permutation(n)``;
    ``loader.steps`` counts the batches yielded so far.

    While it runs, a ``steps_per_epoch`` the loader calls is the reference: a mistake there fails only its own check.
    """
    if student is BatchLoader or isinstance(student, type) and issubclass(student, BatchLoader):
        raise CheckFailed(_blocked_message("loader.BatchLoader"))
    run = _LoaderRun(student)
    loader = Student(run, LOADER_NAMES, BLOCKED, {"steps_per_epoch": batches_per_epoch})
    for X, y, b, seed, drop_last in _loader_cases(108):
        n = len(X)
        run.case = case = (f"X of shape {X.shape} ({X.dtype}), batch_size={b}, drop_last={drop_last}, "
                           f"{EPOCHS} epochs")
        args = (X, y, b, _Seed(seed), drop_last)
        length, before, after, epochs = loader(case, *args)

        def diagnose() -> str:
            return loader.ignored_argument(case, args, _loader_alternatives(n, b, seed, drop_last))

        expected = _reference_epochs(n, b, seed, drop_last)
        mistakes = [(n // b, "with drop_last=False the last, smaller batch is a step too: round up, not down")]
        if drop_last:
            mistakes = [(-(-n // b), "drop_last=True drops the last, smaller batch: round down, not up")]
        _check_count("len(loader)", case, len(expected[0]), length, "the number of batches (steps) in one epoch",
                     mistakes, diagnose)
        _check_epochs(case, n, b, drop_last, epochs, diagnose)
        yielded = sum(len(epoch) for epoch in epochs)
        _check_count("loader.steps before the first epoch", case, 0, before,
                     "keep in self.steps the number of batches yielded so far: 0 before the first epoch", [])
        _check_count(f"loader.steps after {EPOCHS} epochs", case, yielded, after,
                     "self.steps counts every batch yielded so far, over all epochs",
                     [(len(epochs[-1]), "that is the count of the last epoch: do not reset steps when an epoch "
                                        "starts"), (EPOCHS, "steps counts batches (one step per batch), not epochs"),
                      (sum(len(batch) for epoch in epochs for batch in epoch), "steps counts batches (one step per "
                                                                               "batch), not samples")])
        _check_order(loader, case, args, n, b, drop_last, epochs, expected, diagnose)
    _passed()


def _check_epochs(case: str, n: int, b: int, drop_last: bool, epochs: tuple, diagnose: Callable[[], str]) -> None:
    """Every epoch has the right batch sizes and uses no sample twice."""
    sizes = batch_sizes(n, b, drop_last).tolist()
    for number, epoch in enumerate(epochs, start=1):
        got = [len(batch) for batch in epoch]
        if got != sizes:
            hint = "every batch has batch_size samples except the last, which holds the rest (none with drop_last)"
            if got == sizes[:-1] and not drop_last:
                hint = "the last, smaller batch is missing: with drop_last=False it is a step too"
            elif drop_last and got[:-1] == sizes and got[-1] == n % b:
                hint = "with drop_last=True the last, smaller batch is dropped"
            _fail(f"The batch sizes of epoch {number}", case, sizes, got, _with_ignored(diagnose, hint))
        seen = np.concatenate(epoch)
        repeated = len(seen) - len(np.unique(seen))
        if repeated:
            _fail(f"The samples of epoch {number}", case, "each sample at most once", f"{repeated} repeated",
                  "a sample repeats within one epoch, as when sampling with replacement: an epoch is a "
                              "permutation cut into batches")


def _check_order(loader: Student, case: str, args: tuple, n: int, b: int, drop_last: bool, epochs: tuple,
                 expected: list, diagnose: Callable[[], str]) -> None:
    """The epochs are shuffled, freshly every epoch, and exactly the ones one Generator with this seed gives."""
    orders = [np.concatenate(epoch) for epoch in epochs]
    if n > 1 and np.array_equal(orders[0], np.arange(len(orders[0]))):
        _fail("The order of epoch 1", case, "a shuffled order", "0, 1, 2, ... in the stored order", _with_ignored(
            diagnose, "the samples come in their stored order: draw a random permutation from rng for every epoch"))
    if n > 1 and np.array_equal(orders[0], orders[1]):
        _fail("Epochs 1 and 2", case, "two different orders", "the same order twice", _with_ignored(
            diagnose, "every epoch needs a fresh permutation, drawn when the epoch starts (in __iter__, not in "
                      "__init__), from the one Generator the loader was given"))
    used = [set(order.tolist()) for order in orders]
    if drop_last and n % b and all(sample == used[0] for sample in used):
        _fail("The dropped samples", case, "other samples dropped in every epoch", "the same samples every epoch",
              "drop_last drops the tail of each epoch's permutation of all n samples, so that every sample gets "
              "its turn; here the same samples are left out every time")
    if all(np.array_equal(o, np.concatenate(e)) for o, e in zip(orders, expected)):
        return
    if not _same_epochs(loader(case, *args)[3], epochs):
        hint = ("two loaders given Generators with the same seed gave different batches: draw from the rng the "
                "loader is given, not from np.random or a Generator of your own")
    else:
        hint = _with_ignored(diagnose, "the epochs are shuffled, but not as asked: draw each epoch's order with one "
                                       "call rng.permutation(n) when the epoch starts, then cut it into batches in "
                                       "order, so that the batches can be reproduced from the Generator")
    _fail("The order of the samples", case, [np.concatenate(e) for e in expected][0], orders[0], hint)
