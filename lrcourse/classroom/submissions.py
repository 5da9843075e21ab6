"""Find the source exercises and a class's submissions; lay out a flat folder.

Submissions use nbgrader's layout, one folder per learner::

    submissions/
        alice/01_gradient_descent.ipynb
        bob/01_gradient_descent.ipynb
        carol/01_gradient_descent/01_gradient_descent.ipynb   # nbgrader's own nesting

A notebook belongs to the exercise whose name is its file name (without
``.ipynb``).  The learner's id is the folder name.

:func:`scan_class` reads the whole class into memory before anything runs, and
never follows a symbolic link: a linked learner folder, notebook or sub-folder is
*refused* (it could point at the exercise sources, the reference solutions or
another learner's work).  Everything else it meets — hidden files and folders,
``.ipynb_checkpoints``, files that are not notebooks, a second copy of a notebook —
is *not graded* and listed with the reason, so every entry of the folder shows up
in the report.

A flat folder of collected files (what most learning platforms export) is turned
into that layout by :func:`layout_flat_folder`, with this naming rule:
``<learner>_<exercise>.ipynb`` (or ``<learner>-<exercise>.ipynb``), where
``<exercise>`` is the full name of a source exercise (``01_gradient_descent``) and
``<learner>`` is everything before it (it may contain ``_`` or ``-`` itself).
Files are copied, never moved; files that fit no exercise are listed, not guessed.
"""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from lrcourse import _validation as check

__all__ = [
    "Submission",
    "Skipped",
    "ClassScan",
    "MAX_NOTEBOOK_BYTES",
    "scan_class",
    "find_exercises",
    "discover_submissions",
    "read_notebook",
    "LayoutReport",
    "split_flat_name",
    "layout_flat_folder",
]


#: Largest notebook read (a bigger file is graded as ``invalid notebook``).
MAX_NOTEBOOK_BYTES = 64 * 2**20

REFUSED = "refused"
NOT_GRADED = "not graded"


@dataclass(frozen=True, order=True)
class Submission:
    """One learner's notebook for one exercise (``exercise`` is the file's stem).

    ``relative`` is its path under the submissions folder (``alice/01_x.ipynb``);
    ``data`` its bytes, read by :func:`scan_class` (None from
    :func:`discover_submissions`); ``problem`` why it cannot be read (then
    ``data`` is None): a link, not a regular file, too large, unreadable.
    """

    learner: str
    exercise: str
    path: Path
    relative: str = field(default="", compare=False)
    data: bytes | None = field(default=None, compare=False, repr=False)
    problem: str = field(default="", compare=False)
    refused: bool = field(default=False, compare=False)


@dataclass(frozen=True, order=True)
class Skipped:
    """An entry of the submissions folder that is not graded, and why.

    ``status`` is ``"refused"`` (a symbolic link: never followed) or
    ``"not graded"`` (hidden, not a notebook, a second copy); ``learner`` is ""
    for an entry directly in the submissions folder; ``relative`` is its path
    under the submissions folder.
    """

    learner: str
    relative: str
    status: str
    reason: str


@dataclass
class ClassScan:
    """What :func:`scan_class` found: learners, their notebooks (read), the rest."""

    learners: list[str]
    submissions: list[Submission]
    skipped: list[Skipped]
    refused_learners: dict[str, str] = field(default_factory=dict)


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
    ``<root>/<learner>/<assignment>/<exercise>.ipynb`` are found (read with
    :func:`scan_class`: links are not followed).
    """
    scan = scan_class(root)
    return scan.learners, scan.submissions


def _read_nofollow(dir_fd: int, name: str) -> tuple[bytes | None, str, bool]:
    """``(data, problem, refused)`` of the file ``name`` in the open folder ``dir_fd``.

    Opened with ``O_NOFOLLOW`` (a link is refused, not followed) and ``O_NONBLOCK``
    (a FIFO cannot stall the grader); only regular files of at most
    :data:`MAX_NOTEBOOK_BYTES` are read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None, "it is a symbolic link: links are never followed; submit the notebook itself", True
        return None, f"it cannot be read ({os.strerror(error.errno or 0)})", False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "it is not a regular file", True
        if info.st_size > MAX_NOTEBOOK_BYTES:
            return None, f"it is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB", False
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_NOTEBOOK_BYTES:
                return None, f"it is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB", False
            chunks.append(chunk)
        return b"".join(chunks), "", False
    except OSError as error:
        return None, f"it cannot be read ({os.strerror(error.errno or 0)})", False
    finally:
        os.close(fd)


