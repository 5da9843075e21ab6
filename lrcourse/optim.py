"""Optimizers with PyTorch's names, defaults and update rules, on NumPy arrays.

Each optimizer is a small object with one method that matters::

    x_next = opt.step(x, grad)

``step`` returns the new parameters as a new array; it never modifies ``x``,
``grad`` or any array passed in earlier.  The optimizer's state (step count,
moment estimates) lives on the object under PyTorch's names, so a lesson can plot
it, and ``opt.reset()`` starts a new run.

State arrays are snapshots: every step binds fresh arrays to ``opt.exp_avg``,
``opt.momentum_buffer``, … rather than updating them in place, so
``history.append(opt.exp_avg)`` records a history without copying.  A scalar
``x`` is updated as a 1-element array (its state arrays have shape (1,)) and comes
back as a 0-d array.

What you write here transfers to ``torch.optim`` unchanged: same class names,
argument names, defaults and update rules (checked against PyTorch in float64 by
``tests/test_optim.py``).

Many runs in one
----------------
``lr`` may be an array that broadcasts against the parameters.  With ``x`` of
shape ``(K, d)`` and ``lr`` of shape ``(K, 1)`` one call of ``step`` advances K
independent runs, row k with learning rate ``lr[k, 0]``::

    lrs = np.logspace(-3, 0, 200)[:, None]            # (200, 1)
    opt = SGD(lr=lrs, momentum=0.9)
    x = np.tile(x0, (200, 1))                        # (200, d)
    for _ in range(500):
        x = opt.step(x, problem.grad(x))

Schedules
---------
``lr`` may also be a schedule, any callable ``step -> lr``.  The k-th call of
``step`` (k = 0, 1, 2, …) uses ``lr(k)``: the same as calling
``scheduler.step()`` after every ``optimizer.step()`` in PyTorch.

Classes
-------
SGD, Adagrad, RMSprop, Adam, AdamW, and their common base class Optimizer.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from lrcourse import _validation as check

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


# ---------------------------------------------------------------------------
# Argument documentation shared by several optimizers (written once, joined into
# each class docstring where a line holds only the placeholder, e.g. "{lr}").
# ---------------------------------------------------------------------------

_SHARED_DOCS = {
    "{lr}": """\
lr : float, array of floats, or callable step -> lr
    The learning rate η (PyTorch's default for this optimizer is in the
    signature).  One of:

    - a positive finite number;
    - an array of them that broadcasts against the parameters without changing
      their shape: ``lr`` of shape (K, 1) with ``x`` of shape (K, d) runs K
      learning rates at once, one per row; shape (d,) or (1, d) gives each
      coordinate its own rate.  A 1-D ``lr`` with ``x`` of shape (d, d) is
      refused as ambiguous (per run or per coordinate?): write (K, 1) or (1, d);
    - a schedule, a callable ``step -> lr``: the k-th call of ``step``
      (k = 0, 1, …) uses ``lr(k)``, as in PyTorch when ``scheduler.step()``
      follows every ``optimizer.step()``.  A value that is not positive and
      finite raises ValueError naming the step.

    In the update rules below η_t is the rate used by step t = 1, 2, …, that
    is ``lr(t − 1)`` for a schedule.  ``opt.lr`` may be reassigned between steps
    (like PyTorch's ``param_groups[0]["lr"]``); the new value is validated.""",
    "{weight_decay}": """\
weight_decay : float
    λ ≥ 0, the coefficient of an L2 penalty: λ·x is added to the gradient before
    anything else, so the optimizer minimises f(x) + ½λ‖x‖².  (For plain SGD
    this is the same as shrinking x by (1 − ηλ) each step; for adaptive methods
    it is not — see AdamW.)""",
    "{eps}": """\
eps : float
    ε > 0, added to the denominator *outside* the square root, so that a
    coordinate whose gradients have been zero does not divide by zero.""",
    "{common_attributes}": """\
step_count : int
    The number of steps taken since construction or the last ``reset()``.
last_lr : float, ndarray or None
    The learning rate the last step used (for a schedule, ``lr(step_count − 1)``);
    None before the first step.
state : dict
    The state buffers below by name (PyTorch's names), plus ``"step"``.""",
}


