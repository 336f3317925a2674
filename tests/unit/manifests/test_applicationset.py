"""Argo CD ApplicationSets generate Applications as Argo CD does: list, git-directory and
git-file generators, fasttemplate and Go templates; the generated Applications place the
objects of their paths in their destination namespaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.manifests.sources.applicationset import glob_regex, normalized
from archfit.manifests.sources.appset_functions import NotModelledError
from archfit.manifests.sources.appset_template import TemplateError, render_go
from archfit.sources import load_manifests


def keys(root: Path) -> set[str]:
    return {w.key for w in load_manifests([root]).workloads}


def apps(root: Path) -> dict[str, str]:
    """Generated Application name → destination namespace."""
    manifests = load_manifests([root])
    return {
        d.name: d.body["spec"]["destination"]["namespace"]
        for d in manifests.of_kind("Application")
        if d.source.origin.startswith("ApplicationSet ")
    }


def test_git_directories_generator_names_namespaces_and_exclude(fixtures_dir: Path) -> None:
    root = fixtures_dir / "argocd-appset" / "directories"
    assert apps(root) == {"api": "api", "web": "web"}
    manifests = load_manifests([root])
    assert {w.key for w in manifests.workloads} == {"Deployment/web/web", "Deployment/api/api"}
    # Not generated (excluded) and not applied (Argo CD does not recurse by default): the
    # ApplicationSet is the entry point and these files are not deployed.
    assert manifests.entry_points == ("argocd",)
    [finding] = [f for f in manifests.findings if f.id == "not-deployed"]
    assert finding.severity == "info"
    assert finding.details["files"] == [
        str(root / "apps/api/extra/worker.yaml"),
        str(root / "apps/scratch/deployment.yaml"),
    ]


def test_list_generator_with_nested_element_keys(fixtures_dir: Path) -> None:
    root = fixtures_dir / "argocd-appset" / "list"
    assert apps(root) == {"guestbook-dev": "blue-dev", "guestbook-prod": "green-prod"}
    manifests = load_manifests([root])
    images = {w.key: w.template.containers[0].image for w in manifests.workloads}
    assert images == {
        "Deployment/blue-dev/guestbook": "nginx:1.26",
        "Deployment/green-prod/guestbook": "nginx:1.27",
    }


def test_git_files_generator_over_cluster_configs(fixtures_dir: Path) -> None:
    root = fixtures_dir / "argocd-appset" / "files"
    assert apps(root) == {"homelab-media": "media-lab", "production-media": "media-prod"}
    assert keys(root) == {"Deployment/media-lab/jellyfin", "Deployment/media-prod/jellyfin"}


def test_go_template_generator_and_missing_key_error(fixtures_dir: Path) -> None:
    root = fixtures_dir / "argocd-appset" / "gotemplate"
    assert apps(root) == {"Editor": "tools-editor", "git": "tools-git"}
    assert keys(root) == {"Deployment/tools-editor/code-server", "Deployment/tools-git/gitea"}
    manifests = load_manifests([root])
    assert any("ApplicationSet argocd/broken" in n and "'nmae'" in n for n in manifests.notes)
    # Argo CD fails this Application too: the user hears of it.
    [finding] = [f for f in manifests.findings if f.id == "appset-not-generated"]
    assert finding.source is not None
    assert (finding.source.file, finding.source.line) == (str(root / "argocd" / "tools.yaml"), 26)
    assert finding.message == (
        "ApplicationSet argocd/broken: 1 Application(s) do not render (map has no entry for key "
        "'nmae'), in Argo CD either; their workloads are not checked"
    )


def test_remote_repository_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "appset.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
        "metadata: {name: remote, namespace: argocd}\n"
        "spec:\n  generators:\n    - git:\n        repoURL: https://example.com/other.git\n"
        "        directories: [{path: 'nowhere/*'}]\n"
        "  template: {metadata: {name: '{{path.basename}}'}, spec: {}}\n"
    )
    manifests = load_manifests([tmp_path])
    assert manifests.notes == (
        "argocd-applicationset: ApplicationSet argocd/remote: git generator "
        "https://example.com/other.git: remote repository not fetched",
    )
    [finding] = [f for f in manifests.findings if f.id == "appset-not-generated"]
    assert finding.message == (
        "ApplicationSet argocd/remote: the git generator reads https://example.com/other.git, "
        "whose paths are not in the files given (remote repositories are not fetched); archfit "
        "generated none of its Applications, and their workloads are not checked"
    )


@pytest.mark.parametrize(
    ("pattern", "path", "doublestar", "matches"),
    [
        ("apps/*", "apps/web", False, True),
        ("apps/*", "apps/web/extra", False, False),
        ("/apps/[fg]*", "apps/gitea", False, True),
        # Go negates a class with `^` only: `!` is a member.
        ("apps/[!a]?", "apps/ab", False, True),
        ("apps/[^a]?", "apps/bb", False, True),
        ("clusters/**/config.json", "clusters/a/b/config.json", True, True),
        ("clusters/**/config.json", "clusters/config.json", True, True),
        ("clusters/*/config.json", "clusters/a/b/config.json", True, False),
    ],
)
def test_glob(pattern: str, path: str, doublestar: bool, matches: bool) -> None:
    assert bool(glob_regex(pattern, doublestar=doublestar).match(path)) is matches


def test_normalized_names() -> None:
    assert normalized("directory_2") == "directory-2"
    assert normalized("My_App.") == "my-app"


def test_go_template_functions() -> None:
    params = {"path": {"basename": "Web", "segments": ["apps", "Web"]}, "env": ""}
    assert render_go("{{ .path.basename | lower }}", params, missing_error=False) == "web"
    assert render_go('{{ default "prod" .env }}', params, missing_error=False) == "prod"
    assert render_go("{{index .path.segments 1}}-x", params, missing_error=False) == "Web-x"
    assert render_go("{{ .nope }}", params, missing_error=False) == "<no value>"
    with pytest.raises(TemplateError):
        render_go("{{ .nope }}", params, missing_error=True)
    assert render_go("{{ if .env }}x{{ else }}y{{ end }}", params, missing_error=False) == "y"
    with pytest.raises(NotModelledError):
        render_go('{{ template "other" . }}', params, missing_error=False)


def _tree(root: Path, appset: str) -> Path:
    for app in ("web", "api"):
        (root / "apps" / app).mkdir(parents=True)
        (root / "apps" / app / "deploy.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {app}}}\n"
            f"spec:\n  selector: {{matchLabels: {{app: {app}}}}}\n"
            f"  template:\n    metadata: {{labels: {{app: {app}}}}}\n"
            f"    spec: {{containers: [{{name: {app}, image: nginx}}]}}\n"
        )
    (root / "argocd").mkdir()
    (root / "argocd" / "set.yaml").write_text(appset)
    return root


def test_matrix_of_list_and_git_directories(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: grid, namespace: argocd}
spec:
  generators:
    - matrix:
        generators:
          - list:
              elements: [{cluster: prod}, {cluster: lab}]
          - git:
              repoURL: https://github.com/example/homelab.git
              directories: [{path: apps/*}]
  template:
    metadata: {name: '{{path.basename}}-{{cluster}}'}
    spec:
      source: {path: '{{path}}'}
      destination: {namespace: '{{cluster}}-{{path.basename}}'}
""",
    )
    assert apps(root) == {
        "api-prod": "prod-api",
        "web-prod": "prod-web",
        "api-lab": "lab-api",
        "web-lab": "lab-web",
    }


