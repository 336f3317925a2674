"""Pure values: platforms, quantities, image references, nodes, pod templates, workloads.

Nothing here does I/O; everything is immutable. `archfit.model.k8s` converts Kubernetes-shaped
dicts into these values, and is the only module that knows the wire shape.
"""

from archfit.model.image import ImageRef
from archfit.model.node import Node
from archfit.model.platform import NodeCapabilities, Platform
from archfit.model.pod import Affinity, Container, NodeAffinity, PodTemplate, Volume
from archfit.model.quantity import Quantity
from archfit.model.resources import pod_requests
from archfit.model.selectors import (
    LabelSelector,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Taint,
    Toleration,
)
from archfit.model.workload import (
    PersistentVolume,
    PersistentVolumeClaim,
    SourceRef,
    StorageClass,
    Workload,
)

__all__ = [
    "Affinity",
    "Container",
    "ImageRef",
    "LabelSelector",
    "Node",
    "NodeAffinity",
    "NodeCapabilities",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Platform",
    "PodTemplate",
    "Quantity",
    "SourceRef",
    "StorageClass",
    "Taint",
    "Toleration",
    "Volume",
    "Workload",
    "pod_requests",
]
