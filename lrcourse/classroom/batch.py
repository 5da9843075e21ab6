"""Grade a whole class in parallel.

:func:`grade_class` reads the class (:func:`~lrcourse.classroom.submissions.scan_class`),
matches each notebook to its source exercise, and grades the submissions on
``workers`` long-lived grading processes (``python -m lrcourse.classroom.worker``,
all cores by default), each with one preloaded zygote that forks a sandboxed runner
per submission.  A grading process that crashes, hangs past the wall-clock limit of
a submission or writes no result gives that submission ``grader error`` rows, is
replaced, and the batch goes on.  A text progress bar on stderr shows how far the
batch is.  :func:`grade_notebooks` grades single notebooks the same way (a learner's
``lrcourse progress``).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, TextIO

from lrcourse import _validation as check
from lrcourse.classroom import score
from lrcourse.classroom.limits import SANDBOX_MODES, Limits, limits_or_default
from lrcourse.classroom.report import SubmissionGrade, write_reports
from lrcourse.classroom.restore import load_source, read_submission
from lrcourse.classroom.sandbox import sandbox_available
from lrcourse.classroom.submissions import Submission, find_exercises, read_notebook, scan_class
from lrcourse.classroom.integrity import protected_imports
from lrcourse.classroom.worker import preload_modules, released_cells, remove_tree
from lrcourse.notebook_json import PATH

__all__ = ["BatchResult", "ProgressBar", "grade_class", "grade_notebooks", "grade_jobs"]


@dataclass
class BatchResult:
    """What a batch produced: the grades (sorted), the files written, and remarks."""

    grades: list[SubmissionGrade]
    paths: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    sandbox: str = ""


class ProgressBar:
    """A one-line text progress bar (``[#####-----] 12/40 alice 01_x``) on a stream.

    On a terminal the line is redrawn in place; otherwise one line is written per
    update, so logs stay readable.
    """

    width = 30

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True):
        self.total, self.done = total, 0
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled and total > 0
        self.started = time.monotonic()
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, label: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        filled = round(self.width * self.done / self.total)
        elapsed = time.monotonic() - self.started
        line = (f"grading [{'#' * filled}{'-' * (self.width - filled)}] "
                f"{self.done}/{self.total}  {elapsed:5.1f} s  {label}")
        if self.interactive:
            self.stream.write("\r" + line[:120].ljust(120))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _package_root() -> str:
    import lrcourse

    return str(Path(lrcourse.__file__).resolve().parents[1])


class _WorkerProcess:
    """A long-lived grading process (``python -m lrcourse.classroom.worker``).

    Jobs go to its stdin and results come back on its stdout, one JSON line each
    (pipes, not files a submission could reach); its stderr goes to a log whose last
    line explains a failure.
    """

    def __init__(self, workdir: Path, config: dict):
        self.log_path = workdir / "worker.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            dict.fromkeys([_package_root()] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]))
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["TMPDIR"] = str(workdir)  # its temporary folders go here: removed with the batch
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lrcourse.classroom.worker", json.dumps(config)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                start_new_session=True)
        with _RUNNING_LOCK:
            _RUNNING.add(self.process)

    def grade(self, job: dict, wall: float) -> dict:
        """The job's result; never raises (a dead or hung process gives an ``error``)."""
        import selectors

        try:
            self.process.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except OSError as error:
            return self._failed(f"its input closed ({error.strerror})")
        deadline = time.monotonic() + wall
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            stream = self.process.stdout
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    return {"error": f"the grader gave up after {wall:g} s (wall-clock limit of one submission)"}
                if not selector.select(timeout=min(left, 1.0)):
                    continue
                chunk = stream.read1(1 << 20)
                if not chunk:
                    break
                line += chunk
        try:
            result = json.loads(line.decode("utf-8"))
            if not isinstance(result, dict) or not isinstance(result.get("parts"), list):
                raise ValueError("no parts in its result")
            return result
        except ValueError as error:
            self.kill()
            return self._failed(str(error) if line else "no result")

    def _failed(self, what: str) -> dict:
        self.kill()
        code = self.process.returncode
        tail = self.log_path.read_bytes()[-2000:].decode("utf-8", "replace").strip().splitlines()
        last = tail[-1] if tail else "no message"
        status = f"exit status {code}" if code is not None else what
        return {"error": f"the grading process ended without a valid result ({status}): {last}"}

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self) -> None:
        _kill_group(self.process)
        with _RUNNING_LOCK:
            _RUNNING.discard(self.process)


def _run_worker(job: dict, workdir: Path, limits: Limits, config: dict | None = None) -> dict:
    """Grade one job in a fresh grading process; never raises."""
    worker = _WorkerProcess(workdir, config or {})
    try:
        return worker.grade(job, _wall(limits))
    finally:
        worker.close()


def _wall(limits: Limits) -> float:
    return limits.startup_timeout + limits.notebook_timeout + 4 * limits.interrupt_grace + 60


def _kill_group(process: subprocess.Popen, wait: bool = True) -> None:
    """SIGKILL a worker's process group (its runners die with it: PR_SET_PDEATHSIG)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        try:
            process.kill()
        except OSError:
            pass
    if wait:
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except (OSError, ValueError):
                pass


#: Worker processes running now (so that an interrupted batch can stop them).
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()


def grade_jobs(jobs: list[dict], limits: Limits, workers: int, progress: ProgressBar,
               config: dict | None = None) -> list[dict]:
    """Run ``jobs`` on ``workers`` long-lived grading processes; results in job order.

    ``config`` goes to every grading process: ``sandbox`` (bool) and ``preload``
    (modules its zygote imports once).
    """
    results: list[dict | None] = [None] * len(jobs)
    scratch = tempfile.mkdtemp(prefix="lrcourse-batch-")
    try:
        _grade_all(jobs, limits, workers, progress, Path(scratch), results, config or {})
    finally:
        remove_tree(Path(scratch))
    return results


def _grade_all(jobs, limits, workers, progress, scratch: Path, results, config) -> None:
    import queue

    pending: queue.Queue = queue.Queue()
    for index in range(len(jobs)):
        pending.put(index)
    lock = threading.Lock()
    stop = threading.Event()

    def slot(number: int) -> None:
        workdir = scratch / f"worker{number:03d}"
        workdir.mkdir()
        worker = None
        try:
            while not stop.is_set():
                try:
                    index = pending.get_nowait()
                except queue.Empty:
                    return
                if worker is None or not worker.alive():
                    worker = _WorkerProcess(workdir, config)
                try:
                    result = worker.grade(jobs[index], _wall(limits))
                except Exception as error:  # noqa: BLE001 — never lose a submission
                    result = {"error": f"the grader failed: {type(error).__name__}: {error}"}
                with lock:
                    results[index] = result
                    progress.advance(f"{jobs[index]['learner']} {jobs[index]['exercise']}")
        finally:
            if worker is not None:
                worker.close()

    threads = [threading.Thread(target=slot, args=(n,), daemon=True) for n in range(max(1, min(workers, len(jobs))))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    except BaseException:  # Ctrl-C: stop the queued jobs and the running workers, then re-raise
        stop.set()
        with _RUNNING_LOCK:
            running = list(_RUNNING)
        for process in running:
            _kill_group(process, wait=False)
        raise


def _closest_exercise(data: bytes | None, sources: dict) -> str | None:
    """The exercise whose answer cells' grade_ids the notebook shares most, if any."""
    if data is None:
        return None
    try:
        learner = read_submission(data)
    except Exception:  # noqa: BLE001 — a guess only: whatever the file holds, no crash
        return None
    best, best_overlap = None, 0
    for name, source in sources.items():
        overlap = len(set(source.answer_ids) & set(learner.cells_by_id))
        if overlap > best_overlap:
            best, best_overlap = name, overlap
    return best


def _within(learner: str, relative: str) -> str:
    """``relative`` (a path under the submissions folder) inside the learner's folder."""
    return relative[len(learner) + 1:] if learner and relative.startswith(learner + "/") else relative


def _grade(learner, exercise, parts_dicts, notes=()) -> SubmissionGrade:
    """A grading process's result (its parts as dicts) with the batch's ``notes`` added."""
    parts = tuple(score.PartResult(**{**part, "notes": tuple(notes) + tuple(part.get("notes", ()))})
                  for part in parts_dicts)
    return SubmissionGrade(learner, exercise, parts)


def _whole(learner: str, exercise: str, status: str, reason: str, source=None, notes=()) -> SubmissionGrade:
    """A submission that was not run: 0 points with ``status`` on every part of ``source``
    (:func:`lrcourse.classroom.score.score_whole`), one unnamed part without a source."""
    parts = score.score_whole(source, status, reason)
    return SubmissionGrade(learner, exercise, tuple(dataclasses.replace(part, notes=tuple(notes))
                                                    for part in parts))


def _job(learner: str, exercise: str, data: bytes, sources: dict, source_paths: dict,
         released: dict, limits: Limits, use_sandbox: bool, notes=()) -> dict:
    """One grading job (JSON-ready); ``released`` caches the released cells per exercise."""
    if exercise not in released:
        released[exercise] = released_cells(sources[exercise])
    return {"learner": learner, "exercise": exercise,
            "data": base64.b64encode(data).decode("ascii"),
            "source": str(source_paths[exercise]), "limits": limits.as_dict(),
            "released": released[exercise], "notes": list(notes), "sandbox": use_sandbox}


def _run_jobs(jobs: list[dict], sources: dict, source_paths: dict, limits: Limits, workers: int,
              bar: ProgressBar, use_sandbox: bool, scheduler: str | None = None) -> list[SubmissionGrade]:
    """Grade ``jobs`` (on local grading processes, or on a cluster); one grade per job, in order."""
    preload = sorted({name for exercise in {job["exercise"] for job in jobs}
                      for name in preload_modules(protected_imports(
                          [c.source for c in sources[exercise].cells if c.cell_type == "code"
                           and c.role not in ("answer", "manual")]))})
    config = {"sandbox": use_sandbox, "preload": preload}
    if scheduler is not None:
        from lrcourse.classroom.distributed import grade_jobs_on_cluster

        texts = {name: source_paths[name].read_text(encoding="utf-8") for name in {j["exercise"] for j in jobs}}
        for job in jobs:  # the workers need neither the submissions nor the exercise folder
            job["source_text"] = texts[job["exercise"]]
        results = grade_jobs_on_cluster(jobs, _wall(limits), scheduler, bar, config)
    else:
        results = grade_jobs(jobs, limits, workers, bar, config) if jobs else []
    grades = []
    for job, result in zip(jobs, results):
        if "error" in result:
            grades.append(_whole(job["learner"], job["exercise"], score.GRADER_ERROR, result["error"],
                                 sources[job["exercise"]]))
        else:
            grades.append(_grade(job["learner"], job["exercise"], result["parts"], job["notes"]))
    return grades


def _decide_sandbox(sandbox: str, flag: str = "") -> tuple[bool, str]:
    """Whether learner code runs in bubblewrap, and why not: ``auto`` (when it can
    start), ``require`` (``RuntimeError`` when it cannot) or ``off``."""
    SANDBOX_MODES("sandbox", sandbox)
    use_sandbox, why_not = (False, "turned off") if sandbox == "off" else sandbox_available()
    if sandbox == "require" and not use_sandbox:
        raise RuntimeError(f"no sandbox: {why_not}; refusing to grade{flag}")
    return use_sandbox, why_not


def grade_notebooks(notebooks: Iterable[str | Path], source_dir: str | Path, *,
                    limits: Limits | None = None, workers: int | None = None,
                    progress: bool = True, stream: TextIO | None = None,
                    sandbox: str = "auto") -> BatchResult:
    """Grade single notebooks against their source exercises, as :func:`grade_class` grades one.

    The same engine: each file is read as the class is read (a link is refused, never
    followed), restored against ``<source_dir>/<name>/<name>.ipynb`` (``name`` is the
    file's stem), its cells run in a runner process (in the bubblewrap sandbox when one
    starts here and ``sandbox`` is ``"auto"``; silently without one otherwise) and its
    tests in a grading process.  Used by a learner's ``lrcourse progress``, so its
    statuses and points are ``grade``'s.

    Returns a :class:`BatchResult` whose ``grades`` are in the order of
    ``notebooks``, one :class:`SubmissionGrade` each (``learner`` is the path as
    given).  A notebook with no source exercise gets one ``unknown exercise`` row;
    an unreadable one gets ``invalid notebook`` (or ``refused``) on every part.
    Nothing is written.
    """
    started = time.monotonic()
    limits, workers, (use_sandbox, _) = _engine_settings(limits, workers, progress, sandbox)
    notebooks = _path_list("notebooks", notebooks)
    source_paths = find_exercises(source_dir)
    sources = {name: load_source(path, name) for name, path in source_paths.items()}
    grades: list[SubmissionGrade | None] = [None] * len(notebooks)
    jobs, where = [], []
    released: dict[str, dict] = {}
    for index, path in enumerate(notebooks):
        exercise = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.name
        if exercise not in sources:
            reason = (f"no source exercise is named {exercise!r} in {source_dir} (expected one of "
                      f"{', '.join(sources) or '(none)'})")
            grades[index] = _whole(str(path), exercise, score.UNKNOWN_EXERCISE, reason)
            continue
        data, problem, refused = read_notebook(path)
        if data is None:
            status = score.REFUSED if refused else score.INVALID_NOTEBOOK
            grades[index] = _whole(str(path), exercise, status, f"{path.name}: {problem}", sources[exercise])
            continue
        jobs.append(_job("", exercise, data, sources, source_paths, released, limits, use_sandbox))
        where.append(index)
    bar = ProgressBar(len(jobs), stream=stream, enabled=progress)
    for index, grade in zip(where, _run_jobs(jobs, sources, source_paths, limits,
                                             min(workers, max(1, len(jobs))), bar, use_sandbox)):
        grades[index] = dataclasses.replace(grade, learner=str(notebooks[index]))
    return BatchResult(grades=list(grades), seconds=time.monotonic() - started,
                       workers=workers, sandbox="bubblewrap" if use_sandbox else "none")


def grade_class(submissions_dir: str | Path, source_dir: str | Path, out_dir: str | Path | None = None,
                *, exercises: Iterable[str] | None = None, learners: Iterable[str] | None = None,
                limits: Limits | None = None, workers: int | None = None,
                progress: bool = True, stream: TextIO | None = None,
                sandbox: str = "auto", scheduler: str | None = None) -> BatchResult:
    """Grade every submission under ``submissions_dir`` and write the reports.

    Parameters
    ----------
    submissions_dir : path
        ``<learner>/<exercise>.ipynb`` (nbgrader's layout; see
        :mod:`lrcourse.classroom.submissions`).  Only read, never written.
    source_dir : path
        The source exercises, ``<name>/<name>.ipynb``.
    out_dir : path, optional
        Where ``grades.csv``, ``totals.csv`` and ``feedback/`` go; nothing is
        written if None.  Must not be inside ``submissions_dir``.
    exercises, learners : list of str, optional
        Grade only these.  Every listed exercise is expected from every learner
        (a missing notebook gets ``not submitted`` rows); without a list, the
        exercises that anyone submitted are expected from everyone.
    limits : Limits, optional
        Time, memory and output limits per submission.
    workers : int, optional
        Submissions graded at once (default: the number of CPU cores).
    progress : bool
        Show the progress bar on ``stream`` (default stderr).
    sandbox : {"auto", "require", "off"}
        Run learner code in a bubblewrap sandbox: when one starts here (``auto``,
        the default; otherwise a warning says so and the plain limits apply), always
        (``require``: raise ``RuntimeError`` if none can start), or never (``off``).
    scheduler : str, optional
        The address of a dask.distributed scheduler (``tcp://host:8786``): grade
        there, one task per submission (:mod:`lrcourse.classroom.distributed`),
        instead of on local worker processes.  The sandbox decision is made here and
        each dask worker grades in the same sandbox.
    """
    started = time.monotonic()
    limits, workers, (use_sandbox, why_not) = _engine_settings(limits, workers, progress, sandbox,
                                                                " (--require-sandbox)")
    submissions_dir = _checked_folders(submissions_dir, out_dir)
    source_paths = find_exercises(source_dir)
    sources = {name: load_source(path, name) for name, path in source_paths.items()}
    scan = scan_class(submissions_dir)  # the whole class, read before any code runs
    wanted = _Wanted.checked(learners, exercises, scan, sources, submissions_dir)
    warnings = [] if use_sandbox or sandbox != "auto" else [
        f"no sandbox ({why_not}): learner code runs as a plain process under the resource limits "
        "only (see docs/instructor.md)"]

    chosen, copies = _choose(scan.submissions, wanted)
    grades = _set_aside(scan, chosen, copies, wanted, warnings)
    jobs, not_run, strays = _jobs(chosen, copies, sources, source_paths, limits, use_sandbox)
    grades += not_run + _missing(scan, chosen, strays, sources, wanted)
    bar = ProgressBar(len(jobs), stream=stream, enabled=progress)
    grades += _run_jobs(jobs, sources, source_paths, limits, workers, bar, use_sandbox, scheduler)

    grades.sort(key=lambda g: (g.learner.casefold(), g.learner, g.exercise))
    refused = sum(1 for g in grades if any(p.status == score.REFUSED for p in g.parts))
    if refused:
        warnings.append(f"{refused} symbolic link(s) refused (never followed): see the "
                        "'refused' rows of grades.csv")
    paths = write_reports(grades, out_dir) if out_dir is not None else {}
    return BatchResult(grades=grades, paths=paths, warnings=warnings,
                       seconds=time.monotonic() - started, workers=workers,
                       sandbox="bubblewrap" if use_sandbox else "none")


# ---------------------------------------------------------------------------
# The phases of grade_class (and the checks it shares with grade_notebooks)
# ---------------------------------------------------------------------------

def _engine_settings(limits, workers, progress, sandbox, flag: str = "") -> tuple[Limits, int, tuple[bool, str]]:
    """The checked limits, number of workers and sandbox decision (``(use it, why not)``)."""
    limits = limits_or_default("limits", limits)
    workers = (os.cpu_count() or 1) if workers is None else check.positive_int("workers", workers)
    check.boolean("progress", progress)
    return limits, workers, _decide_sandbox(sandbox, flag)


def _path_list(name: str, value) -> list[Path]:
    """A list (or tuple) of paths, each a string or an ``os.PathLike``."""
    if not isinstance(value, (list, tuple)):
        check.fail(name, "a list of paths", value, error=TypeError)
    return [PATH(f"{name}[{index}]", item) for index, item in enumerate(value)]


def _checked_folders(submissions_dir, out_dir) -> Path:
    """The submissions folder, resolved; ``out_dir`` must lie outside it (grading never writes there)."""
    submissions_dir = Path(submissions_dir).resolve()
    if out_dir is not None:
        resolved_out = Path(out_dir).resolve()
        if resolved_out == submissions_dir or submissions_dir in resolved_out.parents:
            check.fail("out_dir", "a folder outside the submissions folder", str(out_dir),
                       "grading never writes into the submissions")
    return submissions_dir


@dataclass(frozen=True)
class _Wanted:
    """Which learners and exercises to grade (None: all of them)."""

    learners: frozenset | None
    exercises: list | None

    @classmethod
    def checked(cls, learners, exercises, scan, sources: dict, submissions_dir: Path) -> "_Wanted":
        """Each listed learner must have a folder, each listed exercise a source."""
        names = check.ListOf(check.text)
        learners = None if learners is None else frozenset(names("learners", learners))
        exercises = None if exercises is None else names("exercises", exercises)
        everyone = scan.learners
        for name in sorted(learners or ()):
            if name not in everyone:
                check.fail("learner", f"a folder in {submissions_dir}", name,
                           f"the learners there are {', '.join(everyone[:10]) or '(none)'}"
                           + (", …" if len(everyone) > 10 else ""))
        for name in exercises or []:
            if name not in sources:
                check.fail("exercise", f"one of {', '.join(sources) or '(none found)'}", name)
        return cls(learners, exercises)

    def learner(self, name: str) -> bool:
        return self.learners is None or name in self.learners

    def exercise(self, name: str) -> bool:
        return self.exercises is None or name in self.exercises


def _choose(found, wanted: _Wanted) -> tuple[dict, dict]:
    """The notebook graded per (learner, exercise), and the other copies of it.

    Of two copies of one notebook, the one nearer the learner's folder is graded.
    """
    chosen: dict[tuple[str, str], Submission] = {}
    copies: dict[tuple[str, str], list[Submission]] = {}
    for submission in sorted(found, key=lambda s: (s.learner, s.exercise, s.relative.count("/"), s.relative)):
        if not (wanted.learner(submission.learner) and wanted.exercise(submission.exercise)):
            continue
        key = (submission.learner, submission.exercise)
        if key in chosen:
            copies.setdefault(key, []).append(submission)
        else:
            chosen[key] = submission
    return chosen, copies


def _set_aside(scan, chosen: dict, copies: dict, wanted: _Wanted, warnings: list) -> list[SubmissionGrade]:
    """Rows for the files the scan skipped and for the copies not graded (each also a warning)."""
    grades = [_whole(skipped.learner, _within(skipped.learner, skipped.relative), skipped.status,
                     skipped.reason)
              for skipped in scan.skipped if wanted.learner(skipped.learner)]
    for key, extra in sorted(copies.items()):
        for submission in extra:
            reason = (f"{submission.relative} is a second notebook for {key[0]}/{key[1]}: "
                      f"{chosen[key].relative} was graded, not this one")
            warnings.append(reason)
            grades.append(_whole(submission.learner, _within(submission.learner, submission.relative),
                                 score.NOT_GRADED, reason))
    return grades


def _jobs(chosen: dict, copies: dict, sources: dict, source_paths: dict, limits: Limits,
          use_sandbox: bool) -> tuple[list[dict], list[SubmissionGrade], dict]:
    """A grading job per chosen notebook that can run; rows for those that cannot (no such
    exercise, unreadable); and per learner the notebooks named after no exercise."""
    jobs, grades, released = [], [], {}
    strays: dict[str, list[str]] = {}
    for (learner, exercise), submission in sorted(chosen.items()):
        if exercise not in sources:
            strays.setdefault(learner, []).append(submission.path.name)
            guess = _closest_exercise(submission.data, sources)
            hint = f"; it looks like {guess}: rename it {guess}.ipynb" if guess else ""
            grades.append(_whole(learner, exercise, score.UNKNOWN_EXERCISE,
                                 f"no source exercise is named {exercise!r} (expected one of "
                                 f"{', '.join(sources)}){hint}"))
            continue
        notes = ()
        if (learner, exercise) in copies:
            others = ", ".join(s.relative for s in copies[(learner, exercise)])
            notes = (f"graded {submission.relative}; another copy ({others}) was not graded",)
        if submission.data is None:
            status = score.REFUSED if submission.refused else score.INVALID_NOTEBOOK
            grades.append(_whole(learner, exercise, status, submission.problem, sources[exercise], notes))
        else:
            jobs.append(_job(learner, exercise, submission.data, sources, source_paths, released,
                             limits, use_sandbox, notes))
    return jobs, grades, strays


def _missing(scan, chosen: dict, strays: dict, sources: dict, wanted: _Wanted) -> list[SubmissionGrade]:
    """``not submitted`` (or ``refused``) rows for every expected notebook nobody handed in.

    Expected: the listed exercises, else every exercise someone submitted, from every
    (listed) learner.
    """
    expected = wanted.exercises if wanted.exercises is not None else sorted(
        {exercise for (_, exercise) in chosen if exercise in sources})
    grades = []
    for learner in filter(wanted.learner, scan.learners):
        for exercise in expected:
            if (learner, exercise) in chosen:
                continue
            if learner in scan.refused_learners:
                status, reason = score.REFUSED, scan.refused_learners[learner]
            else:
                status, reason = score.NOT_SUBMITTED, f"no notebook {exercise}.ipynb in {learner}/"
                if learner in strays:
                    reason += f" (found {', '.join(strays[learner])} instead)"
            grades.append(_whole(learner, exercise, status, reason, sources[exercise]))
    return grades
