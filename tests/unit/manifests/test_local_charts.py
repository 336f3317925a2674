"""Every local chart is rendered once: a chart nothing installs (with its own values), a wrapper
chart whole (its own templates and its subcharts, directories and `.tgz`, `condition` and
aliases honoured), a packaged chart a HelmRelease names; a chart whose dependencies are not
vendored is one finding. Rendered through the helm binary and through the Helm SDK; the object
names are what `helm template` prints for these charts, worked out by hand from the templates."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import tarfile
import textwrap
from pathlib import Path

import pytest
import yaml
from tests.unit.rewrite._support import fixed_check

from archfit.manifests import ManifestSet
from archfit.manifests.renderers import Renderers
from archfit.sources import ReadSettings, load_manifests
from archfit.sources.renderers import SDK_MODULE
from archfit.usecases.fix import run_fix

NO_HELM = "archfit-test-no-such-helm"
FULLNAME = """\
{{- define "fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 }}
{{- else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 }}{{ end }}
{{- end }}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {{{{ include "fullname" . }}}}
spec:
  template:
    spec:
      containers:
        - name: main
          image: {{{{ .Values.image | quote }}}}
      {{{{- with .Values.affinity }}}}
      affinity: {{{{ toYaml . | nindent 8 }}}}
      {{{{- end }}}}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def chart(
    name: str, *, kind: str = "Deployment", image: str = "", extra: str = ""
) -> dict[str, str]:
    """The files of a small chart: one workload named by the `fullname` helper."""
    files = {
        "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n{extra}",
        "templates/_helpers.tpl": FULLNAME,
        "templates/workload.yaml": DEPLOYMENT.format(kind=kind),
    }
    if image:
        files["values.yaml"] = f"image: {image}\n"
    return files


def package(directory: Path, files: dict[str, str], archive: Path) -> None:
    """A `.tgz` laid out as `helm package` writes it: `<name>/Chart.yaml`, …"""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in files.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(f"{directory.name}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.fixture(params=["binary", "sdk"])
def renderer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the helm binary and with the Helm SDK."""
    if request.param == "sdk":
        if importlib.util.find_spec(SDK_MODULE) is None:
            if os.environ.get("CI"):
                pytest.fail("helm-python-sdk missing (the dev extra installs it)")
            pytest.skip("helm-python-sdk not installed")
        monkeypatch.setenv("ARCHFIT_HELM", NO_HELM)
        return "the Helm SDK (helm-python-sdk)"
    venv_helm = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "helm"
    helm = shutil.which("helm") or (str(venv_helm) if venv_helm.exists() else None)
    if helm is None:
        if os.environ.get("CI"):
            pytest.fail("no helm binary (scripts/install-helm puts one in .venv/bin)")
        pytest.skip("no helm binary (scripts/install-helm puts one in .venv/bin)")
    monkeypatch.setenv("ARCHFIT_HELM", helm)
    return "helm template"


def load(paths: list[Path], entry: str | None = None) -> ManifestSet:
    return ReadSettings.from_environment(os.environ).load(paths, entry=entry)


def test_a_chart_nothing_installs_is_rendered_with_its_own_values(
    renderer: str, tmp_path: Path
) -> None:
    repo = write(tmp_path / "repo", {f"charts/web/{k}": v for k, v in chart("web").items()})
    write(repo, {"charts/web/values.yaml": "image: ghcr.io/example/web:1.0.0\n"})
    manifests = load([repo])
    assert manifests.findings == ()
    # Release name = chart name, so the fullname helper gives `web`, in namespace default.
    assert [w.key for w in manifests.workloads] == ["Deployment/default/web"]
    (web,) = manifests.workloads
    assert [c.image for c in web.template.containers] == ["ghcr.io/example/web:1.0.0"]
    assert web.source.file == str(repo / "charts" / "web" / "values.yaml")
    assert web.source.origin == (
        "Chart default/web rendered from chart web with its own values (nothing in the input "
        "installs it), template web/templates/workload.yaml"
    )
    assert f"charts: Chart default/web: rendered with {renderer}" in manifests.notes


def test_a_wrapper_chart_renders_its_templates_and_its_subcharts(
    renderer: str, tmp_path: Path
) -> None:
    del renderer
    root = tmp_path / "repo" / "shop"
    deps = """\
        dependencies:
          - {name: cache, version: 1.0.0, condition: cache.enabled}
          - {name: queue, version: 1.0.0, alias: jobs}
          - {name: metrics, version: 1.0.0, condition: metrics.enabled}
        """
    write(root, chart("shop", extra=textwrap.dedent(deps)))
    write(
        root,
        {
            "values.yaml": """\
                image: ghcr.io/example/shop:1.0.0
                cache: {enabled: true, image: redis:7.2}
                jobs: {image: ghcr.io/example/queue:2.0.0}
                metrics: {enabled: false, image: ghcr.io/example/metrics:1.0.0}
                """
        },
    )
    write(root / "charts" / "cache", chart("cache", kind="StatefulSet", image="redis:6"))
    write(root / "charts" / "metrics", chart("metrics", image="unused:1"))
    package(root / "queue", chart("queue", image="unused:1"), root / "charts" / "queue-1.0.0.tgz")

    manifests = load([tmp_path / "repo"])
    assert manifests.findings == ()
    images = {w.key: [c.image for c in w.template.containers] for w in manifests.workloads}
    # `shop` contains the chart name; the subcharts' `.Chart.Name` are `cache` and the alias
    # `jobs`; metrics is disabled by its condition.
    assert images == {
        "Deployment/default/shop": ["ghcr.io/example/shop:1.0.0"],
        "StatefulSet/default/shop-cache": ["redis:7.2"],
        "Deployment/default/shop-jobs": ["ghcr.io/example/queue:2.0.0"],
    }
    jobs = manifests.workload("Deployment/default/shop-jobs")
    assert jobs is not None
    assert (
        jobs.annotations["archfit.dev/helm-template"] == "shop/charts/jobs/templates/workload.yaml"
    )
    assert jobs.annotations["archfit.dev/values-root"] == "jobs"


def test_fix_writes_a_subchart_placement_under_its_key(renderer: str, tmp_path: Path) -> None:
    del renderer
    root = tmp_path / "shop"
    write(root, chart("shop", image="ghcr.io/example/shop:1.0.0"))
    write(
        root,
        {
            "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n"
            "dependencies: [{name: cache, version: 1.0.0}]\n"
        },
    )
    write(root / "charts" / "cache", chart("cache", image="redis:7.2"))
    template = (root / "templates" / "workload.yaml").read_text()

    outcome = run_fix([tmp_path], check=fixed_check())
    values = yaml.safe_load((root / "values.yaml").read_text())
    arch = {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
    for where in (values, values["cache"]):
        terms = where["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert terms["nodeSelectorTerms"] == [{"matchExpressions": [arch]}]
    # Templates are never edited: the values are where the chart takes its placement from.
    assert (root / "templates" / "workload.yaml").read_text() == template
    assert sorted(outcome.files) == [str(root / "values.yaml")]
    # Both templates read `.Values.affinity`: no warning that the chart might not.
    assert [n for n in outcome.notes if "affinity" in n] == []
    manifests = load([tmp_path])
    for key in ("Deployment/default/shop", "Deployment/default/shop-cache"):
        workload = manifests.workload(key)
        assert workload is not None
        assert workload.template.affinity is not None


def test_fix_leaves_a_chart_that_reads_no_affinity_alone(renderer: str, tmp_path: Path) -> None:
    del renderer
    files = chart("web", image="ghcr.io/example/web:1.0.0")
    files["templates/workload.yaml"] = files["templates/workload.yaml"].split("      {{- with")[0]
    root = write(tmp_path / "web", files)
    before = (root / "values.yaml").read_text()
    outcome = run_fix([tmp_path], check=fixed_check())
    assert outcome.files == {}
    assert (root / "values.yaml").read_text() == before
    assert outcome.notes == (
        "Deployment/default/web: not edited: no template of chart 'web' mentions affinity, so "
        "an `affinity` value would not reach its pods; add the placement to the pod spec in the "
        "chart's templates by hand, or have the chart read `.Values.affinity`",
    )


def test_missing_dependencies_are_one_finding(renderer: str, tmp_path: Path) -> None:
    del renderer
    root = tmp_path / "media"
    deps = """\
        dependencies:
          - name: app-template
            alias: server
            version: 3.5.1
            repository: https://bjw-s-labs.github.io/helm-charts
          - name: exporter
            version: 0.2.0
            repository: https://example.invalid/charts
            condition: exporter.enabled
        """
    write(root, chart("media", extra=textwrap.dedent(deps)))
    write(
        root,
        {
            "values.yaml": """\
                image: ghcr.io/example/media:1.0.0
                exporter: {enabled: false}
                server:
                  controllers:
                    main:
                      containers:
                        main:
                          image: {repository: ghcr.io/example/server, tag: "2.0.0"}
                """
        },
    )
    manifests = load([tmp_path])
    (finding,) = manifests.findings
    assert (finding.id, finding.severity) == ("helm-not-rendered", "warning")
    assert "chart media" in finding.message
    assert (
        "not vendored under charts/ (app-template 3.5.1 from https://bjw-s-labs.github.io/"
        "helm-charts, exporter 0.2.0 from https://example.invalid/charts)"
    ) in finding.message
    assert "the chart's own templates/ were not rendered" in finding.message
    assert finding.hint == (
        f"run `helm dependency build {root}` (or vendor the charts) to have the whole chart "
        "rendered"
    )
    # What can be known without the missing charts: app-template from its values.
    assert [w.key for w in manifests.workloads] == ["Deployment/default/media"]
    (media,) = manifests.workloads
    assert [c.image for c in media.template.containers] == ["ghcr.io/example/server:2.0.0"]


def test_a_packaged_chart_a_helmrelease_names(renderer: str, tmp_path: Path) -> None:
    del renderer
    repo = tmp_path / "repo"
    package(
        repo / "web",
        chart("web", image="ghcr.io/example/web:1.0.0"),
        repo / "charts" / "web-1.0.0.tgz",
    )
    write(repo / "charts" / "api", chart("api", image="ghcr.io/example/api:1.0.0"))
    write(
        repo,
        {
            "apps/releases.yaml": """\
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: shop-web, namespace: shop}
                spec:
                  chart:
                    spec:
                      chart: ./charts/web-1.0.0.tgz
                      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
                  values: {image: ghcr.io/example/web:2.0.0}
                ---
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: api, namespace: shop}
                spec:
                  chart:
                    spec:
                      chart: ./charts/api
                      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
                """
        },
    )
    manifests = load([repo])
    assert manifests.findings == ()
    # `shop-web` contains the chart name, so the helper keeps the release name. The api chart is
    # installed by its release only, never again with its own values.
    images = {w.key: [c.image for c in w.template.containers] for w in manifests.workloads}
    assert images == {
        "Deployment/shop/shop-web": ["ghcr.io/example/web:2.0.0"],
        "Deployment/shop/api": ["ghcr.io/example/api:1.0.0"],
    }


ENTRY = """\
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: apps, namespace: flux-system}
    spec:
      path: ./clusters/prod
      sourceRef: {kind: GitRepository, name: flux-system}
    """
RAW = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: raw, namespace: prod}
    spec:
      template:
        spec:
          containers: [{name: raw, image: nginx:1.27}]
    """


