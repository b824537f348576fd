"""Lesson 08's homework, part 3: the check of the student's worker, ``worker(communicator, x, unbiased)``, run on 1
worker, on 2 and 3 simulated workers (threads) and on 2 real processes (torch), where every rank must return the
global batch's mean and variance. A missing worker file, a worker that raised, and ranks that wait for each other in
vain fail with a message that says which.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from ..distributed import SimulatedGroup, TorchMissingError, WorkerError, WorkerTimeoutError, launch, run_simulated
from ..distributed._torch import INSTALL_HINT
from ._core import CheckFailed, Mistake, _compare, _fail, _own_work, _parts, _passed
from .data_parallel import OFFSET, SECTION, WORKER_BLOCKED

__all__ = ["check_worker"]  # what batchkit.checks exports

#: Seconds the worker check waits for the simulated workers and for the real processes (start-up included).
SIMULATED_TIMEOUT, PROCESS_TIMEOUT = 30.0, 120.0


def _import_worker(reference: str) -> Callable:
    """The worker named ``"module:function"``, re-read from its file (the notebook may have rewritten it)."""
    module_name, _, name = reference.partition(":")
    try:
        module = importlib.reload(importlib.import_module(module_name))
    except ModuleNotFoundError as error:
        if error.name != module_name:  # the file exists but imports something that is not installed
            raise CheckFailed(f"Your worker file {module_name}.py imports {error.name!r}, which is not installed: "
                              "import only numpy there (the worker gets everything else as arguments).") from None
        raise CheckFailed(f"There is no worker file {module_name}.py next to this notebook (No module named "
                          f"{module_name!r}). Run the %%writefile cell above first: it saves the worker as that "
                          "file. Then run this check again.") from None
    if not callable(getattr(module, name, None)):
        raise CheckFailed(f"{module.__file__} defines no function {name}: write it in the %%writefile cell")
    return getattr(module, name)


def masked_worker(communicator, *, reference: str, x: np.ndarray, unbiased: bool):
    """Run the student's worker ``reference`` on ``x`` with every row that is not this rank's set to NaN.

    Why: a worker that reads the other ranks' rows (``x.mean(axis=0)``) instead of all-reducing its own sums would
    otherwise pass; with the other rows NaN it returns NaN. A rank's rows are ``np.array_split``'s, as the
    exercise says. Module-level, so that real processes can import it.
    """
    rows = np.array_split(np.arange(len(x)), communicator.world_size)[communicator.rank]
    masked = np.full_like(x, np.nan)
    masked[rows] = x[rows]
    return _import_worker(reference)(communicator, masked, unbiased)


def _rank0_mistakes(x: np.ndarray, workers: int, unbiased: bool) -> list[Mistake]:
    """Rank 0's own mean (first) and variance: what a worker returns that never all-reduces."""
    local = np.array_split(x, workers)[0]
    return [(local.mean(axis=0), "that is rank 0's own mean: all-reduce the sums and the counts"),
            (local.var(axis=0, ddof=int(unbiased)), "that is rank 0's own variance: it needs every rank's rows, "
                                                    "through all-reduced sums")]


def _compare_ranks(case: str, x: np.ndarray, unbiased: bool, results: list, mistakes: list[Mistake],
                   tolerance: float = 1e-8) -> None:
    """Every rank's (mean, var) against the whole batch's. 1e-8: combining the ranks' means and variances (one
    round) is accurate to about 4e-10 on this data, two rounds closer still; the one-pass formula is off by more
    than 1e-3."""
    expected = (x.mean(axis=0), x.var(axis=0, ddof=int(unbiased)))
    for rank, result in enumerate(results):  # a loop over the few ranks
        mean, var = _parts(result, "mean, var", f"{case}, rank {rank}")
        if "1 worker" not in case and np.isnan(np.asarray(mean, dtype=float)).any():
            _fail(f"Rank {rank}'s mean", case, expected[0], mean, "it is NaN: here every rank's x holds NaN outside "
                  "its own rows, so your worker read rows of other ranks. Take only np.array_split(x, world_size)"
                  "[rank] and all-reduce the sums")
        _compare(f"Rank {rank}'s mean", case, expected[0], mean, "every rank returns the global batch's mean, "
                 f"shape (D,); {SECTION}", mistakes[:1], tolerance=tolerance)
        _compare(f"Rank {rank}'s variance", case, expected[1], var, "every rank returns the global batch's "
                 f"variance, shape (D,), biased or unbiased as asked, from all-reduced sums and counts. Far from 0, "
                 "a sum of squares minus the squared mean keeps no digit: sum squared deviations from the global "
                 f"mean, or combine the ranks' means and variances as in exercise 2b; {SECTION}", mistakes[1:],
                 tolerance=tolerance)


