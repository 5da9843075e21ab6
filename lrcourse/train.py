"""The run loop: many learning rates in one vectorised run, with records.

:func:`run` trains ``K`` independent runs of one problem at once.  Each run is a
row of a ``(K, dim)`` parameter array; the problem evaluates all rows with one
stacked computation and the optimizer updates them together, so a sweep over 50
learning rates costs about as much Python as a single run.

Per step ``t = 0, 1, …, steps − 1`` the loop does::

    loss_t, g_t = loss(x_t, batch_t), ∇loss(x_t, batch_t)     # all K rows at once
    record loss_t, ‖g_t‖                                       # before clipping
    check divergence of loss_t                                  # see below
    g_t ← clip(g_t)                                            # optional, per run
    x_{t+1} = optimizer.step(x_t, g_t)
    record the lr the optimizer used (optimizer.last_lr)

so ``loss[t]`` is the loss at the parameters *before* step ``t``, on the batch that
step ``t`` uses, and ``lr[t]`` is the rate applied in step ``t`` (the convention of
fastai's recorder and of a PyTorch loop that logs ``loss.item()`` before
``optimizer.step()``).

Divergence
----------
With ``L0[k]`` the first recorded loss of run ``k``, the run is declared diverged at
the first step ``t`` whose loss is non-finite or exceeds the threshold::

    L0 + (divergence_factor − 1) · max(|L0|, 1e-12)

For a positive start loss this is exactly ``divergence_factor × L0``; the form also
stays sensible for a start loss that is zero (a run started at the minimum: the floor
1e-12 stands in for |L0|) or negative (a non-convex objective such as
``WavyValley`` can have negative losses; the run may rise by
``(divergence_factor − 1)·|L0|`` before it counts as diverged).

A diverged run is stopped, not removed: its parameters are frozen at ``x_t`` (or at
``x_{t−1}`` when ``x_t`` itself is no longer finite), the optimizer keeps receiving
the full ``(K, dim)`` array with a zero gradient in that row, and the row it returns
is overwritten by the frozen parameters.  ``loss[t]`` and ``grad_norm[t]`` keep the
values that triggered the stop (the blow-up shows in a plot); from ``t + 1`` on the
run's losses, gradient norms and validation records are NaN.  When all K runs have
diverged the loop ends early (``steps_taken < steps``) and the remaining records are
NaN.  The whole loop runs under ``np.errstate`` so overflow never surfaces as a
numpy warning: divergence is reported in the result instead.

Clipping (per run, applied after the gradient norm is recorded)
---------------------------------------------------------------
- by norm, as ``torch.nn.utils.clip_grad_norm_(params, clip_norm)``:
  ``g ← g · min(1, clip_norm / (‖g‖₂ + 1e-6))``;
- by value, as ``torch.nn.utils.clip_grad_value_(params, clip_value)``:
  ``g ← clip(g, −clip_value, clip_value)`` elementwise.

Mini-batches
------------
With ``batch_size`` the problem must offer ``batches(batch_size, seed)`` (an iterator
of index arrays) and accept them as ``loss(x, batch)`` / ``grad(x, batch)``.  All K
runs see the same sequence of batches, so runs in a sweep differ only in their
hyperparameters, not in the luck of the draw.  ``drop_last=True`` asks for
``batches(batch_size, seed, drop_last=True)``: as with PyTorch's
``DataLoader(drop_last=True)``, the last, smaller batch of each epoch is dropped, so
every step uses exactly ``batch_size`` examples (an epoch of n examples then has
⌊n / batch_size⌋ steps instead of ⌈n / batch_size⌉).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from lrcourse import _validation as check

__all__ = ["run", "RunResult", "divergence_threshold", "clip_by_norm", "clip_by_value", "at_training_loss"]

#: Added to the gradient norm before dividing, as in torch.nn.utils.clip_grad_norm_.
CLIP_NORM_EPS = 1e-6
#: Stand-in for |initial loss| when that is (nearly) zero.
LOSS_FLOOR = 1e-12

_CURVES = ("loss", "lr", "grad_norm", "val_loss", "val_accuracy", "train_loss")
#: divergence_factor: above 1 (a run may not start diverged); np.inf keeps only the NaN/inf test.
_DIVERGENCE_FACTOR = check.Interval(1, np.inf, closed="neither", allow_inf=True)


def divergence_threshold(initial_loss, divergence_factor: float) -> np.ndarray:
    """Loss above which a run counts as diverged.

    ``L0 + (divergence_factor − 1) · max(|L0|, 1e-12)``, which equals
    ``divergence_factor · L0`` whenever ``L0 ≥ 1e-12``.  ``divergence_factor=np.inf``
    gives an infinite threshold (only non-finite losses then count as divergence).
    """
    initial_loss = check.real_array("initial_loss", initial_loss, finite=True)
    divergence_factor = _DIVERGENCE_FACTOR("divergence_factor", divergence_factor)
    return _threshold(initial_loss, divergence_factor)


def _threshold(initial_loss: np.ndarray, divergence_factor: float) -> np.ndarray:
    """:func:`divergence_threshold` unchecked: run() also meets a start loss that is
    already non-finite (its threshold is then NaN/inf and the run stops at once)."""
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.maximum(np.abs(initial_loss), LOSS_FLOOR)
        return initial_loss + (divergence_factor - 1.0) * scale


def _gradient_rows(grad) -> np.ndarray:
    grad = check.real_array("grad", grad)
    if grad.ndim != 2:
        check.fail("grad", "an array of shape (K, dim): one gradient per row (per run)",
                   check.Described(f"shape {grad.shape}"), "for one gradient g pass g.reshape(1, -1)")
    return grad


def clip_by_norm(grad: np.ndarray, clip_norm: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale each row of ``grad`` (shape ``(K, dim)``) to L2 norm at most ``clip_norm``.

    ``g ← g · min(1, clip_norm / (‖g‖₂ + 1e-6))`` per row, the rule of
    ``torch.nn.utils.clip_grad_norm_`` (each row is one model).  Returns the clipped
    gradient (a new array) and the norms before clipping, shape ``(K,)``.
    """
    grad = _gradient_rows(grad)
    clip_norm = check.positive("clip_norm", clip_norm)
    with np.errstate(over="ignore", invalid="ignore"):
        norms = _row_norms(grad)
        coef = np.minimum(clip_norm / (norms + CLIP_NORM_EPS), 1.0)
        return grad * coef[:, None], norms


