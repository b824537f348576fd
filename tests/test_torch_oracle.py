"""Oracle: batch counts and sizes agree with PyTorch's DataLoader (skipped when torch is absent)."""

import numpy as np
import pytest

import batchkit as bk

torch = pytest.importorskip("torch", reason="torch is not installed: pip install torch --index-url "
    "https://download.pytorch.org/whl/cpu (the CPU-only build) to run the DataLoader oracle")
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_counts_and_sizes_match_dataloader(shuffle, drop_last):
    generator = torch.Generator().manual_seed(0)
    for n in [1, 2, 7, 10, 31, 64, 100]:
        dataset = TensorDataset(torch.arange(n))
        for b in [1, 2, 3, 8, 10, 32, 64, 99, 100, 150]:
            loader = DataLoader(dataset, batch_size=b, shuffle=shuffle, drop_last=drop_last, generator=generator)
            torch_sizes = [len(batch[0]) for batch in loader]
            if drop_last and b > n:
                assert torch_sizes == []  # PyTorch silently yields nothing; batchkit says why
                with pytest.raises(ValueError, match="zero batches"):
                    bk.batch_sizes(n, b, drop_last)
                continue
            assert len(loader) == bk.batches_per_epoch(n, b, drop_last), (n, b, drop_last)
            assert torch_sizes == bk.batch_sizes(n, b, drop_last).tolist(), (n, b, drop_last)
            ours = [len(x) for x in bk.epoch_batch_indices(n, b, shuffle=shuffle, drop_last=drop_last, seed=0)]
            assert ours == torch_sizes


def test_every_sample_once_per_epoch_in_both():
    dataset = TensorDataset(torch.arange(50))
    loader = DataLoader(dataset, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(1))
    torch_order = np.concatenate([batch[0].numpy() for batch in loader])
    ours = np.concatenate(bk.epoch_batch_indices(50, 8, seed=1))
    np.testing.assert_array_equal(np.sort(torch_order), np.sort(ours))


def test_linear_forward_and_backward_match_torch():
    from batchkit.linear import linear_backward, linear_forward

    rng = np.random.default_rng(2)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    dZ = rng.standard_normal((5, 3))
    tX, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    tZ = torch.nn.functional.linear(tX, tW, tb)
    tZ.backward(torch.tensor(dZ))
    np.testing.assert_allclose(linear_forward(X, W, b), tZ.detach().numpy(), rtol=1e-12, atol=1e-12)
    dX, dW, db = linear_backward(dZ, X, W)
    for ours, theirs in [(dX, tX), (dW, tW), (db, tb)]:
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 7, 50])
def test_sgd_trajectory_matches_torch_optim_sgd(batch_size):
    from batchkit.training import train

    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((50, 3)), rng.standard_normal(50)
    theta0 = rng.standard_normal(4)
    history = train(X, y, batch_size=batch_size, epochs=3, learning_rate=0.05, theta0=theta0, seed=9)

    weights = torch.tensor(theta0[1:], dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(theta0[:1], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([bias, weights], lr=0.05)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)
    trajectory = [theta0]
    for batches in bk.iter_epochs(50, batch_size, 3, seed=9):  # the very batch order train() used
        for index in batches:
            index = torch.from_numpy(index)
            optimizer.zero_grad()
            residual = tX[index] @ weights + bias - ty[index]
            (0.5 * (residual**2).mean()).backward()  # J = 1/(2m) Σ (h - y)²
            optimizer.step()
            trajectory.append(np.concatenate([bias.detach().numpy(), weights.detach().numpy()]))
    np.testing.assert_allclose(history.theta, np.array(trajectory), rtol=0, atol=1e-10)


def test_batchnorm1d_matches_torch_in_train_and_eval():
    from batchkit.batchnorm import BatchNorm1d

    rng = np.random.default_rng(5)
    ours, theirs = BatchNorm1d(4), torch.nn.BatchNorm1d(4).double()
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    ours.gamma, ours.beta = gamma.copy(), beta.copy()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(gamma))
        theirs.bias.copy_(torch.from_numpy(beta))
    for step in range(6):  # several training steps: the running statistics accumulate
        x = rng.normal(3.0, 2.0, (8, 4))
        dout = rng.standard_normal((8, 4))
        tx = torch.tensor(x, requires_grad=True)
        theirs.zero_grad()
        tout = theirs(tx)
        tout.backward(torch.from_numpy(dout))
        out = ours(x)
        dx = ours.backward(dout)
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.dgamma, theirs.weight.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.dbeta, theirs.bias.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=0, atol=1e-10)
    ours.eval()
    theirs.eval()
    x = rng.normal(3.0, 2.0, (5, 4))
    with torch.no_grad():
        np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).numpy(), rtol=0, atol=1e-10)


def test_torch_also_refuses_a_training_batch_of_one():
    from batchkit.batchnorm import BatchNorm1d

    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        torch.nn.BatchNorm1d(3)(torch.ones(1, 3))
    with pytest.raises(ValueError, match="needs more than 1 sample per batch"):
        BatchNorm1d(3)(np.ones((1, 3)))


def test_mlp_with_batchnorm_matches_torch():
    from batchkit.mlp import MLP

    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((16, 5)), rng.integers(0, 3, 16)
    ours = MLP([5, 7, 3], activation="tanh", batchnorm=True, seed=7)
    linear1, linear2 = torch.nn.Linear(5, 7).double(), torch.nn.Linear(7, 3).double()
    norm = torch.nn.BatchNorm1d(7).double()
    with torch.no_grad():
        for layer, W, b in [(linear1, ours.weights[0], ours.biases[0]), (linear2, ours.weights[1], ours.biases[1])]:
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
    model = torch.nn.Sequential(linear1, norm, torch.nn.Tanh(), linear2)
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    our_loss, dW, db = ours.loss_and_gradients(X, y)
    assert our_loss == pytest.approx(loss.item(), abs=1e-12)
    np.testing.assert_allclose(dW[0], linear1.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(dW[1], linear2.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(db[1], linear2.bias.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.norms[0].dgamma, norm.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.norms[0].running_var, norm.running_var.numpy(), atol=1e-10)
