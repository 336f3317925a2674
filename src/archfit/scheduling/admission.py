"""What the API server does to a pod before the scheduler sees it.

- `hostNetwork` pods: each container port without a `hostPort` gets `hostPort = containerPort`;
- PriorityClass admission: `priorityClassName` (or the `globalDefault` class, or 0) gives
  `priority` and `preemptionPolicy`; the built-in `system-node-critical` (2000001000) and
  `system-cluster-critical` (2000000000) classes always exist;
- RuntimeClass admission: `overhead` from the class's `overhead.podFixed`, and its
  `scheduling.nodeSelector`/`tolerations` merged into the pod;
- DefaultTolerationSeconds: `node.kubernetes.io/not-ready` and `unreachable` NoExecute
  tolerations for 300 s unless the pod already tolerates them.
Requests defaulting to limits happens in `archfit.model.k8s` when a manifest is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from archfit.errors import InputError
from archfit.model.pod import Container, ContainerPort, PodTemplate
from archfit.model.quantity import Quantity
from archfit.model.selectors import Toleration

__all__ = ["Admission", "PriorityClass", "RuntimeClass", "admission_from_documents"]

DEFAULT_TOLERATION_SECONDS = 300
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


@dataclass(frozen=True, slots=True)
class PriorityClass:
    name: str
    value: int
    global_default: bool = False
    preemption_policy: str = "PreemptLowerPriority"


@dataclass(frozen=True, slots=True)
class RuntimeClass:
    name: str
    overhead: Mapping[str, Quantity] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()


BUILTIN_PRIORITY_CLASSES = (
    PriorityClass("system-node-critical", 2000001000),
    PriorityClass("system-cluster-critical", 2000000000),
)


@dataclass(frozen=True, slots=True)
class Admission:
    """The admission plugins' configuration: the cluster's PriorityClasses and RuntimeClasses."""

    priority_classes: Mapping[str, PriorityClass] = field(default_factory=dict)
    runtime_classes: Mapping[str, RuntimeClass] = field(default_factory=dict)
    # Replicas share their controller's template; admitting it once lets them share the
    # result too (and the scheduler's per-template caches).
    _memo: dict[int, tuple[PodTemplate, PodTemplate]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def priority(self, template: PodTemplate) -> tuple[int, str]:
        """(priority, preemption policy) the pod gets."""
        classes = {c.name: c for c in BUILTIN_PRIORITY_CLASSES} | dict(self.priority_classes)
        if template.priority_class_name:
            pc = classes.get(template.priority_class_name)
            if pc is None:
                if template.priority is not None:
                    return template.priority, template.preemption_policy or "PreemptLowerPriority"
                raise InputError(
                    f"no PriorityClass named {template.priority_class_name!r}",
                    where="spec.priorityClassName",
                )
            return pc.value, template.preemption_policy or pc.preemption_policy
        if template.priority is not None:
            return template.priority, template.preemption_policy or "PreemptLowerPriority"
        defaults = [c for c in self.priority_classes.values() if c.global_default]
        if defaults:
            pc = defaults[0]
            return pc.value, template.preemption_policy or pc.preemption_policy
        return 0, template.preemption_policy or "PreemptLowerPriority"

    def admit(self, template: PodTemplate) -> PodTemplate:
        """The pod spec as stored by the API server."""
        hit = self._memo.get(id(template))
        if hit is not None and hit[0] is template:
            return hit[1]
        admitted = self._admit(template)
        self._memo[id(template)] = (template, admitted)
        return admitted

    def _admit(self, template: PodTemplate) -> PodTemplate:
        changes: dict[str, Any] = {}
        if template.host_network:
            changes["containers"] = tuple(_host_ports(c) for c in template.containers)
            changes["init_containers"] = tuple(_host_ports(c) for c in template.init_containers)
        rc = self.runtime_classes.get(template.runtime_class_name or "")
        if rc is not None:
            if rc.overhead and not template.overhead:
                changes["overhead"] = dict(rc.overhead)
            if rc.node_selector:
                changes["node_selector"] = {**template.node_selector, **rc.node_selector}
        tolerations = list(template.tolerations)
        if rc is not None:
            tolerations += [t for t in rc.tolerations if t not in tolerations]
        not_ready = unreachable = False
        for t in tolerations:
            if t.effect in ("", "NoExecute"):
                not_ready = not_ready or t.key in ("", NOT_READY)
                unreachable = unreachable or t.key in ("", UNREACHABLE)
        if not not_ready:
            tolerations.append(
                Toleration(
                    NOT_READY,
                    "Exists",
                    effect="NoExecute",
                    toleration_seconds=DEFAULT_TOLERATION_SECONDS,
                )
            )
        if not unreachable:
            tolerations.append(
                Toleration(
                    UNREACHABLE,
                    "Exists",
                    effect="NoExecute",
                    toleration_seconds=DEFAULT_TOLERATION_SECONDS,
                )
            )
        changes["tolerations"] = tuple(tolerations)
        return replace(template, **changes)


def _host_ports(container: Container) -> Container:
    if not container.ports:
        return container
    ports = tuple(
        p
        if p.host_port
        else ContainerPort(p.container_port, p.container_port, p.protocol, p.host_ip)
        for p in container.ports
    )
    return replace(container, ports=ports)


def admission_from_documents(documents: Iterable[Mapping[str, Any]]) -> Admission:
    """Read PriorityClass and RuntimeClass objects (as decoded YAML)."""
    priorities: dict[str, PriorityClass] = {}
    runtimes: dict[str, RuntimeClass] = {}
    for doc in documents:
        kind = doc.get("kind")
        meta = doc.get("metadata") or {}
        name = str(meta.get("name", ""))
        if kind == "PriorityClass":
            priorities[name] = PriorityClass(
                name,
                int(doc.get("value", 0)),
                bool(doc.get("globalDefault", False)),
                str(doc.get("preemptionPolicy") or "PreemptLowerPriority"),
            )
        elif kind == "RuntimeClass":
            overhead = (doc.get("overhead") or {}).get("podFixed") or {}
            scheduling = doc.get("scheduling") or {}
            tolerations = tuple(
                Toleration(
                    key=str(t.get("key", "")),
                    operator=str(t.get("operator", "Equal")),
                    value=str(t.get("value", "")),
                    effect=str(t.get("effect", "")),
                    toleration_seconds=t.get("tolerationSeconds"),
                )
                for t in scheduling.get("tolerations") or []
            )
            runtimes[name] = RuntimeClass(
                name,
                {str(k): Quantity.parse(v) for k, v in overhead.items()},
                {str(k): str(v) for k, v in (scheduling.get("nodeSelector") or {}).items()},
                tolerations,
            )
    return Admission(priorities, runtimes)