def at_training_loss(train_loss, eval_steps, target: float, *values):
    """Where one run's training loss first comes down to ``target``, read between evaluations.

    To compare runs at the same training loss (not at whichever evaluation happens to fall
    below it first): with L the training loss at the evaluations and i the first with
    L[i] ≤ target, the step and each of ``values`` (arrays over the same evaluations, e.g.
    the validation loss) are interpolated linearly in log L between evaluations i − 1 and
    i, with the weight

        w = log(L[i−1] / target) / log(L[i−1] / L[i]).

    Returns ``(step, *values_there)`` as floats, or ``None`` if the run never gets there or
    is there at its first evaluation (nothing to interpolate from).
    """
    loss = check.real_array("train_loss", train_loss)
    if loss.ndim != 1:
        check.fail("train_loss", "one run's training losses (a 1-D array)", train_loss)
    target = check.positive("target", target)
    named = [("eval_steps", eval_steps), *((f"values[{j}]", v) for j, v in enumerate(values))]
    columns = [check.real_array(name, column) for name, column in named]
    for (name, _), column in zip(named, columns):
        if column.shape != loss.shape:
            check.fail(name, f"one entry per evaluation, as train_loss has {loss.shape}",
                       check.Described(f"shape {column.shape}"))
    with np.errstate(invalid="ignore"):
        below = np.flatnonzero(loss <= target)
    if below.size == 0 or below[0] == 0:
        return None
    i = below[0]
    w = np.log(loss[i - 1] / target) / np.log(loss[i - 1] / loss[i])
    return tuple(float(column[i - 1] + w * (column[i] - column[i - 1])) for column in columns)


