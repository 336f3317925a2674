"""Run the webhook: uvicorn over TLS, the node watch, policy and certificate reloads.

    serve(ServerConfig) ──> TLS context (reloaded when the files change: cert-manager rotation)
                        ──> Resolver (persistent cache + registry) ──> ImageSource
                        ──> NodeWatch (archfit.kube) or StaticNodes, PolicyFile ──> Views
                        ──> build_app ──> uvicorn.Server on one socket

The certificate files are checked every `cert_poll` seconds; a new pair is loaded into the same
`SSLContext`, so new connections get it and open ones are not dropped. A pair that does not load
(cert-manager writes the two files one after the other) keeps the old one until the next check.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import ssl
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from archfit.errors import InputError
from archfit.model.lockfile import Lockfile
from archfit.model.node import Node
from archfit.registry import Resolver, ResolverConfig, open_resolver
from archfit.registry.credentials.interface import CredentialProvider
from archfit.registry.factory import open_private_resolver
from archfit.service.webhook.app import SecretReader, build_app
from archfit.service.webhook.cluster import NodeSource, NodeWatch, PolicyFile, StaticNodes, Views
from archfit.service.webhook.images import ImageSource
from archfit.service.webhook.metrics import Metrics
from archfit.service.webhook.secrets import PodCredentials, PrivateResolvers, read_pod_credentials
from archfit.service.webhook.settings import WebhookOptions

__all__ = ["CertReloader", "ServerConfig", "parse_listen", "serve"]

log = logging.getLogger("archfit.webhook")


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 in brackets) into its parts; raises `InputError`."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host or int(port) > 65535:
        raise InputError(f"--listen {text!r}: expected HOST:PORT, e.g. 0.0.0.0:8443")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class ServerConfig:
    listen: str
    cert_file: Path
    key_file: Path
    config: Path | None = None
    lock: Path | None = None
    kubeconfig: Path | None = None
    context: str | None = None
    # A fixed inventory instead of the node watch (no API server needed).
    cluster_nodes: tuple[Node, ...] | None = None
    options: WebhookOptions = field(default_factory=WebhookOptions)
    resolver: ResolverConfig = field(default_factory=ResolverConfig)
    # Seconds between checks of the certificate files and of the policy file.
    cert_poll: float = 5.0
    policy_poll: float = 2.0


class CertReloader:
    """One server `SSLContext` whose certificate follows the files."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.cert, self.key = cert, key
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._digest = b""
        self.loads = 0
        if not self.check():
            raise InputError("cannot load the TLS certificate and key", where=str(cert))

    def _read(self) -> bytes | None:
        try:
            return hashlib.sha256(self.cert.read_bytes() + b"\0" + self.key.read_bytes()).digest()
        except OSError:
            return None

    def check(self) -> bool:
        """Load the pair when the files changed; True when the context holds a usable pair."""
        digest = self._read()
        if digest is None:
            return self.loads > 0
        if digest == self._digest:
            return True
        try:
            self.context.load_cert_chain(str(self.cert), str(self.key))
        except (ssl.SSLError, OSError) as err:
            log.warning(
                "TLS pair not loaded; keeping the previous one",
                extra={"fields": {"error": str(err)}},
            )
            return self.loads > 0
        self._digest = digest
        self.loads += 1
        if self.loads > 1:
            log.info("TLS certificate reloaded", extra={"fields": {"file": str(self.cert)}})
        return True

    async def run(self, poll: float) -> None:
        while True:
            await asyncio.sleep(poll)
            self.check()


def _read_lockfile(path: Path | None) -> Lockfile | None:
    if path is None:
        return None
    from archfit.sources import read_lockfile  # noqa: PLC0415

    return read_lockfile(path)


async def serve(
    config: ServerConfig,
    *,
    sock: socket.socket | None = None,
    started: Callable[[uvicorn.Server], None] | None = None,
) -> None:
    """Serve until the process is told to stop (SIGTERM/SIGINT, or `server.should_exit`)."""
    tls = CertReloader(config.cert_file, config.key_file)
    policy = PolicyFile(config.config, poll=config.policy_poll)
    lockfile = _read_lockfile(config.lock)
    if sock is None:
        host, port = parse_listen(config.listen)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    # Accepted connections inherit this on Linux. Without it, an answer written as two TLS
    # records (headers, then body) waits for the client's delayed ACK: 40 ms per admission.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    async with AsyncExitStack() as stack:
        resolver = await stack.enter_async_context(open_resolver(config.resolver))
        nodes: NodeSource = StaticNodes(config.cluster_nodes or ())
        private: PrivateResolvers | None = None
        read_secrets: SecretReader | None = None
        # The API server: the node watch (unless the inventory is fixed) and the pull secrets.
        if config.cluster_nodes is None or config.kubeconfig is not None:
            from archfit.kube.client import KubeApi  # noqa: PLC0415
            from archfit.kube.config import load_target  # noqa: PLC0415

            target = load_target(kubeconfig=config.kubeconfig, context=config.context)
            api = await stack.enter_async_context(KubeApi(target))
            if config.cluster_nodes is None:
                nodes = NodeWatch(api)

            def open_private(first: CredentialProvider) -> AbstractAsyncContextManager[Resolver]:
                return open_private_resolver(config.resolver, first)

            async def read(namespace: str, pod: Any) -> tuple[PodCredentials | None, list[str]]:
                return await read_pod_credentials(api, namespace, pod)

            private = PrivateResolvers(open_private)
            read_secrets = read

        images = ImageSource(
            resolver,
            lockfile=lockfile,
            tag_ttl=config.resolver.settings.tag_ttl,
            private=private,
        )
        stack.push_async_callback(images.aclose)
        views = Views(nodes, policy, config.options)
        metrics = Metrics(resolver.client)
        app = build_app(views, images, metrics, read_secrets=read_secrets)
        uv_config = uvicorn.Config(
            app,
            ssl_context_factory=lambda _config, _default: tls.context,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(uv_config)
        tasks = [
            asyncio.create_task(nodes.run(), name="node watch"),
            asyncio.create_task(policy.run(), name="policy reload"),
            asyncio.create_task(tls.run(config.cert_poll), name="certificate reload"),
        ]
        if started is not None:
            started(server)
        try:
            await server.serve(sockets=[sock])
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
