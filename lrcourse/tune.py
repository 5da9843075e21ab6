"""Tuning the learning rate: sweeps, grid and random search, successive halving,
and the LR range test ("LR finder") with its suggestion rules.

Every search here is one or a few *vectorised* runs of :func:`lrcourse.train.run`:
K learning rates are one optimizer with ``lr`` of shape ``(K, 1)``, so a sweep of 50
rates costs about as much Python as one run.  The K runs share the start point and
the sequence of mini-batches, so they differ only in the learning rate.

Arguments for the optimizer go in ``optimizer_kwargs={...}``; any other keyword is
passed on to :func:`lrcourse.train.run` (``batch_size``, ``seed``, ``clip_norm``,
``clip_value``, ``divergence_factor``, ``eval_every``, ``keep_trajectory``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from lrcourse import _validation as check
from lrcourse import schedules, train
from lrcourse.train import RunResult, run

__all__ = [
    "lr_sweep",
    "grid_search",
    "random_search",
    "log_uniform",
    "successive_halving",
    "lr_finder",
    "exponential_ramp",
    "smooth_losses",
    "finder_stop_index",
    "steepest",
    "minimum",
    "valley",
    "SUGGESTION_RULES",
    "SweepResult",
    "HalvingRound",
    "HalvingResult",
    "FinderResult",
]

_RUN_KEYWORDS = ("batch_size", "seed", "clip_norm", "clip_value", "divergence_factor",
                 "eval_every", "keep_trajectory")
_PICK_BY = ("final_loss", "best_loss", "val_loss")
#: Counts that need two (a grid's ends, a ramp's ends, a halving factor) and multiples above one.
#: a grid's size and a finder's ramp length: at least both ends, at most the library's limits
_GRID_SIZE = check.Interval(2, check.MAX_RUNS, closed="both", integer=True)
_RAMP_LENGTH = check.Interval(2, check.MAX_STEPS, closed="both", integer=True)
_ABOVE_ONE = check.Interval(1, np.inf, closed="neither")


# ----------------------------------------------------------------------------------
# argument checks shared by the searches
# ----------------------------------------------------------------------------------

def _check_lrs(lrs) -> np.ndarray:
    accepted = f"a 1-D array of 1 to {check.MAX_RUNS} positive finite learning rates"
    array = check.real_array("lrs", lrs)
    if array.ndim != 1 or not 0 < array.size <= check.MAX_RUNS:
        check.fail("lrs", accepted, check.Described(f"shape {array.shape}"),
                   "pass e.g. np.geomspace(1e-4, 1, 20)")
    bad = ~(np.isfinite(array) & (array > 0))
    if bad.any():
        check.fail("lrs", accepted, array, f"the first bad entry is {float(array[bad][0])!r}")
    return array


def _check_optimizer_kwargs(optimizer_kwargs) -> dict:
    if optimizer_kwargs is None:
        return {}
    if not isinstance(optimizer_kwargs, dict):
        check.fail("optimizer_kwargs", "a dict of optimizer arguments or None",
                   optimizer_kwargs, error=TypeError)
    if "lr" in optimizer_kwargs:
        check.fail("optimizer_kwargs", "free of 'lr'", optimizer_kwargs,
                   "the learning rates come from the search itself")
    return dict(optimizer_kwargs)


def _check_run_kwargs(run_kwargs: dict, caller: str) -> dict:
    for key in run_kwargs:
        if key not in _RUN_KEYWORDS:
            check.fail(key, f"a keyword {caller}() knows (one of {', '.join(_RUN_KEYWORDS)})",
                       check.Described("an unexpected keyword argument"),
                       f"optimizer arguments go in optimizer_kwargs={{{key!r}: ...}}",
                       error=TypeError)
    return run_kwargs


def _check_problem_and_optimizer_cls(problem, optimizer_cls) -> None:
    """The problem as :func:`lrcourse.train.run` checks it; an optimizer class (not an instance)."""
    train._check_problem(problem)
    if not callable(optimizer_cls):
        check.fail("optimizer_cls", "an optimizer class such as lrcourse.optim.SGD",
                   optimizer_cls, error=TypeError)


def _check_range(low, high) -> tuple[float, float]:
    low = check.positive("low", low)
    high = check.positive("high", high)
    if not low < high:
        check.fail("high", f"greater than low={low!r}", high, "swap low and high")
    return low, high


def _start(problem, x0, seed: int):
    return problem.init(seed=seed) if x0 is None else x0


# ----------------------------------------------------------------------------------
# sweeps
# ----------------------------------------------------------------------------------

@dataclass(repr=False)
class SweepResult:
    """K learning rates trained side by side.

    Attributes
    ----------
    lrs : ndarray, shape (K,)
    final_loss : ndarray, shape (K,)
        Full training loss after the last step; NaN for diverged runs.
    best_loss : ndarray, shape (K,)
        Lowest loss each run reached on the way (see ``RunResult.best_loss``).
    final_val_loss : ndarray, shape (K,), or None
        ``problem.val_loss`` at the final parameters (NaN for diverged runs) when the
        problem has a validation set.
    diverged : ndarray of bool, shape (K,)
    diverged_at : ndarray of int, shape (K,)
        Step of divergence, −1 if none.
    run : RunResult
        All records of the vectorised run.
    """

    lrs: np.ndarray
    final_loss: np.ndarray
    best_loss: np.ndarray
    final_val_loss: np.ndarray | None
    diverged: np.ndarray
    diverged_at: np.ndarray
    run: RunResult

    def pick(self, by: str = "final_loss") -> float:
        """The learning rate with the lowest ``by`` among runs that did not diverge.

        ``by`` is ``"final_loss"`` (training loss at the end), ``"best_loss"`` (lowest
        loss reached on the way) or ``"val_loss"`` (validation loss at the end).  Ties
        go to the smaller learning rate.
        """
        check.one_of("by", by, _PICK_BY)
        if by == "val_loss" and self.final_val_loss is None:
            check.fail("by", "'final_loss' or 'best_loss' for a problem without val_loss()", by)
        score = {"final_loss": self.final_loss, "best_loss": self.best_loss,
                 "val_loss": self.final_val_loss}[by]
        usable = ~self.diverged & np.isfinite(score)
        if not usable.any():
            check.fail("lrs", "a range where at least one run does not diverge",
                       check.Described(f"{self.lrs.size} learning rates from "
                                       f"{self.lrs.min():.3g} to {self.lrs.max():.3g}, all diverged"),
                       "lower the learning rates")
        order = np.lexsort((self.lrs, np.where(usable, score, np.inf)))
        return float(self.lrs[order[0]])

    @property
    def best_lr(self) -> float:
        """``pick("final_loss")``: the rate with the lowest final training loss."""
        return self.pick("final_loss")

    def summary(self) -> str:
        K = self.lrs.size
        text = f"{K} learning rates from {self.lrs.min():.3g} to {self.lrs.max():.3g}"
        if (~self.diverged).any():
            best = self.best_lr
            k = int(np.flatnonzero(self.lrs == best)[0])
            text += f"; best lr {best:.3g} (final loss {self.final_loss[k]:.4g})"
        n_div = int(self.diverged.sum())
        if n_div:
            text += (f"; {n_div} diverged, the smallest at lr={self.lrs[self.diverged].min():.3g}")
        else:
            text += "; none diverged"
        return text

    def __repr__(self) -> str:
        return f"SweepResult({self.summary()})"


def lr_sweep(problem, optimizer_cls, lrs, steps, *, x0=None, optimizer_kwargs=None,
             **run_kwargs) -> SweepResult:
    """Train one run per learning rate in ``lrs``, all in one vectorised run.

    Parameters
    ----------
    problem : a :mod:`lrcourse.problems` problem
    optimizer_cls : class
        An :mod:`lrcourse.optim` class; it is built as
        ``optimizer_cls(lr=lrs[:, None], **optimizer_kwargs)``.
    lrs : 1-D array of positive numbers, shape (K,)
    steps : int
        Steps per run.
    x0 : array or None
        Start point, shared by all runs; None uses ``problem.init(seed=seed)``.
    optimizer_kwargs : dict or None
        Other optimizer arguments, e.g. ``{"momentum": 0.9}``.
    **run_kwargs
        Passed to :func:`lrcourse.train.run` (``batch_size``, ``seed``, ``clip_norm``,
        ``clip_value``, ``divergence_factor``, ``eval_every``, ``keep_trajectory``).

    Returns
    -------
    SweepResult
    """
    _check_problem_and_optimizer_cls(problem, optimizer_cls)
    lrs = _check_lrs(lrs)
    optimizer_kwargs = _check_optimizer_kwargs(optimizer_kwargs)
    run_kwargs = _check_run_kwargs(run_kwargs, "lr_sweep")
    seed = check.nonnegative_int("seed", run_kwargs.get("seed", 0))
    optimizer = optimizer_cls(lr=lrs[:, None], **optimizer_kwargs)
    result = run(problem, optimizer, _start(problem, x0, seed), steps, **run_kwargs)
    final_val = None
    if callable(getattr(problem, "val_loss", None)):
        with np.errstate(over="ignore", invalid="ignore"):
            final_val = np.asarray(problem.val_loss(result.x), dtype=float).reshape(lrs.size)
        final_val = np.where(result.diverged, np.nan, final_val)
    return SweepResult(lrs=lrs, final_loss=result.final_loss, best_loss=result.best_loss,
                       final_val_loss=final_val, diverged=result.diverged,
                       diverged_at=result.diverged_at, run=result)


def grid_search(problem, optimizer_cls, low, high, num, steps, *, x0=None,
                optimizer_kwargs=None, **run_kwargs) -> SweepResult:
    """:func:`lr_sweep` over ``num`` log-spaced rates from ``low`` to ``high``
    (``np.geomspace(low, high, num)``: both ends included, equal ratios between
    neighbours)."""
    low, high = _check_range(low, high)
    num = _GRID_SIZE("num", num, "a grid needs both ends; use lr_sweep for one rate")
    return lr_sweep(problem, optimizer_cls, np.geomspace(low, high, num), steps, x0=x0,
                    optimizer_kwargs=optimizer_kwargs, **run_kwargs)


def log_uniform(n, low, high, seed=0) -> np.ndarray:
    """``n`` rates drawn log-uniformly from [low, high], sorted ascending.

    ``lr = exp(u)`` with ``u ~ Uniform(log low, log high)``, from
    ``np.random.default_rng(seed)``: every decade gets the same share of samples.
    """
    n = check.run_count("n", n)
    low, high = _check_range(low, high)
    seed = check.nonnegative_int("seed", seed)
    rng = np.random.default_rng(seed)
    return np.sort(np.exp(rng.uniform(np.log(low), np.log(high), size=n)))


def random_search(problem, optimizer_cls, n, low, high, steps, *, seed=0, x0=None,
                  optimizer_kwargs=None, **run_kwargs) -> SweepResult:
    """:func:`lr_sweep` over ``n`` log-uniform random rates from [low, high].

    ``seed`` seeds the draw (:func:`log_uniform`) and is also the run's seed (start
    point and mini-batch order), so one number reproduces the whole search.
    """
    lrs = log_uniform(n, low, high, seed)
    return lr_sweep(problem, optimizer_cls, lrs, steps, x0=x0,
                    optimizer_kwargs=optimizer_kwargs, seed=seed, **run_kwargs)


# ----------------------------------------------------------------------------------
# LR range test
# ----------------------------------------------------------------------------------

def exponential_ramp(start_lr, end_lr, num_steps) -> np.ndarray:
    """The finder's learning rates: ``lr_i = start · (end/start)^(i/(num_steps − 1))``.

    ``i = 0, …, num_steps − 1``, so the ramp starts at ``start_lr`` and ends at
    ``end_lr`` (to rounding) with a constant ratio r = (end/start)^(1/(num_steps − 1))
    between steps: it is ``schedules.exponential(start_lr, gamma=r)`` (PyTorch's
    ExponentialLR) on its first ``num_steps`` steps.  fastai's ``lr_find`` uses
    ``i/num_it`` instead, so its last rate stops one ratio short of ``end_lr``.
    """
    start_lr, end_lr, num_steps = _check_ramp(start_lr, end_lr, num_steps)
    return _ramp(start_lr, end_lr, num_steps)(np.arange(num_steps))


def _check_ramp(start_lr, end_lr, num_steps):
    start_lr = check.positive("start_lr", start_lr)
    end_lr = check.positive("end_lr", end_lr)
    if not start_lr < end_lr:
        check.fail("end_lr", f"greater than start_lr={start_lr!r}", end_lr,
                   "the ramp goes up: try start_lr=1e-7, end_lr=10")
    return start_lr, end_lr, _RAMP_LENGTH("num_steps", num_steps)


def _ramp(start_lr: float, end_lr: float, num_steps: int) -> schedules.Schedule:
    """The finder's schedule: an exponential whose ratio reaches end_lr at the last step."""
    return schedules.exponential(start_lr, gamma=(end_lr / start_lr) ** (1.0 / (num_steps - 1)))


