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
"""

from __future__ import annotations

from pathlib import Path

import nbformat

__all__ = ["kernel_metadata", "browser_stable", "normalize", "write"]

_JS_PLAIN_LIMIT = 1e21


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
    """``value`` (parsed notebook JSON) with whole-number floats made integers."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _JS_PLAIN_LIMIT:
        return int(value)
    if isinstance(value, dict):
        return type(value)((key, browser_stable(item)) for key, item in value.items())
    if isinstance(value, list):
        return [browser_stable(item) for item in value]
    return value


def normalize(notebook):
    """A copy of ``notebook`` with the kernel's metadata and browser-stable numbers."""
    notebook = nbformat.from_dict(browser_stable(notebook))
    notebook.metadata.update(kernel_metadata())
    return notebook


def write(notebook, path: str | Path) -> None:
    """Write the :func:`normalize` d form of ``notebook`` to ``path``."""
    nbformat.write(normalize(notebook), str(path))
