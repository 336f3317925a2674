"""The scheduling cycle of `Scheduler.schedule_one`, vectorised with numpy for pods that only
need the node-local plugins — identical results, at a fraction of the per-node cost.

Contract: for every pod it accepts, `FastCycle.try_schedule` returns the Decision the exact
cycle would (same node, tie set, per-plugin scores, filter statuses with `explain`, and the
same advance of the rotating start index); for every other pod it returns None *before
changing anything*, and the caller runs the exact cycle. It declines:
- pods with a nominated node, a PreFilter rejection, or a PreFilter node set (DaemonSet pods);
- pods for which a Filter other than the static ones and NodeResourcesFit runs (host ports,
  claims, DoNotSchedule spread constraints, inter-pod (anti-)affinity on either side);
- pods no node fits: the exact cycle builds the FailedScheduling message and runs preemption.

How it stays exact:
- Static filters (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity) come from the
  framework's per-`placement_key` verdicts, turned into a mask once per key and node set.
- NodeResourcesFit's filter compares the same integers (`NodeArrays`, synced from the
  `NodeInfo`s on every cycle).
- The search order is the exact cycle's: nodes from `next_start` round the node-tree order,
  stopping at the `numFeasibleNodesToFind`-th feasible node; `next_start` advances by the
  number of nodes looked at.
- PreScore runs unchanged (the plugins' own code). Scores are vectorised for TaintToleration,
  NodeAffinity, NodeResourcesFit, PodTopologySpread, BalancedAllocation and ImageLocality with
  the same integer and float64 operations in the same order; any other scoring plugin (e.g.
  InterPodAffinity when existing pods' terms apply) is scored by its own Python code on the
  feasible nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, overload

import numpy as np

from archfit.scheduling.cycle import CycleOwner, Decision, num_feasible_nodes_to_find
from archfit.scheduling.framework.arrays import BoolArray, IntArray, NodeArrays
from archfit.scheduling.framework.interface import MAX_NODE_SCORE, CycleState
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Code
from archfit.scheduling.plugins.imagelocality import ImageLocality
from archfit.scheduling.plugins.nodeaffinity import NodeAffinity
from archfit.scheduling.plugins.noderesources import BalancedAllocation, Fit
from archfit.scheduling.plugins.podtopologyspread import HOSTNAME, PodTopologySpread
from archfit.scheduling.plugins.tainttoleration import TaintToleration

__all__ = ["FastCycle"]

FIT = "NodeResourcesFit"
Scorer = Callable[[Any, CycleState, PodInfo, IntArray, Sequence[NodeInfo]], IntArray]


class FastCycle:
    """The vectorised cycle of one `Scheduler` (shares its framework, cluster and start index)."""

    def __init__(self, scheduler: CycleOwner) -> None:
        self.scheduler = scheduler
        self.arrays = NodeArrays(scheduler.cluster)
        # Cycles this path decided (the others went to the exact cycle).
        self.accepted = 0
        self._feasible: IntArray = np.zeros(0, np.int64)
        self._taken: dict[str, IntArray] = {}
        self._scorers: dict[int, Scorer] = {}
        for plugin in scheduler.framework.score_plugins:
            scorer = _SCORERS.get(type(plugin))
            if scorer is not None:
                self._scorers[id(plugin)] = scorer

    # Filter ------------------------------------------------------------------------------

    def _static_mask(self, pod: PodInfo, skipped: frozenset[str]) -> tuple[BoolArray, Any]:
        fw = self.scheduler.framework
        arrays = self.arrays

        def build() -> tuple[BoolArray, object]:
            verdicts = fw.static_verdicts(pod, skipped)
            mask = np.fromiter(
                (verdicts[name] is None for name in arrays.names), np.bool_, len(arrays)
            )
            return mask, verdicts

        mask, verdicts = arrays.static(("filter", pod.placement_key, skipped), build)
        return mask.astype(np.bool_, copy=False), verdicts

    def _fits(self, pod: PodInfo) -> BoolArray:
        a = self.arrays
        ok: BoolArray = a.pods + 1 <= a.allowed_pods
        for name, amount in pod.fit_requests:
            if name == "cpu":
                alloc, req = a.alloc_cpu, a.req_cpu
            elif name == "memory":
                alloc, req = a.alloc_memory, a.req_memory
            else:
                alloc, req = a.resource(name)
            ok &= amount <= alloc - req
        return ok

    def try_schedule(self, pod: PodInfo) -> Decision | None:
        """The exact cycle's Decision for `pod`, or None (nothing changed) when it declines."""
        if pod.nominated_node:
            return None
        sched = self.scheduler
        fw = sched.framework
        state = CycleState()
        pre = fw.run_pre_filter(state, pod)
        if (pre.status is not None and pre.status.code != Code.SUCCESS) or (
            pre.node_names is not None
        ):
            return None
        dynamic = [name for name, _ in fw.dynamic_filters_for(pre.skipped)]
        if dynamic not in ([], [FIT]):
            return None
        arrays = self.arrays
        arrays.sync()
        total = len(arrays)
        if total == 0:
            return None
        static, verdicts = self._static_mask(pod, pre.skipped)
        ok = static & self._fits(pod) if dynamic else static.copy()
        start = sched.next_start % total
        rotated = np.concatenate((ok[start:], ok[:start])) if start else ok
        found = np.flatnonzero(rotated)
        if found.size == 0:
            return None
        want = num_feasible_nodes_to_find(total, sched.percentage)
        if found.size >= want:
            found = found[:want]
            processed = int(found[-1]) + 1
        else:
            processed = total
        feasible = found + start
        feasible[feasible >= total] -= total
        sched.next_start = (sched.next_start + processed) % total
        self.accepted += 1
        decision = Decision(pod, state=state, evaluated=processed, feasible=int(feasible.size))
        infos = arrays.infos
        if sched.explain:
            fit = next((p for p in fw.filter_plugins if p.name == FIT), None)
            assert isinstance(verdicts, dict)
            for i in range(processed):
                index = (start + i) % total
                if ok[index]:
                    continue
                info = infos[index]
                status = verdicts[info.name]
                if status is None:
                    assert fit is not None
                    status = fit.filter(state, pod, info)
                    assert status is not None
                    status = status.with_plugin(FIT)
                decision.filters[info.name] = status
        indices = feasible.tolist()
        if len(indices) == 1:
            decision.node = infos[indices[0]].name
            return decision
        nodes = _Nodes(infos, indices)
        totals, per_plugin = self._score(state, pod, feasible, nodes)
        if sched.explain:
            records: list[dict[str, int]] = [{} for _ in nodes]
            for name, values in per_plugin:
                for record, value in zip(records, values.tolist(), strict=True):
                    record[name] = value
            for record, value in zip(records, totals.tolist(), strict=True):
                record["total"] = value
            decision.scores = {
                info.name: record for info, record in zip(nodes, records, strict=True)
            }
        top = feasible[totals == totals.max()].tolist()
        names = arrays.names
        tied = (names[top[0]],) if len(top) == 1 else itemgetter(*top)(names)
        decision.tie_set = tied if len(tied) > 1 else ()
        decision.node = tied[0] if len(tied) == 1 else sched.tie_breaker(pod, tied, "score")
        return decision

    # Score -------------------------------------------------------------------------------

    def take(self, column: str) -> IntArray:
        """`NodeArrays.<column>` at this cycle's feasible nodes (gathered once per cycle)."""
        hit = self._taken.get(column)
        if hit is None:
            hit = self._taken[column] = getattr(self.arrays, column)[self._feasible]
        return hit

    def _score(
        self, state: CycleState, pod: PodInfo, feasible: IntArray, nodes: Sequence[NodeInfo]
    ) -> tuple[IntArray, list[tuple[str, IntArray]]]:
        """`Framework.run_score_totals`, with vectorised scorers where there is one."""
        fw = self.scheduler.framework
        skipped: set[str] = set()
        arrays = self.arrays
        self._feasible = feasible
        self._taken = {}

        def domain_values(key: str) -> set[str]:
            ids, values = arrays.label_ids(key)
            seen = np.flatnonzero(np.bincount(ids[feasible] + 1, minlength=len(values) + 1))
            return {values[i - 1] if i else "" for i in seen.tolist()}

        for plugin in fw.pre_score_plugins:
            if isinstance(plugin, PodTopologySpread):
                status = plugin.pre_score(state, pod, nodes, domain_values)
            else:
                status = plugin.pre_score(state, pod, nodes)
            if status is not None and status.code == Code.SKIP:
                skipped.add(plugin.name)
        per_plugin: list[tuple[str, IntArray]] = []
        totals: IntArray = np.zeros(len(nodes), np.int64)
        for plugin in fw.score_plugins:
            if plugin.name in skipped:
                continue
            scorer = self._scorers.get(id(plugin))
            if scorer is not None:
                raw = scorer(self, state, pod, feasible, nodes)
            else:
                raw = np.array(_exact_scores(plugin, state, pod, nodes), np.int64)
            weight = fw.weights[plugin.name]
            weighted = raw * weight if weight != 1 else raw
            per_plugin.append((plugin.name, weighted))
            totals += weighted
        return totals, per_plugin


