"""Run every lesson of a built site in headless Chromium, as a learner would, with no network but the site.

    python tools/site/run_lessons.py build/site-check [--only 02_ ...] [--shots DIR]

The site (built by ``tools/site/build.py --check``: the lessons with their solutions as code cells, and the
notebooks of ``tests/site/fixtures``) is served on 127.0.0.1. Chromium opens each notebook in JupyterLite, waits
for the Pyodide kernel, runs every code cell in turn and reads what came out. A notebook passes when

* no cell raised an error, and every cell finished within the time limit;
* every drawing is an SVG in the page (no DOT-text fallback, no "could not draw" line), and
* every chart is drawn by Vega (an ``<svg>`` of marks; no "<VegaLite 6 object>" text fallback);

and the whole run fails when the page or any of its workers asked any host but 127.0.0.1 for anything.
Other hosts cannot be reached anyway: run as root, the script runs itself again in a network namespace of its
own (``unshare -n``: only a loopback device), and Chromium maps every other host name to nothing and sends
what remains to a closed proxy. A lesson that imports matplotlib cannot run in the browser (there is no
WebAssembly wheel of it): it is reported as skipped, with that reason.

It drives Chromium over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages ending in
a NUL byte, commands on the browser's fd 3, answers on its fd 4), with the Python standard library only. The
lab exposes itself as ``window.jupyterapp`` (the site sets ``exposeAppInBrowser``); the cells run through the
lab's own ``notebook:run-cell`` command. Prints a line per notebook, then ``N passed, N failed, N skipped``;
exits with status 1 on any failure.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

CELL_SECONDS = 300  # for any one cell: lesson 12 trains a small language model
KERNEL_SECONDS = 180  # from opening the page to an idle kernel
IN_NAMESPACE = "MICRODIFF_SITE_CHECK_NETNS"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "chromium-headless-shell")
NOT_IN_THE_BROWSER = "matplotlib"  # no WebAssembly wheel on PyPI or npm: the lessons plot with altair


# ---------------------------------------------------------------------------------------------- the browser
class Browser:
    """Chromium under the DevTools protocol, on a pipe. Commands are answered in order of their ids; events
    are kept per session (page or worker), and every request that any session saw is recorded."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-pipe",
            f"--user-data-dir={profile}", "--window-size=1280,900", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",  # port 9: nothing listens
        ]  # fmt: skip
        # The shell puts the pipes where Chromium looks for them: commands on fd 3, answers on fd 4.
        command = ["sh", "-c", f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}', chromium, *flags]
        self.process = subprocess.Popen(
            command, pass_fds=(to_browser_read, from_browser_write), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._next_id = 0
        self._answers: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (session kind, URL) of every request seen
        self.session_kinds: dict[str, str] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                self._dispatch(json.loads(raw))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            waiting = self._answers.get(message["id"])
            if waiting is not None:  # else it came too late: its command has given up already
                waiting.put(message)
            return
        method, params = message.get("method"), message.get("params", {})
        if method == "Target.attachedToTarget":  # a worker (the kernel), or a service worker, of the page
            session, kind = params["sessionId"], params["targetInfo"]["type"]
            self.session_kinds[session] = kind
            threading.Thread(target=self._watch, args=(session,), daemon=True).start()
        elif method == "Network.requestWillBeSent":
            kind = self.session_kinds.get(message.get("sessionId", ""), "browser")
            self.requests.append((kind, params["request"]["url"]))

    def _watch(self, session: str) -> None:
        """Record a new target's requests, attach to its own workers, then let it start. (A target that is
        gone already, or that has no such domain, answers with an error, or not at all: nothing to watch.)"""
        for method, params in (
            ("Network.enable", {}),
            ("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}),
            ("Runtime.runIfWaitingForDebugger", {}),
        ):
            try:
                self.send(method, params, session=session, check=False, timeout=10)
            except RuntimeError:
                return

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None, check: bool = True,
        timeout: float = 60,
    ) -> dict[str, Any]:  # fmt: skip
        with self._lock:
            self._next_id += 1
            number = self._next_id
            self._answers[number] = queue.Queue()
        message = {"id": number, "method": method, "params": params or {}} | ({"sessionId": session} if session else {})
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        try:
            answer = self._answers[number].get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"Chromium did not answer {method} within {timeout:g} s") from None
        finally:
            del self._answers[number]
        if check and "error" in answer:
            raise RuntimeError(f"{method}: {answer['error'].get('message')}")
        return answer.get("result", {})

    def close(self) -> None:
        try:
            self.send("Browser.close", check=False, timeout=10)
            self.process.wait(timeout=10)
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


