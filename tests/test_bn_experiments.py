"""Lesson 05's experiments: the sweep behind its learning-rate, initialization and batch-size figures."""

import numpy as np

from batchkit.bn_experiments import final_test_accuracy, train_deep


def test_sweep_reports_each_value_and_returns_what_train_deep_gives():
    reported = []
    sweep = final_test_accuracy([0.1, 1.0], "learning_rate", epochs=1, activation="tanh",
                                report=lambda value, accuracy: reported.append((value, accuracy)))
    assert [value for value, _ in reported] == [0.1, 1.0]
    for name, batchnorm in [("without BN", False), ("with BN", True)]:
        expected = [train_deep(batchnorm, learning_rate=rate, epochs=1, activation="tanh").test_accuracy[-1]
                    for rate in (0.1, 1.0)]
        np.testing.assert_array_equal(sweep[name], expected)
        assert [accuracy[name] for _, accuracy in reported] == expected
