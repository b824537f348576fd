"""Data-parallel training on k workers reproduces one process with a global batch of k·b, parameter for parameter.

Fast checks use the simulated communicator (threads, no torch); the ``real`` ones launch 2 gloo processes and also
check that the two communicators give the same numbers.
"""

import numpy as np
import pytest

from batchkit.datasets import synthetic_line
from batchkit.distributed import SimulatedGroup, launch, model_state, run_simulated, train_linreg, train_mlp
from batchkit.distributed.workers import synthetic_classes
from batchkit.mlp import MLP
from batchkit.sampling import iter_epochs
from batchkit.training import train

TORCH_REASON = ('torch is not installed: pip install "batchkit-lessons[distributed]" (CPU build: pip install torch '
                "--index-url https://download.pytorch.org/whl/cpu) to run the real multi-process tests")
TOL = 1e-10
X_LINE, Y_LINE = synthetic_line(52, seed=1)  # 52 = 6·8 + 4: the last global batch of 8 is short, 2 per worker
LINREG = dict(per_worker_batch=4, epochs=3, learning_rate=0.1, seed=7)
SIZES = [5, 16, 16, 3]
X_CLASSES, LABELS = synthetic_classes(64, SIZES[0], SIZES[-1], seed=0)
MLP_SETTINGS = dict(sizes=SIZES, activation="relu", per_worker_batch=4, epochs=2, learning_rate=0.3, seed=3)


def single_process_mlp(global_batch: int, epochs: int = 2, seed: int = 3, model_seed: int = 0) -> dict:
    """Lesson 05's MLP with BatchNorm1d trained by plain mini-batch SGD on global batches: the reference."""
    model = MLP(SIZES, "relu", batchnorm=True, seed=model_seed)
    for batches in iter_epochs(len(X_CLASSES), global_batch, epochs, seed=seed):
        for index in batches:
            _, dW, db = model.loss_and_gradients(X_CLASSES[index], LABELS[index])
            model.sgd_step(dW, db, 0.3)
    return model_state(model)


def assert_states_close(state, reference, tol=TOL):
    assert state.keys() == reference.keys()
    for name in reference:
        np.testing.assert_allclose(state[name], reference[name], rtol=0, atol=tol, err_msg=name)


@pytest.mark.parametrize("world_size", [1, 2, 4])
def test_linreg_on_k_workers_is_train_with_batch_k_times_b(world_size):
    runs = run_simulated("batchkit.distributed.workers:linreg_worker", world_size,
                         args=dict(X=X_LINE, y=Y_LINE, **LINREG))
    reference = train(X_LINE, Y_LINE, batch_size=world_size * 4, epochs=3, learning_rate=0.1, seed=7)
    for run in runs:  # every rank holds the same parameters after every step
        np.testing.assert_allclose(run.theta, reference.theta, rtol=0, atol=TOL)
        np.testing.assert_allclose(run.batch_loss, reference.batch_loss, rtol=0, atol=TOL)
    assert runs[0].global_batch.sum() == 3 * len(X_LINE)


@pytest.mark.parametrize("world_size", [2, 4])
def test_mlp_with_synchronized_bn_is_the_single_process_run(world_size):
    states = [r["state"] for r in run_simulated("batchkit.distributed.workers:mlp_worker", world_size,
                                                args=dict(X=X_CLASSES, labels=LABELS, **MLP_SETTINGS))]
    reference = single_process_mlp(4 * world_size)
    for state in states:  # weights, biases, γ, β and the running statistics, on every rank
        assert_states_close(state, reference)


def test_mlp_with_local_bn_differs_from_the_single_process_run():
    """Each worker normalizes with its own shard's mean and variance (4 samples, not the global 8), so its
    activations, and hence the gradients, are not those of the global batch: averaging the workers' gradients
    gives the mean of k smaller-batch BN gradients, not the global-batch gradient. With one worker the same code
    is the single-process run again, so the difference comes from the shard statistics alone."""
    local = dict(MLP_SETTINGS, sync_batchnorm=False)
    two = run_simulated("batchkit.distributed.workers:mlp_worker", 2, args=dict(X=X_CLASSES, labels=LABELS, **local))
    reference = single_process_mlp(8)
    gap = max(np.max(np.abs(two[0]["state"][name] - reference[name])) for name in reference)
    assert gap > 1e-3
    one = run_simulated("batchkit.distributed.workers:mlp_worker", 1, args=dict(
        X=X_CLASSES, labels=LABELS, **dict(local, per_worker_batch=8)))
    assert_states_close(one[0]["state"], reference)


