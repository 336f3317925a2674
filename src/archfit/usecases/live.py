"""`check --live`: read the running cluster into the offline check's inputs, plus live findings.

`collect_live` returns the same inputs the offline check takes (a `ManifestSet` whose nodes are
the live nodes and whose workloads are the live controllers and bare pods) and the findings only
a running cluster shows (`archfit.usecases.live_findings`). The check itself stays one code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archfit.kube.client import KubeApi
from archfit.kube.collect import LiveCluster, Progress, read_cluster
from archfit.kube.config import load_target
from archfit.manifests import ManifestSet
from archfit.model.finding import Finding
from archfit.model.node import Node
from archfit.sources.runtime import gc_paused
from archfit.usecases.live_findings import ImageLookup, live_findings

__all__ = ["LiveInputs", "collect_live", "read_live"]


@dataclass
class LiveInputs:
    cluster: LiveCluster
    findings: list[Finding] = field(default_factory=list)

    @property
    def manifests(self) -> ManifestSet:
        return self.cluster.manifests

    @property
    def nodes(self) -> tuple[Node, ...]:
        return self.cluster.manifests.nodes

    @property
    def name(self) -> str:
        return f"cluster:{self.cluster.context}"


async def read_live(
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    namespace: str | None = None,
    progress: Progress | None = None,
    chunk_size: int = 500,
) -> LiveCluster:
    """Read the cluster named by kubeconfig/context (or the in-cluster service account)."""
    target = load_target(kubeconfig=kubeconfig, context=context)
    # Reading builds tens of thousands of acyclic values: the collector's full passes over
    # everything read so far would double the time (see `read_cluster`).
    with gc_paused():
        async with KubeApi(target, chunk_size=chunk_size) as api:
            return await read_cluster(api, namespace=namespace, progress=progress)


async def collect_live(
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    namespace: str | None = None,
    images: ImageLookup | None = None,
    progress: Progress | None = None,
    chunk_size: int = 500,
) -> LiveInputs:
    """`read_live` and the live findings (without the policy's check)."""
    cluster = await read_live(
        kubeconfig=kubeconfig,
        context=context,
        namespace=namespace,
        progress=progress,
        chunk_size=chunk_size,
    )
    findings = live_findings(cluster.pods, cluster.events, cluster.manifests.nodes, images)
    return LiveInputs(cluster, findings)
