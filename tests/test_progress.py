"""Progress: the learner's notebooks checked by grade's engine, tabulated as parts and points.

``progress`` runs each notebook through :func:`lrcourse.classroom.batch.grade_notebooks`
(restore against exercises/source, the learner's cells in a runner process, the checks
in the grader), so its statuses and points are ``grade``'s: the consistency tests
compare the two on the fixture class and on generated notebooks.
"""

import copy
import csv
import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from lrcourse import progress as progress_module
from lrcourse.classroom import score
from lrcourse.classroom.batch import grade_class
from lrcourse.classroom.limits import Limits
from lrcourse.notebook_format import (
    BEGIN_SOLUTION, END_SOLUTION, is_solution, make_student_notebook, new_code_cell,
)
from lrcourse.progress import (
    ExerciseResult, PartProgress, Progress, find_exercise_notebooks, main, progress,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "exercises" / "source"
FIXTURE = Path(__file__).parent / "fixtures" / "class"
EX01 = "01_gradient_descent"


def _write(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    nbformat.write(nb, path)


def _released(name):
    """(the learner's released notebook, grade_id → the source's solution code)."""
    source = nbformat.read(str(SOURCE_DIR / name / f"{name}.ipynb"), as_version=4)
    solutions = {cell.metadata["nbgrader"]["grade_id"]:
                 "\n".join(line for line in cell.source.split("\n")
                           if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))
                 for cell in source.cells if is_solution(cell)}
    return make_student_notebook(source, name=f"{name}.ipynb"), solutions


def _answered(name, answers):
    """The released notebook of ``name`` with these answer cells replaced."""
    nb, _ = _released(name)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _size(name: str) -> tuple[int, float]:
    """(parts, points) of an exercise, read from its source (they change as exercises grow)."""
    source = nbformat.read(ROOT / "exercises" / "source" / name / f"{name}.ipynb", as_version=4)
    graded = [c.metadata["nbgrader"] for c in source.cells
              if c.metadata.get("nbgrader", {}).get("grade")]
    return len(graded), sum(g["points"] for g in graded)


def _g(value: float) -> str:
    return f"{value:g}"


WRONG_GRADIENT_DESCENT = ("def gradient_descent(grad_fn, x0, lr, steps):\n"
                          "    return np.array([x0] * (steps + 1), dtype=float)\n")
NO_RECURSION = "\nfrom lrcourse.progress import progress\nassert 'skipped' in str(progress())\n"


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exercises")
    _, right = _released(EX01)
    nbformat.write(_answered(EX01, {
        "gd_step": right["gd_step"] + NO_RECURSION,           # passed, and progress() is skipped inside
        "gradient_descent": WRONG_GRADIENT_DESCENT,           # failed
        "largest_stable_lr": "1 / 0\n" + right["largest_stable_lr"],  # error
        "optimal_lr": "while True:\n    pass\n",              # timeout
        "contraction_rate": right["contraction_rate"],        # passed, after the timeout
    }), str(folder / f"{EX01}.ipynb"))
    (folder / "02_stochastic_gd.ipynb").write_text("{ not json", encoding="utf-8")
    _write(folder / "99_my_handout.ipynb", [new_code_cell("pass", "check_a", kind="grade", points=1)])
    (folder / "notes.ipynb").write_text("{}", encoding="utf-8")  # not an exercise name: ignored
    return folder, progress(folder, timeout=5)


def test_statuses_of_each_part(mixed_run):
    _, result = mixed_run
    mine, broken, handout = result.exercises
    assert [e.name for e in result.exercises] == [EX01, "02_stochastic_gd", "99_my_handout"]
    assert [(p.grade_id, p.status) for p in mine.parts] == [
        ("check_gd_step", "passed"),
        ("check_gradient_descent", "failed"),
        ("check_largest_stable_lr", "error"),
        ("check_optimal_lr", "timeout"),
        ("check_contraction_rate", "passed"),
        *[(grade_id, "not implemented") for grade_id in ("check_divergence_step", "check_four_runs")],
    ]
    assert mine.parts[2].detail == "answer cell 'largest_stable_lr' raised ZeroDivisionError: division by zero"
    assert mine.parts[1].detail == "" and "gradient_descent" in mine.parts[1].reason
    assert (mine.passed, mine.earned, mine.points) == (2, 3, _size(EX01)[1])
    assert {p.status for p in broken.parts} == {"invalid notebook"}
    assert len(broken.parts) == _size("02_stochastic_gd")[0]
    assert broken.problem.startswith("invalid notebook: not valid JSON")
    assert handout.parts == () and "no exercise named '99_my_handout'" in handout.problem


def test_the_table(mixed_run):
    _, result = mixed_run
    broken, handout = result.exercises[1:]
    parts, points = _size("02_stochastic_gd")
    parts01, points01 = _size(EX01)
    assert str(result).splitlines() == [
        "exercise             parts    points",
        f"01_gradient_descent  2/{parts01:<7}3/{_g(points01)}",
        f"02_stochastic_gd     0/{parts:<7}0/{_g(points)}",
        "    " + broken.problem,
        "99_my_handout        0/0      0/0",
        "    " + handout.problem,
        f"total                2/{parts01 + parts:<7}3/{_g(points01 + points)}",
    ]
    assert repr(result) == str(result)
    detailed = result.table(parts=True)
    assert "    ✔ gd_step                     1/1  passed" in detailed
    assert "    ✘ gradient_descent            0/2  failed\n" in detailed
    assert ("    ✘ largest_stable_lr           0/1  error (answer cell 'largest_stable_lr' raised "
            "ZeroDivisionError: division by zero)") in detailed
    assert "    ✘ optimal_lr                  0/1  timeout (answer cell 'optimal_lr' ran longer than" in detailed
    assert "    ✘ step_size_and_noise         0/1  invalid notebook\n" not in detailed  # whole-notebook: once


def test_the_learners_notebook_is_not_modified(mixed_run):
    folder, _ = mixed_run
    nb = nbformat.read(folder / f"{EX01}.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_main_prints_the_table_and_handles_bad_paths(tmp_path, capsys):
    (tmp_path / "03_momentum.ipynb").write_text("nope", encoding="utf-8")
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr()
    parts, points = _size("03_momentum")
    assert out.out.startswith(f"exercise     parts    points\n03_momentum  0/{parts:<7}0/{_g(points)}\n"
                              "    invalid notebook: not valid JSON"), out.out
    assert main([str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook or directory" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty)]) == 1
    assert "No exercise notebooks" in capsys.readouterr().out


def test_without_the_course_sources_each_exercise_says_so(tmp_path, monkeypatch):
    nbformat.write(_released(EX01)[0], str(tmp_path / f"{EX01}.ipynb"))
    monkeypatch.setattr(progress_module, "default_source_dir", lambda: None)
    result = progress(tmp_path)
    assert result.exercises[0].parts == ()
    assert "the course's source exercises (exercises/source) were not found" in str(result)


def test_without_bubblewrap_progress_runs_silently_without_the_sandbox(tmp_path, monkeypatch, capsys):
    from lrcourse.classroom import batch

    shutil.copy(ROOT / "exercises" / f"{EX01}.ipynb", tmp_path)
    monkeypatch.setattr(batch, "sandbox_available", lambda: (False, "bwrap is not installed"))
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr()
    parts, points = _size(EX01)
    assert out.out.splitlines()[1].split() == [EX01, f"0/{parts}", f"0/{_g(points)}"]
    assert "sandbox" not in out.out + out.err and "bwrap" not in out.out + out.err


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
    for name in (EX01, "02_stochastic_gd"):
        shutil.copy(ROOT / "exercises" / f"{name}.ipynb", mine)
    monkeypatch.setattr(progress_module.workspace, "exercises_dir", lambda: mine)
    for where in (course, course / "exercises", course / "notebooks", mine):
        monkeypatch.chdir(where)
        assert find_exercise_notebooks() == [mine / f"{EX01}.ipynb", mine / "02_stochastic_gd.ipynb"]
    result = progress()
    parts, points = _size("02_stochastic_gd")
    parts01, points01 = _size(EX01)
    assert (result.passed, result.parts, result.points) == (0, parts01 + parts, points01 + points)
    assert {p.status for e in result.exercises for p in e.parts} == {"not implemented"}
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
        ExerciseResult("01_a", (PartProgress("check_x", 2, "passed"), PartProgress("check_y", 1, "failed"))),
        ExerciseResult("02_b", (PartProgress("check_z", 1.5, "passed"),)),
    ))
    assert (result.passed, result.parts, result.earned, result.points) == (2, 3, 3.5, 4.5)
    assert result.table().splitlines()[-1] == "total     2/3      3.5/4.5"


def test_one_status_vocabulary():
    assert (progress_module.PASSED, progress_module.FAILED, progress_module.NOT_IMPLEMENTED,
            progress_module.ERROR, progress_module.NOT_RUN) == \
        (score.PASSED, score.FAILED, score.NOT_IMPLEMENTED, score.ERROR, score.NOT_RUN)


# ---------------------------------------------------------------------------
# progress and grade agree
# ---------------------------------------------------------------------------

def _rows(grades_csv: str) -> dict:
    """(learner, exercise) → [(part, status, points, max_points)] from a grades.csv."""
    rows: dict = {}
    for row in csv.DictReader(io.StringIO(grades_csv)):
        rows.setdefault((row["learner"], row["exercise"]), []).append(
            (row["part"], row["status"], float(row["points"]), float(row["max_points"])))
    return rows


def _as_rows(exercise: ExerciseResult) -> list:
    return [(p.grade_id, p.status, p.earned, p.points) for p in exercise.parts]


def test_progress_agrees_with_grade_on_the_fixture_class():
    """Every ordinary fixture learner's notebook: progress gives grade's statuses and points."""
    expected = _rows((FIXTURE / "expected_grades.csv").read_text(encoding="utf-8"))
    learners = sorted(learner for learner, exercise in expected
                      if exercise == EX01 and (FIXTURE / "submissions" / learner / f"{EX01}.ipynb").is_file()
                      and not (FIXTURE / "submissions" / learner / f"{EX01}.ipynb").is_symlink()
                      and not learner.startswith(("atk_", "lnk_")) and learner.isidentifier())
    assert len(learners) >= 14, learners
    limits = Limits(**json.loads((FIXTURE / "limits.json").read_text()))
    results = progress_module.run_exercises(
        [FIXTURE / "submissions" / learner / f"{EX01}.ipynb" for learner in learners], limits=limits)
    disagree = {learner: (_as_rows(result), expected[(learner, EX01)])
                for learner, result in zip(learners, results)
                if _as_rows(result) != expected[(learner, EX01)]}
    assert disagree == {}
    statuses = {p.status for result in results for p in result.parts}
    assert {"passed", "failed", "not implemented", "invalid notebook", "missing answer", "timeout",
            "kernel died", "memory limit", "output limit", "not responding"} <= statuses


def test_progress_agrees_with_grade_on_generated_notebooks(tmp_path):
    """Unsolved, partly solved, solved and wrong notebooks of two exercises: the same rows.

    progress runs them without the sandbox, grade with it where it is available: the
    verdict does not depend on it."""
    notebooks = {}
    for name in (EX01, "04_schedules"):
        released, right = _released(name)
        ids = list(right)
        notebooks[("unsolved", name)] = released
        notebooks[("partly", name)] = _answered(name, {i: right[i] for i in ids[::2]})
        notebooks[("solved", name)] = _answered(name, right)
        notebooks[("wrong", name)] = _answered(name, {**right, ids[0]: right[ids[0]].replace("return ", "return 2 * ", 1)})
    submissions = tmp_path / "submissions"
    for (learner, name), nb in notebooks.items():
        (submissions / learner).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(submissions / learner / f"{name}.ipynb"))
    graded = grade_class(submissions, SOURCE_DIR, tmp_path / "out", progress=False)
    expected = _rows((tmp_path / "out" / "grades.csv").read_text(encoding="utf-8"))
    keys = sorted(notebooks)
    results = progress_module.run_exercises([submissions / learner / f"{name}.ipynb" for learner, name in keys],
                                            sandbox="off")
    assert {key: _as_rows(result) for key, result in zip(keys, results)} == {key: expected[key] for key in keys}
    by_learner = {learner: sum(g.points for g in graded.grades if g.learner == learner)
                  for learner in ("unsolved", "partly", "solved", "wrong")}
    assert (by_learner["unsolved"] == 0 < by_learner["partly"] < by_learner["wrong"] < by_learner["solved"]
            == _size(EX01)[1] + _size("04_schedules")[1])
