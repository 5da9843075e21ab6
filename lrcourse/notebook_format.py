"""The exercises' nbgrader format: reading, checking, and making the learners' notebooks.

The exercise sources follow nbgrader's course layout, with ``exercises/`` as the
course directory::

    exercises/source/01_gradient_descent/01_gradient_descent.ipynb   (source, with solutions)
    exercises/01_gradient_descent.ipynb                              (generated, what learners open)

A source notebook marks its cells with nbgrader's cell metadata (schema version 3)::

    "nbgrader": {"schema_version": 3, "grade_id": "gd_step", "grade": false,
                 "solution": true, "locked": false}

- *solution* cells (``solution: true``) hold the learner's functions, the answer
  between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
- *grade* cells (``grade: true, locked: true, points: n``) call a check, with extra
  checks between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
- *read-only* cells (``locked: true``) are instructions and set-up.

:func:`make_student_notebook` does what ``nbgrader generate_assignment`` does to
a notebook, without nbgrader: each solution region becomes nbgrader's stub
(``# YOUR CODE HERE`` / ``raise NotImplementedError()``, indented like the
region), hidden-test regions are removed, outputs are cleared, and read-only and
grade cells are made non-editable/non-deletable in the notebook's metadata.

Command line (from the repository root)::

    python -m lrcourse.notebook_format            # regenerate exercises/*.ipynb
    python -m lrcourse.notebook_format --check    # exit 1 if out of sync (CI)
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path
from typing import Iterable

import nbformat

from lrcourse import _validation as check
from lrcourse.notebook_json import CELL, NOTEBOOK, PATH

__all__ = [
    "SCHEMA_VERSION",
    "BEGIN_SOLUTION",
    "END_SOLUTION",
    "BEGIN_HIDDEN_TESTS",
    "END_HIDDEN_TESTS",
    "CODE_STUB",
    "TEXT_STUB",
    "FormatError",
    "nbgrader_metadata",
    "is_grade",
    "is_solution",
    "is_locked",
    "grade_cells",
    "validate",
    "solution_lines",
    "make_student_notebook",
    "nbgrader_checksum",
    "student_notebook_text",
    "source_notebooks",
    "release",
    "out_of_sync",
    "leaks",
    "new_markdown_cell",
    "new_code_cell",
    "main",
]

SCHEMA_VERSION = 3
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
#: nbgrader's default stubs (ClearSolutions.code_stub["python"] and text_stub)
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

#: nbgrader's schema v3: allowed keys and their JSON types
_KEY_TYPES = {
    "schema_version": int,
    "grade": bool,
    "locked": bool,
    "solution": bool,
    "task": bool,
    "grade_id": str,
    "points": (int, float),
    "checksum": str,
    "cell_type": str,
}
_REQUIRED = ("schema_version", "grade", "locked", "solution")
_GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]*$")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE_DIR = REPO_ROOT / "exercises" / "source"
DEFAULT_DEST_DIR = REPO_ROOT / "exercises"


class FormatError(ValueError):
    """A source notebook breaks nbgrader's format (or the course's rules on top of it)."""


class _GradeId(check.Constraint):
    """nbgrader's grade ids (also the cells' ids, which nbformat caps at 64 characters)."""

    text = "a grade id: 1 to 64 letters, digits, _ or -"

    def accepts(self, value) -> bool:
        return isinstance(value, str) and 0 < len(value) <= 64 and bool(_GRADE_ID.match(value))

    def error(self, value) -> type:
        return ValueError if isinstance(value, str) else TypeError


_grade_id = _GradeId()
_cell_kind = check.OneOf("solution", "grade", "locked")
_names = check.ListOf(check.text)


# ---------------------------------------------------------------------------
# Reading the metadata
# ---------------------------------------------------------------------------

def nbgrader_metadata(cell) -> dict:
    """The cell's ``nbgrader`` metadata ({} when it has none)."""
    return dict(CELL("cell", cell).metadata.get("nbgrader", {}))


def is_grade(cell) -> bool:
    """An autograded test cell (or a manually graded answer)."""
    return bool(nbgrader_metadata(cell).get("grade", False))


