"""The cluster's per-node accounting as numpy arrays, in node-tree order, for the vectorised
scheduling cycle (`archfit.scheduling.fastpath`).

The arrays mirror the `NodeInfo`s, which stay the source of truth: `sync()` re-reads the rows
of the nodes the cluster reports as touched since the last sync (every bind and unbind goes
through `Cluster`, which logs the node), and rebuilds everything when nodes were added, removed
or replaced. Units are the scheduler's (millicores, bytes, counts), all int64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.nodeinfo import NodeInfo

__all__ = ["IntArray", "NodeArrays"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class NodeArrays:
    """Per-node allocatable, requested, non-zero requested and pod counts of one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._generation = -1
        self._cursor = 0
        self.infos: list[NodeInfo] = []
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.pods: IntArray = np.zeros(0, np.int64)
        self.allowed_pods: IntArray = np.zeros(0, np.int64)
        self.alloc_cpu: IntArray = np.zeros(0, np.int64)
        self.alloc_memory: IntArray = np.zeros(0, np.int64)
        self.req_cpu: IntArray = np.zeros(0, np.int64)
        self.req_memory: IntArray = np.zeros(0, np.int64)
        self.nonzero_cpu: IntArray = np.zeros(0, np.int64)
        self.nonzero_memory: IntArray = np.zeros(0, np.int64)
        self.alloc_positive = True
        # Resource name -> (allocatable, requested), built on first use.
        self._resources: dict[str, tuple[IntArray, IntArray]] = {}
        # Cached per node generation: label key -> (value id per node, -1 if absent; values).
        self._labels: dict[str, tuple[IntArray, list[str]]] = {}
        self._static: dict[object, tuple[IntArray | BoolArray, object]] = {}

    def __len__(self) -> int:
        return len(self.infos)

    @property
    def generation(self) -> int:
        return self._generation

    def sync(self) -> None:
        """Bring the arrays up to date with the cluster."""
        cluster = self.cluster
        if cluster.node_generation != self._generation:
            self._rebuild()
            return
        changes = cluster.changes
        if self._cursor == len(changes):
            return
        index = self.index
        for name in set(changes[self._cursor :]):
            i = index.get(name)
            if i is not None:
                self._refresh(i)
        self._cursor = len(changes)

    def _rebuild(self) -> None:
        cluster = self.cluster
        self.infos = list(cluster.order)
        self.names = [info.name for info in self.infos]
        self.index = {name: i for i, name in enumerate(self.names)}
        n = len(self.infos)

        def column(read: Callable[[NodeInfo], int]) -> IntArray:
            return np.fromiter((read(info) for info in self.infos), np.int64, n)

        self.pods = column(lambda info: len(info.pods))
        self.allowed_pods = column(lambda info: info.allowed_pods)
        self.alloc_cpu = column(lambda info: info.alloc_cpu)
        self.alloc_memory = column(lambda info: info.alloc_memory)
        self.req_cpu = column(lambda info: info.req_cpu)
        self.req_memory = column(lambda info: info.req_memory)
        self.nonzero_cpu = column(lambda info: info.nonzero_cpu)
        self.nonzero_memory = column(lambda info: info.nonzero_memory)
        # Every node has cpu and memory: the scores need no zero-allocatable cases.
        self.alloc_positive = bool((self.alloc_cpu > 0).all() and (self.alloc_memory > 0).all())
        self._resources = {}
        self._labels = {}
        self._static = {}
        self._generation = cluster.node_generation
        self._cursor = len(cluster.changes)

    def _refresh(self, i: int) -> None:
        info = self.infos[i]
        self.pods[i] = len(info.pods)
        self.req_cpu[i] = info.req_cpu
        self.req_memory[i] = info.req_memory
        self.nonzero_cpu[i] = info.nonzero_cpu
        self.nonzero_memory[i] = info.nonzero_memory
        requested = info.requested
        for name, (_, req) in self._resources.items():
            req[i] = requested.get(name, 0)

    def resource(self, name: str) -> tuple[IntArray, IntArray]:
        """(allocatable, requested) of any resource; absent entries are 0."""
        hit = self._resources.get(name)
        if hit is None:
            n = len(self.infos)
            alloc = np.fromiter((info.allocatable.get(name, 0) for info in self.infos), np.int64, n)
            req = np.fromiter((info.requested.get(name, 0) for info in self.infos), np.int64, n)
            hit = self._resources[name] = (alloc, req)
        return hit

    def label_ids(self, key: str) -> tuple[IntArray, list[str]]:
        """Per node, the index of its value of label `key` in the returned list (-1: absent)."""
        hit = self._labels.get(key)
        if hit is None:
            values: dict[str, int] = {}
            ids = np.fromiter(
                (
                    values.setdefault(info.labels[key], len(values)) if key in info.labels else -1
                    for info in self.infos
                ),
                np.int64,
                len(self.infos),
            )
            hit = self._labels[key] = (ids, list(values))
        return hit

    def static(
        self, key: object, build: Callable[[], tuple[IntArray | BoolArray, object]]
    ) -> tuple[IntArray | BoolArray, object]:
        """A per-node array that depends only on the nodes and `key` (cleared with the nodes)."""
        hit = self._static.get(key)
        if hit is None:
            if len(self._static) > 256:
                self._static.clear()
            hit = self._static[key] = build()
        return hit
