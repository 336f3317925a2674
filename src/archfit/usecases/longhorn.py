"""`archfit longhorn-settings`: Longhorn Helm values that keep storage off the excluded nodes.

Storage nodes are the nodes the policy does not exclude from distributed storage (not Pis, no
storage-exclusion label). The values:
- `defaultSettings.createDefaultDiskLabeledNodes: true`: Longhorn creates its default disk only
  on nodes labelled `node.longhorn.io/create-default-disk=true` (`archfit label` sets it on the
  storage nodes), so no replica ever lands on an excluded node;
- `defaultSettings.systemManagedComponentsNodeSelector` (`key:value`, Longhorn's format) and the
  chart's `longhornManager.nodeSelector` / `longhornDriver.nodeSelector` /
  `longhornUI.nodeSelector`: Longhorn's own pods (manager, CSI plugin, instance and engine
  managers) run only on storage nodes. Pods that mount Longhorn volumes must then run there
  too, which the policy's storage rule already requires.
When the storage nodes are exactly the amd64 nodes, the selector is the strategy's
`kubernetes.io/arch: amd64`, which needs no extra label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archfit.model.node import Node
from archfit.model.node_labels import LONGHORN_DEFAULT_DISK_LABEL
from archfit.policy import Settings

__all__ = ["LonghornValues", "longhorn_values"]


@dataclass(frozen=True, slots=True)
class LonghornValues:
    values: dict[str, Any]
    storage_nodes: tuple[str, ...]
    excluded_nodes: tuple[str, ...]
    selector: tuple[str, str]


def longhorn_values(nodes: Sequence[Node], settings: Settings | None = None) -> LonghornValues:
    settings = settings or Settings()
    pi = settings.nodes.raspberry_pi
    excluded_label = settings.storage.excluded_node_label
    excluded = sorted(
        n.name
        for n in nodes
        if (n.profile or "").startswith("raspberry-pi")
        or pi.matches(n.labels)
        or excluded_label.matches(n.labels)
    )
    storage = sorted(n.name for n in nodes if n.name not in set(excluded))
    amd64 = sorted(n.name for n in nodes if n.arch == "amd64")
    if storage and storage == amd64:
        selector = ("kubernetes.io/arch", "amd64")
    else:
        selector = (LONGHORN_DEFAULT_DISK_LABEL, "true")
    key, value = selector
    node_selector = {key: value}
    values = {
        "defaultSettings": {
            "createDefaultDiskLabeledNodes": True,
            "systemManagedComponentsNodeSelector": f"{key}:{value}",
        },
        "longhornManager": {"nodeSelector": dict(node_selector)},
        "longhornDriver": {"nodeSelector": dict(node_selector)},
        "longhornUI": {"nodeSelector": dict(node_selector)},
    }
    return LonghornValues(values, tuple(storage), tuple(excluded), selector)
