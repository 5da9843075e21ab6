"""How long one slider update of each explorer takes (compute + render + PNG encode).

Run:  python benchmarks/bench_widgets.py [--repeats 20]

For each explorer the script moves its learning-rate slider through ``repeats``
values inside one range (what dragging does) and prints the median and the slowest
update, and separately the time of a full redraw (the figure's axes limits change:
after a steps-slider release or a problem switch).  The target is a median well
under 100 ms.  Wall time depends on the machine and on its load, so the script
also prints the CPU time of an update (what it would take on an idle core) and the
load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from lrcourse import widgets  # noqa: E402


def start(doc: str, default_repeats: int) -> int:
    """Read ``--repeats`` from the command line (the script's ``doc`` is its help) and
    print the machine's load average, which wall times depend on; return the repeats."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=default_repeats)
    repeats = parser.parse_args().repeats
    if hasattr(os, "getloadavg"):
        print("load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
              + f" on {os.cpu_count()} CPUs")
    return repeats


def build(factory):
    """``(explorer, wall seconds, CPU seconds)`` of one call of the explorer's ``factory``."""
    start, cpu_start = time.perf_counter(), time.process_time()
    explorer = factory()
    return explorer, time.perf_counter() - start, time.process_time() - cpu_start


def drag(explorer, slider, values) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of one update per value."""
    start = len(explorer.update_seconds)
    cpu = []
    for value in values:
        before = time.process_time()
        slider.value = float(value)
        cpu.append(1e3 * (time.process_time() - before))
    return [1e3 * s for s in explorer.update_seconds[start:]], cpu


def full_redraws(explorer, count: int) -> list[float]:
    times = []
    for _ in range(count):
        explorer._invalidate()
        explorer.update()
        times.append(1e3 * explorer.update_seconds[-1])
    return times


def report(name: str, build_s: float, updates: list[float], cpu: list[float], redraws: list[float]) -> None:
    print(f"{name:<22} build {build_s:5.2f} s   update median {statistics.median(updates):6.1f} ms"
          f" (CPU {statistics.median(cpu):5.1f} ms)   max {max(updates):6.1f} ms"
          f"   full redraw median {statistics.median(redraws):6.1f} ms")


def main() -> None:
    n = start(__doc__, default_repeats=20)

    cases = [
        ("lr_explorer", widgets.lr_explorer, "lr_slider", np.geomspace(0.5, 1.9, n)),
        ("momentum_explorer", widgets.momentum_explorer, "lr_slider", np.geomspace(0.5, 2.0, n)),
        ("schedule_explorer", widgets.schedule_explorer, "lr_slider", np.geomspace(0.2, 0.8, n)),
        ("optimizer_comparison", widgets.optimizer_comparison, None, np.geomspace(0.02, 0.3, n)),
    ]
    for name, factory, slider_name, values in cases:
        explorer, build_s, _ = build(factory)
        slider = getattr(explorer, slider_name) if slider_name else explorer.lr_sliders["Adam"]
        updates, cpu = drag(explorer, slider, values)
        redraws = full_redraws(explorer, 3)
        report(name, build_s, updates, cpu, redraws)


if __name__ == "__main__":
    main()
