"""What a Flux `Kustomization`'s own transformers do to the objects built from its path.

kustomize-controller (fluxcd/pkg `kustomize/kustomize_generator.go`) writes `spec.patches`,
`spec.images`, `spec.namePrefix`/`spec.nameSuffix` (and `targetNamespace`) into the
kustomization of `spec.path` before it runs `kustomize build`: its patches come after the
path's own, Kustomize runs patches before the namespace and name transformers of that level
(so a target's `namespace` and `name` are matched as written), and images last. After the
build and the post-build substitution it sets `spec.commonMetadata` on every object's
`metadata` (labels and annotations, overriding keys it shares; never selectors or templates).

`FluxSpec.apply` does the same to one object's body, in place. A patch it cannot apply (a
`$patch` directive, a JSON6902 op other than add/replace/remove, a path that does not exist) is
said by name, never dropped silently; the pod-spec fields a patch sets are recorded so that
`fix` does not write a value the patch would override.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from archfit.manifests.sources.kustomize_images import apply_images
from archfit.model.k8s import POD_SPEC_PATHS

__all__ = ["FluxSpec", "Patch"]

# Kustomize's prefix/suffix transformer leaves these kinds' names alone (it skips them by
# kind; checked with `kubectl kustomize` 1.32).
_UNPREFIXED = frozenset({"Namespace", "CustomResourceDefinition", "APIService"})
# Lists of the pod spec that a strategic merge patch merges by a key (Kubernetes'
# `patchMergeKey`); other lists (tolerations, nodeSelectorTerms) are replaced whole.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}
_PLACEMENT = ("affinity", "nodeSelector", "tolerations")
_BUILTIN_GROUPS = frozenset({"", "apps", "batch", "core"})


class _Unapplied(Exception):  # noqa: N818 - internal: carries why, never escapes this module
    """A patch this module does not apply (a reason for the user)."""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _group(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _selector_matches(selector: str, labels: Mapping[str, Any]) -> bool:
    """A Kubernetes label selector string (`a=b,c!=d,e in (f,g),h notin (i),j,!k`)."""
    parts = re.findall(r"[^,(]+(?:\([^)]*\))?", selector)
    for raw in parts:
        term = raw.strip()
        if not term:
            continue
        set_term = re.fullmatch(r"(\S+)\s+(in|notin)\s*\(([^)]*)\)", term)
        if set_term:
            key, op, values = set_term.groups()
            wanted = {v.strip() for v in values.split(",")}
            present = key in labels and str(labels[key]) in wanted
            if present != (op == "in"):
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if key in labels and str(labels[key]) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if key not in labels or str(labels[key]) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Patch:
    """One `spec.patches` entry: its documents (a JSON6902 op list or strategic merge
    patches) and its target selector."""

    index: int
    documents: tuple[Any, ...]
    target: Mapping[str, Any]

    @property
    def json6902(self) -> bool:
        return len(self.documents) == 1 and isinstance(self.documents[0], list)

    def matches(self, body: Mapping[str, Any], namespace: str, doc: Any = None) -> bool:
        meta = _map(body.get("metadata"))
        group, version = _group(str(body.get("apiVersion", "")))
        target = self.target
        if not target and isinstance(doc, Mapping):
            # A strategic merge patch without a target patches the object it names.
            dmeta = _map(doc.get("metadata"))
            target = {"kind": doc.get("kind"), "name": dmeta.get("name")}
            if dmeta.get("namespace"):
                target = {**target, "namespace": dmeta["namespace"]}
        for key, actual in (("group", group), ("version", version), ("kind", body.get("kind"))):
            if target.get(key) and target[key] != actual:
                return False
        for key, actual in (("name", meta.get("name")), ("namespace", namespace)):
            wanted = target.get(key)
            if wanted and not re.fullmatch(f"(?:{wanted})", str(actual or "")):
                return False
        for key, marks in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
            wanted = target.get(key)
            if wanted and not _selector_matches(str(wanted), _map(meta.get(marks))):
                return False
        return True


@dataclass(frozen=True, slots=True)
class FluxSpec:
    """The transformers of one Flux Kustomization (`spec.images`, `patches`, `namePrefix`,
    `nameSuffix`, `commonMetadata`), and the patches that could not even be read."""

    images: tuple[Mapping[str, Any], ...] = ()
    patches: tuple[Patch, ...] = ()
    prefix: str = ""
    suffix: str = ""
    # The `namePrefix`/`nameSuffix` of the path's own kustomization, which Flux's replace (the
    # controller overwrites those fields of that file before building), set only for the objects
    # that kustomization built.
    own_prefix: str = ""
    own_suffix: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    unreadable: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, spec: Mapping[str, Any], substitute: Callable[[str], str] | None = None
    ) -> FluxSpec:
        """The transformers of `spec`; `substitute` is the post-build substitution, which
        reaches what a patch writes because Flux substitutes the built objects."""
        patches: list[Patch] = []
        unreadable: list[str] = []
        for i, entry in enumerate(spec.get("patches") or []):
            text = _map(entry).get("patch")
            if not isinstance(text, str):
                unreadable.append(f"patch {i + 1}: no `patch` text")
                continue
            if substitute is not None and "$" in text:
                text = substitute(text)
            try:
                docs = tuple(d for d in yaml.safe_load_all(text) if d is not None)
            except yaml.YAMLError as err:
                unreadable.append(f"patch {i + 1}: not YAML ({str(err).splitlines()[0]})")
                continue
            patches.append(Patch(i + 1, docs, _map(_map(entry).get("target"))))
        meta = _map(spec.get("commonMetadata"))
        return cls(
            images=tuple(i for i in spec.get("images") or [] if isinstance(i, Mapping)),
            patches=tuple(patches),
            prefix=str(spec.get("namePrefix") or ""),
            suffix=str(spec.get("nameSuffix") or ""),
            labels={str(k): str(v) for k, v in _map(meta.get("labels")).items()},
            annotations={str(k): str(v) for k, v in _map(meta.get("annotations")).items()},
            unreadable=tuple(unreadable),
        )

    @property
    def active(self) -> bool:
        return bool(self.images or self.patches or self.prefix or self.suffix)

    def apply(
        self, body: dict[str, Any], namespace: str, unapplied: dict[int, str]
    ) -> tuple[bool, set[str]]:
        """Patches, then prefix/suffix, then images, on `body` in place (`namespace`: the
        object's namespace before `targetNamespace`). Returns whether something changed and
        the placement fields of the pod spec (or `values` of a HelmRelease) a patch set;
        patches not applied go to `unapplied` (patch number → why)."""
        changed = False
        touched: set[str] = set()
        for patch in self.patches:
            if patch.json6902:
                if patch.matches(body, namespace):
                    changed |= _json6902(body, patch, unapplied, touched)
                continue
            for doc in patch.documents:
                if isinstance(doc, Mapping) and patch.matches(body, namespace, doc):
                    changed |= _strategic(body, patch, doc, unapplied, touched)
        meta = body.get("metadata")
        if (
            (self.prefix or self.suffix)
            and isinstance(meta, dict)
            and body.get("kind") not in _UNPREFIXED
            and isinstance(meta.get("name"), str)
        ):
            name = meta["name"]
            if self.prefix and self.own_prefix and name.startswith(self.own_prefix):
                name = name[len(self.own_prefix) :]
            if self.suffix and self.own_suffix and name.endswith(self.own_suffix):
                name = name[: -len(self.own_suffix)]
            meta["name"] = f"{self.prefix}{name}{self.suffix}"
            changed = True
        if self.images:
            changed |= apply_images(body, self.images)
        return changed, touched

    def mark(self, body: dict[str, Any]) -> bool:
        """`commonMetadata` on `body`'s metadata, in place; True when it changed something."""
        if not self.labels and not self.annotations:
            return False
        meta = dict(_map(body.get("metadata")))
        changed = False
        for key, marks in (("labels", self.labels), ("annotations", self.annotations)):
            if marks:
                current = dict(_map(meta.get(key)))
                merged = {**current, **marks}
                if merged != current:
                    meta[key] = merged
                    changed = True
        body["metadata"] = meta
        return changed


def _touched(body: Mapping[str, Any], path: Sequence[str | int], touched: set[str]) -> None:
    """Record the placement field that `path` (keys from the document root) sets, if any."""
    at = tuple(path)
    if body.get("kind") == "HelmRelease":
        # A release's placement is in its values, below any key (subcharts, controllers).
        in_values = at[:2] == ("spec", "values") and (
            len(at) == 2 or any(p in _PLACEMENT for p in at[2:])
        )
        if in_values or at in {(), ("spec",)}:
            touched.add("values")
        return
    pod = POD_SPEC_PATHS.get(str(body.get("kind")))
    if pod is None:
        return
    n = len(pod)
    if at[:n] == tuple(pod):
        if len(at) == n:
            touched.update(_PLACEMENT)
        elif at[n] in _PLACEMENT:
            touched.add(str(at[n]))
    elif at == tuple(pod[: len(at)]):
        touched.update(_PLACEMENT)  # an ancestor of the pod spec set whole


def _strategic(
    body: dict[str, Any],
    patch: Patch,
    doc: Mapping[str, Any],
    unapplied: dict[int, str],
    touched: set[str],
) -> bool:
    group, _ = _group(str(body.get("apiVersion", "")))
    keyed = group in _BUILTIN_GROUPS  # Kustomize merges other kinds as JSON merge patches
    fields = {k: v for k, v in doc.items() if k not in {"apiVersion", "kind"}}
    # Kustomize gives the patch each target's own name and namespace before merging it.
    meta = {k: v for k, v in _map(doc.get("metadata")).items() if k not in {"name", "namespace"}}
    fields.pop("metadata", None)
    if meta:
        fields["metadata"] = meta
    try:
        merged = _merge(body, fields, keyed=keyed)
    except _Unapplied as err:
        unapplied[patch.index] = str(err)
        return False
    _merged_paths(body, fields, (), touched)
    if merged == body:
        return False
    body.clear()
    body.update(merged)
    return True


def _merged_paths(
    body: Mapping[str, Any], patch: Any, path: tuple[str | int, ...], touched: set[str]
) -> None:
    """Record what a strategic merge patch sets: it merges mappings, so only the fields it
    reaches (never their ancestors) count: the leaves, and the fields of the pod spec."""
    if not isinstance(patch, Mapping):
        _touched(body, path, touched)
        return
    pod = POD_SPEC_PATHS.get(str(body.get("kind")), ())
    for key, value in patch.items():
        sub = (*path, str(key))
        if pod and len(sub) == len(pod) + 1:
            _touched(body, sub, touched)
        _merged_paths(body, value, sub, touched)


def _merge(base: Any, patch: Any, *, keyed: bool, key: str = "") -> Any:
    """A strategic merge (merge keys of `_MERGE_KEYS` when `keyed`) or a JSON merge patch."""
    if isinstance(patch, Mapping):
        if "$patch" in patch or any(str(k).startswith("$") for k in patch):
            raise _Unapplied("a `$patch`/`$` directive, which archfit does not apply")
        if not isinstance(base, Mapping):
            base = {}
        out = dict(copy.deepcopy(dict(base)))
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = _merge(out.get(k), v, keyed=keyed, key=str(k))
        return out
    if isinstance(patch, list) and keyed and key in _MERGE_KEYS and isinstance(base, list):
        merge_key = _MERGE_KEYS[key]
        out_list = copy.deepcopy(base)
        added: list[Any] = []
        for item in patch:
            if not isinstance(item, Mapping) or merge_key not in item:
                raise _Unapplied(f"an item of `{key}` without its merge key `{merge_key}`")
            found = next(
                (
                    i
                    for i, old in enumerate(out_list)
                    if isinstance(old, Mapping) and old.get(merge_key) == item[merge_key]
                ),
                None,
            )
            if found is None:
                added.append(_merge({}, item, keyed=keyed))
            else:
                out_list[found] = _merge(out_list[found], item, keyed=keyed)
        # Kustomize puts the items a patch adds before the ones the object had.
        return [*added, *out_list]
    return copy.deepcopy(patch)


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise _Unapplied(f"path {path!r} is not a JSON pointer")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _json6902(
    body: dict[str, Any], patch: Patch, unapplied: dict[int, str], touched: set[str]
) -> bool:
    trial = copy.deepcopy(body)
    paths: list[list[str | int]] = []
    try:
        for op in patch.documents[0]:
            if not isinstance(op, Mapping):
                raise _Unapplied("an operation that is not a mapping")
            name = op.get("op")
            if name not in {"add", "replace", "remove"}:
                raise _Unapplied(f"op {name!r} (archfit applies add, replace and remove)")
            paths.append(_apply_op(trial, str(name), _pointer(op.get("path")), op.get("value")))
    except _Unapplied as err:
        unapplied[patch.index] = str(err)
        return False
    for path in paths:
        _touched(body, path, touched)
    if trial == body:
        return False
    body.clear()
    body.update(trial)
    return True


def _apply_op(doc: Any, op: str, parts: list[str], value: Any) -> list[str | int]:
    """Apply one RFC 6902 op; the path walked (list indices as ints)."""
    node = doc
    walked: list[str | int] = []
    for part in parts[:-1]:
        node, step = _child(node, part)
        walked.append(step)
    last = parts[-1]
    if isinstance(node, MutableMapping):
        if op != "add" and last not in node:
            raise _Unapplied(f"{op} of /{'/'.join(parts)}, which does not exist")
        if op == "remove":
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
        return [*walked, last]
    if isinstance(node, list):
        if op == "add" and last == "-":
            node.append(copy.deepcopy(value))
            return [*walked, len(node) - 1]
        if not last.isdigit() or int(last) > len(node) or (op != "add" and int(last) == len(node)):
            raise _Unapplied(f"{op} of /{'/'.join(parts)}: no such list index")
        i = int(last)
        if op == "add":
            node.insert(i, copy.deepcopy(value))
        elif op == "replace":
            node[i] = copy.deepcopy(value)
        else:
            del node[i]
        return [*walked, i]
    raise _Unapplied(f"{op} of /{'/'.join(parts)}: its parent does not exist")


def _child(node: Any, part: str) -> tuple[Any, str | int]:
    if isinstance(node, Mapping) and part in node:
        return node[part], part
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)], int(part)
    raise _Unapplied(f"a path through {part!r}, which does not exist")
