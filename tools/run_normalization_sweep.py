"""Run lesson 07's sweep (accuracy against batch size for each normalization) and store it in the package.

    python tools/run_normalization_sweep.py [--processes 2] [--output batchkit/data/normalization_sweep.json]

It trains len(KINDS) × len(BATCH_SIZES) × len(LEARNING_RATES) × 5 networks (840 with the defaults): about
16 minutes on 2 cores of the machine that made the stored file. Each process does its BLAS work in one thread, so
the processes do not compete for the cores. The runs are seeded, so the file is the same on every run of this
script on the same machine (BLAS builds may differ in the last bits of a sum, which can change a rare prediction).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported, here and in the spawned workers
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from batchkit import norm_sweep  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", type=Path, default=norm_sweep.STORED)
    args = parser.parse_args()
    start = time.perf_counter()
    with get_context("spawn").Pool(args.processes) as pool:
        sweep = norm_sweep.run_sweep(map_function=lambda f, tasks: pool.map(f, tasks, chunksize=1))
    minutes = (time.perf_counter() - start) / 60
    sweep.notes = {"made by": "tools/run_normalization_sweep.py", "minutes": f"{minutes:.1f}",
                   "processes": str(args.processes), "numpy": np.__version__, "python": platform.python_version(),
                   "machine": platform.machine()}
    norm_sweep.save_sweep(sweep, args.output)
    print(f"wrote {args.output} after {minutes:.1f} minutes")
    for kind in sweep.kinds:
        test = sweep.test_accuracy(kind)
        print(f"{kind}: chosen rates {sweep.chosen_rates(kind)}; test accuracy by batch size "
              + ", ".join(f"b = {b}: {test[i].describe('{:.1%}')}" for i, b in enumerate(sweep.batch_sizes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
