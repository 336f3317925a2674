"""gpu: workloads that use a GPU without requesting one stay on nodes that have it.

A workload uses a GPU when a container requests a GPU extended resource (`nvidia.com/gpu`,
`amd.com/gpu`, `gpu.intel.com/i915`, …) or claims a device through `resourceClaims` (dynamic
resource allocation), when it names a GPU RuntimeClass (`runtimeClassName: nvidia`), when it
mounts a GPU device host path (`/dev/dri`, `/dev/kfd`), or when a container sets
`NVIDIA_VISIBLE_DEVICES`. The annotation `archfit.dev/gpu-vendor` names the vendor where the spec
does not.

A request or a claim already confines the pod: the scheduler only binds it where the device
plugin advertises the resource or a driver allocates the device. Nothing is reported and nothing
is written for it. The other ways do not confine it: such a pod can land on any node, where the
device is missing. That is the `gpu-unconstrained` finding. The placement then requires a label
the inventory's GPU nodes of that vendor actually carry (`gpu.vendorLabels` when set; otherwise
one found on them: the GPU operators' `nvidia.com/gpu.present`,
`intel.feature.node.kubernetes.io/gpu`, or Node Feature Discovery's PCI labels
`feature.node.kubernetes.io/pci-<class>_<vendor>.present` and the vendor-only
`pci-<vendor>.present`). Without such a label archfit writes none and says why: a label no node
carries would make the workload unschedulable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from archfit.model.node import Node
from archfit.policy.framework import Phase, RuleContext, RuleResult, join_names
from archfit.policy.settings import LabelMatch, Settings

__all__ = ["GPU_VENDOR_ANNOTATION", "GpuRule", "gpu_node_label"]

GPU_VENDOR_ANNOTATION = "archfit.dev/gpu-vendor"
_VENDOR_NAMES = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel"}
# PCI vendor ids as Node Feature Discovery writes them in its `pci-…` labels.
_PCI_VENDORS = {"10de": "nvidia", "1002": "amd", "8086": "intel"}
# `pci-0300_10de.present` (NFD's default fields: class and vendor) or `pci-0300_10de.present`
# (vendor only, as the NVIDIA GPU operator configures NFD). Class 03 is a display controller.
_NFD_PCI = re.compile(
    r"feature\.node\.kubernetes\.io/pci-(?:(?P<cls>03[0-9a-f]{2})_)?(?P<vendor>[0-9a-f]{4})\.present"
)
_OPERATOR_LABELS = {
    "nvidia": "nvidia.com/gpu.present",
    "intel": "intel.feature.node.kubernetes.io/gpu",
}
_ENV_VENDORS = {"NVIDIA_VISIBLE_DEVICES": "nvidia"}


def _label_vendor(key: str) -> str | None:
    for vendor, operator_key in _OPERATOR_LABELS.items():
        if key == operator_key:
            return vendor
    match = _NFD_PCI.fullmatch(key)
    return _PCI_VENDORS.get(match["vendor"]) if match else None


def _preference(key: str) -> int:
    """Operator labels first (they mean "a usable GPU"), then NFD's class+vendor, then vendor."""
    if key in _OPERATOR_LABELS.values():
        return 0
    match = _NFD_PCI.fullmatch(key)
    return 1 if match and match["cls"] else 2


def gpu_node_label(nodes: Sequence[Node], vendor: str, resources: dict[str, str]) -> str | None:
    """The `true` label that the most GPU nodes of `vendor` carry (None when none carries one).

    GPU nodes are those advertising one of the vendor's `resources` or carrying a known GPU
    label of that vendor."""
    counts: dict[str, int] = {}
    for node in nodes:
        keys = [k for k, v in node.labels.items() if v == "true" and _label_vendor(k) == vendor]
        advertises = any(
            owner == vendor and (q := node.allocatable.get(res)) is not None and q.value > 0
            for res, owner in resources.items()
        )
        if not keys and not advertises:
            continue
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda k: (-counts[k], _preference(k), k))


