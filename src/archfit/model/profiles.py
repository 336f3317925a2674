"""Node profiles: what a kind of machine offers, so a cluster file can say `profile: NAME`.

A profile gives a node's platform, capacity, allocatable resources, labels and capabilities.
Anything a node states itself wins: allocatable and capacity are merged resource by resource,
labels key by key. docs/inventory.md shows the table.

The Raspberry Pi figures follow the cluster's placement strategy ("typical available": a Pi 4
offers 3 cores and 3 GiB to pods, a Pi 5 with 8 GB 3.5 cores and 6 GiB), i.e. what is left after
the OS, the kubelet, the container runtime and the system DaemonSets. The other sizes keep the
same proportions: one core held back on a Pi 4, half a core on the faster Pi 5, and about a
quarter of the memory (1 GiB on 4 GB boards, 2 GiB on 8 GB, 3 GiB on 16 GB). Ephemeral storage is
50 GiB allocatable of a 64 GB SD card or NVMe drive. Pis carry the strategy's labels:
`node.kubernetes.io/instance-type: raspberry-pi` and `kubernetes.io/storage: none` (no
distributed storage on them), and run no 32-bit images (`runs32bit: false`, as on Talos).

`build_node` is how every hand-described node is made (cluster files, profiles, what-if nodes
of the simulator): it sets the labels the kubelet would (`kubernetes.io/arch`, `/os`,
`/hostname`) and `node-role.kubernetes.io/<role>` for each role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from archfit.errors import InvalidValue
from archfit.model.node import (
    ARCH_LABEL,
    DEPRECATED_ARCH_LABEL,
    DEPRECATED_OS_LABEL,
    HOSTNAME_LABEL,
    INSTANCE_TYPE_LABEL,
    OS_LABEL,
    Node,
)
from archfit.model.platform import NodeCapabilities, Platform
from archfit.model.quantity import Quantity
from archfit.model.selectors import Taint

__all__ = [
    "PROFILES",
    "ROLE_LABEL_PREFIX",
    "STORAGE_LABEL",
    "NodeProfile",
    "build_node",
    "get_profile",
    "node_from_profile",
    "nodes_from_profile",
]

ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
STORAGE_LABEL = "kubernetes.io/storage"


def _q(values: Mapping[str, str | int]) -> dict[str, Quantity]:
    return {name: Quantity.parse(value) for name, value in values.items()}


@dataclass(frozen=True, slots=True)
class NodeProfile:
    """A kind of machine. `allocatable` is what pods may request; `capacity` the hardware."""

    name: str
    description: str
    platform: Platform
    capacity: Mapping[str, Quantity]
    allocatable: Mapping[str, Quantity]
    labels: Mapping[str, str] = field(default_factory=dict)
    capabilities: NodeCapabilities = field(default_factory=NodeCapabilities)


_PI_LABELS = {INSTANCE_TYPE_LABEL: "raspberry-pi", STORAGE_LABEL: "none"}
_PI_STORAGE = {"ephemeral-storage": "64Gi"}
_PI_STORAGE_ALLOC = {"ephemeral-storage": "50Gi"}


def _pi(model: str, ram_gib: int, cpu: str, memory: str) -> NodeProfile:
    name = f"raspberry-pi-{model}-{ram_gib}gb"
    return NodeProfile(
        name=name,
        description=f"Raspberry Pi {model}, {ram_gib} GB: {cpu} cores and {memory} for pods",
        platform=Platform.of("linux", "arm64"),
        capacity=_q({"cpu": 4, "memory": f"{ram_gib}Gi", "pods": 110, **_PI_STORAGE}),
        allocatable=_q({"cpu": cpu, "memory": memory, "pods": 110, **_PI_STORAGE_ALLOC}),
        labels=dict(_PI_LABELS),
        capabilities=NodeCapabilities(runs_32bit=False),
    )


_ALL = (
    _pi("4", 4, "3", "3Gi"),
    _pi("4", 8, "3", "6Gi"),
    _pi("5", 4, "3500m", "3Gi"),
    _pi("5", 8, "3500m", "6Gi"),
    _pi("5", 16, "3500m", "13Gi"),
    NodeProfile(
        name="amd64-worker",
        description="a generic x86-64 worker: 8 cores, 32 GiB (7.5 cores and 30 GiB for pods)",
        platform=Platform.of("linux", "amd64"),
        capacity=_q({"cpu": 8, "memory": "32Gi", "pods": 110, "ephemeral-storage": "256Gi"}),
        allocatable=_q(
            {"cpu": "7500m", "memory": "30Gi", "pods": 110, "ephemeral-storage": "230Gi"}
        ),
    ),
)

PROFILES: Mapping[str, NodeProfile] = {profile.name: profile for profile in _ALL}


def get_profile(name: str) -> NodeProfile:
    """The built-in profile `name`; `InvalidValue` listing the known ones otherwise."""
    profile = PROFILES.get(name.strip().lower())
    if profile is None:
        raise InvalidValue(
            f"unknown node profile {name!r}; expected one of: {', '.join(sorted(PROFILES))}"
        )
    return profile


def build_node(
    name: str,
    platform: Platform,
    *,
    roles: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
    taints: Iterable[Taint] = (),
    allocatable: Mapping[str, Quantity] | None = None,
    capacity: Mapping[str, Quantity] | None = None,
    capabilities: NodeCapabilities | None = None,
    unschedulable: bool = False,
    annotations: Mapping[str, str] | None = None,
    profile: str | None = None,
) -> Node:
    """A node as the kubelet would register it: well-known labels set (explicit labels win),
    one `node-role.kubernetes.io/<role>` label per role, and roles also read back from such
    labels. Capacity defaults to allocatable and the other way round."""
    out_labels = {
        ARCH_LABEL: platform.architecture,
        OS_LABEL: platform.os,
        HOSTNAME_LABEL: name,
        # The kubelet still sets the deprecated beta labels too, for backward compatibility
        # (`LegacyLabelArch`/`LegacyLabelOS` in k8s.io/api/core/v1/well_known_labels.go).
        DEPRECATED_ARCH_LABEL: platform.architecture,
        DEPRECATED_OS_LABEL: platform.os,
    }
    role_set = {r for r in roles if r}
    for role in sorted(role_set):
        out_labels[ROLE_LABEL_PREFIX + role] = ""
    out_labels.update(labels or {})
    role_set.update(
        key.removeprefix(ROLE_LABEL_PREFIX)
        for key in out_labels
        if key.startswith(ROLE_LABEL_PREFIX) and len(key) > len(ROLE_LABEL_PREFIX)
    )
    alloc = dict(allocatable or {})
    cap = dict(capacity or {})
    return Node(
        name=name,
        platform=platform,
        labels=out_labels,
        taints=tuple(taints),
        allocatable=alloc or cap,
        capacity=cap or alloc,
        unschedulable=unschedulable,
        roles=frozenset(role_set),
        capabilities=capabilities or NodeCapabilities(),
        profile=profile,
        annotations=dict(annotations or {}),
    )


def node_from_profile(
    profile: NodeProfile | str,
    name: str,
    *,
    roles: Iterable[str] = ("worker",),
    labels: Mapping[str, str] | None = None,
    taints: Iterable[Taint] = (),
    allocatable: Mapping[str, Quantity] | None = None,
    capacity: Mapping[str, Quantity] | None = None,
    capabilities: NodeCapabilities | None = None,
) -> Node:
    """A node of `profile`; explicit labels and resources are merged over the profile's."""
    spec = get_profile(profile) if isinstance(profile, str) else profile
    return build_node(
        name,
        spec.platform,
        roles=roles,
        labels={**spec.labels, **(labels or {})},
        taints=taints,
        allocatable={**spec.allocatable, **(allocatable or {})},
        capacity={**spec.capacity, **(capacity or {})},
        capabilities=capabilities or spec.capabilities,
        profile=spec.name,
    )


def nodes_from_profile(
    profile: NodeProfile | str,
    count: int,
    *,
    name_prefix: str | None = None,
    taken: Iterable[str] = (),
) -> tuple[Node, ...]:
    """`count` worker nodes of `profile` named `<prefix>-1`, `<prefix>-2`, … (the profile name
    by default), skipping names in `taken`; for what-if questions such as "add two Pi 5"."""
    if count < 0:
        raise InvalidValue(f"node count must not be negative, got {count}")
    spec = get_profile(profile) if isinstance(profile, str) else profile
    prefix = name_prefix or spec.name
    used = set(taken)
    nodes: list[Node] = []
    index = 0
    while len(nodes) < count:
        index += 1
        name = f"{prefix}-{index}"
        if name in used:
            continue
        used.add(name)
        nodes.append(node_from_profile(spec, name))
    return tuple(nodes)