class _Nodes(Sequence[NodeInfo]):
    """The feasible nodes, listed only when a plugin iterates them (PreScore mostly needs only
    their number)."""

    __slots__ = ("_indices", "_infos", "_list")

    def __init__(self, infos: list[NodeInfo], indices: list[int]) -> None:
        self._infos = infos
        self._indices = indices
        self._list: list[NodeInfo] | None = None

    def _all(self) -> list[NodeInfo]:
        if self._list is None:
            infos = self._infos
            self._list = [infos[i] for i in self._indices]
        return self._list

    def __len__(self) -> int:
        return len(self._indices)

    @overload
    def __getitem__(self, index: int) -> NodeInfo: ...
    @overload
    def __getitem__(self, index: slice) -> list[NodeInfo]: ...
    def __getitem__(self, index: int | slice) -> NodeInfo | list[NodeInfo]:
        return self._all()[index]

    def __iter__(self) -> Iterator[NodeInfo]:
        return iter(self._all())


def _exact_scores(
    plugin: Any, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
) -> list[int]:
    batch = getattr(plugin, "score_nodes", None)
    raw: list[int] = (
        batch(state, pod, nodes)
        if batch is not None
        else [plugin.score(state, pod, n) for n in nodes]
    )
    normalize = getattr(plugin, "normalize", None)
    if normalize is not None:
        normalize(state, pod, raw, nodes)
    return raw


