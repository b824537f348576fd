"""Lesson 08, one batch, many workers: data-parallel training with ``torch.distributed`` moving numpy's numbers.

The model math is the earlier lessons' numpy code; ``torch.distributed`` (gloo backend, CPU processes on
127.0.0.1) only sums arrays across processes. ``import batchkit.distributed`` needs numpy only; what starts
processes needs torch (``pip install "batchkit-lessons[distributed]"``) and says so when it is missing.

* :mod:`~batchkit.distributed.communicator`: the all-reduce, real (:class:`TorchCommunicator`) or simulated between
  threads (:class:`SimulatedCommunicator`, no torch).
* :mod:`~batchkit.distributed.launcher`: :func:`launch` k processes, or :func:`run_simulated` k threads, of one
  worker function; errors come back with the worker's traceback, and no process is left behind.
* :mod:`~batchkit.distributed.run`: what each process runs, also under ``torchrun`` (``python -m
  batchkit.distributed.run module:function``).
* :mod:`~batchkit.distributed.sharding`: lesson 01's global batches split across ranks, DistributedSampler's way.
* :mod:`~batchkit.distributed.data_parallel`: all-reduce the gradient sums, divide by the global batch, step.
* :mod:`~batchkit.distributed.sync_batchnorm`: batch norm with the global batch's statistics.
* :mod:`~batchkit.distributed.allreduce_cost`: all-reduce time against message size, and the ring model.
* :mod:`~batchkit.distributed.workers`: the lesson's worker functions.
* :mod:`~batchkit.distributed.experiments`, :mod:`~batchkit.distributed.bn_comparison`,
  :mod:`~batchkit.distributed.step_time`: lesson 08's experiments (single vs parallel, local vs synchronized batch
  norm, linear scaling, compute and communication per step).
"""

from ._torch import INSTALL_HINT, TorchMissingError
from .allreduce_cost import AllReduceTiming, measure_allreduce, ring_allreduce_seconds
from .communicator import Communicator, SimulatedCommunicator, SimulatedGroup, TorchCommunicator
from .data_parallel import DataParallelRun, all_reduce_mean, model_state, train_linreg, train_mlp
from .launcher import WorkerError, WorkerTimeoutError, launch, run_simulated
from .sharding import local_batch_sizes, local_epochs, pad_or_trim, shard_epoch
from .sync_batchnorm import SyncBatchNorm, convert_sync_batchnorm

__all__ = [
    "INSTALL_HINT",
    "AllReduceTiming",
    "Communicator",
    "DataParallelRun",
    "SimulatedCommunicator",
    "SimulatedGroup",
    "SyncBatchNorm",
    "TorchCommunicator",
    "TorchMissingError",
    "WorkerError",
    "WorkerTimeoutError",
    "all_reduce_mean",
    "convert_sync_batchnorm",
    "launch",
    "local_batch_sizes",
    "local_epochs",
    "measure_allreduce",
    "model_state",
    "pad_or_trim",
    "ring_allreduce_seconds",
    "run_simulated",
    "shard_epoch",
    "train_linreg",
    "train_mlp",
]
