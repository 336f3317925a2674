"""Fluent builders for policy tests: workloads, nodes and image platforms in a line each.

wl = workload("db").image("postgres:16").requests(cpu="500m", memory="1Gi").build()
pi = node("durnan").arch("arm64").pi().allocatable(cpu="3", memory="3Gi").build()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from archfit.model.check import WorkloadVerdict
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.node import ARCH_LABEL, HOSTNAME_LABEL, INSTANCE_TYPE_LABEL, OS_LABEL, Node
from archfit.model.platform import Platform
from archfit.model.pod import (
    Affinity,
    Container,
    ContainerKind,
    NodeAffinity,
    PodTemplate,
    PreferredSchedulingTerm,
    ResourceRequirements,
    Volume,
)
from archfit.model.quantity import Quantity
from archfit.model.selectors import (
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Taint,
    Toleration,
)
from archfit.model.workload import PersistentVolumeClaim, SourceRef, StorageClass, Workload
from archfit.policy import Engine, Settings, StorageIndex

__all__ = [
    "INTEL_LABEL",
    "MULTI_ARCH",
    "NVIDIA_LABEL",
    "FakeImages",
    "NodeBuilder",
    "WorkloadBuilder",
    "evaluate",
    "finding_ids",
    "homelab",
    "node",
    "workload",
]


class WorkloadBuilder:
    def __init__(self, name: str, kind: str = "Deployment", namespace: str = "default") -> None:
        self._name, self._kind, self._namespace = name, kind, namespace
        self._containers: list[Container] = []
        self._node_selector: dict[str, str] = {}
        self._required: list[NodeSelectorTerm] = []
        self._preferred: list[PreferredSchedulingTerm] = []
        self._tolerations: list[Toleration] = []
        self._volumes: list[Volume] = []
        self._vcts: list[PersistentVolumeClaim] = []
        self._annotations: dict[str, str] = {}
        self._runtime_class: str | None = None
        self._claims: tuple[str, ...] = ()

    def image(self, image: str, *, kind: ContainerKind = "container") -> WorkloadBuilder:
        ref = ImageRef.parse(image) if image and " " not in image else None
        self._containers.append(Container(f"c{len(self._containers)}", image, ref, kind))
        return self

    def requests(self, **resources: str) -> WorkloadBuilder:
        last = self._containers[-1]
        parsed = {k.replace("_", "-"): Quantity.parse(v) for k, v in resources.items()}
        self._containers[-1] = replace(
            last, resources=ResourceRequirements(requests={**last.resources.requests, **parsed})
        )
        return self

    def gpu(self, resource: str, count: int = 1) -> WorkloadBuilder:
        last = self._containers[-1]
        self._containers[-1] = replace(
            last,
            resources=ResourceRequirements(
                requests={**last.resources.requests, resource: Quantity.parse(count)}
            ),
        )
        return self

    def node_selector(self, **labels: str) -> WorkloadBuilder:
        self._node_selector.update(labels)
        return self

    def selector_label(self, key: str, value: str) -> WorkloadBuilder:
        self._node_selector[key] = value
        return self

    def require(self, key: str, operator: str, *values: str) -> WorkloadBuilder:
        """Add a required term with one expression (terms are ORed)."""
        self._required.append(NodeSelectorTerm((NodeSelectorRequirement(key, operator, values),)))
        return self

    def prefer(self, weight: int, key: str, operator: str, *values: str) -> WorkloadBuilder:
        term = NodeSelectorTerm((NodeSelectorRequirement(key, operator, values),))
        self._preferred.append(PreferredSchedulingTerm(weight, term))
        return self

    def tolerate(
        self, key: str = "", operator: str = "Exists", effect: str = ""
    ) -> WorkloadBuilder:
        self._tolerations.append(Toleration(key, operator, effect=effect))
        return self

    def host_path(self, path: str) -> WorkloadBuilder:
        self._volumes.append(Volume(f"v{len(self._volumes)}", "hostPath", host_path=path))
        return self

    def claim(self, name: str) -> WorkloadBuilder:
        self._volumes.append(Volume(name, "persistentVolumeClaim", claim_name=name))
        return self

    def volume_claim_template(self, name: str, storage_class: str | None) -> WorkloadBuilder:
        self._vcts.append(PersistentVolumeClaim(self._namespace, name, storage_class))
        return self

    def runtime_class(self, name: str) -> WorkloadBuilder:
        self._runtime_class = name
        return self

    def resource_claim(self, name: str) -> WorkloadBuilder:
        self._claims += (name,)
        return self

    def env(self, name: str) -> WorkloadBuilder:
        last = self._containers[-1]
        self._containers[-1] = replace(last, env_names=(*last.env_names, name))
        return self

    def annotate(self, key: str, value: str) -> WorkloadBuilder:
        self._annotations[key] = value
        return self

    def build(self) -> Workload:
        node_affinity = None
        if self._required or self._preferred:
            node_affinity = NodeAffinity(
                NodeSelector(tuple(self._required)) if self._required else None,
                tuple(self._preferred),
            )
        template = PodTemplate(
            containers=tuple(c for c in self._containers if c.kind == "container"),
            init_containers=tuple(c for c in self._containers if c.kind in {"init", "sidecar"}),
            ephemeral_containers=tuple(c for c in self._containers if c.kind == "ephemeral"),
            volumes=tuple(self._volumes),
            node_selector=dict(self._node_selector),
            affinity=Affinity(node_affinity) if node_affinity else None,
            tolerations=tuple(self._tolerations),
            runtime_class_name=self._runtime_class,
            resource_claims=self._claims,
        )
        return Workload(
            kind=self._kind,
            namespace=self._namespace,
            name=self._name,
            template=template,
            source=SourceRef(f"{self._name}.yaml", 1),
            annotations=dict(self._annotations),
            replicas=None if self._kind == "DaemonSet" else 1,
            volume_claim_templates=tuple(self._vcts),
        )


class NodeBuilder:
    def __init__(self, name: str) -> None:
        self._name = name
        self._arch = "amd64"
        self._labels: dict[str, str] = {}
        self._taints: list[Taint] = []
        self._allocatable: dict[str, Quantity] = {
            "cpu": Quantity.parse("8"),
            "memory": Quantity.parse("32Gi"),
            "pods": Quantity.parse(110),
        }
        self._unschedulable = False

    def arch(self, arch: str) -> NodeBuilder:
        self._arch = arch
        return self

    def label(self, key: str, value: str = "true") -> NodeBuilder:
        self._labels[key] = value
        return self

    def pi(self) -> NodeBuilder:
        """A Raspberry Pi as the seed labels them (arm64, no Longhorn, 3 cores / 3Gi)."""
        self._arch = "arm64"
        self._labels[INSTANCE_TYPE_LABEL] = "raspberry-pi"
        self._labels["kubernetes.io/storage"] = "none"
        return self.allocatable(cpu="3", memory="3Gi")

    def control_plane(self) -> NodeBuilder:
        self._labels["node-role.kubernetes.io/control-plane"] = ""
        return self.taint("node-role.kubernetes.io/control-plane", "NoSchedule")

    def taint(self, key: str, effect: str, value: str = "") -> NodeBuilder:
        self._taints.append(Taint(key, effect, value))
        return self

    def allocatable(self, **resources: str | int) -> NodeBuilder:
        for key, value in resources.items():
            self._allocatable[key.replace("_", "-")] = Quantity.parse(value)
        return self

    def gpu(self, resource: str, label: str | None = None) -> NodeBuilder:
        self._allocatable[resource] = Quantity.parse(1)
        if label:
            self._labels[label] = "true"
        return self

    def cordoned(self) -> NodeBuilder:
        self._unschedulable = True
        return self

    def build(self) -> Node:
        labels = {
            ARCH_LABEL: self._arch,
            OS_LABEL: "linux",
            HOSTNAME_LABEL: self._name,
            "beta.kubernetes.io/arch": self._arch,  # still set by the kubelet
            "beta.kubernetes.io/os": "linux",
            **self._labels,
        }
        return Node(
            name=self._name,
            platform=Platform.of("linux", self._arch),
            labels=labels,
            taints=tuple(self._taints),
            allocatable=dict(self._allocatable),
            unschedulable=self._unschedulable,
        )


def workload(
    name: str = "app", kind: str = "Deployment", namespace: str = "default"
) -> WorkloadBuilder:
    return WorkloadBuilder(name, kind, namespace)


def node(name: str) -> NodeBuilder:
    return NodeBuilder(name)


NVIDIA_LABEL = "feature.node.kubernetes.io/pci-0300_10de.present"
INTEL_LABEL = "feature.node.kubernetes.io/pci-0300_8086.present"


def homelab() -> list[Node]:
    """A small version of the seed's cluster: a control plane, GPU workers, a worker, two Pis."""
    return [
        node("cp").control_plane().build(),
        node("nv").gpu("nvidia.com/gpu", NVIDIA_LABEL).build(),
        node("arc").gpu("gpu.intel.com/i915", INTEL_LABEL).build(),
        node("worker").build(),
        node("pi4").pi().build(),
        node("pi5").pi().allocatable(cpu="3500m", memory="6Gi").build(),
    ]