def read_notebook(path: str | Path) -> tuple[bytes | None, str, bool]:
    """``(data, problem, refused)`` of one notebook file, read as :func:`scan_class` reads one.

    The file itself is never followed if it is a link (``refused``); ``problem`` says
    why ``data`` is None.  Used to grade single notebooks outside a class folder
    (:func:`lrcourse.classroom.batch.grade_notebooks`).
    """
    path = Path(path)
    try:
        dir_fd = os.open(str(path.parent), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        return None, f"it cannot be read ({os.strerror(error.errno or 0)})", False
    try:
        return _read_nofollow(dir_fd, path.name)
    finally:
        os.close(dir_fd)


def _entries(dir_fd: int) -> list[os.DirEntry]:
    with os.scandir(dir_fd) as iterator:
        return sorted(iterator, key=lambda entry: entry.name)


def _open_dir(name: str, dir_fd: int | None) -> int:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    return os.open(name, flags, dir_fd=dir_fd)


_LINK = "a symbolic link: links are never followed"


def scan_class(root: str | Path) -> ClassScan:
    """Read the whole class under ``root`` into memory, never following a link.

    Both ``<root>/<learner>/<exercise>.ipynb`` and nbgrader's
    ``<root>/<learner>/<assignment>/<exercise>.ipynb`` are found.  Notebooks come
    back with their bytes (:attr:`Submission.data`) or the reason they could not be
    read; every other entry comes back as a :class:`Skipped` with its reason.  Never
    raises for what the folder holds (only if ``root`` itself is not a folder).
    """
    root = Path(root)
    if not root.is_dir():
        check.fail("submissions", "a folder with one sub-folder per learner", str(root))
    learners: list[str] = []
    found: list[Submission] = []
    skipped: list[Skipped] = []
    refused_learners: dict[str, str] = {}
    root_fd = os.open(str(root), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for entry in _entries(root_fd):
            name = entry.name
            if entry.is_symlink():
                if name.startswith("."):
                    skipped.append(Skipped("", name, REFUSED, f"{name} is {_LINK}"))
                else:
                    learners.append(name)
                    refused_learners[name] = f"the folder {name}/ is {_LINK}; submit the folder itself"
                continue
            if not entry.is_dir(follow_symlinks=False):
                skipped.append(Skipped("", name, NOT_GRADED,
                                       f"{name} is a file directly in the submissions folder, "
                                       "not in a learner's folder"))
                continue
            if name.startswith(".") or name == "__pycache__":
                skipped.append(Skipped("", name + "/", NOT_GRADED,
                                       f"{name}/ is a hidden folder: not a learner"))
                continue
            learners.append(name)
            _scan_folder(root, name, root_fd, name, found, skipped, nested=False)
    finally:
        os.close(root_fd)
    return ClassScan(learners, sorted(found), sorted(skipped), refused_learners)


def _scan_folder(root: Path, learner: str, parent_fd: int, relative: str, found: list, skipped: list, *,
                 nested: bool) -> None:
    """Scan the folder at ``relative`` (its last name under ``parent_fd``): a learner's folder
    (``nested=False``, whose sub-folders are scanned too) or one of its sub-folders."""
    try:
        folder_fd = _open_dir(relative.rsplit("/", 1)[-1], parent_fd)
    except OSError as error:
        skipped.append(Skipped(learner, relative + "/", NOT_GRADED,
                               f"{relative}/ cannot be read ({os.strerror(error.errno or 0)})"))
        return
    try:
        for entry in _entries(folder_fd):
            _scan_entry(root, learner, folder_fd, entry, f"{relative}/{entry.name}", found, skipped,
                        nested=nested)
    finally:
        os.close(folder_fd)


def _scan_entry(root, learner, dir_fd, entry, relative, found, skipped, *, nested: bool) -> None:
    name = entry.name
    is_link = entry.is_symlink()
    if name.endswith(".ipynb") and not name.startswith(".") and (is_link or not entry.is_dir(follow_symlinks=False)):
        data, problem, refused = _read_nofollow(dir_fd, name)
        found.append(Submission(learner, name[: -len(".ipynb")], root / relative, relative,
                                data, problem and f"{relative}: {problem}", refused))
        return
    if is_link:
        skipped.append(Skipped(learner, relative, REFUSED, f"{relative} is {_LINK}"))
        return
    is_dir = entry.is_dir(follow_symlinks=False)
    if name.startswith(".") or name == "__pycache__":
        what = "a hidden folder" if is_dir else "a hidden file"
        skipped.append(Skipped(learner, relative + ("/" if is_dir else ""), NOT_GRADED,
                               f"{relative} is {what}: not graded"))
        return
    if is_dir and not nested:
        _scan_folder(root, learner, dir_fd, relative, found, skipped, nested=True)
        return
    if is_dir:
        skipped.append(Skipped(learner, relative + "/", NOT_GRADED,
                               f"{relative}/ is a folder two levels down: not searched"))
        return
    skipped.append(Skipped(learner, relative, NOT_GRADED,
                           f"{relative} is not a notebook (.ipynb): not graded"))


@dataclass
class LayoutReport:
    """What :func:`layout_flat_folder` did."""

    copied: list[Submission] = field(default_factory=list)
    unmatched: list[Path] = field(default_factory=list)
    conflicts: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)


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
    ``conflicts``); an identical one is left as it is.  Symbolic links are never
    followed (they are reported under ``links``).
    """
    flat_dir, dest_dir = Path(flat_dir), Path(dest_dir)
    if not flat_dir.is_dir():
        check.fail("flat_dir", "a folder of collected notebooks", str(flat_dir))
    report = LayoutReport()
    for path in sorted(flat_dir.iterdir()):
        if path.is_symlink():
            report.links.append(path)
            continue
        if not (path.is_file() and _visible(path)):
            continue
        match = split_flat_name(path.name, exercises)
        if match is None:
            if path.suffix == ".ipynb":
                report.unmatched.append(path)
            continue
        learner, exercise = match
        target = dest_dir / learner / f"{exercise}.ipynb"
        if target.is_symlink() or target.parent.is_symlink():
            report.conflicts.append(path)
            continue
        if target.exists():
            if not filecmp.cmp(path, target, shallow=False):
                report.conflicts.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target, follow_symlinks=False)
        report.copied.append(Submission(learner, exercise, target))
    return report
