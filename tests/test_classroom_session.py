"""Tests of lrcourse.classroom.session: the learner's cells in a runner, under limits.

``test_session_*`` start runners (~15 s).  Tests that need bubblewrap skip without it
on a learner's machine and fail in CI."""

from __future__ import annotations

import pytest
from classroom_support import learner_json, require_sandbox

from lrcourse.classroom import score, session
from lrcourse.classroom.limits import Limits
from lrcourse.classroom.restore import read_submission, restore


def test_a_learner_exception_is_raised_from_the_learners_own_line():
    import linecache
    import traceback

    linecache.cache["<cell gd_step>"] = (0, None, ["def gd_step(x):\n", "    raise NotImplementedError\n"],
                                         "<cell gd_step>")
    info = {"type": "NotImplementedError", "message": "", "where": ["<cell gd_step>", 2, "gd_step"],
            "raiser": "gd_step"}
    with pytest.raises(NotImplementedError) as caught:
        session._raise_learner_error(info, "gd_step")
    last = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (last.filename, last.lineno, last.name) == ("<cell gd_step>", 2, "gd_step")
    with pytest.raises(Exception) as caught:
        session._raise_learner_error({"type": "Weird", "str_failed": "RuntimeError"}, "f")
    assert type(caught.value).__name__ == "Weird"
    assert str(caught.value) == ("(the exception's message could not be shown: str() of it raised "
                                 "RuntimeError)")




def _steps(cells):
    from lrcourse.classroom.restore import Step

    return [Step(code, "test" if code.startswith("#test") else "locked", f"c{i}", i)
            for i, code in enumerate(cells)]


@pytest.mark.parametrize("sandboxed", [True, False], ids=["bubblewrap", "no sandbox"])
def test_session_enforces_each_limit(tmp_path, sandboxed):
    if sandboxed:
        require_sandbox()
    cells = [
        "import numpy as np\nprint('hi')",
        "raise ValueError('bad')",
        "while True:\n    pass",
        "print('a fresh process replayed the cells before')\nprint(np.pi > 3)",
        "while True:\n    print('x' * 1000)",
        "blocks = []\nwhile True:\n    blocks.append(np.empty(10**7))",
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)",
        "open('big.bin', 'wb').write(b'0' * (8 * 2**20))",
        "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)",
        "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E()",
        "import os\nos._exit(3)",
        "def double(x):\n    return 2 * x",
        "#test\nimport numpy as np\nassert double(np.arange(3)).tolist() == [0, 2, 4]\nprint('test ran in the grader')",
    ]
    limits = Limits(cell_timeout=3, notebook_timeout=120, memory_bytes=2**30, max_file_bytes=2**20,
                    max_output_bytes=2**16)
    result = session.run_steps(_steps(cells), limits, ["numpy"], sandbox=sandboxed, scratch=tmp_path)
    got = [(o.status, o.ename) for o in result.outcomes]
    assert got == [("ok", ""), ("error", "ValueError"), ("timeout", ""), ("ok", ""),
                   ("output limit", ""), ("error", "MemoryError"), ("error", "ValueError"),
                   ("error", "OSError"), ("not responding", ""), ("error", "E"),
                   ("kernel died", ""), ("ok", ""), ("ok", "")]
    outcomes = result.outcomes
    assert outcomes[0].stdout == "hi\n"
    assert outcomes[3].stdout == "a fresh process replayed the cells before\nTrue\n"
    assert "File too large" in outcomes[7].evalue
    assert "str() of it raised RuntimeError" in outcomes[9].evalue
    assert outcomes[10].detail == "exit code 3"
    assert outcomes[12].stdout == "test ran in the grader\n"


def test_session_notebook_timeout(tmp_path):
    cells = ["import time\ntime.sleep(1.5)", "x = 0\nwhile True:\n    x += 1", "print('not reached')"]
    result = session.run_steps(_steps(cells), Limits(cell_timeout=5, notebook_timeout=2), sandbox=False,
                               scratch=tmp_path)
    assert [o.status for o in result.outcomes] == ["ok", "notebook timeout", "not run"]


def test_a_runner_that_cannot_start_is_a_grader_error_with_its_message(tmp_path, mini, monkeypatch):
    source, released = mini
    restored = restore(source, read_submission(learner_json(released)), released)
    real = session._session_config
    monkeypatch.setattr(session, "_session_config",
                        lambda *args: {key: value for key, value in real(*args).items() if key != "limits"})
    result = session.run_steps(restored.steps, Limits(startup_timeout=30), sandbox=False, scratch=tmp_path)
    assert not result.kernel_started
    parts = score.score_run(source, restored, result, Limits())
    assert {p.status for p in parts} == {"grader error"}
    assert parts[0].reason == ("the grading process did not start: the runner did not start "
                               "(exit code 1: KeyError: 'limits')")
