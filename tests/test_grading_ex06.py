"""Exercise 06's checks: the range test, suggestion rules, clipping and log-uniform search.

Right implementations are written differently from the references (other ramp
formulas, smoothing from explicit weights, the library itself, np.linalg.norm, other
samplers); wrong ones are the mistakes the lesson discusses.
"""

import itertools
import math
import re

import numpy as np
import pytest
from grading_support import (
    BROKEN_CODE, accepts, assert_variants_differ, part_id, points_table, rejects, rejects_broken,
)

from lrcourse import optim, tune
from lrcourse.grading import CheckFailed, ex06


# ---------------------------------------------------------------------------
# lr_range_test
# ---------------------------------------------------------------------------

def range_test_loop(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    x, avg, best, smoothed = x0, 0.0, np.inf, []
    for i in range(num_steps):
        loss = problem.loss(x)
        avg = beta * avg + (1 - beta) * loss
        smoothed.append(avg / (1 - beta ** (i + 1)))
        if not np.isfinite(smoothed[-1]) or smoothed[-1] > diverge_threshold * best:
            break
        best = min(best, smoothed[-1])
        x = x - lrs[i] * problem.grad(x)
    return lrs[:len(smoothed)], np.array(smoothed)


def range_test_weights(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    # the smoothed loss from explicit weights (1 − β)·β^(i−j) / (1 − β^(i+1)), and the
    # stop rule as "smoothed > threshold · min of the whole curve so far"
    ratio = (end_lr / start_lr) ** (1 / (num_steps - 1))
    x, losses, lrs, smoothed = x0.copy(), [], [], []
    lr = start_lr
    for i in range(num_steps):
        losses.append(float(problem.loss(x)))
        weights = (1 - beta) * beta ** np.arange(i, -1, -1.0)
        smoothed.append(np.dot(weights, losses) / (1 - beta ** (i + 1)) if beta > 0 else losses[-1])
        lrs.append(start_lr * ratio ** i if i < num_steps - 1 else end_lr)
        if not np.isfinite(smoothed[-1]) or smoothed[-1] > diverge_threshold * min(smoothed):
            break
        x = x - lr * problem.grad(x)
        lr *= ratio
    return np.array(lrs), np.array(smoothed)


def range_test_library(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    result = tune.lr_finder(problem, optim.SGD, start_lr=start_lr, end_lr=end_lr,
                            num_steps=num_steps, beta=beta, diverge_threshold=diverge_threshold, x0=x0)
    return result.lrs, result.smoothed


def range_test_in_place(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    avg, best, smoothed = 0.0, np.inf, []
    for i in range(num_steps):
        avg = beta * avg + (1 - beta) * problem.loss(x0)
        smoothed.append(avg / (1 - beta ** (i + 1)))
        if smoothed[-1] > diverge_threshold * best:
            break
        best = min(best, smoothed[-1])
        x0 -= lrs[i] * problem.grad(x0)
    return lrs[:len(smoothed)], np.array(smoothed)


def variant(**switches):
    return ex06._range_test_variant(**switches)


def range_test_no_finite_check(problem, x0, start_lr, end_lr, num_steps, beta=0.98,
                               diverge_threshold=4.0):
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    x, avg, best, smoothed = x0, 0.0, np.inf, []
    for i in range(num_steps):
        avg = beta * avg + (1 - beta) * problem.loss(x)
        smoothed.append(avg / (1 - beta ** (i + 1)))
        if smoothed[-1] > diverge_threshold * best:
            break
        best = min(best, smoothed[-1])
        x = x - lrs[i] * problem.grad(x)
    return lrs[:len(smoothed)], np.array(smoothed)


RIGHT_RANGE_TEST = [range_test_loop, range_test_weights, range_test_library]


def range_test_stops_on_tie(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    """Trial 4567 (accepted before): `>=` where the rule says "exceeds"."""
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    x, avg, best, out = x0.copy(), 0.0, np.inf, []
    for i in range(num_steps):
        avg = beta * avg + (1 - beta) * float(problem.loss(x))
        out.append(avg / (1 - beta ** (i + 1)))
        if not np.isfinite(out[-1]) or out[-1] >= diverge_threshold * best:
            break
        best = min(best, out[-1])
        x = x - lrs[i] * problem.grad(x)
    return lrs[:len(out)], np.array(out)


WRONG_RANGE_TEST = [
    (range_test_stops_on_tie, "stops_on_a_tie", "*exceeds*"),
    (variant(ramp="fastai"), "ramp_divides_by_num_steps", "one ratio short"),
    (variant(ramp="linear"), "linear_ramp", "grow linearly"),
    (variant(smoothing="uncorrected"), "no_bias_correction", "not bias-corrected"),
    (variant(smoothing="raw"), "not_smoothed", "raw losses"),
    (variant(smoothing="beta_swapped"), "beta_swapped", "swapped"),
    (variant(stop="first"), "compared_with_first_loss", "*first* loss"),
    (variant(stop="never"), "never_stops", "never stops"),
    (variant(keep_stop=False), "stop_step_dropped", "one step early"),
    (variant(loss_after=True), "loss_after_step", "after each step"),
    (range_test_in_place, "mutated_input", "changed its input x0 in place"),
    (lambda *a: (range_test_loop(*a)[0], range_test_loop(*a)[1][:-1]), "lengths_differ", "same step"),
    (lambda *a: range_test_loop(*a)[1], "wrong_type", "a tuple (lrs, smoothed)"),
    # issue 9: no "not finite" stop, on a loss that turns NaN before it exceeds 4× the best
    (variant(stop="no_finite_check"), "no_finite_stop", "NaN > 4 × best is False"),
    (range_test_no_finite_check, "no_finite_stop", "not stop when the smoothed loss is not finite"),
    # issue 9: the exercise asks for two 1-D arrays (the next cell reads lrs.size)
    (lambda *a: tuple(list(v) for v in range_test_loop(*a)), "returned_list", "lrs.size"),
]


@pytest.mark.parametrize("impl", RIGHT_RANGE_TEST)
def test_lr_range_test_accepts(impl, capsys):
    accepts(ex06.check_lr_range_test, impl, capsys, "lr_range_test", 3)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_RANGE_TEST)
def test_lr_range_test_rejects(impl, mistake, phrase):
    rejects(ex06.check_lr_range_test, impl, mistake, phrase)


def test_range_cases_cover_both_endings():
    """Some cases stop on the 4× rule, others run the whole ramp (the check sees both)."""
    for cases in (ex06.LR_RANGE_TEST.cases, ex06.LR_RANGE_TEST.hidden_cases):
        lengths = [(ex06._lr_range_test(*c.args.values())[0].size, c.args["num_steps"]) for c in cases]
        assert any(n < total for n, total in lengths)
        assert any(n == total for n, total in lengths)


# ---------------------------------------------------------------------------
# suggest_lr
# ---------------------------------------------------------------------------

def suggest_manual(lrs, losses, rule):
    keep = np.isfinite(losses)  # the stop's NaN or inf, if the range test stopped on one
    lrs, losses = lrs[keep], losses[keep]
    if rule == "minimum":
        return lrs[losses == losses.min()][0] * 0.1
    u = np.log(lrs)
    slope = np.empty_like(losses)
    slope[0] = (losses[1] - losses[0]) / (u[1] - u[0])
    slope[-1] = (losses[-1] - losses[-2]) / (u[-1] - u[-2])
    slope[1:-1] = (losses[2:] - losses[:-2]) / (u[2:] - u[:-2])
    return lrs[np.argmin(slope)]


def finite_part(lrs, losses):
    n = np.argmax(~np.isfinite(np.append(losses, np.nan)))  # up to the first non-finite
    return lrs[:n], losses[:n]


def suggest_nan_functions(lrs, losses, rule):
    """np.nanargmin after turning ±inf into NaN: another way to skip the stop's point."""
    losses = np.where(np.isfinite(losses), losses, np.nan)
    if rule == "minimum":
        return lrs[np.nanargmin(losses)] / 10
    n = np.count_nonzero(np.isfinite(losses))
    return lrs[np.argmin(np.gradient(losses[:n], np.log10(lrs[:n])))]


RIGHT_SUGGEST = [
    lambda lrs, losses, rule: (tune.steepest if rule == "steepest" else tune.minimum)(*finite_part(lrs, losses)),
    suggest_manual,
    lambda lrs, losses, rule: (lambda l, v: l[np.argmin(np.gradient(v))] if rule == "steepest"
                               else l[np.argmin(v)] / 10)(*finite_part(lrs, losses)),
    # a one-element array is a number too
    lambda lrs, losses, rule: (lambda l, v: l[[np.argmin(np.gradient(v, np.log10(l)))]] if rule == "steepest"
                               else l[v.argmin(keepdims=True)] / 10)(*finite_part(lrs, losses)),
    suggest_nan_functions,
]

WRONG_SUGGEST = [
    (lambda lrs, losses, rule: suggest_manual(lrs, losses, "minimum" if rule == "steepest" else "steepest"),
     "rules_swapped", "swapped"),
    (lambda lrs, losses, rule: lrs[np.argmin(np.gradient(losses, lrs))] if rule == "steepest"
     else lrs[np.argmin(losses)] / 10, "slope_against_lr", "log(lr)"),
    (lambda lrs, losses, rule: lrs[np.argmax(np.gradient(losses))] if rule == "steepest"
     else lrs[np.argmin(losses)] / 10, "steepest_ascent", "*rise*"),
    (lambda lrs, losses, rule: lrs[np.argmin(np.diff(losses))] if rule == "steepest"
     else lrs[np.argmin(losses)] / 10, "forward_difference", "forward differences"),
    (lambda lrs, losses, rule: lrs[np.argmin(np.diff(losses)) + 1] if rule == "steepest"
     else lrs[np.argmin(losses)] / 10, "forward_difference", "forward differences"),
    (lambda lrs, losses, rule: suggest_manual(lrs, losses, rule) if rule == "steepest"
     else lrs[np.argmin(losses)], "minimum_not_divided", "is not that rate"),
    (lambda lrs, losses, rule: np.argmin(np.gradient(losses)) if rule == "steepest" else np.argmin(losses),
     "returned_index", "index"),
    (lambda lrs, losses, rule: losses[np.argmin(np.gradient(losses))] if rule == "steepest"
     else losses.min(), "returned_loss", "loss value"),
    # trial 4567: accepted before (the steepest point was always inside)
    (lambda lrs, losses, rule: suggest_manual(lrs, losses, rule) if rule == "minimum"
     else lrs[1 + np.argmin(losses[2:] - losses[:-2])], "ends_skipped", "first or the last point"),
    # trial 4567: the stop's NaN read as part of the curve (never passed before)
    (lambda lrs, losses, rule: lrs[np.argmin(np.gradient(losses, np.log10(lrs)))] if rule == "steepest"
     else lrs[np.argmin(losses)] / 10, "non_finite_point_used", "NaN or +∞"),
    (lambda lrs, losses, rule: suggest_manual(lrs, losses, rule) if rule == "steepest"
     else lrs[np.argmin(losses)] / 10, "non_finite_point_used", "np.argmin returns the position of a NaN"),
]


@pytest.mark.parametrize("impl", RIGHT_SUGGEST)
def test_suggest_lr_accepts(impl, capsys):
    accepts(ex06.check_suggest_lr, impl, capsys, "suggest_lr", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_SUGGEST)
def test_suggest_lr_rejects(impl, mistake, phrase):
    rejects(ex06.check_suggest_lr, impl, mistake, phrase)


def test_suggestion_curves_have_their_steepest_point_inside():
    """Central and one-sided differences never decide a case, and the rules disagree."""
    for case in [*ex06.SUGGEST_LR.cases, *ex06.SUGGEST_LR.hidden_cases]:
        lrs, losses = case.args["lrs"], case.args["losses"]
        if "ending" in case.shown["losses"] or "fastest" in case.shown["losses"]:
            continue  # the stopped curves and the steepest-at-an-end ones (tested below)
        i = ex06._steepest_index(lrs, losses)
        assert 2 <= i <= lrs.size - 3
        assert np.allclose(np.diff(np.log10(lrs)), np.log10(lrs[1] / lrs[0]))
        assert tune.steepest(lrs, losses) != tune.minimum(lrs, losses)


def test_suggestion_cases_include_an_end_and_a_stopped_curve():
    """The steepest point at each end, and curves ending in the NaN or inf a test stops on."""
    cases = [*ex06.SUGGEST_LR.cases, *ex06.SUGGEST_LR.hidden_cases]
    ends = {ex06._steepest_index(c.args["lrs"], c.args["losses"]) == c.args["lrs"].size - 1
            for c in cases if "fastest" in c.shown["losses"]}
    assert ends == {True, False}
    tails = [c.args["losses"][-1] for c in cases if "ending" in c.shown["losses"]]
    assert any(np.isnan(t) for t in tails) and any(np.isinf(t) for t in tails)
    visible = ex06.SUGGEST_LR.cases
    assert any("fastest at its last" in c.shown["losses"] for c in visible)
    assert any("ending" in c.shown["losses"] for c in visible)


# ---------------------------------------------------------------------------
# clip_grad_norm
# ---------------------------------------------------------------------------

def clip_where(grad, max_norm):
    total = np.linalg.norm(grad)
    factor = max_norm / (total + 1e-6)
    return np.where(factor < 1, grad * factor, grad), total


def clip_loop(grad, max_norm):
    total = math.sqrt(sum(float(v) ** 2 for v in np.ravel(grad)))
    coef = max_norm / (total + 1e-6)
    return (grad * coef if coef < 1 else grad.copy()), total


def clip_in_place(grad, max_norm):
    total = float(np.linalg.norm(grad))
    grad *= min(1.0, max_norm / (total + 1e-6))
    return grad, total


RIGHT_CLIP = [
    ex06._clip_grad_norm,
    clip_where,
    clip_loop,
    lambda g, c: (g * min(1.0, c / (np.sqrt(np.sum(g ** 2)) + 1e-6)), np.sqrt(np.sum(g ** 2))),
]

WRONG_CLIP = [
    # trial 4567: was told "an array of shape ()", with no word about the order
    (lambda g, c: clip_where(g, c)[::-1], "swapped_outputs", "(total_norm, clipped)"),
    (ex06._per_row, "per_row_norm", "each row by its own norm"),
    (lambda g, c: (np.clip(g, -c, c), np.linalg.norm(g)), "clip_by_value", "clipping by value"),
    (lambda g, c: (g * c / (np.linalg.norm(g) + 1e-6), np.linalg.norm(g)), "always_rescaled", "small ones too"),
    (lambda g, c: (g * min(1.0, c / np.linalg.norm(g)), np.linalg.norm(g)), "eps_missing", "1e-6"),
    (lambda g, c: (clip_where(g, c)[0], np.linalg.norm(clip_where(g, c)[0])), "norm_after_clipping",
     "norm after clipping"),
    (lambda g, c: (g * min(1.0, c / (np.sum(g * g) + 1e-6)), np.sum(g * g)), "squared_norm", "squared norm"),
    (lambda g, c: (g * min(1.0, c / (np.abs(g).sum() + 1e-6)), np.abs(g).sum()), "l1_norm", "L1"),
    (clip_in_place, "mutated_input", "changed its input grad in place"),
    (lambda g, c: clip_where(g, c)[0], "wrong_type", "a tuple (clipped, total_norm)"),
    # issue 9: the training step computes lr * clipped, which a list cannot do
    (lambda g, c: (list(clip_where(g, c)[0]), clip_where(g, c)[1]), "returned_list", "lr * list fails"),
]


@pytest.mark.parametrize("impl", RIGHT_CLIP)
def test_clip_grad_norm_accepts(impl, capsys):
    accepts(ex06.check_clip_grad_norm, impl, capsys, "clip_grad_norm", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_CLIP)
def test_clip_grad_norm_rejects(impl, mistake, phrase):
    rejects(ex06.check_clip_grad_norm, impl, mistake, phrase)


def test_the_eps_is_visible_in_a_case():
    """Without the 1e-6 the factor differs by more than the check's tolerance somewhere."""
    grad = ex06.CLIP_GRAD_NORM.cases[3].args["grad"]
    c = ex06.CLIP_GRAD_NORM.cases[3].args["max_norm"]
    norm = np.linalg.norm(grad)
    assert abs(c / norm - c / (norm + 1e-6)) / (c / norm) > 10 * ex06.CLIP_GRAD_NORM.rtol


# ---------------------------------------------------------------------------
# log_uniform
# ---------------------------------------------------------------------------

def log_uniform_loop(rng, n, low, high):
    return np.array([math.exp(rng.uniform(math.log(low), math.log(high))) for _ in range(n)])


RIGHT_LOG_UNIFORM = [
    lambda rng, n, low, high: np.exp(rng.uniform(np.log(low), np.log(high), size=n)),
    lambda rng, n, low, high: low * (high / low) ** rng.random(n),
    lambda rng, n, low, high: 10 ** rng.uniform(np.log10(low), np.log10(high), n),
    lambda rng, n, low, high: np.sort(np.exp(rng.uniform(np.log(low), np.log(high), n))),
    log_uniform_loop,
    lambda rng, n, low, high: tune.log_uniform(n, low, high, seed=int(rng.integers(2 ** 31))),
    # stratified (one draw per 1/n of the log range, shuffled): continuous, log-uniform marginals
    lambda rng, n, low, high: low * (high / low) ** ((rng.permutation(n) + rng.random(n)) / n),
    # inverse transform from a uniform in (0, 1]
    lambda rng, n, low, high: high * (low / high) ** (1 - rng.random(n)),
]

WRONG_LOG_UNIFORM = [
    # trial 4567: told "forced into the range (np.clip)" (with high = 1 every sample is low)
    (lambda rng, n, low, high: low * high ** rng.random(n), "constant_draw", "same value"),
    # trial 4567: only "outside [low, high]" before
    (lambda rng, n, low, high: 10 ** rng.uniform(np.log2(low), np.log2(high), n), "mixed_log_bases",
     "another"),
    (lambda rng, n, low, high: rng.uniform(low, high, n), "uniform_not_log", "top decade"),
    (lambda rng, n, low, high: 10 ** rng.uniform(low, high, n), "powered_the_bounds", "10^low"),
    (lambda rng, n, low, high: rng.uniform(np.log10(low), np.log10(high), n), "returned_exponents",
     "exponents"),
    (lambda rng, n, low, high: rng.uniform(np.log(low), np.log(high), n), "returned_exponents", "exponents"),
    (lambda rng, n, low, high: np.exp(rng.uniform(np.log10(low), np.log10(high), n)), "mixed_log_bases",
     "another"),
    (lambda rng, n, low, high: 10 ** rng.uniform(np.log(low), np.log(high), n), "mixed_log_bases", "another"),
    (lambda rng, n, low, high: np.exp(np.random.uniform(np.log(low), np.log(high), n)), "not_reproducible",
     "same seed"),
    (lambda rng, n, low, high: np.exp(np.random.default_rng(0).uniform(np.log(low), np.log(high), n)),
     "generator_ignored", "is ignored"),
    (lambda rng, n, low, high: np.geomspace(low, high, n), "generator_ignored", "fixed grid"),
    (lambda rng, n, low, high: np.clip(np.exp(rng.normal((np.log(low) + np.log(high)) / 2, 1.0, n)), low, high),
     "not_log_uniform", "not log-uniform"),
    (lambda rng, n, low, high: np.exp(rng.uniform(np.log(low), np.log(high), n - 1)), "wrong_shape", "(n,)"),
    (lambda rng, n, low, high: np.append(np.exp(rng.uniform(np.log(low), np.log(high), n)), high * 2),
     "wrong_shape", "(n,)"),
    # issue 9: the exercise asks for an array of shape (n,); a list comprehension is refused
    (lambda rng, n, low, high: [math.exp(rng.uniform(math.log(low), math.log(high))) for _ in range(n)],
     "returned_list", "an array of shape (n,)"),
    (lambda rng, n, low, high: np.exp(rng.uniform(np.log(low), np.log(high) + 1, n)), "out_of_range",
     "outside [low, high]"),
    (lambda rng, n, low, high: None, "returned_none", "return"),
    # issue 9: a coarse grid of 50 rates passes a KS test of one draw; it repeats values
    (lambda rng, n, low, high: rng.choice(np.geomspace(low, high, 50), n), "discretised", "only 50 distinct"),
    (lambda rng, n, low, high: rng.choice(np.geomspace(low, high, 1000), n), "discretised", "finite set"),
    (lambda rng, n, low, high: 10.0 ** rng.integers(round(np.log10(low)), round(np.log10(high)) + 1, n)
     if n > 5 else np.exp(rng.uniform(np.log(low), np.log(high), n)), "discretised", "integer exponent"),
    (lambda rng, n, low, high: np.array([float(f"{v:.2g}") for v in
                                         np.exp(rng.uniform(np.log(low), np.log(high), n))]),
     "rounded_rates", "2 significant digits"),
    (lambda rng, n, low, high: np.clip(np.exp(rng.normal((np.log(low) + np.log(high)) / 2, 4.0, n)), low, high),
     "clipped_to_range", "np.clip"),
    (lambda rng, n, low, high: 10 ** rng.uniform(np.log10(low), np.log10(high) - 1, n), "range_not_covered",
     "the largest rates are never tried"),
    (lambda rng, n, low, high: 10 ** rng.uniform(np.log10(low) + 0.5, np.log10(high), n), "range_not_covered",
     "the smallest rates"),
    # a slightly bent exponent: KS distance 0.028, below one draw's limit, above the pooled one
    (lambda rng, n, low, high: low * (high / low) ** rng.random(n) ** 1.08, "not_log_uniform", "not log-uniform"),
    # 10 % of the draws uniform in lr
    (lambda rng, n, low, high: np.where(rng.random(n) < 0.1, rng.uniform(low, high, n),
                                        np.exp(rng.uniform(np.log(low), np.log(high), n))),
     "not_log_uniform", "top one"),
    (lambda rng, n, low, high: np.exp(rng.uniform(np.log(low), np.log(high), n)).astype(np.float32),
     "wrong_dtype", "float32"),
    # an outside learner trial: a shuffled grid of exactly n rates never repeats a value
    (lambda rng, n, low, high: rng.permutation(np.geomspace(low, high, n)), "shuffled_grid", "another order"),
    (lambda rng, n, low, high: 10 ** rng.permutation(np.linspace(np.log10(low), np.log10(high), n)),
     "shuffled_grid", "fixed set"),
    (lambda rng, n, low, high: rng.choice(np.geomspace(low, high, 20 * n), n, replace=False), "discretised",
     "share"),
]


@pytest.mark.parametrize("impl", RIGHT_LOG_UNIFORM)
def test_log_uniform_accepts(impl, capsys):
    accepts(ex06.check_log_uniform, impl, capsys, "log_uniform", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_LOG_UNIFORM)
def test_log_uniform_rejects(impl, mistake, phrase):
    rejects(ex06.check_log_uniform, impl, mistake, phrase)


def test_a_bent_exponent_passes_one_draw_and_fails_the_pooled_test():
    """The pooled test is what catches a small deviation (one draw of 4000 has too little power)."""
    for seed, n, low, high in ex06._LOG_UNIFORM_CASES[:2]:
        x = low * (high / low) ** np.random.default_rng(seed).random(n) ** 1.08
        assert ex06._distribution_problem(x, low, high) is None


def test_the_distribution_test_has_a_tiny_false_alarm_rate_and_full_power():
    """Over 200 seeds a right sampler is never called non-log-uniform, and a uniform one
    always is (the check itself uses fixed seeds, so it is deterministic)."""
    n, low, high = 4000, 1e-5, 1.0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        assert ex06._distribution_problem(np.exp(rng.uniform(np.log(low), np.log(high), n)), low, high) is None
        problem = ex06._distribution_problem(rng.uniform(low, high, n), low, high)
        assert problem is not None and problem.mistake == "uniform_not_log"


# ---------------------------------------------------------------------------
# pick_suggestion (multiple choice, grounded in a finder run and 200-step runs)
# ---------------------------------------------------------------------------

def answer(value):
    return lambda: value


RIGHT_PICK = [answer("C"), answer("c"), answer(" C "), answer(["C"]), answer(("c",))]

WRONG_PICK = [
    (answer("A"), "steepest_is_noise", "learned anything by then"),
    (answer("B"), "valley_too_cautious", "most cautious"),
    (answer("D"), "minimum_not_divided", "before the test stopped"),
    (answer("E"), "default_rate", "10⁻³"),
    (answer("a"), "steepest_is_noise", "section 3"),
    (answer("AC"), "choose_one", "you gave 2 options"),
    (answer("BCD"), "choose_one", "Choose one option"),
    (answer(""), "choose_one", "you gave no option"),
    # trial 06: a repeated letter is refused, as in the other multiple-choice parts
    (answer("CC"), "repeated_letter", "name one option, once"),
    (answer(["C", "c"]), "repeated_letter", "more than once"),
    (answer("F"), "unknown_option", "F"),
    (answer(3), "wrong_type", "string"),
]


@pytest.mark.parametrize("impl", RIGHT_PICK)
def test_pick_suggestion_accepts(impl, capsys):
    accepts(ex06.check_pick_suggestion, impl, capsys, "pick_suggestion", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_PICK)
def test_pick_suggestion_rejects(impl, mistake, phrase):
    message = rejects(ex06.check_pick_suggestion, impl, mistake, phrase)
    assert "minimum" not in message.lower(), message


def test_no_combination_of_wrong_pick_messages_states_the_right_argument():
    """Trial 4567: A's and D's messages together spelled out C's argument (the steepest point
    is noise; the average lags, so its lowest point sits next to the blow-up)."""
    messages = " ".join(str(_pick_failure(letter)) for letter in "ABDE").lower()
    for giveaway in ("noise", "lag", "next to the blow", "a tenth", "divide", "/ 10", "minimum",
                     "edge of blowing up"):
        assert giveaway not in messages, giveaway


def _pick_failure(letter):
    with pytest.raises(CheckFailed) as info:
        ex06.check_pick_suggestion(answer(letter))
    return info.value


def test_the_pick_is_what_the_runs_measure():
    """Trained for 200 steps from the finder's start on its batches, the right option's rate
    ends lowest (by far), steepest learns almost nothing, minimum itself diverges."""
    outcome = ex06.suggestion_outcomes()
    best = min(outcome, key=outcome.get)
    assert {best} == set(ex06._PICK_RIGHT), outcome
    assert outcome["C"] * 5 < outcome["B"] < outcome["A"], outcome
    assert outcome["D"] == np.inf and outcome["A"] > 2.5, outcome
    finder = ex06.finder_experiment()
    assert int(np.argmin(np.gradient(finder.smoothed, np.log10(finder.lrs)))) <= 3   # steepest at the start


# ---------------------------------------------------------------------------
# diagnose_curves (reading four loss curves; graded against the runs' settings)
# ---------------------------------------------------------------------------

TRUTH = ex06._curves_truth()


def mapping(**causes):
    """The right answer with some curves' causes replaced: mapping(curve_2="B")."""
    letters = list(TRUTH)
    for key, letter in causes.items():
        letters[int(key.split("_")[1]) - 1] = letter
    return "".join(letters)


def by_cause(cause):
    """The curve (1-based) the truth gives this cause."""
    return TRUTH.index(cause) + 1


def swap(a, b):
    return TRUTH.translate(str.maketrans(a + b, b + a))


RIGHT_CURVES = [
    answer(TRUTH),
    answer(TRUTH.lower()),
    answer(" ".join(TRUTH)),
    answer(", ".join(TRUTH.lower())),
    answer(list(TRUTH)),
    answer(tuple(f" {c} " for c in TRUTH)),
]

WRONG_CURVES = [
    # misreadings the lesson's section 1 and 4 decide, each named when the answer is exactly it
    (answer(swap("A", "C")), "slow_curves_swapped", "knee"),
    (answer(swap("A", "C").lower()), "slow_curves_swapped", "still falling over its last 100"),
    (answer(swap("C", "E")), "flat_read_as_converged", "Does a flat curve mean"),
    (answer(TRUTH.replace("D", "B")), "clipped_read_as_diverging", "make progress first"),
    (answer(swap("A", "D")), "clipped_read_as_too_low", "smooth or jagged"),
    (answer(swap("C", "D")), "clipped_read_as_decayed", "can the loss still jump"),
    (answer(TRUTH.replace("E", "B")), "noise_read_as_too_high", "falls at every evaluation"),
    # trial 06: one curve's misreading is named whatever the other curves say (never which
    # other curves are right), so answers with several errors are named too
    (answer(TRUTH[::-1]), "jumps_read_as_too_low", "smooth or jagged"),
    (answer(swap("A", "E")), "still_falling_read_as_too_low", "does that alone say"),
    (answer(TRUTH.replace("A", "B")), "smooth_read_as_too_high", "which of them does this curve show"),
    (answer("ABCD"), "clipped_read_as_diverging", "says nothing about your other curves"),
    (answer("BCDE" if TRUTH != "BCDE" else "EDCB"), "jumps_read_as_decayed", "can the"),
    (answer(mapping(curve_1="B")), "plateau_read_as_too_high", "A monotone flat curve with no jumps"),
    (answer(TRUTH.replace("D", "B").replace("E", "D")), "clipping_read_as_rescue",
     "did they also train"),
    (answer(mapping(curve_1="E", curve_4="B")), "flat_read_as_converged", "Does a flat curve mean"),
    (answer(mapping(curve_2="E", curve_4="D")), "rising_read_as_good", "step 0 and at step 300"),
    (answer(mapping(curve_1="B", curve_3="E", curve_4="A")), "plateau_read_as_too_high",
     "one misreading at a time"),
    # forms the answer cannot take
    (answer(TRUTH[:3]), "wrong_length", "3 letters"),
    (answer(TRUTH + "B"), "wrong_length", "5 letters"),
    (answer(""), "wrong_length", "0 letters"),
    (answer(TRUTH[0]), "wrong_length", "1 letter:"),
    (answer(TRUTH[:3] + TRUTH[0]), "repeated_letter", "more than one curve"),
    (answer("AAAA"), "repeated_letter", "four different causes"),
    (answer(TRUTH[:3] + "F"), "unknown_option", "'F'"),
    (answer("1234"), "unknown_option", "the letters A, B, C, D, E"),
    (answer([TRUTH[:2], TRUTH[2:]]), "unknown_option", "the causes are the letters"),
    (answer(set(TRUTH)), "wrong_type", "a set has no order"),
    (answer({1: TRUTH[0], 2: TRUTH[1], 3: TRUTH[2], 4: TRUTH[3]}), "wrong_type", "string of four"),
    (answer(4), "wrong_type", "string of four"),
    (answer(None), "returned_none", "returned None"),
]


@pytest.mark.parametrize("impl", RIGHT_CURVES)
def test_diagnose_curves_accepts(impl, capsys):
    accepts(ex06.check_diagnose_curves, impl, capsys, "diagnose_curves", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_CURVES)
def test_diagnose_curves_rejects(impl, mistake, phrase):
    rejects(ex06.check_diagnose_curves, impl, mistake, phrase)


def all_wrong_answers():
    """Every answer of four different cause letters but the truth (119 of them)."""
    return ["".join(p) for p in itertools.permutations("ABCDE", 4) if "".join(p) != TRUTH]


def test_diagnose_curves_messages_name_no_curve_and_no_cause_letter():
    """No message says which curve has which cause: no curve number, no option letter of the
    truth, no rate of a run."""
    wrong = [answer(a) for a in all_wrong_answers()]
    for impl in wrong:
        with pytest.raises(CheckFailed) as info:
            ex06.check_diagnose_curves(impl)
        message = str(info.value)
        body = message.split("\n", 1)[1]
        assert "curve 1" not in body and "curve 2" not in body, message
        settings = [f"{v:g}" for _, rate, clip in ex06._CURVE_RUNS for v in (rate, clip)
                    if isinstance(v, float)]
        for rate in (*settings, "0.97"):
            assert not re.search(rf"(?<![\d.]){re.escape(rate)}(?![\d.])", body), (rate, message)
        for letter in "ABCDE":
            for pattern in (f"'{letter}'", f"{letter}.", f"({letter})", f'"{letter}"'):
                assert pattern not in body.replace("e.g.", ""), (pattern, message)


def test_every_misreading_is_a_valid_wrong_answer_of_its_own():
    """Each misreading predicts four different letters, not the truth, and no two predict
    the same answer (else the first would hide the second)."""
    predictions = [predict(TRUTH) for predict, *_ in ex06._CURVE_MISREADINGS]
    assert len(set(predictions)) == len(predictions)
    for predicted in predictions:
        assert predicted != TRUTH and len(set(predicted)) == 4 and set(predicted) <= set("ABCDE")


def test_the_curves_show_the_shapes_the_lesson_gives_their_causes():
    """The truth is the settings the runs were made with; each run shows the shape lesson 06
    reads as that cause (section 1's table: the change over the last 100 steps, the largest
    jump between evaluations, divergence; section 4: a clipped run far too high is not
    stopped but does not train)."""
    curves = dict(zip(TRUTH, ex06.curve_experiment()))
    assert set(curves) == set("ACDE") and not any(r.diverged[0] for r in curves.values())
    full = {cause: r.train_loss[:, 0] for cause, r in curves.items()}
    last_100 = {cause: f[-1] / f[-6] for cause, f in full.items()}
    jump = {cause: (f[1:] / f[:-1]).max() for cause, f in full.items()}
    start = full["E"][0]
    # E: about right — falls at every evaluation and still halves over the last 100 steps
    assert jump["E"] < 1 and last_100["E"] <= 0.55 and full["E"][-1] < 0.02
    # A: too low — no knee, falls at every evaluation, ends far above the good rate
    assert jump["A"] < 1 and last_100["A"] < 0.8 and full["A"][-1] > 30 * full["E"][-1]
    assert full["A"][1] > 0.8 * start                      # no fast drop at the start
    # C: decays too soon — a fast drop like E's, then flat, about ten times above E
    assert full["C"][1] < 0.2 * start and abs(last_100["C"] - 1) < 0.02
    assert full["C"][-1] > 10 * full["E"][-1]
    assert curves["C"].lr[-1, 0] < 1e-3 * curves["C"].lr[0, 0]
    # D: far too high, clipped — never stopped, jumps up between evaluations, does not train
    assert jump["D"] > 3 and full["D"][1] > 3 * start and full["D"][-1] > start
    assert curves["D"].lr[0, 0] > 10 * curves["E"].lr[0, 0]


# ---------------------------------------------------------------------------
# Every part
# ---------------------------------------------------------------------------

PARTS = [
    (ex06.check_lr_range_test, ex06.LR_RANGE_TEST),
    (ex06.check_suggest_lr, ex06.SUGGEST_LR),
    (ex06.check_clip_grad_norm, ex06.CLIP_GRAD_NORM),
]
LOG_UNIFORM = ex06.LOG_UNIFORM


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
@pytest.mark.parametrize("impl, mistake", BROKEN_CODE)
def test_every_part_handles_broken_code(check, part, impl, mistake, monkeypatch):
    rejects_broken(check, part, impl, mistake, monkeypatch)


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE[:3])  # its time limit is the learner's 5 s
def test_log_uniform_handles_broken_code(impl, mistake):
    rejects_broken(ex06.check_log_uniform, LOG_UNIFORM, impl, mistake)


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE[:3])
def test_pick_suggestion_handles_broken_code(impl, mistake):
    rejects_broken(ex06.check_pick_suggestion, ex06.PICK_SUGGESTION, lambda: impl(), mistake)


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE[:3])
def test_diagnose_curves_handles_broken_code(impl, mistake):
    rejects_broken(ex06.check_diagnose_curves, ex06.DIAGNOSE_CURVES, lambda: impl(), mistake)


def test_points_table_matches_the_parts():
    assert ex06.PARTS == points_table([*PARTS, (ex06.check_log_uniform, LOG_UNIFORM),
                                       (ex06.check_pick_suggestion, ex06.PICK_SUGGESTION),
                                       (ex06.check_diagnose_curves, ex06.DIAGNOSE_CURVES)])
    assert sum(ex06.PARTS.values()) == 13


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
def test_cases_separate_every_variant_from_the_reference(check, part):
    assert_variants_differ(part)


# ---------------------------------------------------------------------------
# Outside learner trial (issue 9): plausible mistakes that got the generic message
# ---------------------------------------------------------------------------

def range_test_beta_power_i(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    x, avg, best, smoothed = x0, 0.0, np.inf, []
    for i in range(num_steps):
        avg = beta * avg + (1 - beta) * problem.loss(x)
        smoothed.append(np.float64(avg) / (1 - beta ** i))
        if not np.isfinite(smoothed[-1]) or smoothed[-1] > diverge_threshold * best:
            break
        best = min(best, smoothed[-1])
        x = x - lrs[i] * problem.grad(x)
    return lrs[:len(smoothed)], np.array(smoothed)


def range_test_beta_power_i_floats(problem, x0, start_lr, end_lr, num_steps, beta=0.98,
                                   diverge_threshold=4.0):
    # the same mistake in Python floats: ZeroDivisionError at the first step
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    x, avg, best, smoothed = x0, 0.0, math.inf, []
    for i in range(num_steps):
        avg = beta * avg + (1 - beta) * float(problem.loss(x))
        smoothed.append(avg / (1 - beta ** i))
        if not math.isfinite(smoothed[-1]) or smoothed[-1] > diverge_threshold * best:
            break
        best = min(best, smoothed[-1])
        x = x - lrs[i] * problem.grad(x)
    return lrs[:len(smoothed)], np.array(smoothed)


def range_test_divides_by_zero_elsewhere(problem, x0, start_lr, end_lr, num_steps, beta=0.98,
                                         diverge_threshold=4.0):
    return 1.0 / (num_steps - num_steps), None


def range_test_records_raw(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    x, avg, best, recorded = x0, 0.0, np.inf, []
    for i in range(num_steps):
        loss = problem.loss(x)
        avg = beta * avg + (1 - beta) * loss
        smoothed = avg / (1 - beta ** (i + 1))
        recorded.append(loss)
        if not np.isfinite(smoothed) or smoothed > diverge_threshold * best:
            break
        best = min(best, smoothed)
        x = x - lrs[i] * problem.grad(x)
    return lrs[:len(recorded)], np.array(recorded)


def clip_spectral(grad, max_norm):
    norm = float(np.linalg.norm(grad, ord=2) if grad.ndim == 2 else np.linalg.norm(grad))
    return grad * min(1.0, max_norm / (norm + 1e-6)), norm


def suggest_always_steepest(lrs, losses, rule):
    return float(lrs[np.argmin(np.gradient(losses, np.log10(lrs)))])


def suggest_always_minimum(lrs, losses, rule):
    return float(lrs[np.argmin(losses)] / 10)


@pytest.mark.parametrize("check, impl, mistake, phrase", [
    (ex06.check_lr_range_test, range_test_beta_power_i, "bias_correction_off_by_one", "1 − β⁰ = 0"),
    (ex06.check_lr_range_test, range_test_beta_power_i_floats, "bias_correction_off_by_one",
     "Python said: "),
    (ex06.check_lr_range_test, range_test_divides_by_zero_elsewhere, "raised", "ZeroDivisionError"),
    (ex06.check_lr_range_test, range_test_records_raw, "recorded_raw_loss", "record the raw loss"),
    (ex06.check_clip_grad_norm, clip_spectral, "spectral_norm", "largest singular value"),
    (ex06.check_suggest_lr, suggest_always_steepest, "rule_ignored", "whatever the rule"),
    (ex06.check_suggest_lr, suggest_always_minimum, "rule_ignored", "whatever the rule"),
], ids=["beta_power_i", "beta_power_i_floats", "other_zero_division", "records_raw", "spectral", "always_steepest", "always_minimum"])
def test_trial_mistakes_are_named(check, impl, mistake, phrase):
    rejects(check, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# Outside learner trial of exercise 06 (trial-06): accepted wrong code and off-target messages
# ---------------------------------------------------------------------------

def suggest_nanargmin(lrs, losses, rule):
    """Trial 06, accepted before: the stop's point kept, non-finite slopes skipped."""
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    if rule == "steepest":
        return float(lrs[np.nanargmin(np.gradient(losses, np.log10(lrs)))])
    return float(lrs[np.nanargmin(losses)] / 10)


def suggest_with(steepest=None, minimum=None, cut=None):
    """suggest_manual with one rule replaced (on the finite curve), or the curve cut first."""
    def suggest(lrs, losses, rule):
        if cut is not None:
            lrs, losses = cut(lrs, losses)
        keep = np.isfinite(losses)
        l, v = lrs[keep], losses[keep]
        wrong = {"steepest": steepest, "minimum": minimum}[rule]
        return suggest_manual(l, v, rule) if wrong is None else float(wrong(l, v))
    return suggest


WRONG_SUGGEST_TRIAL = [
    (suggest_nanargmin, "stop_neighbour_skipped", "np.nanargmin"),
    (suggest_with(cut=lambda l, v: (l[:-1], v[:-1])), "last_point_dropped", "also when it is finite"),
    (suggest_with(steepest=lambda l, v: l[np.argmin(np.gradient(v, np.log10(l), edge_order=2))]),
     "edge_order_two", "edge_order=2"),
    (suggest_with(minimum=lambda l, v: l[np.argmin(v)] * 10), "minimum_times_ten", "multiplied"),
    (suggest_with(minimum=lambda l, v: l[np.argmin(v) - 1]), "minimum_previous_rate", "one point back"),
    (suggest_with(minimum=lambda l, v: 10 ** (np.log10(l[np.argmin(v)]) / 10)),
     "minimum_divided_in_log_space", "logarithm"),
    (suggest_with(minimum=lambda l, v: l[np.argmin(v) // 10]), "minimum_index_divided", "*index*"),
]

RIGHT_SUGGEST_TRIAL = [
    # the exponent lowered by one: a tenth of the rate, written in log space
    suggest_with(minimum=lambda l, v: 10 ** (np.log10(l[np.argmin(v)]) - 1)),
    # np.nanargmin after cutting the curve at its first non-finite point
    lambda lrs, losses, rule: (lambda l, v: float(l[np.nanargmin(np.gradient(v, np.log10(l)))])
                               if rule == "steepest" else float(l[np.nanargmin(v)] * 0.1))(
        *finite_part(lrs, losses)),
]


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_SUGGEST_TRIAL)
def test_trial06_suggest_lr_mistakes_are_named(impl, mistake, phrase):
    rejects(ex06.check_suggest_lr, impl, mistake, phrase)


@pytest.mark.parametrize("impl", RIGHT_SUGGEST_TRIAL)
def test_trial06_suggest_lr_right_forms(impl, capsys):
    accepts(ex06.check_suggest_lr, impl, capsys, "suggest_lr", 2)


def test_stopped_curves_that_fall_fastest_at_their_last_finite_point():
    """The case that separates np.nanargmin over the whole curve from the rule: on the finite
    curve the steepest point is the last one, visible and hidden, NaN and inf."""
    cases = [c for c in [*ex06.SUGGEST_LR.cases, *ex06.SUGGEST_LR.hidden_cases]
             if "still falling" in c.shown["losses"]]
    assert any("still falling" in c.shown["losses"] for c in ex06.SUGGEST_LR.cases)
    assert {bool(np.isnan(c.args["losses"][-1])) for c in cases} == {True, False}
    for case in cases:
        lrs, losses = ex06._finite_prefix(case.args["lrs"], case.args["losses"])
        slopes = np.sort(np.gradient(losses, np.log10(lrs)))
        assert ex06._steepest_index(lrs, losses) == lrs.size - 1 and slopes[1] - slopes[0] > 0.01


def test_edge_order_case_is_decided_by_a_clear_margin():
    case = ex06._edge_order_case()
    lrs, losses = case.args["lrs"], case.args["losses"]
    first = np.gradient(losses, np.log10(lrs))
    second = np.gradient(losses, np.log10(lrs), edge_order=2)
    assert 0 < np.argmin(first) < lrs.size - 1 and np.argmin(second) == lrs.size - 1
    assert first[-1] - first.min() > 0.05 and second.min() < first.min() - 0.05


def clip_alias(grad, max_norm):
    """Trial 06, accepted before: the caller's array itself when nothing needs clipping."""
    total = float(np.linalg.norm(grad))
    if total <= max_norm:
        return grad, total
    return grad * (max_norm / (total + 1e-6)), total


def clip_zeros_like(grad, max_norm):
    """Trial 06: np.zeros_like keeps an integer gradient's dtype, the clipped values are cut."""
    total = float(np.sqrt(np.sum(grad ** 2)))
    out = np.zeros_like(grad)
    out[...] = grad * min(1.0, max_norm / (total + 1e-6))
    return out, total


def clip_with(scale=None, norm=None):
    def clip(grad, max_norm):
        total = float(np.linalg.norm(np.ravel(grad))) if norm is None else float(norm(grad))
        factor = min(1.0, max_norm / (total + 1e-6)) if scale is None else scale(total, max_norm)
        return grad * factor, total
    return clip


WRONG_CLIP_TRIAL = [
    (clip_alias, "returned_input", "np.shares_memory"),
    (lambda g, c: (g.reshape(g.shape) if np.linalg.norm(g) <= c else g * c / (np.linalg.norm(g) + 1e-6),
                   np.linalg.norm(g)), "returned_input", "or a view"),
    (clip_zeros_like, "integer_gradient_truncated", "whole numbers"),
    (clip_with(norm=lambda g: np.max(np.abs(g))), "inf_norm", "∞-norm"),
    (clip_with(norm=lambda g: np.linalg.norm(np.ravel(g), ord=np.inf)), "inf_norm", "largest entry"),
    (clip_with(norm=lambda g: np.sqrt(np.mean(g ** 2))), "rms_norm", "*mean*"),
    (clip_with(scale=lambda t, c: min(1.0, c / t + 1e-6) if t else 1.0), "eps_outside_ratio", "to the ratio"),
    (clip_with(scale=lambda t, c: max(1.0, c / (t + 1e-6))), "max_not_min", "takes the min"),
]

RIGHT_CLIP_TRIAL = [
    # a copy when nothing needs clipping: a new array, as the notebook asks
    lambda g, c: (g.copy() if np.linalg.norm(g) <= c else g * c / (np.linalg.norm(g) + 1e-6),
                  np.linalg.norm(g)),
    # floats first, then an in-place scale of the new array
    lambda g, c: (lambda f, t: (f.__imul__(min(1.0, c / (t + 1e-6))), t))(
        np.array(g, dtype=float), float(np.linalg.norm(np.ravel(g)))),
]


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_CLIP_TRIAL)
def test_trial06_clip_mistakes_are_named(impl, mistake, phrase):
    rejects(ex06.check_clip_grad_norm, impl, mistake, phrase)


@pytest.mark.parametrize("impl", RIGHT_CLIP_TRIAL)
def test_trial06_clip_right_forms(impl, capsys):
    accepts(ex06.check_clip_grad_norm, impl, capsys, "clip_grad_norm", 2)


def test_clip_cases_include_integer_gradients():
    for cases in (ex06.CLIP_GRAD_NORM.cases, ex06.CLIP_GRAD_NORM.hidden_cases):
        assert any(c.args["grad"].dtype.kind == "i" for c in cases)


def test_every_wrong_answer_names_a_misreading_and_never_the_curves_cause():
    """Trial 06: all 119 wrong answers get a named misreading (none the neutral message); a
    one-curve message never names the cause of the curve it is about, nor clipping for the
    clipped run, and always says it tells nothing about the other curves."""
    for letters in all_wrong_answers():
        problem = ex06._grade_curves(letters)
        assert problem is not None and problem.mistake != "curves_misread", letters
        assert "says nothing about your other curves" in problem.diagnosis, letters
        if "as the cause of the curve" in problem.diagnosis:
            (true, given), = [(t, g) for t, g in zip(TRUTH, letters)
                              if problem.diagnosis.startswith(f"Your answer gives {ex06._CAUSE_WORDS[g]} "
                                                              f"as the cause of the curve that "
                                                              f"{ex06._CURVE_SHAPES[t]}")]
            assert ex06._CAUSE_WORDS[true] not in problem.diagnosis + problem.hint, letters
    for letters in [a for a in all_wrong_answers() if a[TRUTH.index("D")] == "B"]:
        problem = ex06._grade_curves(letters)
        if problem.mistake == "clipped_read_as_diverging":   # the CBAE message gives nothing away
            assert "section 4" not in problem.hint and "held back" not in problem.diagnosis
            assert "clipping" not in problem.diagnosis.replace("without clipping", "")


def test_every_curve_pair_has_a_question():
    """A question for every (cause of a curve, other cause) pair, shapes for every curve."""
    assert set(ex06._CURVE_SHAPES) == set(TRUTH) == set(ex06._CURVE_PRIORITY)
    assert {(t, g) for t in TRUTH for g in "ABCDE" if g != t} == set(ex06._CURVE_PAIRS)


def range_test_with(ramp=None, correction=None, average=None, bar=None, stop_on="smoothed",
                    rate_ahead=False, ascent=False, first_loss_start=False, corrected_in_place=False,
                    swap_outputs=False):
    """range_test_loop with one of the trial's slips switched on (learner-style code)."""
    def run(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
        lrs = np.geomspace(start_lr, end_lr, num_steps) if ramp is None else ramp(start_lr, end_lr, num_steps)
        x, avg, best, smoothed = x0, 0.0, np.inf, []
        for i in range(num_steps):
            loss = problem.loss(x)
            if first_loss_start and i == 0:
                avg = loss
            else:
                avg = beta * avg + (1 - beta) * loss if average is None else average(avg, beta, loss)
            corr = 1 - beta ** (i + 1) if correction is None else correction(beta, i)
            if corrected_in_place:
                avg = np.float64(avg) / corr
                value = avg
            else:
                value = np.float64(avg) / corr
            smoothed.append(value)
            tested = value if stop_on == "smoothed" else loss
            limit = diverge_threshold * best if bar is None else bar(best, diverge_threshold)
            if not np.isfinite(tested) or tested > limit:
                break
            best = min(best, tested)
            rate = start_lr * (end_lr / start_lr) ** ((i + 1) / (num_steps - 1)) if rate_ahead else lrs[i]
            x = x + rate * problem.grad(x) if ascent else x - rate * problem.grad(x)
        out = (lrs[:len(smoothed)], np.array(smoothed))
        return out[::-1] if swap_outputs else out
    return run


WRONG_RANGE_TRIAL = [
    (range_test_with(swap_outputs=True), "swapped_outputs", "(smoothed, lrs)"),
    (range_test_with(bar=lambda best, t: best + t), "threshold_added", "*plus*"),
    (range_test_with(correction=lambda b, i: 1 - b ** (i + 2)), "bias_correction_power_too_high", "β^(i+2)"),
    (range_test_with(average=lambda a, b, loss: (1 - b) * a + b * loss), "ema_weights_swapped",
     "the bias correction is right"),
    (range_test_with(stop_on="raw"), "stopped_on_raw_loss", "raw loss"),
    (range_test_with(rate_ahead=True), "stepped_with_next_rate", "lr_(i+1)"),
    (range_test_with(ramp=lambda s, e, n: s * (e / s) ** (np.arange(1, n + 1) / (n - 1)),
                     rate_ahead=True), "stepped_with_next_rate", "one ratio above start_lr"),
    (range_test_with(first_loss_start=True), "average_starts_at_first_loss", "weight 1 instead of 1 − β"),
    (range_test_with(first_loss_start=True, correction=lambda b, i: 1.0), "average_starts_at_first_loss",
     "not bias-corrected"),
    (range_test_with(ramp=lambda s, e, n: s * (e / s) ** (np.arange(n) // (n - 1))),
     "exponent_integer_division", "integer division"),
    (range_test_with(corrected_in_place=True), "correction_stored_in_average", "already corrected"),
    (range_test_with(ascent=True), "gradient_ascent", "*up*"),
    (range_test_with(ramp=lambda s, e, n: np.logspace(s, e, n)), "logspace_of_rates", "*exponents*"),
    (range_test_with(correction=lambda b, i: 1 - b ** i), "bias_correction_off_by_one", "1 − β⁰ = 0"),
]


def range_test_cumulative(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    """The ramp as a running product and the average in the 'avg += (1 − β)(loss − avg)' form."""
    ratio = (end_lr / start_lr) ** (1.0 / (num_steps - 1))
    lrs = start_lr * np.cumprod(np.r_[1.0, np.full(num_steps - 1, ratio)])
    lrs[-1] = end_lr
    x, avg, best, smoothed = np.array(x0, dtype=float), 0.0, np.inf, []
    for i in range(num_steps):
        avg += (1 - beta) * (problem.loss(x) - avg)
        smoothed.append(avg / (1 - beta ** (i + 1)))
        if np.isnan(smoothed[-1]) or smoothed[-1] == np.inf or smoothed[-1] > diverge_threshold * best:
            break
        best = min(best, smoothed[-1])
        x -= lrs[i] * problem.grad(x)
    return lrs[:len(smoothed)], np.array(smoothed)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_RANGE_TRIAL)
def test_trial06_range_test_mistakes_are_named(impl, mistake, phrase):
    rejects(ex06.check_lr_range_test, impl, mistake, phrase)


def test_trial06_range_test_right_form(capsys):
    accepts(ex06.check_lr_range_test, range_test_cumulative, capsys, "lr_range_test", 3)


def test_range_cases_have_losses_far_from_one():
    """The 4× rule is a ratio: some visible case starts far above 1 and some far below, so
    best + 4 and 4 × the first loss are told apart from it."""
    starts = [c.args["problem"].loss(c.args["x0"]) for c in ex06.LR_RANGE_TEST.cases]
    assert max(starts) > 20 and min(starts) < 0.1


WRONG_LOG_UNIFORM_TRIAL = [
    # trial 06: a scalar was told a hint of another exercise
    (lambda rng, n, low, high: np.exp(rng.uniform(np.log(low), np.log(high))), "returned_one_number",
     "without a size"),
    (lambda rng, n, low, high: float(np.exp(rng.uniform(np.log(low), np.log(high), n))[0]),
     "returned_one_number", "one number"),
    # trial 06: np.exp of a draw between low and high was told "10^low and 10^high"
    (lambda rng, n, low, high: np.exp(rng.uniform(low, high, n)), "powered_the_bounds", "e^low and e^high"),
    (lambda rng, n, low, high: 2.0 ** rng.uniform(low, high, n), "powered_the_bounds", "2^low and 2^high"),
    # trial 06: rounding to 3 decimals was told "outside [low, high] (for example 0)"
    (lambda rng, n, low, high: np.round(np.exp(rng.uniform(np.log(low), np.log(high), n)), 3), "rounded_rates",
     "rounded to 3 decimals"),
    (lambda rng, n, low, high: np.round(np.exp(rng.uniform(np.log(low), np.log(high), n)), 6), "rounded_rates",
     "rounded to 6 decimals"),
    (lambda rng, n, low, high: np.array([round(v, 8) for v in np.exp(rng.uniform(np.log(low), np.log(high), n))]),
     "rounded_rates", "distinct values"),
]


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_LOG_UNIFORM_TRIAL)
def test_trial06_log_uniform_mistakes_are_named(impl, mistake, phrase):
    rejects(ex06.check_log_uniform, impl, mistake, phrase)


def test_trial06_log_uniform_right_form(capsys):
    """Base 2 both ways: log-uniform whatever the base."""
    accepts(ex06.check_log_uniform, lambda rng, n, low, high: 2.0 ** rng.uniform(np.log2(low), np.log2(high), n),
            capsys, "log_uniform", 2)


def range_test_fixed(beta_used=None, threshold_used=None, stop_margin=1.0):
    """range_test_loop with β or the threshold hard-coded, or the bar scaled by stop_margin."""
    def run(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
        b = beta if beta_used is None else beta_used
        t = diverge_threshold if threshold_used is None else threshold_used
        return range_test_with(bar=lambda best, _t: stop_margin * t * best)(
            problem, x0, start_lr, end_lr, num_steps, b, t)
    return run


def range_test_weighted_wrong(problem, x0, start_lr, end_lr, num_steps, beta=0.98, diverge_threshold=4.0):
    """Smoothing no known mistake explains: the average of the last three losses."""
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    x, best, losses, smoothed = x0, np.inf, [], []
    for i in range(num_steps):
        losses.append(problem.loss(x))
        smoothed.append(np.mean(losses[-3:]))
        if not np.isfinite(smoothed[-1]) or smoothed[-1] > diverge_threshold * best:
            break
        best = min(best, smoothed[-1])
        x = x - lrs[i] * problem.grad(x)
    return lrs[:len(smoothed)], np.array(smoothed)


def suggest_steepest_of_log_loss(lrs, losses, rule):
    keep = np.isfinite(losses)
    l, v = lrs[keep], losses[keep]
    if rule == "steepest":
        return float(l[np.argmin(np.gradient(np.log(v), np.log10(l)))])
    return float(l[np.argmin(v)] / 10)


def suggest_between_points(lrs, losses, rule):
    keep = np.isfinite(losses)
    l, v = lrs[keep], losses[keep]
    if rule == "steepest":
        i = int(np.argmin(np.diff(v)))
        return float(np.sqrt(l[i] * l[i + 1]))
    return float(l[np.argmin(v)] / 10)


@pytest.mark.parametrize("check, impl, mistake, phrase", [
    (ex06.check_lr_range_test, range_test_fixed(threshold_used=4.0), "threshold_ignored", "4 is only its default"),
    (ex06.check_lr_range_test, range_test_fixed(beta_used=0.98), "beta_ignored", "0.98 is only its default"),
    # properties of one case, in the lesson's terms, when no known mistake fits
    (ex06.check_lr_range_test, range_test_weighted_wrong, "smoothing_differs", "bias-corrected moving average"),
    (ex06.check_lr_range_test, range_test_fixed(stop_margin=0.5), "stops_too_early", "stops earlier"),
    (ex06.check_lr_range_test, range_test_fixed(stop_margin=1.5), "stops_too_late", "goes on past"),
    (ex06.check_suggest_lr, suggest_steepest_of_log_loss, "steepest_not_steepest", "most negative"),
    (ex06.check_suggest_lr, suggest_between_points, "suggestion_not_a_rate", "not one of the curve's rates"),
    (ex06.check_suggest_lr, suggest_with(minimum=lambda l, v: l[np.argmin(v[:-1])] / 10), "minimum_rule_differs",
     "lowest of the finite curve"),
    (ex06.check_clip_grad_norm, clip_with(scale=lambda t, c: min(1.0, c / (t + 1e-3))), "clipped_wrong",
     "total_norm is right"),
    (ex06.check_clip_grad_norm, lambda g, c: (clip_where(g, c)[0], np.linalg.norm(g) + 1e-6), "norm_wrong",
     "Euclidean norm of the whole gradient"),
], ids=["threshold_ignored", "beta_ignored", "smoothing_differs", "stops_too_early", "stops_too_late",
        "steepest_not_steepest", "suggestion_not_a_rate", "minimum_rule_differs", "clipped_wrong", "norm_wrong"])
def test_trial06_properties_and_ignored_arguments_are_named(check, impl, mistake, phrase):
    rejects(check, impl, mistake, phrase)
