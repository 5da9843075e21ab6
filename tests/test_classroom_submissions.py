"""Tests of lrcourse.classroom.submissions: finding exercises and submissions, flat folders, links."""

from __future__ import annotations

import os

import pytest
from classroom_support import write_mini_source

from lrcourse.classroom.restore import InvalidNotebook, read_submission
from lrcourse.classroom.submissions import (
    discover_submissions, find_exercises, layout_flat_folder, scan_class, split_flat_name,
)


def test_discover_finds_both_layouts_and_ignores_hidden(tmp_path):
    for relative in ["alice/01_gd.ipynb", "bob/01_gd/01_gd.ipynb", "bob/02_sgd.ipynb",
                     "carol/.ipynb_checkpoints/01_gd-checkpoint.ipynb", ".hidden/01_gd.ipynb",
                     "carol/notes.txt"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("{}")
    learners, found = discover_submissions(tmp_path)
    assert learners == ["alice", "bob", "carol"]
    assert [(s.learner, s.exercise) for s in found] == [("alice", "01_gd"), ("bob", "01_gd"), ("bob", "02_sgd")]


def test_find_exercises_reads_nbgrader_source_layout(tmp_path):
    write_mini_source(tmp_path)
    (tmp_path / "stray").mkdir()
    assert list(find_exercises(tmp_path)) == ["00_mini"]
    with pytest.raises(ValueError, match="source_dir must be a folder of nbgrader source exercises"):
        find_exercises(tmp_path / "nope")


@pytest.mark.parametrize("filename, expected", [
    ("alice_01_gradient_descent.ipynb", ("alice", "01_gradient_descent")),
    ("mary_ann_01_gradient_descent.ipynb", ("mary_ann", "01_gradient_descent")),
    ("bob.smith-01_gradient_descent.ipynb", ("bob.smith", "01_gradient_descent")),
    ("carol_01_gradient_descent_extra.ipynb", ("carol", "01_gradient_descent_extra")),
    ("01_gradient_descent.ipynb", None),
    ("alice_02_other.ipynb", None),
    ("alice_01_gradient_descent.txt", None),
])
def test_flat_names_split_on_the_longest_exercise_suffix(filename, expected):
    exercises = ["01_gradient_descent", "01_gradient_descent_extra", "descent"]
    if filename.startswith("carol"):
        assert split_flat_name(filename, exercises) == expected
    else:
        assert split_flat_name(filename, exercises[:2]) == expected


def test_layout_flat_folder_copies_and_reports(tmp_path):
    flat, dest = tmp_path / "flat", tmp_path / "subs"
    flat.mkdir()
    (flat / "alice_01_gd.ipynb").write_text("A")
    (flat / "bob-01_gd.ipynb").write_text("B")
    (flat / "whatever.ipynb").write_text("?")
    (dest / "carol").mkdir(parents=True)
    (dest / "carol" / "01_gd.ipynb").write_text("old")
    (flat / "carol_01_gd.ipynb").write_text("new")
    layout = layout_flat_folder(flat, dest, ["01_gd"])
    assert [(s.learner, s.exercise) for s in layout.copied] == [("alice", "01_gd"), ("bob", "01_gd")]
    assert [p.name for p in layout.unmatched] == ["whatever.ipynb"]
    assert [p.name for p in layout.conflicts] == ["carol_01_gd.ipynb"]
    assert (dest / "alice" / "01_gd.ipynb").read_text() == "A"
    assert (dest / "carol" / "01_gd.ipynb").read_text() == "old"
    assert (flat / "alice_01_gd.ipynb").exists()  # copied, not moved


def test_scan_never_follows_a_link_and_reports_every_entry(tmp_path):
    root, elsewhere = tmp_path / "subs", tmp_path / "elsewhere"
    (root / "alice" / "01_gd").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "secret.ipynb").write_text('{"cells": []}')
    (root / "alice" / "01_gd.ipynb").write_text('{"cells": []}')
    (root / "alice" / "01_gd" / "01_gd.ipynb").write_text('{"cells": [1]}')
    (root / "alice" / "02_x.ipynb").symlink_to(elsewhere / "secret.ipynb")
    (root / "alice" / "linked").symlink_to(elsewhere)
    (root / "alice" / "notes.txt").write_text("hi")
    (root / "alice" / ".ipynb_checkpoints").mkdir()
    (root / "bob").symlink_to(root / "alice")
    (root / ".git").mkdir()
    (root / "README").write_text("x")
    os.mkfifo(root / "alice" / "03_fifo.ipynb")
    scan = scan_class(root)
    assert scan.learners == ["alice", "bob"]
    assert scan.refused_learners == {"bob": "the folder bob/ is a symbolic link: links are never "
                                            "followed; submit the folder itself"}
    by_path = {s.relative: s for s in scan.submissions}
    assert by_path["alice/01_gd.ipynb"].data == b'{"cells": []}'
    assert by_path["alice/01_gd/01_gd.ipynb"].data == b'{"cells": [1]}'
    assert by_path["alice/02_x.ipynb"].data is None and by_path["alice/02_x.ipynb"].refused
    assert "symbolic link" in by_path["alice/02_x.ipynb"].problem
    assert by_path["alice/03_fifo.ipynb"].data is None  # never opened for a blocking read
    assert "not a regular file" in by_path["alice/03_fifo.ipynb"].problem
    assert [(k.learner, k.relative, k.status) for k in scan.skipped] == [
        ("", ".git/", "not graded"), ("", "README", "not graded"),
        ("alice", "alice/.ipynb_checkpoints/", "not graded"), ("alice", "alice/linked", "refused"),
        ("alice", "alice/notes.txt", "not graded")]


def test_collect_does_not_copy_links(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (tmp_path / "target.ipynb").write_text("solutions")
    (flat / "eve_01_gd.ipynb").symlink_to(tmp_path / "target.ipynb")
    layout = layout_flat_folder(flat, tmp_path / "subs", ["01_gd"])
    assert layout.copied == [] and [p.name for p in layout.links] == ["eve_01_gd.ipynb"]
    assert not (tmp_path / "subs").exists()


@pytest.mark.parametrize("data, message", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"cells": ' + b"1" * 5000 + b"}", "Exceeds the limit (4300 digits)"),
])
def test_hostile_json_is_an_invalid_notebook_not_a_crash(data, message):
    with pytest.raises(InvalidNotebook, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_submission(data)
