"""`archfit fix` on Helm releases in copies of the layout repositories: the placement goes into the
values the chart passes to every pod (a pod spec embedded in values, a local chart's values, an
Argo CD values file, a release's `valuesFrom`), and a release two overlays place differently is
patched per overlay. Checked with `archfit check` or `kubectl kustomize` after the edit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.console import archfit
from tests.support.layouts import (
    AMD64_ONLY,
    BOTH_PLATFORMS,
    LAYOUTS,
    TWO_ARCH_CLUSTER,
    helm_binary,
    image_lock,
    kustomize_build,
)

RUNNER_RELEASE = """\
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: runner
  namespace: ci
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: gha-runner-scale-set
  values:
    githubConfigUrl: https://github.com/example/repo
    template:
      spec:
        affinity:
          podAntiAffinity:
            preferredDuringSchedulingIgnoredDuringExecution:
              - weight: 10
                podAffinityTerm:
                  topologyKey: kubernetes.io/hostname
        containers:
          - name: runner
            image: ghcr.io/actions/actions-runner:2.330.0
"""


def test_a_pod_spec_embedded_in_values_gets_the_placement(tmp_path: Path) -> None:
    # gha-runner-scale-set has no top-level `affinity`: its pods come from `template`.
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "runner.yaml").write_text(RUNNER_RELEASE)
    (repo / "cluster.yaml").write_text(TWO_ARCH_CLUSTER)
    (repo / "archfit.lock").write_text(
        image_lock({"ghcr.io/actions/actions-runner:2.330.0": AMD64_ONLY})
    )
    run = archfit("fix", str(repo), "--offline", "-o", "json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["changes"] == [
        f"HelmRelease/ci/runner → {repo / 'runner.yaml'} (spec.values.template.spec.affinity)"
    ]
    assert not any("not known to archfit" in n for n in report["notes"])
    values = yaml.safe_load((repo / "runner.yaml").read_text())["spec"]["values"]
    affinity = values["template"]["spec"]["affinity"]
    assert "affinity" not in values
    assert (
        affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"]
        == 10
    )
    assert affinity["nodeAffinity"] == {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                    ]
                }
            ]
        }
    }
    again = archfit("check", str(repo), "--offline", "-o", "json")
    placed = json.loads(again.out)["workloads"][0]
    assert placed["allowed_architectures"] == ["amd64"]
    assert placed["eligible_nodes"] == ["x1"]


def _helm_env() -> dict[str, str]:
    return {"ARCHFIT_HELM": helm_binary()}


@pytest.fixture
def charts(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(LAYOUTS / "local-charts", repo)
    (repo / "cluster.yaml").write_text(TWO_ARCH_CLUSTER)
    (repo / "archfit.lock").write_text(
        image_lock(
            {
                "docker.io/library/nginx:1.28.0": AMD64_ONLY,
                "ghcr.io/example/worker:2.0": AMD64_ONLY,
                "ghcr.io/example/docs-nginx:1.27": BOTH_PLATFORMS,
                "docker.io/library/nginx:1.27.3": BOTH_PLATFORMS,
            }
        )
    )
    return repo


def _fix(repo: Path) -> dict[str, list[str]]:
    run = archfit("fix", str(repo), "--offline", "-o", "json", env=_helm_env())
    assert run.code == 0, run.err
    report: dict[str, list[str]] = json.loads(run.out)
    return report


def test_a_value_the_chart_does_not_pass_to_every_pod_is_not_written(charts: Path) -> None:
    # The chart reads `nodeSelector` in its Deployment only (not in the worker CronJob) and
    # has no `affinity` value: writing either would leave the worker where it was.
    before = (charts / "flux/apps/helmrelease.yaml").read_text()
    report = _fix(charts)
    assert report["files"] == []
    assert (charts / "flux/apps/helmrelease.yaml").read_text() == before
    assert any(
        n.startswith("Deployment/web/blog-web: not edited: no template of chart 'web' mentions")
        for n in report["notes"]
    )


def test_the_value_every_pod_reads_is_written(charts: Path) -> None:
    release = charts / "flux/apps/helmrelease.yaml"
    release.write_text(release.read_text().replace("enabled: true", "enabled: false"))
    report = _fix(charts)
    assert report["changes"] == [f"Deployment/web/blog-web → {release} (spec.values.nodeSelector)"]
    values = yaml.safe_load(release.read_text())["spec"]["values"]
    assert values["nodeSelector"] == {"kubernetes.io/arch": "amd64"}
    run = archfit("check", str(charts), "--offline", "-o", "json", env=_helm_env())
    placed = {w["name"]: w for w in json.loads(run.out)["workloads"]}["blog-web"]
    assert placed["eligible_nodes"] == ["x1"]
    assert not [f for f in placed["findings"] if f["id"] != "unresolved-image"]


def test_affinity_is_preferred_when_the_chart_passes_it(charts: Path) -> None:
    template = charts / "charts/web/templates/deployment.yaml"
    template.write_text(
        template.read_text().replace(
            "      containers:",
            "      {{- with .Values.affinity }}\n      affinity:\n"
            "        {{- toYaml . | nindent 8 }}\n      {{- end }}\n      containers:",
        )
    )
    release = charts / "flux/apps/helmrelease.yaml"
    release.write_text(release.read_text().replace("enabled: true", "enabled: false"))
    report = _fix(charts)
    assert report["changes"] == [f"Deployment/web/blog-web → {release} (spec.values.affinity)"]
    values = yaml.safe_load(release.read_text())["spec"]["values"]
    assert "nodeSelector" not in values
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms == {
        "nodeSelectorTerms": [
            {
                "matchExpressions": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                ]
            }
        ]
    }


def test_values_kept_in_a_values_file_are_edited_there(tmp_path: Path) -> None:
    # Argo CD multi-source: every value of `gotify` comes from `$values/values/gotify.yaml`.
    repo = tmp_path / "repo"
    shutil.copytree(LAYOUTS / "argocd-app-of-apps", repo)
    (repo / "cluster.yaml").write_text(TWO_ARCH_CLUSTER)
    (repo / "archfit.lock").write_text(
        image_lock(
            {
                "ghcr.io/gotify/server:2.6.3": AMD64_ONLY,
                "docker.io/library/alpine:3.21": BOTH_PLATFORMS,
                "ghcr.io/gethomepage/homepage:v1.2.0": BOTH_PLATFORMS,
                "docker.io/traefik/whoami:v1.11.0": BOTH_PLATFORMS,
                "docker.io/louislam/uptime-kuma:1.23.16": BOTH_PLATFORMS,
                "registry.example.invalid:5000/tools/pinger:0.3": BOTH_PLATFORMS,
            }
        )
    )
    application = (repo / "argocd/apps/gotify.yaml").read_text()
    report = _fix(repo)
    assert [Path(f).relative_to(repo).as_posix() for f in report["files"]] == ["values/gotify.yaml"]
    assert (repo / "argocd/apps/gotify.yaml").read_text() == application
    values = yaml.safe_load((repo / "values/gotify.yaml").read_text())
    assert "pod" not in values["controllers"]["backup"]
    assert values["controllers"]["gotify"]["pod"]["affinity"]["nodeAffinity"] == {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                    ]
                }
            ]
        }
    }
    run = archfit("check", str(repo), "--offline", "-o", "json")
    placed = {w["name"]: w for w in json.loads(run.out)["workloads"]}
    assert placed["notify-gotify"]["eligible_nodes"] == ["x1"]
    assert sorted(placed["notify-backup"]["eligible_nodes"]) == ["a1", "x1"]


BASE_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: plex
spec:
  interval: 1h
  chart:
    spec:
      chart: app-template
      version: 4.0.1
      sourceRef: {kind: HelmRepository, name: bjw-s, namespace: flux-system}
  values:
    controllers:
      plex:
        containers:
          app:
            image:
              repository: ghcr.io/home-operations/plex
              tag: "1.41"
"""

