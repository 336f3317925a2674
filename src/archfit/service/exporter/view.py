"""The exporter's in-memory picture of the cluster, updated one watch event at a time.

`ClusterView.apply(resource, event)` folds an ADDED/MODIFIED/DELETED object (or a `SYNC` that
replaces everything of that resource) into small per-object records: a node's arch, instance
type, Ready condition and allocatable; a pod's requests, node, owner and whether its containers
fail with `exec format error`. Nothing holds the raw objects. `/metrics` reads aggregates from
these records (`archfit.service.exporter.metrics`); a scrape never lists the API.

Per-object work is what the live findings do (`archfit.usecases.live_findings`, called on one
pod at a time) and what the policy's size rule decides (`archfit.policy.rules.size`), so the
exporter and `archfit check --live` agree on what is an exec format error and what is heavy.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from archfit.errors import InvalidValue
from archfit.kube.client import WatchEvent
from archfit.model.image import ImageRef
from archfit.model.k8s import node_from_k8s, workload_from_k8s
from archfit.model.k8s_live import event_from_k8s, pod_state_from_k8s
from archfit.model.live import ClusterEvent, PodState
from archfit.model.node import GPU_RESOURCES, INSTANCE_TYPE_LABEL, Node
from archfit.model.resources import pod_requests
from archfit.model.workload import SourceRef
from archfit.policy.rules.size import is_heavy_image, pi_limits
from archfit.policy.settings import Settings
from archfit.service.exporter.pending import pending_reasons
from archfit.usecases.live_findings import exec_format_errors

__all__ = ["RESOURCES", "ClusterView", "NodeRecord", "PodRecord"]

# What the exporter watches, in the order the initial sync reads them. Deployments and
# StatefulSets are not needed: a pod's owner chain (ReplicaSet → Deployment, Job → CronJob)
# resolves through ReplicaSets and Jobs, and a StatefulSet owns its pods directly.
RESOURCES = ("nodes", "replicasets", "jobs", "daemonsets", "pods", "events")

# The resources a node offers and a pod requests, in the units Prometheus expects.
RESOURCE_KEYS = ("cpu", "memory", "pods", "ephemeral-storage", "gpu")
NO_MATCH_FOR_PLATFORM = "no match for platform"
_SOURCE = SourceRef("cluster", 0, "live Pod")
_ZERO = Decimal(0)


@dataclass(slots=True)
class NodeRecord:
    name: str
    arch: str
    instance_type: str
    ready: bool
    control_plane: bool
    is_pi: bool
    allocatable: tuple[float, ...]  # in RESOURCE_KEYS order
    node: Node


@dataclass(slots=True)
class PodRecord:
    namespace: str
    name: str
    node: str | None
    phase: str
    owner: str  # the top-level controller as Kind/name, or "" for a bare pod
    requests: tuple[float, ...]  # in RESOURCE_KEYS order, shared by pods of one spec
    ready: bool
    daemonset: str | None  # namespace/name of the DaemonSet that owns it
    # Set when a container fails with `exec format error` or its image has no matching platform.
    platform_failure: str | None = None
    heavy_image: bool = False
    cpu: Decimal = _ZERO
    memory: Decimal = _ZERO
    pending: tuple[str, ...] = ()
    state: PodState | None = None  # the template is kept for unbound pods only
    # What this pod adds to the view's counters (family, labels, amount), taken back on change.
    counted: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass
class Health:
    """The exporter's own state, per watched resource."""

    restarts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last_sync: dict[str, float] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def synced(self) -> bool:
        return all(r in self.last_sync for r in RESOURCES)


def _ready(status: Mapping[str, Any]) -> bool:
    for cond in status.get("conditions") or ():
        if isinstance(cond, Mapping) and cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _vector(values: Mapping[str, Decimal], pods: float | None = None) -> tuple[float, ...]:
    """Amounts in RESOURCE_KEYS order (sums are then plain float additions per scrape)."""
    amounts = _amounts(values)
    if pods is not None:
        amounts["pods"] = pods
    return tuple(amounts.get(key, 0.0) for key in RESOURCE_KEYS)


