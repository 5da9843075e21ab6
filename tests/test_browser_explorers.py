"""Real-browser test of every lesson's live explorer: JupyterLab + Chromium at 1280×800.

One private JupyterLab serves copies of the lessons (outputs stripped; the course's
own files are never run).  For each lesson with an explorer the test runs the set-up
cell and the explorer cell(s), then moves every control of every explorer — sliders
by keyboard (one step at a time, as a drag does, then to both ends, which diverges),
dropdowns through each option, checkboxes off and on — and checks, after each move:

- the figure changed;
- the explorer's height did not change (nothing wraps or appears while dragging);
- every number in the result line has at most 3 significant digits;
- no control's label or readout is cut.

It also checks that the figure is drawn large enough to read (its smallest text at
least :data:`MIN_TEXT_PX` CSS pixels tall) at 1280×800 and 1920×1080.  Screenshots of
each explorer in each state go to ``test-artifacts/browser/explorers/``.

Skipped (failed under ``CI=true``) without Chromium, like ``test_browser.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from browser_support import find_chromium, jupyterlab_server, launch_chromium, require, wait_idle

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser" / "explorers"
#: Where the lessons are read from; LRCOURSE_EXPLORER_NOTEBOOKS points the test at draft
#: copies (an explorer meant for a lesson someone else is editing).
NOTEBOOKS = Path(os.environ.get("LRCOURSE_EXPLORER_NOTEBOOKS", ROOT / "notebooks"))
EXPLORER_CALL = re.compile(r"widgets\.(lr_explorer|momentum_explorer|schedule_explorer|optimizer_comparison"
                           r"|noise_floor_explorer|finder_explorer|generalization_explorer)\(")
VIEWPORTS = {"1280x800": {"width": 1280, "height": 800}, "1920x1080": {"width": 1920, "height": 1080}}
#: The smallest text in an explorer's figure (10 pt tick labels, 13.9 px at 100 dpi)
#: must be drawn at least this many CSS pixels tall.
MIN_TEXT_PX = 11.0
SMALLEST_FONT_PT = 10.0
TOKEN = "lrcourse-explorer-test"


def explorer_lessons() -> list[tuple[str, list[tuple[int, str]]]]:
    """(notebook name, [(cell index, explorer factory), …]) for every lesson with an explorer."""
    import nbformat

    lessons = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        cells = [(i, EXPLORER_CALL.search(cell.source).group(1)) for i, cell in enumerate(notebook.cells)
                 if cell.cell_type == "code" and EXPLORER_CALL.search(cell.source)]
        if cells:
            lessons.append((path.name, cells))
    return lessons


def copy_without_outputs(source: Path, target: Path) -> None:
    """A copy of a notebook with no outputs and no stored widget state."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, target)


def significant_digits(number: str) -> int:
    """Significant digits of a printed number ("0.70" → 2, "150" → 2, "2.8e-10" → 2)."""
    mantissa = re.split(r"[eE]", number)[0].lstrip("+-")
    if "." in mantissa:
        return len(mantissa.replace(".", "").lstrip("0")) or 1
    return len(mantissa.lstrip("0").rstrip("0")) or 1


NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def too_precise(text: str) -> list[str]:
    return [n for n in NUMBER.findall(text) if significant_digits(n) > 3]


def test_significant_digits_counts_what_a_reader_sees():
    assert [significant_digits(n) for n in ("0.70", "150", "2.8e-10", "0.000501", "1000", "0.501187")] \
        == [2, 2, 2, 3, 1, 6]
    assert too_precise("cosine(lr=0.501187, T_max=150, eta_min=0.000501187) | 2/λ_max = 2.00") \
        == ["0.501187", "0.000501187"]


