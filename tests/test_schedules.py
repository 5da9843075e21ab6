"""Tests for lrcourse.schedules, with PyTorch as the oracle.

The PyTorch values come from tests/fixtures/torch_schedules.json, recorded by
tests/fixtures/record_torch_schedules.py (torch is not needed to run these tests).
"""

from __future__ import annotations

import inspect
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from lrcourse import schedules as S

FIXTURE = Path(__file__).parent / "fixtures" / "torch_schedules.json"
TORCH = json.loads(FIXTURE.read_text())
SCHEDULE_CASES = {case["name"]: case for case in TORCH["schedules"]}
PLATEAU_CASES = {case["name"]: case for case in TORCH["plateau"]}
RTOL = 1e-12  # pointwise, relative; torch's exact zeros must be exact zeros here too


def build(spec):
    """Turn a fixture spec {"factory": name, "kwargs": {...}} (nested) into a schedule."""
    if isinstance(spec, dict) and "factory" in spec:
        kwargs = {key: build(value) for key, value in spec["kwargs"].items()}
        factory = getattr(S, spec["factory"])
        return factory(**kwargs)
    if isinstance(spec, list):
        return [build(value) for value in spec]
    return spec


# ------------------------------------------------------------------ torch parity


def test_fixture_is_small_and_records_its_origin():
    assert FIXTURE.stat().st_size < 1_000_000
    assert TORCH["torch_version"]
    assert len(SCHEDULE_CASES) == len(TORCH["schedules"])  # names are unique
    covered = {case["spec"]["factory"] for case in TORCH["schedules"]}
    expected = {"constant", "step_decay", "multistep", "exponential", "inverse_time", "polynomial",
                "cosine", "linear", "warmup_cosine", "warmup", "join", "cyclic",
                "cosine_warm_restarts", "one_cycle"}
    assert expected <= covered


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_curve_matches_torch(name):
    case = SCHEDULE_CASES[name]
    expected = np.array(case["lrs"])
    curve = build(case["spec"])(np.arange(len(expected)))
    assert isinstance(curve, np.ndarray) and curve.dtype == np.float64 and curve.shape == expected.shape
    np.testing.assert_allclose(curve, expected, rtol=RTOL, atol=0, err_msg=case["torch"])


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_scalar_calls_equal_the_vector(name):
    case = SCHEDULE_CASES[name]
    schedule = build(case["spec"])
    steps = np.arange(len(case["lrs"]))
    curve = schedule(steps)
    scalars = [schedule(int(k)) for k in steps]
    assert all(type(value) is float for value in scalars)
    np.testing.assert_array_equal(np.array(scalars), curve)
    np.testing.assert_array_equal(schedule(steps.reshape(-1, 1)), curve.reshape(-1, 1))  # shape kept
    np.testing.assert_array_equal(schedule(steps[::-1]), curve[::-1])  # order-free


