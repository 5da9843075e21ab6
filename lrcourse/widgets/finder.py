"""The LR-finder explorer (lesson 06): the range test on the digits MLP, live."""

from __future__ import annotations

import numpy as np

from lrcourse import _validation as check
from lrcourse import optim, plots, style, tune
from lrcourse.problems import MLP

from ._base import Explorer, float_slider, int_slider, log_slider, power_of_two_slider, sig3

__all__ = ["FinderExplorer", "finder_explorer", "finder_on_losses"]

#: What the sliders cover.
START_RANGE = check.Interval(1e-6, 1e-2, closed="both")
END_RANGE = check.Interval(0.3, 100.0, closed="both")
STEPS_RANGE = check.Interval(20, 300, closed="both", integer=True)
BETA_RANGE = check.Interval(0.0, 0.99, closed="both")
BATCH_RANGE = (8, 512)
SEED_RANGE = check.Interval(0, 9, closed="both", integer=True)
#: The finder's stop rule: smoothed loss above 4× its best so far (fastai's).
DIVERGE_THRESHOLD = 4.0
#: Legend label of each rule (tune.SUGGESTION_RULES' names).
RULE_LABELS = {"steepest": "steepest", "valley": "valley", "minimum": "minimum/10"}


def finder_on_losses(lrs, losses, beta, diverge_threshold=DIVERGE_THRESHOLD):
    """What :func:`lrcourse.tune.lr_finder` makes of one ramp's raw losses for ``beta``.

    ``smoothed = tune.smooth_losses(losses, beta)``; the curve is cut at
    ``tune.finder_stop_index(smoothed, diverge_threshold)`` (the first step whose
    smoothed loss exceeds that multiple of its best, or is not finite); every rule of
    ``tune.SUGGESTION_RULES`` is applied to the finite part of what is left.

    The training run itself does not depend on β (the ramp, the batches and the
    start are the same), so one run serves every β: for β ≤ 0.99 the library's
    divergence guard, ``max(1e4, 2·threshold/(1 − β))`` = 10⁴ × the first loss, acts
    only after the stop rule has fired, and the result equals ``lr_finder(…,
    beta=beta)``'s (the tests check it).

    Returns ``(lrs, losses, smoothed, stopped_at, suggestions, failed)`` as in
    :class:`lrcourse.tune.FinderResult`.
    """
    beta = check.unit_interval("beta", beta)
    smoothed = tune.smooth_losses(losses, beta)
    stopped_at = tune.finder_stop_index(smoothed, diverge_threshold)
    if stopped_at is not None:
        keep = slice(0, stopped_at + 1)
        lrs, losses, smoothed = lrs[keep], losses[keep], smoothed[keep]
    finite = np.isfinite(smoothed)
    suggestions, failed = {}, {}
    for name, rule in tune.SUGGESTION_RULES.items():
        try:
            suggestions[name] = float(rule(lrs[finite], smoothed[finite]))
        except ValueError as error:
            failed[name] = str(error)
    return lrs, losses, smoothed, stopped_at, suggestions, failed


def _top(start_loss: float) -> float:
    """The loss axis' top: 1.45 × the first loss, rounded up to a multiple of 0.5, so the
    curve's start sits at about two thirds of the height and the legend above it;
    it changes only when the start loss moves by a step of 0.5 / 1.45."""
    return float(np.ceil(1.45 * start_loss / 0.5) * 0.5) if np.isfinite(start_loss) else 4.0


