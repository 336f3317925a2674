"""Resolve image references to the platforms they ship: cache first, then the registry.

For each distinct reference, in one run:

1. Tag → digest: the cached answer while younger than `tag_ttl`. Otherwise the first endpoint
   that may resolve tags (mirrors in order, then the registry) is asked: with `HEAD` when an
   older answer is cached (the digest has most likely not moved, and its platforms are cached,
   so re-checking a tag costs no GET), with one `GET` by tag when the tag was never seen (the
   same GET that a HEAD would be followed by, minus a round trip). A digest-pinned reference
   skips this step: the runtime pulls by digest.
2. Digest → platforms: the cache (digests are immutable), else the manifest — the body from
   step 1, or one `GET` by digest — verified against its digest. An index gives its platforms
   from `manifests[].platform` (attestations dropped, children never fetched); a single
   manifest costs one more `GET` of its config blob, whose `architecture`/`os`/`variant` is
   the platform.

So a cold image costs exactly one manifest GET (plus the config blob for single-platform
images), a tag whose cached answer expired costs one HEAD and no GET unless it moved, and a
warm image costs no request. HEAD requests are free under Docker Hub's pull quota and GETs are
not: no GET is ever made that a cached digest could answer, and child manifests are never
fetched. Every body is hashed and checked against the digest it was asked by (or, for a GET by
tag, against the `Docker-Content-Digest` the registry sent).

When the registry is unreachable and an expired tag answer is cached, that answer is served and
flagged `stale`. A definitive failure (404, 401, a bad manifest) is remembered for
`negative_ttl`. Any failure is reported as the result's `error`: never a guessed platform.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

from archfit.model.image import ImageRef
from archfit.model.lockfile import LockEntry, ManifestKind
from archfit.model.platform import Platform
from archfit.registry.cache import Cache, CachedDigest, CachedTag
from archfit.registry.client import RegistryClient
from archfit.registry.endpoints import Endpoint
from archfit.registry.errors import BadResponse, RegistryError
from archfit.registry.mirrors import MirrorMap
from archfit.registry.parse import parse_manifest, platform_from_config

__all__ = ["Resolution", "Resolver"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an image reference resolves to, or why it could not be resolved.

    `platforms` are normalised and sorted; non-linux ones are included. `child_of` is set when
    a pinned digest is one platform's manifest inside an index (the index digest). `stale` means
    the tag answer is older than its TTL and was served because the registry failed.
    """

    ref: ImageRef
    digest: str | None = None
    kind: ManifestKind | None = None
    platforms: tuple[Platform, ...] = ()
    platform_digests: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None
    stale: bool = False
    child_of: str | None = None
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def lock_entry(self, resolved_at: str | None = None) -> LockEntry:
        if self.digest is None or self.kind is None:
            raise ValueError(f"{self.ref} did not resolve: {self.error}")
        return LockEntry(
            ref=str(self.ref),
            digest=self.digest,
            kind=self.kind,
            platforms=self.platforms,
            platform_digests=dict(self.platform_digests),
            resolved_at=resolved_at,
        )


def _tag_key(ref: ImageRef) -> str:
    return f"{ref.registry}/{ref.repository}:{ref.tag}"


