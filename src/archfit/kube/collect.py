"""Reading a whole cluster into archfit's model: what `check --live`, `label` and `snapshot` use.

`SNAPSHOT_RESOURCES` is the list written by `archfit snapshot`, in order. `read_cluster` reads
the live state into the same values the offline check takes (a `ManifestSet` of nodes,
controllers, bare pods and storage objects, built by `archfit.manifests.build_manifest_set`)
plus what only a running cluster has (`PodState`s and Warning `ClusterEvent`s).

Children are not workloads: a ReplicaSet owned by a Deployment, a Job owned by a CronJob and a
pod owned by any controller are left out of the workloads (the controller stands for them) and
kept as pod states. Objects are converted as each page arrives, so memory holds the model values
and one page of raw objects, never a whole raw list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from archfit.kube.client import KubeApi
from archfit.kube.errors import Expired, NotFound
from archfit.kube.resources import RESOURCES
from archfit.kube.sanitize import sanitize
from archfit.manifests import Document, ManifestSet, build_manifest_set
from archfit.model.k8s_live import event_from_k8s, pod_state_from_k8s
from archfit.model.live import ClusterEvent, PodState
from archfit.model.workload import SourceRef

__all__ = [
    "SNAPSHOT_RESOURCES",
    "LiveCluster",
    "is_child",
    "iter_snapshot_objects",
    "read_cluster",
]

_CONTROLLER_PLURALS = (
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "jobs",
    "cronjobs",
)
_OTHER_PLURALS = (
    "persistentvolumeclaims",
    "persistentvolumes",
    "storageclasses",
    "poddisruptionbudgets",
    "priorityclasses",
)
# The order `read_cluster` reads in: nodes, controllers, pods, then the rest.
SNAPSHOT_RESOURCES = ("nodes", *_CONTROLLER_PLURALS, "pods", *_OTHER_PLURALS)
# Read when the server serves them; a 404 for the whole list (group not served) is a note.
_OPTIONAL = frozenset({"poddisruptionbudgets", "priorityclasses", "events"})
# Owners whose children are represented by the owner.
_PARENT_KINDS = {
    "ReplicaSet": frozenset({"Deployment"}),
    "Job": frozenset({"CronJob"}),
    "Pod": frozenset({"ReplicaSet", "StatefulSet", "DaemonSet", "Job"}),
}

Progress = Callable[[str, int], None]


def _controller_ref(obj: dict[str, Any]) -> tuple[str, str] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("kind")), str(ref.get("name"))
    return None


def is_child(obj: dict[str, Any]) -> bool:
    """Whether a controller of a modelled kind stands for this object."""
    ref = _controller_ref(obj)
    return ref is not None and ref[0] in _PARENT_KINDS.get(str(obj.get("kind")), frozenset())


@dataclass
class LiveCluster:
    """The live state: `manifests` is what the offline check takes; `pods` and `events` are
    what only a running cluster shows. `context` names the cluster in sources and reports."""

    manifests: ManifestSet
    pods: list[PodState] = field(default_factory=list)
    events: list[ClusterEvent] = field(default_factory=list)
    context: str = ""
    server: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def nodes(self) -> tuple[Any, ...]:
        return self.manifests.nodes


async def iter_snapshot_objects(
    api: KubeApi, plural: str, *, namespace: str | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The sanitized objects of one resource for a snapshot; pods bound or Pending alike (a
    simulation schedules a Pending pod as itself, and counts it among its controller's)."""
    ns = namespace if RESOURCES[plural].namespaced else None
    async for obj in api.list(plural, namespace=ns):
        yield sanitize(obj)


async def read_cluster(
    api: KubeApi,
    *,
    namespace: str | None = None,
    progress: Progress | None = None,
    attempts: int = 3,
) -> LiveCluster:
    """Read nodes, controllers, pods, storage objects and Warning events (see module doc).

    Tens of thousands of acyclic values are built; callers that own the process pause the
    cyclic garbage collector around this (`archfit.sources.runtime.gc_paused`), which halves
    the time to read 20,000 pods.
    """
    context = api.target.context
    source_file = f"cluster:{context}"
    if namespace:
        await api.require_namespace(namespace)
    documents: list[Document] = []
    notes: list[str] = []
    parents: dict[tuple[str, str, str], str] = {}
    pods: list[PodState] = []
    events: list[ClusterEvent] = []

    async def each(plural: str, handle: Callable[[dict[str, Any]], None]) -> None:
        ns = namespace if RESOURCES[plural].namespaced else None
        for _attempt in range(attempts):
            marks = (len(documents), len(pods), len(events))
            count = 0
            try:
                async for obj in api.list(plural, namespace=ns):
                    handle(obj)
                    count += 1
            except Expired:  # the continue token expired: forget this resource, list it again
                del documents[marks[0] :], pods[marks[1] :], events[marks[2] :]
                continue
            except NotFound:
                if plural not in _OPTIONAL:
                    raise
                notes.append(f"the API server does not serve {plural}; left out")
                return
            if progress is not None:
                progress(plural, count)
            return
        raise Expired(f"the list of {plural} kept expiring; try again", code=410)

    def as_document(obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
        origin = f"live {obj.get('kind')} {ns}{meta.get('name', '')}"
        documents.append(Document(sanitize(obj), SourceRef(source_file, 0, origin)))

    def controller(obj: dict[str, Any]) -> None:
        if not is_child(obj):
            as_document(obj)
        ref = _controller_ref(obj)
        if ref is not None and obj.get("kind") in {"ReplicaSet", "Job"}:
            meta = obj.get("metadata") or {}
            parents[(str(meta.get("namespace")), str(obj.get("kind")), str(meta.get("name")))] = (
                f"{ref[0]}/{meta.get('namespace')}/{ref[1]}"
            )

    def pod(obj: dict[str, Any]) -> None:
        if not is_child(obj):
            as_document(obj)
        state = pod_state_from_k8s(obj, SourceRef(source_file, 0, "live Pod"))
        pods.append(state)

    def event(obj: dict[str, Any]) -> None:
        if obj.get("type") == "Warning":
            events.append(event_from_k8s(obj))

    await each("nodes", as_document)
    for plural in _CONTROLLER_PLURALS:
        await each(plural, controller)
    await each("pods", pod)
    for plural in _OTHER_PLURALS:
        await each(plural, as_document)
    await each("events", event)

    # Top-level controllers: Pod → ReplicaSet → Deployment, Pod → Job → CronJob.
    resolved: list[PodState] = []
    for state in pods:
        top = None
        if state.owner:
            kind, _, name = state.owner.partition("/")
            top = f"{kind}/{state.namespace}/{name}"
            top = parents.get((state.namespace, kind, name), top)
        resolved.append(replace(state, controller=top))
    return LiveCluster(
        manifests=build_manifest_set(documents),
        pods=resolved,
        events=events,
        context=context,
        server=api.target.server,
        notes=notes,
    )