PROD_PATCH = """\
- op: replace
  path: /spec/values/controllers/plex/containers/app/image/tag
  value: "1.42"
"""


def test_a_release_two_overlays_place_differently_is_patched_per_overlay(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for part in ("base", "dev", "prod"):
        (repo / part).mkdir(parents=True)
    (repo / "base/helmrelease.yaml").write_text(BASE_RELEASE)
    (repo / "base/kustomization.yaml").write_text("resources: [helmrelease.yaml]\n")
    (repo / "dev/kustomization.yaml").write_text("namespace: dev\nresources: [../base]\n")
    (repo / "prod/kustomization.yaml").write_text(
        "namespace: prod\nresources: [../base]\n"
        "patches:\n  - path: tag.yaml\n    target: {kind: HelmRelease, name: plex}\n"
    )
    (repo / "prod/tag.yaml").write_text(PROD_PATCH)
    (repo / "cluster.yaml").write_text(TWO_ARCH_CLUSTER)
    (repo / "archfit.lock").write_text(
        image_lock(
            {
                "ghcr.io/home-operations/plex:1.41": BOTH_PLATFORMS,
                "ghcr.io/home-operations/plex:1.42": AMD64_ONLY,
            }
        )
    )
    report = _fix(repo)
    assert sorted(Path(f).relative_to(repo).as_posix() for f in report["files"]) == [
        "prod/archfit-placement-helmrelease-plex.yaml",
        "prod/kustomization.yaml",
    ]
    assert (repo / "base/helmrelease.yaml").read_text() == BASE_RELEASE
    assert (
        (repo / "prod/archfit-placement-helmrelease-plex.yaml")
        .read_text()
        .startswith(
            "# Written by `archfit fix`: node placement for ../base/helmrelease.yaml, which other "
            "overlays deploy with another placement.\n"
        )
    )

    def values(overlay: str) -> dict[str, object]:
        built = kustomize_build(repo / overlay)["HelmRelease/plex"]
        spec = built["spec"]
        assert isinstance(spec, dict)
        found: dict[str, object] = spec["values"]
        return found

    assert "defaultPodOptions" not in values("dev")
    assert values("prod")["defaultPodOptions"] == {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                            ]
                        }
                    ]
                }
            }
        }
    }
    run = archfit("check", str(repo), "--offline", "-o", "json")
    placed = {(w["namespace"], w["name"]): w for w in json.loads(run.out)["workloads"]}
    assert placed["prod", "plex"]["eligible_nodes"] == ["x1"]
    assert sorted(placed["dev", "plex"]["eligible_nodes"]) == ["a1", "x1"]


