"""Checks for exercise 03 — momentum, in PyTorch's form.

Parts (learner's function → check):

- ``sgd_momentum_step(x, grad, buf, lr, momentum, dampening=0.0) -> (x_new, buf_new)``
  (``buf`` is None on the first step, as in ``torch.optim.SGD``)  → :func:`check_sgd_momentum_step`
- ``nesterov_step(x, grad, buf, lr, momentum) -> (x_new, buf_new)``
                                                                  → :func:`check_nesterov_step`
- ``largest_stable_lr_momentum(H, momentum) -> float``  (the edge of heavy ball's stable range)
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

The steps are tried on hand-picked cases (the first step with and without dampening, a
later step, μ = 0, where the step must be plain SGD's) and, hidden, on seeded random
arrays of 1 to 3 dimensions.  The three quadratic parts are derivation parts: their
references are :class:`lrcourse.problems.Quadratic`'s numbers for the eigenvalues of H
(the stability edge found by bisection on its rate, not from a formula), their cases
rotated H of several sizes and condition numbers, H = c·I, a nested list of ints, and
μ = 0, where every answer must reduce to gradient descent's; their messages point to the
step of the lesson's argument, never to its result.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lrcourse.grading.core import Case, Mistake, Part, Diagnosis, TupleOut, close, grade_cell_points
from lrcourse.grading.choice import ChoicePart, choice_feedback
from lrcourse.grading.diagnose import diagonal_only, step_mistakes, swapped_items
from lrcourse.grading.outputs import (
    ArrayOnlyOut, NumberOnlyOut, check_new_arrays, raised_on_list, works_when,
)
from lrcourse.grading.quadratics import H_3D, H_4D, H_AXIS, H_ROT, eigenvalues, hessian, show_matrix
from lrcourse.problems import Quadratic

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
    """PyTorch's buffer: a copy of g on the first step, μ·b + (1 − τ)·g afterwards."""
    if buf is None:
        return np.array(grad, dtype=float)
    return momentum * np.asarray(buf, dtype=float) + (1 - dampening) * np.asarray(grad, dtype=float)


def _sgd_momentum_step(x, grad, buf, lr, momentum, dampening=0.0):
    buf_new = _momentum_buffer(grad, buf, momentum, dampening)
    return x - lr * buf_new, buf_new


def _nesterov_step(x, grad, buf, lr, momentum):
    buf_new = _momentum_buffer(grad, buf, momentum, 0.0)
    return x - lr * (grad + momentum * buf_new), buf_new


def _quadratic(H) -> Quadratic:
    """The quadratic ½ xᵀHx as the library's problem (its eigenvalues and eigenvectors)."""
    lam, q = np.linalg.eigh(np.asarray(H, dtype=float))
    return Quadratic(lam, rotation=q)


def _largest_stable_lr_momentum(H, momentum):
    """The edge of the stable range, by bisection on ``Quadratic.momentum_rate`` < 1.

    ηλ_max = 1 converges and ηλ_max = 4 does not, for every 0 ≤ μ < 1 (lesson 03, section 4);
    the stable rates form one interval, so halving the bracket finds its end.
    """
    q = _quadratic(H)
    stable, unstable = 1.0 / q.lambda_max, 4.0 / q.lambda_max
    for _ in range(100):
        middle = (stable + unstable) / 2
        if q.momentum_rate(middle, momentum) < 1:
            stable = middle
        else:
            unstable = middle
    return stable


def _optimal_momentum(H):
    q = _quadratic(H)
    return float(q.optimal_momentum_lr), float(q.optimal_momentum)


def _momentum_rate(H, lr, momentum):
    return float(_quadratic(H).momentum_rate(lr, momentum))


# ---------------------------------------------------------------------------
# A Part whose named mistakes must fit every case
# ---------------------------------------------------------------------------

def _or_right_where_harmless(mistake: Mistake, harmless, *, rtol: float = 1e-7) -> Mistake:
    """``mistake`` (a shared detector), also consistent with a right output on a case where it
    makes no difference (``harmless(args, expected)``: an axis-aligned H for "diagonal as
    eigenvalues", equal items for "swapped"), so that it can fit every case."""
    def detect(args, out, expected):
        if harmless(args, expected):
            return close(out, expected, rtol=rtol)
        return mistake.detect(args, out, expected)
    return dataclasses.replace(mistake, detect=detect)


def _diagonal_mistake(reference, *, rtol: float = 1e-7) -> Mistake:
    def same_answer(args, expected):
        """H's diagonal gives the right answer too (an axis-aligned H, or an answer such as √μ
        that does not depend on the eigenvalues)."""
        as_if_diagonal = dict(args, H=np.diag(np.diag(np.asarray(args["H"], dtype=float))))
        return close(reference(**as_if_diagonal), expected, rtol=rtol)
    return _or_right_where_harmless(diagonal_only(reference), same_answer, rtol=rtol)


def _swapped_mistake(names) -> Mistake:
    return _or_right_where_harmless(swapped_items(names), lambda args, expected: close(*expected))


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


_SHAPES = ((3,), (2, 3), (2, 2, 2), (1,), (4, 1), (5,), (1, 3, 2))


def _random_step_case(seed: int, *, first: bool, dampened: bool) -> Case:
    """A seeded property-style case: 1-D to 3-D arrays, gradients of several sizes (some
    exactly 0), the first step or a later one, η ≠ 1, and μ (and τ) drawn from [0, 1)."""
    rng = np.random.default_rng(300 + seed)
    shape = _SHAPES[seed % len(_SHAPES)]
    x = rng.normal(size=shape)
    grad = rng.normal(size=shape) * 10.0 ** rng.integers(-2, 2, size=shape)
    grad[rng.random(size=shape) < 0.15] = 0.0
    buf = None if first else rng.normal(size=shape) * 2.0
    lr = float(rng.choice([0.01, 0.05, 0.3, 2.5]))
    momentum = float(rng.choice([0.3, 0.5, 0.9, 0.99]))
    dampening = float(rng.choice([0.0, 0.1, 0.5, 0.9])) if dampened else None
    return _step_case(x, grad, buf, lr, momentum, dampening)


_USE = ("The next step takes them back as x and buf, and a list cannot serve as either "
        "(momentum * list raises, lr * list raises, list + list concatenates).")


@dataclasses.dataclass(frozen=True)
class _BufferOut(ArrayOnlyOut):
    """The new buffer: None on the first step is the ``buf`` the step was given, returned
    unchanged (stale state), and is named as such."""

    def accept(self, value, args):
        if value is None and args.get("buf") is None:
            raise Diagnosis(
                "returned_old_buffer",
                "It returned None as the new buffer, which is the buf it was given: on the first "
                "step there is no buffer yet, and this step must create it. What you return is "
                "the next step's buf.",
                "Return the buffer you computed in this step, not the argument buf.",
            )
        return super().accept(value, args)


