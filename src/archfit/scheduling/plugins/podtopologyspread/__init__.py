"""PodTopologySpread: `DoNotSchedule` constraints filter, `ScheduleAnyway` ones score (weight 2).

Pods without constraints of their own get the system defaults (hostname maxSkew 3, zone maxSkew
5, both ScheduleAnyway) with a selector built from the Services selecting the pod and its
ReplicaSet/StatefulSet owner; no selector, no defaults.

Counting (PreFilter): over all nodes that carry every constraint's key and, per constraint, pass
its inclusion policies (nodeAffinityPolicy Honor by default, nodeTaintsPolicy Ignore by default:
a tainted control plane still counts as a domain holding 0 pods). Filter:
`count[domain] + self-match - globalMin > maxSkew` rejects; globalMin is 0 when fewer domains
than minDomains exist. Score: per constraint `count * ln(size + 2) + maxSkew - 1`, rounded, then
`100 * (max + min - raw) / max`.

Counts come from the cluster's per-selector index, so a cycle costs O(nodes), not O(pods).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archfit.model.pod import TopologySpreadConstraint
from archfit.model.selectors import LabelSelector, LabelSelectorRequirement
from archfit.scheduling.framework.helpers import (
    DO_NOT_SCHEDULE_EFFECTS,
    required_node_affinity_matches,
    untolerated_taint,
)
from archfit.scheduling.framework.interface import MAX_NODE_SCORE, CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "SYSTEM_DEFAULT_CONSTRAINTS", "PodTopologySpread", "round_half_away"]

NAME = "PodTopologySpread"
REASON_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
REASON_MISSING_LABEL = (
    "node(s) didn't match pod topology spread constraints (missing required label)"
)
HOSTNAME = "kubernetes.io/hostname"
_PRE_FILTER = "PreFilter" + NAME
_PRE_SCORE = "PreScore" + NAME

SYSTEM_DEFAULT_CONSTRAINTS = (
    TopologySpreadConstraint(3, HOSTNAME, "ScheduleAnyway"),
    TopologySpreadConstraint(5, "topology.kubernetes.io/zone", "ScheduleAnyway"),
)


@dataclass(frozen=True, slots=True)
class Constraint:
    max_skew: int
    topology_key: str
    selector: LabelSelector | None
    min_domains: int
    honor_affinity: bool
    honor_taints: bool


def round_half_away(value: float) -> int:
    """Go's `math.Round`: halves round away from zero."""
    return math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)


def _selector_empty(selector: LabelSelector | None) -> bool:
    return selector is not None and selector.empty


@dataclass(slots=True)
class _FilterState:
    constraints: tuple[Constraint, ...]
    counts: list[dict[str, int]]
    minimum: list[int]


@dataclass(slots=True)
class _ScoreState:
    constraints: tuple[Constraint, ...]
    ignored: set[str]
    pair_counts: dict[tuple[str, str], int]
    weights: list[float]


