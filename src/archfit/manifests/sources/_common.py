"""Small lookups shared by the sources: namespaces defaulted from kustomizations, the text of
files (cached, for line lookups), objects by kind/namespace/name, and local chart directories."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

import yaml

from archfit.manifests.documents import Document
from archfit.manifests.sources.interface import FileTree

__all__ = [
    "CLUSTER_SCOPED_KINDS",
    "DEFAULT_NAMESPACE",
    "ORIGIN_ANNOTATION",
    "Namespaces",
    "chart_defaults",
    "effective",
    "file_text",
    "find_local_dir",
    "flux_labels",
    "index_objects",
    "without_origin",
    "yaml_mapping",
]

DEFAULT_NAMESPACE = "default"
# Kinds without a namespace: a namespace given from outside the object (Flux `targetNamespace`,
# an Argo CD destination namespace) leaves them alone.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "Node",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ClusterIssuer",
        "ClusterSecretStore",
    }
)


class Namespaces:
    """`metadata.namespace`, else the `namespace:` of the nearest `kustomization.yaml` above the
    document's file, else `default` (what `kubectl apply -k` and Flux would use)."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self._by_dir: dict[str, str] = {}
        self._memo: dict[str, str] = {}
        for doc in documents:
            if doc.kind != "Kustomization" or not doc.api_version.startswith("kustomize.config"):
                continue
            ns = doc.body.get("namespace")
            if isinstance(ns, str) and ns and not doc.source.origin:
                self._by_dir[os.path.dirname(os.path.normpath(doc.source.file))] = ns

    def of(self, doc: Document) -> str:
        if doc.namespace:
            return doc.namespace
        return self._in(os.path.dirname(os.path.normpath(doc.source.file)))

    def _in(self, directory: str) -> str:
        found = self._memo.get(directory)
        if found is None:
            found = self._by_dir.get(directory)
            if found is None:
                parent = os.path.dirname(directory)
                found = DEFAULT_NAMESPACE if parent == directory else self._in(parent)
            self._memo[directory] = found
        return found


def index_objects(
    documents: Iterable[Document], kinds: Sequence[str], namespaces: Namespaces
) -> dict[tuple[str, str, str], Document]:
    """(kind, namespace, name) → document, for the kinds asked (first one wins)."""
    wanted = set(kinds)
    out: dict[tuple[str, str, str], Document] = {}
    for doc in documents:
        if doc.kind in wanted and doc.name:
            out.setdefault((doc.kind, namespaces.of(doc), doc.name), doc)
    return out


def file_text(files: FileTree, path: str) -> str | None:
    """The text of a file below the inputs (not cached: files change between runs of `fix`)."""
    return files.read_text(Path(path))


def find_local_dir(files: FileTree, relative: str, anchors: Sequence[Path]) -> Path | None:
    """A chart `relative` (a chart path in a Git source: a directory holding a `Chart.yaml`, or a
    packaged `.tgz`) below one of `anchors` or their parents (the repository root is not known,
    the paths given may be inside it)."""
    return _find_in_repository(
        files,
        relative,
        anchors,
        lambda target: (
            files.is_file(target / "Chart.yaml")
            or (target.suffix == ".tgz" and files.is_file(target))
        ),
    )


def find_local_file(files: FileTree, relative: str, anchors: Sequence[Path]) -> Path | None:
    """A file `relative` to the repository root (an Argo CD `$values/…` path), looked for below
    each of `anchors` and their parents, as the root is not known."""
    return _find_in_repository(files, relative, anchors, files.is_file)


def _find_in_repository(
    files: FileTree, relative: str, anchors: Sequence[Path], accept: Callable[[Path], bool]
) -> Path | None:
    """The first `<dir>/relative` that `accept`s, `<dir>` being each anchor (a file's directory)
    and then its parents; None for an absolute path or one that climbs out with `..`."""
    rel = relative.strip().removeprefix("./")
    if not rel or rel.startswith("/") or ".." in PurePath(rel).parts:
        return None
    seen: set[Path] = set()
    for anchor in anchors:
        base = files.resolve(anchor)
        if files.is_file(base):
            base = base.parent
        for candidate in (base, *base.parents):
            if candidate in seen:
                continue
            seen.add(candidate)
            if accept(candidate / rel):
                return candidate / rel
    return None


def yaml_mapping(files: FileTree, path: Path) -> Mapping[str, Any]:
    """The mapping a YAML file holds (empty when the file is absent, unreadable, not YAML or
    not a mapping)."""
    text = file_text(files, str(path))
    if not text:
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, Mapping) else {}


def chart_defaults(files: FileTree, chart_dir: Path | None) -> Mapping[str, Any]:
    """The chart's own `values.yaml` (empty when absent or unreadable)."""
    if chart_dir is None:
        return {}
    return yaml_mapping(files, chart_dir / "values.yaml")


def effective(documents: Sequence[Document]) -> list[Document]:
    """The documents as the cluster gets them: a raw document that a Kustomize overlay
    re-emitted (same file and line, `origin` starting with `kustomize `) gives way to the
    overlay's copies."""
    copied = {
        (d.source.file, d.source.line)
        for d in documents
        if d.source.origin.startswith("kustomize ")
    }
    return [d for d in documents if d.source.origin or (d.source.file, d.source.line) not in copied]


ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


def _mapping_of(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def without_origin(body: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The object without the origin annotation archfit asked for, and the origin's path."""
    meta = dict(_mapping_of(body.get("metadata")))
    annotations = dict(_mapping_of(meta.get("annotations")))
    origin = annotations.pop(ORIGIN_ANNOTATION, None)
    if origin is None:
        return dict(body), None
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    path = None
    for line in str(origin).splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "path":
            path = value.strip()
    return {**body, "metadata": meta}, path


FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"


def flux_labels(
    documents: Iterable[Document], namespaces: Namespaces
) -> dict[tuple[str, int], str]:
    """The label of each Flux Kustomization, by the file and line it was read from:
    `Flux Kustomization <namespace>/<name>`, with `@<file>` added where several share it (the
    `apps` Kustomization of every cluster), so that the copies each one makes stay its own. The
    entry points and the Flux source name deployers with it, so they always agree."""
    found: dict[tuple[str, int], Document] = {}
    for doc in documents:
        if doc.kind == "Kustomization" and doc.group == FLUX_KUSTOMIZE_GROUP:
            key = (doc.source.file, doc.source.line)
            if key not in found or not doc.source.origin:
                found[key] = doc
    base = {k: f"Flux Kustomization {namespaces.of(d)}/{d.name}" for k, d in found.items()}
    counts: dict[str, int] = {}
    for label in base.values():
        counts[label] = counts.get(label, 0) + 1
    return {k: label if counts[label] == 1 else f"{label}@{k[0]}" for k, label in base.items()}
