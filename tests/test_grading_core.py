"""The grading machinery: safe calls, time limits, output checks, diagnosis, messages."""

import dataclasses
import math
import threading
import time

import numpy as np
import pytest

from lrcourse.grading import CheckFailed
from lrcourse.grading.core import (
    ArrayOut, Case, Mistake, NumberOut, Part, Problem, TupleOut, call_learner,
    changed_inputs, close, describe, describe_call, pass_line, report,
)
from lrcourse.grading.diagnose import scaled, shifted_step, step_mistakes, swapped_items


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

def test_pass_line_is_deterministic_and_shows_points():
    assert pass_line("gd_step", 2) == "✔ gd_step — correct: 2/2 points"
    assert pass_line("x", 1.5) == "✔ x — correct: 1.5/1.5 points"


def test_check_failed_is_an_assertion_error_and_renders_only_its_message():
    error = report("gd_step", 2, Problem("sign_flipped", "Uphill.", "Subtract."), tried="gd_step(x=1)",
                   returned=np.array([1.0]))
    assert isinstance(error, AssertionError)
    assert error.mistake == "sign_flipped" and error.part == "gd_step"
    assert error._render_traceback_() == str(error).splitlines()
    assert str(error).splitlines() == [
        "✘ gd_step — not yet: 0/2 points",
        "Uphill.",
        "  tried:    gd_step(x=1)",
        "  returned: array([1.])",
        "Hint: Subtract.",
    ]


def test_describe_keeps_messages_short():
    assert describe(None) == "None"
    assert describe(0.1) == "0.1"
    assert describe(3) == "3"
    assert describe(np.zeros((20, 3))) == "array of shape (20, 3) and dtype float64"
    assert describe((np.array([1.0]), None)) == "(array([1.]), None)"
    assert describe(list(range(10))) == "a list of 10 items"
    assert describe(len) == "len"
    assert describe_call("f", {"a": 1, "g": len}, {"g": "a function"}) == "f(a=1, g=a function)"


# ---------------------------------------------------------------------------
# call_learner
# ---------------------------------------------------------------------------

def _problem(func, *args, **kw) -> Problem:
    with pytest.raises(Problem) as info:
        call_learner(func, args, **kw)
    return info.value


def test_not_implemented_names_the_function():
    def gd_step(x):
        raise NotImplementedError()
    problem = _problem(gd_step, 1)
    assert problem.mistake == "not_implemented"
    assert problem.diagnosis == "gd_step is not implemented yet."


def test_not_implemented_in_a_helper_names_the_helper():
    def gd_step(x):
        raise NotImplementedError()

    def gradient_descent(x):
        return gd_step(x)
    problem = _problem(gradient_descent, 1)
    assert problem.mistake == "not_implemented"
    assert "gradient_descent calls gd_step, which is not implemented yet" in problem.diagnosis


def test_an_exception_is_reported_with_the_learners_line():
    def step(x):
        y = x + "a"  # the line shown
        return y
    problem = _problem(step, 1)
    assert problem.mistake == "raised"
    assert "step raised TypeError" in problem.diagnosis
    assert 'y = x + "a"  # the line shown' in problem.diagnosis


def test_recursion_and_exit_are_reported_not_raised():
    def forever(x):
        return forever(x)
    assert "RecursionError" in _problem(forever, 1).diagnosis

    def leave(x):
        raise SystemExit(3)
    assert _problem(leave, 1).mistake == "raised"


def test_a_value_that_is_not_a_function():
    problem = _problem(3.0, name="gd_step")
    assert problem.mistake == "not_a_function"
    assert "gd_step is not a function" in problem.diagnosis


def test_a_hang_is_stopped_by_the_time_limit_and_the_process_goes_on():
    def hang(x):
        while True:
            pass
    started = time.monotonic()
    problem = _problem(hang, 1, time_limit=0.3)
    assert problem.mistake == "timeout"
    assert "did not return within 0.3 s" in problem.diagnosis
    assert "stopping condition" in problem.hint
    assert time.monotonic() - started < 3
    assert call_learner(lambda x: x + 1, [1]) == 2  # still usable afterwards


def test_a_loop_that_swallows_the_interruption_is_interrupted_again():
    # The timer fires again every 0.2 s after the limit, so a loop whose body catches
    # everything (a bare except) is stopped once an interruption lands outside the try.
    def stubborn(x):
        count = 0
        while True:
            try:
                count += 1
            except BaseException:  # noqa: BLE001 - the point of the test
                pass
    started = time.monotonic()
    assert _problem(stubborn, 1, time_limit=0.2).mistake == "timeout"
    assert time.monotonic() - started < 10