_STEP_RETURNS = TupleOut(
    items=(ArrayOnlyOut(what="the new parameters", like="x", use=_USE),
           _BufferOut(what="the new momentum buffer", like="grad", use=_USE)),
    names=("x_new", "buf_new"),
)


def _flattened(args):
    """A 2-D or 3-D case's arrays flattened to 1-D (None for a 1-D case)."""
    if np.ndim(args["x"]) < 2:
        return None
    return {key: (value.ravel() if isinstance(value, np.ndarray) else value) for key, value in args.items()}


#: The learner's step raised on a 2-D or 3-D case but works on the same numbers flattened to
#: 1-D: code written for vectors only (``np.zeros(len(x))``, a loop over ``range(len(x))``).
_one_d_only = works_when(
    _flattened, "one_d_only",
    lambda name, args: f"{name} works on 1-D arrays but raises on x of shape {np.shape(args['x'])}",
    "Parameters come in any shape (a weight matrix is 2-D). Write the update with "
    "whole-array operations (x - lr * b, momentum * buf + ...), which work for every shape, "
    "instead of np.zeros(len(x)) and a loop over its entries.",
)


def _which_output_mistakes(step_text: str, buffer_text: str) -> list[Mistake]:
    """When no known mistake fits: say which of the two outputs is wrong (the other is right)."""
    return [
        Mistake(
            "step_wrong",
            "Your new buffer is right but x_new is not: " + step_text,
            "Compute the step from the buffer you return, as the instructions write it.",
            detect=lambda args, out, expected: close(out[1], expected[1]) and not close(out[0], expected[0]),
        ),
        Mistake(
            "buffer_wrong",
            "Your x_new is right but the buffer you returned is not: " + buffer_text,
            "Return the buffer itself, as the instructions define it, after this step's update.",
            detect=lambda args, out, expected: close(out[0], expected[0]) and not close(out[1], expected[1]),
        ),
    ]


def _stale_buffer(step):
    """The step right, but the buffer returned as it came in (None on the first step is
    reported by the output spec, with the same id)."""
    def variant(x, grad, buf, *rest):
        x_new, buf_new = step(x, grad, buf, *rest)
        return x_new, (buf_new if buf is None else np.array(buf, dtype=float))
    return variant


def _buffer_ignored(x, grad, buf, lr, momentum, *rest):
    """Every step treated as the first: b ← g, so the buffer never carries anything."""
    return _sgd_momentum_step(x, grad, None, lr, momentum)


def _heavy_zero_init(x, grad, buf, lr, momentum, dampening=0.0):
    b = np.zeros_like(grad) if buf is None else buf
    b_new = momentum * b + (1 - dampening) * grad
    return x - lr * b_new, b_new


def _heavy_zero_buffer_as_first(x, grad, buf, lr, momentum, dampening=0.0):
    """An all-zero buf taken for the first step (b ← g), as if `not np.any(buf)` meant None."""
    first = buf is None or not np.any(buf)
    return _sgd_momentum_step(x, grad, None if first else buf, lr, momentum, dampening)


def _heavy_sutskever(x, grad, buf, lr, momentum, dampening=0.0):
    velocity = -lr * grad if buf is None else momentum * buf - lr * grad
    return x + velocity, velocity


def _heavy_lr_in_buffer(x, grad, buf, lr, momentum, dampening=0.0):
    b_new = lr * grad if buf is None else momentum * buf + lr * (1 - dampening) * grad
    return x - b_new, b_new


def _heavy_buffer_rule(rule):
    """A step whose later buffers follow ``rule(b, g, μ, τ)`` (the first is g, as PyTorch's)."""
    def step(x, grad, buf, lr, momentum, dampening=0.0):
        b_new = np.array(grad, dtype=float) if buf is None else rule(buf, grad, momentum, dampening)
        return x - lr * b_new, b_new
    return step


def _heavy_old_buffer(x, grad, buf, lr, momentum, dampening=0.0):
    b_new = _momentum_buffer(grad, buf, momentum, dampening)
    return x - lr * (grad if buf is None else buf), b_new


def _heavy_swapped_arguments(x, grad, buf, lr, momentum, dampening=0.0):
    return _sgd_momentum_step(x, grad, buf, momentum, lr, dampening)


