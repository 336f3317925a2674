"""A replayed API server serving a chosen cluster state to `archfit exporter`.

Only the requests the exporter makes are answered: one list page per resource (limit 500, the
objects of the state, resourceVersion 700) and a watch from 700 that ends without events (the
exporter resumes it after its backoff). Everything else is a 404, as from a real server.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archfit.kube.resources import RESOURCES
from tests.integration.kube.replay import Certs, ReplayServer, Response


def _path(plural: str) -> str:
    info = RESOURCES[plural]
    prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
    return f"{prefix}/{plural}"


def serve_state(
    fixtures: Path, certs: Certs, state: dict[str, list[dict[str, Any]]]
) -> ReplayServer:
    server = ReplayServer.start(fixtures, certs)
    server.routes.clear()
    for plural, items in state.items():
        info = RESOURCES[plural]
        body = json.dumps(
            {
                "kind": f"{info.kind}List",
                "apiVersion": info.api_version,
                "metadata": {"resourceVersion": "700"},
                "items": items,
            },
            separators=(",", ":"),
        ).encode()
        server.add("GET", _path(plural), {"limit": "500"}, Response(200, body, chunked=True))
        server.add(
            "GET",
            _path(plural),
            {"watch": "1", "resourceVersion": "700"},
            Response(200, b"", chunked=True, lines=True),
        )
    return server


def get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except OSError:
            last = None
        if last:
            return last
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


@contextlib.contextmanager
def run_exporter(kubeconfig: Path) -> Iterator[str]:
    """`archfit exporter --listen 127.0.0.1:0` as a process; yields its URL once /readyz is 200."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archfit.cli.main",
            "exporter",
            "--listen",
            "127.0.0.1:0",
            "--kubeconfig",
            str(kubeconfig),
            "--no-resolve",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "serving metrics on http://127.0.0.1:" in line, line
        url = line.strip().rsplit(" ", 1)[1]
        # Keep reading its log so that a full pipe never blocks it.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        wait_for("/readyz", lambda: get(f"{url}/readyz")[0] == 200)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr is not None:
            proc.stderr.close()
