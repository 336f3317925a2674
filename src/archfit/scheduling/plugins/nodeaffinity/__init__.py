"""NodeAffinity: `spec.nodeSelector` and required node affinity filter; matching preferred
terms add their weights to the score (normalised by the best node, weight 2).

PreFilter narrows the search to the named nodes when every required term pins
`metadata.name In [...]` (how DaemonSet pods reach their node); the others are then reported as
`node(s) didn't satisfy plugin(s) [NodeAffinity]` by the framework.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archfit.model.pod import PreferredSchedulingTerm
from archfit.scheduling.framework.helpers import default_normalize, required_node_affinity_matches
from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "REASON_CONFLICT", "REASON_POD", "NodeAffinity"]

NAME = "NodeAffinity"
REASON_POD = "node(s) didn't match Pod's node affinity/selector"
REASON_CONFLICT = "pod affinity terms conflict"
_STATE = "PreScore" + NAME


class NodeAffinity:
    name = NAME
    # Its Filter reads only the pod's template and the node object (cached per template).
    static_filter = True

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del handle, args

    def pre_filter(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[frozenset[str] | None, Status | None]:
        template = pod.template
        affinity = template.node_affinity
        required = affinity.required if affinity is not None else None
        if required is None and not template.node_selector:
            return None, Status.skip()
        if required is None or not required.terms:
            return None, None
        names: set[str] | None = None
        for term in required.terms:
            term_names: set[str] | None = None
            for req in term.match_fields:
                if req.key == "metadata.name" and req.operator == "In":
                    values = set(req.values)
                    term_names = values if term_names is None else term_names & values
            if term_names is None:
                return None, None
            names = term_names if names is None else names | term_names
        if names is not None and not names:
            return None, Status.unresolvable(REASON_CONFLICT)
        return (frozenset(names) if names else None), None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if required_node_affinity_matches(pod.template, node.name, node.labels):
            return None
        return Status.unresolvable(REASON_POD)

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> Status | None:
        affinity = pod.template.node_affinity
        if affinity is None or not affinity.preferred:
            return Status.skip()
        state[_STATE] = tuple(t for t in affinity.preferred if t.weight != 0)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        terms: tuple[PreferredSchedulingTerm, ...] = state[_STATE]
        return sum(t.weight for t in terms if t.preference.matches(node.name, node.labels))

    def normalize(
        self, state: CycleState, pod: PodInfo, scores: list[int], nodes: Sequence[NodeInfo]
    ) -> None:
        default_normalize(scores, reverse=False)
