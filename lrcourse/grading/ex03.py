"""Checks for exercise 03 — momentum, in PyTorch's form.

Parts (learner's function → check):

- ``sgd_momentum_step(x, grad, buf, lr, momentum, dampening=0.0) -> (x_new, buf_new)``
  (``buf`` is None on the first step, as in ``torch.optim.SGD``)  → :func:`check_sgd_momentum_step`
- ``nesterov_step(x, grad, buf, lr, momentum) -> (x_new, buf_new)``
                                                                  → :func:`check_nesterov_step`
- ``largest_stable_lr_momentum(H, momentum) -> float``  ((2 + 2μ)/λ_max)
                                                                  → :func:`check_largest_stable_lr_momentum`
- ``optimal_momentum(H) -> (lr, momentum)``  (heavy ball's optimal pair)
                                                                  → :func:`check_optimal_momentum`
- ``momentum_rate(H, lr, momentum) -> float``  (the asymptotic convergence rate)
                                                                  → :func:`check_momentum_rate`
- ``heavy_or_nesterov() -> str`` (graded multiple choice: stability and speed of heavy ball
  against Nesterov on diag(1, 100), each statement settled by a computation)
                                                                  → :func:`check_heavy_or_nesterov`

PyTorch's form: b ← μ·b + (1 − τ)·g (b ← g at the first step), x ← x − η·b;
Nesterov: b ← μ·b + g, x ← x − η·(g + μ·b).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lrcourse.grading.core import (
    TIME_LIMIT, ArrayOut, Case, Mistake, NumberOut, Part, Problem, TupleOut, check_choice,
)
from lrcourse.grading.diagnose import diagonal_only, step_mistakes, swapped_items
from lrcourse.grading.quadratics import H_3D, H_4D, H_AXIS, H_ROT, eigenvalues, matrix_case

__all__ = [
    "PARTS",
    "check_sgd_momentum_step",
    "check_nesterov_step",
    "check_largest_stable_lr_momentum",
    "check_optimal_momentum",
    "check_momentum_rate",
    "check_heavy_or_nesterov",
    "choice_truths",
    "heavy_ball_rate",
    "nesterov_rate",
]


# ---------------------------------------------------------------------------
# References (never shown)
# ---------------------------------------------------------------------------

def _momentum_buffer(grad, buf, momentum, dampening):
    if buf is None:
        return np.array(grad, dtype=float)
    return momentum * buf + (1 - dampening) * grad


def _sgd_momentum_step(x, grad, buf, lr, momentum, dampening=0.0):
    buf_new = _momentum_buffer(grad, buf, momentum, dampening)
    return x - lr * buf_new, buf_new


def _nesterov_step(x, grad, buf, lr, momentum):
    buf_new = _momentum_buffer(grad, buf, momentum, 0.0)
    return x - lr * (grad + momentum * buf_new), buf_new


def _largest_stable_lr_momentum(H, momentum):
    return (2.0 + 2.0 * momentum) / eigenvalues(H)[-1]


def _optimal_momentum(H):
    lam = eigenvalues(H)
    small, large = np.sqrt(lam[0]), np.sqrt(lam[-1])
    return 4.0 / (small + large) ** 2, ((large - small) / (large + small)) ** 2


def _momentum_rate(H, lr, momentum):
    """Largest |root| of z² − (1 + μ − ηλ)z + μ = 0 over the eigenvalues λ of H."""
    rates = [np.max(np.abs(np.roots([1.0, -(1.0 + momentum - lr * lam), momentum])))
             for lam in eigenvalues(H)]
    return float(max(rates))


# ---------------------------------------------------------------------------
# Parts 1 and 2: the steps
# ---------------------------------------------------------------------------

def _step_case(x, grad, buf, lr, momentum, dampening=None):
    args = {"x": np.array(x, dtype=float), "grad": np.array(grad, dtype=float),
            "buf": None if buf is None else np.array(buf, dtype=float), "lr": lr,
            "momentum": momentum}
    if dampening is not None:
        args["dampening"] = dampening
    return Case(args)


_STEP_RETURNS = TupleOut(
    items=(ArrayOut(what="the new parameters", like="x"),
           ArrayOut(what="the new momentum buffer", like="grad")),
    names=("x_new", "buf_new"),
)


def _momentum_variant(buffer_rule, step_rule=lambda x, lr, b_old, b_new, g: x - lr * b_new):
    """A wrong step built from a buffer rule (b_old, g, μ, τ) -> b_new and a step rule."""
    def step(x, grad, buf, lr, momentum, dampening=0.0):
        b_new = buffer_rule(buf, grad, momentum, dampening)
        return step_rule(x, lr, buf, b_new, grad), b_new
    return step


def _sutskever(x, grad, buf, lr, momentum, dampening=0.0):
    velocity = -lr * grad if buf is None else momentum * buf - lr * grad
    return x + velocity, velocity


SGD_MOMENTUM_STEP = Part(
    name="sgd_momentum_step",
    points=2,
    reference=_sgd_momentum_step,
    returns=_STEP_RETURNS,
    cases=[
        _step_case([1.0, -2.0], [0.5, 3.0], None, 0.1, 0.9, 0.0),          # first step
        _step_case([0.95, -2.3], [0.4, 2.0], [0.5, 3.0], 0.1, 0.9, 0.0),   # a later step
        _step_case([2.0], [-1.0], None, 0.2, 0.5, 0.5),                    # first step, dampening
        _step_case([[1.0, 2.0], [-1.0, 0.5]], [[0.2, -0.4], [1.0, 0.3]],
                   [[1.0, 1.0], [-2.0, 0.5]], 0.05, 0.8, 0.3),             # later, dampening
    ],
    hidden_cases=[
        _step_case(np.linspace(-1, 1, 6), np.sin(np.arange(6.0)), np.cos(np.arange(6.0)), 0.01, 0.99, 0.1),
        _step_case([3.0, -1.0, 0.0], [1.0, 1.0, -2.0], None, 0.3, 0.7, 0.9),
    ],
    mistakes=[
        *step_mistakes(item=0),
        Mistake(
            "buffer_zero_init",
            "Your momentum buffer is initialised differently from PyTorch: you start from b = 0, "
            "so the first gradient enters damped as (1 − dampening)·g. PyTorch sets b = g on the "
            "first step (buf is None) and applies dampening only from the second step on.",
            "When buf is None, the new buffer is the gradient itself (a copy).",
            variant=_momentum_variant(
                lambda b, g, mu, tau: (1 - tau) * g if b is None else mu * b + (1 - tau) * g),
        ),
        Mistake(
            "sutskever_form",
            "You wrote Sutskever's form (v ← μv − ηg, x ← x + v): your buffer holds the velocity, "
            "with η inside. PyTorch's buffer accumulates gradients only (b ← μb + g) and η is "
            "applied when stepping (x ← x − ηb).",
            "Keep lr out of the buffer; use it only in the parameter update.",
            variant=_sutskever,
        ),
        Mistake(
            "ema_buffer",
            "Your buffer is an exponential moving average, b ← μb + (1 − μ)g (that is "
            "dampening = momentum). PyTorch adds the gradient with weight 1 − dampening, "
            "which is the full gradient by default.",
            "The gradient's weight in the buffer is (1 − dampening), not (1 − momentum).",
            variant=_momentum_variant(
                lambda b, g, mu, tau: np.array(g, float) if b is None else mu * b + (1 - mu) * g),
        ),
        Mistake(
            "dampening_ignored",
            "Your buffer ignores dampening: after the first step the gradient enters with "
            "weight (1 − dampening).",
            "b ← μ·b + (1 − dampening)·g from the second step on.",
            variant=_momentum_variant(
                lambda b, g, mu, tau: np.array(g, float) if b is None else mu * b + g),
        ),
        Mistake(
            "stepped_with_old_buffer",
            "You stepped with the old buffer: PyTorch updates the buffer first and then steps "
            "with the new one.",
            "Compute buf_new, then x_new = x − lr·buf_new.",
            variant=_momentum_variant(
                lambda b, g, mu, tau: np.array(g, float) if b is None else mu * b + (1 - tau) * g,
                step_rule=lambda x, lr, b_old, b_new, g: x - lr * (g if b_old is None else b_old)),
        ),
        Mistake(
            "momentum_on_gradient",
            "μ multiplies the wrong term: the old buffer decays by μ each step (b ← μb + g), "
            "the new gradient is not scaled by μ.",
            "Multiply the old buffer by momentum, then add the (dampened) gradient.",
            variant=_momentum_variant(
                lambda b, g, mu, tau: np.array(g, float) if b is None else b + mu * (1 - tau) * g),
        ),
    ],
    wrong_hint="PyTorch: b ← g on the first step, b ← μ·b + (1 − dampening)·g afterwards; "
               "then x ← x − η·b.",
)


def check_sgd_momentum_step(sgd_momentum_step, *, hidden: bool = False) -> None:
    """Check ``sgd_momentum_step(x, grad, buf, lr, momentum, dampening=0.0) -> (x_new, buf_new)``."""
    SGD_MOMENTUM_STEP.check(sgd_momentum_step, hidden=hidden)


def _nesterov_variant(direction, buffer_out=lambda b_new, d: b_new):
    def step(x, grad, buf, lr, momentum):
        b_new = _momentum_buffer(grad, buf, momentum, 0.0)
        b_old = grad if buf is None else buf
        d = direction(grad, b_old, b_new, momentum)
        return x - lr * d, buffer_out(b_new, d)
    return step


NESTEROV_STEP = Part(
    name="nesterov_step",
    points=2,
    reference=_nesterov_step,
    returns=_STEP_RETURNS,
    cases=[
        _step_case([1.0, -2.0], [0.5, 3.0], None, 0.1, 0.9),
        _step_case([0.95, -2.3], [0.4, 2.0], [0.5, 3.0], 0.1, 0.9),
        _step_case([[1.0, 2.0], [-1.0, 0.5]], [[0.2, -0.4], [1.0, 0.3]],
                   [[1.0, 1.0], [-2.0, 0.5]], 0.05, 0.8),
    ],
    hidden_cases=[
        _step_case(np.linspace(-1, 1, 6), np.sin(np.arange(6.0)), np.cos(np.arange(6.0)), 0.01, 0.99),
        _step_case([3.0, -1.0, 0.0], [1.0, 1.0, -2.0], None, 0.3, 0.5),
    ],
    mistakes=[
        *step_mistakes(item=0),
        Mistake(
            "heavy_ball_step",
            "You took the heavy-ball step x − η·b. Nesterov's step in PyTorch's form looks ahead: "
            "it steps along g + μ·b.",
            "Update the buffer as for momentum, then step along the gradient plus μ times the new buffer.",
            variant=_nesterov_variant(lambda g, b_old, b_new, mu: b_new),
        ),
        Mistake(
            "lookahead_with_old_buffer",
            "You looked ahead with the old buffer (g + μ·b_old): update the buffer first, then "
            "step along g + μ·b with the new b.",
            "Compute buf_new first; the direction uses buf_new.",
            variant=_nesterov_variant(lambda g, b_old, b_new, mu: g + mu * b_old),
        ),
        Mistake(
            "lookahead_without_momentum",
            "Your direction is g + b: the buffer's share of the look-ahead must be scaled by μ.",
            "The direction is g + μ·b.",
            variant=_nesterov_variant(lambda g, b_old, b_new, mu: g + b_new),
        ),
        Mistake(
            "direction_stored_as_buffer",
            "Your step is right, but you returned the look-ahead direction g + μ·b as the buffer; "
            "the buffer itself is b ← μ·b + g.",
            "Return the momentum buffer, not the direction you stepped along.",
            variant=_nesterov_variant(lambda g, b_old, b_new, mu: g + mu * b_new,
                                      buffer_out=lambda b_new, d: d),
        ),
    ],
    wrong_hint="PyTorch's Nesterov: b ← μ·b + g (b ← g at first), then x ← x − η·(g + μ·b).",
)


def check_nesterov_step(nesterov_step, *, hidden: bool = False) -> None:
    """Check ``nesterov_step(x, grad, buf, lr, momentum) -> (x_new, buf_new)``."""
    NESTEROV_STEP.check(nesterov_step, hidden=hidden)


# ---------------------------------------------------------------------------
# Parts 3–5: momentum on a quadratic
# ---------------------------------------------------------------------------

def _from_eigenvalues(formula):
    return lambda H, *rest: formula(eigenvalues(H), *rest)


LARGEST_STABLE_LR_MOMENTUM = Part(
    name="largest_stable_lr_momentum",
    points=1,
    reference=_largest_stable_lr_momentum,
    returns=NumberOut(what="the largest stable learning rate"),
    cases=[
        matrix_case(H_AXIS, momentum=0.9),
        matrix_case(H_ROT, momentum=0.5),
        matrix_case(H_3D, momentum=0.0),
    ],
    hidden_cases=[
        matrix_case(H_4D, momentum=0.99),
        matrix_case(np.array([[2.0]]), momentum=0.3),
    ],
    mistakes=[
        diagonal_only(_largest_stable_lr_momentum),
        Mistake(
            "momentum_ignored",
            "That is plain gradient descent's limit 2/λ_max: momentum widens the stable range "
            "of the learning rate.",
            "Lesson 03, the stability section: on one eigen-direction the heavy ball is a 2×2 "
            "linear recursion; find the ηλ at which a root of its characteristic polynomial "
            "leaves the unit circle (try z = −1), with μ in it.",
            variant=_from_eigenvalues(lambda lam, mu: 2.0 / lam[-1]),
        ),
        Mistake(
            "effective_step",
            "You treated η/(1 − μ) as the step and kept it below 2/λ_max. η/(1 − μ) is the "
            "effective step for a slowly varying gradient, not the stability limit.",
            "Find when the roots of z² − (1 + μ − ηλ)z + μ stay inside the unit circle.",
            variant=_from_eigenvalues(lambda lam, mu: 2.0 * (1 - mu) / lam[-1]),
        ),
        Mistake(
            "smallest_eigenvalue",
            "You used the smallest eigenvalue; the most curved direction (λ_max) is the first "
            "to go unstable.",
            "The limit comes from the largest eigenvalue.",
            variant=_from_eigenvalues(lambda lam, mu: (2.0 + 2.0 * mu) / lam[0]),
        ),
        Mistake(
            "factor_two",
            "Your value is below the limit: runs at somewhat larger rates still converge on "
            "this quadratic (a constant factor went missing in your derivation).",
            "Redo the last step: substitute z = −1 into the characteristic polynomial "
            "z² − (1 + μ − ηλ)z + μ and solve for ηλ.",
            variant=_from_eigenvalues(lambda lam, mu: (1.0 + mu) / lam[-1]),
        ),
    ],
    wrong_hint="The heavy-ball iteration on one eigenvalue λ has characteristic polynomial "
               "z² − (1 + μ − ηλ)z + μ.",
)


def check_largest_stable_lr_momentum(largest_stable_lr_momentum, *, hidden: bool = False) -> None:
    """Check ``largest_stable_lr_momentum(H, momentum) -> float``."""
    LARGEST_STABLE_LR_MOMENTUM.check(largest_stable_lr_momentum, hidden=hidden)


def _pair(formula_lr, formula_mu):
    def variant(H):
        lam = eigenvalues(H)
        return float(formula_lr(lam)), float(formula_mu(lam))
    return variant


def _right_mu(lam):
    return ((np.sqrt(lam[-1]) - np.sqrt(lam[0])) / (np.sqrt(lam[-1]) + np.sqrt(lam[0]))) ** 2


def _right_lr(lam):
    return 4.0 / (np.sqrt(lam[0]) + np.sqrt(lam[-1])) ** 2


OPTIMAL_MOMENTUM = Part(
    name="optimal_momentum",
    points=2,
    reference=_optimal_momentum,
    returns=TupleOut(items=(NumberOut(what="the learning rate"), NumberOut(what="the momentum")),
                     names=("lr", "momentum")),
    cases=[matrix_case(H_AXIS), matrix_case(H_ROT), matrix_case(H_3D)],
    hidden_cases=[matrix_case(H_4D), matrix_case(3.0 * np.eye(2))],
    mistakes=[
        diagonal_only(_optimal_momentum),
        swapped_items(("lr", "momentum")),
        Mistake(
            "momentum_not_squared",
            "Your momentum equals the optimal convergence *rate*, not the momentum that "
            "achieves it.",
            "Lesson 03, optimal tuning: with the optimal pair every eigenvalue gets a double or "
            "complex pair of roots; what is their modulus in terms of μ, and what does that "
            "make μ in terms of the rate?",
            variant=_pair(_right_lr, lambda lam: np.sqrt(_right_mu(lam))),
        ),
        Mistake(
            "gd_optimal_lr",
            "Your learning rate is gradient descent's optimum 2/(λ_min + λ_max); with momentum "
            "the optimal step is larger.",
            "Lesson 03, optimal tuning: choose η and μ together so that the roots for λ_min "
            "and for λ_max both sit on the circle of radius √μ (a double root at each end); "
            "solve the two conditions for η.",
            variant=_pair(lambda lam: 2.0 / (lam[0] + lam[-1]), _right_mu),
        ),
        Mistake(
            "missing_cross_term",
            "Your learning rate matches the right form with a square of a sum expanded "
            "without its cross term.",
            "Expand (√a + √b)² term by term.",
            variant=_pair(lambda lam: 4.0 / (lam[0] + lam[-1]), _right_mu),
        ),
        Mistake(
            "kappa_not_sqrt",
            "Your momentum has the right shape but uses κ where the derivation produces √κ.",
            "Momentum's advantage is exactly this square root: its rate depends on √κ, not κ.",
            variant=_pair(_right_lr, lambda lam: ((lam[-1] - lam[0]) / (lam[-1] + lam[0])) ** 2),
        ),
    ],
    wrong_hint="Lesson 03, optimal tuning: the optimal pair gives both extreme eigenvalues a "
               "double root of modulus √μ; write the two conditions and solve for η and μ.",
)


def check_optimal_momentum(optimal_momentum, *, hidden: bool = False) -> None:
    """Check ``optimal_momentum(H) -> (lr, momentum)``."""
    OPTIMAL_MOMENTUM.check(optimal_momentum, hidden=hidden)


def _rate_variant(per_eigenvalue, combine=max):
    return lambda H, lr, momentum: float(combine(
        [per_eigenvalue(lam, lr, momentum) for lam in eigenvalues(H)]))


def _root_modulus(lam, lr, mu):
    return float(np.max(np.abs(np.roots([1.0, -(1.0 + mu - lr * lam), mu]))))


MOMENTUM_RATE = Part(
    name="momentum_rate",
    points=2,
    reference=_momentum_rate,
    returns=NumberOut(what="the convergence rate"),
    rtol=1e-6,
    cases=[
        matrix_case(H_AXIS, lr=0.02, momentum=0.5),      # λ_min: real roots, λ_max: complex
        matrix_case(H_AXIS, lr=_right_lr(eigenvalues(H_AXIS)),
                     momentum=_right_mu(eigenvalues(H_AXIS))),  # optimal pair
        matrix_case(H_ROT, lr=0.02, momentum=0.3),       # small step: λ_min is slowest
        matrix_case(H_3D, lr=0.9, momentum=0.6),         # unstable: rate > 1
    ],
    hidden_cases=[
        matrix_case(H_4D, lr=0.03, momentum=0.9),
        matrix_case(np.array([[2.0]]), lr=0.4, momentum=0.1),
    ],
    mistakes=[
        diagonal_only(_momentum_rate),
        Mistake(
            "momentum_ignored",
            "That is plain gradient descent's rate max|1 − ηλ|: with momentum each eigenvalue "
            "gives a two-term recursion, whose rate is the largest root of z² − (1 + μ − ηλ)z + μ.",
            "For each eigenvalue take the larger |root| of that quadratic in z; the rate is the "
            "largest over the eigenvalues.",
            variant=_rate_variant(lambda lam, lr, mu: abs(1 - lr * lam)),
        ),
        Mistake(
            "sqrt_momentum",
            "√μ is the rate only when every eigenvalue gives complex roots (the under-damped "
            "regime); here some roots are real and one of them is larger.",
            "Compute the roots for each eigenvalue; np.roots or the quadratic formula with a "
            "complex square root handles both regimes.",
            variant=lambda H, lr, mu: float(np.sqrt(mu)),
        ),
        Mistake(
            "only_lambda_max",
            "You used only the largest eigenvalue; the flattest direction is often the slowest.",
            "Take the largest root modulus over all eigenvalues.",
            variant=_rate_variant(_root_modulus, combine=lambda values: values[-1]),
        ),
        Mistake(
            "only_lambda_min",
            "You used only the smallest eigenvalue; the most curved direction can be the "
            "slowest (or unstable).",
            "Take the largest root modulus over all eigenvalues.",
            variant=_rate_variant(_root_modulus, combine=lambda values: values[0]),
        ),
        Mistake(
            "min_not_max",
            "You took the smallest root modulus: the slowest component sets the rate.",
            "Take the largest root modulus, over both roots and all eigenvalues.",
            variant=_rate_variant(
                lambda lam, lr, mu: float(np.min(np.abs(np.roots([1.0, -(1.0 + mu - lr * lam), mu])))),
                combine=min),
        ),
    ],
    wrong_hint="On eigenvalue λ, heavy ball's error follows e_{t+1} = (1 + μ − ηλ)e_t − μe_{t−1}.",
)


def check_momentum_rate(momentum_rate, *, hidden: bool = False) -> None:
    """Check ``momentum_rate(H, lr, momentum) -> float``."""
    MOMENTUM_RATE.check(momentum_rate, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 6: heavy ball or Nesterov? (graded multiple choice, settled by computation)
# ---------------------------------------------------------------------------

#: Part 6's setting: H = diag(1, 100), μ = 0.9, and the two rates its statements name.
CHOICE_EIGENVALUES = (1.0, 100.0)
CHOICE_MOMENTUM, CHOICE_LR_A, CHOICE_LR_B = 0.9, 0.035, 0.01


def _largest_root(b, c) -> np.ndarray:
    """Largest |root| of z² − b·z + c (elementwise)."""
    b, c = np.broadcast_arrays(np.asarray(b, dtype=complex), np.asarray(c, dtype=complex))
    disc = np.sqrt(b * b - 4 * c)
    return np.maximum(np.abs((b + disc) / 2), np.abs((b - disc) / 2))


def heavy_ball_rate(lr, momentum, eigenvalues=CHOICE_EIGENVALUES):
    """Heavy ball's rate: the largest |root| of z² − (1 + μ − ηλ)z + μ over the eigenvalues."""
    return np.maximum.reduce([_largest_root(1 + np.subtract(momentum, np.multiply(lr, lam)), momentum)
                              for lam in eigenvalues])


