"""Print a command block of README.md, so that `.ci/run` runs exactly what the README tells a new user.

Usage: ``python tools/readme_commands.py setup`` or ``... test``. The README marks each block with an HTML comment
(``<!-- command:setup -->``) on the line before its fenced code block. For ``setup`` the final
``&& jupyter lab notebooks/`` is dropped, since CI must not start a server.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START_LAB = " && jupyter lab notebooks/"


def readme_block(name: str, text: str | None = None) -> str:
    """The body of the fenced code block right after ``<!-- command:NAME -->`` (or ``<!-- NAME -->``)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    match = re.search(rf"<!-- (?:command:)?{re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.DOTALL)
    if match is None:
        raise SystemExit(f"README.md has no block marked <!-- command:{name} -->")
    return match.group(1).strip()


def ci_command(name: str) -> str:
    command = readme_block(f"command:{name}")
    if name == "setup":
        if not command.endswith(START_LAB):
            raise SystemExit(f"the README's set-up command should end with '{START_LAB.strip()}'")
        command = command[: -len(START_LAB)]
    return command


if __name__ == "__main__":
    print(ci_command(sys.argv[1]))
