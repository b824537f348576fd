"""Autograded checks for the homework notebooks: run a student's function on randomized cases against batchkit.

Every check takes the student's function, calls it on several random inputs (seeded, so a failure can be
reproduced; every argument the function takes is varied, and one it ignores is named), and compares with batchkit's
reference; then it prints "All checks passed." and returns None. While the student's function runs, the batchkit
functions the exercise asks for raise (the student writes them), the student's other exercise functions it calls are
replaced by references (a mistake fails only its own check), and an input it changed in place fails the check. On failure it raises ``AssertionError`` with a message that
says which input failed, what was expected and what came back (shapes first, then the largest difference), and a
hint. The hint names a mistake only when the answer matches that typical mistake; otherwise it says what the result
means, its shape, and which lesson section explains it. Messages are built from values only: they never show the
reference code, and never the formula the exercise asks for.

One module per lesson's homework; :mod:`batchkit.checks._core` builds and compares. Works in a notebook and in a
plain script: ``from batchkit.checks import check_linear_forward``.

Each module lists its checks in ``__all__``:

* lesson 01, :mod:`batchkit.checks.batches` and :mod:`batchkit.checks.minibatch_loader`
* lesson 02, :mod:`batchkit.checks.linear_layer`
* lesson 03, :mod:`batchkit.checks.conditioning` and :mod:`batchkit.checks.streaming` (their shared part:
  :mod:`batchkit.checks.centering`)
* lesson 04, :mod:`batchkit.checks.descent`
* lesson 05, :mod:`batchkit.checks.batchnorm` and :mod:`batchkit.checks.batchnorm_network`
* lesson 06, :mod:`batchkit.checks.batch_size`
* lesson 07, :mod:`batchkit.checks.normalization`
* lesson 08, :mod:`batchkit.checks.data_parallel` and :mod:`batchkit.checks.worker`
"""

from . import (batch_size, batches, batchnorm, batchnorm_network, conditioning, data_parallel, descent, linear_layer,
               minibatch_loader, normalization, streaming, worker)
from ._core import PASSED, CheckFailed
from .batch_size import *  # noqa: F403 - each module's __all__ names its checks
from .batches import *  # noqa: F403
from .batchnorm import *  # noqa: F403
from .batchnorm_network import *  # noqa: F403
from .conditioning import *  # noqa: F403
from .data_parallel import *  # noqa: F403
from .descent import *  # noqa: F403
from .linear_layer import *  # noqa: F403
from .minibatch_loader import *  # noqa: F403
from .normalization import *  # noqa: F403
from .streaming import *  # noqa: F403
from .worker import *  # noqa: F403

_MODULES = (batches, minibatch_loader, linear_layer, conditioning, streaming, descent, batchnorm, batchnorm_network,
            batch_size, normalization, data_parallel, worker)
__all__ = ["CheckFailed", "PASSED", *sorted(name for module in _MODULES for name in module.__all__)]