SGD_MOMENTUM_STEP = Part(
    name="sgd_momentum_step",
    case_properties=("step_wrong", "buffer_wrong"),
    points=2,
    reference=_sgd_momentum_step,
    returns=_STEP_RETURNS,
    cases=[
        _step_case([1.0, -2.0, 0.5], [0.5, 3.0, -1.0], None, 0.1, 0.9, 0.0),        # first step
        _step_case([0.95, -2.3, 0.6], [0.4, 2.0, -0.5], [0.5, 3.0, -1.0], 0.1, 0.9, 0.0),  # later
        _step_case([2.0, -1.0], [-1.0, 4.0], None, 0.2, 0.5, 0.5),                 # first, τ ≠ 0
        _step_case([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]], [[0.2, -0.4, 0.0], [1.0, 0.3, -2.0]],
                   [[1.0, 1.0, -0.5], [-2.0, 0.5, 0.25]], 0.05, 0.8, 0.3),         # later, 2-D, τ
        # μ = 0 (and τ = 0, as ints): a later step must be plain SGD, x − η·g, with b = g
        _step_case([0.5, -1.5], [2.0, -0.5], [3.0, 1.0], 0.3, 0, 0),
        _step_case([[[0.3, -0.2], [1.0, 0.0]], [[2.0, 1.0], [-0.7, 0.4]]],
                   [[[1.0, 0.5], [-0.3, 2.0]], [[0.0, -1.0], [0.6, 0.2]]],
                   [[[0.5, -1.0], [0.2, 1.5]], [[-1.0, 0.3], [2.0, -0.4]]], 2.5, 0.6, 0.9),  # 3-D
        # a later step whose buffer happens to be 0 (not the first step: the gradient is damped)
        _step_case([1.5, -0.5, 2.0], [0.8, -1.2, 0.3], [0.0, 0.0, 0.0], 0.1, 0.9, 0.5),
    ],
    hidden_cases=[*[_random_step_case(seed, first=seed % 3 == 0, dampened=True) for seed in range(12)],
                  _step_case([[0.2, 0.4], [-1.0, 3.0]], [[1.0, -2.0], [0.5, 0.0]],
                             np.zeros((2, 2)), 0.05, 0.5, 0.25)],
    mistakes=[
        *step_mistakes(item=0),
        _swapped_mistake(("x_new", "buf_new")),
        Mistake(
            "returned_old_buffer",
            "Your new parameters are right, but the buffer you returned is the buf you were given: "
            "the state is stale, so the next step would forget this gradient.",
            "Return the buffer you computed in this step.",
            variant=_stale_buffer(_sgd_momentum_step),
        ),
        Mistake(
            "buffer_ignored",
            "Your step treats every step as the first (b ← g): the buffer you are given is never "
            "used, so this is plain SGD and momentum does nothing.",
            "When buf is not None, the new buffer combines the old one, scaled by momentum, with "
            "the gradient.",
            variant=_buffer_ignored,
        ),
        Mistake(
            "buffer_zero_init",
            "Your momentum buffer is initialised differently from PyTorch: you start from b = 0, "
            "so the first gradient enters damped as (1 − dampening)·g. PyTorch sets b = g on the "
            "first step (buf is None) and applies dampening only from the second step on.",
            "When buf is None, the new buffer is the gradient itself (a copy).",
            variant=_heavy_zero_init,
        ),
        Mistake(
            "zero_buffer_as_first",
            "You treated a buffer of zeros as the first step (b ← g). Only buf is None marks the "
            "first step; a zero buffer is a later step's, where the gradient enters damped.",
            "Test for the first step with `buf is None`, not with the buffer's values.",
            variant=_heavy_zero_buffer_as_first,
        ),
        Mistake(
            "sutskever_form",
            "You wrote Sutskever's form (v ← μv − ηg, x ← x + v): your buffer holds the velocity, "
            "with η inside. PyTorch's buffer accumulates gradients only (b ← μb + g) and η is "
            "applied when stepping (x ← x − ηb).",
            "Keep lr out of the buffer; use it only in the parameter update.",
            variant=_heavy_sutskever,
        ),
        Mistake(
            "lr_in_buffer",
            "Your buffer holds η·g terms: you scaled the gradient by lr before adding it to the "
            "buffer and then stepped by the buffer itself. PyTorch's buffer holds gradients only; "
            "the two differ as soon as lr changes between steps (lesson 03, section 2).",
            "Keep lr out of the buffer; use it only in the parameter update, x − lr·b.",
            variant=_heavy_lr_in_buffer,
        ),
        Mistake(
            "ema_buffer",
            "Your buffer is an exponential moving average, b ← μb + (1 − μ)g (that is "
            "dampening = momentum). PyTorch adds the gradient with weight 1 − dampening, "
            "which is the full gradient by default.",
            "The gradient's weight in the buffer is (1 − dampening), not (1 − momentum).",
            variant=_heavy_buffer_rule(lambda b, g, mu, tau: mu * b + (1 - mu) * g),
        ),
        Mistake(
            "dampening_ignored",
            "Your buffer ignores dampening: after the first step the gradient enters with "
            "weight (1 − dampening).",
            "Use the dampening argument in the buffer update from the second step on.",
            variant=_heavy_buffer_rule(lambda b, g, mu, tau: mu * b + g),
        ),
        Mistake(
            "dampening_as_weight",
            "Your buffer adds the gradient with weight dampening; dampening is what is taken "
            "away, so the gradient's weight is 1 − dampening (1, the full gradient, by default).",
            "The gradient enters the buffer as (1 − dampening)·g.",
            variant=_heavy_buffer_rule(lambda b, g, mu, tau: mu * b + tau * g),
        ),
        Mistake(
            "dampening_on_whole_buffer",
            "You applied (1 − dampening) to the whole new buffer, old part included. Dampening "
            "only weakens the new gradient; the old buffer decays by μ alone.",
            "Scale only the gradient by (1 − dampening).",
            variant=_heavy_buffer_rule(lambda b, g, mu, tau: (1 - tau) * (mu * b + g)),
        ),
        Mistake(
            "stepped_with_old_buffer",
            "You stepped with the old buffer: PyTorch updates the buffer first and then steps "
            "with the new one.",
            "Compute buf_new, then x_new = x − lr·buf_new.",
            variant=_heavy_old_buffer,
        ),
        Mistake(
            "momentum_on_gradient",
            "μ multiplies the wrong term: the old buffer decays by μ each step, the new gradient "
            "is not scaled by μ.",
            "Multiply the old buffer by momentum, then add the (dampened) gradient.",
            variant=_heavy_buffer_rule(lambda b, g, mu, tau: b + mu * (1 - tau) * g),
        ),
        Mistake(
            "lr_momentum_swapped",
            "Your step uses momentum where the learning rate belongs and the learning rate where "
            "momentum belongs: the arguments come in the order (x, grad, buf, lr, momentum, "
            "dampening).",
            "Check the order of the parameters in your def line and in any call you make.",
            variant=_heavy_swapped_arguments,
        ),
        *_which_output_mistakes(
            "heavy ball moves x by lr times the new buffer.",
            "it is the one the next step starts from, so it must be this step's new buffer."),
    ],
    wrong_hint="Follow the three rules of the instructions in order: the new buffer (its first-step "
               "case, then the later steps, where dampening acts), then the step with that new "
               "buffer.",
    rediagnose_raised=_one_d_only,
)


def check_sgd_momentum_step(sgd_momentum_step, *, hidden: bool = False) -> None:
    """Check ``sgd_momentum_step(x, grad, buf, lr, momentum, dampening=0.0) -> (x_new, buf_new)``;
    once the values are right, a buffer (or x_new) that is an input array itself is refused."""
    check_new_arrays(SGD_MOMENTUM_STEP, sgd_momentum_step, hidden=hidden, names=("x_new", "buf_new"))


def _nesterov_variant(direction, buffer_out=lambda b_new, d: b_new):
    """A Nesterov step with PyTorch's buffer and a wrong ``direction(g, b_old, b_new, μ)``
    (or a wrong buffer returned)."""
    def step(x, grad, buf, lr, momentum):
        b_new = _momentum_buffer(grad, buf, momentum, 0.0)
        b_old = grad if buf is None else buf
        d = direction(grad, b_old, b_new, momentum)
        return x - lr * d, buffer_out(b_new, d)
    return step


def _nesterov_sutskever(x, grad, buf, lr, momentum):
    """Sutskever's Nesterov in velocity form: v ← μv − ηg, x ← x + μv − ηg."""
    velocity = -lr * grad if buf is None else momentum * buf - lr * grad
    return x + momentum * velocity - lr * grad, velocity


def _nesterov_ema(x, grad, buf, lr, momentum):
    b_new = np.array(grad, dtype=float) if buf is None else momentum * buf + (1 - momentum) * grad
    return x - lr * (grad + momentum * b_new), b_new


def _nesterov_swapped_arguments(x, grad, buf, lr, momentum):
    return _nesterov_step(x, grad, buf, momentum, lr)


def _nesterov_buffer_ignored(x, grad, buf, lr, momentum):
    return _nesterov_step(x, grad, None, lr, momentum)


