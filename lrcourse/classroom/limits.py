"""The resource limits a graded notebook runs under.

One frozen value object, passed from the command line to every grading worker and
from there to the learner's runner process.  Sizes are in bytes, times in seconds.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from lrcourse import _validation as check

__all__ = ["Limits", "SANDBOX_MODES", "limits_or_default", "parse_size", "format_size"]

#: Where learner code runs: in bubblewrap when it can start (``auto``), only there
#: (``require``), or never (``off``).
SANDBOX_MODES = check.OneOf("auto", "require", "off")

_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "kib": 2**10, "m": 2**20, "mb": 2**20,
          "mib": 2**20, "g": 2**30, "gb": 2**30, "gib": 2**30}


@dataclass(frozen=True)
class Limits:
    """What one submission may use while it is graded.

    Parameters
    ----------
    cell_timeout : float
        Seconds one code cell may run before it is interrupted.
    notebook_timeout : float
        Seconds all the cells of one notebook may run together (the runner's start-up not
        included).  When it runs out, the running cell is stopped and the cells after
        it are not run.
    memory_bytes : int
        Address-space limit of the runner process (``RLIMIT_AS``): an allocation past
        it raises ``MemoryError`` in the learner's code.
    max_output_bytes : int
        Output one cell may send back (text, images, errors).  Past it the cell is
        interrupted and the rest of its output dropped, so a flood cannot exhaust the
        grader's memory.
    max_file_bytes : int
        Largest file the runner may write (``RLIMIT_FSIZE``); a longer write fails
        with ``OSError``.
    startup_timeout : float
        Seconds the runner may take to start (including pre-importing the modules the
        exercise imports).
    interrupt_grace : float
        Kept for the limits files of earlier versions: a runner past a limit is now
        ended at once (and the next cells run in a fresh one); it only widens the
        grading process's wall-clock limit per submission.
    """

    cell_timeout: float = 60.0
    notebook_timeout: float = 600.0
    memory_bytes: int = 2 * 2**30
    max_output_bytes: int = 2**20
    max_file_bytes: int = 64 * 2**20
    startup_timeout: float = 60.0
    interrupt_grace: float = 5.0

    def __post_init__(self):
        check.positive("cell_timeout", self.cell_timeout)
        check.positive("interrupt_grace", self.interrupt_grace)
        check.positive("notebook_timeout", self.notebook_timeout)
        check.positive("startup_timeout", self.startup_timeout)
        for name in ("memory_bytes", "max_output_bytes", "max_file_bytes"):
            check.positive_int(name, getattr(self, name))
        if self.memory_bytes < 256 * 2**20:
            check.fail("memory_bytes", "at least 256 MiB", format_size(self.memory_bytes),
                       "a Python kernel with NumPy needs about 400 MiB of address space")

    def as_dict(self) -> dict:
        """Plain dict (JSON-ready) for handing the limits to a worker process."""
        return asdict(self)


def limits_or_default(name: str, value) -> Limits:
    """``value`` if it is a :class:`Limits`, the default limits if it is None, else TypeError."""
    if value is None:
        return Limits()
    if not isinstance(value, Limits):
        check.fail(name, "None or a lrcourse.classroom.limits.Limits", value, error=TypeError)
    return value


def parse_size(text: str) -> int:
    """Parse a size such as ``"1GiB"``, ``"512M"``, ``"1048576"`` into bytes.

    Units are binary (k = 1024); a bare number is bytes.
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        check.fail("size", "a number with an optional unit (B, KiB, MiB, GiB)", text,
                   "for example 1GiB or 512MiB")
    return int(float(match.group(1)) * _UNITS[unit])


def format_size(size: int) -> str:
    """Render a byte count with a binary unit (``1 GiB``, ``512 MiB``, ``800 B``)."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor:
            value = size / factor
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"
