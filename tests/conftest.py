"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest

from classroom_support import write_mini_source
from lrcourse.classroom.restore import load_source
from lrcourse.classroom.worker import released_cells


@pytest.fixture
def mini(tmp_path):
    """The tiny exercise of classroom_support: (its source, its released cells)."""
    path = write_mini_source(tmp_path / "source")
    source = load_source(path)
    return source, released_cells(source)
