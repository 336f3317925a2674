"""What-ifs over a finished simulation: a node fails, every node fails in turn, a node drains.

Failure is not drain (`fail`): the node object stays, tainted `node.kubernetes.io/unreachable`
(NoSchedule and NoExecute), so it still counts as a topology domain holding no pods. Its pods:
- DaemonSet pods tolerate that taint forever; they are lost with the node and need no room;
- ReplicaSet and Job pods are recreated by their controllers and scheduled elsewhere — or stay
  Pending, with the scheduler's message (a claim pinned to the dead node's disk says
  `node(s) didn't match PersistentVolume's node affinity`);
- StatefulSet pods are stuck: the controller does not replace a pod it cannot see terminate,
  until someone deletes it or taints the node `node.kubernetes.io/out-of-service`;
- bare pods are gone (nothing recreates them), as are pods that tolerate the taint forever but
  are not DaemonSet pods (they stay bound to a dead node).

Drain (`drain`): the node is cordoned and its pods evicted one by one through the eviction API:
DaemonSet pods are skipped, an eviction a PodDisruptionBudget forbids blocks, bare pods block
(kubectl drain needs --force), and evicted pods are recreated and scheduled, StatefulSet pods
included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from archfit.model.node import Node
from archfit.model.selectors import Taint
from archfit.scheduling.eviction import noexecute_evictions
from archfit.scheduling.framework.cluster import Storage
from archfit.scheduling.simulate import PodResult, Simulation

__all__ = [
    "Displaced",
    "Outcome",
    "WhatIf",
    "control_plane_findings",
    "drain",
    "fail",
    "fail_each",
    "fork",
]

Outcome = Literal["rescheduled", "pending", "pinned", "stuck", "lost", "gone", "blocked", "kept"]
# Outcomes that leave a workload short of a pod.
FAILED_OUTCOMES = frozenset({"pending", "pinned", "stuck", "gone", "blocked"})
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
_PV_AFFINITY = "node(s) didn't match PersistentVolume's node affinity"


@dataclass(frozen=True, slots=True)
class Displaced:
    """One pod a what-if moved, lost or could not move."""

    pod: str
    owner: str | None
    outcome: Outcome
    node: str | None = None
    message: str | None = None
    cpu_millis: int = 0
    # The workload the pod belongs to, as `Kind/namespace/name` (None for a bare pod).
    workload: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


@dataclass(slots=True)
class WhatIf:
    """The verdict of one what-if: `ok` when every pod that should run still can."""

    kind: Literal["fail", "drain"]
    nodes: tuple[str, ...]
    displaced: list[Displaced] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.failed for d in self.displaced)

    @property
    def impact(self) -> tuple[int, int, int]:
        """Sort key, worst first when reversed: pods left short, their cpu, pods moved."""
        failed = [d for d in self.displaced if d.failed]
        return (len(failed), sum(d.cpu_millis for d in failed), len(self.displaced))


def fork(base: Simulation, nodes: Sequence[Node] | None = None) -> Simulation:
    """A new simulation with `base`'s placements (on `nodes`, default the same), to change."""
    storage = base.cluster.storage
    copy = Simulation(
        nodes if nodes is not None else base.nodes,
        base.workloads,
        admission=base.admission,
        services=base.cluster.services,
        budgets=base.cluster.budgets,
        storage=Storage(
            dict(storage.claims), dict(storage.volumes), dict(storage.classes), dict(storage.pinned)
        ),
        namespaces=base.namespaces,
        config=base.config,
    )
    copy._arrival = base._arrival
    for result in base.results:
        if result.node is not None and result.node in copy.cluster.infos:
            copy.cluster.bind(result.pod, result.node)
        copy.results.append(
            PodResult(
                result.pod,
                result.spec,
                result.node,
                result.message,
                result.decision,
                result.bound_in_input,
                result.preempted_by,
                result.victims,
            )
        )
    return copy


def _workload(result: PodResult) -> str | None:
    workload = result.spec.workload
    if workload is None:
        return None
    if workload.kind != "Pod":
        return workload.display
    # A running pod read from a snapshot stands for its controller.
    if not workload.owner:
        return None
    kind, _, name = workload.owner.partition("/")
    return f"{kind}/{workload.namespace}/{name}"


def _tainted(node: Node, taints: Iterable[Taint], *, cordon: bool = False) -> Node:
    extra = tuple(t for t in taints if t not in node.taints)
    return replace(node, taints=node.taints + extra, unschedulable=node.unschedulable or cordon)


def _reschedule(sim: Simulation, gone: PodResult) -> Displaced:
    replacement = sim.replace(gone)
    assert replacement is not None
    sim.schedule([replacement])
    return _displaced(gone, replacement)


def _displaced(gone: PodResult, replacement: PodResult) -> Displaced:
    cpu = gone.pod.requests.get("cpu", 0)
    if replacement.node is not None:
        return Displaced(
            gone.pod.key,
            gone.pod.owner,
            "rescheduled",
            replacement.node,
            None,
            cpu,
            workload=_workload(gone),
        )
    message = replacement.message
    outcome: Outcome = "pinned" if message and _PV_AFFINITY in message else "pending"
    return Displaced(
        gone.pod.key, gone.pod.owner, outcome, None, message, cpu, workload=_workload(gone)
    )


