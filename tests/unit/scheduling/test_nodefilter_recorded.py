"""The filter predicates against FailedScheduling messages recorded from kube-scheduler 1.32.

Each recorded case lists its nodes, the pods in creation order, where they were bound and the
message of every pod that failed. Replaying the earlier bindings onto the nodes, the Filter
phase `archfit check` runs and `fit_error` must produce the recorded message (up to the
PostFilter `preemption:` part, which archfit does not simulate).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from archfit.model.k8s import node_from_k8s, workload_from_k8s
from archfit.model.node import Node
from archfit.model.pod import PodTemplate
from archfit.model.workload import SourceRef
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.nodefilter import LonePodFilter, fit_error, node_info

CASES = [
    "02-node-selector",
    "03-taints-tolerations",
    "04-resources",
    "05-extended-resources",
    "12-cordon-noexecute",
]


def _load(case_dir: Path) -> tuple[list[Node], dict[str, PodTemplate], dict[str, Any]]:
    nodes_doc = yaml.safe_load((case_dir / "nodes.yaml").read_text())
    nodes = [node_from_k8s(item) for item in nodes_doc["items"]]
    pods: dict[str, PodTemplate] = {}
    for doc in yaml.safe_load_all((case_dir / "pods-final.yaml").read_text()):
        items = doc.get("items", [doc]) if isinstance(doc, dict) else []
        for item in items:
            if item.get("kind", "Pod") != "Pod":
                continue
            workload = workload_from_k8s({"kind": "Pod", **item}, SourceRef("pods-final.yaml"))
            pods[workload.name] = workload.template
    result = json.loads((case_dir / "result.json").read_text())
    return nodes, pods, result


def _recorded(shared: Path) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for case in CASES:
        result = json.loads((shared / case / "result.json").read_text())
        out.extend(
            (case, pod["name"], pod["failedScheduling"])
            for pod in result["pods"]
            if pod.get("failedScheduling")
        )
    return out


def test_recorded_cases_have_failures(shared_dir: Path) -> None:
    # Guards the parametrised test below against silently testing nothing.
    assert len(_recorded(shared_dir / "fixtures/scheduler/cases")) >= 15


@pytest.mark.parametrize("case", CASES)
def test_failed_scheduling_messages_match(shared_dir: Path, case: str) -> None:
    case_dir = shared_dir / "fixtures/scheduler/cases" / case
    nodes, pods, result = _load(case_dir)
    ordered = sorted(result["pods"], key=lambda p: p["creationOrder"])
    checked = 0
    for index, pod in enumerate(ordered):
        if not pod.get("failedScheduling"):
            continue
        infos = {node.name: node_info(node) for node in nodes}
        for earlier in ordered[:index]:
            node_name = earlier.get("nodeName")
            if not node_name or earlier.get("deleted"):
                continue
            infos[node_name].add_pod(PodInfo("default", earlier["name"], pods[earlier["name"]]))
        phase = LonePodFilter()
        candidate = phase.pod(pods[pod["name"]])
        reasons = {}
        for node in nodes:
            found = phase.reasons(candidate, infos[node.name])
            if found:
                reasons[node.name] = found
        expected = pod["failedScheduling"].split(" preemption:")[0]
        assert fit_error(len(nodes), reasons) == expected, pod["name"]
        checked += 1
    assert checked > 0
