"""Exercise 03's checks: right answers written differently pass, common mistakes are named.

The references are also compared with independent oracles: ``lrcourse.optim.SGD``
(itself tested against PyTorch) for the steps, and ``lrcourse.problems.Quadratic``
for the quadratic's numbers.
"""

import numpy as np
import pytest
from grading_support import (
    BROKEN_CODE, accepts, assert_variants_differ, eig, part_id, points_table, rejects,
    rejects_broken,
)

from lrcourse.grading import ex03
from lrcourse.optim import SGD
from lrcourse.problems import Quadratic


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
    return x_new, opt.momentum_buffer


def momentum_in_place_buffer(x, grad, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = grad.copy()
    else:
        buf *= momentum
        buf += (1 - dampening) * grad
    return x - lr * buf, buf


def momentum_zero_init(x, grad, buf, lr, momentum, dampening=0.0):
    buf = np.zeros_like(grad) if buf is None else buf
    new = momentum * buf + (1 - dampening) * grad
    return x - lr * new, new


def momentum_sutskever(x, grad, buf, lr, momentum, dampening=0.0):
    v = np.zeros_like(grad) if buf is None else buf
    v = momentum * v - lr * grad
    return x + v, v


def momentum_ema(x, grad, buf, lr, momentum, dampening=0.0):
    new = grad.copy() if buf is None else momentum * buf + (1 - momentum) * grad
    return x - lr * new, new


def momentum_old_buffer(x, grad, buf, lr, momentum, dampening=0.0):
    if buf is None:
        return x - lr * grad, grad.copy()
    return x - lr * buf, momentum * buf + (1 - dampening) * grad


RIGHT_MOMENTUM = [momentum_if_else, momentum_loop, momentum_by_library]

WRONG_MOMENTUM = [
    (lambda *a: _flip(momentum_if_else, *a), "sign_flipped", "uphill"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, 1.0, mu, d), "lr_missing", "ignores the learning rate"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, lr * lr, mu, d), "lr_twice", "applied twice"),
    (momentum_zero_init, "buffer_zero_init", "initialised differently from PyTorch"),
    (momentum_sutskever, "sutskever_form", "Sutskever's form"),
    (momentum_ema, "ema_buffer", "exponential moving average"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, lr, mu, 0.0), "dampening_ignored", "ignores dampening"),
    (momentum_old_buffer, "stepped_with_old_buffer", "old buffer"),
    (lambda x, g, b, lr, mu, d=0.0: (x - lr * (g.copy() if b is None else b + mu * (1 - d) * g),
                                     g.copy() if b is None else b + mu * (1 - d) * g),
     "momentum_on_gradient", "μ multiplies the wrong term"),
    (momentum_in_place_buffer, "mutated_input", "changed its input buf in place"),
    (lambda x, g, b, lr, mu, d=0.0: momentum_if_else(x, g, b, lr, mu, d)[0], "wrong_type", "instead of a tuple"),
    (lambda x, g, b, lr, mu, d=0.0: (momentum_if_else(x, g, b, lr, mu, d)[0], None), "returned_none", "buf_new"),
]


def _flip(impl, x, *rest):
    x_new, buf = impl(x, *rest)
    return 2 * x - x_new, buf


