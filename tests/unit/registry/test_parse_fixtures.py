"""The parser over every real OCI/Docker document in the shared fixtures.

Expectations were written by reading each file (see fixtures/oci/README.md for provenance) and
applying containerd's normalisation by hand: `arm` without a variant is `arm/v7`, `arm64/v8` is
`arm64`, unknown variant spellings (`armv7`) are kept as written. Attestation and other
`vnd.docker.reference.*` entries, `unknown/unknown` and entries without a platform are dropped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.registry.errors import BadResponse
from archfit.registry.parse import parse_manifest

HELLO_WORLD = [
    "linux/386",
    "linux/amd64",
    "linux/arm/v5",
    "linux/arm/v7",
    "linux/arm64",
    "linux/mips64le",
    "linux/ppc64le",
    "linux/riscv64",
    "linux/s390x",
    "windows/amd64",
]

# file → ("index", platforms, reference entries dropped) | ("manifest", is_image) | ("error",)
EXPECTED: dict[str, tuple[object, ...]] = {
    "buildkit__attestation-storage-example-3.json": ("index", ["linux/amd64"], 1),
    "buildkit__attestation-storage-example-4.json": ("manifest", False),
    "containers-image__non-json.manifest.json": ("error",),
    "containers-image__oci1.index.everything.json": ("index", ["b/a/e"], 0),
    "containers-image__oci1.index.zstd-selection.json": (
        "index",
        ["linux/amd64", "linux/arm64", "linux/s390x"],
        0,
    ),
    "containers-image__oci1.index.zstd-selection2.json": (
        "index",
        ["linux/amd64", "linux/arm64"],
        0,
    ),
    "containers-image__oci1index.json": (
        "index",
        ["linux/amd64", "linux/arm64", "linux/ppc64le"],
        0,
    ),
    "containers-image__ocilist-variants.json": (
        "index",
        ["linux/amd64", "linux/arm/unrecognized-present", "linux/arm/v6", "linux/arm/v7"],
        0,
    ),
    "containers-image__ociv1.artifact.json": ("manifest", False),
    "containers-image__ociv1.image.index.json": ("index", ["linux/amd64", "linux/ppc64le"], 0),
    "containers-image__ociv1.manifest.json": ("manifest", True),
    "containers-image__ociv1nomime.image.index.json": (
        "index",
        ["linux/amd64", "linux/ppc64le"],
        0,
    ),
    "containers-image__schema2list-variants.json": (
        "index",
        ["linux/amd64", "linux/arm/unrecognized-present", "linux/arm/v6", "linux/arm/v7"],
        0,
    ),
    "containers-image__schema2list.json": (
        "index",
        [
            "linux/386",
            "linux/amd64",
            "linux/arm/v5",
            "linux/arm/v6",
            "linux/arm64",
            "linux/ppc64le",
            "linux/s390x",
        ],
        0,
    ),
    "containers-image__unknown-version.manifest.json": ("error",),
    "containers-image__v2list.everything.json": ("index", ["b/a/e"], 0),
    "containers-image__v2list.manifest.json": (
        "index",
        [
            "linux/amd64",
            "linux/arm/armv7",
            "linux/arm64/armv8",
            "linux/ppc64le",
            "linux/s390x",
        ],
        0,
    ),
    "containers-image__v2s1.manifest.json": ("manifest", True),
    "containers-image__v2s2.manifest.json": ("manifest", True),
    "distribution__manifest-v2-2-list-example-1.json": (
        "index",
        ["linux/amd64", "linux/ppc64le"],
        0,
    ),
    "docker-cli__inspect-manifest-list.json": ("index", ["linux/amd64"], 0),
    "ggcr__hello-world-nanoserver-manifest-list.json": ("index", ["windows/amd64"], 0),
    "ggcr__test_gc_image_unknown_mediatype__index.json": ("index", [], 0),
    "ggcr__test_index__index.json": ("index", [], 0),
    "image-spec__descriptor-example-1.json": ("error",),
    "image-spec__image-index-example-1.json": ("index", ["linux/amd64", "linux/ppc64le"], 0),
    "image-spec__image-index-example-2.json": ("index", ["linux/ppc64le"], 0),
    "image-spec__manifest-example-1.json": ("manifest", True),
    "image-spec__manifest-example-2.json": ("manifest", False),
    "image-spec__manifest-example-3.json": ("manifest", False),
    "image-spec__manifest-example-4.json": ("manifest", False),
    "ociregistry__hello-world-index-attestations-windows.json": ("index", HELLO_WORLD, 9),
    "ociregistry__hello-world-latest-index-decoded.json": (
        "index",
        sorted([*HELLO_WORLD, "linux/arm/v6"]),
        10,
    ),
    "ociregistry__quay.io-coreos-etcd-v3.5.18-oci-index.json": (
        "index",
        ["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x"],
        0,
    ),
    "ociregistry__registry.k8s.io-pause-3.8-manifest-list.json": (
        "index",
        [
            "linux/amd64",
            "linux/arm/v7",
            "linux/arm64",
            "linux/ppc64le",
            "linux/s390x",
            "windows/amd64",
        ],
        0,
    ),
    "regclient__artifact-sbom-with-subject.json": ("manifest", False),
    "regclient__docker-build-reference-manifest.json": ("manifest", True),
    "regclient__index-artifact-loop-subject.json": ("index", [], 0),
    "regclient__index-artifact-no-platforms.json": ("index", [], 0),
    "regclient__index-b1-4-platforms.json": (
        "index",
        ["linux/amd64", "linux/arm/v6", "linux/arm/v7", "linux/arm64"],
        0,
    ),
    "regclient__index-v1-with-unknown-unknown-refs.json": (
        "index",
        ["linux/amd64", "linux/arm64"],
        2,
    ),
    "regclient__index-v2-amd64-arm64-armv7.json": (
        "index",
        ["linux/amd64", "linux/arm/v7", "linux/arm64"],
        0,
    ),
    "regclient__index-v3-amd64-arm64-armv7-armv6.json": (
        "index",
        ["linux/amd64", "linux/arm/v6", "linux/arm/v7", "linux/arm64"],
        0,
    ),
    "regclient__manifest-with-subject-no-artifacttype.json": ("manifest", True),
    "regclient__platform-manifest-amd64.json": ("manifest", True),
    "regclient__referrers-fallback-tag-index.json": ("index", [], 0),
    "regclient__testrepo-layout-index.json": ("index", [], 0),
    "rules_oci__distroless-base-manifest-list.json": (
        "index",
        ["linux/amd64", "linux/arm/v7", "linux/arm64", "linux/ppc64le", "linux/s390x"],
        0,
    ),
    "rules_oci__distroless-java17-single-manifest.json": ("manifest", True),
    "rules_oci__distroless-python3-manifest-list.json": (
        "index",
        ["linux/amd64", "linux/arm64"],
        0,
    ),
    "rules_oci__distroless-static-manifest-list.json": (
        "index",
        ["linux/amd64", "linux/arm/v7", "linux/arm64", "linux/ppc64le", "linux/s390x"],
        0,
    ),
}


def _oci_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "oci"


@pytest.mark.shared
def test_every_fixture_has_an_expectation(shared_dir: Path) -> None:
    files = {p.name for p in _oci_dir(shared_dir).glob("*.json")} - {"SOURCES.json"}
    assert files == set(EXPECTED)


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(shared_dir: Path, name: str) -> None:
    body = (_oci_dir(shared_dir) / name).read_bytes()
    expected = EXPECTED[name]
    if expected[0] == "error":
        with pytest.raises(BadResponse):
            parse_manifest(body, None)
        return
    # No Content-Type: the kind must come from the body, as for registries that send none.
    parsed = parse_manifest(body, None)
    assert parsed.kind == expected[0]
    if parsed.kind == "index":
        assert sorted(str(p) for p in parsed.platforms) == expected[1]
        assert sum(entry.reference for entry in parsed.entries) == expected[2]
        # No platform ever comes from an entry that is not runnable.
        assert all(e.runnable for e in parsed.entries if str(e.platform) in parsed.platform_digests)
    else:
        assert parsed.is_image is expected[1]


@pytest.mark.shared
def test_hello_world_platform_digests_point_at_the_platform_entries(shared_dir: Path) -> None:
    body = _oci_dir(shared_dir) / "ociregistry__registry.k8s.io-pause-3.8-manifest-list.json"
    parsed = parse_manifest(
        body.read_bytes(), "application/vnd.docker.distribution.manifest.list.v2+json"
    )
    digests = parsed.platform_digests
    assert digests["linux/arm/v7"].startswith("sha256:27295ffe")
    assert digests["linux/arm64"].startswith("sha256:566af085")
    # The first of the three windows entries is the one a runtime would pick.
    assert digests["windows/amd64"].startswith("sha256:78bfb9d8")


@pytest.mark.shared
def test_schema1_platform_is_read_from_the_manifest(shared_dir: Path) -> None:
    body = (_oci_dir(shared_dir) / "containers-image__v2s1.manifest.json").read_bytes()
    parsed = parse_manifest(body, "application/vnd.docker.distribution.manifest.v1+prettyjws")
    assert str(parsed.schema1_platform) == "linux/amd64"
