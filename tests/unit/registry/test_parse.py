from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.registry.errors import BadResponse, DigestMismatch
from archfit.registry.parse import parse_manifest, platform_from_config, verify_digest

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64


def _index(*entries: dict[str, object]) -> bytes:
    return json.dumps({"schemaVersion": 2, "manifests": list(entries)}).encode()


def test_content_type_decides_over_the_body() -> None:
    body = json.dumps(
        {"schemaVersion": 2, "config": {"digest": D1, "mediaType": "x"}, "manifests": []}
    ).encode()
    assert parse_manifest(body, DOCKER_MANIFEST + "; charset=utf-8").kind == "manifest"
    assert parse_manifest(body, OCI_INDEX).kind == "index"


def test_generic_content_type_falls_back_to_the_body() -> None:
    body = _index({"digest": D1, "platform": {"os": "linux", "architecture": "aarch64"}})
    parsed = parse_manifest(body, "application/json")
    assert parsed.kind == "index"
    assert [str(p) for p in parsed.platforms] == ["linux/arm64"]


def test_attestations_unknown_and_missing_platforms_are_dropped_variants_kept() -> None:
    body = _index(
        {"digest": D1, "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
        {
            "digest": D2,
            "platform": {"os": "linux", "architecture": "amd64"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
        },
        {"digest": D3, "platform": {"os": "unknown", "architecture": "unknown"}},
        {"digest": D3},
    )
    parsed = parse_manifest(body, OCI_INDEX)
    assert [str(p) for p in parsed.platforms] == ["linux/arm/v6"]
    assert parsed.platform_digests == {"linux/arm/v6": D1}


def test_index_entry_without_digest_is_rejected() -> None:
    with pytest.raises(BadResponse, match="entry 0 has no digest"):
        parse_manifest(_index({"platform": {"os": "linux", "architecture": "amd64"}}), OCI_INDEX)


def test_manifest_without_config_is_rejected() -> None:
    with pytest.raises(BadResponse, match="no config"):
        parse_manifest(b'{"schemaVersion": 2, "layers": []}', DOCKER_MANIFEST)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"architecture": "arm64", "os": "linux"}, "linux/arm64"),
        ({"architecture": "arm", "os": "linux", "variant": "v6"}, "linux/arm/v6"),
        ({"architecture": "arm", "os": "linux"}, "linux/arm/v7"),
        ({"architecture": "amd64", "os": "windows"}, "windows/amd64"),
    ],
)
def test_platform_from_config(config: dict[str, str], expected: str) -> None:
    assert str(platform_from_config(json.dumps(config).encode())) == expected


@pytest.mark.parametrize(
    "config", [b"{}", b'{"os": "linux"}', b'{"architecture": "amd64"}', b"[]", b"\xff"]
)
def test_config_without_a_platform_is_an_error_never_amd64(config: bytes) -> None:
    with pytest.raises(BadResponse):
        platform_from_config(config)


def test_verify_digest() -> None:
    body = b'{"schemaVersion": 2}'
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    verify_digest(body, digest)
    with pytest.raises(DigestMismatch, match="does not match"):
        verify_digest(body + b" ", digest)
    sha512 = "sha512:" + hashlib.sha512(body).hexdigest()
    verify_digest(body, sha512)
    with pytest.raises(BadResponse, match="unsupported digest algorithm"):
        verify_digest(body, "md5:" + "0" * 32)


def test_signed_schema1_digest_covers_the_payload_without_signatures() -> None:
    payload = b'{\n   "schemaVersion": 1,\n   "architecture": "arm64"\n}'
    length = len(payload) - 2  # the signature is spliced in before the closing "\n}"
    tail = base64.urlsafe_b64encode(payload[length:]).decode().rstrip("=")
    protected = base64.urlsafe_b64encode(
        json.dumps({"formatLength": length, "formatTail": tail}).encode()
    ).decode()
    signed = (
        payload[:length] + (',\n   "signatures": [{"protected": "' + protected + '"}]\n}').encode()
    )
    digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    verify_digest(signed, digest, "application/vnd.docker.distribution.manifest.v1+prettyjws")
    parsed = parse_manifest(signed, "application/vnd.docker.distribution.manifest.v1+prettyjws")
    assert str(parsed.schema1_platform) == "linux/arm64"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "schemaVersion",
                    "mediaType",
                    "manifests",
                    "config",
                    "platform",
                    "digest",
                    "architecture",
                    "os",
                    "variant",
                    "annotations",
                    "layers",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(body=st.binary(max_size=200) | _JSON.map(lambda doc: json.dumps(doc).encode()))
def test_parser_either_parses_or_raises_bad_response(body: bytes) -> None:
    for content_type in (None, OCI_INDEX, DOCKER_MANIFEST):
        try:
            parsed = parse_manifest(body, content_type)
        except BadResponse:
            continue
        # Whatever parses yields platforms only from runnable entries (never a reference).
        assert set(parsed.platforms) <= {e.platform for e in parsed.entries if e.runnable}
