"""Generate the students' homework notebooks from the instructors' ones.

Instructor notebooks (``homework/instructor/*.ipynb``) mark every solution with nbgrader's markers::

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

In the student version (``notebooks/homework/``, same file name) each marked region becomes
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` in code cells (indented like the markers), or
``YOUR ANSWER HERE`` in markdown cells; outputs and execution counts are removed. Instructors who use nbgrader can
take the instructor notebooks as they are.

Usage::

    python tools/student_versions.py          # write the student versions
    python tools/student_versions.py --check  # exit 1 when one is stale (what the tests do)
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools import generated  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
INSTRUCTOR = ROOT / "homework" / "instructor"
STUDENT = ROOT / "notebooks" / "homework"
SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*\n?", re.DOTALL | re.MULTILINE)


def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def strip_solutions(text: str, cell_type: str) -> str:
    """Replace every marked solution region of one cell's text."""
    def replacement(match: re.Match) -> str:
        indent = match.group(1)
        if cell_type == "code":
            return f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"
        return "YOUR ANSWER HERE\n"

    return SOLUTION.sub(replacement, text).rstrip("\n")


def student_version(notebook: dict) -> dict:
    """The student notebook: solutions replaced, outputs and execution counts cleared, widget state dropped."""
    student = copy.deepcopy(notebook)
    for cell in student["cells"]:
        text = strip_solutions(cell_text(cell), cell["cell_type"])
        cell["source"] = text.splitlines(keepends=True)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    student["metadata"].pop("widgets", None)
    return student


def to_text(notebook: dict) -> str:
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def expected_files() -> dict[Path, str]:
    return {STUDENT / path.name: to_text(student_version(json.loads(path.read_text(encoding="utf-8"))))
            for path in sorted(INSTRUCTOR.glob("*.ipynb"))}


def stale_files() -> list[Path]:
    return generated.stale(expected_files())


if __name__ == "__main__":
    sys.exit(generated.command_line(__doc__.splitlines()[0], expected_files, "tools/student_versions.py"))
