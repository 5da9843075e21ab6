#!/usr/bin/env python3
"""Set up and run the course with nothing but Python 3.11+ and git.

    python3 course.py lab        # open the course in JupyterLab
    python3 course.py test       # run every test

The first run of either creates a virtual environment in .venv/ and installs the
exact versions pinned in requirements.txt (lab: what the lessons need) or
requirements-test.txt (test: that plus pytest, nbval and playwright), and the
lrcourse package. A later run installs again only when those files change.

    python3 course.py lab [ARGS]     ARGS go to `jupyter lab`, e.g. --port 8890 --no-browser
    python3 course.py test [ARGS]    ARGS go to pytest, e.g. -k optim, or tests/test_optim.py
    python3 course.py progress [ARGS]  your progress through the exercises (ARGS: --parts)
    python3 course.py site [ARGS]    build the course as a static web site in _site/ (every
                                     notebook live in the browser; ARGS: --out DIR,
                                     --pyodide PATH_OR_URL of Pyodide's release tarball)

For maintainers:

    python3 course.py lock       # re-pin requirements*.txt to the newest versions that
                                 # requirements*.in allow; then run `test` before committing
    python3 course.py newest [ARGS]  # run every test against the newest versions the
                                     # ranges allow (in .venv-newest/), without changing the pins
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

MIN_PYTHON = (3, 11)
ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
NEWEST_VENV = ROOT / ".venv-newest"
SITE_VENV = ROOT / ".venv-site"
STAMP_NAME = ".lrcourse-installed.json"

#: each level of set-up: its pinned requirements (written by `lock` from the .in file)
LOCKS = {"lab": "requirements.txt", "test": "requirements-test.txt", "site": "requirements-site.txt"}
RANGES = {"lab": "requirements.in", "test": "requirements-test.in", "site": "requirements-site.in"}


# ---------------------------------------------------------------------------
# The virtual environment
# ---------------------------------------------------------------------------

def bin_dir(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def env_python(env: Path) -> Path:
    return bin_dir(env) / ("python.exe" if os.name == "nt" else "python")


def check_python() -> None:
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"The course needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; "
                 f"this is Python {platform.python_version()} ({sys.executable}).")


def create_env(env: Path) -> Path:
    python = env_python(env)
    if not python.exists():
        print(f"Creating a virtual environment in {env.name}/ ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(env)
    return python


def pip_install(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args]
    if subprocess.call(command) != 0:
        sys.exit("Installing failed (pip's message is above). Check the network connection "
                 "and run the same command again: it resumes where it stopped.")


def digest(level: str) -> str:
    """What the installed environment of ``level`` depends on."""
    sha = hashlib.sha256()
    for name in (LOCKS[level], "pyproject.toml"):
        sha.update((ROOT / name).read_bytes())
    return sha.hexdigest()


def installed(env: Path) -> dict:
    try:
        return json.loads((env / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return {}


def ensure_environment(level: str) -> Path:
    """Create .venv and install the pins of ``level`` ("lab" or "test") if needed.

    The test pins include the lab pins at the same versions, so an environment set
    up for ``test`` also serves ``lab``.
    """
    check_python()
    python = create_env(VENV)
    stamp = installed(VENV)
    satisfied = stamp.get(level) == digest(level)
    if level == "lab":
        satisfied = satisfied or stamp.get("test") == digest("test")
    if satisfied:
        return python
    what = "the lessons" if level == "lab" else "the lessons and the tests"
    print(f"Installing the pinned versions of what {what} need from {LOCKS[level]} "
          f"(the first time takes a few minutes) ...", flush=True)
    pip_install(python, "-r", str(ROOT / LOCKS[level]))
    pip_install(python, "--no-deps", "-e", str(ROOT))
    stamp = {"lab": digest("lab")}
    if level == "test":
        stamp["test"] = digest("test")
    (VENV / STAMP_NAME).write_text(json.dumps(stamp))
    return python


def env_with_venv(env: Path) -> dict:
    """os.environ with the venv's bin/ first on PATH (JupyterLab terminals inherit it)."""
    variables = dict(os.environ, VIRTUAL_ENV=str(env))
    variables["PATH"] = str(bin_dir(env)) + os.pathsep + variables.get("PATH", "")
    return variables


def run(command: list, *, cwd: Path, env: Path) -> int:
    """Run a command to completion. Ctrl+C reaches it directly (JupyterLab then asks to
    confirm); a SIGTERM to this script is passed on, so that stopping `course.py lab`
    also stops JupyterLab and its kernels instead of leaving them running."""
    process = subprocess.Popen([str(part) for part in command], cwd=cwd, env=env_with_venv(env))
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda signum, frame: process.terminate())
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------

def quiet_lab_settings(env: Path) -> None:
    """JupyterLab's defaults in ``env``: no "get notified about Jupyter news?" pop-up
    over lesson 00 (the --LabApp.news_url flag alone does not stop JupyterLab 4 from
    asking), no update check. A learner can still change both in Settings."""
    settings = env / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    overrides = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
    (settings / "overrides.json").write_text(json.dumps(overrides, indent=2) + "\n")


