"""Turn the outcomes of a graded run into one score and one reason per part.

A part earns its points when its test cell ran to the end without raising.
Otherwise it earns nothing, and its ``status`` says why:

====================  ===========================================================
status                when
====================  ===========================================================
``passed``            the test cell ran without error
``failed``            a check rejected the answer (``CheckFailed`` or
                      ``AssertionError``); the reason is the check's message
``not implemented``   the answer is still the released placeholder, or raises
                      ``NotImplementedError``
``error``             the answer or the test raised another exception
``timeout``           a cell of this part ran past the per-cell time limit
``notebook timeout``  the notebook ran past its total time limit
``memory limit``      a cell of this part ran out of memory (``MemoryError``)
``output limit``      a cell of this part printed more than the output limit
``kernel died``       the kernel process exited (``os._exit``, a crash) in this part
``not responding``    a cell of this part ran out of time while its process was not
                      computing (stopped, sleeping, waiting): it stopped answering
``not run``           an earlier fault (kernel died, notebook timeout, a kernel
                      that would not stop) ended the run before this part
``missing answer``    the submission has no answer cell with this part's grade_id
``manual grading``    a manually graded cell (nbgrader solution + grade): 0 here
``invalid notebook``  the file is not a readable notebook
``not submitted``     the learner has no notebook for this exercise
``unknown exercise``  the notebook's name matches no source exercise
``refused``           a symbolic link (notebook or learner folder): never followed
``not graded``        an entry of the submissions folder that is not a notebook to
                      grade (hidden, another kind of file, a second copy)
``grader error``      the grader itself failed on this submission
====================  ===========================================================

Reasons never include tracebacks (they would show the hidden tests' code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lrcourse.classroom import execute
from lrcourse.classroom.limits import Limits, format_size
from lrcourse.classroom.restore import ANSWER, RestoredNotebook, SourceExercise

__all__ = [
    "PartResult",
    "score_run",
    "score_whole",
    "STATUSES",
    "PASSED", "FAILED", "NOT_IMPLEMENTED", "ERROR", "TIMEOUT", "NOTEBOOK_TIMEOUT",
    "MEMORY_LIMIT", "OUTPUT_LIMIT", "KERNEL_DIED", "NOT_RESPONDING", "NOT_RUN", "MISSING_ANSWER",
    "MANUAL_GRADING", "INVALID_NOTEBOOK", "NOT_SUBMITTED",
    "UNKNOWN_EXERCISE", "REFUSED", "NOT_GRADED", "GRADER_ERROR",
]

PASSED = "passed"
FAILED = "failed"
NOT_IMPLEMENTED = "not implemented"
ERROR = "error"
TIMEOUT = "timeout"
NOTEBOOK_TIMEOUT = "notebook timeout"
MEMORY_LIMIT = "memory limit"
OUTPUT_LIMIT = "output limit"
KERNEL_DIED = "kernel died"
NOT_RESPONDING = "not responding"
NOT_RUN = "not run"
MISSING_ANSWER = "missing answer"
MANUAL_GRADING = "manual grading"
INVALID_NOTEBOOK = "invalid notebook"
NOT_SUBMITTED = "not submitted"
UNKNOWN_EXERCISE = "unknown exercise"
REFUSED = "refused"
NOT_GRADED = "not graded"
GRADER_ERROR = "grader error"

STATUSES = (PASSED, FAILED, NOT_IMPLEMENTED, ERROR, TIMEOUT, NOTEBOOK_TIMEOUT, MEMORY_LIMIT,
            OUTPUT_LIMIT, KERNEL_DIED, NOT_RESPONDING, NOT_RUN, MISSING_ANSWER, MANUAL_GRADING,
            INVALID_NOTEBOOK, NOT_SUBMITTED, UNKNOWN_EXERCISE, REFUSED, NOT_GRADED, GRADER_ERROR)

#: Exception names that mean "a check said no" rather than "something broke".
CHECK_FAILURES = frozenset({"CheckFailed", "AssertionError"})


@dataclass(frozen=True)
class PartResult:
    """The grade of one part of one submission.

    ``message`` is what the learner's feedback shows for this part (the check's
    output and verdict); ``reason`` is its one-line summary for the class CSV.
    """

    part: str
    points: float
    max_points: float
    status: str
    reason: str = ""
    message: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def one_line(text: str, limit: int = 400) -> str:
    """Collapse whitespace; cut to ``limit`` characters with an ellipsis."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def score_whole(source: SourceExercise | None, status: str, reason: str) -> list[PartResult]:
    """Every part gets ``status`` and 0 points (an unreadable or unrun submission)."""
    if source is None or not source.parts:
        return [PartResult("", 0.0, 0.0, status, reason, reason)]
    return [PartResult(part.grade_id, 0.0, part.points, status, reason, reason)
            for part in source.parts]


