"""The machinery every graded check uses.

A *part* of an exercise is one function the learner writes.  Its check calls the
learner's function on several inputs (*cases*), compares what comes back with the
reference implementation, and either prints one deterministic line::

    ✔ gd_step — correct: 2/2 points

or raises :class:`CheckFailed`, whose message names the mistake in the lesson's
terms and gives a hint.  The reference's values are never shown.

The learner's code runs under :func:`call_learner`:

- on copies of the inputs, which are compared with the originals afterwards (an
  input changed in place is reported, not silently accepted);
- with a time limit (:data:`TIME_LIMIT` seconds, SIGALRM on Unix in the main
  thread; elsewhere a watchdog thread; in the browser, where Pyodide has neither,
  Python's monitoring events, see :func:`call_learner`);
- with NumPy's floating-point warnings silenced (a diverging learner function
  should produce a diagnosis, not a wall of RuntimeWarnings);
- catching what it raises: ``NotImplementedError`` becomes "not implemented yet",
  anything else "raised <error>" with the line of the learner's code it came from.

Checks built on :class:`Part` get all of this for free.  A check with a different
shape (an iterator, an outcome) uses the same pieces directly: :func:`call_learner`,
the output specifications (:class:`ArrayOut`, :class:`NumberOut`,
:class:`TupleOut`), :class:`Diagnosis` and :func:`report`, with :func:`check_cases`
running the cases.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import linecache
import math
import numbers
import os
import signal
import sys
import sysconfig
import threading
import time
import traceback
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from lrcourse import _validation as check

__all__ = [
    "TIME_LIMIT",
    "format_points",
    "PartPoints",
    "grade_cell_points",
    "CheckFailed",
    "Diagnosis",
    "call_learner",
    "changed_inputs",
    "describe",
    "describe_call",
    "close",
    "Output",
    "ArrayOut",
    "NumberOut",
    "TupleOut",
    "Case",
    "Mistake",
    "Part",
    "pass_line",
    "report",
    "report_pass",
    "check_cases",
    "choice_letters",
    "check_choice",
]

#: Seconds a learner's function may run on one case before it is stopped.
TIME_LIMIT = 5.0

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------
# Failure and success messages
# ---------------------------------------------------------------------------

class CheckFailed(AssertionError):
    """A graded part is not right yet.

    It is an ``AssertionError``, so nbgrader scores the grade cell 0.  The message
    is the whole story (what was tried, what is wrong, a hint); in a notebook,
    IPython shows the message alone, without a traceback into the checker.

    Attributes
    ----------
    part : str
        The name of the checked function (``"gd_step"``).
    mistake : str
        A short identifier of the diagnosis, e.g. ``"sign_flipped"``,
        ``"not_implemented"``, ``"timeout"``, ``"mutated_input"``,
        ``"wrong_value"`` (no known mistake matched).  Tests assert on it.
    """

    def __init__(self, message: str, *, part: str = "", mistake: str = "wrong_value"):
        super().__init__(message)
        self.part = part
        self.mistake = mistake

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting a traceback: the learner sees the
        # diagnosis, not the checker's internals.
        return str(self).splitlines()


class Diagnosis(Exception):
    """One thing wrong with one call of the learner's code, before it is reported.

    Raised by :func:`call_learner` and by the output specifications; a check turns
    it into :class:`CheckFailed` with :func:`report`, which adds the part's name,
    its points and the call that was tried.

    Parameters
    ----------
    mistake : str
        Identifier of the diagnosis (becomes ``CheckFailed.mistake``).
    diagnosis : str
        What is wrong, in the lesson's terms.
    hint : str
        How to fix it, without giving the solution away.
    show_returned : bool
        Whether the report should show what the learner's function returned.
    """

    def __init__(self, mistake: str, diagnosis: str, hint: str = "", *, show_returned: bool = True):
        super().__init__(diagnosis)
        self.mistake = mistake
        self.diagnosis = diagnosis
        self.hint = hint
        self.show_returned = show_returned

    def __str__(self) -> str:
        return self.diagnosis


def pass_line(name: str, points: float) -> str:
    """The one line a passing check prints, e.g. ``✔ gd_step — correct: 2/2 points``."""
    return f"✔ {name} — correct: {format_points(points)}/{format_points(points)} points"


def _fail_line(name: str, points: float) -> str:
    return f"✘ {name} — not yet: 0/{format_points(points)} points"


@dataclasses.dataclass
class PartPoints:
    """A graded part's name and points, for a check written by hand (not a :class:`Part`):
    what :func:`grade_cell_points` reads, and the name and points its messages print."""

    name: str
    points: float


def grade_cell_points(*parts) -> dict:
    """``{grade id: points}`` of an exercise's ``parts`` (each with ``name`` and ``points``:
    a :class:`Part`, a :class:`PartPoints`, a ``ChoicePart``): the grade cell
    ``check_<name>`` awards its part's points, which the cell's nbgrader points must equal
    (``tests/test_exercise_notebooks.py`` checks that they do)."""
    return {f"check_{part.name}": part.points for part in parts}


def format_points(value: float) -> str:
    """Points as the course prints them everywhere (checks, ``progress``, ``grade``'s
    CSV and feedback): ``2`` for 2.0, ``1.5`` for 1.5, at most 4 significant digits."""
    return str(int(value)) if value == int(value) else f"{value:.4g}"


def report_pass(name: str, points: float) -> None:
    """Print the pass line (the only output of a passing check)."""
    print(pass_line(name, points))


_NO_RETURN = object()


def report(name: str, points: float, problem: Diagnosis, *, tried: str = "",
           returned: Any = _NO_RETURN) -> CheckFailed:
    """Build the :class:`CheckFailed` for ``problem`` (the caller raises it).

    The message reads::

        ✘ gd_step — not yet: 0/2 points
        <diagnosis>
          tried:    gd_step(x=array([1., 2.]), grad=..., lr=0.1)
          returned: array([...])
        Hint: <hint>
    """
    lines = [_fail_line(name, points), problem.diagnosis]
    if tried:
        lines.append(f"  tried:    {tried}")
    if returned is not _NO_RETURN and problem.show_returned:
        lines.append(f"  returned: {describe(returned)}")
    if problem.hint:
        lines.append(f"Hint: {problem.hint}")
    return CheckFailed("\n".join(lines), part=name, mistake=problem.mistake)


def check_cases(name: str, points: float, cases: Sequence[Any], check_case: Callable[[Any], None],
                tried: Callable[[Any], str], *, hidden: bool) -> None:
    """The loop of a check that is not a :class:`Part` (an iterator, a sampler, an outcome).

    ``check_case(case)`` tries the learner's code on one case and raises
    :class:`Diagnosis` when something is wrong; the first problem is reported as
    :class:`CheckFailed` with ``tried(case)`` as the call shown.  When every case
    passes, the pass line is printed (nothing with ``hidden=True``).
    """
    for case in cases:
        try:
            check_case(case)
        except Diagnosis as problem:
            raise report(name, points, problem, tried=tried(case)) from None
    if not hidden:
        report_pass(name, points)


# ---------------------------------------------------------------------------
# Showing values
# ---------------------------------------------------------------------------

def describe(value: Any, *, max_size: int = 8) -> str:
    """A short, readable rendering of an input or an output for a message."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, np.ndarray):
        if value.dtype == object or value.size > max_size or value.ndim > 2:
            return f"array of shape {value.shape} and dtype {value.dtype}"
        with np.printoptions(precision=6, suppress=True, floatmode="maxprec"):
            return np.array_repr(value).replace("\n", "").replace("       ", " ")
    if isinstance(value, (numbers.Real, np.floating, np.integer)):
        return f"{float(value):.6g}" if isinstance(value, (float, np.floating)) else repr(int(value))
    if isinstance(value, tuple):
        inner = ", ".join(describe(v, max_size=max_size) for v in value[:6])
        return f"({inner}{', …' if len(value) > 6 else ''}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        if len(value) > 6:
            return f"a list of {len(value)} items"
        return "[" + ", ".join(describe(v, max_size=max_size) for v in value) + "]"
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    text = repr(value)
    return text if len(text) <= 80 else f"a {type(value).__name__}"


