"""Objectives to minimise, all with one interface.

Every problem has ``dim``, ``name``, ``loss(x)``, ``grad(x)``, ``loss_and_grad(x)`` and
``init(seed=0)``; ``x`` has shape ``(..., dim)`` and the leading axes are independent
parameter vectors (K rows: K runs, e.g. K learning rates, in one evaluation).

- :class:`Quadratic` — ½(x − c)ᵀH(x − c): every learning-rate fact in closed form.
- :class:`Rosenbrock` — the curved narrow valley.
- :class:`WavyValley` — 1-D, several local minima: the step size picks the valley.
- :class:`SoftmaxRegression`, :class:`MLP` — classifiers on scikit-learn's digits
  (``lrcourse.data.digits()``), with mini-batches and validation metrics.
"""

from ._base import Problem, as_points
from .landscapes import Rosenbrock, WavyValley
from .models import MLP, SoftmaxRegression
from .quadratic import Quadratic

__all__ = ["Problem", "as_points", "Quadratic", "Rosenbrock", "WavyValley", "SoftmaxRegression", "MLP"]