VALUES_FROM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: sonarr
  namespace: media
spec:
  interval: 1h
  chart:
    spec:
      chart: app-template
      version: 4.0.1
      sourceRef: {kind: HelmRepository, name: bjw-s, namespace: flux-system}
  valuesFrom:
    - kind: ConfigMap
      name: sonarr-values
  values:
    controllers:
      sonarr:
        containers:
          app:
            image: {repository: ghcr.io/home-operations/sonarr, tag: "4.0.15"}
"""

SHARED_VALUES = """\
defaultPodOptions:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: kubernetes.io/hostname, operator: In, values: [x1, a1]}
"""


def test_an_affinity_from_valuesfrom_is_not_replaced_inline(tmp_path: Path) -> None:
    # Flux merges spec.values over valuesFrom, and a list replaces a list: an inline
    # defaultPodOptions.affinity would drop the hostname term the ConfigMap's file sets.
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "helmrelease.yaml").write_text(VALUES_FROM_RELEASE)
    (repo / "values.yaml").write_text(SHARED_VALUES)
    (repo / "kustomization.yaml").write_text(
        "namespace: media\nresources: [helmrelease.yaml]\n"
        "configMapGenerator:\n  - name: sonarr-values\n    files: [values.yaml=values.yaml]\n"
        "generatorOptions: {disableNameSuffixHash: true}\n"
    )
    (repo / "cluster.yaml").write_text(TWO_ARCH_CLUSTER)
    (repo / "archfit.lock").write_text(
        image_lock({"ghcr.io/home-operations/sonarr:4.0.15": AMD64_ONLY})
    )
    report = _fix(repo)
    assert report["files"] == []
    assert any(
        n.startswith("Deployment/media/sonarr: its affinity is set in values read from elsewhere")
        for n in report["notes"]
    )


RUNNER_FROM_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: runner-placement
  namespace: ci
data:
  values.yaml: |
    template:
      spec:
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - {key: kubernetes.io/hostname, operator: In, values: [x1, a1]}
"""


def test_a_charts_node_affinity_from_valuesfrom_is_not_replaced_inline(tmp_path: Path) -> None:
    # Any chart, not only app-template: Helm merges the inline values over valuesFrom map by
    # map, and the inline nodeSelectorTerms list would replace the ConfigMap's hostname term.
    repo = tmp_path / "repo"
    repo.mkdir()
    release = RUNNER_RELEASE.replace(
        "  values:\n", "  valuesFrom:\n    - {kind: ConfigMap, name: runner-placement}\n  values:\n"
    )
    (repo / "runner.yaml").write_text(release + "---\n" + RUNNER_FROM_CONFIGMAP)
    (repo / "cluster.yaml").write_text(TWO_ARCH_CLUSTER)
    (repo / "archfit.lock").write_text(
        image_lock({"ghcr.io/actions/actions-runner:2.330.0": AMD64_ONLY})
    )
    before = (repo / "runner.yaml").read_text()
    run = archfit("fix", str(repo), "--offline", "-o", "json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["changes"] == []
    assert (repo / "runner.yaml").read_text() == before
    assert (
        "HelmRelease/ci/runner: its node affinity is set in values read from elsewhere (the "
        "chart's defaults, valuesFrom or a values file), which one written here would replace; "
        "not edited, add the placement there"
    ) in report["notes"]
