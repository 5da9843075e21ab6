"""nbgrader's format: validation, the learner's notebook, release and sync checks."""

from pathlib import Path

import nbformat
import pytest

from lrcourse import notebook_format as nf
from lrcourse.notebook_format import (
    CODE_STUB, FormatError, leaks, make_student_notebook, new_code_cell, new_markdown_cell,
    out_of_sync, release, student_notebook_text, validate,
)

SOLUTION = '''def step(x, lr):
    """Docstring stays."""
    ### BEGIN SOLUTION
    y = x * 2
    return x - lr * y
    ### END SOLUTION'''

ROOT = Path(__file__).resolve().parents[1]

GRADE = '''from lrcourse.grading.ex01 import check_step
### BEGIN HIDDEN TESTS
check_step(step, hidden=True)
### END HIDDEN TESTS
check_step(step)'''


def small_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["celltoolbar"] = "Create Assignment"
    nb.cells = [
        new_markdown_cell("# Title", "intro"),
        new_code_cell("import numpy as np", "setup", kind="locked"),
        new_code_cell(SOLUTION, "step", kind="solution"),
        new_code_cell(GRADE, "check_step", kind="grade", points=2),
        nbformat.v4.new_code_cell("scratch = 1"),
    ]
    return nb


def test_helpers_write_nbgrader_schema_3_metadata():
    nb = small_notebook()
    assert nb.cells[3].metadata["nbgrader"] == {
        "schema_version": 3, "grade": True, "grade_id": "check_step", "locked": True,
        "solution": False, "points": 2}
    assert nb.cells[2].metadata["nbgrader"] == {
        "schema_version": 3, "grade": False, "grade_id": "step", "locked": False, "solution": True}
    assert nb.cells[0].metadata["nbgrader"]["locked"] is True
    assert nb.cells[3].id == "check_step"
    nbformat.validate(nb)
    validate(nb)
    with pytest.raises(TypeError, match="^points must be a positive finite number; got None"):
        new_code_cell("x", "g", kind="grade")
    with pytest.raises(TypeError, match="^points must be a positive finite number; got True"):
        new_code_cell("x", "g", kind="grade", points=True)
    with pytest.raises(ValueError, match="^points must be a positive finite number; got inf"):
        new_code_cell("x", "g", kind="grade", points=float("inf"))
    with pytest.raises(ValueError, match="^points must be None for a solution or locked cell"):
        new_code_cell("x", "g", kind="locked", points=2)
    with pytest.raises(ValueError, match="kind must be one of"):
        new_code_cell("x", "g", kind="test")


def test_student_notebook_replaces_solutions_with_the_indented_stub():
    nb = small_notebook()
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="✔")]
    nb.cells[3].execution_count = 4
    student = make_student_notebook(nb)
    assert student.cells[2].source == (
        'def step(x, lr):\n    """Docstring stays."""\n    # YOUR CODE HERE\n    raise NotImplementedError()')
    assert student.cells[3].source == "from lrcourse.grading.ex01 import check_step\ncheck_step(step)"
    assert student.cells[3].outputs == [] and student.cells[3].execution_count is None
    assert "celltoolbar" not in student.metadata
    # locking as nbgrader's LockCells does
    assert student.cells[0].metadata["editable"] is False and student.cells[0].metadata["deletable"] is False
    assert student.cells[3].metadata["editable"] is False
    assert "editable" not in student.cells[2].metadata and student.cells[2].metadata["deletable"] is False
    assert "deletable" not in student.cells[4].metadata
    # the source is untouched and nbgrader metadata is kept
    assert "BEGIN SOLUTION" in nb.cells[2].source
    released = dict(student.cells[3].metadata["nbgrader"])
    assert released.pop("cell_type") == "code" and len(released.pop("checksum")) == 32
    assert released == nb.cells[3].metadata["nbgrader"]
    assert leaks(student, nb) == []


def test_a_solution_cell_without_a_region_becomes_the_stub_and_markdown_gets_the_text_stub():
    nb = small_notebook()
    answer = nbformat.v4.new_markdown_cell("My explanation")
    answer.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": True, "locked": False,
                                   "grade_id": "explain", "points": 1}
    nb.cells.append(answer)
    student = make_student_notebook(nb)
    assert student.cells[-1].source == nf.TEXT_STUB


def test_several_regions_in_one_cell():
    nb = small_notebook()
    nb.cells[2].source = SOLUTION + "\n\n\ndef other():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    student = make_student_notebook(nb)
    assert student.cells[2].source.count("raise NotImplementedError()") == 2
    assert "return 1" not in student.cells[2].source


@pytest.mark.parametrize("change, message", [
    (lambda nb: nb.cells[3].metadata["nbgrader"].update(locked=False), "must be locked"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].pop("points"), "needs points"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].update(points=0), "points > 0"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].update(points=-1), "points must be >= 0"),
    (lambda nb: nb.cells[2].metadata["nbgrader"].update(locked=True), "must not be locked"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(grade_id="intro"), "already used"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(grade_id="bad id!"), "letters, digits"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(grade_id=""), "non-empty grade_id"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(schema_version=2), "schema_version must be 3"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(color="red"), "unknown key 'color'"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].pop("solution"), "lacks 'solution'"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(grade="yes"), "wrong type"),
    (lambda nb: nb.cells[0].metadata["nbgrader"].update(grade=True, points=1), "both grade and solution"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(task=True), "task cells must be markdown"),
    (lambda nb: setattr(nb.cells[1], "source", "### BEGIN SOLUTION\nx\n### END SOLUTION"), "not a solution cell"),
    (lambda nb: setattr(nb.cells[4], "source", "### BEGIN SOLUTION\nx\n### END SOLUTION"), "without nbgrader metadata"),
    (lambda nb: setattr(nb.cells[1], "source", "### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS"), "not a grade cell"),
    (lambda nb: setattr(nb.cells[2], "source", "def f():\n    ### BEGIN SOLUTION\n    pass"), "never closed"),
    (lambda nb: setattr(nb.cells[2], "source", "def f():\n    ### END SOLUTION"), "without a begin"),
    (lambda nb: setattr(nb.cells[2], "source", "    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n"), "nested"),
    (lambda nb: setattr(nb.cells[2], "source", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), "not indented"),
    (lambda nb: setattr(nb.cells[2], "source", "def f():\n    return 1"), "needs a ### BEGIN SOLUTION region"),
])
def test_validate_names_each_problem(change, message):
    nb = small_notebook()
    change(nb)
    with pytest.raises(FormatError, match=message):
        validate(nb, name="nb")


