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

import dataclasses

import numpy as np

from lrcourse import optim
from lrcourse.grading.core import (
    ArrayOut, Case, Mistake, Part, Diagnosis, TupleOut, close, grade_cell_points,
)
from lrcourse.grading.choice import ChoicePart, choice_problem
from lrcourse.grading.diagnose import step_mistakes, swapped_items
from lrcourse.grading.outputs import ArrayOnlyOut, works_when

__all__ = [
    "PARTS",
    "check_adagrad_step",
    "check_rmsprop_step",
    "check_adam_step",
    "check_adamw_step",
    "check_train_adam",
    "check_adaptive_helps",
    "check_true_statements",
    "valley_experiment",
    "VALLEYS",
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
    use = ("The exercise asks for new arrays shaped like x, which become the next step's x "
           "and state; a list cannot serve as either (lr * list and list - list raise, "
           "list + list concatenates).")
    return TupleOut(items=tuple(ArrayOnlyOut(what=whats[n], like="x", use=use) for n in names),
                    names=names)


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


def _divided_step(x, grad, lr, eps, old, new, denominator, step_with_old, eps_on_step=False):
    """x − η·g/denominator(state, ε), with the new state (or, wrongly, the old one).

    ``eps_on_step``: the precedence slip ``lr * g / np.sqrt(s) + eps`` (ε added to the step).
    """
    used = old if step_with_old else new
    if eps_on_step:
        return x - (lr * grad / np.sqrt(used) + eps), new
    return x - lr * grad / denominator(used, eps), new


def _same_nan(out, wrong) -> bool:
    """``close``, but NaN matches NaN and ±inf the same infinity: a mistake that makes some
    coordinates non-finite is recognised by the pattern it makes."""
    if isinstance(wrong, tuple):
        return (isinstance(out, tuple) and len(out) == len(wrong)
                and all(_same_nan(o, w) for o, w in zip(out, wrong)))
    o, w = np.asarray(out, dtype=float), np.asarray(wrong, dtype=float)
    if o.shape != w.shape:
        return False
    return bool(np.all(np.isclose(o, w, rtol=1e-7, atol=1e-12, equal_nan=True)))


def _nonfinite_variant(id: str, diagnosis: str, hint: str, variant) -> Mistake:
    """A mistake whose wrong code can make NaN or inf (a negative number under the square
    root, 0/0 without ε): recognised on finite and non-finite outputs alike, coordinate by
    coordinate, so that the NaN is named as the mistake that made it."""
    def detect(args, out, expected):
        return _same_nan(out, variant(*args.values()))
    return Mistake(id, diagnosis, hint, detect=detect, sees_nonfinite=True)


def _first_numbers(args):
    """Every array of a case replaced by its first number."""
    return {key: (float(np.asarray(value).ravel()[0]) if isinstance(value, np.ndarray) else value)
            for key, value in args.items()}


#: The learner's step raised on arrays but works when every array is one number: scalar-only
#: code (math.sqrt, an ``if`` on the gradient, float(...)).
_scalar_only = works_when(
    _first_numbers, "scalar_only",
    lambda name, _args: f"{name} works on one number but raises on arrays",
    "Every parameter gets its own step: math.sqrt, `if g > 0:` and float(...) handle one "
    "number; NumPy's np.sqrt, np.where and the operators *, / act coordinate by coordinate "
    "on whole arrays.",
)


def _random_arrays(seed: int):
    """Seeded shapes and values for property-style cases: 1-D to 3-D, some gradients
    exactly 0, some tiny, some large."""
    rng = np.random.default_rng(seed)
    shape = [(4,), (2, 3), (2, 2, 2), (1,), (3, 1)][seed % 5]
    x = rng.normal(size=shape)
    grad = rng.normal(size=shape) * 10.0 ** rng.integers(-6, 3, size=shape)
    grad[rng.random(size=shape) < 0.2] = 0.0
    return rng, x, grad


def _state_case(state: str):
    """Cases of a step ``f(x, grad, <state>, **hyper)``, the arrays as float64."""
    def case(x, grad, value, **hyper) -> Case:
        return Case({"x": _float(x), "grad": _float(grad), state: _float(value), **hyper})
    return case


# ---------------------------------------------------------------------------
# Part 1: Adagrad
# ---------------------------------------------------------------------------

_adagrad_case = _state_case("state_sum")


def _adagrad_variant(accumulate=lambda s, g: s + g * g, denominator=lambda s, eps: np.sqrt(s) + eps,
                     step_with_old=False, eps_on_step=False):
    def step(x, grad, state_sum, lr=1e-2, eps=1e-10):
        old = _float(state_sum)
        return _divided_step(x, grad, lr, eps, old, accumulate(old, grad), denominator, step_with_old,
                             eps_on_step)
    return step


def _adagrad_random(seed: int) -> Case:
    rng, x, grad = _random_arrays(seed)
    state = rng.exponential(size=x.shape) * (rng.random(size=x.shape) < 0.7)
    return _adagrad_case(x, grad, state, lr=float(rng.choice([0.03, 0.3, 2.0])),
                         eps=float(rng.choice([1e-10, 1e-6, 1e-2])))


def _eps_mistakes(variant_maker, state: str) -> list[Mistake]:
    """ε left out, or added to the step by a precedence slip: both divide 0 by 0 where the
    gradient and the state are 0 (a parameter that has not received a gradient yet)."""
    return [
        _nonfinite_variant(
            "eps_missing",
            f"Your step has no ε: where the gradient and {state} are both 0 (a parameter that "
            "has not received a gradient yet) it divides 0 by 0. ε keeps the denominator "
            "positive.",
            "Add eps to the denominator, outside the square root.",
            variant_maker(denominator=lambda s, eps: np.sqrt(s)),
        ),
        _nonfinite_variant(
            "eps_added_to_step",
            "ε ended up added to the step, not to the denominator: `lr * g / np.sqrt(s) + eps` "
            "divides first and adds ε afterwards (Python's precedence), so it moves every "
            "coordinate by ε and divides by 0 where the state is 0.",
            "Put the denominator in parentheses: (np.sqrt(...) + eps).",
            variant_maker(eps_on_step=True),
        ),
    ]


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
        # a parameter that has had no gradient yet (gradient and sum 0): its step must be 0
        _adagrad_case([0.4, -0.2, 0.0], [0.0, -0.8, 2.5], [0.0, 0.0, 0.25], lr=2.0, eps=1e-10),
    ],
    hidden_cases=[
        _adagrad_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.arange(5.0) ** 2, lr=1e-2),
        _adagrad_case([2.0], [-1e-7], [1e-14], lr=0.3, eps=1e-10),
        *[_adagrad_random(seed) for seed in range(5)],
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
            "returned_root_of_sum",
            "The state you returned is √sum, the denominator of the step, not the sum of squared "
            "gradients itself. The next step adds g² to what you return, so the state must stay "
            "the sum; its root is taken anew at every step.",
            "Return sum_new = state_sum + grad**2 as the state.",
            variant=lambda x, grad, state_sum, lr=1e-2, eps=1e-10: (
                _adagrad_step(x, grad, state_sum, lr, eps)[0],
                np.sqrt(_adagrad_step(x, grad, state_sum, lr, eps)[1])),
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
        _nonfinite_variant(
            "sum_of_gradients",
            "Your accumulator adds the gradient g itself, not its square: the sum of signed "
            "gradients cancels out and can turn negative (then its square root is NaN). Adagrad "
            "measures each coordinate's gradient *size*, from the squares.",
            "sum_new = state_sum + grad**2.",
            _adagrad_variant(accumulate=lambda s, g: s + g),
        ),
        *_eps_mistakes(_adagrad_variant, "the sum"),
        _non_finite_mistake(),
    ],
    wrong_hint="Adagrad's rule, coordinate by coordinate: the sum gains the square of this "
               "step's gradient, and the step divides η·g by (the root of that new sum + ε).",
    rediagnose_raised=_scalar_only,
)


