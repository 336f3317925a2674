"""`spec.templatePatch` rendered per parameter set and applied as a strategic merge patch, and
the generators that need a live service (`scmProvider`, `pullRequest`,
`clusterDecisionResource`, `plugin`): a finding, never a guess."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from archfit.manifests.sources.appset_patch import merge_patch
from archfit.model.finding import Finding
from archfit.sources import load_manifests


def _repo(root: Path, appset: str) -> Path:
    for app in ("web", "api"):
        (root / "apps" / app).mkdir(parents=True)
        (root / "apps" / app / "deploy.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {app}}}\n"
            f"spec:\n  selector: {{matchLabels: {{app: {app}}}}}\n"
            f"  template:\n    metadata: {{labels: {{app: {app}}}}}\n"
            f"    spec: {{containers: [{{name: {app}, image: nginx:1.27}}]}}\n"
        )
    (root / "argocd").mkdir()
    (root / "argocd" / "set.yaml").write_text(appset)
    return root


def _apps(root: Path) -> dict[str, Mapping[str, Any]]:
    return {
        d.name: d.body
        for d in load_manifests([root]).of_kind("Application")
        if d.source.origin.startswith("ApplicationSet ")
    }


def _findings(root: Path, finding_id: str) -> list[Finding]:
    return [f for f in load_manifests([root]).findings if f.id == finding_id]


PATCHED = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: apps, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - list:
        elements:
          - {app: web, autoSync: true, namespace: front}
          - {app: api, autoSync: false, namespace: back}
  template:
    metadata:
      name: '{{ .app }}'
      namespace: ignored
      finalizers: [resources-finalizer.argocd.argoproj.io]
    spec:
      project: default
      source:
        repoURL: https://github.com/example/homelab.git
        path: 'apps/{{ .app }}'
        helm: {valueFiles: [values.yaml], releaseName: '{{ .app }}'}
      destination: {server: https://kubernetes.default.svc, namespace: default}
  templatePatch: |
    metadata:
      finalizers: [post-delete-finalizer.argocd.argoproj.io]
    spec:
      source:
        helm:
          valueFiles:
            - values-{{ .app }}.yaml
      destination:
        namespace: {{ .namespace }}
    {{- if .autoSync }}
      syncPolicy:
        automated: {prune: true, selfHeal: true}
    {{- end }}
"""


def test_template_patch_with_a_condition(tmp_path: Path) -> None:
    root = _repo(tmp_path, PATCHED)
    apps = _apps(root)
    assert sorted(apps) == ["api", "web"]
    web, api = apps["web"], apps["api"]
    # Lists of the Application replace (no patch strategy), mappings merge.
    assert web["spec"]["source"] == {
        "repoURL": "https://github.com/example/homelab.git",
        "path": "apps/web",
        "helm": {"valueFiles": ["values-web.yaml"], "releaseName": "web"},
    }
    assert web["spec"]["syncPolicy"] == {"automated": {"prune": True, "selfHeal": True}}
    assert "syncPolicy" not in api["spec"]
    assert api["spec"]["source"]["helm"]["valueFiles"] == ["values-api.yaml"]
    # ObjectMeta's finalizers merge; the namespace is the ApplicationSet's, as Argo CD forces.
    assert web["metadata"]["finalizers"] == [
        "resources-finalizer.argocd.argoproj.io",
        "post-delete-finalizer.argocd.argoproj.io",
    ]
    assert web["metadata"]["namespace"] == "argocd"
    assert web["spec"]["destination"]["namespace"] == "front"
    assert api["spec"]["destination"]["namespace"] == "back"
    assert _findings(root, "template-patch-not-applied") == []


def test_template_patch_archfit_cannot_evaluate_is_a_finding(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        PATCHED.replace(
            "    {{- if .autoSync }}", '    {{- template "sync" . }}\n    {{- if .autoSync }}'
        ),
    )
    apps = _apps(root)
    # Generated from the template alone: the destination namespace is the template's.
    assert sorted(apps) == ["api", "web"]
    assert apps["web"]["spec"]["source"]["helm"]["valueFiles"] == ["values.yaml"]
    [finding] = _findings(root, "template-patch-not-applied")
    assert finding.severity == "warning"
    assert finding.source is not None
    assert finding.source.file == str(root / "argocd" / "set.yaml")
    assert finding.message == (
        "ApplicationSet argocd/apps: templatePatch not evaluated (Go template action "
        "'template' is not modelled): 2 Application(s) generated from the template without it"
    )


def test_a_patch_that_is_not_yaml_generates_nothing(tmp_path: Path) -> None:
    root = _repo(tmp_path, PATCHED.replace("{prune: true, selfHeal: true}", "[prune: true}"))
    apps = _apps(root)
    # Only `api` (autoSync false) renders a valid patch; Argo CD skips the other.
    assert sorted(apps) == ["api"]
    manifests = load_manifests([root])
    assert any(
        "Application not generated: templatePatch is not valid YAML" in n for n in manifests.notes
    )
    [finding] = [f for f in manifests.findings if f.id == "appset-not-generated"]
    assert finding.message.startswith(
        "ApplicationSet argocd/apps: 1 Application(s) do not render (templatePatch is not valid "
        "YAML at line "
    )


