"""Checks for exercise 01 — gradient descent and the step size.

Parts (learner's function → check):

- ``gd_step(x, grad, lr) -> x_new``                        → :func:`check_gd_step`
- ``gradient_descent(grad_fn, x0, lr, steps) -> xs``       → :func:`check_gradient_descent`
  (``xs`` has shape ``(steps + 1, dim)``, ``xs[0] = x0``)
- ``largest_stable_lr(H) -> float``  (2/λ_max)             → :func:`check_largest_stable_lr`
- ``optimal_lr(H) -> float``  (2/(λ_min + λ_max))          → :func:`check_optimal_lr`
- ``contraction_rate(H, lr) -> float``  (max |1 − ηλ_i|)   → :func:`check_contraction_rate`
- ``divergence_step(H, lr, x0, threshold) -> int or inf``  → :func:`check_divergence_step`
  (a prediction, checked against runs: the first step t with f(x_t) > threshold·f(x₀),
  from f(x_t) = ½ Σ λ_i z_i² (1 − ηλ_i)^{2t}; some runs take ~10⁸ steps, too many to
  simulate; ``math.inf`` when the loss never gets there)
- ``four_runs() -> "AC..."``  (predict, then read an experiment: statements about four
  runs on one quadratic, two of them either side of 2/λ_max; truths computed from the
  runs, each misreading named when the answer is what its model of the curves predicts)
                                                           → :func:`check_four_runs`

The references use :class:`lrcourse.problems.Quadratic` (its eigen-decomposition,
``stability_limit``, ``optimal_lr``, ``gd_rate`` and ``loss``), which is tested against
simulation.  H may be given as a NumPy array or a list of rows (the instructions say
so); hidden cases are drawn from seeded random rotated Hessians of 1 to 6 dimensions.

Each check prints one line when the function is right and raises
:class:`~lrcourse.grading.core.CheckFailed` with a diagnosis otherwise.  Hints point to
the lesson's section and the step of its argument, never to the result.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from lrcourse.grading.core import CheckFailed, Case, Mistake, Part, Diagnosis, close, grade_cell_points
from lrcourse.grading.choice import ChoicePart, choice_feedback
from lrcourse.grading.diagnose import diagonal_only, step_mistakes
from lrcourse.grading.outputs import ARRAY_USE, ArrayOnlyOut, NumberOnlyOut, raised_on_list
from lrcourse.grading.quadratics import H_3D, H_4D, H_AXIS, H_ROT, hessian, show_matrix
from lrcourse.problems import Quadratic

__all__ = [
    "PARTS",
    "check_gd_step",
    "check_gradient_descent",
    "check_largest_stable_lr",
    "check_optimal_lr",
    "check_contraction_rate",
    "check_divergence_step",
    "check_four_runs",
    "run_experiment",
]

_LESSON = "lesson 01"
_LESSON_AT_START = "Lesson 01"


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


def _quadratic(H) -> Quadratic:
    """The library's quadratic ½ xᵀHx for a symmetric positive-definite H (array or rows)."""
    lam, q = np.linalg.eigh(np.asarray(H, dtype=float))
    return Quadratic(lam, rotation=q)


def _random_hessian(rng: np.random.Generator, dim: int, low: float = 0.05, high: float = 20.0):
    """A rotated SPD matrix: eigenvalues log-uniform in [low, high], a random rotation."""
    lam = np.sort(np.exp(rng.uniform(np.log(low), np.log(high), size=dim)))
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)))
    return np.array(Quadratic(lam, rotation=q * np.sign(np.diag(r))).hessian)


def _shown(H) -> str:
    """How feedback shows an H argument (a list of rows is shown as one)."""
    if isinstance(H, np.ndarray):
        return show_matrix(H)
    rows = ", ".join("[" + ", ".join(f"{v:.4g}" for v in row) + "]" for row in H)
    return f"[{rows}] (a list of rows)"


def _matrix_case(H, **more) -> Case:
    """A case calling the learner with ``H`` (and ``more`` arguments), H shown in full."""
    return Case({"H": H, **more}, shown={"H": _shown(H)})


def _as_rows(H: np.ndarray) -> list:
    """H as a list of rows of Python floats (the instructions allow it)."""
    return np.asarray(H, dtype=float).tolist()


#: A part that raises on H given as a list of rows (which the text allows) is told so.
_raised_on_rows = raised_on_list(
    "H",
    "{name} works on H as a NumPy array but raises on the same matrix given as a list of rows, "
    "which the instructions allow",
    "Convert H at the start of your function: np.asarray(H, dtype=float) turns a list of "
    "rows into an array (and leaves an array as it is).",
)


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
    return _quadratic(H).stability_limit


def _optimal_lr(H):
    return _quadratic(H).optimal_lr


def _contraction_rate(H, lr):
    return _quadratic(H).gd_rate(lr)


def _first_step_above(weights, factors, level) -> float:
    """First t ≥ 1 with Σ w_i r_i^t > level, or inf if there is none.

    Needs Σ w_i ≤ level (at t = 0 the sum is not above it).  t ↦ Σ w_i r_i^t is convex,
    so the steps above the level form a half-line [t*, ∞), or nothing when no term with
    w_i > 0 grows (r_i ≤ 1): double an upper bound, then bisect.
    """
    weights, factors = np.asarray(weights, dtype=float), np.asarray(factors, dtype=float)
    keep = weights > 0
    weights, factors = weights[keep], factors[keep]
    if weights.size == 0 or np.all(factors <= 1.0):
        return math.inf

    def above(t: int) -> bool:
        with np.errstate(over="ignore", under="ignore"):
            return bool(np.sum(weights * factors ** float(t)) > level)

    high = 1
    while not above(high):
        high *= 2
    low = high // 2  # not above (0 is not: the sum starts at or below the level)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if above(middle) else (middle, high)
    return float(high)


def _eigen_start(H, x0):
    """(λ, z): H's eigenvalues and x₀ in its eigenbasis, z = Qᵀx₀ (the library's Q)."""
    q = _quadratic(H)
    return q.eigenvalues, q.eigenvectors.T @ np.asarray(x0, dtype=float)


def _divergence_step(H, lr, x0, threshold):
    """The first step t whose loss exceeds threshold · f(x₀) (inf: never).

    In the eigenbasis z = Qᵀx₀ the loss after t steps is ½ Σ λ_i z_i² (1 − ηλ_i)^{2t}
    (lesson 01, section 3): direction i holds the share ½ λ_i z_i² of f(x₀), multiplied
    by (1 − ηλ_i)² per step.
    """
    lam, z = _eigen_start(H, x0)
    shares = 0.5 * lam * z * z
    return _first_step_above(shares, (1.0 - lr * lam) ** 2, threshold * shares.sum())


