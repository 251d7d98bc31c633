"""Set-up that works or says why: the Makefile's logic, run with the real make, and the tool markers of conftest.

- As a user who is not root (a real one: when the tests run as root, ``setpriv`` drops to the unprivileged
  uid 65534), without Graphviz's dot and Chromium, ``make dot chromium`` notes what is missing and exits 0,
  so ``make test`` goes on to the tests, which skip.
- As root where apt-get cannot install (Ubuntu has no ``chromium`` package), make tries each package name in
  turn, checks after each install that the tool now runs, and exits 0. The ``apt-get`` there is a stand-in
  that logs its arguments: make runs with a PATH of our own, so no real apt-get, dot or browser can be reached.
- Without dot and Chromium on the PATH, the drawing, command, demo, explorer and browser test files pass, the
  tests marked ``needs_dot`` or ``needs_chromium`` reported as skipped with the reason (so a test that needs a
  tool and is not marked fails here, even in CI where the tools are there); they fail instead when
  ``MICRODIFF_REQUIRE_DOT=1`` or ``MICRODIFF_REQUIRE_CHROMIUM=1``.

Creating the environment itself is not repeated here (pip would take minutes): CI does that once, from a fresh
clone, with ``make test``.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM_NAMES, ROOT

MAKE = shutil.which("make")
SETPRIV = shutil.which("setpriv") or "setpriv"  # util-linux: on every Debian and Ubuntu
UNPRIVILEGED = 65534  # the uid of `nobody` on Debian and Ubuntu; any uid but 0 would do
HIDDEN = {"dot", *CHROMIUM_NAMES}

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is missing (it runs every set-up command)")


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A folder in the system's temporary folder with a copy of the Makefile and pyproject.toml: unlike pytest's
    tmp_path, which is private to its owner, it can be given to another user."""
    folder = Path(tempfile.mkdtemp(prefix="microdiff-setup-"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "bin").mkdir()
    yield folder
    shutil.rmtree(folder)


def tools(folder: Path, real: tuple[str, ...] = (), **fakes: str) -> str:
    """A PATH of one folder: links to the ``real`` tools and shell scripts named after ``fakes``' keys."""
    for name in real:
        found = shutil.which(name)
        assert found, f"the test needs {name} on the PATH"
        (folder / name).symlink_to(found)
    for name, script in fakes.items():
        (folder / name.replace("_", "-")).write_text(f"#!/bin/sh\n{script}\n")
        (folder / name.replace("_", "-")).chmod(0o755)
    return str(folder)


def make(workdir: Path, path: str, *arguments: str, as_user: int | None = None) -> subprocess.CompletedProcess:
    command = [MAKE, "--no-print-directory", "-f", str(workdir / "Makefile"), *arguments]
    if as_user is not None:
        command = [SETPRIV, f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *command]
    environment = {"PATH": path, "HOME": str(workdir), "LC_ALL": "C.UTF-8", "LOG": str(workdir / "apt.log")}
    return subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=120)


def test_not_root_and_without_dot_or_chromium_make_says_what_is_missing_and_goes_on(workdir):
    path = tools(workdir / "bin", real=("id", "apt-get") if shutil.which("apt-get") else ("id",))
    as_user = None
    if os.geteuid() == 0:  # become a real user who is not root
        as_user = UNPRIVILEGED
        for entry in [workdir, *workdir.rglob("*")]:
            os.lchown(entry, UNPRIVILEGED, UNPRIVILEGED)
    who = make(workdir, path, "--eval", "uid: ; @id -u", "uid", as_user=as_user)
    assert who.returncode == 0 and who.stdout.strip() != "0", who

    done = make(workdir, path, "dot", "chromium", as_user=as_user)
    assert done.returncode == 0 and done.stderr == "", done
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("note: ") for line in lines), done.stdout
    assert "Graphviz's dot is missing; the drawing tests will skip" in lines[0]
    assert "apt-get install graphviz" in lines[0]
    assert "Chromium is missing; the explorer's browser tests will skip" in lines[1]
    assert not (workdir / "apt.log").exists()


def fake_apt_get(installs: str = "", command: str = "") -> str:
    """An apt-get that logs its arguments; `install PACKAGE` succeeds only for ``installs``, and then puts a
    working ``command`` beside itself when one is given."""
    return f"""echo "apt-get $*" >> "$LOG"
[ "$1" = update ] && exit 0
for package; do :; done
if [ "$package" != "{installs}" ]; then echo "E: Unable to locate package $package" >&2; exit 100; fi
if [ -n "{command}" ]; then
  printf '#!/bin/sh\\necho {command} 1.0\\n' > "$(/usr/bin/dirname "$0")/{command}"
  /bin/chmod +x "$(/usr/bin/dirname "$0")/{command}"
fi"""


def apt_log(workdir: Path) -> list[str]:
    return [line.split()[-1] for line in (workdir / "apt.log").read_text().splitlines() if " install " in line]


def test_as_root_make_tries_each_package_name_and_goes_on_when_none_installs(workdir):
    path = tools(workdir / "bin", id="echo 0", apt_get=fake_apt_get())
    done = make(workdir, path, "dot", "chromium")
    assert done.returncode == 0, done
    assert apt_log(workdir) == ["graphviz", "chromium", "chromium-browser", "chromium-headless-shell"]
    assert "Unable to locate package chromium-browser" in done.stderr
    assert "note: apt-get install graphviz did not give a working Graphviz's dot" in done.stdout
    assert "note: could not install Graphviz's dot (tried: graphviz); the drawing tests will skip" in done.stdout
    assert "note: could not install Chromium (tried: chromium chromium-browser chromium-headless-shell)" in done.stdout
    assert "Installing chromium-browser with apt-get (a minute or two)" in done.stdout


