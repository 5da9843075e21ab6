"""Checks for exercise 07 — learning rate and generalization, and the capstone.

Parts (learner's function → check):

- ``pick_lr(lrs, train_losses, val_losses) -> float``: the rate of a sweep with the
  lowest *validation* loss; diverged runs have NaN losses and are never picked
                                                               → :func:`check_pick_lr`
- ``early_stopping(val_losses, patience) -> (best_index, stop_index)``: walk through
  the evaluations; an evaluation improves when its loss is strictly below the best so
  far; training stops at the evaluation that makes ``patience`` evaluations in a row
  without improvement (the last one, n − 1, if that never happens); keep the best
  evaluation seen up to the stop                               → :func:`check_early_stopping`
- ``read_comparison() -> one letter``: reading a fair comparison of three rates (lesson 07
  section 1 in small, :func:`comparison_experiment`): which of five readings the runs
  support, at a fixed budget and at a matched training loss; the right letter is
  computed from the runs (:func:`comparison_truth`)        → :func:`check_read_comparison`
- ``training_plan(problem) -> dict``: the capstone, a *procedure* graded on its outcome.
  ``problem`` is ``MLP(hidden=32)`` on the digits with its loss multiplied by a factor c
  (:func:`capstone_problem`; visible c = 0.03, 1, 30, hidden c = 0.15, 6): SGD's usable
  rates scale with 1/c.  The plan may measure the problem it is given (LR range test,
  short sweeps) and returns a configuration: ``optimizer`` (a fresh ``optim.SGD``, momentum
  allowed; its lr a number or a schedule), ``steps`` (≤ :data:`STEP_BUDGET`),
  ``batch_size`` (≤ :data:`MAX_BATCH_SIZE`) and optionally ``clip_norm``.  Each
  configuration is trained with :func:`lrcourse.train.run` from ``init(seed)`` (mini-batches
  seeded by the same seed: 0, 1, 2 visible, 3, 4, 5 hidden); on every problem the mean
  validation accuracy of the final parameters must reach :data:`TARGET_ACCURACY` with no
  seed below :data:`SEED_FLOOR`.                                → :func:`check_training_plan`

:func:`train_with` runs a configuration exactly as the check does, for the notebook's
"try it" cells.
"""

from __future__ import annotations

import copy
import functools
import numbers

import numpy as np

from lrcourse import optim
from lrcourse.grading.core import (
    Case, Mistake, NumberOut, Part, Diagnosis, TupleOut, call_learner, check_cases, describe,
)
from lrcourse.grading.choice import ChoicePart, check_choice_once
from lrcourse.problems import MLP
from lrcourse.problems.scaled import ScaledLoss
from lrcourse.train import RunResult, run

__all__ = [
    "PARTS",
    "STEP_BUDGET",
    "MAX_BATCH_SIZE",
    "TARGET_ACCURACY",
    "HIDDEN_UNITS",
    "capstone_problem",
    "train_with",
    "check_pick_lr",
    "check_early_stopping",
    "check_read_comparison",
    "comparison_experiment",
    "comparison_truth",
    "check_training_plan",
    "LOSS_SCALES",
]


# ---------------------------------------------------------------------------
# Part 1: pick the learning rate by validation loss
# ---------------------------------------------------------------------------

def _pick_lr(lrs, train_losses, val_losses):
    """The first rate (in the sweep's order) with the lowest validation loss; NaN skipped."""
    return float(np.asarray(lrs)[np.nanargmin(val_losses)])


def _sweep_case(lrs, train, val) -> Case:
    return Case({"lrs": np.array(lrs, dtype=float), "train_losses": np.array(train, dtype=float),
                 "val_losses": np.array(val, dtype=float)})


_NAN = np.nan