def _with_shared_docs(cls):
    """Replace placeholder lines such as ``{lr}`` in ``cls.__doc__`` by the shared text.

    The shared text is indented like the placeholder line, so it reads as part of
    the numpy-style section it sits in.
    """
    lines = []
    for line in cls.__doc__.splitlines():
        key = line.strip()
        if key in _SHARED_DOCS:
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + part if part else part for part in _SHARED_DOCS[key].splitlines())
        else:
            lines.append(line)
    cls.__doc__ = "\n".join(lines)
    return cls


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def _as_float_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array (no copy when it already is one)."""
    if type(value) is np.ndarray and value.dtype == np.float64:
        return value
    return check.real_array(name, value)


#: τ (dampening) may be 1; α and the betas must stay below 1 (a weight of 1 never forgets).
_DAMPENING = check.Interval(0, 1, closed="both")
_ALPHA = _BETA = check.Interval(0, 1, closed="left")


def _show_lr(lr) -> str:
    """How ``lr`` appears in ``repr``: a number, a small array, or the schedule's name."""
    if callable(lr):
        return getattr(lr, "__name__", None) or repr(lr)
    if isinstance(lr, np.ndarray):
        return f"<array of shape {lr.shape}, from {float(lr.min())!r} to {float(lr.max())!r}>"
    return repr(lr)


def _shape_text(shape: tuple) -> str:
    return str(tuple(shape))


def _descend(x: np.ndarray, step: np.ndarray, rate=None) -> np.ndarray:
    """x − rate·step, written into ``step`` (a temporary of the current update, of x's shape).

    ``rate`` (1 when omitted) is a number or an array that broadcasts against x without
    changing its shape (the learning rate, checked by ``Optimizer._check_broadcast``).
    """
    if rate is not None:
        step *= rate
    return np.subtract(x, step, out=step)


def _or_zero(state):
    """A state buffer, or 0 before the first step (the zero the update rules start from)."""
    return 0.0 if state is None else state


def _average(previous, beta: float, new: np.ndarray, *, squared: bool = False) -> np.ndarray:
    """The moving average β·previous + (1 − β)·new (of new², when ``squared``), in a new array.

    ``previous`` None counts as 0.  Computed as previous + (1 − β)·(new − previous)
    (PyTorch's ``lerp``), equal up to rounding, in the result's array alone (new² is
    squared into it): at 50 runs × 650 parameters every extra array costs more than
    the arithmetic.
    """
    if previous is None:
        return (1 - beta) * (np.square(new) if squared else new)
    if squared:
        average = np.square(new)
        average -= previous
    else:
        average = np.subtract(new, previous)
    average *= 1 - beta
    average += previous
    return average


