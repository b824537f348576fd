"""The homework checks cannot be passed with a borrowed or half-right answer, and fail without showing the reference.

Each kind of answer an instructor review found passing: one that ignores an argument (a hard-coded eps), one that
calls batchkit's own function (even its whole training run), one that changes its input in place, and one that
sidesteps float32 by accumulating in float64 (accepted and discussed in homework 03). Then the notebook side: a check
prints its verdict and returns None, and IPython shows a failure's message without the checks' source lines. Each
homework's own tests (``tests/test_checks_hwNN.py``) repeat these for its checks.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import batchkit as bk
import batchkit.batch_size_choice
import batchkit.batchnorm
import batchkit.conditioning
import batchkit.losses
import batchkit.linreg
import batchkit.training
from batchkit import checks
from tests.test_checks import CASES
from tests.test_checks_hw04 import minibatch_gd as minibatch_gd_right
from tests.test_checks_hw05 import batchnorm_forward as bn_forward_right

# 1. Every argument is varied: a function that ignores one fails, and the hint names it --------------------------


IGNORED = [
    # the loophole of the first homework 05: a batch norm forward that always uses eps = 1e-5
    (checks.check_batchnorm_forward_cache, lambda x, g, b, eps: bn_forward_right(x, g, b, 1e-5), "eps"),
    (checks.check_steps_per_epoch, lambda n, b, d: math.ceil(n / b), "drop_last"),
]


@pytest.mark.parametrize(("check", "wrong", "argument"), IGNORED, ids=[f"{c.__name__}-{a}" for c, _, a in IGNORED])
def test_a_function_that_ignores_an_argument_fails_naming_it(check, wrong, argument):
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    assert f"ignores its `{argument}` argument" in str(failure.value), str(failure.value)


def test_the_random_cases_are_seeded_so_a_failure_reproduces():
    wrong = IGNORED[0][1]
    messages = []
    for _ in range(2):
        with pytest.raises(checks.CheckFailed) as failure:
            checks.check_batchnorm_forward_cache(wrong)
        messages.append(str(failure.value))
    assert messages[0] == messages[1]


# 2. Calling batchkit's own function for the exercise fails, with a message that says so ----------------------------

BORROWED = [
    (checks.check_batchnorm_forward_cache, lambda x, g, b, eps: bk.batchnorm.batchnorm_forward(x, g, b, eps),
     "batchnorm.batchnorm_forward"),
    (checks.check_batchnorm_forward_cache, lambda x, g, b, eps: (bk.batchnorm.BatchNorm1d(x.shape[1], eps).forward(x),
                                                                  None), "batchnorm."),
    # the loophole of the first homework 04: the whole training run from batchkit
    (checks.check_minibatch_gd_schedule, lambda X, y, b, e, lr, decay, seed: (bk.training.train(
        X, y, batch_size=b, epochs=e, learning_rate=lr, seed=seed).theta[-1], None), "training.train"),
    (checks.check_per_sample_gradients, lambda t, X, y: bk.linreg.gradient(t, X[:1], y[:1]) * np.ones((len(X), 1)),
     "linreg.gradient"),
    (checks.check_steps_per_epoch, lambda n, b, d: bk.batches_per_epoch(n, b, d), "counting.batches_per_epoch"),
    (checks.check_linear_forward, lambda X, W, b: bk.linear.linear_forward(X, W, b), "linear.linear_forward"),
    (checks.check_batch_statistics, lambda X: bk.statistics.batch_statistics(X), "statistics.batch_statistics"),
]
import batchkit.batch_ops, batchkit.centering, batchkit.linear, batchkit.statistics  # noqa: E401,E402  (for BORROWED)


@pytest.mark.parametrize(("check", "borrowed", "name"), BORROWED, ids=[f"{c.__name__}-{n}" for c, _, n in BORROWED])
def test_calling_batchkit_for_the_exercise_fails_with_a_message_that_says_so(check, borrowed, name):
    with pytest.raises(checks.CheckFailed) as failure:
        check(borrowed)
    message = str(failure.value)
    assert "asks you to write it yourself, without calling batchkit." + name in message, message


def _notebook(code: str) -> dict:
    """The namespace of a notebook that ran ``code``: what a student's function sees as its globals."""
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own test code
    return namespace