# ---------------------------------------------------------------------------
# Part 1: one gradient-descent step
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _OneArrayOut(ArrayOnlyOut):
    """One array: a tuple of several arrays (``return x_new, grad``) is named as such."""

    def accept(self, value, args):
        if isinstance(value, tuple) and len(value) > 1 and all(isinstance(v, np.ndarray) for v in value):
            raise Diagnosis(
                "returned_tuple",
                f"It returned a tuple of {len(value)} arrays; the function returns {self.what} "
                "alone, one array.",
                "End with `return` and the one result, not several values separated by commas.",
            )
        return super().accept(value, args)


def _gd_step_random(seed: int) -> Case:
    """Seeded shapes (1-D to 3-D, one coordinate), gradients of mixed sizes, some 0."""
    rng = np.random.default_rng(1000 + seed)
    shape = [(5,), (2, 3), (2, 2, 3), (1,), (4, 1)][seed % 5]
    x = rng.normal(size=shape)
    grad = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 3, size=shape)
    grad[rng.random(size=shape) < 0.2] = 0.0
    lr = [0.03, 1.5, 2, 0.7, 4.0][seed % 5]          # η > 1 and an int too
    return Case({"x": x, "grad": grad, "lr": lr})


GD_STEP = Part(
    name="gd_step",
    points=1,
    reference=_gd_step,
    returns=_OneArrayOut(what="the new parameters", like="x", use=ARRAY_USE),
    cases=[
        Case({"x": np.array([1.0, -2.0]), "grad": np.array([0.5, 3.0]), "lr": 0.1}),
        Case({"x": np.array([[0.3, -1.2, 2.0], [1.5, 0.0, -0.7]]),
              "grad": np.array([[1.0, -4.0, 0.5], [2.0, 1.0, -3.0]]), "lr": 0.25}),
        Case({"x": np.array([4.0]), "grad": np.array([-8.0]), "lr": 0.05}),
        Case({"x": np.array([0.5, -0.5, 2.0]), "grad": np.array([0.0, 1.0, -0.25]), "lr": 3}),
        Case({"x": np.array([0.123456789, -1.987654321, 3.14159265]),      # every digit counts
              "grad": np.array([2.718281828, -0.5772156649, 1.414213562]), "lr": 0.0123}),
    ],
    hidden_cases=[
        Case({"x": np.linspace(-1.0, 1.0, 7), "grad": np.cos(np.arange(7.0)), "lr": 1e-3}),
        Case({"x": np.zeros(3), "grad": np.array([1.0, 2.0, 3.0]), "lr": 0.5}),
        Case({"x": np.array([1.0, 2.0]), "grad": np.zeros(2), "lr": 0.1}),   # at a stationary point
        *[_gd_step_random(seed) for seed in range(5)],
    ],
    mistakes=[
        *step_mistakes(),
        Mistake(
            "returned_step",
            "It returned the change −η·∇f (the step) instead of the new parameters.",
            "The function returns where you land: the old x plus the step.",
            variant=lambda x, grad, lr: -lr * grad,
        ),
        Mistake(
            "lr_divides",
            "Your step divides the gradient by η instead of multiplying by it: a larger learning "
            "rate gives a shorter step.",
            "The learning rate is the step size (lesson 01, section 1): the step grows with η.",
            variant=lambda x, grad, lr: x - grad / lr,
        ),
        Mistake(
            "rounded",
            "Your new parameters are rounded: they agree with the step only to a few decimals. "
            "Each step starts from the last one's result, so the rounding errors pile up.",
            "Return the result of the update itself, without np.round or formatting.",
            detect=lambda a, out, exp: any(close(out, np.round(exp, d)) for d in range(7)),
        ),
    ],
    wrong_hint="One gradient-descent step moves x against the gradient by η times the "
               "gradient (lesson 01, section 1).",
)


