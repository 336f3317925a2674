"""`archfit.service.webhook.server.serve` for real, in a thread, over HTTPS on 127.0.0.1, and
what the tests read of its answers."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx2
import jsonpatch
import uvicorn

from archfit.model.node import Node
from archfit.registry import ResolverConfig
from archfit.service.webhook.server import ServerConfig, serve
from archfit.service.webhook.settings import WebhookOptions
from tests.integration.registry.helpers import FAST
from tests.support.tls import LOOPBACK_NAMES, TestCA, name, pem_cert, pem_key

ARCH = "kubernetes.io/arch"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"

# The fixtures of conftest.py. `serve_webhook(**fields)`: a running server (with ServerConfig
# `fields` such as `options=`) and an HTTPS client that trusts it.
ServeWebhook = Callable[..., AbstractContextManager[tuple["RunningWebhook", httpx2.Client]]]
# `pod_review(number, image)`: recorded review `number` with its first container's image replaced.
PodReview = Callable[[str, str], dict[str, Any]]


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


def server_config(
    certs: Certs,
    nodes: tuple[Node, ...],
    tmp_path: Path,
    *,
    ca_file: str | None = None,
    **kwargs: Any,
) -> ServerConfig:
    """A server for the tests: fast registry settings, a cache of its own, no docker config,
    registries trusted with `ca_file`, files re-read every 0.1 s; `kwargs` are further
    `ServerConfig` fields (`options`, `config`, `kubeconfig`)."""
    options = kwargs.pop("options", WebhookOptions())
    return ServerConfig(
        listen="127.0.0.1:0",
        cert_file=certs.cert,
        key_file=certs.key,
        cluster_nodes=nodes,
        options=options,
        resolver=ResolverConfig(
            settings=FAST,
            cache_dir=tmp_path / "cache",
            docker_config=Path("/nonexistent/archfit-test/config.json"),
            ca_file=ca_file,
        ),
        cert_poll=0.1,
        policy_poll=0.1,
        **kwargs,
    )


def review_with_image(requests_dir: Path, number: str, image: str) -> dict[str, Any]:
    """Recorded review `number` with its first container's image replaced."""
    (path,) = requests_dir.glob(f"{number}-*.json")
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body["request"]["object"]["spec"]["containers"][0]["image"] = image
    return body


def patched(answer: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    response = answer["response"]
    ops = json.loads(base64.b64decode(response["patch"])) if "patch" in response else []
    result: dict[str, Any] = jsonpatch.JsonPatch(ops).apply(obj)
    return result


def required_arch(obj: dict[str, Any]) -> list[list[str]]:
    """The architectures each required node term allows (the terms are ORed)."""
    affinity = obj["spec"].get("affinity", {}).get("nodeAffinity", {}).get(REQUIRED)
    if not affinity:
        return []
    return [
        [v for e in term.get("matchExpressions", []) if e["key"] == ARCH for v in e["values"]]
        for term in affinity["nodeSelectorTerms"]
    ]
