"""Kustomize `helmCharts:` entries as Helm releases.

Values: the chart's defaults (vendored under `helmGlobals.chartHome`), `valuesFile` (instead of
the defaults), `additionalValuesFiles`, then `valuesInline` (merged over the files unless
`valuesMerge: replace`; `merge` keeps the files' values first). The release is modelled by
`archfit.manifests.helm.release.expand_release`. Charts that nothing installs are
`archfit.manifests.sources.localchart`'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.manifests.documents import Document
from archfit.manifests.helm.release import Release
from archfit.manifests.helm.values import coalesce, merge_maps
from archfit.manifests.sources._charts import expand_local
from archfit.manifests.sources._common import (
    Namespaces,
    chart_defaults,
    file_text,
)
from archfit.manifests.sources.argocd import collect, load_values_file
from archfit.manifests.sources.interface import FileTree, SourceContext, SourceOutput

__all__ = ["KustomizeHelmChartsSource", "local_charts"]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class KustomizeHelmChartsSource:
    name: str = "helmcharts"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        namespaces = Namespaces(documents)
        parts = []
        for doc, directory, home, i, item in _entries(documents):
            parts.extend(
                expand_local(
                    _chart_release(
                        doc,
                        directory=directory,
                        home=home,
                        index=i,
                        item=item,
                        namespaces=namespaces,
                        files=context.files,
                    ),
                    context.files,
                    context.renderers.helm,
                )
            )
        return collect(parts)


def _entries(
    documents: Sequence[Document],
) -> Iterator[tuple[Document, Path, str, int, Mapping[str, Any]]]:
    """(kustomization, its directory, chart home, index, entry) of every `helmCharts` entry."""
    for doc in documents:
        if doc.kind != "Kustomization" or not doc.api_version.startswith("kustomize.config"):
            continue
        if doc.source.origin:
            continue
        directory = Path(doc.source.file).parent
        home = str(_map(doc.body.get("helmGlobals")).get("chartHome") or "charts")
        for i, item in enumerate(doc.body.get("helmCharts") or []):
            if isinstance(item, Mapping) and item.get("name"):
                yield doc, directory, home, i, item


def local_charts(documents: Sequence[Document], context: SourceContext) -> list[Path]:
    """The vendored charts that `helmCharts:` entries among `documents` install."""
    out = []
    for _, directory, home, _, item in _entries(documents):
        found = _vendored_chart(context.files, directory / home, item)
        if found is not None:
            out.append(found)
    return out


def _vendored_chart(files: FileTree, home: Path, item: Mapping[str, Any]) -> Path | None:
    """Where Kustomize finds a chart in its chart home: `<name>/`, `<name>-<version>/<name>/`,
    or the archive `helm pull` writes (`<name>-<version>.tgz`; helm reads archives as they are)."""
    name = str(item["name"])
    version = str(item.get("version") or "")
    for candidate in (home / name, home / f"{name}-{version}" / name):
        if files.is_file(candidate / "Chart.yaml"):
            return candidate
    archive = home / f"{name}-{version}.tgz"
    if version and files.is_file(archive):
        return archive
    return None


def _chart_release(
    doc: Document,
    *,
    directory: Path,
    home: str,
    index: int,
    item: Mapping[str, Any],
    namespaces: Namespaces,
    files: FileTree,
) -> Release:
    name = str(item["name"])
    version = str(item.get("version") or "")
    chart_dir = _vendored_chart(files, directory / home, item)
    problems: list[str] = []
    base: Mapping[str, Any] = chart_defaults(
        files, chart_dir if chart_dir and files.is_dir(chart_dir) else None
    )
    if item.get("valuesFile"):
        base = load_values_file(files, directory / str(item["valuesFile"]), problems)
    for extra in item.get("additionalValuesFiles") or []:
        base = merge_maps(base, load_values_file(files, directory / str(extra), problems))
    inline = _map(item.get("valuesInline"))
    merge = str(item.get("valuesMerge") or "override")
    if merge == "replace" and inline:
        values = coalesce(inline, {})
    elif merge == "merge":
        values = coalesce(base, inline)
    else:
        values = coalesce(inline, base)
    return Release(
        kind="HelmChart",
        name=str(item.get("releaseName") or name),
        namespace=str(item.get("namespace") or namespaces.of(doc)),
        chart=name,
        chart_ref=f"{item.get('repo') or ''} {name}:{version}".strip(),
        version=version,
        document=doc,
        values=values,
        values_root=("helmCharts", index, "valuesInline"),
        chart_dir=chart_dir,
        problems=tuple(problems),
        file_text=file_text(files, doc.source.file),
    )
