"""Named optimizer settings and problems offered by the explorers' pickers."""

from __future__ import annotations

from lrcourse import optim
from lrcourse.problems import Quadratic, Rosenbrock

__all__ = ["OPTIMIZERS", "make_optimizer", "default_quadratic", "PROBLEMS"]

#: Picker label → (optimizer class, fixed arguments other than lr).  The labels are
#: the ones the course's colours are keyed by (lrcourse.style).
OPTIMIZERS = {
    "GD": (optim.SGD, {}),
    "Momentum": (optim.SGD, {"momentum": 0.9}),
    "Adagrad": (optim.Adagrad, {}),
    "RMSprop": (optim.RMSprop, {}),
    "Adam": (optim.Adam, {}),
    "AdamW": (optim.AdamW, {}),
}

#: What each label means, for tooltips and result lines.
DESCRIPTIONS = {
    "GD": "SGD(lr)  (full-batch gradient descent)",
    "Momentum": "SGD(lr, momentum=0.9)  (heavy ball)",
    "Adagrad": "Adagrad(lr)",
    "RMSprop": "RMSprop(lr, alpha=0.99)",
    "Adam": "Adam(lr, betas=(0.9, 0.999))",
    "AdamW": "AdamW(lr, weight_decay=0.01)",
}


def make_optimizer(name: str, lr):
    """A fresh optimizer for the picker label ``name`` with learning rate ``lr``."""
    cls, kwargs = OPTIMIZERS[name]
    return cls(lr=lr, **kwargs)


def default_quadratic() -> Quadratic:
    """The course's 2-D valley: κ = 10, λ_max = 1 (so 2/λ_max = 2), tilted by 30°."""
    return Quadratic.ill_conditioned_2d(kappa=10.0)


#: Picker label → factory of the 2-D problems the comparison offers.
PROBLEMS = {
    "ill-conditioned quadratic (κ = 10)": default_quadratic,
    "Rosenbrock": Rosenbrock,
}
