"""Pod templates: the part of every workload that decides where its pods may run.

These are analysis values, read from manifests or from the API server by `archfit.model.k8s`.
They keep what placement needs (images, resources, ports, volumes, selectors, affinity,
tolerations, spreading, priority) and nothing else; rewriting manifests works on the original
documents, never on these values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from archfit.model.image import ImageRef
from archfit.model.quantity import Quantity
from archfit.model.selectors import LabelSelector, NodeSelector, NodeSelectorTerm, Toleration

__all__ = [
    "Affinity",
    "Container",
    "ContainerKind",
    "ContainerPort",
    "NodeAffinity",
    "PodAffinity",
    "PodAffinityTerm",
    "PodTemplate",
    "PreferredSchedulingTerm",
    "ResourceRequirements",
    "TopologySpreadConstraint",
    "Volume",
    "WeightedPodAffinityTerm",
]

ContainerKind = Literal["container", "init", "sidecar", "ephemeral"]
ResourceList = Mapping[str, Quantity]


@dataclass(frozen=True, slots=True)
class ResourceRequirements:
    """Requests and limits. `requests` already holds limits for resources that had no request
    (the API server's defaulting), so placement code reads `requests` only."""

    requests: ResourceList = field(default_factory=dict)
    limits: ResourceList = field(default_factory=dict)
    claims: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContainerPort:
    container_port: int
    host_port: int = 0
    protocol: str = "TCP"
    host_ip: str = ""


@dataclass(frozen=True, slots=True)
class Container:
    """One container. `image_ref` is None when `image` does not parse (reported as a finding)."""

    name: str
    image: str
    image_ref: ImageRef | None
    kind: ContainerKind = "container"
    resources: ResourceRequirements = field(default_factory=ResourceRequirements)
    ports: tuple[ContainerPort, ...] = ()
    # Names of the environment variables set in `env` (a GPU runtime reads some of them).
    env_names: tuple[str, ...] = ()
    # Where in the document this container sits, e.g. `spec.template.spec.containers[0]`.
    path: str = ""


@dataclass(frozen=True, slots=True)
class Volume:
    """A pod volume, reduced to what placement needs.

    `source` is the volume type key (`persistentVolumeClaim`, `hostPath`, `emptyDir`,
    `ephemeral`, …). `claim_name` names the PVC; for generic ephemeral volumes and
    volumeClaimTemplates, `storage_class` is the class asked for inline.
    """

    name: str
    source: str
    claim_name: str | None = None
    storage_class: str | None = None
    host_path: str | None = None
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class PreferredSchedulingTerm:
    weight: int
    preference: NodeSelectorTerm


@dataclass(frozen=True, slots=True)
class NodeAffinity:
    required: NodeSelector | None = None
    preferred: tuple[PreferredSchedulingTerm, ...] = ()


@dataclass(frozen=True, slots=True)
class PodAffinityTerm:
    topology_key: str
    label_selector: LabelSelector | None = None
    namespaces: tuple[str, ...] = ()
    namespace_selector: LabelSelector | None = None
    match_label_keys: tuple[str, ...] = ()
    mismatch_label_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WeightedPodAffinityTerm:
    weight: int
    term: PodAffinityTerm


@dataclass(frozen=True, slots=True)
class PodAffinity:
    required: tuple[PodAffinityTerm, ...] = ()
    preferred: tuple[WeightedPodAffinityTerm, ...] = ()


@dataclass(frozen=True, slots=True)
class Affinity:
    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAffinity | None = None


@dataclass(frozen=True, slots=True)
class TopologySpreadConstraint:
    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    label_selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    match_label_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """A pod spec with the template's labels and annotations."""

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    ephemeral_containers: tuple[Container, ...] = ()
    volumes: tuple[Volume, ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=dict)
    affinity: Affinity | None = None
    tolerations: tuple[Toleration, ...] = ()
    topology_spread_constraints: tuple[TopologySpreadConstraint, ...] = ()
    node_name: str | None = None
    priority_class_name: str | None = None
    priority: int | None = None
    preemption_policy: str | None = None
    runtime_class_name: str | None = None
    overhead: ResourceList = field(default_factory=dict)
    host_network: bool = False
    scheduler_name: str = "default-scheduler"
    resource_claims: tuple[str, ...] = ()
    scheduling_gates: tuple[str, ...] = ()
    # The document path of the pod spec, e.g. `spec.template.spec`, for locating fixes.
    path: str = ""

    @property
    def all_containers(self) -> tuple[Container, ...]:
        """Init containers (with sidecars), then app containers, then ephemeral containers."""
        return self.init_containers + self.containers + self.ephemeral_containers

    @property
    def runtime_containers(self) -> tuple[Container, ...]:
        """The containers whose images a node must be able to run (not ephemeral ones)."""
        return self.init_containers + self.containers

    @property
    def node_affinity(self) -> NodeAffinity | None:
        return self.affinity.node_affinity if self.affinity else None