def check_gd_step(gd_step, *, hidden: bool = False) -> None:
    """Check ``gd_step(x, grad, lr) -> x_new`` (a new array; x unchanged)."""
    GD_STEP.check(gd_step, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: the gradient-descent loop
# ---------------------------------------------------------------------------

def _trajectory_shape_problem(array: np.ndarray, args: dict) -> Diagnosis | None:
    """Name the off-by-one and layout mistakes that show in the trajectory's shape."""
    steps = args["steps"]
    dim = np.shape(args["x0"])[0]
    right = _gradient_descent(args["grad_fn"], args["x0"], args["lr"], steps)
    if array.shape == (dim,) and steps > 0:
        return Diagnosis(
            "final_point_only",
            "It returned only the last point; the exercise asks for the whole trajectory.",
            "Collect every point, starting with x0, and return them stacked: "
            "row k is x after k steps.",
        )
    if array.shape == (dim, steps + 1) and close(array, right.T):
        return Diagnosis(
            "transposed",
            "Your trajectory is transposed: one column per step instead of one row per step.",
            "Row k must be the point after k steps: stack the points as rows (np.array of the "
            "list of points does that); don't transpose.",
        )
    if array.shape == (steps, dim):
        if close(array, right[1:]):
            return Diagnosis(
                "missing_x0",
                "Your trajectory leaves out the starting point x0: row 0 should be x0 itself.",
                "Start the list of points with (a copy of) x0, then append one point per step.",
            )
        if close(array, right[:-1]):
            return Diagnosis(
                "one_step_short",
                "Your trajectory stops one step short: it has steps rows, ending before the last step.",
                "With x0 and one new point per step there are steps + 1 rows.",
            )
        return Diagnosis(
            "missing_row",
            f"It returned {steps} rows; with x0 and one point per step there are steps + 1 = {steps + 1}.",
            "Row 0 is x0 and row k is the point after k steps.",
        )
    if array.shape == (steps + 2, dim):
        return Diagnosis(
            "one_step_too_many",
            "Your trajectory has one row too many: it takes steps + 1 steps (or repeats a point).",
            "range(steps) runs the loop body exactly steps times.",
        )
    return None


_TRAJECTORY_USE = ("The exercise asks for an array of shape (steps + 1, dim): later code reads "
                   "one coordinate along the run as trajectory[:, k], which a list cannot do.")


@dataclasses.dataclass(frozen=True)
class _TrajectoryOut(ArrayOnlyOut):
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


def _every_step_from_x0(grad_fn, x0, lr, steps):
    """The learner's loop that steps from x0 each time (``x = gd_step(x0, ...)``)."""
    x0 = np.array(x0, dtype=float)
    first = x0 - lr * grad_fn(x0)
    return np.array([x0] + [first] * steps)


def _trajectory_variant(update):
    def run(grad_fn, x0, lr, steps):
        points = [np.array(x0, dtype=float)]
        for _ in range(steps):
            points.append(update(points[-1], grad_fn(points[-1]), lr))
        return np.array(points)
    return run


def _raised_on_int_x0(part: Part, func, case: Case, problem: Diagnosis) -> Diagnosis | None:
    """Name a loop that raises on x0 of ints (which the text allows) but works on floats."""
    x0 = case.args["x0"]
    if np.asarray(x0).dtype.kind not in "iu":
        return None
    try:
        part.call(func, {**case.args, "x0": np.asarray(x0, dtype=float)})
    except Diagnosis:
        return None
    return Diagnosis(
        "int_x0_raises",
        f"{part.name} works when x0 holds floats but raises when it holds ints, which the "
        "instructions allow:\n  " + problem.diagnosis.replace("\n", "\n  "),
        "A copy of x0 keeps its integer dtype, and an in-place update cannot store floats in it: "
        "start from a float copy (np.array(x0, dtype=float)).",
        show_returned=False,
    )


def _gd_case(H, x0, lr, steps):
    """A case on ½ xᵀHx; x0 keeps its dtype when it is an array (ints are allowed)."""
    grad_fn = _QuadraticGradient(np.asarray(H, dtype=float))
    x0 = x0.copy() if isinstance(x0, np.ndarray) else np.array(x0, dtype=float)
    return Case({"grad_fn": grad_fn, "x0": x0, "lr": lr, "steps": steps},
                shown={"grad_fn": grad_fn.text()})


def _gd_random(seed: int) -> Case:
    """A seeded rotated quadratic of 1–5 dimensions, η from slow to just unstable."""
    rng = np.random.default_rng(2000 + seed)
    dim = seed % 5 + 1
    H = _random_hessian(rng, dim)
    lr = [0.3, 0.9, 1.05, 0.6, 1.5][seed % 5] * _largest_stable_lr(H)
    return _gd_case(H, rng.normal(size=dim), lr, int(rng.integers(1, 30)))


GRADIENT_DESCENT = Part(
    name="gradient_descent",
    points=2,
    reference=_gradient_descent,
    returns=_TrajectoryOut(
        what="the trajectory",
        use=_TRAJECTORY_USE,
        shape=lambda a: (a["steps"] + 1, np.shape(a["x0"])[0]),
        shape_text="(steps + 1, dim)",
    ),
    cases=[
        _gd_case(H_AXIS, [1.0, 1.0], 0.05, 10),
        _gd_case(H_ROT, [2.0, -1.0], 0.3, 6),
        _gd_case(H_AXIS, [-3.0, 0.5], 0.1, 0),
        _gd_case(hessian([0.05, 0.4], seed=5), [1.0, 2.0], 3, 4),      # η > 1 (an int): fine here
        _gd_case(H_ROT, np.array([2, -1]), 0.3, 4),   # x0 of ints: the trajectory is still floats
    ],
    hidden_cases=[
        _gd_case(H_3D, [1.0, -1.0, 2.0], 0.2, 25),
        _gd_case(H_AXIS, [1.0, 1.0], 0.21, 8),  # past 2/λ_max: diverges, still a right answer
        _gd_case(H_ROT, [0.0, 0.0], 0.3, 5),    # starts at the minimum: never moves
        _gd_case([[4.0]], [2.0], 0.1, 1),       # 1-D, one step
        *[_gd_random(seed) for seed in range(5)],
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
            "every_step_from_x0",
            "Every step of yours starts again from x0: after row 0, each row is the point one "
            "step from x0. The state is not carried from one step to the next.",
            "Each step starts where the previous one landed: update the current x and feed "
            "it to the next step.",
            variant=_every_step_from_x0,
        ),
        Mistake(
            "stale_gradient",
            "Every step uses the gradient at x0: the gradient must be evaluated at the current point.",
            "Call grad_fn(x) inside the loop, on the x of that step.",
            variant=_stale_gradient,
        ),
        Mistake(
            "transposed",
            "Your trajectory is transposed: one column per step instead of one row per step.",
            "Row k must be the point after k steps: don't transpose the stacked points.",
            detect=lambda a, out, exp: (np.shape(out) == np.shape(exp) and close(out, np.transpose(exp))
                                        and not close(exp, np.transpose(exp))),
        ),
    ],
    rediagnose_raised=_raised_on_int_x0,
    wrong_hint="Row k must be x after k steps of gd_step, starting from row 0 = x0.",
)


def check_gradient_descent(gradient_descent, *, hidden: bool = False) -> None:
    """Check ``gradient_descent(grad_fn, x0, lr, steps) -> xs`` of shape (steps + 1, dim)."""
    GRADIENT_DESCENT.check(gradient_descent, hidden=hidden)


# ---------------------------------------------------------------------------
# Parts 3–5: step sizes of a quadratic
# ---------------------------------------------------------------------------

def _random_matrices(seed: int, count: int) -> list[np.ndarray]:
    """``count`` seeded rotated SPD matrices of 1 to 6 dimensions."""
    rng = np.random.default_rng(seed)
    return [_random_hessian(rng, k % 6 + 1) for k in range(count)]


_MATRIX_CASES = [
    _matrix_case(H_3D),     # first: 3×3, so λ_min + λ_max is not the trace, and min entry ≠ 0
    _matrix_case(H_AXIS),
    _matrix_case(H_ROT),
    _matrix_case(_as_rows(hessian([0.2, 1.0, 3.0, 8.0], seed=6))),   # a list of rows
    _matrix_case([[4.0]]),  # 1 × 1, as a list of rows (the text promises it)
]
_MATRIX_HIDDEN = [
    _matrix_case(H_4D),
    _matrix_case(np.array([[4.0]])),
    _matrix_case([[2.0, 0.5], [0.5, 1.0]]),
    *[_matrix_case(H) for H in _random_matrices(3000, 8)],
]


def _eigenvalues(H) -> np.ndarray:
    """λ_1 ≤ … ≤ λ_n of H (array or rows), from the library's quadratic."""
    return _quadratic(H).eigenvalues


def _from_eigenvalues(formula):
    """A variant ``H -> formula(sorted eigenvalues)``."""
    return lambda H, *rest: float(formula(_eigenvalues(H)))


def _another_eigenvalue(args, out, expected):
    lam = _eigenvalues(args["H"])
    return any(close(out, 2.0 / value) for value in lam[:-1]) and not close(out, expected)


def _factor_sizes(H, lr) -> np.ndarray:
    """|1 − ηλᵢ| for every eigenvalue of H."""
    return np.abs(1.0 - lr * _eigenvalues(H))


def _unstable_at(args, out, expected) -> bool:
    """The learner's η (their output) makes some factor |1 − ηλᵢ| larger than 1."""
    return out > expected and bool(np.max(_factor_sizes(args["H"], out)) > 1.0)


def _not_largest_at(args, out, expected) -> bool:
    """At the learner's η every factor is below 1 in size: a larger η still converges."""
    return 0 < out < expected


def _steep_slower_at(args, out, expected) -> bool:
    sizes = _factor_sizes(args["H"], out)
    return out > expected and sizes[-1] > sizes[0]


def _flat_slower_at(args, out, expected) -> bool:
    sizes = _factor_sizes(args["H"], out)
    return 0 < out < expected and sizes[0] > sizes[-1]


def _diagonal_everywhere(reference) -> Mistake:
    """diagonal_only as a variant: named only when the learner's values are the reference's
    on diag(H) at every case (a part with case_properties=() needs that)."""
    def variant(H, *rest):
        return reference(np.diag(np.diag(np.asarray(H, dtype=float))), *rest)
    return dataclasses.replace(diagonal_only(reference), detect=None, needs=(), variant=variant)


