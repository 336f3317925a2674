"""One scheduling cycle (`schedule_one.go`): PreFilter, Filter, PostFilter, Score, select.

`Scheduler.schedule_one(pod)` decides without binding; `bind` applies a decision (or any node
the caller chooses, as a replay does) and runs Reserve. Semantics kept from upstream:
- the search starts where the previous cycle stopped and stops after `numFeasibleNodesToFind`
  feasible nodes: all nodes below 100, else `max(100, nodes * pct / 100)` with
  `pct = max(5, 50 - nodes / 125)` unless `percentage_of_nodes_to_score` is set;
- a pod with a nominated node (after preemption) tries that node first;
- one feasible node is chosen without scoring;
- the highest total wins; ties go to the tie-breaker (seeded reservoir sampling by default),
  and the tie set is reported.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from archfit.scheduling.cycle import Decision, num_feasible_nodes_to_find
from archfit.scheduling.fastpath import FastCycle
from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.interface import CycleState, Diagnosis, Handle, TieBreaker
from archfit.scheduling.framework.messages import fit_error_message
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.runtime import Framework, ProfileEntry, score_records
from archfit.scheduling.framework.status import Code, Status
from archfit.scheduling.framework.version import Semantics, semantics_for
from archfit.scheduling.registry import REGISTRY, default_profile

__all__ = [
    "FAST_MIN_NODES",
    "Decision",
    "ReservoirTieBreaker",
    "Scheduler",
    "num_feasible_nodes_to_find",
]

# Below this many nodes the exact cycle is faster than numpy's per-call overhead (14 nodes:
# 0.03 s against 0.07 s for 283 pods); both decide identically.
FAST_MIN_NODES = 32


class ReservoirTieBreaker:
    """Uniform choice among tied nodes by reservoir sampling, as `selectHost`, from a seeded
    generator so that runs repeat."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - tie-breaks, not secrets

    def __call__(self, pod: PodInfo, nodes: Sequence[str], kind: str) -> str:
        # `randrange(count) == 0` for count = 2, 3, …, drawn as `Random._randbelow` draws it
        # (rejection sampling over `count.bit_length()` random bits), inlined: large clusters
        # tie hundreds of nodes per pod. tests/unit/scheduling pins the equivalence.
        getrandbits = self._rng.getrandbits
        chosen = nodes[0]
        for count in range(2, len(nodes) + 1):
            bits = count.bit_length()
            r = getrandbits(bits)
            while r >= count:
                r = getrandbits(bits)
            if r == 0:
                chosen = nodes[count - 1]
        return chosen


