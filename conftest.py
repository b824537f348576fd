"""Test-session set-up shared by the unit tests and nbval.

nbval's ``--nbval-current-env`` kernels inherit this process's environment, so fixing it here makes the notebook
kernels under test behave exactly like the ones that produced the stored outputs (``tools/execute_notebooks.py``
imports :data:`KERNEL_ENV` from here, so the two can never drift apart).
"""

from __future__ import annotations

import os

#: Environment for every notebook kernel: one BLAS thread (results reproducible to the last digit), a fixed hash
#: seed (set and dict order), and no MPLBACKEND (with Agg forced, inline figures vanish from the outputs).
KERNEL_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}
UNSET_IN_KERNEL = ("MPLBACKEND",)


def apply_kernel_env(environ: os._Environ | dict = os.environ) -> None:
    """Put :data:`KERNEL_ENV` into ``environ`` and remove :data:`UNSET_IN_KERNEL`."""
    environ.update(KERNEL_ENV)
    for name in UNSET_IN_KERNEL:
        environ.pop(name, None)


apply_kernel_env()


def missing_requirement(notebook_path) -> str | None:
    """Why a notebook cannot run here, or None: the modules its metadata ``batchkit.requires`` lists, if any is not
    installed (lesson 08 needs torch, an optional extra)."""
    import importlib.util
    import json
    from pathlib import Path

    metadata = json.loads(Path(notebook_path).read_text(encoding="utf-8")).get("metadata", {})
    missing = [name for name in metadata.get("batchkit", {}).get("requires", [])
               if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    from batchkit.distributed import INSTALL_HINT  # numpy only

    return f"{Path(notebook_path).name} needs {', '.join(missing)}, which is not installed: {INSTALL_HINT}"


def pytest_collection_modifyitems(config, items):
    """Skip, with the install command, nbval's cells of a notebook whose optional requirements are missing."""
    import pytest

    reasons: dict[str, str | None] = {}
    for item in items:
        path = str(item.fspath)
        if path.endswith(".ipynb"):
            if path not in reasons:
                reasons[path] = missing_requirement(path)
            if reasons[path]:
                item.add_marker(pytest.mark.skip(reason=reasons[path]))
