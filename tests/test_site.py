"""The course as a static site (``python3 course.py site``), live in Debian's Chromium.

The site is built once per session into a temporary folder (downloads cached in
``.cache/site/``), served on 127.0.0.1, and opened in a browser whose every request
to another host is aborted and counted (and whose DNS resolves no other host):

- the output names no host that serves code or packages; the Pyodide it ships
  matches the official lock; the landing page lists every notebook;
- lessons 01 and 00 run top to bottom in JupyterLite's Pyodide kernel with no error
  and their figures; dragging lesson 01's slider redraws the explorer's figure;
- exercise 01: a right part passes, a wrong one gets its diagnosis, an endless loop
  is stopped by the time limit with the desktop's message, ``progress()`` reads the
  saved notebook from the browser's storage, and the work is there after a reload.

Without the parts the pyodide distribution and the browser progress need (no
network, no browser), the unit tests below still run.  Screenshots are saved under
``test-artifacts/site/``.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from packaging.utils import canonicalize_name

from browser_support import CHROMIUM_ARGS, find_chromium, require

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # course_site lives beside lrcourse, not inside it

from course_site import pyodide_dist  # noqa: E402
from course_site.pyodide_dist import DistributionError, Official, Source, Wheel  # noqa: E402
from lrcourse import progress as progress_module  # noqa: E402
from lrcourse.progress import saved_results  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts" / "site"
CACHE = ROOT / ".cache" / "site"
IDLE = """() => { const bar = document.querySelector('#jp-main-statusbar');
                  return bar && /\\|\\s*Idle/.test(bar.textContent); }"""
#: the one stderr line a first run prints in a fresh browser (matplotlib's font cache)
FONT_CACHE = "Matplotlib is building the font cache; this may take a moment.\n"


# ---------------------------------------------------------------------------
# Unit tests: the distribution's checks and the browser's progress (no browser)
# ---------------------------------------------------------------------------

def _official() -> Official:
    """A tiny stand-in release: one core file, two packages, one depending on the other."""
    def entry(name, data, depends=()):
        return {"name": name, "version": "1.0", "file_name": f"{name}-1.0-py3-none-any.whl",
                "sha256": hashlib.sha256(data).hexdigest(), "depends": list(depends),
                "imports": [name], "install_dir": "site", "package_type": "package",
                "unvendored_tests": False}
    lock = {"info": {"version": pyodide_dist.VERSION},
            "packages": {"alpha": entry("alpha", b"alpha wheel", ["beta"]),
                         "beta": entry("beta", b"beta wheel"),
                         "gamma": entry("gamma", b"not needed")}}
    return Official(lock, {"pyodide.js": b"core"})


def _source(files: dict) -> Source:
    return Source("a test source", files.get, lambda: None)


GOOD = {"pyodide.js": b"core", "alpha-1.0-py3-none-any.whl": b"alpha wheel",
        "beta-1.0-py3-none-any.whl": b"beta wheel"}


def test_the_distribution_ships_the_needed_packages_with_the_official_lock_entries(tmp_path):
    official = _official()
    wheel = tmp_path / "course-0.1-py3-none-any.whl"
    wheel.write_bytes(b"our wheel")
    shipped = pyodide_dist.assemble(tmp_path / "dist", official, _source(GOOD),
                                    [Wheel(wheel, ("course",), ("alpha",))], roots=("alpha",))
    assert shipped == ["alpha", "beta", "course"]  # gamma is not needed
    lock = json.loads((tmp_path / "dist" / "pyodide-lock.json").read_text())
    assert lock["packages"]["alpha"] == official.lock["packages"]["alpha"]
    assert lock["packages"]["course"]["sha256"] == hashlib.sha256(b"our wheel").hexdigest()
    assert lock["packages"]["course"]["depends"] == ["alpha"]
    assert (tmp_path / "dist" / "pyodide.js").read_bytes() == b"core"
    pyodide_dist.verify(tmp_path / "dist", official)
    (tmp_path / "dist" / "beta-1.0-py3-none-any.whl").write_bytes(b"changed later")
    with pytest.raises(DistributionError, match="does not match"):
        pyodide_dist.verify(tmp_path / "dist", official)


@pytest.mark.parametrize("change, message", [
    ({"beta-1.0-py3-none-any.whl": b"tampered"}, "has sha256"),
    ({"beta-1.0-py3-none-any.whl": None}, "is missing from"),
    ({"pyodide.js": b"other core"}, "differs from the official"),
])
def test_a_file_that_does_not_match_the_official_release_is_refused(tmp_path, change, message):
    files = {**GOOD, **change}
    with pytest.raises(DistributionError, match=message) as info:
        pyodide_dist.assemble(tmp_path / "dist", _official(), _source(files), roots=("alpha",))
    assert "refused" in str(info.value) or "missing" in str(info.value)


def test_the_needed_packages_follow_the_locks_dependencies():
    assert _official().needed(("alpha",)) == ["alpha", "beta"]
    with pytest.raises(DistributionError, match="no package 'delta'"):
        _official().needed(("delta",))


def test_a_release_tarball_is_read_file_by_file(tmp_path):
    tarball = tmp_path / f"pyodide-{pyodide_dist.VERSION}.tar.bz2"
    with tarfile.open(tarball, "w:bz2") as archive:
        for name, data in GOOD.items():
            info = tarfile.TarInfo(f"pyodide/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    source = pyodide_dist.tarball_source(str(tarball), tmp_path / "cache")
    assert source.read("beta-1.0-py3-none-any.whl") == b"beta wheel"
    assert source.read("gamma-1.0-py3-none-any.whl") is None
    source.close()
    with pytest.raises(DistributionError, match="is not a file"):
        pyodide_dist.tarball_source(str(tmp_path / "nothing.tar.bz2"), tmp_path / "cache")


def _exercise(tmp_path: Path, outputs: dict) -> Path:
    """Exercise 01 as a learner saved it, with these outputs on its check cells."""
    nb = nbformat.read(str(ROOT / "exercises" / "01_gradient_descent.ipynb"), as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in outputs:
            cell.outputs = [nbformat.from_dict(o) for o in outputs[grade_id]]
            cell.execution_count = 3
    path = tmp_path / "01_gradient_descent.ipynb"
    nbformat.write(nb, str(path))
    return path


def _failed(message: str, ename: str = "<class 'lrcourse.grading.core.CheckFailed'>") -> dict:
    return {"output_type": "error", "ename": ename, "evalue": message, "traceback": message.splitlines()}


def test_browser_progress_reads_the_checks_saved_results(tmp_path):
    path = _exercise(tmp_path, {
        "check_gd_step": [{"output_type": "stream", "name": "stdout",
                           "text": "✔ gd_step — correct: 1/1 points\n"}],
        "check_gradient_descent": [_failed("✘ gradient_descent — not yet: 0/2 points\nYour loop ...")],
        "check_largest_stable_lr": [_failed("✘ largest_stable_lr — not yet: 0/1 points\n"
                                            "largest_stable_lr is not implemented yet.", "CheckFailed")],
        "check_optimal_lr": [_failed("name 'np' is not defined", "<class 'NameError'>")],
    })
    result = saved_results(path)
    statuses = {part.grade_id: part.status for part in result.parts}
    assert statuses["check_gd_step"] == "passed"
    assert statuses["check_gradient_descent"] == "failed"
    assert statuses["check_largest_stable_lr"] == "not implemented"
    assert statuses["check_optimal_lr"] == "error"
    assert statuses["check_contraction_rate"] == "not run"
    error = next(p for p in result.parts if p.grade_id == "check_optimal_lr")
    assert error.detail == "NameError: name 'np' is not defined"
    assert result.earned == 1 and result.points == sum(p.points for p in result.parts) > 1


def test_in_the_browser_progress_shows_the_saved_results_not_a_run(tmp_path, monkeypatch):
    folder = tmp_path / "exercises"
    folder.mkdir()
    _exercise(folder, {"check_gd_step": [{"output_type": "stream", "name": "stdout",
                                          "text": "✔ gd_step — correct: 1/1 points\n"}]})
    (folder / "02_broken.ipynb").write_text("{ not json")
    monkeypatch.setattr(progress_module, "IN_BROWSER", True)
    monkeypatch.setattr(progress_module, "run_exercises",
                        lambda *a, **k: pytest.fail("no notebook is run in the browser"))
    table = progress_module.progress(folder).table(parts=True)
    assert "01_gradient_descent" in table and "✔ gd_step" in table
    assert "02_broken" in table and "not a readable notebook" in table
    assert "saved in your notebooks in this browser" in table
    assert "Traceback" not in table


def test_the_site_tools_are_pinned_to_versions_their_ranges_allow():
    from test_setup import pins, ranges
    pinned = pins("requirements-site.txt")
    for requirement in ranges("requirements-site.in"):
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None and requirement.specifier.contains(version, prereleases=True), (
            f"requirements-site.txt pins {requirement.name}=={version}, not in {requirement.specifier}: "
            "run `python3 course.py lock`")


def test_the_build_and_its_downloads_are_not_committed():
    paths = ["_site/index.html", ".venv-site/bin/python", ".cache/site/npm/pyodide.tgz"]
    done = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.split() == paths


# ---------------------------------------------------------------------------
# The built site
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Built:
    path: Path
    log: str
    seconds: float


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Built:
    """``python3 course.py site`` into a temporary folder (once per session)."""
    require(shutil.which("npm") is not None,
            "npm not found: the site build fetches Pyodide's core with npm (apt-get install npm)")
    out = tmp_path_factory.mktemp("site") / "site"
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "course.py"), "site", "--out", str(out)],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
    assert done.returncode == 0, f"course.py site failed:\n{done.stdout[-4000:]}"
    return Built(out, done.stdout, time.monotonic() - started)


def test_the_build_says_where_pyodide_came_from_in_one_line(site):
    lines = [line for line in site.log.splitlines() if "Pyodide" in line and "tarball" in line]
    assert len(lines) == 1 and "checked against the official pyodide-lock.json" in lines[0]
    assert "Built the site" in site.log


def test_the_site_names_no_host_to_fetch_from(site):
    from course_site.build import fetch_urls, NEVER_FETCHED
    assert fetch_urls(site.path) == {}
    # the exceptions are still what they were checked to be
    for relative, host in NEVER_FETCHED.items():
        assert host.encode() in (site.path / relative).read_bytes(), relative
    # the pages this build writes load nothing from anywhere else
    for page in [site.path / "index.html", *site.path.glob("pages/**/*.html")]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text.replace('href="https://', "")), page
        assert not re.search(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["']https?://""", text), page
    config = json.loads((site.path / "lite" / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.js" and settings["disablePyPIFallback"] is True


def test_the_shipped_pyodide_matches_the_official_release(site):
    official = Official.from_npm(CACHE / "npm")
    dist = site.path / "lite" / "static" / "pyodide"
    pyodide_dist.verify(dist, official)
    lock = json.loads((dist / "pyodide-lock.json").read_text())
    versions = {name: lock["packages"][name]["version"] for name in ("numpy", "matplotlib", "scikit-learn")}
    assert versions == {"numpy": "2.0.2", "matplotlib": "3.8.4", "scikit-learn": "1.6.1"}
    assert {"lrcourse", "ipywidgets", "comm"} <= set(lock["packages"])


def test_no_solution_reaches_the_site(site):
    assert not (site.path / "lite" / "files" / "exercises" / "source").exists()
    for path in site.path.rglob("*.ipynb"):
        assert "BEGIN SOLUTION" not in path.read_text(encoding="utf-8"), path
    for path in site.path.glob("pages/exercises/*.html"):
        assert "BEGIN SOLUTION" not in path.read_text(encoding="utf-8") and "HIDDEN TESTS" not in \
            path.read_text(encoding="utf-8"), path


def test_every_link_of_every_page_leads_to_a_file_of_the_site(site):
    from test_site_pages import broken_links
    assert broken_links(site.path) == []
    assert (site.path / "lite" / "files" / "README.md").is_file()  # lesson 00's links work live too
    assert not list(site.path.rglob("teaching-guide*"))  # it holds the multiple-choice answers


def test_the_rendered_lessons_keep_their_figures(site):
    for lesson in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        stored = sum("image/png" in o.get("data", {}) for c in json.loads(lesson.read_text())["cells"]
                     for o in c.get("outputs", []))
        page = (site.path / "pages" / "notebooks" / f"{lesson.stem}.html").read_text(encoding="utf-8")
        assert page.count("data:image/png;base64,") >= stored, lesson.name
        assert "Open live" in page
        if lesson.stem == "01_gradient_descent":
            assert stored > 0


# ---------------------------------------------------------------------------
# In the browser
# ---------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".json": "application/json", ".whl": "application/octet-stream"}

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="session")
def served(site):
    """The site on 127.0.0.1 (a static server, as GitHub Pages would serve it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_Handler, directory=str(site.path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-test.txt installs it
        require(False, "the playwright package is not installed")
    chromium = find_chromium()
    require(chromium is not None, "Chromium not found: install Debian's chromium (apt-get install chromium) "
                                  "to run the browser tests")
    with sync_playwright() as playwright:
        # no host but the loopback resolves: a request elsewhere fails even if a route missed it
        args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=args)
        yield launched
        launched.close()


@pytest.fixture()
def lite(browser, served):
    """A fresh browser profile on the served site; fails the test if it asked another host."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    elsewhere: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(served + "/") or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            elsewhere.append(url)
            request_route.abort()
    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda request: None if request.url.startswith((served, "data:", "blob:"))
            else elsewhere.append(request.url))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield Lite(page, served)
    context.close()
    assert elsewhere == [], f"the site asked other hosts: {sorted(set(elsewhere))[:10]}"


