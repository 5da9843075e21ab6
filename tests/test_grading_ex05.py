"""Exercise 05's checks: optimizer steps written differently pass, common mistakes are named.

The right implementations use other but equivalent formulas (loops over coordinates,
the "efficient" Adam form with the matching ε, decay folded into the update); the wrong
ones are the mistakes the lesson warns about.  The references themselves are compared
with a hand-written formula, and through lrcourse.optim with PyTorch's recorded runs
(tests/test_optim.py).
"""

import numpy as np
import pytest
from grading_support import (
    BROKEN_CODE, accepts, assert_variants_differ, part_id, points_table, rejects, rejects_broken,
    returns_nan,
)

from lrcourse import optim
from lrcourse.grading import ex05


# ---------------------------------------------------------------------------
# Adagrad
# ---------------------------------------------------------------------------

def adagrad_loop(x, grad, state_sum, lr=1e-2, eps=1e-10):
    x_new, s_new = np.empty_like(x), np.empty_like(state_sum)
    for i in np.ndindex(x.shape):
        s_new[i] = state_sum[i] + grad[i] ** 2
        x_new[i] = x[i] - lr * grad[i] / (s_new[i] ** 0.5 + eps)
    return x_new, s_new


def adagrad_library(x, grad, state_sum, lr=1e-2, eps=1e-10):
    opt = optim.Adagrad(lr=lr, eps=eps)
    opt.sum = state_sum.copy()
    return opt.step(x, grad), opt.sum


def adagrad(x, grad, s, lr=1e-2, eps=1e-10, *, acc=None, den=None, old=False):
    s_new = s + grad * grad if acc is None else acc(s, grad)
    used = s if old else s_new
    d = np.sqrt(used) + eps if den is None else den(used, eps)
    return x - lr * grad / d, s_new


def adagrad_in_place(x, grad, state_sum, lr=1e-2, eps=1e-10):
    state_sum += grad ** 2
    return x - lr * grad / (np.sqrt(state_sum) + eps), state_sum


RIGHT_ADAGRAD = [
    adagrad,
    adagrad_loop,
    adagrad_library,
    lambda x, g, s, lr=1e-2, eps=1e-10: (x - lr * g / (np.hypot(np.sqrt(s), g) + eps), s + g * g),
]

WRONG_ADAGRAD = [
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, -g, s, lr, eps)[0:1] + (s + g * g,),
     "sign_flipped", "moves uphill"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, 1.0, eps), "lr_missing", "ignores the learning rate"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps, den=lambda u, e: np.sqrt(u + e)),
     "eps_inside_sqrt", "inside the square root"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps, old=True), "stepped_with_old_sum", "old sum"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps, den=lambda u, e: u + e), "sqrt_missing",
     "square root"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps, acc=lambda u, h: u + abs(h)),
     "abs_not_squared", "|g|"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps, acc=lambda u, h: h * h),
     "not_accumulated", "forgets the past"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps)[::-1], "swapped_outputs", "wrong order"),
    (adagrad_in_place, "mutated_input", "changed its input state_sum in place"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps)[0], "wrong_type", "tuple (x_new, sum_new)"),
]


