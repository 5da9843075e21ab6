"""``lrcourse grade --scheduler``: the fixture class graded on a dask.distributed cluster.

A LocalCluster of 2 worker processes (one thread each) grades the adversarial
fixture class in the bubblewrap sandbox and must write exactly the CSV a local run
writes (``tests/fixtures/class/expected_grades.csv``).  Needs dask.distributed and
bubblewrap: skipped without them on a learner's machine, a failure in CI.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

from ci_support import require

from lrcourse.classroom.batch import grade_class
from lrcourse.classroom.limits import Limits
from lrcourse.classroom.sandbox import sandbox_available

FIXTURE = Path(__file__).parent / "fixtures" / "class"
ROOT = Path(__file__).parent.parent


def test_fixture_class_on_a_local_dask_cluster_gives_the_local_csv(tmp_path, monkeypatch):
    require(importlib.util.find_spec("distributed") is not None,
            'dask.distributed is not installed (pip install "dask[distributed]")')
    available, why = sandbox_available()
    require(available, f"no bubblewrap sandbox: {why}")
    from dask.distributed import LocalCluster

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    limits = Limits(**json.loads((FIXTURE / "limits.json").read_text()))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        result = grade_class(FIXTURE / "submissions", ROOT / "exercises" / "source", tmp_path / "out",
                             limits=limits, stream=io.StringIO(), sandbox="require",
                             scheduler=cluster.scheduler_address)
    assert result.sandbox == "bubblewrap"
    expected = (FIXTURE / "expected_grades.csv").read_text(encoding="utf-8")
    assert (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8") == expected
