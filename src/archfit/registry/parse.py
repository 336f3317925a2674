"""Pure parsing of manifests and image configs, and digest verification. No I/O.

The kind of a document is decided by its `Content-Type`; when that is missing or generic, by the
body (`mediaType`, then structure: `manifests[]` is an index, `config` is a manifest,
`schemaVersion: 1` is legacy schema 1). An index yields its platforms from `manifests[].platform`,
dropping attestation and other reference entries (`vnd.docker.reference.*` annotations,
`unknown/unknown`) and entries without a platform. A single manifest names its config blob, from
which the platform is read by `platform_from_config`; nothing is ever assumed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal, cast

from archfit.errors import InvalidValue
from archfit.model.platform import Platform
from archfit.registry.errors import BadResponse, DigestMismatch
from archfit.registry.media import (
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1_SIGNED,
    IMAGE_CONFIG_TYPES,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    SCHEMA1_TYPES,
)

__all__ = [
    "IndexEntry",
    "ParsedManifest",
    "compute_digest",
    "parse_manifest",
    "platform_from_config",
    "verify_digest",
]

_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_REFERENCE_ANNOTATION = "vnd.docker.reference."


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One `manifests[]` entry of an index. `platform` is None when the entry has none."""

    digest: str
    media_type: str
    platform: Platform | None
    reference: bool  # an attestation or other non-runnable reference entry

    @property
    def runnable(self) -> bool:
        return self.platform is not None and not self.reference