def describe_call(name: str, args: dict, shown: dict | None = None) -> str:
    """``name(a=..., b=...)`` with each argument shown by :func:`describe` (or ``shown``)."""
    shown = shown or {}
    parts = [f"{key}={shown[key] if key in shown else describe(value)}" for key, value in args.items()]
    return f"{name}({', '.join(parts)})"


# ---------------------------------------------------------------------------
# Calling the learner's code
# ---------------------------------------------------------------------------

class _OutOfTime(BaseException):
    """Raised inside the learner's code when its time is up.

    A BaseException, so that ``except Exception:`` in the learner's code does not
    swallow it.
    """


def call_learner(func: Callable, args: Sequence[Any] = (), *, name: str | None = None,
                 time_limit: float = TIME_LIMIT, consume: Callable[[Any], Any] | None = None):
    """Call ``func(*args)`` safely and return what it returns.

    Parameters
    ----------
    func : callable
        The learner's function.
    args : sequence
        Positional arguments (the caller passes copies it can compare afterwards).
    name : str
        The name used in messages (default ``func.__name__``).
    time_limit : float
        Seconds before the call is stopped and reported as not returning.
    consume : callable, optional
        Applied to the result inside the same time limit and error handling, e.g.
        ``lambda it: list(itertools.islice(it, 100))`` to run a generator.

    Raises
    ------
    Diagnosis
        ``not_a_function``, ``not_implemented``, ``timeout`` or ``raised``.

    Notes
    -----
    On Unix, in the main thread (where a notebook's code runs), the time limit is
    an interval timer (``signal.setitimer``) whose handler raises inside the
    learner's code; it is re-armed every 0.2 s after the limit, so a loop that
    catches the first interruption is stopped by the next one.  It cannot stop a
    single long call into compiled code (one enormous NumPy operation).  Elsewhere
    (Windows, or a check run from a thread) a watchdog thread waits for the call;
    a call that does not return is reported, but keeps running in the background
    until the kernel is restarted.  In the browser (Pyodide, WebAssembly), which has
    neither interval timers nor threads, Python's monitoring events
    (:mod:`sys.monitoring`, Python 3.12+) check the clock at every loop iteration
    and every Python call, and raise inside the learner's code once the time is up,
    again at each later one (see :func:`_run_with_monitoring`).
    """
    name = name or getattr(func, "__name__", "your function")
    if not callable(func):
        raise Diagnosis(
            "not_a_function",
            f"{name} is not a function: it is {describe(func)}.",
            f"Run the cell that defines {name} (with `def {name}(...)`), and don't reuse "
            f"the name {name} for a value.",
            show_returned=False,
        )

    def run():
        result = func(*args)
        return consume(result) if consume is not None else result

    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if _alarm_available():
                return _run_with_alarm(run, time_limit)
            if _threads_available():
                return _run_with_watchdog(run, time_limit)
            return _run_with_monitoring(run, time_limit)
    except _OutOfTime:
        raise Diagnosis(
            "timeout",
            f"{name} did not return within {time_limit:g} s.",
            "Check your loop's stopping condition: a `while` loop whose condition never "
            "becomes false (or a loop over a list that grows as you append to it) never ends.",
            show_returned=False,
        ) from None
    except NotImplementedError as error:
        raise _not_implemented(name, func, error) from None
    except RecursionError:
        raise Diagnosis(
            "raised",
            f"{name} raised RecursionError: it calls itself without end.",
            "A function that calls itself needs a case that returns without calling itself; "
            "a loop is simpler here.",
            show_returned=False,
        ) from None
    except (Exception, SystemExit) as error:
        where = _learner_line(error.__traceback__)
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        text = f"{name} raised {type(error).__name__}" + (f": {message}" if message else "") + "."
        if where:
            text += f"\n  at:       {where}"
        raise Diagnosis(
            "raised",
            text,
            "Read the error and the line it happened on; try your function by hand on a "
            "small input in a new cell to see what goes wrong.",
            show_returned=False,
        ) from None


