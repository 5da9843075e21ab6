"""Checks for exercise 02 — stochastic and mini-batch gradient descent.

Parts (learner's function → check):

- ``minibatches(n, batch_size, epochs, seed)`` → iterator of index arrays
  (reshuffled every epoch, every example once per epoch, last partial batch kept,
  reproducible from ``seed``)                                   → :func:`check_minibatches`
- ``sgd_epoch(x, grad_fn, lr, batches) -> x_new``  (one step per batch)
                                                                → :func:`check_sgd_epoch`
- ``minibatch_grad_variance(per_example_grads, batch_size) -> float``
  (E‖ĝ_B − ∇f‖² for a batch drawn without replacement)          → :func:`check_minibatch_grad_variance`
- ``stationary_variance(lr, lam, noise_var) -> float``
  (the noise floor of constant-η SGD on ½λx²)                   → :func:`check_stationary_variance`
- ``floor_predictions() -> str`` (graded multiple choice: how the noise floor moves when η
  is halved, B doubled, both doubled, or B = N; and what a smaller η costs)
                                                                → :func:`check_floor_predictions`
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from lrcourse.grading.core import (
    TIME_LIMIT, ArrayOut, Case, Mistake, NumberOut, Part, Problem, call_learner, check_cases,
    check_choice, describe_call,
)
from lrcourse.grading.diagnose import scaled

__all__ = [
    "PARTS",
    "check_minibatches",
    "check_sgd_epoch",
    "check_minibatch_grad_variance",
    "check_stationary_variance",
    "check_floor_predictions",
    "floor_model",
]


# ---------------------------------------------------------------------------
# Part 1: the mini-batch iterator (a check on properties, not on one exact order)
# ---------------------------------------------------------------------------

MINIBATCHES_POINTS = 3

# n >= 9 everywhere: a right implementation leaves the examples in order (or repeats
# an epoch's order) with probability 1/n! <= 3e-6, so the shuffle checks cannot fail it.
_MINIBATCH_CASES = [(10, 4, 3, 0), (12, 4, 2, 1), (9, 16, 2, 2)]
_MINIBATCH_HIDDEN = [(1000, 32, 2, 3), (9, 1, 3, 4), (11, 3, 4, 5)]


def _batch_problem(mistake: str, diagnosis: str, hint: str) -> Problem:
    return Problem(mistake, diagnosis, hint, show_returned=False)


_NONE = object()
_NOT_ITERABLE = object()


def _collect(func, n, batch_size, epochs, seed) -> list:
    """Run the learner's iterator (at most a few batches past the right count)."""
    limit = epochs * math.ceil(n / batch_size) + 3

    def take(result):
        if result is None:
            return _NONE
        try:
            iterator = iter(result)
        except TypeError:
            return _NOT_ITERABLE
        return list(itertools.islice(iterator, limit))

    batches = call_learner(func, [n, batch_size, epochs, seed], name="minibatches",
                           time_limit=TIME_LIMIT, consume=take)
    if batches is _NONE:
        raise _batch_problem(
            "returned_none",
            "It returned None instead of an iterator of batches.",
            "Use `yield batch` inside the loops (that makes the function a generator), "
            "or collect the batches in a list and return it.",
        )
    if batches is _NOT_ITERABLE:
        raise _batch_problem(
            "wrong_type",
            "It returned something that is not iterable instead of the batches.",
            "Use `yield batch` inside the loops, or return a list of index arrays.",
        )
    return batches


def _as_index_batches(batches: list, n: int) -> list[np.ndarray]:
    arrays = []
    for batch in batches:
        array = np.asarray(batch)
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
        if array.size and (array.min() < 0 or array.max() >= n):
            raise _batch_problem(
                "index_out_of_range",
                f"A batch holds the index {int(array.max() if array.max() >= n else array.min())}, "
                f"outside 0 … n − 1 = {n - 1}.",
                "Indices run from 0 to n − 1.",
            )
        arrays.append(array.astype(np.int64))
    return arrays