@pytest.mark.parametrize("name", sorted(PLATEAU_CASES))
def test_reduce_on_plateau_matches_torch(name):
    case = PLATEAU_CASES[name]
    plateau = S.ReduceLROnPlateau(**case["kwargs"])
    returned = [plateau.step(metric) for metric in case["metrics"]]
    np.testing.assert_allclose(returned, case["lrs"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(plateau.lrs, [case["kwargs"]["lr"]] + case["lrs"], rtol=RTOL, atol=0)
    assert [record.lr for record in plateau.history] == returned
    assert plateau.last_epoch == len(case["metrics"])


def test_plateau_fixture_exercises_reductions_cooldown_and_eps():
    """The recorded runs are not trivially flat: they reduce, and some reductions are skipped."""
    reductions = {}
    for name, case in PLATEAU_CASES.items():
        plateau = S.ReduceLROnPlateau(**case["kwargs"])
        for metric in case["metrics"]:
            plateau.step(metric)
        reductions[name] = sum(record.reduced for record in plateau.history)
    assert reductions["defaults_staircase"] >= 2
    assert reductions["threshold_swallows_tiny_gains"] > 0 == reductions["threshold0_counts_tiny_gains"]
    # eps: 1e-6 → 5e-7 → 2.5e-7 → 1.25e-7, then a cut of 6.25e-8 < eps is skipped forever
    assert reductions["eps_ignores_small_cuts"] == 3
    assert PLATEAU_CASES["eps_ignores_small_cuts"]["lrs"][-1] == pytest.approx(1.25e-7, rel=1e-15)
    # torch's relative threshold with negative metrics: a flat plateau keeps "improving"
    assert reductions["negative_metric_rel"] == 0


# ------------------------------------------------------------------ call contract


def test_scalar_step_gives_python_float_and_arrays_keep_shape():
    schedule = S.cosine(0.1, T_max=10)
    assert type(schedule(3)) is float
    assert type(schedule(np.int64(3))) is float
    assert type(schedule(np.array(3))) is float
    assert schedule(3.0) == schedule(3)  # whole-number floats are steps too
    grid = schedule(np.arange(12).reshape(3, 4))
    assert grid.shape == (3, 4) and grid.dtype == np.float64
    assert schedule(np.array([], dtype=int)).shape == (0,)
    assert schedule([0, 10]).tolist() == [0.1, 0.0]


@pytest.mark.parametrize(
    "step, error",
    [(-1, ValueError), (np.array([0, 3, -2]), ValueError), (2.5, ValueError), (math.nan, ValueError),
     (math.inf, ValueError), (True, TypeError), ("3", TypeError), (None, TypeError),
     (np.array([1, 2], dtype=bool), TypeError), (1 + 2j, TypeError)],
)
def test_bad_steps_are_refused_naming_step(step, error):
    for schedule in (S.constant(0.1), S.one_cycle(0.1, 100), S.ReduceLROnPlateau(0.1)):
        with pytest.raises(error, match=r"^step must be a non-negative integer"):
            schedule(step)


def test_bad_entry_in_a_step_array_is_pointed_out():
    with pytest.raises(ValueError, match=r"the first bad entry is -2"):
        S.exponential(0.1, 0.9)(np.array([0, 3, -2, -5]))


def test_labels_are_readable_and_computed_once():
    schedule = S.cosine(lr=0.1, T_max=100, eta_min=0)
    assert repr(schedule) == "cosine(lr=0.1, T_max=100, eta_min=0)"
    assert schedule.name == schedule.__name__ == str(schedule) == repr(schedule)
    assert repr(S.multistep(0.1, [30, 80])) == "multistep(lr=0.1, milestones=[30, 80], gamma=0.1)"
    assert repr(S.cyclic(1e-3, 6e-3, 20, mode="exp_range", gamma=0.99)) == (
        "cyclic(base_lr=0.001, max_lr=0.006, step_size_up=20, step_size_down=20, mode='exp_range', "
        "gamma=0.99)")
    assert repr(S.one_cycle(0.1, 100)).startswith("one_cycle(max_lr=0.1, total_steps=100, pct_start=0.3,")
    joined = S.join([S.constant(0.1), S.exponential(0.1, 0.5)], [3])
    assert repr(joined) == "join(schedules=[constant(lr=0.1), exponential(lr=0.1, gamma=0.5)], boundaries=[3])"
    def halve(k):
        return 0.1 * 0.5**k

    assert repr(S.join([S.constant(0.1), halve], [3])) == (
        "join(schedules=[constant(lr=0.1), halve], boundaries=[3])")  # no memory address
    assert repr(S.ReduceLROnPlateau(0.1)).startswith("ReduceLROnPlateau(lr=0.1, mode='min', factor=0.1,")


def test_every_factory_returns_a_schedule_and_documents_torch_and_formula():
    factories = [name for name in S.__all__ if name[0].islower()]
    for name in factories:
        doc = inspect.getdoc(getattr(S, name))
        assert "PyTorch" in doc, name
        if name != "join":
            assert "lr(k)" in doc.split("Parameters")[0], name  # the formula comes first
    for name in ("cosine", "cyclic", "cosine_warm_restarts", "one_cycle", "warmup", "warmup_cosine"):
        assert "References" in inspect.getdoc(getattr(S, name)), name


def test_no_numerical_warnings_at_extreme_steps():
    # pytest turns RuntimeWarning into errors; overflow to inf and underflow to 0 stay quiet
    assert S.exponential(1.0, 2.0)(5000) == math.inf
    assert S.exponential(1.0, 0.5)(5000) == 0.0
    assert S.cyclic(0.01, 0.1, 2, mode="triangular2")(10**6 + 2) == 0.01
    assert S.cyclic(0.01, 0.1, 2, mode="exp_range", gamma=0.5)(10**6 + 2) == 0.01


def test_library_does_not_import_torch():
    source = Path(S.__file__).read_text()
    assert not re.search(r"^\s*(import|from)\s+torch", source, flags=re.M)


# ------------------------------------------------------------------ semantics


def test_join_feeds_each_piece_its_local_step():
    seen = []

    def spy(local_steps):
        seen.append(np.asarray(local_steps).copy())
        return 0.5 + 0.0 * local_steps

    schedule = S.join([S.constant(1.0), spy, S.linear_ramp(0.2, 0.4, 2)], boundaries=[3, 5])
    assert schedule(np.arange(9)).tolist() == [1, 1, 1, 0.5, 0.5, 0.2, 0.30000000000000004, 0.4, 0.4]
    assert seen[0].tolist() == [0, 1] and seen[0].dtype == np.int64


def test_join_accepts_plain_functions_returning_a_number():
    schedule = S.join([S.constant(0.1), lambda k: 0.05], boundaries=[2])
    assert schedule(np.arange(4)).tolist() == [0.1, 0.1, 0.05, 0.05]


def test_join_reports_a_piece_that_is_not_vectorised():
    with pytest.raises(ValueError, match=r"^schedules\[1\] must be a vectorised schedule.*np\.where"):
        S.join([S.constant(0.1), lambda k: [0.1, 0.2, 0.3]], boundaries=[2])


def test_join_refuses_a_piece_written_with_if_else_with_the_librarys_hint():
    with pytest.raises(ValueError, match=r"^schedules\[1\] must be a vectorised schedule .*; got <lambda>\. "
                       r"called on an array of 32 steps from 0 to 999999 it raised ValueError: .*ambiguous.*"
                       r"np\.where\(k < 3, 0\.1, 0\.2\) instead of 0\.1 if k < 3 else 0\.2"):
        S.join([S.constant(0.1), lambda k: 0.1 if k < 3 else 0.2], boundaries=[2])


def test_join_refuses_a_piece_whose_lr_alone_differs_from_inside_an_array():
    def first_or_later(k):      # looks at the whole array: sched(7) and sched(arange(8))[7] differ
        return 2.1 if np.min(k) > 3 else 0.1 + 0.0 * k

    with pytest.raises(ValueError, match=r"^schedules\[1\] must be a vectorised schedule .*; got "
                       r"first_or_later\. at step 4 it gives 2\.1 called alone but 0\.1 inside an array"):
        S.join([S.constant(0.1), first_or_later], boundaries=[3])
    with pytest.raises(ValueError, match=r"^schedule must be a vectorised schedule .*; got first_or_later"):
        S.warmup(first_or_later, 3)


def test_a_piece_that_looks_at_the_whole_array_is_caught_past_the_first_steps():
    def early_or_late(k):       # the same for the first 16 steps, alone or together; not at step 10 of 50
        return 0.1 if np.all(k < 30) else 0.01

    with pytest.raises(ValueError, match=r"^schedule must be a vectorised schedule .*; got early_or_late\. "
                       r"at step 0 it gives 0\.1 called alone but 0\.01 inside an array"):
        S.warmup(early_or_late, 5)


def test_a_piece_returning_a_list_is_refused_once_not_inside_another_copy_of_the_message():
    with pytest.raises(ValueError) as info:
        S.warmup(lambda k: [0.1], 5)
    assert str(info.value).count("must be") == 1, info.value


@pytest.mark.parametrize("curve, returned", [
    (lambda t: 0.1 + 1j + 0 * t, "array([0.1+1.j])"), (lambda t: "x", "'x'"), (lambda t: None, "None")])
def test_a_curve_returning_something_other_than_real_numbers_is_refused(curve, returned):
    with pytest.raises(TypeError, match=rf"^curve must be a vectorised schedule .*; got <lambda>\. called on "
                       rf"the array of steps \[0\] it returned {re.escape(returned)}, not real numbers"):
        S.Schedule(curve, "bad")


def test_a_curve_returning_one_number_means_that_number_at_every_step():
    assert S.Schedule(lambda t: 0.1, "c")(np.arange(5)).tolist() == [0.1] * 5


def test_a_curve_written_with_if_gets_the_librarys_hint():
    schedule = S.Schedule(lambda t: 0.1 if t < 3 else 0.2, "c")      # one step: fine
    with pytest.raises(ValueError, match=r"^curve must be .*called on an array of 5 steps from 0 to 4 it raised "
                       r"ValueError: .*ambiguous.*np\.where"):
        schedule(np.arange(5))


def test_join_probes_a_piece_only_within_its_own_steps():
    rates = np.array([0.3, 0.2, 0.1])
    schedule = S.join([lambda k: rates[k], S.constant(0.05)], boundaries=[3])
    assert schedule(np.arange(5)).tolist() == [0.3, 0.2, 0.1, 0.05, 0.05]


def test_multistep_is_a_join_of_constants():
    assert S.multistep(1.0, [2, 4], gamma=0.5)(np.arange(6)).tolist() == [1, 1, 0.5, 0.5, 0.25, 0.25]


def test_warmup_cosine_is_warmup_of_cosine_and_peaks_at_the_boundary():
    lr, w, total = 0.1, 10, 100
    composed = S.warmup(S.cosine(lr, T_max=total - w), w, start_factor=0.1)
    direct = S.warmup_cosine(lr, w, total)
    steps = np.arange(250)
    np.testing.assert_array_equal(direct(steps), composed(steps))
    assert direct(0) == pytest.approx(0.1 * lr, rel=1e-15)
    assert direct(w) == lr and direct(w - 1) < lr and direct(total) == 0.0
    assert int(np.argmax(direct(steps[:total]))) == w


def test_linear_warm_up_reaches_lr_at_total_iters_and_stays():
    schedule = S.linear(0.2, start_factor=0.5, total_iters=4)
    np.testing.assert_allclose(schedule(np.arange(7)), [0.1, 0.125, 0.15, 0.175, 0.2, 0.2, 0.2], rtol=1e-15)
    np.testing.assert_array_equal(schedule(np.arange(7)), S.warmup(S.constant(0.2), 4, 0.5)(np.arange(7)))


def test_warmup_ramps_to_the_schedules_own_start_not_to_an_optimizer_lr():
    # the case where SequentialLR([LinearLR, inner]) differs: inner(0) = 0.05, not 0.1
    inner = S.linear(0.1, start_factor=0.5, total_iters=4)
    np.testing.assert_allclose(S.warmup(inner, 2, start_factor=0.5)(np.arange(4)),
                               [0.025, 0.0375, 0.05, 0.0625], rtol=1e-15)


def test_warmup_names_a_plain_function_that_is_not_vectorised():
    with pytest.raises(ValueError, match=r"^schedule must be a vectorised schedule"):
        S.warmup(lambda k: [0.1, 0.2], 5)


def test_warmup_accepts_a_plain_function_and_checks_its_start():
    schedule = S.warmup(lambda k: 0.1 * 0.5 ** k, 2, start_factor=0.5)
    np.testing.assert_allclose(schedule(np.arange(5)), [0.05, 0.075, 0.1, 0.05, 0.025], rtol=1e-15)
    with pytest.raises(ValueError, match=r"^schedule must be a schedule whose lr at step 0 is a positive"):
        S.warmup(lambda k: 0.0 * k, 5)


def test_cosine_past_t_max_climbs_back_like_torch_and_cosine_ramp_holds():
    T = 20
    cos, ramp = S.cosine(0.1, T, eta_min=0.01), S.cosine_ramp(0.1, 0.01, T)
    k = np.arange(2 * T + 1)
    np.testing.assert_allclose(cos(k), cos(2 * T - k), rtol=1e-14)  # symmetric about T_max
    np.testing.assert_array_equal(ramp(k[: T + 1]), cos(k[: T + 1]))
    assert np.all(ramp(k[T:]) == 0.01) and cos(2 * T) == pytest.approx(0.1, rel=1e-15)


def test_warm_restarts_land_exactly_on_cycle_starts_for_many_cycles():
    schedule = S.cosine_warm_restarts(0.1, T_0=1, T_mult=2, eta_min=0.0)
    starts = np.array([2**i - 1 for i in range(40)])  # 0, 1, 3, 7, ...: far beyond float log accuracy
    assert np.all(schedule(starts) == 0.1)
    assert np.all(schedule(starts[2:] - 1) < 0.1)  # the step before each restart
    assert S.cosine_warm_restarts(0.1, T_0=3)(np.arange(7)).tolist()[::3] == [0.1, 0.1, 0.1]


def test_cyclic_symmetric_matches_smiths_absolute_value_form():
    base, top, s = 0.001, 0.006, 7
    k = np.arange(200)
    cycle = np.floor(1 + k / (2 * s))
    x = np.abs(k / s - 2 * cycle + 1)
    smith = base + (top - base) * np.maximum(0, 1 - x)
    np.testing.assert_allclose(S.cyclic(base, top, s)(k), smith, rtol=1e-13)
    np.testing.assert_allclose(S.cyclic(base, top, s, mode="triangular2")(k),
                               base + (top - base) * np.maximum(0, 1 - x) / 2 ** (cycle - 1), rtol=1e-13)


def test_cyclic_asymmetric_rises_for_up_steps_and_falls_for_down_steps():
    curve = S.cyclic(0.01, 0.1, step_size_up=2, step_size_down=4)(np.arange(13))
    np.testing.assert_allclose(curve[[0, 2, 6, 8, 12]], [0.01, 0.1, 0.01, 0.1, 0.01], rtol=1e-14)
    assert np.all(np.diff(curve[:3]) > 0) and np.all(np.diff(curve[2:7]) < 0)
    np.testing.assert_allclose(np.diff(curve[2:7]), -0.09 / 4, rtol=1e-13)  # falls in 4 equal steps


def test_one_cycle_phase_boundaries_and_end():
    T, top = 100, 0.1
    schedule = S.one_cycle(top, T)
    initial, minimum = top / 25, top / 25 / 1e4
    assert schedule(0) == pytest.approx(initial, rel=1e-15)
    assert schedule(29) == pytest.approx(top, rel=1e-15)  # e1 = 0.3·100 − 1 = 29
    assert schedule(T - 1) == pytest.approx(minimum, rel=1e-12)
    assert int(np.argmax(schedule(np.arange(T)))) == 29
    # a fractional phase end: e1 = 0.25·10 − 1 = 1.5, so max_lr itself is never used
    fractional = S.one_cycle(1.0, 10, pct_start=0.25)(np.arange(10))
    assert fractional.max() < 1.0


@pytest.mark.parametrize("step", [100, 101, np.array([5, 99, 100])])
def test_one_cycle_refuses_steps_past_the_run(step):
    with pytest.raises(ValueError, match=r"^step must be less than total_steps=100 .*; got 10[01]\. "):
        S.one_cycle(0.1, 100)(step)


def test_one_cycle_three_phase_returns_to_initial_then_anneals():
    T, top = 100, 0.1
    schedule = S.one_cycle(top, T, three_phase=True)
    assert schedule(58) == pytest.approx(top / 25, rel=1e-12)  # e2 = 2·0.3·100 − 2 = 58
    assert schedule(99) == pytest.approx(top / 25 / 1e4, rel=1e-12)


def test_step_decay_and_polynomial_closed_forms():
    np.testing.assert_allclose(S.step_decay(1.0, 3, 0.5)(np.arange(7)), [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    assert S.polynomial(0.1, total_iters=4, power=2.0)(np.arange(6)).tolist()[-2:] == [0.0, 0.0]
    assert S.inverse_time(0.1, decay_rate=1.0, decay_steps=10)(10) == pytest.approx(0.05, rel=1e-15)


# ------------------------------------------------------------------ ReduceLROnPlateau


def test_plateau_reduces_on_the_patience_plus_first_bad_epoch():
    plateau = S.ReduceLROnPlateau(1.0, factor=0.5, patience=2)
    lrs = [plateau.step(m) for m in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert [r.reduced for r in plateau.history] == [False, False, False, True, False, False, True]
    assert [r.num_bad_epochs for r in plateau.history] == [0, 1, 2, 0, 1, 2, 0]


def test_plateau_cooldown_ignores_bad_epochs():
    plateau = S.ReduceLROnPlateau(1.0, factor=0.5, patience=0, cooldown=2)
    lrs = [plateau.step(1.0) for _ in range(8)]
    # first call improves on +inf; then bad → cut, 2 calls of cooldown, cut, ...
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert [r.cooldown_counter for r in plateau.history] == [0, 2, 1, 0, 2, 1, 0, 2]


def test_plateau_min_lr_and_eps():
    floor = S.ReduceLROnPlateau(1.0, factor=0.1, patience=0, min_lr=0.05)
    assert [floor.step(1.0) for _ in range(4)] == [1.0, 0.1, 0.05, 0.05]
    assert [r.reduced for r in floor.history] == [False, True, True, False]
    skip = S.ReduceLROnPlateau(1e-8, factor=0.5, patience=0)  # 1e-8 − 5e-9 < eps = 1e-8
    assert [skip.step(1.0) for _ in range(3)] == [1e-8, 1e-8, 1e-8]


def test_plateau_max_mode_and_thresholds():
    plateau = S.ReduceLROnPlateau(1.0, mode="max", factor=0.5, patience=0, threshold=0.1,
                                  threshold_mode="abs")
    assert plateau.step(0.5) == 1.0 and plateau.best == 0.5
    assert plateau.step(0.55) == 0.5 and plateau.best == 0.5  # +0.05 < threshold 0.1: not better
    assert plateau.step(0.7) == 0.5 and plateau.best == 0.7
    assert plateau.is_better(0.71, 0.7) is False and plateau.is_better(0.81, 0.7) is True
    relative = S.ReduceLROnPlateau(1.0, threshold=0.1)  # 'min', 'rel': better means < 0.9·best
    assert relative.is_better(0.89, 1.0) and not relative.is_better(0.91, 1.0)


def test_plateau_is_usable_as_a_step_to_lr_callable():
    plateau = S.ReduceLROnPlateau(0.1, factor=0.5, patience=0)
    assert plateau(0) == 0.1 and plateau(np.arange(3)).tolist() == [0.1, 0.1, 0.1]
    plateau.step(1.0)
    plateau.step(1.0)
    assert plateau(7) == 0.05 and plateau.lr == 0.05


def test_plateau_accepts_zero_dim_arrays_and_nan_but_not_strings():
    plateau = S.ReduceLROnPlateau(0.1, patience=0)
    plateau.step(np.array(1.0))
    assert plateau.step(math.nan) == pytest.approx(0.01)  # NaN is never an improvement
    with pytest.raises(TypeError, match=r"^metric must be a real number"):
        plateau.step("0.5")


# ------------------------------------------------------------------ validation

C = S.constant(0.1)
BAD_ARGUMENTS = [
    # factory, kwargs, error, parameter named
    ("constant", dict(lr=0), ValueError, "lr"),
    ("constant", dict(lr=-0.1), ValueError, "lr"),
    ("constant", dict(lr=math.nan), ValueError, "lr"),
    ("constant", dict(lr="0.1"), TypeError, "lr"),
    ("constant", dict(lr=True), TypeError, "lr"),
    ("linear_ramp", dict(start_lr=-1, end_lr=0.1, steps=5), ValueError, "start_lr"),
    ("linear_ramp", dict(start_lr=0, end_lr=0.1, steps=5), ValueError, "start_lr"),
    ("cosine_ramp", dict(start_lr=0, end_lr=0.1, steps=5), ValueError, "start_lr"),
    ("linear_ramp", dict(start_lr=0.1, end_lr=0, steps=0), ValueError, "steps"),
    ("linear_ramp", dict(start_lr=0.1, end_lr=0, steps=2.5), TypeError, "steps"),
    ("cosine_ramp", dict(start_lr=0.1, end_lr=-0.1, steps=5), ValueError, "end_lr"),
    ("exponential", dict(lr=0.1, gamma=0), ValueError, "gamma"),
    ("exponential", dict(lr=0.1, gamma=-0.5), ValueError, "gamma"),
    ("step_decay", dict(lr=0.1, step_size=0), ValueError, "step_size"),
    ("step_decay", dict(lr=0.1, step_size=1.5), TypeError, "step_size"),
    ("step_decay", dict(lr=0.1, step_size=10, gamma=1.5), ValueError, "gamma"),
    ("step_decay", dict(lr=0.1, step_size=10, gamma=0), ValueError, "gamma"),
    ("multistep", dict(lr=0.1, milestones=[30, 10]), ValueError, "milestones"),
    ("multistep", dict(lr=0.1, milestones=[10, 10]), ValueError, "milestones"),
    ("multistep", dict(lr=0.1, milestones=[]), ValueError, "milestones"),
    ("multistep", dict(lr=0.1, milestones=[0, 5]), ValueError, "milestones"),
    ("multistep", dict(lr=0.1, milestones=10), TypeError, "milestones"),
    ("multistep", dict(lr=0.1, milestones=[10, 2.5]), TypeError, "milestones[1]"),
    ("multistep", dict(lr=0.1, milestones=[10], gamma=2.0), ValueError, "gamma"),
    ("inverse_time", dict(lr=0.1, decay_rate=0), ValueError, "decay_rate"),
    ("inverse_time", dict(lr=0.1, decay_rate=1, decay_steps=-1), ValueError, "decay_steps"),
    ("polynomial", dict(lr=0.1, total_iters=0), ValueError, "total_iters"),
    ("polynomial", dict(lr=0.1, power=0), ValueError, "power"),
    ("cosine", dict(lr=0.1, T_max=0), ValueError, "T_max"),
    ("cosine", dict(lr=0.1, T_max=10.0), TypeError, "T_max"),
    ("cosine", dict(lr=0.1, T_max=10, eta_min=-0.1), ValueError, "eta_min"),
    ("cosine", dict(lr=0.1, T_max=10, eta_min=0.2), ValueError, "eta_min"),
    ("linear", dict(lr=0.1, start_factor=0), ValueError, "start_factor"),
    ("linear", dict(lr=0.1, start_factor=1.5), ValueError, "start_factor"),
    ("linear", dict(lr=0.1, end_factor=-0.1), ValueError, "end_factor"),
    ("linear", dict(lr=0.1, end_factor=1.5), ValueError, "end_factor"),
    ("linear", dict(lr=0.1, total_iters=0), ValueError, "total_iters"),
    ("warmup_cosine", dict(lr=0.1, warmup_steps=5, total_steps=10, start_factor=0), ValueError,
     "start_factor"),
    ("warmup_cosine", dict(lr=0.1, warmup_steps=10, total_steps=10), ValueError, "total_steps"),
    ("warmup_cosine", dict(lr=0.1, warmup_steps=0, total_steps=10), ValueError, "warmup_steps"),
    ("warmup_cosine", dict(lr=0.1, warmup_steps=5, total_steps=10, eta_min=1.0), ValueError, "eta_min"),
    ("cyclic", dict(base_lr=0.1, max_lr=0.1), ValueError, "max_lr"),
    ("cyclic", dict(base_lr=0.1, max_lr=0.01), ValueError, "max_lr"),
    ("cyclic", dict(base_lr=0, max_lr=0.01), ValueError, "base_lr"),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, step_size_up=0), ValueError, "step_size_up"),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, step_size_down=0), ValueError, "step_size_down"),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, mode="tri"), ValueError, "mode"),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, gamma=0.9), ValueError, "gamma"),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, mode="exp_range", gamma=0), ValueError, "gamma"),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, mode="exp_range", gamma=1.1), ValueError, "gamma"),
    ("cosine_warm_restarts", dict(lr=0.1, T_0=0), ValueError, "T_0"),
    ("cosine_warm_restarts", dict(lr=0.1, T_0=10, T_mult=0), ValueError, "T_mult"),
    ("cosine_warm_restarts", dict(lr=0.1, T_0=10, T_mult=1.5), TypeError, "T_mult"),
    ("cosine_warm_restarts", dict(lr=0.1, T_0=10, eta_min=0.5), ValueError, "eta_min"),
    ("one_cycle", dict(max_lr=0, total_steps=100), ValueError, "max_lr"),
    ("one_cycle", dict(max_lr=0.1, total_steps=1), ValueError, "total_steps"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100.0), TypeError, "total_steps"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, pct_start=0), ValueError, "pct_start"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, pct_start=1), ValueError, "pct_start"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, pct_start=0.005), ValueError, "pct_start"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, pct_start=0.505, three_phase=True), ValueError,
     "pct_start"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, anneal_strategy="cosine"), ValueError, "anneal_strategy"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, div_factor=0.5), ValueError, "div_factor"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, final_div_factor=0), ValueError, "final_div_factor"),
    ("one_cycle", dict(max_lr=0.1, total_steps=100, three_phase="yes"), TypeError, "three_phase"),
    ("join", dict(schedules=C, boundaries=[5]), TypeError, "schedules"),
    ("join", dict(schedules=[C], boundaries=[]), ValueError, "schedules"),
    ("join", dict(schedules=[C, 0.1], boundaries=[5]), TypeError, "schedules[1]"),
    ("join", dict(schedules=[C, C, C], boundaries=[5, 3]), ValueError, "boundaries"),
    ("join", dict(schedules=[C, C, C], boundaries=[5]), ValueError, "boundaries"),
    ("join", dict(schedules=[C, C], boundaries=[0]), ValueError, "boundaries"),
    ("warmup", dict(schedule=0.1, warmup_steps=5), TypeError, "schedule"),
    ("warmup", dict(schedule=C, warmup_steps=0), ValueError, "warmup_steps"),
    ("warmup", dict(schedule=C, warmup_steps=5, start_factor=2), ValueError, "start_factor"),
    ("warmup", dict(schedule=C, warmup_steps=5, start_factor=0.0), ValueError, "start_factor"),
    ("ReduceLROnPlateau", dict(lr=0), ValueError, "lr"),
    ("ReduceLROnPlateau", dict(lr=0.1, mode="minimum"), ValueError, "mode"),
    ("ReduceLROnPlateau", dict(lr=0.1, factor=1.0), ValueError, "factor"),
    ("ReduceLROnPlateau", dict(lr=0.1, factor=0), ValueError, "factor"),
    ("ReduceLROnPlateau", dict(lr=0.1, patience=-1), ValueError, "patience"),
    ("ReduceLROnPlateau", dict(lr=0.1, patience=1.5), TypeError, "patience"),
    ("ReduceLROnPlateau", dict(lr=0.1, threshold=-1e-4), ValueError, "threshold"),
    ("ReduceLROnPlateau", dict(lr=0.1, threshold_mode="relative"), ValueError, "threshold_mode"),
    ("ReduceLROnPlateau", dict(lr=0.1, cooldown=-1), ValueError, "cooldown"),
    ("ReduceLROnPlateau", dict(lr=0.1, min_lr=-1), ValueError, "min_lr"),
    ("ReduceLROnPlateau", dict(lr=0.1, min_lr=1.0), ValueError, "min_lr"),
    ("ReduceLROnPlateau", dict(lr=0.1, eps=-1), ValueError, "eps"),
]


