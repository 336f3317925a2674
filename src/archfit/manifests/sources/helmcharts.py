"""Helm charts declared without a Helm controller: Kustomize `helmCharts:` and wrapper charts.

Kustomize `helmCharts:` entries: the chart's defaults (vendored under `helmGlobals.chartHome`),
`valuesFile` (instead of the defaults), `additionalValuesFiles`, then `valuesInline` (merged over
the files unless `valuesMerge: replace`; `merge` keeps the files' values first).

Wrapper charts: a directory below the paths given with a `Chart.yaml` whose `dependencies` pull
other charts (the common way to deploy `app-template` or a community chart with local values).
Each enabled dependency (its `condition` honoured) is a release named after the wrapper chart,
with the values under its alias (or name) in the wrapper's `values.yaml`, over the dependency's
own defaults when it is vendored under `charts/`. With a renderer (a helm binary or the Helm SDK,
`archfit.sources.renderers`) and every dependency vendored, the wrapper chart is rendered as a whole
instead. The namespace is the one it is
installed into, which the chart does not say: `default` is assumed and a note says so.

Both are modelled by `archfit.manifests.helm.release.expand_release`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.manifests.documents import Document
from archfit.manifests.helm.release import Release, ReleaseOutput, expand_release
from archfit.manifests.helm.values import coalesce, merge_maps
from archfit.manifests.renderers import HelmRenderer
from archfit.manifests.sources._common import (
    Namespaces,
    chart_defaults,
    file_text,
    yaml_mapping,
)
from archfit.manifests.sources.argocd import collect, load_values_file
from archfit.manifests.sources.interface import FileTree, SourceContext, SourceOutput
from archfit.model.workload import SourceRef

__all__ = ["KustomizeHelmChartsSource", "WrapperChartSource"]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class KustomizeHelmChartsSource:
    name: str = "helmcharts"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        namespaces = Namespaces(documents)
        parts = []
        for doc in documents:
            if doc.kind != "Kustomization" or not doc.api_version.startswith("kustomize.config"):
                continue
            if doc.source.origin:
                continue
            directory = Path(doc.source.file).parent
            home = str(_map(doc.body.get("helmGlobals")).get("chartHome") or "charts")
            for i, item in enumerate(doc.body.get("helmCharts") or []):
                if not isinstance(item, Mapping) or not item.get("name"):
                    continue
                parts.append(
                    expand_release(
                        _chart_release(
                            doc,
                            directory=directory,
                            home=home,
                            index=i,
                            item=item,
                            namespaces=namespaces,
                            files=context.files,
                        ),
                        context.renderers.helm,
                    )
                )
        return collect(parts)


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
    chart_dir = None
    for candidate in (directory / home / name, directory / home / f"{name}-{version}" / name):
        if files.is_file(candidate / "Chart.yaml"):
            chart_dir = candidate
            break
    archive = directory / home / f"{name}-{version}.tgz"
    if chart_dir is None and version and files.is_file(archive):
        chart_dir = archive  # `helm pull` output; helm template reads archives as they are
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


@dataclass(frozen=True, slots=True)
class WrapperChartSource:
    name: str = "charts"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        del documents
        parts: list[ReleaseOutput] = []
        notes: list[str] = []
        for chart_dir in _chart_dirs(context.files, context.roots):
            parts.extend(_wrapper(chart_dir, notes, context.renderers.helm, context.files))
        out = collect(parts)
        return SourceOutput(
            documents=out.documents,
            workloads=out.workloads,
            findings=out.findings,
            notes=(*out.notes, *notes),
        )


def _chart_dirs(files: FileTree, roots: Sequence[Path]) -> Iterator[Path]:
    """Directories holding a `Chart.yaml`, skipping vendored sub-charts (`charts/`) and hidden
    directories."""
    seen: set[str] = set()
    for root in roots:
        if not files.is_dir(root):
            continue
        for directory, dirnames, filenames in files.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            if "Chart.yaml" in filenames:
                real = str(files.resolve(Path(directory)))
                if real not in seen:
                    seen.add(real)
                    yield Path(directory)
                # A chart's own directories (templates, vendored charts) hold no more wrappers.
                dirnames[:] = []


def _enabled(condition: Any, values: Mapping[str, Any]) -> bool:
    if not isinstance(condition, str) or not condition:
        return True
    for path in condition.split(","):
        node: Any = values
        for part in path.strip().split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, bool):
            return node
    return True


def _wrapper(
    chart_dir: Path, notes: list[str], helm: HelmRenderer | None, files: FileTree
) -> list[ReleaseOutput]:
    chart = yaml_mapping(files, chart_dir / "Chart.yaml")
    dependencies = [d for d in chart.get("dependencies") or [] if isinstance(d, Mapping)]
    if not dependencies:
        return []
    name = str(chart.get("name") or chart_dir.name)
    values_path = chart_dir / "values.yaml"
    values = yaml_mapping(files, values_path)
    text = file_text(files, str(values_path))
    document = Document(values, SourceRef(str(values_path), 1), 0)
    vendored = chart_dir / "charts"
    notes.append(f"{chart_dir}: wrapper chart {name}: namespace not known, `default` assumed")
    if (
        helm is not None
        and files.is_dir(vendored)
        and all(
            files.is_dir(vendored / str(d.get("name")))
            or any(files.glob(vendored, f"{d.get('name')}-*.tgz"))
            for d in dependencies
        )
    ):
        release = Release(
            kind="Chart",
            name=name,
            namespace="default",
            chart=name,
            chart_ref=str(chart_dir),
            document=document,
            values=values,
            values_root=(),
            chart_dir=chart_dir,
            file_text=text,
        )
        return [expand_release(release, helm)]
    out = []
    for dep in dependencies:
        dep_name = str(dep.get("name") or "")
        key = str(dep.get("alias") or dep_name)
        if not dep_name or not _enabled(dep.get("condition"), values):
            continue
        sub_dir = vendored / dep_name
        version = str(dep.get("version") or "")
        sub_values = dict(_map(values.get(key)))
        if isinstance(values.get("global"), Mapping):
            sub_values["global"] = merge_maps(_map(sub_values.get("global")), values["global"])
        release = Release(
            kind="Chart",
            name=name,
            namespace="default",
            chart=dep_name,
            chart_ref=f"{dep.get('repository') or ''} {dep_name}:{version}".strip(),
            version=version,
            document=document,
            values=coalesce(
                sub_values, chart_defaults(files, sub_dir if files.is_dir(sub_dir) else None)
            ),
            values_root=(key,),
            file_text=text,
        )
        out.append(expand_release(release, helm))
    return out
