"""The ``lrcourse`` command: release exercises, grade a class, show progress.

Installed with the package (``pip install -e .`` or ``python3 course.py …``)::

    lrcourse release --to handout/                 # learners' notebooks to hand out
    lrcourse collect downloads/ --to submissions/  # flat folder -> one folder per learner
    lrcourse grade submissions/ --out grades/      # grade everyone, in parallel
    lrcourse progress                              # a learner's own progress (grade's checks)

``lrcourse <command> --help`` explains each command.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from lrcourse import _validation as check

__all__ = ["main", "build_parser"]

_GRADE_EXAMPLES = """\
layout of SUBMISSIONS (nbgrader's: one folder per learner, notebooks named as the exercise):
  submissions/alice/01_gradient_descent.ipynb
  submissions/bob/01_gradient_descent.ipynb
  (a flat folder such as alice_01_gradient_descent.ipynb, ... is converted by `lrcourse collect`)

writes into OUT:
  grades.csv     learner, exercise, part, points, max_points, status, reason (one row per part)
  totals.csv     learner, exercise, points, max_points
  feedback/<learner>/<exercise>.md   each part's check messages, for the learner

examples:
  lrcourse grade submissions/ --out grades/
  lrcourse grade submissions/ --out grades/ --exercise 01_gradient_descent --workers 4
  lrcourse grade submissions/ --out grades/ --cell-timeout 30 --memory 1GiB
  lrcourse grade submissions/ --out grades/ --learner alice --learner bob
  lrcourse grade submissions/ --out grades/ --require-sandbox
  lrcourse grade submissions/ --out grades/ --scheduler tcp://scheduler-host:8786

Only the learner's answer cells are taken from the submission (tests, hidden tests
and set-up come from the source). Learner code runs in a bubblewrap sandbox (no
network, no view of the submissions, the output or the checks) when one starts;
the tests run in the grader and call the learner's functions through a data-only
channel, so learner code cannot change a verdict. Without bubblewrap, grade says so
and runs learner code under resource limits only: then grade an untrusted class
inside a container or VM (see docs/instructor.md).
"""

_RELEASE_EXAMPLES = """\
examples:
  lrcourse release --to handout/                        # every exercise
  lrcourse release 01_gradient_descent --to handout/    # one exercise
  lrcourse release --source my_course/source --to handout/

