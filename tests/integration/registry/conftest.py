"""Session-scoped real registries: plain HTTP, TLS + htpasswd, and `auth: token`."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.registry.pushing import (
    OCI_MANIFEST,
    Pushed,
    Pusher,
    RunningRegistry,
    push_attestation,
    push_index,
    push_single,
)
from tests.integration.registry.support import (
    REGISTRY_BIN,
    CertificateSet,
    RegistryProcess,
    TokenIssuer,
    htpasswd_line,
    make_ca,
)

EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
TLS_USER = ("pusher", "correct horse battery staple")
TOKEN_USER = ("robot", "token-user-password")
REFRESH_TOKEN = "refresh-token-for-robot"


def _require_registry() -> None:
    if not os.access(REGISTRY_BIN, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{REGISTRY_BIN} missing (scripts/test installs docker-registry)")
        pytest.skip("docker-registry is not installed (scripts/test installs it)")


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertificateSet:
    return make_ca(tmp_path_factory.mktemp("certs"))


def push_catalogue(pusher: Pusher, registry: RunningRegistry) -> None:
    """The standard set of test images."""
    platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "windows/amd64"]
    images = registry.images
    images["multi:oci"] = push_index(pusher, "multi", "oci", platforms, attestations=True)
    images["multi:docker"] = push_index(pusher, "multi", "docker", platforms, docker=True)
    images["single:amd64"] = push_single(pusher, "single", "amd64", arch="amd64")
    images["single:arm64"] = push_single(pusher, "single", "arm64", arch="arm64")
    images["single:armv7"] = push_single(pusher, "single", "armv7", arch="arm", variant="v7")
    images["single:docker-arm64"] = push_single(
        pusher, "single", "docker-arm64", arch="aarch64", docker=True
    )
    images["windows:only"] = push_index(pusher, "windows", "only", ["windows/amd64"])
    artifact = push_attestation(
        pusher, "artifact", "sha256:" + "0" * 64, tag="sbom", config_type=EMPTY_CONFIG
    )
    images["artifact:sbom"] = Pushed("artifact", "sbom", artifact["digest"], OCI_MANIFEST)
    attestation = push_attestation(pusher, "artifact", "sha256:" + "1" * 64, tag="attestation")
    images["artifact:attestation"] = Pushed(
        "artifact", "attestation", attestation["digest"], OCI_MANIFEST
    )


@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    _require_registry()
    process = RegistryProcess(tmp_path_factory.mktemp("plain")).start()
    registry = RunningRegistry(process)
    pusher = Pusher(f"http://{process.host}")
    try:
        push_catalogue(pusher, registry)
        yield registry
    finally:
        pusher.close()
        process.stop()


@pytest.fixture(scope="session")
def tls_registry(
    tmp_path_factory: pytest.TempPathFactory, certs: CertificateSet
) -> Iterator[RunningRegistry]:
    _require_registry()
    root = tmp_path_factory.mktemp("tls")
    htpasswd = root / "htpasswd"
    htpasswd.write_text(htpasswd_line(*TLS_USER))
    process = RegistryProcess(
        root,
        auth={"htpasswd": {"realm": "archfit-test", "path": str(htpasswd)}},
        tls=(certs.server_cert, certs.server_key),
    ).start()
    registry = RunningRegistry(process, ca=certs.ca_cert)
    pusher = Pusher(
        f"https://{process.host}",
        verify=ssl.create_default_context(cafile=str(certs.ca_cert)),
        basic=TLS_USER,
    )
    try:
        registry.images["private/app:1"] = push_index(
            pusher, "private/app", "1", ["linux/amd64", "linux/arm64"], attestations=True
        )
        yield registry
    finally:
        pusher.close()
        process.stop()


@pytest.fixture(scope="session")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory, certs: CertificateSet
) -> Iterator[RunningRegistry]:
    _require_registry()
    issuer = TokenIssuer(
        certs, users=dict([TOKEN_USER]), refresh_tokens={REFRESH_TOKEN: TOKEN_USER[0]}
    ).start()
    process = RegistryProcess(tmp_path_factory.mktemp("token"), auth=issuer.registry_auth()).start()
    registry = RunningRegistry(process, issuer=issuer)
    pusher = Pusher(
        f"http://{process.host}",
        basic=TOKEN_USER,
        token_realm=issuer.realm,
        token_service=issuer.service,
    )
    try:
        images = registry.images
        images["public/app:1"] = push_index(
            pusher, "public/app", "1", ["linux/amd64", "linux/arm64"]
        )
        images["public/app:2"] = push_single(pusher, "public/app", "2", arch="arm", variant="v6")
        images["private/app:1"] = push_single(pusher, "private/app", "1", arch="arm64")
        yield registry
    finally:
        pusher.close()
        process.stop()
        issuer.stop()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"