def test_the_time_limit_restores_an_outer_alarm_handler():
    import signal
    calls = []
    previous = signal.signal(signal.SIGALRM, lambda *a: calls.append(1))
    try:
        assert call_learner(lambda: 5, []) == 5
        assert signal.getsignal(signal.SIGALRM) is not None
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_a_watchdog_reports_the_hang():
    stop = threading.Event()

    def slow(x):
        stop.wait(5)
        return x
    outcome = {}

    def run():
        try:
            call_learner(slow, [1], time_limit=0.2)
        except Problem as problem:
            outcome["problem"] = problem
    worker = threading.Thread(target=run)
    worker.start()
    worker.join(3)
    stop.set()
    assert outcome["problem"].mistake == "timeout"
    # and a normal call from a thread returns its value
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("v", call_learner(lambda: 7, [])))
    t.start()
    t.join(3)
    assert result["v"] == 7


def test_numerical_warnings_of_learner_code_are_silenced():
    # pytest turns RuntimeWarning into an error; the call must not warn
    value = call_learner(lambda x: np.exp(x) / 0.0, [np.array([1000.0])])
    assert np.isinf(value).all()


def test_changed_inputs_compares_arrays_and_containers():
    before = {"x": np.array([1.0, np.nan]), "batches": [np.arange(3)], "lr": 0.1}
    after = {"x": np.array([1.0, np.nan]), "batches": [np.arange(3)], "lr": 0.1}
    assert changed_inputs(before, after) == []
    after["batches"][0][0] = 9
    after["x"][0] = 2.0
    assert changed_inputs(before, after) == ["x", "batches"]


# ---------------------------------------------------------------------------
# Output specifications
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, mistake", [
    (None, "returned_none"),
    ("text", "wrong_type"),
    (np.array([1, 2]), "wrong_dtype"),
    (np.array([1.0, 2.0], dtype=np.float32), "wrong_dtype"),
    (np.array([1.0 + 0j, 2.0]), "wrong_dtype"),
    (np.array([[1.0, 2.0]]), "wrong_shape"),
    (np.float64(3.0), "wrong_shape"),
    (np.array([1.0, np.nan]), "not_finite"),
    ([np.array([1.0]), np.array([1.0, 2.0])], "wrong_dtype"),
])
def test_array_output_rejects(value, mistake):
    with pytest.raises(Problem) as info:
        ArrayOut(what="the new parameters", like="x").accept(value, {"x": np.zeros(2)})
    assert info.value.mistake == mistake


def test_array_output_accepts_lists_and_names_shapes():
    out = ArrayOut(shape=lambda a: (a["n"] + 1, 2), shape_text="(n + 1, 2)")
    assert out.accept([[1.0, 2.0]], {"n": 0}).shape == (1, 2)
    with pytest.raises(Problem, match=r"shape \(n \+ 1, 2\) = \(3, 2\)"):
        out.accept(np.zeros((2, 2)), {"n": 2})


@pytest.mark.parametrize("value, mistake", [
    (None, "returned_none"), (True, "wrong_type"), (np.array([1.0, 2.0]), "wrong_shape"),
    (1 + 2j, "wrong_dtype"), (math.nan, "not_finite"), (math.inf, "not_finite"), ("1", "wrong_type"),
])
def test_number_output_rejects(value, mistake):
    with pytest.raises(Problem) as info:
        NumberOut().accept(value, {})
    assert info.value.mistake == mistake


def test_number_output_accepts_scalars_and_one_element_arrays():
    assert NumberOut().accept(np.array([2.5]), {}) == 2.5
    assert NumberOut().accept(np.float32(0.5), {}) == 0.5
    assert NumberOut(allow_inf=True).accept(math.inf, {}) == math.inf


def test_tuple_output_names_the_bad_item():
    spec = TupleOut(items=(ArrayOut(like="x"), ArrayOut(like="x")), names=("x_new", "buf_new"))
    with pytest.raises(Problem, match="buf_new .item 2 of the tuple.: It returned None"):
        spec.accept((np.zeros(2), None), {"x": np.zeros(2)})
    with pytest.raises(Problem, match="instead of a tuple .x_new, buf_new.") as info:
        spec.accept(np.zeros(2), {"x": np.zeros(2)})
    assert info.value.hint == "End with `return x_new, buf_new`."


def test_close_compares_tuples_shapes_and_infinities():
    assert close((1.0, np.array([2.0])), (1.0 + 1e-12, np.array([2.0])))
    assert not close(np.zeros(2), np.zeros(3))
    assert close(math.inf, math.inf) and not close(math.nan, math.nan)
    assert not close(None, 1.0)


# ---------------------------------------------------------------------------
# Part: the standard check
# ---------------------------------------------------------------------------

def _scale_part(**changes):
    part = Part(
        name="double",
        points=2,
        reference=lambda x, lr: x - lr * 2 * x,
        returns=ArrayOut(like="x"),
        cases=[Case({"x": np.array([1.0, -2.0]), "lr": 0.1}), Case({"x": np.array([3.0]), "lr": 0.25})],
        mistakes=[*step_mistakes(), Mistake("special", "Special.", "Fix it.",
                                            variant=lambda x, lr: x * 0 + 7.0)],
    )
    return dataclasses.replace(part, **changes)