class Lite:
    """JupyterLite in one browser tab, driven as a learner would (menus, keys) and read
    through the app object the site exposes (``window.jupyterapp``)."""

    def __init__(self, page, base: str):
        self.page = page
        self.base = base

    def open(self, path: str, *, kernel: bool = True) -> float:
        """Open a notebook live; seconds until its kernel is ready (or its content, without)."""
        started = time.monotonic()
        self.page.goto(f"{self.base}/lite/lab/index.html?path={path}")
        self.page.wait_for_function(
            """([path, kernel]) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                return w && w.context && w.context.path === path && w.context.isReady
                       && (!kernel || (w.sessionContext.session && w.sessionContext.session.kernel)); }""",
            arg=[path, kernel], timeout=120_000)
        if kernel:
            self.wait_idle()
        return time.monotonic() - started

    def wait_idle(self, timeout_ms: int = 180_000) -> None:
        time.sleep(0.3)  # let a just-sent request turn the kernel busy first
        self.page.wait_for_function(IDLE, timeout=timeout_ms)

    def command(self, name: str) -> None:
        self.page.evaluate("(name) => window.jupyterapp.commands.execute(name)", name)

    def cells(self) -> list[dict]:
        return self.page.evaluate("""() => {
            const model = window.jupyterapp.shell.currentWidget.content.model;
            return Array.from({length: model.cells.length}, (_, i) => {
                const cell = model.cells.get(i);
                return {type: cell.type, grade_id: ((cell.getMetadata('nbgrader') || {}).grade_id) || '',
                        count: cell.type === 'code' ? cell.executionCount : null,
                        outputs: cell.type === 'code' ? cell.outputs.toJSON() : []};
            }); }""")

    def run_all(self) -> float:
        """Clear the stored outputs, Run → Run All Cells; seconds until every cell ran."""
        self.command("notebook:clear-all-cell-outputs")
        assert all(c["count"] is None for c in self.cells() if c["type"] == "code")
        started = time.monotonic()
        self.page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        self.page.click("li[data-command='runmenu:run-all']")
        self.page.wait_for_function("""() => {
            const model = window.jupyterapp.shell.currentWidget.content.model;
            for (let i = 0; i < model.cells.length; i++) {
                const cell = model.cells.get(i);
                if (cell.type === 'code' && cell.executionCount === null) return false;
            }
            return true; }""", timeout=300_000, polling=250)
        self.wait_idle()
        return time.monotonic() - started

    def index(self, grade_id: str) -> int:
        return next(i for i, c in enumerate(self.cells()) if c["grade_id"] == grade_id)

    def write(self, grade_id: str, code: str) -> None:
        """Put ``code`` into a cell (as pasting it would)."""
        self.page.evaluate("""([index, code]) => window.jupyterapp.shell.currentWidget.content
            .model.cells.get(index).sharedModel.setSource(code)""", [self.index(grade_id), code])

    def run(self, grade_id: str) -> list[dict]:
        """Select the cell and press Shift+Enter; its outputs."""
        index = self.index(grade_id)
        self.page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", index)
        self.page.locator(".jp-Notebook").first.focus()
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Shift+Enter")
        self.page.wait_for_function("""(i) => window.jupyterapp.shell.currentWidget.content.model
            .cells.get(i).executionCount !== null""", arg=index, timeout=60_000)
        self.wait_idle()
        return self.cells()[index]["outputs"]

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _problems(cells: list[dict]) -> list[str]:
    """Errors and unexpected stderr in the outputs of a run."""
    found = []
    for cell in cells:
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                found.append(f"{output['ename']}: {output['evalue'][:500]}")
            elif output.get("name") == "stderr" and output["text"] != FONT_CACHE:
                found.append(f"stderr: {output['text'][:500]}")
    return found


