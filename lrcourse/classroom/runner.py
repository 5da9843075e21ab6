"""The process that runs a learner's code, inside the sandbox (untrusted side).

Started by :mod:`lrcourse.classroom.session` as ``python -m lrcourse.classroom.runner
CONFIG_JSON``.  It imports the modules the exercise needs, then — before any
learner code — lowers its resource limits (soft = hard, so they cannot be raised
again), drops root to ``nobody`` when it runs as root inside the sandbox, closes
every file descriptor it does not need, and serves requests from the grader:

- ``run``: execute one code cell (IPython syntax: magics and ``!`` lines work);
- ``names``: which of some names the learner's namespace defines, and as what;
- ``call``: call a learner function (or a callable/iterator it returned earlier)
  with arguments decoded from the data-only channel, and send back the result
  and the arguments' state afterwards (so the grader sees in-place changes);
- ``next``: advance an iterator handed out earlier.

While a call runs, the learner's code may call grader-side callables it was given
(a gradient function): those requests go back to the grader on the same channel.

Nothing here is trusted by the grader: whatever this process sends is decoded as
data only (:mod:`lrcourse.classroom.channel`), and the verdict is computed outside.
"""

from __future__ import annotations

import json
import linecache
import os
import sys
import traceback

__all__ = ["main"]

REQUESTS_FD = 0


class _Channel:
    def __init__(self, read_fd: int, write_fd: int):
        self.reader = os.fdopen(read_fd, "rb", buffering=1 << 16)
        self.write_fd = write_fd
        self.handles: dict[int, object] = {}
        self.next_handle = 1
        self.next_id = 1

    def send(self, message: dict) -> None:
        from lrcourse.classroom.channel import dumps

        data = dumps(message)
        view = memoryview(data)
        while view:
            written = os.write(self.write_fd, view)
            view = view[written:]

    def receive(self) -> dict:
        line = self.reader.readline()
        if not line:
            raise SystemExit(0)  # the grader went away
        return json.loads(line)

    def export(self, value, kind: str) -> int:
        handle = self.next_handle
        self.next_handle += 1
        self.handles[handle] = value
        return handle


class _GraderFunction:
    """A callable of the grader's (e.g. a gradient function), called through the channel."""

    def __init__(self, runner: "_Runner", handle: int, kind: str):
        self._runner, self._handle, self._kind = runner, handle, kind

    def __call__(self, *args, **kwargs):
        return self._runner.callback(self._handle, args, kwargs)

    def __iter__(self):
        return self

    def __next__(self):
        return self._runner.callback(self._handle, (), {}, op="next")

    def __repr__(self) -> str:
        return "<function given by the grader>"


class _RemoteError(Exception):
    pass


def _safe_text(function, value, limit: int = 2000) -> str:
    try:
        text = function(value)
        if not isinstance(text, str):
            raise TypeError
        return text[:limit]
    except BaseException:  # noqa: BLE001 — a hostile __str__ / __repr__
        return ""


def _describe_error(error: BaseException) -> dict:
    """Data about an exception (its str() may itself raise: then says so)."""
    name = type(error).__name__ if isinstance(type(error).__name__, str) else "Exception"
    try:
        message = str(error)
        if not isinstance(message, str):
            raise TypeError("__str__ returned a non-string")
        str_failed = ""
    except BaseException as inner:  # noqa: BLE001
        message = ""
        str_failed = type(inner).__name__
    where = None
    raiser = ""
    try:
        frames = traceback.extract_tb(error.__traceback__)
        raiser = frames[-1].name if frames else ""
        for frame in frames:
            if frame.filename.startswith("<cell "):
                where = [frame.filename, frame.lineno, frame.name]
    except BaseException:  # noqa: BLE001
        pass
    return {"type": name[:200], "message": message[:4000], "str_failed": str_failed,
            "where": where, "raiser": raiser[:200],
            "module": str(getattr(type(error), "__module__", ""))[:200]}


