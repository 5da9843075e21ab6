"""Tests of the instructor's grading tools (lrcourse.classroom, lrcourse.cli).

Most tests are pure (no kernel) and take milliseconds.  These start kernels:

- ``test_execute_*``: the limits of one run, on small cell lists (~10 s);
- ``test_every_exercise_reaches_full_marks_with_its_reference_solutions``: one
  kernel per course exercise (~5-10 s);
- ``test_fixture_class_end_to_end`` (the slow one, ~30 s on 2 cores): grades the
  fixture class in ``tests/fixtures/class/`` and compares the CSV with the expected
  one exactly, then checks that the submissions are byte-for-byte unchanged and that
  nothing was written outside the grader's temporary and output folders.
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

from lrcourse import cli
from lrcourse.classroom import execute, integrity, report, score
from lrcourse.classroom.batch import ProgressBar, _run_worker, grade_class
from lrcourse.classroom.limits import Limits, format_size, parse_size
from lrcourse.classroom.restore import (
    ANSWER, LOCKED, TEST, InvalidNotebook, load_source, read_submission, restore,
)
from lrcourse.classroom.submissions import (
    discover_submissions, find_exercises, layout_flat_folder, split_flat_name,
)
from lrcourse.classroom.worker import grade_submission, preload_modules, released_cells
from lrcourse.notebook_format import new_code_cell, new_markdown_cell

FIXTURE = Path(__file__).parent / "fixtures" / "class"

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

def test_guard_reimports_the_sources_imports_from_fresh_grading_modules():
    imports = integrity.protected_imports([
        "from __future__ import annotations\nimport numpy as np\nx = 1",
        "from lrcourse.grading.ex01 import check_gd_step\ncheck_gd_step(gd_step)",
        "import numpy as np", "def broken(:"])
    assert imports == ["import numpy as np", "from lrcourse.grading.ex01 import check_gd_step"]
    assert preload_modules(imports) == ["numpy", "lrcourse.grading.ex01"]
    code = integrity.guard_code(imports)
    # run it in a separate interpreter: purging lrcourse.grading here would disturb other tests
    program = (
        "import sys, types, numpy\n"
        "import lrcourse.grading.ex01 as ex01\n"
        "real = ex01.check_gd_step\n"
        "ex01.check_gd_step = lambda f: print('fake pass')\n"
        "check_gd_step = ex01.check_gd_step\n"
        "np = types.SimpleNamespace(allclose=None)\n"
        + code +
        "assert check_gd_step is not real and check_gd_step.__module__ == 'lrcourse.grading.ex01'\n"
        "assert check_gd_step.__name__ == 'check_gd_step' and np is numpy\n"
        "assert sys.modules['lrcourse.grading.ex01'] is not ex01\n"
        "print('guard ok')\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=60)
    assert done.stdout == "guard ok\n", done.stderr


@pytest.mark.parametrize("answer, what", [
    ("np.allclose = lambda *a, **k: True", "assigns to np.allclose"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "assigns to numpy.testing.assert_allclose"),
    ("del np.isclose", "deletes np.isclose"),
    ("setattr(np, 'allclose', print)", "calls setattr on np"),
    ("from lrcourse.grading import ex01\nex01.check_gd_step = print", "assigns to ex01.check_gd_step"),
    ("check_gd_step.__code__ = (lambda f: None).__code__", "uses check_gd_step.__code__"),
    ("import builtins", "imports builtins"),
    ("__builtins__.print = None", "uses __builtins__"),
    ("import sys\nsys.modules['numpy'] = None", "uses sys.modules"),
    ("get_ipython().run_cell = None", "uses get_ipython"),
    ("import sys\nsys.settrace(None)", "uses sys.settrace"),
    ("np.__dict__['allclose'] = print", "assigns to np.__dict__['allclose']"),
    ("vars(np)['allclose'] = print", "patching through __dict__"),
    ("a, np.pi = 1, 3", "assigns to np.pi"),
    ("%%time\n!echo hi\nif True:\n    %time 1\n    np.allclose = print", "assigns to np.allclose"),
])
def test_tampering_is_found(answer, what):
    findings = integrity.find_tampering([("gd_step", answer)], ["import numpy as np\n"
                                                               "from lrcourse.grading.ex01 import check_gd_step"])
    assert any(what in finding.describe() for finding in findings), findings
    assert all(f.describe().startswith("answer cell 'gd_step' line ") for f in findings)


@pytest.mark.parametrize("answer", [
    "def gd_step(x, grad, lr):\n    return x - lr * grad",
    "x = np.zeros(3)\nx[0] = 1.0\nclass Opt:\n    def __init__(self):\n        self.lr = 0.1",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.dpi'] = 80\nnp.random.seed(0)",
    "def check_gd_step(f):\n    print('a learner redefining a check is handled by the guard, not flagged')",
    "def broken(:",
    "%timeit gd_step(1.0, 2.0, 0.1)\n!ls\nx = 1",
])
def test_ordinary_answers_are_not_flagged(answer):
    assert integrity.find_tampering([("a", answer)], ["import numpy as np"]) == []


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
    assert parts["test_square"].reason.startswith("not run: the Python kernel died while running the test")
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
# execute (starts kernels)
# ---------------------------------------------------------------------------

def test_execute_enforces_each_limit(tmp_path):
    cells = [
        "import numpy as np\nprint('hi')",
        "raise ValueError('bad')",
        "while True:\n    pass",
        "print('the kernel came back')",
        "while True:\n    print('x' * 1000)",
        "blocks = []\nwhile True:\n    blocks.append(np.empty(10**7))",
        "del blocks\nopen('../../around.txt', 'w').write('x')\nimport os\nprint(os.getcwd())",
        "open('big.bin', 'wb').write(b'0' * (8 * 2**20))",
        "import os\nos._exit(3)",
        "print('never')",
    ]
    limits = Limits(cell_timeout=3, notebook_timeout=60, memory_bytes=2**30, max_file_bytes=2**20)
    result = execute.run_cells(cells, limits, tmp_path / "run", preload=["numpy"])
    got = [(o.status, o.ename) for o in result.outcomes]
    assert got == [("ok", ""), ("error", "ValueError"), ("timeout", "KeyboardInterrupt"), ("ok", ""),
                   ("output limit", "KeyboardInterrupt"), ("error", "MemoryError"), ("ok", ""),
                   ("error", "OSError"), ("kernel died", ""), ("not run", "")]
    outcomes = result.outcomes
    assert outcomes[0].stdout == "hi\n" and outcomes[3].stdout == "the kernel came back\n"
    assert len(outcomes[4].stdout) <= execute.KEPT_TEXT  # the flood was not kept
    assert "File too large" in outcomes[7].evalue
    assert outcomes[8].detail == "exit code 3"
    assert outcomes[9].detail == "the kernel died in cell 8 (exit code 3)"
    workdir = Path(outcomes[6].stdout.strip())
    assert workdir == result.workdir and (workdir.parent.parent / "around.txt").exists()
    assert tmp_path / "run" in workdir.parents  # ../../ stayed inside the sandbox


def test_execute_notebook_timeout_and_an_unstoppable_cell(tmp_path):
    cells = ["import time\ntime.sleep(1.2)", "time.sleep(1.2)", "print('not reached')"]
    result = execute.run_cells(cells, Limits(cell_timeout=5, notebook_timeout=2), tmp_path / "a")
    assert [o.status for o in result.outcomes] == ["ok", "notebook timeout", "not run"]
    stubborn = ["import time\nwhile True:\n    try:\n        time.sleep(10)\n    except BaseException:\n        pass",
                "print('not reached')"]
    result = execute.run_cells(stubborn, Limits(cell_timeout=1, interrupt_grace=1), tmp_path / "b")
    assert [o.status for o in result.outcomes] == ["timeout", "not run"]
    assert result.outcomes[1].detail == "the kernel did not stop after cell 0 was interrupted (timeout)"


# ---------------------------------------------------------------------------
# the fixture class, end to end (starts one kernel per submission: the slow test)
# ---------------------------------------------------------------------------

def _tree_digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_fixture_class_end_to_end(tmp_path, monkeypatch):
    """Grade tests/fixtures/class/submissions; compare with expected_grades.csv exactly."""
    submissions = FIXTURE / "submissions"
    before = _tree_digest(FIXTURE)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the workers' sandboxes go here
    source_dir = Path(__file__).parent.parent / "exercises" / "source"  # the real exercise 01
    limits = Limits(**json.loads((FIXTURE / "limits.json").read_text()))
    out = tmp_path / "out"
    stream = io.StringIO()
    result = grade_class(submissions, source_dir, out, limits=limits, workers=os.cpu_count(), stream=stream)

    expected = (FIXTURE / "expected_grades.csv").read_text(encoding="utf-8")
    assert (out / "grades.csv").read_text(encoding="utf-8") == expected
    learners = sorted(p.name for p in submissions.iterdir() if p.is_dir())
    assert sorted({p.parent.name for p in (out / "feedback").rglob("*.md")}) == learners
    assert sorted(str(p.relative_to(out)) for p in out.iterdir()) == ["feedback", "grades.csv", "totals.csv"]
    graded = len(list(submissions.glob("*/01_gradient_descent.ipynb")))
    assert stream.getvalue().count("grading [") == graded == 16
    assert f"] {graded}/{graded} " in stream.getvalue().splitlines()[-1]
    assert _tree_digest(FIXTURE) == before  # submissions byte-for-byte unchanged, nothing added
    assert list(scratch.iterdir()) == []  # every sandbox removed, nothing written around it


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


def test_a_kernel_that_cannot_start_is_a_grader_error_with_its_message(tmp_path, mini):
    source, released = mini
    restored = restore(source, read_submission(learner_json(released)), released)
    # 300 MiB of address space is too little for a kernel with NumPy preloaded
    limits = Limits(memory_bytes=300 * 2**20, startup_timeout=30)
    result = execute.run_cells([s.source for s in restored.steps], limits, tmp_path / "run",
                               preload=["numpy", "sklearn", "matplotlib.pyplot", "scipy.linalg"])
    if result.kernel_started:
        pytest.skip("this machine starts a kernel in 300 MiB")
    parts = score.score_run(source, restored, result, limits)
    assert {p.status for p in parts} == {"grader error"}
    assert parts[0].reason.startswith("the grading kernel did not start: RuntimeError")
