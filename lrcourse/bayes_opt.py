"""Bayesian optimisation of the learning rate with a small Gaussian-process surrogate.

The search works in ``u = log10 η`` and minimises an objective ``y(η)`` (e.g. the log
of the training loss after a fixed number of steps).  It repeats:

1. **Surrogate.**  Model y as a Gaussian process (GP) with a constant mean and the
   RBF (squared-exponential) kernel::

       k(u, u') = σ_f² · exp(−(u − u')² / (2ℓ²))

   (ℓ, the *length scale*, in decades of η: how far apart two rates must be before
   their losses are nearly unrelated), observed with independent Gaussian noise of
   variance σ_n².  After n evaluations (u_i, y_i), with K = k(U, U) + σ_n² I and
   k* = k(U, u), the posterior of the noise-free y at u is Gaussian with::

       μ(u)  = m + k*ᵀ K⁻¹ (y − m)
       s²(u) = σ_f² − k*ᵀ K⁻¹ k*

   (:func:`gp_posterior`, computed with a Cholesky factor of K).
2. **Acquisition.**  On a grid of candidate rates, compute the *expected
   improvement* over the best value so far, y⁺ = min_i y_i::

       EI(u) = E[max(y⁺ − ξ − Y, 0)],  Y ~ N(μ(u), s²(u))
             = (y⁺ − ξ − μ) Φ(z) + s φ(z),  z = (y⁺ − ξ − μ) / s

   (:func:`expected_improvement`; Φ and φ are the standard normal CDF and density,
   ξ ≥ 0 asks for a margin of improvement).  EI is large where the mean is low
   (exploitation) or the uncertainty is high (exploration).
3. **Evaluate** the objective at the grid point of largest EI, and repeat.

:func:`bayes_opt` starts from a few log-uniform rates (:func:`lrcourse.tune.log_uniform`)
and runs several independent searches in lockstep, so that one call of the
objective evaluates one rate for every search: with a vectorised objective (one
:func:`lrcourse.tune.lr_sweep`) a search of 5 seeds costs as many runs as one.

References
----------
C. E. Rasmussen and C. K. I. Williams, *Gaussian Processes for Machine Learning*,
MIT Press 2006, Algorithm 2.1.  D. R. Jones, M. Schonlau and W. J. Welch, "Efficient
global optimization of expensive black-box functions", J. Global Optim. 1998 (EI).
J. Snoek, H. Larochelle and R. P. Adams, "Practical Bayesian optimization of machine
learning algorithms", NeurIPS 2012.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from lrcourse import _validation as check
from lrcourse import tune

__all__ = ["rbf_kernel", "gp_posterior", "expected_improvement", "bayes_opt", "BayesOptResult"]

_erf = np.vectorize(math.erf, otypes=[float])
_FINITE = check.Interval()                                   # a finite number
#: at most this many evaluations per search (the GP refits O(n³) per iteration)
_N_INIT = check.Interval(2, 1000, "both", integer=True)
_N_ITER = check.Interval(0, 1000, "both", integer=True)
_GRID_SIZE = check.Interval(2, check.MAX_RUNS, "both", integer=True)
_HOW_TO_VECTORISE = ("it must take the whole 1-D array of rates at once: write it with NumPy functions "
                     "that work element by element, np.where(lrs < 1, a, b) instead of a if lr < 1 else b, "
                     "np.minimum instead of min, np.log instead of math.log; or loop inside it: "
                     "np.array([f(lr) for lr in lrs])")


def _points(name: str, value) -> np.ndarray:
    array = check.real_array(name, value, finite=True)
    if array.ndim != 1:
        check.fail(name, "a 1-D array of points", check.Described(f"shape {array.shape}"))
    return array


def rbf_kernel(a, b, *, lengthscale, variance=1.0) -> np.ndarray:
    """The RBF kernel matrix ``K[i, j] = variance · exp(−(a_i − b_j)² / (2·lengthscale²))``.

    ``a`` (shape (n,)) and ``b`` (shape (m,)) are 1-D points, e.g. log10 of rates;
    returns shape (n, m).
    """
    a, b = _points("a", a), _points("b", b)
    lengthscale = check.positive("lengthscale", lengthscale)
    variance = check.positive("variance", variance)
    with np.errstate(over="ignore", under="ignore"):   # a tiny lengthscale: far points get exactly 0
        return variance * np.exp(-0.5 * ((a[:, None] - b[None, :]) / lengthscale) ** 2)


def gp_posterior(x, y, x_query, *, lengthscale, variance=1.0, noise=1e-2, mean=0.0):
    """Posterior mean and standard deviation of a GP at ``x_query``.

    Prior: y(u) ~ GP(mean, k) with the RBF kernel :func:`rbf_kernel`; observations
    y_i = y(x_i) + ε_i with ε_i ~ N(0, noise).  With K = k(x, x) + noise·I and
    k* = k(x, u)::

        μ(u)  = mean + k*ᵀ K⁻¹ (y − mean)
        s²(u) = variance − k*ᵀ K⁻¹ k*          (of the noise-free y(u))

    Computed as in Rasmussen & Williams, Algorithm 2.1: L = cholesky(K),
    α = Lᵀ \\ (L \\ (y − mean)), v = L \\ k*, μ = mean + k*ᵀα, s² = variance − Σ v².

    Parameters
    ----------
    x, y : 1-D arrays of the same length n ≥ 1
        Observed inputs and values.
    x_query : 1-D array
        Where to predict.
    lengthscale, variance : positive floats
        ℓ and σ_f² of the kernel.
    noise : positive float
        σ_n², the observation noise variance (it also keeps K invertible when two
        inputs coincide).
    mean : float
        The constant prior mean m.

    Returns
    -------
    (mu, std) : two arrays of the shape of ``x_query``
    """
    x, y, x_query = _points("x", x), _points("y", y), _points("x_query", x_query)
    if x.size == 0 or y.shape != x.shape:
        check.fail("y", f"one value per point of x (shape {x.shape}, at least one)",
                   check.Described(f"shape {y.shape}"))
    noise = check.positive("noise", noise, "a small positive noise keeps K invertible")
    mean = _FINITE("mean", mean)
    K = rbf_kernel(x, x, lengthscale=lengthscale, variance=variance) + noise * np.eye(x.size)
    k_star = rbf_kernel(x, x_query, lengthscale=lengthscale, variance=variance)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y - mean))
    v = np.linalg.solve(L, k_star)
    mu = mean + k_star.T @ alpha
    var = np.maximum(variance - np.sum(v * v, axis=0), 0.0)
    return mu, np.sqrt(var)


def expected_improvement(mean, std, best, xi=0.0) -> np.ndarray:
    """Expected improvement below ``best`` (for minimisation), elementwise.

    ``EI = E[max(best − ξ − Y, 0)]`` for ``Y ~ N(mean, std²)``::

        EI = (best − ξ − mean) · Φ(z) + std · φ(z),   z = (best − ξ − mean) / std

    and ``max(best − ξ − mean, 0)`` where ``std = 0``.  EI ≥ 0; it grows as the mean
    falls and, at a fixed mean, as the standard deviation grows.
    """
    mean = check.real_array("mean", mean, finite=True)
    std = check.real_array("std", std, finite=True)
    if std.shape != mean.shape:
        check.fail("std", f"an array of the shape of mean {mean.shape}", check.Described(f"shape {std.shape}"))
    if not np.all(std >= 0):
        check.fail("std", "an array of numbers ≥ 0", std, f"the first bad entry is {float(std[std < 0][0])!r}")
    best = _FINITE("best", best)
    xi = check.nonnegative("xi", xi)
    with np.errstate(over="ignore", under="ignore"):   # huge margins: z → ±inf, φ(z) → 0
        gain = best - xi - mean
        ei = np.maximum(gain, 0.0)
        spread = std > 0
        z = gain[spread] / std[spread]
        cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        ei[spread] = gain[spread] * cdf + std[spread] * pdf
    return np.maximum(ei, 0.0)


@dataclass(repr=False)
class BayesOptResult:
    """Independent searches run by :func:`bayes_opt` (one row per seed).

    Attributes
    ----------
    seeds : ndarray of int, shape (S,)
    lrs : ndarray, shape (S, n)
        The rates evaluated, in order: ``n_init`` log-uniform ones, then one per
        iteration.
    values : ndarray, shape (S, n)
        The objective at those rates.
    best_lr, best_value : ndarray, shape (S,)
        The evaluated rate with the lowest value in each search, and that value.
    grid : ndarray, shape (G,)
        The candidate rates (log-spaced) over which EI is maximised.
    mean, std, ei : ndarray, shape (n_iter, S, G)
        The surrogate's posterior mean and standard deviation (in the objective's
        units) and the EI that chose the rate of each iteration.
    n_init : int
    """

    seeds: np.ndarray
    lrs: np.ndarray
    values: np.ndarray
    best_lr: np.ndarray
    best_value: np.ndarray
    grid: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    ei: np.ndarray
    n_init: int

    def summary(self) -> str:
        S, n = self.lrs.shape
        picks = ", ".join(f"{lr:.3g}" for lr in self.best_lr)
        return f"{S} Bayesian-optimisation searches of {n} evaluations ({self.n_init} random); best lr {picks}"

    def __repr__(self) -> str:
        return f"BayesOptResult({self.summary()})"


def _seeds(seeds) -> np.ndarray:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = [seeds]
    if not isinstance(seeds, (list, tuple, np.ndarray)) or len(seeds) == 0:
        check.fail("seeds", "a non-empty list of non-negative integers", seeds, error=TypeError)
    return np.array([check.nonnegative_int("seeds", s) for s in seeds], dtype=np.int64)


def _evaluate(objective: Callable, lrs: np.ndarray) -> np.ndarray:
    try:
        values = objective(lrs)
    except (ValueError, TypeError) as error:
        if "truth value" not in str(error) and "only length-1 arrays" not in str(error) \
                and "only 0-dimensional" not in str(error):
            raise
        check.fail("objective", "a vectorised function lrs -> values", objective,
                   f"called on {lrs.size} rates it raised {type(error).__name__}: {error}; " + _HOW_TO_VECTORISE,
                   error=TypeError)
    if not check.is_real(values):
        check.fail("objective", "a function returning one finite real value per rate", objective,
                   f"it returned {values!r}"[:200], error=TypeError)
    values = np.asarray(values, dtype=float)
    if values.shape != lrs.shape or not np.all(np.isfinite(values)):
        check.fail("objective", f"a function returning one finite value per rate (shape {lrs.shape})",
                   check.Described(f"an array of shape {values.shape}"
                                   + ("" if values.shape != lrs.shape else " with non-finite values")),
                   "give diverged runs a finite penalty, e.g. the loss at the start")
    return values


def bayes_opt(objective, low, high, *, n_init=3, n_iter=5, seeds=(0,), grid_size=200,
              lengthscale=0.5, noise=1e-2, xi=0.0) -> BayesOptResult:
    """Minimise ``objective`` over rates in ``[low, high]`` by Bayesian optimisation in log10 η.

    Each search (one per seed) evaluates ``n_init`` rates drawn by
    ``tune.log_uniform(n_init, low, high, seed)``, then ``n_iter`` more, each at the
    grid point that maximises :func:`expected_improvement` under the GP posterior
    (:func:`gp_posterior`) of the values so far.  The values of each search are
    standardised before the fit (ŷ = (y − ȳ)/sd(y), so ``variance=1`` and ``noise``
    are in units of the spread of the values seen) and the posterior is mapped back.
    A grid point already evaluated is not chosen again (its EI is set to 0): the
    objective is assumed deterministic, so a second evaluation would tell nothing new.

    Parameters
    ----------
    objective : callable
        ``objective(lrs) -> values``: a 1-D array of rates in, one finite value per
        rate out (lower is better).  Called once with the ``S·n_init`` initial rates,
        then once per iteration with one rate per search (S = number of seeds).
    low, high : float, 0 < low < high
        The search range.
    n_init : int in [2, 1000]
        Random rates per search before the surrogate is used.
    n_iter : int in [0, 1000]
        Rates chosen by expected improvement.
    seeds : int or sequence of int
        One independent search per seed.
    grid_size : int in [2, 10**5]
        Candidate rates, ``np.geomspace(low, high, grid_size)``.
    lengthscale : float > 0
        ℓ of the RBF kernel, in decades of η.
    noise : float > 0
        σ_n² (standardised units).
    xi : float ≥ 0
        Margin of improvement asked by EI (standardised units).

    Returns
    -------
    BayesOptResult
    """
    if not callable(objective):
        check.fail("objective", "a function lrs -> values", objective, error=TypeError)
    low, high = check.positive("low", low), check.positive("high", high)
    if not low < high:
        check.fail("high", f"greater than low={low!r}", high, "swap low and high")
    n_init = _N_INIT("n_init", n_init, "the values need a spread to be standardised")
    n_iter = _N_ITER("n_iter", n_iter)
    seeds = _seeds(seeds)
    grid_size = _GRID_SIZE("grid_size", grid_size)
    lengthscale = check.positive("lengthscale", lengthscale)
    noise = check.positive("noise", noise, "a small positive noise keeps K invertible")
    xi = check.nonnegative("xi", xi)

    S = seeds.size
    if S > check.MAX_RUNS:
        check.fail("seeds", f"at most {check.MAX_RUNS} seeds", check.Described(f"{S} seeds"))
    grid = np.geomspace(low, high, grid_size)
    u_grid = np.log10(grid)
    lrs = np.empty((S, n_init + n_iter))
    values = np.empty((S, n_init + n_iter))
    lrs[:, :n_init] = [tune.log_uniform(n_init, low, high, seed=int(s)) for s in seeds]
    values[:, :n_init] = _evaluate(objective, lrs[:, :n_init].ravel()).reshape(S, n_init)
    means, stds, eis = (np.empty((n_iter, S, grid_size)) for _ in range(3))
    for it in range(n_iter):
        n = n_init + it
        for s in range(S):
            y = values[s, :n]
            centre, spread = y.mean(), y.std()
            spread = spread if spread > 0 else 1.0
            mu, sd = gp_posterior(np.log10(lrs[s, :n]), (y - centre) / spread, u_grid,
                                  lengthscale=lengthscale, variance=1.0, noise=noise)
            ei = expected_improvement(mu, sd, ((y - centre) / spread).min(), xi)
            ei[np.isin(grid, lrs[s, :n])] = 0.0        # never the same rate twice
            means[it, s], stds[it, s], eis[it, s] = centre + spread * mu, spread * sd, spread * ei
            lrs[s, n] = grid[int(np.argmax(ei))]
        values[:, n] = _evaluate(objective, lrs[:, n])
    best = np.argmin(values, axis=1)
    rows = np.arange(S)
    return BayesOptResult(seeds=seeds, lrs=lrs, values=values, best_lr=lrs[rows, best],
                          best_value=values[rows, best], grid=grid, mean=means, std=stds, ei=eis,
                          n_init=n_init)
