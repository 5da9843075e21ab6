"""What every problem shares: the interface and the check of the parameter array ``x``.

A *problem* is an objective to minimise.  It exposes

- ``dim``      the number of parameters,
- ``name``     a short title for plots,
- ``loss(x)``  x of shape ``(..., dim)`` -> losses of shape ``(...)``,
- ``grad(x)``  x of shape ``(..., dim)`` -> gradients of shape ``(..., dim)``,
- ``loss_and_grad(x)``  both at once (one forward pass where that saves work),
- ``init(seed=0)``  a sensible starting point of shape ``(dim,)``.

The leading axes of ``x`` are a batch of independent parameter vectors: ``K`` rows
give ``K`` losses from one vectorised evaluation, so a sweep over ``K`` learning
rates is one run.  Problems never modify ``x``.
"""

from __future__ import annotations

import numpy as np

from .. import _validation as check

__all__ = ["Problem", "as_points", "readonly"]


def as_points(x, dim: int, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float64 array of shape ``(..., dim)``, or raise naming ``name``.

    The array is not copied when it already is float64; callers must not write to it.
    Non-finite entries are allowed (a diverging run produces them; divergence is
    reported by :mod:`lrcourse.train`, not raised here).
    """
    if type(dim) is not int or dim < 1:  # checked, but not paid for on every call of loss/grad
        dim = check.positive_int("dim", dim)
    if type(name) is not str:
        check.text("name", name)
    points = check.real_array(name, x)
    if points.ndim == 0 or points.shape[-1] != dim:
        hint = (
            "for this 1-D problem pass points as x[..., None], e.g. shape (200, 1) for 200 points"
            if dim == 1
            else f"a single point has shape ({dim},); K points at once have shape (K, {dim})"
        )
        check.fail(
            name,
            f"an array of shape (..., {dim}) (last axis: the {dim} parameters)",
            check.Described(f"shape {points.shape}"),
            hint,
        )
    return points


def readonly(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only (shared internal arrays handed out by properties) and return it."""
    array.setflags(write=False)
    return array


class Problem:
    """Base class: the shared interface of all problems (see the module docstring).

    Subclasses set ``dim`` and ``name`` and implement ``loss``, ``grad`` and ``init``.
    ``loss_and_grad`` defaults to calling both; problems whose loss and gradient share
    a costly forward pass override it.
    """

    dim: int
    name: str

    def loss(self, x) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def grad(self, x) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def init(self, seed: int = 0) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def loss_and_grad(self, x):
        """``(loss(x), grad(x))``."""
        return self.loss(x), self.grad(x)

    def _points(self, x) -> np.ndarray:
        return as_points(x, self.dim)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.name}, dim={self.dim}>"
