"""`archfit check` and `archfit fix --dry-run` (the installed console script) on a Flux
Kustomization with `namePrefix`, `images` and `patches`: the names, images and placement the
cluster would show, and no edit that a Flux patch would override."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.support.console import archfit

FILES = {
    "clusters/home/apps.yaml": """\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec:
          path: ./apps
          targetNamespace: web
          namePrefix: home-
          images:
            - {name: ghcr.io/acme/web, newTag: "1.2.3"}
          patches:
            - target: {kind: Deployment, name: web}
              patch: |
                - op: add
                  path: /spec/template/spec/affinity
                  value:
                    nodeAffinity:
                      preferredDuringSchedulingIgnoredDuringExecution:
                        - weight: 1
                          preference:
                            matchExpressions: [{key: disk, operator: In, values: [ssd]}]
            - target: {kind: Deployment, name: api}
              patch: |
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: api}
                spec:
                  template:
                    spec:
                      nodeSelector: {disk: ssd}
        """,
    "apps/web.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - {name: web, image: "ghcr.io/acme/web:1.0.0"}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              containers:
                - {name: api, image: "ghcr.io/acme/web:1.0.0"}
        """,
    "archfit.lock": """\
        apiVersion: archfit.dev/v1alpha1
        kind: ImageLock
        images:
          ghcr.io/acme/web:1.2.3:
            digest: sha256:1ac98ae175ce484847eee9893b431580dce852bf71c92416602de9b0a50b1f47
            kind: index
            platforms: [linux/arm64]
            resolvedAt: '2026-11-20T09:00:00Z'
        """,
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_check_reports_the_names_images_and_placement_flux_builds(repo: Path) -> None:
    run = archfit("check", str(repo), "--format", "json", cwd=repo.parent)
    assert run.code == 1, run.err  # both ship only arm64 and nothing keeps them off amd64
    report = json.loads(run.out)
    workloads = {(w["kind"], w["namespace"], w["name"]): w for w in report["workloads"]}
    assert sorted(workloads) == [
        ("Deployment", "web", "home-api"),
        ("Deployment", "web", "home-web"),
    ]
    for name in ("home-api", "home-web"):
        (image,) = workloads["Deployment", "web", name]["images"]
        assert (image["ref"], image["status"]) == ("ghcr.io/acme/web:1.2.3", "resolved")
    assert [f["id"] for f in report["findings"] if f["id"] == "patches-not-applied"] == []


def test_fix_refuses_an_edit_a_flux_patch_overrides(repo: Path) -> None:
    before = (repo / "apps/web.yaml").read_text()
    run = archfit("fix", str(repo), "--dry-run", cwd=repo.parent)
    assert run.code == 0, run.err
    (note,) = [line for line in run.err.splitlines() if "home-web" in line]
    assert note.startswith(
        "archfit: warning: Deployment/web/home-web: not edited: Flux Kustomization "
        "flux-system/apps patches its affinity (spec.patches), which would override an edit of "
    )
    assert note.endswith("repo/apps/web.yaml; change that patch instead")
    # The api patch sets only nodeSelector, which an added node affinity does not clash with.
    assert f"would write Deployment/web/home-api → {repo}/apps/web.yaml (pod template)" in run.out
    assert "home-web →" not in run.out
    assert (repo / "apps/web.yaml").read_text() == before


RELEASES = {
    "clusters/home/apps.yaml": """\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec:
          path: ./apps
          targetNamespace: web
          patches:
            - target: {kind: HelmRelease, name: cache}
              patch: |
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: cache}
                spec:
                  values:
                    affinity:
                      nodeAffinity:
                        preferredDuringSchedulingIgnoredDuringExecution:
                          - weight: 1
                            preference:
                              matchExpressions: [{key: disk, operator: In, values: [ssd]}]
        """,
    "apps/releases.yaml": """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: cache}
        spec:
          chart: {spec: {chart: redis, sourceRef: {kind: HelmRepository, name: bitnami}}}
          values:
            image: {repository: ghcr.io/acme/web, tag: "1.2.3"}
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: other}
        spec:
          chart: {spec: {chart: redis, sourceRef: {kind: HelmRepository, name: bitnami}}}
          values:
            image: {repository: ghcr.io/acme/web, tag: "1.2.3"}
        """,
    "archfit.lock": FILES["archfit.lock"],
}


def test_fix_refuses_release_values_a_flux_patch_sets(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for name, text in RELEASES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    run = archfit("fix", str(root), "--dry-run", cwd=tmp_path)
    assert run.code == 0, run.err
    (note,) = [line for line in run.err.splitlines() if "HelmRelease/web/cache" in line]
    assert note.startswith(
        "archfit: warning: HelmRelease/web/cache: not edited: Flux Kustomization "
        "flux-system/apps patches its values (spec.patches)"
    )
    # The release no patch touches is edited in its values.
    assert (
        f"would write HelmRelease/web/other → {root}/apps/releases.yaml (spec.values.affinity)"
        in run.out
    )
    assert "HelmRelease/web/cache →" not in run.out
