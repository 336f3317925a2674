"""Controllers stand for their children."""

from __future__ import annotations

from archfit.model.ownership import controllers
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
