"""A placed pod whose images lack the node's platform would crash; unknown is not fine."""

from __future__ import annotations

from tests.unit.scheduling.builders import node

from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.platform import Platform
from archfit.model.pod import Container, PodTemplate
from archfit.scheduling.platforms import image_outcome

AMD64 = Platform.of("linux", "amd64")
ARM64 = Platform.of("linux", "arm64")

_IMAGES = {
    "multi:1": ImageInfo(
        ImageRef.parse("multi:1"), "resolved", "sha256:a", (AMD64, ARM64), kind="index"
    ),
    "amd-index:1": ImageInfo(
        ImageRef.parse("amd-index:1"), "resolved", "sha256:b", (AMD64,), kind="index"
    ),
    "amd-single:1": ImageInfo(
        ImageRef.parse("amd-single:1"), "resolved", "sha256:c", (AMD64,), kind="manifest"
    ),
    "lost:1": ImageInfo.unresolved(ImageRef.parse("lost:1"), "not in archfit.lock"),
}


def _template(*images: str, init: str | None = None) -> PodTemplate:
    containers = tuple(Container(f"c{i}", image, None) for i, image in enumerate(images))
    inits = (Container("init", init, None, kind="init"),) if init else ()
    return PodTemplate(containers=containers, init_containers=inits)


def test_multi_arch_image_runs_anywhere() -> None:
    assert image_outcome(_template("multi:1"), node("pi").arm64().build(), _IMAGES.get) is None


def test_index_without_the_node_platform_fails_to_pull() -> None:
    outcome = image_outcome(_template("amd-index:1"), node("pi").arm64().build(), _IMAGES.get)
    assert outcome is not None
    assert (outcome.outcome, outcome.reason) == ("would-crash", "no match for platform in manifest")


def test_single_foreign_manifest_crashes_with_exec_format_error() -> None:
    outcome = image_outcome(_template("amd-single:1"), node("pi").arm64().build(), _IMAGES.get)
    assert outcome is not None
    assert outcome.message == (
        "amd-single:1 ships only linux/amd64; on pi (linux/arm64) it fails with exec format error"
    )


def test_amd64_node_runs_an_amd64_image() -> None:
    assert image_outcome(_template("amd-single:1"), node("x").build(), _IMAGES.get) is None


def test_init_container_counts_and_a_crash_outranks_an_unknown_image() -> None:
    template = _template("lost:1", init="amd-single:1")
    outcome = image_outcome(template, node("pi").arm64().build(), _IMAGES.get)
    assert outcome is not None
    assert (outcome.outcome, outcome.image) == ("would-crash", "amd-single:1")


def test_unresolved_image_is_unknown_not_fine() -> None:
    outcome = image_outcome(_template("multi:1", "lost:1"), node("x").build(), _IMAGES.get)
    assert outcome is not None
    assert (outcome.outcome, outcome.reason) == ("unknown", "not in archfit.lock")
