"""The README's nbgrader round trip works: an untouched release scores 0 autograded points, the solved notebook all.

In a throw-away course directory this test does what the README's "For instructors" section tells an instructor to
do with homework 02 (the fastest to run): put the instructor notebook in ``source/hw02/``, ``nbgrader
generate_assignment``, collect two submissions under ``submitted/<student>/hw02/`` (the untouched release and the
solved instructor notebook), ``nbgrader autograde``, and read every cell's score from the gradebook. The expected
points are read from the notebook's nbgrader metadata, so changing a cell's points does not break the test.

nbgrader is not a dependency of the project: without it the test skips (``.ci/run`` installs it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import apply_kernel_env
from tests.notebook_files import ROOT

pytestmark = pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None,
                                reason="nbgrader is not installed: pip install nbgrader to run the round trip")

HOMEWORK = ROOT / "homework" / "instructor" / "02-homework-linear-layer.ipynb"
ASSIGNMENT = "hw02"
COMMAND_TIMEOUT = 180  # s per nbgrader command; measured 3 s (generate_assignment), 6 s (autograde, two students)
NOT_A_FLOAT = "cannot be converted to a float"  # nbgrader's warning when a check cell displays a non-number


def autograded_points(notebook_path: Path) -> dict[str, float]:
    """``{grade_id: points}`` of the autograded cells: graded, and not an answer a person grades by hand."""
    cells = json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]
    marks = [cell["metadata"]["nbgrader"] for cell in cells]
    return {mark["grade_id"]: mark["points"] for mark in marks if mark["grade"] and not mark["solution"]}


def hand_graded_ids(notebook_path: Path) -> set[str]:
    """Grade ids of the written answers, graded by hand."""
    cells = json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]
    marks = [cell["metadata"]["nbgrader"] for cell in cells]
    return {mark["grade_id"] for mark in marks if mark["grade"] and mark["solution"]}


def nbgrader(course: Path, *args: str) -> str:
    """Run ``python -m nbgrader ARGS`` in ``course`` with the notebook kernels' environment; its output (both
    streams). It runs in its own process group, so that whatever it leaves behind (a kernel) is killed after it."""
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(course / ".jupyter-config"),  # no user nbgrader_config.py
               JUPYTER_RUNTIME_DIR=str(course / ".jupyter-runtime"))  # kernel connection files stay in tmp_path
    apply_kernel_env(env)
    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        output = f"(timed out after {COMMAND_TIMEOUT} s)"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # only this command's group: its kernels, if any are left
        except ProcessLookupError:
            pass  # the group is empty: nothing was left behind
        process.wait()
    assert process.returncode == 0, f"nbgrader {' '.join(args)} failed ({process.returncode}):\n{output[-3000:]}"
    return output


def scores(course: Path, student: str) -> dict[str, tuple[float, bool]]:
    """``{grade_id: (score, needs grading by hand)}`` of a student's autograded submission, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebooks = gradebook.find_submission(ASSIGNMENT, student).notebooks
        return {grade.name: (grade.score, grade.needs_manual_grade) for notebook in notebooks
                for grade in notebook.grades}


@pytest.fixture(scope="module")
def autograded(tmp_path_factory) -> tuple[Path, str]:
    """A course directory after generate_assignment and autograde of two submissions; autograde's output."""
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "batchkit"\n',
                                               encoding="utf-8")
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(HOMEWORK, course / "source" / ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / HOMEWORK.name
    for student, notebook in {"untouched": released, "solved": HOMEWORK}.items():
        (course / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
        shutil.copy(notebook, course / "submitted" / student / ASSIGNMENT / HOMEWORK.name)
    return course, nbgrader(course, "autograde", ASSIGNMENT)


def test_the_homework_has_autograded_and_hand_graded_cells():
    assert len(autograded_points(HOMEWORK)) >= 3 and sum(autograded_points(HOMEWORK).values()) > 0
    assert len(hand_graded_ids(HOMEWORK)) >= 1


def test_an_untouched_release_scores_no_autograded_points(autograded):
    course, _ = autograded
    got = scores(course, "untouched")
    assert set(got) == set(autograded_points(HOMEWORK)) | hand_graded_ids(HOMEWORK)
    assert {name: got[name][0] for name in autograded_points(HOMEWORK)} == dict.fromkeys(autograded_points(HOMEWORK), 0)


def test_the_solved_notebook_scores_every_autograded_point(autograded):
    course, _ = autograded
    got = scores(course, "solved")
    expected = autograded_points(HOMEWORK)
    assert {name: got[name][0] for name in expected} == expected
    assert sum(got[name][0] for name in expected) == sum(expected.values())
    for name in hand_graded_ids(HOMEWORK):  # the written answer waits for a person: 0 points until then
        assert got[name] == (0, True), f"{name}: {got[name]}"


def test_autograde_reads_no_check_output_as_a_score(autograded):
    """A check that displays a value (rather than printing) makes nbgrader warn that it cannot read it as a score."""
    _, output = autograded
    words = " ".join(output.split())  # nbgrader wraps the warning over several indented lines
    warnings = [part.rsplit("WARNING]", 1)[-1].strip() for part in words.split(NOT_A_FLOAT)[:-1]]
    assert not warnings, f"a check cell displays a value that nbgrader reads as a score: {warnings}"
