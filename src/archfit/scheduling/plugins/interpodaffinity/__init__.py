"""InterPodAffinity: required pod affinity and anti-affinity filter (the incoming pod's and the
existing pods' anti-affinity); preferred terms and existing pods' terms score (weight 2).

Filter order and reasons (first failure wins):
1. the pod's required affinity: every term's key on the node and, per term, a matching pod in
   that domain — unless no pod anywhere matches and the pod matches its own terms (the first
   replica): `node(s) didn't match pod affinity rules` (unresolvable);
2. the pod's required anti-affinity: no matching pod in the domain:
   `node(s) didn't match pod anti-affinity rules`;
3. existing pods' required anti-affinity matching this pod, in any of the node's domains:
   `node(s) didn't satisfy existing pods anti-affinity rules`.

Score: a map from (topology key, value) to a sum of weights — the pod's preferred terms over the
pods they match (+/- weight), existing pods' required affinity terms matching the pod (+1, the
hard pod affinity weight) and their preferred terms (+/- weight); a node scores the sum over its
labels; min-max normalised over the scored nodes. PreScore skips when the map is empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archfit.scheduling.framework.interface import MAX_NODE_SCORE, CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import AffinityTerm, PodInfo, WeightedAffinityTerm
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "InterPodAffinity"]

NAME = "InterPodAffinity"
REASON_AFFINITY = "node(s) didn't match pod affinity rules"
REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
HARD_POD_AFFINITY_WEIGHT = 1
_PRE_FILTER = "PreFilter" + NAME
_PRE_SCORE = "PreScore" + NAME

Pair = tuple[str, str]


@dataclass(slots=True)
class _FilterState:
    pod: PodInfo
    existing_anti: dict[Pair, int]
    affinity: dict[Pair, int]
    anti: dict[Pair, int]


def _add(counts: dict[Pair, int], labels: Mapping[str, str], key: str, value: int) -> None:
    if key in labels:
        pair = (key, labels[key])
        total = counts.get(pair, 0) + value
        if total:
            counts[pair] = total
        else:
            counts.pop(pair, None)


class InterPodAffinity:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del args
        self._cluster = handle.cluster

    def _term_counts(self, term: AffinityTerm) -> Iterable[tuple[str, int]]:
        """(node, number of bound pods the term matches) for nodes with at least one."""
        cluster = self._cluster
        if term.namespace_selector is not None or term.selector is None:
            for info in cluster.infos.values():
                n = sum(1 for p in info.pods if _matches(term, p, cluster))
                if n:
                    yield info.name, n
            return
        if len(term.namespaces) == 1:
            (namespace,) = term.namespaces
            yield from cluster.match_counts(namespace, term.selector).items()
            return
        merged: dict[str, int] = {}
        for namespace in term.namespaces:
            for node, n in cluster.match_counts(namespace, term.selector).items():
                merged[node] = merged.get(node, 0) + n
        yield from merged.items()

    # Filter ------------------------------------------------------------------------------

    def pre_filter(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[frozenset[str] | None, Status | None]:
        cluster = self._cluster
        existing: dict[Pair, int] = {}
        for info in cluster.nodes_with_required_anti_affinity_pods():
            for other in info.pods_with_required_anti_affinity:
                for term in other.required_anti_affinity:
                    if _matches(term, pod, cluster):
                        _add(existing, info.labels, term.topology_key, 1)
        affinity: dict[Pair, int] = {}
        anti: dict[Pair, int] = {}
        if pod.required_affinity:
            if len(pod.required_affinity) == 1:
                term = pod.required_affinity[0]
                for node, n in self._term_counts(term):
                    _add(affinity, cluster.infos[node].labels, term.topology_key, n)
            else:
                for info in cluster.infos.values():
                    for other in info.pods:
                        if all(t.matches(other) for t in pod.required_affinity):
                            for t in pod.required_affinity:
                                _add(affinity, info.labels, t.topology_key, 1)
        for term in pod.required_anti_affinity:
            for node, n in self._term_counts(term):
                _add(anti, cluster.infos[node].labels, term.topology_key, n)
        if not existing and not pod.required_affinity and not pod.required_anti_affinity:
            return None, Status.skip()
        state[_PRE_FILTER] = _FilterState(pod, existing, affinity, anti)
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        s: _FilterState = state[_PRE_FILTER]
        labels = node.labels
        if pod.required_affinity:
            exist = True
            for term in pod.required_affinity:
                value = labels.get(term.topology_key)
                if value is None:
                    return Status.unresolvable(REASON_AFFINITY)
                if s.affinity.get((term.topology_key, value), 0) <= 0:
                    exist = False
            if not exist and not (
                not s.affinity and all(t.matches(pod) for t in pod.required_affinity)
            ):
                return Status.unresolvable(REASON_AFFINITY)
        if s.anti:
            for term in pod.required_anti_affinity:
                value = labels.get(term.topology_key)
                if value is not None and s.anti.get((term.topology_key, value), 0) > 0:
                    return Status.unschedulable(REASON_ANTI_AFFINITY)
        if s.existing_anti:
            for pair in labels.items():
                if s.existing_anti.get(pair, 0) > 0:
                    return Status.unschedulable(REASON_EXISTING_ANTI_AFFINITY)
        return None

    # Score -------------------------------------------------------------------------------

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> Status | None:
        cluster = self._cluster
        scores: dict[Pair, int] = {}

        def add(labels: Mapping[str, str], key: str, value: int) -> None:
            if key in labels:
                pair = (key, labels[key])
                scores[pair] = scores.get(pair, 0) + value

        for weighted, sign in _signed(pod.preferred_affinity, pod.preferred_anti_affinity):
            term = weighted.term
            for node, n in self._term_counts(term):
                add(cluster.infos[node].labels, term.topology_key, sign * weighted.weight * n)
        for info in cluster.nodes_with_affinity_pods():
            labels = info.labels
            if not labels:
                continue
            for other in info.pods_with_affinity:
                for term in other.required_affinity:
                    if _matches(term, pod, cluster):
                        add(labels, term.topology_key, HARD_POD_AFFINITY_WEIGHT)
                for weighted, sign in _signed(
                    other.preferred_affinity, other.preferred_anti_affinity
                ):
                    if _matches(weighted.term, pod, cluster):
                        add(labels, weighted.term.topology_key, sign * weighted.weight)
        if not scores:
            return Status.skip()
        state[_PRE_SCORE] = scores
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        scores: dict[Pair, int] = state[_PRE_SCORE]
        return sum(scores.get(pair, 0) for pair in node.labels.items())

    def normalize(
        self, state: CycleState, pod: PodInfo, scores: list[int], nodes: Sequence[NodeInfo]
    ) -> None:
        if not scores:
            return
        highest = max(scores)
        lowest = min(scores)
        spread = highest - lowest
        for i, score in enumerate(scores):
            scores[i] = int(MAX_NODE_SCORE * ((score - lowest) / spread)) if spread > 0 else 0


def _signed(
    affinity: Sequence[WeightedAffinityTerm], anti: Sequence[WeightedAffinityTerm]
) -> Iterable[tuple[WeightedAffinityTerm, int]]:
    for term in affinity:
        yield term, 1
    for term in anti:
        yield term, -1


def _matches(term: AffinityTerm, pod: PodInfo, cluster: Any) -> bool:
    if pod.namespace in term.namespaces:
        return term.selector is not None and term.selector.matches(pod.labels)
    if term.namespace_selector is None:
        return False
    return term.matches(pod, cluster.namespace_labels(pod.namespace))
