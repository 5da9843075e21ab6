"""The lessons' live explorers (ipywidgets).

Each explorer computes through the library (:mod:`lrcourse.problems`,
:mod:`lrcourse.optim`, :mod:`lrcourse.train`, :mod:`lrcourse.schedules`) and draws
through :mod:`lrcourse.plots`.  Display one as the last expression of a cell; where
widgets cannot run (a static render of the notebook) the same output shows a PNG of
its current state.

- :func:`lr_explorer` — lesson 01: η on an ill-conditioned quadratic.
- :func:`noise_floor_explorer` — lesson 02: η and the batch size, SGD's noise floor
  against its prediction ησ²/(4B).
- :func:`momentum_explorer` — lesson 03: (η, β), the path, the loss, the rate map.
- :func:`schedule_explorer` — lesson 04: a schedule, its curve, SGD's noise floor.
- :func:`optimizer_comparison` — lesson 05: SGD, momentum, Adagrad, RMSprop, Adam,
  AdamW side by side on a quadratic or Rosenbrock.
- :func:`finder_explorer` — lesson 06: the LR range test on the digits MLP, the
  suggestion rules marked.
- :func:`generalization_explorer` — lesson 07: training vs validation loss against η
  and the batch size.
"""

from ._base import Explorer
from .lr import LrExplorer, lr_explorer
from .momentum import MomentumExplorer, momentum_explorer
from .schedule import ScheduleExplorer, schedule_explorer
from .comparison import OptimizerComparison, optimizer_comparison
from .noise_floor import NoiseFloorExplorer, noise_floor_explorer
from .finder import FinderExplorer, finder_explorer
from .generalization import GeneralizationExplorer, generalization_explorer

__all__ = ["Explorer", "LrExplorer", "lr_explorer", "MomentumExplorer", "momentum_explorer",
           "ScheduleExplorer", "schedule_explorer", "OptimizerComparison", "optimizer_comparison",
           "NoiseFloorExplorer", "noise_floor_explorer", "FinderExplorer", "finder_explorer",
           "GeneralizationExplorer", "generalization_explorer"]
