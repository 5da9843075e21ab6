"""Tests of lrcourse.classroom.score: part by part scores from a run's outcomes."""

from __future__ import annotations

from classroom_support import learner_json

from lrcourse.classroom import execute, score
from lrcourse.classroom.limits import Limits
from lrcourse.classroom.restore import read_submission, restore


def _scored(mini, answers, outcome_for, *, drop=()):
    source, released = mini
    restored = restore(source, read_submission(learner_json(released, answers, drop=drop)), released, "G")
    outcomes = []
    for step in restored.steps:
        outcomes.append(outcome_for.get((step.kind, step.grade_id), execute.CellOutcome(status=execute.OK)))
    result = execute.ExecutionResult(outcomes=outcomes)
    return {p.part: p for p in score.score_run(source, restored, result, Limits(cell_timeout=5))}


SOLVED = {"double": "def double(x):\n    return x + x", "square": "def square(x):\n    return x ** 2"}


def test_score_passed_and_failed(mini):
    failed = execute.CellOutcome(status=execute.ERROR, ename="CheckFailed", evalue="✘ square — sign flipped\n  hint",
                                 stdout="trying square(3)\n")
    parts = _scored(mini, SOLVED, {("test", "test_square"): failed})
    assert (parts["test_double"].status, parts["test_double"].points) == ("passed", 2)
    assert (parts["test_square"].status, parts["test_square"].points) == ("failed", 0)
    assert parts["test_square"].reason == "✘ square — sign flipped hint"
    assert parts["test_square"].message == "trying square(3)\n✘ square — sign flipped\n  hint"
    silent = execute.CellOutcome(status=execute.ERROR, ename="AssertionError", evalue="")
    parts = _scored(mini, SOLVED, {("test", "test_square"): silent})
    assert parts["test_square"].reason == "the test failed (AssertionError without a message)"


def test_score_blames_the_answer_cell_that_broke(mini):
    broken = execute.CellOutcome(status=execute.ERROR, ename="SyntaxError", evalue="invalid syntax (line 2)")
    name_error = execute.CellOutcome(status=execute.ERROR, ename="NameError", evalue="name 'double' is not defined")
    parts = _scored(mini, SOLVED, {("answer", "double"): broken, ("test", "test_double"): name_error,
                                   ("test", "test_double_more"): name_error})
    for part in ("test_double", "test_double_more"):
        assert parts[part].status == "error"
        assert parts[part].reason == "answer cell 'double' raised SyntaxError: invalid syntax (line 2)"
    memory = execute.CellOutcome(status=execute.ERROR, ename="MemoryError", evalue="")
    parts = _scored(mini, SOLVED, {("answer", "double"): memory, ("test", "test_double"): name_error})
    assert parts["test_double"].status == "memory limit"
    assert parts["test_double"].reason == "answer cell 'double' ran out of memory (limit 2 GiB)"


def test_score_unchanged_missing_and_not_implemented(mini):
    not_impl = execute.CellOutcome(status=execute.ERROR, ename="NotImplementedError", evalue="")
    parts = _scored(mini, {"double": SOLVED["double"]}, {("test", "test_square"): not_impl}, drop=("square",))
    assert parts["test_square"].status == "missing answer"
    parts = _scored(mini, {"double": SOLVED["double"]}, {("test", "test_square"): not_impl})
    assert parts["test_square"].status == "not implemented"
    assert parts["test_square"].reason == ("answer cell 'square' is still the released placeholder: "
                                           "replace it with your code")
    parts = _scored(mini, {"double": "def double(x):\n    raise NotImplementedError"},
                    {("test", "test_double"): not_impl})
    assert parts["test_double"].status == "not implemented"


def test_score_faults_and_what_they_stop(mini):
    died = execute.CellOutcome(status=execute.KERNEL_DIED, detail="exit code 3")
    not_run = execute.CellOutcome(status=execute.NOT_RUN)
    parts = _scored(mini, SOLVED, {("test", "test_double_more"): died, ("answer", "square"): not_run,
                                   ("guard", "test_square"): not_run, ("test", "test_square"): not_run})
    assert parts["test_double"].status == "passed"
    assert parts["test_double_more"].status == "kernel died"
    assert "(exit code 3)" in parts["test_double_more"].reason
    assert parts["test_square"].status == "not run"
    assert parts["test_square"].reason.startswith("not run: the learner's Python process died while running the test")
    timeout = execute.CellOutcome(status=execute.TIMEOUT, ename="KeyboardInterrupt")
    parts = _scored(mini, SOLVED, {("test", "test_square"): timeout})
    assert parts["test_square"].status == "timeout"
    assert parts["test_square"].reason == ("the test ran longer than the 5 s limit per cell and was "
                                           "stopped (an endless loop?)")
    flood = execute.CellOutcome(status=execute.OUTPUT_LIMIT)
    parts = _scored(mini, SOLVED, {("test", "test_square"): flood})
    assert parts["test_square"].reason == "the test printed more than 1 MiB of output and was stopped"
    stuck = execute.CellOutcome(status=execute.TIMEOUT, ename="")
    parts = _scored(mini, SOLVED, {("answer", "square"): stuck, ("guard", "test_square"): not_run,
                                   ("test", "test_square"): not_run})
    assert parts["test_square"].status == "timeout"
    assert parts["test_square"].reason.startswith("answer cell 'square' ran longer than the 5 s limit")
    assert parts["test_square"].reason.endswith("it did not stop when interrupted, so the rest of "
                                                "the notebook was not run")


def test_score_whole_submission():
    rows = score.score_whole(None, score.UNKNOWN_EXERCISE, "no such exercise")
    assert [(r.part, r.max_points, r.status) for r in rows] == [("", 0.0, "unknown exercise")]
