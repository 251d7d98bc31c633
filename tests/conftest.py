"""Shared test settings: hypothesis profiles, and the optional oracles and tools — each missing one makes its
tests skip with a one-line reason, unless CI says it must be there (then the tests fail instead).

Tools: mark a test that runs Graphviz's ``dot`` with ``@pytest.mark.needs_dot`` and one that runs Chromium with
``@pytest.mark.needs_chromium`` (or a whole module with ``pytestmark = pytest.mark.needs_dot``). Without the tool
the test is reported as skipped with the reason; with ``MICRODIFF_REQUIRE_DOT=1`` or
``MICRODIFF_REQUIRE_CHROMIUM=1`` it fails instead, so CI can never report a skipped test as a pass.
A test that needs the browser's path takes it from :func:`chromium_path`.
"""

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI: derandomized (the same examples every run) and no deadline (a loaded machine is not a bug).
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
# dev (the README's `make test`): the same examples every run too, so a learner's run is reproducible;
# explore: new random examples each run, many more of them, to hunt for bugs (HYPOTHESIS_PROFILE=explore).
settings.register_profile("dev", derandomize=True, deadline=None, max_examples=100)
settings.register_profile("explore", deadline=None, max_examples=1000)
# A few examples each, for runs that check something else (test_setup.py: which tests skip without dot).
settings.register_profile("quick", deadline=None, max_examples=10)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


#: The start of a Python program run as if the graphviz package were not installed: importing it fails.
WITHOUT_GRAPHVIZ = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] == 'graphviz': raise ModuleNotFoundError(name=name)\n"
    "sys.meta_path.insert(0, Block())\n"
)
#: The repository's root folder (the tests are grouped in folders below tests/, as the package is).
ROOT = Path(__file__).resolve().parent.parent


def require(module_name: str):
    """Import an optional oracle (torch); skip without it, but fail when MICRODIFF_REQUIRE_<NAME>=1 says it
    must be there, so that CI can never report a skipped cross-check as a pass."""
    if os.environ.get(f"MICRODIFF_REQUIRE_{module_name.upper()}") == "1":
        return __import__(module_name)
    return pytest.importorskip(module_name)


# The names Chromium's command has: Debian's `chromium`, Ubuntu's `chromium-browser`, Debian's headless shell.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "chromium-headless-shell")


def _runs(command: list[str]) -> str | None:
    """None when ``command`` (a tool asked for its version) runs; otherwise why not, in a few words."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{command[0]} does not run ({error})"
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        return f"{command[0]} does not run ({said[0] if said else f'exit status {done.returncode}'})"
    return None


@functools.cache
def chromium_path() -> str | None:
    """The Chromium to test with: $MICRODIFF_CHROMIUM, else the first of CHROMIUM_NAMES on the PATH that runs."""
    candidates = [os.environ["MICRODIFF_CHROMIUM"]] if os.environ.get("MICRODIFF_CHROMIUM") else []
    candidates += [path for name in CHROMIUM_NAMES if (path := shutil.which(name))]
    return next((path for path in candidates if _runs([path, "--version"]) is None), None)


@functools.cache
def _missing_dot() -> str | None:
    if shutil.which("dot") is None:
        return "Graphviz's dot is missing: apt-get install graphviz (or brew install graphviz)"
    return _runs(["dot", "-V"])


@functools.cache
def _missing_chromium() -> str | None:
    if chromium_path() is None:
        tried = os.environ.get("MICRODIFF_CHROMIUM") or " or ".join(CHROMIUM_NAMES)
        return f"Chromium is missing (no working {tried}): apt-get install chromium, or set MICRODIFF_CHROMIUM"
    return None


# marker -> (what it says in `pytest --markers`, why the tool is missing or None, the variable that requires it)
TOOLS = {
    "needs_dot": ("the test runs Graphviz's dot", _missing_dot, "MICRODIFF_REQUIRE_DOT"),
    "needs_chromium": ("the test runs headless Chromium", _missing_chromium, "MICRODIFF_REQUIRE_CHROMIUM"),
}


def need(marker: str) -> None:
    """In a fixture: what the marker ``marker`` does to a test — skip with the reason, or fail when required."""
    _, missing, variable = TOOLS[marker]
    reason = missing()
    if reason is not None:
        if os.environ.get(variable) == "1":
            pytest.fail(f"{variable}=1 but {reason}", pytrace=False)
        pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    for marker, (meaning, _, variable) in TOOLS.items():
        config.addinivalue_line("markers", f"{marker}: {meaning}; skips without it, fails if {variable}=1")


def _missing_tools(item: pytest.Item) -> list[tuple[str, str]]:
    """(variable that requires it, why it is missing) for each tool the test is marked with and cannot run."""
    markers = dict.fromkeys(mark.name for mark in item.iter_markers() if mark.name in TOOLS)
    return [(TOOLS[m][2], reason) for m in markers if (reason := TOOLS[m][1]()) is not None]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip a test whose tool is missing, reported at the test with the reason (unless a variable requires it)."""
    for item in items:
        for variable, reason in _missing_tools(item):
            if os.environ.get(variable) != "1":
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a test whose tool is missing when a variable says the tool must be there."""
    for variable, reason in _missing_tools(item):
        if os.environ.get(variable) == "1":
            pytest.fail(f"{variable}=1 but {reason}", pytrace=False)
