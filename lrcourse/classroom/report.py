"""Write a class's grades: one CSV for the class, one feedback file per submission.

- ``grades.csv`` — one row per learner, exercise and part: ``learner, exercise,
  part, points, max_points, status, reason``; sorted by learner, exercise, then the
  part's order in the exercise.  No timings, paths or dates, so grading the same
  folder twice writes the same file.
- ``totals.csv`` — one row per learner and exercise: ``learner, exercise, points,
  max_points``.
- ``feedback/<learner>/<exercise>.md`` — for the learner: the score, a table of the
  parts, then each part's check output and verdict (never a traceback, which could
  show hidden tests).  Entries that are not graded notebooks (``not graded``
  rows, links refused outside a learner's folder) get no feedback file.

A text cell that a spreadsheet would read as a formula (it starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'``,
so a learner's folder name or an error message cannot become a live formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from lrcourse.classroom.score import FAILED, NOT_GRADED, PASSED, PartResult
from lrcourse.grading.core import format_points

__all__ = [
    "SubmissionGrade",
    "CSV_COLUMNS",
    "spreadsheet_safe",
    "class_csv",
    "totals_csv",
    "feedback_markdown",
    "write_reports",
]

CSV_COLUMNS = ("learner", "exercise", "part", "points", "max_points", "status", "reason")


@dataclass(frozen=True)
class SubmissionGrade:
    """The graded parts of one learner's notebook for one exercise (in part order)."""

    learner: str
    exercise: str
    parts: tuple[PartResult, ...]

    @property
    def points(self) -> float:
        return sum(part.points for part in self.parts)

    @property
    def max_points(self) -> float:
        return sum(part.max_points for part in self.parts)


def _sorted(grades: Iterable[SubmissionGrade]) -> list[SubmissionGrade]:
    return sorted(grades, key=lambda g: (g.learner.casefold(), g.learner, g.exercise))


def _reason(part: PartResult) -> str:
    notes = "; ".join(f"note: {note}" for note in part.notes)
    return "; ".join(text for text in (part.reason, notes) if text)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def class_csv(grades: Iterable[SubmissionGrade]) -> str:
    """The class CSV's text (``\\n`` line ends, UTF-8 when written)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for grade in _sorted(grades):
        for part in grade.parts:
            writer.writerow([spreadsheet_safe(grade.learner), spreadsheet_safe(grade.exercise),
                             spreadsheet_safe(part.part), format_points(part.points),
                             format_points(part.max_points), part.status,
                             spreadsheet_safe(_reason(part))])
    return buffer.getvalue()


def totals_csv(grades: Iterable[SubmissionGrade]) -> str:
    """One row per learner and exercise with the summed points."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("learner", "exercise", "points", "max_points"))
    for grade in _sorted(grades):
        writer.writerow([spreadsheet_safe(grade.learner), spreadsheet_safe(grade.exercise),
                         format_points(grade.points), format_points(grade.max_points)])
    return buffer.getvalue()


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def feedback_markdown(grade: SubmissionGrade) -> str:
    """The learner's feedback file for one exercise."""
    lines = [
        f"# Feedback on {grade.exercise}",
        "",
        f"Learner: {grade.learner}  ",
        f"Score: **{format_points(grade.points)} / {format_points(grade.max_points)}** points",
        "",
        "| Part | Points | Result |",
        "|---|---|---|",
    ]
    for part in grade.parts:
        name = part.part or "(whole notebook)"
        lines.append(f"| {_cell(name)} | {format_points(part.points)} / "
                     f"{format_points(part.max_points)} | {part.status} |")
    for part in grade.parts:
        name = part.part or "whole notebook"
        lines += ["", f"## {name}: {part.status} ({format_points(part.points)} / "
                      f"{format_points(part.max_points)})", ""]
        message = part.message.strip() or part.reason
        if message:
            lines.append(_fence(message))
        if part.status not in (PASSED, FAILED) and part.reason and part.reason not in message:
            lines += ["", part.reason]
        for note in part.notes:
            lines += ["", f"Note: {note}."]
    return "\n".join(lines) + "\n"


def _has_feedback(grade: SubmissionGrade) -> bool:
    names_ok = all(name and "/" not in name and "\\" not in name and name not in (".", "..")
                   for name in (grade.learner, grade.exercise))
    return names_ok and not all(part.status == NOT_GRADED for part in grade.parts)


def write_reports(grades: Sequence[SubmissionGrade], out_dir: str | Path) -> dict[str, Path]:
    """Write ``grades.csv``, ``totals.csv`` and the feedback files under ``out_dir``.

    Returns the paths written (``"grades"``, ``"totals"``, ``"feedback"`` folder).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"grades": out_dir / "grades.csv", "totals": out_dir / "totals.csv",
             "feedback": out_dir / "feedback"}
    paths["grades"].write_text(class_csv(grades), encoding="utf-8", newline="")
    paths["totals"].write_text(totals_csv(grades), encoding="utf-8", newline="")
    for grade in grades:
        if not _has_feedback(grade):
            continue
        target = paths["feedback"] / grade.learner / f"{grade.exercise}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(feedback_markdown(grade), encoding="utf-8")
    return paths