def test_with_entry_points_a_chart_nothing_installs_is_not_deployed(
    renderer: str, tmp_path: Path
) -> None:
    del renderer
    repo = write(
        tmp_path / "repo",
        {"clusters/prod/flux-system/sync.yaml": ENTRY, "clusters/prod/raw.yaml": RAW},
    )
    write(repo / "scaffold" / "web", chart("web", image="ghcr.io/example/web:1.0.0"))
    manifests = load([repo])
    assert [w.key for w in manifests.workloads] == ["Deployment/prod/raw"]
    (finding,) = manifests.findings
    assert finding.id == "not-deployed"
    assert finding.details["files"] == [str(repo / "scaffold" / "web" / "values.yaml")]


WRAPPER = {
    "Chart.yaml": """\
        apiVersion: v2
        name: mqtt
        version: 1.0.0
        dependencies:
          - name: app-template
            alias: broker
            version: 3.5.1
            repository: https://bjw-s-labs.github.io/helm-charts
        """,
    "values.yaml": """\
        broker:
          controllers:
            main:
              containers:
                main:
                  image: {repository: eclipse-mosquitto, tag: "2.0.18"}
        """,
}


def test_an_application_of_a_wrapper_chart_without_its_dependency(
    renderer: str, tmp_path: Path
) -> None:
    """Argo CD builds the dependencies when it syncs; here the chart is modelled from the
    Application's values over the chart's, under the dependency's alias."""
    del renderer
    repo = write(tmp_path / "repo", {f"charts/mqtt/{k}": v for k, v in WRAPPER.items()})
    write(
        repo,
        {
            "apps/mqtt.yaml": """\
                apiVersion: argoproj.io/v1alpha1
                kind: Application
                metadata: {name: broker, namespace: argocd}
                spec:
                  destination: {namespace: home}
                  source:
                    repoURL: https://github.com/example/homelab
                    path: charts/mqtt
                    helm:
                      valuesObject:
                        broker:
                          controllers:
                            main:
                              containers:
                                main:
                                  image: {tag: "2.0.20"}
                """
        },
    )
    manifests = load([repo])
    # Named after the release (the Application), in its destination, never also as `mqtt`.
    assert [w.key for w in manifests.workloads] == ["Deployment/home/broker"]
    (broker,) = manifests.workloads
    assert [c.image for c in broker.template.containers] == ["eclipse-mosquitto:2.0.20"]
    assert broker.source.file == str(repo / "apps" / "mqtt.yaml")
    (finding,) = manifests.findings
    assert (finding.id, finding.severity) == ("helm-not-rendered", "info")
    assert "(app-template 3.5.1 from https://bjw-s-labs.github.io/helm-charts)" in finding.message


