"""The launcher: results in rank order, a worker's traceback in the error, a timeout, and never a process left."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from batchkit.distributed import (WorkerError, WorkerTimeoutError, launch, measure_allreduce, ring_allreduce_seconds,
                                  run_simulated)
from batchkit.distributed.allreduce_cost import AllReduceTiming
from batchkit.distributed.launcher import import_worker, worker_reference

TORCH_REASON = ('torch is not installed: pip install "batchkit-lessons[distributed]" (CPU build: pip install torch '
                "--index-url https://download.pytorch.org/whl/cpu) to run the multi-process tests")


def assert_all_ended(pids):
    """No process of ``pids`` exists any more (psutil if installed, else signal 0, which only checks existence)."""
    assert pids
    try:
        import psutil
    except ImportError:
        psutil = None
    for pid in pids:
        if psutil is not None:
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, pid
        else:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason=TORCH_REASON)


def test_results_come_back_in_rank_order_and_the_processes_end(torch):
    """Through a tcp:// init method here; every other launch uses the default env:// (torchrun's)."""
    from batchkit.distributed.launcher import free_port

    results = launch("batchkit.distributed.workers:hello_worker", 2, timeout=60,
                     init_method=f"tcp://127.0.0.1:{free_port()}")
    assert [r["rank"] for r in results] == [0, 1] and {r["world_size"] for r in results} == {2}
    assert [r["sum_of_ranks"] for r in results] == [1.0, 1.0]  # one all-reduce: 0 + 1 on every rank
    assert len({r["pid"] for r in results} | {os.getpid()}) == 3  # two processes of their own
    assert_all_ended([r["pid"] for r in results])


def test_a_raising_worker_reports_its_traceback_and_leaves_no_process(torch):
    """Rank 1 raises while rank 0 waits in an all-reduce for it: rank 0 must not hang."""
    with pytest.raises(WorkerError) as caught:
        launch("batchkit.distributed.workers:raising_worker", 2, timeout=60)
    error = caught.value
    assert error.rank == 1
    message = str(error)
    assert "worker rank 1 of 2" in message and "ValueError: rank 1 fails on purpose" in message
    assert "Traceback (most recent call last)" in message and 'workers.py", line' in message  # the full traceback
    assert_all_ended(error.pids)


def test_a_crash_without_traceback_shows_the_end_of_its_output(torch):
    with pytest.raises(WorkerError, match="exited with status 3 without a result") as caught:
        launch("batchkit.distributed.workers:raising_worker", 2, args={"failing_rank": 0, "crash": True}, timeout=60)
    assert caught.value.rank == 0 and "rank 0 is about to crash" in str(caught.value)
    assert_all_ended(caught.value.pids)


def test_a_timeout_stops_every_worker(torch):
    with pytest.raises(WorkerTimeoutError, match="did not finish within 2.5 s") as caught:
        launch("batchkit.distributed.workers:sleeping_worker", 2, args={"seconds": 120}, timeout=2.5)
    assert caught.value.running == [0, 1]
    assert_all_ended(caught.value.pids)


def test_the_entry_point_runs_under_torchrun(torch, tmp_path):
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    if torchrun is None:
        pytest.skip("torchrun is not next to this Python")
    command = [torchrun, "--standalone", "--nnodes", "1", "--nproc-per-node", "2", "-m", "batchkit.distributed.run",
               "batchkit.distributed.workers:linreg_worker", "--kwargs",
               json.dumps({"n": 64, "per_worker_batch": 4, "epochs": 1, "learning_rate": 0.1, "seed": 0}),
               "--output", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=os.getcwd())
    assert done.returncode == 0, done.stderr[-3000:]
    import pickle

    from batchkit.datasets import synthetic_line
    from batchkit.training import train

    runs = [pickle.loads((tmp_path / f"result-{rank}.pkl").read_bytes()) for rank in range(2)]
    x, y = synthetic_line(64, seed=0)
    reference = train(x, y, batch_size=8, epochs=1, learning_rate=0.1, seed=0)
    for run in runs:
        np.testing.assert_allclose(run.theta, reference.theta, rtol=0, atol=1e-10)