@pytest.mark.parametrize(
    "factory, kwargs, error, parameter", BAD_ARGUMENTS,
    ids=[f"{f}-{p}-{i}" for i, (f, _, _, p) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments_raise_naming_the_parameter(factory, kwargs, error, parameter):
    with pytest.raises(error, match=rf"^{re.escape(parameter)} must be .*; got "):
        getattr(S, factory)(**kwargs)


@pytest.mark.parametrize(
    "call, hint",
    [(lambda: S.cyclic(0.1, 0.01), "did you swap them"),
     (lambda: S.multistep(0.1, [30, 10]), "sort them"),
     (lambda: S.join([C, 0.1], [5]), r"wrap a number in constant"),
     (lambda: S.cyclic(0.01, 0.1, gamma=0.9), r"mode='triangular' ignores gamma"),
     (lambda: S.one_cycle(0.1, 100, pct_start=0.005), r"warm-up phase would be empty"),
     (lambda: S.linear(0.1, start_factor=0), r"a step with lr 0 does nothing")],
)
def test_cross_argument_errors_carry_a_hint(call, hint):
    with pytest.raises((ValueError, TypeError), match=hint):
        call()


# ------------------------------------------------------------------ one schedule per run


def test_per_run_lays_out_schedules_then_factors_then_repeats_then_tiles():
    shapes = {"flat": S.constant(1.0), "cos": S.cosine(1.0, T_max=20)}
    peaks = np.array([0.1, 0.4, 1.6])
    sched = S.per_run(shapes, scale=peaks, repeat=2, tile=3)
    t = np.arange(20)
    by_hand = np.concatenate([peaks[:, None] * shape(t) for shape in shapes.values()])   # the notebooks' idiom
    expected = np.tile(np.repeat(by_hand, 2, axis=0), (3, 1))
    assert sched.runs == 36
    assert np.array_equal(sched(t), expected)
    for k in (0, 7, 19):
        column = sched(k)
        assert column.shape == (36, 1) and np.array_equal(column[:, 0], expected[:, k])


def test_per_run_grows_its_table_and_returns_read_only_arrays():
    sched = S.per_run([S.exponential(1.0, 0.999)], scale=[0.5, 2.0])
    assert np.allclose(sched(5000).ravel(), [0.5 * 0.999**5000, 2.0 * 0.999**5000], rtol=1e-12)
    assert np.array_equal(sched(np.array([3, 0, 3]))[:, 1], sched(0).ravel())
    with pytest.raises(ValueError):
        sched(3)[0, 0] = 1.0


def test_per_run_drives_a_vectorised_run_like_separate_runs():
    from lrcourse.optim import SGD
    from lrcourse.problems import Quadratic
    from lrcourse.train import run

    bowl = Quadratic([1.0, 10.0])
    plans = [S.constant(0.05), S.step_decay(0.15, step_size=10, gamma=0.5), S.warmup_cosine(0.15, 5, 40)]
    together = run(bowl, SGD(lr=S.per_run(plans)), bowl.init(), 30)        # a (dim,) start serves all runs
    for k, plan in enumerate(plans):
        alone = run(bowl, SGD(lr=plan), bowl.init(), 30)
        assert np.allclose(together.x[k], alone.x[0], rtol=1e-13, atol=0)
        assert np.array_equal(together.lr[:, k], plan(np.arange(30)))


def test_per_run_label_and_plain_functions():
    assert repr(S.per_run([S.constant(0.1)])) == "per_run(schedules=[constant(lr=0.1)])"
    assert repr(S.per_run([S.constant(1.0)], scale=0.5, tile=2)) == (
        "per_run(schedules=[constant(lr=1)], scale=[0.5], tile=2)")

    def halving(k):
        return 0.1 * 0.5 ** (k // 10)

    assert np.allclose(S.per_run([halving])(np.arange(30))[0], halving(np.arange(30)))
    with pytest.raises(ValueError, match=r"^schedules\[1\] must be a vectorised schedule"):
        S.per_run([halving, lambda k: 0.1 if k < 3 else 0.2])


@pytest.mark.parametrize("kwargs, error, parameter", [
    ({"schedules": []}, ValueError, "schedules"),
    ({"schedules": S.constant(0.1)}, TypeError, "schedules"),
    ({"schedules": [0.1]}, TypeError, r"schedules\[0\]"),
    ({"schedules": [S.constant(0.1)], "scale": [0.1, -1.0]}, ValueError, "scale"),
    ({"schedules": [S.constant(0.1)], "scale": np.ones((2, 2))}, ValueError, "scale"),
    ({"schedules": [S.constant(0.1)], "scale": "0.1"}, TypeError, "scale"),
    ({"schedules": [S.constant(0.1)], "repeat": 0}, ValueError, "repeat"),
    ({"schedules": [S.constant(0.1)], "tile": 1.5}, TypeError, "tile"),
])
def test_per_run_refuses_bad_arguments_by_name(kwargs, error, parameter):
    with pytest.raises(error, match=rf"^{parameter} must be "):
        S.per_run(**kwargs)


def test_per_run_refuses_a_2d_step_array():
    with pytest.raises(ValueError, match=r"^step must be a non-negative integer or a 1-D array"):
        S.per_run([S.constant(0.1)])(np.zeros((2, 2), dtype=int))


def test_per_run_tabulates_a_schedule_that_ends_up_to_its_last_step():
    sched = S.per_run([S.one_cycle(1.0, 300), S.constant(0.1)])
    assert np.isclose(sched(299)[0, 0], S.one_cycle(1.0, 300)(299))    # the block past 256 stops at 300
    with pytest.raises(ValueError, match=r"^step must be less than total_steps=300"):
        sched(300)


def test_multistep_names_gamma_when_the_last_level_underflows():
    with pytest.raises(ValueError, match=r"gamma must be large enough that lr·gamma\^2 .*got 1e-300\. "
                                         r"with lr=0\.1 and 2 milestones it underflows to 0\.0"):
        S.multistep(0.1, [3, 6], gamma=1e-300)


def test_a_schedule_whose_curve_gives_nan_or_a_negative_rate_is_refused():
    with pytest.raises(ValueError, match=r"curve must be a function returning learning rates ≥ 0 \(never NaN\); "
                                         r"got <lambda>\. the schedule c gives nan at step 0"):
        S.Schedule(lambda s: np.full(np.shape(s), np.nan), "c")(np.arange(3))
    with pytest.raises(ValueError, match="gives -1.0 at step 2"):
        S.Schedule(lambda s: 1.0 - s, "down")(2)


def test_a_per_run_schedule_refuses_steps_past_the_longest_run():
    sched = S.per_run([S.constant(0.1)])
    assert sched(999_999).shape == (1, 1)
    with pytest.raises(ValueError, match=r"step must be a non-negative integer < 1000000 .*got 10000000"):
        sched(10**7)


def test_a_piece_defined_only_for_its_own_run_is_probed_on_its_first_steps():
    """A plain function wrapping a finite schedule (a 100-step one-cycle) refuses steps past
    its run; per_run and join must not refuse it for that, and must still catch an `if`."""
    one_cycle = S.one_cycle(1.0, total_steps=100)
    wrapped = S.per_run([lambda k: one_cycle(k)])
    np.testing.assert_array_equal(wrapped(np.arange(100))[0], one_cycle(np.arange(100)))
    with pytest.raises(ValueError, match="vectorised"):
        S.per_run([lambda k: one_cycle(k) if k < 50 else 0.01])
