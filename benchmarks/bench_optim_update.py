"""Time one optimizer step at the course's sizes: this tree's lrcourse.optim against
other versions of the file (by default the one in git HEAD), side by side.

    .venv/bin/python benchmarks/bench_optim_update.py [--against REV [REV ...]] [--repeats N]

Written for the change that spelled Adam's, AdamW's, RMSprop's and Adagrad's updates
as their docstrings' formulas instead of in-place arithmetic (3c2b909), and for the
one after it that keeps the formulas but builds them from two helpers, a moving
average and a normalised step, that each create one array:

    .venv/bin/python benchmarks/bench_optim_update.py --against 3c2b909^ 3c2b909

compares the in-place form, the first formula form and this tree.  The question is
whether the readable form costs time where the lessons run.  Prints the
median time per step (µs) over ``--repeats`` timings of 200 steps each, for every
version, and the ratio of this tree's to each other's, then whole ``train.run``
timings of the softmax model.  Times are CPU time of this process
(``time.process_time``), so other work on a busy machine disturbs them less than
wall time; the versions are timed interleaved.

At 50 × 650 most of either version's time goes to allocating 260 kB arrays (glibc
maps each from the kernel afresh: with ``MALLOC_MMAP_THRESHOLD_=67108864`` both run
about twice as fast), so the version with more temporaries pays more there.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lrcourse import optim as current  # noqa: E402

#: (label, K runs, dim): one 2-D run, a 50-rate sweep on a quadratic, the softmax
#: model (dim 650) alone and in a 50-rate sweep, the 32-unit MLP (dim 2410).
SIZES = [("1 × 2", 1, 2), ("50 × 2", 50, 2), ("1 × 650", 1, 650), ("50 × 650", 50, 650),
         ("1 × 2410", 1, 2410)]
CONFIGS = [("Adam", {}), ("Adam", {"amsgrad": True, "weight_decay": 1e-3}), ("AdamW", {}),
           ("RMSprop", {}), ("RMSprop", {"centered": True, "momentum": 0.9}), ("Adagrad", {})]
STEPS = 200
#: Whole runs as the lessons make them: (label, problem factory, optimizer, K, steps, batch_size).
RUNS = [("softmax, 50 rates, full batch, 100 steps", "softmax", "Adam", 50, 100, None),
        ("softmax, 12 runs, batch 64, 300 steps", "softmax", "Adam", 12, 300, 64),
        ("softmax, 50 rates, full batch, 100 steps", "softmax", "RMSprop", 50, 100, None),
        ("softmax, 50 rates, full batch, 100 steps", "softmax", "Adagrad", 50, 100, None)]


def load_version(rev: str):
    """lrcourse/optim.py as it is at ``rev``, imported as a separate module."""
    text = subprocess.run(["git", "show", f"{rev}:lrcourse/optim.py"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "optim_other.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("optim_other", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compare(timers: list, repeats: int) -> list:
    """Median of ``repeats`` calls of each timer, the timers called in turn (interleaved)."""
    times = [[] for _ in timers]
    for _ in range(repeats):
        for timer, record in zip(timers, times):
            record.append(timer())
    return [statistics.median(record) for record in times]


def time_per_step(module, name: str, kwargs: dict, K: int, dim: int) -> float:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((K, dim))
    grads = [rng.standard_normal((K, dim)) for _ in range(8)]
    opt = getattr(module, name)(lr=1e-3, **kwargs)
    start = time.process_time()
    for i in range(STEPS):
        x = opt.step(x, grads[i % 8])
    return (time.process_time() - start) / STEPS * 1e6


def time_run(module, name: str, K: int, steps: int, batch_size) -> float:
    """Seconds for one ``train.run`` of the softmax model with K learning rates."""
    from lrcourse.problems import SoftmaxRegression
    from lrcourse.train import run

    problem = SoftmaxRegression()
    lrs = np.geomspace(1e-3, 1e-1, K)[:, None]
    start = time.process_time()
    run(problem, getattr(module, name)(lr=lrs), problem.init(seed=0), steps, batch_size=batch_size)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", nargs="+", default=["HEAD"],
                        help="git revisions of the other versions")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--runs-only", action="store_true", help="only the whole-run timings")
    args = parser.parse_args()
    others = [load_version(rev) for rev in args.against]
    modules = others + [current]
    names = [rev[:9] for rev in args.against] + ["now"]
    ratios = [f"now/{name}" for name in names[:-1]]
    print(f"median µs per step over {args.repeats} × {STEPS} steps; columns: lrcourse/optim.py "
          f"at {', '.join(args.against)}, then this tree ('now')")
    header = "".join(f"{name:>13}" for name in names + ratios)
    print(f"{'optimizer':<42} {'K × dim':>9}{header}")
    for name, kwargs in ([] if args.runs_only else CONFIGS):
        label = name + (f"({', '.join(f'{k}={v}' for k, v in kwargs.items())})" if kwargs else "")
        for size, K, dim in SIZES:
            medians = compare([lambda m=m: time_per_step(m, name, kwargs, K, dim) for m in modules],
                              args.repeats)
            cells = [f"{t:13.1f}" for t in medians] + [f"{medians[-1] / t:13.2f}" for t in medians[:-1]]
            print(f"{label:<42} {size:>9}{''.join(cells)}")
    run_repeats = max(3, args.repeats // 3)
    print(f"\nwhole runs (train.run), median seconds over {run_repeats} runs")
    print(f"{'run':<42} {'optimizer':>9}{header}")
    for label, _, name, K, steps, batch_size in RUNS:
        medians = compare([lambda m=m: time_run(m, name, K, steps, batch_size) for m in modules],
                          run_repeats)
        cells = [f"{t:13.3f}" for t in medians] + [f"{medians[-1] / t:13.2f}" for t in medians[:-1]]
        print(f"{label:<42} {name:>9}{''.join(cells)}")


if __name__ == "__main__":
    main()
