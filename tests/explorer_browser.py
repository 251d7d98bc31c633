"""Helpers for the explorer's browser tests: headless Chromium opens a page (file://) and we read the DOM its
script built (``--dump-dom``).

Chromium (and Graphviz's dot, for pages with drawings) is optional on a laptop: the fixtures below skip
a test without it, or fail it when CI requires it, exactly as the markers of ``conftest.py`` do.
"""

import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import chromium_path, need

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--virtual-time-budget=5000",
]


@pytest.fixture(scope="module", name="bare_chromium")
def bare_chromium_fixture():
    """The Chromium binary, for pages without drawings."""
    need("needs_chromium")
    return chromium_path()


@pytest.fixture(scope="module", name="chromium")
def chromium_fixture():
    """The Chromium binary, for explorer pages (their drawings of the neurons need Graphviz's dot)."""
    need("needs_chromium")
    need("needs_dot")
    return chromium_path()


def browse(chromium, url, *extra):
    """Run headless Chromium on ``url`` with a fresh profile; return its stdout and stderr."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


class Dom(HTMLParser):
    """The elements of a dumped page: each with its tag, its attributes and its text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, attrs, texts) in document order
        self.open = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = (tag, dict(attrs), [])
        self.elements.append(element)
        self.open.append(element)

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), []))

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)

    def by_id(self, ident):
        found = [e for e in self.elements if e[1].get("id") == ident]
        assert found, f"no element #{ident} in the page"
        return found[0]

    def text(self, ident):
        return "".join(self.by_id(ident)[2])

    def having(self, attribute, tag=None):
        """Every element with ``attribute`` (and of ``tag``, if given)."""
        return [e for e in self.elements if attribute in e[1] and (tag is None or e[0] == tag)]


def dump(chromium, path, hash="", *extra):
    """The DOM of the page at ``path`` after its script ran, and Chromium's stderr."""
    out, err = browse(chromium, f"{Path(path).as_uri()}{hash}", "--dump-dom", *extra)
    return Dom(out), err


def load(chromium, path, hash="", *extra):
    """Open an explorer page and check that its script ran to the end without an error."""
    dom, err = dump(chromium, path, hash, *extra)
    body = next(e for e in dom.elements if e[0] == "body")
    assert dom.text("errors") == "", f"the page logged errors: {dom.text('errors')}"
    assert "Uncaught" not in err, err[-2000:]
    assert body[1].get("data-ready") == "1", "the page's script did not finish"
    return dom
