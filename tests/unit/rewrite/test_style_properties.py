"""Property: over manifests written in many styles (flow or block collections, flow on one line or
one entry per line, mapping indent 2 or 4, dash offset 0 or 2, plain/single/double quotes,
comments, blank lines, other documents around, CRLF, BOM, no final newline), `fix` adds the
affinity and nothing else: the file reads back (with PyYAML, not the code under test) as the
original documents plus exactly that affinity, and the new text is the old text with one
contiguous piece inserted, so every byte outside the edit is where it was."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from archfit.manifests.rewrite.placement import apply_placement
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.placement import Placement
from archfit.model.pod import PreferredSchedulingTerm
from archfit.model.selectors import NodeSelectorRequirement, NodeSelectorTerm

WORDS = ["web", "nginx:1.27", "ghcr.io/org/app:v1", "--verbose", "a b", "true", "1", "x" * 30]
LONG = " ".join(["word"] * 45)  # longer than any wrap width a YAML emitter defaults to


@dataclass(frozen=True)
class Style:
    mapping: int  # spaces per nested block mapping
    offset: int  # spaces from a key to the dash of its block sequence
    quote: str  # "", "'" or '"' for strings that need no quotes
    flow: frozenset[str]  # paths written as one-line flow collections
    flow_lines: frozenset[str]  # paths written as flow collections, one entry per line
    comments: bool
    blank_lines: bool


def _plain_safe(text: str) -> bool:
    return yaml.safe_load(text) == text and ": " not in text and not text.startswith("-")


def _scalar(value: Any, style: Style) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    quote = style.quote if _plain_safe(text) else (style.quote or "'")
    if quote == '"':
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if quote == "'":
        return "'" + text.replace("'", "''") + "'"
    return text


def _flow(value: Any, style: Style) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v, style)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, style) for v in value) + "]"
    return _scalar(value, style)


def _block_map(value: dict[str, Any], col: int, path: str, style: Style) -> list[str]:
    lines: list[str] = []
    pad = " " * col
    for i, (key, item) in enumerate(value.items()):
        here = f"{path}.{key}"
        if style.blank_lines and i == 1:
            lines.append("")
        if style.comments and i == 0:
            lines.append(f"{pad}# about {key}")
        if isinstance(item, dict | list) and item and here in style.flow_lines:
            inner = " " * (col + style.mapping)
            if isinstance(item, dict):
                entries = [f"{inner}{k}: {_flow(v, style)}" for k, v in item.items()]
                opening, closing = "{", "}"
            else:
                entries = [inner + _flow(v, style) for v in item]
                opening, closing = "[", "]"
            lines.append(f"{pad}{key}: {opening}")
            lines.extend(e + ("," if j < len(entries) - 1 else "") for j, e in enumerate(entries))
            lines.append(pad + closing)
        elif isinstance(item, dict | list) and (not item or here in style.flow):
            lines.append(f"{pad}{key}: {_flow(item, style)}")
        elif isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_block_map(item, col + style.mapping, here, style))
        elif isinstance(item, list):
            lines.append(f"{pad}{key}:")
            lines.extend(_block_seq(item, col + style.offset, here, style))
        else:
            comment = "  # note" if style.comments and i == 0 else ""
            lines.append(f"{pad}{key}: {_scalar(item, style)}{comment}")
    return lines


def _block_seq(value: list[Any], col: int, path: str, style: Style) -> list[str]:
    lines: list[str] = []
    for item in value:
        if isinstance(item, dict) and item:
            inner = _block_map(item, col + 2, path + "[]", style)
            first = next(i for i, ln in enumerate(inner) if ln.strip() and ln.strip()[0] != "#")
            lines.extend(inner[:first])
            lines.append(" " * col + "- " + inner[first][col + 2 :])
            lines.extend(inner[first + 1 :])
        else:
            lines.append(" " * col + "- " + _flow(item, style))
    return lines


def _emit(document: dict[str, Any], style: Style) -> str:
    if "." in style.flow:
        return _flow(document, style) + "\n"
    return "\n".join(_block_map(document, 0, "", style)) + "\n"


CONTAINER_PATHS = [
    ".spec",
    ".spec.template",
    ".spec.template.spec",
    ".spec.template.spec.containers",
    ".spec.template.spec.containers[].args",
    ".spec.template.spec.nodeSelector",
    ".metadata",
    ".data",
]

requirements = st.builds(
    NodeSelectorRequirement,
    st.sampled_from(["kubernetes.io/arch", "disktype", "gpu"]),
    st.sampled_from(["In", "NotIn"]),
    st.lists(
        st.sampled_from(["amd64", "arm64", "true", "1"]), min_size=1, max_size=2, unique=True
    ).map(tuple),
)
placements = st.builds(
    Placement,
    st.none(),
    st.lists(requirements, min_size=1, max_size=2, unique_by=lambda r: r.key).map(tuple),
    st.lists(
        st.builds(
            PreferredSchedulingTerm,
            st.integers(1, 100),
            st.builds(NodeSelectorTerm, st.tuples(requirements)),
        ),
        max_size=1,
    ).map(tuple),
)


def _req(req: NodeSelectorRequirement) -> dict[str, Any]:
    return {"key": req.key, "operator": req.operator, "values": list(req.values)}


def _affinity(placement: Placement) -> dict[str, Any]:
    node: dict[str, Any] = {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [_req(r) for r in placement.required]}]
        }
    }
    if placement.preferred:
        node["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {
                "weight": p.weight,
                "preference": {
                    "matchExpressions": [_req(r) for r in p.preference.match_expressions]
                },
            }
            for p in placement.preferred
        ]
    return {"nodeAffinity": node}


@st.composite
def deployments(draw: st.DrawFn) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "containers": [
            {
                "name": draw(st.sampled_from(WORDS[:2])),
                "image": draw(st.sampled_from(WORDS)),
                "args": draw(st.lists(st.sampled_from([*WORDS, LONG]), min_size=1, max_size=3)),
            }
        ]
    }
    if draw(st.booleans()):
        pod["nodeSelector"] = {"disktype": draw(st.sampled_from(WORDS))}
    if draw(st.booleans()):
        pod["hostNetwork"] = True
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": draw(st.sampled_from(WORDS))}},
        "spec": {"replicas": draw(st.integers(0, 3)), "template": {"spec": pod}},
    }


styles = st.builds(
    Style,
    st.sampled_from([2, 4]),
    st.sampled_from([0, 2]),
    st.sampled_from(["", "'", '"']),
    st.frozensets(st.sampled_from([*CONTAINER_PATHS, "."]), max_size=3),
    st.frozensets(st.sampled_from(CONTAINER_PATHS), max_size=3),
    st.booleans(),
    st.booleans(),
)


def _single_insertion(old: str, new: str) -> bool:
    """Whether `new` is `old` with one contiguous piece inserted."""
    prefix = 0
    while prefix < len(old) and old[prefix] == new[prefix]:
        prefix += 1
    return new.endswith(old[prefix:]) and len(new) > len(old)


@given(
    deployment=deployments(),
    style=styles,
    other_style=styles,
    placement=placements,
    before=st.booleans(),
    after=st.booleans(),
    crlf=st.booleans(),
    bom=st.booleans(),
    final_newline=st.booleans(),
)
def test_fix_adds_exactly_the_affinity(
    *,
    deployment: dict[str, Any],
    style: Style,
    other_style: Style,
    placement: Placement,
    before: bool,
    after: bool,
    crlf: bool,
    bom: bool,
    final_newline: bool,
) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"motd": LONG, "flag": "true"}}
    documents = [*([config] if before else []), deployment, *([config] if after else [])]
    index = 1 if before else 0
    text = "---\n".join(
        _emit(doc, style if i == index else other_style) for i, doc in enumerate(documents)
    )
    assert list(yaml.safe_load_all(text)) == documents  # the generator writes valid YAML
    if not final_newline:
        text = text.rstrip("\n")
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text

    yfile = YamlFile.parse(text)
    spec = yfile.document(index)["spec"]["template"]["spec"]
    assert apply_placement(spec, placement)
    yfile.mark_changed(index)
    out = yfile.text()

    expected = copy.deepcopy(documents)
    expected[index]["spec"]["template"]["spec"]["affinity"] = _affinity(placement)
    bare = out.removeprefix("\ufeff").replace("\r\n", "\n")
    assert list(yaml.safe_load_all(bare)) == expected
    assert _single_insertion(text, out), (text, out)
    assert out.startswith("\ufeff") == bom
    assert out.endswith("\n") == final_newline
    if "\r\n" in text:  # (a one-line text without a final newline has no line end to keep)
        assert out.count("\r\n") == out.count("\n")
    else:
        assert "\r\n" not in out


@given(
    deployment=deployments(),
    placement=placements,
    indent=st.sampled_from([None, 2, 4, "\t"]),
    final_newline=st.booleans(),
)
def test_fix_of_json_is_json_with_exactly_the_affinity(
    *,
    deployment: dict[str, Any],
    placement: Placement,
    indent: int | str | None,
    final_newline: bool,
) -> None:
    text = json.dumps(deployment, indent=indent) + ("\n" if final_newline else "")
    yfile = YamlFile.parse(text, json=True)
    assert apply_placement(yfile.document(0)["spec"]["template"]["spec"], placement)
    yfile.mark_changed(0)
    out = yfile.text()
    expected = copy.deepcopy(deployment)
    expected["spec"]["template"]["spec"]["affinity"] = _affinity(placement)
    assert json.loads(out) == expected
    assert _single_insertion(text, out)
    if indent is not None:  # laid out as `json.dumps(indent=…)` lays it out
        assert out == json.dumps(expected, indent=indent) + ("\n" if final_newline else "")