def fail(base: Simulation, names: Sequence[str]) -> WhatIf:
    """The nodes `names` stop answering (failure semantics, see the module docstring)."""
    dead = set(names)
    taints = (Taint(UNREACHABLE, "NoSchedule"), Taint(UNREACHABLE, "NoExecute"))
    nodes = [_tainted(n, taints) if n.name in dead else n for n in base.nodes]
    sim = fork(base, nodes)
    verdict = WhatIf("fail", tuple(names))
    on_dead = [r for r in sim.results if r.node in dead]
    evicted = {
        id(e.pod)
        for name in names
        for e in noexecute_evictions([r.pod for r in on_dead if r.node == name], taints)
    }
    to_schedule: list[PodResult] = []
    for result in on_dead:
        pod = result.pod
        cpu = pod.requests.get("cpu", 0)
        kind = pod.owner_kind
        if kind == "DaemonSet":
            verdict.displaced.append(
                Displaced(
                    pod.key, pod.owner, "lost", result.node, None, cpu, workload=_workload(result)
                )
            )
            continue
        sim.cluster.unbind(pod)
        if id(pod) not in evicted:
            verdict.displaced.append(
                Displaced(
                    pod.key,
                    pod.owner,
                    "stuck",
                    result.node,
                    "tolerates the unreachable taint forever: stays bound to the dead node",
                    cpu,
                    workload=_workload(result),
                )
            )
        elif kind == "StatefulSet":
            verdict.displaced.append(
                Displaced(
                    pod.key,
                    pod.owner,
                    "stuck",
                    result.node,
                    "StatefulSet pods on an unreachable node are not replaced until the pod is "
                    "deleted or the node is tainted node.kubernetes.io/out-of-service",
                    cpu,
                    workload=_workload(result),
                )
            )
        elif kind is None:
            verdict.displaced.append(
                Displaced(
                    pod.key,
                    None,
                    "gone",
                    result.node,
                    "a bare pod: nothing recreates it",
                    cpu,
                    workload=_workload(result),
                )
            )
        else:
            to_schedule.append(result)
        result.node = None
    replacements = []
    for result in to_schedule:
        replacement = sim.replace(result)
        assert replacement is not None
        replacements.append((result, replacement))
    sim.schedule([r for _, r in replacements])
    verdict.displaced.extend(_displaced(g, r) for g, r in replacements)
    return verdict


def fail_each(base: Simulation, progress: Callable[[str], None] | None = None) -> list[WhatIf]:
    """The N−1 sweep: every node fails alone; worst first (pods left short, their cpu)."""
    out = []
    for node in base.nodes:
        if progress is not None:
            progress(node.name)
        out.append(fail(base, [node.name]))
    out.sort(key=lambda w: w.impact, reverse=True)
    return out


def drain(base: Simulation, name: str) -> WhatIf:
    """`kubectl drain NAME --ignore-daemonsets` (see the module docstring)."""
    cordon = (Taint(UNSCHEDULABLE, "NoSchedule"),)
    nodes = [_tainted(n, cordon, cordon=True) if n.name == name else n for n in base.nodes]
    sim = fork(base, nodes)
    verdict = WhatIf("drain", (name,))
    cluster = sim.cluster
    for result in [r for r in sim.results if r.node == name]:
        pod = result.pod
        cpu = pod.requests.get("cpu", 0)
        if pod.owner_kind == "DaemonSet":
            continue
        if pod.owner is None:
            verdict.displaced.append(
                Displaced(
                    pod.key,
                    None,
                    "blocked",
                    name,
                    "not managed by a controller (drain needs --force; nothing recreates the pod)",
                    cpu,
                    workload=_workload(result),
                )
            )
            continue
        blocking = [
            b
            for b in cluster.budgets
            if b.matches(pod) and b.allowed(sum(1 for p in cluster.where if b.matches(p))) <= 0
        ]
        if blocking:
            verdict.displaced.append(
                Displaced(
                    pod.key,
                    pod.owner,
                    "blocked",
                    name,
                    "evicting it would violate PodDisruptionBudget "
                    f"{blocking[0].namespace}/{blocking[0].name}",
                    cpu,
                    workload=_workload(result),
                )
            )
            continue
        cluster.unbind(pod)
        result.node = None
        verdict.displaced.append(_reschedule(sim, result))
    return verdict


@dataclass(frozen=True, slots=True)
class ControlPlaneFinding:
    code: str
    message: str


def control_plane_findings(nodes: Sequence[Node]) -> list[ControlPlaneFinding]:
    """A single control-plane node, or an even number of etcd members (etcd runs on the
    control planes unless nodes carry the `etcd` role), are single points of failure."""
    out: list[ControlPlaneFinding] = []
    planes = [n.name for n in nodes if n.is_control_plane]
    if len(planes) == 1:
        out.append(
            ControlPlaneFinding(
                "single-control-plane",
                f"{planes[0]} is the only control-plane node: losing it stops the API server, "
                "the scheduler and the controllers (a single point of failure)",
            )
        )
    elif not planes:
        out.append(
            ControlPlaneFinding(
                "no-control-plane",
                "no node has the control-plane role; the control plane cannot be checked",
            )
        )
    etcd = [n.name for n in nodes if "etcd" in n.roles] or planes
    if len(etcd) >= 2 and len(etcd) % 2 == 0:
        out.append(
            ControlPlaneFinding(
                "even-etcd-members",
                f"{len(etcd)} etcd members ({', '.join(etcd)}): quorum needs "
                f"{len(etcd) // 2 + 1}, so it survives {len(etcd) // 2 - 1} failure(s), no more "
                f"than {len(etcd) - 1} members would; use an odd number",
            )
        )
    return out