def test_a_v1_chart_declares_its_dependencies_in_requirements(
    renderer: str, tmp_path: Path
) -> None:
    del renderer
    files = chart("legacy", image="ghcr.io/example/legacy:1.0.0")
    files["Chart.yaml"] = "apiVersion: v1\nname: legacy\nversion: 1.0.0\n"
    files["requirements.yaml"] = "dependencies:\n  - {name: redis, version: 10.5.7}\n"
    write(tmp_path / "legacy", files)
    manifests = load([tmp_path])
    missing = [f for f in manifests.findings if "not vendored" in f.message]
    assert len(missing) == 1
    assert "(redis 10.5.7)" in missing[0].message
    assert missing[0].severity == "warning"  # its own templates are left out


def test_without_a_renderer_the_chart_stands_for_its_pods(tmp_path: Path) -> None:
    write(tmp_path / "web", chart("web", image="ghcr.io/example/web:1.0.0"))
    manifests = load_manifests([tmp_path], renderers=Renderers())
    assert [w.key for w in manifests.workloads] == ["Chart/default/web"]
    (web,) = manifests.workloads
    assert [c.image for c in web.template.containers] == ["ghcr.io/example/web:1.0.0"]
    # Its template names `.Values.affinity`: `fix` may write the value there.
    assert web.annotations["archfit.dev/chart-reads-affinity"] == "true"
    (finding,) = manifests.findings
    assert (finding.id, finding.severity) == ("helm-not-rendered", "info")
    assert finding.message == (
        f"{tmp_path / 'web' / 'values.yaml'}:1: Chart default/web: chart {tmp_path / 'web'} not "
        "rendered (no helm binary on PATH nor helm-python-sdk installed, and the chart is not "
        "app-template); images in values: ghcr.io/example/web:1.0.0"
    )


