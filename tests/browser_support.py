"""What the browser tests share: finding Chromium, a private JupyterLab, skip-or-fail.

A missing browser or tool skips a test on a learner's machine with a message, and
fails it under ``CI=true`` (``.ci/run`` installs Debian's chromium and bubblewrap).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from ci_support import IN_CI, require  # noqa: F401 - the browser tests import them from here

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: flags for a headless Chromium on a machine with no network but loopback
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
#: JupyterLab flags for a quiet private server: no news pop-up, no update check
QUIET_LAB = ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def launch_chromium(playwright):
    """Headless Debian Chromium through Playwright (skip or fail when it is absent)."""
    chromium = find_chromium()
    require(chromium is not None,
            "Chromium not found: install Debian's chromium (apt-get install chromium) "
            "to run the browser tests")
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_environment(tmp: Path) -> dict:
    """os.environ with JupyterLab's config, data, settings and HOME inside ``tmp``."""
    settings = tmp / "lab-settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return dict(
        os.environ,
        HOME=str(tmp / "home"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        # a kernel that crashes in native code leaves its Python stack in the server log
        PYTHONFAULTHANDLER="1",
    )


@contextlib.contextmanager
def jupyterlab_server(root: Path, tmp: Path, token: str):
    """A private JupyterLab on 127.0.0.1 serving ``root``; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
               "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", *QUIET_LAB]
    log_path = tmp / "jupyterlab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, env=lab_environment(tmp), stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                    time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_idle(page, timeout_ms=120_000):
    """Wait for the kernel status in the status bar to read Idle."""
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('#jp-main-statusbar');
            return bar && /\\|\\s*Idle/.test(bar.textContent);
        }""",
        timeout=timeout_ms,
    )