# ----------------------------------------------------------------------- server

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A private JupyterLab on 127.0.0.1 serving copies of the lessons with explorers."""
    require(find_chromium() is not None,
            "Chromium not found: install Debian's chromium (apt-get install chromium) "
            "to run the browser tests")
    lessons = explorer_lessons()
    require(bool(lessons), "no lesson has an explorer yet")
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "course"
    (root / "notebooks").mkdir(parents=True)
    for name, _ in lessons:
        copy_without_outputs(NOTEBOOKS / name, root / "notebooks" / name)
    with jupyterlab_server(root, tmp, TOKEN) as url:
        yield url, lessons, tmp / "jupyterlab.log"


@pytest.fixture(scope="module")
def page(lab):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-test.txt installs it
        require(False, "the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport=VIEWPORTS["1280x800"])
        try:
            yield page
        finally:
            browser.close()


def shut_down_kernels(url: str) -> None:
    """End every kernel of the test server (one lesson at a time on 2 cores)."""
    with urllib.request.urlopen(f"{url}/api/sessions?token={TOKEN}", timeout=10) as answer:
        sessions = json.load(answer)
    for session in sessions:
        request = urllib.request.Request(f"{url}/api/sessions/{session['id']}?token={TOKEN}",
                                         method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()


# -------------------------------------------------------------------- the page

def open_lesson(page, url: str, name: str) -> None:
    """Open lesson ``name``: the first by URL, the next ones from the file browser
    (no reload of JupyterLab; the earlier tabs stay, hidden)."""
    if "/lab" not in page.url:
        page.goto(f"{url}/lab/tree/notebooks/{name}?reset&token={TOKEN}")
    else:
        page.locator(f".jp-DirListing-item[title*='Name: {name}']").dblclick()
        page.wait_for_function(
            "name => document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current "
            ".lm-TabBar-tabLabel')?.textContent === name", arg=name, timeout=60_000)
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell", timeout=60_000)
    wait_idle(page)


def run_cell(page, index: int) -> None:
    """Run the notebook's cell number ``index`` (0-based, all cell types counted)."""
    cell = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        "cell => /\\[\\d+\\]/.test(cell.querySelector('.jp-InputPrompt').textContent)",
        arg=cell.element_handle(), timeout=120_000)
    wait_idle(page)


class ExplorerView:
    """An explorer on the page: its figure, result line and height."""

    def __init__(self, page, root, label: str):
        self.page, self.root, self.label = page, root, label
        self.image = root.locator(".widget-image").first
        self.result = root.locator(".lrcourse-result").first
        self.shots = 0
        self.image.wait_for(timeout=60_000)
        self.root.scroll_into_view_if_needed()
        self.height = self.box_height()
        self.check_text(self.result.inner_text())

    def box_height(self) -> float:
        return self.root.evaluate("el => el.getBoundingClientRect().height")

    def src(self) -> str:
        return self.image.get_attribute("src")

    def wait_for_new_figure(self, old_src: str, what: str) -> None:
        try:
            self.page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                        arg=[self.image.element_handle(), old_src], timeout=15_000)
        except Exception as error:  # playwright's TimeoutError
            self.screenshot(f"FAILED-{what}")
            raise AssertionError(f"{self.label}: the figure did not change after {what}") from error

    def check_text(self, text: str) -> None:
        assert text.strip(), f"{self.label}: empty result line"
        assert not too_precise(text), (
            f"{self.label}: the result line prints {too_precise(text)} (more than 3 significant "
            f"digits): {text!r}")

    def after(self, what: str, old_src: str, *, same_height: bool = True) -> None:
        """Checks after a control moved: new figure, height kept, short numbers."""
        self.wait_for_new_figure(old_src, what)
        wait_idle(self.page)  # every message of this update has arrived
        if same_height:
            height = self.box_height()
            if abs(height - self.height) > 0.5:
                self.screenshot(f"FAILED-height-{what}")
                raise AssertionError(f"{self.label}: the explorer's height changed from "
                                     f"{self.height:.0f} to {height:.0f} px after {what}")
        self.height = self.box_height()
        self.check_text(self.result.inner_text())

    def screenshot(self, state: str) -> Path:
        self.shots += 1
        path = ARTIFACTS / f"{self.label}_{self.shots:02d}_{re.sub(r'[^A-Za-z0-9.+-]+', '-', state)}.png"
        self.root.scroll_into_view_if_needed()
        self.root.screenshot(path=str(path))
        return path

    # ------------------------------------------------------------------ controls
    def sliders(self) -> list:
        """The visible sliders that are not greyed out (an unticked optimizer's is)."""
        return [slider for slider in self.root.locator(".widget-slider:visible").all()
                if not slider.locator("[disabled]").count()]

    def press(self, handle, key: str, what: str) -> bool:
        """Press ``key`` on a slider handle; False if the value did not move (at an end)."""
        before = (handle.get_attribute("aria-valuenow"), self.src())
        handle.focus()
        self.page.keyboard.press(key)
        if handle.get_attribute("aria-valuenow") == before[0]:
            return False
        self.after(f"{what} {key}", before[1])
        return True

    @staticmethod
    def label_of(slider) -> str:
        return slider.locator(".widget-label").first.inner_text()

    def drag_slider(self, slider, keys=("ArrowRight", "End", "Home"), shoot=("End",)) -> None:
        """Keys one at a time, as a drag sends them; a screenshot after those in ``shoot``."""
        handle = slider.locator(".noUi-handle").first
        name = self.label_of(slider)
        for key in keys:
            if self.press(handle, key, name) and key in shoot:
                self.screenshot(f"{name} {key}")

    def choose_each(self, select, visit=None) -> None:
        """Every option of a dropdown, in turn, back to the first; ``visit(option)`` at each."""
        start = select.evaluate("el => el.options[el.selectedIndex].text")
        options = select.locator("option").all_inner_texts()
        for option in options[options.index(start) + 1:] + options[:options.index(start) + 1]:
            before = self.src()
            select.select_option(label=option)
            self.after(f"choose {option}", before, same_height=False)
            self.screenshot(option)
            if visit is not None:
                visit(option)

    def toggle_each(self) -> None:
        """Every checkbox off and on again (the explorer keeps its height)."""
        boxes = self.root.locator("input[type=checkbox]").all()
        for box in boxes:
            name = box.evaluate("el => el.parentElement.textContent")
            for state in ("off", "on") if box.is_checked() else ("on", "off"):
                before = self.src()
                box.click()
                self.after(f"ticking {name} {state}", before)
            self.assert_nothing_cut()
        if boxes:
            self.screenshot("after toggling each optimizer")

    def assert_nothing_cut(self) -> None:
        """No label, readout or dropdown shows less than its text."""
        cut = self.root.evaluate("""root => {
            const cut = [];
            const font = el => getComputedStyle(el).font;
            const canvas = document.createElement('canvas').getContext('2d');
            const width = (text, el) => { canvas.font = font(el); return canvas.measureText(text).width; };
            for (const el of root.querySelectorAll(
                    '.widget-label, .widget-readout, .widget-label-basic span, .widget-checkbox label')) {
                if (el.offsetParent === null || !el.textContent.trim()) continue;
                if (el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent);
            }
            for (const el of root.querySelectorAll('select')) {
                if (el.offsetParent === null) continue;
                const text = el.options[el.selectedIndex].text;
                const style = getComputedStyle(el);
                const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                if (width(text, el) > room + 1) cut.push(text);
            }
            return cut;
        }""")
        assert not cut, f"{self.label}: cut labels {cut}"

    def assert_legible(self, viewport: str) -> None:
        scale = self.image.evaluate("el => el.getBoundingClientRect().width / el.naturalWidth")
        text_px = scale * SMALLEST_FONT_PT * 100 / 72
        assert text_px >= MIN_TEXT_PX, (
            f"{self.label}: at {viewport} the figure is drawn at {scale:.2f}× its size, so its "
            f"{SMALLEST_FONT_PT:.0f} pt text is {text_px:.1f} px (at least {MIN_TEXT_PX} needed)")


