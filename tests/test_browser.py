"""Real-browser tests: JupyterLab + Debian's Chromium, driven by Playwright.

- The learner's path, from the URL that ``python3 course.py lab`` itself prints: the
  course opens on lesson 00 in the learner's own copies (my-work/), untouched
  notebooks open clean and save byte-identical, lesson 00's link opens exercise 01,
  one part is solved, and ``lrcourse progress`` in a JupyterLab terminal counts it.
- Lesson 01 runs top to bottom with no error or warning, and moving the
  learning-rate slider of its explorer changes the figure and the printed result.

Screenshots are saved under ``test-artifacts/browser/``.

On a learner's machine without Chromium the test is skipped with a message; under
``CI=true`` a missing browser is a failure (``.ci/run`` installs Debian's chromium).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser_support import (IN_CI, QUIET_LAB, free_port, jupyterlab_server, lab_environment,
                             launch_chromium, require, wait_idle)

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "01_gradient_descent.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture()
def jupyterlab(tmp_path):
    """A private JupyterLab server on 127.0.0.1 serving a copy of lesson 01."""
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(LESSON, root / "notebooks" / LESSON.name)
    token = "lrcourse-browser-test"
    with jupyterlab_server(root, tmp_path, token) as url:
        yield f"{url}/lab/tree/notebooks/{LESSON.name}?token={token}"


def test_lesson01_runs_and_slider_updates_in_chromium(jupyterlab):
    require(LESSON.exists(), f"{LESSON.relative_to(ROOT)} does not exist yet")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-test.txt installs it
        require(False, "the playwright package is not installed")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(jupyterlab)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            wait_idle(page)

            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click("li[data-command='runmenu:run-all']")
            # Every code cell gets an execution count, then the kernel goes idle.
            page.wait_for_function(
                """() => {
                    const prompts = [...document.querySelectorAll(
                        '.jp-CodeCell .jp-InputArea-prompt')];
                    return prompts.length > 0 && prompts.every(
                        p => /\\[\\d+\\]/.test(p.textContent));
                }""",
                timeout=120_000,
            )
            wait_idle(page)
            page.screenshot(path=str(ARTIFACTS / "01_after_run_all.png"), full_page=False)

            errors = page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert errors.count() == 0, (
                "a cell shows an error or a warning:\n" + "\n---\n".join(errors.all_inner_texts()))

            explorer = page.locator(".lrcourse-explorer").first
            explorer.scroll_into_view_if_needed()
            slider = explorer.locator(".widget-slider").first
            handle = slider.locator(".noUi-handle").first
            image = explorer.locator(".widget-image img, img.widget-image").first
            result = explorer.locator(".lrcourse-result").first
            image.wait_for(timeout=30_000)

            before = (handle.get_attribute("aria-valuetext"), image.get_attribute("src"),
                      result.inner_text())
            page.screenshot(path=str(ARTIFACTS / "02_explorer_before.png"))

            handle.focus()
            for _ in range(8):
                page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "([el, old]) => el.getAttribute('src') !== old",
                arg=[image.element_handle(), before[1]],
                timeout=15_000,
            )
            after = (handle.get_attribute("aria-valuetext"), image.get_attribute("src"),
                     result.inner_text())
            page.screenshot(path=str(ARTIFACTS / "03_explorer_after.png"))

            assert after[0] != before[0], "the slider's value did not change"
            assert after[1] != before[1], "the figure did not change when the slider moved"
            assert after[2] != before[2], "the printed result did not change when the slider moved"
        finally:
            page.screenshot(path=str(ARTIFACTS / "99_last_state.png"))
            browser.close()


# ---------------------------------------------------------------------------
# The learner's path: `python3 course.py lab`, lesson 00 -> exercise 01 -> progress
# ---------------------------------------------------------------------------

COURSE_FILES = ("course.py", "README.md", "pyproject.toml", "requirements.txt",
                "requirements-test.txt", "notebooks", "exercises", "docs")
VIEWPORT = {"width": 1280, "height": 800}
GD_STEP_ANSWER = "def gd_step(x, grad, lr):\n    return x - lr * grad\n"


@pytest.fixture()
def course_lab(tmp_path):
    """`python3 course.py lab` on a copy of the course; yields (url it printed, course copy)."""
    course = tmp_path / "course"
    course.mkdir()
    for name in COURSE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            shutil.copy(source, course / name)
    path_without_venv = os.pathsep.join(
        part for part in os.environ.get("PATH", "").split(os.pathsep)
        if not part.startswith(str(ROOT / ".venv")))
    env = dict(lab_environment(tmp_path),
               PATH=path_without_venv,              # the terminal must get .venv/bin from `lab`
               LRCOURSE_COURSE_ROOT=str(course))    # the workspace goes into the copy
    env.pop("MPLBACKEND")
    env.pop("VIRTUAL_ENV", None)
    port, token = free_port(), "lrcourse-learner-path"
    log_path = tmp_path / "lab.log"
    command = [sys.executable, str(ROOT / "course.py"), "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}", *QUIET_LAB]
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            url = None
            while url is None:
                text = log_path.read_text()
                for word in text.split():   # the token is printed masked, as "token=..."
                    if word.startswith(f"http://127.0.0.1:{port}/") and "token=" in word:
                        url = word.split("token=")[0] + "token=" + token
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("`course.py lab` did not print its URL:\n" + text[-3000:])
                time.sleep(0.3)
            yield url, course, log_path
        finally:
            server.terminate()   # as a learner's SIGTERM would: course.py passes it on
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    deadline = time.monotonic() + 30
    while processes_mentioning(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = processes_mentioning(tmp_path)
    for pid in left:  # do not leave them to the next test, then fail
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    assert not left, f"stopping `course.py lab` left JupyterLab or kernels running: {left}"


def processes_mentioning(path: Path) -> list[int]:
    """Processes whose command line names ``path`` (a server or kernel of this test)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if str(path).encode() in command:
                found.append(int(entry))
    return found