def _variance(second_moment: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """v − m², clipped at 0, in one new array: the variance estimate of centered RMSprop.

    In exact arithmetic v − m² ≥ 0; rounding may leave it just below 0, where its
    root would be NaN.
    """
    variance = np.square(mean)
    np.subtract(second_moment, variance, out=variance)
    return np.maximum(variance, 0.0, out=variance)


def _normalised(direction: np.ndarray, second_moment: np.ndarray, eps: float,
                correction: float = 1.0) -> np.ndarray:
    """direction / (√second_moment / correction + ε), coordinate by coordinate, in one new array.

    The step of every adaptive method: Adagrad's g/(√s + ε), RMSprop's g/(√v + ε),
    Adam's m/(√u/√(1 − β₂ᵗ) + ε) (``correction`` = √(1 − β₂ᵗ); 1 elsewhere).
    """
    step = np.sqrt(second_moment)
    if correction != 1.0:
        step /= correction
    step += eps
    return np.divide(direction, step, out=step)


def _with_l2(grad: np.ndarray, x: np.ndarray, weight_decay: float) -> np.ndarray:
    """The gradient of f(x) + ½λ‖x‖²: grad + λ·x (``grad`` itself when λ = 0)."""
    if weight_decay == 0:
        return grad
    g = weight_decay * x
    g += grad
    return g


# ---------------------------------------------------------------------------
# The common base class
# ---------------------------------------------------------------------------

class Optimizer:
    """Common machinery of the optimizers: learning rate, step count, state, checks.

    Subclasses implement ``_update(x, grad, lr, t)`` (x and grad have at least
    one dimension), which returns the new parameters and rebinds the state
    attributes listed in ``_state_names``.  It may write into an array only if it
    created that array during the same call (reusing a fresh temporary saves
    allocations on large runs); never into ``x``, ``grad`` or a state array of an
    earlier step.

    Every step rebinds the state attributes to freshly computed arrays instead of
    updating them in place, so an array read from ``opt.exp_avg`` (say) is a
    snapshot that later steps leave alone: ``history.append(opt.exp_avg)`` records
    the history without copying.

    Parameters
    ----------
    {lr}

    Attributes
    ----------
    {common_attributes}
    """

    #: names of the state buffers, in the order ``repr``/``state`` show them
    _state_names: tuple = ()
    #: names of the hyper-parameters after ``lr``, in signature order (for ``repr``)
    _hyperparameter_names: tuple = ()

    def __init__(self, lr):
        self.lr = lr
        self.reset()

    # -- learning rate ------------------------------------------------------

    @property
    def lr(self):
        """The learning rate as given: a float, a read-only float64 array, or a schedule."""
        return self._lr

    @lr.setter
    def lr(self, value):
        value = check.learning_rate("lr", value)
        if isinstance(value, np.ndarray):
            if value.ndim == 0:
                value = float(value)
            else:
                value = value.copy()  # a private copy: later edits to the caller's array don't leak in
                value.setflags(write=False)
        self._lr = value
        self._lr_is_schedule = callable(value)
        self._broadcast_checked = None  # (lr shape, x shape) pair last found compatible

    def _lr_for_step(self, k: int, shape: tuple):
        """The learning rate of the k-th step (k = 0, 1, …), checked against ``x``'s shape."""
        lr = self._lr
        if self._lr_is_schedule:
            lr = self._evaluate_schedule(k)
        if type(lr) is not float and (lr.shape, shape) != self._broadcast_checked:
            self._check_broadcast(lr, shape)
        return lr

    def _evaluate_schedule(self, k: int):
        value = self._lr(k)
        name = f"lr({k})"
        accepted = "a positive finite number (or a NumPy array of them)"
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            number = float(value)
            if not (math.isfinite(number) and number > 0):
                check.fail(name, accepted, value, self._schedule_hint(k))
            return number
        if not isinstance(value, np.ndarray) or not check.is_real(value) or value.size == 0:
            returned = f"the schedule ({_show_lr(self._lr)}) returned it for step {k}"
            if isinstance(value, (list, tuple)):
                returned += "; return np.array(...) of shape (K, 1) for K runs, not a list"
            check.fail(name, accepted, value, returned, error=TypeError)
        array = np.asarray(value, dtype=np.float64)
        good = np.isfinite(array) & (array > 0)
        if not np.all(good):
            bad = array[~good].ravel()[0]
            check.fail(name, accepted, value, self._schedule_hint(k, bad))
        return float(array) if array.ndim == 0 else array

    def _schedule_hint(self, k: int, bad=None) -> str:
        entry = "" if bad is None else f" (first bad entry {bad!r})"
        return (
            f"the schedule ({_show_lr(self._lr)}) returned it for step {k}{entry}, "
            f"i.e. for call number {k + 1} of step(); a step with lr ≤ 0 or NaN is never "
            "meaningful: start a warmup above 0 and end a decay at a small positive floor"
        )

    def _check_broadcast(self, lr: np.ndarray, shape: tuple):
        """``lr`` must broadcast against ``x`` without changing its shape, unambiguously.

        A 1-D ``lr`` of n rates with ``x`` of shape (n, n) — K runs of dimension d
        with K == d — is refused: it broadcasts as per-coordinate rates (the same n
        rates in every run), while n rates for n runs is the likelier intent.  Either
        reading has a shape that cannot be confused: (K, 1) or (1, d).
        """
        try:
            combined = np.broadcast_shapes(lr.shape, shape)
        except ValueError:
            combined = None
        accepted = (f"an array that broadcasts against x of shape {_shape_text(shape)} "
                    "without changing that shape")
        runs_hint = ("for K runs at once pass lr of shape (K, 1) (e.g. lrs.reshape(-1, 1)) "
                     "and x of shape (K, d) (e.g. np.tile(x0, (K, 1)))")
        if combined != tuple(shape):
            check.fail("lr", accepted, check.Described(f"shape {_shape_text(lr.shape)}"), runs_hint)
        if lr.ndim == 1 and len(shape) >= 2 and shape[-2] == shape[-1] == lr.shape[0]:
            check.fail(
                "lr", accepted + ", and not a 1-D array when x has as many rows as columns "
                "(one rate per run and one rate per coordinate would look the same)",
                check.Described(f"shape {_shape_text(lr.shape)}"),
                runs_hint + "; for per-coordinate rates shared by every run pass lr of shape (1, d)",
            )
        self._broadcast_checked = (lr.shape, tuple(shape))

    # -- state ----------------------------------------------------------------

    def reset(self):
        """Forget all state: the next ``step`` is step 1 of a new run (hyper-parameters are kept)."""
        self.step_count = 0
        self.last_lr = None
        self._shape = None
        for name in self._state_names:
            setattr(self, name, None)

    @property
    def state(self) -> dict:
        """``{"step": step_count, <buffer name>: array or None, ...}`` (PyTorch's names)."""
        out = {"step": self.step_count}
        out.update((name, getattr(self, name)) for name in self._state_names)
        return out

    # -- the step ---------------------------------------------------------------

    def step(self, x, grad):
        """Take one step from ``x`` along the gradient ``grad``; return the new parameters.

        Parameters
        ----------
        x : array_like
            The current parameters, any shape (for K runs, shape (K, d)).
        grad : array_like
            The gradient of the objective at ``x``, same shape as ``x``.

        Returns
        -------
        ndarray
            The parameters after the step, a new float64 array.  ``x`` and
            ``grad`` are not modified.

        Raises
        ------
        TypeError
            If ``x`` or ``grad`` is not a array of real numbers.
        ValueError
            If ``grad``'s shape differs from ``x``'s, if ``x``'s shape differs from
            the one this run started with (call ``reset()`` to start a new run),
            if an array ``lr`` does not broadcast against ``x``, or if a schedule
            returns a learning rate that is not positive and finite.
        """
        x = _as_float_array("x", x)
        grad = _as_float_array("grad", grad)
        if grad.shape != x.shape:
            check.same_shape("grad", grad, "x", x)
        if self._shape is not None and x.shape != self._shape:
            check.fail(
                "x",
                f"an array of shape {_shape_text(self._shape)}, the shape this run's state was built for",
                check.Described(f"shape {_shape_text(x.shape)}"),
                "call opt.reset() before starting a run on parameters of another shape",
            )
        lr = self._lr_for_step(self.step_count, x.shape)
        shape = x.shape
        if not shape:  # a scalar: update a 1-element array (its state has shape (1,))
            x, grad = x.reshape(1), grad.reshape(1)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows; train reports it
            x_next = self._update(x, grad, lr, self.step_count + 1)
        self.step_count += 1
        self.last_lr = lr
        self._shape = shape
        return x_next.reshape(shape) if not shape else x_next

    def _update(self, x: np.ndarray, grad: np.ndarray, lr, t: int) -> np.ndarray:
        """Step number ``t`` (1, 2, …) with learning rate ``lr``; rebinds the state."""
        raise NotImplementedError

    # -- display ------------------------------------------------------------------

    def __repr__(self) -> str:
        parts = [f"lr={_show_lr(self._lr)}"]
        parts += [f"{name}={getattr(self, name)!r}" for name in self._hyperparameter_names]
        return f"{type(self).__name__}({', '.join(parts)})"


def _validated_weight_decay(value) -> float:
    return check.nonnegative("weight_decay", value)


# ---------------------------------------------------------------------------
# SGD
# ---------------------------------------------------------------------------

@_with_shared_docs
class SGD(Optimizer):
    """Stochastic gradient descent, with optional heavy-ball or Nesterov momentum.

    Update rule (step t = 1, 2, …; g_t is the ``grad`` passed to step t)::

        g   ← g_t + λ·x_{t−1}                          (when weight_decay > 0)
        b_t ← g                                        at t = 1    ┐ when
        b_t ← μ·b_{t−1} + (1 − τ)·g                    at t > 1    ┘ momentum > 0
        d   ← g + μ·b_t  (nesterov)  |  b_t  (momentum > 0)  |  g  (momentum = 0)
        x_t ← x_{t−1} − η_t·d

    Legend: η_t ``lr``, μ ``momentum``, τ ``dampening``, λ ``weight_decay``,
    b ``momentum_buffer``.

    Parameters
    ----------
    {lr}
    momentum : float
        μ ≥ 0, the momentum factor.  0 (the default) is plain gradient descent.
    dampening : float
        τ in [0, 1]: the new gradient enters the buffer with weight (1 − τ).  Not
        applied at the first step, where the buffer is set to the gradient itself.
    {weight_decay}
    nesterov : bool
        Use Nesterov momentum.  Requires momentum > 0 and dampening = 0.

    Attributes
    ----------
    {common_attributes}
    momentum_buffer : ndarray or None
        b_t; None before the first step, and always None when momentum = 0.

    Notes
    -----
    **Conventions elsewhere: two ways to write momentum.**  PyTorch (and this
    class) accumulates gradients and applies the learning rate when stepping::

        b ← μ·b + g,      x ← x − η·b                  (PyTorch)

    Sutskever et al. (2013) and many textbooks fold the learning rate into a
    velocity instead::

        v ← μ·v − η·g,    x ← x + v                    (Sutskever)

    With a constant η the two are the same algorithm (v = −η·b) and give identical
    iterates.  Under a schedule they differ: PyTorch multiplies the *whole* buffer,
    old gradients included, by the current η_t, while Sutskever's velocity keeps
    each gradient scaled by the rate of the step it arrived in.  So a sudden
    drop of η takes effect at once in PyTorch and only gradually in Sutskever's
    form.

    **The first step.**  The buffer starts at the first gradient, b_1 = g_1 (as if
    b_0 = 0 with no dampening), so dampening only acts from step 2 on.

    **Nesterov.**  PyTorch evaluates the gradient at the current point and takes
    d = g + μ·b_t.  For a constant rate this is Sutskever et al.'s form of
    Nesterov's method (gradient taken at the look-ahead point θ + μ·v) written in
    the variable x = θ + μ·v: the two produce the same sequence of look-ahead
    points.  Heavy-ball momentum is due to
    Polyak (1964).

    References
    ----------
    Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration
    methods. USSR Computational Mathematics and Mathematical Physics 4(5), 1–17.

    Nesterov, Y. (1983). A method for solving the convex programming problem with
    convergence rate O(1/k²). Soviet Mathematics Doklady 27, 372–376.

    Sutskever, I., Martens, J., Dahl, G., & Hinton, G. (2013). On the importance of
    initialization and momentum in deep learning. ICML 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from lrcourse.optim import SGD
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> x = np.array([1.0, -2.0])
    >>> x = opt.step(x, grad=2 * x)          # f(x) = ‖x‖², b_1 = g_1
    >>> x
    array([ 0.8, -1.6])
    >>> opt.momentum_buffer
    array([ 2., -4.])
    """

    _state_names = ("momentum_buffer",)
    _hyperparameter_names = ("momentum", "dampening", "weight_decay", "nesterov")

    def __init__(self, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        self.momentum = check.nonnegative("momentum", momentum)
        self.dampening = _DAMPENING("dampening", dampening)
        self.weight_decay = _validated_weight_decay(weight_decay)
        self.nesterov = check.boolean("nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            check.fail(
                "momentum", "> 0 when nesterov=True", momentum,
                "Nesterov momentum needs a momentum factor: pass e.g. momentum=0.9, or nesterov=False",
            )
        if self.nesterov and self.dampening != 0:
            check.fail(
                "dampening", "0 when nesterov=True", dampening,
                "Nesterov momentum is defined without dampening: pass dampening=0, or nesterov=False",
            )
        super().__init__(lr)

    def _update(self, x, grad, lr, t):
        g = _with_l2(grad, x, self.weight_decay)
        mu = self.momentum
        if mu == 0:
            return _descend(x, lr * g)
        previous = self.momentum_buffer
        if previous is None:
            buffer = g.copy() if g is grad else g  # private: never alias the caller's grad
        else:
            buffer = mu * previous
            buffer += g if self.dampening == 0 else (1 - self.dampening) * g
        self.momentum_buffer = buffer
        if self.nesterov:
            step = mu * buffer
            step += g
            step *= lr
        else:
            step = lr * buffer
        return _descend(x, step)


# ---------------------------------------------------------------------------
# Adagrad
# ---------------------------------------------------------------------------

@_with_shared_docs
class Adagrad(Optimizer):
    """Adagrad: each coordinate's step shrinks with its accumulated squared gradients.

    Update rule (step t = 1, 2, …; g_t is the ``grad`` passed to step t; squares,
    roots and divisions act coordinate by coordinate)::

        g   ← g_t + λ·x_{t−1}                          (when weight_decay > 0)
        s_t ← s_{t−1} + g²,        s_0 = s₀ (every coordinate)
        η̃_t ← η_t / (1 + (t − 1)·δ)
        x_t ← x_{t−1} − η̃_t · g / (√s_t + ε)

    Legend: η_t ``lr``, δ ``lr_decay``, s₀ ``initial_accumulator_value``,
    λ ``weight_decay``, ε ``eps``, s ``sum``.

    Parameters
    ----------
    {lr}
    lr_decay : float
        δ ≥ 0: an inverse-time decay of the rate, applied on top of ``lr`` (and of a
        schedule, if ``lr`` is one).  Step 1 uses η_1 unchanged.
    {weight_decay}
    initial_accumulator_value : float
        s₀ ≥ 0, the starting value of the accumulator.
    {eps}

    Attributes
    ----------
    {common_attributes}
    sum : ndarray or None
        s_t, the running sum of squared gradients; None before the first step.

    Notes
    -----
    Since s_t only grows, the effective rate η/√s_t of every coordinate decays
    roughly like 1/√t even on a constant gradient: Adagrad stalls on long runs,
    the problem RMSprop and Adam address.  Coordinates with rare (sparse)
    gradients keep large steps.

    **Conventions elsewhere.**  Duchi et al. and PyTorch add ε (δ in the paper)
    outside the root, g/(√s + ε).  Keras adds it inside, g/√(s + ε), and
    defaults to s₀ = 0.1 and ε = 1e-7 where PyTorch has s₀ = 0 and ε = 1e-10; with
    s₀ = 0 the first step of PyTorch's Adagrad moves every coordinate with a
    nonzero gradient by almost exactly η (g/|g| = ±1).

    References
    ----------
    Duchi, J., Hazan, E., & Singer, Y. (2011). Adaptive subgradient methods for
    online learning and stochastic optimization. Journal of Machine Learning
    Research 12, 2121–2159.
    """

    _state_names = ("sum",)
    _hyperparameter_names = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
        self.lr_decay = check.nonnegative("lr_decay", lr_decay)
        self.weight_decay = _validated_weight_decay(weight_decay)
        self.initial_accumulator_value = check.nonnegative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.eps = check.positive("eps", eps)
        super().__init__(lr)

    def _update(self, x, grad, lr, t):
        g = _with_l2(grad, x, self.weight_decay)
        s = g**2                                                 # s_t ← s_{t−1} + g²
        s += self.initial_accumulator_value if self.sum is None else self.sum
        decayed_lr = lr / (1 + (t - 1) * self.lr_decay)         # η̃_t ← η_t / (1 + (t − 1)·δ)
        self.sum = s
        return _descend(x, _normalised(g, s, self.eps), rate=decayed_lr)  # x − η̃_t·g/(√s_t + ε)


# ---------------------------------------------------------------------------
# RMSprop
# ---------------------------------------------------------------------------

@_with_shared_docs
class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a moving root-mean-square of recent gradients.

    Update rule (step t = 1, 2, …; g_t is the ``grad`` passed to step t; squares,
    roots and divisions act coordinate by coordinate)::

        g   ← g_t + λ·x_{t−1}                          (when weight_decay > 0)
        v_t ← α·v_{t−1} + (1 − α)·g²                   v_0 = 0
        m_t ← α·m_{t−1} + (1 − α)·g                    m_0 = 0   (centered only)
        r   ← √(v_t − m_t²) + ε   (centered)   |   √v_t + ε
        b_t ← μ·b_{t−1} + g / r                        b_0 = 0   (momentum > 0)
        x_t ← x_{t−1} − η_t·b_t   (momentum > 0)   |   x_{t−1} − η_t·g / r

    Legend: η_t ``lr``, α ``alpha``, ε ``eps``, λ ``weight_decay``, μ ``momentum``;
    v ``square_avg``, m ``grad_avg``, b ``momentum_buffer``.

    Parameters
    ----------
    {lr}
    alpha : float
        α in [0, 1), the decay of the moving averages (window ≈ 1/(1 − α) steps).
    {eps}
    {weight_decay}
    momentum : float
        μ ≥ 0, momentum applied to the normalised step g/r.
    centered : bool
        Normalise by an estimate of the gradient's variance, v_t − m_t², instead
        of its uncentered second moment v_t (Graves 2013).

    Attributes
    ----------
    {common_attributes}
    square_avg : ndarray or None
        v_t; None before the first step.
    grad_avg : ndarray or None
        m_t; None before the first step and when centered=False.
    momentum_buffer : ndarray or None
        b_t; None before the first step and when momentum = 0.

    Notes
    -----
    The moving averages start at 0 and are not bias-corrected (unlike Adam), so
    the first steps are larger than later ones: at t = 1 the step is
    η·g/(√(1 − α)·|g| + ε) ≈ 10·η per coordinate with α = 0.99.  Unlike SGD's,
    this momentum buffer starts at 0, not at the first normalised gradient.

    In exact arithmetic v_t − m_t² ≥ 0; a rounding error that makes it negative
    is clipped to 0 before the root, where PyTorch would produce NaN.

    **Conventions elsewhere.**  Hinton's lecture and Keras use α = 0.9 (Keras
    calls it ``rho``), PyTorch 0.99.  Keras/TensorFlow put ε inside the root,
    g/√(v + ε), and fold the rate into the momentum buffer (b ← μ·b + η·g/r,
    x ← x − b), which is the same as PyTorch's for a constant rate but not under
    a schedule (see SGD's notes).

    References
    ----------
    Tieleman, T., & Hinton, G. (2012). Lecture 6.5 — RMSprop: divide the gradient
    by a running average of its recent magnitude. COURSERA: Neural Networks for
    Machine Learning.

    Graves, A. (2013). Generating sequences with recurrent neural networks.
    arXiv:1308.0850 (the centered variant).
    """

    _state_names = ("square_avg", "grad_avg", "momentum_buffer")
    _hyperparameter_names = ("alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
        self.alpha = _ALPHA("alpha", alpha)
        self.eps = check.positive("eps", eps)
        self.weight_decay = _validated_weight_decay(weight_decay)
        self.momentum = check.nonnegative("momentum", momentum)
        self.centered = check.boolean("centered", centered)
        super().__init__(lr)

    def _update(self, x, grad, lr, t):
        g = _with_l2(grad, x, self.weight_decay)
        alpha, mu = self.alpha, self.momentum
        v = _average(self.square_avg, alpha, g, squared=True)  # v_t ← α·v_{t−1} + (1 − α)·g²
        self.square_avg = v
        second_moment = v
        if self.centered:
            m = _average(self.grad_avg, alpha, g)              # m_t ← α·m_{t−1} + (1 − α)·g
            self.grad_avg = m
            second_moment = _variance(v, m)                    # r = √(v_t − m_t²) + ε
        normalised = _normalised(g, second_moment, self.eps)  # g / r
        if mu == 0:
            return _descend(x, normalised, rate=lr)            # x_t ← x_{t−1} − η_t·g/r
        b = normalised                                         # b_t ← μ·b_{t−1} + g/r
        if self.momentum_buffer is not None:
            b += mu * self.momentum_buffer
        self.momentum_buffer = b
        return x - lr * b                                      # x_t ← x_{t−1} − η_t·b_t


# ---------------------------------------------------------------------------
# Adam and AdamW
# ---------------------------------------------------------------------------

def _validated_betas(betas) -> tuple:
    accepted = "a pair (beta1, beta2) of numbers in [0, 1)"
    if isinstance(betas, np.ndarray):
        betas = betas.tolist()
    if not isinstance(betas, (tuple, list)):
        check.fail("betas", accepted, betas, error=TypeError)
    if len(betas) != 2:
        check.fail("betas", accepted, betas)
    return (
        _BETA("betas[0]", betas[0]),
        _BETA("betas[1]", betas[1]),
    )


@_with_shared_docs
class Adam(Optimizer):
    """Adam: momentum on the gradient, divided by a moving RMS, both bias-corrected.

    Update rule (step t = 1, 2, …; g_t is the ``grad`` passed to step t; squares,
    roots, max and divisions act coordinate by coordinate)::

        g     ← g_t + λ·x_{t−1}                        (when weight_decay > 0)
        m_t   ← β₁·m_{t−1} + (1 − β₁)·g                m_0 = 0
        v_t   ← β₂·v_{t−1} + (1 − β₂)·g²               v_0 = 0
        u_t   ← max(u_{t−1}, v_t)  (amsgrad, u_0 = 0)  |  v_t
        x_t   ← x_{t−1} − η_t/(1 − β₁ᵗ) · m_t / (√u_t / √(1 − β₂ᵗ) + ε)

    That is x_t = x_{t−1} − η_t·m̂_t/(√v̂_t + ε) with the bias-corrected moments
    m̂_t = m_t/(1 − β₁ᵗ) and v̂_t = v_t/(1 − β₂ᵗ): ε is added *after* the bias
    correction, outside the root.

    Legend: η_t ``lr``, (β₁, β₂) ``betas``, ε ``eps``, λ ``weight_decay``;
    m ``exp_avg``, v ``exp_avg_sq``, u ``max_exp_avg_sq``.

    Parameters
    ----------
    {lr}
    betas : (float, float)
        (β₁, β₂), each in [0, 1): the decays of the moving averages of the gradient
        and of its square (windows ≈ 10 and ≈ 1000 steps with the defaults).
    {eps}
    {weight_decay}
    amsgrad : bool
        Divide by the running maximum u_t of v_t instead of v_t, so the
        per-coordinate step size never grows (Reddi et al. 2018).

    Attributes
    ----------
    {common_attributes}
    exp_avg : ndarray or None
        m_t; None before the first step.
    exp_avg_sq : ndarray or None
        v_t; None before the first step.
    max_exp_avg_sq : ndarray or None
        u_t; None before the first step and when amsgrad=False.

    Notes
    -----
    The bias corrections undo the zero start of m and v.  Without them the step
    would carry the extra factor (1 − β₁ᵗ)/√(1 − β₂ᵗ), which is
    (1 − β₁)/√(1 − β₂) ≈ 3.2 at t = 1 with the defaults, peaks at ≈ 6.6 at
    t = 12 and is back within 5% of 1 only after ≈ 2400 steps: the early steps
    would be several times too large.  With them the first step moves every coordinate
    with a nonzero gradient by almost exactly η (m̂ = g, √v̂ = |g|), whatever the
    gradient's scale: Adam's η reads as a rough bound on how far a coordinate
    moves per step (Kingma & Ba's "trust region" reading of the step size).

    ``weight_decay`` here is an L2 penalty coupled to the gradient: λ·x is then
    divided by √v̂ like the rest of the gradient, so coordinates with large
    gradients are barely regularised.  Loshchilov & Hutter (2019) show that this
    is not weight decay; use AdamW for the decoupled form.

    **Conventions elsewhere.**  PyTorch and optax follow Algorithm 1 of Kingma &
    Ba: ε after bias correction, outside the root.  TensorFlow/Keras use the
    paper's "efficient" form, x ← x − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε̂), with ε̂
    added *before* the bias correction, and default ε̂ = 1e-7.  A constant ε̂
    there equals a PyTorch ε of ε̂/√(1 − β₂ᵗ), which changes with t (≈ 32·ε̂ at
    t = 1 with β₂ = 0.999, tending to ε̂), so the two differ most in early steps.  optax's ``eps_root``
    adds a second ε inside the root (√(v̂ + ε_root)).  For amsgrad, PyTorch
    takes the maximum of the raw v_t and bias-corrects the maximum with the
    current t; optax takes the maximum of the bias-corrected v̂_t; Reddi et al.'s
    AMSGrad has no bias correction at all.

    References
    ----------
    Kingma, D. P., & Ba, J. (2015). Adam: a method for stochastic optimization.
    ICLR 2015. arXiv:1412.6980.

    Reddi, S. J., Kale, S., & Kumar, S. (2018). On the convergence of Adam and
    beyond. ICLR 2018 (amsgrad).
    """

    _state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _hyperparameter_names = ("betas", "eps", "weight_decay", "amsgrad")
    #: AdamW sets this: shrink x by (1 − η·λ) instead of adding λ·x to the gradient
    _decoupled_weight_decay = False

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False):
        self.betas = _validated_betas(betas)
        self.eps = check.positive("eps", eps)
        self.weight_decay = _validated_weight_decay(weight_decay)
        self.amsgrad = check.boolean("amsgrad", amsgrad)
        super().__init__(lr)

    def _update(self, x, grad, lr, t):
        beta1, beta2 = self.betas
        if self._decoupled_weight_decay:      # AdamW: x ← x·(1 − η_t·λ) before the step
            x, g = x * (1 - lr * self.weight_decay), grad
        else:                                 # Adam: the L2 term joins the gradient
            g = _with_l2(grad, x, self.weight_decay)
        m = _average(self.exp_avg, beta1, g)                   # m_t ← β₁·m_{t−1} + (1 − β₁)·g
        v = _average(self.exp_avg_sq, beta2, g, squared=True)  # v_t ← β₂·v_{t−1} + (1 − β₂)·g²
        u = np.maximum(_or_zero(self.max_exp_avg_sq), v) if self.amsgrad else v  # u_t
        self.exp_avg, self.exp_avg_sq = m, v
        if self.amsgrad:
            self.max_exp_avg_sq = u
        # x_t ← x_{t−1} − η_t/(1 − β₁ᵗ) · m_t / (√u_t / √(1 − β₂ᵗ) + ε)
        step = _normalised(m, u, self.eps, correction=math.sqrt(1 - beta2**t))
        return _descend(x, step, rate=lr / (1 - beta1**t))


@_with_shared_docs
class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay.

    Update rule (step t = 1, 2, …; g_t is the ``grad`` passed to step t)::

        x'  ← x_{t−1}·(1 − η_t·λ)                      (decoupled weight decay)
        x_t ← Adam's step from x' with g_t, exactly as in Adam with weight_decay=0

    so x_t = (1 − η_t·λ)·x_{t−1} − η_t·m̂_t/(√v̂_t + ε), m and v (and the amsgrad
    maximum u) as in :class:`Adam`, built from g_t alone.

    Legend: η_t ``lr``, λ ``weight_decay``, (β₁, β₂) ``betas``, ε ``eps``;
    m ``exp_avg``, v ``exp_avg_sq``, u ``max_exp_avg_sq``.

    Parameters
    ----------
    {lr}
    betas : (float, float)
        (β₁, β₂), each in [0, 1), as in Adam.
    {eps}
    weight_decay : float
        λ ≥ 0 (default 1e-2): every step multiplies x by (1 − η_t·λ), separately
        from the gradient, so every coordinate decays at the same relative rate
        whatever its gradient history.
    amsgrad : bool
        Use the running maximum of v, as in Adam.

    Attributes
    ----------
    {common_attributes}
    exp_avg, exp_avg_sq, max_exp_avg_sq : ndarray or None
        As in Adam.

    Notes
    -----
    The decay multiplies the *full* learning rate, so changing ``lr`` also changes
    how strongly x is pulled to 0 per step (η·λ), and a schedule on ``lr`` decays
    the weight decay with it.  PyTorch and optax do this.

    **Conventions elsewhere.**  Loshchilov & Hutter's Algorithm 2 multiplies λ
    only by the schedule multiplier η_t, not by the base rate α:
    x ← x − η_t·(α·m̂/(√v̂ + ε) + λ·x).  A paper value λ therefore corresponds to
    PyTorch's weight_decay = λ/α.

    References
    ----------
    Loshchilov, I., & Hutter, F. (2019). Decoupled weight decay regularization.
    ICLR 2019. arXiv:1711.05101.

    Kingma, D. P., & Ba, J. (2015). Adam: a method for stochastic optimization.
    ICLR 2015. arXiv:1412.6980.
    """

    _decoupled_weight_decay = True

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


_with_shared_docs(Optimizer)
