"""The raw YAML reader alone over the real repositories in ../shared/fixtures/gitops: no crash,
every workload document found (counted independently with line-based matching), known
workloads by name, line and namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archfit.manifests.sources import RawYamlSource
from archfit.sources import load_manifests, read_documents

pytestmark = pytest.mark.shared

WORKLOAD_API = {
    "Pod": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}
_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


def _count_workload_documents(root: Path) -> int:
    """Documents with a top-level `kind:` of a workload and its `apiVersion`, by lines only."""
    count = 0
    for path in root.rglob("*"):
        if path.suffix not in {".yaml", ".yml"} or any(
            p.startswith(".") for p in path.relative_to(root).parts
        ):
            continue
        for chunk in _SPLIT.split(path.read_text(encoding="utf-8")):
            kinds = re.findall(r"^kind:\s*(\w+)\s*$", chunk, re.MULTILINE)
            apis = re.findall(r"^apiVersion:\s*(\S+)\s*$", chunk, re.MULTILINE)
            if len(kinds) == 1 and kinds[0] in WORKLOAD_API and apis == [WORKLOAD_API[kinds[0]]]:
                count += 1
    return count


@pytest.mark.parametrize(
    ("repo", "at_least"),
    # home-ops deploys everything through HelmReleases: no raw workload documents at all.
    [("jmerhib__pi-cluster", 10), ("onedr0p__home-ops", 0)],
)
def test_every_workload_document_is_found(shared_dir: Path, repo: str, at_least: int) -> None:
    root = shared_dir / "fixtures" / "gitops" / repo
    manifests = load_manifests(root, sources=[RawYamlSource()])
    unconvertible = [
        f for f in manifests.findings if f.id == "invalid-manifest" and "Pod" in f.message
    ]
    expected = _count_workload_documents(root)
    assert expected >= at_least
    assert len(manifests.workloads) + len(unconvertible) == expected
    assert all(w.source.line > 0 for w in manifests.workloads)


def test_known_workloads_of_the_pi_cluster(shared_dir: Path) -> None:
    root = shared_dir / "fixtures" / "gitops" / "jmerhib__pi-cluster"
    manifests = load_manifests(root, sources=[RawYamlSource()])
    assert manifests.findings == ()
    by_key = {w.key: w for w in manifests.workloads}
    # apps/staging/pihole/kustomization.yaml sets `namespace: pihole` over ../../base/pihole.
    pihole = by_key["Deployment/pihole/pihole"]
    assert pihole.source.file.endswith("apps/base/pihole/deployment.yaml")
    assert pihole.source.line == 1
    assert [c.image for c in pihole.template.containers] == ["pihole/pihole:2025.08.0"]
    linkding = by_key["Deployment/linkding/linkding"]
    assert str(linkding.template.containers[0].image_ref) == (
        "docker.io/sissbruecker/linkding:1.31.0"
    )
    renovate = by_key["CronJob/renovate/renovate"]
    assert str(renovate.template.containers[0].image_ref) == ("docker.io/renovate/renovate:latest")
    # Flux's own controllers, deep inside one 13,000-line multi-document file.
    source_controller = by_key["Deployment/flux-system/source-controller"]
    assert source_controller.source.file.endswith("flux-system/gotk-components.yaml")
    assert source_controller.source.line == 5253
    assert by_key["Deployment/flux-system/kustomize-controller"].source.line == 7160
    assert {"Deployment/homepage/homepage", "Deployment/audiobookshelf/audiobookshelf"} <= set(
        by_key
    )


def test_home_ops_reads_without_crash_and_reports_templates(shared_dir: Path) -> None:
    root = shared_dir / "fixtures" / "gitops" / "onedr0p__home-ops"
    result = read_documents(root)
    assert result.files_read > 400
    assert result.problems == []  # custom tags and redefined anchors are tolerated
    kinds = {d.kind for d in result.documents}
    assert {"HelmRelease", "Kustomization", "OCIRepository"} <= kinds
    manifests = load_manifests(root, sources=[RawYamlSource()])
    # Flux post-build variables (${APP}) make a claim unreadable: a warning, not an error.
    templated = [f for f in manifests.findings if f.id == "invalid-manifest"]
    assert templated
    assert all(f.severity == "warning" and "${" in f.message for f in templated)
