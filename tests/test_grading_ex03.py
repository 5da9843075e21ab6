"""Exercise 03's checks: right answers written differently pass, common mistakes are named.

Every wrong implementation below is one a learner could write; the check must reject it
with the expected diagnosis (``CheckFailed.mistake``) and a phrase of its message.  The
right ones use loops, the library, other formulas, numerical searches and list inputs.
The references are also compared with independent oracles: ``lrcourse.optim.SGD``
(itself tested against PyTorch) for the steps, and closed forms and runs for the
quadratic's numbers.
"""

import numpy as np
import pytest
from grading_support import (
    BROKEN_CODE, accepts, assert_variants_differ, eig, part_id, points_table, rejects,
    rejects_broken,
)

from lrcourse.grading import CheckFailed, ex03
from lrcourse.optim import SGD
from lrcourse.problems import Quadratic


def _flip(impl, x, *rest):
    x_new, buf = impl(x, *rest)
    return 2 * x - x_new, buf


# ---------------------------------------------------------------------------
# sgd_momentum_step
# ---------------------------------------------------------------------------

def momentum_if_else(x, grad, buf, lr, momentum, dampening=0.0):
    if buf is None:
        new = grad.copy()
    else:
        new = momentum * buf + (1 - dampening) * grad
    return x - lr * new, new


def momentum_loop(x, grad, buf, lr, momentum, dampening=0.0):
    new = np.empty_like(grad)
    out = np.empty_like(x)
    for i in np.ndindex(x.shape):
        new[i] = grad[i] if buf is None else momentum * buf[i] + (1 - dampening) * grad[i]
        out[i] = x[i] - lr * new[i]
    return out, new


def momentum_by_library(x, grad, buf, lr, momentum, dampening=0.0):
    """Through lrcourse.optim.SGD with its state primed (a different code path)."""
    opt = SGD(lr=lr, momentum=momentum, dampening=dampening)
    if buf is not None:
        opt.step(np.zeros_like(x), np.zeros_like(x))   # create the state ...
        opt.momentum_buffer = buf.copy()                # ... then put the learner's buffer in
    x_new = opt.step(x, grad)
    if momentum == 0:           # SGD keeps no buffer without momentum; the rule gives b = g (τ = 0)
        return x_new, grad.copy()
    return x_new, opt.momentum_buffer


def momentum_with_np_functions(x, grad, buf, lr, momentum, dampening=0.0):
    old = np.zeros_like(grad) if buf is None else buf
    weight = 1.0 if buf is None else 1.0 - dampening
    new = np.add(np.multiply(momentum, old), np.multiply(weight, grad))
    return np.subtract(x, np.multiply(lr, new)), new


def momentum_in_place_buffer(x, grad, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = grad.copy()
    else:
        buf *= momentum
        buf += (1 - dampening) * grad
    return x - lr * buf, buf


def momentum_in_place_x(x, grad, buf, lr, momentum, dampening=0.0):
    new = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
    x -= lr * new
    return x, new


def momentum_zero_init(x, grad, buf, lr, momentum, dampening=0.0):
    buf = np.zeros_like(grad) if buf is None else buf
    new = momentum * buf + (1 - dampening) * grad
    return x - lr * new, new


def momentum_sutskever(x, grad, buf, lr, momentum, dampening=0.0):
    v = np.zeros_like(grad) if buf is None else buf
    v = momentum * v - lr * grad
    return x + v, v


def momentum_lr_in_buffer(x, grad, buf, lr, momentum, dampening=0.0):
    new = lr * grad if buf is None else momentum * buf + lr * (1 - dampening) * grad
    return x - new, new


def momentum_ema(x, grad, buf, lr, momentum, dampening=0.0):
    new = grad.copy() if buf is None else momentum * buf + (1 - momentum) * grad
    return x - lr * new, new


def momentum_old_buffer(x, grad, buf, lr, momentum, dampening=0.0):
    if buf is None:
        return x - lr * grad, grad.copy()
    return x - lr * buf, momentum * buf + (1 - dampening) * grad


def momentum_stale_state(x, grad, buf, lr, momentum, dampening=0.0):
    new = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
    return x - lr * new, buf


def momentum_stale_later(x, grad, buf, lr, momentum, dampening=0.0):
    new = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
    return x - lr * new, (new if buf is None else buf)


def momentum_swapped_signature(x, grad, buf, momentum, lr, dampening=0.0):
    return momentum_if_else(x, grad, buf, lr, momentum, dampening)


def momentum_vectors_only(x, grad, buf, lr, momentum, dampening=0.0):
    new, out = np.zeros(len(x)), np.zeros(len(x))
    for i in range(len(x)):
        new[i] = grad[i] if buf is None else momentum * buf[i] + (1 - dampening) * grad[i]
        out[i] = x[i] - lr * new[i]
    return out, new


def momentum_rule(rule):
    """A later-step buffer rule(b, g, μ, τ); the first step right (b ← g)."""
    def step(x, grad, buf, lr, momentum, dampening=0.0):
        new = grad.copy() if buf is None else rule(buf, grad, momentum, dampening)
        return x - lr * new, new
    return step


def momentum_aliases_grad(x, grad, buf, lr, momentum, dampening=0.0):
    new = grad if buf is None else momentum * buf + (1 - dampening) * grad   # grad itself on step 1
    return x - lr * new, new


def momentum_zero_buffer_as_first(x, grad, buf, lr, momentum, dampening=0.0):
    if buf is None or not np.any(buf):
        new = grad.copy()
    else:
        new = momentum * buf + (1 - dampening) * grad
    return x - lr * new, new


RIGHT_MOMENTUM = [momentum_if_else, momentum_loop, momentum_by_library, momentum_with_np_functions,
                  lambda *a: list(momentum_if_else(*a))]      # a pair as a list: unpacked alike

WRONG_MOMENTUM = [
    (lambda *a: _flip(momentum_if_else, *a), "sign_flipped", "uphill"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, 1.0, mu, d), "lr_missing", "ignores the learning rate"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, lr * lr, mu, d), "lr_twice", "applied twice"),
    (lambda x, g, b, lr, mu, d=0.0: (x.copy(), momentum_if_else(x, g, b, lr, mu, d)[1]), "unchanged",
     "no step was taken"),
    (lambda *a: momentum_if_else(*a)[::-1], "swapped_outputs", "return (x_new, buf_new)"),
    (momentum_stale_state, "returned_old_buffer", "the buf it was given"),
    (momentum_stale_later, "returned_old_buffer", "the state is stale"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, None, lr, mu, d), "buffer_ignored",
     "treats every step as the first"),
    (momentum_zero_init, "buffer_zero_init", "initialised differently from PyTorch"),
    (momentum_sutskever, "sutskever_form", "Sutskever's form"),
    (momentum_lr_in_buffer, "lr_in_buffer", "holds η·g terms"),
    (momentum_ema, "ema_buffer", "exponential moving average"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, lr, mu, 0.0), "dampening_ignored", "ignores dampening"),
    (momentum_rule(lambda b, g, mu, d: mu * b + d * g), "dampening_as_weight", "weight dampening"),
    (momentum_rule(lambda b, g, mu, d: (1 - d) * (mu * b + g)), "dampening_on_whole_buffer",
     "to the whole new buffer"),
    (momentum_old_buffer, "stepped_with_old_buffer", "old buffer"),
    (momentum_rule(lambda b, g, mu, d: b + mu * (1 - d) * g), "momentum_on_gradient", "μ multiplies the wrong term"),
    (momentum_swapped_signature, "lr_momentum_swapped", "order (x, grad, buf, lr, momentum, dampening)"),
    # no known mistake: which output is wrong is said
    (lambda x, g, b, lr, mu, d=0.0: (x - 1.5 * lr * momentum_if_else(x, g, b, lr, mu, d)[1],
                                     momentum_if_else(x, g, b, lr, mu, d)[1]), "step_wrong",
     "Your new buffer is right but x_new is not"),
    (lambda *a: (momentum_if_else(*a)[0], 2 * momentum_if_else(*a)[1]), "buffer_wrong",
     "Your x_new is right but the buffer you returned is not"),
    (momentum_in_place_buffer, "mutated_input", "changed its input buf in place"),
    (momentum_aliases_grad, "returned_input", "The buf_new it returned is the very array grad"),
    (momentum_zero_buffer_as_first, "zero_buffer_as_first", "buf is None"),
    (momentum_in_place_x, "mutated_input", "changed its input x in place"),
    (momentum_vectors_only, "one_d_only", "works on 1-D arrays but raises on x of shape (2, 3)"),
    (lambda *a: tuple(list(v) for v in momentum_if_else(*a)), "returned_list", "momentum * list raises"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, lr, mu, d)[0], "wrong_type", "instead of a tuple"),
    (lambda *a: tuple(v.astype(np.float32) for v in momentum_if_else(*a)), "wrong_dtype", "float64"),
]