def _curvatures_hint(what: str) -> str:
    return (f"{_LESSON_AT_START}, section 3: the curvatures of a rotated quadratic are the eigenvalues "
            f"of H, not {what}.")


LARGEST_STABLE_LR = Part(
    name="largest_stable_lr",
    points=1,
    reference=_largest_stable_lr,
    returns=NumberOnlyOut(what="the largest stable learning rate"),
    cases=_MATRIX_CASES,
    hidden_cases=_MATRIX_HIDDEN,
    rediagnose_raised=_raised_on_rows,
    case_properties=("other_eigenvalue", "unstable_rate", "not_largest"),
    mistakes=[
        Mistake(
            "largest_entry",
            "You took the largest entry of H (for a positive-definite H that is one of its "
            "diagonal entries) as its largest curvature. When the quadratic is rotated, the "
            "entries of H are not its curvatures.",
            _curvatures_hint("its entries"),
            variant=lambda H: 2.0 / np.max(np.asarray(H, dtype=float)),
        ),
        _diagonal_everywhere(_largest_stable_lr),
        Mistake(
            "optimal_step",
            "Your step balances the flattest and the most curved direction: that is the best "
            "fixed step of part 4, not the largest stable one. Larger steps still converge.",
            f"{_LESSON_AT_START}, section 3: as η grows, which factor |1 − ηλᵢ| reaches 1 first, "
            "and at which η?",
            variant=_from_eigenvalues(lambda lam: 2.0 / (lam[0] + lam[-1])),
        ),
        Mistake(
            "smallest_eigenvalue",
            "You used the smallest eigenvalue. The step must be stable in every direction at "
            "once, and the most curved direction is the first to go unstable.",
            f"{_LESSON_AT_START}, section 3: as η grows, which factor |1 − ηλᵢ| reaches 1 first?",
            variant=_from_eigenvalues(lambda lam: 2.0 / lam[0]),
        ),
        Mistake(
            "other_eigenvalue",
            "You used an eigenvalue that is not the one that breaks the stability rule first.",
            "np.linalg.eigvalsh returns the eigenvalues sorted from smallest to largest; "
            "np.linalg.eig returns them in no particular order.",
            detect=_another_eigenvalue,
        ),
        Mistake(
            "one_over_lambda_max",
            "Your rate is stable, but not the largest stable one: at your η the most curved "
            "direction lands on the minimum in one step (factor 1 − ηλ = 0), and somewhat "
            "larger steps still converge, by oscillating.",
            f"{_LESSON_AT_START}, section 2's table: up to which value of ηλ does |1 − ηλ| stay below 1?",
            variant=_from_eigenvalues(lambda lam: 1.0 / lam[-1]),
        ),
        Mistake(
            "inverted",
            "Your value grows with the curvature; a more curved direction (larger λ) needs a "
            "smaller step, not a larger one.",
            f"Solve |1 − ηλ| < 1 for η ({_LESSON}, section 2), with η alone on one side.",
            variant=_from_eigenvalues(lambda lam: lam[-1] / 2.0),
        ),
        Mistake(
            "frobenius_norm",
            "You used np.linalg.norm(H), the Frobenius norm (the root of the sum of the squared "
            "entries); it is larger than every curvature of H unless H has a single non-zero one.",
            _curvatures_hint("a norm of its entries"),
            variant=lambda H: 2.0 / np.linalg.norm(H),
        ),
        Mistake(
            "trace",
            "You used the trace, the sum of all the curvatures; each direction's stability "
            "depends on its own curvature only.",
            f"{_LESSON_AT_START}, section 3: the n directions are independent copies of the 1-D bowl.",
            variant=lambda H: 2.0 / np.trace(H),
        ),
        Mistake(
            "row_sum_bound",
            "You used the largest row sum of |H| (the ∞-norm). It bounds the curvatures from "
            "above, so your rate is stable, but smaller than the largest stable one.",
            _curvatures_hint("a bound on them"),
            variant=lambda H: 2.0 / np.max(np.sum(np.abs(np.asarray(H, dtype=float)), axis=1)),
        ),
        Mistake(
            "unstable_rate",
            "At your learning rate gradient descent diverges on this H: some direction's factor "
            "|1 − ηλᵢ| is larger than 1.",
            f"{_LESSON_AT_START}, section 3: which direction's factor reaches size 1 first as η grows?",
            detect=_unstable_at,
        ),
        Mistake(
            "not_largest",
            "At your learning rate every factor |1 − ηλᵢ| of this H is below 1, and it stays below "
            "1 for somewhat larger steps: your rate is stable, but not the largest stable one.",
            f"{_LESSON_AT_START}, section 2's table: up to which value of ηλ does |1 − ηλ| stay below 1?",
            detect=_not_largest_at,
        ),
    ],
    wrong_hint=f"Along each eigenvector a step multiplies the error by (1 − ηλᵢ) ({_LESSON}, "
               "section 3): find the supremum of the η for which every factor shrinks the error.",
)


def _balance_hint() -> str:
    return (f"{_LESSON_AT_START}, section 4 (and its stability plot): the best fixed step makes the worst "
            "factor max |1 − ηλᵢ| as small as possible. Which two directions compete, and what "
            "signs do their factors have where the two sizes are equal?")


