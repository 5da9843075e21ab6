"""Checks for exercise 06 — tuning the learning rate.

Parts (learner's function → check):

- ``lr_range_test(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0)
  -> (lrs, smoothed)``: full-batch gradient descent with the exponential ramp
  lr_i = start·(end/start)^(i/(num_steps − 1)), the bias-corrected moving average of
  the loss, stopping at the first step whose smoothed loss is not finite or exceeds
  diverge_threshold × the best so far (that step included)  → :func:`check_lr_range_test`
- ``suggest_lr(lrs, losses, rule) -> float``: rule "steepest" (where the loss falls
  fastest against log lr, central differences as np.gradient) or "minimum" (a tenth of
  the rate at the lowest loss)                                → :func:`check_suggest_lr`
- ``clip_grad_norm(grad, max_norm) -> (clipped, total_norm)``: the whole gradient (any
  shape, one model) scaled as ``torch.nn.utils.clip_grad_norm_`` does,
  g·min(1, max_norm/(‖g‖ + 1e-6)), and its norm before clipping; the clipped gradient a
  new float array (integer gradients too), never sharing memory with grad
                                                               → :func:`check_clip_grad_norm`
- ``log_uniform(rng, n, low, high) -> array``: n rates drawn log-uniformly from
  [low, high] with the given np.random.Generator               → :func:`check_log_uniform`
- ``pick_suggestion() -> one letter``: reading a real finder curve (the digits MLP,
  seed 1) whose three suggestions disagree: which rate to train with for 200 steps, and
  why (graded multiple choice; :func:`suggestion_outcomes` runs the five options)
                                                               → :func:`check_pick_suggestion`
- ``diagnose_curves() -> four letters``: reading four loss curves of the digits MLP (300
  steps; :func:`curve_experiment` runs them): the cause of each, out of five (too low, too
  high without clipping, a schedule that decays too soon, far too high but clipped by norm,
  nothing wrong); a misreading of the whole answer (a swap, or one belief behind two curves)
  is named when the answer is exactly what it predicts, else the misreading of one curve
  (each of the 16 pairs of its cause and another), whatever the other curves say, never
  saying whether they are right                                → :func:`check_diagnose_curves`

References: :func:`lrcourse.tune.lr_finder` (with :class:`lrcourse.optim.SGD`),
:mod:`lrcourse.tune`'s suggestion rules, :func:`lrcourse.train.clip_by_norm`.  The
sampler is checked on properties (range, no repeated values — a grid or rounded rates
repeat —, coverage of both ends, a Kolmogorov–Smirnov test of log-uniformity on one draw
and on four pooled draws, reproducibility, use of the generator), not on one exact draw.
The hidden cases of the other three parts include seeded random ones (random quadratics
and ramps, random finder curves, random gradient shapes and scales).  In those three parts a
mistake is named only when its wrong code fits every case (``case_properties``); otherwise
the first wrong case is told which property of the part it breaks, in the lesson's terms.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings

import numpy as np

from lrcourse import optim, schedules, train, tune
from lrcourse.grading.core import (
    Case, Diagnosis, Mistake, NumberOut, Output, Part, PartPoints, TupleOut, call_learner, check_cases,
    choice_letters, close, describe, describe_call, grade_cell_points, report, report_pass,
)
from lrcourse.grading.choice import ChoicePart, repeated_letters
from lrcourse.grading.outputs import ArrayOnlyOut
from lrcourse.problems.faulty import NanOutsideBox, Staircase
from lrcourse.problems import Quadratic

__all__ = [
    "PARTS",
    "check_lr_range_test",
    "check_suggest_lr",
    "check_clip_grad_norm",
    "check_log_uniform",
    "check_pick_suggestion",
    "check_diagnose_curves",
    "curve_experiment",
    "CURVE_CAUSES",
    "finder_experiment",
    "FINDER_SETTINGS",
]


# ---------------------------------------------------------------------------
# Part 1: the LR range test
# ---------------------------------------------------------------------------

def _lr_range_test(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    result = tune.lr_finder(problem, optim.SGD, start_lr=start_lr, end_lr=end_lr,
                            num_steps=num_steps, beta=beta, diverge_threshold=diverge_threshold,
                            x0=x0)
    return result.lrs, result.smoothed


def _range_test_variant(*, ramp="right", smoothing="right", stop="best", keep_stop=True,
                        loss_after=False, ties_stop=False, step_rate="same", ascent=False):
    """The range test written out, with switches for the common mistakes.

    ramp: "right", "fastai" (i/n), "linear", "int_division" (i // (n − 1)), "logspace"
    (np.logspace(start, end, n), the bounds taken as exponents); smoothing: "right", "raw",
    "uncorrected", "record_raw" (stops on the smoothed loss, records the raw one),
    "beta_swapped" (β and 1 − β swapped everywhere), "ema_beta_swapped" (only in the
    average), "beta_power_i" (1 − βⁱ), "beta_power_i_plus_2", "first_loss_start" (avg
    starts at the first loss, then corrected), "first_loss_uncorrected", "corrected_in_place"
    (avg itself divided by 1 − β^(i+1)); stop: "best", "first", "never", "no_finite_check",
    "additive" (best + threshold), "raw_loss" (the stop test on the raw loss and its best);
    step_rate: "same", "next" (steps with lr_{i+1}, records lr_i), "next_recorded" (records
    lr_{i+1} too); ascent: x + lr·∇f."""
    def run(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
        i = np.arange(num_steps)
        with np.errstate(all="ignore"):
            lrs = {"right": start_lr * (end_lr / start_lr) ** (i / (num_steps - 1)),
                   "fastai": start_lr * (end_lr / start_lr) ** (i / num_steps),
                   "linear": np.linspace(start_lr, end_lr, num_steps),
                   "int_division": start_lr * (end_lr / start_lr) ** (i // (num_steps - 1)),
                   "logspace": np.logspace(start_lr, end_lr, num_steps)}[ramp]
            steps = (lrs if step_rate == "same"
                     else start_lr * (end_lr / start_lr) ** ((i + 1) / (num_steps - 1)))
        if step_rate == "next_recorded":
            lrs = steps
        x = np.array(x0, dtype=float)
        avg, best, first, out = 0.0, math.inf, None, []
        with np.errstate(all="ignore"):
            for k in range(num_steps):
                if loss_after:
                    x = x - lrs[k] * problem.grad(x)
                loss = float(problem.loss(x))
                correction = 1 - beta ** (k + 1)
                if smoothing == "raw":
                    value = loss
                elif smoothing == "beta_swapped":
                    avg = (1 - beta) * avg + beta * loss
                    value = avg / (1 - (1 - beta) ** (k + 1))
                elif smoothing == "ema_beta_swapped":
                    avg = (1 - beta) * avg + beta * loss
                    value = float(np.float64(avg) / np.float64(correction))
                elif smoothing in ("first_loss_start", "first_loss_uncorrected"):
                    avg = loss if k == 0 else beta * avg + (1 - beta) * loss
                    value = avg / correction if smoothing == "first_loss_start" else avg
                elif smoothing == "corrected_in_place":
                    avg = float(np.float64(beta * avg + (1 - beta) * loss) / np.float64(correction))
                    value = avg
                else:
                    avg = beta * avg + (1 - beta) * loss
                    power = {"beta_power_i": k, "beta_power_i_plus_2": k + 2}.get(smoothing, k + 1)
                    value = (float(np.float64(avg) / np.float64(1 - beta ** power))
                             if smoothing not in ("uncorrected",) else avg)
                first = value if first is None else first
                tested = loss if stop == "raw_loss" else value
                bar = {"best": best, "first": first, "never": math.inf, "no_finite_check": best,
                       "additive": best, "raw_loss": best}[stop]
                if stop == "additive":
                    above = tested > bar + diverge_threshold
                elif ties_stop:
                    above = tested >= diverge_threshold * bar
                else:
                    above = tested > diverge_threshold * bar
                if (stop != "no_finite_check" and not math.isfinite(tested)) or (
                        stop != "never" and above):
                    if keep_stop:
                        out.append(loss if smoothing == "record_raw" else value)
                    break
                out.append(loss if smoothing == "record_raw" else value)
                best = min(best, tested)
                if not loss_after:
                    x = x + steps[k] * problem.grad(x) if ascent else x - steps[k] * problem.grad(x)
        # a NaN stop compared as +∞, as _CurveOut reads the learner's curve
        out = np.array(out, dtype=float)
        return lrs[:len(out)], np.where(np.isnan(out), np.inf, out)
    return run


_CURVE_USE = ("The exercise asks for two 1-D arrays, and the notebook's next cell reads "
              "lrs.size, which a list does not have.")


def _looks_swapped(value, args) -> bool:
    """(smoothed, lrs): the second array is the start of a ramp from start_lr (the right one,
    fastai's or a linear one) and the first is not."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return False
    try:
        first, second = (np.asarray(v, dtype=float) for v in value)
    except (TypeError, ValueError):
        return False
    if second.ndim != 1 or second.size == 0 or first.shape != second.shape:
        return False
    start, end, n = args["start_lr"], args["end_lr"], args["num_steps"]
    i = np.arange(n)
    ramps = (start * (end / start) ** (i / max(n - 1, 1)), start * (end / start) ** (i / n),
             np.linspace(start, end, n))

    def is_ramp(a):
        return a.size <= n and any(np.allclose(a, r[:a.size], rtol=1e-9, atol=0) for r in ramps)
    with np.errstate(all="ignore"):
        return is_ramp(second) and not is_ramp(first)


class _CurveOut(Output):
    """(lrs, smoothed): two 1-D float64 arrays of the same length."""

    what = "a tuple (lrs, smoothed)"

    def __init__(self):
        self._items = TupleOut(
            items=(ArrayOnlyOut(what="the learning rates", use=_CURVE_USE),
                   ArrayOnlyOut(what="the smoothed losses", allow_nonfinite=True, use=_CURVE_USE)),
            names=("lrs", "smoothed"))

    def accept(self, value, args):
        if _looks_swapped(value, args):
            raise Diagnosis(
                "swapped_outputs",
                "The two arrays are in the wrong order: it returned (smoothed, lrs) — its second "
                "array is the ramp of learning rates. Return (lrs, smoothed).",
                "The first array holds the rates of the steps taken, the second their smoothed "
                "losses (the next cells unpack lrs, smoothed = lr_range_test(...)).",
            )
        lrs, smoothed = self._items.accept(value, args)
        for name, array in (("lrs", lrs), ("smoothed", smoothed)):
            if array.ndim != 1:
                raise Diagnosis(
                    "wrong_shape",
                    f"{name} has shape {array.shape}; it should be a 1-D array with one entry per "
                    "step taken.",
                    "Collect one value per step in a list and return np.array(...) of it.",
                )
        # A NaN and an infinite smoothed loss both end the test at that step: compared as +∞
        # (``close`` never matches NaN, and the step that turned NaN is part of the record).
        smoothed = np.where(np.isnan(smoothed), np.inf, smoothed)
        if lrs.shape != smoothed.shape:
            raise Diagnosis(
                "lengths_differ",
                f"lrs has {lrs.size} entries but smoothed has {smoothed.size}: both must stop at "
                "the same step.",
                "Return the learning rates of the steps you took: lrs[:len(smoothed)].",
            )
        return lrs, smoothed


def _range_case(problem, text, start_lr, end_lr, num_steps, beta, threshold=4.0) -> Case:
    return Case({"problem": problem, "x0": problem.init(seed=0), "start_lr": start_lr,
                 "end_lr": end_lr, "num_steps": num_steps, "beta": beta,
                 "diverge_threshold": threshold}, shown={"problem": text})


def _nan_case(x0, start_lr, end_lr, num_steps, beta) -> Case:
    return Case({"problem": NanOutsideBox(len(x0)), "x0": np.array(x0, dtype=float), "start_lr": start_lr,
                 "end_lr": end_lr, "num_steps": num_steps, "beta": beta, "diverge_threshold": 4.0},
                shown={"problem": "a loss 1 + ‖x‖² that is NaN outside |x_i| ≤ 1"})


def _same_nan(out, wrong) -> bool:
    """Outputs agree item by item, NaN matching NaN (a curve that runs on through NaN)."""
    if not (isinstance(out, tuple) and isinstance(wrong, tuple) and len(out) == len(wrong)):
        return False
    for o, w in zip(out, wrong):
        o, w = (np.where(np.isnan(v), np.inf, v) for v in (np.asarray(o, float), np.asarray(w, float)))
        if o.shape != w.shape or not np.all(np.isclose(o, w, rtol=1e-6, atol=1e-12, equal_nan=True)):
            return False
    return True


def _staircase_case(start_lr, end_lr, num_steps) -> Case:
    """β = 0.5 and a loss of 1 until step i, then L = 7 − 6·0.5^(i+1): every number is a
    short binary fraction, so the smoothed loss is exactly 1 up to step i − 1 and exactly
    4 = 4 × its best at step i; "exceeds" (>) goes on there and stops one step later,
    ">=" stops at step i."""
    rates = np.geomspace(start_lr, end_lr, num_steps)
    i = int(np.argmax(np.concatenate([[0.0], np.cumsum(rates)[:-1]]) >= 0.5))
    high = 7.0 - 6.0 * 0.5 ** (i + 1)
    return Case({"problem": Staircase(high), "x0": np.zeros(1), "start_lr": start_lr,
                 "end_lr": end_lr, "num_steps": num_steps, "beta": 0.5, "diverge_threshold": 4.0},
                shown={"problem": f"a staircase loss: 1 for x < 0.5, {high:.12g} beyond (gradient "
                                  "−1: each step adds its rate to x)"})


def _range_random(seed: int) -> Case:
    """A seeded random case: an axis-aligned quadratic of 1 to 4 curvatures, a random ramp
    (some stop on the threshold rule, some run to the end), β and threshold."""
    rng = np.random.default_rng(100 + seed)
    eigenvalues = [float(v) for v in np.round(10.0 ** rng.uniform(-1.5, 1.0, rng.integers(1, 5)), 3)]
    start = float(10.0 ** round(rng.uniform(-5, -2), 1))
    end = float(10.0 ** round(rng.uniform(-0.5, 1.5), 1))
    steps = int(rng.integers(15, 120))
    beta = float(rng.choice([0.0, 0.5, 0.9, 0.98]))
    threshold = float(rng.choice([1.5, 4.0, 10.0]))
    return _range_case(Quadratic(eigenvalues), f"Quadratic({eigenvalues})", start, end, steps, beta,
                       threshold)


def _range_cases(hidden: bool) -> list[Case]:
    # Axis-aligned quadratics centred at 0 (each coordinate evolves on its own, so rounding
    # stays relative: independent right implementations agree to ~1e-13 even after a mode
    # has shrunk by 30 orders of magnitude and blown up again), one rotated one.
    if hidden:
        return [
            _nan_case([0.3, -0.5], 1e-3, 10.0, 60, 0.9),
            _range_case(Quadratic([2.0]), "Quadratic([2.0])", 1e-2, 10.0, 60, 0.98),
            _range_case(Quadratic([0.5, 4.0]), "Quadratic([0.5, 4.0])", 1e-3, 10.0, 100, 0.9),
            _range_case(Quadratic([1.0, 3.0]), "Quadratic([1.0, 3.0])", 1e-3, 30.0, 60, 0.0, 2.0),
            _range_case(Quadratic.random(8, kappa=100, seed=1),
                        "Quadratic.random(8, kappa=100, seed=1)", 1e-5, 100.0, 80, 0.9),
            _range_case(Quadratic([0.3, 1.2], angle=1.0), "Quadratic([0.3, 1.2], angle=1.0)",
                        1e-3, 1.0, 40, 0.9),
            _staircase_case(0.02, 0.8, 20),
            *[_range_random(seed) for seed in range(6)],
        ]
    return [
        _range_case(Quadratic([2.0]), "Quadratic([2.0])", 1e-3, 10.0, 100, 0.9),
        _range_case(Quadratic([0.5, 4.0]), "Quadratic([0.5, 4.0])", 1e-4, 10.0, 150, 0.98),
        _range_case(Quadratic([0.1, 1.0, 10.0]), "Quadratic([0.1, 1.0, 10.0])", 1e-4, 10.0, 120,
                    0.95),
        _range_case(Quadratic([0.5, 4.0], angle=0.3), "Quadratic([0.5, 4.0], angle=0.3)",
                    1e-3, 1.0, 50, 0.98),
        # the smoothed loss turns NaN before it exceeds 4× the best (issue 9)
        _nan_case([0.5], 1e-3, 10.0, 80, 0.98),
        # a smoothed loss of exactly 4× the best: "exceeds" does not stop there (trial 4567)
        _staircase_case(0.05, 1.0, 12),
        # losses far from 1 (50 and 0.03 at the start): the 4× rule is a ratio, so a bar of
        # best + 4 or 4 × the first loss stops elsewhere (trial 06)
        _range_case(Quadratic([20.0, 80.0]), "Quadratic([20.0, 80.0])", 1e-4, 1.0, 80, 0.9),
        _range_case(Quadratic([0.01, 0.05]), "Quadratic([0.01, 0.05])", 1e-2, 1000.0, 80, 0.9,
                    2.0),
    ]


_OFF_BY_ONE = (
    "Your bias correction divides by 1 − βⁱ with i counted from 0: at the first step "
    "that is 1 − β⁰ = 0, so the first smoothed loss is infinite and the test stops "
    "at once.",
    "How many losses has the average seen after the first step, and what do their "
    "weights add up to?",
)


def _range_raised(part: Part, func, case: Case, problem: Diagnosis) -> Diagnosis | None:
    """A ZeroDivisionError in Python floats: if the same code run with β as a NumPy float
    (which divides by zero without raising) gives the 1 − βⁱ variant's curve, that is the
    off-by-one bias correction."""
    if problem.mistake != "raised" or "ZeroDivisionError" not in problem.diagnosis:
        return None
    args = dict(case.args, beta=np.float64(case.args["beta"]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                out = part.call(func, args)
    except Diagnosis:
        return None
    wrong = _range_test_variant(smoothing="beta_power_i")(*copy.deepcopy(list(case.args.values())))
    if isinstance(out, list):
        out = tuple(out)
    if _same_nan(out, wrong):
        return Diagnosis("bias_correction_off_by_one",
                       _OFF_BY_ONE[0] + "\n  Python said: " + problem.diagnosis.split("\n")[0],
                       _OFF_BY_ONE[1], show_returned=False)
    return None


LR_RANGE_TEST = Part(
    name="lr_range_test",
    points=3,
    reference=_lr_range_test,
    returns=_CurveOut(),
    rediagnose_raised=_range_raised,
    cases=_range_cases(hidden=False),
    hidden_cases=_range_cases(hidden=True),
    rtol=1e-6,
    mistakes=[
        Mistake(
            "stops_on_a_tie",
            "Your test stops at a smoothed loss exactly equal to diverge_threshold × the best "
            "(>=); the rule stops only when it *exceeds* that bar (>), as torch-lr-finder and "
            "lrcourse.tune.lr_finder do.",
            "Compare with >, not >=.",
            variant=_range_test_variant(ties_stop=True),
        ),
        Mistake(
            "ramp_divides_by_num_steps",
            "Your ramp uses i/num_steps (fastai's form), so it stops one ratio short of end_lr. "
            "Here the last rate must be end_lr itself: lr_i = start·(end/start)^(i/(num_steps − 1)).",
            "Check your ramp at i = num_steps − 1: it must give end_lr.",
            variant=_range_test_variant(ramp="fastai"),
        ),
        Mistake(
            "linear_ramp",
            "Your rates grow linearly (np.linspace): almost all of them are close to end_lr, and "
            "the small rates where the loss starts to fall are skipped. The range test sweeps "
            "the rates exponentially, the same number of steps per decade.",
            "lr_i = start·(end/start)^(i/(num_steps − 1)) (np.geomspace gives the same).",
            variant=_range_test_variant(ramp="linear"),
        ),
        Mistake(
            "no_bias_correction",
            "Your moving average is not bias-corrected: it starts at 0, so its first values are "
            "(1 − β)·loss, far below the loss — and the best-so-far is then a tiny number that "
            "makes the 4× rule stop far too early.",
            "Divide the average after step i by (1 − β^(i+1)).",
            variant=_range_test_variant(smoothing="uncorrected"),
        ),
        Mistake(
            "not_smoothed",
            "You returned the raw losses: the smoothed curve is the bias-corrected moving "
            "average of the losses.",
            "avg ← β·avg + (1 − β)·loss, smoothed = avg/(1 − β^(i+1)).",
            variant=_range_test_variant(smoothing="raw"),
        ),
        Mistake(
            "bias_correction_off_by_one", *_OFF_BY_ONE,
            detect=lambda args, out, expected: _same_nan(
                out, _range_test_variant(smoothing="beta_power_i")(*args.values())),
            sees_nonfinite=True,
        ),
        Mistake(
            "recorded_raw_loss",
            "You compute the smoothed loss (and stop on it) but record the raw loss in the "
            "curve. The curve the suggestion rules read is the smoothed one: the raw losses are "
            "too noisy to locate the steepest descent.",
            "Append the smoothed value, not the loss.",
            variant=_range_test_variant(smoothing="record_raw"),
        ),
        Mistake(
            "beta_swapped",
            "β and 1 − β are swapped in your moving average: β (0.98) is the weight of the old "
            "average, so that it averages over about 1/(1 − β) = 50 steps.",
            "avg ← β·avg + (1 − β)·loss.",
            variant=_range_test_variant(smoothing="beta_swapped"),
        ),
        Mistake(
            "threshold_added",
            "Your test stops when the smoothed loss exceeds the best so far *plus* "
            "diverge_threshold; the rule is a ratio: it stops when the smoothed loss exceeds "
            "diverge_threshold *times* the best, so that it means the same whatever the scale "
            "of the loss.",
            "Re-read the stop rule in part 1: how are diverge_threshold and the lowest smoothed "
            "loss combined?",
            variant=_range_test_variant(stop="additive"),
        ),
        Mistake(
            "threshold_ignored",
            "Your test stops at 4 × the best whatever diverge_threshold says: the factor is the "
            "argument diverge_threshold (4 is only its default).",
            "Use the argument in the stop test, not the number 4.",
            variant=lambda problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0:
                _range_test_variant()(problem, x0, start_lr, end_lr, num_steps, beta, 4.0),
        ),
        Mistake(
            "beta_ignored",
            "Your moving average uses β = 0.98 whatever beta says: the weight is the argument "
            "beta (0.98 is only its default), in the average and in its bias correction.",
            "Use the argument beta in both places, not the number 0.98.",
            variant=lambda problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0:
                _range_test_variant()(problem, x0, start_lr, end_lr, num_steps, 0.98, diverge_threshold),
        ),
        Mistake(
            "stopped_on_raw_loss",
            "Your stop test reads the raw loss (and its best so far), not the smoothed one: a "
            "single noisy loss can then end the test. The rule compares the smoothed loss with "
            "diverge_threshold × the lowest smoothed loss so far.",
            "Use the smoothed value both in the stop test and for the best so far.",
            variant=_range_test_variant(stop="raw_loss"),
        ),
        Mistake(
            "bias_correction_power_too_high",
            "Your bias correction divides by 1 − β^(i+2): after the first step the average has "
            "seen one loss, with weight 1 − β, and yours divides by more than that weight, so "
            "the first smoothed losses come out too low.",
            "How many losses has the average seen after step i (counted from 0), and what do "
            "their weights add up to?",
            variant=_range_test_variant(smoothing="beta_power_i_plus_2"),
        ),
        Mistake(
            "ema_weights_swapped",
            "β and 1 − β are swapped in your moving average (the bias correction is right): β "
            "(0.98 by default) is the weight of the old average, so that the average spans "
            "about 1/(1 − β) steps (50 for 0.98); yours weighs the new loss by β and barely "
            "smooths.",
            "avg ← β·avg + (1 − β)·loss.",
            variant=_range_test_variant(smoothing="ema_beta_swapped"),
        ),
        Mistake(
            "average_starts_at_first_loss",
            "Your moving average starts at the first loss, then divides by 1 − β^(i+1) as if it "
            "had started at 0: the first loss is counted with weight 1 instead of 1 − β, so the "
            "early smoothed losses are inflated. The average starts at 0, and the bias "
            "correction is what removes that start's pull towards 0.",
            "Start with avg = 0 and apply the same update at every step, the first one included.",
            variant=_range_test_variant(smoothing="first_loss_start"),
        ),
        Mistake(
            "average_starts_at_first_loss",
            "Your moving average starts at the first loss and is not bias-corrected: a common "
            "smoothing, but not the one the range test specifies — the average starts at 0 and "
            "is divided by 1 − β^(i+1), which weighs the first losses differently.",
            "Start with avg = 0, update it at every step, and divide by 1 − β^(i+1).",
            variant=_range_test_variant(smoothing="first_loss_uncorrected"),
        ),
        Mistake(
            "correction_stored_in_average",
            "You divided the average itself by 1 − β^(i+1) and kept the result as the running "
            "average: the next step then corrects an already corrected average again. The "
            "correction makes the smoothed value of this step; the running average stays "
            "uncorrected.",
            "Keep two names: avg (updated, never divided) and smoothed = avg/(1 − β^(i+1)).",
            variant=_range_test_variant(smoothing="corrected_in_place"),
        ),
        Mistake(
            "stepped_with_next_rate",
            "You record lr_i but take the step of iteration i with lr_(i+1): each loss you "
            "record belongs to a rate one step higher than the one next to it.",
            "At step i, use lr_i both in the record and in x ← x − lr_i·∇f(x).",
            variant=_range_test_variant(step_rate="next"),
        ),
        Mistake(
            "stepped_with_next_rate",
            "Your rates start at start_lr·(end_lr/start_lr)^(1/(num_steps − 1)), one ratio "
            "above start_lr: i counted from 1 in the exponent. The first rate is start_lr "
            "itself (i = 0) and the last one end_lr.",
            "Check your ramp at i = 0: it must give start_lr.",
            variant=_range_test_variant(step_rate="next_recorded"),
        ),
        Mistake(
            "exponent_integer_division",
            "Your exponent i // (num_steps − 1) is an integer division: it is 0 for every step "
            "but the last, so the rate stays at start_lr and jumps to end_lr at the end.",
            "Divide with / (true division), so the exponent goes from 0 to 1 in even steps.",
            variant=_range_test_variant(ramp="int_division"),
        ),
        Mistake(
            "logspace_of_rates",
            "np.logspace(start_lr, end_lr, num_steps) reads its bounds as *exponents*: it runs "
            "from 10^start_lr to 10^end_lr. The ramp runs from start_lr to end_lr themselves.",
            "np.geomspace takes the bounds themselves (or give np.logspace their log10).",
            variant=_range_test_variant(ramp="logspace"),
        ),
        Mistake(
            "gradient_ascent",
            "Your steps go *up* the gradient (x + lr·∇f): the loss grows from the first step. "
            "Gradient descent moves against the gradient.",
            "x ← x − lr_i·∇f(x).",
            variant=_range_test_variant(ascent=True),
        ),
        Mistake(
            "compared_with_first_loss",
            "You stop when the smoothed loss exceeds the threshold times the *first* loss; the "
            "rule compares with the best (lowest) smoothed loss so far.",
            "Keep the running minimum of the smoothed loss and compare with it.",
            variant=_range_test_variant(stop="first"),
        ),
        Mistake(
            "never_stops",
            "Your test never stops: once the smoothed loss exceeds diverge_threshold × its best "
            "value, the run has diverged and the rest of the ramp is useless.",
            "Break out of the loop at the first step whose smoothed loss is not finite or "
            "exceeds diverge_threshold × the best so far (keep that step's values).",
            variant=_range_test_variant(stop="never"),
        ),
        Mistake(
            "no_finite_stop",
            "Your test does not stop when the smoothed loss is not finite: NaN > 4 × best is "
            "False, so a run whose loss has become NaN carries on to the end of the ramp, "
            "recording NaN. The range test stops at the first step whose smoothed loss is NaN "
            "or infinite, as well as on the threshold rule.",
            "Which comparisons with NaN are true? Look at your stop test for a loss that is NaN.",
            detect=lambda args, out, expected: _same_nan(
                out, _range_test_variant(stop="no_finite_check")(*args.values())),
            sees_nonfinite=True,
        ),
        Mistake(
            "stop_step_dropped",
            "Your curve ends one step early: the step at which the test stops (the first one "
            "above the threshold) is part of the record.",
            "Append that step's lr and smoothed loss before you break.",
            variant=_range_test_variant(keep_stop=False),
        ),
        Mistake(
            "loss_after_step",
            "You recorded the loss after each step; the loss of step i is the one at the "
            "parameters step i starts from (so the first is the loss at x0).",
            "Evaluate the loss, then take the step.",
            variant=_range_test_variant(loss_after=True),
        ),
        # properties of one case, in the lesson's terms, when no mistake above fits every case
        Mistake(
            "rates_not_the_ramp",
            "Your learning rates are not the exponential ramp of part 1: the same ratio from "
            "each rate to the next, starting at start_lr and reaching end_lr at the last step.",
            "Print your lrs next to np.geomspace(start_lr, end_lr, num_steps) and find the first "
            "rate that differs.",
            detect=lambda args, out, expected: _curve_property(out, expected) == "rates",
        ),
        Mistake(
            "smoothing_differs",
            "Your rates are right, but your smoothed losses differ from the bias-corrected "
            "moving average of the losses before the test stops.",
            "Check the average step by step on a short run: the loss at the x the step starts "
            "from, avg ← β·avg + (1 − β)·loss from avg = 0, then divided by 1 − β^(i+1).",
            detect=lambda args, out, expected: _curve_property(out, expected) == "smoothing",
        ),
        Mistake(
            "stops_too_early",
            "Your curve follows the rule's as far as it goes, but your test stops earlier: it "
            "ends on a step that the rule does not stop on.",
            "The test stops only at a smoothed loss that is not finite or strictly exceeds "
            "diverge_threshold × the lowest smoothed loss so far (that step kept).",
            detect=lambda args, out, expected: _curve_property(out, expected) == "early",
        ),
        Mistake(
            "stops_too_late",
            "Your curve follows the rule's, but your test goes on past the step at which the "
            "rule stops.",
            "Check your stop test at every step: a smoothed loss that is not finite, or strictly "
            "above diverge_threshold × the lowest smoothed loss so far, ends the test.",
            detect=lambda args, out, expected: _curve_property(out, expected) == "late",
        ),
    ],
    case_properties=("rates_not_the_ramp", "smoothing_differs", "stops_too_early", "stops_too_late"),
    wrong_hint="Step i: loss at the current x, avg ← β·avg + (1 − β)·loss, smoothed = "
               "avg/(1 − β^(i+1)), stop test, then x ← x − lr_i·∇f(x).",
)


def _curve_property(out, expected) -> str | None:
    """Which property of part 1 a wrong (lrs, smoothed) breaks first: "rates" (not the ramp
    on the steps both have), "smoothing" (right rates, other smoothed values before the last
    common step), "early" or "late" (the same curve, stopped elsewhere)."""
    (lrs, smoothed), (right_lrs, right_smoothed) = out, expected
    n = min(lrs.size, right_lrs.size)
    if not np.allclose(lrs[:n], right_lrs[:n], rtol=1e-6, atol=1e-12):
        return "rates"
    m = n - 1 if lrs.size != right_lrs.size else n
    if not close(smoothed[:m], right_smoothed[:m], rtol=1e-6, atol=1e-12):
        return "smoothing"
    if lrs.size < right_lrs.size:
        return "early"
    if lrs.size > right_lrs.size:
        return "late"
    return None if close(smoothed, right_smoothed, rtol=1e-6, atol=1e-12) else "smoothing"


def check_lr_range_test(lr_range_test, *, hidden: bool = False) -> None:
    """Check ``lr_range_test(problem, x0, start_lr, end_lr, num_steps, beta=0.98,
    diverge_threshold=4.0) -> (lrs, smoothed)``."""
    LR_RANGE_TEST.check(lr_range_test, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: suggestion rules
# ---------------------------------------------------------------------------

def _finite_prefix(lrs, losses):
    """The curve up to its first non-finite loss (a range test keeps the NaN or +∞ it
    stopped on as its last point; the rules read only the finite curve before it)."""
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    bad = np.flatnonzero(~np.isfinite(losses))
    end = int(bad[0]) if bad.size else losses.size
    return lrs[:end], losses[:end]


def _suggest_lr(lrs, losses, rule):
    return {"steepest": tune.steepest, "minimum": tune.minimum}[rule](*_finite_prefix(lrs, losses))


def _steepest_index(lrs, losses):
    return int(np.argmin(np.gradient(losses, np.log10(lrs))))


def _nan_blind(lrs, losses, rule):
    """The rules on the whole curve, non-finite last point included (np.argmin returns a
    NaN's position)."""
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    with np.errstate(all="ignore"):
        if rule == "steepest":
            return float(lrs[int(np.argmin(np.gradient(losses, np.log10(lrs))))])
        return float(lrs[int(np.argmin(losses))] / 10)


def _rule_mistake(mistake_id: str, diagnosis: str, hint: str, wrong, *,
                  sees_nonfinite: bool = False) -> Mistake:
    """A mistake in a rule, named whether or not the learner also skipped the non-finite
    tail: ``wrong(lrs, losses, rule, right)`` is the wrong function, ``right(lrs, losses,
    rule)`` the rule it uses where it is right.  It is tried on the finite curve (with the
    right rules) and, when the curve ends in NaN or ±∞, on the whole curve (with rules that
    read that point too)."""
    def detect(args, out, expected):
        lrs, losses, rule = np.asarray(args["lrs"], float), np.asarray(args["losses"], float), args["rule"]
        tries = [(*_finite_prefix(lrs, losses), _suggest_lr)]
        if not np.all(np.isfinite(losses)):
            tries.append((lrs, losses, _nan_blind))
        for try_lrs, try_losses, right in tries:
            try:
                with np.errstate(all="ignore"):
                    value = wrong(try_lrs.copy(), try_losses.copy(), rule, right)
            except Exception:  # noqa: BLE001 - a variant that does not apply here
                continue
            value = float(value)
            if close(out, value, rtol=1e-7, atol=1e-12) or (np.isnan(value) and np.isnan(float(out))):
                return True
        return False
    return Mistake(mistake_id, diagnosis, hint, detect=detect, sees_nonfinite=sees_nonfinite)


def _one_rule_wrong(steepest=None, minimum=None):
    """``wrong`` for :func:`_rule_mistake`: one rule replaced, the other one right."""
    def wrong(lrs, losses, rule, right):
        replaced = {"steepest": steepest, "minimum": minimum}[rule]
        return right(lrs, losses, rule) if replaced is None else replaced(lrs, losses)
    return wrong


def _stopped_case(rule, tail, *curve) -> Case:
    """A finder curve cut where a range test stopped, its last point non-finite."""
    lrs, losses = _finder_curve(*curve)
    cut = int(np.searchsorted(np.log10(lrs), curve[4] + 0.3))
    losses = np.append(losses[:cut], tail)
    return Case({"lrs": lrs[:cut + 1], "losses": losses, "rule": rule},
                shown={"lrs": f"np.geomspace({curve[1]:g}, {curve[2]:g}, {curve[0]})[:{cut + 1}]",
                       "losses": f"a finder curve of {cut + 1} points ending in {tail}"})


def _edge_case(rule, at_start: bool) -> Case:
    """A curve whose steepest fall (np.gradient's one-sided slope) is at one end."""
    lrs = np.geomspace(1e-4, 1.0, 25)
    u = np.log10(lrs)
    losses = 0.4 + (u[-1] - u) ** 2 / 8 if at_start else 2.0 - (u - u[0]) ** 2 / 8
    end = "first" if at_start else "last"
    return Case({"lrs": lrs, "losses": losses, "rule": rule},
                shown={"lrs": "np.geomspace(0.0001, 1, 25)",
                       "losses": f"a curve that falls fastest at its {end} point"})


def _stopped_while_falling(tail, *, finder: bool, rule: str = "steepest") -> Case:
    """A curve that falls fastest at its last finite point, then the stop's NaN or +∞ (trial
    06: np.nanargmin over the whole curve's slopes can never pick that point, since its
    central difference reads the stop's point).  ``finder``: a finder curve cut inside its
    fall; else the parabola of :func:`_edge_case`."""
    if finder:
        lrs, losses = _finder_curve(60, 1e-5, 10.0, -1.5, 0.5, 0.0, 1)
        cut = int(np.searchsorted(np.log10(lrs), -1.6))
        lrs, losses, text = lrs[:cut + 1], losses[:cut], f"np.geomspace(1e-05, 10, 60)[:{cut + 1}]"
    else:
        lrs = np.geomspace(1e-4, 1.0, 25)
        u = np.log10(lrs)
        losses, text = (2.0 - (u - u[0]) ** 2 / 8)[:-1], "np.geomspace(0.0001, 1, 25)"
    return Case({"lrs": lrs, "losses": np.append(losses, tail), "rule": rule},
                shown={"lrs": text, "losses": f"a curve still falling fast when the test stopped, "
                                              f"ending in {tail}"})


def _edge_order_case() -> Case:
    """A steep fall in the middle, then a fall that speeds up again at the last points: the
    first-order one-sided slope at the end (np.gradient's default) loses to the middle,
    a second-order one (edge_order=2) wins, by about 0.1 either way."""
    lrs = np.geomspace(1e-4, 1.0, 25)
    u = np.log10(lrs)
    losses = 2.3 - 1 / (1 + np.exp(-6 * (u + 2.5))) - 1.25 * np.maximum(u + 0.6, 0) ** 2
    return Case({"lrs": lrs, "losses": losses, "rule": "steepest"},
                shown={"lrs": "np.geomspace(0.0001, 1, 25)",
                       "losses": "a curve with a steep fall in the middle whose fall speeds up "
                                 "again at its last points"})


def _nanargmin_rules(lrs, losses, rule):
    """The rules on the whole curve, skipping NaN slopes and losses (np.nanargmin): the slope
    at the last finite point reads the stop's point, so it is never a candidate."""
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    with np.errstate(all="ignore"):
        if rule == "steepest":
            return float(lrs[int(np.nanargmin(np.gradient(losses, np.log10(lrs))))])
        return float(lrs[int(np.nanargmin(losses))] / 10)


def _finder_curve(num, low, high, drop_at, blow_at, wiggle, seed):
    """A finder-like smoothed curve on an exponential ramp: flat, a fall, a bowl, a blow-up."""
    lrs = np.geomspace(low, high, num)
    u = np.log10(lrs)
    rng = np.random.default_rng(seed)
    fall = 1.8 / (1 + np.exp(-2.5 * (u - drop_at)))
    blow = np.exp(3.0 * (u - blow_at))
    bumps = wiggle * np.convolve(rng.normal(size=num + 4), np.ones(5) / 5, mode="valid")
    return lrs, 2.3 - fall + blow + bumps


def _suggest_case(rule, *curve) -> Case:
    lrs, losses = _finder_curve(*curve)
    return Case({"lrs": lrs, "losses": losses, "rule": rule},
                shown={"lrs": f"np.geomspace({curve[1]:g}, {curve[2]:g}, {curve[0]})",
                       "losses": f"a finder curve of {curve[0]} points"})


def _random_curves(count: int) -> list[tuple]:
    """Seeded random finder curves whose steepest point is inside (central differences
    decide it) and where the two rules disagree."""
    rng, curves = np.random.default_rng(7), []
    while len(curves) < count:
        num = int(rng.integers(25, 160))
        low = float(10.0 ** rng.integers(-8, -3))
        high = float(10.0 ** rng.integers(-1, 3))
        u_low, u_high = math.log10(low), math.log10(high)
        drop = float(np.round(rng.uniform(u_low + 1, u_high - 2), 2))
        blow = float(np.round(rng.uniform(drop + 1, u_high), 2))
        curve = (num, low, high, drop, blow, float(np.round(rng.uniform(0.0, 0.06), 3)),
                 int(rng.integers(1000)))
        lrs, losses = _finder_curve(*curve)
        i = _steepest_index(lrs, losses)
        if 2 <= i <= num - 3 and tune.steepest(lrs, losses) != tune.minimum(lrs, losses):
            curves.append(curve)
    return curves


_CURVES = [
    (80, 1e-6, 1.0, -3.0, -0.5, 0.03, 0),
    (60, 1e-5, 10.0, -1.5, 0.5, 0.05, 1),
    (100, 1e-7, 10.0, -4.0, -1.0, 0.02, 2),
]

SUGGEST_LR = Part(
    name="suggest_lr",
    points=2,
    reference=_suggest_lr,
    returns=NumberOut(what="the suggested learning rate"),
    cases=[
        *[_suggest_case(rule, *curve) for curve in _CURVES for rule in ("steepest", "minimum")],
        # the steepest fall at an end: np.gradient's one-sided slope there (trial 4567)
        _edge_case("steepest", at_start=False),
        # a range test that stopped on a NaN keeps it as its last point
        _stopped_case("steepest", np.nan, 60, 1e-5, 10.0, -1.5, -0.2, 0.03, 5),
        _stopped_case("minimum", np.nan, 60, 1e-5, 10.0, -1.5, -0.2, 0.03, 5),
        # ... and it may stop while the loss still falls fastest at its last finite point
        _stopped_while_falling(np.nan, finder=False),
        _stopped_while_falling(np.nan, finder=False, rule="minimum"),
        # one-sided first differences at the ends, as np.gradient's default edge_order=1
        _edge_order_case(),
    ],
    hidden_cases=[
        _stopped_while_falling(np.inf, finder=True),
        _stopped_while_falling(np.nan, finder=True),
        _stopped_while_falling(np.inf, finder=True, rule="minimum"),
        _edge_case("steepest", at_start=True),
        _stopped_case("steepest", np.inf, 80, 1e-6, 1.0, -3.0, -0.9, 0.02, 6),
        _stopped_case("minimum", np.nan, 80, 1e-6, 1.0, -3.0, -0.9, 0.02, 6),
        _suggest_case("steepest", 40, 1e-4, 1.0, -2.0, -0.7, 0.04, 3),
        _suggest_case("minimum", 40, 1e-4, 1.0, -2.0, -0.7, 0.04, 3),
        _suggest_case("steepest", 120, 1e-8, 100.0, -5.0, 1.0, 0.01, 4),
        *[_suggest_case(rule, *curve) for curve in _random_curves(6) for rule in ("steepest", "minimum")],
    ],
    mistakes=[
        Mistake(
            "stop_neighbour_skipped",
            "Your steepest rule can never pick the last finite point before the stop: you kept "
            "the stop's NaN or ∞ in the curve and skipped the non-finite slopes (np.nanargmin), "
            "but np.gradient's slope at the last finite point is a difference with its "
            "neighbour — the stop's point — so it is not finite either, and that point is "
            "skipped with it, even when the loss falls fastest there. The rules read the "
            "finite curve alone, on which the last point has its one-sided slope.",
            "Cut the curve at its first non-finite point before taking slopes (np.isfinite), "
            "then apply the rule to what is left.",
            variant=_nanargmin_rules,
        ),
        *[Mistake(
            "non_finite_point_used",
            "Your rule read the curve's non-finite last point (the NaN or +∞ the range test "
            "stopped on): np.argmin returns the position of a NaN, and a slope next to it is "
            "NaN too. As the exercise says, the rules read only the finite curve before it.",
            "Drop the non-finite points first (np.isfinite), then apply the rule.",
            variant=blind,
            sees_nonfinite=True,
        ) for blind in (_nan_blind,      # in both rules, or in one of them
                        lambda lrs, losses, rule: (_nan_blind if rule == "steepest" else _suggest_lr)(
                            lrs, losses, rule),
                        lambda lrs, losses, rule: (_nan_blind if rule == "minimum" else _suggest_lr)(
                            lrs, losses, rule))],
        _rule_mistake(
            "rules_swapped",
            "Your two rules are swapped: 'steepest' is where the loss falls fastest, "
            "'minimum' is a tenth of the rate at the lowest loss.",
            "Check which branch each rule name takes.",
            lambda lrs, losses, rule, right: right(
                lrs, losses, {"steepest": "minimum", "minimum": "steepest"}[rule]),
        ),
        *[_rule_mistake(
            "rule_ignored",
            "Your function gives the same kind of suggestion whatever the rule: 'steepest' and "
            "'minimum' are two different rules, and `rule` says which one to apply.",
            "Branch on rule: one branch per name.",
            lambda lrs, losses, rule, right, always=always: right(lrs, losses, always),
        ) for always in ("steepest", "minimum")],
        _rule_mistake(
            "slope_against_lr",
            "You took the slope against the learning rate itself; the finder's x axis is "
            "log(lr). Against lr, the crowded small rates turn tiny wiggles of the loss into "
            "enormous slopes, so the rule lands at the wrong end of the curve.",
            "Differentiate against np.log10(lrs) (any logarithm gives the same point).",
            _one_rule_wrong(steepest=lambda lrs, losses: lrs[int(np.argmin(np.gradient(losses, lrs)))]),
        ),
        _rule_mistake(
            "steepest_ascent",
            "You picked the steepest *rise* of the loss (the largest slope), which is where it "
            "blows up; the steepest fall is the most negative slope.",
            "Take the argmin of the slope.",
            _one_rule_wrong(steepest=lambda lrs, losses: lrs[int(np.argmax(
                np.gradient(losses, np.log10(lrs))))]),
        ),
        _rule_mistake(
            "forward_difference",
            "You used forward differences (np.diff), which gives the slope between points i "
            "and i + 1 and shifts the answer by half a step. The rule uses central differences, "
            "as np.gradient computes them.",
            "np.gradient(losses, np.log10(lrs)) has one slope per point: central inside, "
            "one-sided at the ends.",
            _one_rule_wrong(steepest=lambda lrs, losses: lrs[int(np.argmin(np.diff(losses)))]),
        ),
        _rule_mistake(
            "forward_difference",
            "You used forward differences (np.diff) and took the right end of the steepest "
            "segment; the rule uses central differences, as np.gradient computes them.",
            "np.gradient(losses, np.log10(lrs)) has one slope per point: central inside, "
            "one-sided at the ends.",
            _one_rule_wrong(steepest=lambda lrs, losses: lrs[int(np.argmin(np.diff(losses))) + 1]),
        ),
        Mistake(
            "last_point_dropped",
            "Your rules always drop the curve's last point (lrs[:-1], losses[:-1]), also when it "
            "is finite. Only a non-finite point — the NaN or ∞ a range test stopped on — is "
            "left out; a finite last point is part of the curve and can be the suggestion (the "
            "steepest fall may be there).",
            "Decide what to drop by looking at the values (np.isfinite), not by position.",
            variant=lambda lrs, losses, rule: _suggest_lr(np.asarray(lrs)[:-1],
                                                          np.asarray(losses)[:-1], rule),
        ),
        _rule_mistake(
            "edge_order_two",
            "Your slopes at the two ends are second-order (np.gradient(..., edge_order=2)); the "
            "rule, as part 2 states it, uses the one-sided difference of the end point and its "
            "neighbour there, as np.gradient computes it by default. On a curve whose fall "
            "speeds up at its end the two disagree about which point falls fastest.",
            "Use np.gradient(losses, np.log10(lrs)) without edge_order.",
            _one_rule_wrong(steepest=lambda lrs, losses: lrs[int(np.argmin(
                np.gradient(losses, np.log10(lrs), edge_order=2)))]),
        ),
        _rule_mistake(
            "ends_skipped",
            "Your steepest rule never picks the first or the last point: it only has slopes "
            "inside the curve. The curve's steepest fall can be at an end (np.gradient takes a "
            "one-sided difference there), and then that end is the suggestion.",
            "Take one slope per point, as np.gradient(losses, np.log10(lrs)) does.",
            _one_rule_wrong(steepest=lambda lrs, losses: lrs[1 + int(np.argmin(
                np.gradient(losses, np.log10(lrs))[1:-1]))]),
        ),
        _rule_mistake(
            "minimum_not_divided",
            "For 'minimum' you returned the rate at the lowest loss itself; the rule, as part 2 "
            "states it, is not that rate.",
            "Re-read the rule 'minimum' in part 2: what does it do to the rate at the lowest loss?",
            _one_rule_wrong(minimum=lambda lrs, losses: lrs[int(np.argmin(losses))]),
        ),
        _rule_mistake(
            "minimum_times_ten",
            "For 'minimum' you multiplied the rate at the lowest loss by 10: that moves further "
            "into the rates where the loss blows up. Re-read the rule and why it moves away "
            "from the lowest point.",
            "Re-read the rule 'minimum' in part 2: in which direction does it move from the "
            "rate at the lowest loss, and why?",
            _one_rule_wrong(minimum=lambda lrs, losses: lrs[int(np.argmin(losses))] * 10),
        ),
        _rule_mistake(
            "minimum_previous_rate",
            "For 'minimum' you stepped one point back along the ramp from the lowest loss "
            "(lrs[i − 1]); the rule scales the rate at the lowest loss by a fixed factor, "
            "whatever the ramp's spacing (one point is a small fraction of a decade on a long "
            "ramp).",
            "Re-read the rule 'minimum' in part 2: it is stated in terms of the rate, not of the "
            "points of the ramp.",
            _one_rule_wrong(minimum=lambda lrs, losses: lrs[int(np.argmin(losses)) - 1]),
        ),
        _rule_mistake(
            "minimum_divided_in_log_space",
            "For 'minimum' you divided the rate's logarithm (or the exponent) by 10, not the "
            "rate: 10^(log10(lr)/10) is not a tenth of lr.",
            "Take the rate at the lowest loss itself, then apply the rule to it.",
            _one_rule_wrong(minimum=lambda lrs, losses: 10 ** (np.log10(lrs[int(np.argmin(losses))]) / 10)),
        ),
        _rule_mistake(
            "minimum_index_divided",
            "For 'minimum' you divided the *index* of the lowest loss by 10 (lrs[i // 10]), "
            "which lands on a rate many decades lower on a long ramp; the rule divides the "
            "rate itself.",
            "Pick the rate at the lowest loss first, then apply the rule to that rate.",
            _one_rule_wrong(minimum=lambda lrs, losses: lrs[int(np.argmin(losses)) // 10]),
        ),
        _rule_mistake(
            "returned_index",
            "You returned an index into lrs, not a learning rate.",
            "Return lrs[i] (or lrs[i] / 10), not i.",
            lambda lrs, losses, rule, right: float(
                _steepest_index(lrs, losses) if rule == "steepest" else np.argmin(losses)),
        ),
        _rule_mistake(
            "returned_loss",
            "You returned a loss value, not a learning rate.",
            "Use the index you found to pick from lrs.",
            lambda lrs, losses, rule, right: float(
                losses[_steepest_index(lrs, losses)] if rule == "steepest" else np.min(losses)),
            sees_nonfinite=True,
        ),
        # properties of one case, when no mistake above fits every case
        Mistake(
            "steepest_not_steepest",
            "Your 'steepest' suggestion is one of the curve's rates, but not the one where the "
            "finite curve's slope against log10(lr) (np.gradient's: central inside, one-sided at "
            "the ends) is most negative.",
            "Print the slope at every point of this curve and check which one your code picks.",
            detect=lambda args, out, expected: args["rule"] == "steepest" and not close(
                out, expected, rtol=1e-7, atol=1e-12) and bool(np.any(
                np.isclose(float(out), np.asarray(args["lrs"], float), rtol=1e-9, atol=0))),
        ),
        Mistake(
            "suggestion_not_a_rate",
            "Your 'steepest' suggestion is not one of the curve's rates: the rule picks a point "
            "of the curve and returns its learning rate.",
            "Find the index of the point, then return lrs at that index.",
            detect=lambda args, out, expected: args["rule"] == "steepest" and not close(
                out, expected, rtol=1e-7, atol=1e-12),
        ),
        Mistake(
            "minimum_rule_differs",
            "Your 'minimum' suggestion is not what part 2's rule gives on this curve: check "
            "which point is the lowest of the finite curve, and what the rule does with its "
            "rate.",
            "Re-read the rule 'minimum' in part 2, then print the lowest finite loss and its rate.",
            detect=lambda args, out, expected: args["rule"] == "minimum" and not close(
                out, expected, rtol=1e-7, atol=1e-12),
        ),
    ],
    case_properties=("steepest_not_steepest", "suggestion_not_a_rate", "minimum_rule_differs"),
    wrong_hint="Re-read the two rules in lesson 06, section 3: which quantity each rule "
               "looks for, along which axis the slope is taken, and what 'minimum' does to "
               "the rate it finds.",
)


def check_suggest_lr(suggest_lr, *, hidden: bool = False) -> None:
    """Check ``suggest_lr(lrs, losses, rule) -> float`` (rule 'steepest' or 'minimum')."""
    SUGGEST_LR.check(suggest_lr, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 3: gradient clipping by norm
# ---------------------------------------------------------------------------

def _clip_grad_norm(grad, max_norm):
    grad = np.asarray(grad, dtype=float)
    clipped, norms = train.clip_by_norm(grad.reshape(1, -1), max_norm)
    return clipped.reshape(grad.shape), float(norms[0])


def _clip_variant(scale, norm=lambda g: np.sqrt(np.sum(g * g)), report_after=False):
    def clip(grad, max_norm):
        total = norm(grad)
        clipped = grad * scale(total, max_norm)
        return clipped, float(norm(clipped) if report_after else total)
    return clip


def _right_scale(total, max_norm):
    return min(1.0, max_norm / (total + train.CLIP_NORM_EPS))


class _ClippedOut(ArrayOnlyOut):
    def accept(self, value, args):
        grad = args["grad"]
        if (isinstance(value, np.ndarray) and value.dtype.kind in "iu"
                and isinstance(grad, np.ndarray) and grad.dtype.kind in "iu"):
            truncated = np.trunc(_clip_grad_norm(grad, args["max_norm"])[0])
            if value.shape != grad.shape or not np.array_equal(value, truncated):
                # integers, but not the right clipping cut to whole numbers (grad returned
                # unscaled, np.clip of integers, …): the value comparison names the mistake
                return super().accept(value.astype(float), args)
            raise Diagnosis(
                "integer_gradient_truncated",
                f"For an integer gradient it returned an integer array (dtype {value.dtype}): "
                "the clipped entries are fractions of grad's entries, and an integer array cuts "
                "them to whole numbers. np.zeros_like(grad), grad.copy() and in-place updates "
                "keep grad's integer dtype.",
                "Make the result a float array: grad * factor gives floats, or start from "
                "np.asarray(grad, dtype=float).",
            )
        try:
            return super().accept(value, args)
        except Diagnosis as problem:
            if problem.mistake == "not_finite" and not np.any(args["grad"]):
                raise Diagnosis(
                    "eps_missing",
                    "On a zero gradient it returned NaN: max_norm/‖g‖ divides by zero. "
                    "clip_grad_norm_ adds 1e-6 to the norm before dividing.",
                    "Use max_norm / (total_norm + 1e-6).",
                ) from None
            raise


class _ClipPairOut(TupleOut):
    """(clipped, total_norm), with the two items swapped recognised as such (trial 4567:
    `(norm, clipped)` was told its first item had the wrong shape)."""

    def accept(self, value, args):
        if (isinstance(value, tuple) and len(value) == 2 and np.ndim(value[0]) == 0
                and np.shape(value[1]) == np.shape(args["grad"]) and np.ndim(args["grad"]) > 0):
            raise Diagnosis(
                "swapped_outputs",
                "The two values are in the wrong order: it returned (total_norm, clipped); "
                "return (clipped, total_norm).",
                "The first item is the clipped gradient (an array of grad's shape), the "
                "second the norm before clipping.",
            )
        return super().accept(value, args)


def _per_row(grad, max_norm):
    g = np.atleast_2d(grad)
    norms = np.sqrt(np.sum(g * g, axis=-1, keepdims=True))
    clipped = g * np.minimum(1.0, max_norm / (norms + train.CLIP_NORM_EPS))
    return clipped.reshape(np.shape(grad)), float(np.sqrt(np.sum(grad * grad)))


def _clip_case(grad, max_norm, dtype=float) -> Case:
    return Case({"grad": np.array(grad, dtype=dtype), "max_norm": max_norm})


def _clip_random(seed: int) -> Case:
    """A seeded random gradient (1-D to 3-D, entries on scales from 1e-4 to 1e3, some exactly
    0) and a max_norm clearly below or above its norm (never within 1e-6 of it)."""
    rng = np.random.default_rng(200 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 5, size=rng.integers(1, 4)))
    grad = rng.normal(size=shape) * 10.0 ** rng.uniform(-4, 3)
    grad[rng.random(size=shape) < 0.2] = 0.0
    norm = float(np.sqrt(np.sum(grad * grad)))
    factor = float(rng.choice([0.01, 0.3, 0.9, 1.2, 5.0]))
    return _clip_case(grad, float(f"{(norm or 1.0) * factor:.3g}"))


_GRAD_MATRIX = np.array([[3.0, -4.0, 0.5], [0.1, 0.2, -0.3]])

CLIP_GRAD_NORM = Part(
    name="clip_grad_norm",
    points=2,
    reference=_clip_grad_norm,
    returns=_ClipPairOut(items=(_ClippedOut(what="the clipped gradient", like="grad",
                                        use="The exercise returns the clipped gradient as an "
                                            "array of grad's shape, which the training step "
                                            "then multiplies by the rate (lr * list fails)."),
                            NumberOut(what="the gradient's norm")),
                     names=("clipped", "total_norm")),
    cases=[
        _clip_case([3.0, -4.0], 1.0),
        _clip_case([0.3, 0.4], 1.0),
        _clip_case(_GRAD_MATRIX, 2.0),
        _clip_case([0.03, -0.04], 0.01),
        _clip_case([[0.0, 0.0], [0.0, 0.0]], 1.0),
        # an integer gradient and an integer max_norm: the clipped entries are fractions
        _clip_case([6, -8], 2, dtype=int),
    ],
    hidden_cases=[
        _clip_case([[1, 2], [-2, 0]], 1, dtype=int),
        _clip_case(np.linspace(-2, 2, 7), 0.5),
        _clip_case([[1e-3, 2e-3]], 1e-3),
        _clip_case([[[1.0, 2.0], [2.0, 4.0]]], 10.0),
        *[_clip_random(seed) for seed in range(8)],
    ],
    mistakes=[
        Mistake(
            "per_row_norm",
            "You clipped each row by its own norm; clip_grad_norm_ takes one norm over the "
            "whole gradient (all parameters together) and scales everything by the same factor, "
            "so the direction of the update is kept.",
            "total_norm = √(sum of all squared entries), whatever the shape.",
            variant=_per_row,
        ),
        Mistake(
            "clip_by_value",
            "You clipped each entry to [−max_norm, max_norm] (clipping by value, "
            "clip_grad_value_); clipping by norm rescales the whole vector, keeping its "
            "direction.",
            "Multiply the whole gradient by min(1, max_norm/(‖g‖ + 1e-6)).",
            variant=lambda grad, max_norm: (np.clip(grad, -max_norm, max_norm),
                                            float(np.sqrt(np.sum(grad * grad)))),
        ),
        Mistake(
            "always_rescaled",
            "You rescaled every gradient to norm max_norm, small ones too; clipping only "
            "shrinks gradients that are too long and leaves the others alone.",
            "The factor is min(1, max_norm/(‖g‖ + 1e-6)).",
            variant=_clip_variant(lambda total, c: c / (total + train.CLIP_NORM_EPS)),
        ),
        Mistake(
            "eps_missing",
            "You divided by ‖g‖ exactly; clip_grad_norm_ divides by ‖g‖ + 1e-6 (which also "
            "keeps a zero gradient from giving 0/0).",
            "Use max_norm / (total_norm + 1e-6).",
            variant=_clip_variant(lambda total, c: min(1.0, c / total) if total > 0 else 1.0),
        ),
        Mistake(
            "norm_after_clipping",
            "The clipping is right, but you returned the norm after clipping; like "
            "clip_grad_norm_, return the norm of the original gradient (it shows how large "
            "the gradients really were).",
            "Compute the norm once, before scaling, and return that.",
            variant=_clip_variant(_right_scale, report_after=True),
        ),
        Mistake(
            "squared_norm",
            "You used the squared norm Σg² instead of the norm √(Σg²).",
            "total_norm = np.sqrt(np.sum(grad**2)) (or np.linalg.norm of the flattened gradient).",
            variant=_clip_variant(_right_scale, norm=lambda g: np.sum(g * g)),
        ),
        Mistake(
            "spectral_norm",
            "On a matrix gradient you used the spectral norm (np.linalg.norm(grad, ord=2) on a "
            "2-D array is the largest singular value, not the Euclidean length). clip_grad_norm_ "
            "treats all the entries as one long vector: the square root of the sum of all the "
            "squared entries, whatever the gradient's shape.",
            "What does np.linalg.norm's ord=2 mean for a matrix? Compare it with "
            "np.sqrt(np.sum(grad**2)) on a 2×3 array.",
            variant=_clip_variant(_right_scale, norm=lambda g: float(
                np.linalg.norm(g, ord=2) if np.ndim(g) == 2 else np.sqrt(np.sum(g * g)))),
        ),
        Mistake(
            "max_not_min",
            "You scale by max(1, max_norm/(‖g‖ + 1e-6)) where the rule takes the min: long "
            "gradients are left alone and short ones are stretched up to length max_norm — the "
            "opposite of clipping, which only ever shrinks.",
            "Which of the two, 1 or max_norm/(‖g‖ + 1e-6), must the factor be when the gradient "
            "is already short enough?",
            variant=_clip_variant(lambda total, c: max(1.0, c / (total + train.CLIP_NORM_EPS))),
        ),
        Mistake(
            "eps_outside_ratio",
            "You added the 1e-6 to the ratio, max_norm/‖g‖ + 1e-6; clip_grad_norm_ adds it to "
            "the norm in the denominator, max_norm/(‖g‖ + 1e-6), so that it guards the "
            "division.",
            "Put the parentheses around the norm and the 1e-6.",
            variant=_clip_variant(lambda total, c: min(1.0, c / total + train.CLIP_NORM_EPS)
                                  if total > 0 else 1.0),
        ),
        Mistake(
            "inf_norm",
            "You measured the gradient by its largest entry in absolute value (the ∞-norm, "
            "np.max(np.abs(g)) or ord=np.inf); clip_grad_norm_ uses the Euclidean (L2) norm of "
            "all the entries together.",
            "total_norm = √(sum of the squares of all the entries).",
            variant=_clip_variant(_right_scale, norm=lambda g: float(np.max(np.abs(g))) if g.size else 0.0),
        ),
        Mistake(
            "rms_norm",
            "You took the root of the *mean* of the squared entries (an RMS); the norm is the "
            "root of their *sum*, so yours is smaller by √(number of entries) and clips too "
            "rarely.",
            "total_norm = √(sum of the squares of all the entries), not of their mean.",
            variant=_clip_variant(_right_scale, norm=lambda g: float(np.sqrt(np.mean(g * g)))),
        ),
        Mistake(
            "l1_norm",
            "You used the L1 norm Σ|g|; clip_grad_norm_ uses the Euclidean (L2) norm by default.",
            "total_norm = √(Σg²).",
            variant=_clip_variant(_right_scale, norm=lambda g: np.sum(np.abs(g))),
        ),
        # properties of one case, when no mistake above fits every case
        Mistake(
            "norm_wrong",
            "Your total_norm is not the Euclidean norm of the whole gradient before clipping: "
            "the square root of the sum of the squares of all its entries, whatever its shape.",
            "Print your total_norm next to np.sqrt(np.sum(grad ** 2)) on this input.",
            detect=lambda args, out, expected: not close(out[1], expected[1], rtol=1e-7, atol=1e-12),
        ),
        Mistake(
            "clipped_wrong",
            "Your total_norm is right but the clipped gradient is not: every entry is multiplied "
            "by the same factor, which is 1 when the gradient is short enough, and otherwise "
            "brings its norm to max_norm (up to the 1e-6 guard).",
            "Print the factor you apply on this input, and check the norm of your clipped "
            "gradient against max_norm.",
            detect=lambda args, out, expected: close(out[1], expected[1], rtol=1e-7, atol=1e-12)
            and not close(out[0], expected[0], rtol=1e-7, atol=1e-12),
        ),
    ],
    case_properties=("norm_wrong", "clipped_wrong"),
    wrong_hint="clip_grad_norm_: total_norm = ‖g‖₂ over all entries; "
               "g ← g·min(1, max_norm/(total_norm + 1e-6)).",
)


def check_clip_grad_norm(clip_grad_norm, *, hidden: bool = False) -> None:
    """Check ``clip_grad_norm(grad, max_norm) -> (clipped, total_norm)``; once every value
    is right, a clipped gradient that shares memory with ``grad`` (``return grad, total``
    when nothing needs clipping, or a view of grad) is refused: the notebook asks for new
    arrays."""
    part = CLIP_GRAD_NORM
    cases = part.hidden_cases if hidden else part.cases
    dataclasses.replace(part, hidden_cases=cases).check(clip_grad_norm, hidden=True)
    for case in cases:
        given = copy.deepcopy(case.args)
        out = call_learner(clip_grad_norm, list(given.values()), name=part.name,
                           time_limit=part.time_limit)
        clipped = out[0] if isinstance(out, (tuple, list)) and out else None
        if isinstance(clipped, np.ndarray) and np.shares_memory(clipped, given["grad"]):
            raise report(part.name, part.points, Diagnosis(
                "returned_input",
                "The clipped gradient it returned shares its memory with the grad it was given "
                "(np.shares_memory(clipped, grad) is True): you returned grad itself, or a view "
                "of it, not a new array. The notebook asks for new arrays: the caller's "
                "gradient and your result are then one array, so changing either in place (an "
                "in-place update, the next gradient accumulated into it) changes the other.",
                "Return a new array in every branch, also when nothing needs clipping: "
                "grad * factor makes one, and so does grad.copy().",
            ), tried=describe_call(part.name, case.args, case.shown))
    if not hidden:
        report_pass(part.name, part.points)


# ---------------------------------------------------------------------------
# Part 4: log-uniform sampling (checked on properties)
# ---------------------------------------------------------------------------

LOG_UNIFORM = PartPoints("log_uniform", 2)

#: Kolmogorov–Smirnov threshold: for n draws, a correct sampler exceeds
#: √(−ln(α/2)/(2n)) with probability ≈ α; with α = 1e-6 that is 3.8/√(2n).
_KS_ALPHA = 1e-6

# (seed, n, low, high); large n so the distribution test has power, one tiny n for shapes
_LOG_UNIFORM_CASES = [(0, 4000, 1e-5, 1.0), (1, 3000, 1e-4, 0.1), (2, 5, 1e-3, 10.0)]
_LOG_UNIFORM_HIDDEN = [(3, 5000, 3e-6, 0.3), (4, 1, 0.01, 0.02), (5, 2000, 1e-2, 1e2)]


def _ks_distance(u: np.ndarray, cdf) -> float:
    """sup |F_n − F| of the sample u against the continuous cdf F."""
    u = np.sort(u)
    n = u.size
    F = cdf(u)
    return float(max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n)))


def _ks_limit(n: int) -> float:
    return math.sqrt(-math.log(_KS_ALPHA / 2) / (2 * n))


def _draw(func, seed, n, low, high):
    rng = np.random.default_rng(seed)
    value = call_learner(func, [rng, n, low, high], name="log_uniform")
    if (isinstance(value, (float, int, np.number)) and not isinstance(value, bool)) or (
            isinstance(value, np.ndarray) and value.ndim == 0):
        raise Diagnosis(
            "returned_one_number",
            f"It returned one number, {float(value):.4g}, instead of an array of n = {n} "
            f"rate{'s' * (n != 1)}: a generator's "
            "rng.uniform(a, b) or rng.random() without a size draws a single value. A search "
            "tries n rates, so the result is an array of shape (n,).",
            "Ask the generator for n draws at once (its size argument), then transform them all.",
        )
    return ArrayOnlyOut(what="the sampled learning rates", shape=lambda a: (n,),
                        shape_text="(n,)",
                        use="The exercise asks for an array of shape (n,): with a list, "
                            "arithmetic on the draws (rates * 2) repeats the list instead of "
                            "scaling the rates."
                        ).accept(value, {})


def _range_problem(x: np.ndarray, low: float, high: float) -> Diagnosis | None:
    inside = (x >= low * (1 - 1e-12)) & (x <= high * (1 + 1e-12))  # exp(log(high)) may round up
    if np.all(inside):
        return None
    ll, lh = math.log10(low), math.log10(high)
    ln_low, ln_high = math.log(low), math.log(high)
    tolerance = 1e-9 * (abs(ln_low) + abs(ln_high) + 1)
    if (np.all((x >= ll - tolerance) & (x <= lh + tolerance))
            or np.all((x >= ln_low - tolerance) & (x <= ln_high + tolerance))):
        return Diagnosis(
            "returned_exponents",
            "Your values lie between log(low) and log(high): you returned the sampled "
            "exponents, not the learning rates.",
            "Exponentiate the sampled exponent (10** after np.log10, np.exp after np.log).",
        )
    rounded = _rounding_problem(x, low, high)
    if rounded is not None:
        return rounded
    # the tightest range first: 2^high < e^high < 10^high
    for base, name in ((2.0, "2"), (math.e, "e"), (10.0, "10")):
        a, b = base ** low, base ** high
        if (np.all((x >= a * (1 - 1e-12)) & (x <= b * (1 + 1e-12)))
                and (x.size < 100 or _log_uniform_on(x, a, b))):
            power = {"2": "2**", "e": "np.exp", "10": "10**"}[name]
            return Diagnosis(
                "powered_the_bounds",
                f"Your values lie between {name}^low and {name}^high: you drew the exponent "
                f"between low and high themselves and applied {power} to it, but low and high "
                "are learning rates, not exponents.",
                "Draw the exponent between the logarithms of low and high, in the base you "
                "exponentiate with.",
            )
    for log_base in (2.0, math.e, 10.0):       # logarithm in one base, power in another
        for power_base in (2.0, math.e, 10.0):
            if log_base == power_base:
                continue
            a, b = (power_base ** (math.log(v) / math.log(log_base)) for v in (low, high))
            if (np.all((x >= min(a, b) * (1 - 1e-12)) & (x <= max(a, b) * (1 + 1e-12)))
                    and _log_uniform_on(x, min(a, b), max(a, b))):
                return _mixed_bases_problem()
    outside = x[~inside]
    return Diagnosis(
        "out_of_range",
        f"{outside.size} of the {x.size} samples lie outside [low, high] "
        f"(for example {outside[0]:.4g}).",
        "Every sample must satisfy low ≤ lr ≤ high.",
    )


def _decimals(x: np.ndarray, most: int = 10) -> int | None:
    """The fewest decimals d ≤ most with round(x, d) == x for every sample, else None."""
    for d in range(most + 1):
        if np.array_equal(np.round(x, d), x):
            return d
    return None


def _significant(x: np.ndarray, most: int = 8) -> int | None:
    """The fewest significant digits k ≤ most that every sample is written with, else None."""
    for k in range(1, most + 1):
        if all(float(f"{v:.{k}g}") == v for v in x):
            return k
    return None


def _rounding_problem(x: np.ndarray, low: float, high: float) -> Diagnosis | None:
    """Rates rounded to d decimals (small rates become 0 or a few values) or to k significant
    digits (repeats): named as rounding.  d decimals also have at most d significant digits
    below 1, so decimals are named when they need no more digits than significant ones."""
    if x.size < 100:
        return None
    d, k = _decimals(x), _significant(x)
    if d is None and k is None:
        return None
    if d is not None and (k is None or d <= k):
        zeros = int(np.sum(x == 0))
        lost = (f" {zeros} of the {x.size} rates became 0, outside [low, high], and" if zeros
                else "")
        smallest = float(x[x > 0].min()) if np.any(x > 0) else low
        bottom = x[(x >= smallest) & (x < 10 * smallest)]
        return Diagnosis(
            "rounded_rates",
            f"Your rates are rounded to {d} decimals:{lost} the {bottom.size} rates of the lowest "
            f"decade left, from {smallest:.3g} to {10 * smallest:.3g}, take only "
            f"{np.unique(bottom).size} "
            "distinct values. The smaller the rate, the coarser that grid: a log-uniform search "
            "spends as many trials on each decade, and the small rates are repeated or lost.",
            "Return the rates unrounded; round only where you print them (f\"{lr:.3g}\").",
        )
    return Diagnosis(
        "rounded_rates",
        f"Your rates are rounded to {k} significant digit{'s' * (k != 1)}: they come from a "
        "finite set of values, so the search repeats rates and can never try one between two "
        "of them. A continuous draw practically never repeats a value.",
        "Return the rates unrounded; round only where you print them (f\"{lr:.3g}\").",
    )


def _mixed_bases_problem() -> Diagnosis:
    return Diagnosis(
        "mixed_log_bases",
        "Your samples are log-uniform, but between the wrong bounds: you took the logarithm in "
        "one base and went back in another (np.log10 with np.exp, np.log2 with 10**, …).",
        "Use the same base both ways: np.log and np.exp, np.log10 and 10**, or np.log2 and 2**.",
    )


def _uniform_on(u: np.ndarray) -> bool:
    """Whether the sample u passes a KS test of Uniform(0, 1)."""
    return _ks_distance(u, lambda v: np.clip(v, 0, 1)) <= _ks_limit(u.size)


def _log_uniform_on(x: np.ndarray, low: float, high: float) -> bool:
    with np.errstate(all="ignore"):
        return _uniform_on((np.log(x) - math.log(low)) / (math.log(high) - math.log(low)))


def _distribution_problem(x: np.ndarray, low: float, high: float) -> Diagnosis | None:
    if x.size < 100:
        return None
    if _log_uniform_on(x, low, high):
        return None
    decades = math.log10(high / low)
    top = float(np.mean(x >= high / 10))
    if _log_uniform_on(x, math.exp(math.log10(low)), math.exp(math.log10(high))):
        return _mixed_bases_problem()
    if _uniform_on((x - low) / (high - low)):
        return Diagnosis(
            "uniform_not_log",
            f"Your samples are uniform in lr, not in log lr: {top:.0%} of them fall in the top "
            f"decade [high/10, high], where a log-uniform sampler puts 1/{decades:g} of them "
            f"({1 / decades:.0%}). A uniform draw almost never tries the small rates.",
            "Draw the exponent uniformly, between log(low) and log(high), then exponentiate.",
        )
    covered = _coverage_problem(x, low, high)
    if covered is not None and _log_uniform_on(x, float(x.min()), float(x.max())):
        return covered
    return Diagnosis(
        "not_log_uniform",
        f"Your samples are not log-uniform on [low, high]: their logarithms are not spread "
        f"evenly (a log-uniform sampler puts 1/{decades:g} of the samples in every decade; "
        f"yours put {top:.0%} in the top one).",
        "Draw u uniformly in [log(low), log(high)] and return exp(u).",
    )


def _discrete_problem(x: np.ndarray) -> Diagnosis | None:
    """A continuous draw in float64 practically never repeats a value (the chance of any
    repeat among 10⁴ draws is about 10⁻⁸); a grid or rounded rates repeat many times."""
    if x.size < 100:
        return None
    distinct = np.unique(x).size
    if distinct == x.size:
        return None
    rounded = _rounding_problem(x, float(x.min()), float(x.max()))
    if rounded is not None and distinct > 1:
        return rounded
    if distinct == 1:
        return Diagnosis(
            "constant_draw",
            f"All {x.size} of your samples are the same value, {x[0]:.4g}: for these bounds "
            "your formula does not vary with the random numbers at all. (One way to get "
            "there: low·high^u, which is low whenever high = 1 — the random exponent must "
            "act on the ratio high/low.)",
            "A log-uniform rate is low·(high/low)^u with u uniform on [0, 1), or 10 to the "
            "power of a uniform draw between log10(low) and log10(high).",
        )
    ends = np.isin(x, [x.min(), x.max()])
    if np.any(~ends) and np.unique(x[~ends]).size == np.sum(~ends):
        return Diagnosis(
            "clipped_to_range",
            f"{int(np.sum(ends))} of your {x.size} samples are exactly the smallest or the largest "
            "value: you forced samples from another distribution into the range (np.clip), which "
            "piles them up on its ends. A log-uniform draw lands inside [low, high] by itself.",
            "Draw the exponent uniformly between log(low) and log(high): then nothing needs clipping.",
        )
    return Diagnosis(
        "discretised",
        f"Your {x.size} samples take only {distinct} distinct values: they come from a finite set "
        "(a grid of rates you choose from, a random integer exponent, or rounded rates), so a "
        "search can never try a rate between two of them. A continuous draw practically never "
        "repeats a value.",
        "Draw the exponent from a continuous uniform distribution (rng.uniform or rng.random), "
        "and return the rates unrounded.",
    )


def _shared_values_problem(first: np.ndarray, other: np.ndarray) -> Diagnosis | None:
    """Two continuous draws from different generators practically never share a value;
    draws from one finite set (a shuffled grid) share many, or all of them."""
    shared = np.intersect1d(first, other).size
    if shared == 0:
        return None
    if np.array_equal(np.sort(first), np.sort(other)):
        return Diagnosis(
            "shuffled_grid",
            "Different generators gave the same rates in another order: you shuffle one fixed "
            "set of rates (a grid), so every search tries exactly the same rates, and never one "
            "between two of them.",
            "Draw each exponent from a continuous uniform distribution with the rng you are "
            "given, instead of shuffling or picking from a grid.",
            show_returned=False,
        )
    return Diagnosis(
        "discretised",
        f"Draws from two different generators share {shared} of their {first.size} rates: "
        "they come from a finite set (a grid of rates you pick from, or rounded rates), so a "
        "search can never try a rate between two of them. A continuous draw practically never "
        "repeats a value.",
        "Draw the exponent from a continuous uniform distribution (rng.uniform or rng.random), "
        "and return the rates unrounded.",
        show_returned=False,
    )


def _coverage_problem(x: np.ndarray, low: float, high: float) -> Diagnosis | None:
    """Log-positions of the samples in [0, 1]; n ≥ 100 uniform draws leave neither end of
    the range 5 % empty (chance 0.95^100 < 10⁻²)."""
    if x.size < 100:
        return None
    with np.errstate(all="ignore"):
        u = (np.log(x) - math.log(low)) / (math.log(high) - math.log(low))
    if u.min() < 0.05 and u.max() > 0.95:
        return None
    return Diagnosis(
        "range_not_covered",
        f"Your samples cover only part of [low, high]: from {x.min():.3g} to {x.max():.3g}, "
        f"so {_missed(u)} are never tried.",
        "Sample the exponent between the logarithms of low and high themselves (check both "
        "ends: an exponent of log(high) must give high).",
    )


def _missed(u: np.ndarray) -> str:
    if u.min() >= 0.05 and u.max() <= 0.95:
        return "the smallest and the largest rates"
    return "the smallest rates" if u.min() >= 0.05 else "the largest rates"


def _draw_pool(func, seeds, n, low, high, first) -> np.ndarray:
    """The first draw and more draws at other seeds: the distribution test pools them (a KS
    test on ~4× the samples detects a 4× smaller deviation, e.g. a coarse grid)."""
    return np.concatenate([first, *[_draw(func, s, n, low, high) for s in seeds]])


def _check_log_uniform_case(func, seed, n, low, high) -> None:
    first = _draw(func, seed, n, low, high)
    problem = (_range_problem(first, low, high) or _discrete_problem(first)
               or _distribution_problem(first, low, high))
    if problem is not None:
        raise problem
    again = _draw(func, seed, n, low, high)
    if not np.array_equal(first, again):
        raise Diagnosis(
            "not_reproducible",
            "Two calls with generators made from the same seed gave different samples: the "
            "samples do not come from the generator you are given.",
            "Draw with the rng argument (rng.uniform(...), rng.random(...)), not with "
            "np.random.uniform or a generator of your own.",
            show_returned=False,
        )
    other = _draw(func, seed + 1000, n, low, high)
    if n > 1 and np.array_equal(first, other):
        grid = np.allclose(np.sort(first), np.geomspace(low, high, n), rtol=1e-9)
        raise Diagnosis(
            "generator_ignored",
            "Different generators gave the same samples: the rng argument is ignored"
            + (" — you returned a fixed grid (np.geomspace), not random samples." if grid else "."),
            "Draw with the rng you are given, so that a different seed gives a different search.",
            show_returned=False,
        )
    if n >= 10:
        problem = _shared_values_problem(first, other)
        if problem is not None:
            raise problem
    if n >= 100:
        pooled = _draw_pool(func, [seed + 1, seed + 2], n, low, high, np.concatenate([first, other]))
        problem = _range_problem(pooled, low, high) or _distribution_problem(pooled, low, high)
        if problem is not None:
            raise problem


def check_log_uniform(log_uniform, *, hidden: bool = False) -> None:
    """Check ``log_uniform(rng, n, low, high) -> array of n rates``, log-uniform on [low, high]."""
    def tried(case):
        seed, n, low, high = case
        return describe_call("log_uniform", {"rng": None, "n": n, "low": low, "high": high},
                             {"rng": f"np.random.default_rng({seed})"})

    check_cases(LOG_UNIFORM.name, LOG_UNIFORM.points,
                _LOG_UNIFORM_HIDDEN if hidden else _LOG_UNIFORM_CASES,
                lambda case: _check_log_uniform_case(log_uniform, *case), tried, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 5: which suggestion to train with, and why (reading a real finder curve)
# ---------------------------------------------------------------------------

#: The finder the notebook's locked cell runs: the digits MLP, SGD, batches of 32, seed 1
#: (one of the settings of lesson 06's table), and the budget the suggestion is used for.
FINDER_SETTINGS = dict(start_lr=1e-5, end_lr=10.0, num_steps=100, batch_size=32, seed=1)
FINDER_BUDGET = 200


def finder_experiment():
    """The finder of part 5 (a :class:`lrcourse.tune.FinderResult`) on the digits MLP."""
    from lrcourse.problems import MLP

    return tune.lr_finder(MLP(), optim.SGD, **FINDER_SETTINGS)


def suggestion_outcomes() -> dict:
    """{option letter: final training loss after FINDER_BUDGET steps at that option's rate}
    (same start and batches as the finder; inf when the run diverged). Used by the tests and
    the notebook's "Try it" cell."""
    from lrcourse.problems import MLP

    finder = finder_experiment()
    s = finder.suggestions
    rates = {"A": s["steepest"], "B": s["valley"], "C": s["minimum"], "D": 10 * s["minimum"],
             "E": 1e-3}
    sweep = tune.lr_sweep(MLP(), optim.SGD, np.array(list(rates.values())), FINDER_BUDGET,
                          batch_size=FINDER_SETTINGS["batch_size"], seed=FINDER_SETTINGS["seed"])
    losses = np.where(sweep.diverged, np.inf, sweep.final_loss)
    return dict(zip(rates, (float(v) for v in losses)))


_PICK_RIGHT = frozenset("C")
_SECTION_3 = "Lesson 06, section 3 (\"What does the LR finder suggest, and where does it go wrong?\")"

#: One message per wrong option: what that option trusts, and where to check it — never the
#: right option's argument, alone or put together (trial 4567: A's and D's messages spelled
#: it out between them).
_PICK_PROBLEMS = {
    "A": ("steepest_is_noise",
          "Your option trusts the steepest point of this curve. Find it on the printed curve: "
          "at which step of the ramp, and at which rate, is it? Could the network have learned "
          "anything by then?",
          f"{_SECTION_3}: the paragraph after the finder figure, and the table of what each "
          "rule suggested on smoothed mini-batch curves."),
    "B": ("valley_too_cautious",
          "Your option trusts the most cautious rate on the falling stretch. For a budget of "
          "200 steps, is the most cautious rate also the one that gets furthest? Compare where "
          "'valley' landed with the best swept rate in the lesson's table.",
          f"{_SECTION_3}: the bullet on 'valley' after the table."),
    "D": ("minimum_not_divided",
          "Your option trains for 200 steps at the rate where the smoothed curve is lowest. "
          "Compare that rate with the last rates of the ramp before the test stopped, and ask "
          "what 200 steps at a constant rate from that region would do.",
          f"{_SECTION_3}: the table of what each rule suggested and how those rates trained."),
    "E": ("default_rate",
          "Where does 10⁻³ sit on this curve: before, on or after the fall of the loss? The "
          "finder does tell you which decades are too small.",
          f"{_SECTION_3}: the claim check on the frameworks' default 10⁻³."),
}


def _grade_pick(chosen: frozenset) -> Diagnosis | None:
    if len(chosen) != 1:
        given = "no option" if not chosen else f"{len(chosen)} options"
        return Diagnosis(
            "choose_one",
            f"Choose one option: you gave {given}. You will train with one rate — which, "
            "and for which reason?",
            "Return a string with one letter, for example \"B\".",
            show_returned=False,
        )
    (letter,) = chosen
    if letter in _PICK_RIGHT:
        return None
    mistake, diagnosis, hint = _PICK_PROBLEMS[letter]
    return Diagnosis(mistake, diagnosis, hint, show_returned=False)


PICK_SUGGESTION = ChoicePart("pick_suggestion", 2)


def check_pick_suggestion(pick_suggestion, *, hidden: bool = False) -> None:
    """Check ``pick_suggestion() -> one letter``: which finder suggestion to train with, and why."""
    part = PICK_SUGGESTION

    def one(_case) -> None:
        value = call_learner(pick_suggestion, [], name=part.name, time_limit=part.time_limit)
        letters = choice_letters(value, "ABCDE", example='"B"')
        repeated = repeated_letters(value)
        if repeated:   # as in the other multiple-choice parts, "CC" is not read as "C"
            raise Diagnosis(
                "repeated_letter",
                f"It returned {describe(value)}, which names {', '.join(map(str, repeated))} more "
                "than once. You train with one rate: name one option, once.",
                "Return a string with one letter, for example \"B\".",
                show_returned=False)
        problem = _grade_pick(letters)
        if problem is not None:
            raise problem

    check_cases(part.name, part.points, [0], one, tried=lambda _case: f"{part.name}()",
                hidden=hidden)


# ---------------------------------------------------------------------------
# Part 6: which loss curve has which cause (reading an experiment)
# ---------------------------------------------------------------------------

#: The experiment of part 6: the lesson's digits MLP trained with SGD on batches of 32 for
#: CURVE_STEPS steps from seed CURVE_SEED's start and batches (not the lesson's seed 0), the
#: loss on the whole training set evaluated every CURVE_EVAL_EVERY steps.
CURVE_STEPS = 300
CURVE_SEED = 1
CURVE_EVAL_EVERY = 20

#: The causes the learner chooses from (option letter -> what went wrong).  One of them
#: (B) fits none of the four runs: a run far above the threshold is not always stopped.
CURVE_CAUSES = {
    "A": "the rate is too low",
    "B": "the rate is too high, without clipping",
    "C": "the schedule decays too soon (it starts at a good rate)",
    "D": "the rate is far too high, and the gradient is clipped by norm",
    "E": "nothing is wrong: a good constant rate",
}

#: The four runs, in the order of their curves 1–4: the cause each run was set up with
#: (a letter of CURVE_CAUSES), its rate (a number or a schedule) and its clipping threshold.
#: The right answer is read from here (``_curves_truth``); tests/test_grading_ex06.py checks
#: that each run shows the shape lesson 06 gives for its cause.
_CURVE_RUNS = (
    ("C", schedules.exponential(0.5, gamma=0.97), None),   # η₀ = 0.5, × 0.97 after every step
    ("D", 50.0, 0.25),
    ("A", 0.01, None),
    ("E", 0.5, None),
)


def curve_experiment():
    """The four runs of part 6, one :class:`lrcourse.train.RunResult` per curve (a list).

    Every run starts from the same weights and sees the same batches; the record of each
    (``loss`` per mini-batch, ``train_loss`` on the whole training set at ``eval_steps``,
    ``lr``, ``diverged``) is what the notebook's table and figure show.
    """
    from lrcourse.problems import MLP

    mlp = MLP(hidden=32)
    return [train.run(mlp, optim.SGD(lr=rate), mlp.init(seed=CURVE_SEED), CURVE_STEPS,
                      batch_size=32, seed=CURVE_SEED, clip_norm=clip, eval_every=CURVE_EVAL_EVERY)
            for _, rate, clip in _CURVE_RUNS]


def _curves_truth() -> str:
    """The cause of curve 1, 2, 3, 4: the settings each run was made with."""
    return "".join(cause for cause, _, _ in _CURVE_RUNS)


def _swapped(answer: str, a: str, b: str) -> str:
    """``answer`` with the causes a and b exchanged (what a learner who confuses them says)."""
    return answer.translate(str.maketrans(a + b, b + a))


def _replaced(answer: str, a: str, b: str) -> str:
    """``answer`` with cause a read as cause b (b fits no curve, so the answer stays valid)."""
    return answer.replace(a, b)


_SECTION_1 = "lesson 06, section 1 (\"What does a loss curve tell you about η?\")"
_SECTION_4 = "the verdict of section 4 (clipping)"

#: Said with every named misreading: naming one curve's misreading must not tell whether the
#: other curves are right (a count or a list of the right curves would allow elimination).
_ONE_AT_A_TIME = (" (The check names one misreading at a time; it says nothing about your "
                  "other curves.)")

#: Misreadings of the whole answer: (the answer it predicts from the truth, mistake id,
#: diagnosis, hint).  Named when the answer is exactly what it predicts (a swap of two
#: causes, or one coherent belief behind two curves); its message restates what the answer
#: says about the shapes and asks the question that decides it, never which curve has
#: which cause.
_CURVE_MISREADINGS = [
    (lambda t: _swapped(t, "A", "C"), "slow_curves_swapped",
     "Your answer calls a curve that drops fast and then goes flat 'too low', and a curve that "
     "falls at one slow pace to the end a schedule that decayed too soon. Which of these two "
     "causes leaves a knee in the curve, and which one is still falling over its last 100 "
     "steps?",
     f"Re-read {_SECTION_1}: the bullets on a rate too low and on a schedule too aggressive."),
    (lambda t: _swapped(t, "C", "E"), "flat_read_as_converged",
     "Your answer calls the curve that stays flat over its last 100 steps a good rate, and "
     "a curve that still falls steadily there a schedule that decayed too soon. Does a flat "
     "curve mean the model has converged? What did the lesson's good rate still do over its "
     "last 100 steps, and at what level did its decayed schedule go flat?",
     f"Re-read {_SECTION_1}: 'about right', 'schedule too aggressive', and the sentence "
     "after the bullets on flat curves."),
    (lambda t: _swapped(t, "A", "E"), "still_falling_read_as_too_low",
     "Your answer calls a curve that drops steeply in its first steps and still falls at "
     "the end 'too low', and a curve that falls at one slow pace from its first step to its "
     "last a good rate. Still falling at the end: does that alone say the rate is too low? "
     "Which of the two drops steeply at the start, and where does each one end?",
     f"Re-read {_SECTION_1}: the bullets on a rate too low and 'about right'."),
    (lambda t: _swapped(t, "A", "D"), "clipped_read_as_too_low",
     "Your answer calls a curve that jumps up and down 'too low', and a smooth curve that "
     "falls a little at every evaluation a rate far too high held back by clipping. Is a "
     "too-low rate's curve smooth or jagged? What does a clipped run far above the stable "
     "rates look like?",
     f"Re-read {_SECTION_1}: the too-low rate; then {_SECTION_4}: \"does not diverge\" is "
     "not \"trains\"."),
    (lambda t: _swapped(t, "C", "D"), "clipped_read_as_decayed",
     "Your answer calls a curve that still jumps by large factors between evaluations a "
     "schedule that decayed too soon, and a smooth curve that went flat a rate held back by "
     "clipping. Once a schedule has made the rate tiny, can the loss still jump like that? "
     "What does a clipped run far above the stable rates look like?",
     f"Re-read {_SECTION_1}: the schedule too aggressive; then {_SECTION_4}."),
    (lambda t: _replaced(_replaced(t, "D", "B"), "E", "D"), "clipping_read_as_rescue",
     "Your answer reads the curve that falls at every evaluation to the lowest loss as a rate "
     "far too high that clipping rescued, and a run whose loss jumps up at once and is never "
     "stopped as a rate too high without clipping. Section 4 found that clipping keeps such "
     "rates from being stopped: did they also train? And what did section 1's unclipped runs "
     "at rates too high do — how long did they last, and did they make progress first?",
     f"Re-read {_SECTION_4}: \"does not diverge\" is not \"trains\"; and the too-high "
     f"rates (✕) of {_SECTION_1}."),
]

#: How each curve looks (by the cause its run was made with), in section 1's terms: what a
#: message about that curve says it shows.  Never the cause itself.
_CURVE_SHAPES = {
    "A": "falls at one slow, smooth pace from its first evaluation to its last, with no knee",
    "C": "drops steeply in its first steps and then goes flat (no change over its last 100 "
         "steps), far above the lowest curve",
    "D": "jumps up at once, stays above its start, jumps by large factors between evaluations "
         "and is never stopped",
    "E": "drops steeply in its first steps and then falls at every evaluation, still halving "
         "over its last 100 steps, to the lowest loss of the four",
}

#: What each cause is called in the messages (the learner's reading).
_CAUSE_WORDS = {
    "A": "a rate too low",
    "B": "a rate too high without clipping",
    "C": "a schedule that decayed too soon",
    "D": "a rate far too high held back by clipping",
    "E": "a good constant rate",
}

#: One curve misread: (the curve's cause, the cause the answer gives it) -> (mistake id, the
#: question that decides it, hint).  Named for that curve whatever the other curves say; the
#: question refutes the reading without naming the curve's cause.
_CURVE_PAIRS = {
    ("C", "E"): ("flat_read_as_converged",
                 "Does a flat curve mean the model has converged? What did section 1's good rate "
                 "still do over its last 100 steps, and what does this curve do there?",
                 f"Re-read {_SECTION_1}: 'about right', and the sentence after the bullets on "
                 "flat curves."),
    ("C", "B"): ("plateau_read_as_too_high",
                 "Section 1's rates too high either made progress first and then jumped by "
                 "large factors and trended upwards, or were stopped within a few steps. Does "
                 "this curve jump anywhere (its largest jump between evaluations), or trend "
                 "upwards? A monotone flat curve with no jumps: can a too-high rate do that?",
                 f"Re-read {_SECTION_1}: 'too high', and what a flat curve can mean."),
    ("C", "A"): ("knee_read_as_too_low",
                 "Section 1 gives a rate too low a smooth curve with no knee, falling at the same "
                 "slow pace from the first step to the last. Does this curve have a knee? How "
                 "much did it fall in its first 20 steps?",
                 f"Re-read {_SECTION_1}: the bullet on a rate too low."),
    ("C", "D"): ("plateau_read_as_clipped",
                 "What did section 4 find a clipped run far above the stable rates does: settle "
                 "smoothly onto a level, or something else? Compare this curve's largest jump "
                 "between evaluations.",
                 f"Re-read {_SECTION_4}."),
    ("D", "B"): ("clipped_read_as_diverging",
                 "Section 1's rates too high either made progress first and then trended "
                 "upwards, or were stopped within a few steps (✕). Does this curve do either: "
                 "did it make progress first, and was it stopped in 300 steps?",
                 f"Re-read {_SECTION_1}: the too-high rates (✕); then go through the five "
                 "causes again for this curve."),
    ("D", "A"): ("jumps_read_as_too_low",
                 "Is a too-low rate's curve smooth or jagged? Can a rate too low make the loss "
                 "jump above its start?",
                 f"Re-read {_SECTION_1}: the too-low rate; then go through the five causes "
                 "again for this curve."),
    ("D", "C"): ("jumps_read_as_decayed",
                 "A schedule that decays too soon starts at a good rate: would its loss jump "
                 "above its start at once? And once the schedule has made the rate tiny, can the "
                 "loss still jump by large factors between evaluations?",
                 f"Re-read {_SECTION_1}: the schedule too aggressive; then go through the five "
                 "causes again for this curve."),
    ("D", "E"): ("rising_read_as_good",
                 "Can a good constant rate end above the loss it started from? Compare this "
                 "curve's loss at step 0 and at step 300.",
                 f"Re-read {_SECTION_1}: 'about right'; then go through the five causes again "
                 "for this curve."),
    ("A", "E"): ("slow_read_as_good",
                 "Section 1's good rate drops steeply in its first tens of steps. Does this "
                 "curve? Where does it end at step 300, next to the other curves?",
                 f"Re-read {_SECTION_1}: 'about right' and the rate too low."),
    ("A", "C"): ("slow_read_as_decayed",
                 "A schedule that decays too soon follows the good rate's steep drop first and "
                 "then goes flat. Does this curve drop steeply anywhere, and is it flat over its "
                 "last 100 steps?",
                 f"Re-read {_SECTION_1}: the schedule too aggressive and the rate too low."),
    ("A", "B"): ("smooth_read_as_too_high",
                 "Which tells of a rate too high does section 1 give (jumps by large factors, an "
                 "upward trend, a stop), and which of them does this curve show?",
                 f"Re-read {_SECTION_1}: 'too high' and the rate too low."),
    ("A", "D"): ("smooth_read_as_clipped",
                 "What does section 4's clipped run far above the stable rates look like: smooth "
                 "or bouncing? Does this curve ever jump between evaluations?",
                 f"Re-read {_SECTION_4}; then {_SECTION_1}: the rate too low."),
    ("E", "A"): ("still_falling_read_as_too_low",
                 "Still falling at the end: does that alone say the rate is too low? Does a rate "
                 "too low drop steeply in its first steps, as this curve does?",
                 f"Re-read {_SECTION_1}: the bullets on a rate too low and 'about right'."),
    ("E", "B"): ("noise_read_as_too_high",
                 "What are the tells of a rate too high in section 1, and how does this curve "
                 "compare with them (its largest jump, its trend, was it stopped)? The loss of "
                 "each mini-batch scatters for every rate: read the loss on the whole training "
                 "set.",
                 f"Re-read {_SECTION_1}: 'about right' and 'too high'."),
    ("E", "C"): ("falling_read_as_decayed",
                 "A schedule that decayed too soon leaves the curve flat over its last 100 steps. "
                 "What does this curve do over its last 100 steps?",
                 f"Re-read {_SECTION_1}: the schedule too aggressive and 'about right'."),
    ("E", "D"): ("good_read_as_clipped",
                 "Far above the stable rates, section 4 found that clipping keeps a run from "
                 "being stopped: did such runs also train? This curve falls at every evaluation "
                 "to the lowest loss of the four.",
                 f"Re-read {_SECTION_4}: \"does not diverge\" is not \"trains\"."),
}

#: The order in which misread curves are named when several are: the curves whose misreading
#: is most often the root of the others first (a misread clipped run or plateau drags the
#: rest of the answer along).
_CURVE_PRIORITY = "DCEA"


def _grade_curves(answer: str) -> Diagnosis | None:
    truth = _curves_truth()
    if answer == truth:
        return None
    for predict, mistake, diagnosis, hint in _CURVE_MISREADINGS:
        if answer == predict(truth):
            return Diagnosis(mistake, diagnosis + _ONE_AT_A_TIME, hint, show_returned=False)
    misread = {true: given for true, given in zip(truth, answer) if true != given}
    for true in sorted(misread, key=_CURVE_PRIORITY.index):
        pair = _CURVE_PAIRS.get((true, misread[true]))
        if pair is not None:
            mistake, question, hint = pair
            return Diagnosis(
                mistake,
                f"Your answer gives {_CAUSE_WORDS[misread[true]]} as the cause of the curve "
                f"that {_CURVE_SHAPES[true]}. "
                + question + _ONE_AT_A_TIME, hint, show_returned=False)
    return Diagnosis(
        "curves_misread",
        "Your causes are not right yet, and the check recognises no misreading it can name in "
        "this answer: read each curve again on its own — the loss at the start and at the "
        "end, its change over the last 100 steps, its largest jump between evaluations, "
        "whether the run was stopped — and match it with the shapes the lesson describes.",
        f"Re-read {_SECTION_1}, and {_SECTION_4}.",
        show_returned=False)


DIAGNOSE_CURVES = ChoicePart("diagnose_curves", 2)


_CURVES_EXAMPLE = '"ABCD"'
_CURVES_FORMAT = (f"Return one string of four letters, the cause of curve 1 first, for example "
                  f"{_CURVES_EXAMPLE} (curve 1: A, curve 2: B, …).")


def _curve_letters(value) -> str:
    """The learner's answer as four upper-case cause letters, or the Diagnosis of its form.

    A string (spaces, commas and case ignored) or a list or tuple of one-letter strings;
    the order is the order of the curves, so a set (no order) is refused."""
    if value is None:
        raise Diagnosis("returned_none",
                        "It returned None instead of a string of four letters.",
                        "Did you forget the `return` statement? A function without one "
                        "returns None.", show_returned=False)
    if isinstance(value, (set, frozenset)):
        raise Diagnosis(
            "wrong_type",
            f"It returned a set, {describe(value)}: a set has no order, and the answer is read "
            "in the order of the curves (the cause of curve 1 first).",
            _CURVES_FORMAT)
    if isinstance(value, str):
        items = [c for c in value if c not in " ,"]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise Diagnosis(
            "wrong_type",
            f"It returned {type(value).__name__} {describe(value)} instead of a string of four "
            "cause letters.", _CURVES_FORMAT)
    letters = []
    for item in items:
        if not isinstance(item, str) or item.strip().upper() not in CURVE_CAUSES:
            raise Diagnosis(
                "unknown_option",
                f"It returned {describe(value)}, which holds {describe(item)}: the causes are "
                f"the letters {', '.join(CURVE_CAUSES)}.",
                _CURVES_FORMAT)
        letters.append(item.strip().upper())
    if len(letters) != len(_CURVE_RUNS):
        raise Diagnosis(
            "wrong_length",
            f"It returned {describe(value)}, {len(letters)} letter{'s' * (len(letters) != 1)}: "
            f"give one cause for each of the {len(_CURVE_RUNS)} curves, in their order.",
            _CURVES_FORMAT, show_returned=False)
    repeated = sorted({c for c in letters if letters.count(c) > 1})
    if repeated:
        raise Diagnosis(
            "repeated_letter",
            f"It returned {describe(value)}, which gives {' and '.join(repeated)} to more than "
            "one curve: the four runs were made with four different causes.",
            "Give each curve its own cause: one of the five letters fits none of them.",
            show_returned=False)
    return "".join(letters)




def check_diagnose_curves(diagnose_curves, *, hidden: bool = False) -> None:
    """Check ``diagnose_curves() -> four letters``: the cause of each of part 6's curves."""
    part = DIAGNOSE_CURVES

    def one(_case) -> None:
        value = call_learner(diagnose_curves, [], name=part.name, time_limit=part.time_limit)
        problem = _grade_curves(_curve_letters(value))
        if problem is not None:
            raise problem

    check_cases(part.name, part.points, [0], one, tried=lambda _case: f"{part.name}()",
                hidden=hidden)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = grade_cell_points(LR_RANGE_TEST, SUGGEST_LR, CLIP_GRAD_NORM, LOG_UNIFORM, PICK_SUGGESTION,
                          DIAGNOSE_CURVES)
