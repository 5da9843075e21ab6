"""Run one submission: learner cells in a sandboxed runner, test cells in the grader.

The trusted side of the grading engine.  :func:`run_steps` takes the restored
notebook (:mod:`lrcourse.classroom.restore`) and

- sends every answer and set-up cell to the submission's runner process
  (:mod:`lrcourse.classroom.runner`, inside the bubblewrap sandbox when there is one,
  see :mod:`lrcourse.classroom.sandbox`);
- runs every *test* cell here, in the grader's own process: the check functions
  are the grader's, imported before any learner code ran, and the learner's
  functions they are given are :class:`RemoteFunction` proxies that call into the
  runner through the data-only channel (:mod:`lrcourse.classroom.channel`).  The
  hidden tests never enter the sandbox, and nothing the learner's code does to its
  own interpreter, to NumPy, to ``lrcourse`` or to IPython reaches the verdict.

A runner that dies, runs past a limit or floods its output is killed; the next
cell starts a fresh runner and replays the cells that had run (without the one
that failed), so one fault costs only its own part.  The outcome vocabulary is
:mod:`lrcourse.classroom.execute`'s (``ok``, ``error``, ``timeout``, ...).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import fcntl
import io
import json
import linecache
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from lrcourse.classroom import channel, execute
from lrcourse.classroom.execute import CellOutcome, ExecutionResult
from lrcourse.classroom.limits import Limits, format_size

__all__ = ["Session", "Zygote", "RemoteFunction", "RunnerLost", "run_steps", "become_subreaper",
           "kill_orphans", "SANDBOX", "NO_SANDBOX"]

SANDBOX, NO_SANDBOX = "bubblewrap", "none"

#: Seconds a call into the runner may take when the check sets no alarm of its own.
CALL_BACKSTOP = 300.0
#: Seconds the runner may take to start (import NumPy, IPython and the course).
STARTUP_SECONDS = 60.0
#: Variables of the grader's environment a sandboxed runner keeps (bubblewrap clears
#: the rest): the flag of a learner's ``lrcourse progress`` run, so a notebook cell that
#: calls ``progress()`` inside that run does not start another one.
PASSED_ENVIRONMENT = ("LRCOURSE_PROGRESS_RUNNING",)


class RunnerLost(BaseException):
    """The runner died, stopped answering or was killed during a call.

    A BaseException, so a check's ``except Exception`` does not turn it into a
    verdict on the learner's function: the test step ends with the runner's fault.
    """

    def __init__(self, status: str, detail: str, cpu: float | None = None, elapsed: float = 0.0):
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.cpu, self.elapsed = cpu, elapsed


def _exit_description(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code > 128:  # bubblewrap reports a signal as 128 + its number
        try:
            return f"killed by signal {signal.Signals(code - 128).name}"
        except ValueError:
            pass
    return f"exit code {code}"


class _Output:
    """Reads the runner's stdout/stderr (one pipe) in a thread, under the output limit."""

    def __init__(self, fd: int, limit: int):
        self.fd, self.limit = fd, limit
        self.lock = threading.Lock()
        self.chunks: list[bytes] = []
        self.kept = 0
        self.count = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                select.select([self.fd], [], [])
            except (OSError, ValueError):
                break
            with self.lock:  # read and keep in one step: take() then sees all that left the pipe
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                self.count += len(chunk)
                room = execute.KEPT_TEXT * 4 - self.kept
                if room > 0:
                    self.chunks.append(chunk[:room])
                    self.kept += min(room, len(chunk))
        try:
            os.close(self.fd)
        except OSError:
            pass

    def _pending(self) -> int:
        """Bytes written into the pipe and not read yet."""
        try:
            return struct.unpack("i", fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            return 0

    def take(self) -> tuple[str, int]:
        """The text kept since the last call, and the bytes counted since then.

        The runner flushes its output before it replies, so what a cell printed is in
        the pipe by now: wait (briefly) until the reading thread has taken all of it."""
        deadline = time.monotonic() + 2.0
        while self._pending() > 0 and time.monotonic() < deadline:
            time.sleep(0.002)
        with self.lock:
            data, count = b"".join(self.chunks), self.count
            self.chunks, self.kept, self.count = [], 0, 0
        return data.decode("utf-8", "replace")[: execute.KEPT_TEXT], count

    def over(self) -> bool:
        with self.lock:
            return self.count > self.limit


def _session_config(limits: Limits, sandbox: bool, scratch: Path | None) -> dict:
    """The runner's per-submission configuration (folders, limits, privileges)."""
    from lrcourse.classroom import sandbox as sb

    cpu = int(limits.notebook_timeout + limits.startup_timeout) + 30
    rlimits = {"memory": limits.memory_bytes, "file_size": limits.max_file_bytes,
               "cpu_seconds": cpu, "processes": _process_limit(sandbox)}
    tmp_size = max(4 * limits.max_file_bytes, 64 * 2**20)
    if sandbox:
        return {"home": sb.SANDBOX_HOME, "workdir": sb.SANDBOX_WORKDIR, "limits": rlimits,
                "tmp_size": tmp_size,
                "font_cache": sb.FONT_CACHE_MOUNT, "drop_privileges": os.getuid() == 0,
                "env": {"TMPDIR": "/tmp", "IPYTHONDIR": sb.SANDBOX_HOME + "/.ipython",
                        "XDG_CACHE_HOME": sb.SANDBOX_HOME + "/.cache",
                        **{name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}}}
    home = scratch / "home"
    return {"home": str(home), "workdir": str(scratch / "sandbox" / "1" / "2" / "3" / "4" / "5" / "6"
                                              / "7" / "8" / "work"),
            "limits": rlimits, "font_cache": _font_cache(), "drop_privileges": False,
            "tmp_size": tmp_size,
            "env": {"TMPDIR": str(home), "TEMP": str(home), "TMP": str(home),
                    "IPYTHONDIR": str(home / ".ipython"), "XDG_CACHE_HOME": str(home / ".cache")}}


def _plain_environment(home: str | None = None) -> dict:
    """The environment of a runner or zygote outside the sandbox."""
    import lrcourse

    env = dict(os.environ)
    package_root = str(Path(lrcourse.__file__).resolve().parents[1])
    env.update({"PYTHONPATH": package_root, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
                "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "MALLOC_ARENA_MAX": "2"})
    if home:
        env.update({"HOME": home, "TMPDIR": home})
    for name in ("JPY_PARENT_PID", "JPY_SESSION_NAME", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR"):
        env.pop(name, None)
    return env


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started in its own session, its whole group, and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        process.kill()
    except OSError:
        pass
    process.wait()


class _DirectProcess:
    """A runner started as its own process (its own bubblewrap sandbox, or plain)."""

    def __init__(self, config: dict, preload: list[str], sandbox: bool, fds: tuple[int, int, int]):
        from lrcourse.classroom import sandbox as sb

        requests_read, replies_write, output_write = fds
        config = {**config, "preload": preload, "replies_fd": replies_write}
        argv = [sys.executable, "-m", "lrcourse.classroom.runner", json.dumps(config)]
        if sandbox:
            argv = sb.sandbox_command(argv, _tmp_size(config))
        self.process = subprocess.Popen(
            argv, stdin=requests_read, stdout=output_write, stderr=output_write,
            pass_fds=(replies_write,), preexec_fn=None if sandbox else _pdeathsig,
            start_new_session=True, env=None if sandbox else _plain_environment(config["home"]),
            close_fds=True)
        self.pid = self.process.pid

    def exit_code(self, wait: float) -> int | None:
        try:
            return self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def cpu(self) -> float | None:
        return _tree_cpu(self.pid)

    def kill(self) -> None:
        _kill_group(self.process)
        kill_orphans()


def _tmp_size(config: dict) -> int:
    return int(config["tmp_size"])


class Zygote:
    """The grader's end of a :mod:`lrcourse.classroom.zygote`: forks preloaded runners.

    One per grading process; used by one session at a time.  Started in bubblewrap
    when ``sandbox`` is true (with ``--cap-add ALL`` for a non-root user, so that
    each forked runner gets its own namespaces; the runner drops every capability).
    """

    def __init__(self, preload: Sequence[str], sandbox: bool, tmp_size: int = 256 * 2**20,
                 log: Path | None = None):
        import socket

        from lrcourse.classroom import sandbox as sb

        self.sandbox = sandbox
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {"control_fd": theirs.fileno(), "isolate": sandbox, "preload": list(preload),
                  "session": {"tmp_size": tmp_size}}
        argv = [sys.executable, "-m", "lrcourse.classroom.zygote", json.dumps(config)]
        if sandbox:
            argv = sb.sandbox_command(argv, tmp_size, capabilities=os.getuid() != 0)
        self.log = open(log, "wb") if log is not None else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                pass_fds=(theirs.fileno(),), preexec_fn=None if sandbox else _pdeathsig,
                start_new_session=True, env=None if sandbox else _plain_environment(), close_fds=True)
        finally:
            theirs.close()
        self.control = mine
        self.control.settimeout(max(60.0, STARTUP_SECONDS))
        ready = self._receive()
        if ready.get("op") != "ready":
            self.close()
            raise RunnerLost(execute.KERNEL_DIED, "the preloaded runner did not start")
        self.control.settimeout(30.0)

    def _receive(self) -> dict:
        try:
            data = self.control.recv(1 << 16)
            reply = json.loads(data) if data else {}
        except (OSError, ValueError):
            reply = {}
        return reply if isinstance(reply, dict) else {}

    def request(self, message: dict, fds: Sequence[int] = ()) -> dict:
        import socket

        with _alarms_held():  # a check's timer must not cut a request from its reply
            try:
                socket.send_fds(self.control, [json.dumps(message).encode()], list(fds))
            except OSError:
                return {}
            return self._receive()

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """End the zygote: it reaps its runners and exits (then it is killed anyway)."""
        import socket

        try:
            self.control.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _kill_group(self.process)
        self.control.close()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


class _ForkedProcess:
    """A runner forked by a :class:`Zygote`."""

    def __init__(self, zygote: Zygote, config: dict, fds: tuple[int, int, int]):
        self.zygote = zygote
        reply = zygote.request({"op": "fork", "session": config}, fds)
        if not isinstance(reply.get("pid"), int):
            raise RunnerLost(execute.KERNEL_DIED, f"the preloaded runner could not fork "
                                                  f"({reply.get('error', 'no answer')})")
        self.pid = reply["pid"]
        self.code: int | None = None

    def exit_code(self, wait: float) -> int | None:
        if self.code is None:
            code = self.zygote.request({"op": "wait", "pid": self.pid, "timeout": wait}).get("status")
            self.code = code if isinstance(code, int) else None
        return self.code

    def cpu(self) -> float | None:
        value = self.zygote.request({"op": "cpu", "pid": self.pid}).get("cpu")
        return float(value) if isinstance(value, (int, float)) else None

    def kill(self) -> None:
        code = self.zygote.request({"op": "kill", "pid": self.pid}).get("status")
        if self.code is None and isinstance(code, int):
            self.code = code


class Session:
    """One submission's runner (restarted after a fault) and the grader's end of the channel.

    ``zygote``: fork runners from this preloaded process instead of starting each one.
    """

    def __init__(self, limits: Limits, preload: Sequence[str] = (), sandbox: bool = True,
                 scratch: Path | None = None, zygote: Zygote | None = None):
        self.limits, self.preload, self.sandbox = limits, list(preload), sandbox
        self.scratch = scratch
        self.zygote = zygote
        self.process = None
        self.output: _Output | None = None
        self.history: list[tuple[str, str]] = []  # cells that ran (code, name), for a replay
        self.grader_handles: dict[int, Any] = {}
        self.next_handle = 1
        self.next_id = 1
        self.buffer = bytearray()
        self.replies_fd = -1
        self.requests_fd = -1
        self.starts = 0
        self.dead = True

    # -- process ------------------------------------------------------------------
    def start(self) -> None:
        """Start a fresh runner and replay the cells that had run."""
        self.kill()
        self.starts += 1
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        output_read, output_write = os.pipe()
        config = _session_config(self.limits, self.sandbox, self.scratch)
        try:
            if self.zygote is not None:
                self.process = _ForkedProcess(self.zygote, config, (requests_read, replies_write, output_write))
            else:
                self.process = _DirectProcess(config, self.preload, self.sandbox,
                                              (requests_read, replies_write, output_write))
        except BaseException:
            for fd in (requests_write, replies_read, output_read):
                os.close(fd)
            raise
        finally:
            for fd in (requests_read, replies_write, output_write):
                os.close(fd)
        self.dead = False
        self.requests_fd, self.replies_fd = requests_write, replies_read
        self.buffer = bytearray()
        self.output = _Output(output_read, self.limits.max_output_bytes)
        if self.zygote is not None and self.preload:
            pass  # the zygote imported them already
        try:
            ready = self._read_message(time.monotonic() + max(self.limits.startup_timeout, 10))
        except RunnerLost:
            ready = None
        if ready is None or ready.get("op") != "ready":
            code = self.process.exit_code(1.0)
            self.kill()
            self.output.thread.join(timeout=1)
            text, _ = self.output.take()
            last = (text.strip().splitlines() or ["no message"])[-1]
            raise RunnerLost(execute.KERNEL_DIED, f"the runner did not start "
                                                  f"({_exit_description(code) if code is not None else 'no answer'}: {last})")
        replay, self.history = self.history, []
        for code, name in replay:
            try:
                outcome = self.run_cell(code, name, time.monotonic() + self.limits.cell_timeout)
            except RunnerLost:
                outcome = CellOutcome(status=execute.KERNEL_DIED)
            if outcome.status not in (execute.OK, execute.ERROR):
                self.history = [h for h in replay if h != (code, name)]
                return self.start()
        self.output.take()

    def alive(self) -> bool:
        return self.process is not None and not self.dead

    def kill(self) -> None:
        with _alarms_held():
            self._kill()

    def _kill(self) -> None:
        process, self.process = self.process, None
        self.dead = True
        if process is None:
            return
        process.kill()
        for fd in (self.requests_fd, self.replies_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.requests_fd = self.replies_fd = -1
        if self.output is not None:
            self.output.thread.join(timeout=2)

    def close(self) -> None:
        self.kill()

    # -- channel --------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        data = memoryview(channel.dumps(message))
        while data:
            try:
                written = os.write(self.requests_fd, data)
            except OSError as error:
                raise RunnerLost(execute.KERNEL_DIED, f"the runner closed its channel ({error.strerror})") from None
            data = data[written:]

    def _read_message(self, deadline: float) -> dict | None:
        """The next message, or None at the deadline; RunnerLost on EOF or garbage."""
        while True:
            newline = self.buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self.buffer[:newline])
                del self.buffer[: newline + 1]
                try:
                    return channel.loads(line)
                except (ValueError, RecursionError):
                    raise RunnerLost("not responding", "the runner sent something that is not a "
                                                        "grader message: it stopped answering properly") from None
            if len(self.buffer) > channel.MAX_MESSAGE_BYTES:
                raise RunnerLost("not responding", "the runner sent a message longer than "
                                                    f"{format_size(channel.MAX_MESSAGE_BYTES)}")
            if self.output is not None and self.output.over():
                raise RunnerLost(execute.OUTPUT_LIMIT, "output limit")
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.replies_fd], [], [], min(left, 0.1))
            if not ready:
                continue
            chunk = os.read(self.replies_fd, 1 << 20)
            if not chunk:
                self.dead = True
                code = self.process.exit_code(5.0) if self.process is not None else None
                raise RunnerLost(execute.KERNEL_DIED, _exit_description(code))
            self.buffer += chunk

    def request(self, message: dict, deadline: float) -> dict:
        """Send ``message``; serve the runner's call-backs until its reply comes."""
        if not self.alive():
            self.start()
        request_id = self.next_id
        self.next_id += 1
        message = {**message, "id": request_id}
        started = time.monotonic()
        cpu_before = self.process.cpu() if self.process is not None else None
        try:
            self._send(message)
            while True:
                reply = self._read_message(deadline)
                if reply is None:
                    cpu_after = self.process.cpu() if self.process is not None else None
                    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
                    raise RunnerLost(execute.TIMEOUT, "deadline", cpu, time.monotonic() - started)
                if reply.get("op") == "reply" and reply.get("id") == request_id:
                    return reply
                if reply.get("op") in ("call", "next"):
                    self._serve_callback(reply, deadline)
                # anything else (a stale or forged message) is ignored
        except BaseException:
            self.kill()  # a timeout, a lost runner, or the check's own alarm: start afresh next time
            raise

    def _serve_callback(self, message: dict, deadline: float) -> None:
        function = self.grader_handles.get(message.get("target"))
        answer = {"op": "reply", "id": message.get("id")}
        try:
            args = [self.decode(a) for a in message.get("args", [])] if isinstance(message.get("args"), list) else []
            kwargs = message.get("kwargs") if isinstance(message.get("kwargs"), dict) else {}
            kwargs = {str(k): self.decode(v) for k, v in kwargs.items()}
            if function is None:
                raise TypeError("not a function given by the grader")
            if message.get("op") == "next":
                try:
                    value = next(function)
                except StopIteration:
                    answer["stop"] = True
                    value = None
            else:
                value = function(*args, **kwargs)
            answer["value"] = self.encode(value)
        except Exception as error:  # noqa: BLE001 — the grader's callable raised on the learner's input
            answer["raised"] = {"type": type(error).__name__, "message": str(error)[:2000]}
        self._send(answer)

    def encode(self, value: Any) -> Any:
        return channel.encode(value, self._export, allow_pickle=True)

    def decode(self, data: Any) -> Any:
        return channel.decode(data, self._remote, trusted=True)

    def _export(self, value: Any, kind: str) -> int:
        handle = self.next_handle
        self.next_handle += 1
        self.grader_handles[handle] = value
        return handle

    def _remote(self, kind: str, handle: int):
        return RemoteIterator(self, handle) if kind == "iter" else RemoteFunction(self, handle, "function")

    # -- operations -----------------------------------------------------------------
    def run_cell(self, code: str, name: str, deadline: float) -> CellOutcome:
        # the runner compiles the cell under this name: the grader can then show the
        # learner's line when one of its functions raises (the code is the learner's,
        # shown back to the learner)
        filename = f"<cell {name}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        started = time.monotonic()
        outcome = CellOutcome(status=execute.OK)
        try:
            if not self.alive():
                self.start()
                started = time.monotonic()
                deadline = max(deadline, started + self.limits.cell_timeout)
            reply = self.request({"op": "run", "code": code, "name": name}, deadline)
            if reply.get("status") == "ok":
                outcome.status = execute.OK
            else:
                outcome.status = execute.ERROR
                info = reply.get("raised") if isinstance(reply.get("raised"), dict) else {}
                outcome.ename, outcome.evalue = _error_text(info)
            if outcome.ename == "MemoryError":
                self.kill()  # what it holds stays held: start afresh, without this cell
            else:
                self.history.append((code, name))
        except RunnerLost as lost:
            outcome.status, outcome.detail = _lost_outcome(lost, self, started)
        if self.output is not None:
            outcome.stdout, outcome.output_bytes = self.output.take()
        outcome.seconds = time.monotonic() - started
        return outcome

    def names(self, names: list[str], deadline: float) -> dict:
        reply = self.request({"op": "names", "names": names}, deadline)
        found = reply.get("names")
        return found if isinstance(found, dict) else {}


@contextlib.contextmanager
def _alarms_held():
    """Hold SIGALRM (a check's time limit) until the block ends; it is delivered then."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _error_text(info: dict) -> tuple[str, str]:
    name = str(info.get("type", "Exception"))[:200]
    if info.get("str_failed"):
        return name, (f"(the exception's message could not be shown: str() of it raised "
                      f"{str(info['str_failed'])[:100]})")
    return name, str(info.get("message", ""))[:4000]


def _children(pid: int) -> list[int]:
    """The children of ``pid`` (Linux /proc), or [] if unknown."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


def _tree_cpu(pid: int) -> float | None:
    """CPU seconds used so far by ``pid`` and its descendants (Linux /proc), or None."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return None
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total / ticks if seen else None


#: Below this share of one core, a process that ran out of time was waiting, not computing.
IDLE_SHARE = 0.1


def _lost_outcome(lost: RunnerLost, session: Session, started: float) -> tuple[str, str]:
    if lost.status == execute.TIMEOUT:
        if lost.cpu is not None and lost.elapsed > 0 and lost.cpu < IDLE_SHARE * lost.elapsed:
            return execute.NOT_RESPONDING, ""
        return execute.TIMEOUT, ""
    if lost.status == execute.OUTPUT_LIMIT:
        return execute.OUTPUT_LIMIT, f"more than {format_size(session.limits.max_output_bytes)} of output"
    if lost.status == "not responding":
        return execute.KERNEL_DIED, lost.detail
    return execute.KERNEL_DIED, lost.detail


class RemoteFunction:
    """A function of the learner's, living in the runner; called through the channel.

    Arguments go as data (arrays, numbers, strings, lists, dicts; the grader's own
    callables as handles the runner calls back); the result comes back as data, or
    as another proxy for a callable or an iterator.  Arrays, lists and dicts passed
    in are updated with their state after the call, so a check sees an input the
    learner's code changed in place.
    """

    def __init__(self, session: Session, target, name: str):
        self._session, self._target, self.__name__ = session, target, name
        self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        session = self._session
        message = {"op": "call", "target": self._target,
                   "args": [session.encode(a) for a in args],
                   "kwargs": {str(k): session.encode(v) for k, v in kwargs.items()}}
        reply = session.request(message, time.monotonic() + CALL_BACKSTOP)
        _mirror(args, reply.get("after"), session)
        if "raised" in reply:
            _raise_learner_error(reply.get("raised") if isinstance(reply.get("raised"), dict) else {},
                                 self.__name__)
        return session.decode(reply.get("value"))

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


class RemoteIterator:
    """An iterator (e.g. a generator) of the learner's, advanced through the channel."""

    def __init__(self, session: Session, target):
        self._session, self._target = session, target

    def __iter__(self):
        return self

    def __next__(self):
        reply = self._session.request({"op": "next", "target": self._target},
                                      time.monotonic() + CALL_BACKSTOP)
        if reply.get("stop"):
            raise StopIteration
        if "raised" in reply:
            _raise_learner_error(reply.get("raised") if isinstance(reply.get("raised"), dict) else {},
                                 "the iterator")
        return self._session.decode(reply.get("value"))

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return "<generator object>"


def _mirror(args, after, session: Session) -> None:
    """Copy the runner's post-call state of mutable arguments into the grader's."""
    import numpy as np

    if not isinstance(after, list) or len(after) != len(args):
        return
    for original, state in zip(args, after):
        if state is None:
            continue
        try:
            if isinstance(original, np.ndarray):
                new = session.decode(state)
                if isinstance(new, np.ndarray) and new.shape == original.shape and \
                        not np.array_equal(new, original, equal_nan=original.dtype.kind in "fc"):
                    if original.flags.writeable:
                        np.copyto(original, new.astype(original.dtype, copy=False), casting="unsafe")
            elif type(original) is list:
                new = session.decode(state)
                if isinstance(new, list) and not _same_data(new, original):
                    original[:] = new
            elif type(original) is dict:
                new = session.decode(state)
                if isinstance(new, dict) and not _same_data(new, original):
                    original.clear()
                    original.update(new)
            elif isinstance(original, np.random.Generator) and isinstance(state, dict) and "$rng" in state:
                original.bit_generator.state = state["$rng"]
        except Exception:  # noqa: BLE001 — the learner's state is only mirrored, never trusted
            pass


def _same_data(a, b) -> bool:
    try:
        return json.dumps(channel.encode(a), sort_keys=True) == json.dumps(channel.encode(b), sort_keys=True)
    except Exception:  # noqa: BLE001
        return False


_BUILTIN_ERRORS = {name: value for name, value in vars(builtins).items()
                   if isinstance(value, type) and issubclass(value, Exception)}


def _exception_class(name: str) -> type:
    if name in _BUILTIN_ERRORS:
        return _BUILTIN_ERRORS[name]
    if name == "SystemExit":
        return SystemExit
    clean = "".join(c for c in name if c.isalnum() or c == "_") or "Exception"
    if clean[0].isdigit():
        clean = "_" + clean
    return type(clean, (Exception,), {"__module__": "learner"})


def _raise_learner_error(info: dict, function: str) -> None:
    """Raise, here, the exception the learner's function raised in the runner.

    It is raised from a frame named after the learner's function at the learner's
    line (same file name and source as in the runner), so the checks' messages
    (``at: line 3 in gd_step: ...``, "not implemented yet") read as they do when
    the learner checks in their own notebook.
    """
    name, message = _error_text(info)
    cls = _exception_class(name)
    try:
        error = cls(message) if message else cls()
    except Exception:  # noqa: BLE001 — an exception class with an unusual constructor
        error = _exception_class("_" + name)(message)
    where = info.get("where")
    raiser = str(info.get("raiser") or "")
    if isinstance(where, list) and len(where) == 3 and isinstance(where[0], str) \
            and where[0].startswith("<cell ") and isinstance(where[1], int) and 0 < where[1] < 100_000:
        filename, lineno, frame_name = where[0], where[1], str(where[2])
        if raiser and raiser != frame_name:
            frame_name = raiser  # e.g. a helper the learner's function calls
        code = compile("\n" * (lineno - 1) + "raise __error__\n", filename, "exec")
        if frame_name.isidentifier() or frame_name in ("<module>", "<lambda>"):
            code = code.replace(co_name=frame_name)
        exec(code, {"__error__": error})  # noqa: S102 — raises ``error`` from that frame
    raise error


def _font_cache() -> str:
    try:
        import matplotlib

        return matplotlib.get_cachedir()
    except Exception:  # noqa: BLE001
        return ""


def _process_limit(sandboxed: bool) -> int:
    """RLIMIT_NPROC for the runner: a few dozen processes beyond what its user runs."""
    if sandboxed and os.getuid() == 0:
        uid = 65534  # the runner drops to nobody
    else:
        uid = os.getuid()
        if uid == 0:
            return 0  # root is not limited by RLIMIT_NPROC; the process group is killed instead
    count = 0
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        count += 1
                except OSError:
                    pass
    except OSError:
        return 0
    return count + 64


_SUBREAPER = False


def become_subreaper() -> bool:
    """Adopt the orphans of this process's descendants (Linux), so :func:`kill_orphans`
    can end a learner's process that detached itself (double fork, ``setsid``).

    Only for a process that has no other children (the grading worker)."""
    global _SUBREAPER
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        pr_set_child_subreaper = 36
        _SUBREAPER = ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _SUBREAPER = False
    return _SUBREAPER


def kill_orphans() -> None:
    """SIGKILL every child of this process (a subreaper: the runner's detached leftovers)."""
    if _SUBREAPER:
        _kill_children()


def _kill_children(keep=()) -> None:
    """SIGKILL and reap every child of this process but ``keep``, until none is left (the
    children of a killed child come back here as orphans when this process is a subreaper)."""
    for _ in range(100):
        children = [pid for pid in _children(os.getpid()) if pid not in keep]
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except OSError:  # not our child after all, or already reaped
                pass


def _pdeathsig() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------
# the graded run
# ---------------------------------------------------------------------------

def _free_names(code: str) -> list[str]:
    """Names a test cell reads without defining them itself (the learner's functions)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    defined, used = set(), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                defined.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif node.id not in used:
                used.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
    return [name for name in used if name not in defined and not hasattr(builtins, name)]


def run_test(session: Session, code: str, deadline: float) -> CellOutcome:
    """Run a test cell here, with the learner's names bound to proxies into the runner."""
    started = time.monotonic()
    outcome = CellOutcome(status=execute.OK)
    namespace: dict[str, Any] = {"__name__": "__lrcourse_test__", "__builtins__": builtins}
    stdout = io.StringIO()
    try:
        wanted = _free_names(code)
        if wanted:
            for name, info in session.names(wanted, deadline).items():
                if name not in wanted or not isinstance(info, dict):
                    continue
                if info.get("kind") == "callable":
                    namespace[name] = RemoteFunction(session, name, name)
                elif info.get("kind") == "value":
                    namespace[name] = session.decode(info.get("value"))
        with contextlib.redirect_stdout(stdout):
            exec(compile(code, "<test cell>", "exec"), namespace)  # noqa: S102 — the course's own test
    except RunnerLost as lost:
        outcome.status, outcome.detail = _lost_outcome(lost, session, started)
        if lost.status == execute.TIMEOUT:
            outcome.status = execute.TIMEOUT
    except BaseException as error:  # noqa: BLE001 — a check's verdict, or the learner's NameError
        if isinstance(error, KeyboardInterrupt):
            raise
        outcome.status = execute.ERROR
        outcome.ename = type(error).__name__
        try:
            outcome.evalue = str(error)
        except Exception:  # noqa: BLE001
            outcome.evalue = ""
    learner_text = ""
    if session.output is not None:
        learner_text, outcome.output_bytes = session.output.take()
    outcome.stdout = (learner_text + stdout.getvalue())[: execute.KEPT_TEXT * 2]
    outcome.seconds = time.monotonic() - started
    return outcome


def run_steps(steps, limits: Limits, preload: Sequence[str] = (), sandbox: bool = True,
              scratch: Path | None = None, zygote: Zygote | None = None) -> ExecutionResult:
    """Run the restored notebook's steps; one :class:`CellOutcome` per step."""
    outcomes = [CellOutcome() for _ in steps]
    result = ExecutionResult(outcomes=outcomes)
    session = Session(limits, preload, sandbox, scratch, zygote)
    try:
        try:
            session.start()
        except RunnerLost as lost:
            result.kernel_started = False
            result.fatal = f"the grading process did not start: {lost.detail}"
            for outcome in outcomes:
                outcome.detail = result.fatal
            return result
        notebook_deadline = time.monotonic() + limits.notebook_timeout
        for index, step in enumerate(steps):
            if result.fatal:
                outcomes[index].detail = result.fatal
                continue
            now = time.monotonic()
            cell_deadline = min(now + limits.cell_timeout, notebook_deadline)
            if step.kind == "test":
                outcome = run_test(session, step.source, max(notebook_deadline, now + limits.cell_timeout))
            elif step.kind == "guard":
                outcome = CellOutcome(status=execute.OK)
            else:
                outcome = session.run_cell(step.source, step.grade_id or f"setup {step.source_index + 1}",
                                           cell_deadline)
                if outcome.status == execute.TIMEOUT and cell_deadline >= notebook_deadline:
                    outcome.status = execute.NOTEBOOK_TIMEOUT
            outcomes[index] = outcome
            if outcome.status == execute.NOTEBOOK_TIMEOUT or time.monotonic() > notebook_deadline:
                result.fatal = f"the notebook ran out of time in cell {index}"
        return result
    finally:
        session.close()
