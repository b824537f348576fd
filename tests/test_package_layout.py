"""The package's layout: a map of modules to lessons, one concept per module, none too long to read."""

import pkgutil
from pathlib import Path

import batchkit

PACKAGE = Path(batchkit.__file__).parent
MAX_LINES = 320  # "no module over about 300 lines"


def public_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules([str(PACKAGE)]) if not info.name.startswith("_"))


def test_the_package_docstring_maps_every_module():
    missing = [name for name in public_modules() if f"batchkit.{name}`" not in batchkit.__doc__]
    assert not missing, f"batchkit/__init__.py's docstring does not say which lesson uses {missing}"


def test_every_module_opens_with_a_docstring():
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8").lstrip()
        assert text.startswith('"""') or path.name == "__init__.py" and not text, f"{path.name} has no docstring"


def test_no_module_is_too_long_to_read():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"
