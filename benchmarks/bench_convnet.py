"""One SGD step (forward, backward, update) of lesson 07's ConvNet, batchkit against the same network in torch.

For every normalization and batch sizes 2, 16 and 64, both take turns (``batchkit.timing.interleaved_seconds``),
each turn STEPS steps on fixed batches of 8×8 digits; BLAS and torch use one thread; both compute in float64. The
median time per step and the ratio batchkit / torch are printed. Before timing, one step from the same weights is
checked to give the same parameters in both (to 1e-9).

``--epochs`` also times whole training epochs with ``train_convnet`` (1078 training digits; each epoch ends with an
evaluation of the training and validation sets), for normalizations "none" and "group" at batch sizes 2, 8 and 64.

Run: ``python benchmarks/bench_convnet.py [--epochs]``
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy (and torch) are imported

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from batchkit.batch_size_study import digits_splits  # noqa: E402
from batchkit.convnet import NORMALIZATIONS, ConvNet, train_convnet  # noqa: E402
from batchkit.timing import blas_thread_limit, interleaved_seconds, machine_description  # noqa: E402

try:
    import torch
    from torch import nn
except ImportError:
    torch = None

BATCH_SIZES, CHANNELS, GROUPS = (2, 16, 64), (16, 16), 4
RATE, STEPS, REPEATS = 0.1, 20, 7


def torch_copy(model: ConvNet) -> nn.Module:
    """The same network as a torch module, float64, with the same weights."""
    norms = {"none": lambda c: nn.Identity(), "batch": lambda c: nn.BatchNorm2d(c),
             "layer": lambda c: nn.LayerNorm((c, 8, 8)), "group": lambda c: nn.GroupNorm(GROUPS, c),
             "instance": lambda c: nn.GroupNorm(c, c)}[model.normalization]
    layers, c_in = [], 1
    for c in model.channels:
        layers += [nn.Conv2d(c_in, c, 3, padding=1), norms(c), nn.ReLU()]
        c_in = c
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 10)).double()
    ours = list(model.parameters().values())  # the same order: conv, [norm γ, β], ..., linear
    theirs = [p for p in net.parameters()]
    assert len(ours) == len(theirs), "the two networks must have the same parameters"
    with torch.no_grad():
        for mine, their in zip(ours, theirs):
            their.copy_(torch.from_numpy(mine))
    return net


def batchkit_steps(model: ConvNet, batches: list[tuple[np.ndarray, np.ndarray]]):
    """``run(_)`` makes one SGD step of ``model`` on every (X, y) of ``batches``."""
    def run(_):
        for X, y in batches:
            _, grads = model.loss_and_gradients(X, y)
            model.sgd_step(grads, RATE)
    return run


def torch_steps(net, batches: list[tuple[np.ndarray, np.ndarray]]):
    """The same for the torch network, with torch.optim.SGD."""
    optimizer = torch.optim.SGD(net.parameters(), lr=RATE)
    tensors = [(torch.from_numpy(X).reshape(-1, 1, 8, 8), torch.from_numpy(y)) for X, y in batches]

    def run(_):
        for X, y in tensors:
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(X), y).backward()
            optimizer.step()
    return run


def check_one_step(kind: str, batch: tuple[np.ndarray, np.ndarray]) -> None:
    """One step from the same weights must give the same parameters in both."""
    model = ConvNet(CHANNELS, normalization=kind, groups=GROUPS, seed=0)
    net = torch_copy(model)
    batchkit_steps(model, [batch])(None)
    torch_steps(net, [batch])(None)
    for (name, ours), theirs in zip(model.parameters().items(), net.parameters()):
        error = np.max(np.abs(ours - theirs.detach().numpy()))
        assert error < 1e-9, f"{kind}: {name} differs from torch's by {error:.1e} after one step"


def time_steps() -> None:
    X, _, _, y, _, _ = digits_splits()
    rng = np.random.default_rng(0)
    calls, labels = [], []
    for kind in NORMALIZATIONS:
        if torch is not None:
            check_one_step(kind, (np.array(X[:16]), np.array(y[:16])))
        for b in BATCH_SIZES:
            picks = [rng.choice(len(X), b, replace=False) for _ in range(STEPS)]
            batches = [(np.array(X[i]), np.array(y[i])) for i in picks]
            model = ConvNet(CHANNELS, normalization=kind, groups=GROUPS, seed=0)
            calls.append((batchkit_steps(model, batches), None))
            if torch is not None:
                calls.append((torch_steps(torch_copy(model), batches), None))
            labels.append((kind, b))
    with blas_thread_limit(1) as pinned:
        seconds = interleaved_seconds(calls, repeats=REPEATS) / STEPS
    per_step = np.median(seconds, axis=1).reshape(len(labels), -1) * 1e6  # µs
    machine = machine_description()
    print(f"ConvNet{CHANNELS}, groups {GROUPS}, one SGD step in float64, median of {REPEATS} rounds of {STEPS} "
          f"steps; BLAS threads {'1' if pinned else 'not pinned'}, torch threads 1")
    print(f"{machine['processor']}, numpy {machine['numpy']}, torch {torch.__version__ if torch else 'absent'}")
    print(f"{'normalization':>13} {'batch':>5} {'batchkit µs':>12} {'torch µs':>9} {'ratio':>6}")
    for (kind, b), row in zip(labels, per_step):
        torch_part = f"{row[1]:9.0f} {row[0] / row[1]:6.2f}" if torch is not None else f"{'-':>9} {'-':>6}"
        print(f"{kind:>13} {b:5d} {row[0]:12.0f} {torch_part}")


def time_epochs(epochs: int = 3) -> None:
    """Seconds per epoch of train_convnet: (time of `epochs` epochs - time of 0 epochs) / epochs, so that the
    evaluation before training is not counted; each epoch still pays one evaluation of the training and validation
    sets (also printed, as the time of 0 epochs)."""
    X, X_val, _, y, y_val, _ = digits_splits()
    print(f"\nEpochs of train_convnet over {len(X)} digits, each with one evaluation of {len(X)} + {len(X_val)} "
          f"digits; BLAS threads 1")
    with blas_thread_limit(1):
        for kind in ("none", "group"):
            for b in (2, 8, 64):
                seconds = []
                for count in (0, epochs):
                    model = ConvNet(CHANNELS, normalization=kind, groups=GROUPS, seed=0)
                    start = time.perf_counter()
                    train_convnet(model, X, y, batch_size=b, epochs=count, learning_rate=RATE, X_eval=X_val,
                                  y_eval=y_val, seed=0)
                    seconds.append(time.perf_counter() - start)
                print(f"  {kind:>6} batch {b:3d}: {(seconds[1] - seconds[0]) / epochs:6.3f} s per epoch "
                      f"(evaluation alone {seconds[0]:.3f} s)")


if __name__ == "__main__":
    if torch is not None:
        torch.set_num_threads(1)
    time_steps()
    if "--epochs" in sys.argv[1:]:
        time_epochs()
