"""Every public callable refuses bad values with a clear error, never a silent result.

For each callable the table below holds a valid call (checked to work) and, per
argument, the family of values it must refuse: NaN, ±inf, negative, zero where zero
is invalid, complex, a string, None, a bool where a number is wanted, a list where
a number is wanted, the wrong array shape.  A refusal is a ValueError or TypeError
whose message starts with the parameter's name ("lr must be …", "betas[0] must
be …") and shows the value given.  Anything else fails: a result, another
exception, a warning (warnings are errors here: a flood of them is what a learner
would see), or a call that takes longer than the time limit (a hang).
"""

from __future__ import annotations

import math
import signal
import warnings
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse import bayes_opt, crossval, data, optim, plots, schedule_experiments, schedules, style, train, tune, widgets  # noqa: E402,E501
from lrcourse.problems import MLP, Quadratic, Rosenbrock, SoftmaxRegression, WavyValley  # noqa: E402

NAN, INF = math.nan, math.inf
SECONDS = 5  # per call: far above any refusal, far below a hang

# ----------------------------------------------------------------- bad-value families

NUMBER = {"nan": NAN, "inf": INF, "-inf": -INF, "complex": 1 + 2j, "string": "0.1", "None": None,
          "bool": True, "list": [0.1, 0.2]}
POSITIVE = {**NUMBER, "negative": -0.5, "zero": 0.0}
NONNEGATIVE = {**NUMBER, "negative": -0.5}
BELOW_ONE = {**NONNEGATIVE, "one": 1.0, "above one": 1.5}          # [0, 1)
FRACTION = {**POSITIVE, "above one": 1.5}                            # (0, 1]
OPEN_UNIT = {**POSITIVE, "one": 1.0}                                 # (0, 1)
HUGE = 10**9   # a count above the library's limits (steps ≤ 10**6, runs ≤ 10**5)
NOT_A_PROBLEM = {"None": None, "string": "quadratic", "class": Quadratic}
POSITIVE_INT = {"float": 2.5, "nan": NAN, "inf": INF, "negative": -3, "zero": 0, "complex": 1j,
                "string": "3", "None": None, "bool": True}
NONNEGATIVE_INT = {k: v for k, v in POSITIVE_INT.items() if k != "zero"}
BOOLEAN = {"int": 1, "string": "yes", "None": None, "float": 1.0}
CHOICE = {"unknown": "no-such-option", "None": None, "int": 3}
ARRAY = {"complex": np.array([1 + 1j, 1.0]), "string": "abc", "None": None, "bools": np.array([True, False])}
CALLABLE = {"number": 0.5, "string": "f", "None": None}
NOT_AXES = {"None": None, "figure": plt.figure(), "number": 3}
LR = {k: v for k, v in POSITIVE.items() if k != "list"} | {"complex array": np.array([0.1 + 1j]),
                                                          "negative array": np.array([0.1, -0.1])}


def without(family: dict, *names: str) -> dict:
    return {k: v for k, v in family.items() if k not in names}


# ----------------------------------------------------------------- shared fixtures

QUAD = Quadratic([1.0, 10.0])
QUAD_1D = Quadratic([2.0])
VALLEY = WavyValley()
SOFTMAX = SoftmaxRegression()
DIGITS = data.digits()
FOLDS = crossval.kfold_splits(DIGITS, 2)
RESULT = train.run(QUAD, optim.SGD(lr=0.1), QUAD.init(), 5, keep_trajectory=True)
RESULT_1D = train.run(VALLEY, optim.SGD(lr=0.05), VALLEY.init(), 5, keep_trajectory=True)
SWEEP = tune.lr_sweep(QUAD, optim.SGD, [0.01, 0.1], 5)
FINDER = tune.lr_finder(QUAD, optim.SGD, start_lr=1e-3, end_lr=1.0, num_steps=30)
PLATEAU = schedules.ReduceLROnPlateau(0.1)
PLATEAU.step(1.0)
LRS = np.geomspace(1e-3, 1.0, 30)
LOSSES = 1.0 / (1.0 + (np.log10(LRS) + 1.5) ** 2) * -1 + 2.0


def axes():
    return plots.new_figure(pyplot=False)[1]


def explorer_fig():
    return plots.new_figure(pyplot=False)


# ----------------------------------------------------------------- the table
# (label, function, valid keyword arguments, {argument: bad-value family})

