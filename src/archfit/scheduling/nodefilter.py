"""Would kube-scheduler let one pod onto a node? The Filter phase, for `archfit check`.

`archfit check` asks, for each workload, which nodes would take one of its pods on an otherwise
empty cluster, and explains each refusal in kube-scheduler's words. The answer is the
scheduler's own Filter plugins run as the framework runs them, in the default profile's order,
stopping at the first plugin that rejects the node (NodeResourcesFit reports every insufficient
resource):

    NodeUnschedulable  "node(s) were unschedulable"
    NodeName           "node(s) didn't match the requested node name"
    TaintToleration    "node(s) had untolerated taint {key: value}"
    NodeAffinity       "node(s) didn't match Pod's node affinity/selector"
    NodeResourcesFit   "Too many pods", "Insufficient cpu", …, "Insufficient <extended resource>"

The plugins that look at other pods (NodePorts, PodTopologySpread, InterPodAffinity,
VolumeBinding) have nothing to say about a lone pod and are not run; nor is PreFilter, whose
node-name narrowing only matters to pinned DaemonSet pods the simulator places. `fit_error`
formats the FailedScheduling message (`FitError.Error()`, without the PostFilter part).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence

from archfit.model.node import Node
from archfit.model.pod import Affinity, NodeAffinity, PodTemplate
from archfit.model.selectors import NodeSelector, Toleration
from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.messages import histogram_message
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.runtime import Framework, ProfileEntry
from archfit.scheduling.framework.status import Status
from archfit.scheduling.framework.version import semantics_for
from archfit.scheduling.registry import REGISTRY

__all__ = ["LonePodFilter", "fit_error", "fit_error_of_counts", "node_info"]

# The default profile's Filter plugins that read only the pod and the node, in profile order.
_PROFILE = (
    ProfileEntry("NodeUnschedulable"),
    ProfileEntry("NodeName"),
    ProfileEntry("TaintToleration"),
    ProfileEntry("NodeAffinity"),
    ProfileEntry("NodeResourcesFit"),
)
DEFAULT_VERSION = "1.32"


def _no_ties(pod: PodInfo, nodes: Sequence[str], kind: str) -> str:
    # The Filter phase never breaks ties; the handle only needs a callable.
    return nodes[0]


def node_info(node: Node) -> NodeInfo:
    """An empty node as the scheduler sees it.

    An inventory that states no pod count puts no limit on one pod: `archfit check` reads
    hand-written inventories, where an omitted `pods` means "not said", not the API server's 0.
    """
    info = NodeInfo(node)
    if "pods" not in node.allocatable:
        info.allowed_pods = sys.maxsize
    return info


class LonePodFilter:
    """The Filter phase for one pod at a time on empty nodes (node state is built once)."""

    def __init__(self, version: str = DEFAULT_VERSION) -> None:
        handle = Handle(cluster=Cluster(), semantics=semantics_for(version), tie_breaker=_no_ties)
        framework = Framework(_PROFILE, REGISTRY, handle)
        self._filters = framework.filters_for(frozenset())
        self._state = CycleState()
        self._infos: dict[int, tuple[Node, NodeInfo]] = {}

    def pod(
        self,
        template: PodTemplate,
        *,
        required: NodeSelector | None = None,
        tolerations: Sequence[Toleration] | None = None,
    ) -> PodInfo:
        """The pod of `template`, with `required` replacing its required node affinity (a
        placement merged in) and `tolerations` its tolerations (those a DaemonSet adds)."""
        if tolerations is not None:
            template = dataclasses.replace(template, tolerations=tuple(tolerations))
        if required is not None:
            affinity = template.affinity or Affinity()
            node_affinity = affinity.node_affinity or NodeAffinity()
            template = dataclasses.replace(
                template,
                affinity=dataclasses.replace(
                    affinity, node_affinity=dataclasses.replace(node_affinity, required=required)
                ),
            )
        return PodInfo("", "", template)

    def status(self, pod: PodInfo, node: Node | NodeInfo) -> Status | None:
        """The first rejecting plugin's status, or None when the node takes the pod. A `Node`
        is taken empty; a `NodeInfo` with the pods already bound to it."""
        if isinstance(node, Node):
            known = self._infos.get(id(node))
            if known is None or known[0] is not node:
                known = self._infos[id(node)] = (node, node_info(node))
            node = known[1]
        return Framework.run_filters(self._filters, self._state, pod, node)

    def reasons(self, pod: PodInfo, node: Node | NodeInfo) -> tuple[str, ...]:
        """The reasons the node rejects the pod; empty when it fits."""
        status = self.status(pod, node)
        return () if status is None else status.reasons


def fit_error(total_nodes: int, reasons: Mapping[str, Sequence[str]]) -> str:
    """`0/N nodes are available: <count> <reason>, ….`, entries sorted as strings.

    `reasons` maps each rejecting node to its reasons; each reason counts once per node.
    """
    histogram: dict[str, int] = {}
    for node_reasons in reasons.values():
        for reason in dict.fromkeys(node_reasons):
            histogram[reason] = histogram.get(reason, 0) + 1
    return fit_error_of_counts(total_nodes, histogram)


def fit_error_of_counts(total_nodes: int, histogram: Mapping[str, int]) -> str:
    """`fit_error` from the number of rejecting nodes per reason (for callers that count
    groups of nodes at once)."""
    return histogram_message(total_nodes, histogram)
