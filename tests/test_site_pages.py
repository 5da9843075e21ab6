"""The site's static pages without building the site: every link leads somewhere, the
documents lesson 00 points a stuck learner to are pages too, and nothing for
instructors' eyes only (the teaching guide holds the multiple-choice answers) is published."""

from __future__ import annotations

import re
import sys
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # course_site lives beside lrcourse, not inside it

from course_site import pages  # noqa: E402
from course_site.documents import PUBLISHED  # noqa: E402
LOCAL_LINK = re.compile(r"""(?:href|src)="(?!https?:|data:|mailto:|#)([^"#?]+)""")


def broken_links(site: Path, *, skip: str = "\0") -> list[str]:
    """Relative links of the site's pages that lead to no file (``skip``: a prefix not built)."""
    broken = []
    for page in [site / "index.html", *sorted((site / "pages").rglob("*.html"))]:
        for target in LOCAL_LINK.findall(page.read_text(encoding="utf-8")):
            resolved = (page.parent / target).resolve()
            if not resolved.relative_to(site.resolve()).as_posix().startswith(skip) and not resolved.exists():
                broken.append(f"{page.relative_to(site)} → {target}")
    return broken


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    notebooks = [path.relative_to(ROOT) for folder in ("notebooks", "exercises")
                 for path in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))]
    pages.write_pages(out, notebooks, ROOT, "lite")
    return out


def test_every_link_of_every_page_leads_to_a_file(site):
    assert broken_links(site, skip="lite/") == []


def test_lesson_00s_help_links_open_the_readme_and_the_instructor_guide(site):
    page = (site / "pages" / "notebooks" / "00_start_here.html").read_text(encoding="utf-8")
    assert 'href="../README.html"' in page and 'href="../docs/instructor.html"' in page
    readme = (site / "pages" / "README.html").read_text(encoding="utf-8")
    assert 'href="notebooks/01_gradient_descent.html"' in readme and 'src="docs/figures/' in readme
    assert 'href="../index.html"' in readme  # the bar leads back to the course


def test_only_the_published_documents_reach_the_site(site):
    documents = {PurePosixPath(p.relative_to(site / "pages").with_suffix(".md").as_posix())
                 for p in (site / "pages").rglob("*.html") if p.parent.name not in ("notebooks", "exercises")}
    assert documents == set(PUBLISHED)
    assert not list(site.rglob("teaching-guide*"))
    readme = (site / "pages" / "README.html").read_text(encoding="utf-8")
    assert "not on this site\">docs/teaching-guide.md</span>" in readme


def test_every_page_has_the_course_icon(site):
    for page in [site / "index.html", *(site / "pages").rglob("*.html")]:
        links = re.findall(r"<link [^>]*>", page.read_text(encoding="utf-8"))
        assert any('rel="icon"' in link and 'href="data:image/svg+xml,' in link for link in links), page