CASES = [
    # ---- optim
    *[(name, getattr(optim, name), {}, {"lr": LR, "weight_decay": NONNEGATIVE})
      for name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW")],
    ("SGD", optim.SGD, {}, {"momentum": NONNEGATIVE, "dampening": {**NONNEGATIVE, "above one": 1.5},
                            "nesterov": BOOLEAN}),
    ("Adagrad", optim.Adagrad, {}, {"lr_decay": NONNEGATIVE, "initial_accumulator_value": NONNEGATIVE,
                                    "eps": POSITIVE}),
    ("RMSprop", optim.RMSprop, {}, {"alpha": BELOW_ONE, "eps": POSITIVE, "momentum": NONNEGATIVE,
                                    "centered": BOOLEAN}),
    ("Adam", optim.Adam, {}, {"betas": {"nan": (NAN, 0.9), "one": (0.9, 1.0), "negative": (-0.1, 0.9),
                                        "complex": (0.9, 1j), "string": "0.9", "None": None,
                                        "length 3": (0.9, 0.99, 0.999)},
                              "eps": POSITIVE, "amsgrad": BOOLEAN}),
    ("Adam.step", lambda x, grad: optim.Adam(lr=0.1).step(x, grad), {"x": np.ones(2), "grad": np.ones(2)},
     {"x": ARRAY, "grad": ARRAY | {"wrong shape": np.ones(3)}}),
    ("SGD.step", lambda x, grad: optim.SGD(lr=0.1).step(x, grad), {"x": np.ones(2), "grad": np.ones(2)},
     {"x": ARRAY, "grad": ARRAY | {"wrong shape": np.ones((2, 2))}}),
    *[(f"{name}.step", lambda x, grad, name=name: getattr(optim, name)(lr=0.1).step(x, grad),
       {"x": np.ones(2), "grad": np.ones(2)}, {"x": ARRAY, "grad": ARRAY | {"wrong shape": np.ones(3)}})
      for name in ("Adagrad", "RMSprop", "AdamW")],
    ("SGD.step with a schedule", lambda schedule: optim.SGD(lr=schedule).step(np.ones(2), np.ones(2)),
     {"schedule": lambda k: 0.1}, {"schedule": {"nan": lambda k: NAN, "zero": lambda k: 0.0,
                                                "complex": lambda k: 1j, "string": lambda k: "0.1",
                                                "None": lambda k: None, "list": lambda k: [0.1, 0.2]}}),
    ("SGD.step with K rates", lambda lr: optim.SGD(lr=lr).step(np.ones((2, 2)), np.ones((2, 2))),
     {"lr": np.array([[0.1], [0.2]])},
     {"lr": {"1-D, K == d (per run or per coordinate?)": np.array([0.1, 0.2])}}),
    # ---- schedules
    ("constant", schedules.constant, {"lr": 0.1}, {"lr": POSITIVE}),
    ("linear_ramp", schedules.linear_ramp, {"start_lr": 0.1, "end_lr": 0.0, "steps": 5},
     {"start_lr": POSITIVE, "end_lr": NONNEGATIVE, "steps": POSITIVE_INT}),
    ("cosine_ramp", schedules.cosine_ramp, {"start_lr": 0.1, "end_lr": 0.0, "steps": 5},
     {"start_lr": POSITIVE, "end_lr": NONNEGATIVE, "steps": POSITIVE_INT}),
    ("exponential", schedules.exponential, {"lr": 0.1, "gamma": 0.9}, {"lr": POSITIVE, "gamma": POSITIVE}),
    ("step_decay", schedules.step_decay, {"lr": 0.1, "step_size": 3},
     {"lr": POSITIVE, "step_size": POSITIVE_INT, "gamma": FRACTION}),
    ("multistep", schedules.multistep, {"lr": 0.1, "milestones": [3, 6]},
     {"milestones": {"unsorted": [6, 3], "float": [2.5], "None": None, "string": "3", "zero": [0, 3]},
      "gamma": FRACTION | {"underflowing": 1e-300}}),
    ("inverse_time", schedules.inverse_time, {"lr": 0.1, "decay_rate": 1.0},
     {"decay_rate": POSITIVE, "decay_steps": POSITIVE}),
    ("polynomial", schedules.polynomial, {"lr": 0.1}, {"total_iters": POSITIVE_INT, "power": POSITIVE}),
    ("cosine", schedules.cosine, {"lr": 0.1, "T_max": 10},
     {"lr": POSITIVE, "T_max": POSITIVE_INT, "eta_min": NONNEGATIVE | {"above lr": 0.5}}),
    ("linear", schedules.linear, {"lr": 0.1},
     {"start_factor": FRACTION, "end_factor": NONNEGATIVE | {"above one": 1.5},
      "total_iters": POSITIVE_INT}),
    ("warmup_cosine", schedules.warmup_cosine, {"lr": 0.1, "warmup_steps": 3, "total_steps": 10},
     {"warmup_steps": POSITIVE_INT, "total_steps": POSITIVE_INT | {"below warm-up": 2},
      "start_factor": FRACTION, "eta_min": NONNEGATIVE}),
    ("cyclic", schedules.cyclic, {"base_lr": 0.01, "max_lr": 0.1},
     {"base_lr": POSITIVE, "max_lr": POSITIVE | {"below base": 0.001}, "step_size_up": POSITIVE_INT,
      "step_size_down": without(POSITIVE_INT, "None"), "mode": CHOICE, "gamma": FRACTION}),
    ("cosine_warm_restarts", schedules.cosine_warm_restarts, {"lr": 0.1, "T_0": 5},
     {"T_0": POSITIVE_INT, "T_mult": POSITIVE_INT, "eta_min": NONNEGATIVE}),
    ("one_cycle", schedules.one_cycle, {"max_lr": 0.1, "total_steps": 20},
     {"max_lr": POSITIVE, "total_steps": POSITIVE_INT | {"one": 1}, "pct_start": OPEN_UNIT,
      "anneal_strategy": CHOICE, "div_factor": POSITIVE | {"below one": 0.5},
      "final_div_factor": POSITIVE | {"below one": 0.5}, "three_phase": BOOLEAN}),
    ("join", schedules.join, {"schedules": [schedules.constant(0.1), schedules.constant(0.05)],
                              "boundaries": [3]},
     {"schedules": {"None": None, "one": [schedules.constant(0.1)],
                    "not vectorised": [schedules.constant(0.1), lambda k: 0.1 if k < 3 else 0.2]},
      "boundaries": {"None": None, "zero": [0], "float": [2.5], "two": [3, 4]}}),
    ("warmup", schedules.warmup, {"schedule": schedules.constant(0.1), "warmup_steps": 3},
     {"schedule": CALLABLE | {"not vectorised": lambda k: 0.1 if k < 3 else 0.2},
      "warmup_steps": POSITIVE_INT, "start_factor": FRACTION}),
    ("per_run", schedules.per_run, {"schedules": [schedules.constant(0.1)]},
     {"schedules": {"None": None, "empty": [], "number": [0.1], "not vectorised": [lambda k: 0.1 if k < 3 else 0.2]},
      "scale": without(ARRAY, "None") | {"negative": [-0.1], "nan": [NAN], "empty": []},
      "repeat": POSITIVE_INT | {"huge": HUGE}, "tile": POSITIVE_INT | {"huge": HUGE}}),
    ("per_run of two schedules", schedules.per_run, {"schedules": [schedules.constant(0.1)] * 2, "repeat": 1},
     {"repeat": {"K = 2·10**5 runs": 10**5}}),
    ("PerRunSchedule(step)", lambda step: schedules.per_run([schedules.constant(0.1)])(step), {"step": 3},
     {"step": {"nan": NAN, "negative": -1, "float": 2.5, "string": "3", "None": None, "bool": True,
               "huge": 10**7, "1e300": 1e300,
               "2-D": np.zeros((2, 2), dtype=int)}}),
    ("Schedule(step)", lambda step: schedules.cosine(0.1, 10)(step), {"step": 3},
     {"step": {"nan": NAN, "negative": -1, "float": 2.5, "complex": 1j, "string": "3", "None": None,
               "bool": True, "complex array": np.array([1j])}}),
    ("ReduceLROnPlateau", schedules.ReduceLROnPlateau, {"lr": 0.1},
     {"lr": POSITIVE, "mode": CHOICE, "factor": OPEN_UNIT, "patience": NONNEGATIVE_INT,
      "threshold": NONNEGATIVE, "threshold_mode": CHOICE, "cooldown": NONNEGATIVE_INT,
      "min_lr": NONNEGATIVE, "eps": NONNEGATIVE}),
    ("ReduceLROnPlateau.step", lambda metric: schedules.ReduceLROnPlateau(0.1).step(metric), {"metric": 1.0},
     {"metric": without(NUMBER, "nan", "inf", "-inf")}),
    ("Schedule with a bad curve", lambda curve: schedules.Schedule(curve, "c")(np.arange(3)),
     {"curve": lambda s: np.full(np.shape(s), 0.1)},
     {"curve": {"NaN": lambda s: np.full(np.shape(s), NAN), "negative": lambda s: -np.ones(np.shape(s)),
                "not vectorised": lambda s: 0.1 if s < 3 else 0.2, "complex": lambda s: 0.1 + 1j + 0 * s,
                "string": lambda s: "x", "None": lambda s: None, "a list per step": lambda s: [0.1, 0.2]}}),
    # ---- train
    ("run", train.run, {"problem": QUAD, "optimizer": optim.SGD(lr=0.1), "x0": np.ones(2), "steps": 3},
     {"problem": {"None": None, "string": "quadratic", "class": Quadratic},
      "optimizer": {"None": None, "class": optim.SGD, "string": "SGD"},
      "x0": ARRAY | {"wrong shape": np.ones(3), "nan": np.array([NAN, 1.0])},
      "steps": POSITIVE_INT | {"huge": HUGE}, "seed": NONNEGATIVE_INT, "clip_norm": without(POSITIVE, "None"),
      "clip_value": without(POSITIVE, "None"), "divergence_factor": without(NUMBER, "inf") | {"one": 1.0},
      "eval_every": without(POSITIVE_INT, "None"), "keep_trajectory": BOOLEAN}),
    ("run with a wrong-shaped gradient",
     lambda problem: train.run(problem, optim.SGD(lr=0.1), np.ones(2), 3), {"problem": QUAD},
     {"problem": {"gradient (2, 3)": type("Odd", (), {"dim": 2, "loss": lambda self, x: x.sum(-1),
                                                      "grad": lambda self, x: np.ones((2, 3))})()}}),
    ("run with a wrong-shaped validation loss",
     lambda problem: train.run(problem, optim.SGD(lr=0.1), np.ones(2), 3, eval_every=1), {"problem": QUAD},
     {"problem": {"val_loss (2, 3)": type("OddVal", (Quadratic,), {"val_loss": lambda self, x: np.ones((2, 3))})(
         [1.0, 2.0])}}),
    ("run with an accuracy in words",
     lambda problem: train.run(problem, optim.SGD(lr=0.1), np.ones(2), 3, eval_every=1), {"problem": QUAD},
     {"problem": {"accuracy 'x'": type("Wordy", (Quadratic,), {"accuracy": lambda self, x, split: "x"})(
         [1.0, 2.0])}}),
    ("run with records over 2 GiB", lambda steps: train.run(QUAD, optim.SGD(lr=np.full((2000, 1), 0.1)),
                                                            np.ones(2), steps), {"steps": 3},
     {"steps": {"10**6 steps of 2000 runs": 10**6}}),
    ("divergence_threshold", train.divergence_threshold, {"initial_loss": 1.0, "divergence_factor": 10.0},
     {"initial_loss": ARRAY | {"nan": NAN, "inf": INF, "-inf": -INF}, "divergence_factor": without(NUMBER, "inf") | {"one": 1.0, "half": 0.5}}),
    ("clip_by_norm", train.clip_by_norm, {"grad": np.ones((1, 2)), "clip_norm": 1.0},
     {"grad": ARRAY | {"1-D": np.ones(2)}, "clip_norm": POSITIVE}),
    ("clip_by_value", train.clip_by_value, {"grad": np.ones((1, 2)), "clip_value": 1.0},
     {"grad": ARRAY | {"1-D": np.ones(2)}, "clip_value": POSITIVE}),
    ("RunResult.curve", RESULT.curve, {"name": "loss", "k": 0},
     {"name": CHOICE, "k": {"float": 0.5, "out of range": 3, "None": None, "string": "0"}}),
    ("RunResult.divergence_lr", RESULT.divergence_lr, {"k": 0},
     {"k": {"float": 0.5, "out of range": 3, "None": None, "string": "0"}}),
    # ---- tune
    ("lr_sweep", tune.lr_sweep, {"problem": QUAD, "optimizer_cls": optim.SGD, "lrs": [0.01, 0.1], "steps": 3},
     {"problem": NOT_A_PROBLEM, "optimizer_cls": {"instance": optim.SGD(), "None": None, "string": "SGD"},
      "lrs": ARRAY | {"negative": [-0.1, 0.1], "nan": [NAN], "empty": [], "too many": np.full(10**5 + 1, 0.1)},
      "steps": POSITIVE_INT | {"huge": HUGE},
      "optimizer_kwargs": {"list": [1], "with lr": {"lr": 0.1}}}),
    ("grid_search", tune.grid_search,
     {"problem": QUAD, "optimizer_cls": optim.SGD, "low": 0.01, "high": 0.1, "num": 3, "steps": 3},
     {"problem": NOT_A_PROBLEM, "low": POSITIVE, "high": POSITIVE | {"below low": 0.001},
      "num": POSITIVE_INT | {"one": 1, "huge": HUGE}}),
    ("random_search", tune.random_search,
     {"problem": QUAD, "optimizer_cls": optim.SGD, "n": 3, "low": 0.01, "high": 0.1, "steps": 3},
     {"problem": NOT_A_PROBLEM, "n": POSITIVE_INT | {"huge": HUGE}, "seed": NONNEGATIVE_INT}),
    ("log_uniform", tune.log_uniform, {"n": 3, "low": 0.01, "high": 0.1},
     {"n": POSITIVE_INT, "low": POSITIVE, "high": POSITIVE, "seed": NONNEGATIVE_INT}),
    ("successive_halving", tune.successive_halving,
     {"problem": QUAD, "optimizer_cls": optim.SGD, "lrs": [0.01, 0.03, 0.1], "min_steps": 2},
     {"problem": NOT_A_PROBLEM, "lrs": ARRAY | {"negative": [-0.1, 0.1]}, "min_steps": POSITIVE_INT | {"huge": HUGE},
      "eta": POSITIVE_INT | {"one": 1, "huge": HUGE}, "metric": CHOICE}),
    ("lr_finder", tune.lr_finder, {"problem": QUAD, "optimizer_cls": optim.SGD, "num_steps": 10},
     {"problem": NOT_A_PROBLEM, "start_lr": POSITIVE, "end_lr": POSITIVE | {"below start": 1e-9},
      "num_steps": POSITIVE_INT | {"huge": HUGE},
      "beta": BELOW_ONE, "diverge_threshold": NUMBER | {"one": 1.0}, "seed": NONNEGATIVE_INT,
      "rule": CHOICE}),
    ("exponential_ramp", tune.exponential_ramp, {"start_lr": 0.01, "end_lr": 1.0, "num_steps": 5},
     {"start_lr": POSITIVE, "end_lr": POSITIVE, "num_steps": POSITIVE_INT | {"huge": HUGE}}),
    ("smooth_losses", tune.smooth_losses, {"losses": LOSSES}, {"losses": ARRAY, "beta": BELOW_ONE}),
    ("finder_stop_index", tune.finder_stop_index, {"smoothed": LOSSES},
     {"smoothed": ARRAY | {"number": 1.0}, "diverge_threshold": NUMBER | {"one": 1.0}}),
    *[(rule, getattr(tune, rule), {"lrs": LRS, "losses": LOSSES},
       {"lrs": ARRAY | {"negative": -LRS}, "losses": ARRAY | {"nan": LOSSES * NAN, "wrong shape": LOSSES[:5]}})
      for rule in ("steepest", "minimum", "valley")],
    ("SweepResult.pick", SWEEP.pick, {"by": "final_loss"}, {"by": CHOICE}),
    ("FinderResult.suggest", FINDER.suggest, {"rule": "valley"}, {"rule": CHOICE}),
    # ---- bayes_opt, crossval, schedule_experiments
    ("bayes_opt", bayes_opt.bayes_opt,
     {"objective": lambda lrs: (np.log10(lrs) + 2) ** 2, "low": 1e-4, "high": 1.0, "n_iter": 1},
     {"objective": CALLABLE | {"not vectorised": lambda lr: 1.0 if lr < 1e-2 else 0.0},
      "n_init": POSITIVE_INT | {"one": 1, "huge": HUGE}, "n_iter": NONNEGATIVE_INT | {"huge": HUGE},
      "grid_size": POSITIVE_INT | {"one": 1, "huge": HUGE}, "lengthscale": POSITIVE, "xi": NONNEGATIVE}),
    ("expected_improvement", bayes_opt.expected_improvement, {"mean": np.zeros(2), "std": np.ones(2), "best": 0.0},
     {"mean": ARRAY | {"nan": np.array([NAN, 0.0])}, "std": ARRAY | {"negative": np.array([-1.0, 1.0])},
      "best": NUMBER, "xi": NONNEGATIVE}),
    ("gp_posterior", lambda mean: bayes_opt.gp_posterior([0.0, 1.0], [0.0, 1.0], [0.5], lengthscale=1.0, mean=mean),
     {"mean": 0.0}, {"mean": NUMBER}),
    ("rbf_kernel", bayes_opt.rbf_kernel, {"a": [0.0, 1.0], "b": [0.5], "lengthscale": 1.0},
     {"a": ARRAY | {"nan": [NAN]}, "lengthscale": POSITIVE, "variance": POSITIVE}),
    ("kfold_indices", crossval.kfold_indices, {"n": 10, "k": 2}, {"n": POSITIVE_INT | {"huge": HUGE},
                                                                 "k": POSITIVE_INT | {"above n": 11}}),
    ("kfold_splits", crossval.kfold_splits, {"data": DIGITS, "k": 2},
     {"data": {"None": None, "string": "digits", "array": np.ones((3, 2))}, "k": POSITIVE_INT | {"above n": 10**4},
      "seed": NONNEGATIVE_INT, "stratified": BOOLEAN}),
    ("fold_data", crossval.fold_data, {"data": DIGITS, "train_index": np.arange(10), "val_index": np.arange(10, 20)},
     {"data": {"None": None, "string": "digits"},
      "train_index": ARRAY | {"float": np.array([0.5]), "out of range": np.array([10**6]),
                              "negative": np.array([-1]), "empty": np.array([], dtype=int)},
      "val_index": {"overlapping": np.arange(5), "None": None}}),
    ("held_out_split", crossval.held_out_split, {"fold": FOLDS[0], "data": DIGITS},
     {"fold": {"None": None, "string": "fold"}, "data": {"None": None, "number": 3}}),
    ("cross_validate_lr", crossval.cross_validate_lr,
     {"make_problem": lambda d: SoftmaxRegression(data=d), "optimizer_cls": optim.SGD, "lrs": [0.1], "steps": 2,
      "splits": FOLDS},
     {"make_problem": CALLABLE | {"returns a number": lambda d: 3.0},
      "optimizer_cls": {"instance": optim.SGD(), "None": None},
      "lrs": ARRAY | {"negative": [-0.1], "nan": [NAN], "empty": []}, "steps": POSITIVE_INT | {"huge": HUGE},
      "splits": {"None": None, "numbers": [1, 2]}}),   # one fold: tests/test_crossval.py
    ("sign_test_p_value", schedule_experiments.sign_test_p_value, {"wins": 3, "n": 10},
     {"wins": NONNEGATIVE_INT | {"above n": 11}, "n": NONNEGATIVE_INT | {"huge": HUGE}}),
    ("BatchOrders", schedule_experiments.BatchOrders, {"problem": SOFTMAX, "n_groups": 2},
     {"problem": {"None": None, "without batches": QUAD}, "n_groups": POSITIVE_INT | {"huge": HUGE}}),
    ("settled_valley", schedule_experiments.settled_valley, {"problem": VALLEY, "x": np.zeros(3)},
     {"problem": {"None": None, "2-D": QUAD}, "x": ARRAY | {"3-D": np.zeros((2, 2, 2))}, "tol": POSITIVE}),
    ("PeakSweep", schedule_experiments.PeakSweep,
     {"shapes": {"c": schedules.constant(1.0)}, "peaks": {"c": [0.1, 0.2]}},
     {"shapes": {"None": None, "empty": {}, "list": [schedules.constant(1.0)]},
      "peaks": {"None": None, "decreasing": {"c": [0.2, 0.1]},
                "negative": {"c": [-0.1, 0.1]}, "complex": {"c": [0.1j]}},
      "tile": POSITIVE_INT | {"huge": HUGE, "K = 2·10**5 runs": 10**5}}),
    ("PeakSweep (a shape)", lambda shape: schedule_experiments.PeakSweep({"c": shape}, {"c": [0.1]}),
     {"shape": schedules.constant(1.0)}, {"shape": CALLABLE | {"not vectorised": lambda k: 1.0 if k < 3 else 0.5}}),
    ("PeakSweep (keys)", lambda peaks: schedule_experiments.PeakSweep({"c": schedules.constant(1.0)}, peaks),
     {"peaks": {"c": [0.1]}}, {"peaks": {"other keys": {"d": [0.1]}}}),
    # ---- problems
    ("Quadratic", Quadratic, {"eigenvalues": [1.0, 2.0]},
     {"eigenvalues": ARRAY | {"negative": [-1.0, 1.0], "nan": [NAN, 1.0], "empty": [], "too many": np.ones(1001)},
      "angle": without(NUMBER, "None"), "center": without(ARRAY, "None") | {"wrong shape": np.ones(3)},
      "rotation": without(ARRAY, "None") | {"not orthogonal": np.ones((2, 2))}}),
    ("Quadratic.loss", QUAD.loss, {"x": np.ones(2)}, {"x": ARRAY | {"wrong shape": np.ones(3)}}),
    ("Quadratic.grad", QUAD.grad, {"x": np.ones(2)}, {"x": ARRAY | {"wrong shape": np.ones(3)}}),
    ("Quadratic.gd_rate", QUAD.gd_rate, {"lr": 0.1}, {"lr": LR}),
    ("Quadratic.momentum_rate", QUAD.momentum_rate, {"lr": 0.1, "momentum": 0.5},
     {"lr": LR, "momentum": without(BELOW_ONE, "list"), "nesterov": BOOLEAN}),
    ("Quadratic.random", Quadratic.random, {"dim": 3},
     {"dim": POSITIVE_INT | {"above MAX_DIM": 1001, "huge": HUGE}, "kappa": POSITIVE | {"below one": 0.5},
      "seed": NONNEGATIVE_INT,
      "lambda_max": POSITIVE}),
    ("Quadratic.ill_conditioned_2d", Quadratic.ill_conditioned_2d, {},
     {"kappa": POSITIVE | {"below one": 0.5}, "angle": without(NUMBER, "None"), "lambda_max": POSITIVE}),
    ("Rosenbrock", Rosenbrock, {}, {"a": without(NUMBER, "list"), "b": POSITIVE}),
    ("WavyValley", WavyValley, {},
     {"c": POSITIVE | {"huge": 1e6}, "a": POSITIVE | {"tiny": 1e-12},
      "plot_range": {"reversed": (6.0, -6.0), "nan": (NAN, 1.0), "None": None, "number": 6.0}}),
    *[(f"{type(problem).__name__}.{method}", getattr(problem, method), {"x": problem.init()},
       {"x": ARRAY | {"wrong shape": np.ones(problem.dim + 1)}})
      for problem in (Rosenbrock(), VALLEY, MLP(hidden=4)) for method in ("loss", "grad")],
    ("WavyValley.init", VALLEY.init, {}, {"seed": NONNEGATIVE_INT}),
    ("SoftmaxRegression", SoftmaxRegression, {}, {"l2": NONNEGATIVE, "data": {"string": "digits", "number": 1}}),
    ("SoftmaxRegression.loss", SOFTMAX.loss, {"x": SOFTMAX.init()},
     {"x": ARRAY | {"wrong shape": np.ones(3)}, "batch": {"negative": np.array([-1]), "float": np.array([0.5]),
                                                          "too big": np.array([10**6])}}),
    ("SoftmaxRegression.batches", SOFTMAX.batches, {"batch_size": 32},
     {"batch_size": POSITIVE_INT | {"too big": 10**6}, "seed": NONNEGATIVE_INT}),
    ("MLP", MLP, {}, {"hidden": POSITIVE_INT | {"above 4096": 4097, "huge": HUGE}, "l2": NONNEGATIVE,
                      "activation": CHOICE}),
    # ---- data, style
    ("digits", data.digits, {}, {"standardize": BOOLEAN}),
    ("optimizer_color", style.optimizer_color, {"name": "Adam"}, {"name": {"None": None, "number": 3}}),
    ("lr_norm", style.lr_norm, {"lrs": [0.01, 0.1]}, {"lrs": ARRAY | {"negative": [-0.1, 0.1], "empty": []}}),
    ("colors_for", style.colors_for, {"labels": ["GD", "Adam"]},
     {"labels": {"None": None, "string": "GD", "number": 3}}),
    ("linestyles_for", style.linestyles_for, {"colors": ["#000000"]},
     {"colors": {"None": None, "string": "#000000", "number": 3}}),
    ("lr_colors", style.lr_colors, {"lrs": [0.01, 0.1]}, {"lrs": ARRAY | {"negative": [-0.1, 0.1]}}),
    # ---- plots
    ("new_figure", plots.new_figure, {"pyplot": False},
     {"figsize": {"negative": (-1.0, 2.0), "nan": (NAN, 2.0), "number": 3.0}, "ncols": POSITIVE_INT, "pyplot": BOOLEAN, "width_ratios": {"wrong length": [1, 2, 3], "negative": [-1]}}),
    ("figure", plots.figure, {"pyplot": False},
     {"nrows": POSITIVE_INT, "ncols": POSITIVE_INT, "figsize": {"negative": (-1.0, 2.0), "number": 3.0},
      "sharex": {"int": 1, "string": "all", "None": None}, "sharey": {"int": 0, "string": "both"},
      "width_ratios": {"wrong length": [1, 2]}, "height_ratios": {"negative": [-1], "wrong length": [1, 2]},
      "title": {"number": 3}, "pyplot": BOOLEAN, "layout": {"unknown": "tight", "bool": True},
      "gridspec_kw": {"number": 0.3, "with constrained layout": {"wspace": 0.3}}}),
    ("curves", plots.curves, {"x": np.arange(3), "ys": {"a": np.ones(3)}},
     {"x": ARRAY, "ys": ARRAY | {"3-D": np.ones((3, 2, 2)), "short": np.ones(2)}, "logx": BOOLEAN,
      "logy": BOOLEAN, "xlim": {"reversed": (1.0, 0.0), "number": 1.0}, "ylim": {"nan": (NAN, 1.0)},
      "legend_loc": without(CHOICE, "None"), "colors": {"wrong length": ["k", "r"]},
      "hlines": {"number": 3.0, "nan": {"x": NAN}}, "vlines": {"string": "x", "inf": {"x": INF}}}),
    ("curves on log axes", lambda x, ys: plots.curves(x, ys, logx=True, logy=True),
     {"x": [1.0, 2.0, 3.0], "ys": {"a": np.ones(3)}},
     {"x": {"zero": [0.0, 1.0, 2.0], "negative": [-1.0, 1.0, 2.0]}, "ys": {"no positive value": {"a": np.zeros(3)}}}),
    ("prediction_check", plots.prediction_check, {"x": np.arange(3), "predicted": np.ones(3),
                                                  "measured": np.ones(3)},
     {"x": ARRAY, "predicted": ARRAY | {"short": np.ones(2)},
      "measured": ARRAY | {"short": np.ones(2), "two curves": np.ones((3, 2))}, "every": POSITIVE_INT,
      "threshold": without(NUMBER, "None", "list"), "logy": BOOLEAN, "legend_loc": without(CHOICE, "None")}),
    ("outcome_map", plots.outcome_map, {"xs": [0.0, 1.0], "ys": [0.1, 0.2], "ends": [[0, -1], [1, -2]]},
     {"xs": ARRAY | {"nan": [NAN, 1.0]}, "ys": ARRAY | {"inf": [INF, 1.0]},
      "ends": ARRAY | {"wrong shape": np.zeros((3, 2)), "fraction": [[0.5, 0], [0, 0]], "below -2": [[-3, 0], [0, 0]]},
      "n_valleys": without(POSITIVE_INT, "None") | {"too few": 1}, "limits": without(ARRAY, "None") | {"nan": [NAN, 1.0], "wrong length": [0.1]},
      "logx": BOOLEAN, "logy": BOOLEAN, "legend_loc": {"unknown": "nowhere", "int": 3},
      "hlines": {"number": 3.0, "string": {"x": "y"}}, "yticklabels": {"wrong length": ["a"]}}),
    ("numbered_valleys", plots.numbered_valleys, {"problem": VALLEY, "xlim": (-5.0, 5.0)},
     {"problem": {"2-D": QUAD, "None": None}, "xlim": {"reversed": (1.0, -1.0), "nan": (NAN, 1.0), "None": None},
      "resolution": POSITIVE_INT | {"one": 1}, "ylim": {"reversed": (1.0, 0.0)}}),
    ("seed_strips", plots.seed_strips, {"values": np.ones((3, 2)), "categories": ["a", "b"]},
     {"values": ARRAY | {"1-D": np.ones(3)}, "categories": {"wrong length": ["a"], "negative": [-0.1, 0.2],
                                                           "None": None},
      "center": CHOICE, "logx": BOOLEAN, "logy": BOOLEAN, "groups": {"2-D values": ["g"]}}),
    ("schedule_gallery", plots.schedule_gallery, {"panels": {"a": {"c": schedules.constant(0.1)}}, "steps": 5},
     {"panels": {"None": None, "empty": {}, "list": [schedules.constant(0.1)]}, "steps": POSITIVE_INT,
      "ncols": POSITIVE_INT, "ylim": {"reversed": (1.0, 0.0)}}),
    ("plateau_history", plots.plateau_history, {"plateau": PLATEAU},
     {"plateau": {"None": None, "fresh": schedules.ReduceLROnPlateau(0.1), "number": 3.0}}),
    ("outcome_shares", plots.outcome_shares, {"ends": [[0, 1, -1]], "settings": [0.1]},
     {"ends": ARRAY | {"1-D": [0, 1], "below -1": [[-2, 0, 0]]}, "settings": {"wrong length": [0.1, 0.2],
                                                                              "None": None},
      "order": {"not a permutation": [0, 0], "negative": [-1, 0], "string": "01"},
      "colors": {"wrong length": ["k"]}}),
    ("contour_trajectory", plots.contour_trajectory, {"problem": QUAD, "trajectories": RESULT},
     {"problem": {"1-D": QUAD_1D, "None": None}, "trajectories": {"wrong shape": np.ones((4, 3)),
                                                                  "complex": np.ones((4, 2)) * 1j},
      "levels": POSITIVE_INT | {"decreasing": [3.0, 2.0, 1.0]}, "resolution": POSITIVE_INT | {"one": 1},
      "xlim": {"reversed": (1.0, -1.0), "nan": (NAN, 1.0), "number": 1.0},
      "ylim": {"reversed": (1.0, -1.0), "nan": (NAN, 1.0), "number": 1.0},
      "equal_aspect": BOOLEAN, "legend": BOOLEAN, "legend_loc": CHOICE}),
    ("trajectory_1d", plots.trajectory_1d, {"problem": VALLEY, "trajectories": RESULT_1D},
     {"problem": {"2-D": QUAD, "None": None}, "xlim": {"reversed": (1.0, -1.0), "nan": (NAN, 1.0)},
      "resolution": POSITIVE_INT | {"one": 1}, "legend": BOOLEAN}),
    ("loss_axes", plots.loss_axes, {}, {"steps": without(POSITIVE_INT, "None"), "logy": BOOLEAN}),
    ("threshold_line", plots.threshold_line, {"ax": axes(), "threshold": 10.0},
     {"ax": NOT_AXES, "threshold": POSITIVE}),
    ("minimiser_marker", plots.minimiser_marker, {"ax": axes()}, {"ax": NOT_AXES}),
    ("pad_limits", lambda ax, xlim, ylim, fraction: plots.pad_limits(ax, xlim, ylim, fraction),
     {"ax": axes(), "xlim": (0.0, 1.0), "ylim": (0.0, 1.0), "fraction": 0.1},
     {"ax": NOT_AXES, "xlim": {"reversed": (1.0, 0.0), "nan": (NAN, 1.0), "number": 1.0},
      "ylim": {"reversed": (1.0, 0.0), "nan": (NAN, 1.0)}, "fraction": NONNEGATIVE | {"huge": 1e300}}),
    ("loss_curves", plots.loss_curves, {"results": [RESULT]},
     {"results": {"complex": [np.ones(3) * 1j], "3-D": [np.ones((2, 2, 2))], "None": None,
                  "negative on a log axis": [-np.ones(3)]},
      "logy": BOOLEAN, "colorbar": BOOLEAN, "legend": BOOLEAN, "labels": {"wrong length": ["a", "b"]}}),
    ("schedule_curves", plots.schedule_curves, {"schedules": [schedules.constant(0.1)], "steps": 10},
     {"schedules": {"number": [0.1], "None": None}, "steps": POSITIVE_INT, "logy": BOOLEAN,
      "legend": BOOLEAN}),
    ("finder_curve", plots.finder_curve, {"finder_result": FINDER},
     {"finder_result": {"None": None, "sweep": SWEEP}, "show_raw": BOOLEAN}),
    ("sweep_curve", plots.sweep_curve, {"sweep_result": SWEEP},
     {"sweep_result": {"None": None, "finder": FINDER}, "vlines": {"negative": {"x": -1.0}, "nan": {"x": NAN},
                                                                   "number": 3.0}}),
    ("rate_map", plots.rate_map, {"etas": [0.1, 0.2], "betas": [0.0, 0.5], "rates": np.full((2, 2), 0.5)},
     {"etas": ARRAY | {"negative": [-0.1, 0.2], "decreasing": [0.2, 0.1]},
      "betas": ARRAY | {"negative": [-0.1, 0.5], "above one": [0.0, 1.5]},
      "rates": ARRAY | {"wrong shape": np.ones((3, 2))}, "log_eta": BOOLEAN,
      "point": {"nan": (NAN, 0.5), "number": 0.5}, "mark_best": {"number": 3.0, "nan": (NAN, 0.5)},
      "legend_loc": {"None": None, "number": 3}}),
    ("stability_plot", plots.stability_plot, {"eigenvalues": [1.0, 10.0]},
     {"eigenvalues": ARRAY | {"negative": [-1.0, 1.0], "empty": []},
      "etas": without(ARRAY, "None") | {"negative": [-0.1, 0.1]}}),
    ("trajectory_legend", lambda with_markers, loc, end: plots.trajectory_legend(axes(), with_markers, loc, end=end),
     {"with_markers": True, "loc": "outside", "end": True},
     {"with_markers": BOOLEAN, "loc": CHOICE, "end": BOOLEAN}),
    ("TrajectoryArtist.update", lambda xy: plots.TrajectoryArtist(axes(), "k").update(xy), {"xy": np.ones((3, 2))},
     {"xy": ARRAY | {"wrong shape": np.ones((3, 3))}}),
    ("LossCurveArtist.update", lambda losses: plots.LossCurveArtist(axes(), "k").update(losses),
     {"losses": np.ones(3)}, {"losses": ARRAY | {"2-D": np.ones((3, 2))}}),
    ("PointArtist.update", lambda x, y: plots.PointArtist(axes()).update(x, y), {"x": 0.1, "y": 0.5},
     {"x": without(NUMBER, "nan", "inf", "-inf"), "y": without(NUMBER, "nan", "inf", "-inf")}),
    ("SparseMinorLogLocator", plots.SparseMinorLogLocator, {},
     {"base": POSITIVE | {"one": 1.0}, "max_decades": POSITIVE}),
    ("TrajectoryArtist", lambda markersize, clip_box: plots.TrajectoryArtist(
        axes(), "k", markersize=markersize, clip_box=clip_box), {"markersize": 6.0, "clip_box": None},
     {"markersize": without(POSITIVE, "None"), "clip_box": {"number": 3.0, "reversed": (1.0, 0.0, 0.0, 1.0),
                                                           "nan": (NAN, 1.0, 0.0, 1.0)}}),
    ("LossCurveArtist", lambda ceiling, alpha, annotate, linewidth: plots.LossCurveArtist(
        axes(), "k", ceiling=ceiling, alpha=alpha, annotate=annotate, linewidth=linewidth),
     {"ceiling": None, "alpha": 1.0, "annotate": True, "linewidth": None},
     {"ceiling": without(POSITIVE, "None"), "alpha": NONNEGATIVE | {"above one": 2.0}, "annotate": BOOLEAN,
      "linewidth": without(POSITIVE, "None")}),
    ("LossCurveArtist.update diverged_at", lambda diverged_at: plots.LossCurveArtist(axes(), "k").update(
        np.ones(3), diverged_at=diverged_at), {"diverged_at": 1},
     {"diverged_at": {"float": 2.5, "string": "1", "bool": True}}),
    ("as_points", __import__("lrcourse.problems", fromlist=["as_points"]).as_points, {"x": np.ones(2), "dim": 2},
     {"x": ARRAY | {"wrong shape": np.ones(3)}, "dim": POSITIVE_INT}),
    ("figure_to_png", plots.figure_to_png, {"fig": plots.new_figure(pyplot=False)[0]},
     {"fig": {"None": None, "axes": axes()}, "draw": BOOLEAN}),
    # ---- widgets
    ("lr_explorer", widgets.lr_explorer, {},
     {"lr": without(POSITIVE, "None") | {"huge": 1e6}, "steps": POSITIVE_INT | {"above 500": 501},
      "optimizer": CHOICE,
      "problem": {"1-D": QUAD_1D, "string": "quadratic"}}),
    ("MomentumExplorer", widgets.MomentumExplorer, {},
     {"grid": {"number": 5, "None": None, "string": "abc", "negative": (-121, 100), "empty": [],
               "float": (2.5, 3), "bool": (True, 3), "huge": (HUGE, 3), "three": (120, 100, 100),
               "2-D array": np.ones((2, 2), dtype=int)}}),
    ("Explorer", widgets.Explorer, {}, {"ncols": POSITIVE_INT | {"huge": 10**12}}),
    ("finder_explorer", widgets.finder_explorer, {},
     {"start_lr": POSITIVE | {"huge": 1e6}, "end_lr": POSITIVE | {"huge": 1e6}, "num_steps": POSITIVE_INT | {"huge": HUGE},
      "beta": BELOW_ONE, "batch_size": {"bool": True, "float": 32.0, "None": None}, "seed": NONNEGATIVE_INT}),
    ("generalization_explorer", widgets.generalization_explorer, {},
     {"lr": POSITIVE | {"huge": 1e6}, "batch_size": {"bool": True, "float": 32.0, "None": None},
      "steps": POSITIVE_INT | {"huge": HUGE}}),
    ("noise_floor_explorer", widgets.noise_floor_explorer, {},
     {"batch_size": {"bool": True, "float": 16.0, "not a power of two": 12, "None": None}}),
    ("momentum_explorer", widgets.momentum_explorer, {},
     {"lr": POSITIVE | {"huge": 1e6}, "momentum": NONNEGATIVE | {"one and a half": 1.5},
      "steps": POSITIVE_INT | {"above 500": 501}, "problem": {"Rosenbrock": Rosenbrock(), "string": "q"}}),
    ("schedule_explorer", widgets.schedule_explorer, {}, {"schedule": CHOICE, "lr": POSITIVE | {"huge": 1e6}}),
    ("optimizer_comparison", widgets.optimizer_comparison, {},
     {"problem": CHOICE, "optimizers": {"unknown": ("GD", "Lion"), "string": "GD", "None": None}}),
]

# ----------------------------------------------------------------- styling arguments of the figures
# (a table of its own: an outside fuzz harness reads CASES by index)

TEXT = {"number": 3, "empty array": np.array([]), "list": ["a", "b"], "complex": 1j}
COLOR = {"number": 0.5, "unknown name": "no-such-colour", "bool": True, "out of range": (1.5, 0.0, 0.0)}
COLORS = {"number": 0.5, "None entry": [None], "unknown name": ["no-such-colour"], "empty array": np.array([]),
          "wrong length": ["k", "r", "b"], "string": "k"}
FIGSIZE = {"empty array": np.array([]), "huge": (1e4, 3.0), "negative": (-1.0, 2.0), "string": "big"}
LINESTYLE = {"number": 0.5, "unknown": "wavy", "bool": True, "bad dashes": (0, (5, -2))}
MARKER = {"number": 0.5, "unknown": "no-such-marker", "empty array": np.array([])}
TRAJECTORIES = {"number": 0.5, "None": None, "list of numbers": [0.1, 0.2]}
COUNT_HUGE = {"huge": HUGE}
SCHEDULE = schedules.constant(0.1)


def text_args(*names: str) -> dict:
    return {name: TEXT for name in names}


STYLE_CASES = [
    ("figure (sizes)", plots.figure, {"pyplot": False},
     {"nrows": COUNT_HUGE, "ncols": COUNT_HUGE, "figsize": FIGSIZE, "title": TEXT}),
    ("new_figure (sizes)", plots.new_figure, {"pyplot": False}, {"ncols": COUNT_HUGE, "figsize": FIGSIZE}),
    ("contour_trajectory (style)", plots.contour_trajectory, {"problem": QUAD, "trajectories": RESULT},
     {"colors": COLORS, "trajectories": TRAJECTORIES, "resolution": COUNT_HUGE, "levels": COUNT_HUGE,
      "labels": {"number": 3, "wrong length": ["a", "b"]}, **text_args("title")}),
    ("trajectory_1d (style)", plots.trajectory_1d, {"problem": VALLEY, "trajectories": RESULT_1D},
     {"colors": COLORS, "trajectories": TRAJECTORIES, "resolution": COUNT_HUGE, **text_args("title")}),
    ("numbered_valleys (style)", plots.numbered_valleys, {"problem": VALLEY, "xlim": (-5.0, 5.0)},
     {"resolution": COUNT_HUGE, **text_args("title")}),
    ("loss_axes (style)", plots.loss_axes, {}, {"steps": COUNT_HUGE, **text_args("title", "ylabel")}),
    ("loss_curves (style)", plots.loss_curves, {"results": [RESULT]},
     {"colors": COLORS, **text_args("title", "ylabel")}),
    ("loss_curves of an array (style)", plots.loss_curves, {"results": np.ones((2, 5))}, {"colors": COLORS}),
    ("schedule_curves (style)", plots.schedule_curves, {"schedules": [SCHEDULE], "steps": 10},
     {"colors": COLORS, "steps": {"empty array": np.array([], dtype=int), "huge": HUGE,
                                  "huge array": np.arange(10**6 + 1)},
      "schedules": {"not vectorised": [lambda k: 0.1 if k < 3 else 0.01], "a list per step": [lambda k: [0.1]]},
      **text_args("title")}),
    ("finder_curve (style)", plots.finder_curve, {"finder_result": FINDER}, text_args("title")),
    ("sweep_curve (style)", plots.sweep_curve, {"sweep_result": SWEEP},
     {"color": COLOR, **text_args("title", "ylabel", "label")}),
    ("rate_map (style)", plots.rate_map, {"etas": [0.1, 0.2], "betas": [0.0, 0.5], "rates": np.full((2, 2), 0.5)},
     {"legend_extra": {"number": 0.5, "None": None, "strings": ["a"]}, **text_args("title")}),
    ("stability_plot (style)", plots.stability_plot, {"eigenvalues": [1.0, 10.0]},
     {"etas": {"zero": 0.0, "one rate": (0.1,), "huge": 1e300, "tiny": 1e-300, "equal": [0.1, 0.1]},
      **text_args("title")}),
    ("curves (style)", plots.curves, {"x": np.arange(3), "ys": {"a": np.ones(3)}},
     {"x": {"nan": [NAN, 1.0, 2.0], "inf": [0.0, 1.0, INF]}, "colors": COLORS, "linestyle": LINESTYLE,
      "marker": MARKER, **text_args("title", "xlabel", "ylabel")}),
    ("curves with two curves (style)", plots.curves, {"x": np.arange(3), "ys": np.ones((3, 2))},
     {"linestyle": {"one of them unknown": ["-", "wavy"], "wrong length": ["-", "--", ":"]}}),
    ("prediction_check (style)", plots.prediction_check, {"x": np.arange(3), "predicted": np.ones(3),
                                                          "measured": np.ones(3)},
     {"x": {"nan": [NAN, 1.0, 2.0], "inf": [0.0, 1.0, INF]}, "colors": COLORS,
      **text_args("title", "xlabel", "ylabel", "predicted_label", "measured_label")}),
    ("outcome_map (style)", plots.outcome_map, {"xs": [0.0, 1.0], "ys": [0.1, 0.2], "ends": [[0, -1], [1, -2]]},
     {"valley_labels": {"number": 0.5, "wrong length": ["a"], "numbers": [1, 2]},
      **text_args("title", "xlabel", "ylabel", "limit_label")}),
    ("outcome_shares (style)", plots.outcome_shares, {"ends": [[0, 1, -1]], "settings": [0.1]},
     {"valley_labels": {"number": 0.5, "bool": True, "string": "abc"}, "colors": COLORS, "figsize": FIGSIZE,
      **text_args("title", "xlabel", "ylabel", "legend_title")}),
    ("seed_strips (style)", plots.seed_strips, {"values": np.ones((3, 2)), "categories": ["a", "b"]},
     {"colors": COLORS, "legend_loc": {"number": 3, "unknown": "nowhere"}, **text_args("title", "xlabel", "ylabel")}),
    ("as_points (name)", __import__("lrcourse.problems", fromlist=["as_points"]).as_points,
     {"x": np.ones(2), "dim": 2, "name": "x"}, {"name": {"number": 3, "None": None}}),
    ("schedule_gallery (style)", plots.schedule_gallery, {"panels": {"a": {"c": SCHEDULE}}, "steps": 5},
     {"figsize": FIGSIZE, "ncols": COUNT_HUGE, "steps": COUNT_HUGE, **text_args("title")}),
    ("plateau_history (style)", plots.plateau_history, {"plateau": PLATEAU},
     {"figsize": FIGSIZE, **text_args("title", "metric_label", "ylabel")}),
    ("threshold_line (text)", lambda text: plots.threshold_line(axes(), 10.0, text),
     {"text": "limit"}, {"text": TEXT}),
    ("TrajectoryArtist (style)", lambda color, label, linestyle: plots.TrajectoryArtist(
        axes(), color, label, linestyle=linestyle), {"color": "k", "label": "", "linestyle": "-"},
     {"color": COLOR, "label": TEXT, "linestyle": LINESTYLE}),
    ("LossCurveArtist (style)", lambda color, label, linestyle: plots.LossCurveArtist(
        axes(), color, label, linestyle=linestyle), {"color": "k", "label": "", "linestyle": "-"},
     {"color": COLOR, "label": TEXT, "linestyle": LINESTYLE}),
    ("PointArtist (style)", lambda label, color, marker: plots.PointArtist(axes(), label, color=color, marker=marker),
     {"label": "here", "color": "k", "marker": "o"}, {"label": TEXT, "color": COLOR, "marker": MARKER}),
]

ALL_CASES = CASES + STYLE_CASES

EXPLORER_SETS = ["lr", "steps", "optimizer"]


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int):
    def stop(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def call(function, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with time_limit(SECONDS):
            try:
                return function(**kwargs)
            finally:
                plt.close("all")


def shown(value) -> list[str]:
    """What a message may show for ``value`` (any one of these is enough): the value
    itself, or for a container the offending entry, or its shape or type in words."""
    if isinstance(value, np.ndarray):
        return ["array", "shape"]
    if isinstance(value, type):
        return [f"the class {value.__name__}"]
    if callable(value):
        return [getattr(value, "__name__", type(value).__name__)]
    if isinstance(value, (tuple, list)):
        return [repr(value), "array", "shape", *(repr(item) for item in value),
                *(shown(value[0]) if value else [])]
    if isinstance(value, dict):
        return [repr(value), *(repr(item) for item in value.values())]
    if isinstance(value, (str, int, float, complex)) or value is None:
        return [repr(value)]
    return [repr(value), f"an object of type {type(value).__name__}"]


#: Arguments whose message names what the value became: (case, argument) -> name.
NAMED_AS = {
    ("SGD.step with a schedule", "schedule"): "lr",
    ("run with a wrong-shaped gradient", "problem"): "problem",
    ("Schedule(step)", "step"): "step",
    ("PeakSweep (a shape)", "shape"): "shapes['c']",
}
#: Values a message describes by what is wrong with them instead: (case, argument) -> text.
SHOWN_AS = {("run with a wrong-shaped gradient", "problem"): "shape (2, 3)",
            ("run with a wrong-shaped validation loss", "problem"): "shape (2, 3)",
            ("run with an accuracy in words", "problem"): "'x'", ("PeakSweep (keys)", "peaks"): "keys ['d']"}

BAD_CALLS = [
    pytest.param(function, valid, argument, bad, NAMED_AS.get((label, argument), argument),
                 SHOWN_AS.get((label, argument)),
                 id=f"{label}-{argument}-{family_name}")
    for label, function, valid, arguments in ALL_CASES
    for argument, family in arguments.items()
    for family_name, bad in family.items()
]


@pytest.mark.parametrize("label, function, valid", [(c[0], c[1], c[2]) for c in ALL_CASES],
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ALL_CASES)])
def test_the_valid_call_works(label, function, valid):
    call(function, valid)