def test_measure_allreduce_times_real_messages(torch):
    timing = measure_allreduce((1_000, 100_000), repeats=3)
    assert timing.seconds.shape == (2,) and np.all(timing.seconds > 0) and timing.world_size == 2
    latency, bandwidth = timing.fit_ring_model()
    assert latency >= 0 and bandwidth > 0
    assert "ring model fit" in timing.table()


def test_the_ring_model_and_its_fit():
    k, alpha, beta = 4, 50e-6, 2e9
    sizes = np.array([1e3, 1e5, 1e7])
    seconds = ring_allreduce_seconds(sizes, k, beta, alpha)
    np.testing.assert_allclose(seconds, 6 * alpha + 1.5 * sizes / beta)
    timing = AllReduceTiming(elements=(sizes / 8).astype(np.int64), seconds=seconds, world_size=k, dtype="float64")
    np.testing.assert_allclose(timing.fit_ring_model(), (alpha, beta), rtol=1e-9)
    np.testing.assert_allclose(timing.bus_bandwidth[-1], beta, rtol=0.05)  # large messages: close to β
    simulated = measure_allreduce((10, 1000), simulated=True, repeats=2)
    assert np.all(simulated.seconds > 0)


def notebook_like(communicator):
    return communicator.rank * 10


def test_workers_must_be_importable_by_name():
    assert worker_reference("batchkit.distributed.workers:hello_worker") == "batchkit.distributed.workers:hello_worker"
    from batchkit.distributed.workers import hello_worker

    assert worker_reference(hello_worker) == "batchkit.distributed.workers:hello_worker"
    assert import_worker("batchkit.distributed.workers:hello_worker") is hello_worker
    with pytest.raises(ValueError, match="inside a function"):
        worker_reference(lambda communicator: 0)

    def local(communicator):
        return 0

    with pytest.raises(ValueError, match="module files"):
        launch(local, 2)
    local.__module__, local.__qualname__ = "__main__", "local"
    with pytest.raises(ValueError, match=r"in __main__ \(a notebook"):
        worker_reference(local)
    with pytest.raises(ValueError, match="'package.module:function'"):
        launch("hello_worker", 2)
    with pytest.raises(TypeError, match="worker must be"):
        launch(42, 2)
    assert run_simulated(notebook_like, 3) == [0, 10, 20]  # threads need no import: any function will do


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(timeout=0), ValueError, "timeout"),
    (dict(args=[1, 2]), TypeError, "args must be a dict"),
    (dict(blas_threads=0), ValueError, "blas_threads"),
    (dict(backend="Gloo"), ValueError, "backend must be one of"),
    (dict(init_method=29500), TypeError, "init_method"),
])
def test_bad_launch_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        launch("batchkit.distributed.workers:hello_worker", 2, **kwargs)


def test_simulated_errors_and_timeouts():
    with pytest.raises(WorkerError, match="rank 1 fails on purpose") as caught:
        run_simulated("batchkit.distributed.workers:raising_worker", 2, timeout=10)
    assert caught.value.rank == 1 and "Traceback" in caught.value.traceback
    with pytest.raises(WorkerTimeoutError, match="did not finish within 0.2 s"):
        run_simulated("batchkit.distributed.workers:sleeping_worker", 2, args={"seconds": 0.6}, timeout=0.2)


def test_without_torch_the_package_imports_and_says_how_to_install():
    """torch made unimportable (sys.modules["torch"] = None) in a fresh interpreter."""
    code = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None
        import batchkit, batchkit.distributed as d
        assert d.run_simulated("batchkit.distributed.workers:hello_worker", 2)[1]["sum_of_ranks"] == 1.0
        for call in (lambda: d.launch("batchkit.distributed.workers:hello_worker", 2),
                     lambda: d.measure_allreduce((10, 100)),
                     lambda: d.TorchCommunicator()):
            try:
                call()
            except ImportError as error:
                assert isinstance(error, d.TorchMissingError), type(error)
                print(error)
            else:
                raise AssertionError("no ImportError")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 3
    for line in lines:
        assert 'pip install "batchkit-lessons[distributed]"' in line
        assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in line


def test_import_batchkit_distributed_loads_no_torch():
    code = "import sys, batchkit.distributed; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