class _Runner:
    def __init__(self, channel: _Channel):
        self.channel = channel
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        class _Shell(InteractiveShell):
            def enable_gui(self, gui=None):  # no event loop here: `%matplotlib inline` only
                pass

        config = Config()
        config.HistoryManager.enabled = False
        self.shell = _Shell.instance(config=config)
        self.namespace = self.shell.user_ns
        self.cells = 0

    # -- encoding -------------------------------------------------------------
    def encode(self, value):
        from lrcourse.classroom.channel import encode

        return encode(value, self.channel.export)

    def decode(self, data):
        from lrcourse.classroom.channel import decode

        return decode(data, lambda kind, handle: _GraderFunction(self, handle, kind), trusted=False)

    # -- requests --------------------------------------------------------------
    def serve(self) -> None:
        while True:
            message = self.channel.receive()
            self.dispatch(message)

    def dispatch(self, message: dict) -> None:
        op = message.get("op")
        reply = {"id": message.get("id"), "op": "reply"}
        try:
            if op == "run":
                reply.update(self.run(message["code"], message.get("name", "cell")))
            elif op == "names":
                reply["names"] = self.names(message["names"])
            elif op in ("call", "next"):
                reply.update(self.call(message))
            else:
                reply["error"] = f"unknown request {op!r}"
        except BaseException as error:  # noqa: BLE001 — never let the loop die on a request
            reply = {"id": message.get("id"), "op": "reply", "raised": _describe_error(error)}
        self.flush()
        self.channel.send(reply)

    def flush(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001
                pass

    def run(self, code: str, name: str) -> dict:
        self.cells += 1
        filename = f"<cell {name}>"
        try:
            python = self.shell.transform_cell(code)
            compiled = compile(python, filename, "exec")
        except BaseException as error:  # noqa: BLE001 — SyntaxError and the like
            return {"status": "error", "raised": _describe_error(error)}
        linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)
        try:
            exec(compiled, self.namespace)  # noqa: S102 — the learner's own code, sandboxed
        except BaseException as error:  # noqa: BLE001
            return {"status": "error", "raised": _describe_error(error)}
        return {"status": "ok"}

    def names(self, names: list) -> dict:
        found = {}
        for name in names:
            if not isinstance(name, str):
                continue
            if name not in self.namespace:
                found[name] = {"kind": "missing"}
                continue
            value = self.namespace[name]
            if callable(value):
                found[name] = {"kind": "callable", "name": _safe_text(lambda v: v.__name__, value, 200)}
            else:
                found[name] = {"kind": "value", "value": self.encode(value)}
        return found

    def call(self, message: dict) -> dict:
        target = message.get("target")
        if isinstance(target, str):
            function = self.namespace.get(target)
            if function is None and target not in self.namespace:
                raise NameError(f"name '{target}' is not defined")
        else:
            function = self.channel.handles.get(target)
        args = [self.decode(a) for a in message.get("args", [])]
        kwargs = {str(k): self.decode(v) for k, v in (message.get("kwargs") or {}).items()}
        try:
            if message.get("op") == "next":
                try:
                    result = next(function)
                except StopIteration:
                    return {"stop": True}
            else:
                result = function(*args, **kwargs)
            encoded = self.encode(result)
        except BaseException as error:  # noqa: BLE001
            return {"raised": _describe_error(error), "after": self._after(args)}
        return {"value": encoded, "after": self._after(args)}

    def _after(self, args: list) -> list:
        after = []
        for value in args:
            try:
                after.append(self.encode(value) if not isinstance(value, _GraderFunction) else None)
            except BaseException:  # noqa: BLE001
                after.append(None)
        return after

    def callback(self, handle: int, args, kwargs, op: str = "call"):
        request_id = f"s{self.channel.next_id}"
        self.channel.next_id += 1
        self.flush()
        self.channel.send({"op": op, "id": request_id, "target": handle,
                           "args": [self.encode(a) for a in args],
                           "kwargs": {str(k): self.encode(v) for k, v in kwargs.items()}})
        while True:
            message = self.channel.receive()
            if message.get("op") == "reply" and message.get("id") == request_id:
                break
            self.dispatch(message)  # a nested request from the grader
        if message.get("stop"):
            raise StopIteration
        if "raised" in message:
            info = message["raised"] or {}
            raise _RemoteError(f"{info.get('type', 'Exception')}: {info.get('message', '')}")
        return self.decode(message.get("value"))


