"""Flux post-build substitution applied before objects are judged, on repositories written
here, rendered with the real `kubectl kustomize` where a directory has a kustomization."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.support.kustomize import require_kustomize

from archfit.manifests.objects import ManifestSet
from archfit.model.finding import Finding
from archfit.sources import load_manifests
from archfit.sources import renderers as kustomize_source


@pytest.fixture(autouse=True)
def renderer() -> None:
    require_kustomize(kustomize_source.kustomize_command() is not None)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def flux(name: str, path: str, post: str, extra: str = "") -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata: {{name: {name}, namespace: flux-system}}\n"
        f"spec:\n  path: {path}\n{extra}  postBuild:\n{post}"
    )


SETTINGS = """\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: cluster-settings, namespace: flux-system}
    data: {TAG: "0.0.1", ARCH: arm64, DOMAIN: example.org}
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: cluster-secrets, namespace: flux-system}
    data: {REGISTRY: Z2hjci5pbw==}
    """

WEB = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: ${REPLICAS}
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          nodeSelector: {kubernetes.io/arch: "${ARCH}"}
          containers:
            - name: web
              image: ${REGISTRY}/nginx/nginx:${TAG}
              env:
                - {name: LITERAL, value: "$${NOT_A_VAR}"}
                - {name: DEFAULTED, value: "${UNSET_WITH_DEFAULT:=dflt}"}
                - {name: PORT, value: "${PORT}"}
    """


def _repo(tmp_path: Path) -> Path:
    return write(
        tmp_path / "repo",
        {
            "clusters/home/apps.yaml": flux(
                "web",
                "./apps/web",
                "    substitute: {REPLICAS: '3', TAG: '1.27.0', PORT: '8080'}\n"
                "    substituteFrom:\n"
                "      - {kind: ConfigMap, name: cluster-settings}\n"
                "      - {kind: Secret, name: cluster-secrets}\n",
                "  targetNamespace: web\n",
            ),
            "clusters/home/settings.yaml": SETTINGS,
            "apps/web/kustomization.yaml": """\
                resources: [deployment.yaml, release.yaml]
                configMapGenerator:
                  - name: web-values
                    files: [values.yaml]
                    options: {disableNameSuffixHash: true}
                """,
            "apps/web/deployment.yaml": WEB,
            # Not valid YAML as written (`{` ends a plain scalar in a flow sequence).
            "apps/web/values.yaml": "ingress:\n  hosts: [ ${DOMAIN} ]\n",
            "apps/web/release.yaml": """\
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: cache}
                spec:
                  chart: {spec: {chart: redis, sourceRef: {kind: HelmRepository, name: x}}}
                  values:
                    image: {tag: "${TAG}"}
                    nodeSelector:
                      kubernetes.io/arch: ${ARCH}
                """,
        },
    )


def _ids(manifests: ManifestSet) -> list[str]:
    return sorted(f.id for f in manifests.findings)


def _doc(manifests: ManifestSet, kind: str, name: str) -> dict[str, Any]:
    return next(dict(d.body) for d in manifests.documents if d.kind == kind and d.name == name)


