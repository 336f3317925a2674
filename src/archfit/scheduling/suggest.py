"""Which workloads could move to the arm64 nodes (the strategy's "maximize utilization of ARM64
compute"), and what the cluster would look like if they did.

A workload is a candidate when none of its pods already runs on arm64 only, it is not a
DaemonSet, and nothing rules it out:
- an image without an arm64 build (or with platforms unknown to the lockfile);
- a GPU request (the Pis have none);
- a hostPath volume or a claim of a node-local class such as local-path (its data stays on the
  node it runs on), or a claim of cluster storage (the Pis carry no Longhorn storage); both as
  `archfit.model.volumes` judges them, the same rule `check` uses;
- "heavy": one pod asking for more than half the cpu or memory of the largest arm64 node.
Candidates are then moved for real, one after the other, in input order: their pods are taken
off their nodes and scheduled again with `nodeSelector kubernetes.io/arch: arm64` (their own
arch requirements dropped); a workload whose pods do not all fit is put back and reported with
the scheduler's message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from archfit.model.node import ARCH_LABEL, GPU_RESOURCES
from archfit.model.pod import NodeAffinity, PodTemplate
from archfit.model.quantity import Quantity
from archfit.model.selectors import NodeSelector
from archfit.model.volumes import workload_volumes
from archfit.model.workload import Workload
from archfit.scheduling.controllers import PodSpec
from archfit.scheduling.framework.cluster import Storage
from archfit.scheduling.simulate import PodResult, Simulation
from archfit.scheduling.whatif import fork

__all__ = ["Suggestion", "pin_to_arch", "suggest"]

ARM64 = "arm64"
ImageCheck = Callable[[str], bool | None]


@dataclass(slots=True)
class Suggestion:
    workload: str
    verdict: Literal["movable", "blocked"]
    reasons: list[str] = field(default_factory=list)
    pods: int = 0
    cpu_millis: int = 0
    memory_bytes: int = 0


def pin_to_arch(template: PodTemplate, arch: str) -> PodTemplate:
    """The template with `nodeSelector kubernetes.io/arch: <arch>` and no other arch rule."""
    selector = {k: v for k, v in template.node_selector.items() if k != ARCH_LABEL}
    selector[ARCH_LABEL] = arch
    affinity = template.affinity
    if affinity is not None and affinity.node_affinity is not None:
        required = affinity.node_affinity.required
        if required is not None:
            terms = tuple(
                replace(
                    term,
                    match_expressions=tuple(
                        e for e in term.match_expressions if e.key != ARCH_LABEL
                    ),
                )
                for term in required.terms
            )
            kept = tuple(t for t in terms if not t.empty)
            node_affinity: NodeAffinity = replace(
                affinity.node_affinity, required=NodeSelector(kept) if kept else None
            )
            affinity = replace(affinity, node_affinity=node_affinity)
    return replace(template, node_selector=selector, affinity=affinity)


def _blockers(
    workload: Workload,
    pods: list[PodResult],
    image_ok: ImageCheck,
    limits: tuple[int, int],
    storage: Storage,
) -> list[str]:
    reasons = []
    for container in workload.template.runtime_containers:
        ok = image_ok(container.image)
        if ok is False:
            reasons.append(f"image {container.image} has no linux/arm64 build")
        elif ok is None:
            reasons.append(f"platforms of {container.image} are unknown (not in the lockfile)")
    requests = pods[0].pod.requests if pods else {}
    gpus = sorted(r for r in requests if r in GPU_RESOURCES and requests[r] > 0)
    if gpus:
        reasons.append(f"requests {', '.join(gpus)} (the arm64 nodes have no GPU)")
    for use in workload_volumes(workload, storage.claims, storage.classes):
        if use.host_path is not None:
            what = "host devices" if use.host_path.startswith("/dev") else "a host path"
            reasons.append(f"uses {what} ({use.host_path}) of the node it runs on")
        elif use.locality == "node-local":
            reasons.append(f"keeps its data {use.describe()} on the node it runs on")
        else:
            reasons.append(
                f"uses the persistent volume {use.describe()} (the arm64 nodes carry no "
                "cluster storage)"
            )
    cpu, memory = limits
    if requests.get("cpu", 0) * 2 > cpu or requests.get("memory", 0) * 2 > memory:
        reasons.append("heavy: a pod asks for more than half of the largest arm64 node")
    return reasons


def suggest(base: Simulation, image_ok: ImageCheck) -> tuple[list[Suggestion], Simulation]:
    """Suggestions per workload and the simulation with every movable workload moved."""
    arm = [n for n in base.nodes if n.arch == ARM64]
    sim = fork(base)
    if not arm:
        return [], sim
    zero = Quantity.zero()
    limits = (
        max(n.allocatable.get("cpu", zero).milli() for n in arm),
        max(n.allocatable.get("memory", zero).integer() for n in arm),
    )
    arm_names = {n.name for n in arm}
    out: list[Suggestion] = []
    for workload in base.workloads:
        if workload.kind == "DaemonSet":
            continue
        pods = [r for r in sim.results if r.spec.workload is workload and r.node is not None]
        if not pods or all(r.node in arm_names for r in pods):
            continue
        suggestion = Suggestion(
            workload.display,
            "blocked",
            pods=len(pods),
            cpu_millis=sum(r.pod.requests.get("cpu", 0) for r in pods),
            memory_bytes=sum(r.pod.requests.get("memory", 0) for r in pods),
        )
        out.append(suggestion)
        suggestion.reasons = _blockers(workload, pods, image_ok, limits, base.cluster.storage)
        if suggestion.reasons:
            continue
        moved = _move(sim, pods)
        if moved is None:
            suggestion.verdict = "movable"
        else:
            suggestion.reasons.append(f"does not fit on the arm64 nodes: {moved}")
    return out, sim


def _move(sim: Simulation, pods: list[PodResult]) -> str | None:
    """Reschedule `pods` pinned to arm64; None when all fit, else put them back and return
    the first failure message."""
    old = [(r, r.node) for r in pods]
    for result in pods:
        sim.cluster.unbind(result.pod)
    fresh: list[PodResult] = []
    for result in pods:
        spec = result.spec
        moved = PodSpec(
            spec.namespace,
            spec.name,
            pin_to_arch(spec.template, ARM64),
            spec.owner,
            spec.owner_selector,
            spec.workload,
            None,
            spec.claims,
        )
        fresh.append(PodResult(sim.pod_for(moved), moved))
    sim.schedule(fresh)
    failed = next((r for r in fresh if r.node is None), None)
    if failed is None:
        for result, new in zip(pods, fresh, strict=True):
            sim.results[sim.results.index(result)] = new
        return None
    for new in fresh:
        if new.node is not None:
            sim.cluster.unbind(new.pod)
    for result, node in old:
        assert node is not None
        sim.cluster.bind(result.pod, node)
    return failed.message
