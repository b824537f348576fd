"""What communication costs in data-parallel training on this machine (lesson 08).

1. gloo all-reduce between 2 processes on 127.0.0.1 as the message grows (10³ to 10⁷ elements, float32 and
   float64): measured time, bus bandwidth ``2(k-1)/k · S / t``, and the ring model ``2(k-1) α + 2(k-1)/k · S / β``
   fitted to the measurements, next to each other.
2. One MLP training step with a fixed global batch on 1 and 2 workers, split into compute and communication
   (time inside collectives, waiting for the other rank included), with local and synchronized batch norm.

Every worker has one BLAS thread. The numbers depend on the machine and on what else runs on it.

Run: ``python benchmarks/bench_allreduce.py`` (needs torch: pip install "batchkit-lessons[distributed]").
"""

from __future__ import annotations

import numpy as np

from batchkit.distributed import launch, measure_allreduce
from batchkit.timing import machine_description

SIZES = (1_000, 10_000, 100_000, 1_000_000, 10_000_000)
MLP = dict(sizes=[64, 512, 512, 10], activation="relu", n=8192, epochs=1, learning_rate=0.1, seed=0)
GLOBAL_BATCH = 512
SKIP = 3  # warm-up steps left out of the medians (first connections, caches)


def bench_allreduce() -> None:
    for dtype in ("float32", "float64"):
        timing = measure_allreduce(SIZES, world_size=2, dtype=dtype, repeats=7, timeout=300)
        print(timing.table(), end="\n\n")


def bench_steps() -> None:
    print(f"MLP {MLP['sizes']} with batch norm, global batch {GLOBAL_BATCH}, medians over steps (ms per step):")
    print(f"{'setup':32s} {'step':>8} {'compute':>8} {'comm':>8} {'messages':>9}")
    for world_size, sync in ((1, False), (2, False), (2, True)):
        args = dict(MLP, per_worker_batch=GLOBAL_BATCH // world_size, sync_batchnorm=sync)
        runs = [r["run"] for r in launch("batchkit.distributed.workers:mlp_worker", world_size, args=args,
                                         timeout=300)]
        # The step waits for the slowest rank: take each step's largest time over the ranks.
        step = np.max([r.step_seconds[SKIP:] for r in runs], axis=0)
        comm = np.max([r.communication_seconds[SKIP:] for r in runs], axis=0)
        compute = np.max([r.compute_seconds[SKIP:] for r in runs], axis=0)
        label = f"{world_size} worker(s), {'sync' if sync else 'local'} BN, b = {GLOBAL_BATCH // world_size}"
        print(f"{label:32s} {np.median(step) * 1e3:8.2f} {np.median(compute) * 1e3:8.2f} "
              f"{np.median(comm) * 1e3:8.2f} {int(np.median(runs[0].collectives)):9d}")
    parameters = sum(a * b + b for a, b in zip(MLP["sizes"][:-1], MLP["sizes"][1:]))
    print(f"(gradients of about {parameters:,} parameters travel in one message per step; synchronized BN adds "
          f"3 small messages per BN layer)")


def main() -> None:
    print(machine_description(), end="\n\n")
    bench_allreduce()
    bench_steps()


if __name__ == "__main__":
    main()