@pytest.mark.parametrize("impl", RIGHT_MOMENTUM)
def test_sgd_momentum_step_accepts(impl, capsys):
    accepts(ex03.check_sgd_momentum_step, impl, capsys, "sgd_momentum_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MOMENTUM)
def test_sgd_momentum_step_rejects(impl, mistake, phrase):
    rejects(ex03.check_sgd_momentum_step, impl, mistake, phrase)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MOMENTUM[:18])
def test_sgd_momentum_step_hidden_cases_name_the_same_mistake(impl, mistake, phrase):
    """The seeded random cases alone (1-D to 3-D, first and later steps) name each mistake too."""
    with pytest.raises(CheckFailed) as info:
        ex03.check_sgd_momentum_step(impl, hidden=True)
    assert info.value.mistake == mistake, str(info.value)


def test_momentum_zero_is_plain_sgd():
    """μ = 0 (a visible case): the step must be x − η·g with b = g, whatever the buffer."""
    case = next(c for c in ex03.SGD_MOMENTUM_STEP.cases if c.args["momentum"] == 0)
    x_new, buf_new = ex03._sgd_momentum_step(**case.args)
    np.testing.assert_allclose(x_new, case.args["x"] - case.args["lr"] * case.args["grad"], rtol=1e-15)
    np.testing.assert_allclose(buf_new, case.args["grad"], rtol=1e-15)


# ---------------------------------------------------------------------------
# nesterov_step
# ---------------------------------------------------------------------------

def nesterov_if_else(x, grad, buf, lr, momentum):
    new = grad.copy() if buf is None else momentum * buf + grad
    return x - lr * (grad + momentum * new), new


def nesterov_expanded(x, grad, buf, lr, momentum):
    # g + μ(μb + g) = (1 + μ)g + μ²b
    if buf is None:
        return x - lr * (1 + momentum) * grad, np.array(grad, dtype=float)
    return x - lr * ((1 + momentum) * grad + momentum ** 2 * buf), momentum * buf + grad


def nesterov_by_library(x, grad, buf, lr, momentum):
    opt = SGD(lr=lr, momentum=momentum, nesterov=momentum > 0)   # μ = 0: plain SGD
    if buf is not None:
        opt.step(np.zeros_like(x), np.zeros_like(x))
        opt.momentum_buffer = buf.copy()
    x_new = opt.step(x, grad)
    return x_new, (grad.copy() if momentum == 0 else opt.momentum_buffer)


def nesterov_loop(x, grad, buf, lr, momentum):
    new, out = np.empty_like(grad), np.empty_like(x)
    for i in np.ndindex(x.shape):
        new[i] = grad[i] if buf is None else momentum * buf[i] + grad[i]
        out[i] = x[i] - lr * (grad[i] + momentum * new[i])
    return out, new


def nesterov_heavy_ball(x, grad, buf, lr, momentum):
    new = grad.copy() if buf is None else momentum * buf + grad
    return x - lr * new, new


def nesterov_old_lookahead(x, grad, buf, lr, momentum):
    old = grad if buf is None else buf
    new = grad.copy() if buf is None else momentum * buf + grad
    return x - lr * (grad + momentum * old), new


def nesterov_direction(direction):
    def step(x, grad, buf, lr, momentum):
        new = grad.copy() if buf is None else momentum * buf + grad
        old = grad if buf is None else buf
        return x - lr * direction(grad, old, new, momentum), new
    return step


def nesterov_sutskever(x, grad, buf, lr, momentum):
    v = np.zeros_like(grad) if buf is None else buf
    v = momentum * v - lr * grad
    return x + momentum * v - lr * grad, v


def nesterov_ema(x, grad, buf, lr, momentum):
    new = grad.copy() if buf is None else momentum * buf + (1 - momentum) * grad
    return x - lr * (grad + momentum * new), new


def nesterov_vectors_only(x, grad, buf, lr, momentum):
    new, out = np.zeros(len(x)), np.zeros(len(x))
    for i in range(len(x)):
        new[i] = grad[i] if buf is None else momentum * buf[i] + grad[i]
        out[i] = x[i] - lr * (grad[i] + momentum * new[i])
    return out, new