def _not_implemented(name: str, func: Callable, error: BaseException) -> Diagnosis:
    frames = traceback.extract_tb(error.__traceback__)
    raiser = frames[-1].name if frames else name
    own = getattr(func, "__name__", name)
    if raiser in (own, name, "<module>", "run", "<lambda>"):
        text = f"{name} is not implemented yet."
        hint = (f"Replace `raise NotImplementedError()` in {name} with your code, run that "
                "cell, then run this check again.")
    else:
        text = f"{name} calls {raiser}, which is not implemented yet."
        hint = f"Finish {raiser} first (its check is above), then run this check again."
    return Diagnosis("not_implemented", text, hint, show_returned=False)


def _learner_line(tb) -> str:
    """``line N in func: <source>`` for the innermost frame of the learner's own code."""
    excluded = {_PACKAGE_DIR}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            excluded.add(os.path.abspath(path))
    found = ""
    for frame, lineno in traceback.walk_tb(tb):
        filename = os.path.abspath(frame.f_code.co_filename)
        if any(filename.startswith(prefix + os.sep) for prefix in excluded):
            continue
        source = linecache.getline(frame.f_code.co_filename, lineno, frame.f_globals).strip()
        found = f"line {lineno} in {frame.f_code.co_name}" + (f": {source}" if source else "")
    return found