def exercise(view: ExplorerView, full: bool) -> None:
    """Move the controls of the explorer ``view``: η (its first slider) to both ends
    (the top end diverges), and with ``full`` every other control too — every
    slider, every checkbox off and on, each option of each dropdown (and the
    sliders and dropdowns that option shows)."""
    view.assert_nothing_cut()
    view.screenshot("start")
    sliders = view.sliders()
    view.drag_slider(sliders[0], keys=("ArrowRight", "ArrowRight", "Home", "End"), shoot=("Home", "End"))
    if not full:
        return
    # From here on η is at its largest: runs diverge, the state where notes crowd.
    for slider in sliders[1:]:
        view.drag_slider(slider, keys=("ArrowRight", "End"), shoot=())
    view.toggle_each()
    selects = view.root.locator("select:visible").all()
    names = {view.label_of(slider) for slider in sliders}

    def sweep_shown(option):
        view.assert_nothing_cut()
        for select in view.root.locator("select:visible").all()[len(selects):]:
            view.choose_each(select)  # a dropdown the option shows (the cyclic mode)
        for slider in view.sliders():
            if view.label_of(slider) not in names:  # a slider this option shows
                # To its low end: at the high end one can make the next one moot
                # (a first cycle of all 150 steps leaves T_mult nothing to do).
                view.drag_slider(slider, keys=("Home",), shoot=())

    for select in selects:
        view.choose_each(select, visit=sweep_shown)
    view.assert_nothing_cut()
    view.screenshot("after every control")


