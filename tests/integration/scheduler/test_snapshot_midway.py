"""A snapshot taken mid-way through a recorded case: a Deployment of 8 replicas whose
ReplicaSet has created only some pods, one of them still Pending.

Case 07 (topology spread) ends with Deployment `web` (8 replicas, no constraints of its own:
system default spreading over the ReplicaSet's selector). The snapshot holds every pod bound
before `web-5f9dfcd754-wlfzl` (57th created), that pod without a node, the Deployment and its
ReplicaSet, and none of the four later pods. Simulating it must schedule the Pending pod under
its own name where the real scheduler put it (the recorded tie set: drizzt, khelben, regis) and
create the four missing replicas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from archfit.model.k8s import node_from_k8s, workload_from_k8s
from archfit.model.workload import SourceRef, Workload
from archfit.scheduling.simulate import Simulation, SimulationConfig

pytestmark = pytest.mark.shared

PENDING = "web-5f9dfcd754-wlfzl"
RECORDED_TIE_SET = {"drizzt", "khelben", "regis"}


def _items(path: Path) -> list[dict[str, Any]]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    items = loaded["items"]
    assert isinstance(items, list)
    return items


def _workload(body: dict[str, Any]) -> Workload:
    workload = workload_from_k8s(body, SourceRef("snapshot.yaml"))
    assert workload is not None
    return workload


def test_pending_pod_and_missing_replicas_of_a_recorded_case(shared_dir: Path) -> None:
    case = shared_dir / "fixtures" / "scheduler" / "cases" / "07-topology-spread"
    nodes = [node_from_k8s(n) for n in _items(case / "nodes.yaml")]
    result = json.loads((case / "result.json").read_text())
    bind_order = {p["name"]: p.get("bindOrder") for p in result["pods"]}
    cutoff = bind_order[PENDING]
    pods: list[Workload] = []
    for body in _items(case / "pods-final.yaml"):
        name = body["metadata"]["name"]
        order = bind_order.get(name)
        if name == PENDING:
            body["spec"].pop("nodeName", None)
            pods.append(_workload(body))
        elif body["spec"].get("nodeName") and order is not None and order < cutoff:
            pods.append(_workload(body))
    deployment = next(
        d
        for d in yaml.safe_load_all((case / "objects.yaml").read_text())
        if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "web"
    )
    labels = {"app": "web", "pod-template-hash": "5f9dfcd754"}
    replicaset = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-5f9dfcd754",
            "namespace": "default",
            "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
        },
        "spec": {
            "replicas": 8,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": deployment["spec"]["template"]["spec"],
            },
        },
    }
    web_before = [p.name for p in pods if p.name.startswith("web-")]
    assert len(web_before) == 4  # three bound, one Pending: the state the test is about

    workloads = [_workload(deployment), _workload(replicaset), *pods]
    simulation = Simulation(nodes, workloads, config=SimulationConfig(seed=0))
    results = simulation.run()

    web = [r for r in results if r.spec.owner == "ReplicaSet/web-5f9dfcd754"]
    assert len(web) == 8
    assert all(r.scheduled for r in web)
    pending = next(r for r in web if r.spec.name == PENDING)
    assert pending.node in RECORDED_TIE_SET
    assert not pending.bound_in_input
    created = [r for r in web if r.spec.name not in web_before]
    assert len(created) == 4  # 8 replicas, 4 present
