"""Headless Chromium from the system's packages, driven over the DevTools protocol (a websocket;
aiohttp, a test dependency, is the client): open a page, collect its console errors, evaluate
JavaScript, take a screenshot. Installs nothing: `find_chromium()` is None where no Chromium
exists (the tests that need it skip and say so; CI installs Debian's `chromium`, see .ci/run).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One page over one websocket: `call` a DevTools method, keep every event it sends."""

    def __init__(self, ws):
        self.ws, self.events, self._id = ws, [], 0

    async def call(self, method: str, timeout: float = 30, **params) -> dict:
        self._id += 1
        await self.ws.send_json({"id": self._id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.ws.receive_json(timeout=max(0.1, deadline - time.monotonic()))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    async def wait_for(self, method: str, since: int = 0, timeout: float = 30) -> dict:
        """The first `method` event from `self.events[since:]` on, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        for ev in self.events[since:]:
            if ev.get("method") == method:
                return ev
        while True:
            msg = await self.ws.receive_json(timeout=max(0.1, deadline - time.monotonic()))
            self.events.append(msg)
            if msg.get("method") == method:
                return msg

    async def evaluate(self, expression: str):
        res = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def console_errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and browser log errors (failed loads,
        Content-Security-Policy violations)."""
        out = []
        for ev in self.events:
            p = ev.get("params", {})
            if ev.get("method") == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')} {p['exceptionDetails'].get('exception', {}).get('description', '')}")
            elif ev.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif ev.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out


class Chromium:
    """A headless Chromium process (its own profile under `workdir`), ended with its process group."""

    def __init__(self, binary: str, workdir: Path, width: int = 1280, height: int = 1600):
        self.profile = Path(workdir) / "chromium-profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        (self.profile / "DevToolsActivePort").unlink(missing_ok=True)  # a previous browser's port
        args = [binary, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
                f"--window-size={width},{height}", "--hide-scrollbars"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run its sandbox as root
        self.log = Path(workdir) / "chromium.log"  # a file, not a pipe nobody reads (a full pipe would stall the browser)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([*args, "about:blank"], stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        self.port = self._port()

    def _port(self, timeout: float = 30) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.is_file() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited {self.proc.returncode}: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port in 30 s")

    def page_ws(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            targets = json.loads(r.read())
        return next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")

    def run(self, scenario):
        """Run `async scenario(page)` on the browser's page; returns what it returns."""
        import aiohttp

        async def main():
            async with aiohttp.ClientSession() as session, session.ws_connect(self.page_ws(), max_msg_size=0) as ws:
                page = Page(ws)
                for domain in ("Runtime", "Log", "Page"):
                    await page.call(f"{domain}.enable")
                return await scenario(page)

        return asyncio.run(main())

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


async def open_page(page: Page, url: str) -> None:
    """Navigate and wait for this page's load event (not an earlier page's)."""
    start = len(page.events)
    await page.call("Page.navigate", url=url)
    await page.wait_for("Page.loadEventFired", since=start)


async def screenshot(page: Page, path: Path, width: int = 1280, max_height: int = 8000) -> Path:
    """The whole page (up to `max_height` pixels tall) as a PNG at `path`."""
    import base64

    metrics = await page.call("Page.getLayoutMetrics")
    height = min(max_height, int(metrics["cssContentSize"]["height"]) + 1)
    await page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
    shot = await page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