def _apply_limits(limits: dict) -> None:
    import resource
    import signal

    def hard(which, value):
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            soft, limit = resource.getrlimit(which)
            if limit != resource.RLIM_INFINITY:
                try:
                    resource.setrlimit(which, (min(value, limit), min(value, limit)))
                except (ValueError, OSError):
                    pass

    hard(resource.RLIMIT_AS, int(limits["memory"]))
    hard(resource.RLIMIT_FSIZE, int(limits["file_size"]))
    hard(resource.RLIMIT_CPU, int(limits["cpu_seconds"]))
    hard(resource.RLIMIT_CORE, 0)
    if limits.get("processes"):
        hard(resource.RLIMIT_NPROC, int(limits["processes"]))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _drop_privileges() -> None:
    if os.getuid() != 0:
        return
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _copy_font_cache(source: str, home: str) -> None:
    """Copy matplotlib's font list into the private HOME (rebuilding it costs seconds)."""
    import glob
    import shutil

    if not source or not os.path.isdir(source):
        return
    target = os.path.join(home, ".cache", "matplotlib")
    os.makedirs(target, exist_ok=True)
    for path in glob.glob(os.path.join(source, "fontlist-*.json")):
        try:
            shutil.copyfile(path, os.path.join(target, os.path.basename(path)))
        except OSError:
            pass


def _drop_capabilities() -> None:
    """No capabilities, now or after an exec (a no-op for an ordinary process)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
        for capability in range(64):
            libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP (fails harmlessly past the last)
        libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                        ("inheritable", ctypes.c_uint32)]

        header, data = Header(0x20080522, 0), (Data * 2)()
        libc.capset(ctypes.byref(header), data)
    except (OSError, AttributeError):
        pass


def preload(config: dict) -> None:
    """Import what every session needs (before any limit, outside the cells' time)."""
    for name in config.get("preload", []):
        try:
            __import__(name)
        except BaseException:  # noqa: BLE001 — retried (and reported) by the cell itself
            pass
    import IPython.core.interactiveshell  # noqa: F401
    import traitlets.config  # noqa: F401

    import lrcourse.classroom.channel  # noqa: F401


def start_session(config: dict, requests: int) -> None:
    """Become one submission's runner: private folders, no privileges, limits; then serve.

    ``requests`` is the descriptor the grader's requests arrive on; stdout and stderr
    are the output pipe; ``config["replies_fd"]`` is the replies pipe.  Never returns.
    """
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    home = config["home"]
    os.makedirs(home, exist_ok=True)
    os.makedirs(config["workdir"], exist_ok=True)
    _copy_font_cache(config.get("font_cache", ""), home)
    if config.get("drop_privileges"):
        for path in (home, config["workdir"], os.path.dirname(config["workdir"])):
            os.chown(path, 65534, 65534)
        _drop_privileges()
    _drop_capabilities()
    os.chdir(config["workdir"])
    os.environ["HOME"] = home
    os.environ.update({str(k): str(v) for k, v in (config.get("env") or {}).items()})
    replies = int(config["replies_fd"])
    keep = {0, 1, 2, requests, replies}
    for fd in range(3, 1024):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    channel = _Channel(requests, replies)
    runner = _Runner(channel)
    _apply_limits(config["limits"])
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    channel.send({"op": "ready"})
    try:
        runner.serve()
    finally:
        os._exit(0)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    config = json.loads(argv[0])
    _die_with_parent()
    # keep the channel off the descriptors learner code uses: requests on a private
    # descriptor, stdin from /dev/null
    requests = os.dup(REQUESTS_FD)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    preload(config)
    start_session(config, requests)


if __name__ == "__main__":
    main()
