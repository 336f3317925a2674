"""Local Helm charts that nothing in the input installs, modelled as `helm template` would.

A chart is a directory below the paths given holding a `Chart.yaml` (its `templates/` are Go
templates, never read as manifests: `archfit.sources.files` skips them). A chart that a Flux
`HelmRelease` (Git or Bucket source, also through a `HelmChart`), an Argo CD `Application` (a local
`path`) or a Kustomize `helmCharts:` entry installs is that source's: rendered once, with that
release's values. Every other chart (an app's own chart, a wrapper chart pulling `app-template`
or a community chart with local values) is modelled here as a release named after the chart, in
namespace `default`, with its own `values.yaml`: the chart does not say where it is installed,
and the workloads' origin says it was rendered with its own values because nothing installs it.

Rendering is `archfit.manifests.sources._charts.expand_local`: the whole chart (own templates
and subcharts under `charts/`, directories or `.tgz`, with the parent's values under each
subchart's alias, `global`, `condition` and `tags`) when every declared dependency is vendored
and a renderer is given; otherwise each enabled dependency from the values under its key, and
one finding naming the missing dependencies. Library charts (`type: library`) are not
installable and are skipped.

With entry points (`archfit.manifests.entrypoints`), a chart below no entry point is scaffolding:
its workloads and findings are left out and its `values.yaml` is listed in the one `not-deployed`
finding, like any file no entry point reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from archfit.manifests.documents import Document
from archfit.manifests.helm.release import Release, ReleaseOutput
from archfit.manifests.sources._charts import LocalChart, chart_dirs, expand_local, read_chart
from archfit.manifests.sources._common import DEFAULT_NAMESPACE, file_text, yaml_mapping
from archfit.manifests.sources.argocd import collect
from archfit.manifests.sources.argocd import local_charts as argo_charts
from archfit.manifests.sources.helmcharts import local_charts as kustomize_charts
from archfit.manifests.sources.helmrelease import local_charts as flux_charts
from archfit.manifests.sources.interface import SourceContext, SourceOutput
from archfit.model.workload import SourceRef

__all__ = ["LocalChartSource"]


@dataclass(frozen=True, slots=True)
class LocalChartSource:
    name: str = "charts"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        files = context.files
        installed = {files.real_path(str(p)) for p in _installed(documents, context)}
        parts: list[ReleaseOutput] = []
        notes: list[str] = []
        for chart_dir in chart_dirs(files, context.roots):
            if files.real_path(str(chart_dir)) in installed:
                continue
            chart = read_chart(files, chart_dir)
            if chart.library:
                notes.append(f"{chart_dir}: library chart {chart.name} is not installable")
                continue
            notes.append(
                f"{chart_dir}: chart {chart.name}: nothing in the input installs it; modelled as "
                f"release {chart.name} in namespace {DEFAULT_NAMESPACE} with its own values.yaml"
            )
            parts.extend(expand_local(_release(chart, context), files, context.renderers.helm))
        out = collect(parts)
        return SourceOutput(
            documents=out.documents,
            workloads=out.workloads,
            findings=out.findings,
            notes=(*out.notes, *notes),
        )


def _installed(documents: Sequence[Document], context: SourceContext) -> list[Path]:
    return [
        *flux_charts(documents, context),
        *argo_charts(documents, context),
        *kustomize_charts(documents, context),
    ]


def _release(chart: LocalChart, context: SourceContext) -> Release:
    values_path = chart.directory / "values.yaml"
    values = yaml_mapping(context.files, values_path)
    return Release(
        kind="Chart",
        name=chart.name,
        namespace=DEFAULT_NAMESPACE,
        chart=chart.name,
        chart_ref=str(chart.directory),
        version=chart.version,
        document=Document(values, SourceRef(str(values_path), 1), 0),
        values=values,
        values_root=(),
        chart_dir=chart.directory,
        file_text=file_text(context.files, str(values_path)),
        undeployed=True,
    )
