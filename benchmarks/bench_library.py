"""Speed of the lrcourse library, measured side by side in one process.

    python benchmarks/bench_library.py [--repeat 5]

(a) the η maps the lessons and widgets draw: 200 learning rates × 500 Adam steps on
    an ill-conditioned 2-D quadratic, as ONE vectorised run vs a Python loop of 200
    separate runs (target: ≥ 50× faster);
(b) a real-data sweep: 50 learning rates × 300 full-batch Adam steps of softmax
    regression on digits, vectorised vs a loop of 50 separate runs, and vs 50
    torch.optim.Adam runs when torch is installed (target: ≥ 3× faster than torch),
    with the GFLOP/s reached by the matrix products;
(c) one update of the learning-rate explorer widget (recompute + redraw).

Medians over ``--repeat`` runs; ratios are of medians measured in this one run.
Timings are never asserted in tests: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from lrcourse import optim, problems, train

N_LRS_A, STEPS_A = 200, 500
N_LRS_B, STEPS_B = 50, 300


def median_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_eta_map(repeat: int) -> dict:
    quadratic = problems.Quadratic.ill_conditioned_2d(kappa=100)
    lrs = np.logspace(-3, 0.5, N_LRS_A)
    x0 = quadratic.init()

    def vectorised():
        return train.run(quadratic, optim.Adam(lr=lrs[:, None]), x0, STEPS_A)

    def loop():
        return [train.run(quadratic, optim.Adam(lr=float(lr)), x0, STEPS_A) for lr in lrs]

    # Same numbers either way (a benchmark of a wrong answer is worthless).
    together = vectorised().loss[-1]
    apart = np.array([r.loss[-1, 0] for r in loop()])
    np.testing.assert_allclose(together, apart, rtol=1e-9, atol=1e-300)
    t_vec = median_time(vectorised, repeat)
    t_loop = median_time(loop, max(1, repeat // 2))
    return {"vectorised_s": t_vec, "loop_s": t_loop, "speedup": t_loop / t_vec}


def softmax_flops_per_step(n: int, features: int, classes: int, runs: int) -> float:
    """Forward X·W and backward Xᵀ·G, 2·n·f·c multiply-adds each, per run."""
    return 2 * (2.0 * n * features * classes) * runs


def torch_sweep(model: problems.SoftmaxRegression, lrs: np.ndarray, steps: int):
    import torch

    data = model.data
    X = torch.tensor(np.array(data.X_train), dtype=torch.float64)  # copies: the data is read-only
    y = torch.tensor(np.array(data.y_train), dtype=torch.long)
    finals = []
    for lr in lrs:
        W = torch.zeros(data.n_features, data.n_classes, dtype=torch.float64, requires_grad=True)
        b = torch.zeros(data.n_classes, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([W, b], lr=float(lr))
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(X @ W + b, y)
            loss.backward()
            opt.step()
        finals.append(float(loss.detach()))
    return finals


def bench_digits_sweep(repeat: int) -> dict:
    model = problems.SoftmaxRegression()
    lrs = np.logspace(-4, 0, N_LRS_B)
    x0 = model.init()
    n, features, classes = model.data.X_train.shape[0], model.data.n_features, model.data.n_classes

    def vectorised():
        return train.run(model, optim.Adam(lr=lrs[:, None]), x0, STEPS_B)

    def loop():
        return [train.run(model, optim.Adam(lr=float(lr)), x0, STEPS_B) for lr in lrs]

    t_vec = median_time(vectorised, repeat)
    t_loop = median_time(loop, max(1, repeat // 2))
    flops = softmax_flops_per_step(n, features, classes, N_LRS_B) * STEPS_B
    result = {"vectorised_s": t_vec, "loop_s": t_loop, "speedup_vs_loop": t_loop / t_vec,
              "gflops": flops / t_vec / 1e9}
    try:
        import torch
    except ImportError:
        result["torch"] = "not installed"
        return result
    torch.set_num_threads(max(1, torch.get_num_threads()))
    ours = vectorised().loss[-1]
    theirs = np.array(torch_sweep(model, lrs, STEPS_B))
    # torch's last loss is at the parameters before its last step, like ours.
    result["max_loss_difference_vs_torch"] = float(np.max(np.abs(ours - theirs)))
    t_torch = median_time(lambda: torch_sweep(model, lrs, STEPS_B), max(1, repeat // 2))
    result.update({"torch_s": t_torch, "speedup_vs_torch": t_torch / t_vec,
                   "torch_version": torch.__version__})
    return result


def bench_widget_update() -> dict:
    """Drag the lr explorer's slider through 21 rates (``bench_widgets.drag``, the
    per-explorer benchmark, measures the others)."""
    from bench_widgets import drag  # benchmarks/ is on sys.path when run as a script

    from lrcourse import widgets

    explorer = widgets.lr_explorer()
    wall, _ = drag(explorer, explorer.lr_slider, np.geomspace(0.5, 1.9, 21))
    return {"update_ms_median": statistics.median(wall), "update_ms_max": max(wall)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    a = bench_eta_map(args.repeat)
    print(f"(a) {N_LRS_A} lrs x {STEPS_A} Adam steps, 2-D quadratic: vectorised {a['vectorised_s']*1e3:.1f} ms, "
          f"loop of runs {a['loop_s']*1e3:.0f} ms -> {a['speedup']:.0f}x (target >= 50x)")
    b = bench_digits_sweep(args.repeat)
    line = (f"(b) {N_LRS_B} lrs x {STEPS_B} Adam steps, digits softmax: vectorised {b['vectorised_s']:.2f} s "
            f"({b['gflops']:.1f} GFLOP/s), loop {b['loop_s']:.2f} s -> {b['speedup_vs_loop']:.1f}x")
    if "torch_s" in b:
        line += (f"; torch {b['torch_version']} loop {b['torch_s']:.2f} s -> {b['speedup_vs_torch']:.1f}x "
                 f"(target >= 3x; max |loss difference| {b['max_loss_difference_vs_torch']:.1e})")
    else:
        line += "; torch not installed (no comparison)"
    print(line)
    c = bench_widget_update()
    print(f"(c) lr explorer slider update: median {c['update_ms_median']:.0f} ms, max {c['update_ms_max']:.0f} ms "
          f"(target well under 100 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
