"""Replays a case recorded from a real kube-scheduler, pod by pod.

Every pod is decided on the cluster state the real scheduler had: before each decision, every
earlier pod is bound where the recording says it was bound (not where the simulator would have
put it). Ties are forced to the recorded choice through the tie-breaker hook, so later pods see
the same cluster. Controller pods are matched to recorded ones by owner and order (DaemonSet
pods by the node they are pinned to, read from `pods-final.yaml`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archfit.model.k8s import node_from_k8s, workload_from_k8s
from archfit.model.workload import SourceRef
from archfit.scheduling.admission import admission_from_documents
from archfit.scheduling.controllers import PodSpec, expand
from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.scheduler import Scheduler

WORKLOAD_KINDS = {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"}


class ForcedTies:
    """Picks the recorded node when it is among the tied ones; remembers what it was asked."""

    def __init__(self) -> None:
        self.wanted: dict[int, str] = {}
        self.asked: list[tuple[str, tuple[str, ...], str]] = []

    def __call__(self, pod: PodInfo, nodes: Sequence[str], kind: str) -> str:
        self.asked.append((pod.key, tuple(nodes), kind))
        want = self.wanted.get(id(pod))
        return want if want is not None and want in nodes else nodes[0]


@dataclass
class Mismatch:
    pod: str
    what: str
    expected: Any
    actual: Any


@dataclass
class ReplayResult:
    case: str
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    scheduler: Scheduler | None = None
    pods: dict[str, PodInfo] = field(default_factory=dict)
    # (pod, tied nodes, kind) every time the simulator had to break a tie.
    ties: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)


def _load_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _pod_specs(case: Path, nodes: list[Any], records: list[dict[str, Any]]) -> dict[str, PodSpec]:
    """Recorded pod name -> the PodSpec the simulator's controllers produce for it."""
    objects = _load_all(case / "objects.yaml")
    final = {
        p["metadata"]["name"]: p
        for p in yaml.safe_load((case / "pods-final.yaml").read_text())["items"]
    }
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(records, key=lambda r: r["creationOrder"]):
        by_owner.setdefault(record["owner"] or "", []).append(record)
    out: dict[str, PodSpec] = {}
    for i, obj in enumerate(objects):
        if obj.get("kind") not in WORKLOAD_KINDS:
            continue
        workload = workload_from_k8s(obj, SourceRef("objects.yaml", i + 1))
        specs = expand(workload, nodes)
        if workload.kind == "Pod":
            out[workload.name] = specs[0]
        elif workload.kind == "DaemonSet":
            pinned = {}
            for record in by_owner.get(f"DaemonSet/{workload.name}", []):
                terms = final[record["name"]]["spec"]["affinity"]["nodeAffinity"][
                    "requiredDuringSchedulingIgnoredDuringExecution"
                ]["nodeSelectorTerms"]
                pinned[terms[0]["matchFields"][0]["values"][0]] = record["name"]
            assert set(pinned) == {s.daemon_node for s in specs}, (workload.name, pinned)
            for spec in specs:
                out[pinned[spec.daemon_node or ""]] = spec
        else:
            prefix = {"Deployment": "ReplicaSet/", "ReplicaSet": "ReplicaSet/"}.get(
                workload.kind, f"{workload.kind}/"
            )
            owned = [
                r
                for owner, rs in by_owner.items()
                if owner.startswith(prefix + workload.name)
                for r in rs
            ]
            owned.sort(key=lambda r: r["creationOrder"])
            assert len(owned) == len(specs), (workload.name, len(owned), len(specs))
            for record, spec in zip(owned, specs, strict=True):
                out[record["name"]] = spec
    return out


def replay(case: Path, *, fast: bool = True) -> ReplayResult:
    """Replay `case` through the scheduler; `fast` False forces the exact (per-node) cycle."""
    result_doc = json.loads((case / "result.json").read_text())
    records: list[dict[str, Any]] = result_doc["pods"]
    nodes = [node_from_k8s(n) for n in yaml.safe_load((case / "nodes.yaml").read_text())["items"]]
    admission = admission_from_documents(_load_all(case / "objects.yaml"))
    ties = ForcedTies()
    cluster = Cluster(nodes)
    scheduler = Scheduler(cluster, version="1.32", tie_breaker=ties, fast=fast, fast_min_nodes=0)
    specs = _pod_specs(case, nodes, records)
    out = ReplayResult(case.name, scheduler=scheduler, ties=ties.asked)
    assert set(specs) == {r["name"] for r in records}, "simulated pods differ from recorded ones"
    by_name: dict[str, PodInfo] = {}
    for record in records:
        spec = specs[record["name"]]
        template = admission.admit(spec.template)
        priority, policy = admission.priority(template)
        by_name[record["name"]] = PodInfo(
            spec.namespace,
            record["name"],
            template,
            owner=spec.owner,
            owner_selector=spec.owner_selector,
            priority=priority,
            preemption_policy=policy,
            arrival=record["creationOrder"],
        )
    out.pods = by_name
    victims_of: dict[str, set[str]] = {}
    for record in records:
        if record.get("preemptedBy"):
            victims_of.setdefault(record["preemptedBy"], set()).add(
                f"{record['namespace']}/{record['name']}"
            )

    def check(name: str, what: str, expected: Any, actual: Any) -> None:
        out.checked += 1
        if expected != actual:
            out.mismatches.append(Mismatch(name, what, expected, actual))

    for record in sorted(records, key=lambda r: r["creationOrder"]):
        name = record["name"]
        pod = by_name[name]
        check(name, "owner", _owner_shape(record["owner"]), _owner_shape(pod.owner))
        ties.wanted[id(pod)] = record.get("nominatedNodeName") or record["nodeName"] or ""
        decision = scheduler.schedule_one(pod)
        key = f"{record['namespace']}/{name}"
        if record.get("nominatedNodeName"):
            check(name, "first attempt message", record["failedScheduling"], decision.message)
            check(name, "nominated node", record["nominatedNodeName"], decision.nominated_node)
            check(name, "victims", victims_of.get(key, set()), {v.key for v in decision.victims})
            decision = scheduler.schedule_one(pod)
        expected_node = record["nodeName"]
        check(name, "node", expected_node, decision.node)
        if decision.node is None or not record.get("nominatedNodeName"):
            check(
                name,
                "message",
                record["failedScheduling"] if decision.node is None else None,
                decision.message,
            )
        if expected_node is not None:
            check(
                name,
                "tie set",
                tuple(sorted(record.get("tieSet") or ())),
                tuple(sorted(decision.tie_set)),
            )
            check(name, "scores", record["scores"], decision.scores)
            check(name, "feasible", record.get("feasibleNodes"), decision.feasible)
            scheduler.bind(pod, expected_node)
    return out


def _owner_shape(owner: str | None) -> str | None:
    """Owners with generated names (`ReplicaSet/web-5f9dfcd754`) compared without the hash."""
    if owner is None or not owner.startswith("ReplicaSet/"):
        return owner
    return owner.rsplit("-", 1)[0]