def nesterov_rate(lr, momentum, eigenvalues=CHOICE_EIGENVALUES):
    """Nesterov's rate: the largest |root| of z² − (1 + μ)(1 − ηλ)z + μ(1 − ηλ) (lesson 03,
    section 7)."""
    return np.maximum.reduce([_largest_root(np.multiply(1 + np.asarray(momentum), 1 - np.multiply(lr, lam)),
                                            np.multiply(momentum, 1 - np.multiply(lr, lam)))
                              for lam in eigenvalues])


def _largest_stable_lr(rate, momentum) -> float:
    lrs = np.linspace(1e-4, 0.05, 5000)
    stable = lrs[rate(lrs, momentum) < 1]
    return float(stable.max())


def choice_truths(heavy=heavy_ball_rate, nesterov=nesterov_rate) -> frozenset:
    """Which of part 6's statements hold when the two methods' rates are ``heavy`` and
    ``nesterov`` (the right ones, or a learner's mistaken picture of them)."""
    mu = CHOICE_MOMENTUM
    lam_min, lam_max = CHOICE_EIGENVALUES
    truths = set()
    if heavy(CHOICE_LR_A, mu) < 1 <= nesterov(CHOICE_LR_A, mu):
        truths.add("A")
    if nesterov(CHOICE_LR_B, mu) < heavy(CHOICE_LR_B, mu) - 1e-9:
        truths.add("B")
    lrs, mus = np.meshgrid(np.linspace(1e-3, 0.05, 246), np.linspace(0, 0.99, 100))
    if np.min(nesterov(lrs, mus)) < np.min(heavy(lrs, mus)) - 1e-9:
        truths.add("C")
    lr_star = 4 / (np.sqrt(lam_min) + np.sqrt(lam_max)) ** 2
    mu_star = ((np.sqrt(lam_max) - np.sqrt(lam_min)) / (np.sqrt(lam_max) + np.sqrt(lam_min))) ** 2
    if nesterov(lr_star, mu_star) < 1:
        truths.add("D")
    if _largest_stable_lr(nesterov, mu) > _largest_stable_lr(nesterov, 0.0):
        truths.add("E")
    return frozenset(truths)


