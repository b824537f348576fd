"""Bad input across batchkit's public API: a clear error that names the argument, raised before any work.

Each case is a call a student could plausibly make by mistake. The rule (DEVELOPERS.md, issue 14): the error is a
TypeError or ValueError whose message names the offending argument; a stateful object that rejects a call keeps the
state it had.
"""

import warnings

import numpy as np
import pytest

import batchkit as bk
from batchkit import (batch_ops, batch_size_study, batchnorm, bn_experiments, centering, conditioning, convnet,
                      counting, datasets, gradcheck, linear, linreg, losses, mlp, norm_layers, norm_statistics,
                      norm_sweep, normalization, sampling, seeds, sharpness, statistics, steps_to_target, timing,
                      training, tuning)
from batchkit._validation import NotFittedError

nan = float("nan")
X = np.random.default_rng(0).standard_normal((8, 3))
y = np.arange(8.0)
X1 = np.random.default_rng(0).standard_normal(8)
Xnan = X.copy()
Xnan[1, 1] = nan
labels = np.arange(8) % 3
IMAGES = np.random.default_rng(0).standard_normal((4, 3, 2, 2))  # (N, C, H, W) for the normalization layers
IMAGES_NAN = IMAGES.copy()
IMAGES_NAN[2, 1, 0, 1] = nan


def small_mlp():
    return mlp.MLP([3, 4, 3], seed=0)


DIGITS = np.random.default_rng(0).standard_normal((6, 64))  # six 8×8 "images" as rows, for the ConvNet
DIGIT_LABELS = np.arange(6)


def train_small_convnet(**changes):
    """train_convnet on DIGITS with one argument changed."""
    arguments = dict(model=convnet.ConvNet((2,), seed=0), X=DIGITS, y=DIGIT_LABELS, batch_size=2, epochs=1,
                     learning_rate=0.1, X_eval=DIGITS, y_eval=DIGIT_LABELS)
    return convnet.train_convnet(**(arguments | changes))


def after_forward(layer):
    """A normalization layer that has seen IMAGES, so that its backward can be called."""
    layer(IMAGES)
    return layer


