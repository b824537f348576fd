"""What an all-reduce costs: measured between real processes, and the ring model that explains it.

In a **ring all-reduce** each of ``k`` workers sends and receives ``2(k-1)`` chunks of ``S/k`` bytes (``k-1``
steps that reduce, ``k-1`` that gather the results), so one all-reduce of ``S`` bytes takes about::

    t(S) = 2(k-1) α + 2(k-1)/k · S / β         α: latency of one message, β: bandwidth of one link (bytes/s)

Small messages pay the latency (the time is flat in S); large ones pay the bandwidth (the time grows like S). The
**bus bandwidth** ``2(k-1)/k · S / t`` (NCCL's name) approaches β for large S, whatever k. gloo on one machine
sends over the loopback interface, so β here is a memory-copy speed, not a network's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_positive_int, check_real


def ring_allreduce_seconds(message_bytes: np.ndarray | float, world_size: int, bandwidth: float,
                           latency: float = 0.0) -> np.ndarray:
    """The ring model's time of one all-reduce: ``2(k-1) α + 2(k-1)/k · S / β``.

    Parameters
    ----------
    message_bytes : float or numpy.ndarray
        ``S``, bytes per worker.
    world_size : int
        ``k``.
    bandwidth : float
        ``β``, bytes per second.
    latency : float
        ``α``, seconds per message.

    Returns
    -------
    numpy.ndarray, the shape of ``message_bytes``
    """
    k = check_positive_int("world_size", world_size)
    check_real("bandwidth", bandwidth, low=0.0)
    check_real("latency", latency, low=0.0, low_inclusive=True)
    return 2 * (k - 1) * latency + 2 * (k - 1) / k * np.asarray(message_bytes, dtype=np.float64) / bandwidth


@dataclass
class AllReduceTiming:
    """Seconds per all-reduce against message size.

    Attributes
    ----------
    elements : numpy.ndarray of int, shape (m,)
    seconds : numpy.ndarray, shape (m,)
        The slowest rank's median: the step waits for it.
    world_size : int
    dtype : str
    """

    elements: np.ndarray
    seconds: np.ndarray
    world_size: int
    dtype: str

    @property
    def message_bytes(self) -> np.ndarray:
        """``S`` of every measurement, shape (m,)."""
        return self.elements * np.dtype(self.dtype).itemsize

    @property
    def bus_bandwidth(self) -> np.ndarray:
        """``2(k-1)/k · S / t`` in bytes per second, shape (m,) (0 for one worker, who sends nothing)."""
        k = self.world_size
        return 2 * (k - 1) / k * self.message_bytes / self.seconds

    def fit_ring_model(self) -> tuple[float, float]:
        """Least-squares ``(α, β)`` of the ring model on these measurements (needs two sizes or more, k >= 2).

        Returns
        -------
        latency : float
            Seconds per message.
        bandwidth : float
            Bytes per second.
        """
        k = self.world_size
        if k < 2 or len(self.elements) < 2:
            raise ValueError("fitting the ring model needs world_size >= 2 and at least two message sizes")
        # t = 2(k-1) α + (2(k-1)/k · S) · (1/β): linear in α and 1/β. Relative errors are what matter over sizes
        # spanning decades, so every row is divided by its t. Both unknowns must be >= 0: when noise makes one
        # negative, the other is fitted alone (a flat curve over small messages gives β = infinity).
        design = np.column_stack([np.full(len(self.seconds), 2.0 * (k - 1)), 2 * (k - 1) / k * self.message_bytes])
        design, target = design / self.seconds[:, None], np.ones(len(self.seconds))
        solution = np.linalg.lstsq(design, target, rcond=None)[0]
        if np.any(solution < 0):
            fits = [np.linalg.lstsq(design[:, [j]], target, rcond=None)[0][0] for j in (0, 1)]
            residuals = [np.sum((design[:, j] * fits[j] - target) ** 2) for j in (0, 1)]
            solution = np.zeros(2)
            solution[int(np.argmin(residuals))] = fits[int(np.argmin(residuals))]
        latency, inverse_bandwidth = solution
        return float(latency), float(1.0 / inverse_bandwidth) if inverse_bandwidth > 0 else float("inf")

    def table(self) -> str:
        """One line per size: elements, bytes, measured time, bus bandwidth, and the fitted ring model's time."""
        latency, bandwidth = self.fit_ring_model()
        model = (ring_allreduce_seconds(self.message_bytes, self.world_size, bandwidth, latency) if np.isfinite(bandwidth)
                 else np.full(len(self.elements), 2 * (self.world_size - 1) * latency))
        lines = [f"all-reduce of {self.dtype}, {self.world_size} workers; ring model fit: α = {latency * 1e6:.0f} µs, "
                 f"β = {bandwidth / 1e9:.2f} GB/s",
                 f"{'elements':>10} {'bytes':>10} {'measured ms':>12} {'bus GB/s':>9} {'model ms':>9}"]
        for row in zip(self.elements, self.message_bytes, self.seconds, self.bus_bandwidth, model):
            elements, size, seconds, bus, predicted = row
            lines.append(f"{elements:>10,} {size:>10,} {seconds * 1e3:>12.3f} {bus / 1e9:>9.2f} {predicted * 1e3:>9.3f}")
        return "\n".join(lines)


def measure_allreduce(elements=(1_000, 10_000, 100_000), *, world_size: int = 2, dtype: str = "float64",
                      repeats: int = 5, timeout: float = 60.0, simulated: bool = False) -> AllReduceTiming:
    """Time ``torch.distributed`` all-reduces (gloo, 127.0.0.1) of growing messages in ``world_size`` processes.

    A few seconds with the default sizes, most of it the processes' start-up. ``simulated=True`` times the
    threads of :func:`~batchkit.distributed.launcher.run_simulated` instead (no torch needed; a memory copy).

    Parameters
    ----------
    elements : sequence of int
        Message sizes, in elements.
    world_size : int
    dtype : {"float32", "float64"}
    repeats : int
        Timed all-reduces per size (after two untimed ones); the median is kept.
    timeout : float
        Seconds for the whole measurement.

    Returns
    -------
    AllReduceTiming
    """
    from .launcher import launch, run_simulated  # (the launcher imports this package's other modules)

    # 1e6 is a float: accept whole floats, so that sizes can be written as powers of ten
    elements = np.array([check_positive_int(f"elements[{j}]", int(e) if isinstance(e, float) and e.is_integer() else e)
                         for j, e in enumerate(elements)], dtype=np.int64)
    check_choice("dtype", dtype, ("float32", "float64"))
    args = {"sizes": elements.tolist(), "dtype": dtype, "repeats": check_positive_int("repeats", repeats)}
    start = run_simulated if simulated else launch
    per_rank = start("batchkit.distributed.workers:allreduce_timing_worker", world_size, args=args, timeout=timeout)
    return AllReduceTiming(elements, np.max(per_rank, axis=0), world_size, dtype)