def smooth_losses(losses, beta=0.98) -> np.ndarray:
    """Bias-corrected exponential moving average of a loss curve.

    ``avg_i = β·avg_{i−1} + (1 − β)·loss_i`` with ``avg_{−1} = 0``, and
    ``smoothed_i = avg_i / (1 − β^(i+1))``.  The correction removes the pull towards
    the zero start (without it the first values would be ``(1 − β)·loss``); β = 0
    returns the losses unchanged.  A non-finite loss makes every later value
    non-finite.
    """
    losses = check.real_array("losses", losses)
    if losses.ndim != 1:
        check.fail("losses", "a 1-D array", check.Described(f"shape {losses.shape}"))
    beta = check.unit_interval("beta", beta)
    smoothed = np.empty_like(losses)
    avg = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for i, value in enumerate(losses):
            avg = beta * avg + (1.0 - beta) * value
            smoothed[i] = avg / (1.0 - beta ** (i + 1))
    return smoothed


def finder_stop_index(smoothed, diverge_threshold=4.0) -> int | None:
    """First ``i`` with ``smoothed_i > diverge_threshold · min_{j≤i} smoothed_j`` or a
    non-finite ``smoothed_i``; None if the curve never stops."""
    smoothed = check.real_array("smoothed", smoothed)
    if smoothed.ndim != 1:
        check.fail("smoothed", "a 1-D array (a smoothed loss curve)",
                   check.Described(f"shape {smoothed.shape}") if smoothed.ndim else float(smoothed))
    diverge_threshold = _check_threshold(diverge_threshold)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(smoothed)
        best = np.minimum.accumulate(np.where(finite, smoothed, np.inf))
        stop = ~finite | (smoothed > diverge_threshold * best)
    hits = np.flatnonzero(stop)
    return int(hits[0]) if hits.size else None


