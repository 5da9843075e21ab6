"""A problem whose loss stops being finite: for testing code that must notice it.

Training code such as an LR range test has to stop when the loss is no longer a
number. With a real model that happens at some large rate, after an overflow; this
problem makes it happen on purpose and early: f(x) = 1 + ‖x‖² inside the cube
|x_i| ≤ 1 and NaN outside it. Its loss never falls below 1, so a smoothed loss turns
NaN before it can exceed a few times its best value — only a "not finite" stop
catches it. (It lives outside ``lrcourse.grading`` so that the class grader's
sandbox, which cannot see the checks, can still receive it as an input.)
"""

from __future__ import annotations

import numpy as np

from .. import _validation as check

__all__ = ["NanOutsideBox"]


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
