"""The site's pages: the landing page and every notebook rendered with its stored outputs.

Rendered pages (``pages/notebooks/NN_name.html``, ``pages/exercises/NN_name.html``)
are readable without running anything: the lessons keep their stored figures.  The
explorers' sliders need a running kernel, so each explorer's output is replaced by a
note pointing to the live notebook.  Links between notebooks (``../notebooks/
01_gradient_descent.ipynb``) are pointed at the rendered pages, and the project's
documents they link to are rendered too (:mod:`course_site.documents`).
"""

from __future__ import annotations

import copy
import html
import json
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat
from nbconvert import HTMLExporter

from course_site.documents import write_documents
from course_site.icon import ICON

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXPLORER_NOTE = ('<p class="explorer-note">An explorer with sliders is here. It runs only live: '
                 'use <b>Open live</b> at the top, run the cells, and move the sliders.</p>')


@dataclass(frozen=True)
class Entry:
    """One notebook of the course as the landing page lists it."""

    path: Path  # relative to the course root: notebooks/01_x.ipynb
    title: str
    summary: str
    parts: int  # graded parts (0 for a lesson)
    points: float

    @property
    def number(self) -> str:
        return self.path.name[:2]

    @property
    def page(self) -> str:
        return f"pages/{self.path.parent.name}/{self.path.stem}.html"

    def live(self, lite: str) -> str:
        return f"{lite}/lab/index.html?path={urllib.parse.quote(self.path.as_posix())}"