def same_python_as_stored(path: Path) -> bool:
    """JupyterLab writes the kernel's Python version into language_info on open."""
    stored = json.loads(path.read_text(encoding="utf-8"))["metadata"]["language_info"]["version"]
    return stored == platform.python_version()


def current_tab_is_dirty(page) -> bool:
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty").count() > 0


def save(page):
    page.keyboard.press("Control+s")
    page.wait_for_function(
        "() => !document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty')",
        timeout=30_000)
    time.sleep(1.0)  # the save request finishes after the dirty mark clears



def _parts_and_points(name: str) -> tuple[int, float]:
    """How many graded parts exercise ``name`` has and what they are worth (from its source)."""
    import nbformat

    from lrcourse.notebook_format import grade_cells, nbgrader_metadata

    source = nbformat.read(ROOT / "exercises" / "source" / name / f"{name}.ipynb", as_version=4)
    cells = grade_cells(source)
    return len(cells), sum(nbgrader_metadata(cell)["points"] for cell in cells)

def test_learner_path_from_lab_to_progress(course_lab):
    url, course, log_path = course_lab
    mine = course / "my-work"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-test.txt installs it
        require(False, "the playwright package is not installed")
    log = log_path.read_text()
    if os.geteuid() == 0:
        assert "starting JupyterLab with --allow-root" in log
    assert "made your own copies of 15 course notebooks in my-work/" in log
    assert "/lab/tree/notebooks/00_start_here.ipynb" in url, f"lab must open lesson 00, opened {url}"
    out = ARTIFACTS / "learner_path"
    out.mkdir(parents=True, exist_ok=True)
    pristine = {p: p.read_bytes() for p in mine.rglob("*.ipynb")}

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport=VIEWPORT)
        try:
            page.goto(url)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            wait_idle(page)
            time.sleep(2)  # let JupyterLab apply the kernel's metadata, if it would
            page.screenshot(path=str(out / "01_lab_opens_lesson00.png"))
            assert "00 · Start here" in page.locator(".jp-Notebook").first.inner_text()
            # The file browser's root is the course, not a bare folder.
            page.click(".jp-BreadCrumbs-home")
            page.wait_for_selector(".jp-DirListing-content:has-text('README.md')", timeout=10_000)
            listing = page.locator(".jp-DirListing-content").inner_text()
            for entry in ("exercises", "notebooks", "README.md"):
                assert entry in listing, f"the file browser does not show {entry}: {listing!r}"

            # An untouched lesson opens clean, and saving it changes no byte.
            lesson00 = mine / "notebooks" / "00_start_here.ipynb"
            exercise = mine / "exercises" / "01_gradient_descent.ipynb"
            # (on another Python version JupyterLab rightly updates language_info.version)
            check_clean = same_python_as_stored(lesson00) or IN_CI
            if check_clean:
                assert not current_tab_is_dirty(page), "lesson 00 opened marked unsaved"
                save(page)
                assert lesson00.read_bytes() == pristine[lesson00], "saving an untouched lesson changed it"

            # Lesson 00's table links to exercise 01.
            # (JupyterLab resolves the relative link into a /files/ URL and opens it in a tab)
            link = page.locator(".jp-Notebook a[href*='/files/exercises/01_gradient_descent.ipynb']").first
            link.scroll_into_view_if_needed()
            link.click()
            page.wait_for_selector(".lm-TabBar-tab.lm-mod-current:has-text('01_gradient_descent.ipynb')",
                                   timeout=30_000)
            page.wait_for_selector(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell", timeout=30_000)
            wait_idle(page)
            time.sleep(2)
            if check_clean:
                assert not current_tab_is_dirty(page), "exercise 01 opened marked unsaved"
                save(page)
                assert exercise.read_bytes() == pristine[exercise], "saving an untouched exercise changed it"
            page.screenshot(path=str(out / "02_exercise01_opened_from_lesson00.png"))

            # Solve part 1: replace the stub in the gd_step cell, then run it and its check.
            notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
            answer_cell = notebook.locator(".jp-CodeCell").filter(has_text="def gd_step(x, grad, lr):").first
            answer_cell.scroll_into_view_if_needed()
            answer_cell.locator(".cm-content").click()
            page.keyboard.press("Control+a")
            page.keyboard.press("Delete")
            page.keyboard.insert_text(GD_STEP_ANSWER)
            page.keyboard.press("Escape")
            # run the set-up cells above, the answer, and its check
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click("li[data-command='notebook:run-all-above']")
            wait_idle(page)
            answer_cell.click(position={"x": 5, "y": 5})
            page.keyboard.press("Shift+Enter")
            page.keyboard.press("Shift+Enter")
            wait_idle(page)
            check_cell = notebook.locator(".jp-CodeCell").filter(has_text="check_gd_step(gd_step)").first
            check_cell.scroll_into_view_if_needed()
            page.wait_for_function(
                "el => /1\\/1 point/.test(el.innerText)", arg=check_cell.element_handle(), timeout=30_000)
            page.screenshot(path=str(out / "03_part1_passes.png"))
            save(page)

            # `lrcourse progress` in a JupyterLab terminal counts the part.
            page.click(".lm-MenuBar-itemLabel:text-is('File')")
            page.click(".lm-Menu-itemLabel:text-is('New')")
            page.click("li[data-command='terminal:create-new']")
            page.wait_for_selector(".jp-Terminal .xterm-helper-textarea", timeout=30_000)
            time.sleep(2)  # the shell's prompt
            page.locator(".jp-Terminal .xterm-helper-textarea").last.focus()
            # xterm.js draws on a canvas: the output is also copied to a file to read it
            page.keyboard.type("lrcourse progress --parts 2>&1 | tee progress.txt\n")
            deadline = time.monotonic() + 180
            while "\ntotal " not in ((mine / "progress.txt").read_text()
                                     if (mine / "progress.txt").exists() else ""):
                assert time.monotonic() < deadline, "lrcourse progress did not finish in the terminal"
                time.sleep(0.5)
            time.sleep(1)
            text = (mine / "progress.txt").read_text()
            page.screenshot(path=str(out / "04_progress_in_terminal.png"))
        finally:
            page.screenshot(path=str(out / "99_last_state.png"))
            browser.close()
    assert "command not found" not in text
    rows = [line for line in text.splitlines() if line.startswith("01_gradient_descent")]
    parts, points = _parts_and_points("01_gradient_descent")
    assert rows and rows[0].split()[1:3] == [f"1/{parts}", f"1/{points:g}"], text
    assert "✔ gd_step" in text, text
    assert f"(ran the saved notebooks in {mine / 'exercises'})" in text, text
    # The course's own files were not touched: only the learner's copy changed.
    assert (course / "exercises" / "01_gradient_descent.ipynb").read_bytes() == \
        (ROOT / "exercises" / "01_gradient_descent.ipynb").read_bytes()
