"""Batch normalization forward + backward in float32: batchkit against a straightforward numpy version and torch.

What is timed, per shape N x D in 32x256, 256x1024, 4096x1024, 60000x784:

* batchkit: ``BatchNorm1d(reuse_buffers=True)`` forward then backward, as a training loop calls it (running
  statistics updated too); "functions" is ``batchnorm_forward`` + ``batchnorm_backward`` with new arrays each call.
* textbook: the formulas written directly, every intermediate a new array (kept here only, as the peer).
  Goal: textbook / batchkit >= 2.
* torch: ``torch.nn.functional.batch_norm`` in training mode with autograd, when torch is installed.
  Goal: batchkit / torch <= 1.0 at 256x1024 and 4096x1024.

Method: one BLAS / torch thread; the contestants take turns (REPEATS rounds, interleaved), each turn a run of
back-to-back calls long enough (>= SAMPLE_SECONDS) for the clock; medians per call and their ratios are printed.
Every contestant's result is checked against a float64 reference before timing.

Two measurements behind choices in ``batchkit/batchnorm.py`` are printed after the table:

* ``block * vector`` (numpy's broadcasting loop) against ``block * tile`` (the vector written out per row), the
  reason for ``RowBlocks.tile``;
* with ``--block-sizes``: batchkit's time for several ``BLOCK_BYTES``.

Run: ``python benchmarks/bench_batchnorm.py [--block-sizes]``. Exit status 1 if a goal is missed.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy (and torch) are imported

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import batchkit.batchnorm as bn  # noqa: E402
from batchkit.gradcheck import rel_error  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

SHAPES = [(32, 256), (256, 1024), (4096, 1024), (60000, 784)]
TORCH_GOAL_SHAPES = {(256, 1024), (4096, 1024)}
TEXTBOOK_GOAL, TORCH_GOAL = 2.0, 1.0
EPS, REPEATS, SAMPLE_SECONDS = 1e-5, 9, 0.02


def textbook(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dout: np.ndarray):
    """Textbook batch norm forward and backward, every intermediate a new array."""
    n = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    x_hat = (x - mu) / np.sqrt(var + EPS)
    out = gamma * x_hat + beta
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (1.0 / n) / np.sqrt(var + EPS) * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return out, dx, dgamma, dbeta


def functions(x, gamma, beta, dout):
    """batchkit's function API: new arrays every call."""
    out, cache, _, _ = bn.batchnorm_forward(x, gamma, beta)
    return (out, *bn.batchnorm_backward(dout, cache))


def layer_contestant(gamma: np.ndarray, beta: np.ndarray) -> Callable:
    """batchkit's layer with reused buffers, as a training loop calls it again and again."""
    layer = bn.BatchNorm1d(len(gamma), dtype=gamma.dtype, reuse_buffers=True)
    layer.gamma, layer.beta = gamma, beta

    def run(x, dout):
        out = layer(x)
        return out, layer.backward(dout), layer.dgamma, layer.dbeta
    return run


def torch_contestant(x, gamma, beta, dout) -> Callable | None:
    if torch is None:
        return None
    torch.set_num_threads(1)
    tx, tg, tb, td = (torch.from_numpy(a) for a in (x, gamma, beta, dout))

    def run():
        xx, gg, bb = tx.detach().requires_grad_(), tg.detach().requires_grad_(), tb.detach().requires_grad_()
        out = torch.nn.functional.batch_norm(xx, None, None, gg, bb, training=True, eps=EPS)
        out.backward(td)
        return out, xx.grad, gg.grad, bb.grad
    return run


