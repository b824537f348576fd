"""Every homework check passes a correct solution and fails realistic wrong ones, with a helpful message."""

from __future__ import annotations

import inspect
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import batchkit as bk
import conftest
from batchkit import batchnorm, checks, linear, linreg, statistics, training

# Correct solutions, written as a student would (independently of batchkit where the exercise asks for code: the
# checks make batchkit's own functions for the exercise raise while the student's function runs).


def steps_right(n, b, drop_last):
    return n // b if drop_last else math.ceil(n / b)


def linear_right(X, W, b):
    return X @ W.T + b


def linear_backward_right(dZ, X, W):
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


CASES = {
    checks.check_steps_per_epoch: (steps_right, {
        "float division": (lambda n, b, d: n / b, "float"),
        "always floor": (lambda n, b, d: n // b, "round up"),
        "always ceil": (lambda n, b, d: -(-n // b), "round down"),
        "the right count as a float (np.ceil)": (lambda n, b, d: n // b if d else np.ceil(n / b), "return an int"),
        "one more than n // b": (lambda n, b, d: n // b if d else n // b + 1, "a batch that is empty"),
    }),
    checks.check_distinct_fraction: (lambda batches, n: len(np.unique(np.concatenate(batches))) / n, {
        "counting draws, not samples": (lambda batches, n: sum(len(b) for b in batches) / n, "counts once"),
        "a count, not a fraction": (lambda batches, n: len(np.unique(np.concatenate(batches))), "fraction of n"),
        "no return value": (lambda batches, n: None, "between 0 and 1"),
    }),
    checks.check_linear_forward: (linear_right, {
        "W not transposed": (lambda X, W, b: (X @ W.T).T[:, :1] + b[:1], "shape"),
        "bias forgotten": (lambda X, W, b: X @ W.T, "b added to every row"),
        "W used as (inputs, outputs)": (lambda X, W, b: X @ W + b, "(outputs, inputs)"),
        "NaN everywhere": (lambda X, W, b: np.full((len(X), len(W)), np.nan), "one row per sample"),
    }),
    checks.check_linear_backward: (linear_backward_right, {
        "db summed over the wrong axis": (lambda dZ, X, W: (dZ @ W, dZ.T @ X, dZ.sum(axis=1)), "axis 0"),
        "db averaged": (lambda dZ, X, W: (dZ @ W, dZ.T @ X, dZ.mean(axis=0)), "not a mean"),
        "dW transposed": (lambda dZ, X, W: (dZ @ W, X.T @ dZ, dZ.sum(axis=0)), "dW is transposed"),
        "dW averaged": (lambda dZ, X, W: (dZ @ W, dZ.T @ X / len(X), dZ.sum(axis=0)), "not their mean"),
        "dX through W transposed": (lambda dZ, X, W: (dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)), "transpose of W"),
        "two values returned": (lambda dZ, X, W: (dZ @ W, dZ.T @ X), "a tuple (dX, dW, db)"),
    }),
}


@pytest.mark.parametrize("check", list(CASES), ids=lambda c: c.__name__)
def test_check_passes_a_correct_solution(check, capsys):
    assert check(CASES[check][0]) is None  # a returned string would be a notebook cell's output, read by nbgrader
    assert capsys.readouterr().out == checks.PASSED + "\n"


@pytest.mark.parametrize(("check", "mistake"), [(c, m) for c in CASES for m in CASES[c][1]],
                         ids=lambda v: v.__name__ if callable(v) else v)
def test_check_fails_a_realistic_mistake_with_a_hint(check, mistake):
    wrong, hint_words = CASES[check][1][mistake]
    with pytest.raises(AssertionError) as failure:
        check(wrong)
    message = str(failure.value)
    assert "expected:" in message and "got:" in message, message
    assert hint_words in message, f"the hint for '{mistake}' should mention {hint_words!r}:\n{message}"


@pytest.mark.parametrize(("check", "mistake"), [(c, m) for c in CASES for m in CASES[c][1]],
                         ids=lambda v: v.__name__ if callable(v) else v)
def test_failure_messages_never_show_reference_code(check, mistake):
    with pytest.raises(AssertionError) as failure:
        check(CASES[check][1][mistake][0])
    message = str(failure.value)
    reference_lines = set()
    for function in (bk.batches_per_epoch, bk.epoch_batch_indices, linear.linear_forward, linear.linear_backward,
                     statistics.batch_mean_var, batchnorm.batchnorm_forward, batchnorm.batchnorm_backward,
                     training._run, linreg.gradient, linreg.loss, linreg.loss_and_gradient):
        for line in inspect.getsource(function).splitlines():
            line = line.strip()
            if len(line) > 12 and not line.startswith(('"""', "#", "def ", "return ", ")")) and "=" in line:
                reference_lines.add(line)
    leaked = [line for line in reference_lines if line in message]
    assert not leaked, f"the message shows reference code: {leaked}"


def test_checks_work_in_a_plain_script(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "homework.py"
    script.write_text("from batchkit.checks import check_linear_forward\n"
                      "check_linear_forward(lambda X, W, b: X @ W.T + b)\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == checks.PASSED


# No answer given away: an unfinished or unrecognised answer gets a generic hint ----------------------------------

SOLUTION_CODE = ["@", ".T", "mean(", "sum(", "var(", "axis=", "np.", "rng.", "permutation(", "ceil", "//", "sqrt("]


@pytest.mark.parametrize("check", list(CASES), ids=lambda c: c.__name__)
@pytest.mark.parametrize("returned", [None, "not done", 0], ids=["None", "a string", "zero"])
def test_an_unfinished_function_gets_a_normal_failure_without_solution_code(check, returned):
    with pytest.raises(checks.CheckFailed) as failure:  # not a TypeError from inside the check
        check(lambda *args: returned)
    message = str(failure.value)
    assert "Hint:" in message and "expected:" in message, message
    shown = [code for code in SOLUTION_CODE if code in message.split("Hint:", 1)[1]]
    assert not shown, f"{check.__name__}: the hint shows {shown}:\n{message}"


@pytest.mark.parametrize(("check", "wrong"), [
    (checks.check_linear_forward, lambda X, W, b: np.zeros((len(X), len(W)))),
    (checks.check_linear_forward, lambda X, W, b: X @ W.T + 1.0),
    (checks.check_linear_backward, lambda dZ, X, W: (np.zeros_like(X), np.zeros_like(W), np.zeros(len(W)))),
    (checks.check_linear_backward, lambda dZ, X, W: (dZ @ W, np.ones_like(W), dZ.sum(axis=0))),
], ids=lambda v: v.__name__ if inspect.isfunction(v) and v.__name__.startswith("check") else "")
def test_an_unrecognised_mistake_gets_a_generic_hint_without_solution_code(check, wrong):
    with pytest.raises(checks.CheckFailed) as failure:
        check(wrong)
    hint = str(failure.value).split("Hint:", 1)[1]
    assert "lesson 0" in hint, f"the generic hint should point to the lesson section:\n{failure.value}"
    shown = [code for code in SOLUTION_CODE + ["h - y", "(h - y) x"] if code in hint]
    assert not shown, f"the hint shows {shown}:\n{failure.value}"


def test_the_linear_hints_for_an_empty_function_show_no_formula():
    for check in (checks.check_linear_forward, checks.check_linear_backward):
        with pytest.raises(AssertionError) as failure:
            check(lambda *args: None)
        for code in ("@", ".T", "mean("):
            assert code not in str(failure.value), f"{check.__name__} shows {code!r}:\n{failure.value}"


def test_hints_name_only_the_mistake_that_was_made():
    with pytest.raises(AssertionError) as failure:
        checks.check_linear_backward(lambda dZ, X, W: (dZ @ W, X.T @ dZ, dZ.sum(axis=0)))
    assert "not a mean" not in str(failure.value) and "db" not in str(failure.value).split("Hint:")[1]


def test_a_failure_shows_the_largest_difference():
    dW_averaged = CASES[checks.check_linear_backward][1]["dW averaged"][0]
    with pytest.raises(AssertionError) as failure:
        checks.check_linear_backward(dW_averaged)
    line = next(line for line in str(failure.value).splitlines() if "largest absolute difference" in line)
    assert float(line.split(":")[1]) > 1e-6


def test_nan_is_not_accepted():
    with pytest.raises(AssertionError):
        checks.check_linear_forward(lambda X, W, b: np.full((len(X), len(W)), np.nan))


# Right answers in another form are accepted ------------------------------------------------------------------------


@pytest.mark.parametrize(("check", "right"), [
    (checks.check_linear_backward, lambda dZ, X, W: [dZ @ W, dZ.T @ X, dZ.sum(axis=0)]),
    (checks.check_steps_per_epoch, lambda n, b, d: np.int64(steps_right(n, b, d))),
    (checks.check_steps_per_epoch, lambda n, b, d: int(np.floor(n / b) if d else np.ceil(n / b))),
    (checks.check_distinct_fraction, lambda batches, n: np.float32(len(set(np.concatenate(batches).tolist())) / n)),
], ids=lambda v: v.__name__ if inspect.isfunction(v) and v.__name__.startswith("check") else "")
def test_a_right_answer_in_another_form_is_accepted(check, right):
    assert check(right) is None


def test_a_right_count_as_a_float_gets_a_hint_about_the_type():
    with pytest.raises(AssertionError) as failure:
        checks.check_steps_per_epoch(lambda n, b, d: np.floor(n / b) if d else np.ceil(n / b))
    message = str(failure.value)
    assert "return an int" in message and "n / b is a float" not in message, message


# Cases that used to let wrong answers through -----------------------------------------------------------------------


# The instructor solutions pass every check -------------------------------------------------------------------------


INSTRUCTOR_NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "homework" / "instructor").glob("*.ipynb"))


@pytest.mark.parametrize("path", INSTRUCTOR_NOTEBOOKS, ids=lambda p: p.name)
def test_instructor_solutions_pass_their_checks(path, capsys, tmp_path, monkeypatch):
    """Every check of a solved homework passes when its cells run as plain Python (a ``%%writefile name`` cell, which
    homework 08 uses for its worker module, writes its file to a temporary folder on the import path)."""
    if conftest.missing_requirement(path):
        pytest.skip(conftest.missing_requirement(path))
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict = {}
    results, written = [], []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        code = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        if code.startswith("%%writefile "):
            first, _, body = code.partition("\n")
            target = tmp_path / first.split()[1]
            target.write_text(body, encoding="utf-8")
            written.append(target.stem)
        elif code.strip().startswith("check_"):
            capsys.readouterr()
            results.append((eval(code, namespace), capsys.readouterr().out))  # noqa: S307 - our own notebooks
        elif code:
            exec(code, namespace)  # noqa: S102
    for module in written:  # a later test must import its own version
        sys.modules.pop(module, None)
    assert results and results == [(None, checks.PASSED + "\n")] * len(results)
