"""Where `fix` writes for the other declarations: Argo CD values (object and string), Kustomize
helmCharts, wrapper charts, Knative and OpenFaaS functions."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml
from tests.unit.rewrite._support import fixed_check

from archfit.usecases.fix import run_fix


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def node_affinity(node: dict[str, Any]) -> dict[str, Any]:
    required: dict[str, Any] = node["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    return required


ARCH = {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}


def test_argo_values_object_and_string(tmp_path: Path) -> None:
    app = write(
        tmp_path / "apps.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: ha}
        spec:
          destination: {namespace: home}
          source:
            chart: app-template
            repoURL: https://bjw-s-labs.github.io/helm-charts
            helm:
              valuesObject:
                controllers:
                  main:
                    containers:
                      main:
                        image: {repository: ghcr.io/home-assistant/home-assistant, tag: "2024.1"}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: mqtt}
        spec:
          destination: {namespace: home}
          source:
            chart: app-template
            repoURL: https://bjw-s-labs.github.io/helm-charts
            helm:
              values: |
                controllers:
                  main:
                    containers:
                      main:
                        image: {repository: eclipse-mosquitto, tag: "2.0.20"}
        """,
    )
    outcome = run_fix([app], check=fixed_check())
    ha, mqtt = yaml.safe_load_all(app.read_text())
    values = ha["spec"]["source"]["helm"]["valuesObject"]
    assert node_affinity(values["defaultPodOptions"])["nodeSelectorTerms"] == [
        {"matchExpressions": [ARCH]}
    ]
    assert isinstance(mqtt["spec"]["source"]["helm"]["values"], str)
    assert any("YAML string" in note for note in outcome.notes)
    assert run_fix([app], check=fixed_check()).files == {}


def test_kustomize_helm_charts_value_inline(tmp_path: Path) -> None:
    kustomization = write(
        tmp_path / "dns" / "kustomization.yaml",
        """\
        namespace: dns
        helmCharts:
          - name: coredns
            repo: https://coredns.github.io/helm
            version: 1.36.0
            valuesInline:
              image: {repository: coredns/coredns, tag: "1.11.3"}
        """,
    )
    outcome = run_fix([kustomization.parent], check=fixed_check())
    data = yaml.safe_load(kustomization.read_text())
    assert node_affinity(data["helmCharts"][0]["valuesInline"])["nodeSelectorTerms"][0] == {
        "matchExpressions": [ARCH]
    }
    # coredns is known to pass `affinity` to its pods: no note asking to check.
    assert not any("coredns" in note for note in outcome.notes)


def test_wrapper_chart_values_file(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "mqtt"
    write(
        chart / "Chart.yaml",
        """\
        apiVersion: v2
        name: mqtt
        version: 1.0.0
        dependencies:
          - {name: app-template, alias: broker, version: 3.5.1, repository: https://bjw-s-labs.github.io/helm-charts}
        """,
    )
    values = write(
        chart / "values.yaml",
        """\
        # Broker settings.
        broker:
          controllers:
            main:
              containers:
                main:
                  image: {repository: eclipse-mosquitto, tag: "2.0.20"}
        """,
    )
    run_fix([tmp_path], check=fixed_check())
    text = values.read_text()
    assert text.startswith("# Broker settings.\nbroker:\n")
    data = yaml.safe_load(text)
    assert node_affinity(data["broker"]["defaultPodOptions"])
    assert run_fix([tmp_path], check=fixed_check()).files == {}


def test_functions(tmp_path: Path) -> None:
    functions = write(
        tmp_path / "fn.yaml",
        """\
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
        """,
    )
    outcome = run_fix([functions], check=fixed_check())
    knative, function = yaml.safe_load_all(functions.read_text())
    assert node_affinity(knative["spec"]["template"]["spec"])
    assert "affinity" not in str(function)
    assert any("kubernetes.podspec-affinity" in note for note in outcome.notes)
    assert any("OpenFaaS" in note for note in outcome.notes)


def test_files_outside_the_paths_given_are_not_edited(tmp_path: Path) -> None:
    """A Flux component outside the path given holds a Deployment: it is read (and judged) but
    not edited, since no overlay in the path can carry a patch for it."""
    component = write(
        tmp_path / "components" / "exporter" / "deployment.yaml",
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: "${APP}-exporter"}
        spec:
          selector: {matchLabels: {app: exporter}}
          template:
            metadata: {labels: {app: exporter}}
            spec:
              containers: [{name: exporter, image: "prom/node-exporter:v1.8.2"}]
        """,
    )
    write(
        tmp_path / "components" / "exporter" / "kustomization.yaml",
        "kind: Component\nresources: [deployment.yaml]\n",
    )
    write(
        tmp_path / "apps" / "ks.yaml",
        """\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: web, namespace: flux-system}
        spec:
          path: ./apps/web
          targetNamespace: web
          components: [../../components/exporter]
          postBuild: {substitute: {APP: web}}
        """,
    )
    write(tmp_path / "apps" / "web" / "kustomization.yaml", "resources: []\n")
    before = component.read_text()
    outcome = run_fix([tmp_path / "apps"], check=fixed_check())
    assert component.read_text() == before
    assert any("web-exporter" in note and "not edited" in note for note in outcome.notes)
