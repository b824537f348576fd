"""Homework 04's checks: right answers pass, each recognised mistake fails with its hint, and answers that call
batchkit, change an input in place or ignore an argument fail, naming it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import batchkit as bk
import batchkit.linreg
import batchkit.statistics
import batchkit.training
from batchkit import checks
from batchkit.checks import descent

# Right answers (the instructor notebook's solutions, written independently of batchkit) --------------------------


def per_sample_gradients(theta, X, y):
    residual = theta[0] + X @ theta[1:] - y
    return np.column_stack((residual, residual[:, None] * X))


def minibatch_gradient_msd(per_sample, batch_size):
    n = len(per_sample)
    spread = np.mean(np.sum((per_sample - per_sample.mean(axis=0)) ** 2, axis=1))
    return (n - batch_size) / (n - 1) * spread / batch_size


def measured_msd(per_sample, batch_size, epochs, replacement, seed, drop_last=True, centre=True):
    full = per_sample.mean(axis=0) if centre else 0.0
    squares = [np.sum((per_sample[index].mean(axis=0) - full) ** 2)
               for batches in bk.iter_epochs(len(per_sample), batch_size, epochs, replacement=replacement,
                                             drop_last=drop_last, seed=seed) for index in batches]
    return np.mean(squares)


def gd(X, y, batch_size, epochs, learning_rate, decay, seed, *, divisor=None, clock="run", same=False,
       stop="theta", keep="before", count_from=1):
    """The loop, right by default; the keywords make it one of the realistic wrong versions."""
    theta, t = np.zeros(X.shape[1] + 1), 0
    epochs_of_batches = ([bk.epoch_batch_indices(len(X), batch_size, seed=seed)] * epochs if same
                         else bk.iter_epochs(len(X), batch_size, epochs, seed=seed))
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch, batches in enumerate(epochs_of_batches):
            for step, index in enumerate(batches):
                rows = per_sample_gradients(theta, X[index], y[index])
                gradient = rows.sum(axis=0) / (len(index) if divisor is None else divisor)
                k = {"run": t, "epoch": step, "epochs": epoch, "from 1": t + 1}[clock]
                new = theta - learning_rate / (1 + decay * k) * gradient
                t += 1
                if stop == "loss" and not np.isfinite(np.mean(rows[:, 0] ** 2) / 2):
                    return theta, t - 1 + count_from
                if stop != "never" and not np.all(np.isfinite(new)):
                    return (theta if keep == "before" else new), t - 1 + count_from
                theta = new
    return theta, None


def minibatch_gd(X, y, batch_size, epochs, learning_rate, decay, seed):
    return gd(X, y, batch_size, epochs, learning_rate, decay, seed)


RIGHT = [(checks.check_per_sample_gradients, per_sample_gradients),
         (checks.check_minibatch_gradient_msd, minibatch_gradient_msd),
         (checks.check_measured_gradient_msd, measured_msd),
         (checks.check_minibatch_gd_schedule, minibatch_gd)]


@pytest.mark.parametrize(("check", "right"), RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out == checks.PASSED + "\n"


def test_right_answers_in_other_forms_pass():
    def msd_unbiased(per_sample, batch_size):  # the textbook's (1 - b/n) s² / b with s² dividing by n - 1
        n = len(per_sample)
        return (1 - batch_size / n) * per_sample.var(axis=0, ddof=1).sum() / batch_size

    def loop_checking_the_gradient(X, y, batch_size, epochs, learning_rate, decay, seed):
        theta, t = np.zeros(X.shape[1] + 1), 0
        for batches in bk.iter_epochs(len(X), batch_size, epochs, seed=np.random.default_rng(seed)):
            for index in batches:
                gradient = per_sample_gradients(theta, X[index], y[index]).mean(axis=0)
                t += 1
                step = theta - learning_rate / (1 + decay * (t - 1)) * gradient
                if not np.isfinite(step).all():
                    return theta, np.int64(t)
                theta = step
        return theta, None

    checks.check_minibatch_gradient_msd(msd_unbiased)
    checks.check_minibatch_gd_schedule(loop_checking_the_gradient)


def _failure(check, wrong) -> str:
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    return str(failure.value)


# Recognised mistakes ---------------------------------------------------------------------------------------------


def _msd_with(factor=lambda n, b: (n - b) / (n - 1), ddof=0, centre=True, root=False, per_component=False):
    def msd(per_sample, batch_size):
        n = len(per_sample)
        centred = per_sample - per_sample.mean(axis=0) if centre else per_sample
        variances = (centred ** 2).sum(axis=0) / (n - ddof)
        value = factor(n, batch_size) * (variances.mean() if per_component else variances.sum()) / batch_size
        return np.sqrt(value) if root else value
    return msd


def _loop_with(**mistake):
    def loop(X, y, batch_size, epochs, learning_rate, decay, seed):
        return gd(X, y, batch_size, epochs, learning_rate, decay, seed, **mistake)
    return loop


def _fixed_divisor(X, y, batch_size, epochs, learning_rate, decay, seed):
    return gd(X, y, batch_size, epochs, learning_rate, decay, seed, divisor=batch_size)


def _summed(X, y, batch_size, epochs, learning_rate, decay, seed):
    return gd(X, y, batch_size, epochs, learning_rate, decay, seed, divisor=1)


MISTAKES = [
    (checks.check_per_sample_gradients, lambda theta, X, y: per_sample_gradients(theta, X, y) / len(X),
     "do not divide by m"),
    (checks.check_per_sample_gradients, lambda theta, X, y: -per_sample_gradients(theta, X, y), "wrong sign"),
    (checks.check_per_sample_gradients, lambda theta, X, y: 2 * per_sample_gradients(theta, X, y), "½ in the loss"),
    (checks.check_per_sample_gradients, lambda theta, X, y: (theta[0] + X @ theta[1:] - y)[:, None] * X,
     "derivative with respect to θ0"),
    (checks.check_per_sample_gradients, lambda theta, X, y: per_sample_gradients(theta, X, y).T, "the transpose"),
    (checks.check_per_sample_gradients, lambda theta, X, y: per_sample_gradients(theta, X, y).mean(axis=0),
     "this is the batch gradient"),
    (checks.check_minibatch_gradient_msd, _msd_with(factor=lambda n, b: 1.0), "drawn with replacement"),
    (checks.check_minibatch_gradient_msd, _msd_with(factor=lambda n, b: (n - b) / n), "check your correction factor"),
    (checks.check_minibatch_gradient_msd, _msd_with(ddof=1), "a factor n/(n - 1) too large"),
    (checks.check_minibatch_gradient_msd, _msd_with(centre=False), "counts |ḡ|² as noise"),
    (checks.check_minibatch_gradient_msd, _msd_with(root=True), "the root of the mean squared deviation"),
    (checks.check_minibatch_gradient_msd, _msd_with(per_component=True), "averages over the p components"),
    (checks.check_minibatch_gradient_msd,
     lambda G, b: (len(G) - b) / (len(G) - 1) * G.var(axis=0) / b, "the squared length sums the p components"),
    (checks.check_measured_gradient_msd, lambda G, b, e, r, s: measured_msd(G, b, e, r, s, drop_last=False),
     "use only full batches"),
    (checks.check_measured_gradient_msd, lambda G, b, e, r, s: measured_msd(G, b, e, r, s, centre=False),
     "counts |ḡ|² as noise"),
    (checks.check_measured_gradient_msd, lambda G, b, e, r, s: np.sqrt(measured_msd(G, b, e, r, s)),
     "the root of the mean squared deviation"),
    (checks.check_minibatch_gd_schedule, _fixed_divisor, "not the sum divided by batch_size"),
    (checks.check_minibatch_gd_schedule, _summed, "J's gradient is their mean"),
    (checks.check_minibatch_gd_schedule, _loop_with(same=True), "not a fresh shuffle"),
    (checks.check_minibatch_gd_schedule, _loop_with(clock="epoch"), "restarts every epoch"),
    (checks.check_minibatch_gd_schedule, _loop_with(clock="from 1"), "first step uses learning_rate itself"),
    (checks.check_minibatch_gd_schedule, _loop_with(clock="epochs"), "not with every epoch"),
    (checks.check_minibatch_gd_schedule, _loop_with(stop="loss"), "stopped when the batch loss overflowed"),
    (checks.check_minibatch_gd_schedule, _loop_with(count_from=0), "number the steps from 1"),
    (checks.check_minibatch_gd_schedule, _loop_with(keep="after"), "return the last finite θ"),
    (checks.check_minibatch_gd_schedule, _loop_with(stop="never"), "this run diverged: stop at the first update"),
    (checks.check_minibatch_gd_schedule, lambda *args: (minibatch_gd(*args)[0], 0), "diverged_at is None"),
    (checks.check_minibatch_gd_schedule, lambda *args: minibatch_gd(*args)[0], "in this order: theta, diverged_at"),
]


@pytest.mark.parametrize(("check", "wrong", "hint"), MISTAKES, ids=[f"{c.__name__}-{h}" for c, _, h in MISTAKES])
def test_a_recognised_mistake_fails_with_its_hint(check, wrong, hint):
    message = _failure(check, wrong)
    assert "Hint:" in message and hint.lower() in message.lower(), message  # a shape hint comes first, capitalised
    assert "expected:" in message and "got:" in message, message


def test_an_unrecognised_mistake_gets_the_general_hint_and_no_formula():
    message = _failure(checks.check_minibatch_gradient_msd, lambda G, b: 1.0)
    assert "one number: the expected squared length" in message.lower() and "ignores its `batch_size`" in message
    for formula in ("(n - b)", "n - 1)", "/ b", "tr("):
        assert formula not in message, message


# Answers that must not pass ----------------------------------------------------------------------------------------


def _rows_by_batchkit(theta, X, y):
    return np.array([bk.linreg.gradient(theta, X[i:i + 1], y[i:i + 1]) for i in range(len(X))])


def _rows_by_predict(theta, X, y):
    residual = bk.linreg.predict(theta, X) - y
    return np.column_stack((residual, residual[:, None] * X))


def _msd_by_batchkit(per_sample, batch_size):
    return sum(bk.statistics.batch_mean_std(s, len(per_sample), batch_size) ** 2 for s in per_sample.std(axis=0))


def _loop_by_batchkit(X, y, batch_size, epochs, learning_rate, decay, seed):
    history = bk.training.train(X, y, batch_size=batch_size, epochs=epochs, learning_rate=learning_rate,
                                schedule="inverse_time", decay=decay, seed=seed)
    return history.theta[-1], history.diverged_at


@pytest.mark.parametrize(("check", "borrowed", "name"), [
    (checks.check_per_sample_gradients, _rows_by_batchkit, "linreg.gradient"),
    (checks.check_per_sample_gradients, _rows_by_predict, "linreg.predict"),
    (checks.check_minibatch_gradient_msd, _msd_by_batchkit, "statistics.batch_mean_std"),
    (checks.check_measured_gradient_msd, lambda G, b, e, r, s: _msd_by_batchkit(G, b), "statistics.batch_mean_std"),
    (checks.check_minibatch_gd_schedule, _loop_by_batchkit, "training.train")])
def test_calling_batchkit_fails(check, borrowed, name):
    assert f"without calling batchkit.{name}" in _failure(check, borrowed)


def _rows_in_place(theta, X, y):
    y -= theta[0] + X @ theta[1:]
    y *= -1.0
    return np.column_stack((y, y[:, None] * X))


def _msd_in_place(per_sample, batch_size):
    n = len(per_sample)
    per_sample -= per_sample.mean(axis=0)
    return (n - batch_size) / (n - 1) * np.mean(np.sum(per_sample ** 2, axis=1)) / batch_size


def _measured_in_place(per_sample, batch_size, epochs, replacement, seed):
    value = measured_msd(per_sample, batch_size, epochs, replacement, seed)
    per_sample[0] = 0.0
    return value


def _loop_in_place(X, y, batch_size, epochs, learning_rate, decay, seed):
    X -= X.mean(axis=0)  # "centring helps", but the data is not the function's to change
    return minibatch_gd(X, y, batch_size, epochs, learning_rate, decay, seed)


@pytest.mark.parametrize(("check", "wrong", "name"), [
    (checks.check_per_sample_gradients, _rows_in_place, "y"),
    (checks.check_minibatch_gradient_msd, _msd_in_place, "per_sample"),
    (checks.check_measured_gradient_msd, _measured_in_place, "per_sample"),
    (checks.check_minibatch_gd_schedule, _loop_in_place, "X")])
def test_changing_an_input_in_place_fails(check, wrong, name):
    assert f"changed its input `{name}` in place" in _failure(check, wrong)


def _loop_ignoring(position, value):
    def loop(*args):
        return minibatch_gd(*[value if i == position else a for i, a in enumerate(args)])
    return loop


def _measured_ignoring(position, value):
    def measured(*args):
        return measured_msd(*[value if i == position else a for i, a in enumerate(args)])
    return measured


@pytest.mark.parametrize(("check", "wrong", "argument"), [
    (checks.check_per_sample_gradients, lambda theta, X, y: per_sample_gradients(np.zeros_like(theta), X, y),
     "theta"),
    (checks.check_minibatch_gradient_msd, lambda G, b: minibatch_gradient_msd(G, 2), "batch_size"),
    (checks.check_measured_gradient_msd, _measured_ignoring(1, 3), "batch_size"),
    (checks.check_measured_gradient_msd, _measured_ignoring(2, 2), "epochs"),
    (checks.check_measured_gradient_msd, _measured_ignoring(3, False), "replacement"),
    (checks.check_measured_gradient_msd, _measured_ignoring(4, 0), "seed"),
    (checks.check_minibatch_gd_schedule, _loop_ignoring(2, 5), "batch_size"),
    (checks.check_minibatch_gd_schedule, _loop_ignoring(3, 2), "epochs"),
    (checks.check_minibatch_gd_schedule, _loop_ignoring(4, 0.05), "learning_rate"),
    (checks.check_minibatch_gd_schedule, _loop_ignoring(5, 0.0), "decay"),
    (checks.check_minibatch_gd_schedule, _loop_ignoring(6, 0), "seed")])
def test_ignoring_an_argument_fails_naming_it(check, wrong, argument):
    assert f"ignores its `{argument}` argument" in _failure(check, wrong)


# One mistake costs one task ----------------------------------------------------------------------------------------


def test_a_wrong_per_sample_gradients_does_not_fail_the_loop():
    namespace = {"np": np, "bk": bk}
    exec("def per_sample_gradients(theta, X, y):\n    return np.ones((len(X), X.shape[1] + 1))\n"  # noqa: S102
         "def minibatch_gd(X, y, batch_size, epochs, learning_rate, decay, seed):\n"
         "    theta, t = np.zeros(X.shape[1] + 1), 0\n"
         "    with np.errstate(over='ignore', invalid='ignore'):\n"
         "        for batches in bk.iter_epochs(len(X), batch_size, epochs, seed=seed):\n"
         "            for index in batches:\n"
         "                new = theta - learning_rate / (1 + decay * t) * per_sample_gradients(\n"
         "                    theta, X[index], y[index]).mean(axis=0)\n"
         "                t += 1\n"
         "                if not np.isfinite(new).all():\n"
         "                    return theta, t\n"
         "                theta = new\n"
         "    return theta, None\n", namespace)
    with pytest.raises(checks.CheckFailed):
        checks.check_per_sample_gradients(namespace["per_sample_gradients"])
    checks.check_minibatch_gd_schedule(namespace["minibatch_gd"])
    assert namespace["per_sample_gradients"](None, np.zeros((2, 1)), None).shape == (2, 2)  # restored


# The references the checks compare with --------------------------------------------------------------------------


def test_the_predicted_noise_is_the_exact_average_over_every_batch():
    """The reference for part A is exact: the average over all C(n, b) batches of |g_B - ḡ|²."""
    G = np.random.default_rng(0).normal(1.0, 2.0, (7, 3))
    for b in range(1, 8):
        exact = np.mean([np.sum((G[list(batch)].mean(axis=0) - G.mean(axis=0)) ** 2)
                         for batch in itertools.combinations(range(7), b)])
        assert np.isclose(descent._msd(G, b), exact)
        assert np.isclose(minibatch_gradient_msd(G, b), exact)


def test_the_reference_loop_is_batchkits_train_when_nothing_diverges():
    rng = np.random.default_rng(1)
    for args in descent._loop_cases(rng):
        X, y, batch_size, epochs, rate, decay, seed = args
        theta, step = descent._loop(*args)
        if step is None:
            history = bk.training.train(X, y, batch_size=batch_size, epochs=epochs, learning_rate=rate,
                                        schedule="inverse_time", decay=decay, seed=seed)
            assert history.diverged_at is None and np.allclose(history.theta[-1], theta, rtol=1e-10)


def test_the_divergent_cases_diverge_midway_and_the_others_do_not():
    steps = [descent._loop(*args)[1] for args in descent._loop_cases(np.random.default_rng(417))]
    assert steps[:5] == [None] * 5 and all(step is not None and step > 10 for step in steps[5:])


def test_checks_do_not_leave_batchkit_blocked():
    originals = (bk.linreg.predict, bk.linreg.gradient, bk.statistics.batch_mean_std, bk.training.train)
    checks.check_minibatch_gd_schedule(minibatch_gd)
    with pytest.raises(checks.CheckFailed):
        checks.check_minibatch_gradient_msd(_msd_by_batchkit)
    assert (bk.linreg.predict, bk.linreg.gradient, bk.statistics.batch_mean_std, bk.training.train) == originals
    assert "statistics.batch_mean_std" in descent.NOISE_BLOCKED


def test_a_step_number_that_is_not_an_int_gets_a_hint_about_the_type():
    def float_step(*args):
        theta, step = minibatch_gd(*args)
        return theta, None if step is None else float(step)
    assert "return it as an int" in _failure(checks.check_minibatch_gd_schedule, float_step)


def test_the_standard_deviations_correction_unsquared_is_named():
    def unsquared(per_sample, batch_size):
        n = len(per_sample)
        return float(per_sample.var(axis=0).sum()) / batch_size * np.sqrt((n - batch_size) / (n - 1))
    with pytest.raises(checks.CheckFailed, match="needs its square"):
        checks.check_minibatch_gradient_msd(unsquared)


def test_the_same_batches_every_epoch_are_named():
    def same_every_epoch(per_sample, batch_size, epochs, replacement, seed):
        return measured_msd(per_sample, batch_size, 1, replacement, seed)
    with pytest.raises(checks.CheckFailed, match="(?i)every epoch drew the same batches"):
        checks.check_measured_gradient_msd(same_every_epoch)
