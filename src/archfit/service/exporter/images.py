"""Which arches the images in use ship: the lockfile first, then the registry, in the background.

`BackgroundImages` is the `ImageLookup` the collector reads. Its `run(resolver)` task resolves
the images the view has seen and nothing has answered for yet, a small batch at a time with a
pause between batches, so that a cluster with thousands of images never bursts a registry's
rate limit (Docker Hub allows 100 manifest GETs per 6 hours anonymously); answers come from the
registry cache first (`archfit.registry.Resolver` reads it before going online). A failed image is
retried after `retry_after` seconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from archfit.errors import InvalidValue
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.policy import ImagePlatforms
from archfit.registry.resolver import Resolver
from archfit.service.exporter.view import ClusterView
from archfit.usecases.images import image_info

__all__ = ["BackgroundImages", "ResolutionSettings"]


@dataclass(frozen=True, slots=True)
class ResolutionSettings:
    # Images resolved per round; small so that a cold cache never bursts a rate limit.
    batch: int = 20
    # Seconds between rounds (and the wait when nothing is left to resolve).
    interval: float = 5.0
    # Seconds before an image whose resolution failed is tried again.
    retry_after: float = 600.0


class BackgroundImages:
    def __init__(
        self,
        view: ClusterView,
        base: ImagePlatforms | None = None,
        settings: ResolutionSettings | None = None,
    ) -> None:
        self.view = view
        self.base = base
        self.settings = settings or ResolutionSettings()
        self.known: dict[ImageRef, ImageInfo] = {}
        self._failed: dict[ImageRef, float] = {}

    def lookup(self, ref: ImageRef) -> ImageInfo | None:
        if self.base is not None:
            info = self.base.lookup(ref)
            if info is not None and info.status == "resolved":
                return info
        return self.known.get(ref)

    def unanswered(self, now: float) -> list[ImageRef]:
        """Images in use that neither the lockfile nor an earlier resolution answers."""
        out = []
        for image in sorted(self.view.images_in_use):
            try:
                ref = ImageRef.parse(image)
            except InvalidValue:
                continue
            if ref in self.known or self._failed.get(ref, 0.0) > now:
                continue
            info = self.base.lookup(ref) if self.base is not None else None
            if info is None or info.status != "resolved":
                out.append(ref)
        return out

    async def resolve_round(self, resolver: Resolver) -> int:
        """Resolve one batch; returns how many images were asked for."""
        now = time.time()
        batch = self.unanswered(now)[: self.settings.batch]
        if not batch:
            return 0
        for resolution in await resolver.resolve_many(batch):
            if resolution.ok:
                self.known[resolution.ref] = image_info(resolution)
                self._failed.pop(resolution.ref, None)
            else:
                self.view.health.errors["images"] += 1
                self._failed[resolution.ref] = now + self.settings.retry_after
        return len(batch)

    async def run(self, resolver: Resolver) -> None:
        while True:
            await self.resolve_round(resolver)
            await asyncio.sleep(self.settings.interval)