def _default_normalize(scores: IntArray, *, reverse: bool) -> IntArray:
    """`helpers.default_normalize` on an array."""
    top = int(scores.max()) if scores.size else 0
    if top == 0:
        return np.full_like(scores, MAX_NODE_SCORE) if reverse else scores
    scaled = MAX_NODE_SCORE * scores // top
    return MAX_NODE_SCORE - scaled if reverse else scaled


def _per_node(
    cycle: FastCycle, key: object, plugin: Any, state: CycleState, pod: PodInfo
) -> IntArray:
    """A plugin's raw score of every node, for scores that read only the pod's template and the
    node object: computed by the plugin itself once per `key` and node set."""
    infos = cycle.arrays.infos

    def build() -> tuple[IntArray, object]:
        values = np.fromiter(
            (plugin.score(state, pod, info) for info in infos), np.int64, len(infos)
        )
        return values, None

    values, _ = cycle.arrays.static(key, build)
    return values.astype(np.int64, copy=False)


def _taint_toleration(
    cycle: FastCycle, state: CycleState, pod: PodInfo, feasible: IntArray, nodes: Sequence[NodeInfo]
) -> IntArray:
    plugin = next(
        p for p in cycle.scheduler.framework.score_plugins if isinstance(p, TaintToleration)
    )
    raw = _per_node(cycle, ("TaintToleration", pod.tolerations), plugin, state, pod)[feasible]
    return _default_normalize(raw, reverse=True)


def _node_affinity(
    cycle: FastCycle, state: CycleState, pod: PodInfo, feasible: IntArray, nodes: Sequence[NodeInfo]
) -> IntArray:
    plugin = next(p for p in cycle.scheduler.framework.score_plugins if isinstance(p, NodeAffinity))
    affinity = pod.template.node_affinity
    assert affinity is not None
    try:
        key: object = ("NodeAffinity", affinity.preferred)
        hash(key)
    except TypeError:
        return np.array(_exact_scores(plugin, state, pod, nodes), np.int64)
    raw = _per_node(cycle, key, plugin, state, pod)[feasible]
    return _default_normalize(raw, reverse=False)