def nesterov_in_place(x, grad, buf, lr, momentum):
    if buf is None:
        buf = grad.copy()
    else:
        buf *= momentum
        buf += grad
    return x - lr * (grad + momentum * buf), buf


def nesterov_aliases_grad(x, grad, buf, lr, momentum):
    new = grad if buf is None else momentum * buf + grad
    return x - lr * (grad + momentum * new), new


def nesterov_zeros_old_lookahead(x, grad, buf, lr, momentum):
    old = np.zeros_like(grad) if buf is None else buf
    new = momentum * old + grad
    return x - lr * (grad + momentum * old), new


RIGHT_NESTEROV = [nesterov_if_else, nesterov_expanded, nesterov_by_library, nesterov_loop]

WRONG_NESTEROV = [
    (lambda *a: _flip(nesterov_if_else, *a), "sign_flipped", "uphill"),
    (lambda x, g, b, lr, mu: nesterov_if_else(x, g, b, 1.0, mu), "lr_missing", "ignores the learning rate"),
    (lambda x, g, b, lr, mu: nesterov_if_else(x, g, b, lr * lr, mu), "lr_twice", "applied twice"),
    (lambda *a: nesterov_if_else(*a)[::-1], "swapped_outputs", "return (x_new, buf_new)"),
    (lambda x, g, b, lr, mu: (nesterov_if_else(x, g, b, lr, mu)[0], b), "returned_old_buffer", "the buf it was given"),
    (lambda x, g, b, lr, mu: nesterov_if_else(x, g, None, lr, mu), "buffer_ignored", "treats every step as the first"),
    (nesterov_heavy_ball, "heavy_ball_step", "heavy-ball step"),
    (nesterov_zeros_old_lookahead, "heavy_ball_step", "looking ahead with the old buffer"),
    (nesterov_aliases_grad, "returned_input", "very array grad"),
    (nesterov_old_lookahead, "lookahead_with_old_buffer", "old buffer"),
    (nesterov_direction(lambda g, old, new, mu: g + new), "lookahead_without_momentum", "scaled by μ"),
    (nesterov_direction(lambda g, old, new, mu: mu * new), "lookahead_without_gradient", "μ·b alone"),
    (nesterov_direction(lambda g, old, new, mu: (1 + mu) * g + mu * old), "expansion_slip",
     "the old buffer's μ was dropped"),
    (lambda x, g, b, lr, mu: (nesterov_if_else(x, g, b, lr, mu)[0], g + mu * nesterov_if_else(x, g, b, lr, mu)[1]),
     "direction_stored_as_buffer", "returned the look-ahead direction"),
    (nesterov_sutskever, "sutskever_form", "Sutskever's Nesterov"),
    (nesterov_ema, "ema_buffer", "exponential moving average"),
    (lambda x, g, b, mu, lr: nesterov_if_else(x, g, b, lr, mu), "lr_momentum_swapped", "(x, grad, buf, lr, momentum)"),
    (lambda *a: (nesterov_if_else(*a)[0], 2 * nesterov_if_else(*a)[1]), "buffer_wrong", "not the direction"),
    (lambda x, g, b, lr, mu: (x - lr * (g + 2 * mu * nesterov_if_else(x, g, b, lr, mu)[1]),
                              nesterov_if_else(x, g, b, lr, mu)[1]), "step_wrong", "the look-ahead direction"),
    (nesterov_in_place, "mutated_input", "changed its input buf in place"),
    (nesterov_vectors_only, "one_d_only", "works on 1-D arrays"),
    (lambda *a: [list(v) for v in nesterov_if_else(*a)], "returned_list", "a list cannot serve"),
]


@pytest.mark.parametrize("impl", RIGHT_NESTEROV)
def test_nesterov_step_accepts(impl, capsys):
    accepts(ex03.check_nesterov_step, impl, capsys, "nesterov_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_NESTEROV)
def test_nesterov_step_rejects(impl, mistake, phrase):
    rejects(ex03.check_nesterov_step, impl, mistake, phrase)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_NESTEROV[:15])
def test_nesterov_step_hidden_cases_name_the_same_mistake(impl, mistake, phrase):
    with pytest.raises(CheckFailed) as info:
        ex03.check_nesterov_step(impl, hidden=True)
    assert info.value.mistake == mistake, str(info.value)


# ---------------------------------------------------------------------------
# largest_stable_lr_momentum
# ---------------------------------------------------------------------------

def stable_momentum_by_bisection(H, momentum):
    lam = eig(H)[-1]

    def stable(lr):
        roots = np.roots([1.0, -(1 + momentum - lr * lam), momentum])
        return np.max(np.abs(roots)) < 1

    low, high = 1e-12, 10.0 / lam
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if stable(mid) else (low, mid)
    return (low + high) / 2


def stable_momentum_by_companion(H, momentum):
    """Bisection on the spectral radius of the 2×2 companion matrix at λ_max."""
    lam = np.max(np.linalg.eigvalsh(np.asarray(H, dtype=float)))
    low, high = 1.0 / lam, 4.0 / lam
    for _ in range(100):
        mid = (low + high) / 2
        step = np.array([[1 + momentum - mid * lam, -momentum], [1.0, 0.0]])
        low, high = (mid, high) if np.max(np.abs(np.linalg.eigvals(step))) < 1 else (low, mid)
    return low


RIGHT_STABLE_MOMENTUM = [
    lambda H, mu: 2 * (1 + mu) / np.linalg.norm(H, 2),
    lambda H, mu: (2 + 2 * mu) / max(np.linalg.eigvalsh(H)),
    stable_momentum_by_bisection,
    stable_momentum_by_companion,
]


def limit_with_shape(H, mu):
    n = H.shape[0]                              # a nested list has no .shape
    return (2 + 2 * mu) / np.linalg.eigvalsh(H)[n - 1]


def limit_in_place(H, mu):
    H = np.asarray(H, dtype=float)
    H /= 1 + mu                                 # changes the caller's array
    return 2 / np.linalg.eigvalsh(H)[-1]


