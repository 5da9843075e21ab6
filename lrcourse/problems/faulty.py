"""Problems with a deliberate fault, for testing code that must notice it.

``NanOutsideBox``: a loss that stops being finite.

Training code such as an LR range test has to stop when the loss is no longer a
number. With a real model that happens at some large rate, after an overflow; this
problem makes it happen on purpose and early: f(x) = 1 + ‖x‖² inside the cube
|x_i| ≤ 1 and NaN outside it. Its loss never falls below 1, so a smoothed loss turns
NaN before it can exceed a few times its best value — only a "not finite" stop
catches it.

``Staircase``: a loss with one step, for an exact tie with a stopping rule's bar.

(They live outside ``lrcourse.grading`` so that the class grader's sandbox, which
cannot see the checks, can still receive them as inputs.)
"""

from __future__ import annotations

import numpy as np

from .. import _validation as check

__all__ = ["NanOutsideBox", "Staircase"]


class NanOutsideBox:
    """f(x) = 1 + ‖x‖² for |x_i| ≤ 1 (every i), NaN elsewhere; ∇f(x) = 2x everywhere.

    ``x`` may carry leading batch axes, as for every problem of :mod:`lrcourse.problems`.
    """

    def __init__(self, dim: int):
        self.dim = check.positive_int("dim", dim)
        self.name = "NanOutsideBox"

    def loss(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            value = np.where(np.all(np.abs(x) <= 1.0, axis=-1), 1.0 + np.sum(x * x, axis=-1), np.nan)
        return float(value) if x.ndim == 1 else value

    def grad(self, x):
        return 2.0 * np.asarray(x, dtype=float)


class Staircase:
    """A 1-D loss with one step: f(x) = 1 for x < 0.5 and f(x) = ``high`` beyond, with
    ∇f(x) = −1 everywhere, so each gradient step adds its rate to x.

    Not a real objective (its gradient is not f's derivative): with short binary
    fractions for the rates and ``high``, a smoothed loss can land exactly on a bar
    such as 4 × its best, which tells "exceeds" (>) from "reaches" (>=).
    """

    dim = 1

    def __init__(self, high: float):
        self.high = check.real("high", high)
        self.name = "Staircase"

    def init(self, seed=0):
        return np.zeros(1)

    def loss(self, x):
        x = np.asarray(x, dtype=float)
        value = np.where(x[..., 0] < 0.5, 1.0, self.high)
        return float(value) if x.ndim == 1 else value

    def grad(self, x):
        return -np.ones_like(np.asarray(x, dtype=float))
