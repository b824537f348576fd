"""Batch normalization forward + backward in float32: batchkit's readable functions against tuned numpy, a textbook
version and torch.

Contestants, per shape N x D in 32x256, 256x1024, 4096x1024, 60000x784:

* readable: ``batchkit.batchnorm`` (``batchnorm_forward`` + ``batchnorm_backward``), the code lesson 05 teaches;
* tuned numpy: ``benchmarks/tuned_batchnorm.py``, the same numbers computed in cache-sized blocks into reused
  buffers (tests/test_tuned_batchnorm.py checks it against batchkit);
* textbook: the formulas written directly with every intermediate a new array, and the unsimplified backward's
  extra passes (kept here only, as a peer);
* torch: ``torch.nn.functional.batch_norm`` in training mode with autograd, when torch is installed.

Goal: the readable version within 2x of torch (readable / torch <= 2) at 4096x1024 and 60000x784.

Method: one BLAS / torch thread; the contestants take turns (REPEATS rounds, interleaved), each turn a run of
back-to-back calls long enough (>= SAMPLE_SECONDS) for the clock; medians per call and their ratios are printed.
Every contestant's result is checked against a float64 reference before timing.

Run: ``python benchmarks/bench_batchnorm.py [--block-sizes]`` (``--block-sizes`` also sweeps the tuned version's
BLOCK_BYTES). Exit status 1 if the goal is missed.
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

try:  # run as a script (python benchmarks/bench_batchnorm.py) or imported as benchmarks.bench_batchnorm
    import tuned_batchnorm as tuned  # noqa: E402
except ImportError:
    from benchmarks import tuned_batchnorm as tuned  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

SHAPES = [(32, 256), (256, 1024), (4096, 1024), (60000, 784)]
TORCH_GOAL_SHAPES = {(4096, 1024), (60000, 784)}
TORCH_GOAL = 2.0  # readable / torch
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


def readable(x, gamma, beta, dout):
    """batchkit's functions, as lesson 05 teaches them."""
    out, cache, _, _ = bn.batchnorm_forward(x, gamma, beta)
    return (out, *bn.batchnorm_backward(dout, cache))


def tuned_contestant(x: np.ndarray) -> Callable:
    """The tuned version writing into buffers kept across calls, as a training loop would call it again and again."""
    buffers = {"out": np.empty_like(x), "centered": np.empty_like(x)}
    dx = np.empty_like(x)

    def run(x, gamma, beta, dout):
        out, cache, _, _ = tuned.tuned_forward(x, gamma, beta, **buffers)
        return (out, *tuned.tuned_backward(dout, cache, dx=dx))
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
    tuned_run = tuned_contestant(x)
    runs = {"readable": lambda: readable(x, gamma, beta, dout), "tuned": lambda: tuned_run(x, gamma, beta, dout),
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
    """The tuned version's forward + backward time for several BLOCK_BYTES, interleaved."""
    chosen = tuned.BLOCK_BYTES
    print(f"\nBLOCK_BYTES sweep (tuned ms; chosen: {chosen // 1024} kB)")
    for n, d in SHAPES[1:]:
        runs = {}
        for kilobytes in (128, 256, 512, 768):
            run = contestants(n, d, rng)["tuned"]

            def with_blocks(run=run, size=kilobytes * 1024):
                tuned.BLOCK_BYTES = size  # row_blocks is cached per BLOCK_BYTES: switching back and forth is cheap
                return run()
            runs[f"{kilobytes} kB"] = with_blocks
        seconds = per_call_seconds(runs)
        print(f"{f'{n}x{d}':>12s} " + "  ".join(f"{name}: {s * 1e3:7.2f}" for name, s in seconds.items()))
    tuned.BLOCK_BYTES = chosen


def main() -> int:
    rng = np.random.default_rng(0)
    print(f"batch norm forward + backward, float32, 1 thread, median ms per call of {REPEATS} interleaved turns")
    print(f"goal: readable/torch <= {TORCH_GOAL:g} at " + " and ".join(f"{n}x{d}" for n, d in sorted(TORCH_GOAL_SHAPES)))
    print(f"{'shape':>12s} {'readable':>9s} {'tuned':>9s} {'textbook':>9s} {'torch':>9s}   "
          f"{'textbook/readable':>17s} {'readable/tuned':>14s} {'readable/torch':>14s}")
    missed = []
    for n, d in SHAPES:
        ms = {name: s * 1e3 for name, s in per_call_seconds(contestants(n, d, rng)).items()}
        torch_ms, ratio = ms.get("torch", float("nan")), ms["readable"] / ms.get("torch", float("nan"))
        if torch is not None and (n, d) in TORCH_GOAL_SHAPES and ratio > TORCH_GOAL:
            missed.append(f"readable/torch {ratio:.2f} at {n}x{d}")
        print(f"{f'{n}x{d}':>12s} {ms['readable']:9.3f} {ms['tuned']:9.3f} {ms['textbook']:9.3f} {torch_ms:9.3f}   "
              f"{ms['textbook'] / ms['readable']:17.2f} {ms['readable'] / ms['tuned']:14.2f} {ratio:14.2f}")
    if torch is None:
        print("torch is not installed: the goal was not measured (pip install torch)")
    print(f"\nnumpy block * vector / block * tile (128x1024 float32), the reason for the tuned version's tiles: "
          f"{broadcast_vs_tile():.2f}")
    if "--block-sizes" in sys.argv[1:]:
        block_size_sweep(rng)
    print("\ngoal: " + ("met" if not missed else "missed: " + "; ".join(missed)))
    return 1 if missed or torch is None else 0


if __name__ == "__main__":
    sys.exit(main())
