"""The noise-floor explorer (lesson 02): batch size B and η, and the floor SGD settles at."""

from __future__ import annotations

import functools

import numpy as np

from lrcourse import _validation as check
from lrcourse import optim, plots, style, train
from lrcourse._blas import single_threaded_blas
from lrcourse.problems import SoftmaxRegression

from ._base import Explorer, dropdown, int_slider, log_slider, power_of_two_slider, sig3

__all__ = ["NoiseFloorExplorer", "noise_floor_explorer", "SAMPLING", "predicted_floor"]

#: L2 strength of lesson 02's softmax regression (strongly convex: x* and f* exist).
L2 = 0.03
#: Sampling of the mini-batches: label → True for independent draws.
SAMPLING = {"independent draws": True, "reshuffled epochs": False}
#: The rates and batch sizes the sliders cover.
LR_RANGE = check.Interval(0.01, 1.0, closed="both")
BATCH_RANGE = (1, 512)
#: Steps of a run (the steps slider), and how often f(xₜ) is evaluated.
STEPS_RANGE = check.Interval(100, 1000, closed="both", integer=True)
EVERY = 5
#: A run whose excess loss passes this is stopped and reported as diverged.
_DIVERGED = 10.0
#: The excess-loss axis (fixed, so dragging never redraws the background).
_LOSS_LIMITS = (1e-6, 100.0)


@functools.lru_cache(maxsize=2)
def _minimum(l2: float):
    """(problem, x*, f*, σ²) of the softmax regression with ``l2``.

    x* by full-batch Nesterov momentum (lesson 02's 180 steps, then more until the
    gradient norm is below 1e-10); σ² = (1/n) Σᵢ ‖gᵢ − ∇f(x*)‖², the spread of the
    per-example gradients at x* (``per_example_grads``)."""
    with single_threaded_blas():
        problem = SoftmaxRegression(l2=l2)
        found = train.run(problem, optim.SGD(lr=2.0, momentum=0.8, nesterov=True), problem.init(), 250)
        x_star = found.x[0]
        per_example = problem.per_example_grads(x_star)
        sigma2 = float(np.mean(np.sum((per_example - problem.grad(x_star)) ** 2, axis=1)))
        return problem, x_star, float(problem.loss(x_star)), sigma2


def predicted_floor(lr, batch_size, sigma2):
    """Lesson 02's noise floor for independent batches: E f(x) − f* ≈ η·σ²/(4B).

    Near x* the loss is ½(x − x*)ᵀH(x − x*); a step adds the kick −η(ĝ_B − ∇f) of
    covariance η²C/B (tr C = σ²).  For ηλ ≪ 1 the stationary covariance Σ solves
    HΣ + ΣH = ηC/B, so E f − f* = ½ tr(HΣ) = η tr(C)/(4B) = ησ²/(4B): proportional to
    η, inversely proportional to B, whatever the curvature.  Reshuffled epochs
    (each example once per epoch) break the independence: their floor is lower at
    small η and grows about like η² (lesson 02, section 4).
    """
    return lr * sigma2 / (4.0 * batch_size)