def test_objects_are_judged_with_their_variables_substituted(tmp_path: Path) -> None:
    manifests = load_manifests([_repo(tmp_path)])
    web = manifests.workload("Deployment/web/web")
    assert web is not None
    assert web.replicas == 3
    assert web.template.node_selector == {"kubernetes.io/arch": "arm64"}
    # Inline TAG overrides the ConfigMap's; REGISTRY comes from the Secret's base64 data.
    assert [c.image for c in web.template.containers] == ["ghcr.io/nginx/nginx:1.27.0"]
    env = _doc(manifests, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [
        {"name": "LITERAL", "value": "${NOT_A_VAR}"},
        {"name": "DEFAULTED", "value": "dflt"},
        # `kustomize build` drops the quotes of "${PORT}" before Flux substitutes, so this is
        # the number Flux applies (and the API server refuses; fluxcd/flux2#1839).
        {"name": "PORT", "value": 8080},
    ]
    assert _ids(manifests) == ["helm-not-rendered"]  # a remote chart, offline


def test_a_file_valid_only_once_substituted_is_not_invalid_yaml(tmp_path: Path) -> None:
    manifests = load_manifests([_repo(tmp_path)])
    assert "invalid-yaml" not in _ids(manifests)
    values = _doc(manifests, "ConfigMap", "web-values")
    assert values["data"] == {"values.yaml": "ingress:\n  hosts: [ example.org ]\n"}


def test_helmrelease_values_inside_the_build_are_substituted(tmp_path: Path) -> None:
    release = _doc(load_manifests([_repo(tmp_path)]), "HelmRelease", "cache")
    assert release["spec"]["values"] == {
        "image": {"tag": "1.27.0"},
        "nodeSelector": {"kubernetes.io/arch": "arm64"},
    }


def test_without_the_flux_kustomization_the_same_files_are_templates(tmp_path: Path) -> None:
    manifests = load_manifests([_repo(tmp_path) / "apps"])
    assert _ids(manifests) == ["helm-not-rendered", "invalid-manifest", "invalid-yaml"]
    (invalid,) = [f for f in manifests.findings if f.id == "invalid-yaml"]
    assert invalid.subject is not None
    assert invalid.subject.endswith("values.yaml")


RAW_POD = """\
    apiVersion: v1
    kind: Pod
    metadata: {name: raw}
    spec:
      containers: [{name: c, image: "busybox:1.36", ports: [{containerPort: ${PORT}}]}]
    """


def test_a_resource_invalid_as_written_stays_invalid(tmp_path: Path) -> None:
    """Flux decodes every resource before it substitutes (its generated kustomization fails
    with "failed to decode Kubernetes YAML"), so this Pod never reaches the cluster."""
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/raw.yaml": flux("raw", "./apps/raw", "    substitute: {PORT: '80'}\n"),
            "apps/raw/pod.yaml": RAW_POD,
        },
    )
    manifests = load_manifests([root])
    assert manifests.workloads == ()
    (finding,) = manifests.findings
    assert finding.id == "invalid-yaml"
    assert finding.source is not None
    assert finding.source.line == 5


def _values_app(tmp_path: Path, post: str, options: str = "") -> Path:
    return write(
        tmp_path / "repo",
        {
            "clusters/home/app.yaml": flux("app", "./apps/app", post),
            "apps/app/kustomization.yaml": f"""\
                configMapGenerator:
                  - name: app-values
                    files: [values.yaml=helm-values.yaml]
                    {options}
                """,
            "apps/app/helm-values.yaml": "ingress:\n  hosts: [ ${DOMAIN} ]\n  tls: true\n",
        },
    )


def test_still_invalid_after_substitution_is_reported_at_its_line(tmp_path: Path) -> None:
    root = _values_app(tmp_path, "    substitute: {DOMAIN: 'a, b: ['}\n")
    manifests = load_manifests([root])
    (finding,) = manifests.findings
    assert finding.id == "invalid-yaml"
    assert finding.source is not None
    assert (finding.source.file, finding.source.line) == (
        str(root / "apps/app/helm-values.yaml"),
        3,
    )
    assert "after the substitution of Flux Kustomization flux-system/app" in finding.message


def test_a_generator_marked_disabled_keeps_its_file_invalid(tmp_path: Path) -> None:
    options = "options: {annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}}"
    root = _values_app(tmp_path, "    substitute: {DOMAIN: example.org}\n", options)
    assert _ids(load_manifests([root])) == ["invalid-yaml"]


