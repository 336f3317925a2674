"""Write a `Placement` into one pod spec (or a chart's values block shaped like one).

The merge itself is `archfit.model.affinity.merge_node_affinity` (required requirements ANDed into
every existing term, preferred terms added once); this module only serialises its result into the
document the user wrote, touching nothing else: existing terms keep their expressions, order and
comments, and only the missing expressions and preferences are appended. Applying the same
placement again finds nothing missing and changes nothing.

Pure and I/O-free; works on plain dicts (JSON, an AdmissionReview's object) and on ruamel
round-trip maps alike. `placement_patch` returns the same edit as RFC 6902 JSON Patch operations,
for the admission webhook.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence
from typing import Any, Literal, TypedDict

from archfit.model.affinity import merge_node_affinity
from archfit.model.k8s import pod_template_from_spec
from archfit.model.placement import Placement
from archfit.model.pod import NodeAffinity, PreferredSchedulingTerm
from archfit.model.selectors import NodeSelectorRequirement, NodeSelectorTerm

__all__ = [
    "JsonPatchOp",
    "apply_placement",
    "current_node_affinity",
    "placement_patch",
    "requirement_to_k8s",
]

REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


class JsonPatchOp(TypedDict):
    op: Literal["add", "replace"]
    path: str
    value: Any


MapFactory = Callable[[], MutableMapping[str, Any]]
SeqFactory = Callable[[], MutableSequence[Any]]


def requirement_to_k8s(
    req: NodeSelectorRequirement, new_map: MapFactory
) -> MutableMapping[str, Any]:
    out = new_map()
    out["key"] = req.key
    out["operator"] = req.operator
    if req.operator not in {"Exists", "DoesNotExist"}:
        out["values"] = list(req.values)
    return out


def _term_to_k8s(term: NodeSelectorTerm, new_map: MapFactory, new_seq: SeqFactory) -> Any:
    out = new_map()
    if term.match_expressions:
        exprs = new_seq()
        exprs.extend(requirement_to_k8s(r, new_map) for r in term.match_expressions)
        out["matchExpressions"] = exprs
    if term.match_fields:
        fields = new_seq()
        fields.extend(requirement_to_k8s(r, new_map) for r in term.match_fields)
        out["matchFields"] = fields
    return out


def _preferred_to_k8s(
    term: PreferredSchedulingTerm, new_map: MapFactory, new_seq: SeqFactory
) -> Any:
    out = new_map()
    out["weight"] = term.weight
    out["preference"] = _term_to_k8s(term.preference, new_map, new_seq)
    return out


def current_node_affinity(pod_spec: Mapping[str, Any], path: str = "spec") -> NodeAffinity | None:
    """The node affinity `pod_spec` states, read by the model's one converter.

    Raises `archfit.errors.InvalidValue` naming the field when the affinity is malformed.
    """
    affinity = pod_spec.get("affinity")
    if not affinity:
        return None
    template = pod_template_from_spec({"affinity": affinity}, {}, path)
    return template.node_affinity


def _factories(sample: Any) -> tuple[MapFactory, SeqFactory]:
    """Make new nodes of the same flavour as the document (ruamel maps stay ruamel maps)."""
    map_type = type(sample) if isinstance(sample, MutableMapping) else dict
    try:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the `fix` extra is absent; plain dicts suffice
        return dict, list
    if issubclass(map_type, CommentedMap):
        return CommentedMap, CommentedSeq
    return dict, list


def _block_style(node: Any) -> None:
    """An empty flow mapping (`affinity: {}`) that is about to get content is written as a block,
    like the rest of a Kubernetes manifest; flow collections with content stay as written."""
    fa = getattr(node, "fa", None)
    if fa is not None and not node and fa.flow_style():
        fa.set_block_style()


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def apply_placement(
    pod_spec: MutableMapping[str, Any],
    placement: Placement,
    *,
    pointer: str = "",
    record: list[JsonPatchOp] | None = None,
) -> bool:
    """Merge `placement` into `pod_spec` in place; True when something was added.

    `pointer` is the JSON Pointer of `pod_spec` in its document; with `record`, each change is
    appended as a JSON Patch operation against the original document.
    """
    if placement.unconstrained:
        return False
    ops: list[JsonPatchOp] = [] if record is None else record
    renamed = _rename_keys(pod_spec, placement.renamed_keys, pointer, ops)
    before = current_node_affinity(pod_spec)
    after = merge_node_affinity(before, placement.required, placement.preferred)
    before = before or NodeAffinity()
    if after == before:
        return renamed
    new_map, new_seq = _factories(pod_spec)

    def ensure_map(parent: MutableMapping[str, Any], key: str, at: str) -> Any:
        value = parent.get(key)
        if isinstance(value, MutableMapping):
            _block_style(value)
            return value
        parent[key] = new_map()
        ops.append({"op": "add" if value is None else "replace", "path": at, "value": {}})
        return parent[key]

    affinity = ensure_map(pod_spec, "affinity", f"{pointer}/affinity")
    node = ensure_map(affinity, "nodeAffinity", f"{pointer}/affinity/nodeAffinity")
    node_ptr = f"{pointer}/affinity/nodeAffinity"
    if after.required != before.required and after.required is not None:
        _write_required(
            node,
            before=before,
            after=after,
            node_ptr=node_ptr,
            ops=ops,
            new_map=new_map,
            new_seq=new_seq,
        )
    if after.preferred != before.preferred:
        prefs = node.get(PREFERRED)
        added = after.preferred[len(before.preferred) :]
        if not isinstance(prefs, MutableSequence):
            prefs = new_seq()
            node[PREFERRED] = prefs
            ops.append({"op": "add", "path": f"{node_ptr}/{PREFERRED}", "value": []})
        for term in added:
            prefs.append(_preferred_to_k8s(term, new_map, new_seq))
            ops.append(
                {
                    "op": "add",
                    "path": f"{node_ptr}/{PREFERRED}/-",
                    "value": _preferred_to_k8s(term, dict, list),
                }
            )
    return True


def _rename_in_place(mapping: MutableMapping[str, Any], old: str, new: str) -> None:
    """Rename key `old` to `new` at the same position (ruamel maps keep their comments)."""
    position = list(mapping).index(old)
    comments = getattr(getattr(mapping, "ca", None), "items", None)
    comment = comments.pop(old, None) if isinstance(comments, dict) else None
    value = mapping.pop(old)
    insert = getattr(mapping, "insert", None)
    if insert is not None:
        insert(position, new, value)
        if comment is not None and isinstance(comments, dict):
            comments[new] = comment  # the end-of-line comment belongs to the entry
            _shift_comment(comment, len(new) - len(old))
        return
    items = list(mapping.items())
    items.insert(position, (new, value))
    mapping.clear()
    mapping.update(items)


def _shift_comment(comment: Any, shift: int) -> None:
    """Keep an end-of-line comment as far from its value as it was (ruamel places it at the
    column it was read at)."""
    for token in comment if isinstance(comment, list) else ():
        mark: Any = getattr(token, "start_mark", None)
        column = getattr(mark, "column", None)
        if isinstance(column, int):
            mark.column = max(column + shift, 0)


def _rename_keys(
    pod_spec: MutableMapping[str, Any],
    renames: tuple[tuple[str, str], ...],
    pointer: str,
    ops: list[JsonPatchOp],
) -> bool:
    """Rename deprecated label keys where the pod spec selects by them; True when one was."""
    changed = False
    selector = pod_spec.get("nodeSelector")
    if isinstance(selector, MutableMapping):
        before = dict(selector)
        for old, new in renames:
            if old in selector and new not in selector:
                _rename_in_place(selector, old, new)
            elif old in selector and selector[new] == selector[old]:
                del selector[old]  # the successor already says the same
        if dict(selector) != before:
            ops.append(
                {"op": "replace", "path": f"{pointer}/nodeSelector", "value": dict(selector)}
            )
            changed = True
    node = pod_spec.get("affinity", {})
    node = node.get("nodeAffinity") if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        return changed
    node_ptr = f"{pointer}/affinity/nodeAffinity"
    terms: list[tuple[str, Any]] = []
    required = node.get(REQUIRED)
    if isinstance(required, Mapping) and isinstance(required.get("nodeSelectorTerms"), list):
        for i, term in enumerate(required["nodeSelectorTerms"]):
            terms.append((f"{node_ptr}/{REQUIRED}/nodeSelectorTerms/{i}", term))
    preferred = node.get(PREFERRED)
    if isinstance(preferred, list):
        for i, pref in enumerate(preferred):
            if isinstance(pref, Mapping):
                terms.append((f"{node_ptr}/{PREFERRED}/{i}/preference", pref.get("preference")))
    wanted = dict(renames)
    for at, term in terms:
        exprs = term.get("matchExpressions") if isinstance(term, Mapping) else None
        if not isinstance(exprs, list):
            continue
        for j, expr in enumerate(exprs):
            if isinstance(expr, MutableMapping) and expr.get("key") in wanted:
                expr["key"] = wanted[expr["key"]]
                ops.append(
                    {
                        "op": "replace",
                        "path": f"{at}/matchExpressions/{j}/key",
                        "value": expr["key"],
                    }
                )
                changed = True
    return changed


def _write_required(
    node: MutableMapping[str, Any],
    *,
    before: NodeAffinity,
    after: NodeAffinity,
    node_ptr: str,
    ops: list[JsonPatchOp],
    new_map: MapFactory,
    new_seq: SeqFactory,
) -> None:
    assert after.required is not None
    old_terms = before.required.terms if before.required else ()
    required = node.get(REQUIRED)
    terms = required.get("nodeSelectorTerms") if isinstance(required, MutableMapping) else None
    if not old_terms or not isinstance(terms, MutableSequence):
        selector = new_map()
        new_terms = new_seq()
        new_terms.extend(_term_to_k8s(t, new_map, new_seq) for t in after.required.terms)
        selector["nodeSelectorTerms"] = new_terms
        op: Literal["add", "replace"] = "replace" if REQUIRED in node else "add"
        node[REQUIRED] = selector
        ops.append(
            {
                "op": op,
                "path": f"{node_ptr}/{REQUIRED}",
                "value": {
                    "nodeSelectorTerms": [_term_to_k8s(t, dict, list) for t in after.required.terms]
                },
            }
        )
        return
    for i, (old, new) in enumerate(zip(old_terms, after.required.terms, strict=True)):
        added = new.match_expressions[len(old.match_expressions) :]
        if not added:
            continue
        term = terms[i]
        term_ptr = f"{node_ptr}/{REQUIRED}/nodeSelectorTerms/{i}"
        exprs = term.get("matchExpressions")
        if not isinstance(exprs, MutableSequence):
            exprs = new_seq()
            term["matchExpressions"] = exprs
            ops.append({"op": "add", "path": f"{term_ptr}/matchExpressions", "value": []})
        for req in added:
            exprs.append(requirement_to_k8s(req, new_map))
            ops.append(
                {
                    "op": "add",
                    "path": f"{term_ptr}/matchExpressions/-",
                    "value": requirement_to_k8s(req, dict),
                }
            )


def placement_patch(
    document: Mapping[str, Any], pod_spec_path: tuple[str, ...], placement: Placement
) -> list[JsonPatchOp]:
    """JSON Patch operations that write `placement` into the pod spec at `pod_spec_path` of
    `document` (e.g. `("spec", "template", "spec")`); `document` itself is not modified.

    Missing intermediate objects on the path are added by the patch as well.
    """
    work: Any = copy.deepcopy(dict(document))
    ops: list[JsonPatchOp] = []
    pointer = ""
    node = work
    for key in pod_spec_path:
        pointer += "/" + _escape(key)
        child = node.get(key)
        if not isinstance(child, MutableMapping):
            node[key] = {}
            ops.append({"op": "add", "path": pointer, "value": {}})
            child = node[key]
        node = child
    apply_placement(node, placement, pointer=pointer, record=ops)
    return ops