def clip_by_value(grad: np.ndarray, clip_value: float) -> np.ndarray:
    """Clamp every entry of ``grad`` to ``[−clip_value, clip_value]``
    (``torch.nn.utils.clip_grad_value_``)."""
    grad = _gradient_rows(grad)
    clip_value = check.positive("clip_value", clip_value)
    return np.clip(grad, -clip_value, clip_value)


def _row_norms(grad: np.ndarray) -> np.ndarray:
    """‖g_k‖₂ of each row (overflow gives inf, as a diverged run's gradient may)."""
    return np.sqrt(np.einsum("kd,kd->k", grad, grad))


@dataclass(repr=False)
class RunResult:
    """What :func:`run` recorded.  Arrays are indexed ``[step, run]``.

    Attributes
    ----------
    loss : ndarray, shape (steps, K)
        Loss at the parameters before step ``t``, on the batch step ``t`` used
        (the full training set without ``batch_size``).  NaN after divergence.
    lr : ndarray, shape (steps, K)
        Learning rate applied in step ``t`` (``optimizer.last_lr`` per run; a
        per-parameter lr is averaged over the parameters).  NaN for steps not taken
        and for an optimizer without ``last_lr``.
    grad_norm : ndarray, shape (steps, K)
        L2 norm of each run's gradient before clipping.  NaN after divergence.
    diverged : ndarray of bool, shape (K,)
    diverged_at : ndarray of int, shape (K,)
        Step ``t`` whose iterate ``x_t`` was first found diverged (``steps`` when only
        the last iterate was), −1 for runs that did not diverge.
    x : ndarray, shape (K, dim)
        Final parameters (frozen ones for diverged runs).
    final_loss : ndarray, shape (K,)
        Full training loss at ``x`` after the last step; NaN for diverged runs.
    steps : int
        Steps requested.
    steps_taken : int
        Steps actually run (smaller when every run diverged early).
    eval_steps : ndarray of int or None
        Steps ``t`` at which ``x_t`` was evaluated: 0, e, 2e, … and ``steps``.
    train_loss, val_loss, val_accuracy : ndarray, shape (len(eval_steps), K), or None
        Full training loss, validation loss and validation accuracy at
        ``eval_steps`` (``val_*`` only when the problem has them).
    trajectory : ndarray, shape (steps + 1, K, dim), or None
        ``x_0, x_1, …, x_steps`` with ``keep_trajectory=True``.
    problem_name : str
    """

    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    diverged: np.ndarray
    diverged_at: np.ndarray
    x: np.ndarray
    final_loss: np.ndarray
    steps: int
    steps_taken: int
    eval_steps: np.ndarray | None = None
    train_loss: np.ndarray | None = None
    val_loss: np.ndarray | None = None
    val_accuracy: np.ndarray | None = None
    trajectory: np.ndarray | None = None
    problem_name: str = ""

    @property
    def n_runs(self) -> int:
        """K, the number of runs carried together."""
        return self.loss.shape[1]

    @property
    def best_loss(self) -> np.ndarray:
        """Lowest loss each run reached (recorded losses and the final loss), shape (K,).

        NaN only for a run with no finite loss at all.
        """
        candidates = np.vstack([self.loss, self.final_loss[None, :]])
        with np.errstate(invalid="ignore"):
            finite = np.where(np.isfinite(candidates), candidates, np.nan)
            return np.fmin.reduce(finite, axis=0)

    def curve(self, name: str = "loss", k: int = 0) -> np.ndarray:
        """One run's record as a 1-D array: ``result.curve("loss")`` for K = 1.

        ``name`` is one of ``loss``, ``lr``, ``grad_norm`` (length ``steps``) or
        ``train_loss``, ``val_loss``, ``val_accuracy`` (length ``len(eval_steps)``).
        """
        check.one_of("name", name, _CURVES)
        k = self._run_index(k)
        record = getattr(self, name)
        if record is None:
            hint = ("pass eval_every=... to run()" if name != "val_accuracy"
                    else "the problem has no accuracy(), or eval_every was not given")
            check.fail("name", "a record this run kept", name, hint)
        return record[:, k]

    def _run_index(self, k) -> int:
        """``k`` checked as the index of one of the K runs (negative counts from the end)."""
        return check.Interval(-self.n_runs, self.n_runs, closed="left", integer=True)("k", k)

    def divergence_lr(self, k: int) -> float:
        """The last learning rate run ``k`` applied before it was declared diverged
        (NaN when it diverged at step 0 or did not diverge)."""
        at = int(self.diverged_at[self._run_index(k)])
        return float(self.lr[at - 1, k]) if at >= 1 else float("nan")

    def summary(self) -> str:
        """A short human-readable account of the run(s)."""
        K = self.n_runs
        runs = "1 run" if K == 1 else f"{K} runs"
        name = f" on {self.problem_name}" if self.problem_name else ""
        lines = [f"{runs} × {self.steps} steps{name}"
                 + (f" (stopped after {self.steps_taken})" if self.steps_taken < self.steps else "")]
        finite = self.final_loss[np.isfinite(self.final_loss)]
        if K == 1 and finite.size:
            lines.append(f"final loss {finite[0]:.4g} (best {self.best_loss[0]:.4g})")
        elif finite.size:
            lines.append(f"final loss {finite.min():.4g} (best run) … {finite.max():.4g} "
                         f"(worst finished run), median {np.median(finite):.4g}")
        n_div = int(self.diverged.sum())
        if n_div == 0:
            lines.append("no run diverged" if K > 1 else "did not diverge")
        else:
            first = int(np.argmin(np.where(self.diverged, self.diverged_at, np.iinfo(int).max)))
            at = int(self.diverged_at[first])
            lr = self.divergence_lr(first)
            where = f"lr={lr:.3g}" if np.isfinite(lr) else "at the start point"
            lines.append(f"{n_div} of {K} runs diverged (first at step {at}, {where})"
                         if K > 1 else f"diverged at step {at} ({where})")
        return "; ".join(lines)

    def __repr__(self) -> str:
        return f"RunResult({self.summary()})"


