"""The learner's own copies of the course: ``my-work/``, which ``git pull`` never touches.

The course's notebooks (``notebooks/``, ``exercises/``) are tracked by git, so a
learner who ran or edited them there would conflict with the next ``git pull`` of
course updates.  ``python3 course.py lab`` therefore opens JupyterLab in a personal
copy of the course, ``my-work/`` (listed in ``.gitignore``)::

    my-work/
        README.md, docs/     the course's own pages, refreshed on every start
        notebooks/NN_*.ipynb your copies of the lessons
        exercises/NN_*.ipynb your exercise notebooks: your answers live here

The folders keep the course's layout, so every link between lessons, exercises and
the README works in both places.  On every start, a notebook that is new in the
course is copied in; a copy whose cells you have not edited (running cells does not
count as editing) is replaced by the course's newer version when there is one; a copy
you have edited is never overwritten: if the course changed only cell settings
(metadata, such as nbgrader's checksums), those are brought over and your cells kept;
if it changed cells, one line says so.  A fingerprint of each copy's cell sources and
a hash of the course file it came from are kept in ``my-work/.lrcourse/copies.json``
to tell the cases apart.

``progress`` reads the exercise notebooks of ``my-work/`` (see :func:`exercises_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from lrcourse import _validation as check
from lrcourse.notebook_json import OPTIONAL_PATH, PATH

__all__ = ["course_root", "workspace_dir", "exercises_dir", "prepare", "fingerprint"]

WORKSPACE_NAME = "my-work"
#: folders of notebooks that become the learner's own copies
COPIED_FOLDERS = ("notebooks", "exercises")
#: course pages mirrored into the workspace on every start (not the learner's work)
MIRRORED = ("README.md", "docs")
_RECORD = Path(".lrcourse") / "copies.json"


def course_root() -> Path | None:
    """The course repository this ``lrcourse`` was installed from (editable install),
    or ``$LRCOURSE_COURSE_ROOT``; ``None`` when lrcourse was installed on its own."""
    override = os.environ.get("LRCOURSE_COURSE_ROOT")
    root = Path(override) if override else Path(__file__).resolve().parent.parent
    return root if _is_course(root) else None


def _is_course(root: Path) -> bool:
    return (root / "course.py").is_file() and (root / "exercises").is_dir()


def _course(root) -> Path | None:
    """``root`` checked to be a course repository, or :func:`course_root` when it is None."""
    root = OPTIONAL_PATH("root", root)
    if root is None:
        return course_root()
    if not _is_course(root):
        check.fail("root", "None or a course repository (a folder with course.py and exercises/)", str(root))
    return root


def workspace_dir(root: Path | None = None) -> Path | None:
    """The learner's workspace, ``my-work/`` in the course at ``root`` (by default
    :func:`course_root`); None when there is no course."""
    root = _course(root)
    return None if root is None else root / WORKSPACE_NAME


def exercises_dir() -> Path | None:
    """The learner's exercise notebooks: ``my-work/exercises`` once ``lab`` has made it."""
    workspace = workspace_dir()
    folder = None if workspace is None else workspace / "exercises"
    return folder if folder is not None and folder.is_dir() else None


def fingerprint(path: Path) -> str:
    """A hash of a notebook's cell types and sources (not its outputs or metadata)."""
    path = PATH("path", path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # not JSON (or not UTF-8)
        notebook = None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        check.fail("path", "a notebook file (JSON with a list of 'cells')", str(path))
    text = json.dumps([[cell.get("cell_type"), _source(cell)] for cell in cells])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _course_notebooks(root: Path):
    for folder in COPIED_FOLDERS:
        for path in sorted((root / folder).glob("[0-9][0-9]_*.ipynb")):
            yield path.relative_to(root)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded(entry) -> dict:
    """A record entry: the copy's source fingerprint and the course file's hash."""
    return entry if isinstance(entry, dict) else {"sources": entry, "file": None}


def prepare(root: Path | None = None) -> tuple[Path, list[str]]:
    """Create or bring up to date the learner's workspace; return it and what was done.

    Raises ``FileNotFoundError`` when no course repository is found.
    """
    root = _course(root)
    if root is None:
        raise FileNotFoundError("no course repository found: run `python3 course.py lab` "
                                "from a clone of the course")
    workspace = workspace_dir(root)
    record_path = workspace / _RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    messages, copied = [], 0
    for relative in _course_notebooks(root):
        key, source, target = relative.as_posix(), root / relative, workspace / relative
        new = {"sources": fingerprint(source), "file": _file_hash(source)}
        old = _recorded(record[key]) if key in record else None
        if not target.exists():
            copied += 1
        elif old is None:
            messages.append(f"kept your {key}, which this course did not copy; the course's "
                            f"version is at {key} in the course folder")
            continue
        elif old["file"] == new["file"]:
            continue  # the copy was made from the course's current version
        elif _file_hash(target) == new["file"]:
            record[key] = new  # (a record from before file hashes were kept)
            continue
        elif fingerprint(target) == old["sources"]:
            messages.append(f"updated {key} to the course's new version (you had not edited it)")
        elif new["sources"] == old["sources"]:
            _take_cell_settings(source, target)
            messages.append(f"updated the cell settings of {key} to the course's new version "
                            f"(your edits are kept)")
            record[key] = new
            continue
        else:
            messages.append(f"kept your edited {key}; the course has a newer version at {key} "
                            f"in the course folder")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        record[key] = new
    for name in MIRRORED:
        _mirror(root / name, workspace / name)
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    if copied:
        messages.insert(0, f"made your own copies of {copied} course notebooks in "
                           f"{WORKSPACE_NAME}/ (git pull never touches them)")
    return workspace, messages


def _take_cell_settings(source: Path, target: Path) -> None:
    """The course changed only metadata (e.g. nbgrader's checksums): copy the notebook's
    and each cell's metadata (cells matched by id) into the learner's edited copy."""
    import nbformat

    course = nbformat.read(source, as_version=4)
    mine = nbformat.read(target, as_version=4)
    mine.metadata = course.metadata
    settings = {cell.get("id"): cell.metadata for cell in course.cells}
    for cell in mine.cells:
        if cell.get("id") in settings:
            cell.metadata = settings[cell.get("id")]
    nbformat.write(mine, str(target))


def _mirror(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    elif source.is_file():
        shutil.copyfile(source, target)


def main(argv: list[str] | None = None) -> int:
    """``python -m lrcourse.workspace --prepare``: prepare, print what was done, then
    the workspace's path on the last line (``course.py lab`` reads it)."""
    argv = sys.argv[1:] if argv is None else check.ListOf(check.text)("argv", argv)
    if argv != ["--prepare"]:
        print("usage: python -m lrcourse.workspace --prepare", file=sys.stderr)
        return 2
    try:
        workspace, messages = prepare()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    for message in messages:
        print(message)
    print(workspace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
