"""NodeResourcesBalancedAllocation: prefer nodes where cpu and memory would be used in equal
proportion. Uses the real requests (no non-zero defaults); the score is
`int((1 - std) * 100)` over the fractions `min(1, requested / allocatable)`, where std of two
fractions is half their difference. From 1.33 a BestEffort pod skips this plugin."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from archfit.scheduling.framework.interface import MAX_NODE_SCORE, CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "BalancedAllocation"]

NAME = "NodeResourcesBalancedAllocation"


class BalancedAllocation:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del args
        self._skip_best_effort = handle.semantics.balanced_skips_best_effort

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> Status | None:
        if (
            self._skip_best_effort
            and not pod.requests.get("cpu")
            and not pod.requests.get("memory")
        ):
            return Status.skip()
        return None

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """`score` for many nodes at once (the hot path of large clusters)."""
        cpu = pod.requests.get("cpu", 0)
        memory = pod.requests.get("memory", 0)
        out = []
        for node in nodes:
            a_cpu = node.alloc_cpu
            a_mem = node.alloc_memory
            if a_cpu and a_mem:
                f_cpu = (node.req_cpu + cpu) / a_cpu
                f_mem = (node.req_memory + memory) / a_mem
                f_cpu = min(f_cpu, 1.0)
                f_mem = min(f_mem, 1.0)
                out.append(int((1 - abs((f_cpu - f_mem) / 2)) * MAX_NODE_SCORE))
            else:
                out.append(self.score(state, pod, node))
        return out

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        fractions: list[float] = []
        for name in ("cpu", "memory"):
            alloc = node.allocatable.get(name, 0)
            if not alloc:
                continue
            fraction = (node.requested.get(name, 0) + pod.requests.get(name, 0)) / alloc
            fractions.append(min(fraction, 1.0))
        std = 0.0
        if len(fractions) == 2:
            std = abs((fractions[0] - fractions[1]) / 2)
        elif len(fractions) > 2:
            mean = sum(fractions) / len(fractions)
            std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
        return int((1 - std) * MAX_NODE_SCORE)
