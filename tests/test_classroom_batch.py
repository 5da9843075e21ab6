"""Tests of lrcourse.classroom.batch: grading a class (progress bar, workers, the fixture class).

These start runners:

- ``test_every_exercise_reaches_full_marks_with_its_reference_solutions``: every
  course exercise (~10 s);
- ``test_fixture_class_end_to_end`` (the slow one, ~25 s on 2 cores): grades the
  adversarial fixture class in ``tests/fixtures/class/`` in the bubblewrap sandbox
  and compares the CSV with the expected one exactly, then checks that the
  submissions and the course are byte-for-byte unchanged, that nothing was written
  outside the output folder and that no process outlived the grading;
- ``test_fixture_class_without_sandbox`` grades the class's non-adversarial learners
  with the sandbox turned off and gets the same rows.

Tests that need bubblewrap skip without it on a learner's machine and fail in CI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path

import nbformat
from classroom_support import FIXTURE, ROOT, require_sandbox

from lrcourse.classroom.batch import ProgressBar, _run_worker, grade_class
from lrcourse.classroom.limits import Limits
from lrcourse.classroom.worker import grade_submission


def test_progress_bar_writes_lines_when_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(4, stream=stream)
    for label in "abcd":
        bar.advance(label)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("grading [" + "#" * 15 + "-" * 15 + "] 2/4")
    assert lines[-1].endswith("d")


def test_a_crashing_worker_costs_one_submission_not_the_batch(tmp_path):
    broken = {"learner": "x", "exercise": "00_mini", "submission": "nope"}  # no limits: KeyError
    result = _run_worker(broken, tmp_path, Limits())
    assert result["error"].startswith("the grading process ended without a valid result (exit status 1)")
    assert "KeyError: 'source'" in result["error"]
    graded = grade_submission(tmp_path / "missing.ipynb", tmp_path / "missing_source.ipynb", "00_mini", Limits())
    assert [p["status"] for p in graded["parts"]] == ["grader error"]
    assert "the grader failed on this submission: FileNotFoundError" in graded["parts"][0]["reason"]


def _tree_digest(root: Path) -> dict:
    return {str(p.relative_to(root)): (os.readlink(p) if p.is_symlink() else
                                       hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


def _runner_processes(tmp_path: Path) -> list[str]:
    """This test's grading processes still alive: a worker, zygote, runner or sandbox whose
    command line or environment names the test's own folder (``TMPDIR`` points into it),
    so that graders of other tests running meanwhile (pytest-xdist) are not counted."""
    mark = str(tmp_path).encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
                environment = Path(f"/proc/{entry}/environ").read_bytes()
            except OSError:
                continue
            if mark not in command and mark not in environment:
                continue  # another test's grader, or another checkout's
            if any(name in command for name in (b"lrcourse.classroom.runner", b"lrcourse.classroom.worker",
                                                b"lrcourse.classroom.zygote", b"bwrap")):
                found.append(f"{entry}: {command[:200]!r}")
    return found


def _grade_fixture(tmp_path, monkeypatch, **options):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the workers' temporary folders go here
    limits = Limits(**json.loads((FIXTURE / "limits.json").read_text()))
    out = tmp_path / "out"
    stream = io.StringIO()
    result = grade_class(FIXTURE / "submissions", ROOT / "exercises" / "source", out, limits=limits,
                         workers=os.cpu_count(), stream=stream, **options)
    return result, out, stream, scratch


def test_fixture_class_end_to_end(tmp_path, monkeypatch):
    """The adversarial class in the sandbox: exact rows, nothing changed, nothing left running."""
    require_sandbox()
    # what the attacks write to (other developers may be editing the rest of the course)
    watched = [FIXTURE, ROOT / "exercises" / "source" / "01_gradient_descent"]
    files = [ROOT / "lrcourse" / "__init__.py", ROOT / "lrcourse" / "grading" / "__init__.py",
             ROOT / "lrcourse" / "grading" / "ex01.py"]
    before = [_tree_digest(root) for root in watched] + [path.read_bytes() for path in files]
    assert _runner_processes(tmp_path) == []
    result, out, stream, scratch = _grade_fixture(tmp_path, monkeypatch, sandbox="require")
    assert result.sandbox == "bubblewrap"

    expected = (FIXTURE / "expected_grades.csv").read_text(encoding="utf-8")
    assert (out / "grades.csv").read_text(encoding="utf-8") == expected
    sys.path.insert(0, str(FIXTURE))
    try:
        from make_class import check_against_spec
    finally:
        sys.path.remove(str(FIXTURE))
    assert check_against_spec(expected) == []
    assert sorted(str(p.relative_to(out)) for p in out.iterdir()) == ["feedback", "grades.csv", "totals.csv"]
    feedback = "".join(p.read_text(encoding="utf-8") for p in (out / "feedback").rglob("*.md"))
    assert "hidden=True" not in feedback and "HIDDEN TESTS" not in feedback
    assert "hidden=True" not in (out / "grades.csv").read_text(encoding="utf-8")
    graded = stream.getvalue().count("grading [")
    assert f"] {graded}/{graded} " in stream.getvalue().splitlines()[-1]
    after = [_tree_digest(root) for root in watched] + [path.read_bytes() for path in files]
    assert after == before  # byte-for-byte, nothing added
    assert list(scratch.iterdir()) == []  # every temporary folder removed
    for folder in (Path("/tmp"), Path.home(), ROOT):
        assert not (folder / "PWNED.txt").exists(), folder
    for folder in ("lrcourse", "exercises", "tests"):
        assert list((ROOT / folder).rglob("PWNED.txt")) == [], folder
    assert _runner_processes(tmp_path) == []  # no learner process outlived grade


def test_fixture_class_without_sandbox(tmp_path, monkeypatch):
    """The non-adversarial learners, sandbox off: the same rows as in the sandbox."""
    sys.path.insert(0, str(FIXTURE))
    try:
        from make_class import EXPECTED
    finally:
        sys.path.remove(str(FIXTURE))
    learners = sorted(EXPECTED)
    result, out, stream, scratch = _grade_fixture(tmp_path, monkeypatch, sandbox="off", learners=learners)
    assert result.sandbox == "none"
    expected = [line for line in (FIXTURE / "expected_grades.csv").read_text(encoding="utf-8").splitlines(True)
                if line.split(",", 1)[0] in learners or line.startswith("learner,")]
    assert (out / "grades.csv").read_text(encoding="utf-8") == "".join(expected)
    assert list(scratch.iterdir()) == []
    assert _runner_processes(tmp_path) == []


def test_every_exercise_reaches_full_marks_with_its_reference_solutions(tmp_path):
    """Each source exercise, solved with its own solutions, grades to full marks.

    Guards the grader against exercises it cannot restore or run (one kernel per
    exercise, graded in one batch).
    """
    from lrcourse.notebook_format import BEGIN_SOLUTION, END_SOLUTION, is_solution, make_student_notebook

    source_dir = Path(__file__).parent.parent / "exercises" / "source"
    submissions = tmp_path / "submissions"
    for path in sorted(source_dir.glob("*/*.ipynb")):
        source = nbformat.read(str(path), as_version=4)
        solved = make_student_notebook(source)
        answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
                   if is_solution(cell)}
        for cell in solved.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = "\n".join(line for line in answers[grade_id].split("\n")
                                        if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))
        (submissions / "reference").mkdir(parents=True, exist_ok=True)
        nbformat.write(solved, str(submissions / "reference" / path.name))
    result = grade_class(submissions, source_dir, None, limits=Limits(cell_timeout=60), progress=False)
    assert result.grades, "no exercises found"
    for grade in result.grades:
        assert [part.status for part in grade.parts] == ["passed"] * len(grade.parts), grade
        assert grade.points == grade.max_points > 0
