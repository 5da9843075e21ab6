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
  (:func:`capstone_problem`; visible c = 0.01, 1, 1000, hidden c = 0.05, 10): SGD's usable
  rates scale with 1/c.  The plan may measure the problem it is given (LR range test,
  short sweeps) and returns a configuration: ``optimizer`` (a fresh ``optim.SGD``, momentum
  allowed; its lr a number or a schedule), ``steps`` (≤ :data:`STEP_BUDGET`),
  ``batch_size`` (≤ :data:`MAX_BATCH_SIZE`); no ``clip_norm`` (clipping every step fixes
  the step's length and hides the loss's scale).  Each
  configuration is trained with :func:`lrcourse.train.run` from ``init(seed)`` (mini-batches
  seeded by the same seed: 0, 1, 2 visible, 3, 4, 5 hidden); on every problem the mean
  validation accuracy of the final parameters must reach :data:`TARGET_ACCURACY` with no
  seed below :data:`SEED_FLOOR`.                                → :func:`check_training_plan`

:func:`train_with` runs a configuration exactly as the check does, for the notebook's
"try it" cells.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import numbers

import numpy as np

from lrcourse import optim
from lrcourse import train as _train_module
from lrcourse.grading.core import (
    Case, Diagnosis, Mistake, Output, Part, PartPoints, TupleOut, call_learner, check_cases, choice_letters,
    describe, grade_cell_points,
)
from lrcourse.grading.choice import ChoicePart, repeated_letters
from lrcourse.grading.outputs import NumberOnlyOut
from lrcourse.problems import MLP
from lrcourse.problems.scaled import ScaledLoss
from lrcourse.train import RunResult, at_training_loss, run

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
    "PLAN_TIME_LIMIT",
]


# ---------------------------------------------------------------------------
# Showing short input arrays in full
# ---------------------------------------------------------------------------

#: Input arrays up to this length are shown value by value in a failure message (``describe``
#: shows only the shape of an array longer than 8), so that the learner can rerun the case.
_SHOWN_IN_FULL = 24


def _listed(values) -> str:
    """``np.array([...])`` of a 1-D float array, as code the learner can paste into a cell
    (NaN as ``np.nan``); the array's shape when it is longer than :data:`_SHOWN_IN_FULL`."""
    values = np.asarray(values, dtype=float)
    if values.size > _SHOWN_IN_FULL:
        return describe(values)
    items = ("np.nan" if np.isnan(v) else repr(float(v)) for v in values)
    return f"np.array([{', '.join(items)}])"


def _case_shown_in_full(**args) -> Case:
    """A :class:`Case` whose 1-D float arrays are shown value by value in messages."""
    shown = {name: _listed(value) for name, value in args.items() if isinstance(value, np.ndarray)}
    return Case(args, shown=shown)


# ---------------------------------------------------------------------------
# Part 1: pick the learning rate by validation loss
# ---------------------------------------------------------------------------
#
# The instructions: the inputs are 1-D NumPy arrays of floats of the same length (one run per
# entry, at least one run not diverged); a diverged run has a NaN validation loss (its
# training loss may be a number); the rates need not be sorted; ties go to the first run in
# the order of lrs.  The result is one number (the notebook prints it with f"{lr:.3g}").

def _pick_lr(lrs, train_losses, val_losses):
    """The first rate (in the sweep's order) with the lowest validation loss; NaN skipped."""
    return float(np.asarray(lrs)[np.nanargmin(val_losses)])


@dataclasses.dataclass(frozen=True)
class _RateOut(NumberOnlyOut):
    """The chosen rate: one float64 number; None is told what usually leaves it."""

    def accept(self, value, args):
        if value is None:
            raise Diagnosis(
                "returned_none",
                f"It returned None instead of {self.what}: if your code starts from None and "
                "replaces it with each better run, it never found a best run on this sweep.",
                "Which runs does your loop visit, and does every path end with a `return` of a "
                "rate?",
                show_returned=False,
            )
        return super().accept(value, args)


def _sweep_case(lrs, train, val) -> Case:
    return _case_shown_in_full(lrs=np.array(lrs, dtype=float), train_losses=np.array(train, dtype=float),
                               val_losses=np.array(val, dtype=float))


def _sweep_random(seed: int) -> Case:
    """A seeded random sweep: 2-10 runs, rates drawn on a log scale in any order (or sorted),
    losses rounded to 2 decimals, diverged runs anywhere but not all, and in every other
    draw a tie for the lowest validation loss."""
    rng = np.random.default_rng(700 + seed)
    n = int(rng.integers(2, 11))
    lrs = np.round(10.0 ** rng.uniform(-4, 0.5, size=n), 5)
    if seed % 3 == 0:
        lrs = np.sort(lrs)
    train = np.round(rng.uniform(0.01, 2.0, size=n), 2)
    val = np.round(train + rng.uniform(0.0, 0.4, size=n), 2)
    diverged = rng.random(n) < 0.3
    diverged[rng.integers(n)] = False                     # at least one run trained
    val[diverged] = np.nan
    train[diverged & (rng.random(n) < 0.5)] = np.nan      # some blew up before the last record
    finite = np.flatnonzero(~diverged)
    if seed % 2 and finite.size > 1:                      # a tie for the lowest loss
        val[rng.choice(finite[finite != np.nanargmin(val)])] = np.nanmin(val)
    return _sweep_case(lrs, train, val)


_NAN = np.nan


def _first_run_kept_when_nan(lrs, train, val):
    """A search whose best starts at the first run (a loop from ``best = val[0]``, Python's
    ``min()`` over the losses): a NaN there is never replaced, every comparison with it being
    False."""
    best, best_lr = val[0], lrs[0]
    for lr, loss in zip(lrs[1:], val[1:]):
        if loss < best:
            best, best_lr = loss, lr
    return float(best_lr)


def _skipped_first_run(lrs, train, val):
    """A loop over positions 1, 2, … (the first run's rate kept only if nothing beats inf)."""
    best, best_lr = np.inf, lrs[0]
    for lr, loss in zip(lrs[1:], val[1:]):
        if loss < best:
            best, best_lr = loss, lr
    return float(best_lr)


def _tie_to_smaller_rate(lrs, train, val):
    """``min`` over (loss, rate) pairs, or sorting the runs by rate first: equal losses are
    told apart by the rate, so a tie goes to the smaller rate."""
    finite = np.isfinite(val)
    return float(min(zip(val[finite], lrs[finite]))[1])


def _on_run(lrs, val, output):
    """The positions of the runs whose rate is ``output``."""
    return np.flatnonzero(np.isclose(lrs, output, rtol=1e-9, atol=0.0))


def _returned_a_diverged_run(args, output, expected):
    runs = _on_run(args["lrs"], args["val_losses"], output)
    return runs.size > 0 and bool(np.all(np.isnan(args["val_losses"][runs])))


def _returned_a_later_tie(args, output, expected):
    val = args["val_losses"]
    runs = _on_run(args["lrs"], val, output)
    return runs.size > 0 and bool(np.all(val[runs] == np.nanmin(val)))


def _returned_a_close_run(args, output, expected):
    val = args["val_losses"]
    runs = _on_run(args["lrs"], val, output)
    best = np.nanmin(val)
    return runs.size > 0 and bool(np.all((val[runs] > best) & (val[runs] <= 1.1 * best)))


def _returned_a_worse_run(args, output, expected):
    val = args["val_losses"]
    runs = _on_run(args["lrs"], val, output)
    return runs.size > 0 and bool(np.all(val[runs] > np.nanmin(val)))


def _returned_no_rate(args, output, expected):
    return _on_run(args["lrs"], args["val_losses"], output).size == 0


