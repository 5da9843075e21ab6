"""Output specs and checks shared by the exercises: what a part may return.

One policy for every exercise, stated in each part's text (docs/exercises-design.md,
"Return types"): a result the notebook's own later cells cannot use is refused with a
message saying why.

- :class:`ArrayOnlyOut`: an array part refuses a Python list or tuple;
- :class:`NumberOnlyOut`: a number part refuses a one-element array and float32/float16;
- :func:`check_new_arrays`: once every value is right, a result that *is* one of the
  input arrays (the same object) is refused;
- :func:`works_when` (and :func:`raised_on_list`): code that raised, but works on the same
  numbers in another form (an array for a list, 1-D for n-D, a number for arrays), is
  told what it assumed.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from lrcourse.grading.core import (
    ArrayOut, Diagnosis, NumberOut, Part, describe_call, report, report_pass,
)

__all__ = ["ARRAY_USE", "ArrayOnlyOut", "NumberOnlyOut", "check_new_arrays", "raised_on_list", "works_when"]


@dataclasses.dataclass(frozen=True)
class ArrayOnlyOut(ArrayOut):
    """An array the exercise's text promises ("returns an array"): a Python list or tuple is
    refused with ``use``, what the notebook's later cells (or the stated contract) do with
    the value that a list cannot do (issue 9: a return type the notebook cannot use is
    refused with a message saying why)."""

    use: str = "The exercise's text asks for a NumPy array."

    def accept(self, value, args):
        if isinstance(value, (list, tuple)):
            raise Diagnosis(
                "returned_list",
                f"It returned a Python {type(value).__name__} instead of {self.what} as a NumPy "
                f"array. {self.use}",
                "Build the result as a NumPy array (np.array(...) of your list, or compute it "
                "with NumPy operations on whole arrays).",
            )
        return super().accept(value, args)


# ---------------------------------------------------------------------------
# The policy
# ---------------------------------------------------------------------------
#
# - an array result must be a float64 NumPy array of the stated shape: a Python list or
#   tuple is refused (ARRAY_USE says why), float32/float16 and ints too (core.ArrayOut);
# - a number result must be one number (float, int, NumPy float64 scalar or 0-d array): a
#   one-element array and a float32/float16 number are refused (NumberOnlyOut says why);
# - a pair (x_new, buf_new) or (lr, momentum) may be a tuple or a list of the two, since
#   the notebooks' cells unpack it (core.TupleOut);

#: Why an array part refuses a list (issue 9: refuse a return type only saying why).
ARRAY_USE = ("The next steps use it as parameters, and a list cannot serve: lr * list raises, "
             "list + list concatenates, and it has no .shape.")


@dataclasses.dataclass(frozen=True)
class NumberOnlyOut(NumberOut):
    """One number, as the notebooks print it (``f"{value:.4f}"``).

    A one-element array passes :class:`NumberOut` but cannot be formatted (NumPy raises
    TypeError for an array of shape (1,)); a float32 number holds about 7 digits, fewer than
    the checks compare (and than a float64 array part is allowed, see ArrayOut).  Both are
    refused, saying why.
    """

    def accept(self, value, args):
        if isinstance(value, np.ndarray) and value.ndim > 0 and value.size == 1:
            raise Diagnosis(
                "one_element_array",
                f"It returned an array of shape {value.shape} instead of {self.what} as a number: "
                "the notebook prints results with f\"{value:.4f}\", which raises TypeError for an "
                "array of shape (1,).",
                "Return a float: float(...) of your result, or index its one element.",
            )
        dtype = getattr(value, "dtype", None)
        if dtype is not None and dtype.kind == "f" and dtype != np.float64:
            raise Diagnosis(
                "wrong_dtype",
                f"It returned a {dtype} number; {self.what} should be a float64, like the inputs "
                f"({dtype} keeps too few digits for the comparison).",
                "Don't convert to a lower precision (float32/float16): keep NumPy's default float64.",
            )
        return super().accept(value, args)


def check_new_arrays(part: Part, func, *, hidden: bool, run=None, names: tuple = ()) -> None:
    """``part.check(func, hidden=hidden)``; then, once every value is right, a result (or an
    item of a returned tuple) that *is* one of the arrays passed in is refused: the caller's
    array and the result are then one array, so changing either in place changes the other.

    ``run(part, func)`` checks silently (default ``part.check(func, hidden=True)``); it is
    given a copy of ``part`` whose hidden cases are the cases this call checks.  ``names``:
    the returned items' names when the result is a tuple.
    """
    parameters = list(part.cases[0].args)
    aliased: list = []

    @functools.wraps(func)
    def recorded(*args):
        out = func(*args)
        items = list(enumerate(out)) if isinstance(out, tuple) else [(None, out)]
        found = [(index, name) for index, item in items for name, arg in zip(parameters, args)
                 if isinstance(arg, np.ndarray) and item is arg]
        aliased.append(found[0] if found else None)
        return out

    cases = part.hidden_cases if hidden else part.cases
    silent = dataclasses.replace(part, hidden_cases=cases)
    checked = recorded if callable(func) else func
    (run or (lambda p, f: p.check(f, hidden=True)))(silent, checked)
    for case, found in zip(cases, aliased):
        if found is not None:
            index, arg = found
            what = "It returned" if index is None else f"The {names[index]} it returned is"
            raise report(part.name, part.points, Diagnosis(
                "returned_input",
                f"{what} the very array {arg} it was given, not a new array: the caller's {arg} "
                "and your result are then one array, so changing either one in place (the next "
                "step or the caller may) changes the other.",
                f"Return a new array: compute it with an expression (which makes one), or copy "
                f"{arg} (np.array(…, dtype=float) or .copy()).",
            ), tried=describe_call(part.name, case.args, case.shown))
    if not hidden:
        report_pass(part.name, part.points)


def works_when(transform, mistake: str, diagnosis, hint: str):
    """A ``Part(rediagnose_raised=...)`` hook: code that raised, but works on other arguments.

    When the learner's function raised on a case, ``transform(args)`` gives the same
    numbers in a form the function may have assumed (an array for a list, 1-D for n-D,
    one number for arrays), or ``None`` when it does not apply.  If the function works on
    them, the reported problem becomes ``mistake``: ``diagnosis(name, args)`` (what it
    works on and what it raised on), followed by the original error, and ``hint``.
    """
    def hook(part: Part, func, case, problem: Diagnosis) -> Diagnosis | None:
        changed = transform(case.args)
        if changed is None:
            return None
        try:
            part.call(func, changed)
        except Diagnosis:
            return None
        return Diagnosis(
            mistake,
            diagnosis(part.name, case.args) + ":\n  " + problem.diagnosis.replace("\n", "\n  "),
            hint,
            show_returned=False,
        )
    return hook


def raised_on_list(argument: str, diagnosis: str, hint: str):
    """:func:`works_when` for an ``argument`` the text lets be a (nested) list: retried as a
    float array, ``list_not_accepted``; ``diagnosis`` is formatted with ``name``."""
    def as_array(args):
        value = args.get(argument)
        if value is None or isinstance(value, np.ndarray):
            return None
        return {**args, argument: np.array(value, dtype=float)}
    return works_when(as_array, "list_not_accepted", lambda name, _args: diagnosis.format(name=name), hint)
