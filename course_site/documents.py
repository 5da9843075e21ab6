"""The project's own documents that the course's pages link to, as pages of the site.

Lesson 00 sends a learner who is stuck to ``../README.md`` and ``../docs/instructor.md``,
and the README links to the other documents and to every notebook.  On the site those
links must lead somewhere: every markdown file reachable by relative links from the
rendered notebooks is rendered too, at the same place under ``pages/`` as in the
repository (``README.md`` → ``pages/README.html``, ``docs/instructor.md`` →
``pages/docs/instructor.html``), so relative links keep working once ``.md`` reads
``.html``.  Local images the documents show are copied beside them.

Only :data:`PUBLISHED` documents reach the site: the teaching guide holds the answers of
the graded multiple-choice parts, and the exercise design describes the hidden checks;
a link to them reads as plain text on the site (they are in the course's repository).
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path, PurePosixPath

import nbformat
from nbconvert import HTMLExporter

from course_site.icon import ICON

TEMPLATES = Path(__file__).resolve().parent / "templates"
PUBLISHED = frozenset(map(PurePosixPath, ("README.md", "docs/instructor.md", "docs/library-design.md")))
_DOCUMENT_LINK = re.compile(r'href="([^"#:?]+?\.md)(#[^"]*)?"')
_NOTEBOOK_LINK = re.compile(r'href="([^"#:?]+?)\.ipynb(#[^"]*)?"')
_DOCUMENT_ANCHOR = re.compile(r'<a href="([^"#:?]+?\.md)(?:#[^"]*)?"[^>]*>(.*?)</a>', re.S)
_LOCAL_IMAGE = re.compile(r'src="([^"#:?]+?\.(?:png|svg|jpg|jpeg|gif))"')


def linked(source: PurePosixPath, html: str, pattern: re.Pattern = _DOCUMENT_LINK) -> list[PurePosixPath]:
    """Repository paths that ``html`` (the page of ``source``) links to with ``pattern``."""
    found = []
    for match in pattern.finditer(html):
        target = posixpath.normpath(posixpath.join(source.parent.as_posix(), match.group(1)))
        if not target.startswith("../"):
            found.append(PurePosixPath(target))
    return found


def point_links_at_pages(html: str, rendered: set[PurePosixPath], source: PurePosixPath) -> str:
    """``.md`` and ``.ipynb`` links as links to their pages; a link to a document the site
    does not render becomes its text (marked as being in the repository)."""
    def document(match: re.Match) -> str:
        target = linked(source, match.group(0))
        if target and target[0] in rendered:
            return f'href="{match.group(1)[:-3]}.html{match.group(2) or ""}"'
        return match.group(0)

    def unpublished(match: re.Match) -> str:
        target = linked(source, f'href="{match.group(1)}"')
        if target and target[0] in rendered:
            return match.group(0)
        return f'<span title="in the course\'s repository, not on this site">{match.group(2)}</span>'
    html = _DOCUMENT_LINK.sub(document, _DOCUMENT_ANCHOR.sub(unpublished, html))
    return _NOTEBOOK_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)


def render_document(root: Path, path: PurePosixPath) -> str:
    """One markdown file as a page with the course's bar (home link, no live link)."""
    text = (root / path).read_text(encoding="utf-8")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    home = "../" * (len(path.parts) - 1) + "../index.html"  # the page sits under pages/
    exporter = HTMLExporter(template_name="lab", template_file=str(TEMPLATES / "page.html.j2"))
    resources = {"course": {"home": home, "live": "", "kind": path.as_posix(), "icon": ICON},
                 "metadata": {"name": path.name}}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    return body


def write_documents(site: Path, root: Path, pages: dict[PurePosixPath, str]) -> list[PurePosixPath]:
    """Render every document reachable from ``pages`` ({repository path of a notebook: its
    page's HTML}), rewrite the links of all pages, and write them.  Returns the documents."""
    queue = [target for source, html in pages.items() for target in linked(source, html)]
    bodies: dict[PurePosixPath, str] = {}
    while queue:
        path = queue.pop(0)
        if path in bodies or path not in PUBLISHED or not (root / path).is_file():
            continue
        bodies[path] = render_document(root, path)
        queue += linked(path, bodies[path])
    rendered = set(bodies)
    for path, html in {**pages, **bodies}.items():
        target = site / "pages" / path.with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(point_links_at_pages(html, rendered, path), encoding="utf-8")
    for path, html in bodies.items():
        for image in linked(path, html, _LOCAL_IMAGE):
            if (root / image).is_file():
                (site / "pages" / image).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / image, site / "pages" / image)
    return sorted(bodies)