def _split_epochs(batches: list[np.ndarray], n: int, batch_size: int, epochs: int) -> list[list]:
    """Group consecutive batches into epochs of n examples each, or say what is wrong."""
    expected_count = epochs * math.ceil(n / batch_size)
    sizes = [b.size for b in batches]
    if len(batches) > expected_count:
        if len(batches) == expected_count + 3:
            raise _batch_problem(
                "never_stops",
                f"It keeps yielding batches after {epochs} epochs (it yielded more than the "
                f"{expected_count} batches that {epochs} epochs of n = {n} in batches of "
                f"{batch_size} make).",
                "The outer loop runs over the epochs: `for epoch in range(epochs):`.",
            )
        raise _batch_problem(
            "too_many_batches",
            f"It yielded {len(batches)} batches; {epochs} epochs of n = {n} examples in batches of "
            f"{batch_size} make {expected_count}.",
            "Each epoch has ⌈n / batch_size⌉ batches: the last one holds what is left.",
        )
    remainder = n % batch_size
    if remainder and len(batches) == epochs * (n // batch_size) and all(s == batch_size for s in sizes):
        raise _batch_problem(
            "drops_last_batch",
            f"It drops the last, smaller batch of each epoch: with n = {n} and batch_size = "
            f"{batch_size}, {remainder} examples per epoch are never used.",
            "Keep the last partial batch: slicing order[start:start + batch_size] with start "
            "running up to n handles it.",
        )
    grouped, current, total = [], [], 0
    for batch in batches:
        current.append(batch)
        total += batch.size
        if total == n:
            grouped.append(current)
            current, total = [], 0
        elif total > n:
            raise _batch_problem(
                "batch_crosses_epochs",
                "A batch mixes the end of one epoch with the start of the next (the batches "
                f"of an epoch add up to more than n = {n}).",
                "Finish each epoch with a smaller batch, then reshuffle for the next epoch.",
            )
    if current or len(grouped) != epochs:
        raise _batch_problem(
            "too_few_batches",
            f"Its batches cover {len(grouped)} full epoch(s) and {total} more examples; "
            f"expected {epochs} epochs of n = {n}.",
            "Every epoch must use every example exactly once.",
        )
    return grouped


def _check_epoch(epoch: list[np.ndarray], n: int, batch_size: int) -> None:
    order = np.concatenate(epoch)
    counts = np.bincount(order, minlength=n)
    if np.any(counts > 1):
        raise _batch_problem(
            "with_replacement",
            "Within one epoch some examples appear more than once and others never: the "
            "indices were drawn with replacement.",
            "Shuffle a permutation of range(n) once per epoch and cut it into batches "
            "(rng.integers or rng.choice without replace=False draw with replacement).",
        )
    if np.any(counts == 0):  # pragma: no cover - sizes already add up to n
        raise _batch_problem("missing_examples", "Some examples never appear in an epoch.",
                             "Every example must appear once per epoch.")
    sizes = [b.size for b in epoch]
    if any(size != batch_size for size in sizes[:-1]) or not 0 < sizes[-1] <= batch_size:
        raise _batch_problem(
            "wrong_batch_sizes",
            f"The batch sizes of an epoch are {sizes}; all but the last should be {batch_size}, "
            "and the last holds what is left.",
            "Cut the shuffled order into consecutive slices of batch_size.",
        )


def _check_minibatch_case(func, n, batch_size, epochs, seed) -> None:
    batches = _as_index_batches(_collect(func, n, batch_size, epochs, seed), n)
    grouped = _split_epochs(batches, n, batch_size, epochs)
    for epoch in grouped:
        _check_epoch(epoch, n, batch_size)
    orders = [np.concatenate(epoch) for epoch in grouped]
    if np.array_equal(orders[0], np.arange(n)):
        raise _batch_problem(
            "not_shuffled",
            "The examples come in their original order 0, 1, 2, …: they are not shuffled.",
            "Shuffle at the start of every epoch, e.g. with a permutation from your generator.",
        )
    if epochs > 1 and all(np.array_equal(o, orders[0]) for o in orders[1:]):
        raise _batch_problem(
            "shuffled_once",
            "Every epoch visits the examples in the same order: they are shuffled once, not "
            "reshuffled each epoch.",
            "Draw a new permutation at the start of every epoch from one generator created "
            "before the loop (a generator re-created from the seed each epoch repeats its order).",
        )
    again = _as_index_batches(_collect(func, n, batch_size, epochs, seed), n)
    if len(again) != len(batches) or any(not np.array_equal(a, b) for a, b in zip(again, batches)):
        raise _batch_problem(
            "not_reproducible",
            "Two calls with the same seed give different batches, so a run cannot be repeated.",
            "Create the generator from the seed inside the function, "
            "rng = np.random.default_rng(seed), and draw from it (not from np.random's global state).",
        )
    other = _as_index_batches(_collect(func, n, batch_size, epochs, seed + 100), n)
    if len(other) == len(batches) and all(np.array_equal(a, b) for a, b in zip(other, batches)):
        raise _batch_problem(
            "seed_ignored",
            "Different seeds give the same batches: the seed argument is ignored.",
            "Create the generator from the seed you are given.",
        )


def check_minibatches(minibatches, *, hidden: bool = False) -> None:
    """Check ``minibatches(n, batch_size, epochs, seed)`` → iterator of index arrays."""
    check_cases(
        "minibatches", MINIBATCHES_POINTS, _MINIBATCH_HIDDEN if hidden else _MINIBATCH_CASES,
        lambda case: _check_minibatch_case(minibatches, *case),
        tried=lambda case: describe_call("minibatches",
                                         dict(zip(("n", "batch_size", "epochs", "seed"), case))),
        hidden=hidden,
    )


# ---------------------------------------------------------------------------
# Part 2: one epoch of SGD
# ---------------------------------------------------------------------------

class _LeastSquaresGradient:
    """Mean gradient of ½(aᵢ·x − bᵢ)² over a batch (all examples when batch is None)."""

    def __init__(self, seed: int, n: int, dim: int):
        rng = np.random.default_rng(seed)
        self.A = rng.normal(size=(n, dim))
        self.b = self.A @ rng.normal(size=dim) + 0.3 * rng.normal(size=n)
        self.__name__ = "grad_fn"
        self.n, self.dim = n, dim

    def __call__(self, x, batch=None):
        A, b = (self.A, self.b) if batch is None else (self.A[batch], self.b[batch])
        return A.T @ (A @ x - b) / len(b)

    def text(self) -> str:
        return (f"mean gradient over the batch of ½(aᵢ·x − bᵢ)² on {self.n} examples "
                f"in {self.dim} dimensions")


def _batches(n: int, batch_size: int, seed: int) -> list:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _sgd_case(seed, n, dim, lr, batch_size):
    grad_fn = _LeastSquaresGradient(seed, n, dim)
    batches = _batches(n, batch_size, seed + 1)
    x = np.random.default_rng(seed + 2).normal(size=dim)
    sizes = [len(b) for b in batches]
    return Case({"x": x, "grad_fn": grad_fn, "lr": lr, "batches": batches},
                shown={"grad_fn": grad_fn.text(),
                       "batches": f"{len(batches)} index arrays of sizes {sizes}"})


def _sgd_epoch(x, grad_fn, lr, batches):
    for batch in batches:
        x = x - lr * grad_fn(x, batch)
    return x


def _epoch_variant(update):
    def run(x, grad_fn, lr, batches):
        for batch in batches:
            x = update(x, grad_fn, lr, batch)
        return x
    return run


def _one_step_mean(x, grad_fn, lr, batches):
    return x - lr * np.mean([grad_fn(x, b) for b in batches], axis=0)


def _stale_gradients(x, grad_fn, lr, batches):
    return x - lr * np.sum([grad_fn(x, b) for b in batches], axis=0)


SGD_EPOCH = Part(
    name="sgd_epoch",
    points=2,
    reference=_sgd_epoch,
    returns=ArrayOut(what="the parameters after the epoch", like="x"),
    cases=[
        _sgd_case(0, 10, 3, 0.1, 4),
        _sgd_case(1, 12, 2, 0.05, 3),
        _sgd_case(2, 6, 4, 0.2, 6),
    ],
    hidden_cases=[
        _sgd_case(3, 50, 5, 0.01, 8),
        _sgd_case(4, 9, 3, 0.3, 1),
    ],
    mistakes=[
        Mistake(
            "sign_flipped",
            "Your steps move uphill: the sign of the update is flipped.",
            "Each step subtracts η times the mini-batch gradient.",
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
            variant=lambda x, g, lr, batches: _sgd_epoch(x, g, lr, batches[:-1]),
        ),
        Mistake(
            "last_batch_only",
            "Only one step was taken (with the last batch): the parameters must be updated "
            "inside the loop, once per batch.",
            "Update x = ... inside the loop and return x after it.",
            variant=lambda x, g, lr, batches: x - lr * g(x, batches[-1]),
        ),
    ],
    wrong_hint="Take one SGD step per batch, in order, each with the mini-batch gradient at the current x.",
)


def check_sgd_epoch(sgd_epoch, *, hidden: bool = False) -> None:
    """Check ``sgd_epoch(x, grad_fn, lr, batches) -> x_new``."""
    SGD_EPOCH.check(sgd_epoch, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 3: the variance of a mini-batch gradient
# ---------------------------------------------------------------------------

def _spread(G):
    """Σᵢ ‖gᵢ − ḡ‖² and N."""
    G = np.asarray(G, dtype=float)
    return float(np.sum((G - G.mean(axis=0)) ** 2)), G.shape[0]


def _minibatch_grad_variance(per_example_grads, batch_size):
    total, n = _spread(per_example_grads)
    return (n - batch_size) / (batch_size * (n - 1)) * total / n


def _grads_case(seed, n, dim, batch_size):
    G = np.random.default_rng(seed).normal(size=(n, dim)) + np.arange(dim)
    return Case({"per_example_grads": G, "batch_size": batch_size})


MINIBATCH_GRAD_VARIANCE = Part(
    name="minibatch_grad_variance",
    points=2,
    reference=_minibatch_grad_variance,
    returns=NumberOut(what="the expected squared error of the mini-batch gradient"),
    cases=[
        _grads_case(0, 6, 2, 2),
        _grads_case(1, 5, 3, 5),   # the whole data set: no noise
        _grads_case(2, 8, 3, 1),
        _grads_case(3, 20, 4, 7),
    ],
    hidden_cases=[
        _grads_case(4, 100, 5, 10),
        _grads_case(5, 3, 1, 2),
    ],
    mistakes=[
        Mistake(
            "with_replacement",
            "Your formula is for batches drawn with replacement. minibatches draws without "
            "replacement, so a batch of all N examples has no noise at all.",
            "Without replacement the variance of a batch mean carries the factor "
            "(N − B)/(N − 1) on top of 1/B.",
            variant=lambda G, B: _spread(G)[0] / _spread(G)[1] / B,
        ),
        Mistake(
            "sample_variance",
            "You used the sample variance (ddof = 1) divided by B, which leaves out the "
            "finite-population factor (1 − B/N): a batch of all N examples has no noise.",
            "Check your formula at B = N: the answer must be 0.",
            variant=lambda G, B: _spread(G)[0] / (_spread(G)[1] - 1) / B,
        ),
        Mistake(
            "no_batch_average",
            "Your value does not shrink with the batch size: averaging B gradients divides "
            "their variance by about B.",
            "The mini-batch gradient is the mean of B per-example gradients.",
            variant=lambda G, B: (_spread(G)[1] - B) / (_spread(G)[1] - 1) * _spread(G)[0] / _spread(G)[1],
        ),
        Mistake(
            "mean_over_coordinates",
            "You averaged the variance over the coordinates; the squared norm ‖ĝ − ∇f‖² sums "
            "them.",
            "Sum the per-coordinate variances (or take the squared norm of each deviation).",
            detect=lambda args, out, expected: np.isclose(
                out, expected / np.shape(args["per_example_grads"])[1], rtol=1e-7)
            and np.shape(args["per_example_grads"])[1] > 1 and expected > 0,
        ),
        Mistake(
            "standard_deviation",
            "You returned a standard deviation (a square root); the question asks for the "
            "expected squared error.",
            "Leave out the square root.",
            detect=lambda args, out, expected: expected > 0 and not np.isclose(expected, 1.0)
            and np.isclose(out, np.sqrt(expected), rtol=1e-7),
        ),
    ],
    wrong_hint="E‖ĝ_B − ∇f‖² is the variance of a mean of B gradients drawn without replacement "
               "from the N per-example gradients.",
)


def check_minibatch_grad_variance(minibatch_grad_variance, *, hidden: bool = False) -> None:
    """Check ``minibatch_grad_variance(per_example_grads, batch_size) -> float``."""
    MINIBATCH_GRAD_VARIANCE.check(minibatch_grad_variance, hidden=hidden)


# ---------------------------------------------------------------------------
# Part 4: the noise floor of constant-η SGD
# ---------------------------------------------------------------------------

def _stationary_variance(lr, lam, noise_var):
    if lr * lam >= 2:
        return math.inf
    return lr * noise_var / (lam * (2 - lr * lam))


def _noise_case(lr, lam, noise_var):
    return Case({"lr": lr, "lam": lam, "noise_var": noise_var})


def _stable_formula(formula):
    """A variant that follows ``formula`` when 0 < ηλ < 2 and agrees with the reference elsewhere."""
    def variant(lr, lam, noise_var):
        if lr * lam >= 2:
            return math.inf
        return formula(lr, lam, noise_var)
    return variant


def _boundary_raised(part: Part, func, case: Case, problem: Problem) -> Problem | None:
    """Raised exactly at ηλ = 2 (a division by 2 − ηλ = 0): the boundary was left out of the
    unstable range."""
    args = case.args
    if args["lr"] * args["lam"] != 2:
        return None
    try:  # no stability test at all? then a clearly unstable ηλ = 3 comes back finite
        beyond = part.call(func, {**args, "lr": 1.5 * args["lr"]})
        if isinstance(beyond, (int, float, np.floating)) and math.isfinite(beyond):
            unstable = next(m for m in part.mistakes if m.id == "finite_when_unstable")
            return Problem(unstable.id, unstable.diagnosis, unstable.hint, show_returned=False)
    except Problem:
        pass
    return Problem(
        "boundary_excluded",
        f"{part.name} raised at ηλ = 2 exactly:\n  " + problem.diagnosis.replace("\n", "\n  ")
        + "\nAt ηλ = 2 the factor |1 − ηλ| is 1: the iteration does not contract, and the noise "
        "keeps adding variance.",
        "Which side of your test does ηλ = 2 itself fall on? Lesson 02, the noise floor: "
        "a stationary variance needs |1 − ηλ| < 1.",
        show_returned=False,
    )


STATIONARY_VARIANCE = Part(
    name="stationary_variance",
    points=2,
    reference=_stationary_variance,
    returns=NumberOut(what="the stationary variance", allow_inf=True),
    cases=[
        _noise_case(0.1, 1.0, 1.0),
        _noise_case(0.5, 2.0, 0.3),
        _noise_case(1.5, 1.0, 1.0),
        _noise_case(0.3, 10.0, 1.0),   # ηλ = 3: no stationary state
        _noise_case(0.5, 4.0, 1.0),    # ηλ = 2 exactly: the boundary (no stationary state)
    ],
    hidden_cases=[
        _noise_case(1e-3, 0.5, 4.0),
        _noise_case(0.199, 10.0, 2.0),
        _noise_case(2.5, 1.0, 0.1),
    ],
    mistakes=[
        Mistake(
            "small_lr_approximation",
            "Your value matches the small-η approximation: right for tiny ηλ, but it drops a "
            "term of the exact recursion that matters more and more as ηλ approaches 2.",
            "Lesson 02, the noise floor: at stationarity the variance is the same before and "
            "after a step; expand (1 − ηλ)² fully before you solve for it.",
            variant=_stable_formula(lambda lr, lam, s2: lr * s2 / (2 * lam)),
        ),
        Mistake(
            "noise_without_lr",
            "The noise enters the update multiplied by η, so its variance contributes η²σ², "
            "not σ².",
            "Write the update as x ← (1 − ηλ)x − ηξ and take the variance of both sides.",
            variant=_stable_formula(lambda lr, lam, s2: s2 / (lr * lam * (2 - lr * lam))),
        ),
        Mistake(
            "factor_not_squared",
            "The contraction factor (1 − ηλ) must be squared in the variance recursion: "
            "Var[a·x] = a²·Var[x].",
            "For independent x and ξ, Var[a·x + b·ξ] = a²·Var[x] + b²·Var[ξ].",
            variant=_stable_formula(lambda lr, lam, s2: lr ** 2 * s2 / (1 - abs(1 - lr * lam))),
        ),
        Mistake(
            "standard_deviation",
            "You returned the standard deviation (a square root); the question asks for the variance.",
            "Leave out the square root.",
            variant=_stable_formula(lambda lr, lam, s2: math.sqrt(lr * s2 / (lam * (2 - lr * lam)))),
        ),
        scaled(
            "loss_not_variance",
            lambda args: args["lam"] / 2,
            "You returned the expected loss ½λ·v, the noise floor of the loss; the question "
            "asks for the variance v of x.",
            "Return v itself.",
        ),
        Mistake(
            "finite_when_unstable",
            "For ηλ ≥ 2 the iteration is unstable (|1 − ηλ| ≥ 1): the variance grows without "
            "bound, so there is no stationary variance.",
            "Return np.inf when lr·lam ≥ 2.",
            detect=lambda args, out, expected: math.isinf(expected) and math.isfinite(out),
        ),
    ],
    wrong_hint="At stationarity Var[x_{t+1}] = Var[x_t]; the update is x ← (1 − ηλ)x − ηξ.",
    rediagnose_raised=_boundary_raised,
)


def check_stationary_variance(stationary_variance, *, hidden: bool = False) -> None:
    """Check ``stationary_variance(lr, lam, noise_var) -> float`` (np.inf when ηλ ≥ 2)."""
    STATIONARY_VARIANCE.check(stationary_variance, hidden=hidden)


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
    # (mistaken model, mistake id, diagnosis, hint): fires when the chosen A–D are exactly
    # what that model predicts
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

_FLOOR_PROBLEMS = {
    # letter: (mistake id, diagnosis, hint) when it is left out (a true statement) or chosen
    # (a false one)
    "A": _FLOOR_MODELS[2][1:],
    "B": _FLOOR_MODELS[1][1:],
    "C": ("linear_scaling_beyond_limit",
          "You chose the linear scaling rule's prediction. Put the doubled rate into part 4's "
          "condition: what is ηλ then, and what does the noise do to the variance?",
          "Lesson 02, section 6: the rule assumes η well below the curvature limit 2/λ."),
    "D": ("full_batch_noise",
          "Your answer leaves out a true statement about the full batch. What is the noise of a "
          "batch that holds every one of the N examples once, and what floor does no noise leave?",
          "Lesson 02, section 3: the factor (n − B)/(n − 1)."),
    "E": ("smaller_rate_free",
          "You chose a false statement about how fast the floor is reached. The mean of x shrinks "
          "by the factor |1 − ηλ| per step: compare that factor at η = 1 and at η = 0.5.",
          "Lesson 02, section 5 (first paragraph) and the trade-off in section 7's \"Try it\"."),
}


def _grade_floor(chosen: frozenset) -> Problem | None:
    core = chosen & frozenset("ABCD")
    if core != _FLOOR_RIGHT:
        for model, mistake, diagnosis, hint in _FLOOR_MODELS:
            if core == floor_truths(model):
                return Problem(mistake, diagnosis, hint, show_returned=False)
    for letter in "ABCDE":
        if (letter in chosen) != (letter in _FLOOR_RIGHT):
            mistake, diagnosis, hint = _FLOOR_PROBLEMS[letter]
            return Problem(mistake, diagnosis, hint, show_returned=False)
    return None


@dataclasses.dataclass
class _Choice:
    """Name, points and time limit of a multiple-choice part (what the tests' tables read)."""

    name: str
    points: float
    time_limit: float = TIME_LIMIT


FLOOR_PREDICTIONS = _Choice("floor_predictions", 2)


def check_floor_predictions(floor_predictions, *, hidden: bool = False) -> None:
    """Check ``floor_predictions() -> str of letters`` (part 5's true statements)."""
    part = FLOOR_PREDICTIONS
    check_choice(part.name, part.points, floor_predictions, options="ABCDE", example='"CE"',
                 grade=_grade_floor, hidden=hidden, time_limit=part.time_limit)


#: grade_id of each grade cell -> the points its check awards (= the cell's nbgrader points)
PARTS = {
    "check_minibatches": MINIBATCHES_POINTS,
    "check_sgd_epoch": SGD_EPOCH.points,
    "check_minibatch_grad_variance": MINIBATCH_GRAD_VARIANCE.points,
    "check_stationary_variance": STATIONARY_VARIANCE.points,
    "check_floor_predictions": FLOOR_PREDICTIONS.points,
}