class Resolver:
    """Resolves references through a `RegistryClient`, a `Cache` and the mirror map."""

    def __init__(
        self,
        client: RegistryClient,
        *,
        cache: Cache | None = None,
        mirrors: MirrorMap | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self.mirrors = mirrors or MirrorMap()
        # One fetch per (registry, digest) in flight, shared by every reference that needs it.
        self._records: dict[tuple[str, str], asyncio.Task[CachedDigest]] = {}
        self._known: dict[str, CachedDigest] = {}
        self._parents: dict[str, str] = {}
        # Manifests fetched by tag, kept until the digest step uses them (no second GET).
        self._bodies: dict[str, tuple[bytes, str]] = {}

    async def resolve(self, ref: ImageRef, *, refresh: bool = False) -> Resolution:
        return (await self.resolve_many([ref], refresh=refresh))[0]

    async def resolve_many(
        self,
        refs: Sequence[ImageRef],
        *,
        refresh: bool = False,
        on_done: Callable[[Resolution], None] | None = None,
    ) -> list[Resolution]:
        """Resolve every reference (each distinct one once); results in the order given.

        `refresh` asks the registry for every tag even when a fresh answer is cached.
        `on_done` is called once per distinct reference as soon as it is resolved.
        """
        unique = list(dict.fromkeys(refs))
        results: dict[ImageRef, Resolution] = {}
        now = time.time()
        cache = self.cache
        tags: dict[str, CachedTag] = {}
        pending: list[ImageRef] = []
        if cache is not None:
            pending = self._from_cache(
                cache, unique=unique, results=results, tags=tags, refresh=refresh, now=now
            )
            if on_done is not None:
                for resolution in results.values():
                    on_done(resolution)
        else:
            pending = unique

        async def one(ref: ImageRef) -> None:
            resolution = await self._resolve_online(ref, tags.get(_tag_key(ref)), refresh)
            results[ref] = resolution
            if on_done is not None:
                on_done(resolution)

        if pending:
            await asyncio.gather(*(one(ref) for ref in pending))
        if cache is not None:
            cache.flush()
        return [results[ref] for ref in refs]

    def _from_cache(
        self,
        cache: Cache,
        *,
        unique: Sequence[ImageRef],
        results: dict[ImageRef, Resolution],
        tags: dict[str, CachedTag],
        refresh: bool,
        now: float,
    ) -> list[ImageRef]:
        """Resolve what the cache can answer into `results`; return the references left over."""
        tags.update(cache.tags([_tag_key(r) for r in unique if r.tag is not None]))
        failures = {} if refresh else cache.failures([str(r) for r in unique], now=now)
        ttl = self.client.settings.tag_ttl

        def fresh_tag(ref: ImageRef) -> str | None:
            tag = tags.get(_tag_key(ref)) if ref.tag is not None else None
            if tag is None or refresh or now - tag.fetched_at >= ttl:
                return None
            return tag.digest

        wanted: dict[ImageRef, str] = {}
        for ref in unique:
            failure = failures.get(str(ref))
            if failure is not None:
                results[ref] = Resolution(
                    ref, error=failure.message, error_type=failure.error, cached=True
                )
                continue
            digest = ref.digest or fresh_tag(ref)
            if digest is not None:
                wanted[ref] = digest
        lookups = list(wanted.values())
        lookups += [d for r in wanted if r.digest and (d := fresh_tag(r)) is not None]
        records = cache.digests(lookups)
        self._known.update(records)
        manifests = [d for d, rec in records.items() if rec.kind == "manifest"]
        self._parents.update({c: p for c, (p, _) in cache.parents(manifests).items()})
        pending = []
        for ref in unique:
            if ref in results:
                continue
            digest = wanted.get(ref)
            record = records.get(digest) if digest else None
            if digest is None or record is None:
                pending.append(ref)
                continue
            if ref.tag and ref.digest and record.kind == "manifest" and digest not in self._parents:
                # name:tag@digest pinned to one manifest: the tag's index (when cached) tells
                # whether the digest is one of its children.
                tag_digest = fresh_tag(ref)
                index = records.get(tag_digest) if tag_digest else None
                if tag_digest is None or (tag_digest != digest and index is None):
                    pending.append(ref)
                    continue
                if index is not None and digest in index.platform_digests.values():
                    self._parents[digest] = tag_digest
            results[ref] = self._from_record(ref, digest, record, cached=True)
        return pending

    def _from_record(
        self, ref: ImageRef, digest: str, record: CachedDigest, *, cached: bool, stale: bool = False
    ) -> Resolution:
        return Resolution(
            ref,
            digest=digest,
            kind=cast(ManifestKind, record.kind),
            platforms=record.platforms,
            platform_digests=record.platform_digests,
            stale=stale,
            child_of=self._parents.get(digest) if record.kind == "manifest" else None,
            cached=cached,
        )

    async def _resolve_online(
        self, ref: ImageRef, cached_tag: CachedTag | None, refresh: bool
    ) -> Resolution:
        endpoints = self.mirrors.endpoints(ref.registry)
        stale = False
        try:
            if ref.digest is not None:
                digest = ref.digest
            else:
                fresh = (
                    cached_tag is not None
                    and not refresh
                    and time.time() - cached_tag.fetched_at < self.client.settings.tag_ttl
                )
                if fresh and cached_tag is not None:
                    digest = cached_tag.digest
                else:
                    try:
                        digest = await self._resolve_tag(
                            ref, endpoints, probe=cached_tag is not None
                        )
                    except RegistryError as err:
                        if not err.transient or cached_tag is None:
                            raise
                        digest, stale = cached_tag.digest, True
            record = await self._record(ref, digest, endpoints)
            if record.kind == "manifest" and ref.tag and ref.digest and digest not in self._parents:
                await self._find_parent(ref, digest, endpoints)
        except RegistryError as err:
            if self.cache is not None and not err.transient:
                self.cache.put_failure(
                    str(ref), type(err).__name__, str(err), self.client.settings.negative_ttl
                )
            return Resolution(ref, error=str(err), error_type=type(err).__name__)
        return self._from_record(ref, digest, record, cached=False, stale=stale)

    async def _resolve_tag(
        self, ref: ImageRef, endpoints: Sequence[Endpoint], *, probe: bool
    ) -> str:
        """The digest a tag points at: HEAD when `probe` (the digest is probably known),
        else one GET whose body is kept for the digest step."""
        tag = ref.tag or "latest"

        async def ask(endpoint: Endpoint) -> str:
            repository = endpoint.repository(ref.repository)
            if probe:
                answer = await self.client.head_manifest(endpoint, ref.registry, repository, tag)
            else:
                answer = await self.client.get_tagged_manifest(
                    endpoint, ref.registry, repository, tag
                )
            if answer.body is not None and answer.digest not in self._known:
                self._bodies[answer.digest] = (answer.body, answer.media_type)
            return answer.digest

        digest = await _first(endpoints, ask, resolve=True)
        if self.cache is not None:
            self.cache.put_tag(_tag_key(ref), digest, "")
        return digest

    async def _record(
        self, ref: ImageRef, digest: str, endpoints: Sequence[Endpoint]
    ) -> CachedDigest:
        known = self._known.get(digest)
        if known is None and self.cache is not None:
            known = self.cache.digests([digest]).get(digest)
            if known is not None:
                self._known[digest] = known
                if known.kind == "manifest":
                    parent = self.cache.parents([digest]).get(digest)
                    if parent is not None:
                        self._parents[digest] = parent[0]
        if known is not None:
            self._bodies.pop(digest, None)
            return known
        key = (ref.registry, digest)
        task = self._records.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch_record(ref, digest, endpoints))
            self._records[key] = task
        return await asyncio.shield(task)

    async def _fetch_record(
        self, ref: ImageRef, digest: str, endpoints: Sequence[Endpoint]
    ) -> CachedDigest:
        async def fetch(endpoint: Endpoint) -> CachedDigest:
            repository = endpoint.repository(ref.repository)
            prefetched = self._bodies.pop(digest, None)
            if prefetched is not None:
                body, media_type = prefetched
            else:
                body, media_type = await self.client.get_manifest(
                    endpoint, ref.registry, repository, digest
                )
            try:
                parsed = parse_manifest(body, media_type)
            except BadResponse as err:
                raise BadResponse(f"{endpoint.host}/{repository}@{digest}: {err}") from None
            if parsed.kind == "index":
                return CachedDigest(
                    "index", parsed.media_type, parsed.platforms, parsed.platform_digests
                )
            if parsed.schema1_platform is not None:
                platform = parsed.schema1_platform
            elif parsed.is_image and parsed.config_digest:
                config = await self.client.get_blob(
                    endpoint, ref.registry, repository, parsed.config_digest
                )
                try:
                    platform = platform_from_config(config)
                except BadResponse as err:
                    raise BadResponse(f"{endpoint.host}/{repository}@{digest}: {err}") from None
            else:
                raise BadResponse(
                    f"{ref}: not a container image (config type "
                    f"{parsed.config_media_type or 'missing'}"
                    + (f", artifact {parsed.artifact_type}" if parsed.artifact_type else "")
                    + ")"
                )
            return CachedDigest("manifest", parsed.media_type, (platform,), {str(platform): digest})

        record = await _first(endpoints, fetch, resolve=False)
        self._known[digest] = record
        if self.cache is not None:
            self.cache.put_digest(
                digest, record.kind, record.media_type, record.platforms, record.platform_digests
            )
        if record.kind == "index":
            for child in record.platform_digests.values():
                self._parents.setdefault(child, digest)
        return record

    async def _find_parent(self, ref: ImageRef, digest: str, endpoints: Sequence[Endpoint]) -> None:
        """For `name:tag@digest` pinned to a single manifest: is it a child of the tag's index?"""
        try:
            tag_digest = await self._resolve_tag(
                ImageRef(ref.registry, ref.repository, ref.tag), endpoints, probe=True
            )
            if tag_digest == digest:
                return
            index = await self._record(ref, tag_digest, endpoints)
        except RegistryError:
            return  # the pinned digest resolved; the tag is only a hint
        if index.kind == "index" and digest in index.platform_digests.values():
            self._parents[digest] = tag_digest


async def _first(
    endpoints: Sequence[Endpoint],
    call: Callable[[Endpoint], Awaitable[T]],
    *,
    resolve: bool,
) -> T:
    """Try `call` on each endpoint in order; a mirror's failure moves on to the next one."""
    last: RegistryError | None = None
    for endpoint in endpoints:
        if resolve and not endpoint.resolve:
            continue
        try:
            return await call(endpoint)
        except RegistryError as err:
            last = err
            if not endpoint.mirror:
                raise
    assert last is not None, "the registry's own endpoint is always last"
    raise last