WRONG_STABLE_MOMENTUM = [
    (lambda H, mu: 2 / eig(H)[-1], "momentum_ignored", "plain gradient descent's limit"),
    (lambda H, mu: 2 * (1 - mu) / eig(H)[-1], "effective_step", "effective step"),
    (lambda H, mu: (2 + 2 * mu) / ((1 + 2 * mu) * eig(H)[-1]), "nesterov_limit", "Nesterov's stable range"),
    (lambda H, mu: (1 + np.sqrt(mu)) ** 2 / eig(H)[-1], "discriminant_zero", "the two roots become equal"),
    (lambda H, mu: (1 + mu) / eig(H)[-1], "factor_two", "inside the stable range"),
    (lambda H, mu: (2 + 2 * mu) / eig(H)[0], "smallest_eigenvalue", "smallest eigenvalue"),
    # an eigenvalue picked by position, as from np.linalg.eig's unsorted output (deterministic here:
    # the middle one, which is λ_max only for 2×2 matrices)
    (lambda H, mu: (2 + 2 * mu) / eig(H)[len(eig(H)) // 2], "unsorted_eigenvalues", "no particular order"),
    (lambda H, mu: (2 + 2 * mu) / np.linalg.norm(H), "frobenius_norm", "Frobenius norm"),
    (lambda H, mu: (2 + 2 * mu) / np.trace(H), "trace", "trace of H"),
    (lambda H, mu: eig(H)[-1] / (2 + 2 * mu), "inverted", "shrinks as λ_max grows"),
    (lambda H, mu: (2 + 2 * mu) / np.diag(H).max(), "diagonal_not_eigenvalues", "diagonal"),
    # no known mistake: the property that fails is named
    (lambda H, mu: (2 + 2 * mu) / eig(H)[-1] if mu > 0 else 3 / eig(H)[-1], "mu_zero_not_gd",
     "With μ = 0 heavy ball is gradient descent"),
    (lambda H, mu: 1.7 * (2 + 2 * mu) / eig(H)[-1], "beyond_the_edge", "diverges on this quadratic"),
    (lambda H, mu: 0.7 * (2 + 2 * mu) / eig(H)[-1], "inside_the_edge", "still converges at somewhat larger"),
    (limit_with_shape, "list_not_accepted", "nested list"),
    (limit_in_place, "mutated_input", "changed its input H in place"),
    (lambda H, mu: (2 + 2 * mu) / eig(H), "wrong_shape", "instead of the largest stable learning rate"),
]


@pytest.mark.parametrize("impl", RIGHT_STABLE_MOMENTUM)
def test_largest_stable_lr_momentum_accepts(impl, capsys):
    accepts(ex03.check_largest_stable_lr_momentum, impl, capsys, "largest_stable_lr_momentum", 1)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STABLE_MOMENTUM)
def test_largest_stable_lr_momentum_rejects(impl, mistake, phrase):
    rejects(ex03.check_largest_stable_lr_momentum, impl, mistake, phrase)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STABLE_MOMENTUM[:11])
def test_largest_stable_lr_momentum_hidden_cases_name_the_same_mistake(impl, mistake, phrase):
    """The random hidden matrices (sizes 1-4, κ up to 1000, μ from 0 to 0.99) name it too."""
    with pytest.raises(CheckFailed) as info:
        ex03.check_largest_stable_lr_momentum(impl, hidden=True)
    assert info.value.mistake == mistake, str(info.value)


# ---------------------------------------------------------------------------
# optimal_momentum
# ---------------------------------------------------------------------------

def optimal_from_kappa(H):
    lam = eig(H)
    kappa = lam[-1] / lam[0]
    rate = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    return 4 / (np.sqrt(lam[0]) + np.sqrt(lam[-1])) ** 2, rate ** 2


def optimal_by_solving(H):
    # solve (1 − s)² = ηλ_min and (1 + s)² = ηλ_max for (η, s = √μ)
    a, b = eig(H)[[0, -1]]
    s = (np.sqrt(b) - np.sqrt(a)) / (np.sqrt(b) + np.sqrt(a))
    return float((1 - s) ** 2 / a), float(s * s)


def optimal_by_search(H):
    """Numerical search: the smallest μ for which some η gives every eigenvalue complex (or
    double) roots, i.e. (1 − √μ)²/λ_min ≤ η ≤ (1 + √μ)²/λ_max; then that η."""
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
    a, b = lam[0], lam[-1]

    def feasible(mu):
        return (1 - np.sqrt(mu)) ** 2 / a <= (1 + np.sqrt(mu)) ** 2 / b

    low, high = 0.0, 1.0
    if feasible(0.0):
        return 1.0 / a, 0.0
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (low, mid) if feasible(mid) else (mid, high)
    return (1 + np.sqrt(high)) ** 2 / b, high


RIGHT_OPTIMAL_MOMENTUM = [
    optimal_from_kappa, optimal_by_solving, optimal_by_search,
    lambda H: [4 / (np.sqrt(eig(H)[0]) + np.sqrt(eig(H)[-1])) ** 2, optimal_from_kappa(H)[1]],
]


def optimal_with_shape(H):
    lam = np.linalg.eigvalsh(H)
    return optimal_by_solving(np.diag(lam[[0, H.shape[0] - 1]]))


def unsorted_pair(H):
    # written for 2×2 matrices: the first two eigenvalues, which are the extreme ones only there
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
    return optimal_by_solving(np.diag(lam[:2]))


WRONG_OPTIMAL_MOMENTUM = [
    (lambda H: optimal_from_kappa(H)[::-1], "swapped_outputs", "wrong order"),
    (lambda H: (2 / (eig(H)[0] + eig(H)[-1]), 0.0), "gd_pair", "gradient descent's best step with no momentum"),
    (lambda H: (optimal_from_kappa(H)[0], np.sqrt(optimal_from_kappa(H)[1])), "momentum_not_squared",
     "your momentum is not μ"),
    (lambda H: (optimal_from_kappa(H)[0], ((eig(H)[-1] - eig(H)[0]) / (eig(H)[-1] + eig(H)[0])) ** 2),
     "kappa_not_sqrt", "(κ − 1)/(κ + 1), squared"),
    (lambda H: (optimal_from_kappa(H)[0], (eig(H)[-1] - eig(H)[0]) / (eig(H)[-1] + eig(H)[0])),
     "gd_rate_as_momentum", "gradient descent's best rate"),
    (lambda H: (2 / (eig(H)[0] + eig(H)[-1]), optimal_from_kappa(H)[1]), "gd_optimal_lr",
     "gradient descent's optimum"),
    (lambda H: (4 / (eig(H)[0] + eig(H)[-1]), optimal_from_kappa(H)[1]), "missing_cross_term", "a term missing"),
    (unsorted_pair, "not_extreme_eigenvalues", "no particular order"),
    (lambda H: (2 / (np.sqrt(eig(H)[0]) + np.sqrt(eig(H)[-1])) ** 2, optimal_from_kappa(H)[1]), "lr_wrong",
     "not both double roots"),
    (lambda H: (optimal_from_kappa(H)[0], optimal_from_kappa(H)[1] / 2), "momentum_wrong",
     "with your μ the roots"),
    (lambda H: optimal_from_kappa(np.diag(np.diag(H))), "diagonal_not_eigenvalues", "diagonal"),
    (lambda H: (0.9 * optimal_from_kappa(H)[0], 0.9 * optimal_from_kappa(H)[1]), "pair_slower", "more slowly"),
    (lambda H: (3 * optimal_from_kappa(H)[0], 0.5 * optimal_from_kappa(H)[1]), "pair_diverges", "diverges at your pair"),
    (lambda H: (optimal_from_kappa(H)[0] * 0.5, 1.2), "momentum_out_of_range", "outside [0, 1)"),
    (optimal_with_shape, "list_not_accepted", "nested list"),
    (lambda H: optimal_from_kappa(H)[0], "wrong_type", "instead of a tuple (lr, momentum)"),
]


