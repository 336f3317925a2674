"""An edit written into the original text: additions into flow collections (`{…}`, `[…]`, and
so every JSON file), keys renamed in place and strings replaced, each spliced at the position
libyaml reports, so nothing else in the text moves.

ruamel.yaml re-emits a flow collection on one line with its own spacing, so a multi-line flow
mapping (or a JSON object) would come back rewritten from its first line to its last. Here the
edit is instead found as a list of changes by comparing the document before and after it
(`find_additions`): new keys at the end of a mapping, new items at the end of a sequence, a
string scalar (or a key) replaced. Each addition is written just after the collection's last
entry, in the collection's own layout: on its line (`{a: 1, b: 2}`) when the collection is on one
line, one entry per line at the entries' column when they stand one per line; a replaced scalar
keeps its quoting. New entries of a block collection are written as block lines after its last
entry when the caller gives a block renderer (it prefers its own line merge for those).

Any other change (a removal, a reordering) gives None, and the caller writes the edit another
way. Pure: text in, text out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["Addition", "Replacement", "find_additions", "splice"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Addition:
    """New `entries` at the end of the collection `node` (pairs for a mapping, 1-tuples for a
    sequence); `parent_flow` says whether the collection sits inside a flow collection."""

    node: yaml.CollectionNode
    entries: tuple[tuple[Any, ...], ...]
    parent_flow: bool


@dataclass(frozen=True, slots=True)
class Replacement:
    """A string scalar written anew — a changed value, or a mapping key renamed in place — in
    the scalar's own quoting."""

    node: yaml.ScalarNode
    value: str


Change = Addition | Replacement


def _renamed(node: yaml.MappingNode, before: Mapping[Any, Any], after: Mapping[Any, Any]) -> Any:
    """Keys renamed in place (same positions, same values); None for any other change."""
    old, new = list(before), list(after)
    if len(old) != len(new) or len(node.value) != len(old):
        return None
    out: list[Change] = []
    for (key_node, _), b, a in zip(node.value, old, new, strict=True):
        if not isinstance(key_node, yaml.ScalarNode) or key_node.value != str(b):
            return None
        if before[b] != after[a] or not isinstance(a, str):
            return None
        if a != b:
            out.append(Replacement(key_node, a))
    return out


def _child(node: yaml.MappingNode, key: Any) -> yaml.Node | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == str(key):
            child: yaml.Node = v
            return child
    return None


def find_additions(node: yaml.Node, before: Any, after: Any, *, parent_flow: bool) -> Any:
    """The changes that turn `before` (composed as `node`) into `after`: additions at the ends
    of collections, string scalars replaced, keys renamed in place; None for any other change
    (a removal, a reordering, a change of type)."""
    out: list[Change] = []
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        if not isinstance(node, yaml.MappingNode):
            return None
        if list(after)[: len(before)] != list(before):
            return _renamed(node, before, after)
        for key, value in before.items():
            if after[key] == value:
                continue
            child = _child(node, key)
            if child is None:  # a key reached through a merge (`<<`): not this mapping's text
                return None
            found = find_additions(child, value, after[key], parent_flow=bool(node.flow_style))
            if found is None:
                return None
            out.extend(found)
        new = tuple((k, after[k]) for k in list(after)[len(before) :])
        if new:
            out.append(Addition(node, new, parent_flow))
        return out
    if isinstance(before, list) and isinstance(after, list):
        if not isinstance(node, yaml.SequenceNode) or len(after) < len(before):
            return None
        for item_node, old, new_item in zip(node.value, before, after, strict=False):
            if old == new_item:
                continue
            found = find_additions(item_node, old, new_item, parent_flow=bool(node.flow_style))
            if found is None:
                return None
            out.extend(found)
        if len(after) > len(before):
            out.append(Addition(node, tuple((i,) for i in after[len(before) :]), parent_flow))
        return out
    if before == after:
        return out
    if (
        isinstance(before, str)
        and isinstance(after, str)
        and isinstance(node, yaml.ScalarNode)
        and node.style in {None, "", "'", '"'}  # plain is None in PyYAML, "" in libyaml
        and node.start_mark.line == node.end_mark.line
    ):
        return [Replacement(node, after)]
    return None


# An entry as text, laid out with the given indent per level (None: on one line).
Render = Callable[[tuple[Any, ...], str | None], str]
ScalarRender = Callable[[str, str | None], str]


BlockRender = Callable[[tuple[Any, ...]], str]