#: The visible cases; the hidden check tries them again with boundary and seeded random ones, so
#: that a mistake it names fits the inputs the visible check names it on.
_SWEEPS = [
    _sweep_case([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                [2.10, 1.45, 0.62, 0.21, 0.05, 0.02, _NAN],
                [2.12, 1.50, 0.70, 0.33, 0.24, 0.29, _NAN]),
    _sweep_case([1e-4, 1e-3, 1e-2, 1e-1, 1.0],
                [1.90, 0.80, 0.30, 0.10, 0.03],
                [1.95, 0.85, 0.38, 0.31, 0.45]),
    # near ties that are not ties: a larger rate within 5 % of the lowest loss, then an
    # earlier run 1 % above it (rounding or a tolerance makes either one "the lowest")
    _sweep_case([0.01, 0.03, 0.1, 0.3], [0.45, 0.22, 0.15, 0.30], [0.50, 0.30, 0.31, 0.45]),
    _sweep_case([0.01, 0.03, 0.1, 0.3], [0.45, 0.22, 0.15, 0.30], [0.50, 0.304, 0.301, 0.45]),
    # the first run diverged: a search that starts from it never leaves it
    _sweep_case([0.05, 0.1, 0.2, 0.4, 0.8, 1.6],
                [_NAN, 0.30, 0.12, 0.05, _NAN, _NAN],
                [_NAN, 0.36, 0.27, 0.33, _NAN, _NAN]),
    # a random search: rates unsorted, two runs tie for the lowest validation loss (the
    # first in the sweep's order is kept), one run's training loss still finite when its
    # validation loss is NaN (trial 4567)
    _sweep_case([0.02, 0.5, 0.004, 0.09, 0.2, 0.9],
                [0.35, 0.03, 1.20, 0.11, 0.06, 0.08],
                [0.40, _NAN, 1.22, 0.30, 0.45, 0.30]),
    # the best run is the first one, then the last one (a loop that skips either end)
    _sweep_case([0.01, 0.03, 0.1, 0.3], [0.15, 0.12, 0.08, _NAN], [0.20, 0.25, 0.31, _NAN]),
    _sweep_case([0.001, 0.01, 0.1], [0.85, 0.45, 0.22], [0.90, 0.50, 0.30]),
    # a tie where the first run is the LARGER rate (trial 07: a tie broken by the rate)
    _sweep_case([0.3, 0.1, 1.0], [0.18, 0.21, 0.50], [0.25, 0.25, _NAN]),
]

PICK_LR = Part(
    name="pick_lr",
    points=1,
    reference=_pick_lr,
    returns=_RateOut(what="the chosen learning rate"),
    cases=_SWEEPS,
    hidden_cases=[
        *_SWEEPS,
        _sweep_case(np.round(np.geomspace(1e-4, 1.0, 9), 6),
                    [2.2, 1.7, 1.1, 0.6, 0.3, 0.12, 0.05, _NAN, _NAN],
                    [2.2, 1.7, 1.1, 0.62, 0.35, 0.26, 0.30, _NAN, _NAN]),
        _sweep_case([0.01, 0.02], [0.5, 0.4], [0.55, 0.6]),
        _sweep_case([0.3, 0.01, 0.1, 0.03, 1.0], [0.02, 0.60, 0.05, 0.21, _NAN],
                    [0.31, 0.70, 0.27, 0.27, _NAN]),
        _sweep_case([0.2, 0.05, 0.8], [0.10, 0.30, 0.04], [0.28, 0.36, _NAN]),
        _sweep_case([0.1], [0.3], [0.4]),                          # a sweep of one run
        _sweep_case([1.0, 0.1, 0.01], [_NAN, _NAN, 0.9], [_NAN, _NAN, 0.95]),   # one survivor, last
        *[_sweep_random(seed) for seed in range(10)],
    ],
    mistakes=[
        Mistake(
            "picked_by_train_loss",
            "You picked the rate with the lowest *training* loss. The training loss rewards "
            "fitting the training set, not generalizing: a rate can reach a lower training "
            "loss and a higher validation loss. Choose by the validation loss.",
            "Which of the two losses is measured on examples the model never trained on?",
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
            "You returned the rate of the first diverged run (the first NaN validation loss). "
            "np.argmin treats NaN as smaller than every number, and np.nan_to_num turns it into "
            "0, the lowest loss of all: either way a diverged run wins. It must never be picked.",
            "A diverged run has no loss to compare: leave it out of the comparison instead of "
            "giving it a value — and keep each remaining loss next to its own rate.",
            variant=lambda lrs, train, val: float(lrs[np.argmin(val)]),
        ),
        Mistake(
            "first_run_kept_when_nan",
            "Your search starts from the first run and keeps it when its validation loss is NaN: "
            "every comparison with NaN is False, so no later loss ever replaces it (a loop whose "
            "best starts at val_losses[0], or Python's min() over the losses, works this way; "
            "and `loss is np.nan` is False for a NaN read from an array, which is a new float "
            "object).",
            "Start the search from a best that any finite loss beats, or leave the diverged runs "
            "out before comparing; test for NaN with np.isnan or math.isnan, not `is`.",
            variant=_first_run_kept_when_nan,
        ),
        Mistake(
            "filtered_index_into_all_rates",
            "You found the best position among the *finite* losses only, then used it as a "
            "position in the full lrs: once a diverged run comes before the best one, the "
            "positions no longer line up and you return another run's rate.",
            "Keep positions aligned: whatever you leave out of the losses, leave out of the "
            "rates too (or work on the full arrays).",
            variant=lambda lrs, train, val: float(lrs[np.argmin(val[np.isfinite(val)])]),
        ),
        Mistake(
            "worst_picked",
            "You picked the rate with the highest validation loss: the best one has the lowest.",
            "A loss is better when it is smaller: which end of the losses does your code keep?",
            variant=lambda lrs, train, val: float(lrs[np.nanargmax(val)]),
        ),
        Mistake(
            "smallest_gap",
            "You picked the rate with the smallest gap between validation and training loss. "
            "A small gap is not a good model (an untrained model has no gap at all); the "
            "validation loss itself is what to minimise.",
            "Lesson 07 section 1: the gap and the validation loss answer different questions. "
            "Which one says how well the model does on new data?",
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
            "skipped_first_run",
            "Your search never considers the first run of the sweep (a loop over "
            "range(1, len(lrs)), say): every run, from the first to the last, is a candidate.",
            "Check which positions your loop visits: print them for a sweep of three runs.",
            variant=_skipped_first_run,
        ),
        Mistake(
            "skipped_last_run",
            "Your search never considers the last run of the sweep (a loop over "
            "range(len(lrs) - 1), say): every run, from the first to the last, is a candidate.",
            "Check which positions your loop visits: print them for a sweep of three runs.",
            variant=lambda lrs, train, val: float(lrs[np.nanargmin(val[:-1])]),
        ),
        Mistake(
            "tie_to_smaller_rate",
            "Two runs tie for the lowest validation loss and you kept the one with the smaller "
            "rate; the exercise keeps the first of them in the order of lrs — the rates are not "
            "sorted, so the first is not always the smaller. Comparing (loss, rate) pairs, or "
            "sorting the runs by rate first, lets the rate break the tie.",
            "Compare the losses alone, visiting the runs in the order given.",
            variant=_tie_to_smaller_rate,
        ),
        Mistake(
            "last_of_ties",
            "Two runs tie for the lowest validation loss and you kept the later one; as the "
            "exercise says, the first of them in the sweep's order is kept.",
            "When does your code replace the best run: on a lower loss, or also on an equal one?",
            variant=lambda lrs, train, val: float(
                lrs[len(val) - 1 - np.nanargmin(val[::-1])]),
        ),
        Mistake(
            "assumed_sorted_rates",
            "You took the position of the best run in a sorted copy of lrs: the rates of a "
            "sweep need not be sorted (a random search draws them in any order), so the "
            "position must index lrs as given.",
            "A position found in val_losses belongs to the arrays as they were given.",
            variant=lambda lrs, train, val: float(np.sort(lrs)[np.nanargmin(val)]),
        ),
        Mistake(
            "skipped_by_training_loss",
            "You skipped the runs whose *training* loss is NaN; the run to avoid is one whose "
            "validation loss is NaN (its training loss can still be a number). NaN in "
            "val_losses must never be picked.",
            "Which array says that a run diverged by the end?",
            variant=lambda lrs, train, val: float(
                lrs[np.isfinite(train)][np.argmin(val[np.isfinite(train)])]),
        ),
        Mistake(
            "returned_index",
            "You returned the position of the best run, not its learning rate.",
            "The function returns a rate: which of the three arrays holds the rates?",
            variant=lambda lrs, train, val: float(np.nanargmin(val)),
        ),
        Mistake(
            "returned_loss",
            "You returned the best validation loss, not the learning rate that reached it.",
            "The function returns a rate: which of the three arrays holds the rates?",
            variant=lambda lrs, train, val: float(np.nanmin(val)),
        ),
        # Properties of one case, named when no mistake above explains every case:
        Mistake(
            "diverged_run_returned",
            "You returned the rate of a diverged run: its validation loss is NaN. A diverged "
            "run is never picked, wherever it sits in the sweep.",
            "How does your code compare a NaN with a number? Every such comparison is False.",
            detect=_returned_a_diverged_run,
        ),
        Mistake(
            "not_a_swept_rate",
            "You returned a number that is not one of the sweep's rates (lrs).",
            "The answer is one of the entries of lrs, as given.",
            detect=_returned_no_rate,
        ),
        Mistake(
            "later_tie_returned",
            "The run you returned ties for the lowest validation loss, but an earlier run in "
            "the order of lrs has the same loss; the exercise keeps the first of them.",
            "When does your code replace the best run: on a lower loss, or also on an equal one?",
            detect=_returned_a_later_tie,
        ),
        Mistake(
            "close_loss_taken_as_lowest",
            "The run you returned has a validation loss close to the lowest but above it. Only "
            "exactly equal losses tie: no rounding, no tolerance, no preference for a larger "
            "rate among good ones.",
            "Compare the losses exactly as they are given.",
            detect=_returned_a_close_run,
        ),
        Mistake(
            "not_the_lowest",
            "The run you returned is not the one with the lowest validation loss: another run "
            "of the sweep has a lower one.",
            "Go through every run and keep the one whose validation loss is lowest.",
            detect=_returned_a_worse_run,
        ),
    ],
    wrong_hint="Go through every run, skip the diverged ones, and keep the rate whose validation "
               "loss is lowest.",
    # a mistake is named when it explains every case; otherwise the first wrong case's property
    case_properties=("diverged_run_returned", "not_a_swept_rate", "later_tie_returned",
                     "close_loss_taken_as_lowest", "not_the_lowest"),
)


def check_pick_lr(pick_lr, *, hidden: bool = False) -> None:
    """Check ``pick_lr(lrs, train_losses, val_losses) -> float``."""
    PICK_LR.check(pick_lr, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 2: early stopping on the validation loss
# ---------------------------------------------------------------------------
#
# The instructions: val_losses is a 1-D NumPy array of floats (finite or NaN), patience an int
# ≥ 1; among the first `patience` evaluations at least one loss is finite, so there is a best
# evaluation at the stop (the check never passes the undefined case).  The two indices must be
# ints: the notebook's next cell indexes arrays with them (steps[stop]).

def _early_stopping(val_losses, patience):
    """The rule as the instructions state it (a NaN never improves: ``nan < best`` is False)."""
    best, best_index, waited = np.inf, 0, 0
    for i, loss in enumerate(val_losses):
        if loss < best:
            best, best_index, waited = loss, i, 0
        else:
            waited += 1
            if waited >= patience:
                return best_index, i
    return best_index, len(val_losses) - 1


def _walk(*, improves=lambda loss, best: loss < best, stops=lambda waited, p: waited >= p,
          reset=True, first_best=None, skip_nan=False, last_visited=lambda n: n, best_after=None,
          never_stopped=lambda n: n - 1):
    """Early stopping written out the way a learner writes it, with switches for the mistakes.

    ``improves(loss, best)``: the test for an improvement; ``stops(waited, p)``: the stop test,
    made after each evaluation without improvement; ``reset``: the counter goes back to 0 at an
    improvement; ``first_best(values)``: ``(best, best_index, first evaluation visited, waited)``
    to start from (default: no best yet, from evaluation 0); ``skip_nan``: NaN evaluations are
    passed over without counting; ``last_visited(n)``: how many evaluations the loop visits;
    ``best_after(values, best_index, stop)``: the best index returned, from the stop;
    ``never_stopped(n)``: the stop index when the counter never reaches p.
    """
    def early_stopping(val_losses, patience):
        values = np.asarray(val_losses, dtype=float)
        best, best_index, start, waited = (np.inf, 0, 0, 0) if first_best is None else first_best(values)
        stop = never_stopped(values.size)
        for i in range(start, last_visited(values.size)):
            loss = values[i]
            if skip_nan and np.isnan(loss):
                continue
            if improves(loss, best):
                best, best_index = loss, i
                if reset:
                    waited = 0
            else:
                waited += 1
                if stops(waited, patience):
                    stop = i
                    break
        if best_after is not None:
            best_index = best_after(values, best_index, stop)
        return best_index, stop
    return early_stopping


def _lesson06_formula(val_losses, patience):
    """Lesson 06 section 5's two lines, which assume no NaN: np.argmin returns the first NaN's
    position, so after a NaN the "best" is the NaN and the count since it restarts there."""
    val = np.asarray(val_losses, dtype=float)
    since_best = np.array([i - int(np.argmin(val[: i + 1])) for i in range(val.size)])
    stop = int(np.argmax(since_best >= patience)) if np.any(since_best >= patience) else val.size - 1
    return int(np.argmin(val[: stop + 1])), stop


def _compared_with_previous(*, from_first: bool):
    """An "improvement" when the loss is below the previous evaluation's, not the best so far;
    the loop starts at evaluation 0 (against no previous loss) or at 1 (against val_losses[0])."""
    def early_stopping(val_losses, patience):
        values = np.asarray(val_losses, dtype=float)
        best_index, waited = 0, 0
        for i in range(0 if from_first else 1, values.size):
            if values[i] < (values[i - 1] if i > 0 else np.inf):
                best_index, waited = i, 0
            else:
                waited += 1
                if waited >= patience:
                    return best_index, i
        return best_index, values.size - 1
    return early_stopping


def _running_min_with_nan(val_losses, patience):
    """The best so far as ``np.min(val_losses[:i])``: NaN once a NaN has been seen, after which
    nothing improves."""
    val = np.asarray(val_losses, dtype=float)
    best_index, waited = 0, 0
    for i in range(1, val.size):
        if val[i] < np.min(val[:i]):
            best_index, waited = i, 0
        else:
            waited += 1
            if waited >= patience:
                return best_index, i
    return best_index, val.size - 1


def _global_best_plus_patience(val_losses, patience):
    """The best evaluation over the whole array, and the stop p evaluations after it."""
    val = np.asarray(val_losses, dtype=float)
    best = int(np.nanargmin(val))
    return best, min(best + patience, val.size - 1)


def _stopping_case(val_losses, patience) -> Case:
    return _case_shown_in_full(val_losses=np.array(val_losses, dtype=float), patience=patience)


def _stopping_random(seed: int) -> Case:
    """A seeded random validation curve: a noisy fall that levels off or turns up, values
    rounded to 3 decimals (ties), NaN now and then (never all of the first p), p from 1 to 5."""
    rng = np.random.default_rng(7000 + seed)
    n = int(rng.integers(3, 21))
    patience = int(rng.integers(1, 6))
    steps = np.arange(n)
    trend = 0.3 + 1.5 * np.exp(-steps / rng.uniform(1.0, 6.0)) + rng.uniform(0.0, 0.03) * steps
    values = np.round(trend + rng.normal(0.0, rng.choice([0.002, 0.02, 0.08]), size=n), 3)
    values[rng.random(n) < 0.1] = np.nan
    if np.all(np.isnan(values[:patience])):
        values[int(rng.integers(min(patience, n)))] = 1.9
    return _stopping_case(values, patience)


def _shown_value(value) -> str:
    """A returned value with its type, a float with its decimal point (5.0, not 5)."""
    if isinstance(value, (float, np.floating)):
        return f"the float {float(value)!r}"
    return f"{type(value).__name__} {describe(value)}"


@dataclasses.dataclass(frozen=True)
class _IndexOut(Output):
    """A position in val_losses: an int or a NumPy integer (the next cell indexes with it)."""

    what: str = "an evaluation index"

    def accept(self, value, args):
        if value is None:
            raise Diagnosis("returned_none", f"It returned None instead of {self.what}.",
                            "Every path through your function must end with a `return` of both "
                            "indices.", show_returned=False)
        if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
            return int(value)
        losses = np.asarray(args["val_losses"], dtype=float)
        if (isinstance(value, (numbers.Real, np.floating)) and not isinstance(value, (bool, np.bool_))
                and np.any(losses == value) and float(value) != int(value)):
            raise Diagnosis(
                "returned_best_loss",
                f"It returned {describe(value)}, one of the validation losses, instead of "
                f"{self.what}: the position of the evaluation in val_losses, counted from 0.",
                "Keep the position of the evaluation where the best loss occurs, not the loss.",
            )
        raise Diagnosis(
            "wrong_type",
            f"It returned {_shown_value(value)} instead of {self.what} as an "
            "integer: the next cell of the notebook uses it to index arrays (steps[stop]), and "
            "NumPy refuses a float or an array as an index.",
            "Return Python ints (or the NumPy integers np.argmin gives); int(...) converts.",
        )


_INDEX = _IndexOut()

_NAN_COMPARES_FALSE = "every comparison with NaN is False"

#: The visible cases; the hidden check tries them again with boundary and seeded random ones.
_CURVES = [
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
    # ... and steps of 2·10⁻⁶ of the loss, which np.isclose calls equal (trial 07)
    _stopping_case([0.5, 0.499999, 0.499998, 0.499999, 0.5, 0.499997], 2),
    # a NaN before the stop, with the best after it
    _stopping_case([2.0, _NAN, 1.0, _NAN, 1.5, 1.2], 3),
    # the first evaluation is NaN: the best is a later one (trial 07)
    _stopping_case([_NAN, 1.0, 0.9, 0.95, 0.96], 2),
    # a NaN right after the best, then a loss that beats the best (NaN must not end the
    # search for a better loss)
    _stopping_case([1.2, 1.0, _NAN, 0.9, 0.95, 0.97, 0.99, 0.98], 3),
    # patience longer than the run: it never stops early
    _stopping_case([1.0, 0.9, 0.95], 5),
    # a plateau of equal losses that never ends: it must stop on it
    _stopping_case([1.2, 0.9, 0.9, 0.9, 0.9, 0.9], 2),
]

EARLY_STOPPING = Part(
    name="early_stopping",
    points=2,
    reference=_early_stopping,
    returns=TupleOut(items=(_INDEX, _INDEX), names=("best_index", "stop_index")),
    cases=_CURVES,
    hidden_cases=[
        *_CURVES,
        _stopping_case([1.0, 0.99995, 0.9999, 0.99985, 0.9998, 0.99979, 0.9998, 0.9999], 2),
        _stopping_case([1.0, 1.0, 1.0, 1.0], 3),
        _stopping_case([0.4, 0.3, 0.35, 0.36, 0.2, 0.25, 0.26, 0.27, 0.28, 0.1], 4),
        _stopping_case([2.0, 1.0], 1),
        _stopping_case([0.7], 1),                                   # one evaluation
        _stopping_case([_NAN, _NAN, 0.8, 0.9, 0.7, 0.75], 3),       # the first finite loss is the third
        *[_stopping_random(seed) for seed in range(12)],
    ],
    mistakes=[
        Mistake(
            "one_evaluation_late",
            "You stop one evaluation late: with patience p, training stops at the p-th "
            "evaluation in a row without improvement (the counter reaching p), not after p + 1.",
            "Count by hand on a short run with p = 1: at which evaluation should it stop?",
            variant=_walk(stops=lambda waited, p: waited >= p + 1),
        ),
        Mistake(
            "one_evaluation_early",
            "You stop one evaluation early: patience p allows p − 1 evaluations in a row without "
            "improvement and stops at the p-th, when the counter reaches p (a test such as "
            "`counter + 1 >= p` or `counter >= p - 1` after adding 1 stops when it reaches p − 1).",
            "Count by hand on a short run with p = 2: what is the counter at the evaluation where "
            "training should stop?",
            variant=_walk(stops=lambda waited, p: waited >= p - 1),
        ),
        Mistake(
            "one_evaluation_early",
            "You stop one evaluation early: patience p allows p − 1 evaluations in a row without "
            "improvement and stops at the p-th, when the counter reaches p (your test `counter == "
            "p - 1` after adding 1 stops when it reaches p − 1, and never with p = 1).",
            "Count by hand on a short run with p = 2: what is the counter at the evaluation where "
            "training should stop?",
            variant=_walk(stops=lambda waited, p: waited == p - 1),
        ),
        Mistake(
            "ties_improve",
            "You counted an equal loss as an improvement; an improvement must be strictly "
            "lower than the best so far (otherwise a flat plateau never stops).",
            "What should happen on a plateau of equal losses?",
            variant=_walk(improves=lambda loss, best: loss <= best),
        ),
        Mistake(
            "nan_improves",
            "A NaN loss (a diverged evaluation) counted as an improvement: a test such as "
            "`not (loss >= best)` is True for NaN. NaN is never better than the best so far.",
            f"Write the test so that it is False for NaN ({_NAN_COMPARES_FALSE}).",
            variant=_walk(improves=lambda loss, best: not loss >= best),
        ),
        Mistake(
            "nan_not_counted",
            "You passed over NaN evaluations without counting them: a NaN loss is an evaluation "
            "without improvement like any other, so it adds 1 to the counter (a diverging run "
            "must stop, not wait forever).",
            "Let a NaN go through the same test as any loss: it is not an improvement.",
            variant=_walk(skip_nan=True),
        ),
        Mistake(
            "counter_not_reset",
            "Your counter of evaluations without improvement is never reset: it must go back "
            "to 0 whenever the loss improves (patience counts evaluations *in a row*).",
            "What should the counter be right after an improvement?",
            variant=_walk(reset=False),
        ),
        Mistake(
            "first_counted_as_no_improvement",
            "Your best starts at the first evaluation's loss and the loop starts at that same "
            "evaluation, so evaluation 0 counts as one without improvement (it does not beat "
            "itself). The first evaluation is an improvement: there is no best before it.",
            "Trace your loop on its first evaluation: what is the counter after it?",
            variant=_walk(first_best=lambda v: (v[0], 0, 0, 0)),
        ),
        Mistake(
            "best_started_at_first",
            "Your best starts at the first evaluation's loss; when that loss is NaN, no later "
            f"loss is ever below it ({_NAN_COMPARES_FALSE}), so the NaN evaluation stays the "
            "best and the counter only grows.",
            "Start from a best that any finite loss beats.",
            variant=_walk(first_best=lambda v: (v[0], 0, 1, 0)),
        ),
        Mistake(
            "best_started_at_zero",
            "Your best starts at 0: no loss is ever below 0, so nothing improves and the run "
            "stops at the p-th evaluation whatever the losses are.",
            "Start from a best that any finite loss beats.",
            variant=_walk(first_best=lambda v: (0.0, 0, 0, 0)),
        ),
        Mistake(
            "compared_with_previous",
            "You compare each loss with the previous evaluation's, not with the best so far: a "
            "loss that dips after a bump counts as an improvement (and resets the counter) "
            "although it is not below the best.",
            "Keep the best loss seen so far, and compare with that.",
            variant=_compared_with_previous(from_first=True),
        ),
        Mistake(
            "compared_with_previous",
            "You compare each loss with the previous evaluation's, not with the best so far: a "
            "loss that dips after a bump counts as an improvement (and resets the counter) "
            "although it is not below the best.",
            "Keep the best loss seen so far, and compare with that.",
            variant=_compared_with_previous(from_first=False),
        ),
        Mistake(
            "running_min_with_nan",
            "You compare each loss with the minimum of the earlier losses (np.min): once a NaN "
            "has been seen that minimum is NaN, and no later loss ever improves.",
            "Keep the best loss yourself as you go, or use a minimum that ignores NaN.",
            variant=_running_min_with_nan,
        ),
        Mistake(
            "lesson06_formula",
            "You used lesson 06 section 5's formula with np.argmin, which returns the position "
            "of the first NaN: after a NaN evaluation your 'best' is that NaN and the count "
            "restarts from it. That formula assumed no NaN.",
            "A NaN is never the best: leave NaN out when you look for the best so far.",
            variant=_lesson06_formula,
        ),
        Mistake(
            "looked_past_the_stop",
            "Your best evaluation is the minimum over *all* the losses, including evaluations "
            "after the stop — those were never computed in a real run. Keep the best among "
            "the evaluations up to the stop.",
            "Which evaluations exist when training stops?",
            variant=_walk(best_after=lambda v, best, stop: int(np.nanargmin(v))),
        ),
        Mistake(
            "global_best_plus_patience",
            "You found the best over the whole run first, then put the stop p evaluations after "
            "it. The rule walks forward: it stops at the first run of p evaluations without "
            "improvement, which can come before the overall best (whose loss a real run never "
            "sees).",
            "Walk through the evaluations in order, as training would produce them.",
            variant=_global_best_plus_patience,
        ),
        Mistake(
            "relative_improvement",
            "You count an evaluation as an improvement only when it beats the best by a "
            "relative margin; here an improvement is any loss strictly below the best so far, "
            "however small the difference.",
            "Compare the losses as they are, with no threshold.",
            variant=_walk(improves=lambda loss, best: loss < best * (1 - 1e-4)),
        ),
        Mistake(
            "tolerance_as_tie",
            "You treated losses within a tolerance of the best as equal (np.isclose, say): a "
            "loss below the best by less than the tolerance is still an improvement here, "
            "however small the difference.",
            "Compare the losses as they are, with no tolerance.",
            variant=_walk(improves=lambda loss, best: loss < best and not np.isclose(loss, best)),
        ),
        Mistake(
            "loop_one_short",
            "Your loop never looks at the last evaluation (range(len(val_losses) - 1), say): "
            "it can be the best one, or the one where training stops.",
            "Check which positions your loop visits: print them for a run of three evaluations.",
            variant=_walk(last_visited=lambda n: n - 1),
        ),
        Mistake(
            "nan_taken_as_best",
            "Your best index is a NaN evaluation: np.argmin returns the position of the first "
            "NaN in the losses. A NaN loss (a diverged evaluation) is never the best.",
            "A NaN is never the best: leave NaN out when you look for the best.",
            variant=_walk(best_after=lambda v, best, stop: int(np.argmin(v[:stop + 1]))),
        ),
        Mistake(
            "best_is_stop",
            "You returned the stop index as the best one; early stopping keeps the parameters "
            "of the best evaluation, the last improvement before the stop (`patience` "
            "evaluations before it, when training stops early).",
            "Remember the index of the best evaluation when it happens.",
            variant=lambda val, p: (_early_stopping(val, p)[1],) * 2,
        ),
        Mistake(
            "best_just_before_stop",
            "You returned the evaluation just before the stop as the best one; the best is the "
            "last improvement before the stop (`patience` evaluations before it, when training "
            "stops early).",
            "Remember the index of the best evaluation when it happens.",
            variant=lambda val, p: (_early_stopping(val, p)[1] - 1, _early_stopping(val, p)[1]),
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
            "Where does your counter of positions start?",
            variant=lambda val, p: tuple(i + 1 for i in _early_stopping(val, p)),
        ),
        Mistake(
            "stop_minus_one",
            "Your stop index is one before the evaluation where training stops: the stop is "
            "the evaluation at which the counter reaches p, itself.",
            "Return the position of the evaluation where the counter reaches patience.",
            variant=lambda val, p: (_early_stopping(val, p)[0], _early_stopping(val, p)[1] - 1),
        ),
        Mistake(
            "stop_past_the_end",
            "When training never stops early, the stop index is the last evaluation, "
            "not one past it.",
            "Indices of val_losses run from 0 to len(val_losses) − 1.",
            variant=_walk(never_stopped=lambda n: n),
        ),
        # Properties of one case, named when no mistake above explains every case:
        Mistake(
            "best_after_stop",
            "Your best index comes after your stop index: a run that stops never computes the "
            "evaluations after the stop, so the best is among those up to it.",
            "Which evaluations exist when training stops?",
            detect=lambda args, out, expected: out[0] > out[1],
        ),
        Mistake(
            "best_is_nan",
            "Your best index points at a NaN evaluation (a diverged one); a NaN loss is never "
            "the best.",
            f"How does your code compare a NaN with the best so far? ({_NAN_COMPARES_FALSE}.)",
            detect=lambda args, out, expected: bool(np.isnan(args["val_losses"][out[0]])),
        ),
        Mistake(
            "stopped_too_early",
            "At your stop index, fewer than `patience` evaluations in a row have gone without "
            "improvement: training stops only when the counter reaches patience.",
            "Trace the counter by hand on the input above, evaluation by evaluation.",
            detect=lambda args, out, expected: out[1] < expected[1],
        ),
        Mistake(
            "stopped_too_late",
            "Before your stop index, the counter of evaluations without improvement had already "
            "reached patience: training stops at the first evaluation where it does.",
            "Trace the counter by hand on the input above, evaluation by evaluation.",
            detect=lambda args, out, expected: out[1] > expected[1],
        ),
        Mistake(
            "best_not_lowest_before_stop",
            "Your stop index is right, but your best index is not the evaluation with the lowest "
            "loss up to it (the first of them, if several tie).",
            "The best is the last improvement before the stop: remember its index when it happens.",
            detect=lambda args, out, expected: out[1] == expected[1] and out[0] != expected[0],
        ),
    ],
    wrong_hint="Walk through the losses in order: a loss strictly below the best so far is an "
               "improvement, anything else (NaN too) adds 1 to a counter that improvements reset; "
               "stop when the counter reaches patience. Trace your code by hand on the input above.",
    # trial 4567: a NaN best index was named "the stop index as the best one" on one case; a
    # mistake is named only when it explains every case, else the first wrong case's property
    case_properties=("best_after_stop", "best_is_nan", "stopped_too_early", "stopped_too_late",
                     "best_not_lowest_before_stop"),
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
#: Every 10 steps: η = 0.8 reaches the matched training loss by step ≈ 75, so the
#: interpolation between two evaluations spans few of its (noisy) steps.
COMPARE_EVAL_EVERY = 10
#: The fixed budget of the table, and the training loss every run is compared at.
COMPARE_BUDGET = 200
MATCHED_TRAIN_LOSS = 0.1


@functools.lru_cache(maxsize=4)
def comparison_experiment(eval_every: int = COMPARE_EVAL_EVERY) -> dict:
    """The runs of part 3, summed up: one value per rate of COMPARE_LRS, or per seed and rate.

    Returns a dict of arrays: ``lrs``; ``train_at_budget``, ``val_at_budget`` (both losses
    after COMPARE_BUDGET steps, means over the seeds) and ``val_at_budget_seeds`` (seed,
    rate); ``matched_step`` (the step where the training loss comes down to
    MATCHED_TRAIN_LOSS, interpolated, mean over the seeds), ``val_at_matched`` (the
    validation loss there, mean) and ``val_at_matched_seeds`` (seed, rate).  Cached: the
    notebook's table and the check read the same runs.  ``eval_every`` other than the
    default is for the tests (is the reading the same when the runs are evaluated more or
    less often?).
    """
    problem = MLP(hidden=HIDDEN_UNITS)
    lrs = np.array(COMPARE_LRS)
    runs = [run(problem, optim.SGD(lr=lrs[:, None]), problem.init(seed=seed), COMPARE_STEPS,
                batch_size=32, seed=seed, eval_every=eval_every) for seed in COMPARE_SEEDS]
    steps = runs[0].eval_steps
    at_budget = int(np.flatnonzero(steps == COMPARE_BUDGET)[0])
    matched = np.array([[at_training_loss(r.train_loss[:, k], steps, MATCHED_TRAIN_LOSS, r.val_loss[:, k])
                         for k in range(lrs.size)] for r in runs])        # (seed, rate, [step, val])
    return {
        "lrs": lrs,
        "train_at_budget": np.mean([r.train_loss[at_budget] for r in runs], axis=0),
        "val_at_budget": np.mean([r.val_loss[at_budget] for r in runs], axis=0),
        "val_at_budget_seeds": np.array([r.val_loss[at_budget] for r in runs]),
        "matched_step": matched[:, :, 0].mean(axis=0),
        "val_at_matched": matched[:, :, 1].mean(axis=0),
        "val_at_matched_seeds": matched[:, :, 1],
    }


def _clearly_above(seeds, k, others) -> bool:
    """Every seed of rate ``k`` above every seed of each rate in ``others`` (columns of a
    (seed, rate) array): the difference is larger than the spread between seeds."""
    return all(seeds[:, k].min() > seeds[:, j].max() for j in others)


def _clearly_below(seeds, k, others) -> bool:
    return all(seeds[:, k].max() < seeds[:, j].min() for j in others)


def _ranges_overlap(seeds) -> bool:
    """No rate clearly above another: every pair of seed ranges overlaps."""
    n = seeds.shape[1]
    return not any(_clearly_above(seeds, k, [j]) for k in range(n) for j in range(n) if j != k)


#: The statements of part 3 (option letter -> what the runs must show for it to hold).
#: Each is a reading someone might give of the table; which hold is computed from the runs.
#: "Clearly" is measured against the seeds: every seed of one rate beyond every seed of another.
COMPARISON_READINGS = {
    "A": lambda e: _clearly_above(e["val_at_matched_seeds"], 0, [1, 2]),   # the smallest rate generalizes worst
    "B": lambda e: _clearly_above(e["val_at_matched_seeds"], 2, [0, 1]),   # the largest rate overfits
    "C": lambda e: _ranges_overlap(e["val_at_matched_seeds"]),             # alike at a matched loss
    "D": lambda e: _clearly_below(e["val_at_matched_seeds"], 2, [0, 1]),   # a high rate regularises
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
          "Option A claims that at the same training loss every seed of η = 0.05 has a higher "
          "validation loss than every seed of the other rates. Check that claim in the matched-loss "
          "columns: is η = 0.05's lowest seed above the highest seed of each other rate? (The "
          f"{COMPARE_BUDGET}-step columns compare the runs after the same number of steps, not at "
          "the same training loss.)",
          f"{_SECTION_FAIR}: the bullets on a fixed budget and on a matched training loss."),
    "B": ("gap_read_as_overfitting",
          f"Your option reads the large rate's wide gap after {COMPARE_BUDGET} steps as "
          "overfitting. What else makes a gap grow at a fixed budget? Then check the claim where "
          "every rate has reached the same training loss: is η = 0.8's lowest seed above the "
          "highest seed of each other rate?",
          f"{_SECTION_FAIR}: the verdict's second bullet, on why the gap grows with η."),
    "D": ("high_rate_regularises",
          "Option D claims that at the same training loss every seed of η = 0.8 has a lower "
          "validation loss than every seed of the other rates. Check that claim in the "
          "matched-loss columns: is η = 0.8's highest seed below the lowest seed of each other "
          "rate?",
          f"{_SECTION_FAIR}: the bullet on a matched training loss, and how the table shows the "
          "seeds."),
    "E": ("chose_by_training_loss",
          f"Your option says the two losses pick the same rate after {COMPARE_BUDGET} steps. Find "
          "the rate with the lowest training loss in those columns, then the rate with the lowest "
          "validation loss there: are they the same run?",
          "Part 1 of this exercise, and lesson 07 section 7 (the ◆ and ★ marks of the explorer)."),
}

_OPTIONS = "ABCDE"


def _stray_characters(value) -> Diagnosis | None:
    """An answer string holding characters that are neither option letters nor separators
    ("C." or "C)"), named plainly (the shared parser's message is about option lists)."""
    if not isinstance(value, str):
        return None
    stray = sorted({c for c in value if c.upper() not in _OPTIONS and c not in " ,"})
    if not stray:
        return None
    shown = ", ".join(repr(c) for c in stray)
    return Diagnosis(
        "unknown_option",
        f"It returned {value!r}: {shown} {'is' if len(stray) == 1 else 'are'} not among the "
        f"option letters {', '.join(_OPTIONS)} (spaces and commas are ignored).",
        "Return the letter of your reading alone, as a string such as \"B\".",
        show_returned=False,
    )


def _grade_comparison(value) -> Diagnosis | None:
    """The Diagnosis of the learner's answer ``value``, or None when it is the true reading."""
    problem = _stray_characters(value)
    if problem is not None:
        return problem
    chosen = choice_letters(value, _OPTIONS, example='"B"')
    repeated = repeated_letters(value)
    if repeated:
        return Diagnosis(
            "repeated_letter",
            f"It returned {describe(value)}, which names {', '.join(map(str, repeated))} more "
            "than once. Choose one reading, named once.",
            "Return one letter, as a string such as \"B\".",
            show_returned=False,
        )
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

    def grade(_case) -> None:
        value = call_learner(read_comparison, [], name=part.name, time_limit=part.time_limit)
        problem = _grade_comparison(value)
        if problem is not None:
            raise problem

    check_cases(part.name, part.points, [0], grade, tried=lambda _case: f"{part.name}()",
                hidden=hidden)


# ---------------------------------------------------------------------------
# Part 4: the capstone, graded on its outcome
# ---------------------------------------------------------------------------

#: The most optimizer steps a plan's configuration may take (the finder and any sweep the
#: plan runs on the problem it is given are not counted: only the final training is).
#: The capstone grades a *procedure*, ``training_plan(problem) -> config``, on the MLP whose
#: loss is multiplied by c (:class:`lrcourse.problems.scaled.ScaledLoss`): SGD's usable rates
#: scale exactly with 1/c, while the model and the accuracy it can reach do not change.
#: Measured over seeds 0-5 on a grid of 10 rates per decade (notes/capstone.md, sessions 6-7):
#: the passing rates of any constant or fixed schedule of SGD span at most 25x, so no single
#: rate or schedule passes two problems whose c differ by 100x or more (visible 0.01, 1, 1000;
#: hidden 0.05, 10): every constant fails on two visible problems and on a hidden one; the
#: lessons' plan (the finder on the given problem, 'minimum', SGD with momentum 0.9, a constant,
#: a cosine or a one-cycle) reaches about 96 % on every c.
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

TRAINING_PLAN = PartPoints("training_plan", 4)
#: Seeds of the initial weights and of the mini-batch order: each problem's configuration is
#: trained from every one of them, and the mean and the worst seed are graded.
CAPSTONE_SEEDS = {False: (0, 1, 2), True: (3, 4, 5)}
#: The factors c the MLP's loss is multiplied by: the visible check's three problems, and the
#: hidden check's two others, between them.  Neighbours in each set differ by 100x or more,
#: far wider than any SGD window (at most 18x measured), so no single rate serves two of them.
#: The ends are chosen so that a range test that does not span this problem's rates fails:
#: lesson 06's default ramp (10^-5 -> 10) never reaches the blow-up of c = 0.01 (its 'minimum'
#: is then the ramp's end / 10, 10x too low), and a ramp that starts at 10^-2 is already past
#: the blow-up of c = 1000 (its 'minimum', the ramp's start / 10, is 6x too high).  The hidden
#: pair (200x apart) sits where a range test run without momentum, followed by training with
#: momentum 0.9 at its suggestion, misses (trial learner07cap2 W11: mean 94.3 % at c = 0.05,
#: 93.8 % at c = 10) while the trial's right plans reach 95.3 % or more on every seed.
LOSS_SCALES = {False: (0.01, 1.0, 1000.0), True: (0.05, 10.0)}
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
#: How long one call of the plan may take: the range test or sweep it runs on one problem.
#: About 0.05-0.5 s here for a 100-200-step range test; generous because the browser site
#: (Pyodide) runs Python loops about 5x slower than CPython on a laptop.
PLAN_TIME_LIMIT = 20.0


@dataclasses.dataclass(frozen=True)
class _Limits:
    """The capstone's limits as the check applies them: copied at import into the check's
    function defaults, so that a plan assigning ``ex07.TARGET_ACCURACY = 0`` (or any other
    module attribute) does not change what the check asks for."""

    step_budget: int
    max_batch_size: int
    target: float
    floor: float
    scales: tuple
    seeds: tuple
    plan_time: float


_LIMITS = _Limits(STEP_BUDGET, MAX_BATCH_SIZE, TARGET_ACCURACY, SEED_FLOOR,
                  (tuple(LOSS_SCALES[False]), tuple(LOSS_SCALES[True])),
                  (tuple(CAPSTONE_SEEDS[False]), tuple(CAPSTONE_SEEDS[True])), PLAN_TIME_LIMIT)
_NAME = TRAINING_PLAN.name
_ADAPTIVE = (optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW)


class _RateTable:
    """A schedule's rates for steps 0, 1, …, steps − 1, computed once before training.

    The check trains on this table, not on the plan's schedule: a schedule is a function of
    the step alone (lesson 04), so its rates can be listed before the first step.  The list is
    made from a copy of the plan's optimizer reset to no state, outside any training, so a
    "schedule" that reads the optimizer's momentum buffer or walks up to the training's
    frames (to fix the length of every step, trial learner07cap2 C35/C36) gets no state and
    gives its fallback.  Whatever the plan's schedule returned — a float, a NumPy scalar, an
    array — is kept as it was, so the optimizer validates it exactly as it would the
    schedule's own value (a right schedule trains bit for bit the same).  A schedule that
    raised at step k raises the same exception when the table is asked for step k.
    """

    def __init__(self, schedule, steps: int):
        self.__name__ = optim._show_lr(schedule)
        self._values, self._error = [], None
        for k in range(steps):
            try:
                value = schedule(k)
            except Exception as error:  # noqa: BLE001 - raised again at step k by training
                self._error = error
                break
            self._values.append(np.array(value, copy=True) if isinstance(value, np.ndarray) else value)

    def __call__(self, k):
        if k >= len(self._values) and self._error is not None:
            raise self._error
        value = self._values[k]
        return value.copy() if isinstance(value, np.ndarray) else value

    def values(self) -> list:
        """The rates listed (up to the step where the schedule raised, if it did)."""
        return list(self._values)


def _library() -> dict:
    """Every attribute of the classes and module the check trains with, by identity: the
    optimizer classes, the problem classes, lrcourse.train's functions."""
    owners = {*optim.SGD.__mro__, *ScaledLoss.__mro__, *MLP.__mro__} - {object}
    table = {(owner.__qualname__, name): value for owner in owners for name, value in vars(owner).items()
             if name != "__slotnames__"}   # copyreg caches it on the class at the first deepcopy
    table.update((("lrcourse.train", name), value) for name, value in vars(_train_module).items()
                 if callable(value))
    return table


#: The library as imported: the check refuses to grade while any of it is replaced.
_LIBRARY = _library()


def _library_changed() -> list:
    """Names of the library's attributes that are not the ones saved at import."""
    now = _library()
    return sorted(f"{owner}.{name}" for owner, name in _LIBRARY.keys() | now.keys()
                  if _LIBRARY.get((owner, name), now) is not now.get((owner, name), _LIBRARY))


def _require_library_unchanged() -> None:
    """Raise a Diagnosis naming what was replaced (trial learner07cap2 C38: a plan set
    optim.SGD._update to a version that normalises every gradient)."""
    changed = _library_changed()
    if changed:
        shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
        raise _problem(
            "library_patched",
            f"The course's library has been changed since it was imported: {shown} "
            + ("is not the original" if len(changed) == 1 else "are not the originals")
            + " any more (replaced by your plan or by a cell run before the check). "
            "The check trains with lrcourse's own SGD, training loop and problem, and "
            "refuses to grade while they are replaced.",
            "Do not assign to attributes of optim.SGD, lrcourse.train or the problem's classes; "
            "restart the kernel and run the notebook's cells again.",
        )


def capstone_problem(loss_scale: float = 1.0) -> ScaledLoss:
    """The capstone's model, ``MLP(hidden=32)`` on the digits, with its loss × ``loss_scale``.

    The loss, its gradient and its curvature are multiplied by c = ``loss_scale``; the
    model, its predictions and its validation accuracy are those of the plain MLP.
    """
    return ScaledLoss(MLP(hidden=HIDDEN_UNITS), loss_scale)


def _problem(mistake: str, diagnosis: str, hint: str) -> Diagnosis:
    return Diagnosis(mistake, diagnosis, hint, show_returned=False)


def _validated(config, limits: _Limits = _LIMITS) -> dict:
    """The configuration, checked key by key (raises Diagnosis); its optimizer is a copy, so
    that what the plan does to its own object later cannot change it."""
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
            'It needs "optimizer", "steps" and "batch_size".',
        )
    if "clip_norm" in config:
        raise _problem(
            "clip_norm_not_allowed",
            "The configuration has a 'clip_norm'; the capstone refuses gradient clipping. "
            "Clipping that acts at every step fixes the length of each step (η × clip_norm), "
            "whatever the gradient's size — so it hides the scale of the loss, which is what "
            "this part is about: the plan must find a rate that suits the curvature of the "
            "problem it is given.",
            'Remove "clip_norm" and let the learning rate (measured on `problem`) set the steps.',
        )
    unknown = [key for key in config if key not in _KEYS]
    if unknown:
        extra = (" The learning rate (or its schedule) goes into the optimizer: "
                 "optim.SGD(lr=..., momentum=...)." if any(str(k).startswith("lr") or "sched" in str(k)
                                                          for k in unknown) else "")
        raise _problem(
            "unknown_key",
            f"The configuration has keys the check does not use: "
            f"{', '.join(repr(k) for k in unknown)}.{extra}",
            'Use only "optimizer", "steps" and "batch_size".',
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
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or int(steps) < 1:
        shown = (f"the float {float(steps)!r}" if isinstance(steps, (float, np.floating))
                 else describe(steps))
        raise _problem(
            "wrong_steps",
            f"config['steps'] is {shown}; it must be a positive integer (a count of steps: "
            "100, not 100.0).",
            f"The number of optimizer steps, at most {limits.step_budget}.",
        )
    steps = int(steps)   # an int subclass compares as its value (trial learner07cap2 C09)
    if steps > limits.step_budget:
        raise _problem(
            "over_budget",
            f"config['steps'] is {int(steps)}: over the budget of {limits.step_budget} steps.",
            "Reach the target in fewer steps: a larger learning rate (up to where the LR "
            "range test shows the loss blowing up) and a schedule that decays to the end of "
            "the budget.",
        )
    batch = config["batch_size"]
    if batch is None:
        raise _problem(
            "full_batch",
            "config['batch_size'] is None (full-batch gradients); the capstone is trained "
            f"with mini-batches of at most {limits.max_batch_size} examples.",
            f"Choose a batch size between 1 and {limits.max_batch_size}.",
        )
    if (isinstance(batch, bool) or not isinstance(batch, numbers.Integral)
            or not 1 <= int(batch) <= limits.max_batch_size):
        is_float = isinstance(batch, (float, np.floating))
        shown = f"the float {float(batch)!r}" if is_float else describe(batch)
        raise _problem(
            "wrong_batch_size",
            f"config['batch_size'] is {shown}; it must be an integer from 1 to "
            f"{limits.max_batch_size}" + (" (a count of examples: 128, not 128.0)." if is_float else "."),
            "Larger batches cost more per step; the budget is counted in steps.",
        )
    return {"optimizer": _fixed_rates(opt, int(steps)), "steps": int(steps),
            "batch_size": int(batch), "limits": limits}


def _fixed_rates(opt, steps: int):
    """A copy of ``opt``, reset to no state, whose schedule (if it has one) is replaced by the
    table of its rates for the run's steps (:class:`_RateTable`)."""
    opt = copy.deepcopy(opt)
    opt.reset()
    if callable(opt.lr):
        opt.lr = call_learner(_RateTable, [opt.lr, steps], name="your schedule", time_limit=60.0)
    return opt


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
               seed=seed, eval_every=max(1, steps // 10))


def _outcome_problem(result: RunResult, checked: dict) -> Diagnosis | None:
    steps = checked["steps"]
    limits = checked.get("limits", _LIMITS)
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
            "loss blows up; stay well below that — or warm up first.",
        )
    accuracy = float(result.val_accuracy[-1, 0])
    if accuracy >= limits.target:
        return None
    train_loss = result.train_loss[:, 0]
    late = int(np.searchsorted(result.eval_steps, 0.8 * steps))
    reached = (f"After {steps} steps the validation accuracy is {accuracy:.1%}; the target "
               f"is {limits.target:.0%}.")
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
        after_peak = np.flatnonzero(lrs[int(np.argmax(lrs)):] < np.max(lrs) / 30)
        cut = int(np.argmax(lrs)) + int(after_peak[0]) if after_peak.size else int(0.6 * (lrs.size - 1))
        return _problem(
            "decayed_too_early",
            reached + f" The training loss levelled off at {train_loss[-1]:.3g}: your schedule "
            f"had cut the rate to below 1/30 of its peak by step {cut} of {steps}, "
            "so the rest of the budget hardly moved the parameters.",
            "Spread the decay over the whole run (e.g. a cosine over all the steps), so the "
            "rate is small only at the end.",
        )
    if finite_lrs and lrs.size > 2 and lrs[-1] >= 0.999 * np.max(lrs) and lrs[-1] > 1.5 * lrs[0]:
        return _problem(
            "schedule_length",
            reached + f" Your schedule's rate was still rising at the last step ({lrs[0]:.3g} at "
            f"step 0, {lrs[-1]:.3g} at step {steps - 1}): it never reached its peak and never "
            f"decayed, so the schedule's length does not match the run's {steps} steps.",
            "Build the schedule for the steps you train: its length (total_steps, or the "
            "number of steps it spans) must be config['steps'].",
        )
    opt = checked.get("optimizer")
    momentum_tip = (" — or add momentum" if type(opt) is optim.SGD and not getattr(opt, "momentum", 0)
                    else "")
    short = steps <= limits.step_budget // 2
    unused = (f" You also use only {steps} of the {limits.step_budget} steps allowed."
              if limits.step_budget // 2 < steps < limits.step_budget else "")
    raise_it = (f"Raise the {rate} — find the range with an LR range test{momentum_tip}; "
                "framework defaults such as 1e-3 are often far from the best rate.")
    if short:
        reached = (f"Your configuration trains only {steps} of the {limits.step_budget} steps "
                   "allowed: " + reached[0].lower() + reached[1:])
        raise_it = (f"Use the whole budget of {limits.step_budget} steps (a schedule stretched over "
                    "all of them); then see whether the rate still needs raising.")
    if barely_moved or still_falling:
        how = (f"barely moved (from {train_loss[0]:.3g} to {train_loss[-1]:.3g})" if barely_moved
               else f"was still falling fast at the end ({train_loss[-1]:.3g} after the last step)")
        return _problem(
            "too_slow",
            reached + f" The training loss {how}: "
            + ("the run is too short for this rate." if short else
               f"the {rate} is too small for the budget.{unused}"),
            raise_it,
        )
    if decays:
        peak_at = int(np.argmax(lrs))
        below = np.flatnonzero(lrs[peak_at:] < np.max(lrs) / 10)
        cut = peak_at + int(below[0]) if below.size else lrs.size
        if cut <= 0.7 * (lrs.size - 1):
            return _problem(
                "decays_too_soon",
                reached + f" The training loss levelled off at {train_loss[-1]:.3g}: your schedule "
                f"had cut the rate to below 1/10 of its peak by step {cut} of {steps}, so most of "
                f"the run trained at small rates.{unused}",
                "Either the peak is too small or the rate decays too soon: let the decay span "
                "the whole run (e.g. a cosine over all the steps), then see whether the peak "
                "still needs raising.",
            )
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


def _trained(checked: dict, seeds, c: float) -> list:
    _require_library_unchanged()
    return [call_learner(_train, [checked, seed, c], name="training with your plan's configuration",
                         time_limit=60.0) for seed in seeds]


def _rates_times(checked: dict, factor: float) -> dict:
    """``checked`` with every rate of its optimizer (constant or schedule) multiplied by factor."""
    opt = copy.deepcopy(checked["optimizer"])
    lr = opt.lr
    opt.lr = (lambda k, lr=lr: factor * np.asarray(lr(k), dtype=float)) if callable(lr) else factor * lr
    return {**checked, "optimizer": opt}


def _lower_is_better(checked: dict, seeds, c: float, accuracies) -> bool:
    """Whether the run's failure comes from a rate above the range where this problem trains
    well: the same configuration with every rate halved reaches a clearly higher mean
    accuracy on the same seeds, and doubling them does not.  Decides the direction of a
    'still falling' or 'levelled off' run without naming any rate."""
    def mean_accuracy(factor):
        try:
            runs = _trained(_rates_times(checked, factor), seeds, c)
        except Diagnosis:
            return float("nan")
        return float(np.mean([0.0 if r.n_runs != 1 or r.diverged[0] else r.val_accuracy[-1, 0]
                              for r in runs]))
    lower = mean_accuracy(0.5)
    if not lower > np.mean(accuracies) + 0.003:
        return False
    higher = mean_accuracy(2.0)
    return not higher >= lower


def _too_high_though_falling(problem: Diagnosis, rate: str) -> Diagnosis:
    """A 'too slow' or 'stalled' run whose rate is in fact above the problem's good range."""
    reached = problem.diagnosis.split(" The training loss")[0]
    return _problem(
        "too_high",
        reached + f" The training loss had not settled by the end, but a larger {rate} is not what this "
        f"problem needs: the {rate} is above the range where this network trains well on it "
        "(the same plan with smaller rates ends more accurate). Near the top of that range the "
        "steps bounce across the valley and runs become erratic: a seed gains or loses points "
        "from a tiny change of the rate.",
        f"Lower the {rate} on this problem. If it comes from an LR range test, which multiple "
        "of the suggestion did you take, and did you compare a few smaller ones by their "
        "validation loss (lesson 06, section 3; part 1)?",
    )


def _grade_problem(checked: dict, seeds, c: float, results=None):
    """Train one problem's configuration from every seed: (Diagnosis or None, peak rate)."""
    limits = checked.get("limits", _LIMITS)
    results = _trained(checked, seeds, c) if results is None else results
    peak = _peak(checked)
    for seed, result in zip(seeds, results):
        if result.n_runs != 1 or result.diverged[0]:
            return _seed_problem(seed, _outcome_problem(result, checked), None), peak
    accuracies = [float(result.val_accuracy[-1, 0]) for result in results]
    if np.mean(accuracies) >= limits.target and min(accuracies) >= limits.floor:
        return None, peak
    worst = int(np.argmin(accuracies))
    summary = (f"Validation accuracy from seeds {_seed_list(seeds)}: "
               + ", ".join(f"{a:.1%}" for a in accuracies)
               + f" (mean {_mean_text(accuracies, limits.target)}); the target is a mean of "
               f"{limits.target:.0%} with no seed below {limits.floor:.0%}.")
    problem = _outcome_problem(results[worst], checked)
    if problem.mistake in ("too_slow", "stalled") and _lower_is_better(checked, seeds, c, accuracies):
        lrs = results[worst].lr[:, 0]
        decays = bool(np.all(np.isfinite(lrs))) and lrs[-1] < np.max(lrs) / 10
        problem = _too_high_though_falling(problem, "peak rate" if decays else "learning rate")
    return _seed_problem(seeds[worst], problem, summary), peak


def _measured_momentum(usage: dict) -> bool | None:
    """Whether the plan's own measurement on a problem (range test, sweep) ran with momentum:
    its steps moved off the gradients the problem returned.  None when it measured nothing
    (or too little to tell)."""
    along, off = usage.get("steps_along_gradient", 0), usage.get("steps_off_gradient", 0)
    if along + off < 5:
        return None
    return off > along


#: Momenta μ whose step lengths 1/(1 − μ) differ by more than this ratio count as different.
_MOMENTUM_RATIO = 1.5


def _momentum_note(scales, checked: dict, usages: dict) -> str:
    """A sentence for the hint when the plan measured a problem with momentum and trains it
    without (or the reverse): a suggestion is a rate for the optimizer the test ran with.
    Empty when they agree, or when the plan measured nothing (trial W20: the sentence was
    shown to a plan whose test and training both ran without momentum)."""
    for c in scales:
        usage = usages.get(c) or {}
        measured = _measured_momentum(usage)
        momentum = float(getattr(checked[c]["optimizer"], "momentum", 0) or 0)
        trains = momentum > 0
        why = ("a suggestion is a rate for the optimizer the test ran with (momentum μ makes the "
               "steps about 1/(1 − μ) times longer) — train with the momentum your range test ran with.")
        if measured is not None and measured != trains:
            return (f" And your plan measured the problem {'with' if measured else 'without'} "
                    f"momentum but trains {'with' if trains else 'without'} it: " + why)
        estimate = usage.get("momentum")
        if measured and trains and estimate is not None and not (
                1 / _MOMENTUM_RATIO <= (1 - estimate) / (1 - momentum) <= _MOMENTUM_RATIO):
            # trial learner07cap2 W20: the range test at 0.99, the training at 0.9
            return (f" And your plan measured the problem with momentum {estimate:.2g} but trains "
                    f"with momentum {momentum:g}: " + why)
    return ""


def _plan_problem(failures: dict, peaks: dict, scales, checked: dict, usages=None) -> Diagnosis:
    """The diagnosis of a plan that missed on the problems in ``failures`` ({c: Diagnosis}).

    In order: about the same rate for every problem (too small on all: a finder's noise point;
    otherwise: the plan did not measure the problem it was given); rates that move with the
    problems (c x rate within :data:`_MOVES_FACTOR`) but are too high, or too low, on every
    one; rates that do not follow the curvature (c x rate spread over more than
    :data:`_FOLLOWS_FACTOR`); otherwise the first failing problem's own diagnosis, introduced
    by the problem.  Never a passing rate: only the plan's own rates and the problems' c.
    ``usages`` ({c: ScaledLoss.usage()} after the plan's call) tells whether the plan measured
    anything, and with momentum or not."""
    usages = usages or {}
    measured = any(u is None or u.get("evaluations", 0) > 0 for u in usages.values())
    momentum_note = _momentum_note(scales, checked, usages)
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
            ("Your plan's range test: which suggestion rule returns one of the first rates of "
             "the ramp on a noisy curve, whatever the problem (lesson 06, section 3)? Choose a "
             "rule that reads the curve where the loss falls." if measured else
             "Your plan never evaluated the loss of the problem it was given: the rate it returns "
             "is a guess (a framework's default?). Measure the problem — an LR range test "
             "(tune.lr_finder) on `problem` inside training_plan (lesson 06, section 3)."),
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
    wrong_length = next((c for c in scales if c in failures and failures[c].mistake == "schedule_length"), None)
    if wrong_length is not None:
        # trial learner07cap2 W19: a one-cycle over 1000 steps trained for 100 was told "too small"
        diagnosis = failures[wrong_length]
        return _problem(diagnosis.mistake, head.replace(f"On {_scale_text(first)}:",
                                                        f"On {_scale_text(wrong_length)}:")
                        + diagnosis.diagnosis, diagnosis.hint)
    budget = checked[first].get("limits", _LIMITS).step_budget
    if all(checked[c]["steps"] <= budget // 2 for c in failures):
        # the unused budget first (trial W25: steps = 10 was told "raise the rate" first)
        diagnosis = failures[first]
        return _problem(diagnosis.mistake, head + diagnosis.diagnosis, diagnosis.hint)
    if len(finite) == len(scales):
        normalised = {c: c * lr for c, lr in finite.items()}
        spread = max(normalised.values()) / min(normalised.values())
        low, high = min(scales), max(scales)
        moved = (f"from {_scale_text(low)} to {_scale_text(high)} the curvature grows "
                 f"{high / low:g} times and your plan's rate "
                 + (f"fell {_times(finite[low] / finite[high])} times" if finite[low] >= finite[high]
                    else f"rose {_times(finite[high] / finite[low])} times"))
        everywhere = len(failures) >= max(2, len(scales) - 1)   # all, or all but one
        if spread <= _MOVES_FACTOR and everywhere and all(
                d.mistake in ("diverged", "too_high", "unstable") for d in failures.values()):
            return _problem(
                "rates_follow_but_too_high",
                f"Your plan's rates move with the problems ({moved}), but on every problem it missed, the "
                "(peak) rate is too high. " + head + failures[first].diagnosis,
                "If the rate comes from an LR range test: did your rule take the curve's lowest "
                "point, where training is already about to blow up, or did you train above the "
                "suggestion lesson 06 gives (a multiple of it)? Lesson 06, section 3: use a rule "
                "that reads the curve where the loss falls, and compare multiples of its "
                "suggestion — smaller ones too — by their validation loss (part 1)." + momentum_note,
            )
        if spread <= _MOVES_FACTOR and everywhere and all(
                d.mistake == "too_slow" for d in failures.values()):
            return _problem(
                "rates_follow_but_too_low",
                f"Your plan's rates move with the problems ({moved}), but on every problem it missed, the "
                "(peak) rate is too small for the budget. " + head + failures[first].diagnosis,
                "Lesson 06, section 3: every suggestion rule lands below the best rate, by a "
                "factor that moves with the settings; compare a few multiples of the suggestion "
                "by their validation loss (a short sweep, as in part 1)." + momentum_note,
            )
        if spread > _FOLLOWS_FACTOR:
            return _problem(
                "rate_not_following_curvature",
                f"The rates your plan returns do not follow the curvature of the problem they are "
                f"for: {moved}. " + head + failures[first].diagnosis,
                "Look at what your plan measures on the problem where it failed: does the LR "
                "range test's ramp span *this* problem's rates — starting low enough to see the "
                "loss fall, ending high enough to see it blow up (FinderResult.stopped_at is None "
                "when it never did) — and is the rule you read off the curve one that lesson 06 "
                "(section 3) found close to the best rate?" + momentum_note,
            )
    diagnosis = failures[first]
    return _problem(diagnosis.mistake, head + diagnosis.diagnosis, diagnosis.hint + momentum_note)


def _call_plan(training_plan, c: float, limits: _Limits):
    """The plan's configuration for the problem with c, validated and copied at once (so a
    plan that changes one shared optimizer on each call does not change an earlier
    problem's configuration), and how the plan used the problem."""
    problem = capstone_problem(c)
    try:
        config = call_learner(training_plan, [problem], name=_NAME, time_limit=limits.plan_time)
    except Diagnosis as failed:
        if failed.mistake != "timeout":
            raise
        raise _problem(
            "timeout",
            f"Your plan took more than {limits.plan_time:g} s on the problem with {_scale_text(c)} "
            "(the check stops a plan there). A range test of 100-200 steps or a short sweep "
            "takes well under a second here; the browser version of the course runs Python "
            "several times slower.",
            "Measure less: a shorter range test, or a sweep of a few rates run side by side "
            "(tune.lr_sweep trains them vectorised) rather than one training per rate in a loop; "
            "and check that no loop of yours runs without end.",
        ) from None
    try:
        return _validated(config, limits), problem.usage()
    except Diagnosis as wrong:
        raise _problem(wrong.mistake, f"For the problem with {_scale_text(c)}: " + wrong.diagnosis,
                       wrong.hint) from None


def _usage_known(training_plan) -> bool:
    """Whether the plan runs in this process, so that the problem it is handed is the object
    whose ``usage()`` the check reads.  The classroom grader calls a plan living in its sandbox
    through a proxy (lrcourse.classroom), handing it a pickled copy of the problem: the copy's
    usage never comes back, so the check then neither refuses an unmeasured plan nor speaks
    of what the plan measured."""
    return not type(training_plan).__module__.startswith("lrcourse.classroom")


def _call_order(scales, hidden: bool) -> list:
    """The order in which the plan is called on the problems: shuffled with a fixed seed, a
    different one for the hidden check, never from the smallest c up (trial learner07cap2
    C06: a plan that counted its calls and returned three remembered rates in that order)."""
    order = [scales[i] for i in np.random.default_rng(_CALL_ORDER_SEEDS[bool(hidden)]).permutation(len(scales))]
    return order if order != sorted(scales) else order[::-1]


#: Seeds of the call order (visible, hidden).
_CALL_ORDER_SEEDS = (7, 8)


def check_training_plan(training_plan, *, hidden: bool = False, _limits: _Limits = _LIMITS) -> None:
    """Check ``training_plan(problem) -> dict`` on the capstone MLP with its loss scaled.

    For each c in ``LOSS_SCALES[hidden]`` (0.01, 1 and 1000; hidden: 0.05 and 10) the plan is
    called on ``capstone_problem(c)`` (within :data:`PLAN_TIME_LIMIT`), its configuration is
    checked as the capstone's (SGD only, no clipping, at most :data:`STEP_BUDGET` steps,
    batches of at most :data:`MAX_BATCH_SIZE`) and copied, and it is trained from seeds 0, 1,
    2 (hidden: 3, 4, 5) before the plan is called on the next problem; on every
    problem the mean validation accuracy must reach :data:`TARGET_ACCURACY` with no seed
    below :data:`SEED_FLOOR`.  A plan that misses is diagnosed as a plan first (the same rate
    for every problem; rates that do not follow the curvature), then by the first failing
    problem's run.  The limits are those of the module at import (``_limits``): assigning
    the module's constants from a plan does not change them.
    """
    seeds = _limits.seeds[bool(hidden)]

    def train_and_grade(scales):
        _require_library_unchanged()
        checked, usages, runs = {}, {}, {}
        known = _usage_known(training_plan)
        for c in _call_order(scales, hidden):
            checked[c], usage = _call_plan(training_plan, c, _limits)
            usages[c] = usage if known else None
            _require_library_unchanged()
            runs[c] = _trained(checked[c], seeds, c)
        failures, peaks = {}, {}
        for c in scales:
            failure, peaks[c] = _grade_problem(checked[c], seeds, c, runs[c])
            if failure is not None:
                failures[c] = failure
        if failures:
            raise _plan_problem(failures, peaks, scales, checked, usages)
        unmeasured = [c for c in scales if known and usages[c].get("evaluations", 0) == 0]
        if unmeasured:
            raise _problem(
                "never_measured",
                "Your plan's configurations trained well, but on the problem"
                f"{'s' if len(unmeasured) > 1 else ''} with "
                f"{', '.join(_scale_text(c) for c in unmeasured)} it never evaluated the loss or "
                "the gradient of the problem it was given: its rate did not come from a "
                "measurement of that problem (an attribute read, or a number remembered from "
                "elsewhere, is not a plan).",
                "Measure the problem inside training_plan — an LR range test (tune.lr_finder) or "
                "a short sweep on `problem` itself (lesson 06, section 3) — and derive the rate "
                "from what it shows.",
            )

    scales = _limits.scales[bool(hidden)]
    check_cases(TRAINING_PLAN.name, TRAINING_PLAN.points, [scales], train_and_grade,
                lambda scales: f"{_NAME}(capstone_problem(c)) for c = "
                               f"{', '.join(f'{c:g}' for c in scales)}, each configuration "
                               f"trained (MLP(hidden={HIDDEN_UNITS}), seeds {_seed_list(seeds)}) "
                               "before the next call",
                hidden=hidden)


def _mean_text(accuracies, target: float = _LIMITS.target) -> str:
    """The mean accuracy with enough digits that a mean below the target never reads as
    the target (94.97 % is shown as 94.97 %, not 95.0 %)."""
    mean = float(np.mean(accuracies))
    for digits in (1, 2, 3, 4):
        text = f"{mean:.{digits}%}"
        if (float(text.rstrip("%")) / 100 >= target) == (mean >= target):
            return text
    return f"{mean:.5%}"


def _seed_list(seeds) -> str:
    return ", ".join(str(seed) for seed in seeds)


def _seed_problem(seed: int, problem: Diagnosis, summary: str | None) -> Diagnosis:
    """``problem`` (the diagnosis of one seed's run) introduced by the seed and a summary."""
    head = (summary + "\n  " if summary else "") + f"From seed {seed}: "
    return _problem(problem.mistake, head + problem.diagnosis, problem.hint)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = grade_cell_points(PICK_LR, EARLY_STOPPING, READ_COMPARISON, TRAINING_PLAN)
