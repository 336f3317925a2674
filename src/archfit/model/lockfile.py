"""The image lockfile (`archfit.lock`): what each image reference resolves to.

    apiVersion: archfit.dev/v1alpha1
    kind: ImageLock
    images:
      docker.io/library/nginx:1.27:          # the normalised reference, as ImageRef prints it
        digest: sha256:…                     # what the tag pointed at when resolved
        kind: index                          # index | manifest
        platforms: [linux/amd64, linux/arm64, linux/arm/v7]
        platformDigests: {linux/amd64: sha256:…}   # optional: per-platform manifest digests
        resolvedAt: "2026-11-22T07:00:00Z"   # optional: when it was resolved (UTC)

Platforms are normalised (`Platform`), sorted, and exclude attestation entries. Non-linux
platforms may appear; they never make an image run on a Linux node. Keys are sorted so diffs stay
small. This module converts between the decoded document and values; reading and atomic writing
of the file belong to the callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from archfit.errors import InvalidValue
from archfit.model.image import ImageRef
from archfit.model.platform import Platform, require_goarch

__all__ = ["LOCK_API_VERSION", "LOCK_KIND", "LockEntry", "Lockfile", "ManifestKind"]

LOCK_API_VERSION = "archfit.dev/v1alpha1"
LOCK_KIND = "ImageLock"
ManifestKind = Literal["index", "manifest"]


@dataclass(frozen=True, slots=True)
class LockEntry:
    ref: str
    digest: str
    kind: ManifestKind
    platforms: tuple[Platform, ...]
    platform_digests: Mapping[str, str] = field(default_factory=dict)
    resolved_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "digest": self.digest,
            "kind": self.kind,
            "platforms": [str(p) for p in sorted(self.platforms)],
        }
        if self.platform_digests:
            out["platformDigests"] = dict(sorted(self.platform_digests.items()))
        if self.resolved_at:
            out["resolvedAt"] = self.resolved_at
        return out


@dataclass(frozen=True, slots=True)
class Lockfile:
    entries: Mapping[str, LockEntry] = field(default_factory=dict)

    def get(self, ref: ImageRef) -> LockEntry | None:
        """The entry for `ref`; a digest-pinned reference also matches an entry by digest alone."""
        entry = self.entries.get(str(ref))
        if entry is None and ref.digest is not None:
            entry = self.entries.get(f"{ref.name}@{ref.digest}")
        return entry

    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": LOCK_API_VERSION,
            "kind": LOCK_KIND,
            "images": {ref: self.entries[ref].to_dict() for ref in sorted(self.entries)},
        }

    @classmethod
    def from_dict(cls, doc: Any) -> Lockfile:
        """Decode a lockfile document; raises `InvalidValue` naming the field that is wrong."""
        if not isinstance(doc, Mapping):
            raise InvalidValue("expected a mapping with apiVersion, kind and images")
        if doc.get("apiVersion") != LOCK_API_VERSION or doc.get("kind") != LOCK_KIND:
            raise InvalidValue(
                f"expected apiVersion {LOCK_API_VERSION} and kind {LOCK_KIND}, got "
                f"{doc.get('apiVersion')!r} and {doc.get('kind')!r}",
                where="kind",
            )
        images = doc.get("images") or {}
        if not isinstance(images, Mapping):
            raise InvalidValue("expected a mapping of image reference to entry", where="images")
        entries: dict[str, LockEntry] = {}
        for raw_ref, raw in images.items():
            where = f"images.{raw_ref}"
            try:
                ref = str(ImageRef.parse(str(raw_ref)))
            except InvalidValue as err:
                raise err.at(where) from None
            if not isinstance(raw, Mapping):
                raise InvalidValue("expected a mapping with digest, kind, platforms", where=where)
            digest, kind = raw.get("digest"), raw.get("kind", "index")
            if not isinstance(digest, str) or ":" not in digest:
                raise InvalidValue("expected a digest such as sha256:…", where=f"{where}.digest")
            if kind not in ("index", "manifest"):
                raise InvalidValue("expected index or manifest", where=f"{where}.kind")
            plats = raw.get("platforms") or []
            if not isinstance(plats, list):
                raise InvalidValue(
                    "expected a list such as [linux/amd64]", where=f"{where}.platforms"
                )
            try:
                platforms = tuple(Platform.parse(str(p)) for p in plats)
            except InvalidValue as err:
                raise err.at(f"{where}.platforms") from None
            for i, platform in enumerate(platforms):
                require_goarch(platform.architecture, f"{where}.platforms[{i}]")
            pd = raw.get("platformDigests") or {}
            if not isinstance(pd, Mapping):
                raise InvalidValue("expected a mapping", where=f"{where}.platformDigests")
            entries[ref] = LockEntry(
                ref=ref,
                digest=digest,
                kind=kind,
                platforms=platforms,
                platform_digests={str(k): str(v) for k, v in pd.items()},
                resolved_at=str(raw["resolvedAt"]) if raw.get("resolvedAt") else None,
            )
        return cls(entries)
