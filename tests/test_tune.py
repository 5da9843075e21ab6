"""Tests of lrcourse.tune: sweeps, grid and random search, successive halving, the
LR finder and its suggestion rules.

Oracles: the optimal fixed step 2/(λ_min + λ_max) of GD on a quadratic, separate
runs of lrcourse.train.run, explicit formulas (ramp, bias-corrected EMA, stop rule)
and synthetic loss curves whose suggestions are known by construction.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrcourse import optim, tune
from lrcourse.train import run
from lrcourse.tune import (SUGGESTION_RULES, exponential_ramp, finder_stop_index, grid_search,
                           log_uniform, lr_finder, lr_sweep, minimum, random_search,
                           smooth_losses, steepest, successive_halving, valley)


class DiagonalQuadratic:
    """f(x) = ½ Σ λ_i x_i², vectorised over leading axes; optimal GD step 2/(λ_min+λ_max)."""

    name = "diagonal quadratic"

    def __init__(self, eigenvalues=(1.0, 10.0)):
        self.eigenvalues = np.asarray(eigenvalues, dtype=float)
        self.dim = self.eigenvalues.size

    def loss(self, x):
        return 0.5 * np.sum(self.eigenvalues * x * x, axis=-1)

    def grad(self, x):
        return self.eigenvalues * x

    def init(self, seed=0):
        return np.ones(self.dim)


class WithValidation(DiagonalQuadratic):
    """The same quadratic, with a 'validation' loss centred elsewhere."""

    def val_loss(self, x):
        return 0.5 * np.sum(self.eigenvalues * (x - 0.1) ** 2, axis=-1)


# ----------------------------------------------------------------------------------
# sweeps
# ----------------------------------------------------------------------------------

def test_sweep_is_one_vectorised_run_with_lr_of_shape_k_by_1():
    problem = DiagonalQuadratic()
    lrs = np.geomspace(1e-3, 0.5, 9)
    sweep = lr_sweep(problem, optim.SGD, lrs, 50, optimizer_kwargs={"momentum": 0.5})
    reference = run(problem, optim.SGD(lr=lrs[:, None], momentum=0.5), problem.init(), 50)
    np.testing.assert_array_equal(sweep.lrs, lrs)
    np.testing.assert_array_equal(sweep.run.loss, reference.loss)
    np.testing.assert_array_equal(sweep.final_loss, reference.final_loss)
    np.testing.assert_array_equal(sweep.diverged, reference.diverged)
    np.testing.assert_array_equal(sweep.diverged_at, reference.diverged_at)
    np.testing.assert_array_equal(sweep.best_loss, reference.best_loss)
    assert sweep.final_val_loss is None


def test_sweep_best_lr_is_close_to_the_optimal_fixed_step():
    problem = DiagonalQuadratic((1.0, 10.0))          # optimal step 2/11 ≈ 0.1818
    sweep = lr_sweep(problem, optim.SGD, np.linspace(0.1, 0.25, 151), 300)
    assert abs(sweep.best_lr - 2 / 11) <= 0.002
    # above 2/λ_max = 0.2 the error grows like |1 − 10η|^t: past 1e4× within 300 steps
    # once η ≥ 0.202; below 0.2 nothing diverges
    assert sweep.diverged[sweep.lrs >= 0.202].all()
    assert not sweep.diverged[sweep.lrs < 0.2].any()
    assert np.isnan(sweep.final_loss[sweep.diverged]).all()


def test_pick_by_each_criterion_and_ties_go_to_the_smaller_lr():
    problem = WithValidation()
    sweep = lr_sweep(problem, optim.SGD, [0.01, 0.05, 0.1, 0.15, 0.5], 40)
    finite = ~sweep.diverged
    for by, score in (("final_loss", sweep.final_loss), ("best_loss", sweep.best_loss),
                      ("val_loss", sweep.final_val_loss)):
        expected = sweep.lrs[finite][np.argmin(score[finite])]
        assert sweep.pick(by) == expected
    np.testing.assert_allclose(sweep.final_val_loss[finite], problem.val_loss(sweep.run.x[finite]))
    tied = lr_sweep(problem, optim.SGD, [0.3, 0.3], 5)  # identical runs
    assert tied.best_lr == 0.3


def test_pick_raises_when_every_run_diverged():
    sweep = lr_sweep(DiagonalQuadratic(), optim.SGD, [1.0, 2.0], 60)
    assert sweep.diverged.all()
    with pytest.raises(ValueError, match="lrs must be a range where at least one run does not diverge"):
        sweep.best_lr
    assert "2 diverged" in sweep.summary()


def test_grid_search_is_log_spaced_with_both_ends():
    sweep = grid_search(DiagonalQuadratic(), optim.SGD, 1e-3, 1e-1, 5, 3)
    np.testing.assert_allclose(sweep.lrs, [1e-3, 10**-2.5, 1e-2, 10**-1.5, 1e-1], rtol=1e-14)


def test_log_uniform_is_seeded_sorted_in_range_and_uniform_in_log():
    a = log_uniform(20000, 1e-5, 1e-1, seed=7)
    np.testing.assert_array_equal(a, log_uniform(20000, 1e-5, 1e-1, seed=7))
    assert not np.array_equal(a, log_uniform(20000, 1e-5, 1e-1, seed=8))
    assert np.all(np.diff(a) >= 0) and a[0] >= 1e-5 and a[-1] <= 1e-1
    # every decade gets a quarter of the samples (binomial sd ≈ 0.003)
    shares = np.histogram(np.log10(a), bins=[-5, -4, -3, -2, -1])[0] / a.size
    np.testing.assert_allclose(shares, 0.25, atol=0.015)
    # exactly exp(U(log low, log high)) from default_rng(seed), sorted
    rng = np.random.default_rng(3)
    expected = np.sort(np.exp(rng.uniform(np.log(1e-4), np.log(1.0), size=10)))
    np.testing.assert_array_equal(log_uniform(10, 1e-4, 1.0, seed=3), expected)


def test_random_search_uses_the_seeded_log_uniform_draw():
    sweep = random_search(DiagonalQuadratic(), optim.SGD, 6, 1e-3, 0.3, 20, seed=4)
    np.testing.assert_array_equal(sweep.lrs, log_uniform(6, 1e-3, 0.3, seed=4))
    again = random_search(DiagonalQuadratic(), optim.SGD, 6, 1e-3, 0.3, 20, seed=4)
    np.testing.assert_array_equal(sweep.final_loss, again.final_loss)


# ----------------------------------------------------------------------------------
# successive halving
# ----------------------------------------------------------------------------------

def test_successive_halving_rounds_budget_and_winner():
    problem = DiagonalQuadratic((1.0, 10.0))
    lrs = np.geomspace(1e-3, 0.3, 27)
    result = successive_halving(problem, optim.SGD, lrs, 5, eta=3)
    assert [r.lrs.size for r in result.rounds] == [27, 9, 3, 1]
    assert [r.steps for r in result.rounds] == [5, 15, 45, 135]
    assert result.total_steps == 27 * 5 + 9 * 10 + 3 * 30 + 1 * 90
    for before, after in zip(result.rounds, result.rounds[1:]):
        np.testing.assert_array_equal(before.lrs[before.kept], after.lrs)
        kept_scores = before.score[before.kept]
        dropped = before.score[~before.kept]
        assert np.nanmax(kept_scores) <= np.nanmin(np.where(np.isnan(dropped), np.inf, dropped))
    assert result.best_lr == result.rounds[-1].lrs[0]
    assert abs(np.log(result.best_lr / (2 / 11))) < np.log(1.4)  # within a grid ratio or so
    assert "27 → 9 → 3 → 1" in result.summary()


@pytest.mark.parametrize("optimizer_cls, kwargs", [(optim.Adam, {}),
                                                   (optim.SGD, {"momentum": 0.9})])
def test_survivors_continue_exactly_where_they_were(optimizer_cls, kwargs):
    # carrying parameters and optimizer state over gives the same iterates as one long run
    problem = DiagonalQuadratic((1.0, 10.0, 0.3))
    lrs = np.geomspace(1e-3, 0.1, 9)
    result = successive_halving(problem, optimizer_cls, lrs, 4, eta=3, optimizer_kwargs=kwargs)
    for r in result.rounds:
        alone = run(problem, optimizer_cls(lr=r.lrs[:, None], **kwargs), problem.init(), r.steps)
        np.testing.assert_allclose(r.run.x, alone.x, rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(r.score, alone.final_loss, rtol=1e-12, atol=1e-300)


def test_successive_halving_can_rank_by_validation_loss():
    problem = WithValidation()
    result = successive_halving(problem, optim.SGD, np.geomspace(1e-3, 0.15, 4), 3, eta=2,
                                metric="val_loss")
    first = result.rounds[0]
    np.testing.assert_allclose(first.score, problem.val_loss(first.run.x))
    assert result.metric == "val_loss"


# ----------------------------------------------------------------------------------
# LR finder: ramp, smoothing, stop rule
# ----------------------------------------------------------------------------------

def test_exponential_ramp_formula():
    lrs = exponential_ramp(1e-7, 10.0, 100)
    i = np.arange(100)
    np.testing.assert_allclose(lrs, 1e-7 * (10.0 / 1e-7) ** (i / 99), rtol=1e-13)
    assert lrs[0] == 1e-7
    np.testing.assert_allclose(lrs[-1], 10.0, rtol=1e-13)      # gamma^99: rounding of the ratio
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)
    np.testing.assert_allclose(exponential_ramp(1.0, 4.0, 3), [1.0, 2.0, 4.0], rtol=1e-15)


def test_smoothing_is_a_bias_corrected_ema():
    np.testing.assert_allclose(smooth_losses(np.full(50, 3.7), 0.98), 3.7, rtol=1e-13)
    # by hand, β = 0.5: avg = 0.5, 1.25 → smoothed = 0.5/0.5, 1.25/0.75
    np.testing.assert_allclose(smooth_losses([1.0, 2.0], 0.5), [1.0, 5 / 3], rtol=1e-15)
    losses = np.random.default_rng(0).uniform(1, 2, 30)
    np.testing.assert_array_equal(smooth_losses(losses, 0.0), losses)
    avg, expected = 0.0, []
    for i, loss in enumerate(losses):
        avg = 0.9 * avg + 0.1 * loss
        expected.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(smooth_losses(losses, 0.9), expected, rtol=1e-14)
    assert np.isnan(smooth_losses([1.0, np.nan, 1.0], 0.9)[1:]).all()


def test_stop_rule():
    assert finder_stop_index([3.0, 2.0, 1.0, 2.0, 3.9, 4.1], 4.0) == 5
    assert finder_stop_index([3.0, 2.0, 1.0, 2.0, 4.0], 4.0) is None      # strictly above
    assert finder_stop_index([3.0, 2.0, 1.0, 2.1], 2.0) == 3
    assert finder_stop_index([1.0, np.inf, 0.5], 4.0) == 1
    assert finder_stop_index([1.0, np.nan], 4.0) == 1
    assert finder_stop_index([5.0, 4.0, 3.0], 4.0) is None


def test_finder_trains_on_the_ramp_and_cuts_at_the_stop():
    problem = DiagonalQuadratic((1.0, 10.0))
    result = lr_finder(problem, optim.SGD, start_lr=1e-4, end_lr=10, num_steps=80)
    ramp = exponential_ramp(1e-4, 10, 80)
    stop = result.stopped_at
    assert stop is not None
    np.testing.assert_allclose(result.run.lr[: stop + 1, 0], ramp[: stop + 1], rtol=1e-14)
    np.testing.assert_allclose(result.lrs, ramp[: stop + 1], rtol=1e-14)
    np.testing.assert_array_equal(result.losses, result.run.loss[: stop + 1, 0])
    np.testing.assert_allclose(result.smoothed, smooth_losses(result.losses, 0.98), rtol=1e-15)
    assert stop == finder_stop_index(smooth_losses(result.run.loss[:, 0], 0.98), 4.0)
    # GD on this quadratic diverges above 2/λ_max = 0.2; the test stops beyond it, and
    # every suggestion lies below it
    assert result.lrs[stop] > 0.2
    assert set(result.suggestions) == set(SUGGESTION_RULES)
    assert all(1e-4 <= lr < 0.2 for lr in result.suggestions.values())
    assert result.suggestion == result.suggestions["valley"]
    assert result.suggest("minimum") == result.suggestions["minimum"]
    assert result.suggest(lambda lrs, losses: lrs[0]) == 1e-4
    assert "stopped at step" in repr(result)


def test_finder_that_never_stops_keeps_the_whole_ramp():
    result = lr_finder(DiagonalQuadratic(), optim.SGD, start_lr=1e-6, end_lr=1e-2, num_steps=30)
    assert result.stopped_at is None
    assert result.lrs.size == result.losses.size == result.smoothed.size == 30
    assert "without stopping" in result.summary()


def test_finder_with_a_rule_that_cannot_apply_explains_why():
    # the loss only rises from the first step on: no valley
    result = lr_finder(DiagonalQuadratic(), optim.SGD, start_lr=1.0, end_lr=100, num_steps=20,
                       beta=0.0)
    assert result.stopped_at is not None and result.stopped_at <= 3
    with pytest.raises(ValueError, match="rule must be a rule that could be applied"):
        result.suggestion
    assert "valley" in result.failed_rules


# ----------------------------------------------------------------------------------
# suggestion rules on curves with known answers
# ----------------------------------------------------------------------------------

LRS = np.logspace(-6, 0, 61)                  # log10(lr) = −6, −5.9, …, 0


def test_steepest_is_where_the_loss_falls_fastest_in_log_lr():
    losses = 2.0 - np.tanh(2.0 * (np.log10(LRS) + 3.0))   # fastest fall at lr = 1e-3
    np.testing.assert_allclose(steepest(LRS, losses), 1e-3, rtol=1e-12)
    losses = 2.0 - np.tanh(2.0 * (np.log10(LRS) + 4.5))
    np.testing.assert_allclose(steepest(LRS, losses), 10**-4.5, rtol=1e-12)


def test_minimum_is_a_tenth_of_the_rate_at_the_lowest_loss():
    losses = (np.log10(LRS) + 2.0) ** 2 + 1.0            # lowest at lr = 1e-2
    np.testing.assert_allclose(minimum(LRS, losses), 1e-3, rtol=1e-12)


def test_valley_two_thirds_down_the_longest_descent():
    descent = np.r_[np.linspace(5, 1, 41), np.linspace(1.5, 9, 20)]   # falls over 0..40
    np.testing.assert_allclose(valley(LRS, descent), LRS[26], rtol=0)  # 0 + ⌊2·40/3⌋
    plateau = np.r_[np.full(10, 5.0), np.linspace(4.9, 1, 30), np.linspace(2, 9, 21)]
    np.testing.assert_allclose(valley(LRS, plateau), LRS[9 + 20], rtol=0)  # valley 9..39
    bumpy = descent.copy()
    bumpy[20] = bumpy[19] + 0.01                                        # a bump is skipped
    np.testing.assert_allclose(valley(LRS, bumpy), LRS[26], rtol=0)
    # the longest of two valleys wins
    two = np.r_[np.linspace(3, 2, 6), np.linspace(8, 1, 30), np.linspace(2, 9, 25)]
    np.testing.assert_allclose(valley(LRS, two), LRS[6 + 19], rtol=0)     # 6 + ⌊2·29/3⌋


def test_rules_registry():
    assert SUGGESTION_RULES == {"steepest": steepest, "minimum": minimum, "valley": valley}


@pytest.mark.parametrize("rule", [steepest, minimum, valley])
def test_rules_reject_curves_they_cannot_read(rule):
    with pytest.raises(ValueError, match="lrs must be a 1-D array of at least 2"):
        rule([1e-3], [1.0])
    with pytest.raises(ValueError, match="losses must be an array of the shape of lrs"):
        rule([1e-3, 1e-2], [1.0, 2.0, 3.0])
    accepted = r"lrs must be a strictly increasing array of positive finite learning rates; got array\("
    with pytest.raises(ValueError, match=accepted):
        rule([1e-2, 1e-3], [1.0, 0.5])
    with pytest.raises(ValueError, match=accepted):
        rule([0.0, 1e-3], [1.0, 0.5])
    with pytest.raises(ValueError, match="losses must be an array of finite losses; got .*drop the points"):
        rule([1e-3, 1e-2], [1.0, np.nan])


def test_valley_needs_a_decrease():
    with pytest.raises(ValueError, match="losses must be a curve that decreases somewhere"):
        valley([1e-3, 1e-2, 1e-1], [1.0, 2.0, 3.0])


# ----------------------------------------------------------------------------------
# argument validation: every bad input names its parameter
# ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(start_lr=1.0, end_lr=0.1), ValueError, "end_lr must be greater than start_lr=1.0.*try start_lr"),
    (dict(start_lr=0.0), ValueError, "start_lr must be a positive finite number"),
    (dict(end_lr=np.inf), ValueError, "end_lr must be a positive finite number"),
    (dict(num_steps=1), ValueError, r"num_steps must be an integer in \[2, 1000000\]; got 1"),
    (dict(num_steps=10.0), TypeError, "num_steps must be an integer"),
    (dict(beta=1.0), ValueError, r"beta must be a number in \[0, 1\); got 1.0"),
    (dict(beta=-0.1), ValueError, r"beta must be a number in \[0, 1\)"),
    (dict(diverge_threshold=1.0), ValueError, "diverge_threshold must be a finite number > 1"),
    (dict(rule="steep"), ValueError, "rule must be one of 'steepest', 'minimum', 'valley'; got 'steep'"),
    (dict(seed=-2), ValueError, "seed must be a non-negative integer"),
    (dict(optimizer_kwargs={"lr": 0.1}), ValueError, "optimizer_kwargs must be free of 'lr'"),
    (dict(optimizer_kwargs=[("momentum", 0.9)]), TypeError, "optimizer_kwargs must be a dict"),
    (dict(x0=np.ones((2, 2))), ValueError, r"x0 must be a single start point of shape \(dim,\)"),
])
def test_finder_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        lr_finder(DiagonalQuadratic(), optim.SGD, **kwargs)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda p: lr_sweep(p, optim.SGD, [], 5), ValueError, "lrs must be a 1-D array of 1 to 100000 positive"),
    (lambda p: lr_sweep(p, optim.SGD, [[0.1]], 5), ValueError, "lrs must be a 1-D array"),
    (lambda p: lr_sweep(p, optim.SGD, [0.1, -0.1], 5), ValueError, "the first bad entry is -0.1"),
    (lambda p: lr_sweep(p, optim.SGD, [0.1, np.nan], 5), ValueError, "lrs must be a 1-D array"),
    (lambda p: lr_sweep(p, optim.SGD, "fast", 5), TypeError, "lrs must be an array of real numbers"),
    (lambda p: lr_sweep(p, optim.SGD, [0.1], 0), ValueError, r"steps must be an integer in \[1, 1000000\]"),
    (lambda p: lr_sweep(p, optim.SGD, [0.1], 5, momentum=0.9), TypeError,
     r"momentum must be a keyword lr_sweep\(\) knows.*optimizer_kwargs=\{'momentum': ...\}"),
    (lambda p: lr_sweep(p, "SGD", [0.1], 5), TypeError, "optimizer_cls must be an optimizer class"),
    (lambda p: lr_sweep(p, optim.SGD, [0.1], 5, optimizer_kwargs={"momentum": -1}), ValueError,
     "momentum must be"),
    (lambda p: grid_search(p, optim.SGD, 1.0, 0.1, 5, 5), ValueError, "high must be greater than low"),
    (lambda p: grid_search(p, optim.SGD, 0.0, 0.1, 5, 5), ValueError, "low must be a positive"),
    (lambda p: grid_search(p, optim.SGD, 0.01, 0.1, 1, 5), ValueError, r"num must be an integer in \[2, 100000\]"),
    (lambda p: random_search(p, optim.SGD, 0, 0.01, 0.1, 5), ValueError, r"n must be an integer in \[1, 100000\]"),
    (lambda p: random_search(p, optim.SGD, 3, 0.1, 0.1, 5), ValueError, "high must be greater than low"),
    (lambda p: random_search(p, optim.SGD, 3, 0.01, 0.1, 5, seed=1.5), TypeError, "seed must be"),
    (lambda p: successive_halving(p, optim.SGD, [0.1, 0.2], 0), ValueError,
     r"min_steps must be an integer in \[1, 1000000\]"),
    (lambda p: successive_halving(p, optim.SGD, [0.1, 0.2], 3, eta=1), ValueError,
     "eta must be an integer ≥ 2"),
    (lambda p: successive_halving(p, optim.SGD, [0.1, 0.2], 3, metric="val_loss"), ValueError,
     "metric must be 'final_loss' for a problem without val_loss"),
    (lambda p: successive_halving(p, optim.SGD, [0.1, 0.2], 3, metric="loss"), ValueError,
     "metric must be one of"),
    (lambda p: successive_halving(p, optim.SGD, [1.0, 2.0], 40), ValueError,
     "all diverged in round 0"),
])
def test_search_bad_arguments(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(DiagonalQuadratic())


def test_pick_bad_criterion():
    sweep = lr_sweep(DiagonalQuadratic(), optim.SGD, [0.1], 3)
    with pytest.raises(ValueError, match="by must be one of 'final_loss', 'best_loss', 'val_loss'"):
        sweep.pick("loss")
    with pytest.raises(ValueError, match="by must be 'final_loss' or 'best_loss' for a problem without"):
        sweep.pick("val_loss")


def test_smoothing_and_stop_rule_arguments():
    with pytest.raises(ValueError, match=r"beta must be a number in \[0, 1\)"):
        smooth_losses([1.0], 1.5)
    with pytest.raises(ValueError, match="losses must be a 1-D array"):
        smooth_losses(np.ones((2, 2)))
    with pytest.raises(ValueError, match="diverge_threshold must be a finite number > 1"):
        finder_stop_index([1.0], 0.5)
    with pytest.raises(ValueError, match=r"num_steps must be an integer in \[2, 1000000\]"):
        exponential_ramp(1e-3, 1.0, 1)


# ----------------------------------------------------------------------------------
# the real problems
# ----------------------------------------------------------------------------------

def test_sweep_on_a_rotated_quadratic_finds_its_optimal_lr():
    from lrcourse.problems import Quadratic

    problem = Quadratic([0.5, 8.0], angle=1.0)
    lrs = np.linspace(0.5, 1.5, 201) * problem.optimal_lr
    sweep = lr_sweep(problem, optim.SGD, lrs, 300)
    assert abs(sweep.best_lr / problem.optimal_lr - 1) < 0.01
    np.testing.assert_array_equal(sweep.diverged, lrs > problem.stability_limit * 1.01)


def test_finder_on_digits_softmax_suggests_rates_that_train_well():
    from lrcourse.problems import SoftmaxRegression

    problem = SoftmaxRegression()
    finder = lr_finder(problem, optim.SGD, end_lr=1e3, batch_size=64)
    assert finder.stopped_at is not None
    stop_lr = finder.lrs[finder.stopped_at]
    assert set(finder.suggestions) == {"steepest", "minimum", "valley"}
    assert all(1e-7 < lr < stop_lr for lr in finder.suggestions.values())
    # each suggestion trains far better than the ramp's start, and generalises better
    # than the rate at which the test stopped (which still fits the training set:
    # softmax regression is convex)
    candidates = np.r_[1e-7, sorted(finder.suggestions.values()), stop_lr]
    sweep = lr_sweep(problem, optim.SGD, candidates, 200, batch_size=64)
    assert np.all(sweep.final_loss[1:-1] < 0.5 * sweep.final_loss[0])
    assert np.all(sweep.final_val_loss[1:-1] < 0.5 * sweep.final_val_loss[-1])
    assert sweep.pick("val_loss") in finder.suggestions.values()


def test_successive_halving_on_digits_with_minibatches():
    from lrcourse.problems import SoftmaxRegression

    result = successive_halving(SoftmaxRegression(), optim.Adam, np.geomspace(1e-4, 10, 9), 10,
                                eta=3, batch_size=64, metric="val_loss")
    assert [r.lrs.size for r in result.rounds] == [9, 3, 1]
    assert 1e-3 <= result.best_lr <= 1.0


@pytest.mark.parametrize("call", [
    lambda: tune.lr_sweep(None, optim.SGD, [0.1], 3),
    lambda: tune.grid_search(None, optim.SGD, 0.01, 0.1, 3, 3),
    lambda: tune.random_search(None, optim.SGD, 3, 0.01, 0.1, 3),
    lambda: tune.successive_halving(None, optim.SGD, [0.01, 0.1], 2),
    lambda: tune.lr_finder(None, optim.SGD, num_steps=10),
])
def test_the_searches_check_the_problem_like_run(call):
    with pytest.raises(TypeError, match=r"^problem must be an object with loss\(x\) and grad\(x\) methods.*got None"):
        call()


def test_successive_halving_refuses_an_eta_whose_last_round_is_too_long():
    with pytest.raises(ValueError, match=r"eta must be small enough .*got 1000000000\. with min_steps=2 and 3 rates "
                                         r"the last round \(round 1\) would train 2000000000 steps"):
        tune.successive_halving(DiagonalQuadratic(), optim.SGD, [0.01, 0.03, 0.1], 2, eta=10**9)


def test_finder_stop_index_wants_a_curve():
    with pytest.raises(ValueError, match=r"smoothed must be a 1-D array \(a smoothed loss curve\); got 1.0"):
        finder_stop_index(1.0)
