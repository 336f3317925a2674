"""Findings only a running cluster can show. Pure functions over model values.

All are errors:
- `exec-format-error`: a container's termination message, last state or a Warning event says
  `exec format error` (the node's kernel cannot execute the image's binaries);
- `running-on-wrong-arch`: a pod runs on a node whose arch none of an image's platforms runs on
  (needs image platforms: the lockfile or a registry);
- `pending-no-arch-fit`: a Pending pod that no node admits once its node selector, required
  affinity and its images' platforms are combined;
- `daemonset-arch-failure`: a DaemonSet's pods fail on every node of one arch and run on others.

Each finding's subject is the top-level controller (`Deployment/web/api`) when known, else the
pod; repeated pods of one controller give one finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from archfit.errors import InvalidValue
from archfit.model.affinity import admits
from archfit.model.finding import Finding
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.live import EXEC_FORMAT_ERROR, ClusterEvent, ContainerState, PodState
from archfit.model.node import Node

__all__ = ["ImageLookup", "live_findings"]

RULE = "live"


class ImageLookup(Protocol):
    """Which platforms an image ships (`archfit.policy.ImagePlatforms` satisfies this)."""

    def lookup(self, ref: ImageRef) -> ImageInfo | None: ...


def _subject(pod: PodState) -> str:
    return pod.controller or pod.key


def _resolved(images: ImageLookup | None, image: str) -> ImageInfo | None:
    if images is None or not image:
        return None
    try:
        ref = ImageRef.parse(image)
    except InvalidValue:
        return None
    info = images.lookup(ref)
    if info is None or info.status != "resolved" or not info.linux_platforms:
        return None
    return info


def _runs(node: Node, info: ImageInfo) -> bool:
    return any(node.runs(p) for p in info.linux_platforms)


def _arch_hint(info: ImageInfo | None, node: Node) -> str:
    if info is not None:
        return f"the image ships {', '.join(info.architectures)}, not {node.arch}"
    return f"the image most likely has no {node.arch} build"


def exec_format_errors(
    pods: Sequence[PodState],
    events: Iterable[ClusterEvent],
    nodes: Mapping[str, Node],
    images: ImageLookup | None,
) -> list[Finding]:
    by_pod: dict[tuple[str, str], list[ClusterEvent]] = defaultdict(list)
    for event in events:
        if event.kind == "Pod" and EXEC_FORMAT_ERROR in event.message.lower():
            by_pod[(event.namespace, event.name)].append(event)
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for pod in pods:
        node = nodes.get(pod.node_name or "")
        arch = node.arch if node else "unknown"
        culprits = [c for c in pod.containers if c.mentions(EXEC_FORMAT_ERROR)]
        images_by_name = dict(pod.images)
        evidence = "termination message"
        if not culprits and (pod.namespace, pod.name) in by_pod:
            evidence = "event"
            culprits = [c for c in pod.containers if c.failing] or [
                ContainerState(name, image) for name, image in pod.images[:1]
            ]
        for container in culprits:
            image = container.image or images_by_name.get(container.name, "")
            key = (_subject(pod), container.name, arch)
            if key in seen:
                continue
            seen.add(key)
            info = _resolved(images, image)
            why = _arch_hint(info, node) if node else "the image does not match the node's arch"
            out.append(
                Finding(
                    id="exec-format-error",
                    severity="error",
                    message=(
                        f"{pod.key}: container {container.name} ({image}) fails with "
                        f"`exec format error` on node {pod.node_name} ({arch}): {why}"
                    ),
                    subject=_subject(pod),
                    hint=(
                        f"keep {_subject(pod)} off {arch} nodes (archfit fix) or use an image "
                        f"built for {arch}"
                    ),
                    rule=RULE,
                    details={
                        "pod": pod.key,
                        "container": container.name,
                        "image": image,
                        "node": pod.node_name,
                        "arch": arch,
                        "evidence": evidence,
                        "restarts": container.restart_count,
                    },
                )
            )
    return out


def wrong_arch(
    pods: Sequence[PodState], nodes: Mapping[str, Node], images: ImageLookup | None
) -> list[Finding]:
    if images is None:
        return []
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for pod in pods:
        node = nodes.get(pod.node_name or "")
        if node is None:
            continue
        for container, image in pod.images:
            info = _resolved(images, image)
            if info is None or _runs(node, info):
                continue
            key = (_subject(pod), container, node.arch)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Finding(
                    id="running-on-wrong-arch",
                    severity="error",
                    message=(
                        f"{pod.key} runs on {node.name} ({node.arch}) but container {container} "
                        f"({image}) ships only {', '.join(info.architectures)}"
                    ),
                    subject=_subject(pod),
                    hint=f"restrict {_subject(pod)} to {', '.join(info.architectures)} nodes",
                    rule=RULE,
                    details={
                        "pod": pod.key,
                        "node": node.name,
                        "arch": node.arch,
                        "image": image,
                        "platforms": list(info.architectures),
                    },
                )
            )
    return out


def pending_no_arch(
    pods: Sequence[PodState],
    nodes: Mapping[str, Node],
    images: ImageLookup | None,
    events: Iterable[ClusterEvent] = (),
) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    all_arches = sorted({n.arch for n in nodes.values()})
    scheduler = {
        (e.namespace, e.name): e.message
        for e in events
        if e.kind == "Pod" and e.reason == "FailedScheduling"
    }
    for pod in pods:
        if pod.phase != "Pending" or pod.node_name or pod.template is None:
            continue
        template = pod.template
        affinity = template.node_affinity
        required = affinity.required if affinity else None
        admitted = [
            n for n in nodes.values() if admits(n.name, n.labels, template.node_selector, required)
        ]
        infos = [i for i in (_resolved(images, img) for _, img in pod.images) if i is not None]
        runnable = [n for n in admitted if all(_runs(n, i) for i in infos)]
        if runnable or _subject(pod) in seen:
            continue
        seen.add(_subject(pod))
        admitted_arches = sorted({n.arch for n in admitted})
        if not admitted:
            why = f"its node selector and affinity admit no node (cluster arches: {all_arches})"
        else:
            shipped = sorted({a for i in infos for a in i.architectures})
            why = f"its images ship {shipped} but the nodes it selects are {admitted_arches}"
        message = f"{pod.key} is Pending: {why}"
        said = pod.unschedulable_message or scheduler.get((pod.namespace, pod.name), "")
        if said:
            message += f"; the scheduler says: {said}"
        out.append(
            Finding(
                id="pending-no-arch-fit",
                severity="error",
                message=message,
                subject=_subject(pod),
                hint="select an architecture the images ship and the cluster has",
                rule=RULE,
                details={"pod": pod.key, "admitted_arches": admitted_arches},
            )
        )
    return out


def daemonset_arch_failures(pods: Sequence[PodState], nodes: Mapping[str, Node]) -> list[Finding]:
    per_ds: dict[str, dict[str, list[PodState]]] = defaultdict(lambda: defaultdict(list))
    for pod in pods:
        if not (pod.controller or "").startswith("DaemonSet/"):
            continue
        node = nodes.get(pod.node_name or "")
        if node is None:
            continue
        per_ds[pod.controller or ""][node.arch].append(pod)
    out: list[Finding] = []
    for ds, by_arch in sorted(per_ds.items()):
        failing = sorted(a for a, ps in by_arch.items() if all(p.failing for p in ps))
        healthy = sorted(a for a, ps in by_arch.items() if not any(p.failing for p in ps))
        if not failing or not healthy:
            continue
        failing_nodes = sorted(p.node_name or "" for a in failing for p in by_arch[a])
        out.append(
            Finding(
                id="daemonset-arch-failure",
                severity="error",
                message=(
                    f"{ds}: pods fail on every {'/'.join(failing)} node "
                    f"({', '.join(failing_nodes)}) and run on {'/'.join(healthy)}"
                ),
                subject=ds,
                hint=(
                    f"use a multi-arch image, or keep {ds} off {'/'.join(failing)} nodes "
                    "with node affinity on kubernetes.io/arch"
                ),
                rule=RULE,
                details={"failing_arches": failing, "healthy_arches": healthy},
            )
        )
    return out


def live_findings(
    pods: Sequence[PodState],
    events: Iterable[ClusterEvent],
    nodes: Iterable[Node],
    images: ImageLookup | None = None,
) -> list[Finding]:
    """Every live finding, in the order of the table above."""
    by_name = {n.name: n for n in nodes}
    events = list(events)
    return [
        *exec_format_errors(pods, events, by_name, images),
        *wrong_arch(pods, by_name, images),
        *pending_no_arch(pods, by_name, images, events),
        *daemonset_arch_failures(pods, by_name),
    ]
