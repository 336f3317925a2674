"""`archfit check -o json` on small repositories in the common shapes of public homelab GitOps
repositories (tests/fixtures/layouts): every workload under the kind, namespace and name the API
server would show, with every image as the kubelet would pull it. Expectations are written by
hand from the upstream rules (Flux helm-controller, the bjw-s common library, Kustomize, Argo CD,
Helm's number formatting)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.console import ROOT, archfit
from tests.support.kustomize import require_kustomize

LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"

Workload = tuple[str, str, str, tuple[str, ...]]


def _helm() -> str:
    """The helm binary `scripts/install-helm` puts beside the interpreter, or one on PATH."""
    beside = Path(sys.executable).parent / "helm"
    found = str(beside) if beside.is_file() else shutil.which("helm")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no helm binary: run scripts/install-helm")
        pytest.skip("no helm binary (scripts/install-helm puts one in .venv/bin)")
    return found


def _workloads(layout: str) -> set[Workload]:
    require_kustomize(shutil.which("kubectl") is not None)  # overlays with patches render
    run = archfit(
        "check",
        str(LAYOUTS / layout),
        "--offline",
        "-o",
        "json",
        "--fail-on",
        "never",
        env={"ARCHFIT_HELM": _helm()},
    )
    assert run.code == 0, run.err
    report = json.loads(run.out)
    found = [
        (w["kind"], w["namespace"], w["name"], tuple(sorted(i["ref"] for i in w["images"])))
        for w in report["workloads"]
    ]
    assert len(found) == len(set(found)), f"a workload is reported twice: {found}"
    return set(found)


def _findings(layout: str) -> list[dict[str, str]]:
    run = archfit(
        "check",
        str(LAYOUTS / layout),
        "--offline",
        "-o",
        "json",
        "--fail-on",
        "never",
        env={"ARCHFIT_HELM": _helm()},
    )
    findings: list[dict[str, str]] = json.loads(run.out)["findings"]
    return findings


FLUX_APPTEMPLATE: set[Workload] = {
    # 4.x via OCIRepository: a statefulset with an init container; the cronjob named
    # <release>-<controller> (two enabled controllers); `debug` is disabled. `tag: 8.10` is a
    # number, which Helm prints as 8.1 (what the cluster then pulls).
    (
        "StatefulSet",
        "media",
        "jellyfin",
        (
            "docker.io/library/busybox:1.37.0",
            "ghcr.io/jellyfin/jellyfin:10.10.7@sha256:"
            "e4d1dc5374344446e9a5c3d0f2e5b9e3b7f1a0f4d8c2e5a6b7c8d9e0f1a2b3c4",
        ),
    ),
    ("CronJob", "media", "jellyfin-cleanup", ("docker.io/alpine/curl:8.1",)),
    # 3.x, one controller, fullnameOverride; values merged from a generated ConfigMap; a
    # post-renderer retags the exporter.
    (
        "Deployment",
        "media",
        "tv",
        ("ghcr.io/home-operations/sonarr:4.0.15.2940", "ghcr.io/onedr0p/exportarr:v2.2.0"),
    ),
    # HelmRelease targetNamespace: release tools-backup. `backup` already ends the name, `Prune`
    # is lower-cased, `web` gets its identifier and then its suffix.
    ("CronJob", "tools", "tools-backup", ("docker.io/restic/restic:0.18.0",)),
    (
        "Job",
        "tools",
        "tools-backup-prune",
        (
            "docker.io/restic/restic@sha256:"
            "1111111111111111111111111111111111111111111111111111111111111111",
        ),
    ),
    ("Deployment", "tools", "tools-backup-web-ui", ("ghcr.io/example/backup-ui:2.1",)),
    # 2.x naming with releaseName: main is the release, others <release>-<nameOverride|id>.
    (
        "Deployment",
        "db",
        "mqtt",
        ("public.ecr.aws/docker/library/eclipse-mosquitto:2.0.21",),
    ),
    ("Deployment", "db", "mqtt-metrics", ("docker.io/sapcc/mosquitto-exporter:0.8.0",)),
    # 1.x layout.
    (
        "Deployment",
        "tools",
        "echo",
        ("docker.io/ealen/echo-server:0.9.2", "docker.io/library/busybox:1.36"),
    ),
    # Top-level nameOverride has no effect in app-template; alwaysAppend skips an identifier
    # equal to the name; the tag comes from a ConfigMap through targetPath.
    ("Deployment", "tools", "paperless", ("ghcr.io/paperless-ngx/paperless-ngx:2.15.3",)),
    # A release name over 53 characters, shortened by helm-controller (40 chars, -, 12 hex of
    # the SHA-256 of the full name: sha256sum gives fee2bb8564e7…).
    (
        "Deployment",
        "home-automation",
        "home-automation-home-assistant-matter-se-fee2bb8564e7",
        ("ghcr.io/home-assistant-libs/python-matter-server:8.0.0",),
    ),
}

KUSTOMIZE_OVERLAYS: set[Workload] = {
    (
        "Deployment",
        "prod",
        "prod-whoami",
        (
            "docker.io/library/busybox@sha256:"
            "2222222222222222222222222222222222222222222222222222222222222222",
            "docker.io/traefik/whoami:v1.11.0",
            "ghcr.io/tailscale/tailscale:v1.80.0",
        ),
    ),
    ("StatefulSet", "prod", "prod-redis", ("docker.io/valkey/valkey:8.0",)),
    ("CronJob", "prod", "prod-whoami-report", ("docker.io/curlimages/curl:8.12.0",)),
    (
        "Deployment",
        "staging",
        "whoami-stg",
        ("docker.io/library/busybox:latest", "docker.io/traefik/whoami:v1.10"),
    ),
    ("CronJob", "staging", "whoami-report-stg", ("docker.io/curlimages/curl:8.11.1",)),
}

ARGOCD_APP_OF_APPS: set[Workload] = {
    ("Deployment", "dashboards", "homepage", ("ghcr.io/gethomepage/homepage:v1.2.0",)),
    # Values from `$values/values/gotify.yaml`; release `notify`, two controllers.
    ("Deployment", "notify", "notify-gotify", ("ghcr.io/gotify/server:2.6.3",)),
    ("CronJob", "notify", "notify-backup", ("docker.io/library/alpine:3.21",)),
    # `kustomize.images` of the Application overrides the tag in the manifest.
    ("Deployment", "web", "whoami", ("docker.io/traefik/whoami:v1.11.0",)),
    # `directory.recurse` with `exclude: "*-test.yaml"` (`*` crosses `/`): no pinger-test Pod.
    ("StatefulSet", "monitoring", "uptime-kuma", ("docker.io/louislam/uptime-kuma:1.23.16",)),
    ("DaemonSet", "monitoring", "pinger", ("registry.example.invalid:5000/tools/pinger:0.3",)),
}

RAW_MANIFESTS: set[Workload] = {
    (
        "CronJob",
        "home",
        "db-backup",
        (
            "docker.io/library/postgres:17-alpine",
            "ghcr.io/example/pg-dump@sha256:"
            "3333333333333333333333333333333333333333333333333333333333333333",
        ),
    ),
    ("Job", "home", "seed", ("docker.io/library/mongo:8.0",)),
    (
        "DaemonSet",
        "monitoring",
        "node-exporter",
        ("quay.io/prometheus/node-exporter:v1.9.0",),
    ),
    (
        "Pod",
        "default",
        "debug",
        ("docker.io/library/alpine:latest", "docker.io/nicolaka/netshoot:v0.13"),
    ),
    ("StatefulSet", "db", "mariadb", ("registry.local:5000/mariadb:11.4",)),
    ("Deployment", "web", "echo", ("docker.io/hashicorp/http-echo:1.0",)),
}


LOCAL_CHARTS: set[Workload] = {
    # Flux GitRepository chart path: fullname <release>-<chart> (the release does not contain
    # "web"); the worker enabled by the release's values.
    ("Deployment", "web", "blog-web", ("docker.io/library/nginx:1.28.0",)),
    ("CronJob", "web", "blog-web-worker", ("ghcr.io/example/worker:2.0",)),
    # `chart.spec.valuesFiles` (values-docs.yaml over values.yaml), then a post-renderer's
    # Kustomize `images` retags what the chart rendered.
    ("Deployment", "web", "notes-web", ("ghcr.io/example/docs-nginx:1.29",)),
    # Argo CD local chart: releaseName contains the chart name, so it is the fullname; the
    # image from the chart's values-docs.yaml.
    ("Deployment", "docs", "web-docs", ("ghcr.io/example/docs-nginx:1.27",)),
    # Kustomize helmCharts, chart vendored in charts/: fullnameOverride; tag from appVersion.
    ("Deployment", "site", "storefront", ("docker.io/library/nginx:1.27.3",)),
}


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("flux-apptemplate", FLUX_APPTEMPLATE),
        ("local-charts", LOCAL_CHARTS),
        ("kustomize-overlays", KUSTOMIZE_OVERLAYS),
        ("argocd-app-of-apps", ARGOCD_APP_OF_APPS),
        ("raw-manifests", RAW_MANIFESTS),
    ],
)
def test_every_workload_under_its_cluster_name_with_every_image(
    layout: str, expected: set[Workload]
) -> None:
    assert _workloads(layout) == expected


def test_a_file_its_kustomization_does_not_list_is_not_deployed() -> None:
    not_deployed = [f for f in _findings("flux-apptemplate") if f["id"] == "not-deployed"]
    assert len(not_deployed) == 1
    assert not_deployed[0]["message"].endswith(
        "kubernetes/apps/media/jellyfin/app/helmrelease-old.yaml"
    )


def test_argocd_excluded_file_is_not_deployed() -> None:
    not_deployed = [f for f in _findings("argocd-app-of-apps") if f["id"] == "not-deployed"]
    assert len(not_deployed) == 1
    assert "manifests/uptime/extra/pinger-test.yaml" in not_deployed[0]["message"]


def test_no_layout_reports_a_valid_file_as_invalid() -> None:
    for layout in sorted(p.name for p in LAYOUTS.iterdir() if p.is_dir()):
        ids = {f["id"] for f in _findings(layout)}
        assert not ids & {"invalid-yaml", "invalid-manifest", "helm-values-incomplete"}, layout


def test_layout_files_are_what_the_tests_read() -> None:
    # Every layout directory has its expectation above (a new one without is a forgotten test).
    assert {p.name for p in LAYOUTS.iterdir() if p.is_dir()} == {
        "flux-apptemplate",
        "kustomize-overlays",
        "argocd-app-of-apps",
        "raw-manifests",
        "local-charts",
    }
    assert Path(LAYOUTS / "README.md").is_file()
