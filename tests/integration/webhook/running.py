"""`archfit.service.webhook.server.serve` for real, in a thread, over HTTPS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx2
import uvicorn

from archfit.service.webhook.server import ServerConfig, serve
from tests.support.tls import LOOPBACK_NAMES, TestCA, name, pem_cert, pem_key


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path
    authority: TestCA

    def rotate(self, common: str) -> None:
        """A new leaf from the same CA, written key first (as cert-manager's Secret update
        lands: not atomically across the two files)."""
        cert, key = self.authority.issue(name(common), sans=LOOPBACK_NAMES)
        self.key.write_bytes(pem_key(key))
        self.cert.write_bytes(pem_cert(cert))


def make_certs(directory: Path, common: str = "webhook-1") -> Certs:
    ca = TestCA.create("archfit webhook test CA")
    cert, key = ca.issue(name(common), sans=LOOPBACK_NAMES)
    (directory / "ca.pem").write_bytes(pem_cert(ca.cert))
    (directory / "tls.crt").write_bytes(pem_cert(cert))
    (directory / "tls.key").write_bytes(pem_key(key))
    return Certs(directory / "ca.pem", directory / "tls.crt", directory / "tls.key", ca)


class RunningWebhook:
    def __init__(self, config: ServerConfig) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.config = replace(config, listen=f"127.0.0.1:{self.port}")
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _run(self) -> None:
        def started(server: uvicorn.Server) -> None:
            self._server = server
            self._loop = asyncio.get_running_loop()

        try:
            asyncio.run(serve(self.config, sock=self._sock, started=started))
        except BaseException as err:  # noqa: BLE001 - reported by the test that waits
            self.error = err

    def __enter__(self) -> RunningWebhook:
        self._thread.start()
        deadline = time.monotonic() + 15
        while self._server is None or not self._server.started:
            if self.error is not None:
                raise self.error
            if time.monotonic() > deadline:
                raise TimeoutError("webhook did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(setattr, self._server, "should_exit", True)
        self._thread.join(15)
        self._sock.close()

    def client(self, ca: Path, **kwargs: Any) -> httpx2.Client:
        context = ssl.create_default_context(cafile=str(ca))
        return httpx2.Client(base_url=self.url, verify=context, timeout=15.0, **kwargs)
