"""Naming a worker function so that a fresh process can find it: ``"package.module:function"``.

A process started by the launcher or by torchrun imports the worker's module by name; it cannot see functions
defined in a notebook, in a script's ``__main__`` or inside another function. These checks say so before any
process starts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def worker_reference(worker: str | Callable) -> str:
    """``"module:qualname"`` of a worker given as that string or as a function defined at a module's top level."""
    if isinstance(worker, str):
        module, _, name = worker.partition(":")
        if not module or not name:
            raise ValueError(f"worker must be 'package.module:function', got {worker!r}")
        return worker
    module, name = getattr(worker, "__module__", None), getattr(worker, "__qualname__", "")
    if not callable(worker) or module is None:
        raise TypeError(f"worker must be a function or a 'package.module:function' string, got {worker!r}")
    if module == "__main__" or "<locals>" in name or "<lambda>" in name:
        where = "inside a function" if "<" in name else "in __main__ (a notebook or a script)"
        raise ValueError(f"worker {name} is defined {where}: worker processes start fresh and can only import "
                         f"functions from module files. Put it in a .py file next to the notebook, import it from "
                         f"there and pass it (or pass 'module:function')")
    return f"{module}:{name}"


def import_worker(reference: str) -> Callable:
    """The function named by ``"package.module:function"`` (nested names such as ``Class.method`` work too)."""
    module_name, _, name = worker_reference(reference).partition(":")
    target = importlib.import_module(module_name)
    for part in name.split("."):  # a loop over the parts of a dotted name
        target = getattr(target, part)
    return target
