"""The set-up: pinned requirements that agree with their ranges, and course.py's commands."""

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pins(name: str) -> dict:
    """``{package: version}`` of a lock file; every line must be an exact pin."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{name}: {line!r} is not an exact pin"
        found[canonicalize_name(requirement.name)] = specifier.version
    return found


def ranges(name: str) -> list:
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found += ranges(line[3:])
        elif line:
            found.append(Requirement(line))
    return found


@pytest.mark.parametrize("level", ["requirements", "requirements-test"])
def test_every_range_is_pinned_to_a_version_it_allows(level):
    pinned = pins(f"{level}.txt")
    for requirement in ranges(f"{level}.in"):
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is in {level}.in but not pinned in {level}.txt"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{level}.txt pins {requirement.name}=={version}, outside {requirement.specifier}: "
            f"run `python3 course.py lock`")


def test_the_test_pins_include_the_lesson_pins_at_the_same_versions():
    lessons, tests = pins("requirements.txt"), pins("requirements-test.txt")
    assert {name: tests.get(name) for name in lessons} == lessons
    assert "playwright" not in lessons and "pytest" not in lessons, "learners do not install test tools"


def test_the_installed_environment_is_the_pinned_one():
    """What this test run uses is what the lock says (course.py installed it)."""
    from importlib.metadata import version

    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip(f"running in {sys.prefix}, not the pinned .venv (e.g. `course.py newest`)")

    for name, pinned in pins("requirements-test.txt").items():
        assert version(name) == pinned, f"{name} {version(name)} is installed, the lock pins {pinned}"


def run_course(*args):
    return subprocess.run([sys.executable, str(ROOT / "course.py"), *args],
                          capture_output=True, text=True, timeout=60)


def test_course_py_explains_itself():
    done = run_course()
    assert done.returncode == 2 and "python3 course.py lab" in done.stdout
    assert run_course("--help").returncode == 0
    assert "lock" in run_course("nonsense").stdout


def test_no_test_fixture_is_ignored_by_git():
    """A fresh clone lacks ignored files: a fixture that git ignores passes here and
    fails in CI (the class fixture's .ipynb_checkpoints once did)."""
    import shutil

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard",
                              "--directory", "tests/fixtures"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    assert ignored == [], f"git ignores these test fixtures, so a fresh clone lacks them: {ignored}"


def test_lab_asks_no_news_question(tmp_path):
    """`lab` writes JupyterLab's overrides into the environment: no "get notified about
    Jupyter news?" pop-up over lesson 00 and no update check (a newcomer saw the pop-up
    though the server was started with --LabApp.news_url=None)."""
    import json

    sys.path.insert(0, str(ROOT))
    try:
        import course
    finally:
        sys.path.remove(str(ROOT))
    course.quiet_lab_settings(tmp_path)
    overrides = json.loads((tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json").read_text())
    assert overrides == {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                         "checkForUpdates": False}}
