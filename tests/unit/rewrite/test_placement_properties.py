"""Properties of writing a placement into a pod spec: idempotent, nothing outside the node
affinity changes (also through a YAML round trip), and the nodes the fixed pod may use are
exactly those it could use before that also satisfy the policy's requirements."""

from __future__ import annotations

import copy
import io
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from archfit.manifests.rewrite.placement import (
    apply_placement,
    current_node_affinity,
    placement_patch,
)
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.affinity import admits
from archfit.model.placement import Placement
from archfit.model.pod import PreferredSchedulingTerm
from archfit.model.selectors import NodeSelectorRequirement, NodeSelectorTerm

KEYS = ["kubernetes.io/arch", "disktype", "zone", "gpu"]
VALUES = ["amd64", "arm64", "ssd", "a", "b"]

requirements = st.builds(
    NodeSelectorRequirement,
    st.sampled_from(KEYS),
    st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True).map(tuple),
).map(
    lambda r: (
        NodeSelectorRequirement(r.key, r.operator, ())
        if r.operator in {"Exists", "DoesNotExist"}
        else r
    )
)
placements = st.builds(
    Placement,
    st.none(),
    st.lists(requirements, min_size=1, max_size=3).map(tuple),
    st.lists(
        st.builds(
            PreferredSchedulingTerm,
            st.integers(1, 100),
            st.builds(NodeSelectorTerm, st.lists(requirements, min_size=1, max_size=2).map(tuple)),
        ),
        max_size=2,
    ).map(tuple),
)


def _req(r: NodeSelectorRequirement) -> dict[str, Any]:
    out: dict[str, Any] = {"key": r.key, "operator": r.operator}
    if r.values:
        out["values"] = list(r.values)
    return out


pod_specs = st.builds(
    lambda terms, selector, extra: {
        "containers": [{"name": "app", "image": "nginx:1.27"}],
        **({"nodeSelector": selector} if selector else {}),
        **(
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [_req(r) for r in t]} for t in terms
                            ]
                        }
                    },
                    "podAntiAffinity": {"x": 1},
                }
            }
            if terms
            else {}
        ),
        **extra,
    },
    st.lists(st.lists(requirements, min_size=1, max_size=2), max_size=3),
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1),
    st.dictionaries(
        st.sampled_from(["hostNetwork", "priorityClassName"]), st.just("x"), max_size=2
    ),
)
nodes = st.lists(
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4),
    min_size=1,
    max_size=6,
)


def _outside(spec: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    affinity = out.get("affinity") or {}
    affinity.pop("nodeAffinity", None)
    if not affinity:
        out.pop("affinity", None)
    return out


@given(pod_specs, placements)
def test_idempotent(spec: dict[str, Any], placement: Placement) -> None:
    apply_placement(spec, placement)
    once = copy.deepcopy(spec)
    assert apply_placement(spec, placement) is False
    assert spec == once


@given(pod_specs, placements)
def test_nothing_outside_node_affinity_changes(spec: dict[str, Any], placement: Placement) -> None:
    before = _outside(spec)
    apply_placement(spec, placement)
    assert _outside(spec) == before


@given(pod_specs, placements, nodes)
def test_eligible_nodes_are_exactly_the_policys(
    spec: dict[str, Any], placement: Placement, labels_list: list[dict[str, str]]
) -> None:
    before = current_node_affinity(spec)
    apply_placement(spec, placement)
    after = current_node_affinity(spec)
    selector = spec.get("nodeSelector", {})
    for i, labels in enumerate(labels_list):
        name = f"node-{i}"
        was = admits(name, labels, selector, before.required if before else None)
        now = admits(name, labels, selector, after.required if after else None)
        wanted = all(r.matches(labels) for r in placement.required)
        assert now == (was and wanted)


@settings(max_examples=50)  # each example parses and emits YAML several times
@given(pod_specs, placements)
def test_yaml_round_trip_keeps_the_rest(spec: dict[str, Any], placement: Placement) -> None:
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"template": {"spec": spec}},
    }
    stream = io.StringIO()
    YAML().dump(doc, stream)
    text = "# header\n---\n" + stream.getvalue()
    yfile = YamlFile.parse(text)
    data = yfile.document(1) if len(yfile) > 1 else yfile.document(0)
    index = 1 if len(yfile) > 1 else 0
    apply_placement(data["spec"]["template"]["spec"], placement)
    yfile.mark_changed(index)
    out = yfile.text()
    assert out.startswith("# header\n---\n")
    parsed = yaml.safe_load(out.split("---\n", 1)[1])
    assert _outside(parsed["spec"]["template"]["spec"]) == _outside(spec)
    again = YamlFile.parse(out)
    assert apply_placement(again.document(index)["spec"]["template"]["spec"], placement) is False


def _apply_json_patch(document: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    """RFC 6902 `add`/`replace` as the API server applies them (enough for these patches)."""
    doc = copy.deepcopy(document)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        value = copy.deepcopy(op["value"])
        if isinstance(parent, list):
            if last == "-":
                parent.append(value)
            else:
                parent.insert(int(last), value)
        else:
            assert op["op"] == "replace" or last not in parent or parent[last] is None
            parent[last] = value
    return doc


@given(pod_specs, placements)
def test_json_patch_is_the_same_edit(spec: dict[str, Any], placement: Placement) -> None:
    document: dict[str, Any] = {"kind": "Deployment", "spec": {"template": {"spec": spec}}}
    ops = placement_patch(document, ("spec", "template", "spec"), placement)
    expected = copy.deepcopy(document)
    apply_placement(expected["spec"]["template"]["spec"], placement)
    assert _apply_json_patch(document, ops) == expected
    assert placement_patch(expected, ("spec", "template", "spec"), placement) == []
