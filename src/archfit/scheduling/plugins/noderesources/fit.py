"""NodeResourcesFit: the pod's requests must fit what the node has left; LeastAllocated score.

Filter (`fitsRequest`): `Too many pods` when the node is at its pod count, then every resource
whose request exceeds allocatable minus requested — all of them are reported, each its own entry
in the FailedScheduling histogram. A pod requesting nothing fits anywhere with room for a pod.

Score: for cpu and memory (weight 1 each), `(allocatable - requested) * 100 / allocatable`,
where requested is the node's non-zero total plus the pod's non-zero request; the integer mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archfit.scheduling.framework.interface import MAX_NODE_SCORE, CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Code, Status

__all__ = ["NAME", "Fit", "is_scalar_resource"]

NAME = "NodeResourcesFit"
REASON_TOO_MANY_PODS = "Too many pods"
_BASIC = ("cpu", "memory", "ephemeral-storage")


def is_scalar_resource(name: str) -> bool:
    """Extended (`vendor/name` outside kubernetes.io), hugepages and prefixed native resources
    (`IsScalarResourceName`); other names are not compared by the scheduler."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    if "/" not in name:
        return False
    return not name.startswith("requests.")


class Fit:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del args
        self._unresolvable_over_allocatable = handle.semantics.fit_unresolvable_over_allocatable

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        too_many = len(node.pods) + 1 > node.allowed_pods
        insufficient: list[str] | None = None
        unresolvable = False
        if pod.fit_requests:
            allocatable = node.allocatable
            requested = node.requested
            for name, amount in pod.fit_requests:
                have = allocatable.get(name, 0)
                if amount > have - requested.get(name, 0):
                    if insufficient is None:
                        insufficient = []
                    insufficient.append(name)
                    if amount > have:
                        unresolvable = True
        if not too_many and insufficient is None:
            return None
        reasons = ([REASON_TOO_MANY_PODS] if too_many else []) + [
            f"Insufficient {name}" for name in insufficient or ()
        ]
        code = (
            Code.UNSCHEDULABLE_AND_UNRESOLVABLE
            if unresolvable and self._unresolvable_over_allocatable
            else Code.UNSCHEDULABLE
        )
        return Status.of(code, tuple(reasons))

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> Status | None:
        return None

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """`score` for many nodes at once (the hot path of large clusters)."""
        cpu, memory = pod.nonzero_cpu, pod.nonzero_memory
        out = []
        for node in nodes:
            a_cpu = node.alloc_cpu
            a_mem = node.alloc_memory
            if a_cpu and a_mem:
                r_cpu = node.nonzero_cpu + cpu
                r_mem = node.nonzero_memory + memory
                s_cpu = 0 if r_cpu > a_cpu else (a_cpu - r_cpu) * MAX_NODE_SCORE // a_cpu
                s_mem = 0 if r_mem > a_mem else (a_mem - r_mem) * MAX_NODE_SCORE // a_mem
                out.append((s_cpu + s_mem) // 2)
            else:
                out.append(self.score(state, pod, node))
        return out

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        total = 0
        weights = 0
        alloc = node.allocatable.get("cpu", 0)
        if alloc:
            total += _least(node.nonzero_cpu + pod.nonzero_cpu, alloc)
            weights += 1
        alloc = node.allocatable.get("memory", 0)
        if alloc:
            total += _least(node.nonzero_memory + pod.nonzero_memory, alloc)
            weights += 1
        return total // weights if weights else 0


def _least(requested: int, capacity: int) -> int:
    if requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity
