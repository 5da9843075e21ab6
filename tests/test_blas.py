"""lrcourse._blas: one BLAS thread inside the block, set once for the process and
never switched back and forth."""

import json
import subprocess
import sys

import pytest

PROBE = """
import json
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
from lrcourse._blas import single_threaded_blas

def threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

threadpool_limits(2, user_api="blas")
before = threads()
with single_threaded_blas():
    inside = threads()
    with single_threaded_blas():
        nested = threads()
after = threads()
threadpool_limits(2, user_api="blas")  # a learner who wants threads back
with single_threaded_blas():
    again = threads()
print(json.dumps([before, inside, nested, after, again]))
"""


def test_one_thread_from_the_first_block_on_and_no_switching_after():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    before, inside, nested, after, again = json.loads(done.stdout)
    if not before:
        pytest.skip("no BLAS library that threadpoolctl can see")
    ones = [1] * len(before)
    assert before == [2] * len(before)
    assert inside == nested == after == ones  # set once, kept after the block
    assert again == [2] * len(before)  # set once only: a later choice of the learner's stands