@pytest.mark.parametrize("function, valid, argument, bad, name, shown_as", BAD_CALLS)
def test_a_bad_value_is_refused_naming_the_parameter_and_the_value(function, valid, argument, bad, name,
                                                                   shown_as):
    with pytest.raises((ValueError, TypeError)) as info:
        call(function, {**valid, argument: bad})
    message = str(info.value)
    head = message.split(" must be ")[0]
    assert " must be " in message and (head == name or head.startswith((f"{name}[", f"{name}.", f"{name}("))), \
        message
    assert any(text in message for text in ([shown_as] if shown_as else shown(bad))), \
        f"{bad!r} not shown in: {message}"


@pytest.fixture(scope="module")
def lr_explorer():
    return call(widgets.lr_explorer, {})


@pytest.mark.parametrize("name, bad", [("lr", 1e6), ("lr", 0.0), ("lr", NAN), ("steps", 10**4),
                                       ("steps", 2.5), ("optimizer", "Lion")])
def test_an_explorer_refuses_to_set_a_value_its_control_cannot_show(lr_explorer, name, bad):
    before = lr_explorer.text
    with pytest.raises((ValueError, TypeError), match=rf"^{name} must be .*; got {bad!r}"):
        lr_explorer.set(**{name: bad})
    assert lr_explorer.text == before


