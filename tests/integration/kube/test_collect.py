"""Reading the recorded cluster into the model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from archfit.kube.client import KubeApi
from archfit.kube.collect import LiveCluster, read_cluster
from archfit.kube.config import load_target
from archfit.kube.sanitize import sanitize
from tests.integration.kube.replay import ReplayServer


async def _read(kubeconfig: Path) -> LiveCluster:
    async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
        return await read_cluster(api)


def test_read_cluster_models_controllers_not_children(kubeconfig: Path) -> None:
    live = asyncio.run(_read(kubeconfig))
    keys = sorted(w.key for w in live.manifests.workloads)
    assert keys == [
        "CronJob/batch/nightly-report",
        "DaemonSet/kube-system/fluent-bit",
        "DaemonSet/monitoring/node-exporter",
        "Deployment/monitoring/grafana",
        "Deployment/web/api",
        "Deployment/web/frontend",
        "Deployment/web/gpu-inference",
        "Deployment/web/legacy-app",
        "Job/batch/backfill",
        "Job/batch/db-migrate",
        "StatefulSet/data/db",
    ]
    assert len(live.manifests.nodes) == 14
    assert len(live.pods) == 40
    assert {s.name for s in live.manifests.storage_classes} == {"longhorn"}
    assert len(live.manifests.pvcs) == 5
    assert len(live.manifests.pod_disruption_budgets) == 1
    assert live.manifests.findings == ()
    legacy = next(p for p in live.pods if p.name.startswith("legacy-app-"))
    assert legacy.controller == "Deployment/web/legacy-app"
    assert legacy.node_name is not None
    assert legacy.containers[0].reason == "CrashLoopBackOff"
    assert "exec format error" in legacy.containers[0].last_message
    manual = next(p for p in live.pods if p.name.startswith("manual-report-1"))
    assert manual.controller == "CronJob/batch/nightly-report"
    assert {e.reason for e in live.events} == {"FailedScheduling", "UnexpectedJob", "BackOff"}
    source = live.manifests.workloads[0].source
    assert source.file == "cluster:replay"
    assert source.origin.startswith("live ")


def test_sanitize_strips_managed_fields_and_env_values() -> None:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{...}",
                "keep": "me",
            },
        },
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx",
                    "env": [
                        {"name": "PASSWORD", "value": "hunter2"},
                        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                    ],
                    "envFrom": [{"secretRef": {"name": "s"}}],
                }
            ]
        },
    }
    out = sanitize(pod)
    assert "managedFields" not in out["metadata"]
    assert out["metadata"]["annotations"] == {"keep": "me"}
    assert out["spec"]["containers"][0]["env"] == [{"name": "PASSWORD"}, {"name": "TOKEN"}]
    assert "envFrom" not in out["spec"]["containers"][0]
    # the input is untouched
    assert pod["spec"]["containers"][0]["env"][0]["value"] == "hunter2"
    assert "managedFields" in pod["metadata"]


def test_expired_continue_token_mid_pods_is_read_again_without_duplicates(
    kubeconfig: Path, apiserver: ReplayServer
) -> None:
    async def read_twice() -> tuple[LiveCluster, LiveCluster]:
        async with KubeApi(load_target(kubeconfig=kubeconfig), chunk_size=5) as api:
            first = await read_cluster(api)
            # Page 1's continue token was recorded twice: page 2, then 410 after a compaction.
            second = await read_cluster(api)
        return first, second

    first, second = asyncio.run(read_twice())
    assert len(first.pods) == 40
    assert len(second.pods) == 40
    assert len({(p.namespace, p.name) for p in second.pods}) == 40
    assert len(second.manifests.workloads) == len(first.manifests.workloads)
    pages = [r for r in apiserver.requests_to("/api/v1/pods") if r.query.get("limit") == "5"]
    assert len(pages) == 8 + 2 + 8  # the second read: page 1, the 410, then all 8 again
