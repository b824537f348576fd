"""Homework 06's checks: right answers pass, each recognised mistake fails with its hint, and answers that call
batchkit's timing, change an input in place or ignore an argument fail, naming it."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

import batchkit.timing
from batchkit import checks
from batchkit.checks import batch_size as hw06

# Right answers (the instructor notebook's solutions, written independently of batchkit) --------------------------


def time_per_sample(step, make_batch, batch_sizes, repeats, rng, clock=time.perf_counter):
    batches = [make_batch(b, rng) for b in batch_sizes]
    for batch in batches:
        step(batch)
    seconds = np.empty((len(batch_sizes), repeats))
    for r in range(repeats):
        for i in rng.permutation(len(batch_sizes)):
            start = clock()
            step(batches[i])
            seconds[i, r] = clock() - start
    return np.median(seconds, axis=1) / np.array(batch_sizes)


def best_batch_size(b_crit, fixed_seconds, seconds_per_sample, largest_fitting):
    if seconds_per_sample == 0:
        return float(largest_fitting)
    return float(np.clip(np.sqrt(b_crit * fixed_seconds / seconds_per_sample), 1, largest_fitting))


def choose_batch_size(batch_sizes, seconds_per_step, steps_to_target, budget_seconds):
    times = steps_to_target * seconds_per_step
    fits = np.all(times <= budget_seconds, axis=0)
    if not fits.any():
        return None
    return batch_sizes[int(np.argmin(np.where(fits, np.median(times, axis=0), np.inf)))]


RIGHT = [(checks.check_time_per_sample, time_per_sample), (checks.check_best_batch_size, best_batch_size),
         (checks.check_choose_batch_size, choose_batch_size)]


@pytest.mark.parametrize(("check", "right"), RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out == checks.PASSED + "\n"


def _consecutive_readings(step, make_batch, batch_sizes, repeats, rng, clock=time.perf_counter):
    """One clock reading between calls (each call's seconds are the difference of neighbouring readings), a dict."""
    batches = {b: make_batch(b, rng) for b in batch_sizes}
    for b in rng.permutation(batch_sizes):
        step(batches[b])
    seconds = {b: [] for b in batch_sizes}
    for _ in range(repeats):
        order = rng.permutation(batch_sizes)
        readings = [clock()]
        for b in order:
            step(batches[b])
            readings.append(clock())
        for b, took in zip(order, np.diff(readings)):
            seconds[b].append(took)
    return [float(np.median(seconds[b])) / b for b in batch_sizes]


@pytest.mark.parametrize(("check", "right"), [
    (checks.check_time_per_sample, _consecutive_readings),
    (checks.check_best_batch_size, lambda bc, f, c, most: np.float64(min(max((bc * f / c) ** 0.5, 1), most))
     if c else most),
    (checks.check_choose_batch_size, lambda sizes, t, s, budget: min(
        ((np.median(s[:, i] * t[i]), np.int64(b)) for i, b in enumerate(sizes) if np.all(s[:, i] * t[i] <= budget)),
        default=(None, None))[1]),
], ids=["readings between calls", "numpy scalars", "a loop"])
def test_a_right_answer_in_another_form_passes(check, right):
    assert check(right) is None


def _failure(check, wrong) -> str:
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    return str(failure.value)


# Exercise 1: the timing protocol ------------------------------------------------------------------------------------


def _timing(statistic=np.median, per_sample=True, warmup=True, order="shuffled", batches="given", clock="given",
            repeats=None, rebuild=False, timed_warmup=False, sizes=None, sort_sizes=False):
    """time_per_sample with one typical mistake."""
    def timer(step, make_batch, batch_sizes, repeats_, rng, clock_=time.perf_counter):
        runs = repeats if repeats is not None else repeats_
        used = sizes if sizes is not None else (sorted(batch_sizes) if sort_sizes else batch_sizes)
        source = {"given": rng, "own": np.random.default_rng(0), "global": np.random}[batches]
        read = time.perf_counter if clock == "perf_counter" else clock_
        made = {b: make_batch(b, source) for b in used}
        if warmup and not timed_warmup:
            for b in used:
                step(made[b])
        seconds = {b: [] for b in used}
        fixed = rng.permutation(used)
        if order == "in a row":
            plan = [[b] * (runs + timed_warmup) for b in used]
        else:
            plan = [{"shuffled": rng.permutation, "global": np.random.permutation, "python": lambda u: random.sample(
                list(u), len(u))}.get(order, lambda _: fixed)(used) for _ in range(runs + timed_warmup)]
        for round_ in plan:
            for b in round_:
                batch = make_batch(b, source) if rebuild else made[b]
                start = read()
                step(batch)
                seconds[b].append(read() - start)
        return np.array([statistic(seconds[b]) / (b if per_sample else 1) for b in used])
    return timer


MISTAKES = [
    (checks.check_time_per_sample, _timing(statistic=np.mean), "this is the mean over the rounds"),
    (checks.check_time_per_sample, _timing(statistic=np.min), "this is the fastest round (the minimum)"),
    (checks.check_time_per_sample, _timing(per_sample=False), "these are seconds per step"),
    (checks.check_time_per_sample, _timing(warmup=False), "there is no warm-up"),
    (checks.check_time_per_sample, _timing(timed_warmup=True), "this includes the warm-up call"),
    (checks.check_time_per_sample, _timing(order="in a row"), "all timed calls of one size come in a row"),
    (checks.check_time_per_sample, _timing(order="fixed"), "draw a new order for every round from rng"),
    (checks.check_time_per_sample, _timing(order="global"), "not from np.random"),
    (checks.check_time_per_sample, _timing(order="python"), "not from np.random.… or random.…"),
    (checks.check_time_per_sample, _timing(batches="own"), "does not pass its `rng` argument to make_batch"),
    (checks.check_time_per_sample, _timing(batches="global"), "does not pass its `rng` argument to make_batch"),
    (checks.check_time_per_sample, _timing(clock="perf_counter"), "ignores its `clock` argument"),
    (checks.check_time_per_sample, _timing(repeats=5), "does not use its `repeats` argument"),
    (checks.check_time_per_sample, _timing(sizes=[16, 32, 64, 128]), "the argument your function is given"),
    (checks.check_time_per_sample, _timing(rebuild=True), "build each batch once"),
    (checks.check_time_per_sample, _timing(statistic=lambda t: np.sort(t)[len(t) // 2]),
     "the median is the mean of the two middle values"),
    (checks.check_time_per_sample, _timing(sort_sizes=True), "in the order of batch_sizes"),
]


def test_a_batch_built_inside_the_timing_is_seen():
    def inside(step, make_batch, batch_sizes, repeats, rng, clock=time.perf_counter):
        for b in batch_sizes:
            step(make_batch(b, rng))
        batches = {}
        seconds = {b: [] for b in batch_sizes}
        for _ in range(repeats):
            for b in rng.permutation(batch_sizes):
                start = clock()
                if b not in batches:
                    batches[b] = make_batch(b, rng)
                step(batches[b])
                seconds[b].append(clock() - start)
        return np.array([np.median(seconds[b]) / b for b in batch_sizes])
    assert "build each batch once, before any timing" in _failure(checks.check_time_per_sample, inside)


# Exercise 2: the best batch size of the model -----------------------------------------------------------------------


def _best(formula, low=1.0, high=True):
    def best(b_crit, fixed_seconds, seconds_per_sample, largest_fitting):
        balance = fixed_seconds / seconds_per_sample
        return min(max(formula(b_crit, balance), low), largest_fitting if high else np.inf)
    return best


MISTAKES += [
    (checks.check_best_batch_size, _best(lambda b_crit, balance: b_crit), "that is b_crit itself"),
    (checks.check_best_batch_size, _best(lambda b_crit, balance: balance), "the best batch size depends on b_crit too"),
    (checks.check_best_batch_size, _best(lambda b_crit, balance: (b_crit / balance) ** 0.5), "upside down"),
    (checks.check_best_batch_size, _best(lambda b_crit, balance: b_crit * balance), "the square of the answer"),
    (checks.check_best_batch_size, _best(lambda b_crit, balance: (b_crit + balance) / 2), "rather than averaging"),
    (checks.check_best_batch_size, _best(lambda b_crit, balance: (b_crit * balance) ** 0.5, high=False),
     "does not fit in memory"),
    (checks.check_best_batch_size, _best(lambda b_crit, balance: (b_crit * balance) ** 0.5, low=0.0),
     "a batch holds at least one sample"),
    (checks.check_best_batch_size, _best(lambda b_crit, balance: (b_crit * balance) ** 0.5),
     "handle this case before dividing"),
    (checks.check_best_batch_size, lambda b_crit, fixed, per_sample, largest: best_batch_size(b_crit, fixed, per_sample,
                                                                                              10**6),
     "does not fit in memory"),
]


# Exercise 3: the choice under a budget ------------------------------------------------------------------------------


def _chooser(mistake):
    return lambda sizes, seconds, steps, budget: hw06._choose(sizes, seconds, steps, budget, mistake)


def _no_none(batch_sizes, seconds_per_step, steps_to_target, budget_seconds):
    times = steps_to_target * seconds_per_step
    fits = np.flatnonzero(np.all(times <= budget_seconds, axis=0))
    return batch_sizes[fits[np.argmin(np.median(times[:, fits], axis=0))]]  # fails when nothing fits


MISTAKES += [
    *[(checks.check_choose_batch_size, _chooser(mistake), hint) for mistake, hint in hw06.CHOICE_HINTS.items()],
    (checks.check_choose_batch_size, _no_none, "return None"),
    (checks.check_choose_batch_size, lambda sizes, seconds, steps, budget: choose_batch_size(sizes, seconds, steps,
                                                                                             budget) or 0,
     "return None"),
    (checks.check_choose_batch_size, lambda sizes, seconds, steps, budget: choose_batch_size(sizes, seconds, steps,
                                                                                             np.inf),
     "ignores its `budget_seconds` argument"),
]


@pytest.mark.parametrize(("check", "wrong", "hint"), MISTAKES, ids=[f"{c.__name__}-{h}" for c, _, h in MISTAKES])
def test_a_recognised_mistake_fails_with_its_hint(check, wrong, hint):
    message = _failure(check, wrong)
    assert "Hint:" in message and hint.lower() in message.lower(), message


def test_each_choice_mistake_is_met_in_some_case():
    """Every case of the choice check separates at least one mistake, and every mistake is separated somewhere."""
    met = set()
    for sizes, seconds, steps, budget, _ in hw06._choice_cases(626):
        right = hw06._choose(sizes, seconds, steps, budget)
        met |= {m for m in hw06.CHOICE_HINTS if hw06._choose(sizes, seconds, steps, budget, m) != right}
    assert met == set(hw06.CHOICE_HINTS)


# Answers that must not pass ----------------------------------------------------------------------------------------


def _interleaved(step, make_batch, batch_sizes, repeats, rng, clock=time.perf_counter):
    seconds = batchkit.timing.interleaved_seconds([(step, make_batch(b, rng)) for b in batch_sizes], repeats=repeats,
                                                  seed=rng)
    return np.median(seconds, axis=1) / np.array(batch_sizes)


def _throughput(step, make_batch, batch_sizes, repeats, rng, clock=time.perf_counter):
    from batchkit.timing import measure_throughput
    result = measure_throughput({"step": step}, lambda b: make_batch(b, rng), batch_sizes, repeats=repeats, seed=rng)
    return 1 / result.median["step"]


@pytest.mark.parametrize(("borrowed", "name"), [(_interleaved, "timing.interleaved_seconds"),
                                                (_throughput, "timing.measure_throughput")])
def test_calling_batchkit_fails(borrowed, name):
    assert f"without calling batchkit.{name}" in _failure(checks.check_time_per_sample, borrowed)


def test_changing_an_input_in_place_fails():
    def in_place(batch_sizes, seconds_per_step, steps_to_target, budget_seconds):
        steps_to_target *= seconds_per_step  # now times, in the caller's array
        return choose_batch_size(batch_sizes, 1.0, steps_to_target, budget_seconds)
    assert "changed its input `steps_to_target` in place" in _failure(checks.check_choose_batch_size, in_place)


@pytest.mark.parametrize(("check", "wrong", "name"), [
    (checks.check_time_per_sample, _timing(clock="perf_counter"), "clock"),
    (checks.check_time_per_sample, _timing(batches="own"), "rng"),
    (checks.check_time_per_sample, _timing(repeats=7), "repeats"),
    (checks.check_best_batch_size, lambda b_crit, fixed, per_sample, most: best_batch_size(b_crit, 2e-4, per_sample,
                                                                                           most), "fixed_seconds"),
    (checks.check_best_batch_size, lambda b_crit, fixed, per_sample, most: best_batch_size(30.0, fixed, per_sample,
                                                                                           most), "b_crit"),
    (checks.check_choose_batch_size, lambda sizes, seconds, steps, budget: choose_batch_size(sizes, seconds, steps,
                                                                                             1.0), "budget_seconds"),
    (checks.check_choose_batch_size, lambda sizes, seconds, steps, budget: choose_batch_size(
        sizes, np.ones(len(sizes)) * 1e-4, steps, budget), "seconds_per_step"),
], ids=["clock", "rng", "repeats", "fixed_seconds", "b_crit", "budget_seconds", "seconds_per_step"])
def test_ignoring_an_argument_fails_naming_it(check, wrong, name):
    message = _failure(check, wrong)
    assert f"`{name}` argument" in message, message


@pytest.mark.parametrize("check", [c for c, _ in RIGHT], ids=[c.__name__ for c, _ in RIGHT])
@pytest.mark.parametrize("returned", [None, "not done", 0], ids=["None", "a string", "zero"])
def test_an_unfinished_function_gets_a_normal_failure(check, returned):
    message = _failure(check, lambda *args: returned)
    assert "Hint:" in message and "expected:" in message, message
    assert "sqrt" not in message and "np." not in message.split("Hint:", 1)[1], message


def test_the_simulated_machine_times_exactly():
    """The stand-ins: a clock read around a step gives that call's scripted seconds."""
    bench = hw06._Bench({3: np.array([5.0, 1.0, 2.0])}, start=10.0)
    batch = bench.make_batch(3, np.random.default_rng(0))
    start = bench.clock()
    bench.step(batch)
    assert bench.clock() - start == 5.0
    assert [event[0] for event in bench.events] == ["make", "clock", "step", "clock"]


def test_checks_do_not_leave_batchkit_blocked():
    checks.check_time_per_sample(time_per_sample)
    with pytest.raises(checks.CheckFailed):
        checks.check_time_per_sample(_interleaved)
    seconds = batchkit.timing.interleaved_seconds([(len, [1, 2])], repeats=2)
    assert seconds.shape == (1, 2)


def test_shuffling_batch_sizes_in_place_fails():
    """The student's timing function must not reorder the caller's list (the notebook pairs its results with it)."""
    def shuffles_the_list(step, make_batch, batch_sizes, repeats, rng, clock=time.perf_counter):
        result = time_per_sample(step, make_batch, batch_sizes, repeats, rng, clock)
        batch_sizes.sort(reverse=True)
        return result

    message = _failure(checks.check_time_per_sample, shuffles_the_list)
    assert "changed its input `batch_sizes` in place" in message and "batch_sizes.copy()" in message


def test_the_right_batch_size_as_a_float_gets_a_hint_about_the_type():
    def as_float(batch_sizes, seconds_per_step, steps_to_target, budget_seconds):
        chosen = hw06._choose(batch_sizes, seconds_per_step, steps_to_target, budget_seconds)
        return None if chosen is None else float(chosen)

    message = _failure(checks.check_choose_batch_size, as_float)
    assert "not as an int" in message
