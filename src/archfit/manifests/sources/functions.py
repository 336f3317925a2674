"""Functions as workloads: Knative `Service` (serving.knative.dev/v1) and OpenFaaS `Function`
(openfaas.com/v1). Light functions are natural Raspberry Pi tenants, so they are judged like any
Deployment; their kind is kept (`KnativeService`, `Function`) so reports show what they are.

- Knative: the pod spec is `spec.template.spec` (containers, affinity, nodeSelector and
  tolerations when the cluster enables Knative's podspec features), with the revision template's
  metadata.
- OpenFaaS: one container from `spec.image`; `spec.constraints` (`key=value` or `key==value`)
  become the node selector faas-netes applies; `spec.requests`/`spec.limits` the resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archfit.errors import InputError
from archfit.manifests.documents import Document
from archfit.manifests.sources._common import Namespaces, effective
from archfit.manifests.sources.interface import SourceContext, SourceOutput
from archfit.model.finding import Finding
from archfit.model.k8s import pod_template_from_spec
from archfit.model.workload import Workload

__all__ = ["FunctionSource"]

KNATIVE_GROUP = "serving.knative.dev"
OPENFAAS_GROUP = "openfaas.com"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _invalid(doc: Document, err: InputError) -> Finding:
    return Finding(
        id="invalid-manifest",
        severity="error",
        message=f"{doc.source}: {doc.kind}/{doc.name}: {err}",
        subject=doc.source.file,
        source=doc.source,
        hint="fix the field named; this function was left out of the analysis",
        rule="manifests",
    )


@dataclass(frozen=True, slots=True)
class FunctionSource:
    name: str = "functions"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        del context
        documents = effective(documents)
        namespaces = Namespaces(documents)
        workloads: list[Workload] = []
        findings: list[Finding] = []
        for doc in documents:
            try:
                if doc.kind == "Service" and doc.group == KNATIVE_GROUP:
                    workloads.append(_knative(doc, namespaces.of(doc)))
                elif doc.kind == "Function" and doc.group == OPENFAAS_GROUP:
                    workloads.append(_openfaas(doc, namespaces.of(doc)))
            except InputError as err:
                findings.append(_invalid(doc, err))
        return SourceOutput(workloads=tuple(workloads), findings=tuple(findings))


def _knative(doc: Document, namespace: str) -> Workload:
    spec = _map(doc.body.get("spec"))
    template = _map(spec.get("template"))
    pod = pod_template_from_spec(
        template.get("spec"), template.get("metadata"), "spec.template.spec"
    )
    return Workload(
        kind="KnativeService",
        namespace=namespace,
        name=doc.name,
        template=pod,
        source=doc.source,
        api_version=doc.api_version,
        labels=dict(_map(doc.metadata.get("labels"))),
        annotations=dict(_map(doc.metadata.get("annotations"))),
        replicas=1,
    )


def _openfaas(doc: Document, namespace: str) -> Workload:
    spec = _map(doc.body.get("spec"))
    container: dict[str, Any] = {
        "name": str(spec.get("name") or doc.name),
        "image": spec.get("image") or "",
    }
    resources = {key: dict(_map(spec.get(key))) for key in ("requests", "limits") if spec.get(key)}
    if resources:
        container["resources"] = resources
    selector: dict[str, str] = {}
    for constraint in spec.get("constraints") or []:
        if isinstance(constraint, str) and "=" in constraint:
            key, _, value = constraint.replace("==", "=").partition("=")
            selector[key.strip()] = value.strip()
    pod_spec: dict[str, Any] = {"containers": [container]}
    if selector:
        pod_spec["nodeSelector"] = selector
    meta = {
        "labels": dict(_map(spec.get("labels"))),
        "annotations": dict(_map(spec.get("annotations"))),
    }
    return Workload(
        kind="Function",
        namespace=namespace,
        name=doc.name,
        template=pod_template_from_spec(pod_spec, meta, "spec"),
        source=doc.source,
        api_version=doc.api_version,
        labels=dict(_map(doc.metadata.get("labels"))),
        annotations=dict(_map(doc.metadata.get("annotations"))),
        replicas=1,
    )