def _least_allocated(
    cycle: FastCycle, state: CycleState, pod: PodInfo, feasible: IntArray, nodes: Sequence[NodeInfo]
) -> IntArray:
    a_cpu = cycle.take("alloc_cpu")
    a_mem = cycle.take("alloc_memory")
    r_cpu = cycle.take("nonzero_cpu") + pod.nonzero_cpu
    r_mem = cycle.take("nonzero_memory") + pod.nonzero_memory
    if cycle.arrays.alloc_positive:
        # (a - r) * 100 // a is negative exactly when r > a, where the score is 0.
        s_cpu = np.maximum((a_cpu - r_cpu) * MAX_NODE_SCORE // a_cpu, 0)
        s_mem = np.maximum((a_mem - r_mem) * MAX_NODE_SCORE // a_mem, 0)
        fast: IntArray = (s_cpu + s_mem) // 2
        return fast
    has_cpu = a_cpu > 0
    has_mem = a_mem > 0
    d_cpu = np.where(has_cpu, a_cpu, 1)
    d_mem = np.where(has_mem, a_mem, 1)
    s_cpu = np.where(has_cpu & (r_cpu <= a_cpu), (a_cpu - r_cpu) * MAX_NODE_SCORE // d_cpu, 0)
    s_mem = np.where(has_mem & (r_mem <= a_mem), (a_mem - r_mem) * MAX_NODE_SCORE // d_mem, 0)
    weights = has_cpu.astype(np.int64) + has_mem.astype(np.int64)
    out: IntArray = np.where(weights > 0, (s_cpu + s_mem) // np.maximum(weights, 1), 0)
    return out


def _balanced(
    cycle: FastCycle, state: CycleState, pod: PodInfo, feasible: IntArray, nodes: Sequence[NodeInfo]
) -> IntArray:
    a_cpu = cycle.take("alloc_cpu")
    a_mem = cycle.take("alloc_memory")
    u_cpu = cycle.take("req_cpu") + pod.requests.get("cpu", 0)
    u_mem = cycle.take("req_memory") + pod.requests.get("memory", 0)
    if cycle.arrays.alloc_positive:
        f_cpu = np.minimum(u_cpu / a_cpu, 1.0)
        f_mem = np.minimum(u_mem / a_mem, 1.0)
        fast: IntArray = ((1 - np.abs((f_cpu - f_mem) / 2)) * MAX_NODE_SCORE).astype(np.int64)
        return fast
    both = (a_cpu > 0) & (a_mem > 0)
    f_cpu = np.minimum(u_cpu / np.where(both, a_cpu, 1), 1.0)
    f_mem = np.minimum(u_mem / np.where(both, a_mem, 1), 1.0)
    score = ((1 - np.abs((f_cpu - f_mem) / 2)) * MAX_NODE_SCORE).astype(np.int64)
    # With fewer than two fractions the standard deviation is 0.
    out: IntArray = np.where(both, score, MAX_NODE_SCORE)
    return out


def _topology_spread(
    cycle: FastCycle, state: CycleState, pod: PodInfo, feasible: IntArray, nodes: Sequence[NodeInfo]
) -> IntArray:
    plugin = next(
        p for p in cycle.scheduler.framework.score_plugins if isinstance(p, PodTopologySpread)
    )
    terms, ignored, pair_counts, per_node = plugin.score_inputs(state)
    arrays = cycle.arrays
    index = arrays.index
    # Ignored nodes (without every constraint's key) score 0 and are not looked up.
    if ignored:
        kept = np.fromiter((n.name not in ignored for n in nodes), np.bool_, len(nodes))
        if not kept.any():
            return np.zeros(len(nodes), np.int64)
    else:
        kept = np.ones(len(nodes), np.bool_)
    total = np.zeros(feasible.size, np.float64)
    for (key, weight, skew), counts in zip(terms, per_node, strict=True):
        ids, values = arrays.label_ids(key)
        node_ids = ids[feasible]
        present = (node_ids >= 0) & kept
        if key == HOSTNAME:
            everywhere = np.zeros(len(arrays), np.int64)
            for name, n in counts.items():
                i = index.get(name)
                if i is not None:
                    everywhere[i] = n
            term = everywhere[feasible] * weight + skew
        else:
            table = np.zeros(max(len(values), 1), np.float64)
            seen = np.bincount(node_ids[present], minlength=len(values))
            for vid in np.flatnonzero(seen).tolist():
                table[vid] = pair_counts[(key, values[vid])] * weight + skew
            term = table[np.where(present, node_ids, 0)]
        total = np.where(present, total + term, total)
    raw = (total + 0.5).astype(np.int64)
    lowest = int(raw[kept].min())
    highest = int(raw[kept].max())
    if highest == 0:
        out = np.full(len(nodes), MAX_NODE_SCORE, np.int64)
    else:
        out = MAX_NODE_SCORE * (highest + lowest - raw) // highest
    result: IntArray = np.where(kept, out, 0)
    return result


def _image_locality(
    cycle: FastCycle, state: CycleState, pod: PodInfo, feasible: IntArray, nodes: Sequence[NodeInfo]
) -> IntArray:
    return np.zeros(feasible.size, np.int64)


_SCORERS: dict[type, Scorer] = {
    TaintToleration: _taint_toleration,
    NodeAffinity: _node_affinity,
    Fit: _least_allocated,
    BalancedAllocation: _balanced,
    PodTopologySpread: _topology_spread,
    ImageLocality: _image_locality,
}
