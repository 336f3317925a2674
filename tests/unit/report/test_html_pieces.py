"""Pieces of the HTML report: the matrix cells, node groups, escaping and the SVG bars."""

from __future__ import annotations

import pytest

from archfit.model.check import ImageUse, WorkloadVerdict
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.platform import Platform
from archfit.model.pod import PodTemplate
from archfit.model.workload import SourceRef, Workload
from archfit.report.html_check import arch_cells
from archfit.report.html_page import bar, hbar_chart

WORKLOAD = Workload("Deployment", "shop", "web", PodTemplate(), SourceRef("web.yaml", 1))
ARCHS = ["amd64", "arm64"]


def _use(ref: str, *platforms: str, status: str = "resolved", kind: str = "container") -> ImageUse:
    info = ImageInfo(
        ImageRef.parse(ref),
        status,  # type: ignore[arg-type]
        platforms=tuple(Platform.parse(p) for p in platforms),
    )
    return ImageUse("c", kind, ref, info)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        ([_use("a:1", "linux/amd64", "linux/arm64")], ["ships", "ships"]),
        ([_use("a:1", "linux/amd64")], ["ships", "does not"]),
        # Every image counts: the sidecar lacks arm64.
        (
            [_use("a:1", "linux/amd64", "linux/arm64"), _use("b:1", "linux/amd64")],
            ["ships", "does not"],
        ),
        # A Windows entry never runs on a Linux node.
        ([_use("a:1", "linux/amd64", "windows/arm64")], ["ships", "does not"]),
        ([_use("a:1", status="unresolved")], ["unknown", "unknown"]),
        # Known to lack arm64, not known to ship amd64.
        ([_use("a:1", "linux/amd64"), _use("b:1", status="unresolved")], ["unknown", "does not"]),
        # Ephemeral containers do not decide where the pods run.
        (
            [
                _use("a:1", "linux/arm64", "linux/amd64"),
                _use("d:1", "linux/amd64", kind="ephemeral"),
            ],
            ["ships", "ships"],
        ),
        ([ImageUse("c", "container", "::bad", None)], ["unknown", "unknown"]),
    ],
)
def test_arch_cells(images: list[ImageUse], expected: list[str]) -> None:
    verdict = WorkloadVerdict(WORKLOAD, images=tuple(images))
    assert [text for _, text in arch_cells(verdict, ARCHS)] == expected


def test_bar_clamps_and_escapes() -> None:
    assert 'style="width:100.0%"' in bar("cpu", 140.0)
    assert "140%" in bar("cpu", 140.0)
    assert "–" in bar("GPUs", None)
    assert "&lt;b&gt;" in bar("<b>", 1.0)


def test_hbar_chart_scales_to_the_largest_row() -> None:
    svg = hbar_chart(
        [("a", [2.0, 2.0]), ("b", [1.0, 0.0])], [("x", "s-req"), ("y", "s-free")], title="t"
    )
    assert svg.startswith("<svg")
    # Row a spans the whole 460px; row b a quarter of it; an empty segment is not drawn.
    assert 'x="170.0" y="29" width="230.0"' in svg
    assert 'x="400.0" y="29" width="230.0"' in svg
    assert 'x="170.0" y="51" width="115.0"' in svg
    assert svg.count("<rect") == 2 + 3