def is_solution(cell) -> bool:
    """A cell where the learner writes (its solution regions are replaced by stubs)."""
    return bool(nbgrader_metadata(cell).get("solution", False))


def is_locked(cell) -> bool:
    """A read-only cell (instructions, set-up, or a test)."""
    return bool(nbgrader_metadata(cell).get("locked", False))


def grade_cells(nb) -> list:
    """The notebook's grade cells, in order."""
    return [cell for cell in NOTEBOOK("nb", nb).cells if is_grade(cell)]


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

def validate(nb, *, name: str = "notebook", source: bool = True) -> None:
    """Raise :class:`FormatError` listing every way ``nb`` breaks the format.

    Checks nbgrader's schema v3 rules (required keys and types, ``schema_version``
    3, a ``grade_id`` matching ``[a-zA-Z0-9_-]`` on every grade/solution/locked
    cell, unique ids, ``points >= 0`` on grade cells, markdown grade cells are also
    solution cells and vice versa, task cells are markdown) and the course's own
    rules: grade cells are locked code cells with points > 0, solution cells are
    not locked, solution regions sit only in solution cells and are properly
    closed and indented inside a function body, hidden tests sit only in grade
    cells.  With ``source=True`` it also requires outputs to be cleared.
    """
    nb, name, source = NOTEBOOK("nb", nb), check.text("name", name), check.boolean("source", source)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        meta = cell.get("metadata", {}).get("nbgrader")
        text = _source(cell)
        if source and cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{where}: outputs are stored (clear them before committing)")
        if meta is None:
            if BEGIN_SOLUTION in text or BEGIN_HIDDEN_TESTS in text:
                problems.append(f"{where}: a solution or hidden-test region in a cell without nbgrader metadata")
            continue
        problems.extend(_metadata_problems(meta, cell, where))
        if not isinstance(meta, dict):
            continue
        grade, solution, locked = (bool(meta.get(k)) for k in ("grade", "solution", "locked"))
        grade_id = meta.get("grade_id")
        if (grade or solution or locked) and isinstance(grade_id, str) and grade_id:
            if grade_id in seen:
                problems.append(f"{where}: grade_id {grade_id!r} already used by cell {seen[grade_id]}")
            seen[grade_id] = index
        if grade and cell.cell_type == "code":
            if not locked:
                problems.append(f"{where}: a grade (test) cell must be locked")
            if not (isinstance(meta.get("points"), (int, float)) and meta.get("points", 0) > 0):
                problems.append(f"{where}: a grade cell needs points > 0")
        if solution and locked:
            problems.append(f"{where}: a solution cell must not be locked")
        try:
            regions = _regions(text, BEGIN_SOLUTION, END_SOLUTION, exact=True)
            hidden = _regions(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", exact=False)
        except FormatError as error:
            problems.append(f"{where}: {error}")
            continue
        if regions and not solution:
            problems.append(f"{where}: a solution region in a cell that is not a solution cell")
        if hidden and not grade:
            problems.append(f"{where}: a hidden-test region in a cell that is not a grade cell")
        if solution and cell.cell_type == "code":
            if not regions:
                problems.append(f"{where}: a code solution cell needs a ### BEGIN SOLUTION region "
                                "(inside a function body, so the function stays defined)")
            lines = text.split("\n")
            for begin, _ in regions:
                if not lines[begin].startswith((" ", "\t")):
                    problems.append(f"{where}: solution region at line {begin + 1} is not indented "
                                    "inside a function body")
    if problems:
        raise FormatError("\n".join(problems))


def _metadata_problems(meta: dict, cell, where: str) -> list[str]:
    problems = []
    if not isinstance(meta, dict):
        return [f"{where}: nbgrader metadata is not a dict"]
    for key in _REQUIRED:
        if key not in meta:
            problems.append(f"{where}: nbgrader metadata lacks {key!r}")
    for key, value in meta.items():
        if key not in _KEY_TYPES:
            problems.append(f"{where}: nbgrader metadata has an unknown key {key!r} (schema v3)")
        elif isinstance(value, bool) and _KEY_TYPES[key] is not bool:
            problems.append(f"{where}: nbgrader {key!r} must not be a boolean")
        elif not isinstance(value, _KEY_TYPES[key]):
            problems.append(f"{where}: nbgrader {key!r} has the wrong type ({type(value).__name__})")
    if meta.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"{where}: schema_version must be {SCHEMA_VERSION}; got {meta.get('schema_version')!r}")
    grade, solution, locked, task = (bool(meta.get(k)) for k in ("grade", "solution", "locked", "task"))
    if grade or solution or locked:
        grade_id = meta.get("grade_id")
        if not grade_id:
            problems.append(f"{where}: a grade/solution/locked cell needs a non-empty grade_id")
        elif isinstance(grade_id, str) and not _GRADE_ID.match(grade_id):
            problems.append(f"{where}: grade_id {grade_id!r} may only use letters, digits, _ and -")
    if grade and "points" not in meta:
        problems.append(f"{where}: a grade cell needs points")
    if "points" in meta and isinstance(meta["points"], (int, float)) and meta["points"] < 0:
        problems.append(f"{where}: points must be >= 0")
    if task:
        if cell.cell_type != "markdown":
            problems.append(f"{where}: task cells must be markdown")
    elif cell.cell_type == "markdown" and grade != solution:
        problems.append(f"{where}: a markdown cell must be both grade and solution, or neither")
    return problems


