"""A Flux Kustomization's `images`, `patches`, `namePrefix`/`nameSuffix` and `commonMetadata`
applied to the objects of its path, as kustomize-controller does (expected values by hand)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from archfit.manifests.objects import ManifestSet
from archfit.manifests.sources.fluxpatches import FluxSpec
from archfit.sources import load_manifests


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def flux(spec: str) -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: apps, namespace: flux-system}\n"
        "spec:\n  path: ./apps\n  targetNamespace: media\n" + textwrap.indent(spec, "  ")
    )


APPS = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, labels: {tier: front}}
    spec:
      template:
        spec:
          containers: [{name: web, image: "nginx:1.25"}, {name: log, image: "ghcr.io/x/log:1"}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web-api, labels: {tier: front}}
    spec:
      template:
        spec:
          containers: [{name: api, image: "ghcr.io/x/api:2"}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: db, labels: {tier: back}}
    spec:
      template:
        spec:
          tolerations: [{key: old, operator: Exists}]
          containers: [{name: db, image: "postgres:16"}]
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: media}
    """


def _load(tmp_path: Path, spec: str) -> ManifestSet:
    root = write(
        tmp_path / "repo",
        {"clusters/home/apps.yaml": flux(textwrap.dedent(spec)), "apps/all.yaml": APPS},
    )
    return load_manifests([root])


