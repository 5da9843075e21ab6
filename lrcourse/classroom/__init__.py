"""Grade a class's exercise notebooks: restore, run under limits, score, report.

The instructor's side of the course, used by the ``lrcourse grade`` command:

- :mod:`~lrcourse.classroom.submissions` — find exercises and submissions, lay out
  a flat folder of collected files;
- :mod:`~lrcourse.classroom.restore` — rebuild the notebook to run from the source
  exercise and the learner's answer cells;
- :mod:`~lrcourse.classroom.integrity` — the imports of a source's own cells;
- :mod:`~lrcourse.classroom.session` — run a submission: its cells in a sandboxed
  runner (:mod:`~lrcourse.classroom.runner`, started by
  :mod:`~lrcourse.classroom.sandbox`), its tests here, in the grader, calling the
  learner's functions through the data-only :mod:`~lrcourse.classroom.channel`;
- :mod:`~lrcourse.classroom.execute` — the outcome of a cell (the status vocabulary);
- :mod:`~lrcourse.classroom.score` — one status, reason and score per part;
- :mod:`~lrcourse.classroom.report` — the class CSV and the learners' feedback;
- :mod:`~lrcourse.classroom.worker` — grade one submission in its own process;
- :mod:`~lrcourse.classroom.batch` — the whole class in parallel, with a progress bar
  (and single notebooks, for a learner's ``lrcourse progress``).

Submodules are not imported here, so ``import lrcourse.classroom`` stays cheap.
"""

__all__ = ["submissions", "restore", "integrity", "session", "runner", "sandbox", "channel",
           "execute", "limits", "score", "report", "worker", "batch"]
