"""The course as a static web site: every lesson and exercise live in the browser.

``python3 course.py site`` builds it (see :mod:`course_site.build`): a landing page,
each notebook rendered with its stored outputs, and a JupyterLite app whose Pyodide
kernel has ``lrcourse`` preinstalled.  Nothing here is imported by ``lrcourse``; the
build runs in its own virtual environment (``.venv-site/``, pinned in
``requirements-site.txt``).

Modules:

- :mod:`course_site.pyodide_dist` — the Pyodide distribution, every file checked
  against the official ``pyodide-lock.json``
- :mod:`course_site.pages`        — the landing page and the rendered notebooks
- :mod:`course_site.build`        — the whole build (the command line)
"""
