"""Keep a learner's answer cells from changing what the tests run.

Two measures, both cheap and both documented as *not* a sandbox:

1. :func:`guard_code` — a cell the grader runs before every test cell.  It drops
   ``lrcourse.grading`` and its submodules from ``sys.modules`` and runs again the
   import statements of the source's own (non-answer) cells, so a check function
   redefined or replaced in an answer cell (``def check_step(f): print("✔")``, or
   ``lrcourse.grading.x.check_step = ...``) is rebound to the real one, freshly
   imported from disk, before the test calls it.
2. :func:`find_tampering` — a static scan of the answer cells for the plain ways of
   patching code the tests rely on: assigning to or deleting an attribute of an
   imported module or of an imported name (``np.allclose = ...``,
   ``check.__code__ = ...``) or an entry of an object's ``__dict__``,
   ``setattr``/``delattr`` on an imported name, and touching
   ``builtins``, ``__builtins__``, ``sys.modules``, ``get_ipython``, function
   internals (``__code__``, ``__globals__``, ``__closure__``) or
   ``sys.settrace``/``sys.setprofile``.  A submission with any of these is not run.

Deliberately obfuscated code (``exec`` of a built string, reaching modules through
objects) can still get past the scan: a class that may cheat on purpose is graded in
a container or VM, with the submissions compared by hand where it matters.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["Finding", "protected_imports", "guard_code", "find_tampering"]

#: Prefix of the modules the guard cell drops from ``sys.modules`` before a test.
GRADING_PACKAGE = "lrcourse.grading"

_FORBIDDEN_NAMES = {"builtins", "__builtins__", "get_ipython", "__import__"}
_FORBIDDEN_ATTRIBUTES = {"__code__", "__globals__", "__closure__", "__builtins__",
                         "settrace", "setprofile", "modules"}


@dataclass(frozen=True)
class Finding:
    """One suspicious construct in an answer cell (``line`` counts from 1)."""

    grade_id: str
    line: int
    what: str

    def describe(self) -> str:
        return f"answer cell '{self.grade_id}' line {self.line}: {self.what}"


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


def guard_code(imports: Sequence[str]) -> str:
    """The cell run before each test: fresh grading modules, the source's imports again."""
    lines = [
        "# lrcourse grader: restore the check functions before this test",
        "(lambda modules: [modules.pop(name) for name in list(modules)",
        f"                  if name == {GRADING_PACKAGE!r} or name.startswith({GRADING_PACKAGE + '.'!r})])"
        "(__import__('sys').modules)",
    ]
    return "\n".join(lines + list(imports)) + "\n"


def _imported_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                names.add(alias.asname or alias.name)
    return names


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _flatten(targets) -> list[ast.AST]:
    """Assignment targets with tuple/list/starred unpacking opened up."""
    flat, stack = [], list(targets)
    while stack:
        target = stack.pop(0)
        if isinstance(target, (ast.Tuple, ast.List)):
            stack[:0] = target.elts
        elif isinstance(target, ast.Starred):
            stack.insert(0, target.value)
        else:
            flat.append(target)
    return flat


def _through_dict(node: ast.AST) -> bool:
    """``x.__dict__`` or ``vars(x)`` anywhere in the subscripted expression."""
    for item in ast.walk(node):
        if isinstance(item, ast.Attribute) and item.attr == "__dict__":
            return True
        if isinstance(item, ast.Call) and isinstance(item.func, ast.Name) and item.func.id == "vars":
            return True
    return False


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 — only for messages
        return "an attribute"


def find_tampering(answers: Sequence[tuple[str, str]], setup_sources: Iterable[str] = ()) -> list[Finding]:
    """Scan answer cells for code that patches modules, builtins or the kernel.

    Parameters
    ----------
    answers : sequence of (grade_id, code)
        The learner's answer cells.
    setup_sources : iterable of str
        The source's own code cells (their imports count as imported names too).

    Returns
    -------
    list of Finding
        Empty for an ordinary answer.  Answers that do not parse are skipped (their
        ``SyntaxError`` is reported when they run).
    """
    imported: set[str] = set()
    for code in setup_sources:
        tree = _parse(code)
        if tree is not None:
            imported |= _imported_names(tree)
    trees = []
    for grade_id, code in answers:
        tree = _parse(code)
        if tree is not None:
            trees.append((grade_id, tree))
            imported |= _imported_names(tree)
    findings: list[Finding] = []
    for grade_id, tree in trees:
        for node in ast.walk(tree):
            what = _judge(node, imported)
            if what:
                findings.append(Finding(grade_id, getattr(node, "lineno", 0), what))
    unique = {(f.grade_id, f.line, f.what): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.grade_id, f.line, f.what))


def _judge(node: ast.AST, imported: set[str]) -> str:
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        verb = "deletes" if isinstance(node, ast.Delete) else "assigns to"
        for target in _flatten(targets):
            if isinstance(target, ast.Attribute) and _root_name(target) in imported:
                return f"{verb} {_dotted(target)} (patching an imported module or function)"
            if isinstance(target, ast.Subscript) and _through_dict(target.value):
                return f"{verb} {_dotted(target)} (patching through __dict__)"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("setattr", "delattr") and node.args:
        if _root_name(node.args[0]) in imported:
            return f"calls {node.func.id} on {_dotted(node.args[0])} (patching an imported module or function)"
    if isinstance(node, ast.Name) and node.id in _FORBIDDEN_NAMES:
        return f"uses {node.id}"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if "builtins" in modules:
            return "imports builtins"
    if isinstance(node, ast.Attribute) and node.attr in _FORBIDDEN_ATTRIBUTES:
        if node.attr in ("modules", "settrace", "setprofile") and _root_name(node) != "sys":
            return ""
        return f"uses {_dotted(node)}"
    return ""