CASES = [
 # (argument name expected in message, callable)
 ("n", lambda: counting.batches_per_epoch(0, 2)),
 ("batch_size", lambda: counting.batches_per_epoch(10, 2.0)),
 ("drop_last", lambda: counting.batches_per_epoch(10, 3, drop_last="yes")),
 ("epochs", lambda: counting.total_steps(10, 2, -1)),
 ("batch_size", lambda: sampling.epoch_batch_indices(10, 0)),
 ("seed", lambda: sampling.epoch_batch_indices(10, 2, seed=-1)),
 ("shuffle", lambda: sampling.epoch_batch_indices(10, 2, shuffle=None)),
 ("draws", lambda: sampling.expected_distinct_fraction(10, draws=-2)),
 ("batch_size", lambda: bk.BatchLoader(X, y, batch_size=0)),
 ("y", lambda: bk.BatchLoader(X, y[:3], batch_size=2)),
 ("layout", lambda: batch_ops.batch_sum(X, layout="cols")),
 ("v", lambda: batch_ops.batch_add(X, np.ones(4))),
 ("X", lambda: statistics.batch_mean_var(np.ones((2, 2, 2)))),
 ("ddof", lambda: statistics.batch_mean_var(X, ddof=-1)),
 ("sigma", lambda: statistics.batch_mean_std(-1.0, 100, 10)),
 ("sigma", lambda: statistics.batch_mean_std(nan, 100, 10)),
 ("batch_size", lambda: statistics.batch_mean_std(1.0, 100, 200)),
 ("batch_size", lambda: statistics.epoch_batch_means(X1, 0, 2)),
 ("X", lambda: centering.batch_center(np.ones((2, 2, 2)))),
 ("fit", lambda: centering.Centerer().transform(X)),
 ("X", lambda: centering.Centerer().fit(X).transform(np.ones((3, 5)))),
 ("learning_rate", lambda: conditioning.steps_to_tolerance(np.eye(2), np.ones(2), -1.0, 1e-6)),
 ("tolerance", lambda: conditioning.steps_to_tolerance(np.eye(2), np.ones(2), 0.5, 0.0)),
 ("H", lambda: conditioning.condition_number(np.ones((2, 3)))),
 ("offset", lambda: conditioning.offset_regression_data(nan)),
 ("n", lambda: conditioning.offset_regression_data(1.0, n=0)),
 ("W", lambda: linear.linear_forward(X, np.ones((4, 5)), np.ones(4))),
 ("b", lambda: linear.linear_forward(X, np.ones((4, 3)), np.ones(5))),
 ("dZ", lambda: linear.linear_backward(np.ones((8, 5)), X, np.ones((4, 3)))),
 ("theta", lambda: linreg.loss(np.ones(3), X1, y)),
 ("y", lambda: linreg.loss(np.ones(2), X1, y[:3])),
 ("X", lambda: linreg.least_squares(np.ones((0,)), np.ones(0))),
 ("batch_size", lambda: training.train(X1, y, batch_size=0, epochs=1, learning_rate=0.1)),
 ("learning_rate", lambda: training.train(X1, y, batch_size=2, epochs=1, learning_rate=-0.1)),
 ("learning_rate", lambda: training.train(X1, y, batch_size=2, epochs=1, learning_rate=nan)),
 ("X", lambda: training.train(np.where(np.arange(8) == 3, nan, X1), y, batch_size=2, epochs=1, learning_rate=0.1)),
 ("y", lambda: training.train(X1, np.where(np.arange(8) == 3, np.inf, y), batch_size=2, epochs=1, learning_rate=0.1)),
 ("schedule", lambda: training.learning_rates(0.1, 10, schedule="cosine")),
 ("decay", lambda: training.learning_rates(0.1, 10, schedule="inverse_time", decay=-1.0)),
 ("sizes", lambda: mlp.MLP([3])),
 ("sizes", lambda: mlp.MLP([3, 2.5, 2])),
 ("init_scale", lambda: mlp.MLP([3, 4, 3], init_scale=-1.0)),
 ("init_scale", lambda: mlp.MLP([3, 4, 3], init_scale=nan)),
 ("activation", lambda: mlp.MLP([3, 4, 3], activation="gelu")),
 ("batchnorm", lambda: mlp.MLP([3, 4, 3], batchnorm="yes")),
 ("X", lambda: small_mlp().forward(np.ones((8, 5)))),
 ("labels", lambda: small_mlp().loss_and_gradients(X, np.arange(8) + 5)),
 ("dW", lambda: small_mlp().sgd_step([np.ones((4, 3)), np.ones((2, 2))], [np.ones(4), np.ones(3)], 0.1)),
 ("learning_rate", lambda: small_mlp().sgd_step([np.ones((4, 3)), np.ones((3, 4))], [np.ones(4), np.ones(3)], nan)),
 ("batch_size", lambda: mlp.train_classifier(small_mlp(), X, labels, batch_size=0, epochs=1, learning_rate=0.1, X_test=X, y_test=labels)),
 ("learning_rate", lambda: mlp.train_classifier(small_mlp(), X, labels, batch_size=2, epochs=1, learning_rate=-0.1, X_test=X, y_test=labels)),
 ("X", lambda: mlp.train_classifier(small_mlp(), Xnan, labels, batch_size=2, epochs=1, learning_rate=0.1, X_test=X, y_test=labels)),
 ("y", lambda: mlp.train_classifier(small_mlp(), X, labels[:5], batch_size=2, epochs=1, learning_rate=0.1, X_test=X, y_test=labels)),
 ("logits", lambda: losses.softmax_cross_entropy(np.ones(3), np.zeros(3, int))),
 ("labels", lambda: losses.softmax_cross_entropy(np.ones((3, 2)), np.array([0, 1, 2]))),
 ("num_features", lambda: batchnorm.BatchNorm1d(0)),
 ("num_features", lambda: batchnorm.BatchNorm1d(2.5)),
 ("eps", lambda: batchnorm.batchnorm_forward(X, np.ones(3), np.zeros(3), eps=-1)),
 ("h", lambda: gradcheck.numerical_gradient(lambda: 0.0, X, h=0.0)),
 ("denominator", lambda: gradcheck.rel_error_per_entry(X, X, denominator="mean")),
 ("seeds", lambda: seeds.over_seeds(float, seeds=0)),
 ("repeats", lambda: timing.measure_throughput({"a": lambda b: None}, np.ones, [1, 2], repeats=0)),
 ("batch_sizes", lambda: timing.measure_throughput({"a": lambda b: None}, np.ones, [0, 2])),
 ("threads", lambda: timing.blas_thread_limit(0).__enter__()),
 ("batch_sizes", lambda: batch_size_study.memory_by_batch_size([0, 4])),
 ("validation_fraction", lambda: batch_size_study.digits_splits(1.5)),
 ("test_fraction", lambda: datasets.digits_split(0.0)),
 ("n", lambda: datasets.synthetic_line(0)),
 ("noise", lambda: datasets.synthetic_line(10, noise=-1.0)),
 ("max_steps", lambda: steps_to_target.train_to_target(4, 0.1, target=0.9, max_steps=0)),
 ("target", lambda: steps_to_target.train_to_target(4, 0.1, target=1.5, max_steps=10)),
 ("spacing", lambda: steps_to_target.checkpoint_steps(100, spacing=0.0)),
 ("epsilon", lambda: sharpness.hessian_vector_product(lambda t: t, np.ones(2), np.ones(2), epsilon=0.0)),
 ("iterations", lambda: sharpness.top_hessian_eigenvalue(lambda t: t, np.ones(2), iterations=0)),
 ("learning_rate", lambda: bn_experiments.train_deep(True, learning_rate=-1.0, epochs=1)),
 ("learning_rates_", lambda: tuning.rate_study(X1, y, batch_size=2, learning_rates_=[], epochs=1)),
 ("axes", lambda: normalization.normalize_forward(X, (2,))),
 ("axes", lambda: normalization.normalize_forward(X, (0, 0))),
 ("axes", lambda: normalization.normalize_forward(X, (0.5,))),
 ("eps", lambda: normalization.normalize_forward(X, (0,), eps=0.0)),
 ("dx_hat", lambda: normalization.normalize_backward(np.ones((3, 8)), normalization.normalize_forward(X, (0,))[1])),
 ("method", lambda: normalization.statistic_labels("weight", (2, 3, 4))),
 ("shape", lambda: normalization.statistic_labels("batch", (2, 3))),
 ("num_groups", lambda: normalization.statistic_labels("group", (2, 6, 4), groups=4)),
 ("num_groups", lambda: norm_layers.GroupNorm(4, 6)),
 ("num_groups", lambda: norm_layers.GroupNorm(2.0, 4)),
 ("num_channels", lambda: norm_layers.GroupNorm(1, 0)),
 ("affine", lambda: norm_layers.GroupNorm(1, 3, affine=1)),
 ("x", lambda: norm_layers.GroupNorm(1, 4)(IMAGES)),
 ("normalized_shape", lambda: norm_layers.LayerNorm((2, 3))(IMAGES)),
 ("normalized_shape", lambda: norm_layers.LayerNorm((3, 0))),
 ("elementwise_affine", lambda: norm_layers.LayerNorm(3, elementwise_affine="yes")),
 ("eps", lambda: norm_layers.LayerNorm(3, eps=-1e-5)),
 ("num_features", lambda: norm_layers.BatchNorm2d(0)),
 ("momentum", lambda: norm_layers.BatchNorm2d(3, momentum=1.5)),
 ("momentum", lambda: norm_layers.BatchNorm2d(3, momentum="0.1")),
 ("eps", lambda: norm_layers.BatchNorm2d(3, eps=nan)),
 ("x", lambda: norm_layers.BatchNorm2d(3)(IMAGES[:1, :, :1, :1])),
 ("x", lambda: norm_layers.BatchNorm2d(3)(IMAGES_NAN)),
 ("x", lambda: norm_layers.BatchNorm2d(3)(IMAGES[:, :2])),
 ("dout", lambda: after_forward(norm_layers.BatchNorm2d(3)).backward(np.ones((4, 3, 2)))),
 ("dout", lambda: after_forward(norm_layers.LayerNorm((3, 2, 2))).backward(np.ones((4, 3, 2, 3)))),
 ("dout", lambda: after_forward(norm_layers.GroupNorm(3, 3)).backward(np.ones((2, 3, 2, 2)))),
 ("sample", lambda: norm_statistics.batch_dependence(norm_layers.GroupNorm(1, 3), IMAGES, sample=2, other=2)),
 ("other", lambda: norm_statistics.batch_dependence(norm_layers.GroupNorm(1, 3), IMAGES, other=4)),
 ("sample", lambda: norm_statistics.batch_dependence(norm_layers.GroupNorm(1, 3), IMAGES, sample=-1)),
 ("change", lambda: norm_statistics.batch_dependence(norm_layers.GroupNorm(1, 3), IMAGES, change=nan)),
 ("layer", lambda: norm_statistics.batch_dependence(None, IMAGES)),
 ("x", lambda: norm_statistics.batch_dependence(norm_layers.GroupNorm(1, 3), X1)),
 ("batch_sizes", lambda: norm_statistics.batch_mean_spread(IMAGES.reshape(4, 3, 4), [5])),
 ("batch_sizes", lambda: norm_statistics.batch_mean_spread(IMAGES.reshape(4, 3, 4), [])),
 ("batch_sizes", lambda: norm_statistics.batch_mean_spread(IMAGES.reshape(4, 3, 4), [2.0])),
 ("values", lambda: norm_statistics.batch_mean_spread(X, [2])),
 ("values", lambda: norm_statistics.batch_mean_spread(IMAGES_NAN.reshape(4, 3, 4), [2])),
 ("values", lambda: norm_statistics.batch_mean_spread(np.ones((4, 3, 4)), [2])),
 ("draws", lambda: norm_statistics.batch_mean_spread(IMAGES.reshape(4, 3, 4), [2], draws=0)),
 ("kind", lambda: norm_sweep.run_one("instance", 32, 0.1, 0)),
 ("kinds", lambda: norm_sweep.run_sweep(("none", "batchnorm"), (32,), (0.1,), (0,))),
 ("epochs", lambda: norm_sweep.run_sweep(("none",), (32,), (0.1,), (0,), epochs=0)),
 ("learning_rates", lambda: norm_sweep.run_sweep(("none",), (32,), (nan,), (0,))),
 ("channels", lambda: convnet.ConvNet(channels=())),
 ("channels[1]", lambda: convnet.ConvNet(channels=(4, 0))),
 ("channels[0]", lambda: convnet.ConvNet(channels=(4.0,))),
 ("normalization", lambda: convnet.ConvNet(normalization="weight")),
 ("groups", lambda: convnet.ConvNet(groups=0)),
 ("groups", lambda: convnet.ConvNet((4, 6), normalization="group", groups=4)),
 ("strides", lambda: convnet.ConvNet((4, 4), strides=(1,))),
 ("strides[1]", lambda: convnet.ConvNet((4, 4), strides=(1, 0))),
 ("strides[0]", lambda: convnet.ConvNet((4,), strides=(1.5,))),
 ("X", lambda: convnet.ConvNet((2,)).forward(np.ones((2, 63)))),
 ("X", lambda: convnet.ConvNet((2,)).forward(np.ones((2, 8, 8)))),
 ("labels", lambda: convnet.ConvNet((2,)).accuracy(DIGITS, DIGIT_LABELS[:5])),
 ("grads", lambda: convnet.ConvNet((2,)).sgd_step({"linear.weight": np.ones((10, 2))}, 0.1)),
 ("learning_rate", lambda: convnet.ConvNet((2,)).sgd_step({}, nan)),
 ("model", lambda: train_small_convnet(model=mlp.MLP([64, 10]))),
 ("y", lambda: train_small_convnet(y=DIGIT_LABELS[:5])),
 ("y_eval", lambda: train_small_convnet(y_eval=DIGIT_LABELS[:, None])),
 ("X_eval", lambda: train_small_convnet(X_eval=np.where(np.arange(64) == 5, nan, DIGITS))),
 ("X", lambda: train_small_convnet(X=DIGITS[:, :63])),
 ("batch_size", lambda: train_small_convnet(batch_size=0)),
 ("epochs", lambda: train_small_convnet(epochs=-1)),
 ("learning_rate", lambda: train_small_convnet(learning_rate=0.0)),

]


