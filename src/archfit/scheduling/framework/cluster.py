"""The cluster as the scheduler's cache sees it: nodes in node-tree order and bound pods.

Node order is upstream's `nodeTree`: nodes are grouped by zone (region + zone labels, in the
order zones first appear) and listed round-robin across zones, each zone in insertion order.
The order decides where the search for feasible nodes starts and which nodes a large cluster
samples (`percentageOfNodesToScore`), as upstream.

Storage objects and namespace labels travel with the cluster because plugins read them
(VolumeBinding, InterPodAffinity namespace selectors, default spreading by Services).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from archfit.model.node import Node
from archfit.model.selectors import LabelSelector
from archfit.model.workload import PersistentVolume, PersistentVolumeClaim, StorageClass
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo

__all__ = ["Cluster", "DisruptionBudget", "Service", "Storage", "zone_key"]

ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")


def zone_key(labels: Mapping[str, str]) -> str:
    """`utilnode.GetZoneKey`: region and zone, empty when the node has neither."""
    zone = next((labels[k] for k in ZONE_LABELS if k in labels), "")
    region = next((labels[k] for k in REGION_LABELS if k in labels), "")
    if not zone and not region:
        return ""
    return f"{region}:\x00:{zone}"


@dataclass(frozen=True, slots=True)
class Service:
    """A Service's selector, for the default spreading constraints."""

    namespace: str
    name: str
    selector: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DisruptionBudget:
    """A PodDisruptionBudget reduced to its selector and either bound (`minAvailable` or
    `maxUnavailable`, an int or a percentage string)."""

    namespace: str
    name: str
    selector: LabelSelector | None
    min_available: int | str | None = None
    max_unavailable: int | str | None = None

    def matches(self, pod: PodInfo) -> bool:
        return (
            pod.namespace == self.namespace
            and self.selector is not None
            and not self.selector.empty
            and self.selector.matches(pod.labels)
        )

    def allowed(self, healthy: int) -> int:
        """Disruptions allowed with `healthy` matching pods (the disruption controller's math,
        percentages rounded up)."""
        if self.max_unavailable is not None:
            unavailable = _scaled(self.max_unavailable, healthy)
            return max(0, unavailable)
        if self.min_available is not None:
            return max(0, healthy - _scaled(self.min_available, healthy))
        return healthy


