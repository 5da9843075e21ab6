"""lrcourse: the helper library of an interactive course on the learning rate.

Submodules (each one job):

- ``lrcourse.problems``  — objectives with ``loss(x)`` / ``grad(x)`` over a batch axis
- ``lrcourse.data``      — the digits dataset with a fixed train/validation split
- ``lrcourse.optim``     — SGD, Adagrad, RMSprop, Adam, AdamW (PyTorch's rules)
- ``lrcourse.schedules`` — learning-rate schedules as ``step -> lr`` callables
- ``lrcourse.train``     — the run loop: records, clipping, divergence detection
- ``lrcourse.tune``      — sweeps, grid and random search, the LR finder
- ``lrcourse.plots``     — the course's figures
- ``lrcourse.widgets``   — the lessons' ipywidgets explorers
- ``lrcourse.grading``   — checks with diagnostic feedback for the exercises

These are imported on first use (``lrcourse.optim`` works after ``import lrcourse``),
so ``import lrcourse`` stays fast.  The other modules are imported by name: the
tuning tools (``crossval``, ``bayes_opt``, ``finetune``, ``schedule_experiments``),
the instructor's and learner's tools (``classroom``, ``progress``, ``cli``) and the
notebook files (``notebook_format``, ``notebook_json``, ``workspace``).  The map of
all of them is ``docs/library-design.md``.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "problems", "data", "optim", "schedules", "train", "tune", "plots", "widgets", "grading",
)

__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'lrcourse' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
