"""Homework: instructor notebooks are complete, student versions are fresh, leak nothing, and fail only where asked."""

from __future__ import annotations

import copy
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.notebook_files import ROOT, code_cells, load, source
from tools import nbgrader_metadata, student_versions

INSTRUCTOR = sorted((ROOT / "homework" / "instructor").glob("*.ipynb"))
IDS = [path.name for path in INSTRUCTOR]


def test_there_is_homework():
    assert len(INSTRUCTOR) >= 2


def test_student_versions_are_fresh():
    stale = student_versions.stale_files()
    assert not stale, f"stale: {[p.name for p in stale]}; run python tools/student_versions.py"


@pytest.mark.parametrize("path", INSTRUCTOR, ids=IDS)
def test_instructor_notebook_is_executed_and_every_check_passes(path):
    notebook = load(path)
    counts = [cell["execution_count"] for cell in code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run python tools/execute_notebooks.py"
    title = source(notebook["cells"][0]).splitlines()[0]
    assert title.startswith("# ") and re.search(r"[\uac00-\ud7a3]", title)
    checks = [cell for cell in code_cells(notebook) if "check_" in source(cell) and "import" not in source(cell)]
    assert 3 <= len(checks) <= 8, f"{path.name}: {len(checks)} checked exercises, expected 3 to 8"
    for cell in checks:
        # printed, not returned: a cell's value would be read by nbgrader as a score ("cannot be converted to a float")
        shown = [(o["output_type"], "".join(o.get("text", ""))) for o in cell["outputs"]]
        assert shown == [("stream", "All checks passed.\n")], f"{path.name}: {source(cell)!r} shows {shown}"
    questions = [cell for cell in notebook["cells"] if cell["cell_type"] == "markdown" and "### BEGIN SOLUTION" in source(cell)]
    assert questions, f"{path.name}: no written question"


@pytest.mark.parametrize("path", INSTRUCTOR, ids=IDS)
def test_markers_are_paired(path):
    for cell in load(path)["cells"]:
        text = source(cell)
        assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION")


@pytest.mark.parametrize("path", INSTRUCTOR, ids=IDS)
def test_student_version_contains_no_solution_line(path):
    student = (student_versions.STUDENT / path.name).read_text(encoding="utf-8")
    student_text = "\n".join(source(cell) for cell in json.loads(student)["cells"])
    for cell in load(path)["cells"]:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source(cell), re.DOTALL):
            for line in region.splitlines():
                if len(line.strip()) > 3:
                    assert line.strip() not in student_text, f"{path.name}: solution line in the student version: {line!r}"
    assert "### BEGIN SOLUTION" not in student_text and "YOUR CODE HERE" in student_text


@pytest.mark.parametrize("path", INSTRUCTOR, ids=IDS)
def test_student_version_fails_only_in_exercises_with_not_implemented(path):
    notebook = nbformat.read(student_versions.STUDENT / path.name, as_version=4)
    NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=120,
                   resources={"metadata": {"path": str(ROOT / "notebooks" / "homework")}}).execute()
    failed = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            failed += 1
            assert "exercise" in cell.metadata.get("tags", []), f"{path.name}: an error outside an exercise:\n{cell.source}"
            assert [e.ename for e in errors] == ["NotImplementedError"], f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    # Defining an unfinished function raises nothing; calling it in its check cell does.
    check_cells = sum(c.cell_type == "code" and "check_" in c.source and "import" not in c.source for c in notebook.cells)
    assert failed == check_cells, f"{path.name}: {failed} cells failed, expected each of the {check_cells} check cells"


@pytest.mark.parametrize("path", INSTRUCTOR, ids=lambda p: p.name)
def test_instructor_notebook_carries_nbgrader_metadata(path):
    """nbgrader reads cell roles from metadata: every answer is graded by the locked check after it."""
    notebook = load(path)
    assert nbgrader_metadata.with_metadata(notebook) == notebook, (
        f"{path.name}: nbgrader metadata missing or stale; re-execute it with tools/execute_notebooks.py"
    )
    cells = [cell["metadata"]["nbgrader"] for cell in notebook["cells"]]
    ids = [cell["grade_id"] for cell in cells]
    assert len(ids) == len(set(ids)), f"{path.name}: grade ids repeat"
    for here, after in zip(cells, cells[1:]):
        if here["solution"] and not here["grade"]:  # an answer cell (code)
            assert after["grade"] and after["locked"] and not after["solution"], (
                f"{path.name}: {here['grade_id']} is not followed by a locked, graded check cell"
            )
    assert all(cell["points"] >= 0 for cell in cells if cell["grade"])
    written = [cell for cell in cells if cell["grade"] and cell["solution"]]
    assert written, "at least one written question, graded by hand"
    assert all(cell["points"] > 0 for cell in written), "a written answer is worth points"


def test_nbgrader_ids_do_not_depend_on_cell_positions():
    notebook = load(INSTRUCTOR[0])
    ids = [cell["metadata"]["nbgrader"]["grade_id"] for cell in notebook["cells"]]
    shifted = {**notebook, "cells": [{"cell_type": "markdown", "metadata": {}, "source": "A new note."}]
               + notebook["cells"]}
    new_ids = [cell["metadata"]["nbgrader"]["grade_id"] for cell in nbgrader_metadata.with_metadata(shifted)["cells"]]
    assert new_ids[1:] == ids


def test_nbgrader_ids_survive_an_edited_text():
    """A rubric or an instruction fixed after the release must keep its grade id, or nbgrader cannot match the
    students' submitted cells with it."""
    notebook = load(INSTRUCTOR[0])
    ids = [cell["metadata"]["nbgrader"]["grade_id"] for cell in notebook["cells"]]
    edited = copy.deepcopy(notebook)
    for cell in edited["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = "".join(cell["source"]) + "\nOne more sentence."
    assert [cell["metadata"]["nbgrader"]["grade_id"]
            for cell in nbgrader_metadata.with_metadata(edited)["cells"]] == ids


def test_nbgrader_points_set_by_hand_are_kept_even_zero():
    check = {"cell_type": "code", "metadata": {"nbgrader": {"points": 0}}, "source": "check_total_steps(total_steps)"}
    assert nbgrader_metadata.with_metadata({"cells": [check]})["cells"][0]["metadata"]["nbgrader"]["points"] == 0
