"""Documents into the model: the pure half of reading a GitOps tree.

Flow: `archfit.sources.load_manifests` reads the files (`read_documents`: files → documents) and
calls `expand_documents` here: each source of `archfit.manifests.sources.SOURCES`
(raw YAML first, then renderers) → `build_manifest_set` (documents → workloads, claims, storage
classes, volumes, nodes). Every conversion error becomes an `invalid-manifest` finding naming
`file:line` and the field path; nothing in the input can make this raise.

Namespaces are defaulted as `kubectl apply` and kustomize would, without rendering:
`metadata.namespace`, else the `namespace:` of a `kustomization.yaml` that covers the file (in
its directory or the nearest parent with one, or naming it or its directory in `resources:`),
else `default`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from archfit.errors import InputError
from archfit.manifests.documents import Document, ReadResult
from archfit.manifests.entrypoints import find_entry_points, select
from archfit.manifests.sources import SOURCES, Source, SourceContext
from archfit.model.finding import Finding
from archfit.model.k8s import (
    node_from_k8s,
    pv_from_k8s,
    pvc_from_k8s,
    storage_class_from_k8s,
    workload_from_k8s,
)
from archfit.model.node import Node
from archfit.model.workload import (
    WORKLOAD_KINDS,
    PersistentVolume,
    PersistentVolumeClaim,
    SourceRef,
    StorageClass,
    Workload,
)

__all__ = [
    "DEFAULT_NAMESPACE",
    "ManifestSet",
    "build_manifest_set",
    "expand_documents",
    "kustomization_namespaces",
]

DEFAULT_NAMESPACE = "default"

# The API groups each modelled kind lives in ("" is the core group); a CRD that happens to be
# called `Deployment` in another group is kept as a plain document, not read as a workload.
_GROUPS: Mapping[str, frozenset[str]] = {
    "Pod": frozenset({""}),
    "Deployment": frozenset({"apps", "extensions"}),
    "ReplicaSet": frozenset({"apps", "extensions"}),
    "StatefulSet": frozenset({"apps"}),
    "DaemonSet": frozenset({"apps", "extensions"}),
    "Job": frozenset({"batch"}),
    "CronJob": frozenset({"batch"}),
    "PersistentVolumeClaim": frozenset({""}),
    "PersistentVolume": frozenset({""}),
    "Node": frozenset({""}),
    "StorageClass": frozenset({"storage.k8s.io"}),
}


@dataclass(frozen=True, slots=True)
class ManifestSet:
    """Everything read from the input, converted where archfit models it.

    `documents` holds every Kubernetes object that was modelled or kept (in input order),
    including kinds without a model value (Namespace, Service, PriorityClass, RuntimeClass,
    PodDisruptionBudget, HelmRelease, Kustomization, …); `of_kind` filters them. `findings` are
    problems with the input (`invalid-yaml`, `invalid-manifest`, and whatever sources report).
    """

    workloads: tuple[Workload, ...] = ()
    pvcs: tuple[PersistentVolumeClaim, ...] = ()
    storage_classes: tuple[StorageClass, ...] = ()
    persistent_volumes: tuple[PersistentVolume, ...] = ()
    nodes: tuple[Node, ...] = ()
    documents: tuple[Document, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    files_read: int = 0
    entry_points: tuple[str, ...] = ()

    def of_kind(self, *kinds: str) -> list[Document]:
        """Documents whose `kind` is one of `kinds`, in input order."""
        wanted = set(kinds)
        return [d for d in self.documents if d.kind in wanted]

    @property
    def namespaces(self) -> list[Document]:
        return self.of_kind("Namespace")

    @property
    def services(self) -> list[Document]:
        return self.of_kind("Service")

    @property
    def priority_classes(self) -> list[Document]:
        return self.of_kind("PriorityClass")

    @property
    def runtime_classes(self) -> list[Document]:
        return self.of_kind("RuntimeClass")

    @property
    def pod_disruption_budgets(self) -> list[Document]:
        return self.of_kind("PodDisruptionBudget")

    def workload(self, key: str) -> Workload | None:
        """The workload with `Kind/namespace/name` key, or None."""
        return next((w for w in self.workloads if w.key == key), None)


def _invalid(doc: Document, err: InputError | Exception) -> Finding:
    if isinstance(err, InputError):
        field_path = err.where or ""
        problem = err.message
    else:  # a shape the converter did not expect: still the input's fault, still reported
        field_path, problem = "", f"unexpected structure ({type(err).__name__}: {err})"
    what = f"{doc.kind}/{doc.name}" if doc.name else doc.kind
    where = f"{field_path}: " if field_path else ""
    # `${VAR}` is filled in later by Flux post-build substitution or envsubst: the file is a
    # template, not a mistake, so it is a warning that the object could not be analysed.
    templated = "${" in problem
    return Finding(
        id="invalid-manifest",
        severity="warning" if templated else "error",
        message=f"{doc.source}: {what}: {where}{problem}",
        subject=doc.source.file,
        source=doc.source,
        hint="the value uses a substitution variable; archfit left this object out"
        if templated
        else "fix the field named; this object was left out of the analysis",
        rule="manifests",
        details={"field": field_path} if field_path else {},
    )


def kustomization_namespaces(documents: Iterable[Document]) -> dict[PurePath, str]:
    """Directory or file → the namespace a `kustomization.yaml` gives it.

    A kustomization's `namespace:` applies to its own directory and to the directories and
    files its `resources:` (and legacy `bases:`) name, followed through kustomizations that set
    no namespace of their own. When two overlays give one base different namespaces the base
    gets none from them (which overlay is deployed is not known without rendering).
    """
    kustomizations: dict[PurePath, Mapping[str, Any]] = {}
    for doc in documents:
        if (
            doc.kind == "Kustomization"
            and doc.api_version.startswith("kustomize.config")
            and not doc.source.origin
        ):
            kustomizations[PurePath(doc.source.file).parent] = doc.body
    own: dict[PurePath, str] = {}
    for directory, body in kustomizations.items():
        ns = body.get("namespace")
        if isinstance(ns, str) and ns:
            own[directory] = ns
    inherited: dict[PurePath, set[str]] = {}
    for directory, ns in own.items():
        pending = [directory]
        visited = {directory}
        while pending:
            current = pending.pop()
            for target in _resource_paths(current, kustomizations.get(current, {})):
                if target in visited or target in own:
                    continue
                visited.add(target)
                inherited.setdefault(target, set()).add(ns)
                if target in kustomizations:
                    pending.append(target)
    out = {path: next(iter(names)) for path, names in inherited.items() if len(names) == 1}
    out.update(own)
    return out


def _resource_paths(directory: PurePath, body: Mapping[str, Any]) -> list[PurePath]:
    """Local paths named by a kustomization's `resources` and `bases`, normalised."""
    out = []
    for key in ("resources", "bases"):
        entries = body.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if (
                not isinstance(entry, str)
                or "://" in entry
                or entry.startswith(("git@", "github.com/"))
            ):
                continue
            out.append(PurePath(os.path.normpath(directory / entry)))
    return out


