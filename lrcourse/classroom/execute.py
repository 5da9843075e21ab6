"""The outcome of running one cell, and of running a whole notebook.

The vocabulary the grading engine (:mod:`lrcourse.classroom.session`) reports in and
the scorer (:mod:`lrcourse.classroom.score`) reads:

======================  ==========================================================
outcome ``status``      meaning
======================  ==========================================================
``ok``                  the cell ran to the end
``error``               the cell raised (``ename``, ``evalue``)
``timeout``             the cell ran past the per-cell limit while computing
``not responding``      the cell ran past the per-cell limit while its process was
                        not computing (stopped, sleeping, waiting)
``notebook timeout``    the notebook ran past its total limit during this cell
``output limit``        the cell sent more output than allowed
``kernel died``         the learner's process exited during this cell (``detail``)
``not run``             an earlier fault ended the run (``detail`` says which)
======================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CellOutcome",
    "ExecutionResult",
    "OK",
    "ERROR",
    "TIMEOUT",
    "NOTEBOOK_TIMEOUT",
    "OUTPUT_LIMIT",
    "KERNEL_DIED",
    "NOT_RUN",
    "NOT_RESPONDING",
    "KEPT_TEXT",
]

OK = "ok"
ERROR = "error"
TIMEOUT = "timeout"
NOTEBOOK_TIMEOUT = "notebook timeout"
OUTPUT_LIMIT = "output limit"
KERNEL_DIED = "kernel died"
NOT_RUN = "not run"
NOT_RESPONDING = "not responding"

#: Characters of output kept per cell (for feedback; the rest is counted only).
KEPT_TEXT = 20_000


@dataclass
class CellOutcome:
    """What happened when one cell ran."""

    status: str = NOT_RUN
    ename: str = ""
    evalue: str = ""
    stdout: str = ""
    stderr: str = ""
    detail: str = ""
    output_bytes: int = 0
    seconds: float = 0.0


@dataclass
class ExecutionResult:
    """Outcomes of all cells (same order as the input), and how the run ended."""

    outcomes: list[CellOutcome]
    fatal: str = ""
    kernel_started: bool = True
    workdir: Path | None = None