@pytest.mark.parametrize("impl", RIGHT_MOMENTUM)
def test_sgd_momentum_step_accepts(impl, capsys):
    accepts(ex03.check_sgd_momentum_step, impl, capsys, "sgd_momentum_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MOMENTUM)
def test_sgd_momentum_step_rejects(impl, mistake, phrase):
    rejects(ex03.check_sgd_momentum_step, impl, mistake, phrase)


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
    opt = SGD(lr=lr, momentum=momentum, nesterov=True)
    if buf is not None:
        opt.step(np.zeros_like(x), np.zeros_like(x))
        opt.momentum_buffer = buf.copy()
    return opt.step(x, grad), opt.momentum_buffer


def nesterov_heavy_ball(x, grad, buf, lr, momentum):
    new = grad.copy() if buf is None else momentum * buf + grad
    return x - lr * new, new


def nesterov_old_lookahead(x, grad, buf, lr, momentum):
    old = grad if buf is None else buf
    new = grad.copy() if buf is None else momentum * buf + grad
    return x - lr * (grad + momentum * old), new


RIGHT_NESTEROV = [nesterov_if_else, nesterov_expanded, nesterov_by_library]

WRONG_NESTEROV = [
    (lambda *a: _flip(nesterov_if_else, *a), "sign_flipped", "uphill"),
    (lambda x, g, b, lr, mu: nesterov_if_else(x, g, b, 1.0, mu), "lr_missing", "ignores the learning rate"),
    (lambda x, g, b, lr, mu: nesterov_if_else(x, g, b, lr * lr, mu), "lr_twice", "applied twice"),
    (nesterov_heavy_ball, "heavy_ball_step", "heavy-ball step"),
    (nesterov_old_lookahead, "lookahead_with_old_buffer", "old buffer"),
    (lambda x, g, b, lr, mu: (x - lr * (g + (g if b is None else mu * b + g)), g.copy() if b is None else mu * b + g),
     "lookahead_without_momentum", "scaled by μ"),
    (lambda x, g, b, lr, mu: (nesterov_if_else(x, g, b, lr, mu)[0], g + mu * nesterov_if_else(x, g, b, lr, mu)[1]),
     "direction_stored_as_buffer", "returned the look-ahead direction"),
]


@pytest.mark.parametrize("impl", RIGHT_NESTEROV)
def test_nesterov_step_accepts(impl, capsys):
    accepts(ex03.check_nesterov_step, impl, capsys, "nesterov_step", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_NESTEROV)
def test_nesterov_step_rejects(impl, mistake, phrase):
    rejects(ex03.check_nesterov_step, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# largest_stable_lr_momentum
# ---------------------------------------------------------------------------

def stable_momentum_by_bisection(H, momentum):
    lam = eig(H)[-1]

    def stable(lr):
        roots = np.roots([1.0, -(1 + momentum - lr * lam), momentum])
        return np.max(np.abs(roots)) < 1

    low, high = 0.0, 10.0 / lam
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if stable(mid) else (low, mid)
    return (low + high) / 2


RIGHT_STABLE_MOMENTUM = [
    lambda H, mu: 2 * (1 + mu) / np.linalg.norm(H, 2),
    lambda H, mu: (2 + 2 * mu) / max(np.linalg.eigvalsh(H)),
    stable_momentum_by_bisection,
]

WRONG_STABLE_MOMENTUM = [
    (lambda H, mu: 2 / eig(H)[-1], "momentum_ignored", "plain gradient descent's limit"),
    (lambda H, mu: 2 * (1 - mu) / eig(H)[-1], "effective_step", "effective step"),
    (lambda H, mu: (2 + 2 * mu) / eig(H)[0], "smallest_eigenvalue", "smallest eigenvalue"),
    (lambda H, mu: (1 + mu) / eig(H)[-1], "factor_two", "below the limit"),
    (lambda H, mu: (2 + 2 * mu) / np.diag(H).max(), "diagonal_not_eigenvalues", "diagonal"),
]


@pytest.mark.parametrize("impl", RIGHT_STABLE_MOMENTUM)
def test_largest_stable_lr_momentum_accepts(impl, capsys):
    accepts(ex03.check_largest_stable_lr_momentum, impl, capsys, "largest_stable_lr_momentum", 1)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STABLE_MOMENTUM)
def test_largest_stable_lr_momentum_rejects(impl, mistake, phrase):
    rejects(ex03.check_largest_stable_lr_momentum, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# optimal_momentum
# ---------------------------------------------------------------------------

def optimal_from_kappa(H):
    lam = eig(H)
    kappa = lam[-1] / lam[0]
    rate = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    return 4 / (np.sqrt(lam[0]) + np.sqrt(lam[-1])) ** 2, rate ** 2


def optimal_by_solving(H):
    # solve 1 + μ − ηλ_min = 2√μ and 1 + μ − ηλ_max = −2√μ for (η, s = √μ)
    a, b = eig(H)[[0, -1]]
    s = (np.sqrt(b) - np.sqrt(a)) / (np.sqrt(b) + np.sqrt(a))
    return float((1 - s) ** 2 / a), float(s * s)


RIGHT_OPTIMAL_MOMENTUM = [optimal_from_kappa, optimal_by_solving,
                          lambda H: [4 / (np.sqrt(eig(H)[0]) + np.sqrt(eig(H)[-1])) ** 2, optimal_from_kappa(H)[1]]]

WRONG_OPTIMAL_MOMENTUM = [
    (lambda H: optimal_from_kappa(H)[::-1], "swapped_outputs", "wrong order"),
    (lambda H: (optimal_from_kappa(H)[0], np.sqrt(optimal_from_kappa(H)[1])), "momentum_not_squared",
     "optimal convergence *rate*"),
    (lambda H: (2 / (eig(H)[0] + eig(H)[-1]), optimal_from_kappa(H)[1]), "gd_optimal_lr",
     "gradient descent's optimum"),
    (lambda H: (4 / (eig(H)[0] + eig(H)[-1]), optimal_from_kappa(H)[1]), "missing_cross_term", "cross term"),
    (lambda H: (optimal_from_kappa(H)[0], ((eig(H)[-1] - eig(H)[0]) / (eig(H)[-1] + eig(H)[0])) ** 2),
     "kappa_not_sqrt", "produces √κ"),
    (lambda H: optimal_from_kappa(np.diag(np.diag(H))), "diagonal_not_eigenvalues", "diagonal"),
    (lambda H: optimal_from_kappa(H)[0], "wrong_type", "instead of a tuple (lr, momentum)"),
]


@pytest.mark.parametrize("impl", RIGHT_OPTIMAL_MOMENTUM)
def test_optimal_momentum_accepts(impl, capsys):
    accepts(ex03.check_optimal_momentum, impl, capsys, "optimal_momentum", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_OPTIMAL_MOMENTUM)
def test_optimal_momentum_rejects(impl, mistake, phrase):
    rejects(ex03.check_optimal_momentum, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# momentum_rate
# ---------------------------------------------------------------------------

def rate_by_block_matrix(H, lr, momentum):
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


def rate_by_simulation_free_power(H, lr, momentum):
    # the 2×2 companion matrix per eigenvalue
    return max(np.max(np.abs(np.linalg.eigvals(np.array([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]]))))
               for lam in eig(H))


RIGHT_MOMENTUM_RATE = [rate_by_block_matrix, rate_by_quadratic_formula, rate_by_simulation_free_power]


def _roots_abs(lam, lr, mu):
    return np.abs(np.roots([1.0, -(1 + mu - lr * lam), mu]))


WRONG_MOMENTUM_RATE = [
    (lambda H, lr, mu: float(np.max(np.abs(1 - lr * eig(H)))), "momentum_ignored", "plain gradient descent's rate"),
    (lambda H, lr, mu: np.sqrt(mu), "sqrt_momentum", "√μ is the rate only"),
    (lambda H, lr, mu: float(np.max(_roots_abs(eig(H)[-1], lr, mu))), "only_lambda_max", "only the largest eigenvalue"),
    (lambda H, lr, mu: float(np.max(_roots_abs(eig(H)[0], lr, mu))), "only_lambda_min", "only the smallest eigenvalue"),
    (lambda H, lr, mu: min(float(np.min(_roots_abs(lam, lr, mu))) for lam in eig(H)), "min_not_max",
     "smallest root modulus"),
    (lambda H, lr, mu: rate_by_quadratic_formula(np.diag(np.diag(H)), lr, mu), "diagonal_not_eigenvalues", "diagonal"),
    (lambda H, lr, mu: complex(rate_by_quadratic_formula(H, lr, mu)), "wrong_dtype", "complex"),
]


@pytest.mark.parametrize("impl", RIGHT_MOMENTUM_RATE)
def test_momentum_rate_accepts(impl, capsys):
    accepts(ex03.check_momentum_rate, impl, capsys, "momentum_rate", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MOMENTUM_RATE)
def test_momentum_rate_rejects(impl, mistake, phrase):
    rejects(ex03.check_momentum_rate, impl, mistake, phrase)


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
# The references agree with the library (independent oracles)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("nesterov, dampening", [(False, 0.0), (False, 0.3), (True, 0.0)])
def test_step_references_match_optim_sgd_over_a_run(nesterov, dampening):
    rng = np.random.default_rng(0)
    x_ref = x_lib = rng.normal(size=4)
    buf = None
    opt = SGD(lr=0.05, momentum=0.9, dampening=dampening, nesterov=nesterov)
    for _ in range(6):
        grad = rng.normal(size=4)
        if nesterov:
            x_ref, buf = ex03._nesterov_step(x_ref, grad, buf, 0.05, 0.9)
        else:
            x_ref, buf = ex03._sgd_momentum_step(x_ref, grad, buf, 0.05, 0.9, dampening)
        x_lib = opt.step(x_lib, grad)
        np.testing.assert_allclose(x_ref, x_lib, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(buf, opt.momentum_buffer, rtol=1e-14, atol=1e-15)


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


def test_derivation_messages_do_not_state_the_result():
    """Issue 9: a hint for a derivation points to the step, never the result or the factor."""
    for part in (ex03.LARGEST_STABLE_LR_MOMENTUM, ex03.OPTIMAL_MOMENTUM):
        texts = [m.diagnosis + m.hint for m in part.mistakes] + [part.wrong_hint]
        for text in texts:
            for leak in ("2 + 2μ", "4/(√", "((√κ − 1)/(√κ + 1))²", "is its square", "factor 2 is"):
                assert leak not in text, (part.name, leak, text)


# ---------------------------------------------------------------------------
# Part 6: heavy_or_nesterov (graded multiple choice, settled by computation)
# ---------------------------------------------------------------------------

def answer(value):
    return lambda: value


RIGHT_CHOICE = [answer("AB"), answer("b a"), answer(["A", "B"]), answer({"a", "b"}), answer(("B", "A", "B"))]

WRONG_CHOICE = [
    # the answer a mistaken picture of the two methods predicts: that picture is named
    (answer("DE"), "nesterov_same_map", "heavy ball's 2×2 map"),
    (answer("CDE"), "methods_swapped", "swapped"),
    # otherwise the first statement judged wrongly is named
    (answer("B"), "stability_not_compared", "ηλ_max"),
    (answer(""), "stability_not_compared", "each method's limit"),
    (answer("A"), "rates_not_computed", "Nesterov's roots"),
    (answer("AE"), "rates_not_computed", "floor √μ"),
    (answer("ABC"), "nesterov_tuned_faster", "best rate"),
    (answer("ABD"), "nesterov_at_heavy_ball_optimum", "optimal_momentum"),
    (answer("ABE"), "nesterov_limit_grows", "μ = 0 and at μ = 0.9"),
    (answer("ABCDE"), "nesterov_tuned_faster", "section 7"),
    (answer("BDE"), "stability_not_compared", "η = 0.035"),
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
    texts += [d + h for _, d, h in ex03._CHOICE_PROBLEMS.values()]
    for text in texts:
        for leak in ("is true", "is false", "0.0136", "1.357", "(2 + 2μ)/(1 + 2μ)", "0.885", "0.818"):
            assert leak not in text, (leak, text)