def _images(cells: list[dict]) -> int:
    return sum("image/png" in o.get("data", {}) for c in cells for o in c["outputs"])


def test_the_landing_page_lists_every_notebook_and_says_where_work_lives(lite):
    lite.page.goto(lite.base + "/")
    lite.screenshot("landing")
    for folder in ("notebooks", "exercises"):
        for notebook in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            live = lite.page.locator(f"a[href='lite/lab/index.html?path={folder}/{notebook.name}']")
            assert live.count() >= 1, notebook.name
            assert lite.page.locator(f"a[href='pages/{folder}/{notebook.stem}.html']").count() >= 1
    text = lite.page.inner_text("body")
    assert "in this browser" in text and "Download" in text
    lite.page.click("a[href='pages/notebooks/01_gradient_descent.html'] >> nth=0")
    assert lite.page.locator("img").count() > 3  # the stored figures, nothing running
    lite.screenshot("page_lesson01")


# lesson 00 is the second: quick, and it imports the grading and runs progress() as well
@pytest.mark.parametrize("lesson", ["01_gradient_descent", "00_start_here"])
def test_a_lesson_runs_live_with_its_figures(lite, lesson):
    stored = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text())
    stored_images = sum("image/png" in o.get("data", {}) for c in stored["cells"] for o in c.get("outputs", []))
    kernel = lite.open(f"notebooks/{lesson}.ipynb")
    seconds = lite.run_all()
    cells = lite.cells()
    lite.screenshot(f"{lesson}_after_run_all")
    print(f"{lesson}: kernel ready in {kernel:.1f} s, run all in {seconds:.1f} s")
    assert _problems(cells) == []
    # every figure the stored lesson has is drawn again (an explorer's too: its PNG stand-in)
    assert _images(cells) >= stored_images > 0
    assert lite.page.locator(".jupyter-widgets .widget-slider").count() > 0
    if lesson == "01_gradient_descent":
        _move_a_slider(lite)


