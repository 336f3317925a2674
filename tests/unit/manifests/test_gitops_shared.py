"""The real homelab repositories in ../shared/fixtures/gitops: read without a crash, every
release and workload listed (known apps and images asserted by name, picked by reading the
files), and `fix --dry-run` over a copy gives valid YAML and writes nothing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from tests.unit.rewrite._support import fixed_check

from archfit.manifests import ManifestSet
from archfit.manifests.documents import read_text
from archfit.model.quantity import Quantity
from archfit.sources import load_manifests, read_documents
from archfit.usecases.fix import run_fix

pytestmark = pytest.mark.shared

REPOS = ("onedr0p__home-ops", "jmerhib__pi-cluster")


def _images(manifests: ManifestSet) -> dict[str, set[str]]:
    return {
        w.key: {str(c.image_ref) for c in w.template.all_containers} for w in manifests.workloads
    }


# Releases declared in files that no kustomization lists (so Flux never applies them), by hand.
NOT_APPLIED = {"onedr0p__home-ops": {"home-operations-runner"}, "jmerhib__pi-cluster": set()}


def test_onedr0p_app_template_releases(shared_dir: Path) -> None:
    repo = shared_dir / "fixtures" / "gitops" / "onedr0p__home-ops"
    manifests = load_manifests([repo])
    images = _images(manifests)
    assert images["Deployment/default/plex"] == {
        "ghcr.io/home-operations/plex:1.43.3.10896@sha256:"
        "4f1d88882a9883cc525e7c84b22c67c57416b7d3b35c3412329eeb07786433a7"
    }
    assert "CronJob/default/plex-off-deck" in images
    assert "DaemonSet/kube-system/generic-device-plugin" in images
    assert images["Deployment/default/home-assistant"] == {
        "ghcr.io/home-operations/home-assistant:2026.8.3@sha256:"
        "16ca445e58fa71d4f7ff287d4e9793ea690ccae932a5e200852371425cd7abb0"
    }
    plex = manifests.workload("Deployment/default/plex")
    assert plex is not None
    assert plex.source.file.endswith("default/plex/app/helmrelease.yaml")
    assert plex.source.line == 14  # `plex:` under spec.values.controllers
    assert plex.source.origin == "HelmRelease default/plex spec.values.controllers.plex"
    # Other charts are reported, with their release as a workload standing for its pods.
    assert "HelmRelease/kube-system/cilium" in images
    assert images["HelmRelease/network/unifi-dns"] == {
        "ghcr.io/home-operations/external-dns-unifi-webhook:0.10.11@sha256:"
        "e8c93980f593c5d6a75870e6eb2c288003f2baa227fcbb5e41ec23ecbfd6cbe9"
    }
    not_rendered = [f for f in manifests.findings if f.id == "helm-not-rendered"]
    assert any("cilium" in f.message for f in not_rendered)
    # Every HelmRelease in the tree is modelled: by derived workloads or as itself; except
    # runners/home-operations, which runners/kustomization.yaml comments out (never applied).
    releases = {d.name for d in manifests.of_kind("HelmRelease")} - NOT_APPLIED[repo.name]
    covered = {w.name for w in manifests.workloads if w.kind == "HelmRelease"} | {
        w.annotations["archfit.dev/helm-release"].split("/", 1)[1]
        for w in manifests.workloads
        if "archfit.dev/helm-release" in w.annotations
    }
    assert releases <= covered
    # valuesFrom through a configMapGenerator is found: no incomplete-values finding.
    assert not [f for f in manifests.findings if f.id == "helm-values-incomplete"]
    # The kopiur backup component is instantiated per Flux Kustomization with its substitutions:
    # plex's claim (used through `existingClaim: "{{ .Release.Name }}"`) is 50Gi of ceph-block.
    claims = {(c.namespace, c.name): c for c in manifests.pvcs}
    plex_claim = claims[("default", "plex")]
    assert plex_claim.storage == Quantity.parse("50Gi")
    assert plex_claim.storage_class == "ceph-block"
    assert plex_claim.source is not None
    assert plex_claim.source.origin == "Flux Kustomization default/plex"
    assert not [f for f in manifests.findings if f.id == "invalid-manifest"]


def test_pi_cluster_overlays(shared_dir: Path) -> None:
    repo = shared_dir / "fixtures" / "gitops" / "jmerhib__pi-cluster"
    manifests = load_manifests([repo])
    images = _images(manifests)
    assert images["Deployment/pihole/pihole"] == {"docker.io/pihole/pihole:2025.08.0"}
    assert images["Deployment/linkding/linkding"] == {"docker.io/sissbruecker/linkding:1.31.0"}
    assert images["CronJob/renovate/renovate"] == {"docker.io/renovate/renovate:latest"}
    assert "Deployment/homepage/cloudflared" in images
    assert "HelmRelease/metallb/metallb" in images
    pihole = manifests.workload("Deployment/pihole/pihole")
    assert pihole is not None
    assert pihole.source.file.endswith("apps/base/pihole/deployment.yaml")
    assert pihole.source.origin.startswith("kustomize ")
    # The base copy in the default namespace is superseded by the overlay's.
    assert manifests.workload("Deployment/default/pihole") is None


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", REPOS)
def test_fix_dry_run_on_a_copy(name: str, shared_dir: Path, tmp_path: Path) -> None:
    original = shared_dir / "fixtures" / "gitops" / name
    before_original = _digest(original)
    copy = tmp_path / name
    shutil.copytree(original, copy)
    before = _digest(copy)
    outcome = run_fix([copy], dry_run=True, check=fixed_check())
    assert outcome.files, "some placement must be written"
    for path, text in outcome.files.items():
        # The project's reader (Go-yaml semantics: an anchor may be redefined, as these files do).
        result = read_text(text, path)
        assert result.problems == []
        assert result.documents
    assert _digest(copy) == before
    assert _digest(original) == before_original


@pytest.mark.parametrize("name", REPOS)
def test_every_declared_workload_and_release_is_listed(name: str, shared_dir: Path) -> None:
    repo = shared_dir / "fixtures" / "gitops" / name
    manifests = load_manifests([repo])
    declared = read_documents([repo]).documents
    listed = {(w.kind, w.name) for w in manifests.workloads}
    raw = {
        (d.kind, d.name)
        for d in declared
        if d.kind in {"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"}
        and d.group in {"apps", "batch"}
    }
    # onedr0p declares every workload through HelmReleases; pi-cluster through raw manifests.
    assert len(raw) >= (10 if name == "jmerhib__pi-cluster" else 0)
    assert raw <= listed
    releases = {d.name for d in declared if d.kind == "HelmRelease"} - NOT_APPLIED[name]
    release_of = {
        w.annotations["archfit.dev/helm-release"].split("/", 1)[1]
        for w in manifests.workloads
        if "archfit.dev/helm-release" in w.annotations
    }
    assert releases <= release_of
    # Every image of every workload parses (templated or partial references would not).
    for workload in manifests.workloads:
        for container in workload.template.all_containers:
            assert container.image_ref is not None, (workload.key, container.image)
