"""Every notebook is stored executed, clean and navigable (nbval then compares its outputs)."""

from __future__ import annotations

import json
import re

import pytest

from tests.notebook_files import NOTEBOOKS, code_cells, load, source
from tools import navigation, widget_ids

IDS = [path.name for path in NOTEBOOKS]
MACHINE_PATH = re.compile(r"(/root/|/home/|/work/|/Users/|/tmp/|[A-Za-z]:\\\\|site-packages)")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executed_top_to_bottom(path):
    counts = [cell["execution_count"] for cell in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; run python tools/execute_notebooks.py {path.relative_to(path.parents[1])}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_errors_warnings_or_machine_paths(path):
    for number, cell in enumerate(code_cells(load(path)), start=1):
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{path.name}, code cell {number}: error output"
            assert output.get("name") != "stderr", f"{path.name}, code cell {number}: stderr output (a warning?)"
            text = json.dumps({k: v for k, v in output.get("data", {}).items() if not k.startswith("image/")})
            text += json.dumps(output.get("text", ""))
            found = MACHINE_PATH.search(text)
            assert found is None, f"{path.name}, code cell {number}: output holds a machine path ({found.group()})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_kernelspec_is_python3(path):
    assert load(path)["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_opens_with_a_title_that_gives_the_korean_term(path):
    first = load(path)["cells"][0]
    title = source(first).splitlines()[0]
    assert first["cell_type"] == "markdown" and title.startswith("# "), f"{path.name}: first cell is not a # title"
    assert HANGUL.search(title), f"{path.name}: the title {title!r} gives no Korean term"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_nbval_markers_are_cell_tags_not_comments_in_the_code(path):
    """Students read the code: nbval markers live in cell tags (JupyterLab's property inspector), never in comments.
    Only output comparison may be switched off (timings, machine-dependent numbers, Output widgets); no cell is
    skipped."""
    for number, cell in enumerate(code_cells(load(path)), start=1):
        assert "NBVAL" not in source(cell).upper().replace("NBVAL-", ""), (
            f"{path.name}, code cell {number}: an nbval marker comment; tag the cell 'nbval-ignore-output' instead"
        )
        tags = set(cell.get("metadata", {}).get("tags", []))
        nbval_tags = {tag for tag in tags if tag.startswith("nbval")}
        assert nbval_tags <= {"nbval-ignore-output"}, f"{path.name}, code cell {number}: tags {sorted(nbval_tags)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_maintainer_text_in_lessons(path):
    """No sentence about tests, nbval or redraw latency: lessons speak to students."""
    for number, cell in enumerate(load(path)["cells"], start=1):
        text = source(cell).lower()
        # "latency" alone is lesson 08's network term (seconds per message); a widget's redraw latency is not for
        # students.
        for phrase in ("nbval", "the tests", "not compared", "redraw time", "update_seconds", "redraw latency",
                       "update latency", "widget latency", "ms per redraw"):
            assert phrase not in text, f"{path.name}, cell {number}: maintainer text ({phrase!r})"


def test_navigation_and_lesson_tables_are_fresh():
    stale = navigation.stale_files()
    assert not stale, f"stale: {[p.name for p in stale]}; run python tools/navigation.py"


def test_every_lesson_has_goals_summary_and_exercises():
    for path in navigation.lesson_paths():
        text = "\n".join(source(cell) for cell in load(path)["cells"] if cell["cell_type"] == "markdown")
        for heading in ("Learning goals", "## Summary", "## Exercises"):
            assert heading in text, f"{path.name}: no '{heading}'"
        assert load(path)["metadata"].get("batchkit", {}).get("summary"), f"{path.name}: no one-line summary"


def test_no_checkpoints_next_to_notebooks():
    assert not list((NOTEBOOKS[0].parent).rglob(".ipynb_checkpoints/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_widget_ids_are_stable(path):
    """tools/execute_notebooks.py renamed the widget models, so a re-execution does not rewrite them all."""
    notebook = load(path)
    assert widget_ids.stabilize(notebook, path.stem) == notebook, (
        f"{path.name}: widget model ids are random; re-execute it with tools/execute_notebooks.py"
    )
