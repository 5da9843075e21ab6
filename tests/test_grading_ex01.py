"""Exercise 01's checks: right answers written differently pass, common mistakes are named.

Every wrong implementation below is one a learner could write; the check must reject
it with the expected diagnosis (``CheckFailed.mistake``) and a message in the
lesson's terms (a phrase of it is asserted too).
"""

import dataclasses
import math

import numpy as np
import pytest
from grading_support import (
    BROKEN_CODE, accepts, assert_variants_differ, eig, nan_mistake, part_id, points_table, rejects,
    rejects_broken, returns_nan,
)

from lrcourse.grading import ex01
from lrcourse.problems import Quadratic


# ---------------------------------------------------------------------------
# gd_step
# ---------------------------------------------------------------------------

def gd_step_loop(x, grad, lr):
    out = np.empty_like(x)
    for index in np.ndindex(x.shape):
        out[index] = x[index] - lr * grad[index]
    return out


def gd_step_in_place(x, grad, lr):
    x -= lr * grad
    return x


RIGHT_GD_STEP = [
    lambda x, grad, lr: x - lr * grad,
    gd_step_loop,
    lambda x, grad, lr: np.subtract(x, np.multiply(grad, lr)),
    lambda x, grad, lr: (x / lr - grad) * lr,   # equivalent up to rounding
]

WRONG_GD_STEP = [
    (lambda x, grad, lr: x + lr * grad, "sign_flipped", "moves uphill"),
    (lambda x, grad, lr: x - grad, "lr_missing", "ignores the learning rate"),
    (lambda x, grad, lr: x - lr * lr * grad, "lr_twice", "applied twice"),
    (gd_step_in_place, "mutated_input", "changed its input x in place"),
    (lambda x, grad, lr: -lr * grad, "returned_step", "instead of the new parameters"),
    (lambda x, grad, lr: x.copy(), "unchanged", "unchanged"),
    (lambda x, grad, lr: float(np.sum(x - lr * grad)), "wrong_shape", "shape of x"),
    (lambda x, grad, lr: None, "returned_none", "forget the `return`"),
    (lambda x, grad, lr: (x - lr * grad).astype(np.float32), "wrong_dtype", "float64"),
    (lambda x, grad, lr: x - lr * grad.T, "raised", "ValueError"),
    (lambda x, grad, lr: x - lr * grad * np.nan, "not_finite", "NaN"),
    (lambda x, grad, lr: x - grad / lr, "lr_divides", "divides the gradient by η"),
    (lambda x, grad, lr: np.round(x - lr * grad, 3), "rounded", "rounded"),
    (lambda x, grad, lr: list(x - lr * grad), "returned_list", "lr * list raises"),
    (lambda x, grad, lr: (x - lr * grad).tolist(), "returned_list", "Python list"),
    (lambda x, grad, lr: (x - lr * grad, grad), "returned_tuple", "tuple of 2 arrays"),
]


@pytest.mark.parametrize("impl", RIGHT_GD_STEP)
def test_gd_step_accepts(impl, capsys):
    accepts(ex01.check_gd_step, impl, capsys, "gd_step", 1)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_GD_STEP)