NESTEROV_STEP = Part(
    name="nesterov_step",
    case_properties=("step_wrong", "buffer_wrong"),
    points=2,
    reference=_nesterov_step,
    returns=_STEP_RETURNS,
    cases=[
        _step_case([1.0, -2.0, 0.5], [0.5, 3.0, -1.0], None, 0.1, 0.9),
        _step_case([0.95, -2.3, 0.6], [0.4, 2.0, -0.5], [0.5, 3.0, -1.0], 0.1, 0.9),
        _step_case([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]], [[0.2, -0.4, 0.0], [1.0, 0.3, -2.0]],
                   [[1.0, 1.0, -0.5], [-2.0, 0.5, 0.25]], 0.05, 0.8),
        _step_case([0.5, -1.5], [2.0, -0.5], [3.0, 1.0], 0.3, 0),     # μ = 0: plain SGD
        _step_case([[[0.3, -0.2], [1.0, 0.0]], [[2.0, 1.0], [-0.7, 0.4]]],
                   [[[1.0, 0.5], [-0.3, 2.0]], [[0.0, -1.0], [0.6, 0.2]]],
                   [[[0.5, -1.0], [0.2, 1.5]], [[-1.0, 0.3], [2.0, -0.4]]], 2.5, 0.6),
    ],
    hidden_cases=[_random_step_case(seed + 20, first=seed % 3 == 0, dampened=False)
                  for seed in range(12)],
    mistakes=[
        *step_mistakes(item=0),
        _swapped_mistake(("x_new", "buf_new")),
        Mistake(
            "returned_old_buffer",
            "Your new parameters are right, but the buffer you returned is the buf you were given: "
            "the state is stale, so the next step would forget this gradient.",
            "Return the buffer you computed in this step.",
            variant=_stale_buffer(_nesterov_step),
        ),
        Mistake(
            "buffer_ignored",
            "Your step treats every step as the first (b ← g): the buffer you are given is never "
            "used, so the step is a fixed multiple of the gradient and momentum carries nothing "
            "from step to step.",
            "When buf is not None, the new buffer is μ·buf + g; the step uses that new buffer.",
            variant=_nesterov_buffer_ignored,
        ),
        Mistake(
            "heavy_ball_step",
            "Your step is the heavy-ball step x − η·b with the new buffer b = μ·b_old + g — which "
            "is also what looking ahead with the old buffer, g + μ·b_old, comes to. Nesterov's "
            "step in PyTorch's form looks ahead with the new buffer: it steps along g + μ·b.",
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
            "lookahead_without_gradient",
            "Your direction is μ·b alone: Nesterov's step adds the current gradient to it.",
            "The direction is g + μ·b.",
            variant=_nesterov_variant(lambda g, b_old, b_new, mu: mu * b_new),
        ),
        Mistake(
            "expansion_slip",
            "Your direction is (1 + μ)·g + μ·b_old: expanding g + μ·b_new with b_new = μ·b_old + g, "
            "the old buffer's μ was dropped.",
            "Substitute the new buffer into g + μ·b_new again, or compute buf_new first and use it.",
            variant=_nesterov_variant(lambda g, b_old, b_new, mu: (1 + mu) * g + mu * b_old),
        ),
        Mistake(
            "direction_stored_as_buffer",
            "Your step is right, but you returned the look-ahead direction g + μ·b as the buffer; "
            "the buffer itself is b ← μ·b + g.",
            "Return the momentum buffer, not the direction you stepped along.",
            variant=_nesterov_variant(lambda g, b_old, b_new, mu: g + mu * b_new,
                                      buffer_out=lambda b_new, d: d),
        ),
        Mistake(
            "sutskever_form",
            "You wrote Sutskever's Nesterov (v ← μv − ηg, x ← x + μv − ηg): your buffer holds the "
            "velocity, with η inside. PyTorch's buffer accumulates gradients only (b ← μb + g) and "
            "η is applied when stepping.",
            "Keep lr out of the buffer; use it only in the parameter update.",
            variant=_nesterov_sutskever,
        ),
        Mistake(
            "ema_buffer",
            "Your buffer is an exponential moving average, b ← μb + (1 − μ)g. PyTorch's Nesterov "
            "buffer adds the full gradient, b ← μb + g.",
            "The gradient enters the buffer with weight 1.",
            variant=_nesterov_ema,
        ),
        Mistake(
            "lr_momentum_swapped",
            "Your step uses momentum where the learning rate belongs and the learning rate where "
            "momentum belongs: the arguments come in the order (x, grad, buf, lr, momentum).",
            "Check the order of the parameters in your def line and in any call you make.",
            variant=_nesterov_swapped_arguments,
        ),
        *_which_output_mistakes(
            "Nesterov moves x by lr times the look-ahead direction, the gradient plus μ times "
            "the new buffer.",
            "it is the one the next step starts from, so it must be this step's new buffer, "
            "not the direction."),
    ],
    wrong_hint="Follow the instructions in order: the new buffer exactly as for heavy ball "
               "(without dampening), then the step along the look-ahead direction built from the "
               "gradient and that new buffer.",
    rediagnose_raised=_one_d_only,
)


def check_nesterov_step(nesterov_step, *, hidden: bool = False) -> None:
    """Check ``nesterov_step(x, grad, buf, lr, momentum) -> (x_new, buf_new)``; once the values
    are right, a buffer (or x_new) that is an input array itself is refused."""
    check_new_arrays(NESTEROV_STEP, nesterov_step, hidden=hidden, names=("x_new", "buf_new"))


# ---------------------------------------------------------------------------
# Parts 3–5: momentum on a quadratic (derivation parts)
# ---------------------------------------------------------------------------

def _matrix_case(H, **more) -> Case:
    """A case calling the learner with ``H`` (an array, or a nested list as the text allows)."""
    shown = show_matrix(H) if isinstance(H, np.ndarray) else repr(H)
    return Case({"H": H, **more}, shown={"H": shown})


def _random_hessian(rng) -> np.ndarray:
    """A rotated SPD matrix of size 1 to 4, condition number 1 to 1000, λ_max in [0.5, 50]."""
    dim = int(rng.integers(1, 5))
    lam_max = float(np.exp(rng.uniform(np.log(0.5), np.log(50.0))))
    if dim == 1:
        return hessian([lam_max], seed=None)
    kappa = float(rng.choice([2.0, 10.0, 100.0, 1000.0]))
    exponents = np.concatenate([[0.0], np.sort(rng.uniform(size=dim - 2)), [1.0]])
    return hessian(lam_max * kappa ** (exponents - 1.0), seed=int(rng.integers(1000)))


def _random_matrix_case(seed: int, *, lr_and_momentum: bool = False, momentum: bool = True) -> Case:
    """A seeded random H (and μ; for the rate, η set by ηλ_max on either side of 1, up to
    past the stable range, so both root regimes and both signs of 1 + μ − ηλ occur)."""
    rng = np.random.default_rng(500 + seed)
    H = _random_hessian(rng)
    if not momentum:
        return _matrix_case(H)
    mu = float(rng.choice([0.0, 0.1, 0.3, 0.6, 0.9, 0.99]))
    if not lr_and_momentum:
        return _matrix_case(H, momentum=mu)
    h_max = float(rng.choice([0.2, 0.8, 1.5, 2.5, 3.8]))
    return _matrix_case(H, lr=h_max / eigenvalues(H)[-1], momentum=mu)


