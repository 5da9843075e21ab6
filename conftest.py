"""Repository-wide pytest hooks.

nbval (run with ``--nbval-lax``) executes every lesson and exercise-source notebook
and fails a cell that raises.  The hook below also fails a cell that writes to
stderr: a learner must never see a warning in a lesson.

The suite is spread over the cores by pytest-xdist (``-n auto`` in pyproject.toml).
Each file runs whole in one worker, in order: nbval runs a notebook's cells one after
another in one kernel, and a module's fixtures are built once. A few groups of files
share something across the machine and run in one worker together, one file after
another (:data:`GROUPS`). ``-n 0`` runs everything in this process.
"""

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield  # re-raises if the cell itself failed
    outputs = getattr(item, "test_outputs", None) or []
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    if stderr:
        pytest.fail(
            f"cell {getattr(item, 'cell_num', '?')} wrote to stderr (a warning a learner "
            f"would see):\n{stderr[:2000]}",
            pytrace=False,
        )
    return result


# Notebooks under tests/fixtures are data for the tests (e.g. a class's submissions,
# some deliberately broken), not lessons for nbval to run.
collect_ignore_glob = ["tests/fixtures/*"]


#: Files that must not run at the same time as each other.
GROUPS = {
    # no two browsers compete for the cores, and the site tests share one .venv-site
    "browser": ("tests/test_browser.py", "tests/test_browser_explorers.py", "tests/test_site.py",
                "tests/test_site_pages.py"),
    # test_classroom_batch asserts that no grader process is left on the machine after a
    # class is graded: no other test may be grading meanwhile
    "graders": ("tests/test_classroom_", "tests/test_cli.py", "tests/test_progress.py",
                "tests/test_grading_ex06.py", "tests/test_grading_ex07.py"),
}


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its group, or else its file."""
    path = nodeid.split("::", 1)[0]
    for group, prefixes in GROUPS.items():
        if path.startswith(prefixes):
            return group
    return path


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's "loadscope" scheduling, with :func:`work_unit` as the scope."""
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)
