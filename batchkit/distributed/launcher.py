"""Starting k workers and collecting what they return: as processes (:func:`launch`) or as threads
(:func:`run_simulated`), the same worker function either way.

:func:`launch` starts ``world_size`` fresh Python processes on this machine, each running
``python -m batchkit.distributed.run`` (the same entry point torchrun uses on a cluster) with torchrun's
environment: ``RANK``, ``WORLD_SIZE`` and ``MASTER_ADDR=127.0.0.1``, ``MASTER_PORT=<a free port>`` for the default
init method ``env://``. It returns the workers' return values in rank order, and it never leaves a process behind:

* a worker raises → the others are stopped (they would wait for it in their next all-reduce), and
  :class:`WorkerError` carries the worker's full traceback, so a notebook shows where it failed;
* the run takes longer than ``timeout`` → all are stopped and :class:`WorkerTimeoutError` says which ranks were
  still running. Inside the workers the same ``timeout`` bounds every collective, so even without the launcher (under
  torchrun) a rank waiting for a dead peer fails instead of hanging.

Each worker gets one BLAS thread (``OMP_NUM_THREADS=1``, as torchrun sets), so that k workers do not fight over the
cores. :func:`run_simulated` runs the workers as threads of this process with
:class:`~batchkit.distributed.communicator.SimulatedCommunicator`: no torch, no start-up cost, and the function
may even be defined in the notebook.
"""

from __future__ import annotations

import copy
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from .._validation import check_choice, check_positive_int, check_real
from ._names import import_worker, worker_reference
from ._torch import require_torch
from .communicator import SimulatedGroup

BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
BACKENDS = ("gloo", "nccl", "mpi", "ucc")  # torch.distributed's; on CPU processes, gloo


class WorkerError(RuntimeError):
    """A worker raised. ``rank`` is the first rank that failed, ``traceback`` its traceback text, ``pids`` the
    processes that were started (all ended by now; empty for threads)."""

    def __init__(self, message: str, *, rank: int, traceback: str, pids: list[int]) -> None:
        super().__init__(message)
        self.rank, self.traceback, self.pids = rank, traceback, pids


