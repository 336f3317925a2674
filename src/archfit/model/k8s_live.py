"""Pod status and events (as decoded JSON) into `archfit.model.live` values.

The spec side of a pod goes through `archfit.model.k8s.workload_from_k8s`, like every other pod
template; this module reads only what the kubelet and the scheduler report. Pure; raises
`InvalidValue` naming the field when a value has the wrong type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archfit.errors import InvalidValue
from archfit.model.k8s import workload_from_k8s
from archfit.model.live import ClusterEvent, ContainerState, PodState
from archfit.model.workload import SourceRef

__all__ = ["event_from_k8s", "pod_state_from_k8s"]


def _map(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidValue(f"expected a mapping, got {type(value).__name__}", where=path)
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _container_state(raw: Any, path: str, *, init: bool) -> ContainerState:
    obj = _map(raw, path)
    state = _map(obj.get("state"), f"{path}.state")
    last = _map(obj.get("lastState"), f"{path}.lastState")
    current, detail = next(iter(state.items()), ("", {}))
    detail = _map(detail, f"{path}.state.{current}")
    last_terminated = _map(last.get("terminated"), f"{path}.lastState.terminated")
    exit_code = last_terminated.get("exitCode")
    if current == "terminated" and not last_terminated:
        last_terminated = detail
        exit_code = detail.get("exitCode")
    return ContainerState(
        name=_text(obj.get("name")),
        image=_text(obj.get("image")),
        ready=bool(obj.get("ready", False)),
        restart_count=int(obj.get("restartCount") or 0),
        state=str(current),
        reason=_text(detail.get("reason")),
        message=_text(detail.get("message")),
        last_reason=_text(last_terminated.get("reason")),
        last_message=_text(last_terminated.get("message")),
        last_exit_code=int(exit_code) if isinstance(exit_code, int) else None,
        init=init,
    )


def pod_state_from_k8s(
    obj: Mapping[str, Any], source: SourceRef, *, with_template: bool | None = None
) -> PodState:
    """A Pod object with its status. The template is converted when `with_template` is true, or
    by default when the pod is not bound to a node (its placement is what needs explaining)."""
    meta = _map(obj.get("metadata"), "metadata")
    spec = _map(obj.get("spec"), "spec")
    status = _map(obj.get("status"), "status")
    node_name = _text(spec.get("nodeName")) or None
    images: list[tuple[str, str]] = []
    for key in ("initContainers", "containers"):
        for i, raw in enumerate(spec.get(key) or []):
            c = _map(raw, f"spec.{key}[{i}]")
            images.append((_text(c.get("name")), _text(c.get("image"))))
    containers = [
        _container_state(c, f"status.initContainerStatuses[{i}]", init=True)
        for i, c in enumerate(status.get("initContainerStatuses") or [])
    ] + [
        _container_state(c, f"status.containerStatuses[{i}]", init=False)
        for i, c in enumerate(status.get("containerStatuses") or [])
    ]
    unschedulable = ""
    for i, raw in enumerate(status.get("conditions") or []):
        cond = _map(raw, f"status.conditions[{i}]")
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            unschedulable = _text(cond.get("message"))
    owner = None
    for ref in meta.get("ownerReferences") or []:
        if isinstance(ref, Mapping) and ref.get("controller"):
            owner = f"{ref.get('kind')}/{ref.get('name')}"
    if with_template is None:
        with_template = node_name is None
    template = workload_from_k8s(obj, source).template if with_template else None
    return PodState(
        namespace=_text(meta.get("namespace")) or "default",
        name=_text(meta.get("name")),
        node_name=node_name,
        phase=_text(status.get("phase")) or "Unknown",
        images=tuple(images),
        containers=tuple(containers),
        owner=owner,
        unschedulable_message=unschedulable,
        template=template,
    )


def event_from_k8s(obj: Mapping[str, Any]) -> ClusterEvent:
    """A core/v1 Event (`involvedObject`, `message`, `count`) or an events.k8s.io/v1 Event
    (`regarding`, `note`, `series.count`)."""
    involved = _map(obj.get("involvedObject") or obj.get("regarding"), "involvedObject")
    meta = _map(obj.get("metadata"), "metadata")
    series = _map(obj.get("series"), "series")
    count = obj.get("count") or series.get("count") or obj.get("deprecatedCount") or 1
    return ClusterEvent(
        namespace=_text(involved.get("namespace") or meta.get("namespace")),
        kind=_text(involved.get("kind")),
        name=_text(involved.get("name")),
        reason=_text(obj.get("reason")),
        message=_text(obj.get("message") if "message" in obj else obj.get("note")),
        type=_text(obj.get("type")) or "Normal",
        count=int(count) if isinstance(count, int) else 1,
    )
