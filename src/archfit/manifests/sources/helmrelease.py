"""Flux `HelmRelease` (helm.toolkit.fluxcd.io v2, v2beta1, v2beta2) as workloads.

The chart comes from `spec.chart.spec` (`chart` + `sourceRef` to a HelmRepository, GitRepository or
Bucket) or from `spec.chartRef` (an OCIRepository or HelmChart), looked up among the documents
read. Values are assembled as helm-controller does (`archfit.manifests.helm.values`): chart
defaults when the chart is local, then `valuesFrom` ConfigMaps/Secrets of the release's namespace
found in the repository, then `spec.values`. The release is then modelled by
`archfit.manifests.helm.release.expand_release`.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.errors import InvalidValue
from archfit.manifests.documents import Document
from archfit.manifests.helm.release import Release, ReleaseOutput
from archfit.manifests.helm.values import ValuesReference, assemble_values, merge_maps
from archfit.manifests.sources._charts import archive_chart_name, expand_local
from archfit.manifests.sources._common import (
    Namespaces,
    chart_defaults,
    effective,
    file_text,
    find_local_dir,
    find_local_file,
    index_objects,
    yaml_mapping,
)
from archfit.manifests.sources.interface import SourceContext, SourceOutput
from archfit.manifests.sources.kustomize_images import apply_images

__all__ = ["FluxHelmReleaseSource", "local_charts"]

GROUP = "helm.toolkit.fluxcd.io"
SOURCE_KINDS = ("OCIRepository", "HelmRepository", "GitRepository", "HelmChart", "Bucket")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class FluxHelmReleaseSource:
    name: str = "helmrelease"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        documents = effective(documents)
        releases = [d for d in documents if d.kind == "HelmRelease" and d.group == GROUP]
        if not releases:
            return SourceOutput()
        namespaces = Namespaces(documents)
        sources = index_objects(documents, SOURCE_KINDS, namespaces)
        values_objects = index_objects(documents, ("ConfigMap", "Secret"), namespaces)
        out = ReleaseOutput()
        for doc in releases:
            release = _release(doc, namespaces, sources, values_objects, context)
            for part in expand_local(release, context.files, context.renderers.helm):
                _post_render_images(doc, part.documents)
                out.documents.extend(part.documents)
                out.workloads.extend(part.workloads)
                out.findings.extend(part.findings)
                out.notes.extend(part.notes)
        return SourceOutput(
            documents=tuple(out.documents),
            workloads=tuple(out.workloads),
            findings=tuple(out.findings),
            notes=tuple(out.notes),
        )


def shorten_release_name(name: str) -> str:
    """helm-controller's `release.ShortenName`: Helm refuses release names over 53 characters, so
    a longer one becomes its first 40 characters, `-` and 12 hex digits of its SHA-256."""
    if len(name) <= 53:
        return name
    return f"{name[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def local_charts(documents: Sequence[Document], context: SourceContext) -> list[Path]:
    """The local charts (directories or archives) the HelmReleases among `documents` install."""
    documents = effective(documents)
    namespaces = Namespaces(documents)
    sources = index_objects(documents, SOURCE_KINDS, namespaces)
    out = []
    for doc in documents:
        if doc.kind == "HelmRelease" and doc.group == GROUP:
            spec = _map(doc.body.get("spec"))
            chart_dir = _chart(spec, namespaces.of(doc), sources, context)[3]
            if chart_dir is not None:
                out.append(chart_dir)
    return out


def _release(
    doc: Document,
    namespaces: Namespaces,
    sources: Mapping[tuple[str, str, str], Document],
    values_objects: Mapping[tuple[str, str, str], Document],
    context: SourceContext,
) -> Release:
    spec = _map(doc.body.get("spec"))
    namespace = namespaces.of(doc)
    target = str(spec.get("targetNamespace") or "") or namespace
    release_name = str(spec.get("releaseName") or "")
    if not release_name:
        release_name = f"{target}-{doc.name}" if spec.get("targetNamespace") else doc.name
    release_name = shorten_release_name(release_name)
    chart, chart_ref, version, chart_dir = _chart(spec, namespace, sources, context)
    problems: list[str] = []
    refs = []
    for i, raw in enumerate(spec.get("valuesFrom") or []):
        try:
            refs.append(ValuesReference.from_k8s(raw, f"spec.valuesFrom[{i}]"))
        except InvalidValue as err:
            problems.append(str(err))
    lookup = {
        (kind, name): obj.body
        for (kind, ns, name), obj in values_objects.items()
        if ns == namespace
    }
    inline = spec.get("values")
    if inline is not None and not isinstance(inline, Mapping):
        problems.append("spec.values is not a mapping; ignored")
        inline = None
    result = assemble_values(
        inline=inline,
        references=refs,
        lookup=lookup,
        chart_defaults=_chart_values(spec, doc, chart_dir, context, problems),
    )
    return Release(
        kind="HelmRelease",
        name=release_name,
        namespace=target,
        chart=chart,
        chart_ref=chart_ref,
        version=version,
        document=doc,
        values=result.values,
        values_root=("spec", "values"),
        chart_dir=chart_dir,
        problems=(*problems, *result.problems),
        file_text=file_text(context.files, doc.source.file),
    )


def _post_render_images(doc: Document, documents: list[Document]) -> None:
    """`spec.postRenderers[].kustomize.images`: helm-controller runs Kustomize's images
    transformer over what the chart produced, so the cluster gets those images."""
    rules = [
        rule
        for renderer in _map(doc.body.get("spec")).get("postRenderers") or []
        for rule in _map(_map(renderer).get("kustomize")).get("images") or []
        if isinstance(rule, Mapping)
    ]
    for i, produced in enumerate(documents if rules else []):
        body = copy.deepcopy(dict(produced.body))
        if apply_images(body, rules):
            documents[i] = Document(body, produced.source, produced.index)


def _chart_values(
    spec: Mapping[str, Any],
    doc: Document,
    chart_dir: Path | None,
    context: SourceContext,
    problems: list[str],
) -> Mapping[str, Any]:
    """The chart's values: its `values.yaml`, or with `spec.chart.spec.valuesFiles` those files
    (paths in the Git source, merged in order; `values.yaml` only when listed), as
    source-controller packages the chart."""
    files = _map(_map(spec.get("chart")).get("spec")).get("valuesFiles")
    if chart_dir is None or not isinstance(files, list) or not files:
        return chart_defaults(context.files, chart_dir)
    merged: Mapping[str, Any] = {}
    anchors = (Path(doc.source.file).parent, *context.roots)
    for name in files:
        found = (
            find_local_file(context.files, str(name), anchors) if isinstance(name, str) else None
        )
        if found is None:
            problems.append(f"spec.chart.spec.valuesFiles entry {name!r} not found")
            continue
        merged = merge_maps(merged, yaml_mapping(context.files, found))
    return merged


def _chart(
    spec: Mapping[str, Any],
    namespace: str,
    sources: Mapping[tuple[str, str, str], Document],
    context: SourceContext,
) -> tuple[str, str, str, Any]:
    """(chart name, human reference, version, local chart directory or None)."""
    chart_ref = _map(spec.get("chartRef"))
    if chart_ref:
        kind = str(chart_ref.get("kind") or "OCIRepository")
        name = str(chart_ref.get("name") or "")
        ns = str(chart_ref.get("namespace") or namespace)
        src = sources.get((kind, ns, name)) or next(
            (d for (k, _, n), d in sources.items() if k == kind and n == name), None
        )
        if src is None:
            return name, f"{kind}/{name} (not in the repository)", "", None
        src_spec = _map(src.body.get("spec"))
        if kind == "HelmChart":
            chart = str(src_spec.get("chart") or name)
            version = str(src_spec.get("version") or "")
            git = str(_map(src_spec.get("sourceRef")).get("kind") or "")
            local = None
            if git in {"GitRepository", "Bucket"}:
                local = find_local_dir(context.files, chart, context.roots)
            if local is not None:
                chart, packaged = _local_name(chart, local)
                version = version or packaged
            return chart, f"HelmChart/{name} {chart}", version, local
        url = str(src_spec.get("url") or "")
        tag = str(
            _map(src_spec.get("ref")).get("tag") or _map(src_spec.get("ref")).get("semver") or ""
        )
        chart = url.rstrip("/").rsplit("/", 1)[-1] if url else name
        return chart, f"{url}:{tag}" if tag else url, tag, None
    chart_spec = _map(_map(spec.get("chart")).get("spec"))
    chart = str(chart_spec.get("chart") or "")
    version = str(chart_spec.get("version") or "")
    source_ref = _map(chart_spec.get("sourceRef"))
    kind = str(source_ref.get("kind") or "HelmRepository")
    src_name = str(source_ref.get("name") or "")
    ns = str(source_ref.get("namespace") or namespace)
    src = sources.get((kind, ns, src_name))
    if kind in {"GitRepository", "Bucket"}:
        local = find_local_dir(context.files, chart, context.roots)
        name, packaged = _local_name(chart, local)
        version = version or packaged
        return name, f"{kind}/{src_name} {chart}", version, local
    url = str(_map(src.body.get("spec")).get("url") or "") if src is not None else ""
    ref = f"{url.rstrip('/')}/{chart}" if url.startswith("oci://") else f"{url} {chart}".strip()
    return chart, ref + (f":{version}" if version else ""), version, None


def _local_name(chart: str, local: Path | None) -> tuple[str, str]:
    """(chart name, version) of a chart path in a Git source: a packaged chart's file name says
    both (`charts/web-1.2.3.tgz`), a directory only the name."""
    if local is not None and local.suffix == ".tgz":
        return archive_chart_name(local)
    return chart.rstrip("/").rsplit("/", 1)[-1], ""
