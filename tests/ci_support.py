"""Skip or fail: what a test does when a tool it needs is missing.

On a learner's machine a missing browser, sandbox or cluster library skips the test with
a message; under ``CI=true`` it fails, since ``.ci/run`` installs Debian's chromium and
bubblewrap and the pinned test requirements.
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, why: str):
    """Skip on a learner's machine, fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: CI must provide it)", pytrace=False)
    pytest.skip(why)
