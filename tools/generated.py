"""Files generated from other files: find the stale ones, rewrite them, or report them (``--check``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stale(expected: dict[Path, str]) -> list[Path]:
    """The files whose text differs from (or which do not exist unlike) what the generator would write."""
    return [path for path, text in expected.items() if not path.exists() or path.read_text(encoding="utf-8") != text]


def write_stale(expected: dict[Path, str]) -> list[Path]:
    """Write every stale file (creating folders), print and return what was written."""
    written = stale(expected)
    for path in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return written


def command_line(description: str, expected_files: Callable[[], dict[Path, str]], script: str) -> int:
    """``script`` rewrites stale files; ``script --check`` only names them and exits 1 if there are any."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    if parser.parse_args().check:
        found = stale(expected_files())
        for path in found:
            print(f"stale: {path.relative_to(ROOT)} (run: python {script})")
        return 1 if found else 0
    write_stale(expected_files())
    return 0
