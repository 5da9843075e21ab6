"""Grade submissions in a long-lived grading process (one per batch worker).

``python -m lrcourse.classroom.worker CONFIG`` reads jobs (learner, exercise, the
notebook's bytes, source path, limits) as JSON lines on stdin and writes one JSON
result line per job on stdout.  It imports the checks once, and starts one
preloaded :class:`~lrcourse.classroom.session.Zygote` (in the sandbox when there is
one) that forks a fresh runner per submission, so no submission pays for starting
Python and importing NumPy, IPython and the course.  The batch ends and replaces a
grading process that crashes or hangs, so nothing a submission does can stop the
others.

The submission's bytes come in the job: the runner never learns where it came from.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import shutil
import stat
import sys
import tempfile
import traceback
from dataclasses import asdict
from pathlib import Path

from lrcourse.classroom import integrity, score
from lrcourse.classroom.session import run_steps
from lrcourse.classroom.limits import Limits
from lrcourse.classroom.restore import (
    ANSWER, InvalidNotebook, SourceExercise, load_source, read_submission, restore,
)

__all__ = ["grade_submission", "released_cells", "preload_modules", "remove_tree", "main"]


def released_cells(source: SourceExercise) -> dict[str, str]:
    """grade_id → code of that cell in the released learner notebook.

    Uses the course's own generator (:func:`lrcourse.notebook_format.make_student_notebook`),
    so "unchanged placeholder" means exactly what learners were given.
    """
    import nbformat

    from lrcourse.notebook_format import make_student_notebook

    notebook = nbformat.read(str(source.path), as_version=4)
    student = make_student_notebook(notebook)
    released = {}
    for cell in student.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            released[grade_id] = cell.source if isinstance(cell.source, str) else "".join(cell.source)
    return released


def preload_modules(import_statements: list[str]) -> list[str]:
    """Module names imported by ``import_statements`` (imported before the first cell)."""
    names: list[str] = []
    for statement in import_statements:
        node = ast.parse(statement).body[0]
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            candidates = [node.module] if node.module else []
        names.extend(name for name in candidates if name not in names)
    return names


def remove_tree(path: Path) -> None:
    """Delete a sandbox even if the learner's code made parts of it read-only."""
    def make_writable_and_retry(function, name, _info):
        try:
            os.chmod(os.path.dirname(name), stat.S_IRWXU)
            os.chmod(name, stat.S_IRWXU)
            function(name)
        except OSError:
            pass

    shutil.rmtree(path, onerror=make_writable_and_retry)


def grade_submission(submission: str | Path | bytes, source_path: str | Path, exercise: str,
                     limits: Limits, released: dict[str, str] | None = None, *,
                     sandbox: bool = False, zygote=None) -> dict:
    """Grade one submission; return ``{"parts": [part dicts]}`` (JSON-ready).

    ``submission`` is the notebook's bytes (what the batch read, before any code ran)
    or a path to read it from.  ``released`` is :func:`released_cells` of the source,
    when the caller has it already (the batch computes it once per exercise).
    ``sandbox`` runs the learner's cells in bubblewrap (:mod:`lrcourse.classroom.sandbox`);
    ``zygote`` (a :class:`~lrcourse.classroom.session.Zygote` started the same way)
    forks the runners instead of starting each one.
    The test cells run in this process (:mod:`lrcourse.classroom.session`).  Never
    raises for anything the submission does; a failure of the grader itself gives
    every part the status ``grader error``.
    """
    source = None
    try:
        source = load_source(source_path, name=exercise)
        data = submission if isinstance(submission, bytes) else Path(submission).read_bytes()
        try:
            learner = read_submission(data)
        except InvalidNotebook as error:
            return _whole(source, score.INVALID_NOTEBOOK, f"invalid notebook: {error}")
        setup_sources = [cell.source for cell in source.cells
                         if cell.cell_type == "code" and cell.role not in (ANSWER, "manual")]
        imports = integrity.protected_imports(setup_sources)
        _import_checks(imports)  # the checks are loaded here before any learner code runs
        if released is None:
            released = released_cells(source)
        restored = restore(source, learner, released)
        root = Path(tempfile.mkdtemp(prefix="lrcourse-grade-"))
        try:
            preload = [name for name in preload_modules(imports) if not name.startswith("lrcourse.grading")]
            result = run_steps(restored.steps, limits, preload, sandbox=sandbox, scratch=root,
                               zygote=zygote)
        finally:
            remove_tree(root)
        parts = score.score_run(source, restored, result, limits)
        return {"parts": [asdict(part) for part in parts]}
    except Exception as error:  # noqa: BLE001 — the batch must get a row, whatever happens
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return _whole(source, score.GRADER_ERROR, f"the grader failed on this submission: {detail}")


def _import_checks(imports: list[str]) -> None:
    import importlib

    for name in preload_modules(imports):
        if name.startswith("lrcourse.grading"):
            importlib.import_module(name)


def _whole(source, status: str, reason: str) -> dict:
    return {"parts": [asdict(part) for part in score.score_whole(source, status, reason)]}


class Grader:
    """Grades jobs one after another in this process, with one preloaded zygote."""

    def __init__(self, sandbox: bool, preload: list[str], scratch: Path | None = None):
        self.sandbox, self.preload = sandbox, list(preload)
        self.scratch = scratch
        self.zygote = None
        self.zygote_failed = ""

    def _zygote(self):
        from lrcourse.classroom.session import RunnerLost, Zygote

        if self.zygote is not None and self.zygote.alive():
            return self.zygote
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None
        try:
            log = None if self.scratch is None else self.scratch / "zygote.log"
            self.zygote = Zygote(self.preload, self.sandbox, log=log)
        except (RunnerLost, OSError) as error:  # then every runner starts on its own
            self.zygote_failed = str(error)
        return self.zygote

    def grade(self, job: dict) -> dict:
        submission = base64.b64decode(job["data"]) if "data" in job else job["submission"]
        source = job["source"]
        if "source_text" in job:  # from another machine: the source travels in the job
            folder = Path(tempfile.mkdtemp(prefix="source-", dir=self.scratch))
            source = folder / f"{job['exercise']}.ipynb"
            source.write_text(job["source_text"], encoding="utf-8")
        try:
            return grade_submission(submission, source, job["exercise"], Limits(**job["limits"]),
                                    job.get("released"), sandbox=self.sandbox, zygote=self._zygote())
        finally:
            if "source_text" in job:
                remove_tree(source.parent)

    def close(self) -> None:
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None


def main(argv: list[str] | None = None) -> int:
    """Grade the jobs (JSON lines) on stdin; one result (JSON line) each on stdout."""
    from lrcourse.classroom.session import become_subreaper

    argv = sys.argv[1:] if argv is None else argv
    config = json.loads(argv[0]) if argv else {}
    become_subreaper()  # a learner's detached process comes back here, and is ended
    import_checks = [name for name in config.get("preload", []) if name.startswith("lrcourse.grading")]
    for name in import_checks:
        __import__(name)
    scratch = Path(tempfile.mkdtemp(prefix="lrcourse-worker-"))
    grader = Grader(bool(config.get("sandbox")),
                    [n for n in config.get("preload", []) if not n.startswith("lrcourse.grading")], scratch)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but results on the real stdout
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            job = json.loads(line)
            result = grader.grade(job)
            out.write(json.dumps(result) + "\n")
            out.flush()
    finally:
        grader.close()
        remove_tree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