def test_a_diverged_path_is_plotted_without_warnings():
    far = np.array([[1.0, 1.0], [1e200, -1e200], [INF, NAN]])
    call(plots.contour_trajectory, {"problem": QUAD, "trajectories": [far]})


# ----------------------------------------------------------------- the wrong kind of value is a TypeError


@pytest.mark.parametrize("function, name, bad", [
    (lambda steps: train.run(QUAD, optim.SGD(lr=0.1), QUAD.init(), steps), "steps", 10.0),
    (lambda batch_size: widgets.noise_floor_explorer(batch_size=batch_size), "batch_size", 16.0),
    (lambda batch_size: widgets.noise_floor_explorer(batch_size=batch_size), "batch_size", True),
    (lambda batch_size: widgets.finder_explorer(batch_size=batch_size), "batch_size", 32.0),
    (lambda batch_size: widgets.generalization_explorer(batch_size=batch_size), "batch_size", True),
], ids=["run-steps-10.0", "noise_floor-16.0", "noise_floor-True", "finder-32.0", "generalization-True"])
def test_a_count_given_as_a_float_or_a_bool_is_a_type_error(function, name, bad):
    with pytest.raises(TypeError, match=rf"^{name} must be .*; got {bad!r}"):
        call(function, {name: bad})


@pytest.mark.parametrize("bad, error", [((0.0, 1.0, 2.0), ValueError), ([0.5], ValueError),
                                        (np.zeros(3), ValueError), (1.0, TypeError), ("ab", TypeError),
                                        (np.float64(1.0), TypeError)])
