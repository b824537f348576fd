"""Homework 01's checks: right answers pass, each recognised mistake fails with its hint, and answers that call
batchkit, change the data in place or ignore an argument fail, naming why."""

from __future__ import annotations

import math

import numpy as np
import pytest

import batchkit as bk
from batchkit import checks

# Right answers (the instructor notebook's solutions, written independently of batchkit) --------------------------


def steps_per_epoch(n, batch_size, drop_last):
    return n // batch_size if drop_last else -(-n // batch_size)


def distinct_fraction(batches, n):
    return len(np.unique(np.concatenate(batches))) / n


def expected_fraction_seen(n, batch_size, steps, replace):
    miss_in_one_step = (1 - 1 / n) ** batch_size if replace else 1 - batch_size / n
    return 1 - miss_in_one_step ** steps


class MiniBatchLoader:
    def __init__(self, X, y, batch_size, rng, drop_last=False):
        self.X, self.y, self.batch_size, self.rng, self.drop_last = X, y, batch_size, rng, drop_last
        self.steps = 0

    def __len__(self):
        n = len(self.X)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        order = self.rng.permutation(len(self.X))
        for k in range(len(self)):
            index = order[k * self.batch_size:(k + 1) * self.batch_size]
            self.steps += 1
            yield self.X[index], self.y[index]


RIGHT = [(checks.check_steps_per_epoch, steps_per_epoch), (checks.check_distinct_fraction, distinct_fraction),
         (checks.check_expected_fraction_seen, expected_fraction_seen),
         (checks.check_minibatch_loader, MiniBatchLoader)]


