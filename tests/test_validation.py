"""The shared argument checks of batchkit._validation."""

import numpy as np
import pytest

from batchkit._validation import check_real


def test_check_real_accepts_numbers_in_range():
    assert check_real("rate", 0.5, low=0.0) == 0.5
    assert check_real("rate", np.float32(2), low=0.0) == 2.0
    assert check_real("target", 0, low=0.0, high=1.0, low_inclusive=True) == 0.0
    assert check_real("target", 1, low=0.0, high=1.0) == 1.0


@pytest.mark.parametrize("value, error, message", [
    (0.0, ValueError, r"rate must be in \(0, inf\], got 0.0"),
    (-1, ValueError, "got -1"),
    (float("nan"), ValueError, "got nan"),
    (float("inf"), ValueError, "got inf"),
    (True, TypeError, "rate must be a number, got True of type bool"),
    ("0.1", TypeError, "of type str"),
])
def test_check_real_rejects_with_a_message(value, error, message):
    with pytest.raises(error, match=message):
        check_real("rate", value, low=0.0)