def test_a_pair_of_the_wrong_length_is_a_value_error_as_for_a_list_of_values(bad, error):
    with pytest.raises(error, match=r"^xlim must be a pair \(low, high\) of finite numbers with low < high; got "):
        call(plots.pad_limits, {"ax": axes(), "xlim": bad, "ylim": (0.0, 1.0)})


# ----------------------------------------------------------------- extreme but valid values: results, no warnings

QUIET_CALLS = {
    "sign test, n = 1024": lambda: schedule_experiments.sign_test_p_value(500, 1024),
    "paired comparison of 1100 runs": lambda: schedule_experiments.paired_comparison(
        np.arange(1100.0) + 1, np.arange(1100.0) + 2),
    "rbf kernel, tiny lengthscale": lambda: bayes_opt.rbf_kernel([0.0, 1.0], [0.5], lengthscale=1e-300),
    "gp posterior, tiny lengthscale": lambda: bayes_opt.gp_posterior([0.0, 1.0], [0.0, 1.0], [0.5],
                                                                      lengthscale=1e-300),
    "expected improvement, huge xi": lambda: bayes_opt.expected_improvement(np.zeros(2), np.ones(2), 0.0,
                                                                             xi=1e300),
    "expected improvement, huge best": lambda: bayes_opt.expected_improvement(np.zeros(2), np.ones(2), 1e300),
    "bayes_opt, huge xi": lambda: bayes_opt.bayes_opt(lambda lrs: (np.log10(lrs) + 2) ** 2, 1e-4, 1.0,
                                                      n_iter=1, xi=1e300),
    "momentum rate at a huge rate": lambda: QUAD.momentum_rate(1e300, 0.5),
    "stability plot of a huge rate range": lambda: plots.stability_plot([1.0, 10.0], etas=[0.0, 1e300]),
    "stability plot of a million eigenvalues": lambda: plots.stability_plot(np.linspace(1.0, 10.0, 10**6)),
    "a diverged 1-D path": lambda: plots.trajectory_1d(VALLEY, [np.array([1.0, 1e200, -1e200, INF, NAN])]),
}


