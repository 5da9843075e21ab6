"""Schedule experiments over many seeds: run them together, compare them fairly.

Three small tools for lesson 04's experiments (the first two are pure functions of arrays):

- :func:`paired_comparison` — two settings run on the same seeds (batch orders,
  initialisations) give two arrays of final losses, one entry per seed.  Count the
  seeds on which the first ends lower, and ask whether that count could be luck with
  an exact two-sided **sign test**.  It needs no assumption about how the losses are
  distributed, so one chaotic run with a huge loss cannot dominate the answer (as it
  would dominate a mean).
- :func:`settled_valley` — which local minimum of a 1-D landscape (such as
  :class:`lrcourse.problems.WavyValley`) each final iterate sits in, or −1 when it is
  not at any (still bouncing between valleys).
- :class:`BatchOrders` — a mini-batch problem seen through groups of runs that each
  draw their own batch order, so that many seeds (batch orders) go through one
  vectorised :func:`lrcourse.train.run` instead of one run per seed.
- :class:`PeakSweep` — each schedule shape at its own grid of peak rates (a window
  around where its best peak lies), laid out as one vectorised run, and read back
  per shape: the best peak of each seed, and whether it sits at an edge of its grid.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lrcourse import _validation as check
from lrcourse import schedules as _schedules

__all__ = ["PairedComparison", "paired_comparison", "sign_test_p_value", "settled_valley", "BatchOrders",
           "PeakSweep"]

#: Significance level below which :attr:`PairedComparison.verdict` is decided.
DEFAULT_ALPHA = 0.05
_ALPHA = check.Interval(0, 1, closed="neither")


#: The most untied pairs a sign test is computed for (seeds of one comparison).
MAX_PAIRS = 10**5
_PAIR_COUNT = check.Interval(0, MAX_PAIRS, closed="both", integer=True)


def sign_test_p_value(wins: int, n: int) -> float:
    """Exact two-sided sign-test p-value for ``wins`` successes in ``n`` fair coin flips.

    Under the null hypothesis (neither setting is systematically better), each of the
    n untied pairs is won by the first setting with probability ½, so the number of
    wins W follows Binomial(n, ½).  With m = min(wins, n − wins),

        p = min(1, 2 · P(W ≤ m)) = min(1, 2 · Σ_{i=0}^{m} C(n, i) / 2ⁿ).

    ``n = 0`` (every pair tied) gives p = 1.  This equals
    ``scipy.stats.binomtest(wins, n, 0.5).pvalue`` (the binomial distribution with
    p = ½ is symmetric, so doubling the smaller tail is exact).

    The sum and 2ⁿ are Python integers, so the one division is exact to the last bit
    of the float at any n (2.0 ** n would overflow from n = 1024); n is at most
    10**5 pairs (``MAX_PAIRS``; the integer sum takes about a second there).
    """
    n = _PAIR_COUNT("n", n)
    wins = check.Interval(0, n, closed="both", integer=True)("wins", wins)
    if n == 0:
        return 1.0
    smaller = min(wins, n - wins)
    term, tail = 1, 1                              # C(n, 0), then C(n, i) from C(n, i − 1)
    for i in range(1, smaller + 1):
        term = term * (n - i + 1) // i
        tail += term
    return min(1.0, 2 * tail / 2**n)


class PairedComparison(NamedTuple):
    """Setting A against setting B over the same seeds (lower is better).

    ``wins``: seeds where A ended lower; ``losses``: where B did; ``ties``: equal
    values (both NaN counts as a tie; a NaN, i.e. a diverged run, loses to any
    number).  ``p_value``: the exact two-sided sign test on the ``wins + losses``
    untied seeds (:func:`sign_test_p_value`).  ``median_ratio``: the median over
    seeds of a/b where both are finite and b > 0 (NaN if there is no such seed).
    ``alpha``: the level used by :attr:`verdict`.
    """

    wins: int
    losses: int
    ties: int
    p_value: float
    median_ratio: float
    alpha: float

    @property
    def n(self) -> int:
        """Number of seeds compared."""
        return self.wins + self.losses + self.ties

    @property
    def verdict(self) -> str:
        """'A lower', 'B lower' when the sign test rejects a coin flip at ``alpha``,
        else 'undecided' (the seeds do not show a consistent winner)."""
        if self.p_value >= self.alpha:
            return "undecided"
        return "A lower" if self.wins > self.losses else "B lower"

    def __str__(self) -> str:
        return (f"lower in {self.wins} of {self.n} seeds (B lower in {self.losses}, ties {self.ties}); "
                f"sign test p = {self.p_value:.2g}: {self.verdict}")


def paired_comparison(a, b, alpha: float = DEFAULT_ALPHA) -> PairedComparison:
    """Compare two settings run on the same seeds: does A end lower than B consistently?

    Parameters
    ----------
    a, b : array-like of real numbers, same shape
        One final value per seed (a loss: lower is better), paired by position:
        ``a[i]`` and ``b[i]`` come from the same seed.  Any shape; all entries count.
        NaN marks a run that diverged: it loses to any number and ties with NaN.
    alpha : float in (0, 1)
        Level of the two-sided sign test behind :attr:`PairedComparison.verdict`;
        default 0.05.  With n untied seeds a decision needs at least
        ⌈log₂(2/alpha)⌉ of them (6 at alpha = 0.05: 5 of 5 wins gives p = 1/16).

    Returns
    -------
    PairedComparison

    Examples
    --------
    >>> str(paired_comparison([1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7]))
    'lower in 6 of 6 seeds (B lower in 0, ties 0); sign test p = 0.031: A lower'
    """
    a = check.real_array("a", a)
    b = check.real_array("b", b)
    check.same_shape("b", b, "a", a)
    if not 0 < a.size <= MAX_PAIRS:
        check.fail("a", f"a non-empty array of at most {MAX_PAIRS} real numbers (one value per seed)",
                   check.Described(f"an array of {a.size} values"))
    alpha = _ALPHA("alpha", alpha)
    a_nan, b_nan = np.isnan(a), np.isnan(b)
    with np.errstate(invalid="ignore"):
        wins = int(np.sum((~a_nan & b_nan) | (a < b)))
        losses = int(np.sum((a_nan & ~b_nan) | (b < a)))
    ties = int(a.size) - wins - losses
    usable = np.isfinite(a) & np.isfinite(b) & (b > 0)
    ratio = float(np.median(a[usable] / b[usable])) if usable.any() else float("nan")
    return PairedComparison(wins, losses, ties, sign_test_p_value(wins, wins + losses), ratio, alpha)


def settled_valley(problem, x, tol: float = 1e-3) -> np.ndarray:
    """Index of the local minimum each final 1-D iterate sits at, or −1 if none.

    With m₀ < m₁ < … the problem's ``local_minima``, entry i is j when
    |x_i − m_j| ≤ ``tol`` (the run has settled in valley j), and −1 otherwise (the run
    is still bouncing: on a landscape where gradient descent with rate η can stay at
    a minimum x* only if f″(x*) < 2/η, a rate too large for every valley never
    settles).

    Parameters
    ----------
    problem : object with a ``local_minima`` array, e.g. ``WavyValley()``
    x : array-like of real numbers, shape (K,) or (K, 1)
        Final iterates (``run(...).x``).
    tol : float > 0
        How close to a minimiser counts as settled; default 1e-3.

    Returns
    -------
    ndarray of int, shape (K,)
    """
    minima = getattr(problem, "local_minima", None)
    if minima is None or np.ndim(minima) != 1 or not check.is_real(minima):
        check.fail("problem", "a 1-D problem with a local_minima array, such as WavyValley()", problem,
                   error=TypeError)
    minima = np.asarray(minima, dtype=float)
    points = check.real_array("x", x)
    if points.ndim == 2 and points.shape[1] == 1:
        points = points[:, 0]
    if points.ndim != 1:
        check.fail("x", "an array of shape (K,) or (K, 1): one final 1-D iterate per run",
                   check.Described(f"shape {points.shape}"))
    tol = check.positive("tol", tol)
    if minima.size == 0:
        return np.full(points.shape, -1)
    distance = np.abs(points[:, None] - minima[None, :])
    nearest = np.argmin(np.where(np.isnan(distance), np.inf, distance), axis=1)
    close = distance[np.arange(points.size), nearest] <= tol
    return np.where(close, nearest, -1)


class BatchOrders:
    """K runs in ``n_groups`` groups, each group with its own mini-batch order.

    :func:`lrcourse.train.run` gives every run the same batches, so that runs in a
    sweep differ only in their hyper-parameters.  To repeat a sweep over several batch
    orders (seeds) in one run, stack the sweep ``n_groups`` times: with K = n_groups·m
    rows, rows g·m … (g+1)·m − 1 form group g, and group g draws its batches as
    ``problem.batches(batch_size, seed + g)`` — exactly the batches a separate
    ``run(problem, ..., batch_size=batch_size, seed=seed + g)`` would see.  Within a
    group all runs share the batches, as in ``run``.

    Each step evaluates the wrapped problem once per group (on its m rows and its own
    batch); the optimizer step and the loop's bookkeeping are shared by all K rows.

    Parameters
    ----------
    problem : a problem with mini-batches (``batches(batch_size, seed)`` and
        ``loss(x, batch)`` / ``grad(x, batch)``), e.g. ``SoftmaxRegression()``
    n_groups : int in [1, 10**5]
        Number of batch orders (at most ``MAX_RUNS``, the limit on runs); K must be
        a multiple of it.

    Notes
    -----
    Use it as the problem of ``run(BatchOrders(problem, G), optimizer, x0, steps,
    batch_size=B, seed=s)``.  Without a batch (``loss(x)``, as ``run`` evaluates the
    final and the recorded full-training-set losses) it is the wrapped problem itself.

    Examples
    --------
    >>> from lrcourse.problems import SoftmaxRegression
    >>> from lrcourse.optim import SGD
    >>> from lrcourse.train import run
    >>> model = SoftmaxRegression()
    >>> x0 = np.zeros((4, model.dim))                # 2 batch orders × 2 rates
    >>> lr = np.array([[0.1], [0.5], [0.1], [0.5]])
    >>> result = run(BatchOrders(model, 2), SGD(lr=lr), x0, 20, batch_size=32, seed=0)
    """

    def __init__(self, problem, n_groups: int):
        for method in ("batches", "loss", "grad"):
            if not callable(getattr(problem, method, None)) or isinstance(problem, type):
                check.fail("problem", "a problem instance with mini-batches (batches, loss and grad methods), "
                           "such as SoftmaxRegression()", check.Described(f"an object of type "
                                                                          f"{type(problem).__name__}"),
                           error=TypeError)
        self.problem = problem
        self.n_groups = check.run_count("n_groups", n_groups)
        self.dim = problem.dim
        self.name = f"{getattr(problem, 'name', type(problem).__name__)}, {self.n_groups} batch orders"

    def batches(self, batch_size, seed=0):
        """Endless iterator of tuples: group g's next batch in the order ``seed + g``."""
        seed = check.nonnegative_int("seed", seed)
        orders = [iter(self.problem.batches(batch_size, seed + g)) for g in range(self.n_groups)]
        while True:
            yield tuple(next(order) for order in orders)

    def _groups(self, x):
        points = check.real_array("x", x)
        if points.ndim != 2 or points.shape[0] % self.n_groups:
            check.fail("x", f"an array of shape (K, {self.dim}) with K a multiple of n_groups = {self.n_groups}",
                       check.Described(f"shape {points.shape}"))
        return np.split(points, self.n_groups)

    def loss_and_grad(self, x, batch=None):
        """(loss (K,), grad (K, dim)): group g on its own batch ``batch[g]``."""
        if batch is None:
            return self.problem.loss(x), self.problem.grad(x)
        if len(batch) != self.n_groups:
            check.fail("batch", f"a tuple of {self.n_groups} batches (one per group), as batches() yields",
                       check.Described(f"{len(batch)} batches"))
        parts = [self.problem.loss_and_grad(rows, rows_batch) if hasattr(self.problem, "loss_and_grad")
                 else (self.problem.loss(rows, rows_batch), self.problem.grad(rows, rows_batch))
                 for rows, rows_batch in zip(self._groups(x), batch)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def loss(self, x, batch=None):
        """Each run's loss (the wrapped problem's full loss without a batch)."""
        return self.problem.loss(x) if batch is None else self.loss_and_grad(x, batch)[0]

    def grad(self, x, batch=None):
        """Each run's gradient (the wrapped problem's full gradient without a batch)."""
        return self.problem.grad(x) if batch is None else self.loss_and_grad(x, batch)[1]

    def __repr__(self) -> str:
        return f"BatchOrders({self.problem!r}, n_groups={self.n_groups})"


class _Scaled(_schedules.Schedule):
    """``peak · shape(k)``: a shape with peak 1 scaled to a peak rate (vectorised).

    A :class:`lrcourse.schedules.Schedule`, so that ``per_run`` does not probe it at
    steps beyond the run (a shape such as ``one_cycle`` refuses steps past its
    ``total_steps``); :class:`PeakSweep` probes plain-function shapes itself.
    """

    def __init__(self, shape, peak: float):
        self.shape, self.peak = shape, peak
        super().__init__(self._scaled, f"{peak:g} × {shape!r}")

    def _scaled(self, steps):
        return self.peak * np.asarray(self.shape(steps), dtype=float)


class PeakSweep:
    """Schedule shapes, each at its own grid of peak rates, as one vectorised run.

    A fair comparison of schedules gives each its best peak rate η₀.  The best peak
    differs between shapes (a schedule that decays early tolerates a larger η₀), so
    one common grid wide enough for all wastes runs far from every optimum.  Here
    shape i gets its own grid P_i = (p_i1 < … < p_im_i), and run

        r = g·M + (m_1 + … + m_{i−1}) + j,   M = m_1 + … + m_S,

    follows η_k = p_ij · s_i(k) (shape i with peak 1, scaled to p_ij) in group g of
    ``tile`` (one group per seed, e.g. per batch order of :class:`BatchOrders`).

    The best peak of shape i in group g is argmin_j of the final values (NaN, a
    diverged run, never best).  It lies at an **edge** when it is p_i1 or p_im_i:
    then the grid may have cut the optimum off, and the comparison is not yet fair.

    Parameters
    ----------
    shapes : dict name → schedule
        Vectorised ``step -> lr`` callables with peak 1 (``schedules.cosine(1.0, T)``).
    peaks : dict name → 1-D array of positive numbers, increasing
        The grid of each shape (every name of ``shapes``, nothing else).
    tile : int ≥ 1
        Groups (seeds); the block of M runs is repeated ``tile`` times.

    Attributes
    ----------
    rates : lrcourse.schedules.PerRunSchedule
        The optimizer's ``lr``: ``rates(k)`` has shape (K, 1), K = tile·M.
    runs : int
        K.

    Examples
    --------
    >>> from lrcourse import schedules
    >>> sweep = PeakSweep({"constant": schedules.constant(1.0), "cosine": schedules.cosine(1.0, T_max=10)},
    ...                   {"constant": [0.1, 0.2], "cosine": [0.2, 0.4, 0.8]}, tile=2)
    >>> sweep.runs, sweep.rates(0).ravel().tolist()[:5]
    (10, [0.1, 0.2, 0.2, 0.4, 0.8])
    >>> sweep.split(np.arange(10.0))["cosine"].tolist()
    [[2.0, 3.0, 4.0], [7.0, 8.0, 9.0]]
    """

    def __init__(self, shapes: dict, peaks: dict, tile: int = 1):
        if not isinstance(shapes, dict) or not shapes:
            check.fail("shapes", "a non-empty dict name → schedule with peak 1", shapes, error=TypeError)
        accepted = f"a dict with one grid of peak rates for each shape: keys {list(shapes)}"
        if not isinstance(peaks, dict):
            check.fail("peaks", accepted, peaks, error=TypeError)
        if set(peaks) != set(shapes):
            check.fail("peaks", accepted, check.Described(f"keys {list(peaks)}"))
        self.shapes = {name: check.callable_(f"shapes[{name!r}]", shape, "a vectorised step -> lr schedule")
                       for name, shape in shapes.items()}
        self.peaks = {}
        for name in shapes:
            grid = check.real_array(f"peaks[{name!r}]", peaks[name], finite=True)
            if grid.ndim != 1 or grid.size == 0 or np.any(grid <= 0) or np.any(np.diff(grid) <= 0):
                check.fail(f"peaks[{name!r}]", "a non-empty 1-D array of increasing positive peak rates",
                           check.Described(f"{grid.tolist()}"))
            self.peaks[name] = grid
        self.tile = check.run_count("tile", tile)
        for name, shape in self.shapes.items():     # a plain function is probed, as per_run does
            _schedules._check_vectorised(shape, f"shapes[{name!r}]", math.inf)
        scaled = [_Scaled(self.shapes[name], float(p)) for name in shapes for p in self.peaks[name]]
        self.rates = _schedules.per_run(scaled, tile=self.tile)
        self.runs = self.rates.runs

    def split(self, values) -> dict:
        """Final values (K,) → dict name → array (tile, m_i): ``[g, j]`` is group g at peak p_ij."""
        values = check.real_array("values", values)
        if values.shape != (self.runs,):
            check.fail("values", f"an array of shape ({self.runs},): one value per run of the sweep",
                       check.Described(f"shape {values.shape}"))
        block = values.reshape(self.tile, -1)
        bounds = np.cumsum([0] + [grid.size for grid in self.peaks.values()])
        return {name: block[:, start:end] for name, start, end in zip(self.peaks, bounds[:-1], bounds[1:])}

    def best(self, values) -> dict:
        """dict name → (best value (tile,), best peak (tile,)) of each group; NaN where all diverged."""
        out = {}
        for name, table in self.split(values).items():
            finite = np.where(np.isnan(table), np.inf, table)
            index = np.argmin(finite, axis=1)
            found = np.isfinite(finite[np.arange(self.tile), index])
            out[name] = (np.where(found, table[np.arange(self.tile), index], np.nan),
                         np.where(found, self.peaks[name][index], np.nan))
        return out

    def at_best(self, values, other) -> dict:
        """dict name → ``other`` (K,) read at each group's best peak by ``values`` (tile,).

        For example the validation accuracy at the peak with the lowest training
        loss: choosing the peak by the accuracy itself would flatter it (the best of
        several noisy values is biased upward).  NaN where every run of a group diverged.
        """
        chosen = self.split(other)
        out = {}
        for name, table in self.split(values).items():
            finite = np.where(np.isnan(table), np.inf, table)
            index = np.argmin(finite, axis=1)
            rows = np.arange(self.tile)
            out[name] = np.where(np.isfinite(finite[rows, index]), chosen[name][rows, index], np.nan)
        return out

    def at_edge(self, values) -> dict:
        """dict name → number of groups whose best peak is the smallest or largest of its grid."""
        return {name: int(np.sum((peak == self.peaks[name][0]) | (peak == self.peaks[name][-1])))
                for name, (_, peak) in self.best(values).items()}

    def __repr__(self) -> str:
        return f"PeakSweep({len(self.shapes)} shapes, {self.runs // self.tile} runs × {self.tile} groups)"