def test_part_prints_exactly_one_line_on_success(capsys):
    _scale_part().check(lambda x, lr: x * (1 - 2 * lr))
    assert capsys.readouterr().out == "✔ double — correct: 2/2 points\n"


def test_hidden_cases_print_nothing(capsys):
    part = _scale_part(hidden_cases=[Case({"x": np.array([5.0]), "lr": 0.5})])
    part.check(lambda x, lr: x * (1 - 2 * lr), hidden=True)
    assert capsys.readouterr().out == ""
    with pytest.raises(CheckFailed):
        part.check(lambda x, lr: x + 0 * lr if x.size == 1 and x[0] == 5.0 else x * (1 - 2 * lr), hidden=True)


@pytest.mark.parametrize("impl, mistake", [
    (lambda x, lr: x + lr * 2 * x, "sign_flipped"),
    (lambda x, lr: x - 2 * x, "lr_missing"),
    (lambda x, lr: x - lr * lr * 2 * x, "lr_twice"),
    (lambda x, lr: x.copy(), "unchanged"),
    (lambda x, lr: x * 0 + 7.0, "special"),
    (lambda x, lr: x * 0.5, "wrong_value"),
])
def test_part_diagnoses_known_mistakes(impl, mistake):
    with pytest.raises(CheckFailed) as info:
        _scale_part().check(impl)
    assert info.value.mistake == mistake


def test_part_never_shows_the_reference_value():
    with pytest.raises(CheckFailed) as info:
        _scale_part().check(lambda x, lr: x * 0.3)
    message = str(info.value)
    assert "0.8" not in message and "-1.6" not in message  # the right answer for the first case
    assert "right on 0 of 2 inputs" in message


def test_part_reports_mutation_before_the_value():
    def in_place(x, lr):
        x *= 1 - 2 * lr
        return x
    with pytest.raises(CheckFailed) as info:
        _scale_part().check(in_place)
    assert info.value.mistake == "mutated_input"
    assert "changed its input x in place" in str(info.value)


def test_part_stops_a_hang(monkeypatch):
    def hang(x, lr):
        while True:
            pass
    with pytest.raises(CheckFailed) as info:
        _scale_part(time_limit=0.2).check(hang)
    assert info.value.mistake == "timeout"


def test_a_mistake_that_explains_every_case_wins_over_one_that_explains_the_first():
    part = _scale_part(mistakes=[
        Mistake("first_only", "First only.", "", detect=lambda a, out, exp: a["x"].size == 2),
        *step_mistakes(),
    ])
    with pytest.raises(CheckFailed) as info:
        part.check(lambda x, lr: x + lr * 2 * x)
    assert info.value.mistake == "sign_flipped"


def test_a_broken_detector_does_not_break_the_check():
    part = _scale_part(mistakes=[Mistake("broken", "B.", "", detect=lambda a, o, e: 1 / 0)])
    with pytest.raises(CheckFailed) as info:
        part.check(lambda x, lr: x * 0.5)
    assert info.value.mistake == "wrong_value"


# ---------------------------------------------------------------------------
# Shared detectors (used by later exercises too)
# ---------------------------------------------------------------------------

def _cosine(step, total):
    return 0.5 * (1 + np.cos(np.pi * np.minimum(step, total) / total))


def _schedule_part():
    return Part(
        name="cosine",
        points=1,
        reference=_cosine,
        returns=NumberOut(),
        cases=[Case({"step": 0, "total": 10}), Case({"step": 3, "total": 10}), Case({"step": 9, "total": 10})],
        mistakes=shifted_step(_cosine),
    )


@pytest.mark.parametrize("impl, mistake", [
    (lambda step, total: _cosine(step + 1, total), "ahead_one_step"),
    (lambda step, total: _cosine(max(step - 1, 0), total), "behind_one_step"),
])
def test_shifted_step_finds_an_off_by_one_schedule(impl, mistake):
    with pytest.raises(CheckFailed) as info:
        _schedule_part().check(impl)
    assert info.value.mistake == mistake


def test_scaled_and_swapped_items():
    part = Part(
        name="pair", points=1, reference=lambda a: (a, 2 * a),
        returns=TupleOut(items=(NumberOut(), NumberOut()), names=("lr", "momentum")),
        cases=[Case({"a": 1.0}), Case({"a": 3.0})],
        mistakes=[swapped_items(("lr", "momentum")),
                  scaled("half", lambda args: 0.5, "Half.", "Double it.", item=0)],
    )
    with pytest.raises(CheckFailed) as info:
        part.check(lambda a: (2 * a, a))
    assert info.value.mistake == "swapped_outputs"
    with pytest.raises(CheckFailed) as info:
        part.check(lambda a: (a / 2, 2 * a))
    assert info.value.mistake == "half"
