"""Exercise 04's checks: schedules written differently pass, common mistakes are named.

Every wrong implementation below is one a learner could write; the check must reject
it with the expected diagnosis (``CheckFailed.mistake``) and a phrase of the lesson's
explanation.  The right ones use other formulas or loops, and work on one step and on
arrays of steps, as the exercise asks.
"""

import math

import numpy as np
import pytest
from grading_support import (
    BROKEN_CODE, accepts, assert_variants_differ, part_id, points_table, rejects, rejects_broken,
)

from lrcourse import schedules
from lrcourse.grading import CheckFailed, ex04


def elementwise(scalar_schedule):
    """Turn a one-step schedule written with math/if into one that also takes arrays."""
    def schedule(step, *args):
        if np.ndim(step) == 0:
            return scalar_schedule(int(step), *args)
        flat = [scalar_schedule(int(k), *args) for k in np.ravel(step)]
        return np.array(flat, dtype=float).reshape(np.shape(step))
    return schedule


def step_decay_in_place(step, lr, step_size, gamma=0.1):
    step //= step_size  # rebinds an int, but overwrites the caller's array
    return lr * gamma ** step


# ---------------------------------------------------------------------------
# step_decay
# ---------------------------------------------------------------------------

def step_decay_loop(step, lr, step_size, gamma=0.1):
    value = lr
    for k in range(1, step + 1):
        if k % step_size == 0:
            value *= gamma
    return value


