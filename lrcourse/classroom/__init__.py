"""Grade a class's exercise notebooks: restore, run under limits, score, report.

The instructor's side of the course, used by the ``lrcourse grade`` command:

- :mod:`~lrcourse.classroom.submissions` — find exercises and submissions, lay out
  a flat folder of collected files;
- :mod:`~lrcourse.classroom.restore` — rebuild the notebook to run from the source
  exercise and the learner's answer cells;
- :mod:`~lrcourse.classroom.integrity` — the guard run before each test, and the
  static scan for answers that patch modules;
- :mod:`~lrcourse.classroom.execute` — run cells in a fresh kernel under time,
  memory and output limits (:mod:`~lrcourse.classroom.kernel_launcher` applies them);
- :mod:`~lrcourse.classroom.score` — one status, reason and score per part;
- :mod:`~lrcourse.classroom.report` — the class CSV and the learners' feedback;
- :mod:`~lrcourse.classroom.worker` — grade one submission in its own process;
- :mod:`~lrcourse.classroom.batch` — the whole class in parallel, with a progress bar.

Submodules are not imported here, so ``import lrcourse.classroom`` stays cheap.
"""

__all__ = ["submissions", "restore", "integrity", "execute", "kernel_launcher", "limits",
           "score", "report", "worker", "batch"]
