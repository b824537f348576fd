"""The machinery shared by every homework check: calling the student's function fairly, comparing what it returned
with the reference, and building a failure message that names the case, the expected and the received value, and a
hint.

:class:`Student` calls the student's function the same way in every check: on fresh copies of the inputs, with
batchkit's reference functions for the exercise made unavailable (:func:`_own_work`), with the student's other
functions that it uses replaced by references (one mistake fails one check), and it fails if the function changed
an input in place. A check ends with :func:`_passed`, which prints :data:`PASSED` and returns None (a notebook cell
then shows the printed line, not a string nbgrader would try to read as a score).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..gradcheck import rel_error

PASSED = "All checks passed."

#: A typical mistake: the value it produces for the failing case, and the hint that names it.
Mistake = tuple[Any, str]


class CheckFailed(AssertionError):
    """A homework check failed; the message explains the failing case."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message only, no source lines of the checks."""
        return f"CheckFailed: {self}".splitlines()


def _passed() -> None:
    # One write: print() writes the text and the newline separately, which a busy kernel may send as two outputs.
    sys.stdout.write(PASSED + "\n")


# Calling the student's function -------------------------------------------------------------------------------------


def _stand_in(name: str, calls: list[str]) -> Callable[..., Any]:
    """A function that raises, in place of ``batchkit.<name>``; it also notes the call, in case it is caught."""
    def stand_in(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        raise CheckFailed(_blocked_message(name))
    return stand_in


def _blocked_message(name: str) -> str:
    return (f"This exercise asks you to write it yourself, without calling batchkit.{name}: use numpy (and only the "
            "batchkit functions the exercise names).")


@contextmanager
def _own_work(student: Callable, blocked: Sequence[str], collaborators: Mapping[str, Callable] = {},
              calls: list[str] | None = None) -> Iterator[None]:
    """While the block runs: ``batchkit.<name>`` for every name in ``blocked`` (like ``"linreg.loss"``) raises, and
    each function ``name`` of ``collaborators`` that the student's function finds in its globals is the reference.

    Every batchkit module (except the checks, which keep the real references) and the student's globals that hold a
    blocked function get the stand-in. A collaborator runs with the real batchkit (references call each other).
    Everything is restored when the block ends, also when it raises.
    """
    calls = [] if calls is None else calls
    namespaces = [vars(module) for name, module in list(sys.modules.items())
                  if (name == "batchkit" or name.startswith("batchkit.")) and not name.startswith("batchkit.checks")]
    own = getattr(student, "__globals__", {})
    patches: list[tuple[dict, str, Any, Any]] = []
    for name in blocked:
        reference = _reference(name)
        stand_in = _stand_in(name, calls)
        patches += [(namespace, key, value, stand_in) for namespace in [*namespaces, own]
                    for key, value in list(namespace.items()) if value is reference]

    def apply(index: int) -> None:
        for namespace, key, *values in patches:
            namespace[key] = values[index]

    def trusted(reference: Callable) -> Callable:
        def collaborator(*args: Any, **kwargs: Any) -> Any:
            apply(0)  # the real batchkit while the reference runs
            try:
                return reference(*args, **kwargs)
            finally:
                apply(1)
        return collaborator

    patches += [(own, name, own[name], trusted(reference)) for name, reference in collaborators.items()
                if callable(own.get(name)) and own[name] is not student]
    apply(1)
    try:
        yield
    finally:
        apply(0)


def _reference(name: str) -> Any:
    """The batchkit object ``batchkit.<name>``, for a name like ``"linreg.loss"``."""
    module, attribute = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"batchkit.{module}"), attribute)


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)) and all(isinstance(v, np.ndarray) for v in value):
        return type(value)(v.copy() for v in value)
    if isinstance(value, list) and all(isinstance(v, (int, float, np.number)) for v in value):
        return list(value)  # a list of sizes, which an in-place shuffle or sort would change
    return value


def _unchanged(value: Any, saved: Any) -> bool:
    if isinstance(saved, np.ndarray):
        return isinstance(value, np.ndarray) and value.shape == saved.shape and np.array_equal(value, saved, equal_nan=True)
    if isinstance(saved, (list, tuple)) and all(isinstance(v, np.ndarray) for v in saved):
        return len(value) == len(saved) and all(_unchanged(v, s) for v, s in zip(value, saved))
    if isinstance(saved, list) and all(isinstance(v, (int, float, np.number)) for v in saved):
        return value == saved
    return True


