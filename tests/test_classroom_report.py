"""Tests of lrcourse.classroom.report: the class CSVs and the feedback files."""

from __future__ import annotations

import csv
import io

from lrcourse.classroom import report, score


def _grade(learner, exercise, statuses):
    parts = tuple(score.PartResult(f"p{i}", pts, 2.0, status, reason, message=f"output of p{i}",
                                   notes=notes)
                  for i, (pts, status, reason, notes) in enumerate(statuses))
    return report.SubmissionGrade(learner, exercise, parts)


def test_class_csv_is_sorted_and_plain():
    grades = [_grade("bob", "01_x", [(2.0, "passed", "", ())]),
              _grade("Alice", "02_y", [(0.0, "failed", "wrong, sign\nflipped", ())]),
              _grade("Alice", "01_x", [(1.5, "passed", "", ("answer cell 'a' appears 2 times",)),
                                       (0.0, "timeout", "ran too long", ())])]
    rows = list(csv.reader(io.StringIO(report.class_csv(grades))))
    assert rows[0] == list(report.CSV_COLUMNS)
    assert rows[1:] == [
        ["Alice", "01_x", "p0", "1.5", "2", "passed", "note: answer cell 'a' appears 2 times"],
        ["Alice", "01_x", "p1", "0", "2", "timeout", "ran too long"],
        ["Alice", "02_y", "p0", "0", "2", "failed", "wrong, sign\nflipped"],
        ["bob", "01_x", "p0", "2", "2", "passed", ""]]
    totals = list(csv.reader(io.StringIO(report.totals_csv(grades))))
    assert totals[1:] == [["Alice", "01_x", "1.5", "4"], ["Alice", "02_y", "0", "2"], ["bob", "01_x", "2", "2"]]


def test_csv_cells_never_start_a_spreadsheet_formula():
    grades = [_grade(name, "01_x", [(0.0, "failed", reason, ())])
              for name, reason in [("=1+2", "-2 is wrong"), ("@SUM(A1)", "+x"), ("\tx", "=cmd|'/C calc'!A0"),
                                   ("bob", "fine - really")]]
    rows = list(csv.reader(io.StringIO(report.class_csv(grades))))[1:]
    assert sorted((r[0], r[6]) for r in rows) == sorted([
        ("'=1+2", "'-2 is wrong"), ("'@SUM(A1)", "'+x"), ("'\tx", "'=cmd|'/C calc'!A0"), ("bob", "fine - really")])
    assert sorted(r[0] for r in list(csv.reader(io.StringIO(report.totals_csv(grades))))[1:]) == sorted([
        "'=1+2", "'@SUM(A1)", "'\tx", "bob"])


def test_feedback_shows_messages_part_by_part(tmp_path):
    grade = _grade("alice", "01_x", [(2.0, "passed", "", ()), (0.0, "failed", "✘ sign flipped", ("a note",))])
    text = report.feedback_markdown(grade)
    assert "Score: **2 / 4** points" in text
    assert "| p1 | 0 / 2 | failed |" in text
    assert "## p1: failed (0 / 2)" in text and "output of p1" in text and "Note: a note." in text
    paths = report.write_reports([grade], tmp_path / "out")
    assert (paths["feedback"] / "alice" / "01_x.md").read_text(encoding="utf-8") == text
