"""Workloads (controllers and bare pods), storage objects, and where each was read from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from archfit.model.pod import PodTemplate
from archfit.model.quantity import Quantity
from archfit.model.selectors import LabelSelector, NodeSelector

__all__ = [
    "WORKLOAD_KINDS",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "SourceRef",
    "StorageClass",
    "Workload",
]

WORKLOAD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an object came from: a file and 1-based line, or a live cluster.

    `origin` says more for rendered sources, e.g. `HelmRelease media/plex values.controllers.main`.
    """

    file: str
    line: int = 0
    origin: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} ({self.origin})" if self.origin else where


@dataclass(frozen=True, slots=True)
class PersistentVolumeClaim:
    namespace: str
    name: str
    storage_class: str | None = None
    access_modes: tuple[str, ...] = ()
    storage: Quantity | None = None
    volume_name: str | None = None
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class StorageClass:
    name: str
    provisioner: str = ""
    is_default: bool = False
    volume_binding_mode: str = "Immediate"
    allowed_topologies: NodeSelector | None = None
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class PersistentVolume:
    name: str
    storage_class: str | None = None
    node_affinity: NodeSelector | None = None
    capacity: Quantity | None = None
    claim: tuple[str, str] | None = None  # (namespace, name) of the bound claim
    local_path: str | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    """A pod-producing object. `replicas` is what the controller creates (None for DaemonSets,
    whose count depends on the nodes); `owner` is the controlling object of a bare pod."""

    kind: str
    namespace: str
    name: str
    template: PodTemplate
    source: SourceRef
    api_version: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    replicas: int | None = 1
    selector: LabelSelector | None = None
    volume_claim_templates: tuple[PersistentVolumeClaim, ...] = ()
    owner: str | None = None
    uid: str | None = None
    # The deployment (a cluster or environment of the repository) this copy was reached from;
    # empty when the input has no entry points (see `archfit.manifests.entrypoints`).
    entry_point: str = ""

    @property
    def key(self) -> str:
        """`Kind/namespace/name`, unique within one input."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def display(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"
