"""A real headless Chromium driven over the DevTools protocol, for the HTML report's tests.

`Chromium.start()` launches Debian's `chromium` on a fresh profile with
`--remote-debugging-port=0` and reads the port it chose from `DevToolsActivePort`; `open(url,
width)` loads a page in a new tab of that width and records every console message, uncaught
exception, log entry and network request while it loads. Under CI=true a missing chromium
fails the test (`require_chromium`), elsewhere it skips.
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from websockets.sync.client import ClientConnection, connect

__all__ = ["Chromium", "Tab", "require_chromium"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)


def require_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "chromium is not installed (apt-get install -y chromium; scripts/test does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Tab:
    """One page: what it logged and requested while loading, and ways to look at it."""

    browser: Chromium
    session: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> Image.Image:
        """The whole page (beyond the viewport), as an RGB image."""
        size = self.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        shot = self.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
        )
        return Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")


class Chromium:
    def __init__(self, binary: str) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="archfit-chromium-")
        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or len(port_file.read_text().splitlines()) < 2:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        # Entered as a context manager, which is how websockets wants its sync client used.
        self._stack = contextlib.ExitStack()
        self._ws: ClientConnection = self._stack.enter_context(
            connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=10)
        )
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    @classmethod
    def start(cls) -> Chromium:
        return cls(require_chromium())

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:
            reply = json.loads(self._ws.recv(timeout=60))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._events.append(reply)

    def _drain(self, tab: Tab, until: str | None, timeout: float) -> None:
        """Sort events into `tab`; with `until`, wait for that event of the tab."""
        deadline = time.monotonic() + timeout
        while True:
            while self._events:
                event = self._events.pop(0)
                if event.get("sessionId") != tab.session:
                    continue
                method, params = event.get("method"), event.get("params", {})
                if method == "Runtime.consoleAPICalled" and params.get("type") in {
                    "error",
                    "assert",
                }:
                    tab.console_errors.append(json.dumps(params.get("args")))
                elif method == "Runtime.exceptionThrown":
                    tab.console_errors.append(json.dumps(params.get("exceptionDetails")))
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    tab.console_errors.append(params["entry"].get("text", ""))
                elif method == "Network.requestWillBeSent":
                    tab.requests.append(params["request"]["url"])
                elif method == until:
                    return
            if until is None:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {until} within {timeout}s")
            self._events.append(json.loads(self._ws.recv(timeout=remaining)))

    def open(self, url: str, *, width: int, height: int = 900, mobile: bool = False) -> Tab:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        tab = Tab(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.send(f"{domain}.enable")
        tab.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        tab.send("Page.navigate", url=url)
        self._drain(tab, "Page.loadEventFired", 60)
        # Events the page sends just after load (a late script error) are collected too.
        tab.send(
            "Runtime.evaluate", expression="new Promise(r => setTimeout(r, 200))", awaitPromise=True
        )
        self._drain(tab, None, 0)
        return tab

    def collect(self, tab: Tab) -> None:
        self._drain(tab, None, 0)

    def close(self) -> None:
        stack = getattr(self, "_stack", None)
        if stack is not None:
            stack.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._profile.cleanup()
