"""Grade a class on a dask.distributed cluster (``lrcourse grade --scheduler ADDRESS``).

Each submission becomes one task.  On a dask worker the task hands the job to a
long-lived grading process of that worker (``python -m lrcourse.classroom.worker``,
the same one a local batch uses: the checks imported once, a preloaded zygote that
forks a sandboxed runner per submission), so every worker grades exactly as a local
run does, in the same sandbox.  Jobs carry the notebook's bytes and the source
exercise's text, so workers need the course's package (``lrcourse`` and its
dependencies) and bubblewrap, but not the submissions or the exercise folder.

Start a cluster (see docs/instructor.md)::

    dask scheduler                                   # on one machine: prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nthreads 1 --nworkers 4    # on each grading machine

dask.distributed is not a dependency of the course: ``pip install "dask[distributed]"``.
"""

from __future__ import annotations

import atexit
import json
import tempfile
import threading
from pathlib import Path

__all__ = ["grade_jobs_on_cluster", "grade_on_worker"]

_LOCK = threading.Lock()
_WORKERS: dict[str, object] = {}
_SCRATCH: list[Path] = []


def _scratch() -> Path:
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="lrcourse-dask-")))
        atexit.register(_shutdown)
    return _SCRATCH[0]


def _shutdown() -> None:
    from lrcourse.classroom.worker import remove_tree

    with _LOCK:
        for worker in _WORKERS.values():
            worker.close()
        _WORKERS.clear()
        for path in _SCRATCH:
            remove_tree(path)
        _SCRATCH.clear()


def grade_on_worker(job: dict, wall: float, config: dict) -> dict:
    """Grade one job on this dask worker (a task function); never raises."""
    from lrcourse.classroom.batch import _WorkerProcess
    from lrcourse.classroom.sandbox import sandbox_available

    if config.get("sandbox"):
        available, why = sandbox_available()
        if not available:
            import socket

            return {"error": f"no sandbox on the dask worker {socket.gethostname()}: {why}"}
    key = json.dumps(config, sort_keys=True)
    with _LOCK:  # one job at a time per worker process (run workers with --nthreads 1)
        worker = _WORKERS.get(key)
        if worker is None or not worker.alive():
            workdir = _scratch() / f"grader{len(_WORKERS):03d}"
            workdir.mkdir(exist_ok=True)
            worker = _WORKERS[key] = _WorkerProcess(workdir, config)
        return worker.grade(job, wall)


def grade_jobs_on_cluster(jobs: list[dict], wall: float, address: str, progress, config: dict) -> list[dict]:
    """Grade ``jobs`` on the cluster at ``address``; results in job order, never raises for one job."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise RuntimeError('--scheduler needs dask.distributed: pip install "dask[distributed]"') from None
    results: list[dict | None] = [None] * len(jobs)
    with Client(address, timeout="30s") as client:
        futures = {}
        for index, job in enumerate(jobs):
            future = client.submit(grade_on_worker, job, wall, config, pure=False,
                                   key=f"lrcourse-grade-{index}-{job['learner']}-{job['exercise']}")
            futures[future] = index
        for future in as_completed(futures):
            index = futures[future]
            try:
                results[index] = future.result()
            except Exception as error:  # noqa: BLE001 — a lost worker costs one submission
                results[index] = {"error": f"the cluster failed on this submission: "
                                           f"{type(error).__name__}: {error}"}
            progress.advance(f"{jobs[index]['learner']} {jobs[index]['exercise']}")
    return results
