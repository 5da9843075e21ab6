"""The grading machinery: safe calls, time limits, output checks, diagnosis, messages."""

import dataclasses
import math
import threading
import time

import numpy as np
import pytest

from lrcourse.grading import CheckFailed
from lrcourse.grading.core import (
    ArrayOut, Case, Mistake, NumberOut, Part, Diagnosis, TupleOut, call_learner, changed_inputs,
    check_cases, close, describe, describe_call, pass_line, report,
)
from lrcourse.grading.diagnose import scaled, shifted_step, step_mistakes, swapped_items


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

def test_pass_line_is_deterministic_and_shows_points():
    assert pass_line("gd_step", 2) == "✔ gd_step — correct: 2/2 points"
    assert pass_line("x", 1.5) == "✔ x — correct: 1.5/1.5 points"


def test_check_failed_is_an_assertion_error_and_renders_only_its_message():
    error = report("gd_step", 2, Diagnosis("sign_flipped", "Uphill.", "Subtract."), tried="gd_step(x=1)",
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

def _problem(func, *args, **kw) -> Diagnosis:
    with pytest.raises(Diagnosis) as info:
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

    def outer(signum, frame):
        pass
    previous = signal.signal(signal.SIGALRM, outer)
    try:
        assert call_learner(lambda: 5, []) == 5
        assert signal.getsignal(signal.SIGALRM) is outer
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


# In the browser (Pyodide) there is neither setitimer nor a thread: the time limit
# comes from sys.monitoring (Python 3.12+). The course's .venv may be older; the
# browser test (tests/test_site.py) runs these paths in Pyodide itself.
needs_monitoring = pytest.mark.skipif(not hasattr(__import__("sys"), "monitoring"),
                                      reason="sys.monitoring needs Python 3.12+")


@pytest.fixture
def as_in_the_browser(monkeypatch):
    from lrcourse.grading import core
    monkeypatch.setattr(core, "_alarm_available", lambda: False)
    monkeypatch.setattr(core, "_threads_available", lambda: False)
    monkeypatch.setattr(threading.Thread, "start", _no_threads)


def _no_threads(self):
    raise RuntimeError("can't start new thread")


@needs_monitoring
def test_in_the_browser_a_hang_and_a_swallowing_loop_are_stopped(as_in_the_browser):
    import sys

    def hang(x):
        while True:
            pass

    def stubborn(x):
        while True:
            try:
                x += 1
            except BaseException:  # noqa: BLE001 - the point of the test
                pass

    def calls(n):  # 2^60 calls, no loop: stopped at a function start
        return 0 if n == 0 else calls(n - 1) + calls(n - 1)
    for func, arg in ((hang, 1), (stubborn, 1), (calls, 60)):
        started = time.monotonic()
        problem = _problem(func, arg, time_limit=0.3)
        assert problem.mistake == "timeout", func.__name__
        assert time.monotonic() - started < 5
    assert _problem(hang, 1, time_limit=0.3).diagnosis == "hang did not return within 0.3 s."
    # the events are off again, and the next call returns its value
    assert all(sys.monitoring.get_tool(tool) is None for tool in (3, 4))
    assert call_learner(lambda x: x + 1, [1]) == 2


def test_without_any_time_limit_mechanism_the_call_still_runs(as_in_the_browser, monkeypatch):
    import sys
    monkeypatch.delattr(sys, "monitoring", raising=False)
    assert call_learner(lambda x: x * 2, [21]) == 42
    assert _problem(lambda: 1 / 0).mistake == "raised"


def test_outside_the_main_thread_a_watchdog_reports_the_hang():
    stop = threading.Event()

    def slow(x):
        stop.wait(5)
        return x
    outcome = {}

    def run():
        try:
            call_learner(slow, [1], time_limit=0.2)
        except Diagnosis as problem:
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
    with pytest.raises(Diagnosis) as info:
        ArrayOut(what="the new parameters", like="x").accept(value, {"x": np.zeros(2)})
    assert info.value.mistake == mistake


def test_array_output_accepts_lists_and_names_shapes():
    out = ArrayOut(shape=lambda a: (a["n"] + 1, 2), shape_text="(n + 1, 2)")
    assert out.accept([[1.0, 2.0]], {"n": 0}).shape == (1, 2)
    with pytest.raises(Diagnosis, match=r"shape \(n \+ 1, 2\) = \(3, 2\)"):
        out.accept(np.zeros((2, 2)), {"n": 2})


@pytest.mark.parametrize("value, mistake", [
    (None, "returned_none"), (True, "wrong_type"), (np.array([1.0, 2.0]), "wrong_shape"),
    (1 + 2j, "wrong_dtype"), (math.nan, "not_finite"), (math.inf, "not_finite"), ("1", "wrong_type"),
])
def test_number_output_rejects(value, mistake):
    with pytest.raises(Diagnosis) as info:
        NumberOut().accept(value, {})
    assert info.value.mistake == mistake


def test_number_output_accepts_scalars_and_one_element_arrays():
    assert NumberOut().accept(np.array([2.5]), {}) == 2.5
    assert NumberOut().accept(np.float32(0.5), {}) == 0.5
    assert NumberOut(allow_inf=True).accept(math.inf, {}) == math.inf


def test_tuple_output_names_the_bad_item():
    spec = TupleOut(items=(ArrayOut(like="x"), ArrayOut(like="x")), names=("x_new", "buf_new"))
    with pytest.raises(Diagnosis, match="buf_new .item 2 of the tuple.: It returned None"):
        spec.accept((np.zeros(2), None), {"x": np.zeros(2)})
    with pytest.raises(Diagnosis, match="instead of a tuple .x_new, buf_new.") as info:
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


def _first_case_only(x, lr):
    """Right on the second case, the sign flipped on the first: no mistake fits both."""
    return x + lr * 2 * x if x.size == 2 else x - lr * 2 * x


def test_case_properties_limit_which_mistakes_may_explain_one_case_alone():
    wrong_here = Mistake("case_property", "A property of the case.", "",
                         detect=lambda args, out, expected: not np.allclose(out, expected))
    part = _scale_part(mistakes=[*step_mistakes(), wrong_here])
    with pytest.raises(CheckFailed) as info:       # default: the first wrong case alone may decide
        part.check(_first_case_only)
    assert info.value.mistake == "sign_flipped"
    with pytest.raises(CheckFailed) as info:       # only the listed property may explain one case
        dataclasses.replace(part, case_properties=("case_property",)).check(_first_case_only)
    assert info.value.mistake == "case_property"
    with pytest.raises(CheckFailed) as info:       # (): a mistake must fit every case
        dataclasses.replace(part, case_properties=()).check(_first_case_only)
    assert info.value.mistake == "wrong_value"
    with pytest.raises(CheckFailed) as info:       # a mistake that fits every case is still named
        dataclasses.replace(part, case_properties=()).check(lambda x, lr: x + lr * 2 * x)
    assert info.value.mistake == "sign_flipped"


def test_case_properties_must_be_mistakes_of_the_part():
    with pytest.raises(ValueError, match="case_properties"):
        _scale_part(case_properties=("no_such_mistake",))


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


# ---------------------------------------------------------------------------
# Hooks for the exercise authors
# ---------------------------------------------------------------------------

def _failure(part, impl, *, hidden=False) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        part.check(impl, hidden=hidden)
    return info.value


def _only_one_row(part, func, case, problem):
    """A rediagnose_raised hook: a function that raised on a matrix but works on one row."""
    if np.ndim(case.args["x"]) < 2:
        return None
    try:
        part.call(func, {**case.args, "x": case.args["x"][0]})
    except Diagnosis:
        return None
    return Diagnosis("rows_only", f"{part.name} works on one row only:\n  {problem.diagnosis}", "Use x[..., i].")


def _rows_part():
    return _scale_part(
        cases=[Case({"x": np.array([1.0, -2.0]), "lr": 0.1}), Case({"x": np.ones((2, 2)), "lr": 0.5})],
        rediagnose_raised=_only_one_row,
    )


def test_rediagnose_raised_replaces_the_raised_problem():
    def rows_only(x, lr):
        return np.array([x[0] - lr * 2 * x[0], x[1] - lr * 2 * x[1]]) if x.ndim == 1 else x[0, 0, 0]
    failure = _failure(_rows_part(), rows_only)
    assert failure.mistake == "rows_only"
    lines = str(failure).splitlines()
    assert lines[:2] == ["✘ double — not yet: 0/2 points", "double works on one row only:"]
    assert lines[2].startswith("  double raised IndexError")
    assert "  tried:    double(x=array([[1., 1.], [1., 1.]]), lr=0.5)" in lines
    assert not any(line.startswith("  returned:") for line in lines)


def test_rediagnose_raised_keeps_the_problem_when_it_returns_none():
    def always_raises(x, lr):
        raise KeyError("k")
    failure = _failure(_rows_part(), always_raises)
    assert failure.mistake == "raised" and "double raised KeyError: 'k'" in str(failure)


def test_rediagnose_raised_is_only_called_for_raised():
    calls = []

    def hook(part, func, case, problem):
        calls.append(problem.mistake)
        return Diagnosis("never", "Never.", "")

    def stub(x, lr):
        raise NotImplementedError()
    part = _scale_part(rediagnose_raised=hook)
    assert _failure(part, stub).mistake == "not_implemented"
    assert _failure(part, lambda x, lr: None).mistake == "returned_none"
    assert calls == []
    assert _failure(part, lambda x, lr: 1 / 0).mistake == "never"
    assert calls == ["raised"]


def test_part_call_copies_the_arguments_and_uses_the_parts_name_and_time_limit():
    part = _scale_part(time_limit=0.2)
    x = np.array([1.0, 2.0])

    def in_place(x, lr):
        x *= 0
        return x
    assert np.array_equal(part.call(in_place, {"x": x, "lr": 0.1}), [0.0, 0.0])
    assert np.array_equal(x, [1.0, 2.0])

    def hang(x, lr):
        while True:
            pass
    with pytest.raises(Diagnosis, match="double did not return within 0.2 s"):
        part.call(hang, {"x": x, "lr": 0.1})


def _nan_part(*mistakes):
    return _scale_part(mistakes=list(mistakes))


def _nan_when(predicate):
    """A learner's function: right, except NaN on the cases where predicate(x) holds."""
    return lambda x, lr: x * np.nan if predicate(x) else x * (1 - 2 * lr)


_SECOND_CASE_NAN = Mistake("second_case", "NaN on the short input.", "Look at x.size == 1.",
                           detect=lambda args, out, expected: args["x"].size == 1
                           and not np.all(np.isfinite(out)), sees_nonfinite=True)
_ANY_NAN = Mistake("nan_anywhere", "NaN.", "Divide by something else.",
                   detect=lambda args, out, expected: not np.all(np.isfinite(out)), sees_nonfinite=True)


def test_a_mistake_that_sees_nonfinite_output_is_reported_instead_of_not_finite():
    failure = _failure(_nan_part(_SECOND_CASE_NAN), _nan_when(lambda x: x.size == 1))
    assert failure.mistake == "second_case"
    assert "  tried:    double(x=array([3.]), lr=0.25)" in str(failure)
    assert "  returned: array([nan])" in str(failure)


def test_non_finite_output_no_mistake_recognises_is_not_finite_at_once():
    # NaN on both cases: the mistake would recognise the second one, but the first case's
    # NaN, which nothing recognises, is reported at once, as for a part without the hook
    failure = _failure(_nan_part(_SECOND_CASE_NAN), lambda x, lr: x * np.nan)
    assert failure.mistake == "not_finite"
    assert "tried:    double(x=array([ 1., -2.]), lr=0.1)" in str(failure)


def test_mistakes_that_do_not_see_nonfinite_never_match_it():
    always = Mistake("always", "Always.", "", detect=lambda args, out, expected: True)
    failure = _failure(_nan_part(always, _SECOND_CASE_NAN), _nan_when(lambda x: x.size == 1))
    assert failure.mistake == "second_case"
    assert _failure(_nan_part(always), _nan_when(lambda x: x.size == 1)).mistake == "not_finite"


def test_a_nonfinite_mistake_that_explains_every_case_wins():
    # NaN everywhere: the mistake that explains every case, not the one that explains the first
    failure = _failure(_nan_part(_SECOND_CASE_NAN, _ANY_NAN), _nan_when(lambda x: True))
    assert failure.mistake == "nan_anywhere"


def test_case_arguments_must_be_the_references_parameters_in_order():
    def reference(x, grad, lr=0.1, eps=1e-8):
        return x - lr * grad
    returns = ArrayOut(like="x")
    one = np.ones(2)
    for args in ({"x": one, "grad": one}, {"x": one, "grad": one, "lr": 0.5},
                 {"x": one, "grad": one, "lr": 0.5, "eps": 1e-3}):
        Part("step", 1, reference, returns, cases=[Case(args)])  # accepted
    wrong = [
        {"x": one, "lr": 0.5},                     # a skipped middle argument
        {"grad": one, "x": one},                   # reordered
        {"x": one},                                # a required one missing
        {"x": one, "grad": one, "eps": 1e-3},      # a skipped default before a set one
        {"x": one, "grad": one, "lr": 0.5, "eps": 1e-3, "extra": 1},
    ]
    for args in wrong:
        with pytest.raises(ValueError) as info:
            Part("step", 1, reference, returns, cases=[Case({"x": one, "grad": one})],
                 hidden_cases=[Case({"x": one, "grad": one}), Case(args)])
        message = str(info.value)
        assert message.startswith("the arguments of step's hidden_cases[1] must be the reference's "
                                  "positional parameters in order, (x, grad, lr, eps) (the first 2 "
                                  f"required); got ({', '.join(args)}). Cases are passed positionally")


def test_a_reference_taking_any_arguments_accepts_any_case():
    Part("f", 1, lambda *values: values[0], NumberOut(), cases=[Case({"a": 1.0, "b": 2.0})])


def test_a_case_without_an_argument_a_mistake_needs_is_refused():
    with pytest.raises(ValueError) as info:
        _scale_part(hidden_cases=[Case({"x": np.ones(2), "lr": 0.1}), Case({"x": np.ones(2)})],
                    reference=lambda x, lr=0.1: x - lr * 2 * x)
    assert str(info.value).startswith(
        "the arguments of double's hidden_cases[1] must be a dict with 'lr', which the mistake "
        "'lr_missing' reads; got (x). Give every case that argument explicitly")
    # the detectors read the names they are given
    part = Part("double", 2, lambda params, eta: params - eta * 2 * params, ArrayOut(like="params"),
                cases=[Case({"params": np.array([1.0, -2.0]), "eta": 0.1})],
                mistakes=step_mistakes(x="params", lr="eta"))
    assert _failure(part, lambda params, eta: params - 2 * params).mistake == "lr_missing"
    with pytest.raises(ValueError, match="'eta', which the mistake 'lr_missing' reads; got .params."):
        Part("double", 2, lambda params, eta=0.1: params, ArrayOut(like="params"),
             cases=[Case({"params": np.ones(1)})], mistakes=step_mistakes(x="params", lr="eta"))


def test_the_shared_detectors_declare_what_they_read():
    assert [m.needs for m in step_mistakes(x="p", lr="eta")] == [("p",), ("p", "eta"), ("p", "eta"), ("p",)]
    assert [m.needs for m in shifted_step(_cosine, step="k")] == [("k",), ("k",)]


def test_check_cases_reports_the_first_problem_and_prints_the_pass_line(capsys):
    def check_case(case):
        if case > 1:
            raise Diagnosis("too_big", f"{case} is too big.", "Smaller.", show_returned=False)
    check_cases("count", 3, [0, 1], check_case, tried=lambda case: f"count({case})", hidden=False)
    assert capsys.readouterr().out == "✔ count — correct: 3/3 points\n"
    check_cases("count", 3, [1], check_case, tried=lambda case: f"count({case})", hidden=True)
    assert capsys.readouterr().out == ""
    with pytest.raises(CheckFailed) as info:
        check_cases("count", 3, [1, 2, 3], check_case, tried=lambda case: f"count({case})", hidden=False)
    assert info.value.mistake == "too_big"
    assert str(info.value).splitlines() == [
        "✘ count — not yet: 0/3 points", "2 is too big.", "  tried:    count(2)", "Hint: Smaller."]
    assert capsys.readouterr().out == ""
