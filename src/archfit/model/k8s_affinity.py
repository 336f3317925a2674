"""Label selectors, node selectors and pod (anti-)affinity from decoded Kubernetes objects."""

from __future__ import annotations

from typing import Any

from archfit.errors import InvalidValue
from archfit.model.k8s_fields import _int, _labels, _list, _map, _str, _strings
from archfit.model.pod import (
    Affinity,
    NodeAffinity,
    PodAffinity,
    PodAffinityTerm,
    PreferredSchedulingTerm,
    WeightedPodAffinityTerm,
)
from archfit.model.selectors import (
    LabelSelector,
    LabelSelectorRequirement,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
)

__all__ = ["affinity", "label_selector", "node_selector", "node_selector_term"]


# What the API server accepts (apimachinery's LabelSelector validation, and core/v1's
# NodeSelectorRequirement validation, which adds Gt and Lt); it rejects the object otherwise.
_LABEL_OPERATORS = ("DoesNotExist", "Exists", "In", "NotIn")
_NODE_OPERATORS = ("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")


def _operator(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    operator = _str(value, path)
    if operator not in allowed:
        supported = ", ".join(f'"{o}"' for o in allowed)
        raise InvalidValue(
            f'Unsupported value: "{operator}": supported values: {supported}', where=path
        )
    return operator


def label_selector(value: Any, path: str) -> LabelSelector | None:
    """A `metav1.LabelSelector`; None when absent (which matches nothing)."""
    if value is None:
        return None
    obj = _map(value, path)
    exprs = tuple(
        LabelSelectorRequirement(
            key=_str(e.get("key"), f"{path}.matchExpressions[{i}].key"),
            operator=_operator(
                e.get("operator"), f"{path}.matchExpressions[{i}].operator", _LABEL_OPERATORS
            ),
            values=_strings(e.get("values"), f"{path}.matchExpressions[{i}].values"),
        )
        for i, e in enumerate(_list(obj.get("matchExpressions"), f"{path}.matchExpressions"))
    )
    return LabelSelector(_labels(obj.get("matchLabels"), f"{path}.matchLabels"), exprs)


def _requirements(value: Any, path: str) -> tuple[NodeSelectorRequirement, ...]:
    out = []
    for i, raw in enumerate(_list(value, path)):
        expr = _map(raw, f"{path}[{i}]")
        out.append(
            NodeSelectorRequirement(
                key=_str(expr.get("key"), f"{path}[{i}].key"),
                operator=_operator(expr.get("operator"), f"{path}[{i}].operator", _NODE_OPERATORS),
                values=_strings(expr.get("values"), f"{path}[{i}].values"),
            )
        )
    return tuple(out)


def node_selector_term(value: Any, path: str) -> NodeSelectorTerm:
    obj = _map(value, path)
    return NodeSelectorTerm(
        _requirements(obj.get("matchExpressions"), f"{path}.matchExpressions"),
        _requirements(obj.get("matchFields"), f"{path}.matchFields"),
    )


def node_selector(value: Any, path: str) -> NodeSelector | None:
    if value is None:
        return None
    obj = _map(value, path)
    terms = _list(obj.get("nodeSelectorTerms"), f"{path}.nodeSelectorTerms")
    return NodeSelector(
        tuple(node_selector_term(t, f"{path}.nodeSelectorTerms[{i}]") for i, t in enumerate(terms))
    )


def _pod_affinity_term(value: Any, path: str) -> PodAffinityTerm:
    obj = _map(value, path)
    return PodAffinityTerm(
        topology_key=_str(obj.get("topologyKey"), f"{path}.topologyKey"),
        label_selector=label_selector(obj.get("labelSelector"), f"{path}.labelSelector"),
        namespaces=_strings(obj.get("namespaces"), f"{path}.namespaces"),
        namespace_selector=label_selector(
            obj.get("namespaceSelector"), f"{path}.namespaceSelector"
        ),
        match_label_keys=_strings(obj.get("matchLabelKeys"), f"{path}.matchLabelKeys"),
        mismatch_label_keys=_strings(obj.get("mismatchLabelKeys"), f"{path}.mismatchLabelKeys"),
    )


def _pod_affinity(value: Any, path: str) -> PodAffinity | None:
    if value is None:
        return None
    obj = _map(value, path)
    req_path = f"{path}.requiredDuringSchedulingIgnoredDuringExecution"
    pref_path = f"{path}.preferredDuringSchedulingIgnoredDuringExecution"
    return PodAffinity(
        required=tuple(
            _pod_affinity_term(t, f"{req_path}[{i}]")
            for i, t in enumerate(
                _list(obj.get("requiredDuringSchedulingIgnoredDuringExecution"), req_path)
            )
        ),
        preferred=tuple(
            WeightedPodAffinityTerm(
                weight=_int(
                    _map(t, f"{pref_path}[{i}]").get("weight"), f"{pref_path}[{i}].weight", 0
                )
                or 0,
                term=_pod_affinity_term(
                    _map(t, f"{pref_path}[{i}]").get("podAffinityTerm"),
                    f"{pref_path}[{i}].podAffinityTerm",
                ),
            )
            for i, t in enumerate(
                _list(obj.get("preferredDuringSchedulingIgnoredDuringExecution"), pref_path)
            )
        ),
    )


def affinity(value: Any, path: str) -> Affinity | None:
    if value is None:
        return None
    obj = _map(value, path)
    node_aff = None
    if obj.get("nodeAffinity") is not None:
        na = _map(obj["nodeAffinity"], f"{path}.nodeAffinity")
        pref_path = f"{path}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution"
        preferred = []
        for i, raw in enumerate(
            _list(na.get("preferredDuringSchedulingIgnoredDuringExecution"), pref_path)
        ):
            term = _map(raw, f"{pref_path}[{i}]")
            preferred.append(
                PreferredSchedulingTerm(
                    weight=_int(term.get("weight"), f"{pref_path}[{i}].weight", 0) or 0,
                    preference=node_selector_term(
                        term.get("preference"), f"{pref_path}[{i}].preference"
                    ),
                )
            )
        node_aff = NodeAffinity(
            required=node_selector(
                na.get("requiredDuringSchedulingIgnoredDuringExecution"),
                f"{path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
            ),
            preferred=tuple(preferred),
        )
    return Affinity(
        node_affinity=node_aff,
        pod_affinity=_pod_affinity(obj.get("podAffinity"), f"{path}.podAffinity"),
        pod_anti_affinity=_pod_affinity(obj.get("podAntiAffinity"), f"{path}.podAntiAffinity"),
    )