@pytest.mark.parametrize("argument, call", CASES, ids=[f"{k:02d}-{name}" for k, (name, _) in enumerate(CASES)])
def test_bad_input_gets_an_error_that_names_the_argument(argument, call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning from deep inside numpy is not a clear error
        with pytest.raises((TypeError, ValueError)) as error:
            call()
    assert argument in str(error.value), f"the message does not name {argument!r}: {error.value}"


def test_transform_before_fit_follows_scikit_learn():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        centering.Centerer().transform(X)
    assert issubclass(NotFittedError, ValueError)


def test_a_rejected_refit_keeps_the_centerer_fitted_as_before():
    centerer = centering.Centerer().fit(X)
    mean = centerer.mean_.copy()
    with pytest.raises(ValueError):
        centerer.fit(np.ones((0, 3)))
    np.testing.assert_array_equal(centerer.mean_, mean)
    assert centerer.n_features_in_ == 3


def test_a_rejected_sgd_step_changes_no_parameter():
    model = small_mlp()
    before = [w.copy() for w in model.weights] + [b.copy() for b in model.biases]
    good_dW = [np.ones((4, 3)), np.ones((3, 4))]
    for dW, db, rate in [(good_dW[:1] + [np.ones((2, 2))], [np.ones(4), np.ones(3)], 0.1),  # 2nd layer wrong
                         (good_dW, [np.ones(4), np.ones(5)], 0.1),  # 2nd bias wrong
                         (good_dW, [np.ones(4)], 0.1),  # a layer missing
                         (good_dW, [np.ones(4), np.ones(3)], nan)]:
        with pytest.raises((TypeError, ValueError)):
            model.sgd_step(dW, db, rate)
    after = [w for w in model.weights] + [b for b in model.biases]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)


