"""Checks for exercise 05 — adaptive methods, in PyTorch's form.

Each part is one optimizer step written as a pure function: it takes the parameters,
the gradient and the optimizer's state, and returns the new parameters and the new
state as new arrays (the inputs stay unchanged).  The rules are ``torch.optim``'s,
with its defaults.

Parts (learner's function → check):

- ``adagrad_step(x, grad, state_sum, lr=1e-2, eps=1e-10) -> (x_new, sum_new)``
                                                                     → :func:`check_adagrad_step`
- ``rmsprop_step(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8) -> (x_new, square_avg_new)``
                                                                     → :func:`check_rmsprop_step`
- ``adam_step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8) -> (x_new, m_new, v_new)``
  (``t`` is the number of this step, 1 for the first; m and v are zeros before it)
                                                                     → :func:`check_adam_step`
- ``adamw_step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
  -> (x_new, m_new, v_new)``  (decoupled weight decay)              → :func:`check_adamw_step`

The references run :mod:`lrcourse.optim`'s optimizers (tested against PyTorch) from
the given state.
"""

from __future__ import annotations

import numpy as np

from lrcourse import optim
from lrcourse.grading.core import ArrayOut, Case, Mistake, Part, TupleOut, close
from lrcourse.grading.diagnose import step_mistakes, swapped_items

__all__ = [
    "PARTS",
    "check_adagrad_step",
    "check_rmsprop_step",
    "check_adam_step",
    "check_adamw_step",
]


# ---------------------------------------------------------------------------
# References: lrcourse.optim, started from the given state (never shown)
# ---------------------------------------------------------------------------

def _float(a) -> np.ndarray:
    return np.array(a, dtype=float)


def _adagrad_step(x, grad, state_sum, lr=1e-2, eps=1e-10):
    opt = optim.Adagrad(lr=lr, eps=eps)
    opt.sum = _float(state_sum)
    x_new = opt.step(x, grad)
    return x_new, opt.sum


