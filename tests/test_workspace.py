"""The learner's workspace (my-work/): copies made once, refreshed only while unedited."""

import json
import subprocess
import sys

import nbformat
import pytest

from lrcourse import workspace


def _notebook(path, *sources, outputs=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    if outputs:
        nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=outputs)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture()
def course(tmp_path):
    root = tmp_path / "course"
    (root / "docs" / "figures").mkdir(parents=True)
    (root / "course.py").write_text("# the course's set-up script\n")
    (root / "README.md").write_text("# The course\n")
    (root / "docs" / "figures" / "a.png").write_bytes(b"png")
    _notebook(root / "notebooks" / "01_lesson.ipynb", "x = 1")
    _notebook(root / "exercises" / "01_exercise.ipynb", "answer = None")
    _notebook(root / "exercises" / "source" / "01_exercise" / "01_exercise.ipynb", "answer = 42")
    return root


def test_first_start_copies_every_notebook_and_the_course_pages(course):
    mine, messages = workspace.prepare(course)
    assert mine == course / "my-work"
    assert messages == ["made your own copies of 2 course notebooks in my-work/ (git pull never touches them)"]
    for relative in ("notebooks/01_lesson.ipynb", "exercises/01_exercise.ipynb", "README.md",
                     "docs/figures/a.png"):
        assert (mine / relative).read_bytes() == (course / relative).read_bytes()
    assert not (mine / "exercises" / "source").exists(), "the solutions must not be copied"
    assert workspace.prepare(course) == (mine, []), "a second start has nothing to do"


def test_an_unedited_copy_follows_the_course_even_after_running_it(course):
    mine, _ = workspace.prepare(course)
    _notebook(mine / "notebooks" / "01_lesson.ipynb", "x = 1", outputs="ran it\n")  # run, not edited
    _notebook(course / "notebooks" / "01_lesson.ipynb", "x = 2")                   # a course update
    _, messages = workspace.prepare(course)
    assert messages == ["updated notebooks/01_lesson.ipynb to the course's new version (you had not edited it)"]
    assert (mine / "notebooks" / "01_lesson.ipynb").read_bytes() == (course / "notebooks" / "01_lesson.ipynb").read_bytes()


def test_an_edited_copy_is_never_overwritten(course):
    mine, _ = workspace.prepare(course)
    answer = mine / "exercises" / "01_exercise.ipynb"
    _notebook(answer, "answer = 41  # my work")
    mine_before = answer.read_bytes()
    assert workspace.prepare(course)[1] == [], "no course update: nothing to say"
    _notebook(course / "exercises" / "01_exercise.ipynb", "answer = None  # clearer instructions")
    for _ in range(2):
        _, messages = workspace.prepare(course)
        assert messages == ["kept your edited exercises/01_exercise.ipynb; the course has a newer "
                            "version at exercises/01_exercise.ipynb in the course folder"]
        assert answer.read_bytes() == mine_before


def test_a_deleted_copy_comes_back_and_new_course_notebooks_arrive(course):
    mine, _ = workspace.prepare(course)
    (mine / "exercises" / "01_exercise.ipynb").unlink()
    _notebook(course / "notebooks" / "02_next.ipynb", "y = 1")
    _, messages = workspace.prepare(course)
    assert messages[0].startswith("made your own copies of 2 course notebooks")
    assert (mine / "notebooks" / "02_next.ipynb").exists()


def test_the_fingerprint_ignores_outputs_and_metadata(tmp_path):
    _notebook(tmp_path / "a.ipynb", "x = 1")
    _notebook(tmp_path / "b.ipynb", "x = 1", outputs="1\n")
    _notebook(tmp_path / "c.ipynb", "x = 2")
    assert workspace.fingerprint(tmp_path / "a.ipynb") == workspace.fingerprint(tmp_path / "b.ipynb")
    assert workspace.fingerprint(tmp_path / "a.ipynb") != workspace.fingerprint(tmp_path / "c.ipynb")


def test_the_course_root_is_this_repository_and_can_be_overridden(course, monkeypatch):
    monkeypatch.delenv("LRCOURSE_COURSE_ROOT", raising=False)
    assert (workspace.course_root() / "course.py").is_file()
    monkeypatch.setenv("LRCOURSE_COURSE_ROOT", str(course))
    assert workspace.course_root() == course
    assert workspace.exercises_dir() is None, "no workspace before the first `lab`"
    workspace.prepare()
    assert workspace.exercises_dir() == course / "my-work" / "exercises"
    monkeypatch.setenv("LRCOURSE_COURSE_ROOT", str(course / "docs"))
    assert workspace.course_root() is None


def test_the_command_prints_the_workspace_last(course):
    env = {"LRCOURSE_COURSE_ROOT": str(course), "PATH": ""}
    done = subprocess.run([sys.executable, "-m", "lrcourse.workspace", "--prepare"],
                          env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == str(course / "my-work")
    record = json.loads((course / "my-work" / ".lrcourse" / "copies.json").read_text())
    assert sorted(record) == ["exercises/01_exercise.ipynb", "notebooks/01_lesson.ipynb"]
    wrong = subprocess.run([sys.executable, "-m", "lrcourse.workspace"], env=env,
                           capture_output=True, text=True)
    assert wrong.returncode == 2 and "usage" in wrong.stderr


def test_an_edited_copy_gets_the_courses_new_cell_settings_and_keeps_its_cells(course):
    mine, _ = workspace.prepare(course)
    answer = mine / "exercises" / "01_exercise.ipynb"
    edited = nbformat.read(answer, as_version=4)
    edited.cells[0].source = "answer = 41  # my work"
    edited.cells.append(nbformat.v4.new_code_cell("scratch = 1"))
    nbformat.write(edited, answer)
    update = nbformat.read(course / "exercises" / "01_exercise.ipynb", as_version=4)
    update.cells[0].metadata["nbgrader"] = {"checksum": "abc", "grade_id": "answer"}
    update.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                     "language": "python"}
    nbformat.write(update, course / "exercises" / "01_exercise.ipynb")
    _, messages = workspace.prepare(course)
    assert messages == ["updated the cell settings of exercises/01_exercise.ipynb to the course's "
                        "new version (your edits are kept)"]
    result = nbformat.read(answer, as_version=4)
    assert [c.source for c in result.cells] == ["answer = 41  # my work", "scratch = 1"]
    assert result.cells[0].metadata["nbgrader"]["checksum"] == "abc"
    assert result.metadata["kernelspec"]["display_name"] == "Python 3 (ipykernel)"
    assert workspace.prepare(course)[1] == [], "once brought over, nothing more to say"


def test_a_record_from_before_file_hashes_still_works(course):
    mine, _ = workspace.prepare(course)
    record_path = mine / ".lrcourse" / "copies.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({key: value["sources"] for key, value in record.items()}))
    assert workspace.prepare(course)[1] == [], "unchanged copies: nothing to say"
    assert all(isinstance(v, dict) for v in json.loads(record_path.read_text()).values())
