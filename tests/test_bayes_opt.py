"""Tests of lrcourse.bayes_opt: the RBF kernel, the GP posterior, expected improvement
and the Bayesian-optimisation loop.

Oracles: the kernel formula; the GP posterior written directly with a matrix inverse
(and, for one observation, by hand); expected improvement against its closed form at
special points and against Monte Carlo; a smooth objective whose minimum is known.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrcourse import tune
from lrcourse.bayes_opt import bayes_opt, expected_improvement, gp_posterior, rbf_kernel


def test_rbf_kernel_formula_shape_and_symmetry():
    a, b = np.array([0.0, 1.0, -2.0]), np.array([0.5, 1.0])
    K = rbf_kernel(a, b, lengthscale=0.7, variance=2.0)
    assert K.shape == (3, 2)
    for i in range(3):
        for j in range(2):
            assert K[i, j] == pytest.approx(2.0 * math.exp(-((a[i] - b[j]) ** 2) / (2 * 0.7 ** 2)))
    square = rbf_kernel(a, a, lengthscale=0.7, variance=2.0)
    assert np.allclose(square, square.T) and np.allclose(np.diag(square), 2.0)


def test_gp_posterior_matches_the_direct_formula_on_a_tiny_case():
    x, y = np.array([0.0, 1.0, 2.5]), np.array([1.0, -1.0, 0.5])
    query = np.array([-1.0, 0.5, 1.0, 4.0])
    ell, var, noise, m = 0.8, 1.5, 0.05, 0.2

    def k(a, b):
        return var * np.exp(-np.subtract.outer(a, b) ** 2 / (2 * ell ** 2))

    K_inv = np.linalg.inv(k(x, x) + noise * np.eye(3))
    mean = m + k(query, x) @ K_inv @ (y - m)
    std = np.sqrt(var - np.einsum("qi,ij,qj->q", k(query, x), K_inv, k(query, x)))
    mu, sd = gp_posterior(x, y, query, lengthscale=ell, variance=var, noise=noise, mean=m)
    assert np.allclose(mu, mean, rtol=1e-12, atol=1e-12)
    assert np.allclose(sd, std, rtol=1e-10, atol=1e-12)


def test_gp_posterior_with_one_observation_by_hand():
    # μ(u) = m + k(u, x₀)(y₀ − m)/(σ_f² + σ_n²),  s²(u) = σ_f² − k(u, x₀)²/(σ_f² + σ_n²)
    mu, sd = gp_posterior([0.0], [2.0], [0.0, 1.0], lengthscale=1.0, variance=1.0, noise=0.25)
    k1 = math.exp(-0.5)
    assert mu == pytest.approx([2.0 / 1.25, k1 * 2.0 / 1.25])
    assert sd == pytest.approx([math.sqrt(1 - 1 / 1.25), math.sqrt(1 - k1 ** 2 / 1.25)])


def test_gp_interpolates_with_little_noise_and_returns_to_the_prior_far_away():
    x, y = np.array([0.0, 1.0]), np.array([3.0, -2.0])
    mu, sd = gp_posterior(x, y, np.array([0.0, 1.0, 50.0]), lengthscale=0.5, variance=4.0, noise=1e-10, mean=1.0)
    assert np.allclose(mu[:2], y, atol=1e-6) and np.all(sd[:2] < 1e-3)
    assert mu[2] == pytest.approx(1.0) and sd[2] == pytest.approx(2.0)


def test_gp_posterior_rejects_bad_arguments():
    with pytest.raises(ValueError, match="y must be one value per point of x"):
        gp_posterior([0.0, 1.0], [1.0], [0.5], lengthscale=1.0)
    with pytest.raises(ValueError, match="noise must be a positive finite number; got 0"):
        gp_posterior([0.0], [1.0], [0.5], lengthscale=1.0, noise=0)
    with pytest.raises(ValueError, match="lengthscale must be a positive finite number; got -1"):
        gp_posterior([0.0], [1.0], [0.5], lengthscale=-1)
    with pytest.raises(ValueError, match="x must be a 1-D array"):
        gp_posterior([[0.0]], [1.0], [0.5], lengthscale=1.0)
    with pytest.raises(TypeError, match="^x must be "):
        gp_posterior("abc", [1.0], [0.5], lengthscale=1.0)


def test_expected_improvement_closed_form_at_special_points():
    # at mean = best: EI = s·φ(0) = s/√(2π); with s = 0: EI = max(best − mean, 0)
    ei = expected_improvement(np.array([1.0, 1.0, 0.5, 2.0]), np.array([2.0, 0.0, 0.0, 0.0]), best=1.0)
    assert ei == pytest.approx([2.0 / math.sqrt(2 * math.pi), 0.0, 0.5, 0.0])
    # ξ shifts the target: at mean = best − ξ the first case applies again
    assert expected_improvement(np.array([0.7]), np.array([1.0]), best=1.0, xi=0.3) == \
        pytest.approx([1 / math.sqrt(2 * math.pi)])


def test_expected_improvement_agrees_with_monte_carlo():
    rng = np.random.default_rng(0)
    for mean, std in ((0.3, 0.5), (-1.0, 2.0), (2.0, 0.7)):
        samples = rng.normal(mean, std, size=400_000)
        estimate = np.mean(np.maximum(0.5 - samples, 0.0))
        exact = expected_improvement(np.array([mean]), np.array([std]), best=0.5)[0]
        assert exact == pytest.approx(estimate, rel=0.02, abs=1e-4)


def test_expected_improvement_is_nonnegative_falls_with_the_mean_and_grows_with_the_spread():
    means = np.linspace(-3, 3, 61)
    ei = expected_improvement(means, np.full_like(means, 0.8), best=0.0)
    assert np.all(ei >= 0) and np.all(np.diff(ei) < 0)
    stds = np.linspace(0.3, 3, 50)
    for mean in (-1.0, 0.0, 1.0):
        ei = expected_improvement(np.full_like(stds, mean), stds, best=0.0)
        assert np.all(np.diff(ei) > 0)
        assert np.all(ei >= max(-mean, 0.0) - 1e-12)   # never below the improvement of the mean itself


def test_expected_improvement_rejects_bad_arguments():
    with pytest.raises(ValueError, match="std must be an array of numbers ≥ 0; got array\\(\\[-1.\\]\\)"):
        expected_improvement(np.array([0.0]), np.array([-1.0]), best=0.0)
    with pytest.raises(ValueError, match="std must be an array of the shape of mean"):
        expected_improvement(np.array([0.0, 1.0]), np.array([1.0]), best=0.0)
    with pytest.raises(ValueError, match="xi must be a non-negative finite number"):
        expected_improvement(np.array([0.0]), np.array([1.0]), best=0.0, xi=-0.1)
    with pytest.raises(TypeError, match="best must be a finite number; got .low."):
        expected_improvement(np.array([0.0]), np.array([1.0]), best="low")


class Recorder:
    """A smooth objective in log10 η with its minimum at η = 0.1; records every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, lrs):
        self.calls.append(np.array(lrs))
        return (np.log10(lrs) + 1.0) ** 2


