"""Push test images through a registry's HTTP API: single-platform manifests with a config
blob, OCI indexes and Docker manifest lists with attestation and Windows entries."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from tests.integration.registry.support import RegistryProcess, TokenIssuer

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
INTOTO = "application/vnd.in-toto+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


# -- pushing images --------------------------------------------------------------------------


class Pusher:
    """Uploads blobs and manifests. `authorization` is a header value (or a callable per repo)."""

    def __init__(
        self,
        base_url: str,
        *,
        verify: Any = True,
        basic: tuple[str, str] | None = None,
        token_realm: str | None = None,
        token_service: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx2.Client(verify=verify, timeout=30.0)
        self.basic = basic
        self.token_realm, self.token_service = token_realm, token_service
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def _headers(self, repo: str) -> dict[str, str]:
        if self.token_realm and self.basic:
            token = self._tokens.get(repo)
            if token is None:
                resp = self.client.get(
                    self.token_realm,
                    params={"service": self.token_service, "scope": f"repository:{repo}:pull,push"},
                    auth=self.basic,
                )
                resp.raise_for_status()
                token = self._tokens[repo] = resp.json()["token"]
            return {"Authorization": f"Bearer {token}"}
        if self.basic:
            raw = f"{self.basic[0]}:{self.basic[1]}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    def blob(self, repo: str, data: bytes, media_type: str) -> dict[str, Any]:
        digest = sha256(data)
        headers = self._headers(repo)
        head = self.client.head(f"{self.base_url}/v2/{repo}/blobs/{digest}", headers=headers)
        if head.status_code != 200:
            start = self.client.post(f"{self.base_url}/v2/{repo}/blobs/uploads/", headers=headers)
            assert start.status_code == 202, start.text
            location = start.headers["location"]
            if location.startswith("/"):
                location = self.base_url + location
            sep = "&" if "?" in location else "?"
            done = self.client.put(
                f"{location}{sep}digest={digest}",
                content=data,
                headers={**headers, "Content-Type": "application/octet-stream"},
            )
            assert done.status_code == 201, done.text
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        resp = self.client.put(
            f"{self.base_url}/v2/{repo}/manifests/{reference}",
            content=body,
            headers={**self._headers(repo), "Content-Type": media_type},
        )
        assert resp.status_code == 201, resp.text
        return sha256(body)


@dataclass(frozen=True)
class Pushed:
    """A pushed image: its digest, media type and (for indexes) children by platform."""

    repo: str
    tag: str
    digest: str
    media_type: str
    children: Mapping[str, str] = field(default_factory=dict)  # "linux/arm/v7" → digest
    size: int = 0


def push_single(
    pusher: Pusher,
    repo: str,
    tag: str | None,
    *,
    os: str = "linux",
    arch: str = "amd64",
    variant: str = "",
    docker: bool = False,
    salt: str = "",
    os_version: str = "",
) -> Pushed:
    """A single-platform image: config blob with the platform, one small layer."""
    config: dict[str, Any] = {
        "architecture": arch,
        "os": os,
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {"Labels": {"archfit.test": salt or f"{repo}:{tag}:{os}/{arch}/{variant}"}},
    }
    if variant:
        config["variant"] = variant
    if os_version:
        config["os.version"] = os_version
    config_type, manifest_type, layer_type = (
        (DOCKER_CONFIG, DOCKER_MANIFEST, DOCKER_LAYER)
        if docker
        else (OCI_CONFIG, OCI_MANIFEST, OCI_LAYER)
    )
    config_desc = pusher.blob(repo, canonical(config), config_type)
    layer_desc = pusher.blob(repo, b"archfit test layer " + repo.encode(), layer_type)
    manifest = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config_desc,
        "layers": [layer_desc],
    }
    body = canonical(manifest)
    digest = pusher.manifest(repo, tag or sha256(body), body, manifest_type)
    return Pushed(repo, tag or "", digest, manifest_type, size=len(body))


def push_attestation(
    pusher: Pusher,
    repo: str,
    subject: str,
    *,
    tag: str | None = None,
    config_type: str = OCI_CONFIG,
) -> dict[str, Any]:
    config = pusher.blob(repo, b"{}", config_type)
    statement = pusher.blob(repo, canonical({"subject": subject}), INTOTO)
    body = canonical(
        {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [statement]}
    )
    digest = pusher.manifest(repo, tag or sha256(body), body, OCI_MANIFEST)
    return {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(body),
        "platform": {"architecture": "unknown", "os": "unknown"},
        "annotations": {
            "vnd.docker.reference.digest": subject,
            "vnd.docker.reference.type": "attestation-manifest",
        },
    }


def push_index(
    pusher: Pusher,
    repo: str,
    tag: str,
    platforms: Sequence[str],
    *,
    docker: bool = False,
    attestations: bool = False,
    salt: str = "",
) -> Pushed:
    """An OCI index (or Docker manifest list) of single-platform children, e.g.
    `["linux/amd64", "linux/arm64", "linux/arm/v7", "windows/amd64"]`."""
    entries: list[dict[str, Any]] = []
    children: dict[str, str] = {}
    for text in platforms:
        os_, arch, *rest = text.split("/")
        variant = rest[0] if rest else ""
        child = push_single(
            pusher,
            repo,
            None,
            os=os_,
            arch=arch,
            variant=variant,
            docker=docker,
            salt=f"{salt}{repo}:{tag}:{text}",
            os_version="10.0.20348.2322" if os_ == "windows" else "",
        )
        platform: dict[str, Any] = {"architecture": arch, "os": os_}
        if variant:
            platform["variant"] = variant
        if os_ == "windows":
            platform["os.version"] = "10.0.20348.2322"
        entries.append(
            {
                "mediaType": child.media_type,
                "digest": child.digest,
                "size": child.size,
                "platform": platform,
            }
        )
        children[text] = child.digest
        if attestations and not docker:
            entries.append(push_attestation(pusher, repo, child.digest))
    media_type = DOCKER_LIST if docker else OCI_INDEX
    body = canonical({"schemaVersion": 2, "mediaType": media_type, "manifests": entries})
    digest = pusher.manifest(repo, tag, body, media_type)
    return Pushed(repo, tag, digest, media_type, children, size=len(body))


@dataclass
class RunningRegistry:
    """A started registry with what was pushed to it, keyed by `repo:tag`."""

    process: RegistryProcess
    images: dict[str, Pushed] = field(default_factory=dict)
    ca: Path | None = None
    issuer: TokenIssuer | None = None

    @property
    def host(self) -> str:
        return self.process.host

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"
