"""Where the policy gets image platforms from: a small protocol the entry points implement.

The policy never reads files or talks to registries. `archfit.usecases.check` injects an
`ImagePlatforms`: `LockfileImages` (offline, from `archfit.lock`) or a registry-backed one for
`check --resolve`. Implementations may return None for "don't know", which counts as
unresolved.
"""

from __future__ import annotations

from typing import Protocol

from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.lockfile import Lockfile

__all__ = ["ImagePlatforms", "LockfileImages"]


class ImagePlatforms(Protocol):
    """Answers which platforms an image ships.

    `lookup` returns an `ImageInfo` whose status is `resolved` (platforms known), `unresolved`
    (nobody looked) or `error` (a lookup failed; `detail` says why), or None when it has no
    answer at all. It must not raise for a missing image.
    """

    def lookup(self, ref: ImageRef) -> ImageInfo | None: ...


class LockfileImages:
    """Platforms from an `archfit.lock`; images missing from it are unresolved."""

    def __init__(self, lockfile: Lockfile | None, *, source: str = "archfit.lock") -> None:
        self._lockfile = lockfile or Lockfile()
        self._source = source

    def lookup(self, ref: ImageRef) -> ImageInfo:
        entry = self._lockfile.get(ref)
        if entry is None:
            return ImageInfo.unresolved(ref, f"not in {self._source}")
        return ImageInfo(
            ref, "resolved", entry.digest, tuple(sorted(entry.platforms)), kind=entry.kind
        )
