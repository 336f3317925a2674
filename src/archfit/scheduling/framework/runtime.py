"""Runs a profile's plugins at each extension point (`frameworkImpl` upstream).

Filters run in profile order and stop at the first rejection, which is stamped with the
plugin's name. Scores are normalised per plugin, then multiplied by the plugin's weight; the
per-node record keeps the weighted value of every plugin that scored, as kube-scheduler logs it
at verbosity 10.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from archfit.scheduling.framework.interface import (
    CycleState,
    Diagnosis,
    Handle,
    PostFilterOutcome,
)
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Code, Status

__all__ = ["Framework", "PreFilterOutcome", "ProfileEntry", "score_records"]

STATIC_CACHE_TEMPLATES = 64

FilterFn = Callable[[CycleState, PodInfo, NodeInfo], Status | None]


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """One plugin of a profile: its name, score weight (0 = does not score) and arguments."""

    name: str
    weight: int = 0
    args: Any = None


@dataclass(slots=True)
class PreFilterOutcome:
    status: Status | None
    node_names: frozenset[str] | None
    skipped: frozenset[str]
    plugins_with_nodes: tuple[str, ...]


class Framework:
    """The plugins of one profile, instantiated against a handle."""

    def __init__(
        self,
        entries: Sequence[ProfileEntry],
        registry: dict[str, Callable[[Handle, Any], Any]],
        handle: Handle,
    ) -> None:
        self.handle = handle
        handle.framework = self
        self.plugins: list[Any] = []
        self.weights: dict[str, int] = {}
        for entry in entries:
            factory = registry.get(entry.name)
            if factory is None:
                raise ValueError(f"unknown scheduler plugin {entry.name!r}")
            plugin = factory(handle, entry.args)
            self.plugins.append(plugin)
            if entry.weight:
                self.weights[entry.name] = entry.weight
        self.pre_filter_plugins = [p for p in self.plugins if hasattr(p, "pre_filter")]
        self.filter_plugins = [p for p in self.plugins if hasattr(p, "filter")]
        self.pre_score_plugins = [p for p in self.plugins if hasattr(p, "pre_score")]
        self.score_plugins = [
            p for p in self.plugins if hasattr(p, "score") and p.name in self.weights
        ]
        self.post_filter_plugins = [p for p in self.plugins if hasattr(p, "post_filter")]
        self._static_count = 0
        for plugin in self.filter_plugins:
            if not getattr(plugin, "static_filter", False):
                break
            self._static_count += 1
        self._static_cache: OrderedDict[
            tuple[object, frozenset[str]], tuple[int, dict[str, Status | None]]
        ] = OrderedDict()

    # PreFilter / Filter ------------------------------------------------------------------

    def run_pre_filter(self, state: CycleState, pod: PodInfo) -> PreFilterOutcome:
        result: frozenset[str] | None = None
        with_nodes: list[str] = []
        skipped: set[str] = set()
        returned: Status | None = None
        for plugin in self.pre_filter_plugins:
            names, status = plugin.pre_filter(state, pod)
            if status is not None and status.code == Code.SKIP:
                skipped.add(plugin.name)
                continue
            if status is not None and status.code != Code.SUCCESS:
                status = status.with_plugin(plugin.name)
                if status.code == Code.UNSCHEDULABLE:
                    returned = status
                    continue
                return PreFilterOutcome(status, None, frozenset(skipped), ())
            if names is not None:
                with_nodes.append(plugin.name)
                result = names if result is None else result & names
                if not result:
                    listed = sorted(with_nodes)
                    msg = (
                        f"node(s) didn't satisfy plugin {listed[0]}"
                        if len(listed) == 1
                        else f"node(s) didn't satisfy plugin(s) [{' '.join(listed)}] simultaneously"
                    )
                    return PreFilterOutcome(
                        Status.unresolvable(msg), result, frozenset(skipped), tuple(listed)
                    )
        return PreFilterOutcome(returned, result, frozenset(skipped), tuple(sorted(with_nodes)))

    def filters_for(self, skipped: frozenset[str]) -> list[tuple[str, FilterFn]]:
        return [(p.name, p.filter) for p in self.filter_plugins if p.name not in skipped]

    def dynamic_filters_for(self, skipped: frozenset[str]) -> list[tuple[str, FilterFn]]:
        """The filters after the static prefix (those that look at other pods)."""
        return [
            (p.name, p.filter)
            for p in self.filter_plugins[self._static_count :]
            if p.name not in skipped
        ]

    def static_verdicts(self, pod: PodInfo, skipped: frozenset[str]) -> dict[str, Status | None]:
        """Per node, the verdict of the leading filters that read only the pod's template and
        the node (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity). They are
        computed once per distinct `placement_key` and node set: replicas, and workloads with
        the same selectors and tolerations, share them."""
        cluster = self.handle.cluster
        key = (pod.placement_key, skipped)
        hit = self._static_cache.get(key)
        if hit is not None and hit[0] == cluster.node_generation:
            self._static_cache.move_to_end(key)
            return hit[1]
        filters = [
            (p.name, p.filter)
            for p in self.filter_plugins[: self._static_count]
            if p.name not in skipped
        ]
        state = CycleState()
        verdicts = {
            info.name: self.run_filters(filters, state, pod, info) for info in cluster.order
        }
        self._static_cache[key] = (cluster.node_generation, verdicts)
        if len(self._static_cache) > STATIC_CACHE_TEMPLATES:
            self._static_cache.popitem(last=False)
        return verdicts

    @staticmethod
    def run_filters(
        filters: Sequence[tuple[str, FilterFn]], state: CycleState, pod: PodInfo, node: NodeInfo
    ) -> Status | None:
        for name, fn in filters:
            status = fn(state, pod, node)
            if status is not None:
                return status.with_plugin(name)
        return None

    # Score -------------------------------------------------------------------------------

    def run_scores(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[dict[str, int]]:
        """Weighted per-plugin scores and `total` for each node, in `nodes` order."""
        return score_records(*self.run_score_totals(state, pod, nodes))

    def run_score_totals(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> tuple[list[int], list[tuple[str, list[int]]]]:
        """Each node's total, and each scoring plugin's weighted scores, in `nodes` order."""
        skipped: set[str] = set()
        for plugin in self.pre_score_plugins:
            status = plugin.pre_score(state, pod, nodes)
            if status is not None and status.code == Code.SKIP:
                skipped.add(plugin.name)
        per_plugin: list[tuple[str, list[int]]] = []
        totals = [0] * len(nodes)
        for plugin in self.score_plugins:
            if plugin.name in skipped:
                continue
            batch = getattr(plugin, "score_nodes", None)
            if batch is not None:
                raw = batch(state, pod, nodes)
            else:
                score = plugin.score
                raw = [score(state, pod, node) for node in nodes]
            normalize = getattr(plugin, "normalize", None)
            if normalize is not None:
                normalize(state, pod, raw, nodes)
            weight = self.weights[plugin.name]
            weighted = [value * weight for value in raw] if weight != 1 else raw
            per_plugin.append((plugin.name, weighted))
        if per_plugin:
            totals = [sum(column) for column in zip(*(v for _, v in per_plugin), strict=True)]
        return totals, per_plugin

    # PostFilter --------------------------------------------------------------------------

    def run_post_filter(
        self, state: CycleState, pod: PodInfo, diagnosis: Diagnosis
    ) -> PostFilterOutcome:
        reasons: list[str] = []
        last: PostFilterOutcome | None = None
        for plugin in self.post_filter_plugins:
            outcome: PostFilterOutcome = plugin.post_filter(state, pod, diagnosis)
            if outcome.status.code == Code.SUCCESS:
                return outcome
            if outcome.status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return outcome
            reasons.extend(outcome.status.reasons)
            last = outcome
        status = Status(Code.UNSCHEDULABLE, tuple(reasons))
        if last is None:
            return PostFilterOutcome(status)
        return PostFilterOutcome(status, last.nominated_node, last.victims, last.candidates)


def score_records(
    totals: Sequence[int], per_plugin: Sequence[tuple[str, Sequence[int]]]
) -> list[dict[str, int]]:
    """Per node, in order: each plugin's weighted score by plugin name, and `total`."""
    records: list[dict[str, int]] = [{} for _ in totals]
    for name, values in per_plugin:
        for record, value in zip(records, values, strict=True):
            record[name] = value
    for record, total in zip(records, totals, strict=True):
        record["total"] = total
    return records
