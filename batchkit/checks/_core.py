"""The machinery shared by every homework check: comparing what a student returned with the reference, and
building a failure message that names the case, the expected and the received value, and a hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..gradcheck import rel_error

PASSED = "All checks passed."

#: A typical mistake: the value it produces for the failing case, and the hint that names it.
Mistake = tuple[Any, str]


class CheckFailed(AssertionError):
    """A homework check failed; the message explains the failing case."""


# Building and raising the message ----------------------------------------------------------------------------------


def _fail(what: str, case: str, expected: Any, got: Any, hint: str = "") -> None:
    """Raise :class:`CheckFailed`: what was expected, what came back, their largest difference, and ``hint``."""
    lines = [f"{what}: not as expected for {case}.", f"  expected: {_describe(expected)}", f"  got:      {_describe(got)}"]
    difference = _largest_difference(expected, got)
    if difference is not None:
        lines.append(f"  largest absolute difference: {difference:.3g}")
    if hint:
        lines.append(f"Hint: {hint}")
    raise CheckFailed("\n".join(lines))


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}: {np.array2string(value, precision=4, threshold=12)}"
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
        shapes = [np.shape(v) for v in value]
        if all(len(shape) == 1 for shape in shapes):
            return f"{type(value).__name__} of {len(value)} arrays with lengths {[shape[0] for shape in shapes]}"
        return f"{type(value).__name__} of {len(value)} arrays with shapes {shapes}"
    return f"{value!r} ({type(value).__name__})"


def _largest_difference(expected: Any, got: Any) -> float | None:
    """``max|expected - got|`` when both are floating-point values of the same shape, else None."""
    if not np.issubdtype(np.asarray(expected).dtype, np.floating):
        return None
    got_array = _as_array(got)
    if got_array is None or got_array.shape != np.shape(expected) or got_array.size == 0:
        return None
    return float(np.max(np.abs(np.asarray(expected, dtype=np.float64) - got_array)))


# Converting and comparing what the student returned ----------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None if it is None or not numeric."""
    if value is None or isinstance(value, str):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _as_number(value: Any) -> float | None:
    """``value`` as a float if it is a single number (a 0-d or one-element array counts), else None."""
    array = _as_array(value)
    return float(array.reshape(())) if array is not None and array.size == 1 else None


def _matches(candidate: Any, got: np.ndarray | None, tolerance: float = 1e-9) -> bool:
    candidate = _as_array(candidate)
    if got is None or candidate is None or candidate.shape != got.shape:
        return False
    return rel_error(candidate, got) <= tolerance


def _recognise(got: np.ndarray | None, mistakes: Sequence[Mistake]) -> str:
    """The hint of the first mistake whose value ``got`` reproduces, or "" if none does."""
    return next((hint for value, hint in mistakes if _matches(value, got)), "")


def _recognise_number(number: float | None, mistakes: Sequence[Mistake], default: str) -> str:
    """The hint of the first mistake whose value ``number`` is close to, else ``default``."""
    return next((hint for value, hint in mistakes if number is not None and np.isclose(number, value)), default)


def _compare(what: str, case: str, expected: np.ndarray, got: Any, hint: str,
             mistakes: Sequence[Mistake] = (), tolerance: float = 1e-6) -> None:
    """Fail unless ``got`` is an array like ``expected``; hint at a recognised mistake, else give ``hint``."""
    array = _as_array(got)
    if array is not None and array.shape == np.shape(expected) and rel_error(expected, array) <= tolerance:
        return
    hint = _recognise(array, mistakes) or hint
    if array is None:
        _fail(what, case, expected, got, _sentences(f"return a numpy array of shape {np.shape(expected)}", hint))
    shown = got if isinstance(got, np.ndarray) else array
    if array.shape != np.shape(expected):
        _fail(what, case, expected, shown, _sentences("check the shape first", hint))
    _fail(what, case, expected, shown, hint)


def _sentences(first: str, then: str) -> str:
    return f"{first}. {then[:1].upper()}{then[1:]}"


def _parts(got: Any, names: str, case: str) -> Sequence[Any]:
    """``got`` if it is a tuple (or list) of as many values as ``names`` lists, else fail."""
    count = len(names.split(","))
    if not isinstance(got, (tuple, list)) or len(got) != count:
        _fail("The return value", case, f"a tuple ({names})", got,
              f"return the {count} values together, in this order: {names}")
    return got


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_count(what: str, case: str, expected: int, got: Any, hint: str, mistakes: Sequence[Mistake]) -> None:
    """Fail unless ``got`` is the int ``expected``; a right value of another type gets a hint about the type."""
    if _is_int(got) and got == expected:
        return
    number = _as_number(got)
    if number == expected and not isinstance(got, (bool, np.bool_)):
        hint = f"the count is right, but it is a {type(got).__name__}: return an int, not a float"
    else:
        hint = _recognise_number(number, mistakes, hint)
    _fail(what, case, expected, got, hint)