@pytest.mark.parametrize(
    ("original", "patch", "expected"),
    [
        (
            {"spec": {"a": 1, "b": {"c": 2}}},
            {"spec": {"b": {"d": 3}}},
            {"spec": {"a": 1, "b": {"c": 2, "d": 3}}},
        ),
        ({"spec": {"a": 1, "b": 2}}, {"spec": {"a": None}}, {"spec": {"b": 2}}),
        ({"spec": {"l": [1, 2]}}, {"spec": {"l": [3]}}, {"spec": {"l": [3]}}),
        (
            {"spec": {"m": {"x": 1}}},
            {"spec": {"m": {"$patch": "replace", "y": 2}}},
            {"spec": {"m": {"y": 2}}},
        ),
        (
            {"spec": {"m": {"x": 1}, "k": 1}},
            {"spec": {"m": {"$patch": "delete"}}},
            {"spec": {"k": 1}},
        ),
    ],
)
def test_strategic_merge_patch(
    original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert merge_patch(original, patch) == expected


LIVE = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: previews, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - list:
        elements: [{app: web}]
    - GENERATOR
  template:
    metadata: {name: '{{ .app }}'}
    spec:
      source: {repoURL: https://github.com/example/homelab.git, path: 'apps/{{ .app }}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{ .app }}'}
"""


@pytest.mark.parametrize(
    ("generator", "needs"),
    [
        (
            "pullRequest: {github: {owner: example, repo: homelab}}",
            "needs the open pull requests from the Git host's API",
        ),
        (
            "scmProvider: {gitea: {owner: example, api: https://gitea.example.com}}",
            "needs the repositories of an organisation from the SCM provider's API",
        ),
        (
            "clusterDecisionResource: {configMapRef: ocm-placement, name: prod}",
            "needs a decision resource (e.g. an OCM PlacementDecision) in the cluster",
        ),
        (
            "plugin: {configMapRef: {name: my-plugin}}",
            "needs the parameters from a plugin's HTTP service",
        ),
    ],
)
def test_live_generators_are_a_finding(tmp_path: Path, generator: str, needs: str) -> None:
    root = _repo(tmp_path, LIVE.replace("GENERATOR", generator))
    # The list generator beside it still generates its Application.
    assert sorted(_apps(root)) == ["web"]
    [finding] = _findings(root, "appset-not-generated")
    kind = generator.partition(":")[0]
    assert finding.severity == "warning"
    assert finding.source is not None
    assert (finding.source.file, finding.source.line) == (str(root / "argocd" / "set.yaml"), 1)
    assert finding.message == (
        f"ApplicationSet argocd/previews: the {kind} generator {needs}, which reading a "
        "repository offline does not have; archfit generated none of its Applications, and "
        "their workloads are not checked"
    )
    assert finding.details == {"generator": kind}


def test_a_live_generator_inside_matrix_leaves_the_combination_out(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        LIVE.replace(
            "GENERATOR",
            "matrix:\n        generators:\n"
            "          - git: {repoURL: https://github.com/example/homelab.git, "
            "directories: [{path: 'apps/*'}]}\n"
            "          - pullRequest: {github: {owner: example, repo: homelab}}",
        ),
    )
    assert sorted(_apps(root)) == ["web"]
    [finding] = _findings(root, "appset-not-generated")
    assert finding.message == (
        "ApplicationSet argocd/previews: the pullRequest generator inside matrix needs the open "
        "pull requests from the Git host's API, which reading a repository offline does not "
        "have; archfit generated none of the Applications of that matrix combination, and "
        "their workloads are not checked"
    )


def test_fasttemplate_patch_moves_the_workloads(tmp_path: Path) -> None:
    # Argo CD renders the patch with the ApplicationSet's template engine: fasttemplate here.
    root = _repo(
        tmp_path,
        """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: apps, namespace: argocd}
spec:
  generators:
    - list:
        elements: [{app: web}, {app: api}]
  template:
    metadata: {name: '{{app}}'}
    spec:
      source: {repoURL: https://github.com/example/homelab.git, path: 'apps/{{app}}'}
      destination: {server: https://kubernetes.default.svc, namespace: default}
  templatePatch: |
    spec:
      destination:
        namespace: 'patched-{{app}}'
""",
    )
    assert {w.key for w in load_manifests([root]).workloads} == {
        "Deployment/patched-web/web",
        "Deployment/patched-api/api",
    }


def test_a_template_archfit_cannot_evaluate_is_one_finding(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        LIVE.replace("    - GENERATOR\n", "    - list:\n        elements: [{app: api}]\n").replace(
            "namespace: '{{ .app }}'", "namespace: '{{ sha256sum .app }}'"
        ),
    )
    assert _apps(root) == {}
    [finding] = _findings(root, "appset-not-generated")
    assert finding.message == (
        "ApplicationSet argocd/previews: its template uses what archfit does not evaluate "
        "(function 'sha256sum' is not modelled); archfit did not generate 2 Application(s), "
        "and their workloads are not checked"
    )


def test_a_matrix_child_that_does_not_render_leaves_the_combination_out(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        LIVE.replace(
            "GENERATOR",
            "matrix:\n        generators:\n"
            "          - list: {elements: [{env: prod}]}\n"
            "          - list: {elements: [{app: '{{ .nope.deeper | sha256sum }}'}]}",
        ),
    )
    assert sorted(_apps(root)) == ["web"]
    [finding] = _findings(root, "appset-not-generated")
    assert finding.message == (
        "ApplicationSet argocd/previews: the list generator inside matrix does not render with "
        "the first generator's parameters (function 'sha256sum' is not modelled); archfit "
        "generated none of the Applications of that matrix combination, and their workloads "
        "are not checked"
    )
    assert finding.details == {"generator": "list"}


def test_a_matrix_of_one_generator_is_a_finding(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        LIVE.replace("GENERATOR", "matrix: {generators: [{list: {elements: [{app: api}]}}]}"),
    )
    assert sorted(_apps(root)) == ["web"]
    [finding] = _findings(root, "appset-not-generated")
    assert finding.message == (
        "ApplicationSet argocd/previews: the matrix generator needs exactly two generators, as "
        "Argo CD requires; archfit generated none of its Applications, and their workloads are "
        "not checked"
    )
