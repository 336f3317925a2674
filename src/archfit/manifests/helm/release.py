"""One Helm release, however it was declared, turned into what archfit models.

Every Helm source (Flux `HelmRelease`, Argo CD `Application`, Kustomize `helmCharts:`, wrapper
`Chart.yaml` charts) builds a `Release` and calls `expand_release`, which picks the first that
applies:

1. rendering, when the chart is a local directory or archive and a Helm renderer is given
   (`archfit.sources.renderers`: a helm binary, else the Helm SDK for Python); never pulls:
   reading a repository does no network I/O;
2. the `app-template` chart: workloads derived from its values (`helm.apptemplate`);
3. any other chart: a `helm-not-rendered` finding, and one workload of the release's own kind
   (`HelmRelease`, `Application`, …) standing for all its pods, with the images found in its values
   and the chart's conventional top-level `affinity`/`nodeSelector`/`tolerations`, so that `check`
   can still judge the images and `fix` can write those values.

Derived objects carry `archfit.dev/*` annotations saying where their values live in the declaring
document (`VALUES_ROOT`, `VALUES_PATH`, `POD_OPTIONS`, `LAYOUT`); `fix` reads them to write the
placement where a person would. Their `SourceRef` points at the values line, with the release and
the values path as `origin`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archfit.errors import InputError
from archfit.manifests.documents import Document, read_text
from archfit.manifests.helm.apptemplate import derive, is_app_template
from archfit.manifests.helm.images import find_images
from archfit.manifests.helm.locate import line_of
from archfit.manifests.renderers import HelmRenderer
from archfit.model.finding import Finding
from archfit.model.k8s import POD_SPEC_PATHS, pod_template_from_spec
from archfit.model.workload import SourceRef, Workload

__all__ = [
    "ASSEMBLED_NODE_AFFINITY",
    "CHART",
    "CHART_PLACEMENT_VALUES",
    "CHART_READS_AFFINITY",
    "DEFAULT_AFFINITY",
    "DOCUMENT",
    "FLUX_PATCHED",
    "LAYOUT",
    "OVERLAY",
    "OWN_AFFINITY",
    "POD_OPTIONS",
    "RELEASE",
    "TEMPLATE",
    "VALUES_FILE",
    "VALUES_PATH",
    "VALUES_ROOT",
    "Release",
    "ReleaseOutput",
    "expand_release",
    "path_text",
]

RELEASE = "archfit.dev/helm-release"
CHART = "archfit.dev/helm-chart"
VALUES_ROOT = "archfit.dev/values-root"
VALUES_PATH = "archfit.dev/values-path"
POD_OPTIONS = "archfit.dev/pod-options"
# The file holding all of the release's values (one Argo CD `$values/…` file and nothing inline):
# `fix` edits it, with the values root at its top.
VALUES_FILE = "archfit.dev/values-file"
LAYOUT = "archfit.dev/values-layout"
DOCUMENT = "archfit.dev/document-index"
OWN_AFFINITY = "archfit.dev/own-pod-affinity"
# `defaultPodOptions.affinity` is set in the assembled values (inline, or from valuesFrom).
DEFAULT_AFFINITY = "archfit.dev/default-pod-affinity"
# On workloads of a rendered local chart: which of `affinity`, `nodeSelector` its values declare
# (comma-separated, maybe empty), so that `fix` writes only a value the chart reads.
CHART_PLACEMENT_VALUES = "archfit.dev/chart-placement-values"
# Whether the local chart that rendered an object reads an `affinity` value ("true": a template
# names `.Values.affinity`; "false": no template mentions affinity); absent when not known.
CHART_READS_AFFINITY = "archfit.dev/chart-reads-affinity"
# The assembled values (chart defaults, valuesFrom, inline) set `affinity.nodeAffinity` where
# `fix` would write it: written inline, its lists would replace theirs instead of adding to them.
ASSEMBLED_NODE_AFFINITY = "archfit.dev/assembled-node-affinity"
# The template a rendered object came from, as helm names it (`web/charts/db/templates/sts.yaml`).
TEMPLATE = "archfit.dev/helm-template"
# The Kustomize overlay that (re-)emitted the declaring document, when one did.
OVERLAY = "archfit.dev/kustomize-overlay"
# The placement fields a Flux Kustomization's `spec.patches` set on the object ("<Flux
# Kustomization>: affinity,nodeSelector"): `fix` must not write what that patch overrides.
FLUX_PATCHED = "archfit.dev/flux-patched"


def path_text(path: Sequence[str | int]) -> str:
    """`spec.values.controllers.plex` / `helmCharts[0].valuesInline`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass(frozen=True, slots=True)
