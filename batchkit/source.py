"""Show batchkit's own code in a notebook, so lessons display the real implementation instead of a copy."""

from __future__ import annotations

import inspect
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def source_of(obj: object) -> str:
    """The source code of a batchkit function or class, headed by its file and line numbers.

    The path is relative to the repository (``batchkit/counting.py``), never a machine path, so notebook outputs
    are the same on every computer. Print the result: ``print(source_of(batches_per_epoch))``.
    """
    lines, first = inspect.getsourcelines(obj)
    path = Path(inspect.getsourcefile(obj)).resolve()
    try:
        shown = path.relative_to(PACKAGE_ROOT).as_posix()
    except ValueError:  # not inside this repository: show the file name only
        shown = path.name
    return f"# {shown}, lines {first}-{first + len(lines) - 1}\n" + "".join(lines).rstrip("\n")