_CHOICE_RIGHT = frozenset("AB")    # = choice_truths() (the tests recompute it)

_CHOICE_MODELS = [
    # (heavy, nesterov) a learner may have in mind, mistake id, diagnosis, hint: fires when the
    # chosen letters are exactly what that picture predicts
    ((heavy_ball_rate, heavy_ball_rate), "nesterov_same_map",
     "Your choices are what you would get if Nesterov's step had heavy ball's 2×2 map. It does "
     "not: its gradient term and its memory term both carry a factor (1 − ηλ). Compute each "
     "statement with Nesterov's own characteristic polynomial.",
     "Lesson 03, section 7: Nesterov's polynomial and its stable range, next to heavy ball's "
     "from section 4."),
    ((nesterov_rate, heavy_ball_rate), "methods_swapped",
     "Your choices fit heavy ball's and Nesterov's properties swapped: which of the two has the "
     "wider stable range of η, and which is faster once both are tuned?",
     "Lesson 03, sections 4 and 7: the two stability conditions and the two tuned rates on the "
     "κ = 100 valley."),
]

_CHOICE_PROBLEMS = {
    "A": ("stability_not_compared",
          "Your answer leaves out a true statement about η = 0.035. Compute ηλ_max and compare it "
          "with each method's limit on ηλ at μ = 0.9.",
          "Part 3 of this exercise (heavy ball) and lesson 03, section 7 (Nesterov)."),
    "B": ("rates_not_computed",
          "Your answer leaves out a true statement about η = 0.01. Compute both rates there: on "
          "the steep direction ηλ = 1, so what are Nesterov's roots; and what modulus do heavy "
          "ball's roots have when they are complex?",
          "Lesson 03, section 4 (the floor √μ) and section 7 (Nesterov's polynomial); your "
          "momentum_rate gives heavy ball's."),
    "C": ("nesterov_tuned_faster",
          "You chose a false statement about the tuned methods. Compare heavy ball's best rate "
          "(part 4's pair) with the best rate Nesterov reaches on this quadratic.",
          "Lesson 03, section 7: the two rate maps on the κ = 100 valley."),
    "D": ("nesterov_at_heavy_ball_optimum",
          "You chose a false statement about heavy ball's optimal pair. Compute it with "
          "optimal_momentum and put its ηλ_max and μ into Nesterov's stability condition.",
          "Lesson 03, section 7: Nesterov's stable range of ηλ."),
    "E": ("nesterov_limit_grows",
          "You chose a false statement about Nesterov's stable range. Write its limit on ηλ as a "
          "function of μ and evaluate it at μ = 0 and at μ = 0.9.",
          "Lesson 03, section 7: the stability condition 0 < ηλ < … for nesterov=True."),
}


