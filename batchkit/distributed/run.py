"""One worker process: join the process group, call the worker function, hand back its result.

A *worker* is a function ``worker(communicator, **kwargs)`` in a module file, named by its qualified name
``"package.module:function"`` (a process started fresh cannot see functions defined in a notebook or a script's
``__main__``). This module is what every process runs, under :func:`~batchkit.distributed.launcher.launch` or under
PyTorch's ``torchrun``; the process learns who it is from torchrun's environment variables::

    RANK, WORLD_SIZE               this process's rank and the number of processes
    MASTER_ADDR, MASTER_PORT       where rank 0 waits for the others (init method "env://", the default)

On a cluster, the same worker runs on every machine with (one process per machine, rank-0 host ``node0``)::

    torchrun --nnodes 2 --nproc-per-node 1 --rdzv-backend c10d --rdzv-endpoint node0:29500 \\
        -m batchkit.distributed.run batchkit.distributed.workers:linreg_worker \\
        --kwargs '{"n": 4096, "per_worker_batch": 64, "epochs": 3}' --output results/

Each rank then writes its result to ``results/result-<rank>.pkl`` (pickle); rank 0 also prints a short version. A worker that
raises prints its traceback and exits with status 1, which makes torchrun stop the other ranks.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pickle
import reprlib
import sys
import time
import traceback
from pathlib import Path

from ._names import import_worker
from ._torch import require_torch


def run_worker(reference: str, kwargs: dict, *, backend: str = "gloo", init_method: str | None = None,
               timeout: float = 1800.0):
    """Join the process group described by the environment, run the worker, leave the group; return its result.

    ``timeout`` (seconds) bounds every collective: a rank waiting for a peer that died raises instead of hanging.
    """
    torch = require_torch("run_worker")
    from .communicator import TorchCommunicator

    worker = import_worker(reference)
    torch.set_num_threads(1)  # torch only moves numbers here; numpy does the arithmetic
    dist = torch.distributed
    dist.init_process_group(backend, init_method=init_method or "env://", timeout=datetime.timedelta(seconds=timeout),
                            rank=int(os.environ["RANK"]), world_size=int(os.environ["WORLD_SIZE"]))
    try:
        return worker(TorchCommunicator(), **kwargs)
    except BaseException as error:
        # When it failed, noted before leaving the group: the peers notice the departure and fail just after, and
        # the launcher reports the earliest failure as the cause.
        error.failed_at = time.time()
        raise
    finally:
        dist.destroy_process_group()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m batchkit.distributed.run", description=__doc__.split("\n")[0])
    parser.add_argument("worker", help="the worker function, as 'package.module:function'")
    parser.add_argument("--kwargs", default="{}", help="the worker's keyword arguments, as a JSON object")
    parser.add_argument("--backend", default="gloo", help="torch.distributed backend (gloo: CPU)")
    parser.add_argument("--init-method", default=None, help="e.g. tcp://host:port; default env:// (torchrun's)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a blocked collective fails")
    parser.add_argument("--output", default=None, help="folder for result-<rank>.pkl")
    parser.add_argument("--run-dir", default=None, help=argparse.SUPPRESS)  # the launcher's: kwargs.pkl in, results out
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m batchkit.distributed.run`` (torchrun's ``-m``): returns the exit status."""
    options = _arguments(argv)
    rank = int(os.environ.get("RANK", "0"))
    if options.run_dir:
        kwargs = pickle.loads((Path(options.run_dir) / "kwargs.pkl").read_bytes())
        output = Path(options.run_dir)
    else:
        kwargs = json.loads(options.kwargs)
        output = Path(options.output) if options.output else None
    try:
        result = run_worker(options.worker, kwargs, backend=options.backend, init_method=options.init_method,
                            timeout=options.timeout)
        if output is not None:
            output.mkdir(parents=True, exist_ok=True)
            _write(output / f"result-{rank}.pkl", result)
    except BaseException as error:  # noqa: BLE001 - any failure, even KeyboardInterrupt, goes to the caller
        text = traceback.format_exc()
        print(text, file=sys.stderr, flush=True)
        if options.run_dir:
            _write(Path(options.run_dir) / f"error-{rank}.pkl",
                   {"rank": rank, "time": getattr(error, "failed_at", time.time()), "traceback": text, "summary": f"{type(error).__name__}: {error}"})
        return 1
    if rank == 0 and not options.run_dir:
        where = f", saved to {output / 'result-0.pkl'}" if output is not None else ""
        print(f"rank 0 finished{where}: {reprlib.repr(result)}", flush=True)  # shortened: results can be large
    return 0


def _write(path: Path, value: object) -> None:
    """Pickle ``value`` to ``path`` atomically: the launcher never reads half a file."""
    partial = path.with_suffix(".partial")
    partial.write_bytes(pickle.dumps(value))
    partial.replace(path)


if __name__ == "__main__":
    sys.exit(main())
