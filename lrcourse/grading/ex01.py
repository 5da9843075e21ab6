"""Checks for exercise 01 — gradient descent and the step size.

Parts (learner's function → check):

- ``gd_step(x, grad, lr) -> x_new``                        → :func:`check_gd_step`
- ``gradient_descent(grad_fn, x0, lr, steps) -> xs``       → :func:`check_gradient_descent`
  (``xs`` has shape ``(steps + 1, dim)``, ``xs[0] = x0``)
- ``largest_stable_lr(H) -> float``  (2/λ_max)             → :func:`check_largest_stable_lr`
- ``optimal_lr(H) -> float``  (2/(λ_min + λ_max))          → :func:`check_optimal_lr`
- ``contraction_rate(H, lr) -> float``  (max |1 − ηλ_i|)   → :func:`check_contraction_rate`

Each check prints one line when the function is right and raises
:class:`~lrcourse.grading.core.CheckFailed` with a diagnosis otherwise.
"""

from __future__ import annotations

import numpy as np

from lrcourse.grading.core import (
    ArrayOut, Case, Mistake, NumberOut, Part, Problem, close,
)
from lrcourse.grading.diagnose import diagonal_only, scaled, step_mistakes
from lrcourse.grading.quadratics import (
    H_3D, H_4D, H_AXIS, H_ROT, eigenvalues, hessian, matrix_case, show_matrix,
)

__all__ = [
    "PARTS",
    "check_gd_step",
    "check_gradient_descent",
    "check_largest_stable_lr",
    "check_optimal_lr",
    "check_contraction_rate",
]


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

class _QuadraticGradient:
    """∇f for f(x) = ½ xᵀHx, as the ``grad_fn`` argument (H = ``self.H``)."""

    def __init__(self, H: np.ndarray):
        self.H = H
        self.__name__ = "grad_fn"

    def __call__(self, x):
        return self.H @ np.asarray(x, dtype=float)

    def text(self) -> str:
        return f"∇f of f(x) = ½ xᵀHx with H = {show_matrix(self.H)}"


# ---------------------------------------------------------------------------
# References (never shown to the learner)
# ---------------------------------------------------------------------------

def _gd_step(x, grad, lr):
    return x - lr * grad


def _gradient_descent(grad_fn, x0, lr, steps):
    points = [np.array(x0, dtype=float)]
    for _ in range(steps):
        points.append(points[-1] - lr * grad_fn(points[-1]))
    return np.array(points)


def _largest_stable_lr(H):
    return 2.0 / eigenvalues(H)[-1]


def _optimal_lr(H):
    lam = eigenvalues(H)
    return 2.0 / (lam[0] + lam[-1])


def _contraction_rate(H, lr):
    return float(np.max(np.abs(1.0 - lr * eigenvalues(H))))


# ---------------------------------------------------------------------------
# Part 1: one gradient-descent step
# ---------------------------------------------------------------------------

GD_STEP = Part(
    name="gd_step",
    points=1,
    reference=_gd_step,
    returns=ArrayOut(what="the new parameters", like="x"),
    cases=[
        Case({"x": np.array([1.0, -2.0]), "grad": np.array([0.5, 3.0]), "lr": 0.1}),
        Case({"x": np.array([[0.3, -1.2, 2.0], [1.5, 0.0, -0.7]]),
              "grad": np.array([[1.0, -4.0, 0.5], [2.0, 1.0, -3.0]]), "lr": 0.25}),
        Case({"x": np.array([4.0]), "grad": np.array([-8.0]), "lr": 0.05}),
    ],
    hidden_cases=[
        Case({"x": np.linspace(-1.0, 1.0, 7), "grad": np.cos(np.arange(7.0)), "lr": 1e-3}),
        Case({"x": np.zeros(3), "grad": np.array([1.0, 2.0, 3.0]), "lr": 0.5}),
    ],
    mistakes=[
        *step_mistakes(),
        Mistake(
            "returned_step",
            "It returned the change −η·∇f (the step) instead of the new parameters.",
            "The function returns where you land: the old x plus the step.",
            variant=lambda x, grad, lr: -lr * grad,
        ),
    ],
    wrong_hint="One gradient-descent step moves x against the gradient by η times the gradient.",
)


