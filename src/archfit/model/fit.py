"""Would kube-scheduler let a pod onto a node? The Filter plugins that do not need other pods.

Pure predicates, each returning the scheduler's own reason strings (Kubernetes 1.32 wording),
so that archfit can explain a verdict in the words `kubectl describe pod` would show:

    NodeUnschedulable  "node(s) were unschedulable"
    TaintToleration    "node(s) had untolerated taint {key: value}"
    NodeAffinity       "node(s) didn't match Pod's node affinity/selector"
    NodeResourcesFit   "Too many pods", "Insufficient cpu", "Insufficient memory",
                       "Insufficient ephemeral-storage", "Insufficient <extended resource>"

`filter_node` runs them in the scheduler's profile order and stops at the first plugin that
rejects the node (NodeResourcesFit reports every insufficient resource); `fit_error` formats the
FailedScheduling message (`FitError.Error()`, without the PostFilter part). Node usage by other
pods is optional: archfit's check asks whether one pod fits an empty node; the simulator passes
what is already bound.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from archfit.model.affinity import admits
from archfit.model.node import Node
from archfit.model.pod import PodTemplate
from archfit.model.resources import pod_requests, scheduler_units
from archfit.model.selectors import NodeSelector, Taint, Toleration

__all__ = [
    "DAEMONSET_TOLERATIONS",
    "REASON_NODE_AFFINITY",
    "REASON_TOO_MANY_PODS",
    "REASON_UNSCHEDULABLE",
    "UNSCHEDULABLE_TAINT",
    "NodeUsage",
    "daemonset_tolerations",
    "filter_node",
    "fit_error",
    "fit_error_of_counts",
    "insufficient_resources",
    "node_affinity_reason",
    "taint_reason",
    "unschedulable_reason",
    "untolerated_taint",
]

REASON_UNSCHEDULABLE = "node(s) were unschedulable"
REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
REASON_TOO_MANY_PODS = "Too many pods"
UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "NoSchedule")

# What the DaemonSet controller adds to every pod it creates (`AddOrUpdateDaemonPodTolerations`).
DAEMONSET_TOLERATIONS: tuple[Toleration, ...] = (
    Toleration("node.kubernetes.io/not-ready", "Exists", effect="NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", effect="NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),
)
_NETWORK_UNAVAILABLE = Toleration(
    "node.kubernetes.io/network-unavailable", "Exists", effect="NoSchedule"
)
_BASIC = ("cpu", "memory", "ephemeral-storage")
# Requests that NodeResourcesFit does not compare with allocatable.
_NOT_FILTERED = frozenset({"pods", "storage"})


@dataclass(frozen=True, slots=True)
class NodeUsage:
    """What pods already bound to a node request, in base units, and how many there are."""

    requested: Mapping[str, Decimal] = field(default_factory=dict)
    pods: int = 0


_EMPTY = NodeUsage()


def daemonset_tolerations(template: PodTemplate) -> tuple[Toleration, ...]:
    """The pod's tolerations plus the ones the DaemonSet controller adds."""
    extra = DAEMONSET_TOLERATIONS + ((_NETWORK_UNAVAILABLE,) if template.host_network else ())
    return template.tolerations + tuple(t for t in extra if t not in template.tolerations)


def unschedulable_reason(tolerations: Sequence[Toleration], node: Node) -> str | None:
    """NodeUnschedulable: a cordoned node takes only pods tolerating its `unschedulable` taint."""
    if not node.unschedulable:
        return None
    if any(t.tolerates(UNSCHEDULABLE_TAINT) for t in tolerations):
        return None
    return REASON_UNSCHEDULABLE


def untolerated_taint(tolerations: Sequence[Toleration], taints: Iterable[Taint]) -> Taint | None:
    """The first NoSchedule/NoExecute taint no toleration tolerates (in the node's order)."""
    for taint in taints:
        if taint.effect not in {"NoSchedule", "NoExecute"}:
            continue
        if not any(t.tolerates(taint) for t in tolerations):
            return taint
    return None


