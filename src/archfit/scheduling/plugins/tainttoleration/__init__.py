"""TaintToleration: NoSchedule/NoExecute taints must be tolerated; untolerated
PreferNoSchedule taints lower the score (reverse-normalised count, weight 3).

The Filter reason names the first untolerated taint in the node's order (1.32 wording) or, from
1.34, says only `node(s) had untolerated taint(s)` (see `framework.version`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archfit.model.selectors import Toleration
from archfit.scheduling.framework.helpers import (
    DO_NOT_SCHEDULE_EFFECTS,
    default_normalize,
    untolerated_taint,
)
from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "TaintToleration"]

NAME = "TaintToleration"
_STATE = "PreScore" + NAME


class TaintToleration:
    name = NAME
    # Its Filter reads only the pod's template and the node object (cached per template).
    static_filter = True

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del args
        self._semantics = handle.semantics

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.taints:
            return None
        taint = untolerated_taint(node.taints, pod.tolerations, DO_NOT_SCHEDULE_EFFECTS)
        if taint is None:
            return None
        return Status.unresolvable(self._semantics.taint_reason(taint.key, taint.value))

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> Status | None:
        state[_STATE] = tuple(t for t in pod.tolerations if t.effect in ("", "PreferNoSchedule"))
        return None

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        score = self.score
        return [score(state, pod, node) if node.taints else 0 for node in nodes]

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        if not node.taints:
            return 0
        tolerations: tuple[Toleration, ...] = state[_STATE]
        return sum(
            1
            for taint in node.taints
            if taint.effect == "PreferNoSchedule"
            and not any(t.tolerates(taint) for t in tolerations)
        )

    def normalize(
        self, state: CycleState, pod: PodInfo, scores: list[int], nodes: Sequence[NodeInfo]
    ) -> None:
        default_normalize(scores, reverse=True)