@pytest.mark.parametrize(("check", "right"), RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out == checks.PASSED + "\n"


def test_other_right_answers_pass():
    """Equivalent ways of writing them: math.pow, an exp-log form, np.take, a loader that keeps the count in len."""
    checks.check_expected_fraction_seen(
        lambda n, b, s, replace: 1 - math.pow(math.pow(1 - 1 / n, b) if replace else 1 - b / n, s))

    class TakeLoader(MiniBatchLoader):
        def __iter__(self):
            order = self.rng.permutation(len(self.X))
            used = len(self) * self.batch_size if self.drop_last else len(self.X)
            for start in range(0, used, self.batch_size):
                self.steps += 1
                index = order[start:start + self.batch_size]
                yield np.take(self.X, index, axis=0), np.take(self.y, index)
    checks.check_minibatch_loader(TakeLoader)


def _failure(check, wrong) -> str:
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    message = str(failure.value)
    assert "expected" in message or "batchkit" in message
    return message


# The derivation: recognised mistakes ---------------------------------------------------------------------------


def _fraction(miss=None, seen=None):
    """An expected_fraction_seen built from a wrong per-step miss probability or a wrong final formula."""
    def fraction(n, batch_size, steps, replace):
        if seen is not None:
            return seen(n, batch_size, steps, replace)
        return 1 - miss(n, batch_size, replace) ** steps
    return fraction


FRACTION_MISTAKES = {
    "swapped": (_fraction(miss=lambda n, b, r: 1 - b / n if r else (1 - 1 / n) ** b),
                "this is the expected fraction for replace="),
    "never seen": (lambda n, b, s, r: 1 - expected_fraction_seen(n, b, s, r), "probability that a given sample is "
                                                                              "never drawn"),
    "percentage": (lambda n, b, s, r: 100 * expected_fraction_seen(n, b, s, r), "this is a percentage"),
    "no repeats": (lambda n, b, s, r: min(1.0, b * s / n), "counts every draw as a new sample"),
    "the limit": (lambda n, b, s, r: 1 - np.exp(-b * s / n), "large-n approximation"),
    "one draw per step": (_fraction(miss=lambda n, b, r: 1 - 1 / n if r else 1 - b / n),
                          "this counts one draw per step"),
    "ignores replace": (_fraction(miss=lambda n, b, r: (1 - 1 / n) ** b), "it ignores its `replace` argument"),
    "one epoch, whatever steps": (lambda n, b, s, r: expected_fraction_seen(n, b, -(-n // b), r),
                                  "it ignores its `steps` argument"),
    "hard-coded n": (lambda n, b, s, r: expected_fraction_seen(600, min(b, 600), s, r), "it ignores its `n` argument"),
    "no return value": (lambda n, b, s, r: None, "return one float between 0 and 1"),
}


@pytest.mark.parametrize("name", FRACTION_MISTAKES)
def test_expected_fraction_seen_names_the_mistake(name):
    wrong, hint = FRACTION_MISTAKES[name]
    message = _failure(checks.check_expected_fraction_seen, wrong)
    assert hint.lower() in message.lower(), message


def test_one_draw_per_step_also_names_the_ignored_batch_size():
    wrong, _ = FRACTION_MISTAKES["one draw per step"]
    assert "it ignores its `batch_size` argument" in _failure(checks.check_expected_fraction_seen, wrong)


def test_a_wrong_answer_without_a_recognised_mistake_gets_no_mistake_hint():
    message = _failure(checks.check_expected_fraction_seen, lambda n, b, s, r: 0.5 + 0 * n * b * s * r)
    assert "see your derivation in part A" in message
    assert "this is" not in message and "counts" not in message


def test_expected_fraction_seen_may_not_call_batchkit():
    message = _failure(checks.check_expected_fraction_seen,
                       lambda n, b, s, r: bk.expected_distinct_fraction(n, draws=b * s) if r else 1 - (1 - b / n) ** s)
    assert "without calling batchkit.sampling.expected_distinct_fraction" in message


# The build: recognised mistakes ----------------------------------------------------------------------------------


def _loader(flaw):
    """MiniBatchLoader with one flaw."""

    class Flawed(MiniBatchLoader):
        def __init__(self, X, y, batch_size, rng, drop_last=False):
            super().__init__(X, y, batch_size, rng, drop_last)
            if flaw == "shuffled once":
                self.order = rng.permutation(len(X))
            if flaw == "shuffles the data in place":
                rng.shuffle(self.X)
                rng.shuffle(self.y)
            if flaw == "no steps":
                del self.steps
            if flaw == "hard-coded batch size":
                self.batch_size = 4

        def __len__(self):
            n = len(self.X)
            if flaw in ("len rounds down", "ignores drop_last"):
                return n // self.batch_size if flaw == "len rounds down" else -(-n // self.batch_size)
            return super().__len__()

        def __iter__(self):
            n, b = len(self.X), self.batch_size
            used = len(self) * b if self.drop_last else n
            order = {"shuffled once": lambda: self.order,
                     "in order": lambda: np.arange(n),
                     "global random state": lambda: np.random.permutation(n),
                     "own generator": lambda: np.random.default_rng(0).permutation(n),
                     "choice instead of permutation": lambda: self.rng.choice(n, n, replace=False),
                     "with replacement": lambda: self.rng.integers(0, n, n),
                     "drops the same samples": lambda: self.rng.permutation(used)
                     }.get(flaw, lambda: self.rng.permutation(n))()
            if flaw == "reset steps":
                self.steps = 0
            X, y = (self.X[order], self.y[order]) if flaw == "copies the whole data set" else (self.X, self.y)
            batches = n // b if flaw == "loses the last batch" else len(self)
            for k in range(batches):
                index = order[k * b:(k + 1) * b]
                if flaw != "no steps":
                    self.steps += len(index) if flaw == "counts samples" else 1
                if flaw == "copies the whole data set":
                    yield X[k * b:(k + 1) * b], y[k * b:(k + 1) * b]
                elif flaw == "y from its own permutation":
                    yield X[index], y[self.rng.permutation(n)[:len(index)]]
                elif flaw == "converts to float64":
                    yield X[index].astype(np.float64), y[index]
                elif flaw == "yields X only":
                    yield X[index]
                else:
                    yield X[index], y[index]
    return Flawed


LOADER_MISTAKES = {
    "shuffled once": "every epoch needs a fresh permutation",
    "in order": "the samples come in their stored order",
    "shuffles the data in place": "the loader changed `X` in place",
    "copies the whole data set": "the loader copied the whole data set",
    "y from its own permutation": "index X and y with the same indices",
    "len rounds down": "with drop_last=False the last, smaller batch is a step too: round up",
    "ignores drop_last": "it ignores its `drop_last` argument",
    "loses the last batch": "the last, smaller batch is missing",
    "hard-coded batch size": "it ignores its `batch_size` argument",
    "global random state": "draw from the rng the loader is given",
    "own generator": "it ignores its `rng` argument",
    "choice instead of permutation": "one call rng.permutation(n) when the epoch starts",
    "with replacement": "a sample repeats within one epoch",
    "drops the same samples": "the same samples are left out every time",
    "reset steps": "do not reset steps when an epoch starts",
    "counts samples": "not samples",
    "no steps": "keep in self.steps the number of batches yielded so far",
    "converts to float64": "without converting them",
    "yields X only": "yield X_batch, y_batch together",
}


@pytest.mark.parametrize("flaw", LOADER_MISTAKES)
def test_minibatch_loader_names_the_mistake(flaw):
    message = _failure(checks.check_minibatch_loader, _loader(flaw))
    assert LOADER_MISTAKES[flaw].lower() in message.lower(), message


def test_the_ignored_drop_last_is_also_a_recognised_count():
    assert "round down, not up" in _failure(checks.check_minibatch_loader, _loader("ignores drop_last"))


class _Subclass(bk.BatchLoader):
    def __init__(self, X, y, batch_size, rng, drop_last=False):
        super().__init__(X, y, batch_size=batch_size, seed=rng, drop_last=drop_last)
        self.steps = 0


class _Wrapper(MiniBatchLoader):
    def __iter__(self):
        for batch in bk.BatchLoader(self.X, self.y, batch_size=self.batch_size, seed=self.rng,
                                    drop_last=self.drop_last):
            self.steps += 1
            yield batch


class _IndexHelper(MiniBatchLoader):
    def __iter__(self):
        for index in bk.epoch_batch_indices(len(self.X), self.batch_size, drop_last=self.drop_last, seed=self.rng):
            self.steps += 1
            yield self.X[index], self.y[index]


@pytest.mark.parametrize(("loader", "name"), [(bk.BatchLoader, "loader.BatchLoader"), (_Subclass, "loader.BatchLoader"),
                                              (_Wrapper, "loader.BatchLoader"),
                                              (_IndexHelper, "sampling.epoch_batch_indices")],
                         ids=["BatchLoader itself", "a subclass", "a wrapper", "epoch_batch_indices"])
def test_minibatch_loader_may_not_use_batchkit(loader, name):
    assert f"without calling batchkit.{name}" in _failure(checks.check_minibatch_loader, loader)


def test_a_failing_check_leaves_batchkit_as_it_was():
    originals = (bk.BatchLoader, bk.loader.BatchLoader, bk.epoch_batch_indices, bk.sampling.epoch_batch_indices,
                 bk.expected_distinct_fraction)
    _failure(checks.check_minibatch_loader, _Wrapper)
    _failure(checks.check_minibatch_loader, _IndexHelper)
    _failure(checks.check_expected_fraction_seen, lambda n, b, s, r: bk.expected_distinct_fraction(n, draws=b * s))
    assert (bk.BatchLoader, bk.loader.BatchLoader, bk.epoch_batch_indices, bk.sampling.epoch_batch_indices,
            bk.expected_distinct_fraction) == originals


def test_a_failure_shows_no_reference_code():
    message = _failure(checks.check_minibatch_loader, _loader("choice instead of permutation"))
    assert "def " not in message and "np.take" not in message and "epoch_batch_indices" not in message
    message = _failure(checks.check_expected_fraction_seen, lambda n, b, s, r: 0.5)
    assert "**" not in message and "expm1" not in message and "log1p" not in message


def test_a_wrong_steps_per_epoch_does_not_fail_the_loader():
    """A loader that counts with the notebook's steps_per_epoch is graded with the reference in its place."""
    namespace = {"np": np}
    exec("def steps_per_epoch(n, batch_size, drop_last):\n"
         "    return n // batch_size\n"
         "class Loader:\n"
         "    def __init__(self, X, y, batch_size, rng, drop_last=False):\n"
         "        self.X, self.y, self.batch_size, self.rng, self.drop_last = X, y, batch_size, rng, drop_last\n"
         "        self.steps = 0\n"
         "    def __len__(self):\n"
         "        return steps_per_epoch(len(self.X), self.batch_size, self.drop_last)\n"
         "    def __iter__(self):\n"
         "        order = self.rng.permutation(len(self.X))\n"
         "        for k in range(len(self)):\n"
         "            index = order[k * self.batch_size:(k + 1) * self.batch_size]\n"
         "            self.steps += 1\n"
         "            yield self.X[index], self.y[index]\n", namespace)
    wrong = namespace["steps_per_epoch"]
    _failure(checks.check_steps_per_epoch, wrong)
    checks.check_minibatch_loader(namespace["Loader"])
    assert namespace["steps_per_epoch"] is wrong  # restored


def test_batches_may_be_lists_of_two():
    class ListLoader(MiniBatchLoader):
        def __iter__(self):
            for X_batch, y_batch in super().__iter__():
                yield [X_batch, y_batch]
    checks.check_minibatch_loader(ListLoader)
