"""Give the instructors' homework notebooks the cell metadata that nbgrader needs to use them as source notebooks.

nbgrader reads a cell's role from its metadata, not from its text. From the cells' text this module derives:

* a code cell with ``### BEGIN SOLUTION`` markers: an answer cell (``solution``), graded by the check after it;
* a code cell that only calls one ``check_...(...)``: an autograded test cell, ``POINTS_PER_CHECK`` points, locked;
* a markdown cell with solution markers: a written answer, ``POINTS_PER_QUESTION`` points, graded by hand;
* every other cell: read-only (locked), so that students cannot change the task or the imports.

``tools/execute_notebooks.py`` applies it after executing an instructor notebook; ``tests/test_homework.py``
checks that the stored notebooks carry it. The constants are the points of a new cell; to change the points of a
cell, edit its ``metadata.nbgrader.points`` in the notebook: points already set are kept.
"""

from __future__ import annotations

import copy
import hashlib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.student_versions import SOLUTION, cell_text  # noqa: E402  (the same markers the student versions strip)

POINTS_PER_CHECK = 2
POINTS_PER_QUESTION = 2
SCHEMA_VERSION = 3  # nbgrader's cell metadata schema

CHECK_CALL = re.compile(r"^check_\w+\((\w+)\)\s*$")
DEFINITION = re.compile(r"^def (\w+)\(", re.MULTILINE)


def role(cell: dict) -> str:
    """``"answer"``, ``"check"``, ``"question"`` or ``"read-only"``."""
    text = cell_text(cell).strip()
    if SOLUTION.search(text):
        return "answer" if cell["cell_type"] == "code" else "question"
    if cell["cell_type"] == "code" and CHECK_CALL.match(text):
        return "check"
    return "read-only"


def cell_metadata(cell: dict, points: float | None = None) -> dict:
    """nbgrader's metadata for one cell of an instructor notebook.

    Grade ids come from the cell itself (a function name, or the notebook's own cell id), not from its position:
    nbgrader matches cells by id, so inserting a cell must not rename the others, and editing a cell's text (a
    rubric, after the release) must not rename it either. A cell without an id (nbformat < 4.5) falls back to a hash
    of its text.
    """
    kind = role(cell)
    text = cell_text(cell).strip()
    digest = cell.get("id") or hashlib.sha1(text.encode()).hexdigest()[:8]
    if kind == "answer":
        names = DEFINITION.findall(text)
        return {"grade": False, "grade_id": f"answer-{names[0] if names else digest}", "locked": False,
                "schema_version": SCHEMA_VERSION, "solution": True, "task": False}
    if kind == "check":
        return {"grade": True, "grade_id": f"check-{CHECK_CALL.match(text).group(1)}", "locked": True,
                "points": POINTS_PER_CHECK if points is None else points, "schema_version": SCHEMA_VERSION,
                "solution": False,
                "task": False}
    if kind == "question":
        return {"grade": True, "grade_id": f"question-{digest}", "locked": False,
                "points": POINTS_PER_QUESTION if points is None else points, "schema_version": SCHEMA_VERSION,
                "solution": True, "task": False}
    return {"grade": False, "grade_id": f"read-only-{digest}", "locked": True, "schema_version": SCHEMA_VERSION,
            "solution": False, "task": False}


def with_metadata(notebook: dict) -> dict:
    """A copy of ``notebook`` (JSON dict) in which every cell carries nbgrader metadata; points already set are kept."""
    marked = copy.deepcopy(notebook)
    for cell in marked["cells"]:
        kept = cell.get("metadata", {}).get("nbgrader", {}).get("points")
        cell.setdefault("metadata", {})["nbgrader"] = cell_metadata(cell, kept)
    return marked
