"""Tests of lrcourse.classroom.restore: reading sources and submissions, taking only the learner's answers."""

from __future__ import annotations

import json

import pytest
from classroom_support import learner_json

from lrcourse.classroom.restore import (
    ANSWER, LOCKED, TEST, InvalidNotebook, read_submission, restore,
)


def test_source_roles_and_parts(mini):
    source, released = mini
    roles = [(c.grade_id, c.role) for c in source.cells]
    assert roles == [("intro", LOCKED), ("setup", LOCKED), ("double", ANSWER), ("test_double", TEST),
                     ("test_double_more", TEST), ("square", ANSWER), ("test_square", TEST)]
    assert [(p.grade_id, p.points, p.answer_ids) for p in source.parts] == [
        ("test_double", 2.0, ("double",)), ("test_double_more", 1.0, ("double",)),
        ("test_square", 3.0, ("square",))]
    assert source.max_points == 6
    assert "NotImplementedError" in released["double"] and "HIDDEN" not in released["test_double"]


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b'{"cells": [', "not valid JSON (Expecting value: line 1, column 12)"),
    (b"\xff\xfe\x00", "not UTF-8 text"),
    (b"[1, 2]", "the JSON is not an object"),
    (b'{"metadata": {}}', "no 'cells' list"),
    (b'{"worksheets": []}', "an nbformat 3 notebook"),
])
def test_unreadable_submissions_say_why(data, message):
    with pytest.raises(InvalidNotebook, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_submission(data)


def test_reading_is_lenient_about_metadata_and_source_shape():
    data = json.dumps({"cells": [
        {"cell_type": "code", "source": ["def double(x):\n", "    return 2*x"],
         "metadata": {"nbgrader": {"grade_id": "double"}}},
        {"cell_type": "code", "source": "x = 1"},  # no metadata at all
        "not a cell",
        {"cell_type": "code", "source": "y", "metadata": {"nbgrader": "broken"}},
    ]}).encode()
    learner = read_submission(data)
    assert learner.copies("double") == ("def double(x):\n    return 2*x",)
    assert list(learner.cells_by_id) == ["double"]


def test_restore_takes_only_answers_from_the_learner(mini):
    source, released = mini
    answers = {"double": "def double(x):\n    return x + x", "test_double": "print('all good')"}
    learner = read_submission(learner_json(released, answers, extra=["def double(x): return 0"]))
    restored = restore(source, learner, released, guard_code="GUARD")
    kinds = [(s.kind, s.grade_id) for s in restored.steps]
    assert kinds == [("locked", ""), ("answer", "double"), ("guard", "test_double"), ("test", "test_double"),
                     ("guard", "test_double_more"), ("test", "test_double_more"), ("answer", "square"),
                     ("guard", "test_square"), ("test", "test_square")]
    steps = {(s.kind, s.grade_id): s.source for s in restored.steps}
    assert steps[("answer", "double")] == "def double(x):\n    return x + x"
    assert "BEGIN HIDDEN TESTS" in steps[("test", "test_double")]  # the source's cell, hidden tests included
    assert all("return 0" not in s.source for s in restored.steps)  # the learner's extra cell is dropped
    assert restored.answer_state == {"double": "answered", "square": "unchanged"}
    assert restored.notes == {"test_double": ("test cell 'test_double' was edited in the submission; "
                                              "the original was run",)}


def test_restore_handles_missing_and_duplicated_cells(mini):
    source, released = mini
    answers = {"double": "def double(x):\n    return 2 * x"}
    learner = read_submission(learner_json(released, answers, drop=("square", "test_square"),
                                           duplicate=("double", "test_double")))
    restored = restore(source, learner, released)
    assert restored.answer_state == {"double": "answered", "square": "missing"}
    square = [s for s in restored.steps if s.grade_id == "square"][0]
    assert square.source == released["square"]  # graded as the released placeholder
    assert restored.notes["test_double"] == (
        "answer cell 'double' appears 2 times; the last copy was graded",


        "test cell 'test_double' was duplicated in the submission (2 copies); the original was run")
    assert restored.notes["test_square"] == ("test cell 'test_square' was removed from the submission; "
                                             "the original was run",)


def test_last_copy_of_a_duplicated_answer_wins(mini):
    source, released = mini
    data = json.loads(learner_json(released, duplicate=("double",)))
    copies = [c for c in data["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "double"]
    copies[0]["source"], copies[1]["source"] = "def double(x): return 0", "def double(x): return 2*x"
    restored = restore(source, read_submission(json.dumps(data).encode()), released)
    assert [s.source for s in restored.steps if s.kind == ANSWER][0] == "def double(x): return 2*x"