def test_validate_requires_cleared_outputs_in_sources():
    nb = small_notebook()
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x")]
    with pytest.raises(FormatError, match="outputs are stored"):
        validate(nb)
    validate(nb, source=False)
    make_student_notebook(nb)  # the learner's version is made from a notebook with outputs too


def test_leaks_finds_solution_lines_and_markers_but_not_shared_lines():
    nb = small_notebook()
    student = make_student_notebook(nb)
    student.cells[4].source = "y = x * 2"
    assert leaks(student, nb) == ["the line 'y = x * 2'"]
    student.cells[4].source = "check_step(step, hidden=True)"
    assert leaks(student, nb) == ["the line 'check_step(step, hidden=True)'"]
    student.cells[4].source = "# ### BEGIN SOLUTION"
    assert "the marker 'BEGIN SOLUTION'" in leaks(student, nb)
    # a line that also appears outside the regions is not a leak
    nb.cells[4].source = "y = x * 2"
    student.cells[4].source = "y = x * 2"
    assert leaks(student, nb) == []


def _course(tmp_path, names=("01_one", "02_two")):
    for name in names:
        folder = tmp_path / "source" / name
        folder.mkdir(parents=True)
        nbformat.write(small_notebook(), folder / f"{name}.ipynb")
    return tmp_path / "source", tmp_path


def test_release_writes_one_learner_notebook_per_source_and_sync_is_checked(tmp_path):
    source, dest = _course(tmp_path)
    assert out_of_sync(source, dest) == [f"{dest / '01_one.ipynb'} is missing", f"{dest / '02_two.ipynb'} is missing"]
    written = release(source, dest)
    assert [p.name for p in written] == ["01_one.ipynb", "02_two.ipynb"]
    assert out_of_sync(source, dest) == []
    text = (dest / "01_one.ipynb").read_text(encoding="utf-8")
    assert text == student_notebook_text(nbformat.read(source / "01_one" / "01_one.ipynb", as_version=4))
    assert text.endswith("}\n") and CODE_STUB.split("\n")[1] in text
    # stale, orphaned and broken notebooks are reported
    (dest / "02_two.ipynb").write_text(text.replace("Title", "Changed"), encoding="utf-8")
    (dest / "03_orphan.ipynb").write_text(text, encoding="utf-8")
    problems = out_of_sync(source, dest)
    assert any("02_two.ipynb differs" in p for p in problems)
    assert any("03_orphan.ipynb has no source" in p for p in problems)
    release(source, dest, names=["02_two"])
    assert not any("02_two" in p for p in out_of_sync(source, dest))
    with pytest.raises(FileNotFoundError, match="no source notebook"):
        release(source, dest, names=["09_missing"])


def test_command_line_regenerates_and_checks(tmp_path, capsys):
    source, dest = _course(tmp_path, names=("01_one",))
    args = ["--source", str(source), "--dest", str(dest)]
    assert nf.main(args + ["--check"]) == 1
    assert "01_one.ipynb is missing" in capsys.readouterr().out
    assert nf.main(args) == 0
    assert "wrote" in capsys.readouterr().out
    assert nf.main(args + ["--check"]) == 0
    assert "in sync" in capsys.readouterr().out
    broken = nbformat.read(source / "01_one" / "01_one.ipynb", as_version=4)
    broken.cells[3].metadata["nbgrader"]["locked"] = False
    nbformat.write(broken, source / "01_one" / "01_one.ipynb")
    assert nf.main(args) == 1
    assert "must be locked" in capsys.readouterr().err


def test_released_cells_carry_nbgraders_checksum_and_cell_type():
    """Values from nbgrader 0.9.6's utils.compute_checksum: with them `nbgrader validate`
    tells a learner that a test cell was changed, and the released notebooks are
    byte-identical to `nbgrader generate_assignment`'s."""
    from lrcourse.notebook_format import nbgrader_checksum

    grade = new_code_cell("check(f)", "check_f", kind="grade", points=2)
    solution = new_code_cell("def f():\n    pass", "f", kind="solution")
    assert nbgrader_checksum(grade) == "084993592bdb30250fe817eef7b60359"
    assert nbgrader_checksum(solution) == "9b81cf7991b5e439fc10ed7271b945ed"
    grade.source = "pass  # the check deleted"
    assert nbgrader_checksum(grade) != "084993592bdb30250fe817eef7b60359"
    for path in sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        marked = [c for c in nb.cells if "nbgrader" in c.metadata]
        assert marked and all(c.metadata.nbgrader["checksum"] == nbgrader_checksum(c)
                              and c.metadata.nbgrader["cell_type"] == c.cell_type for c in marked)
