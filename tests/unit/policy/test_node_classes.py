"""Eligibility by node classes equals asking every node, on random clusters and workloads.

The engine asks one node per class of nodes the pod's filters cannot tell apart and shares the
answers between workloads; `_naive_eligibility` asks every node. Clusters draw labels, taints,
allocatable and cordons from small sets (so classes form); workloads draw selectors, affinity
(hostname and `metadata.name` pins included), nodeName, tolerations and requests; several
workloads go through one engine so that the shared caches are exercised too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.policy.builders import FakeImages

from archfit.model.affinity import merge_required
from archfit.model.check import ImageUse
from archfit.model.daemonset import daemonset_tolerations
from archfit.model.image import ImageRef
from archfit.model.node import ARCH_LABEL, HOSTNAME_LABEL, INSTANCE_TYPE_LABEL, Node
from archfit.model.platform import Platform
from archfit.model.pod import (
    Affinity,
    Container,
    NodeAffinity,
    PodTemplate,
    ResourceRequirements,
)
from archfit.model.quantity import Quantity
from archfit.model.selectors import (
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Taint,
    Toleration,
)
from archfit.model.workload import SourceRef, Workload
from archfit.policy import Engine, Settings
from archfit.policy.engine import _naive_eligibility
from archfit.policy.framework import InventoryIndex, RuleContext
from archfit.policy.nodeclasses import NodeClasses, referenced_keys

NAMES = tuple(f"n{i}" for i in range(8))
LABELS: dict[str, tuple[str, ...]] = {
    "zone": ("a", "b"),
    "disk": ("ssd", "hdd", ""),
    "tier": ("1", "2", "10"),
    INSTANCE_TYPE_LABEL: ("raspberry-pi", "server"),
}
TAINTS = (
    Taint("dedicated", "NoSchedule", "edge"),
    Taint("gpu", "NoExecute"),
    Taint("soft", "PreferNoSchedule"),
    Taint("node.kubernetes.io/not-ready", "NoExecute"),
)
TOLERATIONS = (
    Toleration("dedicated", "Equal", "edge", "NoSchedule"),
    Toleration("gpu", "Exists"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),
    Toleration("", "Exists"),
)
IMAGES = {"amd.example/app:1": "linux/amd64", "arm.example/app:1": "linux/arm64"}
ALL_IMAGES = ("multi.example/app:1", *IMAGES)


@st.composite
def profiles(draw: Any) -> dict[str, Any]:
    """What a group of alike nodes shares: taints, allocatable, cordon, most labels."""
    allocatable = {
        "cpu": Quantity.parse(draw(st.sampled_from(("1", "4000m")))),
        "memory": Quantity.parse(draw(st.sampled_from(("1Gi", "4Gi")))),
    }
    if draw(st.booleans()):
        allocatable["pods"] = Quantity.parse(draw(st.sampled_from((0, 110))))
    if draw(st.booleans()):
        allocatable["nvidia.com/gpu"] = Quantity.parse(draw(st.sampled_from((0, 1, 2))))
    labels = {}
    for key, values in LABELS.items():
        value = draw(st.none() | st.sampled_from(values))
        if value is not None:
            labels[key] = value
    return {
        "arch": draw(st.sampled_from(("amd64", "arm64"))),
        "labels": labels,
        "taints": tuple(draw(st.lists(st.sampled_from(TAINTS), max_size=1))),
        "allocatable": allocatable,
        "unschedulable": draw(st.sampled_from((False, False, True))),
    }


@st.composite
def nodes(draw: Any) -> list[Node]:
    """Up to 8 nodes made from up to 3 profiles; a node may change one label of its profile
    its cordon or its cpu, so that classes form and split on single attributes."""
    groups = draw(st.lists(profiles(), min_size=1, max_size=3))
    out = []
    for name in NAMES[: draw(st.integers(1, len(NAMES)))]:
        profile = draw(st.sampled_from(groups))
        labels = {**profile["labels"], ARCH_LABEL: profile["arch"], HOSTNAME_LABEL: name}
        change = draw(st.sampled_from(("none", "label", "cordon", "cpu")))
        allocatable = profile["allocatable"]
        if change == "cpu":
            allocatable = {**allocatable, "cpu": Quantity.parse("1500m")}
        if change == "label":
            key = draw(st.sampled_from(tuple(LABELS)))
            labels[key] = draw(st.sampled_from(LABELS[key]))
        out.append(
            Node(
                name=name,
                platform=Platform.of("linux", profile["arch"]),
                labels=labels,
                taints=profile["taints"],
                allocatable=allocatable,
                unschedulable=profile["unschedulable"] != (change == "cordon"),
            )
        )
    return out


KEYS = (*LABELS, ARCH_LABEL, HOSTNAME_LABEL)
VALUES = ("a", "b", "ssd", "", "1", "2", "raspberry-pi", "amd64", "arm64", *NAMES[:3])
requirements = st.builds(
    NodeSelectorRequirement,
    st.sampled_from(KEYS),
    st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")),
    st.lists(st.sampled_from(VALUES), max_size=2).map(tuple),
).map(
    lambda r: (
        NodeSelectorRequirement(r.key, r.operator, ("1",))
        if r.operator in {"Gt", "Lt"}
        else NodeSelectorRequirement(r.key, r.operator)
        if r.operator in {"Exists", "DoesNotExist"}
        else r
    )
)
name_fields = st.builds(
    NodeSelectorRequirement,
    st.just("metadata.name"),
    st.sampled_from(("In", "NotIn")),
    st.lists(st.sampled_from(NAMES[:4]), min_size=1, max_size=2).map(tuple),
)
terms = st.builds(
    NodeSelectorTerm,
    st.lists(requirements, max_size=2).map(tuple),
    st.lists(name_fields, max_size=1).map(tuple),
)


@st.composite
def workloads(draw: Any, index: int) -> Workload:
    requests = {
        name: Quantity.parse(draw(st.sampled_from(values)))
        for name, values in (
            ("cpu", ("100m", "1500m", "3")),
            ("memory", ("64Mi", "2Gi")),
            ("nvidia.com/gpu", ("1", "2")),
        )
        if draw(st.booleans())
    }
    image = draw(st.sampled_from(ALL_IMAGES))
    containers = (
        Container("app", image, ImageRef.parse(image), resources=ResourceRequirements(requests)),
    )
    required = draw(st.none() | st.lists(terms, min_size=1, max_size=2).map(tuple))
    template = PodTemplate(
        containers=containers,
        node_selector=draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES))),
        affinity=Affinity(NodeAffinity(NodeSelector(required))) if required else None,
        tolerations=tuple(draw(st.lists(st.sampled_from(TOLERATIONS), max_size=2, unique=True))),
        node_name=draw(st.sampled_from((None, None, None, None, *NAMES[:2], "elsewhere"))),
    )
    kind = draw(st.sampled_from(("Deployment", "DaemonSet")))
    return Workload(
        kind=kind,
        namespace="default",
        name=f"w{index}",
        template=template,
        source=SourceRef(f"w{index}.yaml", 1),
        replicas=None if kind == "DaemonSet" else 1,
    )


cases = st.tuples(nodes(), st.tuples(*(workloads(i) for i in range(4))))


@settings(max_examples=200)
@given(cases)
def test_class_eligibility_equals_every_node_asked(case: tuple[list[Node], Any]) -> None:
    cluster, pods = case
    engine = Engine(Settings(), FakeImages(IMAGES), cluster)
    for workload in pods:
        verdict = engine.evaluate(workload)
        placement = verdict.placement
        if placement.allowed_architectures is not None and not placement.allowed_architectures:
            assert verdict.eligible_nodes == ()
            continue
        affinity = workload.template.node_affinity
        merged = merge_required(affinity.required if affinity else None, placement.required)
        template = workload.template
        tolerations = (
            daemonset_tolerations(template)
            if workload.kind == "DaemonSet"
            else template.tolerations
        )
        eligible, rejections, message = _naive_eligibility(
            cluster, workload.template, merged, tolerations
        )
        assert verdict.eligible_nodes == eligible
        assert list(verdict.rejections.items()) == list(rejections.items())
        unschedulable = [
            f for f in verdict.findings if f.id == "unschedulable" and "would stay" not in f.message
        ]
        if eligible:
            assert not unschedulable
        else:
            (finding,) = unschedulable
            assert finding.details["scheduler_message"] == message
            assert finding.details["nodes"] == {n: list(r) for n, r in rejections.items()}


@settings(max_examples=100)
@given(cases, st.lists(st.sampled_from(ALL_IMAGES), max_size=2))
def test_own_nodes_equal_every_node_admitted(case: tuple[list[Node], Any], refs: list[str]) -> None:
    cluster, pods = case
    images = FakeImages({**IMAGES, "multi.example/app:1": "linux/amd64 linux/arm64"})
    policy = Settings()
    index = InventoryIndex(cluster, policy)
    for workload in pods:
        ctx = RuleContext(workload, (), index.nodes, policy, inventory=True, index=index)
        assert ctx.own_nodes == tuple(n for n in cluster if ctx.admitted(n))
        assert ctx.own_pis == tuple(n for n in ctx.own_nodes if ctx.is_pi(n))
        extra = (NodeSelectorRequirement(ARCH_LABEL, "In", ("arm64",)),)
        assert ctx.admitted_nodes(extra) == tuple(n for n in cluster if ctx.admitted(n, extra))
        uses = [ImageUse("c", "container", ref, images.lookup(ImageRef.parse(ref))) for ref in refs]
        assert ctx.own_nodes_missing(uses) == tuple(
            n
            for n in ctx.own_nodes
            if not all(
                u.info is not None and any(n.runs(p) for p in u.info.linux_platforms) for u in uses
            )
        )


def test_hostname_pins_split_every_node_into_its_own_class() -> None:
    cluster = [
        Node(name, Platform.of("linux", "amd64"), {ARCH_LABEL: "amd64", HOSTNAME_LABEL: name})
        for name in NAMES[:3]
    ]
    classes = NodeClasses(cluster)
    assert len(classes.partition(frozenset({ARCH_LABEL}), by_name=False).classes) == 1
    assert len(classes.partition(frozenset({HOSTNAME_LABEL}), by_name=False).classes) == 3
    assert len(classes.partition(frozenset(), by_name=True).classes) == 3


def test_referenced_keys_name_the_selector_keys_and_name_pins() -> None:
    required = NodeSelector(
        (
            NodeSelectorTerm((NodeSelectorRequirement("zone", "In", ("a",)),)),
            NodeSelectorTerm((), (NodeSelectorRequirement("metadata.name", "In", ("n0",)),)),
        )
    )
    assert referenced_keys({"disk": "ssd"}, required) == (frozenset({"zone", "disk"}), True)
    assert referenced_keys({}, None, node_name="n1") == (frozenset(), True)
    assert referenced_keys({}, None) == (frozenset(), False)


def _twin(node: Node, **changes: Any) -> Node:
    return dataclasses.replace(node, name="twin", **changes)


@pytest.mark.parametrize(
    ("changes", "keys", "by_name", "split"),
    [
        ({"labels": {ARCH_LABEL: "amd64", "zone": "b"}}, {"zone"}, False, True),
        ({"labels": {ARCH_LABEL: "amd64"}}, {"zone"}, False, True),  # missing, not ""
        ({"labels": {ARCH_LABEL: "amd64", "zone": "b"}}, {ARCH_LABEL}, False, False),
        ({"taints": (TAINTS[0],)}, set(), False, True),
        ({"unschedulable": True}, set(), False, True),
        ({"allocatable": {"cpu": Quantity.parse("2")}}, set(), False, True),
        ({"allocatable": {"cpu": Quantity.parse("1000m")}}, set(), False, False),  # same amount
        ({}, set(), True, True),
        ({}, set(), False, False),
    ],
)
def test_nodes_split_on_every_attribute_a_filter_reads(
    changes: dict[str, Any], keys: set[str], by_name: bool, split: bool
) -> None:
    base = Node(
        "base",
        Platform.of("linux", "amd64"),
        {ARCH_LABEL: "amd64", "zone": ""},
        allocatable={"cpu": Quantity.parse("1")},
    )
    partition = NodeClasses([base, _twin(base, **changes)]).partition(frozenset(keys), by_name)
    assert len(partition.classes) == (2 if split else 1)
    assert partition.class_of == ((0, 1) if split else (0, 0))