def _namespace_for(doc: Document, by_path: Mapping[PurePath, str]) -> str:
    if not by_path or doc.source.origin:
        return DEFAULT_NAMESPACE
    file = PurePath(doc.source.file)
    ns = by_path.get(file)
    if ns is not None:
        return ns
    for parent in file.parents:
        ns = by_path.get(parent)
        if ns is not None:
            return ns
    return DEFAULT_NAMESPACE


def _modelled(doc: Document) -> str | None:
    """The kind archfit converts this document as, or None to keep it as a plain document."""
    kind = doc.kind
    groups = _GROUPS.get(kind)
    if groups is None or doc.group not in groups:
        return None
    return kind


def build_manifest_set(
    documents: Sequence[Document],
    *,
    workloads: Sequence[Workload] = (),
    findings: Sequence[Finding] = (),
    notes: Sequence[str] = (),
    files_read: int = 0,
) -> ManifestSet:
    """Convert documents into model values; ready `workloads` are appended as they are."""
    by_dir = kustomization_namespaces(documents)
    out_workloads: list[Workload] = []
    pvcs: list[PersistentVolumeClaim] = []
    classes: list[StorageClass] = []
    volumes: list[PersistentVolume] = []
    nodes: list[Node] = []
    problems = list(findings)
    for doc in documents:
        kind = _modelled(doc)
        if kind is None:
            continue
        try:
            if kind in WORKLOAD_KINDS:
                ns = _namespace_for(doc, by_dir)
                out_workloads.append(workload_from_k8s(doc.body, doc.source, default_namespace=ns))
            elif kind == "PersistentVolumeClaim":
                ns = doc.namespace or _namespace_for(doc, by_dir)
                pvcs.append(pvc_from_k8s(doc.body, source=doc.source, namespace=ns))
            elif kind == "StorageClass":
                classes.append(storage_class_from_k8s(doc.body, source=doc.source))
            elif kind == "PersistentVolume":
                volumes.append(pv_from_k8s(doc.body))
            elif kind == "Node":
                nodes.append(node_from_k8s(doc.body))
        except InputError as err:
            problems.append(_invalid(doc, err))
        except (TypeError, AttributeError, ValueError, KeyError) as err:
            problems.append(_invalid(doc, err))
    out_workloads.extend(workloads)
    return ManifestSet(
        workloads=tuple(out_workloads),
        pvcs=tuple(pvcs),
        storage_classes=tuple(classes),
        persistent_volumes=tuple(volumes),
        nodes=tuple(nodes),
        documents=tuple(documents),
        findings=tuple(problems),
        notes=tuple(notes),
        files_read=files_read,
    )