class PodTopologySpread:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        self._cluster = handle.cluster
        self._defaults: tuple[TopologySpreadConstraint, ...] = (
            SYSTEM_DEFAULT_CONSTRAINTS if args is None else tuple(args)
        )
        self._system_defaulted = args is None
        # (placement key, policies, keys) -> (node generation, node -> domain value)
        self._domains_cache: dict[tuple[object, ...], tuple[int, dict[str, str]]] = {}
        self._constraints_cache: dict[tuple[object, ...], tuple[Constraint, ...]] = {}

    # Constraints -------------------------------------------------------------------------

    def _constraints(self, pod: PodInfo, action: str) -> tuple[Constraint, ...]:
        """The pod's constraints for `action`; they depend only on what the key holds (the
        Services are fixed), so replicas share them."""
        key = (
            action,
            pod.template.topology_spread_constraints,
            frozenset(pod.labels.items()),
            pod.namespace,
            pod.owner_kind,
            pod.owner_selector,
        )
        hit = self._constraints_cache.get(key)
        if hit is None:
            if len(self._constraints_cache) > 4096:
                self._constraints_cache.clear()
            hit = self._constraints_cache[key] = self._build_constraints(pod, action)
        return hit

    def _build_constraints(self, pod: PodInfo, action: str) -> tuple[Constraint, ...]:
        own = pod.template.topology_spread_constraints
        if own:
            return _convert(own, pod.labels, action)
        built = _convert(self._defaults, pod.labels, action)
        if not built:
            return ()
        selector = self._default_selector(pod)
        if selector is None:
            return ()
        return tuple(
            Constraint(c.max_skew, c.topology_key, selector, c.min_domains, c.honor_affinity, False)
            for c in built
        )

    def _default_selector(self, pod: PodInfo) -> LabelSelector | None:
        """`helper.DefaultSelector`: Services selecting the pod AND its RS/STS owner's selector."""
        labels: dict[str, str] = {}
        for service in self._cluster.services_selecting(pod):
            labels.update(service.match_labels)
        exprs: tuple[LabelSelectorRequirement, ...] = ()
        owner = pod.owner_selector
        if owner is not None and pod.owner_kind in (
            "ReplicaSet",
            "StatefulSet",
            "ReplicationController",
        ):
            for key, value in owner.match_labels.items():
                exprs += (LabelSelectorRequirement(key, "In", (value,)),)
            exprs += owner.match_expressions
        if not labels and not exprs:
            return None
        return LabelSelector(labels, exprs)

    def _eligible(self, pod: PodInfo, node: NodeInfo, c: Constraint) -> bool:
        if c.honor_affinity and not required_node_affinity_matches(
            pod.template, node.name, node.labels
        ):
            return False
        return not (
            c.honor_taints
            and untolerated_taint(node.taints, pod.tolerations, DO_NOT_SCHEDULE_EFFECTS) is not None
        )

    def _count(self, pod: PodInfo, selector: LabelSelector | None) -> Mapping[str, int]:
        if selector is None or selector.empty:
            return {}
        return self._cluster.match_counts(pod.namespace, selector)

    def _domains(self, pod: PodInfo, c: Constraint, required: tuple[str, ...]) -> dict[str, str]:
        """Node -> its value of `c.topology_key` ("" when absent) for the nodes counted for
        `c`: carrying every key in `required` and passing `c`'s inclusion policies. Depends on
        the pod's selectors and tolerations and the nodes only, so it is cached by those."""
        cluster = self._cluster
        key = (pod.placement_key, c.honor_affinity, c.honor_taints, c.topology_key, required)
        hit = self._domains_cache.get(key)
        if hit is not None and hit[0] == cluster.node_generation:
            return hit[1]
        out: dict[str, str] = {}
        for node in cluster.order:
            labels = node.labels
            if not all(k in labels for k in required):
                continue
            if self._eligible(pod, node, c):
                out[node.name] = labels.get(c.topology_key, "")
        if len(self._domains_cache) > 4096:
            self._domains_cache.clear()
        self._domains_cache[key] = (cluster.node_generation, out)
        return out

    # Filter ------------------------------------------------------------------------------

    def pre_filter(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[frozenset[str] | None, Status | None]:
        constraints = self._constraints(pod, "DoNotSchedule")
        if not constraints:
            return None, Status.skip()
        keys = tuple(c.topology_key for c in constraints)
        counts: list[dict[str, int]] = []
        for c in constraints:
            domains = self._domains(pod, c, keys)
            tally = dict.fromkeys(domains.values(), 0)
            for node, n in self._count(pod, c.selector).items():
                value = domains.get(node)
                if value is not None:
                    tally[value] += n
            counts.append(tally)
        minimum = [min(domain.values(), default=0) for domain in counts]
        state[_PRE_FILTER] = _FilterState(constraints, counts, minimum)
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        s: _FilterState | None = state.get(_PRE_FILTER)
        if s is None:
            return None
        labels = node.labels
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                return Status.unresolvable(REASON_MISSING_LABEL)
            domains = s.counts[i]
            minimum = s.minimum[i] if len(domains) >= c.min_domains else 0
            self_match = 1 if c.selector is not None and c.selector.matches(pod.labels) else 0
            if domains.get(value, 0) + self_match - minimum > c.max_skew:
                return Status.unschedulable(REASON_NOT_MATCH)
        return None

    # Score -------------------------------------------------------------------------------

    def pre_score(
        self,
        state: CycleState,
        pod: PodInfo,
        nodes: Sequence[NodeInfo],
        domain_values: Callable[[str], Iterable[str]] | None = None,
    ) -> Status | None:
        """`domain_values(key)`, when given, must return the distinct values of label `key`
        over `nodes` ("" for nodes without it); a caller holding label indexes passes it."""
        constraints = self._constraints(pod, "ScheduleAnyway")
        if not constraints:
            return Status.skip()
        require_all = bool(pod.template.topology_spread_constraints) or not self._system_defaulted
        keys = [c.topology_key for c in constraints]
        ignored: set[str] = set()
        pair_counts: dict[tuple[str, str], int] = {}
        sizes = [0] * len(constraints)
        kept: Sequence[NodeInfo] = nodes
        if require_all:
            kept = [n for n in nodes if all(k in n.labels for k in keys)]
            ignored = {n.name for n in nodes} - {n.name for n in kept}
        for i, c in enumerate(constraints):
            if c.topology_key == HOSTNAME:
                continue
            key = c.topology_key
            values = (
                domain_values(key)
                if domain_values is not None and not require_all
                else {n.labels.get(key, "") for n in kept}
            )
            for domain in values:
                if (key, domain) not in pair_counts:
                    pair_counts[(key, domain)] = 0
                    sizes[i] += 1
        weights = []
        for i, c in enumerate(constraints):
            size = len(nodes) - len(ignored) if c.topology_key == HOSTNAME else sizes[i]
            weights.append(math.log(size + 2))
        per_node = [self._count(pod, c.selector) for c in constraints]
        if pair_counts:
            required = tuple(keys) if require_all else ()
            for i, c in enumerate(constraints):
                if c.topology_key == HOSTNAME:
                    continue
                domains = self._domains(pod, c, required)
                for node_name, n in per_node[i].items():
                    value = domains.get(node_name)
                    if value is None:
                        continue
                    pair = (c.topology_key, value)
                    if pair in pair_counts:
                        pair_counts[pair] += n
        state[_PRE_SCORE] = _ScoreState(constraints, ignored, pair_counts, weights)
        state[_PRE_SCORE + "/counts"] = per_node
        return None

    def score_inputs(
        self, state: CycleState
    ) -> tuple[
        tuple[tuple[str, float, int], ...],
        set[str],
        dict[tuple[str, str], int],
        list[Mapping[str, int]],
    ]:
        """What PreScore left for `score`: per constraint (topology key, weight, maxSkew - 1),
        the ignored nodes, the per-domain counts and, per constraint, the per-node counts
        (for vectorised scoring, which must compute exactly what `score` does)."""
        s: _ScoreState = state[_PRE_SCORE]
        terms = tuple(
            (c.topology_key, s.weights[i], c.max_skew - 1) for i, c in enumerate(s.constraints)
        )
        return terms, s.ignored, s.pair_counts, state[_PRE_SCORE + "/counts"]

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """`score` for many nodes at once: each constraint's term is computed per domain."""
        s: _ScoreState = state[_PRE_SCORE]
        per_node: list[Mapping[str, int]] = state[_PRE_SCORE + "/counts"]
        terms: list[tuple[str, bool, Mapping[str, int], float, int, dict[str, float]]] = [
            (
                c.topology_key,
                c.topology_key == HOSTNAME,
                per_node[i],
                s.weights[i],
                c.max_skew - 1,
                {},
            )
            for i, c in enumerate(s.constraints)
        ]
        ignored = s.ignored
        pair_counts = s.pair_counts
        out = []
        for node in nodes:
            if node.name in ignored:
                out.append(0)
                continue
            labels = node.labels
            total = 0.0
            for key, is_host, counts, weight, skew, memo in terms:
                value = labels.get(key)
                if value is None:
                    continue
                if is_host:
                    total += counts.get(node.name, 0) * weight + skew
                else:
                    term = memo.get(value)
                    if term is None:
                        term = memo[value] = pair_counts[(key, value)] * weight + skew
                    total += term
            # Terms are never negative, so Go's math.Round is floor(x + 0.5) here.
            out.append(int(total + 0.5))
        return out

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        s: _ScoreState = state[_PRE_SCORE]
        if node.name in s.ignored:
            return 0
        per_node: list[Mapping[str, int]] = state[_PRE_SCORE + "/counts"]
        total = 0.0
        labels = node.labels
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == HOSTNAME:
                count = per_node[i].get(node.name, 0)
            else:
                count = s.pair_counts[(c.topology_key, value)]
            total += count * s.weights[i] + (c.max_skew - 1)
        return round_half_away(total)

    def normalize(
        self, state: CycleState, pod: PodInfo, scores: list[int], nodes: Sequence[NodeInfo]
    ) -> None:
        s: _ScoreState = state[_PRE_SCORE]
        lowest: int | None = None
        highest = 0
        for node, score in zip(nodes, scores, strict=True):
            if node.name in s.ignored:
                continue
            lowest = score if lowest is None or score < lowest else lowest
            highest = max(highest, score)
        for i, node in enumerate(nodes):
            if node.name in s.ignored:
                scores[i] = 0
            elif highest == 0:
                scores[i] = MAX_NODE_SCORE
            else:
                assert lowest is not None
                scores[i] = MAX_NODE_SCORE * (highest + lowest - scores[i]) // highest


def _convert(
    constraints: Sequence[TopologySpreadConstraint], labels: Mapping[str, str], action: str
) -> tuple[Constraint, ...]:
    out = []
    for c in constraints:
        if c.when_unsatisfiable != action:
            continue
        selector = c.label_selector
        if c.match_label_keys and selector is not None:
            extra = {k: labels[k] for k in c.match_label_keys if k in labels}
            if extra:
                selector = LabelSelector(
                    {**selector.match_labels, **extra}, selector.match_expressions
                )
        out.append(
            Constraint(
                max_skew=c.max_skew,
                topology_key=c.topology_key,
                selector=selector,
                min_domains=c.min_domains if c.min_domains is not None else 1,
                honor_affinity=(c.node_affinity_policy or "Honor") == "Honor",
                honor_taints=(c.node_taints_policy or "Ignore") == "Honor",
            )
        )
    return tuple(out)
