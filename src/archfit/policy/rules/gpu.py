"""gpu: workloads that use a GPU stay on GPU nodes of the right vendor, never on the Pis.

A workload uses a GPU when a container requests or limits a GPU extended resource
(`nvidia.com/gpu`, `amd.com/gpu`, `gpu.intel.com/i915`, …), when it names a GPU RuntimeClass
(`runtimeClassName: nvidia`), when it mounts a GPU device host path (`/dev/dri`, `/dev/kfd`), or
when it claims a device through `resourceClaims` (vendor unknown). The annotation
`archfit.dev/gpu-vendor` names the vendor where the spec does not.

An extended-resource request already keeps pods on nodes that advertise the resource. The other
ways do not: such a pod can land on any node, where the device is missing. That is the
`gpu-unconstrained` finding; the placement requires the vendor's node label.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.model.node import Node
from archfit.policy.framework import Phase, RuleContext, RuleResult, join_names
from archfit.policy.settings import Settings

__all__ = ["GPU_VENDOR_ANNOTATION", "GpuRule"]

GPU_VENDOR_ANNOTATION = "archfit.dev/gpu-vendor"
_ANY = "any"
_VENDOR_NAMES = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel"}


class GpuRule:
    name: ClassVar[str] = "gpu"
    finding_ids: ClassVar[tuple[str, ...]] = ("gpu-unconstrained",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._gpu = settings.gpu
        self._pi = settings.nodes.raspberry_pi

    def has_vendor(self, node: Node, vendor: str) -> bool:
        """Whether the node advertises the vendor's GPU (device plugin or vendor label)."""
        if vendor == _ANY:
            return any(
                node.allocatable.get(res) is not None and node.allocatable[res].value > 0
                for res in self._gpu.resources
            ) or any(label.matches(node.labels) for label in self._gpu.vendor_labels.values())
        for resource, owner in self._gpu.resources.items():
            quantity = node.allocatable.get(resource)
            if owner == vendor and quantity is not None and quantity.value > 0:
                return True
        label = self._gpu.vendor_labels.get(vendor)
        return label is not None and label.matches(node.labels)

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        template = ctx.workload.template
        confined: set[str] = set()  # vendors whose resource the pod requests
        loose: dict[str, str] = {}  # vendor -> how the pod uses it without a request
        for container in template.runtime_containers:
            for resource, quantity in container.resources.requests.items():
                vendor = self._gpu.resources.get(resource)
                if vendor and quantity.value > 0:
                    confined.add(vendor)
        override = ctx.annotation(GPU_VENDOR_ANNOTATION)
        runtime_class = template.runtime_class_name
        if runtime_class is not None and runtime_class in self._gpu.runtime_classes:
            vendor = override or self._gpu.runtime_classes[runtime_class]
            loose.setdefault(vendor, f"runtimeClassName {runtime_class}")
        for volume in template.volumes:
            if not volume.host_path:
                continue
            for prefix, vendor in self._gpu.device_paths.items():
                if volume.host_path == prefix or volume.host_path.startswith(prefix.rstrip("/")):
                    loose.setdefault(override or vendor, f"host path {volume.host_path}")
        if template.resource_claims or any(c.resources.claims for c in template.runtime_containers):
            loose.setdefault(override or _ANY, "resourceClaims")
        vendors = confined | set(loose)
        if not vendors:
            return RuleResult()
        required = []
        for vendor in sorted(vendors):
            label = self._gpu.vendor_labels.get(vendor)
            if label is not None:
                required.append(label.requirement())
        if not required:
            required.append(self._pi.exclusion())
        findings = []
        for vendor, how in sorted(loose.items()):
            if vendor in confined:
                continue
            label = self._gpu.vendor_labels.get(vendor)
            who = "a GPU" if vendor == _ANY else f"an {_VENDOR_NAMES.get(vendor, vendor)} GPU"
            if ctx.inventory:
                bad = [n for n in ctx.own_nodes if not self.has_vendor(n, vendor)]
                if not bad:
                    continue
                others = [n.name for n in bad if not ctx.is_pi(n)]
                pis = [n.name for n in bad if ctx.is_pi(n)]
                if pis:
                    pi_text = f"the Raspberry Pis {join_names(pis, limit=12)}"
                    targets = f"{', '.join(others)} and {pi_text}" if others else pi_text
                else:
                    targets = join_names(others, limit=12)
                where = f"it may land on {targets}"
            else:
                if ctx.workload.template.node_selector or ctx.workload.template.node_affinity:
                    continue
                where = "it may land on any node"
            findings.append(
                ctx.finding(
                    self.name,
                    "gpu-unconstrained",
                    "warning",
                    f"uses {who} ({how}) but nothing keeps it on GPU nodes: {where}, "
                    "which have no such device",
                    f"require {label or 'a GPU node label'} (`archfit fix` writes it)"
                    if vendor != _ANY
                    else "require a GPU node label (set archfit.dev/gpu-vendor to choose one)",
                    vendor=vendor,
                )
            )
        return RuleResult(tuple(findings), required=tuple(required))