def _grade_choice(chosen: frozenset) -> Problem | None:
    if chosen != _CHOICE_RIGHT:
        for (heavy, nesterov), mistake, diagnosis, hint in _CHOICE_MODELS:
            if chosen == _model_truths(heavy, nesterov):
                return Problem(mistake, diagnosis, hint, show_returned=False)
    for letter in "ABCDE":
        if (letter in chosen) != (letter in _CHOICE_RIGHT):
            mistake, diagnosis, hint = _CHOICE_PROBLEMS[letter]
            return Problem(mistake, diagnosis, hint, show_returned=False)
    return None


_MODEL_TRUTHS: dict = {}


def _model_truths(heavy, nesterov) -> frozenset:
    key = (heavy, nesterov)
    if key not in _MODEL_TRUTHS:
        _MODEL_TRUTHS[key] = choice_truths(heavy, nesterov)
    return _MODEL_TRUTHS[key]


@dataclasses.dataclass
class _Choice:
    """Name, points and time limit of a multiple-choice part (what the tests' tables read)."""

    name: str
    points: float
    time_limit: float = TIME_LIMIT


HEAVY_OR_NESTEROV = _Choice("heavy_or_nesterov", 2)


def check_heavy_or_nesterov(heavy_or_nesterov, *, hidden: bool = False) -> None:
    """Check ``heavy_or_nesterov() -> str of letters`` (part 6's true statements)."""
    part = HEAVY_OR_NESTEROV
    check_choice(part.name, part.points, heavy_or_nesterov, options="ABCDE", example='"CE"',
                 grade=_grade_choice, hidden=hidden, time_limit=part.time_limit)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = {
    "check_sgd_momentum_step": SGD_MOMENTUM_STEP.points,
    "check_nesterov_step": NESTEROV_STEP.points,
    "check_largest_stable_lr_momentum": LARGEST_STABLE_LR_MOMENTUM.points,
    "check_optimal_momentum": OPTIMAL_MOMENTUM.points,
    "check_momentum_rate": MOMENTUM_RATE.points,
    "check_heavy_or_nesterov": HEAVY_OR_NESTEROV.points,
}
