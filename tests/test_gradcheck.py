"""The numerical gradient checker passes correct backward passes and fails wrong ones."""

import numpy as np
import pytest

from batchkit.gradcheck import check_gradients, numerical_gradient, rel_error
from batchkit.linear import linear_backward, linear_forward


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {"X": rng.standard_normal((4, 3)), "W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}


def correct_backward(dZ, X, W, b):
    dX, dW, db = linear_backward(dZ, X, W)
    return {"X": dX, "W": dW, "b": db}


def replacing(name, wrong):
    """A backward that is right except for one gradient: realistic single mistakes."""
    return lambda dZ, X, W, b: {**correct_backward(dZ, X, W, b), name: wrong(dZ, X, W)}


WRONG_BACKWARDS = {
    "bias gradient averaged over the batch instead of summed": replacing("b", lambda dZ, X, W: dZ.mean(axis=0)),
    "bias gradient from the last sample only": replacing("b", lambda dZ, X, W: dZ[-1]),
    "weight gradient from the first sample only": replacing("W", lambda dZ, X, W: np.outer(dZ[0], X[0])),
    "weight gradient averaged over the batch": replacing("W", lambda dZ, X, W: dZ.T @ X / len(X)),
    "input gradient through W with the wrong sign": replacing("X", lambda dZ, X, W: -dZ @ W),
}


def test_correct_backward_passes():
    result = check_gradients(linear_forward, correct_backward, inputs())
    assert result.passed and max(result.errors.values()) < 1e-8, str(result)


@pytest.mark.parametrize("name", sorted(WRONG_BACKWARDS))
def test_wrong_backward_fails(name):
    result = check_gradients(linear_forward, WRONG_BACKWARDS[name], inputs())
    assert not result.passed, f"the checker accepted a wrong backward: {name}"
    assert "WRONG" in str(result)


def test_inputs_are_not_modified():
    original = inputs()
    copy = {k: v.copy() for k, v in original.items()}
    check_gradients(linear_forward, correct_backward, original)
    assert all(np.array_equal(original[k], copy[k]) for k in original)


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(numerical_gradient(lambda: float(np.sum(x ** 3)), x), 3 * x ** 2, rtol=1e-8)


def test_rel_error():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error([1.0], [3.0]) == pytest.approx(0.5)
    assert rel_error([1.0, 1e-9], [1.0, 2e-9]) < 1e-9  # a tiny entry's own relative error does not dominate
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.ones(2), np.ones(3))


def test_missing_gradient_is_reported():
    with pytest.raises(ValueError, match=r"backward returned no gradient for \['b'\]"):
        check_gradients(linear_forward, lambda dZ, X, W, b: {"X": X, "W": W}, inputs())


def test_rel_error_of_nan_or_inf_is_inf():
    from batchkit.gradcheck import rel_error

    assert rel_error(np.array([1.0, np.nan]), np.array([1.0, 2.0])) == np.inf
    assert rel_error(np.array([np.inf]), np.array([np.inf])) == np.inf
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0


# --- cs231n's per-entry relative errors, next to batchkit's whole-array one -----------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from batchkit.gradcheck import rel_error_per_entry  # noqa: E402

FINITE = st.floats(-1e6, 1e6, allow_nan=False)


def test_per_entry_relative_errors_of_an_averaged_bias_gradient():
    """Averaging instead of summing over 4 samples: off by 3/4 of the true value in every entry."""
    true = np.array([2.0, -1.0, 0.5])
    averaged = true / 4
    assert rel_error(averaged, true) == pytest.approx(0.6)
    assert rel_error_per_entry(averaged, true) == pytest.approx(0.6)  # 0.75 / 1.25
    assert rel_error_per_entry(averaged, true, denominator="max") == pytest.approx(0.75)


def test_per_entry_error_lets_a_tiny_entry_dominate():
    a, b = np.array([1.0, 1e-6]), np.array([1.0, 1e-6 + 2e-10])
    assert rel_error(a, b) < 1e-9
    assert rel_error_per_entry(a, b) == pytest.approx(1e-4, rel=1e-3)


def test_per_entry_rejects_bad_input():
    with pytest.raises(ValueError, match="denominator"):
        rel_error_per_entry([1.0], [1.0], denominator="mean")
    with pytest.raises(ValueError, match="shapes"):
        rel_error_per_entry(np.ones(2), np.ones(3))
    assert rel_error_per_entry(np.array([1.0, np.nan]), np.array([1.0, 2.0])) == np.inf
    assert rel_error_per_entry(np.zeros(0), np.zeros(0)) == 0.0


@given(arrays(np.float64, st.integers(1, 12), elements=FINITE), arrays(np.float64, st.integers(1, 12), elements=FINITE))
def test_per_entry_errors_are_bounded_symmetric_and_never_below_the_whole_array_error(a, b):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    by_sum, by_max = rel_error_per_entry(a, b), rel_error_per_entry(a, b, denominator="max")
    assert 0.0 <= by_sum <= 1.0 + 1e-12 and 0.0 <= by_max <= 2.0 + 1e-12
    assert by_sum == rel_error_per_entry(b, a) and by_max == rel_error_per_entry(b, a, denominator="max")
    assert by_sum <= by_max + 1e-12  # max(|a|, |b|) <= |a| + |b|
    assert rel_error(a, b) <= by_sum + 1e-12  # the entry with the largest difference has the smaller scale


def test_check_gradients_returns_the_compared_gradients():
    result = check_gradients(linear_forward, correct_backward, inputs())
    for name, value in inputs().items():
        assert result.analytic[name].shape == result.numerical[name].shape == value.shape
        assert rel_error(result.analytic[name], result.numerical[name]) == result.errors[name]
