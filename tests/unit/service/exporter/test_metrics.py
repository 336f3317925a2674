"""The view and its metrics on the recorded cluster, against sums computed by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from tests.support import exporter_state

from archfit.kube.client import WatchEvent
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.platform import Platform
from archfit.service.exporter.images import BackgroundImages
from archfit.service.exporter.metrics import ViewCollector
from archfit.service.exporter.server import Exporter
from archfit.service.exporter.view import RESOURCES, ClusterView

GI = 2**30
MI = 2**20
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def fixtures(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "apiserver"


def _view(state: dict[str, list[dict[str, Any]]]) -> ClusterView:
    view = ClusterView()
    for resource in RESOURCES:
        view.apply(resource, WatchEvent("SYNC", {}, "700", tuple(state[resource])))
    return view


def scrape(view: ClusterView) -> Samples:
    exporter = Exporter(api=None, view=view)  # type: ignore[arg-type]  # no watches here
    text = generate_latest(exporter.registry()).decode()
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_capacity_per_arch_and_instance_type(fixtures: Path) -> None:
    samples = scrape(_view(exporter_state.recorded(fixtures)))
    amd = {"arch": "amd64", "instance_type": ""}
    pi = {"arch": "arm64", "instance_type": "raspberry-pi"}
    # 3 control planes (3800m, 15Gi) and 6 workers (7800m, 31Gi, 4 of them with a GPU).
    assert value(samples, "archfit_nodes", **amd) == 9
    assert value(samples, "archfit_nodes_ready", **amd) == 9
    assert value(samples, "archfit_allocatable_cpu_cores", **amd) == pytest.approx(58.2)
    assert value(samples, "archfit_allocatable_memory_bytes", **amd) == 231 * GI
    assert value(samples, "archfit_allocatable_gpus", **amd) == 4
    assert value(samples, "archfit_allocatable_pods", **amd) == 990
    assert value(samples, "archfit_allocatable_ephemeral_storage_bytes", **amd) == 900 * GI
    # Pis: 3 x (3, 3Gi) and 2 x (3500m, 6Gi).
    assert value(samples, "archfit_nodes", **pi) == 5
    assert value(samples, "archfit_allocatable_cpu_cores", **pi) == pytest.approx(16)
    assert value(samples, "archfit_allocatable_memory_bytes", **pi) == 21 * GI
    assert value(samples, "archfit_allocatable_gpus", **pi) == 0
    # Pis run fluent-bit (20m, 64Mi) and node-exporter (10m, 32Mi) x5, legacy-app (100m, 64Mi).
    assert value(samples, "archfit_requested_cpu_cores", **pi) == pytest.approx(0.25)
    assert value(samples, "archfit_requested_memory_bytes", **pi) == 544 * MI
    assert value(samples, "archfit_requested_pods", **pi) == 11
    # amd64: 27 running pods (db-migrate has Succeeded, gpu-inference is unbound):
    # backfill 2x250m, manual-report 200m, db 3x500m, fluent-bit 6x20m, grafana 100m,
    # node-exporter 9x10m, api 2x250m, frontend 3x100m.
    assert value(samples, "archfit_requested_cpu_cores", **amd) == pytest.approx(3.31)
    assert value(samples, "archfit_requested_memory_bytes", **amd) == 5664 * MI
    assert value(samples, "archfit_requested_pods", **amd) == 27
    assert value(samples, "archfit_requested_gpus", **amd) == 0
    assert value(samples, "archfit_control_plane_nodes") == 3


def test_recorded_failures_and_pending(fixtures: Path) -> None:
    samples = scrape(_view(exporter_state.recorded(fixtures)))
    failure = {
        "namespace": "web",
        "owner": "Deployment/legacy-app",
        "node_arch": "arm64",
        "reason": "exec_format_error",
    }
    assert value(samples, "archfit_pods_platform_failure", **failure) == 1
    # gpu-inference: "11 Insufficient nvidia.com/gpu, 3 node(s) had untolerated taint ...".
    pending = {k: v for k, v in samples.items() if k[0] == "archfit_pods_pending"}
    assert pending == {
        ("archfit_pods_pending", (("namespace", "web"), ("reason", "insufficient_resources"))): 1,
        ("archfit_pods_pending", (("namespace", "web"), ("reason", "untolerated_taint"))): 1,
    }
    ds = {"namespace": "kube-system", "daemonset": "fluent-bit"}
    assert value(samples, "archfit_daemonset_pods_desired", arch="arm64", **ds) == 5
    assert value(samples, "archfit_daemonset_pods_ready", arch="arm64", **ds) == 5
    assert value(samples, "archfit_daemonset_pods_desired", arch="amd64", **ds) == 6
    assert not [k for k in samples if k[0] == "archfit_heavy_pods_on_pi"]
    assert value(samples, "archfit_synced") == 1


def test_broken_state(fixtures: Path) -> None:
    samples = scrape(_view(exporter_state.broken(fixtures)))
    ds = {"namespace": "kube-system", "daemonset": "fluent-bit"}
    assert value(samples, "archfit_daemonset_pods_desired", arch="arm64", **ds) == 5
    assert value(samples, "archfit_daemonset_pods_ready", arch="arm64", **ds) == 0
    assert value(samples, "archfit_daemonset_pods_ready", arch="amd64", **ds) == 6
    fluent = {
        "namespace": "kube-system",
        "owner": "DaemonSet/fluent-bit",
        "node_arch": "arm64",
        "reason": "exec_format_error",
    }
    assert value(samples, "archfit_pods_platform_failure", **fluent) == 5
    assert value(samples, "archfit_pods_pending", namespace="web", reason="node_affinity") == 2
    assert value(samples, "archfit_pods_pending", namespace="web", reason="no_arch_fit") == 2
    heavy = {"namespace": "data", "owner": "StatefulSet/pi-db", "reason": "heavy_image"}
    assert value(samples, "archfit_heavy_pods_on_pi", **heavy) == 1
    # pi-db-0 (500m, 1Gi) joins the Pis' 250m and 544Mi.
    pi = {"arch": "arm64", "instance_type": "raspberry-pi"}
    assert value(samples, "archfit_requested_cpu_cores", **pi) == pytest.approx(0.75)
    assert value(samples, "archfit_requested_memory_bytes", **pi) == 1568 * MI


def test_events_update_incrementally(fixtures: Path) -> None:
    state = exporter_state.recorded(fixtures)
    view = _view(state)
    crashing = next(p for p in state["pods"] if p["metadata"]["name"].startswith("legacy-app"))
    view.apply("pods", WatchEvent("DELETED", crashing, "701"))
    samples = scrape(view)
    assert not [k for k in samples if k[0] == "archfit_pods_platform_failure"]
    pi = {"arch": "arm64", "instance_type": "raspberry-pi"}
    assert value(samples, "archfit_requested_cpu_cores", **pi) == pytest.approx(0.15)
    assert value(samples, "archfit_requested_pods", **pi) == 10
    node = next(n for n in state["nodes"] if n["metadata"]["name"] == "volo")
    view.apply("nodes", WatchEvent("DELETED", node, "702"))
    samples = scrape(view)
    assert value(samples, "archfit_nodes", **pi) == 4
    assert value(samples, "archfit_allocatable_cpu_cores", **pi) == pytest.approx(12.5)
    # volo's pods are no longer counted once their node is gone (fluent-bit, node-exporter).
    assert value(samples, "archfit_requested_pods", **pi) == 8
    assert value(samples, "archfit_watch_events_total", resource="pods") == 2


def test_collector_reads_no_api() -> None:
    """An empty view still exposes every family's health series (no API access needed)."""
    collector = ViewCollector(ClusterView())
    names = {m.name for m in collector.collect()}
    assert "archfit_watch_restarts" in names
    assert "archfit_synced" in names


