"""Moving numbers between workers: the one operation data-parallel training needs, an all-reduce that sums.

A worker sees its group through a :class:`Communicator`: its ``rank`` (0 to ``world_size - 1``), the group's
``world_size``, and three collectives that every rank must call in the same order:

* ``all_reduce_sum(a)``: every rank passes an array of the same shape and gets back the element-wise sum over all
  ranks (``torch.distributed.all_reduce`` with ``ReduceOp.SUM``);
* ``broadcast(a, src=0)``: every rank gets rank ``src``'s array;
* ``barrier()``: wait until every rank has got here.

Two implementations with the same behaviour:

* :class:`TorchCommunicator`, the real thing: ``torch.distributed`` (gloo on CPU) between processes. The numpy
  array is wrapped by ``torch.from_numpy`` (no copy: tensor and array share memory), and the in-place all-reduce
  leaves the sum in the array.
* :class:`SimulatedCommunicator`: ``world_size`` threads of one process, summing in rank order. No torch needed;
  for fast tests and for the homework (see :func:`batchkit.distributed.launcher.run_simulated`).

Both count the calls and the seconds spent inside collectives (``calls``, ``seconds``): the communication part of
a training step. The seconds include waiting for the slowest rank to arrive, not only moving bytes.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from .._validation import check_nonnegative_int, check_positive_int, check_real
from ._torch import require_torch

#: dtypes an all-reduce accepts: float64 for the exact comparisons of the lesson, float32 for speed.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Communicator:
    """A worker's view of its group: ``rank``, ``world_size`` and the collectives (see the module docstring).

    Subclasses implement ``_all_reduce_sum``, ``_broadcast`` and ``_barrier``; this class checks the arrays and
    counts ``calls`` and ``seconds``.
    """

    rank: int
    world_size: int

    def __init__(self) -> None:
        self.calls, self.seconds = 0, 0.0

    def all_reduce_sum(self, array: np.ndarray) -> np.ndarray:
        """The element-wise sum of ``array`` over all ranks, as a new array (``array`` itself is not changed).

        Parameters
        ----------
        array : numpy.ndarray of float32 or float64, any shape, the same on every rank

        Returns
        -------
        numpy.ndarray, same shape and dtype
        """
        buffer = self._own_copy("array", array)
        start = time.perf_counter()
        result = self._all_reduce_sum(buffer)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return result

    def broadcast(self, array: np.ndarray, src: int = 0) -> np.ndarray:
        """Rank ``src``'s ``array`` on every rank, as a new array (every rank passes one of the same shape)."""
        src = check_nonnegative_int("src", src)
        if src >= self.world_size:
            raise ValueError(f"src must be a rank from 0 to {self.world_size - 1}, got {src}")
        buffer = self._own_copy("array", array)
        start = time.perf_counter()
        result = self._broadcast(buffer, src)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return result

    def barrier(self) -> None:
        """Return when every rank has called it."""
        self._barrier()

    @staticmethod
    def _own_copy(name: str, array: np.ndarray) -> np.ndarray:
        buffer = np.array(array, order="C", copy=True)  # collectives work in place: never on the caller's array
        if buffer.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name} must be float32 or float64 for a collective, got dtype {buffer.dtype}")
        return buffer

    def _all_reduce_sum(self, buffer: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _broadcast(self, buffer: np.ndarray, src: int) -> np.ndarray:
        raise NotImplementedError

    def _barrier(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self.rank}, world_size={self.world_size})"


class TorchCommunicator(Communicator):
    """Collectives of ``torch.distributed`` on numpy arrays. The process group must be initialized already (the
    launcher's processes and ``python -m batchkit.distributed.run`` under torchrun do it).

    Parameters
    ----------
    group : torch.distributed.ProcessGroup or None
        None for the default (whole) group.
    """

    def __init__(self, group=None) -> None:
        super().__init__()
        require_torch("TorchCommunicator")
        import torch.distributed as dist

        if not dist.is_initialized():
            raise RuntimeError("TorchCommunicator needs an initialized process group: call "
                               "torch.distributed.init_process_group first (batchkit.distributed.launch does)")
        self._dist, self.group = dist, group
        self.rank, self.world_size = dist.get_rank(group), dist.get_world_size(group)

    def _all_reduce_sum(self, buffer: np.ndarray) -> np.ndarray:
        import torch

        tensor = torch.from_numpy(buffer)  # shares buffer's memory: the sum lands in buffer
        self._dist.all_reduce(tensor, op=self._dist.ReduceOp.SUM, group=self.group)
        return buffer

    def _broadcast(self, buffer: np.ndarray, src: int) -> np.ndarray:
        import torch

        self._dist.broadcast(torch.from_numpy(buffer), src=src, group=self.group)
        return buffer

    def _barrier(self) -> None:
        self._dist.barrier(group=self.group)


class SimulatedGroup:
    """Shared state of ``world_size`` :class:`SimulatedCommunicator` threads: one slot per rank and a barrier.

    Parameters
    ----------
    world_size : int
    timeout : float
        Seconds a rank waits for the others inside a collective before the group is declared broken (a peer that
        died or never arrives must not leave the others waiting forever, as with the real backends).
    """

    def __init__(self, world_size: int, timeout: float = 60.0) -> None:
        self.world_size = check_positive_int("world_size", world_size)
        self.timeout = check_real("timeout", timeout, low=0.0)
        self.slots: list[np.ndarray | None] = [None] * self.world_size
        self.barrier = threading.Barrier(self.world_size, timeout=self.timeout)

    def communicators(self) -> list[SimulatedCommunicator]:
        """One communicator per rank, in rank order."""
        return [SimulatedCommunicator(rank, self) for rank in range(self.world_size)]

    def abort(self) -> None:
        """Break the barrier: every rank waiting in a collective, now or later, gets ``threading.BrokenBarrierError``."""
        self.barrier.abort()


class SimulatedCommunicator(Communicator):
    """Collectives between threads of one process: rank r writes its slot, all wait, all read the slots.

    The sum is taken in rank order on every rank, so every rank gets the same bits (with two ranks, ``a + b`` and
    gloo's ``b + a`` are the same number too). Made by :meth:`SimulatedGroup.communicators`.
    """

    def __init__(self, rank: int, group: SimulatedGroup) -> None:
        super().__init__()
        self.rank, self.world_size, self._group = rank, group.world_size, group

    def _exchange(self, buffer: np.ndarray) -> list[np.ndarray]:
        """Every rank's buffer, in rank order. The second wait stops a fast rank from overwriting its slot (in its
        next collective) before a slow rank has read it."""
        group = self._group
        group.slots[self.rank] = buffer
        group.barrier.wait()
        shapes = {slot.shape for slot in group.slots}
        everyone = list(group.slots)
        group.barrier.wait()
        if len(shapes) > 1:  # every rank sees the same shapes, so every rank raises: nobody is left waiting
            raise ValueError(f"the ranks passed arrays of different shapes {sorted(shapes)} to one collective")
        return everyone

    def _all_reduce_sum(self, buffer: np.ndarray) -> np.ndarray:
        everyone = self._exchange(buffer)
        total = everyone[0].copy()
        for other in everyone[1:]:  # a loop over the few ranks, in rank order: the same sum on every rank
            total += other
        return total

    def _broadcast(self, buffer: np.ndarray, src: int) -> np.ndarray:
        return self._exchange(buffer)[src].copy()

    def _barrier(self) -> None:
        self._group.barrier.wait()
