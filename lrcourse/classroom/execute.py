"""Run a list of code cells in a fresh, resource-limited kernel.

One call starts one IPython kernel (through :mod:`lrcourse.classroom.kernel_launcher`,
which applies the memory, file-size and CPU limits), in its own working directory
under a private temporary directory, runs the cells one at a time and returns one
:class:`CellOutcome` per cell.  It never raises because of what the cells do:

======================  ==========================================================
outcome ``status``      meaning
======================  ==========================================================
``ok``                  the cell ran to the end
``error``               the cell raised (``ename``, ``evalue``)
``timeout``             the cell ran past the per-cell limit and was interrupted
``notebook timeout``    the notebook ran past its total limit during this cell
``output limit``        the cell sent more output than allowed and was interrupted
``kernel died``         the kernel process exited during this cell (``detail``)
``not run``             an earlier fault ended the run (``detail`` says which)
======================  ==========================================================

After ``timeout`` or ``output limit`` the kernel is interrupted (``KeyboardInterrupt``)
and the run goes on with the next cell if the kernel comes back within
``limits.interrupt_grace`` seconds; a kernel that does not come back ends the run, as do ``kernel died`` and
``notebook timeout``.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from lrcourse.classroom.limits import Limits, format_size

__all__ = [
    "CellOutcome",
    "ExecutionResult",
    "run_cells",
    "prepare_sandbox",
    "OK",
    "ERROR",
    "TIMEOUT",
    "NOTEBOOK_TIMEOUT",
    "OUTPUT_LIMIT",
    "KERNEL_DIED",
    "NOT_RUN",
]

OK = "ok"
ERROR = "error"
TIMEOUT = "timeout"
NOTEBOOK_TIMEOUT = "notebook timeout"
OUTPUT_LIMIT = "output limit"
KERNEL_DIED = "kernel died"
NOT_RUN = "not run"

KERNEL_NAME = "lrcourse-grader"
#: Characters of stdout/stderr kept per cell (for feedback; the rest is counted only).
KEPT_TEXT = 20_000
#: Directories between the sandbox root and the kernel's working directory, so that
#: relative paths climbing up to this many levels (``../../x``) stay in the sandbox.
SANDBOX_DEPTH = 8


@dataclass
class CellOutcome:
    """What happened when one cell ran."""

    status: str = NOT_RUN
    ename: str = ""
    evalue: str = ""
    stdout: str = ""
    stderr: str = ""
    detail: str = ""
    output_bytes: int = 0
    seconds: float = 0.0


@dataclass
class ExecutionResult:
    """Outcomes of all cells (same order as the input), and how the run ended."""

    outcomes: list[CellOutcome]
    fatal: str = ""
    kernel_started: bool = True
    workdir: Path | None = None


def prepare_sandbox(root: Path, limits: Limits, preload: Sequence[str] = ()) -> dict:
    """Create the sandbox directories and the kernel spec under ``root``.

    Returns a dict with ``workdir`` (the kernel's working directory), ``env`` (the
    kernel's environment), ``kernel_dirs`` (where the kernel spec is),
    ``connection_file`` and ``log`` (the kernel's stderr before it captures it).
    """
    root = Path(root)
    workdir = root / "sandbox"
    for level in range(1, SANDBOX_DEPTH + 1):
        workdir = workdir / str(level)
    workdir = workdir / "work"
    home, tmp = root / "home", root / "tmp"
    for directory in (workdir, home, tmp):
        directory.mkdir(parents=True, exist_ok=True)

    cpu_seconds = int(limits.notebook_timeout + limits.startup_timeout) + 30
    argv = [
        sys.executable, "-m", "lrcourse.classroom.kernel_launcher",
        "--memory", str(limits.memory_bytes),
        "--file-size", str(limits.max_file_bytes),
        "--cpu-seconds", str(cpu_seconds),
        "--preload", ",".join(preload),
        "--", "-f", "{connection_file}",
    ]
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": argv, "display_name": "lrcourse grader", "language": "python",
            "interrupt_mode": "signal"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return {"workdir": workdir, "env": _kernel_environment(home, tmp),
            "kernel_dirs": [str(root / "kernels")], "connection_file": str(root / "connection.json"),
            "log": str(root / "kernel-stderr.log")}


def _kernel_environment(home: Path, tmp: Path) -> dict:
    """The kernel's environment: this process's, with a private HOME and TMPDIR."""
    import lrcourse

    env = dict(os.environ)
    real_home = Path(os.path.expanduser("~"))
    # keep finding matplotlib's font cache (rebuilding it costs seconds per kernel)
    env.setdefault("XDG_CACHE_HOME", str(real_home / ".cache"))
    env.setdefault("XDG_CONFIG_HOME", str(real_home / ".config"))
    package_root = str(Path(lrcourse.__file__).resolve().parents[1])
    python_path = [package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update({
        "HOME": str(home),
        "IPYTHONDIR": str(home / ".ipython"),
        "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp),
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(python_path)),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    for name in ("JPY_PARENT_PID", "JPY_SESSION_NAME", "JUPYTER_RUNTIME_DIR"):
        env.pop(name, None)
    return env


def run_cells(sources: Sequence[str], limits: Limits, sandbox_root: Path,
              preload: Sequence[str] = ()) -> ExecutionResult:
    """Run ``sources`` (code cell texts) in order in a fresh limited kernel.

    Parameters
    ----------
    sources : sequence of str
        The code of each cell.
    limits : Limits
        Time, memory and output limits.
    sandbox_root : Path
        An empty private directory; the kernel's home, temp and working directories
        are made inside it.  The caller deletes it afterwards.
    preload : sequence of str
        Modules the kernel imports before the first cell (outside the time limits).
    """
    sandbox = prepare_sandbox(Path(sandbox_root), limits, preload)
    return asyncio.run(_run(list(sources), limits, sandbox))


async def _run(sources: list[str], limits: Limits, sandbox: dict) -> ExecutionResult:
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    outcomes = [CellOutcome() for _ in sources]
    result = ExecutionResult(outcomes=outcomes, workdir=sandbox["workdir"])
    spec_manager = KernelSpecManager(kernel_dirs=sandbox["kernel_dirs"], ensure_native_kernel=False)
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=spec_manager,
                            connection_file=sandbox["connection_file"])
    kc = None
    log_path = Path(sandbox["log"])
    try:
        try:
            with open(log_path, "wb") as log:
                await km.start_kernel(cwd=str(sandbox["workdir"]), env=sandbox["env"],
                                      stdout=subprocess.DEVNULL, stderr=log)
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=limits.startup_timeout)
        except Exception as error:  # noqa: BLE001 — report, never raise
            result.kernel_started = False
            lines = log_path.read_bytes()[-2000:].decode("utf-8", "replace").strip().splitlines()
            last = f" ({lines[-1]})" if lines else ""
            result.fatal = f"the grading kernel did not start: {type(error).__name__}: {error}{last}"
            for outcome in outcomes:
                outcome.detail = result.fatal
            return result
        runner = _CellRunner(km, kc, limits)
        notebook_deadline = time.monotonic() + limits.notebook_timeout
        for index, source in enumerate(sources):
            if result.fatal:
                outcomes[index].detail = result.fatal
                continue
            outcome = await runner.run(source, notebook_deadline)
            outcomes[index] = outcome
            if outcome.status in (KERNEL_DIED, NOTEBOOK_TIMEOUT) or runner.stuck:
                result.fatal = _fatal_summary(index, outcome, runner.stuck)
        return result
    finally:
        if kc is not None:
            kc.stop_channels()
        try:
            await km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 — already dead or never started
            pass
        try:
            await km.cleanup_resources()
        except Exception:  # noqa: BLE001
            pass


def _fatal_summary(index: int, outcome: CellOutcome, stuck: bool) -> str:
    if outcome.status == KERNEL_DIED:
        return f"the kernel died in cell {index} ({outcome.detail})"
    if outcome.status == NOTEBOOK_TIMEOUT:
        return f"the notebook ran out of time in cell {index}"
    return f"the kernel did not stop after cell {index} was interrupted ({outcome.status})"


def _exit_description(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _payload_size(content: dict) -> int:
    """Approximate size in bytes of an output message's content."""
    size = 0
    stack = [content]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return size


class _CellRunner:
    """Runs one cell at a time on a started kernel, enforcing the limits."""

    poll_interval = 0.1
    alive_check_interval = 0.5

    def __init__(self, km, kc, limits: Limits):
        self.km, self.kc, self.limits = km, kc, limits
        self.stuck = False

    async def _kernel_exit(self) -> int | None:
        provisioner = self.km.provisioner
        if provisioner is None:
            return None
        return await provisioner.poll()

    async def run(self, source: str, notebook_deadline: float) -> CellOutcome:
        outcome = CellOutcome(status=OK)
        started = time.monotonic()
        cell_deadline = min(started + self.limits.cell_timeout, notebook_deadline)
        hits_notebook_limit = notebook_deadline <= started + self.limits.cell_timeout
        msg_id = self.kc.execute(source, store_history=True, allow_stdin=False,
                                 stop_on_error=False)
        stdout, stderr = [], []
        kept = {"stdout": 0, "stderr": 0}
        reply = None
        idle = False
        interrupted_at = None
        next_alive_check = started
        while reply is None or not idle:
            now = time.monotonic()
            if interrupted_at is None and now >= cell_deadline:
                outcome.status = NOTEBOOK_TIMEOUT if hits_notebook_limit else TIMEOUT
                interrupted_at = await self._interrupt()
            if interrupted_at is not None and now >= interrupted_at + self.limits.interrupt_grace:
                self.stuck = True
                break
            if now >= next_alive_check:
                next_alive_check = now + self.alive_check_interval
                code = await self._kernel_exit()
                if code is not None:
                    outcome.status = KERNEL_DIED
                    outcome.detail = _exit_description(code)
                    break
            if reply is None:
                reply = await self._shell_reply(msg_id)
            if reply is not None and idle:
                break
            try:
                msg = await self.kc.get_iopub_msg(timeout=self.poll_interval)
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status":
                idle = content.get("execution_state") == "idle"
                continue
            if kind in ("execute_input", "clear_output") or kind.startswith("comm"):
                continue
            outcome.output_bytes += _payload_size(content)
            if outcome.output_bytes > self.limits.max_output_bytes:
                if interrupted_at is None:
                    outcome.status = OUTPUT_LIMIT
                    outcome.detail = f"more than {format_size(self.limits.max_output_bytes)} of output"
                    interrupted_at = await self._interrupt()
                continue
            if kind == "stream":
                name = "stderr" if content.get("name") == "stderr" else "stdout"
                text = content.get("text", "")
                room = KEPT_TEXT - kept[name]
                if room > 0:
                    (stderr if name == "stderr" else stdout).append(text[:room])
                    kept[name] += min(len(text), room)
            elif kind == "execute_result":
                text = content.get("data", {}).get("text/plain", "")
                room = KEPT_TEXT - kept["stdout"]
                if room > 0:
                    stdout.append(text[:room] + "\n")
                    kept["stdout"] += min(len(text), room)
        outcome.seconds = time.monotonic() - started
        outcome.stdout, outcome.stderr = "".join(stdout), "".join(stderr)
        if outcome.status == OK and reply is not None:
            content = reply.get("content", {})
            if content.get("status") == "error":
                outcome.status = ERROR
                outcome.ename = str(content.get("ename", ""))
                outcome.evalue = str(content.get("evalue", ""))
            elif content.get("status") == "aborted":
                outcome.status = ERROR
                outcome.ename, outcome.evalue = "Aborted", "the kernel aborted this cell"
        elif reply is not None and outcome.status in (TIMEOUT, NOTEBOOK_TIMEOUT, OUTPUT_LIMIT):
            content = reply.get("content", {})
            outcome.ename = str(content.get("ename", ""))
            outcome.evalue = str(content.get("evalue", ""))
        return outcome

    async def _shell_reply(self, msg_id: str):
        while True:
            try:
                msg = await self.kc.get_shell_msg(timeout=0)
            except queue.Empty:
                return None
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg

    async def _interrupt(self) -> float:
        try:
            await self.km.interrupt_kernel()
        except Exception:  # noqa: BLE001 — a dead kernel is noticed by the alive check
            pass
        return time.monotonic()