class Page:
    """One tab, in a browser context of its own (as a new learner's browser: no notebook of an earlier run is
    reopened from its storage): JavaScript evaluated in it, awaited, its value returned; screenshots."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.context = browser.send("Target.createBrowserContext")["browserContextId"]
        target = browser.send("Target.createTarget", {"url": "about:blank", "browserContextId": self.context})[
            "targetId"
        ]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.session_kinds[self.session] = "page"
        for method, params in (
            ("Network.enable", {}),
            ("Page.enable", {}),
            ("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}),
        ):
            browser.send(method, params, session=self.session)
        self.target = target

    def open(self, url: str) -> None:
        self.browser.send("Page.navigate", {"url": url}, session=self.session)

    def evaluate(self, expression: str, timeout: float = 60) -> Any:
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=self.session,
            timeout=timeout + 10,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        import base64

        shot = self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target}, check=False)
        self.browser.send("Target.disposeBrowserContext", {"browserContextId": self.context}, check=False)


# ----------------------------------------------------------------------------------- the lab, from the page
# The notebook panel open on PATH, once its kernel is idle (null before).
READY = """(() => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const widget of app.shell.widgets("main")) {
    if (widget.context && widget.context.path === PATH && widget.sessionContext
        && widget.sessionContext.session && widget.sessionContext.kernelDisplayStatus === "idle") {
      return widget.content.widgets.filter((cell) => cell.model.type === "code").length;
    }
  }
  return null;
})()"""

# Run the code cell number INDEX (among the code cells) and wait for it; then report on its outputs.
RUN_CELL = """(async () => {
  const app = window.jupyterapp;
  const panel = [...app.shell.widgets("main")].find((w) => w.context && w.context.path === PATH);
  const cells = panel.content.widgets.filter((cell) => cell.model.type === "code");
  const cell = cells[INDEX];
  panel.content.activeCellIndex = panel.content.widgets.indexOf(cell);
  app.shell.activateById(panel.id);
  const start = performance.now();
  const limit = new Promise((resolve) => setTimeout(() => resolve("timeout"), SECONDS * 1000));
  const done = await Promise.race([app.commands.execute("notebook:run-cell"), limit]);
  // Outputs render after the kernel answers (Vega in a lazy chunk): wait until the output area stops changing.
  let last = "", same = 0;
  while (same < 4 && performance.now() - start < SECONDS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = cell.outputArea.node.innerHTML.length + "/" + cell.model.outputs.length;
    same = now === last ? same + 1 : 0;
    last = now;
  }
  cell.node.scrollIntoView();
  const outputs = cell.model.outputs.toJSON();
  const node = cell.outputArea.node;
  const drawn = (selector) => [...node.querySelectorAll(".jp-OutputArea-output")].filter(
    (output) => output.querySelector(selector)).length;
  const svg = (o) => o.data && (o.data["image/svg+xml"] || String(o.data["text/html"] || "").includes("<svg"));
  return {
    seconds: (performance.now() - start) / 1000,
    timedOut: done === "timeout",
    source: cell.model.sharedModel.getSource().slice(0, 60),
    errors: outputs.filter((o) => o.output_type === "error").map((o) => o.ename + ": " + o.evalue),
    outputs: outputs.map((o) => ({
      kinds: Object.keys(o.data || {}).filter((kind) => kind !== "text/plain"),
      text: String(o.text || (o.data && o.data["text/plain"]) || ""),
    })),
    svgOutputs: outputs.filter(svg).length,
    svgImages: drawn("img[src^='data:image/svg+xml'], svg:not(.marks)"),
    chartOutputs: outputs.filter((o) => o.data && o.data["VEGA_LITE_5"]).length,
    charts: drawn(".vega-embed svg.marks, .vega-embed canvas"),
  };
})()"""

DRAWING_FAILURES = ("Graphviz's dot program is not installed", "could not draw", "could not load viz.js")
VEGA_LITE_5 = "application/vnd.vegalite.v5+json"


def problems(cell: dict[str, Any]) -> list[str]:
    """What is wrong with one cell's run: errors, a timeout, a drawing or a chart not drawn."""
    found = [f"error {error}" for error in cell["errors"]]
    if cell["timedOut"]:
        found.append(f"did not finish within {CELL_SECONDS} s")
    for output in cell["outputs"]:
        kinds, text = output["kinds"], output["text"]
        found += [f"drawing not drawn: {text[:150]!r}" for failure in DRAWING_FAILURES if failure in text]
        if any(kind.startswith("application/vnd.vegalite") for kind in kinds) and VEGA_LITE_5 not in kinds:
            found.append(f"a chart the lab cannot draw ({', '.join(kinds)}): enable microdiff.lessons.charts")
        if "<VegaLite" in text and not kinds:
            found.append(f"a chart shown as text: {text[:80]!r}")
    if cell["svgOutputs"] > cell["svgImages"]:
        found.append(f"{cell['svgOutputs']} SVG outputs, {cell['svgImages']} in the page")
    if cell["chartOutputs"] > cell["charts"]:
        found.append(f"{cell['chartOutputs']} charts, {cell['charts']} drawn by Vega")
    return found


