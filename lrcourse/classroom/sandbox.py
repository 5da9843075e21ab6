"""The command that starts a submission's runner, in a bubblewrap sandbox if possible.

With bubblewrap (Debian's ``bubblewrap`` package, the ``bwrap`` command) the runner
sees a read-only view of the system (``/usr``, ``/etc``, the Python installation,
the virtual environment and the ``lrcourse`` package *without* its checks,
``lrcourse/grading``, which is covered by an empty folder), a private writable
``/tmp`` (its HOME and working folder), no network (``--unshare-net``), its own
process namespace (``--unshare-pid``: every process it starts ends with it;
``--die-with-parent``), and nothing else: not the submissions, not the output
folder, not the exercise sources, not the grader's files.  Run as root, the runner
drops to the ``nobody`` user before any learner code runs.  Inside, the runner sets
hard limits (soft = hard) on memory, processes, file size and CPU time.

Without bubblewrap (or where it cannot start, e.g. no user namespaces), the runner
is an ordinary child process with the same hard limits: see the instructor guide
for what that mode does not protect.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["bwrap_path", "sandbox_available", "sandbox_command", "SANDBOX_HOME", "SANDBOX_WORKDIR"]

SANDBOX_HOME = "/tmp/home"
SANDBOX_WORKDIR = "/tmp/work/1/2/3/4/5/6/7/8/work"
FONT_CACHE_MOUNT = "/run/lrcourse-font-cache"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _package_dir() -> Path:
    import lrcourse

    return Path(lrcourse.__file__).resolve().parent


def _font_cache() -> str:
    try:
        import matplotlib

        return matplotlib.get_cachedir()
    except Exception:  # noqa: BLE001
        return ""


def _ancestors(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if str(p) != "/"]


def sandbox_command(argv: list[str], tmp_size: int, capabilities: bool = False) -> list[str]:
    """``argv`` wrapped in bubblewrap (see the module docstring).

    ``capabilities``: keep all capabilities inside the sandbox's own user namespace
    (for the zygote run by a non-root user, which needs them to give each runner its
    own namespaces; the runner drops them all before any learner code).
    """
    args = [bwrap_path() or "bwrap", "--die-with-parent", "--new-session",
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--clearenv"]
    if os.getuid() != 0:
        args.append("--unshare-user")
        if capabilities:
            args.extend(["--cap-add", "ALL"])
    # the private /tmp first: a course or venv that lives under /tmp is bound on top of it
    # below (bound after it, the tmpfs would hide them)
    args.extend(["--proc", "/proc", "--dev", "/dev",
                 "--size", str(int(tmp_size)), "--perms", "1777", "--tmpfs", "/tmp"])
    made: set[str] = {"/tmp"}
    bound: set[str] = set()

    def parents(path: Path):
        for ancestor in _ancestors(path):
            if str(ancestor) not in made and not ancestor.is_symlink():
                args.extend(["--perms", "0755", "--dir", str(ancestor)])
                made.add(str(ancestor))

    for name in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "etc", "opt"):
        path = Path("/") / name
        if path.is_symlink():
            args.extend(["--symlink", os.readlink(path), str(path)])
        elif path.is_dir():
            args.extend(["--ro-bind", str(path), str(path)])
            made.add(str(path))
            bound.add(str(path))
    package = _package_dir()
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
             Path(sys.executable).resolve().parent.parent, package}
    for root in sorted(roots, key=lambda p: len(p.parts)):
        if any(str(root).startswith(m + "/") or str(root) == m for m in bound):
            continue
        parents(root)
        args.extend(["--ro-bind", str(root), str(root)])
        made.add(str(root))
        bound.add(str(root))
    grading = package / "grading"
    if grading.is_dir():
        args.extend(["--tmpfs", str(grading)])  # the checks and the reference solutions: hidden
        args.extend(["--remount-ro", str(grading)])
    cache = _font_cache()
    if cache and os.path.isdir(cache):
        args.extend(["--perms", "0755", "--dir", "/run", "--ro-bind", cache, FONT_CACHE_MOUNT])
    args.extend(["--chdir", "/tmp"])
    env = {"HOME": SANDBOX_HOME, "TMPDIR": "/tmp", "PATH": "/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
           "IPYTHONDIR": SANDBOX_HOME + "/.ipython",
           "XDG_CACHE_HOME": SANDBOX_HOME + "/.cache", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2",
           "PYTHONNOUSERSITE": "1"}
    for key, value in env.items():
        args.extend(["--setenv", key, value])
    return args + ["--"] + argv


@functools.lru_cache(maxsize=1)
def sandbox_available() -> tuple[bool, str]:
    """``(True, "")`` if a bubblewrap sandbox starts here, else ``(False, why)``."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})"
    if bwrap_path() is None:
        return False, "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    command = sandbox_command([sys.executable, "-c", "import numpy; print('ok')"], 16 * 2**20)
    try:
        done = subprocess.run(command, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"bubblewrap did not start: {error}"
    if done.returncode != 0 or done.stdout.strip() != b"ok":
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        return False, f"bubblewrap did not start ({last})"
    return True, ""
