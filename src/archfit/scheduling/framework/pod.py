"""The scheduler's view of one pod: what every plugin reads, computed once per pod.

`PodInfo` is built from a `PodTemplate` after admission (`archfit.scheduling.admission`): its
requests in the scheduler's integer units (millicores, bytes, counts), the non-zero requests
used for scoring, host ports, and the pod (anti-)affinity terms with their namespaces resolved
(`framework.PodInfo` and `AffinityTerm` upstream).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from archfit.model.pod import PodAffinityTerm, PodTemplate
from archfit.model.resources import pod_requests, scheduler_units
from archfit.model.selectors import LabelSelector, LabelSelectorRequirement, Toleration

__all__ = [
    "AffinityTerm",
    "PodInfo",
    "WeightedAffinityTerm",
    "affinity_term",
    "namespace_labels",
]

# Resources NodeResourcesFit compares against allocatable (pods are counted separately).
BASIC_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_NOT_REQUESTABLE = frozenset({"pods", "storage"})


def _is_scalar(name: str) -> bool:
    """`IsScalarResourceName`: extended (`vendor/name`), hugepages, prefixed native and
    attachable-volume resources; other names are not compared by the scheduler."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    return "/" in name and not name.startswith("requests.")


def namespace_labels(namespace: str, known: Mapping[str, Mapping[str, str]]) -> Mapping[str, str]:
    """A namespace's labels; the API server always sets `kubernetes.io/metadata.name`."""
    labels = dict(known.get(namespace, {}))
    labels.setdefault("kubernetes.io/metadata.name", namespace)
    return labels


@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """A pod affinity term with its namespaces resolved (`framework.AffinityTerm`)."""

    namespaces: frozenset[str]
    selector: LabelSelector | None
    topology_key: str
    namespace_selector: LabelSelector | None = None

    def matches(self, pod: PodInfo, ns_labels: Mapping[str, str] | None = None) -> bool:
        """Whether `pod` is one the term refers to. A nil selector matches nothing."""
        if pod.namespace not in self.namespaces:
            if self.namespace_selector is None or ns_labels is None:
                return False
            if not self.namespace_selector.matches(ns_labels):
                return False
        return self.selector is not None and self.selector.matches(pod.labels)


@dataclass(frozen=True, slots=True)
class WeightedAffinityTerm:
    term: AffinityTerm
    weight: int


def affinity_term(
    term: PodAffinityTerm,
    namespace: str,
    labels: Mapping[str, str],
    namespaces: Mapping[str, Mapping[str, str]] | None = None,
) -> AffinityTerm:
    """Resolve a term of a pod in `namespace`: no namespaces and no selector means the pod's
    own; `matchLabelKeys`/`mismatchLabelKeys` become In/NotIn requirements on the pod's values
    (the API server merges them in 1.32); a namespace selector is expanded over the known
    namespaces when given and also kept for namespaces not listed."""
    selector = term.label_selector
    extra = tuple(
        LabelSelectorRequirement(key, "In", (labels[key],))
        for key in term.match_label_keys
        if key in labels
    ) + tuple(
        LabelSelectorRequirement(key, "NotIn", (labels[key],))
        for key in term.mismatch_label_keys
        if key in labels
    )
    if extra and selector is not None:
        selector = LabelSelector(selector.match_labels, selector.match_expressions + extra)
    names = set(term.namespaces)
    if not names and term.namespace_selector is None:
        names.add(namespace)
    if term.namespace_selector is not None and namespaces:
        for ns in namespaces:
            if term.namespace_selector.matches(namespace_labels(ns, namespaces)):
                names.add(ns)
    return AffinityTerm(frozenset(names), selector, term.topology_key, term.namespace_selector)


