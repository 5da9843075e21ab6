"""Two holes an outside attack found in the grader, kept shut.

- A runner could send one huge line of tiny containers (``[{},{},…]``): parsing it
  cost the grader ~50× its size in memory. Lines are capped, and their items counted
  before anything is parsed.
- A course kept under /tmp could not be sandboxed: the sandbox's private /tmp hid the
  course and its venv. The private /tmp is mounted first and the course bound on top,
  and each runner's fresh /tmp keeps those read-only mounts.
"""

import json

import pytest

from lrcourse.classroom import channel, sandbox, zygote


def test_a_line_of_many_items_is_refused_before_it_is_parsed(monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed a line that should have been refused first")

    bomb = b"[" + b"{}," * (channel.MAX_ITEMS + 1) + b"{}]"
    assert len(bomb) < channel.MAX_MESSAGE_BYTES
    monkeypatch.setattr(channel.json, "loads", no_parsing)
    with pytest.raises(ValueError, match="too many items"):
        channel.loads(bomb)
    with pytest.raises(ValueError, match="too long"):
        channel.loads(b" " * (channel.MAX_MESSAGE_BYTES + 1))


def test_an_ordinary_reply_still_travels():
    import numpy as np

    line = channel.dumps({"id": 3, "value": channel.encode(np.arange(100_000.0))})
    assert np.array_equal(channel.decode(channel.loads(line)["value"], trusted=False),
                          np.arange(100_000.0))
    assert json.loads(line)  # a plain JSON line


def test_the_private_tmp_is_mounted_before_anything_is_bound_on_it():
    args = sandbox.sandbox_command(["python"], 2**20)
    tmpfs = [i for i, a in enumerate(args) if a == "--tmpfs" and args[i + 1] == "/tmp"]
    binds = [i for i, a in enumerate(args) if a == "--ro-bind"]
    assert len(tmpfs) == 1 and binds and tmpfs[0] < min(binds)


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
