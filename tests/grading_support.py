"""Helpers shared by the tests of the exercises' checks (``tests/test_grading_exNN.py``).

- :func:`accepts` / :func:`rejects`: a right implementation passes the visible and
  the hidden check with the exact pass line; a wrong one is rejected with the
  expected diagnosis (``CheckFailed.mistake``) and a phrase of the message.
- :data:`BROKEN_CODE` and :func:`rejects_broken`: every part diagnoses code that
  raises, is not implemented, returns None or never returns, and says so under its
  own "✘ <name> — not yet: 0/<points> points" line.
- :func:`assert_variants_differ`: every variant mistake of a part differs from the
  reference on some visible case (a variant that never differs can never be named).

A plain module (not a conftest): the test files import what they use by name.  pytest
does not rewrite its asserts, so each one carries the message it should show.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from lrcourse.grading import CheckFailed
from lrcourse.grading.core import NumberOut, Part

__all__ = [
    "accepts",
    "rejects",
    "rejects_broken",
    "fail_line",
    "part_id",
    "points_table",
    "nan_mistake",
    "assert_variants_differ",
    "eig",
    "raises",
    "not_implemented",
    "returns_none",
    "returns_nan",
    "hangs",
    "BROKEN_CODE",
    "BROKEN_TIME_LIMIT",
]

#: Seconds a part may run in the "never returns" tests (instead of the 5 s a learner gets).
BROKEN_TIME_LIMIT = 0.2


def accepts(check, impl, capsys, name, points):
    """``impl`` passes the hidden check silently and the visible one with its pass line."""
    check(impl, hidden=True)
    printed = capsys.readouterr().out
    assert printed == "", printed
    check(impl)
    printed = capsys.readouterr().out
    assert printed == f"✔ {name} — correct: {points}/{points} points\n", printed


def rejects(check, impl, mistake, phrase):
    """``check(impl)`` fails with ``mistake``, and ``phrase`` is in the message (returned)."""
    with pytest.raises(CheckFailed) as info:
        check(impl)
    message = str(info.value)
    assert info.value.mistake == mistake, message
    assert phrase in message, message
    return message


def fail_line(name, points):
    """The first line of every failure message."""
    return f"✘ {name} — not yet: 0/{points:g} points"


def rejects_broken(check, part, impl, mistake, monkeypatch=None):
    """``check(impl)`` fails with ``mistake`` under ``part``'s fail line.

    ``part`` is a :class:`Part` or anything with ``name`` and ``points``; with
    ``monkeypatch``, a Part's time limit is cut to :data:`BROKEN_TIME_LIMIT`.
    """
    if monkeypatch is not None:
        monkeypatch.setattr(part, "time_limit", BROKEN_TIME_LIMIT)
    with pytest.raises(CheckFailed) as info:
        check(impl)
    message = str(info.value)
    assert info.value.mistake == mistake, message
    assert message.startswith(fail_line(part.name, part.points)), message


def part_id(value):
    """pytest id of a ``(check, part)`` parameter: the part's name (checks get none)."""
    return getattr(value, "name", "")


def points_table(parts):
    """``{grade_id: points}`` of ``(check, part)`` pairs, as a module's ``PARTS`` holds it."""
    return {f"check_{part.name}": part.points for _, part in parts}


def nan_mistake(part: Part) -> str:
    """What a bare ``np.nan`` is reported as: a number is not finite, an array has no shape."""
    return "not_finite" if isinstance(part.returns, NumberOut) else "wrong_shape"


def eig(H):
    """The eigenvalues of a symmetric matrix, smallest first."""
    return np.linalg.eigvalsh(H)


# ---------------------------------------------------------------------------
# Broken code, whatever the signature
# ---------------------------------------------------------------------------

def raises(*args):
    return 1 / 0


def not_implemented(*args):
    raise NotImplementedError()


def returns_none(*args):
    return None


def returns_nan(*args):
    return np.nan


def hangs(*args):
    while True:
        pass


#: ``(impl, mistake)`` every part must diagnose (use with :func:`rejects_broken`)
BROKEN_CODE = [
    pytest.param(raises, "raised", id="raises"),
    pytest.param(not_implemented, "not_implemented", id="not_implemented"),
    pytest.param(returns_none, "returned_none", id="returns_none"),
    pytest.param(hangs, "timeout", id="hangs"),
]


# ---------------------------------------------------------------------------
# Cases that can tell each variant mistake from the reference
# ---------------------------------------------------------------------------

def _call(func, case):
    with np.errstate(all="ignore"):
        return func(*copy.deepcopy(list(case.args.values())))


def _differ(wrong, right, atol=1e-8) -> bool:
    """Whether two outputs differ: another number of items, another shape, or values
    outside ``np.allclose``'s default relative tolerance and ``atol`` (NaN differs from
    everything)."""
    wrong, right = (wrong, right) if isinstance(right, tuple) else ((wrong,), (right,))
    if not isinstance(wrong, (tuple, list)) or len(wrong) != len(right):
        return True
    return any(np.shape(w) != np.shape(r) or not np.allclose(w, r, atol=atol)
               for w, r in zip(wrong, right))


def assert_variants_differ(part: Part, *, atol: float = 1e-8):
    """Every ``variant`` mistake of ``part`` differs from the reference on a visible case
    (``atol``: for parts whose values are themselves tiny, e.g. rates near 1e-8)."""
    for mistake in part.mistakes:
        if mistake.variant is not None:
            assert any(_differ(_call(mistake.variant, case), _call(part.reference, case), atol)
                       for case in part.cases), (part.name, mistake.id)
