"""Helm values, merged the way Helm and Flux merge them.

Order (lowest precedence first), as Flux's helm-controller and `helm install -f … --set …` do:

1. the chart's own `values.yaml` (defaults);
2. each `valuesFrom` reference in the order listed (ConfigMap or Secret; `valuesKey` defaults to
   `values.yaml`; with `targetPath` the single value is set at that dotted path, `--set` style);
3. the inline `values`.

Steps 2 and 3 are merged with Helm's `mergeMaps` (maps merge key by key, anything else replaces,
`null` is kept); the result is then coalesced over the chart defaults, where a `null` deletes the
key (Helm's documented way to remove a default). Everything here is pure and works on plain dicts.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from archfit.errors import InvalidValue

__all__ = [
    "ValuesReference",
    "ValuesResult",
    "assemble_values",
    "coalesce",
    "merge_maps",
    "parse_target_path",
    "set_path",
]


def merge_maps(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's `mergeMaps`: a new dict where `override` wins; nested maps merge recursively."""
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = merge_maps(current, value)
        else:
            out[key] = _copy(value)
    return out


def coalesce(user: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's `CoalesceValues`: user values over chart defaults; a user `null` deletes the key.

    A key that is `null` in the user values is absent from the result, whether or not the chart has
    a default for it (Helm removes it, so templates see it as unset).
    """
    out: dict[str, Any] = {}
    for key, default in defaults.items():
        if key in user:
            continue
        out[key] = _copy(default)
    for key, value in user.items():
        if value is None:
            out.pop(key, None)
            continue
        default = defaults.get(key)
        if isinstance(value, Mapping) and isinstance(default, Mapping):
            out[key] = coalesce(value, default)
        elif isinstance(value, Mapping):
            out[key] = coalesce(value, {})
        else:
            out[key] = _copy(value)
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


_PATH_PART = re.compile(r"((?:\\.|[^.\[\\])+)|\[(\d+)\]")


def parse_target_path(path: str) -> list[str | int]:
    """Split a `--set` style path (`a.b\\.c[0].d`) into keys and list indexes.

    Raises `InvalidValue` for an empty path or one with empty components.
    """
    if not path:
        raise InvalidValue("empty targetPath")
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and parts:
            pos += 1
        match = _PATH_PART.match(path, pos)
        if not match or match.end() == pos:
            raise InvalidValue(f"bad targetPath {path!r} at character {pos + 1}")
        if match.group(1) is not None:
            parts.append(match.group(1).replace("\\.", ".").replace("\\[", "["))
        else:
            parts.append(int(match.group(2)))
        pos = match.end()
    return parts


def _scalar(text: str) -> Any:
    """Type a `--set` value as strvals does: booleans, null and integers; otherwise a string."""
    if text in {"true", "false"}:
        return text == "true"
    if text == "null":
        return None
    if re.fullmatch(r"-?(0|[1-9][0-9]*)", text):
        return int(text)
    return text


def set_path(target: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Return a copy of `target` with `value` at the `--set` style `path` (lists grow with None)."""
    parts = parse_target_path(path)
    root: Any = _copy(target)
    node = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt: Any = value if last else ([] if isinstance(parts[i + 1], int) else {})
        if isinstance(part, int):
            if not isinstance(node, list):
                raise InvalidValue(f"targetPath {path!r}: index [{part}] into a non-list")
            while len(node) <= part:
                node.append(None)
            if last or not isinstance(node[part], dict | list):
                node[part] = nxt
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise InvalidValue(f"targetPath {path!r}: key {part!r} into a non-mapping")
            if last or not isinstance(node.get(part), dict | list):
                node[part] = nxt
            node = node[part]
    assert isinstance(root, dict)
    return root


@dataclass(frozen=True, slots=True)
class ValuesReference:
    """One `valuesFrom` entry of a Flux HelmRelease."""

    kind: str  # ConfigMap | Secret
    name: str
    values_key: str = "values.yaml"
    target_path: str = ""
    optional: bool = False

    @classmethod
    def from_k8s(cls, raw: Any, where: str) -> ValuesReference:
        if not isinstance(raw, Mapping):
            raise InvalidValue("expected a mapping", where=where)
        kind = str(raw.get("kind") or "")
        if kind not in {"ConfigMap", "Secret"}:
            raise InvalidValue(f"kind must be ConfigMap or Secret, got {kind!r}", where=where)
        return cls(
            kind=kind,
            name=str(raw.get("name") or ""),
            values_key=str(raw.get("valuesKey") or "values.yaml"),
            target_path=str(raw.get("targetPath") or ""),
            optional=bool(raw.get("optional", False)),
        )

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}[{self.values_key}]"


@dataclass(frozen=True, slots=True)
class ValuesResult:
    """The assembled values and what could not be used (one line each, for findings)."""

    values: dict[str, Any]
    problems: tuple[str, ...] = ()
    used: tuple[str, ...] = field(default_factory=tuple)


def _object_data(obj: Mapping[str, Any], key: str) -> str | None:
    """The text of `key` in a ConfigMap or Secret (base64 `data`, or `stringData`)."""
    if obj.get("kind") == "Secret":
        string_data = obj.get("stringData")
        if isinstance(string_data, Mapping) and key in string_data:
            return str(string_data[key])
        data = obj.get("data")
        if isinstance(data, Mapping) and key in data:
            raw = str(data[key])
            if raw.startswith("ENC["):
                return None
            try:
                return base64.b64decode(raw, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
        return None
    data = obj.get("data")
    if isinstance(data, Mapping) and key in data:
        return str(data[key])
    return None


def assemble_values(
    *,
    inline: Mapping[str, Any] | None,
    references: Iterable[ValuesReference] = (),
    lookup: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    chart_defaults: Mapping[str, Any] | None = None,
) -> ValuesResult:
    """Assemble a release's values.

    `lookup` maps `(kind, name)` to the ConfigMap/Secret objects found in the repository (in the
    release's namespace). A missing or unreadable non-optional reference becomes a problem line and
    is skipped; the rest are still merged, so the result is the best knowledge available offline.
    """
    merged: dict[str, Any] = {}
    problems: list[str] = []
    used: list[str] = []
    objects = lookup or {}
    for ref in references:
        obj = objects.get((ref.kind, ref.name))
        if obj is None:
            if not ref.optional:
                problems.append(f"valuesFrom {ref} not found in the repository")
            continue
        if obj.get("sops") is not None and ref.kind == "Secret":
            problems.append(f"valuesFrom {ref} is SOPS-encrypted; its values were not read")
            continue
        text = _object_data(obj, ref.values_key)
        if text is None:
            if not ref.optional:
                problems.append(f"valuesFrom {ref}: key {ref.values_key!r} not found or unreadable")
            continue
        if ref.target_path:
            try:
                merged = set_path(merged, ref.target_path, _scalar(text))
            except InvalidValue as err:
                problems.append(f"valuesFrom {ref}: {err.message}")
                continue
        else:
            try:
                loaded = yaml.safe_load(text)
            except yaml.YAMLError as err:
                problems.append(f"valuesFrom {ref}: not YAML ({type(err).__name__})")
                continue
            if loaded is None:
                loaded = {}
            if not isinstance(loaded, Mapping):
                problems.append(f"valuesFrom {ref}: expected a mapping of values")
                continue
            merged = merge_maps(merged, loaded)
        used.append(str(ref))
    if inline:
        merged = merge_maps(merged, inline)
    return ValuesResult(coalesce(merged, chart_defaults or {}), tuple(problems), tuple(used))
