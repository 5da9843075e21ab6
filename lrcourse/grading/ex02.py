"""Checks for exercise 02 — stochastic and mini-batch gradient descent.

Parts (learner's function → check):

- ``minibatches(n, batch_size, epochs, seed)`` → iterator of index arrays
  (reshuffled every epoch, every example once per epoch, last partial batch kept,
  reproducible from ``seed``)                                   → :func:`check_minibatches`
- ``sgd_epoch(x, grad_fn, lr, batches) -> x_new``  (one step per batch; batches a list,
  a tuple or a generator; x 1-D or 2-D)                         → :func:`check_sgd_epoch`
- ``minibatch_grad_variance(per_example_grads, batch_size) -> float``
  (E‖ĝ_B − ∇f‖² for a batch drawn without replacement)          → :func:`check_minibatch_grad_variance`
- ``stationary_variance(lr, lam, noise_var) -> float``
  (the noise floor of constant-η SGD on ½λx², derived in the exercise) → :func:`check_stationary_variance`
- ``floor_predictions() -> str`` (graded multiple choice: how the noise floor moves when η
  is halved, B doubled, both doubled, or B = N; and what a smaller η costs)
                                                                → :func:`check_floor_predictions`

Every part is tried on hand-picked boundary cases (visible) and on seeded random draws
(hidden, deterministic). A wrong answer is named only by a mistake that explains it on every
case tried; otherwise the message says which property failed, in the lesson's terms.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import numbers
import random

import numpy as np

from lrcourse.grading.core import (
    TIME_LIMIT, Case, CheckFailed, Mistake, Part, Diagnosis, call_learner, close, describe, describe_call, report, report_pass,
    PartPoints,
    grade_cell_points,
)
from lrcourse.grading.choice import ChoicePart, choice_feedback
from lrcourse.grading.outputs import ARRAY_USE, ArrayOnlyOut, check_new_arrays, NumberOnlyOut

__all__ = [
    "PARTS",
    "check_minibatches",
    "check_sgd_epoch",
    "check_minibatch_grad_variance",
    "check_stationary_variance",
    "check_floor_predictions",
    "floor_model",
]


def _cap(text: str) -> str:
    """``text`` with its first letter capitalised (a section or step named at the start of a
    sentence)."""
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------
# Part 1: the mini-batch iterator (a check on properties, not on one exact order)
# ---------------------------------------------------------------------------

MINIBATCHES = PartPoints("minibatches", 3)

_SECTION_2 = "lesson 02, section 2"


def _minibatch_draws(count: int, seed: int) -> list[tuple]:
    """Seeded ``(n, batch_size, epochs, seed)`` draws: n from 1 to 60; batch_size 1, n, above
    n, a divisor of n between 1 and n (if n has one), or anything up to n (in turn); 1 to 4
    epochs."""
    rng = np.random.default_rng(seed)
    draws = []
    for i in range(count):
        n = int(rng.integers(1, 61))
        batch_size = [
            lambda: 1,
            lambda: n,
            lambda: n + int(rng.integers(1, 8)),
            lambda: int(rng.choice([d for d in range(2, n) if n % d == 0] or [n])),
            lambda: int(rng.integers(1, n + 1)),
        ][i % 5]()
        draws.append((n, batch_size, int(rng.integers(1, 5)), int(rng.integers(0, 10_000))))
    return draws


#: visible: not divisible, divisible (one epoch, two), batch_size > n, batch_size = 1,
#: batch_size = n, n = 1, then seeded draws; hidden: a large n, n = 2, one epoch, more draws
_MINIBATCH_CASES = [(10, 4, 3, 0), (12, 4, 1, 1), (20, 5, 2, 11), (9, 16, 2, 2), (11, 1, 2, 3),
                    (13, 13, 3, 4), (1, 1, 2, 5), (40, 8, 3, 12), (45, 7, 2, 13),
                    *_minibatch_draws(4, 20)]
_MINIBATCH_HIDDEN = [(1000, 32, 2, 6), (2, 1, 3, 7), (12, 5, 1, 8), (10, 3, 4, 9), (24, 6, 2, 10),
                     *_minibatch_draws(12, 21)]


def _batch_problem(mistake: str, diagnosis: str, hint: str) -> Diagnosis:
    return Diagnosis(mistake, diagnosis, hint, show_returned=False)


def _per_epoch(n: int, batch_size: int) -> int:
    return math.ceil(n / batch_size)


@dataclasses.dataclass
class _Run:
    """What one call of the learner's ``minibatches`` produced."""

    n: int
    batch_size: int
    epochs: int
    seed: int
    items: list        # each item as it was when yielded (a copy taken at once)
    kept: list         # the same objects, as a caller who keeps them sees them later
    lazy: bool = True  # a generator (each item seen as it came), not a ready-made list
    arrays: list = dataclasses.field(default_factory=list)   # the items as int64 index arrays

    @property
    def case(self) -> tuple:
        return self.n, self.batch_size, self.epochs, self.seed

    @property
    def limit(self) -> int:
        """How many batches are taken before the iterator counts as endless."""
        return 2 * (self.epochs + 1) * (_per_epoch(self.n, self.batch_size) + self.batch_size) + 2


def _tried(case: tuple) -> str:
    return describe_call("minibatches", dict(zip(("n", "batch_size", "epochs", "seed"), case)))


_NOT_ITERABLE = object()


def _collect(func, case: tuple) -> _Run:
    """Run the learner's ``minibatches`` on ``case``, copying each item as it comes."""
    run = _Run(*case, items=[], kept=[])

    def take(result):
        if result is None or (isinstance(result, np.ndarray) and result.ndim == 1):
            return result
        try:
            iterator = iter(result)
        except TypeError:
            return _NOT_ITERABLE, result
        run.lazy = iterator is result
        for item in itertools.islice(iterator, run.limit):
            run.kept.append(item)
            try:
                run.items.append(copy.deepcopy(item))
            except Exception:  # not copyable (a generator as a batch): judged as it is
                run.items.append(item)
        return run

    result = call_learner(func, list(case), name="minibatches", time_limit=TIME_LIMIT, consume=take)
    if result is None:
        raise _batch_problem(
            "returned_none",
            "It returned None instead of the batches.",
            "Use `yield batch` inside the loops (that makes the function a generator), "
            "or collect the batches in a list and return it.",
        )
    if isinstance(result, np.ndarray):
        raise _batch_problem(
            "returned_one_batch",
            f"It returned one array of {result.size} indices, not the sequence of batches: "
            "looping over it gives single indices. `return` ends the function at the first "
            "batch; `yield` hands out a batch and carries on.",
            "Write `yield batch` where you wrote `return batch` (or collect every batch in a "
            "list and return the list after the loops).",
        )
    if isinstance(result, tuple) and result[0] is _NOT_ITERABLE:
        raise _batch_problem(
            "wrong_type",
            f"It returned {type(result[1]).__name__} {describe(result[1])}, which cannot be looped "
            "over, instead of the batches.",
            "Use `yield batch` inside the loops, or return a list of index arrays.",
        )
    return result


def _index_array(item) -> np.ndarray:
    """One yielded batch as an index array, or the Diagnosis that says why it is not one."""
    if isinstance(item, (list, tuple)) and any(np.ndim(e) >= 1 for e in item
                                               if isinstance(e, (list, tuple, np.ndarray))):
        raise _batch_problem(
            "yields_epochs",
            f"An item it produced holds {len(item)} batches at once: the caller takes one batch "
            "at a time, so each item must be one batch.",
            "Produce each batch on its own: `yield batch` inside the loop over an epoch's "
            "batches (or `yield from batches_of_this_epoch`).",
        )
    if isinstance(item, tuple):
        raise _batch_problem(
            "tuple_batch",
            f"A batch is the tuple {describe(item)}. The notebook indexes arrays with each batch "
            "(G[batch] in the cell after part 3), and NumPy reads a tuple as one index per axis, "
            "not as a list of rows: G[(3, 7)] is one entry, G[[3, 7]] two rows.",
            "Yield a NumPy array of indices (a slice of a permutation is one).",
        )
    if isinstance(item, (numbers.Integral, np.integer)) or (isinstance(item, np.ndarray) and item.ndim == 0):
        raise _batch_problem(
            "scalar_batch",
            f"A batch is the single index {describe(item)}, not an array of indices. With one "
            "index G[batch] is a single row without its example axis, and grad_fn(x, batch) "
            "needs an array.",
            "Yield an array even when it holds one index: a slice such as order[i:i + 1] "
            "stays an array, order[i] does not.",
        )
    if not isinstance(item, (list, np.ndarray)):
        raise _batch_problem(
            "wrong_type",
            f"A batch is {type(item).__name__} {describe(item)}; each batch should be a 1-D array "
            "of example indices.",
            "Yield a NumPy array of indices, e.g. a slice of a permutation of range(n).",
        )
    array = np.asarray(item)
    if array.ndim != 1:
        raise _batch_problem(
            "wrong_shape",
            f"A batch has shape {array.shape}; each batch should be a 1-D array of example indices.",
            "Yield one flat array of indices per batch (slice a permutation of range(n)).",
        )
    if array.dtype == bool:
        raise _batch_problem(
            "wrong_dtype",
            "A batch is a boolean mask; each batch should hold the indices of its examples.",
            "Yield integer index arrays such as order[start:start + batch_size].",
        )
    if array.size and array.dtype.kind not in "iu":
        raise _batch_problem(
            "wrong_dtype",
            f"A batch has dtype {array.dtype}; example indices must be integers.",
            "rng.permutation(n) gives integer indices; arithmetic with floats "
            "(np.linspace, division with /) gives floats.",
        )
    return array.astype(np.int64)


# --- the shapes a run's batches can take: right, or what a known mistake makes ----------

def _concat(batches: list) -> np.ndarray:
    return np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)


