"""DefaultPreemption: when no node fits, find lower-priority pods whose eviction would make room.

As upstream (`preemption.Evaluator`, Kubernetes 1.32):
- a pod with `preemptionPolicy: Never` is not eligible (`not eligible due to
  preemptionPolicy=Never.`);
- candidates are the nodes whose filter status was `Unschedulable` (not unresolvable); they are
  tried from a random offset; on each, every pod of strictly lower priority is removed — none:
  `No preemption victims found for incoming pod`; still no fit: the filter's own reasons;
- victims are then reprieved one by one, most important first (PDB-violating ones before the
  others), keeping each pod whose return still lets the incoming pod fit;
- the node is chosen by fewest PDB violations, lowest highest-victim priority, lowest sum of
  priorities, fewest victims, latest start time; remaining ties go to the tie-breaker;
- with no candidate, the message is a FitError over all nodes, nodes that were not tried saying
  `Preemption is not helpful for scheduling`.

Pods in a simulation have no start time; upstream then compares "now" against "now", which for
equal priorities orders victims in reverse of the node's pod list (checked against recordings):
that is the order used here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from archfit.scheduling.framework.interface import (
    CycleState,
    Diagnosis,
    Handle,
    PostFilterOutcome,
)
from archfit.scheduling.framework.messages import fit_error_message
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Code, Status

__all__ = ["NAME", "DefaultPreemption"]

NAME = "DefaultPreemption"
REASON_NOT_HELPFUL = "Preemption is not helpful for scheduling"
REASON_NO_VICTIMS = "No preemption victims found for incoming pod"
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100
_INT32_OFFSET = 2**31


@dataclass(slots=True)
class _Candidate:
    node: str
    victims: list[PodInfo] = field(default_factory=list)
    violations: int = 0


class DefaultPreemption:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del args
        self._handle = handle
        self.last_dry_run: dict[str, tuple[PodInfo, ...]] = {}

    def post_filter(
        self, state: CycleState, pod: PodInfo, diagnosis: Diagnosis
    ) -> PostFilterOutcome:
        if pod.preemption_policy == "Never":
            return PostFilterOutcome(
                Status.unschedulable("preemption: not eligible due to preemptionPolicy=Never.")
            )
        cluster = self._handle.cluster
        nodes = cluster.order
        potential = [
            info
            for info in nodes
            if (status := diagnosis.status_of(info.name)) is not None
            and status.code == Code.UNSCHEDULABLE
        ]
        statuses: dict[str, Status] = {}
        candidates: list[_Candidate] = []
        if potential:
            offset = self._handle.rng.randrange(len(potential))
            wanted = min(
                len(potential),
                max(
                    len(potential) * MIN_CANDIDATE_NODES_PERCENTAGE // 100,
                    MIN_CANDIDATE_NODES_ABSOLUTE,
                ),
            )
            non_violating = 0
            for i in range(len(potential)):
                info = potential[(offset + i) % len(potential)]
                candidate, status = self._select_victims(pod, info)
                if candidate is None:
                    assert status is not None
                    statuses[info.name] = status
                    continue
                candidates.append(candidate)
                non_violating += candidate.violations == 0
                if non_violating and len(candidates) >= wanted:
                    break
        self.last_dry_run = {c.node: tuple(c.victims) for c in candidates}
        if not candidates:
            return PostFilterOutcome(
                Status.unschedulable(
                    "preemption: "
                    + fit_error_message(
                        len(nodes), statuses, absent=Status.unresolvable(REASON_NOT_HELPFUL)
                    )
                )
            )
        chosen = self._pick(pod, candidates)
        for victim in chosen.victims:
            cluster.unbind(victim)
        return PostFilterOutcome(
            Status(Code.SUCCESS),
            nominated_node=chosen.node,
            victims=tuple(chosen.victims),
            candidates=dict(self.last_dry_run),
        )

    def _fits(self, pod: PodInfo, node: NodeInfo) -> Status | None:
        framework = self._handle.framework
        state = CycleState()
        pre = framework.run_pre_filter(state, pod)
        if pre.status is not None:
            return cast(Status, pre.status)
        if pre.node_names is not None and node.name not in pre.node_names:
            return Status.unresolvable(
                f"node(s) didn't satisfy plugin(s) [{' '.join(pre.plugins_with_nodes)}]"
            )
        filters = framework.filters_for(pre.skipped)
        return cast("Status | None", framework.run_filters(filters, state, pod, node))

    def _select_victims(
        self, pod: PodInfo, node: NodeInfo
    ) -> tuple[_Candidate | None, Status | None]:
        cluster = self._handle.cluster
        lower = [p for p in node.pods if p.priority < pod.priority]
        if not lower:
            return None, Status.unresolvable(REASON_NO_VICTIMS)
        original = list(node.pods)
        try:
            for victim in lower:
                cluster.unbind(victim)
            status = self._fits(pod, node)
            if status is not None:
                return None, status
            # Most important first: higher priority, then (no start times) later in the list.
            ordered = lower[::-1]
            ordered.sort(key=lambda p: -p.priority)
            violating, others = self._split_by_budget(ordered)
            candidate = _Candidate(node.name)
            for group, counts in ((violating, True), (others, False)):
                for victim in group:
                    cluster.bind(victim, node.name)
                    if self._fits(pod, node) is not None:
                        cluster.unbind(victim)
                        candidate.victims.append(victim)
                        candidate.violations += counts
            return candidate, None
        finally:
            for present in list(node.pods):
                cluster.unbind(present)
            for again in original:
                cluster.bind(again, node.name)

    def _split_by_budget(self, pods: list[PodInfo]) -> tuple[list[PodInfo], list[PodInfo]]:
        budgets = self._handle.cluster.budgets
        if not budgets:
            return [], pods
        cluster = self._handle.cluster
        allowed = [b.allowed(sum(1 for p in cluster.where if b.matches(p))) for b in budgets]
        violating: list[PodInfo] = []
        others: list[PodInfo] = []
        for pod in pods:
            hit = False
            for i, budget in enumerate(budgets):
                if budget.matches(pod):
                    allowed[i] -= 1
                    if allowed[i] < 0:
                        hit = True
            (violating if hit else others).append(pod)
        return violating, others

    def _pick(self, pod: PodInfo, candidates: list[_Candidate]) -> _Candidate:
        criteria = (
            lambda c: -c.violations,
            lambda c: -c.victims[0].priority,
            lambda c: -sum(v.priority + _INT32_OFFSET for v in c.victims),
            lambda c: -len(c.victims),
        )
        remaining = candidates
        for key in criteria:
            best = max(key(c) for c in remaining)
            remaining = [c for c in remaining if key(c) == best]
            if len(remaining) == 1:
                return remaining[0]
        chosen = self._handle.tie_breaker(pod, [c.node for c in remaining], "preemption")
        return next(c for c in remaining if c.node == chosen)
