"""The JSON Patch operations a mutated pod gets beyond its placement, and the checks on them.

Placement operations come from the same rewrite as `fix`; this module adds the fallback
annotation and the verified-taint toleration, and names the pod subtrees the patch may touch so
the brain can test-apply it without copying the whole pod.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archfit.manifests.rewrite.placement import JsonPatchOp
from archfit.service.webhook.settings import (
    FALLBACK_ANNOTATION,
    VERIFIED_TAINT_KEY,
    VERIFIED_TAINT_VALUE,
)

__all__ = ["annotation_and_toleration_ops", "touched_subtrees", "within_touched"]


def _has_toleration(obj: Mapping[str, Any]) -> bool:
    spec = obj.get("spec")
    tolerations = spec.get("tolerations") if isinstance(spec, Mapping) else None
    if not isinstance(tolerations, list):
        return False
    return any(
        isinstance(t, Mapping)
        and t.get("key") == VERIFIED_TAINT_KEY
        and (t.get("operator") == "Exists" or t.get("value") == VERIFIED_TAINT_VALUE)
        for t in tolerations
    )


def annotation_and_toleration_ops(
    obj: dict[str, Any], *, annotation: str | None, tolerate: bool
) -> list[JsonPatchOp]:
    ops: list[JsonPatchOp] = []
    meta = obj.get("metadata")
    if annotation is not None and isinstance(meta, Mapping):
        annotations = meta.get("annotations")
        if not isinstance(annotations, Mapping):
            ops.append(
                {
                    "op": "add",
                    "path": "/metadata/annotations",
                    "value": {FALLBACK_ANNOTATION: annotation},
                }
            )
        elif annotations.get(FALLBACK_ANNOTATION) != annotation:
            ops.append(
                {
                    "op": "add",
                    "path": "/metadata/annotations/archfit.dev~1fallback",
                    "value": annotation,
                }
            )
    if tolerate and not _has_toleration(obj):
        toleration = {
            "key": VERIFIED_TAINT_KEY,
            "operator": "Equal",
            "value": VERIFIED_TAINT_VALUE,
            "effect": "NoSchedule",
        }
        spec = obj.get("spec")
        if isinstance(spec, Mapping) and isinstance(spec.get("tolerations"), list):
            ops.append({"op": "add", "path": "/spec/tolerations/-", "value": toleration})
        else:
            ops.append({"op": "add", "path": "/spec/tolerations", "value": [toleration]})
    return ops


# The parts of a pod the patch may touch. A JSON Patch operation depends only on its path's
# ancestors, so writing and checking the patch against these subtrees gives the same operations
# and the same verdict as the whole pod, without copying managedFields and the containers on
# every admission.
_TOUCHED = ("/spec/affinity", "/spec/tolerations", "/metadata/annotations")


def touched_subtrees(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pointer in _TOUCHED:
        parent, key = pointer.strip("/").split("/")
        source = obj.get(parent)
        if not isinstance(source, Mapping):
            if parent in obj:
                out[parent] = source  # not an object: the patch must fail as it would on obj
            continue
        target = out.setdefault(parent, {})
        if key in source:
            target[key] = source[key]
    return out


def within_touched(ops: Sequence[JsonPatchOp]) -> bool:
    return all(
        op["path"] in _TOUCHED or op["path"].startswith(tuple(p + "/" for p in _TOUCHED))
        for op in ops
    )