def _check_threshold(diverge_threshold) -> float:
    return _ABOVE_ONE("diverge_threshold", diverge_threshold,
                      "the run stops when the smoothed loss exceeds this multiple of its best")


# suggestion rules ------------------------------------------------------------------

def _curve(lrs, losses) -> tuple[np.ndarray, np.ndarray]:
    lrs = check.real_array("lrs", lrs)
    losses = check.real_array("losses", losses)
    if lrs.ndim != 1 or lrs.size < 2:
        check.fail("lrs", "a 1-D array of at least 2 learning rates",
                   check.Described(f"shape {lrs.shape}"),
                   "the finder stopped too early to suggest anything: lower start_lr")
    if losses.shape != lrs.shape:
        check.fail("losses", f"an array of the shape of lrs {lrs.shape}",
                   check.Described(f"shape {losses.shape}"))
    if not (np.all(np.isfinite(lrs) & (lrs > 0)) and np.all(np.diff(lrs) > 0)):
        check.fail("lrs", "a strictly increasing array of positive finite learning rates", lrs)
    if not np.all(np.isfinite(losses)):
        check.fail("losses", "an array of finite losses", losses, "drop the points after the loss blew up")
    return lrs, losses


def steepest(lrs, losses) -> float:
    """The rate where the loss falls fastest against log10(lr).

    ``lrs[argmin_i d loss / d log10(lr)]``, the slope taken with ``np.gradient``
    (central differences inside, one-sided at the two ends).  Pass the smoothed
    curve: raw mini-batch losses make the slope mostly noise.
    """
    lrs, losses = _curve(lrs, losses)
    slope = np.gradient(losses, np.log10(lrs))
    return float(lrs[int(np.argmin(slope))])