def _rmsprop_step(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    opt = optim.RMSprop(lr=lr, alpha=alpha, eps=eps)
    opt.square_avg = _float(square_avg)
    x_new = opt.step(x, grad)
    return x_new, opt.square_avg


def _resume(opt, m, v, t):
    """Put ``opt`` in the state it has after step t − 1 with moments m and v."""
    opt.step_count = int(t) - 1
    opt.exp_avg = _float(m)
    opt.exp_avg_sq = _float(v)
    return opt


def _adam_step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    opt = _resume(optim.Adam(lr=lr, betas=betas, eps=eps), m, v, t)
    x_new = opt.step(x, grad)
    return x_new, opt.exp_avg, opt.exp_avg_sq


def _adamw_step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    opt = _resume(optim.AdamW(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay), m, v, t)
    x_new = opt.step(x, grad)
    return x_new, opt.exp_avg, opt.exp_avg_sq


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------

def _returns(*names: str) -> TupleOut:
    whats = {"x_new": "the new parameters", "sum_new": "the new sum of squared gradients",
             "square_avg_new": "the new moving average of squared gradients",
             "m_new": "the new first moment m", "v_new": "the new second moment v"}
    return TupleOut(items=tuple(ArrayOut(what=whats[n], like="x") for n in names), names=names)


def _non_finite_mistake() -> Mistake:
    """Non-finite new parameters, with a hint for optimizer steps (tried after the named
    mistakes, so that "t − 1 divides by zero at t = 1" is reported as what it is)."""
    return Mistake(
        "not_finite",
        "It returned NaN or infinite values in the new parameters.",
        "Look for a division by zero (the denominator needs + eps, and 1 − βᵗ is 0 at t = 0) "
        "or a square root of a negative number.",
        detect=lambda args, out, expected: not np.all(np.isfinite(out[0])),
        sees_nonfinite=True,
    )


def _divided_step(x, grad, lr, eps, old, new, denominator, step_with_old):
    """x − η·g/denominator(state, ε), with the new state (or, wrongly, the old one)."""
    used = old if step_with_old else new
    return x - lr * grad / denominator(used, eps), new


def _state_case(state: str):
    """Cases of a step ``f(x, grad, <state>, **hyper)``, the arrays as float64."""
    def case(x, grad, value, **hyper) -> Case:
        return Case({"x": _float(x), "grad": _float(grad), state: _float(value), **hyper})
    return case


# ---------------------------------------------------------------------------
# Part 1: Adagrad
# ---------------------------------------------------------------------------

def _adagrad_variant(accumulate=lambda s, g: s + g * g, denominator=lambda s, eps: np.sqrt(s) + eps,
                     step_with_old=False):
    def step(x, grad, state_sum, lr=1e-2, eps=1e-10):
        old = _float(state_sum)
        return _divided_step(x, grad, lr, eps, old, accumulate(old, grad), denominator, step_with_old)
    return step


_adagrad_case = _state_case("state_sum")


ADAGRAD_STEP = Part(
    name="adagrad_step",
    points=2,
    reference=_adagrad_step,
    returns=_returns("x_new", "sum_new"),
    cases=[
        _adagrad_case([1.0, -2.0, 0.5], [0.5, -3.0, 1e-6], [0.0, 0.0, 0.0], lr=0.1),
        _adagrad_case([0.3, 1.2, -0.7], [0.2, -0.4, 2.0], [1.5, 0.04, 9.0], lr=0.5, eps=1e-3),
        _adagrad_case([[1.0, 2.0], [-1.0, 0.5]], [[0.1, -0.2], [3.0, 0.05]],
                      [[0.5, 0.5], [2.0, 1e-4]], lr=0.05, eps=1e-10),
    ],
    hidden_cases=[
        _adagrad_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.arange(5.0) ** 2, lr=1e-2),
        _adagrad_case([2.0], [-1e-7], [1e-14], lr=0.3, eps=1e-10),
    ],
    mistakes=[
        *step_mistakes(item=0),
        swapped_items(("x_new", "sum_new")),
        Mistake(
            "eps_inside_sqrt",
            "You put ε inside the square root, √(s + ε). PyTorch (and Duchi et al.) add it "
            "outside, √s + ε; the two differ wherever the gradients are tiny.",
            "Divide by np.sqrt(sum_new) + eps.",
            variant=_adagrad_variant(denominator=lambda s, eps: np.sqrt(s + eps)),
        ),
        Mistake(
            "stepped_with_old_sum",
            "You divided by the old sum: PyTorch adds the new squared gradient to the "
            "accumulator first and then divides by the updated sum.",
            "Compute sum_new = state_sum + grad², then use √sum_new in the step.",
            variant=_adagrad_variant(step_with_old=True),
        ),
        Mistake(
            "sqrt_missing",
            "You divided by the accumulated sum itself; Adagrad divides by its square root "
            "(the root of the sum of squares has the gradient's units).",
            "The step is lr·g/(√s + ε).",
            variant=_adagrad_variant(denominator=lambda s, eps: s + eps),
        ),
        Mistake(
            "abs_not_squared",
            "Your accumulator adds |g|; Adagrad accumulates the squared gradients g².",
            "sum_new = state_sum + grad**2.",
            variant=_adagrad_variant(accumulate=lambda s, g: s + np.abs(g)),
        ),
        Mistake(
            "not_accumulated",
            "Your sum forgets the past: Adagrad adds every squared gradient to the running "
            "sum, which is why its steps keep shrinking.",
            "sum_new = state_sum + grad**2, not grad**2 alone.",
            variant=_adagrad_variant(accumulate=lambda s, g: g * g),
        ),
        _non_finite_mistake(),
    ],
    wrong_hint="PyTorch's Adagrad: s ← s + g², then x ← x − η·g/(√s + ε).",
)