def per_call_seconds(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds per call of each run, timed in interleaved turns of back-to-back calls."""
    numbers = {}
    for name, run in runs.items():  # calibrate: calls per turn so that a turn lasts >= SAMPLE_SECONDS
        start = time.perf_counter()
        run()
        numbers[name] = max(1, int(SAMPLE_SECONDS / max(time.perf_counter() - start, 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, run in runs.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                run()
            times[name].append((time.perf_counter() - start) / numbers[name])
    return {name: statistics.median(values) for name, values in times.items()}


def contestants(n: int, d: int, rng: np.random.Generator) -> dict[str, Callable[[], object]]:
    """The runs to time at one shape, each checked once against a float64 textbook reference."""
    x = rng.normal(3.0, 2.0, (n, d)).astype(np.float32)
    gamma, beta = rng.standard_normal(d).astype(np.float32), rng.standard_normal(d).astype(np.float32)
    dout = rng.standard_normal((n, d)).astype(np.float32)
    layer_run = layer_contestant(gamma, beta)
    runs = {"batchkit": lambda: layer_run(x, dout), "functions": lambda: functions(x, gamma, beta, dout),
            "textbook": lambda: textbook(x, gamma, beta, dout)}
    torch_run = torch_contestant(x, gamma, beta, dout)
    if torch_run is not None:
        runs["torch"] = torch_run
    reference = textbook(*(a.astype(np.float64) for a in (x, gamma, beta, dout)))
    for name, run in runs.items():
        for got, want in zip(run(), reference):
            got = got.detach().numpy() if torch is not None and isinstance(got, torch.Tensor) else got
            assert rel_error(got, want) < 1e-4, f"{name} must compute the same thing as the float64 reference"
    return runs


def broadcast_vs_tile() -> float:
    """Seconds of ``block * vector`` over seconds of ``block * tile``, for a 128 x 1024 float32 block."""
    rng = np.random.default_rng(1)
    block, vector = rng.standard_normal((128, 1024), dtype=np.float32), rng.standard_normal(1024, dtype=np.float32)
    out, tile = np.empty_like(block), np.tile(vector, (128, 1))
    seconds = per_call_seconds({"vector": lambda: np.multiply(block, vector, out=out),
                                "tile": lambda: np.multiply(block, tile, out=out)})
    return seconds["vector"] / seconds["tile"]


def block_size_sweep(rng: np.random.Generator) -> None:
    """batchkit's forward + backward time for several BLOCK_BYTES, interleaved."""
    chosen = bn.BLOCK_BYTES
    print(f"\nBLOCK_BYTES sweep (batchkit ms; chosen: {chosen // 1024} kB)")
    for n, d in SHAPES[1:]:
        runs = {}
        for kilobytes in (128, 256, 512, 768):
            run = contestants(n, d, rng)["batchkit"]

            def with_blocks(run=run, size=kilobytes * 1024):
                bn.BLOCK_BYTES = size  # row_blocks is cached per BLOCK_BYTES: switching back and forth is cheap
                return run()
            runs[f"{kilobytes} kB"] = with_blocks
        seconds = per_call_seconds(runs)
        print(f"{f'{n}x{d}':>12s} " + "  ".join(f"{name}: {s * 1e3:7.2f}" for name, s in seconds.items()))
    bn.BLOCK_BYTES = chosen


def main() -> int:
    rng = np.random.default_rng(0)
    print(f"batch norm forward + backward, float32, 1 thread, median of {REPEATS} interleaved turns")
    print(f"goals: textbook/bk >= {TEXTBOOK_GOAL:g} everywhere; bk/torch <= {TORCH_GOAL:g} at "
          + " and ".join(f"{n}x{d}" for n, d in sorted(TORCH_GOAL_SHAPES)))
    print(f"{'shape':>12s} {'batchkit ms':>12s} {'functions ms':>13s} {'textbook ms':>12s} {'textbook/bk':>12s} "
          f"{'torch ms':>9s} {'bk/torch':>9s}")
    missed = []
    for n, d in SHAPES:
        ms = {name: s * 1e3 for name, s in per_call_seconds(contestants(n, d, rng)).items()}
        speedup = ms["textbook"] / ms["batchkit"]
        if speedup < TEXTBOOK_GOAL:
            missed.append(f"textbook/bk {speedup:.2f} at {n}x{d}")
        torch_text = f"{'-':>9s} {'-':>9s}"
        if "torch" in ms:
            ratio = ms["batchkit"] / ms["torch"]
            torch_text = f"{ms['torch']:9.3f} {ratio:9.2f}"
            if (n, d) in TORCH_GOAL_SHAPES and ratio > TORCH_GOAL:
                missed.append(f"bk/torch {ratio:.2f} at {n}x{d}")
        print(f"{f'{n}x{d}':>12s} {ms['batchkit']:12.3f} {ms['functions']:13.3f} {ms['textbook']:12.3f} "
              f"{speedup:12.2f} {torch_text}")
    print(f"\nnumpy block * vector / block * tile (128x1024 float32): {broadcast_vs_tile():.2f}")
    if "--block-sizes" in sys.argv[1:]:
        block_size_sweep(rng)
    print("\ngoals: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