@dataclass(frozen=True, slots=True)
class ParsedManifest:
    """What archfit needs from a manifest document."""

    kind: Literal["index", "manifest"]
    media_type: str
    entries: tuple[IndexEntry, ...] = ()
    config_digest: str | None = None
    config_media_type: str | None = None
    artifact_type: str | None = None
    schema1_platform: Platform | None = None  # schema 1 carries its platform inline

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The runnable platforms of an index, sorted, each once."""
        return tuple(sorted({e.platform for e in self.entries if e.runnable and e.platform}))

    @property
    def platform_digests(self) -> dict[str, str]:
        """Platform string → the digest of its first entry (the one a runtime picks)."""
        out: dict[str, str] = {}
        for entry in self.entries:
            if entry.runnable:
                out.setdefault(str(entry.platform), entry.digest)
        return out

    @property
    def is_image(self) -> bool:
        """A single manifest whose config is a container image config (not an artifact)."""
        return self.kind == "manifest" and (
            self.schema1_platform is not None or self.config_media_type in IMAGE_CONFIG_TYPES
        )


def compute_digest(body: bytes, algorithm: str = "sha256") -> str:
    hasher = _HASHES.get(algorithm)
    if hasher is None:
        raise BadResponse(f"unsupported digest algorithm {algorithm!r}")
    return f"{algorithm}:{hasher(body).hexdigest()}"


def verify_digest(body: bytes, digest: str, media_type: str | None = None) -> None:
    """Raise `DigestMismatch` unless `body` hashes to `digest`.

    A signed schema 1 manifest is hashed without its signatures, as registries compute it.
    """
    algorithm = digest.split(":", 1)[0]
    payload = body
    if _base_type(media_type) == DOCKER_SCHEMA1_SIGNED:
        payload = _schema1_payload(body)
    actual = compute_digest(payload, algorithm)
    if actual != digest and not (payload is not body and compute_digest(body, algorithm) == digest):
        raise DigestMismatch(f"content does not match digest {digest} (got {actual})")


def parse_manifest(body: bytes, content_type: str | None) -> ParsedManifest:
    """Parse a manifest or index; raises `BadResponse` for anything that is not one."""
    doc = _load_object(body, "manifest")
    media_type = _base_type(content_type)
    if media_type not in INDEX_TYPES | MANIFEST_TYPES | SCHEMA1_TYPES:
        media_type = _kind_from_body(doc)
    if media_type in INDEX_TYPES:
        return _parse_index(doc, media_type)
    if media_type in MANIFEST_TYPES:
        return _parse_single(doc, media_type)
    return _parse_schema1(doc, media_type)


def platform_from_config(body: bytes) -> Platform:
    """The platform an image config declares; raises `BadResponse` when it declares none."""
    doc = _load_object(body, "image config")
    arch, os_, variant = doc.get("architecture"), doc.get("os"), doc.get("variant") or ""
    if not isinstance(arch, str) or not arch.strip():
        raise BadResponse("image config has no architecture")
    if not isinstance(os_, str) or not os_.strip():
        raise BadResponse("image config has no os")
    if not isinstance(variant, str):
        raise BadResponse("image config variant is not a string")
    try:
        return Platform.of(os_, arch, variant)
    except InvalidValue as err:
        raise BadResponse(f"image config platform: {err}") from None


def _base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _load_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadResponse(f"{what} is not JSON") from None
    if not isinstance(doc, dict):
        raise BadResponse(f"{what} is not a JSON object")
    return doc


def _kind_from_body(doc: dict[str, Any]) -> str:
    declared = doc.get("mediaType")
    if isinstance(declared, str) and declared in INDEX_TYPES | MANIFEST_TYPES:
        return declared
    version = doc.get("schemaVersion")
    if version == 1:
        return DOCKER_SCHEMA1_SIGNED if "signatures" in doc else "application/json"
    if version != 2:
        raise BadResponse(f"unsupported manifest schemaVersion {version!r}")
    if isinstance(doc.get("manifests"), list):
        return OCI_INDEX
    if isinstance(doc.get("config"), dict):
        return OCI_MANIFEST
    raise BadResponse("document is neither an index nor a manifest")


def _parse_index(doc: dict[str, Any], media_type: str) -> ParsedManifest:
    raw_entries = doc.get("manifests")
    if not isinstance(raw_entries, list):
        raise BadResponse("index has no manifests list")
    entries = []
    for position, raw in enumerate(raw_entries):
        if not isinstance(raw, dict) or not isinstance(raw.get("digest"), str):
            raise BadResponse(f"index entry {position} has no digest")
        entries.append(_index_entry(raw))
    artifact = doc.get("artifactType")
    return ParsedManifest(
        "index",
        media_type,
        entries=tuple(entries),
        artifact_type=artifact if isinstance(artifact, str) else None,
    )


def _index_entry(raw: dict[str, Any]) -> IndexEntry:
    annotations = raw.get("annotations") or {}
    reference = isinstance(annotations, dict) and any(
        str(key).startswith(_REFERENCE_ANNOTATION) for key in annotations
    )
    platform: Platform | None = None
    spec = raw.get("platform")
    if isinstance(spec, dict):
        arch = str(spec.get("architecture") or "")
        os_ = str(spec.get("os") or "")
        if arch.lower() == "unknown" or os_.lower() == "unknown":
            reference = True
        elif arch.strip() and os_.strip():
            try:
                platform = Platform.of(os_, arch, str(spec.get("variant") or ""))
            except InvalidValue:
                platform = None
    return IndexEntry(str(raw["digest"]), str(raw.get("mediaType") or ""), platform, reference)


def _parse_single(doc: dict[str, Any], media_type: str) -> ParsedManifest:
    config = doc.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("digest"), str):
        raise BadResponse("manifest has no config descriptor")
    config_type = config.get("mediaType")
    if media_type == DOCKER_MANIFEST and config_type is None:
        config_type = "application/vnd.docker.container.image.v1+json"
    artifact = doc.get("artifactType")
    return ParsedManifest(
        "manifest",
        media_type,
        config_digest=str(config["digest"]),
        config_media_type=str(config_type) if config_type else None,
        artifact_type=artifact if isinstance(artifact, str) else None,
    )


def _parse_schema1(doc: dict[str, Any], media_type: str) -> ParsedManifest:
    if doc.get("schemaVersion") != 1:
        raise BadResponse(f"unsupported manifest schemaVersion {doc.get('schemaVersion')!r}")
    arch = doc.get("architecture")
    if not isinstance(arch, str) or not arch.strip():
        raise BadResponse("schema 1 manifest has no architecture")
    try:
        # Schema 1 predates multi-OS images: every schema 1 image is a Linux image.
        platform = Platform.of("linux", arch)
    except InvalidValue as err:
        raise BadResponse(f"schema 1 platform: {err}") from None
    if media_type not in SCHEMA1_TYPES:
        media_type = DOCKER_SCHEMA1_SIGNED if "signatures" in doc else "application/json"
    return ParsedManifest("manifest", media_type, schema1_platform=platform)


def _schema1_payload(body: bytes) -> bytes:
    """The signed payload of a JWS-signed schema 1 manifest (what its digest covers)."""
    try:
        doc = json.loads(body)
        protected = cast(str, doc["signatures"][0]["protected"])
        header = json.loads(_b64url(protected))
        length = int(header["formatLength"])
        tail = _b64url(str(header["formatTail"]))
    except (KeyError, IndexError, TypeError, ValueError):
        return body
    return body[:length] + tail


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
