"""The affinity merge: ANDed into every term, never widening, idempotent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from archfit.model.affinity import (
    admits,
    merge_node_affinity,
    merge_preferred,
    merge_required,
)
from archfit.model.pod import NodeAffinity, PreferredSchedulingTerm
from archfit.model.selectors import NodeSelector, NodeSelectorRequirement, NodeSelectorTerm

ARCH_IN_AMD64 = NodeSelectorRequirement("kubernetes.io/arch", "In", ("amd64",))
SSD = NodeSelectorRequirement("disktype", "In", ("ssd",))
GPU = NodeSelectorRequirement("gpu", "Exists")

KEYS = ["kubernetes.io/arch", "disktype", "gpu", "zone"]
VALUES = ["amd64", "arm64", "ssd", "a", "1", "5"]

requirements = st.builds(
    NodeSelectorRequirement,
    key=st.sampled_from(KEYS),
    operator=st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]),
    values=st.lists(st.sampled_from(VALUES), min_size=1, max_size=2).map(tuple),
)
field_requirements = st.builds(
    NodeSelectorRequirement,
    key=st.just("metadata.name"),
    operator=st.sampled_from(["In", "NotIn"]),
    values=st.lists(st.sampled_from(["n1", "n2"]), min_size=1, max_size=1).map(tuple),
)
terms = st.builds(
    NodeSelectorTerm,
    match_expressions=st.lists(requirements, max_size=3).map(tuple),
    match_fields=st.lists(field_requirements, max_size=1).map(tuple),
)
# The API server rejects a required selector with no terms, so it is either absent or has some.
selectors = st.none() | st.builds(NodeSelector, st.lists(terms, min_size=1, max_size=3).map(tuple))
labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4)
node_selectors = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1)


@given(
    selectors,
    st.lists(requirements, max_size=3),
    node_selectors,
    st.sampled_from(["n1", "n2", "n3"]),
    labels,
)
def test_merged_admits_exactly_the_nodes_both_admit(
    required: NodeSelector | None,
    add: list[NodeSelectorRequirement],
    node_selector: dict[str, str],
    name: str,
    node_labels: dict[str, str],
) -> None:
    merged = merge_required(required, add)
    before = admits(name, node_labels, node_selector, required)
    after = admits(name, node_labels, node_selector, merged)
    # Never admits a node the original excluded ...
    assert not after or before
    # ... and admits exactly the nodes that satisfy the original and every added requirement.
    assert after == (before and all(r.matches(node_labels) for r in add))


@given(selectors, st.lists(requirements, max_size=3))
def test_merge_is_idempotent(
    required: NodeSelector | None, add: list[NodeSelectorRequirement]
) -> None:
    once = merge_required(required, add)
    assert merge_required(once, add) == once


def test_requirements_are_anded_into_every_term_not_appended() -> None:
    required = NodeSelector((NodeSelectorTerm((SSD,)), NodeSelectorTerm((GPU,))))
    merged = merge_required(required, [ARCH_IN_AMD64])
    assert merged == NodeSelector(
        (NodeSelectorTerm((SSD, ARCH_IN_AMD64)), NodeSelectorTerm((GPU, ARCH_IN_AMD64)))
    )


def test_no_selector_gets_one_term() -> None:
    assert merge_required(None, [ARCH_IN_AMD64, ARCH_IN_AMD64]) == NodeSelector(
        (NodeSelectorTerm((ARCH_IN_AMD64,)),)
    )


def test_empty_term_stays_empty_because_it_matches_nothing() -> None:
    required = NodeSelector((NodeSelectorTerm(), NodeSelectorTerm((SSD,))))
    merged = merge_required(required, [ARCH_IN_AMD64])
    assert merged is not None
    assert merged.terms[0] == NodeSelectorTerm()
    assert merged.terms[1] == NodeSelectorTerm((SSD, ARCH_IN_AMD64))


def test_preferred_terms_are_added_once() -> None:
    pi = PreferredSchedulingTerm(
        50,
        NodeSelectorTerm(
            (NodeSelectorRequirement("node.kubernetes.io/instance-type", "In", ("raspberry-pi",)),)
        ),
    )
    same_other_weight = PreferredSchedulingTerm(10, pi.preference)
    assert merge_preferred([pi], [same_other_weight]) == (pi,)
    merged = merge_node_affinity(NodeAffinity(), [ARCH_IN_AMD64], [pi])
    assert merge_node_affinity(merged, [ARCH_IN_AMD64], [pi]) == merged
    assert merged.preferred == (pi,)
