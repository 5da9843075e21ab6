"""Multiple-choice parts: the part's record, repeated letters, and feedback that gives
nothing away by elimination (docs/exercises-design.md, "Multiple-choice parts").

:func:`core.check_choice` reads the answer; this module adds what the exercises share:

- :class:`ChoicePart`: a multiple-choice part's name, points and time limit, and its
  ``check`` (what each exercise's ``check_<part>`` calls);
- :func:`check_choice_once`: ``check_choice`` that refuses a letter named twice;
- :func:`choice_feedback`: a misconception named only when the answer is exactly what it
  predicts, else one neutral message (exercises 01–03);
- :func:`choice_problem`: one message for every wrong answer, the misconception kept in
  the mistake id for instructors (exercises 04–05).
"""

from __future__ import annotations

import dataclasses

from lrcourse.grading.core import (
    TIME_LIMIT, Diagnosis, PartPoints, call_learner, check_cases, check_choice, choice_letters, describe,
)

__all__ = ["ChoicePart", "check_choice_once", "choice_feedback", "choice_problem", "repeated_letters"]


@dataclasses.dataclass
class ChoicePart(PartPoints):
    """Name, points and time limit of a multiple-choice part (what the tests' tables read).

    ``once``: an answer naming a letter twice is refused (:func:`check_choice_once`, exercises
    01–03 and 06); exercises 04 and 05 read it as the letters it names (``"AAC"`` as ``"AC"``).
    """

    time_limit: float = TIME_LIMIT
    once: bool = True

    def check(self, func, *, options: str, example: str, grade, hidden: bool) -> None:
        """Check the learner's ``func() -> str of letters`` with this part's name, points and
        time limit (:func:`check_choice_once`, or :func:`core.check_choice` when not ``once``);
        ``grade(chosen letters)`` returns the Diagnosis of a wrong answer or None."""
        (check_choice_once if self.once else check_choice)(
            self.name, self.points, func, options=options, example=example, grade=grade, hidden=hidden,
            time_limit=self.time_limit)


def repeated_letters(value) -> list:
    """The option letters a multiple-choice answer names more than once (case ignored)."""
    items = ([c for c in value if c not in " ,"] if isinstance(value, str)
             else list(value) if isinstance(value, (list, tuple)) else [])
    seen, repeated = set(), []
    for item in items:
        key = item.strip().upper() if isinstance(item, str) else item
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated


def check_choice_once(name: str, points: float, func, *, options: str, example: str,
                      grade, hidden: bool, time_limit: float = 5.0) -> None:
    """:func:`core.check_choice`, and an answer naming a letter twice is refused.

    ``"ACEE"`` says E twice: a statement is either chosen or not, so the repeat is refused
    with a message instead of being read as ``"ACE"``.
    """
    def one(_case) -> None:
        value = call_learner(func, [], name=name, time_limit=time_limit)
        letters = choice_letters(value, options, example=example)
        repeated = repeated_letters(value)
        if repeated:
            raise Diagnosis(
                "repeated_letter",
                f"It returned {describe(value)}, which names {', '.join(map(str, repeated))} more "
                "than once. Each statement is either true or not: name each letter at most once.",
                f"Return each letter you choose once, as one string such as {example}.",
                show_returned=False,
            )
        problem = grade(letters)
        if problem is not None:
            raise problem
    check_cases(name, points, [0], one, tried=lambda _case: f"{name}()", hidden=hidden)


def choice_feedback(chosen: frozenset, true: frozenset, models, sections: str,
                    predict=None) -> Diagnosis | None:
    """A multiple-choice answer's Diagnosis that never points at a letter or counts them.

    ``models``: ``(model, mistake id, diagnosis, hint)`` for each misconception whose
    model predicts a definite answer, the letters ``predict(model)`` (``model`` itself
    when ``predict`` is None); its diagnosis is given only when ``chosen`` is exactly that
    prediction (and not empty: an empty answer believes nothing in particular).  Any
    other wrong answer gets one neutral message that sends the learner back to every
    section the statements rest on (``sections``), not only to the one that is wrong.
    """
    if chosen == true:
        return None
    for model, mistake, diagnosis, hint in models:
        if not chosen:
            break
        predicted = model if predict is None else predict(model)
        if chosen == predicted and predicted != true:
            return Diagnosis(mistake, diagnosis, hint, show_returned=False)
    return Diagnosis(
        "wrong_choice",
        "Your letters are not exactly the true statements yet. Decide each statement on its "
        "own, from the lesson and your functions, then check it against the run.",
        f"Re-read {sections}, and re-check every statement, including the ones you are sure of.",
        show_returned=False,
    )


def choice_problem(chosen: frozenset, true: frozenset, groups) -> Diagnosis | None:
    """A multiple-choice answer's Diagnosis that gives nothing away by elimination (issue 9).

    ``groups``: a sequence of ``(letters, mistake id, what to re-check, where in the
    lesson)``.  The Diagnosis's id names the misconception — the first group that holds a
    wrong letter (left out or chosen) — for the tests and the teacher's records; the
    message the learner reads is the same for every wrong answer: no count of the letters
    left out or added and no group (either would let a few tries locate the answer), the
    steps of the argument to re-check for *all* the statements, and the sections to re-read.
    """
    missing, extra = true - chosen, chosen - true
    if not missing and not extra:
        return None
    involved = [g for g in groups if (missing | extra) & frozenset(g[0])]
    diagnosis = ("Your letters are not exactly the true statements. The check does not say "
                 "which or how many are off (that would let you find the answer by "
                 "elimination): go through every statement again and re-check "
                 + "; and ".join(g[2] for g in groups) + ".")
    hint = "Re-read " + "; and ".join(g[3] for g in groups) + "."
    return Diagnosis(involved[0][1], diagnosis, hint, show_returned=False)
