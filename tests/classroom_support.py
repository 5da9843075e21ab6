"""Shared helpers of the classroom tests: a tiny nbgrader exercise, learner submissions
built from it, the fixture class's paths and the sandbox requirement (the ``mini``
fixture itself is in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from ci_support import require

from lrcourse.classroom.sandbox import sandbox_available
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