@pytest.mark.parametrize("impl", RIGHT_ADAGRAD)
def test_adagrad_step_accepts(impl, capsys):
    accepts(ex05.check_adagrad_step, impl, capsys, "adagrad_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_ADAGRAD)
def test_adagrad_step_rejects(impl, mistake, phrase):
    rejects(ex05.check_adagrad_step, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# RMSprop
# ---------------------------------------------------------------------------

def rmsprop(x, grad, v, lr=1e-2, alpha=0.99, eps=1e-8, *, avg=None, den=None, old=False):
    v_new = alpha * v + (1 - alpha) * grad ** 2 if avg is None else avg(v, grad, alpha)
    used = v if old else v_new
    d = np.sqrt(used) + eps if den is None else den(used, eps)
    return x - lr * grad / d, v_new


def rmsprop_lerp(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    # v + (1 − α)(g² − v): PyTorch's own way of writing the average
    v_new = square_avg + (1 - alpha) * (grad * grad - square_avg)
    return x - lr * grad / (v_new ** 0.5 + eps), v_new


def rmsprop_library(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    opt = optim.RMSprop(lr=lr, alpha=alpha, eps=eps)
    opt.square_avg = square_avg.copy()
    return opt.step(x, grad), opt.square_avg


def rmsprop_in_place(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    square_avg *= alpha
    square_avg += (1 - alpha) * grad ** 2
    return x - lr * grad / (np.sqrt(square_avg) + eps), square_avg.copy()


RIGHT_RMSPROP = [rmsprop, rmsprop_lerp, rmsprop_library]

WRONG_RMSPROP = [
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: (2 * x - rmsprop(x, g, v, lr, a, e)[0], rmsprop(x, g, v, lr, a, e)[1]),
     "sign_flipped", "moves uphill"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr * lr, a, e), "lr_twice", "applied twice"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, avg=lambda u, h, al: (1 - al) * u + al * h * h),
     "alpha_swapped", "the other way round"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, avg=lambda u, h, al: al * u + h * h),
     "missing_one_minus_alpha", "(1 − α)"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, avg=lambda u, h, al: u + h * h),
     "accumulates_like_adagrad", "as Adagrad does"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, den=lambda u, ep: np.sqrt(u + ep)),
     "eps_inside_sqrt", "Keras and TensorFlow"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, old=True), "stepped_with_old_average",
     "old average"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, den=lambda u, ep: u + ep), "sqrt_missing",
     "root mean square"),
    (rmsprop_in_place, "mutated_input", "changed its input square_avg in place"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: tuple(np.float32(r) for r in rmsprop(x, g, v, lr, a, e)),
     "wrong_dtype", "float64"),
]


