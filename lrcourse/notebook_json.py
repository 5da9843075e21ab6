"""Notebook files written exactly as JupyterLab would save them back.

Opening a notebook in JupyterLab must not change it: an untouched lesson that opens
marked "unsaved", or that changes when saved, asks the learner a question for
nothing.  Two things make JupyterLab rewrite a notebook on open and save:

- **metadata that differs from the running kernel's**: JupyterLab writes the
  kernel's ``kernelspec`` (ipykernel's display name is "Python 3 (ipykernel)") and
  ``language_info`` (with the Python version) into the notebook when the kernel
  starts;
- **whole-number floats**: JupyterLab holds the notebook as JavaScript values, which
  have no separate integer type, so ``10.0`` (as ipywidgets' saved state holds
  ``"base": 10.0``) comes back as ``10``.

:func:`write` stores ipykernel's own metadata and every whole-number float below
10²¹ (where JavaScript prints numbers without an exponent) as an integer, so the
file is a fixed point of that round trip.  ``language_info`` names the Python
version that wrote it: on another version JupyterLab updates that one field.

The constraints :data:`NOTEBOOK`, :data:`CELL` and :data:`PATH` (in the shape of
:mod:`lrcourse._validation`) say what a notebook argument is for every module that
handles notebook files (:mod:`lrcourse.notebook_format`, :mod:`lrcourse.workspace`,
:mod:`lrcourse.progress`); nbformat, slow to import, is imported only when needed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lrcourse import _validation as check

__all__ = ["NOTEBOOK", "CELL", "PATH", "OPTIONAL_PATH", "kernel_metadata", "browser_stable",
           "normalize", "write"]

_JS_PLAIN_LIMIT = 1e21
_JSON_LEAVES = (str, int, float, bool, type(None))


class _Cell(check.Constraint):
    """A notebook cell as nbformat makes one (a plain dict of that shape is converted)."""

    text = "a notebook cell (a dict with a 'cell_type' string and a 'metadata' dict, as nbformat makes)"

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, dict) and isinstance(value.get("cell_type"), str)
                and isinstance(value.get("metadata"), dict))

    def error(self, value: Any) -> type:
        return ValueError if isinstance(value, dict) else TypeError

    def convert(self, value: Any):
        import nbformat

        return value if isinstance(value, nbformat.NotebookNode) else nbformat.from_dict(value)

    def __call__(self, name: str, value: Any, hint: str = ""):
        if isinstance(value, dict) and not self.accepts(value):  # a cell's repr can be long
            check.fail(name, self, check.Described(f"a dict with the keys {sorted(map(str, value))}"), hint)
        return super().__call__(name, value, hint)


class _Notebook(_Cell):
    """A whole notebook, every cell checked (its index named in the message)."""

    text = "a notebook (a dict with a 'metadata' dict and a list of 'cells', as nbformat.read returns)"

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, dict) and isinstance(value.get("cells"), list)
                and isinstance(value.get("metadata"), dict))

    def __call__(self, name: str, value: Any, hint: str = ""):
        value = super().__call__(name, value, hint)
        for index, item in enumerate(value.cells):
            CELL(f"{name}.cells[{index}]", item)
        return value


class _Path(check.Constraint):
    """A file or folder name: a string or an ``os.PathLike`` (returned as a :class:`Path`)."""

    def __init__(self, optional: bool = False):
        self.optional = optional
        self.text = ("None or " if optional else "") + "a path (a string or a pathlib.Path)"

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, (str, os.PathLike)) and value != "") or (self.optional and value is None)

    def error(self, value: Any) -> type:
        return ValueError if isinstance(value, str) else TypeError  # only "" is a refused string

    def convert(self, value: Any):
        return None if value is None else Path(value)


#: What a notebook, a cell, a path argument is (``NOTEBOOK("nb", nb)`` returns the notebook).
NOTEBOOK = _Notebook()
CELL = _Cell()
PATH = _Path()
OPTIONAL_PATH = _Path(optional=True)


def kernel_metadata() -> dict:
    """``kernelspec`` and ``language_info`` as ipykernel reports them to JupyterLab."""
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict

    spec = get_kernel_dict()
    return {
        "kernelspec": {"display_name": spec["display_name"], "language": spec["language"],
                       "name": KERNEL_NAME},
        "language_info": dict(IPythonKernel.language_info),
    }


def browser_stable(value):
    """``value`` (parsed notebook JSON) with whole-number floats made integers.

    Anything that is not JSON data (a complex number, an array, a set) is refused,
    named by where it sits (``value['cells'][0]``).
    """
    return _stable(value, "value")


def _stable(value, where: str):
    if isinstance(value, float) and value.is_integer() and abs(value) < _JS_PLAIN_LIMIT:
        return int(value)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                check.fail(f"{where}'s keys", "strings (JSON object keys)", key, error=TypeError)
        return type(value)((key, _stable(item, f"{where}[{key!r}]")) for key, item in value.items())
    if isinstance(value, list):
        return [_stable(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, _JSON_LEAVES):
        check.fail(where, "JSON data (a dict, list, string, number, True/False or None)", value,
                   error=TypeError)
    return value


def normalize(notebook):
    """A copy of ``notebook`` with the kernel's metadata and browser-stable numbers."""
    import nbformat

    result = nbformat.from_dict(_stable(NOTEBOOK("notebook", notebook), "notebook"))
    result.metadata.update(kernel_metadata())
    return result


def write(notebook, path: str | Path) -> None:
    """Write the :func:`normalize` d form of ``notebook`` to ``path``."""
    import nbformat

    path = PATH("path", path)
    nbformat.write(normalize(notebook), str(path))