def _lr_per_run(last_lr: Any, K: int, dim: int) -> np.ndarray | float:
    """``optimizer.last_lr`` as something that assigns into a row of shape (K,)."""
    if isinstance(last_lr, (float, int, np.floating, np.integer)):
        return float(last_lr)
    lr = np.asarray(last_lr, dtype=float)
    if lr.ndim == 0:
        return float(lr)
    if lr.shape == (K, 1):
        return lr[:, 0]
    return np.broadcast_to(lr, (K, dim)).mean(axis=1)


def _infer_runs(optimizer) -> int | None:
    """K implied by the optimizer's lr array (shape (K, 1) or (K, dim)), else None.

    A schedule is asked for the lr of the optimizer's next step: one returning a
    (K, 1) array (e.g. ``lambda k: peaks[:, None] * unit(k)``) also sets K.
    """
    lr = getattr(optimizer, "lr", None)
    if callable(lr):
        with np.errstate(all="ignore"):
            lr = lr(int(getattr(optimizer, "step_count", 0)))
    if lr is None or np.ndim(lr) < 2:
        return None
    return int(np.shape(lr)[0])


# ------------------------------------------------------------------ argument checks


def _needs_instance(name: str, value, accepted: str, methods: tuple) -> None:
    """``value`` must be an object (not a class) with these methods."""
    if isinstance(value, type):
        check.fail(name, accepted, value, "pass an instance: call the class with its arguments first",
                   error=TypeError)
    if not all(callable(getattr(value, method, None)) for method in methods):
        simple = value is None or isinstance(value, (str, int, float))
        check.fail(name, accepted, value if simple else check.Described(f"an object of type "
                                                                        f"{type(value).__name__}"),
                   error=TypeError)


#: The most memory the records of one run() may take (the arrays are allocated up front).
MAX_RECORD_BYTES = 2 * 1024**3


def _check_record_size(steps: int, K: int, dim: int, keep_trajectory: bool) -> None:
    """Refuse, naming ``steps``, a run whose records would not fit in MAX_RECORD_BYTES.

    The records are 3 arrays of shape (steps, K) (loss, lr, grad_norm) and, with
    ``keep_trajectory``, one of shape (steps + 1, K, dim), float64.
    """
    per_step = 8 * K * (3 + (dim if keep_trajectory else 0))
    if steps * per_step > MAX_RECORD_BYTES:
        most = MAX_RECORD_BYTES // per_step
        check.fail("steps", f"an integer ≤ {most} for {K} run(s) of dimension {dim}"
                   + (" with keep_trajectory=True" if keep_trajectory else ""), steps,
                   f"the records would take {steps * per_step / 1024**3:.1f} GiB (the limit is "
                   f"{MAX_RECORD_BYTES / 1024**3:g} GiB)"
                   + ("; keep_trajectory=False keeps only the losses" if keep_trajectory else ""))