def test_bayes_opt_finds_a_known_minimum_in_lockstep_without_repeats():
    objective = Recorder()
    result = bayes_opt(objective, 1e-4, 10.0, n_init=3, n_iter=6, seeds=[0, 1, 2], grid_size=121)
    assert [c.shape for c in objective.calls] == [(9,)] + [(3,)] * 6   # one call per step, one rate per search
    assert result.lrs.shape == result.values.shape == (3, 9)
    assert result.mean.shape == result.std.shape == result.ei.shape == (6, 3, 121)
    for s, seed in enumerate((0, 1, 2)):
        assert np.array_equal(result.lrs[s, :3], tune.log_uniform(3, 1e-4, 10.0, seed=seed))
        chosen = result.lrs[s, 3:]
        assert np.all(np.isin(chosen, result.grid)) and np.unique(chosen).size == chosen.size
    assert np.allclose(result.values, (np.log10(result.lrs) + 1) ** 2)
    assert np.all(np.abs(np.log10(result.best_lr) + 1) < 0.1)          # within 0.1 decade of η = 0.1
    assert np.array_equal(result.best_value, result.values.min(axis=1))


def test_bayes_opt_is_reproducible_and_each_search_is_independent():
    first = bayes_opt(Recorder(), 1e-3, 1.0, n_init=2, n_iter=3, seeds=[4, 7])
    again = bayes_opt(Recorder(), 1e-3, 1.0, n_init=2, n_iter=3, seeds=[4, 7])
    alone = bayes_opt(Recorder(), 1e-3, 1.0, n_init=2, n_iter=3, seeds=7)
    assert np.array_equal(first.lrs, again.lrs)
    assert np.array_equal(first.lrs[1], alone.lrs[0])