def test_images_missing_an_arch_of_the_cluster(fixtures: Path) -> None:
    view = _view(exporter_state.recorded(fixtures))
    images = BackgroundImages(view)
    legacy = ImageRef.parse("registry.example.com/legacy-app:1.4.2")
    nginx = ImageRef.parse("docker.io/library/nginx:1.27.3")
    amd64, arm64 = Platform.of("linux", "amd64"), Platform.of("linux", "arm64")
    images.known[legacy] = ImageInfo(legacy, "resolved", "sha256:" + "7e" * 32, (amd64,))
    images.known[nginx] = ImageInfo(nginx, "resolved", "sha256:" + "ab" * 32, (amd64, arm64))
    names = {m.name: m for m in ViewCollector(view, images).collect()}
    samples = {
        (s.labels["image"], s.labels["arch"]): s.value
        for s in names["archfit_image_missing_arch"].samples
    }
    # The cluster runs amd64 and arm64; legacy-app ships amd64 only, nginx both; the other
    # images in use are not resolved and say nothing.
    assert samples == {("registry.example.com/legacy-app:1.4.2", "arm64"): 1}
    # What is left to resolve: every image in use but the two answered.
    left = {str(ref) for ref in images.unanswered(now=0.0)}
    assert "docker.io/library/nginx:1.27.3" not in left
    assert "docker.io/library/postgres:16.6" in left
