"""The Stepper page in headless Chromium: the arrow keys page through the steps and the counter follows.

Skips without Chromium or dot, with the reason; ``MICRODIFF_REQUIRE_CHROMIUM=1`` and ``MICRODIFF_REQUIRE_DOT=1``
(CI) make that a failure (the ``chromium`` fixture of ``explorer_browser.py``).
"""

import re
import subprocess
import tempfile

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