def test_training_on_bad_data_reports_the_data_before_any_step():
    with pytest.raises(ValueError, match="X holds 1 non-finite value") as error:
        training.train(np.where(np.arange(8) == 3, nan, X1), y, batch_size=2, epochs=1, learning_rate=0.1)
    assert "learning rate" not in str(error.value)
    model = small_mlp()
    weights = [w.copy() for w in model.weights]
    with pytest.raises(ValueError, match="X holds 1 non-finite value"):
        mlp.train_classifier(model, Xnan, labels, batch_size=2, epochs=1, learning_rate=0.1, X_test=X, y_test=labels)
    for old, new in zip(weights, model.weights):
        np.testing.assert_array_equal(old, new)


def test_a_rejected_batch_norm_call_keeps_the_running_statistics():
    layer = batchnorm.BatchNorm1d(3)
    layer(X)
    saved = layer.running_mean.copy(), layer.running_var.copy()
    for bad in (Xnan, X[:1], np.ones((8, 4)), np.ones((2, 3, 1))):
        with pytest.raises((TypeError, ValueError)):
            layer(bad)
    np.testing.assert_array_equal(layer.running_mean, saved[0])
    np.testing.assert_array_equal(layer.running_var, saved[1])


def test_a_rejected_normalization_layer_call_keeps_its_state():
    """Running statistics, parameters and the cache for backward all stay as the last good call left them."""
    dout = np.random.default_rng(1).standard_normal(IMAGES.shape)
    for layer, bad_inputs in [
        (norm_layers.BatchNorm2d(3), (IMAGES_NAN, IMAGES[:1, :, :1, :1], IMAGES[:, :2], IMAGES[0])),
        (norm_layers.LayerNorm((3, 2, 2)), (IMAGES[:, :, :1], IMAGES[0, 0], IMAGES[:, :2])),
        (norm_layers.GroupNorm(3, 3), (IMAGES[:, :2], IMAGES[0, 0, 0], np.ones((1, 3) + (1,) * 6))),
    ]:
        layer(IMAGES)
        dx = layer.backward(dout)
        saved = {name: np.copy(value) for name, value in vars(layer).items() if isinstance(value, np.ndarray)}
        for bad in bad_inputs:
            with pytest.raises((TypeError, ValueError)):
                layer(bad)
        with pytest.raises(ValueError, match="dout"):
            layer.backward(dout[:, :, :1])
        for name, value in saved.items():
            np.testing.assert_array_equal(getattr(layer, name), value, err_msg=f"{layer!r}.{name} changed")
        np.testing.assert_array_equal(layer.backward(dout), dx)


def test_a_normalization_backward_before_any_forward_is_refused():
    for layer in (norm_layers.BatchNorm2d(3), norm_layers.LayerNorm(2), norm_layers.GroupNorm(1, 3)):
        with pytest.raises(RuntimeError, match="backward needs a forward pass"):
            layer.backward(np.ones((4, 3, 2, 2)))