@pytest.mark.shared
def test_a_chart_added_to_a_real_repository(shared_dir: Path, tmp_path: Path) -> None:
    """pi-cluster deploys `clusters/staging` through Flux: a chart beside it that nothing
    installs is scaffolding, one more file in `not-deployed`; the repository's own workloads
    are what they were, and the chart's templates are never read as YAML."""
    repo = tmp_path / "pi-cluster"
    shutil.copytree(shared_dir / "fixtures" / "gitops" / "jmerhib__pi-cluster", repo)
    before = load_manifests([repo])
    write(repo / "charts" / "demo", chart("demo", image="nginx:1.27"))
    after = load_manifests([repo])
    assert [w.key for w in after.workloads] == [w.key for w in before.workloads]
    assert len(after.workloads) == 17
    assert [f.id for f in after.findings if f.id.startswith("invalid")] == []
    (unreached,) = [f for f in after.findings if f.id == "not-deployed"]
    assert unreached.details["files"] == [str(repo / "charts" / "demo" / "values.yaml")]
    assert len(after.findings) == len(before.findings) + 1


def test_both_renderers_render_for_the_same_kubernetes_version(
    renderer: str, tmp_path: Path
) -> None:
    # A chart gated on a recent Kubernetes renders with either renderer, and both report the
    # same `.Capabilities.KubeVersion` (the SDK's engine says v1.36.0; the binary is told so).
    del renderer
    files = chart("web", extra='kubeVersion: ">=1.28.0-0"\n')
    files["templates/workload.yaml"] = DEPLOYMENT.format(kind="Deployment").replace(
        "  name: {{ include",
        '  annotations:\n    kube: "{{ .Capabilities.KubeVersion.Version }}"\n  name: {{ include',
    )
    files["values.yaml"] = "image: ghcr.io/example/web:1.0.0\n"
    repo = write(tmp_path / "repo", {f"charts/web/{k}": v for k, v in files.items()})
    manifests = load([repo])
    assert manifests.findings == ()
    (web,) = manifests.workloads
    assert web.key == "Deployment/default/web"
    assert web.annotations.get("kube") == "v1.36.0"