def _right_sizes(n: int, b: int) -> list[int]:
    return [b] * (n // b) + ([n % b] if n % b else [])


def _cut(arrays: list, sizes: list[int], epochs: int) -> list[list] | None:
    """The batches as ``epochs`` epochs whose batch sizes are ``sizes``, or None."""
    if [a.size for a in arrays] != sizes * epochs:
        return None
    k = len(sizes)
    return [arrays[i * k:(i + 1) * k] for i in range(epochs)]


def _permutation(batches: list, n: int) -> bool:
    order = _concat(batches)
    return order.size == n and np.array_equal(np.sort(order), np.arange(n))


def _distinct(batches: list) -> bool:
    order = _concat(batches)
    return np.unique(order).size == order.size


def _shaped(sizes, epochs=lambda run: run.epochs, epoch_ok=_permutation):
    """A predicate: the run's batches are ``epochs(run)`` epochs of ``sizes(n, b)``, each
    passing ``epoch_ok(batches, n)``."""
    def fits(run: _Run) -> bool:
        grouped = _cut(run.arrays, sizes(run.n, run.batch_size), epochs(run))
        return grouped is not None and all(epoch_ok(epoch, run.n) for epoch in grouped)
    return fits


_is_right = _shaped(_right_sizes)


def _crosses_epochs(run: _Run) -> bool:
    """One stream of ``epochs`` shuffled orders cut into batches of batch_size."""
    total, b = run.epochs * run.n, run.batch_size
    if [a.size for a in run.arrays] != [b] * (total // b) + ([total % b] if total % b else []):
        return False
    stream = _concat(run.arrays)
    return all(_permutation([stream[i * run.n:(i + 1) * run.n]], run.n) for i in range(run.epochs))


def _slice_sizes(shift: int):
    """Sizes of order[s:s + batch_size + shift] for s in range(0, n, batch_size)."""
    return lambda n, b: [max(0, min(b + shift, n - s)) for s in range(0, n, b)]


def _split_sizes(n: int, pieces: int) -> list[int]:
    """Sizes of np.array_split(range(n), pieces): as equal as possible, the larger ones first."""
    return [len(piece) for piece in np.array_split(np.arange(n), pieces)]


def _covers(batches: list, n: int) -> bool:
    return np.array_equal(np.unique(_concat(batches)), np.arange(n))


def _no_repeat_in_a_batch(batches: list, n: int) -> bool:
    return all(np.unique(b).size == b.size for b in batches)


_STRUCTURE_MISTAKES = [
    # (mistake id, the shape its wrong code gives on every case, diagnosis, hint)
    ("one_epoch_short", _shaped(_right_sizes, epochs=lambda run: run.epochs - 1),
     "It yields one epoch too few: {epochs} epochs were asked for, and its batches make "
     "{short} full epochs.",
     "Count the epochs with `for epoch in range(epochs):` (range(epochs) already runs "
     "epochs times)."),
    ("one_epoch_too_many", _shaped(_right_sizes, epochs=lambda run: run.epochs + 1),
     "It yields one epoch too many: {epochs} epochs were asked for, and its batches make "
     "{long} full epochs.",
     "Count the epochs with `for epoch in range(epochs):` (range(epochs) already runs "
     "epochs times)."),
    ("drops_last_batch", _shaped(lambda n, b: [b] * (n // b), epoch_ok=lambda e, n: _distinct(e)),
     "It drops the last, smaller batch of each epoch (as PyTorch's drop_last=True does): with "
     "n = {n} and batch_size = {batch_size}, {left} examples per epoch are never used.",
     "Keep the last partial batch: an epoch ends with whatever is left once the full batches "
     f"are cut ({_SECTION_2}), so count the batches as ⌈n / batch_size⌉."),
    ("loop_stops_one_batch_early",
     _shaped(lambda n, b: [b] * len(range(0, n - b, b)), epoch_ok=lambda e, n: _distinct(e)),
     "Every epoch lacks its last batch, even when batch_size divides n: the loop over the "
     "batches stops one batch early (a stop of n − batch_size in range(...) excludes the last "
     "start).",
     "The starts of an epoch's batches are range(0, n, batch_size): the stop, n, is never a "
     "start itself, so nothing needs subtracting."),
    ("empty_batch", _shaped(lambda n, b: _right_sizes(n, b) + ([0] if n % b == 0 else [])),
     "When batch_size divides n, it yields an empty batch at the end of each epoch (one more "
     "than n // batch_size batches). An empty batch has no gradient: the model's grad(x, batch) "
     "in the digits cell refuses it.",
     "An epoch has ⌈n / batch_size⌉ batches, which is n // batch_size only when batch_size "
     "divides n; looping over the starts range(0, n, batch_size) gets both right."),
    ("split_evenly", _shaped(lambda n, b: _split_sizes(n, _per_epoch(n, b))),
     "Its batches have the right count, ⌈n / batch_size⌉ per epoch, but sizes spread evenly "
     "(np.array_split(order, count) does that): every batch but the last must hold exactly "
     "batch_size examples.",
     "Every batch but the last holds exactly batch_size examples, so the cuts fall where each "
     "block of batch_size ends; look up what np.array_split does with a number as its second "
     "argument and what it does with a list."),
    ("split_into_batch_size_parts", _shaped(lambda n, b: _split_sizes(n, b)),
     "Each epoch is cut into batch_size batches instead of batches *of* batch_size examples "
     "(np.array_split(order, batch_size) makes batch_size pieces).",
     "batch_size is how many examples a batch holds, not how many batches there are: where "
     "does each batch start, and where does it end?"),
    ("slice_one_short", _shaped(_slice_sizes(-1), epoch_ok=lambda e, n: _distinct(e)),
     "Each batch has one index too few (batch_size − 1), so some examples are never used: a "
     "slice order[a:b] stops *before* b.",
     "Write out the first two batches' slices for n = 10, batch_size = 4 and count their "
     "indices: a slice's end is already excluded."),
    ("slice_one_long", _shaped(_slice_sizes(+1), epoch_ok=_covers),
     "Each batch has one index too many (batch_size + 1), so consecutive batches share an "
     "example and it is used twice in an epoch: a slice order[a:b] already stops before b.",
     "Write out the first two batches' slices for n = 10, batch_size = 4: does any index "
     "appear in both?"),
    ("batch_crosses_epochs", _crosses_epochs,
     "A batch mixes the end of one epoch with the start of the next: the shuffled orders of all "
     "epochs were joined and cut into batches as one stream.",
     "Cut each epoch's order on its own, so that its last batch holds what is left; then "
     "reshuffle for the next epoch."),
    ("independent_batches", _shaped(_right_sizes, epoch_ok=_no_repeat_in_a_batch),
     "Each batch holds distinct examples, but the batches of one epoch overlap: each batch was "
     "drawn on its own, like the independent batches of lesson 02, section 4, so within an "
     "epoch some examples come twice and others never. An epoch uses every example once.",
     "Shuffle once per epoch (one permutation of range(n)) and cut that order into consecutive "
     "batches."),
    ("with_replacement", _shaped(_right_sizes, epoch_ok=lambda e, n: True),
     "Within one epoch some examples appear more than once and others never: the indices were "
     "drawn with replacement.",
     "Shuffle a permutation of range(n) once per epoch and cut it into batches "
     "(rng.integers, or rng.choice without replace=False, draws with replacement)."),
]


def _structure_problem(runs: list[_Run]) -> tuple[tuple, Diagnosis] | None:
    """``(case, problem)`` for batches that are not epochs of every example once, cut into
    the right sizes; a known mistake is named only if its shape fits every case."""
    wrong = [run for run in runs if not _is_right(run)]
    if not wrong:
        return None
    first = wrong[0]
    facts = {"n": first.n, "batch_size": first.batch_size, "epochs": first.epochs,
             "short": first.epochs - 1, "long": first.epochs + 1, "left": first.n % first.batch_size}
    for mistake, fits, diagnosis, hint in _STRUCTURE_MISTAKES:
        if all(fits(run) for run in runs):
            shown = first
            if mistake == "loop_stops_one_batch_early":   # show it where batch_size divides n
                shown = next((r for r in wrong if r.n % r.batch_size == 0), first)
            facts = {**facts, "n": shown.n, "batch_size": shown.batch_size}
            return shown.case, _batch_problem(mistake, diagnosis.format(**facts), hint)
    return first.case, _first_structure_failure(first)


def _first_structure_failure(run: _Run) -> Diagnosis:
    """Which property of the epochs fails on ``run``, when no known mistake explains it."""
    n, b, epochs = run.n, run.batch_size, run.epochs
    k = _per_epoch(n, b)
    sizes = [a.size for a in run.arrays]
    if not sizes:
        return _batch_problem("no_batches", "It yielded no batches at all.",
                              f"Each of the {epochs} epochs has ⌈n / batch_size⌉ batches ({_SECTION_2}).")
    if len(sizes) != epochs * k:
        return _batch_problem(
            "wrong_batch_count",
            f"It yielded {len(sizes)} batches for {epochs} epoch(s) of n = {n} examples in batches "
            f"of {b}: that is not {epochs} times ⌈n / batch_size⌉.",
            "Each epoch's last batch holds what is left, so an epoch has ⌈n / batch_size⌉ batches.",
        )
    for index in range(epochs):
        epoch_sizes = sizes[index * k:(index + 1) * k]
        if epoch_sizes != _right_sizes(n, b):
            return _batch_problem(
                "wrong_batch_sizes",
                f"The batch sizes of epoch {index + 1} are {epoch_sizes}: all but the last should "
                f"be {b}, and the last holds what is left of the n = {n} examples.",
                "Cut the epoch's shuffled order into consecutive slices of batch_size.",
            )
    for index in range(epochs):
        epoch = run.arrays[index * k:(index + 1) * k]
        if not _permutation(epoch, n):
            return _batch_problem(
                "not_every_example_once",
                f"Epoch {index + 1} uses some examples more than once and leaves others out: an "
                f"epoch uses every one of the n examples exactly once ({_SECTION_2}).",
                "Cut one permutation of range(n) per epoch into batches.",
            )
    return _batch_problem(  # pragma: no cover - the checks above cover every wrong shape
        "wrong_batches", "The batches are not epochs of every example once.", "")


def _epoch_partitions(run: _Run) -> list[tuple]:
    """Each epoch of a run whose structure is right, as its batches' sets of examples in
    order (the order inside a batch does not matter: a batch is a set)."""
    k = _per_epoch(run.n, run.batch_size)
    return [tuple(tuple(np.sort(a).tolist()) for a in run.arrays[i * k:(i + 1) * k])
            for i in range(run.epochs)]


def _in_order(run: _Run) -> tuple:
    """The partition of the unshuffled order 0, 1, …, n − 1."""
    return tuple(tuple(range(s, min(s + run.batch_size, run.n))) for s in range(0, run.n, run.batch_size))


def _log_partitions(run: _Run) -> float:
    """log of the number of ways to cut n examples into an epoch's batches (a multinomial)."""
    return math.lgamma(run.n + 1) - sum(math.lgamma(size + 1) for size in _right_sizes(run.n, run.batch_size))


def _judges_shuffle(run: _Run) -> bool:
    """A right shuffle gives the unshuffled partition (or repeats an epoch's) with probability
    below 1e-6 on this case."""
    return _log_partitions(run) > math.log(1e6)


def _changed_later(run: _Run) -> bool:
    """Whether a batch the caller kept changed after it was yielded."""
    return any(isinstance(kept, (list, np.ndarray)) and not np.array_equal(np.asarray(item), np.asarray(kept))
               for item, kept in zip(run.items, run.kept))


def _epochs_share_memory(run: _Run) -> bool:
    """Whether the kept batches of the first epoch and of a later one are views of one array."""
    k = _per_epoch(run.n, run.batch_size)
    first = [a for a in run.kept[:k] if isinstance(a, np.ndarray)]
    later = [a for a in run.kept[k:] if isinstance(a, np.ndarray)]
    return any(np.may_share_memory(a, b) for a in first for b in later)


_CHANGED_LATER = _batch_problem(
    "batches_change_later",
    "The batches it yields change afterwards: they are views of one array that is shuffled in "
    "place for the next epoch, so a caller who keeps them (the digits cell after part 2 does, "
    "with list(minibatches(...))) finds every earlier epoch turned into the last one's order.",
    "Give each epoch an array of its own: order = rng.permutation(n) makes a new one (rng.shuffle "
    "shuffles the same array in place).",
)


def _shuffle_problem(runs: list[_Run]) -> tuple[tuple, Diagnosis] | None:
    """Epochs left in order or repeated, judged on the cases where a right shuffle does that with
    probability below 1e-6; a mistake is named if every case that can show it does."""
    judged = [run for run in runs if _judges_shuffle(run)]
    movable = [run for run in runs if _log_partitions(run) > 0]   # more than one way to cut
    in_order = [run for run in judged if _in_order(run) in _epoch_partitions(run)]
    if in_order:
        case = in_order[0].case
        if all(p == _in_order(run) for run in movable for p in _epoch_partitions(run)):
            return case, _batch_problem(
                "not_shuffled",
                "The examples come in their original order 0, 1, 2, … in every epoch: they are "
                "not shuffled.",
                f"Shuffle at the start of every epoch, as a DataLoader with shuffle=True does "
                f"({_SECTION_2}): draw a permutation from your generator.",
            )
        if all(_epoch_partitions(run)[0] == _in_order(run) for run in movable):
            return case, _batch_problem(
                "first_epoch_not_shuffled",
                "The first epoch comes in the original order 0, 1, 2, …; only the later ones are "
                "shuffled: the shuffle happens at the end of each epoch instead of the start.",
                "Shuffle at the *start* of every epoch, before cutting it into batches.",
            )
        return case, _batch_problem(
            "not_shuffled",
            "An epoch comes in the original order 0, 1, 2, …: every epoch must be shuffled.",
            f"Draw a new permutation at the start of every epoch ({_SECTION_2}).",
        )

    def repeats(run: _Run) -> bool:
        partitions = _epoch_partitions(run)
        return len(set(partitions)) < len(partitions)

    repeated = [run for run in judged if repeats(run)]
    if not repeated:
        return None
    case = repeated[0].case
    several = [run for run in movable if run.epochs > 1]
    if not all(len(set(_epoch_partitions(run))) == 1 for run in several):
        return case, _batch_problem(
            "epochs_repeat",
            "Two epochs of one call visit the examples in the same order: each epoch needs a "
            "fresh random order.",
            "Draw a new permutation at the start of every epoch from one generator created "
            "before the loop.",
        )
    if not repeated[0].lazy and _epochs_share_memory(repeated[0]):
        return case, _batch_problem(
            "epochs_share_one_array",
            "Every epoch shows the same order, and the batches of all the epochs are views of one "
            "array: either that array is shuffled only once, or it is reshuffled in place each "
            "epoch, which rewrites the batches of the earlier epochs too (a returned list only "
            "shows the last order).",
            "Give each epoch an array of its own, freshly shuffled: order = rng.permutation(n) at "
            "the start of every epoch (rng.shuffle shuffles the same array in place).",
        )
    return case, _batch_problem(
        "shuffled_once",
        "Every epoch visits the examples in the same order: they are shuffled once, not "
        "reshuffled each epoch.",
        "Draw a new permutation at the start of every epoch from one generator created before the "
        "loop (a generator re-created from the seed each epoch repeats its order).",
    )


def _shared_pairs(run: _Run, first: int, other: int) -> float:
    """The share of the pairs of examples batched together in epoch ``first`` that are batched
    together again in epoch ``other`` (the order inside a batch does not count)."""
    k = _per_epoch(run.n, run.batch_size)
    labels = [np.empty(run.n, dtype=np.int64) for _ in (first, other)]
    for label, epoch in zip(labels, (first, other)):
        for index, batch in enumerate(run.arrays[epoch * k:(epoch + 1) * k]):
            label[batch] = index
    together = pairs = 0
    for index in range(k):
        counts = np.bincount(labels[1][labels[0] == index])
        together += int(np.sum(counts * (counts - 1) // 2))
        size = int(np.sum(labels[0] == index))
        pairs += size * (size - 1) // 2
    return together / pairs


def _related_epochs(run: _Run) -> int | None:
    """The first later epoch (1-based) that batches together half or more of the pairs epoch 1
    batches together: the first epoch rolled, reversed, or its batches served in another order.
    With 2 ≤ batch_size ≤ n/5 and n ≥ 30, two independent shuffles share about
    (batch_size − 1)/(n − 1) ≤ 1/4 of them, and half far less often than once in a million."""
    if run.n < 30 or run.epochs < 2 or not 2 <= run.batch_size <= run.n / 5:
        return None
    for index in range(1, run.epochs):
        if _shared_pairs(run, 0, index) >= 0.5:
            return index + 1
    return None


def _related_epochs_problem(runs: list[_Run]) -> tuple[tuple, Diagnosis] | None:
    for run in runs:
        epoch = _related_epochs(run)
        if epoch is not None:
            return run.case, _batch_problem(
                "epochs_not_fresh",
                f"Epoch {epoch} is not a new random order: half or more of the pairs of examples "
                "that share a batch in epoch 1 share one again (the first order shifted, "
                "reversed, or cut into the same batches served in another order). Each epoch's "
                "order must be drawn afresh, independent of the others.",
                f"Draw a new random permutation of all n examples at the start of every epoch "
                f"({_SECTION_2}), from the one generator; rearranging an earlier order is not a "
                "new random one.",
            )
    return None


def _reseeded_problem(func, runs: list[_Run]) -> tuple[tuple, Diagnosis] | None:
    """Epoch 2 of seed s equal to epoch 1 of seed s + 1: a generator re-created from seed + epoch."""
    for run in runs:
        if run.epochs >= 2 and _judges_shuffle(run):
            neighbour = _arrays_of(func, (*run.case[:3], run.seed + 1))
            if _epoch_partitions(run)[1] == _epoch_partitions(neighbour)[0]:
                return run.case, _batch_problem(
                    "reseeded_each_epoch",
                    "Epoch 2 of a call with seed s is exactly epoch 1 of the call with seed "
                    "s + 1: a new generator is made from the seed and the epoch number, so runs "
                    "with neighbouring seeds share their epochs and are not independent.",
                    "Create one generator from the seed before the loops and draw every epoch's "
                    "order from it.",
                )
            return None
    return None


def _global_state() -> tuple:
    state = np.random.get_state()
    return (state[0], state[1].tobytes(), *state[2:]), random.getstate()


def _global_state_problem(func, runs: list[_Run]) -> tuple[tuple, Diagnosis] | None:
    """The learner's function must leave NumPy's and Python's global random state alone."""
    before = _global_state()
    try:
        _arrays_of(func, runs[0].case)
        changed = _global_state() != before
    finally:
        np.random.set_state((before[0][0], np.frombuffer(before[0][1], dtype=np.uint32).copy(),
                             *before[0][2:]))
        random.setstate(before[1])
    if not changed:
        return None
    return runs[0].case, _batch_problem(
        "global_state_changed",
        "Your function changes NumPy's (or Python's) global random state (np.random.seed, "
        "np.random.permutation …): every other piece of code that draws from it — an "
        "initialisation, another shuffle — now depends on when minibatches was last called.",
        "Create a generator of your own from the seed, rng = np.random.default_rng(seed), and "
        "draw from it only: it leaves the global state alone.",
    )


def _same_batches(a: _Run, b: _Run) -> bool:
    return len(a.arrays) == len(b.arrays) and all(np.array_equal(x, y) for x, y in zip(a.arrays, b.arrays))


def _arrays_of(func, case: tuple) -> _Run:
    run = _collect(func, case)
    run.arrays = [_index_array(item) for item in run.items]
    return run


def _with_global_seed(func, case: tuple) -> _Run:
    """The learner's batches after seeding NumPy's and Python's global generators (restored)."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        np.random.seed(1234)
        random.seed(1234)
        return _arrays_of(func, case)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def _reproducibility_problem(func, runs: list[_Run]) -> tuple[tuple, Diagnosis] | None:
    """The same seed must give the same batches; another seed other batches."""
    for run in runs:
        if not _same_batches(run, _arrays_of(func, run.case)):
            if _same_batches(_with_global_seed(func, run.case), _with_global_seed(func, run.case)):
                return run.case, _batch_problem(
                    "global_rng",
                    "Two calls with the same seed give different batches: the shuffle draws from "
                    "NumPy's (or Python's) global random state, which the seed argument never sets.",
                    "Create the generator from the seed inside the function, "
                    "rng = np.random.default_rng(seed), and draw from it (not from np.random.* or "
                    "the random module).",
                )
            return run.case, _batch_problem(
                "not_reproducible",
                "Two calls with the same seed give different batches, so a run cannot be "
                "repeated: the generator is not created from the seed "
                "(np.random.default_rng() without an argument starts from fresh entropy).",
                "Create the generator from the seed you are given: rng = np.random.default_rng(seed).",
            )
    judged = next((run for run in runs if _judges_shuffle(run)), None)
    if judged is None:  # pragma: no cover - both case lists hold one
        return None
    others = [_arrays_of(func, (*judged.case[:3], judged.seed + shift)) for shift in (1, 100)]
    if all(_same_batches(other, judged) for other in others):
        return judged.case, _batch_problem(
            "seed_ignored",
            "Different seeds give the same batches: the seed argument is ignored.",
            "Create the generator from the seed you are given, not from a fixed number.",
        )
    return None


def _index_range_problem(runs: list[_Run]) -> tuple[tuple, Diagnosis] | None:
    outside = [run for run in runs if any(a.size and (a.min() < 0 or a.max() >= run.n) for a in run.arrays)]
    if not outside:
        return None
    run = outside[0]
    if all(all(a.size == 0 or (a.min() >= 1 and a.max() <= r.n) for a in r.arrays) for r in runs):
        return run.case, _batch_problem(
            "one_based_indices",
            f"Its indices run from 1 to n = {run.n}: Python and NumPy count from 0, so the examples "
            f"are 0 … n − 1 and index n is past the end.",
            "Shuffle range(n) itself (rng.permutation(n) gives 0 … n − 1), without adding 1.",
        )
    bad = next(a for a in run.arrays if a.size and (a.min() < 0 or a.max() >= run.n))
    value = int(bad.max() if bad.max() >= run.n else bad.min())
    return run.case, _batch_problem(
        "index_out_of_range",
        f"A batch holds the index {value}, outside 0 … n − 1 = {run.n - 1}.",
        "The examples are numbered 0 to n − 1.",
    )


def _check_minibatches(func, cases: list[tuple]) -> None:
    runs = []
    for case in cases:
        try:
            run = _arrays_of(func, case)
        except Diagnosis as problem:
            raise report(MINIBATCHES.name, MINIBATCHES.points, problem, tried=_tried(case)) from None
        if len(run.items) >= run.limit:
            raise report(MINIBATCHES.name, MINIBATCHES.points, _batch_problem(
                "never_stops",
                f"It keeps yielding batches: {run.limit} came out and it had not stopped, far more "
                f"than {run.epochs} epoch(s) of n = {run.n} in batches of {run.batch_size} hold.",
                "The outer loop runs over the epochs, `for epoch in range(epochs):`, and each "
                "epoch over its batches; nothing is needed after them.",
            ), tried=_tried(case))
        runs.append(run)
    steps = (
        lambda: _index_range_problem(runs),
        lambda: _structure_problem(runs),
        lambda: next(((run.case, _CHANGED_LATER) for run in runs if _changed_later(run)), None),
        lambda: _shuffle_problem(runs),
        lambda: _related_epochs_problem(runs),
        lambda: _reproducibility_problem(func, runs),
        lambda: _reseeded_problem(func, runs),
        lambda: _global_state_problem(func, runs),
    )
    for step in steps:
        try:
            found = step()
        except Diagnosis as problem:  # a later call raised, or yielded something else
            raise report(MINIBATCHES.name, MINIBATCHES.points, problem) from None
        if found is not None:
            case, problem = found
            raise report(MINIBATCHES.name, MINIBATCHES.points, problem, tried=_tried(case))


def check_minibatches(minibatches, *, hidden: bool = False) -> None:
    """Check ``minibatches(n, batch_size, epochs, seed)`` → iterator of index arrays.

    Properties, on every case (visible: boundary cases and 4 seeded draws; hidden: 16 more):
    batches are 1-D integer arrays of indices 0 … n − 1 that stay as they were yielded; they
    make ``epochs`` epochs of ⌈n / batch_size⌉ batches (all of batch_size but the last), each
    epoch every example once; where a right shuffle could not fail it (probability < 1e-6),
    epochs are not in the original order and not repeated; with n ≥ 30 and 2 ≤ batch_size ≤ n/5,
    a later epoch does not batch together half the pairs the first one does (a rolled, reversed
    or batch-reordered copy); the
    same seed repeats the batches and another seed changes them; epoch 2 of seed s is not
    epoch 1 of seed s + 1; NumPy's and Python's global random state are left alone.
    """
    _check_minibatches(minibatches, _MINIBATCH_HIDDEN if hidden else _MINIBATCH_CASES)
    if not hidden:
        report_pass(MINIBATCHES.name, MINIBATCHES.points)


# ---------------------------------------------------------------------------
# Parts 2-4: a mistake is named only when it explains every case (case_properties=())
# ---------------------------------------------------------------------------

def _property_check(part: Part, probes, func, *, hidden: bool) -> None:
    """``part.check(func)``; a wrong value that no known mistake explains is reported with the
    first property ``probes(func)`` finds broken, if any: ``(tried, Diagnosis, returned)``."""
    try:
        part.check(func, hidden=hidden)
    except CheckFailed as failed:
        if failed.mistake != "wrong_value":
            raise
        found = probes(func)
        if found is None:
            raise
        tried, problem, returned = found
        raise report(part.name, part.points, problem, tried=tried, returned=returned) from None


# ---------------------------------------------------------------------------
# Part 2: one epoch of SGD
# ---------------------------------------------------------------------------

class _LeastSquaresGradient:
    """grad_fn(x, batch): the mean gradient over the batch of ½‖aᵢᵀX − bᵢ‖² (all examples when
    batch is None), for parameters x of shape (dim,) or (dim, outputs).

    It refuses, with a message saying what it expects, the mistakes that would otherwise give
    a confusing NumPy error: the arguments swapped, x flattened, an empty or non-integer batch.
    """

    def __init__(self, seed: int, n: int, dim: int, outputs: int = 0):
        rng = np.random.default_rng(seed)
        self.shape = (dim, outputs) if outputs else (dim,)
        self.A = rng.normal(size=(n, dim))
        self.b = self.A @ rng.normal(size=self.shape) + 0.3 * rng.normal(size=(n, *self.shape[1:]))
        self.__name__ = "grad_fn"
        self.n = n

    def __call__(self, x, batch=None):
        given = np.asarray(x)
        if given.dtype.kind in "iu" and given.ndim == 1:
            raise ValueError(f"grad_fn(x, batch) takes the parameters first; it got the integer "
                             f"array {describe(given)} as x")
        if given.shape != self.shape:
            raise ValueError(f"grad_fn(x, batch) takes parameters x of shape {self.shape}; got x of "
                             f"shape {given.shape}")
        x = given.astype(float)
        if batch is None:
            A, b = self.A, self.b
        else:
            index = np.asarray(batch)
            if (index.ndim != 1 or index.size == 0 or index.dtype.kind not in "iu"
                    or index.min() < 0 or index.max() >= self.n):
                raise ValueError(f"grad_fn(x, batch) takes a non-empty 1-D array of example indices "
                                 f"in 0 … {self.n - 1} as batch; got {describe(batch)}")
            A, b = self.A[index], self.b[index]
        return A.T @ (A @ x - b) / len(b)

    def text(self) -> str:
        return (f"mean gradient over the batch of ½‖aᵢᵀx − bᵢ‖² on {self.n} examples, "
                f"x of shape {self.shape}")


#: The type of a stream of batches (see _stream)
_Stream = type(iter([]))


def _stream(batches) -> _Stream:
    """Batches as a generator gives them (what ``minibatches`` returns): looped over once, no
    len(), no indexing.  A list iterator rather than a generator: it can be deep-copied, so
    every call of the check gets its own fresh stream, and pickled into the classroom's
    sandbox, which cannot import the grading modules (a class defined here could not be
    unpickled there)."""
    return iter(list(batches))


def _left_in(stream: _Stream) -> list:
    """The batches a stream still holds, without using it up."""
    return list(copy.deepcopy(stream))


_CONTAINERS = {
    "list": (list, "a list of {k} index arrays of sizes {sizes}"),
    "lists": (lambda bs: [[int(i) for i in b] for b in bs], "a list of {k} lists of indices, sizes {sizes}"),
    "tuple": (tuple, "a tuple of {k} index arrays of sizes {sizes}"),
    "generator": (_stream, "a generator of {k} index arrays of sizes {sizes}"),
}


def _sgd_case(seed: int, n: int, dim: int, lr, batch_size: int, *, outputs: int = 0,
              container: str = "list", empty: bool = False) -> Case:
    grad_fn = _LeastSquaresGradient(seed, n, dim, outputs)
    order = np.random.default_rng(seed + 1).permutation(n)
    batches = [] if empty else [order[i:i + batch_size] for i in range(0, n, batch_size)]
    x = np.random.default_rng(seed + 2).normal(size=grad_fn.shape)
    make, text = _CONTAINERS[container]
    shown = (f"an empty {'generator' if container == 'generator' else 'list'} (no batches)" if empty
             else text.format(k=len(batches), sizes=[len(b) for b in batches]))
    return Case({"x": x, "grad_fn": grad_fn, "lr": lr, "batches": make(batches)},
                shown={"grad_fn": grad_fn.text(), "batches": shown})


def _sgd_draws(count: int, seed: int) -> list[Case]:
    """Seeded cases: n 2–40, dim 1–5, 1-D or 2-D x, any batch size up to n, η 0.01–0.5,
    the batches in each container in turn."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        n = int(rng.integers(2, 41))
        cases.append(_sgd_case(
            seed * 100 + i, n, int(rng.integers(1, 6)), float(np.exp(rng.uniform(np.log(0.01), np.log(0.5)))),
            int(rng.integers(1, n + 1)), outputs=int(rng.choice([0, 0, 2, 3])),
            container=list(_CONTAINERS)[i % len(_CONTAINERS)]))
    return cases


def _sgd_epoch(x, grad_fn, lr, batches):
    for batch in batches:
        x = x - lr * grad_fn(x, batch)
    return x


def _epoch_variant(update):
    """An epoch whose step is ``update(x, grad_fn, lr, batch)`` instead of SGD's."""
    def run(x, grad_fn, lr, batches):
        for batch in batches:
            x = update(x, grad_fn, lr, batch)
        return x
    return run


def _iterated_twice(x, grad_fn, lr, batches):
    sum(1 for _ in batches)            # e.g. counting the batches first: a generator is used up
    return _sgd_epoch(x, grad_fn, lr, batches)


def _one_step_mean(x, grad_fn, lr, batches):
    grads = [grad_fn(x, b) for b in batches]
    return x - lr * np.mean(grads, axis=0) if grads else x


def _one_step_all_examples(x, grad_fn, lr, batches):
    batches = [np.asarray(b) for b in batches]
    return x - lr * grad_fn(x, np.concatenate(batches)) if batches else x


def _stale_gradients(x, grad_fn, lr, batches):
    return x - lr * np.sum([grad_fn(x, b) for b in batches], axis=0)


def _first_batch_only(x, grad_fn, lr, batches):
    for batch in batches:
        return x - lr * grad_fn(x, batch)
    return x


def _same_batch_every_step(x, grad_fn, lr, batches):
    batches = list(batches)
    for _ in batches:
        x = x - lr * grad_fn(x, batches[0])
    return x


def _sgd_raised(part: Part, func, case: Case, problem: Diagnosis) -> Diagnosis | None:
    """Raised: grad_fn called with its arguments swapped (grad_fn says so); or, on a generator of
    batches, code that works on the same batches as a list, so it needs len() or indexing,
    which a generator (what minibatches returns) does not have."""
    if "grad_fn(x, batch) takes the parameters first; it got the integer" in problem.diagnosis:
        return Diagnosis(
            "grad_fn_arguments_swapped",
            problem.diagnosis + "\nThe batch went where the parameters belong: grad_fn takes x "
            "first, then the batch.",
            "Call grad_fn(x, batch), in that order.",
            show_returned=False,
        )
    batches = case.args["batches"]
    if not (_left_in(batches) if isinstance(batches, _Stream) else list(batches)):
        return Diagnosis(
            "no_batches_raises",
            f"{part.name} raises on an epoch with no batches, which the text allows (the "
            "parameters stay where they are):\n  " + problem.diagnosis.replace("\n", "\n  "),
            "What does your function return when the loop body never runs? A name assigned "
            "only inside the loop does not exist then.",
            show_returned=False,
        )
    if not isinstance(batches, _Stream):
        return None
    try:
        part.call(func, {**case.args, "batches": _left_in(batches)})
    except Diagnosis:
        return None
    return Diagnosis(
        "list_only",
        f"{part.name} works when batches is a list but raises when it is a generator (what "
        "minibatches returns):\n  " + problem.diagnosis.replace("\n", "\n  ")
        + "\nA generator has no len() and no batches[i]: it can only be looped over, once.",
        "Loop over the batches themselves, `for batch in batches:`, with no index.",
        show_returned=False,
    )


SGD_EPOCH = Part(
    name="sgd_epoch",
    points=2,
    case_properties=(),
    reference=_sgd_epoch,
    returns=ArrayOnlyOut(what="the parameters after the epoch", like="x", use=ARRAY_USE),
    rtol=1e-10,       # the right code's rounding is ~1e-15; float32 on the way is ~1e-8
    cases=[
        _sgd_case(0, 10, 3, 0.1, 4),
        _sgd_case(1, 12, 2, 0.05, 3, container="generator"),
        _sgd_case(2, 6, 4, 0.2, 6),                                # one batch: the whole data set
        _sgd_case(3, 8, 3, 0.15, 3, outputs=2, container="lists"),  # 2-D x
        _sgd_case(4, 9, 2, 0.3, 1, outputs=3, container="tuple"),   # batches of one example
        _sgd_case(5, 11, 3, 0.08, 4, container="generator"),
        _sgd_case(12, 5, 3, 0.2, 2, empty=True, container="generator"),   # no batches at all
    ],
    hidden_cases=[
        _sgd_case(6, 50, 5, 0.01, 8),
        _sgd_case(7, 7, 2, 1, 7, container="generator"),           # an int η, one batch
        _sgd_case(8, 5, 3, 0.2, 2, empty=True),                    # no batches: x comes back
        *_sgd_draws(8, 9),
    ],
    mistakes=[
        Mistake(
            "sign_flipped",
            "Your steps move uphill: the sign of the update is flipped.",
            "Each step subtracts η times the mini-batch gradient (lesson 01's update).",
            variant=_epoch_variant(lambda x, g, lr, b: x + lr * g(x, b)),
        ),
        Mistake(
            "lr_missing",
            "Your steps ignore the learning rate η.",
            "Scale each step by lr.",
            variant=_epoch_variant(lambda x, g, lr, b: x - g(x, b)),
        ),
        Mistake(
            "lr_twice",
            "The learning rate η is applied twice: each step is η times too short.",
            "Multiply by lr exactly once per step.",
            variant=_epoch_variant(lambda x, g, lr, b: x - lr * lr * g(x, b)),
        ),
        Mistake(
            "divided_by_batch_size",
            "Each step is divided by the batch size: grad_fn(x, batch) already returns the *mean* "
            "gradient over the batch, so dividing again shrinks the steps of larger batches.",
            "Step with lr times grad_fn(x, batch) as it is.",
            variant=_epoch_variant(lambda x, g, lr, b: x - lr * g(x, b) / len(b)),
        ),
        Mistake(
            "iterated_twice",
            "It is right when batches is a list, but on a generator it takes no step: the batches "
            "are looped over twice (to count them, or to make a list after a first pass), and a "
            "generator is used up by the first loop.",
            "Loop over the batches exactly once (or make list(batches) first and use only the list).",
            variant=_iterated_twice,
        ),
        Mistake(
            "unchanged",
            "It returned the starting x: the steps were taken on another variable (or not at all).",
            "Update x inside the loop (x = x - ...) and return that x.",
            variant=lambda x, g, lr, batches: x,
        ),
        Mistake(
            "full_batch_gradient",
            "Every step uses the full-batch gradient: the mini-batch is ignored "
            "(grad_fn(x) without the batch averages over all examples).",
            "Pass the batch: grad_fn(x, batch) is the gradient on those examples only.",
            variant=_epoch_variant(lambda x, g, lr, b: x - lr * g(x)),
        ),
        Mistake(
            "one_step_per_epoch",
            "You averaged the batches' gradients and took one step: that is one full-batch "
            "gradient-descent step, not SGD.",
            "SGD takes one step per mini-batch, each with the gradient at the current x.",
            variant=_one_step_mean,
        ),
        Mistake(
            "one_step_per_epoch",
            "You took a single step with the gradient over all the epoch's examples at once: that "
            "is one full-batch gradient-descent step, not SGD.",
            "SGD takes one step per mini-batch, each with the gradient at the current x.",
            variant=_one_step_all_examples,
        ),
        Mistake(
            "stale_gradients",
            "All the gradients are evaluated at the epoch's starting point: each step must use "
            "the gradient at the point the previous step reached.",
            "Inside the loop, compute grad_fn(x, batch) with the x updated by the previous step.",
            variant=_stale_gradients,
        ),
        Mistake(
            "skips_last_batch",
            "The last batch is skipped: an epoch takes one step per batch, the last one included.",
            "Loop over the batches themselves: `for batch in batches:`.",
            variant=lambda x, g, lr, batches: _sgd_epoch(x, g, lr, list(batches)[:-1]),
        ),
        Mistake(
            "first_batch_only",
            "Only one step was taken, with the first batch: the `return` is inside the loop, so "
            "the function ends after the first step.",
            "Return x after the loop (dedent the return statement).",
            variant=_first_batch_only,
        ),
        Mistake(
            "last_batch_only",
            "Only one step was taken (with the last batch): the parameters must be updated "
            "inside the loop, once per batch.",
            "Update x = ... inside the loop and return x after it.",
            variant=lambda x, g, lr, batches: (lambda bs: x - lr * g(x, bs[-1]) if bs else x)(list(batches)),
        ),
        Mistake(
            "same_batch_every_step",
            "Every step uses the first batch: the loop takes the right number of steps but never "
            "moves on to the next batch.",
            "Use the loop's own batch in each step: `for batch in batches: ... grad_fn(x, batch)`.",
            variant=_same_batch_every_step,
        ),
        Mistake(
            "lost_precision",
            "Your result agrees with the right one to about 7 digits only: somewhere on the way "
            "the parameters pass through float32 (or are rounded), and each step starts from that.",
            "Keep x in float64 from start to end: no .astype(np.float32), no rounding.",
            detect=lambda a, out, exp: close(out, exp, rtol=1e-5, atol=1e-9),
        ),
    ],
    wrong_hint="Take one SGD step per batch, in order, each with the mini-batch gradient at the "
               "current x (lesson 02, section 2).",
    rediagnose_raised=_sgd_raised,
)


def _sgd_property_problem(func) -> tuple[str, Diagnosis, object] | None:
    """When no known mistake fits: is one batch one step (the smallest epoch)? Else, is the
    code right on 1-D x only, or on lists of batches only (the visible cases, grouped)?"""
    case = _sgd_case(40, 6, 2, 0.1, 3)
    one = {**case.args, "batches": case.args["batches"][:1]}
    try:
        got = SGD_EPOCH.returns.accept(SGD_EPOCH.call(func, one), one)
    except Diagnosis:
        return None
    if not close(got, _sgd_epoch(**copy.deepcopy(one))):
        return describe_call("sgd_epoch", one, {"grad_fn": case.shown["grad_fn"],
                                                "batches": "a list of 1 index array of size 3"}), Diagnosis(
            "one_batch_not_one_step",
            "With a single batch, an epoch is a single SGD step from x with that batch's gradient; "
            "yours returns something else.",
            "Check one step first: x − lr·grad_fn(x, batch) (lesson 01's update with the mini-batch "
            "gradient), then repeat it for each batch.",
        ), got
    right = {}
    for visible in SGD_EPOCH.cases:
        try:
            value = SGD_EPOCH.returns.accept(SGD_EPOCH.call(func, visible.args), visible.args)
        except Diagnosis:
            return None
        right[id(visible)] = close(value, _sgd_epoch(*copy.deepcopy(list(visible.args.values()))))
    groups = [
        (lambda c: np.ndim(c.args["x"]) == 2, "matrix_parameters",
         "It is right when x is 1-D but not when x is a matrix of shape (dim, outputs).",
         "Nothing in an SGD step depends on the shape of x: x − lr·grad_fn(x, batch) works for "
         "any shape. Look for a flatten, a len(x), or an index into x."),
        (lambda c: isinstance(c.args["batches"], _Stream) and bool(_left_in(c.args["batches"])),
         "generator_batches",
         "It is right when batches is a list or a tuple but not when it is a generator (what "
         "minibatches returns).",
         "A generator can be looped over only once, and has no len() or [i]: loop over it once, "
         "directly."),
    ]
    for wrong_on, mistake, diagnosis, hint in groups:
        if all(right[id(c)] != wrong_on(c) for c in SGD_EPOCH.cases):
            shown = next(c for c in SGD_EPOCH.cases if wrong_on(c))
            return describe_call("sgd_epoch", shown.args, shown.shown), Diagnosis(mistake, diagnosis, hint), \
                SGD_EPOCH.call(func, shown.args)
    return None


def check_sgd_epoch(sgd_epoch, *, hidden: bool = False) -> None:
    """Check ``sgd_epoch(x, grad_fn, lr, batches) -> x_new``: batches a list, a tuple, a list of
    lists or a generator (also empty), x of shape (dim,) or (dim, outputs); x_new a new array
    (x itself is refused, also after an empty epoch)."""
    check_new_arrays(SGD_EPOCH, sgd_epoch, hidden=hidden,
                     run=lambda part, func: _property_check(part, _sgd_property_problem, func, hidden=True))


# ---------------------------------------------------------------------------
# Part 3: the variance of a mini-batch gradient
# ---------------------------------------------------------------------------

_SECTION_3 = "lesson 02, section 3"


def _centred(G) -> np.ndarray:
    G = np.asarray(G, dtype=float)
    return G - G.mean(axis=0)


def _spread(G) -> float:
    """σ² = (1/N) Σᵢ ‖gᵢ − ∇f‖², the spread of the per-example gradients."""
    return float(np.sum(_centred(G) ** 2)) / len(G)


def _minibatch_grad_variance(per_example_grads, batch_size):
    """E‖ĝ_B − ∇f‖² = (σ²/B)·(N − B)/(N − 1) for B of the N examples drawn without replacement."""
    n = len(per_example_grads)
    return _spread(per_example_grads) / batch_size * (n - batch_size) / (n - 1)


def _without_replacement(spread):
    """The lesson's formula fed with another spread(G) (a learner's wrong σ²)."""
    return lambda G, B: spread(np.asarray(G, dtype=float)) / B * (len(G) - B) / (len(G) - 1)


def _grads(seed: int, n: int, dim: int, *, identical: bool = False) -> np.ndarray:
    """Per-example gradients with a non-zero mean and coordinates of different scales and means."""
    rng = np.random.default_rng(seed)
    rows = 1 if identical else n
    G = rng.normal(size=(rows, dim)) * rng.uniform(0.3, 3.0, size=dim) + rng.normal(scale=2.0, size=dim)
    return np.repeat(G, n, axis=0) if identical else G


def _grads_case(seed: int, n: int, dim: int, batch_size: int, **kind) -> Case:
    return Case({"per_example_grads": _grads(seed, n, dim, **kind), "batch_size": batch_size})


def _grads_draws(count: int, seed: int) -> list[Case]:
    """Seeded cases: N 2–60, dim 1–6, B = 1, N or anything between (in turn)."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        n = int(rng.integers(2, 61))
        batch_size = [1, n, int(rng.integers(1, n + 1))][i % 3]
        cases.append(_grads_case(seed * 100 + i, n, int(rng.integers(1, 7)), batch_size))
    return cases


@dataclasses.dataclass(frozen=True)
class _OneNumber(NumberOnlyOut):
    """A number; an array with one value per coordinate is told that the norm sums them."""

    def accept(self, value, args):
        dim = np.shape(args["per_example_grads"])[1]
        if isinstance(value, np.ndarray) and dim > 1 and value.shape in ((dim,), (1, dim)):
            raise Diagnosis(
                "per_coordinate",
                f"It returned one value per coordinate (shape {value.shape}) instead of one number: "
                "E‖ĝ_B − ∇f‖² is the expected *squared norm* of the error, which adds up the "
                "squared errors of all the coordinates.",
                "Sum over the coordinates as well as over the examples.",
            )
        return super().accept(value, args)


def _transposed(args, out, expected) -> bool:
    """The formula applied to Gᵀ (in NumPy floats: with dim = 1 it divides 0 by 0)."""
    G = np.asarray(args["per_example_grads"], dtype=float).T
    B = args["batch_size"]
    with np.errstate(all="ignore"):
        wrong = np.float64(_spread(G)) / B * (len(G) - B) / np.float64(len(G) - 1)
    return not np.isfinite(out) if not np.isfinite(wrong) else close(out, wrong)


def _transposed_raised(part: Part, func, case: Case, problem: Diagnosis) -> Diagnosis | None:
    """Raised (e.g. dividing by dim − 1 = 0): if on a 4 × 6 G the learner's value is the formula
    applied to Gᵀ, the rows were taken as coordinates."""
    G = _grads(60, 4, 6)
    args = {"per_example_grads": G, "batch_size": 2}
    try:
        value = part.returns.accept(part.call(func, args), args)
    except Diagnosis:
        return None
    if not close(value, _minibatch_grad_variance(G.T, 2)):
        return None
    transposed = next(m for m in part.mistakes if m.id == "transposed")
    return Diagnosis(transposed.id, f"{part.name} raised on this input:\n  "
                   + problem.diagnosis.replace("\n", "\n  ") + "\n" + transposed.diagnosis,
                   transposed.hint, show_returned=False)


MINIBATCH_GRAD_VARIANCE = Part(
    name="minibatch_grad_variance",
    points=2,
    case_properties=(),
    reference=_minibatch_grad_variance,
    returns=_OneNumber(what="the expected squared error of the mini-batch gradient"),
    cases=[
        _grads_case(0, 6, 2, 2),
        _grads_case(1, 5, 3, 5),    # B = N: the whole data set, no noise
        _grads_case(2, 8, 3, 1),    # B = 1: one random example
        _grads_case(3, 20, 4, 7),
        _grads_case(4, 9, 1, 4),    # dim = 1
        _grads_case(5, 3, 5, 2),    # more coordinates than examples
        *_grads_draws(2, 6),
    ],
    hidden_cases=[
        _grads_case(10, 100, 5, 10),
        _grads_case(11, 2, 1, 1),   # N = 2
        _grads_case(12, 7, 3, 3, identical=True),   # every example has the same gradient
        Case({"per_example_grads": _grads(13, 9, 2), "batch_size": np.int64(4)}),   # a NumPy int B
        *_grads_draws(9, 13),
    ],
    mistakes=[
        Mistake(
            "with_replacement",
            "Your formula is for batches drawn with replacement (independent examples). A batch "
            "here holds B *distinct* examples, so a batch of all N of them has no noise at all.",
            f"Use the second line of {_SECTION_3}'s formulas, the one for B distinct examples.",
            variant=lambda G, B: _spread(G) / B,
        ),
        Mistake(
            "sample_variance",
            "You divided the sample variance (ddof = 1) by B: that is the with-replacement formula "
            "in another form, and it leaves a batch of all N examples noisy.",
            f"Check your formula at B = N: the answer must be 0. Then compare with {_SECTION_3}.",
            variant=lambda G, B: float(np.sum(_centred(G) ** 2)) / (len(G) - 1) / B,
        ),
        Mistake(
            "sample_variance_and_factor",
            "Your σ² divides by N − 1 (the sample variance, ddof = 1), and the without-replacement "
            "factor divides by N − 1 again. The lesson's σ² is the spread (1/N) Σᵢ ‖gᵢ − ∇f‖².",
            "Check B = 1: one random example's squared error, averaged over the examples, is the "
            f"spread σ² itself ({_SECTION_3}).",
            variant=lambda G, B: float(np.sum(_centred(G) ** 2)) / (len(G) - 1) / B
            * (len(G) - B) / (len(G) - 1),
        ),
        Mistake(
            "factor_over_n",
            "Your finite-population factor is 1 − B/N = (N − B)/N. Paired with the spread σ² "
            "(which divides by N) that is not the lesson's factor; the textbook 1 − B/N goes with "
            "the sample variance (ddof = 1).",
            f"Check B = 1: the answer must be the spread σ² itself. Compare your factor with "
            f"{_SECTION_3}'s second line.",
            variant=lambda G, B: _spread(G) / B * (len(G) - B) / len(G),
        ),
        Mistake(
            "no_batch_average",
            "Your value does not shrink like 1/B: averaging B gradients divides their variance by "
            "about B.",
            "The mini-batch gradient is the mean of B per-example gradients.",
            variant=lambda G, B: _spread(G) * (len(G) - B) / (len(G) - 1),
        ),
        Mistake(
            "precedence_slip",
            "In your formula (N − 1) multiplies where it should divide: in Python a / b * c is "
            "(a / b)·c, not a / (b·c).",
            "Put the whole denominator in parentheses.",
            variant=lambda G, B: _spread(G) * (len(G) - B) / B * (len(G) - 1),
        ),
        Mistake(
            "not_centred",
            "You averaged ‖gᵢ‖² instead of ‖gᵢ − ∇f‖²: the noise is the spread of the gradients "
            "around their mean ∇f, and here the mean is not zero.",
            "Subtract the mean gradient (the mean over the examples, axis 0) before squaring.",
            variant=_without_replacement(lambda G: float(np.sum(G ** 2)) / len(G)),
        ),
        Mistake(
            "wrong_axis",
            "You centred each example's gradient by the mean of its own coordinates (axis 1); "
            "∇f is the mean over the examples, one value per coordinate (axis 0).",
            "G.mean(axis=0) is ∇f, the full-batch gradient.",
            variant=_without_replacement(
                lambda G: float(np.sum((G - G.mean(axis=1, keepdims=True)) ** 2)) / len(G)),
        ),
        Mistake(
            "variance_over_wrong_axis",
            "np.var(G, axis=1) is each example's variance over its own coordinates; the spread σ² "
            "is about ∇f, the mean over the examples (axis 0), and sums over the coordinates.",
            "G.mean(axis=0) is ∇f: centre by it, square, sum over the coordinates, average over "
            "the examples.",
            variant=_without_replacement(lambda G: float(np.sum(np.var(G, axis=1)))),
        ),
        Mistake(
            "deviations_averaged_first",
            "Your value is (about) 0 for every batch size: the deviations gᵢ − ∇f seem to be "
            "averaged before they are squared, and deviations from the mean always average to 0.",
            f"σ² is the mean of the *squared* norms ‖gᵢ − ∇f‖² ({_SECTION_3}): square each "
            "deviation first, then average.",
            detect=lambda a, out, exp: abs(out) <= 1e-12 * max(1.0, float(np.max(np.abs(
                np.asarray(a["per_example_grads"], dtype=float)))) ** 2),
        ),
        Mistake(
            "flattened_variance",
            "np.var(G) without an axis pools all the entries: it centres them by one overall mean "
            "and averages over the coordinates as well. The spread σ² centres each coordinate by "
            "its own mean and sums over the coordinates.",
            "Centre with G.mean(axis=0), then sum the squares over the coordinates and average "
            "over the examples.",
            variant=_without_replacement(lambda G: float(np.var(G))),
        ),
        Mistake(
            "mean_over_coordinates",
            "You averaged the variance over the coordinates; the squared norm ‖ĝ − ∇f‖² sums them.",
            "Sum the per-coordinate variances (or take the squared norm of each deviation).",
            variant=lambda G, B: _minibatch_grad_variance(G, B) / np.shape(G)[1],
        ),
        Mistake(
            "transposed",
            "You treated the rows of per_example_grads as coordinates and the columns as examples: "
            "it has shape (N, dim), so N = per_example_grads.shape[0] and the mean over examples "
            "is over axis 0.",
            "Row i is the gradient gᵢ of example i.",
            detect=_transposed,
            sees_nonfinite=True,     # with one coordinate, "N − 1" is 0
        ),
        Mistake(
            "norm_not_squared",
            "You averaged the norms ‖gᵢ − ∇f‖ instead of their squares: the spread σ² is a mean of "
            "squared norms.",
            f"Square each deviation's norm before averaging ({_SECTION_3}).",
            variant=_without_replacement(
                lambda G: float(np.sum(np.linalg.norm(_centred(G), axis=1))) / len(G)),
        ),
        Mistake(
            "standard_deviation",
            "You returned a standard deviation (a square root); the question asks for the "
            "expected squared error.",
            "Leave out the square root.",
            variant=lambda G, B: math.sqrt(_minibatch_grad_variance(G, B)),
        ),
    ],
    wrong_hint=f"E‖ĝ_B − ∇f‖² for B distinct examples is the second line of {_SECTION_3}'s "
               "formulas, with σ² the spread of the per-example gradients.",
    rediagnose_raised=_transposed_raised,
)


def _variance_probes():
    """(mistake, calls, holds(values), diagnosis, hint): properties E‖ĝ_B − ∇f‖² has whatever the
    data, tried in turn when no known mistake explains a wrong value. A call is
    (label, per_example_grads, batch_size)."""
    G = _grads(50, 10, 3)
    shifted = ("G + c (the same c = [5, −2, 1] added to every row)", G + np.array([5.0, -2.0, 1.0]))
    return [
        ("full_batch_not_zero", [("G", G, 10)], lambda v: math.isclose(v[0], 0.0, abs_tol=1e-12),
         "A batch of all N examples is the full batch: its gradient is ∇f itself, so its error is "
         "0, and your value is not.",
         f"{_cap(_SECTION_3)}: the factor for distinct examples vanishes at B = N."),
        ("not_shift_invariant", [("G", G, 3), (*shifted, 3)],
         lambda v: math.isclose(v[0], v[1], rel_tol=1e-7, abs_tol=1e-12),
         "Adding the same vector to every gᵢ moves ∇f and every ĝ_B by that vector, so "
         "ĝ_B − ∇f does not change; your value did.",
         "Measure each gradient's deviation from the mean ∇f — the mean over the examples, one "
         "value per coordinate — not from 0 and not from any other mean."),
        ("batch_of_one", [("G", G, 1)], lambda v: math.isclose(v[0], _spread(G), rel_tol=1e-7),
         "With B = 1 the batch is one random example, so E‖ĝ_B − ∇f‖² is the mean of "
         "‖gᵢ − ∇f‖² over the examples, the spread σ² itself; yours differs.",
         f"Compute σ² as {_SECTION_3} defines it (1/N, squared norms), then check your factor at B = 1."),
        ("not_falling_with_batch", [("G", G, 2), ("G", G, 5)], lambda v: v[1] < v[0],
         "Your value does not fall when the batch grows from 2 to 5: a larger batch averages "
         "more gradients, so its error is smaller.",
         f"{_cap(_SECTION_3)}: the noise falls like 1/B (and faster near B = N)."),
    ]


def _variance_property_problem(func) -> tuple[str, Diagnosis, object] | None:
    """The first property a wrong ``minibatch_grad_variance`` breaks, on a 10 × 3 G."""
    part = MINIBATCH_GRAD_VARIANCE
    for mistake, calls, holds, diagnosis, hint in _variance_probes():
        values = []
        for _, G, B in calls:
            args = {"per_example_grads": G, "batch_size": B}
            try:
                values.append(part.returns.accept(part.call(func, args), args))
            except Diagnosis:
                return None
        if not holds(values):
            tried = "; ".join(f"minibatch_grad_variance({label}, batch_size={B})" for label, _, B in calls)
            return (f"{tried}, with G 10 per-example gradients in 3 coordinates",
                    Diagnosis(mistake, diagnosis, hint), values[0] if len(values) == 1 else tuple(values))
    return None


def check_minibatch_grad_variance(minibatch_grad_variance, *, hidden: bool = False) -> None:
    """Check ``minibatch_grad_variance(per_example_grads, batch_size) -> float``
    (per_example_grads of shape (N, dim), N ≥ 2, 1 ≤ batch_size ≤ N)."""
    _property_check(MINIBATCH_GRAD_VARIANCE, _variance_property_problem, minibatch_grad_variance,
                    hidden=hidden)


# ---------------------------------------------------------------------------
# Part 4: the noise floor of constant-η SGD (a derivation)
# ---------------------------------------------------------------------------
#
# The notebook walks the argument in three steps: (1) x_{t+1} as a factor times x_t plus a
# kick; (2) the recursion for E[x²]; (3) its fixed point v∞, and for which ηλ the recursion
# settles there. Hints point to those steps and to the lesson's sections; none states the
# floor, a factor of it, or how the learner's value relates to it.

_STEP_1 = "step 1 of part 4 (x_{t+1} as a factor times x_t plus a kick)"
_STEP_2 = "step 2 of part 4 (the recursion for E[x²])"
_STEP_3 = "step 3 of part 4 (the fixed point of that recursion)"



def _stationary_variance(lr, lam, noise_var):
    """v∞ = ησ²/(λ(2 − ηλ)): the fixed point of v ← (1 − ηλ)²v + η²σ², which attracts iff
    |1 − ηλ| < 1; ∞ when ηλ ≥ 2."""
    if lr * lam >= 2:
        return math.inf
    return lr * noise_var / (lam * (2 - lr * lam))


def _noise_case(lr, lam, noise_var) -> Case:
    return Case({"lr": lr, "lam": lam, "noise_var": noise_var})


def _noise_draws(count: int, seed: int) -> list[Case]:
    """Seeded cases: ηλ log-uniform in [1e-3, 4) (about a fifth of them unstable), λ in
    [0.1, 20], σ² in [0.01, 10]."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        product = float(np.exp(rng.uniform(np.log(1e-3), np.log(4.0))))
        lam = float(np.exp(rng.uniform(np.log(0.1), np.log(20.0))))
        cases.append(_noise_case(product / lam, lam, float(np.exp(rng.uniform(np.log(0.01), np.log(10.0))))))
    return cases


def _stable_formula(formula):
    """A variant that follows ``formula`` when ηλ < 2 and returns ∞ from 2 on, as the text asks."""
    def variant(lr, lam, noise_var):
        if lr * lam >= 2:
            return math.inf
        return formula(lr, lam, noise_var)
    return variant


def _unstable_from(limit):
    """The floor's formula, but ∞ exactly when ``limit(lr, lam)`` says the iteration is unstable."""
    def variant(lr, lam, noise_var):
        return math.inf if limit(lr, lam) else lr * noise_var / (lam * (2 - lr * lam))
    return variant


def _approximately(args, out, expected) -> bool:
    """Within 5 % where there is a floor, ∞ where there is none, 0 without noise: a simulation
    or a finite number of iterations (the check's tolerance is 1e-7)."""
    if math.isinf(expected) or expected == 0:
        return out == expected
    return abs(out - expected) < 0.05 * expected


@dataclasses.dataclass(frozen=True)
class _FloorOut(NumberOnlyOut):
    """A number or ∞; None where ηλ ≥ 2 is told what the text asks for there."""

    def accept(self, value, args):
        unstable = args["lr"] * args["lam"] >= 2
        if unstable and isinstance(value, (numbers.Real, np.floating)) and math.isnan(value):
            raise Diagnosis(
                "not_finite",
                f"It returned nan for ηλ = {describe(args['lr'] * args['lam'])} ≥ 2, where the text "
                "asks for np.inf (the iteration is unstable: no stationary variance).",
                "Return np.inf when lr·lam ≥ 2 (nan is what arithmetic gives for 0/0 or ∞ − ∞).",
                show_returned=False,
            )
        if value is None and unstable:
            raise Diagnosis(
                "returned_none",
                f"It returned None for ηλ = {describe(args['lr'] * args['lam'])} ≥ 2, where the text "
                "asks for np.inf (the iteration is unstable: no stationary variance).",
                "Return np.inf when lr·lam ≥ 2.",
                show_returned=False,
            )
        return super().accept(value, args)


def _finite_beyond_the_limit(part: Part, func) -> Diagnosis:
    """The learner's code returns a finite value for some ηλ > 2: its stability test looks at η
    alone if a large η on a flat valley (ηλ = 1) comes back infinite; else there is none."""
    flat = {"lr": 2.5, "lam": 0.4, "noise_var": 1.0}
    try:
        value = part.call(func, flat)
        lr_alone = isinstance(value, (numbers.Real, np.floating)) and math.isinf(value)
    except Diagnosis:
        lr_alone = False
    named = "limit_ignores_lam" if lr_alone else "finite_when_unstable"
    mistake = next(m for m in part.mistakes if m.id == named)
    return Diagnosis(mistake.id, mistake.diagnosis, mistake.hint, show_returned=False)


def _unstable_raised(part: Part, func, case: Case, problem: Diagnosis) -> Diagnosis | None:
    """Raised for ηλ ≥ 2: at ηλ = 2 exactly, a division by 2 − ηλ = 0 (the boundary left on the
    stable side, or no stability test at all); above 2, an exception instead of np.inf."""
    args = case.args
    product = args["lr"] * args["lam"]
    if product < 2:
        return None
    where = f"{part.name} raised at ηλ = {describe(product)}:\n  " + problem.diagnosis.replace("\n", "\n  ")
    beyond = None
    if product == 2:
        try:
            beyond = part.call(func, {**args, "lr": 1.5 * args["lr"]})
        except Diagnosis:
            beyond = None
        if isinstance(beyond, (numbers.Real, np.floating)) and math.isfinite(beyond):
            return _finite_beyond_the_limit(part, func)
        if isinstance(beyond, (numbers.Real, np.floating)) and math.isinf(beyond):
            return Diagnosis(
                "boundary_excluded",
                where + "\nAt ηλ = 2 the factor |1 − ηλ| is 1: the iteration does not contract, and "
                "the noise keeps adding variance, so ηλ = 2 belongs to the unstable side.",
                "Which side of your test does ηλ = 2 itself fall on? Lesson 01: x_t = (1 − ηλ)^t x₀ "
                "shrinks only when |1 − ηλ| < 1.",
                show_returned=False,
            )
    return Diagnosis(
        "raises_when_unstable",
        where + "\nFor ηλ ≥ 2 the text asks for np.inf (no stationary variance), not an error.",
        "Test lr·lam ≥ 2 first and return np.inf there; compute the floor only below 2.",
        show_returned=False,
    )


STATIONARY_VARIANCE = Part(
    name="stationary_variance",
    points=2,
    case_properties=(),
    reference=_stationary_variance,
    returns=_FloorOut(what="the stationary variance", allow_inf=True),
    cases=[
        _noise_case(0.1, 1.0, 1.0),
        _noise_case(0.5, 2.0, 0.3),     # ηλ = 1: x forgets itself in one step
        _noise_case(1.5, 1.0, 2.5),     # 1 < ηλ < 2: 1 − ηλ negative, still stable
        _noise_case(0.19, 10.0, 2.0),   # ηλ = 1.9, close to the limit
        _noise_case(0.3, 10.0, 1.0),    # ηλ = 3: no stationary state
        _noise_case(0.5, 4.0, 1.0),     # ηλ = 2 exactly: the boundary (no stationary state)
        _noise_case(0.2, 3.0, 0.0),     # no noise: no floor
        _noise_case(1, 1, 3),           # ints: ηλ = 1
        _noise_case(np.float64(0.004), np.float64(5.0), np.float64(0.7)),   # NumPy scalars
        _noise_case(2.0, 1.5, 0.5),     # ηλ = 3 with λ ≠ 1
        _noise_case(2.5, 0.4, 1.0),     # a large η on a flat valley: ηλ = 1
    ],
    hidden_cases=[
        _noise_case(1e-3, 0.5, 4.0),
        _noise_case(1, 2, 3),           # ints, ηλ = 2 exactly
        _noise_case(0.4, 5.0, 1.0),     # 0.4·5 rounds to 2.0 exactly in floats
        _noise_case(0.399, 5.0, 1.0),   # just below the boundary
        _noise_case(0.401, 5.0, 1.0),   # just above it
        _noise_case(2.5, 1.0, 0.1),
        _noise_case(3, 1, 2),           # ints, unstable
        _noise_case(np.int64(1), np.float64(1.5), np.int64(2)),   # NumPy ints and floats
        *_noise_draws(12, 4),
    ],
    mistakes=[
        Mistake(
            "small_lr_approximation",
            "Your value matches the first-order floor of lesson 02, section 4: right for tiny ηλ, "
            "but the exercise asks for the exact floor, and the two part ways more and more as ηλ "
            "grows.",
            f"{_cap(_STEP_3)}: keep every term of the squared factor when you solve for v∞ (lesson 02, "
            "section 4 says its formula keeps only the first order in η).",
            variant=_stable_formula(lambda lr, lam, s2: lr * s2 / (2 * lam)),
        ),
        Mistake(
            "noise_without_lr",
            "Your value treats the kick as ξ itself, but the update subtracts η(λx + ξ): the "
            "noise reaches x scaled by the step, so your floor does not vanish as η → 0.",
            f"{_cap(_STEP_1)}: write the kick out term by term; in {_STEP_2} its contribution is "
            "the expectation of its square.",
            variant=_stable_formula(lambda lr, lam, s2: s2 / (lr * lam * (2 - lr * lam))),
        ),
        Mistake(
            "factor_not_squared",
            "In your recursion the factor in front of x_t enters as it is, not squared: E[(a·x)²] "
            "is not a·E[x²].",
            f"{_cap(_STEP_2)}: square the whole of x_{{t+1}} first, then take the expectation term by term.",
            variant=_stable_formula(lambda lr, lam, s2: lr ** 2 * s2 / (1 - abs(1 - lr * lam))),
        ),
        Mistake(
            "factor_not_squared",
            "In your recursion the factor in front of x_t enters as it is, not squared: E[(a·x)²] "
            "is not a·E[x²].",
            f"{_cap(_STEP_2)}: square the whole of x_{{t+1}} first, then take the expectation term by term.",
            variant=_stable_formula(lambda lr, lam, s2: lr * s2 / lam),
        ),
        Mistake(
            "expansion_sign_slip",
            "Your floor lies *below* the first-order floor of lesson 02, section 4, and further "
            "below as ηλ grows; the exact floor lies above it, because near ηλ = 2 the iteration "
            "barely contracts and the noise piles up. A sign slipped when the square was expanded.",
            f"{_cap(_STEP_3)}: expand the square of the factor again, sign by sign, before you solve.",
            variant=_stable_formula(lambda lr, lam, s2: lr * s2 / (lam * (2 + lr * lam))),
        ),
        Mistake(
            "extra_lr",
            "Your value has one η too many: for small η it shrinks like η², while lesson 02, "
            "section 4 finds a floor proportional to η.",
            f"{_cap(_STEP_3)}: redo the division that solves for v∞: which factor do its numerator and "
            "denominator share, and how often?",
            variant=_stable_formula(lambda lr, lam, s2: lr ** 2 * s2 / (lam * (2 - lr * lam))),
        ),
        Mistake(
            "noise_var_squared",
            "Your value grows with the square of noise_var: noise_var is already the variance "
            "σ² = E[ξ²] of the noise, not its standard deviation.",
            f"{_cap(_STEP_2)}: the kick's square has expectation proportional to E[ξ²] = noise_var.",
            variant=_stable_formula(lambda lr, lam, s2: lr * s2 ** 2 / (lam * (2 - lr * lam))),
        ),
        Mistake(
            "standard_deviation",
            "You returned a standard deviation (a square root); the question asks for the variance "
            "v∞ = E[x²] at stationarity.",
            "Leave out the square root.",
            variant=_stable_formula(lambda lr, lam, s2: math.sqrt(_stationary_variance(lr, lam, s2))),
        ),
        Mistake(
            "loss_not_variance",
            "Your value is the expected loss E[f(x)] = E[½λx²] at the floor, not the variance of x "
            "that the question asks for.",
            f"Return v∞ = E[x²] itself ({_STEP_3}).",
            variant=_stable_formula(lambda lr, lam, s2: lam / 2 * _stationary_variance(lr, lam, s2)),
        ),
        Mistake(
            "unstable_from_one",
            "You returned np.inf for some 1 ≤ ηλ < 2. There 1 − ηλ is negative: x flips sign every "
            "step but still shrinks, because |1 − ηλ| < 1, so the variance does settle. Stability "
            "depends on |1 − ηλ|, not on the sign of 1 − ηλ.",
            "Lesson 01: for which ηλ does x_t = (1 − ηλ)^t x₀ go to 0? The same condition makes "
            f"{_STEP_2} settle.",
            variant=_unstable_from(lambda lr, lam: lr * lam >= 1),
        ),
        Mistake(
            "limit_ignores_lam",
            "Your stability test looks at η alone: whether the iteration contracts depends on the "
            "product ηλ (a sharper valley, larger λ, is unstable at a smaller η).",
            "The text's condition is on lr·lam.",
            variant=_unstable_from(lambda lr, lam: lr >= 2),
        ),
        Mistake(
            "finite_when_unstable",
            "For ηλ ≥ 2 the iteration is unstable (|1 − ηλ| ≥ 1): E[x²] grows without bound, so "
            "there is no stationary variance, and what your formula gives there is not a floor.",
            "Return np.inf when lr·lam ≥ 2, as the text asks.",
            detect=lambda args, out, expected: (math.isfinite(out) if math.isinf(expected)
                                                else close(out, expected)),
        ),
        Mistake(
            "approximate",
            "Your value is near the floor but not equal to it beyond rounding: did you simulate the "
            "iteration, or run the recursion for a fixed number of steps? The check wants the exact "
            "fixed point.",
            f"{_cap(_STEP_3)}: set E[x²_{{t+1}}] = E[x²_t] = v∞ and solve for v∞ in closed form.",
            detect=_approximately,
        ),
    ],
    wrong_hint=f"{_cap(_STEP_2)}, then {_STEP_3}; lesson 02, section 4 describes the balance "
               "between the pull towards the minimum and the kicks.",
    rediagnose_raised=_unstable_raised,
)


def _floor_probes():
    """(mistake, calls, holds(values), diagnosis, hint): properties of the exact floor, tried in
    turn when no known mistake explains a wrong value. A call is (lr, lam, noise_var)."""
    return [
        ("negative_variance", [(0.3, 2.0, 1.0)], lambda v: v[0] >= 0,
         "Your value is negative: a variance E[x²] cannot be.",
         f"{_cap(_STEP_3)}: check the sign of every term when you solve for v∞."),
        ("floor_without_noise", [(0.3, 2.0, 0.0)], lambda v: v[0] == 0,
         "Without noise (noise_var = 0) x converges to the minimum 0, so the floor must be 0; "
         "yours is not.",
         f"{_cap(_STEP_2)}: what is left of the recursion when the kick has no noise?"),
        ("not_proportional_to_noise", [(0.3, 2.0, 1.0), (0.3, 2.0, 2.0)],
         lambda v: math.isclose(v[1], 2 * v[0], rel_tol=1e-7),
         "Doubling noise_var does not double your floor. The noise is the only thing that keeps "
         "x from settling at 0, and it enters the recursion once, linearly in E[ξ²].",
         f"{_cap(_STEP_2)}: where does E[ξ²] = noise_var appear?"),
        ("small_lr_limit", [(1e-6, 1.0, 1.0)], lambda v: math.isclose(v[0], 0.5e-6, rel_tol=1e-4),
         "For a tiny η your floor does not agree with the first-order floor of lesson 02, "
         "section 4, which the exact one must approach as ηλ → 0 (in one dimension, with "
         "E[f] = ½λ·E[x²] and a noise of variance σ²).",
         f"{_cap(_STEP_3)}, then compare its first order in η with section 4's formula."),
        ("no_blow_up_near_2", [(1.0, 1.0, 1.0), (1.999, 1.0, 1.0)], lambda v: v[1] > 100 * v[0],
         "Your floor stays moderate as ηλ approaches 2 (tried 1 and 1.999). There the factor "
         "|1 − ηλ| approaches 1: each step barely contracts, the noise piles up, and the floor "
         "must grow without bound.",
         f"{_cap(_STEP_3)}: what happens to your fixed point when the squared factor tends to 1?"),
    ]


def _floor_property_problem(func) -> tuple[str, Diagnosis, object] | None:
    part = STATIONARY_VARIANCE
    for mistake, calls, holds, diagnosis, hint in _floor_probes():
        values = []
        for lr, lam, noise_var in calls:
            args = {"lr": lr, "lam": lam, "noise_var": noise_var}
            try:
                values.append(part.returns.accept(part.call(func, args), args))
            except Diagnosis:
                return None
        if not holds(values):
            tried = " and ".join(describe_call(part.name, {"lr": lr, "lam": lam, "noise_var": s2})
                                 for lr, lam, s2 in calls)
            return tried, Diagnosis(mistake, diagnosis, hint), values[0] if len(values) == 1 else tuple(values)
    return None


def check_stationary_variance(stationary_variance, *, hidden: bool = False) -> None:
    """Check ``stationary_variance(lr, lam, noise_var) -> float`` (np.inf when ηλ ≥ 2): Python
    and NumPy numbers, ints too; both sides of ηλ = 2 and exactly at it."""
    _property_check(STATIONARY_VARIANCE, _floor_property_problem, stationary_variance, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 5: predict how the noise floor moves (graded multiple choice)
# ---------------------------------------------------------------------------

#: Part 5's setting: f = ½λx², N per-example gradients with spread s², η and B to start from.
FLOOR_N, FLOOR_SPREAD, FLOOR_LAM, FLOOR_LR, FLOOR_BATCH = 100, 1.0, 1.0, 1.0, 10


def floor_model(*, exact_rate: bool = True, without_replacement: bool = True):
    """v∞(lr, batch_size) in part 5's setting: the exact floor of part 4 fed with the noise of
    part 3 (the right model), or a learner's mistaken one: the first-order floor η·noise/(2λ)
    (``exact_rate=False``, no stability limit), noise s²/B as for independent examples
    (``without_replacement=False``)."""
    def v(lr, batch_size):
        noise = FLOOR_SPREAD / batch_size
        if without_replacement:
            noise *= (FLOOR_N - batch_size) / (FLOOR_N - 1)
        if not exact_rate:
            return lr * noise / (2 * FLOOR_LAM)
        if lr * FLOOR_LAM >= 2:
            return math.inf
        return lr * noise / (FLOOR_LAM * (2 - lr * FLOOR_LAM))
    return v


def floor_truths(v) -> frozenset:
    """Which of statements A–D hold under the floor model ``v`` (E is about the approach)."""
    lr, b = FLOOR_LR, FLOOR_BATCH
    base = v(lr, b)
    truths = set()
    if v(lr / 2, b) < base / 2 * (1 - 1e-9):
        truths.add("A")
    if v(lr, 2 * b) < base / 2 * (1 - 1e-9):
        truths.add("B")
    if math.isclose(v(2 * lr, 2 * b), base, rel_tol=1e-9):
        truths.add("C")
    if v(lr, FLOOR_N) == 0:
        truths.add("D")
    return frozenset(truths)


_FLOOR_RIGHT = floor_truths(floor_model())          # E is false: see the tests

_FLOOR_MODELS = [
    # (mistaken model, mistake id, diagnosis, hint): fires when the answer is exactly what
    # that model predicts (and not empty)
    (floor_model(exact_rate=False, without_replacement=False), "first_order_floor",
     "Your choices are what the small-η formula of lesson 02, section 4 predicts, a floor that "
     "depends on η and B only through η/B. Here ηλ = 1 is not small and every batch comes from "
     "only N = 100 examples: work out each floor with your stationary_variance and "
     "minibatch_grad_variance instead of the approximation.",
     "Lesson 02, section 4 (the formula keeps only the first order in η) and section 6 (where "
     "the linear scaling rule breaks); parts 3 and 4 of this exercise."),
    (floor_model(without_replacement=False), "with_replacement_noise",
     "Your choices treat the batch noise as σ²/B, as for examples drawn independently. A batch "
     "here is B distinct examples out of N = 100: how does its noise change when B doubles, "
     "and what is it when B = N?",
     "Lesson 02, section 3 (the second formula) and part 3 of this exercise."),
    (floor_model(exact_rate=False), "floor_proportional_to_lr",
     "Your choices treat the floor as proportional to η. That holds only for ηλ ≪ 1; at ηλ = 1 "
     "use the exact floor of part 4: by what factor does it change when η is halved?",
     "Lesson 02, section 4 (the formula keeps only the first order in η) and part 4 of this "
     "exercise."),
]

#: Where every statement of part 5 is settled (the neutral message sends the learner to all of it)
_FLOOR_SECTIONS = ("lesson 02, sections 3–7 (the noise of B distinct examples, the floor and its "
                   "small-η formula, how fast the mean shrinks, where the linear scaling rule "
                   "breaks), and your parts 3 and 4")


def _grade_floor(chosen: frozenset) -> Diagnosis | None:
    return choice_feedback(chosen, _FLOOR_RIGHT, _FLOOR_MODELS, _FLOOR_SECTIONS, predict=floor_truths)


FLOOR_PREDICTIONS = ChoicePart("floor_predictions", 2)


def check_floor_predictions(floor_predictions, *, hidden: bool = False) -> None:
    """Check ``floor_predictions() -> str of letters`` (part 5's true statements)."""
    FLOOR_PREDICTIONS.check(floor_predictions, options="ABCDE", example='"CE"', grade=_grade_floor,
                            hidden=hidden)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = grade_cell_points(MINIBATCHES, SGD_EPOCH, MINIBATCH_GRAD_VARIANCE, STATIONARY_VARIANCE,
                          FLOOR_PREDICTIONS)
