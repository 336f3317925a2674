"""What archfit knows about one image: its digest and the platforms it ships.

Produced by whatever answers `archfit.policy.ImagePlatforms` (the lockfile today, a registry
for `check --resolve`), consumed by the policy rules and the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from archfit.model.image import ImageRef
from archfit.model.platform import Platform

__all__ = ["ImageInfo", "ImageStatus"]

# resolved: platforms are known; unresolved: nobody has looked the image up (not in the
# lockfile); error: a lookup was attempted and failed (`detail` says why).
ImageStatus = Literal["resolved", "unresolved", "error"]


@dataclass(frozen=True, slots=True)
class ImageInfo:
    ref: ImageRef
    status: ImageStatus
    digest: str | None = None
    platforms: tuple[Platform, ...] = ()
    detail: str = ""
    # "index" (a multi-platform index or list), "manifest" (one platform), or None (unknown):
    # a node missing from an index fails to pull; a foreign single manifest pulls and crashes.
    kind: str | None = None

    @property
    def linux_platforms(self) -> tuple[Platform, ...]:
        """The platforms a Linux node could pull; other operating systems never run there."""
        return tuple(p for p in self.platforms if p.os == "linux")

    @property
    def architectures(self) -> tuple[str, ...]:
        """Sorted `arch[/variant]` of the Linux platforms, e.g. `("amd64", "arm/v7", "arm64")`."""
        return tuple(sorted({p.arch for p in self.linux_platforms}))

    @classmethod
    def unresolved(cls, ref: ImageRef, detail: str = "") -> ImageInfo:
        return cls(ref, "unresolved", detail=detail)