def _move_a_slider(lite) -> None:
    """The first explorer: dragging its first slider redraws the figure."""
    first = next(i for i, cell in enumerate(lite.cells()) if any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell["outputs"]))
    # JupyterLab hides cells far outside the view: bring the explorer's cell in first
    lite.page.evaluate("""async (i) => { const notebook = window.jupyterapp.shell.currentWidget.content;
        notebook.activeCellIndex = i; await notebook.scrollToItem(i, 'start'); }""", first)
    explorer = lite.page.locator(".jp-NotebookPanel:visible .lrcourse-explorer").first
    image = explorer.locator(".widget-image").first
    image.wait_for(timeout=60_000)
    explorer.scroll_into_view_if_needed()
    before = image.get_attribute("src")
    handle = explorer.locator(".widget-slider:visible .noUi-handle").first
    value = handle.get_attribute("aria-valuenow")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    started = time.monotonic()
    lite.page.mouse.move(x, y)  # drag the handle 20 px to the right, as a learner would
    lite.page.mouse.down()
    lite.page.mouse.move(x + 20, y, steps=5)
    lite.page.mouse.up()
    lite.page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                arg=[image.element_handle(), before], timeout=30_000)
    print(f"slider redraw in {time.monotonic() - started:.2f} s")
    assert handle.get_attribute("aria-valuenow") != value
    lite.wait_idle()
    lite.screenshot("01_gradient_descent_after_slider")
    assert _problems(lite.cells()) == []