SAME_CALLS = ("every rank must make the same all_reduce_sum calls, with arrays of the same shape, in the same order "
              "(no call that only some ranks make, such as one inside `if communicator.rank == 0:`)")


def _stalled(case: str, timeout: float) -> CheckFailed:
    return CheckFailed(f"{case}: your worker did not finish within {timeout:g} s. Most likely a rank is waiting in "
                       f"an all-reduce that the other ranks never reach: {SAME_CALLS}. Or a loop never ends.")


def _waited_in_vain(error: WorkerError) -> bool:
    """Whether a worker failed while waiting for the others: a broken simulated barrier or a gloo timeout."""
    signs = ("BrokenBarrierError", "Timed out", "timed out", "Timeout", "Connection closed by peer")
    return any(sign in error.traceback for sign in signs)


def _workers(case: str, timeout: float, run: Callable[[], list]) -> list:
    """``run()``, the ranks' results; a worker that raised, or ranks that waited for each other in vain, fail."""
    try:
        return run()
    except WorkerTimeoutError:
        raise _stalled(case, timeout) from None
    except WorkerError as error:
        if _waited_in_vain(error):
            raise _stalled(case, timeout) from None
        if "arrays of different shapes" in error.traceback:
            raise CheckFailed(f"{case}: the ranks passed arrays of different shapes to one all-reduce, so their "
                              f"calls do not pair up: {SAME_CALLS}.") from None
        raise CheckFailed(f"{case}: a worker raised.\n{error.traceback}") from None


def check_worker(reference: str) -> None:
    """The worker ``"module:function"``, ``worker(communicator, x, unbiased) -> (mean, var)``: run on 1 worker,
    on 2 and 3 simulated workers, then on 2 real processes (needs torch); every rank must return the global
    batch's statistics to 1e-8. A missing file or workers that wait for each other in vain fail with a hint."""
    worker = _import_worker(reference)
    rng = np.random.default_rng(804)
    x = rng.normal(OFFSET, 2.0, (7, 3))
    # Both kinds of variance are asked for: 1 and 3 workers the biased one, 2 workers (threads, processes) unbiased.
    unbiased_for = {1: False, 2: True, 3: False}
    with _own_work(worker, WORKER_BLOCKED):  # one worker, in this thread: its errors show as they are
        alone = worker(SimulatedGroup(1).communicators()[0], x.copy(), unbiased_for[1])
    _compare_ranks("1 worker, unbiased=False", x, False, [alone], _rank0_mistakes(x, 1, False))
    simulated = {}
    for k in (2, 3):
        unbiased = unbiased_for[k]
        case = f"{k} simulated workers, x of shape {x.shape} around {OFFSET:.3g}, unbiased={unbiased}"
        with _own_work(worker, WORKER_BLOCKED):
            simulated[k] = _workers(case, SIMULATED_TIMEOUT, lambda: run_simulated(
                masked_worker, k, args={"reference": reference, "x": x, "unbiased": unbiased},
                timeout=SIMULATED_TIMEOUT))
        _compare_ranks(case, x, unbiased, simulated[k], _rank0_mistakes(x, k, unbiased))
    unbiased = unbiased_for[2]
    try:
        launched = _workers("2 processes", PROCESS_TIMEOUT, lambda: launch(
            "batchkit.checks.worker:masked_worker", 2, args={"reference": reference, "x": x,
                                                                  "unbiased": unbiased}, timeout=PROCESS_TIMEOUT))
    except TorchMissingError:
        raise TorchMissingError(f"your worker passed on simulated workers; the run on real processes needs torch, "
                                f"which is not installed: {INSTALL_HINT}") from None
    _compare_ranks("2 processes, unbiased=True", x, unbiased, launched, _rank0_mistakes(x, 2, unbiased))
    for rank, (got, want) in enumerate(zip(launched, simulated[2])):
        _compare(f"Rank {rank}'s variance", "2 processes against 2 simulated workers", np.asarray(want[1]), got[1],
                 "processes and simulated workers add the same numbers: the results should agree", tolerance=1e-10)
    _passed()
