"""Speed of batch grading: seconds per submission, 1 worker vs all cores (vs nbgrader).

    python benchmarks/bench_grading.py [--submissions 40] [--workers N]

Builds ``--submissions`` submissions of exercise 01 (cycling through well-behaved
cases of the fixture class: correct, partly correct, unsolved, missing and
duplicated cells, edited tests, redefined checks), grades them with
``lrcourse.classroom.batch.grade_class`` on 1 worker and on all cores (or
``--workers``), and prints wall-clock seconds per submission (and the CPU seconds the workers and
kernels used, which a busy machine inflates less).  Where nbgrader is installed it
also times ``nbgrader autograde`` on the same submissions and prints the ratio;
otherwise it says so and skips that part.

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
WELL_BEHAVED = ["alice", "bob", "carol", "erin", "frank", "gina", "hank", "olga"]


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
    """Wall-clock seconds, and CPU seconds of the workers and kernels, for one batch."""
    cpu, start = _children_cpu(), time.perf_counter()
    grade_class(submitted, ROOT / "exercises" / "source", out, limits=Limits(), workers=workers,
                progress=True)
    return time.perf_counter() - start, _children_cpu() - cpu


def time_nbgrader(root: Path, submitted: Path) -> float | None:
    """Wall time of ``nbgrader autograde`` on the same submissions, or None if absent."""
    if shutil.which("nbgrader") is None and importlib.util.find_spec("nbgrader") is None:
        return None
    course = root / "nbgrader_course"
    source = course / "source" / EXERCISE
    source.mkdir(parents=True)
    shutil.copy(ROOT / "exercises" / "source" / EXERCISE / f"{EXERCISE}.ipynb", source)
    for learner in sorted(p.name for p in submitted.iterdir()):
        target = course / "submitted" / learner / EXERCISE
        target.mkdir(parents=True)
        shutil.copy(submitted / learner / f"{EXERCISE}.ipynb", target)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = r'%s'\n" % course)
    command = [sys.executable, "-m", "nbgrader"]
    subprocess.run(command + ["generate_assignment", EXERCISE, "--force"], cwd=course, check=True,
                   capture_output=True)
    start = time.perf_counter()
    subprocess.run(command + ["autograde", EXERCISE, "--create", "--force"], cwd=course, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="workers for the parallel run (default: all cores)")
    options = parser.parse_args(argv)
    n = options.submissions
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as scratch:
        root = Path(scratch)
        submitted = build_submissions(root, n)
        serial, serial_cpu = time_lrcourse(submitted, 1, root / "out1")
        parallel, parallel_cpu = time_lrcourse(submitted, options.workers, root / "outN")
        same = (root / "out1" / "grades.csv").read_bytes() == (root / "outN" / "grades.csv").read_bytes()
        nbgrader = time_nbgrader(root, submitted)

    print()
    print(f"lrcourse grade, {n} submissions of {EXERCISE} ({os.cpu_count()} CPU cores):")
    print(f"  1 worker:   {serial:6.1f} s total, {serial / n:5.2f} s per submission")
    print(f"  {options.workers} workers: {parallel:6.1f} s total, {parallel / n:5.2f} s per submission "
          f"(speed-up {serial / parallel:.2f}×)")
    print(f"  CPU time of workers and kernels: {serial_cpu / n:.2f} s per submission (1 worker), "
          f"{parallel_cpu / n:.2f} s ({options.workers} workers)")
    print(f"  load average after the runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"  the two runs wrote identical CSVs: {same}")
    if nbgrader is None:
        print("nbgrader not installed: skipped")
    else:
        print(f"nbgrader autograde: {nbgrader:6.1f} s total, {nbgrader / n:5.2f} s per submission; "
              f"lrcourse ({options.workers} workers) is {nbgrader / parallel:.2f}× its speed, "
              f"(1 worker) {nbgrader / serial:.2f}×")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
