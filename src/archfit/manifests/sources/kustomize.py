"""Kustomize trees: overlays applied to their bases, and generated ConfigMaps/Secrets.

For every kustomization that no other kustomization in the input includes (a top overlay):

- when its tree uses transformers archfit does not apply itself (patches, replacements,
  components, name prefixes/suffixes, replicas) and the context has a Kustomize renderer
  (`archfit.sources.renderers`: `kustomize build`, or `kubectl kustomize`), the overlay is
  rendered and each rendered object is traced back to the file and line it came from, by
  Kustomize's own origin annotations (asked for in a temporary kustomization, never in the
  user's files) and then by exact name allowing the tree's prefixes and suffixes;
- otherwise the listed `resources` are read recursively (bases outside the paths given too), the
  `namespace:` and `images:` transformers are applied, and a `patches-not-applied` finding says
  which patches were not applied; a renderer that fails gives `render-failed` with its first
  error line. Remote bases (URLs) are never fetched (`remote-base-not-fetched`): reading a
  repository does no network I/O.

Objects an overlay changes are emitted as copies (`origin` = `kustomize <overlay dir>`) that
supersede the raw documents. `configMapGenerator`/`secretGenerator` entries become ConfigMaps and
Secrets (without the hash suffix) so that Flux `valuesFrom` can find chart values kept in files.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from archfit.manifests.documents import KUSTOMIZATION_FILES, Document, read_text, split_documents
from archfit.manifests.renderers import KustomizeRenderer
from archfit.manifests.sources._common import Namespaces, file_text, without_origin
from archfit.manifests.sources.interface import FileTree, NoFiles, SourceContext, SourceOutput
from archfit.manifests.sources.kustomization_fields import kustomization_findings, require_shape
from archfit.manifests.sources.kustomize_images import apply_images
from archfit.model.finding import Finding
from archfit.model.k8s import POD_SPEC_PATHS
from archfit.model.workload import SourceRef

__all__ = ["KustomizeSource"]

_RENDER_KEYS = (
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "components",
    "namePrefix",
    "nameSuffix",
    "replicas",
)
# Rendering costs a process per overlay; it is worth it only when the tree holds objects whose
# placement archfit reads.
_RELEVANT_KINDS = frozenset(POD_SPEC_PATHS) | {"HelmRelease", "Application", "Service", "Function"}
_PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902", "replacements")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "gitlab.com/"))


@dataclass
class _Tree:
    """What a kustomization and everything it includes hold."""

    documents: list[Document] = field(default_factory=list)
    needs_render: bool = False
    remote: list[str] = field(default_factory=list)
    patched: list[str] = field(default_factory=list)
    images: list[Mapping[str, Any]] = field(default_factory=list)
    # Patch files are inputs of the overlay, not objects of the cluster.
    patch_files: list[Document] = field(default_factory=list)
    # namePrefix/nameSuffix values, outermost first.
    prefixes: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KustomizeSource:
    name: str = "kustomize"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        kdocs = {
            PurePath(d.source.file).parent: d
            for d in documents
            if d.kind in {"Kustomization", "Component"}
            and d.api_version.startswith("kustomize.config")
            and not d.source.origin
        }
        if not kdocs:
            return SourceOutput()
        # Without a file tree (documents given as text) nothing can be said to be missing.
        files = None if isinstance(context.files, NoFiles) else context.files
        findings: list[Finding] = list(kustomization_findings(kdocs.values(), files))
        namespaces = Namespaces(documents)
        given = {id(d) for d in documents}
        by_file: dict[str, list[Document]] = {}
        for doc in documents:
            if not doc.source.origin:
                by_file.setdefault(os.path.normpath(doc.source.file), []).append(doc)
        emitted: list[Document] = []
        superseded: set[SourceRef] = set()
        notes: list[str] = []
        for kdoc in kdocs.values():
            emitted.extend(_generated(kdoc, namespaces, context.files))
        included = {
            os.path.normpath(Path(directory) / entry)
            for directory, kdoc in kdocs.items()
            for key in ("resources", "bases", "components")
            for entry in _entries(kdoc.body.get(key))
            if not _is_remote(entry)
        }
        for directory, kdoc in kdocs.items():
            if kdoc.kind != "Kustomization" or os.path.normpath(directory) in included:
                continue
            tree = _Tree()
            _walk(Path(directory), kdoc, by_file, context, tree=tree, seen=set())
            for url in tree.remote:
                findings.append(
                    Finding(
                        "remote-base-not-fetched",
                        "warning",
                        f"remote resource {url} not fetched (reading a repository does no "
                        "network I/O): archfit read the overlay without it",
                        source=kdoc.source,
                        hint="vendor the remote base into the repository to have it checked",
                        rule="kustomize",
                    )
                )
            ns = kdoc.body.get("namespace")
            overlay_ns = ns if isinstance(ns, str) and ns else None
            superseded.update(d.source for d in tree.patch_files)
            relevant = any(d.kind in _RELEVANT_KINDS for d in tree.documents)
            wanted = tree.needs_render and relevant and not tree.remote
            renderer = context.renderers.kustomize if wanted else None
            rendered, tool, error = (
                _render(renderer, Path(directory), tree, context.files)
                if renderer
                else (None, "", None)
            )
            if rendered is not None:
                emitted.extend(rendered)
                superseded.update(d.source for d in tree.documents)
                continue
            if error:
                findings.append(
                    Finding(
                        "render-failed",
                        "warning",
                        f"`{tool}` failed: {error}; archfit read the "
                        "resources unrendered instead (namespace and images applied, "
                        "patches, prefixes and replicas not)",
                        source=kdoc.source,
                        hint="fix the overlay so that it renders",
                        rule="kustomize",
                    )
                )
            elif tree.patched and relevant:
                findings.append(
                    Finding(
                        "patches-not-applied",
                        "warning",
                        f"patches not applied ({', '.join(sorted(set(tree.patched)))}): no "
                        "kustomize or kubectl to render the overlay, so archfit read its "
                        "resources without them",
                        source=kdoc.source,
                        hint="install kustomize (or kubectl) to render this overlay exactly",
                        rule="kustomize",
                    )
                )
            for doc in tree.documents:
                copy_ = _transformed(
                    doc,
                    overlay_ns,
                    tree.images,
                    namespaces,
                    str(directory),
                    # A base outside the paths given was read only here: always emit it.
                    force=id(doc) not in given,
                )
                if copy_ is not None:
                    emitted.append(copy_)
                    superseded.add(doc.source)
        return SourceOutput(
            documents=tuple(emitted),
            superseded=frozenset(superseded),
            notes=tuple(notes),
            findings=tuple(findings),
        )


def _entries(value: Any) -> list[str]:
    out = []
    for item in value or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("path"), str):
            out.append(item["path"])
    return out


def _kustomization_in(directory: Path, context: SourceContext) -> Document | None:
    for name in sorted(KUSTOMIZATION_FILES):
        path = directory / name
        if context.read is not None and context.files.is_file(path):
            result = context.read([path])
            for doc in result.documents:
                if doc.kind in {"Kustomization", "Component"}:
                    return doc
    return None


def _docs_of(
    path: Path, by_file: Mapping[str, list[Document]], context: SourceContext
) -> list[Document]:
    key = os.path.normpath(path)
    if key in by_file:
        return by_file[key]
    if context.read is None or not context.files.is_file(path):
        return []
    return list(context.read([path]).documents)


def _walk(
    directory: Path,
    kdoc: Document,
    by_file: Mapping[str, list[Document]],
    context: SourceContext,
    *,
    tree: _Tree,
    seen: set[Path],
) -> None:
    key = Path(os.path.normpath(directory))
    if key in seen:
        return
    seen.add(key)
    require_shape(kdoc)
    body = kdoc.body
    if any(body.get(k) for k in _RENDER_KEYS):
        tree.needs_render = True
    tree.patched.extend(f"{k} in {directory}" for k in _PATCH_KEYS if body.get(k))
    if isinstance(body.get("namePrefix"), str):
        tree.prefixes.append(body["namePrefix"])
    if isinstance(body.get("nameSuffix"), str):
        tree.suffixes.insert(0, body["nameSuffix"])
    for patch_key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
        for entry in body.get(patch_key) or []:
            rel = entry if isinstance(entry, str) else _map(entry).get("path")
            if isinstance(rel, str) and "\n" not in rel and not _is_remote(rel):
                tree.patch_files.extend(
                    _docs_of(Path(os.path.normpath(directory / rel)), by_file, context)
                )
    for image in body.get("images") or []:
        if isinstance(image, Mapping):
            tree.images.insert(0, image)  # inner kustomizations apply first
    for kind in ("resources", "bases", "components"):
        for entry in _entries(body.get(kind)):
            if _is_remote(entry):
                tree.remote.append(entry)
                continue
            target = Path(os.path.normpath(directory / entry))
            if context.files.is_dir(target):
                inner = _find_kustomization(target, by_file, context)
                if inner is not None:
                    _walk(target, inner, by_file, context, tree=tree, seen=seen)
            else:
                tree.documents.extend(
                    d
                    for d in _docs_of(target, by_file, context)
                    if d.kind not in {"Kustomization", "Component"}
                )


def _find_kustomization(
    directory: Path, by_file: Mapping[str, list[Document]], context: SourceContext
) -> Document | None:
    for name in sorted(KUSTOMIZATION_FILES):
        for doc in by_file.get(os.path.normpath(directory / name), []):
            if doc.kind in {"Kustomization", "Component"}:
                return doc
    return _kustomization_in(directory, context)


def _transformed(
    doc: Document,
    namespace: str | None,
    images: Sequence[Mapping[str, Any]],
    namespaces: Namespaces,
    overlay: str,
    *,
    force: bool = False,
) -> Document | None:
    body = dict(doc.body)
    changed = False
    if images and doc.kind in POD_SPEC_PATHS:
        # Only workloads are copied deeply, and only when an image rule may apply.
        body = copy.deepcopy(body)
        changed = apply_images(body, images)
    meta = dict(body.get("metadata") or {})
    current = meta.get("namespace")
    if namespace and current != namespace and doc.kind not in {"Namespace", "ClusterRole"}:
        meta["namespace"] = namespace
        changed = True
    if not changed and not force:
        return None
    meta.setdefault("namespace", namespaces.of(doc))
    body["metadata"] = meta
    return Document(
        body, SourceRef(doc.source.file, doc.source.line, f"kustomize {overlay}"), doc.index
    )


def _render(
    renderer: KustomizeRenderer, directory: Path, tree: _Tree, files: FileTree
) -> tuple[list[Document] | None, str, str | None]:
    """The rendered objects, each traced to the document it came from; or None and the
    renderer's first error line (None when there is no renderer here); and the renderer's name.

    The renderer asks Kustomize for origin annotations without touching the user's files
    (`archfit.sources.renderers.KustomizeCommand`). Each object is traced by its origin file;
    several documents of one kind in that file are told apart by exact name, allowing the
    prefixes and suffixes of the tree (never by a substring: `prod-web-api` is not `web`).
    """
    build = renderer.build(directory)
    if build.output is None:
        return None, build.tool, build.error
    result = read_text(build.output, str(directory / "kustomization.yaml"))
    # The text of each object is kept when it may hold Flux substitution variables: Flux
    # substitutes the built YAML, whose quoting decides what a value becomes.
    chunks = split_documents(build.output) if "$" in build.output else []
    by_origin: dict[tuple[str, str], list[Document]] = {}
    for doc in tree.documents:
        key = (os.path.normpath(files.resolve(Path(doc.source.file))), doc.kind)
        by_origin.setdefault(key, []).append(doc)
    affixes = _affixes(tree)
    out = []
    for doc in result.documents:
        body, origin = without_origin(doc.body)
        candidates = tree.documents
        if origin is not None:
            path = os.path.normpath(Path(build.origin_root or directory, origin))
            candidates = by_origin.get((path, doc.kind), [])
        match = _by_name(doc, [c for c in candidates if c.kind == doc.kind], affixes)
        where = match.source if match is not None else doc.source
        out.append(
            Document(
                body,
                SourceRef(where.file, where.line, f"kustomize {directory}"),
                match.index if match is not None else doc.index,
                _chunk(chunks, doc.index),
            )
        )
    return out, build.tool, None


def _chunk(chunks: list[tuple[int, str]], index: int) -> str:
    if index < len(chunks) and "$" in chunks[index][1]:
        return chunks[index][1]
    return ""


def _affixes(tree: _Tree) -> tuple[set[str], set[str]]:
    """Every prefix and suffix the tree's kustomizations may add, combined in order."""

    def combos(parts: list[str]) -> set[str]:
        return {
            "".join(parts[i:j]) for i in range(len(parts) + 1) for j in range(i, len(parts) + 1)
        }

    return combos(tree.prefixes), combos(tree.suffixes)


