"""Start an IPython kernel under resource limits (the grader's kernel command).

Run as ``python -m lrcourse.classroom.kernel_launcher [options] -- <ipykernel args>``.
Before the kernel starts, this process (which then *is* the kernel) sets:

- ``RLIMIT_AS`` to ``--memory`` bytes, so an allocation past it raises MemoryError;
- ``RLIMIT_FSIZE`` to ``--file-size`` bytes, with ``SIGXFSZ`` ignored, so a longer
  write fails with ``OSError`` instead of killing the kernel;
- ``RLIMIT_CPU`` to ``--cpu-seconds`` (a backstop behind the grader's timeouts);
- ``RLIMIT_CORE`` to 0 (a crash leaves no core file);
- on Linux, ``PR_SET_PDEATHSIG`` so the kernel is killed if its grader dies.

Then it imports the ``--preload`` modules (so that importing them in the first cell
does not eat into that cell's time limit) and hands over to ``ipykernel``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

__all__ = ["apply_limits", "main"]


def apply_limits(memory_bytes: int, file_bytes: int, cpu_seconds: int) -> None:
    """Lower this process's resource limits (never raise them above the hard limit)."""
    import resource

    def lower(which, value):
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):  # e.g. RLIMIT_AS on macOS: the limit is not enforced there
            pass

    lower(resource.RLIMIT_AS, memory_bytes)
    lower(resource.RLIMIT_FSIZE, file_bytes)
    lower(resource.RLIMIT_CPU, cpu_seconds)
    lower(resource.RLIMIT_CORE, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits (best effort)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _preload(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 — a failed preload is retried by the cell itself
            pass


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv:
        split = argv.index("--")
        own, kernel_args = argv[:split], argv[split + 1:]
    else:
        own, kernel_args = argv, []
    parser = argparse.ArgumentParser(prog="lrcourse.classroom.kernel_launcher")
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--file-size", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--preload", default="")
    options = parser.parse_args(own)

    _die_with_parent()
    apply_limits(options.memory, options.file_size, options.cpu_seconds)
    # the working directory is the sandbox: keep it off sys.path while we load
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]
    _preload([name for name in options.preload.split(",") if name])

    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=kernel_args)


if __name__ == "__main__":
    main()
