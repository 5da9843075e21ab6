"""Static checks of the committed lesson notebooks (nbval executes them separately).

The lessons are committed WITH their outputs, so they render (figures included)
without running; ``benchmarks/bench_notebooks.py --write`` makes those outputs from a
clean top-to-bottom run. These tests check that the stored files are clean and
follow the course's lesson template.
"""

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from lrcourse import notebook_json

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "00_start_here", "01_gradient_descent", "02_stochastic_gd", "03_momentum",
    "04_schedules", "05_adaptive_methods", "06_tuning", "07_generalization_capstone",
]
MACHINE_PATH = re.compile(r"(/tmp/|/root/|/home/[^/\s]+/|/Users/[^/\s]+/|site-packages|[A-Z]:\\\\Users)")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def test_all_lessons_exist_in_order():
    assert [p.stem for p in LESSONS] == EXPECTED


@pytest.fixture(params=LESSONS, ids=lambda p: p.stem)
def lesson(request):
    return request.param, load(request.param)


def test_kernel_and_size(lesson):
    path, nb = lesson
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert path.stat().st_size < 3_000_000, "large outputs make the repository heavy"


def test_outputs_are_clean_and_from_one_top_to_bottom_run(lesson):
    path, nb = lesson
    counts = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        counts.append(cell.get("execution_count"))
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", f"cell {index} stores an error"
            assert output.get("name") != "stderr", f"cell {index} stores a warning (stderr)"
        assert not MACHINE_PATH.search(json.dumps(cell.get("outputs", []))), (
            f"cell {index} output shows a path of the machine it ran on")
        assert not MACHINE_PATH.search(text(cell)), f"cell {index} source has a machine path"
    assert counts == list(range(1, len(counts) + 1)), (
        "stored outputs must come from one clean run (benchmarks/bench_notebooks.py --write)")


def test_lesson_template(lesson):
    path, nb = lesson
    markdown = [text(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    opening, closing = markdown[0].lower(), "\n".join(markdown[-2:]).lower()
    for needed in ("learning objectives", "prerequisites", "estimated time"):
        assert needed in opening, f"the first cell must state the {needed}"
    assert "summary" in closing, "the lesson must end with a summary"
    number = path.stem[:2]
    if number != "00":
        assert f"../exercises/{number}_" in closing, "the end must link to the lesson's exercise"


def test_lesson_uses_the_library_and_a_live_widget(lesson):
    path, nb = lesson
    code = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert "lrcourse" in code
    assert "widgets" in code, "every lesson has at least one live explorer from lrcourse.widgets"
    assert "import *" not in code


def _defined_functions(nb):
    names = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(text(cell))
        except SyntaxError:  # IPython magics
            continue
        names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    return names


def test_no_helper_is_copied_between_lessons():
    owners = defaultdict(list)
    for path in LESSONS:
        for name in _defined_functions(load(path)):
            owners[name].append(path.stem)
    copied = {name: where for name, where in owners.items() if len(where) > 1}
    assert not copied, f"helpers defined in several lessons belong in lrcourse: {copied}"


ALL_NOTEBOOKS = sorted([*ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"), *ROOT.glob("exercises/[0-9][0-9]_*.ipynb"),
                        *ROOT.glob("exercises/source/*/[0-9][0-9]_*.ipynb")])


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_opens_in_jupyterlab_without_changing(path):
    """JupyterLab rewrites a notebook on open when its kernel metadata differs from the
    kernel's, and on save turns whole-number floats into integers: neither may happen."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    expected = notebook_json.kernel_metadata()
    assert notebook["metadata"]["kernelspec"] == expected["kernelspec"]
    info = notebook["metadata"]["language_info"]
    assert sorted(info) == sorted(expected["language_info"])
    assert {k: v for k, v in info.items() if k != "version"} == \
        {k: v for k, v in expected["language_info"].items() if k != "version"}
    assert json.dumps(notebook_json.browser_stable(notebook)) == json.dumps(notebook), (
        "a whole-number float (e.g. 10.0) would be saved back as an integer: write the "
        "notebook with lrcourse.notebook_json.write")


def test_browser_stable_numbers():
    value = {"base": 10.0, "min": -5.0, "step": 0.01, "big": 1e21, "n": 3, "nested": [2.0, 2.5]}
    assert notebook_json.browser_stable(value) == value
    assert json.dumps(notebook_json.browser_stable(value)) == \
        '{"base": 10, "min": -5, "step": 0.01, "big": 1e+21, "n": 3, "nested": [2, 2.5]}'


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("path", [*LESSONS, *sorted(ROOT.glob("exercises/[0-9][0-9]_*.ipynb")),
                                  ROOT / "README.md"], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_in_the_course_and_in_my_work(path):
    """Links between lessons, exercises, the README and docs/ work in the repository and
    in the learner's my-work/ copy, which keeps the same layout (lrcourse.workspace)."""
    from lrcourse import workspace

    if path.suffix == ".ipynb":
        sources = [text(cell) for cell in load(path)["cells"] if cell["cell_type"] == "markdown"]
    else:
        sources = [path.read_text(encoding="utf-8")]
    targets = {m.group(1).split("#")[0] for source in sources for m in LINK.finditer(source)}
    targets = {t for t in targets if t and "://" not in t and not t.startswith("mailto:")}
    copied = workspace.COPIED_FOLDERS + workspace.MIRRORED
    for target in targets:
        resolved = (path.parent / target).resolve()
        assert resolved.exists(), f"{path.name}: link {target} points nowhere"
        top = resolved.relative_to(ROOT).parts[0]
        assert top in copied, f"{path.name}: link {target} leaves what my-work/ holds ({copied})"