def test_as_root_an_install_that_gives_no_working_tool_is_reported(workdir):
    path = tools(workdir / "bin", id="echo 0", apt_get=fake_apt_get(installs="graphviz"))  # exits 0, no dot
    done = make(workdir, path, "dot")
    assert done.returncode == 0 and apt_log(workdir) == ["graphviz"], done
    assert "note: apt-get install graphviz did not give a working Graphviz's dot" in done.stdout


def test_as_root_make_stops_at_the_first_package_that_gives_a_working_browser(workdir):
    path = tools(workdir / "bin", id="echo 0", apt_get=fake_apt_get("chromium-browser", "chromium-browser"))
    done = make(workdir, path, "chromium")
    assert done.returncode == 0 and apt_log(workdir) == ["chromium", "chromium-browser"], done
    assert done.stdout.rstrip().endswith("Chromium works now")
    assert make(workdir, path, "chromium").stdout == ""  # now found: nothing to do, nothing said


def test_make_asks_for_python_3_10_before_making_the_environment(workdir):
    path = tools(workdir / "bin", id="echo 1000")
    done = make(workdir, path, "test", "PYTHON=no-such-python")
    assert done.returncode != 0 and not (workdir / ".venv").exists()
    assert "error: microdiff needs Python 3.10 or newer; 'no-such-python' is not found" in done.stderr


@pytest.mark.parametrize("index", ["", "https://download.pytorch.org/whl/cpu"])
def test_torch_index_is_where_pip_also_looks(workdir, index):
    path = tools(workdir / "bin", id="echo 1000")
    done = make(workdir, path, "-n", "test", "EXTRAS=dev,torch", f"TORCH_INDEX={index}")
    (install,) = [line for line in done.stdout.splitlines() if " -e " in line]
    assert install.endswith("-e '.[dev,torch]'") and ("--extra-index-url" in install) == bool(index)
    assert index in install and "installed-dev-torch.stamp" in done.stdout


def pytest_in(tmp_path: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess:
    """Run pytest on this repository's tests with a PATH on which dot and Chromium cannot be found (and few
    hypothesis examples: the properties themselves are checked by the run this test is part of)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for tool in Path(directory).glob("*") if Path(directory).is_dir() else []:
            if tool.name not in HIDDEN and not (folder / tool.name).exists():
                (folder / tool.name).symlink_to(tool)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MICRODIFF_") and k != "CI"}
    environment |= {"PATH": str(folder), "PYTEST_ADDOPTS": "", "HYPOTHESIS_PROFILE": "quick", **variables}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-rs", *arguments]
    return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600)


# The test files that draw, run commands that draw, or open a browser; new ones with such names join in.
DRAWING_TESTS = (
    "test_draw*.py",
    "test_graph*.py",
    "test_demo*.py",
    "test_explore*.py",
    "test_*browser*.py",
    "test_commands*.py",
)


def test_without_dot_and_chromium_the_drawing_tests_pass_or_skip_with_their_reason(tmp_path):
    files = sorted({str(path) for pattern in DRAWING_TESTS for path in (ROOT / "tests").rglob(pattern)})
    done = pytest_in(tmp_path, *files)
    assert done.returncode == 0, done.stdout[-5000:]  # a failure here: a test that needs a tool is not marked
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert any("tests/drawing/test_draw.py:" in line and "Graphviz's dot is missing" in line for line in skipped)
    assert any("tests/apps/test_graph_command.py:" in line and "apt-get install graphviz" in line for line in skipped)
    assert any("tests/explore/test_explore_browser.py" in line and "Chromium is missing" in line for line in skipped)


def test_when_ci_requires_dot_a_missing_dot_fails_the_test(tmp_path):
    done = pytest_in(
        tmp_path, str(ROOT / "tests" / "drawing" / "test_draw.py"), "-m", "needs_dot", "-x", MICRODIFF_REQUIRE_DOT="1"
    )
    assert done.returncode == 1 and "MICRODIFF_REQUIRE_DOT=1 but Graphviz's dot is missing" in done.stdout


def test_make_demo_installs_only_what_the_demo_needs(workdir):
    """The main job installs microdiff with matplotlib (the plot extra), not the test and lint tools."""
    path = tools(workdir / "bin", id="echo 1000")
    done = make(workdir, path, "-n", "demo")
    (install,) = [line for line in done.stdout.splitlines() if " -e " in line]
    assert install.endswith("-e '.[plot]'") and "installed-plot.stamp" in done.stdout
    assert "microdiff demo --out out/" in done.stdout


@pytest.mark.parametrize(("uid", "allowed"), [("0", True), ("1000", False)])
def test_make_lessons_lets_jupyter_run_as_root(workdir, uid, allowed):
    path = tools(workdir / "bin", id=f"echo {uid}")
    done = make(workdir, path, "-n", "lessons")
    (install,) = [line for line in done.stdout.splitlines() if " -e " in line]
    (lab,) = [line for line in done.stdout.splitlines() if "jupyter lab" in line]
    assert install.endswith("-e '.[lessons]'") and lab.endswith("notebooks/")
    assert ("--allow-root" in lab) == allowed
