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
from lrcourse.grading import CheckFailed
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


def adagrad_scalar_only(x, grad, state_sum, lr=1e-2, eps=1e-10):
    import math
    s_new = state_sum + grad ** 2
    return x - lr * grad / (math.sqrt(s_new) + eps), s_new


def adagrad_where(x, grad, state_sum, lr=1e-2, eps=1e-10):
    s_new = np.add(state_sum, np.square(grad))
    return np.subtract(x, np.divide(lr * grad, np.power(s_new, 0.5) + eps)), s_new


RIGHT_ADAGRAD = [
    adagrad_where,
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
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps, acc=lambda u, h: u + h),
     "sum_of_gradients", "not its square"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: adagrad(x, g, s, lr, eps, den=lambda u, e: np.sqrt(u)),
     "eps_missing", "divides 0 by 0"),
    (lambda x, g, s, lr=1e-2, eps=1e-10: (x - (lr * g / np.sqrt(s + g * g) + eps), s + g * g),
     "eps_added_to_step", "precedence"),
    (adagrad_scalar_only, "scalar_only", "works on one number but raises on arrays"),
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


def rmsprop_precedence(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    v_new = alpha * square_avg + (1 - alpha) * grad ** 2
    step = lr * grad / np.sqrt(v_new) + eps       # ε added to the step, not the denominator
    return x - step, v_new


def rmsprop_scalar_only(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    v_new = alpha * square_avg + (1 - alpha) * grad * grad
    step = lr * grad / (float(v_new) ** 0.5 + eps)
    return x - step, v_new


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
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, avg=lambda u, h, al: al * u + (1 - al) * h),
     "average_of_gradients", "not its square"),
    (lambda x, g, v, lr=1e-2, a=0.99, e=1e-8: rmsprop(x, g, v, lr, a, e, den=lambda u, ep: np.sqrt(u)),
     "eps_missing", "divides 0 by 0"),
    (rmsprop_precedence, "eps_added_to_step", "precedence"),
    (rmsprop_scalar_only, "scalar_only", "works on one number"),
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