@pytest.mark.parametrize("impl", RIGHT_OPTIMAL_MOMENTUM)
def test_optimal_momentum_accepts(impl, capsys):
    accepts(ex03.check_optimal_momentum, impl, capsys, "optimal_momentum", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_OPTIMAL_MOMENTUM)
def test_optimal_momentum_rejects(impl, mistake, phrase):
    rejects(ex03.check_optimal_momentum, impl, mistake, phrase)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_OPTIMAL_MOMENTUM[:11])
def test_optimal_momentum_hidden_cases_name_the_same_mistake(impl, mistake, phrase):
    with pytest.raises(CheckFailed) as info:
        ex03.check_optimal_momentum(impl, hidden=True)
    assert info.value.mistake == mistake, str(info.value)


# ---------------------------------------------------------------------------
# momentum_rate
# ---------------------------------------------------------------------------

def rate_by_block_matrix(H, lr, momentum):
    H = np.asarray(H, dtype=float)
    n = len(H)
    eye = np.eye(n)
    T = np.block([[(1 + momentum) * eye - lr * H, -momentum * eye], [eye, np.zeros((n, n))]])
    return float(np.max(np.abs(np.linalg.eigvals(T))))


def rate_by_quadratic_formula(H, lr, momentum):
    worst = 0.0
    for lam in np.linalg.eigvalsh(H):
        b = 1 + momentum - lr * lam
        disc = np.lib.scimath.sqrt(b * b - 4 * momentum)
        worst = max(worst, abs((b + disc) / 2), abs((b - disc) / 2))
    return worst


def rate_by_companion_matrices(H, lr, momentum):
    # the spectral radius of the 2×2 step on each eigen-direction
    return max(np.max(np.abs(np.linalg.eigvals(np.array([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]]))))
               for lam in eig(H))


def rate_by_np_roots(H, lr, momentum):
    rates = []
    for lam in np.linalg.eigvalsh(H):
        rates.append(np.max(np.abs(np.roots([1.0, -(1.0 + momentum - lr * lam), momentum]))))
    return float(max(rates))


RIGHT_MOMENTUM_RATE = [rate_by_block_matrix, rate_by_quadratic_formula, rate_by_companion_matrices,
                       rate_by_np_roots]


def _roots_abs(lam, lr, mu):
    return np.abs(np.roots([1.0, -(1 + mu - lr * lam), mu]))


def rate_with(per_eigenvalue):
    return lambda H, lr, mu: float(max(per_eigenvalue(lam, lr, mu) for lam in eig(H)))


def real_sqrt_np_max(H, lr, mu):
    b = 1 + mu - lr * eig(H)
    disc = np.sqrt(b * b - 4 * mu)                     # NaN where the roots are complex
    return float(np.max(np.maximum(np.abs((b + disc) / 2), np.abs((b - disc) / 2))))


def real_sqrt_python_max(H, lr, mu):
    rates = []
    for lam in eig(H):
        b = 1 + mu - lr * lam
        disc = np.sqrt(b * b - 4 * mu)
        rates.append(max(abs((b + disc) / 2), abs((b - disc) / 2)))
    return float(max(rates))


def clipped(lam, lr, mu):
    b = 1 + mu - lr * lam
    disc = np.sqrt(max(b * b - 4 * mu, 0.0))
    return max(abs((b + disc) / 2), abs((b - disc) / 2))


def abs_disc(lam, lr, mu):
    b = 1 + mu - lr * lam
    disc = np.sqrt(abs(b * b - 4 * mu))
    return max(abs((b + disc) / 2), abs((b - disc) / 2))


def no_abs(lam, lr, mu):
    b = 1 + mu - lr * lam
    if b * b < 4 * mu:
        return np.sqrt(mu)
    disc = np.sqrt(b * b - 4 * mu)
    return max((b + disc) / 2, (b - disc) / 2)


def plus_root(lam, lr, mu):
    b = 1 + mu - lr * lam
    return abs((b + np.lib.scimath.sqrt(b * b - 4 * mu)) / 2)


def rate_with_shape(H, lr, mu):
    return max(np.max(_roots_abs(H[i, i] * 0 + lam, lr, mu)) for i, lam in enumerate(eig(H)))