RIGHT_STEP_DECAY = [
    lambda step, lr, step_size, gamma=0.1: lr * gamma ** (np.asarray(step) // step_size) * 1.0,
    lambda step, lr, step_size, gamma=0.1: lr * np.power(gamma, np.floor(np.divide(step, step_size))),
    elementwise(step_decay_loop),
    lambda step, lr, step_size, gamma=0.1: schedules.step_decay(lr, step_size, gamma)(step),
]

WRONG_STEP_DECAY = [
    (lambda s, lr, n, g=0.1: lr * g ** ((np.asarray(s) + 1) // n), "ahead_one_step", "one step ahead"),
    (lambda s, lr, n, g=0.1: lr * g ** (s / n), "no_floor", "decays a little at every step"),
    (lambda s, lr, n, g=0.1: lr * g ** np.ceil(s / n), "ceil_not_floor", "rounded k / step_size up"),
    # issue 9: np.round was told "one step ahead" (on step_size = 3 it is exactly that)
    (lambda s, lr, n, g=0.1: lr * g ** np.round(s / n), "rounded_not_floored", "halfway through each period"),
    (lambda s, lr, n, g=0.1: lr * g * (s // n), "gamma_times_count", "γ·(number of drops)"),
    (lambda s, lr, n, g=0.1: lr * (1 - g) ** (s // n), "one_minus_gamma", "(1 − γ)"),
    (lambda s, lr, n, g=0.1: lr * g ** (s // n) if s < 10 ** 9 else 0.0, "not_vectorised",
     "works on one step but raises on an array"),
    (lambda s, lr, n, g=0.1: [lr * g ** (k // n) for k in np.atleast_1d(s)] if np.ndim(s) else lr * g ** (s // n),
     "returned_list", "Python list"),
    (step_decay_in_place, "mutated_input", "changed its input step in place"),
    (lambda s, lr, n, g=0.1: lr * g ** (np.asarray(s) // n) * np.ones(1), "wrong_shape", "shape of step"),
]


@pytest.mark.parametrize("impl", RIGHT_STEP_DECAY)
def test_step_decay_accepts(impl, capsys):
    accepts(ex04.check_step_decay, impl, capsys, "step_decay", 1)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STEP_DECAY)
def test_step_decay_rejects(impl, mistake, phrase):
    rejects(ex04.check_step_decay, impl, mistake, phrase)


def test_behind_one_step_is_named():
    def behind(step, lr, step_size, gamma=0.1):
        k = np.maximum(np.asarray(step) - 1, 0)
        return _like(step, lr * gamma ** (k // step_size))
    rejects(ex04.check_step_decay, behind, "behind_one_step", "one step behind")


def _like(step, values):
    return float(values) if np.ndim(step) == 0 else np.asarray(values, dtype=float)


def test_a_schedule_that_only_takes_arrays_is_told_so():
    def arrays_only(step, lr, step_size, gamma=0.1):
        return np.array([lr * gamma ** (k // step_size) for k in step])
    rejects(ex04.check_step_decay, arrays_only, "not_scalar", "raises on a single integer step")


# ---------------------------------------------------------------------------
# exponential_decay
# ---------------------------------------------------------------------------

def exponential_recursive(step, lr, gamma):
    value = lr
    for _ in range(step):
        value *= gamma
    return value


RIGHT_EXPONENTIAL = [
    lambda step, lr, gamma: lr * gamma ** np.asarray(step, dtype=float),
    lambda step, lr, gamma: lr * np.exp(np.log(gamma) * np.asarray(step)),
    elementwise(exponential_recursive),
]

WRONG_EXPONENTIAL = [
    (lambda s, lr, g: lr * g ** (np.asarray(s) + 1.0), "ahead_one_step", "one step ahead"),
    (lambda s, lr, g: lr * (1 - g) ** np.asarray(s, float), "one_minus_gamma", "(1 − γ)"),
    (lambda s, lr, g: lr * np.exp(-g * np.asarray(s)), "exp_of_gamma", "e^(−γk)"),
    (lambda s, lr, g: lr / (1 + g * np.asarray(s)), "inverse_time", "inverse-time decay"),
    (lambda s, lr, g: lr * g * np.asarray(s, float), "gamma_times_step", "γ·k"),
    (lambda s, lr, g: math.pow(g, s) * lr, "not_vectorised", "np.where"),
]


@pytest.mark.parametrize("impl", RIGHT_EXPONENTIAL)
def test_exponential_decay_accepts(impl, capsys):
    accepts(ex04.check_exponential_decay, impl, capsys, "exponential_decay", 1)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_EXPONENTIAL)
def test_exponential_decay_rejects(impl, mistake, phrase):
    rejects(ex04.check_exponential_decay, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# cosine_annealing
# ---------------------------------------------------------------------------

def cosine_with_sin(step, lr, T_max, eta_min=0.0):  # noqa: N803
    # ½(1 + cos θ) = cos²(θ/2)
    return eta_min + (lr - eta_min) * np.cos(np.pi * np.asarray(step) / (2 * T_max)) ** 2


def cosine_scalar(step, lr, T_max, eta_min=0.0):  # noqa: N803
    return eta_min + 0.5 * (lr - eta_min) * (1 + math.cos(math.pi * step / T_max))


RIGHT_COSINE = [
    lambda s, lr, T, e=0.0: e + (lr - e) * (1 + np.cos(np.pi * np.asarray(s) / T)) / 2,
    cosine_with_sin,
    elementwise(cosine_scalar),
]


def _cos(s, lr, T, e):
    return e + (lr - e) * (1 + np.cos(np.pi * np.asarray(s, float) / T)) / 2


WRONG_COSINE = [
    (lambda s, lr, T, e=0.0: _cos(np.asarray(s) + 1, lr, T, e), "ahead_one_step", "one step ahead"),
    (lambda s, lr, T, e=0.0: _cos(s, lr, T - 1, e), "T_max_minus_one", "T_max − 1"),
    (lambda s, lr, T, e=0.0: _cos(s, lr, T, 0.0), "eta_min_ignored", "instead of η_min"),
    (lambda s, lr, T, e=0.0: e + lr * (1 + np.cos(np.pi * np.asarray(s) / T)) / 2, "eta_min_added",
     "lr + η_min"),
    (lambda s, lr, T, e=0.0: 2 * _cos(s, lr, T, e) - e, "missing_half", "factor ½"),
    (lambda s, lr, T, e=0.0: e + (lr - e) * (1 + np.cos(np.asarray(s) / T)) / 2, "no_pi", "lacks π"),
    (lambda s, lr, T, e=0.0: _cos(np.minimum(s, T), lr, T, e), "clamped_after_T_max", "climbs back"),
    (lambda s, lr, T, e=0.0: _cos(np.mod(s, T), lr, T, e), "restarts_after_T_max", "warm restart"),
    (cosine_scalar, "not_vectorised", "math.floor`/`math.cos"),
]


@pytest.mark.parametrize("impl", RIGHT_COSINE)
def test_cosine_annealing_accepts(impl, capsys):
    accepts(ex04.check_cosine_annealing, impl, capsys, "cosine_annealing", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_COSINE)
def test_cosine_annealing_rejects(impl, mistake, phrase):
    rejects(ex04.check_cosine_annealing, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# warmup_cosine
# ---------------------------------------------------------------------------

def warmup_cosine_where(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0):
    k = np.asarray(step, dtype=float)
    w, T, s = warmup_steps, total_steps, start_factor
    ramp = lr * (s + (1 - s) * k / w)
    decay = eta_min + (lr - eta_min) * (1 + np.cos(np.pi * (k - w) / (T - w))) / 2
    out = np.where(k < w, ramp, decay)
    return float(out) if out.ndim == 0 else out


def warmup_cosine_scalar(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0):
    if step < warmup_steps:
        return lr * (start_factor + (1 - start_factor) * step / warmup_steps)
    t = step - warmup_steps
    return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / (total_steps - warmup_steps))) / 2


def warmup_cosine_linspace(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0):
    # the whole curve once, then index it (np.linspace with warmup_steps + 1 points, last dropped)
    T = int(np.max(step)) + 1
    ramp = np.linspace(start_factor * lr, lr, warmup_steps + 1)[:-1]
    t = np.arange(max(T - warmup_steps, 0))
    decay = eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / (total_steps - warmup_steps))) / 2
    curve = np.concatenate([ramp, decay])
    return curve[step] if np.ndim(step) else float(curve[step])


def warmup_cosine_composed(step, lr, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0):
    cosine = schedules.cosine(lr, total_steps - warmup_steps, eta_min)
    return schedules.warmup(cosine, warmup_steps, start_factor)(step)


RIGHT_WARMUP_COSINE = [
    warmup_cosine_where,
    elementwise(warmup_cosine_scalar),
    warmup_cosine_linspace,
    warmup_cosine_composed,
]


def wc_variant(ramp=None, cos_from=None, cos_len=None, floor=None):
    def schedule(step, lr, w, T, s=0.1, e=0.0):  # noqa: N803
        k = np.asarray(step, dtype=float)
        up = lr * (ramp(k, w, s) if ramp else s + (1 - s) * k / w)
        start = w if cos_from is None else cos_from
        length = T - w if cos_len is None else cos_len(w, T)
        low = e if floor is None else floor
        down = low + (lr - low) * (1 + np.cos(np.pi * (k - start) / length)) / 2
        out = np.where(k < w, up, down)
        return float(out) if out.ndim == 0 else out
    return schedule


def warmup_late(step, lr, w, T, s=0.1, e=0.0):  # noqa: N803
    # the ramp runs over w + 1 steps and the cosine starts one step later
    return warmup_cosine_where(step, lr, w + 1, T, s, e)


WRONG_WARMUP_COSINE = [
    (lambda step, *a: warmup_cosine_where(np.asarray(step) + 1, *a), "ahead_one_step", "one step ahead"),
    (wc_variant(ramp=lambda k, w, s: k / w), "warmup_from_zero", "starts at 0"),
    (wc_variant(ramp=lambda k, w, s: s + (1 - s) * k / (w - 1)), "warmup_one_step_early", "one step early"),
    (warmup_late, "warmup_one_step_late", "ends one step late"),
    (wc_variant(cos_from=0), "cosine_not_shifted", "counting at step 0"),
    (wc_variant(cos_len=lambda w, T: T), "cosine_over_total_steps", "total_steps − w"),
    (wc_variant(floor=0.0), "eta_min_ignored", "decays to 0"),
    (warmup_cosine_scalar, "not_vectorised", "raises on an array of steps"),
]


@pytest.mark.parametrize("impl", RIGHT_WARMUP_COSINE)
def test_warmup_cosine_accepts(impl, capsys):
    accepts(ex04.check_warmup_cosine, impl, capsys, "warmup_cosine", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_WARMUP_COSINE)
def test_warmup_cosine_rejects(impl, mistake, phrase):
    rejects(ex04.check_warmup_cosine, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# triangular_cyclic
# ---------------------------------------------------------------------------

def smith(step, base_lr, max_lr, step_size):
    cycle = np.floor(1 + np.asarray(step) / (2 * step_size))
    x = np.abs(np.asarray(step) / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * np.maximum(0, 1 - x)


def triangle_by_position(step, base_lr, max_lr, step_size):
    position = np.mod(step, 2 * step_size)  # steps into the current cycle
    height = np.where(position <= step_size, position, 2 * step_size - position) / step_size
    return base_lr + (max_lr - base_lr) * height


def triangle_scalar(step, base_lr, max_lr, step_size):
    position = step % (2 * step_size)
    if position < step_size:
        return base_lr + (max_lr - base_lr) * position / step_size
    return max_lr - (max_lr - base_lr) * (position - step_size) / step_size


RIGHT_CYCLIC = [smith, triangle_by_position, elementwise(triangle_scalar)]

WRONG_CYCLIC = [
    (lambda k, b, t, s: smith(np.asarray(k) + 1, b, t, s), "ahead_one_step", "one step ahead"),
    (lambda k, b, t, s: smith(k, b, t, s / 2), "period_step_size", "2·step_size"),
    (lambda k, b, t, s: smith(k, b, t, 2 * s), "period_four_step_size", "4·step_size"),
    (lambda k, b, t, s: smith(np.asarray(k) + s, b, t, s), "starts_at_max", "starts at max_lr"),
    (lambda k, b, t, s: smith(k, b, t, s) - b, "base_lr_missing", "sits on top of base_lr"),
    (lambda k, b, t, s: b + t * (smith(k, b, t, s) - b) / (t - b), "max_lr_as_amplitude",
     "base_lr + max_lr"),
    (lambda k, b, t, s: b + (t - b) * np.maximum(0, 1 - np.abs(np.asarray(k) / s - 2 * np.floor(
        np.asarray(k) / (2 * s)) + 1)), "cycle_count_from_zero", "starts at 1"),
    (triangle_scalar, "not_vectorised", "np.where"),
]


@pytest.mark.parametrize("impl", RIGHT_CYCLIC)
def test_triangular_cyclic_accepts(impl, capsys):
    accepts(ex04.check_triangular_cyclic, impl, capsys, "triangular_cyclic", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_CYCLIC)
def test_triangular_cyclic_rejects(impl, mistake, phrase):
    rejects(ex04.check_triangular_cyclic, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# one_cycle
# ---------------------------------------------------------------------------

def one_cycle_where(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    k = np.asarray(step, dtype=float)
    initial = max_lr / div_factor
    low = initial / final_div_factor
    e1, e2 = pct_start * total_steps - 1, total_steps - 1
    up = max_lr + (initial - max_lr) * (1 + np.cos(np.pi * np.minimum(k, e1) / e1)) / 2
    down = low + (max_lr - low) * (1 + np.cos(np.pi * (k - e1) / (e2 - e1))) / 2
    out = np.where(k <= e1, up, down)
    return float(out) if out.ndim == 0 else out


def one_cycle_scalar(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    def anneal(start, end, fraction):  # PyTorch's cosine annealing between two levels
        return end + (start - end) / 2 * (math.cos(math.pi * fraction) + 1)
    initial = max_lr / div_factor
    phase_end = float(pct_start * total_steps) - 1
    if step <= phase_end:
        return anneal(initial, max_lr, step / phase_end)
    return anneal(max_lr, initial / final_div_factor,
                  (step - phase_end) / (total_steps - 1 - phase_end))


def one_cycle_squared_cosines(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                              final_div_factor=1e4):
    # (1 + cos θ)/2 = cos²(θ/2): each phase as a weighted mean of its two ends
    k = np.asarray(step, dtype=float)
    levels = (max_lr / div_factor, max_lr, max_lr / div_factor / final_div_factor)
    ends = (0.0, pct_start * total_steps - 1, total_steps - 1.0)
    phase = (k > ends[1]).astype(int)
    start, end = np.take(ends, phase), np.take(ends, phase + 1)
    w = np.cos(np.pi * (k - start) / (end - start) / 2) ** 2
    out = w * np.take(levels, phase) + (1 - w) * np.take(levels, phase + 1)
    return float(out) if out.ndim == 0 else out


RIGHT_ONE_CYCLE = [one_cycle_where, elementwise(one_cycle_scalar), one_cycle_squared_cosines]


def oc_variant(e1=None, e2=None, low=None, linear=False, start=None):
    def schedule(step, M, T, p=0.3, d=25.0, f=1e4):  # noqa: N803
        k = np.asarray(step, dtype=float)
        initial = M / d
        a = p * T - 1 if e1 is None else e1(p, T)
        b = T - 1 if e2 is None else e2(T)
        floor = initial / f if low is None else low(M, d, f)
        first = initial if start is None else start(M, initial)

        def between(x, y, t, n):
            return x + (y - x) * t / n if linear else y + (x - y) * (1 + np.cos(np.pi * t / n)) / 2
        out = np.where(k <= a, between(first, M, np.minimum(k, a), a), between(M, floor, k - a, b - a))
        return float(out) if out.ndim == 0 else out
    return schedule


WRONG_ONE_CYCLE = [
    (lambda step, *a: one_cycle_where(np.asarray(step) + 1, *a), "ahead_one_step", "one step ahead"),
    (oc_variant(low=lambda M, d, f: M / d), "final_div_factor_missing", "final_div_factor"),
    (oc_variant(low=lambda M, d, f: M / f), "floor_from_max_lr", "*initial* rate"),
    (oc_variant(e1=lambda p, T: p * T), "warmup_one_step_late", "pct_start·total_steps − 1"),
    (oc_variant(e2=lambda T: T), "anneal_ends_at_total_steps", "never taken"),
    (oc_variant(linear=True), "linear_not_cosine", "straight lines"),
    (oc_variant(start=lambda M, initial: 0.0), "warmup_from_zero", "starts at 0"),
    (oc_variant(start=lambda M, initial: M), "no_warmup", "starts at max_lr"),
    (one_cycle_scalar, "not_vectorised", "np.where"),
]


@pytest.mark.parametrize("impl", RIGHT_ONE_CYCLE)
def test_one_cycle_accepts(impl, capsys):
    accepts(ex04.check_one_cycle, impl, capsys, "one_cycle", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_ONE_CYCLE)
def test_one_cycle_rejects(impl, mistake, phrase):
    rejects(ex04.check_one_cycle, impl, mistake, phrase)




# ---------------------------------------------------------------------------
# sgdr (warm restarts built from join)
# ---------------------------------------------------------------------------

def sgdr_join(step, lr, cycle_lengths, eta_min=0.0):
    pieces = [schedules.cosine(lr, T_max=n, eta_min=eta_min) for n in cycle_lengths]
    return schedules.join(pieces, list(np.cumsum(cycle_lengths)[:-1]))(step)


def sgdr_loop(step, lr, cycle_lengths, eta_min=0.0):
    def one(k):
        start = 0
        for i, n in enumerate(cycle_lengths):
            if k < start + n or i == len(cycle_lengths) - 1:
                return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * (k - start) / n)) / 2
            start += n
    return elementwise(lambda k, *a: one(k))(step)


def sgdr_where(step, lr, cycle_lengths, eta_min=0.0):
    k = np.asarray(step, dtype=float)
    ends = np.cumsum(cycle_lengths)
    starts = ends - np.asarray(cycle_lengths)
    i = np.minimum(np.sum(k[..., None] >= ends, axis=-1), len(cycle_lengths) - 1)
    t, T = k - starts[i], np.asarray(cycle_lengths, dtype=float)[i]
    out = eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / T)) / 2
    return float(out) if np.ndim(step) == 0 else out


def sgdr_warm_restarts_when_equal(step, lr, cycle_lengths, eta_min=0.0):
    # the ready-made SGDR where it applies (equal cycles, or doubling), join otherwise
    n = cycle_lengths
    if np.all(np.asarray(step) < sum(n)) and all(b == 2 * a for a, b in zip(n, n[1:])):
        return schedules.cosine_warm_restarts(lr, T_0=n[0], T_mult=2, eta_min=eta_min)(step)
    return sgdr_join(step, lr, cycle_lengths, eta_min)


def sgdr_variant(**switches):
    return ex04._sgdr_formula(**switches)


def sgdr_ahead(step, lr, cycle_lengths, eta_min=0.0):
    return sgdr_join(np.asarray(step) + 1, lr, cycle_lengths, eta_min)


def sgdr_scalar(step, lr, cycle_lengths, eta_min=0.0):
    start = 0
    for i, n in enumerate(cycle_lengths):
        if step < start + n or i == len(cycle_lengths) - 1:
            return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * (step - start) / n)) / 2
        start += n


RIGHT_SGDR = [sgdr_join, sgdr_loop, sgdr_where, sgdr_warm_restarts_when_equal]

WRONG_SGDR = [
    (lambda step, lr, n, e=0.0: schedules.join([schedules.cosine(lr, T_max=m, eta_min=e) for m in n],
                                               n[:-1])(step), "boundaries_not_cumulative", "*starts*"),
    (sgdr_variant(boundaries=lambda n: np.cumsum(n)[:-1] - 1), "restart_one_step_early", "one step early"),
    (sgdr_variant(boundaries=lambda n: np.cumsum(n)[:-1] + 1), "restart_one_step_late", "one step late"),
    (sgdr_variant(local=False), "step_not_restarted", "global step"),
    (lambda step, lr, n, e=0.0: schedules.join([schedules.cosine(lr, T_max=n[0], eta_min=e)] * len(n),
                                               list(np.cumsum(n)[:-1]))(step), "same_cycle_length", "first cycle"),
    (sgdr_variant(period=lambda n, i: sum(n)), "cosine_over_whole_run", "whole run"),
    (sgdr_variant(period=lambda n, i: n[i] - 1), "T_max_minus_one", "one step before"),
    (lambda step, lr, n, e=0.0: sgdr_join(step, lr, n), "eta_min_ignored", "down to 0"),
    (lambda step, lr, n, e=0.0: schedules.join([schedules.linear_ramp(lr, e, m) for m in n],
                                               list(np.cumsum(n)[:-1]))(step), "linear_not_cosine", "straight"),
    (sgdr_variant(wrap_last=True), "restarts_after_last_cycle", "restarts again"),
    (sgdr_ahead, "ahead_one_step", "one step ahead"),
    (sgdr_scalar, "not_vectorised", "array of steps"),
]


@pytest.mark.parametrize("impl", RIGHT_SGDR)
def test_sgdr_accepts(impl, capsys):
    accepts(ex04.check_sgdr, impl, capsys, "sgdr", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_SGDR)
def test_sgdr_rejects(impl, mistake, phrase):
    rejects(ex04.check_sgdr, impl, mistake, phrase)


def test_sgdr_equals_pytorchs_warm_restarts_for_doubling_cycles():
    k = np.arange(140)
    assert np.allclose(ex04._sgdr(k, 0.1, [20, 40, 80], 0.001),
                       schedules.cosine_warm_restarts(0.1, T_0=20, T_mult=2, eta_min=0.001)(k), rtol=1e-13)


# ---------------------------------------------------------------------------
# plateau_lrs (ReduceLROnPlateau)
# ---------------------------------------------------------------------------

def plateau_library(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0):
    p = schedules.ReduceLROnPlateau(lr, factor=factor, patience=patience, threshold=threshold,
                                    cooldown=cooldown)
    return np.array([p.step(m) for m in metrics])


def plateau_loop(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0):
    best, bad, cool, out = math.inf, 0, 0, []
    for m in metrics:
        if m < best * (1 - threshold):
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            if lr - lr * factor > 1e-8:
                lr = lr * factor
            bad, cool = 0, cooldown
        out.append(lr)
    return np.array(out)


class PlateauState:
    def __init__(self, lr, factor, patience, threshold, cooldown):
        self.lr, self.factor, self.patience = lr, factor, patience
        self.threshold, self.cooldown = threshold, cooldown
        self.best, self.since, self.wait = float("inf"), 0, 0

    def update(self, m):
        improved = m < self.best * (1 - self.threshold)
        self.best = m if improved else self.best
        self.since = 0 if improved else self.since + 1
        if self.wait:
            self.wait -= 1
            self.since = 0
        if self.since == self.patience + 1:
            reduced = self.lr * self.factor
            self.lr = reduced if self.lr - reduced > 1e-8 else self.lr
            self.since, self.wait = 0, self.cooldown
        return self.lr


def plateau_class(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0):
    state = PlateauState(lr, factor, patience, threshold, cooldown)
    return np.array([state.update(float(m)) for m in metrics])


def plateau_variant(**switches):
    return ex04._plateau_variant(**switches)


RIGHT_PLATEAU = [plateau_library, plateau_loop, plateau_class]

WRONG_PLATEAU = [
    (plateau_variant(before_step=True), "returned_lr_before", "one call late"),
    (plateau_variant(better=lambda m, b, t: m < b), "threshold_ignored", "however small"),
    (plateau_variant(better=lambda m, b, t: m < b - t), "threshold_absolute", "absolute"),
    (plateau_variant(better=lambda m, b, t: m < b * (1 + t)), "threshold_wrong_side", "worse"),
    (plateau_variant(best_always=True), "best_updated_without_improvement", "creeps down"),
    (plateau_variant(vs_previous=True), "compared_with_previous", "previous one"),
    (plateau_variant(reduce_at=lambda bad, p: bad >= p), "patience_one_early", "*exceeds*"),
    (plateau_variant(reduce_at=lambda bad, p: bad > p + 1), "patience_one_late", "one evaluation late"),
    (plateau_variant(reset_after=False), "counter_not_reset", "resets the counter"),
    (plateau_variant(cooldown_on=False), "cooldown_ignored", "ignore cooldown"),
    (plateau_variant(better=lambda m, b, t: m < b - b * t), "first_value_never_best", "∞ − ∞"),
    (plateau_variant(eps=-1.0), "eps_ignored", "1e-8"),
    (plateau_variant(better=lambda m, b, t: not m >= b * (1 - t)), "nan_improves", "NaN"),
    (lambda metrics, lr, *a: plateau_loop(metrics, lr, *a)[:-1], "wrong_shape", "(len(metrics),)"),
    # the exercise says "returns an array" (issue 9): a list is refused, saying why
    (lambda *a: list(plateau_loop(*a)), "returned_list", "repeats the list"),
]


@pytest.mark.parametrize("impl", RIGHT_PLATEAU)
def test_plateau_lrs_accepts(impl, capsys):
    accepts(ex04.check_plateau_lrs, impl, capsys, "plateau_lrs", 3)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_PLATEAU)
def test_plateau_lrs_rejects(impl, mistake, phrase):
    rejects(ex04.check_plateau_lrs, impl, mistake, phrase)


def test_plateau_cases_show_a_drop_without_a_new_best():
    """The first visible case keeps falling by less than the threshold, and the rate is cut."""
    metrics = ex04.PLATEAU_LRS.cases[0].args["metrics"]
    assert np.all(np.diff(metrics) < 0)
    assert ex04._plateau_lrs(**ex04.PLATEAU_LRS.cases[0].args)[-1] < 1.0


# ---------------------------------------------------------------------------
# restarts_help (reading an experiment)
# ---------------------------------------------------------------------------

def answer(value):
    return lambda: value


RIGHT_RESTARTS = [answer("ACD"), answer("d, c, a"), answer(["A", "C", "D"]), answer("cad")]

WRONG_RESTARTS = [
    # the id names the misconception (the first group with a wrong letter); the message is
    # the same for every wrong answer (trial 4567: counts and groups allowed elimination)
    (answer("CD"), "table_misread", "not exactly the true statements"),
    (answer("ABCD"), "table_misread", "which or how many"),
    (answer("AD"), "table_misread", "row by row"),
    (answer("AC"), "restart_reason_misjudged", "f″"),
    (answer("ACDE"), "restart_reason_misjudged", "not exactly the true statements"),
    (answer("ACE"), "restart_reason_misjudged", "every statement again"),
    (answer(""), "table_misread", "not exactly the true statements"),
    (answer("ABCDE"), "table_misread", "lesson 04, section 8"),
    (answer("ACDX"), "unknown_option", "X"),
    (answer(None), "returned_none", "None"),
]


@pytest.mark.parametrize("impl", RIGHT_RESTARTS)
def test_restarts_help_accepts(impl, capsys):
    accepts(ex04.check_restarts_help, impl, capsys, "restarts_help", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_RESTARTS)
def test_restarts_help_rejects(impl, mistake, phrase):
    rejects(ex04.check_restarts_help, impl, mistake, phrase)


@pytest.mark.parametrize("answer_letters", ["CD", "AD", "ABCD", "ACDE", "AC", "ACE", "BCD", "ADE"])
def test_restart_messages_never_name_a_statement(answer_letters):
    """Issue 9: the message counts and points to the lesson; it never names the topic of
    one statement (a hint like "about the deepest valley" can only mean C)."""
    message = str(_failure(ex04.check_restarts_help, answer_letters))
    for giveaway in ("−2.51", "longer step", "lower loss than", "statement about the table",
                     "You chose a statement", "the reason the table"):
        assert giveaway not in message, message
    for letter in "ABCDE":
        assert f" {letter} " not in message and f"({letter})" not in message, message
    # every wrong answer reads the same: no count, no group (trial 4567)
    assert message == str(_failure(ex04.check_restarts_help, "B"))
    for count in ("1 true", "2 true", "3 true", "1 false", "2 false", "leaves out", "includes"):
        assert count not in message, message


def _failure(check, letters):
    try:
        check(answer(letters))
    except CheckFailed as error:
        return error
    raise AssertionError("accepted")


def test_the_restart_statements_are_what_the_experiment_measures():
    from lrcourse.problems import WavyValley
    runs = ex04.restart_experiment()
    valley = WavyValley()
    deepest = valley.local_minima[np.argmin([valley.loss(np.array([m])) for m in valley.local_minima])]
    for cosine_x, restart_x in runs.values():
        assert abs(cosine_x - restart_x) < 1e-6                                  # A (so not B)
        assert abs(cosine_x - deepest) > 1 and abs(restart_x - deepest) > 1      # C
    c, a = valley.c, valley.a
    curvature = -2 * c * np.sin(c * deepest) - c * c * deepest * np.cos(c * deepest) + 2 * a
    assert 2 / curvature < 0.2 < max(ex04.RESTART_PEAKS)                        # E is false


# ---------------------------------------------------------------------------
# Every part: broken code, and the points table
# ---------------------------------------------------------------------------

PARTS = [
    (ex04.check_step_decay, ex04.STEP_DECAY),
    (ex04.check_exponential_decay, ex04.EXPONENTIAL_DECAY),
    (ex04.check_cosine_annealing, ex04.COSINE_ANNEALING),
    (ex04.check_warmup_cosine, ex04.WARMUP_COSINE),
    (ex04.check_triangular_cyclic, ex04.TRIANGULAR_CYCLIC),
    (ex04.check_one_cycle, ex04.ONE_CYCLE),
    (ex04.check_sgdr, ex04.SGDR),
]


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
@pytest.mark.parametrize("impl, mistake", [
    *BROKEN_CODE, (lambda *a: np.nan, "not_finite"), (lambda *a: "0.1", "wrong_type"),
])
def test_every_part_handles_broken_code(check, part, impl, mistake, monkeypatch):
    rejects_broken(check, part, impl, mistake, monkeypatch)


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE)
def test_plateau_lrs_handles_broken_code(impl, mistake, monkeypatch):
    rejects_broken(ex04.check_plateau_lrs, ex04.PLATEAU_LRS, impl, mistake, monkeypatch)


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE[:3])
def test_restarts_help_handles_broken_code(impl, mistake):
    rejects_broken(ex04.check_restarts_help, ex04.RESTARTS_HELP, lambda: impl(), mistake)


def test_plateau_variants_differ_from_the_reference():
    assert_variants_differ(ex04.PLATEAU_LRS, atol=1e-12)


def test_points_table_matches_the_parts():
    assert ex04.PARTS == points_table([*PARTS, (ex04.check_plateau_lrs, ex04.PLATEAU_LRS),
                                       (ex04.check_restarts_help, ex04.RESTARTS_HELP)])
    assert sum(ex04.PARTS.values()) == 17


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
def test_cases_separate_every_variant_from_the_reference(check, part):
    """Each variant mistake differs from the reference on some visible case (else it could
    never be reported), and every part tries both a single step and an array of steps."""
    assert_variants_differ(part)
    for cases in (part.cases, part.hidden_cases):
        assert any(np.ndim(c.args["step"]) == 0 for c in cases)
        assert any(np.ndim(c.args["step"]) == 1 for c in cases)


def test_messages_never_show_the_reference_values():
    def off(step, lr, T_max, eta_min=0.0):  # noqa: N803
        return _cos(step, lr, T_max, eta_min) * 1.01
    message = rejects(ex04.check_cosine_annealing, off, "wrong_value", "wrong value")
    right = ex04._cosine_annealing(3, lr=0.1, T_max=10, eta_min=0.01)
    assert f"{right:.6g}" not in message


# ---------------------------------------------------------------------------
# Outside learner trial (issue 9): plausible mistakes that got the generic message
# ---------------------------------------------------------------------------

def exp_lr_twice(step, lr, gamma):
    return lr * (lr * gamma ** np.asarray(step, dtype=float))


def cosine_one_minus(step, lr, T_max, eta_min=0.0):
    return eta_min + (lr - eta_min) * (1 - np.cos(np.pi * np.asarray(step, dtype=float) / T_max)) / 2


def cyclic_no_abs(step, base_lr, max_lr, step_size):
    k = np.asarray(step, dtype=float)
    cycle = np.floor(1 + k / (2 * step_size))
    x = k / step_size - 2 * cycle + 1
    return base_lr + (max_lr - base_lr) * np.maximum(0.0, 1 - x)


def cyclic_rounded(step, base_lr, max_lr, step_size):
    k = np.asarray(step, dtype=float)
    cycle = np.round(1 + k / (2 * step_size))
    x = np.abs(k / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * np.maximum(0.0, 1 - x)


def one_cycle_shaped(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                     final_div_factor=1e4, *, end=lambda p, T: p * T - 1, sign=1.0):
    k = np.asarray(step, dtype=float)
    initial = max_lr / div_factor
    floor = initial / final_div_factor
    first, last = end(pct_start, total_steps), total_steps - 1

    def phase(a, b, t, d):
        return b + (a - b) * (1 + sign * np.cos(np.pi * t / d)) / 2

    return np.where(k < first, phase(initial, max_lr, np.minimum(k, first), first),
                    phase(max_lr, floor, k - first, last - first))


def sgdr_periods(step, lr, cycle_lengths, eta_min=0.0, *, period):
    pieces = [schedules.cosine(lr, T_max=period(cycle_lengths, i), eta_min=eta_min)
              for i in range(len(cycle_lengths))]
    out = schedules.join(pieces, list(np.cumsum(cycle_lengths)[:-1]))(np.asarray(step))
    return out if np.ndim(step) else float(out)


def sgdr_fixed(step, lr, cycle_lengths, eta_min=0.0):
    t0 = cycle_lengths[0]
    return schedules.cosine(lr, T_max=t0, eta_min=eta_min)(np.mod(step, t0))


def plateau_best_first(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0):
    best, bad, cool, out = metrics[0], 0, 0, []
    for m in metrics:
        if m < best * (1 - threshold):
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > patience:
            if lr - lr * factor > 1e-8:
                lr *= factor
            cool, bad = cooldown, 0
        out.append(lr)
    return np.array(out)


TRIAL_MISTAKES = [
    (ex04.check_exponential_decay, exp_lr_twice, "lr_applied_twice", "lr²"),
    (ex04.check_cosine_annealing, cosine_one_minus, "one_minus_cos", "rises"),
    (ex04.check_triangular_cyclic, cyclic_no_abs, "abs_missing", "absolute value"),
    (ex04.check_triangular_cyclic, cyclic_rounded, "cycle_rounded", "rounded *down*"),
    (ex04.check_one_cycle, lambda *a, **k: one_cycle_shaped(*a, **k, end=lambda p, T: int(p * T) - 1),
     "phase_end_rounded", "float"),
    (ex04.check_one_cycle, lambda *a, **k: one_cycle_shaped(*a, **k, end=lambda p, T: round(p * T) - 1),
     "phase_end_rounded", "whole step"),
    (ex04.check_one_cycle, lambda *a, **k: one_cycle_shaped(*a, **k, sign=-1.0), "cos_sign_slip",
     "backwards"),
    (ex04.check_sgdr, sgdr_fixed, "fixed_period", "fixed period"),
    (ex04.check_sgdr, lambda *a: sgdr_periods(*a, period=lambda L, i: int(np.sum(L[:i + 1]))),
     "T_max_cumulative_end", "*ends*"),
    (ex04.check_plateau_lrs, plateau_best_first, "best_from_first_metric", "+∞"),
]


@pytest.mark.parametrize("check, impl, mistake, phrase", TRIAL_MISTAKES)
def test_trial_mistakes_are_named(check, impl, mistake, phrase):
    rejects(check, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# The outside learner trial of exercises 04–07 (accepted wrong code, off-target messages)
# ---------------------------------------------------------------------------

def cyclic_x_by_integer_division(step, base_lr, max_lr, step_size):
    k = np.asarray(step)
    cycle = np.floor(1 + k / (2 * step_size))
    return base_lr + (max_lr - base_lr) * np.maximum(0, 1 - np.abs(k // step_size - 2 * cycle + 1))


def plateau_with_min_lr(metrics, lr, factor=0.1, patience=10, threshold=1e-4, cooldown=0):
    """The rule with a floor min_lr = 1e-6 on the rate (the exercise fixes min_lr = 0)."""
    best, bad, cool, out = math.inf, 0, 0, []
    for m in metrics:
        if m < best * (1 - threshold):
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            new = max(lr * factor, 1e-6)
            lr = new if lr - new > 1e-8 else lr
            bad, cool = 0, cooldown
        out.append(lr)
    return np.array(out)


TRIAL_4567 = [
    # accepted before: clipped at step 100 (the largest visible step was 45)
    (ex04.check_exponential_decay,
     lambda step, lr, gamma: lr * gamma ** np.minimum(np.asarray(step, float), 100), "wrong_value",
     "exponential_decay"),
    # accepted before: held at η_min past total_steps (the text now says the cosine goes on)
    (ex04.check_warmup_cosine,
     lambda step, lr, w, T, s=0.1, e=0.0: warmup_cosine_where(np.minimum(step, T), lr, w, T, s, e),  # noqa: N803
     "held_after_total_steps", "keeps going past T"),
    # accepted before: a value exactly on the bar counted as an improvement
    (ex04.check_plateau_lrs, plateau_variant(better=lambda m, b, t: m <= b * (1 - t)), "tie_improves",
     "strictly below"),
    # named "best lowered on every drop" before
    (ex04.check_plateau_lrs, plateau_variant(better=lambda m, b, t: m < b * t), "threshold_as_bar",
     "best·(1 − threshold)"),
    # a min_lr floor was named "threshold on the wrong side"; no known mistake fits it
    (ex04.check_plateau_lrs, plateau_with_min_lr, "wrong_value", "plateau_lrs"),
    # named "rounded to the nearest integer" / "cycle lasts step_size steps" before
    (ex04.check_triangular_cyclic, lambda k, b, t, s: smith(k, b, t, s - 1), "wrong_value",
     "triangular_cyclic"),
    (ex04.check_triangular_cyclic, cyclic_x_by_integer_division, "wrong_value", "triangular_cyclic"),
    # a list for one step was told "an extra axis from broadcasting"
    (ex04.check_step_decay,
     lambda step, lr, n, g=0.1: [lr * g ** (k // n) for k in np.atleast_1d(step)], "returned_list",
     "single integer step"),
    (ex04.check_exponential_decay,
     lambda step, lr, g: [lr * g ** k for k in np.atleast_1d(step)], "returned_list", "one number"),
]


@pytest.mark.parametrize("check, impl, mistake, phrase", TRIAL_4567)
def test_trial_4567_mistakes_are_rejected_on_target(check, impl, mistake, phrase):
    message = rejects(check, impl, mistake, phrase)
    for off_target in ("rounded 1 + k", "Your cycle lasts step_size", "lower the best on every drop",
                       "slightly *worse*", "extra axis"):
        assert off_target not in message
