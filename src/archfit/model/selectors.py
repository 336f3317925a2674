"""Label and node selectors, taints and tolerations, with upstream matching semantics.

Matching follows apimachinery's `labels` package and `component-helpers/scheduling/corev1`:
- a node selector's terms are ORed; a term's expressions and fields are ANDed; a term with
  neither matches no node; a selector with no terms matches no node;
- `NotIn` and `DoesNotExist` match nodes that lack the label; `Gt`/`Lt` compare integers and never
  match a missing or non-integer label; `matchFields` knows only `metadata.name`;
- a pod label selector that is absent (`None`) matches nothing, an empty one matches everything;
- a toleration with an empty key and operator `Exists` tolerates every taint; an empty effect
  matches every effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "NODE_SELECTOR_OPERATORS",
    "LabelSelector",
    "LabelSelectorRequirement",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "Taint",
    "TaintEffect",
    "Toleration",
]

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
NODE_SELECTOR_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _parse_int64(text: str) -> int | None:
    stripped = text.strip()
    if stripped != text or not stripped:
        return None
    try:
        value = int(stripped, 10)
    except ValueError:
        return None
    return value if _INT64_MIN <= value <= _INT64_MAX else None


@dataclass(frozen=True, slots=True)
class NodeSelectorRequirement:
    """One `key operator values` expression of a node selector term."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key, "")
        match self.operator:
            case "In":
                return present and value in self.values
            case "NotIn":
                return not present or value not in self.values
            case "Exists":
                return present
            case "DoesNotExist":
                return not present
            case "Gt" | "Lt":
                if not present or len(self.values) != 1:
                    return False
                have, want = _parse_int64(value), _parse_int64(self.values[0])
                if have is None or want is None:
                    return False
                return have > want if self.operator == "Gt" else have < want
        return False


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """Expressions on labels and on fields, ANDed together."""

    match_expressions: tuple[NodeSelectorRequirement, ...] = ()
    match_fields: tuple[NodeSelectorRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.match_expressions and not self.match_fields

    def matches(self, node_name: str, labels: Mapping[str, str]) -> bool:
        if self.empty:
            return False
        if not all(req.matches(labels) for req in self.match_expressions):
            return False
        fields = {"metadata.name": node_name}
        for req in self.match_fields:
            if req.key != "metadata.name" or req.operator not in {"In", "NotIn"}:
                return False
            if not req.matches(fields):
                return False
        return True


@dataclass(frozen=True, slots=True)
class NodeSelector:
    """ORed node selector terms (`requiredDuringSchedulingIgnoredDuringExecution`)."""

    terms: tuple[NodeSelectorTerm, ...] = ()

    def matches(self, node_name: str, labels: Mapping[str, str]) -> bool:
        return any(term.matches(node_name, labels) for term in self.terms)


@dataclass(frozen=True, slots=True)
class LabelSelectorRequirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        match self.operator:
            case "In":
                return present and labels[self.key] in self.values
            case "NotIn":
                return not present or labels[self.key] not in self.values
            case "Exists":
                return present
            case "DoesNotExist":
                return not present
        return False


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A `metav1.LabelSelector`. An empty selector matches every object."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels.items():
            if labels.get(key) != value:
                return False
        return all(req.matches(labels) for req in self.match_expressions)

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.match_labels.items())), self.match_expressions))


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    effect: str
    value: str = ""

    def __str__(self) -> str:
        return (
            f"{self.key}={self.value}:{self.effect}" if self.value else f"{self.key}:{self.effect}"
        )


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""
    toleration_seconds: int | None = None

    def tolerates(self, taint: Taint) -> bool:
        """`Toleration.ToleratesTaint` from k8s.io/api/core/v1."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator in {"", "Equal"}:
            return self.value == taint.value
        return self.operator == "Exists"
