"""Your progress: run your own exercise notebooks and count the parts that pass.

From a terminal (the ``lrcourse`` command; in any shell, in the course folder,
``python3 course.py progress`` does the same)::

    lrcourse progress                     # every exercise notebook in my-work/exercises
    lrcourse progress my-work/exercises/01_gradient_descent.ipynb --parts

From a notebook (save your exercise notebooks first: the saved files are run)::

    from lrcourse.progress import progress
    progress()

With no path it runs your own copies in ``my-work/exercises`` (made by
``python3 course.py lab``), wherever it is called from, so the terminal, a
notebook cell and ``course.py`` give the same numbers; lesson notebooks are never
run.  Each notebook is checked exactly as the instructor's ``lrcourse grade`` checks
it (:func:`lrcourse.classroom.batch.grade_notebooks`, the same engine): your answer
cells are put back into the course's own copy of the exercise
(``exercises/source/<name>/<name>.ipynb``), run top to bottom in a fresh Python
process (in a bubblewrap sandbox where one can start, otherwise without one), and
every part's check is run on your functions.  A part counts as passed when its
check accepts your answer; the statuses are ``grade``'s
(:mod:`lrcourse.classroom.score`), so the two can never disagree.  The table
shows, per exercise, the parts passed and the points earned::

    exercise               parts    points
    01_gradient_descent    5/5      7/7
    02_stochastic_gd       1/4      3/9
    ...
    total                  6/9      10/16

Nothing is written back to your notebooks.

**In the browser** (the course's web site, where Python is Pyodide: no subprocesses,
no sandbox, and your notebooks live in the browser's storage, which the kernel sees
under ``/drive``), ``progress()`` reads your saved exercise notebooks there and counts
each check as its cell's saved output shows it: passed (the ✔ line), failed or not
implemented (its ✘ message), another error, or not run.  Run the check cells and save
(Ctrl+S) to update it; :func:`saved_results` does this for one notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from lrcourse import _validation as check
from lrcourse import workspace
from lrcourse.classroom import score
from lrcourse.grading.core import format_points
from lrcourse.notebook_json import PATH
# the statuses are grade's: one vocabulary (see lrcourse.classroom.score)
from lrcourse.classroom.score import (  # noqa: F401 — re-exported for learners' code
    ERROR, FAILED, GRADER_ERROR, INVALID_NOTEBOOK, NOT_IMPLEMENTED, NOT_RUN, PASSED, REFUSED,
    UNKNOWN_EXERCISE,
)

__all__ = [
    "PartProgress",
    "ExerciseResult",
    "Progress",
    "default_exercises_dir",
    "default_source_dir",
    "find_exercise_notebooks",
    "run_exercise",
    "saved_results",
    "progress",
    "main",
]

#: Python compiled to WebAssembly (Pyodide, the course's web site): no processes to start,
#: so progress reads the checks' saved results instead of running the notebooks
IN_BROWSER = sys.platform == "emscripten"
#: what a check prints when it passes (see lrcourse.grading.core.pass_line)
_PASS_MARK = "✔"
#: set in the kernels that progress() starts, so a notebook that calls progress()
#: does not run the exercises again from inside the run
RUNNING_FLAG = "LRCOURSE_PROGRESS_RUNNING"
_NAME = re.compile(r"^\d\d_.+\.ipynb$")
_REPO_EXERCISES = Path(__file__).resolve().parent.parent / "exercises"  # the course's, unsolved
#: statuses that concern the whole notebook: shown once under its row, not per part
_WHOLE = frozenset({INVALID_NOTEBOOK, REFUSED, GRADER_ERROR, UNKNOWN_EXERCISE})
#: statuses whose reason the table leaves out (the check's own message is in your notebook)
_NO_DETAIL = frozenset({PASSED, FAILED, NOT_IMPLEMENTED})


@dataclass(frozen=True)
class PartProgress:
    """One graded part of one notebook.

    ``status`` is one of ``grade``'s statuses (:data:`lrcourse.classroom.score.STATUSES`):
    ``"passed"``, ``"failed"`` (the check rejected the answer), ``"not implemented"``,
    ``"error"`` (another exception), ``"timeout"``, ``"kernel died"``, ``"missing
    answer"``, ``"not run"``, ...; ``detail`` is the short reason the table shows,
    ``reason`` grade's full one-line reason (for ``"failed"``, the check's message).
    """

    grade_id: str
    points: float
    status: str
    detail: str = ""
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def earned(self) -> float:
        return self.points if self.passed else 0


@dataclass(frozen=True)
class ExerciseResult:
    """The graded parts of one exercise notebook."""

    name: str
    parts: tuple
    problem: str = ""  # the notebook could not be read or run at all

    @property
    def passed(self) -> int:
        return sum(part.passed for part in self.parts)

    @property
    def earned(self) -> float:
        return sum(part.earned for part in self.parts)

    @property
    def points(self) -> float:
        return sum(part.points for part in self.parts)


@dataclass(frozen=True)
class Progress:
    """Results for several exercises; shows itself as a table."""

    exercises: tuple
    note: str = ""

    @property
    def passed(self) -> int:
        return sum(e.passed for e in self.exercises)

    @property
    def parts(self) -> int:
        return sum(len(e.parts) for e in self.exercises)

    @property
    def earned(self) -> float:
        return sum(e.earned for e in self.exercises)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    def table(self, *, parts: bool = False) -> str:
        """The progress table; with ``parts=True`` one line per part under each exercise."""
        if not self.exercises:
            return self.note or "No exercise notebooks found."
        width = max(len("exercise"), len("total"), *(len(e.name) for e in self.exercises)) + 2
        lines = [f"{'exercise':<{width}}{'parts':<9}points"]
        for exercise in self.exercises:
            lines.append(f"{exercise.name:<{width}}{exercise.passed}/{len(exercise.parts):<7}"
                         f"{_score(exercise.earned, exercise.points)}")
            if exercise.problem:
                lines.append(f"    {exercise.problem}")
            if parts:
                for part in exercise.parts:
                    mark = "✔" if part.passed else "✘"
                    status = part.status + (f" ({part.detail})" if part.detail else "")
                    label = part.grade_id.removeprefix("check_")
                    lines.append(f"    {mark} {label:<28}{_score(part.earned, part.points)}  {status}")
        lines.append(f"{'total':<{width}}{self.passed}/{self.parts:<7}{_score(self.earned, self.points)}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:  # a notebook cell ending in progress() shows the table
        return self.table()


def _score(earned: float, points: float) -> str:
    """``1.5/2``: points earned out of the points available."""
    return f"{format_points(earned)}/{format_points(points)}"


# ---------------------------------------------------------------------------
# Finding and running the notebooks
# ---------------------------------------------------------------------------

def _is_exercise(path: Path) -> bool:
    """``NN_name.ipynb`` with at least one graded cell (a lesson has none).

    A file that is not readable JSON counts, so that its row says what is wrong."""
    if not _NAME.match(path.name) or ".ipynb_checkpoints" in path.parts:
        return False
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return True
    return any(isinstance(cell, dict) and dict(cell.get("metadata") or {}).get("nbgrader", {}).get("grade")
               for cell in cells)


def default_exercises_dir() -> Path | None:
    """Where ``progress()`` looks when given no path: the same folder from anywhere.

    1. ``my-work/exercises`` of the course, the learner's own copies that
       ``python3 course.py lab`` makes (:mod:`lrcourse.workspace`);
    2. otherwise (lrcourse installed on its own) the first of ``./exercises``, ``.``
       and ``../exercises`` that holds exercise notebooks;
    3. otherwise the course's own, unsolved ``exercises/``.
    """
    mine = workspace.exercises_dir()
    if mine is not None:
        return mine
    cwd = Path.cwd()
    for candidate in (cwd / "exercises", cwd, cwd.parent / "exercises"):
        if candidate.is_dir() and _notebooks_in(candidate):
            return candidate
    return _REPO_EXERCISES if _REPO_EXERCISES.is_dir() else None


def find_exercise_notebooks(paths_or_dir: str | Path | Iterable[str | Path] | None = None) -> list[Path]:
    """The exercise notebooks (``NN_name.ipynb`` with graded cells), sorted by name.

    ``paths_or_dir`` is a notebook, a directory, or a list of either; by default
    :func:`default_exercises_dir`.  Lesson notebooks (no graded cells) are left out:
    progress never runs a lesson.
    """
    if paths_or_dir is None:
        folder = default_exercises_dir()
        return _notebooks_in(folder) if folder is not None else []
    found: list[Path] = []
    for item in _paths("paths_or_dir", paths_or_dir):
        if item.is_dir():
            found.extend(_notebooks_in(item))
        elif item.exists():
            if _is_exercise(item):
                found.append(item)
        else:
            raise FileNotFoundError(f"no such notebook or directory: {item}")
    return sorted(set(found), key=lambda p: (p.name, str(p)))


def _paths(name: str, value) -> list[Path]:
    """A path, or a list (or tuple) of paths, as a list of :class:`Path`."""
    if isinstance(value, (list, tuple)):
        return [PATH(f"{name}[{index}]", item) for index, item in enumerate(value)]
    if not PATH.accepts(value):
        check.fail(name, "a path (a string or a pathlib.Path) or a list of paths", value,
                   error=PATH.error(value))
    return [Path(value)]


def _notebooks_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.ipynb") if _is_exercise(p))


def default_source_dir() -> Path | None:
    """The course's source exercises (``exercises/source``) the notebooks are checked against.

    That of the course ``lrcourse`` belongs to (:func:`lrcourse.workspace.course_root`,
    or ``$LRCOURSE_COURSE_ROOT``), else :data:`lrcourse.notebook_format.DEFAULT_SOURCE_DIR`;
    None if neither exists (lrcourse installed without the course).
    """
    from lrcourse import notebook_format  # imports nbformat: only when notebooks are run

    root = workspace.course_root()
    candidates = ([root / "exercises" / "source"] if root is not None else []) + \
        [Path(notebook_format.DEFAULT_SOURCE_DIR)]
    return next((folder for folder in candidates if folder.is_dir()), None)


def _detail(part: score.PartResult) -> str:
    if part.status in _NO_DETAIL or not part.reason:
        return ""
    return score.one_line(part.reason, 100)


def _exercise_result(grade) -> ExerciseResult:
    """A graded notebook (:class:`lrcourse.classroom.report.SubmissionGrade`) as progress shows it."""
    parts = grade.parts
    if parts and parts[0].status == UNKNOWN_EXERCISE:
        return ExerciseResult(grade.exercise, (), problem=(
            f"not checked: the course has no exercise named {grade.exercise!r} "
            "(progress checks the course's exercises, exercises/source/<name>/<name>.ipynb, "
            "under their own names)"))
    problem = ""
    if parts and all(part.status in _WHOLE and part.status == parts[0].status for part in parts):
        problem = parts[0].reason
        results = tuple(PartProgress(part.part, part.max_points, part.status, "", part.reason) for part in parts)
    else:
        results = tuple(PartProgress(part.part, part.max_points, part.status, _detail(part), part.reason)
                        for part in parts)
    return ExerciseResult(grade.exercise, results, problem)


@contextlib.contextmanager
def _running_flag():
    """Mark this process (and so every process the run starts) as inside a progress run."""
    before = os.environ.get(RUNNING_FLAG)
    os.environ[RUNNING_FLAG] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RUNNING_FLAG, None)
        else:
            os.environ[RUNNING_FLAG] = before


def run_exercises(paths: Sequence[str | Path], *, timeout: float | None = None, limits=None,
                  sandbox: str = "auto", workers: int | None = None,
                  verbose: bool = False) -> list[ExerciseResult]:
    """Check exercise notebooks as ``lrcourse grade`` does; one result per path, in order.

    Each notebook is restored against its source exercise (:func:`default_source_dir`)
    and graded by :func:`lrcourse.classroom.batch.grade_notebooks`.

    Parameters
    ----------
    timeout : float, optional
        Seconds one cell may run (default: ``grade``'s, 60).
    limits : lrcourse.classroom.limits.Limits, optional
        All of ``grade``'s limits at once (``timeout`` overrides its ``cell_timeout``).
    sandbox : {"auto", "off", "require"}
        Run your cells in a bubblewrap sandbox when one starts here (``auto``:
        otherwise, silently, without one).
    workers : int, optional
        Notebooks checked at once (default: the number of CPU cores).
    verbose : bool
        A progress bar on stderr.
    """
    paths = _paths("paths", paths)
    settings = _run_settings(timeout, limits, sandbox, workers, verbose)
    source_dir = default_source_dir()
    if source_dir is None:
        return [ExerciseResult(path.stem, (), problem=(
            "not checked: the course's source exercises (exercises/source) were not found; "
            "run progress from the course's folder")) for path in paths]
    # imported here: the engine's modules are only needed when notebooks are run
    from lrcourse.classroom.batch import grade_notebooks

    with _running_flag():
        batch = grade_notebooks(paths, source_dir, stream=sys.stderr, **settings)
    return [_exercise_result(grade) for grade in batch.grades]


def _run_settings(timeout, limits, sandbox, workers, verbose) -> dict:
    """:func:`run_exercises`' options checked, as ``grade_notebooks``' keyword arguments."""
    from lrcourse.classroom.limits import SANDBOX_MODES, Limits, limits_or_default

    limits = limits_or_default("limits", limits)
    if timeout is not None:
        limits = Limits(**{**limits.as_dict(), "cell_timeout": check.positive("timeout", timeout)})
    return {"limits": limits, "sandbox": SANDBOX_MODES("sandbox", sandbox),
            "workers": None if workers is None else check.positive_int("workers", workers),
            "progress": check.boolean("verbose", verbose)}


def saved_results(path: str | Path) -> ExerciseResult:
    """One exercise notebook's parts as its check cells' saved outputs show them.

    What progress shows in the browser, where notebooks cannot be run in another
    process: a check cell whose saved output is its ✔ line (or that ran without an
    error) passed; one whose output is the check's ✘ message failed (``"not
    implemented"`` when the message says so); another exception is an ``"error"``;
    a cell without a saved run is ``"not run"``.  Points are the cells' nbgrader points.
    """
    path = PATH("path", path)
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        graded = [cell for cell in cells if cell.get("cell_type") == "code"
                  and dict(cell.get("metadata") or {}).get("nbgrader", {}).get("grade")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return ExerciseResult(path.stem, (), problem=f"not read: {path.name} is not a readable notebook "
                                                     f"({type(error).__name__}: {error})")
    parts = []
    for cell in graded:
        nbgrader = cell["metadata"]["nbgrader"]
        status, detail, reason = _saved_status(cell)
        parts.append(PartProgress(str(nbgrader.get("grade_id", "?")), float(nbgrader.get("points", 0) or 0),
                                status, detail, reason))
    return ExerciseResult(path.stem, tuple(parts))


def _saved_status(cell: dict) -> tuple[str, str, str]:
    """(status, detail, reason) of one check cell from its saved outputs."""
    outputs = [o for o in cell.get("outputs") or [] if isinstance(o, dict)]
    for output in outputs:
        if output.get("output_type") == "error":
            name, value = _exception_name(output.get("ename")), str(output.get("evalue", "")).strip()
            if name == "CheckFailed":
                status = NOT_IMPLEMENTED if "not implemented yet" in value else FAILED
                return status, "", value
            first = value.splitlines()[0] if value else ""
            return ERROR, score.one_line(f"{name}: {first}" if first else name, 100), f"{name}: {value}"
    printed = "".join(_text(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
    if _PASS_MARK in printed or cell.get("execution_count"):
        return PASSED, "", printed.strip()
    return NOT_RUN, "", "the check cell has no saved run"


def _exception_name(ename) -> str:
    """``CheckFailed`` from IPython's ``"CheckFailed"`` or Pyodide's kernel's
    ``"<class 'lrcourse.grading.core.CheckFailed'>"``."""
    name = str(ename or "")
    match = re.fullmatch(r"<class '([\w.]+)'>", name)
    return match.group(1).rsplit(".", 1)[-1] if match else name


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def run_exercise(path: str | Path, *, timeout: float | None = None, limits=None, sandbox: str = "auto",
                 workers: int | None = None, verbose: bool = False) -> ExerciseResult:
    """Check one exercise notebook (see :func:`run_exercises`)."""
    return run_exercises([PATH("path", path)], timeout=timeout, limits=limits, sandbox=sandbox,
                         workers=workers, verbose=verbose)[0]


def progress(paths_or_dir: str | Path | Sequence[str | Path] | None = None, *,
             timeout: float | None = None, verbose: bool = False, limits=None, sandbox: str = "auto",
             workers: int | None = None) -> Progress:
    """Run the exercise notebooks and return the progress table.

    On the desktop each saved exercise notebook runs from the top in a fresh runner
    (``grade``'s engine).  In the browser (the course's JupyterLite site, where there
    are no subprocesses) nothing runs: the table counts the results the check cells
    saved in each notebook the last time they were run, so run them and save first;
    a check never run reads "not run".

    Parameters
    ----------
    paths_or_dir : path, or list of paths, optional
        Notebooks or directories; by default your ``exercises/`` folder (see
        :func:`find_exercise_notebooks`).
    timeout : float, optional
        Seconds per cell before it is stopped (default: ``grade``'s, 60).
    verbose : bool
        Show a progress bar (on stderr).
    limits, sandbox, workers
        See :func:`run_exercises`.

    Returns
    -------
    Progress
        Shows itself as the table; ``.exercises`` holds the per-part results.
    """
    options = {"timeout": timeout, "limits": limits, "sandbox": sandbox, "workers": workers,
               "verbose": verbose}
    _run_settings(**options)  # checked even when nothing is run
    if paths_or_dir is not None:
        _paths("paths_or_dir", paths_or_dir)
    if os.environ.get(RUNNING_FLAG):
        return Progress((), note="(progress() is skipped inside a notebook that progress() is running.)")
    notebooks = find_exercise_notebooks(paths_or_dir)
    if not notebooks:
        return Progress((), note="No exercise notebooks (NN_name.ipynb with graded cells) found; "
                                 "pass their folder, e.g. progress('my-work/exercises').")
    if IN_BROWSER:
        return Progress(tuple(saved_results(path) for path in notebooks), note=(
            f"(the checks' results saved in your notebooks in this browser, {notebooks[0].parent}: "
            "run an exercise's check cells and save it to update them)"))
    note = ""
    if paths_or_dir is None:
        folder = notebooks[0].parent
        note = f"(ran the saved notebooks in {folder})"
        if folder.resolve() == _REPO_EXERCISES.resolve():
            note += ("\n(these are the course's unsolved copies: `python3 course.py lab` makes "
                     "your own in my-work/exercises)")
    results = run_exercises(notebooks, **options)
    return Progress(tuple(results), note=note)


def main(argv: list[str] | None = None) -> int:
    """``lrcourse progress [notebooks or folders] [--parts] [--timeout S]``."""
    argv = None if argv is None else check.ListOf(check.text)("argv", argv)
    parser = argparse.ArgumentParser(
        prog="lrcourse progress",
        description="Run your exercise notebooks as `lrcourse grade` does and show the parts "
                    "passed and points per exercise.",
    )
    parser.add_argument("paths", nargs="*",
                        help="notebooks or folders (default: your my-work/exercises, see "
                             "lrcourse.progress.default_exercises_dir)")
    parser.add_argument("--parts", action="store_true", help="also list every part and its status")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per cell (default: lrcourse grade's, 60)")
    args = parser.parse_args(argv)
    try:
        result = progress(args.paths or None, timeout=args.timeout, verbose=True)
    except (FileNotFoundError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    print(result.table(parts=args.parts))
    return 0 if result.exercises else 1


if __name__ == "__main__":
    sys.exit(main())
