"""Tests of lrcourse.classroom.zygote: the preloaded process that forks the runners.

Each runner's fresh /tmp keeps the read-only mounts of a course kept under /tmp (see
test_classroom_sandbox.py): the zygote finds them, outermost first.
"""

from lrcourse.classroom import zygote


def test_mounts_under_tmp_are_the_outermost_ones(monkeypatch, tmp_path):
    info = tmp_path / "mountinfo"
    info.write_text(
        "1 0 8:1 / / rw - ext4 /dev/vda rw\n"
        "2 1 0:5 / /tmp rw - tmpfs tmpfs rw\n"
        "3 2 8:1 /c /tmp/my\\040course rw - ext4 /dev/vda ro\n"
        "4 3 0:6 / /tmp/my\\040course/lrcourse/grading ro - tmpfs tmpfs ro\n"
        "5 2 8:1 /v /tmp/venv ro - ext4 /dev/vda ro\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda path, *a, **k: real_open(
        info if path == "/proc/self/mountinfo" else path, *a, **k))
    assert zygote._mounts_under_tmp() == ["/tmp/my course", "/tmp/venv"]