def _scaled(value: int | str, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        percent = int(value[:-1] or 0)
        return -(-percent * total // 100)
    return int(value)


@dataclass(slots=True)
class Storage:
    """Claims, volumes and classes, keyed for lookups by VolumeBinding."""

    claims: dict[tuple[str, str], PersistentVolumeClaim] = field(default_factory=dict)
    volumes: dict[str, PersistentVolume] = field(default_factory=dict)
    classes: dict[str, StorageClass] = field(default_factory=dict)
    # Claims bound during the simulation to a node-local volume: (namespace, name) -> node.
    pinned: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        claims: Iterable[PersistentVolumeClaim] = (),
        volumes: Iterable[PersistentVolume] = (),
        classes: Iterable[StorageClass] = (),
    ) -> Storage:
        return cls(
            {(c.namespace, c.name): c for c in claims},
            {v.name: v for v in volumes},
            {c.name: c for c in classes},
        )

    def default_class(self) -> StorageClass | None:
        defaults = [c for c in self.classes.values() if c.is_default]
        return defaults[-1] if defaults else None


class Cluster:
    """Nodes (in node-tree order) with their bound pods."""

    def __init__(
        self,
        nodes: Iterable[Node] = (),
        *,
        namespaces: Mapping[str, Mapping[str, str]] | None = None,
        services: Sequence[Service] = (),
        storage: Storage | None = None,
        budgets: Sequence[DisruptionBudget] = (),
    ) -> None:
        self.budgets = tuple(budgets)
        self.infos: dict[str, NodeInfo] = {}
        self._zones: dict[str, list[str]] = {}
        self._order: list[NodeInfo] | None = None
        self.where: dict[PodInfo, str] = {}
        self.namespaces: dict[str, Mapping[str, str]] = dict(namespaces or {})
        self.services = tuple(services)
        self.storage = storage or Storage()
        self.generation = 0
        # Changes when nodes are added, removed or replaced (not when pods move).
        self.node_generation = 0
        # Node names touched by each bind and unbind, in order (read by `NodeArrays.sync`).
        self.changes: list[str] = []
        self._affinity_nodes: set[str] = set()
        self._anti_nodes: set[str] = set()
        # (namespace, selector) -> node name -> number of bound pods matching; kept current on
        # every bind and unbind so spreading and affinity never rescan all pods.
        self._counts: dict[str, dict[LabelSelector, dict[str, int]]] = {}
        self._by_namespace: dict[str, dict[PodInfo, str]] = {}
        # namespace -> pod labels -> the `_counts` entries whose selector matches them.
        self._matching: dict[str, dict[frozenset[tuple[str, str]], list[dict[str, int]]]] = {}
        for node in nodes:
            self.add_node(node)

    # Nodes -------------------------------------------------------------------------------

    def add_node(self, node: Node) -> NodeInfo:
        if node.name in self.infos:
            raise ValueError(f"duplicate node {node.name}")
        info = NodeInfo(node)
        self.infos[node.name] = info
        self._zones.setdefault(zone_key(node.labels), []).append(node.name)
        self._order = None
        self.generation += 1
        self.node_generation += 1
        return info

    def remove_node(self, name: str) -> list[PodInfo]:
        """Delete a node; returns the pods that were bound to it (now unbound)."""
        info = self.infos.pop(name)
        zone = self._zones[zone_key(info.labels)]
        zone.remove(name)
        if not zone:
            del self._zones[zone_key(info.labels)]
        for pod in info.pods:
            del self.where[pod]
            self._count(pod, name, -1)
        self._affinity_nodes.discard(name)
        self._anti_nodes.discard(name)
        self._order = None
        self.generation += 1
        self.node_generation += 1
        return list(info.pods)

    def replace_node(self, node: Node) -> None:
        """Swap a node's object (new taints or labels), keeping its pods and position."""
        old = self.infos[node.name]
        info = NodeInfo(node)
        for pod in old.pods:
            info.add_pod(pod)
        self.infos[node.name] = info
        if zone_key(old.labels) != zone_key(node.labels):
            self._zones[zone_key(old.labels)].remove(node.name)
            self._zones.setdefault(zone_key(node.labels), []).append(node.name)
        self._order = None
        self.generation += 1
        self.node_generation += 1

    @property
    def order(self) -> list[NodeInfo]:
        """Nodes in node-tree order (zone round-robin)."""
        if self._order is None:
            zones = [z for z in self._zones.values() if z]
            out: list[NodeInfo] = []
            depth = max((len(z) for z in zones), default=0)
            for i in range(depth):
                for zone in zones:
                    if i < len(zone):
                        out.append(self.infos[zone[i]])
            self._order = out
        return self._order

    def __len__(self) -> int:
        return len(self.infos)

    def node(self, name: str) -> NodeInfo:
        return self.infos[name]

    # Pods --------------------------------------------------------------------------------

    def bind(self, pod: PodInfo, node_name: str) -> None:
        if pod in self.where:
            raise ValueError(f"pod {pod.key} is already bound to {self.where[pod]}")
        info = self.infos[node_name]
        info.add_pod(pod)
        self.where[pod] = node_name
        self._count(pod, node_name, 1)
        self.changes.append(node_name)
        if pod.has_affinity:
            self._affinity_nodes.add(node_name)
            if pod.required_anti_affinity:
                self._anti_nodes.add(node_name)
        self.generation += 1

    def unbind(self, pod: PodInfo) -> str:
        node_name = self.where.pop(pod)
        info = self.infos[node_name]
        info.remove_pod(pod)
        self._count(pod, node_name, -1)
        self.changes.append(node_name)
        if not info.pods_with_affinity:
            self._affinity_nodes.discard(node_name)
        if not info.pods_with_required_anti_affinity:
            self._anti_nodes.discard(node_name)
        self.generation += 1
        return node_name

    def _count(self, pod: PodInfo, node_name: str, delta: int) -> None:
        members = self._by_namespace.setdefault(pod.namespace, {})
        if delta > 0:
            members[pod] = node_name
        else:
            members.pop(pod, None)
        by_selector = self._counts.get(pod.namespace)
        if not by_selector:
            return
        # Which selectors match depends on the labels only: replicas share the answer until a
        # new selector is indexed in the namespace (`match_counts` drops the memo then).
        memo = self._matching.setdefault(pod.namespace, {})
        key = frozenset(pod.labels.items())
        matching = memo.get(key)
        if matching is None:
            labels = pod.labels
            matching = memo[key] = [
                counts for selector, counts in by_selector.items() if selector.matches(labels)
            ]
        for counts in matching:
            value = counts.get(node_name, 0) + delta
            if value:
                counts[node_name] = value
            else:
                counts.pop(node_name, None)

    def match_counts(self, namespace: str, selector: LabelSelector) -> Mapping[str, int]:
        """Per node, how many bound pods of `namespace` match `selector` (nodes with none are
        absent). The mapping is live: later binds update it."""
        by_selector = self._counts.setdefault(namespace, {})
        counts = by_selector.get(selector)
        if counts is None:
            counts = {}
            for pod, node_name in self._by_namespace.get(namespace, {}).items():
                if selector.matches(pod.labels):
                    counts[node_name] = counts.get(node_name, 0) + 1
            by_selector[selector] = counts
            self._matching.pop(namespace, None)
        return counts

    def node_of(self, pod: PodInfo) -> str | None:
        return self.where.get(pod)

    def pods(self) -> list[PodInfo]:
        return [pod for info in self.order for pod in info.pods]

    def nodes_with_affinity_pods(self) -> list[NodeInfo]:
        return [self.infos[n] for n in self._affinity_nodes]

    def nodes_with_required_anti_affinity_pods(self) -> list[NodeInfo]:
        return [self.infos[n] for n in self._anti_nodes]

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        labels = dict(self.namespaces.get(namespace, {}))
        labels.setdefault("kubernetes.io/metadata.name", namespace)
        return labels

    def services_selecting(self, pod: PodInfo) -> list[LabelSelector]:
        return [
            LabelSelector(dict(s.selector))
            for s in self.services
            if s.namespace == pod.namespace
            and s.selector
            and all(pod.labels.get(k) == v for k, v in s.selector.items())
        ]
