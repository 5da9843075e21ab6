"""Checks for exercise 04 — learning-rate schedules.

Each part is a schedule written as a function of the step and its hyper-parameters,
``lr = schedule(step, ...)``, equal to a ``torch.optim.lr_scheduler`` class: the
value at step ``k`` is the learning rate PyTorch's optimizer uses in its k-th
update (k = 0, 1, …), i.e. ``scheduler.get_last_lr()`` after k calls of
``scheduler.step()``.  It must work on a single integer step (returning a number)
and on a NumPy array of steps (returning a float64 array of the same shape, without
changing the array), so ``schedule(np.arange(T), ...)`` draws the whole curve.

Parts (learner's function → check):

- ``step_decay(step, lr, step_size, gamma=0.1)``   (StepLR)        → :func:`check_step_decay`
- ``exponential_decay(step, lr, gamma)``            (ExponentialLR) → :func:`check_exponential_decay`
- ``cosine_annealing(step, lr, T_max, eta_min=0.0)`` (CosineAnnealingLR, also past T_max)
                                                                     → :func:`check_cosine_annealing`
- ``warmup_cosine(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0)``
  (LinearLR warm-up, then CosineAnnealingLR, joined by SequentialLR) → :func:`check_warmup_cosine`
- ``triangular_cyclic(step, base_lr, max_lr, step_size)``  (CyclicLR, mode 'triangular')
                                                                     → :func:`check_triangular_cyclic`
- ``one_cycle(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)``
  (OneCycleLR, cosine annealing, two phases)                         → :func:`check_one_cycle`
- ``sgdr(step, lr, cycle_lengths, eta_min=0.0)``: warm restarts built from ``schedules.join``
  of cosine pieces (CosineAnnealingWarmRestarts for cycles T₀, T₀·T_mult, …) → :func:`check_sgdr`
- ``plateau_lrs(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0) -> array``:
  ReduceLROnPlateau's rate after each evaluation (mode 'min', relative threshold, eps 1e-8;
  cases where a loss drops without a new best, bounces, stalls, is NaN; seeded random
  sequences)                                                        → :func:`check_plateau_lrs`
- ``restarts_help() -> letters``: reading an experiment — do warm restarts find a deeper
  valley of WavyValley than a single cosine, and why (graded multiple choice, grounded in
  :func:`restart_experiment`)                                        → :func:`check_restarts_help`

The references are :mod:`lrcourse.schedules` (tested against PyTorch's recorded
curves).  Besides the mistakes each part names, a schedule that raises on an array
of steps but works on one step is told that it is not vectorised (and vice versa),
and one that returns a Python list is told to return an array.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from lrcourse import schedules
from lrcourse.grading.core import ArrayOut, Case, Mistake, Part, Diagnosis, check_choice, grade_cell_points
from lrcourse.grading.choice import ChoicePart, choice_problem
from lrcourse.grading.diagnose import shifted_step
from lrcourse.grading.outputs import ArrayOnlyOut, works_when

__all__ = [
    "PARTS",
    "check_step_decay",
    "check_exponential_decay",
    "check_cosine_annealing",
    "check_warmup_cosine",
    "check_triangular_cyclic",
    "check_one_cycle",
    "check_sgdr",
    "check_plateau_lrs",
    "check_restarts_help",
    "restart_experiment",
    "ArrayOnlyOut",
    "choice_problem",
]


# ---------------------------------------------------------------------------
# What a schedule returns, and how it is tried
# ---------------------------------------------------------------------------

class _LrOut(ArrayOut):
    """A float for one step, a float64 array of the steps' shape for an array of steps."""

    def accept(self, value, args):
        if isinstance(value, (list, tuple)) and np.ndim(args["step"]) > 0:
            raise Diagnosis(
                "returned_list",
                f"It returned a Python {type(value).__name__} instead of a NumPy array of "
                "learning rates.",
                "Compute on the whole array of steps at once (np.floor, np.cos, np.where, "
                "np.minimum … all work element by element), so the result is an array "
                "of the steps' shape.",
            )
        if isinstance(value, (list, tuple)):
            raise Diagnosis(
                "returned_list",
                f"For a single integer step it returned a Python {type(value).__name__} "
                f"(of {len(value)} item{'' if len(value) == 1 else 's'}) instead of one "
                "number: a list built over np.atleast_1d(step), or a comprehension over the "
                "steps, turns one step into a list. A training loop calls the schedule with "
                "one step and needs one learning rate back.",
                "Compute on step itself with NumPy functions (np.floor, np.cos, np.where …): "
                "they return a number for a number and an array for an array.",
            )
        return super().accept(value, args)


_LR_OUT = _LrOut(what="the learning rate", like="step")


def _like(step, values):
    """``values`` shaped like ``step``: a float for one step, else a float64 array."""
    values = np.asarray(values, dtype=float)
    return float(values) if np.ndim(step) == 0 else values.reshape(np.shape(step))


def _steps(step) -> np.ndarray:
    return np.asarray(step, dtype=float)


def _case(step, **hyper) -> Case:
    shown = {}
    if np.ndim(step) > 0:
        step = np.asarray(step)
        if step.ndim == 1 and step.size > 1 and np.array_equal(step, np.arange(step[0], step[-1] + 1)):
            shown["step"] = (f"np.arange({step[-1] + 1})" if step[0] == 0
                             else f"np.arange({step[0]}, {step[-1] + 1})")
    return Case({"step": step, **hyper}, shown=shown)


def _one_step(args: dict) -> dict | None:
    """The case with its array of steps replaced by the first step, a plain integer."""
    step = args["step"]
    return {**args, "step": int(np.asarray(step).ravel()[0])} if np.ndim(step) > 0 else None


def _array_of_one_step(args: dict) -> dict | None:
    """The case with its one integer step replaced by an array holding it."""
    step = args["step"]
    return {**args, "step": np.array([step])} if np.ndim(step) == 0 else None


#: a schedule that raised on an array of steps but works on one step
_NOT_VECTORISED = works_when(
    _one_step, "not_vectorised",
    lambda name, _args: f"{name} works on one step but raises on an array of steps",
    "Python's `if`, `min`, `math.floor`/`math.cos` and `float(...)` handle one number "
    "at a time; use np.where, np.minimum, np.floor, np.cos, which work element by "
    "element on arrays and on single numbers alike.",
)
#: a schedule that raised on one integer step but works on an array of steps
_NOT_SCALAR = works_when(
    _array_of_one_step, "not_scalar",
    lambda name, _args: f"{name} works on an array of steps but raises on a single integer step",
    "A schedule is called with one step inside a training loop: avoid len(step) and "
    "loops over step; NumPy functions (np.floor, np.cos, np.where) take a plain "
    "integer as well as an array.",
)


def _vectorisation_problem(part: Part, func, case: Case, problem: Diagnosis) -> Diagnosis | None:
    """Name a schedule that raised on one step but works on an array of steps, or vice versa.

    The part's ``rediagnose_raised`` hook: ``func`` raised ``problem`` on ``case``; it is
    tried again with the same hyper-parameters and the other kind of step
    (:func:`grading.outputs.works_when`).
    """
    return _NOT_VECTORISED(part, func, case, problem) or _NOT_SCALAR(part, func, case, problem)


def _schedule_part(**fields) -> Part:
    """A schedule's Part: the output is shaped like ``step``, and a schedule that raises
    on one kind of step but not on the other is told it is not vectorised (or not scalar)."""
    return Part(returns=_LR_OUT, rediagnose_raised=_vectorisation_problem, **fields)


