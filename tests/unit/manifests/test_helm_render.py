"""Local charts rendered to objects: through the Helm SDK for Python (the `helm` extra, installed
in development) and through a helm binary when one is on PATH. The chart and the release are in
tests/fixtures/helm/local-chart; the expected objects below were worked out by hand from its
values (chart defaults < ConfigMap `valuesFrom` < inline `values`)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from archfit.manifests import ManifestSet
from archfit.model.pod import Affinity, NodeAffinity
from archfit.model.selectors import NodeSelector, NodeSelectorRequirement, NodeSelectorTerm
from archfit.sources import ReadSettings
from archfit.sources.renderers import SDK_MODULE

FIXTURE = Path(__file__).parents[2] / "fixtures" / "helm" / "local-chart"
NO_HELM = "archfit-test-no-such-helm"


def load_manifests(paths: list[Path]) -> ManifestSet:
    """Read as the CLI does: `ARCHFIT_HELM` is read by the entry point and passed down."""
    return ReadSettings.from_environment(os.environ).load(paths)


@pytest.fixture
def sdk_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render through the SDK even where a helm binary is installed."""
    if importlib.util.find_spec(SDK_MODULE) is None:
        if os.environ.get("CI"):
            pytest.fail("helm-python-sdk missing (the dev extra installs it)")
        pytest.skip("helm-python-sdk not installed (pip install 'archfit[helm]')")
    monkeypatch.setenv("ARCHFIT_HELM", NO_HELM)


def _renderer(request: pytest.FixtureRequest, name: str) -> str:
    if name == "sdk":
        request.getfixturevalue("sdk_only")
        return "the Helm SDK (helm-python-sdk)"
    if shutil.which("helm") is None:
        if os.environ.get("CI"):
            pytest.fail("no helm binary on PATH (scripts/install-helm puts one in .venv/bin)")
        pytest.skip("no helm binary on PATH (scripts/install-helm puts one in .venv/bin)")
    return "helm template"


@pytest.mark.parametrize("name", ["sdk", "binary"])
def test_flux_release_of_local_chart_rendered(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv("ARCHFIT_HELM", raising=False)
    renderer = _renderer(request, name)
    manifests = load_manifests([FIXTURE / "release.yaml"])

    assert not manifests.findings
    assert f"helmrelease: HelmRelease shop/web: rendered with {renderer}" in manifests.notes
    assert [w.key for w in manifests.workloads] == ["Deployment/shop/web"]
    (web,) = manifests.workloads
    assert web.replicas == 3  # inline values over the ConfigMap's 2 and the chart's 1
    assert [c.image for c in web.template.containers] == ["ghcr.io/example/web:2.1.0"]
    assert web.template.node_selector == {
        "kubernetes.io/os": "linux",
        "node-role.example.com/shop": "true",
    }
    arm64 = NodeSelectorRequirement("kubernetes.io/arch", "In", ("arm64",))
    assert web.template.affinity == Affinity(
        node_affinity=NodeAffinity(required=NodeSelector((NodeSelectorTerm((arm64,)),)))
    )
    assert web.labels["app.kubernetes.io/instance"] == "web"
    assert web.source.file == str(FIXTURE / "release.yaml")
    assert web.source.origin == (
        "HelmRelease shop/web rendered from chart web, template web/templates/deployment.yaml"
    )
    assert web.annotations["archfit.dev/helm-template"] == "web/templates/deployment.yaml"


def test_sdk_renders_a_chart_archive(sdk_only: None, tmp_path: Path) -> None:
    import helm_python

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    archive = Path(helm_python.package(repo / "charts" / "web", destination=repo / "charts"))
    shutil.rmtree(repo / "charts" / "web")
    assert archive.name == "web-0.1.0.tgz"
    (repo / "kustomization.yaml").write_text(
        textwrap.dedent(
            """\
            helmCharts:
              - name: web
                version: 0.1.0
                releaseName: shop-web
                namespace: shop
                valuesInline: {replicas: 4}
            """
        )
    )
    manifests = load_manifests([repo / "kustomization.yaml"])
    assert [w.key for w in manifests.workloads] == ["Deployment/shop/shop-web"]
    (web,) = manifests.workloads
    assert web.replicas == 4
    assert [c.image for c in web.template.containers] == ["ghcr.io/example/web:1.0.0"]
    assert web.template.affinity is None


def test_sdk_template_error_is_a_finding(sdk_only: None, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    (repo / "charts" / "web" / "templates" / "deployment.yaml").write_text(
        '{{ required "image.digest is required" .Values.image.digest }}\n'
    )
    manifests = load_manifests([repo / "release.yaml"])
    failed, fallback = manifests.findings
    assert (failed.id, failed.severity) == ("helm-not-rendered", "warning")
    assert "rendering with the Helm SDK (helm-python-sdk) failed" in failed.message
    assert "image.digest is required" in failed.message
    assert (fallback.id, fallback.severity) == ("helm-not-rendered", "info")
    assert "(the chart did not render)" in fallback.message
    # Not rendered: the release stands for its pods, with the images found in its values.
    assert [w.key for w in manifests.workloads] == ["HelmRelease/shop/web"]


def test_remote_chart_is_not_rendered_with_the_sdk(sdk_only: None, tmp_path: Path) -> None:
    (tmp_path / "release.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: web, namespace: shop}
            spec:
              chart:
                spec:
                  chart: web
                  sourceRef: {kind: HelmRepository, name: example}
              values:
                image: {repository: ghcr.io/example/web, tag: "2.1.0"}
            """
        )
    )
    manifests = load_manifests([tmp_path / "release.yaml"])
    (finding,) = manifests.findings
    assert finding.id == "helm-not-rendered"
    assert "the chart is not available locally" in finding.message
    assert "ghcr.io/example/web:2.1.0" in finding.message
