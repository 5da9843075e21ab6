"""Eager argument validation with one message shape.

Every check raises at construction time with a message of the form::

    <name> must be <what is accepted>; got <value given>[. <hint>]

for example ``lr must be a positive finite number; got -0.1``.  Wrong *types*
raise :class:`TypeError`, wrong *values* raise :class:`ValueError`.  Nothing here
uses ``assert``, and nothing silently falls back to a default.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable

import numpy as np

__all__ = [
    "fail",
    "Described",
    "real",
    "positive",
    "nonnegative",
    "unit_interval",
    "integer",
    "positive_int",
    "nonnegative_int",
    "one_of",
    "learning_rate",
    "same_shape",
    "finite_array",
]


class Described(str):
    """A value already written out in words (``shape (3, 2)``), shown without quotes."""


def _show(value: Any) -> str:
    """Short, readable rendering of the offending value."""
    if isinstance(value, Described):
        return str(value)
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return f"array({np.array2string(value, separator=', ')})"
        return f"array of shape {value.shape}"
    if isinstance(value, str):
        return repr(value)
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)


def fail(name: str, accepted: str, value: Any, hint: str = "", *, error=ValueError):
    """Raise ``error`` with the course's message shape."""
    message = f"{name} must be {accepted}; got {_show(value)}"
    if hint:
        message += f". {hint}"
    raise error(message)


def real(name: str, value: Any, accepted: str = "a real number") -> float:
    """Return ``value`` as a float, or raise TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number):
            return float(value)
        fail(name, accepted, value, error=TypeError)
    return float(value)


def positive(name: str, value: Any, hint: str = "") -> float:
    """A strictly positive finite real number."""
    accepted = "a positive finite number"
    number = real(name, value, accepted)
    if not (np.isfinite(number) and number > 0):
        fail(name, accepted, value, hint)
    return number


def nonnegative(name: str, value: Any, hint: str = "") -> float:
    """A finite real number >= 0."""
    accepted = "a non-negative finite number"
    number = real(name, value, accepted)
    if not (np.isfinite(number) and number >= 0):
        fail(name, accepted, value, hint)
    return number


def unit_interval(name: str, value: Any, *, include_one: bool = False, hint: str = "") -> float:
    """A number in [0, 1) (or [0, 1] with ``include_one``)."""
    accepted = "a number in [0, 1]" if include_one else "a number in [0, 1)"
    number = real(name, value, accepted)
    upper_ok = number <= 1 if include_one else number < 1
    if not (np.isfinite(number) and number >= 0 and upper_ok):
        fail(name, accepted, value, hint)
    return number


def integer(name: str, value: Any, accepted: str = "an integer") -> int:
    """Return ``value`` as an int, or raise TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        fail(name, accepted, value, error=TypeError)
    return int(value)


def positive_int(name: str, value: Any, hint: str = "") -> int:
    """An integer >= 1."""
    accepted = "a positive integer"
    number = integer(name, value, accepted)
    if number < 1:
        fail(name, accepted, value, hint)
    return number


def nonnegative_int(name: str, value: Any, hint: str = "") -> int:
    """An integer >= 0."""
    accepted = "a non-negative integer"
    number = integer(name, value, accepted)
    if number < 0:
        fail(name, accepted, value, hint)
    return number


def one_of(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """One of a fixed set of options (modes, strategies, rule names)."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        fail(name, f"one of {listed}", value)
    return value


def learning_rate(name: str, value: Any):
    """A learning rate: a positive float, an array of positive floats, or a schedule.

    Returns a float, a float64 array, or the callable unchanged.  A schedule is any
    callable ``step -> lr``; it is checked when it is evaluated (see
    :func:`finite_array`), since its values depend on the step.
    """
    if callable(value):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        array = np.asarray(value, dtype=float) if _numeric(value) else None
        accepted = "a positive finite number, an array of them, or a schedule (step -> lr)"
        if array is None or array.size == 0:
            fail(name, accepted, value, error=TypeError if array is None else ValueError)
        if not np.all(np.isfinite(array) & (array > 0)):
            bad = float(array[~(np.isfinite(array) & (array > 0))].ravel()[0])
            fail(name, accepted, value, f"the first bad entry is {bad!r}")
        return array
    return positive(name, value)


def _numeric(value: Any) -> bool:
    try:
        array = np.asarray(value)
    except Exception:  # ragged nested lists and the like
        return False
    return np.issubdtype(array.dtype, np.number) and not np.issubdtype(array.dtype, np.bool_)


def same_shape(name: str, value: np.ndarray, reference_name: str, reference: np.ndarray):
    """``value`` must have the shape of ``reference`` (e.g. a gradient and its parameters)."""
    if np.shape(value) != np.shape(reference):
        fail(
            name,
            f"an array with the shape of {reference_name} {np.shape(reference)}",
            Described(f"shape {np.shape(value)}"),
            "pass exactly one entry per parameter",
        )


def finite_array(name: str, value: Any) -> np.ndarray:
    """A numeric array (any shape), returned as float64; NaN/inf are allowed here.

    Parameters and gradients may legitimately become non-finite when a run diverges;
    divergence is reported by :mod:`lrcourse.train`, not raised here.
    """
    if not _numeric(value):
        fail(name, "a numeric array", value, error=TypeError)
    return np.asarray(value, dtype=float)
