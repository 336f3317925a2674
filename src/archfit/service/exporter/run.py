"""Start the exporter: connect, bind, serve until interrupted (the CLI's `asyncio.run` target)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from archfit.errors import InputError
from archfit.kube.client import KubeApi
from archfit.kube.config import load_target
from archfit.policy import LockfileImages, Settings
from archfit.service.exporter.images import BackgroundImages
from archfit.service.exporter.server import Exporter, WatchSettings, make_app
from archfit.service.exporter.view import ClusterView
from archfit.sources import read_lockfile

__all__ = ["ExporterOptions", "parse_listen", "serve"]


@dataclass(frozen=True, slots=True)
class ExporterOptions:
    host: str
    port: int
    settings: Settings
    kubeconfig: Path | None = None
    context: str | None = None
    lock: Path | None = None
    # A registry ResolverConfig for background resolution, or None to use the lockfile only.
    resolver: Any = None
    watch: WatchSettings = field(default_factory=WatchSettings)


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:9090` for IPv6); port 0 picks a free port."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise InputError(f"--listen: expected HOST:PORT (e.g. 0.0.0.0:9090), got {text!r}")
    return host, int(port)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise InputError(f"--listen: cannot bind {host}:{port}: {err.strerror}") from None
    sock.listen(128)
    return sock


async def serve(options: ExporterOptions, announce: Callable[[str], None]) -> None:
    """Run until cancelled; `announce` receives the URL once the socket is bound."""
    target = load_target(kubeconfig=options.kubeconfig, context=options.context)
    base = (
        LockfileImages(read_lockfile(options.lock), source=options.lock.name)
        if options.lock
        else None
    )
    view = ClusterView(options.settings)
    images = BackgroundImages(view, base)
    sock = _bind(options.host, options.port)
    async with contextlib.AsyncExitStack() as stack:
        api = await stack.enter_async_context(KubeApi(target, chunk_size=options.watch.chunk_size))
        resolve = None
        if options.resolver is not None:
            from archfit.registry.factory import open_resolver  # noqa: PLC0415

            resolver = await stack.enter_async_context(open_resolver(options.resolver))

            async def resolve(found: BackgroundImages) -> None:
                await found.run(resolver)

        exporter = Exporter(api, view, images, options.watch, resolve)
        config = uvicorn.Config(
            make_app(exporter), log_level="warning", access_log=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        host, port = sock.getsockname()[:2]
        announce(f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}")
        await server.serve(sockets=[sock])