class Release:
    """A Helm release as declared. `values_root` is the document path of the values block the
    user edits (`("spec", "values")`); `values` are already assembled (see `helm.values`).
    `undeployed` marks a local chart that nothing in the input installs, modelled as a release
    of its own name with its own `values.yaml`. `reads_affinity` says, per subchart (keys into
    the values; `()` for the chart itself), whether its templates read an `affinity` value."""

    kind: str
    name: str
    namespace: str
    chart: str
    chart_ref: str
    document: Document
    values: Mapping[str, Any]
    values_root: tuple[str | int, ...]
    version: str = ""
    chart_dir: Path | None = None
    problems: tuple[str, ...] = ()
    file_text: str | None = None
    values_file: str = ""
    undeployed: bool = False
    reads_affinity: Mapping[tuple[str, ...], bool] = field(default_factory=dict)

    @property
    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(slots=True)
class ReleaseOutput:
    documents: list[Document] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _line(release: Release, path: Sequence[str | int]) -> int:
    if release.file_text is None:
        return release.document.source.line
    found = line_of(release.file_text, release.document.index, (*release.values_root, *path))
    return found or release.document.source.line


def _source(release: Release, path: Sequence[str | int]) -> SourceRef:
    where = path_text((*release.values_root, *path)) if release.values_root else path_text(path)
    return SourceRef(
        release.document.source.file,
        _line(release, path),
        f"{release.display} {where}".rstrip(),
    )


def _overlay(release: Release) -> dict[str, str]:
    marks = release.document.metadata.get("annotations")
    patched = marks.get(FLUX_PATCHED) if isinstance(marks, Mapping) else None
    out = {FLUX_PATCHED: patched} if isinstance(patched, str) else {}
    origin = release.document.source.origin
    if not origin.startswith("kustomize "):
        return out
    return {**out, OVERLAY: origin[len("kustomize ") :].split(" (", 1)[0]}


def _where(
    release: Release, *, values_path: str = "", pod_options: str = "", layout: str = "chart"
) -> dict[str, str]:
    """The annotations that tell `fix` where a workload's placement is written: the release,
    its chart, the values (root, path, pod options) and the chart's layout."""
    out = {
        RELEASE: release.display,
        CHART: release.chart.rsplit("/", 1)[-1],
        VALUES_ROOT: path_text(release.values_root),
        VALUES_PATH: values_path,
        POD_OPTIONS: pod_options,
        LAYOUT: layout,
        **({VALUES_FILE: release.values_file} if release.values_file else {}),
    }
    reads = release.reads_affinity.get(())
    if reads is not None:
        out[CHART_READS_AFFINITY] = "true" if reads else "false"
    node_affinity: Any = release.values
    for part in (*_path_parts(pod_options), "affinity", "nodeAffinity"):
        if isinstance(part, int):
            ok = isinstance(node_affinity, list) and part < len(node_affinity)
            node_affinity = node_affinity[part] if ok else None
        else:
            node_affinity = node_affinity.get(part) if isinstance(node_affinity, Mapping) else None
    if node_affinity:
        out[ASSEMBLED_NODE_AFFINITY] = "true"
    return out


