"""Two non-quadratic landscapes: Rosenbrock's curved valley and a wavy 1-D valley.

On a quadratic one number (2/λ_max) decides everything.  These two show what a
single learning rate cannot do well: follow a curved, narrow valley (Rosenbrock),
or pick which of several valleys to end in (``WavyValley``).
"""

from __future__ import annotations

import numpy as np

from .. import _validation as check
from ._base import Problem, readonly

__all__ = ["Rosenbrock", "WavyValley"]


class Rosenbrock(Problem):
    """Rosenbrock's banana function f(x, y) = (a − x)² + b (y − x²)².

    Its minimiser (a, a²) (where f = 0) lies at the bottom of a narrow parabolic
    valley: the curvature across the valley (≈ 2b(1 + 4x²)) is far larger than along
    it, and the ratio changes from place to place, so no fixed learning rate is good
    everywhere.

        ∂f/∂x = −2(a − x) − 4b x (y − x²),   ∂f/∂y = 2b (y − x²)

    Parameters
    ----------
    a : float
        Position of the minimiser, (a, a²).  Default 1.
    b : float > 0
        Steepness of the valley walls.  Default 100.

    Notes
    -----
    ``init`` returns Rosenbrock's classic start (−1.2, 1) (deterministic; ``seed`` is
    accepted for the common interface).

    References
    ----------
    H. H. Rosenbrock, "An automatic method for finding the greatest or least value
    of a function", The Computer Journal 3(3), 1960.
    """

    dim = 2

    def __init__(self, a=1.0, b=100.0):
        a = check.real("a", a, "a finite number")
        if not np.isfinite(a):
            check.fail("a", "a finite number", a)
        self.a = a
        self.b = check.positive("b", b)
        self.name = f"Rosenbrock (a={self.a:g}, b={self.b:g})"

    def loss(self, x) -> np.ndarray:
        """f(x, y) = (a − x)² + b (y − x²)², shape ``(...)``."""
        p = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            u, w = p[..., 0], p[..., 1]
            return (self.a - u) ** 2 + self.b * (w - u * u) ** 2

    def grad(self, x) -> np.ndarray:
        """(−2(a − x) − 4b x (y − x²), 2b (y − x²)), shape ``(..., 2)``."""
        p = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            u, w = p[..., 0], p[..., 1]
            valley = w - u * u
            return np.stack([-2.0 * (self.a - u) - 4.0 * self.b * u * valley, 2.0 * self.b * valley], axis=-1)

    def hessian(self, x) -> np.ndarray:
        """The matrix of second derivatives at x, shape ``(..., 2, 2)``::

            [[2 − 4b(y − x²) + 8b x²,  −4b x],
             [−4b x,                    2b  ]]

        Its largest eigenvalue λ_max(x) sets the local step-size limit 2/λ_max(x)
        (at the minimiser (a, a²) with a = 1, b = 100: λ_max ≈ 1001.6).
        """
        p = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            u, w = p[..., 0], p[..., 1]
            xx = 2.0 - 4.0 * self.b * (w - u * u) + 8.0 * self.b * u * u
            xy = -4.0 * self.b * u
            yy = np.full_like(u, 2.0 * self.b)
            return np.stack([np.stack([xx, xy], axis=-1), np.stack([xy, yy], axis=-1)], axis=-2)

    def init(self, seed: int = 0) -> np.ndarray:
        """The classic start (−1.2, 1)."""
        check.nonnegative_int("seed", seed)
        return np.array([-1.2, 1.0])

    @property
    def minimizer(self) -> np.ndarray:
        return np.array([self.a, self.a * self.a])

    @property
    def min_loss(self) -> float:
        return 0.0

    @property
    def plot_range(self):
        """((x_low, x_high), (y_low, y_high)) holding the start and the minimiser."""
        a = self.a
        return ((min(-2.0, a - 1.0), max(2.0, a + 1.0)), (min(-1.0, a * a - 2.0), max(3.0, a * a + 2.0)))

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a!r}, b={self.b!r})"


#: Most waves (of length 2π/c) WavyValley searches for critical points in one interval.
MAX_WAVES = 10_000


