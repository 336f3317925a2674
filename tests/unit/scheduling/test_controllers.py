"""Controller expansion and admission: what the API server and controllers make of a workload."""

from __future__ import annotations

from typing import Any

from archfit.model.k8s import workload_from_k8s
from archfit.model.workload import SourceRef
from archfit.scheduling.admission import admission_from_documents
from archfit.scheduling.controllers import daemon_node_names, expand

from .builders import node


def _workload(kind: str, spec: dict[str, Any], name: str = "w") -> Any:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }
    return workload_from_k8s(body, SourceRef("test.yaml"))


POD_TEMPLATE = {
    "metadata": {"labels": {"app": "w"}},
    "spec": {
        "containers": [{"name": "c", "image": "nginx", "resources": {"limits": {"cpu": "1"}}}]
    },
}


def test_deployment_pods_are_owned_by_one_replicaset_with_a_hash_label() -> None:
    pods = expand(
        _workload(
            "Deployment",
            {"replicas": 3, "selector": {"matchLabels": {"app": "w"}}, "template": POD_TEMPLATE},
        )
    )
    assert len(pods) == 3
    owners = {p.owner for p in pods}
    assert len(owners) == 1
    (owner,) = owners
    assert owner is not None
    assert owner.startswith("ReplicaSet/w-")
    assert all("pod-template-hash" in p.template.labels for p in pods)
    assert len({p.name for p in pods}) == 3


def test_statefulset_pods_and_claims() -> None:
    spec = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "w"}},
        "template": POD_TEMPLATE,
        "volumeClaimTemplates": [
            {"metadata": {"name": "data"}, "spec": {"storageClassName": "local-path"}}
        ],
    }
    pods = expand(_workload("StatefulSet", spec, "db"))
    assert [p.name for p in pods] == ["db-0", "db-1"]
    assert [c.name for c in pods[1].claims] == ["data-db-1"]
    assert any(v.claim_name == "data-db-1" for v in pods[1].template.volumes)


def test_job_runs_min_of_parallelism_and_completions() -> None:
    pods = expand(_workload("Job", {"parallelism": 5, "completions": 2, "template": POD_TEMPLATE}))
    assert len(pods) == 2
    assert all(p.owner == "Job/w" for p in pods)


def test_daemonset_nodes_tolerations_and_pinning() -> None:
    nodes = [
        node("cp").control_plane().build(),
        node("cordoned").cordon().taint("node.kubernetes.io/unschedulable").build(),
        node("pi").arm64().cpu("1").build(),
        node("gpu").taint("nvidia.com/gpu", "present").build(),
    ]
    ds = _workload(
        "DaemonSet", {"selector": {"matchLabels": {"app": "w"}}, "template": POD_TEMPLATE}
    )
    assert daemon_node_names(ds, nodes) == ["cordoned", "pi"]
    pods = expand(ds, nodes)
    pinned = pods[1].template.node_affinity
    assert pinned is not None
    assert pinned.required is not None
    assert pinned.required.terms[0].match_fields[0].values == ("pi",)
    keys = [t.key for t in pods[0].template.tolerations]
    assert keys == [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ]


def test_admission_priority_overhead_tolerations_and_host_network_ports() -> None:
    admission = admission_from_documents(
        [
            {
                "kind": "PriorityClass",
                "metadata": {"name": "high"},
                "value": 1000,
                "preemptionPolicy": "Never",
            },
            {
                "kind": "PriorityClass",
                "metadata": {"name": "default"},
                "value": 5,
                "globalDefault": True,
            },
            {
                "kind": "RuntimeClass",
                "metadata": {"name": "kata"},
                "overhead": {"podFixed": {"cpu": "250m"}},
            },
        ]
    )
    spec = {
        "runtimeClassName": "kata",
        "priorityClassName": "high",
        "hostNetwork": True,
        "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 9100}]}],
    }
    pod = expand(_workload("Deployment", {"replicas": 1, "template": {"spec": spec}}))[0]
    template = admission.admit(pod.template)
    assert admission.priority(template) == (1000, "Never")
    assert str(template.overhead["cpu"]) == "0.25"
    assert template.containers[0].ports[0].host_port == 9100
    assert [(t.key, t.toleration_seconds) for t in template.tolerations] == [
        ("node.kubernetes.io/not-ready", 300),
        ("node.kubernetes.io/unreachable", 300),
    ]
    bare = expand(_workload("Deployment", {"replicas": 1, "template": POD_TEMPLATE}))[0]
    assert admission.priority(admission.admit(bare.template)) == (5, "PreemptLowerPriority")