def _annotate(manifest: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    meta = manifest.setdefault("metadata", {})
    meta["annotations"] = {**meta.get("annotations", {}), **values}
    return manifest


def _finding(release: Release, message: str, *, fid: str, severity: str, hint: str) -> Finding:
    return Finding(
        id=fid,
        severity="warning" if severity == "warning" else "info",
        message=f"{release.document.source}: {release.display}: {message}",
        subject=f"{release.kind}/{release.namespace}/{release.name}",
        source=release.document.source,
        hint=hint,
        rule="manifests",
    )


def expand_release(release: Release, helm: HelmRenderer | None = None) -> ReleaseOutput:
    """Model one release, rendered with `helm` when given and the chart is local; never raises
    for its content (problems become findings)."""
    out = ReleaseOutput()
    for problem in release.problems:
        out.findings.append(
            _finding(
                release,
                problem,
                fid="helm-values-incomplete",
                severity="warning",
                hint="the values archfit could read were used; placement may miss what the "
                "missing values set",
            )
        )
    if helm and release.chart_dir is not None:
        try:
            out.documents.extend(_render(helm, release))
            out.notes.append(f"{release.display}: rendered with {helm.name}")
            return out
        except InputError as err:
            out.findings.append(
                _finding(
                    release,
                    f"rendering with {helm.name} failed: {err.message}",
                    fid="helm-not-rendered",
                    severity="warning",
                    hint="run `helm template` on the chart to see the error",
                )
            )
    if is_app_template(release.chart):
        _app_template(release, out)
        return out
    if helm is None:
        why = "no helm binary on PATH nor helm-python-sdk installed, and the chart is not "
        why += "app-template"
    elif release.chart_dir is None:
        why = "the chart is not available locally"
    else:
        why = "the chart did not render"
    _not_rendered(release, out, why=why)
    return out


def _app_template(release: Release, out: ReleaseOutput) -> None:
    derivation = derive(
        release.values,
        release=release.name,
        namespace=release.namespace,
        chart_version=release.version,
    )
    defaults = release.values.get("defaultPodOptions")
    default_affinity = isinstance(defaults, Mapping) and bool(defaults.get("affinity"))
    for controller in derivation.controllers:
        values_path = controller.values_path
        annotations = {
            **_where(
                release,
                values_path=values_path,
                pod_options=controller.pod_path,
                layout=f"app-template-{controller.layout}",
            ),
            DOCUMENT: str(release.document.index),
            OWN_AFFINITY: "true" if controller.own_affinity else "false",
            DEFAULT_AFFINITY: "true" if default_affinity else "false",
            **_overlay(release),
        }
        body = _annotate(controller.manifest, annotations)
        path = tuple(values_path.split(".")) if values_path else ()
        source = _source(release, path)
        out.documents.append(Document(body, source, release.document.index))
    for claim in derivation.claims:
        path = tuple(claim.values_path.split("."))
        out.documents.append(
            Document(claim.manifest, _source(release, path), release.document.index)
        )
    for note in derivation.notes:
        out.notes.append(f"{release.display}: {note}")
    if not derivation.controllers:
        out.notes.append(f"{release.display}: app-template values define no enabled controller")


def _not_rendered(release: Release, out: ReleaseOutput, *, why: str) -> None:
    images = find_images(release.values)
    listed = ", ".join(i.reference for i in images) or "none found in its values"
    out.findings.append(
        _finding(
            release,
            f"chart {release.chart_ref or release.chart} not rendered ({why}); "
            f"images in values: {listed}",
            fid="helm-not-rendered",
            severity="info",
            hint="vendor the chart (or `helm pull` it beside the release) and install helm or "
            '`pip install "archfit[helm]"` to check every object it creates',
        )
    )
    containers = []
    for image in images:
        name = image.path.replace(".", "-").replace("[", "-").replace("]", "")[-63:] or "image"
        if image.ref is not None:
            containers.append({"name": name, "image": str(image.ref)})
    pod_path = _embedded_pod_spec([i.path for i in images])
    values: Any = release.values
    for part in _path_parts(pod_path):
        if isinstance(part, int):
            values = values[part] if isinstance(values, list) and part < len(values) else {}
        else:
            values = values.get(part) if isinstance(values, Mapping) else {}
    values = values if isinstance(values, Mapping) else {}
    pod: dict[str, Any] = {"containers": containers}
    for key in ("affinity", "nodeSelector", "tolerations"):
        if isinstance(values.get(key), Mapping | list) and values.get(key):
            pod[key] = values[key]
    annotations = {
        **_where(release, pod_options=pod_path),
        DOCUMENT: str(release.document.index),
        **_overlay(release),
    }
    try:
        template = pod_template_from_spec(pod, {}, "values")
    except InputError as err:
        out.findings.append(
            _finding(
                release,
                f"values do not describe a pod spec: {err}",
                fid="helm-not-rendered",
                severity="warning",
                hint="check the chart's affinity/nodeSelector/tolerations values",
            )
        )
        template = pod_template_from_spec({"containers": containers}, {}, "values")
    out.workloads.append(
        Workload(
            kind=release.kind,
            namespace=release.namespace,
            name=release.name,
            template=template,
            source=_source(release, ()),
            api_version=release.document.api_version,
            labels={},
            annotations=annotations,
            replicas=1,
        )
    )


_POD_SPEC_IMAGE = re.compile(r"^(?:(.*)\.)?(?:containers|initContainers)\[\d+\]\.image$")


def _embedded_pod_spec(paths: Sequence[str]) -> str:
    """The values path of the one pod spec every image sits in (`template.spec` when values
    embed a pod template, as gha-runner-scale-set does), "" when they sit elsewhere: that pod
    spec, not a top-level `affinity` the chart may not have, is where placement belongs."""
    found = {m.group(1) or "" for m in map(_POD_SPEC_IMAGE.match, paths) if m is not None}
    matched = all(_POD_SPEC_IMAGE.match(p) for p in paths)
    return found.pop() if paths and matched and len(found) == 1 else ""


def _path_parts(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if part:
            out.append(int(part[1:-1]) if part.startswith("[") else part)
    return out


_PROBE = "archfit.dev/probe"


def _honoured_values(
    helm: HelmRenderer, release: Release
) -> dict[tuple[str, str], tuple[str, ...]]:
    """Which of the top-level `affinity` and `nodeSelector` values reach each workload's pod
    spec, found by rendering once more with a probe label in both: `fix` writes only a value
    the workload's template reads. (kind, name) → the values that reach it."""
    assert release.chart_dir is not None
    values = dict(release.values)
    term = {"matchExpressions": [{"key": _PROBE, "operator": "Exists"}]}
    values["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
        }
    }
    selector = release.values.get("nodeSelector")
    values["nodeSelector"] = {**(selector if isinstance(selector, Mapping) else {}), _PROBE: "x"}
    try:
        text = helm.render(release.chart_dir, release.name, release.namespace, values)
    except InputError:
        return {}
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for doc in read_text(text, release.document.source.file).documents:
        spec: Any = doc.body
        for key in POD_SPEC_PATHS.get(doc.kind, ()):
            spec = spec.get(key) if isinstance(spec, Mapping) else None
        if not isinstance(spec, Mapping):
            continue
        found = []
        if _PROBE in str(spec.get("affinity")):
            found.append("affinity")
        if isinstance(spec.get("nodeSelector"), Mapping) and _PROBE in spec["nodeSelector"]:
            found.append("nodeSelector")
        out[doc.kind, doc.name] = tuple(found)
    return out


def _render(helm: HelmRenderer, release: Release) -> list[Document]:
    assert release.chart_dir is not None
    text = helm.render(release.chart_dir, release.name, release.namespace, release.values)
    result = read_text(text, f"{release.document.source.file}")
    origin = f"{release.display} rendered from chart {release.chart}"
    honoured = _honoured_values(helm, release)
    if release.undeployed:
        origin += " with its own values (nothing in the input installs it)"
    templates = _templates(text)
    docs = []
    for doc in result.documents:
        body = dict(doc.body)
        meta = dict(body.get("metadata") or {})
        meta.setdefault("namespace", release.namespace)
        body["metadata"] = meta
        template = templates.get(doc.source.line, "")
        subchart = _subchart_keys(template)
        where = _where(release)
        if subchart:
            # An object of a subchart reads the parent's values under the subchart's key.
            where[VALUES_ROOT] = path_text((*release.values_root, *subchart))
            where[CHART] = subchart[-1]
            reads = release.reads_affinity.get(subchart)
            where.pop(CHART_READS_AFFINITY, None)
            where.pop(ASSEMBLED_NODE_AFFINITY, None)
            if reads is not None:
                where[CHART_READS_AFFINITY] = "true" if reads else "false"
        else:
            # The chart's own objects: which top-level values reach them (probed by rendering).
            declared = honoured.get((str(body.get("kind")), str(meta.get("name"))), ())
            where[CHART_PLACEMENT_VALUES] = ",".join(declared)
        if template:
            where[TEMPLATE] = template
        body = _annotate(
            body, {**where, DOCUMENT: str(release.document.index), **_overlay(release)}
        )
        docs.append(
            Document(
                body,
                SourceRef(
                    release.document.source.file,
                    release.document.source.line,
                    f"{origin}, template {template}" if template else origin,
                ),
                release.document.index,
            )
        )
    return docs


def _templates(text: str) -> dict[int, str]:
    """Line of each document in a rendered stream → the template it came from: the
    `# Source: <chart>/templates/x.yaml` comment helm writes at the top of each."""
    out: dict[int, str] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("---"):
            current = ""
        elif line.startswith("# Source: "):
            current = line[len("# Source: ") :].strip()
        if current:
            out[number] = current
    return out


def _subchart_keys(template: str) -> tuple[str, ...]:
    """The subchart a template belongs to, as keys into the parent's values:
    `web/charts/db/charts/metrics/templates/x.yaml` → (`db`, `metrics`). Helm names a
    subchart's directory after its alias."""
    parts = template.split("/")[1:]
    keys = []
    while len(parts) >= 2 and parts[0] == "charts":
        keys.append(parts[1])
        parts = parts[2:]
    return tuple(keys)