def _where(step) -> str:
    if step.kind == ANSWER:
        return f"answer cell '{step.grade_id}'"
    if step.kind == "test":
        return "the test"
    if step.kind == "guard":
        return "the grader's restore of the check functions"
    return f"setup cell {step.source_index + 1}"


def _fault_reason(status: str, where: str, outcome: execute.CellOutcome, limits: Limits) -> str:
    if status == TIMEOUT:
        return (f"{where} ran longer than the {limits.cell_timeout:g} s limit per cell "
                "and was stopped (an endless loop?)")
    if status == NOTEBOOK_TIMEOUT:
        return (f"the notebook ran longer than its {limits.notebook_timeout:g} s limit in total; "
                f"{where} was stopped")
    if status == OUTPUT_LIMIT:
        return (f"{where} printed more than {format_size(limits.max_output_bytes)} of output "
                "and was stopped")
    if status == NOT_RESPONDING:
        return (f"{where} stopped answering: no answer within the {limits.cell_timeout:g} s "
                "limit per cell, and it was not computing (stopped, sleeping or waiting); it was "
                "ended and the next parts ran in a fresh process")
    if status == KERNEL_DIED:
        return (f"the learner's Python process died while running {where} ({outcome.detail}): "
                "os._exit, sys.exit in a thread, a crash in compiled code, or memory exhausted")
    if status == MEMORY_LIMIT:
        detail = f": {one_line(outcome.evalue, 120)}" if outcome.evalue else ""
        return f"{where} ran out of memory (limit {format_size(limits.memory_bytes)}){detail}"
    if status == NOT_IMPLEMENTED:
        return f"{where} raises NotImplementedError: replace the placeholder with your code"
    return f"{where} raised {outcome.ename}: {one_line(outcome.evalue, 300)}".rstrip(": ")


_FAULT_STATUS = {
    execute.TIMEOUT: TIMEOUT,
    execute.NOTEBOOK_TIMEOUT: NOTEBOOK_TIMEOUT,
    execute.OUTPUT_LIMIT: OUTPUT_LIMIT,
    execute.KERNEL_DIED: KERNEL_DIED,
    execute.NOT_RESPONDING: NOT_RESPONDING,
}


def _status_of(outcome: execute.CellOutcome) -> str:
    """The part status a non-ok cell outcome stands for."""
    if outcome.status in _FAULT_STATUS:
        return _FAULT_STATUS[outcome.status]
    if outcome.ename == "MemoryError":
        return MEMORY_LIMIT
    if outcome.ename == "NotImplementedError":
        return NOT_IMPLEMENTED
    if outcome.ename in CHECK_FAILURES:
        return FAILED
    return ERROR


def _message(outcome: execute.CellOutcome) -> str:
    parts = [outcome.stdout.rstrip()]
    if outcome.status == execute.ERROR and outcome.ename == "CheckFailed":
        parts.append(outcome.evalue)
    elif outcome.status == execute.ERROR and outcome.ename:
        parts.append(f"{outcome.ename}: {outcome.evalue}".rstrip(": "))
    return "\n".join(part for part in parts if part)


def score_run(source: SourceExercise, restored: RestoredNotebook,
              result: execute.ExecutionResult, limits: Limits) -> list[PartResult]:
    """Score every part of ``source`` from the graded run's cell outcomes.

    ``result.outcomes`` is aligned with ``restored.steps``.
    """
    if not result.kernel_started:
        return score_whole(source, GRADER_ERROR, result.fatal)
    steps, outcomes = restored.steps, result.outcomes
    fatal_reason = _fatal_reason(steps, outcomes, limits)
    test_index = {step.grade_id: i for i, step in enumerate(steps) if step.kind == "test"}
    answer_index = {step.grade_id: i for i, step in enumerate(steps) if step.kind == ANSWER}
    results = []
    for part in source.parts:
        notes = tuple(restored.notes.get(part.grade_id, ()))
        if part.manual:
            results.append(PartResult(part.grade_id, 0.0, part.points, MANUAL_GRADING,
                                      "a manually graded cell: grade it by hand", notes=notes))
            continue
        index = test_index[part.grade_id]
        outcome = outcomes[index]
        if outcome.status == execute.OK:
            results.append(PartResult(part.grade_id, part.points, part.points, PASSED,
                                      "", _message(outcome), notes))
            continue
        status, reason = _diagnose(part, index, steps, outcomes, answer_index,
                                   restored.answer_state, fatal_reason, limits)
        message = _message(outcome) if outcome.status == execute.ERROR else ""
        if status != FAILED or not message:
            message = "\n".join(filter(None, [outcome.stdout.rstrip(), reason]))
        results.append(PartResult(part.grade_id, 0.0, part.points, status, reason, message, notes))
    return results


