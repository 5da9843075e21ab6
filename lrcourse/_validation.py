"""Eager argument validation: one vocabulary of constraints, one message shape.

Every refusal reads::

    <name> must be <what is accepted>; got <value given>[. <hint>]

for example ``lr must be a positive finite number; got -0.1``.  Wrong *types*
raise :class:`TypeError`, wrong *values* raise :class:`ValueError`.  Nothing here
uses ``assert``, and nothing silently falls back to a default.

The accepted values are *constraints* (as in scikit-learn's parameter validation):
an object whose text is the "<what is accepted>" part of the message and whose
call checks and converts a value, so the check and its message cannot drift apart::

    positive("lr", lr)                          # a positive finite number
    Interval(0, 1, closed="left")("beta", b)    # a number in [0, 1)
    positive_int("steps", steps)                # a positive integer
    boolean("nesterov", nesterov)               # True or False
    OneOf("cos", "linear")("mode", mode)        # one of 'cos', 'linear'
    real_array("x", x)                          # an array of real numbers
    text("title", title)                        # a string
    ListOf(text, 3, "curve")("labels", labels)  # a list of 3 strings (one per curve)

New kinds of accepted values subclass :class:`Constraint` (its ``text`` and
``accepts``), as :mod:`lrcourse.plots` does for colours, line styles and markers.

Booleans are not numbers here (``lr=True`` is refused), complex numbers are not
real numbers (their imaginary part would be lost), and strings are not arrays.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable

import numpy as np

__all__ = [
    "fail",
    "is_refusal",
    "Described",
    "Constraint",
    "Text",
    "text",
    "optional_text",
    "ListOf",
    "Interval",
    "EachIn",
    "OneOf",
    "real",
    "integer",
    "positive",
    "nonnegative",
    "positive_int",
    "nonnegative_int",
    "at_least_two",
    "unit_interval",
    "boolean",
    "callable_",
    "one_of",
    "real_array",
    "limits",
    "is_real",
    "learning_rate",
    "same_shape",
    "MAX_STEPS",
    "MAX_RUNS",
    "step_count",
    "run_count",
    "MAX_GRID",
    "MAX_PANELS",
    "grid_points",
    "panel_count",
    "MAX_DIM",
    "dimension",
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
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)


def fail(name: str, accepted: Any, value: Any, hint: str = "", *, error=ValueError):
    """Raise ``error`` with the course's message shape (``accepted`` may be a constraint)."""
    message = f"{name} must be {accepted}; got {_show(value)}"
    if hint:
        message += f". {hint}"
    refusal = error(message)
    refusal.refused_argument = name
    raise refusal


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` was raised by :func:`fail`: a refusal that already names its
    argument, to pass on as it is rather than wrap in another message."""
    return hasattr(error, "refused_argument")


# ------------------------------------------------------------------ numbers


def _is_real_dtype(dtype: np.dtype) -> bool:
    """Integers and floats; not bools, complex numbers, strings or objects."""
    return dtype.kind in "iuf"


def real(name: str, value: Any, accepted: Any = "a real number") -> float:
    """``value`` as a float (any real number, NaN and inf included), else TypeError."""
    if type(value) is float:  # the common case, first
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0 and _is_real_dtype(value.dtype):
        return float(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        fail(name, accepted, value, error=TypeError)
    return float(value)


def integer(name: str, value: Any, accepted: Any = "an integer") -> int:
    """``value`` as an int (not a bool, not a float such as 3.0), else TypeError."""
    if type(value) is int:  # the common case, first
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        fail(name, accepted, value, error=TypeError)
    return int(value)


def _number_text(number: float) -> str:
    if not math.isfinite(number):
        return "np.inf" if number > 0 else "-np.inf"
    return str(int(number)) if number == int(number) and abs(number) < 1e16 else f"{number:g}"


class Constraint:
    """A set of accepted values and the words for it (the base of every constraint here).

    ``str(c)`` is the "<what is accepted>" part of the message and ``c(name, value)``
    returns the value (converted, for some) or raises with that message.  A subclass
    sets ``text`` and defines ``accepts(value)``; ``error(value)`` picks TypeError for
    a value of the wrong kind and ValueError (the default) for a wrong value of the
    right kind; ``convert(value)`` is what an accepted value is returned as.
    """

    text = "an accepted value"
    #: The words for several accepted values ("strings"), if they read better than
    #: "values, each <text>" in a :class:`ListOf` message.
    plural: str | None = None

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text})"

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def error(self, value: Any) -> type:
        return ValueError

    def convert(self, value: Any) -> Any:
        return value

    def __call__(self, name: str, value: Any, hint: str = ""):
        if not self.accepts(value):
            fail(name, self, value, hint, error=self.error(value))
        return self.convert(value)


class Interval(Constraint):
    """Real numbers (or integers) between two ends, each end open or closed.

    ``closed`` is ``"neither"``, ``"left"``, ``"right"`` or ``"both"``.  An infinite
    end is never included: values must be finite unless ``allow_inf`` (then ``np.inf``
    passes as well, for arguments where it means "no limit").  The text is the one
    the message prints, e.g. ``a number in (0, 1]``, ``a positive finite number``,
    ``an integer ≥ 2``.
    """

    def __init__(self, low: float = -math.inf, high: float = math.inf, closed: str = "neither", *,
                 integer: bool = False, allow_inf: bool = False):
        if closed not in ("neither", "left", "right", "both"):
            raise ValueError(f"closed must be one of 'neither', 'left', 'right', 'both'; got {closed!r}")
        self.low, self.high, self.closed = low, high, closed
        self.integer, self.allow_inf = integer, allow_inf
        self.text = self._words()

    def _words(self) -> str:
        low, high = self.low, self.high
        low_in = self.closed in ("left", "both")
        high_in = self.closed in ("right", "both")
        if self.integer:
            lowest = math.floor(low) + 1 if not low_in and math.isfinite(low) else low
            if high == math.inf and lowest in (0, 1):
                return "a positive integer" if lowest == 1 else "a non-negative integer"
            if high == math.inf:
                return f"an integer ≥ {_number_text(lowest)}"
            highest = math.ceil(high) - 1 if not high_in else high
            return f"an integer in [{_number_text(lowest)}, {_number_text(highest)}]"
        suffix = ", or np.inf" if self.allow_inf else ""
        if high == math.inf and low == 0:
            words = "a non-negative finite number" if low_in else "a positive finite number"
            return words + suffix
        if high == math.inf:
            if low == -math.inf:
                return "a finite number" + suffix
            return f"a finite number {'≥' if low_in else '>'} {_number_text(low)}{suffix}"
        if low == -math.inf:
            return f"a number {'≤' if high_in else '<'} {_number_text(high)}"
        return (f"a number in {'[' if low_in else '('}{_number_text(low)}, "
                f"{_number_text(high)}{']' if high_in else ')'}")

    def __contains__(self, number: float) -> bool:
        if self.allow_inf and number == math.inf:
            return True
        if not math.isfinite(number):
            return False
        above = number >= self.low if self.closed in ("left", "both") else number > self.low
        below = number <= self.high if self.closed in ("right", "both") else number < self.high
        return above and below

    def holds(self, numbers):
        """Entry by entry, whether the float64 array ``numbers`` lies in the interval
        (``in``, for one number, is the same test without NumPy)."""
        with np.errstate(invalid="ignore"):
            above = numbers >= self.low if self.closed in ("left", "both") else numbers > self.low
            below = numbers <= self.high if self.closed in ("right", "both") else numbers < self.high
            inside = np.isfinite(numbers) & above & below
        return inside | (numbers == math.inf) if self.allow_inf else inside

    def __call__(self, name: str, value: Any, hint: str = ""):
        """Return ``value`` as a float (an int for integer intervals), or raise."""
        number = integer(name, value, self) if self.integer else real(name, value, self)
        if number not in self:
            fail(name, self, value, hint)
        return number


class EachIn(Constraint):
    """A real number or a non-empty array of them (any shape), each in ``interval``.

    The text reads "<the interval's text> or an array of them" ("a number in [0, 1)
    or an array of them"); a refused array is shown with its first bad entry.  Returns
    a float64 array (0-d for a number).  For the rate formulas, whose arguments
    broadcast (a grid of η against a grid of β).
    """

    def __init__(self, interval: Interval):
        self.interval = interval
        self.text = f"{interval} or an array of them"

    def __call__(self, name: str, value: Any, hint: str = "") -> np.ndarray:
        if callable(value) or not is_real(value):
            fail(name, self, value, hint, error=TypeError)
        array = np.asarray(value, dtype=np.float64)
        if array.size == 0:
            fail(name, self, value, hint)
        bad = ~self.interval.holds(array)
        if np.any(bad):
            fail(name, self, value, hint or (f"the first bad entry is {float(array[bad].ravel()[0])!r}"
                                             if array.ndim else ""))
        return array


#: The intervals used all over the library (their text is their message).
positive = Interval(0, math.inf, "neither")
nonnegative = Interval(0, math.inf, "left")
unit_interval = Interval(0, 1, "left")
positive_int = Interval(1, math.inf, "left", integer=True)
nonnegative_int = Interval(0, math.inf, "left", integer=True)
at_least_two = Interval(2, math.inf, "left", integer=True)

#: Upper limits on counts.  A course run takes at most tens of thousands of steps and a
#: sweep hundreds of rates; 10**6 steps of one run already take about 40 s and their
#: records 24 MB per run, so a count above these is a typo (10**9 for 10**3), refused
#: before it runs for hours or asks for terabytes.
MAX_STEPS = 10**6
MAX_RUNS = 10**5
step_count = Interval(1, MAX_STEPS, "both", integer=True)
run_count = Interval(1, MAX_RUNS, "both", integer=True)
#: Figures: points per axis of a drawn grid (a contour evaluates the loss on
#: ``resolution²`` points: 2000² = 4·10**6 take seconds; the course draws 120-800), and
#: axes per row or column of one figure (the course uses at most 4).
MAX_GRID = 2000
MAX_PANELS = 20
grid_points = Interval(2, MAX_GRID, "both", integer=True)
panel_count = Interval(1, MAX_PANELS, "both", integer=True)
#: Coordinates of a problem with a dense Hessian (a :class:`~lrcourse.problems.Quadratic`
#: keeps the d×d matrix and multiplies by it every step; d = 1000 takes 8 MB and a few
#: seconds to build a random rotation, d = 10**5 would ask for 75 GB; the course uses 2-10).
MAX_DIM = 1000
dimension = Interval(1, MAX_DIM, "both", integer=True)


# ------------------------------------------------------------------ other kinds


class OneOf(Constraint):
    """One of a fixed set of options (modes, strategies, rule names)."""

    def __init__(self, *choices: Any):
        self.choices = choices
        self.text = "one of " + ", ".join(repr(c) for c in choices)

    def __call__(self, name: str, value: Any, hint: str = ""):
        if isinstance(value, (list, dict, set, np.ndarray)) \
                or not any(_same_kind(value, choice) and value == choice for choice in self.choices):
            # the wrong kind of value (16.0 or True for a batch size of 16) is a TypeError,
            # as it is for steps=10.0; a value of the right kind not among the choices a ValueError
            kind_known = any(_same_kind(value, choice) for choice in self.choices) \
                and not isinstance(value, (list, dict, set, np.ndarray))
            fail(name, self, value, hint, error=ValueError if kind_known else TypeError)
        return value


def _same_kind(value: Any, choice: Any) -> bool:
    """Whether ``value`` may stand for ``choice``: True is not 1, and 16.0 is not the integer 16."""
    if isinstance(value, (bool, np.bool_)) or isinstance(choice, (bool, np.bool_)):
        return isinstance(value, (bool, np.bool_)) and isinstance(choice, (bool, np.bool_))
    if isinstance(choice, numbers.Integral):
        return isinstance(value, numbers.Integral)
    return True


def one_of(name: str, value: Any, choices: Iterable[Any], hint: str = "") -> Any:
    """``OneOf(*choices)(name, value)``: for choices known only at the call."""
    return OneOf(*choices)(name, value, hint)


def boolean(name: str, value: Any) -> bool:
    """True or False (NumPy's bools too; not 0, 1 or "yes")."""
    if not isinstance(value, (bool, np.bool_)):
        fail(name, "True or False", value, error=TypeError)
    return bool(value)


def callable_(name: str, value: Any, accepted: str = "a callable", hint: str = "") -> Any:
    """A callable (function, schedule, bound method), returned unchanged."""
    if not callable(value) or isinstance(value, type):
        fail(name, accepted, value, hint or ("pass an instance, not the class: call it first"
                                             if isinstance(value, type) else ""),
             error=TypeError)
    return value


class Text(Constraint):
    """A string (a title, a label, a legend entry); ``optional`` lets None through too."""

    plural = "strings"

    def __init__(self, optional: bool = False, what: str = "a string"):
        self.optional = optional
        self.text = f"None or {what}" if optional else what

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) or (self.optional and value is None)

    def error(self, value: Any) -> type:
        return TypeError


text = Text()
optional_text = Text(optional=True)


class ListOf(Constraint):
    """A list (or tuple, or 1-D array) of ``count`` items, each accepted by ``item``.

    The text reads "a list of 3 strings (one per curve)", or "a list of 3 values (one
    per curve), each <the item's text>"; an item that is refused is named by its index
    (``colors[1] must be …``).  Returns a list.
    """

    def __init__(self, item: Constraint, count: int | None = None, each: str = "entry"):
        self.item, self.count = item, count
        what = item.plural or "values"
        size = f"a list of {what}" if count is None else f"a list of {count} {what} (one per {each})"
        self.text = size if item.plural else f"{size}, each {item}"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
            return False
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return False
        return self.count is None or len(value) == self.count

    def error(self, value: Any) -> type:
        return ValueError if isinstance(value, (list, tuple, np.ndarray)) else TypeError

    def convert(self, value: Any) -> list:
        return list(value)

    def __call__(self, name: str, value: Any, hint: str = "") -> list:
        items = super().__call__(name, value, hint)
        return [self.item(f"{name}[{i}]", item) for i, item in enumerate(items)]


# ------------------------------------------------------------------ arrays


def _real_dtype_array(value: Any) -> np.ndarray | None:
    """``value`` as an array if it holds real numbers (ints or floats), else None."""
    if isinstance(value, (str, bytes)) or value is None:
        return None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists and the like
        return None
    return array if _is_real_dtype(array.dtype) else None


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number or an array of them (no bools, complex, strings)."""
    return _real_dtype_array(value) is not None


def real_array(name: str, value: Any, *, finite: bool = False) -> np.ndarray:
    """An array of real numbers (any shape), returned as a new-or-same float64 array.

    Complex numbers, bools, strings and ``None`` raise TypeError (a complex array would
    lose its imaginary part).  NaN and inf are allowed unless ``finite``: parameters
    and gradients may legitimately blow up when a run diverges, which
    :mod:`lrcourse.train` reports instead of raising.
    """
    if type(value) is np.ndarray and value.dtype == np.float64 and not finite:
        return value  # the common case, first (no copy, as before)
    array = _real_dtype_array(value)
    if array is None:
        fail(name, "an array of real numbers", value, error=TypeError)
    array = array.astype(np.float64, copy=False)
    if finite and not np.all(np.isfinite(array)):
        first = float(array[~np.isfinite(array)].ravel()[0])
        fail(name, "an array of finite real numbers", value, f"the first bad entry is {first!r}")
    return array


def limits(name: str, value: Any) -> tuple[float, float]:
    """A pair ``(low, high)`` of finite numbers with low < high (an axis range, an interval)."""
    accepted = "a pair (low, high) of finite numbers with low < high"
    if not isinstance(value, (tuple, list, np.ndarray)) or (isinstance(value, np.ndarray) and value.ndim == 0):
        fail(name, accepted, value, error=TypeError)
    if len(value) != 2:  # a sequence of the wrong length: a wrong value, as for ListOf
        fail(name, accepted, value)
    if not all(is_real(item) and np.ndim(item) == 0 for item in value):
        fail(name, accepted, value, error=TypeError)
    low, high = (float(item) for item in value)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        fail(name, accepted, value, "swap them" if high < low else "")
    return low, high


def learning_rate(name: str, value: Any):
    """A learning rate: a positive float, an array of positive floats, or a schedule.

    Returns a float, a float64 array, or the callable unchanged.  A schedule is any
    callable ``step -> lr``; it is checked when it is evaluated, since its values
    depend on the step.
    """
    accepted = "a positive finite number, an array of them, or a schedule (step -> lr)"
    if callable(value) and not isinstance(value, type):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        array = _real_dtype_array(value)
        if array is None or array.size == 0:
            fail(name, accepted, value, error=TypeError if array is None else ValueError)
        array = array.astype(np.float64)
        bad = ~(np.isfinite(array) & (array > 0))
        if np.any(bad):
            fail(name, accepted, value, f"the first bad entry is {float(array[bad].ravel()[0])!r}")
        return array
    return positive(name, value)


def same_shape(name: str, value: np.ndarray, reference_name: str, reference: np.ndarray):
    """``value`` must have the shape of ``reference`` (e.g. a gradient and its parameters)."""
    if np.shape(value) != np.shape(reference):
        fail(
            name,
            f"an array with the shape of {reference_name} {np.shape(reference)}",
            Described(f"shape {np.shape(value)}"),
            "pass exactly one entry per parameter",
        )
