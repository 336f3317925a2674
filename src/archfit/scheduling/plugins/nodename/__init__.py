"""NodeName: a pod naming a node in `spec.nodeName` fits only that node."""

from __future__ import annotations

from typing import Any

from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "REASON", "NodeName"]

NAME = "NodeName"
REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = NAME
    # Its Filter reads only the pod's template and the node object (cached per template).
    static_filter = True

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del handle, args

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        wanted = pod.template.node_name
        if not wanted or wanted == node.name:
            return None
        return Status.unresolvable(REASON)
