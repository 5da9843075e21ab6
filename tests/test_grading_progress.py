"""Progress: running the learner's notebooks and tabulating parts and points."""

import nbformat
import pytest

from lrcourse import progress as progress_module
from lrcourse.notebook_format import new_code_cell
from lrcourse.progress import (
    ExerciseResult, PartResult, Progress, find_exercise_notebooks, main, progress,
)


def _write(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exercises")
    _write(folder / "01_mini.ipynb", [
        new_code_cell("x = 1", "setup", kind="locked"),
        new_code_cell("assert x == 1\nprint('✔ pass — correct: 2/2 points')", "check_pass", kind="grade", points=2),
        new_code_cell("from lrcourse.grading import CheckFailed\nraise CheckFailed('✘ nope')",
                      "check_fail", kind="grade", points=1),
        new_code_cell("raise NotImplementedError()", "check_stub", kind="grade", points=1),
        new_code_cell("1 / 0", "check_error", kind="grade", points=1),
        new_code_cell("from lrcourse.progress import progress\nassert 'skipped' in str(progress())",
                      "check_no_recursion", kind="grade", points=3),
        new_code_cell("def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\nwhile True:\n    pass",
                      "f", kind="solution"),
        new_code_cell("assert x == 1", "check_after_timeout", kind="grade", points=1),
    ])
    (folder / "02_broken.ipynb").write_text("{ not json", encoding="utf-8")
    (folder / "notes.ipynb").write_text("{}", encoding="utf-8")  # not an exercise name: ignored
    return folder, progress(folder, timeout=5)


def test_statuses_of_each_part(mixed_run):
    _, result = mixed_run
    mini, broken = result.exercises
    assert mini.name == "01_mini" and broken.name == "02_broken"
    assert [(p.grade_id, p.status) for p in mini.parts] == [
        ("check_pass", "passed"),
        ("check_fail", "failed"),
        ("check_stub", "not implemented"),
        ("check_error", "error"),
        ("check_no_recursion", "passed"),
        ("check_after_timeout", "passed"),
    ]
    assert mini.parts[3].detail == "ZeroDivisionError"
    assert (mini.passed, mini.earned, mini.points) == (3, 6, 9)
    assert broken.parts == () and "could not read the notebook" in broken.problem


def test_the_table(mixed_run):
    _, result = mixed_run
    assert str(result).splitlines() == [
        "exercise   parts    points",
        "01_mini    3/6      6/9",
        "02_broken  0/0      0/0",
        "    could not read the notebook: " + result.exercises[1].problem.split(": ", 1)[1],
        "total      3/6      6/9",
    ]
    assert repr(result) == str(result)
    detailed = result.table(parts=True)
    assert "    ✔ pass                        2/2  passed" in detailed
    assert "    ✘ error                       0/1  error (ZeroDivisionError)" in detailed


def test_the_learners_notebook_is_not_modified(mixed_run):
    folder, _ = mixed_run
    nb = nbformat.read(folder / "01_mini.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_main_prints_the_table_and_handles_bad_paths(tmp_path, capsys):
    (tmp_path / "03_bad.ipynb").write_text("nope", encoding="utf-8")
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("exercise  parts    points\n03_bad    0/0      0/0\n")
    assert "running 03_bad.ipynb" in out.err
    assert main([str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook or directory" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty)]) == 1
    assert "No exercise notebooks" in capsys.readouterr().out


def _exercise(path):
    _write(path, [new_code_cell("pass", "check_a", kind="grade", points=1)])


def _lesson(path):
    _write(path, [nbformat.v4.new_code_cell("raise SystemExit('a lesson must never be run by progress')")])


@pytest.fixture()
def course(tmp_path):
    """A course folder: a lesson in notebooks/, an exercise in exercises/."""
    (tmp_path / "exercises").mkdir()
    (tmp_path / "notebooks").mkdir()
    _exercise(tmp_path / "exercises" / "01_a.ipynb")
    _lesson(tmp_path / "notebooks" / "01_a.ipynb")
    _lesson(tmp_path / "exercises" / "00_lesson_in_the_wrong_place.ipynb")
    return tmp_path


def test_without_a_workspace_the_default_is_found_from_the_root_exercises_and_notebooks(course, monkeypatch):
    monkeypatch.setattr(progress_module.workspace, "exercises_dir", lambda: None)
    for where in (course, course / "exercises", course / "notebooks"):
        monkeypatch.chdir(where)
        assert [p.name for p in find_exercise_notebooks()] == ["01_a.ipynb"]


def test_with_a_workspace_every_place_reads_the_learners_copies(course, tmp_path_factory, monkeypatch):
    mine = tmp_path_factory.mktemp("my-work") / "exercises"
    mine.mkdir()
    _exercise(mine / "01_a.ipynb")
    _exercise(mine / "02_b.ipynb")
    monkeypatch.setattr(progress_module.workspace, "exercises_dir", lambda: mine)
    for where in (course, course / "exercises", course / "notebooks", mine):
        monkeypatch.chdir(where)
        assert find_exercise_notebooks() == [mine / "01_a.ipynb", mine / "02_b.ipynb"]
    result = progress(timeout=30)
    assert (result.passed, result.parts) == (2, 2)
    assert f"(ran the saved notebooks in {mine})" in str(result)


def test_lessons_are_never_run_even_when_named(course):
    lessons = [course / "notebooks" / "01_a.ipynb", course / "exercises" / "00_lesson_in_the_wrong_place.ipynb"]
    assert find_exercise_notebooks(course / "notebooks") == []
    assert find_exercise_notebooks(lessons) == []
    result = progress(lessons)
    assert result.exercises == () and "No exercise notebooks" in str(result)


def test_progress_does_not_recurse_inside_its_own_run(monkeypatch):
    monkeypatch.setenv(progress_module.RUNNING_FLAG, "1")
    assert "skipped" in str(progress())


def test_totals_over_exercises():
    result = Progress((
        ExerciseResult("01_a", (PartResult("check_x", 2, "passed"), PartResult("check_y", 1, "failed"))),
        ExerciseResult("02_b", (PartResult("check_z", 1.5, "passed"),)),
    ))
    assert (result.passed, result.parts, result.earned, result.points) == (2, 3, 3.5, 4.5)
    assert result.table().splitlines()[-1] == "total     2/3      3.5/4.5"
