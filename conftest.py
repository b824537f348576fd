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