class WorkerTimeoutError(TimeoutError):
    """The workers ran longer than the timeout. ``running`` lists the ranks still running then; ``pids`` as above."""

    def __init__(self, message: str, *, running: list[int], pids: list[int]) -> None:
        super().__init__(message)
        self.running, self.pids = running, pids


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (the system picks it; it could in principle be taken before use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _check_launch(world_size, args, timeout) -> tuple[int, dict, float]:
    world_size = check_positive_int("world_size", world_size)
    timeout = check_real("timeout", timeout, low=0.0)
    args = {} if args is None else args
    if not isinstance(args, dict) or not all(isinstance(key, str) for key in args):
        raise TypeError(f"args must be a dict of keyword arguments for the worker, got {type(args).__name__}")
    return world_size, args, timeout


def launch(worker: str | Callable, world_size: int, *, args: dict | None = None, timeout: float = 120.0,
           backend: str = "gloo", init_method: str | None = None, blas_threads: int = 1) -> list:
    """Run ``worker(communicator, **args)`` in ``world_size`` processes on this machine; return their results.

    Parameters
    ----------
    worker : str or function
        ``"package.module:function"``, or a function defined at the top level of a module file (not in a notebook).
    world_size : int
        Number of processes, >= 1.
    args : dict, optional
        Keyword arguments of the worker, the same for every rank (pickled: numpy arrays are fine).
    timeout : float
        Seconds for the whole run, start-up included (importing torch takes a second or two per process).
    backend : str
        ``torch.distributed`` backend: "gloo" for CPU processes.
    init_method : str, optional
        How the processes find each other: None for ``env://`` on 127.0.0.1 and a free port, or e.g.
        ``"tcp://127.0.0.1:29500"``.
    blas_threads : int
        BLAS threads per process.

    Returns
    -------
    list
        The workers' return values, in rank order.

    Raises
    ------
    WorkerError, WorkerTimeoutError
        With no process left running.
    """
    reference = worker_reference(worker)
    world_size, args, timeout = _check_launch(world_size, args, timeout)
    blas_threads = check_positive_int("blas_threads", blas_threads)
    check_choice("backend", backend, BACKENDS)
    if init_method is not None and not isinstance(init_method, str):
        raise TypeError(f"init_method must be None (env://) or a string such as 'tcp://127.0.0.1:29500', "
                        f"got {init_method!r}")
    require_torch("launch", import_it=False)  # the workers import it; this process need not
    import_worker(reference)  # fail here, in the caller, if the worker cannot be imported
    with tempfile.TemporaryDirectory(prefix="batchkit-launch-") as folder:
        run_dir = Path(folder)
        (run_dir / "kwargs.pkl").write_bytes(pickle.dumps(args))
        command = [sys.executable, "-m", "batchkit.distributed.run", reference, "--run-dir", str(run_dir),
                   "--backend", backend, "--timeout", str(timeout)] + (["--init-method", init_method] if init_method
                                                                       else [])
        processes, logs, stopped, port = [], [], [], free_port()
        try:
            for rank in range(world_size):  # a loop over the k processes
                logs.append(open(run_dir / f"log-{rank}.txt", "wb"))
                processes.append(subprocess.Popen(command, env=_environment(rank, world_size, port, blas_threads),
                                                  stdout=logs[-1], stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                  start_new_session=True))  # Ctrl-C reaches the launcher only
            outcome = _wait(processes, time.monotonic() + timeout)
            running = [rank for rank, process in enumerate(processes) if process.poll() is None]
        finally:
            stopped = _stop(processes)
            for log in logs:
                log.close()
        pids = [process.pid for process in processes]
        if outcome == "timeout":
            raise WorkerTimeoutError(f"{reference} with {world_size} workers did not finish within {timeout:g} s; "
                                     f"ranks {running} were still running and have been stopped", running=running,
                                     pids=pids)
        _raise_first_error(run_dir, reference, processes, stopped)
        return [pickle.loads((run_dir / f"result-{rank}.pkl").read_bytes()) for rank in range(world_size)]


def _environment(rank: int, world_size: int, port: int, blas_threads: int) -> dict[str, str]:
    """torchrun's variables, one BLAS thread, and this process's import path (so the worker's module is found)."""
    env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank),
               LOCAL_WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    env.update({name: str(blas_threads) for name in BLAS_VARIABLES})
    paths = [path or os.getcwd() for path in sys.path] + [env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    return env


def _wait(processes: list[subprocess.Popen], deadline: float) -> str:
    """Poll until every process has ended ("done"), one has failed ("failed") or the deadline passed ("timeout")."""
    while True:
        codes = [process.poll() for process in processes]
        if all(code is not None for code in codes):
            return "done"
        if any(code not in (None, 0) for code in codes):
            return "failed"
        if time.monotonic() > deadline:
            return "timeout"
        time.sleep(0.02)


def _stop(processes: list[subprocess.Popen]) -> list[int]:
    """End every process still running (SIGTERM, then SIGKILL after a second), reap them all; return the ranks
    that had to be stopped."""
    stopped = [rank for rank, process in enumerate(processes) if process.poll() is None]
    for rank in stopped:
        processes[rank].terminate()
    for process in processes:
        try:
            process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return stopped


def _raise_first_error(run_dir: Path, reference: str, processes: list[subprocess.Popen], stopped: list[int]) -> None:
    """Raise :class:`WorkerError` for the rank that failed first: the others usually failed because it did.

    A rank that raised leaves an error record with its traceback and the time. A rank that ended with an error and
    no record crashed (a fault in C code, the out-of-memory killer, ``os._exit``): that is the cause, and the
    end of its output is shown. Otherwise the earliest record is the cause.
    """
    world_size, pids = len(processes), [process.pid for process in processes]
    errors = sorted((pickle.loads(path.read_bytes()) for path in run_dir.glob("error-*.pkl")),
                    key=lambda error: error["time"])
    recorded = [error["rank"] for error in errors]
    crashed = [rank for rank, process in enumerate(processes) if rank not in stopped and rank not in recorded
               and (process.returncode != 0 or not (run_dir / f"result-{rank}.pkl").exists())]
    if crashed:
        rank = crashed[0]
        log = (run_dir / f"log-{rank}.txt").read_text(errors="replace").splitlines()[-40:]
        note = f"\n(ranks {recorded} failed after it)" if recorded else ""
        raise WorkerError(f"worker rank {rank} of {world_size} ({reference}) exited with status "
                          f"{processes[rank].returncode} without a result; the end of its output:\n" + "\n".join(log)
                          + note, rank=rank, traceback="\n".join(log), pids=pids)
    if errors:
        first, others = errors[0], recorded[1:]
        note = f"\n(ranks {others} failed after it, most likely because rank {first['rank']} stopped)" if others else ""
        raise WorkerError(f"worker rank {first['rank']} of {world_size} ({reference}) raised "
                          f"{first['summary']}\n\n--- traceback of rank {first['rank']} ---\n{first['traceback']}"
                          f"{note}", rank=first["rank"], traceback=first["traceback"], pids=pids)


def run_simulated(worker: str | Callable, world_size: int, *, args: dict | None = None,
                  timeout: float = 60.0) -> list:
    """Run ``worker(communicator, **args)`` as ``world_size`` threads with simulated collectives; return the results.

    The same contract as :func:`launch` (every rank gets its own deep copy of ``args``, as a process would), without
    torch. A thread cannot be killed: on a timeout or an error the collectives of the others are broken, so that
    threads waiting in them return at once, but a thread busy elsewhere finishes in the background.
    """
    function = worker if callable(worker) else import_worker(worker_reference(worker))
    world_size, args, timeout = _check_launch(world_size, args, timeout)
    group = SimulatedGroup(world_size, timeout=timeout)
    results, errors = [None] * world_size, {}

    def body(communicator) -> None:
        try:
            results[communicator.rank] = function(communicator, **copy.deepcopy(args))
        except BaseException:  # noqa: BLE001 - reported to the caller below
            errors[communicator.rank] = (time.monotonic(), traceback.format_exc())
            group.abort()  # the others stop waiting for this rank

    threads = [threading.Thread(target=body, args=(c,), daemon=True) for c in group.communicators()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    running = [rank for rank, thread in enumerate(threads) if thread.is_alive()]
    if running and not errors:
        group.abort()
        raise WorkerTimeoutError(f"simulated workers did not finish within {timeout:g} s; ranks {running} were still "
                                 f"running", running=running, pids=[])
    if errors:
        rank, (_, text) = min(errors.items(), key=lambda item: item[1][0])
        raise WorkerError(f"simulated worker rank {rank} of {world_size} raised:\n{text}", rank=rank, traceback=text,
                          pids=[])
    return results
