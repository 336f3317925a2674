"""What may leave the cluster: objects stripped of bookkeeping and anything secret-shaped.

`sanitize` returns a copy of an object with:
- `metadata.managedFields` removed (large, and only the API server needs it);
- the `kubectl.kubernetes.io/last-applied-configuration` annotation removed (a full copy of
  the object as applied, env values included);
- every container's `env` reduced to names (`value` and `valueFrom` dropped: plain values and
  Secret references alike), and `envFrom` removed.
Secrets themselves are never read by archfit; `sanitize` refuses one if it is handed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archfit.model.k8s import POD_SPEC_PATHS

__all__ = ["LAST_APPLIED", "field_owners", "sanitize"]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _strip_containers(pod_spec: dict[str, Any]) -> None:
    for key in _CONTAINER_LISTS:
        containers = pod_spec.get(key)
        if not isinstance(containers, list):
            continue
        stripped = []
        for container in containers:
            if not isinstance(container, Mapping):
                stripped.append(container)
                continue
            copy = dict(container)
            env = copy.get("env")
            if isinstance(env, list):
                copy["env"] = [
                    {"name": e.get("name")} if isinstance(e, Mapping) else e for e in env
                ]
            copy.pop("envFrom", None)
            stripped.append(copy)
        pod_spec[key] = stripped


def sanitize(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `obj` safe to write to a snapshot (see the module docstring)."""
    kind = obj.get("kind")
    if kind == "Secret":
        raise ValueError("refusing to include a Secret")
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
        meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    out["metadata"] = meta
    path = POD_SPEC_PATHS.get(str(kind))
    if path:
        # Copy along the path so the caller's object is left as it was.
        parent: dict[str, Any] = out
        for key in path:
            child = parent.get(key)
            if not isinstance(child, Mapping):
                break
            copied = dict(child)
            parent[key] = copied
            parent = copied
        else:
            _strip_containers(parent)
    return out


def field_owners(obj: Mapping[str, Any], prefix: str = "f:labels") -> dict[str, set[str]]:
    """Label key → field managers owning it, read from `metadata.managedFields` (FieldsV1)."""
    owners: dict[str, set[str]] = {}
    meta = obj.get("metadata") or {}
    for entry in meta.get("managedFields") or []:
        if not isinstance(entry, Mapping):
            continue
        fields = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get(prefix) or {}
        manager = str(entry.get("manager") or "")
        for key in fields:
            if key.startswith("f:"):
                owners.setdefault(key[2:], set()).add(manager)
    return owners