def _regions(text: str, begin: str, end: str, *, exact: bool) -> list[tuple[int, int]]:
    """(begin line, end line) index pairs of the delimited regions in ``text``.

    ``exact`` matches nbgrader's rules: solution delimiters must be the whole
    (stripped) line; hidden-test delimiters may appear anywhere in a line.
    """
    found, start = [], None
    for number, line in enumerate(text.split("\n")):
        is_begin = line.strip() == begin if exact else begin in line
        is_end = line.strip() == end if exact else end in line
        if is_begin:
            if start is not None:
                raise FormatError(f"nested {begin!r} at line {number + 1}")
            start = number
        elif is_end:
            if start is None:
                raise FormatError(f"{end!r} without a begin at line {number + 1}")
            found.append((start, number))
            start = None
    if start is not None:
        raise FormatError(f"{begin!r} at line {start + 1} is never closed")
    return found


def solution_lines(nb) -> list[str]:
    """The stripped, non-blank lines inside the solution regions of a source notebook."""
    lines = []
    for cell in NOTEBOOK("nb", nb).cells:
        text = _source(cell).split("\n")
        for begin, end in _regions(_source(cell), BEGIN_SOLUTION, END_SOLUTION, exact=True):
            lines.extend(line.strip() for line in text[begin + 1:end] if line.strip())
    return lines


# ---------------------------------------------------------------------------
# Making the learners' notebook
# ---------------------------------------------------------------------------

def _clear_solutions(cell) -> None:
    text = _source(cell)
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    regions = _regions(text, BEGIN_SOLUTION, END_SOLUTION, exact=True)
    if not regions:
        cell.source = stub
        return
    lines, kept, position = text.split("\n"), [], 0
    for begin, end in regions:
        kept.extend(lines[position:begin])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        kept.extend(indent + stub_line for stub_line in stub.split("\n"))
        position = end + 1
    kept.extend(lines[position:])
    cell.source = "\n".join(kept)


