"""The `clusters` generator over the repository's cluster Secrets, as Argo CD's
`applicationset/generators/cluster.go` builds its parameters: the local cluster, labels and
annotations, `values`, selectors, `flatList`, fasttemplate and Go templates."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archfit.sources import load_manifests


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


SECRETS = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: cluster-prod
  namespace: argocd
  labels: {{argocd.argoproj.io/secret-type: cluster, env: prod, tier: edge}}
  annotations: {{owner: ops}}
stringData:
  name: Prod_East
  server: https://prod.example.com:6443
  project: platform
---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-lab
  labels: {{argocd.argoproj.io/secret-type: cluster, env: lab}}
data:
  name: {_b64("lab")}
  server: {_b64("https://10.0.0.5:6443")}
---
# Another Argo CD's cluster: not this one's.
apiVersion: v1
kind: Secret
metadata:
  name: cluster-elsewhere
  namespace: other-argocd
  labels: {{argocd.argoproj.io/secret-type: cluster, env: prod}}
stringData: {{name: elsewhere, server: https://elsewhere.example.com}}
---
# Not a cluster Secret (a repository credential).
apiVersion: v1
kind: Secret
metadata:
  name: repo-creds
  namespace: argocd
  labels: {{argocd.argoproj.io/secret-type: repository}}
stringData: {{name: repo, url: https://github.com/example/homelab.git}}
"""


def _repo(root: Path, appset: str, secrets: str = SECRETS) -> Path:
    (root / "apps" / "web").mkdir(parents=True)
    (root / "apps" / "web" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx:1.27}]}\n"
    )
    (root / "argocd").mkdir()
    (root / "argocd" / "clusters.yaml").write_text(secrets)
    (root / "argocd" / "set.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
        "metadata: {name: web, namespace: argocd}\n" + appset
    )
    return root


def _apps(root: Path) -> dict[str, Mapping[str, Any]]:
    manifests = load_manifests([root])
    return {
        d.name: d.body
        for d in manifests.of_kind("Application")
        if d.source.origin.startswith("ApplicationSet ")
    }


def _destinations(root: Path) -> dict[str, tuple[str, str]]:
    return {
        name: (body["spec"]["destination"]["server"], body["spec"]["destination"]["namespace"])
        for name, body in _apps(root).items()
    }


FAST = """\
spec:
  generators:
    - clusters:
        values:
          revision: '{{metadata.labels.env}}-main'
          where: '{{name}}@{{server}}'
  template:
    metadata:
      name: 'web-{{nameNormalized}}'
      annotations: {owner: '{{metadata.annotations.owner}}', where: '{{values.where}}'}
    spec:
      project: '{{project}}'
      source: {repoURL: https://github.com/example/homelab.git, path: apps/web,
               targetRevision: '{{values.revision}}'}
      destination: {server: '{{server}}', namespace: 'web-{{metadata.labels.env}}'}
"""


def test_fasttemplate_parameters_per_cluster_secret_and_the_local_cluster(tmp_path: Path) -> None:
    root = _repo(tmp_path, FAST)
    apps = _apps(root)
    assert sorted(apps) == ["web-in-cluster", "web-lab", "web-prod-east"]
    # The local cluster has no labels: fasttemplate leaves the tag as written, as Argo CD does.
    assert _destinations(root) == {
        "web-in-cluster": ("https://kubernetes.default.svc", "web-{{metadata.labels.env}}"),
        "web-lab": ("https://10.0.0.5:6443", "web-lab"),
        "web-prod-east": ("https://prod.example.com:6443", "web-prod"),
    }
    prod = apps["web-prod-east"]
    assert prod["spec"]["project"] == "platform"
    assert prod["spec"]["source"]["targetRevision"] == "prod-main"
    assert prod["metadata"]["annotations"] == {
        "owner": "ops",
        "where": "Prod_East@https://prod.example.com:6443",
    }
    assert apps["web-lab"]["spec"]["project"] == ""
    assert apps["web-in-cluster"]["metadata"]["annotations"]["where"] == (
        "in-cluster@https://kubernetes.default.svc"
    )
    workloads = {w.key for w in load_manifests([root]).workloads}
    assert workloads == {
        "Deployment/web-{{metadata.labels.env}}/web",
        "Deployment/web-lab/web",
        "Deployment/web-prod/web",
    }


def test_selector_match_labels_leaves_out_the_local_cluster(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        FAST.replace(
            "    - clusters:\n", "    - clusters:\n        selector: {matchLabels: {env: prod}}\n"
        ),
    )
    assert sorted(_apps(root)) == ["web-prod-east"]


def test_selector_match_expressions(tmp_path: Path) -> None:
    selector = (
        "        selector:\n          matchExpressions:\n"
        "            - {key: env, operator: NotIn, values: [prod]}\n"
        "            - {key: env, operator: Exists}\n"
    )
    root = _repo(tmp_path, FAST.replace("    - clusters:\n", "    - clusters:\n" + selector))
    assert sorted(_apps(root)) == ["web-lab"]