def run_notebook(page: Page, base: str, path: str, shots: Path | None) -> tuple[list[str], str]:
    """Open ``path`` in the lab, run its code cells; the problems found and a line of figures."""
    start = time.perf_counter()
    page.open(f"{base}/lab/index.html?path={urllib.parse.quote(path)}")
    count = None
    while count is None:
        if time.perf_counter() - start > KERNEL_SECONDS:
            return [f"the kernel was not ready within {KERNEL_SECONDS} s"], ""
        time.sleep(0.5)
        count = page.evaluate(READY.replace("PATH", json.dumps(path)))
    kernel = time.perf_counter() - start
    found: list[str] = []
    first_output = None
    svgs = charts = 0
    for index in range(count):
        script = RUN_CELL.replace("PATH", json.dumps(path)).replace("INDEX", str(index))
        script = script.replace("VEGA_LITE_5", VEGA_LITE_5)
        cell = page.evaluate(script.replace("SECONDS", str(CELL_SECONDS)), timeout=CELL_SECONDS + 60)
        if first_output is None and cell["outputs"]:
            first_output = time.perf_counter() - start
        found += [f"cell {index + 1} ({cell['source'].splitlines()[0] if cell['source'] else ''}…): {p}"
                  for p in problems(cell)]  # fmt: skip
        svgs += cell["svgImages"]
        charts += cell["charts"]
        if shots is not None and (cell["svgImages"] + cell["charts"]):
            page.screenshot(shots / f"{Path(path).stem}-cell{index + 1:02d}.png")
    figures = (
        f"{count} cells, {len(found)} problems, {svgs} SVG, {charts} charts; kernel ready {kernel:.1f} s, "
        f"first output {first_output or 0:.1f} s, all {time.perf_counter() - start:.1f} s"
    )
    return found, figures


# ---------------------------------------------------------------------------------------------- the server
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site; remembers what it could not find, and prints nothing."""

    extensions_map = http.server.SimpleHTTPRequestHandler.extensions_map | {
        ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json",
    }  # fmt: skip
    missing: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if self.path != "/favicon.ico":  # the browser asks for it by itself, page or not
            QuietHandler.missing.append(f"{code} {self.path}")
        super().send_error(code, message, explain)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a page closed while loading: not the site's fault
            super().handle_error(request, client_address)


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def outside(url: str) -> bool:
    """A request for anything but the site itself (data:, blob: and the like are in the page)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss", "ftp") and parts.hostname != "127.0.0.1"


def check_pages(page: Page, base: str, site: Path) -> list[str]:
    """Open every documentation page (not the lite app's); what failed to load, per page."""
    found = []
    for path in sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")):
        if path.startswith(("lite/", "_modules/")):
            continue
        before = len(QuietHandler.missing)
        page.open(f"{base}/{path}")
        start = time.perf_counter()
        while page.evaluate("document.readyState") != "complete" and time.perf_counter() - start < 30:
            time.sleep(0.2)
        time.sleep(0.5)  # MathJax typesets after the load event
        found += [f"{path}: {miss}" for miss in QuietHandler.missing[before:]]
    return found