@dataclass(eq=False, slots=True)
class PodInfo:
    """One pod as the scheduler sees it. Identity is the object (`eq=False`)."""

    namespace: str
    name: str
    template: PodTemplate
    owner: str | None = None
    owner_selector: LabelSelector | None = None
    priority: int = 0
    preemption_policy: str = "PreemptLowerPriority"
    arrival: int = 0
    uid: str = ""
    # Filled by `__post_init__` from the template.
    labels: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    requests: dict[str, int] = field(default_factory=dict)
    nonzero_cpu: int = 0
    nonzero_memory: int = 0
    host_ports: tuple[tuple[str, str, int], ...] = ()
    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedAffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedAffinityTerm, ...] = ()
    # The requests NodeResourcesFit compares: non-zero cpu, memory, ephemeral-storage and
    # scalar resources, in that order.
    fit_requests: tuple[tuple[str, int], ...] = ()
    nominated_node: str | None = None
    namespaces: Mapping[str, Mapping[str, str]] | None = None
    sidecar_ports: bool = False
    _placement_key: tuple[object, ...] | None = None

    def __post_init__(self) -> None:
        t = self.template
        self.labels = t.labels
        self.tolerations = t.tolerations
        units = scheduler_units(pod_requests(t))
        self.requests = {k: v for k, v in units.items() if k not in _NOT_REQUESTABLE}
        self.fit_requests = tuple(
            (name, amount)
            for name, amount in sorted(
                self.requests.items(),
                # Upstream walks a Go map for the scalar ones; by name keeps reasons stable.
                key=lambda kv: (
                    (BASIC_RESOURCES.index(kv[0]), "") if kv[0] in BASIC_RESOURCES else (3, kv[0])
                ),
            )
            if amount > 0 and (name in BASIC_RESOURCES or _is_scalar(name))
        )
        nonzero = scheduler_units(pod_requests(t, non_zero=True))
        self.nonzero_cpu = nonzero.get("cpu", 0)
        self.nonzero_memory = nonzero.get("memory", 0)
        ports: list[tuple[str, str, int]] = []
        containers = t.containers
        if self.sidecar_ports:
            containers = tuple(c for c in t.init_containers if c.kind == "sidecar") + containers
        for container in containers:
            for port in container.ports:
                host_port = port.host_port
                if host_port <= 0:
                    continue
                ports.append((port.host_ip or "0.0.0.0", port.protocol or "TCP", host_port))  # noqa: S104 - the bind-all address as upstream spells it
        self.host_ports = tuple(ports)
        aff = t.affinity
        ns, labels = self.namespace, self.labels
        known = self.namespaces
        if aff is not None and aff.pod_affinity is not None:
            self.required_affinity = tuple(
                affinity_term(term, ns, labels, known) for term in aff.pod_affinity.required
            )
            self.preferred_affinity = tuple(
                WeightedAffinityTerm(affinity_term(w.term, ns, labels, known), w.weight)
                for w in aff.pod_affinity.preferred
            )
        if aff is not None and aff.pod_anti_affinity is not None:
            self.required_anti_affinity = tuple(
                affinity_term(term, ns, labels, known) for term in aff.pod_anti_affinity.required
            )
            self.preferred_anti_affinity = tuple(
                WeightedAffinityTerm(affinity_term(w.term, ns, labels, known), w.weight)
                for w in aff.pod_anti_affinity.preferred
            )

    @property
    def placement_key(self) -> tuple[object, ...]:
        """What the node-only filters read (node name, tolerations, node selector, required
        node affinity): pods with equal keys get equal verdicts from them on every node."""
        key = self._placement_key
        if key is None:
            t = self.template
            node_affinity = t.node_affinity
            key = self._placement_key = (
                t.node_name,
                t.tolerations,
                frozenset(t.node_selector.items()),
                node_affinity.required if node_affinity is not None else None,
            )
        return key

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def has_affinity(self) -> bool:
        """Whether the pod has any pod affinity or anti-affinity (`PodsWithAffinity`)."""
        aff = self.template.affinity
        return aff is not None and (
            aff.pod_affinity is not None or aff.pod_anti_affinity is not None
        )

    @property
    def owner_kind(self) -> str | None:
        return self.owner.split("/", 1)[0] if self.owner else None

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"