#: A part that raises on H given as a nested list (of ints) but works on the same matrix as
#: a float array assumed an array (``H.shape``, ``H @ v``): it is told so.
_list_input = raised_on_list(
    "H",
    "{name} works when H is a NumPy array but raises when it is a nested list, which the "
    "instructions allow",
    "Convert first: H = np.asarray(H, dtype=float) (np.linalg functions accept lists, but "
    "H.shape and H @ v need an array).",
)


def _on_eigenvalues(formula):
    """A variant computed from the sorted eigenvalues of H: ``formula(λ, *rest)``."""
    return lambda H, *rest: formula(eigenvalues(H), *rest)


def _any_eigenvalue(formula):
    """Detector: the output is ``formula(λ_i, *rest)`` for *some* eigenvalue λ_i of H (the one
    np.linalg.eig happened to put last, say)."""
    def detect(args, out, expected):
        rest = [value for key, value in args.items() if key != "H"]
        return any(close(out, formula(lam, *rest)) for lam in eigenvalues(args["H"]))
    return detect


_LIMIT_HINT = ("Lesson 03, section 4: along one eigen-direction heavy ball is the 2×2 recursion "
               "given above. Write its characteristic polynomial, follow its roots as ηλ grows, "
               "and find the ηλ at which one of them leaves the unit circle.")

LARGEST_STABLE_LR_MOMENTUM = Part(
    name="largest_stable_lr_momentum",
    case_properties=("mu_zero_not_gd", "beyond_the_edge", "inside_the_edge"),
    points=1,
    reference=_largest_stable_lr_momentum,
    returns=NumberOnlyOut(what="the largest stable learning rate"),
    cases=[
        _matrix_case(H_AXIS, momentum=0.9),
        _matrix_case(H_ROT, momentum=0.5),
        _matrix_case(H_3D, momentum=0),             # μ = 0: gradient descent's limit
        _matrix_case(H_4D, momentum=0.99),
        _matrix_case([[2, 1], [1, 2]], momentum=0.3),   # a nested list of ints
    ],
    hidden_cases=[
        _matrix_case(np.array([[2.0]]), momentum=0.6),
        _matrix_case(4.0 * np.eye(3), momentum=0.2),
        *[_random_matrix_case(seed) for seed in range(10)],
    ],
    mistakes=[
        _diagonal_mistake(_largest_stable_lr_momentum),
        Mistake(
            "momentum_ignored",
            "That is plain gradient descent's limit 2/λ_max (lesson 01): it leaves μ out, and "
            "momentum moves the point where the run becomes unstable.",
            _LIMIT_HINT,
            variant=_on_eigenvalues(lambda lam, mu: 2.0 / lam[-1]),
        ),
        Mistake(
            "effective_step",
            "You kept the effective step η/(1 − μ) below gradient descent's limit. The effective "
            "step describes a steady gradient (lesson 03, section 3); instability shows in the "
            "direction whose gradient flips sign every step, where the buffer's terms alternate.",
            "Lesson 03, section 4: the limit comes from the roots of the 2×2 step's characteristic "
            "polynomial, not from the effective step.",
            variant=_on_eigenvalues(lambda lam, mu: 2.0 * (1 - mu) / lam[-1]),
        ),
        Mistake(
            "nesterov_limit",
            "That is Nesterov's stable range (lesson 03, section 7), not heavy ball's: the two "
            "methods have different 2×2 steps.",
            "Use heavy ball's recursion (given in the instructions) and its own characteristic "
            "polynomial (lesson 03, section 4).",
            variant=_on_eigenvalues(lambda lam, mu: (2.0 + 2.0 * mu) / ((1.0 + 2.0 * mu) * lam[-1])),
        ),
        Mistake(
            "discriminant_zero",
            "Your limit is where the two roots become equal (the discriminant of the characteristic "
            "polynomial vanishes). Beyond that point the roots are real, but they can still lie "
            "inside the unit circle: heavy ball still converges a little above your rate.",
            "Lesson 03, section 4: follow the two real roots past the double root as ηλ grows. The "
            "run diverges only when one of them leaves the unit circle; at which point of the "
            "circle can a real root leave it?",
            variant=_on_eigenvalues(lambda lam, mu: (1.0 + np.sqrt(mu)) ** 2 / lam[-1]),
        ),
        Mistake(
            "factor_two",
            "Your rate is inside the stable range, not at its edge: heavy ball still converges at "
            "somewhat larger rates on this quadratic.",
            "Lesson 03, section 4: at the edge a root of the characteristic polynomial lies on the "
            "unit circle. Find the point of the circle a real root crosses as ηλ grows, put it into "
            "the polynomial, and solve that equation for ηλ again, term by term.",
            variant=_on_eigenvalues(lambda lam, mu: (1.0 + mu) / lam[-1]),
        ),
        Mistake(
            "smallest_eigenvalue",
            "You used the smallest eigenvalue; the most curved direction (λ_max) is the first to "
            "go unstable as η grows.",
            "Each eigen-direction has its own limit on η; the run converges only if η is below "
            "all of them.",
            variant=_on_eigenvalues(lambda lam, mu: (2.0 + 2.0 * mu) / lam[0]),
        ),
        Mistake(
            "unsorted_eigenvalues",
            "On this input you used an eigenvalue of H that is not its largest: np.linalg.eig "
            "returns the eigenvalues in no particular order.",
            "Take the largest eigenvalue: np.linalg.eigvalsh(H) returns them sorted, smallest first.",
            detect=_any_eigenvalue(lambda lam, mu: (2.0 + 2.0 * mu) / lam),
            needs=("H", "momentum"),
        ),
        Mistake(
            "frobenius_norm",
            "You used np.linalg.norm(H), the Frobenius norm √(Σ H_ij²), as the largest curvature; "
            "it exceeds λ_max whenever H has two or more non-zero eigenvalues.",
            "The limit comes from the largest eigenvalue (np.linalg.eigvalsh, or the spectral "
            "norm np.linalg.norm(H, 2)).",
            variant=lambda H, mu: (2.0 + 2.0 * mu) / np.linalg.norm(np.asarray(H, dtype=float)),
        ),
        Mistake(
            "trace",
            "You used the trace of H, the sum of all its eigenvalues, as the largest curvature.",
            "The limit comes from the largest eigenvalue alone (np.linalg.eigvalsh(H)).",
            variant=lambda H, mu: (2.0 + 2.0 * mu) / np.trace(np.asarray(H, dtype=float)),
        ),
        Mistake(
            "inverted",
            "Your value grows with λ_max: a more curved quadratic must get a smaller learning "
            "rate, so the limit on η shrinks as λ_max grows.",
            "The stability condition is on the product ηλ; solve it for η.",
            variant=_on_eigenvalues(lambda lam, mu: lam[-1] / (2.0 + 2.0 * mu)),
        ),
        Mistake(
            "mu_zero_not_gd",
            "With μ = 0 heavy ball is gradient descent, so its limit must be gradient descent's "
            "(lesson 01); your value differs.",
            _LIMIT_HINT,
            detect=lambda args, out, expected: args["momentum"] == 0 and not close(out, expected),
            needs=("momentum",),
        ),
        Mistake(
            "beyond_the_edge",
            "At your rate heavy ball diverges on this quadratic: your value lies beyond the edge of "
            "the stable range.",
            _LIMIT_HINT,
            detect=lambda args, out, expected: out > expected and not close(out, expected),
        ),
        Mistake(
            "inside_the_edge",
            "Your rate is inside the stable range, not at its edge: heavy ball still converges at "
            "somewhat larger rates on this quadratic.",
            _LIMIT_HINT,
            detect=lambda args, out, expected: out < expected and not close(out, expected),
        ),
    ],
    wrong_hint=_LIMIT_HINT + " The direction that reaches it first sets the limit on η.",
    rediagnose_raised=_list_input,
)


