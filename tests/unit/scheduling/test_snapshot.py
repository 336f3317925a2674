"""Snapshots: pods of the input are simulated as themselves; controllers are topped up."""

from __future__ import annotations

from typing import Any

from tests.unit.scheduling.builders import node

from archfit.model.k8s import workload_from_k8s
from archfit.model.workload import SourceRef, Workload
from archfit.scheduling.snapshot import snapshot_specs

_TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
}


def _obj(kind: str, name: str, spec: dict[str, Any], owner: str | None = None) -> Workload:
    meta: dict[str, Any] = {"name": name, "namespace": "ns"}
    if owner:
        owner_kind, _, owner_name = owner.partition("/")
        meta["ownerReferences"] = [{"kind": owner_kind, "name": owner_name, "controller": True}]
    api = "v1" if kind == "Pod" else "apps/v1"
    body = {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}
    workload = workload_from_k8s(body, SourceRef("snapshot.yaml"))
    assert workload is not None
    return workload


def _controller(
    kind: str, name: str, replicas: int | None = 3, owner: str | None = None
) -> Workload:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "web"}}, "template": _TEMPLATE}
    if replicas is not None:
        spec["replicas"] = replicas
    return _obj(kind, name, spec, owner)


def _pod(name: str, owner: str | None, node_name: str | None = None, **extra: Any) -> Workload:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx:1.27"}], **extra}
    if node_name:
        spec["nodeName"] = node_name
    return _obj("Pod", name, spec, owner)


def test_pending_pod_is_kept_and_the_replicaset_is_topped_up() -> None:
    specs = snapshot_specs(
        [
            _controller("Deployment", "web"),
            _controller("ReplicaSet", "web-abc", 3, owner="Deployment/web"),
            _pod("web-abc-bound", "ReplicaSet/web-abc", "n1"),
            _pod("web-abc-pending", "ReplicaSet/web-abc"),
        ]
    )
    assert [(s.name, s.owner, s.node) for s in specs[:2]] == [
        ("web-abc-bound", "ReplicaSet/web-abc", "n1"),
        ("web-abc-pending", "ReplicaSet/web-abc", None),
    ]
    assert len(specs) == 3
    new = specs[2]
    assert new.owner == "ReplicaSet/web-abc"
    assert new.name.startswith("web-abc-")
    assert new.name not in {"web-abc-bound", "web-abc-pending"}
    # The pending pod carries its owner's selector, which default topology spreading reads.
    assert specs[1].owner_selector is not None
    assert dict(specs[1].owner_selector.match_labels) == {"app": "web"}


def test_a_full_replicaset_gets_no_more_pods() -> None:
    specs = snapshot_specs(
        [
            _controller("ReplicaSet", "web-abc", 1),
            _pod("web-abc-1", "ReplicaSet/web-abc", "n1"),
        ]
    )
    assert [s.name for s in specs] == ["web-abc-1"]


def test_statefulset_gets_its_missing_ordinals() -> None:
    specs = snapshot_specs(
        [
            _controller("StatefulSet", "db", 3),
            _pod("db-0", "StatefulSet/db", "n1"),
            _pod("db-2", "StatefulSet/db"),
        ]
    )
    assert [(s.name, s.node) for s in specs] == [("db-0", "n1"), ("db-2", None), ("db-1", None)]


def test_daemonset_gets_pods_only_on_nodes_without_one() -> None:
    nodes = [node("n1").build(), node("n2").build(), node("n3").build()]
    pinned: dict[str, Any] = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": ["n2"]}
                            ]
                        }
                    ]
                }
            }
        }
    }
    specs = snapshot_specs(
        [
            _controller("DaemonSet", "agent", None),
            _pod("agent-a", "DaemonSet/agent", "n1"),
            _pod("agent-b", "DaemonSet/agent", **pinned),
        ],
        nodes,
    )
    assert [s.name for s in specs[:2]] == ["agent-a", "agent-b"]
    assert [s.daemon_node for s in specs[2:]] == ["n3"]


def test_deployment_without_its_replicaset_counts_pods_by_name() -> None:
    pod = _pod("api-123-x", "ReplicaSet/api-123", "n1")
    specs = snapshot_specs([_controller("Deployment", "api", 2), pod])
    assert [s.name for s in specs][:1] == ["api-123-x"]
    assert len(specs) == 2
    assert specs[1].owner is not None
    assert specs[1].owner.startswith("ReplicaSet/api-")


def test_cronjob_with_a_running_job_starts_no_other() -> None:
    cron = _obj(
        "CronJob",
        "nightly",
        {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": _TEMPLATE}}},
    )
    specs = snapshot_specs([cron, _pod("nightly-290-x", "Job/nightly-290", "n1")])
    assert [s.name for s in specs] == ["nightly-290-x"]


def test_manifests_without_pods_expand_every_controller() -> None:
    specs = snapshot_specs(
        [_controller("Deployment", "web", 2), _controller("StatefulSet", "db", 2)]
    )
    assert [s.owner.split("/")[0] if s.owner else None for s in specs] == [
        "ReplicaSet",
        "ReplicaSet",
        "StatefulSet",
        "StatefulSet",
    ]
    assert [s.name for s in specs[2:]] == ["db-0", "db-1"]