def expand_documents(
    read: ReadResult,
    context: SourceContext,
    *,
    sources: Sequence[Source] | None = None,
    entry: str | None = None,
) -> ManifestSet:
    """Run `sources` (default: the registry `archfit.manifests.sources.SOURCES`) over the
    documents `read` from `context.roots` and model the result; never raises for their content.

    Pure given a pure `context`: sources reach files and renderers only through it (its `read`
    and `renderers`), which `archfit.sources.load_manifests` fills with the real ones. When the
    input has entry points (see `archfit.manifests.entrypoints`), workloads are modelled once
    per entry point reaching them, or only for `entry`; an unknown `entry` raises `InputError`.
    """
    seen: list[Document] = list(read.documents)
    seen_ids = {id(d) for d in seen}
    emitted: list[Document] = []
    ready: list[Workload] = []
    superseded: set[SourceRef] = set()
    findings: list[Finding] = []
    withdrawn: set[str] = set()
    notes: list[str] = []
    for source in SOURCES if sources is None else sources:
        # A source sees what the cluster would get so far: documents an earlier source
        # superseded (a base an overlay patched, a component Flux instantiated) are hidden.
        visible = (
            tuple(d for d in seen if d.source not in superseded) if superseded else tuple(seen)
        )
        output = source.expand(visible, context)
        for doc in output.documents:
            emitted.append(doc)
            if id(doc) not in seen_ids:
                seen_ids.add(id(doc))
                seen.append(doc)
        ready.extend(output.workloads)
        superseded.update(output.superseded)
        withdrawn.update(output.withdrawn)
        findings.extend(output.findings)
        notes.extend(f"{source.name}: {note}" for note in output.notes)
    findings[:0] = [p for p in read.problems if not _withdrawn(p, withdrawn)]
    kept = _dedupe(d for d in emitted if d.source not in superseded)
    built = build_manifest_set(
        kept, workloads=ready, findings=findings, notes=notes, files_read=read.files_read
    )
    return _by_entry_point(built, seen, context, entry)


def _withdrawn(problem: Finding, files: set[str]) -> bool:
    """Whether a source re-read the file of this `invalid-yaml` problem (and said what it
    found in its own findings)."""
    ref = problem.source
    return (
        bool(files)
        and problem.id == "invalid-yaml"
        and ref is not None
        and os.path.normpath(ref.file) in files
    )


def _by_entry_point(
    loaded: ManifestSet, seen: Sequence[Document], context: SourceContext, entry: str | None
) -> ManifestSet:
    points = find_entry_points(seen, context.roots, context.files)
    if not points and entry is None:
        return loaded
    workloads, findings = select(loaded.workloads, loaded.findings, points, entry, context.files)
    return dataclasses.replace(
        loaded,
        workloads=tuple(workloads),
        findings=tuple(findings),
        entry_points=tuple(p.name for p in points),
    )


def _dedupe(documents: Iterable[Document]) -> list[Document]:
    """Drop repeats of the very same document object (two sources emitting it unchanged)."""
    out: list[Document] = []
    ids: set[int] = set()
    for doc in documents:
        if id(doc) not in ids:
            ids.add(id(doc))
            out.append(doc)
    return out
