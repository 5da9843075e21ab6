"""How long the explorers of lessons 02, 06 and 07 take to build and to update.

Run:  python benchmarks/bench_explorers.py [--repeats 10]

The measuring helpers are those of ``bench_widgets.py`` (the other explorers).  For
each explorer the script moves its live slider through ``repeats`` values (what
dragging does) and prints the median and slowest update, its CPU time, and a full
redraw; then the controls that update on release (each a new training run):

- noise_floor_explorer: η (live), then B;
- finder_explorer: β (live: re-smooths the cached run), then the seed (a new run);
- generalization_explorer: η, B and T (all select from the sweep trained at build).

The target for a live slider is a median under 100 ms.  Wall time depends on the
load of the machine: the load average is printed too.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from bench_widgets import build, drag, full_redraws, report, start  # noqa: E402
from lrcourse import widgets  # noqa: E402


def main() -> None:
    n = start(__doc__, default_repeats=10)

    cases = [
        ("noise_floor_explorer", widgets.noise_floor_explorer,
         [("lr_slider", np.geomspace(0.02, 0.5, n)), ("batch_size_slider", 2.0 ** np.arange(9)[:n])]),
        ("finder_explorer", widgets.finder_explorer,
         [("beta_slider", np.linspace(0.5, 0.98, n)), ("seed_slider", np.arange(1, 10)[:n])]),
        ("generalization_explorer", widgets.generalization_explorer,
         [("lr_slider", 0.025 * np.sqrt(2.0) ** np.arange(15)[:n]), ("batch_size_slider", [8, 128, 32]),
          ("steps_slider", 25 * np.arange(1, 13)[:n])]),
    ]
    for name, factory, sliders in cases:
        explorer, build_s, build_cpu = build(factory)
        print(f"{name}: build {build_s:.2f} s (CPU {build_cpu:.2f} s)")
        for k, (slider_name, values) in enumerate(sliders):
            updates, cpu = drag(explorer, getattr(explorer, slider_name), values)
            redraws = full_redraws(explorer, 3) if k == 0 else [float("nan")]
            report(f"  {slider_name}", build_s, updates, cpu, redraws)
        print(f"  all updates: median {statistics.median(explorer.update_seconds) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