def check_largest_stable_lr_momentum(largest_stable_lr_momentum, *, hidden: bool = False) -> None:
    """Check ``largest_stable_lr_momentum(H, momentum) -> float``."""
    LARGEST_STABLE_LR_MOMENTUM.check(largest_stable_lr_momentum, hidden=hidden)


def _polyak_pair(lam_small, lam_large):
    """Heavy ball's optimal (η, μ) for two eigenvalues (the variants' building block)."""
    small, large = np.sqrt(lam_small), np.sqrt(lam_large)
    return 4.0 / (small + large) ** 2, ((large - small) / (large + small)) ** 2


def _pair(formula_lr, formula_mu):
    def variant(H):
        lam = eigenvalues(H)
        return float(formula_lr(lam)), float(formula_mu(lam))
    return variant


def _right_lr(lam):
    return _polyak_pair(lam[0], lam[-1])[0]


def _right_mu(lam):
    return _polyak_pair(lam[0], lam[-1])[1]


def _gd_rate(lam):
    return (lam[-1] - lam[0]) / (lam[-1] + lam[0])


def _pair_of_some_eigenvalues(args, out, expected):
    """Detector: ``out`` is the optimal pair for two eigenvalues λ_i ≤ λ_j of H (on some
    inputs not the extreme ones: np.linalg.eig's order)."""
    lam = eigenvalues(args["H"])
    return any(close(out, tuple(float(v) for v in _polyak_pair(lam[i], lam[j])))
               for i in range(lam.size) for j in range(i, lam.size))


def _pair_rate(args, pair) -> float:
    """Heavy ball's rate on the case's H at ``pair`` = (η, μ) (Quadratic.momentum_rate)."""
    return float(_quadratic(args["H"]).momentum_rate(pair[0], pair[1]))


_PAIR_HINT = ("Lesson 03, sections 4 and 5: at the optimum the roots for λ_min and for λ_max are "
              "double roots of the characteristic polynomial (equal in modulus, at opposite ends); "
              "write those two conditions and solve them together for η and μ.")

OPTIMAL_MOMENTUM = Part(
    name="optimal_momentum",
    case_properties=("lr_wrong", "momentum_wrong", "momentum_out_of_range", "pair_diverges", "pair_slower"),
    points=2,
    reference=_optimal_momentum,
    returns=TupleOut(items=(NumberOnlyOut(what="the learning rate"), NumberOnlyOut(what="the momentum")),
                     names=("lr", "momentum")),
    rtol=1e-6,
    cases=[
        _matrix_case(H_AXIS),
        _matrix_case(H_ROT),
        _matrix_case(H_3D),
        _matrix_case([[5, 3], [3, 5]]),             # a nested list of ints
        _matrix_case(3.0 * np.eye(2)),              # κ = 1: no momentum helps
    ],
    hidden_cases=[
        _matrix_case(H_4D),
        _matrix_case(np.array([[0.5]])),
        *[_random_matrix_case(seed + 40, momentum=False) for seed in range(10)],
    ],
    mistakes=[
        _diagonal_mistake(_optimal_momentum, rtol=1e-6),
        _swapped_mistake(("lr", "momentum")),
        Mistake(
            "gd_pair",
            "That is gradient descent's best step with no momentum (lesson 01): tuning μ together "
            "with η does better whenever κ > 1.",
            _PAIR_HINT,
            variant=_pair(lambda lam: 2.0 / (lam[0] + lam[-1]), lambda lam: 0.0),
        ),
        Mistake(
            "momentum_not_squared",
            "Your learning rate is right, but your momentum is not μ: it is another quantity of "
            "the optimum that the derivation passes through (the size the roots share there).",
            "Lesson 03, section 4, the last step of the optimum's derivation: from what you know "
            "about the roots there, work out μ itself.",
            variant=_pair(_right_lr, lambda lam: np.sqrt(_right_mu(lam))),
        ),
        Mistake(
            "kappa_not_sqrt",
            "Your learning rate is right, but your momentum is gradient descent's best rate "
            "(κ − 1)/(κ + 1), squared: heavy ball's optimum comes from its own double-root "
            "conditions, not from gradient descent's rate.",
            _PAIR_HINT,
            variant=_pair(_right_lr, lambda lam: _gd_rate(lam) ** 2),
        ),
        Mistake(
            "gd_rate_as_momentum",
            "Your learning rate is right, but your momentum is gradient descent's best rate "
            "(κ − 1)/(κ + 1): heavy ball's optimum comes from its own double-root conditions.",
            _PAIR_HINT,
            variant=_pair(_right_lr, _gd_rate),
        ),
        Mistake(
            "gd_optimal_lr",
            "Your momentum is right, but your learning rate is gradient descent's optimum "
            "2/(λ_min + λ_max): with your pair the roots for λ_min and λ_max are not both double.",
            _PAIR_HINT,
            variant=_pair(lambda lam: 2.0 / (lam[0] + lam[-1]), _right_mu),
        ),
        Mistake(
            "missing_cross_term",
            "Your momentum is right, but your learning rate is not the optimum's: it is what the "
            "last step of the algebra gives when a square is expanded with a term missing.",
            "Redo the last step of lesson 03, section 4, solving the two double-root conditions "
            "for η, and expand every square in full.",
            variant=_pair(lambda lam: 4.0 / (lam[0] + lam[-1]), _right_mu),
        ),
        Mistake(
            "not_extreme_eigenvalues",
            "On this input your pair is tuned for two eigenvalues of H that are not its smallest "
            "and its largest (np.linalg.eig returns them in no particular order). The directions "
            "that limit the rate are the flattest and the steepest.",
            "Use λ_min and λ_max: np.linalg.eigvalsh(H) returns the eigenvalues sorted.",
            detect=_pair_of_some_eigenvalues,
            needs=("H",),
        ),
        Mistake(
            "lr_wrong",
            "Your momentum is right but your learning rate is not: at your η the roots for λ_min "
            "and for λ_max are not both double roots, which is the balance the optimum needs.",
            "With your μ, solve either end's double-root condition for η; both ends must give the "
            "same η.",
            detect=lambda args, out, expected: close(out[1], expected[1], rtol=1e-6)
            and not close(out[0], expected[0], rtol=1e-6),
        ),
        Mistake(
            "momentum_wrong",
            "Your learning rate is right but your momentum is not: with your μ the roots for λ_min "
            "and for λ_max are not both double roots.",
            _PAIR_HINT,
            detect=lambda args, out, expected: close(out[0], expected[0], rtol=1e-6)
            and not close(out[1], expected[1], rtol=1e-6),
        ),
        Mistake(
            "momentum_out_of_range",
            "Your momentum is outside [0, 1): with μ ≥ 1 the buffer never forgets and heavy ball "
            "cannot converge, and a negative μ is not momentum.",
            _PAIR_HINT,
            detect=lambda args, out, expected: not 0 <= out[1] < 1,
        ),
        Mistake(
            "pair_diverges",
            "Heavy ball diverges at your pair on this quadratic (your momentum_rate of it is above "
            "1): the optimum must converge, and fastest.",
            _PAIR_HINT,
            detect=lambda args, out, expected: out[0] > 0 and _pair_rate(args, out) >= 1,
        ),
        Mistake(
            "pair_slower",
            "Heavy ball converges at your pair, but more slowly than at the best pair on this "
            "quadratic: another (η, μ) gives a smaller rate.",
            _PAIR_HINT,
            detect=lambda args, out, expected: out[0] > 0 and _pair_rate(args, out)
            > _pair_rate(args, expected) + 1e-9,
        ),
    ],
    wrong_hint=_PAIR_HINT,
    rediagnose_raised=_list_input,
)


