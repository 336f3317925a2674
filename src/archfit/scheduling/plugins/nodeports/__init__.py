"""NodePorts: a pod's host ports must be free on the node (same protocol and port on the same
IP, or on any IP when either side binds 0.0.0.0)."""

from __future__ import annotations

from typing import Any

from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "REASON", "NodePorts"]

NAME = "NodePorts"
REASON = "node(s) didn't have free ports for the requested pod ports"


class NodePorts:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del handle, args

    def pre_filter(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[frozenset[str] | None, Status | None]:
        if not pod.host_ports:
            return None, Status.skip()
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.used_ports:
            return None
        for ip, protocol, port in pod.host_ports:
            if node.port_conflict(ip, protocol, port):
                return Status.unschedulable(REASON)
        return None
