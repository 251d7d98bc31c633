"""The Stepper page in headless Chromium: the arrow keys page through the steps and the counter follows.

Skips without Chromium or dot, with the reason; ``MICRODIFF_REQUIRE_CHROMIUM=1`` and ``MICRODIFF_REQUIRE_DOT=1``
(CI) make that a failure (the ``chromium`` fixture of ``explorer_browser.py``).
"""

import re
import subprocess
import tempfile

import pytest
from explorer_browser import chromium_fixture  # noqa: F401  (a fixture, named "chromium")

from microdiff import Value
from microdiff.drawing.stepper import Stepper


def dom_after_keys(chromium, tmp_path, keys: list[str]) -> str:
    """The page's DOM after pressing ``keys`` (sent as keydown events to the page, as a user's would be)."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = 3 * x**2 + x * y  # 4 backward steps: pow, two products, the sum
    page = Stepper(f).page()
    presses = "".join(f'document.dispatchEvent(new KeyboardEvent("keydown", {{key: "{key}"}}));' for key in keys)
    (tmp_path / "steps.html").write_text(page.replace("</body>", f"<script>{presses}</script></body>"))
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={profile}", "--dump-dom", (tmp_path / "steps.html").as_uri()],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def shown(dom: str) -> tuple[str, list[int]]:
    """The counter's text and the indices of the frames not hidden."""
    count = re.search(r'class="count">([^<]*)<', dom).group(1)
    frames = re.findall(r'<div class="frame"( hidden="")?>', dom)
    return count, [i for i, hidden in enumerate(frames) if not hidden]


def test_arrow_keys_page_through_the_steps_and_the_counter_follows(chromium, tmp_path):
    assert shown(dom_after_keys(chromium, tmp_path, [])) == ("step 0 of 4", [0])
    assert shown(dom_after_keys(chromium, tmp_path, ["ArrowRight"] * 9 + ["ArrowLeft"])) == ("step 3 of 4", [3])
    assert shown(dom_after_keys(chromium, tmp_path, ["End", "ArrowLeft", "Home", "ArrowRight"])) == ("step 1 of 4", [1])


def measured(chromium, tmp_path, width: int, height: int, fit: bool = True) -> dict:
    """The shown picture's size on the page, its natural size (from dot's points) and the window's, in a
    window of ``width`` × ``height`` pixels."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    page = Stepper(3 * x**2 + x * y).page()
    untick = "" if fit else 'var b = document.querySelector(".fit-box"); b.click();'
    measure = (
        f"<script>{untick}var s = document.querySelector('.frame:not([hidden]) svg'), r = s.getBoundingClientRect();"
        "var v = s.viewBox.baseVal; document.body.dataset.measure = [r.width, r.height, v.width * 4 / 3,"
        " v.height * 4 / 3, innerWidth, innerHeight, r.bottom].join(' ');</script>"
    )
    (tmp_path / "steps.html").write_text(page.replace("</body>", f"{measure}</body>"))
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "--dump-dom",
             (tmp_path / "steps.html").as_uri()],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    numbers = [float(n) for n in re.search(r'data-measure="([^"]*)"', done.stdout).group(1).split()]
    return dict(
        zip(["width", "height", "natural_width", "natural_height", "window_width", "window_height", "bottom"], numbers)
    )


def test_fit_to_the_window_grows_and_shrinks_the_picture_both_ways(chromium, tmp_path):
    wide = measured(chromium, tmp_path, 1800, 1000)
    assert wide["width"] > 1.3 * wide["natural_width"]  # a small picture grows to the window's width
    assert wide["bottom"] <= wide["window_height"]  # … and the whole picture is in the window
    narrow = measured(chromium, tmp_path, 420, 1000)
    assert narrow["width"] < narrow["natural_width"] and narrow["width"] <= narrow["window_width"]
    low = measured(chromium, tmp_path, 1800, 640)  # wide but low: the height decides
    assert low["bottom"] <= low["window_height"] and low["height"] < wide["height"]
    natural = measured(chromium, tmp_path, 1800, 1000, fit=False)  # unticked: the natural size, to scroll
    assert natural["width"] == pytest.approx(natural["natural_width"], abs=1)