def test_disabled_objects_keep_their_text(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/raw.yaml": flux("raw", "./apps/raw", "    substitute: {A: x}\n"),
            "apps/raw/cm.yaml": """\
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: by-annotation
                  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}
                data: {script: "echo ${A}"}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: by-label
                  labels: {kustomize.toolkit.fluxcd.io/substitute: disabled}
                data: {script: "echo ${A}"}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: substituted}
                data: {script: "echo ${A}"}
                """,
        },
    )
    manifests = load_manifests([root])
    scripts = {d.name: d.body["data"]["script"] for d in manifests.of_kind("ConfigMap")}
    assert scripts == {
        "by-annotation": "echo ${A}",
        "by-label": "echo ${A}",
        "substituted": "echo x",
    }


def _unresolved(manifests: ManifestSet) -> list[Finding]:
    return [f for f in manifests.findings if f.id == "unresolved-variable"]


def test_a_value_the_repository_does_not_show_is_never_invented(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/apps.yaml": flux(
                "web",
                "./apps/web",
                "    substituteFrom:\n      - {kind: Secret, name: made-by-external-secrets}\n",
            ),
            "apps/web/deployment.yaml": """\
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  template:
                    spec:
                      containers: [{name: web, image: "ghcr.io/x/web:${TAG}"}]
                """,
        },
    )
    manifests = load_manifests([root])
    web = manifests.workload("Deployment/default/web")
    assert web is not None
    assert [c.image for c in web.template.containers] == ["ghcr.io/x/web:${TAG}"]
    (finding,) = _unresolved(manifests)
    assert finding.details == {"variables": ["TAG"]}
    assert "Secret flux-system/made-by-external-secrets is not in the repository" in (
        finding.message
    )
    assert f"{root}/apps/web/deployment.yaml:1" in finding.message


def test_a_variable_nothing_sets_is_empty_as_in_flux_and_reported(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/apps.yaml": flux("web", "./apps/web", "    substitute: {A: x}\n"),
            "apps/web/cm.yaml": """\
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: web}
                data: {url: "https://${HOST}/${A}"}
                """,
        },
    )
    manifests = load_manifests([root])
    assert _doc(manifests, "ConfigMap", "web")["data"] == {"url": "https:///x"}
    (finding,) = _unresolved(manifests)
    assert finding.details == {"variables": ["HOST"]}
    assert "(the StrictPostBuildSubstitutions feature gate) Flux fails this build" in (
        finding.message
    )
    assert "without it Flux substitutes an empty string" in finding.message


def test_what_flux_cannot_substitute_fails_its_build(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/apps.yaml": flux("web", "./apps/web", "    substitute: {A: x}\n"),
            "apps/web/cm.yaml": """\
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: web}
                data: {script: "n=${#list[@]}"}
                """,
        },
    )
    manifests = load_manifests([root])
    (finding,) = manifests.findings
    assert finding.id == "bad-substitution"
    assert finding.severity == "error"
    assert f"{root}/apps/web/cm.yaml:1: bad substitution: '${{#list[@]}}'" in finding.message
    assert _doc(manifests, "ConfigMap", "web")["data"] == {"script": "n=${#list[@]}"}


def test_one_file_built_by_two_kustomizations_gets_each_ones_variables(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/prod/flux-system/sync.yaml": flux(
                "flux-system", "./clusters/prod", "    substitute: {}\n"
            ),
            "clusters/prod/apps.yaml": flux("prod", "./apps", "    substitute: {ARCH: amd64}\n"),
            "clusters/pi/flux-system/sync.yaml": flux(
                "flux-system-pi", "./clusters/pi", "    substitute: {}\n"
            ),
            "clusters/pi/apps.yaml": flux("pi", "./apps", "    substitute: {ARCH: arm64}\n"),
            "apps/web.yaml": """\
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  template:
                    spec:
                      nodeSelector: {kubernetes.io/arch: "${ARCH}"}
                      containers: [{name: web, image: "nginx:1.27"}]
                """,
        },
    )
    manifests = load_manifests([root])
    seen = sorted(
        (w.entry_point, w.template.node_selector["kubernetes.io/arch"]) for w in manifests.workloads
    )
    assert seen == [("clusters/pi", "arm64"), ("clusters/prod", "amd64")]