def test_a_batchkit_function_imported_by_name_or_handed_in_directly_also_fails():
    namespace = _notebook("from batchkit.batchnorm import batchnorm_forward as bn\n"
                          "def batchnorm_forward(x, gamma, beta, eps):\n    return bn(x, gamma, beta, eps)\n")
    with pytest.raises(checks.CheckFailed, match="without calling batchkit.batchnorm.batchnorm_forward"):
        checks.check_batchnorm_forward_cache(namespace["batchnorm_forward"])
    assert namespace["bn"] is bk.batchnorm.batchnorm_forward  # restored
    with pytest.raises(checks.CheckFailed, match="without calling batchkit.linear.linear_forward"):
        checks.check_linear_forward(bk.linear.linear_forward)


def test_catching_the_error_does_not_help():
    def sneaky(x, gamma, beta, eps):
        try:
            return bk.batchnorm.batchnorm_forward(x, gamma, beta, eps)
        except Exception:  # noqa: BLE001 - the student's attempt to hide the call
            return bn_forward_right(x, gamma, beta, eps)
    with pytest.raises(checks.CheckFailed, match="without calling batchkit.batchnorm.batchnorm_forward"):
        checks.check_batchnorm_forward_cache(sneaky)


def test_batchkit_is_restored_after_a_check_passes_or_fails():
    originals = (bk.batchnorm.batchnorm_forward, bk.linreg.loss, bk.training.train, bk.batches_per_epoch)
    checks.check_batchnorm_forward_cache(bn_forward_right)
    with pytest.raises(checks.CheckFailed):
        checks.check_batchnorm_forward_cache(BORROWED[0][1])
    with pytest.raises(checks.CheckFailed):
        checks.check_minibatch_gd_schedule(BORROWED[2][1])
    with pytest.raises(ZeroDivisionError):  # an error of the student's own passes through unchanged
        checks.check_steps_per_epoch(lambda n, b, d: 1 // 0)
    assert (bk.batchnorm.batchnorm_forward, bk.linreg.loss, bk.training.train, bk.batches_per_epoch) == originals
    assert bk.counting.batches_per_epoch is bk.batches_per_epoch


def test_the_functions_an_exercise_allows_stay_available():
    checks.check_minibatch_gd_schedule(minibatch_gd_right)  # bk.iter_epochs, which homework 04's loop may use


# 3. Changing an input in place fails ----------------------------------------------------------------------------


def _bn_forward_in_place(x, gamma, beta, eps):
    out, cache = bn_forward_right(x.copy(), gamma, beta, eps)
    x -= x.mean(axis=0)
    return out, cache


def _linear_backward_in_place(dZ, X, W):
    db = dZ.sum(axis=0)
    dZ *= 1.0  # harmless
    X[:] = X  # harmless: the same values
    dW = dZ.T @ X
    W *= 1.0
    dZ[0] = 0.0  # not harmless
    return dZ @ W, dW, db


IN_PLACE = [(checks.check_batchnorm_forward_cache, _bn_forward_in_place, "x"),
            (checks.check_linear_backward, _linear_backward_in_place, "dZ"),
            (checks.check_distinct_fraction, lambda batches, n: len(np.unique(np.concatenate(
                [batches.pop() for _ in range(len(batches))]))) / n, "batches")]


@pytest.mark.parametrize(("check", "wrong", "argument"), IN_PLACE, ids=[f"{c.__name__}-{a}" for c, _, a in IN_PLACE])
def test_a_function_that_changes_its_input_in_place_fails(check, wrong, argument):
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    message = str(failure.value)
    copy = f"[a.copy() for a in {argument}]" if argument == "batches" else f"{argument}.copy()"  # a list of arrays
    assert (f"your function changed its input `{argument}` in place; work on a copy ({argument} = {copy}) "
            "or build new arrays") in message, message
    assert "expected:" in message and "got:" in message


# 4. The float32 variance: accumulating in float64 is an accepted technique (batchkit's own statistics do it) -----


@pytest.mark.parametrize("upcast", [lambda X: (len(X), X.astype(np.float64).mean(axis=0),
                                               ((X.astype(np.float64) - X.astype(np.float64).mean(axis=0)) ** 2).sum(0)),
                                    lambda X: (len(X), X.mean(axis=0, dtype=np.float64),
                                               X.var(axis=0, dtype=np.float64) * len(X))], ids=["astype", "dtype="])
def test_the_statistics_check_accepts_accumulating_float32_data_in_float64(upcast):
    checks.check_batch_statistics(upcast)


def test_the_variance_exercise_accepts_and_discusses_the_upcast():
    notebook = (Path(__file__).resolve().parents[1] / "homework" / "instructor" / "03-homework-centering.ipynb")
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = " ".join(" ".join("".join(cell["source"]).split()) for cell in cells if cell["cell_type"] == "markdown")
    assert "X.astype(np.float64)" in text and "twice the memory" in text and "Two answers are accepted" in text


# 5. One mistake fails one check: tested for every homework whose exercises build on each other, in
# tests/test_checks_hw01.py (the loader), hw02 (the network), hw03 (the standardizer) and hw04 (the loop).


# 6. A check prints its verdict and returns None: nothing for nbgrader to read as a score --------------------------


def test_a_passing_check_prints_and_returns_none_and_a_failing_one_prints_nothing(capsys):
    assert checks.check_steps_per_epoch(lambda n, b, d: n // b if d else -(-n // b)) is None
    assert capsys.readouterr().out == "All checks passed.\n" == checks.PASSED + "\n"
    with pytest.raises(checks.CheckFailed):
        checks.check_steps_per_epoch(lambda n, b, d: None)
    assert capsys.readouterr().out == ""


# 7. IPython shows the message only, no source lines of the checks (some hold the reference formula) --------------

CHECK_SOURCES = sorted((Path(checks.__file__).parent).glob("*.py"))
CODE_LINES = {line.strip() for path in CHECK_SOURCES for line in path.read_text(encoding="utf-8").splitlines()
              if len(line.strip()) > 15 and not line.strip().startswith(('"', "#", "f\"", "(\"", "'"))}


@pytest.mark.parametrize(("check", "mistake"), [(c, m) for c in CASES for m in CASES[c][1]],
                         ids=lambda v: v.__name__ if callable(v) else v)
def test_the_rendered_traceback_shows_the_message_and_no_reference_code(check, mistake):
    with pytest.raises(checks.CheckFailed) as failure:
        check(CASES[check][1][mistake][0])
    rendered = failure.value._render_traceback_()
    assert rendered[0] == "CheckFailed: " + str(failure.value).splitlines()[0]
    assert "\n".join(rendered[1:]) == "\n".join(str(failure.value).splitlines()[1:])
    text = "\n".join(rendered)
    assert "np.sqrt(" not in text and ".var(" not in text and "File " not in text, text
    assert not [line for line in CODE_LINES if line in text]


def test_the_failure_is_raised_where_no_solution_is_written():
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_batchnorm_forward_cache(lambda x, g, b, eps: (x, None))
    raised_in = failure.traceback[-1]
    assert raised_in.name == "_fail" and Path(str(raised_in.path)).name == "_core.py"
    around = Path(str(raised_in.path)).read_text(encoding="utf-8").splitlines()[raised_in.lineno - 8:raised_in.lineno + 8]
    assert not re.search(r"sqrt|\.var\(|mean\(", "\n".join(around))


# 8. Every check, also the ones added later, fails a wrong answer with its own message and shows no reference code --

REFERENCES = [bk.sampling.expected_fraction_seen, bk.losses.half_squared_error, bk.linreg.hessian_eigenvalues,
              bk.statistics.batch_statistics, bk.statistics.merge_statistics, bk.conditioning.steps_at_best_rate,
              bk.batch_size_choice.best_batch_size, bk.batch_size_choice.choose_batch_size]
REFERENCE_LINES = {line.strip() for function in REFERENCES for line in inspect.getsource(function).splitlines()
                   if len(line.strip()) > 12 and "=" in line and not line.strip().startswith(('"', "#", "def "))}
EVERY_CHECK = [name for name in checks.__all__ if name.startswith("check_") and name != "check_worker"]


@pytest.mark.parametrize("answer", [0.0, None, np.zeros(3)], ids=["zero", "None", "an array"])
@pytest.mark.parametrize("name", EVERY_CHECK)
def test_every_check_fails_a_wrong_answer_with_a_message_and_no_reference_code(name, answer):
    with pytest.raises(checks.CheckFailed) as failure:
        getattr(checks, name)(lambda *args, **kwargs: answer)
    text = "\n".join(failure.value._render_traceback_())
    assert not [line for line in CODE_LINES | REFERENCE_LINES if line in text], text
