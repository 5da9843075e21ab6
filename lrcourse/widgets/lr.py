"""The learning-rate explorer (lesson 01): drag η, watch GD's path and its loss."""

from __future__ import annotations

import numpy as np

from lrcourse import _validation as v
from lrcourse import plots, style, train

from ._base import Explorer, dropdown, int_slider, log_slider
from ._choices import default_quadratic, make_optimizer

__all__ = ["LrExplorer", "lr_explorer", "loss_limits", "StickyLossLimits", "describe_run"]

_LR_CHOICES = ("GD", "Momentum", "Adam")
#: Depths (decades below the start loss) the loss axis can reach.  Few and far
#: apart, so the axis — and with it the static background — rarely changes while
#: a slider is dragged.
_FLOOR_DEPTHS = (4, 8, 16, 32, 64)


def loss_limits(losses, start_loss: float, divergence_factor: float = 1e4) -> tuple[float, float]:
    """(bottom, top) of a log loss axis that holds ``losses``.

    The top sits a decade above the divergence threshold
    ``divergence_factor × start_loss``; the bottom is 4, 8, 16, 32 or 64 decades below
    the start: the first that holds the smallest positive finite loss (losses below
    the deepest floor leave the axis at the bottom).
    """
    start = float(start_loss) if np.isfinite(start_loss) and start_loss > 0 else 1.0
    top = start * divergence_factor * 10.0
    values = np.asarray(losses, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    lowest = float(positive.min()) if positive.size else start
    decades = np.log10(start) - np.log10(lowest)
    depth = next((d for d in _FLOOR_DEPTHS if decades + 0.3 <= d), _FLOOR_DEPTHS[-1])
    return start * 10.0 ** (-depth), top


class StickyLossLimits:
    """Loss-axis limits for an explorer: :func:`loss_limits`, but the bottom only
    moves down while ``key`` (steps, optimizer, problem, …) stays the same.

    Dragging η then redraws the static background at most a few times (each time
    the floor deepens) instead of every time the final loss crosses a floor.
    """

    def __init__(self):
        self.key = None
        self.bottom = None

    def __call__(self, key, losses, start_loss: float) -> tuple[float, float]:
        bottom, top = loss_limits(losses, start_loss)
        if key == self.key and self.bottom is not None:
            bottom = min(bottom, self.bottom)
        self.key, self.bottom = key, bottom
        return bottom, top


def describe_run(result, *, lr: float, steps: int, limit: float | None = None,
                 rate: float | None = None) -> str:
    """The explorer's result line, e.g.
    ``η = 0.19 | 2/λ_max = 2.00 | after 50 steps loss = 1.3e-05 (converging)``."""
    parts = [f"η = {lr:.3g}"]
    if limit is not None:
        parts.append(f"2/λ_max = {limit:.2f}")
    if bool(result.diverged[0]):
        parts.append(f"diverged at step {int(result.diverged_at[0])}")
        return " | ".join(parts)
    start, final = float(result.loss[0, 0]), float(result.final_loss[0])
    if rate is not None:
        if rate < 1 - 1e-12:
            status = f"converging, rate {rate:.3f} per step"
        elif rate <= 1 + 1e-12:
            status = "not converging: rate 1, it oscillates for ever"
        else:
            status = f"growing, rate {rate:.3f} per step: it diverges"
    else:
        status = "converging" if final < start else "not converging"
    parts.append(f"after {steps} steps loss = {final:.2g} ({status})")
    return " | ".join(parts)


class LrExplorer(Explorer):
    """Gradient descent on a 2-D problem, live: the path on the contours and the loss.

    Controls
    --------
    lr_slider : FloatLogSlider
        The learning rate η (log scale, three and a half decades up to 3 × 2/λ_max).
    steps_slider : IntSlider
        Number of steps T.
    optimizer_dropdown : Dropdown
        "GD" (SGD without momentum), "Momentum" (β = 0.9) or "Adam".

    The steps slider re-renders on release (it changes the step axis, a full
    redraw); the others update continuously while dragged.

    Outputs: ``image`` (contours with the path ◦→◆, loss against step on a log
    axis) and ``result``, e.g. ``η = 1.5 | 2/λ_max = 2.00 | after 50 steps loss =
    1.5e-05 (converging, rate 0.850 per step)`` or ``… | diverged at step 7``.
    The rate is the closed form max|1 − ηλ| of plain GD on a quadratic.
    """

    def __init__(self, problem=None, *, lr=None, steps=50, optimizer="GD"):
        self.problem = default_quadratic() if problem is None else problem
        if getattr(self.problem, "dim", None) != 2:
            v.fail("problem", "a 2-D problem (a Quadratic with 2 eigenvalues, Rosenbrock)",
                   self.problem, "the explorer draws contours of f(x₁, x₂)")
        v.one_of("optimizer", optimizer, _LR_CHOICES)
        steps = v.positive_int("steps", steps)
        self.limit = getattr(self.problem, "stability_limit", None)
        self.x0 = np.asarray(self.problem.init(seed=0), dtype=float)
        self.start_loss = float(self.problem.loss(self.x0))
        self._loss_limits = StickyLossLimits()
        super().__init__(2, style.SIDE_BY_SIDE)
        ax_path, ax_loss = self.axes

        plots.contour_trajectory(self.problem, (), ax=ax_path, legend=False,
                                 title=f"{self.problem.name}")
        self.path = plots.TrajectoryArtist(ax_path, style.optimizer_color(optimizer), "path")
        self._animate(*self.path.artists)
        plots.trajectory_legend(ax_path, loc="upper left")

        plots.loss_axes(ax_loss, steps=steps, title="loss f(xₜ), log scale")
        plots.divergence_threshold_line(ax_loss, self.start_loss * 1e4)
        self.curve = plots.LossCurveArtist(ax_loss, style.optimizer_color(optimizer), optimizer)
        self._animate(*self.curve.artists)

        base = self.limit if self.limit is not None else 1e-2
        default_lr = 0.75 * base if lr is None else v.positive("lr", lr)
        self.lr_slider = log_slider("η (lr)", default_lr, base * 10 ** -3, base * 10 ** 0.5)
        self.steps_slider = int_slider("steps", min(steps, 500), 1, max(200, min(steps, 500)),
                                       continuous=False)
        self.optimizer_dropdown = dropdown("optimizer", list(_LR_CHOICES), optimizer)
        self._finish([self.lr_slider, self.steps_slider, self.optimizer_dropdown])

    def _compute(self) -> str:
        lr = float(self.lr_slider.value)
        steps = int(self.steps_slider.value)
        name = self.optimizer_dropdown.value
        result = train.run(self.problem, make_optimizer(name, lr), self.x0, steps,
                           keep_trajectory=True)
        color = style.optimizer_color(name)
        self.path.set_color(color)
        self.curve.set_color(color)
        losses = np.append(result.loss[:, 0], result.final_loss[0])
        ax_loss = self.axes[1]
        ax_loss.set_xlim(0, steps)
        ax_loss.set_ylim(*self._loss_limits((steps, name), losses, self.start_loss))
        self.path.update(result.trajectory[:, 0, :])
        self.curve.update(losses, int(result.diverged_at[0]))
        rate = None
        if name == "GD" and hasattr(self.problem, "gd_rate"):
            rate = float(self.problem.gd_rate(lr))
        self.last_result = result
        return describe_run(result, lr=lr, steps=steps, limit=self.limit, rate=rate)


def lr_explorer(problem=None, *, lr=None, steps=50, optimizer="GD") -> LrExplorer:
    """A live explorer of the learning rate on a 2-D problem (lesson 01).

    Parameters
    ----------
    problem : 2-D problem, optional
        Default: the course's ill-conditioned quadratic (κ = 10, λ_max = 1, so
        2/λ_max = 2).
    lr : float, optional
        Starting η; default 0.75 · 2/λ_max (a zig-zag that converges).
    steps : int
    optimizer : {"GD", "Momentum", "Adam"}

    Returns
    -------
    LrExplorer
        Display it (last expression of a cell); drive it with
        ``explorer.lr_slider.value = 2.1`` or ``explorer.set(lr=2.1, steps=20)``.
    """
    return LrExplorer(problem, lr=lr, steps=steps, optimizer=optimizer)