def adam_v_of_g(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m_new = b1 * m + (1 - b1) * grad
    v_new = b2 * v + (1 - b2) * grad          # forgot the square
    m_hat, v_hat = m_new / (1 - b1 ** t), v_new / (1 - b2 ** t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def adam_no_eps(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m_new = b1 * m + (1 - b1) * grad
    v_new = b2 * v + (1 - b2) * grad ** 2
    return x - lr * (m_new / (1 - b1 ** t)) / np.sqrt(v_new / (1 - b2 ** t)), m_new, v_new


def adam_scalar_only(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    import math
    b1, b2 = betas
    m_new = b1 * m + (1 - b1) * grad
    v_new = b2 * v + (1 - b2) * grad ** 2
    return x - lr * (m_new / (1 - b1 ** t)) / (math.sqrt(v_new / (1 - b2 ** t)) + eps), m_new, v_new


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
    # the misdiagnosis of issue 9: v of g (not g²) makes NaN at t = 1 too, but it is not t − 1
    (adam_v_of_g, "v_of_gradient_not_square", "not its square g²"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: adam(x, g, m, v, 1, lr, b, e),
     "bias_correction_ignores_t", "does not change with t"),
    (adam_with(correction="precedence"), "bias_correction_precedence", "(m / 1) − β₁ᵗ"),
    (adam_with(correction="multiply"), "bias_correction_multiplied", "multiplies by (1 − βᵗ)"),
    (adam_with(correction="one_minus_beta_power"), "bias_correction_one_minus_beta_power", "(1 − β)ᵗ"),
    (adam_no_eps, "eps_missing", "divides 0 by 0"),
    (adam_with(eps_mode="on_step"), "eps_added_to_step", "precedence"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8: (lambda r: (r[0], r[2], r[1]))(adam(x, g, m, v, t, lr, b, e)),
     "moments_swapped", "wrong order"),
    (adam_scalar_only, "scalar_only", "works on one number"),
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
    (adamw_with(v_of_square=False), "v_of_gradient_not_square", "not its square g²"),
    (adamw_with(eps_mode="missing"), "eps_missing", "divides 0 by 0"),
    (adamw_with(correction="precedence"), "bias_correction_precedence", "(m / 1) − β₁ᵗ"),
    (lambda x, g, m, v, t, lr=1e-3, b=(0.9, 0.999), e=1e-8, wd=1e-2: adamw(x, g, m, v, 1, lr, b, e, wd),
     "bias_correction_ignores_t", "does not change with t"),
]


@pytest.mark.parametrize("impl", RIGHT_ADAMW)
def test_adamw_step_accepts(impl, capsys):
    accepts(ex05.check_adamw_step, impl, capsys, "adamw_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_ADAMW)
def test_adamw_step_rejects(impl, mistake, phrase):
    rejects(ex05.check_adamw_step, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# train_adam: Adam on a real problem
# ---------------------------------------------------------------------------

def train(problem, lr, steps, batch_size=32, seed=0, **switches):
    return ex05._train_variant(**switches)(problem, lr, steps, batch_size, seed)


def train_with_library(problem, lr, steps, batch_size=32, seed=0):
    from lrcourse.train import run
    if steps == 0:                                  # run() needs at least one step
        return problem.init(seed=seed)
    return run(problem, optim.Adam(lr=lr), problem.init(seed=seed), steps, batch_size=batch_size,
               seed=seed, divergence_factor=np.inf).x[0]


def train_while(problem, lr, steps, batch_size=32, seed=0):
    x = problem.init(seed=seed)
    state = [np.zeros_like(x), np.zeros_like(x)]
    batches, t = iter(problem.batches(batch_size, seed=seed)), 0
    while t < steps:
        t += 1
        x, state[0], state[1] = adam(x, problem.grad(x, next(batches)), state[0], state[1], t, lr)
    return x


def train_enumerate(problem, lr, steps, batch_size=32, seed=0):
    x = problem.init(seed=seed)
    m = v = 0 * x
    for t, batch in enumerate(problem.batches(batch_size, seed=seed), start=1):
        if t > steps:
            break
        x, m, v = adam_loop(x, problem.grad(x, batch), m, v, t, lr)
    return x


def train_trajectory(problem, lr, steps, batch_size=32, seed=0):
    x = problem.init(seed=seed)
    path, m, v = [x], np.zeros_like(x), np.zeros_like(x)
    batches = problem.batches(batch_size, seed=seed)
    for t in range(1, steps + 1):
        x, m, v = adam(x, problem.grad(x, next(batches)), m, v, t, lr)
        path.append(x)
    return np.array(path)


RIGHT_TRAIN = [train, train_with_library, train_while, train_enumerate]

WRONG_TRAIN = [
    (lambda *a: train(*a, first_t=0), "t_from_zero", "uses t = 0"),
    (lambda *a: train(*a, advance_t=False), "t_not_incremented", "same t"),
    (lambda *a: train(*a, carry_state=False), "state_not_carried", "never keeps the new m and v"),
    (lambda *a: train(*a, pass_lr=False), "lr_not_passed", "ignores lr"),
    (lambda *a: train(*a, extra_steps=-1), "one_step_short", "one step fewer"),
    (lambda *a: train(*a, extra_steps=1), "one_step_too_many", "one step more"),
    (lambda *a: train(*a, same_batch=True), "same_batch_every_step", "same first mini-batch"),
    (lambda *a: train(*a, grad_at_start=True), "gradient_at_start", "gradient at the start point"),
    (lambda *a: train(*a, full_batch=True), "full_batch", "full-batch gradient"),
    (lambda *a: train(*a, pass_batch_size=False), "batch_size_ignored", "default size 32"),
    (lambda *a: train(*a, batch_seed=False), "batch_seed_ignored", "order of seed 0"),
    (lambda *a: train(*a, init_seed=False), "init_seed_ignored", "problem.init() (seed 0)"),
    (train_trajectory, "wrong_shape", "(problem.dim,)"),
    (lambda p, lr, steps, bs=32, seed=0: (train(p, lr, steps, bs, seed), None, None), "wrong_type",
     "tuple"),
]


@pytest.mark.parametrize("impl", RIGHT_TRAIN)
def test_train_adam_accepts(impl, capsys):
    accepts(ex05.check_train_adam, impl, capsys, "train_adam", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_TRAIN)
def test_train_adam_rejects(impl, mistake, phrase):
    rejects(ex05.check_train_adam, impl, mistake, phrase)


def test_train_adam_reference_is_the_library_run():
    for case in [*ex05.TRAIN_ADAM.cases, *ex05.TRAIN_ADAM.hidden_cases]:
        args = list(case.args.values())
        np.testing.assert_allclose(ex05._train_adam(*args), train_with_library(*args), rtol=1e-12,
                                   atol=1e-14)


# ---------------------------------------------------------------------------
# Multiple choice: adaptive_helps and true_statements
# ---------------------------------------------------------------------------

def answer(value):
    return lambda: value


RIGHT_HELPS = [answer("AC"), answer("c, a"), answer({"A", "C"}), answer(("A", "C", "A")), answer(frozenset("AC"))]

WRONG_HELPS = [
    (answer({"A"}), "valleys_misjudged", "not exactly the true statements"),
    (answer({"C"}), "valleys_misjudged", "one curvature direction"),
    (answer(""), "valleys_misjudged", "which or how many"),
    (answer({"A", "B"}), "valleys_misjudged", "every statement again"),
    (answer({"A", "C", "D"}), "valleys_misjudged", "mixes a steep and a flat"),
    (answer({"A", "B", "C", "D"}), "valleys_misjudged", "not exactly the true statements"),
    (answer({"B", "D"}), "valleys_misjudged", "section 1"),
    (answer("A+C"), "unknown_option", "'+'"),
    (answer({"A", "E"}), "unknown_option", "the options are 'A', 'B', 'C', 'D'"),
    (answer({"A": True, "C": True}), "wrong_type", "instead of a string of option letters"),
    (answer(None), "returned_none", "None"),
    (answer({1, 3}), "unknown_option", "the options"),
]


@pytest.mark.parametrize("impl", RIGHT_HELPS)
def test_adaptive_helps_accepts(impl, capsys):
    accepts(ex05.check_adaptive_helps, impl, capsys, "adaptive_helps", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_HELPS)
def test_adaptive_helps_rejects(impl, mistake, phrase):
    message = rejects(ex05.check_adaptive_helps, impl, mistake, phrase)
    assert "'AC'" not in message and "A and C" not in message, message


def _message(check, letters):
    with pytest.raises(CheckFailed) as info:
        check(answer(letters))
    return str(info.value)


@pytest.mark.parametrize("check, options", [
    (ex05.check_adaptive_helps, "ABCD"),
    (ex05.check_true_statements, "ABCDE"),
], ids=["adaptive_helps", "true_statements"])
def test_choice_messages_do_not_allow_elimination(check, options):
    """Trial 4567: every wrong answer gets the same message — no count of the statements
    left out or added, no group — so trying answers tells only right or wrong."""
    import itertools
    messages = set()
    for size in range(len(options) + 1):
        for letters in itertools.combinations(options, size):
            try:
                check(answer("".join(letters)))
            except CheckFailed as error:
                messages.add(str(error))
    assert len(messages) == 1, messages
    (message,) = messages
    for count in ("leaves out", "includes", "1 true", "2 true", "1 false", "2 false"):
        assert count not in message


def test_the_valley_answer_is_what_the_experiment_measures():
    measured = ex05.valley_experiment()
    far_lower = {k for k, (gd, adagrad) in measured.items() if adagrad * ex05.VALLEY_MARGIN <= gd}
    assert far_lower == set(ex05._ALIGNED), measured


RIGHT_STATEMENTS = [answer("ABD"), answer("d b a"), answer(["D", "B", "A"]), answer(tuple("abd"))]

WRONG_STATEMENTS = [
    (answer({"B", "D"}), "scale_misjudged", "not exactly the true statements"),
    (answer({"A", "D"}), "scale_misjudged", "m̂ and √v̂"),
    (answer({"A", "B", "C", "D"}), "scale_misjudged", "which or how many"),
    (answer({"A", "B"}), "first_step_misjudged", "bias correction"),
    (answer({"A", "B", "D", "E"}), "first_step_misjudged", "m̂ and √v̂"),
    (answer({"A", "B", "C", "D", "E"}), "scale_misjudged", "every statement again"),
    (answer(set()), "scale_misjudged", "lesson 05, sections 3"),
    (answer(["A", "B", "F"]), "unknown_option", "'E'"),
    (answer("A;B;D"), "unknown_option", "';'"),
    (answer(3), "wrong_type", "string of option letters"),
]


@pytest.mark.parametrize("impl", RIGHT_STATEMENTS)
def test_true_statements_accepts(impl, capsys):
    accepts(ex05.check_true_statements, impl, capsys, "true_statements", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STATEMENTS)
def test_true_statements_rejects(impl, mistake, phrase):
    rejects(ex05.check_true_statements, impl, mistake, phrase)


def test_the_statements_hold_as_computed():
    """A, B, D true and C, E false, measured with the course's optimizers."""
    g = np.array([0.3, -2.0, 5e-3])
    for cls, kwargs in [(optim.Adam, {}), (optim.Adagrad, {}), (optim.RMSprop, {})]:
        small, large = cls(lr=0.01, **kwargs), cls(lr=0.01, **kwargs)
        step_small = 1 - small.step(np.ones(3), g)
        step_large = 1 - large.step(np.ones(3), 1000 * g)
        np.testing.assert_allclose(step_small, step_large, rtol=1e-4)   # B (and C's step, not its rate)
        if cls is optim.Adagrad:                                       # C: the effective rate is 1000× smaller
            np.testing.assert_allclose(np.sqrt(large.sum) / np.sqrt(small.sum), 1000)
        if cls is optim.RMSprop:                                       # E: 10η, not η
            np.testing.assert_allclose(np.abs(step_small), 0.1, rtol=1e-4)
    uncorrected = ex05._adam_variant(correct_m=False, correct_v=False)(np.ones(3), g, 0 * g, 0 * g, 1, 0.01)[0]
    np.testing.assert_allclose((1 - uncorrected) / 0.01, np.sign(g) * 0.1 / np.sqrt(0.001), rtol=1e-4)  # D


# ---------------------------------------------------------------------------
# Every part
# ---------------------------------------------------------------------------

PARTS = [
    (ex05.check_adagrad_step, ex05.ADAGRAD_STEP),
    (ex05.check_rmsprop_step, ex05.RMSPROP_STEP),
    (ex05.check_adam_step, ex05.ADAM_STEP),
    (ex05.check_adamw_step, ex05.ADAMW_STEP),
    (ex05.check_train_adam, ex05.TRAIN_ADAM),
    (ex05.check_adaptive_helps, ex05.ADAPTIVE_HELPS),
    (ex05.check_true_statements, ex05.TRUE_STATEMENTS),
]
STEP_PARTS = PARTS[:5]


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
@pytest.mark.parametrize("impl, mistake", [
    *BROKEN_CODE, pytest.param(returns_nan, "wrong_type", id="returns_nan"),  # not a tuple
])
def test_every_part_handles_broken_code(check, part, impl, mistake, monkeypatch):
    if impl is returns_nan and part is ex05.TRAIN_ADAM:
        mistake = "wrong_shape"                     # an array is expected: NaN has no shape
    rejects_broken(check, part, impl, mistake, monkeypatch)


def test_points_table_matches_the_parts():
    assert ex05.PARTS == points_table(PARTS)
    assert sum(ex05.PARTS.values()) == 15


@pytest.mark.parametrize("check, part", STEP_PARTS, ids=part_id)
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


# ---------------------------------------------------------------------------
# Return types (issue 9): the exercise asks for new arrays, a list is refused saying why
# ---------------------------------------------------------------------------

def _as_lists(step):
    def listed(*args, **kwargs):
        return tuple(list(np.ravel(item)) for item in step(*args, **kwargs))
    return listed


@pytest.mark.parametrize("check, reference", [
    (ex05.check_adagrad_step, ex05._adagrad_step),
    (ex05.check_rmsprop_step, ex05._rmsprop_step),
    (ex05.check_adam_step, ex05._adam_step),
    (ex05.check_adamw_step, ex05._adamw_step),
], ids=["adagrad", "rmsprop", "adam", "adamw"])
def test_a_step_returning_lists_is_refused(check, reference):
    rejects(check, _as_lists(reference), "returned_list", "next step's x")


def test_adagrad_returning_list_of_the_arrays_is_refused():
    rejects(ex05.check_adagrad_step,
            lambda *a, **k: tuple(list(v) for v in ex05._adagrad_step(*a, **k)),
            "returned_list", "a Python list")


# ---------------------------------------------------------------------------
# Outside learner trial (issue 9): plausible mistakes that got the generic message
# ---------------------------------------------------------------------------

def adagrad_returns_root(x, grad, state_sum, lr=1e-2, eps=1e-10):
    root = np.sqrt(state_sum + grad ** 2)
    return x - lr * grad / (root + eps), root


def rmsprop_bias_corrected(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad ** 2
    return x - lr * grad / (np.sqrt(v / (1 - alpha)) + eps), v


def rmsprop_abs(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * np.abs(grad)
    return x - lr * grad / (np.sqrt(v) + eps), v


def rmsprop_signed(x, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad
    return x - lr * grad / (np.sqrt(v) + eps), v


def adamw_both_decays(x, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    b1, b2 = betas
    g = grad + weight_decay * x
    m_new, v_new = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    step = lr * (m_new / (1 - b1 ** t)) / (np.sqrt(v_new / (1 - b2 ** t)) + eps)
    return x * (1 - lr * weight_decay) - step, m_new, v_new


@pytest.mark.parametrize("check, impl, mistake, phrase", [
    (ex05.check_adagrad_step, adagrad_returns_root, "returned_root_of_sum", "√sum"),
    (ex05.check_rmsprop_step, rmsprop_bias_corrected, "bias_corrected_average", "(1 − α)"),
    (ex05.check_rmsprop_step, rmsprop_abs, "gradient_not_squared", "not g²"),
    (ex05.check_rmsprop_step, rmsprop_signed, "average_of_gradients", "not its square"),
    (ex05.check_adamw_step, adamw_both_decays, "decay_coupled_and_decoupled", "applied twice"),
], ids=["adagrad_sqrt_state", "rmsprop_bias", "rmsprop_abs", "rmsprop_signed", "adamw_both"])
def test_trial_mistakes_are_named(check, impl, mistake, phrase):
    rejects(check, impl, mistake, phrase)
