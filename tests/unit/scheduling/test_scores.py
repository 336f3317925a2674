"""Score plugins, normalisation and the cycle's bookkeeping (sampling, ties, messages)."""

from __future__ import annotations

import pytest

from archfit.scheduling.framework.messages import fit_error_message
from archfit.scheduling.framework.status import Status
from archfit.scheduling.plugins.podtopologyspread import round_half_away
from archfit.scheduling.scheduler import ReservoirTieBreaker, num_feasible_nodes_to_find

from .builders import node, pod, scheduler


def test_least_allocated_and_balanced_worked_example() -> None:
    # 4 cores / 8Gi with 1 core / 2Gi requested; the pod asks 500m / 1Gi:
    # LeastAllocated floor(2500*100/4000) = 62 and floor(5Gi*100/8Gi) = 62; balanced 100.
    sched = scheduler(node("a"), node("b").cpu("8"))
    sched.bind(pod("x").cpu("1").memory("2Gi").info(), "a")
    decision = sched.schedule_one(pod("p").cpu("500m").memory("1Gi").info())
    assert decision.scores is not None
    assert decision.scores["a"]["NodeResourcesFit"] == 62
    assert decision.scores["a"]["NodeResourcesBalancedAllocation"] == 100


def test_best_effort_pods_score_with_non_zero_defaults() -> None:
    sched = scheduler(node("a").cpu("1").memory("1Gi"), node("b").cpu("1").memory("1Gi"))
    decision = sched.schedule_one(pod("p").info())
    assert decision.scores is not None
    # 100m of 1000m and 200Mi of 1Gi: (90 + 80) // 2
    assert decision.scores["a"]["NodeResourcesFit"] == 85
    assert set(decision.tie_set) == {"a", "b"}


def test_prefer_no_schedule_taint_reverse_normalised() -> None:
    sched = scheduler(node("clean"), node("flaky").taint("flaky", "true", "PreferNoSchedule"))
    decision = sched.schedule_one(pod("p").cpu("100m").info())
    assert decision.scores is not None
    assert decision.scores["clean"]["TaintToleration"] == 300
    assert decision.scores["flaky"]["TaintToleration"] == 0
    assert decision.node == "clean"


def test_preferred_node_affinity_relative_to_best_node() -> None:
    sched = scheduler(node("pi").arm64(), node("x86"), node("other"))
    p = pod("p").cpu("100m").preferred(80, "kubernetes.io/arch", "In", "arm64")
    p.preferred(20, "kubernetes.io/hostname", "In", "x86")
    decision = sched.schedule_one(p.info())
    assert decision.scores is not None
    assert {n: s["NodeAffinity"] for n, s in decision.scores.items()} == {
        "pi": 200,
        "x86": 50,
        "other": 0,
    }


def test_plugins_skipped_at_pre_score_are_absent() -> None:
    sched = scheduler(node("a"), node("b"))
    decision = sched.schedule_one(pod("p").cpu("100m").info())
    assert decision.scores is not None
    assert set(decision.scores["a"]) == {
        "TaintToleration",
        "NodeResourcesFit",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
        "total",
    }


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [(14, 14), (99, 99), (100, 100), (1000, 420), (5000, 500), (20000, 1000)],
)
def test_percentage_of_nodes_to_score(nodes: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(nodes) == expected


def test_go_rounding() -> None:
    assert [round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, 2.4999)] == [1, 2, 3, -1, 2]


def test_histogram_sorted_as_strings() -> None:
    statuses = {f"n{i}": Status.unschedulable("Insufficient cpu") for i in range(11)}
    statuses |= {
        f"c{i}": Status.unresolvable("node(s) had untolerated taint {a: }") for i in range(3)
    }
    assert fit_error_message(14, statuses, post_filter_message="x.") == (
        "0/14 nodes are available: 11 Insufficient cpu, 3 node(s) had untolerated taint {a: }. x."
    )


def test_seeded_tie_breaks_repeat_and_cover_the_tie_set() -> None:
    nodes = ["a", "b", "c", "d"]
    info = pod("p").info()
    first = [ReservoirTieBreaker(7)(info, nodes, "score") for _ in range(1)]
    again = [ReservoirTieBreaker(7)(info, nodes, "score") for _ in range(1)]
    assert first == again
    breaker = ReservoirTieBreaker(1)
    assert {breaker(info, nodes, "score") for _ in range(200)} == set(nodes)


def test_spreading_across_hostnames_hard() -> None:
    sched = scheduler(node("a"), node("b"), node("cp").control_plane())
    placed = []
    for i in range(3):
        info = (
            pod(f"p{i}").labels(app="x").cpu("10m").spread("kubernetes.io/hostname", app="x").info()
        )
        decision = sched.schedule_one(info)
        placed.append(decision.node)
        if decision.node:
            sched.bind(info, decision.node)
    # The tainted control plane is still a domain with 0 pods (nodeTaintsPolicy Ignore).
    assert sorted(n for n in placed if n) == ["a", "b"]
    assert placed[2] is None


def test_required_anti_affinity_and_first_replica_affinity() -> None:
    sched = scheduler(node("a"), node("b"))
    one = pod("one").labels(app="db").pod_anti_affinity("kubernetes.io/hostname", app="db").info()
    sched.bind(one, "a")
    two = pod("two").labels(app="db").pod_anti_affinity("kubernetes.io/hostname", app="db").info()
    assert sched.schedule_one(two).node == "b"
    intruder = pod("intruder").labels(app="db").info()
    decision = sched.schedule_one(intruder)
    assert decision.filters["a"].reasons == (
        "node(s) didn't satisfy existing pods anti-affinity rules",
    )
    lonely = pod("lonely").labels(app="cache").pod_affinity("kubernetes.io/hostname", app="cache")
    assert sched.schedule_one(lonely.info()).node in {"a", "b"}


def test_preemption_evicts_the_lowest_priority_victim() -> None:
    sched = scheduler(node("small").cpu("1"), node("big").cpu("1"))
    low = pod("low").cpu("800m").priority(10).info()
    mid = pod("mid").cpu("800m").priority(100).info()
    sched.bind(low, "small")
    sched.bind(mid, "big")
    high = pod("high").cpu("500m").priority(1000).info()
    decision = sched.schedule_one(high)
    assert decision.node is None
    assert decision.nominated_node == "small"
    assert [v.key for v in decision.victims] == ["default/low"]
    assert decision.message == "0/2 nodes are available: 2 Insufficient cpu."
    again = sched.schedule_one(high)
    assert (again.node, again.evaluated, again.scores) == ("small", 1, None)


def test_preemption_policy_never() -> None:
    sched = scheduler(node("n").cpu("1"))
    sched.bind(pod("low").cpu("1").priority(1).info(), "n")
    info = pod("p").cpu("1").priority(10).info()
    info.preemption_policy = "Never"
    decision = sched.schedule_one(info)
    assert decision.message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to "
        "preemptionPolicy=Never."
    )
