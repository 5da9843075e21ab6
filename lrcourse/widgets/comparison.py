"""The optimizer comparison (lesson 05): several optimizers, one problem, their own η."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from lrcourse import _validation as check
from lrcourse import plots, style, train

from ._base import Explorer, dropdown, int_slider, label_px, log_slider, sig3, steps_text
from ._choices import DESCRIPTIONS, OPTIMIZERS, PROBLEMS, make_optimizer
from .lr import StickyLossLimits, lay_out_for_the_widest_loss_axis

__all__ = ["OptimizerComparison", "optimizer_comparison", "DEFAULT_LRS"]

_QUADRATIC, _ROSENBROCK = list(PROBLEMS)

#: Starting learning rates per problem: reasonable, not tuned (tuning is the exercise).
DEFAULT_LRS = {
    _QUADRATIC: {"GD": 1.0, "Momentum": 0.1, "Adagrad": 0.5, "RMSprop": 0.05, "Adam": 0.1, "AdamW": 0.1},
    _ROSENBROCK: {"GD": 2e-3, "Momentum": 5e-4, "Adagrad": 0.5, "RMSprop": 0.01, "Adam": 0.05,
                  "AdamW": 0.05},
}
#: Default number of steps per problem (Rosenbrock's curved valley takes longer).
DEFAULT_STEPS = {_QUADRATIC: 100, _ROSENBROCK: 500}
LR_RANGE = (1e-4, 3.0)


class OptimizerComparison(Explorer):
    """Several optimizers on one 2-D problem: paths on the contours and loss curves.

    Controls
    --------
    problem_dropdown : Dropdown
        The ill-conditioned quadratic (κ = 10) or Rosenbrock; changing it resets the
        learning rates and steps to that problem's defaults (:data:`DEFAULT_LRS`).
    optimizer_toggles : dict name → Checkbox
        Which of GD, Momentum (β = 0.9), Adagrad, RMSprop, Adam, AdamW are shown.
    lr_sliders : dict name → FloatLogSlider
        Each optimizer's learning rate (``set(Adam=0.01)`` sets Adam's).
    steps_slider : IntSlider
        Steps of every run (updates on release).

    Only the optimizer whose rate changed is re-run; the others are cached.  An
    unticked optimizer is not drawn, not in the legend, and its slider is greyed
    out.  The result lists the ticked ones, two to a line (four lines in all).
    """

    result_lines = 4

    def __init__(self, problem=_QUADRATIC, *, optimizers=("GD", "Momentum", "Adam")):
        check.one_of("problem", problem, PROBLEMS)
        if not isinstance(optimizers, (tuple, list)):
            check.fail("optimizers", "a tuple of optimizer names", optimizers, error=TypeError)
        for index, name in enumerate(optimizers):
            check.one_of(f"optimizers[{index}]", name, OPTIMIZERS)
        super().__init__(2, style.SIDE_BY_SIDE)
        self._cache: dict = {}
        self._loss_limits = StickyLossLimits()
        self.problem_dropdown = dropdown("problem", list(PROBLEMS), problem)
        toggle_width = f"{max(label_px(name) for name in OPTIMIZERS) + 28}px"  # box + name
        self.optimizer_toggles = {
            name: widgets.Checkbox(value=name in optimizers, description=name, indent=False,
                                   tooltip=DESCRIPTIONS[name], layout=widgets.Layout(width=toggle_width))
            for name in OPTIMIZERS
        }
        self.lr_sliders = {name: log_slider("η", DEFAULT_LRS[problem][name], *LR_RANGE)
                           for name in OPTIMIZERS}
        for name, toggle in self.optimizer_toggles.items():
            toggle.observe(self._enable_slider, names="value")
            self._enable_slider({"owner": toggle})
        self.steps_slider = int_slider("steps", DEFAULT_STEPS[problem], 10, 1000, 10, continuous=False)
        self._build_problem(problem)
        self.problem_dropdown.observe(self._on_problem, names="value")

        pairs = [widgets.HBox([self.optimizer_toggles[n], self.lr_sliders[n]]) for n in OPTIMIZERS]
        half = (len(pairs) + 1) // 2
        columns = widgets.HBox([widgets.VBox(pairs[:half]), widgets.VBox(pairs[half:])])
        controls = [*self.lr_sliders.values(), *self.optimizer_toggles.values(), self.steps_slider]
        self._finish(controls, rows=[[self.problem_dropdown], [columns], [self.steps_slider]],
                     label_groups=[list(self.lr_sliders.values()),
                                   [self.problem_dropdown, self.steps_slider]])

    # ------------------------------------------------------------------ figure
    def _build_problem(self, label: str) -> None:
        """(Re)draw the static parts for the problem ``label`` and fresh artists."""
        self.problem = PROBLEMS[label]()
        self.x0 = np.asarray(self.problem.init(seed=0), dtype=float)
        self.start_loss = float(self.problem.loss(self.x0))
        ax_path, ax_loss = self.axes
        for ax in self.axes:
            ax.cla()
        self._moving = []
        plots.contour_trajectory(self.problem, (), ax=ax_path, legend=False, title=self.problem.name)
        plots.loss_axes(ax_loss, title="loss f(xₜ), log scale")
        threshold = self.start_loss * 1e4
        _, label = plots.threshold_line(ax_loss, threshold)
        self.paths, self.curves = {}, {}
        for name in OPTIMIZERS:
            color = style.optimizer_color(name)
            self.paths[name] = plots.TrajectoryArtist(ax_path, color, name)
            # Several curves: the ✕ and the line say it, the result line gives the step.
            self.curves[name] = plots.LossCurveArtist(ax_loss, color, name, annotate=False,
                                                      ceiling=threshold)
            self._animate(*self.paths[name].artists, *self.curves[name].artists)
        self._on_top = {}
        self._put_on_top("minimiser", plots.minimiser_marker(ax_path))  # ★ above a converged ◆
        self._put_on_top("threshold", label)  # no curve or ✕ covers it
        for ax in self.axes:
            ax.set_autoscale_on(False)
        # Lay out with every optimizer in the legend and the widest tick labels (the
        # deepest loss axis, the most steps), so no later state needs room the figure
        # has not got; the legend then lists only the ticked ones.
        self._legend_for = (tuple(OPTIMIZERS), True)
        plots.trajectory_legend(ax_path, loc="outside")
        lay_out_for_the_widest_loss_axis(self, ax_loss, self.start_loss, self.steps_slider.max)

    def _show_legend(self, names: tuple, end: bool) -> None:
        """The path legend lists exactly the optimizers drawn, the start, and the
        end if an end ◆ is on the plot (a diverged path's is not)."""
        if (names, end) == self._legend_for:
            return
        for name, path in self.paths.items():
            path.path.set_label(name if name in names else "_hidden")
        plots.trajectory_legend(self.axes[0], loc="outside", end=end)
        self._legend_for = (names, end)
        self._invalidate()

    def _enable_slider(self, change) -> None:
        """An unticked optimizer's rate slider is greyed out (it would move nothing)."""
        toggle = change["owner"]
        self.lr_sliders[toggle.description].disabled = not toggle.value

    def _on_problem(self, change) -> None:
        label = change["new"]
        with self.hold():
            self._build_problem(label)
            for name, slider in self.lr_sliders.items():
                slider.anchor(DEFAULT_LRS[label][name])  # exactly the default, on the slider's grid
            self.steps_slider.value = DEFAULT_STEPS[label]

    def _control(self, name: str):
        if name in self.lr_sliders:
            return self.lr_sliders[name]
        return super()._control(name)

    def control_names(self) -> list[str]:
        return ["problem", "steps", *self.lr_sliders]

    # ----------------------------------------------------------------- compute
    def _run(self, name: str, lr: float, steps: int):
        key = (self.problem_dropdown.value, name, lr, steps)
        if key not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = train.run(self.problem, make_optimizer(name, lr), self.x0, steps,
                                         keep_trajectory=True)
        return self._cache[key]

    def _compute(self) -> str:
        steps = int(self.steps_slider.value)
        shown = tuple(name for name in OPTIMIZERS if self.optimizer_toggles[name].value)
        for name in OPTIMIZERS:
            for artist in self.paths[name].artists + self.curves[name].artists:
                artist.set_visible(name in shown)
        runs, entries = {}, []
        for name in OPTIMIZERS:
            if name not in shown:
                continue
            lr = float(self.lr_sliders[name].value)
            result = self._run(name, lr, steps)
            runs[name] = (result, np.append(result.loss[:, 0], result.final_loss[0]))
            if bool(result.diverged[0]):
                outcome = f"diverged at step {int(result.diverged_at[0])}"
            else:
                outcome = f"{float(result.final_loss[0]):.2g}"
            entries.append(f"{name} η={sig3(lr)}: {outcome}")
        ax_loss = self.axes[1]
        ax_loss.set_xlim(0, steps)
        every_loss = np.concatenate([losses for _, losses in runs.values()]) if runs else []
        key = (self.problem_dropdown.value, steps)
        ax_loss.set_ylim(*self._loss_limits(key, every_loss, self.start_loss))
        for name, (result, losses) in runs.items():
            self.paths[name].update(result.trajectory[:, 0, :])
            self.curves[name].update(losses, int(result.diverged_at[0]))
        self._show_legend(shown, any(self.paths[name].end_in_view() for name in runs))
        if not entries:
            return "tick at least one optimizer"
        return f"loss after {steps_text(steps)}:\n" + _in_columns(entries, 2)


def _in_columns(entries: list[str], columns: int) -> str:
    """``entries`` in rows of ``columns``, each column as wide as its longest entry."""
    width = max(len(entry) for entry in entries) + 3
    rows = [entries[i:i + columns] for i in range(0, len(entries), columns)]
    return "\n".join("".join(entry.ljust(width) for entry in row).rstrip() for row in rows)


def optimizer_comparison(problem=_QUADRATIC, *, optimizers=("GD", "Momentum", "Adam")) -> OptimizerComparison:
    """A live comparison of optimizers on a 2-D problem (lesson 05).

    Parameters
    ----------
    problem : str
        "ill-conditioned quadratic (κ = 10)" or "Rosenbrock".
    optimizers : names
        Which optimizers are ticked at the start (of GD, Momentum, Adagrad,
        RMSprop, Adam, AdamW).
    """
    return OptimizerComparison(problem, optimizers=optimizers)