WRONG_MOMENTUM_RATE = [
    (lambda H, lr, mu: float(np.max(np.abs(1 - lr * eig(H)))), "momentum_ignored", "plain gradient descent's rate"),
    (lambda H, lr, mu: np.sqrt(mu), "sqrt_momentum", "whatever H and η are"),
    (real_sqrt_np_max, "complex_roots_nan", "gave NaN"),
    (real_sqrt_python_max, "complex_roots_nan", "complex roots, which still have a modulus"),
    (rate_with(clipped), "discriminant_clipped", "treated it as 0"),
    (rate_with(abs_disc), "abs_discriminant", "square root of |discriminant|"),
    (rate_with(no_abs), "abs_missing", "not the largest |root|"),
    (rate_with(plus_root), "plus_root_only", "depends on the sign of 1 + μ − ηλ"),
    (rate_with(lambda lam, lr, mu: np.max(np.abs(np.roots([1.0, -(1 + mu - lr * lam), -mu])))), "constant_sign",
     "constant term has the wrong sign"),
    (lambda H, lr, mu: float(np.max(_roots_abs(eig(H)[-1], lr, mu))), "only_lambda_max", "only the largest eigenvalue"),
    (lambda H, lr, mu: float(np.max(_roots_abs(eig(H)[0], lr, mu))), "only_lambda_min", "only the smallest eigenvalue"),
    (lambda H, lr, mu: min(float(np.min(_roots_abs(lam, lr, mu))) for lam in eig(H)), "min_not_max",
     "smallest root modulus"),
    (lambda H, lr, mu: rate_by_quadratic_formula(np.diag(np.diag(H)), lr, mu), "diagonal_not_eigenvalues", "diagonal"),
    (lambda H, lr, mu: rate_by_np_roots(H, lr, mu) if mu > 0 else 0.5, "mu_zero_not_gd",
     "gradient descent's max|1 − ηλ|"),
    (lambda H, lr, mu: 0.5 * rate_by_np_roots(H, lr, mu), "below_sqrt_momentum", "no (η, μ) pair can reach"),
    (lambda H, lr, mu: rate_by_np_roots(H, lr, mu) + 0.5, "reports_divergence", "but heavy ball converges"),
    (lambda H, lr, mu: min(rate_by_np_roots(H, lr, mu), 0.99), "reports_convergence", "but heavy ball diverges"),
    (rate_with_shape, "list_not_accepted", "nested list"),
    (lambda H, lr, mu: complex(rate_by_quadratic_formula(H, lr, mu)), "wrong_dtype", "complex"),
    (lambda H, lr, mu: np.array([np.max(_roots_abs(lam, lr, mu)) for lam in eig(H)]), "wrong_shape",
     "instead of the convergence rate"),
    (lambda H, lr, mu: np.array([rate_by_np_roots(H, lr, mu)]), "one_element_array", ":.4f"),
    (lambda H, lr, mu: float(np.max(1 - lr * eig(H))) if mu == 0 else rate_by_np_roots(H, lr, mu),
     "mu_zero_not_gd", "μ = 0"),
    (lambda H, lr, mu: np.float32(rate_by_np_roots(H, lr, mu)), "wrong_dtype", "float64"),
]


@pytest.mark.parametrize("impl", RIGHT_MOMENTUM_RATE)
def test_momentum_rate_accepts(impl, capsys):
    accepts(ex03.check_momentum_rate, impl, capsys, "momentum_rate", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MOMENTUM_RATE)
def test_momentum_rate_rejects(impl, mistake, phrase):
    rejects(ex03.check_momentum_rate, impl, mistake, phrase)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MOMENTUM_RATE[:12])
def test_momentum_rate_hidden_cases_name_the_same_mistake(impl, mistake, phrase):
    """The random hidden cases (sizes 1-4, κ up to 1000, ηλ_max from 0.2 to 3.8) name it too."""
    with pytest.raises(CheckFailed) as info:
        ex03.check_momentum_rate(impl, hidden=True)
    assert info.value.mistake == mistake, str(info.value)


def test_the_rate_cases_cover_both_regimes_and_both_signs():
    """Issue 9: complex and real roots, 1 + μ − ηλ on both sides of 0, ηλ_max on both sides of 1,
    a rate above 1, and μ = 0 — among the visible cases and again among the hidden ones."""
    for cases in (ex03.MOMENTUM_RATE.cases, ex03.MOMENTUM_RATE.hidden_cases):
        seen = set()
        for case in cases:
            lam = eig(np.asarray(case.args["H"], dtype=float))
            lr, mu = case.args["lr"], case.args["momentum"]
            trace = 1 + mu - lr * lam
            seen |= {"complex" if t * t < 4 * mu else "real" for t in trace}
            seen |= {"negative" if t < 0 else "positive" for t in trace}
            seen.add("h>1" if lr * lam[-1] > 1 else "h<1")
            seen |= {"unstable"} if ex03._momentum_rate(**case.args) > 1 else set()
            seen |= {"mu=0"} if mu == 0 else set()
        assert seen == {"complex", "real", "negative", "positive", "h>1", "h<1", "unstable", "mu=0"}, seen


# ---------------------------------------------------------------------------
# Every part: raising, not implemented, None, NaN, hang
# ---------------------------------------------------------------------------

PARTS = [
    (ex03.check_sgd_momentum_step, ex03.SGD_MOMENTUM_STEP),
    (ex03.check_nesterov_step, ex03.NESTEROV_STEP),
    (ex03.check_largest_stable_lr_momentum, ex03.LARGEST_STABLE_LR_MOMENTUM),
    (ex03.check_optimal_momentum, ex03.OPTIMAL_MOMENTUM),
    (ex03.check_momentum_rate, ex03.MOMENTUM_RATE),
]


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
@pytest.mark.parametrize("impl, mistake", BROKEN_CODE)
def test_every_part_handles_broken_code(check, part, impl, mistake, monkeypatch):
    rejects_broken(check, part, impl, mistake, monkeypatch)


@pytest.mark.parametrize("check, part, nan", [
    (ex03.check_sgd_momentum_step, ex03.SGD_MOMENTUM_STEP, lambda x, g, b, lr, mu, d=0: (x * np.nan, g)),
    (ex03.check_nesterov_step, ex03.NESTEROV_STEP, lambda x, g, b, lr, mu: (x, g * np.nan)),
    (ex03.check_largest_stable_lr_momentum, ex03.LARGEST_STABLE_LR_MOMENTUM, lambda H, mu: np.nan),
    (ex03.check_optimal_momentum, ex03.OPTIMAL_MOMENTUM, lambda H: (np.nan, 0.5)),
    (ex03.check_momentum_rate, ex03.MOMENTUM_RATE, lambda H, lr, mu: float("nan")),
])
def test_every_part_rejects_nan(check, part, nan):
    rejects(check, nan, "not_finite", "NaN" if part.name.endswith("step") else "nan")


def test_points_table_matches_the_parts():
    assert ex03.PARTS == points_table([*PARTS, (ex03.check_heavy_or_nesterov, ex03.HEAVY_OR_NESTEROV)])


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
def test_cases_separate_every_variant_from_the_reference(check, part):
    assert_variants_differ(part)


