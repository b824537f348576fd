"""Re-execute notebooks in place, top to bottom, each in a fresh kernel, with the environment of the tests.

Run this after any change to batchkit, then commit the notebooks: their stored outputs are what nbval compares.

Usage::

    python tools/execute_notebooks.py                      # every notebook in notebooks/
    python tools/execute_notebooks.py notebooks/01-*.ipynb  # some of them

The kernel environment comes from the repository's ``conftest.py`` (one BLAS thread, PYTHONHASHSEED=0, no
MPLBACKEND), the very settings pytest gives nbval's kernels, so stored and re-computed outputs agree.
Navigation cells are refreshed first (``tools/navigation.py``), and the students' homework versions are
regenerated last (``tools/student_versions.py``). Widget model ids are made stable (``tools/widget_ids.py``),
so re-executing an unchanged notebook leaves its widgets unchanged, and the instructors' homework notebooks get
nbgrader's cell metadata (``tools/nbgrader_metadata.py``). Without arguments it runs the lessons, the
contents and glossary pages, and the instructors' homework notebooks.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from conftest import apply_kernel_env  # noqa: E402
from tools import generated, navigation, nbgrader_metadata, student_versions, widget_ids  # noqa: E402

CELL_TIMEOUT_SECONDS = 600


def execute(path: Path) -> None:
    """Execute one notebook in a fresh python3 kernel, in its own folder, and save it with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_SECONDS,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # timestamps would change the file on every run
    )
    client.execute()
    stable = widget_ids.stabilize(json.loads(nbformat.writes(notebook)), path.stem)  # no churn from random ids
    if path.parent == student_versions.INSTRUCTOR:
        stable = nbgrader_metadata.with_metadata(stable)  # usable as nbgrader source notebooks
    nbformat.write(nbformat.from_dict(stable), path)


def main(argv: list[str]) -> int:
    apply_kernel_env(os.environ)
    generated.write_stale(navigation.expected_files())
    paths = [Path(p).resolve() for p in argv] or (sorted(navigation.NOTEBOOKS.glob("*.ipynb"))
                                                   + sorted((ROOT / "homework" / "instructor").glob("*.ipynb")))
    for path in paths:
        start = time.perf_counter()
        execute(path)
        print(f"executed {path.relative_to(ROOT)} in {time.perf_counter() - start:.1f} s")
    generated.write_stale(student_versions.expected_files())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
