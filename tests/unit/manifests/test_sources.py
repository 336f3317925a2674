"""The GitOps sources on small trees written for each case: Kustomize (rendered and not),
Flux HelmRelease with valuesFrom, Argo CD, Kustomize helmCharts, wrapper charts, functions."""

from __future__ import annotations

import os
import stat
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from archfit.model.quantity import Quantity
from archfit.sources import load_manifests
from archfit.sources import renderers as kustomize_source


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
            - name: web
              image: nginx:1.27
    """

PATCHED_OVERLAY = {
    "base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "base/deployment.yaml": DEPLOYMENT,
    "overlay/kustomization.yaml": """\
        namespace: prod
        resources: [../base]
        patches:
          - path: arch.yaml
        """,
    "overlay/arch.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              nodeSelector: {kubernetes.io/arch: amd64}
        """,
}


@pytest.fixture
def no_renderer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PATH holds only a `kubectl` stub that fails, as on machines with a broken shim."""
    bin_dir = tmp_path / "stub-bin"
    bin_dir.mkdir()
    stub = bin_dir / "kubectl"
    stub.write_text("#!/bin/sh\necho 'this kubectl is a stub' >&2\nexit 1\n")
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    kustomize_source.kustomize_command.cache_clear()
    yield
    kustomize_source.kustomize_command.cache_clear()


def test_overlay_without_renderer_applies_namespace_and_images_and_says_patches_were_not_applied(
    tmp_path: Path, no_renderer: None
) -> None:
    files = dict(PATCHED_OVERLAY)
    files["overlay/kustomization.yaml"] = (
        textwrap.dedent(files["overlay/kustomization.yaml"])
        + "images:\n  - {name: nginx, newTag: '1.28'}\n"
    )
    root = write(tmp_path / "tree", files)
    assert kustomize_source.kustomize_command() is None
    manifests = load_manifests([root / "overlay"])
    (workload,) = manifests.workloads
    assert workload.key == "Deployment/prod/web"
    assert workload.template.containers[0].image == "nginx:1.28"
    assert workload.template.node_selector == {}  # the patch was not applied …
    (said,) = [f for f in manifests.findings if f.id == "patches-not-applied"]  # … and that is said
    assert said.source is not None
    assert said.source.file.endswith("overlay/kustomization.yaml")
    assert workload.source.file.endswith("base/deployment.yaml")
    assert workload.source.line == 1


def test_overlay_with_renderer_applies_patches(tmp_path: Path) -> None:
    if kustomize_source.kustomize_command() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl kustomize missing (CI machines carry kubectl 1.32)")
        pytest.skip("neither kustomize nor a working kubectl kustomize on PATH")
    root = write(tmp_path / "tree", PATCHED_OVERLAY)
    manifests = load_manifests([root / "overlay"])
    (workload,) = manifests.workloads
    assert workload.key == "Deployment/prod/web"
    assert workload.template.node_selector == {"kubernetes.io/arch": "amd64"}
    assert workload.source.file.endswith("base/deployment.yaml")
    assert workload.source.origin.startswith("kustomize ")


def test_flux_helmrelease_values_from_generated_configmap(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "apps/kustomization.yaml": """\
                namespace: media
                resources: [helmrelease.yaml, repo.yaml]
                configMapGenerator:
                  - name: jellyfin-values
                    files: [values.yaml=jellyfin-values.yaml]
                generatorOptions: {disableNameSuffixHash: true}
                """,
            "apps/jellyfin-values.yaml": """\
                controllers:
                  jellyfin:
                    containers:
                      app:
                        image: {repository: ghcr.io/jellyfin/jellyfin, tag: "10.9.0"}
                """,
            "apps/helmrelease.yaml": """\
                apiVersion: helm.toolkit.fluxcd.io/v2beta2
                kind: HelmRelease
                metadata:
                  name: jellyfin
                spec:
                  chart:
                    spec:
                      chart: app-template
                      sourceRef: {kind: HelmRepository, name: bjw-s}
                  valuesFrom:
                    - kind: ConfigMap
                      name: jellyfin-values
                  values:
                    controllers:
                      jellyfin:
                        containers:
                          app:
                            image: {tag: "10.9.1"}
                """,
            "apps/repo.yaml": """\
                apiVersion: source.toolkit.fluxcd.io/v1
                kind: HelmRepository
                metadata: {name: bjw-s}
                spec: {url: https://bjw-s-labs.github.io/helm-charts}
                """,
        },
    )
    manifests = load_manifests([root])
    workload = manifests.workload("Deployment/media/jellyfin")
    assert workload is not None
    assert workload.template.containers[0].image == "ghcr.io/jellyfin/jellyfin:10.9.1"
    assert workload.source.origin == "HelmRelease media/jellyfin spec.values.controllers.jellyfin"
    assert workload.source.line == 15  # `jellyfin:` under spec.values.controllers


def test_argo_application_helm_source(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "app.yaml": """\
                apiVersion: argoproj.io/v1alpha1
                kind: Application
                metadata: {name: ha, namespace: argocd}
                spec:
                  destination: {namespace: home}
                  source:
                    repoURL: https://bjw-s-labs.github.io/helm-charts
                    chart: app-template
                    targetRevision: 3.5.1
                    helm:
                      releaseName: home-assistant
                      values: |
                        controllers:
                          main:
                            containers:
                              main:
                                image:
                                  repository: ghcr.io/home-assistant/home-assistant
                                  tag: "2024.1"
                      valuesObject:
                        defaultPodOptions:
                          nodeSelector: {kubernetes.io/arch: amd64}
                      parameters:
                        - name: controllers.main.replicas
                          value: "2"
                """,
        },
    )
    manifests = load_manifests([root])
    workload = manifests.workload("Deployment/home/home-assistant")
    assert workload is not None
    assert workload.template.containers[0].image == "ghcr.io/home-assistant/home-assistant:2024.1"
    assert workload.template.node_selector == {"kubernetes.io/arch": "amd64"}
    assert workload.replicas == 2


def test_kustomize_helm_charts_other_chart_is_reported_with_its_images(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "kustomization.yaml": """\
                namespace: dns
                helmCharts:
                  - name: pihole
                    repo: https://mojo2600.github.io/pihole-kubernetes/
                    version: 2.26.0
                    releaseName: pihole
                    valuesInline:
                      image: {repository: pihole/pihole, tag: "2024.07.0"}
                """,
        },
    )
    manifests = load_manifests([root])
    workload = manifests.workload("HelmChart/dns/pihole")
    assert workload is not None
    assert [c.image for c in workload.template.containers] == ["docker.io/pihole/pihole:2024.07.0"]
    (finding,) = [f for f in manifests.findings if f.id == "helm-not-rendered"]
    assert "pihole/pihole:2024.07.0" in finding.message


def test_wrapper_chart_with_app_template_dependency(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "charts/mqtt/Chart.yaml": """\
                apiVersion: v2
                name: mqtt
                version: 1.0.0
                dependencies:
                  - name: app-template
                    alias: broker
                    version: 3.5.1
                    repository: https://bjw-s-labs.github.io/helm-charts
                  - name: exporter
                    version: 1.0.0
                    repository: https://example.invalid/charts
                    condition: exporter.enabled
                """,
            "charts/mqtt/values.yaml": """\
                exporter:
                  enabled: false
                broker:
                  controllers:
                    main:
                      containers:
                        main:
                          image: {repository: eclipse-mosquitto, tag: "2.0.20"}
                """,
        },
    )
    manifests = load_manifests([root])
    workload = manifests.workload("Deployment/default/mqtt")
    assert workload is not None
    assert workload.template.containers[0].image == "eclipse-mosquitto:2.0.20"
    assert workload.source.file.endswith("charts/mqtt/values.yaml")
    assert workload.source.line == 5  # `main:` under broker.controllers
    assert not [w for w in manifests.workloads if "exporter" in w.name]


def test_functions(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "fn.yaml": """\
                apiVersion: serving.knative.dev/v1
                kind: Service
                metadata: {name: hello, namespace: fn}
                spec:
                  template:
                    spec:
                      containers:
                        - image: ghcr.io/knative/helloworld-go:latest
                ---
                apiVersion: openfaas.com/v1
                kind: Function
                metadata: {name: figlet, namespace: openfaas-fn}
                spec:
                  name: figlet
                  image: ghcr.io/openfaas/figlet:latest
                  constraints: ["kubernetes.io/arch=arm64"]
                  limits: {memory: 64Mi}
                """,
        },
    )
    manifests = load_manifests([root])
    knative = manifests.workload("KnativeService/fn/hello")
    function = manifests.workload("Function/openfaas-fn/figlet")
    assert knative is not None
    assert knative.template.containers[0].image == "ghcr.io/knative/helloworld-go:latest"
    assert function is not None
    assert function.template.node_selector == {"kubernetes.io/arch": "arm64"}
    assert function.template.containers[0].resources.limits["memory"] == Quantity.parse("64Mi")


def test_flux_substitution_rules() -> None:
    from archfit.manifests.sources.envsubst import expand

    variables = {"APP": "plex", "EMPTY": ""}
    assert expand("${APP}-data", variables.get).text == "plex-data"
    assert expand("${SIZE:=5Gi}", variables.get).text == "5Gi"
    assert expand("${EMPTY:-fallback}", variables.get).text == "fallback"
    assert expand("[${UNSET}]", variables.get).text == "[]"


def test_flux_kustomization_target_namespace_and_components(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/apps.yaml": """\
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata: {name: web, namespace: flux-system}
                spec:
                  path: ./apps/web
                  targetNamespace: websites
                  components: [../../components/backup]
                  postBuild:
                    substitute: {APP: web, SIZE: 2Gi}
                """,
            "apps/web/kustomization.yaml": "resources: [deployment.yaml]\n",
            "apps/web/deployment.yaml": DEPLOYMENT,
            "components/backup/kustomization.yaml": """\
                apiVersion: kustomize.config.k8s.io/v1alpha1
                kind: Component
                resources: [pvc.yaml]
                """,
            "components/backup/pvc.yaml": """\
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: "${APP}"}
                spec:
                  resources: {requests: {storage: "${SIZE:=1Gi}"}}
                  storageClassName: ${CLASS:=longhorn}
                """,
        },
    )
    manifests = load_manifests([root])
    assert [w.key for w in manifests.workloads] == ["Deployment/websites/web"]
    (claim,) = manifests.pvcs
    assert (claim.namespace, claim.name, claim.storage_class) == ("websites", "web", "longhorn")
    assert claim.storage == Quantity.parse("2Gi")
    assert not manifests.findings


def test_plain_overlay_over_a_base_outside_the_paths_given(
    tmp_path: Path, no_renderer: None
) -> None:
    root = write(
        tmp_path / "tree",
        {
            "base/kustomization.yaml": "resources: [deployment.yaml]\n",
            "base/deployment.yaml": DEPLOYMENT,
            "overlay/kustomization.yaml": "resources: [../base]\n",
        },
    )
    manifests = load_manifests([root / "overlay"])
    assert [w.key for w in manifests.workloads] == ["Deployment/default/web"]
    assert manifests.workloads[0].source.origin == f"kustomize {root / 'overlay'}"
