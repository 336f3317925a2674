"""The extension points a plugin may implement, and the state a scheduling cycle carries.

A plugin declares `name` and implements only the methods of the points it joins; the runtime
finds them by name when the profile is built. Contracts:

- `pre_filter(state, pod) -> (node names | None, Status | None)`: a set restricts the nodes
  Filter sees (NodeAffinity's `metadata.name` terms); a `SKIP` status turns the plugin's Filter
  off for this pod; a rejection fails every node with that status.
- `filter(state, pod, node) -> Status | None`: None when the node passes.
- `pre_score(state, pod, nodes) -> Status | None`: `SKIP` removes the plugin from scoring.
- `score(state, pod, node) -> int`, then `normalize(state, pod, scores)` in place when the
  plugin has one; the result must be within 0..100 and is multiplied by the weight.
- `post_filter(state, pod, diagnosis) -> PostFilterOutcome` (preemption).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status
from archfit.scheduling.framework.version import Semantics

__all__ = [
    "CycleState",
    "Diagnosis",
    "FilterPlugin",
    "Handle",
    "Plugin",
    "PostFilterOutcome",
    "PostFilterPlugin",
    "PreFilterPlugin",
    "PreScorePlugin",
    "ScorePlugin",
    "TieBreaker",
]

MAX_NODE_SCORE = 100


class CycleState(dict[str, Any]):
    """Per-cycle data plugins share between their own extension points."""


class TieBreaker(Protocol):
    """Chooses one node among equally good ones. `kind` is `score` (the nodes sharing the top
    total, in evaluation order) or `preemption` (candidates the ordering criteria do not
    separate). Returns one of `nodes`."""

    def __call__(self, pod: PodInfo, nodes: Sequence[str], kind: str) -> str: ...


@dataclass(slots=True)
class Handle:
    """What plugins may use besides the pod: the cluster, version semantics, the tie-breaker
    and a way to rerun the filters (preemption's dry runs)."""

    cluster: Cluster
    semantics: Semantics
    tie_breaker: TieBreaker
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311 - tie-breaks, not secrets
    framework: Any = None


@dataclass(slots=True)
class Diagnosis:
    """Why no node fits: per-node statuses, and the PreFilter message when PreFilter failed.
    `absent` is the status of nodes not filtered (outside a PreFilter node set)."""

    statuses: dict[str, Status] = field(default_factory=dict)
    absent: Status | None = None
    pre_filter_message: str = ""
    unschedulable_plugins: set[str] = field(default_factory=set)

    def status_of(self, node: str) -> Status | None:
        return self.statuses.get(node, self.absent)


@dataclass(slots=True)
class PostFilterOutcome:
    status: Status
    nominated_node: str | None = None
    victims: tuple[PodInfo, ...] = ()
    candidates: dict[str, tuple[PodInfo, ...]] = field(default_factory=dict)


class Plugin(Protocol):
    name: str


class PreFilterPlugin(Plugin, Protocol):
    def pre_filter(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[frozenset[str] | None, Status | None]: ...


class FilterPlugin(Plugin, Protocol):
    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None: ...


class PreScorePlugin(Plugin, Protocol):
    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> Status | None: ...


class ScorePlugin(Plugin, Protocol):
    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int: ...


class PostFilterPlugin(Plugin, Protocol):
    def post_filter(
        self, state: CycleState, pod: PodInfo, diagnosis: Diagnosis
    ) -> PostFilterOutcome: ...
