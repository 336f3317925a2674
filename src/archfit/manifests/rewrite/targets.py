"""Where inside a document an edit may go: the item of a List, and never a node that other
workloads share through YAML aliases.

An anchored node (`&base`) that is aliased elsewhere (`*base`) is one object in the loaded
document: adding an affinity to it adds it to every workload that uses the alias. A mapping that
merges another (`<<: *base`) reads the merged keys from the shared node, so changing a merged
`affinity` changes the other workloads too; adding a key of the mapping's own does not. `fix`
refuses an edit that would reach a shared node and says why (`shared_note`).

Pure; works on ruamel round-trip documents (plain dicts never share).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["list_item", "shared_note", "shared_reason"]

# What `apply_placement` may change inside a pod spec.
EDITED_KEYS = ("affinity", "nodeSelector")


def _anchor(node: Any) -> str | None:
    anchor = getattr(node, "anchor", None)
    value = getattr(anchor, "value", None) if anchor is not None else None
    return value if isinstance(value, str) else None


def _own_keys(mapping: Mapping[str, Any]) -> Any:
    """The keys `mapping` states itself (not merged in by `<<`); all of them without a merge."""
    if not getattr(mapping, "merge", None):
        return mapping.keys()
    own = getattr(mapping, "_ok", None)  # ruamel's set of a merging mapping's own keys
    return own if isinstance(own, set) else mapping.keys()


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, Mapping):
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def shared_reason(document: Any, path: Sequence[str | int], text: str) -> str | None:
    """Why editing the pod spec at `path` of `document` (as far as the path exists) would change
    nodes another part of the file shares; None when the edit is safe. `text` is the file, to
    tell an anchor that is aliased from one that is not."""

    def aliased(name: str | None) -> bool:
        return name is not None and re.search(rf"\*{re.escape(name)}(?![\w-])", text) is not None

    node = document
    for i, part in enumerate(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
        else:
            if not isinstance(node, Mapping) or part not in node:
                return None
            if part not in _own_keys(node):
                where = ".".join(str(p) for p in path[: i + 1])
                return f"{where} comes from a `<<` merge of a node other workloads share"
            node = node[part]
        name = _anchor(node)
        if aliased(name):
            where = ".".join(str(p) for p in path[: i + 1])
            return f"{where} is the anchored node &{name}, which the file also uses elsewhere"
    if not isinstance(node, Mapping):
        return None
    for key in EDITED_KEYS:
        if key not in node:
            continue
        if key not in _own_keys(node):
            return f"its {key} comes from a `<<` merge of a node other workloads share"
        for inner in _nodes(node[key]):
            name = _anchor(inner)
            if aliased(name):
                return (
                    f"its {key} holds the anchored node &{name}, which the file also uses elsewhere"
                )
    return None


def shared_note(display: str, document: Any, path: Sequence[str | int], text: str) -> str | None:
    """The note for `display` when an edit at `path` would change shared nodes (else None)."""
    reason = shared_reason(document, path, text)
    if reason is None:
        return None
    return (
        f"{display}: {reason}; not edited (the edit would change every workload using it), "
        "add the placement by hand"
    )


def list_item(document: Any, kind: str, name: str) -> tuple[str | int, ...] | None:
    """Where the object `kind`/`name` is in `document`: () for the document itself,
    `("items", i)` for an item of a List (`kubectl get -o yaml`), None when the List holds no
    such item."""
    list_kind = document.get("kind") if isinstance(document, Mapping) else None
    items = document.get("items") if isinstance(document, Mapping) else None
    if not (isinstance(list_kind, str) and list_kind.endswith("List") and isinstance(items, list)):
        return ()
    for i, entry in enumerate(items):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("metadata"), Mapping):
            continue
        # Typed lists (`DeploymentList`) may leave out each item's kind.
        entry_kind = entry.get("kind", list_kind.removesuffix("List"))
        if entry_kind == kind and entry["metadata"].get("name") == name:
            return ("items", i)
    return None
