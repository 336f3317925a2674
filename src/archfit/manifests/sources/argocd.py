"""Argo CD `Application` (argoproj.io/v1alpha1) with a Helm source.

Argo CD: each Helm source (`spec.source` or an entry of `spec.sources` that has `chart`, or a
`path` whose directory in this repository holds a `Chart.yaml`) is a release named
`helm.releaseName` (default: the Application's name) in `spec.destination.namespace`. Values in
Argo CD's order: the chart's defaults (local charts), `helm.valueFiles` (local charts),
`helm.values` (a YAML string), `helm.valuesObject` (which wins over `values`), then
`helm.parameters` (`--set` style).

Releases are modelled by `archfit.manifests.helm.release.expand_release`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from archfit.errors import InvalidValue
from archfit.manifests.documents import Document
from archfit.manifests.helm.release import Release, ReleaseOutput
from archfit.manifests.helm.values import coalesce, merge_maps, set_path
from archfit.manifests.sources._charts import expand_local
from archfit.manifests.sources._common import (
    chart_defaults,
    effective,
    file_text,
    find_local_dir,
    find_local_file,
)
from archfit.manifests.sources.interface import FileTree, SourceContext, SourceOutput

__all__ = ["ArgoApplicationSource", "collect", "load_values_file", "local_charts"]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def load_values_file(files: FileTree, path: Path, problems: list[str]) -> Mapping[str, Any]:
    text = file_text(files, str(path))
    if text is None:
        problems.append(f"values file {path} not found")
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        problems.append(f"values file {path} is not YAML")
        return {}
    return data if isinstance(data, Mapping) else {}


def collect(parts: list[ReleaseOutput]) -> SourceOutput:
    return SourceOutput(
        documents=tuple(d for p in parts for d in p.documents),
        workloads=tuple(w for p in parts for w in p.workloads),
        findings=tuple(f for p in parts for f in p.findings),
        notes=tuple(n for p in parts for n in p.notes),
    )


@dataclass(frozen=True, slots=True)
class ArgoApplicationSource:
    name: str = "argocd"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        parts = []
        for doc in _applications(documents):
            spec = _map(doc.body.get("spec"))
            for path, src in _sources(spec):
                release = _argo_release(doc, spec, path, src, context)
                if release is not None:
                    parts.extend(expand_local(release, context.files, context.renderers.helm))
        return collect(parts)


def _ref_values_file(
    doc: Document,
    spec: Mapping[str, Any],
    name: str,
    context: SourceContext,
    problems: list[str],
) -> Path | None:
    """A multi-source `$<ref>/path` values file: `path` from the root of the repository of the
    source whose `ref` is `<ref>`, read when that file is in this repository."""
    ref, _, rest = name[1:].partition("/")
    refs = {
        str(s.get("ref"))
        for s in spec.get("sources") or []
        if isinstance(s, Mapping) and s.get("ref")
    }
    if ref not in refs:
        problems.append(f"valueFiles entry {name!r}: no source has `ref: {ref}`")
        return None
    found = find_local_file(context.files, rest, (Path(doc.source.file).parent, *context.roots))
    if found is None:
        problems.append(f"valueFiles entry {name!r} not found in this repository")
    return found


def _applications(documents: Sequence[Document]) -> list[Document]:
    return [d for d in effective(documents) if d.kind == "Application" and d.group == "argoproj.io"]


def _sources(spec: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    """The sources of an Application with their document paths (`spec.source`, `spec.sources`)."""
    sources: list[tuple[tuple[str | int, ...], Mapping[str, Any]]] = []
    if isinstance(spec.get("source"), Mapping):
        sources.append((("spec", "source"), spec["source"]))
    for i, src in enumerate(spec.get("sources") or []):
        if isinstance(src, Mapping):
            sources.append((("spec", "sources", i), src))
    return sources


def local_charts(documents: Sequence[Document], context: SourceContext) -> list[Path]:
    """The chart directories of this repository that Applications among `documents` install."""
    out = []
    for doc in _applications(documents):
        for _, src in _sources(_map(doc.body.get("spec"))):
            if not src.get("chart") and isinstance(src.get("path"), str):
                found = find_local_dir(context.files, str(src["path"]), context.roots)
                if found is not None:
                    out.append(found)
    return out


def _argo_release(
    doc: Document,
    spec: Mapping[str, Any],
    path: tuple[str | int, ...],
    src: Mapping[str, Any],
    context: SourceContext,
) -> Release | None:
    helm = _map(src.get("helm"))
    chart = str(src.get("chart") or "")
    chart_dir = None
    if not chart:
        if not src.get("path"):
            return None
        chart_dir = find_local_dir(context.files, str(src["path"]), context.roots)
        if chart_dir is None and not helm:
            return None  # a plain directory or kustomization: read as files
        chart = str(src["path"]).rstrip("/").rsplit("/", 1)[-1]
    problems: list[str] = []
    merged: dict[str, Any] = {}
    ref_files: list[Path] = []
    for name in helm.get("valueFiles") or []:
        if isinstance(name, str) and name.startswith("$"):
            found = _ref_values_file(doc, spec, name, context, problems)
            if found is not None:
                ref_files.append(found)
                merged = merge_maps(merged, load_values_file(context.files, found, problems))
        elif chart_dir is not None and isinstance(name, str) and "://" not in name:
            merged = merge_maps(merged, load_values_file(context.files, chart_dir / name, problems))
        else:
            problems.append(f"valueFiles entry {name!r} not read (not in a local chart)")
    values_text = helm.get("values")
    if isinstance(values_text, str) and values_text.strip():
        try:
            loaded = yaml.safe_load(values_text)
            if isinstance(loaded, Mapping):
                merged = merge_maps(merged, loaded)
        except yaml.YAMLError:
            problems.append("helm.values is not YAML")
    elif isinstance(values_text, Mapping):
        merged = merge_maps(merged, values_text)
    if isinstance(helm.get("valuesObject"), Mapping):
        merged = merge_maps(merged, helm["valuesObject"])
    for param in helm.get("parameters") or []:
        if isinstance(param, Mapping) and param.get("name"):
            try:
                merged = set_path(merged, str(param["name"]), param.get("value"))
            except InvalidValue as err:
                problems.append(f"helm.parameters {param['name']}: {err.message}")
    values_root: tuple[str | int, ...] = (*path, "helm", "valuesObject")
    if isinstance(values_text, str) and "valuesObject" not in helm:
        values_root = (*path, "helm", "values")
    repo = str(src.get("repoURL") or "")
    version = str(src.get("targetRevision") or "")
    return Release(
        kind="Application",
        name=str(helm.get("releaseName") or doc.name),
        namespace=str(_map(spec.get("destination")).get("namespace") or "default"),
        chart=chart,
        chart_ref=f"{repo} {chart}:{version}".strip(),
        version=version,
        document=doc,
        values=coalesce(merged, chart_defaults(context.files, chart_dir)),
        values_root=values_root,
        chart_dir=chart_dir,
        problems=tuple(problems),
        file_text=file_text(context.files, doc.source.file),
        values_file=_sole_values_file(helm, ref_files, doc, context),
    )


def _sole_values_file(
    helm: Mapping[str, Any], ref_files: list[Path], doc: Document, context: SourceContext
) -> str:
    """The `$values/…` file that holds every value the Application sets ("" when values are
    also given inline or in other files): the place a person edits them, named relative to
    the Application's file as the inputs name it."""
    inline = any(helm.get(k) for k in ("values", "valuesObject", "parameters"))
    if inline or len(ref_files) != 1 or len(helm.get("valueFiles") or []) != 1:
        return ""
    here = Path(doc.source.file).parent
    relative = os.path.relpath(ref_files[0], context.files.resolve(here))
    return os.path.normpath(here / relative)
