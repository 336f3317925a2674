from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.errors import InvalidValue
from archfit.model.platform import NodeCapabilities, Platform


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aarch64", "linux/arm64"),
        ("arm64/v8", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("x86_64", "linux/amd64"),
        ("amd64", "linux/amd64"),
        ("armhf", "linux/arm/v7"),
        ("armel", "linux/arm/v6"),
        ("arm", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
        ("i386", "linux/386"),
        ("windows/amd64", "windows/amd64"),
        ("linux/arm64/v9.0", "linux/arm64/v9"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/amd64/v3", "linux/amd64/v3"),
        ("LINUX/ARM64", "linux/arm64"),
    ],
)
def test_normalisation(text: str, expected: str) -> None:
    assert str(Platform.parse(text)) == expected


@pytest.mark.parametrize("text", ["", "/", "linux//arm64", "a/b/c/d", " "])
def test_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidValue, match="platform"):
        Platform.parse(text)


AMD64 = Platform.parse("amd64")
ARM64 = Platform.parse("arm64")


@pytest.mark.parametrize(
    ("node", "caps", "image", "runs"),
    [
        (AMD64, NodeCapabilities(), "amd64", True),
        (AMD64, NodeCapabilities(), "386", True),
        (AMD64, NodeCapabilities(runs_32bit=False), "386", False),
        (AMD64, NodeCapabilities(), "arm64", False),
        (AMD64, NodeCapabilities(), "amd64/v3", False),
        (AMD64, NodeCapabilities(amd64_level=3), "amd64/v3", True),
        (ARM64, NodeCapabilities(), "arm64", True),
        (ARM64, NodeCapabilities(), "arm/v7", False),
        (ARM64, NodeCapabilities(runs_32bit=True), "arm/v7", True),
        (ARM64, NodeCapabilities(runs_32bit=True), "arm/v6", True),
        (ARM64, NodeCapabilities(), "amd64", False),
        (ARM64, NodeCapabilities(), "windows/arm64", False),
        (Platform.parse("arm/v7"), NodeCapabilities(), "arm/v6", True),
        (Platform.parse("arm/v6"), NodeCapabilities(), "arm/v7", False),
    ],
)
def test_node_compatibility(node: Platform, caps: NodeCapabilities, image: str, runs: bool) -> None:
    assert caps.runs(node, Platform.parse(image)) is runs


_arch = st.sampled_from(
    ["amd64", "x86_64", "arm64", "aarch64", "arm", "armhf", "armel", "386", "riscv64"]
)
_variant = st.sampled_from(["", "v5", "v6", "v7", "v8", "v2", "v3"])


@given(_arch, _variant)
def test_normalisation_is_idempotent(arch: str, variant: str) -> None:
    once = Platform.of("linux", arch, variant)
    assert Platform.parse(str(once)) == once


@given(_arch, _variant)
def test_a_node_runs_its_own_platform(arch: str, variant: str) -> None:
    platform = Platform.of("linux", arch, variant)
    assert NodeCapabilities().runs(platform, platform)