def test_local_bn_gradient_is_the_mean_of_the_shard_gradients():
    """One step with local BN: exactly the average of what one process computes on each shard by itself."""
    X, labels = X_CLASSES[:8], LABELS[:8]
    step = dict(per_worker_batch=4, epochs=1, learning_rate=0.3, shuffle=False, sync_batchnorm=False)

    def worker(communicator):
        model = MLP(SIZES, "relu", batchnorm=True, seed=0)
        train_mlp(communicator, model, X, labels, **step)
        return model_state(model)

    state = run_simulated(worker, 2)[0]
    shards = [MLP(SIZES, "relu", batchnorm=True, seed=0) for _ in range(2)]  # one process per shard, by itself
    gradients = [model.loss_and_gradients(X[r::2], labels[r::2]) for r, model in enumerate(shards)]
    reference = MLP(SIZES, "relu", batchnorm=True, seed=0)
    for k, norm in enumerate(reference.norms[:-1]):  # a loop over the two BN layers
        norm.dgamma = (shards[0].norms[k].dgamma + shards[1].norms[k].dgamma) / 2
        norm.dbeta = (shards[0].norms[k].dbeta + shards[1].norms[k].dbeta) / 2
    reference.sgd_step([(a + b) / 2 for a, b in zip(gradients[0][1], gradients[1][1])],
                       [(a + b) / 2 for a, b in zip(gradients[0][2], gradients[1][2])], 0.3)
    expected = model_state(reference)
    for name in ("W0", "W1", "W2", "gamma0", "beta0", "gamma1", "beta1"):
        np.testing.assert_allclose(state[name], expected[name], rtol=0, atol=TOL, err_msg=name)


@pytest.fixture(scope="module")
def real_runs():
    """One linear-regression and one MLP (synchronized BN) run on 2 gloo processes, in one launch."""
    pytest.importorskip("torch", reason=TORCH_REASON)
    runs = [("batchkit.distributed.workers:linreg_worker", dict(X=X_LINE, y=Y_LINE, **LINREG)),
            ("batchkit.distributed.workers:mlp_worker", dict(X=X_CLASSES, labels=LABELS, **MLP_SETTINGS))]
    per_rank = launch("batchkit.distributed.workers:sequence_worker", 2, args={"runs": runs}, timeout=60)
    return [rank[0] for rank in per_rank], [rank[1] for rank in per_rank]  # (linreg runs, mlp results) by rank


def test_real_linreg_is_train_with_batch_2b(real_runs):
    reference = train(X_LINE, Y_LINE, batch_size=8, epochs=3, learning_rate=0.1, seed=7)
    for run in real_runs[0]:
        np.testing.assert_allclose(run.theta, reference.theta, rtol=0, atol=TOL)
    assert np.all(real_runs[0][0].communication_seconds > 0)


def test_real_mlp_with_synchronized_bn_is_the_single_process_run(real_runs):
    reference = single_process_mlp(8)
    for result in real_runs[1]:
        assert_states_close(result["state"], reference)


def test_the_simulated_communicator_gives_the_real_numbers(real_runs):
    linreg = run_simulated("batchkit.distributed.workers:linreg_worker", 2, args=dict(X=X_LINE, y=Y_LINE, **LINREG))
    mlp = run_simulated("batchkit.distributed.workers:mlp_worker", 2,
                        args=dict(X=X_CLASSES, labels=LABELS, **MLP_SETTINGS))
    for rank in range(2):
        np.testing.assert_allclose(linreg[rank].theta, real_runs[0][rank].theta, rtol=0, atol=1e-12)
        assert_states_close(mlp[rank]["state"], real_runs[1][rank]["state"], tol=1e-12)


def one_rank():
    return SimulatedGroup(1).communicators()[0]


@pytest.mark.parametrize("change, error, match", [
    (dict(per_worker_batch=0), ValueError, "per_worker_batch"),
    (dict(per_worker_batch=1.0), TypeError, "per_worker_batch"),
    (dict(learning_rate=-0.1), ValueError, "learning_rate"),
    (dict(seed=None), TypeError, "same seed"),
    (dict(y=np.zeros(3)), ValueError, "y has shape"),
    (dict(X=np.full((52, 1), np.nan)), ValueError, "non-finite"),
])
def test_bad_linreg_inputs(change, error, match):
    arguments = dict(dict(X=X_LINE, y=Y_LINE, **LINREG), **change)
    with pytest.raises(error, match=match):
        train_linreg(one_rank(), **arguments)


@pytest.mark.parametrize("change, match", [
    (dict(per_worker_batch=1, sync_batchnorm=False), "local batch norm needs at least 2 samples per worker"),
    # 61 = 20·3 + 1: the last step of every epoch would normalize a single sample
    (dict(X=X_CLASSES[:61], labels=LABELS[:61], per_worker_batch=3, sync_batchnorm=False), "local batch norm"),
    (dict(per_worker_batch=1, sync_batchnorm=True), "at least 2 samples in the global batch"),
    (dict(labels=LABELS[:10]), "one class per sample"),
    (dict(learning_rate=0.0), "learning_rate"),
])
def test_bad_mlp_inputs_are_refused_before_any_change(change, match):
    arguments = dict(dict(X=X_CLASSES, labels=LABELS, per_worker_batch=4, epochs=1, learning_rate=0.1, seed=0),
                     **change)
    model = MLP(SIZES, "relu", batchnorm=True, seed=0)
    before = model_state(model)
    with pytest.raises(ValueError, match=match):
        train_mlp(one_rank(), model, **arguments)
    assert_states_close(model_state(model), before, tol=0)
    assert all(type(norm).__name__ == "BatchNorm1d" for norm in model.norms[:-1])  # not converted either


@pytest.mark.parametrize("world_size, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError)])
def test_bad_world_sizes(world_size, error):
    with pytest.raises(error, match="world_size"):
        run_simulated("batchkit.distributed.workers:hello_worker", world_size)
    with pytest.raises(error, match="world_size"):
        launch("batchkit.distributed.workers:hello_worker", world_size)
