"""How full each node and each architecture is: requests against allocatable.

Resources: cpu (millicores), memory and ephemeral-storage (bytes), pods (count) and gpu (the
sum of the GPU device-plugin resources, `nvidia.com/gpu`, `amd.com/gpu`, …).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from archfit.model.node import GPU_RESOURCES
from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.nodeinfo import NodeInfo

__all__ = ["RESOURCES", "Usage", "UsageRow", "arch_usage", "node_usage"]

RESOURCES = ("cpu", "memory", "pods", "ephemeral-storage", "gpu")


@dataclass(slots=True)
class Usage:
    requested: int = 0
    allocatable: int = 0

    @property
    def percent(self) -> float | None:
        return 100.0 * self.requested / self.allocatable if self.allocatable else None


@dataclass(slots=True)
class UsageRow:
    """One node (`name` is the node) or one architecture (`name` is the arch)."""

    name: str
    arch: str
    nodes: int = 1
    usage: dict[str, Usage] = field(default_factory=dict)


def _of(info: NodeInfo) -> dict[str, Usage]:
    alloc, req = info.allocatable, info.requested
    return {
        "cpu": Usage(req.get("cpu", 0), alloc.get("cpu", 0)),
        "memory": Usage(req.get("memory", 0), alloc.get("memory", 0)),
        "pods": Usage(len(info.pods), info.allowed_pods),
        "ephemeral-storage": Usage(
            req.get("ephemeral-storage", 0), alloc.get("ephemeral-storage", 0)
        ),
        "gpu": Usage(
            sum(req.get(r, 0) for r in GPU_RESOURCES), sum(alloc.get(r, 0) for r in GPU_RESOURCES)
        ),
    }


def node_usage(cluster: Cluster, skip: Sequence[str] = ()) -> list[UsageRow]:
    """One row per node, in inventory order (nodes in `skip` left out)."""
    return [
        UsageRow(info.name, info.node.arch, 1, _of(info))
        for info in cluster.infos.values()
        if info.name not in skip
    ]


def arch_usage(cluster: Cluster, skip: Sequence[str] = ()) -> list[UsageRow]:
    """One row per architecture, summing its nodes."""
    rows: dict[str, UsageRow] = {}
    for row in node_usage(cluster, skip):
        total = rows.setdefault(row.arch, UsageRow(row.arch, row.arch, 0, {}))
        total.nodes += 1
        for name, usage in row.usage.items():
            into = total.usage.setdefault(name, Usage())
            into.requested += usage.requested
            into.allocatable += usage.allocatable
    return sorted(rows.values(), key=lambda r: r.name)
