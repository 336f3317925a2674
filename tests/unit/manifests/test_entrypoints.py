"""Entry points: each cluster of a repository is its own deployment (Flux roots, Argo CD root
Applications), workloads carry the entry point they were reached from, and what no entry point
reaches is one `not-deployed` info finding."""

from __future__ import annotations

from pathlib import Path

import pytest

import archfit
from archfit.errors import InputError
from archfit.sources import load_manifests


def placed(root: Path, entry: str | None = None) -> set[tuple[str, str]]:
    return {(w.entry_point, w.key) for w in load_manifests([root], entry=entry).workloads}


def test_two_flux_clusters_are_two_entry_points(fixtures_dir: Path) -> None:
    root = fixtures_dir / "entrypoints" / "flux"
    manifests = load_manifests([root])
    assert manifests.entry_points == ("clusters/prod", "clusters/staging")
    assert placed(root) == {
        ("clusters/prod", "Deployment/web-prod/web"),
        ("clusters/prod", "DaemonSet/monitoring/node-exporter"),
        ("clusters/staging", "Deployment/web-staging/web"),
        ("clusters/staging", "DaemonSet/monitoring/node-exporter"),
    }
    [finding] = [f for f in manifests.findings if f.id == "not-deployed"]
    assert finding.severity == "info"
    assert finding.details["files"] == [str(root / "examples/demo/deployment.yaml")]


def test_entry_selects_one_cluster(fixtures_dir: Path) -> None:
    root = fixtures_dir / "entrypoints" / "flux"
    expected = {
        ("clusters/staging", "Deployment/web-staging/web"),
        ("clusters/staging", "DaemonSet/monitoring/node-exporter"),
    }
    assert placed(root, "clusters/staging") == expected
    assert placed(root, str(root / "clusters/staging")) == expected
    with pytest.raises(InputError) as err:
        load_manifests([root], entry="clusters/dev")
    assert err.value.message == (
        "no such entry point; expected one of: clusters/prod, clusters/staging"
    )


def test_two_argo_root_applications(fixtures_dir: Path) -> None:
    root = fixtures_dir / "entrypoints" / "argo"
    manifests = load_manifests([root])
    assert manifests.entry_points == ("clusters/prod", "clusters/staging")
    assert placed(root) == {
        ("clusters/prod", "Deployment/web-prod/web"),
        ("clusters/staging", "Deployment/web-staging/web"),
    }
    [finding] = [f for f in manifests.findings if f.id == "not-deployed"]
    assert finding.details["files"] == [str(root / "templates/app/deployment.yaml")]


def test_no_entry_point_reads_everything(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec: {containers: [{name: c, image: busybox}]}\n"
    )
    manifests = load_manifests([tmp_path])
    assert manifests.entry_points == ()
    assert [(w.entry_point, w.key) for w in manifests.workloads] == [("", "Pod/default/p")]
    with pytest.raises(InputError):
        load_manifests([tmp_path], entry="clusters/prod")


# Written by hand from the trees in ../shared/fixtures/gitops: which have `clusters/*`.
SHARED_ENTRY_POINTS = {
    "jmerhib__pi-cluster": ("clusters/staging",),
    "onedr0p__home-ops": ("kubernetes/flux/cluster",),
}


@pytest.mark.parametrize("repo", sorted(SHARED_ENTRY_POINTS))
def test_shared_repositories(shared_dir: Path, repo: str) -> None:
    root = shared_dir / "fixtures" / "gitops" / repo
    manifests = load_manifests([root])
    assert manifests.entry_points == SHARED_ENTRY_POINTS[repo]
    clusters = (
        sorted(p.name for p in (root / "clusters").iterdir())
        if (root / "clusters").is_dir()
        else []
    )
    assert [p for p in manifests.entry_points if p.startswith("clusters/")] == [
        f"clusters/{c}" for c in clusters
    ]
    assert all(w.entry_point in manifests.entry_points for w in manifests.workloads)
    keys = [(w.entry_point, w.key) for w in manifests.workloads]
    assert len(keys) == len(set(keys))


def test_a_subtree_of_app_kustomizations_reads_as_today(shared_dir: Path) -> None:
    repo = shared_dir / "fixtures" / "gitops" / "onedr0p__home-ops"
    # Each app's ks.yaml applies `./kubernetes/apps/<ns>/<app>/app`, below its own directory:
    # the cluster's root (outside this subtree) applies them, so none is an entry point.
    apps = load_manifests([repo / "kubernetes" / "apps"])
    assert apps.entry_points == ()
    assert not [f for f in apps.findings if f.id == "not-deployed"]
    whole = load_manifests([repo])
    # From the root, runners/home-operations (commented out of runners/kustomization.yaml) is
    # known not to be applied; a subtree without its root reads every file, as before.
    unlisted = {"HelmRelease/actions-runner-system/home-operations-runner"}
    assert {w.key for w in apps.workloads} - unlisted == {w.key for w in whole.workloads}


def test_applications_of_remote_charts_alone_are_no_entry_points(tmp_path: Path) -> None:
    (tmp_path / "argocd").mkdir()
    (tmp_path / "argocd" / "app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: remote, namespace: argocd}\n"
        "spec:\n  source: {repoURL: 'https://example.com/x.git', path: elsewhere}\n"
        "  destination: {namespace: x}\n"
    )
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec: {containers: [{name: c, image: busybox}]}\n"
    )
    manifests = load_manifests([tmp_path])
    assert manifests.entry_points == ()
    assert [w.key for w in manifests.workloads] == ["Pod/default/p"]


def test_public_api_takes_an_entry_point(fixtures_dir: Path) -> None:
    report = archfit.check(fixtures_dir / "entrypoints" / "argo", entry="clusters/staging")
    assert [(v.workload.entry_point, v.workload.key) for v in report.workloads] == [
        ("clusters/staging", "Deployment/web-staging/web")
    ]
