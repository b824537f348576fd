"""Lesson 05's MLP and softmax cross-entropy: gradients checked numerically and against torch."""

import numpy as np
import pytest

from batchkit.gradcheck import numerical_gradient, rel_error
from batchkit.losses import softmax, softmax_cross_entropy
from batchkit.mlp import MLP


def test_cross_entropy_gradient_and_values():
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    loss, dlogits = softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(-np.mean(np.log(softmax(logits)[np.arange(5), labels])))
    numeric = numerical_gradient(lambda: softmax_cross_entropy(logits, labels)[0], logits)
    assert rel_error(dlogits, numeric) < 1e-8
    assert np.isfinite(softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))[0])


def test_cross_entropy_label_errors():
    with pytest.raises(ValueError, match="labels must be integers from 0 to 2"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="logits have 2 rows but labels has 3"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))


@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backward_passes_the_gradient_check(activation, batchnorm):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    model = MLP([4, 6, 5, 3], activation=activation, batchnorm=batchnorm, seed=2)
    _, dW, db = model.loss_and_gradients(X, y)
    for k in range(model.depth):
        numeric = numerical_gradient(lambda: softmax_cross_entropy(model.forward(X), y)[0], model.weights[k])
        assert rel_error(dW[k], numeric) < 1e-7, (activation, batchnorm, k)
    if batchnorm:
        norm = model.norms[0]
        model.loss_and_gradients(X, y)
        numeric = numerical_gradient(lambda: softmax_cross_entropy(model.forward(X), y)[0], norm.gamma)
        assert rel_error(norm.dgamma, numeric) < 1e-7


def test_batchnorm_sits_after_hidden_layers_only_and_eval_is_per_sample():
    model = MLP([4, 6, 6, 3], batchnorm=True)
    assert [n is not None for n in model.norms] == [True, True, False]
    X = np.random.default_rng(3).standard_normal((10, 4))
    model.forward(X)
    model.eval()
    np.testing.assert_allclose(model.forward(X[:1]), model.forward(X)[:1])
    model.train()
    with pytest.raises(ValueError, match="needs more than 1 sample per batch"):
        model.forward(X[:1])


def test_bad_sizes():
    with pytest.raises(ValueError, match="sizes must list at least an input and an output size"):
        MLP([4])
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP([4, 2], activation="swish")


def test_train_classifier_records_and_learns_on_digits():
    from batchkit.datasets import digits_split
    from batchkit.mlp import train_classifier

    X_train, X_test, y_train, y_test = digits_split()
    assert X_train.shape == (1348, 64) and X_test.shape == (449, 64) and X_train.max() <= 1.0
    model = MLP([64, 32, 32, 10], activation="tanh", batchnorm=True, seed=0)
    history = train_classifier(model, X_train, y_train, batch_size=32, epochs=3, learning_rate=0.5,
                               X_test=X_test, y_test=y_test, seed=1)
    assert history.loss.shape == (4,) and history.gradient_norms.shape == (4, 3)
    assert history.activation_quantiles.shape == (4, 2, 5)
    assert history.test_accuracy[-1] > 0.85 and history.loss[-1] < history.loss[0]
    assert history.diverged_at is None


def test_train_classifier_reports_divergence():
    from batchkit.datasets import digits_split
    from batchkit.mlp import train_classifier

    X_train, X_test, y_train, y_test = digits_split()
    model = MLP([64, 32, 10], activation="relu", init_scale=3.0, seed=0)
    history = train_classifier(model, X_train, y_train, batch_size=32, epochs=5, learning_rate=1e5,
                               X_test=X_test, y_test=y_test, seed=1)
    assert history.diverged_at is not None and len(history.loss) == history.diverged_at + 1


@pytest.mark.parametrize("batchnorm", [False, True])
def test_forward_keeps_every_hidden_linear_output_and_activation_input(batchnorm):
    model = MLP([4, 6, 5, 3], activation="tanh", batchnorm=batchnorm, seed=1)
    X = np.random.default_rng(2).standard_normal((8, 4))
    model.forward(X)
    assert [z.shape for z in model.linear_outputs] == [(8, 6), (8, 5)]
    np.testing.assert_allclose(model.linear_outputs[0], X @ model.weights[0].T + model.biases[0])
    for z, a in zip(model.linear_outputs, model.activation_inputs):
        if batchnorm:  # BN's output: batch mean β = 0 and standard deviation γ = 1 per feature, by construction
            np.testing.assert_allclose(a.mean(axis=0), 0.0, atol=1e-12)
            np.testing.assert_allclose(a, (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5))
        else:
            assert a is z


def test_measure_sees_a_copy_and_leaves_training_unchanged():
    from batchkit.datasets import digits_split
    from batchkit.mlp import train_classifier

    X_train, X_test, y_train, y_test = digits_split()
    calls = []

    def measure(model, X, y):  # changes its copy as much as it likes
        calls.append(len(X))
        model.weights[0][:] = 0.0
        model.forward(X)
        return {"first": model.linear_outputs[0][:2, :3].copy(), "epochless": np.float64(len(calls))}

    runs = []
    for hook in (None, measure):
        model = MLP([64, 16, 16, 10], activation="tanh", batchnorm=True, seed=4)
        runs.append((train_classifier(model, X_train, y_train, batch_size=64, epochs=2, learning_rate=0.3,
                                      X_test=X_test, y_test=y_test, seed=5, probe_size=100, measure=hook), model))
    (plain, plain_model), (measured, measured_model) = runs
    for name in ("loss", "train_accuracy", "test_accuracy", "gradient_norms", "activation_quantiles"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(measured, name))
    assert calls == [100, 100, 100] and plain.measurements == {}
    assert measured.measurements["first"].shape == (3, 2, 3)
    np.testing.assert_array_equal(measured.measurements["epochless"], [1.0, 2.0, 3.0])
    assert measured.train_accuracy[-1] == measured_model.accuracy(X_train, y_train)