def _variant(formula: Callable) -> Callable:
    """A wrong schedule written on float steps, returned shaped like the step argument."""
    def variant(step, *args):
        with np.errstate(all="ignore"):
            return _like(step, formula(_steps(step), *args))
    return variant


# ---------------------------------------------------------------------------
# References (lrcourse.schedules; never shown)
# ---------------------------------------------------------------------------

def _step_decay(step, lr, step_size, gamma=0.1):
    return schedules.step_decay(lr, step_size, gamma)(step)


def _exponential_decay(step, lr, gamma):
    return schedules.exponential(lr, gamma)(step)


def _cosine_annealing(step, lr, T_max, eta_min=0.0):  # noqa: N803 - PyTorch's name
    return schedules.cosine(lr, T_max, eta_min)(step)


def _warmup_cosine(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0):
    return schedules.warmup_cosine(lr, warmup_steps, total_steps, start_factor, eta_min)(step)


def _triangular_cyclic(step, base_lr, max_lr, step_size):
    return schedules.cyclic(base_lr, max_lr, step_size_up=step_size, mode="triangular")(step)


def _one_cycle(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    return schedules.one_cycle(max_lr, total_steps, pct_start=pct_start, div_factor=div_factor,
                               final_div_factor=final_div_factor)(step)


# ---------------------------------------------------------------------------
# Part 1: step decay
# ---------------------------------------------------------------------------

STEP_DECAY = _schedule_part(
    name="step_decay",
    points=1,
    reference=_step_decay,
    cases=[
        _case(7, lr=0.1, step_size=3, gamma=0.5),
        _case(6, lr=0.1, step_size=3, gamma=0.5),
        _case(np.arange(12), lr=0.1, step_size=3, gamma=0.5),
        _case(np.arange(25), lr=1.0, step_size=10),
    ],
    hidden_cases=[
        _case(0, lr=0.3, step_size=5, gamma=0.2),
        _case(np.array([[0, 4, 5], [9, 10, 99]]), lr=0.05, step_size=5, gamma=0.8),
        _case(np.arange(40), lr=2.0, step_size=7, gamma=0.9),
    ],
    mistakes=[
        *shifted_step(_step_decay),
        Mistake(
            "no_floor",
            "Your rate decays a little at every step (γ^(k/step_size)); step decay holds it "
            "constant for step_size steps and then drops it by the factor γ at once.",
            "Count the completed periods with integer division: ⌊k / step_size⌋ (k // step_size "
            "or np.floor).",
            variant=_variant(lambda k, lr, s, g=0.1: lr * g ** (k / s)),
        ),
        Mistake(
            "ceil_not_floor",
            "Your first drop comes right after step 0: you rounded k / step_size up (ceil) "
            "instead of down. StepLR first uses γ·lr at step k = step_size.",
            "Use ⌊k / step_size⌋, the number of completed periods.",
            variant=_variant(lambda k, lr, s, g=0.1: lr * g ** np.ceil(k / s)),
        ),
        Mistake(
            "rounded_not_floored",
            "Your rate drops halfway through each period: you rounded k / step_size to the "
            "nearest integer (np.round or round). StepLR counts *completed* periods, so the "
            "rate stays at lr for the whole first step_size steps.",
            "Count the completed periods: round k / step_size down, never to the nearest.",
            variant=_variant(lambda k, lr, s, g=0.1: lr * g ** np.round(k / s)),
        ),
        Mistake(
            "gamma_times_count",
            "You multiplied by γ·(number of drops); each drop multiplies the rate by γ again, "
            "so the factor is γ to the power of the number of drops.",
            "After n drops the rate is lr·γⁿ.",
            variant=_variant(lambda k, lr, s, g=0.1: lr * g * np.floor(k / s)),
        ),
        Mistake(
            "one_minus_gamma",
            "You used (1 − γ) as the factor: in PyTorch γ is the factor the rate is multiplied "
            "by (γ = 0.1 keeps a tenth), not the fraction removed.",
            "Multiply by gamma itself at every drop.",
            variant=_variant(lambda k, lr, s, g=0.1: lr * (1 - g) ** np.floor(k / s)),
        ),
    ],
    wrong_hint="StepLR: lr·γ^⌊k/step_size⌋ — the rate drops by γ at k = step_size, 2·step_size, ….",
)


def check_step_decay(step_decay, *, hidden: bool = False) -> None:
    """Check ``step_decay(step, lr, step_size, gamma=0.1)`` (StepLR)."""
    STEP_DECAY.check(step_decay, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: exponential decay
# ---------------------------------------------------------------------------

EXPONENTIAL_DECAY = _schedule_part(
    name="exponential_decay",
    points=1,
    reference=_exponential_decay,
    cases=[
        _case(3, lr=0.1, gamma=0.9),
        _case(np.arange(20), lr=0.5, gamma=0.8),
        _case(np.arange(5, 50, 5), lr=1e-2, gamma=0.97),
        _case(np.array([0, 60, 150, 400, 1000, 2500]), lr=0.5, gamma=0.998),
    ],
    hidden_cases=[
        _case(0, lr=0.2, gamma=0.5),
        _case(np.array([[1, 2], [100, 1000]]), lr=1.0, gamma=0.999),
        _case(np.arange(0, 300, 7), lr=3e-3, gamma=0.99),
    ],
    mistakes=[
        *shifted_step(_exponential_decay),
        Mistake(
            "one_minus_gamma",
            "You used (1 − γ) as the factor per step: in PyTorch's ExponentialLR the rate is "
            "multiplied by γ itself every step (γ = 0.9 keeps 90 %).",
            "lr(k) = lr·γᵏ.",
            variant=_variant(lambda k, lr, g: lr * (1 - g) ** k),
        ),
        Mistake(
            "exp_of_gamma",
            "You wrote lr·e^(−γk), with γ as a decay rate; ExponentialLR's γ is the factor per "
            "step, lr·γᵏ.",
            "Raise gamma to the power k.",
            variant=_variant(lambda k, lr, g: lr * np.exp(-g * k)),
        ),
        Mistake(
            "inverse_time",
            "That is inverse-time decay, lr/(1 + γk), which falls much more slowly; "
            "exponential decay multiplies by γ every step.",
            "lr(k) = lr·γᵏ.",
            variant=_variant(lambda k, lr, g: lr / (1 + g * k)),
        ),
        Mistake(
            "lr_applied_twice",
            "Your rate is lr² at k = 0: lr is multiplied in twice (for instance lr·(lr·γᵏ), or a "
            "running rate that starts at lr and is multiplied by lr again). The schedule starts "
            "at lr itself and only γ is applied once per step.",
            "Check your rate at k = 0: it must be lr.",
            variant=_variant(lambda k, lr, g: lr * lr * g ** k),
        ),
        Mistake(
            "gamma_times_step",
            "You multiplied by γ·k; the factor γ is applied once per step, so it is raised to "
            "the power k.",
            "lr(k) = lr·γᵏ: at k = 0 the rate is lr itself.",
            variant=_variant(lambda k, lr, g: lr * g * k),
        ),
    ],
    wrong_hint="ExponentialLR: lr·γᵏ, with lr itself at k = 0.",
)


def check_exponential_decay(exponential_decay, *, hidden: bool = False) -> None:
    """Check ``exponential_decay(step, lr, gamma)`` (ExponentialLR)."""
    EXPONENTIAL_DECAY.check(exponential_decay, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 3: cosine annealing
# ---------------------------------------------------------------------------

def _cosine(k, lr, T, eta_min=0.0):  # noqa: N803
    """CosineAnnealingLR on any float steps: the library's cosine shape from lr to eta_min."""
    return schedules.cosine_between(lr, eta_min, k, T)


COSINE_ANNEALING = _schedule_part(
    name="cosine_annealing",
    points=2,
    reference=_cosine_annealing,
    cases=[
        _case(3, lr=0.1, T_max=10, eta_min=0.01),
        _case(np.arange(11), lr=0.1, T_max=10, eta_min=0.01),
        _case(np.arange(25), lr=1.0, T_max=8),
        _case(np.arange(40), lr=0.05, T_max=13, eta_min=1e-3),
    ],
    hidden_cases=[
        _case(0, lr=0.2, T_max=5, eta_min=0.05),
        _case(np.array([[5, 10], [15, 100]]), lr=0.4, T_max=10, eta_min=0.1),
        _case(np.arange(61), lr=3e-3, T_max=30),
    ],
    mistakes=[
        *shifted_step(_cosine_annealing),
        Mistake(
            "T_max_minus_one",
            "Your cosine reaches η_min one step early, at k = T_max − 1 (you divided by "
            "T_max − 1). CosineAnnealingLR uses π·k/T_max: the floor η_min is reached at "
            "k = T_max.",
            "np.linspace(lr, eta_min, T_max) puts the floor at index T_max − 1; use the formula "
            "with k/T_max instead.",
            variant=_variant(lambda k, lr, T, e=0.0: _cosine(k, lr, T - 1, e)),
        ),
        Mistake(
            "eta_min_ignored",
            "Your curve goes down to 0 instead of η_min: eta_min is the floor of the cosine.",
            "lr(k) = η_min + (lr − η_min)·(1 + cos(πk/T_max))/2.",
            variant=_variant(lambda k, lr, T, e=0.0: _cosine(k, lr, T, 0.0)),
        ),
        Mistake(
            "eta_min_added",
            "Your curve goes from lr + η_min down to η_min: the amplitude of the cosine is "
            "lr − η_min, so that it starts at lr.",
            "Scale the cosine by (lr − eta_min), then add eta_min.",
            variant=_variant(lambda k, lr, T, e=0.0: e + lr * (1 + np.cos(np.pi * k / T)) / 2),
        ),
        Mistake(
            "one_minus_cos",
            "Your curve rises from η_min to lr instead of falling from lr to η_min: you wrote "
            "(1 − cos(πk/T_max))/2, which is 0 at k = 0. Cosine annealing starts at the full "
            "rate, where cos 0 = 1 makes the factor 1.",
            "Check the factor at k = 0 and at k = T_max: it must go from 1 to 0.",
            variant=_variant(lambda k, lr, T, e=0.0: e + (lr - e) * (1 - np.cos(np.pi * k / T)) / 2),
        ),
        Mistake(
            "missing_half",
            "Your curve starts at twice the rate: (1 + cos) goes from 2 to 0, so it needs the "
            "factor ½.",
            "lr(k) = η_min + (lr − η_min)·(1 + cos(πk/T_max))/2.",
            variant=_variant(lambda k, lr, T, e=0.0: e + (lr - e) * (1 + np.cos(np.pi * k / T))),
        ),
        Mistake(
            "no_pi",
            "Your cosine's argument lacks π: cos(k/T_max) covers only a third of the half wave "
            "by k = T_max.",
            "The argument runs from 0 to π over T_max steps: π·k/T_max.",
            variant=_variant(lambda k, lr, T, e=0.0: e + (lr - e) * (1 + np.cos(k / T)) / 2),
        ),
        Mistake(
            "clamped_after_T_max",
            "Your curve stays at η_min after k = T_max. PyTorch's CosineAnnealingLR keeps "
            "following the cosine and climbs back to lr at k = 2·T_max (period 2·T_max); "
            "stopping at the floor is optax's cosine_decay_schedule, a different schedule.",
            "Don't clip k at T_max: the same formula holds for every k.",
            variant=_variant(lambda k, lr, T, e=0.0: _cosine(k, lr, T, e) * (k <= T)
                             + e * (k > T)),
        ),
        Mistake(
            "restarts_after_T_max",
            "Your curve jumps back to lr at k = T_max: that is a warm restart (SGDR, "
            "CosineAnnealingWarmRestarts). CosineAnnealingLR climbs back smoothly, reaching "
            "lr again at k = 2·T_max.",
            "Don't take k modulo T_max: the same formula holds for every k.",
            variant=_variant(lambda k, lr, T, e=0.0: _cosine(np.mod(k, T), lr, T, e)),
        ),
    ],
    wrong_hint="CosineAnnealingLR: η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2, for every k ≥ 0.",
)


def check_cosine_annealing(cosine_annealing, *, hidden: bool = False) -> None:
    """Check ``cosine_annealing(step, lr, T_max, eta_min=0.0)`` (CosineAnnealingLR)."""
    COSINE_ANNEALING.check(cosine_annealing, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 4: linear warm-up, then cosine
# ---------------------------------------------------------------------------

def _warmup_cosine_formula(ramp: Callable, *, cosine_from: Callable | None = None,
                           cosine_length: Callable | None = None, ignore_eta_min: bool = False):
    """A warm-up/cosine variant: ``ramp(k, w, s)`` is the warm-up's fraction of lr."""
    def formula(k, lr, w, T, s=0.1, eta_min=0.0):  # noqa: N803
        start = w if cosine_from is None else cosine_from(w)
        length = T - w if cosine_length is None else cosine_length(w, T)
        floor = 0.0 if ignore_eta_min else eta_min
        decay = schedules.cosine_between(lr, floor, k - start, length)
        return np.where(k < w, lr * ramp(k, w, s), decay)
    return _variant(formula)


def _right_ramp(k, w, s):
    """The warm-up's fraction of lr: the library's linear shape from s to 1 over w steps."""
    return schedules.linear_between(s, 1.0, k, w)


def _late_warmup(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0):
    return _warmup_cosine(step, lr, warmup_steps + 1, total_steps, start_factor, eta_min)


WARMUP_COSINE = _schedule_part(
    name="warmup_cosine",
    points=2,
    reference=_warmup_cosine,
    cases=[
        _case(5, lr=0.1, warmup_steps=5, total_steps=30, start_factor=0.1, eta_min=1e-3),
        _case(np.arange(30), lr=0.1, warmup_steps=5, total_steps=30, start_factor=0.1, eta_min=1e-3),
        _case(np.arange(100), lr=1.0, warmup_steps=10, total_steps=100),
        _case(np.arange(16), lr=0.02, warmup_steps=4, total_steps=16, start_factor=0.5, eta_min=0.0),
        # past total_steps the cosine keeps going (climbs back), as CosineAnnealingLR does
        _case(np.array([3, 28, 29, 30, 31, 40, 55, 80]), lr=0.1, warmup_steps=5, total_steps=30,
              start_factor=0.1, eta_min=1e-3),
    ],
    hidden_cases=[
        _case(0, lr=0.3, warmup_steps=3, total_steps=12, start_factor=0.25, eta_min=0.01),
        _case(np.array([[2, 3], [4, 11]]), lr=0.3, warmup_steps=3, total_steps=12,
              start_factor=0.25, eta_min=0.01),
        _case(np.arange(200), lr=3e-3, warmup_steps=20, total_steps=200, start_factor=0.01,
              eta_min=1e-5),
        _case(np.arange(150, 420, 9), lr=3e-3, warmup_steps=20, total_steps=200, start_factor=0.01,
              eta_min=1e-5),
    ],
    mistakes=[
        *shifted_step(_warmup_cosine),
        Mistake(
            "warmup_from_zero",
            "Your warm-up starts at 0 (lr·k/w): step 0 then does nothing. Like PyTorch's "
            "LinearLR, it starts at start_factor·lr.",
            "The warm-up's fraction of lr goes linearly from start_factor (at k = 0) to 1 "
            "(at k = warmup_steps).",
            variant=_warmup_cosine_formula(lambda k, w, s: k / w),
        ),
        Mistake(
            "warmup_one_step_early",
            "Your warm-up reaches lr one step early, at k = warmup_steps − 1 (as "
            "np.linspace(start, lr, warmup_steps) does). The full rate is first used at "
            "k = warmup_steps.",
            "The fraction is start_factor + (1 − start_factor)·k/warmup_steps for "
            "k < warmup_steps (np.linspace with warmup_steps + 1 points, without the last).",
            variant=_warmup_cosine_formula(lambda k, w, s: s + (1 - s) * k / (w - 1)),
        ),
        Mistake(
            "warmup_one_step_late",
            "Your warm-up ends one step late: the full rate lr must first be used at "
            "k = warmup_steps, where the cosine starts.",
            "Divide k by warmup_steps in the ramp, and start the cosine (its k = 0) at "
            "step warmup_steps.",
            variant=_late_warmup,
        ),
        Mistake(
            "cosine_not_shifted",
            "Your cosine starts counting at step 0 instead of at the end of the warm-up: "
            "after the warm-up the cosine must see k − warmup_steps, so that it starts at lr.",
            "Feed the cosine the steps since the warm-up ended.",
            variant=_warmup_cosine_formula(_right_ramp, cosine_from=lambda w: 0),
        ),
        Mistake(
            "cosine_over_total_steps",
            "Your cosine lasts total_steps steps; after a warm-up of w steps only "
            "total_steps − w are left, so it reaches η_min too late.",
            "Use T_max = total_steps − warmup_steps for the cosine.",
            variant=_warmup_cosine_formula(_right_ramp, cosine_length=lambda w, T: T),
        ),
        Mistake(
            "held_after_total_steps",
            "Your rate stops at η_min after k = total_steps; as the exercise states, the "
            "cosine of part 3 keeps going past T (it climbs back up, as PyTorch's "
            "CosineAnnealingLR inside SequentialLR does).",
            "Do not clip the step: use the cosine's formula for every k ≥ warmup_steps.",
            variant=lambda step, lr, w, T, s=0.1, eta_min=0.0: _warmup_cosine(  # noqa: N803
                np.minimum(step, T), lr, w, T, s, eta_min),
        ),
        Mistake(
            "eta_min_ignored",
            "Your cosine decays to 0 instead of η_min.",
            "After the warm-up: η_min + (lr − η_min)·(1 + cos(π(k − w)/(T − w)))/2.",
            variant=_warmup_cosine_formula(_right_ramp, ignore_eta_min=True),
        ),
    ],
    wrong_hint="Warm-up lr·(s + (1 − s)·k/w) for k < w, then CosineAnnealingLR with "
               "T_max = T − w on the steps k − w.",
)


def check_warmup_cosine(warmup_cosine, *, hidden: bool = False) -> None:
    """Check ``warmup_cosine(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0)``."""
    WARMUP_COSINE.check(warmup_cosine, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 5: triangular cyclical learning rate
# ---------------------------------------------------------------------------

def _triangle(k, base, top, half):
    """Smith's triangle with ``half`` steps up and ``half`` down (half may be fractional)."""
    cycle = np.floor(1 + k / (2 * half))
    x = np.abs(k / half - 2 * cycle + 1)
    return base + (top - base) * np.maximum(0.0, 1 - x)


TRIANGULAR_CYCLIC = _schedule_part(
    name="triangular_cyclic",
    points=2,
    reference=_triangular_cyclic,
    cases=[
        _case(6, base_lr=0.01, max_lr=0.1, step_size=4),
        _case(np.arange(20), base_lr=0.01, max_lr=0.1, step_size=4),
        _case(np.arange(45), base_lr=1e-3, max_lr=6e-3, step_size=10),
        _case(np.array([5, 7, 10, 13, 20, 24]), base_lr=0.1, max_lr=1.0, step_size=5),
    ],
    hidden_cases=[
        _case(0, base_lr=0.05, max_lr=0.5, step_size=3),
        _case(np.array([[3, 6], [9, 1000]]), base_lr=0.05, max_lr=0.5, step_size=3),
        _case(np.arange(120), base_lr=2e-4, max_lr=2e-2, step_size=25),
    ],
    mistakes=[
        *shifted_step(_triangular_cyclic),
        Mistake(
            "period_step_size",
            "Your cycle lasts step_size steps; step_size is the length of *half* a cycle "
            "(the way up), so a full cycle lasts 2·step_size steps.",
            "Rise for step_size steps, fall for step_size steps: cycle = ⌊1 + k/(2·step_size)⌋.",
            variant=_variant(lambda k, b, t, s: _triangle(k, b, t, s / 2)),
        ),
        Mistake(
            "period_four_step_size",
            "Your cycle lasts 4·step_size steps: step_size is the length of half a cycle, "
            "so the rate peaks at k = step_size.",
            "max_lr is reached at k = step_size, 3·step_size, 5·step_size, ….",
            variant=_variant(lambda k, b, t, s: _triangle(k, b, t, 2 * s)),
        ),
        Mistake(
            "starts_at_max",
            "Your cycle starts at max_lr; CyclicLR starts at base_lr and rises first.",
            "At k = 0 the rate is base_lr; max_lr comes at k = step_size.",
            variant=_variant(lambda k, b, t, s: _triangle(k + s, b, t, s)),
        ),
        Mistake(
            "base_lr_missing",
            "Your rate goes from 0 to max_lr − base_lr: the triangle sits on top of base_lr.",
            "lr = base_lr + (max_lr − base_lr)·max(0, 1 − x).",
            variant=_variant(lambda k, b, t, s: _triangle(k, b, t, s) - b),
        ),
        Mistake(
            "max_lr_as_amplitude",
            "Your rate peaks at base_lr + max_lr; max_lr is the top of the cycle, so the "
            "triangle's height is max_lr − base_lr.",
            "lr = base_lr + (max_lr − base_lr)·max(0, 1 − x).",
            variant=_variant(lambda k, b, t, s: b + t * (_triangle(k, b, t, s) - b) / (t - b)),
        ),
        Mistake(
            "abs_missing",
            "Your rate only rises within each cycle and is cut at base_lr on the way down: x "
            "needs the absolute value |k/step_size − 2·cycle + 1|, which falls from 1 to 0 on "
            "the way up and rises back to 1 on the way down, so 1 − x makes the triangle.",
            "Tabulate x for one cycle without the absolute value: what sign does it have "
            "after the peak?",
            variant=_variant(lambda k, b, t, s: b + (t - b) * np.maximum(
                0.0, 1 - (k / s - 2 * np.floor(1 + k / (2 * s)) + 1))),
        ),
        Mistake(
            "cycle_rounded",
            "You rounded 1 + k/(2·step_size) to the nearest integer (np.round or round) for the "
            "cycle; the cycle number changes only when a whole cycle of 2·step_size steps is "
            "complete, so it is rounded *down*. Rounding to the nearest switches to the next "
            "cycle halfway through the current one.",
            "Count completed cycles: round down.",
            variant=_variant(lambda k, b, t, s: b + (t - b) * np.maximum(
                0.0, 1 - np.abs(k / s - 2 * np.round(1 + k / (2 * s)) + 1))),
        ),
        Mistake(
            "cycle_count_from_zero",
            "Your cycle counter starts at 0; in Smith's formula cycle = ⌊1 + k/(2·step_size)⌋ "
            "starts at 1, and x = |k/step_size − 2·cycle + 1| then runs from 1 to 0 to 1.",
            "Check your x at k = step_size: it must be 0 there (the peak).",
            variant=_variant(lambda k, b, t, s: b + (t - b) * np.maximum(
                0.0, 1 - np.abs(k / s - 2 * np.floor(k / (2 * s)) + 1))),
        ),
    ],
    wrong_hint="CyclicLR (triangular): cycle = ⌊1 + k/(2s)⌋, x = |k/s − 2·cycle + 1|, "
               "lr = base_lr + (max_lr − base_lr)·max(0, 1 − x).",
    # issue 9 trial: a one-case match named rounding for `step_size - 1` and a short cycle for
    # `k // step_size`; a mistake is named only when it explains every case
    case_properties=(),
)


def check_triangular_cyclic(triangular_cyclic, *, hidden: bool = False) -> None:
    """Check ``triangular_cyclic(step, base_lr, max_lr, step_size)`` (CyclicLR, triangular)."""
    TRIANGULAR_CYCLIC.check(triangular_cyclic, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 6: one-cycle
# ---------------------------------------------------------------------------

def _cos_between_slipped(start, end, t, duration):
    """A sign slip: (1 − cos) where the phase needs (1 + cos)."""
    return end + (start - end) * (1 - np.cos(np.pi * t / duration)) / 2


def _one_cycle_formula(*, warmup_end=lambda p, T: p * T - 1, anneal_end=lambda T: T - 1,
                       floor=lambda initial, top, final_div: initial / final_div,
                       shape=schedules.cosine_between, start=lambda initial, top: initial):
    def formula(k, max_lr, T, p=0.3, div=25.0, final_div=1e4):  # noqa: N803
        initial = max_lr / div
        first, last = warmup_end(p, T), anneal_end(T)
        low = floor(initial, max_lr, final_div)
        up = shape(start(initial, max_lr), max_lr, np.minimum(k, first), first)
        down = shape(max_lr, low, k - first, last - first)
        return np.where(k < first, up, down)
    return _variant(formula)


ONE_CYCLE = _schedule_part(
    name="one_cycle",
    points=2,
    reference=_one_cycle,
    cases=[
        _case(29, max_lr=0.1, total_steps=100),
        _case(np.arange(100), max_lr=0.1, total_steps=100),
        _case(np.arange(20), max_lr=1.0, total_steps=20, pct_start=0.25, div_factor=10.0,
              final_div_factor=100.0),
        _case(np.arange(10), max_lr=0.5, total_steps=10, pct_start=0.25),
    ],
    hidden_cases=[
        _case(0, max_lr=0.3, total_steps=50, pct_start=0.4, div_factor=5.0, final_div_factor=1e3),
        _case(np.array([[0, 19], [20, 49]]), max_lr=0.3, total_steps=50, pct_start=0.4,
              div_factor=5.0, final_div_factor=1e3),
        _case(np.arange(300), max_lr=3e-3, total_steps=300),
    ],
    mistakes=[
        *shifted_step(_one_cycle),
        Mistake(
            "final_div_factor_missing",
            "Your annealing phase ends at the initial rate max_lr/div_factor; one-cycle anneals "
            "far below it, to max_lr/(div_factor·final_div_factor).",
            "The last rate is initial_lr / final_div_factor, with initial_lr = max_lr / div_factor.",
            variant=_one_cycle_formula(floor=lambda initial, top, final_div: initial),
        ),
        Mistake(
            "floor_from_max_lr",
            "Your floor is max_lr/final_div_factor; OneCycleLR divides the *initial* rate: "
            "min_lr = (max_lr/div_factor)/final_div_factor.",
            "min_lr = initial_lr / final_div_factor.",
            variant=_one_cycle_formula(floor=lambda initial, top, final_div: top / final_div),
        ),
        Mistake(
            "warmup_one_step_late",
            "Your warm-up peaks at k = pct_start·total_steps; OneCycleLR ends the first phase "
            "at step pct_start·total_steps − 1.",
            "The phase ends are pct_start·T − 1 and T − 1 (PyTorch counts the last step as T − 1).",
            variant=_one_cycle_formula(warmup_end=lambda p, T: p * T),
        ),
        Mistake(
            "anneal_ends_at_total_steps",
            "Your annealing phase ends at k = total_steps, a step that is never taken, so the "
            "floor is never used. OneCycleLR reaches it at the last step, k = total_steps − 1.",
            "The second phase runs from pct_start·T − 1 to T − 1.",
            variant=_one_cycle_formula(anneal_end=lambda T: T),
        ),
        *(Mistake(
            "phase_end_rounded",
            "Your first phase ends at a whole step: you rounded pct_start·total_steps (int(), "
            "round or //). OneCycleLR keeps it as a float, pct_start·total_steps − 1, so when "
            "pct_start·total_steps is not a whole number the peak lies between two steps.",
            "Don't round the phase end; the cosine works with a fractional one.",
            variant=_one_cycle_formula(warmup_end=lambda p, T, rounded=rounded: rounded(p * T) - 1),
        ) for rounded in (np.floor, np.ceil)),   # int()/// round down, round() may round up
        Mistake(
            "cos_sign_slip",
            "Your phases run backwards: each one starts where it should end (the warm-up "
            "starts at max_lr, the annealing at the floor). (1 − cos(π·t/d))/2 is 0 at t = 0; "
            "going from a to b over d steps needs b + (a − b)·(1 + cos(π·t/d))/2, which is a "
            "at t = 0.",
            "Check each phase at its first step: the factor in front of (a − b) must be 1.",
            variant=_one_cycle_formula(shape=_cos_between_slipped),
        ),
        Mistake(
            "linear_not_cosine",
            "Your phases are straight lines; OneCycleLR's default anneal_strategy='cos' "
            "follows half a cosine in each phase.",
            "From a to b over d steps: b + (a − b)·(1 + cos(π·t/d))/2.",
            variant=_one_cycle_formula(shape=schedules.linear_between),
        ),
        Mistake(
            "warmup_from_zero",
            "Your warm-up starts at 0; one-cycle starts at max_lr/div_factor.",
            "initial_lr = max_lr / div_factor is the rate at k = 0.",
            variant=_one_cycle_formula(start=lambda initial, top: 0.0),
        ),
        Mistake(
            "no_warmup",
            "Your schedule starts at max_lr; one-cycle first warms up from max_lr/div_factor "
            "for pct_start of the run.",
            "Two phases: up from initial_lr to max_lr, then down to the floor.",
            variant=_one_cycle_formula(start=lambda initial, top: top),
        ),
    ],
    wrong_hint="OneCycleLR: cosine from max_lr/div_factor up to max_lr on [0, pT − 1], then "
               "cosine down to max_lr/(div_factor·final_div_factor) on [pT − 1, T − 1].",
)


def check_one_cycle(one_cycle, *, hidden: bool = False) -> None:
    """Check ``one_cycle(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
    final_div_factor=1e4)`` (OneCycleLR)."""
    ONE_CYCLE.check(one_cycle, hidden=hidden)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = grade_cell_points(
    STEP_DECAY, EXPONENTIAL_DECAY, COSINE_ANNEALING, WARMUP_COSINE, TRIANGULAR_CYCLIC,
    ONE_CYCLE,
)


# ---------------------------------------------------------------------------
# Part 7: SGDR built from join
# ---------------------------------------------------------------------------

def _sgdr(step, lr, cycle_lengths, eta_min=0.0):
    lengths = [int(n) for n in cycle_lengths]
    pieces = [schedules.cosine(lr, T_max=n, eta_min=eta_min) for n in lengths]
    return _like(step, schedules.join(pieces, np.cumsum(lengths)[:-1].tolist())(np.asarray(step)))


def _sgdr_formula(*, boundaries=lambda lengths: np.cumsum(lengths)[:-1],
                  period=lambda lengths, i: lengths[i], local=True, piece=None, wrap_last=False):
    """SGDR written out, with switches for the common mistakes."""
    def formula(k, lr, cycle_lengths, eta_min=0.0):
        lengths = [int(n) for n in cycle_lengths]
        starts = np.concatenate([[0], np.asarray(boundaries(lengths), dtype=float)])
        cycle = np.searchsorted(starts, k, side="right") - 1
        t = k - starts[cycle] if local else k
        T = np.array([period(lengths, i) for i in range(len(lengths))], dtype=float)[cycle]
        if wrap_last:
            last = len(lengths) - 1
            t = np.where(cycle == last, np.mod(t, lengths[-1]), t)
        shape = piece or (lambda t, T: schedules.cosine_between(1.0, 0.0, t, T))
        return eta_min + (lr - eta_min) * shape(t, T)
    return _variant(formula)


def _sgdr_case(step, lr, cycle_lengths, eta_min=0.0) -> Case:
    return _case(step, lr=lr, cycle_lengths=list(cycle_lengths), eta_min=eta_min)


_NOT_CUMULATIVE = (
    "Your restarts come at the cycle lengths themselves (10, 20, …); join's boundaries are "
    "the steps at which each piece *starts*, counted from 0: the end of all the cycles "
    "before it.",
    "Where does cycle 2 start, if cycle 0 lasts 10 steps and cycle 1 lasts 20?",
)


def _sgdr_raised(part: Part, func, case: Case, problem: Diagnosis) -> Diagnosis | None:
    """join refused the cycle lengths themselves as boundaries (they are not increasing):
    that is boundaries_not_cumulative, seen through join's error message."""
    lengths = [int(n) for n in case.args["cycle_lengths"]]
    if "boundaries" in problem.diagnosis and f"got {lengths[:-1]}" in problem.diagnosis:
        return Diagnosis("boundaries_not_cumulative",
                       _NOT_CUMULATIVE[0] + "\n  join said: " + problem.diagnosis.split("\n")[0],
                       _NOT_CUMULATIVE[1], show_returned=False)
    return _vectorisation_problem(part, func, case, problem)


SGDR = Part(
    returns=_LR_OUT,
    rediagnose_raised=_sgdr_raised,
    name="sgdr",
    points=2,
    reference=_sgdr,
    cases=[
        _sgdr_case(5, 0.1, [10, 20], 0.01),
        _sgdr_case(np.arange(75), 0.1, [10, 20, 40], 0.01),
        _sgdr_case(np.arange(60), 0.5, [25, 12, 20]),
        _sgdr_case(np.arange(40), 1.0, [6, 6, 6], 0.2),
    ],
    hidden_cases=[
        _sgdr_case(0, 0.3, [5, 7]),
        _sgdr_case(np.array([[9, 10], [11, 35]]), 0.2, [10, 25, 3], 0.05),
        _sgdr_case(np.arange(130), 3e-3, [20, 40, 60], 1e-4),
        _sgdr_case(np.arange(50), 0.8, [3, 9, 27, 5]),
    ],
    mistakes=[
        *shifted_step(_sgdr),
        Mistake(
            "boundaries_not_cumulative", *_NOT_CUMULATIVE,
            variant=_sgdr_formula(boundaries=lambda lengths: lengths[:-1]),
        ),
        Mistake(
            "restart_one_step_early",
            "Your restarts come one step early: the last step of each cycle already uses the next "
            "cycle's peak. Cycle i starts at the sum of the lengths before it.",
            "At step k = (length of cycle 0) the second cycle starts, not one step before.",
            variant=_sgdr_formula(boundaries=lambda lengths: np.cumsum(lengths)[:-1] - 1),
        ),
        Mistake(
            "restart_one_step_late",
            "Your restarts come one step late: cycle i starts at the sum of the lengths before it.",
            "At step k = (length of cycle 0) the second cycle starts.",
            variant=_sgdr_formula(boundaries=lambda lengths: np.cumsum(lengths)[:-1] + 1),
        ),
        Mistake(
            "step_not_restarted",
            "Inside each cycle your cosine sees the global step k instead of the step counted "
            "from the cycle's start, so a cycle does not start at lr. join calls each piece with "
            "k − (its start).",
            "Build the pieces with schedules.cosine and let join shift the step, or subtract the "
            "cycle's start yourself.",
            variant=_sgdr_formula(local=False),
        ),
        Mistake(
            "same_cycle_length",
            "All your cosines last as long as the first cycle: each cycle's cosine reaches "
            "eta_min at the end of *its own* length.",
            "One cosine per entry of cycle_lengths, each with T_max = that entry.",
            variant=_sgdr_formula(period=lambda lengths, i: lengths[0]),
        ),
        Mistake(
            "fixed_period",
            "Your restarts come every cycle_lengths[0] steps, all cycles the same length (a "
            "fixed period, k mod T₀). SGDR's cycles have the lengths in cycle_lengths, one "
            "after the other, so later cycles may be longer (T₀, T₀·T_mult, …).",
            "One piece per entry of cycle_lengths; each starts where the ones before it end.",
            variant=_variant(lambda k, lr, lengths, e=0.0: e + (lr - e) * (
                1 + np.cos(np.pi * np.mod(k, int(lengths[0])) / int(lengths[0]))) / 2),
        ),
        Mistake(
            "T_max_cumulative_end",
            "Each of your cosines has T_max = the step at which its cycle *ends* (the sum of "
            "the lengths up to it), so only the first cycle reaches eta_min. A piece of join "
            "sees the steps counted from its own start, so its T_max is its own length.",
            "What T_max does a cosine need to reach eta_min after n steps of its own?",
            variant=_sgdr_formula(period=lambda lengths, i: sum(lengths[:i + 1])),
        ),
        Mistake(
            "cosine_over_whole_run",
            "Each of your cosines spans the whole run (T_max = the sum of the lengths), so no "
            "cycle reaches eta_min before its restart.",
            "T_max of cycle i is cycle_lengths[i].",
            variant=_sgdr_formula(period=lambda lengths, i: sum(lengths)),
        ),
        Mistake(
            "T_max_minus_one",
            "Your cosines reach eta_min one step before the restart (T_max = length − 1). In "
            "SGDR (CosineAnnealingWarmRestarts) the floor itself is never used: the restart "
            "comes first.",
            "The cosine of a cycle of length n is schedules.cosine(lr, T_max=n, eta_min).",
            variant=_sgdr_formula(period=lambda lengths, i: lengths[i] - 1),
        ),
        Mistake(
            "eta_min_ignored",
            "Your cycles go down to 0 instead of eta_min.",
            "Pass eta_min to every cosine piece.",
            variant=lambda step, lr, cycle_lengths, eta_min=0.0: _sgdr(step, lr, cycle_lengths, 0.0),
        ),
        Mistake(
            "linear_not_cosine",
            "Your cycles fall along straight lines; SGDR's cycles are cosines (fast in the "
            "middle, slow at both ends).",
            "Use schedules.cosine for each piece (not linear_ramp).",
            variant=_sgdr_formula(piece=lambda t, T: 1 - np.minimum(t, T) / T),
        ),
        Mistake(
            "restarts_after_last_cycle",
            "After the last cycle your schedule restarts again; join keeps using its last piece "
            "(here the cosine climbs back up, as CosineAnnealingLR does past T_max).",
            "Take the cycles from cycle_lengths only; past the end, the last piece continues.",
            variant=_sgdr_formula(wrap_last=True),
        ),
    ],
    wrong_hint="join([cosine(lr, T_max=n, eta_min=eta_min) for each cycle length n], "
               "boundaries = the step at which each cycle after the first starts).",
)


def check_sgdr(sgdr, *, hidden: bool = False) -> None:
    """Check ``sgdr(step, lr, cycle_lengths, eta_min=0.0)`` (warm restarts built from join)."""
    SGDR.check(sgdr, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 8: ReduceLROnPlateau
# ---------------------------------------------------------------------------

def _plateau_lrs(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0):
    plateau = schedules.ReduceLROnPlateau(lr, factor=factor, patience=patience,
                                          threshold=threshold, cooldown=cooldown)
    for m in np.asarray(metrics, dtype=float):
        plateau.step(float(m))
    return plateau.lrs[1:]


def _plateau_variant(*, better=None, bad_before=False, reduce_at=None, reset_after=True,
                     cooldown_on=True, cooldown_counts=False, best_always=False, eps=1e-8,
                     before_step=False, vs_previous=False, best_from_first=False):
    """The rule written out, with switches for the common mistakes."""
    def lrs_of(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0):
        is_better = better or (lambda m, best, thr: m < best * (1 - thr))
        current, best, bad, cool, prev, out = lr, np.inf, 0, 0, np.inf, []
        if best_from_first and len(metrics):
            best = float(metrics[0])
        for m in np.asarray(metrics, dtype=float):
            if before_step:
                out.append(current)
            reference = prev if vs_previous else best
            if is_better(m, reference, threshold):
                best, bad = m, 0
            else:
                bad += 1
                if best_always:
                    best = min(best, m) if not np.isnan(m) else best
            prev = m
            if cooldown_on and cool > 0:
                cool -= 1
                if not cooldown_counts:
                    bad = 0
            if (reduce_at or (lambda bad, p: bad > p))(bad, patience):
                new = current * factor
                if current - new > eps:
                    current = new
                cool = cooldown
                if reset_after:
                    bad = 0
            if not before_step:
                out.append(current)
        return np.array(out)
    return lrs_of


def _plateau_case(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0) -> Case:
    metrics = np.asarray(metrics, dtype=float)
    return Case({"metrics": metrics, "lr": lr, "factor": factor, "patience": patience,
                 "threshold": threshold, "cooldown": cooldown})


def _plateau_random(seed: int) -> Case:
    """A noisy, slowly falling loss with long stalls and tiny improvements below the threshold."""
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(20, 60))
    trend = np.cumsum(rng.choice([0.0, 0.0, -1e-5, -0.02], size=n)) + 1.0
    metrics = np.round(trend + rng.choice([0.0, 0.0, 0.01], size=n), 6)
    return _plateau_case(metrics, float(rng.choice([1.0, 0.1, 0.5])),
                         float(rng.choice([0.1, 0.5])), int(rng.integers(0, 4)),
                         float(rng.choice([1e-4, 1e-2])), int(rng.integers(0, 3)))


# a loss that keeps dropping, by less than the relative threshold 1e-4: never a new best
_CREEP = [round(1.0 - 1.2e-5 * i, 7) for i in range(12)]
# falls, then bounces above and below its previous value without beating the best
_BOUNCE = [1.0, 0.8, 0.85, 0.82, 0.84, 0.81, 0.83, 0.6, 0.61, 0.605, 0.62, 0.59, 0.6, 0.58,
           0.585, 0.59, 0.57, 0.58]

PLATEAU_LRS = Part(
    name="plateau_lrs",
    points=3,
    reference=_plateau_lrs,
    returns=ArrayOnlyOut(what="the learning rates", shape=lambda args: (len(args["metrics"]),),
                         shape_text="(len(metrics),)",
                         use="The exercise says plateau_lrs returns an array of the learning "
                             "rates, like every schedule in this notebook; with a list, "
                             "arithmetic such as lrs * 2 repeats the list instead of scaling it."),
    cases=[
        _plateau_case(_CREEP, 1.0, 0.5, 2),
        _plateau_case(_BOUNCE, 0.1, 0.5, 1, 1e-4, 2),
        _plateau_case([1.0, 0.9, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7], 0.3, 0.1, 2),
        _plateau_case(np.full(14, 2.0), 1e-6, 0.1, 0),
        _plateau_case([0.5, 0.49, 0.5, 0.45, 0.46, 0.44, 0.4399, 0.45, 0.3, 0.31], 1.0, 0.5, 1,
                      1e-2, 1),
        _plateau_case([1.0, np.nan, 0.9, np.nan, np.nan, 0.95, 0.8], 1.0, 0.5, 1),
        # ties exactly on the bar: threshold 0 with a repeated value, and 0.5 with halvings
        _plateau_case([0.7, 0.7, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6], 1.0, 0.5, 1, 0.0),
        _plateau_case([1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625], 0.8, 0.5, 2, 0.5),
        # a long descent: the bar best·threshold, or a floor on the rate, shows
        _plateau_case(np.r_[np.linspace(1.0, 0.5, 6), np.full(12, 0.5)], 1e-3, 0.01, 1),
    ],
    hidden_cases=[
        _plateau_case([2.0, 1.0, np.nan, 1.5, np.nan, 0.5, np.nan, np.nan, np.nan], 0.4, 0.5, 1, 1e-4, 1),
        _plateau_case(np.linspace(1.0, 0.9, 30), 0.5, 0.1, 3),
        _plateau_case([3.0], 0.2, 0.5, 0),
        *[_plateau_random(seed) for seed in range(8)],
    ],
    mistakes=[
        Mistake(
            "returned_lr_before",
            "Your rates are one call late: you recorded the rate before each call. Return the "
            "rate to use *after* each call (what step(metric) returns).",
            "Append the rate after deciding whether to cut it.",
            variant=_plateau_variant(before_step=True),
        ),
        Mistake(
            "best_from_first_metric",
            "You started best at the first value, so the first evaluation is compared with "
            "itself, is not an improvement, and counts as a bad epoch: your rate drops one "
            "evaluation early. ReduceLROnPlateau starts best at +∞ (mode 'min'), so the first "
            "evaluation is always a new best.",
            "What is the number of bad epochs after the first evaluation?",
            variant=_plateau_variant(best_from_first=True),
        ),
        Mistake(
            "first_value_never_best",
            "In your code the first value never counts as an improvement: with best = +∞, "
            "best − best·threshold is ∞ − ∞ = NaN, and m < NaN is False. So the counter starts "
            "counting at the first evaluation.",
            "Write the bar as best·(1 − threshold): +∞·(1 − threshold) is +∞.",
            variant=_plateau_variant(better=lambda m, best, thr: m < best - best * thr),
        ),
        Mistake(
            "threshold_ignored",
            "You count every drop below the best as an improvement, however small. An evaluation "
            "improves only if it beats the best by the relative threshold: m < best·(1 − threshold).",
            "A loss that falls by 10⁻⁵ of its value at every evaluation is a plateau for "
            "threshold = 10⁻⁴.",
            variant=_plateau_variant(better=lambda m, best, thr: m < best),
        ),
        Mistake(
            "threshold_absolute",
            "Your threshold is absolute (m < best − threshold); the default threshold_mode is "
            "'rel': m < best·(1 − threshold).",
            "Multiply best by (1 − threshold).",
            variant=_plateau_variant(better=lambda m, best, thr: m < best - thr),
        ),
        Mistake(
            "threshold_wrong_side",
            "Your threshold lets a slightly *worse* value count as an improvement "
            "(m < best·(1 + threshold)); it must beat the best by the threshold.",
            "m < best·(1 − threshold).",
            variant=_plateau_variant(better=lambda m, best, thr: m < best * (1 + thr)),
        ),
        Mistake(
            "best_updated_without_improvement",
            "You lower the best on every drop, even one that does not count as an improvement; "
            "the best only changes on an improvement, so a loss that creeps down by less than the "
            "threshold never resets the counter.",
            "Update best (and reset the counter) only when m < best·(1 − threshold).",
            variant=_plateau_variant(best_always=True),
        ),
        Mistake(
            "tie_improves",
            "You count a value exactly on the bar, m = best·(1 − threshold), as an improvement; "
            "the rule asks for m strictly below it (with threshold = 0, a value equal to the "
            "best is not an improvement, so a flat metric is a plateau).",
            "Use <, not <=, in the improvement test.",
            variant=_plateau_variant(better=lambda m, best, thr: m <= best * (1 - thr)),
        ),
        Mistake(
            "threshold_as_bar",
            "Your bar is best·threshold: a value improves only if it falls below a small "
            "fraction (threshold) of the best. The threshold is the relative amount to beat "
            "the best by, so the bar is best·(1 − threshold).",
            "With threshold = 10⁻⁴, a value only slightly below the best must count.",
            variant=_plateau_variant(better=lambda m, best, thr: m < best * thr),
        ),
        Mistake(
            "compared_with_previous",
            "You compare each value with the previous one, not with the best so far: a loss that "
            "bounces down from a bad value counts as an improvement although it does not beat "
            "the best.",
            "Keep the best value seen (starting at +∞) and compare with it.",
            variant=_plateau_variant(vs_previous=True),
        ),
        Mistake(
            "patience_one_early",
            "You cut the rate after `patience` bad evaluations; the rule cuts when the counter "
            "*exceeds* patience, at the (patience + 1)-th bad evaluation in a row.",
            "With patience = 2 the rate is cut at the third bad evaluation.",
            variant=_plateau_variant(reduce_at=lambda bad, p: bad >= p),
        ),
        Mistake(
            "patience_one_late",
            "You cut the rate one evaluation late: at the (patience + 1)-th bad evaluation in a "
            "row the counter exceeds patience, and the cut happens then.",
            "Compare num_bad > patience right after updating the counter.",
            variant=_plateau_variant(reduce_at=lambda bad, p: bad > p + 1),
        ),
        Mistake(
            "counter_not_reset",
            "After a cut you keep the bad-evaluation counter, so the rate is cut again at every "
            "following bad evaluation. A cut resets the counter to 0.",
            "Set num_bad = 0 after a cut.",
            variant=_plateau_variant(reset_after=False),
        ),
        Mistake(
            "cooldown_ignored",
            "You ignore cooldown: after a cut, the next `cooldown` evaluations are not counted "
            "as bad.",
            "After a cut set cooldown_counter = cooldown; while it is > 0, decrease it and keep "
            "num_bad at 0.",
            variant=_plateau_variant(cooldown_on=False),
        ),
        Mistake(
            "eps_ignored",
            "You cut the rate even when the change is smaller than eps = 1e-8; PyTorch skips "
            "such cuts (the rate stays).",
            "Apply the cut only if lr − lr·factor > 1e-8.",
            variant=_plateau_variant(eps=-1.0),
        ),
        Mistake(
            "nan_improves",
            "A NaN value counted as an improvement in your code; NaN compares False with "
            "everything, so `m < bar` is False and a NaN evaluation is a bad one.",
            "Test `m < best * (1 - threshold)` for the improvement (not `not m >= ...`).",
            variant=_plateau_variant(better=lambda m, best, thr: not m >= best * (1 - thr)),
        ),
    ],
    wrong_hint="At each value m: improvement if m < best·(1 − threshold) (then best = m, "
               "counter 0), else counter + 1; during cooldown tick it down and zero the counter; "
               "counter > patience: cut (if larger than 1e-8), counter 0, start the cooldown.",
    # issue 9 trial: one-case matches named the wrong mistake (τ for 1 − τ, a min_lr floor)
    case_properties=(),
)


def check_plateau_lrs(plateau_lrs, *, hidden: bool = False) -> None:
    """Check ``plateau_lrs(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0)``."""
    PLATEAU_LRS.check(plateau_lrs, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 9: do warm restarts help on the wavy valley? (reading an experiment)
# ---------------------------------------------------------------------------

#: The experiment of part 9: full-batch GD on WavyValley() from x₀ = 3 for RESTART_STEPS
#: steps, a single cosine from each peak against warm restarts (cycles of RESTART_T0 steps).
RESTART_PEAKS = (0.1, 0.2, 0.4, 0.8)
RESTART_STEPS = 300
RESTART_T0 = 50


def restart_experiment() -> dict:
    """{peak: (final x with cosine(peak, 300), final x with cosine_warm_restarts(peak, 50))}."""
    from lrcourse.problems import WavyValley

    valley = WavyValley()
    k = np.arange(RESTART_STEPS)
    result = {}
    for peak in RESTART_PEAKS:
        finals = []
        for schedule in (schedules.cosine(peak, T_max=RESTART_STEPS),
                         schedules.cosine_warm_restarts(peak, T_0=RESTART_T0)):
            x = valley.init()
            for rate in schedule(k):
                x = x - rate * valley.grad(x)
            finals.append(float(np.ravel(x)[0]))
        result[peak] = tuple(finals)
    return result


_RESTARTS_TRUE = frozenset("ACD")
_LESSON_01_7 = ("Lesson 01, section 7 (\"On a non-convex function, which valley do you end in?\"): "
                "where gradient descent can settle")

_RESTART_GROUPS = (
    ("ABC", "table_misread",
     "what the experiment's table shows: for each peak, compare the two columns row by row "
     "— in which valley does each run end, and how deep is that valley compared with the "
     "others",
     "the table printed by the experiment cell above part 9, with the valleys' losses"),
    ("DE", "restart_reason_misjudged",
     "why the table looks the way it does: where can gradient descent settle, in terms of η "
     "and f″, and what does a restart (or a larger peak) do to η and so to the valleys that "
     "can hold the iterate",
     f"{_LESSON_01_7}; lesson 04, section 8, for what a restart does to η and to the valley a run settles in"),
)


def _grade_restarts(chosen: frozenset) -> Diagnosis | None:
    return choice_problem(chosen, _RESTARTS_TRUE, _RESTART_GROUPS)


RESTARTS_HELP = ChoicePart("restarts_help", 2)


def check_restarts_help(restarts_help, *, hidden: bool = False) -> None:
    """Check ``restarts_help() -> str of letters`` (the true statements of part 9)."""
    part = RESTARTS_HELP
    check_choice(part.name, part.points, restarts_help, options="ABCDE", example='"AB"',
                 grade=_grade_restarts, hidden=hidden, time_limit=part.time_limit)


PARTS.update(grade_cell_points(SGDR, PLATEAU_LRS, RESTARTS_HELP))
