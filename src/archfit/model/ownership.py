"""Which workloads stand for which when a controller and its children are read together.

A snapshot of a running cluster (`archfit snapshot`, `kubectl get -o yaml`) holds Deployments
next to their ReplicaSets and pods, CronJobs next to their Jobs and pods. `controllers` keeps
the top of each ownership chain (what a policy judges); `running_state` keeps what a
simulation needs: the pods already bound to a node, plus the controllers that still have to
create pods because none of theirs are present.
"""

from __future__ import annotations

from collections.abc import Sequence

from archfit.model.workload import Workload

__all__ = ["controllers", "running_state"]

# A controller whose intermediate child may be missing from the input: its pods' owners are
# named `<child kind>/<controller name>-<suffix>`.
_CHILD_PREFIX = {"Deployment": "ReplicaSet", "CronJob": "Job"}


def _key(w: Workload) -> tuple[str, str, str]:
    return (w.namespace, w.kind, w.name)


def _owner_key(w: Workload) -> tuple[str, str, str] | None:
    if not w.owner:
        return None
    kind, _, name = w.owner.partition("/")
    return (w.namespace, kind, name)


def controllers(workloads: Sequence[Workload]) -> list[Workload]:
    """The workloads without those whose controlling owner is also in the input (pods,
    ReplicaSets and Jobs next to the controller that owns them, which stands for them)."""
    present = {_key(w) for w in workloads}
    return [w for w in workloads if _owner_key(w) not in present]


def running_state(workloads: Sequence[Workload]) -> list[Workload]:
    """What to simulate from a mix of controllers, their children and their pods.

    - Pods bound to a node (`spec.nodeName`) are kept: they are the running state.
    - Anything else whose controlling owner is in the input is dropped: the owner stands for
      it (a ReplicaSet under its Deployment, a Job under its CronJob, a pending pod under its
      ReplicaSet, which would recreate it).
    - A remaining controller that owns, directly or through a child, a pod kept above is
      dropped too: its pods are already there and are not created a second time. When the
      intermediate child is absent, ownership is recognised by name
      (`ReplicaSet/<deployment>-…`, `Job/<cronjob>-…`), as the controllers name their children.
    Input order is kept.
    """
    by_key = {_key(w): w for w in workloads}
    kept_pods = [
        w
        for w in workloads
        if w.kind == "Pod" and (w.template.node_name or _owner_key(w) not in by_key)
    ]
    with_pods: set[tuple[str, str, str]] = set()
    loose: set[tuple[str, str]] = set()  # (namespace, owner) of pods whose owner is absent
    for pod in kept_pods:
        key = _owner_key(pod)
        seen: set[tuple[str, str, str]] = set()
        while key is not None and key not in seen:
            seen.add(key)
            with_pods.add(key)
            owner = by_key.get(key)
            if owner is None:
                loose.add((key[0], f"{key[1]}/{key[2]}"))
                break
            key = _owner_key(owner)

    def has_pods(w: Workload) -> bool:
        if _key(w) in with_pods:
            return True
        child = _CHILD_PREFIX.get(w.kind)
        if child is None:
            return False
        prefix = f"{child}/{w.name}-"
        return any(ns == w.namespace and o.startswith(prefix) for ns, o in loose)

    def kept(w: Workload) -> bool:
        if w.kind == "Pod" and w.template.node_name:
            return True
        return _owner_key(w) not in by_key and (w.kind == "Pod" or not has_pods(w))

    return [w for w in workloads if kept(w)]