PICK_LR = Part(
    name="pick_lr",
    points=1,
    reference=_pick_lr,
    returns=NumberOut(what="the chosen learning rate"),
    cases=[
        _sweep_case([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                    [2.10, 1.45, 0.62, 0.21, 0.05, 0.02, _NAN],
                    [2.12, 1.50, 0.70, 0.33, 0.24, 0.29, _NAN]),
        _sweep_case([1e-4, 1e-3, 1e-2, 1e-1, 1.0],
                    [1.90, 0.80, 0.30, 0.10, 0.03],
                    [1.95, 0.85, 0.38, 0.31, 0.45]),
        _sweep_case([0.05, 0.1, 0.2, 0.4, 0.8, 1.6],
                    [_NAN, 0.30, 0.12, 0.05, _NAN, _NAN],
                    [_NAN, 0.36, 0.27, 0.33, _NAN, _NAN]),
        # a random search: rates unsorted, two runs tie for the lowest validation loss (the
        # first in the sweep's order is kept), one run's training loss still finite when its
        # validation loss is NaN (trial 4567)
        _sweep_case([0.02, 0.5, 0.004, 0.09, 0.2, 0.9],
                    [0.35, 0.03, 1.20, 0.11, 0.06, 0.08],
                    [0.40, _NAN, 1.22, 0.30, 0.45, 0.30]),
    ],
    hidden_cases=[
        _sweep_case(np.geomspace(1e-4, 1.0, 9),
                    [2.2, 1.7, 1.1, 0.6, 0.3, 0.12, 0.05, _NAN, _NAN],
                    [2.2, 1.7, 1.1, 0.62, 0.35, 0.26, 0.30, _NAN, _NAN]),
        _sweep_case([0.01, 0.02], [0.5, 0.4], [0.55, 0.6]),
        _sweep_case([0.3, 0.01, 0.1, 0.03, 1.0], [0.02, 0.60, 0.05, 0.21, _NAN],
                    [0.31, 0.70, 0.27, 0.27, _NAN]),
        _sweep_case([0.2, 0.05, 0.8], [0.10, 0.30, 0.04], [0.28, 0.36, _NAN]),
    ],
    mistakes=[
        Mistake(
            "picked_by_train_loss",
            "You picked the rate with the lowest *training* loss. The training loss rewards "
            "fitting the training set, not generalizing: a rate can reach a lower training "
            "loss and a higher validation loss. Choose by the validation loss.",
            "Look at val_losses, not train_losses.",
            variant=lambda lrs, train, val: float(lrs[np.nanargmin(train)]),
        ),
        Mistake(
            "picked_by_sum_of_losses",
            "You picked the rate with the lowest training + validation loss. Adding the "
            "training loss brings back what it rewards — fitting the training set — so a rate "
            "that overfits can win. The choice is made on the held-out loss alone.",
            "Which of the two losses estimates how the model does on data it has not seen?",
            variant=lambda lrs, train, val: float(lrs[np.nanargmin(train + val)]),
        ),
        Mistake(
            "nan_picked",
            "You picked a diverged run: np.argmin returns the position of the first NaN when "
            "there is one. Diverged runs (NaN loss) must be skipped.",
            "np.nanargmin ignores NaN values (or mask them out with np.isfinite first).",
            variant=lambda lrs, train, val: float(lrs[np.argmin(val)]),
        ),
        Mistake(
            "filtered_index_into_all_rates",
            "You found the best position among the *finite* losses only, then used it as a "
            "position in the full lrs: once a diverged run comes before the best one, the "
            "positions no longer line up and you return another run's rate.",
            "Keep positions aligned: filter lrs with the same mask as the losses, or use an "
            "argmin that skips NaN on the full array.",
            variant=lambda lrs, train, val: float(lrs[np.argmin(val[np.isfinite(val)])]),
        ),
        Mistake(
            "worst_picked",
            "You picked the rate with the highest validation loss: the best one has the lowest.",
            "Use argmin, not argmax.",
            variant=lambda lrs, train, val: float(lrs[np.nanargmax(val)]),
        ),
        Mistake(
            "smallest_gap",
            "You picked the rate with the smallest gap between validation and training loss. "
            "A small gap is not a good model (an untrained model has no gap at all); the "
            "validation loss itself is what to minimise.",
            "Choose the lowest validation loss.",
            variant=lambda lrs, train, val: float(lrs[np.nanargmin(val - train)]),
        ),
        Mistake(
            "largest_stable_rate",
            "You picked the largest rate that did not diverge. The largest stable rate trains "
            "fastest, but the sweep is there to compare the runs on held-out data: keep the "
            "rate whose validation loss is lowest.",
            "Compare the validation losses of the runs, not their rates.",
            variant=lambda lrs, train, val: float(np.max(lrs[np.isfinite(val)])),
        ),
        Mistake(
            "last_of_ties",
            "Two runs tie for the lowest validation loss and you kept the later one; as the "
            "exercise says, the first of them in the sweep's order is kept.",
            "Take the first position of the minimum (np.argmin and np.nanargmin do).",
            variant=lambda lrs, train, val: float(
                lrs[len(val) - 1 - np.nanargmin(val[::-1])]),
        ),
        Mistake(
            "assumed_sorted_rates",
            "You took the position of the best run in a sorted copy of lrs: the rates of a "
            "sweep need not be sorted (a random search draws them in any order), so the "
            "position must index lrs as given.",
            "Index lrs itself with the position of the lowest validation loss.",
            variant=lambda lrs, train, val: float(np.sort(lrs)[np.nanargmin(val)]),
        ),
        Mistake(
            "skipped_by_training_loss",
            "You skipped the runs whose *training* loss is NaN; the run to avoid is one whose "
            "validation loss is NaN (its training loss can still be a number). NaN in "
            "val_losses must never be picked.",
            "Skip NaN in val_losses itself.",
            variant=lambda lrs, train, val: float(
                lrs[np.isfinite(train)][np.argmin(val[np.isfinite(train)])]),
        ),
        Mistake(
            "returned_index",
            "You returned the index of the best run, not its learning rate.",
            "Return lrs[i].",
            variant=lambda lrs, train, val: float(np.nanargmin(val)),
        ),
        Mistake(
            "returned_loss",
            "You returned the best validation loss, not the learning rate that reached it.",
            "Use the position of the minimum to pick from lrs.",
            variant=lambda lrs, train, val: float(np.nanmin(val)),
        ),
    ],
    wrong_hint="The learning rate whose validation loss is lowest, skipping diverged (NaN) runs.",
    # trial 4567: "largest stable rate" was named "lowest training loss" on one case
    case_properties=(),
)


def check_pick_lr(pick_lr, *, hidden: bool = False) -> None:
    """Check ``pick_lr(lrs, train_losses, val_losses) -> float``."""
    PICK_LR.check(pick_lr, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: early stopping on the validation loss
# ---------------------------------------------------------------------------

def _early_stopping_rule(*, improves=lambda value, best: value < best, stop_after=lambda p: p,
                         reset=True, best_overall=False, never_stopped=lambda n: n - 1):
    """Early stopping written out, with switches for the common mistakes."""
    def early_stopping(val_losses, patience):
        values = np.asarray(val_losses, dtype=float)
        best, best_index, waited = np.inf, 0, 0
        stop = never_stopped(values.size)
        for i, value in enumerate(values):
            if improves(value, best):
                best, best_index = value, i
                if reset:
                    waited = 0
            else:
                waited += 1
            if waited >= stop_after(patience):
                stop = i
                break
        if best_overall:
            best_index = int(np.nanargmin(values))
        return best_index, stop
    return early_stopping


_early_stopping = _early_stopping_rule()


def _stopping_case(val_losses, patience) -> Case:
    return Case({"val_losses": np.array(val_losses, dtype=float), "patience": patience})


_INDEX = NumberOut(what="an evaluation index")

EARLY_STOPPING = Part(
    name="early_stopping",
    points=2,
    reference=_early_stopping,
    returns=TupleOut(items=(_INDEX, _INDEX), names=("best_index", "stop_index")),
    cases=[
        _stopping_case([2.0, 1.5, 1.2, 1.1, 1.15, 1.05, 1.08, 1.12, 1.20, 1.0, 1.3], 3),
        _stopping_case([1.0, 0.8, 0.8, 0.8, 0.7], 2),
        _stopping_case([1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7, 0.75, 0.76, 0.77], 3),
        _stopping_case([0.9, 0.7, 0.6, 0.55, 0.5], 2),
        _stopping_case([0.5, 0.6, 0.4, 0.45, 0.47, 0.3, 0.31, 0.32, 0.33, 0.2], 3),
        _stopping_case([3.0, 2.0, 2.5, _NAN, _NAN, _NAN, 1.0], 2),
        # patience 1, the smallest the exercise allows (patience ≥ 1): the first evaluation
        # without improvement stops
        _stopping_case([1.0, 0.9, 0.85, 0.86, 0.8], 1),
        # improvements far smaller than 10⁻⁴ of the loss still count: "strictly below"
        _stopping_case([0.5, 0.49999, 0.49998, 0.49997, 0.49998, 0.49999, 0.5], 2),
        # a NaN before the stop, with the best after it
        _stopping_case([2.0, _NAN, 1.0, _NAN, 1.5, 1.2], 3),
    ],
    hidden_cases=[
        _stopping_case([1.0, 0.99995, 0.9999, 0.99985, 0.9998, 0.99979, 0.9998, 0.9999], 2),
        _stopping_case([1.0, 1.0, 1.0, 1.0], 3),
        _stopping_case([0.4, 0.3, 0.35, 0.36, 0.2, 0.25, 0.26, 0.27, 0.28, 0.1], 4),
        _stopping_case([2.0, 1.0], 1),
    ],
    mistakes=[
        Mistake(
            "one_evaluation_late",
            "You stop one evaluation late: with patience p, training stops at the p-th "
            "evaluation in a row without improvement (the counter reaching p), not after p + 1.",
            "Stop when the counter of evaluations without improvement reaches patience.",
            variant=_early_stopping_rule(stop_after=lambda p: p + 1),
        ),
        Mistake(
            "one_evaluation_early",
            "You stop one evaluation early: patience p allows p − 1 evaluations without "
            "improvement and stops at the p-th.",
            "Count evaluations without improvement since the best one; stop when the count "
            "reaches patience.",
            variant=_early_stopping_rule(stop_after=lambda p: p - 1),
        ),
        Mistake(
            "ties_improve",
            "You counted an equal loss as an improvement; an improvement must be strictly "
            "lower than the best so far (otherwise a flat plateau never stops).",
            "Use <, not <=.",
            variant=_early_stopping_rule(improves=lambda value, best: value <= best),
        ),
        Mistake(
            "nan_improves",
            "A NaN loss (a diverged evaluation) counted as an improvement: a test such as "
            "`not (loss >= best)` is True for NaN. NaN is never better than the best so far.",
            "Test for an improvement with `loss < best`, which is False for NaN.",
            variant=_early_stopping_rule(improves=lambda value, best: not value >= best),
        ),
        Mistake(
            "counter_not_reset",
            "Your counter of evaluations without improvement is never reset: it must go back "
            "to 0 whenever the loss improves (patience counts evaluations *in a row*).",
            "Set the counter to 0 at every improvement.",
            variant=_early_stopping_rule(reset=False),
        ),
        Mistake(
            "looked_past_the_stop",
            "Your best evaluation is the minimum over *all* the losses, including evaluations "
            "after the stop — those were never computed in a real run. Keep the best among "
            "the evaluations up to the stop.",
            "Track the best index inside the loop, and stop the loop at the stop.",
            variant=_early_stopping_rule(best_overall=True),
        ),
        Mistake(
            "relative_improvement",
            "You count an evaluation as an improvement only when it beats the best by a "
            "relative margin; here an improvement is any loss strictly below the best so far, "
            "however small the difference.",
            "Compare loss < best, with no threshold.",
            variant=_early_stopping_rule(improves=lambda value, best: value < best * (1 - 1e-4)),
        ),
        Mistake(
            "nan_taken_as_best",
            "Your best index is a NaN evaluation: np.argmin returns the position of the first "
            "NaN in the losses. A NaN loss (a diverged evaluation) is never the best.",
            "Track the best inside the loop with `loss < best` (False for NaN), or use "
            "np.nanargmin on the losses up to the stop.",
            variant=lambda val, p: (int(np.argmin(np.asarray(val, float)[:_early_stopping(val, p)[1] + 1])),
                                    _early_stopping(val, p)[1]),
        ),
        Mistake(
            "best_is_stop",
            "You returned the stop index as the best one; early stopping keeps the parameters "
            "of the best evaluation, which is `patience` evaluations before the stop.",
            "Remember the index of the best evaluation when it happens.",
            variant=lambda val, p: (_early_stopping(val, p)[1],) * 2,
        ),
        Mistake(  # as diagnose.swapped_items, as a variant: it fits every case (equal items too)
            "swapped_outputs",
            "The two values are in the wrong order: return (best_index, stop_index).",
            "Both values are right, but the first item must be best_index and the second "
            "stop_index.",
            variant=lambda val, p: _early_stopping(val, p)[::-1],
        ),
        Mistake(
            "one_based_indices",
            "Your indices count the evaluations from 1; they are positions in val_losses, "
            "which Python counts from 0 (the first evaluation is index 0).",
            "Use enumerate's i (from 0), not a counter started at 1.",
            variant=lambda val, p: tuple(i + 1 for i in _early_stopping(val, p)),
        ),
        Mistake(
            "stop_past_the_end",
            "When training never stops early, the stop index is the last evaluation, "
            "len(val_losses) − 1, not len(val_losses).",
            "Indices run from 0 to len(val_losses) − 1.",
            variant=_early_stopping_rule(never_stopped=lambda n: n),
        ),
    ],
    wrong_hint="Walk through the losses: a loss strictly below the best so far is an improvement "
               "(reset the counter), anything else adds 1; stop when the counter reaches "
               "patience.",
    # trial 4567: a NaN best index was named "the stop index as the best one" on one case
    case_properties=(),
)


def check_early_stopping(early_stopping, *, hidden: bool = False) -> None:
    """Check ``early_stopping(val_losses, patience) -> (best_index, stop_index)``."""
    EARLY_STOPPING.check(early_stopping, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 3: reading lesson 07's fair comparison (fixed budget vs matched training loss)
# ---------------------------------------------------------------------------

#: The experiment of part 3, lesson 07 section 1 in small: MLP(hidden=32) on the digits, plain
#: SGD on batches of 32 at three rates, from three seeds the lesson did not use (initial
#: weights and batch order), both losses on the whole sets every COMPARE_EVAL_EVERY steps.
COMPARE_LRS = (0.05, 0.2, 0.8)
COMPARE_SEEDS = (3, 4, 5)
COMPARE_STEPS = 600
COMPARE_EVAL_EVERY = 25
#: The fixed budget of the table, and the training loss every run is compared at.
COMPARE_BUDGET = 200
MATCHED_TRAIN_LOSS = 0.1
#: "About the same" / "clearly" in the statements: validation losses within 10 % of each other.
CLEAR_MARGIN = 1.10


@functools.lru_cache(maxsize=1)
def comparison_experiment() -> dict:
    """The runs of part 3, summed up (means over the seeds; one value per rate of COMPARE_LRS).

    Returns a dict of 1-D arrays: ``train_at_budget``, ``val_at_budget`` (both losses after
    COMPARE_BUDGET steps), ``matched_step`` (the first evaluation whose training loss is at
    or below MATCHED_TRAIN_LOSS, mean over the seeds) and ``val_at_matched`` (the validation
    loss there); plus ``lrs``.  Cached: the notebook's table and the check read the same runs.
    """
    problem = MLP(hidden=HIDDEN_UNITS)
    lrs = np.array(COMPARE_LRS)
    runs = [run(problem, optim.SGD(lr=lrs[:, None]), problem.init(seed=seed), COMPARE_STEPS,
                batch_size=32, seed=seed, eval_every=COMPARE_EVAL_EVERY) for seed in COMPARE_SEEDS]
    steps = runs[0].eval_steps
    at_budget = int(np.flatnonzero(steps == COMPARE_BUDGET)[0])
    matched = np.array([[np.flatnonzero(r.train_loss[:, k] <= MATCHED_TRAIN_LOSS)[0]
                         for k in range(lrs.size)] for r in runs])          # (seed, rate): evaluation
    val_matched = np.array([[r.val_loss[matched[s, k], k] for k in range(lrs.size)]
                            for s, r in enumerate(runs)])
    return {
        "lrs": lrs,
        "train_at_budget": np.mean([r.train_loss[at_budget] for r in runs], axis=0),
        "val_at_budget": np.mean([r.val_loss[at_budget] for r in runs], axis=0),
        "matched_step": steps[matched].mean(axis=0),
        "val_at_matched": val_matched.mean(axis=0),
    }


def _clearly_highest(values, k) -> bool:
    others = np.delete(values, k)
    return bool(values[k] > CLEAR_MARGIN * others.max())


#: The statements of part 3 (option letter -> what the runs must show for it to hold).
#: Each is a reading someone might give of the table; which hold is computed from the runs.
COMPARISON_READINGS = {
    "A": lambda e: _clearly_highest(e["val_at_matched"], 0),     # the smallest rate generalizes worst
    "B": lambda e: _clearly_highest(e["val_at_matched"], -1),    # the largest rate overfits
    "C": lambda e: bool(e["val_at_matched"].max() <= CLEAR_MARGIN * e["val_at_matched"].min()),
    "D": lambda e: bool(e["val_at_matched"][-1] * CLEAR_MARGIN < np.delete(e["val_at_matched"], -1).min()),
    "E": lambda e: int(np.argmin(e["train_at_budget"])) == int(np.argmin(e["val_at_budget"])),
}


def comparison_truth() -> frozenset:
    """The options whose statement the runs of :func:`comparison_experiment` support."""
    experiment = comparison_experiment()
    return frozenset(letter for letter, holds in COMPARISON_READINGS.items() if holds(experiment))


_SECTION_FAIR = "Lesson 07, section 1 (\"How do you compare learning rates fairly for generalization?\")"

#: One message per wrong option: a question about what that reading overlooks, and where the
#: lesson looks at it — never the right reading.
_COMPARISON_PROBLEMS = {
    "A": ("budget_read_as_generalization",
          f"Your option reads the small rate's high validation loss after {COMPARE_BUDGET} steps as "
          "poor generalization. How far had that run trained by then? Find the columns that compare "
          "the rates when each has trained equally far, and check whether their numbers bear out "
          "'clearly the highest'.",
          f"{_SECTION_FAIR}: the bullet on a fixed budget, and the verdict's first bullet."),
    "B": ("gap_read_as_overfitting",
          f"Your option reads the large rate's wide gap after {COMPARE_BUDGET} steps as "
          "overfitting. What else makes a gap grow at a fixed budget? Check the claim against the "
          "columns where every rate has reached the same training loss: is η = 0.8's validation "
          "loss 'clearly the highest' there?",
          f"{_SECTION_FAIR}: the verdict's second bullet, on why the gap grows with η."),
    "D": ("high_rate_regularises",
          "Your option says the large rate regularises. Read the matched-loss columns again: is the "
          "large rate's validation loss more than 10 % below every other rate's? What did the "
          "lesson find for that claim on the digits?",
          f"{_SECTION_FAIR}: the claim check, and lesson 07 section 2 (\"Does mini-batch noise "
          "regularise?\")."),
    "E": ("chose_by_training_loss",
          f"Your option says the two losses pick the same rate after {COMPARE_BUDGET} steps. Find "
          "the rate with the lowest training loss in those columns, then the rate with the lowest "
          "validation loss there: are they the same run?",
          "Part 1 of this exercise, and lesson 07 section 7 (the ◆ and ★ marks of the explorer)."),
}


def _grade_comparison(chosen: frozenset) -> Diagnosis | None:
    if len(chosen) != 1:
        return Diagnosis(
            "choose_one",
            f"Choose one option: you gave {len(chosen)}. Which single reading do these runs "
            "support?",
            "Return a string with one letter, for example \"B\".",
            show_returned=False,
        )
    if chosen == comparison_truth():
        return None
    (letter,) = chosen
    mistake, diagnosis, hint = _COMPARISON_PROBLEMS[letter]
    return Diagnosis(mistake, diagnosis, hint, show_returned=False)


READ_COMPARISON = ChoicePart("read_comparison", 2)


def check_read_comparison(read_comparison, *, hidden: bool = False) -> None:
    """Check ``read_comparison() -> one letter``: which reading the fair comparison supports."""
    part = READ_COMPARISON
    check_choice_once(part.name, part.points, read_comparison, options="ABCDE", example='"B"',
                      grade=_grade_comparison, hidden=hidden, time_limit=part.time_limit)


# ---------------------------------------------------------------------------
# Part 4: the capstone, graded on its outcome
# ---------------------------------------------------------------------------

#: The most optimizer steps a plan's configuration may take (the finder and any sweep the
#: plan runs on the problem it is given are not counted: only the final training is).
#: The capstone grades a *procedure*, ``training_plan(problem) -> config``, on the MLP whose
#: loss is multiplied by c (:class:`lrcourse.problems.scaled.ScaledLoss`): SGD's usable rates
#: scale exactly with 1/c, while the model and the accuracy it can reach do not change.
#: Measured over seeds 0-5 on a grid of 20 rates per decade (notes/capstone.md): the passing
#: rates of any constant or fixed schedule of SGD span at most 18x (batch 128, momentum 0.9,
#: cosine; under 23x allowing for the grid), so no single rate or schedule passes two problems
#: whose c differ by 30x or more: every constant fails on a visible and on a hidden problem; the lessons'
#: plan (the finder on the given problem, 'minimum', SGD with momentum 0.9, a constant or a
#: cosine) reaches 96-97 % on every c (worst seed group mean about 96 %).
STEP_BUDGET = 100
#: The largest mini-batch allowed (full-batch gradients are not: each step must be cheap).
MAX_BATCH_SIZE = 128
#: Mean validation accuracy over the seeds the trained MLP must reach (the frameworks'
#: default rates do not).
TARGET_ACCURACY = 0.95
#: No single seed may end below this (a rate that is fine on two seeds and blows up or
#: stalls on the third is not a good configuration).
SEED_FLOOR = 0.94
#: Width of the capstone's hidden layer.
HIDDEN_UNITS = 32

CAPSTONE_POINTS = 4
#: Seeds of the initial weights and of the mini-batch order: each problem's configuration is
#: trained from every one of them, and the mean and the worst seed are graded.
CAPSTONE_SEEDS = {False: (0, 1, 2), True: (3, 4, 5)}
#: The factors c the MLP's loss is multiplied by: the visible check's three problems, and the
#: hidden check's two others.  Neighbours in each set differ by 30x or more, wider than any
#: SGD window (at most 18x measured), so no single rate serves two of them.
LOSS_SCALES = {False: (0.03, 1.0, 30.0), True: (0.15, 6.0)}
#: A plan whose (peak) rates on the visible problems are all within this factor of each other
#: returns "the same rate" for problems whose curvature differs by 400x.
_SAME_RATE_FACTOR = 2.0
#: A plan whose rate times c varies by more than this over the problems does not follow
#: their curvature (a plan that does keeps c x rate within about 2x).
_FOLLOWS_FACTOR = 4.0
#: A plan that fails on every problem in the same direction with c x rate within this factor
#: moves its rate with the problems (the finder's suggestions, normalised, spread by up to about 12x).
_MOVES_FACTOR = 20.0
_KEYS = ("optimizer", "steps", "batch_size")
_OPTIONAL_KEYS = ("clip_norm",)
_NAME = "training_plan"
_ADAPTIVE = (optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW)


def capstone_problem(loss_scale: float = 1.0) -> ScaledLoss:
    """The capstone's model, ``MLP(hidden=32)`` on the digits, with its loss × ``loss_scale``.

    The loss, its gradient and its curvature are multiplied by c = ``loss_scale``; the
    model, its predictions and its validation accuracy are those of the plain MLP.
    """
    return ScaledLoss(MLP(hidden=HIDDEN_UNITS), loss_scale)


def _problem(mistake: str, diagnosis: str, hint: str) -> Diagnosis:
    return Diagnosis(mistake, diagnosis, hint, show_returned=False)


def _validated(config) -> dict:
    """The configuration, checked key by key (raises Problem)."""
    if not isinstance(config, dict):
        raise _problem(
            "wrong_type",
            f"It returned {describe(config)} instead of a dict.",
            'Return a dict: {"optimizer": ..., "steps": ..., "batch_size": ...}.',
        ) if config is not None else _problem(
            "returned_none", "It returned None instead of a dict.",
            "Did you forget the `return` statement?")
    missing = [key for key in _KEYS if key not in config]
    if missing:
        raise _problem(
            "missing_key",
            f"The configuration has no {', '.join(repr(k) for k in missing)}.",
            'It needs "optimizer", "steps" and "batch_size" ("clip_norm" is optional).',
        )
    unknown = [key for key in config if key not in _KEYS + _OPTIONAL_KEYS]
    if unknown:
        extra = (" The learning rate (or its schedule) goes into the optimizer: "
                 "optim.Adam(lr=...)." if any(str(k).startswith("lr") or "sched" in str(k)
                                                 for k in unknown) else "")
        raise _problem(
            "unknown_key",
            f"The configuration has keys the check does not use: "
            f"{', '.join(repr(k) for k in unknown)}.{extra}",
            'Use only "optimizer", "steps", "batch_size" and "clip_norm".',
        )
    opt = config["optimizer"]
    if isinstance(opt, type):
        raise _problem(
            "optimizer_class",
            f"config['optimizer'] is the class {opt.__name__}, not an optimizer: create one.",
            f"Write {opt.__name__}(lr=...), with the arguments you chose.",
        )
    if type(opt) in _ADAPTIVE:
        raise _problem(
            "not_sgd",
            f"config['optimizer'] is {type(opt).__name__}; the capstone is trained with "
            "optim.SGD (momentum allowed). An adaptive method divides the gradient by a running "
            "scale of itself (lesson 05), so it hardly notices how the loss is scaled: the "
            "capstone asks for the optimizer whose rate must follow the curvature.",
            "Use optim.SGD(lr=..., momentum=...), with the rate your plan measures.",
        )
    if type(opt) is not optim.SGD:
        raise _problem(
            "not_a_course_optimizer",
            f"config['optimizer'] is {describe(opt)}; the capstone is trained with "
            "lrcourse.optim.SGD.",
            "from lrcourse import optim, then optim.SGD(lr=..., momentum=...).",
        )
    if not (isinstance(opt.lr, float) or callable(opt.lr)):
        raise _problem(
            "lr_array",
            "The optimizer's lr is an array; the capstone trains one model, with one learning "
            "rate (a number) or a schedule (a function step -> lr).",
            "Pass a single number or a schedule as lr.",
        )
    steps = config["steps"]
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        shown = (f"the float {float(steps)!r}" if isinstance(steps, (float, np.floating))
                 else describe(steps))
        raise _problem(
            "wrong_steps",
            f"config['steps'] is {shown}; it must be a positive integer (a count of steps: "
            "100, not 100.0).",
            f"The number of optimizer steps, at most {STEP_BUDGET}.",
        )
    if steps > STEP_BUDGET:
        raise _problem(
            "over_budget",
            f"config['steps'] is {int(steps)}: over the budget of {STEP_BUDGET} steps.",
            "Reach the target in fewer steps: a larger learning rate (up to where the LR "
            "range test shows the loss blowing up) and a schedule that decays to the end of "
            "the budget.",
        )
    batch = config["batch_size"]
    if batch is None:
        raise _problem(
            "full_batch",
            "config['batch_size'] is None (full-batch gradients); the capstone is trained "
            f"with mini-batches of at most {MAX_BATCH_SIZE} examples.",
            f"Choose a batch size between 1 and {MAX_BATCH_SIZE}.",
        )
    if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or not 1 <= batch <= MAX_BATCH_SIZE:
        raise _problem(
            "wrong_batch_size",
            f"config['batch_size'] is {describe(batch)}; it must be an integer from 1 to "
            f"{MAX_BATCH_SIZE}.",
            "Larger batches cost more per step; the budget is counted in steps.",
        )
    clip = config.get("clip_norm")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, numbers.Real)
                             or not np.isfinite(clip) or clip <= 0):
        raise _problem(
            "wrong_clip_norm",
            f"config['clip_norm'] is {describe(clip)}; it must be None or a positive number.",
            "Leave it out (or None) to train without clipping.",
        )
    return {"optimizer": opt, "steps": int(steps), "batch_size": int(batch),
            "clip_norm": None if clip is None else float(clip)}


def train_with(config: dict, seed: int = 0, loss_scale: float = 1.0) -> RunResult:
    """Train the capstone's MLP (loss × ``loss_scale``) with ``config`` as the check does.

    A copy of the optimizer is reset and trained from
    ``capstone_problem(loss_scale).init(seed)``
    with mini-batches seeded by ``seed``; the validation loss and accuracy are recorded
    ten times along the run (``result.val_accuracy[-1, 0]`` is the final accuracy).
    Raises ValueError (with the check's message) for a configuration the check refuses.
    """
    try:
        checked = _validated(config)
    except Diagnosis as problem:
        raise ValueError(f"{problem.diagnosis} {problem.hint}") from None
    return _train(checked, seed, loss_scale)


def _train(checked: dict, seed: int, loss_scale: float = 1.0) -> RunResult:
    problem = capstone_problem(loss_scale)
    opt = copy.deepcopy(checked["optimizer"])
    opt.reset()
    steps = checked["steps"]
    return run(problem, opt, problem.init(seed=seed), steps, batch_size=checked["batch_size"],
               seed=seed, clip_norm=checked["clip_norm"], eval_every=max(1, steps // 10))


def _outcome_problem(result: RunResult, checked: dict) -> Diagnosis | None:
    steps = checked["steps"]
    if result.n_runs != 1:
        return _problem(
            "lr_array",
            f"Your schedule returns {result.n_runs} learning rates per step, so "
            f"{result.n_runs} models were trained side by side; the capstone trains one.",
            "Make the schedule return a single number for each step.",
        )
    if result.diverged[0]:
        at = int(result.diverged_at[0])
        lr = result.divergence_lr(0)
        where = f" (lr there: {lr:.3g})" if np.isfinite(lr) else ""
        return _problem(
            "diverged",
            f"Training diverged at step {at}{where}: the loss blew up (it grew past 10⁴ times "
            "its starting value, or became NaN).",
            "Lower the (peak) learning rate — an LR range test on this model shows where the "
            "loss blows up; stay well below that — or warm up first, or clip the gradients.",
        )
    accuracy = float(result.val_accuracy[-1, 0])
    if accuracy >= TARGET_ACCURACY:
        return None
    train_loss = result.train_loss[:, 0]
    late = int(np.searchsorted(result.eval_steps, 0.8 * steps))
    reached = (f"After {steps} steps the validation accuracy is {accuracy:.1%}; the target "
               f"is {TARGET_ACCURACY:.0%}.")
    lrs = result.lr[:, 0]
    finite_lrs = bool(np.all(np.isfinite(lrs)))
    decays = finite_lrs and lrs[-1] < np.max(lrs) / 10
    rate = "peak rate" if decays else "learning rate"
    highest = int(np.argmax(train_loss))
    if train_loss[highest] > train_loss[0]:
        return _problem(
            "too_high",
            reached + " The training loss climbed above its starting value during the run "
            f"({train_loss[0]:.3g} at step 0, {train_loss[highest]:.3g} at step "
            f"{int(result.eval_steps[highest])}): the steps overshoot, the {rate} is far too "
            "high for this model.",
            f"Lower the {rate} well below where an LR range test on this model shows the loss "
            "blowing up.",
        )
    if train_loss[-1] > 1.5 * np.min(train_loss):
        fix = ("Your rate already decays, so the peak is too high: lower it." if decays else
               "Lower the learning rate, or let a schedule decay it over the run (cosine, "
               "one-cycle), so that the last steps are small.")
        return _problem(
            "unstable",
            reached + " The training loss went back up during the run (it ended at "
            f"{train_loss[-1]:.3g}, above its best {np.min(train_loss):.3g}): the {rate} is "
            "too high to settle.",
            fix,
        )
    barely_moved = train_loss[-1] > 0.5 * train_loss[0]
    still_falling = train_loss[-1] < 0.9 * train_loss[min(late, train_loss.size - 2)]
    decayed_early = finite_lrs and lrs[int(0.6 * (lrs.size - 1))] < np.max(lrs) / 30
    if decayed_early and not still_falling:
        return _problem(
            "decayed_too_early",
            reached + f" The training loss levelled off at {train_loss[-1]:.3g}: your schedule "
            f"had cut the rate to below 1/30 of its peak by step {int(0.6 * (lrs.size - 1))}, "
            "so the rest of the budget hardly moved the parameters.",
            "Spread the decay over the whole run (e.g. a cosine over all the steps), so the "
            "rate is small only at the end.",
        )
    opt = checked.get("optimizer")
    momentum_tip = (" — or add momentum" if type(opt) is optim.SGD and not getattr(opt, "momentum", 0)
                    else "")
    unused = (f" You also use only {steps} of the {STEP_BUDGET} steps allowed."
              if steps < STEP_BUDGET else "")
    raise_it = (f"Raise the {rate} — find the range with an LR range test{momentum_tip}; "
                "framework defaults such as 1e-3 are often far from the best rate.")
    if barely_moved or still_falling:
        how = (f"barely moved (from {train_loss[0]:.3g} to {train_loss[-1]:.3g})" if barely_moved
               else f"was still falling fast at the end ({train_loss[-1]:.3g} after the last step)")
        return _problem(
            "too_slow",
            reached + f" The training loss {how}: the {rate} is too small for the budget.{unused}",
            raise_it,
        )
    if decays:
        return _problem(
            "too_slow",
            reached + f" The training loss levelled off at {train_loss[-1]:.3g} while your "
            "schedule decayed the rate: the peak is too small for the loss to get low before "
            f"the decay.{unused}",
            raise_it,
        )
    return _problem(
        "stalled",
        reached + f" The training loss levelled off at {train_loss[-1]:.3g} at a constant "
        "rate: the mini-batch noise keeps it from going lower.",
        "Decay the rate towards the end of the run (cosine, one-cycle or a step), so the last "
        "steps are small; or raise it if the loss fell slowly from the start.",
    )


def _scale_text(c: float) -> str:
    return f"c = {c:g}"


def _times(ratio: float) -> str:
    """A ratio as people say it: 1350, 83, 2.3 (not 1.35e+03)."""
    return f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.2g}"


def _peak(checked: dict) -> float:
    """The largest rate a configuration uses over its steps (its constant rate, or its
    schedule's peak); NaN when the schedule cannot be evaluated step by step."""
    lr = checked["optimizer"].lr
    if not callable(lr):
        return float(lr)
    try:
        with np.errstate(all="ignore"):
            values = np.array([np.max(np.asarray(lr(k), dtype=float)) for k in range(checked["steps"])])
    except Exception:  # noqa: BLE001 - a schedule that fails is reported by the training itself
        return float("nan")
    values = values[np.isfinite(values)]
    return float(np.max(values)) if values.size else float("nan")


def _grade_problem(checked: dict, seeds, c: float):
    """Train one problem's configuration from every seed: (Diagnosis or None, peak rate)."""
    results = [call_learner(_train, [checked, seed, c], name="training with your plan's configuration",
                            time_limit=60.0) for seed in seeds]
    peak = _peak(checked)
    for seed, result in zip(seeds, results):
        if result.n_runs != 1 or result.diverged[0]:
            return _seed_problem(seed, _outcome_problem(result, checked), None), peak
    accuracies = [float(result.val_accuracy[-1, 0]) for result in results]
    if np.mean(accuracies) >= TARGET_ACCURACY and min(accuracies) >= SEED_FLOOR:
        return None, peak
    worst = int(np.argmin(accuracies))
    summary = (f"Validation accuracy from seeds {_seed_list(seeds)}: "
               + ", ".join(f"{a:.1%}" for a in accuracies)
               + f" (mean {_mean_text(accuracies)}); the target is a mean of "
               f"{TARGET_ACCURACY:.0%} with no seed below {SEED_FLOOR:.0%}.")
    return _seed_problem(seeds[worst], _outcome_problem(results[worst], checked), summary), peak


def _plan_problem(failures: dict, peaks: dict, scales, checked: dict) -> Diagnosis:
    """The diagnosis of a plan that missed on the problems in ``failures`` ({c: Diagnosis}).

    In order: about the same rate for every problem (too small on all: a finder's noise point;
    otherwise: the plan did not measure the problem it was given); rates that move with the
    problems (c x rate within :data:`_MOVES_FACTOR`) but are too high, or too low, on every
    one; rates that do not follow the curvature (c x rate spread over more than
    :data:`_FOLLOWS_FACTOR`); otherwise the first failing problem's own diagnosis, introduced
    by the problem.  Never a passing rate: only the plan's own rates and the problems' c."""
    finite = {c: lr for c, lr in peaks.items() if np.isfinite(lr) and lr > 0}
    failed = ", ".join(_scale_text(c) for c in scales if c in failures)
    first = next(c for c in scales if c in failures)
    head = (f"Your plan missed the target on the problem{'s' if len(failures) > 1 else ''} "
            f"with {failed}. On {_scale_text(first)}: ")
    same = len(finite) == len(scales) and max(finite.values()) <= _SAME_RATE_FACTOR * min(finite.values())
    if same and len(failures) == len(scales) and all(d.mistake == "too_slow" for d in failures.values()):
        return _problem(
            "same_rate_too_small_everywhere",
            f"Your plan chose about the same rate ({min(finite.values()):.3g}) for every problem, "
            "and it was too small on every one of them, even on the problem whose loss is "
            "scaled up most. " + head + failures[first].diagnosis,
            "If the rate comes from an LR range test: which suggestion rule returns one of the "
            "first rates of the ramp on a noisy curve, whatever the problem (lesson 06, "
            "section 3)? Choose a rule that reads the curve where the loss falls.",
        )
    if same:
        shown = ", ".join(f"{finite[c]:.3g} for {_scale_text(c)}" for c in scales)
        spread = max(scales) / min(scales)
        return _problem(
            "same_rate_for_every_problem",
            f"Your plan chose about the same (peak) rate for every problem ({shown}), although "
            f"their losses — and so their gradients and curvatures — differ by a factor of "
            f"{spread:g}. A rate that is right for one of them is too small or too large for the "
            "others: the same rate cannot serve them all. " + head + failures[first].diagnosis,
            "Did your plan measure the problem it was given? Run the LR range test "
            "(tune.lr_finder) on `problem` itself, inside training_plan, and derive the rate "
            "from its curve (lesson 06, section 3).",
        )
    if len(finite) == len(scales):
        normalised = {c: c * lr for c, lr in finite.items()}
        spread = max(normalised.values()) / min(normalised.values())
        low, high = min(scales), max(scales)
        moved = (f"from {_scale_text(low)} to {_scale_text(high)} the curvature grows "
                 f"{high / low:g} times and your plan's rate fell {_times(finite[low] / finite[high])} "
                 "times")
        everywhere = len(failures) == len(scales)
        if spread <= _MOVES_FACTOR and everywhere and all(
                d.mistake in ("diverged", "too_high", "unstable") for d in failures.values()):
            return _problem(
                "rates_follow_but_too_high",
                f"Your plan's rates move with the problems ({moved}), but on every problem the "
                "(peak) rate is too high. " + head + failures[first].diagnosis,
                "If the rate comes from an LR range test: at the curve's lowest point training is "
                "already about to blow up (lesson 06, section 3). What does the rule you use do "
                "with that point?",
            )
        if spread <= _MOVES_FACTOR and everywhere and all(
                d.mistake == "too_slow" for d in failures.values()):
            no_momentum = not any(getattr(checked[c]["optimizer"], "momentum", 0) for c in scales)
            return _problem(
                "rates_follow_but_too_low",
                f"Your plan's rates move with the problems ({moved}), but on every problem the "
                "(peak) rate is too small for the budget. " + head + failures[first].diagnosis,
                "Lesson 06, section 3: every suggestion rule lands below the best rate, by a "
                "factor that moves with the settings; compare a few multiples of the suggestion "
                "by their validation loss (a short sweep, as in part 1)."
                + (" And train with the momentum your range test ran with." if no_momentum else ""),
            )
        if spread > _FOLLOWS_FACTOR:
            return _problem(
                "rate_not_following_curvature",
                f"The rates your plan returns do not follow the curvature of the problem they are "
                f"for: {moved}. " + head + failures[first].diagnosis,
                "Look at what your plan measures on the problem where it failed: did the LR "
                "range test's ramp reach the rates where *this* problem's loss blows up "
                "(FinderResult.stopped_at is None when it never did), and is the rule you read "
                "off the curve one that lesson 06 (section 3) found close to the best rate?",
            )
    diagnosis = failures[first]
    return _problem(diagnosis.mistake, head + diagnosis.diagnosis, diagnosis.hint)


def check_training_plan(training_plan, *, hidden: bool = False) -> None:
    """Check ``training_plan(problem) -> dict`` on the capstone MLP with its loss scaled.

    For each c in ``LOSS_SCALES[hidden]`` (0.03, 1 and 30; hidden: 0.15 and 6) the plan is
    called on ``capstone_problem(c)`` (within the learner time limit) and its configuration
    is checked as the capstone's (SGD only, at most :data:`STEP_BUDGET` steps, batches of at
    most :data:`MAX_BATCH_SIZE`) and trained from seeds 0, 1, 2 (hidden: 3, 4, 5); on every
    problem the mean validation accuracy must reach :data:`TARGET_ACCURACY` with no seed
    below :data:`SEED_FLOOR`.  A plan that misses is diagnosed as a plan first (the same rate
    for every problem; rates that do not follow the curvature), then by the first failing
    problem's run.
    """
    def train_and_grade(scales):
        checked = {}
        for c in scales:
            config = call_learner(training_plan, [capstone_problem(c)], name=_NAME)
            try:
                checked[c] = _validated(config)
            except Diagnosis as problem:
                raise _problem(problem.mistake, f"For the problem with {_scale_text(c)}: "
                               + problem.diagnosis, problem.hint) from None
        failures, peaks = {}, {}
        for c in scales:
            failure, peaks[c] = _grade_problem(checked[c], CAPSTONE_SEEDS[hidden], c)
            if failure is not None:
                failures[c] = failure
        if failures:
            raise _plan_problem(failures, peaks, scales, checked)

    scales = LOSS_SCALES[hidden]
    check_cases(_NAME, CAPSTONE_POINTS, [scales], train_and_grade,
                lambda scales: f"{_NAME}(capstone_problem(c)) for c = "
                               f"{', '.join(f'{c:g}' for c in scales)}, then training "
                               f"MLP(hidden={HIDDEN_UNITS}) with each configuration from seeds "
                               f"{_seed_list(CAPSTONE_SEEDS[hidden])}",
                hidden=hidden)


def _mean_text(accuracies) -> str:
    """The mean accuracy with enough digits that a mean below the target never reads as
    the target (94.97 % is shown as 94.97 %, not 95.0 %)."""
    mean = float(np.mean(accuracies))
    for digits in (1, 2, 3, 4):
        text = f"{mean:.{digits}%}"
        if (float(text.rstrip("%")) / 100 >= TARGET_ACCURACY) == (mean >= TARGET_ACCURACY):
            return text
    return f"{mean:.5%}"


def _seed_list(seeds) -> str:
    return ", ".join(str(seed) for seed in seeds)


def _seed_problem(seed: int, problem: Diagnosis, summary: str | None) -> Diagnosis:
    """``problem`` (the diagnosis of one seed's run) introduced by the seed and a summary."""
    head = (summary + "\n  " if summary else "") + f"From seed {seed}: "
    return _problem(problem.mistake, head + problem.diagnosis, problem.hint)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = {
    "check_pick_lr": PICK_LR.points,
    "check_early_stopping": EARLY_STOPPING.points,
    "check_read_comparison": READ_COMPARISON.points,
    "check_training_plan": CAPSTONE_POINTS,
}
