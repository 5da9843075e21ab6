"""A problem whose loss is a constant multiple of another's (exercise 07's capstone).

:class:`ScaledLoss` wraps a problem and multiplies its loss by a factor c > 0:

    L_c(x) = c·L(x),   ∇L_c(x) = c·∇L(x),   ∇²L_c(x) = c·∇²L(x).

The minimisers, the model and every prediction are those of the wrapped problem; only
the loss's *units* change — as when a loss is summed over a batch instead of averaged
(c = the batch size) or weighted by a constant.  The curvature scales with c, so the
rates at which gradient descent is stable and fast scale with 1/c (lesson 01: stable
for η < 2/λ_max).  SGD with or without momentum at rate η on L_c takes exactly the
steps SGD at rate c·η takes on L (its update is linear in the gradient); adaptive
methods (Adagrad, RMSprop, Adam) divide the gradient by a running scale of itself and
hardly notice c (lesson 05).

The validation accuracy is the wrapped problem's; the validation loss is multiplied by
c like the training loss.  Neither the name, nor ``repr``/``str``, nor a public attribute
gives c away: a plan measures it (from the loss or the gradient, as lesson 06's range test
does).

A ScaledLoss also notes how it is used — how many times its loss or gradient was
evaluated, and whether the points it was evaluated at moved along the gradient it had
just returned (plain gradient descent) or not (momentum) — so that exercise 07's check
can tell which measurement a plan ran (:meth:`usage`).  Kept outside
:mod:`lrcourse.grading` so that it pickles into
the grading sandbox.
"""

from __future__ import annotations

import numpy as np

from lrcourse import _validation as check

__all__ = ["ScaledLoss"]