@pytest.mark.parametrize("name", list(QUIET_CALLS))
def test_an_extreme_valid_value_gives_a_finite_result_without_warnings(name):
    result = call(lambda: QUIET_CALLS[name](), {})
    values = [v for v in (result if isinstance(result, tuple) else (result,))
              if isinstance(v, (float, np.ndarray)) and np.asarray(v).dtype.kind == "f"]
    assert all(np.all(np.isfinite(v)) for v in values), result


# ----------------------------------------------------------------- the notebook-file modules
# (notebook_format, notebook_json, workspace, progress; the table has its own test functions)

import nbformat  # noqa: E402

from lrcourse import notebook_format, notebook_json, progress, workspace  # noqa: E402

ROOT = workspace.Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "exercises" / "source"
SOURCE_FILE = SOURCE_DIR / "01_gradient_descent" / "01_gradient_descent.ipynb"
SOURCE_NB = nbformat.read(SOURCE_FILE, as_version=4)
STUDENT_NB = notebook_format.make_student_notebook(SOURCE_NB)
GRADED_CELL = notebook_format.grade_cells(SOURCE_NB)[0]
NOT_A_NOTEBOOK = {"None": None, "string": "nb.ipynb", "number": 3, "cells not a list": {"cells": 3, "metadata": {}},
                  "a cell not a dict": {"cells": [3], "metadata": {}}}