# ---------------------------------------------------------------------------
# The references agree with the library and with closed forms (independent oracles)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("nesterov, dampening", [(False, 0.0), (False, 0.3), (True, 0.0)])
def test_step_references_match_optim_sgd_over_a_run(nesterov, dampening):
    rng = np.random.default_rng(0)
    x_ref = x_lib = rng.normal(size=(2, 3))
    buf = None
    opt = SGD(lr=0.05, momentum=0.9, dampening=dampening, nesterov=nesterov)
    for _ in range(6):
        grad = rng.normal(size=(2, 3))
        if nesterov:
            x_ref, buf = ex03._nesterov_step(x_ref, grad, buf, 0.05, 0.9)
        else:
            x_ref, buf = ex03._sgd_momentum_step(x_ref, grad, buf, 0.05, 0.9, dampening)
        x_lib = opt.step(x_lib, grad)
        np.testing.assert_allclose(x_ref, x_lib, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(buf, opt.momentum_buffer, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("part", [ex03.SGD_MOMENTUM_STEP, ex03.NESTEROV_STEP], ids=part_id)
def test_step_cases_match_optim_sgd(part):
    """Every visible and hidden step case against lrcourse.optim.SGD (primed with the buffer)."""
    nesterov = part is ex03.NESTEROV_STEP
    for case in [*part.cases, *part.hidden_cases]:
        impl = nesterov_by_library if nesterov else momentum_by_library
        expected = impl(*[v.copy() if isinstance(v, np.ndarray) else v for v in case.args.values()])
        got = part.reference(**case.args)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_step_cases_cover_the_input_space():
    """Issue 9: 1-D to 3-D, first and later steps, dampening ≠ 0 on a first step, μ = 0, η ≠ 1."""
    for part in (ex03.SGD_MOMENTUM_STEP, ex03.NESTEROV_STEP):
        for cases in (part.cases, part.hidden_cases):
            assert {np.ndim(c.args["x"]) for c in cases} == {1, 2, 3}, part.name
            assert {c.args["buf"] is None for c in cases} == {True, False}, part.name
            assert all(c.args["lr"] != 1 for c in cases), part.name
        assert any(c.args["momentum"] == 0 for c in part.cases), part.name
    for cases in (ex03.SGD_MOMENTUM_STEP.cases, ex03.SGD_MOMENTUM_STEP.hidden_cases):
        assert any(c.args["buf"] is None and c.args["dampening"] > 0 for c in cases)
        assert any(c.args["buf"] is not None and c.args["dampening"] > 0 for c in cases)


def _all_matrix_cases(part):
    return [*part.cases, *part.hidden_cases]


def test_quadratic_references_match_closed_forms():
    """The references (Quadratic's numbers, the edge found by bisection) against the lesson's
    closed forms on every case, and μ = 0 reducing to gradient descent's."""
    for case in _all_matrix_cases(ex03.LARGEST_STABLE_LR_MOMENTUM):
        lam, mu = eig(np.asarray(case.args["H"], float)), case.args["momentum"]
        assert ex03._largest_stable_lr_momentum(**case.args) == pytest.approx((2 + 2 * mu) / lam[-1], rel=1e-12)
    for case in _all_matrix_cases(ex03.OPTIMAL_MOMENTUM):
        assert ex03._optimal_momentum(**case.args) == pytest.approx(optimal_from_kappa(case.args["H"]), rel=1e-12)
    for case in _all_matrix_cases(ex03.MOMENTUM_RATE):
        assert ex03._momentum_rate(**case.args) == pytest.approx(rate_by_companion_matrices(**case.args), rel=1e-6)
        if case.args["momentum"] == 0:
            lam = eig(np.asarray(case.args["H"], float))
            assert ex03._momentum_rate(**case.args) == pytest.approx(np.max(np.abs(1 - case.args["lr"] * lam)))


def test_quadratic_cases_cover_the_input_space():
    """Issue 9: rotated H of sizes 1 to 4, κ from 1 to 1000, H = c·I, a nested list of ints, μ = 0."""
    for part in (ex03.LARGEST_STABLE_LR_MOMENTUM, ex03.OPTIMAL_MOMENTUM, ex03.MOMENTUM_RATE):
        cases = _all_matrix_cases(part)
        matrices = [np.asarray(c.args["H"], dtype=float) for c in cases]
        assert {len(H) for H in matrices} == {1, 2, 3, 4}, part.name
        assert any(isinstance(c.args["H"], list) for c in part.cases), part.name
        assert any(not np.allclose(H, np.diag(np.diag(H))) for H in matrices), part.name
        kappas = [eig(H)[-1] / eig(H)[0] for H in matrices]
        assert min(kappas) < 1 + 1e-9 and max(kappas) >= 1000 - 1e-6, part.name
        if part is not ex03.OPTIMAL_MOMENTUM:
            assert any(c.args["momentum"] == 0 for c in part.cases), part.name


def test_the_stability_edge_is_where_runs_start_to_grow():
    """Runs of lrcourse.optim.SGD just inside and just outside the reference's edge."""
    for case in ex03.LARGEST_STABLE_LR_MOMENTUM.cases:
        H = np.asarray(case.args["H"], dtype=float)
        edge, mu = ex03._largest_stable_lr_momentum(**case.args), case.args["momentum"]
        sizes = []
        for lr in (0.98 * edge, 1.02 * edge):
            opt, x = SGD(lr=lr, momentum=mu), np.ones(len(H))
            with np.errstate(all="ignore"):
                for _ in range(2000):
                    x = opt.step(x, H @ x)
                sizes.append(np.sqrt(np.sum(x * x)))
        assert sizes[0] < 1e-2 and not sizes[1] < 1e2, (case.args, sizes)


@pytest.mark.parametrize("eigenvalues, angle", [([1.0, 10.0], None), ([0.5, 4.0], 0.7), ([0.01, 3.0], 2.0)])
def test_quadratic_references_match_the_library(eigenvalues, angle):
    q = Quadratic(eigenvalues, angle=angle)
    H = q.hessian
    lr, mu = ex03._optimal_momentum(H)
    assert lr == pytest.approx(q.optimal_momentum_lr, rel=1e-12)
    assert mu == pytest.approx(q.optimal_momentum, rel=1e-12)
    for eta, beta in [(0.1, 0.5), (lr, mu), (0.02, 0.9), (1.5, 0.3)]:
        assert ex03._momentum_rate(H, eta, beta) == pytest.approx(q.momentum_rate(eta, beta), rel=1e-6)
    limit = ex03._largest_stable_lr_momentum(H, 0.6)
    assert q.momentum_rate(limit * 0.999, 0.6) < 1 < q.momentum_rate(limit * 1.001, 0.6)


_RESULT_LEAKS = ("2 + 2μ", "2+2μ", "(2 + 2μ)", "4/(√", "(√λ_min + √λ_max)", "(√κ − 1)/(√κ + 1)", "is its square",
                 "factor 2", "twice", "half", "z = −1", "z = -1", "−1 into", "1 + 2μ", "(1 + √μ)²", "μ = r²",
                 "r²")


def test_derivation_messages_do_not_state_the_result():
    """Issue 9: a hint for a derivation points to the step, never the result or the factor."""
    for part in (ex03.LARGEST_STABLE_LR_MOMENTUM, ex03.OPTIMAL_MOMENTUM, ex03.MOMENTUM_RATE):
        texts = [m.diagnosis + " " + m.hint for m in part.mistakes] + [part.wrong_hint]
        for text in texts:
            for leak in _RESULT_LEAKS:
                assert leak not in text, (part.name, leak, text)


def test_the_notebook_instructions_do_not_state_the_results():
    """The exercise's own text (instructions and hints of parts 3-5) gives steps, not results."""
    import json
    from pathlib import Path
    source = Path(__file__).parents[1] / "exercises" / "source" / "03_momentum" / "03_momentum.ipynb"
    cells = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
             for c in json.loads(source.read_text())["cells"]}
    for part in ("part3", "part4", "part5"):
        for leak in _RESULT_LEAKS + ("ρ = ", "rate (√κ", "= 2√μ", "= −2√μ", "√μ and"):
            assert leak not in cells[part], (part, leak)


# ---------------------------------------------------------------------------
# ---------------------------------------------------------------------------
# Part 6: heavy_or_nesterov (graded multiple choice, settled by computation)
# ---------------------------------------------------------------------------

def answer(value):
    return lambda: value


RIGHT_CHOICE = [answer("AB"), answer("b a"), answer(["A", "B"]), answer({"a", "b"})]

WRONG_CHOICE = [
    # the answer a mistaken picture of the two methods predicts: that picture is named
    (answer("DE"), "nesterov_same_map", "heavy ball's 2×2 map"),
    (answer("CDE"), "methods_swapped", "swapped"),
    # anything else: one neutral message, no letter, no topic, no count
    (answer("B"), "wrong_choice", "not exactly the true statements"),
    (answer(""), "wrong_choice", "sections 4 and 7"),
    (answer("A"), "wrong_choice", "parts 3–5"),
    (answer("AE"), "wrong_choice", "every statement"),
    (answer("ABC"), "wrong_choice", "not exactly the true statements"),
    (answer("ABD"), "wrong_choice", "not exactly the true statements"),
    (answer("ABE"), "wrong_choice", "not exactly the true statements"),
    (answer("ABCDE"), "wrong_choice", "not exactly the true statements"),
    (answer("BDE"), "wrong_choice", "not exactly the true statements"),
    (answer("ABB"), "repeated_letter", "more than once"),
    (answer(("B", "A", "B")), "repeated_letter", "more than once"),
    (answer("A;B"), "unknown_option", "';'"),
    (answer(None), "returned_none", "None"),
    (answer(2), "wrong_type", "string of option letters"),
]


@pytest.mark.parametrize("impl", RIGHT_CHOICE)
def test_heavy_or_nesterov_accepts(impl, capsys):
    accepts(ex03.check_heavy_or_nesterov, impl, capsys, "heavy_or_nesterov", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_CHOICE)
def test_heavy_or_nesterov_rejects(impl, mistake, phrase):
    message = rejects(ex03.check_heavy_or_nesterov, impl, mistake, phrase)
    assert "'AB'" not in message and '"AB"' not in message, message
    if mistake == "wrong_choice":
        neutral = rejects(ex03.check_heavy_or_nesterov, answer("A"), mistake, "")
        assert message.split("\n", 1)[1] == neutral.split("\n", 1)[1]
        assert "leaves out" not in message and "chose" not in message


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE)
def test_heavy_or_nesterov_handles_broken_code(impl, mistake, monkeypatch):
    rejects_broken(ex03.check_heavy_or_nesterov, ex03.HEAVY_OR_NESTEROV, impl, mistake, monkeypatch)