def test_gd_step_rejects(impl, mistake, phrase):
    rejects(ex01.check_gd_step, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# gradient_descent
# ---------------------------------------------------------------------------

def gd_preallocated(grad_fn, x0, lr, steps):
    xs = np.zeros((steps + 1, len(x0)))
    xs[0] = x0
    for k in range(steps):
        xs[k + 1] = xs[k] - lr * grad_fn(xs[k])
    return xs


def gd_list(grad_fn, x0, lr, steps):
    x, points = x0, [x0]
    for _ in range(steps):
        x = x - lr * grad_fn(x)
        points.append(x)
    return points  # a list of arrays: refused (trajectory[:, k] fails on it)


def gd_stacked(grad_fn, x0, lr, steps):
    points = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        points.append(points[-1] - lr * grad_fn(points[-1]))
    return np.stack(points)


def gd_dtype_of_x0(grad_fn, x0, lr, steps):
    xs = np.zeros((steps + 1, len(x0)), dtype=x0.dtype)   # ints when x0 holds ints
    xs[0] = x0
    for k in range(steps):
        xs[k + 1] = xs[k] - lr * grad_fn(xs[k])
    return xs


def gd_int_copy_in_place(grad_fn, x0, lr, steps):
    x, points = x0.copy(), [x0.copy()]
    for _ in range(steps):
        x -= lr * grad_fn(x)          # cannot store floats in a copy of an int x0
        points.append(x.copy())
    return np.array(points)


def gd_while(grad_fn, x0, lr, steps):
    points, k = [x0.copy()], 0
    while k < steps:
        points.append(points[-1] - lr * grad_fn(points[-1]))
        k += 1
    return np.vstack(points)


def gd_same_array(grad_fn, x0, lr, steps):
    x = np.array(x0, dtype=float)
    points = [x]
    for _ in range(steps):
        x -= lr * grad_fn(x)
        points.append(x)
    return np.array(points)


def gd_mutates_x0(grad_fn, x0, lr, steps):
    points = [x0.copy()]
    for _ in range(steps):
        x0 -= lr * grad_fn(x0)
        points.append(x0.copy())
    return np.array(points)


def gd_without_x0(grad_fn, x0, lr, steps):
    x, points = x0, []
    for _ in range(steps):
        x = x - lr * grad_fn(x)
        points.append(x)
    return np.array(points) if points else np.empty((0, len(x0)))


def gd_one_short(grad_fn, x0, lr, steps):
    return gd_preallocated(grad_fn, x0, lr, steps)[:-1]


def gd_one_too_many(grad_fn, x0, lr, steps):
    return gd_preallocated(grad_fn, x0, lr, steps + 1)


def gd_stale(grad_fn, x0, lr, steps):
    g = grad_fn(x0)
    points = [x0]
    for _ in range(steps):
        points.append(points[-1] - lr * g)
    return np.array(points)


def gd_from_x0_each_step(grad_fn, x0, lr, steps):
    points = [x0]
    for _ in range(steps):
        points.append(x0 - lr * grad_fn(x0))   # x0 where the last point belongs
    return np.array(points)


def gd_forever(grad_fn, x0, lr, steps):
    points, k = [x0], 0
    while k != steps + 0.5:  # never true
        points.append(points[-1] - lr * grad_fn(points[-1]))
        k += 1
        if len(points) > 1000:
            points = points[-2:]
    return np.array(points)


RIGHT_GRADIENT_DESCENT = [gd_preallocated, gd_stacked, gd_while]

WRONG_GRADIENT_DESCENT = [
    (lambda g, x0, lr, n: gd_preallocated(lambda x: -g(x), x0, lr, n), "sign_flipped", "uphill"),
    (lambda g, x0, lr, n: gd_preallocated(g, x0, 1.0, n), "lr_missing", "ignore the learning rate"),
    (lambda g, x0, lr, n: gd_preallocated(g, x0, lr * lr, n), "lr_twice", "applied twice"),
    (gd_same_array, "same_array_every_row", "same point"),
    (gd_mutates_x0, "mutated_input", "changed its input x0 in place"),
    (gd_without_x0, "missing_x0", "leaves out the starting point"),
    (gd_one_short, "one_step_short", "one step short"),
    (gd_one_too_many, "one_step_too_many", "one row too many"),
    (gd_stale, "stale_gradient", "gradient at x0"),
    (lambda g, x0, lr, n: gd_preallocated(g, x0, lr, n)[-1], "final_point_only", "only the last point"),
    (lambda g, x0, lr, n: np.tile(x0.astype(float), (n + 1, 1)), "unchanged", "never moves"),
    (lambda g, x0, lr, n: gd_preallocated(g, x0, lr, n).astype(int), "wrong_dtype", "integers"),
    (gd_from_x0_each_step, "every_step_from_x0", "starts again from x0"),
    (lambda g, x0, lr, n: gd_preallocated(g, x0, lr, n).T, "transposed", "transposed"),
    (gd_list, "returned_list", "trajectory[:, k]"),
    (gd_dtype_of_x0, "wrong_dtype", "integers"),
    (gd_int_copy_in_place, "int_x0_raises", "np.array(x0, dtype=float)"),
]


@pytest.mark.parametrize("impl", RIGHT_GRADIENT_DESCENT)
def test_gradient_descent_accepts(impl, capsys):
    accepts(ex01.check_gradient_descent, impl, capsys, "gradient_descent", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_GRADIENT_DESCENT)
def test_gradient_descent_rejects(impl, mistake, phrase):
    rejects(ex01.check_gradient_descent, impl, mistake, phrase)


def test_gradient_descent_that_never_stops_is_stopped(monkeypatch):
    monkeypatch.setattr(ex01.GRADIENT_DESCENT, "time_limit", 0.3)
    rejects(ex01.check_gradient_descent, gd_forever, "timeout", "did not return within 0.3 s")


# ---------------------------------------------------------------------------
# largest_stable_lr, optimal_lr, contraction_rate
# ---------------------------------------------------------------------------

def stable_by_power_iteration(H):
    H = np.asarray(H, dtype=float)
    v = np.ones(len(H))
    for _ in range(3000):
        v = H @ v
        v /= np.linalg.norm(v)
    return 2.0 / (v @ H @ v)


def stable_with_shape(H):
    H = np.array(H)
    return 2.0 / np.linalg.eigvalsh(H.reshape(H.shape))[-1]


def stable_needs_an_array(H):
    return 2.0 / np.linalg.eigvalsh(H)[H.shape[0] - 1]   # H.shape: a list has none


RIGHT_LARGEST_STABLE_LR = [
    lambda H: 2.0 / np.max(np.linalg.eigvalsh(H)),
    lambda H: 2.0 / np.linalg.norm(np.asarray(H), 2),
    lambda H: float(2.0 / np.max(np.real(np.linalg.eigvals(H)))),
    stable_by_power_iteration,
    stable_with_shape,
]

WRONG_LARGEST_STABLE_LR = [
    (lambda H: 2.0 / eig(H)[0], "smallest_eigenvalue", "smallest eigenvalue"),
    (lambda H: 2.0 / np.max(np.diag(H)), "largest_entry", "diagonal entries"),
    (lambda H: 2.0 / np.max(H), "largest_entry", "largest entry of H"),
    (lambda H: 2.0 / (eig(H)[0] + eig(H)[-1]), "optimal_step", "best fixed step of part 4"),
    (lambda H: 2.0 / np.linalg.eigvalsh(H)[-1:], "one_element_array", ":.4f"),
    (lambda H: np.float32(2.0 / eig(H)[-1]), "wrong_dtype", "float64"),
    (lambda H: 2.0 / np.linalg.eigvalsh(np.squeeze(np.asarray(H, dtype=float)))[-1], "raised",
     "LinAlgError"),                                        # 1 × 1 H squeezed to a number
    (lambda H: 2.1 / eig(H)[-1], "unstable_rate", "diverges"),
    (lambda H: 1.9 / eig(H)[-1], "not_largest", "not the largest stable one"),
    (lambda H: 1.0 / eig(H)[-1], "one_over_lambda_max", "not the largest stable one"),
    (lambda H: eig(H)[-1] / 2.0, "inverted", "grows with the curvature"),
    (lambda H: 2.0 / np.linalg.norm(H), "frobenius_norm", "Frobenius"),
    (lambda H: 2.0 / np.trace(H), "trace", "trace"),
    (lambda H: 2.0 / eig(H)[len(H) // 2], "other_eigenvalue", "not the one that breaks"),
    (lambda H: 2.0 / np.abs(np.asarray(H)).sum(axis=1).max(), "row_sum_bound", "row sum"),
    (stable_needs_an_array, "list_not_accepted", "list of rows"),
    (lambda H: 2.0 / eig(H), "wrong_shape", "instead of the largest stable learning rate"),
    (lambda H: 2.0 / np.linalg.eig(H)[0].astype(complex).max(), "wrong_dtype", "eigvalsh"),
]


@pytest.mark.parametrize("impl", RIGHT_LARGEST_STABLE_LR)
def test_largest_stable_lr_accepts(impl, capsys):
    accepts(ex01.check_largest_stable_lr, impl, capsys, "largest_stable_lr", 1)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_LARGEST_STABLE_LR)
def test_largest_stable_lr_rejects(impl, mistake, phrase):
    rejects(ex01.check_largest_stable_lr, impl, mistake, phrase)


def optimal_by_search(H):
    lam = eig(H)

    def worst(eta):
        return max(abs(1 - eta * lam[0]), abs(1 - eta * lam[-1]))
    # the worst factor is convex in η: ternary search on [0, 2/λ_max]
    low, high = 0.0, 2.0 / lam[-1]
    for _ in range(300):
        a, b = low + (high - low) / 3, high - (high - low) / 3
        if worst(a) > worst(b):
            low = a
        else:
            high = b
    return (low + high) / 2


RIGHT_OPTIMAL_LR = [
    lambda H: 2.0 / (eig(H).min() + eig(H).max()),
    lambda H: 1.0 / np.mean(eig(H)[[0, -1]]),
    optimal_by_search,
    lambda H: Quadratic(eig(H)).optimal_lr,   # only the eigenvalues matter
]

WRONG_OPTIMAL_LR = [
    (lambda H: 2.0 / eig(H)[-1], "stability_limit", "largest stable step"),
    (lambda H: 1.0 / eig(H)[-1], "one_over_lambda_max", "vanishes in one step"),
    (lambda H: 1.0 / eig(H)[0], "one_over_lambda_min", "flattest direction would vanish"),
    (lambda H: 1.0 / (eig(H)[0] + eig(H)[-1]), "factor_two", "constant multiple"),
    (lambda H: 2.0 / (eig(H)[-1] - eig(H)[0]), "difference", "λ_max − λ_min"),
    (lambda H: 2.0 / np.trace(H), "trace", "trace"),
    (lambda H: 1.0 / np.mean(eig(H)), "mean_eigenvalue", "mean of all the eigenvalues"),
    (lambda H: (1 / eig(H)[0] + 1 / eig(H)[-1]) / 2, "average_of_own_steps", "averaged"),
    (lambda H: 2.0 / (np.diag(H).min() + np.diag(H).max()), "diagonal_not_eigenvalues", "diagonal"),
    (lambda H: 2.0 / (np.min(H) + np.max(H)), "steep_direction_slower", "most curved"),
    (lambda H: 2.0 / (eig(H)[0] + eig(H)[-1]) * np.ones(1), "one_element_array", ":.4f"),
    (lambda H: 1.9 / (eig(H)[0] + eig(H)[-1]), "flat_direction_slower", "flattest"),
    (lambda H: 2.0 / (eig(H)[0] + eig(H)[H.shape[0] - 1]), "list_not_accepted", "np.asarray"),
]


@pytest.mark.parametrize("impl", RIGHT_OPTIMAL_LR)
def test_optimal_lr_accepts(impl, capsys):
    accepts(ex01.check_optimal_lr, impl, capsys, "optimal_lr", 1)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_OPTIMAL_LR)
def test_optimal_lr_rejects(impl, mistake, phrase):
    rejects(ex01.check_optimal_lr, impl, mistake, phrase)


def rate_by_iteration_matrix(H, lr):
    H = np.asarray(H, dtype=float)
    return float(np.max(np.abs(np.linalg.eigvals(np.eye(len(H)) - lr * H))))


def rate_by_loop(H, lr):
    worst = 0.0
    for lam in np.linalg.eigvalsh(H):
        factor = 1 - lr * lam
        worst = max(worst, factor if factor > 0 else -factor)
    return worst


def rate_from_extremes(H, lr):
    lam = np.linalg.eigvalsh(H)
    return max(1 - lr * lam[0], lr * lam[-1] - 1)   # the two candidates of lesson 01, section 4


RIGHT_CONTRACTION_RATE = [
    rate_by_iteration_matrix,
    rate_by_loop,
    lambda H, lr: np.linalg.norm(np.eye(len(H)) - lr * np.asarray(H), 2),  # symmetric: spectral norm
    rate_from_extremes,
]

WRONG_CONTRACTION_RATE = [
    (lambda H, lr: float(np.max(1 - lr * eig(H))), "missing_abs", "with its sign"),
    (lambda H, lr: float(np.max(lr * eig(H) - 1)), "large_step_formula_only", "large steps only"),
    (lambda H, lr: abs(1 - lr * eig(H)[-1]), "only_lambda_max", "only the largest eigenvalue"),
    (lambda H, lr: abs(1 - lr * eig(H)[0]), "only_lambda_min", "only the smallest eigenvalue"),
    (lambda H, lr: float(np.min(np.abs(1 - lr * eig(H)))), "min_not_max", "fastest direction"),
    (lambda H, lr: float(np.max((1 - lr * eig(H)) ** 2)), "squared_factor", "square of the worst"),
    (lambda H, lr: float(np.max(np.abs(eig(1 - lr * np.asarray(H))))), "ones_not_identity",
     "matrix of ones"),
    (lambda H, lr: np.linalg.norm(np.eye(len(H)) - lr * np.asarray(H)), "frobenius_norm", "Frobenius"),
    (lambda H, lr: (eig(H)[-1] / eig(H)[0] - 1) / (eig(H)[-1] / eig(H)[0] + 1), "optimal_rate_only",
     "best step only"),
    (lambda H, lr: float(np.max(np.abs(1 - lr * np.diag(H)))), "diagonal_not_eigenvalues", "diagonal"),
    (lambda H, lr: float(np.max(np.abs(np.linalg.eigvalsh(np.eye(len(H)) - lr * H)))),
     "list_not_accepted", "list of rows"),
    (lambda H, lr: np.abs(1 - lr * eig(H)), "wrong_shape", "instead of the contraction rate"),
    (lambda H, lr: float(np.max(np.abs(1 - lr * eig(H)[:2]))), "rate_too_small", "left out"),
    (lambda H, lr: float(np.max(np.abs(1 - lr * eig(H)[-2:]))), "rate_too_small", "some direction"),
    (lambda H, lr: float(max(abs(1 - lr * eig(H)[0]), abs(1 - lr * np.linalg.eigvals(H)[-1]))),
     "rate_too_small", "no particular order"),
    (lambda H, lr: float(np.max(np.abs(1 - lr * np.sqrt(eig(H))))), "rate_too_small", "some direction"),
    (lambda H, lr: float(np.max(np.abs(1 - lr * eig(H)))) * np.ones((1, 1)), "one_element_array", ":.4f"),
]


@pytest.mark.parametrize("impl", RIGHT_CONTRACTION_RATE)
def test_contraction_rate_accepts(impl, capsys):
    accepts(ex01.check_contraction_rate, impl, capsys, "contraction_rate", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_CONTRACTION_RATE)
def test_contraction_rate_rejects(impl, mistake, phrase):
    rejects(ex01.check_contraction_rate, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# divergence_step
# ---------------------------------------------------------------------------

def _terms(H, lr, x0):
    """(shares ½λz², per-step factors (1 − ηλ)²) of each direction, from eigh."""
    lam, Q = np.linalg.eigh(np.asarray(H, dtype=float))
    z = Q.T @ x0
    return 0.5 * lam * z**2, (1 - lr * lam) ** 2


def _loss_ratio(shares, factors):
    return lambda t: np.sum(shares * factors**t) / np.sum(shares)


def divergence_by_bisection(H, lr, x0, threshold):
    shares, factors = _terms(H, lr, x0)
    if not np.any((shares > 0) & (factors > 1)):
        return math.inf
    ratio = _loss_ratio(shares, factors)
    high = 1
    while ratio(high) <= threshold:
        high *= 2
    low = 0
    while high - low > 1:
        mid = (low + high) // 2
        if ratio(mid) > threshold:
            high = mid
        else:
            low = mid
    return high


def divergence_by_walking(H, lr, x0, threshold):
    """Start from the top direction's log estimate, then walk to the first step above."""
    shares, factors = _terms(H, lr, x0)
    grows = (shares > 0) & (factors > 1)
    if not grows.any():
        return float("inf")
    ratio = _loss_ratio(shares, factors)
    top = np.argmax(np.where(grows, factors, 0))
    t = max(1, math.ceil(math.log(threshold * shares.sum() / shares[top]) / math.log(factors[top])))
    while t > 1 and ratio(t - 1) > threshold:
        t -= 1
    while ratio(t) <= threshold:
        t += 1
    return t


def divergence_in_logs(H, lr, x0, threshold):
    """log f(x_t) with logaddexp, bisection on a float t then rounding."""
    shares, factors = _terms(H, lr, x0)
    keep = shares > 0
    if not np.any(factors[keep] > 1):
        return math.inf
    logs, rates = np.log(shares[keep]), np.log(factors[keep])
    level = math.log(threshold) + np.logaddexp.reduce(logs)

    def above(t):
        return np.logaddexp.reduce(logs + t * rates) > level
    high = 1.0
    while not above(high):
        high *= 2
    low = 0.0
    while high - low > 1:
        mid = math.floor((low + high) / 2)
        low, high = (low, mid) if above(mid) else (mid, high)
    return int(high)


RIGHT_DIVERGENCE_STEP = [divergence_by_bisection, divergence_by_walking, divergence_in_logs]


def _with(shares_fn=None, level_fn=None, factor_fn=None, never=math.inf, limit=None):
    """divergence_by_bisection with one piece replaced (a learner's mistaken model)."""
    def wrong(H, lr, x0, threshold):
        lam, Q = np.linalg.eigh(np.asarray(H, dtype=float))
        z = Q.T @ x0
        shares = shares_fn(lam, z) if shares_fn else 0.5 * lam * z**2
        factors = factor_fn(1 - lr * lam) if factor_fn else (1 - lr * lam) ** 2
        level = level_fn(threshold, shares) if level_fn else threshold * shares.sum()
        if not np.any((shares > 0) & (factors > 1)):
            return never
        high = 1
        while np.sum(shares * factors**high) <= level:
            high *= 2
            if limit and high > limit:
                return math.inf
        low = 0
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (low, mid) if np.sum(shares * factors**mid) > level else (mid, high)
        return high
    return wrong


def divergence_whole_loss(H, lr, x0, threshold):
    rho = np.max(np.abs(1 - lr * np.linalg.eigvalsh(H)))
    return math.inf if rho <= 1 else math.ceil(math.log(threshold) / (2 * math.log(rho)))


def divergence_top_direction(H, lr, x0, threshold, rounded=True):
    shares, factors = _terms(H, lr, x0)
    grows = (shares > 0) & (factors > 1)
    if not grows.any():
        return math.inf
    top = np.argmax(np.where(grows, factors, 0))
    t = math.log(threshold * shares.sum() / shares[top]) / math.log(factors[top])
    return math.ceil(t) if rounded else t


def divergence_simulated(H, lr, x0, threshold):
    H = np.asarray(H, dtype=float)
    f0, x, t = 0.5 * x0 @ H @ x0, x0.copy(), 0
    if np.all(np.abs(1 - lr * np.linalg.eigvalsh(H)) <= 1) or f0 == 0:
        return math.inf
    while 0.5 * x @ H @ x <= threshold * f0:
        x, t = x - lr * H @ x, t + 1
    return t


def divergence_diagonal(H, lr, x0, threshold):
    lam = np.diag(np.asarray(H, dtype=float))
    shares, factors = 0.5 * lam * x0**2, (1 - lr * lam) ** 2
    return _with()(np.diag(lam), lr, x0, threshold) if np.any(shares > 0) else math.inf


def divergence_ge(H, lr, x0, threshold):
    """Bisection on f(x_t) ≥ threshold · f(x₀): a loss equal to the threshold counts."""
    shares, factors = _terms(H, lr, x0)
    if not np.any((shares > 0) & (factors > 1)):
        return math.inf
    ratio = _loss_ratio(shares, factors)
    high = 1
    while ratio(high) < threshold:
        high *= 2
    low = 0
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if ratio(mid) >= threshold else (mid, high)
    return high


def divergence_ceil(H, lr, x0, threshold):
    """The walk of divergence_by_walking, from math.ceil of the log estimate, without the walk
    back (exact on one direction, except at a tie, where ceil lands on the equal step)."""
    shares, factors = _terms(H, lr, x0)
    grows = (shares > 0) & (factors > 1)
    if not grows.any():
        return math.inf
    ratio = _loss_ratio(shares, factors)
    top = np.argmax(np.where(grows, factors, 0))
    t = max(1, math.ceil(math.log(threshold * shares.sum() / shares[top]) / math.log(factors[top])))
    while t > 1 and ratio(t - 1) >= threshold:
        t -= 1
    while ratio(t) < threshold:
        t += 1
    return t


def divergence_max_rate_only(H, lr, x0, threshold):
    """'Never' only when no factor grows at all: x₀ with no share along the growing direction
    makes the search run for ever."""
    shares, factors = _terms(H, lr, x0)
    if np.max(factors) <= 1:
        return math.inf
    ratio = _loss_ratio(shares, factors)
    high = 1
    while not ratio(high) > threshold:    # for ever on a never-run: overflows after ~1000 doublings
        high *= 2
    low = 0
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if ratio(mid) > threshold else (mid, high)
    return high


WRONG_DIVERGENCE_STEP = [
    (_with(lambda lam, z: z**2, lambda T, s: T**2 * s.sum()), "tracked_distance", "distance"),
    (_with(lambda lam, z: z**2), "unweighted_directions", "weighs every direction alike"),
    (_with(factor_fn=np.abs), "factor_not_squared", "how the distance"),
    (divergence_whole_loss, "share_ignored", "starting from its share"),
    (divergence_top_direction, "fastest_direction_only", "fastest-growing direction alone"),
    (lambda *a: divergence_by_bisection(*a) + 1, "one_step_late", "one too late"),
    (lambda *a: divergence_by_bisection(*a) - 1, "one_step_early", "one too early"),
    (lambda *a: divergence_top_direction(*a, rounded=False), "not_rounded_up", "not whole"),
    (lambda *a: divergence_by_bisection(*a) + 0.5, "not_whole", "not whole"),
    (_with(never=-1), "never_as_a_number", "math.inf"),
    (_with(never=10**9), "never_is_finite", "which terms can grow"),
    (_with(limit=10**6), "gave_up", "gives up too early"),
    (divergence_diagonal, "diagonal_not_eigenvalues", "diagonal entries"),
    (lambda H, lr, x0, T: divergence_by_bisection(H[:H.shape[0]], lr, x0, T), "list_not_accepted", "list of rows"),
    (_with(never=None), "returned_none", "math.inf"),
    (lambda *a: str(divergence_by_bisection(*a)), "wrong_type", "instead of the step number"),
    (divergence_ge, "one_step_early", "at most equal"),
    (divergence_ceil, "one_step_early", "strictly above"),
    (divergence_max_rate_only, "never_not_detected", "which directions' terms grow"),
    (lambda *a: np.array([divergence_by_bisection(*a)]), "one_element_array", ":.4f"),
]


@pytest.mark.parametrize("impl", RIGHT_DIVERGENCE_STEP)
def test_divergence_step_accepts(impl, capsys):
    accepts(ex01.check_divergence_step, impl, capsys, "divergence_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_DIVERGENCE_STEP)
def test_divergence_step_rejects(impl, mistake, phrase):
    rejects(ex01.check_divergence_step, impl, mistake, phrase)


def test_divergence_step_simulated_is_told_to_predict(monkeypatch):
    monkeypatch.setattr(ex01.DIVERGENCE_STEP, "time_limit", 0.3)
    message = rejects(ex01.check_divergence_step, divergence_simulated, "simulated", "too many to simulate")
    assert "closed form" in message


def test_divergence_step_reference_agrees_with_runs():
    """Below 10⁴ steps every case's reference is the step at which the library's run
    (divergence_factor = threshold) stops; 'never' runs never stop in 3000 steps."""
    from lrcourse.optim import SGD
    from lrcourse.train import run

    part = ex01.DIVERGENCE_STEP
    checked = 0
    for case in [*part.cases, *part.hidden_cases]:
        H, lr, x0, threshold = case.args.values()
        expected = part.reference(**case.args)
        if expected > 1e4:
            continue
        lam, Q = np.linalg.eigh(np.asarray(H, dtype=float))
        steps = 3000 if math.isinf(expected) else int(expected) + 3
        result = run(Quadratic(lam, rotation=Q), SGD(lr=lr), x0, steps, divergence_factor=threshold)
        assert result.diverged_at[0] == (-1 if math.isinf(expected) else expected), case
        checked += 1
    assert checked >= 11


def test_divergence_step_crossings_are_not_ties():
    """Each finite answer's loss is clearly on either side of the threshold (rounding in a
    learner's formula cannot move it), except the ~10⁸-step runs that rtol covers and one
    deliberate tie: 1-D, f(x_t)/f(x₀) = 4ᵗ and threshold 16, exact in floats and in logs
    (log 16 / log 4 = 2.0), where "above" and "at or above" give different steps."""
    part = ex01.DIVERGENCE_STEP
    ties = []
    for case in [*part.cases, *part.hidden_cases]:
        H, lr, x0, threshold = case.args.values()
        t = part.reference(**case.args)
        if math.isinf(t) or t > 1e6:
            continue
        ratio = _loss_ratio(*_terms(H, lr, x0))
        assert ratio(t) > threshold * (1 + 1e-6), case
        if ratio(t - 1) == threshold:
            ties.append(case)
        else:
            assert ratio(t - 1) < threshold * (1 - 1e-6), case
    assert len(ties) == 1 and np.size(ties[0].args["H"]) == 1
    assert math.log(16.0) / math.log(4.0) == 2.0


# ---------------------------------------------------------------------------
# four_runs (predict, then read the experiment)
# ---------------------------------------------------------------------------

RIGHT_FOUR_RUNS = ["ACE", "a, c, e", "E C A", ("A", "C", "E")]

WRONG_FOUR_RUNS = [
    ("BD", "worst_factor_from_step_0", "worst factor ρ² at every step from step 0"),
    ("AC", "tiny_share_ignored", "tiny part of f(x₀) never mattered"),
    ("AE", "wrong_choice", "sections 2–4"),
    ("ACDE", "wrong_choice", "not exactly the true statements"),
    ("ABCE", "wrong_choice", "part 6 with its Try-it"),
    ("CE", "wrong_choice", "every statement"),
    ("ABCDE", "wrong_choice", "not exactly the true statements"),
    ("", "wrong_choice", "not exactly the true statements"),
    ("ACEE", "repeated_letter", "more than once"),
    ("aCe a", "repeated_letter", "more than once"),
    ("ACF", "unknown_option", "the options are"),
    (3, "wrong_type", "string of option letters"),
    (None, "returned_none", "None"),
]


@pytest.mark.parametrize("answer", RIGHT_FOUR_RUNS)
def test_four_runs_accepts(answer, capsys):
    accepts(ex01.check_four_runs, lambda: answer, capsys, "four_runs", 2)


@pytest.mark.parametrize("answer, mistake, phrase", WRONG_FOUR_RUNS)
def test_four_runs_rejects(answer, mistake, phrase):
    message = rejects(ex01.check_four_runs, lambda: answer, mistake, phrase)
    if mistake != "repeated_letter":
        assert "ACE" not in message and "A, C" not in message   # the right letters are never shown
    if mistake == "wrong_choice":     # one neutral message: no counts, no topic of one statement
        neutral = rejects(ex01.check_four_runs, lambda: "ABCE", mistake, "")
        assert message.split("\n", 1)[1] == neutral.split("\n", 1)[1]
        assert "leaves out" not in message and "includes" not in message


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE)
def test_four_runs_handles_broken_code(impl, mistake, monkeypatch):
    rejects_broken(ex01.check_four_runs, ex01.FOUR_RUNS, lambda: impl(), mistake, monkeypatch)


def test_four_runs_truths_are_computed_from_the_runs():
    """The graded answer is what the experiment shows; each misreading's model predicts a
    different wrong answer; the statement's aside (same contraction rate) holds."""
    assert ex01.run_truths() == ex01._RUNS_TRUE
    predicted = [ex01.run_truths(model()) for model, *_ in ex01._RUN_MODELS]
    assert len(set(predicted)) == len(predicted) and ex01._RUNS_TRUE not in predicted
    q = ex01.runs_quadratic()
    assert q.gd_rate(0.195) == pytest.approx(q.gd_rate(0.1), rel=1e-12)
    assert q.stability_limit == pytest.approx(0.2)
    curves = ex01.run_experiment()
    x0 = ex01.runs_start(q)
    for lr in (0.1, 0.205):        # the vectorised run is each rate's own run
        x, losses = x0.copy(), [q.loss(x0)]
        for _ in range(ex01.RUN_STEPS):
            x = x - lr * q.grad(x)
            losses.append(q.loss(x))
        assert np.allclose(curves[lr], losses, rtol=1e-10)


def test_four_runs_notebook_cell_runs_the_graded_experiment():
    """The source notebook's run cell shows exactly the curves the check grades against."""
    import nbformat
    from pathlib import Path

    path = Path(__file__).parent.parent / "exercises/source/01_gradient_descent/01_gradient_descent.ipynb"
    cell = next(c for c in nbformat.read(path, as_version=4).cells if c.get("id") == "try_four_runs")
    namespace = {"np": np, "print": lambda *a, **k: None}
    exec(cell.source, namespace)
    curves = ex01.run_experiment()
    f0 = namespace["valley"].loss(namespace["x0"])
    for k, lr in enumerate(namespace["rates"]):
        assert np.allclose(namespace["ratios"][:, k] * f0, curves[float(lr)], rtol=1e-12)


# ---------------------------------------------------------------------------
# Every part: code that raises, is not implemented, returns None or NaN, or hangs
# ---------------------------------------------------------------------------

PARTS = [
    (ex01.check_gd_step, ex01.GD_STEP),
    (ex01.check_gradient_descent, ex01.GRADIENT_DESCENT),
    (ex01.check_largest_stable_lr, ex01.LARGEST_STABLE_LR),
    (ex01.check_optimal_lr, ex01.OPTIMAL_LR),
    (ex01.check_contraction_rate, ex01.CONTRACTION_RATE),
    (ex01.check_divergence_step, ex01.DIVERGENCE_STEP),
]


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
@pytest.mark.parametrize("impl, mistake", [*BROKEN_CODE, pytest.param(returns_nan, None, id="returns_nan")])
def test_every_part_handles_broken_code(check, part, impl, mistake, monkeypatch):
    rejects_broken(check, part, impl, mistake or nan_mistake(part), monkeypatch)


def test_points_table_matches_the_parts():
    assert ex01.PARTS == points_table([*PARTS, (ex01.check_four_runs, ex01.FOUR_RUNS)])
    assert sum(ex01.PARTS.values()) == 11


# ---------------------------------------------------------------------------
# The references agree with the library's quadratic (an independent oracle)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("eigenvalues, angle", [([1.0, 10.0], None), ([0.5, 4.0], 0.7), ([0.1, 3.0], 2.0)])
def test_references_agree_with_the_library(eigenvalues, angle):
    q = Quadratic(eigenvalues, angle=angle)
    H = q.hessian
    assert ex01._largest_stable_lr(H) == pytest.approx(q.stability_limit, rel=1e-12)
    assert ex01._optimal_lr(H) == pytest.approx(q.optimal_lr, rel=1e-12)
    assert ex01._contraction_rate(H, q.optimal_lr) == pytest.approx(q.optimal_rate, rel=1e-12)
    for lr in (0.05, 0.3, 1.0):
        assert ex01._contraction_rate(H, lr) == pytest.approx(float(q.gd_rate(lr)), rel=1e-12)
    trajectory = ex01._gradient_descent(q.grad, np.array([1.0, -1.0]), 0.1, 5)
    x = np.array([1.0, -1.0])
    for k in range(5):
        x = x - 0.1 * q.grad(x)
        assert np.allclose(trajectory[k + 1], x, rtol=1e-14)


def test_cases_are_not_degenerate():
    """The number parts' references are finite on their cases (each variant is separated
    from the reference by the cases: test_cases_separate_every_variant_from_the_reference)."""
    for part in (ex01.LARGEST_STABLE_LR, ex01.OPTIMAL_LR, ex01.CONTRACTION_RATE):
        assert np.isfinite(part.reference(**part.cases[0].args))
    assert dataclasses.is_dataclass(ex01.GD_STEP)


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
def test_cases_separate_every_variant_from_the_reference(check, part):
    """Each case set separates the reference from every variant mistake it is meant to catch."""
    assert_variants_differ(part)