NOT_A_CELL = {"None": None, "string": "x = 1", "number": 3, "no cell_type": {"metadata": {}}}
NOT_A_PATH = {"None": None, "number": 3, "empty": "", "list of numbers": [3], "array": np.array([1.0])}
NOT_TEXT = {"None": None, "number": 3, "list": ["a"]}
NOT_ARGV = {"number": 3, "string": "--check", "None entry": [None]}

# (label, function, valid keyword arguments or None when a valid call writes or runs notebooks,
#  {argument: bad-value family})
NOTEBOOK_FILE_CASES = [
    ("validate", notebook_format.validate, {"nb": SOURCE_NB},
     {"nb": NOT_A_NOTEBOOK, "name": NOT_TEXT, "source": BOOLEAN}),
    ("grade_cells", notebook_format.grade_cells, {"nb": SOURCE_NB}, {"nb": NOT_A_NOTEBOOK}),
    ("solution_lines", notebook_format.solution_lines, {"nb": SOURCE_NB}, {"nb": NOT_A_NOTEBOOK}),
    *[(function.__name__, function, {"cell": GRADED_CELL}, {"cell": NOT_A_CELL})
      for function in (notebook_format.nbgrader_metadata, notebook_format.is_grade,
                       notebook_format.is_solution, notebook_format.is_locked)],
    ("nbgrader_checksum", notebook_format.nbgrader_checksum, {"cell": GRADED_CELL},
     {"cell": {**NOT_A_CELL, "no nbgrader metadata": nbformat.v4.new_code_cell("x = 1")}}),
    ("make_student_notebook", notebook_format.make_student_notebook, {"source_nb": SOURCE_NB},
     {"source_nb": NOT_A_NOTEBOOK, "name": NOT_TEXT}),
    ("student_notebook_text", notebook_format.student_notebook_text, {"source_nb": SOURCE_NB},
     {"source_nb": NOT_A_NOTEBOOK, "name": NOT_TEXT}),
    ("source_notebooks", notebook_format.source_notebooks,
     {"source_dir": SOURCE_DIR, "names": ["01_gradient_descent"]},
     {"source_dir": NOT_A_PATH, "names": {"string": "01_gradient_descent", "number": 3, "None entry": [None]}}),
    ("release", notebook_format.release, None, {"dest_dir": NOT_A_PATH, "names": {"string": "01_x"}}),
    ("out_of_sync", notebook_format.out_of_sync, None, {"source_dir": NOT_A_PATH, "dest_dir": NOT_A_PATH}),
    ("leaks", notebook_format.leaks, {"student_nb": STUDENT_NB, "source_nb": SOURCE_NB},
     {"student_nb": NOT_A_NOTEBOOK, "source_nb": NOT_A_NOTEBOOK}),
    ("new_markdown_cell", notebook_format.new_markdown_cell, {"source": "text", "grade_id": "intro"},
     {"source": NOT_TEXT, "grade_id": {**NOT_TEXT, "empty": "", "space": "a b", "too long": "a" * 65}}),
    ("new_code_cell", notebook_format.new_code_cell,
     {"source": "check()", "grade_id": "check_it", "kind": "grade", "points": 2},
     {"source": NOT_TEXT, "grade_id": {**NOT_TEXT, "empty": "", "slash": "a/b"}, "kind": CHOICE,
      "points": without(POSITIVE, "list")}),
    ("notebook_format.main", notebook_format.main, None, {"argv": NOT_ARGV}),
    ("browser_stable", notebook_json.browser_stable, {"value": {"a": [1.0, "x", None]}},
     {"value": {"complex": 1j, "array": np.array([1.0]), "set": {1}, "nested complex": {"a": [1j]},
                "number key": {1: 2}}}),
    ("normalize", notebook_json.normalize, {"notebook": SOURCE_NB},
     {"notebook": {**NOT_A_NOTEBOOK, "complex metadata": {"cells": [], "metadata": {"x": 1j}}}}),
    ("notebook_json.write", notebook_json.write, None, {"notebook": NOT_A_NOTEBOOK, "path": NOT_A_PATH}),
    ("fingerprint", workspace.fingerprint, {"path": SOURCE_FILE},
     {"path": {**NOT_A_PATH, "not a notebook": ROOT / "README.md"}}),
    ("workspace_dir", workspace.workspace_dir, {"root": ROOT},
     {"root": {"number": 3, "empty": "", "not a course": ROOT / "docs"}}),
    ("prepare", workspace.prepare, None, {"root": {"number": 3, "empty": "", "not a course": ROOT / "docs"}}),
    ("workspace.main", workspace.main, None, {"argv": NOT_ARGV}),
    ("find_exercise_notebooks", progress.find_exercise_notebooks, {"paths_or_dir": ROOT / "exercises"},
     {"paths_or_dir": without(NOT_A_PATH, "None")}),
    ("saved_results", progress.saved_results, {"path": ROOT / "exercises" / SOURCE_FILE.name},
     {"path": NOT_A_PATH}),
    ("run_exercise", progress.run_exercise, None,
     {"path": NOT_A_PATH, "timeout": without(POSITIVE, "None"), "sandbox": CHOICE,
      "workers": without(POSITIVE_INT, "None"), "verbose": BOOLEAN, "limits": {"dict": {}, "number": 3}}),
    ("progress", progress.progress, None,
     {"paths_or_dir": without(NOT_A_PATH, "None"), "timeout": without(POSITIVE, "None"), "sandbox": CHOICE,
      "workers": without(POSITIVE_INT, "None"), "verbose": BOOLEAN, "limits": {"dict": {}, "number": 3}}),
    ("progress.main", progress.main, None, {"argv": NOT_ARGV}),
]
#: Values a message shows by what is wrong with them: (case, argument, family) -> text.
NOTEBOOK_FILE_SHOWN_AS = {
    ("nbgrader_checksum", "cell", "no nbgrader metadata"): "nbgrader metadata {}",
    ("browser_stable", "value", "nested complex"): "1j",
    ("browser_stable", "value", "number key"): "got 1",
    ("normalize", "notebook", "complex metadata"): "1j",
    ("fingerprint", "path", "not a notebook"): "README.md",
    ("workspace_dir", "root", "not a course"): "docs",
    ("prepare", "root", "not a course"): "docs",
}
#: Arguments a valid call needs besides the one made bad (the file's cases start from these).
NOTEBOOK_FILE_DEFAULTS = {
    "release": {"source_dir": SOURCE_DIR, "dest_dir": ROOT / "no-such-folder"},
    "out_of_sync": {"source_dir": SOURCE_DIR, "dest_dir": ROOT / "exercises"},
    "notebook_json.write": {"notebook": SOURCE_NB, "path": ROOT / "no-such-folder" / "x.ipynb"},
    "run_exercise": {"path": ROOT / "exercises" / SOURCE_FILE.name},
    "progress": {"paths_or_dir": ROOT / "exercises"},
}


