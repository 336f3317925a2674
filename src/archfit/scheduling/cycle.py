"""What one scheduling cycle decides, and how many feasible nodes it looks for.

The lower half shared by the exact cycle (`scheduler.Scheduler`) and the vectorised one
(`fastpath.FastCycle`), so that both depend on this module and neither on the other: the
scheduler builds its fast cycle, and the fast cycle sees the scheduler only as `CycleOwner`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.interface import CycleState, TieBreaker
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.runtime import Framework
from archfit.scheduling.framework.status import Status

__all__ = [
    "MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND",
    "MIN_FEASIBLE_NODES_TO_FIND",
    "CycleOwner",
    "Decision",
    "num_feasible_nodes_to_find",
]

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(total: int, percentage: int = 0) -> int:
    """How many feasible nodes a cycle looks for before it stops filtering."""
    if total < MIN_FEASIBLE_NODES_TO_FIND:
        return total
    if percentage == 0:
        percentage = max(50 - total // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(total * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


@dataclass(slots=True)
class Decision:
    """What one cycle decided. `node` is None when the pod did not fit (then `message` is the
    FailedScheduling text); a successful preemption leaves `node` None with
    `nominated_node` set and `victims` evicted. `filters` holds the rejecting status of every
    node that was filtered out; `scores` the weighted per-plugin scores and `total` of every
    scored node (None when scoring was skipped)."""

    pod: PodInfo
    node: str | None = None
    message: str | None = None
    filters: dict[str, Status] = field(default_factory=dict)
    scores: dict[str, dict[str, int]] | None = None
    tie_set: tuple[str, ...] = ()
    evaluated: int = 0
    feasible: int = 0
    nominated_node: str | None = None
    victims: tuple[PodInfo, ...] = ()
    state: CycleState | None = None


class CycleOwner(Protocol):
    """What a cycle shares with the scheduler running it: the cluster and framework, the
    settings, and the rotating start index it advances."""

    cluster: Cluster
    framework: Framework
    tie_breaker: TieBreaker
    percentage: int
    explain: bool
    next_start: int
