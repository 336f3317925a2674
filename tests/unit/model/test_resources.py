"""Pod request math (`pod_requests`) against hand-computed values and the real scheduler's
verdicts in ../shared/fixtures/scheduler/cases/04-resources."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from archfit.model.k8s import node_from_k8s, workload_from_k8s
from archfit.model.resources import pod_requests, scheduler_units
from archfit.model.workload import SourceRef

MI = 2**20
GI = 2**30


def _pod(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def _c(
    name: str,
    requests: dict[str, str] | None = None,
    limits: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {"name": name, "image": "pause", "resources": resources, **extra}


def _requests(spec: dict[str, Any], **kw: Any) -> dict[str, Decimal]:
    workload = workload_from_k8s(_pod(spec), SourceRef("t.yaml", 1))
    return pod_requests(workload.template, **kw)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"containers": [_c("a")]}, {}, id="best-effort"),
        pytest.param(
            {
                "containers": [
                    _c("a", {"cpu": "250m", "memory": "64Mi"}),
                    _c("b", {"cpu": "750m", "memory": "192Mi"}),
                ]
            },
            {"cpu": Decimal(1), "memory": Decimal(256 * MI)},
            id="containers-sum",
        ),
        pytest.param(
            {"containers": [_c("a", limits={"cpu": "2", "memory": "2Gi"})]},
            {"cpu": Decimal(2), "memory": Decimal(2 * GI)},
            id="requests-default-to-limits",
        ),
        pytest.param(
            {"containers": [_c("a", {"cpu": "1"}, {"cpu": "2", "memory": "1Gi"})]},
            {"cpu": Decimal(1), "memory": Decimal(GI)},
            id="explicit-request-beats-limit",
        ),
        pytest.param(
            {
                "containers": [_c("a", {"cpu": "500m", "memory": "256Mi"})],
                "initContainers": [_c("i", {"cpu": "3", "memory": "64Mi"})],
            },
            {"cpu": Decimal(3), "memory": Decimal(256 * MI)},
            id="init-max-per-resource",
        ),
        pytest.param(
            # app 1/512Mi; sidecar 1/128Mi keeps running; setup 1500m/256Mi runs beside it.
            # sum: 2 cpu, 640Mi; init peak: setup + sidecar = 2.5 cpu, 384Mi → max per resource.
            {
                "containers": [_c("app", {"cpu": "1", "memory": "512Mi"})],
                "initContainers": [
                    _c("sidecar", {"cpu": "1", "memory": "128Mi"}, restartPolicy="Always"),
                    _c("setup", {"cpu": "1500m", "memory": "256Mi"}),
                ],
            },
            {"cpu": Decimal("2.5"), "memory": Decimal(640 * MI)},
            id="sidecar-adds-and-runs-beside-later-inits",
        ),
        pytest.param(
            # An init container before the sidecar does not see it running.
            {
                "containers": [_c("app", {"cpu": "100m"})],
                "initContainers": [
                    _c("first", {"cpu": "2"}),
                    _c("sidecar", {"cpu": "1"}, restartPolicy="Always"),
                ],
            },
            {"cpu": Decimal(2)},
            id="init-before-sidecar",
        ),
        pytest.param(
            {
                "containers": [_c("a", {"cpu": "500m", "memory": "256Mi"})],
                "overhead": {"cpu": "250m", "memory": "160Mi"},
            },
            {"cpu": Decimal("0.75"), "memory": Decimal(416 * MI)},
            id="overhead-added",
        ),
        pytest.param(
            {
                "containers": [
                    _c("a", {"nvidia.com/gpu": "1"}),
                    _c("b", limits={"nvidia.com/gpu": "1"}),
                ]
            },
            {"nvidia.com/gpu": Decimal(2)},
            id="extended-resources-sum",
        ),
    ],
)
def test_pod_requests(spec: dict[str, Any], expected: dict[str, Decimal]) -> None:
    assert _requests(spec) == expected


def test_non_zero_defaults_apply_per_container_only_when_missing() -> None:
    spec = {"containers": [_c("a"), _c("b", {"cpu": "0"})]}
    assert _requests(spec, non_zero=True) == {
        "cpu": Decimal("0.1"),  # 100m for a, an explicit 0 for b
        "memory": Decimal(400 * MI),
    }


def test_exclude_overhead() -> None:
    spec = {"containers": [_c("a", {"cpu": "1"})], "overhead": {"cpu": "1"}}
    assert _requests(spec, exclude_overhead=True) == {"cpu": Decimal(1)}


def test_scheduler_units_round_up() -> None:
    assert scheduler_units({"cpu": Decimal("0.0001"), "memory": Decimal("1.5")}) == {
        "cpu": 1,
        "memory": 2,
    }


CASE = Path("fixtures") / "scheduler" / "cases" / "04-resources"


def _docs(path: Path) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    out: list[dict[str, Any]] = []
    for doc in docs:
        out.extend(doc["items"] if doc.get("kind") == "List" else [doc])
    return out


@pytest.mark.shared
def test_requests_of_the_recorded_case(shared_dir: Path) -> None:
    pods = {
        d["metadata"]["name"]: pod_requests(workload_from_k8s(d, SourceRef("o", 1)).template)
        for d in _docs(shared_dir / CASE / "objects.yaml")
        if d["kind"] == "Pod"
    }
    assert pods["limits-only"] == {"cpu": Decimal(2), "memory": Decimal(2 * GI)}
    assert pods["init-larger"] == {"cpu": Decimal(3), "memory": Decimal(GI)}
    assert pods["sidecar"] == {"cpu": Decimal("2.5"), "memory": Decimal(640 * MI)}
    assert pods["init-too-big"] == {"cpu": Decimal(9), "memory": Decimal(64 * MI)}

    # The API server added the RuntimeClass overhead (250m/160Mi) to the stored pod.
    final = {d["metadata"]["name"]: d for d in _docs(shared_dir / CASE / "pods-final.yaml")}
    with_overhead = workload_from_k8s(final["with-overhead"], SourceRef("f", 1))
    assert pod_requests(with_overhead.template) == {
        "cpu": Decimal("0.75"),
        "memory": Decimal(416 * MI),
    }
    # and copied limits into requests, as the reader does.
    limits_only = final["limits-only"]["spec"]["containers"][0]["resources"]
    assert limits_only["requests"] == limits_only["limits"]

    # The scheduler said "Insufficient cpu" (and not memory) on every untainted node for
    # init-too-big: its 9 cores exceed every node's allocatable cpu, its memory fits.
    nodes = [node_from_k8s(d) for d in _docs(shared_dir / CASE / "nodes.yaml")]
    untainted = [n for n in nodes if not n.taints]
    assert len(untainted) == 11
    assert all(n.allocatable["cpu"].value < pods["init-too-big"]["cpu"] for n in untainted)
    assert all(n.allocatable["memory"].value > 64 * MI for n in untainted)