def _check_problem(problem) -> None:
    _needs_instance("problem", problem, "an object with loss(x) and grad(x) methods and a dim",
                    ("loss", "grad"))
    check.positive_int("problem.dim", getattr(problem, "dim", None))


def _check_optimizer(optimizer) -> None:
    _needs_instance("optimizer", optimizer, "an object with a step(x, grad) method, such as "
                    "optim.SGD(lr=0.1)", ("step",))


def _check_batch_size(batch_size, problem) -> int | None:
    if batch_size is None:
        return None
    batch_size = check.positive_int("batch_size", batch_size)
    if not callable(getattr(problem, "batches", None)):
        check.fail("batch_size", "None for a problem without mini-batches", batch_size,
                   f"{type(problem).__name__} has no batches(); use full-batch gradients")
    return batch_size


def _check_drop_last(drop_last, batch_size, problem) -> bool:
    drop_last = check.boolean("drop_last", drop_last)
    if drop_last and batch_size is None:
        check.fail("drop_last", "False with full-batch gradients (batch_size=None)", drop_last,
                   "pass a batch_size to drop the last, smaller batch of each epoch")
    if drop_last:
        try:
            parameters = inspect.signature(problem.batches).parameters
        except (TypeError, ValueError):       # no signature to read: let the call decide
            return drop_last
        if "drop_last" not in parameters and not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            check.fail("drop_last", "False for a problem whose batches() has no drop_last argument", drop_last,
                       f"{type(problem).__name__}.batches(batch_size, seed) keeps the last, smaller batch")
    return drop_last


def _batch_stream(problem, batch_size, seed, drop_last):
    """The iterator of mini-batches (None for full-batch gradients).

    drop_last is passed only when True, so problems whose ``batches`` lack it keep working."""
    if batch_size is None:
        return None
    if drop_last:
        return iter(problem.batches(batch_size, seed, drop_last=True))
    return iter(problem.batches(batch_size, seed))


def _check_clipping(clip_norm, clip_value) -> tuple[float | None, float | None]:
    if clip_norm is not None:
        clip_norm = check.positive("clip_norm", clip_norm)
    if clip_value is not None:
        clip_value = check.positive("clip_value", clip_value)
    if clip_norm is not None and clip_value is not None:
        check.fail("clip_value", "None when clip_norm is given", clip_value,
                   "clip by norm or by value, not both")
    return clip_norm, clip_value


def _start_point(x0, problem, optimizer) -> np.ndarray:
    x0 = check.real_array("x0", x0)
    dim = int(problem.dim)
    if x0.ndim not in (1, 2) or x0.shape[-1] != dim:
        check.fail("x0", f"an array of shape ({dim},) or (K, {dim})",
                   check.Described(f"shape {x0.shape}"),
                   f"{getattr(problem, 'name', 'the problem')} has {dim} parameters")
    if not np.all(np.isfinite(x0)):
        check.fail("x0", "finite", x0)
    K_lr = _infer_runs(optimizer)
    if x0.ndim == 1:
        return np.tile(x0, (K_lr or 1, 1))
    if K_lr is not None and K_lr != x0.shape[0] and K_lr != 1:
        check.fail("x0", f"an array with {K_lr} rows (one per learning rate) or of shape ({dim},)",
                   check.Described(f"shape {x0.shape}"),
                   f"the optimizer's lr has shape {np.shape(optimizer.lr)}")
    return x0.copy()


# ------------------------------------------------------------------ the pieces of the loop