def _amounts(values: Mapping[str, Decimal]) -> dict[str, float]:
    out = {
        k: float(values[k]) for k in ("cpu", "memory", "pods", "ephemeral-storage") if k in values
    }
    gpus = sum((values.get(r, _ZERO) for r in GPU_RESOURCES), _ZERO)
    if gpus:
        out["gpu"] = float(gpus)
    return out


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _controller_ref(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("controller"):
            return str(ref.get("kind") or ""), str(ref.get("name") or "")
    return None


class ClusterView:
    """Records of nodes, pods and the controllers that own pods. Not thread-safe: one event
    loop applies events and serves scrapes."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.nodes: dict[str, NodeRecord] = {}
        self.pods: dict[tuple[str, str], PodRecord] = {}
        self.pods_by_node: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.unbound: set[tuple[str, str]] = set()
        # Per-series counts kept current per event, so that a scrape reads them as they are:
        # platform_failure (namespace, owner, node arch, reason), daemonset_desired and
        # daemonset_ready (namespace, daemonset, arch), heavy_on_pi (namespace, owner, reason).
        self.counters: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
        self.pi_limits: tuple[Decimal, Decimal] = pi_limits(self.settings.size, ())
        # Requests per distinct pod resources spec: the pods of one controller share it.
        self._requests: dict[str, tuple[Mapping[str, Decimal], tuple[float, ...]]] = {}
        self._heavy: dict[str, bool] = {}
        # Sum of the requests of the running (not Succeeded/Failed) pods bound to each node.
        self.requested: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(RESOURCE_KEYS))
        # Owner chains: ReplicaSet → Deployment, Job → CronJob (namespace, name) → Kind/name.
        self.parents: dict[str, dict[tuple[str, str], str]] = {"ReplicaSet": {}, "Job": {}}
        self.daemonsets: dict[tuple[str, str], int] = {}  # desiredNumberScheduled
        # Warning events about pods that say why they fail: FailedScheduling and exec errors.
        self.pod_events: dict[tuple[str, str], dict[str, ClusterEvent]] = defaultdict(dict)
        self.event_index: dict[tuple[str, str], tuple[str, str]] = {}
        self.health = Health()
        # Bumped when node labels or taints change: pending explanations are recomputed then.
        self.placement_generation = 0
        self.images_in_use: dict[str, int] = defaultdict(int)

    # -- applying events -------------------------------------------------------------------

    def apply(self, resource: str, event: WatchEvent) -> None:
        handler = getattr(self, f"_apply_{resource}")
        self.health.events[resource] += 1
        if event.type == "SYNC":
            self._reset(resource)
            for obj in event.items:
                handler("ADDED", obj)
            self.health.last_sync[resource] = time.time()
        elif event.type != "BOOKMARK":
            handler(event.type, event.object)

    def upsert(self, resource: str, obj: Mapping[str, Any]) -> tuple[str, str]:
        """Apply one listed object (a page of the initial sync); returns its key."""
        self.health.events[resource] += 1
        getattr(self, f"_apply_{resource}")("ADDED", obj)
        return _key(obj)

    def synced(self, resource: str, seen: set[tuple[str, str]]) -> None:
        """A complete list of `resource` has been applied with `upsert`: forget what it lacked."""
        handler = getattr(self, f"_apply_{resource}")
        for key in [k for k in self._keys(resource) if k not in seen]:
            handler("DELETED", {"metadata": {"namespace": key[0], "name": key[1]}})
        self.health.last_sync[resource] = time.time()

    def _keys(self, resource: str) -> list[tuple[str, str]]:
        if resource == "nodes":
            return [("", name) for name in self.nodes]
        if resource == "pods":
            return list(self.pods)
        if resource == "replicasets":
            return list(self.parents["ReplicaSet"])
        if resource == "jobs":
            return list(self.parents["Job"])
        if resource == "daemonsets":
            return list(self.daemonsets)
        return list(self.event_index)

    def _reset(self, resource: str) -> None:
        if resource == "nodes":
            self.nodes.clear()
            self.placement_generation += 1
        elif resource == "pods":
            for key in list(self.pods):
                self._drop_pod(key)
            self._requests.clear()
        elif resource == "replicasets":
            self.parents["ReplicaSet"].clear()
        elif resource == "jobs":
            self.parents["Job"].clear()
        elif resource == "daemonsets":
            self.daemonsets.clear()
        elif resource == "events":
            self.pod_events.clear()
            self.event_index.clear()

    def _apply_nodes(self, kind: str, obj: Mapping[str, Any]) -> None:
        name = _key(obj)[1]
        if kind == "DELETED":
            gone = self.nodes.pop(name, None)
            if gone is not None:
                self.placement_generation += 1
                self._recount([name])
                if gone.is_pi:
                    self._update_pi_limits()
            return
        try:
            node = node_from_k8s(obj)
        except InvalidValue:
            self.health.errors["nodes"] += 1
            return
        old = self.nodes.get(name)
        if old is None or old.node.labels != node.labels or old.node.taints != node.taints:
            self.placement_generation += 1
        self.nodes[name] = record = NodeRecord(
            name=name,
            arch=node.arch,
            instance_type=node.labels.get(INSTANCE_TYPE_LABEL, ""),
            ready=_ready(obj.get("status") or {}),
            control_plane=node.is_control_plane,
            is_pi=self.settings.nodes.raspberry_pi.matches(node.labels),
            allocatable=_vector({k: q.value for k, q in node.allocatable.items()}),
            node=node,
        )
        if old is None or (old.arch, old.is_pi) != (record.arch, record.is_pi):
            self._recount([name])
        if record.is_pi or (old is not None and old.is_pi):
            self._update_pi_limits()

    def _apply_owner(self, kind_name: str, kind: str, obj: Mapping[str, Any]) -> None:
        key = _key(obj)
        if kind == "DELETED":
            self.parents[kind_name].pop(key, None)
            return
        ref = _controller_ref(obj)
        if ref is None:
            self.parents[kind_name].pop(key, None)  # a top-level ReplicaSet or Job
        else:
            self.parents[kind_name][key] = f"{ref[0]}/{ref[1]}"

    def _apply_replicasets(self, kind: str, obj: Mapping[str, Any]) -> None:
        self._apply_owner("ReplicaSet", kind, obj)

    def _apply_jobs(self, kind: str, obj: Mapping[str, Any]) -> None:
        self._apply_owner("Job", kind, obj)

    def _apply_daemonsets(self, kind: str, obj: Mapping[str, Any]) -> None:
        key = _key(obj)
        if kind == "DELETED":
            self.daemonsets.pop(key, None)
            return
        status = obj.get("status") or {}
        self.daemonsets[key] = int(status.get("desiredNumberScheduled") or 0)

    def _apply_events(self, kind: str, obj: Mapping[str, Any]) -> None:
        key = _key(obj)
        if kind == "DELETED":
            pod = self.event_index.pop(key, None)
            if pod is not None:
                self.pod_events[pod].pop(key[1], None)
            return
        event = event_from_k8s(obj)
        if event.kind != "Pod" or event.type != "Warning":
            return
        text = event.message.lower()
        if event.reason != "FailedScheduling" and "exec format error" not in text:
            return
        pod = (event.namespace, event.name)
        self.event_index[key] = pod
        self.pod_events[pod][key[1]] = event
        record = self.pods.get(pod)
        if record is not None and record.state is not None:
            self._uncount(record)
            self._classify(record, record.state)
            self._count(record)

    def _owner(self, state: PodState) -> str:
        owner = state.owner or ""
        kind, _, name = owner.partition("/")
        # ReplicaSet → Deployment and Job → CronJob: two steps at most.
        for _ in range(2):
            if kind not in self.parents:
                break
            parent = self.parents[kind].get((state.namespace, name))
            if parent is None:
                break
            kind, _, name = parent.partition("/")
            owner = parent
        return owner

    def _drop_pod(self, key: tuple[str, str]) -> None:
        record = self.pods.pop(key, None)
        if record is None:
            return
        if record.node is not None:
            if _counts(record):
                sums = self.requested[record.node]
                for i, amount in enumerate(record.requests):
                    sums[i] -= amount
            on_node = self.pods_by_node.get(record.node)
            if on_node is not None:
                on_node.discard(key)
                if not on_node:
                    del self.pods_by_node[record.node]
        self.unbound.discard(key)
        self._uncount(record)
        for image in {img for _, img in (record.state.images if record.state else ())}:
            self.images_in_use[image] -= 1
            if self.images_in_use[image] <= 0:
                del self.images_in_use[image]

    def _classify(self, record: PodRecord, state: PodState) -> None:
        """Platform failures (the live findings' exec-format check on this pod alone) and, for
        an unbound pod, why the scheduler keeps it Pending."""
        key = (record.namespace, record.name)
        events = self.pod_events.get(key, {}).values()
        if exec_format_errors([state], events, {}, None):
            record.platform_failure = "exec_format_error"
        elif any(c.mentions(NO_MATCH_FOR_PLATFORM) for c in state.containers):
            record.platform_failure = "no_match_for_platform"
        else:
            record.platform_failure = None
        if record.node is None and record.phase == "Pending":
            said = state.unschedulable_message or next(
                (e.message for e in events if e.reason == "FailedScheduling"), ""
            )
            record.pending = pending_reasons(said)

    def _apply_pods(self, kind: str, obj: Mapping[str, Any]) -> None:
        key = _key(obj)
        self._drop_pod(key)
        if kind == "DELETED":
            self.pod_events.pop(key, None)
            return
        if "kind" not in obj:  # list items carry no kind; the converter needs it
            obj = {**obj, "kind": "Pod", "apiVersion": "v1"}
        try:
            state = pod_state_from_k8s(obj, _SOURCE)
            requests, amounts = self._pod_requests(obj, state)
        except InvalidValue:
            self.health.errors["pods"] += 1
            return
        ref = _controller_ref(obj)
        owner = self._owner(state)
        heavy = False
        for _, image in state.images:
            self.images_in_use[image] += 1
            heavy = heavy or self._heavy_image(image)
        record = PodRecord(
            namespace=key[0],
            name=key[1],
            node=state.node_name,
            phase=state.phase,
            owner=owner,
            requests=amounts,
            ready=_ready(obj.get("status") or {}),
            daemonset=f"{key[0]}/{ref[1]}" if ref and ref[0] == "DaemonSet" else None,
            heavy_image=heavy,
            cpu=requests.get("cpu", _ZERO),
            memory=requests.get("memory", _ZERO),
        )
        # The template is dropped for bound pods: a large cluster's pods then cost little.
        record.state = state
        self._classify(record, state)
        self.pods[key] = record
        self._count(record)
        if record.node is None:
            if record.phase == "Pending":
                self.unbound.add(key)
        else:
            self.pods_by_node[record.node].add(key)
            if _counts(record):
                sums = self.requested[record.node]
                for i, amount in enumerate(amounts):
                    sums[i] += amount

    def _heavy_image(self, image: str) -> bool:
        found = self._heavy.get(image)
        if found is None:
            try:
                found = is_heavy_image(self.settings.size, ImageRef.parse(image))
            except InvalidValue:
                found = False
            self._heavy[image] = found
        return found

    def _pod_requests(
        self, obj: Mapping[str, Any], state: PodState
    ) -> tuple[Mapping[str, Decimal], tuple[float, ...]]:
        """The pod's requests (`archfit.model.resources.pod_requests`), converted once per
        distinct resources spec: converting every pod's template would halve the events/s."""
        spec = obj.get("spec") or {}
        fingerprint = repr(
            (
                [
                    (c.get("resources"), c.get("restartPolicy"))
                    for c in spec.get("initContainers") or ()
                ],
                [c.get("resources") for c in spec.get("containers") or ()],
                spec.get("overhead"),
            )
        )
        found = self._requests.get(fingerprint)
        if found is None:
            template = state.template or workload_from_k8s(obj, _SOURCE).template
            requests = pod_requests(template)
            amounts = _vector(requests, pods=1.0)
            found = self._requests[fingerprint] = (requests, amounts)
        return found

    def _contributions(self, record: PodRecord) -> tuple[tuple[str, tuple[str, ...]], ...]:
        out: list[tuple[str, tuple[str, ...]]] = []
        node = self.nodes.get(record.node or "")
        arch = node.arch if node is not None else "unknown"
        owner = record.owner or "Pod"
        if record.platform_failure:
            out.append(
                ("platform_failure", (record.namespace, owner, arch, record.platform_failure))
            )
        if record.daemonset is not None and record.node is not None:
            namespace, _, name = record.daemonset.partition("/")
            out.append(("daemonset_desired", (namespace, name, arch)))
            if record.ready:
                out.append(("daemonset_ready", (namespace, name, arch)))
        if node is not None and node.is_pi and record.daemonset is None and _counts(record):
            cpu_limit, memory_limit = self.pi_limits
            if record.heavy_image:
                out.append(("heavy_on_pi", (record.namespace, owner, "heavy_image")))
            elif record.cpu > cpu_limit or record.memory > memory_limit:
                out.append(("heavy_on_pi", (record.namespace, owner, "requests")))
        return tuple(out)

    def _count(self, record: PodRecord) -> None:
        record.counted = self._contributions(record)
        for family, labels in record.counted:
            self.counters[family][labels] += 1

    def _uncount(self, record: PodRecord) -> None:
        for family, labels in record.counted:
            counter = self.counters[family]
            counter[labels] -= 1
            if counter[labels] <= 0:
                del counter[labels]
        record.counted = ()

    def _recount(self, nodes: Iterable[str]) -> None:
        for record in list(self.pods_on(nodes)):
            self._uncount(record)
            self._count(record)

    def _update_pi_limits(self) -> None:
        limits = pi_limits(self.settings.size, (r.node for r in self.nodes.values() if r.is_pi))
        if limits != self.pi_limits:
            self.pi_limits = limits
            self._recount([r.name for r in self.nodes.values() if r.is_pi])

    # -- reading ---------------------------------------------------------------------------

    def node_arch(self, name: str | None) -> str:
        record = self.nodes.get(name or "")
        return record.arch if record is not None else "unknown"

    def pods_on(self, nodes: Iterable[str]) -> Iterable[PodRecord]:
        for name in nodes:
            for key in self.pods_by_node.get(name, ()):
                yield self.pods[key]


def _counts(record: PodRecord) -> bool:
    """Whether the pod holds its requests on its node (the scheduler releases them at the end)."""
    return record.phase not in {"Succeeded", "Failed"}
