"""Media types and the wire shapes of OCI and Docker manifests (the parts archfit reads).

The `Accept` list names every manifest type a registry may serve, newest first; schema 1 comes
last and is only ever read (registries that still hold schema 1 images answer with it when nothing
else matches).
"""

from __future__ import annotations

from typing import TypedDict

__all__ = [
    "ACCEPT",
    "DOCKER_CONFIG",
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "DOCKER_SCHEMA1",
    "DOCKER_SCHEMA1_SIGNED",
    "IMAGE_CONFIG_TYPES",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "OCI_CONFIG",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "SCHEMA1_TYPES",
    "DescriptorDoc",
    "ImageConfigDoc",
    "IndexDoc",
    "ManifestDoc",
    "PlatformDoc",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1_SIGNED, DOCKER_SCHEMA1})
IMAGE_CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG})

ACCEPT = ", ".join(
    (
        OCI_INDEX,
        DOCKER_LIST,
        OCI_MANIFEST,
        DOCKER_MANIFEST,
        DOCKER_SCHEMA1_SIGNED,
        DOCKER_SCHEMA1,
    )
)

PlatformDoc = TypedDict(
    "PlatformDoc",
    {
        "architecture": str,
        "os": str,
        "variant": str,
        "os.version": str,
        "os.features": list[str],
        "features": list[str],
    },
    total=False,
)


class DescriptorDoc(TypedDict, total=False):
    mediaType: str
    digest: str
    size: int
    platform: PlatformDoc
    annotations: dict[str, str]
    artifactType: str
    urls: list[str]


class IndexDoc(TypedDict, total=False):
    schemaVersion: int
    mediaType: str
    artifactType: str
    manifests: list[DescriptorDoc]
    subject: DescriptorDoc
    annotations: dict[str, str]


class ManifestDoc(TypedDict, total=False):
    schemaVersion: int
    mediaType: str
    artifactType: str
    config: DescriptorDoc
    layers: list[DescriptorDoc] | None
    subject: DescriptorDoc
    annotations: dict[str, str]
    architecture: str  # schema 1 only


class ImageConfigDoc(TypedDict, total=False):
    architecture: str
    os: str
    variant: str
