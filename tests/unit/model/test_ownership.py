"""Controllers stand for their children; bound pods are the running state."""

from __future__ import annotations

from archfit.model.ownership import controllers, running_state
from archfit.model.pod import Container, PodTemplate
from archfit.model.workload import SourceRef, Workload


def _w(kind: str, name: str, owner: str | None = None, node: str | None = None) -> Workload:
    template = PodTemplate(containers=(Container("c", "nginx:1.27", None),), node_name=node)
    return Workload(kind, "ns", name, template, SourceRef("test.yaml"), owner=owner)


def _names(ws: list[Workload]) -> list[str]:
    return [f"{w.kind}/{w.name}" for w in ws]


def test_controllers_keep_the_top_of_each_chain() -> None:
    ws = [
        _w("Deployment", "web"),
        _w("ReplicaSet", "web-abc", "Deployment/web"),
        _w("Pod", "web-abc-1", "ReplicaSet/web-abc", "n1"),
        _w("Pod", "lonely", "ReplicaSet/gone-xyz", "n1"),
    ]
    assert _names(controllers(ws)) == ["Deployment/web", "Pod/lonely"]


def test_running_state_keeps_bound_pods_and_drops_their_controllers() -> None:
    ws = [
        _w("Deployment", "web"),
        _w("ReplicaSet", "web-abc", "Deployment/web"),
        _w("Pod", "web-abc-1", "ReplicaSet/web-abc", "n1"),
        _w("Deployment", "idle"),
        _w("ReplicaSet", "idle-def", "Deployment/idle"),
        _w("Pod", "idle-def-1", "ReplicaSet/idle-def"),  # pending: its ReplicaSet recreates it
        _w("CronJob", "nightly"),
        _w("Job", "nightly-1", "CronJob/nightly"),
        _w("Deployment", "api"),  # its ReplicaSet is not in the input
        _w("Pod", "api-123-1", "ReplicaSet/api-123", "n2"),
        _w("Pod", "bare"),
    ]
    assert _names(running_state(ws)) == [
        "Pod/web-abc-1",
        "Deployment/idle",
        "CronJob/nightly",
        "Pod/api-123-1",
        "Pod/bare",
    ]


def test_pending_pod_without_its_owner_is_kept_and_stands_for_its_controller() -> None:
    ws = [_w("Deployment", "api"), _w("Pod", "api-123-1", "ReplicaSet/api-123")]
    assert _names(running_state(ws)) == ["Pod/api-123-1"]


def test_owner_in_another_namespace_does_not_count() -> None:
    other = Workload("Deployment", "other", "web", _w("Pod", "x").template, SourceRef("t.yaml"))
    ws = [other, _w("Pod", "web-abc-1", "ReplicaSet/web-abc", "n1")]
    assert _names(running_state(ws)) == ["Deployment/web", "Pod/web-abc-1"]
