"""Rendered Kustomize objects traced to the document they came from, with the real
`kubectl kustomize`; render failures reach the user as findings."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from archfit.sources import load_manifests
from archfit.sources import renderers as kustomize_source


@pytest.fixture(autouse=True)
def renderer() -> None:
    if kustomize_source.kustomize_command() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl kustomize missing (CI machines carry kubectl 1.32)")
        pytest.skip("neither kustomize nor kubectl kustomize on PATH")


def _deployment(name: str, image: str) -> str:
    return textwrap.dedent(
        f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: {name}}}
        spec:
          template:
            spec:
              containers: [{{name: app, image: {image}}}]
        """
    )


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


BASE = {
    "base/web.yaml": _deployment("web", "nginx:1.27"),
    "base/web-api.yaml": _deployment("web-api", "ghcr.io/example/api:1"),
    "base/kustomization.yaml": "resources: [web.yaml, web-api.yaml]\n",
}


def _sources(root: Path, *paths: str) -> dict[str, str]:
    manifests = load_manifests([root / p for p in paths])
    return {
        w.key: os.path.relpath(w.source.file, root) + f":{w.source.line}"
        for w in manifests.workloads
    }


def test_name_prefix_does_not_trace_by_substring(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            **BASE,
            "prod/kustomization.yaml": "namePrefix: prod-\nnamespace: prod\nresources: [../base]\n",
        },
    )
    assert _sources(root, "prod") == {
        "Deployment/prod/prod-web": "base/web.yaml:1",
        "Deployment/prod/prod-web-api": "base/web-api.yaml:1",
    }


def test_one_file_with_two_documents_and_a_suffix(tmp_path: Path) -> None:
    both = _deployment("web", "nginx:1.27") + "---\n" + _deployment("web-api", "ghcr.io/x/api:1")
    root = _tree(
        tmp_path,
        {
            "base/all.yaml": both,
            "base/kustomization.yaml": "resources: [all.yaml]\n",
            "stage/kustomization.yaml": (
                "nameSuffix: -stage\nresources: [../base]\nreplicas: [{name: web-api, count: 3}]\n"
            ),
        },
    )
    manifests = load_manifests([root / "stage"])
    got = {
        w.key: (os.path.relpath(w.source.file, root), w.source.line) for w in manifests.workloads
    }
    assert got == {
        "Deployment/default/web-stage": ("base/all.yaml", 1),
        "Deployment/default/web-api-stage": ("base/all.yaml", 9),
    }
    replicas = {w.name: w.replicas for w in manifests.workloads}
    assert replicas == {"web-stage": 1, "web-api-stage": 3}


def test_two_overlays_of_one_base_and_a_component(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            **BASE,
            "components/pin/kustomization.yaml": textwrap.dedent(
                """\
                apiVersion: kustomize.config.k8s.io/v1alpha1
                kind: Component
                patches:
                  - target: {kind: Deployment}
                    patch: |
                      - op: add
                        path: /spec/template/spec/nodeSelector
                        value: {kubernetes.io/arch: amd64}
                """
            ),
            "overlays/dev/kustomization.yaml": (
                "namePrefix: dev-\nnamespace: dev\nresources: [../../base]\n"
            ),
            "overlays/prod/kustomization.yaml": (
                "namePrefix: prod-\nnamespace: prod\nresources: [../../base]\n"
                "components: [../../components/pin]\n"
            ),
        },
    )
    manifests = load_manifests([root])
    got = {w.key: os.path.relpath(w.source.file, root) for w in manifests.workloads}
    assert got == {
        "Deployment/dev/dev-web": "base/web.yaml",
        "Deployment/dev/dev-web-api": "base/web-api.yaml",
        "Deployment/prod/prod-web": "base/web.yaml",
        "Deployment/prod/prod-web-api": "base/web-api.yaml",
    }
    selectors = {w.key: w.template.node_selector for w in manifests.workloads}
    assert selectors["Deployment/prod/prod-web-api"] == {"kubernetes.io/arch": "amd64"}
    assert selectors["Deployment/dev/dev-web-api"] == {}
    # The origin annotations archfit asked for are not part of the objects.
    assert all("config.kubernetes.io/origin" not in w.annotations for w in manifests.workloads)


def test_users_kustomization_is_not_touched(tmp_path: Path) -> None:
    overlay = "namePrefix: prod-\nresources: [../base]\n"
    root = _tree(tmp_path, {**BASE, "prod/kustomization.yaml": overlay})
    load_manifests([root / "prod"])
    assert (root / "prod/kustomization.yaml").read_text() == overlay
    assert sorted(p.name for p in (root / "prod").iterdir()) == ["kustomization.yaml"]


def test_render_failure_is_a_finding_with_the_renderers_first_line(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {**BASE, "prod/kustomization.yaml": "namePrefix: prod-\nresources: [../base, gone.yaml]\n"},
    )
    manifests = load_manifests([root / "prod"])
    (failed,) = [f for f in manifests.findings if f.id == "render-failed"]
    assert failed.source is not None
    assert os.path.relpath(failed.source.file, root) == "prod/kustomization.yaml"
    assert failed.message.startswith("`kubectl kustomize` failed: accumulating resources:")
    assert "archfit read the resources unrendered instead" in failed.message
    # What archfit did instead: the base objects, unprefixed.
    assert sorted(w.name for w in manifests.workloads) == ["web", "web-api"]


def test_remote_base_not_fetched_is_a_finding(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            **BASE,
            "prod/kustomization.yaml": (
                "resources:\n  - ../base\n  - https://github.com/example/app//deploy?ref=v1\n"
            ),
        },
    )
    manifests = load_manifests([root / "prod"])
    (remote,) = [f for f in manifests.findings if f.id == "remote-base-not-fetched"]
    assert "https://github.com/example/app//deploy?ref=v1" in remote.message