def test_a_secret_for_the_local_server_replaces_in_cluster(tmp_path: Path) -> None:
    local = (
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: local\n  namespace: argocd\n"
        "  labels: {argocd.argoproj.io/secret-type: cluster, env: home}\n"
        "stringData: {name: home, server: 'https://kubernetes.default.svc'}\n"
    )
    root = _repo(tmp_path, FAST, SECRETS + local)
    assert _destinations(root) == {
        "web-home": ("https://kubernetes.default.svc", "web-home"),
        "web-lab": ("https://10.0.0.5:6443", "web-lab"),
        "web-prod-east": ("https://prod.example.com:6443", "web-prod"),
    }


GO = """\
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - clusters:
        selector: {matchExpressions: [{key: env, operator: Exists}]}
        values:
          tier: '{{ default "core" (index .metadata.labels "tier") }}'
  template:
    metadata:
      name: '{{ .name | lower }}-web'
      labels: {tier: '{{ .values.tier }}'}
    spec:
      project: default
      source: {repoURL: https://github.com/example/homelab.git, path: apps/web}
      destination:
        server: '{{ .server }}'
        namespace: >-
          {{ if eq .metadata.labels.env "prod" }}web{{ else
          }}web-{{ .metadata.labels.env }}{{ end }}
"""


def test_go_template_nested_metadata_and_values(tmp_path: Path) -> None:
    root = _repo(tmp_path, GO)
    apps = _apps(root)
    assert _destinations(root) == {
        "lab-web": ("https://10.0.0.5:6443", "web-lab"),
        "prod_east-web": ("https://prod.example.com:6443", "web"),
    }
    assert apps["prod_east-web"]["metadata"]["labels"] == {"tier": "edge"}
    assert apps["lab-web"]["metadata"]["labels"] == {"tier": "core"}


def test_go_values_failing_on_the_local_cluster_fail_the_generator(tmp_path: Path) -> None:
    # Without a selector the local cluster is in, and it has no `metadata`: with
    # missingkey=error its values do not render, and Argo CD's generator returns that error
    # for all clusters: nothing is generated.
    root = _repo(
        tmp_path,
        GO.replace("        selector: {matchExpressions: [{key: env, operator: Exists}]}\n", ""),
    )
    assert _apps(root) == {}
    manifests = load_manifests([root])
    assert any("ApplicationSet argocd/web" in n and "'metadata'" in n for n in manifests.notes)
    [finding] = [f for f in manifests.findings if f.id == "appset-not-generated"]
    assert finding.message == (
        "ApplicationSet argocd/web: the clusters generator has values that do not render (map "
        "has no entry for key 'metadata'), in Argo CD either; archfit generated none of its "
        "Applications, and their workloads are not checked"
    )


def test_flat_list_gives_one_parameter_set(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        """\
spec:
  goTemplate: true
  generators:
    - clusters: {flatList: true}
  template:
    metadata:
      name: all-clusters
      annotations:
        servers: '{{ range $i, $c := .clusters }}{{ if $i }},{{ end }}{{ $c.name }}{{ end }}'
    spec:
      source: {repoURL: https://github.com/example/homelab.git, path: apps/web}
      destination: {server: https://kubernetes.default.svc, namespace: web}
""",
    )
    apps = _apps(root)
    assert list(apps) == ["all-clusters"]
    assert apps["all-clusters"]["metadata"]["annotations"] == {
        "servers": "in-cluster,Prod_East,lab"
    }


def test_cluster_secrets_not_readable_offline_are_a_finding(tmp_path: Path) -> None:
    sops = (
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-remote\n"
        "  namespace: argocd\n  labels: {argocd.argoproj.io/secret-type: cluster}\n"
        "stringData: {name: 'ENC[AES256_GCM,data:abc]', server: 'ENC[AES256_GCM,data:def]'}\n"
        "sops: {version: 3.8.1}\n"
        "---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n"
        "metadata: {name: cluster-far, namespace: argocd}\n"
        "spec:\n  target:\n    template:\n      metadata:\n"
        "        labels: {argocd.argoproj.io/secret-type: cluster}\n"
    )
    root = _repo(tmp_path, FAST, SECRETS + sops)
    manifests = load_manifests([root])
    assert sorted(_apps(root)) == ["web-in-cluster", "web-lab", "web-prod-east"]
    [finding] = [f for f in manifests.findings if f.id == "appset-not-generated"]
    assert finding.severity == "warning"
    assert finding.source is not None
    assert (finding.source.file, finding.source.line) == (str(root / "argocd" / "set.yaml"), 1)
    assert finding.message.startswith(
        "ApplicationSet argocd/web: the clusters generator reads 2 cluster Secret(s) whose data "
        "is not readable offline (SOPS, SealedSecret, ExternalSecret: "
        f"{root / 'argocd' / 'clusters.yaml'}:"
    )