def check_adagrad_step(adagrad_step, *, hidden: bool = False) -> None:
    """Check ``adagrad_step(x, grad, state_sum, lr=1e-2, eps=1e-10) -> (x_new, sum_new)``."""
    ADAGRAD_STEP.check(adagrad_step, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: RMSprop
# ---------------------------------------------------------------------------

def _rmsprop_variant(average=lambda v, g, a: a * v + (1 - a) * g * g,
                     denominator=lambda v, eps: np.sqrt(v) + eps, step_with_old=False):
    def step(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
        old = _float(square_avg)
        return _divided_step(x, grad, lr, eps, old, average(old, grad, alpha), denominator,
                             step_with_old)
    return step


_rmsprop_case = _state_case("square_avg")


RMSPROP_STEP = Part(
    name="rmsprop_step",
    points=2,
    reference=_rmsprop_step,
    returns=_returns("x_new", "square_avg_new"),
    cases=[
        _rmsprop_case([1.0, -2.0, 0.5], [0.5, -3.0, 1e-5], [0.0, 0.0, 0.0], lr=1e-2),
        _rmsprop_case([0.3, 1.2, -0.7], [0.2, -0.4, 2.0], [0.05, 0.01, 3.0], lr=0.05, alpha=0.9),
        _rmsprop_case([[1.0, 2.0], [-1.0, 0.5]], [[0.1, -0.2], [3.0, 1e-6]],
                      [[0.02, 0.5], [2.0, 1e-12]], lr=1e-3, alpha=0.99, eps=1e-6),
    ],
    hidden_cases=[
        _rmsprop_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.arange(5.0) / 10, lr=0.1,
                      alpha=0.5, eps=1e-2),
        _rmsprop_case([2.0], [-1e-7], [0.0], lr=0.3),
    ],
    mistakes=[
        *step_mistakes(item=0),
        swapped_items(("x_new", "square_avg_new")),
        Mistake(
            "alpha_swapped",
            "Your moving average gives the new squared gradient the weight α and the old "
            "average 1 − α: it is the other way round, v ← α·v + (1 − α)·g², so that α = 0.99 "
            "averages over about 1/(1 − α) = 100 steps.",
            "The old average keeps the weight alpha.",
            variant=_rmsprop_variant(average=lambda v, g, a: (1 - a) * v + a * g * g),
        ),
        Mistake(
            "missing_one_minus_alpha",
            "Your average adds the whole g² (v ← α·v + g²): without the factor (1 − α) it is a "
            "decaying sum, about 1/(1 − α) times too large, not an average.",
            "v ← α·v + (1 − α)·g².",
            variant=_rmsprop_variant(average=lambda v, g, a: a * v + g * g),
        ),
        Mistake(
            "accumulates_like_adagrad",
            "Your square_avg keeps summing every g² (as Adagrad does); RMSprop replaces the sum "
            "by a moving average that forgets old gradients.",
            "v ← α·v + (1 − α)·g².",
            variant=_rmsprop_variant(average=lambda v, g, a: v + g * g),
        ),
        Mistake(
            "eps_inside_sqrt",
            "You put ε inside the square root, √(v + ε). PyTorch adds it outside, √v + ε "
            "(Keras and TensorFlow put it inside, so watch out when you compare).",
            "Divide by np.sqrt(square_avg_new) + eps.",
            variant=_rmsprop_variant(denominator=lambda v, eps: np.sqrt(v + eps)),
        ),
        Mistake(
            "stepped_with_old_average",
            "You divided by the old average: update square_avg with the new gradient first, "
            "then step with the updated one.",
            "Compute square_avg_new, then x − lr·g/(√square_avg_new + eps).",
            variant=_rmsprop_variant(step_with_old=True),
        ),
        Mistake(
            "sqrt_missing",
            "You divided by the mean square itself; RMSprop divides by its square root (the "
            "root mean square of the gradients).",
            "The step is lr·g/(√v + ε).",
            variant=_rmsprop_variant(denominator=lambda v, eps: v + eps),
        ),
        _non_finite_mistake(),
    ],
    wrong_hint="PyTorch's RMSprop: v ← α·v + (1 − α)·g², then x ← x − η·g/(√v + ε).",
)


def check_rmsprop_step(rmsprop_step, *, hidden: bool = False) -> None:
    """Check ``rmsprop_step(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8)
    -> (x_new, square_avg_new)``."""
    RMSPROP_STEP.check(rmsprop_step, hidden=hidden)


# ---------------------------------------------------------------------------
# Parts 3 and 4: Adam and AdamW
# ---------------------------------------------------------------------------

def _adam_formula(*, count=lambda t: t, correct_m=True, correct_v=True, eps_after=True,
                  eps_inside=False, swap_betas=False, sqrt=True, step_with_old=False,
                  corrected_state=False, decay="decoupled"):
    """Adam/AdamW written out, with switches for the common mistakes.

    ``decay``: 'decoupled' (AdamW), 'coupled' (L2 in the gradient), 'none',
    'without_lr' (x·(1 − λ)), 'after' (decay applied to the updated x), 'grows' (x·(1 + ηλ)).
    """
    def step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = (betas[1], betas[0]) if swap_betas else betas
        g = grad + weight_decay * x if decay == "coupled" else grad
        m_new = b1 * m + (1 - b1) * g
        v_new = b2 * v + (1 - b2) * g * g
        m_used, v_used = (m, v) if step_with_old else (m_new, v_new)
        n = count(t)
        m_hat = m_used / (1 - b1 ** n) if correct_m else m_used
        v_hat = v_used / (1 - b2 ** n) if correct_v else v_used
        if eps_inside:
            denominator = np.sqrt(v_hat + eps)
        elif eps_after:
            denominator = (np.sqrt(v_hat) if sqrt else v_hat) + eps
        else:  # ε added to √v before the bias correction (TensorFlow's "efficient" form)
            denominator = (np.sqrt(v_used) + eps) / np.sqrt(1 - b2 ** n)
        update = lr * m_hat / denominator
        shrink = {"decoupled": 1 - lr * weight_decay, "without_lr": 1 - weight_decay,
                  "grows": 1 + lr * weight_decay}.get(decay, 1.0)
        x_new = x * shrink - update
        if decay == "after":
            x_new = (x - update) * (1 - lr * weight_decay)
        if corrected_state:
            return x_new, m_hat, v_hat
        return x_new, m_new, v_new
    return step


def _adam_variant(**switches):
    formula = _adam_formula(**switches, decay="none")

    def step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        return formula(x, grad, m, v, t, lr, betas, eps)
    return step


def _adamw_variant(**switches):
    formula = _adam_formula(**switches)

    def step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        return formula(x, grad, m, v, t, lr, betas, eps, weight_decay)
    return step


def _t_minus_one(variant_maker):
    """At t = 1 the bias correction with t − 1 divides by 1 − β⁰ = 0: non-finite
    parameters; at later steps the learner's output matches the t − 1 variant."""
    variant = variant_maker(count=lambda t: t - 1)

    def detect(args, out, expected):
        if args["t"] == 1:
            return not np.all(np.isfinite(out[0]))
        return close(out, variant(*args.values()))
    return detect


def _bias_mistakes(variant_maker) -> list[Mistake]:
    return [
        Mistake(
            "bias_correction_missing",
            "Your step has no bias correction: m and v start at 0, so in early steps they are "
            "far too small (m by the factor 1 − β₁ᵗ, v by 1 − β₂ᵗ), and the first steps come "
            "out about (1 − β₁)/√(1 − β₂) ≈ 3 times too large.",
            "Divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ) before using them in the step "
            "(keep the uncorrected m and v as the state).",
            variant=variant_maker(correct_m=False, correct_v=False),
        ),
        Mistake(
            "bias_correction_t_minus_1",
            "Your bias correction uses t − 1: t is already the number of this step (1 on the "
            "first step), so 1 − β⁰ = 0 makes the first step divide by zero.",
            "Use βᵗ with the t you are given: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).",
            detect=_t_minus_one(variant_maker),
            needs=("t",),
            sees_nonfinite=True,
        ),
        Mistake(
            "bias_correction_t_plus_1",
            "Your bias correction uses t + 1: t is already the number of this step "
            "(1 on the first step, as PyTorch counts).",
            "Use βᵗ with the t you are given.",
            variant=variant_maker(count=lambda t: t + 1),
        ),
        Mistake(
            "bias_correction_m_only",
            "You corrected m but not v: both moments start at 0 and both need their "
            "correction, v by 1 − β₂ᵗ.",
            "v̂ = v/(1 − β₂ᵗ) goes under the square root.",
            variant=variant_maker(correct_v=False),
        ),
        Mistake(
            "bias_correction_v_only",
            "You corrected v but not m: both moments start at 0 and both need their "
            "correction, m by 1 − β₁ᵗ.",
            "m̂ = m/(1 − β₁ᵗ).",
            variant=variant_maker(correct_m=False),
        ),
    ]


def _moment_mistakes(variant_maker) -> list[Mistake]:
    return [
        Mistake(
            "eps_inside_sqrt",
            "You put ε inside the square root, √(v̂ + ε). PyTorch adds it outside, after the "
            "bias correction: m̂/(√v̂ + ε). The two differ wherever gradients are tiny.",
            "Divide by np.sqrt(v_hat) + eps.",
            variant=variant_maker(eps_inside=True),
        ),
        Mistake(
            "eps_before_bias_correction",
            "You added ε to √v before the bias correction (TensorFlow's form, "
            "√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + ε)). PyTorch adds ε after it: m̂/(√v̂ + ε); in the "
            "first steps the two differ by a factor up to 1/√(1 − β₂) ≈ 32 in ε.",
            "Bias-correct v first, take the square root, then add eps.",
            variant=variant_maker(eps_after=False),
        ),
        Mistake(
            "betas_swapped",
            "β₁ and β₂ are swapped: β₁ (0.9 by default) averages the gradient m, β₂ (0.999) "
            "averages its square v.",
            "m ← β₁·m + (1 − β₁)·g and v ← β₂·v + (1 − β₂)·g².",
            variant=variant_maker(swap_betas=True),
        ),
        Mistake(
            "sqrt_missing",
            "You divided by v̂ instead of √v̂: v estimates the squared gradient, so its root "
            "has the gradient's scale.",
            "The step is lr·m̂/(√v̂ + ε).",
            variant=variant_maker(sqrt=False),
        ),
        Mistake(
            "stepped_with_old_moments",
            "You stepped with the old m and v: update both moments with the new gradient "
            "first, then bias-correct and step with the new ones.",
            "Compute m_new and v_new first.",
            variant=variant_maker(step_with_old=True),
        ),
        Mistake(
            "returned_corrected_moments",
            "Your step is right, but you returned the bias-corrected m̂ and v̂ as the state. "
            "The state is the raw moving averages m and v; the correction is applied afresh "
            "at every step.",
            "Return m_new and v_new, not m_hat and v_hat.",
            variant=variant_maker(corrected_state=True),
        ),
    ]


def _adam_case(x, grad, m, v, t, **hyper) -> Case:
    return Case({"x": _float(x), "grad": _float(grad), "m": _float(m), "v": _float(v), "t": t,
                 **hyper})


def _state_after(grads, betas=(0.9, 0.999)):
    """m and v after the given gradients, from zeros (a realistic state)."""
    m = np.zeros_like(_float(grads[0]))
    v = np.zeros_like(m)
    for g in grads:
        m = betas[0] * m + (1 - betas[0]) * _float(g)
        v = betas[1] * v + (1 - betas[1]) * _float(g) ** 2
    return m, v


_G1 = [0.5, -3.0, 1e-6]
_M2, _V2 = _state_after([[0.4, -2.0, 2e-6]])
_RNG = np.random.default_rng(5)
_GRADS_9 = _RNG.normal(size=(9, 2, 3)) * np.array([1.0, 1.0, 1e-6])
_M10, _V10 = _state_after(list(_GRADS_9))
_GRADS_4 = _RNG.normal(size=(4, 4))
_M5, _V5 = _state_after(list(_GRADS_4), betas=(0.5, 0.9))

ADAM_STEP = Part(
    name="adam_step",
    points=3,
    reference=_adam_step,
    returns=_returns("x_new", "m_new", "v_new"),
    cases=[
        _adam_case([1.0, -2.0, 0.5], _G1, np.zeros(3), np.zeros(3), 1, lr=0.1),
        _adam_case([0.9, -1.9, 0.5], [0.3, -2.5, 1e-6], _M2, _V2, 2, lr=0.1),
        _adam_case(np.ones((2, 3)), _RNG.normal(size=(2, 3)) * [1.0, 1.0, 1e-6], _M10, _V10, 10,
                   lr=0.01),
        _adam_case(np.zeros(4), _RNG.normal(size=4), _M5, _V5, 5, lr=0.05, betas=(0.5, 0.9),
                   eps=1e-3),
    ],
    hidden_cases=[
        _adam_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.zeros(5), np.zeros(5), 1,
                   lr=1e-3),
        _adam_case([2.0, -1.0], [1e-7, 3.0], [1e-8, 0.5], [1e-15, 0.2], 1000, lr=1.0),
        _adam_case([[0.5]], [[-2.0]], [[0.3]], [[0.04]], 3, lr=0.2, betas=(0.8, 0.95), eps=0.1),
    ],
    mistakes=[
        *step_mistakes(item=0),
        *_bias_mistakes(_adam_variant),
        *_moment_mistakes(_adam_variant),
        _non_finite_mistake(),
    ],
    wrong_hint="PyTorch's Adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², "
               "x ← x − η·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).",
)