def test_merge_by_keys_and_selector(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: merged, namespace: argocd}
spec:
  generators:
    - merge:
        mergeKeys: [app]
        generators:
          - list:
              elements: [{app: web, ns: front}, {app: api, ns: back}]
          - list:
              elements: [{app: web, ns: edge}]
      selector:
        matchLabels: {app: web}
  template:
    metadata: {name: '{{app}}'}
    spec:
      source: {path: 'apps/{{app}}'}
      destination: {namespace: '{{ns}}'}
""",
    )
    assert apps(root) == {"web": "edge"}


def test_top_level_glob_is_the_repository_root(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: top, namespace: argocd}
spec:
  generators:
    - git:
        repoURL: https://github.com/example/homelab.git
        directories: [{path: '*'}, {path: argocd, exclude: true}]
  template:
    metadata: {name: '{{path.basename}}'}
    spec:
      source: {path: '{{path}}'}
      destination: {namespace: '{{path.basename}}'}
""",
    )
    # The tree's top level is `apps` and `argocd`; not the ApplicationSet's own directory.
    assert apps(root) == {"apps": "apps"}


def test_selector_match_expressions_on_parameters(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: picked, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - {app: web, tier: {name: front}}
          - {app: api, tier: {name: back}}
          - {app: db}
      selector:
        matchExpressions:
          - {key: tier.name, operator: In, values: [front, edge]}
  template:
    metadata: {name: '{{ .app }}'}
    spec:
      source: {path: 'apps/{{ .app }}'}
      destination: {namespace: '{{ .tier.name }}'}
""",
    )
    assert apps(root) == {"web": "front"}
