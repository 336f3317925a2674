"""Nodes as placement sees them: platform, labels, taints, allocatable resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from archfit.model.platform import NodeCapabilities, Platform
from archfit.model.quantity import Quantity
from archfit.model.selectors import Taint

__all__ = [
    "ARCH_LABEL",
    "DEPRECATED_ARCH_LABEL",
    "DEPRECATED_OS_LABEL",
    "GPU_RESOURCES",
    "HOSTNAME_LABEL",
    "INSTANCE_TYPE_LABEL",
    "OS_LABEL",
    "Node",
]

ARCH_LABEL = "kubernetes.io/arch"
OS_LABEL = "kubernetes.io/os"
HOSTNAME_LABEL = "kubernetes.io/hostname"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
DEPRECATED_ARCH_LABEL = "beta.kubernetes.io/arch"
DEPRECATED_OS_LABEL = "beta.kubernetes.io/os"

# Extended resources by which device plugins advertise GPUs, with the vendor each one means.
GPU_RESOURCES: Mapping[str, str] = {
    "nvidia.com/gpu": "nvidia",
    "nvidia.com/mig-1g.5gb": "nvidia",
    "amd.com/gpu": "amd",
    "gpu.intel.com/i915": "intel",
    "gpu.intel.com/xe": "intel",
}


@dataclass(frozen=True, slots=True)
class Node:
    """A node with its labels (always including `kubernetes.io/arch`, `kubernetes.io/os` and
    `kubernetes.io/hostname`, as the kubelet sets them), taints and allocatable resources."""

    name: str
    platform: Platform
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    allocatable: Mapping[str, Quantity] = field(default_factory=dict)
    capacity: Mapping[str, Quantity] = field(default_factory=dict)
    unschedulable: bool = False
    roles: frozenset[str] = frozenset()
    capabilities: NodeCapabilities = field(default_factory=NodeCapabilities)
    profile: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def arch(self) -> str:
        return self.platform.arch

    @property
    def gpu_vendors(self) -> frozenset[str]:
        """GPU vendors whose device plugin advertises at least one device on this node."""
        return frozenset(
            vendor
            for resource, vendor in GPU_RESOURCES.items()
            if self.allocatable.get(resource, Quantity.zero()).value > 0
        )

    @property
    def is_control_plane(self) -> bool:
        return "control-plane" in self.roles or "master" in self.roles

    def runs(self, image: Platform) -> bool:
        """Whether this node can execute an image built for `image`."""
        return self.capabilities.runs(self.platform, image)
