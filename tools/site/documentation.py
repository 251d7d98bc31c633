"""The documentation part of the site: the README, the API reference and every lesson with its outputs.

:func:`build` executes each lesson once in CPython (nbclient, this environment's kernel, with the worked
solutions, as the tests run them: an exercise's skeleton alone raises NotImplementedError), draws its altair
charts as SVG with vl-convert (Vega's own converter, offline), puts an "open it live" link on top and folds
the worked solutions away (each a collapsed block, with what it printed), writes it to
``docs/lessons/`` (generated, ignored by git) and runs Sphinx with ``-W --keep-going -n``. :func:`check_links`
then reads every page of the built site and fails on a link or picture that points at a file that is not
there, on an anchor that is not on its page, and on anything a page would load from another host.
"""

from __future__ import annotations

import html
import html.parser
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

import nbformat
from lessons import solved  # tools/site/lessons.py

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
GENERATED = DOCS / "lessons"  # executed lessons, made fresh by every build (in .gitignore)
CACHE = ROOT / "build" / "site-cache"
CELL_TIMEOUT = 300  # seconds for any one cell
VEGA_LITE_5 = "application/vnd.vegalite.v5+json"


def build(out: Path, lessons: Iterable[Path], live: str, mathjax: Path) -> None:
    """The HTML documentation in ``out``; each lesson's page links to ``live + its file name`` (the lite app)."""
    shutil.rmtree(GENERATED, ignore_errors=True)
    GENERATED.mkdir()
    for path in lessons:
        start = time.perf_counter()
        notebook = documented(executed(path), live + path.name)
        nbformat.write(notebook, GENERATED / path.name)
        print(f"executed {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
    html = CACHE / "docs" / "html"  # myst-nb keeps its copies of the outputs beside it, in docs/jupyter_execute
    shutil.rmtree(html, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-n", "-q", "-b", "html",
               "-d", str(CACHE / "docs" / "doctrees"), str(DOCS), str(html)]  # fmt: skip
    print("+", " ".join(command), flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise SystemExit("build: the documentation has warnings or broken references (above)")
    shutil.copytree(html, out, dirs_exist_ok=True)
    target = out / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(mathjax, target / mathjax.name)


def executed(path: Path) -> nbformat.NotebookNode:
    """The lesson run top to bottom in a fresh kernel of this Python, in a scratch folder."""
    import nbclient

    notebook = solved(nbformat.read(path, as_version=4))
    with tempfile.TemporaryDirectory(prefix="microdiff-docs-") as workdir:
        client = nbclient.NotebookClient(
            notebook, kernel_name="python3", timeout=CELL_TIMEOUT, resources={"metadata": {"path": workdir}}
        )
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as error:
            raise SystemExit(f"build: {path.name} failed to run: {str(error).strip().splitlines()[-1]}") from None
    return notebook


def documented(notebook: nbformat.NotebookNode, live: str) -> nbformat.NotebookNode:
    """An executed lesson as its page shows it: a link that opens it live, the worked solutions folded away,
    and each chart also as an SVG picture (a static page runs no Vega)."""
    import vl_convert

    link = f'<p class="open-live"><a href="{html.escape(live)}">▶ Open this lesson live in your browser</a></p>'
    cells = [notebook.cells[0], nbformat.v4.new_markdown_cell(link), *notebook.cells[1:]]
    for cell in cells:
        if "solution" in cell.metadata.get("tags", []):
            cell.metadata["tags"].append("hide-cell")  # myst-nb: a collapsed block, opened with a click
        for output in cell.get("outputs", []):
            spec = output.get("data", {}).pop(VEGA_LITE_5, None)  # (Sphinx has no use for the spec itself)
            if spec is not None:
                output["data"]["image/svg+xml"] = vl_convert.vegalite_to_svg(spec)
    notebook.cells = cells
    return notebook


class _Page(html.parser.HTMLParser):
    """The links, the resources and the ids of one HTML page."""

    LOADS = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"), ("embed", "src")}

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.loads: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        if tag == "link" and "href" in values:
            (self.loads if values.get("rel") in ("stylesheet", "icon", "preload") else self.links).append(
                values["href"]
            )
        elif tag == "a" and "href" in values:
            self.links.append(values["href"])
        for name in ("src",):
            if (tag, name) in self.LOADS and values.get(name):
                self.loads.append(values[name])


def check_links(site: Path, skip: Iterable[str] = ("lite",)) -> None:
    """Every page of ``site`` (but the lite app's, which JupyterLab builds): links and pictures that point
    into the site must find their file (and their anchor, on a page), and nothing may be loaded from another
    host. A link that opens the lite app on a notebook (``lab/index.html?path=…``) must find the notebook.
    Links to other hosts are counted, not followed (there is no network)."""
    pages = [p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in skip]
    parsed: dict[Path, _Page] = {}
    for page in pages:
        parsed[page] = _Page()
        parsed[page].feed(page.read_text(encoding="utf-8"))
    broken: list[str] = []
    external = 0
    for page, found in parsed.items():
        for address, loaded in [(a, False) for a in found.links] + [(a, True) for a in found.loads]:
            parts = urllib.parse.urlsplit(address)
            if parts.scheme in ("data", "mailto", "javascript", "blob"):
                continue
            if parts.scheme or parts.netloc:
                if loaded:
                    broken.append(f"{page.relative_to(site)} loads {address} from another host")
                external += 1
                continue
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or not target.resolve().is_relative_to(site.resolve()):
                broken.append(f"{page.relative_to(site)} links to {address}, which is not in the site")
            elif opened := urllib.parse.parse_qs(parts.query).get("path"):  # the lite app, open on a notebook
                if not (target.parent.parent / "files" / opened[0]).is_file():
                    broken.append(f"{page.relative_to(site)} opens {opened[0]} in the lite app, which has no such file")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _ids(target)
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(site)} links to {address}: no #{parts.fragment} there")
    for line in broken:
        print(f"broken: {line}")
    if broken:
        raise SystemExit(f"build: {len(broken)} broken links or outside resources in the site (above)")
    print(f"links: {len(pages)} pages checked, every internal link and picture found; {external} links to other hosts")


def _ids(page: Path) -> set[str]:
    found = _Page()
    found.feed(page.read_text(encoding="utf-8"))
    return found.ids