class FinderExplorer(Explorer):
    """The LR range test (``tune.lr_finder``) on lesson 06's MLP, live.

    The network is ``MLP(hidden=32)`` on the digits trained by ``SGD`` with the
    exponential ramp ηᵢ = η_start·(η_end/η_start)^(i/(n − 1)), i = 0 … n − 1.  The
    raw mini-batch losses (faint) are smoothed with the bias-corrected EMA
    avgᵢ = β·avgᵢ₋₁ + (1 − β)·lossᵢ, smoothedᵢ = avgᵢ/(1 − β^(i+1)) (bold), the test
    stops where the smoothed loss passes 4× its best (✕), and the three rules of
    ``tune.SUGGESTION_RULES`` are marked: *steepest* (fastest fall against log η),
    *valley* (``tune.valley``: two thirds down the longest descending stretch) and
    *minimum* (a tenth of the rate at the lowest smoothed loss).

    Controls: ``start_lr_slider``, ``end_lr_slider``, ``num_steps_slider`` (on
    release), ``beta_slider``, ``batch_size_slider`` (powers of 2), ``seed_slider``
    (initial weights and batches).  One training run per (start, end, steps, batch,
    seed) is cached; moving β only re-smooths it (:func:`finder_on_losses`).
    """

    def __init__(self, *, start_lr=1e-5, end_lr=10.0, num_steps=100, beta=0.98, batch_size=32, seed=0):
        covers = "the explorer's slider covers this range"
        START_RANGE("start_lr", start_lr, covers)
        END_RANGE("end_lr", end_lr, covers)
        num_steps = STEPS_RANGE("num_steps", num_steps, covers)
        BETA_RANGE("beta", beta, covers)
        seed = SEED_RANGE("seed", seed, covers)
        self.problem = MLP(hidden=32)
        self._cache: dict = {}
        super().__init__(1, (10.0, 4.2))
        (ax,) = self.axes
        ax.set_xscale("log")
        ax.set(xlabel="learning rate η (log scale)", ylabel="training loss (mini-batch)",
               title="LR range test on the digits MLP (SGD)")
        (self.raw_line,) = ax.plot([], [], color=style.CYCLE[0], alpha=0.3, linewidth=1.0, label="loss (raw)")
        (self.smooth_line,) = ax.plot([], [], color=style.CYCLE[0], linewidth=2.2, label="loss (smoothed)")
        (self.stop_mark,) = ax.plot([], [], "X", color=style.DIVERGED_COLOR, markersize=10,
                                    markeredgecolor="white", zorder=5, label="stopped: 4× the best")
        self.rule_lines = {}
        for j, (name, label) in enumerate(RULE_LABELS.items()):
            # up to 84 % of the height: the legend above stays clear of them
            self.rule_lines[name] = ax.axvline(np.nan, ymax=0.84, color=style.CYCLE[j + 1], linewidth=1.8,
                                               linestyle=("--", "-.", ":")[j], label=label)
        self._animate(self.raw_line, self.smooth_line, self.stop_mark, *self.rule_lines.values())
        # Static (in the background): the top of the axis leaves room for it above
        # the start of the curve (see _top).
        ax.legend(loc="upper left", ncol=4, fontsize=9)
        ax.set_xlim(START_RANGE.low, END_RANGE.high)
        ax.set_ylim(0, 4.0)
        self._freeze_layout()

        # Every control but β needs a new training run (40–250 ms): those update when
        # released; β only re-smooths the cached run, live while dragged.
        self.start_lr_slider = log_slider("η start", start_lr, START_RANGE.low, START_RANGE.high, step=0.1,
                                          name="start_lr")
        self.end_lr_slider = log_slider("η end", end_lr, END_RANGE.low, END_RANGE.high, step=0.05, name="end_lr")
        self.num_steps_slider = int_slider("steps", num_steps, STEPS_RANGE.low, STEPS_RANGE.high, 10,
                                           continuous=False, name="num_steps")
        self.beta_slider = float_slider("β (smoothing)", beta, BETA_RANGE.low, BETA_RANGE.high, 0.01,
                                        name="beta")
        self.batch_size_slider = power_of_two_slider("batch", batch_size, *BATCH_RANGE, name="batch_size")
        self.seed_slider = int_slider("seed", seed, SEED_RANGE.low, SEED_RANGE.high, continuous=False,
                                      name="seed")
        for slider in (self.start_lr_slider, self.end_lr_slider, self.batch_size_slider):
            slider.continuous_update = False
        self._finish([self.start_lr_slider, self.end_lr_slider, self.num_steps_slider, self.beta_slider,
                      self.batch_size_slider, self.seed_slider],
                     rows=[[self.start_lr_slider, self.end_lr_slider], [self.num_steps_slider, self.beta_slider],
                           [self.batch_size_slider, self.seed_slider]])

    def raw_run(self, start_lr: float, end_lr: float, num_steps: int, batch_size: int, seed: int):
        """(lrs, raw losses) of the whole ramp, cached: ``tune.lr_finder`` with β = 0
        and a stop rule that never fires before the library's divergence guard."""
        key = (start_lr, end_lr, num_steps, batch_size, seed)
        if key not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            record = tune.lr_finder(self.problem, optim.SGD, start_lr=start_lr, end_lr=end_lr,
                                    num_steps=num_steps, beta=0.0, diverge_threshold=1e4 / 2,
                                    batch_size=batch_size, seed=seed).run
            lrs = tune.exponential_ramp(start_lr, end_lr, num_steps)
            self._cache[key] = (lrs, record.loss[:, 0])
        return self._cache[key]

    def _compute(self) -> str:
        start, end = float(self.start_lr_slider.value), float(self.end_lr_slider.value)
        steps, beta = int(self.num_steps_slider.value), float(self.beta_slider.value)
        lrs, raw = self.raw_run(start, end, steps, int(round(self.batch_size_slider.value)),
                                int(self.seed_slider.value))
        lrs, losses, smoothed, stopped_at, suggestions, failed = finder_on_losses(lrs, raw, beta)
        self.last = dict(lrs=lrs, losses=losses, smoothed=smoothed, stopped_at=stopped_at,
                         suggestions=suggestions, failed=failed)
        ax = self.axes[0]
        ax.set_xlim(start / 1.25, end * 1.25)
        top = _top(smoothed[0])
        ax.set_ylim(0, top)
        self.raw_line.set_data(lrs, losses)
        self.smooth_line.set_data(lrs, smoothed)
        if stopped_at is not None and np.isfinite(smoothed[-1]):
            self.stop_mark.set_data([lrs[-1]], [min(smoothed[-1], 0.97 * top)])
        else:
            self.stop_mark.set_data([], [])
        for name, line in self.rule_lines.items():
            line.set_xdata([suggestions.get(name, np.nan)] * 2)
        tips = " | ".join(f"{RULE_LABELS[name]} {sig3(suggestions[name])}" if name in suggestions
                          else f"{RULE_LABELS[name]}: none (the loss never fell)" for name in RULE_LABELS)
        if stopped_at is None:
            end_text = f"reached η end = {sig3(end)} without stopping"
        else:
            end_text = f"stopped at step {stopped_at} (η = {sig3(lrs[-1])}, smoothed loss above 4× its best)"
        finite = np.isfinite(smoothed)
        lowest = int(np.argmin(np.where(finite, smoothed, np.inf)))
        return (f"suggestions: {tips}\n{end_text}; lowest smoothed loss {smoothed[lowest]:.2g} "
                f"at η = {sig3(lrs[lowest])}")


def finder_explorer(*, start_lr=1e-5, end_lr=10.0, num_steps=100, beta=0.98, batch_size=32,
                    seed=0) -> FinderExplorer:
    """A live LR range test on the digits MLP with the suggestion rules marked (lesson 06).

    Parameters
    ----------
    start_lr : float in [1e-6, 1e-2]
    end_lr : float in [0.3, 100]
        The ramp's first and last rate.
    num_steps : int in [20, 300]
        Length of the ramp.
    beta : float in [0, 0.99]
        Smoothing of the EMA (0: none).
    batch_size : int
        A power of two from 8 to 512.
    seed : int in [0, 9]
        Initial weights and batch order.

    Returns
    -------
    FinderExplorer
        Drive it with ``explorer.set(beta=0.9, batch_size=128)``.
    """
    return FinderExplorer(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, beta=beta,
                          batch_size=batch_size, seed=seed)
