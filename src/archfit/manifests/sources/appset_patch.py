"""An ApplicationSet's `spec.templatePatch`, applied as Argo CD applies it
(`applicationset/controllers/template/template.go`, `applyTemplatePatch`): the patch string is
rendered with the generator's parameters (Go templates with `goTemplate: true`, fasttemplate
otherwise), read as YAML, and applied to the rendered Application as a Kubernetes strategic
merge patch against the `Application` type.

The `Application` type declares no patch strategy on its own lists, so a list in the patch
replaces the Application's list (`valueFiles`, `syncOptions`, `sources`); mappings merge key
by key; `null` deletes a key; `$patch: replace` replaces a mapping and `$patch: delete` removes
it. `metadata.finalizers` is the one list merged (ObjectMeta's `patchStrategy: merge`): the
patch's finalizers are added to the Application's. Other directives (`$retainKeys`,
`$setElementOrder`, …) raise `NotModelledError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from archfit.manifests.sources.appset_functions import NotModelledError, TemplateError

__all__ = ["merge_patch", "parse_patch"]


def parse_patch(rendered: str) -> Mapping[str, Any]:
    """The rendered patch as a mapping; `TemplateError` when it is not YAML or not a mapping
    (Argo CD does not generate the Application then)."""
    try:
        data = yaml.safe_load(rendered)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise TemplateError(f"templatePatch is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise TemplateError(f"templatePatch is not a mapping but {type(data).__name__}")
    return data


def merge_patch(original: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`original` with `patch` applied as a strategic merge patch on an `Application`."""
    return _merge(original, patch, ())


def _merge(
    original: Mapping[str, Any], patch: Mapping[str, Any], path: tuple[str, ...]
) -> dict[str, Any]:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if directive is not None:
        raise NotModelledError(f"templatePatch directive $patch: {directive} at {_dotted(path)}")
    out = dict(original)
    for raw_key, value in patch.items():
        key = str(raw_key)
        if key.startswith("$"):
            raise NotModelledError(f"templatePatch directive {key} at {_dotted(path)}")
        here = (*path, key)
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping):
            if value.get("$patch") == "delete":
                out.pop(key, None)
                continue
            current = out.get(key)
            out[key] = _merge(current if isinstance(current, Mapping) else {}, value, here)
        elif here == ("metadata", "finalizers") and isinstance(value, list):
            current = out.get(key)
            merged = list(current) if isinstance(current, list) else []
            merged.extend(v for v in value if v not in merged)
            out[key] = merged
        else:
            out[key] = value
    return out


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path) or "the top level"