def check_gd_step(gd_step, *, hidden: bool = False) -> None:
    """Check ``gd_step(x, grad, lr) -> x_new`` (a new array; x unchanged)."""
    GD_STEP.check(gd_step, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: the gradient-descent loop
# ---------------------------------------------------------------------------

def _trajectory_shape_problem(array: np.ndarray, args: dict) -> Problem | None:
    """Name the off-by-one mistakes that show in the trajectory's shape."""
    steps = args["steps"]
    dim = np.shape(args["x0"])[0]
    right = _gradient_descent(args["grad_fn"], args["x0"], args["lr"], steps)
    if array.shape == (dim,):
        return Problem(
            "final_point_only",
            "It returned only the last point; the exercise asks for the whole trajectory.",
            "Collect every point, starting with x0, and return them stacked: "
            "row k is x after k steps.",
        )
    if array.shape == (steps, dim):
        if close(array, right[1:]):
            return Problem(
                "missing_x0",
                "Your trajectory leaves out the starting point x0: row 0 should be x0 itself.",
                "Start the list of points with (a copy of) x0, then append one point per step.",
            )
        if close(array, right[:-1]):
            return Problem(
                "one_step_short",
                "Your trajectory stops one step short: it has steps rows, ending before the last step.",
                "With x0 and one new point per step there are steps + 1 rows.",
            )
        return Problem(
            "missing_row",
            f"It returned {steps} rows; with x0 and one point per step there are steps + 1 = {steps + 1}.",
            "Row 0 is x0 and row k is the point after k steps.",
        )
    if array.shape == (steps + 2, dim):
        return Problem(
            "one_step_too_many",
            "Your trajectory has one row too many: it takes steps + 1 steps (or repeats a point).",
            "range(steps) runs the loop body exactly steps times.",
        )
    return None


class _TrajectoryOut(ArrayOut):
    def accept(self, value, args):
        if value is not None and not isinstance(value, (str, bytes)):
            try:
                array = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                array = None
            if array is not None and array.shape != self.expected_shape(args):
                problem = _trajectory_shape_problem(array, args)
                if problem is not None:
                    raise problem
        return super().accept(value, args)


def _all_rows_equal(args, out, expected):
    out = np.asarray(out)
    return (args["steps"] > 0 and np.allclose(out, out[-1])
            and not np.allclose(expected, expected[-1]))


def _stale_gradient(grad_fn, x0, lr, steps):
    g0 = grad_fn(np.array(x0, dtype=float))
    return np.array([x0 - k * lr * g0 for k in range(steps + 1)])


def _trajectory_variant(update):
    def run(grad_fn, x0, lr, steps):
        points = [np.array(x0, dtype=float)]
        for _ in range(steps):
            points.append(update(points[-1], grad_fn(points[-1]), lr))
        return np.array(points)
    return run


def _gd_case(H, x0, lr, steps):
    grad_fn = _QuadraticGradient(H)
    return Case({"grad_fn": grad_fn, "x0": np.array(x0, dtype=float), "lr": lr, "steps": steps},
                shown={"grad_fn": grad_fn.text()})


GRADIENT_DESCENT = Part(
    name="gradient_descent",
    points=2,
    reference=_gradient_descent,
    returns=_TrajectoryOut(
        what="the trajectory",
        shape=lambda a: (a["steps"] + 1, np.shape(a["x0"])[0]),
        shape_text="(steps + 1, dim)",
    ),
    cases=[
        _gd_case(H_AXIS, [1.0, 1.0], 0.05, 10),
        _gd_case(H_ROT, [2.0, -1.0], 0.3, 6),
        _gd_case(H_AXIS, [-3.0, 0.5], 0.1, 0),
    ],
    hidden_cases=[
        _gd_case(H_3D, [1.0, -1.0, 2.0], 0.2, 25),
        _gd_case(H_AXIS, [1.0, 1.0], 0.21, 8),  # past 2/λ_max: diverges, still a right answer
    ],
    mistakes=[
        Mistake(
            "sign_flipped",
            "Your steps move uphill: the sign of the update is flipped, so f grows along the trajectory.",
            "Gradient descent moves against the gradient: subtract the step.",
            variant=_trajectory_variant(lambda x, g, lr: x + lr * g),
        ),
        Mistake(
            "lr_missing",
            "Your steps ignore the learning rate η: each one is 1/η times too long.",
            "Scale each step by lr.",
            variant=_trajectory_variant(lambda x, g, lr: x - g),
        ),
        Mistake(
            "lr_twice",
            "The learning rate η is applied twice: each step is η times too short.",
            "Multiply by lr exactly once per step.",
            variant=_trajectory_variant(lambda x, g, lr: x - lr * lr * g),
        ),
        Mistake(
            "unchanged",
            "Your trajectory never moves: every row is x0.",
            "Update x inside the loop and append the new point.",
            detect=lambda a, out, exp: (a["steps"] > 0 and np.allclose(out, a["x0"])
                                        and not np.allclose(exp, a["x0"])),
        ),
        Mistake(
            "same_array_every_row",
            "Every row of your trajectory is the same point: you appended x and then changed "
            "that same array in place, which changes every row that refers to it.",
            "Compute a new array each step (`x = x - ...`, not `x -= ...`) or append a copy.",
            detect=_all_rows_equal,
        ),
        Mistake(
            "stale_gradient",
            "Every step uses the gradient at x0: the gradient must be evaluated at the current point.",
            "Call grad_fn(x) inside the loop, on the x of that step.",
            variant=_stale_gradient,
        ),
    ],
    wrong_hint="Row k must be x after k steps of gd_step, starting from row 0 = x0.",
)


def check_gradient_descent(gradient_descent, *, hidden: bool = False) -> None:
    """Check ``gradient_descent(grad_fn, x0, lr, steps) -> xs`` of shape (steps + 1, dim)."""
    GRADIENT_DESCENT.check(gradient_descent, hidden=hidden)


# ---------------------------------------------------------------------------
# Parts 3–5: step sizes of a quadratic
# ---------------------------------------------------------------------------

_MATRIX_CASES = [
    matrix_case(H_AXIS),
    matrix_case(H_ROT),
    matrix_case(H_3D),
]
_MATRIX_HIDDEN = [
    matrix_case(H_4D),
    matrix_case(np.array([[4.0]])),
]


def _from_eigenvalues(formula):
    """A variant ``H -> formula(sorted eigenvalues)``."""
    return lambda H, *rest: float(formula(eigenvalues(H)))


def _another_eigenvalue(args, out, expected):
    lam = eigenvalues(args["H"])
    return any(close(out, 2.0 / value) for value in lam[:-1]) and not close(out, expected)


LARGEST_STABLE_LR = Part(
    name="largest_stable_lr",
    points=1,
    reference=_largest_stable_lr,
    returns=NumberOut(what="the largest stable learning rate"),
    cases=_MATRIX_CASES,
    hidden_cases=_MATRIX_HIDDEN,
    mistakes=[
        diagonal_only(_largest_stable_lr),
        Mistake(
            "smallest_eigenvalue",
            "You used the smallest eigenvalue. The step must be stable in every direction, and "
            "the most curved direction (the largest eigenvalue) is the first to go unstable.",
            "Which eigenvalue makes |1 − ηλ| < 1 hardest to satisfy?",
            variant=_from_eigenvalues(lambda lam: 2.0 / lam[0]),
        ),
        Mistake(
            "other_eigenvalue",
            "You used an eigenvalue other than the largest one.",
            "np.linalg.eigvalsh returns the eigenvalues sorted from smallest to largest.",
            detect=_another_eigenvalue,
        ),
        Mistake(
            "one_over_lambda_max",
            "1/λ_max is a stable step, but not the largest one: along an eigenvector "
            "x ← (1 − ηλ)·x stays bounded as long as |1 − ηλ| < 1.",
            "Solve |1 − ηλ_max| < 1 for η: the bound is twice what you returned.",
            variant=_from_eigenvalues(lambda lam: 1.0 / lam[-1]),
        ),
        Mistake(
            "inverted",
            "Your value is the inverse of the limit: λ_max/2 instead of 2/λ_max.",
            "A more curved function (larger λ) needs a smaller step.",
            variant=_from_eigenvalues(lambda lam: lam[-1] / 2.0),
        ),
        Mistake(
            "frobenius_norm",
            "You used np.linalg.norm(H), the Frobenius norm (√ of the sum of squared entries), "
            "which is larger than the largest eigenvalue.",
            "For a symmetric positive definite H the largest eigenvalue is "
            "np.linalg.eigvalsh(H)[-1] (or the spectral norm np.linalg.norm(H, 2)).",
            variant=lambda H: 2.0 / np.linalg.norm(H),
        ),
        Mistake(
            "trace",
            "You used the trace (the sum of all eigenvalues) instead of the largest eigenvalue.",
            "Only the largest curvature limits the step.",
            variant=lambda H: 2.0 / np.trace(H),
        ),
    ],
    wrong_hint="Along each eigenvector GD multiplies the error by (1 − ηλ) per step.",
)

OPTIMAL_LR = Part(
    name="optimal_lr",
    points=1,
    reference=_optimal_lr,
    returns=NumberOut(what="the optimal fixed learning rate"),
    cases=_MATRIX_CASES,
    hidden_cases=_MATRIX_HIDDEN,
    mistakes=[
        diagonal_only(_optimal_lr),
        Mistake(
            "stability_limit",
            "That is the largest stable step 2/λ_max: there the most curved direction "
            "oscillates forever (|1 − ηλ_max| = 1) and GD never converges.",
            "The optimal fixed step balances the slowest and the fastest direction: "
            "|1 − ηλ_min| = |1 − ηλ_max|.",
            variant=_from_eigenvalues(lambda lam: 2.0 / lam[-1]),
        ),
        Mistake(
            "one_over_lambda_max",
            "1/λ_max solves the most curved direction in one step, but leaves the flattest "
            "direction slower than it needs to be.",
            "Balance the two extreme directions: |1 − ηλ_min| = |1 − ηλ_max|.",
            variant=_from_eigenvalues(lambda lam: 1.0 / lam[-1]),
        ),
        scaled(
            "factor_two",
            lambda args: 0.5,
            "Your value is half the optimal step: a factor 2 is missing.",
            "Solve 1 − ηλ_min = −(1 − ηλ_max) for η.",
        ),
        Mistake(
            "difference",
            "You used λ_max − λ_min; the balance condition gives their sum.",
            "Solve 1 − ηλ_min = −(1 − ηλ_max) for η.",
            variant=_from_eigenvalues(lambda lam: 2.0 / (lam[-1] - lam[0])),
        ),
        Mistake(
            "trace",
            "You used the trace (the sum of all eigenvalues); only the smallest and the "
            "largest eigenvalue matter (in 2-D they are the whole trace, in more dimensions not).",
            "Use λ_min and λ_max: np.linalg.eigvalsh(H)[0] and [-1].",
            variant=lambda H: 2.0 / np.trace(H),
        ),
    ],
    wrong_hint="The optimal fixed step makes the slowest and the fastest direction contract "
               "at the same rate.",
)


def check_largest_stable_lr(largest_stable_lr, *, hidden: bool = False) -> None:
    """Check ``largest_stable_lr(H) -> float``."""
    LARGEST_STABLE_LR.check(largest_stable_lr, hidden=hidden)


def check_optimal_lr(optimal_lr, *, hidden: bool = False) -> None:
    """Check ``optimal_lr(H) -> float``."""
    OPTIMAL_LR.check(optimal_lr, hidden=hidden)


CONTRACTION_RATE = Part(
    name="contraction_rate",
    points=2,
    reference=_contraction_rate,
    returns=NumberOut(what="the contraction rate"),
    cases=[
        matrix_case(H_AXIS, lr=0.05),    # slowest: the flattest direction
        matrix_case(H_AXIS, lr=0.19),    # slowest: the most curved direction (oscillating)
        matrix_case(H_ROT, lr=0.6),      # past 2/λ_max: rate > 1 (diverges)
        matrix_case(H_ROT, lr=2.5),      # past 1/λ_min too: every factor negative
        matrix_case(H_3D, lr=_optimal_lr(H_3D)),
    ],
    hidden_cases=[
        matrix_case(H_4D, lr=0.0199),
        matrix_case(hessian([2.0, 3.0], seed=4), lr=0.1),
    ],
    mistakes=[
        diagonal_only(_contraction_rate),
        Mistake(
            "missing_abs",
            "You took the largest 1 − ηλ without the absolute value. When ηλ > 1 that factor is "
            "negative — the direction oscillates — and its size |1 − ηλ| is what counts.",
            "The error along eigenvector i is multiplied by (1 − ηλ_i) each step; its size "
            "shrinks by |1 − ηλ_i|.",
            variant=lambda H, lr: float(np.max(1.0 - lr * eigenvalues(H))),
        ),
        Mistake(
            "only_lambda_max",
            "You used only the largest eigenvalue. With a small step the flattest direction "
            "(λ_min) is the slowest one and sets the rate.",
            "Take the worst factor over all eigenvalues.",
            variant=lambda H, lr: abs(1.0 - lr * eigenvalues(H)[-1]),
        ),
        Mistake(
            "only_lambda_min",
            "You used only the smallest eigenvalue. With a large step the most curved direction "
            "oscillates and can be the slowest (or diverge).",
            "Take the worst factor over all eigenvalues.",
            variant=lambda H, lr: abs(1.0 - lr * eigenvalues(H)[0]),
        ),
        Mistake(
            "min_not_max",
            "You took the smallest factor: that is the fastest direction. The slowest "
            "direction sets the rate of the whole error.",
            "Take the largest |1 − ηλ_i|.",
            variant=lambda H, lr: float(np.min(np.abs(1.0 - lr * eigenvalues(H)))),
        ),
        Mistake(
            "optimal_rate_only",
            "You returned (κ − 1)/(κ + 1), the rate at the optimal step only; the rate depends "
            "on the learning rate lr you are given.",
            "Compute |1 − ηλ_i| for this η and every eigenvalue.",
            variant=_from_eigenvalues(lambda lam: (lam[-1] / lam[0] - 1) / (lam[-1] / lam[0] + 1)),
        ),
    ],
    wrong_hint="Each step multiplies the error along eigenvector i by (1 − ηλ_i).",
)


def check_contraction_rate(contraction_rate, *, hidden: bool = False) -> None:
    """Check ``contraction_rate(H, lr) -> float`` (may exceed 1: then GD diverges)."""
    CONTRACTION_RATE.check(contraction_rate, hidden=hidden)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = {
    "check_gd_step": GD_STEP.points,
    "check_gradient_descent": GRADIENT_DESCENT.points,
    "check_largest_stable_lr": LARGEST_STABLE_LR.points,
    "check_optimal_lr": OPTIMAL_LR.points,
    "check_contraction_rate": CONTRACTION_RATE.points,
}
