"""The webhook's cluster view from the replayed API server: ready once the node list arrived,
then kept current by watch events."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from archfit.kube.client import KubeApi, WatchEvent
from archfit.kube.config import load_target
from archfit.service.webhook.cluster import NodeWatch
from tests.integration.kube.replay import ReplayServer


def test_node_watch_syncs_from_the_list_then_follows_events(
    kubeconfig: Path, apiserver: ReplayServer
) -> None:
    async def go() -> NodeWatch:
        async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
            watch = NodeWatch(api, retry_after=0.05)
            task = asyncio.create_task(watch.run())
            for _ in range(200):
                if watch.synced:
                    break
                await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return watch

    watch = asyncio.run(go())
    assert watch.synced
    assert len(watch.nodes) == 14
    assert apiserver.requests_to("/api/v1/nodes")[0].query.get("limit") is not None
    mirt = next(n for n in watch.nodes if n.name == "mirt")
    assert mirt.arch == "arm64"

    raw: dict[str, Any] = {
        "metadata": {"name": "mirt"},
        "status": {"nodeInfo": {"architecture": "arm64"}},
    }
    changed = copy.deepcopy(raw)
    changed["metadata"]["labels"] = {"kubernetes.io/arch": "amd64"}
    changed["status"]["nodeInfo"]["architecture"] = "amd64"
    version = watch.version
    watch.apply(WatchEvent("MODIFIED", changed, "9"))
    assert next(n for n in watch.nodes if n.name == "mirt").arch == "amd64"
    watch.apply(WatchEvent("DELETED", raw, "10"))
    assert "mirt" not in {n.name for n in watch.nodes}
    added = copy.deepcopy(changed)
    added["metadata"]["name"] = "new"
    watch.apply(WatchEvent("ADDED", added, "11"))
    assert "new" in {n.name for n in watch.nodes}
    assert watch.version == version + 3