def check_optimal_momentum(optimal_momentum, *, hidden: bool = False) -> None:
    """Check ``optimal_momentum(H) -> (lr, momentum)``."""
    OPTIMAL_MOMENTUM.check(optimal_momentum, hidden=hidden)


def _roots(lam, lr, mu, constant=None):
    """The two roots of z² − (1 + μ − ηλ)z + c (c = μ unless given), complex where needed."""
    trace = 1.0 + mu - lr * lam
    c = mu if constant is None else constant
    disc = np.sqrt(complex(trace * trace - 4.0 * c))
    return (trace + disc) / 2, (trace - disc) / 2


def _rate_variant(per_eigenvalue, combine=max):
    """A wrong rate: ``per_eigenvalue(λ, η, μ)`` combined over the sorted eigenvalues."""
    return lambda H, lr, momentum: float(combine(
        [per_eigenvalue(lam, lr, momentum) for lam in eigenvalues(H)]))


def _root_modulus(lam, lr, mu):
    return max(abs(z) for z in _roots(lam, lr, mu))


def _real_sqrt_rates(lam, lr, mu):
    """Largest |root| with a real square root of the discriminant: NaN for complex roots."""
    trace = 1.0 + mu - lr * lam
    with np.errstate(invalid="ignore"):
        disc = np.sqrt(trace * trace - 4.0 * mu)
    return max(abs((trace + disc) / 2), abs((trace - disc) / 2)) if np.isfinite(disc) else np.nan


def _complex_roots_nan(args, out, expected):
    """Detector: the learner's rate is what a real square root of a negative discriminant
    makes — NaN (np.max, or Python's max with NaN first), or the largest finite rate when
    Python's max skipped the NaN."""
    per = [_real_sqrt_rates(lam, args["lr"], args["momentum"]) for lam in eigenvalues(args["H"])]
    if not any(np.isnan(p) for p in per):      # only real roots: the mistake changes nothing
        return close(out, expected, rtol=1e-6)
    value = float(np.asarray(out, dtype=float).reshape(()))
    running = per[0]                       # Python's max keeps the first item unless a later one is >
    for p in per[1:]:
        running = p if p > running else running
    candidates = [np.nan, running, max(per[::-1], key=lambda p: p if np.isfinite(p) else -np.inf)]
    return any((np.isnan(value) and np.isnan(c)) or (np.isfinite(c) and close(value, c, rtol=1e-6))
               for c in candidates)


_RATE_HINT = ("Lesson 03, section 4: for each eigenvalue λ of H the recursion of part 3 has a "
              "characteristic polynomial; its two roots, real or complex depending on λ, give "
              "that direction's rate, and the slowest direction gives heavy ball's.")