@pytest.mark.parametrize("impl", RIGHT_RMSPROP)
def test_rmsprop_step_accepts(impl, capsys):
    accepts(ex05.check_rmsprop_step, impl, capsys, "rmsprop_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_RMSPROP)
def test_rmsprop_step_rejects(impl, mistake, phrase):
    rejects(ex05.check_rmsprop_step, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------

def adam(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m_new = b1 * m + (1 - b1) * grad
    v_new = b2 * v + (1 - b2) * grad ** 2
    m_hat = m_new / (1 - b1 ** t)
    v_hat = v_new / (1 - b2 ** t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def adam_efficient(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    # Kingma & Ba's "efficient" form with the ε that matches PyTorch's: ε·√(1 − β₂ᵗ)
    b1, b2 = betas
    m_new = b1 * m + (1 - b1) * grad
    v_new = b2 * v + (1 - b2) * grad ** 2
    c2 = np.sqrt(1 - b2 ** t)
    step_size = lr * c2 / (1 - b1 ** t)
    return x - step_size * m_new / (np.sqrt(v_new) + eps * c2), m_new, v_new


def adam_loop(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    x_new, m_new, v_new = (np.zeros_like(x) for _ in range(3))
    for i in np.ndindex(x.shape):
        m_new[i] = betas[0] * m[i] + (1 - betas[0]) * grad[i]
        v_new[i] = betas[1] * v[i] + (1 - betas[1]) * grad[i] * grad[i]
        denominator = (v_new[i] / (1 - betas[1] ** t)) ** 0.5 + eps
        x_new[i] = x[i] - lr * m_new[i] / (1 - betas[0] ** t) / denominator
    return x_new, m_new, v_new


def adam_library(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    opt = optim.Adam(lr=lr, betas=betas, eps=eps)
    opt.step_count, opt.exp_avg, opt.exp_avg_sq = t - 1, m.copy(), v.copy()
    return opt.step(x, grad), opt.exp_avg, opt.exp_avg_sq


def adam_with(**switches):
    return ex05._adam_variant(**switches)


def adam_in_place(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    m *= betas[0]
    m += (1 - betas[0]) * grad
    v_new = betas[1] * v + (1 - betas[1]) * grad ** 2
    x_new = x - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v_new / (1 - betas[1] ** t)) + eps)
    return x_new, m.copy(), v_new


RIGHT_ADAM = [adam, adam_efficient, adam_loop, adam_library]

WRONG_ADAM = [
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: (2 * x - adam(x, g, m, v, t, lr, b, e)[0],)
     + adam(x, g, m, v, t, lr, b, e)[1:], "sign_flipped", "moves uphill"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: adam(x, g, m, v, t, 1.0, b, e), "lr_missing",
     "ignores the learning rate"),
    (adam_with(correct_m=False, correct_v=False), "bias_correction_missing", "no bias correction"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: adam(x, g, m, v, t - 1, lr, b, e),
     "bias_correction_t_minus_1", "t − 1"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: adam(x, g, m, v, t + 1, lr, b, e),
     "bias_correction_t_plus_1", "t + 1"),
    (adam_with(correct_v=False), "bias_correction_m_only", "corrected m but not v"),
    (adam_with(correct_m=False), "bias_correction_v_only", "corrected v but not m"),
    (adam_with(eps_inside=True), "eps_inside_sqrt", "inside the square root"),
    (adam_with(eps_after=False), "eps_before_bias_correction", "TensorFlow"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: adam(x, g, m, v, t, lr, b[::-1], e),
     "betas_swapped", "swapped"),
    (adam_with(sqrt=False), "sqrt_missing", "instead of √v̂"),
    (adam_with(step_with_old=True), "stepped_with_old_moments", "old m and v"),
    (adam_with(corrected_state=True), "returned_corrected_moments", "bias-corrected m̂ and v̂ as the state"),
    (adam_in_place, "mutated_input", "changed its input m in place"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: adam(x, g, m, v, t, lr, b, e)[:2], "wrong_type",
     "a tuple of 2 items"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: (np.full_like(x, np.nan), m, v), "not_finite",
     "NaN"),
]


@pytest.mark.parametrize("impl", RIGHT_ADAM)
def test_adam_step_accepts(impl, capsys):
    accepts(ex05.check_adam_step, impl, capsys, "adam_step", 3)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_ADAM)
def test_adam_step_rejects(impl, mistake, phrase):
    rejects(ex05.check_adam_step, impl, mistake, phrase)


def test_adam_t_minus_1_is_named_even_when_the_first_step_is_not_finite():
    # at t = 1 the t − 1 correction divides by zero; the check names the count, not the NaN
    def adam_zero_based(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        return adam(x, grad, m, v, t - 1, lr, betas, eps)
    message = rejects(ex05.check_adam_step, adam_zero_based, "bias_correction_t_minus_1", "divide by zero")
    assert "1 − β⁰ = 0" in message


# ---------------------------------------------------------------------------
# AdamW
# ---------------------------------------------------------------------------

def adamw(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    x_decayed = x * (1 - lr * weight_decay)
    x_new, m_new, v_new = adam(x_decayed, grad, m, v, t, lr, betas, eps)
    return x_new, m_new, v_new


def adamw_folded(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    # x − η·(λx + m̂/(√v̂ + ε)): Loshchilov & Hutter's way of writing it (with α folded into η)
    _, m_new, v_new = adam(x, grad, m, v, t, lr, betas, eps)
    m_hat, v_hat = m_new / (1 - betas[0] ** t), v_new / (1 - betas[1] ** t)
    return x - lr * (weight_decay * x + m_hat / (np.sqrt(v_hat) + eps)), m_new, v_new


def adamw_library(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    opt = optim.AdamW(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    opt.step_count, opt.exp_avg, opt.exp_avg_sq = t - 1, m.copy(), v.copy()
    return opt.step(x, grad), opt.exp_avg, opt.exp_avg_sq


def adamw_with(**switches):
    return ex05._adamw_variant(**switches)


def adamw_in_place(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    x *= 1 - lr * weight_decay
    return adam(x, grad, m, v, t, lr, betas, eps)


RIGHT_ADAMW = [adamw, adamw_folded, adamw_library]

WRONG_ADAMW = [
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8, wd=1e-2: adam(x, g + wd * x, m, v, t, lr, b, e),
     "coupled_weight_decay", "coupled"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8, wd=1e-2: adam(x, g, m, v, t, lr, b, e),
     "weight_decay_ignored", "plain Adam"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8, wd=1e-2: adam(x * (1 - wd), g, m, v, t, lr, b, e),
     "decay_without_lr", "(1 − λ)"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8, wd=1e-2: adam(x * (1 + lr * wd), g, m, v, t, lr, b, e),
     "decay_grows_x", "grow"),
    (adamw_with(decay="after"), "decay_after_update", "already updated parameters"),
    (adamw_with(correct_m=False, correct_v=False), "bias_correction_missing", "no bias correction"),
    (adamw_with(eps_inside=True), "eps_inside_sqrt", "inside the square root"),
    (adamw_in_place, "mutated_input", "changed its input x in place"),
]


@pytest.mark.parametrize("impl", RIGHT_ADAMW)
def test_adamw_step_accepts(impl, capsys):
    accepts(ex05.check_adamw_step, impl, capsys, "adamw_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_ADAMW)
def test_adamw_step_rejects(impl, mistake, phrase):
    rejects(ex05.check_adamw_step, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# Every part
# ---------------------------------------------------------------------------

PARTS = [
    (ex05.check_adagrad_step, ex05.ADAGRAD_STEP),
    (ex05.check_rmsprop_step, ex05.RMSPROP_STEP),
    (ex05.check_adam_step, ex05.ADAM_STEP),
    (ex05.check_adamw_step, ex05.ADAMW_STEP),
]


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
@pytest.mark.parametrize("impl, mistake", [
    *BROKEN_CODE, pytest.param(returns_nan, "wrong_type", id="returns_nan"),  # not a tuple
])
def test_every_part_handles_broken_code(check, part, impl, mistake, monkeypatch):
    rejects_broken(check, part, impl, mistake, monkeypatch)


def test_points_table_matches_the_parts():
    assert ex05.PARTS == points_table(PARTS)
    assert sum(ex05.PARTS.values()) == 9


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
def test_cases_separate_every_variant_from_the_reference(check, part):
    assert_variants_differ(part)


@pytest.mark.parametrize("part, formula", [
    (ex05.ADAM_STEP, lambda *a: ex05._adam_variant()(*a)),
    (ex05.ADAMW_STEP, lambda *a: ex05._adamw_variant()(*a)),
])
def test_the_variant_formula_without_switches_is_the_reference(part, formula):
    """The mistakes are switches on one written-out formula; with every switch off it must
    be the library's step, or the variants would be measured against the wrong baseline."""
    for case in [*part.cases, *part.hidden_cases]:
        args = list(case.args.values())
        for got, want in zip(formula(*args), part.reference(*args)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_the_references_follow_the_optimizers_from_the_first_step():
    """Chaining the reference steps from zero state is lrcourse.optim's run, step for step."""
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(6, 4))
    for cls, kwargs, step in [
        (optim.Adam, {"lr": 0.1}, ex05._adam_step),
        (optim.AdamW, {"lr": 0.1, "weight_decay": 0.3}, ex05._adamw_step),
    ]:
        opt = cls(**kwargs)
        x_opt = x_ref = np.ones(4)
        m = v = np.zeros(4)
        for t, g in enumerate(grads, start=1):
            x_opt = opt.step(x_opt, g)
            x_ref, m, v = step(x_ref, g, m, v, t, **kwargs)
            np.testing.assert_allclose(x_ref, x_opt, rtol=1e-14)
    for cls, lr, step in [(optim.Adagrad, 0.2, ex05._adagrad_step), (optim.RMSprop, 0.01, ex05._rmsprop_step)]:
        opt, x, state = cls(lr=lr), np.ones(4), np.zeros(4)
        x_opt = x
        for g in grads:
            x_opt = opt.step(x_opt, g)
            x, state = step(x, g, state, lr=lr)
        np.testing.assert_allclose(x, x_opt, rtol=1e-14)
