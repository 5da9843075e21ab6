"""Find the source exercises and a class's submissions; lay out a flat folder.

Submissions use nbgrader's layout, one folder per learner::

    submissions/
        alice/01_gradient_descent.ipynb
        bob/01_gradient_descent.ipynb
        carol/01_gradient_descent/01_gradient_descent.ipynb   # nbgrader's own nesting

A notebook belongs to the exercise whose name is its file name (without
``.ipynb``).  The learner's id is the folder name.  Hidden files and folders and
``.ipynb_checkpoints`` are ignored.

A flat folder of collected files (what most learning platforms export) is turned
into that layout by :func:`layout_flat_folder`, with this naming rule:
``<learner>_<exercise>.ipynb`` (or ``<learner>-<exercise>.ipynb``), where
``<exercise>`` is the full name of a source exercise (``01_gradient_descent``) and
``<learner>`` is everything before it (it may contain ``_`` or ``-`` itself).
Files are copied, never moved; files that fit no exercise are listed, not guessed.
"""

from __future__ import annotations

import filecmp
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lrcourse import _validation as check

__all__ = [
    "Submission",
    "find_exercises",
    "discover_submissions",
    "LayoutReport",
    "split_flat_name",
    "layout_flat_folder",
]


@dataclass(frozen=True, order=True)
class Submission:
    """One learner's notebook for one exercise (``exercise`` is the file's stem)."""

    learner: str
    exercise: str
    path: Path


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name != "__pycache__"


def find_exercises(source_dir: str | Path) -> dict[str, Path]:
    """Source exercises under ``source_dir``: ``{name: notebook path}``, sorted by name.

    Each exercise is ``<source_dir>/<name>/<name>.ipynb`` (nbgrader's source layout).
    """
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        check.fail("source_dir", "a folder of nbgrader source exercises", str(source_dir),
                   "pass --source exercises/source from the course's folder")
    found = {}
    for folder in sorted(source_dir.iterdir()):
        notebook = folder / f"{folder.name}.ipynb"
        if folder.is_dir() and _visible(folder) and notebook.is_file():
            found[folder.name] = notebook
    return found


def discover_submissions(root: str | Path) -> tuple[list[str], list[Submission]]:
    """The learners (folder names) and their notebooks under ``root``, sorted.

    Both ``<root>/<learner>/<exercise>.ipynb`` and nbgrader's
    ``<root>/<learner>/<assignment>/<exercise>.ipynb`` are found.
    """
    root = Path(root)
    if not root.is_dir():
        check.fail("submissions", "a folder with one sub-folder per learner", str(root))
    learners, found = [], []
    for learner_dir in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        learners.append(learner_dir.name)
        for entry in sorted(p for p in learner_dir.iterdir() if _visible(p)):
            if entry.is_file() and entry.suffix == ".ipynb":
                found.append(Submission(learner_dir.name, entry.stem, entry))
            elif entry.is_dir() and entry.name != ".ipynb_checkpoints":
                for nested in sorted(entry.glob("*.ipynb")):
                    if _visible(nested):
                        found.append(Submission(learner_dir.name, nested.stem, nested))
    return learners, sorted(found)


@dataclass
class LayoutReport:
    """What :func:`layout_flat_folder` did."""

    copied: list[Submission] = field(default_factory=list)
    unmatched: list[Path] = field(default_factory=list)
    conflicts: list[Path] = field(default_factory=list)


def split_flat_name(filename: str, exercises) -> tuple[str, str] | None:
    """``("alice", "01_gradient_descent")`` for ``alice_01_gradient_descent.ipynb``.

    The longest exercise name that ends the stem, preceded by ``_`` or ``-`` and a
    non-empty learner id, wins; ``None`` if there is none.
    """
    if not filename.endswith(".ipynb"):
        return None
    stem = filename[: -len(".ipynb")]
    for exercise in sorted(exercises, key=len, reverse=True):
        for separator in ("_", "-"):
            suffix = separator + exercise
            if stem.endswith(suffix) and len(stem) > len(suffix):
                learner = stem[: -len(suffix)]
                if learner.strip(" ._-"):
                    return learner, exercise
    return None


def layout_flat_folder(flat_dir: str | Path, dest_dir: str | Path, exercises) -> LayoutReport:
    """Copy ``<learner>_<exercise>.ipynb`` files into ``<dest>/<learner>/<exercise>.ipynb``.

    Never overwrites a different file already in ``dest_dir`` (it is reported under
    ``conflicts``); an identical one is left as it is.
    """
    flat_dir, dest_dir = Path(flat_dir), Path(dest_dir)
    if not flat_dir.is_dir():
        check.fail("flat_dir", "a folder of collected notebooks", str(flat_dir))
    report = LayoutReport()
    for path in sorted(p for p in flat_dir.iterdir() if p.is_file() and _visible(p)):
        match = split_flat_name(path.name, exercises)
        if match is None:
            if path.suffix == ".ipynb":
                report.unmatched.append(path)
            continue
        learner, exercise = match
        target = dest_dir / learner / f"{exercise}.ipynb"
        if target.exists():
            if not filecmp.cmp(path, target, shallow=False):
                report.conflicts.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        report.copied.append(Submission(learner, exercise, target))
    return report