def _pod(manifests: ManifestSet, name: str) -> dict[str, Any]:
    body = next(
        dict(d.body) for d in manifests.documents if d.kind == "Deployment" and d.name == name
    )
    spec = body["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def _images(manifests: ManifestSet, name: str) -> list[str]:
    return [c["image"] for c in _pod(manifests, name)["containers"]]


def test_images_new_tag_new_name_and_digest(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        images:
          - {name: nginx, newTag: "1.27.1"}
          - {name: ghcr.io/x/log, newName: registry.local/log}
          - {name: ghcr.io/x/api, digest: "sha256:0123456789abcdef"}
        """,
    )
    assert _images(manifests, "web") == ["nginx:1.27.1", "registry.local/log:1"]
    assert _images(manifests, "web-api") == ["ghcr.io/x/api@sha256:0123456789abcdef"]
    assert _images(manifests, "db") == ["postgres:16"]
    assert manifests.findings == ()


def test_strategic_patch_by_label_selector_adds_a_node_selector(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        patches:
          - target: {kind: Deployment, labelSelector: "tier=front"}
            patch: |
              apiVersion: apps/v1
              kind: Deployment
              metadata: {name: any}
              spec:
                template:
                  spec:
                    nodeSelector: {kubernetes.io/arch: arm64}
                    containers: [{name: web, resources: {limits: {cpu: "1"}}}]
        """,
    )
    assert _pod(manifests, "web")["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
    assert _pod(manifests, "web-api")["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
    assert "nodeSelector" not in _pod(manifests, "db")
    # Containers are merged by name: `web` keeps its image, `log` stays.
    assert _pod(manifests, "web")["containers"] == [
        {"name": "web", "image": "nginx:1.25", "resources": {"limits": {"cpu": "1"}}},
        {"name": "log", "image": "ghcr.io/x/log:1"},
    ]
    # A container the patch names is added to web-api, before its own (as `kubectl kustomize`).
    assert [c["name"] for c in _pod(manifests, "web-api")["containers"]] == ["web", "api"]
    web = manifests.workload("Deployment/media/web")
    assert web is not None
    assert web.source.file.endswith("apps/all.yaml")
    assert web.annotations["archfit.dev/flux-patched"] == (
        "Flux Kustomization flux-system/apps: nodeSelector"
    )


def test_strategic_patch_replaces_tolerations_whole(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        patches:
          - patch: |
              apiVersion: apps/v1
              kind: Deployment
              metadata: {name: db}
              spec:
                template:
                  spec:
                    tolerations: [{key: arm, operator: Exists, effect: NoSchedule}]
        """,
    )
    assert _pod(manifests, "db")["tolerations"] == [
        {"key": "arm", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert "tolerations" not in _pod(manifests, "web")


def test_json6902_replace_of_an_image_by_name_regex(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        patches:
          - target: {kind: Deployment, name: "web.*"}
            patch: |
              - op: replace
                path: /spec/template/spec/containers/0/image
                value: registry.local/first:9
              - op: add
                path: /spec/template/spec/nodeSelector
                value: {kubernetes.io/arch: amd64}
        """,
    )
    # The name is a regular expression matched whole: `web.*` is web and web-api, never db.
    assert _images(manifests, "web") == ["registry.local/first:9", "ghcr.io/x/log:1"]
    assert _images(manifests, "web-api") == ["registry.local/first:9"]
    assert _images(manifests, "db") == ["postgres:16"]
    assert _pod(manifests, "web-api")["nodeSelector"] == {"kubernetes.io/arch": "amd64"}


def test_target_name_regex_is_anchored(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        patches:
          - target: {kind: Deployment, name: web}
            patch: |
              - {op: add, path: /spec/template/spec/nodeSelector, value: {disk: ssd}}
        """,
    )
    assert _pod(manifests, "web")["nodeSelector"] == {"disk": "ssd"}
    assert "nodeSelector" not in _pod(manifests, "web-api")


def test_name_prefix_and_suffix_leave_the_namespace_alone(tmp_path: Path) -> None:
    manifests = _load(tmp_path, "namePrefix: prod-\nnameSuffix: -v2\n")
    keys = sorted(w.key for w in manifests.workloads)
    assert keys == [
        "Deployment/media/prod-db-v2",
        "Deployment/media/prod-web-api-v2",
        "Deployment/media/prod-web-v2",
    ]
    assert [d.name for d in manifests.documents if d.kind == "Namespace"] == ["media"]
    api = manifests.workload("Deployment/media/prod-web-api-v2")
    assert api is not None
    assert api.source.file.endswith("apps/all.yaml")
    assert api.source.line == 9


def test_fluxs_prefix_replaces_the_paths_own(tmp_path: Path) -> None:
    # kustomize-controller overwrites namePrefix in the path's kustomization.yaml before it
    # builds: `own-` is gone, not stacked under `prod-`. The suffix Flux does not set stays.
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/apps.yaml": flux("namePrefix: prod-\n"),
            "apps/all.yaml": APPS,
            "apps/kustomization.yaml": (
                "resources: [all.yaml]\nnamePrefix: own-\nnameSuffix: -blue\n"
            ),
        },
    )
    keys = sorted(w.key for w in load_manifests([root]).workloads)
    assert keys == [
        "Deployment/media/prod-db-blue",
        "Deployment/media/prod-web-api-blue",
        "Deployment/media/prod-web-blue",
    ]


def test_common_metadata_sets_labels_and_annotations_only(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        commonMetadata:
          labels: {team: media, tier: shared}
          annotations: {owner: ops}
        """,
    )
    web = manifests.workload("Deployment/media/web")
    assert web is not None
    assert dict(web.labels) == {"team": "media", "tier": "shared"}
    assert web.annotations["owner"] == "ops"
    # Not the pod template's labels nor a selector, unlike Kustomize's commonLabels.
    assert dict(web.template.labels) == {}


def test_a_patch_archfit_cannot_apply_is_a_finding(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        patches:
          - target: {kind: Deployment, name: db}
            patch: |
              - {op: move, from: /spec/template, path: /spec/other}
          - target: {kind: Deployment, name: web}
            patch: |
              - {op: remove, path: /spec/template/spec/affinity}
          - patch: |
              apiVersion: apps/v1
              kind: Deployment
              metadata: {name: db}
              spec: {template: {spec: {$patch: replace, containers: []}}}
        """,
    )
    messages = sorted(f.message for f in manifests.findings if f.id == "patches-not-applied")
    assert messages == [
        "Flux Kustomization flux-system/apps: spec.patches not applied (patch 1: op 'move' "
        "(archfit applies add, replace and remove)); archfit read the objects of its path "
        "without that patch",
        "Flux Kustomization flux-system/apps: spec.patches not applied (patch 2: remove of "
        "/spec/template/spec/affinity, which does not exist); archfit read the objects of its "
        "path without that patch",
        "Flux Kustomization flux-system/apps: spec.patches not applied (patch 3: a `$patch`/`$` "
        "directive, which archfit does not apply); archfit read the objects of its path "
        "without that patch",
    ]
    assert _images(manifests, "db") == ["postgres:16"]


def test_label_selector_grammar() -> None:
    spec = FluxSpec.of(
        {
            "patches": [
                {
                    "target": {"labelSelector": "tier in (front,edge),!legacy,app!=x"},
                    "patch": "- {op: add, path: /metadata/labels/hit, value: 'y'}",
                }
            ]
        }
    )
    (patch,) = spec.patches
    body = {"kind": "Deployment", "metadata": {"name": "a", "labels": {"tier": "edge"}}}
    assert patch.matches(body, "default")
    assert not patch.matches({**body, "metadata": {"labels": {"tier": "back"}}}, "default")
    assert not patch.matches(
        {**body, "metadata": {"labels": {"tier": "edge", "legacy": "1"}}}, "default"
    )
    assert not patch.matches({**body, "metadata": {"labels": {"tier": "edge", "app": "x"}}}, "d")


def test_a_parent_patch_reaches_its_child_kustomizations(tmp_path: Path) -> None:
    """The onedr0p layout: `cluster-apps` patches every Flux Kustomization of its path."""
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/apps.yaml": """\
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata: {name: cluster-apps, namespace: flux-system}
                spec:
                  path: ./apps
                  patches:
                    - target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization}
                      patch: |
                        apiVersion: kustomize.toolkit.fluxcd.io/v1
                        kind: Kustomization
                        metadata: {name: _}
                        spec:
                          postBuild:
                            substitute: {ARCH: arm64}
                """,
            "apps/web/ks.yaml": """\
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata: {name: web, namespace: flux-system}
                spec:
                  path: ./apps/web/app
                  targetNamespace: web
                """,
            "apps/web/app/deployment.yaml": """\
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
    assert _pod(manifests, "web")["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
    assert [f.id for f in manifests.findings] == []


def test_a_helmrelease_patch_merges_values_and_replaces_lists(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "clusters/home/apps.yaml": flux(
                textwrap.dedent("""\
                patches:
                  - target: {group: helm.toolkit.fluxcd.io, kind: HelmRelease}
                    patch: |
                      apiVersion: helm.toolkit.fluxcd.io/v2
                      kind: HelmRelease
                      metadata: {name: _}
                      spec:
                        values:
                          nodeSelector: {kubernetes.io/arch: arm64}
                          tolerations: [{key: pi, operator: Exists}]
                          image: null
                """)
            ),
            "apps/cache.yaml": """\
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: cache}
                spec:
                  chart: {spec: {chart: redis, sourceRef: {kind: HelmRepository, name: x}}}
                  values:
                    image: {tag: "7"}
                    replicas: 2
                    tolerations: [{key: old, operator: Exists}, {key: older, operator: Exists}]
                """,
        },
    )
    manifests = load_manifests([root])
    release = next(dict(d.body) for d in manifests.documents if d.kind == "HelmRelease")
    assert release["spec"]["values"] == {
        "replicas": 2,
        "nodeSelector": {"kubernetes.io/arch": "arm64"},
        "tolerations": [{"key": "pi", "operator": "Exists"}],
    }
    assert release["metadata"]["namespace"] == "media"
    assert release["metadata"]["annotations"] == {
        "archfit.dev/flux-patched": "Flux Kustomization flux-system/apps: values"
    }


def test_what_a_patch_writes_is_substituted_after_the_build(tmp_path: Path) -> None:
    manifests = _load(
        tmp_path,
        """\
        postBuild:
          substitute: {ARCH: arm64}
        patches:
          - target: {kind: Deployment, name: db}
            patch: |
              - op: add
                path: /spec/template/spec/nodeSelector
                value: {kubernetes.io/arch: "${ARCH}"}
        """,
    )
    assert _pod(manifests, "db")["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
