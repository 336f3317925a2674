"""Kubernetes objects (as decoded JSON/YAML) into archfit's model values.

This is the one place that knows the wire shape of pods, nodes and storage objects; manifests,
the kube adapter and the simulator all convert through it, so they agree. It is pure: it takes
dicts, returns values, and raises `InvalidValue` naming the field path when a value has the wrong
type or does not parse. Missing optional fields are fine; defaulting the API server would apply
(requests default to limits, `restartPolicy: Always` init containers are sidecars) is applied here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archfit.errors import InvalidValue
from archfit.model.image import ImageRef
from archfit.model.k8s_affinity import affinity as _affinity
from archfit.model.k8s_affinity import label_selector, node_selector
from archfit.model.k8s_fields import (
    Obj,
    _bool,
    _int,
    _labels,
    _list,
    _map,
    _resources,
    _str,
    _strings,
)
from archfit.model.node import ARCH_LABEL, HOSTNAME_LABEL, OS_LABEL, Node
from archfit.model.platform import NodeCapabilities, Platform
from archfit.model.pod import (
    Container,
    ContainerKind,
    ContainerPort,
    PodTemplate,
    ResourceRequirements,
    TopologySpreadConstraint,
    Volume,
)
from archfit.model.selectors import (
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Taint,
    Toleration,
)
from archfit.model.workload import (
    PersistentVolume,
    PersistentVolumeClaim,
    SourceRef,
    StorageClass,
    Workload,
)

__all__ = [
    "POD_SPEC_PATHS",
    "label_selector",
    "node_from_k8s",
    "node_selector",
    "pod_template_from_spec",
    "pv_from_k8s",
    "pvc_from_k8s",
    "storage_class_from_k8s",
    "workload_from_k8s",
]

# Where each workload kind keeps its pod spec and the template's metadata.
POD_SPEC_PATHS: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

IS_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def _container(value: Any, path: str, kind: ContainerKind) -> Container:
    obj = _map(value, path)
    image = _str(obj.get("image"), f"{path}.image")
    try:
        ref: ImageRef | None = ImageRef.parse(image) if image else None
    except InvalidValue:
        ref = None
    res = _map(obj.get("resources"), f"{path}.resources")
    limits = _resources(res.get("limits"), f"{path}.resources.limits")
    requests = _resources(res.get("requests"), f"{path}.resources.requests")
    # The API server defaults each missing request to its limit.
    merged = {**limits, **requests}
    claims = tuple(
        _str(
            _map(c, f"{path}.resources.claims[{i}]").get("name"),
            f"{path}.resources.claims[{i}].name",
        )
        for i, c in enumerate(_list(res.get("claims"), f"{path}.resources.claims"))
    )
    ports = []
    for i, raw in enumerate(_list(obj.get("ports"), f"{path}.ports")):
        port = _map(raw, f"{path}.ports[{i}]")
        ports.append(
            ContainerPort(
                container_port=_int(
                    port.get("containerPort"), f"{path}.ports[{i}].containerPort", 0
                )
                or 0,
                host_port=_int(port.get("hostPort"), f"{path}.ports[{i}].hostPort", 0) or 0,
                protocol=_str(port.get("protocol"), f"{path}.ports[{i}].protocol", "TCP"),
                host_ip=_str(port.get("hostIP"), f"{path}.ports[{i}].hostIP"),
            )
        )
    if kind == "init" and obj.get("restartPolicy") == "Always":
        kind = "sidecar"
    return Container(
        name=_str(obj.get("name"), f"{path}.name"),
        image=image,
        image_ref=ref,
        kind=kind,
        resources=ResourceRequirements(requests=merged, limits=limits, claims=claims),
        ports=tuple(ports),
        path=path,
    )


def _volume(value: Any, path: str) -> Volume:
    obj = _map(value, path)
    name = _str(obj.get("name"), f"{path}.name")
    for source in obj:
        if source == "name":
            continue
        body = _map(obj[source], f"{path}.{source}") if isinstance(obj[source], Mapping) else {}
        if source == "persistentVolumeClaim":
            return Volume(
                name,
                source,
                claim_name=_str(body.get("claimName"), f"{path}.{source}.claimName"),
                read_only=_bool(body.get("readOnly"), f"{path}.{source}.readOnly"),
            )
        if source == "hostPath":
            return Volume(name, source, host_path=_str(body.get("path"), f"{path}.hostPath.path"))
        if source == "ephemeral":
            spec = _map(
                _map(body.get("volumeClaimTemplate"), f"{path}.ephemeral.volumeClaimTemplate").get(
                    "spec"
                ),
                f"{path}.ephemeral.volumeClaimTemplate.spec",
            )
            sc = spec.get("storageClassName")
            return Volume(
                name,
                source,
                storage_class=_str(sc, f"{path}.ephemeral.storageClassName") if sc else None,
            )
        return Volume(name, str(source))
    return Volume(name, "emptyDir")


def pod_template_from_spec(spec_value: Any, meta_value: Any, path: str) -> PodTemplate:
    """Read a pod spec at document path `path` (e.g. `spec.template.spec`) with its metadata."""
    spec = _map(spec_value, path)
    meta_path = path.rsplit(".", 1)[0] + ".metadata" if "." in path else "metadata"
    meta = _map(meta_value, meta_path)

    def containers(key: str, kind: ContainerKind) -> tuple[Container, ...]:
        return tuple(
            _container(c, f"{path}.{key}[{i}]", kind)
            for i, c in enumerate(_list(spec.get(key), f"{path}.{key}"))
        )

    tolerations = []
    for i, raw in enumerate(_list(spec.get("tolerations"), f"{path}.tolerations")):
        t = _map(raw, f"{path}.tolerations[{i}]")
        tolerations.append(
            Toleration(
                key=_str(t.get("key"), f"{path}.tolerations[{i}].key"),
                operator=_str(t.get("operator"), f"{path}.tolerations[{i}].operator", "Equal"),
                value=_str(t.get("value"), f"{path}.tolerations[{i}].value"),
                effect=_str(t.get("effect"), f"{path}.tolerations[{i}].effect"),
                toleration_seconds=_int(
                    t.get("tolerationSeconds"), f"{path}.tolerations[{i}].tolerationSeconds"
                ),
            )
        )
    spreads = []
    for i, raw in enumerate(
        _list(spec.get("topologySpreadConstraints"), f"{path}.topologySpreadConstraints")
    ):
        c = _map(raw, f"{path}.topologySpreadConstraints[{i}]")
        p = f"{path}.topologySpreadConstraints[{i}]"
        spreads.append(
            TopologySpreadConstraint(
                max_skew=_int(c.get("maxSkew"), f"{p}.maxSkew", 1) or 1,
                topology_key=_str(c.get("topologyKey"), f"{p}.topologyKey"),
                when_unsatisfiable=_str(
                    c.get("whenUnsatisfiable"), f"{p}.whenUnsatisfiable", "DoNotSchedule"
                ),
                label_selector=label_selector(c.get("labelSelector"), f"{p}.labelSelector"),
                min_domains=_int(c.get("minDomains"), f"{p}.minDomains"),
                node_affinity_policy=_str(c.get("nodeAffinityPolicy"), f"{p}.nodeAffinityPolicy")
                or None,
                node_taints_policy=_str(c.get("nodeTaintsPolicy"), f"{p}.nodeTaintsPolicy") or None,
                match_label_keys=_strings(c.get("matchLabelKeys"), f"{p}.matchLabelKeys"),
            )
        )
    claims = tuple(
        _str(_map(c, f"{path}.resourceClaims[{i}]").get("name"), f"{path}.resourceClaims[{i}].name")
        for i, c in enumerate(_list(spec.get("resourceClaims"), f"{path}.resourceClaims"))
    )
    gates = tuple(
        _str(
            _map(g, f"{path}.schedulingGates[{i}]").get("name"), f"{path}.schedulingGates[{i}].name"
        )
        for i, g in enumerate(_list(spec.get("schedulingGates"), f"{path}.schedulingGates"))
    )
    return PodTemplate(
        labels=_labels(meta.get("labels"), f"{meta_path}.labels"),
        annotations=_labels(meta.get("annotations"), f"{meta_path}.annotations"),
        containers=containers("containers", "container"),
        init_containers=containers("initContainers", "init"),
        ephemeral_containers=containers("ephemeralContainers", "ephemeral"),
        volumes=tuple(
            _volume(v, f"{path}.volumes[{i}]")
            for i, v in enumerate(_list(spec.get("volumes"), f"{path}.volumes"))
        ),
        node_selector=_labels(spec.get("nodeSelector"), f"{path}.nodeSelector"),
        affinity=_affinity(spec.get("affinity"), f"{path}.affinity"),
        tolerations=tuple(tolerations),
        topology_spread_constraints=tuple(spreads),
        node_name=_str(spec.get("nodeName"), f"{path}.nodeName") or None,
        priority_class_name=_str(spec.get("priorityClassName"), f"{path}.priorityClassName")
        or None,
        priority=_int(spec.get("priority"), f"{path}.priority"),
        preemption_policy=_str(spec.get("preemptionPolicy"), f"{path}.preemptionPolicy") or None,
        runtime_class_name=_str(spec.get("runtimeClassName"), f"{path}.runtimeClassName") or None,
        overhead=_resources(spec.get("overhead"), f"{path}.overhead"),
        host_network=_bool(spec.get("hostNetwork"), f"{path}.hostNetwork"),
        scheduler_name=_str(
            spec.get("schedulerName"), f"{path}.schedulerName", "default-scheduler"
        ),
        resource_claims=claims,
        scheduling_gates=gates,
        path=path,
    )


def pvc_from_k8s(
    obj: Obj, *, source: SourceRef | None = None, namespace: str = "default", path: str = ""
) -> PersistentVolumeClaim:
    meta = _map(obj.get("metadata"), f"{path}metadata")
    spec = _map(obj.get("spec"), f"{path}spec")
    storage = _resources(
        _map(spec.get("resources"), f"{path}spec.resources").get("requests"),
        f"{path}spec.resources.requests",
    ).get("storage")
    sc = spec.get("storageClassName")
    return PersistentVolumeClaim(
        namespace=_str(meta.get("namespace"), f"{path}metadata.namespace", namespace),
        name=_str(meta.get("name"), f"{path}metadata.name"),
        storage_class=_str(sc, f"{path}spec.storageClassName") if sc is not None else None,
        access_modes=_strings(spec.get("accessModes"), f"{path}spec.accessModes"),
        storage=storage,
        volume_name=_str(spec.get("volumeName"), f"{path}spec.volumeName") or None,
        source=source,
    )


def storage_class_from_k8s(obj: Obj, *, source: SourceRef | None = None) -> StorageClass:
    meta = _map(obj.get("metadata"), "metadata")
    annotations = _labels(meta.get("annotations"), "metadata.annotations")
    topologies = _list(obj.get("allowedTopologies"), "allowedTopologies")
    allowed = None
    if topologies:
        terms = []
        for i, raw in enumerate(topologies):
            t = _map(raw, f"allowedTopologies[{i}]")
            reqs = tuple(
                NodeSelectorRequirement(
                    key=_str(
                        e.get("key"), f"allowedTopologies[{i}].matchLabelExpressions[{j}].key"
                    ),
                    operator="In",
                    values=_strings(
                        e.get("values"), f"allowedTopologies[{i}].matchLabelExpressions[{j}].values"
                    ),
                )
                for j, e in enumerate(
                    _list(
                        t.get("matchLabelExpressions"),
                        f"allowedTopologies[{i}].matchLabelExpressions",
                    )
                )
            )
            terms.append(NodeSelectorTerm(reqs))
        allowed = NodeSelector(tuple(terms))
    return StorageClass(
        name=_str(meta.get("name"), "metadata.name"),
        provisioner=_str(obj.get("provisioner"), "provisioner"),
        is_default=annotations.get(IS_DEFAULT_CLASS) == "true",
        volume_binding_mode=_str(obj.get("volumeBindingMode"), "volumeBindingMode", "Immediate"),
        allowed_topologies=allowed,
        source=source,
    )


def pv_from_k8s(obj: Obj) -> PersistentVolume:
    meta = _map(obj.get("metadata"), "metadata")
    spec = _map(obj.get("spec"), "spec")
    claim_ref = _map(spec.get("claimRef"), "spec.claimRef")
    local = _map(spec.get("local"), "spec.local") or _map(spec.get("hostPath"), "spec.hostPath")
    return PersistentVolume(
        name=_str(meta.get("name"), "metadata.name"),
        storage_class=_str(spec.get("storageClassName"), "spec.storageClassName") or None,
        node_affinity=node_selector(
            _map(spec.get("nodeAffinity"), "spec.nodeAffinity").get("required"),
            "spec.nodeAffinity.required",
        ),
        capacity=_resources(spec.get("capacity"), "spec.capacity").get("storage"),
        claim=(
            _str(claim_ref.get("namespace"), "spec.claimRef.namespace"),
            _str(claim_ref.get("name"), "spec.claimRef.name"),
        )
        if claim_ref
        else None,
        local_path=_str(local.get("path"), "spec.local.path") or None,
    )


def _job_pods(job_spec: Obj, path: str) -> int | None:
    """Pods a Job runs at once: `parallelism` (default 1), never more than `completions`."""
    parallelism = _int(job_spec.get("parallelism"), f"{path}.parallelism", 1)
    completions = _int(job_spec.get("completions"), f"{path}.completions")
    if parallelism is not None and completions is not None:
        return min(parallelism, completions)
    return parallelism


def workload_from_k8s(
    obj: Obj, source: SourceRef, *, default_namespace: str = "default"
) -> Workload:
    """Convert a Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob."""
    kind = _str(obj.get("kind"), "kind")
    if kind not in POD_SPEC_PATHS:
        raise InvalidValue(f"not a workload kind: {kind!r}", where="kind")
    meta = _map(obj.get("metadata"), "metadata")
    spec_path = POD_SPEC_PATHS[kind]
    spec: Any = obj
    for key in spec_path[:-1]:
        spec = _map(spec, ".".join(spec_path[: spec_path.index(key)]) or "object").get(key)
    pod_meta_parent = spec
    pod_spec = _map(pod_meta_parent, ".".join(spec_path[:-1]) or "object").get(spec_path[-1])
    pod_meta = (
        meta if kind == "Pod" else _map(pod_meta_parent, ".".join(spec_path[:-1])).get("metadata")
    )
    template = pod_template_from_spec(pod_spec, pod_meta, ".".join(spec_path))
    top_spec = _map(obj.get("spec"), "spec")
    namespace = (
        _str(meta.get("namespace"), "metadata.namespace", default_namespace) or default_namespace
    )
    replicas: int | None
    if kind in {"Deployment", "ReplicaSet", "StatefulSet"}:
        replicas = _int(top_spec.get("replicas"), "spec.replicas", 1)
    elif kind == "DaemonSet":
        replicas = None
    elif kind == "Job":
        replicas = _job_pods(top_spec, "spec")
    elif kind == "CronJob":
        job_spec = _map(
            _map(top_spec.get("jobTemplate"), "spec.jobTemplate").get("spec"),
            "spec.jobTemplate.spec",
        )
        replicas = _job_pods(job_spec, "spec.jobTemplate.spec")
    else:
        replicas = 1
    vcts = []
    for i, raw in enumerate(
        _list(top_spec.get("volumeClaimTemplates"), "spec.volumeClaimTemplates")
    ):
        vcts.append(
            pvc_from_k8s(
                _map(raw, f"spec.volumeClaimTemplates[{i}]"),
                source=source,
                namespace=namespace,
                path=f"spec.volumeClaimTemplates[{i}].",
            )
        )
    owner = None
    for ref in _list(meta.get("ownerReferences"), "metadata.ownerReferences"):
        if isinstance(ref, Mapping) and ref.get("controller"):
            owner = f"{ref.get('kind')}/{ref.get('name')}"
    return Workload(
        kind=kind,
        namespace=namespace,
        name=_str(meta.get("name"), "metadata.name")
        or _str(meta.get("generateName"), "metadata.generateName"),
        template=template,
        source=source,
        api_version=_str(obj.get("apiVersion"), "apiVersion"),
        labels=_labels(meta.get("labels"), "metadata.labels"),
        annotations=_labels(meta.get("annotations"), "metadata.annotations"),
        replicas=replicas,
        selector=label_selector(top_spec.get("selector"), "spec.selector")
        if kind != "Pod"
        else None,
        volume_claim_templates=tuple(vcts),
        owner=owner,
        uid=_str(meta.get("uid"), "metadata.uid") or None,
    )


def node_from_k8s(obj: Obj, *, capabilities: NodeCapabilities | None = None) -> Node:
    """Convert a Node object (as `kubectl get node -o yaml` prints it)."""
    meta = _map(obj.get("metadata"), "metadata")
    spec = _map(obj.get("spec"), "spec")
    status = _map(obj.get("status"), "status")
    name = _str(meta.get("name"), "metadata.name")
    if not name:
        raise InvalidValue("node without a name", where="metadata.name")
    labels = _labels(meta.get("labels"), "metadata.labels")
    info = _map(status.get("nodeInfo"), "status.nodeInfo")
    arch = labels.get(ARCH_LABEL) or _str(info.get("architecture"), "status.nodeInfo.architecture")
    os_ = labels.get(OS_LABEL) or _str(
        info.get("operatingSystem"), "status.nodeInfo.operatingSystem", "linux"
    )
    if not arch:
        raise InvalidValue(
            f"node {name} has no {ARCH_LABEL} label and no status.nodeInfo.architecture",
            where="metadata.labels",
        )
    platform = Platform.of(os_, arch)
    labels.setdefault(ARCH_LABEL, platform.architecture)
    labels.setdefault(OS_LABEL, platform.os)
    labels.setdefault(HOSTNAME_LABEL, name)
    taints = []
    for i, raw in enumerate(_list(spec.get("taints"), "spec.taints")):
        t = _map(raw, f"spec.taints[{i}]")
        taints.append(
            Taint(
                key=_str(t.get("key"), f"spec.taints[{i}].key"),
                effect=_str(t.get("effect"), f"spec.taints[{i}].effect"),
                value=_str(t.get("value"), f"spec.taints[{i}].value"),
            )
        )
    roles = frozenset(
        key.split("/", 1)[1]
        for key in labels
        if key.startswith("node-role.kubernetes.io/") and "/" in key
    )
    allocatable = _resources(status.get("allocatable"), "status.allocatable")
    capacity = _resources(status.get("capacity"), "status.capacity")
    return Node(
        name=name,
        platform=platform,
        labels=labels,
        taints=tuple(taints),
        allocatable=allocatable or capacity,
        capacity=capacity or allocatable,
        unschedulable=_bool(spec.get("unschedulable"), "spec.unschedulable"),
        roles=roles,
        capabilities=capabilities or NodeCapabilities(),
        annotations=_labels(meta.get("annotations"), "metadata.annotations"),
    )