def assert_problem_switch_resets_the_rates(view: ExplorerView) -> None:
    """The optimizer comparison: every η slider at its end, then each problem in turn;
    every η readout (ticked or not) must show that problem's starting rate. (A newcomer
    saw GD keep Rosenbrock's 0.002 back on the quadratic: the browser's slider had sent
    its old value back after the kernel moved the slider's range.)"""
    from lrcourse.widgets.comparison import DEFAULT_LRS, OPTIMIZERS

    def rate_sliders():
        return [slider for slider in view.root.locator(".widget-slider").all()
                if view.label_of(slider) == "η"]

    for slider in rate_sliders():
        if not slider.locator("[disabled]").count():
            view.press(slider.locator(".noUi-handle").first, "End", "η")
    select = view.root.locator("select:visible").first
    for problem in [*DEFAULT_LRS][1:] + [*DEFAULT_LRS][:1]:
        before = view.src()
        select.select_option(label=problem)
        view.after(f"choose {problem}", before, same_height=False)
        time.sleep(0.5)  # a slider that would send its old value back has done so by now
        wait_idle(view.page)
        shown = [float(slider.locator(".widget-readout").first.inner_text()) for slider in rate_sliders()]
        expected = [DEFAULT_LRS[problem][name] for name in OPTIMIZERS]
        wrong = [f"{name} {got:g} (expected {want:g})" for name, got, want in zip(OPTIMIZERS, shown, expected)
                 if abs(got / want - 1) > 0.01]
        if wrong:
            view.screenshot(f"FAILED-rates-after-{problem}")
        assert not wrong, f"{view.label}: after choosing {problem} the η sliders show " + ", ".join(wrong)


#: Lesson files with an explorer, read once: the test runs per lesson (``-k 06`` runs lesson 06).
LESSONS = [name for name, _ in explorer_lessons()]
#: Explorer kinds whose every control was moved already (once per kind, in lesson order).
_SEEN: set = set()


@pytest.fixture(scope="module")
def artifacts():
    """The screenshot folder, emptied once per test session."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.mark.parametrize("name", LESSONS)
def test_every_explorer_in_every_lesson_in_chromium(lab, page, artifacts, name):
    url, lessons, log_path = lab
    cells = dict(lessons)[name]
    problems = []
    started = time.monotonic()
    try:
        open_lesson(page, url, name)
        page.set_viewport_size(VIEWPORTS["1280x800"])
        run_cell(page, 1)  # the set-up cell (imports)
        for index, _ in cells:
            run_cell(page, index)
    except Exception as error:  # e.g. a cell that never ran: its kernel may have died
        raise AssertionError(f"{name}: {error}{kernel_trouble(log_path)}") from error
    print(f"{name}: ran in {time.monotonic() - started:.1f} s")
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"{name}: " + "\n".join(errors.all_inner_texts())
    roots = page.locator(".jp-NotebookPanel:visible .lrcourse-explorer")
    assert roots.count() == len(cells), f"{name}: {roots.count()} explorers for {len(cells)} cells"
    for k in range(roots.count()):
        label = name.split("_")[0] + (f"-{k}" if roots.count() > 1 else "")
        kind = cells[k][1]
        full, _ = kind not in _SEEN, _SEEN.add(kind)  # every control once per explorer kind
        try:
            view = ExplorerView(page, roots.nth(k), label)
            view.assert_legible("1280x800")
            exercise(view, full)
            if kind == "optimizer_comparison" and full:
                assert_problem_switch_resets_the_rates(view)
            page.set_viewport_size(VIEWPORTS["1920x1080"])
            view.root.scroll_into_view_if_needed()
            view.assert_legible("1920x1080")
            view.screenshot("at 1920x1080")
        except AssertionError as error:
            problems.append(str(error))
        finally:
            page.set_viewport_size(VIEWPORTS["1280x800"])
    shut_down_kernels(url)
    print(f"{name}: {time.monotonic() - started:.1f} s")
    assert not problems, "\n".join(problems) + kernel_trouble(log_path)


def kernel_trouble(log_path: Path) -> str:
    """What the server log says about a kernel that died (with the crash's Python
    stack: the lab's kernels run with PYTHONFAULTHANDLER), or nothing."""
    lines = log_path.read_text(errors="replace").splitlines()
    marks = [i for i, line in enumerate(lines)
             if "Fatal Python error" in line or "KernelRestarter" in line or "malloc" in line]
    if not marks:
        return ""
    return "\n\nThe server log around the kernel's death:\n" + "\n".join(lines[max(0, marks[0] - 5):marks[0] + 60])