class Scheduler:
    """A scheduler over `cluster` with one profile."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        version: str | Semantics = "1.32",
        seed: int = 0,
        tie_breaker: TieBreaker | None = None,
        percentage_of_nodes_to_score: int = 0,
        profile: Sequence[ProfileEntry] | None = None,
        explain: bool = True,
        fast: bool = True,
        fast_min_nodes: int = FAST_MIN_NODES,
    ) -> None:
        self.cluster = cluster
        self.semantics = version if isinstance(version, Semantics) else semantics_for(version)
        self.tie_breaker = tie_breaker or ReservoirTieBreaker(seed)
        self.handle = Handle(cluster, self.semantics, self.tie_breaker, random.Random(seed))  # noqa: S311
        self.framework = Framework(
            profile or default_profile(self.semantics), REGISTRY, self.handle
        )
        self.percentage = percentage_of_nodes_to_score
        # Keep every node's filter status and scores in decisions (costly at scale).
        self.explain = explain
        self.next_start = 0
        self._reserve = [p for p in self.framework.plugins if hasattr(p, "reserve")]
        # The vectorised cycle for pods that need only node-local plugins (same decisions).
        self.fast: FastCycle | None = FastCycle(self) if fast else None
        self.fast_min_nodes = fast_min_nodes

    def schedule_one(self, pod: PodInfo) -> Decision:
        """One cycle for `pod`: the vectorised one when it accepts the pod, else the exact one
        (which alone builds FailedScheduling messages and runs preemption)."""
        if self.fast is not None and len(self.cluster) >= self.fast_min_nodes:
            decision = self.fast.try_schedule(pod)
            if decision is not None:
                return decision
        return self.schedule_one_exact(pod)

    def schedule_one_exact(self, pod: PodInfo) -> Decision:
        """The cycle evaluated node by node with every plugin's own code."""
        fw = self.framework
        cluster = self.cluster
        state = CycleState()
        decision = Decision(pod, state=state)
        pre = fw.run_pre_filter(state, pod)
        all_nodes = cluster.order
        diagnosis = Diagnosis()
        if pre.status is not None and pre.status.code != Code.SUCCESS:
            diagnosis.absent = pre.status
            diagnosis.pre_filter_message = pre.status.message
            return self._fail(decision, diagnosis, state)
        filters = fw.filters_for(pre.skipped)
        run = fw.run_filters
        feasible: list[NodeInfo] = []
        nominated = pod.nominated_node
        if nominated and nominated in cluster.infos:
            info = cluster.infos[nominated]
            if (pre.node_names is None or nominated in pre.node_names) and run(
                filters, state, pod, info
            ) is None:
                decision.evaluated = 1
                feasible = [info]
        if not feasible:
            nodes = all_nodes
            if pre.node_names is not None:
                nodes = [cluster.infos[n] for n in pre.node_names if n in cluster.infos]
                diagnosis.absent = Status.unresolvable(
                    f"node(s) didn't satisfy plugin(s) [{' '.join(pre.plugins_with_nodes)}]"
                )
            total = len(nodes)
            want = num_feasible_nodes_to_find(total, self.percentage)
            statuses = diagnosis.statuses
            start = self.next_start % total if total else 0
            processed = 0
            static = fw.static_verdicts(pod, pre.skipped)
            dynamic = fw.dynamic_filters_for(pre.skipped)
            for i in range(total):
                info = nodes[(start + i) % total]
                processed += 1
                status = static[info.name]
                if status is None:
                    for name, fn in dynamic:
                        status = fn(state, pod, info)
                        if status is not None:
                            status = status.with_plugin(name)
                            break
                if status is None:
                    feasible.append(info)
                    if len(feasible) >= want:
                        break
                else:
                    statuses[info.name] = status
            if all_nodes:
                self.next_start = (self.next_start + processed) % len(all_nodes)
            decision.evaluated = processed
            if self.explain:
                decision.filters = dict(statuses)
        decision.feasible = len(feasible)
        if not feasible:
            return self._fail(decision, diagnosis, state)
        if len(feasible) == 1:
            decision.node = feasible[0].name
            return decision
        totals, per_plugin = fw.run_score_totals(state, pod, feasible)
        if self.explain:
            records = score_records(totals, per_plugin)
            decision.scores = {
                info.name: record for info, record in zip(feasible, records, strict=True)
            }
        best = max(totals)
        tied = tuple(
            info.name for info, total in zip(feasible, totals, strict=True) if total == best
        )
        decision.tie_set = tied if len(tied) > 1 else ()
        decision.node = tied[0] if len(tied) == 1 else self.tie_breaker(pod, tied, "score")
        return decision

    def _fail(self, decision: Decision, diagnosis: Diagnosis, state: CycleState) -> Decision:
        pod = decision.pod
        if not self.explain:
            pass
        elif diagnosis.pre_filter_message and not decision.filters:
            assert diagnosis.absent is not None
            decision.filters = dict.fromkeys(self.cluster.infos, diagnosis.absent)
        elif diagnosis.absent is not None:
            for name in self.cluster.infos:
                decision.filters.setdefault(name, diagnosis.absent)
        outcome = self.framework.run_post_filter(state, pod, diagnosis)
        post = "" if outcome.status.code == Code.SUCCESS else outcome.status.message
        decision.message = fit_error_message(
            len(self.cluster),
            diagnosis.statuses,
            absent=diagnosis.absent,
            pre_filter_message=diagnosis.pre_filter_message,
            post_filter_message=post,
        )
        if outcome.status.code == Code.SUCCESS and outcome.nominated_node:
            decision.nominated_node = outcome.nominated_node
            decision.victims = outcome.victims
            pod.nominated_node = outcome.nominated_node
        return decision

    def bind(self, pod: PodInfo, node: str, state: CycleState | None = None) -> None:
        """Place `pod` on `node` (assume + Reserve)."""
        self.cluster.bind(pod, node)
        pod.nominated_node = None
        if self._reserve:
            info = self.cluster.infos[node]
            if state is None:
                state = CycleState()
                self.framework.run_pre_filter(state, pod)
            for plugin in self._reserve:
                plugin.reserve(state, pod, info)
