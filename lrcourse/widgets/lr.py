"""The learning-rate explorer (lesson 01): drag η, watch GD's path and its loss."""

from __future__ import annotations

import numpy as np

from lrcourse import _validation as check
from lrcourse import plots, style, train

from ._base import Explorer, dropdown, int_slider, log_slider, rate_text, sig3, steps_text
from . import _choices
from ._choices import DESCRIPTIONS, default_quadratic, make_optimizer

__all__ = ["LrExplorer", "lr_explorer", "loss_limits", "floor_depth", "FLOOR_DEPTHS", "StickyLossLimits",
           "lay_out_for_the_widest_loss_axis", "describe_run", "loss_trend"]

_LR_CHOICES = ("GD", "Momentum", "Adam")
#: Depths (decades below the start loss) the loss axis can reach.  Few and far
#: apart, so the axis — and with it the static background — rarely changes while
#: a slider is dragged.
FLOOR_DEPTHS = (4, 8, 16, 32, 64)


#: Where the divergence threshold sits on the loss axis (fraction of its height): the
#: rest above it holds the threshold's label, clear of the title.
_THRESHOLD_AT = 0.86


#: The explorers' steps sliders end at 200, or at ``steps`` when that is larger, up to this.
MAX_STEPS = check.Interval(1, 500, closed="both", integer=True)


def _start(start_loss: float) -> float:
    return float(start_loss) if np.isfinite(start_loss) and start_loss > 0 else 1.0


