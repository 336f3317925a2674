"""Image platforms at admission, bounded: lockfile, then what is known, then the registry.

    refs ──> lockfile entry (digest-pinned by `archfit lock`)
         ──> memo (answers this process already has; tag answers for `tag_ttl`)
         ──> Resolver (persistent digest-keyed cache, then the registry)
              one task per reference, shared by every request that needs it, and left running
              after a request's budget is spent so the next pod of the same image is warm

A pod with pull secrets (`PodCredentials`) is resolved by a resolver of its own credential set
(those secrets first, then the mounted credentials): its memo entries and in-flight lookups are
keyed by (credential set, image), so one pod's secret never answers another pod's lookup.

A request waits at most `budget` seconds in total; whatever is not known by then is reported
`unresolved` and the brain gives the pod the fallback placement. A failed lookup is never turned
into a guessed platform (noe turned a 429 into "amd64 only"; here it is "not verified").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.lockfile import Lockfile
from archfit.registry import Resolution, Resolver
from archfit.service.webhook.secrets import PodCredentials, PrivateResolvers

__all__ = ["ImageSource", "LookupStats"]


@dataclass
class LookupStats:
    """Where the answers of one request came from, for the metrics."""

    lockfile: int = 0
    memo: int = 0
    cache: int = 0
    registry: int = 0
    unresolved: int = 0


def _info(resolution: Resolution) -> ImageInfo:
    if resolution.ok and resolution.digest is not None:
        return ImageInfo(resolution.ref, "resolved", resolution.digest, resolution.platforms)
    return ImageInfo(resolution.ref, "error", detail=resolution.error or "lookup failed")


class ImageSource:
    """Answers "which platforms does this image ship" within a time budget."""

    def __init__(
        self,
        resolver: Resolver | None,
        *,
        lockfile: Lockfile | None = None,
        tag_ttl: float = 3600.0,
        error_ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        private: PrivateResolvers | None = None,
    ) -> None:
        self._resolver = resolver
        self._private = private
        self.lockfile = lockfile or Lockfile()
        # Seconds a tag answer is reused without asking the resolver again (digests: forever).
        self._tag_ttl = tag_ttl
        # Seconds a failure is reused: short, so a registry that recovers is asked again soon.
        self._error_ttl = error_ttl
        self._clock = clock
        # Keyed by (credential set, image); "" is the mounted credentials alone.
        self._memo: dict[tuple[str, ImageRef], tuple[ImageInfo, float]] = {}
        self._inflight: dict[tuple[str, ImageRef], asyncio.Task[Resolution]] = {}
        # Bumped whenever an answer is new or different: a policy engine that cached answers
        # (the server shares one across requests) is replaced when it changes.
        self.version = 0

    def lookup(self, ref: ImageRef) -> ImageInfo | None:
        """`ImagePlatforms`: what is known now, without asking anyone (None: nothing)."""
        entry = self.lockfile.get(ref)
        if entry is not None:
            return ImageInfo(ref, "resolved", entry.digest, tuple(sorted(entry.platforms)))
        return self._known(("", ref), self._clock())

    def _known(self, key: tuple[str, ImageRef], now: float) -> ImageInfo | None:
        hit = self._memo.get(key)
        if hit is None:
            return None
        info, until = hit
        return info if now < until else None

    def _remember(self, key: tuple[str, ImageRef], resolution: Resolution) -> ImageInfo:
        ref = key[1]
        info = _info(resolution)
        if info.status == "resolved":
            ttl = float("inf") if ref.digest else self._tag_ttl
        else:
            ttl = self._error_ttl
        previous = self._memo.get(key)
        if previous is None or previous[0] != info:
            self.version += 1
        self._memo[key] = (info, self._clock() + ttl)
        return info

    async def _resolve(self, ref: ImageRef, credentials: PodCredentials | None) -> Resolution:
        if credentials is not None and self._private is not None:
            resolver = await self._private.get(credentials)
        else:
            assert self._resolver is not None
            resolver = self._resolver
        return await resolver.resolve(ref)

    def _task(
        self, key: tuple[str, ImageRef], credentials: PodCredentials | None
    ) -> asyncio.Task[Resolution]:
        task = self._inflight.get(key)
        if task is None:
            ref = key[1]
            task = asyncio.create_task(self._resolve(ref, credentials), name=f"resolve {ref}")
            self._inflight[key] = task

            def done(t: asyncio.Task[Resolution]) -> None:
                self._inflight.pop(key, None)
                if not t.cancelled() and t.exception() is None:
                    self._remember(key, t.result())

            task.add_done_callback(done)
        return task

    async def platforms(
        self,
        refs: Sequence[ImageRef],
        budget: float,
        credentials: PodCredentials | None = None,
    ) -> tuple[dict[ImageRef, ImageInfo], LookupStats]:
        """What is known about each of `refs` after at most `budget` seconds; with
        `credentials`, what that credential set (then the mounted one) can see."""
        if self._private is None:
            credentials = None
        scope = credentials.key if credentials is not None else ""
        stats = LookupStats()
        out: dict[ImageRef, ImageInfo] = {}
        now = self._clock()
        pending: dict[tuple[str, ImageRef], asyncio.Task[Resolution]] = {}
        for ref in refs:
            entry = self.lockfile.get(ref)
            if entry is not None:
                out[ref] = ImageInfo(ref, "resolved", entry.digest, tuple(sorted(entry.platforms)))
                stats.lockfile += 1
                continue
            known = self._known(("", ref), now)
            if known is not None and (known.status == "resolved" or credentials is None):
                out[ref] = known
                stats.memo += 1
                continue
            if credentials is not None:
                known = self._known((scope, ref), now)
                if known is not None:
                    out[ref] = known
                    stats.memo += 1
                    continue
            if self._resolver is not None:
                pending[(scope, ref)] = self._task((scope, ref), credentials)
        if pending:
            # shield: a request that gives up must not cancel the lookup other requests share
            await asyncio.wait([asyncio.shield(t) for t in pending.values()], timeout=budget)
            for key, task in pending.items():
                if not task.done() or task.cancelled() or task.exception() is not None:
                    continue
                resolution = task.result()
                out[key[1]] = self._remember(key, resolution)
                if resolution.cached:
                    stats.cache += 1
                else:
                    stats.registry += 1
        stats.unresolved = sum(1 for ref in refs if ref not in out or out[ref].status != "resolved")
        return out, stats

    def known(self, refs: Sequence[ImageRef]) -> bool:
        """Whether every one of `refs` is resolved without asking anyone (no secrets needed)."""
        return all((i := self.lookup(ref)) is not None and i.status == "resolved" for ref in refs)

    async def aclose(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._private is not None:
            await self._private.aclose()
