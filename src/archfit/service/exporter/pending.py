"""Why the scheduler keeps a pod Pending, as a few bounded reason labels. Pure.

The text is the scheduler's fit error (`FailedScheduling` event, or the pod's `PodScheduled`
condition), e.g. `0/14 nodes are available: 11 Insufficient nvidia.com/gpu, 3 node(s) had
untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: …`. The fragments matched
are kube-scheduler's own reason strings (pkg/scheduler/framework/plugins/*); the part after
`preemption:` repeats the nodes and is ignored.
"""

from __future__ import annotations

__all__ = ["PENDING_REASONS", "pending_reasons"]

# (fragment of the scheduler's message, label), first match per label.
_FRAGMENTS: tuple[tuple[str, str], ...] = (
    ("didn't match pod's node affinity/selector", "node_affinity"),
    ("had untolerated taint", "untolerated_taint"),
    ("insufficient ", "insufficient_resources"),
    ("too many pods", "insufficient_resources"),
    ("didn't match pod affinity rules", "pod_affinity"),
    ("didn't match pod anti-affinity rules", "pod_affinity"),
    ("didn't satisfy existing pods anti-affinity rules", "pod_affinity"),
    ("didn't match pod topology spread constraints", "topology_spread"),
    ("persistentvolumeclaim", "volume"),
    ("volume node affinity conflict", "volume"),
    ("persistent volumes to bind", "volume"),
    ("were unschedulable", "node_unschedulable"),
    ("didn't have free ports", "host_ports"),
)

# Every label `pending_reasons` can return, plus `no_arch_fit` (from the live findings).
PENDING_REASONS = (
    "host_ports",
    "insufficient_resources",
    "no_arch_fit",
    "node_affinity",
    "node_unschedulable",
    "other",
    "pod_affinity",
    "topology_spread",
    "untolerated_taint",
    "volume",
)


def pending_reasons(message: str) -> tuple[str, ...]:
    """The sorted reason labels in a scheduler fit error; `("other",)` when none is known and
    `()` for an empty message (the scheduler has not tried yet)."""
    text = message.lower().split("preemption:", 1)[0]
    if not text.strip():
        return ()
    found = {label for fragment, label in _FRAGMENTS if fragment in text}
    return tuple(sorted(found)) or ("other",)