def floor_depth(losses, start_loss: float) -> int:
    """Decades below the start the loss axis reaches: the first of 4, 8, 16, 32, 64
    that holds the smallest positive finite loss (the deepest if none does)."""
    values = np.asarray(losses, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    lowest = float(positive.min()) if positive.size else _start(start_loss)
    decades = np.log10(_start(start_loss)) - np.log10(lowest)
    return next((d for d in FLOOR_DEPTHS if decades + 0.3 <= d), FLOOR_DEPTHS[-1])


def loss_limits(losses, start_loss: float, divergence_factor: float = 1e4, *,
                depth: int | None = None) -> tuple[float, float]:
    """(bottom, top) of a log loss axis that holds ``losses``.

    The bottom is :func:`floor_depth` decades below the start (or ``depth``).  The
    divergence threshold ``divergence_factor × start_loss`` sits at 86 % of the axis
    height (at least a decade below the top), so its label fits above it however
    many decades the axis spans.
    """
    start = _start(start_loss)
    depth = floor_depth(losses, start) if depth is None else depth
    below = depth + np.log10(divergence_factor)  # decades from the bottom to the threshold
    above = max(1.0, below * (1 - _THRESHOLD_AT) / _THRESHOLD_AT)
    return start * 10.0 ** (-depth), start * divergence_factor * 10.0 ** above


def lay_out_for_the_widest_loss_axis(explorer, ax, start_loss: float, max_steps: int) -> None:
    """Lay ``explorer``'s figure out with the loss axes ``ax`` at their widest tick
    labels (the deepest floor, the most steps) and keep that layout, so no later
    state pushes a label out of the figure or onto a neighbour."""
    ax.set_xlim(0, max_steps)
    ax.set_ylim(*loss_limits([], start_loss, depth=FLOOR_DEPTHS[-1]))
    explorer._freeze_layout()


class StickyLossLimits:
    """Loss-axis limits for an explorer: :func:`loss_limits`, but the bottom only
    moves down while ``key`` (steps, optimizer, problem, …) stays the same.

    Dragging η then redraws the static background at most a few times (each time
    the floor deepens) instead of every time the final loss crosses a floor.
    """

    def __init__(self):
        self.key = None
        self.depth = 0

    def __call__(self, key, losses, start_loss: float) -> tuple[float, float]:
        depth = floor_depth(losses, start_loss)
        if key == self.key:
            depth = max(depth, self.depth)
        self.key, self.depth = key, depth
        return loss_limits(losses, start_loss, depth=depth)


def describe_run(result, *, lr: float, steps: int, limit: float | None = None,
                 rate: float | None = None, optimizer: str | None = None,
                 momentum: float | None = None) -> str:
    """The explorer's result, two lines, e.g.::

        η = 1.50 | 2/λ_max = 2.00 | rate max|1 − ηλ| = 0.850 per step: converging
        after 50 steps: loss = 4.4e-09

    ``rate`` is plain GD's closed-form rate on a quadratic; without it the first
    line names the ``optimizer`` instead.  ``limit`` is GD's 2/λ_max: for
    heavy-ball ``momentum`` β the line gives that optimizer's own limit
    (2 + 2β)/λ_max (PyTorch's form), for any other optimizer it says the limit is
    GD's.  A diverged run's second line is ``diverged at step N (loss above
    10⁴·f(x₀): run stopped)``; otherwise the loss after ``steps`` and, without a
    closed-form rate, :func:`loss_trend` of the run.
    """
    head = [f"η = {sig3(lr)}"]
    if limit is not None:
        if rate is not None or optimizer in (None, "GD"):
            head.append(f"2/λ_max = {limit:.2f}")
        elif momentum is not None:
            head.append(f"its limit (2 + 2β)/λ_max = {sig3((1 + momentum) * limit)}")
        else:
            head.append(f"GD's limit 2/λ_max = {limit:.2f}")
    if rate is not None:
        if rate < 1 - 1e-12:
            status = "converging"
        elif rate <= 1 + 1e-12:
            status = "not converging, it oscillates for ever"
        else:
            status = "growing, it diverges"
        head.append(f"rate max|1 − ηλ| = {rate_text(rate)} per step: {status}")
    elif optimizer is not None:
        head.append(DESCRIPTIONS.get(optimizer, optimizer).split("  ")[0])
    if bool(result.diverged[0]):
        return " | ".join(head) + f"\ndiverged at step {int(result.diverged_at[0])} (loss above 10⁴·f(x₀): run stopped)"
    final = float(result.final_loss[0])
    tail = f"after {steps_text(steps)}: loss = {final:.2g}"
    if rate is None:
        tail += f" ({loss_trend(np.append(result.loss[:, 0], final))})"
    return " | ".join(head) + "\n" + tail


def loss_trend(losses, *, tolerance: float = 1e-12) -> str:
    """How the last part of a run's loss curve ``losses[t]`` behaves.

    - "converged": the last loss is below ``tolerance`` × the first;
    - "oscillating, still falling" / "oscillating, not converged": over the last
      40 % of the steps the loss climbs back up by more than a decade in all
      (the sum of its rises, in decades); falling if its envelope (the highest
      loss of the last fifth against that of the fifth before) at least halves;
    - "converging": below the start, with a falling envelope;
    - "not converged" otherwise.
    """
    logs = np.log10(np.asarray(losses, dtype=float))
    logs = logs[np.isfinite(logs)]
    if logs.size < 3:
        return "not converged"
    if logs[-1] <= logs[0] + np.log10(tolerance):
        return "converged"
    k = max(1, logs.size // 5)
    last, before = logs[-k:], logs[max(0, logs.size - 2 * k - 1):-k]
    fall = before.max() - last.max()  # decades the envelope fell over the last fifth
    rises = np.clip(np.diff(logs[-2 * k - 1:]), 0, None).sum()
    if rises > 1:
        return "oscillating, still falling" if fall >= np.log10(2) else "oscillating, not converged"
    return "converging" if fall > 0 and logs[-1] < logs[0] else "not converged"


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
    axis) and ``result``, two lines (:func:`describe_run`), e.g.
    ``η = 1.5 | 2/λ_max = 2.00 | rate max|1 − ηλ| = 0.850 per step: converging``
    and ``after 50 steps: loss = 1.5e-05``, or ``diverged at step 7 (…)``.
    The rate is the closed form max|1 − ηλ| of plain GD on a quadratic.
    """

    def __init__(self, problem=None, *, lr=None, steps=50, optimizer="GD"):
        self.problem = default_quadratic() if problem is None else problem
        if getattr(self.problem, "dim", None) != 2:
            check.fail("problem", "a 2-D problem (a Quadratic with 2 eigenvalues, Rosenbrock)",
                   self.problem, "the explorer draws contours of f(x₁, x₂)")
        check.one_of("optimizer", optimizer, _LR_CHOICES)
        steps = MAX_STEPS("steps", steps, "the explorer's steps slider covers this range")
        self.limit = getattr(self.problem, "stability_limit", None)
        base = self.limit if self.limit is not None else 1e-2
        lr_range = check.Interval(base * 10 ** -3, base * 10 ** 0.5, closed="both")
        default_lr = 0.75 * base if lr is None else lr_range("lr", lr, "the explorer's slider covers this range")
        self.x0 = np.asarray(self.problem.init(seed=0), dtype=float)
        self.start_loss = float(self.problem.loss(self.x0))
        self._loss_limits = StickyLossLimits()
        super().__init__(2, style.SIDE_BY_SIDE)
        ax_path, ax_loss = self.axes

        plots.contour_trajectory(self.problem, (), ax=ax_path, legend=False,
                                 title=f"{self.problem.name}")
        self.path = plots.TrajectoryArtist(ax_path, style.optimizer_color(optimizer), optimizer)
        self._animate(*self.path.artists)
        self._put_on_top("minimiser", plots.minimiser_marker(ax_path))  # ★ above a converged ◆
        self._legend_for = None

        plots.loss_axes(ax_loss, steps=steps, title="loss f(xₜ), log scale")
        threshold = self.start_loss * 1e4
        _, label = plots.threshold_line(ax_loss, threshold)
        self.curve = plots.LossCurveArtist(ax_loss, style.optimizer_color(optimizer), optimizer,
                                           ceiling=threshold)
        self._animate(*self.curve.artists)
        self._put_on_top("threshold", label)  # no curve runs through it

        self.lr_slider = log_slider("η (lr)", default_lr, lr_range.low, lr_range.high, name="lr")
        self.steps_slider = int_slider("steps", steps, 1, max(200, steps), continuous=False, name="steps")
        self.optimizer_dropdown = dropdown("optimizer", list(_LR_CHOICES), optimizer)
        self._show_legend(optimizer, True)
        lay_out_for_the_widest_loss_axis(self, ax_loss, self.start_loss, self.steps_slider.max)
        self._finish([self.lr_slider, self.steps_slider, self.optimizer_dropdown])

    def _compute(self) -> str:
        lr = float(self.lr_slider.value)
        steps = int(self.steps_slider.value)
        name = self.optimizer_dropdown.value
        result = train.run(self.problem, make_optimizer(name, lr), self.x0, steps,
                           keep_trajectory=True)
        if name != self._legend_for[0]:  # the legend shows the path as drawn: name, colour
            color = style.optimizer_color(name)
            self.path.set_color(color)
            self.path.path.set_label(name)
            self.curve.set_color(color)
        losses = np.append(result.loss[:, 0], result.final_loss[0])
        ax_loss = self.axes[1]
        ax_loss.set_xlim(0, steps)
        ax_loss.set_ylim(*self._loss_limits((steps, name), losses, self.start_loss))
        self.path.update(result.trajectory[:, 0, :])
        self.curve.update(losses, int(result.diverged_at[0]))
        self._show_legend(name, self.path.end_in_view())
        rate = None
        if name == "GD" and hasattr(self.problem, "gd_rate"):
            rate = float(self.problem.gd_rate(lr))
        self.last_result = result
        momentum = _choices.OPTIMIZERS[name][1].get("momentum")
        return describe_run(result, lr=lr, steps=steps, limit=self.limit, rate=rate, optimizer=name,
                            momentum=momentum)

    def _show_legend(self, name: str, end: bool) -> None:
        """The path legend: the optimizer drawn (its name, its colour), start, and
        end only while the end ◆ is on the plot; drawn above the path."""
        if (name, end) == self._legend_for:
            return
        legend = plots.trajectory_legend(self.axes[0], loc="upper left", end=end)
        self._put_on_top("legend", legend)
        self._legend_for = (name, end)


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