class GpuRule:
    name: ClassVar[str] = "gpu"
    finding_ids: ClassVar[tuple[str, ...]] = ("gpu-unconstrained",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._gpu = settings.gpu
        self._resources = dict(settings.gpu.resources)
        self._labels: dict[tuple[int, str], LabelMatch | None] = {}

    def vendor_label(self, nodes: Sequence[Node], vendor: str) -> LabelMatch | None:
        """The label that marks the vendor's GPU nodes: configured, or found on the nodes."""
        configured = self._gpu.vendor_labels.get(vendor)
        if configured is not None:
            return configured
        key = (id(nodes), vendor)
        if key not in self._labels:
            found = gpu_node_label(nodes, vendor, self._resources)
            self._labels[key] = LabelMatch(found, "true") if found else None
        return self._labels[key]

    def has_vendor(self, node: Node, vendor: str, label: LabelMatch | None) -> bool:
        """Whether the node advertises the vendor's GPU (device plugin or the GPU label)."""
        for resource, owner in self._resources.items():
            quantity = node.allocatable.get(resource)
            if owner == vendor and quantity is not None and quantity.value > 0:
                return True
        return label is not None and label.matches(node.labels)

    def _loose(self, ctx: RuleContext) -> dict[str, str]:
        """vendor -> how the pod uses that vendor's GPU without requesting it."""
        template = ctx.workload.template
        override = ctx.annotation(GPU_VENDOR_ANNOTATION)
        loose: dict[str, str] = {}
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
        for container in template.runtime_containers:
            for env in container.env_names:
                env_vendor = _ENV_VENDORS.get(env)
                if env_vendor is not None:
                    loose.setdefault(override or env_vendor, f"{env} in {container.name}")
        return loose

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        template = ctx.workload.template
        if template.resource_claims or any(c.resources.claims for c in template.runtime_containers):
            # A claimed device is allocated on a node that has it: the pod is confined.
            return RuleResult()
        confined = {
            vendor
            for container in template.runtime_containers
            for resource, quantity in container.resources.requests.items()
            if (vendor := self._resources.get(resource)) and quantity.value > 0
        }
        if confined:
            return RuleResult()
        loose = self._loose(ctx)
        if not loose:
            return RuleResult()
        if not ctx.inventory and (template.node_selector or template.node_affinity):
            return RuleResult()  # the user placed it; without an inventory nothing contradicts
        required = []
        findings = []
        for vendor, how in sorted(loose.items()):
            label = (
                self.vendor_label(ctx.nodes, vendor)
                if ctx.inventory
                else (self._gpu.vendor_labels.get(vendor))
            )
            who = f"an {_VENDOR_NAMES.get(vendor, vendor)} GPU"
            if ctx.inventory:
                bad = [n for n in ctx.own_nodes if not self.has_vendor(n, vendor, label)]
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
                where = "it may land on any node"
            if label is not None:
                required.append(label.requirement())
                hint = f"require {label} (`archfit fix` writes it)"
            elif ctx.inventory:
                hint = (
                    f"archfit writes no label: no node of the inventory carries a label that "
                    f"marks {who} (such as {_example_label(vendor)}); label the GPU nodes, "
                    f"or name the label in gpu.vendorLabels.{vendor}"
                )
            else:
                hint = (
                    "archfit writes no label without an inventory that shows which label the "
                    f"GPU nodes carry: give --cluster, or name it in gpu.vendorLabels.{vendor}"
                )
            findings.append(
                ctx.finding(
                    self.name,
                    "gpu-unconstrained",
                    "warning",
                    f"uses {who} ({how}) but nothing keeps it on GPU nodes: {where}, "
                    "which have no such device",
                    hint,
                    vendor=vendor,
                )
            )
        return RuleResult(tuple(findings), required=tuple(required))


def _example_label(vendor: str) -> str:
    pci = next((pci for pci, v in _PCI_VENDORS.items() if v == vendor), None)
    nfd = f"feature.node.kubernetes.io/pci-0300_{pci}.present" if pci else ""
    operator = _OPERATOR_LABELS.get(vendor)
    return " or ".join(x for x in (operator, nfd) if x) or "a vendor label"
