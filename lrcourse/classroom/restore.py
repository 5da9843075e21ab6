"""Rebuild the notebook to grade from the source exercise and a learner's answers.

nbgrader marks each cell of a source exercise in ``metadata.nbgrader``
(schema_version 3).  The roles this module uses:

=============  ============================  =========================================
role           nbgrader flags                where the graded run takes it from
=============  ============================  =========================================
``answer``     solution, not grade           the learner's cell with the same grade_id
``test``       grade, not solution           the source (hidden tests included)
``manual``     solution and grade, or task   not run; reported for manual grading
``locked``     locked, or no nbgrader flags  the source
=============  ============================  =========================================

The graded run is the source's code cells in the source's order, where only the
answer cells' code comes from the learner.  Everything else a learner did — edited,
deleted or duplicated test cells, extra cells of their own (including a redefined
check function) — is not run.  A learner cell is matched by its ``grade_id``, so an
answer cell that lost its metadata counts as missing; an answer cell that appears
more than once is taken from its last copy (the one a top-to-bottom run of the
learner's own notebook would have used).

Reading a submission is deliberately lenient (plain JSON, only ``cells`` with their
``source`` and ``metadata.nbgrader.grade_id`` are needed), so notebooks saved by
other platforms with slightly non-standard metadata still grade.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

__all__ = [
    "SourceCell",
    "SourcePart",
    "SourceExercise",
    "InvalidNotebook",
    "LearnerNotebook",
    "Step",
    "RestoredNotebook",
    "load_source",
    "read_submission",
    "restore",
    "ANSWER",
    "TEST",
    "MANUAL",
    "LOCKED",
]

ANSWER, TEST, MANUAL, LOCKED = "answer", "test", "manual", "locked"


@dataclass(frozen=True)
class SourceCell:
    """One cell of the source exercise."""

    index: int
    cell_type: str
    source: str
    role: str
    grade_id: str = ""
    points: float = 0.0


@dataclass(frozen=True)
class SourcePart:
    """One graded part: a test cell (or a manually graded cell) and its answers.

    ``answer_ids`` are the answer cells between the previous test cell and this one;
    a test cell right after another test cell shares the previous one's answers.
    """

    grade_id: str
    points: float
    answer_ids: tuple[str, ...]
    manual: bool = False


@dataclass(frozen=True)
class SourceExercise:
    """A parsed source exercise: its cells and its graded parts, in order."""

    name: str
    path: Path
    cells: tuple[SourceCell, ...]
    parts: tuple[SourcePart, ...]

    @property
    def max_points(self) -> float:
        return float(sum(part.points for part in self.parts))

    @property
    def answer_ids(self) -> tuple[str, ...]:
        return tuple(cell.grade_id for cell in self.cells if cell.role == ANSWER)

    @property
    def test_ids(self) -> tuple[str, ...]:
        return tuple(cell.grade_id for cell in self.cells if cell.role == TEST)


class InvalidNotebook(ValueError):
    """A submission that cannot be read as a notebook (the message says why)."""


@dataclass(frozen=True)
class LearnerNotebook:
    """The cells of a submission that carry a grade_id, grouped by it, in file order."""

    cells_by_id: Mapping[str, tuple[str, ...]]

    def copies(self, grade_id: str) -> tuple[str, ...]:
        return self.cells_by_id.get(grade_id, ())


@dataclass(frozen=True)
class Step:
    """One cell of the graded run.

    ``kind`` is ``"locked"`` (from the source), ``"answer"`` (learner's code),
    ``"guard"`` (the grader's own cell that restores the check functions before a
    test) or ``"test"`` (from the source).
    """

    source: str
    kind: str
    grade_id: str = ""
    source_index: int = -1


@dataclass(frozen=True)
class RestoredNotebook:
    """The graded run of one submission, with what was noticed while building it.

    ``answer_state`` maps each answer grade_id to ``"answered"``, ``"missing"``
    (no cell with that id), or ``"unchanged"`` (identical to the released
    placeholder).  ``notes`` maps a part's grade_id to remarks for its feedback.
    """

    steps: tuple[Step, ...]
    answer_state: Mapping[str, str]
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(str(line) for line in source)
    return source if isinstance(source, str) else ""


def _nbgrader(cell: Mapping) -> Mapping:
    metadata = cell.get("metadata") if isinstance(cell, Mapping) else None
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, Mapping) else None
    return nbgrader if isinstance(nbgrader, Mapping) else {}


def _role(nbgrader: Mapping) -> str:
    solution, grade = bool(nbgrader.get("solution")), bool(nbgrader.get("grade"))
    if nbgrader.get("task") or (solution and grade):
        return MANUAL
    if solution:
        return ANSWER
    if grade:
        return TEST
    return LOCKED


def load_source(path: str | Path, name: str | None = None) -> SourceExercise:
    """Parse a source exercise notebook (nbgrader format).

    Raises
    ------
    ValueError
        If the notebook has two cells with one grade_id, or a graded cell without one.
    """
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        nbgrader = _nbgrader(cell)
        role = _role(nbgrader)
        grade_id = str(nbgrader.get("grade_id", "")) if nbgrader else ""
        if role != LOCKED and not grade_id:
            raise ValueError(f"{path}: cell {index} is an nbgrader {role} cell without a grade_id")
        cells.append(SourceCell(
            index=index, cell_type=str(cell.get("cell_type", "")), source=_text(cell.get("source")),
            role=role, grade_id=grade_id, points=float(nbgrader.get("points", 0) or 0),
        ))
    seen: set[str] = set()
    for cell in cells:
        if cell.grade_id and cell.grade_id in seen:
            raise ValueError(f"{path}: grade_id {cell.grade_id!r} is used by more than one cell")
        seen.add(cell.grade_id)
    return SourceExercise(name=name or path.stem, path=path, cells=tuple(cells),
                          parts=_parts(cells))


def _parts(cells: list[SourceCell]) -> tuple[SourcePart, ...]:
    parts, pending, previous = [], [], ()
    for cell in cells:
        if cell.role == ANSWER:
            pending.append(cell.grade_id)
        elif cell.role == TEST:
            answers = tuple(pending) if pending else previous
            parts.append(SourcePart(cell.grade_id, cell.points, answers))
            previous, pending = answers, []
        elif cell.role == MANUAL:
            parts.append(SourcePart(cell.grade_id, cell.points, (cell.grade_id,), manual=True))
    return tuple(parts)


def read_submission(data: bytes) -> LearnerNotebook:
    """Read a submission's bytes as a notebook, leniently.

    Raises
    ------
    InvalidNotebook
        If the bytes are not UTF-8 JSON holding a ``cells`` list.
    """
    if not data.strip():
        raise InvalidNotebook("the file is empty")
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InvalidNotebook(f"not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise InvalidNotebook(
            f"not valid JSON ({error.msg}: line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise InvalidNotebook("not a Jupyter notebook (the JSON is nested too deeply to read)") from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise InvalidNotebook(f"not a Jupyter notebook ({str(error).split(';')[0]})") from None
    if not isinstance(notebook, dict):
        raise InvalidNotebook("not a Jupyter notebook (the JSON is not an object)")
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        hint = " (an nbformat 3 notebook: open and save it in Jupyter first)" if "worksheets" in notebook else ""
        raise InvalidNotebook(f"not a Jupyter notebook (no 'cells' list){hint}")
    grouped: dict[str, list[str]] = {}
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        grade_id = _nbgrader(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id:
            grouped.setdefault(grade_id, []).append(_text(cell.get("source")))
    return LearnerNotebook({key: tuple(value) for key, value in grouped.items()})


def _same_code(a: str, b: str) -> bool:
    return [line.rstrip() for line in a.strip().splitlines()] == \
           [line.rstrip() for line in b.strip().splitlines()]


def restore(source: SourceExercise, learner: LearnerNotebook, released: Mapping[str, str],
            guard_code: str | None = None) -> RestoredNotebook:
    """Build the graded run of ``learner``'s submission of ``source``.

    Parameters
    ----------
    source : SourceExercise
        The parsed source exercise.
    learner : LearnerNotebook
        The submission's cells by grade_id.
    released : mapping of str to str
        grade_id → that cell's code in the released learner notebook (placeholders
        in answer cells, visible tests only in test cells).  A missing answer is
        graded as this placeholder; an answer equal to it is ``"unchanged"``.
    guard_code : str, optional
        Code run before every test cell (see :mod:`lrcourse.classroom.integrity`).
    """
    steps: list[Step] = []
    answer_state: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    part_of_test = {part.grade_id: part for part in source.parts}
    answer_notes: dict[str, list[str]] = {}
    for cell in source.cells:
        if cell.cell_type != "code" or cell.role == MANUAL:
            continue
        if cell.role == ANSWER:
            copies = learner.copies(cell.grade_id)
            placeholder = released.get(cell.grade_id, "")
            if not copies:
                answer_state[cell.grade_id] = "missing"
                code = placeholder
            else:
                code = copies[-1]
                answer_state[cell.grade_id] = "unchanged" if _same_code(code, placeholder) else "answered"
                if len(copies) > 1:
                    answer_notes.setdefault(cell.grade_id, []).append(
                        f"answer cell '{cell.grade_id}' appears {len(copies)} times; "
                        "the last copy was graded")
            steps.append(Step(code, ANSWER, cell.grade_id, cell.index))
        elif cell.role == TEST:
            copies = learner.copies(cell.grade_id)
            shown = released.get(cell.grade_id)
            if not copies:
                remark = "removed from the submission"
            elif len(copies) > 1:
                remark = f"duplicated in the submission ({len(copies)} copies)"
            elif shown is not None and not _same_code(copies[0], shown):
                remark = "edited in the submission"
            else:
                remark = ""
            if remark:
                notes.setdefault(cell.grade_id, []).append(
                    f"test cell '{cell.grade_id}' was {remark}; the original was run")
            if guard_code:
                steps.append(Step(guard_code, "guard", cell.grade_id, cell.index))
            steps.append(Step(cell.source, TEST, cell.grade_id, cell.index))
        else:
            steps.append(Step(cell.source, LOCKED, "", cell.index))
    for test_id, part in part_of_test.items():
        for answer_id in part.answer_ids:
            notes.setdefault(test_id, [])[:0] = answer_notes.get(answer_id, [])
    return RestoredNotebook(
        steps=tuple(steps), answer_state=answer_state,
        notes={key: tuple(value) for key, value in notes.items() if value},
    )