def test_the_choice_answer_is_what_the_library_and_runs_give():
    """A and B true, C, D, E false: from the library's rates (Quadratic.momentum_rate with
    nesterov=True, an independent closed form) and from runs of lrcourse.optim.SGD."""
    q = Quadratic([1.0, 100.0])
    mu = ex03.CHOICE_MOMENTUM
    assert q.momentum_rate(0.035, mu) < 1 < q.momentum_rate(0.035, mu, nesterov=True)          # A
    assert q.momentum_rate(0.01, mu, nesterov=True) < q.momentum_rate(0.01, mu)                # B
    grid = [(lr, m) for lr in np.linspace(1e-3, 0.05, 99) for m in np.linspace(0, 0.99, 45)]
    best_heavy = min(q.momentum_rate(lr, m) for lr, m in grid)
    best_nesterov = min(q.momentum_rate(lr, m, nesterov=True) for lr, m in grid)
    assert best_heavy < best_nesterov                                                         # not C
    assert q.momentum_rate(q.optimal_momentum_lr, q.optimal_momentum, nesterov=True) > 1      # not D
    limits = [max(lr for lr in np.linspace(1e-4, 0.05, 2000) if q.momentum_rate(lr, m, nesterov=True) < 1)
              for m in (0.0, mu)]
    assert limits[1] < limits[0]                                                              # not E
    for lr, nesterov, grows in [(0.035, False, False), (0.035, True, True)]:
        opt, x = SGD(lr=lr, momentum=mu, nesterov=nesterov), np.ones(2)
        for _ in range(100):
            x = opt.step(x, q.hessian @ x)
        assert (np.linalg.norm(x) > 1e3) == grows
    assert ex03.choice_truths() == ex03._CHOICE_RIGHT


def test_the_part6_rates_match_the_library():
    q = Quadratic([1.0, 100.0])
    for lr, mu in [(0.01, 0.9), (0.035, 0.9), (0.02, 0.5), (0.001, 0.0)]:
        assert ex03.heavy_ball_rate(lr, mu) == pytest.approx(q.momentum_rate(lr, mu), rel=1e-9)
        assert ex03.nesterov_rate(lr, mu) == pytest.approx(q.momentum_rate(lr, mu, nesterov=True), rel=1e-9)


def test_the_choice_models_predict_distinct_answers():
    answers = [ex03._model_truths(*rates) for rates, *_ in ex03._CHOICE_MODELS]
    assert len(set(answers)) == len(answers) and ex03._CHOICE_RIGHT not in answers


def test_choice_messages_never_give_the_answer():
    texts = [d + h for _, _, d, h in ex03._CHOICE_MODELS]
    texts += [str(ex03._grade_choice(frozenset("A")))]
    for text in texts:
        for leak in ("is true", "is false", "0.0136", "1.357", "(2 + 2μ)/(1 + 2μ)", "0.885", "0.818"):
            assert leak not in text, (leak, text)
