"""Inventory nodes grouped into classes that no node-only filter can tell apart.

A pod's node-only filters (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
NodeResourcesFit, see `archfit.scheduling.nodefilter`) read a node's name, its labels, taints,
`unschedulable` flag and allocatable resources, and nothing else. NodeAffinity reads only the
labels whose keys the pod's nodeSelector and node selector terms name, and the name only through
`matchFields` (`metadata.name`); NodeName reads the name only when the pod sets `nodeName`. So
for one pod, nodes that agree on

    taints, unschedulable, allocatable, the labels under the keys the pod references,
    and, when the pod pins by name, the name

get the same verdict and the same reasons. A `Partition` is that grouping for one set of
referenced label keys; asking each class once and expanding to its members gives exactly the
per-node answers, at the cost of one pass over the nodes per distinct key set (partitions are
cached: the workloads of a cluster reference a handful of key sets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from archfit.model.node import Node
from archfit.model.selectors import NodeSelector
from archfit.scheduling.nodefilter import fit_error_of_counts

__all__ = ["NodeClass", "NodeClasses", "Outcome", "Partition", "referenced_keys"]


@dataclass(frozen=True, slots=True)
class NodeClass:
    """Nodes the filters cannot tell apart; `members` are inventory indices, ascending."""

    representative: Node
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Partition:
    """The inventory split into classes; `class_of[i]` is the class of the i-th node."""

    classes: tuple[NodeClass, ...]
    class_of: tuple[int, ...]


def referenced_keys(
    node_selector: Iterable[str], required: NodeSelector | None, *, node_name: str | None = None
) -> tuple[frozenset[str], bool]:
    """The label keys a pod's node selection reads, and whether it reads the node's name
    (`nodeName`, or `matchFields` in a node selector term)."""
    keys = set(node_selector)
    by_name = bool(node_name)
    if required is not None:
        for term in required.terms:
            keys.update(e.key for e in term.match_expressions)
            if term.match_fields:
                by_name = True
    return frozenset(keys), by_name


class NodeClasses:
    """The partitions of one inventory, computed on demand and kept."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = tuple(nodes)
        self.names = tuple(n.name for n in self.nodes)
        # The filter inputs every partition shares (labels aside), computed once per node.
        self._base = tuple(
            (
                n.taints,
                n.unschedulable,
                tuple(sorted((name, q.value) for name, q in n.allocatable.items())),
            )
            for n in self.nodes
        )
        self._partitions: dict[tuple[frozenset[str], bool], Partition] = {}

    def partition(self, keys: frozenset[str], by_name: bool) -> Partition:
        """The classes for a pod that reads the labels under `keys` (and the name if
        `by_name`); classes are ordered by their first member."""
        found = self._partitions.get((keys, by_name))
        if found is not None:
            return found
        ordered = sorted(keys)
        index: dict[object, int] = {}
        members: list[list[int]] = []
        class_of: list[int] = []
        for i, node in enumerate(self.nodes):
            labels = node.labels
            # A missing label differs from every value (None is never a label value).
            key = (
                self._base[i],
                tuple(labels.get(k) for k in ordered),
                node.name if by_name else None,
            )
            c = index.get(key)
            if c is None:
                c = index[key] = len(members)
                members.append([])
            members[c].append(i)
            class_of.append(c)
        found = Partition(
            tuple(NodeClass(self.nodes[m[0]], tuple(m)) for m in members), tuple(class_of)
        )
        self._partitions[(keys, by_name)] = found
        return found


@dataclass(frozen=True, slots=True)
class Outcome:
    """The filters' answer for one pod on every node, expanded from the answers per class.

    `eligible` lists the accepting nodes and `rejections` maps every other node to its reasons,
    both in inventory order; `message` is the FailedScheduling text (`fit_error`), `reasons`
    every reason given. One outcome is shared by all the workloads whose pods get the same
    answers, so nothing here may be modified (`details`, a plain dict for JSON, included).
    """

    eligible: tuple[str, ...]
    rejections: Mapping[str, tuple[str, ...]]
    message: str
    reasons: frozenset[str]
    _details: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @classmethod
    def expand(
        cls, names: Sequence[str], partition: Partition, per_class: Sequence[tuple[str, ...]]
    ) -> Outcome:
        histogram: Counter[str] = Counter()
        for node_class, reasons in zip(partition.classes, per_class, strict=True):
            for reason in dict.fromkeys(reasons):
                histogram[reason] += len(node_class.members)
        eligible = tuple(
            name for name, c in zip(names, partition.class_of, strict=True) if not per_class[c]
        )
        rejections = MappingProxyType(
            {
                name: per_class[c]
                for name, c in zip(names, partition.class_of, strict=True)
                if per_class[c]
            }
        )
        return cls(
            eligible,
            rejections,
            fit_error_of_counts(len(names), histogram),
            frozenset(histogram),
        )

    @property
    def details(self) -> dict[str, list[str]]:
        """`rejections` with lists for values, as the `unschedulable` finding carries them;
        built on first use."""
        found = self._details.get("nodes")
        if found is None:
            found = self._details["nodes"] = {
                name: list(reasons) for name, reasons in self.rejections.items()
            }
        return found