The learners' notebooks are generated from the sources exactly as the repository's
exercises/*.ipynb are: solutions replaced by a stub that raises NotImplementedError,
hidden tests removed, outputs cleared, test cells locked.
"""

_COLLECT_EXAMPLES = """\
naming rule for the files in FLAT_DIR:
  <learner>_<exercise>.ipynb  or  <learner>-<exercise>.ipynb
  where <exercise> is a full exercise name (01_gradient_descent) and <learner> is
  everything before it, e.g. alice_01_gradient_descent.ipynb, bob.smith-01_gradient_descent.ipynb

examples:
  lrcourse collect downloads/ --to submissions/
  lrcourse grade submissions/ --out grades/

Files are copied (never moved); names that fit no exercise are listed, not guessed.
"""


def _source_dir() -> Path:
    """The ``--source`` default: ``exercises/source`` of the current folder if there is
    one (an instructor's own course, as the help says), else of the course lrcourse came
    with.  (:func:`lrcourse.progress.default_source_dir`, for a learner, looks in the
    course only.)"""
    local = Path("exercises") / "source"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parent.parent / "exercises" / "source"


def _argument(constraint: check.Interval, parse: type, unit: str = ""):
    """An argparse ``type``: parse the text and check it against ``constraint``, whose
    words make the message (argparse prefixes the option: "argument --workers: must be
    a positive integer; got '0'")."""
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or value not in constraint:
            raise argparse.ArgumentTypeError(f"must be {constraint}{unit}; got {text!r}")
        return value

    convert.__name__ = parse.__name__  # argparse names the type in some messages
    return convert


_positive_float = _argument(check.positive, float, " of seconds")
_positive_int = _argument(check.positive_int, int)


def _size(text: str) -> int:
    from lrcourse.classroom.limits import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lrcourse`` command (all sub-commands)."""
    from lrcourse.classroom.limits import Limits, format_size

    defaults = Limits()
    parser = argparse.ArgumentParser(
        prog="lrcourse",
        description="The learning-rate course's command line: release exercises, "
                    "grade a class's submissions, show a learner's progress.",
        epilog="Run `lrcourse <command> --help` for each command's options and examples.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>")
    commands.required = True

    release = commands.add_parser(
        "release", help="write the learners' exercise notebooks to a folder to hand out",
        description="Write the learners' notebooks for the chosen exercises (default: all) "
                    "into a folder you can hand out or upload to a learning platform.",
        epilog=_RELEASE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    release.add_argument("names", nargs="*", metavar="EXERCISE",
                         help="exercise names, e.g. 01_gradient_descent (default: all)")
    release.add_argument("--to", required=True, type=Path, metavar="DEST",
                         help="folder to write the notebooks into (created if needed)")
    release.add_argument("--source", type=Path, default=None, metavar="DIR",
                         help="source exercises, <DIR>/<name>/<name>.ipynb "
                              "(default: exercises/source)")

    collect = commands.add_parser(
        "collect", help="turn a flat folder of collected notebooks into one folder per learner",
        description="Copy <learner>_<exercise>.ipynb files from a flat folder into the layout "
                    "`lrcourse grade` reads: <DEST>/<learner>/<exercise>.ipynb.",
        epilog=_COLLECT_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    collect.add_argument("flat_dir", type=Path, metavar="FLAT_DIR", help="folder of collected files")
    collect.add_argument("--to", required=True, type=Path, metavar="DEST",
                         help="submissions folder to create or add to")
    collect.add_argument("--source", type=Path, default=None, metavar="DIR",
                         help="source exercises, to know the exercise names (default: exercises/source)")

    grade = commands.add_parser(
        "grade", help="grade every submission in a folder; write a CSV and feedback files",
        description="Grade a class's submissions in batch: restore the tests from the source, "
                    "run the learner's cells in a fresh sandboxed process under time, memory and "
                    "output limits and the tests in the grader, "
                    "and write one CSV for the class and a feedback file per learner and exercise.",
        epilog=_GRADE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                       help="folder with one sub-folder per learner (only read, never written)")
    grade.add_argument("--out", required=True, type=Path, metavar="OUT",
                       help="folder for grades.csv, totals.csv and feedback/ (outside SUBMISSIONS)")
    grade.add_argument("--source", type=Path, default=None, metavar="DIR",
                       help="source exercises, <DIR>/<name>/<name>.ipynb (default: exercises/source)")
    grade.add_argument("--exercise", action="append", metavar="NAME",
                       help="grade only this exercise (repeatable); every learner is expected "
                            "to have submitted it")
    grade.add_argument("--learner", action="append", metavar="NAME",
                       help="grade only this learner (repeatable)")
    grade.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="submissions graded at once (default: all CPU cores)")
    grade.add_argument("--cell-timeout", type=_positive_float, default=defaults.cell_timeout,
                       metavar="S", help=f"seconds per cell (default {defaults.cell_timeout:g})")
    grade.add_argument("--notebook-timeout", type=_positive_float,
                       default=defaults.notebook_timeout, metavar="S",
                       help=f"seconds per notebook, all cells (default {defaults.notebook_timeout:g})")
    grade.add_argument("--memory", type=_size, default=defaults.memory_bytes, metavar="SIZE",
                       help=f"memory (address space) per learner process (default {format_size(defaults.memory_bytes)})")
    grade.add_argument("--max-output", type=_size, default=defaults.max_output_bytes, metavar="SIZE",
                       help=f"output per cell (default {format_size(defaults.max_output_bytes)})")
    grade.add_argument("--max-file", type=_size, default=defaults.max_file_bytes, metavar="SIZE",
                       help=f"largest file a notebook may write (default {format_size(defaults.max_file_bytes)})")
    sandboxing = grade.add_mutually_exclusive_group()
    sandboxing.add_argument("--require-sandbox", action="store_true",
                            help="refuse to grade unless learner code can run in a bubblewrap "
                                 "sandbox (default: use one if it starts, else say so and "
                                 "grade with the resource limits only)")
    sandboxing.add_argument("--no-sandbox", action="store_true",
                            help="run learner code without bubblewrap (resource limits only)")
    grade.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="grade on a dask.distributed cluster, e.g. tcp://host:8786 (each dask "
                            "worker grades in the same sandbox; see docs/instructor.md)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")

    progress = commands.add_parser(
        "progress", help="show a learner's progress through the exercises",
        description="Show a learner's progress (passed parts per exercise), checked by "
                    "grade's own engine; arguments are passed to lrcourse.progress.", add_help=False)
    progress.add_argument("args", nargs=argparse.REMAINDER, help="arguments for lrcourse.progress")
    return parser


def _release(options) -> int:
    from lrcourse.notebook_format import FormatError, release

    source = options.source or _source_dir()
    options.to.mkdir(parents=True, exist_ok=True)
    try:
        written = release(source, options.to, options.names or None)
    except (FileNotFoundError, FormatError) as error:
        print(f"lrcourse release: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} notebook(s) ready to hand out in {options.to}")
    return 0


def _collect(options) -> int:
    from lrcourse.classroom.submissions import find_exercises, layout_flat_folder

    exercises = find_exercises(options.source or _source_dir())
    report = layout_flat_folder(options.flat_dir, options.to, exercises)
    for submission in report.copied:
        print(f"copied {submission.learner}/{submission.exercise}.ipynb")
    for path in report.unmatched:
        print(f"skipped {path.name}: not <learner>_<exercise>.ipynb for a known exercise "
              f"({', '.join(exercises)})", file=sys.stderr)
    for path in report.conflicts:
        print(f"skipped {path.name}: a different file is already in {options.to}", file=sys.stderr)
    for path in report.links:
        print(f"skipped {path.name}: a symbolic link (links are never followed)", file=sys.stderr)
    print(f"{len(report.copied)} copied, {len(report.unmatched)} not matched, "
          f"{len(report.conflicts)} conflicting")
    return 0 if not report.conflicts else 1


def _grade(options) -> int:
    from lrcourse.classroom.batch import grade_class
    from lrcourse.classroom.limits import Limits
    from lrcourse.grading.core import format_points

    limits = Limits(cell_timeout=options.cell_timeout, notebook_timeout=options.notebook_timeout,
                    memory_bytes=options.memory, max_output_bytes=options.max_output,
                    max_file_bytes=options.max_file)
    mode = "require" if options.require_sandbox else "off" if options.no_sandbox else "auto"
    try:
        result = grade_class(options.submissions, options.source or _source_dir(), options.out,
                             exercises=options.exercise, learners=options.learner, limits=limits,
                             workers=options.workers, progress=not options.quiet, sandbox=mode,
                             scheduler=options.scheduler)
    except RuntimeError as error:
        print(f"lrcourse grade: {error}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    learners = {grade.learner for grade in result.grades}
    statuses = Counter(part.status for grade in result.grades for part in grade.parts)
    print(f"graded {len(result.grades)} notebook(s) of {len(learners)} learner(s) in "
          f"{result.seconds:.1f} s on {result.workers} worker(s); sandbox: {result.sandbox}")
    print("parts by status: " + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items())))
    if result.grades:
        mean = sum(g.points for g in result.grades) / len(result.grades)
        print(f"mean score per notebook: {format_points(round(mean, 2))}")
    print(f"wrote {result.paths['grades']}, {result.paths['totals']} and {result.paths['feedback']}/")
    return 0


def _progress(options) -> int:
    try:
        from lrcourse.progress import main as progress_main
    except ImportError as error:
        print(f"lrcourse progress is not available: {error}", file=sys.stderr)
        return 1
    code = progress_main(options.args)
    return int(code or 0)


_COMMANDS = {"release": _release, "collect": _collect, "grade": _grade, "progress": _progress}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lrcourse`` console script; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["progress"]:  # everything after `progress` belongs to lrcourse.progress
        options = argparse.Namespace(command="progress", args=argv[1:])
    else:
        options = parser.parse_args(argv)
    try:
        return _COMMANDS[options.command](options)
    except (ValueError, OSError) as error:
        print(f"lrcourse {options.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nlrcourse {options.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
