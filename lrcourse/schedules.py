"""Learning-rate schedules: factories that return a plain ``step -> lr`` callable.

Every factory returns a :class:`Schedule`, a callable that maps an optimizer step to
the learning rate used at that step.  It is vectorised: ``sched(7)`` is a float and
``sched(np.arange(T))`` is the whole curve as a float64 array, ready to plot.
Its ``repr`` is a readable label such as ``cosine(lr=0.1, T_max=100, eta_min=0)``.

Step convention (the same for every schedule)
----------------------------------------------
``k`` counts optimizer steps from 0: ``sched(k)`` is the learning rate the k-th
update uses.  In PyTorch terms, with the loop ::

    for k in range(T):
        optimizer.step()        # uses scheduler.get_last_lr()
        scheduler.step()

``sched(k)`` equals ``scheduler.get_last_lr()[0]`` after ``k`` calls of
``scheduler.step()``, on an optimizer created with ``lr=lr``.  Each factory names the
``torch.optim.lr_scheduler`` class (and arguments) it equals; the tests compare the
curves with values recorded from PyTorch (``tests/fixtures/torch_schedules.json``).

Closed forms only
-----------------
Each schedule has one definition: a closed-form expression in ``k``.  PyTorch updates
several schedulers recursively (``lr ← lr · ratio``); that recursion is the same curve
up to rounding, which the tests bound.

Building blocks
---------------
Two shapes, each written once: :func:`linear_between` (a straight line) and
:func:`cosine_between` (half a cosine wave), from a start value to an end value over a
duration.  The primitives ``constant``, ``linear_ramp``, ``cosine_ramp`` and
``exponential`` are the only schedules that use them directly for a ramp;
``join(schedules, boundaries)`` runs schedules one after another (piece ``i`` sees
the step counted from its own start, ``k - boundaries[i-1]``) and
``warmup(schedule, ...)`` puts a linear warm-up in front of any schedule.  The
PyTorch-named factories are built from these: ``linear`` (LinearLR, also the plain
linear warm-up) is a ``linear_ramp``, ``multistep`` a ``join`` of constants,
``warmup_cosine`` a ``warmup`` of ``cosine``, ``one_cycle`` a ``join`` of ramps, and
``cosine`` / ``cosine_warm_restarts`` evaluate the cosine shape past its end (PyTorch's
curve climbs back) or restart it.  Any vectorised function ``step -> lr`` can be a
piece too; ``join`` and ``warmup`` check that it is.

:class:`ReduceLROnPlateau` is the one stateful schedule: it reacts to a metric
(``.step(val_loss)``) instead of following a formula in ``k``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from lrcourse import _validation as check

__all__ = [
    "Schedule",
    # primitives and combinators
    "constant",
    "linear_ramp",
    "cosine_ramp",
    "exponential",
    "join",
    "warmup",
    "per_run",
    "PerRunSchedule",
    # schedules with a PyTorch equivalent
    "step_decay",
    "multistep",
    "inverse_time",
    "polynomial",
    "cosine",
    "linear",
    "warmup_cosine",
    "cyclic",
    "cosine_warm_restarts",
    "one_cycle",
    # performance-based
    "ReduceLROnPlateau",
    "PlateauRecord",
]

_STEP_ACCEPTED = "a non-negative integer (or an array of them)"
_FIRST_STEP_HINT = "the first step uses this value, and a step with lr 0 does nothing"

# The intervals the factories accept (each prints itself in the error message).
_FACTOR = _FRACTION = check.Interval(0, 1, closed="right")      # (0, 1]: gamma, start_factor
_END_FACTOR = check.Interval(0, 1, closed="both")               # [0, 1]
_OPEN_UNIT = check.Interval(0, 1, closed="neither")             # (0, 1): pct_start, factor
_AT_LEAST_ONE = check.Interval(1, math.inf, closed="left")      # div factors


# --------------------------------------------------------------------------- core


class Schedule:
    """A learning-rate schedule: a vectorised callable ``step -> lr`` with a label.

    Built by the factories of this module; you rarely construct one yourself.

    Parameters
    ----------
    curve : callable
        Maps a 1-D float64 array of non-negative steps to a float64 array of
        learning rates of the same length.  It receives whole-number steps when the
        schedule is called; inside a composition (``one_cycle``'s phases) a piece may
        see a fractional offset.
    label : str
        The readable name shown by ``repr`` (and usable as a plot legend).

    Calling
    -------
    ``sched(k)`` with an integer ``k >= 0`` returns a float; with an array of such
    integers (any shape) it returns a float64 array of that shape.  Negative,
    fractional or non-numeric steps raise, naming ``step``.
    """

    def __init__(self, curve: Callable[[np.ndarray], np.ndarray], label: str):
        if not callable(curve):
            check.fail("curve", "a callable (array of steps -> array of lrs)", curve, error=TypeError)
        self._curve = curve
        self.name = str(label)
        self.__name__ = self.name
        self(0)   # a curve giving NaN or a negative rate is refused now, not at a later step's call

    def __call__(self, step):
        steps = _as_steps(step)
        values = _evaluate(self._curve, steps)
        bad = np.isnan(values) | (np.asarray(values) < 0)
        if np.any(bad):
            k = int(np.asarray(steps)[bad].ravel()[0]) if np.ndim(bad) else int(steps)
            value = float(np.asarray(values)[bad].ravel()[0]) if np.ndim(bad) else values
            check.fail("curve", "a function returning learning rates ≥ 0 (never NaN)", self._curve,
                       f"the schedule {self.name} gives {value!r} at step {k}")
        return values

    def __repr__(self) -> str:
        return self.name


def _as_steps(step: Any) -> np.ndarray:
    """Validate ``step`` (int or array of ints >= 0) and return it as float64."""
    array = np.asarray(step) if not isinstance(step, (bool, np.bool_)) else None
    if (
        array is None
        or array.dtype == np.bool_
        or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating))
    ):
        check.fail("step", _STEP_ACCEPTED, step, error=TypeError)
    if np.issubdtype(array.dtype, np.integer):
        bad = array < 0
    else:
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(array) | (array < 0) | (array != np.floor(array))
    if np.any(bad):
        first = array[bad].ravel()[0].item()
        hint = "" if array.ndim == 0 else f"the first bad entry is {first!r}"
        check.fail("step", _STEP_ACCEPTED, step, hint)
    return array.astype(np.float64)


def _evaluate(curve: Callable[[np.ndarray], np.ndarray], steps: np.ndarray):
    """Run ``curve`` on the flattened steps; float for a 0-d input, else an array."""
    values = _values(curve, steps.reshape(-1), "curve").reshape(steps.shape)
    return float(values) if steps.ndim == 0 else values


def _format(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if callable(value) and not isinstance(value, Schedule):
        return getattr(value, "__name__", type(value).__name__)  # no memory addresses in labels
    return repr(value)


def _label(name: str, **params: Any) -> str:
    """``name(a=1, b=0.1)``: the one place where schedule labels are written."""
    return f"{name}(" + ", ".join(f"{key}={_format(val)}" for key, val in params.items()) + ")"


# ------------------------------------------------------------- the two shapes

# A ramp goes from ``start`` (at t = 0) to ``end`` (at t = duration).  These two
# functions are the only places where the linear and the cosine shape are written.
# They are formulas on float arrays, unchecked (any t, a fractional duration), so
# they stay out of ``__all__``; the factories validate their arguments and use them,
# and so do the exercise checks that build a learner's likely mistakes.


def linear_between(start: float, end: float, t: np.ndarray, duration: float) -> np.ndarray:
    """The linear shape: start + (end − start) · t / duration (unchecked)."""
    return start + (end - start) * t / duration


def cosine_between(start: float, end: float, t: np.ndarray, duration: float) -> np.ndarray:
    """The cosine shape: end + (start − end) · (1 + cos(π · t / duration)) / 2 (unchecked).

    Half a cosine wave from ``start`` (t = 0) to ``end`` (t = duration); past the
    duration it climbs back, reaching ``start`` again at t = 2 · duration.
    """
    return end + (start - end) * (1.0 + np.cos(np.pi * t / duration)) / 2.0


_SHAPES = {"linear": linear_between, "cos": cosine_between}


def _ramp(start: float, end: float, duration: float, shape: str, label: str) -> Schedule:
    """Unchecked ramp from ``start`` to ``end`` over a (possibly fractional) duration,
    holding ``end`` afterwards."""
    between = _SHAPES[shape]

    def curve(t):
        return between(start, end, np.minimum(t, duration), duration)

    return Schedule(curve, label)


def _join_curve(pieces: Sequence[Callable], boundaries: Sequence[float]):
    """Piece ``i`` on ``boundaries[i-1] <= t < boundaries[i]``, fed ``t - boundaries[i-1]``."""
    starts = (0.0, *boundaries)
    ends = (*boundaries, math.inf)

    def curve(t):
        out = np.empty_like(t)
        for index, (piece, start, end) in enumerate(zip(pieces, starts, ends)):
            inside = (t >= start) & (t < end)
            if np.any(inside):
                out[inside] = _piece_values(piece, t[inside] - start, f"schedules[{index}]")
        return out

    return curve


_VECTORISED = "a vectorised schedule (an array of steps -> an array of lrs of the same shape)"
_HOW_TO_VECTORISE = ("write it with NumPy functions that work element by element: "
                     "np.where(k < 3, 0.1, 0.2) instead of 0.1 if k < 3 else 0.2, "
                     "np.minimum / np.maximum instead of min / max, np.cos instead of math.cos")


def _on(steps: np.ndarray) -> str:
    """Where a function was called, in words: "on step 7", "on an array of 16 steps from 0 to 15"."""
    if steps.ndim == 0:
        return f"on step {int(steps)}"
    if steps.size == 1:
        return f"on the array of steps [{int(steps[0])}]"
    return f"on an array of {steps.size} steps from {int(steps[0])} to {int(steps[-1])}"


def _values(function: Callable, steps: np.ndarray, name: str) -> np.ndarray:
    """``function(steps)`` checked: real numbers, one per step, as a float64 array of the
    steps' shape (a single number stands for every step, as ``lambda k: 0.1`` means).

    ``function`` is a schedule's curve or a piece of a composition, written by the
    learner perhaps: an exception it raises on an array (NumPy's "truth value ... is
    ambiguous" for an ``if``), a result that is not real numbers (complex, a string,
    None) or of another shape is refused naming ``name``, with how to vectorise it.
    A refusal raised inside it (a piece of a piece) is passed on as it is.
    """
    try:
        with np.errstate(over="ignore", under="ignore"):
            returned = function(steps)
    except (ValueError, TypeError, IndexError) as error:
        if check.is_refusal(error):
            raise
        check.fail(name, _VECTORISED, function,
                   f"called {_on(steps)} it raised {type(error).__name__}: {error}; " + _HOW_TO_VECTORISE,
                   error=TypeError if isinstance(error, TypeError) else ValueError)
    if not check.is_real(returned):
        check.fail(name, _VECTORISED, function,
                   f"called {_on(steps)} it returned {returned!r:.60}, not real numbers", error=TypeError)
    values = np.asarray(returned, dtype=np.float64)
    if values.shape == steps.shape:
        return values
    if values.shape != ():
        check.fail(name, _VECTORISED, function,
                   f"called {_on(steps)} it returned shape {values.shape}; " + _HOW_TO_VECTORISE)
    return np.full(steps.shape, float(values))


def _piece_values(piece: Callable, local_steps: np.ndarray, name: str) -> np.ndarray:
    """Evaluate one piece of a composition on its local steps (float64 array)."""
    if isinstance(piece, Schedule):
        return piece._curve(local_steps)
    return _values(piece, local_steps.astype(np.int64), name)


#: Steps a plain piece is probed on: the first 16, then 16 spread up to the longest run.
_PROBE_FIRST, _PROBE_SPREAD = 16, 16


def _probe_steps(span: float) -> np.ndarray:
    """The steps :func:`_check_vectorised` tries, within a piece's span of steps."""
    last = math.ceil(min(span, check.MAX_STEPS)) - 1
    first = np.arange(min(_PROBE_FIRST, last + 1))
    if last < _PROBE_FIRST:
        return first
    spread = np.geomspace(_PROBE_FIRST, last, _PROBE_SPREAD).round().astype(np.int64)
    return np.unique(np.concatenate([first, spread]))


def _check_vectorised(piece: Callable, name: str, span: float) -> None:
    """Refuse a plain function that gives a step a different lr alone than in an array.

    ``sched(7)`` evaluates a piece on one step and ``sched(np.arange(8))`` on eight; a
    piece written with ``if`` / ``min`` / ``math`` functions can raise on the array
    (NumPy's "truth value ... is ambiguous") or, worse, give other values.  Probed on
    its first 16 steps and on 16 more spread geometrically up to the end of its part of
    the schedule (at most the longest run, ``MAX_STEPS``): each alone and all together
    in one array.  A piece that differs only between the probed steps is not caught.
    The spread steps are skipped if the piece refuses them: a piece may be defined only
    for its own run (``lambda k: my_one_cycle(k)`` for a 100-step run), and the steps
    the run does take are checked when it takes them.  Schedules built by this module
    are vectorised by construction and not probed.
    """
    if isinstance(piece, Schedule):
        return
    steps = _probe_steps(span)
    with np.errstate(all="ignore"):
        try:
            together = _piece_values(piece, steps.astype(np.float64), name)
        except (ValueError, TypeError, IndexError) as refusal:
            steps = steps[:_PROBE_FIRST]
            try:  # the piece may not be defined that far: then probe its first steps only
                together = _piece_values(piece, steps.astype(np.float64), name)
            except (ValueError, TypeError, IndexError):
                raise refusal from None
        alone = np.array([_values(piece, np.int64(k), name) for k in steps])
    differ = ~np.isclose(together, alone, rtol=1e-12, atol=0.0, equal_nan=True)
    if np.any(differ):
        i = int(np.flatnonzero(differ)[0])
        check.fail(name, _VECTORISED, piece,
                   f"at step {int(steps[i])} it gives {float(alone[i])!r} called alone but "
                   f"{float(together[i])!r} inside an array of steps; " + _HOW_TO_VECTORISE)


# ------------------------------------------------------------------- primitives


def constant(lr: float) -> Schedule:
    """The same learning rate at every step.

    Formula: lr(k) = lr.

    Parameters
    ----------
    lr : float
        The learning rate (> 0).

    Notes
    -----
    PyTorch: no scheduler at all (or ``LambdaLR(opt, lambda k: 1.0)``).
    """
    lr = check.positive("lr", lr)
    return Schedule(lambda t: np.full_like(t, lr), _label("constant", lr=lr))


def _checked_ramp(name: str, shape: str, start_lr, end_lr, steps) -> Schedule:
    """The public ramps: ``start_lr`` > 0 (the first step uses it), ``end_lr`` ≥ 0, ``steps`` ≥ 1."""
    start_lr = check.positive("start_lr", start_lr, _FIRST_STEP_HINT)
    end_lr = check.nonnegative("end_lr", end_lr)
    steps = check.positive_int("steps", steps)
    return _ramp(start_lr, end_lr, steps, shape, _label(name, start_lr=start_lr, end_lr=end_lr, steps=steps))


def _with_ramp_parameters(function):
    """Write the ramps' shared Parameters section (once, here) into ``function``'s docstring."""
    function.__doc__ = function.__doc__.replace("    {ramp parameters}\n", _RAMP_PARAMETERS)
    return function


_RAMP_PARAMETERS = """\
    Parameters
    ----------
    start_lr : float
        Value at k = 0 (> 0: the first step uses it).
    end_lr : float
        Value for k ≥ steps (≥ 0).
    steps : int
        Length of the ramp (≥ 1).
"""


@_with_ramp_parameters
def linear_ramp(start_lr: float, end_lr: float, steps: int) -> Schedule:
    """Straight line from ``start_lr`` to ``end_lr`` over ``steps`` steps, then flat.

    Formula: lr(k) = start_lr + (end_lr − start_lr) · min(k, steps) / steps.
    The ramp can go up (warm-up) or down (linear decay); ``end_lr`` is first reached
    at k = steps.

    {ramp parameters}

    Notes
    -----
    PyTorch: ``LinearLR(opt, start_factor=start_lr/lr, end_factor=end_lr/lr,
    total_iters=steps)`` for an optimizer with ``lr=lr``, within LinearLR's limits
    (0 < start_factor ≤ 1, 0 ≤ end_factor ≤ 1).  See also :func:`linear`.
    """
    return _checked_ramp("linear_ramp", "linear", start_lr, end_lr, steps)


@_with_ramp_parameters
def cosine_ramp(start_lr: float, end_lr: float, steps: int) -> Schedule:
    """Half a cosine wave from ``start_lr`` to ``end_lr`` over ``steps`` steps, then flat.

    Formula: lr(k) = end_lr + (start_lr − end_lr) · (1 + cos(π · min(k, steps) / steps)) / 2.

    {ramp parameters}

    Notes
    -----
    Unlike :func:`cosine` (PyTorch's CosineAnnealingLR, which climbs back up after
    ``T_max``), this ramp holds ``end_lr`` after ``steps`` — optax's
    ``cosine_decay_schedule(init_value=start_lr, decay_steps=steps,
    alpha=end_lr/start_lr)``.  For k ≤ steps it equals ``CosineAnnealingLR(opt,
    T_max=steps, eta_min=end_lr)`` with ``lr=start_lr``.

    References
    ----------
    Loshchilov, I. & Hutter, F. (2016). SGDR: Stochastic Gradient Descent with Warm
    Restarts. arXiv:1608.03983.
    """
    return _checked_ramp("cosine_ramp", "cos", start_lr, end_lr, steps)


def exponential(lr: float, gamma: float) -> Schedule:
    """Multiply the learning rate by ``gamma`` every step.

    Formula: lr(k) = lr · γᵏ.

    Parameters
    ----------
    lr : float
        Learning rate at k = 0 (> 0).
    gamma : float
        Factor per step (> 0): below 1 it decays (half-life ln 2 / −ln γ steps); above
        1 it grows, as in an LR range test.

    Notes
    -----
    PyTorch: ``ExponentialLR(opt, gamma=gamma)`` with ``lr=lr``.  (PyTorch multiplies
    recursively, lr ← lr·γ; the closed form is the same curve up to rounding.)
    """
    lr = check.positive("lr", lr)
    gamma = check.positive("gamma", gamma)
    return Schedule(lambda t: lr * np.power(gamma, t), _label("exponential", lr=lr, gamma=gamma))


def join(schedules: Sequence[Callable], boundaries: Sequence[int]) -> Schedule:
    """Run schedules one after another, each restarting its own step count.

    Piece 0 is used for k < boundaries[0], piece i for
    boundaries[i−1] ≤ k < boundaries[i], and the last piece from boundaries[−1] on.
    Piece i sees the step counted from its own start: it is called with
    ``k − boundaries[i−1]`` (optax's ``join_schedules`` convention).

    Parameters
    ----------
    schedules : sequence of callables
        Two or more schedules.  Besides the factories' schedules, any vectorised
        ``step -> lr`` function works (it receives an int64 array of local steps).
    boundaries : sequence of int
        ``len(schedules) − 1`` strictly increasing positive steps.

    Notes
    -----
    PyTorch: ``SequentialLR(opt, schedulers=[...], milestones=boundaries)``.  At a
    milestone SequentialLR restarts the next scheduler at its step 0 (from the
    optimizer's initial lr), which is exactly "piece i sees k − boundaries[i−1]".

    Examples
    --------
    >>> s = join([constant(0.1), exponential(0.1, 0.5)], boundaries=[3])
    >>> s(np.arange(6)).tolist()
    [0.1, 0.1, 0.1, 0.1, 0.05, 0.025]
    """
    if not isinstance(schedules, (list, tuple)):
        check.fail("schedules", "a list of schedules", schedules, error=TypeError)
    if len(schedules) < 2:
        check.fail("schedules", "a list of at least two schedules", list(schedules))
    for index, piece in enumerate(schedules):
        if not callable(piece):
            check.fail(f"schedules[{index}]", "a schedule (a callable step -> lr)", piece,
                 "wrap a number in constant(...)" if isinstance(piece, (int, float)) else "",
                 error=TypeError)
    boundaries = _increasing_steps("boundaries", boundaries)
    if len(boundaries) != len(schedules) - 1:
        check.fail("boundaries", f"a list of {len(schedules) - 1} steps (one fewer than schedules)",
             boundaries, f"got {len(schedules)} schedules")
    spans = np.diff([0, *boundaries, math.inf])
    for index, (piece, span) in enumerate(zip(schedules, spans)):
        _check_vectorised(piece, f"schedules[{index}]", span)
    label = _label("join", schedules=list(schedules), boundaries=boundaries)
    return Schedule(_join_curve(tuple(schedules), tuple(float(b) for b in boundaries)), label)


def _increasing_steps(name: str, values: Any) -> list:
    accepted = "a non-empty, strictly increasing list of positive integers"
    if not isinstance(values, (list, tuple, np.ndarray)):
        check.fail(name, accepted, values, error=TypeError)
    steps = [check.integer(f"{name}[{i}]", v, "an integer") for i, v in enumerate(values)]
    if not steps or steps[0] < 1 or any(b <= a for a, b in zip(steps, steps[1:])):
        hint = "sort them and remove duplicates" if steps and steps[0] >= 1 else ""
        check.fail(name, accepted, list(values) if isinstance(values, tuple) else values, hint)
    return steps


def warmup(schedule: Callable, warmup_steps: int, start_factor: float = 0.1) -> Schedule:
    """Put a linear warm-up in front of ``schedule``.

    For k < w (w = warmup_steps) the lr rises linearly from start_factor·s(0) to
    s(0), where s = schedule; from k = w on it is s(k − w), so ``schedule`` starts
    its own count at the end of the warm-up:

        lr(k) = s(0) · (start_factor + (1 − start_factor) · k / w)   for k < w
        lr(k) = s(k − w)                                            for k ≥ w

    Parameters
    ----------
    schedule : callable
        Any schedule (vectorised ``step -> lr``) with s(0) > 0.
    warmup_steps : int
        Length w of the warm-up (≥ 1); the full rate s(0) is first used at k = w.
    start_factor : float
        Fraction of s(0) used at k = 0, in (0, 1]; default 0.1.

    Notes
    -----
    PyTorch: ``SequentialLR(opt, [LinearLR(opt, start_factor=start_factor,
    end_factor=1.0, total_iters=w), S], milestones=[w])`` where S is the scheduler of
    ``schedule`` — *only when s(0) equals the optimizer's lr*, i.e. when ``schedule``
    starts at its full rate (``cosine``, ``step_decay``, ``exponential``; not
    ``one_cycle``, which starts at max_lr/div_factor).  LinearLR ramps to
    the optimizer's lr, not to s(0); when the two differ (``warmup(linear(0.1,
    start_factor=0.5, …), w)`` ramps to 0.05) no SequentialLR set-up gives this curve.
    Like LinearLR, start_factor must be above 0: a step with lr 0 does nothing.
    (Hugging Face's warm-up schedules start at exactly 0, wasting step 0.)

    References
    ----------
    Goyal, P. et al. (2017). Accurate, Large Minibatch SGD: Training ImageNet in
    1 Hour. arXiv:1706.02677 (gradual warm-up).
    """
    if not callable(schedule):
        check.fail("schedule", "a schedule (a callable step -> lr)", schedule, error=TypeError)
    warmup_steps = check.positive_int("warmup_steps", warmup_steps)
    start_factor = _start_factor(start_factor)
    label = _label("warmup", schedule=schedule, warmup_steps=warmup_steps, start_factor=start_factor)
    return _warmup(schedule, warmup_steps, start_factor, label)


def _warmup(schedule: Callable, warmup_steps: int, start_factor: float, label: str) -> Schedule:
    _check_vectorised(schedule, "schedule", math.inf)
    if isinstance(schedule, Schedule):
        peak = schedule(0)
    else:
        peak = float(_piece_values(schedule, np.zeros(1), "schedule")[0])
    if not (np.isfinite(peak) and peak > 0):
        check.fail("schedule", "a schedule whose lr at step 0 is a positive finite number", schedule,
             f"schedule(0) = {peak!r}")
    ramp = _ramp(start_factor * peak, peak, warmup_steps, "linear", "warmup ramp")
    return Schedule(_join_curve((ramp, schedule), (float(warmup_steps),)), label)


# ------------------------------------------------------------- one schedule per run


class PerRunSchedule:
    """Learning rates of a vectorised run in which every run follows its own schedule.

    Built by :func:`per_run`.  ``sched(k)`` for one step ``k`` is the column of the K
    runs' rates, shape ``(K, 1)`` — what an optimizer broadcasts against parameters
    of shape ``(K, dim)`` — and ``sched(np.arange(T))`` is the table of shape
    ``(K, T)``: row r is run r's whole curve.  ``runs`` is K.

    The schedules are evaluated once on a block of steps and kept (the block doubles
    when a later step is asked for), so a step of a long run costs one slice, not K
    schedule calls.  The arrays returned are read-only.
    """

    def __init__(self, pieces: tuple, factors: np.ndarray, repeat: int, tile: int, label: str):
        self._pieces, self._factors = pieces, factors
        self._repeat, self._tile = repeat, tile
        self.runs = len(pieces) * factors.size * repeat * tile
        self.name = self.__name__ = label
        self._table = np.empty((self.runs, 0))

    def _tabulate(self, size: int) -> np.ndarray:
        """Every run's rate on steps 0 … size − 1, shape (K, size), read-only."""
        t = np.arange(size, dtype=np.float64)
        with np.errstate(over="ignore", under="ignore"):
            curves = np.stack([_piece_values(piece, t, f"schedules[{i}]")
                               for i, piece in enumerate(self._pieces)])   # (schedules, size)
        runs = (curves[:, None, :] * self._factors[None, :, None]).reshape(-1, size)
        table = np.tile(np.repeat(runs, self._repeat, axis=0), (self._tile, 1))
        table.flags.writeable = False
        return table

    def _grow(self, needed: int) -> None:
        """Tabulate at least steps 0 … needed − 1: twice the old block when every
        schedule allows it, else the longest block they allow (``one_cycle`` refuses
        steps past ``total_steps``), found by bisection."""
        size = max(needed, 2 * self._table.shape[1], 64)
        try:
            self._table = self._tabulate(size)
            return
        except ValueError:
            if size == needed:
                raise
        self._table = self._tabulate(needed)       # a schedule refusing a step the run needs raises here
        low, high = needed, size
        while high - low > 1:
            middle = (low + high) // 2
            try:
                self._table, low = self._tabulate(middle), middle
            except ValueError:
                high = middle

    def __call__(self, step):
        steps = _as_steps(step)
        if steps.ndim > 1:
            check.fail("step", "a non-negative integer or a 1-D array of them", step)
        last = int(steps.max()) + 1 if steps.size else 0
        if last > check.MAX_STEPS:
            check.fail("step", f"a non-negative integer < {check.MAX_STEPS} (the longest run)", step,
                       "a per-run schedule tabulates every step up to the one asked")
        if last > self._table.shape[1]:
            self._grow(last)
        if steps.ndim == 0:
            k = int(steps)
            return self._table[:, k:k + 1]
        return self._table[:, steps.astype(np.int64)]

    def __repr__(self) -> str:
        return self.name


def per_run(schedules: Sequence[Callable] | dict, scale=None, *, repeat: int = 1,
            tile: int = 1) -> PerRunSchedule:
    """One schedule per run of a vectorised run: step k → the column of the K rates.

    Formula: run r = ((g·S + i)·C + j)·R + n uses lr(k)[r] = scale[j] · s_i(k), for
    schedule i of S, factor j of C = len(scale), copy n of R = ``repeat`` and group g
    of ``tile``.  In words: for each schedule, for each factor (schedule-major, as
    ``np.concatenate([scale[:, None] * s(t) for s in schedules])`` lays them out);
    then each run ``repeat`` times in a row (``np.repeat``: e.g. one run per start
    point) and the whole block ``tile`` times (``np.tile``: e.g. one block per batch
    order of :class:`lrcourse.schedule_experiments.BatchOrders`).

    Parameters
    ----------
    schedules : list of callables, or dict name → callable
        Vectorised ``step -> lr`` schedules (this module's factories, or plain
        functions written with NumPy; those are probed as :func:`join` probes them).
        A dict contributes its values, in order.
    scale : None, a positive number or a 1-D array of them
        Factors each schedule is multiplied by (peak rates, when the schedules have
        peak 1).  None is one factor 1.
    repeat, tile : int ≥ 1
        Copies of each run in a row, and of the whole block.  K may be at most
        ``MAX_RUNS`` = 10**5 (the limit on runs everywhere in the library).

    Returns
    -------
    PerRunSchedule
        ``sched(k)`` has shape (K, 1), ``sched(np.arange(T))`` shape (K, T), with
        K = len(schedules) · len(scale) · repeat · tile.  Pass it as an optimizer's
        ``lr``: :func:`lrcourse.train.run` then repeats a start of shape ``(dim,)``
        for the K runs.

    Notes
    -----
    PyTorch: one parameter group per run and ``LambdaLR(opt, lr_lambda=[f_1, …,
    f_K])`` with ``lr=1`` (one multiplier function per group), or K optimizers
    each with its own scheduler.

    Examples
    --------
    >>> sched = per_run([constant(1.0), cosine(1.0, T_max=10)], scale=[0.1, 0.2])
    >>> sched(0).ravel().tolist()
    [0.1, 0.2, 0.1, 0.2]
    >>> sched(np.arange(10)).shape
    (4, 10)
    """
    if isinstance(schedules, dict):
        schedules = list(schedules.values())
    if not isinstance(schedules, (list, tuple)):
        check.fail("schedules", "a list of schedules or a dict name -> schedule", schedules, error=TypeError)
    if not schedules:
        check.fail("schedules", "a non-empty list of schedules", list(schedules))
    for index, piece in enumerate(schedules):
        if not callable(piece) or isinstance(piece, type):
            check.fail(f"schedules[{index}]", "a schedule (a callable step -> lr)", piece,
                       "wrap a number in constant(...)" if check.is_real(piece) else "", error=TypeError)
        _check_vectorised(piece, f"schedules[{index}]", math.inf)
    if scale is None:
        factors = np.ones(1)
    else:
        factors = check.real_array("scale", scale).reshape(-1)
        if np.ndim(scale) > 1 or factors.size == 0 or not np.all(np.isfinite(factors) & (factors > 0)):
            check.fail("scale", "None, a positive finite number or a non-empty 1-D array of them", scale)
    repeat = check.run_count("repeat", repeat)
    tile = check.run_count("tile", tile)
    runs = len(schedules) * factors.size * repeat * tile
    if runs > check.MAX_RUNS:   # named after the last factor that is not 1
        name, value = next((name, value) for name, value, size in (
            ("tile", tile, tile), ("repeat", repeat, repeat), ("scale", scale, factors.size),
            ("schedules", schedules, len(schedules))) if size > 1)
        check.fail(name, f"small enough that K = schedules · scale · repeat · tile = {len(schedules)} · "
                   f"{factors.size} · {repeat} · {tile} is at most {check.MAX_RUNS} runs", value,
                   f"that makes {runs} runs")
    extras = {"scale": None if scale is None else [float(f) for f in factors], "repeat": repeat, "tile": tile}
    label = _label("per_run", schedules=list(schedules),
                   **{key: value for key, value in extras.items() if value not in (None, 1)})
    return PerRunSchedule(tuple(schedules), factors, repeat, tile, label)


# ------------------------------------------------- schedules with a torch twin


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """Multiply the lr by ``gamma`` every ``step_size`` steps.

    Formula: lr(k) = lr · γ^⌊k / step_size⌋.

    Parameters
    ----------
    lr : float
        Initial learning rate (> 0).
    step_size : int
        Steps between two decays (≥ 1).
    gamma : float
        Decay factor, in (0, 1]; PyTorch's default 0.1.

    Notes
    -----
    PyTorch: ``StepLR(opt, step_size=step_size, gamma=gamma)`` with ``lr=lr``.
    The first decayed value is used at k = step_size.
    """
    lr = check.positive("lr", lr)
    step_size = check.positive_int("step_size", step_size)
    gamma = _FACTOR("gamma", gamma)
    return Schedule(lambda t: lr * np.power(gamma, np.floor_divide(t, step_size)),
                    _label("step_decay", lr=lr, step_size=step_size, gamma=gamma))


def multistep(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """Multiply the lr by ``gamma`` at each milestone.

    Formula: lr(k) = lr · γ^(number of milestones ≤ k), built as ``join`` of the
    constants lr, lr·γ, lr·γ², … at the milestones.

    Parameters
    ----------
    lr : float
        Initial learning rate (> 0).
    milestones : sequence of int
        Strictly increasing positive steps; the decay is first used at each of them.
    gamma : float
        Decay factor, in (0, 1]; PyTorch's default 0.1.

    Notes
    -----
    PyTorch: ``MultiStepLR(opt, milestones=milestones, gamma=gamma)`` with ``lr=lr``.
    (PyTorch also accepts repeated milestones, each applying γ again; here they must
    be distinct — use a smaller γ instead.)
    """
    lr = check.positive("lr", lr)
    milestones = _increasing_steps("milestones", milestones)
    gamma = _FACTOR("gamma", gamma)
    last = lr * gamma ** len(milestones)
    if not last > 0:
        check.fail("gamma", f"large enough that lr·gamma^{len(milestones)} (the last level) is above 0", gamma,
                   f"with lr={lr!r} and {len(milestones)} milestones it underflows to {last!r}")
    levels = [constant(lr * gamma**i) for i in range(len(milestones) + 1)]
    return Schedule(_join_curve(levels, tuple(float(m) for m in milestones)),
                    _label("multistep", lr=lr, milestones=milestones, gamma=gamma))


def inverse_time(lr: float, decay_rate: float, decay_steps: float = 1) -> Schedule:
    """Inverse-time (1/t) decay.

    Formula: lr(k) = lr / (1 + decay_rate · k / decay_steps).

    The classical Robbins–Monro rate: Σ lr(k) diverges while Σ lr(k)² converges,
    which is what lets SGD average its gradient noise away.

    Parameters
    ----------
    lr : float
        Initial learning rate (> 0).
    decay_rate : float
        How fast it decays (> 0): the lr has halved after decay_steps / decay_rate
        steps.
    decay_steps : float
        Time unit of the decay (> 0), 1 by default.

    Notes
    -----
    PyTorch has no class for it: ``LambdaLR(opt, lambda k: 1 / (1 + decay_rate * k /
    decay_steps))`` with ``lr=lr`` is the same schedule (Keras: ``InverseTimeDecay``
    with ``staircase=False``).
    """
    lr = check.positive("lr", lr)
    decay_rate = check.positive("decay_rate", decay_rate)
    decay_steps = check.positive("decay_steps", decay_steps)
    return Schedule(lambda t: lr / (1.0 + decay_rate * t / decay_steps),
                    _label("inverse_time", lr=lr, decay_rate=decay_rate, decay_steps=decay_steps))


def polynomial(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """Polynomial decay to zero over ``total_iters`` steps, then zero.

    Formula: lr(k) = lr · (1 − min(k, total_iters) / total_iters)^power.

    Parameters
    ----------
    lr : float
        Initial learning rate (> 0).
    total_iters : int
        Steps until the lr reaches 0 (≥ 1); PyTorch's default 5.
    power : float
        Exponent (> 0): 1 is a straight line, 2 decays fast early, 0.5 late.

    Notes
    -----
    PyTorch: ``PolynomialLR(opt, total_iters=total_iters, power=power)`` with
    ``lr=lr``.  The lr is exactly 0 from k = total_iters on, so a run of exactly
    total_iters steps never uses the zero.
    """
    lr = check.positive("lr", lr)
    total_iters = check.positive_int("total_iters", total_iters)
    power = check.positive("power", power)
    return Schedule(lambda t: lr * (1.0 - np.minimum(t, total_iters) / total_iters) ** power,
                    _label("polynomial", lr=lr, total_iters=total_iters, power=power))


def _start_factor(start_factor: Any) -> float:
    """A warm-up's starting fraction, in (0, 1] like PyTorch's LinearLR."""
    at_most_zero = check.is_real(start_factor) and np.ndim(start_factor) == 0 and start_factor <= 0
    return _FRACTION("start_factor", start_factor, _FIRST_STEP_HINT if at_most_zero else "")


def _eta_min(eta_min: Any, lr: float) -> float:
    eta_min = check.nonnegative("eta_min", eta_min)
    if eta_min > lr:
        check.fail("eta_min", f"a number in [0, lr] = [0, {_format(lr)}]", eta_min,
             "eta_min is the floor the cosine decays to; for a rising curve use cosine_ramp")
    return eta_min


def cosine(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:  # noqa: N803 - torch's name
    """Cosine annealing from ``lr`` down to ``eta_min`` over ``T_max`` steps.

    Formula: lr(k) = η_min + (lr − η_min) · (1 + cos(π · k / T_max)) / 2.

    The floor η_min is first used at k = T_max, so a run of exactly T_max steps
    (k = 0 … T_max − 1) ends just above it.  Past T_max the formula keeps going, as
    PyTorch's does: the lr climbs back to ``lr`` at k = 2·T_max (period 2·T_max).
    For a curve that stays at the floor use :func:`cosine_ramp`; for restarts use
    :func:`cosine_warm_restarts`.

    Parameters
    ----------
    lr : float
        Initial (maximum) learning rate η_max (> 0).
    T_max : int
        Half-period in steps (≥ 1).
    eta_min : float
        Floor, in [0, lr]; default 0.

    Notes
    -----
    PyTorch: ``CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)`` with
    ``lr=lr``, at every step, including past T_max.  PyTorch computes it
    recursively (lr ← η_min + (lr − η_min)·(1 + cos(πk/T))/(1 + cos(π(k−1)/T)));
    this is the closed form that recursion approximates.

    References
    ----------
    Loshchilov, I. & Hutter, F. (2016). SGDR: Stochastic Gradient Descent with Warm
    Restarts. arXiv:1608.03983.
    """
    lr = check.positive("lr", lr)
    T_max = check.positive_int("T_max", T_max)
    eta_min = _eta_min(eta_min, lr)
    return Schedule(lambda t: cosine_between(lr, eta_min, t, T_max),
                    _label("cosine", lr=lr, T_max=T_max, eta_min=eta_min))


def linear(lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
           total_iters: int = 5) -> Schedule:
    """Scale the lr linearly from ``start_factor·lr`` to ``end_factor·lr``, then hold.

    Formula: lr(k) = lr · (s + (e − s) · min(k, total_iters) / total_iters), with
    s = start_factor and e = end_factor (a :func:`linear_ramp` from s·lr to e·lr).

    Parameters
    ----------
    lr : float
        The optimizer's learning rate (> 0).
    start_factor : float
        Multiplier at k = 0, in (0, 1]; PyTorch's default 1/3.
    end_factor : float
        Multiplier from k = total_iters on, in [0, 1]; default 1.
    total_iters : int
        Length of the ramp (≥ 1); PyTorch's default 5.

    Notes
    -----
    PyTorch: ``LinearLR(opt, start_factor=start_factor, end_factor=end_factor,
    total_iters=total_iters)`` with ``lr=lr`` (same argument ranges).  With
    ``end_factor=1`` it is the plain linear warm-up: ``linear(lr, start_factor=0.1,
    total_iters=w)`` rises from 0.1·lr to lr, first used at k = w, and stays there
    (= ``warmup(constant(lr), w)``).

    References
    ----------
    Goyal, P. et al. (2017). Accurate, Large Minibatch SGD: Training ImageNet in
    1 Hour. arXiv:1706.02677 (gradual warm-up).
    """
    lr = check.positive("lr", lr)
    start_factor = _start_factor(start_factor)
    end_factor = _END_FACTOR("end_factor", end_factor)
    total_iters = check.positive_int("total_iters", total_iters)
    return _ramp(lr * start_factor, lr * end_factor, total_iters, "linear",
                 _label("linear", lr=lr, start_factor=start_factor, end_factor=end_factor,
                        total_iters=total_iters))


def warmup_cosine(lr: float, warmup_steps: int, total_steps: int, start_factor: float = 0.1,
                  eta_min: float = 0.0) -> Schedule:
    """Linear warm-up for ``warmup_steps`` steps, then cosine decay to ``eta_min``.

    ``warmup(cosine(lr, T_max=total_steps − w, eta_min), w, start_factor)``:

        lr(k) = lr · (s + (1 − s) · k / w)                               for k < w
        lr(k) = η_min + (lr − η_min) · (1 + cos(π (k − w) / (T − w))) / 2  for k ≥ w

    with w = warmup_steps, T = total_steps, s = start_factor.  The peak ``lr`` is
    used at k = w and the floor at k = T, so a run of T steps (k = 0 … T − 1) starts
    at s·lr and ends just above η_min.

    Parameters
    ----------
    lr : float
        Peak learning rate (> 0).
    warmup_steps : int
        Warm-up length w (≥ 1).
    total_steps : int
        T > w: warm-up plus decay.
    start_factor : float
        Fraction of lr at k = 0, in (0, 1]; default 0.1.
    eta_min : float
        Floor of the cosine, in [0, lr]; default 0.

    Notes
    -----
    PyTorch (checked step by step, including the milestone step k = w):
    ``SequentialLR(opt, [LinearLR(opt, start_factor=s, end_factor=1.0,
    total_iters=w), CosineAnnealingLR(opt, T_max=T − w, eta_min=eta_min)],
    milestones=[w])`` with ``lr=lr``.  At k = w SequentialLR restarts the cosine at
    its step 0, i.e. at ``lr``; LinearLR's own value at k = w (also lr) is never
    used.  Hugging Face's ``get_cosine_schedule_with_warmup(opt, w, T)`` is the same
    curve with s = 0 and eta_min = 0 (its step 0 has lr 0, which is refused here, as
    by LinearLR).  Past T the cosine climbs back, as in :func:`cosine`.

    References
    ----------
    Goyal, P. et al. (2017). Accurate, Large Minibatch SGD: Training ImageNet in
    1 Hour. arXiv:1706.02677.
    Loshchilov, I. & Hutter, F. (2016). SGDR: Stochastic Gradient Descent with Warm
    Restarts. arXiv:1608.03983.
    """
    lr = check.positive("lr", lr)
    warmup_steps = check.positive_int("warmup_steps", warmup_steps)
    total_steps = check.positive_int("total_steps", total_steps)
    if total_steps <= warmup_steps:
        check.fail("total_steps", f"greater than warmup_steps={warmup_steps}", total_steps,
             "total_steps counts the warm-up and the decay together")
    start_factor = _start_factor(start_factor)
    eta_min = _eta_min(eta_min, lr)
    decay = cosine(lr, T_max=total_steps - warmup_steps, eta_min=eta_min)
    return _warmup(decay, warmup_steps, start_factor,
                   _label("warmup_cosine", lr=lr, warmup_steps=warmup_steps, total_steps=total_steps,
                          start_factor=start_factor, eta_min=eta_min))


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def cyclic(base_lr: float, max_lr: float, step_size_up: int = 2000, step_size_down: int | None = None,
           mode: str = "triangular", gamma: float = 1.0) -> Schedule:
    """Cyclical learning rate (CLR): triangles between ``base_lr`` and ``max_lr``.

    With u = step_size_up, d = step_size_down (= u by default), L = u + d:

        cycle(k) = ⌊1 + k / L⌋                 (1, 2, 3, …)
        x(k)     = 1 + k / L − cycle(k)         (position in the cycle, in [0, 1))
        h(k)     = x / (u/L)            if x ≤ u/L   (rising for u steps)
                   (1 − x) / (1 − u/L)  otherwise    (falling for d steps)
        lr(k)    = base_lr + (max_lr − base_lr) · h(k) · scale(k)

    scale = 1 ('triangular'), 1 / 2^(cycle−1) ('triangular2': the amplitude halves
    every cycle) or γᵏ ('exp_range': it decays every step).  With u = d = s this is
    Smith's form cycle = ⌊1 + k/(2s)⌋, x = |k/s − 2·cycle + 1|,
    lr = base_lr + (max_lr − base_lr)·max(0, 1 − x)·scale.

    Parameters
    ----------
    base_lr, max_lr : float
        Bottom and top of the cycle (0 < base_lr < max_lr).
    step_size_up : int
        Steps from base_lr to max_lr (≥ 1); PyTorch's default 2000.  Smith suggests
        2–10 epochs' worth of steps.
    step_size_down : int or None
        Steps back down (≥ 1); None means step_size_up.
    mode : {'triangular', 'triangular2', 'exp_range'}
    gamma : float
        Per-step factor of 'exp_range', in (0, 1]; must stay 1 for the other modes.

    Notes
    -----
    PyTorch: ``CyclicLR(opt, base_lr=base_lr, max_lr=max_lr,
    step_size_up=step_size_up, step_size_down=step_size_down, mode=mode,
    gamma=gamma, cycle_momentum=False)``.  (With ``cycle_momentum=True``, PyTorch's
    default, it also cycles the momentum between 0.8 and 0.9; the lr is the same.)
    Custom ``scale_fn`` is not offered: compose schedules instead.

    References
    ----------
    Smith, L. N. (2015/2017). Cyclical Learning Rates for Training Neural Networks.
    arXiv:1506.01186 (WACV 2017).
    """
    base_lr = check.positive("base_lr", base_lr)
    max_lr = check.positive("max_lr", max_lr)
    if max_lr <= base_lr:
        check.fail("max_lr", f"greater than base_lr={_format(base_lr)}", max_lr,
             "max_lr is the top of the cycle and base_lr the bottom; did you swap them?")
    step_size_up = check.positive_int("step_size_up", step_size_up)
    step_size_down = step_size_up if step_size_down is None else check.positive_int("step_size_down", step_size_down)
    mode = check.one_of("mode", mode, _CYCLIC_MODES)
    gamma = _FACTOR("gamma", gamma)
    if mode != "exp_range" and gamma != 1.0:
        check.fail("gamma", "1 unless mode='exp_range'", gamma, f"mode={mode!r} ignores gamma")
    cycle_length = float(step_size_up + step_size_down)
    up_fraction = step_size_up / cycle_length

    def curve(t):
        cycle = np.floor(1.0 + t / cycle_length)
        x = 1.0 + t / cycle_length - cycle
        height = np.where(x <= up_fraction, x / up_fraction, (x - 1.0) / (up_fraction - 1.0))
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = np.power(0.5, cycle - 1.0)
        else:
            scale = np.power(gamma, t)
        return base_lr + (max_lr - base_lr) * height * scale

    return Schedule(curve, _label("cyclic", base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up,
                                  step_size_down=step_size_down, mode=mode, gamma=gamma))


def cosine_warm_restarts(lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> Schedule:  # noqa: N803
    """SGDR: cosine annealing that restarts at ``lr``, with cycles growing by ``T_mult``.

    Cycle i (i = 0, 1, …) lasts T_i = T_0 · T_multⁱ steps and starts at
    S_i = T_0 + T_0·T_mult + … (i terms) = T_0 (T_multⁱ − 1)/(T_mult − 1)
    (= i·T_0 when T_mult = 1).  Within it, T_cur = k − S_i and

        lr(k) = η_min + (lr − η_min) · (1 + cos(π · T_cur / T_i)) / 2,

    a :func:`cosine` segment that is cut off at T_cur = T_i (the floor η_min itself
    is never used: the restart comes first).

    Parameters
    ----------
    lr : float
        Learning rate at each restart (> 0).
    T_0 : int
        Length of the first cycle (≥ 1).
    T_mult : int
        Growth factor of the cycle length (integer ≥ 1).
    eta_min : float
        Floor, in [0, lr]; default 0.

    Notes
    -----
    PyTorch: ``CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult,
    eta_min=eta_min)`` with ``lr=lr`` and one ``scheduler.step()`` per optimizer
    step.  The cycle of each step is found with integer arithmetic (no logarithms),
    so restarts land exactly on S_i.

    References
    ----------
    Loshchilov, I. & Hutter, F. (2016). SGDR: Stochastic Gradient Descent with Warm
    Restarts. arXiv:1608.03983.
    """
    lr = check.positive("lr", lr)
    T_0 = check.positive_int("T_0", T_0)
    T_mult = check.positive_int("T_mult", T_mult)
    eta_min = _eta_min(eta_min, lr)

    def curve(t):
        if T_mult == 1:
            since_restart, cycle_length = np.mod(t, T_0), float(T_0)
        else:
            starts, lengths = [0], [T_0]
            last = t.max() if t.size else 0.0
            while starts[-1] + lengths[-1] <= last:
                starts.append(starts[-1] + lengths[-1])
                lengths.append(lengths[-1] * T_mult)
            cycle = np.searchsorted(np.asarray(starts, dtype=float), t, side="right") - 1
            since_restart = t - np.asarray(starts, dtype=float)[cycle]
            cycle_length = np.asarray(lengths, dtype=float)[cycle]
        return cosine_between(lr, eta_min, since_restart, cycle_length)

    return Schedule(curve, _label("cosine_warm_restarts", lr=lr, T_0=T_0, T_mult=T_mult, eta_min=eta_min))


def one_cycle(max_lr: float, total_steps: int, pct_start: float = 0.3, anneal_strategy: str = "cos",
              div_factor: float = 25.0, final_div_factor: float = 1e4,
              three_phase: bool = False) -> Schedule:
    """The one-cycle policy: warm up to ``max_lr``, then anneal far below the start.

    Levels: initial = max_lr / div_factor, minimum = initial / final_div_factor.
    Phases are ramps (cosine or linear, per ``anneal_strategy``) between phase ends
    that PyTorch computes as floats, with T = total_steps and p = pct_start:

        two phases:   initial → max_lr on [0, e₁],  max_lr → minimum on [e₁, T − 1]
        three phases: initial → max_lr on [0, e₁],  max_lr → initial on [e₁, e₂],
                      initial → minimum on [e₂, T − 1]

    with e₁ = p·T − 1 and e₂ = 2·p·T − 2.  A step k ≤ e₁ is in the first phase at
    fraction k / e₁, and so on.  e₁ need not be a whole number (T = 10, p = 0.25
    gives e₁ = 1.5), in which case max_lr itself is never used; the minimum is used
    exactly once, at the last step k = T − 1.  Built as ``join`` of ramps at the
    (fractional) phase ends: in phase i, from level a to level b,

        lr(k) = b + (a − b) · (1 + cos(π · (k − e_{i−1}) / (e_i − e_{i−1}))) / 2   ('cos')
        lr(k) = a + (b − a) · (k − e_{i−1}) / (e_i − e_{i−1})                     ('linear')

    with e₀ = 0.

    Parameters
    ----------
    max_lr : float
        Peak learning rate (> 0).
    total_steps : int
        Number of optimizer steps in the run (≥ 2).  Calling the schedule at a step
        ≥ total_steps raises ValueError (PyTorch also refuses to step past the end).
    pct_start : float
        Fraction of the run spent warming up, in (0, 1); default 0.3.  The warm-up
        must last more than one step (p·T > 1); with three phases the last phase
        must too (p < (T + 1) / (2T)).
    anneal_strategy : {'cos', 'linear'}
    div_factor : float
        initial = max_lr / div_factor (≥ 1); default 25.
    final_div_factor : float
        minimum = initial / final_div_factor (≥ 1); default 1e4.
    three_phase : bool
        False (default): two phases, as in fastai's one-cycle.  True: up, back down
        to ``initial`` symmetrically, then a final annealing to the minimum — the
        shape of Smith's 1cycle policy, which was linear: Smith's form is
        ``three_phase=True`` with ``anneal_strategy='linear'``.

    Notes
    -----
    PyTorch: ``OneCycleLR(opt, max_lr=max_lr, total_steps=total_steps,
    pct_start=pct_start, anneal_strategy=anneal_strategy, div_factor=div_factor,
    final_div_factor=final_div_factor, three_phase=three_phase,
    cycle_momentum=False)``, for k = 0 … T − 1.  PyTorch also lets ``get_last_lr``
    report k = T (after the last ``scheduler.step()``, never used by an optimizer
    step); that value extrapolates the last phase past its end (linear anneal: below
    the minimum, even negative), which is why this schedule refuses k ≥ T instead.

    References
    ----------
    Smith, L. N. & Topin, N. (2018). Super-Convergence: Very Fast Training of Neural
    Networks Using Large Learning Rates. arXiv:1708.07120.
    Smith, L. N. (2018). A disciplined approach to neural network hyper-parameters:
    Part 1. arXiv:1803.09820.
    """
    max_lr = check.positive("max_lr", max_lr)
    total_steps = check.at_least_two("total_steps", total_steps, "a cycle needs at least two steps")
    pct_start = _OPEN_UNIT("pct_start", pct_start)
    anneal_strategy = check.one_of("anneal_strategy", anneal_strategy, ("cos", "linear"))
    div_factor = _AT_LEAST_ONE("div_factor", div_factor)
    final_div_factor = _AT_LEAST_ONE("final_div_factor", final_div_factor)
    three_phase = check.boolean("three_phase", three_phase)

    first_end = float(pct_start * total_steps) - 1
    last_end = float(total_steps - 1)
    if first_end <= 0:
        check.fail("pct_start", f"greater than 1/total_steps = {_format(1 / total_steps)}", pct_start,
             f"with total_steps={total_steps} the warm-up phase would be empty")
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    if three_phase:
        second_end = float(2 * pct_start * total_steps) - 2
        if second_end >= last_end:
            check.fail("pct_start", f"less than (total_steps + 1) / (2·total_steps) = "
                 f"{_format((total_steps + 1) / (2 * total_steps))} when three_phase=True",
                 pct_start, "the warm-up and the way back down would leave no final phase")
        ends = (first_end, second_end, last_end)
        levels = (initial_lr, max_lr, initial_lr, min_lr)
    else:
        ends = (first_end, last_end)
        levels = (initial_lr, max_lr, min_lr)
    starts = (0.0, *ends[:-1])
    phases = [_ramp(levels[i], levels[i + 1], ends[i] - starts[i], anneal_strategy, f"phase {i}")
              for i in range(len(ends))]
    joined = _join_curve(phases, starts[1:])

    def curve(t):
        if t.size and t.max() >= total_steps:
            check.fail("step", f"less than total_steps={total_steps} (one_cycle covers steps "
                 f"0 … {total_steps - 1})", int(t[t >= total_steps][0]),
                 "make total_steps the length of the whole run")
        return joined(t)

    return Schedule(curve, _label("one_cycle", max_lr=max_lr, total_steps=total_steps,
                                  pct_start=pct_start, anneal_strategy=anneal_strategy,
                                  div_factor=div_factor, final_div_factor=final_div_factor,
                                  three_phase=three_phase))


# ------------------------------------------------------------ performance-based


class PlateauRecord(NamedTuple):
    """What :meth:`ReduceLROnPlateau.step` saw and did at one call."""

    epoch: int              #: 1 for the first call of ``step``
    metric: float           #: the metric passed
    best: float             #: best metric so far (after this call)
    num_bad_epochs: int     #: consecutive non-improving calls (after this call)
    cooldown_counter: int   #: calls of cooldown left (after this call)
    lr: float               #: learning rate after this call
    reduced: bool           #: whether this call lowered the lr


class ReduceLROnPlateau:
    """Lower the learning rate when a metric stops improving.

    The one stateful schedule: call ``step(metric)`` once per evaluation (usually
    per epoch, with the validation loss); it returns the learning rate to use next.

    Rule, at each call with metric m (PyTorch's, step for step):

    1. m is an improvement if, in mode 'min', m < best·(1 − threshold) ('rel') or
       m < best − threshold ('abs'); in mode 'max', m > best·(1 + threshold) or
       m > best + threshold.  An improvement sets best = m and the bad-epoch counter
       to 0; otherwise the counter grows by 1.  (best starts at +∞ for 'min', −∞ for
       'max'; a NaN metric never improves.)
    2. During cooldown the cooldown counter ticks down and bad epochs are not counted.
    3. When the counter exceeds ``patience``: new = max(lr·factor, min_lr), applied
       only if lr − new > eps (changes smaller than eps are ignored); either way the
       counter resets and a cooldown of ``cooldown`` calls starts.

    So with patience p the lr drops at the (p+1)-th consecutive call without
    improvement.

    Parameters
    ----------
    lr : float
        Initial learning rate (> 0).
    mode : {'min', 'max'}
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float
        Multiplier applied at a reduction, in (0, 1); default 0.1.
    patience : int
        Non-improving calls tolerated before reducing (≥ 0); default 10.
    threshold : float
        Minimum change that counts as an improvement (≥ 0); default 1e-4.
    threshold_mode : {'rel', 'abs'}
        Whether threshold is relative to best or absolute.  Note that in 'rel' mode
        with negative metrics best·(1 − threshold) lies *above* best (PyTorch's rule,
        kept as is); use 'abs' for metrics that can be negative.
    cooldown : int
        Calls to wait after a reduction before counting bad epochs again (≥ 0).
    min_lr : float
        Floor for the lr, in [0, lr]; default 0.
    eps : float
        Reductions smaller than eps are skipped (≥ 0); default 1e-8.

    Attributes
    ----------
    lr : float
        Current learning rate.
    best, num_bad_epochs, cooldown_counter, last_epoch
        The state, with PyTorch's names (``last_epoch`` = number of ``step`` calls).
    history : list of PlateauRecord
        One record per ``step`` call; ``lrs`` is the lr curve with the initial lr first.

    Notes
    -----
    PyTorch: ``ReduceLROnPlateau(opt, mode, factor, patience, threshold,
    threshold_mode, cooldown, min_lr, eps)`` with ``lr=lr``: after the same metrics,
    the optimizer's lr equals ``self.lr``.  Calling the object with a step,
    ``plateau(k)``, returns the current lr (whatever k is), so it can be passed
    wherever a ``step -> lr`` schedule is expected; its value changes only through
    ``step(metric)``.
    """

    def __init__(self, lr: float, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float = 0.0, eps: float = 1e-8):
        self.initial_lr = check.positive("lr", lr)
        self.mode = check.one_of("mode", mode, ("min", "max"))
        self.factor = _OPEN_UNIT("factor", factor)
        self.patience = check.nonnegative_int("patience", patience)
        self.threshold = check.nonnegative("threshold", threshold)
        self.threshold_mode = check.one_of("threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = check.nonnegative_int("cooldown", cooldown)
        self.min_lr = check.nonnegative("min_lr", min_lr)
        if self.min_lr > self.initial_lr:
            check.fail("min_lr", f"a number in [0, lr] = [0, {_format(self.initial_lr)}]", min_lr,
                 "min_lr is the floor the lr is reduced to")
        self.eps = check.nonnegative("eps", eps)
        self.lr = self.initial_lr
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self.history: list[PlateauRecord] = []

    def is_better(self, metric: float, best: float) -> bool:
        """Whether ``metric`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            bar = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return metric < bar
        bar = best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return metric > bar

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metric: float) -> float:
        """Record one evaluation of the metric; return the learning rate to use next."""
        value = check.real("metric", metric)
        self.last_epoch += 1
        if self.is_better(value, self.best):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        reduced = False
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
                reduced = True
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self.history.append(PlateauRecord(self.last_epoch, value, self.best, self.num_bad_epochs,
                                          self.cooldown_counter, self.lr, reduced))
        return self.lr

    @property
    def lrs(self) -> np.ndarray:
        """The lr before any call, then after each call (length ``last_epoch + 1``)."""
        return np.array([self.initial_lr] + [record.lr for record in self.history])

    def __call__(self, step):
        steps = _as_steps(step)
        return _evaluate(lambda t: np.full_like(t, self.lr), steps)

    def __repr__(self) -> str:
        return _label("ReduceLROnPlateau", lr=self.initial_lr, mode=self.mode, factor=self.factor,
                      patience=self.patience, threshold=self.threshold,
                      threshold_mode=self.threshold_mode, cooldown=self.cooldown,
                      min_lr=self.min_lr, eps=self.eps)