class WavyValley(Problem):
    """A 1-D landscape with several valleys: f(x) = x·cos(c·x) + a·x².

        f′(x)  = cos(cx) − c·x·sin(cx) + 2a·x
        f″(x)  = −2c·sin(cx) − c²·x·cos(cx) + 2a

    The oscillating term x·cos(cx) grows with |x| and makes local minima of
    different depths; the bowl a·x² makes f → ∞, so a global minimum exists.  With
    the defaults (c = 2.5, a = 0.2) there are five local minima in [−6, 6]; the
    global one is near x ≈ −2.51.  Which valley gradient descent ends in depends on
    the learning rate, and not only through where the first steps land: GD can only
    settle at a minimum x* where |1 − η f″(x*)| < 1, i.e. f″(x*) < 2/η, so a large
    rate cannot stay in a sharp valley, however deep.  From ``init()`` (x₀ = 3), a
    small rate (η ≤ 0.08) slides into the nearest valley (x ≈ 3.75, f″ ≈ 23.5),
    η ≈ 0.15–0.21 ends in the deeper x ≈ 1.31 (f″ ≈ 9.2), and η ≈ 0.35–0.37 in the
    flat, shallow x ≈ −0.32 (f″ ≈ 5.4); in between, the iterates bounce without
    settling.

    Parameters
    ----------
    c : float > 0
        Frequency of the waves (valleys are about 2π/c apart).  Default 2.5.
    a : float > 0
        Strength of the bowl.  Default 0.2.
    plot_range : (float, float)
        The interval shown by plots, in which ``local_minima`` are listed.
        Default (−6, 6).

    Notes
    -----
    The minima are computed, not tabulated: sign changes of f′ on a fine grid are
    refined by bisection to the last floating-point digit.  The global minimiser lies
    in [−1/a, 1/a] (f(0) = 0 and f(x) ≥ a·x² − |x| > 0 outside), which is searched
    whatever the plot range.  ``init`` returns x₀ = 3 (deterministic; ``seed`` is
    accepted for the common interface).
    """

    dim = 1

    def __init__(self, c=2.5, a=0.2, plot_range=(-6.0, 6.0)):
        self.c = check.positive("c", c)
        self.a = check.positive("a", a, "a ≤ 0 makes f unbounded below")
        self._plot_range = check.limits("plot_range", plot_range)
        self._check_wave_count()
        self.name = f"wavy valley x·cos({self.c:g}x) + {self.a:g}x²"
        self._local_minima = readonly(self._critical_points(*self.plot_range, minima=True))
        self._local_maxima = readonly(self._critical_points(*self.plot_range, minima=False))
        bound = 1.0 / self.a
        candidates = np.concatenate([self._critical_points(-bound, bound, minima=True), self._local_minima])
        self._global_minimizer = float(candidates[np.argmin(self._f(candidates))])

    def _check_wave_count(self) -> None:
        """The critical points are searched on a grid of 64 points per wave: refuse
        settings whose searched intervals hold more than ``MAX_WAVES`` waves (a grid of
        millions of points, minutes and gigabytes) instead of running them."""
        low, high = self._plot_range
        if self.c * (high - low) / (2 * np.pi) > MAX_WAVES:
            check.fail("c", f"at most 2π·{MAX_WAVES}/(high − low) = "
                       f"{2 * np.pi * MAX_WAVES / (high - low):.4g} for plot_range={self._plot_range}",
                       self.c, f"the plot range would hold more than {MAX_WAVES} waves of length 2π/c")
        if self.c / (np.pi * self.a) > MAX_WAVES:
            check.fail("a", f"at least c/(π·{MAX_WAVES}) = {self.c / (np.pi * MAX_WAVES):.4g} for c={self.c:g}",
                       self.a, f"the global minimum is searched in [−1/a, 1/a], which would hold more than "
                       f"{MAX_WAVES} waves")

    @property
    def plot_range(self) -> tuple:
        """(low, high): the interval plots show; ``local_minima`` are listed inside it."""
        return self._plot_range

    # ---------------------------------------------------------------- scalar formulas
    def _f(self, x):
        return x * np.cos(self.c * x) + self.a * x * x

    def _df(self, x):
        cx = self.c * x
        return np.cos(cx) - cx * np.sin(cx) + 2.0 * self.a * x

    def _d2f(self, x):
        cx = self.c * x
        return -2.0 * self.c * np.sin(cx) - self.c * cx * np.cos(cx) + 2.0 * self.a

    # -------------------------------------------------------------------- the problem
    def loss(self, x) -> np.ndarray:
        """f(x), shape ``(...)`` for x of shape ``(..., 1)``."""
        p = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._f(p[..., 0])

    def grad(self, x) -> np.ndarray:
        """f′(x), shape ``(..., 1)``."""
        p = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._df(p)

    def second_derivative(self, x) -> np.ndarray:
        """f″(x), shape ``(...)``: the local curvature (GD settles only where f″ < 2/η)."""
        p = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._d2f(p[..., 0])

    def init(self, seed: int = 0) -> np.ndarray:
        """x₀ = 3: on a slope from which different rates end in different valleys."""
        check.nonnegative_int("seed", seed)
        return np.array([3.0])

    # --------------------------------------------------------------- critical points
    @property
    def local_minima(self) -> np.ndarray:
        """Sorted local minimisers inside ``plot_range`` (read-only)."""
        return self._local_minima

    @property
    def local_maxima(self) -> np.ndarray:
        """Sorted local maximisers inside ``plot_range`` (the ridges between valleys)."""
        return self._local_maxima

    @property
    def global_minimizer(self) -> float:
        return self._global_minimizer

    @property
    def min_loss(self) -> float:
        return float(self._f(self._global_minimizer))

    def _critical_points(self, low: float, high: float, *, minima: bool) -> np.ndarray:
        """Zeros of f′ in (low, high) where f′ goes up (minima) or down (maxima)."""
        # ≥ 64 grid points per wavelength 2π/c: f′ cannot cross zero twice unseen.
        count = int(np.ceil(64 * self.c * (high - low) / (2 * np.pi))) + 2001
        grid = np.linspace(low, high, count)
        slope = self._df(grid)
        sign = 1.0 if minima else -1.0
        s = sign * slope
        left = np.flatnonzero((s[:-1] < 0) & (s[1:] >= 0))
        lo, hi = grid[left], grid[left + 1]
        for _ in range(200):  # bisection on sign·f′: lo has < 0, hi has ≥ 0
            mid = 0.5 * (lo + hi)
            done = (mid <= lo) | (mid >= hi)
            if np.all(done):
                break
            going_up = sign * self._df(mid) >= 0
            hi = np.where(~done & going_up, mid, hi)
            lo = np.where(~done & ~going_up, mid, lo)
        roots = np.where(np.abs(self._df(lo)) <= np.abs(self._df(hi)), lo, hi)
        return roots[(roots > low) & (roots < high)]

    def __repr__(self) -> str:
        return f"WavyValley(c={self.c!r}, a={self.a!r}, plot_range={self.plot_range!r})"
