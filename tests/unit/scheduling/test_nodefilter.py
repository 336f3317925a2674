"""The Filter phase `archfit check` runs for a lone pod: the scheduler's plugins, in profile
order, first rejection wins; reasons in kube-scheduler 1.32's words."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.unit.scheduling.builders import NodeBuilder, node, pod

from archfit.model.pod import PodTemplate
from archfit.model.selectors import (
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Toleration,
)
from archfit.scheduling.nodefilter import LonePodFilter, fit_error, fit_error_of_counts


@pytest.mark.parametrize(
    ("template", "target", "reasons"),
    [
        (pod("a").template(), node("n"), ()),
        (pod("a").template(), node("n").cordon(), ("node(s) were unschedulable",)),
        # A cordoned node that is also tainted: NodeUnschedulable speaks first.
        (pod("a").template(), node("edge").taint("dedicated", "edge").cordon(),
         ("node(s) were unschedulable",)),
        (pod("a").template(), node("edge").taint("dedicated", "edge"),
         ("node(s) had untolerated taint {dedicated: edge}",)),
        (pod("a").tolerate("dedicated").template(), node("edge").taint("dedicated", "edge"), ()),
        (pod("a").node_selector("disk", "ssd").template(), node("n"),
         ("node(s) didn't match Pod's node affinity/selector",)),
        (pod("a").cpu("5").memory("9Gi").request("vendor.example/b", "1")
         .request("vendor.example/a", "1").template(), node("n"),
         ("Insufficient cpu", "Insufficient memory", "Insufficient vendor.example/a",
          "Insufficient vendor.example/b")),
        (pod("a").template(), node("n").pods(0), ("Too many pods",)),
    ],
)  # fmt: skip
def test_reasons(template: PodTemplate, target: NodeBuilder, reasons: tuple[str, ...]) -> None:
    phase = LonePodFilter()
    assert phase.reasons(phase.pod(template), target.build()) == reasons


def test_an_inventory_without_a_pod_count_takes_a_lone_pod() -> None:
    built = node("n").build()
    bare = replace(built, allocatable={k: v for k, v in built.allocatable.items() if k != "pods"})
    phase = LonePodFilter()
    assert phase.reasons(phase.pod(pod("a").template()), bare) == ()


def test_a_merged_selector_and_daemonset_tolerations_replace_the_pods_own() -> None:
    phase = LonePodFilter()
    arm64_only = NodeSelector(
        (NodeSelectorTerm((NodeSelectorRequirement("kubernetes.io/arch", "In", ("arm64",)),)),)
    )
    template = pod("a").template()
    amd64 = node("n").build()
    assert phase.reasons(phase.pod(template, required=arm64_only), amd64) == (
        "node(s) didn't match Pod's node affinity/selector",
    )
    assert phase.reasons(phase.pod(template, required=arm64_only), node("p").arm64().build()) == ()
    cordoned = node("c").cordon().build()
    tolerate = (Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),)
    assert phase.reasons(phase.pod(template, tolerations=tolerate), cordoned) == ()


def test_fit_error_counts_each_reason_once_per_node() -> None:
    reasons = {
        "a": ("Insufficient cpu", "Insufficient memory"),
        "b": ("Insufficient cpu", "Insufficient cpu"),
        "c": ("node(s) were unschedulable",),
    }
    assert fit_error(4, reasons) == (
        "0/4 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable, "
        "2 Insufficient cpu."
    )
    assert fit_error(2, {}) == "0/2 nodes are available:"
    assert fit_error_of_counts(14, {"Too many pods": 11, "Insufficient cpu": 3}) == (
        "0/14 nodes are available: 11 Too many pods, 3 Insufficient cpu."
    )