class FakeImages:
    """Image platforms from a dict: `{"nginx:1.27": "amd64 arm64"}`; others are unresolved."""

    def __init__(self, platforms: Mapping[str, str] | None = None) -> None:
        self._known = {
            str(ImageRef.parse(ref)): tuple(Platform.parse(p) for p in plats.split())
            for ref, plats in (platforms or {}).items()
        }

    def lookup(self, ref: ImageRef) -> ImageInfo | None:
        platforms = self._known.get(str(ref))
        if platforms is None:
            return None
        return ImageInfo(ref, "resolved", "sha256:" + "0" * 64, platforms)


def evaluate(
    wl: Workload,
    *,
    images: Mapping[str, str] | None = None,
    nodes: Sequence[Node] | None = None,
    settings: Settings | None = None,
    claims: Sequence[PersistentVolumeClaim] = (),
    classes: Sequence[StorageClass] = (),
    **engine: Any,
) -> WorkloadVerdict:
    engine_nodes = homelab() if nodes is None else list(nodes)
    return Engine(
        settings or Settings(),
        FakeImages(images),
        engine_nodes,
        inventory=bool(engine_nodes),
        storage=StorageIndex.of(claims, classes),
        **engine,
    ).evaluate(wl)


# The platforms of the one image most rule tables run: it ships both architectures.
MULTI_ARCH = {"img:1": "amd64 arm64"}


def finding_ids(wl: WorkloadBuilder, **kwargs: object) -> list[str]:
    """The ids of the findings `wl` gets, sorted: what a rule table compares."""
    return sorted(f.id for f in evaluate(wl.build(), **kwargs).findings)  # type: ignore[arg-type]