def check_adam_step(adam_step, *, hidden: bool = False) -> None:
    """Check ``adam_step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    -> (x_new, m_new, v_new)``."""
    ADAM_STEP.check(adam_step, hidden=hidden)


ADAMW_STEP = Part(
    name="adamw_step",
    points=2,
    reference=_adamw_step,
    returns=_returns("x_new", "m_new", "v_new"),
    cases=[
        _adam_case([1.0, -2.0, 0.5], _G1, np.zeros(3), np.zeros(3), 1, lr=0.1,
                   betas=(0.9, 0.999), eps=1e-8, weight_decay=0.5),
        _adam_case([0.9, -1.9, 0.5], [0.3, -2.5, 1e-6], _M2, _V2, 2, lr=0.1, betas=(0.9, 0.999),
                   eps=1e-8, weight_decay=0.5),
        _adam_case(np.full((2, 3), 2.0), _RNG.normal(size=(2, 3)), _M10, _V10, 10, lr=0.01,
                   betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1),
        _adam_case(np.arange(4.0), _RNG.normal(size=4), _M5, _V5, 5, lr=0.05, betas=(0.5, 0.9),
                   eps=1e-3),
    ],
    hidden_cases=[
        _adam_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.zeros(5), np.zeros(5), 1,
                   lr=1e-3),
        _adam_case([[3.0, -4.0]], [[0.2, 0.0]], [[0.1, 0.05]], [[0.02, 0.01]], 7, lr=0.3,
                   betas=(0.9, 0.999), eps=1e-3, weight_decay=1.0),
    ],
    mistakes=[
        Mistake(
            "coupled_weight_decay",
            "Your weight decay is coupled: you added λ·x to the gradient (an L2 penalty, as "
            "Adam(weight_decay=…) does), so it goes through m and v and is divided by √v̂. "
            "AdamW decouples it: x shrinks by the factor (1 − η·λ) on its own, and m and v see "
            "the plain gradient.",
            "Leave grad alone; multiply x by (1 − lr·weight_decay), then take Adam's step.",
            variant=_adamw_variant(decay="coupled"),
        ),
        Mistake(
            "weight_decay_ignored",
            "That is plain Adam: the weight decay is missing.",
            "AdamW first multiplies x by (1 − lr·weight_decay).",
            variant=_adamw_variant(decay="none"),
        ),
        Mistake(
            "decay_without_lr",
            "Your decay shrinks x by (1 − λ); PyTorch's AdamW scales it by the learning rate "
            "too: x ← x·(1 − η·λ), so that a schedule on η also decays the decay.",
            "Multiply x by (1 − lr·weight_decay).",
            variant=_adamw_variant(decay="without_lr"),
        ),
        Mistake(
            "decay_grows_x",
            "Your decay makes x grow, x·(1 + η·λ): weight decay pulls the weights toward 0.",
            "Multiply x by (1 − lr·weight_decay).",
            variant=_adamw_variant(decay="grows"),
        ),
        Mistake(
            "decay_after_update",
            "You applied the decay to the already updated parameters, (x − η·u)·(1 − η·λ). "
            "PyTorch decays the old x and then subtracts Adam's step: x·(1 − η·λ) − η·u.",
            "Shrink x first (or equivalently subtract η·λ·x from the old x), then subtract "
            "the Adam step.",
            variant=_adamw_variant(decay="after"),
        ),
        *step_mistakes(item=0),
        *_bias_mistakes(_adamw_variant),
        *_moment_mistakes(_adamw_variant),
        _non_finite_mistake(),
    ],
    wrong_hint="PyTorch's AdamW: x ← x·(1 − η·λ), then Adam's step x ← x − η·m̂/(√v̂ + ε) "
               "with m, v built from the plain gradient.",
)


def check_adamw_step(adamw_step, *, hidden: bool = False) -> None:
    """Check ``adamw_step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
    weight_decay=1e-2) -> (x_new, m_new, v_new)``."""
    ADAMW_STEP.check(adamw_step, hidden=hidden)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = {
    "check_adagrad_step": ADAGRAD_STEP.points,
    "check_rmsprop_step": RMSPROP_STEP.points,
    "check_adam_step": ADAM_STEP.points,
    "check_adamw_step": ADAMW_STEP.points,
}
