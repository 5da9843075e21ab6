"""The import statements of a source exercise's own cells.

The grader imports the check modules they name in its own (trusted) process before
any learner code runs, and pre-imports the other modules in the learner's runner
(outside the cells' time limits).  There is no longer a static scan for tampering:
the checks run outside the learner's process (:mod:`lrcourse.classroom.session`),
so patching modules, builtins or IPython in an answer cell cannot change a verdict.
"""

from __future__ import annotations

import ast
from typing import Iterable

__all__ = ["protected_imports"]


def _python_only(code: str) -> str:
    """``code`` with IPython's magics and shell lines (``%…``, ``!…``) made ``pass``.

    A cell magic (``%%time`` on the first line) is dropped and the rest read as
    Python, so ``%%time`` cannot hide a patch from the scan.
    """
    lines = code.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass"
        kept.append(line)
    return "\n".join(kept)


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(_python_only(code))
    except (SyntaxError, ValueError):
        return None


def protected_imports(sources: Iterable[str]) -> list[str]:
    """The top-level import statements of ``sources`` (the source's own cells), in order.

    ``from __future__`` imports and cells that do not parse are skipped; duplicates
    are kept once.
    """
    statements: list[str] = []
    for code in sources:
        tree = _parse(code)
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module == "__future__" or node.level):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                statement = ast.unparse(node)
                if statement not in statements:
                    statements.append(statement)
    return statements