def test_generated_objects_marked_disabled_are_kept_beside_substituted_ones(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/ks.yaml": flux("a", "./apps/a", "    substitute: {X: x}\n"),
            "apps/a/kustomization.yaml": """\
                configMapGenerator:
                  - name: one
                    literals:
                      - v=${X}
                  - name: two
                    literals:
                      - v=${X}
                    options: {labels: {kustomize.toolkit.fluxcd.io/substitute: disabled}}
                generatorOptions: {disableNameSuffixHash: true}
                """,
        },
    )
    data = {d.name: d.body["data"] for d in load_manifests([root]).of_kind("ConfigMap")}
    assert data == {"one": {"v": "x"}, "two": {"v": "${X}"}}


def test_generator_options_can_disable_substitution_for_every_generated_object(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/ks.yaml": flux("a", "./apps/a", "    substitute: {X: x}\n"),
            "apps/a/kustomization.yaml": """\
                configMapGenerator: [{name: one, files: [v.yaml]}]
                generatorOptions:
                  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}
                """,
            "apps/a/v.yaml": "b: [ ${X} ]\n",
        },
    )
    manifests = load_manifests([root])
    assert [d.body["data"] for d in manifests.of_kind("ConfigMap")] == [{"v.yaml": "b: [ ${X} ]\n"}]
    assert _ids(manifests) == ["invalid-yaml"]  # the release reading it would fail too


def test_each_kustomization_gives_a_file_its_own_values_or_defaults(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/prod/flux-system/sync.yaml": flux(
                "flux-system", "./clusters/prod", "    substitute: {}\n"
            ),
            "clusters/prod/apps.yaml": flux("prod", "./apps", "    substitute: {ARCH: amd64}\n"),
            "clusters/lab/flux-system/sync.yaml": flux(
                "flux-system-lab", "./clusters/lab", "    substitute: {}\n"
            ),
            "clusters/lab/apps.yaml": flux("lab", "./apps", "    substitute: {OTHER: x}\n"),
            "apps/web.yaml": """\
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  template:
                    spec:
                      nodeSelector: {kubernetes.io/arch: "${ARCH:=arm64}"}
                      containers: [{name: web, image: "nginx:1.27"}]
                """,
        },
    )
    manifests = load_manifests([root])
    seen = sorted(
        (w.entry_point, w.template.node_selector["kubernetes.io/arch"]) for w in manifests.workloads
    )
    assert seen == [("clusters/lab", "arm64"), ("clusters/prod", "amd64")]


def test_a_rendered_overlay_is_substituted_in_the_text_kustomize_printed(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/ks.yaml": flux(
                "web", "./apps/prod", "    substitute: {R: '4', PORT: '8080', TAG: '2.0'}\n"
            ),
            "apps/prod/kustomization.yaml": "namePrefix: prod-\nresources: [../base]\n",
            "apps/base/kustomization.yaml": "resources: [web.yaml]\n",
            "apps/base/web.yaml": """\
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  replicas: ${R}
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                        - name: web
                          image: ghcr.io/acme/web:${TAG}
                          env: [{name: PORT, value: "${PORT}"}]
                """,
        },
    )
    manifests = load_manifests([root])
    web = manifests.workload("Deployment/default/prod-web")
    assert web is not None
    assert web.replicas == 4
    assert [c.image for c in web.template.containers] == ["ghcr.io/acme/web:2.0"]
    body = _doc(manifests, "Deployment", "prod-web")
    assert body["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "PORT", "value": 8080}  # as for a file read directly (Kustomize's quoting)
    ]
    assert "annotations" not in body["metadata"]  # the origin archfit asked Kustomize for
    assert web.source.file == str(root / "apps/base/web.yaml")
    assert _ids(manifests) == []