def _per_run(name: str, what: str, values, x: np.ndarray) -> np.ndarray:
    """What the problem returned at the K points ``x`` (a loss, a validation loss, an
    accuracy) as K floats, or refused naming the problem's method."""
    K = x.shape[0]
    real = check.is_real(values)
    if not real or np.size(values) != K:
        check.fail(name, f"one {what} per run, a real number: shape ({K},) for x of shape {x.shape}",
                   check.Described(f"shape {np.shape(values)}") if real else values,
                   error=ValueError if real else TypeError)
    return np.asarray(values, dtype=float).reshape(K)


def _loss_and_grad(problem, batches):
    """``f(x) -> (loss (K,), grad (K, dim))`` on the next batch (or the full set), checked.

    Uses the problem's ``loss_and_grad`` when it has one (one pass for both).
    """
    both = getattr(problem, "loss_and_grad", None)

    def evaluate(x):
        batch = () if batches is None else (next(batches),)
        if callable(both):
            loss, grad = both(x, *batch)
        else:
            loss, grad = problem.loss(x, *batch), problem.grad(x, *batch)
        K, dim = x.shape
        loss, grad = np.asarray(loss, dtype=float), np.asarray(grad, dtype=float)
        if loss.size != K:
            check.fail("problem.loss(x)", f"one loss per run: {K} values for x of shape {x.shape}",
                       check.Described(f"shape {loss.shape}"))
        if grad.shape != x.shape:
            check.fail("problem.grad(x)", f"an array of the shape of x {x.shape} (one gradient per run)",
                       check.Described(f"shape {grad.shape}"),
                       f"{getattr(problem, 'name', type(problem).__name__)} has dim={dim}")
        return loss.reshape(K), grad

    return evaluate


def _stop_diverged(loss, threshold, alive, x, x_prev, diverged_at, t):
    """The one divergence test: runs still alive whose loss is non-finite or above
    ``threshold`` stop at step ``t``.

    Returns the runs still alive and the parameters, with every newly stopped run
    frozen at ``x`` (or at ``x_prev`` when ``x`` itself is no longer finite).
    """
    newly = alive & ~(np.isfinite(loss) & (loss <= threshold))
    if not np.count_nonzero(newly):  # (count_nonzero: a third of any()'s cost on K bools)
        return alive, x
    diverged_at[newly] = t
    lost = newly & ~np.isfinite(x).all(axis=1)
    if lost.any():
        x = x.copy()
        x[lost] = x_prev[lost]
    return alive & ~newly, x


class _Records:
    """The arrays :func:`run` fills, NaN until written (and for stopped runs)."""

    def __init__(self, problem, steps: int, x: np.ndarray, eval_every, keep_trajectory: bool):
        K, dim = x.shape
        self.problem = problem
        self.loss, self.lr, self.grad_norm = (np.full((steps, K), np.nan) for _ in range(3))
        self.trajectory = np.full((steps + 1, K, dim), np.nan) if keep_trajectory else None
        if self.trajectory is not None:
            self.trajectory[0] = x
        self.eval_steps = self.train_loss = self.val_loss = self.val_accuracy = None
        self.evaluated = 0  # how many of eval_steps are done
        if eval_every is not None:
            self.eval_steps = np.unique(np.append(np.arange(0, steps + 1, eval_every), steps))
            self.train_loss = np.full((self.eval_steps.size, K), np.nan)
            if callable(getattr(problem, "val_loss", None)):
                self.val_loss = np.full((self.eval_steps.size, K), np.nan)
            if callable(getattr(problem, "accuracy", None)):
                self.val_accuracy = np.full((self.eval_steps.size, K), np.nan)

    def evaluate_if_due(self, t: int, x: np.ndarray, alive: np.ndarray) -> None:
        """Full training loss, val loss and val accuracy at x_t, when t is an eval step."""
        if self.eval_steps is None or self.evaluated >= self.eval_steps.size \
                or self.eval_steps[self.evaluated] != t:
            return
        i = self.evaluated
        self.train_loss[i] = np.where(alive, _per_run("problem.loss(x)", "loss", self.problem.loss(x), x), np.nan)
        if self.val_loss is not None:
            self.val_loss[i] = np.where(alive, _per_run("problem.val_loss(x)", "validation loss",
                                                        self.problem.val_loss(x), x), np.nan)
        if self.val_accuracy is not None:
            self.val_accuracy[i] = np.where(alive, _per_run("problem.accuracy(x, split='val')", "accuracy",
                                                            self.problem.accuracy(x, split="val"), x), np.nan)
        self.evaluated += 1

    def evaluate_the_rest(self, x: np.ndarray, alive: np.ndarray) -> None:
        """The evaluations an early stop skipped, and the one at t = steps."""
        while self.eval_steps is not None and self.evaluated < self.eval_steps.size:
            self.evaluate_if_due(int(self.eval_steps[self.evaluated]), x, alive)

    def step(self, t: int, loss: np.ndarray, grad_norm: np.ndarray, alive: np.ndarray) -> None:
        self.loss[t] = _only(alive, loss, np.nan)
        self.grad_norm[t] = _only(alive, grad_norm, np.nan)

    def position(self, t: int, x: np.ndarray, *, to_the_end: bool = False) -> None:
        """x_t (and, after an early stop, every later iterate: the runs are frozen)."""
        if self.trajectory is not None:
            self.trajectory[t:None if to_the_end else t + 1] = x


