"""Time torch.optim's SGD and Adam on the CPU: the optimizer step alone, and whole training steps.

Lesson 05's claim check "adaptive methods cost more per step" times the course's own
NumPy optimizers inside the notebook.  Those allocate a temporary array for every
operation, so they say little about what a learner pays in PyTorch.  This script
measures torch.optim itself, in three implementations where the build offers them:

- ``for-loop``: ``foreach=False``, one small kernel per operation per tensor;
- ``foreach``: ``foreach=True``, each operation applied to the list of tensors at once
  (PyTorch's default when it can use it);
- ``fused``: ``fused=True``, the whole update in one kernel per tensor (reported as
  "n/a" when this build refuses it on the CPU).

Two tables are printed, in Markdown:

1. **Optimizer step only**: ``opt.step()`` with fixed gradients already in ``p.grad``,
   for parameter sets shaped like the course's models (softmax regression: 64×10 + 10;
   the MLP: 64×32 + 32 + 32×10 + 10) and larger ones (10⁵, 10⁶, 10⁷ numbers in 10
   tensors; 10⁶ in 200 tensors, where per-tensor overhead dominates).  SGD without
   momentum, SGD with momentum 0.9, and Adam.
2. **Whole training step** (``zero_grad``, forward, cross-entropy, backward, ``step``)
   for the MLP of the course (64-32-10, batch 32) and a wider one (784-1024-1024-10,
   batch 128): SGD and Adam with their default implementation (on the CPU, the
   for-loop), and Adam fused.

Every time is the fastest of ``--repeats`` rounds, each the mean over enough calls to
last about ``--seconds`` seconds; within a round the variants take turns, so load from
other processes falls on all of them.  Times depend on the machine and on its load;
compare the ratios within one run.  torch is not a dependency of the course: run this
in a separate environment, e.g.::

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch numpy
    /tmp/torchvenv/bin/python benchmarks/bench_torch_optim.py --threads 1

Lesson 05 quotes, in full, one run of ``--threads 1 --repeats 12 --seconds 0.1`` (torch
2.13.0, CPU build) on the course's 2-core machine, an Intel Xeon virtual machine that was
shared with other jobs at the time (load average about 6); under such load single
numbers move by tens of per cent from run to run, so only the ranges are meaningful.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

SHAPES = {
    "softmax regression (650)": [(64, 10), (10,)],
    "MLP 64-32-10 (2,410)": [(64, 32), (32,), (32, 10), (10,)],
    "10⁵ in 10 tensors": [(10_000,)] * 10,
    "10⁶ in 10 tensors": [(100_000,)] * 10,
    "10⁶ in 200 tensors": [(5_000,)] * 200,
    "10⁷ in 10 tensors": [(1_000_000,)] * 10,
}
OPTIMIZERS = {
    "SGD": (torch.optim.SGD, {"lr": 1e-3}),
    "SGD momentum 0.9": (torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    "Adam": (torch.optim.Adam, {"lr": 1e-3}),
}
IMPLEMENTATIONS = {"for-loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def calls_for(function, seconds: float) -> int:
    """How many calls of ``function`` last about ``seconds`` (after one warm-up call)."""
    function()                                            # warm up: allocate state, pick kernels
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds / 4:
        function()
        calls += 1
    return max(1, round(calls * seconds / (time.perf_counter() - start)))


def fastest_per_call(functions: dict, seconds: float, repeats: int) -> dict:
    """Seconds per call of each function: the minimum over ``repeats`` rounds.

    The functions take turns within every round, so a burst of load from other
    processes slows all of them alike instead of one; the minimum over rounds is the
    time least disturbed by that load.
    """
    numbers = {key: calls_for(function, seconds) for key, function in functions.items()}
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeats):
        for key, function in functions.items():
            start = time.perf_counter()
            for _ in range(numbers[key]):
                function()
            best[key] = min(best[key], (time.perf_counter() - start) / numbers[key])
    return best


def parameters(shapes, seed=0):
    """Leaf tensors of the given shapes, each with a fixed random gradient."""
    generator = torch.Generator().manual_seed(seed)
    params = []
    for shape in shapes:
        p = torch.randn(shape, generator=generator, dtype=torch.float32).requires_grad_()
        p.grad = torch.randn(shape, generator=generator, dtype=torch.float32)
        params.append(p)
    return params


def optimizer_step(shapes, cls, kwargs, implementation):
    """``opt.step`` for fresh parameters with fixed gradients, or None if the build refuses it."""
    params = parameters(shapes)
    try:
        opt = cls(params, **kwargs, **IMPLEMENTATIONS[implementation])
        opt.step()
    except (RuntimeError, ValueError, TypeError):
        return None
    return opt.step


def training_step(sizes, batch, cls, kwargs, seed=0):
    """One whole training step of an MLP with layer widths ``sizes``, and its parameter count."""
    torch.manual_seed(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    inputs, labels = torch.randn(batch, sizes[0]), torch.randint(0, sizes[-1], (batch,))
    opt = cls(model.parameters(), lr=1e-3, **kwargs)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(inputs), labels).backward()
        opt.step()

    return step, sum(p.numel() for p in model.parameters())


def microseconds(value):
    return "n/a" if value is None else f"{value * 1e6:,.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.2, help="time per measurement (default 0.2 s)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per cell (the fastest counts; default 5)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print("\n**Optimizer step only** (µs per `step()`; Adam/SGD and Adam/SGD momentum are ratios of the fastest"
          " implementations; \"for-loop\" is the same ratio with the for-loop, the CPU default)\n")
    header = ["parameters"] + [f"{o} {i}" for o in OPTIMIZERS for i in IMPLEMENTATIONS] + [
        "Adam/SGD", "Adam/SGD momentum", "Adam/SGD for-loop"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, shapes in SHAPES.items():
        steps = {(o, i): optimizer_step(shapes, cls, kwargs, i)
                 for o, (cls, kwargs) in OPTIMIZERS.items() for i in IMPLEMENTATIONS}
        times = fastest_per_call({k: f for k, f in steps.items() if f is not None}, args.seconds, args.repeats)
        fastest = {o: min(t for (name, _), t in times.items() if name == o) for o in OPTIMIZERS}
        row = [label] + [microseconds(times.get((o, i))) for o in OPTIMIZERS for i in IMPLEMENTATIONS]
        loop = times.get(("Adam", "for-loop")), times.get(("SGD", "for-loop"))
        ratios = [f"{fastest['Adam'] / fastest['SGD']:.1f}", f"{fastest['Adam'] / fastest['SGD momentum 0.9']:.1f}",
                  "n/a" if None in loop else f"{loop[0] / loop[1]:.1f}"]
        print("| " + " | ".join(row + ratios) + " |")

    print("\n**Whole training step** (zero_grad, forward, loss, backward, step; µs; the optimizers'"
          " default implementation, and Adam fused)\n")
    print("| model | batch | parameters | SGD | Adam | Adam fused | Adam/SGD | Adam fused/SGD |")
    print("|---|---|---|---|---|---|---|---|")
    variants = {"SGD": (torch.optim.SGD, {}), "Adam": (torch.optim.Adam, {}), "Adam fused": (torch.optim.Adam, {"fused": True})}
    for sizes, batch in (((64, 32, 10), 32), ((784, 1024, 1024, 10), 128)):
        steps = {}
        for name, (cls, kwargs) in variants.items():
            try:
                steps[name], count = training_step(sizes, batch, cls, kwargs)
                steps[name]()
            except (RuntimeError, ValueError, TypeError):
                steps.pop(name, None)
        t = fastest_per_call(steps, args.seconds, args.repeats)
        fused = t.get("Adam fused")
        fused_ratio = "n/a" if fused is None else f"{fused / t['SGD']:.2f}"
        name = "MLP " + "-".join(map(str, sizes))
        print(f"| {name} | {batch} | {count:,} | {microseconds(t['SGD'])} | {microseconds(t['Adam'])} | "
              f"{microseconds(fused)} | {t['Adam'] / t['SGD']:.2f} | {fused_ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