def _by_name(
    doc: Document, candidates: Sequence[Document], affixes: tuple[set[str], set[str]]
) -> Document | None:
    if len(candidates) == 1:
        return candidates[0]
    exact = [c for c in candidates if c.name == doc.name]
    if exact:
        return exact[0]
    prefixes, suffixes = affixes
    named = [
        c
        for c in candidates
        if c.name and any(doc.name == p + c.name + s for p in prefixes for s in suffixes)
    ]
    return named[0] if len(named) == 1 else None


def _generated(kdoc: Document, namespaces: Namespaces, files: FileTree) -> list[Document]:
    """ConfigMaps and Secrets from `configMapGenerator`/`secretGenerator` (files and literals)."""
    out = []
    directory = Path(kdoc.source.file).parent
    ns = namespaces.of(kdoc)
    for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for gen in kdoc.body.get(key) or []:
            if not isinstance(gen, Mapping) or not isinstance(gen.get("name"), str):
                continue
            data: dict[str, str] = {}
            for entry in gen.get("files") or []:
                if not isinstance(entry, str):
                    continue
                name, _, rel = entry.partition("=")
                rel = rel or name
                name = name if "=" in entry else PurePath(rel).name
                text = file_text(files, str(directory / rel))
                if text is not None:
                    data[name] = text
            for literal in gen.get("literals") or []:
                if isinstance(literal, str) and "=" in literal:
                    k, _, v = literal.partition("=")
                    data[k] = v
            field_name = "data" if kind == "ConfigMap" else "stringData"
            meta: dict[str, Any] = {"name": gen["name"], "namespace": gen.get("namespace") or ns}
            # Labels and annotations of `generatorOptions`, then the generator's own `options`
            # (Flux reads `kustomize.toolkit.fluxcd.io/substitute: disabled` from them).
            for part in ("labels", "annotations"):
                marks = {
                    **_map(_map(kdoc.body.get("generatorOptions")).get(part)),
                    **_map(_map(gen.get("options")).get(part)),
                }
                if marks:
                    meta[part] = {str(k): str(v) for k, v in marks.items()}
            body = {"apiVersion": "v1", "kind": kind, "metadata": meta, field_name: data}
            out.append(
                Document(
                    body,
                    SourceRef(kdoc.source.file, kdoc.source.line, f"kustomize {key}"),
                    kdoc.index,
                )
            )
    return out