def _fatal_reason(steps, outcomes, limits: Limits) -> str:
    for step, outcome in zip(steps, outcomes):
        if outcome.status in (execute.KERNEL_DIED, execute.NOTEBOOK_TIMEOUT):
            status = _FAULT_STATUS[outcome.status]
            return _fault_reason(status, _where(step), outcome, limits)
    for step, outcome, after in zip(steps, outcomes, list(outcomes[1:]) + [None]):
        if outcome.status in (execute.TIMEOUT, execute.OUTPUT_LIMIT) and after is not None \
                and after.status == execute.NOT_RUN:
            return f"{_where(step)} was interrupted ({outcome.status}) and the kernel did not stop"
    return "an earlier cell stopped the run"


def _own_fatal_step(part, index, steps, outcomes):
    """The cell of this part (after the previous test) whose fault ended the run, if any.

    Going back from the test, the first cell that ran is the one the run ended on.
    """
    for step_index in range(index - 1, -1, -1):
        step, cause = steps[step_index], outcomes[step_index]
        if cause.status == execute.NOT_RUN:
            if step.kind == "test":
                return None
            continue
        if step.kind == "test" or (step.kind == ANSWER and step.grade_id not in part.answer_ids):
            return None
        return (step, cause) if cause.status not in (execute.OK, execute.ERROR) else None
    return None


def _diagnose(part, index, steps, outcomes, answer_index, answer_state, fatal_reason, limits):
    """Status and reason of a part whose test cell did not run cleanly."""
    outcome = outcomes[index]
    unchanged = [a for a in part.answer_ids if answer_state.get(a) == "unchanged"]
    missing = [a for a in part.answer_ids if answer_state.get(a) == "missing"]
    if outcome.status == execute.NOT_RUN:
        own_fault = _own_fatal_step(part, index, steps, outcomes)
        if own_fault is None:
            return NOT_RUN, f"not run: {fatal_reason}"
        step, cause = own_fault
        status = _status_of(cause)
        reason = _fault_reason(status, _where(step), cause, limits)
        if cause.status in (execute.TIMEOUT, execute.OUTPUT_LIMIT):
            reason += "; it did not stop when interrupted, so the rest of the notebook was not run"
        return status, reason
    if missing:
        return MISSING_ANSWER, (
            f"answer cell '{missing[0]}' is not in the submission (deleted, or its cell "
            "metadata lost); the released placeholder was graded")
    if unchanged:
        return NOT_IMPLEMENTED, (
            f"answer cell '{unchanged[0]}' is still the released placeholder: "
            "replace it with your code")
    own = _status_of(outcome)
    if outcome.status != execute.ERROR:
        return own, _fault_reason(own, "the test", outcome, limits)
    if own == FAILED:
        message = one_line(outcome.evalue)
        return FAILED, message or f"the test failed ({outcome.ename} without a message)"
    # the test broke (NameError, ...): blame the first earlier cell of this part that broke
    for answer_id in part.answer_ids:
        cause = outcomes[answer_index[answer_id]] if answer_id in answer_index else None
        if cause is not None and cause.status != execute.OK:
            status = _status_of(cause)
            status = ERROR if status == FAILED else status
            return status, _fault_reason(status, f"answer cell '{answer_id}'", cause, limits)
    for step_index in range(index - 1, -1, -1):
        step, cause = steps[step_index], outcomes[step_index]
        if step.kind == "test":
            break
        if step.kind in ("guard", "locked") and cause.status != execute.OK:
            status = _status_of(cause)
            status = ERROR if status == FAILED else status
            return status, _fault_reason(status, _where(step), cause, limits)
    return own, _fault_reason(own, "the test", outcome, limits)