def test_without_any_variable_flux_substitutes_nothing(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/ks.yaml": flux("a", "./apps/a", "    substitute: {}\n"),
            "apps/a/cm.yaml": """\
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: a}
                data: {v: "${X:=d}", w: "$${Y}"}
                """,
        },
    )
    manifests = load_manifests([root])
    assert _doc(manifests, "ConfigMap", "a")["data"] == {"v": "${X:=d}", "w": "$${Y}"}
    assert _ids(manifests) == []


def test_shared_repositories_substituted_honestly(shared_dir: Path) -> None:
    gitops = shared_dir / "fixtures" / "gitops"
    home_ops = load_manifests([gitops / "onedr0p__home-ops"])
    (finding,) = _unresolved(home_ops)
    # The Secret in the repository holds a 1Password reference (`op://…`), not the value.
    assert finding.details == {"variables": ["CLOUDFLARE_TUNNEL_ID"]}
    assert "Secret network/cloudflare-tunnel-id-secret holds references" in finding.message
    (endpoint,) = home_ops.of_kind("DNSEndpoint")
    assert endpoint.body["spec"]["endpoints"][0]["targets"] == [
        "${CLOUDFLARE_TUNNEL_ID}.cfargotunnel.com"
    ]
    for repo in ("onedr0p__home-ops", "jmerhib__pi-cluster"):
        ids = _ids(load_manifests([gitops / repo]))
        assert not {"invalid-yaml", "invalid-manifest", "bad-substitution"} & set(ids), repo


def test_same_named_kustomizations_of_two_clusters_keep_their_own_settings(
    tmp_path: Path,
) -> None:
    """Every cluster has its `apps` Kustomization and its `cluster-settings` ConfigMap in
    flux-system: each entry point reads the settings beside its own Kustomization."""
    files = {
        "apps/web.yaml": """\
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec:
                  nodeSelector: {kubernetes.io/arch: "${ARCH}"}
                  containers: [{name: web, image: "nginx:1.27"}]
            """,
    }
    for cluster, arch in (("prod", "amd64"), ("pi", "arm64")):
        files[f"clusters/{cluster}/flux-system/sync.yaml"] = flux(
            "flux-system", f"./clusters/{cluster}", "    substitute: {}\n"
        )
        files[f"clusters/{cluster}/apps.yaml"] = flux(
            "apps", "./apps", "    substituteFrom: [{kind: ConfigMap, name: cluster-settings}]\n"
        )
        files[f"clusters/{cluster}/settings.yaml"] = f"""\
            apiVersion: v1
            kind: ConfigMap
            metadata: {{name: cluster-settings, namespace: flux-system}}
            data: {{ARCH: {arch}}}
            """
    root = write(tmp_path / "repo", files)
    manifests = load_manifests([root])
    seen = sorted(
        (w.entry_point, w.template.node_selector["kubernetes.io/arch"]) for w in manifests.workloads
    )
    assert seen == [("clusters/pi", "arm64"), ("clusters/prod", "amd64")]
    (web,) = [w for w in manifests.workloads if w.entry_point == "clusters/pi"]
    assert web.source.origin == f"Flux Kustomization flux-system/apps@{root}/clusters/pi/apps.yaml"


def test_an_app_template_release_in_the_build_gets_its_variables(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/ks.yaml": flux(
                "plex", "./apps/plex", "    substitute: {APP: plex, TAG: '1.41.3'}\n"
            ),
            "apps/plex/helmrelease.yaml": """\
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: "${APP}", namespace: media}
                spec:
                  chart:
                    spec:
                      chart: app-template
                      version: 3.5.1
                      sourceRef: {kind: HelmRepository, name: bjw-s}
                  values:
                    controllers:
                      ${APP}:
                        containers:
                          app:
                            image: {repository: ghcr.io/home-operations/plex, tag: "${TAG}"}
                """,
        },
    )
    manifests = load_manifests([root])
    (plex,) = manifests.workloads
    assert plex.key == "Deployment/media/plex"
    assert [c.image for c in plex.template.containers] == ["ghcr.io/home-operations/plex:1.41.3"]
