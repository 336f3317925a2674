"""The Argo CD `clusters` generator, offline: one parameter set per cluster Secret of the
repository, as `applicationset/generators/cluster.go` builds them from the cluster's Secrets.

Cluster Secrets are the `v1` Secrets labelled `argocd.argoproj.io/secret-type: cluster` in the
Argo CD namespace (taken as the ApplicationSet's own; a Secret written without a namespace
counts, as `kubectl apply -n argocd` would place it), `stringData` over base64 `data`, one
per cluster `name` (a later Secret of the same name wins, as the generator keys them by
name). `selector` (`matchLabels`, `matchExpressions`) filters them by their labels.

Parameters: `name`, `nameNormalized`, `server`, `project` (empty when the Secret has none),
the Secret's labels and annotations (`metadata.labels.<key>` flat, or the nested
`.metadata.labels` map with `goTemplate`; no `metadata` when the Secret has neither), and
`values` (`values.<key>`, or `.values` with `goTemplate`), each value rendered with the
cluster's own parameters (not with the other values). The local cluster (`in-cluster`,
`https://kubernetes.default.svc`, `nameNormalized` as is, no `metadata`) is added when the
selector is empty and no Secret has that server. `flatList: true` gives one parameter set
holding the list of all of them under `clusters`.

Cluster Secrets whose data is not in the repository in the clear (SOPS-encrypted, a Bitnami
`SealedSecret`, an `ExternalSecret` templated as one) name clusters archfit cannot see: they are
counted, and the caller reports them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from archfit.manifests.documents import Document
from archfit.manifests.sources.appset_functions import normalized

__all__ = [
    "IN_CLUSTER_NAME",
    "IN_CLUSTER_SERVER",
    "SECRET_TYPE_LABEL",
    "ClusterSecrets",
    "cluster_params",
    "selector_matches",
]

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"  # noqa: S105 (a label key)
IN_CLUSTER_NAME = "in-cluster"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in _map(value).items()}


@dataclass(frozen=True, slots=True)
class _Cluster:
    namespace: str | None
    name: str
    server: str
    project: str | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ClusterSecrets:
    """The cluster Secrets among a repository's documents."""

    clusters: tuple[_Cluster, ...] = ()
    # (namespace, file:line) of cluster Secrets whose data is not readable offline.
    encrypted: tuple[tuple[str | None, str], ...] = ()

    @classmethod
    def of(cls, documents: Iterable[Document]) -> ClusterSecrets:
        clusters: list[_Cluster] = []
        encrypted: list[tuple[str | None, str]] = []
        for doc in documents:
            where = f"{doc.source.file}:{doc.source.line}"
            sealed = (doc.kind, doc.group) == ("SealedSecret", "bitnami.com")
            external = (doc.kind, doc.group) == ("ExternalSecret", "external-secrets.io")
            if sealed or external:
                spec = _map(doc.body.get("spec"))
                template = _map((_map(spec.get("target")) if external else spec).get("template"))
                labels = _strings(_map(template.get("metadata")).get("labels"))
                if labels.get(SECRET_TYPE_LABEL) == "cluster":
                    encrypted.append((doc.namespace, where))
                continue
            if doc.kind != "Secret" or doc.api_version != "v1":
                continue
            meta = _map(doc.body.get("metadata"))
            labels = _strings(meta.get("labels"))
            if labels.get(SECRET_TYPE_LABEL) != "cluster":
                continue
            if "sops" in doc.body:
                encrypted.append((doc.namespace, where))
                continue
            data = _decoded(doc.body.get("data"))
            data.update(_strings(doc.body.get("stringData")))
            clusters.append(
                _Cluster(
                    doc.namespace,
                    data.get("name", ""),
                    data.get("server", ""),
                    data.get("project"),
                    labels,
                    _strings(meta.get("annotations")),
                )
            )
        return cls(tuple(clusters), tuple(encrypted))

    def encrypted_in(self, namespace: str) -> list[str]:
        return [where for ns, where in self.encrypted if ns in {None, namespace}]


def _decoded(data: Any) -> dict[str, str]:
    out = {}
    for key, value in _map(data).items():
        try:
            out[str(key)] = base64.b64decode(str(value or ""), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
    return out


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes `LabelSelector` (`matchLabels`, `matchExpressions` with In, NotIn, Exists,
    DoesNotExist) against `labels`; an operator it does not know matches nothing, as
    `LabelSelectorAsSelector` rejects it."""
    for key, value in _map(selector.get("matchLabels")).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in selector.get("matchExpressions") or []:
        item = _map(expression)
        key, operator = str(item.get("key", "")), item.get("operator")
        values = {str(v) for v in item.get("values") or []}
        present = key in labels
        if operator == "In":
            ok = present and labels[key] in values
        elif operator == "NotIn":
            ok = not present or labels[key] not in values
        elif operator == "Exists":
            ok = present
        elif operator == "DoesNotExist":
            ok = not present
        else:
            return False
        if not ok:
            return False
    return True


def cluster_params(
    spec: Mapping[str, Any],
    secrets: ClusterSecrets,
    namespace: str,
    *,
    go: bool,
    render: Callable[[str, Mapping[str, Any]], str],
) -> list[dict[str, Any]]:
    """The parameter sets of one `clusters` generator; `render` renders a `values` entry with
    the cluster's parameters (fasttemplate or Go, as the ApplicationSet says; it may raise
    `TemplateError`)."""
    selector = _map(spec.get("selector"))
    by_name: dict[str, _Cluster] = {}
    for cluster in secrets.clusters:
        if cluster.namespace in {None, namespace} and selector_matches(selector, cluster.labels):
            by_name.pop(cluster.name, None)
            by_name[cluster.name] = cluster
    values = _strings(spec.get("values"))
    out: list[dict[str, Any]] = []
    ignore_local = bool(selector.get("matchLabels") or selector.get("matchExpressions"))
    if not ignore_local and not any(c.server == IN_CLUSTER_SERVER for c in by_name.values()):
        local: dict[str, Any] = {
            "name": IN_CLUSTER_NAME,
            "nameNormalized": IN_CLUSTER_NAME,
            "server": IN_CLUSTER_SERVER,
            "project": "",
        }
        out.append(_with_values(local, values, go=go, render=render))
    for cluster in by_name.values():
        params: dict[str, Any] = {
            "name": cluster.name,
            "nameNormalized": normalized(cluster.name),
            "server": cluster.server,
            "project": cluster.project or "",
        }
        if go:
            meta: dict[str, Any] = {}
            if cluster.annotations:
                meta["annotations"] = dict(cluster.annotations)
            if cluster.labels:
                meta["labels"] = dict(cluster.labels)
            params["metadata"] = meta
        else:
            params.update({f"metadata.annotations.{k}": v for k, v in cluster.annotations.items()})
            params.update({f"metadata.labels.{k}": v for k, v in cluster.labels.items()})
        out.append(_with_values(params, values, go=go, render=render))
    if spec.get("flatList") is True:
        return [{"clusters": out}]
    return out


def _with_values(
    params: dict[str, Any],
    values: Mapping[str, str],
    *,
    go: bool,
    render: Callable[[str, Mapping[str, Any]], str],
) -> dict[str, Any]:
    if not values:
        return params
    # Every value sees the cluster's parameters only, never another value (Argo CD renders
    # them all before adding any).
    rendered = {key: render(value, params) for key, value in values.items()}
    if go:
        params["values"] = rendered
    else:
        params.update({f"values.{k}": v for k, v in rendered.items()})
    return params