def _alarm_available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _run_with_alarm(run: Callable[[], Any], seconds: float):
    state = {"active": True}

    def on_alarm(signum, frame):
        if state["active"]:
            raise _OutOfTime()

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    started = time.monotonic()
    try:
        return run()
    finally:
        state["active"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:  # someone else's timer was running: give it back what is left
            left = max(previous_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


def _threads_available() -> bool:
    """False in WebAssembly builds of Python (Pyodide): they cannot start a thread."""
    return sys.platform not in ("emscripten", "wasi")


def _run_with_monitoring(run: Callable[[], Any], seconds: float):
    """The time limit without timers or threads: a clock check on monitoring events.

    While ``run`` runs, a callback fires on every backward jump (each iteration of a
    loop) and at the start of every Python function (recursion); once ``seconds`` have
    passed it raises :class:`_OutOfTime` there, and again at every later event, so a
    loop that catches the first one is stopped at its next iteration (the jump back
    lies outside the loop body's ``try``).  The events are switched off as soon as
    the call ends.  The checks cost time only while the learner's code runs: a loop
    of pure Python arithmetic runs about 5x slower, vectorised NumPy code hardly.
    Without :mod:`sys.monitoring` (Python < 3.12) or a free tool id, the call runs
    without a time limit.
    """
    monitoring = getattr(sys, "monitoring", None)
    tool = _free_tool_id(monitoring) if monitoring is not None else None
    if tool is None:
        return run()
    deadline = time.monotonic() + seconds
    state = {"active": True}

    def check(*_event):
        if state["active"] and time.monotonic() > deadline:
            raise _OutOfTime()

    events = monitoring.events.JUMP | monitoring.events.PY_START
    monitoring.use_tool_id(tool, "lrcourse time limit")
    try:
        for event in (monitoring.events.JUMP, monitoring.events.PY_START):
            monitoring.register_callback(tool, event, check)
        monitoring.set_events(tool, events)
        return run()
    finally:
        state["active"] = False
        monitoring.set_events(tool, 0)
        for event in (monitoring.events.JUMP, monitoring.events.PY_START):
            monitoring.register_callback(tool, event, None)
        monitoring.free_tool_id(tool)


def _free_tool_id(monitoring) -> int | None:
    """A :mod:`sys.monitoring` tool id no debugger, coverage tool or profiler holds."""
    for tool in (3, 4, monitoring.OPTIMIZER_ID, monitoring.PROFILER_ID):
        if monitoring.get_tool(tool) is None:
            return tool
    return None


def _run_with_watchdog(run: Callable[[], Any], seconds: float):
    outcome: dict[str, Any] = {}

    def target():
        try:
            outcome["value"] = run()
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    worker = threading.Thread(target=target, name="lrcourse-check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _OutOfTime()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ---------------------------------------------------------------------------
# Inputs changed in place
# ---------------------------------------------------------------------------

def changed_inputs(originals: dict, after: dict) -> list[str]:
    """Names of the arguments whose value in ``after`` differs from ``originals``.

    Arrays are compared exactly (NaN equal to NaN); lists, tuples and dicts
    recursively; other objects are not compared.
    """
    return [key for key in originals if not _same(originals[key], after[key])]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return True


def _mutation_problem(name: str, changed: list[str]) -> Diagnosis:
    listed = " and ".join(changed)
    first = changed[0]
    return Diagnosis(
        "mutated_input",
        f"{name} changed its input {listed} in place.",
        f"Return a new array instead of updating {first} in place: `{first} -= ...` or "
        f"`{first}[...] = ...` changes the caller's array too (write `new = {first} - ...`).",
        show_returned=False,
    )


# ---------------------------------------------------------------------------
# Comparing values
# ---------------------------------------------------------------------------

def close(actual: Any, expected: Any, *, rtol: float = 1e-7, atol: float = 1e-12) -> bool:
    """Whether two outputs agree: arrays/numbers elementwise, tuples item by item.

    Infinities must match exactly; NaN never matches.
    """
    if isinstance(expected, tuple):
        return (isinstance(actual, tuple) and len(actual) == len(expected)
                and all(close(a, e, rtol=rtol, atol=atol) for a, e in zip(actual, expected)))
    if actual is None or expected is None:
        return actual is None and expected is None
    try:
        a = np.asarray(actual, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    if a.shape != e.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.isclose(a, e, rtol=rtol, atol=atol)))


# ---------------------------------------------------------------------------
# What a function must return
# ---------------------------------------------------------------------------

class Output:
    """Specification of a return value: :meth:`accept` checks and normalises it."""

    #: how the value is called in messages ("the new parameters")
    what: str = "the result"

    def accept(self, value: Any, args: dict) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


def _none_problem(what: str) -> Diagnosis:
    return Diagnosis(
        "returned_none",
        f"It returned None instead of {what}.",
        "Did you forget the `return` statement? A function without one returns None.",
        show_returned=False,
    )


@dataclasses.dataclass(frozen=True)
class ArrayOut(Output):
    """A float array.

    Parameters
    ----------
    what : str
        How the value is called in messages.
    like : str, optional
        Name of an argument whose shape the result must have.
    shape : callable, optional
        ``args -> shape`` for other shapes (e.g. ``(steps + 1, dim)``).
    shape_text : str
        The expected shape in words for messages ("(steps + 1, dim)").
    allow_nonfinite : bool
        Whether NaN/inf are acceptable values.
    """

    what: str = "an array"
    like: str | None = None
    shape: Callable[[dict], tuple] | None = None
    shape_text: str = ""
    allow_nonfinite: bool = False

    def expected_shape(self, args: dict) -> tuple | None:
        if self.like is not None:
            return np.shape(args[self.like])
        if self.shape is not None:
            return tuple(self.shape(args))
        return None

    def accept(self, value: Any, args: dict) -> np.ndarray:
        if value is None:
            raise _none_problem(self.what)
        if isinstance(value, (np.ndarray, list, tuple, numbers.Real, np.generic)):
            try:
                array = np.asarray(value)
            except ValueError:  # ragged lists
                array = np.asarray(value, dtype=object)
        else:
            raise Diagnosis(
                "wrong_type",
                f"It returned {type(value).__name__} {describe(value)} instead of {self.what}.",
                "Return a NumPy array.",
            )
        expected = self.expected_shape(args)
        if array.dtype.kind == "c":
            raise Diagnosis(
                "wrong_dtype",
                f"It returned complex numbers (dtype {array.dtype}) instead of {self.what} of floats.",
                "np.linalg.eig can return complex values; for a symmetric matrix use "
                "np.linalg.eigh or eigvalsh, whose results are real.",
            )
        if array.dtype == object or array.dtype.kind not in "fiub":
            raise Diagnosis(
                "wrong_dtype",
                f"It returned an array of dtype {array.dtype} instead of {self.what} of floats.",
                "Build the result from the float arrays you were given (np.array of a list of "
                "equal-length arrays works; a list of lists of different lengths does not).",
            )
        if expected is not None and array.shape != expected:
            if self.like:
                should = f"the shape of {self.like}, {expected}"
            else:
                should = f"shape {self.shape_text} = {expected}" if self.shape_text else f"shape {expected}"
            raise Diagnosis(
                "wrong_shape",
                f"It returned an array of shape {array.shape}; {self.what} should have {should}.",
                _shape_hint(array.shape, expected),
            )
        if array.dtype.kind in "iub":
            raise Diagnosis(
                "wrong_dtype",
                f"It returned integers (dtype {array.dtype}) instead of {self.what} of floats.",
                "Something in your code rounds or starts from an integer array: "
                "np.zeros(n, dtype=int) or np.array([0, 0]) makes integers; use floats.",
            )
        if array.dtype != np.float64:
            raise Diagnosis(
                "wrong_dtype",
                f"It returned dtype {array.dtype}; {self.what} should be float64, like the inputs.",
                "Don't convert to a lower precision (float32/float16): keep NumPy's default float64.",
            )
        if not self.allow_nonfinite and not np.all(np.isfinite(array)):
            raise Diagnosis(
                "not_finite",
                f"It returned NaN or infinite values in {self.what}.",
                "Look for a division by zero, a log or sqrt of a negative number, or an "
                "update that grows without bound (a sign error makes gradient descent diverge).",
            )
        return array


def _shape_hint(got: tuple, expected: tuple) -> str:
    if got == ():
        return ("You returned a single number: did you sum or take a norm? Keep one entry "
                "per parameter.")
    if len(got) == len(expected) + 1 or (len(got) == 2 and len(expected) == 1):
        return ("An extra axis often comes from broadcasting a column against a row "
                "(shapes (n, 1) and (n,) give (n, n)); check the shapes of what you combine.")
    return "Check which arrays you combine and how: print their .shape to see."


@dataclasses.dataclass(frozen=True)
class NumberOut(Output):
    """A real number (a Python float, a NumPy scalar, or a one-element array).

    ``allow_inf`` accepts ±inf (e.g. "the variance is infinite"); NaN never passes.
    """

    what: str = "a number"
    allow_inf: bool = False

    def accept(self, value: Any, args: dict) -> float:
        if value is None:
            raise _none_problem(self.what)
        if isinstance(value, (bool, np.bool_)):
            raise Diagnosis("wrong_type", f"It returned {value} instead of {self.what}.",
                          "Return the number itself, not a comparison.")
        if isinstance(value, np.ndarray):
            if value.size != 1:
                raise Diagnosis(
                    "wrong_shape",
                    f"It returned an array of shape {value.shape} instead of {self.what}.",
                    "Reduce it to one number: which single value does the question ask for?",
                )
            value = value.reshape(()).item()
        if isinstance(value, (complex, np.complexfloating)):
            raise Diagnosis(
                "wrong_dtype",
                f"It returned a complex number ({value}) instead of {self.what}.",
                "np.linalg.eig can return complex eigenvalues; for a symmetric matrix use "
                "np.linalg.eigvalsh, whose eigenvalues are real (and sorted).",
            )
        if not isinstance(value, (numbers.Real, np.floating, np.integer)):
            raise Diagnosis("wrong_type",
                          f"It returned {type(value).__name__} {describe(value)} instead of {self.what}.",
                          "Return a float.")
        number = float(value)
        if math.isnan(number) or (math.isinf(number) and not self.allow_inf):
            raise Diagnosis(
                "not_finite",
                f"It returned {number} instead of {self.what}.",
                "Look for a division by zero or a sqrt/log of a negative number.",
            )
        return number


@dataclasses.dataclass(frozen=True)
class TupleOut(Output):
    """A tuple of outputs, e.g. ``(x_new, buf_new)``: each item checked by its spec."""

    items: tuple = ()
    names: tuple = ()

    @property
    def what(self) -> str:  # type: ignore[override]
        return "a tuple (" + ", ".join(self.names) + ")"

    def accept(self, value: Any, args: dict) -> tuple:
        if value is None:
            raise _none_problem(self.what)
        if not isinstance(value, (tuple, list)) or len(value) != len(self.items):
            got = (f"a tuple of {len(value)} items" if isinstance(value, (tuple, list))
                   else describe(value))
            raise Diagnosis(
                "wrong_type",
                f"It returned {got} instead of {self.what}.",
                f"End with `return {', '.join(self.names)}`.",
            )
        accepted = []
        for item, spec, item_name in zip(value, self.items, self.names):
            try:
                accepted.append(spec.accept(item, args))
            except Diagnosis as problem:
                problem.diagnosis = f"{item_name} (item {len(accepted) + 1} of the tuple): {problem.diagnosis}"
                raise
        return tuple(accepted)


# ---------------------------------------------------------------------------
# Cases, mistakes, parts
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    """One input the learner's function is tried on.

    Parameters
    ----------
    args : dict
        Arguments by parameter name, in the function's parameter order; the
        function is called positionally, so a learner who renames a parameter is
        not penalised.  A :class:`Part` checks the names against its reference's
        signature when it is built.
    shown : dict
        How to show arguments that do not print well (a gradient function, a
        long list of batches), by name.
    """

    args: dict
    shown: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A common mistake a check recognises.

    Give either ``variant``, a wrong implementation with the learner's signature
    (the learner's output matches it), or ``detect``, a predicate
    ``detect(args, output, expected) -> bool`` on the learner's (accepted) output,
    the reference's output and the case's arguments.

    Parameters
    ----------
    id : str
        Identifier reported as ``CheckFailed.mistake`` (``"sign_flipped"``).
    diagnosis : str
        What is wrong, in the lesson's terms.
    hint : str
        How to fix it, without the solution.
    needs : tuple of str
        Arguments ``detect`` reads by name (``("x", "lr")``).  A :class:`Part`
        refuses, when it is built, a case without one of them: the detector
        would otherwise never fire on it, silently.
    sees_nonfinite : bool
        Also try this mistake on an output with NaN or ±inf, which the output
        specification rejects as ``not_finite`` (e.g. "the bias correction with
        t − 1 divides by zero at t = 1").  When such a mistake recognises a
        non-finite output, the case is diagnosed with the others instead of
        being reported as ``not_finite`` at once; other mistakes never match a
        non-finite output.
    """

    id: str
    diagnosis: str
    hint: str
    variant: Callable | None = None
    detect: Callable[[dict, Any, Any], bool] | None = None
    needs: tuple = ()
    sees_nonfinite: bool = False

    def matches(self, args: dict, output: Any, expected: Any, *, rtol: float, atol: float) -> bool:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if self.variant is not None:
                    wrong = self.variant(*copy.deepcopy(list(args.values())))
                    return close(output, wrong, rtol=rtol, atol=atol)
                return bool(self.detect(args, output, expected))
            except Exception:  # a detector that does not apply to this output
                return False


@dataclasses.dataclass(frozen=True)
class _NonFinite:
    """An output rejected as not finite, kept for diagnosis (see ``Mistake.sees_nonfinite``)."""

    value: Any


@dataclasses.dataclass
class Part:
    """A graded part: the learner's function against a reference on several cases.

    Parameters
    ----------
    name : str
        The learner's function name (shown in every message and the pass line).
    points : float
        What the part is worth; must equal the grade cell's nbgrader ``points``.
    reference : callable
        The right implementation, same signature.  Never shown.
    returns : Output
        What the function must return.
    cases, hidden_cases : sequence of Case
        The inputs tried by ``check(f)`` and by ``check(f, hidden=True)``.
    mistakes : sequence of Mistake
        Known mistakes, most specific first.
    wrong_hint : str
        The hint when the output is wrong and no known mistake matches.
    rtol, atol : float
        Tolerances for comparing with the reference.
    time_limit : float
        Seconds per call.
    rediagnose_raised : callable, optional
        ``rediagnose_raised(part, func, case, problem) -> Diagnosis | None``, called
        when the learner's function raised on ``case`` (``problem.mistake ==
        "raised"``): it may try the function again (with :meth:`call`) and return
        a more specific :class:`Diagnosis`, reported instead; ``None`` keeps the
        original one.
    case_properties : tuple of str, optional
        ``None`` (the default): a mistake that explains only the first wrong case may
        be named.  A tuple of mistake ids: only those may (mistakes that state a
        property of one case in the lesson's terms, e.g. "your rate is below √μ",
        true whatever else the code does); every other mistake is named only when it
        explains *every* case.  ``()``: no one-case diagnosis at all.

    Raises
    ------
    ValueError
        When it is built, if a case's argument names are not the reference's
        positional parameters in order (cases are passed positionally, so a
        skipped middle argument would silently shift the ones after it), or a
        case lacks an argument a mistake ``needs``.

    Notes
    -----
    ``check`` reports the first case that raises, hangs, changes an input or
    returns something of the wrong kind.  When all cases return but some values
    are wrong, it looks for a mistake that explains *every* case, then one that
    explains the first wrong case (see ``case_properties``), and otherwise says the
    value is wrong.
    """

    name: str
    points: float
    reference: Callable
    returns: Output
    cases: Sequence[Case]
    hidden_cases: Sequence[Case] = ()
    mistakes: Sequence[Mistake] = ()
    wrong_hint: str = ""
    rtol: float = 1e-7
    atol: float = 1e-12
    time_limit: float = TIME_LIMIT
    rediagnose_raised: Callable[["Part", Callable, Case, Diagnosis], Diagnosis | None] | None = None
    case_properties: tuple | None = None

    def __post_init__(self):
        if self.case_properties is not None:
            unknown = set(self.case_properties) - {mistake.id for mistake in self.mistakes}
            if unknown:
                check.fail(f"{self.name}'s case_properties", "ids of the part's mistakes",
                           check.Described(", ".join(sorted(unknown))), "Name mistakes listed in mistakes=")
        for kind in ("cases", "hidden_cases"):
            for index, case in enumerate(getattr(self, kind)):
                where = f"the arguments of {self.name}'s {kind}[{index}]"
                _check_positional(where, list(case.args), self.reference)
                for mistake in self.mistakes:
                    missing = [name for name in mistake.needs if name not in case.args]
                    if missing:
                        check.fail(where, f"a dict with {', '.join(map(repr, missing))}, which the mistake "
                                   f"{mistake.id!r} reads", check.Described(_names(case.args)),
                                   "Give every case that argument explicitly (a default value is invisible "
                                   "to the detector), or tell the detector its name (e.g. step_mistakes(lr=...))")

    def check(self, func: Callable, *, hidden: bool = False) -> None:
        """Check ``func``: print the pass line, or raise :class:`CheckFailed`.

        With ``hidden=True`` the hidden cases are tried and nothing is printed on
        success (the grade cell's hidden-test region calls it before the visible check).
        """
        cases = self.hidden_cases if hidden else self.cases
        results = []
        for case in cases:
            output = self._run(func, case)
            expected = self._expected(case)
            results.append((case, output, expected))
        wrong = [r for r in results if isinstance(r[1], _NonFinite)
                 or not close(r[1], r[2], rtol=self.rtol, atol=self.atol)]
        if wrong:
            raise self._diagnose(results, wrong)
        if not hidden:
            report_pass(self.name, self.points)

    def call(self, func: Callable, args: dict) -> Any:
        """``func`` called on copies of ``args`` as :meth:`check` calls it (raises :class:`Diagnosis`)."""
        return call_learner(func, list(copy.deepcopy(args).values()), name=self.name,
                            time_limit=self.time_limit)

    def _run(self, func: Callable, case: Case) -> Any:
        pristine = copy.deepcopy(case.args)
        given = copy.deepcopy(case.args)
        tried = describe_call(self.name, pristine, case.shown)
        try:
            value = call_learner(func, list(given.values()), name=self.name, time_limit=self.time_limit)
        except Diagnosis as problem:
            if problem.mistake == "raised" and self.rediagnose_raised is not None:
                problem = self.rediagnose_raised(self, func, case, problem) or problem
            raise report(self.name, self.points, problem, tried=tried) from None
        changed = changed_inputs(pristine, given)
        if changed:
            raise report(self.name, self.points, _mutation_problem(self.name, changed),
                         tried=tried) from None
        try:
            return self.returns.accept(value, pristine)
        except Diagnosis as problem:
            if problem.mistake == "not_finite" and self._recognises_nonfinite(case, value):
                return _NonFinite(value)
            raise report(self.name, self.points, problem, tried=tried, returned=value) from None

    def _expected(self, case: Case) -> Any:
        with np.errstate(all="ignore"):
            value = self.reference(*copy.deepcopy(list(case.args.values())))
        return self.returns.accept(value, case.args)

    def _recognises_nonfinite(self, case: Case, value: Any) -> bool:
        seeing = [mistake for mistake in self.mistakes if mistake.sees_nonfinite]
        if not seeing:
            return False
        expected = self._expected(case)
        return any(self._explains(mistake, case, _NonFinite(value), expected) for mistake in seeing)

    def _explains(self, mistake: Mistake, case: Case, output: Any, expected: Any) -> bool:
        if isinstance(output, _NonFinite):
            if not mistake.sees_nonfinite:
                return False
            output = output.value
        return mistake.matches(case.args, output, expected, rtol=self.rtol, atol=self.atol)

    def _diagnose(self, results: list, wrong: list) -> CheckFailed:
        first_case, first_output, first_expected = wrong[0]
        if isinstance(first_output, _NonFinite):
            first_output = first_output.value
        tried = describe_call(self.name, first_case.args, first_case.shown)
        one_case = (self.mistakes if self.case_properties is None
                    else [m for m in self.mistakes if m.id in self.case_properties])
        for pool, mistakes in ((results, self.mistakes), (wrong[:1], one_case)):
            for mistake in mistakes:
                if all(self._explains(mistake, c, out, exp) for c, out, exp in pool):
                    problem = Diagnosis(mistake.id, mistake.diagnosis, mistake.hint)
                    return report(self.name, self.points, problem, tried=tried, returned=first_output)
        problem = Diagnosis(
            "wrong_value",
            f"{self.name} returned a wrong value on this input "
            f"(right on {len(results) - len(wrong)} of {len(results)} inputs).",
            self.wrong_hint or "Compare your code with the formula in the instructions, term by term.",
        )
        return report(self.name, self.points, problem, tried=tried, returned=first_output)


def _names(args) -> str:
    return "(" + ", ".join(args) + ")"


def _check_positional(where: str, keys: list, reference: Callable) -> None:
    """Refuse argument names that are not ``reference``'s positional parameters, in order."""
    try:
        parameters = list(inspect.signature(reference).parameters.values())
    except (TypeError, ValueError):  # a callable without a signature: nothing to compare with
        return
    positional = [p for p in parameters
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]
    takes_more = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)
    required = [p.name for p in positional if p.default is inspect.Parameter.empty]
    keyword_only = [p.name for p in parameters
                    if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty]
    named = keys[:len(names)]
    if (named != names[:len(named)] or len(keys) < len(required) or keyword_only
            or (len(keys) > len(names) and not takes_more)):
        check.fail(where, f"the reference's positional parameters in order, {_names(names)} (the first "
                   f"{len(required)} required)", check.Described(_names(keys)),
                   "Cases are passed positionally, so a skipped or reordered argument shifts the ones "
                   "after it: give every parameter up to the last one the case sets, in order")


# ---------------------------------------------------------------------------
# Graded multiple choice
# ---------------------------------------------------------------------------

def choice_letters(value: Any, options: Sequence[str], *, example: str) -> frozenset:
    """The learner's answer to a "choose every option that…" question, as a set of letters.

    The answer is a string of option letters (``"AC"``; spaces and commas are ignored, case
    too; ``""`` for none).  A set, frozenset, list or tuple of letters is accepted as well
    (in a notebook; the classroom grader's data channel carries strings, lists and tuples
    only, which is why the exercises ask for a string).  Anything else is refused with a
    message saying what to return.

    Raises
    ------
    Diagnosis
        ``returned_none``, ``wrong_type`` or ``unknown_option``.
    """
    listed = ", ".join(repr(o) for o in options)
    if value is None:
        raise _none_problem(f"a string of option letters such as {example}")
    if isinstance(value, str):
        items = [c for c in value if c not in " ,"]
    elif isinstance(value, (set, frozenset, list, tuple)):
        items = list(value)
    else:
        raise Diagnosis(
            "wrong_type",
            f"It returned {type(value).__name__} {describe(value)} instead of a string of option "
            f"letters such as {example}.",
            f"Return the letters you choose as one string, e.g. `return {example}` (\"\" for none).",
        )
    chosen = set()
    for item in items:
        if not isinstance(item, str) or item.strip().upper() not in options:
            raise Diagnosis(
                "unknown_option",
                f"It returned {describe(value)}, which holds {describe(item)}: the options are "
                f"{listed}.",
                "Return only letters of the options listed in the question.",
            )
        chosen.add(item.strip().upper())
    return frozenset(chosen)


def check_choice(name: str, points: float, func: Callable, *, options: Sequence[str], example: str,
                 grade: Callable[[frozenset], Diagnosis | None], hidden: bool,
                 time_limit: float = TIME_LIMIT) -> None:
    """Check a multiple-choice part: ``func()`` returns a string of option letters.

    ``grade(letters)`` returns ``None`` for a right answer, else the :class:`Diagnosis` that
    names the misunderstanding (in the lesson's terms, pointing at the lesson's
    section; it must not list the right letters).  The hidden check asks again (the
    answer is a constant, so it only confirms the function is deterministic).
    """
    def one(_case) -> None:
        value = call_learner(func, [], name=name, time_limit=time_limit)
        letters = choice_letters(value, options, example=example)
        problem = grade(letters)
        if problem is not None:
            raise problem
    check_cases(name, points, [0], one, tried=lambda _case: f"{name}()", hidden=hidden)
