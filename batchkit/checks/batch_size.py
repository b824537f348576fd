"""Lesson 06's homework checks: a fair timing protocol, the batch size that minimizes the time to a target, and the
choice of a batch size under a time budget.

Timings depend on the machine, so :func:`check_time_per_sample` checks the *method*: it runs the student's function on
a simulated machine (:class:`_Bench`) whose step "takes" scripted seconds on a virtual clock and which notes every call.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..batch_size_choice import best_batch_size, choose_batch_size
from ._core import Student, _as_number, _compare, _fail, _passed, _recognise_number, _same

__all__ = ["check_time_per_sample", "check_best_batch_size", "check_choose_batch_size"]  # what batchkit.checks exports

#: What lesson 06's exercises ask the student to write: batchkit's timing protocol.
BLOCKED = ("timing.interleaved_seconds", "timing.measure_throughput", "timing.compare_with_neighbours",
           "batch_size_choice.best_batch_size", "batch_size_choice.choose_batch_size")
COLD, PAUSE = 40.0, 6.0  #: scripted seconds, in usual steps: a first (cold) call, a pause (garbage collection)


class _Bench:
    """A simulated machine: call n (0, 1, ...) of ``step`` on a batch of b samples advances the virtual clock by
    ``seconds[b][n]``. Building a batch takes time too, so a batch built inside the timing shows in the result."""

    def __init__(self, seconds: dict[int, np.ndarray], start: float):
        self.seconds, self.now, self.calls = seconds, start, Counter()
        self.events: list[tuple] = []  # ("clock",), ("make", b, rng) and ("step", b), in the order they happened

    def clock(self) -> float:
        self.events.append(("clock",))
        return self.now

    def make_batch(self, b: int, rng: Any = None) -> np.ndarray:
        self.events.append(("make", int(b), rng))
        self.now += 0.01
        return (rng if isinstance(rng, np.random.Generator) else np.random.default_rng(0)).random((int(b), 2))

    def step(self, batch: np.ndarray) -> None:
        b, scripted = len(batch), self.seconds.get(len(batch), np.ones(1))
        self.events.append(("step", b))
        self.now, self.calls[b] = self.now + scripted[min(self.calls[b], len(scripted) - 1)], self.calls[b] + 1


def _timing_cases(seed: int) -> Iterator[tuple[list[int], int, dict[int, np.ndarray]]]:
    """Batch sizes (sorted or not), repeats (odd in the first case, even in the second), scripted seconds per call."""
    rng = np.random.default_rng(seed)
    for number in range(4):
        sizes = rng.choice(np.arange(1, 300), size=int(rng.integers(4, 7)), replace=False).tolist()
        sizes = sorted(sizes) if number % 2 == 0 else sizes
        repeats = int(rng.choice([5, 7] if number == 0 else [4, 6, 8] if number == 1 else np.arange(4, 10)))
        fixed, per_sample, seconds = rng.uniform(1e-4, 4e-4), rng.uniform(1e-7, 2e-6), {}
        for b in sizes:
            timed = 1.0 + rng.uniform(0.01, 0.3, repeats)
            timed[rng.integers(0, repeats - 1)] = PAUSE
            timed[-1] = 0.95  # the last round the fastest: leaving it out for a timed warm-up moves the median
            seconds[b] = (fixed + per_sample * b) * np.concatenate([[COLD], timed, np.ones(3)])
        yield sizes, repeats, seconds


def _random_state() -> tuple:  # numpy's and Python's global random states, comparable with ==
    return np.random.get_state()[1].tobytes(), np.random.get_state()[2], random.getstate()


def _check_method(bench: _Bench, case: str, sizes: list[int], repeats: int, rng: np.random.Generator) -> None:
    """Fail if the calls that ``bench`` noted break the protocol: clock, generator, batches, warm-up, interleaving."""
    if ("clock",) not in bench.events:
        _fail("The clock", case, "clock() read right before and after every timed call", "clock never called",
              "your function ignores its `clock` argument: time with the clock it is given, not one of its own")
    made = [event for event in bench.events if event[0] == "make"]
    others = [event[2] for event in made if event[2] is not rng]
    if others:
        _fail("The generator given to make_batch", case, "the Generator passed as `rng`", "nothing" if others[0] is None
              else "numpy's global np.random" if others[0] is np.random else f"another {type(others[0]).__name__}",
              "your function does not pass its `rng` argument to make_batch: pass that very Generator (make_batch(b, "
              "rng)), not a new one or numpy's global one, so that the same seed gives the same batches")
    built = sorted(event[1] for event in made)
    if built != sorted(sizes):
        _fail("The batch sizes built with make_batch", case, sorted(sizes), built,
              "build each batch once, before any timing, and reuse it in every round" if set(built) == set(sizes)
              else "build one batch for every size in `batch_sizes`, the argument your function is given")
    steps = [event[1] for event in bench.events if event[0] == "step"]
    counts = {b: steps.count(b) for b in sizes}
    if set(counts.values()) != {repeats + 1}:
        firsts = [i for i, event in enumerate(bench.events) if event[0] == "step" and bench.events.index(event) == i]
        _fail(f"Calls of step per batch size (repeats={repeats})", case, {b: repeats + 1 for b in sizes}, counts,
              "there is no warm-up: the first call at a batch size is often slow (memory to allocate, cold caches). "
              "Call step once on every batch, untimed, before the rounds"
              if all(bench.events[i - 1][0] == "clock" for i in firsts) else
              "your function does not use its `repeats` argument as asked: one untimed warm-up call, then `repeats` "
              "timed calls, at every batch size")
    seen: set[int] = set()
    timed = [b for b in steps if b in seen or seen.add(b)]  # without each size's first (warm-up) call
    rounds = [timed[i:i + len(sizes)] for i in range(0, len(timed), len(sizes))]
    in_a_row = timed == [b for b in dict.fromkeys(timed) for _ in range(repeats)]
    if any(sorted(one) != sorted(sizes) for one in rounds):
        _fail("The order of the timed calls of step", case, "rounds that each time every batch size once",
              f"batch sizes {', '.join(map(str, timed[:14]))}, ...", "every round times each batch size exactly once"
              + (": here all timed calls of one size come in a row, so a slow moment of the machine (another program, "
                 "a hot processor slowing down) hits one batch size only" if in_a_row else ""))
    if all(one == rounds[0] for one in rounds):
        _fail("The order of the timed calls of step", case, "a fresh random order in every round",
              f"the same order in all {repeats} rounds ({', '.join(map(str, rounds[0]))})", "draw a new order for "
              "every round from rng (rng.permutation), so that no batch size always comes first or last")


def check_time_per_sample(student: Callable[..., np.ndarray]) -> None:
    """``student(step, make_batch, batch_sizes, repeats, rng, clock) -> array (k,)``: the median seconds per sample at
    every batch size, measured with exercise 1's protocol (seeded batches, warm-up, interleaved shuffled rounds)."""
    student = Student(student, "step, make_batch, batch_sizes, repeats, rng, clock", BLOCKED)
    for number, (sizes, repeats, seconds) in enumerate(_timing_cases(606)):
        case = f"batch_sizes={sizes}, repeats={repeats} on a simulated machine"
        bench, rng, before = _Bench(seconds, float(10 + number)), np.random.default_rng(60 + number), _random_state()
        got = student(case, bench.step, bench.make_batch, sizes, repeats, rng, bench.clock)
        if _random_state() != before:
            _fail("The random numbers", case, "drawn from rng only", "numpy's (or Python's) global random state used",
                  "draw from the rng argument, not from np.random.… or random.…: one seed, one run")
        _check_method(bench, case, sizes, repeats, rng)
        timed = {b: seconds[b][1:repeats + 1] for b in sizes}

        def each(statistic: Callable, divide: bool = True, order: list = sizes, calls: dict = timed) -> np.ndarray:
            return np.array([statistic(calls[b]) / (b if divide else 1) for b in order])
        mistakes = [
            (each(np.mean), "this is the mean over the rounds: one pause (a garbage collection, another program) "
                            "pulls it up; take the median"),
            (each(np.min), "this is the fastest round (the minimum); take the median over the rounds"),
            (each(np.median, divide=False), "these are seconds per step: divide by the batch size"),
            *[(each(lambda t, upper=upper: np.sort(t)[(len(t) - 1 + upper) // 2]), "for an even number of rounds "
               "the median is the mean of the two middle values") for upper in (0, 1)],
            (each(np.median, calls={b: seconds[b][:repeats + 1] for b in sizes}),
             "this includes the warm-up call, which is slow: time only the calls after it"),
            (each(np.median, order=sorted(sizes)), "return the values in the order of batch_sizes, which need not "
                                                   "be sorted")]
        _compare("The seconds per sample", case, each(np.median), got, "one value per batch size, in the order of "
                 "batch_sizes: the median over the rounds of one timed call's seconds divided by its batch size; see "
                 "exercise 1", mistakes, tolerance=1e-7)
    _passed()


def _ignored(student: Student, case: str, args: tuple, reference: Callable[..., Any], changes: dict[int, list],
             hint: str) -> str:
    """``hint``, after naming the first argument whose other values (each changing the reference's answer) all leave
    the student's answer as it is, if there is one."""
    first = student(case, *args)
    for index, others in changes.items():
        variants = [tuple(other if j == index else a for j, a in enumerate(args)) for other in others]
        try:  # a value the function cannot handle: it does not ignore this argument
            same = all(_same(student(case, *variant), first) for variant in variants)
        except Exception:
            same = False
        if same and not any(reference(*variant) == reference(*args) for variant in variants):
            name = student.names.split(", ")[index]
            return (f"your function gives the same answer when `{name}` changes: it ignores its `{name}` argument. "
                    f"{hint[:1].upper()}{hint[1:]}")
    return hint


def check_best_batch_size(student: Callable[[float, float, float, int], float]) -> None:
    """``student(b_crit, fixed_seconds, seconds_per_sample, largest_fitting) -> float``: the b in [1, largest_fitting]
    that minimizes s_min (1 + b_crit / b) (fixed_seconds + seconds_per_sample · b)."""
    student = Student(student, "b_crit, fixed_seconds, seconds_per_sample, largest_fitting", BLOCKED)
    rng = np.random.default_rng(616)
    b_crit, per_sample, ratio = float(rng.uniform(8, 200)), float(rng.uniform(1e-7, 2e-6)), float(rng.uniform(3, 30))
    fixed = ratio * b_crit * per_sample  # puts the best batch at b_crit * sqrt(ratio), before the limits
    cases = [(b_crit, fixed, per_sample, 10**6), (b_crit, fixed, per_sample, int(b_crit * np.sqrt(ratio) / 2)),
             (b_crit, 1e-4 * per_sample, per_sample, 256), (b_crit, fixed, 0.0, 512)] + [  # too large; below 1; c = 0
        (float(rng.uniform(4, 300)), *rng.uniform([1e-5, 1e-7], [1e-3, 1e-5]).tolist(), int(rng.integers(64, 4096)))
        for _ in range(4)]
    for args in cases:
        (b_crit, fixed, per_sample, largest), expected = args, best_batch_size(*args)
        case = (f"b_crit={b_crit:.4g}, fixed_seconds={fixed:.3g}, seconds_per_sample={per_sample:.3g}, "
                f"largest_fitting={largest}")
        try:
            got = student(case, *args)
        except ZeroDivisionError:
            _fail("The best batch size", case, expected, "ZeroDivisionError", "with seconds_per_sample = 0 a step "
                  "costs the same at every batch size: handle this case before dividing by it")
        number = _as_number(got)
        if number is not None and np.isclose(number, expected, rtol=1e-6):
            continue
        balance = fixed / per_sample if per_sample else np.inf
        formulas = [(b_crit, "that is b_crit itself: the best batch size depends on the cost of a step too"),
                    (balance, "that is fixed_seconds / seconds_per_sample, where the two parts of a step cost the "
                              "same; the best batch size depends on b_crit too"),
                    (np.sqrt(b_crit / balance), "this is upside down: a larger fixed cost makes larger batches pay"),
                    (b_crit * balance, "this is the square of the answer: check its units, it must be samples"),
                    ((b_crit + balance) / 2, "set the derivative of the time to target to zero rather than averaging")]
        mistakes = [(value, hint) for raw, hint in formulas for value in (raw, min(max(raw, 1.0), largest))]
        uncapped = np.sqrt(b_crit * balance)
        mistakes += [(value, f"a batch larger than largest_fitting={largest} does not fit in memory")
                     for value in (uncapped, max(uncapped, 1.0))] if uncapped > largest else [
            (uncapped, "a batch holds at least one sample: below 1 the best is b = 1")]
        recognised = _recognise_number(number, [m for m in mistakes if not np.isclose(m[0], expected)], "")
        changes = {0: [b_crit * 4, b_crit / 4], 1: [fixed * 4, fixed / 4], 2: [per_sample * 4 + 1e-7, per_sample / 4],
                   3: [largest * 2, max(largest // 2, 1)]}
        default = "the batch size (a float) that minimizes the time to target, within 1 and largest_fitting; see part A"
        # a clipped formula can be deaf to an argument it uses: name an ignored one only for an unrecognised answer
        _fail("The best batch size", case, expected, got, recognised or (
            _ignored(student, case, args, best_batch_size, changes, default) if number is not None else default))
    _passed()


def _choose(sizes: Sequence[int], seconds: np.ndarray, steps: np.ndarray, budget: float, mistake: str = "") -> Any:
    """:func:`batchkit.batch_size_choice.choose_batch_size`, or the answer of a typical ``mistake`` (a wrong recipe)."""
    if not mistake:
        return choose_batch_size(sizes, seconds, steps, budget)
    times = np.asarray(steps, dtype=float) * np.asarray(seconds, dtype=float)  # (seeds, k)
    worst = np.median(times, axis=0) if mistake == "median fits" else times.max(axis=0)
    fits = worst < budget if mistake == "strict" else worst <= budget
    if not fits.any():
        return None
    criterion = {"mean": times.mean(axis=0), "fewest steps": np.median(steps, axis=0),
                 "cheapest step": np.asarray(seconds, dtype=float)}.get(mistake, np.median(times, axis=0))
    criterion = np.where(fits, criterion, np.inf)
    tied = np.flatnonzero(criterion == criterion.min())
    pick = tied[-1] if mistake == "larger of ties" else tied[0]
    return int(pick) if mistake == "index" else int(sizes[pick])


CHOICE_HINTS = {
    "mean": "this picks the smallest mean time: one slow seed pulls a mean up; compare the medians over the seeds",
    "median fits": "a batch size fits the budget only if every seed's time to target does, not just the median",
    "strict": "a time exactly equal to the budget is within it (at most budget_seconds)",
    "larger of ties": "two batch sizes tie on the median time: take the smaller one (it needs less memory)",
    "index": "that is a position in batch_sizes: return the batch size itself",
    "fewest steps": "this picks the fewest steps, but a larger batch's step takes longer: compare steps × seconds",
    "cheapest step": "this picks the cheapest step, but a smaller batch needs more steps: compare steps × seconds"}


def _instance(rng: np.random.Generator, unit: float = 2.0**-20) -> tuple[list[int], np.ndarray, np.ndarray, int]:
    """Sizes, seconds per step t0 + c·b (in whole ``unit``s: exact times), noisy steps per seed, the best's index."""
    k, seeds = int(rng.integers(5, 8)), int(rng.choice([5, 7]))
    sizes = (2 ** (int(rng.integers(3, 5)) + np.arange(k))).tolist()
    b = np.array(sizes, dtype=float)
    b_crit, per_sample = b[k // 2] * rng.uniform(0.7, 1.4), rng.uniform(1e-7, 2e-6)
    seconds = np.maximum(np.round(per_sample * (b[k // 2] ** 2 / b_crit + b) / unit), 1) * unit
    steps = np.round(rng.uniform(20, 60) * (1 + b_crit / b) * np.exp(rng.normal(0, 0.1, (seeds, k))))
    return sizes, seconds, steps, int(np.argmin(np.median(steps * seconds, axis=0)))


def _choice_cases(seed: int) -> Iterator[tuple[list[int], np.ndarray, np.ndarray, float, str]]:
    """Cases and the mistake each is made for: a slow seed; nothing fits; the best median with a seed over the budget;
    a tie; the best one's slowest seed on the budget; random budgets, with seeds that never reached the target."""
    rng = np.random.default_rng(seed)
    answers: set = set()
    while len(answers) < 4:  # the right answer, and the mean's, fewest steps' and cheapest step's, all different
        sizes, seconds, steps, j = _instance(rng)
        steps[np.argmax(steps[:, j]), j] *= 10
        budget = 2 * float((steps * seconds).max())
        answers = {_choose(sizes, seconds, steps, budget, m) for m in ("", "mean", "fewest steps", "cheapest step")}
    yield sizes, seconds, steps, budget, "mean"
    sizes, seconds, steps, j = _instance(rng)  # nothing fits
    yield sizes, seconds, steps, 0.9 * float((steps * seconds).max(axis=0).min()), ""
    sizes, seconds, steps, j = _instance(rng)
    times = steps * seconds  # the second best by the median fits, with every seed
    budget = 1.01 * max(times[:, np.argsort(np.median(times, axis=0))[1]].max(), np.median(times[:, j]))
    steps[np.argmax(steps[:, j]), j] = max(steps[:, j].max(), np.ceil(1.5 * budget / seconds[j]))
    yield sizes, seconds, steps, budget, "median fits"
    sizes, seconds, steps, _ = _instance(rng)
    j, p, m = len(sizes) // 2 - 1, int(rng.integers(20, 40)), int(rng.integers(6, 12))
    seconds[j:j + 2] = np.array([3 * p, 4 * p]) * 2.0**-20  # a tie: 3p · 4m = 4p · 3m, exactly
    spread = np.concatenate([[0], rng.integers(1, 4, len(steps) // 2), -rng.integers(1, 4, len(steps) // 2)])
    steps[:, j:j + 2] = np.array([4 * m, 3 * m]) + spread[:, None]
    steps[:, [i for i in range(len(sizes)) if i not in (j, j + 1)]] += 1000
    yield sizes, seconds, steps, 2 * float((steps * seconds).max()), "larger of ties"
    while True:
        sizes, seconds, steps, j = _instance(rng)
        times = steps * seconds
        if (times.max(axis=0) < times[:, j].max()).any():  # another batch size fits below that budget
            break
    yield sizes, seconds, steps, float(times[:, j].max()), "strict"
    for _ in range(3):
        sizes, seconds, steps, _ = _instance(rng)
        steps[rng.integers(0, len(steps)), rng.integers(0, 2)] = np.inf  # a seed that never reached the target
        low, high = np.median(steps * seconds, axis=0).min(), np.nanmax(np.where(steps < np.inf, steps * seconds, 0))
        yield sizes, seconds, steps, float(rng.uniform(low, high)), ""


def check_choose_batch_size(student: Callable[..., Any]) -> None:
    """``student(batch_sizes, seconds_per_step, steps_to_target, budget_seconds) -> int or None``: among the batch
    sizes whose every seed reaches the target within the budget, the one with the smallest median time to target."""
    student = Student(student, "batch_sizes, seconds_per_step, steps_to_target, budget_seconds", BLOCKED)
    for sizes, seconds, steps, budget, target in _choice_cases(626):
        args = (sizes, seconds, steps, budget)
        case, expected = f"batch_sizes={sizes}, {len(steps)} seeds, budget_seconds={budget:.4g}", _choose(*args)
        try:
            got = student(case, *args)
        except (ValueError, IndexError) as error:  # like argmin of an empty selection, when nothing fits
            if expected is not None:
                raise
            got = f"{type(error).__name__}: {error}"
        number = _as_number(got)
        if got is None if expected is None else number is not None and number == expected:
            if isinstance(got, (int, np.integer)) or got is None:
                continue
            _fail("The chosen batch size", case, expected, got, "the right batch size, but not as an int: return the "
                  "element of batch_sizes itself")
        wrong = {_choose(*args, mistake): hint for mistake, hint in [*reversed(CHOICE_HINTS.items()), (
            target, CHOICE_HINTS.get(target, ""))]}  # the case's own mistake first, then in CHOICE_HINTS' order
        wrong.pop(expected, None)
        up = (np.array(sizes) / np.sqrt(sizes[0] * sizes[-1])) ** 3  # times it favours small batches, over it large
        changes = {3: [0.0 if expected is not None else np.inf], 1: [seconds * up, seconds / up],
                   2: [steps * up, steps / up]}
        hint = wrong.get(None if got is None else number if isinstance(got, (int, np.integer, float)) else "") or (
            "no batch size reaches the target within the budget on every seed: return None" if expected is None else
            "the batch size (an int from batch_sizes) whose every seed reaches the target within the budget and whose "
            "median time to target (steps times seconds per step) is the smallest; see exercise 3")
        _fail("The chosen batch size", case, expected, got, _ignored(student, case, args, _choose, changes, hint)
              if isinstance(got, (int, np.integer)) else hint)
    _passed()