class ScaledLoss:
    """``problem`` with its loss (training and validation) multiplied by ``factor``.

    Parameters
    ----------
    problem : a problem with ``dim``, ``loss``, ``grad`` and ``init`` (for the capstone,
        an :class:`lrcourse.problems.MLP`); ``loss_and_grad``, ``val_loss``,
        ``accuracy``, ``batches`` and ``steps_per_epoch`` are passed through when the
        problem has them (``train.run`` and ``tune`` use them).
    factor : float > 0, finite
        The constant c.

    Examples
    --------
    >>> from lrcourse.problems import MLP
    >>> mlp = MLP(hidden=8)
    >>> x = mlp.init(seed=0)
    >>> bool(np.isclose(ScaledLoss(mlp, 10.0).loss(x), 10 * mlp.loss(x)))
    True
    """

    def __init__(self, problem, factor):
        for method in ("loss", "grad", "init"):
            if not callable(getattr(problem, method, None)):
                check.fail("problem", "a problem with loss, grad and init", problem, error=TypeError)
        self.problem = problem
        self.__factor = check.positive("factor", factor)
        self.dim = problem.dim
        self.name = f"{getattr(problem, 'name', type(problem).__name__)} (loss scaled)"
        self._evaluations = 0
        self._steps = {"along": 0, "off": 0}
        self._last = None
        self._previous_move, self._previous_b, self._momenta = None, None, []

    def _momentum_of_step(self, move: np.ndarray) -> None:
        """Estimate the momentum of the step that just moved the parameters by ``move``.

        SGD with momentum μ (PyTorch's form, v_t = μ·v_{t−1} + g_t, x_{t+1} = x_t − η_t·v_t)
        moves by m_{t+1} = (μ·η_t/η_{t−1})·m_t − η_t·g_t: row by row, the move is *exactly*
        a combination a·m_t + b·g_t of the previous move and the gradient returned at x_t, with
        b = −η_t.  Solving for (a, b) by least squares, and keeping the steps where the fit is
        exact (a plan's other evaluations are not steps), gives μ = a·b_{t−1}/b_t from two
        successive steps."""
        previous, grad = self._previous_move, self._last[1]
        self._previous_move = move
        if previous is None or grad is None or previous.shape != move.shape:
            self._previous_b = None
            return
        g = np.asarray(grad, dtype=float).reshape(move.shape)
        with np.errstate(all="ignore"):
            mm, mg, gg = (np.sum(previous * previous, axis=1), np.sum(previous * g, axis=1),
                          np.sum(g * g, axis=1))
            ym, yg = np.sum(move * previous, axis=1), np.sum(move * g, axis=1)
            det = mm * gg - mg * mg
            a = (ym * gg - yg * mg) / det
            b = (yg * mm - ym * mg) / det
            a = np.where(mm > 0, a, 0.0)
            b = np.where(mm > 0, b, yg / gg)
            residual = move - a[:, None] * previous - b[:, None] * g
            exact = (np.linalg.norm(residual, axis=1) <= 1e-6 * np.linalg.norm(move, axis=1)) & (b < 0)
        before, self._previous_b = self._previous_b, np.where(exact, b, np.nan)
        if before is not None and before.shape == b.shape:
            with np.errstate(all="ignore"):
                mu = a * before / b
            mu = mu[exact & np.isfinite(mu) & (mu >= 0) & (mu < 1)]
            self._momenta.extend(mu.tolist()[:4])

    def _note(self, x, grad) -> None:
        """Count one evaluation at ``x``, and whether ``x`` moved from the previous point along
        the gradient returned there (x − x_prev = −a·g_prev, a > 0, row by row): plain SGD
        steps do; momentum steps (v = μv + g) do not."""
        self._evaluations += 1
        x = np.asarray(x, dtype=float)
        if self._last is not None and self._last[0].shape == x.shape:
            move = (x - self._last[0]).reshape(-1, x.shape[-1]) if x.ndim else None
            g = np.asarray(self._last[1], dtype=float)
            if move is not None and g.shape == self._last[0].shape:
                g = g.reshape(move.shape)
                with np.errstate(all="ignore"):
                    norms = np.linalg.norm(move, axis=1) * np.linalg.norm(g, axis=1)
                    cos = -np.sum(move * g, axis=1) / norms
                moved = np.isfinite(cos)
                if np.any(moved):
                    self._steps["along" if np.all(cos[moved] > 1 - 1e-6) else "off"] += 1
                    self._momentum_of_step(move)
        self._last = (x.copy(), None if grad is None else np.array(grad, dtype=float))

    def usage(self) -> dict:
        """``{"evaluations": n, "steps_along_gradient": k, "steps_off_gradient": m, "momentum": μ}``
        since this object was made: how the loss was used (a range test with momentum moves off
        the gradient; one without moves along it; μ is the median of the momentum estimated
        step by step, :meth:`_momentum_of_step`, None when fewer than 5 steps fit SGD)."""
        return {"evaluations": self._evaluations, "steps_along_gradient": self._steps["along"],
                "steps_off_gradient": self._steps["off"],
                "momentum": float(np.median(self._momenta)) if len(self._momenta) >= 5 else None}

    def loss(self, x, *batch):
        """``factor · problem.loss(x, *batch)``."""
        self._evaluations += 1
        return self.__factor * np.asarray(self.problem.loss(x, *batch))

    def grad(self, x, *batch):
        """``factor · problem.grad(x, *batch)``."""
        grad = self.__factor * np.asarray(self.problem.grad(x, *batch))
        self._note(x, grad)
        return grad

    def loss_and_grad(self, x, *batch):
        """Both at once (one forward pass when the wrapped problem has ``loss_and_grad``)."""
        both = getattr(self.problem, "loss_and_grad", None)
        loss, grad = both(x, *batch) if callable(both) else (self.problem.loss(x, *batch),
                                                            self.problem.grad(x, *batch))
        grad = self.__factor * np.asarray(grad)
        self._note(x, grad)
        return self.__factor * np.asarray(loss), grad

    def val_loss(self, x):
        """``factor · problem.val_loss(x)``."""
        self._evaluations += 1
        return self.__factor * np.asarray(self.problem.val_loss(x))

    def accuracy(self, x, split="val"):
        """The wrapped problem's accuracy: the model is the same."""
        return self.problem.accuracy(x, split)

    def init(self, seed=0):
        """The wrapped problem's start point."""
        return self.problem.init(seed=seed)

    def batches(self, batch_size, seed=0):
        """The wrapped problem's mini-batches."""
        return self.problem.batches(batch_size, seed=seed)

    def steps_per_epoch(self, batch_size):
        """The wrapped problem's batches per epoch."""
        return self.problem.steps_per_epoch(batch_size)

    def __repr__(self) -> str:
        """The wrapped problem, not c: the factor is what a plan must measure."""
        return f"ScaledLoss({self.problem!r}, factor=<hidden>)"