# ------------------------------------------------------------------ run


def run(problem, optimizer, x0, steps, *, batch_size=None, seed=0, drop_last=False,
        clip_norm=None, clip_value=None, divergence_factor=1e4, eval_every=None,
        keep_trajectory=False) -> RunResult:
    """Train ``K`` runs of ``problem`` with ``optimizer`` for ``steps`` steps.

    The loop, per step t = 0, 1, …, steps − 1 (all K runs at once)::

        loss_t, g_t = loss(x_t, batch_t), ∇loss(x_t, batch_t)
        record loss_t and ‖g_t‖
        stop the runs whose loss_t is non-finite or above the divergence threshold
        g_t ← clip(g_t)                                     (optional)
        x_{t+1} = optimizer.step(x_t, g_t)                  (stopped runs stay put)
        record the lr that step used

    then the full training loss at x_steps, with the same divergence test.

    Parameters
    ----------
    problem : object with ``dim``, ``loss(x)``, ``grad(x)``
        Evaluated on the stacked ``(K, dim)`` parameters.  Uses
        ``loss_and_grad(x[, batch])`` when the problem has it.  ``batches``,
        ``val_loss`` and ``accuracy`` are used when needed (see below).
    optimizer : object with ``step(x, grad) -> x_next``
        An :mod:`lrcourse.optim` optimizer (an instance, not the class).  Its lr may
        be an array of shape ``(K, 1)``: then K runs with K learning rates are
        trained together.  Its state is not reset: a fresh optimizer gives a fresh
        run.  The ``lr`` record is read from ``optimizer.last_lr`` after every step;
        an optimizer without that attribute (a learner's own class, say) leaves it NaN.
    x0 : array, shape (dim,) or (K, dim)
        Start point(s).  A ``(dim,)`` start is repeated for every run.
    steps : int in [1, 10**6]
        Optimizer steps to take (at most ``_validation.MAX_STEPS``, and fewer when
        the records would exceed ``MAX_RECORD_BYTES`` = 2 GiB: 3·K·steps floats, plus
        K·dim·(steps + 1) with ``keep_trajectory``).
    batch_size : int or None
        None: full-batch gradients.  Otherwise mini-batches of this size from
        ``problem.batches(batch_size, seed)``, shared by all runs.
    seed : int
        Seeds the order of the mini-batches.
    drop_last : bool
        False (default): every epoch ends with the smaller batch of the n mod
        ``batch_size`` examples left over.  True: that batch is dropped, as with
        PyTorch's ``DataLoader(drop_last=True)``; the problem's ``batches`` must
        accept ``drop_last``.  Needs ``batch_size``.
    clip_norm, clip_value : float or None
        Clip each run's gradient by L2 norm or by value (at most one of the two);
        see the module docstring for the exact rules.
    divergence_factor : float > 1
        A run stops when its loss exceeds ``divergence_factor ×`` its first loss
        (exact rule in the module docstring) or becomes non-finite.  ``np.inf``
        keeps only the non-finite test.
    eval_every : int or None
        Evaluate the full training loss, and the problem's ``val_loss`` /
        ``accuracy(x, split="val")`` when it has them, at ``x_t`` for
        ``t = 0, eval_every, 2·eval_every, …`` and at ``t = steps``.
    keep_trajectory : bool
        Keep every iterate: ``trajectory`` of shape ``(steps + 1, K, dim)``.

    Returns
    -------
    RunResult
        Records of shape ``(steps, K)``; see :class:`RunResult`.
    """
    _check_problem(problem)
    _check_optimizer(optimizer)
    steps = check.step_count("steps", steps)
    seed = check.nonnegative_int("seed", seed)
    batch_size = _check_batch_size(batch_size, problem)
    drop_last = _check_drop_last(drop_last, batch_size, problem)
    clip_norm, clip_value = _check_clipping(clip_norm, clip_value)
    divergence_factor = _DIVERGENCE_FACTOR("divergence_factor", divergence_factor)
    eval_every = None if eval_every is None else check.positive_int("eval_every", eval_every)
    keep_trajectory = check.boolean("keep_trajectory", keep_trajectory)

    x = _start_point(x0, problem, optimizer)
    K, dim = x.shape
    _check_record_size(steps, K, dim, keep_trajectory)
    batches = _batch_stream(problem, batch_size, seed, drop_last)
    loss_and_grad = _loss_and_grad(problem, batches)
    records = _Records(problem, steps, x, eval_every, keep_trajectory)
    alive = np.ones(K, dtype=bool)
    diverged_at = np.full(K, -1, dtype=int)
    threshold = None
    x_prev = x
    steps_taken = steps

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t in range(steps):
            records.evaluate_if_due(t, x, alive)
            loss, grad = loss_and_grad(x)
            if threshold is None:
                threshold = _threshold(loss, divergence_factor)
            records.step(t, loss, _row_norms(grad), alive)
            alive, x = _stop_diverged(loss, threshold, alive, x, x_prev, diverged_at, t)
            if not np.count_nonzero(alive):
                steps_taken = t + 1
                records.position(t + 1, x, to_the_end=True)
                break
            if clip_norm is not None:
                grad, _ = clip_by_norm(grad, clip_norm)
            elif clip_value is not None:
                grad = clip_by_value(grad, clip_value)
            x_prev, x = x, _optimizer_step(optimizer, x, _only(alive, grad, 0.0))
            x = _only(alive, x, x_prev)
            if hasattr(optimizer, "last_lr"):
                records.lr[t] = _lr_per_run(optimizer.last_lr, K, dim)
            records.position(t + 1, x)

        records.evaluate_the_rest(x, alive)
        final_loss = _per_run("problem.loss(x)", "loss", problem.loss(x), x)
        alive, x = _stop_diverged(final_loss, threshold, alive, x, x_prev, diverged_at, steps)

    return RunResult(
        loss=records.loss, lr=records.lr, grad_norm=records.grad_norm,
        diverged=~alive, diverged_at=diverged_at, x=x, final_loss=np.where(alive, final_loss, np.nan),
        steps=steps, steps_taken=steps_taken, eval_steps=records.eval_steps,
        train_loss=records.train_loss, val_loss=records.val_loss, val_accuracy=records.val_accuracy,
        trajectory=records.trajectory, problem_name=str(getattr(problem, "name", "")),
    )


def _only(alive: np.ndarray, values: np.ndarray, otherwise) -> np.ndarray:
    """``values`` (one entry or row per run) for the runs still alive, ``otherwise`` for
    the stopped ones."""
    if np.count_nonzero(alive) == alive.size:  # everyone alive: nothing to mask
        return values
    return np.where(alive if values.ndim == 1 else alive[:, None], values, otherwise)


def _optimizer_step(optimizer, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``optimizer.step(x, grad)``, checked to keep x's shape (K, dim)."""
    x_next = optimizer.step(x, grad)
    if np.shape(x_next) != x.shape:
        check.fail("optimizer.step(x, grad)", f"an array of shape {x.shape}",
                   check.Described(f"shape {np.shape(x_next)}"),
                   "an lr array of shape (K, 1) needs x0 of shape (dim,) or (K, dim)")
    return x_next
