"""The vectorised cycle decides exactly as the exact one: random clusters and workloads are
simulated both ways and every observable is compared (node, message, tie set, per-plugin
scores, filter statuses, nodes evaluated, preemption), plus the rotating start index."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archfit.model.k8s import node_from_k8s, workload_from_k8s
from archfit.model.workload import SourceRef
from archfit.scheduling.admission import admission_from_documents
from archfit.scheduling.framework.cluster import Service
from archfit.scheduling.scheduler import ReservoirTieBreaker
from archfit.scheduling.simulate import PodResult, Simulation, SimulationConfig

ZONES = ["z-a", "z-b", "z-c", ""]
TIERS = ["web", "db", "batch"]


def _node(rng: random.Random, i: int) -> dict[str, Any]:
    labels = {"kubernetes.io/arch": rng.choice(["amd64", "arm64"])}
    if rng.random() < 0.9:
        labels["kubernetes.io/hostname"] = f"n{i}"
    zone = rng.choice(ZONES)
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    if rng.random() < 0.6:
        labels["tier"] = rng.choice(TIERS)
    taints = []
    roll = rng.random()
    if roll < 0.1:
        taints.append({"key": "dedicated", "value": rng.choice(TIERS), "effect": "NoSchedule"})
    for key in ("soft", "softer"):
        if rng.random() < 0.25:
            taints.append({"key": key, "value": "x", "effect": "PreferNoSchedule"})
    allocatable = {
        "cpu": rng.choice(
            ["0", "500m", "1", "2", "4", "8", "32"] if roll > 0.95 else ["1", "2", "4"]
        ),
        "memory": rng.choice(["512Mi", "1Gi", "4Gi", "16Gi"]),
        "pods": str(rng.choice([2, 5, 20, 110])),
    }
    if rng.random() < 0.2:
        allocatable["example.com/gpu"] = str(rng.randint(0, 2))
    return {
        "metadata": {"name": f"n{i}", "labels": labels},
        "spec": {"taints": taints, "unschedulable": rng.random() < 0.05},
        "status": {"allocatable": allocatable},
    }


def _pod_spec(rng: random.Random, nodes: int) -> dict[str, Any]:
    requests: dict[str, str] = {}
    if rng.random() < 0.85:
        requests["cpu"] = rng.choice(["50m", "100m", "250m", "500m", "1", "3"])
    if rng.random() < 0.85:
        requests["memory"] = rng.choice(["64Mi", "256Mi", "1Gi", "3Gi"])
    if rng.random() < 0.1:
        requests["example.com/gpu"] = "1"
    container: dict[str, Any] = {"name": "app", "image": "nginx:1.27"}
    if requests:
        container["resources"] = {"requests": requests}
    if rng.random() < 0.05:
        container["ports"] = [{"containerPort": 80, "hostPort": 8080}]
    spec: dict[str, Any] = {"containers": [container]}
    if rng.random() < 0.3:
        spec["tolerations"] = [
            rng.choice(
                [
                    {"key": "dedicated", "operator": "Exists"},
                    {"key": "soft", "operator": "Equal", "value": "x"},
                    {"operator": "Exists", "effect": "PreferNoSchedule"},
                ]
            )
        ]
    if rng.random() < 0.2:
        spec["nodeSelector"] = {"kubernetes.io/arch": rng.choice(["amd64", "arm64"])}
    affinity: dict[str, Any] = {}
    if rng.random() < 0.15:
        affinity["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}
                ]
            }
        }
    if rng.random() < 0.3:
        affinity.setdefault("nodeAffinity", {})[
            "preferredDuringSchedulingIgnoredDuringExecution"
        ] = [
            {
                "weight": rng.randint(1, 100),
                "preference": {
                    "matchExpressions": [
                        {"key": "tier", "operator": "In", "values": [rng.choice(TIERS)]}
                    ]
                },
            }
            for _ in range(rng.randint(1, 2))
        ]
    if rng.random() < 0.05:
        affinity["podAntiAffinity"] = {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"team": "a"}},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        }
    if affinity:
        spec["affinity"] = affinity
    if rng.random() < 0.1:
        # One or two constraints over different keys: nodes missing one of them are ignored
        # by ScheduleAnyway scoring.
        keys = rng.sample(["topology.kubernetes.io/zone", "kubernetes.io/hostname", "tier"], 2)
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": rng.randint(1, 3),
                "topologyKey": key,
                "whenUnsatisfiable": rng.choice(
                    ["ScheduleAnyway", "ScheduleAnyway", "DoNotSchedule"]
                ),
                "labelSelector": {"matchLabels": {"team": "a"}},
            }
            for key in keys[: rng.randint(1, 2)]
        ]
    if rng.random() < 0.3:
        spec["priorityClassName"] = rng.choice(["high", "low"])
    if rng.random() < 0.05 and nodes:
        spec["nodeName"] = f"n{rng.randrange(nodes)}"
    return spec


def _workload(rng: random.Random, i: int, nodes: int) -> dict[str, Any]:
    kind = rng.choice(
        ["Deployment", "Deployment", "ReplicaSet", "StatefulSet", "Job", "Pod", "DaemonSet"]
    )
    labels = {"app": f"w{i}", "team": rng.choice(["a", "b"])}
    spec = _pod_spec(rng, nodes)
    meta = {"name": f"w{i}", "namespace": rng.choice(["default", "other"])}
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {**meta, "labels": labels},
            "spec": spec,
        }
    spec.pop("nodeName", None)
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"app": f"w{i}"}},
        "template": {"metadata": {"labels": labels}, "spec": spec},
    }
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        body["replicas"] = rng.randint(1, 8)
    if kind == "Job":
        body = {"parallelism": rng.randint(1, 4), "completions": 4, "template": body["template"]}
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": body}


def _observe(results: list[PodResult]) -> list[tuple[Any, ...]]:
    out = []
    for r in results:
        d = r.decision
        decision = None
        if d is not None:
            decision = (
                d.node,
                d.message,
                d.tie_set,
                d.scores,
                {name: (s.code, s.reasons, s.plugin) for name, s in d.filters.items()},
                d.evaluated,
                d.feasible,
                d.nominated_node,
                tuple(v.key for v in d.victims),
            )
        out.append((r.pod.key, r.node, r.message, r.preempted_by, r.victims, decision))
    return out


def _simulate(seed: int, *, fast: bool) -> tuple[list[tuple[Any, ...]], int, int]:
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    big = rng.random() < 0.3
    count = rng.randint(100, 180) if big else rng.randint(1, 25)
    nodes = [node_from_k8s(_node(rng, i)) for i in range(count)]
    workloads = [
        workload_from_k8s(_workload(rng, i, count), SourceRef("random"))
        for i in range(rng.randint(1, 40 if big else 20))
    ]
    admission = admission_from_documents(
        [
            {
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": "high"},
                "value": 1000,
            },
            {
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": "low"},
                "value": -5,
            },
        ]
    )
    services = [Service("default", "team-a", {"team": "a"})] if rng.random() < 0.5 else []
    config = SimulationConfig(
        version=rng.choice(["1.32", "1.33", "1.34"]),
        seed=rng.randint(0, 3),
        percentage_of_nodes_to_score=rng.choice([0, 0, 5, 30, 100]),
        explain=True,
        fast=fast,
        fast_min_nodes=0,
    )
    sim = Simulation(nodes, workloads, admission=admission, services=services, config=config)
    results = sim.run()
    fast_cycles = 0 if sim.scheduler.fast is None else sim.scheduler.fast.accepted
    return _observe(results), sim.scheduler.next_start, fast_cycles


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32))
def test_fast_and_exact_cycles_decide_identically(seed: int) -> None:
    exact, exact_start, _ = _simulate(seed, fast=False)
    fast, fast_start, _ = _simulate(seed, fast=True)
    assert len(fast) == len(exact)
    for got, want in zip(fast, exact, strict=True):
        assert got == want
    assert fast_start == exact_start


def test_random_clusters_exercise_the_fast_cycle() -> None:
    """The equivalence above is not vacuous: most cycles take the vectorised path, including
    on clusters large enough to sample."""
    accepted = [_simulate(seed, fast=True)[2] for seed in range(8)]
    assert sum(accepted) > 100
    assert sum(1 for n in accepted if n) >= 5


def test_inlined_reservoir_draws_as_randrange() -> None:
    def reference(seed: int, nodes: list[str]) -> list[str]:
        rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        picks = []
        for _ in range(5):
            chosen = nodes[0]
            for count, node in enumerate(nodes[1:], start=2):
                if rng.randrange(count) == 0:
                    chosen = node
            picks.append(chosen)
        return picks

    for seed in range(20):
        for size in (2, 3, 7, 64, 65, 300):
            nodes = [f"n{i}" for i in range(size)]
            breaker = ReservoirTieBreaker(seed)
            got = [breaker(None, nodes, "score") for _ in range(5)]  # type: ignore[arg-type]
            assert got == reference(seed, nodes)
