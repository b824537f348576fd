"""torch, imported only when a distributed function needs it, with an install message when it is missing.

``import batchkit.distributed`` works without torch: the sharding, the simulated communicator and the synchronized
batch norm are plain numpy. Only what moves numbers between processes (``torch.distributed``) needs torch.
"""

from __future__ import annotations

import importlib.util
import sys

INSTALL_HINT = (
    'install the optional extra: pip install "batchkit-lessons[distributed]" (from a clone: pip install -e '
    '".[distributed]"). The CPU-only torch build is enough and much smaller than the default one: '
    "pip install torch --index-url https://download.pytorch.org/whl/cpu"
)


class TorchMissingError(ImportError):
    """torch (or its ``torch.distributed`` package) is needed and not installed; the message says how to install."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows what this returns instead of a traceback: in a notebook without torch, the first cell that
        # needs it shows how to install it, not a page of frames from inside batchkit.
        return [f"{type(self).__name__}: {self}"]


def require_torch(what: str, *, import_it: bool = True):
    """Return the ``torch`` module, or raise :class:`TorchMissingError` saying that ``what`` needs it.

    Parameters
    ----------
    what : str
        The function or class that needs torch, named in the message.
    import_it : bool
        False: only check that torch is installed, without importing it (returns None). The launcher does this:
        its worker processes import torch, the caller (a notebook kernel, say) need not spend the time and memory.
    """
    if not import_it:
        missing = "torch" in sys.modules and sys.modules["torch"] is None  # how the tests hide an installed torch
        if missing or importlib.util.find_spec("torch") is None:
            raise TorchMissingError(f"{what} needs torch.distributed, which is not installed: {INSTALL_HINT}")
        return None
    try:
        import torch
        import torch.distributed as dist
    except ImportError as error:  # also when sys.modules["torch"] is None (how the tests simulate its absence)
        raise TorchMissingError(f"{what} needs torch.distributed, which is not installed: {INSTALL_HINT}") from error
    if not dist.is_available():
        raise TorchMissingError(f"{what} needs torch.distributed, but this torch build has no distributed support: "
                                f"{INSTALL_HINT}")
    return torch
