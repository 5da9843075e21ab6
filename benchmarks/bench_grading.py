"""Speed of batch grading: seconds per submission, 1 worker vs all cores (vs nbgrader).

    python benchmarks/bench_grading.py [--submissions 40] [--workers N] [--repeat 3]

Builds ``--submissions`` submissions of exercise 01 (cycling through well-behaved
cases of the fixture class: correct, partly correct, unsolved, missing cells, edited
tests, redefined checks), grades them with
``lrcourse.classroom.batch.grade_class`` on 1 worker and on all cores (or
``--workers``), and prints wall-clock seconds per submission and the CPU seconds
the grading processes used (which a busy machine inflates less).  Where nbgrader is
installed (``pip install nbgrader``) it also times ``nbgrader autograde`` on the same
submissions, in the same run, and prints the ratios; otherwise it says so and skips
that part.

Timings are never asserted in tests: machines are shared and noisy.  Limits are the
command line's defaults (no submission here comes near them).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lrcourse.classroom.batch import grade_class  # noqa: E402
from lrcourse.classroom.limits import Limits  # noqa: E402

EXERCISE = "01_gradient_descent"
#: fixture cases both graders can read (frank's duplicated grade_ids make `nbgrader update` refuse)
WELL_BEHAVED = ["alice", "bob", "carol", "erin", "gina", "hank", "olga"]


def _fixture_builder():
    path = ROOT / "tests" / "fixtures" / "class" / "make_class.py"
    spec = importlib.util.spec_from_file_location("make_class", path)
    module = importlib.util.module_from_spec(spec)
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # keep the fixture folder clean
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


def build_submissions(root: Path, count: int) -> Path:
    """``count`` learners' notebooks of exercise 01 under ``root/submitted``."""
    notebooks, _ = _fixture_builder().build()
    submitted = root / "submitted"
    for index in range(count):
        case = WELL_BEHAVED[index % len(WELL_BEHAVED)]
        folder = submitted / f"learner{index:03d}"
        folder.mkdir(parents=True)
        (folder / f"{EXERCISE}.ipynb").write_bytes(notebooks[case])
    return submitted


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_lrcourse(submitted: Path, workers: int, out: Path) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of the grading processes and runners, for one batch.

    The CPU time is that of the reaped child processes (``RUSAGE_CHILDREN``): the
    grading processes, their zygotes and every runner (each is reaped, never left
    behind), plus this process's own share of the batch (reading, restoring, writing).
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_cpu = own.ru_utime + own.ru_stime
    cpu, start = _children_cpu(), time.perf_counter()
    grade_class(submitted, ROOT / "exercises" / "source", out, limits=Limits(), workers=workers,
                progress=False)
    now = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - start, _children_cpu() - cpu + (now.ru_utime + now.ru_stime - own_cpu)


def time_nbgrader(root: Path, submitted: Path) -> tuple[float, float] | None:
    """Wall and CPU seconds of ``nbgrader autograde`` on the same submissions, or None if absent.

    nbgrader shells out to ``alembic`` (its database migrations): the venv's ``bin``
    goes first on PATH.  On failure nbgrader's stderr is printed.
    """
    if importlib.util.find_spec("nbgrader") is None:
        return None
    course = root / "nbgrader_course"
    root.mkdir(parents=True, exist_ok=True)
    source = course / "source" / EXERCISE
    source.mkdir(parents=True)
    shutil.copy(ROOT / "exercises" / "source" / EXERCISE / f"{EXERCISE}.ipynb", source)
    for learner in sorted(p.name for p in submitted.iterdir()):
        target = course / "submitted" / learner / EXERCISE
        target.mkdir(parents=True)
        shutil.copy(submitted / learner / f"{EXERCISE}.ipynb", target)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-m", "nbgrader"]

    def run(args):
        done = subprocess.run(command + args, cwd=course, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print(f"nbgrader {args[0]} failed (exit status {done.returncode}):\n{done.stderr}", file=sys.stderr)
            raise SystemExit(1)

    run(["generate_assignment", EXERCISE, "--force"])
    # the course's learner notebooks lack nbgrader's cell_type/checksum metadata (see
    # docs/instructor.md): nbgrader refuses them until `nbgrader update` adds it (not timed)
    run(["update", "submitted"])
    cpu, start = _children_cpu(), time.perf_counter()
    run(["autograde", EXERCISE, "--create", "--force"])
    return time.perf_counter() - start, _children_cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="workers for the parallel run (default: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians are printed")
    options = parser.parse_args(argv)
    n = options.submissions
    runs = {"serial": [], "parallel": [], "nbgrader": []}
    same = True
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as scratch:
        root = Path(scratch)
        submitted = build_submissions(root, n)
        for repeat in range(options.repeat):  # interleaved, so a busy spell hits all three
            out1, outn = root / f"out1-{repeat}", root / f"outN-{repeat}"
            runs["serial"].append(time_lrcourse(submitted, 1, out1))
            runs["parallel"].append(time_lrcourse(submitted, options.workers, outn))
            same = same and (out1 / "grades.csv").read_bytes() == (outn / "grades.csv").read_bytes()
            nbgrader = time_nbgrader(root / f"nbgrader-{repeat}", submitted)
            if nbgrader is not None:
                runs["nbgrader"].append(nbgrader)

    from statistics import median

    from lrcourse.classroom.sandbox import sandbox_available

    def med(name):
        return median(r[0] for r in runs[name]), median(r[1] for r in runs[name])

    serial, serial_cpu = med("serial")
    parallel, parallel_cpu = med("parallel")
    print()
    print(f"lrcourse grade, {n} submissions of {EXERCISE} ({os.cpu_count()} CPU cores, "
          f"sandbox: {'bubblewrap' if sandbox_available()[0] else 'none'}), "
          f"medians of {options.repeat} runs:")
    print(f"  1 worker:   {serial:6.1f} s total, {serial / n:5.2f} s per submission, "
          f"CPU {serial_cpu / n:.3f} s per submission")
    print(f"  {options.workers} workers: {parallel:6.1f} s total, {parallel / n:5.2f} s per submission, "
          f"CPU {parallel_cpu / n:.3f} s per submission (speed-up {serial / parallel:.2f}×)")
    print(f"  the runs wrote identical CSVs: {same}")
    if not runs["nbgrader"]:
        print("nbgrader not installed: skipped (pip install nbgrader to compare)")
    else:
        wall, cpu = med("nbgrader")
        print(f"nbgrader autograde (one process, one kernel per notebook): {wall:6.1f} s total, "
              f"{wall / n:5.2f} s per submission, CPU {cpu / n:.3f} s per submission")
        print(f"  lrcourse with {options.workers} workers is {wall / parallel:.1f}× faster (wall); "
              f"on 1 worker it uses {cpu / max(serial_cpu, 1e-9):.1f}× less CPU per submission")
    print(f"  load average after the runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
