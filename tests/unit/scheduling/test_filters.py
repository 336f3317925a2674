"""Filter plugins, table-driven: each row is a node, a pod, and the plugin and reasons that
reject it (None: the node is feasible). Reasons are kube-scheduler 1.32's strings."""

from __future__ import annotations

import pytest

from .builders import NodeBuilder, PodBuilder, node, pod, scheduler

TAINT_CP = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"

CASES: list[tuple[str, NodeBuilder, PodBuilder, tuple[str, tuple[str, ...]] | None]] = [
    ("plain node fits", node("n"), pod("p").cpu("100m"), None),
    (
        "cordoned node",
        node("n").cordon(),
        pod("p"),
        ("NodeUnschedulable", ("node(s) were unschedulable",)),
    ),
    (
        "cordon tolerated",
        node("n").cordon(),
        pod("p").tolerate("node.kubernetes.io/unschedulable", effect="NoSchedule"),
        None,
    ),
    (
        "cordon wins over taint (filter order)",
        node("n").cordon().control_plane(),
        pod("p"),
        ("NodeUnschedulable", ("node(s) were unschedulable",)),
    ),
    ("control-plane taint", node("n").control_plane(), pod("p"), ("TaintToleration", (TAINT_CP,))),
    (
        "taint before node affinity",
        node("n").control_plane(),
        pod("p").selector(disktype="ssd"),
        ("TaintToleration", (TAINT_CP,)),
    ),
    ("toleration of everything", node("n").control_plane(), pod("p").tolerate(), None),
    (
        "wrong value",
        node("n").taint("dedicated", "edge"),
        pod("p").tolerate("dedicated", "other"),
        ("TaintToleration", ("node(s) had untolerated taint {dedicated: edge}",)),
    ),
    (
        "wrong effect",
        node("n").taint("dedicated", "edge"),
        pod("p").tolerate("dedicated", "edge", effect="NoExecute"),
        ("TaintToleration", ("node(s) had untolerated taint {dedicated: edge}",)),
    ),
    (
        "PreferNoSchedule never filters",
        node("n").taint("flaky", "true", "PreferNoSchedule"),
        pod("p"),
        None,
    ),
    (
        "node selector",
        node("n"),
        pod("p").node_selector("disktype", "ssd"),
        ("NodeAffinity", ("node(s) didn't match Pod's node affinity/selector",)),
    ),
    (
        "required affinity NotIn matches a missing label",
        node("n"),
        pod("p").required("disktype", "NotIn", "hdd"),
        None,
    ),
    (
        "required affinity Gt",
        node("n").label("cores", "4"),
        pod("p").required("cores", "Gt", "8"),
        ("NodeAffinity", ("node(s) didn't match Pod's node affinity/selector",)),
    ),
    (
        "every insufficient resource is listed",
        node("n").cpu("1").memory("1Gi").pods(0),
        pod("p").cpu("2").memory("2Gi").request("nvidia.com/gpu", "1"),
        (
            "NodeResourcesFit",
            (
                "Too many pods",
                "Insufficient cpu",
                "Insufficient memory",
                "Insufficient nvidia.com/gpu",
            ),
        ),
    ),
    (
        "a pod asking nothing still needs a pod slot",
        node("n").pods(0),
        pod("p"),
        ("NodeResourcesFit", ("Too many pods",)),
    ),
]


@pytest.mark.parametrize(("title", "n", "p", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filter(
    title: str,
    n: NodeBuilder,
    p: PodBuilder,
    expected: tuple[str, tuple[str, ...]] | None,
) -> None:
    sched = scheduler(n, node("other").control_plane())
    decision = sched.schedule_one(p.info())
    status = decision.filters.get("n")
    if expected is None:
        assert status is None
        assert decision.node == "n"
    else:
        assert status is not None
        assert (status.plugin, tuple(sorted(status.reasons))) == (
            expected[0],
            tuple(sorted(expected[1])),
        )


def test_host_ports_conflict_by_protocol_and_ip() -> None:
    sched = scheduler(node("n"))
    first = pod("a").host_port(8080).info()
    sched.bind(first, "n")
    reason = "node(s) didn't have free ports for the requested pod ports"
    cases = [
        (pod("tcp").host_port(8080), reason),
        (pod("udp").host_port(8080, "UDP"), None),
        (pod("loopback").host_port(8080, host_ip="127.0.0.1"), reason),
        (pod("other").host_port(8081), None),
    ]
    for builder, expected in cases:
        decision = sched.schedule_one(builder.info())
        status = decision.filters.get("n")
        assert (status.reasons[0] if status else None) == expected, builder.name


def test_resources_account_for_bound_pods() -> None:
    sched = scheduler(node("n").cpu("1"))
    sched.bind(pod("a").cpu("600m").info(), "n")
    decision = sched.schedule_one(pod("b").cpu("500m").info())
    assert decision.node is None
    assert decision.message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod."
    )


def test_1_34_wording_and_claims_prefix() -> None:
    sched = scheduler(node("cp").control_plane(), version="1.34")
    decision = sched.schedule_one(pod("p").info())
    assert decision.message == (
        "0/1 nodes are available: 1 node(s) had untolerated taint(s). no new claims to "
        "deallocate, preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
        "scheduling."
    )


def test_fit_is_unresolvable_from_1_33_when_the_node_is_too_small() -> None:
    for version, expected in (
        ("1.32", "1 No preemption victims found for incoming pod"),
        ("1.33", "1 Preemption is not helpful for scheduling"),
    ):
        sched = scheduler(node("n").cpu("1"), version=version)
        decision = sched.schedule_one(pod("p").cpu("2").info())
        assert decision.message is not None
        assert decision.message.endswith(f"preemption: 0/1 nodes are available: {expected}.")
