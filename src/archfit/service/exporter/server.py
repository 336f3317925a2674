"""`archfit exporter`: the watches that keep the view current, and the HTTP endpoints.

    list every resource once, in `RESOURCES` order (owners before pods) ──> ClusterView
    one follow() per resource (watch, resume, relist on 410)  ──> ClusterView.apply per event
    GET /metrics  ──> ViewCollector (reads the view; never lists the API)
    GET /healthz  ──> 200 while the process serves
    GET /readyz   ──> 200 once every resource has been listed, else 503

Watches and HTTP share one event loop, so an event is applied completely before a scrape reads
the view. A watch that fails is restarted with exponential backoff and counted in
`archfit_watch_restarts_total`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from archfit.errors import ArchfitError
from archfit.kube.client import KubeApi, ListResult
from archfit.kube.errors import Expired, KubeConfigError
from archfit.service.exporter.images import BackgroundImages
from archfit.service.exporter.metrics import ViewCollector
from archfit.service.exporter.view import RESOURCES, ClusterView
from archfit.sources.runtime import gc_paused

__all__ = ["Exporter", "WatchSettings", "make_app"]

log = logging.getLogger("archfit.exporter")


@dataclass(frozen=True, slots=True)
class WatchSettings:
    # Seconds before the first retry of a failed watch; doubled per failure in a row.
    backoff: float = 1.0
    # Upper bound of that wait, in seconds.
    max_backoff: float = 30.0
    # Objects per list page (the initial sync and relists read page by page).
    chunk_size: int = 500


@dataclass
class Exporter:
    """Owns the view and the watch tasks of one API connection."""

    api: KubeApi
    view: ClusterView
    images: BackgroundImages | None = None
    settings: WatchSettings = field(default_factory=WatchSettings)
    resolve: Callable[[BackgroundImages], Coroutine[Any, Any, None]] | None = None
    _versions: dict[str, str] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def registry(self) -> CollectorRegistry:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ViewCollector(self.view, self.images))
        return registry

    async def sync(self, resource: str) -> None:
        """List `resource` page by page into the view, then drop what the list did not have.
        Objects are applied as each page arrives, so memory never holds the whole list."""
        result = ListResult()
        seen: set[tuple[str, str]] = set()
        while True:
            try:
                async for obj in self.api.list(
                    resource, chunk_size=self.settings.chunk_size, result=result
                ):
                    seen.add(self.view.upsert(resource, obj))
                break
            except Expired:  # the continue token expired: list again from the start
                result = ListResult()
                seen.clear()
        self.view.synced(resource, seen)
        self._versions[resource] = result.resource_version

    async def initial_sync(self) -> None:
        """List every resource in order, retrying each with backoff until it is read."""
        for resource in RESOURCES:
            failures = 0
            while True:
                try:
                    await self.sync(resource)
                    break
                except KubeConfigError:
                    raise
                except ArchfitError as err:
                    failures += 1
                    self.view.health.restarts[resource] += 1
                    log.warning("listing %s failed (%s); retrying", resource, err)
                    await asyncio.sleep(self._delay(failures))

    def _delay(self, failures: int) -> float:
        return min(self.settings.max_backoff, self.settings.backoff * 2.0 ** max(failures - 1, 0))

    async def follow(self, resource: str) -> None:
        """Apply every change of `resource` forever; `follow` relists on 410 by itself."""
        failures = 0
        while True:
            version = self._versions.get(resource)
            try:
                async for event in self.api.follow(resource, resource_version=version):
                    failures = 0
                    self.view.apply(resource, event)
                    if event.resource_version:
                        self._versions[resource] = event.resource_version
                    if event.type == "SYNC":
                        self.view.health.restarts[resource] += 1
                # The stream ended without an error: resume from the last version after a
                # short pause (a server that closes at once must not be polled in a loop).
                await asyncio.sleep(self.settings.backoff)
            except ArchfitError as err:
                failures += 1
                self.view.health.restarts[resource] += 1
                log.warning("watching %s failed (%s); retrying", resource, err)
                await asyncio.sleep(self._delay(failures))
                if failures > 1:
                    # Repeated failures: start again from a fresh list.
                    self._versions.pop(resource, None)

    async def prime(self) -> None:
        """The initial sync, with the garbage collector handled for a large view."""
        # The initial sync builds hundreds of thousands of small acyclic objects: collections
        # during it walk the growing heap for nothing. Afterwards the view is moved out of the
        # collector's generations (gc.freeze), so that scrapes do not walk it either.
        with gc_paused():
            await self.initial_sync()
        gc.collect()
        gc.freeze()

    async def start(self) -> None:
        await self.prime()
        for resource in RESOURCES:
            self._tasks.append(asyncio.create_task(self.follow(resource), name=f"watch-{resource}"))
        if self.images is not None and self.resolve is not None:
            self._tasks.append(asyncio.create_task(self.resolve(self.images), name="images"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


def _report_failure(task: asyncio.Task[None]) -> None:
    # Only a configuration error ends the start (API errors are retried): /readyz stays 503.
    if not task.cancelled() and task.exception() is not None:
        log.error("the exporter cannot start: %s", task.exception())


def make_app(exporter: Exporter) -> Starlette:
    """The HTTP app; its lifespan starts the watches and stops them on shutdown. The initial
    sync runs in the background so that /healthz answers while a large cluster is listed."""
    registry = exporter.registry()

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_: Request) -> Response:
        if exporter.view.health.synced:
            return PlainTextResponse("ready\n")
        return PlainTextResponse("initial sync in progress\n", status_code=503)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        starting = asyncio.create_task(exporter.start(), name="initial-sync")
        starting.add_done_callback(_report_failure)
        try:
            yield
        finally:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            await exporter.stop()

    return Starlette(
        routes=[
            Route("/metrics", metrics),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
