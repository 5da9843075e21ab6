"""The schedule explorer (lesson 04): pick a schedule, set it, see SGD's noise floor."""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np

from lrcourse import _validation as check
from lrcourse import optim, plots, schedules, style, train
from lrcourse._blas import single_threaded_blas
from lrcourse.problems import SoftmaxRegression

from ._base import Explorer, dropdown, float_slider, int_slider, log_slider, short_numbers, sig3

__all__ = ["ScheduleExplorer", "schedule_explorer", "SCHEDULE_CHOICES", "reference_loss"]

#: Steps of every run in the explorer (the schedules' horizon T).
STEPS = 150
#: Mini-batch size of the SGD runs: small, so the gradient noise is plain to see.
BATCH_SIZE = 8
#: L2 strength of the softmax regression: strongly convex, so f* exists and SGD
#: with a constant η settles at a floor above it.
L2 = 0.03
EVAL_EVERY = 10

# Each parameter slider: (label, kind, default, low, high, step); kind is "int",
# "float", "log" or a tuple of dropdown options.
_PARAMETERS = {
    "step_size": ("step size", "int", 50, 5, STEPS, 5),
    "decay": ("γ (factor)", "float", 0.3, 0.05, 0.95, 0.05),
    "gamma": ("γ per step", "float", 0.99, 0.95, 0.999, 0.001),
    "decay_rate": ("decay rate", "log", 0.05, 1e-3, 1.0, 0.01),
    "power": ("power", "float", 1.0, 0.25, 4.0, 0.25),
    "eta_min_ratio": ("η_min / η₀", "log", 1e-3, 1e-4, 0.5, 0.01),
    "warmup_steps": ("warm-up", "int", 20, 1, STEPS // 2, 1),
    "step_size_up": ("half cycle", "int", 25, 5, STEPS // 2, 5),
    "base_ratio": ("η_base / η₀", "log", 0.05, 1e-3, 0.9, 0.01),
    "mode": ("mode", ("triangular", "triangular2", "exp_range"), "triangular", None, None, None),
    "T_0": ("T₀ (1st cycle)", "int", 25, 5, STEPS, 5),
    "T_mult": ("T_mult", "int", 2, 1, 3, 1),
    "pct_start": ("rising part", "float", 0.3, 0.05, 0.7, 0.05),
}


#: The peak rates the explorer's η₀ slider covers.
LR_RANGE = check.Interval(1e-2, 3.0, closed="both")


def _cyclic(lr, p):
    gamma = 0.99 if p["mode"] == "exp_range" else 1.0
    return schedules.cyclic(base_lr=lr * p["base_ratio"], max_lr=lr, step_size_up=p["step_size_up"],
                            mode=p["mode"], gamma=gamma)


#: Picker label → (factory(η₀, parameters) -> Schedule, parameter names).  Every
#: schedule here stays positive for the STEPS steps it is run (an optimizer rejects
#: a zero rate).
SCHEDULE_CHOICES = {
    "constant": (lambda lr, p: schedules.constant(lr), ()),
    "step decay": (lambda lr, p: schedules.step_decay(lr, p["step_size"], p["decay"]),
                   ("step_size", "decay")),
    "exponential": (lambda lr, p: schedules.exponential(lr, p["gamma"]), ("gamma",)),
    "inverse time": (lambda lr, p: schedules.inverse_time(lr, p["decay_rate"]), ("decay_rate",)),
    "polynomial": (lambda lr, p: schedules.polynomial(lr, STEPS, p["power"]), ("power",)),
    "cosine": (lambda lr, p: schedules.cosine(lr, STEPS, lr * p["eta_min_ratio"]), ("eta_min_ratio",)),
    "warm-up + cosine": (lambda lr, p: schedules.warmup_cosine(lr, p["warmup_steps"], STEPS,
                                                               eta_min=lr * p["eta_min_ratio"]),
                         ("warmup_steps", "eta_min_ratio")),
    "cyclic": (_cyclic, ("step_size_up", "base_ratio", "mode")),
    "cosine warm restarts (SGDR)": (lambda lr, p: schedules.cosine_warm_restarts(lr, p["T_0"], p["T_mult"]),
                                    ("T_0", "T_mult")),
    "one-cycle": (lambda lr, p: schedules.one_cycle(lr, STEPS, p["pct_start"]), ("pct_start",)),
}


# f* for the explorer's own l2, computed by ``_minimum`` once and written down, so
# opening the explorer does not spend half a second re-finding it; a test recomputes it.
KNOWN_MINIMA = {0.03: 0.4383944174479265}


def _minimum(problem: SoftmaxRegression) -> float:
    """f* by full-batch momentum GD (800 steps; the gradient norm ends below 1e-10)."""
    result = train.run(problem, optim.SGD(lr=1.0, momentum=0.9), problem.init(seed=0), 800)
    return float(result.final_loss[0])


@functools.lru_cache(maxsize=4)
def _problem_and_optimum(l2: float):
    """The softmax regression and its minimum f*."""
    problem = SoftmaxRegression(l2=l2)
    return problem, KNOWN_MINIMA[l2] if l2 in KNOWN_MINIMA else _minimum(problem)


def reference_loss(l2: float = L2) -> float:
    """f*, the minimum of the explorer's softmax regression (full-batch momentum GD,
    800 steps; its gradient norm there is below 1e-10)."""
    return _problem_and_optimum(float(l2))[1]


#: Rows of parameter controls (the most any schedule has is 3, two to a row) and the
#: height of one (JupyterLab's 28 px control and its 2 px margins).
_PARAMETER_ROWS = 2
_ROW_HEIGHT = "32px"

#: Room above the highest rate shown: the schedule panel's legend sits there, where
#: no schedule goes (every one here peaks at η₀).
_HEADROOM = 1.2


def _top(value: float) -> float:
    """The y-limit of the schedule panel: the first of 0.01, 0.03, 0.1, 0.3, … above
    ``value`` (so the axis changes rarely while η₀ is dragged), with headroom."""
    exponent = np.floor(np.log10(value) + 1e-12)
    for mantissa in (1.0, 3.0, 10.0):
        top = mantissa * 10.0 ** exponent
        if top >= value * (1 - 1e-9):
            return _HEADROOM * top
    return _HEADROOM * 30.0 * 10.0 ** exponent  # pragma: no cover - 10·10^e ≥ value always


class ScheduleExplorer(Explorer):
    """A learning-rate schedule and what it does to SGD's loss, live.

    The problem is softmax regression on the digits (``SoftmaxRegression(l2=0.03)``)
    trained by plain SGD with mini-batches of 8 for 150 steps, once with the chosen
    schedule and once with the constant rate η₀ (both in one vectorised run, same
    batches).  The right panel shows the excess loss f(xₜ) − f* on the full training
    set: with a constant rate it stalls at a *noise floor* that grows with η; a
    decaying schedule goes below it.

    Controls: ``schedule_dropdown``; ``lr_slider`` (η₀, the peak rate); the chosen
    schedule's own sliders in ``parameter_sliders`` (a dict by parameter name, also
    accepted by :meth:`set`, e.g. ``set(schedule="step decay", step_size=40)``).

    Result: the schedule as the library call that makes it (numbers to 3
    significant digits; a long one wraps, hence three lines), then f − f* over the
    last 20 % of the steps with the schedule and with the constant η₀.
    """

    result_lines = 3

    def __init__(self, *, schedule="cosine", lr=0.5):
        check.one_of("schedule", schedule, SCHEDULE_CHOICES)
        LR_RANGE("lr", lr, "the explorer's slider covers this range")
        with single_threaded_blas():
            self.problem, self.f_star = _problem_and_optimum(L2)
        self.x0 = self.problem.init(seed=0)
        super().__init__(2, style.SIDE_BY_SIDE)
        ax_sched, ax_loss = self.axes

        plots.schedule_curves([], STEPS, ax=ax_sched, title="the schedule ηₜ")
        self.schedule_line = plots.LossCurveArtist(ax_sched, style.CYCLE[0], "schedule", annotate=False)
        self.constant_line = plots.LossCurveArtist(ax_sched, "#888888", "constant η₀", annotate=False,
                                                   linestyle="--", linewidth=1.3)
        ax_sched.set_ylim(0, 1)
        self._reference_shown = None
        self._show_reference(True)
        ax_sched.set_xlim(0, STEPS)

        plots.loss_axes(ax_loss, steps=STEPS, title="SGD (batch 8) on digits: excess loss",
                        ylabel="f(xₜ) − f*  (full training set)")
        self.loss_line = plots.LossCurveArtist(ax_loss, style.CYCLE[0], "with the schedule")
        # The baseline's ✕ needs no note of its own (the result line has its step):
        # two notes at one spot would overlap.
        self.baseline = plots.LossCurveArtist(ax_loss, "#888888", "constant η₀", linestyle="--",
                                              linewidth=1.3, annotate=False)
        ax_loss.set_ylim(5e-3, 10.0)
        # Lower left: clear of a diverged run's ✕ and note, which sit at the top.
        self._put_on_top("loss legend", ax_loss.legend(handles=[self.loss_line.line, self.baseline.line],
                                                       loc="lower left"))
        for artist in (self.schedule_line.artists + self.constant_line.artists
                       + self.loss_line.artists + self.baseline.artists):
            self._animate(artist)
        # Lay out once with the widest tick labels the schedule axis shows (0.000 …
        # 0.010 at the smallest η₀), so no later axis leaves the figure.
        ax_sched.set_ylim(0, _top(1e-2))
        self._freeze_layout()

        self.schedule_dropdown = dropdown("schedule", list(SCHEDULE_CHOICES), schedule)
        self.lr_slider = log_slider("η₀ (peak)", lr, LR_RANGE.low, LR_RANGE.high, name="lr")
        self.parameter_sliders = {name: self._make_parameter(name) for name in _PARAMETERS}
        # The parameters sit in _PARAMETER_ROWS rows of at most 2, each a control high
        # whether filled or not, so the explorer keeps its height for every schedule.
        self.parameter_rows = [widgets.HBox(layout=widgets.Layout(height=_ROW_HEIGHT, overflow="visible"))
                               for _ in range(_PARAMETER_ROWS)]
        self.parameter_box = widgets.VBox(self.parameter_rows)
        self.schedule_dropdown.observe(self._show_parameters, names="value")
        self._show_parameters()
        self._finish([self.lr_slider, self.schedule_dropdown, *self.parameter_sliders.values()],
                     rows=[[self.lr_slider, self.schedule_dropdown], [self.parameter_box]])

    @staticmethod
    def _make_parameter(name: str):
        label, kind, default, low, high, step = _PARAMETERS[name]
        if isinstance(kind, tuple):
            return dropdown(label, list(kind), default)
        if kind == "int":
            return int_slider(label, default, low, high, step)
        if kind == "log":
            return log_slider(label, default, low, high)
        return float_slider(label, default, low, high, step,
                            readout_format=".3f" if step < 0.01 else ".2f")

    def _show_parameters(self, change=None) -> None:
        names = SCHEDULE_CHOICES[self.schedule_dropdown.value][1]
        for i, row in enumerate(self.parameter_rows):
            row.children = [self.parameter_sliders[name] for name in names[2 * i:2 * i + 2]]

    def _show_reference(self, shown: bool) -> None:
        """The dashed constant-η₀ reference, in the schedule panel and its legend,
        unless the schedule is that constant (the two lines would coincide)."""
        if shown == self._reference_shown:
            return
        self.constant_line.line.set_visible(shown)
        handles = [self.schedule_line.line] + ([self.constant_line.line] if shown else [])
        legend = self.axes[0].legend(handles=handles, loc="upper center", ncol=2, borderaxespad=0.3)
        self._put_on_top("schedule legend", legend)  # above the moving curves
        self._reference_shown = shown
        self._invalidate()

    def _control(self, name: str):
        if name in self.parameter_sliders:
            return self.parameter_sliders[name]
        return super()._control(name)

    def control_names(self) -> list[str]:
        return ["schedule", "lr", *self.parameter_sliders]

    def current_schedule(self) -> schedules.Schedule:
        """The schedule the controls describe."""
        factory, names = SCHEDULE_CHOICES[self.schedule_dropdown.value]
        values = {name: self.parameter_sliders[name].value for name in names}
        return factory(float(self.lr_slider.value), values)

    def _compute(self) -> str:
        lr = float(self.lr_slider.value)
        schedule = self.current_schedule()
        steps = np.arange(STEPS)
        curve = schedule(steps)
        constant = np.full(STEPS, lr)

        def both(k):  # the schedule in run 0, the constant η₀ in run 1
            return np.array([[schedule(k)], [lr]])

        result = train.run(self.problem, optim.SGD(lr=both), np.tile(self.x0, (2, 1)), STEPS,
                           batch_size=BATCH_SIZE,
                           seed=0, eval_every=EVAL_EVERY)
        excess = result.train_loss - self.f_star
        eval_steps = result.eval_steps
        self.schedule_line.update(curve)
        self.constant_line.update(constant)
        self._show_reference(self.schedule_dropdown.value != "constant")
        self.axes[0].set_ylim(0, _top(max(float(curve.max()), lr)))
        for k, artist in enumerate((self.loss_line, self.baseline)):
            artist.update(excess[:, k], int(result.diverged_at[k]), steps=eval_steps)
        self.last_result = result

        def floor(k):
            if result.diverged[k]:
                return f"diverged at step {int(result.diverged_at[k])}"
            tail = excess[eval_steps >= 0.8 * STEPS, k]
            return f"{np.mean(tail):.3g}"

        return (f"{short_numbers(repr(schedule))}\n"
                f"f − f* over the last 20% of steps: {floor(0)} with the schedule, "
                f"{floor(1)} with the constant η₀ = {sig3(lr)}")


def schedule_explorer(*, schedule="cosine", lr=0.5) -> ScheduleExplorer:
    """A live explorer of learning-rate schedules and SGD's noise floor (lesson 04).

    Parameters
    ----------
    schedule : str
        One of :data:`SCHEDULE_CHOICES` ("constant", "step decay", "exponential",
        "inverse time", "polynomial", "cosine", "warm-up + cosine", "cyclic",
        "cosine warm restarts (SGDR)", "one-cycle").
    lr : float
        The peak rate η₀.
    """
    return ScheduleExplorer(schedule=schedule, lr=lr)
