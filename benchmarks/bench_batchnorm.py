"""Batch normalization forward + backward in float32: batchkit against a straightforward numpy version and torch.

* straightforward numpy: the textbook formulas written directly (kept here only, as the peer). Goal: batchkit at
  least 2x faster.
* torch: ``torch.nn.functional.batch_norm`` in training mode with autograd, when torch is installed. Goal: batchkit
  at most 1.0x torch's time at 256 x 1024 and 4096 x 1024.

Interleaved in one run (round robin over the contestants, REPEATS rounds), one BLAS / torch thread, medians printed
with their ratios. Run: ``python benchmarks/bench_batchnorm.py``
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from batchkit.batchnorm import BatchNorm1d, batchnorm_backward, batchnorm_forward  # noqa: E402
from batchkit.gradcheck import rel_error  # noqa: E402

SHAPES = [(32, 256), (256, 1024), (4096, 1024), (60000, 784)]
EPS, REPEATS = 1e-5, 9


def straightforward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dout: np.ndarray):
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


def ours(x, gamma, beta, dout):
    """The function API: new arrays every call."""
    out, cache, _, _ = batchnorm_forward(x, gamma, beta)
    return (out, *batchnorm_backward(dout, cache))


def layer_contestant(gamma, beta):
    """The layer API with reused buffers, as a training loop calls it again and again (running stats updated too)."""
    layer = BatchNorm1d(len(gamma), dtype=gamma.dtype, reuse_buffers=True)
    layer.gamma, layer.beta = gamma, beta

    def run(x, dout):
        out = layer(x)
        return out, layer.backward(dout), layer.dgamma, layer.dbeta
    return run


def torch_contestant(x, gamma, beta, dout):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    tx, tg, tb, td = (torch.from_numpy(a) for a in (x, gamma, beta, dout))

    def run():
        xx, gg, bb = tx.detach().requires_grad_(), tg.detach().requires_grad_(), tb.detach().requires_grad_()
        out = torch.nn.functional.batch_norm(xx, None, None, gg, bb, training=True, eps=EPS)
        out.backward(td)
        return out, xx.grad, gg.grad, bb.grad
    return run


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"batch norm forward + backward, float32, 1 thread, median of {REPEATS} interleaved runs")
    print("batchkit = BatchNorm1d(reuse_buffers=True) forward + backward; 'functions' = the same without reused buffers")
    print(f"{'shape':>12s} {'batchkit ms':>12s} {'functions ms':>13s} {'textbook ms':>12s} {'textbook/bk':>12s} "
          f"{'torch ms':>9s} {'bk/torch':>9s}")
    for n, d in SHAPES:
        x = rng.normal(3.0, 2.0, (n, d)).astype(np.float32)
        gamma, beta = rng.standard_normal(d).astype(np.float32), rng.standard_normal(d).astype(np.float32)
        dout = rng.standard_normal((n, d)).astype(np.float32)
        layer_run = layer_contestant(gamma, beta)
        contestants = {"batchkit": lambda: layer_run(x, dout),
                       "functions": lambda: ours(x, gamma, beta, dout),
                       "textbook": lambda: straightforward(x, gamma, beta, dout)}
        torch_run = torch_contestant(x, gamma, beta, dout)
        if torch_run is not None:
            contestants["torch"] = torch_run
        reference = straightforward(x.astype(np.float64), gamma.astype(np.float64), beta, dout.astype(np.float64))
        for got, want in zip(ours(x, gamma, beta, dout), reference):
            assert rel_error(got, want) < 1e-4, "batchkit must compute the same thing (float32 vs float64 reference)"
        times = {name: [] for name in contestants}
        for _ in range(REPEATS):
            for name, run in contestants.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        ms = {name: statistics.median(values) * 1e3 for name, values in times.items()}
        torch_text = f"{ms['torch']:9.2f} {ms['batchkit'] / ms['torch']:9.2f}" if "torch" in ms else f"{'-':>9s} {'-':>9s}"
        print(f"{f'{n}x{d}':>12s} {ms['batchkit']:12.2f} {ms['functions']:13.2f} {ms['textbook']:12.2f} "
              f"{ms['textbook'] / ms['batchkit']:12.2f} {torch_text}")
    print("goals: textbook/bk >= 2; bk/torch <= 1.0 at 256x1024 and 4096x1024")


if __name__ == "__main__":
    main()
