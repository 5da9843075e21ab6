"""Detectors of common mistakes, shared by the exercises' checks.

Each factory returns :class:`~lrcourse.grading.core.Mistake` objects that a
:class:`~lrcourse.grading.core.Part` tries, in order, when the learner's output is
wrong.  They work from the *relation* between the learner's output and the
reference's output (a step with the opposite sign, a value scaled by η, the
schedule's value one step later), so one detector serves every exercise with that
kind of output.  Mistakes specific to one formula (eps inside the square root,
Sutskever's velocity) are written next to their part as ``variant`` functions.

Messages speak the lessons' language and never contain the reference's values.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from lrcourse.grading.core import Mistake, close

__all__ = [
    "step_mistakes",
    "scaled",
    "swapped_items",
    "shifted_step",
    "diagonal_only",
]


def _item(value: Any, item: int | None):
    return value if item is None else value[item]


def step_mistakes(*, x: str = "x", lr: str = "lr", item: int | None = None) -> list[Mistake]:
    """Mistakes of an update ``x_new = x − η·d`` whatever the direction d.

    Compares the learner's new parameters with ``x`` and the reference's new
    parameters (``expected``): with the update Δ = expected − x,

    - ``sign_flipped``: the learner returned x − Δ (moves uphill);
    - ``lr_missing``:   x + Δ/η (η left out);
    - ``lr_twice``:     x + η·Δ (η applied twice);
    - ``unchanged``:    x itself (no step at all).

    Parameters
    ----------
    x, lr : str
        Names of the parameters and learning-rate arguments.  Every case must
        give both explicitly: a :class:`~lrcourse.grading.core.Part` whose case
        lacks one refuses to be built (otherwise the η checks would silently
        never fire on that case).
    item : int, optional
        Index of the new parameters in a tuple output such as ``(x_new, buf_new)``.
    """

    def delta(args, expected):
        return _item(expected, item) - np.asarray(args[x], dtype=float)

    def moved(args, expected):
        return not close(_item(expected, item), args[x])

    def flipped(args, out, expected):
        return moved(args, expected) and close(_item(out, item), args[x] - delta(args, expected))

    def lr_missing(args, out, expected):
        return (not np.allclose(args[lr], 1.0) and moved(args, expected)
                and close(_item(out, item), args[x] + delta(args, expected) / args[lr]))

    def lr_twice(args, out, expected):
        return (not np.allclose(args[lr], 1.0) and moved(args, expected)
                and close(_item(out, item), args[x] + delta(args, expected) * args[lr]))

    def unchanged(args, out, expected):
        return moved(args, expected) and close(_item(out, item), args[x])

    return [
        Mistake(
            "sign_flipped",
            "Your update moves uphill: its sign is flipped, so the loss grows instead of shrinking.",
            "Gradient descent moves against the gradient: subtract the step from x, don't add it.",
            detect=flipped,
            needs=(x,),
        ),
        Mistake(
            "lr_missing",
            "Your update ignores the learning rate η: it points the right way but is 1/η times too long.",
            "The step is scaled by the learning rate η (the argument lr).",
            detect=lr_missing,
            needs=(x, lr),
        ),
        Mistake(
            "lr_twice",
            "The learning rate η is applied twice: your step is η times too short (η² instead of η).",
            "Multiply by lr exactly once.",
            detect=lr_twice,
            needs=(x, lr),
        ),
        Mistake(
            "unchanged",
            "It returned the parameters unchanged: no step was taken.",
            "Return the new parameters (a new array), not the old x.",
            detect=unchanged,
            needs=(x,),
        ),
    ]


def scaled(id: str, factor: Callable[[dict], Any], diagnosis: str, hint: str, *,
           item: int | None = None) -> Mistake:
    """The learner's value is the right one times ``factor(args)`` (≠ 1).

    For a missing or extra constant: ``scaled("factor_two", lambda a: 0.5, ...)``.
    """

    def detect(args, out, expected):
        f = factor(args)
        return not np.allclose(f, 1.0) and close(_item(out, item), np.multiply(_item(expected, item), f))

    return Mistake(id, diagnosis, hint, detect=detect)


def swapped_items(names: tuple[str, str]) -> Mistake:
    """A two-item tuple returned in the wrong order, e.g. ``(momentum, lr)``."""
    first, second = names

    def detect(args, out, expected):
        return (not close(expected[0], expected[1]) and close(out[0], expected[1])
                and close(out[1], expected[0]))

    return Mistake(
        "swapped_outputs",
        f"The two values are in the wrong order: return ({first}, {second}).",
        f"Both values are right, but the first item must be {first} and the second {second}.",
        detect=detect,
    )


def shifted_step(reference: Callable, *, step: str = "step") -> list[Mistake]:
    """A schedule (or anything indexed by a step count) off by one step.

    ``reference`` is called with the case's arguments as keywords and ``step``
    replaced by ``step + 1`` (``ahead_one_step``) or ``step − 1``
    (``behind_one_step``); the learner's output matching it means an off-by-one
    error in the step count.
    """

    def shifted_by(shift):
        def detect(args, out, expected):
            moved = dict(args)
            moved[step] = np.asarray(args[step]) + shift
            if np.any(moved[step] < 0):
                return False
            wrong = reference(**moved)
            return not close(wrong, expected) and close(out, wrong)
        return detect

    return [
        Mistake(
            "ahead_one_step",
            f"Your values are one step ahead: at {step} = t you return the value for t + 1.",
            f"Count steps from 0, as PyTorch does: the first call uses {step} = 0.",
            detect=shifted_by(+1),
            needs=(step,),
        ),
        Mistake(
            "behind_one_step",
            f"Your values are one step behind: at {step} = t you return the value for t − 1.",
            f"Check where you add or subtract 1 from {step}: the first call uses {step} = 0.",
            detect=shifted_by(-1),
            needs=(step,),
        ),
    ]


def diagonal_only(reference: Callable, *, matrix: str = "H") -> Mistake:
    """Using the diagonal of a Hessian as if it held the eigenvalues.

    Right only for an axis-aligned quadratic; a rotated one has larger and smaller
    eigenvalues than its diagonal entries.
    """

    def detect(args, out, expected):
        H = np.asarray(args[matrix], dtype=float)
        if np.allclose(H, np.diag(np.diag(H))):
            return False
        as_if_diagonal = dict(args)
        as_if_diagonal[matrix] = np.diag(np.diag(H))
        wrong = reference(**as_if_diagonal)
        return not close(wrong, expected) and close(out, wrong)

    return Mistake(
        "diagonal_not_eigenvalues",
        f"You used the diagonal entries of {matrix} as its eigenvalues; that is right only "
        "when the quadratic's axes are the coordinate axes.",
        f"A rotated quadratic's curvatures are the eigenvalues of {matrix}: "
        "np.linalg.eigvalsh gives them (sorted, smallest first).",
        detect=detect,
        needs=(matrix,),
    )
