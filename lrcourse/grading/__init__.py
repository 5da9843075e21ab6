"""Checks with diagnostic feedback for the exercise notebooks.

Each exercise has a module (``ex01``, ``ex02``, …) with one ``check_<name>``
function per graded part; a grade cell calls exactly one of them::

    from lrcourse.grading.ex01 import check_gd_step
    check_gd_step(gd_step)

A passing check prints one line (``✔ gd_step — correct: 1/1 points``); a failing
one raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader scores the cell
0) whose message names the mistake in the lesson's terms and gives a hint.

The machinery is in :mod:`lrcourse.grading.core` (safe calls with a time limit,
output checks, :class:`~lrcourse.grading.core.Part`) and the shared mistake
detectors in :mod:`lrcourse.grading.diagnose`.  How to write a new part is in
``docs/exercises-design.md``.
"""

from lrcourse.grading.core import CheckFailed

__all__ = ["CheckFailed"]
