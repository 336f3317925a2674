"""Per-node accounting, updated incrementally as pods are bound and removed (`NodeInfo`).

Upstream semantics kept on purpose:
- `requested` sums the pods' real requests; `nonzero_cpu`/`nonzero_memory` sum the requests with
  the scheduler's defaults (100m, 200Mi) for containers that ask for none;
- removing a pod moves the last pod into its slot (the order of `pods` matters to preemption,
  which walks it);
- `used_ports` maps a host IP to the (protocol, port) pairs in use there.
"""

from __future__ import annotations

from collections.abc import Mapping

from archfit.model.node import Node
from archfit.model.quantity import Quantity
from archfit.scheduling.framework.pod import PodInfo

__all__ = ["NodeInfo", "allocatable_units"]


def allocatable_units(allocatable: Mapping[str, Quantity]) -> dict[str, int]:
    """Allocatable in the scheduler's units: millicores for cpu, whole units otherwise."""
    return {name: q.milli() if name == "cpu" else q.integer() for name, q in allocatable.items()}


class NodeInfo:
    """A node and the pods bound to it."""

    __slots__ = (
        "alloc_cpu",
        "alloc_memory",
        "allocatable",
        "allowed_pods",
        "generation",
        "labels",
        "name",
        "node",
        "nonzero_cpu",
        "nonzero_memory",
        "pods",
        "pods_with_affinity",
        "pods_with_required_anti_affinity",
        "req_cpu",
        "req_memory",
        "requested",
        "taints",
        "used_ports",
    )

    def __init__(self, node: Node) -> None:
        self.node = node
        self.name = node.name
        self.labels = node.labels
        self.taints = node.taints
        self.allocatable = allocatable_units(node.allocatable)
        self.allowed_pods = self.allocatable.get("pods", 0)
        # cpu and memory are read on every score: kept as plain attributes too.
        self.alloc_cpu = self.allocatable.get("cpu", 0)
        self.alloc_memory = self.allocatable.get("memory", 0)
        self.req_cpu = 0
        self.req_memory = 0
        self.requested: dict[str, int] = {}
        self.nonzero_cpu = 0
        self.nonzero_memory = 0
        self.pods: list[PodInfo] = []
        self.pods_with_affinity: list[PodInfo] = []
        self.pods_with_required_anti_affinity: list[PodInfo] = []
        self.used_ports: dict[str, set[tuple[str, int]]] = {}
        self.generation = 0

    def add_pod(self, pod: PodInfo) -> None:
        self.pods.append(pod)
        if pod.has_affinity:
            self.pods_with_affinity.append(pod)
            if pod.required_anti_affinity:
                self.pods_with_required_anti_affinity.append(pod)
        req = self.requested
        for name, amount in pod.requests.items():
            req[name] = req.get(name, 0) + amount
        self.nonzero_cpu += pod.nonzero_cpu
        self.nonzero_memory += pod.nonzero_memory
        self.req_cpu = req.get("cpu", 0)
        self.req_memory = req.get("memory", 0)
        for ip, protocol, port in pod.host_ports:
            self.used_ports.setdefault(ip, set()).add((protocol, port))
        self.generation += 1

    def remove_pod(self, pod: PodInfo) -> None:
        """Remove `pod`, moving the last pod into its slot as upstream does."""
        _swap_remove(self.pods, pod)
        if pod.has_affinity:
            _swap_remove(self.pods_with_affinity, pod)
            if pod.required_anti_affinity:
                _swap_remove(self.pods_with_required_anti_affinity, pod)
        req = self.requested
        for name, amount in pod.requests.items():
            req[name] = req.get(name, 0) - amount
        self.nonzero_cpu -= pod.nonzero_cpu
        self.nonzero_memory -= pod.nonzero_memory
        self.req_cpu = req.get("cpu", 0)
        self.req_memory = req.get("memory", 0)
        if pod.host_ports:
            self.used_ports = {}
            for other in self.pods:
                for ip, protocol, port in other.host_ports:
                    self.used_ports.setdefault(ip, set()).add((protocol, port))
        self.generation += 1

    def port_conflict(self, ip: str, protocol: str, port: int) -> bool:
        """`HostPortInfo.CheckConflict`: 0.0.0.0 conflicts with any IP, others with themselves
        and with 0.0.0.0."""
        pair = (protocol, port)
        if ip == "0.0.0.0":  # noqa: S104 - the bind-all address as upstream spells it
            return any(pair in used for used in self.used_ports.values())
        for key in ("0.0.0.0", ip):  # noqa: S104
            used = self.used_ports.get(key)
            if used is not None and pair in used:
                return True
        return False

    def free(self, resource: str) -> int:
        return self.allocatable.get(resource, 0) - self.requested.get(resource, 0)

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"


def _swap_remove(items: list[PodInfo], pod: PodInfo) -> None:
    for i, item in enumerate(items):
        if item is pod:
            items[i] = items[-1]
            items.pop()
            return
    raise ValueError(f"pod {pod.key} is not on this node")
