"""What-ifs: failure semantics, the N-1 sweep, drain with PodDisruptionBudgets, the control
plane, and arm64 suggestions."""

from __future__ import annotations

from typing import Any

from archfit.model.k8s import pvc_from_k8s, storage_class_from_k8s, workload_from_k8s
from archfit.model.selectors import LabelSelector
from archfit.model.workload import SourceRef, Workload
from archfit.scheduling.framework.cluster import DisruptionBudget, Storage
from archfit.scheduling.simulate import Simulation
from archfit.scheduling.suggest import suggest
from archfit.scheduling.whatif import control_plane_findings, drain, fail, fail_each

from .builders import node


def _w(kind: str, name: str, spec: dict[str, Any], **pod_spec: Any) -> Workload:
    template = {
        "metadata": {"labels": {"app": name}},
        "spec": {
            "containers": [
                {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "500m"}}}
            ],
            **pod_spec,
        },
    }
    body: dict[str, Any] = {
        "kind": kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": {**spec, "template": template} if kind != "Pod" else template["spec"],
    }
    if kind != "Pod":
        body["spec"].setdefault("selector", {"matchLabels": {"app": name}})
    else:
        body["metadata"]["labels"] = {"app": name}
    return workload_from_k8s(body, SourceRef("t.yaml"))


def _simulation(*, budgets: tuple[DisruptionBudget, ...] = ()) -> Simulation:
    nodes = [
        node("cp").control_plane().build(),
        node("a").build(),
        node("b").build(),
        node("pi").arm64().cpu("3500m").memory("6Gi").build(),
    ]
    local = storage_class_from_k8s(
        {
            "metadata": {"name": "local-path"},
            "provisioner": "rancher.io/local-path",
            "volumeBindingMode": "WaitForFirstConsumer",
        }
    )
    claim = pvc_from_k8s(
        {
            "metadata": {"name": "cache", "namespace": "default"},
            "spec": {"storageClassName": "local-path"},
        }
    )
    workloads = [
        _w("DaemonSet", "agent", {}),
        _w("StatefulSet", "db", {"replicas": 1}, nodeSelector={"kubernetes.io/hostname": "a"}),
        _w("Deployment", "web", {"replicas": 2}, nodeSelector={"kubernetes.io/arch": "amd64"}),
        _w(
            "Deployment",
            "cache",
            {"replicas": 1},
            nodeSelector={"kubernetes.io/arch": "amd64"},
            volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": "cache"}}],
        ),
        _w("Pod", "solo", {}, nodeSelector={"kubernetes.io/hostname": "b"}),
    ]
    sim = Simulation(nodes, workloads, storage=Storage.of([claim], [], [local]), budgets=budgets)
    sim.run()
    return sim


def _where(sim: Simulation) -> dict[str, str | None]:
    return {r.pod.key: r.node for r in sim.results}


def test_baseline_places_everything_and_pins_the_local_claim() -> None:
    sim = _simulation()
    assert all(r.node for r in sim.results)
    pinned = sim.cluster.storage.pinned
    assert list(pinned) == [("default", "cache")]
    cache = next(
        r for r in sim.results if r.pod.owner and r.pod.owner.startswith("ReplicaSet/cache")
    )
    assert pinned[("default", "cache")] == cache.node


def test_failure_semantics() -> None:
    sim = _simulation()
    verdict = fail(sim, ["a"])
    outcomes = {d.pod.split("/")[1].split("-")[0]: d.outcome for d in verdict.displaced}
    assert outcomes["db"] == "stuck"
    assert outcomes["agent"] == "lost"
    assert not verdict.ok
    web_on_a = [d for d in verdict.displaced if d.owner and d.owner.startswith("ReplicaSet/web")]
    assert all(d.outcome == "rescheduled" and d.node == "b" for d in web_on_a)
    on_b = fail(sim, ["b"])
    by_owner = {(d.owner or d.pod): d for d in on_b.displaced}
    assert by_owner["default/solo"].outcome == "gone"
    pinned_to = sim.cluster.storage.pinned[("default", "cache")]
    lost_disk = fail(sim, [pinned_to])
    cache = next(
        d for d in lost_disk.displaced if d.owner and d.owner.startswith("ReplicaSet/cache")
    )
    assert cache.outcome == "pinned"
    assert cache.message is not None
    assert "didn't match PersistentVolume's node affinity" in cache.message
    # The what-if never touches the baseline.
    assert _where(sim) == _where(_simulation())


def test_sweep_ranks_the_worst_node_first() -> None:
    sweep = fail_each(_simulation())
    assert [w.nodes[0] for w in sweep][:2] in (["b", "a"], ["a", "b"])
    assert sweep[-1].ok
    assert sweep[0].impact >= sweep[1].impact >= sweep[-1].impact


def test_drain_moves_statefulsets_and_respects_budgets() -> None:
    sim = _simulation()
    verdict = drain(sim, "a")
    outcomes = {d.pod.split("/")[1].split("-")[0]: d.outcome for d in verdict.displaced}
    assert "agent" not in outcomes  # DaemonSet pods are ignored by drain
    assert outcomes["db"] == "pending"  # pinned to a by its nodeSelector: nowhere to go
    budget = DisruptionBudget("default", "web", LabelSelector({"app": "web"}), min_available=2)
    blocked = drain(_simulation(budgets=(budget,)), "a")
    web = [d for d in blocked.displaced if d.owner and d.owner.startswith("ReplicaSet/web")]
    assert web
    assert all(d.outcome == "blocked" for d in web)
    assert "PodDisruptionBudget default/web" in (web[0].message or "")


def test_control_plane_findings() -> None:
    one = [node("cp").control_plane().build(), node("w").build()]
    assert [f.code for f in control_plane_findings(one)] == ["single-control-plane"]
    two = [node("c1").control_plane().build(), node("c2").control_plane().build()]
    assert [f.code for f in control_plane_findings(two)] == ["even-etcd-members"]
    three = [node(f"c{i}").control_plane().build() for i in range(3)]
    assert control_plane_findings(three) == []


def test_suggest_moves_what_fits_and_explains_the_rest() -> None:
    sim = _simulation()
    suggestions, after = suggest(sim, lambda image: image == "nginx" or None)
    verdicts = {s.workload: (s.verdict, s.reasons) for s in suggestions}
    assert verdicts["Deployment/default/web"][0] == "movable"
    assert verdicts["Deployment/default/cache"][0] == "blocked"
    # A local-path claim is node-local (the rule `check` uses too), not cluster storage.
    assert verdicts["Deployment/default/cache"][1] == [
        "keeps its data cache (local-path) on the node it runs on",
    ]
    web = [
        r.node for r in after.results if r.pod.owner and r.pod.owner.startswith("ReplicaSet/web")
    ]
    assert web == ["pi", "pi"]
