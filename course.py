#!/usr/bin/env python3
"""Set up and run the course with nothing but Python 3.10+ and git.

    python3 course.py lab     # create .venv, install, open JupyterLab on lesson 00
    python3 course.py test    # create .venv, install, run every test

Both commands create a local virtual environment in ``.venv`` (first run only),
install ``requirements.txt`` and the ``lrcourse`` package into it (again whenever
``requirements*.txt`` or ``pyproject.toml`` change), and then do their job.
Extra arguments after ``test`` are passed to pytest (e.g. ``-k optim``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".lrcourse-installed"
INSTALL_INPUTS = ["requirements.txt", "requirements-test.txt", "pyproject.toml"]


def venv_python() -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for name in INSTALL_INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> Path:
    """Create .venv and install the requirements and the package if needed."""
    if sys.version_info < (3, 10):
        sys.exit(f"lrcourse needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV.name}/ ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == inputs_digest():
        return python
    print("Installing the course's requirements (first run takes a few minutes) ...", flush=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-r", str(ROOT / "requirements-test.txt")], check=True)
    subprocess.run(pip + ["--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(inputs_digest())
    return python


def lab(python: Path, args: list[str]) -> int:
    first_lesson = "notebooks/00_start_here.ipynb"
    command = [str(python), "-m", "jupyter", "lab", first_lesson, *args]
    return subprocess.call(command, cwd=ROOT)


def test(python: Path, args: list[str]) -> int:
    command = [str(python), "-m", "pytest", *args]
    return subprocess.call(command, cwd=ROOT)


COMMANDS = {"lab": lab, "test": test}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip())
        return 2
    python = ensure_environment()
    return COMMANDS[argv[0]](python, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