@dataclass
class Student:
    """The student's ``function`` as a check calls it.

    ``names`` spells its arguments as the exercise does (``"x, gamma, beta, eps"``); ``blocked`` lists the batchkit
    functions the exercise asks the student to write (``"batchnorm.batchnorm_forward"``); ``collaborators`` maps the
    name of another exercise's function it may call to the reference for it.
    """

    function: Callable[..., Any]
    names: str
    blocked: Sequence[str]
    collaborators: Mapping[str, Callable] = field(default_factory=dict)

    def __call__(self, case: str, *args: Any) -> Any:
        """The function's result for ``args`` (copies of them); fail if it changed one of them in place."""
        given, saved = [_copy(a) for a in args], [_copy(a) for a in args]
        calls = [name for name in self.blocked if self.function is _reference(name)]  # handed in batchkit's own
        if calls:
            raise CheckFailed(_blocked_message(calls[0]))
        with _own_work(self.function, self.blocked, self.collaborators, calls):
            result = self.function(*given)
        if calls:
            raise CheckFailed(_blocked_message(calls[0]))
        for name, value, before in zip(self.names.split(", "), given, saved):
            if not _unchanged(value, before):
                arrays = isinstance(before, (list, tuple)) and all(isinstance(v, np.ndarray) for v in before)
                copy = f"[a.copy() for a in {name}]" if arrays else f"{name}.copy()"
                _fail(f"The input `{name}`", case, f"`{name}` unchanged by the call", f"`{name}` changed in place",
                      f"your function changed its input `{name}` in place; work on a copy ({name} = {copy}) "
                      "or build new arrays")
        return result

    def ignored_argument(self, case: str, args: Sequence[Any], alternatives: Mapping[int, Any]) -> str:
        """A hint naming the first argument (by position) whose other value leaves the result unchanged, or ""."""
        first = self(case, *args)
        for index, other in alternatives.items():
            changed = list(args)
            changed[index] = other
            if _same(first, self(case, *changed)):
                name = self.names.split(", ")[index]
                return (f"your function gives the same result for {name}={_short(args[index])} and "
                        f"{name}={_short(other)}: it ignores its `{name}` argument; use the value it is given")
        return ""


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else repr(value)


def _same(first: Any, second: Any) -> bool:
    """Whether two numeric results (arrays, numbers, or tuples of them, where None may stand for "no value") are
    equal. A bare None is never the same as anything: an unfinished function does not "ignore" its arguments."""
    if isinstance(first, (tuple, list)) and isinstance(second, (tuple, list)):
        return len(first) == len(second) and all(a is None and b is None or _same(a, b) for a, b in zip(first, second))
    a, b = _as_array(first), _as_array(second)
    return a is not None and b is not None and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


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
    if isinstance(value, str):  # a description ("dtype float32"), shown as it is
        return value
    if isinstance(value, np.ndarray):
        edges = 3 if value.ndim <= 2 else 1  # a 4-D array with 3 edge items per axis fills a screen
        return (f"array of shape {value.shape}, dtype {value.dtype}: "
                f"{np.array2string(value, precision=4, threshold=12, edgeitems=edges)}")
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
             mistakes: Sequence[Mistake] = (), tolerance: float = 1e-6, diagnose: Callable[[], str] | None = None
             ) -> None:
    """Fail unless ``got`` is an array like ``expected``; hint at a recognised mistake, else give ``hint``, after
    naming an ignored argument if ``diagnose()`` (called only on a failure) finds one."""
    array = _as_array(got)
    if array is not None and array.shape == np.shape(expected) and rel_error(expected, array) <= tolerance:
        return
    hint = _with_ignored(diagnose if array is not None else None, _recognise(array, mistakes) or hint)
    if array is None:
        _fail(what, case, expected, got, _sentences(f"return a numpy array of shape {np.shape(expected)}", hint))
    shown = got if isinstance(got, np.ndarray) else array
    if array.shape != np.shape(expected):
        _fail(what, case, expected, shown, _sentences("check the shape first", hint))
    _fail(what, case, expected, shown, hint)


def _with_ignored(diagnose: Callable[[], str] | None, hint: str) -> str:
    """``hint``, after the hint about an ignored argument if ``diagnose()`` finds one."""
    ignored = diagnose() if diagnose else ""
    return _sentences(ignored, hint) if ignored else hint


def _sentences(first: str, then: str) -> str:
    # A sentence that starts with a name from the code (db, dW1, drop_last=True) keeps its spelling; an English word
    # (this, the, a) gets its capital.
    word = then.split(" ", 1)[0]
    english = word.isalpha() and word.islower() and (len(word) > 2 or word in {"a", "an", "it", "if", "in", "no"})
    return f"{first}. {then[:1].upper() + then[1:] if english else then}"


def _parts(got: Any, names: str, case: str) -> Sequence[Any]:
    """``got`` if it is a tuple (or list) of as many values as ``names`` lists, else fail."""
    count = len(names.split(","))
    if not isinstance(got, (tuple, list)) or len(got) != count:
        _fail("The return value", case, f"a tuple ({names})", got,
              f"return the {count} values together, in this order: {names}")
    return got


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_count(what: str, case: str, expected: int, got: Any, hint: str, mistakes: Sequence[Mistake],
                 diagnose: Callable[[], str] | None = None) -> None:
    """Fail unless ``got`` is the int ``expected``; a right value of another type gets a hint about the type, an
    ignored argument (``diagnose()``) or a recognised mistake a hint about that."""
    if _is_int(got) and got == expected:
        return
    number = _as_number(got)
    if number == expected and not isinstance(got, (bool, np.bool_)):
        hint = f"the count is right, but it is a {type(got).__name__}: return an int, not a float"
    else:
        hint = _with_ignored(diagnose if number is not None else None, _recognise_number(number, mistakes, hint))
    _fail(what, case, expected, got, hint)
