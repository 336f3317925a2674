"""Flux `Kustomization` (kustomize.toolkit.fluxcd.io): what it does to the objects of its path.

A Flux Kustomization applies the directory `spec.path` of its Git source. archfit finds that
directory below the Kustomization's own file or one of its parents (the repository root is not
known) and, for every object read from it (directly, or through a Kustomize overlay there):

- sets `metadata.namespace` to `spec.targetNamespace` when given (as Flux does for namespaced
  objects);
- applies `spec.postBuild.substitute`: `${VAR}`, `${VAR:=default}` and `${VAR:-default}` in string
  values, unless the object is annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`
  (`substituteFrom` ConfigMaps/Secrets are not read);
- instantiates `spec.components` (Kustomize components, often templates such as a backup claim
  named `${APP}`) once per Kustomization that uses them; the component's own documents, which are
  templates, are superseded.

Changed objects are emitted as copies (`origin` names the Flux Kustomization) that supersede the
documents they came from.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.manifests.documents import Document
from archfit.manifests.sources._common import CLUSTER_SCOPED_KINDS, Namespaces
from archfit.manifests.sources.interface import FileTree, SourceContext, SourceOutput
from archfit.model.workload import SourceRef

__all__ = ["FluxKustomizationSource", "substitute"]

GROUP = "kustomize.toolkit.fluxcd.io"
DISABLED = "kustomize.toolkit.fluxcd.io/substitute"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def substitute(value: Any, variables: Mapping[str, str]) -> Any:
    """`value` with `${VAR}` forms replaced in every string (Flux's envsubst rules: `:=`/`:-`
    give a default when the variable is unset or empty; an unknown variable without a default is
    left as written)."""
    if isinstance(value, str):
        if "${" not in value:
            return value

        def one(match: re.Match[str]) -> str:
            name, op, default = match.group(1), match.group(2), match.group(3)
            found = variables.get(name)
            if found:
                return found
            if op is not None:
                return default or ""
            return match.group(0) if found is None else found

        return _VAR.sub(one, value)
    # Containers are rebuilt only along paths that change, so that an object without variables
    # comes back as the very same object (and is not copied).
    if isinstance(value, Mapping):
        items = {k: substitute(v, variables) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if isinstance(value, list):
        out = [substitute(v, variables) for v in value]
        return value if all(a is b for a, b in zip(out, value, strict=True)) else out
    return value


def _resolve(files: FileTree, relative: str, anchor: Path) -> Path | None:
    rel = relative.strip().removeprefix("./")
    for candidate in (anchor, *anchor.parents):
        target = candidate / rel if rel else candidate
        if files.is_dir(target):
            return target
    return None


def _below(keys: Sequence[str], directory: str) -> list[str]:
    """The sorted `keys` (normalised directories) equal to `directory` or below it."""
    out = []
    start = bisect.bisect_left(keys, directory)
    prefix = directory.rstrip(os.sep) + os.sep
    for key in keys[start:]:
        if key == directory or key.startswith(prefix):
            out.append(key)
        elif not key.startswith(directory):
            break
    return out


@dataclass(frozen=True, slots=True)
class FluxKustomizationSource:
    name: str = "flux-kustomization"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        flux = [d for d in documents if d.kind == "Kustomization" and d.group == GROUP]
        if not flux:
            return SourceOutput()
        namespaces = Namespaces(documents)
        emitted: list[Document] = []
        superseded: set[SourceRef] = set()
        notes: list[str] = []
        by_dir: dict[str, list[Document]] = {}
        by_overlay: dict[str, list[Document]] = {}
        for doc in documents:
            if doc.kind in {"Kustomization", "Component"}:
                continue
            origin = doc.source.origin
            if origin and not origin.startswith("kustomize "):
                continue
            by_dir.setdefault(os.path.dirname(os.path.normpath(doc.source.file)), []).append(doc)
            if origin:
                overlay = os.path.normpath(origin[len("kustomize ") :].split(" (", 1)[0])
                by_overlay.setdefault(overlay, []).append(doc)
        dirs = sorted(by_dir)
        overlays = sorted(by_overlay)
        for ks in flux:
            spec = _map(ks.body.get("spec"))
            path = spec.get("path")
            if not isinstance(path, str):
                continue
            directory = _resolve(context.files, path, Path(ks.source.file).parent)
            if directory is None:
                continue
            target_ns = spec.get("targetNamespace")
            target_ns = target_ns if isinstance(target_ns, str) and target_ns else None
            variables = {
                str(k): str(v)
                for k, v in _map(_map(spec.get("postBuild")).get("substitute")).items()
                if v is not None
            }
            label = f"Flux Kustomization {namespaces.of(ks)}/{ks.name}"
            base = os.path.normpath(directory)
            members: list[Document] = []
            seen: set[int] = set()
            for index, keys in ((by_dir, dirs), (by_overlay, overlays)):
                for key in _below(keys, base):
                    for doc in index[key]:
                        if id(doc) not in seen:
                            seen.add(id(doc))
                            members.append(doc)
            for component in spec.get("components") or []:
                if not isinstance(component, str):
                    continue
                comp_dir = os.path.normpath(directory / component)
                docs = [
                    d
                    for d in _component_docs(comp_dir, by_dir, context)
                    if d.kind not in {"Kustomization", "Component"} and not d.source.origin
                ]
                superseded.update(d.source for d in docs)
                members.extend(docs)
                if not docs:
                    notes.append(f"{label}: component {component} not found below {directory}")
            for doc in members:
                copy_ = _instantiate(doc, target_ns, variables, label, namespaces)
                if copy_ is not None:
                    emitted.append(copy_)
                    superseded.add(doc.source)
        return SourceOutput(
            documents=tuple(emitted), superseded=frozenset(superseded), notes=tuple(notes)
        )


def _component_docs(
    directory: str, by_dir: Mapping[str, list[Document]], context: SourceContext
) -> list[Document]:
    docs = [d for d in by_dir.get(directory, []) if not d.source.origin]
    if docs or context.read is None or not context.files.is_dir(Path(directory)):
        return docs
    return list(context.read([Path(directory)]).documents)


def _instantiate(
    doc: Document,
    namespace: str | None,
    variables: Mapping[str, str],
    label: str,
    namespaces: Namespaces,
) -> Document | None:
    body: dict[str, Any] = dict(doc.body)
    meta = dict(_map(body.get("metadata")))
    changed = False
    if _map(meta.get("annotations")).get(DISABLED) != "disabled":
        substituted = substitute(doc.body, variables)
        if substituted is not doc.body:
            body, changed = dict(substituted), True
            meta = dict(_map(body.get("metadata")))
    if namespace and doc.kind not in CLUSTER_SCOPED_KINDS and meta.get("namespace") != namespace:
        meta["namespace"] = namespace
        changed = True
    if not changed:
        return None
    meta.setdefault("namespace", namespaces.of(doc))
    body["metadata"] = meta
    origin = f"{doc.source.origin} ({label})" if doc.source.origin else label
    return Document(body, SourceRef(doc.source.file, doc.source.line, origin), doc.index)