OPTIMAL_LR = Part(
    name="optimal_lr",
    points=1,
    reference=_optimal_lr,
    returns=NumberOnlyOut(what="the optimal fixed learning rate"),
    cases=_MATRIX_CASES,
    hidden_cases=_MATRIX_HIDDEN,
    rediagnose_raised=_raised_on_rows,
    case_properties=("steep_direction_slower", "flat_direction_slower"),
    mistakes=[
        _diagonal_everywhere(_optimal_lr),
        Mistake(
            "stability_limit",
            "That is the largest stable step: there the most curved direction bounces for ever "
            "(|1 − ηλ_max| = 1), so gradient descent never converges.",
            _balance_hint(),
            variant=_from_eigenvalues(lambda lam: 2.0 / lam[-1]),
        ),
        Mistake(
            "one_over_lambda_max",
            "At your step the most curved direction vanishes in one step, but the flattest one "
            "creeps: a longer step would speed it up while the steep direction still shrinks.",
            _balance_hint(),
            variant=_from_eigenvalues(lambda lam: 1.0 / lam[-1]),
        ),
        Mistake(
            "one_over_lambda_min",
            "At your step the flattest direction would vanish in one step, but the most curved "
            "one is far past its stability limit: that run diverges.",
            _balance_hint(),
            variant=_from_eigenvalues(lambda lam: 1.0 / lam[0]),
        ),
        Mistake(
            "factor_two",
            "Your value is a constant multiple of the best step: at your η the two extreme "
            "directions do not shrink at the same rate (the flattest one is slower).",
            "Write the balance condition of lesson 01, section 4 with the signs the two factors "
            "have there (one of them is negative), then solve it for η.",
            variant=_from_eigenvalues(lambda lam: 1.0 / (lam[0] + lam[-1])),
        ),
        Mistake(
            "difference",
            "Your formula uses λ_max − λ_min; the balance of the two extreme factors does not.",
            "At the best step the steep direction's factor is negative: write both factors with "
            "their signs (lesson 01, section 4) before solving for η.",
            variant=_from_eigenvalues(lambda lam: 2.0 / (lam[-1] - lam[0])),
            sees_nonfinite=True,      # ∞ on a 1 × 1 H, where λ_max = λ_min
        ),
        Mistake(
            "trace",
            "You used the trace (the sum of all eigenvalues); only the two extreme curvatures "
            "compete (in 2-D they make the whole trace, in more dimensions not).",
            _balance_hint(),
            variant=lambda H: 2.0 / np.trace(H),
        ),
        Mistake(
            "mean_eigenvalue",
            "You used the mean of all the eigenvalues; in more than two dimensions the middle "
            "curvatures never set the worst factor.",
            _balance_hint(),
            variant=_from_eigenvalues(lambda lam: 1.0 / np.mean(lam)),
        ),
        Mistake(
            "average_of_own_steps",
            "You averaged each extreme direction's own best step 1/λ. One η serves every "
            "direction at once: the average lands near the flattest direction's step, where the "
            "most curved direction is unstable.",
            _balance_hint(),
            variant=_from_eigenvalues(lambda lam: (1.0 / lam[0] + 1.0 / lam[-1]) / 2.0),
        ),
        Mistake(
            "steep_direction_slower",
            "At your step the two extreme directions do not shrink equally fast: the most curved "
            "one (λ_max) has the larger factor |1 − ηλ| and is the slower. At the best fixed "
            "step neither is left behind.",
            _balance_hint(),
            detect=_steep_slower_at,
        ),
        Mistake(
            "flat_direction_slower",
            "At your step the two extreme directions do not shrink equally fast: the flattest "
            "one (λ_min) has the larger factor |1 − ηλ| and is the slower. At the best fixed "
            "step neither is left behind.",
            _balance_hint(),
            detect=_flat_slower_at,
        ),
    ],
    wrong_hint="The best fixed step makes the slowest and the fastest direction contract at the "
               f"same rate ({_LESSON}, section 4).",
)


def check_largest_stable_lr(largest_stable_lr, *, hidden: bool = False) -> None:
    """Check ``largest_stable_lr(H) -> float``."""
    LARGEST_STABLE_LR.check(largest_stable_lr, hidden=hidden)


def check_optimal_lr(optimal_lr, *, hidden: bool = False) -> None:
    """Check ``optimal_lr(H) -> float``."""
    OPTIMAL_LR.check(optimal_lr, hidden=hidden)


def _rate_random(seed: int) -> Case:
    """A seeded rotated quadratic of 1–6 dimensions, η from small to past the limit."""
    rng = np.random.default_rng(4000 + seed)
    H = _random_hessian(rng, seed % 6 + 1)
    return _matrix_case(H, lr=[0.1, 0.5, 0.95, 1.2, 0.7, 3.0][seed % 6] * _largest_stable_lr(H))


_WORST_FACTOR_HINT = (f"{_LESSON_AT_START}, section 4: which direction is the slowest for a small η, "
                      "and which for a large one?")

CONTRACTION_RATE = Part(
    name="contraction_rate",
    points=2,
    reference=_contraction_rate,
    returns=NumberOnlyOut(what="the contraction rate"),
    cases=[
        _matrix_case(H_AXIS, lr=0.05),    # slowest: the flattest direction
        _matrix_case(H_AXIS, lr=0.19),    # slowest: the most curved direction (oscillating)
        _matrix_case(H_ROT, lr=0.6),      # past 2/λ_max: rate > 1 (diverges)
        _matrix_case(H_ROT, lr=2.5),      # past 1/λ_min too: every factor negative
        _matrix_case(H_3D, lr=_optimal_lr(H_3D)),
        _matrix_case(H_3D, lr=0.1),       # 3×3: slowest the flattest, λ_max not in play
        _matrix_case(H_3D, lr=0.38),      # 3×3: slowest the most curved (oscillating)
        _matrix_case(_as_rows(hessian([0.05, 0.3], seed=7)), lr=4),   # rows, η > 1 (an int)
        _matrix_case(np.diag([1.0, 4.0]), lr=0.5),                    # ηλ_max exactly 2: rate 1
        _matrix_case([[3.0]], lr=0.45),   # 1 × 1, ηλ > 1: the one factor is negative
    ],
    case_properties=("rate_too_small", "rate_too_large"),
    hidden_cases=[
        _matrix_case(H_4D, lr=0.0199),
        _matrix_case(hessian([2.0, 3.0], seed=4), lr=0.1),
        _matrix_case([[3.0]], lr=0.5),
        *[_rate_random(seed) for seed in range(8)],
    ],
    rediagnose_raised=_raised_on_rows,
    mistakes=[
        _diagonal_everywhere(_contraction_rate),
        Mistake(
            "missing_abs",
            "You took the largest 1 − ηλᵢ with its sign. When ηλᵢ > 1 that factor is negative "
            "— the direction oscillates — and it is its size that shrinks or grows the error.",
            "The rate must not depend on the sign of 1 − ηλ: see lesson 01, section 2's table, "
            "the rows 'between 1 and 2' and 'above 2'.",
            variant=lambda H, lr: float(np.max(1.0 - lr * _eigenvalues(H))),
        ),
        Mistake(
            "large_step_formula_only",
            "You used ηλ_max − 1, the worst factor's size for large steps only; for a small step "
            "it is negative, and the flattest direction sets the rate.",
            _WORST_FACTOR_HINT,
            variant=lambda H, lr: float(np.max(lr * _eigenvalues(H) - 1.0)),
        ),
        Mistake(
            "only_lambda_max",
            "You used only the largest eigenvalue. With a small step the flattest direction "
            "(λ_min) is the slowest one and sets the rate.",
            _WORST_FACTOR_HINT,
            variant=lambda H, lr: abs(1.0 - lr * _eigenvalues(H)[-1]),
        ),
        Mistake(
            "only_lambda_min",
            "You used only the smallest eigenvalue. With a large step the most curved direction "
            "oscillates and can be the slowest (or diverge).",
            _WORST_FACTOR_HINT,
            variant=lambda H, lr: abs(1.0 - lr * _eigenvalues(H)[0]),
        ),
        Mistake(
            "min_not_max",
            "You took the fastest direction's factor; the error as a whole shrinks only as fast "
            "as its slowest direction.",
            f"{_LESSON_AT_START}, section 4: the run is as slow as its slowest direction.",
            variant=lambda H, lr: float(np.min(np.abs(1.0 - lr * _eigenvalues(H)))),
        ),
        Mistake(
            "squared_factor",
            "Your value is the square of the worst factor: that is how fast the loss shrinks "
            "(f has zᵢ² in it); the error x_t − x* itself shrinks by the factor.",
            f"{_LESSON_AT_START}, section 4: the distance shrinks like ρᵗ, the loss like ρ²ᵗ.",
            variant=lambda H, lr: float(np.max((1.0 - lr * _eigenvalues(H)) ** 2)),
        ),
        Mistake(
            "ones_not_identity",
            "You formed 1 − lr·H entry by entry: that subtracts ηH from a matrix of ones, not "
            "from the identity matrix I, whose off-diagonal entries are 0.",
            "np.eye(n) is the identity I; `1 - lr * H` subtracts from every entry.",
            variant=lambda H, lr: float(np.max(np.abs(np.linalg.eigvalsh(
                1.0 - lr * np.asarray(H, dtype=float))))),
        ),
        Mistake(
            "frobenius_norm",
            "You took the Frobenius norm of I − ηH (the root of the sum of its squared entries); "
            "the spectral radius is the largest absolute value of its eigenvalues, which is smaller.",
            f"{_LESSON_AT_START}, section 3: in the eigenbasis each direction has its own factor.",
            variant=lambda H, lr: float(np.linalg.norm(np.eye(len(H)) - lr * np.asarray(H, dtype=float))),
        ),
        Mistake(
            "optimal_rate_only",
            "You returned (κ − 1)/(κ + 1), the rate at the best step only, whatever lr is; the "
            "rate depends on the learning rate you are given.",
            "Compute each direction's factor for this η.",
            variant=_from_eigenvalues(lambda lam: (lam[-1] / lam[0] - 1) / (lam[-1] / lam[0] + 1)),
        ),
        Mistake(
            "rate_too_small",
            "Your rate is smaller than the size |1 − ηλᵢ| of some direction's factor for this H "
            "and η: along that direction the error shrinks more slowly than your rate says.",
            "Every eigenvalue of H has its own factor and every one can be the worst: check that "
            "none is left out (np.linalg.eigvals returns them in no particular order, and a "
            "slice keeps only some).",
            detect=lambda a, out, exp: out < exp,
        ),
        Mistake(
            "rate_too_large",
            "Your rate is larger than the size |1 − ηλᵢ| of every direction's factor for this H "
            "and η: the error shrinks faster than your rate says.",
            f"{_LESSON_AT_START}, section 3: the factor along eigenvector i is 1 − ηλᵢ, with λᵢ an "
            "eigenvalue of H itself.",
            detect=lambda a, out, exp: out > exp,
        ),
    ],
    wrong_hint="Each step multiplies the error along eigenvector i by (1 − ηλᵢ); the rate is "
               "the worst size of those factors, and it must not depend on their signs.",
)