MOMENTUM_RATE = Part(
    name="momentum_rate",
    case_properties=("mu_zero_not_gd", "below_sqrt_momentum", "reports_divergence", "reports_convergence"),
    points=2,
    reference=_momentum_rate,
    returns=NumberOnlyOut(what="the convergence rate"),
    rtol=1e-6,
    cases=[
        _matrix_case(H_AXIS, lr=0.02, momentum=0.5),      # λ_min: real roots, λ_max: complex
        _matrix_case(H_ROT, lr=_right_lr(eigenvalues(H_ROT)),
                     momentum=_right_mu(eigenvalues(H_ROT))),   # optimal pair: double roots
        _matrix_case(H_3D, lr=0.4, momentum=0.1),         # ηλ_max = 2 > 1: negative real roots
        _matrix_case(H_4D, lr=0.04, momentum=0.9),        # ηλ_max = 4 > 3.8: unstable, rate > 1
        _matrix_case(H_ROT, lr=0.3, momentum=0),          # μ = 0: gradient descent's rate
        _matrix_case(H_ROT, lr=0.45, momentum=0),         # μ = 0, 1 − ηλ_max = −0.8 sets the rate
        _matrix_case([[2, 1], [1, 2]], lr=0.25, momentum=0.6),   # a nested list of ints
        # every 1 + μ − ηλ < 0 (roots negative and real), and λ_max unstable: only |root| counts
        _matrix_case(hessian([2.0, 3.0], seed=4), lr=0.9, momentum=0.1),
    ],
    hidden_cases=[
        _matrix_case(np.array([[2.0]]), lr=0.4, momentum=0.1),
        *[_random_matrix_case(seed + 80, lr_and_momentum=True) for seed in range(14)],
    ],
    mistakes=[
        _diagonal_mistake(_momentum_rate, rtol=1e-6),
        Mistake(
            "momentum_ignored",
            "That is plain gradient descent's rate max|1 − ηλ| (lesson 01): it leaves μ out. With "
            "momentum each eigen-direction follows a two-term recursion, whose rate comes from the "
            "roots of its characteristic polynomial.",
            _RATE_HINT,
            variant=_rate_variant(lambda lam, lr, mu: abs(1 - lr * lam)),
        ),
        Mistake(
            "sqrt_momentum",
            "Your rate is √μ whatever H and η are. On this input some eigen-direction has real "
            "roots, and its rate is larger.",
            "For each eigenvalue, find out whether the roots are real or complex (the sign of the "
            "discriminant), and take the larger modulus in either case.",
            variant=lambda H, lr, mu: float(np.sqrt(mu)),
        ),
        Mistake(
            "complex_roots_nan",
            "Where the discriminant is negative your square root gave NaN: those eigen-directions "
            "have complex roots, which still have a modulus.",
            "Take a complex square root (np.sqrt(d + 0j), or np.roots / cmath.sqrt), and the "
            "modulus of each root with abs().",
            detect=_complex_roots_nan,
            needs=("H", "lr", "momentum"),
            sees_nonfinite=True,
        ),
        Mistake(
            "discriminant_clipped",
            "Where the discriminant is negative you treated it as 0, so for complex roots you "
            "returned the size of their real part, not their modulus.",
            "A complex root a + bi has modulus √(a² + b²): keep the imaginary part.",
            variant=_rate_variant(lambda lam, lr, mu: max(abs(z) for z in _roots(
                lam, lr, mu, constant=min(mu, (1.0 + mu - lr * lam) ** 2 / 4.0)))),
        ),
        Mistake(
            "abs_discriminant",
            "You took the square root of |discriminant| and treated the roots as real; for a "
            "negative discriminant the roots are complex, with the square root in their "
            "imaginary part, and their modulus is not what you computed.",
            "Take a complex square root (np.sqrt(d + 0j)) and the modulus of each root with abs().",
            variant=_rate_variant(lambda lam, lr, mu: max(abs(
                (1.0 + mu - lr * lam + s * np.sqrt(abs((1.0 + mu - lr * lam) ** 2 - 4.0 * mu))) / 2)
                for s in (1, -1))),
        ),
        Mistake(
            "abs_missing",
            "You took the largest root, not the largest |root|: when ηλ is large the roots are "
            "negative, and a root near −1 is the slow one (the sign of 1 + μ − ηλ must not "
            "matter to the rate).",
            "Compare the roots by their modulus, abs(z).",
            variant=_rate_variant(lambda lam, lr, mu: max(float(np.real(z)) if abs(np.imag(z)) < 1e-15
                                                          else abs(z) for z in _roots(lam, lr, mu))),
        ),
        Mistake(
            "plus_root_only",
            "You used only the root with + before the square root. When 1 + μ − ηλ < 0 the other "
            "root is the larger in modulus: your rate depends on the sign of 1 + μ − ηλ, and "
            "the real rate does not.",
            "Take the larger modulus of the two roots.",
            variant=_rate_variant(lambda lam, lr, mu: abs(_roots(lam, lr, mu)[0])),
        ),
        Mistake(
            "constant_sign",
            "Your rates are those of a characteristic polynomial whose constant term has the wrong "
            "sign.",
            "Substitute e_t = zᵗ into e_{t+1} = (1 + μ − ηλ)e_t − μe_{t−1} again and divide by "
            "z^{t−1}.",
            variant=_rate_variant(lambda lam, lr, mu: max(abs(z) for z in _roots(lam, lr, mu, -mu))),
        ),
        Mistake(
            "only_lambda_max",
            "You used only the largest eigenvalue; on this input a flatter direction is slower.",
            "Take the largest root modulus over all eigenvalues.",
            variant=_rate_variant(_root_modulus, combine=lambda values: values[-1]),
        ),
        Mistake(
            "only_lambda_min",
            "You used only the smallest eigenvalue; on this input a more curved direction is "
            "slower (or unstable).",
            "Take the largest root modulus over all eigenvalues.",
            variant=_rate_variant(_root_modulus, combine=lambda values: values[0]),
        ),
        Mistake(
            "min_not_max",
            "You took the smallest root modulus: the slowest component sets the rate.",
            "Take the largest root modulus, over both roots and all eigenvalues.",
            variant=_rate_variant(lambda lam, lr, mu: min(abs(z) for z in _roots(lam, lr, mu)),
                                  combine=min),
        ),
        Mistake(
            "mu_zero_not_gd",
            "With μ = 0 heavy ball is gradient descent, so its rate must be gradient descent's "
            "max|1 − ηλ| (lesson 01); your value differs.",
            _RATE_HINT,
            detect=lambda args, out, expected: args["momentum"] == 0 and not close(out, expected, rtol=1e-6),
            needs=("momentum",),
        ),
        Mistake(
            "below_sqrt_momentum",
            "Your rate is below √μ, which no (η, μ) pair can reach: the two roots of the "
            "characteristic polynomial multiply to its constant term, so the larger one has "
            "modulus at least √μ.",
            _RATE_HINT,
            detect=lambda args, out, expected: out < np.sqrt(args["momentum"]) * (1 - 1e-6),
            needs=("momentum",),
        ),
        Mistake(
            "reports_divergence",
            "Your rate is 1 or more, but heavy ball converges on this input (η is inside the stable "
            "range of part 3).",
            _RATE_HINT,
            detect=lambda args, out, expected: expected < 1 <= out,
        ),
        Mistake(
            "reports_convergence",
            "Your rate is below 1, but heavy ball diverges on this input (η is beyond the stable "
            "range of part 3).",
            _RATE_HINT,
            detect=lambda args, out, expected: out < 1 <= expected,
        ),
    ],
    wrong_hint=_RATE_HINT,
    rediagnose_raised=_list_input,
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

#: Where every statement of part 6 is settled (the neutral message sends the learner to all of it)
_CHOICE_SECTIONS = ("lesson 03, sections 4 and 7 (heavy ball's and Nesterov's characteristic "
                    "polynomials, their stable ranges of ηλ, their rates, tuned and not), and your "
                    "parts 3–5")


def _grade_choice(chosen: frozenset) -> Diagnosis | None:
    return choice_feedback(chosen, _CHOICE_RIGHT, _CHOICE_MODELS, _CHOICE_SECTIONS,
                           predict=lambda rates: _model_truths(*rates))


_MODEL_TRUTHS: dict = {}


def _model_truths(heavy, nesterov) -> frozenset:
    key = (heavy, nesterov)
    if key not in _MODEL_TRUTHS:
        _MODEL_TRUTHS[key] = choice_truths(heavy, nesterov)
    return _MODEL_TRUTHS[key]


HEAVY_OR_NESTEROV = ChoicePart("heavy_or_nesterov", 2)


def check_heavy_or_nesterov(heavy_or_nesterov, *, hidden: bool = False) -> None:
    """Check ``heavy_or_nesterov() -> str of letters`` (part 6's true statements)."""
    HEAVY_OR_NESTEROV.check(heavy_or_nesterov, options="ABCDE", example='"CE"', grade=_grade_choice,
                            hidden=hidden)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = grade_cell_points(
    SGD_MOMENTUM_STEP, NESTEROV_STEP, LARGEST_STABLE_LR_MOMENTUM, OPTIMAL_MOMENTUM,
    MOMENTUM_RATE, HEAVY_OR_NESTEROV,
)