def describe_notebook(root: Path, path: Path) -> Entry:
    """Title (the first heading), first paragraph and graded parts of a notebook."""
    nb = json.loads((root / path).read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"]) if nb["cells"] else ""
    lines = first.splitlines()
    title = next((line.lstrip("# ").strip() for line in lines if line.startswith("#")), path.stem)
    title = re.sub(r"^(?:Exercise\s+)?\d\d\s*[·—-]\s*", "", title)  # the number has its own column
    paragraphs = [p.strip() for p in "\n".join(line for line in lines if not line.startswith("#")).split("\n\n")]
    summary = _plain(next((" ".join(p.split()) for p in paragraphs if p), ""))
    graded = [cell["metadata"]["nbgrader"] for cell in nb["cells"]
              if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]
    return Entry(path, title, summary, len(graded), sum(g.get("points", 0) for g in graded))


def _plain(markdown: str) -> str:
    """Markdown emphasis, code marks and links as plain text (for the landing page's summaries)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"(\*\*|\*|`|__)", "", text)


def _static_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook as the page shows it: each explorer as its stored figure (the PNG
    its display bundle carries for places without widgets) under a note, no widget state."""
    nb = copy.deepcopy(nbformat.read(str(path), as_version=4))
    nb.metadata.pop("widgets", None)
    note = nbformat.v4.new_output("display_data", data={"text/html": EXPLORER_NOTE})
    for cell in nb.cells:
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                outputs.append(copy.deepcopy(note))
                data.pop(WIDGET_VIEW)
                if "image/png" not in data:
                    continue
            outputs.append(output)
        if "outputs" in cell:
            cell.outputs = outputs
    return nb


def render(root: Path, entry: Entry, lite: str) -> str:
    exporter = HTMLExporter(template_name="lab", template_file=str(TEMPLATES / "page.html.j2"))
    kind = "Exercise" if entry.parts else "Lesson"
    resources = {"course": {"home": "../../index.html", "live": "../../" + entry.live(lite),
                            "kind": f"{kind} {entry.number}", "icon": ICON},
                 "metadata": {"name": entry.title}}
    body, _ = exporter.from_notebook_node(_static_notebook(root / entry.path), resources=resources)
    return body


def write_pages(site: Path, notebooks: list[Path], root: Path, lite: str) -> list[Entry]:
    """Render every notebook and the documents they link to, and write the landing page
    ``index.html``."""
    entries = [describe_notebook(root, path) for path in notebooks]
    write_documents(site, root, {PurePosixPath(entry.path.as_posix()): render(root, entry, lite)
                                 for entry in entries})
    (site / "index.html").write_text(landing(entries, lite), encoding="utf-8")
    return entries


# ---------------------------------------------------------------------------
# The landing page
# ---------------------------------------------------------------------------

def _row(entry: Entry, lite: str) -> str:
    e = html.escape
    work = f"{entry.parts} parts, {entry.points:g} points" if entry.parts else ""
    return (f'<tr><td class="num">{entry.number}</td>'
            f'<td><a class="title" href="{e(entry.page)}">{e(entry.title)}</a>'
            f'<div class="summary">{e(entry.summary)}</div>{f"<div class=work>{work}</div>" if work else ""}</td>'
            f'<td class="go"><a href="{e(entry.page)}">Read</a> '
            f'<a class="live" href="{e(entry.live(lite))}">Open live</a></td></tr>')


def landing(entries: list[Entry], lite: str) -> str:
    lessons = "\n".join(_row(e, lite) for e in entries if not e.parts)
    exercises = "\n".join(_row(e, lite) for e in entries if e.parts)
    first = next((e for e in entries if not e.parts), entries[0])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The learning rate, seen happening — lrcourse</title>
<link rel="icon" href="{ICON}">
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f1f1f;
  line-height: 1.5; background: #fafafa; }}
header {{ background: #1f3b57; color: #fff; padding: 1.6em 2em 1.2em; }}
header h1 {{ margin: 0 0 0.3em; font-size: 1.8em; }}
header p {{ margin: 0.3em 0; max-width: 60em; }}
header a {{ color: #f0b429; }}
main {{ max-width: 72em; margin: 0 auto; padding: 1em 2em 3em; }}
h2 {{ margin-top: 1.6em; border-bottom: 2px solid #e0e0e0; padding-bottom: 0.2em; }}
table {{ border-collapse: collapse; width: 100%; background: #fff; }}
td {{ padding: 0.6em 0.8em; border-bottom: 1px solid #e6e6e6; vertical-align: top; }}
td.num {{ font-weight: 700; color: #1f3b57; width: 2.5em; font-size: 1.1em; }}
td.go {{ white-space: nowrap; text-align: right; width: 14em; }}
a.title {{ font-weight: 600; font-size: 1.05em; color: #1f3b57; }}
.summary {{ color: #444; font-size: 0.92em; max-width: 52em; }}
.work {{ color: #7a5b00; font-size: 0.88em; font-weight: 600; }}
a.live, a.start {{ background: #f0b429; color: #1f1f1f; padding: 0.3em 0.8em; border-radius: 4px;
  text-decoration: none; font-weight: 600; margin-left: 0.6em; }}
a.start {{ display: inline-block; margin: 0.6em 0 0; font-size: 1.05em; }}
.box {{ background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 0.4em 1.2em; }}
code {{ background: #eef1f4; padding: 0.05em 0.3em; border-radius: 3px; }}
header code {{ background: rgba(255, 255, 255, 0.18); color: #fff; }}
</style>
</head>
<body>
<header>
<h1>The learning rate, seen happening</h1>
<p>An interactive course on the step size of gradient descent and every optimiser built on it:
eight lessons with live sliders and seven auto-graded exercises that say <em>what</em> is wrong.</p>
<p>Everything runs in this browser: Python (Pyodide) with NumPy, Matplotlib, scikit-learn and the
course's <code>lrcourse</code> library. Nothing to install, no account; the first lesson you open
downloads about 70 MB from this site (JupyterLab, Python and its libraries), and nothing from
anywhere else.</p>
<a class="start" href="{html.escape(first.live(lite))}">Start with lesson {first.number} live</a>
</header>
<main>
<h2>Lessons</h2>
<p><b>Read</b> shows a lesson with its stored figures, nothing running. <b>Open live</b> opens it in
JupyterLite: run the cells (Run → Run All Cells) and move the sliders.</p>
<table>
{lessons}
</table>
<h2>Exercises</h2>
<p>Write your code where it says <code># YOUR CODE HERE</code> and run the check cell below it: a right
answer prints its points, a wrong one names the mistake and gives a hint. A function that runs
longer than 5 seconds is stopped and reported, as on the desktop. To see your progress over all
exercises, run <code>from lrcourse.progress import progress; progress()</code> in any notebook:
it reads your saved exercise notebooks and counts the checks that passed when you last ran them.</p>
<table>
{exercises}
</table>
<h2 id="your-work">Where your work is kept</h2>
<div class="box">
<p>Your notebooks are saved <b>in this browser</b> (its site storage, IndexedDB), for this web address
only: they are there when you come back, on this browser and this device. They are not sent
anywhere. Clearing the browser's site data, a private window, or another browser or device starts
from the course's copies again.</p>
<p><b>To hand in work or keep a copy</b>: in JupyterLite's file browser (the folder icon on the
left), open <code>exercises/</code>, right-click your notebook and choose <b>Download</b> (or, with the notebook open, press
Ctrl+Shift+C for the command palette and choose <i>Download</i>; JupyterLite's File menu has
no Download item). Send the downloaded <code>.ipynb</code> to your instructor, who grades it
with <code>lrcourse grade</code>.</p>
<p><b>After a reload</b> JupyterLite opens on its launcher, not on the notebook you had open:
your work is still there — open it again from <code>exercises/</code> (or
<code>notebooks/</code>) in the file browser. Unsaved changes are lost on a reload (the browser
asks first): save with Ctrl+S.</p>
<p><b>To start an exercise over</b>: delete it in the file browser (right-click → Delete) and
reload the page; the course's copy comes back.</p>
</div>
<h2>On your own machine</h2>
<p>The same course runs in JupyterLab on your computer (Python 3.11+ and git): clone the
course's repository (its <a href="pages/README.html">README</a> says more), then, in its folder, <code>python3 course.py lab</code> opens the course
(and <code>python3 course.py test</code> runs every test). The browser version uses Pyodide's builds of the libraries
(Python 3.12, NumPy 2.0, Matplotlib 3.8, scikit-learn 1.6); the lessons and checks are the same.</p>
</main>
</body>
</html>
"""