def check_adagrad_step(adagrad_step, *, hidden: bool = False) -> None:
    """Check ``adagrad_step(x, grad, state_sum, lr=1e-2, eps=1e-10) -> (x_new, sum_new)``."""
    ADAGRAD_STEP.check(adagrad_step, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: RMSprop
# ---------------------------------------------------------------------------

def _rmsprop_variant(average=lambda v, g, a: a * v + (1 - a) * g * g,
                     denominator=lambda v, eps: np.sqrt(v) + eps, step_with_old=False,
                     eps_on_step=False):
    def step(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
        old = _float(square_avg)
        return _divided_step(x, grad, lr, eps, old, average(old, grad, alpha), denominator,
                             step_with_old, eps_on_step)
    return step


_rmsprop_case = _state_case("square_avg")


def _rmsprop_bias_corrected(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    """The step divided by √(v/(1 − α)) + ε: an Adam-like bias correction RMSprop lacks."""
    v = alpha * _float(square_avg) + (1 - alpha) * grad * grad
    return x - lr * grad / (np.sqrt(v / (1 - alpha)) + eps), v


def _rmsprop_random(seed: int) -> Case:
    rng, x, grad = _random_arrays(seed + 10)
    state = rng.exponential(size=x.shape) * (rng.random(size=x.shape) < 0.7)
    return _rmsprop_case(x, grad, state, lr=float(rng.choice([1e-3, 0.05, 0.5])),
                         alpha=float(rng.choice([0.5, 0.9, 0.99])),
                         eps=float(rng.choice([1e-8, 1e-4, 1e-2])))


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
        # a parameter that has had no gradient yet (gradient and average 0): its step must be 0
        _rmsprop_case([0.4, -0.2, 0.0], [0.0, -0.8, 2.5], [0.0, 0.0, 0.25], lr=0.1, alpha=0.9),
    ],
    hidden_cases=[
        _rmsprop_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.arange(5.0) / 10, lr=0.1,
                      alpha=0.5, eps=1e-2),
        _rmsprop_case([2.0], [-1e-7], [0.0], lr=0.3),
        *[_rmsprop_random(seed) for seed in range(5)],
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
            "bias_corrected_average",
            "You divided the average by (1 − α) before the square root, a bias correction like "
            "Adam's. RMSprop has none: it divides by √v + ε with v itself (which is why its first "
            "steps from v = 0 are large).",
            "The step divides by the root of square_avg_new itself.",
            variant=_rmsprop_bias_corrected,
        ),
        _nonfinite_variant(
            "gradient_not_squared",
            "Your square_avg averages |g| or g itself, not g²: the root of that average does "
            "not have the gradient's units and the step is not RMSprop's. RMSprop tracks the "
            "mean of the squared gradients.",
            "Average grad**2.",
            _rmsprop_variant(average=lambda v, g, a: a * v + (1 - a) * np.abs(g)),
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
        _nonfinite_variant(
            "average_of_gradients",
            "Your square_avg averages the gradient g itself, not its square: signed gradients "
            "cancel and the average can turn negative (then its root is NaN). RMSprop tracks "
            "each coordinate's recent gradient *size*, from the squares.",
            "Average grad**2.",
            _rmsprop_variant(average=lambda v, g, a: a * v + (1 - a) * g),
        ),
        *_eps_mistakes(_rmsprop_variant, "square_avg"),
        _non_finite_mistake(),
    ],
    wrong_hint="RMSprop's rule, coordinate by coordinate: the old average keeps the weight α and "
               "the square of this step's gradient gets 1 − α; the step divides η·g by (the root "
               "of that new average + ε).",
    rediagnose_raised=_scalar_only,
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
                  corrected_state=False, decay="decoupled", v_of_square=True, eps_mode="right",
                  correction="divide", swap_state=False):
    """Adam/AdamW written out, with switches for the common mistakes.

    ``decay``: 'decoupled' (AdamW), 'coupled' (L2 in the gradient), 'none',
    'without_lr' (x·(1 − λ)), 'after' (decay applied to the updated x), 'grows' (x·(1 + ηλ)).
    ``eps_mode``: 'right', 'missing', 'on_step' (``lr * m_hat / np.sqrt(v_hat) + eps``).
    ``correction``: 'divide' (m/(1 − βᵗ)), 'precedence' (``m / 1 - beta**t``),
    'multiply' (m·(1 − βᵗ)), 'one_minus_beta_power' ((1 − β)ᵗ for 1 − βᵗ).
    """
    def corrected(moment, beta, n):
        if correction == "precedence":
            return moment / 1 - beta ** n
        if correction == "multiply":
            return moment * (1 - beta ** n)
        if correction == "one_minus_beta_power":
            return moment / (1 - beta) ** n
        return moment / (1 - beta ** n)

    def step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = (betas[1], betas[0]) if swap_betas else betas
        g = grad + weight_decay * x if decay in ("coupled", "both") else grad
        m_new = b1 * m + (1 - b1) * g
        v_new = b2 * v + (1 - b2) * (g * g if v_of_square else g)
        m_used, v_used = (m, v) if step_with_old else (m_new, v_new)
        n = count(t)
        m_hat = corrected(m_used, b1, n) if correct_m else m_used
        v_hat = corrected(v_used, b2, n) if correct_v else v_used
        if eps_mode == "missing":
            denominator = np.sqrt(v_hat)
        elif eps_mode == "on_step":
            denominator = None
        elif eps_inside:
            denominator = np.sqrt(v_hat + eps)
        elif eps_after:
            denominator = (np.sqrt(v_hat) if sqrt else v_hat) + eps
        else:  # ε added to √v before the bias correction (TensorFlow's "efficient" form)
            denominator = (np.sqrt(v_used) + eps) / np.sqrt(1 - b2 ** n)
        update = lr * m_hat / np.sqrt(v_hat) + eps if denominator is None else lr * m_hat / denominator
        shrink = {"decoupled": 1 - lr * weight_decay, "both": 1 - lr * weight_decay,
                  "without_lr": 1 - weight_decay,
                  "grows": 1 + lr * weight_decay}.get(decay, 1.0)
        x_new = x * shrink - update
        if decay == "after":
            x_new = (x - update) * (1 - lr * weight_decay)
        if corrected_state:
            return x_new, m_hat, v_hat
        if swap_state:
            return x_new, v_new, m_new
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
            # every coordinate divided by 0, while the moments themselves are right
            return (not np.any(np.isfinite(out[0])) and close(out[1], expected[1])
                    and close(out[2], expected[2]))
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
            "bias_correction_ignores_t",
            "Your bias correction does not change with t: it is the first step's correction "
            "at every step. m and v are too small by the factors 1 − β₁ᵗ and 1 − β₂ᵗ, which "
            "depend on the step number t you are given.",
            "Use the argument t in the correction.",
            variant=variant_maker(count=lambda t: 1),
        ),
        _nonfinite_variant(
            "bias_correction_precedence",
            "Your bias correction subtracts βᵗ instead of dividing by (1 − βᵗ): `m / 1 - beta1**t` "
            "is (m / 1) − β₁ᵗ in Python (division before subtraction), and v̂ can turn negative.",
            "Put the denominator in parentheses.",
            variant_maker(correction="precedence"),
        ),
        Mistake(
            "bias_correction_multiplied",
            "Your bias correction multiplies by (1 − βᵗ): that shrinks the moments further. They "
            "start at 0 and are too *small* early on, so the correction divides.",
            "m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).",
            variant=variant_maker(correction="multiply"),
        ),
        Mistake(
            "bias_correction_one_minus_beta_power",
            "Your bias correction divides by (1 − β)ᵗ instead of 1 − βᵗ: the power applies to β "
            "alone (the weight of the zero start after t steps is βᵗ).",
            "The correction of m is 1 − β₁ᵗ, i.e. 1 - beta1**t.",
            variant=variant_maker(correction="one_minus_beta_power"),
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
        _nonfinite_variant(
            "v_of_gradient_not_square",
            "Your v averages the gradient g, not its square g²: v is Adam's estimate of each "
            "coordinate's squared gradient size, and with signed gradients it can turn negative "
            "(then √v̂ is NaN).",
            "v ← β₂·v + (1 − β₂)·g².",
            variant_maker(v_of_square=False),
        ),
        *_eps_mistakes(lambda **kw: variant_maker(
            eps_mode="missing" if kw.get("denominator") else "on_step"), "v"),
        Mistake(
            "moments_swapped",
            "Your step is right, but the state comes back in the wrong order: return "
            "(x_new, m_new, v_new), m (the gradient's average) before v (the squared gradient's).",
            "Check the order of the tuple you return.",
            variant=variant_maker(swap_state=True),
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


def _adam_random(seed: int, *, decay: bool = False) -> Case:
    """A realistic state: m and v after t − 1 seeded gradients (some exactly 0) from zeros."""
    rng, x, grad = _random_arrays(seed + 20)
    t = int(rng.choice([1, 2, 3, 7, 40, 500]))
    betas = [(0.9, 0.999), (0.8, 0.99), (0.5, 0.9)][seed % 3]
    history = [grad * rng.normal(size=x.shape) for _ in range(t - 1)]
    m, v = _state_after(history, betas) if history else (np.zeros(x.shape), np.zeros(x.shape))
    hyper = {"lr": float(rng.choice([1e-3, 0.05, 0.5])), "betas": betas,
             "eps": float(rng.choice([1e-8, 1e-4]))}
    if decay:
        hyper["weight_decay"] = float(rng.choice([1e-2, 0.3]))
    return _adam_case(x, grad, m, v, t, **hyper)


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
        # a parameter with no gradient yet (gradient, m and v all 0): its step must be 0
        _adam_case([0.2, -0.1, 0.0], [0.0, 2.0, -0.5], np.zeros(3), np.zeros(3), 1, lr=0.1),
    ],
    hidden_cases=[
        _adam_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.zeros(5), np.zeros(5), 1,
                   lr=1e-3),
        _adam_case([2.0, -1.0], [1e-7, 3.0], [1e-8, 0.5], [1e-15, 0.2], 1000, lr=1.0),
        _adam_case([[0.5]], [[-2.0]], [[0.3]], [[0.04]], 3, lr=0.2, betas=(0.8, 0.95), eps=0.1),
        *[_adam_random(seed) for seed in range(6)],
    ],
    mistakes=[
        *step_mistakes(item=0),
        *_bias_mistakes(_adam_variant),
        *_moment_mistakes(_adam_variant),
        _non_finite_mistake(),
    ],
    wrong_hint="Go through Adam's rule in order: both moving averages with the new gradient, "
               "both bias corrections with this step's t, then η·m̂ divided by (√v̂ + ε).",
    rediagnose_raised=_scalar_only,
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
        _adam_case([0.2, -0.1, 0.0], [0.0, 2.0, -0.5], np.zeros(3), np.zeros(3), 1, lr=0.1,
                   betas=(0.9, 0.999), eps=1e-8, weight_decay=0.5),
    ],
    hidden_cases=[
        _adam_case(np.linspace(-1, 1, 5), np.cos(np.arange(5.0)), np.zeros(5), np.zeros(5), 1,
                   lr=1e-3),
        _adam_case([[3.0, -4.0]], [[0.2, 0.0]], [[0.1, 0.05]], [[0.02, 0.01]], 7, lr=0.3,
                   betas=(0.9, 0.999), eps=1e-3, weight_decay=1.0),
        *[_adam_random(seed, decay=True) for seed in range(6, 10)],
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
            "decay_coupled_and_decoupled",
            "Your weight decay is applied twice: you added λ·x to the gradient (coupled, an L2 "
            "penalty that goes through m and v) *and* shrank x by (1 − η·λ) (decoupled). AdamW "
            "uses only the decoupled form: m and v see the plain gradient.",
            "Which of the two ways of decaying is the 'W' in AdamW? Keep that one only.",
            variant=_adamw_variant(decay="both"),
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
    wrong_hint="AdamW in two moves: shrink the parameters by the factor (1 − η·λ), then take "
               "exactly part 3's Adam step from there, with m and v built from the plain gradient.",
    rediagnose_raised=_scalar_only,
)


