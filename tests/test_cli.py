"""Tests of lrcourse.cli: the instructor's commands (help, release, collect, grade, progress)."""

from __future__ import annotations

import nbformat
import pytest
from classroom_support import write_mini_source

from lrcourse import cli
from lrcourse.classroom.batch import grade_class


def test_cli_help_has_examples(capsys):
    for command in ("grade", "release", "collect"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and f"lrcourse {command}" in text
    assert "container or VM" in cli.build_parser().format_help() + cli._GRADE_EXAMPLES


def test_cli_release_uses_the_course_generator(tmp_path, capsys):
    source_dir = tmp_path / "source"
    path = write_mini_source(source_dir)
    assert cli.main(["release", "--source", str(source_dir), "--to", str(tmp_path / "handout")]) == 0
    from lrcourse.notebook_format import student_notebook_text

    expected = student_notebook_text(nbformat.read(str(path), as_version=4), name=path.name)
    assert (tmp_path / "handout" / "00_mini.ipynb").read_text(encoding="utf-8") == expected
    assert cli.main(["release", "nope", "--source", str(source_dir), "--to", str(tmp_path / "h")]) == 1
    assert "no source notebook for ['nope']" in capsys.readouterr().err


def test_cli_collect_and_grade_argument_errors(tmp_path, capsys):
    source_dir = tmp_path / "source"
    write_mini_source(source_dir)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "alice_00_mini.ipynb").write_text("{}")
    assert cli.main(["collect", str(flat), "--to", str(tmp_path / "subs"), "--source", str(source_dir)]) == 0
    assert (tmp_path / "subs" / "alice" / "00_mini.ipynb").exists()
    code = cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "subs" / "grades"),
                     "--source", str(source_dir)])
    assert code == 1
    assert "out_dir must be a folder outside the submissions folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"), "--memory", "lots"])
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"),
                     "--source", str(source_dir), "--exercise", "99_none"]) == 1
    assert "exercise must be one of 00_mini; got '99_none'" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"),
                     "--source", str(source_dir), "--learner", "zoe"]) == 1
    err = capsys.readouterr().err
    assert "learner must be a folder in" in err and "got 'zoe'. the learners there are alice" in err


def test_without_bubblewrap_grade_says_so_or_refuses(tmp_path, monkeypatch, capsys):
    from lrcourse.classroom import batch

    source_dir = tmp_path / "source"
    write_mini_source(source_dir)
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    monkeypatch.setattr(batch, "sandbox_available", lambda: (False, "bwrap is not installed"))
    result = grade_class(tmp_path / "subs", source_dir, None, exercises=["00_mini"], progress=False)
    assert result.sandbox == "none"
    assert result.warnings == ["no sandbox (bwrap is not installed): learner code runs as a plain "
                               "process under the resource limits only (see docs/instructor.md)"]
    with pytest.raises(RuntimeError, match="no sandbox: bwrap is not installed; refusing to grade"):
        grade_class(tmp_path / "subs", source_dir, None, exercises=["00_mini"], sandbox="require")
    code = cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--source",
                     str(source_dir), "--exercise", "00_mini", "--require-sandbox", "--quiet"])
    assert code == 2 and "refusing to grade (--require-sandbox)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_progress_passes_its_arguments_on(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["progress", "--help"])
    assert exit_info.value.code == 0
    assert "usage: lrcourse progress" in capsys.readouterr().out
