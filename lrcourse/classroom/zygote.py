"""A preloaded process that forks one fresh runner per submission.

Starting Python and importing NumPy, IPython and the course for every submission
costs more than grading most of them.  A grading worker therefore starts one
*zygote* — in the bubblewrap sandbox when there is one — that imports all of that
once, then forks a runner for each submission on request.

Each forked runner is isolated from the submissions before it (root, or any user
with bubblewrap, which lends the zygote capabilities inside its user namespace):

- its own mount namespace with a fresh, empty ``/tmp`` (and ``/dev/shm``): nothing a
  previous submission wrote is visible;
- its own PID namespace (with a small init process that ends them all): it sees
  only its own processes, and every process it starts ends with it;
- then, in the runner itself: ``nobody`` when the zygote is root, no capabilities,
  hard resource limits (:func:`lrcourse.classroom.runner.start_session`).

Without namespaces (no sandbox) the runner is a plain forked child in its own
session; the zygote adopts and ends what it detaches (a child subreaper).

Protocol: requests on a ``SOCK_SEQPACKET`` Unix socket, one JSON message each; a
``fork`` request carries the runner's three pipe ends as ``SCM_RIGHTS``
descriptors (requests, replies, output).  Replies are JSON too.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

__all__ = ["main"]

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC = 0x00020000, 0x20000000, 0x08000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _pdeathsig() -> None:
    _libc().prctl(1, signal.SIGKILL, 0, 0, 0)


def _status_code(status: int) -> int:
    """A wait status as an exit code: the code, or 128 + the signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255


def _mounts_under_tmp() -> list[str]:
    """The outermost mount points below /tmp (from /proc/self/mountinfo)."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = line.split()[4].encode().decode("unicode_escape")  # \040 for a space
            if point.startswith("/tmp/"):
                points.append(point)
    return [p for p in sorted(set(points))
            if not any(p.startswith(q + "/") for q in points)]


def _isolate(tmp_size: int) -> None:
    """A new mount, PID and IPC namespace with a fresh /tmp (in the forked child)."""
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    # the course or venv may live under /tmp (bound read-only there by bubblewrap): keep
    # a handle on each such mount, then put it back, read-only, on the fresh /tmp
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in _mounts_under_tmp()]
    options = f"size={int(tmp_size)},mode=1777".encode()
    _check(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount /tmp")
    for path, fd in kept:
        os.makedirs(path, exist_ok=True)
        _check(libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None),
               f"bind {path}")
        _check(libc.mount(None, path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None),
               f"remount {path} read-only")
        os.close(fd)
    if os.path.isdir("/dev/shm"):
        libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,mode=1777")


def _init_then_runner(config: dict, fds: list[int], isolate: bool) -> None:
    """In the forked child: (namespaces), an init process, and the runner under it."""
    from lrcourse.classroom import runner

    requests, replies, output = fds
    try:
        _pdeathsig()
        os.setsid()
        if isolate:
            _isolate(config["tmp_size"])
        pid = os.fork()  # with a new PID namespace, this child is its init (pid 1)
        if pid != 0:
            _, status = os.waitpid(pid, 0)
            os._exit(_status_code(status))
        _pdeathsig()
        if isolate:
            libc = _libc()
            libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        runner_pid = os.fork()
        if runner_pid != 0:  # init: reap everything; end with the runner's status
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            for fd in (requests, replies, output):
                os.close(fd)
            while True:
                try:
                    pid, status = os.wait()
                except ChildProcessError:
                    os._exit(255)
                if pid == runner_pid:
                    os._exit(_status_code(status))
        _pdeathsig()
        os.dup2(requests, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.dup2(replies, 3)
        for fd in {requests, replies, output} - {0, 1, 2, 3}:
            os.close(fd)
        runner.start_session({**config, "replies_fd": 3}, 0)
    except BaseException as error:  # noqa: BLE001 — say why on the output pipe, then end
        try:
            os.write(output, f"runner set-up failed: {error}\n".encode())
        except OSError:
            pass
    os._exit(70)


class _Zygote:
    def __init__(self, config: dict):
        self.config = config
        self.isolate = bool(config.get("isolate"))
        self.children: dict[int, int | None] = {}  # pid -> exit code once reaped

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children[pid] = _status_code(status)

    def fork(self, session: dict, fds: list[int]) -> dict:
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            return {"error": "a fork needs three descriptors"}
        pid = os.fork()
        if pid == 0:
            try:
                os.close(self.config["control_fd"])
            except OSError:
                pass
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _init_then_runner({**self.config["session"], **session}, fds, self.isolate)
        for fd in fds:
            os.close(fd)
        self.children[pid] = None
        return {"pid": pid}

    def kill(self, pid: int) -> dict:
        if pid in self.children and self.children[pid] is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                _, status = os.waitpid(pid, 0)
                self.children[pid] = _status_code(status)
            except ChildProcessError:
                pass
        self._kill_orphans()
        return {"status": self.children.pop(pid, None)}

    def wait(self, pid: int, timeout: float) -> dict:
        deadline = time.monotonic() + min(float(timeout), 10.0)
        while pid in self.children and self.children[pid] is None and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.01)
        return {"status": self.children.get(pid)}

    def cpu(self, pid: int) -> dict:
        from lrcourse.classroom.session import _tree_cpu

        return {"cpu": _tree_cpu(pid)}

    def _kill_orphans(self) -> None:
        """End the processes a runner detached (they were adopted here: subreaper)."""
        from lrcourse.classroom.session import _kill_children

        _kill_children(keep=self.children)


def main(argv: list[str] | None = None) -> None:
    from lrcourse.classroom import runner

    argv = sys.argv[1:] if argv is None else argv
    config = json.loads(argv[0])
    _pdeathsig()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.close(null)
    control = socket.socket(fileno=int(config["control_fd"]))
    if not config.get("isolate"):
        _libc().prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: detached runners come back here
    runner.preload(config)
    zygote = _Zygote(config)
    control.sendall(json.dumps({"op": "ready"}).encode())
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 16, 8)
        except OSError:
            break
        if not data:
            break
        zygote.reap()
        try:
            request = json.loads(data)
            op = request.get("op")
            if op == "fork":
                reply = zygote.fork(request.get("session", {}), list(fds))
            elif op == "kill":
                reply = zygote.kill(int(request["pid"]))
            elif op == "wait":
                reply = zygote.wait(int(request["pid"]), request.get("timeout", 1.0))
            elif op == "cpu":
                reply = zygote.cpu(int(request["pid"]))
            else:
                reply = {"error": f"unknown request {op!r}"}
        except Exception as error:  # noqa: BLE001
            reply = {"error": f"{type(error).__name__}: {error}"}
        control.sendall(json.dumps(reply).encode())
    for pid in [pid for pid, code in zygote.children.items() if code is None]:
        zygote.kill(pid)  # reaped here, so their CPU time is accounted to the grader
    os._exit(0)


if __name__ == "__main__":
    main()