def taint_reason(tolerations: Sequence[Toleration], node: Node) -> str | None:
    """TaintToleration's Filter reason, e.g. `node(s) had untolerated taint {dedicated: edge}`."""
    taint = untolerated_taint(tolerations, node.taints)
    if taint is None:
        return None
    return f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"


def node_affinity_reason(
    node_selector: Mapping[str, str], required: NodeSelector | None, node: Node
) -> str | None:
    """NodeAffinity: `spec.nodeSelector` AND the required node affinity."""
    if admits(node.name, node.labels, node_selector, required):
        return None
    return REASON_NODE_AFFINITY


def insufficient_resources(
    requests: Mapping[str, Decimal], node: Node, usage: NodeUsage = _EMPTY
) -> tuple[str, ...]:
    """NodeResourcesFit: `Too many pods`, then every resource the node lacks, in check order."""
    reasons: list[str] = []
    allocatable = {name: q.value for name, q in node.allocatable.items()}
    if "pods" in allocatable and usage.pods + 1 > allocatable["pods"]:
        reasons.append(REASON_TOO_MANY_PODS)
    want = scheduler_units({k: v for k, v in requests.items() if k not in _NOT_FILTERED})
    if not any(want.values()):
        return tuple(reasons)
    have = scheduler_units(allocatable)
    used = scheduler_units(usage.requested)
    ordered = [name for name in _BASIC if name in want] + sorted(
        name for name in want if name not in _BASIC
    )
    for name in ordered:
        amount = want[name]
        if amount <= 0:
            continue
        if amount > have.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return tuple(reasons)


def filter_node(
    template: PodTemplate,
    node: Node,
    *,
    required: NodeSelector | None = None,
    node_selector: Mapping[str, str] | None = None,
    tolerations: Sequence[Toleration] | None = None,
    requests: Mapping[str, Decimal] | None = None,
    usage: NodeUsage = _EMPTY,
) -> tuple[str, ...]:
    """The reasons the node rejects one pod of `template`; empty when the pod fits.

    `required`, `node_selector`, `tolerations` and `requests` default to the template's own
    (pass a merged selector to ask about the pod after a placement is applied, or the
    DaemonSet tolerations). Runs NodeUnschedulable, NodeName, TaintToleration, NodeAffinity and
    NodeResourcesFit in that order and stops at the first that rejects.
    """
    tols = template.tolerations if tolerations is None else tuple(tolerations)
    reason = unschedulable_reason(tols, node)
    if reason:
        return (reason,)
    if template.node_name and template.node_name != node.name:
        return ("node(s) didn't match the requested node name",)
    reason = taint_reason(tols, node)
    if reason:
        return (reason,)
    if required is None:
        affinity = template.node_affinity
        required = affinity.required if affinity else None
    selector = template.node_selector if node_selector is None else node_selector
    reason = node_affinity_reason(selector, required, node)
    if reason:
        return (reason,)
    return insufficient_resources(
        pod_requests(template) if requests is None else requests, node, usage
    )


def fit_error(total_nodes: int, reasons: Mapping[str, Sequence[str]]) -> str:
    """`0/N nodes are available: <count> <reason>, ….`, entries sorted as strings.

    `reasons` maps each rejecting node to its reasons; each reason counts once per node.
    """
    histogram: Counter[str] = Counter()
    for node_reasons in reasons.values():
        for reason in dict.fromkeys(node_reasons):
            histogram[reason] += 1
    return fit_error_of_counts(total_nodes, histogram)


def fit_error_of_counts(total_nodes: int, histogram: Mapping[str, int]) -> str:
    """`fit_error` from the number of rejecting nodes per reason (for callers that count
    groups of nodes at once)."""
    entries = sorted(f"{count} {reason}" for reason, count in histogram.items())
    body = f" {', '.join(entries)}." if entries else ""
    return f"0/{total_nodes} nodes are available:{body}"
