"""Which workloads stand for which when a controller and its children are read together.

A snapshot of a running cluster (`archfit snapshot`, `kubectl get -o yaml`) holds Deployments
next to their ReplicaSets and pods, CronJobs next to their Jobs and pods. `controllers` keeps
the top of each ownership chain (what a policy judges); what a simulation starts from is
`archfit.scheduling.snapshot`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from archfit.model.workload import Workload

__all__ = ["controllers"]


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
