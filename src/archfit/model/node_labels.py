"""Node labels: which ones a kubelet may set on itself, and the ones archfit manages.

The NodeRestriction admission plugin (always on in Talos) and the kubelet's own flag validation
(`--node-labels`, which Talos `machine.nodeLabels` feeds) refuse labels in the `kubernetes.io`
and `k8s.io` namespaces (those domains and their subdomains) unless the key is in the kubelet's
allowed set or under an allowed prefix (kubernetes `pkg/kubelet/apis/well_known_labels.go`,
`cmd/kubelet/app/options/options.go`). A kubelet given such a label fails to start:
"unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels".

Such a label can still be set by an administrator through the API (`kubectl label`,
`archfit label --apply`); it just cannot come from the node's own configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ARCHFIT_GPU_VENDOR_LABEL",
    "KUBELET_ALLOWED_LABELS",
    "KUBELET_ALLOWED_NAMESPACES",
    "LONGHORN_DEFAULT_DISK_LABEL",
    "SELF_SETTABLE_ALTERNATIVES",
    "LabelIssue",
    "is_kubernetes_label",
    "kubelet_may_set",
    "lint_self_labels",
]

# The vendor of a node's GPUs (nvidia, amd, intel), set by `archfit label` from the device
# plugins' extended resources. Outside kubernetes.io, so a kubelet or Talos may set it too.
ARCHFIT_GPU_VENDOR_LABEL = "archfit.dev/gpu-vendor"
# Longhorn creates its default disk only on nodes with this label when
# `defaultSettings.createDefaultDiskLabeledNodes` is true.
LONGHORN_DEFAULT_DISK_LABEL = "node.longhorn.io/create-default-disk"

KUBELET_ALLOWED_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
KUBELET_ALLOWED_LABELS = frozenset(
    {
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/instance-type",
        "beta.kubernetes.io/os",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "kubernetes.io/arch",
        "kubernetes.io/hostname",
        "kubernetes.io/os",
        "node.kubernetes.io/instance-type",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)

# Restricted keys a configuration commonly uses, and the self-settable key to use instead.
SELF_SETTABLE_ALTERNATIVES: Mapping[str, str] = {
    "kubernetes.io/storage": "node.kubernetes.io/storage",
}


def _namespace(key: str) -> str:
    prefix, sep, _ = key.partition("/")
    return prefix if sep else ""


def _in_domain(namespace: str, domain: str) -> bool:
    return namespace == domain or namespace.endswith("." + domain)


def is_kubernetes_label(key: str) -> bool:
    """Whether the key is in the reserved `kubernetes.io` / `k8s.io` namespaces."""
    ns = _namespace(key)
    return _in_domain(ns, "kubernetes.io") or _in_domain(ns, "k8s.io")


def kubelet_may_set(key: str) -> bool:
    """Whether a kubelet (and so Talos `machine.nodeLabels`) may set this label on itself."""
    if not is_kubernetes_label(key) or key in KUBELET_ALLOWED_LABELS:
        return True
    ns = _namespace(key)
    return any(_in_domain(ns, allowed) for allowed in KUBELET_ALLOWED_NAMESPACES)


@dataclass(frozen=True, slots=True)
class LabelIssue:
    """A label the kubelet would refuse; `alternative` is a self-settable key, when known."""

    key: str
    value: str
    alternative: str | None

    @property
    def message(self) -> str:
        base = (
            f"{self.key}={self.value} is in the reserved kubernetes.io/k8s.io namespace and not "
            "in the kubelet's allowed list: a kubelet (Talos machine.nodeLabels, --node-labels) "
            "refuses to start with it; set it through the API (archfit label --apply)"
        )
        if self.alternative:
            return f"{base}, or use the self-settable {self.alternative}={self.value}"
        return f"{base}, or use a key in your own domain"


def lint_self_labels(labels: Mapping[str, str]) -> list[LabelIssue]:
    """The labels a kubelet would refuse to set on itself, in key order."""
    return [
        LabelIssue(key, value, SELF_SETTABLE_ALTERNATIVES.get(key))
        for key, value in sorted(labels.items())
        if not kubelet_may_set(key)
    ]
