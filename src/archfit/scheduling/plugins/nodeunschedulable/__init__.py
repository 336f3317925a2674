"""NodeUnschedulable: a cordoned node takes only pods that tolerate its `unschedulable` taint."""

from __future__ import annotations

from typing import Any

from archfit.model.selectors import Taint
from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "REASON", "NodeUnschedulable"]

NAME = "NodeUnschedulable"
REASON = "node(s) were unschedulable"
_TAINT = Taint("node.kubernetes.io/unschedulable", "NoSchedule")


class NodeUnschedulable:
    name = NAME
    # Its Filter reads only the pod's template and the node object (cached per template).
    static_filter = True

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del handle, args

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.node.unschedulable:
            return None
        if any(t.tolerates(_TAINT) for t in pod.tolerations):
            return None
        return Status.unresolvable(REASON)