def test_bayes_opt_surrogate_is_the_gp_of_the_standardised_values():
    result = bayes_opt(Recorder(), 1e-3, 1.0, n_init=3, n_iter=2, seeds=[0], grid_size=50,
                       lengthscale=0.4, noise=1e-3)
    y = result.values[0, :4]
    centre, spread = y.mean(), y.std()
    mu, sd = gp_posterior(np.log10(result.lrs[0, :4]), (y - centre) / spread, np.log10(result.grid),
                          lengthscale=0.4, noise=1e-3)
    assert np.allclose(result.mean[1, 0], centre + spread * mu)
    assert np.allclose(result.std[1, 0], spread * sd)


def test_bayes_opt_rejects_bad_arguments():
    with pytest.raises(TypeError, match="objective must be a function"):
        bayes_opt(3.0, 1e-3, 1.0)
    with pytest.raises(ValueError, match="high must be greater than low"):
        bayes_opt(Recorder(), 1.0, 1e-3)
    with pytest.raises(ValueError, match=r"n_init must be an integer in \[2, 1000\]; got 1"):
        bayes_opt(Recorder(), 1e-3, 1.0, n_init=1)
    with pytest.raises(ValueError, match=r"n_iter must be an integer in \[0, 1000\]; got 5000"):
        bayes_opt(Recorder(), 1e-3, 1.0, n_iter=5000)
    with pytest.raises(ValueError, match=r"grid_size must be an integer in \[2, 100000\]; got 1000000000"):
        bayes_opt(Recorder(), 1e-3, 1.0, grid_size=10**9)
    with pytest.raises(TypeError, match="seeds must be a non-empty list"):
        bayes_opt(Recorder(), 1e-3, 1.0, seeds=[])
    with pytest.raises(ValueError, match="noise must be a positive finite number"):
        bayes_opt(Recorder(), 1e-3, 1.0, noise=0.0)
    with pytest.raises(ValueError, match="objective must be a function returning one finite value per rate"):
        bayes_opt(lambda lrs: np.full_like(lrs, np.nan), 1e-3, 1.0)
    with pytest.raises(ValueError, match="objective must be a function returning one finite value per rate"):
        bayes_opt(lambda lrs: lrs[:1], 1e-3, 1.0)


def test_extreme_but_valid_settings_give_no_numpy_warnings():
    with np.errstate(all="raise"):
        K = rbf_kernel([0.0, 1.0], [0.0, 2.0], lengthscale=1e-300)
        assert np.array_equal(K, [[1.0, 0.0], [0.0, 0.0]])   # far points: exactly 0
        assert np.all(expected_improvement(np.zeros(2), np.ones(2), 0.0, xi=1e300) == 0.0)
        assert np.all(expected_improvement(np.zeros(2), np.full(2, 1e-300), 1e300) == 1e300)
        result = bayes_opt(lambda lrs: (np.log10(lrs) + 2) ** 2, 1e-4, 1.0, xi=1e300, lengthscale=1e-300)
    assert np.isfinite(result.best_value).all()


@pytest.mark.parametrize("call, pattern", [
    (lambda: expected_improvement(np.zeros(2), np.ones(2), best=math.nan), "best must be a finite number; got nan"),
    (lambda: expected_improvement(np.array([math.nan, 0.0]), np.ones(2), best=0.0),
     "mean must be an array of finite real numbers"),
    (lambda: gp_posterior([0.0, 1.0], [0.0, 1.0], [0.5], lengthscale=1.0, mean=math.inf),
     "mean must be a finite number; got inf"),
])
def test_non_finite_inputs_are_refused_not_turned_into_nan(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_an_objective_that_is_not_vectorised_gets_the_hint():
    with pytest.raises(TypeError, match=r"objective must be a vectorised function lrs -> values; got <lambda>\. "
                                        r"called on 3 rates it raised ValueError: The truth value.*np\.where"):
        bayes_opt(lambda lr: 1.0 if lr < 1e-2 else 0.0, 1e-4, 1.0)
    with pytest.raises(TypeError, match="objective must be a function returning one finite real value per rate"):
        bayes_opt(lambda lrs: ["a"] * lrs.size, 1e-4, 1.0)