def notebooks(site: Path) -> list[str]:
    """The site's notebooks, as paths in its contents: the lessons, then the fixtures."""
    files = site / "files"
    return sorted(str(p.relative_to(files)) for p in files.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def needs_what_the_browser_lacks(site: Path, path: str) -> str | None:
    """Why this notebook cannot run in the browser, or ``None``: it imports matplotlib, or its metadata says why
    (``"microdiff": {"not in the browser": "..."}``, a known limit the README states)."""
    notebook = json.loads((site / "files" / path).read_text(encoding="utf-8"))
    said = notebook.get("metadata", {}).get("microdiff", {}).get("not in the browser")
    if said:
        return str(said)
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        imports = f"import {NOT_IN_THE_BROWSER}" in source or f"from {NOT_IN_THE_BROWSER}" in source
        if cell["cell_type"] == "code" and imports:
            return f"imports {NOT_IN_THE_BROWSER}, which has no WebAssembly wheel"
    return None


def in_a_network_namespace(argv: list[str]) -> None:
    """As root, run this script again with no network but a loopback device (unless that is done already)."""
    if os.environ.get(IN_NAMESPACE) or os.geteuid() != 0:
        if not os.environ.get(IN_NAMESPACE):
            print("note: not root, so no network namespace: Chromium's host rules and closed proxy still block")
        return
    script = 'ip link set lo up && exec "$@"'
    command = ["unshare", "--net", "sh", "-c", script, "sh", sys.executable, __file__, *argv]
    os.execvpe("unshare", command, os.environ | {IN_NAMESPACE: "1"})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a site built by tools/site/build.py --check")
    parser.add_argument("--only", nargs="*", default=[], help="run only the notebooks whose names contain these")
    parser.add_argument("--shots", type=Path, help="save a screenshot of every cell that shows a picture here")
    parser.add_argument(
        "--pages", action="store_true", help="open every documentation page of a site built by `make site` instead: "
        "fail on anything missing or fetched from another host",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.pages and not (args.site / "files").is_dir():
        raise SystemExit(f"run_lessons: {args.site} is not a built site (no files/ in it): run build.py --check")
    chromium = os.environ.get("MICRODIFF_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if chromium is None:
        raise SystemExit("run_lessons: Chromium is missing: apt-get install chromium, or set MICRODIFF_CHROMIUM")
    in_a_network_namespace(argv)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    server, base = serve(args.site)
    passed, failed, skipped = [], [], []
    with tempfile.TemporaryDirectory(prefix="microdiff-site-check-") as profile:
        browser = Browser(chromium, Path(profile))
        try:
            # service workers and pages too: every target that could make a request
            browser.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True})
            if args.pages:
                page = Page(browser)
                missing = check_pages(page, base, args.site)
                page.close()
                (failed if missing else passed).append("the documentation's pages")
                for line in missing:
                    print(f"FAILED: not found: {line}")
            for path in [] if args.pages else notebooks(args.site):
                if args.only and not any(part in path for part in args.only):
                    continue
                reason = needs_what_the_browser_lacks(args.site, path)
                if reason:
                    print(f"SKIPPED {path}: {reason}", flush=True)
                    skipped.append(path)
                    continue
                page = Page(browser)
                try:
                    found, figures = run_notebook(page, base, path, args.shots)
                except RuntimeError as error:
                    found, figures = [f"the page failed: {error}"], ""
                page.close()
                (failed if found else passed).append(path)
                print(f"{'FAILED' if found else 'passed'} {path}: {figures}", flush=True)
                for problem in found:
                    print(f"    {problem}", flush=True)
        finally:
            browser.close()
            server.shutdown()
    strays = sorted({url for _, url in browser.requests if outside(url)})
    for url in strays:
        print(f"FAILED: a request to another host: {url}")
    print(f"{len(browser.requests)} requests, {len(strays)} to other hosts")
    print(f"{len(passed)} passed, {len(failed) + bool(strays)} failed, {len(skipped)} skipped")
    return 1 if failed or strays else 0


if __name__ == "__main__":
    sys.exit(main())