def splice(
    body: str,
    additions: Sequence[Change],
    render: Render,
    *,
    scalar: ScalarRender,
    expand_empty: str | None = None,
    block: BlockRender | None = None,
) -> str | None:
    """`body` with every addition written into its flow collection; None when one of them goes
    into a block collection (or into an empty flow one in block context, which the caller
    writes as a block). `expand_empty` (JSON's indent unit) writes entries into an empty
    collection one per line, as `json.dumps(indent=…)` would. With `block` (an entry as block
    lines at column 0), new keys of a block mapping are written after its last entry too.
    `scalar` writes a replaced string in a scalar style (None: plain)."""
    edits: list[tuple[int, int, str]] = []
    for add in additions:
        if isinstance(add, Replacement):
            start, end = add.node.start_mark.index, add.node.end_mark.index
            edits.append((start, end, scalar(add.value, add.node.style)))
            continue
        node = add.node
        if not node.flow_style:
            if block is None or not node.value:
                return None
            found = _after_block(body, node, add.entries, block)
            if found is None:
                return None
            edits.append((found[0], found[0], found[1]))
            continue
        if not node.value and not add.parent_flow:
            return None
        close = node.end_mark.index - 1
        if body[close : close + 1] not in {"}", "]"}:
            return None
        base = _leading(body, node.start_mark.index)
        if not node.value:
            if expand_empty is None:
                edits.append((close, close, ", ".join(render(e, None) for e in add.entries)))
                continue
            pad = base + expand_empty
            text = ",\n".join(pad + _indented(render(e, expand_empty), pad) for e in add.entries)
            edits.append((close, close, f"\n{text}\n{base}"))
            continue
        pairs = isinstance(node, yaml.MappingNode)
        first: yaml.Node = node.value[0][0] if pairs else node.value[0]
        last: yaml.Node = node.value[-1][1] if pairs else node.value[-1]
        end = last.end_mark.index
        if first.start_mark.line > node.start_mark.line:  # one entry per line
            pad = _leading(body, first.start_mark.index)  # spaces or tabs, as written
            unit = pad[len(base) :] if pad.startswith(base) and len(pad) > len(base) else "  "
            new = [pad + _indented(render(e, unit), pad) for e in add.entries]
            line_end = body.find("\n", end, close)
            if line_end < 0:  # the closing bracket ends the last entry's line
                edits.append((end, end, "".join(",\n" + e for e in new)))
                continue
            # New lines go after the last entry's line, so a comment on it stays with it; a
            # trailing comma there stays the file's habit.
            rest = body[end:line_end]
            if not rest.strip():
                edits.append((end, end, ",\n" + ",\n".join(new)))
            elif rest.split("#", 1)[0].strip() == ",":
                edits.append((line_end, line_end, "\n" + ",\n".join(new) + ","))
            else:
                edits.append((end, end, ","))
                edits.append((line_end, line_end, "\n" + ",\n".join(new)))
        else:
            edits.append((end, end, "".join(", " + render(e, None) for e in add.entries)))
    out = body
    for start, end, text in sorted(edits, key=lambda e: e[0], reverse=True):
        out = out[:start] + text + out[end:]
    return out


def _after_block(
    body: str,
    node: yaml.CollectionNode,
    entries: tuple[tuple[Any, ...], ...],
    block: BlockRender,
) -> tuple[int, str] | None:
    """Where and what to insert for new entries of a block collection: their lines, at the
    column of its keys (a mapping) or of its dashes, content as far after the dash as the
    first item's (a sequence), right after the last line of its last entry (before comments
    that follow it)."""
    if isinstance(node, yaml.MappingNode):
        pad = " " * node.value[0][0].start_mark.column
        first_pad = pad
        last: yaml.Node = node.value[-1][1]
    else:
        item = node.value[0].start_mark
        prefix = body[body.rfind("\n", 0, item.index) + 1 : item.index]
        dash = prefix.rfind("-")
        if dash < 0 or prefix[:dash].strip() or prefix[dash + 1 :].strip():
            return None  # the first item does not start its line after a dash
        first_pad = " " * dash + "-" + " " * (len(prefix) - dash - 1)
        pad = " " * len(prefix)
        last = node.value[-1]
    lines = ""
    for entry in entries:
        for k, line in enumerate(block(entry).splitlines(True)):
            lines += (first_pad if k == 0 else pad) + line if line.strip() else line
    end = last.end_mark.index
    if end > 0 and body[end - 1] != "\n":
        newline = body.find("\n", end)
        if newline < 0:  # the last line of a text without a final newline
            return len(body), "\n" + lines.rstrip("\n")
        return newline + 1, lines
    # A block collection ends where the next token starts: step back over blank and comment
    # lines, which belong to what follows.
    while end > 0:
        start = body.rfind("\n", 0, end - 1) + 1
        stripped = body[start:end].strip()
        if stripped and not stripped.startswith("#"):
            break
        end = start
    return end, lines


def _leading(body: str, index: int) -> str:
    """The whitespace that starts the line holding `index`."""
    start = body.rfind("\n", 0, index) + 1
    line = body[start:index]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indented(text: str, pad: str) -> str:
    return text.replace("\n", "\n" + pad)


def compose(body: str) -> yaml.Node | None:
    """The node graph of one document, with marks (libyaml when available)."""
    node: yaml.Node | None = yaml.compose(body, Loader=_Loader)
    return node


def render_yaml(entry: tuple[Any, ...], _unit: str | None) -> str:
    """One entry in YAML flow style: `key: {…}` or an item (PyYAML's safe emitter, one line)."""
    value: Any = {entry[0]: entry[1]} if len(entry) == 2 else [entry[0]]
    text = yaml.safe_dump(
        _plain(value), default_flow_style=True, sort_keys=False, width=1 << 30, allow_unicode=True
    ).rstrip("\n")
    return text[1:-1]


def scalar_yaml(value: str, style: str | None) -> str:
    """A string in the quoting it replaces: `"…"`, `'…'`, or plain when YAML reads it back as
    the same string (else single-quoted)."""
    if style == '"':
        return json.dumps(value, ensure_ascii=False)
    if not style:
        flow = yaml.safe_dump([value], default_flow_style=True, width=1 << 30, allow_unicode=True)
        return flow.strip()[1:-1]
    return "'" + value.replace("'", "''") + "'"


def scalar_json(value: str, _style: str | None) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_json(entry: tuple[Any, ...], unit: str | None) -> str:
    """One entry as JSON, indented by `unit` per level (None: on one line)."""
    separators = (", ", ": ") if unit is None else (",", ": ")
    value = json.dumps(_plain(entry[-1]), indent=unit, separators=separators, ensure_ascii=False)
    return f"{json.dumps(str(entry[0]), ensure_ascii=False)}: {value}" if len(entry) == 2 else value


def _plain(value: Any) -> Any:
    """ruamel's round-trip values as plain ones (bools spelled `True` stay bools)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or type(value).__name__ == "SpelledBool":
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
