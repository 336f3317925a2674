"""Argo CD `Application` with a plain-directory or Kustomize source: the destination namespace.

Argo CD applies the directory `spec.source.path` (or each `spec.sources[].path`) of its Git
repository and puts namespaced objects that name no namespace into
`spec.destination.namespace`. archfit finds the directory below the Application's file or one
of its parents, or an input root or its parents (as for Helm sources), and emits a copy of
each such object with that namespace, superseding the document it came from. Objects that a
kustomization there already places (its `namespace:`) keep theirs. A plain directory is read
without subdirectories unless `directory.recurse: true`, as Argo CD does; a directory with a
`kustomization.yaml` contributes what Kustomize rendered from it.

Helm sources (a `chart`, or a path holding `Chart.yaml`) are left to `argocd.py`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.manifests.documents import KUSTOMIZATION_FILES, Document
from archfit.manifests.sources._common import CLUSTER_SCOPED_KINDS, DEFAULT_NAMESPACE, Namespaces
from archfit.manifests.sources.interface import FileTree, SourceContext, SourceOutput
from archfit.manifests.sources.kustomize_images import apply_images, edit_set_image
from archfit.model.workload import SourceRef

__all__ = ["ArgoDirectorySource", "application_dirs", "directory_filter"]

GROUP = "argoproj.io"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _resolve(files: FileTree, relative: str, anchors: Sequence[Path]) -> Path | None:
    rel = relative.strip().removeprefix("./").strip("/")
    if ".." in Path(rel).parts:
        return None
    for anchor in anchors:
        base = files.resolve(anchor)
        if files.is_file(base):
            base = base.parent
        for candidate in (base, *base.parents):
            target = candidate / rel if rel else candidate
            if files.is_dir(target):
                return target
    return None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Argo CD's `glob.Match` (gobwas/glob without separators): `*` matches any run of
    characters, `/` included; `?` one character; `[…]`/`[!…]` a class; `{a,b}` alternatives."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                out.append(f"[{'^' if negate else ''}{body.replace(chr(92), chr(92) * 2)}]")
                i = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + ")" * depth)


def directory_filter(source: Mapping[str, Any]) -> Callable[[str], bool]:
    """Whether a file (its path relative to the source's directory) is applied, by the source's
    `directory.include`/`exclude` globs, as Argo CD's repo server decides (exclude first)."""
    directory = _map(source.get("directory"))
    include = directory.get("include")
    exclude = directory.get("exclude")
    inc = _glob_regex(include) if isinstance(include, str) and include else None
    exc = _glob_regex(exclude) if isinstance(exclude, str) and exclude else None

    def applied(relative: str) -> bool:
        relative = relative.replace(os.sep, "/")
        if exc is not None and exc.fullmatch(relative):
            return False
        return inc is None or inc.fullmatch(relative) is not None

    return applied


def application_dirs(
    doc: Document, roots: Sequence[Path], files: FileTree
) -> list[tuple[Path, bool, Mapping[str, Any]]]:
    """The local directories an Application applies without Helm: (directory, recurse,
    source) for each source whose path is found in this tree."""
    spec = _map(doc.body.get("spec"))
    sources = [spec["source"]] if isinstance(spec.get("source"), Mapping) else []
    sources += [s for s in spec.get("sources") or [] if isinstance(s, Mapping)]
    out = []
    anchors = (Path(doc.source.file).parent, *roots)
    for src in sources:
        path = src.get("path")
        if src.get("chart") or not isinstance(path, str) or _map(src.get("helm")):
            continue
        directory = _resolve(files, path, anchors)
        if directory is None or files.is_file(directory / "Chart.yaml"):
            continue
        recurse = _map(src.get("directory")).get("recurse") is True
        out.append((directory, recurse, src))
    return out


@dataclass(frozen=True, slots=True)
class ArgoDirectorySource:
    name: str = "argocd-directory"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        apps = [d for d in documents if d.kind == "Application" and d.group == GROUP]
        if not apps:
            return SourceOutput()
        namespaces = Namespaces(documents)
        files = context.files
        by_dir: dict[str, list[Document]] = {}
        for doc in documents:
            if doc.kind in {"Kustomization", "Component"} and doc.group.startswith("kustomize"):
                continue
            origin = doc.source.origin
            if origin.startswith("kustomize "):
                key = os.path.normpath(origin[len("kustomize ") :].split(" (", 1)[0])
            elif origin:
                continue
            else:
                key = os.path.dirname(os.path.normpath(doc.source.file))
            by_dir.setdefault(files.real_path(key), []).append(doc)
        emitted: list[Document] = []
        superseded: set[SourceRef] = set()
        for app in apps:
            target = _map(_map(app.body.get("spec")).get("destination")).get("namespace")
            if not isinstance(target, str) or not target:
                continue
            label = f"Application {app.namespace or 'argocd'}/{app.name}"
            for directory, recurse, src in application_dirs(app, context.roots, files):
                base = files.real_path(str(directory))
                kustomized = any(files.is_file(directory / n) for n in KUSTOMIZATION_FILES)
                applied = directory_filter(src)
                options = _map(src.get("kustomize")) if kustomized else {}
                keys = [
                    k
                    for k in by_dir
                    if k == base or ((recurse or kustomized) and k.startswith(base + os.sep))
                ]
                for key in keys:
                    for doc in by_dir[key]:
                        relative = os.path.relpath(files.real_path(doc.source.file), base)
                        if not kustomized and not applied(relative):
                            continue
                        copy_ = _placed(doc, target, label, namespaces, options)
                        if copy_ is not None:
                            emitted.append(copy_)
                            superseded.add(doc.source)
        return SourceOutput(documents=tuple(emitted), superseded=frozenset(superseded))


def _placed(
    doc: Document,
    target: str,
    label: str,
    namespaces: Namespaces,
    options: Mapping[str, Any],
) -> Document | None:
    """The copy of `doc` the Application applies (None: unchanged): the destination namespace
    when nothing places it, and the source's `kustomize` options (`images`, `namePrefix`,
    `nameSuffix`, `namespace`), which Argo CD writes into the kustomization before building."""
    body: dict[str, Any] = copy.deepcopy(dict(doc.body))
    meta = dict(_map(body.get("metadata")))
    changed = False
    scoped = doc.kind not in CLUSTER_SCOPED_KINDS
    forced = options.get("namespace")
    if scoped and isinstance(forced, str) and forced:
        changed = meta.get("namespace") != forced
        meta["namespace"] = forced
    elif scoped and not doc.namespace and namespaces.of(doc) == DEFAULT_NAMESPACE:
        meta["namespace"] = target
        changed = True
    prefix, suffix = options.get("namePrefix"), options.get("nameSuffix")
    if doc.kind not in {"Namespace", "CustomResourceDefinition"} and (prefix or suffix):
        meta["name"] = f"{prefix or ''}{meta.get('name') or ''}{suffix or ''}"
        changed = True
    body["metadata"] = meta
    rules = [r for r in map(edit_set_image, _strings(options.get("images"))) if r is not None]
    if rules and apply_images(body, rules):
        changed = True
    if not changed:
        return None
    origin = f"{doc.source.origin} ({label})" if doc.source.origin else label
    return Document(body, SourceRef(doc.source.file, doc.source.line, origin), doc.index)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []
