"""Flux `Kustomization` (kustomize.toolkit.fluxcd.io): what it does to the objects of its path.

A Flux Kustomization applies the directory `spec.path` of its Git source. archfit finds that
directory below the Kustomization's own file or one of its parents (the repository root is not
known) and, for every object read from it (directly, or through a Kustomize overlay there):

- sets `metadata.namespace` to `spec.targetNamespace` when given (as Flux does for namespaced
  objects);
- applies post-build substitution (`spec.postBuild.substitute` and `substituteFrom` ConfigMaps
  and Secrets found in the repository) to each object's YAML text as kustomize-controller does
  (`fluxvars` reads the variables, `envsubst` is drone/envsubst's grammar, `fluxsubst` applies
  it); a generator's input file (a values file a `configMapGenerator` embeds, which Flux
  substitutes inside the ConfigMap) that is valid YAML only once substituted is not reported
  invalid;
- applies the Kustomization's own `spec.patches`, `namePrefix`/`nameSuffix`, `images` and
  `commonMetadata` as kustomize-controller does (`fluxpatches`; its patches reach the Flux
  Kustomizations of its path too, before they are read); a patch it cannot apply is a
  `patches-not-applied` finding, and the placement fields a patch sets are marked so that `fix`
  does not write what the patch overrides;
- instantiates `spec.components` (Kustomize components, often templates such as a backup claim
  named `${APP}`) once per Kustomization that uses them; the component's own documents, which are
  templates, are superseded.

Changed objects are emitted as copies (`origin` names the Flux Kustomization) that supersede the
documents they came from.
"""

from __future__ import annotations

import bisect
import copy
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from archfit.manifests.documents import Document
from archfit.manifests.helm.release import FLUX_PATCHED
from archfit.manifests.sources._common import CLUSTER_SCOPED_KINDS, Namespaces, flux_labels
from archfit.manifests.sources.fluxpatches import FluxSpec
from archfit.manifests.sources.fluxsubst import Substitution, TextCache, generator_inputs
from archfit.manifests.sources.fluxvars import read_variables
from archfit.manifests.sources.interface import FileTree, SourceContext, SourceOutput
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef

__all__ = ["FluxKustomizationSource"]

GROUP = "kustomize.toolkit.fluxcd.io"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


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
        labels = flux_labels(documents, namespaces)
        emitted: list[Document] = []
        superseded: set[SourceRef] = set()
        notes: list[str] = []
        findings: list[Finding] = []
        cache = TextCache(context.files)
        # Files not valid YAML as written: the Kustomizations that build each one, and how
        # many of them substitute it (its first read's problems go only when all do).
        rereads: dict[str, list[bool]] = {}
        kustomize_docs = [
            d
            for d in documents
            if d.kind == "Kustomization"
            and d.api_version.startswith("kustomize.config")
            and not d.source.origin
        ]
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
        flux, early = _patched_children(flux, context.files)
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
            label = labels[(ks.source.file, ks.source.line)]
            variables = read_variables(ks, documents, namespaces)
            subst = (
                Substitution(variables, label, cache)
                if variables.active and not variables.invalid
                else None
            )
            fspec = FluxSpec.of(spec, _substituting(subst, ks))
            unapplied: dict[int, str] = dict(early.get((ks.source.file, ks.source.line), {}))
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
            copied: set[SourceRef] = set()
            unchanged: list[Document] = []
            own = _own_affixes(kustomize_docs, base) if fspec.prefix or fspec.suffix else None
            for doc in members:
                body = subst.document(doc) if subst is not None else None
                doc_spec = fspec
                if own is not None and _built_in(doc, base):
                    doc_spec = replace(fspec, own_prefix=own[0], own_suffix=own[1])
                copy_ = _instantiate(
                    doc, target_ns, body, label, namespaces, fspec=doc_spec, unapplied=unapplied
                )
                if copy_ is not None:
                    emitted.append(copy_)
                    copied.add(doc.source)
                else:
                    unchanged.append(doc)
            # Objects of one generator share their source: once one of them is copied (and
            # its source superseded), the others are copied too, or they would be hidden.
            for doc in unchanged:
                if doc.source in copied:
                    copy_ = _instantiate(
                        doc, None, None, label, namespaces, fspec=fspec, force=True
                    )
                    emitted.extend([copy_] if copy_ is not None else [])
            superseded.update(copied)
            dirs_built = [base] + [
                os.path.normpath(directory / c)
                for c in spec.get("components") or []
                if isinstance(c, str)
            ]
            for file in generator_inputs(kustomize_docs, dirs_built):
                if not Substitution.invalid_as_written(cache, file):
                    continue
                rereads.setdefault(file, []).append(subst is not None)
                if subst is not None:
                    subst.file(file)
            findings.extend(_unapplied(ks, label, fspec, unapplied))
            if subst is not None or variables.invalid:
                findings.extend((subst or Substitution(variables, label, cache)).report(ks))
        withdrawn = frozenset(f for f, subs in rereads.items() if all(subs))
        return SourceOutput(
            documents=tuple(emitted),
            superseded=frozenset(superseded),
            notes=tuple(notes),
            findings=tuple(findings),
            withdrawn=withdrawn,
        )


def _component_docs(
    directory: str, by_dir: Mapping[str, list[Document]], context: SourceContext
) -> list[Document]:
    docs = [d for d in by_dir.get(directory, []) if not d.source.origin]
    if docs or context.read is None or not context.files.is_dir(Path(directory)):
        return docs
    return list(context.read([Path(directory)]).documents)


def _substituting(subst: Substitution | None, ks: Document) -> Callable[[str], str] | None:
    if subst is None:
        return None

    def substitute(text: str) -> str:
        result = subst.expand(text, ks.source, None)
        return text if result is None else result.text

    return substitute


def _patched_children(
    flux: list[Document], files: FileTree
) -> tuple[list[Document], dict[tuple[str, int], dict[int, str]]]:
    """The Flux Kustomizations with the `spec.patches` of the Flux Kustomizations whose path
    holds them applied (a parent often patches every child, e.g. to add `substituteFrom`), in
    the order given (a parent listed before its children passes its patches on); and the
    parents' patches that could not be applied, by parent."""
    out = list(flux)
    failed: dict[tuple[str, int], dict[int, str]] = {}
    for j in range(len(out)):
        parent = out[j]  # as its own parent patched it
        spec = _map(parent.body.get("spec"))
        if not spec.get("patches") or not isinstance(spec.get("path"), str):
            continue
        directory = _resolve(files, spec["path"], Path(parent.source.file).parent)
        if directory is None:
            continue
        fspec = FluxSpec(patches=FluxSpec.of(spec).patches)
        base = os.path.normpath(directory)
        unapplied = failed.setdefault((parent.source.file, parent.source.line), {})
        for i, child in enumerate(out):
            home = os.path.normpath(child.source.file)
            if i == j or not home.startswith(base.rstrip(os.sep) + os.sep):
                continue
            body = copy.deepcopy(dict(child.body))
            written = str(_map(body.get("metadata")).get("namespace") or "default")
            changed, _ = fspec.apply(body, written, unapplied)
            if changed:
                out[i] = Document(body, child.source, child.index)
    return out, failed


def _unapplied(
    ks: Document, label: str, fspec: FluxSpec, unapplied: Mapping[int, str]
) -> list[Finding]:
    reasons = [*fspec.unreadable, *(f"patch {i}: {why}" for i, why in sorted(unapplied.items()))]
    return [
        Finding(
            "patches-not-applied",
            "warning",
            f"{label}: spec.patches not applied ({reason}); archfit read the objects of "
            "its path without that patch",
            source=ks.source,
            hint="write the patch as a strategic merge patch or a JSON6902 add/replace/remove "
            "archfit applies, or check it against the objects of the path",
            rule="kustomize",
        )
        for reason in reasons
    ]


def _built_in(doc: Document, directory: str) -> bool:
    """Whether `doc` was built by the kustomization in `directory` (its origin names it)."""
    origin = doc.source.origin
    if not origin.startswith("kustomize "):
        return False
    return os.path.normpath(origin[len("kustomize ") :].split(" (", 1)[0]) == directory


def _own_affixes(kustomizations: Sequence[Document], directory: str) -> tuple[str, str]:
    """The `namePrefix` and `nameSuffix` of the kustomization in `directory` (Flux replaces
    them with its own when it sets those), from the kustomization files already read."""
    for doc in kustomizations:
        if os.path.dirname(os.path.normpath(doc.source.file)) == directory:
            prefix, suffix = doc.body.get("namePrefix"), doc.body.get("nameSuffix")
            return (
                prefix if isinstance(prefix, str) else "",
                suffix if isinstance(suffix, str) else "",
            )
    return "", ""


def _instantiate(
    doc: Document,
    namespace: str | None,
    substituted: Mapping[str, Any] | None,
    label: str,
    namespaces: Namespaces,
    *,
    fspec: FluxSpec | None = None,
    unapplied: dict[int, str] | None = None,
    force: bool = False,
) -> Document | None:
    body: dict[str, Any] = dict(doc.body)
    changed = False
    if substituted is not None:
        body, changed = dict(substituted), True
    if fspec is not None and (fspec.active or fspec.labels or fspec.annotations):
        # Flux's own transformers run in the build, before `targetNamespace` is set on the
        # objects (patch targets match the namespace as written); commonMetadata after it.
        body = copy.deepcopy(body)
        # Kustomize matches a target's namespace against `default` for an object without one.
        written_ns = str(_map(body.get("metadata")).get("namespace") or "")
        if not written_ns and doc.kind not in CLUSTER_SCOPED_KINDS:
            written_ns = "default"
        did, touched = fspec.apply(body, written_ns, {} if unapplied is None else unapplied)
        changed = fspec.mark(body) or did or changed
        if touched:
            meta = dict(_map(body.get("metadata")))
            meta["annotations"] = {
                **_map(meta.get("annotations")),
                FLUX_PATCHED: f"{label}: {','.join(sorted(touched))}",
            }
            body["metadata"] = meta
    meta = dict(_map(body.get("metadata")))
    if namespace and doc.kind not in CLUSTER_SCOPED_KINDS and meta.get("namespace") != namespace:
        meta["namespace"] = namespace
        changed = True
    if not changed and not force:
        return None
    meta.setdefault("namespace", namespaces.of(doc))
    body["metadata"] = meta
    origin = f"{doc.source.origin} ({label})" if doc.source.origin else label
    return Document(body, SourceRef(doc.source.file, doc.source.line, origin), doc.index)
