"""Merging a placement into a pod's node selection, the one way archfit does it.

Kubernetes ANDs `spec.nodeSelector` with `requiredDuringSchedulingIgnoredDuringExecution`, ORs
the `nodeSelectorTerms` of the latter, and ANDs the expressions inside one term. To add a
constraint without ever widening what the user wrote, the requirements are therefore ANDed into
*every* existing term; appending them as a new term would OR them, and a pod that had
`disktype In [ssd]` would suddenly also be admitted by any node that merely has the right
architecture.

Rules:
- no required selector (or one with no terms, which the API server rejects anyway): the
  requirements become the only term;
- every term that has expressions or fields gets the requirements it does not already contain;
- a term with neither matches no node, and stays empty (filling it would admit nodes it did not);
- preferred terms are added once: a term equal to an existing preference is not added again.

`check`, `fix` and the admission webhook all call these functions, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from archfit.model.pod import Affinity, NodeAffinity, PreferredSchedulingTerm
from archfit.model.selectors import NodeSelector, NodeSelectorRequirement, NodeSelectorTerm

__all__ = [
    "admits",
    "merge_affinity",
    "merge_node_affinity",
    "merge_preferred",
    "merge_required",
    "selector_matches",
]


def _and_into(
    term: NodeSelectorTerm, requirements: Sequence[NodeSelectorRequirement]
) -> NodeSelectorTerm:
    if term.empty:
        return term
    missing = tuple(req for req in requirements if req not in term.match_expressions)
    if not missing:
        return term
    return NodeSelectorTerm(term.match_expressions + missing, term.match_fields)


def _unique(
    requirements: Iterable[NodeSelectorRequirement],
) -> tuple[NodeSelectorRequirement, ...]:
    out: list[NodeSelectorRequirement] = []
    for req in requirements:
        if req not in out:
            out.append(req)
    return tuple(out)


def merge_required(
    required: NodeSelector | None, requirements: Sequence[NodeSelectorRequirement]
) -> NodeSelector | None:
    """AND `requirements` into every term of `required` (or make them the only term)."""
    add = _unique(requirements)
    if not add:
        return required
    if required is None or not required.terms:
        return NodeSelector((NodeSelectorTerm(add),))
    return NodeSelector(tuple(_and_into(term, add) for term in required.terms))


def merge_preferred(
    existing: Sequence[PreferredSchedulingTerm], preferred: Sequence[PreferredSchedulingTerm]
) -> tuple[PreferredSchedulingTerm, ...]:
    """`existing` followed by each term of `preferred` whose preference is not there yet."""
    out = list(existing)
    have = [term.preference for term in existing]
    for term in preferred:
        if term.preference not in have:
            out.append(term)
            have.append(term.preference)
    return tuple(out)


def merge_node_affinity(
    node_affinity: NodeAffinity | None,
    required: Sequence[NodeSelectorRequirement] = (),
    preferred: Sequence[PreferredSchedulingTerm] = (),
) -> NodeAffinity:
    """The node affinity after merging; merging the same placement twice changes nothing."""
    base = node_affinity or NodeAffinity()
    return NodeAffinity(
        required=merge_required(base.required, required),
        preferred=merge_preferred(base.preferred, preferred),
    )


def merge_affinity(
    affinity: Affinity | None,
    required: Sequence[NodeSelectorRequirement] = (),
    preferred: Sequence[PreferredSchedulingTerm] = (),
) -> Affinity:
    """`affinity` with its node affinity merged; pod (anti-)affinity is kept as it was."""
    base = affinity or Affinity()
    return Affinity(
        node_affinity=merge_node_affinity(base.node_affinity, required, preferred),
        pod_affinity=base.pod_affinity,
        pod_anti_affinity=base.pod_anti_affinity,
    )


def selector_matches(node_selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """`spec.nodeSelector`: every key present with exactly that value."""
    return all(key in labels and labels[key] == value for key, value in node_selector.items())


def admits(
    node_name: str,
    labels: Mapping[str, str],
    node_selector: Mapping[str, str],
    required: NodeSelector | None,
) -> bool:
    """Whether a pod with this nodeSelector and required node affinity may go to the node."""
    if not selector_matches(node_selector, labels):
        return False
    return required is None or required.matches(node_name, labels)