def minimum(lrs, losses) -> float:
    """A tenth of the rate at the lowest loss: ``lrs[argmin losses] / 10``.

    At the minimum the rate is already about to destabilise training; one tenth of
    it is a rate that still descends well (fastai's ``minimum`` rule).
    """
    lrs, losses = _curve(lrs, losses)
    return float(lrs[int(np.argmin(losses))] / 10.0)


def valley(lrs, losses) -> float:
    """A rate two thirds of the way down the longest valley of the curve.

    A variant of fastai's ``valley`` rule (fastai's documentation describes its rule as
    "roughly 2/3 through the longest valley"; its code picks a point about halfway, see
    below).  This one:

    1. The *valley* is the longest strictly decreasing subsequence of ``losses``
       (points may be skipped, so small bumps do not cut it short).  For each ``i``,
       ``length_i = 1 + max{length_j : j < i, losses_j > losses_i}`` (1 if no such
       ``j``).  Among predecessors of equal length the one whose subsequence starts
       latest is kept, so a flat stretch before the descent is not counted in it.
    2. Its end ``e`` is the first index of greatest length, its start ``s`` the
       first index of that subsequence.
    3. The suggestion is ``lrs[s + ⌊2(e − s)/3⌋]``: two thirds of the way from
       the top of the valley to its bottom, counted in steps of the ramp (on an
       exponential ramp, two thirds of the way in log10(lr)).

    fastai's code differs in three ways: it takes ``s = e − length`` and a point about
    halfway (index ``s + ⌊(e − s)/3⌋ + ⌊(e − s)/6⌋``), so its suggestion is somewhat
    lower; it applies the rule to the smoothed losses without the first ``num_it // 10``
    and the last 5 points; and its start may come from a run length that is later
    superseded.  Lesson 06 computes both on one finder curve.

    Raises ValueError when the loss never decreases (no valley).
    """
    lrs, losses = _curve(lrs, losses)
    n = losses.size
    length = np.ones(n, dtype=int)
    first = np.arange(n)
    for i in range(1, n):
        higher = np.flatnonzero(losses[:i] > losses[i])
        if higher.size:
            best = length[higher].max()
            candidates = higher[length[higher] == best]
            length[i] = best + 1
            first[i] = first[candidates].max()
    end = int(np.argmax(length))
    if length[end] < 2:
        check.fail("losses", "a curve that decreases somewhere", losses,
                   "the loss only rose: lower start_lr")
    start = int(first[end])
    return float(lrs[start + (2 * (end - start)) // 3])


SUGGESTION_RULES: dict[str, Callable] = {
    "steepest": steepest,
    "minimum": minimum,
    "valley": valley,
}


@dataclass(repr=False)
class FinderResult:
    """The record of an LR range test.

    Attributes
    ----------
    lrs : ndarray
        Rates used, ``lrs[i]`` in step ``i``, up to and including ``stopped_at``.
    losses : ndarray
        Raw loss at the parameters before step ``i`` (on the batch step ``i`` used).
    smoothed : ndarray
        Bias-corrected EMA of ``losses`` (:func:`smooth_losses`).
    stopped_at : int or None
        Step at which the smoothed loss passed ``diverge_threshold ×`` its best (or
        became non-finite); None if the ramp reached ``end_lr``.
    suggestions : dict
        ``{rule name: lr}`` for every rule in :data:`SUGGESTION_RULES` that could be
        applied to the finite part of ``(lrs, smoothed)``.
    failed_rules : dict
        ``{rule name: reason}`` for the rules that could not be applied.
    rule : str
        The default rule behind :attr:`suggestion`.
    run : RunResult
        The full record of the training run.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_at: int | None
    suggestions: dict
    failed_rules: dict
    rule: str
    run: RunResult = field(repr=False)

    @property
    def suggestion(self) -> float:
        """The default rule's suggestion (ValueError if that rule could not be applied)."""
        if self.rule not in self.suggestions:
            check.fail("rule", "a rule that could be applied to this curve", self.rule,
                       self.failed_rules.get(self.rule, ""))
        return self.suggestions[self.rule]

    def suggest(self, rule) -> float:
        """Apply ``rule`` (a name in :data:`SUGGESTION_RULES` or a function
        ``(lrs, losses) -> lr``) to the finite part of the smoothed curve."""
        if not callable(rule):
            rule = SUGGESTION_RULES[check.one_of("rule", rule, SUGGESTION_RULES)]
        finite = np.isfinite(self.smoothed)
        return float(rule(self.lrs[finite], self.smoothed[finite]))

    def summary(self) -> str:
        end = (f"stopped at step {self.stopped_at} (lr={self.lrs[self.stopped_at]:.3g})"
               if self.stopped_at is not None else f"reached lr={self.lrs[-1]:.3g} without stopping")
        tips = ", ".join(f"{name} {lr:.3g}" for name, lr in self.suggestions.items())
        return f"LR finder over {self.lrs.size} steps, {end}; suggestions: {tips or 'none'}"

    def __repr__(self) -> str:
        return f"FinderResult({self.summary()})"


def lr_finder(problem, optimizer_cls, *, start_lr=1e-7, end_lr=10, num_steps=100,
              beta=0.98, diverge_threshold=4.0, batch_size=None, seed=0, x0=None,
              optimizer_kwargs=None, rule="valley") -> FinderResult:
    """LR range test: train with an exponentially growing rate and watch the loss.

    Step ``i`` (``i = 0, …, num_steps − 1``) uses::

        lr_i = start_lr · (end_lr / start_lr)^(i / (num_steps − 1))

    (so the ramp ends exactly at ``end_lr``; fastai's ``lr_find`` divides by
    ``num_it`` instead and stops one ratio short).  The raw losses are smoothed with a
    bias-corrected EMA (:func:`smooth_losses`)::

        avg_i = β·avg_{i−1} + (1 − β)·loss_i,   smoothed_i = avg_i / (1 − β^(i+1))

    and the test stops at the first step whose smoothed loss exceeds
    ``diverge_threshold ×`` the best smoothed loss so far, or is non-finite
    (:func:`finder_stop_index`).  The suggestion rules of :data:`SUGGESTION_RULES`
    are applied to the finite part of ``(lrs, smoothed)``.

    Parameters
    ----------
    problem, optimizer_cls
        As in :func:`lr_sweep`; the optimizer is built with the ramp as its schedule.
    start_lr, end_lr : float
        First and last rate, ``0 < start_lr < end_lr``.
    num_steps : int in [2, 10**6]
        Length of the ramp.
    beta : float in [0, 1)
        Smoothing factor (0: no smoothing).
    diverge_threshold : float > 1
        Stop when the smoothed loss exceeds this multiple of its best value.
    batch_size, seed
        Mini-batches as in :func:`lrcourse.train.run`; ``seed`` also picks the start
        point when ``x0`` is None (``problem.init(seed=seed)``).
    optimizer_kwargs : dict or None
        Other optimizer arguments.
    rule : str
        Name of the rule behind ``FinderResult.suggestion``.

    Notes
    -----
    The stop rule looks only backwards, so the library trains the whole ramp (or
    until :func:`lrcourse.train.run`'s own divergence guard ends it) and cuts the
    record at the stop afterwards; the recorded curve is the same as if training had
    stopped on the spot.  The guard's factor is set high enough,
    ``max(1e4, 2·diverge_threshold/(1 − β))``, that it can only act after the
    finder's rule has already fired (for non-negative losses).  The rule assumes a
    positive loss, as a cross-entropy or a quadratic is.

    References
    ----------
    L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017
    (the LR range test); fastai's ``LRFinder`` for the exponential ramp, the
    smoothing and the 4× stop rule.
    """
    _check_problem_and_optimizer_cls(problem, optimizer_cls)
    start_lr, end_lr, num_steps = _check_ramp(start_lr, end_lr, num_steps)
    beta = check.unit_interval("beta", beta)
    diverge_threshold = _check_threshold(diverge_threshold)
    seed = check.nonnegative_int("seed", seed)
    optimizer_kwargs = _check_optimizer_kwargs(optimizer_kwargs)
    rule = check.one_of("rule", rule, SUGGESTION_RULES)

    schedule = _ramp(start_lr, end_lr, num_steps)
    optimizer = optimizer_cls(lr=schedule, **optimizer_kwargs)
    x0 = _start(problem, x0, seed)
    if np.ndim(x0) != 1:
        check.fail("x0", "a single start point of shape (dim,)",
                   check.Described(f"shape {np.shape(x0)}"), "the finder trains one run")
    guard = max(1e4, 2.0 * diverge_threshold / (1.0 - beta))
    record = run(problem, optimizer, x0, num_steps, batch_size=batch_size, seed=seed,
                 divergence_factor=guard)

    lrs = schedule(np.arange(num_steps))
    losses = record.loss[:, 0]
    smoothed = smooth_losses(losses, beta)
    stopped_at = finder_stop_index(smoothed, diverge_threshold)
    if stopped_at is not None:
        keep = slice(0, stopped_at + 1)
        lrs, losses, smoothed = lrs[keep], losses[keep], smoothed[keep]

    finite = np.isfinite(smoothed)
    suggestions, failed = {}, {}
    for name, function in SUGGESTION_RULES.items():
        try:
            suggestions[name] = float(function(lrs[finite], smoothed[finite]))
        except ValueError as error:
            failed[name] = str(error)
    return FinderResult(lrs=lrs, losses=losses, smoothed=smoothed, stopped_at=stopped_at,
                        suggestions=suggestions, failed_rules=failed, rule=rule, run=record)


# ----------------------------------------------------------------------------------
# successive halving
# ----------------------------------------------------------------------------------

@dataclass(repr=False)
class HalvingRound:
    """One round of :func:`successive_halving`.

    Attributes
    ----------
    lrs : ndarray
        The rates still in the race at this round.
    steps : int
        Total steps each of them has trained for by the end of the round.
    score : ndarray
        The ranking metric at the end of the round (NaN for diverged runs).
    diverged : ndarray of bool
    kept : ndarray of bool
        Which of ``lrs`` go on to the next round (all False in the last round).
    run : RunResult
        The record of this round's steps.
    """

    lrs: np.ndarray
    steps: int
    score: np.ndarray
    diverged: np.ndarray
    kept: np.ndarray
    run: RunResult

    def __repr__(self) -> str:
        return (f"HalvingRound({self.lrs.size} rates, {self.steps} steps each, "
                f"{int(self.kept.sum())} kept)")


@dataclass(repr=False)
class HalvingResult:
    """The rounds of :func:`successive_halving` and its winner.

    ``best_lr`` is the rate with the lowest score in the last round;
    ``total_steps`` is the budget spent, the sum over rounds of (rates in the
    round) × (new steps in the round).
    """

    rounds: list
    best_lr: float
    total_steps: int
    metric: str

    def summary(self) -> str:
        path = " → ".join(str(r.lrs.size) for r in self.rounds)
        return (f"successive halving over {len(self.rounds)} rounds ({path} rates), "
                f"{self.total_steps} steps in all; best lr {self.best_lr:.3g} by {self.metric}")

    def __repr__(self) -> str:
        return f"HalvingResult({self.summary()})"


def _carry_state(old, new, keep: np.ndarray) -> None:
    """Give ``new`` the state (step count and buffers, PyTorch's names) of the kept rows of ``old``."""
    for name, value in old.state.items():
        if name == "step":
            new.step_count = value
        elif value is not None:
            setattr(new, name, np.asarray(value)[keep])


def successive_halving(problem, optimizer_cls, lrs, min_steps, *, eta=3, metric="final_loss",
                       x0=None, optimizer_kwargs=None, **run_kwargs) -> HalvingResult:
    """Successive halving over learning rates: give many rates a small budget, keep
    the best ``1/eta`` of them, give the survivors ``eta`` times more, and so on.

    Round ``r = 0, 1, …`` trains the rates still in the race until each has taken
    ``min_steps · eta^r`` steps in total, scores them by ``metric``, and keeps the
    best ``max(1, ⌊n_r / eta⌋)`` of the ``n_r`` rates (diverged runs rank last).  It
    ends after the round with a single rate.

    Survivors *continue* from where they were: their parameters and optimizer state
    (step count and moment buffers) are carried over, and a round only adds
    ``min_steps · (eta^r − eta^(r−1))`` steps.  Each round is one vectorised
    :func:`lrcourse.train.run`, whose divergence test is relative to the loss at
    the start of that round; with ``batch_size``, round ``r`` draws its mini-batches
    with ``seed + r``.

    Parameters
    ----------
    problem, optimizer_cls, lrs, x0, optimizer_kwargs, **run_kwargs
        As in :func:`lr_sweep`.
    min_steps : int ≥ 1
        Steps per rate in the first round.
    eta : int ≥ 2
        Reduction factor.  The last round trains ``min_steps · eta^R`` steps
        (R = the rounds needed to reach one rate), which must stay ≤ 10**6
        (``_validation.MAX_STEPS``, as for :func:`lrcourse.train.run`).
    metric : {"final_loss", "val_loss"}
        Full training loss, or ``problem.val_loss``, at the end of each round.

    References
    ----------
    K. Jamieson and A. Talwalkar, "Non-stochastic best arm identification and
    hyperparameter optimization", AISTATS 2016; L. Li et al., "Hyperband", JMLR 2018.
    """
    _check_problem_and_optimizer_cls(problem, optimizer_cls)
    lrs = _check_lrs(lrs)
    min_steps = check.step_count("min_steps", min_steps)
    eta = check.at_least_two("eta", eta, "each round keeps the best 1/eta of the rates")
    last_round, survivors = 0, lrs.size
    while survivors > 1:
        survivors, last_round = max(1, survivors // eta), last_round + 1
    if min_steps * eta ** last_round > check.MAX_STEPS:
        check.fail("eta", f"small enough that the last round's min_steps·eta^{last_round} steps are "
                   f"≤ {check.MAX_STEPS}", eta,
                   f"with min_steps={min_steps} and {lrs.size} rates the last round (round "
                   f"{last_round}) would train {min_steps * eta ** last_round} steps; lower eta or min_steps")
    check.one_of("metric", metric, ("final_loss", "val_loss"))
    if metric == "val_loss" and not callable(getattr(problem, "val_loss", None)):
        check.fail("metric", "'final_loss' for a problem without val_loss()", metric)
    optimizer_kwargs = _check_optimizer_kwargs(optimizer_kwargs)
    run_kwargs = _check_run_kwargs(run_kwargs, "successive_halving")
    seed = check.nonnegative_int("seed", run_kwargs.pop("seed", 0))

    x = check.real_array("x0", _start(problem, x0, seed))
    if x.ndim == 1:
        x = np.tile(x, (lrs.size, 1))
    if x.ndim != 2 or x.shape[0] != lrs.size:
        check.fail("x0", f"one start point of shape (dim,) or an array with {lrs.size} rows",
                   check.Described(f"shape {x.shape}"))
    alive_lrs = lrs
    optimizer = optimizer_cls(lr=alive_lrs[:, None], **optimizer_kwargs)
    rounds, done, total, r = [], 0, 0, 0
    while True:
        target = min_steps * eta ** r
        result = run(problem, optimizer, x, target - done, seed=seed + r, **run_kwargs)
        total += (target - done) * alive_lrs.size
        done = target
        if metric == "final_loss":
            score = result.final_loss
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                score = np.asarray(problem.val_loss(result.x), dtype=float).reshape(alive_lrs.size)
            score = np.where(result.diverged, np.nan, score)
        ranked = np.where(np.isfinite(score), score, np.inf)
        if not np.isfinite(ranked).any():
            check.fail("lrs", "a range where at least one run does not diverge",
                       check.Described(f"{alive_lrs.size} rates from {alive_lrs.min():.3g} to "
                                       f"{alive_lrs.max():.3g}, all diverged in round {r}"),
                       "lower the learning rates")
        order = np.lexsort((alive_lrs, ranked))
        n_keep = max(1, alive_lrs.size // eta) if alive_lrs.size > 1 else 0
        kept = np.zeros(alive_lrs.size, dtype=bool)
        kept[order[:n_keep]] = True
        rounds.append(HalvingRound(lrs=alive_lrs, steps=target, score=score,
                                   diverged=result.diverged, kept=kept, run=result))
        if n_keep == 0:
            best_lr = float(alive_lrs[order[0]])
            break
        new_optimizer = optimizer_cls(lr=alive_lrs[kept][:, None], **optimizer_kwargs)
        _carry_state(optimizer, new_optimizer, kept)
        optimizer, x, alive_lrs = new_optimizer, result.x[kept], alive_lrs[kept]
        r += 1
    return HalvingResult(rounds=rounds, best_lr=best_lr, total_steps=total, metric=metric)
