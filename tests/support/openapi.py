"""Validating Kubernetes objects offline against a kube-apiserver's own OpenAPI v3 documents
(`../shared/fixtures/apiserver/openapi/v3/*.json`, as served at `/openapi/v3/<group path>`).

Each document's `components.schemas` is one JSON Schema resource: `$ref`s point at
`#/components/schemas/<name>` inside the same document, and the schema of a kind is the one
whose `x-kubernetes-group-version-kind` names it. Three things the server enforces and the
documents only hint at are added here, so that a test fails where `kubectl apply` would:

- strict field validation (kubectl's default since 1.27): an object schema with `properties`
  accepts no other field;
- `x-kubernetes-list-type: map` lists: no two items with the same `x-kubernetes-list-map-keys`;
- `x-kubernetes-list-type: set` lists: no duplicate items.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

__all__ = ["ApiSchemas", "UnknownKindError"]


class UnknownKindError(LookupError):
    """No document of the server defines this apiVersion and kind."""


def _list_map_keys(
    validator: Any, keys: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if schema.get("x-kubernetes-list-type") != "map" or not isinstance(instance, list):
        return
    seen: set[str] = set()
    for item in instance:
        if not isinstance(item, dict):
            continue
        key = json.dumps([item.get(k) for k in keys])
        if key in seen:
            yield ValidationError(
                f"duplicate entry for key {dict(zip(keys, json.loads(key), strict=True))}"
            )
        seen.add(key)


def _list_type(
    validator: Any, kind: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if kind != "set" or not isinstance(instance, list):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            yield ValidationError(f"duplicate value {item!r} in a set")
        seen.add(key)


# types-jsonschema leaves `extend` unannotated.
_KubeValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft7Validator,
    {"x-kubernetes-list-map-keys": _list_map_keys, "x-kubernetes-list-type": _list_type},
)


def _closed(node: Any) -> Any:
    """Strict field validation: every object schema with properties rejects other fields."""
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


@dataclass
class ApiSchemas:
    """The kinds of one recorded API server and a validator for each."""

    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    kinds: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> ApiSchemas:
        schemas = cls()
        for path in sorted(directory.glob("*.json")):
            if path.name == "index.json":
                continue
            doc = json.loads(path.read_text(encoding="utf-8"))
            components = _closed(copy.deepcopy(doc.get("components", {})))
            schemas.components[path.name] = components
            for name, schema in components.get("schemas", {}).items():
                for gvk in schema.get("x-kubernetes-group-version-kind", []):
                    group, version = gvk["group"], gvk["version"]
                    api_version = f"{group}/{version}" if group else version
                    # Each group's own document is the home of its kinds; DeleteOptions and
                    # friends appear in every document under every group.
                    schemas.kinds.setdefault((api_version, gvk["kind"]), (path.name, name))
        return schemas

    def errors(self, obj: Mapping[str, Any]) -> list[str]:
        """Where `obj` breaks its kind's schema, one line per error (empty: valid)."""
        key = (str(obj.get("apiVersion")), str(obj.get("kind")))
        if key not in self.kinds:
            raise UnknownKindError(f"{key[0]} {key[1]}")
        document, name = self.kinds[key]
        schema = {
            "$ref": f"#/components/schemas/{name}",
            "components": self.components[document],
        }
        validator = _KubeValidator(schema)
        return sorted(
            f"{'.'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
            for err in validator.iter_errors(obj)
        )
