"""Tests of the instructor's grading tools (lrcourse.classroom, lrcourse.cli).

Most tests are pure (no learner process) and take milliseconds.  These start runners:

- ``test_session_*``: the limits of one run, on small cell lists (~15 s);
- ``test_every_exercise_reaches_full_marks_with_its_reference_solutions``: every
  course exercise (~10 s);
- ``test_fixture_class_end_to_end`` (the slow one, ~25 s on 2 cores): grades the
  adversarial fixture class in ``tests/fixtures/class/`` in the bubblewrap sandbox
  and compares the CSV with the expected one exactly, then checks that the
  submissions and the course are byte-for-byte unchanged, that nothing was written
  outside the output folder and that no process outlived the grading;
- ``test_fixture_class_without_sandbox`` grades the class's non-adversarial learners
  with the sandbox turned off and gets the same rows.

Tests that need bubblewrap skip without it on a learner's machine and fail in CI.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from ci_support import require

from lrcourse import cli
from lrcourse.classroom import channel, execute, integrity, report, score, session
from lrcourse.classroom.batch import ProgressBar, _run_worker, grade_class
from lrcourse.classroom.sandbox import sandbox_available
from lrcourse.classroom.limits import Limits, format_size, parse_size
from lrcourse.classroom.restore import (
    ANSWER, LOCKED, TEST, InvalidNotebook, load_source, read_submission, restore,
)
from lrcourse.classroom.submissions import (
    discover_submissions, find_exercises, layout_flat_folder, scan_class, split_flat_name,
)
from lrcourse.classroom.worker import grade_submission, preload_modules, released_cells
from lrcourse.notebook_format import new_code_cell, new_markdown_cell

FIXTURE = Path(__file__).parent / "fixtures" / "class"
ROOT = Path(__file__).parent.parent


def require_sandbox():
    """Skip on a machine without bubblewrap; fail in CI, which installs it."""
    available, why = sandbox_available()
    require(available, f"no bubblewrap sandbox: {why}")

# ---------------------------------------------------------------------------
# A tiny nbgrader exercise for the unit tests
# ---------------------------------------------------------------------------

MINI_CELLS = [
    ("md", "intro", "# Mini exercise", None),
    ("locked", "setup", "import numpy as np\nfrom math import sqrt", None),
    ("solution", "double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", None),
    ("grade", "test_double",
     "assert double(3) == 6, 'double(3) should be 6'\nprint('ok double')\n"
     "### BEGIN HIDDEN TESTS\nassert double(-1) == -2, 'double(-1) should be -2'\n### END HIDDEN TESTS", 2),
    ("grade", "test_double_more", "assert double(0.5) == 1.0, 'double(0.5) should be 1'", 1),
    ("solution", "square", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", None),
    ("grade", "test_square", "assert square(3) == 9, 'square(3) should be 9'", 3),
]


def write_mini_source(root: Path, name: str = "00_mini") -> Path:
    nb = nbformat.v4.new_notebook()
    for kind, grade_id, text, points in MINI_CELLS:
        if kind == "md":
            nb.cells.append(new_markdown_cell(text, grade_id))
        else:
            nb.cells.append(new_code_cell(text, grade_id, kind=kind, points=points))
    path = root / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def mini(tmp_path):
    path = write_mini_source(tmp_path / "source")
    source = load_source(path)
    return source, released_cells(source)


def learner_json(released: dict, answers: dict | None = None, *, drop=(), duplicate=(), extra=()) -> bytes:
    """A submission: the released notebook with some answer cells replaced."""
    cells = []
    for grade_id, text in released.items():
        if grade_id in drop:
            continue
        text = (answers or {}).get(grade_id, text)
        cell = {"cell_type": "code", "source": text.splitlines(keepends=True),
                "metadata": {"nbgrader": {"grade_id": grade_id}}, "outputs": [], "execution_count": None}
        cells.append(cell)
        if grade_id in duplicate:
            cells.append(json.loads(json.dumps(cell)))
    for text in extra:
        cells.append({"cell_type": "code", "source": text, "metadata": {}, "outputs": []})
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


# ---------------------------------------------------------------------------
# limits
# ---------------------------------------------------------------------------

def test_sizes_parse_and_format():
    assert parse_size("1GiB") == 2**30
    assert parse_size("512M") == 512 * 2**20
    assert parse_size("1.5k") == 1536
    assert parse_size("100") == 100
    assert format_size(2**30) == "1 GiB"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(12) == "12 B"
    with pytest.raises(ValueError, match="size must be a number with an optional unit"):
        parse_size("lots")


def test_limits_are_validated_with_the_course_message_shape():
    with pytest.raises(ValueError, match="cell_timeout must be a positive finite number; got -1"):
        Limits(cell_timeout=-1)
    with pytest.raises(ValueError, match="memory_bytes must be at least 256 MiB"):
        Limits(memory_bytes=2**20)
    with pytest.raises(TypeError, match="max_output_bytes must be a positive integer"):
        Limits(max_output_bytes=1.5)
    assert Limits(**Limits().as_dict()) == Limits()


# ---------------------------------------------------------------------------
# submissions
# ---------------------------------------------------------------------------

def test_discover_finds_both_layouts_and_ignores_hidden(tmp_path):
    for relative in ["alice/01_gd.ipynb", "bob/01_gd/01_gd.ipynb", "bob/02_sgd.ipynb",
                     "carol/.ipynb_checkpoints/01_gd-checkpoint.ipynb", ".hidden/01_gd.ipynb",
                     "carol/notes.txt"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("{}")
    learners, found = discover_submissions(tmp_path)
    assert learners == ["alice", "bob", "carol"]
    assert [(s.learner, s.exercise) for s in found] == [("alice", "01_gd"), ("bob", "01_gd"), ("bob", "02_sgd")]


def test_find_exercises_reads_nbgrader_source_layout(tmp_path):
    write_mini_source(tmp_path)
    (tmp_path / "stray").mkdir()
    assert list(find_exercises(tmp_path)) == ["00_mini"]
    with pytest.raises(ValueError, match="source_dir must be a folder of nbgrader source exercises"):
        find_exercises(tmp_path / "nope")


@pytest.mark.parametrize("filename, expected", [
    ("alice_01_gradient_descent.ipynb", ("alice", "01_gradient_descent")),
    ("mary_ann_01_gradient_descent.ipynb", ("mary_ann", "01_gradient_descent")),
    ("bob.smith-01_gradient_descent.ipynb", ("bob.smith", "01_gradient_descent")),
    ("carol_01_gradient_descent_extra.ipynb", ("carol", "01_gradient_descent_extra")),
    ("01_gradient_descent.ipynb", None),
    ("alice_02_other.ipynb", None),
    ("alice_01_gradient_descent.txt", None),
])
def test_flat_names_split_on_the_longest_exercise_suffix(filename, expected):
    exercises = ["01_gradient_descent", "01_gradient_descent_extra", "descent"]
    if filename.startswith("carol"):
        assert split_flat_name(filename, exercises) == expected
    else:
        assert split_flat_name(filename, exercises[:2]) == expected


def test_layout_flat_folder_copies_and_reports(tmp_path):
    flat, dest = tmp_path / "flat", tmp_path / "subs"
    flat.mkdir()
    (flat / "alice_01_gd.ipynb").write_text("A")
    (flat / "bob-01_gd.ipynb").write_text("B")
    (flat / "whatever.ipynb").write_text("?")
    (dest / "carol").mkdir(parents=True)
    (dest / "carol" / "01_gd.ipynb").write_text("old")
    (flat / "carol_01_gd.ipynb").write_text("new")
    layout = layout_flat_folder(flat, dest, ["01_gd"])
    assert [(s.learner, s.exercise) for s in layout.copied] == [("alice", "01_gd"), ("bob", "01_gd")]
    assert [p.name for p in layout.unmatched] == ["whatever.ipynb"]
    assert [p.name for p in layout.conflicts] == ["carol_01_gd.ipynb"]
    assert (dest / "alice" / "01_gd.ipynb").read_text() == "A"
    assert (dest / "carol" / "01_gd.ipynb").read_text() == "old"
    assert (flat / "alice_01_gd.ipynb").exists()  # copied, not moved


def test_scan_never_follows_a_link_and_reports_every_entry(tmp_path):
    root, elsewhere = tmp_path / "subs", tmp_path / "elsewhere"
    (root / "alice" / "01_gd").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "secret.ipynb").write_text('{"cells": []}')
    (root / "alice" / "01_gd.ipynb").write_text('{"cells": []}')
    (root / "alice" / "01_gd" / "01_gd.ipynb").write_text('{"cells": [1]}')
    (root / "alice" / "02_x.ipynb").symlink_to(elsewhere / "secret.ipynb")
    (root / "alice" / "linked").symlink_to(elsewhere)
    (root / "alice" / "notes.txt").write_text("hi")
    (root / "alice" / ".ipynb_checkpoints").mkdir()
    (root / "bob").symlink_to(root / "alice")
    (root / ".git").mkdir()
    (root / "README").write_text("x")
    os.mkfifo(root / "alice" / "03_fifo.ipynb")
    scan = scan_class(root)
    assert scan.learners == ["alice", "bob"]
    assert scan.refused_learners == {"bob": "the folder bob/ is a symbolic link: links are never "
                                            "followed; submit the folder itself"}
    by_path = {s.relative: s for s in scan.submissions}
    assert by_path["alice/01_gd.ipynb"].data == b'{"cells": []}'
    assert by_path["alice/01_gd/01_gd.ipynb"].data == b'{"cells": [1]}'
    assert by_path["alice/02_x.ipynb"].data is None and by_path["alice/02_x.ipynb"].refused
    assert "symbolic link" in by_path["alice/02_x.ipynb"].problem
    assert by_path["alice/03_fifo.ipynb"].data is None  # never opened for a blocking read
    assert "not a regular file" in by_path["alice/03_fifo.ipynb"].problem
    assert [(k.learner, k.relative, k.status) for k in scan.skipped] == [
        ("", ".git/", "not graded"), ("", "README", "not graded"),
        ("alice", "alice/.ipynb_checkpoints/", "not graded"), ("alice", "alice/linked", "refused"),
        ("alice", "alice/notes.txt", "not graded")]


def test_collect_does_not_copy_links(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (tmp_path / "target.ipynb").write_text("solutions")
    (flat / "eve_01_gd.ipynb").symlink_to(tmp_path / "target.ipynb")
    layout = layout_flat_folder(flat, tmp_path / "subs", ["01_gd"])
    assert layout.copied == [] and [p.name for p in layout.links] == ["eve_01_gd.ipynb"]
    assert not (tmp_path / "subs").exists()


@pytest.mark.parametrize("data, message", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"cells": ' + b"1" * 5000 + b"}", "Exceeds the limit (4300 digits)"),
])
def test_hostile_json_is_an_invalid_notebook_not_a_crash(data, message):
    with pytest.raises(InvalidNotebook, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_submission(data)


# ---------------------------------------------------------------------------
# restore
# ---------------------------------------------------------------------------

def test_source_roles_and_parts(mini):
    source, released = mini
    roles = [(c.grade_id, c.role) for c in source.cells]
    assert roles == [("intro", LOCKED), ("setup", LOCKED), ("double", ANSWER), ("test_double", TEST),
                     ("test_double_more", TEST), ("square", ANSWER), ("test_square", TEST)]
    assert [(p.grade_id, p.points, p.answer_ids) for p in source.parts] == [
        ("test_double", 2.0, ("double",)), ("test_double_more", 1.0, ("double",)),
        ("test_square", 3.0, ("square",))]
    assert source.max_points == 6
    assert "NotImplementedError" in released["double"] and "HIDDEN" not in released["test_double"]


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b'{"cells": [', "not valid JSON (Expecting value: line 1, column 12)"),
    (b"\xff\xfe\x00", "not UTF-8 text"),
    (b"[1, 2]", "the JSON is not an object"),
    (b'{"metadata": {}}', "no 'cells' list"),
    (b'{"worksheets": []}', "an nbformat 3 notebook"),
])
def test_unreadable_submissions_say_why(data, message):
    with pytest.raises(InvalidNotebook, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_submission(data)


def test_reading_is_lenient_about_metadata_and_source_shape():
    data = json.dumps({"cells": [
        {"cell_type": "code", "source": ["def double(x):\n", "    return 2*x"],
         "metadata": {"nbgrader": {"grade_id": "double"}}},
        {"cell_type": "code", "source": "x = 1"},  # no metadata at all
        "not a cell",
        {"cell_type": "code", "source": "y", "metadata": {"nbgrader": "broken"}},
    ]}).encode()
    learner = read_submission(data)
    assert learner.copies("double") == ("def double(x):\n    return 2*x",)
    assert list(learner.cells_by_id) == ["double"]


def test_restore_takes_only_answers_from_the_learner(mini):
    source, released = mini
    answers = {"double": "def double(x):\n    return x + x", "test_double": "print('all good')"}
    learner = read_submission(learner_json(released, answers, extra=["def double(x): return 0"]))
    restored = restore(source, learner, released, guard_code="GUARD")
    kinds = [(s.kind, s.grade_id) for s in restored.steps]
    assert kinds == [("locked", ""), ("answer", "double"), ("guard", "test_double"), ("test", "test_double"),
                     ("guard", "test_double_more"), ("test", "test_double_more"), ("answer", "square"),
                     ("guard", "test_square"), ("test", "test_square")]
    steps = {(s.kind, s.grade_id): s.source for s in restored.steps}
    assert steps[("answer", "double")] == "def double(x):\n    return x + x"
    assert "BEGIN HIDDEN TESTS" in steps[("test", "test_double")]  # the source's cell, hidden tests included
    assert all("return 0" not in s.source for s in restored.steps)  # the learner's extra cell is dropped
    assert restored.answer_state == {"double": "answered", "square": "unchanged"}
    assert restored.notes == {"test_double": ("test cell 'test_double' was edited in the submission; "
                                              "the original was run",)}


def test_restore_handles_missing_and_duplicated_cells(mini):
    source, released = mini
    answers = {"double": "def double(x):\n    return 2 * x"}
    learner = read_submission(learner_json(released, answers, drop=("square", "test_square"),
                                           duplicate=("double", "test_double")))
    restored = restore(source, learner, released)
    assert restored.answer_state == {"double": "answered", "square": "missing"}
    square = [s for s in restored.steps if s.grade_id == "square"][0]
    assert square.source == released["square"]  # graded as the released placeholder
    assert restored.notes["test_double"] == (
        "answer cell 'double' appears 2 times; the last copy was graded",
        "test cell 'test_double' was duplicated in the submission (2 copies); the original was run")
    assert restored.notes["test_square"] == ("test cell 'test_square' was removed from the submission; "
                                             "the original was run",)


def test_last_copy_of_a_duplicated_answer_wins(mini):
    source, released = mini
    data = json.loads(learner_json(released, duplicate=("double",)))
    copies = [c for c in data["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "double"]
    copies[0]["source"], copies[1]["source"] = "def double(x): return 0", "def double(x): return 2*x"
    restored = restore(source, read_submission(json.dumps(data).encode()), released)
    assert [s.source for s in restored.steps if s.kind == ANSWER][0] == "def double(x): return 2*x"


# ---------------------------------------------------------------------------
# integrity
# ---------------------------------------------------------------------------

def test_protected_imports_are_the_sources_top_level_imports():
    imports = integrity.protected_imports([
        "from __future__ import annotations\nimport numpy as np\nx = 1",
        "from lrcourse.grading.ex01 import check_gd_step\ncheck_gd_step(gd_step)",
        "import numpy as np", "def broken(:", "%matplotlib inline\nimport math"])
    assert imports == ["import numpy as np", "from lrcourse.grading.ex01 import check_gd_step",
                       "import math"]
    assert preload_modules(imports) == ["numpy", "lrcourse.grading.ex01", "math"]


# ---------------------------------------------------------------------------
# score
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

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


def test_progress_bar_writes_lines_when_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(4, stream=stream)
    for label in "abcd":
        bar.advance(label)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("grading [" + "#" * 15 + "-" * 15 + "] 2/4")
    assert lines[-1].endswith("d")


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------

def test_cli_help_has_examples(capsys):
    for command in ("grade", "release", "collect"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and f"lrcourse {command}" in text
    assert "container or VM" in cli.build_parser().format_help() + cli._GRADE_EXAMPLES


def test_cli_release_uses_the_course_generator(tmp_path, capsys):
    source_dir = tmp_path / "source"
    path = write_mini_source(source_dir)
    assert cli.main(["release", "--source", str(source_dir), "--to", str(tmp_path / "handout")]) == 0
    from lrcourse.notebook_format import student_notebook_text

    expected = student_notebook_text(nbformat.read(str(path), as_version=4), name=path.name)
    assert (tmp_path / "handout" / "00_mini.ipynb").read_text(encoding="utf-8") == expected
    assert cli.main(["release", "nope", "--source", str(source_dir), "--to", str(tmp_path / "h")]) == 1
    assert "no source notebook for ['nope']" in capsys.readouterr().err


def test_cli_collect_and_grade_argument_errors(tmp_path, capsys):
    source_dir = tmp_path / "source"
    write_mini_source(source_dir)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "alice_00_mini.ipynb").write_text("{}")
    assert cli.main(["collect", str(flat), "--to", str(tmp_path / "subs"), "--source", str(source_dir)]) == 0
    assert (tmp_path / "subs" / "alice" / "00_mini.ipynb").exists()
    code = cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "subs" / "grades"),
                     "--source", str(source_dir)])
    assert code == 1
    assert "out_dir must be a folder outside the submissions folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"), "--memory", "lots"])
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"),
                     "--source", str(source_dir), "--exercise", "99_none"]) == 1
    assert "exercise must be one of 00_mini; got '99_none'" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"),
                     "--source", str(source_dir), "--learner", "zoe"]) == 1
    err = capsys.readouterr().err
    assert "learner must be a folder in" in err and "got 'zoe'. the learners there are alice" in err


def test_without_bubblewrap_grade_says_so_or_refuses(tmp_path, monkeypatch, capsys):
    from lrcourse.classroom import batch

    source_dir = tmp_path / "source"
    write_mini_source(source_dir)
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    monkeypatch.setattr(batch, "sandbox_available", lambda: (False, "bwrap is not installed"))
    result = grade_class(tmp_path / "subs", source_dir, None, exercises=["00_mini"], progress=False)
    assert result.sandbox == "none"
    assert result.warnings == ["no sandbox (bwrap is not installed): learner code runs as a plain "
                               "process under the resource limits only (see docs/instructor.md)"]
    with pytest.raises(RuntimeError, match="no sandbox: bwrap is not installed; refusing to grade"):
        grade_class(tmp_path / "subs", source_dir, None, exercises=["00_mini"], sandbox="require")
    code = cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--source",
                     str(source_dir), "--exercise", "00_mini", "--require-sandbox", "--quiet"])
    assert code == 2 and "refusing to grade (--require-sandbox)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_progress_passes_its_arguments_on(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["progress", "--help"])
    assert exit_info.value.code == 0
    assert "usage: lrcourse progress" in capsys.readouterr().out


def test_a_crashing_worker_costs_one_submission_not_the_batch(tmp_path):
    broken = {"learner": "x", "exercise": "00_mini", "submission": "nope"}  # no limits: KeyError
    result = _run_worker(broken, tmp_path, Limits())
    assert result["error"].startswith("the grading process ended without a valid result (exit status 1)")
    assert "KeyError: 'source'" in result["error"]
    graded = grade_submission(tmp_path / "missing.ipynb", tmp_path / "missing_source.ipynb", "00_mini", Limits())
    assert [p["status"] for p in graded["parts"]] == ["grader error"]
    assert "the grader failed on this submission: FileNotFoundError" in graded["parts"][0]["reason"]


# ---------------------------------------------------------------------------
# the data-only channel
# ---------------------------------------------------------------------------

def test_channel_round_trips_data_and_never_unpickles_on_the_grader_side():
    import numpy as np

    value = {"x": np.arange(6.0).reshape(2, 3), "n": np.int64(3), "f": np.float64(0.5), "t": (1, "a", None),
             "l": [True, float("nan"), -float("inf"), 2**70], "k": {1: "one"}, "rng": np.random.default_rng(3),
             "s": {"A", "C"}, "fs": frozenset({1, 2})}
    wire = json.loads(json.dumps(channel.encode(value)))
    back = channel.decode(wire, trusted=True)
    assert np.array_equal(back["x"], value["x"]) and back["x"].dtype == np.float64
    assert back["n"] == 3 and isinstance(back["n"], np.int64) and np.ndim(back["f"]) == 0
    assert back["t"] == (1, "a", None) and back["k"] == {1: "one"}
    assert back["s"] == {"A", "C"} and back["fs"] == frozenset({1, 2}) and type(back["fs"]) is frozenset
    assert back["l"][0] is True and np.isnan(back["l"][1]) and back["l"][2] == -np.inf and back["l"][3] == 2**70
    assert back["rng"].random() == np.random.default_rng(3).random()
    import base64
    import pickle

    evil = {"$pickle": base64.b64encode(pickle.dumps(print)).decode()}
    assert isinstance(channel.decode(evil, trusted=True), channel.Opaque)
    for bad in ({"$nd": {"dtype": "O", "shape": [1], "data": ""}}, {"$nd": {"dtype": "<f8", "shape": [5], "data": "AA=="}},
                {"$obj": {"module": "os", "name": "system", "attrs": {}}}, {"$rng": {"bit_generator": "MT19937"}}):
        assert isinstance(channel.decode(bad, trusted=True), channel.Opaque), bad


def test_a_learner_exception_is_raised_from_the_learners_own_line():
    import linecache
    import traceback

    linecache.cache["<cell gd_step>"] = (0, None, ["def gd_step(x):\n", "    raise NotImplementedError\n"],
                                         "<cell gd_step>")
    info = {"type": "NotImplementedError", "message": "", "where": ["<cell gd_step>", 2, "gd_step"],
            "raiser": "gd_step"}
    with pytest.raises(NotImplementedError) as caught:
        session._raise_learner_error(info, "gd_step")
    last = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (last.filename, last.lineno, last.name) == ("<cell gd_step>", 2, "gd_step")
    with pytest.raises(Exception) as caught:
        session._raise_learner_error({"type": "Weird", "str_failed": "RuntimeError"}, "f")
    assert type(caught.value).__name__ == "Weird"
    assert str(caught.value) == ("(the exception's message could not be shown: str() of it raised "
                                 "RuntimeError)")


# ---------------------------------------------------------------------------
# session: the learner's cells in a runner, under limits (starts processes)
# ---------------------------------------------------------------------------

def _steps(cells):
    from lrcourse.classroom.restore import Step

    return [Step(code, "test" if code.startswith("#test") else "locked", f"c{i}", i)
            for i, code in enumerate(cells)]


@pytest.mark.parametrize("sandboxed", [True, False], ids=["bubblewrap", "no sandbox"])
def test_session_enforces_each_limit(tmp_path, sandboxed):
    if sandboxed:
        require_sandbox()
    cells = [
        "import numpy as np\nprint('hi')",
        "raise ValueError('bad')",
        "while True:\n    pass",
        "print('a fresh process replayed the cells before')\nprint(np.pi > 3)",
        "while True:\n    print('x' * 1000)",
        "blocks = []\nwhile True:\n    blocks.append(np.empty(10**7))",
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)",
        "open('big.bin', 'wb').write(b'0' * (8 * 2**20))",
        "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)",
        "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E()",
        "import os\nos._exit(3)",
        "def double(x):\n    return 2 * x",
        "#test\nimport numpy as np\nassert double(np.arange(3)).tolist() == [0, 2, 4]\nprint('test ran in the grader')",
    ]
    limits = Limits(cell_timeout=3, notebook_timeout=120, memory_bytes=2**30, max_file_bytes=2**20,
                    max_output_bytes=2**16)
    result = session.run_steps(_steps(cells), limits, ["numpy"], sandbox=sandboxed, scratch=tmp_path)
    got = [(o.status, o.ename) for o in result.outcomes]
    assert got == [("ok", ""), ("error", "ValueError"), ("timeout", ""), ("ok", ""),
                   ("output limit", ""), ("error", "MemoryError"), ("error", "ValueError"),
                   ("error", "OSError"), ("not responding", ""), ("error", "E"),
                   ("kernel died", ""), ("ok", ""), ("ok", "")]
    outcomes = result.outcomes
    assert outcomes[0].stdout == "hi\n"
    assert outcomes[3].stdout == "a fresh process replayed the cells before\nTrue\n"
    assert "File too large" in outcomes[7].evalue
    assert "str() of it raised RuntimeError" in outcomes[9].evalue
    assert outcomes[10].detail == "exit code 3"
    assert outcomes[12].stdout == "test ran in the grader\n"


def test_session_notebook_timeout(tmp_path):
    cells = ["import time\ntime.sleep(1.5)", "x = 0\nwhile True:\n    x += 1", "print('not reached')"]
    result = session.run_steps(_steps(cells), Limits(cell_timeout=5, notebook_timeout=2), sandbox=False,
                               scratch=tmp_path)
    assert [o.status for o in result.outcomes] == ["ok", "notebook timeout", "not run"]


# ---------------------------------------------------------------------------
# the fixture class, end to end (the slow tests)
# ---------------------------------------------------------------------------

def _tree_digest(root: Path) -> dict:
    return {str(p.relative_to(root)): (os.readlink(p) if p.is_symlink() else
                                       hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


def _runner_processes() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if sys.executable.encode() not in command:
                continue  # another checkout's test run on the same machine, not this one's
            if any(name in command for name in (b"lrcourse.classroom.runner", b"lrcourse.classroom.worker",
                                                b"lrcourse.classroom.zygote")):
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
    assert _runner_processes() == []
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
    assert _runner_processes() == []  # no learner process outlived grade


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
    assert _runner_processes() == []


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


def test_a_runner_that_cannot_start_is_a_grader_error_with_its_message(tmp_path, mini, monkeypatch):
    source, released = mini
    restored = restore(source, read_submission(learner_json(released)), released)
    real = session._session_config
    monkeypatch.setattr(session, "_session_config",
                        lambda *args: {key: value for key, value in real(*args).items() if key != "limits"})
    result = session.run_steps(restored.steps, Limits(startup_timeout=30), sandbox=False, scratch=tmp_path)
    assert not result.kernel_started
    parts = score.score_run(source, restored, result, Limits())
    assert {p.status for p in parts} == {"grader error"}
    assert parts[0].reason == ("the grading process did not start: the runner did not start "
                               "(exit code 1: KeyError: 'limits')")
