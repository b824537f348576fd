"""The README, pyproject.toml, environment.yml and .ci/run agree with each other."""

from __future__ import annotations

import re
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

from tests.notebook_files import ROOT
from tools.readme_commands import ci_command, readme_block

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")


def parse(requirement: str) -> tuple[str, str]:
    name, spec = REQUIREMENT.match(requirement.strip()).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = PYPROJECT["project"]
    requirements = [parse(r) for r in project["dependencies"]]
    for group, items in project["optional-dependencies"].items():
        requirements += [parse(r) for r in items if not r.startswith(project["name"])]
    return dict(requirements)


CONDA_NAMES = {"pytorch": "torch"}  # conda-forge's name -> the PyPI name


def environment_requirements() -> dict[str, str]:
    """The conda packages of environment.yml (a plain list, read without a YAML library)."""
    found, section = {}, None
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        if re.match(r"^[a-z]", line):
            section = line.split(":")[0]
        match = re.match(r"^  - ([A-Za-z][^\s#:]*)\s*$", line)
        if match and section == "dependencies":
            name, spec = parse(match.group(1))
            if name not in ("python", "pip"):
                found[CONDA_NAMES.get(name, name)] = spec
    return found


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert environment_requirements() == pyproject_requirements()


def test_only_lower_bounds():
    for name, spec in pyproject_requirements().items():
        assert spec.startswith(">=") and "," not in spec and "<" not in spec[2:], f"{name}{spec}: use a lower bound only"


def test_python_versions_agree():
    assert PYPROJECT["project"]["requires-python"] == ">=3.10"
    assert "  - python>=3.10" in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()


def test_the_extras_are_as_documented():
    extras = PYPROJECT["project"]["optional-dependencies"]
    names = {group: {parse(r)[0] for r in items} for group, items in extras.items()}
    assert names["notebooks"] == {"jupyterlab", "ipywidgets", "ipykernel", "scikit-learn"}
    assert names["test"] == {"pytest", "nbval", "hypothesis", "pytest-xdist"}
    assert extras["dev"] == ["batchkit-lessons[notebooks,test]"]
    assert parse(next(r for r in extras["notebooks"] if r.startswith("ipywidgets")))[1] == ">=8.0"


def test_distribution_name_differs_from_the_unrelated_pypi_batchkit():
    assert PYPROJECT["project"]["name"] != "batchkit"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Do not `pip install batchkit`" in readme
    assert PYPROJECT["project"]["name"] in readme


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "tools/readme_commands.py setup" in ci and "tools/readme_commands.py test" in ci
    assert ci_command("setup") == 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]"'
    assert ci_command("test") == "pytest"


def test_readme_example_prints_what_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code, expected = readme_block("example", readme), readme_block("example-output", readme)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == expected
