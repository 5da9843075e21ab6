"""Tests of lrcourse.classroom.sandbox: the bubblewrap command a runner starts in.

A hole an outside attack found, kept shut: a course kept under /tmp could not be
sandboxed, since the sandbox's private /tmp hid the course and its venv.  The private
/tmp is mounted first and the course bound on top (the zygote's side is in
test_classroom_zygote.py).
"""

from lrcourse.classroom import sandbox


def test_the_private_tmp_is_mounted_before_anything_is_bound_on_it():
    args = sandbox.sandbox_command(["python"], 2**20)
    tmpfs = [i for i, a in enumerate(args) if a == "--tmpfs" and args[i + 1] == "/tmp"]
    binds = [i for i, a in enumerate(args) if a == "--ro-bind"]
    assert len(tmpfs) == 1 and binds and tmpfs[0] < min(binds)