RIGHT = "def gd_step(x, grad, lr):\n    return x - lr * grad\n"
WRONG = "def gd_step(x, grad, lr):\n    return x + lr * grad\n"
ENDLESS = "def largest_stable_lr(H):\n    while True:\n        pass\n"


def _printed(outputs: list[dict]) -> str:
    return "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")


def _error(outputs: list[dict]) -> str:
    return "\n".join(o["evalue"] for o in outputs if o["output_type"] == "error")


def test_exercise_01_checks_in_the_browser_as_on_the_desktop(lite):
    from lrcourse.grading.ex01 import check_gd_step, check_largest_stable_lr
    from lrcourse.grading import CheckFailed
    namespace: dict = {}
    exec(WRONG, namespace)
    with pytest.raises(CheckFailed) as desktop_wrong:
        check_gd_step(namespace["gd_step"])
    exec(ENDLESS, namespace)
    with pytest.raises(CheckFailed) as desktop_endless:
        check_largest_stable_lr(namespace["largest_stable_lr"])

    path = "exercises/01_gradient_descent.ipynb"
    lite.open(path)
    assert _problems([{"outputs": lite.run("setup")}]) == []
    lite.write("gd_step", RIGHT)
    lite.run("gd_step")
    assert _printed(lite.run("check_gd_step")) == "✔ gd_step — correct: 1/1 points\n"
    lite.screenshot("exercise01_pass")

    lite.write("gd_step", WRONG)
    lite.run("gd_step")
    assert _error(lite.run("check_gd_step")) == str(desktop_wrong.value)
    assert "sign is flipped" in str(desktop_wrong.value)
    lite.screenshot("exercise01_diagnosis")

    lite.write("largest_stable_lr", ENDLESS)
    lite.run("largest_stable_lr")
    started = time.monotonic()
    assert _error(lite.run("check_largest_stable_lr")) == str(desktop_endless.value)
    assert "did not return within 5 s" in str(desktop_endless.value)
    assert time.monotonic() - started < 30

    # right again, saved: progress reads the browser's storage, and the work persists
    lite.write("gd_step", RIGHT)
    lite.run("gd_step")
    lite.run("check_gd_step")
    _save(lite)
    lite.write("try_loop", "from lrcourse.progress import progress\nprogress()")
    outputs = lite.run("try_loop")
    table = "".join(o.get("data", {}).get("text/plain", "") for o in outputs) + _printed(outputs)
    assert not _error(outputs) and "Traceback" not in table, outputs
    assert re.search(r"01_gradient_descent\s+1/\d+\s+1/\d+", table), table
    assert "saved in your notebooks in this browser" in table
    lite.screenshot("exercise01_progress")
    _save(lite)

    lite.page.reload()
    lite.open(path, kernel=False)
    kept = lite.page.evaluate("""(i) => window.jupyterapp.shell.currentWidget.content.model.cells
        .get(i).sharedModel.getSource()""", lite.index("gd_step"))
    assert kept == RIGHT


def _save(lite) -> None:
    """File → Save (Ctrl+S), into the browser's storage."""
    lite.page.locator(".jp-Notebook").first.focus()
    lite.page.keyboard.press("Control+s")
    lite.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                                timeout=30_000)