#: A notebook or cell of the wrong shape is shown by its keys (its text can be long).
NOTEBOOK_FAMILY_SHOWN_AS = {"cells not a list": "a dict with the keys ['cells', 'metadata']",
                            "a cell not a dict": "got 3", "no cell_type": "a dict with the keys ['metadata']"}


def _shown_as(label, argument, family_name, bad):
    special = NOTEBOOK_FILE_SHOWN_AS.get((label, argument, family_name),
                                         NOTEBOOK_FAMILY_SHOWN_AS.get(family_name))
    return [special] if special else shown(bad)


NOTEBOOK_FILE_BAD_CALLS = [
    pytest.param(function, {**(valid or NOTEBOOK_FILE_DEFAULTS.get(label, {}))}, argument, bad,
                 _shown_as(label, argument, family_name, bad), id=f"{label}-{argument}-{family_name}")
    for label, function, valid, arguments in NOTEBOOK_FILE_CASES
    for argument, family in arguments.items()
    for family_name, bad in family.items()
]


@pytest.mark.parametrize("label, function, valid", [(c[0], c[1], c[2]) for c in NOTEBOOK_FILE_CASES
                                                    if c[2] is not None], ids=lambda v: v if isinstance(v, str) else "")
def test_a_notebook_file_function_accepts_its_valid_call(label, function, valid):
    call(function, valid)


@pytest.mark.parametrize("function, valid, argument, bad, shown_as", NOTEBOOK_FILE_BAD_CALLS)
def test_a_notebook_file_function_refuses_a_bad_value_naming_the_parameter_and_the_value(
        function, valid, argument, bad, shown_as, monkeypatch):
    monkeypatch.setenv(progress.RUNNING_FLAG, "1")  # progress() runs nothing, whatever it is given
    with pytest.raises((ValueError, TypeError)) as info:
        call(function, {**valid, argument: bad})
    message = str(info.value)
    head = message.split(" must be ")[0]
    assert " must be " in message and (head == argument or head.startswith((f"{argument}[", f"{argument}.",
                                                                             f"{argument}'"))), message
    assert any(text in message for text in shown_as), f"{bad!r} not shown in: {message}"