def lab(args: list[str]) -> int:
    """Open the course in JupyterLab, in the learner's own copies (my-work/)."""
    python = ensure_environment("lab")
    quiet_lab_settings(VENV)
    prepared = subprocess.run([str(python), "-m", "lrcourse.workspace", "--prepare"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if prepared.returncode != 0:
        return prepared.returncode
    lines = prepared.stdout.strip().splitlines()
    workspace = Path(lines[-1])
    print("\n".join(lines[:-1]), flush=True)
    # the URL JupyterLab prints and opens is lesson 00's, so a copied link opens it too
    command = [python, "-m", "jupyter", "lab", f"--ServerApp.root_dir={workspace}",
               "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb",
               "--LabApp.news_url=None"]   # no "get Jupyter news?" pop-up over lesson 00
    if os.name != "nt":
        # Jupyter starts terminals as login shells when its output is not a terminal,
        # and a login shell's /etc/profile resets PATH: `lrcourse` would be "command
        # not found". A plain interactive shell keeps .venv/bin first on PATH.
        shell = os.environ.get("SHELL") or "/bin/sh"
        command.append(f"--ServerApp.terminado_settings={{'shell_command': [{shell!r}]}}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        print("Running as root (as in many containers and cloud machines): "
              "starting JupyterLab with --allow-root.", flush=True)
        command.append("--allow-root")
    return run(command + args, cwd=workspace, env=VENV)


def test(args: list[str]) -> int:
    python = ensure_environment("test")
    return run([python, "-m", "pytest", *args], cwd=ROOT, env=VENV)


def progress(args: list[str]) -> int:
    python = ensure_environment("lab")
    return run([python, "-m", "lrcourse.cli", "progress", *args], cwd=ROOT, env=VENV)


def lock(args: list[str]) -> int:
    """Re-pin requirements*.txt to the newest versions requirements*.in allow."""
    check_python()
    if args:
        sys.exit("`lock` takes no arguments")
    with tempfile.TemporaryDirectory(prefix="lrcourse-lock-") as tmp:
        for level in ("lab", "test", "site"):
            # test adds to lab's environment; the site's tools get one of their own
            python = create_env(Path(tmp) / ("site-env" if level == "site" else "env"))
            constraints = ["-c", str(ROOT / LOCKS["lab"])] if level == "test" else []
            print(f"Resolving {RANGES[level]} ...", flush=True)
            pip_install(python, "-r", str(ROOT / RANGES[level]), *constraints)
            # the site builds a wheel, so its lock pins setuptools too (freeze leaves it out)
            every = ["--all"] if level == "site" else []
            frozen = subprocess.run([str(python), "-m", "pip", "freeze", "--disable-pip-version-check", *every],
                                    stdout=subprocess.PIPE, text=True, check=True).stdout
            frozen = "".join(line for line in frozen.splitlines(True) if not line.startswith("pip=="))
            header = (f"# Pinned by `python3 course.py lock` from {RANGES[level]} on "
                      f"{datetime.date.today()} with Python {platform.python_version()} "
                      f"({platform.system()} {platform.machine()}).\n"
                      f"# Do not edit: change {RANGES[level]}, run `python3 course.py lock`, "
                      f"then `python3 course.py test`.\n")
            (ROOT / LOCKS[level]).write_text(header + frozen)
            print(f"wrote {LOCKS[level]} ({len(frozen.splitlines())} packages)")
    print("Now run `python3 course.py test`; commit the new pins only if it passes.")
    return 0


def site(args: list[str]) -> int:
    """Build the static site (course_site.build) with the pinned tools of .venv-site/."""
    check_python()
    python = create_env(SITE_VENV)
    if installed(SITE_VENV).get("site") != digest("site"):
        print(f"Installing the pinned versions of what the site build needs from {LOCKS['site']} "
              f"into {SITE_VENV.name}/ ...", flush=True)
        pip_install(python, "-r", str(ROOT / LOCKS["site"]))
        (SITE_VENV / STAMP_NAME).write_text(json.dumps({"site": digest("site")}))
    return run([python, "-m", "course_site.build", *args], cwd=ROOT, env=SITE_VENV)


def newest(args: list[str]) -> int:
    """Every test against the newest versions the ranges allow, pins untouched."""
    check_python()
    python = create_env(NEWEST_VENV)
    print(f"Installing the newest versions that {RANGES['test']} allows into "
          f"{NEWEST_VENV.name}/ ...", flush=True)
    pip_install(python, "--upgrade", "-r", str(ROOT / RANGES["test"]))
    pip_install(python, "--no-deps", "-e", str(ROOT))
    freeze = subprocess.run([str(python), "-m", "pip", "freeze", "--exclude-editable"],
                            stdout=subprocess.PIPE, text=True, check=True).stdout.splitlines()
    pinned = set((ROOT / LOCKS["test"]).read_text().splitlines())
    differ = [line for line in freeze if line not in pinned]
    print("Versions that differ from requirements-test.txt: " + (", ".join(differ) or "none"))
    return run([python, "-m", "pytest", *args], cwd=ROOT, env=NEWEST_VENV)


COMMANDS = {"lab": lab, "test": test, "progress": progress, "lock": lock, "newest": newest,
            "site": site}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip())
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