def _remove_hidden_tests(cell) -> None:
    text = _source(cell)
    regions = _regions(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", exact=False)
    if not regions:
        return
    lines, kept, position = text.split("\n"), [], 0
    for begin, end in regions:
        kept.extend(lines[position:begin])
        position = end + 1
    kept.extend(lines[position:])
    cell.source = "\n".join(kept)


def make_student_notebook(source_nb, *, name: str = "notebook"):
    """The notebook a learner opens, made from a source notebook (which is not changed).

    Validates the source (:func:`validate`, outputs allowed), then on a copy:
    replaces solution regions by :data:`CODE_STUB` (a solution cell without a
    region entirely), removes hidden-test regions, clears outputs and execution
    counts, and sets ``editable: false`` on locked cells and ``deletable: false``
    on every graded, solution or locked cell (as nbgrader's LockCells does).  The
    nbgrader metadata is kept, so nbgrader can autograde a submitted copy.
    """
    source_nb = NOTEBOOK("source_nb", source_nb)
    validate(source_nb, name=check.text("name", name), source=False)
    nb = copy.deepcopy(source_nb)
    nb.metadata.pop("celltoolbar", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "nbgrader" not in cell.metadata:
            continue
        if is_solution(cell):
            _clear_solutions(cell)
        if is_grade(cell):
            _remove_hidden_tests(cell)
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata["deletable"] = False
        if is_locked(cell):
            cell.metadata["editable"] = False
        elif "editable" in cell.metadata:
            del cell.metadata["editable"]
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata["nbgrader"]["cell_type"] = cell.cell_type
            cell.metadata["nbgrader"]["checksum"] = nbgrader_checksum(cell)
    return nb


def nbgrader_checksum(cell) -> str:
    """nbgrader's checksum of a released cell (``ComputeChecksums``), so that
    ``nbgrader validate`` can tell a learner that a locked or test cell was changed.

    The md5 of, in order: the source, the cell type, whether the cell is graded, a
    solution and locked (as ``"True"``/``"False"``; nbgrader counts a test cell as
    locked and a solution cell as not), the grade id and, for a graded cell, its
    points as a float (``"2.0"``).
    """
    cell = CELL("cell", cell)
    meta = nbgrader_metadata(cell)
    graded, solution = bool(meta.get("grade")), bool(meta.get("solution"))
    if not isinstance(meta.get("grade_id"), str) or (graded and not check.is_real(meta.get("points"))):
        check.fail("cell", "a cell with nbgrader metadata: a grade_id, and points if it is graded",
                   check.Described(f"nbgrader metadata {meta!r}"))
    locked = False if solution else (True if graded else bool(meta.get("locked")))
    parts = [_source(cell), cell.cell_type, str(graded), str(solution), str(locked), meta["grade_id"]]
    if graded:
        parts.append(str(float(meta["points"])))
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


def student_notebook_text(source_nb, *, name: str = "notebook") -> str:
    """The learner's notebook exactly as written to disk (JSON text, final newline)."""
    text = nbformat.writes(make_student_notebook(source_nb, name=name), version=4)
    return text if text.endswith("\n") else text + "\n"


def source_notebooks(source_dir: Path | str = DEFAULT_SOURCE_DIR,
                     names: Iterable[str] | None = None) -> list[Path]:
    """``source/<assignment>/<notebook>.ipynb`` files, sorted (optionally only ``names``).

    ``names`` is a list of assignment names (``["01_gradient_descent"]``).
    """
    source_dir = PATH("source_dir", source_dir)
    wanted = set(_names("names", names)) if names is not None else None
    paths = []
    for assignment in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        if wanted is not None and assignment.name not in wanted:
            continue
        paths.extend(sorted(p for p in assignment.glob("*.ipynb")
                            if ".ipynb_checkpoints" not in p.parts))
    if wanted is not None:
        missing = wanted - {p.parent.name for p in paths}
        if missing:
            raise FileNotFoundError(f"no source notebook for {sorted(missing)} in {source_dir}")
    return paths


def release(source_dir: Path | str = DEFAULT_SOURCE_DIR, dest_dir: Path | str = DEFAULT_DEST_DIR,
            names: Iterable[str] | None = None) -> list[Path]:
    """Write the learners' notebooks: ``dest_dir/<notebook>.ipynb`` for each source.

    Returns the paths written.  Files are rewritten only when their content
    changes.
    """
    dest_dir = PATH("dest_dir", dest_dir)
    written = []
    for path in source_notebooks(source_dir, names):
        text = student_notebook_text(nbformat.read(path, as_version=4), name=path.name)
        target = dest_dir / path.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def out_of_sync(source_dir: Path | str = DEFAULT_SOURCE_DIR,
                dest_dir: Path | str = DEFAULT_DEST_DIR) -> list[str]:
    """What is not in sync: learners' notebooks missing, stale, or without a source.

    Returns human-readable lines (empty when everything is in sync).
    """
    dest_dir = PATH("dest_dir", dest_dir)
    problems = []
    expected = set()
    for path in source_notebooks(source_dir):
        expected.add(path.name)
        target = dest_dir / path.name
        try:
            text = student_notebook_text(nbformat.read(path, as_version=4), name=path.name)
        except FormatError as error:
            problems.append(f"{path}: not in nbgrader's format:\n{error}")
            continue
        if not target.exists():
            problems.append(f"{target} is missing")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"{target} differs from what {path} generates")
    for target in sorted(dest_dir.glob("*.ipynb")):
        if target.name not in expected:
            problems.append(f"{target} has no source in {source_dir}")
    return problems


def leaks(student_nb, source_nb) -> list[str]:
    """Solution or hidden-test text found in a learner's notebook.

    Reports the region markers themselves, and every line inside a solution or
    hidden-test region of the source that appears in the learner's notebook,
    unless the same line also appears outside those regions in the source (so a
    line such as ``return x`` that the instructions also show is not counted).
    """
    student_nb, source_nb = NOTEBOOK("student_nb", student_nb), NOTEBOOK("source_nb", source_nb)
    found = []
    student_text = "\n".join(_source(cell) for cell in student_nb.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        if marker in student_text:
            found.append(f"the marker {marker!r}")
    student_lines = {line.strip() for line in student_text.split("\n")}
    secret, visible = [], set()
    for cell in source_nb.cells:
        text = _source(cell)
        lines = text.split("\n")
        hidden = set()
        for begin, end in _regions(text, BEGIN_SOLUTION, END_SOLUTION, exact=True):
            hidden.update(range(begin, end + 1))
        if is_grade(cell):
            for begin, end in _regions(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", exact=False):
                hidden.update(range(begin, end + 1))
        for number, line in enumerate(lines):
            (secret.append if number in hidden else visible.add)(line.strip())
    for line in secret:
        if line and line in student_lines and line not in visible:
            found.append(f"the line {line!r}")
    return found


# ---------------------------------------------------------------------------
# Authoring helpers
# ---------------------------------------------------------------------------

def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"schema_version": SCHEMA_VERSION, "grade": grade, "grade_id": grade_id,
            "locked": locked, "solution": solution}
    if grade:
        meta["points"] = points
    return meta


def new_markdown_cell(source: str, grade_id: str):
    """A read-only (locked) markdown cell: instructions."""
    cell = nbformat.v4.new_markdown_cell(check.text("source", source))
    cell.id = _grade_id("grade_id", grade_id)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
    return cell


def new_code_cell(source: str, grade_id: str, *, kind: str, points: float | None = None):
    """A code cell of one of three kinds.

    ``kind="solution"`` (the learner writes; not locked), ``"grade"`` (a locked
    test cell worth ``points``), or ``"locked"`` (read-only set-up or demo code).
    Only a grade cell has points.
    """
    if _cell_kind("kind", kind) == "grade":
        check.positive("points", points)  # kept as given: 2 stays 2 in the notebook's JSON
    elif points is not None:
        check.fail("points", "None for a solution or locked cell (only a grade cell has points)", points)
    cell = nbformat.v4.new_code_cell(check.text("source", source))
    cell.id = _grade_id("grade_id", grade_id)
    cell.metadata["nbgrader"] = _nbgrader(
        grade_id, grade=kind == "grade", solution=kind == "solution",
        locked=kind in ("grade", "locked"), points=points,
    )
    return cell


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Regenerate the learners' notebooks, or (``--check``) verify they are in sync."""
    argv = None if argv is None else _names("argv", argv)
    parser = argparse.ArgumentParser(
        prog="python -m lrcourse.notebook_format",
        description="Generate exercises/<name>.ipynb from exercises/source/<name>/<name>.ipynb.",
    )
    parser.add_argument("names", nargs="*", help="assignments to regenerate (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="only report notebooks that are out of sync; exit 1 if any")
    parser.add_argument("--source", default=str(DEFAULT_SOURCE_DIR), help="source directory")
    parser.add_argument("--dest", default=str(DEFAULT_DEST_DIR), help="destination directory")
    args = parser.parse_args(argv)
    if args.check:
        problems = out_of_sync(args.source, args.dest)
        for line in problems:
            print(line)
        if problems:
            print("Run `python -m lrcourse.notebook_format` to regenerate.")
            return 1
        print("The learners' notebooks are in sync with their sources.")
        return 0
    try:
        written = release(args.source, args.dest, args.names or None)
    except FormatError as error:
        print(f"Not in nbgrader's format:\n{error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
