"""The momentum explorer (lesson 03): (η, β) sliders, the path, the loss, the rate map."""

from __future__ import annotations

import numpy as np

from lrcourse import _validation as check
from lrcourse import optim, plots, style, train

from ._base import Explorer, float_slider, int_slider, log_slider, rate_text, sig3, steps_text
from ._choices import default_quadratic
from .lr import MAX_STEPS, StickyLossLimits, lay_out_for_the_widest_loss_axis

__all__ = ["MomentumExplorer", "momentum_explorer"]

#: points of the rate map along η and along β (the map is drawn once, at construction)
_GRID_SIDE = check.Interval(2, 1000, "both", integer=True)


#: ``grid``: (points along η, points along β)
_GRID = check.ListOf(_GRID_SIDE, 2, "axis: η, then β")


class MomentumExplorer(Explorer):
    """Heavy-ball momentum (``SGD(lr=η, momentum=β)``) on a 2-D quadratic, live.

    Panels: the path on the contours; the loss against step (log scale); the map of
    the theoretical convergence rate ρ(η, β) = ``problem.momentum_rate(η, β)`` with
    the current setting ○ and the fastest pair ★ (ρ* = (√κ − 1)/(√κ + 1)).

    Controls: ``lr_slider`` (η, log scale), ``momentum_slider`` (β in [0, 0.99]),
    ``steps_slider`` (updates on release).  Output: ``image`` and ``result``.
    """

    def __init__(self, problem=None, *, lr=1.0, momentum=0.7, steps=60, grid=(120, 100)):
        self.problem = default_quadratic() if problem is None else problem
        for needed in ("momentum_rate", "lambda_max"):
            if not hasattr(self.problem, needed) or getattr(self.problem, "dim", None) != 2:
                check.fail("problem", "a 2-D Quadratic (it has the closed-form momentum rate)",
                       self.problem)
        steps = MAX_STEPS("steps", steps, "the explorer's steps slider covers this range")
        grid = _GRID("grid", grid)
        lam = self.problem.lambda_max
        self.etas = np.geomspace(1e-2 / lam, 4.4 / lam, grid[0])
        self.betas = np.linspace(0.0, 0.99, grid[1])
        slider_covers = "the explorer's slider covers this range"
        check.Interval(self.etas[0], self.etas[-1], closed="both")("lr", lr, slider_covers)
        check.Interval(self.betas[0], self.betas[-1], closed="both")("momentum", momentum, slider_covers)
        self.x0 = np.asarray(self.problem.init(seed=0), dtype=float)
        self.start_loss = float(self.problem.loss(self.x0))
        self._loss_limits = StickyLossLimits()
        super().__init__(3, style.EXPLORER_THREE, width_ratios=(1.15, 0.9, 1.15))
        ax_path, ax_loss, ax_map = self.axes
        color = style.optimizer_color("Momentum")

        plots.contour_trajectory(self.problem, (), ax=ax_path, legend=False, title=self.problem.name)
        self.path = plots.TrajectoryArtist(ax_path, color, "path")
        self._animate(*self.path.artists)
        self._put_on_top("minimiser", plots.minimiser_marker(ax_path))  # ★ above a converged ◆
        plots.trajectory_legend(ax_path, loc="below")  # the panel is small: keep it clear

        plots.loss_axes(ax_loss, steps=steps, title="loss f(xₜ), log scale")
        threshold = self.start_loss * 1e4
        _, label = plots.threshold_line(ax_loss, threshold, "divergence: 10⁴·f(x₀)")
        self.curve = plots.LossCurveArtist(ax_loss, color, "momentum", ceiling=threshold)
        self._animate(*self.curve.artists)
        self._put_on_top("threshold", label)  # no curve runs through it

        self.rates = self.problem.momentum_rate(self.etas[None, :], self.betas[:, None])
        self.point = plots.PointArtist(ax_map, "current (η, β)")
        optimum = (self.problem.optimal_momentum_lr, self.problem.optimal_momentum)
        plots.rate_map(self.etas, self.betas, self.rates, ax=ax_map, legend_extra=self.point.artists,
                       mark_best=optimum, title="theoretical rate ρ(η, β)", legend_loc="below")
        self._animate(*self.point.artists)
        # Room for the whole ○ at every slider extreme (η at either end, β = 0 or 0.99).
        plots.pad_limits(ax_map, (self.etas[0], self.etas[-1]), (self.betas[0], self.betas[-1]))

        self.lr_slider = log_slider("η (lr)", lr, self.etas[0], self.etas[-1], name="lr")
        self.momentum_slider = float_slider("β (momentum)", momentum, 0.0, 0.99, 0.01, name="momentum")
        self.steps_slider = int_slider("steps", steps, 1, max(200, steps), continuous=False, name="steps")
        lay_out_for_the_widest_loss_axis(self, ax_loss, self.start_loss, self.steps_slider.max)
        self._finish([self.lr_slider, self.momentum_slider, self.steps_slider])

    def _compute(self) -> str:
        lr = float(self.lr_slider.value)
        beta = float(self.momentum_slider.value)
        steps = int(self.steps_slider.value)
        result = train.run(self.problem, optim.SGD(lr=lr, momentum=beta), self.x0, steps,
                           keep_trajectory=True)
        losses = np.append(result.loss[:, 0], result.final_loss[0])
        ax_loss = self.axes[1]
        ax_loss.set_xlim(0, steps)
        ax_loss.set_ylim(*self._loss_limits(steps, losses, self.start_loss))
        self.path.update(result.trajectory[:, 0, :])
        self.curve.update(losses, int(result.diverged_at[0]))
        self.point.update(lr, beta)
        self.last_result = result

        rate = float(self.problem.momentum_rate(lr, beta))
        best = (f"optimum η* = {self.problem.optimal_momentum_lr:.3g}, "
                f"β* = {self.problem.optimal_momentum:.2f}, ρ* = {sig3(self.problem.optimal_momentum_rate)}")
        head = f"η = {sig3(lr)} | β = {beta:.2f} | ρ = {rate_text(rate)} per step | {best}"
        if bool(result.diverged[0]):
            return f"{head}\ndiverged at step {int(result.diverged_at[0])} (loss above 10⁴·f(x₀): run stopped)"
        return f"{head}\nafter {steps_text(steps)}: loss = {float(result.final_loss[0]):.2g}"


def momentum_explorer(problem=None, *, lr=1.0, momentum=0.7, steps=60) -> MomentumExplorer:
    """A live explorer of heavy-ball momentum on a 2-D quadratic (lesson 03).

    Parameters
    ----------
    problem : Quadratic with 2 eigenvalues, optional
        Default: the course's ill-conditioned quadratic (κ = 10, λ_max = 1).
    lr, momentum : float
        Starting η and β.
    steps : int

    Returns
    -------
    MomentumExplorer
        Drive it with ``explorer.set(lr=2.3, momentum=0.27)``.
    """
    return MomentumExplorer(problem, lr=lr, momentum=momentum, steps=steps)