class NoiseFloorExplorer(Explorer):
    """SGD started at the minimum x* of lesson 02's softmax regression, live.

    The problem is ``SoftmaxRegression(l2=0.03)`` on the digits (the lesson's).  SGD
    with a constant η and mini-batches of B starts *at* x*, so the excess loss
    f(xₜ) − f* (full training set, every 5 steps) shows the noise alone: it rises
    from 0 and settles at a noise floor.  The dashed line is the prediction
    ησ²/(4B) (:func:`predicted_floor`) for independent batches.

    Controls: ``lr_slider`` (η), ``batch_size_slider`` (B, powers of 2),
    ``sampling_dropdown`` (independent draws, as the formula assumes, or reshuffled
    epochs, as PyTorch's ``DataLoader(shuffle=True)``), ``steps_slider`` (on release),
    ``seed_slider`` (the batches drawn).

    Left panel: f(xₜ) − f* against t, with the prediction.  Right panel: the floor
    against η for the current B — the prediction (a line of slope 1 on log axes) and
    the measured floor ○ (mean excess loss over the second half of the run).
    Result: measured vs predicted floor and their ratio (three lines: the third says
    when the formula's assumption does not hold).
    """

    result_lines = 3

    def __init__(self, *, lr=0.1, batch_size=16, sampling="independent draws", steps=300, seed=0):
        LR_RANGE("lr", lr, "the explorer's slider covers this range")
        check.one_of("sampling", sampling, SAMPLING)
        steps = STEPS_RANGE("steps", steps, "the explorer's steps slider covers this range")
        seed = check.Interval(0, 9, closed="both", integer=True)("seed", seed, "the seed slider covers 0 … 9")
        self.problem, self.x_star, self.f_star, self.sigma2 = _minimum(L2)
        super().__init__(2, style.SIDE_BY_SIDE, width_ratios=(1.3, 1.0))
        ax_loss, ax_floor = self.axes

        plots.loss_axes(ax_loss, steps=steps, title="SGD started at x*: excess loss",
                        ylabel="f(xₜ) − f*  (full training set)")
        ax_loss.set_ylim(*_LOSS_LIMITS)
        self.curve = plots.LossCurveArtist(ax_loss, style.CYCLE[0], "f(xₜ) − f*")
        (self.prediction_line,) = ax_loss.plot([], [], "--", color=style.REFERENCE_COLOR, linewidth=1.6,
                                               label="predicted ησ²/(4B)")
        (self.measured_line,) = ax_loss.plot([], [], ":", color=style.CYCLE[1], linewidth=2.0,
                                             label="measured floor")
        self._animate(*self.curve.artists, self.prediction_line, self.measured_line)
        # Static legends (drawn once, in the background): above 10, where only a run
        # that diverges goes, so no curve hides behind them.
        ax_loss.legend(handles=[self.curve.line, self.prediction_line, self.measured_line],
                       loc="upper left", ncol=3, fontsize=9)

        self.etas = np.geomspace(LR_RANGE.low, LR_RANGE.high, 50)
        ax_floor.set(xscale="log", yscale="log", xlim=(LR_RANGE.low / 1.3, LR_RANGE.high * 1.3),
                     ylim=_LOSS_LIMITS, xlabel="learning rate η", ylabel="noise floor: mean f − f*",
                     title="The floor against η, batch B")
        (self.floor_line,) = ax_floor.plot([], [], "--", color=style.REFERENCE_COLOR, linewidth=1.6,
                                           label="ησ²/(4B)")
        self.point = plots.PointArtist(ax_floor, "measured", color=style.CYCLE[1])
        self._animate(self.floor_line, *self.point.artists)
        ax_floor.legend(handles=[self.floor_line, self.point.marker], loc="upper left", ncol=2, fontsize=9)

        self.lr_slider = log_slider("η (lr)", lr, LR_RANGE.low, LR_RANGE.high, name="lr")
        self.batch_size_slider = power_of_two_slider("batch B", batch_size, *BATCH_RANGE, name="batch_size")
        self.sampling_dropdown = dropdown("batches", list(SAMPLING), sampling)
        self.steps_slider = int_slider("steps", steps, STEPS_RANGE.low, STEPS_RANGE.high, 100,
                                       continuous=False, name="steps")
        self.seed_slider = int_slider("seed", seed, 0, 9, name="seed")
        ax_loss.set_xlim(0, STEPS_RANGE.high)
        self._freeze_layout()
        self._finish([self.lr_slider, self.batch_size_slider, self.sampling_dropdown, self.steps_slider,
                      self.seed_slider],
                     rows=[[self.lr_slider, self.batch_size_slider], [self.steps_slider, self.seed_slider],
                           [self.sampling_dropdown]])

    def _batches(self, batch_size: int, independent: bool, seed: int):
        """The mini-batch index arrays: B independent uniform draws per step, or
        the problem's reshuffled epochs (``problem.batches``)."""
        if not independent:
            return self.problem.batches(batch_size, seed=seed)
        rng = np.random.default_rng(seed)
        n = self.problem.n_train
        return (rng.integers(0, n, batch_size) for _ in iter(int, 1))  # endless

    def simulate(self, lr: float, batch_size: int, independent: bool, steps: int, seed: int):
        """SGD(lr) from x* for ``steps`` steps: (eval steps, excess loss, diverged_at or −1)."""
        sgd = optim.SGD(lr=lr)
        x = self.x_star
        batches = self._batches(batch_size, independent, seed)
        points = []
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(1, steps + 1):
                x = sgd.step(x, self.problem.grad(x, next(batches)))
                if t % EVERY == 0:
                    points.append(x)
                    if not np.all(np.isfinite(x)):
                        break
            excess = self.problem.loss(np.array(points)) - self.f_star  # one vectorised evaluation
        blown = np.flatnonzero(~(excess <= _DIVERGED))
        diverged_at = int(EVERY * (blown[0] + 1)) if blown.size else -1
        return EVERY * np.arange(1, len(points) + 1), excess, diverged_at

    def _compute(self) -> str:
        lr = float(self.lr_slider.value)
        batch_size = int(round(self.batch_size_slider.value))
        independent = SAMPLING[self.sampling_dropdown.value]
        steps = int(self.steps_slider.value)
        at, excess, diverged_at = self.simulate(lr, batch_size, independent, steps, int(self.seed_slider.value))
        predicted = predicted_floor(lr, batch_size, self.sigma2)
        self.axes[0].set_xlim(0, steps)
        self.curve.update(excess, diverged_at, steps=at)
        self.prediction_line.set_data([0, steps], [predicted, predicted])
        self.floor_line.set_data(self.etas, predicted_floor(self.etas, batch_size, self.sigma2))
        self.last_run = (at, excess, diverged_at)
        head = (f"η = {sig3(lr)}, B = {batch_size}, {self.sampling_dropdown.value}: "
                f"predicted ησ²/(4B) = {predicted:.2g} (σ² = {self.sigma2:.2f})")
        if diverged_at >= 0:
            self.measured_line.set_data([], [])
            self.point.update(np.nan, np.nan)
            self.measured = np.nan
            return f"{head}\ndiverged at step {diverged_at} (f − f* above {_DIVERGED:g}: run stopped)"
        self.measured = float(np.mean(excess[at > steps / 2]))
        self.measured_line.set_data([steps / 2, steps], [self.measured, self.measured])
        self.point.update(lr, self.measured)
        note = "" if independent else "\n(the formula assumes independent draws: reshuffling cancels an epoch's kicks)"
        return (f"{head}\nmeasured floor (mean f − f* over steps {steps // 2}–{steps}) = {self.measured:.2g}: "
                f"{self.measured / predicted:.2f} × predicted{note}")


def noise_floor_explorer(*, lr=0.1, batch_size=16, sampling="independent draws", steps=300,
                         seed=0) -> NoiseFloorExplorer:
    """A live explorer of SGD's noise floor against η and the batch size (lesson 02).

    Parameters
    ----------
    lr : float in [0.01, 1]
        The constant rate η.
    batch_size : int
        B, a power of two from 1 to 512.
    sampling : {"independent draws", "reshuffled epochs"}
    steps : int in [100, 1000]
    seed : int in [0, 9]
        Seeds the batches.

    Returns
    -------
    NoiseFloorExplorer
        Drive it with ``explorer.set(lr=0.2, batch_size=64)``.
    """
    return NoiseFloorExplorer(lr=lr, batch_size=batch_size, sampling=sampling, steps=steps, seed=seed)
