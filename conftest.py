"""Repository-wide pytest hooks.

nbval (run with ``--nbval-lax``) executes every lesson and exercise-source notebook
and fails a cell that raises.  The hook below also fails a cell that writes to
stderr: a learner must never see a warning in a lesson.
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