def check_contraction_rate(contraction_rate, *, hidden: bool = False) -> None:
    """Check ``contraction_rate(H, lr) -> float`` (may exceed 1: then GD diverges)."""
    CONTRACTION_RATE.check(contraction_rate, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 6: predict the step at which a run crosses the divergence threshold
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _StepOut(NumberOnlyOut):
    """A whole number of steps ≥ 1 as int or float, or math.inf (never)."""

    def accept(self, value, args):
        if value is None:
            raise Diagnosis(
                "returned_none",
                f"It returned None instead of {self.what}.",
                "If the loss never gets above the threshold, return math.inf (the instructions "
                "ask for it); otherwise a `return` is missing somewhere.",
                show_returned=False,
            )
        return super().accept(value, args)


def _closed_form_variant(model):
    """A learner's prediction from a mistaken loss model:
    ``model(λ, z, factors 1 − ηλ, threshold) -> (weights, per-step factors, level)``."""
    def predict(H, lr, x0, threshold):
        lam, z = _eigen_start(H, x0)
        return _first_step_above(*model(lam, z, 1.0 - lr * lam, threshold))
    return predict


def _distance_model(lam, z, r, threshold):
    """‖x_t‖ > threshold · ‖x₀‖."""
    return z * z, r * r, threshold ** 2 * np.sum(z * z)


def _unweighted_model(lam, z, r, threshold):
    """Σ z_i² r_i^{2t} > threshold · Σ z_i² (the curvature weights left out)."""
    return z * z, r * r, threshold * np.sum(z * z)


def _factor_not_squared_model(lam, z, r, threshold):
    """Σ λ_i z_i² |r_i|^t > threshold · Σ λ_i z_i²."""
    return lam * z * z, np.abs(r), threshold * np.sum(lam * z * z)


def _whole_loss_grows_model(lam, z, r, threshold):
    """f₀ ρ^{2t} > threshold · f₀: the whole loss grows at the worst factor from step 0."""
    return np.ones(1), np.max(r * r, keepdims=True), threshold


def _top_direction_model(lam, z, r, threshold):
    """The fastest-growing direction with a share alone: share_top ρ^{2t} > threshold · f₀."""
    shares = 0.5 * lam * z * z
    growing = np.flatnonzero(shares > 0)
    top = growing[np.argmax((r * r)[growing])] if growing.size else 0
    return shares[top:top + 1], (r * r)[top:top + 1], threshold * shares.sum()


def _real_solution(H, lr, x0, threshold) -> float:
    """The real t where the fastest-growing direction's share reaches the level (what a
    log formula gives before rounding)."""
    lam, z = _eigen_start(H, x0)
    shares, factors, level = _top_direction_model(lam, z, 1.0 - lr * lam, threshold)
    if shares[0] <= 0 or factors[0] <= 1:
        return math.inf
    return float(np.log(level / shares[0]) / np.log(factors[0]))


def _shifted(shift):
    def detect(args, out, expected):
        return math.isfinite(expected) and expected + shift >= 0 and close(out, expected + shift)
    return detect


def _never_case_finite(args, out, expected):
    return math.isinf(expected) and math.isfinite(out)


def _gave_up(args, out, expected):
    return math.isfinite(expected) and math.isinf(out) and out > 0


def _not_rounded_up(args, out, expected):
    """A real t that rounds up to the answer, or that a log formula gives."""
    if not math.isfinite(out) or float(out).is_integer():
        return False
    return close(math.ceil(out), expected) or close(out, _real_solution(**args), rtol=1e-6)


def _divergence_case(H, lr, x0, threshold) -> Case:
    return Case({"H": H, "lr": lr, "x0": np.array(x0, dtype=float), "threshold": threshold},
                shown={"H": _shown(H), "lr": repr(lr)})   # all digits: 0.500000001 is not 0.5


def _divergence_random(seed: int) -> Case:
    """A seeded rotated quadratic of 1–5 dimensions, η past its limit, a random x₀."""
    rng = np.random.default_rng(5000 + seed)
    dim = seed % 5 + 1
    H = _random_hessian(rng, dim, 0.1, 10.0)
    lr = float(rng.choice([1.02, 1.1, 1.3, 1.8])) * _largest_stable_lr(H)
    threshold = float(rng.choice([10.0, 1e3, 1e6]))
    return _divergence_case(H, lr, rng.normal(size=dim), threshold)


#: 2/λ_max of diag(1, 4) is 0.5; a rate 4·10⁻⁹ above it takes ~3·10⁸ steps to cross ×10
_CREEPING_LR = 0.5 + 1e-9

DIVERGENCE_STEP = Part(
    name="divergence_step",
    points=2,
    reference=_divergence_step,
    returns=_StepOut(what="the step number (or math.inf)", allow_inf=True),
    rtol=1e-6,        # exact below a million steps; a few steps' leeway for ~10⁸ (rounding of log ρ)
    atol=0.0,
    cases=[
        _divergence_case(H_AXIS, 0.21, [1.0, 1.0], 1e4),
        _divergence_case(hessian([3.98, 4.0], seed=8), 0.51, [1.0, 0.5], 100.0),  # two directions grow
        _divergence_case(np.diag([0.5, 4.0]), 0.51, [3.0, 0.01], 10.0),  # the loss falls first
        _divergence_case(np.diag([1.0, 4.0]), _CREEPING_LR, [1.0, 1.0], 10.0),   # ~10⁸ steps
        _divergence_case(np.diag([1.0, 4.0]), 0.5, [1.0, 1.0], 10.0),    # ηλ_max exactly 2
        _divergence_case(_as_rows(hessian([0.2, 2.0, 5.0], seed=9)), 0.45, [1.0, -1.0, 0.5], 1e3),
        _divergence_case(np.diag([1.0, 10.0]), 0.21, [1.0, 0.0], 1e4),   # past the limit, yet never
        _divergence_case([[1.0]], 3.0, [1.0], 16.0),     # f(x_2) = 16 f(x_0) exactly: not above
    ],
    hidden_cases=[
        _divergence_case(H_ROT, 0.3, [0.0, 0.0], 10.0),          # starts at the minimum
        _divergence_case(np.diag([1.0, 10.0]), 0.3, [2.0, 0.0], 10.0),   # nothing on the unstable axis
        _divergence_case(H_3D, 0.2, [1.0, 2.0, -1.0], 1000),     # stable: never (an int threshold)
        _divergence_case([[2.0]], 1.5, [3.0], 1e6),              # 1-D, η > 1
        _divergence_case(np.diag([1.0, 4.0]), 0.5 + 4e-9, [0.0, 1.0], 1e3),   # ~10⁸ steps
        *[_divergence_random(seed) for seed in range(6)],
    ],
    rediagnose_raised=_raised_on_rows,
    mistakes=[
        diagonal_only(_divergence_step),
        Mistake(
            "tracked_distance",
            "You predicted when the distance ‖x_t‖ passes threshold · ‖x₀‖; the threshold is on "
            "the loss f(x_t), which is not proportional to the distance.",
            f"{_LESSON_AT_START}, section 3: the loss in the eigenbasis, written out above the zoom — how "
            "does each direction enter it?",
            variant=_closed_form_variant(_distance_model),
        ),
        Mistake(
            "unweighted_directions",
            "Your loss weighs every direction alike (by zᵢ² alone); in f(x) = ½ xᵀHx the "
            "directions do not count alike.",
            f"{_LESSON_AT_START}, section 3: write f(x) in the eigenbasis, as the lesson does above the zoom.",
            variant=_closed_form_variant(_unweighted_model),
        ),
        Mistake(
            "factor_not_squared",
            "Your loss grows by |1 − ηλᵢ| per step in each direction: that is how the distance "
            "along direction i changes, not how that direction's term of the loss changes.",
            f"{_LESSON_AT_START}, section 3: how does zᵢ enter f(x)?",
            variant=_closed_form_variant(_factor_not_squared_model),
        ),
        Mistake(
            "share_ignored",
            "You let the whole starting loss grow by the worst factor from step 0. Only the "
            "part of f(x₀) along the growing direction(s) grows, starting from its share; "
            "the rest shrinks.",
            f"{_LESSON_AT_START}, section 3: the top direction's share of f(x₀) (the run at exactly "
            "2/λ_max stops at it).",
            variant=_closed_form_variant(_whole_loss_grows_model),
        ),
        Mistake(
            "fastest_direction_only",
            "You followed the fastest-growing direction alone. Here more than one direction "
            "grows, and at the crossing the others still add to the loss.",
            f"{_LESSON_AT_START}, section 3: the loss is the sum of every direction's term, at every step.",
            variant=_closed_form_variant(_top_direction_model),
        ),
        Mistake(
            "one_step_late",
            "Your step is one too late: at the step you returned the loss is above the threshold, "
            "but it already was one step earlier.",
            "Count the steps as the run does: x_t is the point after t steps, and the answer is "
            "the first t whose loss is above the threshold.",
            detect=_shifted(+1),
        ),
        Mistake(
            "one_step_early",
            "Your step is one too early: at the step you returned the loss is not above the "
            "threshold yet (here it is at most equal to it).",
            "The answer is the first t whose loss is strictly above threshold · f(x₀): mind the "
            "step where the two are equal (a ceil of an exact solution lands on it).",
            detect=_shifted(-1),
        ),
        Mistake(
            "not_rounded_up",
            "You returned a number of steps that is not whole: the real t where your formula "
            "reaches the threshold. The run only has whole steps.",
            "Return the first whole step t at which the loss is above the threshold "
            "(math.ceil of a real solution is only right if the formula is exact for every t).",
            detect=_not_rounded_up,
        ),
        Mistake(
            "not_whole",
            "You returned a number of steps that is not whole; the run only has whole steps.",
            "Return the first whole step t at which the loss is above the threshold.",
            detect=lambda a, out, exp: math.isfinite(out) and not float(out).is_integer(),
        ),
        Mistake(
            "never_as_a_number",
            "This run never gets above the threshold, and you returned a number as a marker "
            "for that; the instructions ask for math.inf, which later code can compare with "
            "any step count.",
            "Return math.inf when the loss never gets above the threshold.",
            detect=lambda a, out, exp: math.isinf(exp) and out in (-1.0, 0.0),
        ),
        Mistake(
            "never_is_finite",
            "This run never gets above the threshold, yet you returned a step. Look at each "
            "direction's term λᵢzᵢ²(1 − ηλᵢ)^{2t} for this H, lr and x₀: which terms can grow?",
            f"{_LESSON_AT_START}, sections 2–3: a direction grows only if |1 − ηλᵢ| > 1 and x₀ has a "
            "component along it.",
            detect=_never_case_finite,
        ),
        Mistake(
            "gave_up",
            "You returned math.inf, but this run does get above the threshold — after many steps. "
            "A search with a fixed limit on the number of steps gives up too early.",
            f"The closed form of the loss ({_LESSON}, section 3) gives f(x_t) for any t without "
            "running the steps, and once above the threshold the loss stays above: a search "
            "over t need not try every step, nor stop at a fixed one.",
            detect=_gave_up,
        ),
    ],
    wrong_hint=f"Predict from the closed form of the loss in the eigenbasis ({_LESSON}, section "
               "3): what each direction holds of f(x₀), and what a step does to it. The answer "
               "is the first whole t ≥ 1 with f(x_t) > threshold · f(x₀).",
)


def check_divergence_step(divergence_step, *, hidden: bool = False) -> None:
    """Check ``divergence_step(H, lr, x0, threshold) -> int or math.inf``.

    A time-out on a case whose run takes more than a million steps is named: the learner
    simulated the run instead of predicting it from the closed form; so is a time-out or an
    error on a run whose loss never gets above the threshold (a search with no "never" test).
    """
    tried: list = []

    @functools.wraps(divergence_step)
    def recorded(*args):
        tried.append(args)
        return divergence_step(*args)

    try:
        DIVERGENCE_STEP.check(recorded if callable(divergence_step) else divergence_step,
                              hidden=hidden)
    except CheckFailed as failed:
        if failed.mistake not in ("timeout", "raised") or not tried:
            raise
        answer = _divergence_step(*tried[-1])
        lines = str(failed).splitlines()
        if math.isinf(answer):
            lines[-1] = ("Hint: on this run your search for the step does not end well. Before "
                         "searching, ask whether the loss can get there at all: which directions' "
                         "terms grow, and what share of f(x₀) each of them holds "
                         f"({_LESSON}, sections 2–3).")
            raise CheckFailed("\n".join(lines), part=failed.part, mistake="never_not_detected") from None
        if answer < 1e6 or failed.mistake != "timeout":
            raise
        lines[-1] = ("Hint: this run takes hundreds of millions of steps before the loss gets "
                     "there: too many to simulate. Predict the step from the closed form of the "
                     f"loss ({_LESSON}, section 3) instead of running gradient descent.")
        raise CheckFailed("\n".join(lines), part=failed.part, mistake="simulated") from None


# ---------------------------------------------------------------------------
# Part 7: four runs, before and after the limit (predict, then read the experiment)
# ---------------------------------------------------------------------------

#: The experiment of part 7 (the notebook's cell runs the same with the library): GD for
#: RUN_STEPS steps on Quadratic([0.5, 10], angle=0.5) from x₀ = 2·q_flat + 0.003·q_steep.
RUN_RATES = (0.01, 0.1, 0.195, 0.205)
RUN_STEPS = 60


def runs_quadratic() -> Quadratic:
    """The quadratic of part 7: λ = 0.5 and 10, rotated by 0.5 rad (2/λ_max = 0.2)."""
    return Quadratic([0.5, 10.0], angle=0.5)


def runs_start(q: Quadratic) -> np.ndarray:
    """x₀ of part 7: mostly along the flat direction, a little along the steep one."""
    return q.eigenvectors @ np.array([2.0, 0.003])


def run_experiment() -> dict:
    """{η: f(x_0) … f(x_T)} for part 7's rates, from the library's ``run``."""
    from lrcourse.optim import SGD
    from lrcourse.train import run

    q = runs_quadratic()
    rates = np.array(RUN_RATES)
    result = run(q, SGD(lr=rates[:, None]), runs_start(q), RUN_STEPS, divergence_factor=np.inf)
    losses = np.vstack([result.loss, result.final_loss[None, :]])
    return {float(lr): losses[:, k] for k, lr in enumerate(rates)}


def _model_from_step_0() -> dict:
    """The misreading 'the whole loss follows the worst factor from step 0': f₀ ρ^{2t}."""
    q = runs_quadratic()
    f0, t = float(q.loss(runs_start(q))), np.arange(RUN_STEPS + 1)
    return {lr: f0 * q.gd_rate(lr) ** (2 * t) for lr in RUN_RATES}


def _model_flat_only() -> dict:
    """The misreading 'the direction holding almost all of f(x₀) decides': the flat
    direction's share × (1 − ηλ_min)^{2t}, the steep one left out."""
    q = runs_quadratic()
    z = q.eigenvectors.T @ runs_start(q)
    share, t = 0.5 * q.lambda_min * z[0] ** 2, np.arange(RUN_STEPS + 1)
    return {lr: share * (1 - lr * q.lambda_min) ** (2 * t) for lr in RUN_RATES}


def run_truths(curves: dict | None = None) -> frozenset:
    """Which of part 7's statements hold for these loss curves ({η: f(x_0) … f(x_T)}; the
    experiment's by default, or a misreading's model of them)."""
    curves = run_experiment() if curves is None else curves
    slow, good, near, past = (curves[lr] for lr in RUN_RATES)
    start = past[0]
    truths = set()
    if past[30] < start:
        truths.add("A")
    if past[-1] > start:
        truths.add("B")
    if near[-1] < good[-1]:
        truths.add("C")
    if slow[-1] < past[-1]:
        truths.add("D")
    if 0 < int(np.argmin(past)) < RUN_STEPS:
        truths.add("E")
    return frozenset(truths)


_RUNS_TRUE = frozenset("ACE")   # = run_truths() (the tests recompute it)

#: (model of the curves a misreading has in mind, mistake id, diagnosis, hint): fires only
#: when the chosen letters are exactly what that model predicts
_RUN_MODELS = (
    (_model_from_step_0, "worst_factor_from_step_0",
     "Your choices are what you would predict if the whole loss shrank or grew by the worst "
     "factor ρ² at every step from step 0. It does not: each direction's part of f(x₀) is "
     "multiplied by its own factor, and here x₀ lies almost entirely along one direction.",
     f"{_LESSON_AT_START}, section 3 (the loss in the eigenbasis); part 6 and its Try-it."),
    (_model_flat_only, "tiny_share_ignored",
     "Your choices are what you would predict if the direction that holds only a tiny part "
     "of f(x₀) never mattered. Past the limit that part is multiplied by more than 1 at every "
     "step: how long until it is no longer tiny?",
     "Part 6 and its Try-it; lesson 01, section 3 (the loss in the eigenbasis)."),
)

#: Where every statement of part 7 is settled (the neutral message sends the learner to all of it)
_RUN_SECTIONS = (f"{_LESSON}, sections 2–4 (each direction's factor 1 − ηλ, the loss in the "
                 "eigenbasis, what the contraction rate measures), and part 6 with its Try-it")


def _grade_runs(chosen: frozenset) -> Diagnosis | None:
    return choice_feedback(chosen, _RUNS_TRUE, _RUN_MODELS, _RUN_SECTIONS,
                           predict=lambda model: run_truths(model()))


FOUR_RUNS = ChoicePart("four_runs", 2)


def check_four_runs(four_runs, *, hidden: bool = False) -> None:
    """Check ``four_runs() -> str of letters`` (the true statements of part 7)."""
    FOUR_RUNS.check(four_runs, options="ABCDE", example='"BD"', grade=_grade_runs, hidden=hidden)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = grade_cell_points(
    GD_STEP, GRADIENT_DESCENT, LARGEST_STABLE_LR, OPTIMAL_LR, CONTRACTION_RATE,
    DIVERGENCE_STEP, FOUR_RUNS,
)