def check_adamw_step(adamw_step, *, hidden: bool = False) -> None:
    """Check ``adamw_step(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
    weight_decay=1e-2) -> (x_new, m_new, v_new)``."""
    ADAMW_STEP.check(adamw_step, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 5: Adam at work on a real problem
# ---------------------------------------------------------------------------

def _train_variant(*, first_t=1, advance_t=True, carry_state=True, extra_steps=0, same_batch=False,
                   full_batch=False, grad_at_start=False, batch_seed=True, init_seed=True,
                   pass_lr=True, pass_batch_size=True):
    """The training loop of part 5 with switches for the loop's common mistakes (the
    Adam step itself is the reference's, written out in NumPy so that a step with t = 0
    makes NaN as the learner's would: part 3 checks the learner's)."""
    adam_step = _adam_variant()

    def train(problem, lr, steps, batch_size=32, seed=0):
        x = problem.init(seed=seed if init_seed else 0)
        m, v = np.zeros_like(x), np.zeros_like(x)
        size = batch_size if pass_batch_size else 32
        batches = problem.batches(size, seed=seed if batch_seed else 0)
        g_start = problem.grad(x, next(problem.batches(size, seed=seed))) if grad_at_start else None
        t = first_t
        for _ in range(steps + extra_steps):
            if full_batch:
                g = problem.grad(x)
            elif same_batch:
                g = problem.grad(x, next(problem.batches(size, seed=seed)))
            else:
                g = g_start if grad_at_start else problem.grad(x, next(batches))
            x_new, m_new, v_new = adam_step(x, g, m, v, t, *([lr] if pass_lr else []))
            x = x_new
            if carry_state:
                m, v = m_new, v_new
            if advance_t:
                t += 1
        return x
    return train


_train_adam = _train_variant()


def _train_case(problem, lr, steps, batch_size, seed) -> Case:
    return Case({"problem": problem, "lr": lr, "steps": steps, "batch_size": batch_size, "seed": seed},
                shown={"problem": repr(problem)})


def _digits_problems():
    from lrcourse.problems import MLP, SoftmaxRegression
    return SoftmaxRegression(l2=1e-3), MLP()


_SOFTMAX, _MLP = _digits_problems()


@dataclasses.dataclass(frozen=True)
class _ParametersOut(ArrayOut):
    """The final parameters; a tuple such as (x, m, v) is refused with the reason."""

    def accept(self, value, args):
        if isinstance(value, tuple):
            raise Diagnosis(
                "wrong_type",
                f"It returned a tuple of {len(value)} items instead of the final parameters: the "
                "cells below pass the result straight to problem.accuracy(x) and problem.loss(x), "
                "which need the parameter array alone.",
                "Return x only; m, v and t live inside the loop.",
            )
        return super().accept(value, args)


TRAIN_ADAM = Part(
    name="train_adam",
    points=2,
    reference=_train_adam,
    returns=_ParametersOut(what="the final parameters", shape=lambda a: (a["problem"].dim,),
                           shape_text="(problem.dim,)"),
    cases=[
        _train_case(_SOFTMAX, 0.01, 30, 64, 1),
        _train_case(_MLP, 0.005, 8, 16, 2),
        _train_case(_SOFTMAX, 0.003, 1, 32, 0),     # one step: t = 1, from zeros
        _train_case(_SOFTMAX, 0.01, 0, 32, 0),      # no step at all: the start point
    ],
    hidden_cases=[
        _train_case(_MLP, 0.02, 15, 50, 4),
        _train_case(_SOFTMAX, 0.1, 12, 100, 3),
    ],
    mistakes=[
        _nonfinite_variant(
            "t_from_zero",
            "Your first step uses t = 0: its bias correction divides by 1 − β⁰ = 0, so every "
            "parameter becomes NaN. t counts Adam's steps from 1.",
            "Number the steps 1, 2, …, steps (range(1, steps + 1) gives exactly these).",
            _train_variant(first_t=0),
        ),
        Mistake(
            "t_not_incremented",
            "Every step uses the same t: the bias correction of step 1 is applied at every step, "
            "although m and v fill up and need less and less correction.",
            "Pass the number of the current step: 1, 2, 3, …",
            variant=_train_variant(advance_t=False),
        ),
        Mistake(
            "state_not_carried",
            "Your loop never keeps the new m and v: every step starts from zero moments, so each "
            "one is a first step (about η·sign(g) per coordinate) and Adam has no memory.",
            "Assign all three results of adam_step: x, m, v = adam_step(x, g, m, v, t, lr).",
            variant=_train_variant(carry_state=False),
        ),
        Mistake(
            "lr_not_passed",
            "Your loop ignores lr: adam_step ran with its default rate 10⁻³.",
            "Pass lr on to adam_step.",
            variant=_train_variant(pass_lr=False),
        ),
        Mistake(
            "one_step_short",
            "Your loop takes one step fewer than `steps`.",
            "Take exactly `steps` steps; with steps = 0 return the start point.",
            variant=_train_variant(extra_steps=-1),
        ),
        Mistake(
            "one_step_too_many",
            "Your loop takes one step more than `steps`.",
            "Take exactly `steps` steps; with steps = 0 return the start point.",
            variant=_train_variant(extra_steps=1),
        ),
        Mistake(
            "same_batch_every_step",
            "Every step uses the same first mini-batch: you make a new batch iterator inside the "
            "loop, and a fresh iterator always starts with the same batch.",
            "Create `batches = problem.batches(batch_size, seed=seed)` once, before the loop, and "
            "call next(batches) in it.",
            variant=_train_variant(same_batch=True),
        ),
        Mistake(
            "gradient_at_start",
            "Every step uses the gradient at the start point: compute the gradient at the "
            "current x, inside the loop.",
            "In the loop: g = problem.grad(x, next(batches)).",
            variant=_train_variant(grad_at_start=True),
        ),
        Mistake(
            "full_batch",
            "Your steps use the full-batch gradient: problem.grad(x) without a batch averages "
            "over the whole training set. This loop trains on mini-batches.",
            "problem.grad(x, next(batches)) with batches = problem.batches(batch_size, seed=seed).",
            variant=_train_variant(full_batch=True),
        ),
        Mistake(
            "batch_size_ignored",
            "Your mini-batches have the default size 32, not batch_size.",
            "Pass batch_size to problem.batches.",
            variant=_train_variant(pass_batch_size=False),
        ),
        Mistake(
            "batch_seed_ignored",
            "Your mini-batches come in the order of seed 0 whatever the seed: pass seed to "
            "problem.batches.",
            "problem.batches(batch_size, seed=seed).",
            variant=_train_variant(batch_seed=False),
        ),
        Mistake(
            "init_seed_ignored",
            "Your run starts from problem.init() (seed 0) whatever the seed.",
            "Start from problem.init(seed=seed).",
            variant=_train_variant(init_seed=False),
        ),
    ],
    wrong_hint="The loop's order: start at problem.init(seed=seed) with m = v = 0; one batch "
               "iterator; then for t = 1, …, steps: the gradient at the current x on the next "
               "batch, and your adam_step with t and lr, keeping all three results. (If "
               "adam_step has not passed its check yet, fix it first.)",
    rtol=1e-6,
    atol=1e-10,
    time_limit=20.0,
)


def check_train_adam(train_adam, *, hidden: bool = False) -> None:
    """Check ``train_adam(problem, lr, steps, batch_size=32, seed=0) -> x_final``."""
    TRAIN_ADAM.check(train_adam, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 6: where does a per-coordinate step size help? (predict, then run)
# ---------------------------------------------------------------------------

#: The four valleys of part 6 (what the notebook's experiment cell runs).
VALLEYS = {
    "A": ("κ = 100, axes along x₁ and x₂", dict(eigenvalues=[0.01, 1.0])),
    "B": ("κ = 100, turned by 45°", dict(eigenvalues=[0.01, 1.0], angle=np.pi / 4)),
    "C": ("10 coordinates, curvatures from 0.01 to 1 spread along the axes",
          dict(eigenvalues=list(np.geomspace(0.01, 1.0, 10)))),
    "D": ("κ = 4, turned by 45°", dict(eigenvalues=[0.25, 1.0], angle=np.pi / 4)),
}
#: The grid of rates each optimizer is tuned over, the steps, the margin of "far lower".
VALLEY_LRS = np.geomspace(1e-3, 3, 41)
VALLEY_STEPS = 100
VALLEY_MARGIN = 1000.0


def valley_experiment():
    """{letter: (GD's tuned loss, Adagrad's tuned loss)} for part 6's four valleys: each
    optimizer tuned over :data:`VALLEY_LRS`, scored by the worst loss of the last 20 of
    :data:`VALLEY_STEPS` steps (lesson 05, section 1)."""
    from lrcourse.problems import Quadratic
    from lrcourse.tune import lr_sweep

    result = {}
    for letter, (_, kwargs) in VALLEYS.items():
        q = Quadratic(**kwargs)
        losses = []
        for cls in (optim.SGD, optim.Adagrad):
            sweep = lr_sweep(q, cls, VALLEY_LRS, VALLEY_STEPS)
            tail = sweep.run.loss[-20:].max(axis=0)
            losses.append(float(np.min(np.where(np.isfinite(tail), tail, np.inf))))
        result[letter] = tuple(losses)
    return result


_ALIGNED, _TURNED = frozenset("AC"), frozenset("BD")


_VALLEY_GROUPS = (
    ("ABCD", "valleys_misjudged",
     "for each valley whether every coordinate is one curvature direction, and what "
     "dividing each coordinate's gradient by its own size does to the curvatures when it is "
     "and when it is not (each coordinate's gradient then mixes a steep and a flat direction)",
     "lesson 05, section 1 (\"Why would each parameter want its own learning rate?\"): the "
     "aligned and the turned valley, and the sentence after the table"),
)


def _grade_valleys(chosen: frozenset) -> Diagnosis | None:
    return choice_problem(chosen, _ALIGNED, _VALLEY_GROUPS)


def check_adaptive_helps(adaptive_helps, *, hidden: bool = False) -> None:
    """Check ``adaptive_helps() -> str of letters`` (the valleys where a tuned Adagrad ends far
    below a tuned gradient descent)."""
    ADAPTIVE_HELPS.check(adaptive_helps, options="ABCD", example='"AB"', grade=_grade_valleys, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 7: which statements about scale and bias correction are true?
# ---------------------------------------------------------------------------

_STATEMENTS_TRUE = frozenset("ABD")

_STATEMENT_GROUPS = (
    ("ABC", "scale_misjudged",
     "what multiplying the loss (so every gradient) by a constant does to each method: to "
     "the Hessian's eigenvalues and the largest stable rate of plain gradient descent, to "
     "m̂ and √v̂ and their ratio, and — kept apart — to the effective learning rate "
     "η/(√s + ε) and to the step η·g/(√s + ε)",
     "lesson 01 (the threshold 2/λ_max), and lesson 05, sections 2 (the effective learning "
     "rate) and 6 (the same run on f and on 1000·f)"),
    ("DE", "first_step_misjudged",
     "the first step from zero state: how large m and v (or RMSprop's average) are after one "
     "step, and what that makes the ratio of the gradient to the root of the average, with "
     "and without a bias correction",
     "lesson 05, sections 3 (the paragraph after the effective-rate figure) and 4 (m₁ and v₁ "
     "after one step)"),
)


def _grade_statements(chosen: frozenset) -> Diagnosis | None:
    return choice_problem(chosen, _STATEMENTS_TRUE, _STATEMENT_GROUPS)


def check_true_statements(true_statements, *, hidden: bool = False) -> None:
    """Check ``true_statements() -> str of letters`` (part 7's true statements)."""
    TRUE_STATEMENTS.check(true_statements, options="ABCDE", example='"AE"', grade=_grade_statements,
                          hidden=hidden)


ADAPTIVE_HELPS = ChoicePart("adaptive_helps", 2, once=False)
TRUE_STATEMENTS = ChoicePart("true_statements", 2, once=False)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = grade_cell_points(ADAGRAD_STEP, RMSPROP_STEP, ADAM_STEP, ADAMW_STEP, TRAIN_ADAM, ADAPTIVE_HELPS,
                          TRUE_STATEMENTS)
