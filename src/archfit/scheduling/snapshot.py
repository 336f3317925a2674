"""The pods a simulation starts from when the input mixes controllers, their children and pods.

A snapshot of a running cluster (`archfit snapshot`, `kubectl get -o yaml`) holds Deployments
beside their ReplicaSets, bound pods and Pending pods. What the cluster would do next:

- Every Pod of the input is simulated as itself: a bound pod stays where it is, a Pending pod is
  scheduled under its own name, owner and the owner's selector (which default topology
  spreading reads).
- Every controller that creates pods directly — ReplicaSet, StatefulSet, DaemonSet, Job — is
  topped up as its controller would: a ReplicaSet or Job to its count with new pods, a
  StatefulSet with the ordinals that are missing, a DaemonSet on the nodes that have none of
  its pods yet.
- A Deployment (CronJob) creates through its ReplicaSets (Jobs): when one of them is in the input,
  it does the creating; when none is, the Deployment is expanded as `controllers.expand` does,
  less the pods already present (recognised by name, `<deployment>-<hash>-…`, as the
  controllers name their children). A CronJob with a Job or a pod of its present runs no
  extra Job.

Manifests without pods (a GitOps tree) expand exactly as `controllers.expand` does, in input
order. The pods of the input come first, in input order: a Pending pod was queued before
anything its controller creates next.
"""

from __future__ import annotations

from collections.abc import Sequence

from archfit.model.node import Node
from archfit.model.selectors import LabelSelector, LabelSelectorRequirement
from archfit.model.workload import Workload
from archfit.scheduling.controllers import PodSpec, expand

__all__ = ["snapshot_specs"]

_Key = tuple[str, str, str]  # (namespace, kind, name)

# A controller that creates pods through a child kind, and that child's name prefix.
_CREATES_THROUGH = {"Deployment": "ReplicaSet", "CronJob": "Job"}
_TEMPLATE_HASH = "pod-template-hash"


def _key(w: Workload) -> _Key:
    return (w.namespace, w.kind, w.name)


def _owner_key(w: Workload) -> _Key | None:
    if not w.owner:
        return None
    kind, _, name = w.owner.partition("/")
    return (w.namespace, kind, name)


def _daemon_node(pod: Workload) -> str | None:
    """The node a DaemonSet pod is for: bound, or pinned by the controller's matchFields."""
    if pod.template.node_name:
        return pod.template.node_name
    affinity = pod.template.affinity
    required = affinity.node_affinity.required if affinity and affinity.node_affinity else None
    for term in required.terms if required else ():
        for req in term.match_fields:
            if req.key == "metadata.name" and req.operator == "In" and len(req.values) == 1:
                return req.values[0]
    return None


def _with_hash(selector: LabelSelector | None, pod: Workload) -> LabelSelector | None:
    """A Deployment's selector narrowed to one ReplicaSet, as that ReplicaSet's selector is."""
    value = pod.template.labels.get(_TEMPLATE_HASH)
    if selector is None or value is None:
        return selector
    return LabelSelector(
        dict(selector.match_labels),
        (*selector.match_expressions, LabelSelectorRequirement(_TEMPLATE_HASH, "In", (value,))),
    )


def snapshot_specs(workloads: Sequence[Workload], nodes: Sequence[Node] = ()) -> list[PodSpec]:
    """The pods to simulate: those of the input as themselves, then what controllers add."""
    by_key = {_key(w): w for w in workloads}
    # Controllers (Deployment/CronJob) one of whose children is in the input.
    has_child = {key for w in workloads if w.kind != "Pod" and (key := _owner_key(w)) in by_key}
    # The creator of each pod in the input: its owner when present, else the controller whose
    # child it names (`ReplicaSet/web-5f9d…` under Deployment `web`).
    creator_of: dict[_Key, _Key] = {}
    pods_by_creator: dict[_Key, list[Workload]] = {}
    for pod in workloads:
        if pod.kind != "Pod":
            continue
        owner = _owner_key(pod)
        if owner is None:
            continue
        creator = owner if owner in by_key else _parent_by_name(owner, by_key)
        if creator is not None:
            creator_of[_key(pod)] = creator
            pods_by_creator.setdefault(creator, []).append(pod)

    out = [_as_itself(w, creator_of.get(_key(w)), by_key) for w in workloads if w.kind == "Pod"]
    for w in workloads:
        if w.kind == "Pod" or (w.kind in _CREATES_THROUGH and _key(w) in has_child):
            continue  # a pod is itself; a Deployment's ReplicaSets (CronJob's Jobs) create
        out.extend(_top_up(w, pods_by_creator.get(_key(w), []), nodes))
    return out


def _parent_by_name(owner: _Key, by_key: dict[_Key, Workload]) -> _Key | None:
    namespace, kind, name = owner
    for parent_kind, child_kind in _CREATES_THROUGH.items():
        if kind != child_kind:
            continue
        head, sep, _ = name.rpartition("-")
        while sep:
            if (namespace, parent_kind, head) in by_key:
                return (namespace, parent_kind, head)
            head, sep, _ = head.rpartition("-")
    return None


def _as_itself(pod: Workload, creator: _Key | None, by_key: dict[_Key, Workload]) -> PodSpec:
    selector = None
    if creator is not None:
        owner = by_key[creator]
        selector = owner.selector
        if owner.kind == "Deployment":
            selector = _with_hash(selector, pod)
    return PodSpec(
        pod.namespace, pod.name, pod.template, pod.owner, selector, pod, pod.template.node_name
    )


def _top_up(w: Workload, present: list[Workload], nodes: Sequence[Node]) -> list[PodSpec]:
    """What `w`'s controller creates beside the pods of it that are `present`."""
    if not present:
        return expand(w, nodes)
    if w.kind == "CronJob":
        return []  # a run is under way; the schedule starts no second one in a snapshot
    if w.kind == "DaemonSet":
        covered = {_daemon_node(p) for p in present}
        return [s for s in expand(w, nodes) if s.daemon_node not in covered]
    names = {p.name for p in present}
    fresh = [s for s in expand(w, nodes) if s.name not in names]
    if w.kind == "StatefulSet":
        return fresh  # the missing ordinals
    missing = max(0, (w.replicas if w.replicas is not None else 1) - len(present))
    return fresh[:missing]
