"""Cluster states for the exporter's tests, built from the recorded API server responses.

`recorded` is the recording as it ended: the legacy-app pod in CrashLoopBackOff with `exec format
error` (pod-crashloop.json replaces its Running copy in pods.json). `broken` adds, by hand, what
the alerts are about: fluent-bit crashing with `exec format error` on every arm64 node (a DaemonSet
arch gap), two pods of `web/ppc-app` Pending on an arch no node has, and a PostgreSQL pod on the
Pi durnan. Expected values in the tests are computed by hand from these objects.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from archfit.service.exporter.view import RESOURCES

Obj = dict[str, Any]

ARM64_NODES = ("durnan", "elaith", "jarlaxle", "mirt", "volo")
UNSCHEDULABLE_ARCH = (
    "0/14 nodes are available: 14 node(s) didn't match Pod's node affinity/selector. "
    "preemption: 0/14 nodes are available: 14 Preemption is not helpful for scheduling."
)
_FILES = {
    "nodes": "nodes.json",
    "pods": "pods.json",
    "replicasets": "replicasets.json",
    "jobs": "jobs.json",
    "daemonsets": "daemonsets.json",
    "events": "events.json",
}


def _items(fixtures: Path, name: str) -> list[Obj]:
    items: list[Obj] = json.loads((fixtures / name).read_text())["items"]
    return items


def recorded(fixtures: Path) -> dict[str, list[Obj]]:
    state = {resource: _items(fixtures, _FILES[resource]) for resource in RESOURCES}
    crashing = json.loads((fixtures / "pod-crashloop.json").read_text())
    state["pods"] = [
        crashing if p["metadata"]["name"] == crashing["metadata"]["name"] else p
        for p in state["pods"]
    ]
    return state


def _crash(pod: Obj, message: str) -> None:
    container = pod["spec"]["containers"][0]
    pod["status"]["conditions"] = [
        {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
        {"type": "PodScheduled", "status": "True"},
    ]
    pod["status"]["containerStatuses"] = [
        {
            "name": container["name"],
            "image": container["image"],
            "ready": False,
            "restartCount": 4,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s"}},
            "lastState": {"terminated": {"exitCode": 255, "reason": "Error", "message": message}},
        }
    ]


def _pending(template: Obj, name: str, uid: str) -> Obj:
    pod = copy.deepcopy(template)
    meta = pod["metadata"]
    meta["name"] = name
    meta["uid"] = uid
    meta["labels"] = {"app": "ppc-app"}
    meta["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "ppc-app-5d4f8b9c7",
            "uid": "00000000-0000-0000-0000-00000000ab01",
            "controller": True,
        }
    ]
    spec = pod["spec"]
    spec.pop("nodeName", None)
    spec["nodeSelector"] = {"kubernetes.io/arch": "ppc64le"}
    spec["containers"] = [
        {
            "name": "app",
            "image": "registry.example.com/ppc-app:0.9",
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
        }
    ]
    pod["status"] = {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": UNSCHEDULABLE_ARCH,
            }
        ],
    }
    return pod


def broken(fixtures: Path) -> dict[str, list[Obj]]:
    state = recorded(fixtures)
    pods = state["pods"]
    by_name = {p["metadata"]["name"]: p for p in pods}
    for pod in pods:
        if pod["metadata"]["name"].startswith("fluent-bit-") and (
            pod["spec"]["nodeName"] in ARM64_NODES
        ):
            _crash(pod, "exec /fluent-bit/bin/fluent-bit: exec format error")
    template = by_name["legacy-app-78b6c69cd-6dv8c"]
    pods.append(
        _pending(template, "ppc-app-5d4f8b9c7-aaaaa", "00000000-0000-0000-0000-00000000aa01")
    )
    pods.append(
        _pending(template, "ppc-app-5d4f8b9c7-bbbbb", "00000000-0000-0000-0000-00000000aa02")
    )
    state["replicasets"].append(
        {
            "metadata": {
                "name": "ppc-app-5d4f8b9c7",
                "namespace": "web",
                "uid": "00000000-0000-0000-0000-00000000ab01",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": "ppc-app",
                        "controller": True,
                    }
                ],
            },
            "spec": {"replicas": 2},
            "status": {"replicas": 2},
        }
    )
    pi_db = copy.deepcopy(by_name["db-0"])
    pi_db["metadata"]["name"] = "pi-db-0"
    pi_db["metadata"]["uid"] = "00000000-0000-0000-0000-00000000aa03"
    pi_db["metadata"]["ownerReferences"][0]["name"] = "pi-db"
    pi_db["spec"]["nodeName"] = "durnan"
    pods.append(pi_db)
    return state
