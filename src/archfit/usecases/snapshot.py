"""`archfit snapshot`: the cluster's nodes, workloads and pods in one offline file.

The file is a `kind: List` (apiVersion v1) that `check`, `simulate` and `report` read like any
manifest: nodes, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, pods (bound
and Pending), PVCs, PVs, StorageClasses, PodDisruptionBudgets and PriorityClasses,
each with `apiVersion` and `kind`. Objects are sanitized (`archfit.kube.sanitize`): no
managedFields, no last-applied annotation, env reduced to names; Secrets are never read.

Each item is one line in JSON flow style (valid YAML, as `kubectl get -o json` is), so the file
streams, greps and diffs per object, and writing it costs a JSON encoding rather than a YAML
emitter's. Objects are written as each page arrives (memory holds one page), into a temporary
file beside the target that is renamed over it at the end, so the target is never half-written.
A list whose continue token expires is rewound in the file and read again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from archfit.kube.client import KubeApi
from archfit.kube.collect import SNAPSHOT_RESOURCES, iter_snapshot_objects
from archfit.kube.config import load_target
from archfit.kube.errors import Expired, NotFound
from archfit.kube.resources import RESOURCES

__all__ = ["SnapshotStats", "take_snapshot"]

_OPTIONAL = frozenset({"poddisruptionbudgets", "priorityclasses"})


@dataclass
class SnapshotStats:
    counts: dict[str, int] = field(default_factory=dict)
    server: str = ""
    context: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _item(obj: dict[str, Any]) -> str:
    return "- " + json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n"


async def _write(
    api: KubeApi,
    handle: IO[str],
    stats: SnapshotStats,
    *,
    namespace: str | None,
    seekable: bool,
    progress: Callable[[str, int], None] | None,
    attempts: int = 3,
) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    scope = f"namespace {namespace}" if namespace else "all namespaces"
    handle.write(
        f"# archfit snapshot of {stats.server} (context {stats.context}, {scope}) at {now}\n"
        "# Read it offline: archfit check FILE, archfit simulate FILE.\n"
        "# Secrets are never included; env values, managedFields and last-applied\n"
        "# annotations are removed.\n"
        "apiVersion: v1\nkind: List\nitems:\n"
    )
    for plural in SNAPSHOT_RESOURCES:
        mark = handle.tell() if seekable else 0
        for attempt in range(attempts):
            count = 0
            try:
                async for obj in iter_snapshot_objects(api, plural, namespace=namespace):
                    handle.write(_item(obj))
                    count += 1
            except Expired:
                if not seekable or attempt + 1 == attempts:
                    raise
                handle.seek(mark)
                handle.truncate()
                continue
            except NotFound:
                if plural not in _OPTIONAL:
                    raise
                stats.notes.append(f"the API server does not serve {plural}; left out")
            break
        stats.counts[RESOURCES[plural].kind] = count
        if progress is not None:
            progress(plural, count)
    if stats.total == 0:
        handle.write("[]\n")
    summary = ", ".join(f"{n} {k}" for k, n in stats.counts.items() if n)
    handle.write(f"# {stats.total} objects: {summary or 'none'}\n")


async def take_snapshot(
    out: Path | IO[str],
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    namespace: str | None = None,
    chunk_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> SnapshotStats:
    """Write the snapshot to `out` (a path, written atomically, or an open text stream)."""
    target = load_target(kubeconfig=kubeconfig, context=context)
    stats = SnapshotStats(server=target.server, context=target.context)
    async with KubeApi(target, chunk_size=chunk_size) as api:
        if namespace:
            await api.require_namespace(namespace)
        if not isinstance(out, Path):
            await _write(api, out, stats, namespace=namespace, seekable=False, progress=progress)
            return stats
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                await _write(
                    api, handle, stats, namespace=namespace, seekable=True, progress=progress
                )
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)  # a cluster's inventory is not for everyone on the machine
            os.replace(tmp, out)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    return stats
