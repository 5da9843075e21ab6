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
run.  Each notebook runs top to bottom in a fresh kernel, in its own folder, exactly as
"Restart kernel and run all cells" would; a part counts as passed when its check
cell (an nbgrader grade cell) runs without an error.  The table shows, per
exercise, the parts passed and the points earned::

    exercise               parts    points
    01_gradient_descent    5/5      7/7
    02_stochastic_gd       1/4      3/9
    ...
    total                  6/9      10/16

Nothing is written back to your notebooks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from lrcourse import workspace

__all__ = [
    "PartResult",
    "ExerciseResult",
    "Progress",
    "default_exercises_dir",
    "find_exercise_notebooks",
    "run_exercise",
    "progress",
    "main",
]

#: set in the kernels that progress() starts, so a notebook that calls progress()
#: does not run the exercises again from inside the run
RUNNING_FLAG = "LRCOURSE_PROGRESS_RUNNING"
_NAME = re.compile(r"^\d\d_.+\.ipynb$")
_REPO_EXERCISES = Path(__file__).resolve().parent.parent / "exercises"  # the course's, unsolved

PASSED = "passed"
FAILED = "failed"
NOT_IMPLEMENTED = "not implemented"
ERROR = "error"
NOT_RUN = "not run"


@dataclass(frozen=True)
class PartResult:
    """One graded part of one notebook.

    ``status`` is ``"passed"``, ``"failed"`` (the check rejected the answer),
    ``"not implemented"``, ``"error"`` (another exception; ``detail`` names it) or
    ``"not run"`` (the run stopped before this cell; ``detail`` says why).
    """

    grade_id: str
    points: float
    status: str
    detail: str = ""

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
                         f"{_num(exercise.earned)}/{_num(exercise.points)}")
            if exercise.problem:
                lines.append(f"    {exercise.problem}")
            if parts:
                for part in exercise.parts:
                    mark = "✔" if part.passed else "✘"
                    status = part.status + (f" ({part.detail})" if part.detail else "")
                    label = part.grade_id.removeprefix("check_")
                    lines.append(f"    {mark} {label:<28}{_num(part.earned)}/{_num(part.points)}  {status}")
        lines.append(f"{'total':<{width}}{self.passed}/{self.parts:<7}{_num(self.earned)}/{_num(self.points)}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:  # a notebook cell ending in progress() shows the table
        return self.table()


def _num(value: float) -> str:
    return f"{value:g}"


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
    items = [paths_or_dir] if isinstance(paths_or_dir, (str, Path)) else list(paths_or_dir)
    found: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            found.extend(_notebooks_in(item))
        elif item.exists():
            if _is_exercise(item):
                found.append(item)
        else:
            raise FileNotFoundError(f"no such notebook or directory: {item}")
    return sorted(set(found), key=lambda p: (p.name, str(p)))


def _notebooks_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.ipynb") if _is_exercise(p))


def _nbgrader_metadata(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def _grade_cells(nb) -> list:
    return [cell for cell in nb.cells
            if cell.cell_type == "code" and _nbgrader_metadata(cell).get("grade")]


def _status(cell) -> tuple[str, str]:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        if cell.get("execution_count") is None:
            return NOT_RUN, ""
        return PASSED, ""
    error = errors[0]
    text = error.get("evalue", "") + "\n" + "\n".join(error.get("traceback", []))
    if error.get("ename") == "NotImplementedError" or "is not implemented yet" in text:
        return NOT_IMPLEMENTED, ""
    if error.get("ename") in ("CheckFailed", "AssertionError"):
        return FAILED, ""
    if error.get("ename") == "CellTimeoutError":
        return ERROR, "the cell did not finish in time"
    return ERROR, error.get("ename", "error")


def run_exercise(path: str | Path, *, timeout: float = 120) -> ExerciseResult:
    """Run one exercise notebook in a fresh kernel and grade its parts.

    ``timeout`` is the limit per cell in seconds; a cell past it is interrupted and
    the run goes on with the next cell.
    """
    # imported here, not at the top: importing nbformat can take seconds, and a
    # notebook that merely imports this module (or calls progress() inside a
    # progress run) should not pay for it
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    name = path.stem
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # not a notebook at all
        return ExerciseResult(name, (), problem=f"could not read the notebook: {error}")
    cells = _grade_cells(nb)
    problem = ""
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeoutError",
                          "evalue": f"the cell did not finish within {timeout:g} s"},
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    env = dict(os.environ, **{RUNNING_FLAG: "1"})
    try:
        client.execute(env=env, stderr=subprocess.DEVNULL)
    except Exception as error:  # a dead kernel, a kernel that would not start
        problem = f"the run stopped: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    parts = []
    for cell in cells:
        meta = _nbgrader_metadata(cell)
        status, detail = _status(cell)
        if status == NOT_RUN and problem:
            detail = "the run stopped before this cell"
        parts.append(PartResult(meta.get("grade_id", "?"), float(meta.get("points", 0)), status, detail))
    return ExerciseResult(name, tuple(parts), problem)


def progress(paths_or_dir: str | Path | Sequence[str | Path] | None = None, *,
             timeout: float = 120, verbose: bool = False) -> Progress:
    """Run the exercise notebooks and return the progress table.

    Parameters
    ----------
    paths_or_dir : path, or list of paths, optional
        Notebooks or directories; by default your ``exercises/`` folder (see
        :func:`find_exercise_notebooks`).
    timeout : float
        Seconds per cell before it is interrupted.
    verbose : bool
        Print each notebook's name as it starts (to stderr).

    Returns
    -------
    Progress
        Shows itself as the table; ``.exercises`` holds the per-part results.
    """
    if os.environ.get(RUNNING_FLAG):
        return Progress((), note="(progress() is skipped inside a notebook that progress() is running.)")
    notebooks = find_exercise_notebooks(paths_or_dir)
    if not notebooks:
        return Progress((), note="No exercise notebooks (NN_name.ipynb with graded cells) found; "
                                 "pass their folder, e.g. progress('my-work/exercises').")
    note = ""
    if paths_or_dir is None:
        folder = notebooks[0].parent
        note = f"(ran the saved notebooks in {folder})"
        if folder.resolve() == _REPO_EXERCISES.resolve():
            note += ("\n(these are the course's unsolved copies: `python3 course.py lab` makes "
                     "your own in my-work/exercises)")
    results = []
    for path in notebooks:
        if verbose:
            print(f"running {path.name} …", file=sys.stderr, flush=True)
        results.append(run_exercise(path, timeout=timeout))
    return Progress(tuple(results), note=note)


def main(argv: list[str] | None = None) -> int:
    """``lrcourse progress [notebooks or folders] [--parts] [--timeout S]``."""
    parser = argparse.ArgumentParser(
        prog="lrcourse progress",
        description="Run your exercise notebooks and show the parts passed and points per exercise.",
    )
    parser.add_argument("paths", nargs="*",
                        help="notebooks or folders (default: your my-work/exercises, see "
                             "lrcourse.progress.default_exercises_dir)")
    parser.add_argument("--parts", action="store_true", help="also list every part and its status")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per cell (default 120)")
    args = parser.parse_args(argv)
    try:
        result = progress(args.paths or None, timeout=args.timeout, verbose=True)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    print(result.table(parts=args.parts))
    return 0 if result.exercises else 1


if __name__ == "__main__":
    sys.exit(main())
